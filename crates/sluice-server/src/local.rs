//! The local target's API (`/api/local/…`): publish to a local topic (Pub/Sub's REST
//! body shape), deploy a job into this server, its page, cancel, drain, clean-up,
//! a read-only SQL view of the destination table, the destination topic live
//! (server-sent events), the built-in stream generator, and the local target as a
//! project for the catalog panel (its topics and tables, a topic's newest
//! messages, a table's rows).
//!
//! The routes sit behind the same guard as the deploy API (Host, Origin, token).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sluice_deploy::wire::{
    CatalogLoadRequest, GeneratorRequest, GeneratorSettings, GeneratorStatus, LocalCleaned,
    LocalDeployRequest, ProjectCatalog, Published, RowsRequest, SampleRequest, SampledMessage,
    SqlRequest, Stopping, TableRows, TopicMessage, TopicSample,
};
use sluice_local::{JobSpec, Local, LocalError};

use crate::api::{MAX_BODY, parse};
use crate::error::{ApiError, ApiResult};

/// The built-in generator: publishes the seed's stream to a topic at its pace.
#[derive(Default)]
struct Generator {
    running: AtomicBool,
    published: AtomicU64,
    /// Bumped to stop the current run.
    generation: AtomicU64,
    settings: Mutex<Option<GeneratorSettings>>,
}

/// The most event streams open at once; one more is answered 429 (a client error: no ERROR line in the log for each).
pub const MAX_STREAMS: usize = 64;

/// New messages of the topics streams watch, as the one log reader reads them,
/// each rendered once for every stream.
type Batch = Arc<Vec<Rendered>>;

/// The topics open streams watch, with how many watch each, and a count of
/// changes: a reader pass that began before a change may have passed over a newly
/// watched topic's messages, so it reads its range again.
#[derive(Default)]
struct Watched {
    topics: std::collections::HashMap<String, usize>,
    changes: u64,
}

/// A message as its event's id and data.
struct Rendered {
    seq: i64,
    topic: String,
    json: String,
}

/// The local API's state.
pub struct LocalApi {
    local: Local,
    generator: Generator,
    /// Every new message, read once for all event streams (see [`LocalApi::new`]).
    feed: tokio::sync::broadcast::Sender<Batch>,
    /// Event streams open now.
    streams: std::sync::atomic::AtomicUsize,
    /// The topics open streams watch: the reader reads only these.
    watched: Arc<Mutex<Watched>>,
    /// The log reader's thread ends when this is dropped.
    _alive: Arc<()>,
}

impl LocalApi {
    /// The API over `local`, with the one thread that reads new messages for every
    /// event stream: it sleeps until the log's own notification (publishes and
    /// jobs' outputs wake it, as they wake jobs), reads on one kept connection and
    /// hands the messages to the streams, so an open stream costs no reads.
    pub fn new(local: Local) -> Self {
        let (feed, _) = tokio::sync::broadcast::channel(64);
        let alive = Arc::new(());
        let watched_topics: Arc<Mutex<Watched>> = Arc::default();
        let (sender, watched, reader, topics_of) = (
            feed.clone(),
            Arc::downgrade(&alive),
            local.clone(),
            watched_topics.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("event streams".into())
            .spawn(move || {
                let conn = match reader.reader() {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "no reader for the event streams");
                        return;
                    }
                };
                let mut last = reader.wait_newer(i64::MIN, Duration::ZERO);
                while watched.strong_count() > 0 {
                    let newest = reader.wait_newer(last, Duration::from_millis(500));
                    if newest <= last {
                        continue;
                    }
                    let (topics, changes) = {
                        let w = lock(&topics_of);
                        (w.topics.keys().cloned().collect::<Vec<_>>(), w.changes)
                    };
                    let from = last;
                    if topics.is_empty() || sender.receiver_count() == 0 {
                        last = newest;
                    }
                    while !topics.is_empty() && last < newest {
                        match reader.messages_on(&conn, &topics, last, 1000) {
                            Ok(batch) if !batch.is_empty() => {
                                let full = batch.len() == 1000;
                                // Past what was read, even where no message was.
                                last = if full {
                                    batch.last().map_or(last, |m| m.seq)
                                } else {
                                    newest.max(batch.last().map_or(last, |m| m.seq))
                                };
                                let rendered = batch
                                    .iter()
                                    .map(|m| Rendered {
                                        seq: m.seq,
                                        topic: m.topic.clone(),
                                        json: json_text(&message_json(m)),
                                    })
                                    .collect();
                                let _ = sender.send(Arc::new(rendered));
                                if !full {
                                    break;
                                }
                            }
                            Ok(_) => {
                                last = newest;
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "reading new messages for the event streams");
                                std::thread::sleep(Duration::from_millis(200));
                                break;
                            }
                        }
                    }
                    // A stream came for a new topic meanwhile: read the range again
                    // with it (streams skip what they had).
                    if lock(&topics_of).changes != changes {
                        last = from;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "no thread for the event streams");
        }
        Self {
            local,
            generator: Generator::default(),
            feed,
            streams: std::sync::atomic::AtomicUsize::new(0),
            watched: watched_topics,
            _alive: alive,
        }
    }
}

