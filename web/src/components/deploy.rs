//! The deploy panel: the query compiled for Dataflow as you type (the Beam YAML,
//! the equivalent `gcloud` command and every request a deployment sends, all by
//! `sluice-deploy`'s pure half in wasm), then Deploy, the job's page and Clean up
//! through the server's API (`crate::api`).

use std::rc::Rc;

use sluice_deploy::deploy::Resource;
use sluice_deploy::wire::{
    Applying, CleanupRequest, CleanupStarted, DataflowJob, DefaultTarget, DeployConfig,
    DeployRequest, Operation, OperationKind, StepState,
};
use sluice_deploy::{DeployPlan, Endpoints, StepStatus, Target};
use sluice_sql::{Catalog, Diagnostic};
use yew::prelude::*;

use crate::api::{body, fetch_as, token};

/// The names a deployment uses: the defaults for the query, with the user's changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Names {
    /// The Dataflow region.
    pub region: String,
    /// Overrides: job name, dataset, table, topic (empty: the default).
    pub job_name: String,
    /// The destination dataset, if not the default.
    pub dataset: String,
    /// The destination table, if not the default.
    pub table: String,
    /// The destination topic, if not the default.
    pub topic: String,
}

/// The target for `query` in `project` with `names`' overrides.
pub fn target(project: &str, query: &str, names: &Names) -> Target {
    let region = if names.region.trim().is_empty() {
        "us-central1"
    } else {
        names.region.trim()
    };
    let mut t = Target::for_query(project, region, query);
    let set = |field: &mut String, value: &str| {
        if !value.trim().is_empty() {
            *field = value.trim().to_owned();
        }
    };
    if !names.job_name.trim().is_empty() {
        let j = names.job_name.trim();
        t.job_name = j.to_owned();
        t.table = j.replace('-', "_");
        t.topic = format!("{j}-results");
    }
    set(&mut t.dataset, &names.dataset);
    set(&mut t.table, &names.table);
    set(&mut t.topic, &names.topic);
    t
}

/// What the panel shows before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    /// The pipeline, the gcloud command and the plan.
    Ready {
        /// Beam YAML.
        yaml: String,
        /// `gcloud dataflow yaml run …`.
        gcloud: String,
        /// The steps.
        plan: DeployPlan,
    },
    /// A name Google would refuse.
    BadName(String),
    /// The query's errors (the analyzer's, or where Beam SQL has no equivalent).
    Problems(Vec<Diagnostic>),
}

/// Compiles the page's analysis of the query for `target`, as `sluice deploy --plan`
/// compiles its own (`sluice_deploy::compile` is `analyze` then `compile_plan`): the
/// plan when the query has no errors, else the analysis's diagnostics.
pub fn preview(analysis: &Analysed, target: &Target) -> Preview {
    if let Err(e) = target.validate() {
        return Preview::BadName(e.to_string());
    }
    let plan = match analysis {
        Analysed::Plan(plan) => plan,
        Analysed::Problems(diagnostics) => return Preview::Problems(diagnostics.to_vec()),
    };
    match sluice_deploy::pipeline::compile_plan(plan, target) {
        Ok(compiled) => Preview::Ready {
            gcloud: compiled.gcloud_command(target),
            plan: DeployPlan::new(&compiled, target),
            yaml: compiled.yaml,
        },
        Err(unsupported) => {
            Preview::Problems(vec![sluice_deploy::pipeline::diagnostic(&unsupported)])
        }
    }
}

/// The app's analysis of the query, as the deploy panel needs it: the plan of a
/// query without errors, or its diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub enum Analysed {
    /// No errors: the plan.
    Plan(Rc<sluice_sql::Plan>),
    /// Errors: every diagnostic of the analysis.
    Problems(Rc<Vec<Diagnostic>>),
}

/// Properties of [`DeployPanel`].
#[derive(Properties, PartialEq)]
pub struct DeployProps {
    /// The query text.
    pub query: AttrValue,
    /// The app's analysis of it (the panel does not analyse it again).
    pub analysed: Analysed,
    /// The catalog (its project is where the job runs).
    pub catalog: Rc<Catalog>,
    /// Moves the editor's cursor to a problem.
    pub on_jump: Callback<(u32, u32)>,
    /// The generator settings the local target makes its tables with: customers,
    /// orders, seed, status mix.
    pub generated: (u64, u64, u64, [u32; 3]),
}

