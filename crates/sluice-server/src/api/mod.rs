//! The deploy API: plan, apply (with step-by-step progress), jobs, clean-up.
//!
//! Safety, for a server on the analyst's machine that holds their Google
//! credentials:
//! - every `/api` request must name this server in `Host` (no DNS rebinding) and,
//!   when it has an `Origin`, come from this server's own origin;
//! - every call but `GET /api/health` must carry the random per-run token the
//!   server printed (`X-Sluice-Token`, or `Authorization: Bearer`): job pages,
//!   logs, topics' messages and the configuration are the user's data too;
//! - a `GET` may instead carry the session cookie (`sluice_session`) that
//!   `POST /api/session` sets for a caller with the token, because a browser's
//!   `EventSource` cannot send headers: `HttpOnly`, `SameSite=Strict`, `Path=/api`,
//!   a random value of its own (never the token), valid while the server runs.
//!   A cookie alone never allows a `POST`;
//! - bodies are limited to [`MAX_BODY`];
//! - the server talks only to the Google endpoints it was started with, never to a
//!   URL a request names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sluice_deploy::apply::{self, Progress, Stop};
use sluice_deploy::wire::{
    Applying, CatalogLoadRequest, CleanupRequest, CleanupStarted, CreatedResource, DataflowJob,
    DefaultTarget, DeployConfig, DeployedJob, EstimateRequest, Operation, OperationKind,
    ProjectCatalog, QueryEstimate, RowsRequest, SampleRequest, Session, StepState, TableRows,
    TopicSample,
};

use crate::cloud::{CloudConfig, DeployRequest};
use crate::error::{ApiError, ApiResult};
use sluice_deploy::StepStatus;

/// The largest request body the API reads.
pub const MAX_BODY: usize = 4 << 20;

/// Who may call the API: requests addressed to one of this server's `hosts`, from
/// no other site, with the per-run token (or, for reads, the session cookie).
pub struct Guard {
    token: String,
    /// The session cookie's value (see the module's doc).
    session: String,
    hosts: Vec<String>,
}

impl Guard {
    /// The guard of a server reachable as `hosts` (`host:port` forms), with `token`.
    pub fn new(token: String, hosts: Vec<String>) -> Self {
        // Without a random source the cookie can never match: GETs need the token.
        let session = random_token().unwrap_or_default();
        Self {
            token,
            session,
            hosts,
        }
    }
}

/// The deploy API's state.
pub struct Api {
    config: CloudConfig,
    operations: Mutex<HashMap<String, Operation>>,
    /// How long clean-up waits for a job to stop.
    pub stop_wait: Duration,
    /// How often clean-up polls a stopping job.
    pub stop_poll: Duration,
}

impl Api {
    /// The deploy API over `config`.
    pub fn new(config: CloudConfig) -> Self {
        Self {
            config,
            operations: Mutex::new(HashMap::new()),
            stop_wait: Duration::from_secs(600),
            stop_poll: Duration::from_secs(5),
        }
    }

