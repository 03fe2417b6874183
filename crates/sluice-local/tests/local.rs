//! The local target end to end, in process: deploy, publish, outputs in the SQLite
//! table equal to the engine's over the same log, restart without loss or
//! duplicates, drain, cancel, clean-up, and the read-only query.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sluice_local::{JobSpec, JobState, Local};
use sluice_sql::Catalog;

fn spec(name: &str, query: &str) -> JobSpec {
    JobSpec {
        name: name.into(),
        query: query.into(),
        catalog: Catalog::reference().to_json(),
        generated: sluice_local::default_generated(),
    }
}

/// `n` orders of the seed's stream, as the payloads a publisher sends.
fn orders(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let params = sluice_datagen::StreamParams {
        seed,
        status_mix: sluice_datagen::StatusMix {
            open: 80,
            closed: 10,
            cancelled: 10,
        },
        ..sluice_datagen::StreamParams::default()
    };
    sluice_datagen::Stream::new(params)
        .take(n)
        .map(|e| e.payload().to_string().into_bytes())
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} never happened"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn caught_up(local: &Local, job: &str) {
    wait_until("the job catching up", || {
        local.status(job).map(|s| s.backlog == 0).unwrap_or(false)
    });
}

/// The rows the engine gives over the topic's log as it is now (a fresh run).
fn expected(local: &Local, query: &str) -> Vec<String> {
    let catalog = Catalog::reference();
    let plan = sluice_sql::analyze(query, &catalog).plan.expect("a plan");
    let tables = sluice_datagen::tables(
        &catalog,
        &sluice_local::batch_params(&sluice_local::default_generated()),
    );
    let mut engine = sluice_engine::Engine::new(&plan, &tables, sluice_engine::Options::default())
        .expect("an engine");
    let topic = catalog
        .sources
        .iter()
        .find(|s| !s.is_bounded())
        .expect("a topic");
    for m in local.messages("orders", 0, usize::MAX).expect("messages") {
        let mut j: Value = serde_json::from_slice(&m.data).expect("JSON");
        j["event_timestamp"] = json!(sluice_local::rfc3339(m.publish_micros));
        let row = sluice_engine::input::row_from_json(&j, &topic.schema).expect("a row");
        engine.push(&topic.sql_name(), row).expect("pushed");
    }
    let schema = plan.output_schema();
    let mut rows: Vec<String> = engine
        .outputs
        .iter()
        .map(|o| {
            let obj: serde_json::Map<String, Value> = schema
                .iter()
                .zip(&o.row)
                .map(|(f, v)| (f.name.clone(), v.to_json(&f.data_type)))
                .collect();
            Value::Object(obj).to_string()
        })
        .collect();
    rows.sort();
    rows
}

