//! The local target's panel: deploy the query as a job inside the `sluice` server,
//! feed its topic with the built-in generator, watch its page (state, operators,
//! throughput, log), query its destination table with SQL, see its destination
//! topic live (server-sent events), and cancel, drain and clean it up.

use std::rc::Rc;

use serde_json::Value;
use sluice_deploy::JobState;
use sluice_deploy::wire::{
    Generated, GeneratorRequest, GeneratorSettings, GeneratorStatus, LocalCleaned,
    LocalDeployRequest, LocalJob, Session, SqlRequest, SqlResult, Stopping, TopicMessage,
};
use sluice_sql::Catalog;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

use crate::api::{body, fetch_as};

/// Properties of [`LocalPanel`].
#[derive(Properties, PartialEq)]
pub struct LocalProps {
    /// The query text.
    pub query: AttrValue,
    /// The catalog.
    pub catalog: Rc<Catalog>,
    /// The job's name.
    pub job_name: AttrValue,
    /// The generator settings of the source tables: customers, orders, seed, mix.
    pub generated: (u64, u64, u64, [u32; 3]),
    /// Whether the page has the server's token.
    pub has_token: bool,
}

/// The local panel's state, changed only by [`LocalAction`]s.
#[derive(Clone, PartialEq)]
struct Panel {
    /// The job's page, while there is a job.
    job: Option<LocalJob>,
    /// Why the server refused the last request.
    error: Option<String>,
    /// What the last clean-up deleted and kept.
    cleaned: Option<LocalCleaned>,
    /// The generator, as the server last reported it.
    generator: Option<GeneratorStatus>,
    /// The generator's pace the user chose (a multiple of the seed's).
    speed: String,
    /// The SQL the user typed over the default query of the table (empty: none).
    sql: String,
    /// The last SQL answer, or its error.
    result: Option<Result<SqlResult, String>>,
    /// The destination topic's messages, newest first.
    feed: Vec<TopicMessage>,
}

impl Default for Panel {
    fn default() -> Self {
        Self {
            job: None,
            error: None,
            cleaned: None,
            generator: None,
            speed: "100".into(),
            sql: String::new(),
            result: None,
            feed: Vec::new(),
        }
    }
}

/// What can happen to the local panel.
enum LocalAction {
    /// Deploy was pressed: the last error, clean-up and feed go.
    Deploying,
    /// The server started the job: its first page.
    Deployed(LocalJob),
    /// The job's page as a poll read it (ignored once the job is cleaned up).
    Polled(LocalJob),
    /// The generator as the server reported it.
    Generator(GeneratorStatus),
    /// The server refused a request.
    Refused(String),
    /// The job was cleaned up: what went and what stayed.
    Cleaned(LocalCleaned),
    /// The user chose a pace.
    SpeedChosen(String),
    /// The user edited the SQL.
    SqlEdited(String),
    /// The server answered the SQL.
    SqlAnswered(Result<SqlResult, String>),
    /// The destination topic's latest messages, newest first.
    Feed(Vec<TopicMessage>),
}

impl Reducible for Panel {
    type Action = LocalAction;

    fn reduce(self: Rc<Self>, action: LocalAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            LocalAction::Deploying => {
                next.error = None;
                next.cleaned = None;
                next.feed.clear();
            }
            LocalAction::Deployed(job) => next.job = Some(job),
            LocalAction::Polled(job) => {
                if next.job.is_some() {
                    next.job = Some(job);
                }
            }
            LocalAction::Generator(g) => next.generator = Some(g),
            LocalAction::Refused(why) => next.error = Some(why),
            LocalAction::Cleaned(c) => {
                next.job = None;
                next.cleaned = Some(c);
            }
            LocalAction::SpeedChosen(speed) => next.speed = speed,
            LocalAction::SqlEdited(sql) => next.sql = sql,
            LocalAction::SqlAnswered(result) => next.result = Some(result),
            LocalAction::Feed(feed) => next.feed = feed,
        }
        Rc::new(next)
    }
}

/// Runs `sql` on the server's local database and shows the result (or the error).
fn run_sql(dispatch: UseReducerDispatcher<Panel>, sql: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let r = fetch_as(
            "POST",
            "/api/local/sql",
            body(&SqlRequest { sql, max_rows: 200 }),
        )
        .await;
        dispatch.dispatch(LocalAction::SqlAnswered(r));
    });
}