    fn operations(&self) -> std::sync::MutexGuard<'_, HashMap<String, Operation>> {
        self.operations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// 32 hex digits from the operating system's random source.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `POST /api/session` (to nest under `/api`, behind the guard).
pub fn session_routes(guard: Arc<Guard>) -> Router {
    Router::new()
        .route("/session", post(session))
        .with_state(guard)
}

/// The `/api/deploy`, `/api/jobs` routes (to nest under `/api`, behind the guard).
pub fn routes(api: Arc<Api>) -> Router {
    Router::new()
        .route("/deploy/config", get(config))
        .route("/catalog/load", post(load_catalog))
        .route("/catalog/sample", post(sample_topic))
        .route("/catalog/rows", post(table_rows))
        .route("/catalog/estimate", post(estimate_rows))
        .route("/deploy/plan", post(plan))
        .route("/deploy/apply", post(start_apply))
        .route("/jobs", get(jobs))
        .route("/jobs/{project}/{job}", get(job))
        .route("/jobs/{project}/{job}/operation", get(operation))
        .route("/jobs/{project}/{job}/cleanup", post(start_cleanup))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(api)
}

/// Refuses foreign `Host` and `Origin` headers on every API call, and a missing or
/// wrong token (or, for reads, session cookie) on every call but `/api/health`.
pub async fn guard(State(api): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    if let Err(refusal) = check_headers(
        &api,
        request.method(),
        request.uri().path(),
        request.headers(),
    ) {
        return refusal.into_response();
    }
    next.run(request).await
}

fn check_headers(
    api: &Guard,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    // With two Host headers, which one a proxy or a check reads differs: refused.
    if headers.get_all(header::HOST).iter().count() > 1 {
        return Err(ApiError::bad_request(
            "a request has one Host header; this one has several",
        ));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !api.hosts.contains(&host) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this server answers only requests addressed to it (foreign Host header)",
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
        let own = api.hosts.iter().any(|h| origin == format!("http://{h}"));
        if !own {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "requests from other sites are refused (foreign Origin header)",
            ));
        }
    }
    // The path within `/api` (the guard sits on the nested router).
    if path == "/health" {
        return Ok(());
    }
    // The header the page sends, or a bearer token (what Pub/Sub clients send).
    let given = headers
        .get("x-sluice-token")
        .and_then(|h| h.to_str().ok())
        .or_else(|| {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok())
                .and_then(|h| h.strip_prefix("Bearer "))
        })
        .unwrap_or_default();
    if constant_time_eq(given.as_bytes(), api.token.as_bytes()) {
        return Ok(());
    }
    let reads = method == Method::GET || method == Method::HEAD;
    if reads && !api.session.is_empty() {
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(';'))
            .filter_map(|c| c.trim().strip_prefix(SESSION_COOKIE))
            .filter_map(|c| c.strip_prefix('='))
            .any(|v| constant_time_eq(v.as_bytes(), api.session.as_bytes()));
        if cookie {
            return Ok(());
        }
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "this call needs the token in the URL `sluice serve` printed",
    ))
}

/// The session cookie's name.
const SESSION_COOKIE: &str = "sluice_session";

