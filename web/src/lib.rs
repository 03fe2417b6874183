//! The Sluice playground's user interface, a Yew app compiled to wasm.
//!
//! Boundary: rendering and interaction only. Analysis, simulation and data
//! generation are calls into `sluice-sql`, `sluice-engine` and `sluice-datagen`,
//! the same code the CLI runs; nothing is re-implemented in JavaScript.

pub mod api;
pub mod components;
pub mod share;
pub mod simulation;
pub mod state;
pub mod timing;

use std::rc::Rc;

use sluice_sql::{Severity, analyze};
use yew::prelude::*;

use components::{catalog, deploy, editor, simulator};
use share::Scenario;
use simulation::{MAX_CUSTOMERS, MAX_EVENTS, MAX_GAP_MILLIS, MAX_ORDERS, Settings};
use state::{Action, Settled, State, Theme};

/// Where the first scenario came from: a link, the browser's storage, or the defaults.
fn initial_scenario() -> (Scenario, Vec<String>) {
    let window = web_sys::window();
    let hash = window
        .as_ref()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    if let Some(text) = share::from_fragment(&hash) {
        return match Scenario::decode(text) {
            Ok(found) => found,
            Err(e) => (Scenario::default(), vec![e]),
        };
    }
    let saved = window
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(share::STORAGE_KEY).ok().flatten());
    match saved.map(|text| Scenario::decode(&text)) {
        Some(Ok(found)) => found,
        Some(Err(e)) => (
            Scenario::default(),
            vec![format!("the saved scenario: {e}")],
        ),
        None => (Scenario::default(), Vec::new()),
    }
}

/// How long to wait after a change before analyzing a query of `len` bytes.
pub fn debounce_ms(len: usize) -> u32 {
    if len < 32 * 1024 {
        0
    } else {
        (100 + len / 8192).min(400) as u32
    }
}

/// The longest address Sluice writes (Chromium takes 2 MB); larger scenarios are kept
/// in localStorage only.
const MAX_URL: usize = 1 << 20;

/// Saves the scenario a change made once the browser has painted that change (a
/// keystroke's diagnostic does not wait for it), or at once when the page is hidden
/// or its link copied, so nothing typed is lost.
#[derive(Default)]
struct Keeper {
    /// The scenario to save (the newest change's).
    pending: Option<Scenario>,
}

impl Keeper {
    /// Saves `scenario` after the next paint ([`timing::after_paint`]); a newer
    /// change replaces an older one not yet saved (whose save is already asked for).
    fn later(this: &Rc<std::cell::RefCell<Keeper>>, scenario: Scenario) {
        if this.borrow_mut().pending.replace(scenario).is_some() {
            return;
        }
        let weak = Rc::downgrade(this);
        timing::after_paint(move || {
            if let Some(this) = weak.upgrade() {
                Keeper::now(&this);
            }
        });
    }

    /// Saves the pending scenario, if any, now.
    fn now(this: &Rc<std::cell::RefCell<Keeper>>) {
        let pending = this.borrow_mut().pending.take();
        if let Some(scenario) = pending {
            timing::mark("sluice:keep-start");
            keep(&scenario);
            timing::measure("sluice:keep", "sluice:keep-start");
        }
    }
}

/// Saves the scenario in the browser and in the address bar (without a history entry).
fn keep(scenario: &Scenario) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let text = scenario.encode();
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(share::STORAGE_KEY, &text);
    }
    if text.len() > MAX_URL {
        return;
    }
    if let Ok(history) = window.history() {
        let url = format!("#{}={text}", share::KEY);
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

const THEME_KEY: &str = "sluice.theme";

fn stored_theme() -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(THEME_KEY)
        .ok()?
}

fn system_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

fn apply_theme(theme: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", theme);
    }
}