/// An open event stream's place among [`MAX_STREAMS`] and among its topic's
/// watchers, given back when it ends.
struct StreamSlot(Arc<LocalApi>, Option<String>);

impl StreamSlot {
    /// Counts this stream among `topic`'s watchers.
    fn watch(&mut self, topic: &str) {
        let mut w = lock(&self.0.watched);
        *w.topics.entry(topic.to_owned()).or_default() += 1;
        w.changes += 1;
        self.1 = Some(topic.to_owned());
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::AcqRel);
        if let Some(topic) = self.1.take() {
            let mut w = lock(&self.0.watched);
            if let Some(n) = w.topics.get_mut(&topic) {
                *n -= 1;
                if *n == 0 {
                    w.topics.remove(&topic);
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs blocking SQLite work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LocalError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The `/api/local/…` routes.
pub fn routes(api: Arc<LocalApi>) -> Router {
    Router::new()
        .route("/local/topics/{topic}", post(publish))
        .route("/local/topics/{topic}/messages", get(messages))
        .route("/local/topics/{topic}/events", get(events))
        .route("/local/deploy", post(deploy))
        .route("/local/jobs", get(jobs))
        .route("/local/jobs/{job}", get(job))
        .route("/local/jobs/{job}/cancel", post(cancel))
        .route("/local/jobs/{job}/drain", post(drain))
        .route("/local/jobs/{job}/cleanup", post(cleanup))
        .route("/local/sql", post(sql))
        .route("/local/generator", get(generator).post(set_generator))
        .route("/local/catalog", post(catalog))
        .route("/local/sample", post(sample))
        .route("/local/rows", post(rows))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(api)
}

#[derive(Deserialize)]
struct PublishRequest {
    messages: Vec<PubsubMessage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PubsubMessage {
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    attributes: Option<std::collections::HashMap<String, String>>,
    #[serde(default)]
    #[allow(dead_code)]
    ordering_key: Option<String>,
}

/// `POST /api/local/topics/{topic}:publish` with `{"messages": [{"data": base64}]}`.
async fn publish(
    State(api): State<Arc<LocalApi>>,
    Path(topic): Path<String>,
    body: String,
) -> ApiResult {
    let Some(topic) = topic.strip_suffix(":publish").map(str::to_owned) else {
        return Err(ApiError::bad_request(
            "publish with POST /api/local/topics/{topic}:publish",
        ));
    };
    let request: PublishRequest = parse(&body).map_err(ApiError::bad_request)?;
    if request.messages.is_empty() {
        return Err(ApiError::bad_request(
            "messages: at least one message is needed",
        ));
    }
    let mut payloads = Vec::with_capacity(request.messages.len());
    for (i, m) in request.messages.iter().enumerate() {
        match m.data.as_deref().map(sluice_engine::value::base64_decode) {
            Some(Some(bytes)) => payloads.push(bytes),
            Some(None) => {
                return Err(ApiError::bad_request(format!(
                    "messages[{i}].data is not base64"
                )));
            }
            None => {
                return Err(ApiError::bad_request(format!(
                    "messages[{i}].data is missing"
                )));
            }
        }
    }
    let local = api.local.clone();
    let ids = blocking(move || local.publish(&topic, &payloads)).await?;
    Ok(axum::Json(Published {
        message_ids: ids.iter().map(ToString::to_string).collect(),
    })
    .into_response())
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
    #[serde(default = "fifty")]
    limit: usize,
}
fn fifty() -> usize {
    50
}

/// A message as JSON text (a server-sent event's data).
fn json_text(m: &TopicMessage) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn message_json(m: &sluice_local::Message) -> TopicMessage {
    TopicMessage {
        seq: m.seq,
        publish_time: sluice_local::rfc3339(m.publish_micros),
        data: String::from_utf8_lossy(&m.data).into_owned(),
    }
}

async fn messages(
    State(api): State<Arc<LocalApi>>,
    Path(topic): Path<String>,
    Query(q): Query<After>,
) -> ApiResult {
    let local = api.local.clone();
    let limit = q.limit.min(1000);
    let ms = blocking(move || local.messages(&topic, q.after, limit)).await?;
    Ok(axum::Json(ms.iter().map(message_json).collect::<Vec<_>>()).into_response())
}

/// The topic's messages after `after` (or the `Last-Event-ID` a reconnecting
/// `EventSource` sends) as server-sent events, one `message` event each: first
/// those already in the log, read a page at a time, then new ones as the log's
/// reader hands them over. At most [`MAX_STREAMS`] are open at once.
async fn events(
    State(api): State<Arc<LocalApi>>,
    Path(topic): Path<String>,
    Query(q): Query<After>,
    headers: axum::http::HeaderMap,
) -> ApiResult {
    if api.streams.fetch_add(1, Ordering::AcqRel) >= MAX_STREAMS {
        api.streams.fetch_sub(1, Ordering::AcqRel);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many event streams are open (at most {MAX_STREAMS}): close one and try again"
            ),
        ));
    }
    let mut slot = StreamSlot(api.clone(), None);
    {
        let (local, name) = (api.local.clone(), topic.clone());
        if !blocking(move || local.topic_exists(&name)).await? {
            return Err(LocalError::NoTopic(topic).into());
        }
    }
    let after = headers
        .get("last-event-id")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse().ok())
        .unwrap_or(q.after);
    // Watched and subscribed before catching up, so nothing falls between the two.
    slot.watch(&topic);
    let live = api.feed.subscribe();
    let state = (slot, topic, after, live, true);
    let stream = futures_util::stream::unfold(
        state,
        |(slot, topic, last, mut live, mut catching_up)| async move {
            loop {
                let batch: Vec<(i64, String)> = if catching_up {
                    let (local, t) = (slot.0.local.clone(), topic.clone());
                    let page = tokio::task::spawn_blocking(move || local.messages(&t, last, 1000))
                        .await
                        .ok()
                        .and_then(Result::ok)?;
                    catching_up = page.len() == 1000;
                    page.iter()
                        .map(|m| (m.seq, json_text(&message_json(m))))
                        .collect()
                } else {
                    match live.recv().await {
                        Ok(batch) => batch
                            .iter()
                            .filter(|m| m.topic == topic && m.seq > last)
                            .map(|m| (m.seq, m.json.clone()))
                            .collect(),
                        // Too slow a reader: the stream ends, and the browser's
                        // EventSource comes back with its Last-Event-ID.
                        Err(_) => return None,
                    }
                };
                let Some(newest) = batch.last().map(|(seq, _)| *seq) else {
                    continue;
                };
                let events: Vec<Result<Event, Infallible>> = batch
                    .into_iter()
                    .map(|(seq, json)| {
                        Ok(Event::default()
                            .event("message")
                            .id(seq.to_string())
                            .data(json))
                    })
                    .collect();
                return Some((
                    futures_util::stream::iter(events),
                    (slot, topic, newest, live, catching_up),
                ));
            }
        },
    );
    use futures_util::StreamExt as _;
    Ok(Sse::new(stream.flatten())
        .keep_alive(KeepAlive::default())
        .into_response())
}

async fn deploy(State(api): State<Arc<LocalApi>>, body: String) -> ApiResult {
    let body: LocalDeployRequest = parse(&body).map_err(ApiError::bad_request)?;
    let spec = JobSpec {
        name: body.job_name,
        query: body.query,
        catalog: body
            .catalog
            .unwrap_or_else(|| sluice_sql::Catalog::reference().to_json()),
        generated: body
            .generated
            .unwrap_or_else(sluice_local::default_generated),
    };
    let local = api.local.clone();
    let status = blocking(move || local.deploy(&spec)).await?;
    Ok(axum::Json(status).into_response())
}

async fn jobs(State(api): State<Arc<LocalApi>>) -> ApiResult {
    let local = api.local.clone();
    let all = blocking(move || {
        local
            .job_names()?
            .iter()
            .map(|n| local.status(n))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    Ok(axum::Json(all).into_response())
}

async fn job(State(api): State<Arc<LocalApi>>, Path(name): Path<String>) -> ApiResult {
    let local = api.local.clone();
    let status = blocking(move || local.status(&name)).await?;
    Ok(axum::Json(status).into_response())
}

async fn stop(api: Arc<LocalApi>, name: String, drain: bool) -> ApiResult {
    let local = api.local.clone();
    blocking(move || local.stop(&name, drain)).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Stopping { stopping: true }),
    )
        .into_response())
}

