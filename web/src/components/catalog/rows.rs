//! A table's rows sampled from the project (`POST /api/catalog/rows`, a page at a
//! time, with a progress bar), for the simulation to read instead of generated
//! rows. `tabledata.list` runs no query, so BigQuery bills no bytes for it; the
//! pane says so before anything is read.

use std::cell::Cell;
use std::rc::Rc;

use sluice_deploy::rows::{MAX_ROWS, PAGE_ROWS};
use sluice_deploy::wire::{RowsRequest, TableRows};
use sluice_engine::thousands;
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

/// The sampling pane of one table.
#[function_component(RowsPane)]
pub fn rows_pane(props: &Props) -> Html {
    let asked = use_state(|| DEFAULT_ROWS);
    let status = use_state(|| Status::Idle);
    let stop = use_memo((), |()| Rc::new(Cell::new(false)));

    let on_count = {
        let asked = asked.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let n = input.value().trim().parse::<u32>().unwrap_or(DEFAULT_ROWS);
                asked.set(n.clamp(1, MAX_ROWS));
            }
        })
    };
    let on_read = {
        let (asked, status, stop) = (*asked, status.clone(), (*stop).clone());
        let (project, dataset, table) = (
            props.project.to_string(),
            props.dataset.to_string(),
            props.table.to_string(),
        );
        let (sql_name, on_sampled, place) = (
            props.sql_name.to_string(),
            props.on_sampled.clone(),
            props.place,
        );
        Callback::from(move |_: MouseEvent| {
            stop.set(false);
            status.set(Status::Reading(0, None));
            let (status, stop, on_sampled) = (status.clone(), stop.clone(), on_sampled.clone());
            let (project, dataset, table, sql_name) = (
                project.clone(),
                dataset.clone(),
                table.clone(),
                sql_name.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let mut rows = Vec::new();
                let mut token: Option<String> = None;
                let read_at = loop {
                    let remaining = asked.saturating_sub(rows.len() as u32);
                    let request = RowsRequest {
                        project: project.clone(),
                        dataset: dataset.clone(),
                        table: table.clone(),
                        max_rows: remaining.min(PAGE_ROWS),
                        page_token: token.clone(),
                    };
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
                    status.set(Status::Reading(
                        rows.len(),
                        Some(expected(asked, page.total_rows)),
                    ));
                    token = page.page_token;
                    if token.is_none() || rows.len() >= asked as usize || take == 0 || stop.get() {
                        break page.read_at;
                    }
                };
                let of = match place {
                    Place::Cloud => format!("{project}.{dataset}.{table}"),
                    Place::Local => format!("the local table {dataset}.{table}"),
                };
                let label = format!(
                    "{} of {of} read at {}",
                    rows_text(rows.len()),
                    short_time(&read_at)
                );
                status.set(Status::Done(label.clone()));
                on_sampled.emit(Rc::new(SampledTable {
                    table: sql_name,
                    label,
                    rows,
                }));
            });
        })
    };
    let on_stop = {
        let stop = (*stop).clone();
        Callback::from(move |_: MouseEvent| stop.set(true))
    };
    let reading = matches!(*status, Status::Reading(..));
    html! {
        <div class="rows-pane" aria-label={format!("Sample rows of {}", props.sql_name)}>
            <p class="hint">
                { match props.place {
                    Place::Cloud => "Reads stored rows with BigQuery's tabledata.list: no query runs, so no bytes are billed.",
                    Place::Local => "Reads the local table's rows in the order they were written.",
                } }
                { " The rows stay in this page: they are not saved or put in links." }
            </p>
            <div class="row">
                <label class="field inline">
                    <span>{ "Rows" }</span>
                    <input type="number" class="rows-count" min="1" max={MAX_ROWS.to_string()}
                        value={asked.to_string()} onchange={on_count} disabled={reading} />
                </label>
                if reading {
                    <button class="secondary small" onclick={on_stop}>{ "Stop" }</button>
                } else {
                    <button class="run small read-rows" onclick={on_read}>{ "Read rows" }</button>
                }
                <button class="secondary small" onclick={props.on_close.reform(|_: MouseEvent| ())} disabled={reading}>{ "Close" }</button>
            </div>
            { match &*status {
                Status::Idle => html! {},
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
    }
}
