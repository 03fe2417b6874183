//! The local deploy target: the same query a Dataflow job would run, running in the
//! `sluice` server on `sluice-engine`, for people without a Google Cloud project.
//!
//! Everything lives in one SQLite file (`local.sqlite` in the server's data
//! directory):
//! - **topics**: one log of messages with a global sequence number; anyone may
//!   publish (Pub/Sub's REST body shape), jobs read from their position;
//! - **tables**: the generated sources (`ecommerce.customers`, `ecommerce.orders`)
//!   and each job's destination (`sluice.<job>`), real SQL tables anyone can query;
//! - **jobs**: each job's query, state, history, log and committed position.
//!
//! A job commits its output rows, its output messages and its new position in one
//! transaction, so a server killed at any moment resumes without losing or
//! duplicating a row (see [`job`]).

pub mod job;
pub mod project;
pub mod store;

mod deploy;
mod query;

pub use sluice_deploy::JobState;
pub use sluice_deploy::wire::{
    Generated, LocalJob, LocalResource as Resource, SqlResult as QueryResult, StateChange,
};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sluice_sql::catalog::SourceKind;
use sluice_sql::types::Field;
use sluice_sql::{Catalog, Plan};

pub use sluice_deploy::wire::Live;
pub use store::Message;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// No such topic.
    #[error("no topic {0}: create it by deploying a job that reads it")]
    NoTopic(String),
    /// No such job.
    #[error("no local job {0}")]
    NoJob(String),
    /// A job's output topic: only the job publishes to it.
    #[error(
        "topic {topic} is the output of local job {job}: only the job publishes to it, so that what it holds is what the job wrote"
    )]
    OutputTopic {
        /// The topic.
        topic: String,
        /// The job that writes it.
        job: String,
    },
    /// A job of that name ended and was not cleaned up.
    #[error("the local job {0} exists (it ended): clean it up before deploying it again")]
    JobExists(String),
    /// A bad name, message or request.
    #[error("{0}")]
    Invalid(String),
    /// The query does not analyze or cannot run.
    #[error("the query cannot run: {0}")]
    Query(String),
    /// The SQLite file.
    #[error("local storage: {0}")]
    Storage(#[from] rusqlite::Error),
    /// The data directory.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The generator's defaults for a job's source tables (the batch generator's).
pub fn default_generated() -> Generated {
    let p = sluice_datagen::BatchParams::default();
    Generated {
        customers: p.customer_count,
        orders: p.order_count,
        seed: p.seed,
        status_mix: [
            p.status_mix.open,
            p.status_mix.closed,
            p.status_mix.cancelled,
        ],
    }
}

/// The batch generator's parameters for `generated`.
pub fn batch_params(generated: &Generated) -> sluice_datagen::BatchParams {
    sluice_datagen::BatchParams {
        customer_count: generated.customers.max(1),
        order_count: generated.orders,
        seed: generated.seed,
        status_mix: generated.status_mix.into(),
        ..sluice_datagen::BatchParams::default()
    }
}

/// What to run: a name, the query, its catalog, and the generated tables' settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The job's name (lowercase letters, digits, hyphens).
    pub name: String,
    /// The query.
    pub query: String,
    /// The catalog JSON.
    pub catalog: Value,
    /// How the source tables are generated (when they are not there yet).
    #[serde(default = "default_generated")]
    pub generated: Generated,
}

/// The write-ahead log's size past which the checkpoint thread empties it.
pub const WAL_TRUNCATE_AT: u64 = 64 << 20;

/// The largest value (text or blob, in bytes) the SQL view makes or reads.
pub const MAX_SQL_VALUE: usize = 1 << 20;
/// About how many bytes of values one answer of the SQL view holds at most.
pub const MAX_SQL_RESULT: usize = 8 << 20;
/// The most columns a local table has (SQLite's own limit).
pub const MAX_TABLE_COLUMNS: usize = 2000;

/// How many generated rows one transaction writes at deploy: the writer's lock
/// is let go between chunks, so publishing is never held up for long.
const GENERATED_CHUNK: usize = 20_000;

/// The most rows one operator of a job's bounded side may make (see
/// [`sluice_engine::Options::max_bounded_rows`]), and the most rows a bounded
/// source table may have to be read.
pub const MAX_BOUNDED_ROWS: usize = 2_000_000;
/// The most values (rows × columns) one operator of a job's bounded side may make:
/// about 500 MB.
pub const MAX_BOUNDED_VALUES: usize = 20_000_000;