/// Where the deployment stands.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Nothing sent yet.
    Idle,
    /// Applying or cleaning up: the server's operation record.
    Working(Operation),
    /// The operation ended (the record), and the job's page when there is a job.
    Finished(Operation),
}

/// The deploy panel's state, changed only by [`PanelAction`]s.
#[derive(Debug, Clone, PartialEq)]
struct Panel {
    /// The names the user typed over the defaults.
    names: Names,
    /// Which copy button's text the clipboard took (`"failed"`: it refused).
    copied: Option<&'static str>,
    /// Where the deployment stands.
    phase: Phase,
    /// The job's page, while there is a job to show.
    job: Option<DataflowJob>,
    /// Why the server refused the last request.
    error: Option<String>,
    /// Where the server's credentials come from: `None` until it answered.
    credentials: Option<Option<String>>,
    /// The server's default target, once it answered.
    default_target: Option<DefaultTarget>,
    /// The target the user chose, if any.
    chosen: Option<DefaultTarget>,
}

impl Default for Panel {
    fn default() -> Self {
        Self {
            names: Names {
                region: "us-central1".into(),
                ..Names::default()
            },
            copied: None,
            phase: Phase::Idle,
            job: None,
            error: None,
            credentials: None,
            default_target: None,
            chosen: None,
        }
    }
}

/// What can happen to the deploy panel.
enum PanelAction {
    /// The server said where it deploys by default and with which credentials.
    Configured(DeployConfig),
    /// A name field changed (the setter of its field, the text).
    NameEdited(fn(&mut Names, String), String),
    /// The user chose a target.
    TargetChosen(DefaultTarget),
    /// A copy button's answer.
    Copied(&'static str),
    /// Deploy was pressed: a new apply, no job shown yet.
    Deploying,
    /// Clean up (or Roll back) was pressed.
    CleaningUp,
    /// The server accepted the request: the operation it started.
    Started(Operation),
    /// The server refused a request.
    Refused(String),
    /// The operation as the server reported it.
    Polled(Operation),
    /// The job's page as the server reported it.
    JobRead(DataflowJob),
}

impl Reducible for Panel {
    type Action = PanelAction;

    fn reduce(self: Rc<Self>, action: PanelAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            PanelAction::Configured(config) => {
                next.credentials = Some(config.credentials);
                next.default_target = Some(config.target);
            }
            PanelAction::NameEdited(set, text) => set(&mut next.names, text),
            PanelAction::TargetChosen(target) => next.chosen = Some(target),
            PanelAction::Copied(what) => next.copied = Some(what),
            PanelAction::Deploying => {
                next.error = None;
                next.job = None;
            }
            PanelAction::CleaningUp => next.error = None,
            PanelAction::Started(op) => next.phase = Phase::Working(op),
            PanelAction::Refused(why) => next.error = Some(why),
            PanelAction::Polled(op) if op.finished => {
                if op.kind != OperationKind::Apply {
                    // Cleaned up: the job's record is gone with it.
                    next.job = None;
                }
                next.phase = Phase::Finished(op);
            }
            PanelAction::Polled(op) => next.phase = Phase::Working(op),
            PanelAction::JobRead(job) => next.job = Some(job),
        }
        Rc::new(next)
    }
}

fn copy_button(
    id: &'static str,
    text: String,
    copied: Option<&'static str>,
    dispatch: &UseReducerDispatcher<Panel>,
) -> Html {
    let onclick = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(window) = web_sys::window() {
                let written = window.navigator().clipboard().write_text(&text);
                let dispatch = dispatch.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let ok = wasm_bindgen_futures::JsFuture::from(written).await.is_ok();
                    dispatch.dispatch(PanelAction::Copied(if ok { id } else { "failed" }));
                });
            }
        })
    };
    let label = match copied {
        Some(c) if c == id => "Copied",
        Some("failed") => "Copy failed: select the text",
        _ => "Copy",
    };
    html! { <button id={id} type="button" class="secondary small" {onclick}>{ label }</button> }
}

