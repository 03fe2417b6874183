//! `sluice deploy`, `sluice jobs`, `sluice cleanup` and `sluice generate …
//! --project` against the fake Google Cloud, as a user runs them.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use sluice_fake_gcp::{Fake, TOKEN, Timing};

const PROJECT: &str = "demobox-313313";

async fn fake() -> Fake {
    Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .expect("the fake starts")
}

/// Runs `sluice args` against `fake` with deployments recorded in `state`.
fn sluice(fake: &Fake, state: &tempfile::TempDir, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_GCP_ENDPOINT", fake.url())
        .env("SLUICE_GCP_ACCESS_TOKEN", TOKEN)
        .env("SLUICE_STATE_DIR", state.path())
        .stdin(Stdio::null())
        .output()
        .expect("sluice runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn reference_query(dir: &tempfile::TempDir) -> String {
    common::write(dir, "query.sql", sluice_sql::reference::QUERY)
}

#[test]
fn the_plan_needs_no_credentials_and_lists_every_request() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let query = reference_query(&dir);
    let (code, out, err) = common::sluice(
        &[
            "deploy",
            &query,
            "--project",
            PROJECT,
            "--region",
            "europe-west1",
            "--plan",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert!(
        plan["pipeline_yaml"]
            .as_str()
            .is_some_and(|y| y.contains("type: ReadFromPubSub"))
    );
    let requests = plan["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 8);
    for r in requests {
        assert!(r["step"].is_string() && r["method"].is_string(), "{r}");
        assert!(
            r["url"].as_str().is_some_and(|u| u.starts_with("https://")),
            "{r}"
        );
    }
    assert_eq!(
        requests[7]["url"],
        format!(
            "https://dataflow.googleapis.com/v1b3/projects/{PROJECT}/locations/europe-west1/flexTemplates:launch"
        )
    );
}

#[test]
fn a_query_beam_sql_cannot_run_is_refused_at_its_place() {
    let (code, _, err) = common::sluice(
        &["deploy", "-", "--project", PROJECT],
        Some(
            "SELECT customer_id\nFROM pubsub.topic.`demobox-313313`.orders\nWHERE REGEXP_CONTAINS(order_status, 'x')",
        ),
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("error[not-in-beam-sql]: Beam SQL has no REGEXP_CONTAINS"),
        "{err}"
    );
    assert!(err.contains("--> -:3:7"), "{err}");
}

#[test]
fn bad_names_are_refused_before_any_request() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let query = reference_query(&dir);
    let (code, _, err) = common::sluice(
        &["deploy", &query, "--project", "p/../../x", "--apply"],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("project \"p/../../x\" is not valid"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_jobs_and_cleanup_from_the_command_line() {
    let fake = fake().await;
    {
        let mut s = fake.state();
        s.tables
            .insert(format!("{PROJECT}.ecommerce.orders"), json!({}));
    }
    let state = tempfile::tempdir().expect("a temp dir");
    let dir = tempfile::tempdir().expect("a temp dir");
    let query = reference_query(&dir);
    let (code, _, err) = sluice(
        &fake,
        &state,
        &["deploy", &query, "--project", PROJECT, "--apply"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("[8/8] launch the Dataflow job"), "{err}");
    assert!(err.contains("launched (2026-11-26_"), "{err}");
    assert!(
        err.contains("https://console.cloud.google.com/dataflow/jobs/us-central1/"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (code, out, err) = sluice(&fake, &state, &["jobs"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("running"), "{out}");
    assert!(out.contains("5 resources"), "{out}");
    let job_name = out
        .split_whitespace()
        .nth(1)
        .expect("a job name")
        .to_owned();
    let (code, _, err) = sluice(&fake, &state, &["cleanup", &job_name, "--project", PROJECT]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("JOB_STATE_CANCELLED"), "{err}");
    assert_eq!(err.matches("deleted ").count(), 5, "{err}");
    let (_, out, _) = sluice(&fake, &state, &["jobs"]);
    assert!(out.starts_with("no deployments recorded"), "{out}");
    assert_eq!(
        fake.leftovers(&[]),
        vec![format!("table {PROJECT}.ecommerce.orders")]
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    // Nothing Sluice did not record is ever touched.
    let (code, _, err) = sluice(
        &fake,
        &state,
        &["cleanup", "not-ours", "--project", PROJECT],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no deployment not-ours"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_tables_load_into_bigquery() {
    let fake = fake().await;
    let state = tempfile::tempdir().expect("a temp dir");
    let (code, _, err) = sluice(
        &fake,
        &state,
        &[
            "generate",
            "batch",
            "--customer-count",
            "30",
            "--order-count",
            "1200",
            "--project",
            PROJECT,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("loaded 30 customers and 1200 orders"), "{err}");
    let s = fake.state();
    assert_eq!(s.rows[&format!("{PROJECT}.ecommerce.customers")].len(), 30);
    let orders = &s.rows[&format!("{PROJECT}.ecommerce.orders")];
    assert_eq!(orders.len(), 1200);
    // The same rows as the files `generate batch --out` writes.
    let files = tempfile::tempdir().expect("a temp dir");
    let out = files.path().display().to_string();
    let (code, _, _) = common::sluice(
        &[
            "generate",
            "batch",
            "--customer-count",
            "30",
            "--order-count",
            "1200",
            "--out",
            &out,
        ],
        None,
    );
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(files.path().join("orders.jsonl")).expect("orders.jsonl");
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("a line")).expect("JSON");
    assert_eq!(orders[0]["json"], first);
    assert_eq!(s.violations, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stream_publishes_at_its_pace_until_ctrl_c() {
    let fake = fake().await;
    let state = tempfile::tempdir().expect("a temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "generate",
            "stream",
            "--customer-range",
            "100",
            "--gap-ms",
            "40,60",
            "--project",
            PROJECT,
        ])
        .env("SLUICE_GCP_ENDPOINT", fake.url())
        .env("SLUICE_GCP_ACCESS_TOKEN", TOKEN)
        .env("SLUICE_STATE_DIR", state.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice runs");
    let topic = format!("projects/{PROJECT}/topics/orders");
    let started = std::time::Instant::now();
    loop {
        let n = fake
            .state()
            .published
            .get(&topic)
            .map(Vec::len)
            .unwrap_or(0);
        if n >= 5 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "only {n} published"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || {
        child.wait().expect("sluice ends");
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
            .expect("stderr");
        err
    })
    .await
    .expect("joined");
    let published = fake.state().published[&topic].clone();
    assert!(
        out.contains(&format!("published {} orders to {topic}", published.len())),
        "{out}"
    );
    // Each message is an order without event_timestamp (that is the publish time).
    let data = published[0]["data"].as_str().expect("base64 data");
    let decoded = sluice_engine::value::base64_decode(data).expect("base64");
    let order: serde_json::Value = serde_json::from_slice(&decoded).expect("JSON");
    assert!(order.get("event_timestamp").is_none(), "{order}");
    assert_eq!(order["order_status"], "Open");
    assert!(
        started.elapsed() >= Duration::from_millis(4 * 40),
        "it kept the pace"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_credentials_apply_says_so_and_how_before_any_step() {
    let fake = fake().await;
    let state = tempfile::tempdir().expect("a temp dir");
    let home = tempfile::tempdir().expect("a temp dir");
    let dir = tempfile::tempdir().expect("a temp dir");
    let query = reference_query(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["deploy", &query, "--project", PROJECT, "--apply"])
        .env("SLUICE_GCP_ENDPOINT", fake.url())
        .env("SLUICE_STATE_DIR", state.path())
        .env_remove("SLUICE_GCP_ACCESS_TOKEN")
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env("HOME", home.path())
        .env("CLOUDSDK_CONFIG", home.path())
        // The metadata server is looked for on loopback, where there is none.
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .expect("sluice runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no Google credentials were found"), "{err}");
    for way in [
        "SLUICE_GCP_ACCESS_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "gcloud auth application-default login",
        "metadata server",
    ] {
        assert!(err.contains(way), "{way} missing from: {err}");
    }
    assert!(!err.contains("[1/"), "a step started: {err}");
    assert!(!err.to_lowercase().contains("transient"), "{err}");
    assert!(fake.state().log.is_empty(), "a request reached Google");
}