/// A spec resolved against its catalog.
pub(crate) struct Prepared {
    pub plan: Plan,
    /// Stream sources: (SQL name, local topic, schema).
    pub streams: Vec<(String, String, Vec<Field>)>,
    /// Bounded sources: (SQL name, local table, schema).
    pub bounded: Vec<(String, String, Vec<Field>)>,
    /// The destination table.
    pub table: String,
    /// The destination topic.
    pub topic: String,
    pub catalog: Catalog,
}

fn valid_job_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Whether `name` can name a local topic (Pub/Sub's rules).
pub fn valid_topic_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~+%".contains(c))
}

impl JobSpec {
    pub(crate) fn prepare(&self) -> Result<Prepared, LocalError> {
        if !valid_job_name(&self.name) {
            return Err(LocalError::Invalid(format!(
                "job name \"{}\" is not valid: lowercase letters, digits and hyphens, starting with a letter",
                self.name
            )));
        }
        let catalog = Catalog::from_value(&self.catalog)
            .map_err(|e| LocalError::Invalid(format!("catalog: {e}")))?;
        let analysis = sluice_sql::analyze(&self.query, &catalog);
        let plan = match analysis.plan {
            Some(p) if !analysis.has_errors() => p,
            _ => {
                let first = analysis
                    .diagnostics
                    .iter()
                    .find(|d| d.severity == sluice_sql::Severity::Error)
                    .map(|d| {
                        format!(
                            "{}:{} {}",
                            d.span.start.line, d.span.start.column, d.message
                        )
                    })
                    .unwrap_or_else(|| "it has no plan".into());
                return Err(LocalError::Query(first));
            }
        };
        let mut streams = Vec::new();
        let mut bounded = Vec::new();
        for s in plan.sources() {
            match s.kind {
                SourceKind::PubsubTopic => {
                    streams.push((s.sql_name(), s.name.clone(), s.schema.clone()))
                }
                SourceKind::BigQueryTable => bounded.push((
                    s.sql_name(),
                    format!("{}.{}", s.dataset.as_deref().unwrap_or("default"), s.name),
                    s.schema.clone(),
                )),
            }
        }
        if let Some((_, bad, _)) = streams.iter().find(|(_, t, _)| !valid_topic_name(t)) {
            return Err(LocalError::Invalid(format!(
                "topic \"{bad}\" is not a valid topic name (3 to 255 letters, digits or - _ . ~ + %, starting with a letter)"
            )));
        }
        if streams.is_empty() {
            return Err(LocalError::Query(
                "the query reads no topic: a local job runs a stream".into(),
            ));
        }
        let width = plan.output_schema().len();
        if width > MAX_TABLE_COLUMNS {
            return Err(LocalError::Query(format!(
                "the query has {width} output columns; a local destination table holds at most {MAX_TABLE_COLUMNS} (SQLite's limit)"
            )));
        }
        if let Some((name, _, schema)) =
            bounded.iter().find(|(_, _, s)| s.len() > MAX_TABLE_COLUMNS)
        {
            return Err(LocalError::Invalid(format!(
                "{name} has {} columns; a local table holds at most {MAX_TABLE_COLUMNS} (SQLite's limit)",
                schema.len()
            )));
        }
        Ok(Prepared {
            plan,
            streams,
            bounded,
            table: format!("sluice.{}", self.name.replace('-', "_")),
            topic: format!("{}-results", self.name),
            catalog,
        })
    }
}

/// What a clean-up deleted, and what it kept with why.
pub type Cleaned = (Vec<Resource>, Vec<(Resource, String)>);