fn step_icon(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Done => "✓",
        StepStatus::Running => "…",
        StepStatus::Failed => "✗",
        StepStatus::Pending => "·",
    }
}

/// The deploy panel.
#[function_component(DeployPanel)]
pub fn deploy_panel(props: &DeployProps) -> Html {
    let panel = use_reducer_eq(Panel::default);
    let dispatch = panel.dispatcher();
    let names = &panel.names;
    let project = props.catalog.project.clone();
    let target = target(&project, &props.query, names);
    let preview = use_memo((props.analysed.clone(), target.clone()), |(a, t)| {
        preview(a, t)
    });
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(config) =
                    fetch_as::<DeployConfig>("GET", "/api/deploy/config", None).await
                {
                    dispatch.dispatch(PanelAction::Configured(config));
                }
            });
        });
    }
    // Poll the operation while it works, and the job's page while there is a job.
    let key = format!("{}/{}", target.project, target.job_name);
    {
        let dispatch = dispatch.clone();
        let key = key.clone();
        let working = matches!(panel.phase, Phase::Working(_));
        let watching = panel
            .job
            .as_ref()
            .is_some_and(|j| j.job_id.is_some() && !j.state.is_terminal());
        let has_job = matches!(&panel.phase, Phase::Finished(op) if op.kind == OperationKind::Apply && op.job_id.is_some());
        use_effect_with(
            (working, watching || has_job, key),
            move |(working, watching, key)| {
                let busy = Rc::new(std::cell::Cell::new(false));
                let interval = (*working || *watching).then(|| {
                    let key = key.clone();
                    let working = *working;
                    gloo_timers::callback::Interval::new(
                        if working { 300 } else { 1000 },
                        move || {
                            if busy.replace(true) {
                                return;
                            }
                            let (dispatch, key, busy) =
                                (dispatch.clone(), key.clone(), busy.clone());
                            wasm_bindgen_futures::spawn_local(async move {
                                if working {
                                    if let Ok(op) = fetch_as::<Operation>(
                                        "GET",
                                        &format!("/api/jobs/{key}/operation"),
                                        None,
                                    )
                                    .await
                                    {
                                        dispatch.dispatch(PanelAction::Polled(op));
                                    }
                                } else if let Ok(status) =
                                    fetch_as("GET", &format!("/api/jobs/{key}"), None).await
                                {
                                    dispatch.dispatch(PanelAction::JobRead(status));
                                }
                                busy.set(false);
                            });
                        },
                    )
                });
                move || drop(interval)
            },
        );
    }
    let request_body = body(&DeployRequest {
        query: props.query.to_string(),
        catalog: Some(props.catalog.to_json()),
        project: target.project.clone(),
        region: target.region.clone(),
        job_name: Some(target.job_name.clone()),
        dataset: Some(target.dataset.clone()),
        table: Some(target.table.clone()),
        topic: Some(target.topic.clone()),
    });
    let on_deploy = {
        let dispatch = dispatch.clone();
        let body = request_body.clone();
        Callback::from(move |_: MouseEvent| {
            let (dispatch, body) = (dispatch.clone(), body.clone());
            dispatch.dispatch(PanelAction::Deploying);
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_as::<Applying>("POST", "/api/deploy/apply", body).await {
                    Ok(_) => dispatch.dispatch(PanelAction::Started(Operation::default())),
                    Err(e) => dispatch.dispatch(PanelAction::Refused(e)),
                }
            });
        })
    };
    let cleanup = |drain: bool| {
        let (dispatch, key) = (dispatch.clone(), key.clone());
        Callback::from(move |_: MouseEvent| {
            let (dispatch, key) = (dispatch.clone(), key.clone());
            dispatch.dispatch(PanelAction::CleaningUp);
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_as::<CleanupStarted>(
                    "POST",
                    &format!("/api/jobs/{key}/cleanup"),
                    body(&CleanupRequest { drain }),
                )
                .await
                {
                    Ok(_) => dispatch.dispatch(PanelAction::Started(Operation {
                        kind: OperationKind::Cleanup,
                        ..Operation::default()
                    })),
                    Err(e) => dispatch.dispatch(PanelAction::Refused(e)),
                }
            });
        })
    };
    let field = |id: &'static str,
                 label: &'static str,
                 value: String,
                 placeholder: String,
                 set: fn(&mut Names, String)| {
        let dispatch = dispatch.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                dispatch.dispatch(PanelAction::NameEdited(set, input.value()));
            }
        });
        html! {
            <label class="field" for={id}>
                <span>{ label }</span>
                <input id={id} type="text" spellcheck="false" {value} {placeholder} {oninput} />
            </label>
        }
    };
    let default = Target::for_query(&project, "us-central1", &props.query);
    let has_token = token().is_some();
    let busy = matches!(panel.phase, Phase::Working(_));
    let ready = matches!(&*preview, Preview::Ready { .. });
    let why_not = if !ready {
        Some("Fix the problems above first.")
    } else if !has_token {
        Some("Deploying needs the token in the address `sluice serve` printed: open that address.")
    } else {
        None
    };
    let operation = match &panel.phase {
        Phase::Working(op) | Phase::Finished(op) => Some(op.clone()),
        Phase::Idle => None,
    };
    let local = panel.chosen.or(panel.default_target) == Some(DefaultTarget::Local);
    let choose = |t: DefaultTarget| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: Event| dispatch.dispatch(PanelAction::TargetChosen(t)))
    };
    let switch = html! {
        <div class="target-switch controls" role="radiogroup" aria-label="Where to deploy">
            <label><input type="radio" name="target" id="target-local" checked={local} onchange={choose(DefaultTarget::Local)} />{ " This server (local)" }</label>
            <label><input type="radio" name="target" id="target-gcp" checked={!local} onchange={choose(DefaultTarget::Gcp)} />{ " Google Cloud Dataflow" }</label>
        </div>
    };
    if local {
        return html! {
            <div class="deploy" id="deploy">
                { switch }
                <p class="hint" id="deploy-target">
                    { match &panel.credentials {
                        Some(None) => format!("Target: this server (local). No Google credentials were found; to deploy to Dataflow: {} Then choose Google Cloud above.", sluice_deploy::deploy::CREDENTIALS_HELP),
                        _ => "Target: this server (local). Choose Google Cloud above to deploy to Dataflow.".to_owned(),
                    } }
                </p>
                { field("job-name", "Job name", names.job_name.clone(), default.job_name.clone(), |n, v| n.job_name = v) }
                <crate::components::local::LocalPanel query={props.query.clone()} catalog={props.catalog.clone()}
                    job_name={AttrValue::from(target.job_name.clone())} generated={props.generated}
                    has_token={has_token} />
            </div>
        };
    }
    html! {
        <div class="deploy" id="deploy">
            { switch }
            <p class="hint" id="deploy-target">
                { format!("Target: Google Cloud Dataflow, project {project}. ") }
                { match &panel.credentials {
                    Some(Some(c)) => format!("Credentials: {c}."),
                    Some(None) => format!("No Google credentials were found on the server. {} The plan below needs none.", sluice_deploy::deploy::CREDENTIALS_HELP),
                    None => String::new(),
                } }
            </p>
            <fieldset class="generator deploy-names">
                { field("region", "Region", names.region.clone(), "us-central1".into(), |n, v| n.region = v) }
                { field("job-name", "Job name", names.job_name.clone(), default.job_name.clone(), |n, v| n.job_name = v) }
                { field("dest-dataset", "Dataset", names.dataset.clone(), default.dataset.clone(), |n, v| n.dataset = v) }
                { field("dest-table", "Table", names.table.clone(), target.table.clone(), |n, v| n.table = v) }
                { field("dest-topic", "Topic", names.topic.clone(), target.topic.clone(), |n, v| n.topic = v) }
            </fieldset>
            <div class="controls" id="deploy-controls">
                <button id="deploy-button" type="button" disabled={why_not.is_some() || busy} onclick={on_deploy}>
                    { if busy { "Working…" } else { "Deploy" } }
                </button>
                if let Some(why) = why_not {
                    <span class="hint">{ why }</span>
                }
            </div>
            if let Some(e) = &panel.error {
                <p class="problems error" role="alert">{ e.clone() }</p>
            }
            if let Some(op) = &operation {
                { outcome(op, &cleanup) }
            }
            if let Some(j) = &panel.job {
                { job_page(j, busy, &cleanup) }
            }
            { match &*preview {
                Preview::BadName(e) => html! { <p class="problems error" id="deploy-problems">{ e.clone() }</p> },
                Preview::Problems(ds) => html! {
                    <ul class="problems" id="deploy-problems">
                        { for ds.iter().map(|d| {
                            let at = (d.span.start.line as u32, d.span.start.column as u32);
                            let on_jump = props.on_jump.clone();
                            let onclick = Callback::from(move |_: MouseEvent| on_jump.emit(at));
                            html! {
                                <li class="problem error" {onclick} tabindex="0" title="Go to the problem">
                                    <span class="where">{ format!("{}:{}", at.0, at.1) }</span>
                                    <span class="code">{ d.code.to_string() }</span>
                                    <span class="message">{ d.message.clone() }</span>
                                    if let Some(h) = &d.hint { <span class="fix">{ h.clone() }</span> }
                                </li>
                            }
                        }) }
                    </ul>
                },
                Preview::Ready { yaml, gcloud, plan } => {
                    let endpoints = Endpoints::default();
                    let statuses: &[StepState] = operation
                        .as_ref()
                        .filter(|op| op.kind == OperationKind::Apply)
                        .map_or(&[], |op| &op.steps);
                    html! {
                        <>
                            <h3 class="section">{ "Steps" }</h3>
                            <ol class="steps" id="deploy-steps">
                                { for plan.steps.iter().enumerate().map(|(i, s)| {
                                    let st = statuses.get(i);
                                    let status: StepStatus = st.map(|v| v.status).unwrap_or_default();
                                    html! {
                                        <li class={classes!("step", status.as_str())}>
                                            <span class="icon" aria-hidden="true">{ step_icon(status) }</span>
                                            <span class="title">{ s.title.clone() }</span>
                                            if let Some(d) = st.and_then(|v| v.detail.as_deref()) {
                                                <span class="detail">{ format!(" — {d}") }</span>
                                            }
                                            if let Some(e) = st.and_then(|v| v.error.as_deref()) {
                                                <span class="error">{ e.to_owned() }</span>
                                            }
                                            <details>
                                                <summary><code>{ format!(
                                                    "{} {}",
                                                    s.request.method,
                                                    // The server's own endpoint once it runs the step.
                                                    st.map_or_else(|| s.request.url(&endpoints), |v| v.url.clone())
                                                ) }</code></summary>
                                                if let Some(b) = &s.request.body {
                                                    <pre class="code" tabindex="0">{ serde_json::to_string_pretty(b).unwrap_or_default() }</pre>
                                                }
                                            </details>
                                        </li>
                                    }
                                }) }
                            </ol>
                            <div class="pane-head">
                                <h3 class="section">{ "Beam YAML" }</h3>
                                <span class="spacer"></span>
                                { copy_button("copy-yaml", yaml.clone(), panel.copied, &dispatch) }
                            </div>
                            // Code blocks scroll sideways: focusable, so a keyboard can too.
                            <pre class="code" id="pipeline-yaml" tabindex="0" aria-label="Beam YAML">{ yaml.clone() }</pre>
                            <div class="pane-head">
                                <h3 class="section">{ "gcloud" }</h3>
                                <span class="spacer"></span>
                                { copy_button("copy-gcloud", gcloud.clone(), panel.copied, &dispatch) }
                            </div>
                            <pre class="code" id="gcloud" tabindex="0" aria-label="gcloud command">{ gcloud.clone() }</pre>
                            <p class="hint">{ "Save the YAML as pipeline.yaml; the command runs it once the steps above have created its topics and table." }</p>
                        </>
                    }
                }
            } }
        </div>
    }
}

