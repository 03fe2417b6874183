//! The destinations: the BigQuery table as a virtualized live table (newest first;
//! only the visible rows are in the page, so 100,000 rows scroll smoothly), the
//! Pub/Sub topic as a feed of messages, the dropped events, and the explanation of
//! whatever is selected.

use yew::prelude::*;

use crate::simulation::Session;

/// What the user has selected in the panel.
#[derive(Clone, Copy, PartialEq)]
pub enum Selection {
    /// An output row, by its number (0 = the first ever).
    Output(u64),
    /// A drop record, by its number.
    Dropped(u64),
}

/// The height of a table row in pixels (the CSS uses the same).
pub const ROW_PX: f64 = 24.0;
/// The table's visible height in pixels.
pub const VIEW_PX: f64 = 288.0;
/// Extra rows drawn above and below the visible ones.
const OVERSCAN: usize = 3;
/// Messages in the feed.
const FEED: u64 = 12;
/// Dropped events listed.
const DROPS: u64 = 12;

/// Which rows of `total` to draw for a scroll offset: `[first, end)`.
pub fn window(scroll_top: f64, total: usize) -> (usize, usize) {
    let first = ((scroll_top / ROW_PX).floor().max(0.0) as usize).saturating_sub(OVERSCAN);
    let shown = (VIEW_PX / ROW_PX).ceil() as usize + 2 * OVERSCAN;
    let first = first.min(total);
    (first, (first + shown).min(total))
}

/// The destination table: a scroll box as tall as all kept rows, drawing only the
/// rows in view.
pub fn destinations(
    s: &Session,
    selection: Option<Selection>,
    scroll_top: f64,
    on_scroll: &Callback<f64>,
    on_select: &Callback<Option<Selection>>,
) -> Html {
    let engine = s.engine();
    let total_all = engine.outputs_total();
    let kept = engine.outputs.len();
    let (first, end) = window(scroll_top, kept);
    // Display position i (0 = newest) is output number total_all - 1 - i.
    let rows: Vec<(u64, Vec<String>)> = (first..end)
        .filter_map(|i| {
            let abs = total_all - 1 - i as u64;
            Some((abs, s.output_cells(abs)?))
        })
        .collect();
    let columns: Vec<String> = engine
        .output_columns()
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let selected_output = match selection {
        Some(Selection::Output(abs)) => Some(abs),
        _ => None,
    };
    let onscroll = {
        let on_scroll = on_scroll.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<web_sys::Element>() {
                on_scroll.emit(f64::from(el.scroll_top()));
            }
        })
    };
    let grid = format!(
        "grid-template-columns: {};",
        column_widths(engine.output_columns())
    );
    html! {
        <>
            <h2 class="section">
                { "BigQuery destination " }
                <span class="count">{ format!("{total_all} rows, newest first") }</span>
                if (kept as u64) < total_all {
                    <span class="count">{ format!(" (the newest {kept} kept)") }</span>
                }
            </h2>
            <div id="outputs" class="vtable" role="table" aria-rowcount={kept.to_string()}>
                <div class="vhead" role="row" style={grid.clone()}>
                    { for columns.iter().map(|c| html! { <span role="columnheader">{ c.clone() }</span> }) }
                </div>
                <div class="vbody" {onscroll} style={format!("height: {VIEW_PX}px")}>
                    <div class="vspace" style={format!("height: {}px", kept as f64 * ROW_PX)}>
                        <div class="vrows" style={format!("transform: translateY({}px)", first as f64 * ROW_PX)}>
                            { for rows.into_iter().enumerate().map(|(i, (abs, cells))| {
                                let (onclick, onkeydown) = selects(on_select, Selection::Output(abs));
                                html! {
                                    // Keyed by position: a new row changes text, not the rows' order.
                                    <div key={i.to_string()} role="row" tabindex="0"
                                        class={classes!("vrow", (selected_output == Some(abs)).then_some("selected"))}
                                        style={grid.clone()} {onclick} {onkeydown}>
                                        // A value cut to its column shows whole on hover.
                                        { for cells.into_iter().map(|v| html! { <span role="cell" title={v.clone()}>{ v }</span> }) }
                                    </div>
                                }
                            }) }
                        </div>
                    </div>
                </div>
            </div>
            { explanation(s, selection, on_select) }
            <div class="feeds">
                { feed(s, on_select) }
                { drops(s, selection, on_select) }
            </div>
        </>
    }
}

/// Grid column widths by type: times are long, strings flexible, numbers short.
pub fn column_widths(columns: &[sluice_sql::plan::Column]) -> String {
    use sluice_sql::types::DataType;
    if columns.is_empty() {
        return "1fr".into();
    }
    columns
        .iter()
        .map(|c| match c.data_type {
            DataType::Timestamp | DataType::Datetime => "minmax(13.5em, 1.2fr)",
            DataType::String | DataType::Struct(_) | DataType::Array(_) => "minmax(7em, 1.5fr)",
            _ => "minmax(5.5em, 1fr)",
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Click and Enter/Space handlers that select `selection`: an output or a drop is
/// chosen (to see why) by mouse and keyboard alike.
fn selects(
    on_select: &Callback<Option<Selection>>,
    selection: Selection,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let click = {
        let on_select = on_select.clone();
        Callback::from(move |_: MouseEvent| on_select.emit(Some(selection)))
    };
    let key = {
        let on_select = on_select.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                on_select.emit(Some(selection));
            }
        })
    };
    (click, key)
}

