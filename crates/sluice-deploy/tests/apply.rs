//! The deploy executor against the fake Google Cloud (`sluice-fake-gcp`), which
//! validates every request against Google's discovery documents.

mod common;

use std::time::Duration;

use serde_json::json;
use sluice_deploy::apply::{self, Manifest, ManifestStore, Outcome, Progress, Stop};
use sluice_deploy::gcp::{Auth, Client, RetryPolicy};
use sluice_deploy::{DeployPlan, Endpoints, JobState, Target, compile};
use sluice_fake_gcp::{Fake, FaultKind, Timing};
use sluice_sql::Catalog;
use sluice_sql::reference::{PROJECT, QUERY};

const SOURCE_TOPIC: &str = "projects/demobox-313313/topics/orders";

/// A fake holding what the analyst already has: the orders topic and the
/// `ecommerce` dataset with its tables.
async fn fake() -> Fake {
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .expect("the fake starts");
    {
        let mut s = fake.state();
        s.topics
            .insert(SOURCE_TOPIC.into(), json!({"name": SOURCE_TOPIC}));
        s.datasets.insert(format!("{PROJECT}.ecommerce"), json!({}));
        s.tables
            .insert(format!("{PROJECT}.ecommerce.orders"), json!({}));
        s.tables
            .insert(format!("{PROJECT}.ecommerce.customers"), json!({}));
    }
    fake
}

fn client(fake: &Fake) -> Client {
    common::fake_client(&fake.url(), 5)
}

/// The record of `plan`'s deployment, which must exist.
fn manifest(store: &ManifestStore, plan: &DeployPlan) -> Manifest {
    store
        .load(PROJECT, &plan.job_name)
        .expect("a readable record")
        .expect("a record")
}

/// Whether `plan`'s deployment is still recorded.
fn recorded(store: &ManifestStore, plan: &DeployPlan) -> bool {
    store
        .load(PROJECT, &plan.job_name)
        .expect("a readable record")
        .is_some()
}

/// A fake with the user's resources, a client for it, an empty record store and
/// the reference query's plan.
struct World {
    fake: Fake,
    client: Client,
    store: ManifestStore,
    plan: DeployPlan,
    dir: tempfile::TempDir,
}

async fn world() -> World {
    let fake = fake().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    World {
        client: client(&fake),
        store: ManifestStore::new(dir.path()),
        plan: plan(),
        fake,
        dir,
    }
}

fn plan() -> DeployPlan {
    let target = Target::for_query(PROJECT, "us-central1", QUERY);
    let compiled = compile(QUERY, &Catalog::reference(), &target).expect("compiles");
    DeployPlan::new(&compiled, &target)
}

/// The user's own resources, which Sluice must never touch.
const USERS: [&str; 4] = [
    "topic projects/demobox-313313/topics/orders",
    "dataset demobox-313313.ecommerce",
    "table demobox-313313.ecommerce.customers",
    "table demobox-313313.ecommerce.orders",
];

fn leftovers(fake: &Fake) -> Vec<String> {
    fake.leftovers(&[SOURCE_TOPIC])
        .into_iter()
        .filter(|r| !USERS.contains(&r.as_str()))
        .collect()
}