/// What an apply or clean-up ended with.
fn outcome(op: &Operation, cleanup: &dyn Fn(bool) -> Callback<MouseEvent>) -> Html {
    if !op.finished {
        return html! {};
    }
    if let Some(e) = &op.error {
        return html! {
            <div class="deploy-result failed" id="deploy-result" role="alert">
                <p>{ e.clone() }</p>
                if !op.created.is_empty() {
                    <p>{ "Created before the failure:" }</p>
                    <ul>{ for op.created.iter().map(|c| html! { <li>{ c.describe.clone() }</li> }) }</ul>
                    <button id="rollback" type="button" class="secondary" onclick={cleanup(false)}>{ "Roll back" }</button>
                }
            </div>
        };
    }
    if let Some(done) = &op.cleanup {
        let deleted = done.deleted.len();
        return html! {
            <div class="deploy-result" id="deploy-result" role="status">
                <p>{ format!(
                    "Cleaned up: {}{deleted} resource{} deleted.",
                    done.job_state.map(|s| format!("the job is {}; ", s.short())).unwrap_or_default(),
                    if deleted == 1 { "" } else { "s" }
                ) }</p>
                if !done.kept.is_empty() {
                    <p>{ "Kept (run Clean up again):" }</p>
                    <ul>{ for done.kept.iter().map(|(_, why)| html! { <li>{ why.clone() }</li> }) }</ul>
                }
            </div>
        };
    }
    match &op.job_id {
        Some(id) => {
            html! { <p class="hint" id="deploy-result">{ format!("Job {id} launched.") }</p> }
        }
        None => html! {},
    }
}