fn feed(s: &Session, on_select: &Callback<Option<Selection>>) -> Html {
    let total = s.engine().outputs_total();
    html! {
        <section class="feed">
            <h2 class="section">{ "Pub/Sub destination " }<span class="count">{ format!("{total} messages") }</span></h2>
            <ol id="messages" class="messages">
                { for (total.saturating_sub(FEED)..total).rev().filter_map(|abs| {
                    let text = s.message(abs)?;
                    let time = s.output(abs).map(|o| o.time).filter(|t| *t > i64::MIN);
                    let (onclick, onkeydown) = selects(on_select, Selection::Output(abs));
                    Some(html! {
                        <li tabindex="0" {onclick} {onkeydown}>
                            <span class="when">{ time.map(|t| sluice_engine::Value::Timestamp(t).to_string()).unwrap_or_default() }</span>
                            <code>{ text }</code>
                        </li>
                    })
                }) }
            </ol>
        </section>
    }
}

fn drops(
    s: &Session,
    selection: Option<Selection>,
    on_select: &Callback<Option<Selection>>,
) -> Html {
    let engine = s.engine();
    let total = s.dropped_records();
    let reasons = engine.drop_summary();
    html! {
        <section class="drops">
            <h2 class="section">{ "Dropped events " }<span class="count">{ format!("{}", engine.accounting().1) }</span></h2>
            <ol id="dropped" class="messages">
                { for (total.saturating_sub(DROPS)..total).rev().filter_map(|abs| {
                    let d = s.dropped(abs)?;
                    let node = &engine.nodes()[d.node];
                    let (onclick, onkeydown) = selects(on_select, Selection::Dropped(abs));
                    let events = d.events.to_vec();
                    let selected = selection == Some(Selection::Dropped(abs));
                    Some(html! {
                        <li class={classes!(selected.then_some("selected"))} tabindex="0" {onclick} {onkeydown}>
                            <span class="when">{ format!("event #{}", events.first().copied().unwrap_or_default()) }</span>
                            <span>{ format!("{} at {} {}", d.reason.kind(), node.id, node.kind) }</span>
                        </li>
                    })
                }) }
            </ol>
            if !reasons.is_empty() {
                <ul id="reasons" class="reasons">
                    { for reasons.iter().map(|(reason, n)| html! { <li><span class="num">{ n }</span>{ " " }{ reason.clone() }</li> }) }
                </ul>
            }
        </section>
    }
}

fn explanation(
    s: &Session,
    selection: Option<Selection>,
    on_select: &Callback<Option<Selection>>,
) -> Html {
    let close = {
        let on_select = on_select.clone();
        Callback::from(move |_: MouseEvent| on_select.emit(None))
    };
    let body = match selection {
        None => return html! {},
        Some(Selection::Output(abs)) => match s.explain(abs) {
            None => html! { <p>{ "This row is no longer kept." }</p> },
            Some(why) => html! {
                <>
                    <h2 class="section">{ format!("Why row {} exists", abs + 1) }</h2>
                    <p>{ "Row: " }<code>{ s.message(abs).unwrap_or_default() }</code></p>
                    { for why.events.iter().map(|(e, payload)| html! {
                        <p>{ format!("Stream event #{e}: ") }<code>{ payload.clone().unwrap_or_else(|| "(no longer kept)".into()) }</code></p>
                    }) }
                    { for why.bounded.iter().map(|(op, row, behind)| html! {
                        <p>{ format!("joined with {row} (from operator {op}, computed from {behind} table rows)") }</p>
                    }) }
                    if why.events.is_empty() && why.bounded.is_empty() {
                        <p>{ "A constant row: no input produced it." }</p>
                    }
                </>
            },
        },
        Some(Selection::Dropped(abs)) => match s.dropped(abs) {
            None => html! { <p>{ "This drop is no longer kept." }</p> },
            Some(d) => {
                let node = &s.engine().nodes()[d.node];
                html! {
                    <>
                        <h2 class="section">{ format!("Why event #{} was dropped", d.events.to_vec().first().copied().unwrap_or_default()) }</h2>
                        <p>{ format!("Operator {} {}: ", node.id, node.kind) }<code>{ crate::components::graph::detail(&node.label) }</code></p>
                        <p>{ s.engine().reason_text(d) }</p>
                        { for d.events.to_vec().into_iter().take(5).map(|e| html! {
                            <p>{ format!("Event #{e}: ") }<code>{ s.event_text(e).unwrap_or_else(|| "(no longer kept)".to_string()) }</code></p>
                        }) }
                    </>
                }
            }
        },
    };
    html! {
        <div id="why" class="why">
            <button class="close" onclick={close} aria-label="Close the explanation">{ "×" }</button>
            { body }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_view_with_overscan() {
        assert_eq!(window(0.0, 0), (0, 0));
        assert_eq!(window(0.0, 5), (0, 5));
        let (first, end) = window(ROW_PX * 1000.0, 100_000);
        assert_eq!(first, 1000 - OVERSCAN);
        assert_eq!(end - first, (VIEW_PX / ROW_PX) as usize + 2 * OVERSCAN);
        assert_eq!(window(ROW_PX * 1e9, 10), (10, 10));
    }
}