fn table_rows(local: &Local, table: &str) -> Vec<String> {
    let r = local
        .query(&format!("SELECT * FROM \"{table}\""), usize::MAX)
        .expect("a query");
    let mut rows: Vec<String> = r
        .rows
        .iter()
        .map(|values| {
            let obj: serde_json::Map<String, Value> = r
                .columns
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .collect();
            Value::Object(obj).to_string()
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn outputs_equal_the_engine_over_the_same_log_across_a_restart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let query = sluice_sql::reference::QUERY;
    let local = Local::open(dir.path()).expect("opened");
    let status = local.deploy(&spec("vip", query)).expect("deployed");
    assert_eq!(status.state, JobState::Running);
    assert_eq!(status.table, "sluice.vip");
    let payloads = orders(3000, 7);
    for chunk in payloads[..1500].chunks(100) {
        local.publish("orders", chunk).expect("published");
    }
    caught_up(&local, "vip");
    let before = table_rows(&local, "sluice.vip");
    assert!(!before.is_empty());
    // The server stops; a new one opens the same file and resumes the job.
    local.shutdown();
    drop(local);
    let local = Local::open(dir.path()).expect("reopened");
    for chunk in payloads[1500..].chunks(100) {
        local.publish("orders", chunk).expect("published");
    }
    caught_up(&local, "vip");
    let rows = table_rows(&local, "sluice.vip");
    assert_eq!(
        rows,
        expected(&local, query),
        "the table is the engine's output over the whole log"
    );
    let status = local.status("vip").expect("a status");
    let log = serde_json::to_string(&status.log).expect("JSON");
    // Positions count every message of the log (the destination topic's too); the
    // replay is exactly the 1,500 orders published before the restart.
    assert!(log.contains("after replaying 1500 messages"), "{log}");
    let live = status.live.expect("live counters");
    assert_eq!(live.events, 3000);
    assert_eq!(live.rows as usize, rows.len());
    // The destination topic got one message a row.
    let messages = local
        .messages("vip-results", 0, usize::MAX)
        .expect("messages");
    assert_eq!(messages.len(), rows.len());
}

#[test]
fn draining_closes_the_open_windows_and_cleanup_removes_what_the_job_made() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let query = "SELECT window_start, COUNT(*) AS n FROM TUMBLE((SELECT * FROM pubsub.topic.`demobox-313313`.orders), DESCRIPTOR(event_timestamp), \"INTERVAL 1 HOUR\") GROUP BY window_start";
    local.deploy(&spec("hourly", query)).expect("deployed");
    local.publish("orders", &orders(50, 1)).expect("published");
    caught_up(&local, "hourly");
    // All 50 are in the current hour: its window is still open.
    assert_eq!(table_rows(&local, "sluice.hourly").len(), 0);
    local.stop("hourly", true).expect("drain");
    wait_until("drained", || {
        local
            .status("hourly")
            .map(|s| s.state == JobState::Drained)
            .unwrap_or(false)
    });
    let rows = local
        .query("SELECT SUM(n) FROM \"sluice.hourly\"", 10)
        .expect("a query");
    assert_eq!(rows.rows[0][0], json!(50));
    let history = local.status("hourly").expect("status").history;
    assert!(
        history.iter().any(|c| c.state == JobState::Draining)
            && history.iter().any(|c| c.state == JobState::Drained),
        "{history:?}"
    );

    let (deleted, kept) = local.cleanup("hourly").expect("cleaned up");
    let names: Vec<String> = deleted.iter().map(|r| r.describe()).collect();
    assert!(
        names.contains(&"table sluice.hourly".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"topic hourly-results".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"topic orders".to_string()), "{names:?}");
    assert!(kept.is_empty());
    assert!(local.query("SELECT * FROM \"sluice.hourly\"", 1).is_err());
    assert!(!local.topic_exists("orders").expect("a lookup"));
    assert!(local.status("hourly").is_err());
}

#[test]
fn cancel_stops_at_once_and_shared_resources_stay() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let q = "SELECT customer_id, amount FROM pubsub.topic.`demobox-313313`.orders";
    local.deploy(&spec("first", q)).expect("deployed");
    local.deploy(&spec("second", q)).expect("deployed");
    // Deploying a running job again changes nothing.
    local.deploy(&spec("first", q)).expect("idempotent");
    local.publish("orders", &orders(20, 2)).expect("published");
    caught_up(&local, "first");
    local.stop("first", false).expect("cancel");
    wait_until("cancelled", || {
        local
            .status("first")
            .map(|s| s.state == JobState::Cancelled)
            .unwrap_or(false)
    });
    let (_, kept) = local.cleanup("first").expect("cleaned up");
    // The orders topic was made for "first", but "second" reads it.
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(local.topic_exists("orders").expect("a lookup"));
    assert_eq!(table_rows(&local, "sluice.second").len(), 20);
}