async fn cancel(State(api): State<Arc<LocalApi>>, Path(name): Path<String>) -> ApiResult {
    stop(api, name, false).await
}

async fn drain(State(api): State<Arc<LocalApi>>, Path(name): Path<String>) -> ApiResult {
    stop(api, name, true).await
}

async fn cleanup(State(api): State<Arc<LocalApi>>, Path(name): Path<String>) -> ApiResult {
    let local = api.local.clone();
    let (deleted, kept) = blocking(move || local.cleanup(&name)).await?;
    Ok(axum::Json(LocalCleaned {
        deleted: deleted.iter().map(|r| r.describe()).collect(),
        kept: kept
            .iter()
            .map(|(r, why)| (r.describe(), why.clone()))
            .collect(),
    })
    .into_response())
}

async fn sql(State(api): State<Arc<LocalApi>>, body: String) -> ApiResult {
    let body: SqlRequest = parse(&body).map_err(ApiError::bad_request)?;
    let local = api.local.clone();
    let max = body.max_rows.min(10_000);
    let rows = blocking(move || local.query(&body.sql, max)).await?;
    Ok(axum::Json(rows).into_response())
}

async fn generator(State(api): State<Arc<LocalApi>>) -> Response {
    let g = &api.generator;
    axum::Json(GeneratorStatus {
        running: g.running.load(Ordering::Acquire),
        published: g.published.load(Ordering::Acquire),
        settings: g.settings.lock().unwrap_or_else(|p| p.into_inner()).clone(),
    })
    .into_response()
}

