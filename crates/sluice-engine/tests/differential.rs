//! Differential tests: each query runs through the engine (the stream pushed event
//! by event) and through SQLite as one batch query over the same generated data
//! (the stream as a table); the results must be the same multiset of rows.
//!
//! The cases are data: `tests/differential/cases.test` (its head says the format).
#![cfg(not(target_arch = "wasm32"))]

use rusqlite::types::ValueRef;
use sluice_datagen::{BatchParams, StatusMix, Stream, StreamParams};
use sluice_engine::value::Value;
use sluice_engine::{Engine, Options};
use sluice_sql::literal::format_timestamp;
use sluice_sql::{Catalog, analyze};

const STREAM: &str = "pubsub.topic.`demobox-313313`.orders";
const ORDERS: &str = "bigquery.table.`demobox-313313`.ecommerce.orders";
const CUSTOMERS: &str = "bigquery.table.`demobox-313313`.ecommerce.customers";

/// A comparable cell: numbers as f64 (compared with a tolerance), the rest as text.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Num(f64),
    Text(String),
}

fn cell_of(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Num(f64::from(u8::from(*b))),
        Value::Int64(_) | Value::Float64(_) | Value::Numeric(_) => {
            Cell::Num(v.as_f64().unwrap_or(f64::NAN))
        }
        Value::String(s) => Cell::Text(s.to_string()),
        Value::Timestamp(t) => Cell::Text(format_timestamp(*t)),
        other => Cell::Text(other.to_string()),
    }
}

fn sort_key(row: &[Cell]) -> String {
    row.iter()
        .map(|c| match c {
            Cell::Null => "\u{0}".to_string(),
            Cell::Num(x) => format!("{x:.4}"),
            Cell::Text(s) => s.clone(),
        })
        .collect::<Vec<_>>()
        .join("\u{1}")
}

fn same(a: &[Vec<Cell>], b: &[Vec<Cell>]) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{} rows vs {} rows", a.len(), b.len()));
    }
    let mut a: Vec<_> = a.to_vec();
    let mut b: Vec<_> = b.to_vec();
    a.sort_by_key(|r| sort_key(r));
    b.sort_by_key(|r| sort_key(r));
    for (x, y) in a.iter().zip(&b) {
        let ok = x.len() == y.len()
            && x.iter().zip(y).all(|(p, q)| match (p, q) {
                (Cell::Num(p), Cell::Num(q)) => {
                    (p - q).abs() <= 1e-6 * p.abs().max(q.abs()).max(1.0)
                }
                _ => p == q,
            });
        if !ok {
            return Err(format!("engine row {x:?} vs sqlite row {y:?}"));
        }
    }
    Ok(())
}

struct World {
    catalog: Catalog,
    tables: sluice_engine::Tables,
    events: Vec<sluice_engine::Row>,
    sqlite: rusqlite::Connection,
}

fn world() -> World {
    let catalog = Catalog::reference();
    let batch = BatchParams::default();
    let tables = sluice_datagen::tables(&catalog, &batch);
    let topic = catalog
        .sources
        .iter()
        .find(|s| !s.is_bounded())
        .expect("topic");
    let stream: Vec<_> = Stream::new(StreamParams {
        status_mix: StatusMix::BATCH,
        ..StreamParams::default()
    })
    .take(400)
    .collect();
    let events = stream.iter().map(|e| e.to_row(&topic.schema)).collect();
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    db.execute_batch(
        "CREATE TABLE stream (event_timestamp TEXT, customer_id INTEGER, amount REAL, order_status TEXT, order_datetime TEXT);
         CREATE TABLE orders (customer_id INTEGER, amount REAL, order_status TEXT, order_datetime TEXT);
         CREATE TABLE customers (customer_id INTEGER, name TEXT, username TEXT, sex TEXT, job TEXT, company TEXT, blood_group TEXT);",
    )
    .expect("schema");
    for e in &stream {
        db.execute(
            "INSERT INTO stream VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                format_timestamp(e.event_timestamp),
                e.customer_id,
                e.amount,
                e.order_status,
                e.order_datetime
            ],
        )
        .expect("insert");
    }
    for o in sluice_datagen::orders(&batch) {
        db.execute(
            "INSERT INTO orders VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                o.customer_id,
                o.amount,
                o.order_status,
                format_timestamp(o.order_datetime)
            ],
        )
        .expect("insert");
    }
    for c in sluice_datagen::customers(&batch) {
        db.execute(
            "INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                c.customer_id,
                c.name,
                c.username,
                c.sex,
                c.job,
                c.company,
                c.blood_group
            ],
        )
        .expect("insert");
    }
    World {
        catalog,
        tables,
        events,
        sqlite: db,
    }
}