pub(crate) struct Inner {
    pub path: PathBuf,
    writer: Mutex<Connection>,
    /// The newest sequence number written, and a condition jobs wait on.
    latest: Mutex<i64>,
    wake: Condvar,
    /// Publish times increase strictly, so the log's order is its time order.
    last_publish: Mutex<i64>,
    jobs: Mutex<HashMap<String, job::Running>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The wall clock, in microseconds since the epoch.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// RFC 3339 for microseconds since the epoch.
pub fn rfc3339(micros: i64) -> String {
    sluice_engine::Value::Timestamp(micros)
        .to_json(&sluice_sql::types::DataType::Timestamp)
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

impl Inner {
    /// Wakes every job waiting for messages.
    /// Wakes every job waiting for messages: `seq` was just written.
    pub(crate) fn notify(&self, seq: i64) {
        {
            let mut latest = lock(&self.latest);
            *latest = (*latest).max(seq);
        }
        self.wake.notify_all();
    }

    /// Waits until a message after `position` may exist, or `timeout`.
    pub(crate) fn wait_for_messages(&self, position: i64, timeout: Duration) {
        let latest = lock(&self.latest);
        if *latest > position {
            return;
        }
        let _ = self.wake.wait_timeout(latest, timeout);
    }
}

/// The local target: topics, tables and jobs in one SQLite file.
#[derive(Clone)]
pub struct Local {
    inner: Arc<Inner>,
}

impl Local {
    /// Opens (or creates) `dir/local.sqlite` and resumes the jobs that were running.
    pub fn open(dir: &Path) -> Result<Self, LocalError> {
        std::fs::create_dir_all(dir).map_err(|source| LocalError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join("local.sqlite");
        let conn = store::connect(&path)?;
        store::init(&conn)?;
        let latest = store::last_seq(&conn)?;
        let inner = Arc::new(Inner {
            path,
            writer: Mutex::new(conn),
            latest: Mutex::new(latest),
            wake: Condvar::new(),
            last_publish: Mutex::new(0),
            jobs: Mutex::new(HashMap::new()),
        });
        let local = Self { inner };
        // Checkpoints off the commit path: the write-ahead log is copied into the
        // file every half second, without blocking writers (PASSIVE). Under
        // sustained publishing with jobs reading, a passive checkpoint never gets
        // to the log's end, so the log would grow without end: past
        // `WAL_TRUNCATE_AT` a TRUNCATE checkpoint waits for readers (briefly
        // holding writers back) and empties it.
        let weak = Arc::downgrade(&local.inner);
        let checkpoints = store::connect(&local.inner.path)?;
        let wal = local.inner.path.with_extension("sqlite-wal");
        std::thread::Builder::new()
            .name("checkpoints".into())
            .spawn(move || {
                while weak.strong_count() > 0 {
                    std::thread::sleep(Duration::from_millis(500));
                    let big = std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_TRUNCATE_AT);
                    let mode = if big { "TRUNCATE" } else { "PASSIVE" };
                    if let Err(e) =
                        checkpoints
                            .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, mode, "a checkpoint failed");
                    }
                }
            })
            .map_err(|source| LocalError::Io {
                path: "the checkpoint thread".into(),
                source,
            })?;
        let resumable: Vec<(String, String, bool)> = {
            let conn = lock(&local.inner.writer);
            let mut stmt = conn
                .prepare("SELECT name, state, starting FROM sluice_jobs WHERE state IN (?1, ?2)")?;
            let rows = stmt.query_map(
                params![JobState::Running.as_str(), JobState::Draining.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            rows.collect::<Result<_, _>>()?
        };
        for (name, state, starting) in resumable {
            if starting {
                // The process ended while this job was building its bounded side or
                // replaying its log: perhaps the job itself ended it (out of
                // memory). Resuming it could end the server again at every start.
                let conn = lock(&local.inner.writer);
                job::record(
                    &conn,
                    &name,
                    Some(JobState::Failed),
                    "failed: the server stopped while this job was starting (building its tables or replaying its log), so it is not resumed: a job that exhausts memory at start-up must not take the server down at every start. Clean it up and deploy it again.",
                )?;
                job::set_starting(&conn, &name, false)?;
                tracing::warn!(job = %name, "not resumed: the server stopped while it was starting");
                continue;
            }
            let running = job::start(&local.inner, &name);
            if JobState::parse(&state) == JobState::Draining {
                running.stop.store(job::DRAIN, Ordering::Release);
            }
            lock(&local.inner.jobs).insert(name, running);
        }
        Ok(local)
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Publishes messages (their payloads) to `topic`; their sequence numbers.
    pub fn publish(&self, topic: &str, messages: &[Vec<u8>]) -> Result<Vec<i64>, LocalError> {
        let mut seqs = Vec::with_capacity(messages.len());
        {
            let mut conn = lock(&self.inner.writer);
            publishable(&conn, topic)?;
            let mut last = lock(&self.inner.last_publish);
            let tx = conn.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO sluice_messages (topic, publish_micros, data) VALUES (?1, ?2, ?3)",
                )?;
                for data in messages {
                    let at = now_micros().max(*last + 1);
                    *last = at;
                    stmt.execute(params![topic, at, data])?;
                    seqs.push(tx.last_insert_rowid());
                }
            }
            tx.commit()?;
        }
        if let Some(seq) = seqs.last() {
            self.inner.notify(*seq);
        }
        Ok(seqs)
    }

    /// Messages of `topic` after `after`, oldest first, at most `limit`.
    pub fn messages(
        &self,
        topic: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Message>, LocalError> {
        let conn = store::connect(&self.inner.path)?;
        store::messages_after(&conn, &[topic.to_owned()], after, limit)
    }

    /// Waits until a message after `after` may have been written, or `timeout`;
    /// the newest sequence number written since the file was opened.
    pub fn wait_newer(&self, after: i64, timeout: Duration) -> i64 {
        self.inner.wait_for_messages(after, timeout);
        *lock(&self.inner.latest)
    }

    /// Messages of `topics` after `after`, oldest first, at most `limit`, read on
    /// `conn` (a connection of [`Local::reader`]).
    pub fn messages_on(
        &self,
        conn: &Connection,
        topics: &[String],
        after: i64,
        limit: usize,
    ) -> Result<Vec<Message>, LocalError> {
        store::messages_after(conn, topics, after, limit)
    }

    /// A connection for reading the log, to keep and reuse.
    pub fn reader(&self) -> Result<Connection, LocalError> {
        store::connect(&self.inner.path)
    }

    /// Whether anyone may publish to `topic`: it exists and no job writes it.
    pub fn check_publishable(&self, topic: &str) -> Result<(), LocalError> {
        publishable(&lock(&self.inner.writer), topic)
    }

    /// Whether topic `name` exists.
    pub fn topic_exists(&self, name: &str) -> Result<bool, LocalError> {
        store::topic_exists(&lock(&self.inner.writer), name)
    }

    /// The names of every job.
    pub fn job_names(&self) -> Result<Vec<String>, LocalError> {
        let conn = lock(&self.inner.writer);
        let mut stmt = conn.prepare("SELECT name FROM sluice_jobs ORDER BY name")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A job's page.
    pub fn status(&self, name: &str) -> Result<LocalJob, LocalError> {
        let conn = store::connect(&self.inner.path)?;
        let row: Option<(String, String, i64, String, String, String)> = conn
            .query_row(
                "SELECT spec, state, position, history, created, log FROM sluice_jobs WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .ok();
        let Some((spec, state, position, history, created, log)) = row else {
            return Err(LocalError::NoJob(name.to_owned()));
        };
        let spec: JobSpec =
            serde_json::from_str(&spec).map_err(|e| LocalError::Invalid(e.to_string()))?;
        let prepared = spec.prepare()?;
        let sources: Vec<String> = prepared.streams.iter().map(|(_, t, _)| t.clone()).collect();
        let marks = vec!["?"; sources.len()].join(", ");
        let mut values: Vec<rusqlite::types::Value> = vec![position.into()];
        values.extend(
            sources
                .iter()
                .map(|s| rusqlite::types::Value::Text(s.clone())),
        );
        let backlog: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM sluice_messages WHERE seq > ? AND topic IN ({marks})"),
            rusqlite::params_from_iter(values),
            |r| r.get(0),
        )?;
        let live = lock(&self.inner.jobs)
            .get(name)
            .map(|r| lock(&r.live).clone());
        Ok(LocalJob {
            name: name.to_owned(),
            state: JobState::parse(&state),
            history: serde_json::from_str(&history).unwrap_or_default(),
            log: serde_json::from_str(&log).unwrap_or_default(),
            created: serde_json::from_str(&created).unwrap_or_default(),
            table: prepared.table,
            topic: prepared.topic,
            sources,
            backlog,
            live,
        })
    }

    /// Asks the job to stop: at once (`drain` false) or after finishing every
    /// message published so far and closing its windows.
    pub fn stop(&self, name: &str, drain: bool) -> Result<(), LocalError> {
        let jobs = lock(&self.inner.jobs);
        let running = jobs
            .get(name)
            .ok_or_else(|| LocalError::NoJob(name.to_owned()))?;
        running.stop.store(
            if drain { job::DRAIN } else { job::CANCEL },
            Ordering::Release,
        );
        drop(jobs);
        self.inner.wake.notify_all();
        Ok(())
    }

    /// Waits for the job's thread to end (after [`Local::stop`]), up to `timeout`.
    pub fn wait(&self, name: &str, timeout: Duration) -> Result<bool, LocalError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let finished = lock(&self.inner.jobs)
                .get(name)
                .is_none_or(|r| r.thread.as_ref().is_none_or(|t| t.is_finished()));
            if finished {
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            self.inner.wake.notify_all();
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the job if it runs, then deletes what it created (topics and tables
    /// other jobs still use stay) and its record. The resources deleted and kept.
    pub fn cleanup(&self, name: &str) -> Result<Cleaned, LocalError> {
        if lock(&self.inner.jobs).contains_key(name) {
            let _ = self.stop(name, false);
            self.wait(name, Duration::from_secs(30))?;
            if let Some(mut r) = lock(&self.inner.jobs).remove(name)
                && let Some(t) = r.thread.take()
            {
                let _ = t.join();
            }
        }
        let mut conn = lock(&self.inner.writer);
        let created: String = conn
            .query_row(
                "SELECT created FROM sluice_jobs WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .map_err(|_| LocalError::NoJob(name.to_owned()))?;
        let created: Vec<Resource> = serde_json::from_str(&created).unwrap_or_default();
        // What the other jobs read or write.
        let mut in_use = Vec::new();
        {
            let mut stmt = conn.prepare("SELECT spec FROM sluice_jobs WHERE name != ?1")?;
            let specs = stmt.query_map([name], |r| r.get::<_, String>(0))?;
            for spec in specs {
                if let Ok(spec) = serde_json::from_str::<JobSpec>(&spec?)
                    && let Ok(p) = spec.prepare()
                {
                    in_use.extend(
                        p.streams
                            .into_iter()
                            .map(|(_, t, _)| Resource::Topic { name: t }),
                    );
                    in_use.extend(
                        p.bounded
                            .into_iter()
                            .map(|(_, t, _)| Resource::Table { name: t }),
                    );
                    in_use.push(Resource::Topic { name: p.topic });
                    in_use.push(Resource::Table { name: p.table });
                }
            }
        }
        let tx = conn.transaction()?;
        let mut deleted = Vec::new();
        let mut kept = Vec::new();
        for r in created.iter().rev() {
            if in_use.contains(r) {
                kept.push((r.clone(), "another local job uses it".to_owned()));
                continue;
            }
            match r {
                Resource::Topic { name } => {
                    tx.execute("DELETE FROM sluice_messages WHERE topic = ?1", [name])?;
                    tx.execute("DELETE FROM sluice_topics WHERE name = ?1", [name])?;
                }
                Resource::Table { name } => {
                    tx.execute(&format!("DROP TABLE IF EXISTS {}", store::quoted(name)), [])?;
                }
            }
            deleted.push(r.clone());
        }
        tx.execute("DELETE FROM sluice_jobs WHERE name = ?1", [name])?;
        tx.commit()?;
        Ok((deleted, kept))
    }

    /// Stops every job's thread without changing its state (as a server that stops
    /// does): opening the file again resumes them.
    pub fn shutdown(&self) {
        for r in lock(&self.inner.jobs).values() {
            r.stop.store(job::QUIT, Ordering::Release);
        }
        self.inner.wake.notify_all();
        let names: Vec<String> = lock(&self.inner.jobs).keys().cloned().collect();
        for name in names {
            let _ = self.wait(&name, Duration::from_secs(30));
        }
    }
}

/// Refuses a publish to a topic that does not exist or that a job writes.
fn publishable(conn: &Connection, topic: &str) -> Result<(), LocalError> {
    if !store::topic_exists(conn, topic)? {
        return Err(LocalError::NoTopic(topic.to_owned()));
    }
    if let Some(job) = store::output_of(conn, topic)? {
        return Err(LocalError::OutputTopic {
            topic: topic.to_owned(),
            job,
        });
    }
    Ok(())
}