/// `POST /api/session` (with the token): sets the session cookie a browser's
/// `EventSource` sends with its `GET`s.
async fn session(State(api): State<Arc<Guard>>) -> Response {
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/api; HttpOnly; SameSite=Strict",
        api.session
    );
    (
        [(header::SET_COOKIE, cookie)],
        axum::Json(Session { session: true }),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads a JSON body by hand, so that a broken one gets a message with where and why.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(body: &str) -> Result<T, String> {
    serde_json::from_str(body).map_err(|e| {
        format!(
            "the request body is not valid: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })
}

async fn config(State(api): State<Arc<Api>>) -> Response {
    let credentials = api.config.credentials();
    // Google Cloud when there is a way to reach it, else this server.
    let target = if credentials.is_some() || std::env::var_os("SLUICE_GCP_ENDPOINT").is_some() {
        DefaultTarget::Gcp
    } else {
        DefaultTarget::Local
    };
    axum::Json(DeployConfig {
        target,
        credentials,
        credentials_help: sluice_deploy::deploy::CREDENTIALS_HELP.into(),
        endpoints: api.config.endpoints.clone(),
        state_dir: api.config.state_dir.display().to_string(),
    })
    .into_response()
}

async fn plan(State(api): State<Arc<Api>>, body: String) -> ApiResult {
    let request: DeployRequest = parse(&body).map_err(ApiError::bad_request)?;
    match crate::cloud::prepare(&request) {
        Ok(prepared) => Ok(axum::Json(prepared.to_json(&api.config.endpoints)).into_response()),
        Err(crate::cloud::Refused::Query(diagnostics)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the query cannot be deployed",
        )
        .with_diagnostics(diagnostics.iter().map(|d| d.to_json()).collect())),
        Err(e) => Err(ApiError::bad_request(e)),
    }
}

fn key(project: &str, job: &str) -> String {
    format!("{project}/{job}")
}

/// Whether `project` and `job` could name a recorded deployment (no path tricks).
fn plain(project: &str, job: &str) -> bool {
    apply::is_record_name(project) && apply::is_record_name(job)
}

fn no_such_deployment() -> ApiError {
    ApiError::not_found(
        "no such deployment is recorded: Sluice deletes only what it recorded creating",
    )
}

/// `POST /api/catalog/load`: the project's topics and tables, read from Google
/// Cloud with the server's credentials.
async fn load_catalog(State(api): State<Arc<Api>>, body: String) -> ApiResult {
    let request: CatalogLoadRequest = parse(&body).map_err(ApiError::bad_request)?;
    sluice_deploy::target::check_project(&request.project).map_err(ApiError::bad_request)?;
    let client = api
        .config
        .ready_client()
        .await
        .map_err(ApiError::unavailable)?;
    let loaded = sluice_deploy::project::load(&client, &request.project)
        .await
        .map_err(ApiError::bad_gateway)?;
    let catalog = sluice_sql::Catalog {
        project: request.project.clone(),
        sources: loaded.sources,
    };
    let now = sluice_local::now_micros();
    Ok(axum::Json(ProjectCatalog {
        project: request.project,
        catalog: catalog.to_json(),
        notes: loaded.notes,
        loaded_at: sluice_local::rfc3339(now),
        typed_topics: loaded.typed_topics,
    })
    .into_response())
}

/// `POST /api/catalog/sample`: a topic's messages, through a temporary
/// subscription. The sample runs as its own task, so a caller that goes away
/// does not stop it before it deletes its subscription; leftovers of earlier runs
/// in the project are deleted first.
async fn sample_topic(State(api): State<Arc<Api>>, body: String) -> ApiResult {
    use sluice_deploy::sample::{MAX_MESSAGES, MAX_SECONDS, SampleOptions};
    let request: SampleRequest = parse(&body).map_err(ApiError::bad_request)?;
    sluice_deploy::target::check_project(&request.project).map_err(ApiError::bad_request)?;
    sluice_deploy::target::check_topic(&request.topic).map_err(ApiError::bad_request)?;
    let client = api
        .config
        .ready_client()
        .await
        .map_err(ApiError::unavailable)?;
    let now = sluice_local::now_micros();
    let options = SampleOptions {
        max_messages: request.max_messages.clamp(1, MAX_MESSAGES),
        max_wait: Duration::from_secs(request.seconds.clamp(1, MAX_SECONDS)),
        replay_from: request
            .replay_minutes
            .map(|m| sluice_local::rfc3339(now - (m.min(31 * 24 * 60) as i64) * 60_000_000)),
    };
    let (project, topic) = (request.project.clone(), request.topic.clone());
    let task = tokio::spawn(async move {
        let mut notes = Vec::new();
        match sluice_deploy::sample::delete_leftovers(&client, &project).await {
            Ok(gone) if !gone.is_empty() => notes.push(format!(
                "deleted {} sampling subscription(s) an earlier run left behind",
                gone.len()
            )),
            Ok(_) => {}
            Err(e) => notes.push(format!(
                "could not look for sampling subscriptions an earlier run left behind: {e}"
            )),
        }
        let sampled =
            sluice_deploy::sample::sample_topic(&client, &project, &topic, now as u64, &options)
                .await;
        (notes, sampled)
    });
    let (mut notes, sampled) = task.await.map_err(ApiError::internal)?;
    let sampled = sampled.map_err(ApiError::bad_gateway)?;
    notes.extend(sampled.notes);
    let done = sluice_local::now_micros();
    Ok(axum::Json(TopicSample {
        topic: format!("projects/{}/topics/{}", request.project, request.topic),
        messages: sampled.messages,
        notes,
        sampled_at: sluice_local::rfc3339(done),
    })
    .into_response())
}

/// The client to read the table a request names, once its names are checked.
async fn table_client(
    api: &Api,
    project: &str,
    dataset: &str,
    table: &str,
) -> Result<sluice_deploy::gcp::Client, ApiError> {
    use sluice_deploy::target::{check_dataset, check_project, check_table};
    check_project(project).map_err(ApiError::bad_request)?;
    check_dataset(dataset).map_err(ApiError::bad_request)?;
    check_table(table).map_err(ApiError::bad_request)?;
    api.config
        .ready_client()
        .await
        .map_err(ApiError::unavailable)
}

/// The query that reads at most `max_rows` of the table's rows `filter` keeps,
/// the filter checked against the table's schema of the moment.
async fn checked_filter(
    client: &sluice_deploy::gcp::Client,
    (project, dataset, table): (&str, &str, &str),
    filter: &str,
    max_rows: u32,
) -> Result<sluice_deploy::rows::FilteredQuery, ApiError> {
    let source = sluice_deploy::rows::table_of(client, project, dataset, table)
        .await
        .map_err(ApiError::bad_gateway)?;
    let max = max_rows.clamp(1, sluice_deploy::rows::MAX_ROWS);
    sluice_deploy::rows::filtered_query(&source, filter, max)
        .map_err(|why| ApiError::bad_request(format!("the filter: {why}")))
}

/// `POST /api/catalog/estimate`: what reading a table's rows through a filter
/// would bill: the filter checked by Sluice's analyzer against the table's
/// schema of the moment, then the query run dry.
async fn estimate_rows(State(api): State<Arc<Api>>, body: String) -> ApiResult {
    let request: EstimateRequest = parse(&body).map_err(ApiError::bad_request)?;
    let client = table_client(&api, &request.project, &request.dataset, &request.table).await?;
    let query = checked_filter(
        &client,
        (&request.project, &request.dataset, &request.table),
        &request.filter,
        request.max_rows,
    )
    .await?;
    let estimate = sluice_deploy::rows::estimate_query(&client, &query)
        .await
        .map_err(ApiError::bad_gateway)?;
    Ok(axum::Json(QueryEstimate {
        query: query.text,
        bytes_processed: estimate.processed,
        bytes_billed: estimate.billed,
    })
    .into_response())
}

/// `POST /api/catalog/rows`: a page of a table's rows: read with
/// `tabledata.list` (no query, so no bytes billed) and the table's schema of the
/// moment; or, with a filter, a page of the query that keeps its rows, run
/// within the bytes the user agreed to be billed.
async fn table_rows(State(api): State<Arc<Api>>, body: String) -> ApiResult {
    use sluice_deploy::rows;
    let request: RowsRequest = parse(&body).map_err(ApiError::bad_request)?;
    let client = table_client(&api, &request.project, &request.dataset, &request.table).await?;
    let table = format!("{}.{}.{}", request.project, request.dataset, request.table);
    let read_at = || sluice_local::rfc3339(sluice_local::now_micros());
    let page_rows = request.max_rows.max(1);
    let Some(filter) = &request.filter else {
        let (schema, page) = rows::read_page(
            &client,
            &request.project,
            &request.dataset,
            &request.table,
            page_rows,
            request.page_token.as_deref(),
        )
        .await
        .map_err(ApiError::bad_gateway)?;
        return Ok(axum::Json(TableRows {
            table,
            schema: sluice_sql::schema::schema_to_json(&schema),
            rows: page.rows,
            total_rows: page.total_rows,
            page_token: page.next,
            read_at: read_at(),
            job: None,
            bytes_billed: None,
        })
        .into_response());
    };
    let page = match (&request.job, &request.page_token) {
        (Some(job), Some(token)) => {
            job.check()
                .map_err(|why| ApiError::bad_request(format!("job: {why}")))?;
            if job.project != request.project {
                return Err(ApiError::bad_request("job: not this project's query job"));
            }
            rows::next_query_page(&client, job, page_rows, Some(token))
                .await
                .map_err(ApiError::bad_gateway)?
        }
        (None, None) => {
            let Some(max_billed) = request.max_bytes_billed else {
                return Err(ApiError::bad_request(
                    "max_bytes_billed: a filter's query runs only within the bytes its estimate showed (POST /api/catalog/estimate first)",
                ));
            };
            let query = checked_filter(
                &client,
                (&request.project, &request.dataset, &request.table),
                filter,
                request.limit.unwrap_or(request.max_rows),
            )
            .await?;
            let request_id = crate::api::random_token().map_err(ApiError::internal)?;
            rows::run_first_page(&client, &query, max_billed, page_rows, &request_id)
                .await
                .map_err(ApiError::bad_gateway)?
        }
        _ => {
            return Err(ApiError::bad_request(
                "job and page_token go together: the next page of a query job",
            ));
        }
    };
    Ok(axum::Json(TableRows {
        table,
        schema: sluice_sql::schema::schema_to_json(&page.schema),
        rows: page.page.rows,
        total_rows: page.page.total_rows,
        page_token: page.page.next,
        read_at: read_at(),
        job: Some(page.job),
        bytes_billed: page.billed,
    })
    .into_response())
}

async fn start_apply(State(api): State<Arc<Api>>, body: String) -> ApiResult {
    let request: DeployRequest = parse(&body).map_err(ApiError::bad_request)?;
    let prepared = crate::cloud::prepare(&request).map_err(ApiError::bad_request)?;
    let client = api
        .config
        .ready_client()
        .await
        .map_err(ApiError::unavailable)?;
    let job_name = prepared.target.job_name.clone();
    let id = key(&prepared.target.project, &job_name);
    {
        let mut ops = api.operations();
        if ops.get(&id).is_some_and(|o| !o.finished) {
            return Err(ApiError::conflict(
                "this job is being deployed or cleaned up already",
            ));
        }
        let endpoints = &api.config.endpoints;
        ops.insert(
            id.clone(),
            Operation {
                kind: OperationKind::Apply,
                steps: prepared
                    .plan
                    .steps
                    .iter()
                    .map(|s| StepState {
                        title: s.title.clone(),
                        method: s.request.method.clone(),
                        url: s.request.url(endpoints),
                        status: StepStatus::Pending,
                        outcome: None,
                        detail: None,
                        error: None,
                    })
                    .collect(),
                ..Operation::default()
            },
        );
    }
    let task_api = api.clone();
    let task_id = id.clone();
    tokio::spawn(async move {
        let store = task_api.config.store();
        let update = |f: &dyn Fn(&mut Operation)| {
            if let Some(op) = task_api.operations().get_mut(&task_id) {
                f(op);
            }
        };
        let result = apply::apply(&client, &prepared.plan, &store, |p| match p {
            Progress::Started { index } => {
                update(&|op| op.steps[index].status = StepStatus::Running)
            }
            Progress::Done { index, outcome } => update(&|op| {
                let step = &mut op.steps[index];
                step.status = StepStatus::Done;
                step.detail = Some(crate::cloud::describe(&outcome));
                step.outcome = Some(outcome.clone());
            }),
            Progress::Failed { index, error } => update(&|op| {
                op.steps[index].status = StepStatus::Failed;
                op.steps[index].error = Some(error.clone());
            }),
        })
        .await;
        update(&|op| {
            op.finished = true;
            match &result {
                Ok(job_id) => op.job_id = Some(job_id.clone()),
                Err(e) => {
                    op.error = Some(e.to_string());
                    op.created = e
                        .created
                        .iter()
                        .map(|r| CreatedResource {
                            resource: r.clone(),
                            describe: r.describe(),
                        })
                        .collect();
                }
            }
        });
    });
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Applying {
            project: request.project,
            job_name,
        }),
    )
        .into_response())
}