#[test]
fn bad_messages_are_counted_and_skipped() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    local
        .deploy(&spec(
            "plain",
            "SELECT customer_id FROM pubsub.topic.`demobox-313313`.orders",
        ))
        .expect("deployed");
    let mut payloads = orders(3, 3);
    payloads.insert(1, b"{not json".to_vec());
    payloads.insert(2, br#"{"customer_id": "seven"}"#.to_vec());
    local.publish("orders", &payloads).expect("published");
    caught_up(&local, "plain");
    let live = local.status("plain").expect("status").live.expect("live");
    assert_eq!(live.bad_messages, 2);
    assert_eq!(table_rows(&local, "sluice.plain").len(), 3);
    assert!(matches!(
        local.publish("nope", &payloads),
        Err(sluice_local::LocalError::NoTopic(_))
    ));
}

#[test]
fn the_sql_view_reads_and_never_writes() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    local
        .deploy(&spec("vip", sluice_sql::reference::QUERY))
        .expect("deployed");
    // The reference query reads the generated orders, made with the default settings.
    let orders = local
        .query("SELECT COUNT(*) AS n FROM \"ecommerce.orders\"", 10)
        .expect("a query");
    assert_eq!(orders.columns, ["n"]);
    assert_eq!(orders.rows, [[json!(1000)]]);
    let some = local
        .query("SELECT * FROM \"ecommerce.orders\"", 5)
        .expect("a query");
    assert_eq!(some.rows.len(), 5);
    assert!(some.truncated);
    for sql in [
        "DELETE FROM \"ecommerce.orders\"",
        "DROP TABLE sluice_jobs",
        "ATTACH DATABASE '/etc/hostname' AS h",
        "PRAGMA journal_mode = DELETE",
        "SELEC 1",
    ] {
        assert!(local.query(sql, 10).is_err(), "{sql}");
    }
    let endless =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n";
    let started = Instant::now();
    assert!(local.query(endless, 10).is_err());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_query_with_errors_is_refused_with_its_position() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let err = local
        .deploy(&spec(
            "broken",
            "SELECT nope FROM pubsub.topic.`demobox-313313`.orders",
        ))
        .expect_err("refused");
    assert!(err.to_string().contains("1:8"), "{err}");
    let err = local
        .deploy(&spec("Bad Name", "SELECT 1"))
        .expect_err("refused");
    assert!(err.to_string().contains("job name"), "{err}");
}

/// The reference catalog with more topics of the orders topic's schema.
fn catalog_with_topics(names: &[&str]) -> Value {
    let mut catalog = Catalog::reference().to_json();
    let topics = catalog["topics"].as_array_mut().expect("topics");
    let orders = topics[0].clone();
    for name in names {
        let mut t = orders.clone();
        t["name"] = json!(name);
        topics.push(t);
    }
    catalog
}

#[test]
fn a_job_that_would_read_its_own_output_is_refused_with_the_loop_named() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let catalog = catalog_with_topics(&["loop-results", "relay-results", "back-results"]);
    // Directly: the job reads the topic it writes.
    let own = JobSpec {
        catalog: catalog.clone(),
        ..spec(
            "loop",
            "SELECT customer_id, amount FROM pubsub.topic.`demobox-313313`.`loop-results`",
        )
    };
    let err = local.deploy(&own).expect_err("refused").to_string();
    assert!(
        err.contains("loop-results → job loop → loop-results"),
        "{err}"
    );
    // Through another job: relay reads back-results and writes relay-results; a
    // job "back" reading relay-results writes back-results, closing the loop.
    let read = |name: &str, topic: &str| JobSpec {
        catalog: catalog.clone(),
        ..spec(
            name,
            &format!("SELECT customer_id, amount FROM pubsub.topic.`demobox-313313`.`{topic}`"),
        )
    };
    local
        .deploy(&read("relay", "back-results"))
        .expect("deployed");
    let err = local
        .deploy(&read("back", "relay-results"))
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("relay-results → job back → back-results → job relay → relay-results"),
        "{err}"
    );
    // A chain without a loop is fine.
    local
        .deploy(&read("tail", "relay-results"))
        .expect("deployed");
    // The refused jobs made nothing.
    assert!(!local.topic_exists("loop-results").expect("a lookup"));
    assert!(local.status("back").is_err());
}

