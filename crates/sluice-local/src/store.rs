//! The SQLite file behind the local target: topics and their messages (one log,
//! ordered by a global sequence number), tables (the generated sources and the
//! jobs' destinations, as real SQL tables), and the jobs' records.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use sluice_sql::types::{DataType, Field};

use crate::LocalError;

/// Opens a connection with the settings every user of the file shares: WAL (readers
/// never block the writer), `synchronous=NORMAL` (a killed process loses nothing
/// committed), a busy timeout instead of "database is locked" errors, and no
/// checkpoints on commit (a background thread checkpoints, see `Local::open`), so
/// that no publish or job commit pays for copying the log into the file.
pub(crate) fn connect(path: &std::path::Path) -> Result<Connection, LocalError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

/// Creates the bookkeeping tables.
pub(crate) fn init(conn: &Connection) -> Result<(), LocalError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS sluice_topics (
             name TEXT PRIMARY KEY,
             created_by TEXT
         );
         CREATE TABLE IF NOT EXISTS sluice_messages (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             topic TEXT NOT NULL,
             publish_micros INTEGER NOT NULL,
             data BLOB NOT NULL,
             attributes TEXT
         );
         CREATE INDEX IF NOT EXISTS sluice_messages_by_topic ON sluice_messages (topic, seq);
         CREATE TABLE IF NOT EXISTS sluice_jobs (
             name TEXT PRIMARY KEY,
             spec TEXT NOT NULL,
             state TEXT NOT NULL,
             position INTEGER NOT NULL,
             history TEXT NOT NULL,
             created TEXT NOT NULL,
             log TEXT NOT NULL,
             start INTEGER NOT NULL DEFAULT 0,
             starting INTEGER NOT NULL DEFAULT 0
         );",
    )?;
    // Columns added since the first files: `start`, where a job began reading (jobs
    // of older files replayed from the log's beginning, and go on doing so), and
    // `starting`, set while a job builds its bounded side and replays its log.
    for (column, definition) in [
        ("start", "INTEGER NOT NULL DEFAULT 0"),
        ("starting", "INTEGER NOT NULL DEFAULT 0"),
    ] {
        let has = conn
            .prepare("SELECT 1 FROM pragma_table_info('sluice_jobs') WHERE name = ?1")?
            .exists([column])?;
        if !has {
            conn.execute_batch(&format!(
                "ALTER TABLE sluice_jobs ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    Ok(())
}

/// A table name as SQL: `"dataset.table"`.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sqlite_type(t: &DataType) -> &'static str {
    match t {
        DataType::Int64 | DataType::Bool => "INTEGER",
        DataType::Float64 => "REAL",
        _ => "TEXT",
    }
}

/// Whether a table exists.
pub(crate) fn table_exists(conn: &Connection, name: &str) -> Result<bool, LocalError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Creates table `name` with `schema`'s columns.
pub(crate) fn create_table(
    conn: &Connection,
    name: &str,
    schema: &[Field],
) -> Result<(), LocalError> {
    let columns: Vec<String> = schema
        .iter()
        .map(|f| format!("{} {}", quoted(&f.name), sqlite_type(&f.data_type)))
        .collect();
    conn.execute(
        &format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            quoted(name),
            columns.join(", ")
        ),
        [],
    )?;
    Ok(())
}

/// A JSON value (as `sluice-engine` writes values) as an SQLite value.
pub(crate) fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Bool(b) => S::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => S::Integer(i),
            None => S::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => S::Text(s.clone()),
        other => S::Text(other.to_string()),
    }
}

/// An SQLite value as JSON, read as a column of type `t` when known.
pub(crate) fn from_sql(v: rusqlite::types::ValueRef<'_>, t: Option<&DataType>) -> Value {
    use rusqlite::types::ValueRef as S;
    match v {
        S::Null => Value::Null,
        S::Integer(i) if t == Some(&DataType::Bool) => Value::Bool(i != 0),
        S::Integer(i) => Value::from(i),
        S::Real(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        S::Text(bytes) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            match t {
                Some(DataType::Array(_) | DataType::Struct(_)) => {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                }
                _ => Value::String(text),
            }
        }
        S::Blob(b) => Value::String(sluice_engine::value::base64(b)),
    }
}

