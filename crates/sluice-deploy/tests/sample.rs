//! Sampling a topic (`sluice_deploy::sample`) against the fake Google Cloud: the
//! temporary subscription is created labelled and expiring, and deleted on every
//! path, the failing ones included; leftovers are found by their label.

mod common;

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;
use sluice_deploy::gcp::Client;
use sluice_deploy::sample::{LABEL, SampleOptions, delete_leftovers, sample_topic};
use sluice_fake_gcp::{Fake, FaultKind, TOKEN, Timing};

const PROJECT: &str = "shop-1234";
const TOPIC: &str = "projects/shop-1234/topics/orders";

async fn fake(retains: bool) -> Fake {
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .expect("the fake starts");
    let mut topic = json!({"name": TOPIC});
    if retains {
        topic["messageRetentionDuration"] = json!("86400s");
    }
    fake.state().topics.insert(TOPIC.into(), topic);
    fake
}

fn client(fake: &Fake) -> Client {
    common::fake_client(&fake.url(), 3)
}

/// Publishes `n` orders through the fake's API, as a publisher would.
async fn publish(fake: &Fake, n: usize, from: usize) {
    let messages: Vec<_> = (from..from + n)
        .map(|i| {
            let data = format!("{{\"customer_id\": {i}, \"amount\": 1.5}}");
            json!({"data": base64::engine::general_purpose::STANDARD.encode(data)})
        })
        .collect();
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/{TOPIC}:publish", fake.url()))
        .bearer_auth(TOKEN)
        .json(&json!({"messages": messages}))
        .send()
        .await
        .expect("published");
    assert!(answer.status().is_success());
}

fn options(max: usize, seconds: u64) -> SampleOptions {
    SampleOptions {
        max_messages: max,
        max_wait: Duration::from_secs(seconds),
        replay_from: None,
    }
}

#[tokio::test]
async fn a_sample_takes_the_messages_that_arrive_and_leaves_nothing_behind() {
    let fake = fake(false).await;
    let sampler = {
        let (fake, client) = (fake.clone(), client(&fake));
        tokio::spawn(async move {
            let _keep = fake;
            sample_topic(&client, PROJECT, "orders", 7, &options(3, 5)).await
        })
    };
    // The subscription exists while the sample waits: labelled and expiring.
    for _ in 0..100 {
        if !fake.state().subscriptions.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let created = fake
        .state()
        .subscriptions
        .values()
        .next()
        .cloned()
        .expect("a subscription");
    assert_eq!(created["labels"][LABEL.0], LABEL.1);
    assert_eq!(created["expirationPolicy"]["ttl"], "86400s");
    assert_eq!(created["topic"], TOPIC);
    publish(&fake, 5, 1).await;
    let sampled = sampler.await.expect("joined").expect("sampled");
    assert_eq!(sampled.messages.len(), 3);
    assert_eq!(
        sampled.messages[0].data,
        "{\"customer_id\": 1, \"amount\": 1.5}"
    );
    assert!(sampled.messages[0].publish_time.ends_with('Z'));
    assert!(
        fake.state().subscriptions.is_empty(),
        "the subscription is left"
    );
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    // A quiet topic gives an empty sample when the time is up, and still cleans up.
    let quiet = sample_topic(&client(&fake), PROJECT, "orders", 8, &options(10, 1))
        .await
        .expect("sampled");
    assert!(quiet.messages.is_empty());
    assert!(fake.state().subscriptions.is_empty());
}

#[tokio::test]
async fn the_subscription_is_deleted_when_pulling_or_acknowledging_fails() {
    for call in [
        "pubsub.projects.subscriptions.pull",
        "pubsub.projects.subscriptions.acknowledge",
    ] {
        let fake = fake(true).await;
        publish(&fake, 2, 1).await;
        fake.fault(call, FaultKind::Status(500), 10);
        let e = sample_topic(
            &client(&fake),
            PROJECT,
            "orders",
            1,
            &SampleOptions {
                replay_from: Some("2000-01-01T00:00:00Z".into()),
                ..options(5, 2)
            },
        )
        .await
        .expect_err("fails");
        assert_eq!(e.call, call);
        assert!(
            fake.state().subscriptions.is_empty(),
            "{call}: the subscription is left"
        );
    }
}

#[tokio::test]
async fn a_deletion_that_fails_is_said_and_the_next_run_removes_the_leftover() {
    let fake = fake(true).await;
    publish(&fake, 2, 1).await;
    // As many failures as the client's attempts.
    fake.fault(
        "pubsub.projects.subscriptions.delete",
        FaultKind::Status(500),
        3,
    );
    let sampled = sample_topic(
        &client(&fake),
        PROJECT,
        "orders",
        2,
        &SampleOptions {
            replay_from: Some("2000-01-01T00:00:00Z".into()),
            ..options(2, 2)
        },
    )
    .await
    .expect("the sample itself is taken");
    assert_eq!(
        sampled.messages.len(),
        2,
        "replayed from the topic's retention"
    );
    assert!(
        sampled
            .notes
            .iter()
            .any(|n| n.contains("could not be deleted") && n.contains("expires after a day")),
        "{:?}",
        sampled.notes
    );
    assert_eq!(fake.state().subscriptions.len(), 1);
    // Another subscription of the project, not Sluice's, stays.
    fake.state().subscriptions.insert(
        "projects/shop-1234/subscriptions/theirs".into(),
        json!({"name": "projects/shop-1234/subscriptions/theirs", "topic": TOPIC}),
    );
    fake.state().page_size = 1;
    let gone = delete_leftovers(&client(&fake), PROJECT)
        .await
        .expect("listed and deleted");
    assert_eq!(gone.len(), 1, "{gone:?}");
    let left: Vec<String> = fake.state().subscriptions.keys().cloned().collect();
    assert_eq!(left, ["projects/shop-1234/subscriptions/theirs"]);
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

#[tokio::test]
async fn without_retention_a_replay_gives_only_what_came_after_the_subscription() {
    let fake = fake(false).await;
    publish(&fake, 3, 1).await;
    let sampled = sample_topic(
        &client(&fake),
        PROJECT,
        "orders",
        3,
        &SampleOptions {
            replay_from: Some("2000-01-01T00:00:00Z".into()),
            ..options(3, 1)
        },
    )
    .await
    .expect("sampled");
    assert!(sampled.messages.is_empty(), "{:?}", sampled.messages);
}
