//! `sluice generate` and `sluice simulate` as a user runs them.

mod common;

use common::{sluice, write};

fn generate(dir: &tempfile::TempDir, status_mix: &str) -> (String, String) {
    let batch = dir.path().join("batch").display().to_string();
    let stream = dir.path().join("stream.jsonl").display().to_string();
    let (code, _, err) = sluice(&["generate", "batch", "--out", &batch], None);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = sluice(
        &[
            "generate",
            "stream",
            "--count",
            "200",
            "--status-mix",
            status_mix,
            "--out",
            &stream,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    (batch, stream)
}

/// Generates the data and runs `sluice simulate --format json` with the reference
/// query (and `extra` arguments); returns the report, the batch dir and the stream.
fn simulate_json(
    dir: &tempfile::TempDir,
    status_mix: &str,
    extra: &[&str],
) -> (serde_json::Value, String, String) {
    let (batch, stream) = generate(dir, status_mix);
    let query = write(dir, "q.sql", sluice_sql::reference::QUERY);
    let mut args = vec![
        "simulate",
        &query,
        "--batch-dir",
        &batch,
        "--stream",
        &stream,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = sluice(&args, None);
    assert_eq!(code, 0, "{err}");
    let report = serde_json::from_str(&out).expect("json");
    (report, batch, stream)
}

#[test]
fn generate_writes_the_same_files_for_the_same_seed() {
    let (a, b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let (batch_a, stream_a) = generate(&a, "20,75,5");
    let (batch_b, stream_b) = generate(&b, "20,75,5");
    for name in ["customers.jsonl", "orders.jsonl"] {
        let x = std::fs::read_to_string(format!("{batch_a}/{name}")).expect("written");
        let y = std::fs::read_to_string(format!("{batch_b}/{name}")).expect("written");
        assert_eq!(x, y);
    }
    let events = std::fs::read_to_string(&stream_a).expect("written");
    assert_eq!(events, std::fs::read_to_string(&stream_b).expect("written"));
    assert_eq!(events.lines().count(), 200);
    let first: serde_json::Value =
        serde_json::from_str(events.lines().next().unwrap_or("")).expect("json");
    assert_eq!(first["event_timestamp"], "2026-11-24T00:00:00Z");
    let orders = std::fs::read_to_string(format!("{batch_a}/orders.jsonl")).expect("written");
    assert_eq!(orders.lines().count(), 1000);
}

#[test]
fn simulate_json_accounts_for_every_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (report, _, _) = simulate_json(&dir, "20,75,5", &["--drops", "all"]);
    let rows = report["table_rows"].as_array().expect("rows");
    let dropped = report["dropped"].as_array().expect("dropped");
    // The summary counts the same drops by reason.
    let by_reason = report["dropped_by_reason"].as_array().expect("by reason");
    let counted: u64 = by_reason.iter().filter_map(|r| r["count"].as_u64()).sum();
    assert_eq!(counted as usize, dropped.len(), "{by_reason:?}");
    assert!(
        by_reason
            .iter()
            .any(|r| r["reason"] == "no join match at 2 Join")
    );
    assert!(!rows.is_empty());
    assert_eq!(
        report["messages"].as_array().map(Vec::len),
        Some(rows.len())
    );
    assert_eq!(
        rows.len() + dropped.len(),
        200,
        "every event is emitted once or dropped once"
    );
    // Column order and plain JSON values, as the destinations get them.
    let keys: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "event_timestamp",
            "customer_id",
            "amount",
            "order_status",
            "order_datetime",
            "total_spent"
        ]
    );
    assert!(rows[0]["customer_id"].is_i64() && rows[0]["total_spent"].is_f64());
    assert!(rows.iter().all(|r| r["order_status"] != "Cancelled"));
    // The cancelled orders of eligible customers are dropped by the filter, with the value.
    assert!(dropped.iter().any(|d| d["operator"] == "1 Filter"
        && d["reason"] == "(order_status != 'Cancelled') is FALSE for order_status = 'Cancelled'"));
    assert!(dropped.iter().any(|d| d["operator"] == "2 Join"));
    let ops = report["operators"].as_array().expect("operators");
    assert_eq!(ops[3]["kind"], "Scan");
    assert_eq!(ops[3]["in"], 200);
    assert!(
        report["events_per_second"]
            .as_f64()
            .is_some_and(|x| x > 0.0)
    );
}

#[test]
fn drops_are_summed_by_default_and_listed_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (summary, _, _) = simulate_json(&dir, "20,75,5", &[]);
    assert!(
        summary.get("dropped").is_none(),
        "listed without --drops all"
    );
    let by_reason = summary["dropped_by_reason"].as_array().expect("by reason");
    let counted: u64 = by_reason.iter().filter_map(|r| r["count"].as_u64()).sum();
    assert_eq!(Some(counted), summary["events"]["dropped"].as_u64());
    // The human report lists every drop only when asked.
    let (batch, stream) = generate(&dir, "20,75,5");
    let query = write(&dir, "q.sql", sluice_sql::reference::QUERY);
    let args = [
        "simulate",
        &query,
        "--batch-dir",
        &batch,
        "--stream",
        &stream,
    ];
    let (code, short, err) = sluice(&args, None);
    assert_eq!(code, 0, "{err}");
    assert!(short.contains("dropped events by reason:") && !short.contains("every dropped event"));
    let mut all = args.to_vec();
    all.extend(["--drops", "all"]);
    let (code, long, err) = sluice(&all, None);
    assert_eq!(code, 0, "{err}");
    let listed = long.lines().filter(|l| l.starts_with("  event ")).count() as u64;
    assert_eq!(
        Some(listed),
        summary["events"]["dropped"].as_u64(),
        "{long}"
    );
}