/// The root component: the query editor with its problems, the catalog and the
/// generator settings on the left, the live simulation on the right.
#[function_component(App)]
pub fn app() -> Html {
    timing::mark("sluice:app-start");
    use_effect(|| timing::measure("sluice:app", "sluice:app-start"));
    let initial = use_memo((), |_| {
        api::capture_token();
        initial_scenario()
    });
    let deploy_panel = use_node_ref();
    let state = use_reducer_eq(|| {
        let theme = stored_theme()
            .as_deref()
            .and_then(Theme::parse)
            .unwrap_or(if system_dark() {
                Theme::Dark
            } else {
                Theme::Light
            });
        State::new(initial.0.clone(), initial.1.clone(), theme)
    });
    let dispatch = state.dispatcher();
    let keeper = use_mut_ref(Keeper::default);

    // The analysis, its plan and its diagnostics as the editor's JSON, once a text.
    let analysis = use_memo(
        (state.query.clone(), state.catalog.clone()),
        |(sql, catalog)| {
            timing::mark("sluice:analyze-start");
            let mut analysis = analyze(sql, catalog);
            // A query that simulates but that Dataflow cannot run says so as it is typed.
            if let Some(plan) = analysis.plan.as_ref().filter(|_| !analysis.has_errors())
                && let Some(warning) = sluice_deploy::pipeline::deploy_warning(plan)
            {
                analysis.diagnostics.push(warning);
            }
            let plan = analysis.plan.clone().map(Rc::new);
            let analysed = match &plan {
                Some(plan) if !analysis.has_errors() => deploy::Analysed::Plan(plan.clone()),
                _ => deploy::Analysed::Problems(Rc::new(analysis.diagnostics.clone())),
            };
            let json = Rc::new(analysis.to_json()["diagnostics"].to_string());
            timing::measure("sluice:analyze", "sluice:analyze-start");
            (analysis, plan, json, analysed)
        },
    );
    // The simulation and the deploy panel follow the query once the browser has
    // painted the keystroke's diagnostic, so typing never waits for a simulation to
    // rebuild; Run (Ctrl+Enter) brings them up to date at once.
    let current = Settled {
        query: state.query.clone(),
        plan: analysis.1.clone(),
        analysed: analysis.3.clone(),
    };
    let settled = state.settled.clone().unwrap_or_else(|| current.clone());
    // The newest change: a deferred update for an older one is dropped.
    let newest = use_mut_ref(|| 0u64);
    {
        let (dispatch, shown) = (dispatch.clone(), state.settled.clone());
        use_effect_with(current.clone(), move |current| {
            let generation = {
                let mut n = newest.borrow_mut();
                *n += 1;
                *n
            };
            if shown.as_ref() != Some(current) {
                let current = current.clone();
                timing::after_paint(move || {
                    if *newest.borrow() == generation {
                        dispatch.dispatch(Action::Settled(current));
                    }
                });
            }
        });
    }
    use_effect_with(state.theme, |theme| apply_theme(theme.as_str()));
    {
        let scenario = Scenario {
            query: state.query.clone(),
            catalog: (*state.catalog).clone(),
            settings: state.settings,
        };
        let (dispatch, copied) = (dispatch.clone(), state.copied.is_some());
        let keeper = keeper.clone();
        use_effect_with(scenario, move |scenario| {
            Keeper::later(&keeper, scenario.clone());
            if copied {
                dispatch.dispatch(Action::LinkCopied(None));
            }
        });
    }
    {
        // A change not yet saved is saved when the page goes away.
        let keeper = keeper.clone();
        use_effect_with((), move |_| {
            let listener = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
                Keeper::now(&keeper);
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "pagehide",
                    wasm_bindgen::JsCast::unchecked_ref(listener.as_ref()),
                );
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback(
                        "pagehide",
                        wasm_bindgen::JsCast::unchecked_ref(listener.as_ref()),
                    );
                }
            }
        });
    }
    // Analysis follows typing: in the keystroke's own task for everyday queries (the
    // diagnostic is painted in the next frame), after a pause in typing for very
    // large ones (whose analysis takes longer than a keystroke).
    let pending = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);
    let on_change = {
        let dispatch = dispatch.clone();
        Callback::from(move |text: String| {
            let delay = debounce_ms(text.len());
            if delay == 0 {
                pending.borrow_mut().take();
                dispatch.dispatch(Action::QueryEdited(text));
                return;
            }
            let dispatch = dispatch.clone();
            *pending.borrow_mut() = Some(gloo_timers::callback::Timeout::new(delay, move || {
                dispatch.dispatch(Action::QueryEdited(text))
            }));
        })
    };
    let on_jump = {
        let dispatch = dispatch.clone();
        Callback::from(move |(line, column): (u32, u32)| {
            dispatch.dispatch(Action::JumpedTo(line, column))
        })
    };
    let on_run = {
        let (dispatch, current) = (dispatch.clone(), current.clone());
        Callback::from(move |()| dispatch.dispatch(Action::Ran(current.clone())))
    };
    // The same callback in every render, so the catalog panel is not rendered again
    // for each keystroke (the reducer renames with the newest query).
    let on_catalog = {
        let dispatch = dispatch.clone();
        use_callback((), move |change: catalog::Change, _| {
            dispatch.dispatch(Action::CatalogChanged(change))
        })
    };
    let on_sample = {
        let dispatch = dispatch.clone();
        use_callback((), move |sample: Rc<simulation::SampledStream>, _| {
            dispatch.dispatch(Action::Sampled(Some(sample)))
        })
    };
    let on_generated = {
        let dispatch = dispatch.clone();
        use_callback((), move |(), _| dispatch.dispatch(Action::Sampled(None)))
    };
    let on_table_sample = {
        let dispatch = dispatch.clone();
        use_callback((), move |table: Rc<simulation::SampledTable>, _| {
            dispatch.dispatch(Action::TableSampled(table))
        })
    };
    let on_generated_tables = {
        let dispatch = dispatch.clone();
        use_callback((), move |(), _| dispatch.dispatch(Action::TablesGenerated))
    };
    let on_format = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Formatted))
    };
    let on_theme = {
        let (dispatch, next) = (dispatch.clone(), state.theme.toggled());
        Callback::from(move |_: MouseEvent| {
            if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten())
            {
                let _ = storage.set_item(THEME_KEY, next.as_str());
            }
            dispatch.dispatch(Action::ThemeToggled);
        })
    };
    let on_copy = {
        let dispatch = dispatch.clone();
        let keeper = keeper.clone();
        Callback::from(move |_: MouseEvent| {
            Keeper::now(&keeper);
            if let Some(window) = web_sys::window()
                && let Ok(href) = window.location().href()
            {
                let written = window.navigator().clipboard().write_text(&href);
                let dispatch = dispatch.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let ok = wasm_bindgen_futures::JsFuture::from(written).await.is_ok();
                    dispatch.dispatch(Action::LinkCopied(Some(ok)));
                });
            }
        })
    };
    let on_open_deploy = {
        let deploy_panel = deploy_panel.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(details) = deploy_panel.cast::<web_sys::HtmlDetailsElement>() {
                details.set_open(true);
                details.scroll_into_view();
            }
        })
    };
    let on_deploy_toggle = {
        let (deploy_panel, dispatch, seen) =
            (deploy_panel.clone(), dispatch.clone(), state.deploy_seen);
        Callback::from(move |_: Event| {
            if !seen
                && deploy_panel
                    .cast::<web_sys::HtmlDetailsElement>()
                    .is_some_and(|d| d.open())
            {
                dispatch.dispatch(Action::DeployOpened);
            }
        })
    };
    let dismiss = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::NoticesDismissed))
    };
    let on_settings = {
        let dispatch = dispatch.clone();
        Callback::from(move |settings: Settings| {
            dispatch.dispatch(Action::SettingsChanged(settings))
        })
    };
    let settings = state.settings;
    let (analysis, plan, diagnostics_json, _) = &*analysis;
    let errors = analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    html! {
        <div class="app">
            <header class="topbar">
                <h1 class="brand">{ "Sluice" }</h1>
                <span class="tagline">{ "Streaming SQL for Google Cloud Dataflow" }</span>
                <span class="spacer"></span>
                <button id="copy-link" class="secondary" onclick={on_copy} title="Copy a link that restores this query, catalog and simulation">
                    { match state.copied {
                        Some(true) => "Link copied",
                        Some(false) => "Copy failed: copy the address bar",
                        None => "Copy link",
                    } }
                </button>
                <button id="open-deploy" onclick={on_open_deploy} title="Compile the query for Dataflow and deploy it">{ "Deploy…" }</button>
                <button id="theme" class="secondary" onclick={on_theme} title="Switch between light and dark">
                    { if state.theme == Theme::Dark { "Light theme" } else { "Dark theme" } }
                </button>
            </header>
            if !state.notices.is_empty() {
                <div class="notice" role="status">
                    { for state.notices.iter().map(|n| html! { <p>{ n.clone() }</p> }) }
                    <button class="close" onclick={dismiss} aria-label="Dismiss">{ "×" }</button>
                </div>
            }
            <main class="workspace">
                <section class="editor-pane">
                    <div class="pane-head">
                        <span class="editor-label" id="query-label">{ "Query" }</span>
                        <span class="spacer"></span>
                        <span class="hint">{ "Ctrl+Enter runs · Ctrl+Space completes" }</span>
                        <button id="format" class="secondary small" onclick={on_format} title="Lay the query out one clause a line">{ "Format" }</button>
                    </div>
                    <editor::QueryEditor initial={state.query.clone()}
                        catalog={state.catalog.clone()}
                        diagnostics={diagnostics_json.clone()} jump={state.jump}
                        replace={state.replace.clone()}
                        on_change={on_change} on_run={on_run} />
                    { problems(&analysis.diagnostics, &on_jump) }
                    if errors == 0 && plan.is_none() {
                        <p class="hint">{ "The query has no plan." }</p>
                    }
                    <details class="panel" open={true}>
                        <summary>{ "Catalog" }</summary>
                        <catalog::CatalogPanel catalog={state.catalog.clone()} on_change={on_catalog} on_sample={on_sample} on_table_sample={on_table_sample} />
                    </details>
                    <details class="panel" open={true}>
                        <summary>{ "Generated data" }</summary>
                        { generator(settings, &on_settings) }
                    </details>
                    <details class="panel" id="deploy-panel" ref={deploy_panel} ontoggle={on_deploy_toggle}>
                        <summary>{ "Deploy to Dataflow" }</summary>
                        if state.deploy_seen {
                            <deploy::DeployPanel query={AttrValue::from(settled.query.clone())}
                                analysed={settled.analysed.clone()}
                                catalog={state.catalog.clone()} on_jump={on_jump.clone()}
                                generated={(settings.batch.customer_count, settings.batch.order_count, settings.batch.seed,
                                    [settings.batch.status_mix.open, settings.batch.status_mix.closed, settings.batch.status_mix.cancelled])} />
                        }
                    </details>
                </section>
                <section class="results-pane">
                    <simulator::Simulator plan={settled.plan.clone()} catalog={state.catalog.clone()}
                        settings={settings} run={state.run} samples={state.samples.clone()}
                        on_generated={on_generated} on_generated_tables={on_generated_tables} />
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
                let at = (d.span.start.line as u32, d.span.start.column as u32);
                let onclick = {
                    let on_jump = on_jump.clone();
                    Callback::from(move |_: MouseEvent| on_jump.emit(at))
                };
                let onkeydown = {
                    let on_jump = on_jump.clone();
                    Callback::from(move |e: KeyboardEvent| {
                        if e.key() == "Enter" || e.key() == " " {
                            e.prevent_default();
                            on_jump.emit(at);
                        }
                    })
                };
                html! {
                    <li class={classes!("problem", severity)} {onclick} {onkeydown} tabindex="0" title="Go to the problem">
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
    settings: Settings,
    on_settings: &Callback<Settings>,
    set: fn(&mut Settings, u64),
) -> Html {
    let on_settings = on_settings.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>()
            && let Ok(v) = input.value().trim().parse::<u64>()
        {
            let mut next = settings;
            set(&mut next, v.min(max));
            on_settings.emit(next);
        }
    });
    html! {
        <label class="field" for={id}>
            <span>{ label }</span>
            <input id={id} type="number" min="0" max={max.to_string()} value={value.to_string()} {oninput} />
        </label>
    }
}

