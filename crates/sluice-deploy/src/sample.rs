//! Sampling a topic's messages for the catalog and the simulation: a temporary
//! subscription (labelled as Sluice's, with an expiration policy so that Pub/Sub
//! removes it even if Sluice never can), pulled for up to N messages or S
//! seconds, then deleted whatever happened. A topic that retains messages can be
//! replayed from a time (`seek`). The requests and the reading of the answers are
//! pure; [`sample_topic`] and [`delete_leftovers`] (feature `cloud`) send them.
//!
//! Field names and limits are the discovery document's
//! (`crates/sluice-fake-gcp/discovery/pubsub.v1.json`): `Subscription.expirationPolicy.ttl`
//! ("the minimum allowed value … is 1 day"), `messageRetentionDuration` ("cannot be
//! … less than 10 minutes"), `PullRequest.maxMessages` ("must be a positive
//! integer"), `PullResponse.receivedMessages[].ackId` and `.message` (`data` in
//! base64, `publishTime`, `attributes`), `SeekRequest.time`.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::deploy::{Api, Request};
use crate::project::Page;

/// The label every sampling subscription carries, so that a later run can find
/// and delete one left behind.
pub const LABEL: (&str, &str) = ("sluice-purpose", "sample");

/// The most messages one sample takes.
pub const MAX_MESSAGES: usize = 1_000;

/// The longest one sample pulls.
pub const MAX_SECONDS: u64 = 60;

pub use crate::wire::SampledMessage;

/// The subscription a sample of `topic` uses: `projects/p/subscriptions/sluice-sample-<topic>-<nonce>`,
/// cut to Pub/Sub's 255 characters.
pub fn subscription_name(project: &str, topic: &str, nonce: u64) -> String {
    let mut id = format!("sluice-sample-{topic}-{nonce:x}");
    id.truncate(255);
    format!("projects/{project}/subscriptions/{id}")
}

/// `pubsub.projects.subscriptions.create`: pull, labelled, expiring after a day
/// without use (Pub/Sub's shortest), keeping unacknowledged messages ten minutes
/// (its shortest).
pub fn create_subscription(name: &str, topic: &str) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.subscriptions.create".into(),
        method: "PUT".into(),
        path: format!("v1/{name}"),
        body: Some(json!({
            "topic": topic,
            "ackDeadlineSeconds": 60,
            "labels": {LABEL.0: LABEL.1, "created-by": "sluice"},
            "expirationPolicy": {"ttl": "86400s"},
            "messageRetentionDuration": "600s",
        })),
        resource: name.to_string(),
    }
}

/// `pubsub.projects.subscriptions.pull` of at most `max` messages.
pub fn pull(name: &str, max: usize) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.subscriptions.pull".into(),
        method: "POST".into(),
        path: format!("v1/{name}:pull"),
        body: Some(json!({"maxMessages": max.max(1)})),
        resource: name.to_string(),
    }
}

/// `pubsub.projects.subscriptions.acknowledge` of `ack_ids`.
pub fn acknowledge(name: &str, ack_ids: &[String]) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.subscriptions.acknowledge".into(),
        method: "POST".into(),
        path: format!("v1/{name}:acknowledge"),
        body: Some(json!({"ackIds": ack_ids})),
        resource: name.to_string(),
    }
}

/// `pubsub.projects.subscriptions.seek` to `time` (RFC 3339): messages the topic
/// retained from then on are delivered again.
pub fn seek(name: &str, time: &str) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.subscriptions.seek".into(),
        method: "POST".into(),
        path: format!("v1/{name}:seek"),
        body: Some(json!({"time": time})),
        resource: name.to_string(),
    }
}

/// `pubsub.projects.subscriptions.delete`.
pub fn delete_subscription(name: &str) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.subscriptions.delete".into(),
        method: "DELETE".into(),
        path: format!("v1/{name}"),
        body: None,
        resource: name.to_string(),
    }
}

/// `pubsub.projects.subscriptions.list` of `project`, from `token`'s page.
pub fn list_subscriptions(project: &str, token: Option<&str>) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.subscriptions.list".into(),
        method: "GET".into(),
        path: crate::project::with_token(
            format!("v1/projects/{project}/subscriptions?pageSize=100"),
            token,
        ),
        body: None,
        resource: format!("projects/{project}"),
    }
}

/// A pulled message: its ack id, and the message or why it is left out.
pub type Received = (String, Result<SampledMessage, String>);

/// A `PullResponse`: each message's ack id and the message, or (for data that is
/// not UTF-8 text) why it is left out.
pub fn received(answer: &Value) -> Result<Vec<Received>, String> {
    let items = match &answer["receivedMessages"] {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => return Err(format!("receivedMessages is not a list but {other}")),
    };
    items
        .iter()
        .map(|r| {
            let ack_id = r["ackId"].as_str().ok_or("a message without an ackId")?;
            let m = &r["message"];
            let publish_time = m["publishTime"].as_str().unwrap_or_default().to_string();
            let id = m["messageId"].as_str().unwrap_or("?");
            let data = base64::engine::general_purpose::STANDARD
                .decode(m["data"].as_str().unwrap_or_default())
                .map_err(|e| format!("message {id}: its data is not base64 ({e})"))
                .and_then(|bytes| {
                    String::from_utf8(bytes)
                        .map_err(|_| format!("message {id}: its data is not UTF-8 text, left out"))
                });
            Ok((
                ack_id.to_string(),
                data.map(|data| SampledMessage { publish_time, data }),
            ))
        })
        .collect()
}