/// Inserts JSON rows (objects keyed by column name) into table `name`.
pub(crate) fn insert_rows(
    conn: &Connection,
    name: &str,
    schema: &[Field],
    rows: impl Iterator<Item = impl std::borrow::Borrow<Value>>,
) -> Result<usize, LocalError> {
    let placeholders = vec!["?"; schema.len()].join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT INTO {} VALUES ({placeholders})",
        quoted(name)
    ))?;
    let mut n = 0;
    for row in rows {
        let row: &Value = row.borrow();
        let values: Vec<rusqlite::types::Value> = schema
            .iter()
            .map(|f| to_sql(&row[f.name.as_str()]))
            .collect();
        stmt.execute(rusqlite::params_from_iter(values))?;
        n += 1;
    }
    Ok(n)
}

/// How many rows table `name` has.
pub(crate) fn count_rows(conn: &Connection, name: &str) -> Result<u64, LocalError> {
    Ok(
        conn.query_row(&format!("SELECT COUNT(*) FROM {}", quoted(name)), [], |r| {
            r.get::<_, i64>(0)
        })? as u64,
    )
}

/// Every row of table `name` as JSON objects of `schema`, in insertion order.
pub(crate) fn read_rows(
    conn: &Connection,
    name: &str,
    schema: &[Field],
) -> Result<Vec<Value>, LocalError> {
    let columns: Vec<String> = schema.iter().map(|f| quoted(&f.name)).collect();
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM {} ORDER BY rowid",
        columns.join(", "),
        quoted(name)
    ))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut object = serde_json::Map::new();
        for (i, f) in schema.iter().enumerate() {
            object.insert(
                f.name.clone(),
                from_sql(row.get_ref(i)?, Some(&f.data_type)),
            );
        }
        out.push(Value::Object(object));
    }
    Ok(out)
}

/// A message of a local topic.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Message {
    /// Its position in the log (global across topics, increasing).
    pub seq: i64,
    /// The topic.
    pub topic: String,
    /// When it was published, microseconds since the epoch.
    pub publish_micros: i64,
    /// The payload.
    pub data: Vec<u8>,
}

/// A row of `seq, topic, publish_micros, data` as a message.
fn message(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        seq: r.get(0)?,
        topic: r.get(1)?,
        publish_micros: r.get(2)?,
        data: r.get(3)?,
    })
}

/// Messages of `topics` after `after`, oldest first, at most `limit`.
pub(crate) fn messages_after(
    conn: &Connection,
    topics: &[String],
    after: i64,
    limit: usize,
) -> Result<Vec<Message>, LocalError> {
    if topics.is_empty() {
        return Ok(vec![]);
    }
    let marks = vec!["?"; topics.len()].join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT seq, topic, publish_micros, data FROM sluice_messages
         WHERE seq > ? AND topic IN ({marks}) ORDER BY seq LIMIT ?"
    ))?;
    let mut values: Vec<rusqlite::types::Value> = vec![after.into()];
    values.extend(
        topics
            .iter()
            .map(|t| rusqlite::types::Value::Text(t.clone())),
    );
    values.push((limit as i64).into());
    let rows = stmt.query_map(rusqlite::params_from_iter(values), message)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The newest sequence number of any message (0 when there is none).
pub(crate) fn last_seq(conn: &Connection) -> Result<i64, LocalError> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM sluice_messages",
        [],
        |r| r.get(0),
    )?)
}

/// Whether topic `name` exists.
pub(crate) fn topic_exists(conn: &Connection, name: &str) -> Result<bool, LocalError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sluice_topics WHERE name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The job whose output topic `name` is (`<job>-results`), if any.
pub(crate) fn output_of(conn: &Connection, name: &str) -> Result<Option<String>, LocalError> {
    Ok(conn
        .query_row(
            "SELECT name FROM sluice_jobs WHERE name || '-results' = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

/// Creates topic `name` if missing; whether it was created.
pub(crate) fn create_topic(
    conn: &Connection,
    name: &str,
    by: Option<&str>,
) -> Result<bool, LocalError> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO sluice_topics (name, created_by) VALUES (?1, ?2)",
        params![name, by],
    )? == 1)
}
