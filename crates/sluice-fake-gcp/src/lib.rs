//! A fake of the Google Cloud REST surface Sluice uses, for tests: Pub/Sub topics
//! and publish, BigQuery datasets, tables, `insertAll` and dry-run queries,
//! Dataflow flex-template launches and jobs.
//!
//! - Every request is validated against Google's discovery documents
//!   (`discovery/` beside this crate): an unknown field, a wrong type or a missing
//!   required field is answered 400 *and* recorded in [`Fake::violations`], which
//!   tests assert is empty.
//! - It keeps state, and jobs move through `JOB_STATE_PENDING` →
//!   `JOB_STATE_RUNNING` → `JOB_STATE_CANCELLING` → `JOB_STATE_CANCELLED` (or
//!   draining → drained) as time passes.
//! - Faults are injected per call: an HTTP status (429, 500, …), a slow answer, or
//!   a dropped connection.

mod bigquery;
pub mod discovery;
mod http;
mod jobs;
mod pubsub;
mod query;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::http::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

use discovery::{Discovery, Matched};
use http::{error, handle, query_param};
use jobs::{active, advance, find_job, job_json, pipeline_steps, rfc3339, terminal};

/// The token the fake accepts (`Authorization: Bearer …`).
pub const TOKEN: &str = "fake-token";

/// What to do to matching requests.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status and Google's error body.
    Status(u16),
    /// Wait this long, then answer normally.
    Slow(Duration),
    /// Close the connection without answering.
    Drop,
}

/// A fault for the next `times` requests to `call` (a discovery method id).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// E.g. `bigquery.tables.insert`.
    pub call: String,
    /// What happens.
    pub kind: FaultKind,
    /// How many requests it hits.
    pub times: u32,
    /// How many matching requests pass untouched first.
    pub skip: u32,
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    /// The discovery method id, or `?` when it matched none.
    pub call: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path with its query string.
    pub path: String,
    /// The JSON body.
    pub body: Option<Value>,
    /// The answer's status (0 while pending, or for a dropped connection).
    pub status: u16,
}

/// A Dataflow job in the fake.
#[derive(Debug, Clone)]
struct Job {
    id: String,
    name: String,
    project: String,
    location: String,
    created: Instant,
    /// `(state, since)`, oldest first.
    states: Vec<(String, Instant)>,
    requested: Option<(String, Instant)>,
    steps: Vec<String>,
    labels: Value,
    pipeline: String,
}

/// Everything the fake holds.
#[derive(Debug)]
pub struct State {
    /// Topics by `projects/p/topics/t`, with their labels.
    pub topics: BTreeMap<String, Value>,
    /// Messages published, by topic, with the `messageId` and `publishTime` the
    /// fake gave them.
    pub published: BTreeMap<String, Vec<Value>>,
    /// Subscriptions by `projects/p/subscriptions/s`, as created.
    pub subscriptions: BTreeMap<String, Value>,
    /// Pub/Sub schemas by `projects/p/schemas/s` (`Schema`: `type`, `definition`).
    pub schemas: BTreeMap<String, Value>,
    /// Each subscription's messages not yet delivered, oldest first.
    backlogs: BTreeMap<String, Vec<Value>>,
    /// Each subscription's messages delivered and not yet acknowledged, by ack id.
    outstanding: BTreeMap<String, BTreeMap<String, Value>>,
    /// How many messages were published, for ids.
    published_count: u64,
    /// Datasets by `p.d`.
    pub datasets: BTreeMap<String, Value>,
    /// Tables by `p.d.t`.
    pub tables: BTreeMap<String, Value>,
    /// Rows inserted, by table.
    pub rows: BTreeMap<String, Vec<Value>>,
    /// Query jobs' results, by job id.
    query_results: BTreeMap<String, query::QueryResults>,
    /// How many queries ran, for job ids.
    query_count: u64,
    /// How many answers about a new query job say it is still running.
    pub query_polls: u32,
    jobs: Vec<Job>,
    /// Every request, in order.
    pub log: Vec<Logged>,
    /// Every discovery violation, in order.
    pub violations: Vec<String>,
    faults: Vec<Fault>,
    /// The most items a list call answers in one page (smaller when the request
    /// asks for fewer); tests lower it to make callers follow pages.
    pub page_size: usize,
}

impl Default for State {
    fn default() -> Self {
        Self {
            topics: BTreeMap::new(),
            published: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            schemas: BTreeMap::new(),
            backlogs: BTreeMap::new(),
            outstanding: BTreeMap::new(),
            published_count: 0,
            datasets: BTreeMap::new(),
            tables: BTreeMap::new(),
            rows: BTreeMap::new(),
            query_results: BTreeMap::new(),
            query_count: 0,
            query_polls: 0,
            jobs: Vec::new(),
            log: Vec::new(),
            violations: Vec::new(),
            faults: Vec::new(),
            page_size: 50,
        }
    }
}