/// Issue 16 #13: a stream joined with itself per window, as two windowed
/// aggregates (what Beam runs: each side a GROUP BY TUMBLE), used to drain with no
/// row. Each customer's group in the hour meets its own other half once.
#[test]
fn two_windowed_aggregates_of_one_topic_join_per_window_when_drained() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let query = "WITH a AS (SELECT customer_id, window_start, COUNT(*) AS n FROM TUMBLE(TABLE pubsub.topic.`demobox-313313`.orders, DESCRIPTOR(event_timestamp), \"INTERVAL 1 HOUR\") GROUP BY customer_id, window_start),
        b AS (SELECT customer_id, window_start, SUM(amount) AS s FROM TUMBLE(TABLE pubsub.topic.`demobox-313313`.orders, DESCRIPTOR(event_timestamp), \"INTERVAL 1 HOUR\") GROUP BY customer_id, window_start)
        SELECT a.customer_id, a.window_start, a.n, b.s FROM a JOIN b ON a.customer_id = b.customer_id AND a.window_start = b.window_start";
    local.deploy(&spec("pairs", query)).expect("deployed");
    let payloads = orders(212, 3);
    local.publish("orders", &payloads).expect("published");
    caught_up(&local, "pairs");
    local.stop("pairs", true).expect("drain");
    wait_until("drained", || {
        local
            .status("pairs")
            .map(|s| s.state == JobState::Drained)
            .unwrap_or(false)
    });
    let customers: std::collections::BTreeSet<i64> = payloads
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_slice(p).expect("JSON");
            v["customer_id"].as_i64().expect("a customer")
        })
        .collect();
    // The publishes took well under an hour, but may straddle an hour's end.
    let r = local
        .query(
            "SELECT SUM(n), COUNT(DISTINCT customer_id), COUNT(*) FROM \"sluice.pairs\"",
            10,
        )
        .expect("a query");
    assert_eq!(r.rows[0][0], json!(212), "{:?}", local.status("pairs"));
    assert_eq!(r.rows[0][1], json!(customers.len()));
    let windows = local
        .query(
            "SELECT COUNT(DISTINCT window_start) FROM \"sluice.pairs\"",
            10,
        )
        .expect("a query");
    let windows = windows.rows[0][0].as_i64().expect("a count");
    assert!((1..=2).contains(&windows));
    let status = local.status("pairs").expect("status");
    let live = status.live.expect("live counters");
    let join = live
        .operators
        .iter()
        .find(|o| o.0 == "Join")
        .expect("a join");
    assert_eq!(join.4, 0, "nothing is dropped at the join: {join:?}");
}

/// Issue 16 #12: a job reads what is published after its deploy, as Dataflow does
/// with a new subscription, and a restart rebuilds exactly that.
#[test]
fn a_new_job_reads_only_what_is_published_after_it_and_resumes_so() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let hourly = |name: &str| {
        spec(
            name,
            "SELECT window_start, COUNT(*) AS n FROM TUMBLE(TABLE pubsub.topic.`demobox-313313`.orders, DESCRIPTOR(event_timestamp), \"INTERVAL 1 HOUR\") GROUP BY window_start",
        )
    };
    {
        let local = Local::open(dir.path()).expect("opened");
        local.deploy(&hourly("first")).expect("deployed");
        local.publish("orders", &orders(100, 1)).expect("published");
        caught_up(&local, "first");
        local.deploy(&hourly("second")).expect("deployed");
        let log =
            serde_json::to_string(&local.status("second").expect("status").log).expect("JSON");
        assert!(log.contains("reading messages after 100"), "{log}");
        local.publish("orders", &orders(5, 2)).expect("published");
        caught_up(&local, "second");
        local.shutdown();
    }
    let local = Local::open(dir.path()).expect("reopened");
    local.publish("orders", &orders(3, 3)).expect("published");
    caught_up(&local, "second");
    for (job, want) in [("first", 108), ("second", 8)] {
        local.stop(job, true).expect("drain");
        wait_until("drained", || {
            local
                .status(job)
                .map(|s| s.state == JobState::Drained)
                .unwrap_or(false)
        });
        let r = local
            .query(&format!("SELECT SUM(n) FROM \"sluice.{job}\""), 10)
            .expect("a query");
        assert_eq!(r.rows[0][0], json!(want), "{job}");
    }
}