fn engine_rows(w: &World, sql: &str) -> Result<Vec<Vec<Cell>>, String> {
    let analysis = analyze(sql, &w.catalog);
    let plan = match analysis.plan {
        Some(p) if !analysis.has_errors() => p,
        _ => return Err(format!("analysis failed: {:?}", analysis.diagnostics)),
    };
    let mut engine =
        Engine::new(&plan, &w.tables, Options::default()).map_err(|e| e.to_string())?;
    if let Some(topic) = engine.stream_sources().first().map(|s| s.to_string()) {
        for e in &w.events {
            engine.push(&topic, e.clone()).map_err(|e| e.to_string())?;
        }
        engine.finish();
        let (_, _, pending) = engine.accounting();
        if pending != 0 {
            return Err(format!("{pending} events still pending after finish"));
        }
        // The running counts agree with the events' fates, one by one.
        let mut direct = (0, 0, 0);
        for i in 0..engine.events() {
            match engine.fate(i) {
                Some(sluice_engine::exec::Fate::Emitted) => direct.0 += 1,
                Some(sluice_engine::exec::Fate::Dropped) => direct.1 += 1,
                _ => direct.2 += 1,
            }
        }
        if direct != engine.accounting() {
            return Err(format!(
                "accounting {:?} but the fates say {direct:?}",
                engine.accounting()
            ));
        }
    }
    Ok(engine
        .outputs
        .iter()
        .map(|o| o.row.iter().map(cell_of).collect())
        .collect())
}

fn sqlite_rows(w: &World, sql: &str) -> Result<Vec<Vec<Cell>>, String> {
    let mut stmt = w.sqlite.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(match row.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(i) => Cell::Num(i as f64),
                ValueRef::Real(x) => Cell::Num(x),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Cell::Text(format!("{b:?}")),
            });
        }
        out.push(cells);
    }
    Ok(out)
}

fn fill(template: &str, stream: &str, orders: &str, customers: &str) -> String {
    template
        .replace("{stream}", stream)
        .replace("{orders}", orders)
        .replace("{customers}", customers)
}

/// A case of `tests/differential/cases.test`.
struct Case {
    name: String,
    query: String,
    /// SQLite's own text, where the dialects differ.
    sqlite: Option<String>,
}

/// The cases of `tests/differential/cases.test` (its head says the format).
fn cases() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/differential/cases.test");
    let text = std::fs::read_to_string(path).expect("the differential cases");
    let mut cases: Vec<Case> = Vec::new();
    let mut in_sqlite = false;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("=== ") {
            cases.push(Case {
                name: name.trim().to_string(),
                query: String::new(),
                sqlite: None,
            });
            in_sqlite = false;
            continue;
        }
        let Some(case) = cases.last_mut() else {
            assert!(line.trim().is_empty(), "text before the first case: {line}");
            continue;
        };
        if line.trim() == "--- sqlite" {
            case.sqlite = Some(String::new());
            in_sqlite = true;
            continue;
        }
        let into = match (&mut case.sqlite, in_sqlite) {
            (Some(sqlite), true) => sqlite,
            _ => &mut case.query,
        };
        into.push_str(line);
        into.push('\n');
    }
    for case in &mut cases {
        case.query = case.query.trim().to_string();
        case.sqlite = case.sqlite.take().map(|s| s.trim().to_string());
        assert!(!case.query.is_empty(), "{}: no query", case.name);
    }
    cases
}

#[test]
fn the_engine_agrees_with_sqlite() {
    let w = world();
    let mut failures = Vec::new();
    let cases = cases();
    for Case {
        name,
        query,
        sqlite,
    } in &cases
    {
        let ours = engine_rows(&w, &fill(query, STREAM, ORDERS, CUSTOMERS));
        let theirs = sqlite_rows(
            &w,
            &fill(
                sqlite.as_deref().unwrap_or(query),
                "stream",
                "orders",
                "customers",
            ),
        );
        match (ours, theirs) {
            (Ok(a), Ok(b)) => {
                if b.is_empty() {
                    failures.push(format!(
                        "{name}: SQLite returned no rows; the case tests nothing"
                    ));
                } else if let Err(e) = same(&a, &b) {
                    failures.push(format!("{name}: {e}"));
                }
            }
            (Err(e), _) => failures.push(format!("{name}: engine: {e}")),
            (_, Err(e)) => failures.push(format!("{name}: sqlite: {e}")),
        }
    }
    assert!(
        cases.len() >= 51,
        "the reference query and at least 50 other shapes"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