async fn set_generator(State(api): State<Arc<LocalApi>>, body: String) -> ApiResult {
    let body: GeneratorRequest = parse(&body).map_err(ApiError::bad_request)?;
    let g = &api.generator;
    if !body.running {
        g.generation.fetch_add(1, Ordering::AcqRel);
        g.running.store(false, Ordering::Release);
        return Ok(generator(State(api)).await);
    }
    let settings = body.settings.unwrap_or_default();
    if !(settings.speed > 0.0 && settings.speed <= 1e6) {
        return Err(ApiError::bad_request(
            "speed: between 0 and 1,000,000 times the seed's pace",
        ));
    }
    {
        let local = api.local.clone();
        let topic = settings.topic.clone();
        blocking(move || local.check_publishable(&topic)).await?;
    }
    // Only a valid request replaces the running generator: a refused one leaves
    // it publishing, as `GET` then says.
    let generation = g.generation.fetch_add(1, Ordering::AcqRel) + 1;
    *g.settings.lock().unwrap_or_else(|p| p.into_inner()) = Some(settings.clone());
    g.running.store(true, Ordering::Release);
    let task_api = api.clone();
    tokio::spawn(async move {
        let params = sluice_datagen::StreamParams {
            customer_range: settings.customer_range,
            seed: settings.seed,
            status_mix: settings.status_mix.into(),
            ..sluice_datagen::StreamParams::default()
        };
        for (gap, event) in sluice_datagen::Stream::new(params).paced(settings.speed) {
            let g = &task_api.generator;
            if g.generation.load(Ordering::Acquire) != generation {
                return;
            }
            tokio::time::sleep(gap).await;
            let payload = event.payload();
            let (local, topic) = (task_api.local.clone(), settings.topic.clone());
            let sent = tokio::task::spawn_blocking(move || {
                local.publish(&topic, &[payload.to_string().into_bytes()])
            })
            .await;
            if !matches!(sent, Ok(Ok(_))) {
                g.running.store(false, Ordering::Release);
                return;
            }
            g.published.fetch_add(1, Ordering::AcqRel);
        }
    });
    Ok(generator(State(api)).await)
}

