//! The local target through `sluice serve`: publish over HTTP, a job in the server,
//! and a SIGKILL mid-stream that loses and duplicates nothing.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice_sql::Catalog;

mod common;
use common::{Served, serve, serve_with};

async fn post(s: &Served, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", s.url))
        .header("Authorization", format!("Bearer {}", s.token))
        .json(&body)
        .send()
        .await
        .expect("an answer");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(s: &Served, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", s.url))
        .header("Authorization", format!("Bearer {}", s.token))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

fn base64(bytes: &[u8]) -> String {
    sluice_engine::value::base64(bytes)
}

fn orders(n: usize) -> Vec<Value> {
    let params = sluice_datagen::StreamParams {
        status_mix: sluice_datagen::StatusMix {
            open: 80,
            closed: 10,
            cancelled: 10,
        },
        ..sluice_datagen::StreamParams::default()
    };
    sluice_datagen::Stream::new(params)
        .take(n)
        .map(|e| json!({"data": base64(e.payload().to_string().as_bytes())}))
        .collect()
}

async fn publish(s: &Served, messages: &[Value]) {
    for chunk in messages.chunks(100) {
        let (status, body) = post(
            s,
            "/api/local/topics/orders:publish",
            json!({"messages": chunk}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["messageIds"].as_array().map(Vec::len),
            Some(chunk.len())
        );
    }
}

async fn sql(s: &Served, query: &str) -> Value {
    let (status, body) = post(
        s,
        "/api/local/sql",
        json!({"sql": query, "max_rows": 10000}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// What the engine gives over the orders topic's log as the server stored it.
async fn expected(s: &Served) -> Vec<String> {
    let log = sql(
        s,
        "SELECT publish_micros, data FROM sluice_messages WHERE topic = 'orders' ORDER BY seq",
    )
    .await;
    let catalog = Catalog::reference();
    let plan = sluice_sql::analyze(sluice_sql::reference::QUERY, &catalog)
        .plan
        .expect("a plan");
    let tables = sluice_datagen::tables(&catalog, &sluice_datagen::BatchParams::default());
    let mut engine = sluice_engine::Engine::new(&plan, &tables, sluice_engine::Options::default())
        .expect("an engine");
    let topic = catalog
        .sources
        .iter()
        .find(|s| !s.is_bounded())
        .expect("a topic");
    for row in log["rows"].as_array().expect("rows") {
        let micros = row[0].as_i64().expect("micros");
        // BLOBs come back as base64.
        let data =
            sluice_engine::value::base64_decode(row[1].as_str().expect("data")).expect("base64");
        let mut j: Value = serde_json::from_slice(&data).expect("JSON");
        j["event_timestamp"] = json!(sluice_local::rfc3339(micros));
        engine
            .push(
                &topic.sql_name(),
                sluice_engine::input::row_from_json(&j, &topic.schema).expect("a row"),
            )
            .expect("pushed");
    }
    let schema = plan.output_schema();
    let mut rows: Vec<String> = engine
        .outputs
        .iter()
        .map(|o| {
            Value::Object(
                schema
                    .iter()
                    .zip(&o.row)
                    .map(|(f, v)| (f.name.clone(), v.to_json(&f.data_type)))
                    .collect(),
            )
            .to_string()
        })
        .collect();
    rows.sort();
    rows
}

async fn table(s: &Served) -> Vec<String> {
    let t = sql(s, "SELECT * FROM \"sluice.vip\"").await;
    let columns: Vec<String> = t["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_owned())
        .collect();
    let mut rows: Vec<String> = t["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let values = r.as_array().expect("a row");
            Value::Object(
                columns
                    .iter()
                    .cloned()
                    .zip(values.iter().cloned())
                    .collect(),
            )
            .to_string()
        })
        .collect();
    rows.sort();
    rows
}

async fn caught_up(s: &Served) -> Value {
    let started = Instant::now();
    loop {
        let job = get(s, "/api/local/jobs/vip").await;
        if job["backlog"] == 0 && job["live"]["position"].as_i64().is_some() {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never caught up: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_stream_resumes_without_losing_or_duplicating_rows() {
    let state = tempfile::tempdir().expect("a temp dir");
    let dist = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dist.path().join("index.html"), "<h1>app</h1>").expect("index.html");
    let config = get(&serve(state.path(), dist.path()), "/api/deploy/config").await;
    assert_eq!(config["target"], "local", "{config}");

    // The job pauses after each batch, so it is still working when the kill comes.
    let mut server = serve_with(state.path(), dist.path(), "1000");
    let (status, job) = post(
        &server,
        "/api/local/deploy",
        json!({"query": sluice_sql::reference::QUERY, "job_name": "vip"}),
    )
    .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["state"], "JOB_STATE_RUNNING");
    let messages = orders(4000);
    publish(&server, &messages[..2000]).await;
    // Kill it while the job is still working through the messages.
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("dead");
    drop(server);

    server = serve(state.path(), dist.path());
    publish(&server, &messages[2000..]).await;
    let job = caught_up(&server).await;
    let rows = table(&server).await;
    assert!(!rows.is_empty());
    assert_eq!(
        rows,
        expected(&server).await,
        "the destination table is exactly the engine's output over the log"
    );
    let log = job["log"].to_string();
    // How many orders the job had committed when it was killed (positions also count
    // the destination topic's messages; the replay counts the orders alone).
    let replayed: i64 = log
        .split("after replaying ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no resume in the log: {log}"));
    assert!(
        replayed > 0 && replayed < 2000,
        "killed after {replayed} orders: not mid-stream"
    );
    // The destination topic holds one message a row.
    let sent = sql(
        &server,
        "SELECT COUNT(*) FROM sluice_messages WHERE topic = 'vip-results'",
    )
    .await;
    assert_eq!(sent["rows"][0][0].as_u64(), Some(rows.len() as u64));
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_needs_the_token_an_existing_topic_and_base64() {
    let state = tempfile::tempdir().expect("a temp dir");
    let dist = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dist.path().join("index.html"), "<h1>app</h1>").expect("index.html");
    let server = serve(state.path(), dist.path());
    let (status, body) = post(
        &server,
        "/api/local/topics/orders:publish",
        json!({"messages": [{"data": "e30="}]}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("no topic orders")),
        "{body}"
    );
    post(&server, "/api/local/deploy", json!({"query": "SELECT customer_id FROM pubsub.topic.`demobox-313313`.orders", "job_name": "ids"})).await;
    let (status, body) = post(
        &server,
        "/api/local/topics/orders:publish",
        json!({"messages": [{"data": "not base64!"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("messages[0].data is not base64")),
        "{body}"
    );
    let anonymous = reqwest::Client::new()
        .post(format!("{}/api/local/topics/orders:publish", server.url))
        .json(&json!({"messages": [{"data": "e30="}]}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(anonymous.status().as_u16(), 401);
    let (status, _) = post(
        &server,
        "/api/local/sql",
        json!({"sql": "DELETE FROM sluice_jobs"}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_generator_request_leaves_the_running_generator_running() {
    let state = tempfile::tempdir().expect("a temp dir");
    let dist = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dist.path().join("index.html"), "<h1>app</h1>").expect("index.html");
    let server = serve(state.path(), dist.path());
    post(&server, "/api/local/deploy", json!({"query": "SELECT customer_id FROM pubsub.topic.`demobox-313313`.orders", "job_name": "ids"})).await;
    let settings = |topic: &str| {
        json!({"running": true, "topic": topic, "speed": 1000.0, "customer_range": 100,
               "seed": 1, "status_mix": [1, 1, 1]})
    };
    let (status, body) = post(&server, "/api/local/generator", settings("orders")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&server, "/api/local/generator", settings("nope")).await;
    assert_eq!(status, 404, "{body}");
    // It says it runs, and it does: the count goes on growing.
    let first = get(&server, "/api/local/generator").await;
    assert_eq!(first["running"], true, "{first}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let later = get(&server, "/api/local/generator").await;
    assert!(
        later["published"].as_u64() > first["published"].as_u64(),
        "the generator stopped: {first} then {later}"
    );
    post(&server, "/api/local/generator", json!({"running": false})).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_target_loads_and_samples_as_a_project() {
    let state = tempfile::tempdir().expect("a temp dir");
    let dist = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dist.path().join("index.html"), "<h1>app</h1>").expect("index.html");
    let server = serve(state.path(), dist.path());
    let (status, job) = post(
        &server,
        "/api/local/deploy",
        json!({"query": sluice_sql::reference::QUERY, "job_name": "vip",
               "generated": {"customers": 50, "orders": 700, "seed": 3, "status_mix": [1, 1, 1]}}),
    )
    .await;
    assert_eq!(status, 200, "{job}");
    let messages = orders(10);
    publish(&server, &messages).await;
    // Its topics and tables, with the fields the job was deployed with.
    let (status, loaded) = post(
        &server,
        "/api/local/catalog",
        json!({"project": "demobox-313313"}),
    )
    .await;
    assert_eq!(status, 200, "{loaded}");
    let loaded: sluice_deploy::wire::ProjectCatalog =
        serde_json::from_value(loaded).expect("a ProjectCatalog");
    let catalog = Catalog::from_value(&loaded.catalog).expect("a catalog");
    let reference = Catalog::reference();
    let names: Vec<String> = catalog.sources.iter().map(|s| s.sql_name()).collect();
    assert_eq!(
        names,
        [
            "pubsub.topic.`demobox-313313`.orders",
            "pubsub.topic.`demobox-313313`.`vip-results`",
            "bigquery.table.`demobox-313313`.ecommerce.orders",
            "bigquery.table.`demobox-313313`.sluice.vip",
        ]
    );
    assert_eq!(catalog.sources[0].schema, reference.sources[0].schema);
    assert_eq!(loaded.typed_topics.len(), 2);
    // The reference query reads the loaded catalog as it read its own.
    let analysis = sluice_sql::analyze(sluice_sql::reference::QUERY, &catalog);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    // So does a query of the job's output topic, by the name the catalog gives it.
    let output = format!("SELECT customer_id, total_spent FROM {}", names[1]);
    let analysis = sluice_sql::analyze(&output, &catalog);
    assert!(
        !analysis.has_errors(),
        "{output}: {:?}",
        analysis.diagnostics
    );
    // A topic's newest messages, oldest first.
    let (status, sample) = post(
        &server,
        "/api/local/sample",
        json!({"project": "demobox-313313", "topic": "orders", "max_messages": 3, "seconds": 1}),
    )
    .await;
    assert_eq!(status, 200, "{sample}");
    let sample: sluice_deploy::wire::TopicSample =
        serde_json::from_value(sample).expect("a TopicSample");
    assert_eq!(sample.topic, "the local topic orders");
    let sent: Vec<String> = messages[7..]
        .iter()
        .map(|m| {
            let data = m["data"].as_str().expect("data");
            String::from_utf8(sluice_engine::value::base64_decode(data).expect("base64"))
                .expect("text")
        })
        .collect();
    let got: Vec<String> = sample.messages.iter().map(|m| m.data.clone()).collect();
    assert_eq!(got, sent);
    // A table's rows, a page at a time, in the engine's reading of its schema.
    let (mut read, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let (status, page) = post(
            &server,
            "/api/local/rows",
            json!({"project": "demobox-313313", "dataset": "ecommerce", "table": "orders",
                   "max_rows": 300, "page_token": token}),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let page: sluice_deploy::wire::TableRows = serde_json::from_value(page).expect("TableRows");
        assert_eq!(page.total_rows, Some(700));
        let schema = sluice_sql::schema::schema_from_value(&page.schema, "schema").expect("schema");
        for row in &page.rows {
            sluice_engine::input::row_from_json(row, &schema).expect("the engine reads it");
        }
        read.extend(page.rows);
        pages += 1;
        token = page.page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!((read.len(), pages), (700, 3));
    let generated = sluice_datagen::orders(&sluice_local::batch_params(
        &sluice_deploy::wire::Generated {
            customers: 50,
            orders: 700,
            seed: 3,
            status_mix: [1, 1, 1],
        },
    ));
    assert_eq!(read[0]["customer_id"], json!(generated[0].customer_id));
    let (status, _) = post(
        &server,
        "/api/local/rows",
        json!({"project": "demobox-313313", "dataset": "ecommerce", "table": "nope", "max_rows": 3}),
    )
    .await;
    assert_eq!(status, 400);
}