fn wait_for_state(local: &Local, job: &str, state: JobState) {
    wait_until(state.as_str(), || {
        local.status(job).map(|s| s.state == state).unwrap_or(false)
    });
}

/// Issue 16 #2: a bounded side too large to hold is refused at deploy with the
/// operator named; the job is JOB_STATE_FAILED with the reason, and the server
/// goes on (another job deploys and runs).
#[test]
fn a_bounded_side_too_large_fails_the_deploy_with_the_operator_named() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let query = "SELECT s.amount, x.customer_id FROM pubsub.topic.`demobox-313313`.orders s
        JOIN (SELECT c.customer_id FROM bigquery.table.`demobox-313313`.ecommerce.customers c
              CROSS JOIN bigquery.table.`demobox-313313`.ecommerce.orders o) x
        ON s.customer_id = x.customer_id";
    let mut big = spec("crossed", query);
    big.generated.customers = 5_000;
    big.generated.orders = 20_000;
    let e = local.deploy(&big).expect_err("refused").to_string();
    assert!(
        e.starts_with(
            "the job crossed failed at start-up: the query cannot run: operator 4 (Join: CROSS"
        ) && e.contains("on the bounded side: too large to hold")
            && e.contains("JOB_STATE_FAILED"),
        "{e}"
    );
    let status = local.status("crossed").expect("a record");
    assert_eq!(status.state, JobState::Failed);
    assert!(
        serde_json::to_string(&status.log)
            .expect("JSON")
            .contains("Join: CROSS"),
        "{:?}",
        status.log
    );
    // The server goes on.
    local
        .deploy(&spec("fine", sluice_sql::reference::QUERY))
        .expect("deployed");
    local.publish("orders", &orders(10, 1)).expect("published");
    caught_up(&local, "fine");
    local.cleanup("crossed").expect("cleaned up");
}

#[test]
fn generated_sizes_are_capped_at_deploy() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let mut huge = spec("huge", sluice_sql::reference::QUERY);
    huge.generated.orders = 2_000_000;
    let e = local.deploy(&huge).expect_err("refused").to_string();
    assert!(
        e.contains("at most 100000 customers and 1000000 orders"),
        "{e}"
    );
    assert!(local.status("huge").is_err(), "nothing was recorded");
}

/// A cancel reaches a job still building its bounded side (here a join whose
/// condition no pair meets, so that it loops without growing).
#[test]
fn cancel_stops_a_job_while_it_builds() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let query = "SELECT s.amount FROM pubsub.topic.`demobox-313313`.orders s
        JOIN (SELECT c.customer_id FROM bigquery.table.`demobox-313313`.ecommerce.customers c
              JOIN bigquery.table.`demobox-313313`.ecommerce.orders o ON c.customer_id > o.customer_id + 1000000) x
        ON s.customer_id = x.customer_id";
    let mut slow = spec("slow", query);
    slow.generated.customers = 50_000;
    slow.generated.orders = 200_000;
    let deploying = {
        let local = local.clone();
        std::thread::spawn(move || local.deploy(&slow))
    };
    wait_until("the job starting", || local.status("slow").is_ok());
    std::thread::sleep(Duration::from_millis(200));
    let asked = Instant::now();
    local.stop("slow", false).expect("cancel");
    let e = deploying
        .join()
        .expect("the deploy thread")
        .expect_err("cancelled")
        .to_string();
    // Uncancelled, the build looks at 10,000,000,000 pairs: many minutes. Reading
    // a table is not interrupted, which on a loaded machine takes seconds.
    assert!(
        asked.elapsed() < Duration::from_secs(20),
        "{:?}",
        asked.elapsed()
    );
    assert!(e.contains("cancelled while starting"), "{e}");
    wait_for_state(&local, "slow", JobState::Cancelled);
}