/// `POST /api/local/catalog`: the local target's topics and tables as a
/// project's catalog (each topic with the fields its jobs were deployed with).
async fn catalog(State(api): State<Arc<LocalApi>>, body: String) -> ApiResult {
    let request: CatalogLoadRequest = parse(&body).map_err(ApiError::bad_request)?;
    sluice_deploy::target::check_project(&request.project).map_err(ApiError::bad_request)?;
    let (local, project) = (api.local.clone(), request.project.clone());
    let loaded = blocking(move || local.project(&project)).await?;
    let typed_topics = loaded
        .sources
        .iter()
        .filter(|s| !s.is_bounded())
        .map(|s| s.sql_name())
        .collect();
    let catalog = sluice_sql::Catalog {
        project: request.project.clone(),
        sources: loaded.sources,
    };
    Ok(axum::Json(ProjectCatalog {
        project: request.project,
        catalog: catalog.to_json(),
        notes: loaded.notes,
        loaded_at: sluice_local::rfc3339(sluice_local::now_micros()),
        typed_topics,
    })
    .into_response())
}

/// `POST /api/local/sample`: a local topic's newest messages (the local target
/// keeps them all, so there is nothing to wait for or replay).
async fn sample(State(api): State<Arc<LocalApi>>, body: String) -> ApiResult {
    let request: SampleRequest = parse(&body).map_err(ApiError::bad_request)?;
    if !sluice_local::valid_topic_name(&request.topic) {
        return Err(ApiError::bad_request(format!(
            "\"{}\" is not a topic name",
            request.topic
        )));
    }
    let max = request
        .max_messages
        .clamp(1, sluice_deploy::sample::MAX_MESSAGES);
    let (local, topic) = (api.local.clone(), request.topic.clone());
    let newest = blocking(move || local.newest_messages(&topic, max)).await?;
    let mut notes =
        vec!["the local target keeps every message: these are the topic's newest".to_string()];
    let mut messages = Vec::with_capacity(newest.len());
    for m in newest {
        match String::from_utf8(m.data) {
            Ok(data) => messages.push(SampledMessage {
                publish_time: sluice_local::rfc3339(m.publish_micros),
                data,
            }),
            Err(_) => notes.push(format!("message {} is not UTF-8 text: left out", m.seq)),
        }
    }
    Ok(axum::Json(TopicSample {
        topic: format!("the local topic {}", request.topic),
        messages,
        notes,
        sampled_at: sluice_local::rfc3339(sluice_local::now_micros()),
    })
    .into_response())
}

/// `POST /api/local/rows`: a page of a local table's rows, with the schema its
/// jobs gave it; the page token is the next row's position.
async fn rows(State(api): State<Arc<LocalApi>>, body: String) -> ApiResult {
    use sluice_deploy::target::{check_dataset, check_project, check_table};
    let request: RowsRequest = parse(&body).map_err(ApiError::bad_request)?;
    check_project(&request.project).map_err(ApiError::bad_request)?;
    check_dataset(&request.dataset).map_err(ApiError::bad_request)?;
    check_table(&request.table).map_err(ApiError::bad_request)?;
    if request.filter.is_some() || request.job.is_some() {
        return Err(ApiError::bad_request(
            "filter: the local target reads a table's rows in the order they were written, without a filter",
        ));
    }
    let offset: u64 = match request.page_token.as_deref() {
        None => 0,
        Some(t) => t
            .parse()
            .map_err(|_| ApiError::bad_request(format!("page_token {t:?} is not one of ours")))?,
    };
    let max = request.max_rows.clamp(1, sluice_deploy::rows::PAGE_ROWS) as usize;
    let name = format!("{}.{}", request.dataset, request.table);
    let local = api.local.clone();
    let (project, dataset, table) = (request.project, request.dataset, request.table);
    let local_name = name.clone();
    let (schema, rows, total) = blocking(move || {
        let known = local.project(&project)?;
        let Some(source) = known.sources.into_iter().find(|s| {
            s.is_bounded() && s.dataset.as_deref() == Some(dataset.as_str()) && s.name == table
        }) else {
            return Err(LocalError::Invalid(format!(
                "no local table {local_name}: deploy a job that reads or writes it"
            )));
        };
        let (rows, total) = local.table_rows(&local_name, &source.schema, offset, max)?;
        Ok((source.schema, rows, total))
    })
    .await?;
    let next = offset + rows.len() as u64;
    Ok(axum::Json(TableRows {
        table: format!("the local table {name}"),
        schema: sluice_sql::schema::schema_to_json(&schema),
        page_token: (!rows.is_empty() && next < total).then(|| next.to_string()),
        rows,
        total_rows: Some(total),
        read_at: sluice_local::rfc3339(sluice_local::now_micros()),
        job: None,
        bytes_billed: None,
    })
    .into_response())
}