/// The names of Sluice's sampling subscriptions in a `ListSubscriptionsResponse`
/// page, and the next page's token.
pub fn leftovers_page(answer: &Value) -> Result<Page<String>, String> {
    let names = match &answer["subscriptions"] {
        Value::Null => Vec::new(),
        Value::Array(subs) => subs
            .iter()
            .filter(|s| s["labels"][LABEL.0] == LABEL.1)
            .filter_map(|s| s["name"].as_str().map(str::to_owned))
            .collect(),
        other => return Err(format!("subscriptions is not a list but {other}")),
    };
    let next = answer["nextPageToken"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(Page { items: names, next })
}

/// What to sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// At most this many messages (capped at [`MAX_MESSAGES`]).
    pub max_messages: usize,
    /// For at most this long (capped at [`MAX_SECONDS`]).
    pub max_wait: std::time::Duration,
    /// Replay the topic's retained messages from this time (RFC 3339) first.
    pub replay_from: Option<String>,
}

/// A sample: the messages in the order Pub/Sub delivered them, and what was left
/// out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sampled {
    /// The messages.
    pub messages: Vec<SampledMessage>,
    /// What was left out, and why.
    pub notes: Vec<String>,
}

/// Samples `topic` of `project` through a temporary subscription, which is
/// deleted before this returns, whether the sample succeeded or not (and, should
/// even that fail, expires in a day; [`delete_leftovers`] finds it by its label).
#[cfg(feature = "cloud")]
pub async fn sample_topic(
    client: &crate::gcp::Client,
    project: &str,
    topic: &str,
    nonce: u64,
    options: &SampleOptions,
) -> Result<Sampled, crate::gcp::GcpError> {
    let name = subscription_name(project, topic, nonce);
    let topic_path = format!("projects/{project}/topics/{topic}");
    client
        .send(&create_subscription(&name, &topic_path))
        .await?;
    let outcome = pull_sample(client, &name, options).await;
    let deleted = client.send(&delete_subscription(&name)).await;
    let left = |e: &crate::gcp::GcpError| {
        format!(
            "the sampling subscription {name} could not be deleted ({}): it expires after a day unused, and the next sample of this project deletes it",
            e.message
        )
    };
    match (outcome, deleted) {
        (Ok(sampled), Ok(_)) => Ok(sampled),
        (Ok(mut sampled), Err(e)) => {
            sampled.notes.push(left(&e));
            Ok(sampled)
        }
        (Err(e), Ok(_)) => Err(e),
        (Err(mut e), Err(d)) => {
            e.message = format!("{}; {}", e.message, left(&d));
            Err(e)
        }
    }
}

#[cfg(feature = "cloud")]
async fn pull_sample(
    client: &crate::gcp::Client,
    name: &str,
    options: &SampleOptions,
) -> Result<Sampled, crate::gcp::GcpError> {
    let broken = |why: String| crate::gcp::GcpError {
        call: "pubsub.projects.subscriptions.pull".into(),
        resource: name.to_string(),
        status: None,
        message: format!("an answer Sluice cannot read: {why}"),
    };
    if let Some(time) = &options.replay_from {
        client.send(&seek(name, time)).await?;
    }
    let max = options.max_messages.clamp(1, MAX_MESSAGES);
    let wait = options
        .max_wait
        .min(std::time::Duration::from_secs(MAX_SECONDS));
    let deadline = tokio::time::Instant::now() + wait;
    let mut sampled = Sampled::default();
    let mut taken = 0;
    while taken < max && tokio::time::Instant::now() < deadline {
        // A pull waits for messages on Google's side; the sample's time bounds it.
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let answer =
            match tokio::time::timeout(remaining, client.send(&pull(name, max - taken))).await {
                Ok(answer) => answer?,
                Err(_) => break,
            };
        let messages = received(&answer).map_err(broken)?;
        if messages.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        }
        let ack_ids: Vec<String> = messages.iter().map(|(id, _)| id.clone()).collect();
        client.send(&acknowledge(name, &ack_ids)).await?;
        for (_, message) in messages {
            taken += 1;
            match message {
                Ok(m) => sampled.messages.push(m),
                Err(why) => sampled.notes.push(why),
            }
        }
    }
    Ok(sampled)
}

/// Deletes the sampling subscriptions a run left behind in `project` (found by
/// their label); their names.
#[cfg(feature = "cloud")]
pub async fn delete_leftovers(
    client: &crate::gcp::Client,
    project: &str,
) -> Result<Vec<String>, crate::gcp::GcpError> {
    let (found, _) =
        crate::project::list_all(client, |t| list_subscriptions(project, t), leftovers_page)
            .await?;
    for name in &found {
        if let Err(e) = client.send(&delete_subscription(name)).await
            && !e.not_found()
        {
            return Err(e);
        }
    }
    Ok(found)
}
