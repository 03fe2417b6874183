//! Loading a project's catalog (`sluice_deploy::project::load`) from the fake
//! Google Cloud, which validates every request against Google's discovery
//! documents, answers a page at a time, and fails calls on demand.

mod common;

use serde_json::json;
use sluice_deploy::gcp::Client;
use sluice_deploy::project::load;
use sluice_fake_gcp::{Fake, FaultKind, Timing};
use sluice_sql::catalog::SourceKind;

const PROJECT: &str = "shop-1234";

/// Five topics (one with a Pub/Sub schema), two datasets of three tables each (a
/// view and a table whose schema the catalog cannot hold among them), a dataset
/// of another project, and pages of two.
async fn fake() -> Fake {
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .expect("the fake starts");
    {
        let mut s = fake.state();
        s.page_size = 2;
        for t in ["a", "b", "c", "d"] {
            let name = format!("projects/{PROJECT}/topics/{t}");
            s.topics.insert(name.clone(), json!({"name": name}));
        }
        let name = format!("projects/{PROJECT}/topics/e");
        s.topics.insert(
            name.clone(),
            json!({"name": name, "schemaSettings": {"schema": format!("projects/{PROJECT}/schemas/e"), "encoding": "JSON"}}),
        );
        s.schemas.insert(
            format!("projects/{PROJECT}/schemas/e"),
            json!({"type": "AVRO", "definition": json!({
                "type": "record", "name": "E", "fields": [
                    {"name": "id", "type": "long"},
                    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
                    {"name": "maybe", "type": ["null", "string"]}
                ]
            }).to_string()}),
        );
        s.topics.insert(
            "projects/other/topics/x".into(),
            json!({"name": "projects/other/topics/x"}),
        );
        let schema = |t: &str| json!({"schema": {"fields": [{"name": "id", "type": "INTEGER", "mode": "REQUIRED"}, {"name": "v", "type": t}]}});
        for d in ["sales", "web"] {
            s.datasets.insert(format!("{PROJECT}.{d}"), json!({}));
            s.tables
                .insert(format!("{PROJECT}.{d}.t1"), schema("STRING"));
            s.tables
                .insert(format!("{PROJECT}.{d}.t2"), schema("FLOAT"));
        }
        s.tables.insert(
            format!("{PROJECT}.web.v"),
            json!({"view": {"query": "SELECT 1"}}),
        );
        s.tables
            .insert(format!("{PROJECT}.sales.odd"), schema("NO_SUCH_TYPE"));
        s.datasets.insert("other.hidden".into(), json!({}));
    }
    fake
}

fn client(fake: &Fake) -> Client {
    common::fake_client(&fake.url(), 4)
}

#[tokio::test]
async fn every_page_of_topics_datasets_and_tables_is_read_through_faults() {
    let fake = fake().await;
    fake.fault("bigquery.tables.list", FaultKind::Status(429), 1);
    fake.fault("pubsub.projects.topics.list", FaultKind::Status(503), 1);
    fake.fault("bigquery.tables.get", FaultKind::Drop, 1);
    let loaded = load(&client(&fake), PROJECT).await.expect("loaded");
    let names: Vec<String> = loaded.sources.iter().map(|s| s.sql_name()).collect();
    assert_eq!(
        names,
        [
            "pubsub.topic.`shop-1234`.a",
            "pubsub.topic.`shop-1234`.b",
            "pubsub.topic.`shop-1234`.c",
            "pubsub.topic.`shop-1234`.d",
            "pubsub.topic.`shop-1234`.e",
            "bigquery.table.`shop-1234`.sales.t1",
            "bigquery.table.`shop-1234`.sales.t2",
            "bigquery.table.`shop-1234`.web.t1",
            "bigquery.table.`shop-1234`.web.t2",
        ]
    );
    let t2 = &loaded.sources[6];
    assert_eq!(t2.kind, SourceKind::BigQueryTable);
    assert_eq!(t2.schema[1].data_type.to_string(), "FLOAT64");
    assert_eq!(
        loaded.sources[0].schema.len(),
        1,
        "a topic holds its publish time"
    );
    let notes = loaded.notes.join("\n");
    // Topic e's fields come from its Avro schema, but for the union the deployed
    // JSON reading cannot take.
    let e = &loaded.sources[4];
    let e_fields: Vec<String> = e
        .schema
        .iter()
        .map(|f| format!("{} {}", f.name, f.data_type))
        .collect();
    assert_eq!(
        e_fields,
        ["event_timestamp TIMESTAMP", "id INT64", "kind STRING"]
    );
    assert_eq!(loaded.typed_topics, [e.sql_name()]);
    assert!(
        notes
            .contains("topic e: 2 fields from the Avro schema projects/shop-1234/schemas/e (JSON)")
            && notes.contains("topic e: field maybe: left out, it is a union"),
        "{notes}"
    );
    assert!(
        notes.contains("sales.odd: left out, its schema") && notes.contains("NO_SUCH_TYPE"),
        "{notes}"
    );
    assert!(notes.contains("web.v: a VIEW, left out"), "{notes}");
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    // Pages of two: 3 of topics (+1 retried), 1 of datasets, 2 + 2 of tables (+1 retried).
    let calls = fake.calls();
    let count = |call: &str| calls.iter().filter(|c| *c == call).count();
    assert_eq!(count("pubsub.projects.topics.list"), 4, "{calls:?}");
    assert_eq!(count("bigquery.datasets.list"), 1, "{calls:?}");
    assert_eq!(count("bigquery.tables.list"), 5, "{calls:?}");
    assert_eq!(count("bigquery.tables.get"), 6, "{calls:?}");
}