#[test]
fn bad_records_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (batch, _) = generate(&dir, "100,0,0");
    let stream = write(
        &dir,
        "bad.jsonl",
        "{\"event_timestamp\":\"2026-11-24T00:00:00Z\",\"customer_id\":1,\"amount\":1.0,\"order_status\":\"Open\",\"order_datetime\":\"x\"}\n\
         {\"event_timestamp\":\"2026-11-24T00:00:01Z\",\"customer_id\":\"seven\"}\n\
         not json\n",
    );
    let query = write(&dir, "q.sql", sluice_sql::reference::QUERY);
    let args = [
        "simulate",
        &query,
        "--batch-dir",
        &batch,
        "--stream",
        &stream,
        "--format",
        "json",
    ];
    let (code, out, err) = sluice(&args, None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("bad.jsonl:2: skipped: field \"customer_id\": expected an INT64"),
        "{err}"
    );
    assert!(
        err.contains("bad.jsonl:3: skipped: malformed JSON"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["events"]["total"], 1);

    let mut failing = args.to_vec();
    failing.extend(["--on-bad-record", "fail"]);
    let (code, out, err) = sluice(&failing, None);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("bad.jsonl:2: field \"customer_id\""), "{err}");
}

#[test]
fn simulate_reports_query_errors_and_missing_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (batch, stream) = generate(&dir, "100,0,0");
    let bad = write(
        &dir,
        "bad.sql",
        "SELECT nope FROM pubsub.topic.`demobox-313313`.orders\n",
    );
    let (code, _, err) = sluice(
        &["simulate", &bad, "--batch-dir", &batch, "--stream", &stream],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("bad.sql:1:8"), "{err}");
    let query = write(&dir, "q.sql", sluice_sql::reference::QUERY);
    let empty = dir.path().join("empty").display().to_string();
    let (code, _, err) = sluice(
        &[
            "simulate",
            &query,
            "--batch-dir",
            &empty,
            "--stream",
            &stream,
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("orders.jsonl") && err.contains("sluice generate batch"),
        "{err}"
    );
}

