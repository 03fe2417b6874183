//! The Sluice playground's user interface, a Yew app compiled to wasm.
//!
//! Boundary: rendering and interaction only. Analysis, simulation and data
//! generation are calls into `sluice-sql`, `sluice-engine` and `sluice-datagen`,
//! the same code the CLI runs; nothing is re-implemented in JavaScript.

pub mod editor;
pub mod simulation;

use sluice_sql::{Catalog, Severity, analyze};
use yew::prelude::*;

use simulation::{Outcome, Settings};

/// The root component: the query editor with its problems, and a simulation run.
#[function_component(App)]
pub fn app() -> Html {
    let query = use_state(|| sluice_sql::reference::QUERY.to_string());
    let outcome = use_state(|| None::<Result<Outcome, String>>);
    let settings = use_state(Settings::default);
    let selected = use_state(|| None::<usize>);
    let catalog = use_memo((), |_| Catalog::reference());
    let analysis = use_memo((*query).clone(), |sql| analyze(sql, &catalog));
    let on_change = {
        let query = query.clone();
        Callback::from(move |text: String| query.set(text))
    };
    let jump = use_state(|| None::<(u32, u32, u32)>);
    let on_jump = {
        let jump = jump.clone();
        Callback::from(move |(line, column): (u32, u32)| {
            let n = jump.map_or(0, |(_, _, n)| n + 1);
            jump.set(Some((line, column, n)));
        })
    };
    let diagnostics_json = {
        let analysis = analysis.clone();
        use_memo((*query).clone(), move |_| {
            std::rc::Rc::new(analysis.to_json()["diagnostics"].to_string())
        })
    };
    let errors = analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let on_run = {
        let outcome = outcome.clone();
        let analysis = analysis.clone();
        let catalog = catalog.clone();
        let settings = settings.clone();
        let selected = selected.clone();
        Callback::from(move |()| {
            let result = match &analysis.plan {
                Some(plan) => simulation::run(plan, &catalog, &settings),
                None => Err("fix the query's errors first".to_string()),
            };
            selected.set(None);
            outcome.set(Some(result));
        })
    };
    let on_click_run = on_run.reform(|_: MouseEvent| ());
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |i: usize| selected.set(Some(i)))
    };
    html! {
        <div class="app">
            <header class="topbar">
                <h1 class="brand">{ "Sluice" }</h1>
                <span class="tagline">{ "Streaming SQL for Google Cloud Dataflow" }</span>
            </header>
            <main class="workspace">
                <section class="editor-pane">
                    <label class="editor-label" for="query">{ "Query" }</label>
                    <editor::QueryEditor initial={sluice_sql::reference::QUERY.to_string()}
                        diagnostics={(*diagnostics_json).clone()} jump={*jump}
                        on_change={on_change} on_run={on_run} />
                    { problems(&analysis.diagnostics, &on_jump) }
                    <div class="actions">
                        <button id="run" class="run" onclick={on_click_run} disabled={errors > 0}>
                            { "Run simulation" }
                        </button>
                    </div>
                    { generator(&settings) }
                </section>
                <section class="results-pane" aria-live="polite">
                    { match &*outcome {
                        None => html! { <p class="placeholder">{ "Run the simulation to see what the pipeline would write." }</p> },
                        Some(Err(e)) => html! { <p class="run-error">{ e.clone() }</p> },
                        Some(Ok(o)) => results(o, *selected, &on_select),
                    } }
                </section>
            </main>
        </div>
    }
}

fn problems(diagnostics: &[sluice_sql::Diagnostic], on_jump: &Callback<(u32, u32)>) -> Html {
    if diagnostics.is_empty() {
        return html! { <p id="problems" class="problems ok">{ "No problems" }</p> };
    }
    html! {
        <ul id="problems" class="problems">
            { for diagnostics.iter().map(|d| {
                let severity = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let onclick = {
                    let on_jump = on_jump.clone();
                    let at = (d.span.start.line as u32, d.span.start.column as u32);
                    Callback::from(move |_: MouseEvent| on_jump.emit(at))
                };
                html! {
                    <li class={classes!("problem", severity)} {onclick} title="Go to the problem">
                        <span class="where">{ format!("{}:{}", d.span.start.line, d.span.start.column) }</span>
                        <span class="code">{ d.code.to_string() }</span>
                        <span class="message">{ d.message.clone() }</span>
                        if let Some(hint) = &d.hint {
                            <span class="fix">{ hint.clone() }</span>
                        }
                    </li>
                }
            }) }
        </ul>
    }
}

/// A number input bound to one generator setting.
fn number(
    id: &'static str,
    label: &'static str,
    value: u64,
    max: u64,
    settings: &UseStateHandle<Settings>,
    set: fn(&mut Settings, u64),
) -> Html {
    let settings = settings.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>()
            && let Ok(v) = input.value().trim().parse::<u64>()
        {
            let mut next = *settings;
            set(&mut next, v.min(max));
            settings.set(next);
        }
    });
    html! {
        <label class="field" for={id}>
            <span>{ label }</span>
            <input id={id} type="number" min="0" max={max.to_string()} value={value.to_string()} {oninput} />
        </label>
    }
}