/// How many messages and rows went to the dead-letter table, and which table.
fn dead_letter_line(j: &DataflowJob) -> Html {
    let table = j.created.iter().find_map(|r| match r {
        Resource::Table {
            project,
            dataset,
            table,
            ..
        } if table.ends_with("_dead_letter") => Some(format!("{project}.{dataset}.{table}")),
        _ => None,
    });
    let n = j.dead_letters;
    let text = match (&table, n) {
        (Some(t), 0) => {
            format!("No dead letters: every message was read and written (dead-letter table {t}).")
        }
        (Some(t), n) => format!(
            "{n} dead letters: messages or rows the job could not read, convert or write, with the step and the error, are in {t}."
        ),
        (None, _) => return html! {},
    };
    html! { <p class={classes!("hint", (n > 0).then_some("warn"))} id="job-dead-letters">{ text }</p> }
}

/// The job's page: state and its history, elements per step, messages, console link.
fn job_page(j: &DataflowJob, busy: bool, cleanup: &dyn Fn(bool) -> Callback<MouseEvent>) -> Html {
    let ended = j.state.is_terminal();
    // A deployment whose launch never happened has no job to show a state of.
    let badge = if j.job_id.is_some() {
        j.state.short()
    } else {
        "not_launched".to_owned()
    };
    html! {
        <section class="job" id="job" aria-label="The Dataflow job">
            <div class="pane-head">
                <h3 class="section">{ format!("Job {}", j.job_name) }</h3>
                <span id="job-state" class={classes!("badge", badge.clone())}>{ badge }</span>
                <span class="spacer"></span>
                if let Some(url) = &j.console_url {
                    <a href={url.clone()} target="_blank" rel="noopener">{ "Open in the Cloud console" }</a>
                }
            </div>
            <p class="hint" id="job-history">
                { j.history.iter()
                    .map(|c| format!("{} ({})", c.state.short(), c.time))
                    .collect::<Vec<_>>().join(" → ") }
            </p>
            { dead_letter_line(j) }
            <table class="grid" id="job-elements">
                <thead><tr><th>{ "Step" }</th><th class="num">{ "Elements" }</th></tr></thead>
                <tbody>
                    { for j.elements.iter().map(|(step, n)| html! {
                        <tr><td>{ step.clone() }</td><td class="num">{ n }</td></tr>
                    }) }
                </tbody>
            </table>
            <ul class="feed" id="job-messages">
                { for j.messages.iter().rev().take(20).map(|(time, _, text)| html! {
                    <li><span class="hint">{ time.clone() }</span>{ " " }{ text.clone() }</li>
                }) }
            </ul>
            <div class="controls">
                <button id="cleanup" type="button" class="secondary" disabled={busy} onclick={cleanup(false)}>
                    { if ended { "Clean up" } else { "Cancel and clean up" } }
                </button>
                if !ended {
                    <button id="drain" type="button" class="secondary" disabled={busy} onclick={cleanup(true)}>{ "Drain and clean up" }</button>
                }
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_reduces_a_deploy_and_its_clean_up() {
        let job = DataflowJob {
            job_name: "j".into(),
            job_id: Some("1".into()),
            state: sluice_deploy::JobState::Running,
            state_time: String::new(),
            history: vec![],
            elements: vec![],
            messages: vec![],
            console_url: None,
            created: vec![],
            dead_letters: 0,
        };
        let p = Rc::new(Panel::default())
            .reduce(PanelAction::Refused("no".into()))
            .reduce(PanelAction::JobRead(job.clone()));
        // Deploy again: the error and the old job go.
        let p = p.reduce(PanelAction::Deploying);
        assert_eq!((p.error.clone(), p.job.clone()), (None, None));
        let p = p.reduce(PanelAction::NameEdited(
            |n, v| n.job_name = v,
            "mine".into(),
        ));
        assert_eq!(p.names.job_name, "mine");
        assert_eq!(p.names.region, "us-central1");
        // A finished clean-up takes the job's page away; a finished apply keeps it.
        let cleaned = Operation {
            kind: OperationKind::Cleanup,
            finished: true,
            ..Operation::default()
        };
        let p = p.reduce(PanelAction::JobRead(job));
        assert!(p.job.is_some());
        let after = p.clone().reduce(PanelAction::Polled(cleaned.clone()));
        assert_eq!(
            (after.job.clone(), after.phase.clone()),
            (None, Phase::Finished(cleaned))
        );
        let applied = Operation {
            finished: true,
            job_id: Some("1".into()),
            ..Operation::default()
        };
        let after = p.reduce(PanelAction::Polled(applied));
        assert!(after.job.is_some());
    }

    #[test]
    fn names_override_the_defaults() {
        let q = sluice_sql::reference::QUERY;
        let t = target("demobox-313313", q, &Names::default());
        assert_eq!(t, Target::for_query("demobox-313313", "us-central1", q));
        let t = target(
            "demobox-313313",
            q,
            &Names {
                region: " europe-west1 ".into(),
                job_name: "orders-vip".into(),
                ..Names::default()
            },
        );
        assert_eq!(
            (t.region.as_str(), t.table.as_str(), t.topic.as_str()),
            ("europe-west1", "orders_vip", "orders-vip-results")
        );
    }

    /// The page's analysis, as the app hands it to the panel.
    fn analysed(q: &str) -> Analysed {
        let analysis = sluice_sql::analyze(q, &Catalog::reference());
        match analysis.plan {
            Some(plan) if !analysis.has_errors() => Analysed::Plan(Rc::new(plan)),
            _ => Analysed::Problems(Rc::new(analysis.diagnostics)),
        }
    }

    #[test]
    fn the_preview_is_the_cli_plan() {
        let q = sluice_sql::reference::QUERY;
        let t = target("demobox-313313", q, &Names::default());
        let cli = sluice_deploy::compile(q, &Catalog::reference(), &t).expect("compiles");
        match preview(&analysed(q), &t) {
            Preview::Ready { yaml, gcloud, plan } => {
                assert_eq!(yaml, cli.yaml);
                assert_eq!(gcloud, cli.gcloud_command(&t));
                assert_eq!(plan, DeployPlan::new(&cli, &t));
                assert_eq!(plan.steps.len(), 8);
            }
            other => panic!("{other:?}"),
        }
        let bad = Target {
            project: "Nope".into(),
            ..t.clone()
        };
        assert!(matches!(preview(&analysed(q), &bad), Preview::BadName(_)));
        let unsupported =
            "SELECT SAFE_CAST(amount AS STRING) AS a FROM pubsub.topic.`demobox-313313`.orders";
        let refused = preview(&analysed(unsupported), &t);
        let cli =
            sluice_deploy::compile(unsupported, &Catalog::reference(), &t).expect_err("refused");
        assert!(
            matches!(&refused, Preview::Problems(ds) if ds[0].code.as_str() == "not-in-beam-sql")
        );
        assert!(matches!(refused, Preview::Problems(ds) if ds == cli));
        let broken = "SELECT nope FROM pubsub.topic.`demobox-313313`.orders";
        let cli = sluice_deploy::compile(broken, &Catalog::reference(), &t).expect_err("refused");
        assert!(matches!(preview(&analysed(broken), &t), Preview::Problems(ds) if ds == cli));
    }
}