fn generator(s: Settings, on_settings: &Callback<Settings>) -> Html {
    let random_seed = {
        let on_settings = on_settings.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = s;
            next.batch.seed = (random_unit() * 1e9) as u64;
            on_settings.emit(next);
        })
    };
    html! {
        <fieldset class="generator">
            <legend class="hint">{ "Same seed, same data. Changes apply when the simulation starts over." }</legend>
            { number("customers", "Customers", s.batch.customer_count, MAX_CUSTOMERS, s, on_settings, |s, v| s.batch.customer_count = v.max(1)) }
            { number("orders", "Batch orders", s.batch.order_count, MAX_ORDERS, s, on_settings, |s, v| s.batch.order_count = v) }
            { number("events", "Stop after events", s.events, MAX_EVENTS, s, on_settings, |s, v| s.events = v) }
            { number("gap-min", "Gap min (ms)", s.gap_millis.0, MAX_GAP_MILLIS, s, on_settings, |s, v| s.gap_millis = (v, s.gap_millis.1.max(v).max(1))) }
            { number("gap-max", "Gap max (ms)", s.gap_millis.1, MAX_GAP_MILLIS, s, on_settings, |s, v| s.gap_millis = (s.gap_millis.0.min(v), v.max(1))) }
            { number("seed", "Seed", s.batch.seed, u64::MAX, s, on_settings, |s, v| s.batch.seed = v) }
            { number("open", "Open %", u64::from(s.status_mix.open), 100, s, on_settings, |s, v| s.status_mix.open = v as u32) }
            { number("closed", "Closed %", u64::from(s.status_mix.closed), 100, s, on_settings, |s, v| s.status_mix.closed = v as u32) }
            { number("cancelled", "Cancelled %", u64::from(s.status_mix.cancelled), 100, s, on_settings, |s, v| s.status_mix.cancelled = v as u32) }
            <button id="random-seed" type="button" class="secondary small" onclick={random_seed}>{ "Random seed" }</button>
        </fieldset>
    }
}

