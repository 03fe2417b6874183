//! A running local job: one thread reading its topics' log from its committed
//! position, pushing each message through `sluice-engine`, and committing the
//! output rows, the output messages and the new position in one transaction.
//!
//! After a restart the job rebuilds its engine by replaying the messages up to its
//! committed position without writing anything: the engine is deterministic in
//! the log's order and times, so the replay reproduces exactly the state (open
//! windows, counters) the committed outputs came from. Nothing is lost, nothing
//! written twice.

use sluice_deploy::JobState;
use sluice_deploy::wire::Live;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use serde_json::{Value, json};
use sluice_engine::input::MessageReader;
use sluice_engine::{Engine, Options};

use crate::store::{self, Message};
use crate::{Inner, JobSpec, LocalError, now_micros};

/// Run (0), cancel (1) or drain (2): what the job's owner asks of it.
pub(crate) const RUN: u8 = 0;
pub(crate) const CANCEL: u8 = 1;
pub(crate) const DRAIN: u8 = 2;
/// Stop the thread, leaving the record as it is (the server stops).
pub(crate) const QUIT: u8 = 3;

/// The handle the owner keeps.
pub(crate) struct Running {
    pub stop: Arc<AtomicU8>,
    pub live: Arc<Mutex<Live>>,
    pub thread: Option<std::thread::JoinHandle<()>>,
    /// How the start-up ended (see [`wait_started`]).
    pub started: Arc<Started>,
}

/// How a job's start-up (building its bounded side, replaying its log) ended:
/// `None` while it goes on.
#[derive(Default)]
pub(crate) struct Started {
    outcome: Mutex<Option<Result<(), String>>>,
    done: std::sync::Condvar,
}

impl Started {
    fn set(&self, outcome: Result<(), String>) {
        let mut o = lock(&self.outcome);
        if o.is_none() {
            *o = Some(outcome);
        }
        self.done.notify_all();
    }
}

/// Waits until the job has started (Ok) or could not (why).
pub(crate) fn wait_started(started: &Started) -> Result<(), String> {
    let mut o = lock(&started.outcome);
    loop {
        if let Some(outcome) = o.as_ref() {
            return outcome.clone();
        }
        o = started.done.wait(o).unwrap_or_else(|p| p.into_inner());
    }
}