/// The local target's panel.
#[function_component(LocalPanel)]
pub fn local_panel(props: &LocalProps) -> Html {
    let panel = use_reducer_eq(Panel::default);
    let dispatch = panel.dispatcher();
    let job = &panel.job;
    let name = props.job_name.to_string();
    let table = format!("sluice.{}", name.replace('-', "_"));
    let sql_text = if panel.sql.is_empty() {
        format!("SELECT * FROM \"{table}\" ORDER BY rowid DESC LIMIT 20")
    } else {
        panel.sql.clone()
    };
    let state = job.as_ref().map_or(JobState::Unknown, |j| j.state);
    let ended = state.is_terminal();
    let rows_seen = job.as_ref().and_then(|j| j.live.as_ref()).map(|l| l.rows);

    // Poll the job's page and the generator while there is a job.
    {
        let (dispatch, name) = (dispatch.clone(), name.clone());
        let watching = job.is_some();
        use_effect_with((watching, name), move |(watching, name)| {
            let name = name.clone();
            let interval = watching.then(|| {
                gloo_timers::callback::Interval::new(700, move || {
                    let (dispatch, name) = (dispatch.clone(), name.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(j) =
                            fetch_as("GET", &format!("/api/local/jobs/{name}"), None).await
                        {
                            dispatch.dispatch(LocalAction::Polled(j));
                        }
                        if let Ok(g) = fetch_as("GET", "/api/local/generator", None).await {
                            dispatch.dispatch(LocalAction::Generator(g));
                        }
                    });
                })
            });
            move || drop(interval)
        });
    }
    // Re-run the table's query when new rows land.
    {
        let (dispatch, sql_text) = (dispatch.clone(), sql_text.clone());
        use_effect_with(rows_seen, move |rows| {
            if rows.is_some() {
                run_sql(dispatch, sql_text);
            }
        });
    }
    // The destination topic, live.
    {
        let dispatch = dispatch.clone();
        let topic = format!("{name}-results");
        let live = job.is_some() && !ended;
        use_effect_with((live, topic), move |(live, topic)| {
            // An EventSource cannot send the token: it sends the session cookie
            // that POST /api/session (with the token) sets first.
            let opened: Rc<std::cell::RefCell<Option<EventFeed>>> = Rc::default();
            let closed = Rc::new(std::cell::Cell::new(false));
            if *live {
                let (opened, closed, topic) = (opened.clone(), closed.clone(), topic.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = fetch_as::<Session>("POST", "/api/session", None).await;
                    if closed.get() {
                        return;
                    }
                    *opened.borrow_mut() = EventFeed::open(&topic, dispatch);
                });
            }
            move || {
                closed.set(true);
                if let Some(f) = opened.borrow_mut().take() {
                    f.source.close();
                }
            }
        });
    }

    let on_deploy = {
        let dispatch = dispatch.clone();
        let (c, o, seed, mix) = props.generated;
        let body = body(&LocalDeployRequest {
            query: props.query.to_string(),
            catalog: Some(props.catalog.to_json()),
            job_name: name.clone(),
            generated: Some(Generated {
                customers: c,
                orders: o,
                seed,
                status_mix: mix,
            }),
        });
        Callback::from(move |_: MouseEvent| {
            let (dispatch, body) = (dispatch.clone(), body.clone());
            dispatch.dispatch(LocalAction::Deploying);
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_as("POST", "/api/local/deploy", body).await {
                    Ok(j) => dispatch.dispatch(LocalAction::Deployed(j)),
                    Err(e) => dispatch.dispatch(LocalAction::Refused(e)),
                }
            });
        })
    };
    let action = |what: &'static str| {
        let (dispatch, name) = (dispatch.clone(), name.clone());
        Callback::from(move |_: MouseEvent| {
            let (dispatch, name) = (dispatch.clone(), name.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!("/api/local/jobs/{name}/{what}");
                let done = if what == "cleanup" {
                    fetch_as("POST", &url, None)
                        .await
                        .map(|c| dispatch.dispatch(LocalAction::Cleaned(c)))
                } else {
                    fetch_as::<Stopping>("POST", &url, None).await.map(drop)
                };
                if let Err(e) = done {
                    dispatch.dispatch(LocalAction::Refused(e));
                }
            });
        })
    };
    let running_generator = panel.generator.as_ref().is_some_and(|g| g.running);
    let on_generator = {
        let dispatch = dispatch.clone();
        let speed = panel.speed.parse::<f64>().unwrap_or(1.0);
        let topic = job
            .as_ref()
            .and_then(|j| j.sources.first().cloned())
            .unwrap_or_else(|| "orders".into());
        let body = body(&GeneratorRequest {
            running: !running_generator,
            settings: (!running_generator).then(|| GeneratorSettings {
                topic,
                speed,
                ..GeneratorSettings::default()
            }),
        });
        Callback::from(move |_: MouseEvent| {
            let (dispatch, body) = (dispatch.clone(), body.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_as("POST", "/api/local/generator", body).await {
                    Ok(g) => dispatch.dispatch(LocalAction::Generator(g)),
                    Err(e) => dispatch.dispatch(LocalAction::Refused(e)),
                }
            });
        })
    };
    let on_speed = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                dispatch.dispatch(LocalAction::SpeedChosen(select.value()));
            }
        })
    };
    let on_sql_input = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(area) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
                dispatch.dispatch(LocalAction::SqlEdited(area.value()));
            }
        })
    };
    let on_run_sql = {
        let (dispatch, sql_text) = (dispatch.clone(), sql_text.clone());
        Callback::from(move |_: MouseEvent| run_sql(dispatch.clone(), sql_text.clone()))
    };
    let live = job
        .as_ref()
        .and_then(|j| j.live.clone())
        .unwrap_or_default();
    html! {
        <div class="local" id="local">
            <p class="hint">
                { format!("The job runs inside this sluice server on the same engine as the simulation, reading the local topic(s) it names and writing the table \"{table}\" (SQLite) and the topic {name}-results. Anyone with the server's token may publish to the topics it reads: POST /api/local/topics/orders:publish with Pub/Sub's body; only the job writes {name}-results.") }
            </p>
            <div class="controls">
                <button id="local-deploy" type="button" disabled={!props.has_token || (job.is_some() && !ended)} onclick={on_deploy}>
                    { "Deploy here" }
                </button>
                if !props.has_token {
                    <span class="hint">{ "Deploying needs the token in the address `sluice serve` printed: open that address." }</span>
                }
            </div>
            if let Some(e) = &panel.error {
                <p class="problems error" role="alert">{ e.clone() }</p>
            }
            if let Some(c) = &panel.cleaned {
                <div class="deploy-result" id="local-result" role="status">
                    <p>{ format!("Cleaned up: {} deleted.", c.deleted.join(", ")) }</p>
                </div>
            }
            if let Some(j) = job {
                <section class="job" id="local-job" aria-label="The local job">
                    <div class="pane-head">
                        <h3 class="section">{ format!("Job {name} (local)") }</h3>
                        <span id="local-job-state" class={classes!("badge", state.short())}>{ state.short() }</span>
                    </div>
                    <p class="counters" id="local-counters">
                        <span><b>{ live.events }</b>{ " events" }</span>
                        <span><b id="local-rows">{ live.rows }</b>{ " rows" }</span>
                        <span><b>{ j.backlog }</b>{ " waiting" }</span>
                        <span><b>{ format!("{:.0}", live.events_per_second) }</b>{ " events/s" }</span>
                        <span><b>{ live.bad_messages }</b>{ " bad messages" }</span>
                    </p>
                    <p class="hint" id="local-history">
                        { j.history.iter()
                            .map(|c| format!("{} ({})", c.state.short(), c.time))
                            .collect::<Vec<_>>().join(" → ") }
                    </p>
                    <div class="controls">
                        <button id="local-generator" type="button" class="secondary" disabled={ended} onclick={on_generator}>
                            { if running_generator { "Stop the generator" } else { "Start the generator" } }
                        </button>
                        <label class="speed">{ "Pace" }
                            <select id="local-speed" onchange={on_speed}>
                                { for ["1", "10", "100", "1000"].iter().map(|s| html! {
                                    <option value={*s} selected={panel.speed == *s}>{ format!("{s}x the seed's") }</option>
                                }) }
                            </select>
                        </label>
                        <span class="hint">{ format!("{} published", panel.generator.as_ref().map_or(0, |g| g.published)) }</span>
                        <span class="spacer"></span>
                        <button id="local-drain" type="button" class="secondary" disabled={ended} onclick={action("drain")}>{ "Drain" }</button>
                        <button id="local-cancel" type="button" class="secondary" disabled={ended} onclick={action("cancel")}>{ "Cancel" }</button>
                        <button id="local-cleanup" type="button" class="secondary" onclick={action("cleanup")}>{ "Clean up" }</button>
                    </div>
                    <table class="grid" id="local-operators">
                        <thead><tr><th>{ "Operator" }</th><th class="num">{ "In" }</th><th class="num">{ "Out" }</th><th class="num">{ "Dropped" }</th></tr></thead>
                        <tbody>
                            { for live.operators.iter().map(|(_, label, rows_in, rows_out, dropped)| html! {
                                <tr>
                                    <td class="label" title={label.clone()}>{ label.clone() }</td>
                                    <td class="num">{ rows_in }</td>
                                    <td class="num">{ rows_out }</td>
                                    <td class="num">{ dropped }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    <h3 class="section">{ "Destination table (SQL)" }</h3>
                    <textarea id="local-sql" class="schema-json" rows="2" spellcheck="false" value={sql_text} oninput={on_sql_input} />
                    <div class="controls"><button id="local-run-sql" type="button" class="secondary small" onclick={on_run_sql}>{ "Run" }</button></div>
                    { match &panel.result {
                        Some(Ok(r)) => html! {
                            <div class="table-scroll">
                                <table class="grid" id="local-sql-result">
                                    <thead><tr>{ for r.columns.iter().map(|c| html! { <th>{ c.clone() }</th> }) }</tr></thead>
                                    <tbody>
                                        { for r.rows.iter().map(|row| html! {
                                            <tr>{ for row.iter().map(|v| html! {
                                                <td>{ match v { Value::String(s) => s.clone(), Value::Null => "NULL".into(), other => other.to_string() } }</td>
                                            }) }</tr>
                                        }) }
                                    </tbody>
                                </table>
                            </div>
                        },
                        Some(Err(e)) => html! { <p class="problems error" id="local-sql-error">{ e.clone() }</p> },
                        None => html! {},
                    } }
                    <h3 class="section">{ format!("Destination topic {name}-results (live)") }</h3>
                    <ul class="feed" id="local-feed">
                        { for panel.feed.iter().map(|m| html! {
                            <li><span class="hint">{ m.publish_time.clone() }</span>{ " " }<code>{ m.data.clone() }</code></li>
                        }) }
                    </ul>
                    <ul class="feed" id="local-log">
                        { for j.log.iter().rev().take(10).map(|(time, line)| html! {
                            <li><span class="hint">{ time.clone() }</span>{ " " }{ line.clone() }</li>
                        }) }
                    </ul>
                </section>
            }
        </div>
    }
}

/// A topic's server-sent events, shown newest first (the last 20) in the panel's feed.
struct EventFeed {
    source: web_sys::EventSource,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl EventFeed {
    fn open(topic: &str, dispatch: UseReducerDispatcher<Panel>) -> Option<Self> {
        let source =
            web_sys::EventSource::new(&format!("/api/local/topics/{topic}/events")).ok()?;
        let kept = Rc::new(std::cell::RefCell::new(Vec::<TopicMessage>::new()));
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(text) = e.data().as_string()
                    && let Ok(v) = serde_json::from_str::<TopicMessage>(&text)
                {
                    let mut k = kept.borrow_mut();
                    k.insert(0, v);
                    k.truncate(20);
                    dispatch.dispatch(LocalAction::Feed(k.clone()));
                }
            });
        let _ =
            source.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
        Some(Self {
            source,
            _on_message: on_message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: JobState) -> LocalJob {
        LocalJob {
            name: "j".into(),
            state,
            history: Vec::new(),
            log: Vec::new(),
            created: Vec::new(),
            table: "sluice.j".into(),
            topic: "j-results".into(),
            sources: vec!["orders".into()],
            backlog: 0,
            live: None,
        }
    }

    #[test]
    fn a_poll_that_lands_after_a_clean_up_does_not_bring_the_job_back() {
        let panel = Rc::new(Panel::default())
            .reduce(LocalAction::Deployed(job(JobState::Running)))
            .reduce(LocalAction::Polled(job(JobState::Cancelled)));
        assert_eq!(
            panel.job.as_ref().map(|j| j.state),
            Some(JobState::Cancelled)
        );
        let cleaned = panel
            .reduce(LocalAction::Cleaned(LocalCleaned {
                deleted: vec!["topic j-results".into()],
                kept: Vec::new(),
            }))
            .reduce(LocalAction::Polled(job(JobState::Cancelled)));
        assert!(cleaned.job.is_none());
        assert!(cleaned.cleaned.is_some());
        // A new deploy clears the last clean-up and error, and shows its job.
        let again = cleaned
            .reduce(LocalAction::Refused("busy".into()))
            .reduce(LocalAction::Deploying)
            .reduce(LocalAction::Deployed(job(JobState::Running)));
        assert!(again.cleaned.is_none() && again.error.is_none());
        assert!(again.job.is_some());
    }
}