fn random_unit() -> f64 {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| {
            let mut bytes = [0u8; 4];
            c.get_random_values_with_u8_array(&mut bytes).ok()?;
            Some(f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX))
        })
        .unwrap_or(0.5)
}

#[cfg(test)]
mod native_tests {
    use super::debounce_ms;

    #[test]
    fn small_queries_analyze_at_once_and_large_ones_after_a_pause() {
        assert_eq!(debounce_ms(sluice_sql::reference::QUERY.len()), 0);
        assert_eq!(debounce_ms(32 * 1024 - 1), 0);
        assert_eq!(debounce_ms(64 * 1024), 108);
        assert_eq!(debounce_ms(10 << 20), 400);
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
    async fn stepping_pushes_one_event_at_a_time_and_draws_the_pipeline() {
        let root = mount().await;
        let step: web_sys::HtmlElement = root
            .query_selector("button#step")
            .expect("query")
            .expect("the step button")
            .dyn_into()
            .expect("a button");
        for _ in 0..3 {
            step.click();
            yew::platform::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        let summary = root
            .query_selector("#summary")
            .expect("query")
            .expect("a summary");
        let text = summary.text_content().unwrap_or_default();
        assert!(text.contains("3 events"), "{text}");
        assert!(text.contains("paused"), "{text}");
        let boxes = root.query_selector_all("#pipeline g.op").expect("boxes");
        // Nine operators and the two destinations.
        assert_eq!(boxes.length(), 11);
        let operators = root
            .query_selector_all("#operators tbody tr")
            .expect("operators");
        assert_eq!(operators.length(), 9);
    }
}