/// A job whose start-up ended the process (out of memory, killed) is not resumed
/// at every start: it is JOB_STATE_FAILED with why.
#[test]
fn a_job_that_died_starting_is_not_resumed() {
    let dir = tempfile::tempdir().expect("a temp dir");
    {
        let local = Local::open(dir.path()).expect("opened");
        local
            .deploy(&spec("poisoned", sluice_sql::reference::QUERY))
            .expect("deployed");
        local.shutdown();
    }
    // What a crash during the start-up leaves behind.
    let conn = rusqlite::Connection::open(dir.path().join("local.sqlite")).expect("the file");
    conn.execute("UPDATE sluice_jobs SET starting = 1", [])
        .expect("marked");
    drop(conn);
    let local = Local::open(dir.path()).expect("reopened");
    let status = local.status("poisoned").expect("a record");
    assert_eq!(status.state, JobState::Failed);
    assert!(
        serde_json::to_string(&status.log)
            .expect("JSON")
            .contains("not resumed"),
        "{:?}",
        status.log
    );
    // And opened again, it stays so (no thread for it).
    drop(local);
    let local = Local::open(dir.path()).expect("reopened");
    assert_eq!(
        local.status("poisoned").expect("a record").state,
        JobState::Failed
    );
}

/// Issue 16 #1: the SQL view is bounded in bytes as well as rows and time: SQLite
/// refuses to make a huge value, and a large answer is cut short.
#[test]
fn the_sql_view_refuses_huge_values_and_cuts_large_answers() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    for sql in [
        "SELECT zeroblob(999999999) FROM (VALUES(1),(2),(3))",
        "SELECT length(randomblob(1e9))",
        "SELECT length(hex(zeroblob(600000)))",
    ] {
        let started = Instant::now();
        let e = local.query(sql, 1000).expect_err("refused").to_string();
        assert!(e.contains("too big"), "{sql}: {e}");
        assert!(started.elapsed() < Duration::from_secs(1), "{sql}");
    }
    // 100 rows of 500 kB each: about 50 MB asked, at most 8 MB answered.
    let r = local
        .query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT hex(zeroblob(250000)) FROM n",
            1000,
        )
        .expect("a query");
    assert!(r.truncated);
    let bytes: usize = r
        .rows
        .iter()
        .flatten()
        .map(|v| v.as_str().map_or(0, str::len))
        .sum();
    assert!(bytes <= sluice_local::MAX_SQL_RESULT, "{bytes}");
    assert!(r.rows.len() >= 10, "{}", r.rows.len());
}

/// Issue 16 #11: a job's output topic is written by the job alone.
#[test]
fn output_topics_are_written_by_their_job_alone() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    local
        .deploy(&spec("vip", sluice_sql::reference::QUERY))
        .expect("deployed");
    let e = local
        .publish("vip-results", &[b"{}".to_vec()])
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("vip-results is the output of local job vip: only the job publishes to it"),
        "{e}"
    );
    assert!(
        local
            .messages("vip-results", 0, 10)
            .expect("read")
            .is_empty()
    );
    local
        .publish("orders", &orders(1, 1))
        .expect("a source takes messages");
}

#[test]
fn a_query_wider_than_a_table_is_refused_at_deploy() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let local = Local::open(dir.path()).expect("opened");
    let columns: Vec<String> = (0..2001).map(|i| format!("amount AS c{i}")).collect();
    let query = format!(
        "SELECT {} FROM pubsub.topic.`demobox-313313`.orders",
        columns.join(", ")
    );
    let e = local
        .deploy(&spec("wide", &query))
        .expect_err("refused")
        .to_string();
    assert!(e.contains("2001 output columns"), "{e}");
}