async fn wait_for_state(
    client: &Client,
    store: &ManifestStore,
    m: &mut Manifest,
    want: JobState,
) -> apply::DataflowJob {
    for _ in 0..100 {
        let status = apply::status(client, store, m).await.expect("status");
        if status.state == want {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job never reached {want}");
}

#[tokio::test]
async fn deploy_watch_and_clean_up_leave_nothing_behind() {
    let w = world().await;
    let World {
        fake,
        client,
        store,
        plan,
        ..
    } = &w;
    let mut events = Vec::new();
    let job_id = apply::apply(client, plan, store, |p| events.push(p))
        .await
        .expect("apply succeeds");
    assert_eq!(fake.violations(), Vec::<String>::new());
    assert_eq!(
        fake.calls(),
        [
            "pubsub.projects.topics.create",
            "bigquery.jobs.query",
            "bigquery.datasets.insert",
            "bigquery.tables.insert",
            "bigquery.tables.insert",
            "pubsub.projects.topics.create",
            "dataflow.projects.locations.jobs.list",
            "dataflow.projects.locations.flexTemplates.launch",
        ]
    );
    let outcomes: Vec<&Outcome> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Done { outcome, .. } => Some(outcome),
            _ => None,
        })
        .collect();
    assert_eq!(
        outcomes[0],
        &Outcome::AlreadyExisted,
        "the user's topic is not Sluice's"
    );
    assert_eq!(outcomes[2], &Outcome::Created);
    assert_eq!(
        outcomes[7],
        &Outcome::Launched {
            job_id: job_id.clone()
        }
    );
    // The pipeline the job got is the one shown to the user.
    assert_eq!(
        fake.state().launched_pipelines(),
        vec![plan.pipeline_yaml.clone()]
    );

    let mut m = manifest(store, plan);
    // The dataset, the destination and dead-letter tables, the destination topic.
    assert_eq!(m.created.len(), 4, "{:?}", m.created);
    let status = wait_for_state(client, store, &mut m, JobState::Running).await;
    let history: Vec<&str> = status.history.iter().map(|c| c.state.as_str()).collect();
    assert_eq!(history.last(), Some(&"JOB_STATE_RUNNING"));
    assert!(
        status.elements.iter().any(|(step, _)| step == "Query"),
        "{:?}",
        status.elements
    );
    assert!(
        status
            .messages
            .iter()
            .any(|(_, _, text)| text.contains("JOB_STATE_RUNNING"))
    );
    assert_eq!(
        status.console_url.as_deref(),
        Some(format!("https://console.cloud.google.com/dataflow/jobs/us-central1/{job_id}?project={PROJECT}").as_str())
    );

    // A restarted server only has the manifest on disk.
    let store = ManifestStore::new(w.dir.path());
    let mut m = manifest(&store, plan);
    let done = apply::cleanup(
        client,
        &store,
        &mut m,
        Stop::Cancel,
        Duration::from_secs(10),
        Duration::from_millis(50),
    )
    .await
    .expect("cleanup succeeds");
    assert_eq!(done.job_state, Some(JobState::Cancelled));
    assert_eq!(done.deleted.len(), 4);
    assert!(done.kept.is_empty());
    assert_eq!(leftovers(fake), Vec::<String>::new());
    assert!(
        fake.state().topics.contains_key(SOURCE_TOPIC),
        "the user's topic stays"
    );
    assert!(!recorded(&store, plan));
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn transient_failures_are_retried_without_duplicates() {
    let w = world().await;
    let World {
        fake,
        client,
        store,
        ..
    } = &w;
    fake.fault("bigquery.datasets.insert", FaultKind::Status(429), 2);
    fake.fault("bigquery.tables.insert", FaultKind::Drop, 1);
    fake.fault("pubsub.projects.topics.create", FaultKind::Status(503), 1);
    fake.fault(
        "dataflow.projects.locations.jobs.list",
        FaultKind::Slow(Duration::from_secs(3)),
        1,
    );
    fake.fault(
        "dataflow.projects.locations.flexTemplates.launch",
        FaultKind::Status(500),
        1,
    );
    apply::apply(client, &plan(), store, |_| {})
        .await
        .expect("apply succeeds");
    let calls = fake.calls();
    let count = |c: &str| calls.iter().filter(|x| *x == c).count();
    assert_eq!(count("bigquery.datasets.insert"), 3);
    // The destination and the dead-letter table, each once; a retry of a
    // transient failure creates nothing twice.
    assert_eq!(count("bigquery.tables.insert"), 3);
    assert_eq!(count("dataflow.projects.locations.jobs.list"), 2);
    assert_eq!(count("dataflow.projects.locations.flexTemplates.launch"), 2);
    assert_eq!(fake.jobs_launched(), 1);
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_failure_mid_plan_lists_what_was_created_and_rolls_it_back() {
    let w = world().await;
    let World {
        fake,
        client,
        store,
        plan,
        ..
    } = &w;
    // The source topic's create passes; the destination topic's is refused.
    fake.fault_after(
        "pubsub.projects.topics.create",
        1,
        FaultKind::Status(403),
        1,
    );
    let err = apply::apply(client, plan, store, |_| {})
        .await
        .expect_err("the apply fails");
    assert_eq!(err.index, 5);
    assert!(
        err.error.contains("pubsub.projects.topics.create on topic"),
        "{}",
        err.error
    );
    assert!(err.error.contains("HTTP 403"), "{}", err.error);
    let described: Vec<String> = err.created.iter().map(|r| r.describe()).collect();
    assert_eq!(
        described,
        [
            format!("dataset {PROJECT}.sluice"),
            format!("table {PROJECT}.sluice.{}", plan.job_name.replace('-', "_")),
            format!(
                "table {PROJECT}.sluice.{}_dead_letter",
                plan.job_name.replace('-', "_")
            ),
        ]
    );
    assert_eq!(fake.jobs_launched(), 0);
    let mut m = manifest(store, plan);
    let undone = apply::rollback(client, store, &mut m)
        .await
        .expect("rollback");
    assert_eq!(undone.deleted.len(), 3);
    assert!(undone.kept.is_empty());
    assert_eq!(leftovers(fake), Vec::<String>::new());
    assert!(!recorded(store, plan));
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_refused_launch_rolls_back_everything_created() {
    let w = world().await;
    let World {
        fake,
        client,
        store,
        plan,
        ..
    } = &w;
    fake.fault(
        "dataflow.projects.locations.flexTemplates.launch",
        FaultKind::Status(400),
        1,
    );
    let err = apply::apply(client, plan, store, |_| {})
        .await
        .expect_err("the launch fails");
    assert_eq!(err.index, 7);
    assert_eq!(err.created.len(), 4);
    let mut m = manifest(store, plan);
    let undone = apply::rollback(client, store, &mut m)
        .await
        .expect("rollback");
    assert_eq!(undone.deleted.len(), 4);
    assert_eq!(leftovers(fake), Vec::<String>::new());
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn re_applying_an_applied_plan_creates_and_launches_nothing() {
    let w = world().await;
    let World {
        fake,
        client,
        store,
        plan,
        ..
    } = &w;
    let first = apply::apply(client, plan, store, |_| {})
        .await
        .expect("first apply");
    let mut outcomes = Vec::new();
    let second = apply::apply(client, plan, store, |p| {
        if let Progress::Done { outcome, .. } = p {
            outcomes.push(outcome);
        }
    })
    .await
    .expect("second apply");
    assert_eq!(first, second);
    assert_eq!(fake.jobs_launched(), 1);
    assert!(!outcomes.contains(&Outcome::Created), "{outcomes:?}");
    assert_eq!(
        outcomes[6],
        Outcome::FoundJob {
            job_id: first.clone()
        }
    );
    assert_eq!(outcomes[7], Outcome::Skipped);
    // What the first apply created is still recorded, so clean-up still removes it.
    let m = manifest(store, plan);
    assert_eq!(m.created.len(), 4);
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_existing_table_with_other_columns_stops_the_apply() {
    let fake = fake().await;
    let client = client(&fake);
    let plan = plan();
    {
        let mut s = fake.state();
        s.datasets.insert(format!("{PROJECT}.sluice"), json!({}));
        s.tables.insert(
            format!("{PROJECT}.sluice.{}", plan.job_name.replace('-', "_")),
            json!({"schema": {"fields": [{"name": "x", "type": "STRING"}]}}),
        );
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let err = apply::apply(&client, &plan, &ManifestStore::new(dir.path()), |_| {})
        .await
        .expect_err("refused");
    assert_eq!(err.index, 3);
    assert!(
        err.error.contains("exists with other columns (x STRING)"),
        "{}",
        err.error
    );
    assert_eq!(fake.jobs_launched(), 0);
}

#[tokio::test]
async fn a_missing_source_table_fails_the_dry_run_before_anything_is_created() {
    let fake = fake().await;
    fake.state()
        .tables
        .remove(&format!("{PROJECT}.ecommerce.orders"));
    let client = client(&fake);
    let dir = tempfile::tempdir().expect("a temp dir");
    let err = apply::apply(&client, &plan(), &ManifestStore::new(dir.path()), |_| {})
        .await
        .expect_err("refused");
    assert_eq!(err.index, 1);
    assert!(err.error.contains("bigquery.jobs.query"), "{}", err.error);
    assert!(
        err.error
            .contains("Not found: Table demobox-313313.ecommerce.orders"),
        "{}",
        err.error
    );
    assert!(err.created.is_empty());
}

#[tokio::test]
async fn draining_finishes_in_drained() {
    let w = world().await;
    let World {
        client,
        store,
        plan,
        ..
    } = &w;
    apply::apply(client, plan, store, |_| {})
        .await
        .expect("apply");
    let mut m = manifest(store, plan);
    wait_for_state(client, store, &mut m, JobState::Running).await;
    let done = apply::cleanup(
        client,
        store,
        &mut m,
        Stop::Drain,
        Duration::from_secs(10),
        Duration::from_millis(50),
    )
    .await
    .expect("cleanup");
    assert_eq!(done.job_state, Some(JobState::Drained));
    let states: Vec<&str> = m.history.iter().map(|c| c.state.as_str()).collect();
    assert!(states.contains(&"JOB_STATE_DRAINING"), "{states:?}");
}

#[tokio::test]
async fn the_fake_refuses_requests_that_break_the_discovery_documents() {
    use sluice_deploy::deploy::{Api, Request};
    let fake = fake().await;
    let client = client(&fake);
    let launch = |body: serde_json::Value| Request {
        api: Api::Dataflow,
        call: "dataflow.projects.locations.flexTemplates.launch".into(),
        method: "POST".into(),
        path: format!("v1b3/projects/{PROJECT}/locations/us-central1/flexTemplates:launch"),
        body: Some(body),
        resource: "job x".into(),
    };
    let cases = [
        (
            json!({"launchParameter": {"jobName": "x", "jobNmae": "typo"}}),
            "launchParameter.jobNmae: unknown field",
        ),
        (
            json!({"launchParameter": {"containerSpecGcsPath": "gs://x"}}),
            "launchParameter.jobName: required",
        ),
        (
            json!({"launchParameter": {"jobName": 7}}),
            "launchParameter.jobName: expected string",
        ),
        (
            json!({"launchParameter": {"jobName": "x", "environment": {"numWorkers": "two"}}}),
            "numWorkers: expected integer",
        ),
    ];
    for (body, expected) in cases {
        let err = client.send(&launch(body)).await.expect_err("refused");
        assert_eq!(err.status, Some(400));
        assert!(
            err.message.contains(expected),
            "{} does not say {expected}",
            err.message
        );
    }
    let unknown_param = Request {
        api: Api::Dataflow,
        call: "dataflow.projects.locations.jobs.list".into(),
        method: "GET".into(),
        path: format!(
            "v1b3/projects/{PROJECT}/locations/us-central1/jobs?filter=RUNNING&colour=red"
        ),
        body: None,
        resource: "jobs".into(),
    };
    let err = client.send(&unknown_param).await.expect_err("refused");
    assert!(
        err.message.contains("unknown query parameter colour"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("filter: expected string (one of"),
        "{}",
        err.message
    );
    assert_eq!(fake.violations().len(), 6);
    // And without the token, nothing.
    let anonymous = Client::new(
        Endpoints::all_at(&fake.url()),
        Auth::Bearer("wrong".into()),
        RetryPolicy::default(),
    )
    .expect("a client");
    let err = anonymous
        .send(&plan().steps[0].request)
        .await
        .expect_err("refused");
    assert_eq!(err.status, Some(401));
}

#[tokio::test]
async fn a_resource_someone_else_recreated_is_not_deleted() {
    let w = world().await;
    let World {
        fake,
        client,
        store,
        plan,
        ..
    } = &w;
    apply::apply(client, plan, store, |_| {})
        .await
        .expect("apply");
    // Someone deletes Sluice's destination topic and creates their own of that name.
    let topic = format!("projects/{PROJECT}/topics/{}-results", plan.job_name);
    fake.state().topics.insert(
        topic.clone(),
        json!({"name": topic, "labels": {"team": "ads"}}),
    );
    let mut m = manifest(store, plan);
    let done = apply::cleanup(
        client,
        store,
        &mut m,
        Stop::Cancel,
        Duration::from_secs(10),
        Duration::from_millis(50),
    )
    .await
    .expect("cleanup");
    assert_eq!(done.deleted.len(), 3);
    assert_eq!(done.kept.len(), 1);
    assert!(
        done.kept[0].1.contains("not the one Sluice created"),
        "{}",
        done.kept[0].1
    );
    assert!(
        fake.state().topics.contains_key(&topic),
        "their topic stays"
    );
    // The record keeps it, so nothing is forgotten.
    let m = manifest(store, plan);
    assert_eq!(m.created.len(), 1);
}

#[tokio::test]
async fn an_unreadable_record_stops_the_apply_and_is_kept() {
    let w = world().await;
    let World {
        fake,
        client,
        store,
        plan,
        ..
    } = &w;
    let path = w
        .dir
        .path()
        .join(PROJECT)
        .join(format!("{}.json", plan.job_name));
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&path, "{ not json").expect("write");
    let err = apply::apply(client, plan, store, |_| {})
        .await
        .expect_err("refused");
    assert_eq!(err.index, 0);
    assert!(
        err.error.contains(&path.display().to_string()),
        "{}",
        err.error
    );
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), "{ not json");
    assert!(fake.calls().is_empty(), "nothing was sent");
}

#[test]
fn the_record_store_refuses_names_that_leave_its_folder() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = ManifestStore::new(dir.path());
    assert!(store.load("..", "passwd").is_err());
    assert!(store.load("demobox-313313", "../../x").is_err());
    assert!(store.load("demobox-313313", "Job").is_err());
    assert!(matches!(store.load("demobox-313313", "sluice-1"), Ok(None)));
}