async fn operation(
    State(api): State<Arc<Api>>,
    Path((project, job)): Path<(String, String)>,
) -> ApiResult {
    match api.operations().get(&key(&project, &job)) {
        Some(op) => Ok(axum::Json(op.clone()).into_response()),
        None => Err(ApiError::not_found(
            "nothing is being deployed or cleaned up for this job",
        )),
    }
}

async fn jobs(State(api): State<Arc<Api>>) -> ApiResult {
    let list = api.config.store().list().map_err(ApiError::internal)?;
    Ok(axum::Json(
        list.iter()
            .map(|m| DeployedJob {
                project: m.project.clone(),
                region: m.region.clone(),
                job_name: m.job_name.clone(),
                job_id: m.job_id.clone(),
                console_url: m.console_url(),
                created: m.created.iter().map(|r| r.describe()).collect(),
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

async fn job(
    State(api): State<Arc<Api>>,
    Path((project, job)): Path<(String, String)>,
) -> ApiResult {
    if !plain(&project, &job) {
        return Err(no_such_deployment());
    }
    let store = api.config.store();
    let mut m = store
        .load(&project, &job)
        .map_err(ApiError::internal)?
        .ok_or_else(no_such_deployment)?;
    if m.job_id.is_none() {
        return Ok(axum::Json(DataflowJob {
            job_name: m.job_name.clone(),
            job_id: None,
            state: sluice_deploy::JobState::Unknown,
            state_time: String::new(),
            history: vec![],
            elements: vec![],
            messages: vec![],
            console_url: None,
            created: m.created.clone(),
            dead_letters: 0,
        })
        .into_response());
    }
    let client = api
        .config
        .ready_client()
        .await
        .map_err(ApiError::unavailable)?;
    let status = apply::status(&client, &store, &mut m)
        .await
        .map_err(ApiError::bad_gateway)?;
    Ok(axum::Json(status).into_response())
}

async fn start_cleanup(
    State(api): State<Arc<Api>>,
    Path((project, job)): Path<(String, String)>,
    body: String,
) -> ApiResult {
    let body: CleanupRequest = if body.trim().is_empty() {
        CleanupRequest::default()
    } else {
        parse(&body).map_err(ApiError::bad_request)?
    };
    if !plain(&project, &job) {
        return Err(no_such_deployment());
    }
    let store = api.config.store();
    let mut m = store
        .load(&project, &job)
        .map_err(ApiError::internal)?
        .ok_or_else(no_such_deployment)?;
    let client = api
        .config
        .ready_client()
        .await
        .map_err(ApiError::unavailable)?;
    let id = key(&project, &job);
    {
        let mut ops = api.operations();
        if ops.get(&id).is_some_and(|o| !o.finished) {
            return Err(ApiError::conflict(
                "this job is being deployed or cleaned up already",
            ));
        }
        ops.insert(
            id.clone(),
            Operation {
                kind: if m.job_id.is_some() {
                    OperationKind::Cleanup
                } else {
                    OperationKind::Rollback
                },
                ..Operation::default()
            },
        );
    }
    let stop = if body.drain {
        Stop::Drain
    } else {
        Stop::Cancel
    };
    let task_api = api.clone();
    tokio::spawn(async move {
        let result = apply::cleanup(
            &client,
            &store,
            &mut m,
            stop,
            task_api.stop_wait,
            task_api.stop_poll,
        )
        .await;
        if let Some(op) = task_api.operations().get_mut(&id) {
            op.finished = true;
            match result {
                Ok(done) => op.cleanup = Some(done),
                Err(e) => op.error = Some(e.to_string()),
            }
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(CleanupStarted { started: true }),
    )
        .into_response())
}

#[cfg(test)]
mod tests;