/// One page of `items`: the page that `token` (from the page before) starts, and
/// the token of the next one. Tokens hold characters a URL must escape, so a
/// caller that sends them back unescaped gets the wrong page.
pub(crate) fn page<T>(
    items: Vec<T>,
    query: &[(String, String)],
    size_param: &str,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let asked = query_param(query, size_param)
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(size);
    let size = asked.min(size).max(1);
    let start = query_param(query, "pageToken")
        .and_then(|t| t.strip_prefix("page+"))
        .and_then(|t| t.strip_suffix("/="))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next = (start + size < total).then(|| format!("page+{}/=", start + size));
    (items, next)
}

/// How fast fake jobs move.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// From launch to running.
    pub start: Duration,
    /// From a cancel or drain request to the final state.
    pub stop: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            start: Duration::from_millis(300),
            stop: Duration::from_millis(300),
        }
    }
}

struct Shared {
    discovery: Discovery,
    state: Mutex<State>,
    timing: Timing,
}

/// A running fake.
#[derive(Clone)]
pub struct Fake {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl Fake {
    /// Starts a fake on a free loopback port, reading discovery documents from `discovery_dir`.
    pub async fn start(discovery_dir: &std::path::Path, timing: Timing) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared {
            discovery: Discovery::load(discovery_dir)?,
            state: Mutex::new(State::default()),
            timing,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let serving = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { handle(shared, req).await }
                    });
                    // A dropped-connection fault ends the connection with an error.
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { shared, addr })
    }

    /// The discovery documents this crate carries (`discovery/`, see its README).
    pub fn default_discovery_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("discovery")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fake's state (for assertions).
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// Injects a fault into the next `times` requests to `call`.
    pub fn fault(&self, call: &str, kind: FaultKind, times: u32) {
        self.fault_after(call, 0, kind, times);
    }

    /// Injects a fault into `times` requests to `call`, after `skip` pass untouched.
    pub fn fault_after(&self, call: &str, skip: u32, kind: FaultKind, times: u32) {
        self.state().faults.push(Fault {
            call: call.to_owned(),
            kind,
            times,
            skip,
        });
    }

    /// Every violation of the discovery documents so far.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// The calls received, in order (discovery method ids).
    pub fn calls(&self) -> Vec<String> {
        self.state().log.iter().map(|l| l.call.clone()).collect()
    }

    /// The state of the job named `name`, if any.
    pub fn job_state(&self, name: &str) -> Option<String> {
        let timing = self.shared.timing;
        let mut state = self.state();
        state
            .jobs
            .iter_mut()
            .rev()
            .find(|j| j.name == name)
            .map(|j| advance(j, timing).to_owned())
    }

    /// How many jobs were ever launched.
    pub fn jobs_launched(&self) -> usize {
        self.state().jobs.len()
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(
    state: &mut State,
    timing: Timing,
    m: &Matched,
    query: &[(String, String)],
    body: Option<&Value>,
) -> (u16, Value) {
    let empty = json!({});
    let body = body.unwrap_or(&empty);
    match m.method.id.as_str() {
        id if id.starts_with("pubsub.") => pubsub::serve(state, m, query, body),
        id if id.starts_with("bigquery.") => bigquery::serve(state, m, query, body),
        "dataflow.projects.locations.flexTemplates.launch" => {
            let p = &body["launchParameter"];
            let location = m.param("location");
            let expected = format!("gs://dataflow-templates-{location}/latest/flex/Yaml_Template");
            if p["containerSpecGcsPath"].as_str() != Some(expected.as_str()) {
                return error(
                    400,
                    "INVALID_ARGUMENT",
                    &format!("the fake runs only {expected}"),
                );
            }
            let Some(pipeline) = p["parameters"]["yaml_pipeline"].as_str() else {
                return error(
                    400,
                    "INVALID_ARGUMENT",
                    "Yaml_Template needs yaml_pipeline or yaml_pipeline_file",
                );
            };
            let name = p["jobName"].as_str().unwrap_or_default().to_owned();
            if state
                .jobs
                .iter_mut()
                .any(|j| j.name == name && active(advance(j, timing)))
            {
                return error(
                    409,
                    "ALREADY_EXISTS",
                    &format!("a job named {name} is already running"),
                );
            }
            let now = Instant::now();
            let mut job = Job {
                id: format!("2026-11-26_00_00_00-{:016}", state.jobs.len() + 1),
                name,
                project: m.param("projectId").to_owned(),
                location: location.to_owned(),
                created: now,
                states: vec![("JOB_STATE_PENDING".into(), now)],
                requested: None,
                steps: pipeline_steps(pipeline),
                labels: p["environment"]["additionalUserLabels"].clone(),
                pipeline: pipeline.to_owned(),
            };
            let answer = json!({"job": job_json(&mut job, timing)});
            state.jobs.push(job);
            (200, answer)
        }
        "dataflow.projects.locations.jobs.get" => match find_job(state, m) {
            Some(job) => (200, job_json(job, timing)),
            None => error(404, "NOT_FOUND", "no such job"),
        },
        "dataflow.projects.locations.jobs.list" => {
            let filter = query_param(query, "filter").unwrap_or("ALL");
            let name = query_param(query, "name");
            let project = m.param("projectId").to_owned();
            let location = m.param("location").to_owned();
            let jobs: Vec<Value> = state
                .jobs
                .iter_mut()
                .filter(|j| j.project == project && j.location == location)
                .filter(|j| name.is_none_or(|n| j.name == n))
                .filter_map(|j| {
                    let s = advance(j, timing).to_owned();
                    let keep = match filter {
                        "ACTIVE" => active(&s),
                        "TERMINATED" => terminal(&s),
                        _ => true,
                    };
                    keep.then(|| job_json(j, timing))
                })
                .collect();
            (200, json!({"jobs": jobs}))
        }
        "dataflow.projects.locations.jobs.update" => {
            let requested = body["requestedState"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !matches!(
                requested.as_str(),
                "JOB_STATE_CANCELLED" | "JOB_STATE_DRAINED"
            ) {
                return error(
                    400,
                    "INVALID_ARGUMENT",
                    "the fake supports cancel and drain only",
                );
            }
            match find_job(state, m) {
                Some(job) => {
                    let s = advance(job, timing).to_owned();
                    if terminal(&s) {
                        return error(
                            400,
                            "FAILED_PRECONDITION",
                            &format!("the job is already {s}"),
                        );
                    }
                    job.requested.get_or_insert((requested, Instant::now()));
                    (200, job_json(job, timing))
                }
                None => error(404, "NOT_FOUND", "no such job"),
            }
        }
        "dataflow.projects.locations.jobs.getMetrics" => match find_job(state, m) {
            Some(job) => {
                advance(job, timing);
                let running_since = job
                    .states
                    .iter()
                    .find(|(s, _)| s == "JOB_STATE_RUNNING")
                    .map(|(_, at)| *at);
                let stopped_at = job
                    .states
                    .iter()
                    .find(|(s, _)| terminal(s))
                    .map(|(_, at)| *at);
                // Ten elements a second through every step while running.
                let elements = running_since
                    .map(|since| {
                        let until = stopped_at.unwrap_or_else(Instant::now);
                        (until.saturating_duration_since(since).as_millis() / 100) as i64
                    })
                    .unwrap_or(0);
                let metrics: Vec<Value> = job
                    .steps
                    .iter()
                    .map(|step| {
                        json!({
                            "name": {"origin": "dataflow/v1b3", "name": "ElementCount",
                                     "context": {"original_name": step, "output_user_name": step}},
                            "scalar": elements,
                            "updateTime": rfc3339(Instant::now()),
                        })
                    })
                    .collect();
                (200, json!({"metrics": metrics}))
            }
            None => error(404, "NOT_FOUND", "no such job"),
        },
        "dataflow.projects.locations.jobs.messages.list" => match find_job(state, m) {
            Some(job) => {
                advance(job, timing);
                let messages: Vec<Value> = job
                    .states
                    .iter()
                    .enumerate()
                    .map(|(i, (s, at))| {
                        json!({"id": i.to_string(), "time": rfc3339(*at),
                               "messageImportance": "JOB_MESSAGE_BASIC",
                               "messageText": format!("Job {} is now {s}", job.id)})
                    })
                    .collect();
                (200, json!({"jobMessages": messages}))
            }
            None => error(404, "NOT_FOUND", "no such job"),
        },
        other => error(
            501,
            "UNIMPLEMENTED",
            &format!("the fake does not implement {other}"),
        ),
    }
}

impl State {
    /// Whether anything Sluice could have created is left (topics other than
    /// `keep`, datasets, tables, or active jobs).
    pub fn leftovers(&mut self, keep_topics: &[&str], timing: Timing) -> Vec<String> {
        let mut out: Vec<String> = self
            .topics
            .keys()
            .filter(|t| !keep_topics.contains(&t.as_str()))
            .map(|t| format!("topic {t}"))
            .collect();
        out.extend(self.datasets.keys().map(|d| format!("dataset {d}")));
        out.extend(
            self.subscriptions
                .keys()
                .map(|s| format!("subscription {s}")),
        );
        out.extend(self.tables.keys().map(|t| format!("table {t}")));
        for job in &mut self.jobs {
            let s = advance(job, timing).to_owned();
            if active(&s) {
                out.push(format!("job {} {s}", job.name));
            }
        }
        out
    }

    /// The pipelines of every job launched, in order.
    pub fn launched_pipelines(&self) -> Vec<String> {
        self.jobs.iter().map(|j| j.pipeline.clone()).collect()
    }
}

impl Fake {
    /// What could be left behind (see [`State::leftovers`]).
    pub fn leftovers(&self, keep_topics: &[&str]) -> Vec<String> {
        let timing = self.shared.timing;
        self.state().leftovers(keep_topics, timing)
    }
}
