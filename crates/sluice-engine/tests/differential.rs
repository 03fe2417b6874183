//! Differential tests: each query runs through the engine (the stream pushed event
//! by event) and through SQLite as one batch query over the same generated data
//! (the stream as a table); the results must be the same multiset of rows.
//!
//! Queries use `{stream}`, `{orders}` and `{customers}` for the sources; a case may
//! give SQLite its own text where the dialects differ (e.g. windows spelled as
//! `GROUP BY` on the window start).
#![cfg(not(target_arch = "wasm32"))]

use rusqlite::types::ValueRef;
use sluice_datagen::{BatchParams, StatusMix, Stream, StreamParams};
use sluice_engine::value::{Value, format_timestamp};
use sluice_engine::{Engine, Options};
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

/// `(name, query, SQLite's own text if it differs)`.
const CASES: &[(&str, &str, Option<&str>)] = &[
    (
        "reference query",
        "WITH eligible_customers AS (SELECT o.customer_id, SUM(o.amount) AS total_spent FROM {orders} o WHERE o.order_status = 'Closed' GROUP BY 1 HAVING total_spent >= 5000) SELECT o.*, ec.total_spent FROM {stream} o INNER JOIN eligible_customers ec USING (customer_id) WHERE o.order_status != 'Cancelled'",
        None,
    ),
    (
        "filter greater",
        "SELECT * FROM {stream} WHERE amount > 600",
        None,
    ),
    (
        "filter equals",
        "SELECT customer_id, amount FROM {stream} WHERE order_status = 'Cancelled'",
        None,
    ),
    (
        "filter in",
        "SELECT customer_id FROM {stream} WHERE order_status IN ('Open', 'Cancelled')",
        None,
    ),
    (
        "filter not in",
        "SELECT customer_id FROM {stream} WHERE order_status NOT IN ('Open')",
        None,
    ),
    (
        "filter between",
        "SELECT customer_id, amount FROM {stream} WHERE amount BETWEEN 550 AND 600",
        None,
    ),
    (
        "filter like",
        "SELECT order_status FROM {stream} WHERE order_status LIKE 'C%'",
        None,
    ),
    (
        "filter not like",
        "SELECT order_status FROM {stream} WHERE order_status NOT LIKE '%l%'",
        None,
    ),
    (
        "filter not or",
        "SELECT customer_id FROM {stream} WHERE NOT (amount > 600 OR customer_id < 10)",
        None,
    ),
    (
        "filter mod",
        "SELECT customer_id FROM {stream} WHERE MOD(customer_id, 3) = 0",
        Some("SELECT customer_id FROM stream WHERE customer_id % 3 = 0"),
    ),
    (
        "filter and",
        "SELECT * FROM {stream} WHERE amount < 560 AND order_status = 'Open' AND customer_id > 20",
        None,
    ),
    (
        "project arithmetic",
        "SELECT customer_id, amount * 2 AS a2, amount - 500 AS d, customer_id + 1 AS c1, -amount AS neg FROM {stream}",
        None,
    ),
    (
        "project division",
        "SELECT customer_id, amount / 4 AS q, customer_id / 4 AS r FROM {stream}",
        Some("SELECT customer_id, amount / 4, customer_id / 4.0 FROM stream"),
    ),
    (
        "case searched",
        "SELECT customer_id, CASE WHEN amount > 650 THEN 'big' WHEN amount > 550 THEN 'mid' ELSE 'small' END AS size FROM {stream}",
        None,
    ),
    (
        "case simple",
        "SELECT CASE order_status WHEN 'Open' THEN 1 WHEN 'Closed' THEN 2 ELSE 3 END AS s FROM {stream}",
        None,
    ),
    (
        "if",
        "SELECT IF(amount > 600, 'big', 'small') AS size FROM {stream}",
        Some("SELECT iif(amount > 600, 'big', 'small') FROM stream"),
    ),
    (
        "coalesce and ifnull",
        "SELECT COALESCE(NULL, order_status) AS a, IFNULL(NULL, customer_id) AS b FROM {stream}",
        Some("SELECT COALESCE(NULL, order_status), IFNULL(NULL, customer_id) FROM stream"),
    ),
    (
        "nullif",
        "SELECT NULLIF(order_status, 'Open') AS s FROM {stream}",
        None,
    ),
    (
        "upper lower length",
        "SELECT UPPER(order_status) AS u, LOWER(order_status) AS l, LENGTH(order_status) AS n FROM {stream}",
        None,
    ),
    (
        "concat",
        "SELECT CONCAT(order_status, '-', CAST(customer_id AS STRING)) AS tag FROM {stream}",
        Some("SELECT order_status || '-' || CAST(customer_id AS TEXT) FROM stream"),
    ),
    (
        "concat operator",
        "SELECT order_status || '!' AS s FROM {stream}",
        None,
    ),
    (
        "substr",
        "SELECT SUBSTR(order_status, 2, 3) AS s, SUBSTR(order_status, 3) AS t FROM {stream}",
        None,
    ),
    (
        "replace",
        "SELECT REPLACE(order_status, 'e', 'E') AS s FROM {stream}",
        None,
    ),
    (
        "trim",
        "SELECT TRIM(CONCAT('  ', order_status, ' ')) AS s, LTRIM(order_status, 'O') AS t FROM {stream}",
        Some("SELECT TRIM('  ' || order_status || ' '), LTRIM(order_status, 'O') FROM stream"),
    ),
    (
        "abs round",
        "SELECT ABS(amount - 600) AS a, ROUND(amount / 3, 2) AS r, ROUND(amount) AS whole FROM {stream}",
        None,
    ),
    (
        "cast to int rounds",
        "SELECT CAST(amount AS INT64) AS a FROM {stream}",
        Some("SELECT CAST(ROUND(amount) AS INTEGER) FROM stream"),
    ),
    (
        "greatest least",
        "SELECT GREATEST(amount, 600) AS g, LEAST(customer_id, 50) AS l FROM {stream}",
        Some("SELECT MAX(amount, 600), MIN(customer_id, 50) FROM stream"),
    ),
    (
        "starts with",
        "SELECT customer_id FROM {stream} WHERE STARTS_WITH(order_status, 'Op')",
        Some("SELECT customer_id FROM stream WHERE order_status LIKE 'Op%'"),
    ),
    (
        "boolean column",
        "SELECT customer_id, amount > 600 AND order_status = 'Open' AS hot FROM {stream}",
        None,
    ),
    (
        "is null",
        "SELECT customer_id FROM {stream} WHERE NULLIF(order_status, 'Open') IS NULL",
        None,
    ),
    (
        "timestamp compare",
        "SELECT customer_id FROM {stream} WHERE event_timestamp >= TIMESTAMP '2026-11-24 00:10:00'",
        Some("SELECT customer_id FROM stream WHERE event_timestamp >= '2026-11-24T00:10:00Z'"),
    ),
    (
        "extract minute",
        "SELECT EXTRACT(MINUTE FROM event_timestamp) AS m FROM {stream}",
        Some("SELECT CAST(strftime('%M', event_timestamp) AS INTEGER) FROM stream"),
    ),
    (
        "timestamp trunc",
        "SELECT TIMESTAMP_TRUNC(event_timestamp, HOUR) AS h FROM {stream}",
        Some("SELECT strftime('%Y-%m-%dT%H:00:00Z', event_timestamp) FROM stream"),
    ),
    (
        "timestamp add",
        "SELECT TIMESTAMP_ADD(event_timestamp, INTERVAL 90 SECOND) AS t FROM {stream}",
        Some("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', event_timestamp, '+90 seconds') FROM stream"),
    ),
    (
        "cte chain",
        "WITH big AS (SELECT * FROM {stream} WHERE amount > 650) SELECT customer_id, amount FROM big WHERE customer_id < 50",
        None,
    ),
    (
        "subquery in from",
        "SELECT x.c FROM (SELECT customer_id AS c, amount FROM {stream}) x WHERE x.amount < 520",
        None,
    ),
    (
        "join customers",
        "SELECT o.customer_id, c.name, o.amount FROM {stream} o JOIN {customers} c ON o.customer_id = c.customer_id",
        None,
    ),
    (
        "join using",
        "SELECT customer_id, c.job FROM {stream} o JOIN {customers} c USING (customer_id)",
        None,
    ),
    (
        "join residual on bounded",
        "SELECT o.customer_id, c.sex FROM {stream} o JOIN {customers} c ON o.customer_id = c.customer_id AND c.sex = 'F'",
        None,
    ),
    (
        "join then filter",
        "SELECT o.amount, c.job FROM {stream} o JOIN {customers} c ON o.customer_id = c.customer_id WHERE c.job = 'Nurse'",
        None,
    ),
    (
        "join bounded on left",
        "SELECT c.name, o.amount FROM {customers} c JOIN {stream} o ON c.customer_id = o.customer_id",
        None,
    ),
    (
        "left join aggregate",
        "SELECT o.customer_id, t.total FROM {stream} o LEFT JOIN (SELECT customer_id, SUM(amount) AS total FROM {orders} WHERE order_status = 'Cancelled' GROUP BY customer_id) t ON o.customer_id = t.customer_id",
        None,
    ),
    (
        "join residual across sides",
        "SELECT o.customer_id, t.total FROM {stream} o JOIN (SELECT customer_id, SUM(amount) AS total FROM {orders} GROUP BY customer_id) t ON o.customer_id = t.customer_id AND o.amount * 10 < t.total",
        None,
    ),
    (
        "two joins",
        "SELECT o.customer_id, c.company, t.n FROM {stream} o JOIN {customers} c ON o.customer_id = c.customer_id JOIN (SELECT customer_id, COUNT(*) AS n FROM {orders} GROUP BY customer_id) t ON o.customer_id = t.customer_id",
        None,
    ),
    (
        "stream union all",
        "SELECT customer_id FROM {stream} WHERE amount > 690 UNION ALL SELECT customer_id FROM {stream} WHERE amount < 505",
        None,
    ),
    (
        "bounded count per key",
        "SELECT customer_id, COUNT(*) AS n FROM {orders} GROUP BY customer_id",
        None,
    ),
    (
        "bounded aggregates",
        "SELECT customer_id, SUM(amount) AS s, AVG(amount) AS a, MIN(amount) AS lo, MAX(amount) AS hi, COUNT(DISTINCT order_status) AS k FROM {orders} GROUP BY customer_id",
        None,
    ),
    (
        "countif",
        "SELECT customer_id, COUNTIF(order_status = 'Closed') AS closed FROM {orders} GROUP BY customer_id",
        Some("SELECT customer_id, SUM(order_status = 'Closed') FROM orders GROUP BY customer_id"),
    ),
    (
        "having",
        "SELECT customer_id, COUNT(*) AS n FROM {orders} GROUP BY customer_id HAVING COUNT(*) > 12",
        None,
    ),
    (
        "order by limit",
        "SELECT customer_id, amount FROM {orders} ORDER BY amount DESC, customer_id, order_datetime LIMIT 10",
        None,
    ),
    (
        "limit offset",
        "SELECT customer_id FROM {orders} ORDER BY amount, customer_id, order_datetime LIMIT 5 OFFSET 3",
        None,
    ),
    (
        "distinct",
        "SELECT DISTINCT order_status FROM {orders}",
        None,
    ),
    (
        "bounded union all",
        "SELECT customer_id FROM {orders} WHERE amount > 990 UNION ALL SELECT customer_id FROM {customers} WHERE customer_id < 5",
        None,
    ),
    (
        "global aggregate",
        "SELECT COUNT(*) AS n, SUM(amount) AS s, MIN(order_datetime) AS first FROM {orders}",
        None,
    ),
    (
        "global aggregate of nothing",
        "SELECT COUNT(*) AS n, SUM(amount) AS s FROM {orders} WHERE amount < 0",
        None,
    ),
    (
        "bounded join group",
        "SELECT c.sex, COUNT(*) AS n FROM {orders} o JOIN {customers} c USING (customer_id) GROUP BY c.sex",
        None,
    ),
    (
        "bounded left join nulls",
        "SELECT c.customer_id, t.n FROM {customers} c LEFT JOIN (SELECT customer_id, COUNT(*) AS n FROM {orders} GROUP BY customer_id) t ON c.customer_id = t.customer_id",
        None,
    ),
    (
        "bounded full join",
        "SELECT a.customer_id, b.customer_id AS other FROM (SELECT customer_id FROM {customers} WHERE customer_id < 10) a FULL OUTER JOIN (SELECT DISTINCT customer_id FROM {orders} WHERE customer_id BETWEEN 5 AND 12) b ON a.customer_id = b.customer_id",
        None,
    ),
    (
        "tumble count",
        "SELECT window_start, COUNT(*) AS n FROM TUMBLE((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\") GROUP BY window_start",
        Some(
            "SELECT strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp), COUNT(*) FROM stream GROUP BY 1",
        ),
    ),
    (
        "tumble sum per customer",
        "SELECT window_start, customer_id, SUM(amount) AS s FROM TUMBLE((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\") GROUP BY window_start, customer_id",
        Some(
            "SELECT strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp), customer_id, SUM(amount) FROM stream GROUP BY 1, 2",
        ),
    ),
    (
        "tumble five minutes",
        "SELECT window_start, window_end, COUNT(*) AS n, AVG(amount) AS a FROM TUMBLE((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 5 MINUTE\") GROUP BY window_start, window_end",
        Some(
            "SELECT w, strftime('%Y-%m-%dT%H:%M:%SZ', w, '+5 minutes'), COUNT(*), AVG(amount) FROM (SELECT strftime('%Y-%m-%dT%H:', event_timestamp) || printf('%02d', (CAST(strftime('%M', event_timestamp) AS INTEGER) / 5) * 5) || ':00Z' AS w, amount FROM stream) GROUP BY w",
        ),
    ),
    (
        "tumble filtered input",
        "SELECT window_start, MIN(amount) AS lo, MAX(amount) AS hi FROM TUMBLE((SELECT * FROM {stream} WHERE order_status = 'Open'), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\") GROUP BY window_start",
        Some(
            "SELECT strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp), MIN(amount), MAX(amount) FROM stream WHERE order_status = 'Open' GROUP BY 1",
        ),
    ),
    (
        "tumble having",
        "SELECT window_start, COUNT(*) AS n FROM TUMBLE((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\") GROUP BY window_start HAVING COUNT(*) > 24",
        Some(
            "SELECT strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp), COUNT(*) FROM stream GROUP BY 1 HAVING COUNT(*) > 24",
        ),
    ),
    (
        "tumble calcite spelling",
        "SELECT window_start, COUNT(*) AS n FROM TUMBLE(TABLE {stream}, DESCRIPTOR(event_timestamp), INTERVAL '2' MINUTE) GROUP BY window_start",
        Some(
            "SELECT strftime('%Y-%m-%dT%H:', event_timestamp) || printf('%02d', (CAST(strftime('%M', event_timestamp) AS INTEGER) / 2) * 2) || ':00Z', COUNT(*) FROM stream GROUP BY 1",
        ),
    ),
    (
        "hop",
        "SELECT window_start, COUNT(*) AS n FROM HOP((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\", \"INTERVAL 2 MINUTE\") GROUP BY window_start",
        Some(
            "SELECT ws, COUNT(*) FROM (SELECT strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp) AS ws FROM stream UNION ALL SELECT strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp, '-1 minute') FROM stream) GROUP BY ws",
        ),
    ),
    (
        "tumble then join customers",
        "SELECT t.window_start, c.sex, COUNT(*) AS n FROM TUMBLE((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 5 MINUTE\") t JOIN {customers} c ON t.customer_id = c.customer_id GROUP BY t.window_start, c.sex",
        Some(
            "SELECT strftime('%Y-%m-%dT%H:', event_timestamp) || printf('%02d', (CAST(strftime('%M', event_timestamp) AS INTEGER) / 5) * 5) || ':00Z', c.sex, COUNT(*) FROM stream s JOIN customers c ON s.customer_id = c.customer_id GROUP BY 1, 2",
        ),
    ),
    (
        "windowed aggregate projected",
        "SELECT customer_id, s * 2 AS doubled FROM (SELECT window_start, customer_id, SUM(amount) AS s FROM TUMBLE((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 10 MINUTE\") GROUP BY window_start, customer_id) WHERE s > 1000",
        Some(
            "SELECT customer_id, s * 2 FROM (SELECT strftime('%Y-%m-%dT%H:', event_timestamp) || printf('%02d', (CAST(strftime('%M', event_timestamp) AS INTEGER) / 10) * 10) || ':00Z' AS w, customer_id, SUM(amount) AS s FROM stream GROUP BY 1, 2) WHERE s > 1000",
        ),
    ),
    (
        // Issue 16 #13: an aggregate's groups stay in their window (Beam's
        // GroupByKey output does), so two windowed aggregates join per window.
        "windowed aggregates joined per window",
        "WITH a AS (SELECT customer_id, window_start, COUNT(*) AS n FROM TUMBLE(TABLE {stream}, DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\") GROUP BY customer_id, window_start), b AS (SELECT customer_id, window_start, SUM(amount) AS s FROM TUMBLE(TABLE {stream}, DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\") WHERE order_status = 'Open' GROUP BY customer_id, window_start) SELECT a.customer_id, a.window_start, a.n, b.s FROM a JOIN b ON a.customer_id = b.customer_id AND a.window_start = b.window_start",
        Some(
            "WITH a AS (SELECT customer_id, strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp) AS w, COUNT(*) AS n FROM stream GROUP BY 1, 2), b AS (SELECT customer_id, strftime('%Y-%m-%dT%H:%M:00Z', event_timestamp) AS w, SUM(amount) AS s FROM stream WHERE order_status = 'Open' GROUP BY 1, 2) SELECT a.customer_id, a.w, a.n, b.s FROM a JOIN b ON a.customer_id = b.customer_id AND a.w = b.w",
        ),
    ),
    (
        "windowed aggregate aggregated again in its window",
        "SELECT window_start, MAX(n) AS most, COUNT(*) AS customers FROM (SELECT customer_id, window_start, COUNT(*) AS n FROM TUMBLE(TABLE {stream}, DESCRIPTOR(event_timestamp), \"INTERVAL 5 MINUTE\") GROUP BY customer_id, window_start) GROUP BY window_start",
        Some(
            "SELECT w, MAX(n), COUNT(*) FROM (SELECT customer_id, strftime('%Y-%m-%dT%H:', event_timestamp) || printf('%02d', (CAST(strftime('%M', event_timestamp) AS INTEGER) / 5) * 5) || ':00Z' AS w, COUNT(*) AS n FROM stream GROUP BY 1, 2) GROUP BY w",
        ),
    ),
    (
        "session per customer",
        "SELECT customer_id, window_start, window_end, COUNT(*) AS n, SUM(amount) AS s FROM SESSION((SELECT * FROM {stream}), DESCRIPTOR(event_timestamp), \"INTERVAL 3 MINUTE\") GROUP BY customer_id, window_start, window_end",
        Some(
            "WITH t AS (SELECT customer_id, unixepoch(event_timestamp) AS ts, amount FROM stream), l AS (SELECT *, CASE WHEN ts - LAG(ts) OVER (PARTITION BY customer_id ORDER BY ts) < 180 THEN 0 ELSE 1 END AS fresh FROM t), g AS (SELECT *, SUM(fresh) OVER (PARTITION BY customer_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM l) SELECT customer_id, strftime('%Y-%m-%dT%H:%M:%SZ', MIN(ts), 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%SZ', MAX(ts) + 180, 'unixepoch'), COUNT(*), SUM(amount) FROM g GROUP BY customer_id, sid",
        ),
    ),
    (
        "session count only",
        "SELECT window_start, COUNT(*) AS n FROM SESSION((SELECT * FROM {stream} WHERE customer_id < 30), DESCRIPTOR(event_timestamp), \"INTERVAL 2 MINUTE\") GROUP BY window_start",
        Some(
            "WITH t AS (SELECT unixepoch(event_timestamp) AS ts FROM stream WHERE customer_id < 30), l AS (SELECT *, CASE WHEN ts - LAG(ts) OVER (ORDER BY ts) < 120 THEN 0 ELSE 1 END AS fresh FROM t), g AS (SELECT *, SUM(fresh) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM l) SELECT strftime('%Y-%m-%dT%H:%M:%SZ', MIN(ts), 'unixepoch'), COUNT(*) FROM g GROUP BY sid",
        ),
    ),
];

#[test]
fn the_engine_agrees_with_sqlite() {
    let w = world();
    let mut failures = Vec::new();
    for (name, query, sqlite) in CASES {
        let ours = engine_rows(&w, &fill(query, STREAM, ORDERS, CUSTOMERS));
        let theirs = sqlite_rows(
            &w,
            &fill(sqlite.unwrap_or(query), "stream", "orders", "customers"),
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
        CASES.len() >= 51,
        "the reference query and at least 50 other shapes"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