/// How many messages one transaction takes at most.
const BATCH: usize = 2000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Appends a line to the job's log and sets its state when given.
pub(crate) fn record(
    conn: &Connection,
    name: &str,
    state: Option<JobState>,
    line: &str,
) -> Result<(), LocalError> {
    let (log, history): (String, String) = conn.query_row(
        "SELECT log, history FROM sluice_jobs WHERE name = ?1",
        [name],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut log: Vec<Value> = serde_json::from_str(&log).unwrap_or_default();
    let now = crate::rfc3339(now_micros());
    log.push(json!([now, line]));
    if log.len() > 200 {
        log.drain(..log.len() - 200);
    }
    let mut history: Vec<Value> = serde_json::from_str(&history).unwrap_or_default();
    if let Some(s) = state {
        history.push(json!({"state": s, "time": now}));
        let s = s.as_str();
        conn.execute(
            "UPDATE sluice_jobs SET state = ?2, log = ?3, history = ?4 WHERE name = ?1",
            params![
                name,
                s,
                Value::Array(log).to_string(),
                Value::Array(history).to_string()
            ],
        )?;
    } else {
        conn.execute(
            "UPDATE sluice_jobs SET log = ?2 WHERE name = ?1",
            params![name, Value::Array(log).to_string()],
        )?;
    }
    Ok(())
}

/// Starts the job's thread.
pub(crate) fn start(inner: &Arc<Inner>, name: &str) -> Running {
    let stop = Arc::new(AtomicU8::new(RUN));
    let live = Arc::new(Mutex::new(Live::default()));
    let started = Arc::new(Started::default());
    let (inner2, name2, stop2, live2, started2) = (
        inner.clone(),
        name.to_owned(),
        stop.clone(),
        live.clone(),
        started.clone(),
    );
    let thread = std::thread::Builder::new()
        .name(format!("job {name}"))
        .spawn(move || {
            let outcome = run(&inner2, &name2, &stop2, &live2, &started2);
            if let Err(e) = &outcome {
                tracing::error!(job = %name2, error = %e, "the local job failed");
                if let Ok(conn) = store::connect(&inner2.path) {
                    let _ = record(
                        &conn,
                        &name2,
                        Some(JobState::Failed),
                        &format!("failed: {e}"),
                    );
                    let _ = set_starting(&conn, &name2, false);
                }
            }
            started2.set(outcome.map_err(|e| e.to_string()));
        });
    let thread = match thread {
        Ok(t) => Some(t),
        Err(e) => {
            started.set(Err(format!("no thread for the job: {e}")));
            None
        }
    };
    Running {
        stop,
        live,
        thread,
        started,
    }
}

/// Marks the job as starting (building, replaying) or started. A job found
/// starting when the file is opened was stopped by a crash in its start-up, and is
/// not resumed (see `Local::open`).
pub(crate) fn set_starting(
    conn: &Connection,
    name: &str,
    starting: bool,
) -> Result<(), LocalError> {
    conn.execute(
        "UPDATE sluice_jobs SET starting = ?2 WHERE name = ?1",
        params![name, starting],
    )?;
    Ok(())
}

/// Whether the owner asks a starting job to stop: its ask (cancel or quit).
fn stopping(stop: &AtomicU8) -> Option<u8> {
    let ask = stop.load(Ordering::Acquire);
    matches!(ask, CANCEL | QUIT).then_some(ask)
}

/// Ends a start-up that was asked to stop: a cancel is recorded, a server that
/// stops leaves the job to resume.
fn stopped_while_starting(
    conn: &Connection,
    name: &str,
    ask: u8,
    started: &Started,
) -> Result<(), LocalError> {
    set_starting(conn, name, false)?;
    if ask == CANCEL {
        record(
            conn,
            name,
            Some(JobState::Cancelled),
            "cancelled while starting",
        )?;
        started.set(Err("cancelled while starting".into()));
    } else {
        started.set(Err("the server stopped while the job was starting".into()));
    }
    Ok(())
}

fn run(
    inner: &Arc<Inner>,
    name: &str,
    stop: &Arc<AtomicU8>,
    live: &Mutex<Live>,
    started: &Started,
) -> Result<(), LocalError> {
    let mut conn = store::connect(&inner.path)?;
    // `start`: the log's end when the job was deployed. Like a new Pub/Sub
    // subscription, the job reads only what was published after it.
    let (spec, start, position): (String, i64, i64) = conn.query_row(
        "SELECT spec, start, position FROM sluice_jobs WHERE name = ?1",
        [name],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let spec: JobSpec =
        serde_json::from_str(&spec).map_err(|e| LocalError::Invalid(e.to_string()))?;
    let prepared = spec.prepare()?;
    set_starting(&conn, name, true)?;
    let mut tables = sluice_engine::Tables::new();
    for (sql_name, table, schema) in &prepared.bounded {
        if let Some(ask) = stopping(stop) {
            return stopped_while_starting(&conn, name, ask, started);
        }
        let count = store::count_rows(&conn, table)?;
        if count > crate::MAX_BOUNDED_ROWS as u64 {
            return Err(LocalError::Query(format!(
                "the table {table} has {count} rows; a local job reads at most {} rows of a table",
                crate::MAX_BOUNDED_ROWS
            )));
        }
        let rows = store::read_rows(&conn, table, schema)?
            .iter()
            .map(|j| sluice_engine::input::row_from_json(j, schema))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LocalError::Invalid(format!("table {table}: {e}")))?;
        let rows = sluice_engine::Table::from_rows(schema.len(), rows);
        tables.insert(sql_name.clone(), Arc::new(rows));
    }
    let options = Options {
        retain: usize::MAX,
        max_bounded_rows: crate::MAX_BOUNDED_ROWS,
        max_bounded_values: crate::MAX_BOUNDED_VALUES,
        ..Options::default()
    };
    let asked = stop.clone();
    let built = Engine::with_cancel(
        &prepared.plan,
        &tables,
        options,
        Box::new(move || stopping(&asked).is_some()),
    );
    drop(tables);
    let mut engine = match built {
        Ok(engine) => engine,
        Err(sluice_engine::EngineError::Cancelled) => {
            return stopped_while_starting(&conn, name, stop.load(Ordering::Acquire), started);
        }
        Err(e) => return Err(LocalError::Query(e.to_string())),
    };
    let out_schema = prepared.plan.output_schema();
    let out_columns: Vec<_> = out_schema
        .iter()
        .map(|f| (f.name.clone(), f.data_type.clone()))
        .collect();
    // Stream sources by their SQL name, with the local topic each reads.
    let topics: Vec<String> = prepared.streams.iter().map(|(_, t, _)| t.clone()).collect();
    let decoders: Vec<MessageReader> = prepared
        .streams
        .iter()
        .map(|(_, _, s)| MessageReader::new(s))
        .collect();
    let source_of = |topic: &str| {
        prepared
            .streams
            .iter()
            .zip(&decoders)
            .find(|((_, t, _), _)| t == topic)
            .map(|((sql_name, _, _), d)| (sql_name, d))
    };

    let push = |engine: &mut Engine, m: &Message, bad: &mut u64| {
        let Some((sql_name, decoder)) = source_of(&m.topic) else {
            return;
        };
        match decoder
            .read(&m.data, m.publish_micros)
            .map_err(|e| format!("message {}: {e}", m.seq))
        {
            Ok(row) => {
                if let Err(e) = engine.push(sql_name, row) {
                    tracing::warn!(job = %name, seq = m.seq, error = %e, "an event failed");
                    *bad += 1;
                }
            }
            Err(e) => {
                tracing::warn!(job = %name, error = %e, "a bad message");
                *bad += 1;
            }
        }
    };

    // Replay what was committed before (from the job's start), writing nothing.
    let mut bad = 0u64;
    let mut replayed = 0u64;
    let mut at = start;
    while at < position {
        if let Some(ask) = stopping(stop) {
            return stopped_while_starting(&conn, name, ask, started);
        }
        let batch = store::messages_after(&conn, &topics, at, BATCH)?;
        let Some(last) = batch.last().map(|m| m.seq) else {
            break;
        };
        for m in batch.iter().filter(|m| m.seq <= position) {
            push(&mut engine, m, &mut bad);
            replayed += 1;
        }
        engine.outputs.clear();
        engine.dropped.clear();
        at = last.min(position);
    }
    let rows_before: u64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM {}", store::quoted(&prepared.table)),
        [],
        |r| r.get::<_, i64>(0),
    )? as u64;
    if replayed > 0 {
        record(
            &conn,
            name,
            None,
            &format!("resumed at message {position} after replaying {replayed} messages"),
        )?;
    }
    set_starting(&conn, name, false)?;
    started.set(Ok(()));
    let mut position = position;
    let mut recent: std::collections::VecDeque<(Instant, u64)> = std::collections::VecDeque::new();
    let mut events = replayed;
    let mut rows_total = rows_before;
    let mut draining_until: Option<i64> = None;
    // SLUICE_LOCAL_PAUSE_MS: a pause after each batch, to watch a job work through a
    // backlog in slow motion (and to stop a server mid-stream in tests).
    let pause = Duration::from_millis(
        std::env::var("SLUICE_LOCAL_PAUSE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    );
    loop {
        let ask = stop.load(Ordering::Acquire);
        if ask == QUIT {
            return Ok(());
        }
        if ask == CANCEL {
            record(&conn, name, Some(JobState::Cancelled), "cancelled")?;
            return Ok(());
        }
        if ask == DRAIN && draining_until.is_none() {
            // Finish what was published before the drain, then close every window.
            draining_until = Some(store::last_seq(&conn)?);
            record(
                &conn,
                name,
                Some(JobState::Draining),
                "draining: finishing the messages published so far",
            )?;
        }
        let mut batch = store::messages_after(&conn, &topics, position, BATCH)?;
        if let Some(end) = draining_until {
            batch.retain(|m| m.seq <= end);
        }
        let finishing = draining_until.is_some() && batch.is_empty();
        if batch.is_empty() && !finishing {
            // Sleep until a publish (or a stop) wakes the job.
            inner.wait_for_messages(position, Duration::from_millis(200));
            continue;
        }
        for m in &batch {
            push(&mut engine, m, &mut bad);
        }
        events += batch.len() as u64;
        if finishing {
            engine.finish();
        }
        // Each output as the table's row and as the message Dataflow would publish.
        let (outputs, messages): (Vec<Value>, Vec<String>) = engine
            .outputs
            .drain(..)
            .map(|o| {
                let object: serde_json::Map<String, Value> = out_columns
                    .iter()
                    .zip(&o.row)
                    .map(|((n, t), v)| (n.clone(), v.to_json(t)))
                    .collect();
                let message = sluice_engine::message::pubsub_message(
                    out_columns.iter().map(|(n, t)| (n.as_str(), t)),
                    &o.row,
                );
                (Value::Object(object), message)
            })
            .unzip();
        engine.dropped.clear();
        let new_position = batch.last().map_or(position, |m| m.seq);
        let tx = conn.transaction()?;
        let written = store::insert_rows(&tx, &prepared.table, &out_schema, outputs.iter())?;
        let newest = {
            let now = now_micros();
            let mut stmt = tx.prepare_cached(
                "INSERT INTO sluice_messages (topic, publish_micros, data) VALUES (?1, ?2, ?3)",
            )?;
            for m in messages {
                stmt.execute(params![prepared.topic, now, m.into_bytes()])?;
            }
            tx.last_insert_rowid()
        };
        tx.execute(
            "UPDATE sluice_jobs SET position = ?2 WHERE name = ?1",
            params![name, new_position],
        )?;
        tx.commit()?;
        if !outputs.is_empty() {
            inner.notify(newest);
        }
        position = new_position;
        rows_total += written as u64;
        let now = Instant::now();
        recent.push_back((now, batch.len() as u64));
        while recent
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(5))
        {
            recent.pop_front();
        }
        let span = recent
            .front()
            .map_or(0.0, |(t, _)| now.duration_since(*t).as_secs_f64())
            .max(1.0);
        {
            let mut l = lock(live);
            l.events = events;
            l.rows = rows_total;
            l.position = position;
            l.bad_messages = bad;
            l.events_per_second = recent.iter().map(|(_, n)| *n).sum::<u64>() as f64 / span;
            l.operators = engine
                .nodes()
                .iter()
                .map(|n| {
                    (
                        n.kind.to_owned(),
                        sluice_engine::exec::readable(&n.label),
                        n.stats.rows_in,
                        n.stats.rows_out,
                        n.stats.dropped,
                    )
                })
                .collect();
        }
        if finishing {
            record(
                &conn,
                name,
                Some(JobState::Drained),
                "drained: every message published before the drain is in the destinations",
            )?;
            return Ok(());
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
}
