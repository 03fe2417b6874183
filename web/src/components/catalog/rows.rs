//! A table's rows sampled from the project (`POST /api/catalog/rows`, a page at a
//! time, with a progress bar), for the simulation to read instead of generated
//! rows. `tabledata.list` runs no query, so BigQuery bills no bytes for it; the
//! pane says so before anything is read. With a filter, the rows come from a
//! query, which is billed: the filter is checked as it is typed (Sluice's
//! analyzer, in the page), the query's cost estimated by a dry run
//! (`POST /api/catalog/estimate`) and shown, and it runs only when asked, with
//! that estimate as the most BigQuery may bill.

use std::cell::Cell;
use std::rc::Rc;

use sluice_deploy::rows::{MAX_ROWS, PAGE_ROWS, QueryJob, filtered_query};
use sluice_deploy::wire::{EstimateRequest, QueryEstimate, RowsRequest, TableRows};
use sluice_engine::thousands;
use sluice_sql::catalog::Source;
use yew::prelude::*;

use super::project::{Place, short_time};
use crate::simulation::SampledTable;

/// How many rows a sample reads unless the user asks for another number.
pub const DEFAULT_ROWS: u32 = 1_000;

/// The pane's inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The table's SQL name (the sample's key).
    pub sql_name: AttrValue,
    /// Its project, dataset and table ids.
    pub project: AttrValue,
    /// The dataset's id.
    pub dataset: AttrValue,
    /// The table's id.
    pub table: AttrValue,
    /// The table as the catalog has it (its filter is checked against it).
    pub source: Rc<Source>,
    /// Where the rows are read.
    pub place: Place,
    /// Called with the rows read, for the simulation.
    pub on_sampled: Callback<Rc<SampledTable>>,
    /// Closes the pane.
    pub on_close: Callback<()>,
}

/// Where a sample is.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    /// Nothing read yet.
    Idle,
    /// A filter's query is being run dry.
    Estimating,
    /// What the filter's query would bill; it runs when asked.
    Estimated(Rc<QueryEstimate>),
    /// Rows read so far, of how many the sample will hold (when known).
    Reading(usize, Option<u64>),
    /// The sample the simulation now reads.
    Done(String),
    /// Why it stopped, and how many rows had been read.
    Failed(String),
}

/// `n rows` / `1 row`.
fn rows_text(n: usize) -> String {
    format!("{} {}", thousands(n), if n == 1 { "row" } else { "rows" })
}

/// How many rows the sample will hold: what was asked, or the table's size if smaller.
fn expected(asked: u32, total: Option<u64>) -> u64 {
    total.map_or(u64::from(asked), |t| t.min(u64::from(asked)))
}