#[tokio::test]
async fn a_failure_that_outlasts_the_retries_says_which_call() {
    let failing = fake().await;
    failing.fault("bigquery.datasets.list", FaultKind::Status(500), 10);
    let e = load(&client(&failing), PROJECT).await.expect_err("fails");
    assert_eq!(e.call, "bigquery.datasets.list");
    assert_eq!(e.status, Some(500));
    assert!(e.message.contains("after 4 attempts"), "{}", e.message);
    let refusing = fake().await;
    refusing.fault("pubsub.projects.topics.list", FaultKind::Status(403), 1);
    let e = load(&client(&refusing), PROJECT)
        .await
        .expect_err("refused");
    assert_eq!(e.status, Some(403));
}

#[tokio::test]
async fn a_tables_rows_are_read_a_page_at_a_time_through_faults() {
    use sluice_deploy::rows::read_page;
    let fake = fake().await;
    {
        let mut s = fake.state();
        s.tables.insert(
            format!("{PROJECT}.sales.orders"),
            json!({"schema": {"fields": [
                {"name": "id", "type": "INTEGER", "mode": "REQUIRED"},
                {"name": "amount", "type": "FLOAT"},
                {"name": "at", "type": "TIMESTAMP"},
                {"name": "tags", "type": "STRING", "mode": "REPEATED"},
                {"name": "address", "type": "RECORD", "fields": [{"name": "city", "type": "STRING"}]}
            ]}}),
        );
        let rows = (0..5)
            .map(|i| {
                json!({"insertId": format!("r{i}"), "json": {
                    "id": i, "amount": 10.5 * f64::from(i), "at": format!("2024-01-0{} 10:00:00.25 UTC", i + 1),
                    "tags": ["x", "x"], "address": if i == 0 { json!(null) } else { json!({"city": "Oslo"}) }
                }})
            })
            .collect();
        s.rows.insert(format!("{PROJECT}.sales.orders"), rows);
    }
    fake.fault("bigquery.tabledata.list", FaultKind::Status(429), 1);
    fake.fault_after("bigquery.tabledata.list", 2, FaultKind::Drop, 1);
    let client = client(&fake);
    let (mut rows, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let (schema, page) = read_page(&client, PROJECT, "sales", "orders", 100, token.as_deref())
            .await
            .expect("a page");
        assert_eq!(schema.len(), 5);
        assert_eq!(page.total_rows, Some(5));
        // The engine reads every row with the table's schema.
        for row in &page.rows {
            sluice_engine::input::row_from_json(row, &schema).expect("the engine reads the row");
        }
        rows.extend(page.rows);
        pages += 1;
        token = page.next;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3, "pages of two");
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[3],
        json!({"id": 3, "amount": 31.5, "at": "2024-01-04T10:00:00.250000Z", "tags": ["x", "x"], "address": {"city": "Oslo"}})
    );
    assert_eq!(rows[0]["address"], json!(null));
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    let missing = read_page(&client, PROJECT, "sales", "gone", 10, None)
        .await
        .expect_err("no such table");
    assert_eq!(missing.status, Some(404));
    assert_eq!(missing.call, "bigquery.tables.get");
}

#[tokio::test]
async fn a_filtered_sample_is_estimated_dry_then_run_within_its_estimate() {
    use sluice_deploy::rows::{
        estimate_query, filtered_query, next_query_page, run_first_page, table_of,
    };
    let fake = fake().await;
    {
        let mut s = fake.state();
        s.tables.insert(
            format!("{PROJECT}.sales.orders"),
            json!({"schema": {"fields": [
                {"name": "customer_id", "type": "INTEGER"},
                {"name": "amount", "type": "FLOAT"},
                {"name": "order_status", "type": "STRING"}
            ]}}),
        );
        let rows = (0..9)
            .map(|i| {
                let status = if i % 3 == 0 { "Closed" } else { "Open" };
                json!({"json": {"customer_id": i, "amount": 10.0 * f64::from(i), "order_status": status}})
            })
            .collect();
        s.rows.insert(format!("{PROJECT}.sales.orders"), rows);
        s.query_polls = 2;
    }
    let client = client(&fake);
    let source = table_of(&client, PROJECT, "sales", "orders")
        .await
        .expect("the table");
    let query =
        filtered_query(&source, "order_status = 'Closed' AND amount >= 30", 100).expect("a query");
    fake.fault("bigquery.jobs.query", FaultKind::Status(503), 1);
    let estimate = estimate_query(&client, &query).await.expect("an estimate");
    assert!(estimate.processed > 0);
    assert_eq!(estimate.billed, 10 << 20, "the 10 MB minimum");
    // A limit under what the query bills fails it, billing nothing.
    let refused = run_first_page(&client, &query, 1_000, 2, "r-1")
        .await
        .expect_err("over the limit");
    assert!(
        refused.message.contains("exceeded limit for bytes billed"),
        "{}",
        refused.message
    );
    // Within its estimate it runs: the job is waited for, then read page by page.
    let first = run_first_page(&client, &query, estimate.billed, 1, "r-2")
        .await
        .expect("the first page");
    assert!(first.complete);
    let mut rows = first.page.rows.clone();
    let mut token = first.page.next.clone();
    while let Some(t) = token {
        let page = next_query_page(&client, &first.job, 1, Some(&t))
            .await
            .expect("a page");
        rows.extend(page.page.rows);
        token = page.page.next;
    }
    let ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r["customer_id"].as_i64())
        .collect();
    assert_eq!(ids, [3, 6]);
    let calls = fake.calls();
    let polls = calls
        .iter()
        .filter(|c| *c == "bigquery.jobs.getQueryResults")
        .count();
    assert_eq!(polls, 2 + 1, "two polls while it ran, one more page");
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}