fn generator(settings: &UseStateHandle<Settings>) -> Html {
    let s = **settings;
    html! {
        <fieldset class="generator">
            <legend>{ "Generated data (same seed, same data)" }</legend>
            { number("customers", "Customers", s.batch.customer_count, 100_000, settings, |s, v| s.batch.customer_count = v.max(1)) }
            { number("orders", "Batch orders", s.batch.order_count, 1_000_000, settings, |s, v| s.batch.order_count = v) }
            { number("events", "Stream events", s.events as u64, 1_000_000, settings, |s, v| s.events = v as usize) }
            { number("seed", "Seed", s.batch.seed, u64::MAX, settings, |s, v| s.batch.seed = v) }
            { number("open", "Open %", u64::from(s.status_mix.open), 100, settings, |s, v| s.status_mix.open = v as u32) }
            { number("closed", "Closed %", u64::from(s.status_mix.closed), 100, settings, |s, v| s.status_mix.closed = v as u32) }
            { number("cancelled", "Cancelled %", u64::from(s.status_mix.cancelled), 100, settings, |s, v| s.status_mix.cancelled = v as u32) }
        </fieldset>
    }
}

fn explanation(o: &Outcome, i: usize) -> Html {
    let Some(why) = o.why.get(i) else {
        return html! {};
    };
    html! {
        <div id="why" class="why">
            <h2 class="section">{ "Why this row" }</h2>
            <p>{ format!("Stream event {}", why.events.iter().map(|e| format!("#{e}")).collect::<Vec<_>>().join(", ")) }</p>
            { for why.bounded.iter().map(|(op, row, behind)| html! {
                <p>{ format!("joined with {row} (from operator {op}, computed from {behind} table rows)") }</p>
            }) }
        </div>
    }
}

fn results(o: &Outcome, selected: Option<usize>, on_select: &Callback<usize>) -> Html {
    let (events, emitted, dropped, pending) = o.events;
    html! {
        <>
            <p id="summary" class="summary">
                { format!("{events} events: {emitted} emitted, {dropped} dropped, {pending} pending · {} rows to BigQuery and Pub/Sub", o.total_rows) }
            </p>
            <h2 class="section">{ format!("Output rows (newest first, {} shown)", o.rows.len()) }</h2>
            <div class="table-scroll">
                <table id="outputs" class="grid">
                    <thead><tr>{ for o.columns.iter().map(|c| html! { <th>{ c.clone() }</th> }) }</tr></thead>
                    <tbody>
                        { for o.rows.iter().enumerate().map(|(i, row)| {
                            let onclick = {
                                let on_select = on_select.clone();
                                Callback::from(move |_: MouseEvent| on_select.emit(i))
                            };
                            html! {
                                <tr class={classes!("clickable", (selected == Some(i)).then_some("selected"))} {onclick}>
                                    { for row.iter().map(|v| html! { <td>{ v.clone() }</td> }) }
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
            if let Some(i) = selected {
                { explanation(o, i) }
            }
            <h2 class="section">{ "Operators" }</h2>
            <table id="operators" class="grid">
                <thead><tr><th>{ "#" }</th><th>{ "Operator" }</th><th class="num">{ "In" }</th><th class="num">{ "Out" }</th><th class="num">{ "Dropped" }</th></tr></thead>
                <tbody>
                    { for o.operators.iter().map(|op| html! {
                        <tr class={classes!(op.bounded.then_some("bounded"))}>
                            <td>{ op.id }</td>
                            <td class="label" title={op.label.clone()}>{ op.label.clone() }</td>
                            <td class="num">{ op.rows_in }</td>
                            <td class="num">{ op.rows_out }</td>
                            <td class="num">{ op.dropped }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if !o.reasons.is_empty() {
                <h2 class="section">{ "Why events were dropped" }</h2>
                <ul id="reasons" class="reasons">
                    { for o.reasons.iter().map(|(reason, n)| html! { <li><span class="num">{ n }</span>{ " " }{ reason.clone() }</li> }) }
                </ul>
            }
        </>
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;
    use web_sys::wasm_bindgen::JsCast;
    wasm_bindgen_test_configure!(run_in_browser);

    /// Renders the app into a fresh element of the page and lets it settle.
    async fn mount() -> web_sys::Element {
        let document = gloo_utils::document();
        let root = document.create_element("div").expect("div");
        document
            .body()
            .expect("body")
            .append_child(&root)
            .expect("append");
        yew::Renderer::<App>::with_root(root.clone()).render();
        yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
        root
    }

    #[wasm_bindgen_test]
    async fn app_renders_the_name_and_the_reference_query() {
        let root = mount().await;

        let heading = root.query_selector("h1").expect("query").expect("an h1");
        assert_eq!(heading.text_content().as_deref(), Some("Sluice"));
        let editor = root
            .query_selector("#query .cm-content")
            .expect("query")
            .expect("the CodeMirror editor");
        let text = editor.text_content().unwrap_or_default();
        assert!(text.contains("eligible_customers AS ("), "{text}");
        let problems = root
            .query_selector("#problems")
            .expect("query")
            .expect("problems");
        assert_eq!(problems.text_content().as_deref(), Some("No problems"));
    }

    #[wasm_bindgen_test]
    async fn running_the_simulation_shows_rows_operators_and_reasons() {
        let root = mount().await;
        let run: web_sys::HtmlElement = root
            .query_selector("button#run")
            .expect("query")
            .expect("the run button")
            .dyn_into()
            .expect("a button");
        run.click();
        yew::platform::time::sleep(std::time::Duration::from_millis(200)).await;
        let summary = root
            .query_selector("#summary")
            .expect("query")
            .expect("a summary");
        let text = summary.text_content().unwrap_or_default();
        assert!(text.starts_with("500 events:"), "{text}");
        let rows = root.query_selector_all("#outputs tbody tr").expect("rows");
        assert!(rows.length() > 0);
        let operators = root
            .query_selector_all("#operators tbody tr")
            .expect("operators");
        assert_eq!(operators.length(), 9);
        let reasons = root
            .query_selector("#reasons")
            .expect("query")
            .expect("reasons");
        assert!(
            reasons
                .text_content()
                .unwrap_or_default()
                .contains("no join match at 2 Join")
        );
    }
}