/// A byte count as people read it: `10.0 MiB`.
fn bytes_text(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What reading is asked for: the stored rows, or a filter's query within the
/// bytes its estimate showed.
#[derive(Clone)]
struct Reading {
    place: Place,
    request: RowsRequest,
    asked: u32,
    sql_name: String,
    of: String,
}

/// Reads pages until `asked` rows, the table's end, an error or `stop`, showing
/// the progress in `status`; the rows go to `on_sampled`.
async fn read_rows(
    reading: Reading,
    status: UseStateHandle<Status>,
    stop: Rc<Cell<bool>>,
    on_sampled: Callback<Rc<SampledTable>>,
) {
    let Reading {
        place,
        mut request,
        asked,
        sql_name,
        of,
    } = reading;
    let mut rows = Vec::new();
    let mut billed = None;
    let read_at = loop {
        let remaining = asked.saturating_sub(rows.len() as u32);
        request.max_rows = remaining.min(PAGE_ROWS);
        let page = crate::api::fetch_as::<TableRows>(
            "POST",
            place.rows_path(),
            crate::api::body(&request),
        )
        .await;
        let page = match page {
            Ok(page) => page,
            Err(why) => {
                status.set(Status::Failed(format!(
                    "stopped after {}: {why}",
                    rows_text(rows.len())
                )));
                return;
            }
        };
        let take = (remaining as usize).min(page.rows.len());
        rows.extend(page.rows.into_iter().take(take));
        billed = billed.or(page.bytes_billed);
        status.set(Status::Reading(
            rows.len(),
            Some(expected(asked, page.total_rows)),
        ));
        request.page_token = page.page_token;
        request.job = page.job.or(request.job);
        request.max_bytes_billed = None;
        if request.page_token.is_none() || rows.len() >= asked as usize || take == 0 || stop.get() {
            break page.read_at;
        }
    };
    let billed = billed.map_or(String::new(), |b| {
        format!(" (BigQuery billed {})", bytes_text(b))
    });
    let label = format!(
        "{} of {of} read at {}{billed}",
        rows_text(rows.len()),
        short_time(&read_at)
    );
    status.set(Status::Done(label.clone()));
    on_sampled.emit(Rc::new(SampledTable {
        table: sql_name,
        label,
        rows,
    }));
}

/// The sampling pane of one table.
#[function_component(RowsPane)]
pub fn rows_pane(props: &Props) -> Html {
    let asked = use_state(|| DEFAULT_ROWS);
    let status = use_state(|| Status::Idle);
    let stop = use_memo((), |()| Rc::new(Cell::new(false)));

    let on_count = {
        let (asked, status) = (asked.clone(), status.clone());
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let n = input.value().trim().parse::<u32>().unwrap_or(DEFAULT_ROWS);
                asked.set(n.clamp(1, MAX_ROWS));
                // An estimate is for the LIMIT it was made with.
                if matches!(*status, Status::Estimated(_)) {
                    status.set(Status::Idle);
                }
            }
        })
    };
    let filter = use_state(String::new);
    let on_filter = {
        let (filter, status) = (filter.clone(), status.clone());
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                filter.set(input.value());
                // An estimate is for the filter it was made with.
                if matches!(*status, Status::Estimated(_) | Status::Failed(_)) {
                    status.set(Status::Idle);
                }
            }
        })
    };
    let checked = (!filter.trim().is_empty() && props.place == Place::Cloud)
        .then(|| filtered_query(&props.source, &filter, *asked));
    let of = match props.place {
        Place::Cloud => format!("{}.{}.{}", props.project, props.dataset, props.table),
        Place::Local => format!("the local table {}.{}", props.dataset, props.table),
    };
    let reading = |filter: Option<String>, max_bytes_billed: Option<u64>| Reading {
        place: props.place,
        request: RowsRequest {
            project: props.project.to_string(),
            dataset: props.dataset.to_string(),
            table: props.table.to_string(),
            max_rows: PAGE_ROWS,
            page_token: None,
            limit: filter.is_some().then_some(*asked),
            filter,
            max_bytes_billed,
            job: None::<QueryJob>,
        },
        asked: *asked,
        sql_name: props.sql_name.to_string(),
        of: of.clone(),
    };
    let start = |reading: Reading| {
        let (status, stop, on_sampled) =
            (status.clone(), (*stop).clone(), props.on_sampled.clone());
        Callback::from(move |_: MouseEvent| {
            stop.set(false);
            status.set(Status::Reading(0, None));
            wasm_bindgen_futures::spawn_local(read_rows(
                reading.clone(),
                status.clone(),
                stop.clone(),
                on_sampled.clone(),
            ));
        })
    };
    let on_read = start(reading(None, None));
    let on_estimate = {
        let status = status.clone();
        let request = EstimateRequest {
            project: props.project.to_string(),
            dataset: props.dataset.to_string(),
            table: props.table.to_string(),
            filter: filter.trim().to_string(),
            max_rows: *asked,
        };
        Callback::from(move |_: MouseEvent| {
            status.set(Status::Estimating);
            let (status, request) = (status.clone(), request.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = crate::api::fetch_as::<QueryEstimate>(
                    "POST",
                    "/api/catalog/estimate",
                    crate::api::body(&request),
                )
                .await;
                status.set(match answer {
                    Ok(estimate) => Status::Estimated(Rc::new(estimate)),
                    Err(why) => Status::Failed(format!("no estimate: {why}")),
                });
            });
        })
    };
    let on_run = match &*status {
        Status::Estimated(estimate) => Some(start(reading(
            Some(filter.trim().to_string()),
            Some(estimate.bytes_billed),
        ))),
        _ => None,
    };
    let on_stop = {
        let stop = (*stop).clone();
        Callback::from(move |_: MouseEvent| stop.set(true))
    };
    let busy = matches!(*status, Status::Reading(..) | Status::Estimating);
    let filter_error = match &checked {
        Some(Err(why)) => Some(why.clone()),
        _ => None,
    };
    html! {
        <div class="rows-pane" aria-label={format!("Sample rows of {}", props.sql_name)}>
            <p class="hint">
                { match props.place {
                    Place::Cloud => "Reads stored rows with BigQuery's tabledata.list: no query runs, so no bytes are billed. A filter makes it a query, which is billed: its cost is shown before it runs.",
                    Place::Local => "Reads the local table's rows in the order they were written.",
                } }
                { " The rows stay in this page: they are not saved or put in links." }
            </p>
            <div class="row">
                <label class="field inline">
                    <span>{ "Rows" }</span>
                    <input type="number" class="rows-count" min="1" max={MAX_ROWS.to_string()}
                        value={asked.to_string()} onchange={on_count} disabled={busy} />
                </label>
                if props.place == Place::Cloud {
                    <label class="field inline rows-filter-field">
                        <span>{ "Where" }</span>
                        <input class="rows-filter" placeholder="optional, e.g. order_status = 'Closed'" spellcheck="false"
                            value={(*filter).clone()} oninput={on_filter} disabled={busy}
                            aria-invalid={filter_error.is_some().to_string()} />
                    </label>
                }
            </div>
            if let Some(why) = &filter_error {
                <p class="run-error rows-filter-error" role="alert">{ format!("The filter: {why}") }</p>
            }
            <div class="row">
                if matches!(*status, Status::Reading(..)) {
                    <button class="secondary small" onclick={on_stop}>{ "Stop" }</button>
                } else if checked.is_some() {
                    <button class="run small estimate-rows" onclick={on_estimate} disabled={busy || filter_error.is_some()}
                        title="Run the query dry: BigQuery says what it would process, and bills nothing">{ "Estimate the query's cost" }</button>
                } else {
                    <button class="run small read-rows" onclick={on_read}>{ "Read rows" }</button>
                }
                <button class="secondary small" onclick={props.on_close.reform(|_: MouseEvent| ())} disabled={busy}>{ "Close" }</button>
            </div>
            { match &*status {
                Status::Idle => html! {},
                Status::Estimating => html! {
                    <p class="hint rows-status" role="status">{ "Running the query dry…" }</p>
                },
                Status::Estimated(estimate) => html! {
                    <div class="rows-estimate" role="status">
                        <p>
                            { format!(
                                "The query processes {} (a LIMIT does not make it read less); under on-demand pricing BigQuery bills {} for it, at least 10 MiB a query. It runs with that as its limit: BigQuery fails it rather than bill more.",
                                bytes_text(estimate.bytes_processed),
                                bytes_text(estimate.bytes_billed),
                            ) }
                        </p>
                        <code class="rows-query">{ estimate.query.clone() }</code>
                        if let Some(on_run) = on_run.clone() {
                            <div class="row">
                                <button class="run small run-query" onclick={on_run}>
                                    { format!("Run the query (bills up to {})", bytes_text(estimate.bytes_billed)) }
                                </button>
                            </div>
                        }
                    </div>
                },
                Status::Reading(read, of) => {
                    let of = of.unwrap_or(u64::from(*asked));
                    html! {
                        <div class="rows-progress" role="status">
                            <progress max={of.max(1).to_string()} value={read.to_string()} />
                            <span>{ format!("{} of {}", thousands(*read), rows_text(of as usize)) }</span>
                        </div>
                    }
                }
                Status::Done(label) => html! {
                    <p class="hint rows-status" role="status">{ format!("The simulation reads {label}.") }</p>
                },
                Status::Failed(why) => html! {
                    <p class="run-error rows-status" role="alert">{ format!("No sample: {why}") }</p>
                },
            } }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_people_write_them() {
        assert_eq!(rows_text(1), "1 row");
        assert_eq!(rows_text(1000), "1,000 rows");
        assert_eq!(expected(1000, Some(412)), 412);
        assert_eq!(expected(1000, Some(5000)), 1000);
        assert_eq!(expected(50, None), 50);
        assert_eq!(bytes_text(512), "512 bytes");
        assert_eq!(bytes_text(10 << 20), "10.0 MiB");
        assert_eq!(bytes_text(3 << 30), "3.0 GiB");
    }
}