#[test]
fn lineage_names_the_event_and_the_orders_that_sum_to_the_total() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (report, batch, stream) = simulate_json(&dir, "100,0,0", &["--lineage"]);
    let orders: Vec<serde_json::Value> = std::fs::read_to_string(format!("{batch}/orders.jsonl"))
        .expect("orders")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let events: Vec<serde_json::Value> = std::fs::read_to_string(&stream)
        .expect("stream")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let rows = report["table_rows"].as_array().expect("rows");
    let lineage = report["lineage"].as_array().expect("lineage");
    assert_eq!(rows.len(), lineage.len());
    for (row, why) in rows.iter().zip(lineage) {
        let event = why["events"][0].as_u64().expect("an event") as usize;
        assert_eq!(events[event]["event_timestamp"], row["event_timestamp"]);
        let bounded = &why["bounded"][0];
        assert_eq!(bounded["row"]["customer_id"], row["customer_id"]);
        let sum: f64 = bounded["from"][0]["rows"]
            .as_array()
            .expect("scan rows")
            .iter()
            .map(|i| &orders[i.as_u64().expect("index") as usize])
            .inspect(|o| {
                assert_eq!(o["order_status"], "Closed");
                assert_eq!(o["customer_id"], row["customer_id"]);
            })
            .map(|o| o["amount"].as_f64().expect("amount"))
            .sum();
        let total = row["total_spent"].as_f64().expect("total");
        assert!((sum - total).abs() < 1e-6, "{sum} vs {total}");
    }
}

#[test]
fn a_query_without_a_stream_shows_its_table_rows_in_lineage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (batch, stream) = generate(&dir, "100,0,0");
    let query = write(
        &dir,
        "q.sql",
        "SELECT customer_id, SUM(amount) AS total
         FROM bigquery.table.`demobox-313313`.ecommerce.orders
         WHERE order_status = 'Closed' GROUP BY customer_id",
    );
    let (code, out, err) = sluice(
        &[
            "simulate",
            &query,
            "--batch-dir",
            &batch,
            "--stream",
            &stream,
            "--format",
            "json",
            "--lineage",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let rows = report["table_rows"].as_array().expect("rows");
    let lineage = report["lineage"].as_array().expect("lineage");
    assert!(!rows.is_empty());
    assert_eq!(rows.len(), lineage.len());
    for (row, why) in rows.iter().zip(lineage) {
        // Each order behind a total is shown whole, read from the file.
        let orders = why["bounded"].as_array().expect("orders");
        assert!(!orders.is_empty());
        let sum: f64 = orders
            .iter()
            .inspect(|o| {
                assert_eq!(o["row"]["customer_id"], row["customer_id"]);
                assert_eq!(o["row"]["order_status"], "Closed");
            })
            .map(|o| o["row"]["amount"].as_f64().expect("amount"))
            .sum();
        let total = row["total"].as_f64().expect("total");
        assert!((sum - total).abs() < 1e-6, "{sum} vs {total}");
    }
}

#[test]
fn a_bad_record_in_a_table_file_is_skipped_or_stops_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (batch, stream) = generate(&dir, "100,0,0");
    // Past the first piece of rows the reader hands over, a record whose customer is
    // not a number, and a line that is not UTF-8.
    let path = format!("{batch}/orders.jsonl");
    let one = std::fs::read(&path).expect("orders");
    let orders_per_copy = one.iter().filter(|&&b| b == b'\n').count();
    let copies = 5000 / orders_per_copy + 1;
    let mut orders = one.repeat(copies);
    let lines = orders_per_copy * copies;
    orders.extend_from_slice(b"{\"customer_id\":\"x\",\"amount\":1,\"order_status\":\"Closed\"}\n");
    orders.extend_from_slice(b"{\"customer_id\":1,\"amount\":1,\"order_status\":\"\xff\"}\n");
    std::fs::write(&path, orders).expect("write");
    let query = write(&dir, "q.sql", sluice_sql::reference::QUERY);
    let args = [
        "simulate",
        &query,
        "--batch-dir",
        &batch,
        "--stream",
        &stream,
    ];
    let (code, out, err) = sluice(&args, None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("200 events"), "{out}");
    let first = format!("orders.jsonl:{}: skipped: field \"customer_id\"", lines + 1);
    let second = format!("orders.jsonl:{}: skipped: ", lines + 2);
    assert!(err.contains(&first) && err.contains(&second), "{err}");

    let mut failing = args.to_vec();
    failing.extend(["--on-bad-record", "fail"]);
    let (code, out, err) = sluice(&failing, None);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(
        err.contains(&format!("orders.jsonl:{}: field", lines + 1)),
        "{err}"
    );
    assert!(!err.contains("skipped"), "{err}");
}
