//! The fake's Pub/Sub: topics (create, get, list, delete, publish),
//! subscriptions (create, list, pull, acknowledge, seek, delete) and schemas (get).

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use crate::State;
use crate::discovery::Matched;
use crate::http::error;
use crate::jobs::rfc3339;
use crate::page;

/// Answers a Pub/Sub call.
pub(crate) fn serve(
    state: &mut State,
    m: &Matched,
    query: &[(String, String)],
    body: &Value,
) -> (u16, Value) {
    match m.method.id.as_str() {
        "pubsub.projects.topics.create" => {
            let name = format!(
                "projects/{}/topics/{}",
                m.param("projectsId"),
                m.param("topicsId")
            );
            if state.topics.contains_key(&name) {
                return error(
                    409,
                    "ALREADY_EXISTS",
                    "Resource already exists in the project",
                );
            }
            let topic = json!({"name": name, "labels": body["labels"]});
            state.topics.insert(name, topic.clone());
            (200, topic)
        }
        "pubsub.projects.schemas.get" => {
            let name = format!(
                "projects/{}/schemas/{}",
                m.param("projectsId"),
                m.param("schemasId")
            );
            match state.schemas.get(&name) {
                Some(schema) => {
                    let mut schema = schema.clone();
                    schema["name"] = json!(name);
                    // The BASIC view (the default) leaves the definition out.
                    if crate::http::query_param(query, "view") != Some("FULL")
                        && let Some(o) = schema.as_object_mut()
                    {
                        o.remove("definition");
                    }
                    (200, schema)
                }
                None => error(
                    404,
                    "NOT_FOUND",
                    &format!("Resource not found (resource={name})."),
                ),
            }
        }
        "pubsub.projects.topics.get" => {
            let name = format!(
                "projects/{}/topics/{}",
                m.param("projectsId"),
                m.param("topicsId")
            );
            match state.topics.get(&name) {
                Some(t) => (200, t.clone()),
                None => error(404, "NOT_FOUND", "Resource not found"),
            }
        }
        "pubsub.projects.topics.list" => {
            let prefix = format!("projects/{}/topics/", m.param("projectsId"));
            let topics: Vec<Value> = state
                .topics
                .iter()
                .filter(|(name, _)| name.starts_with(&prefix))
                .map(|(_, t)| t.clone())
                .collect();
            let (topics, next) = page(topics, query, "pageSize", state.page_size);
            let mut answer = json!({"topics": topics});
            if let Some(next) = next {
                answer["nextPageToken"] = json!(next);
            }
            (200, answer)
        }
        "pubsub.projects.subscriptions.create" => {
            let name = format!(
                "projects/{}/subscriptions/{}",
                m.param("projectsId"),
                m.param("subscriptionsId")
            );
            if state.subscriptions.contains_key(&name) {
                return error(
                    409,
                    "ALREADY_EXISTS",
                    "Resource already exists in the project",
                );
            }
            let topic = body["topic"].as_str().unwrap_or_default().to_string();
            if !state.topics.contains_key(&topic) {
                return error(404, "NOT_FOUND", "Resource not found (resource=topic)");
            }
            let mut sub = body.clone();
            sub["name"] = json!(name);
            let created = rfc3339(Instant::now());
            let mut kept = sub.clone();
            kept["created"] = json!(created);
            state.subscriptions.insert(name.clone(), kept);
            state.backlogs.insert(name.clone(), Vec::new());
            state.outstanding.insert(name, BTreeMap::new());
            (200, sub)
        }
        "pubsub.projects.subscriptions.list" => {
            let prefix = format!("projects/{}/subscriptions/", m.param("projectsId"));
            let subs: Vec<Value> = state
                .subscriptions
                .iter()
                .filter(|(n, _)| n.starts_with(&prefix))
                .map(|(_, s)| {
                    let mut s = s.clone();
                    if let Some(o) = s.as_object_mut() {
                        o.remove("created");
                    }
                    s
                })
                .collect();
            let (subs, next) = page(subs, query, "pageSize", state.page_size);
            let mut answer = json!({"subscriptions": subs});
            if let Some(next) = next {
                answer["nextPageToken"] = json!(next);
            }
            (200, answer)
        }
        "pubsub.projects.subscriptions.pull" => {
            let name = subscription(m);
            let Some(backlog) = state.backlogs.get_mut(&name) else {
                return error(
                    404,
                    "NOT_FOUND",
                    "Resource not found (resource=subscription)",
                );
            };
            let max = body["maxMessages"].as_u64().unwrap_or(0) as usize;
            if max == 0 {
                return error(400, "INVALID_ARGUMENT", "maxMessages must be positive");
            }
            let taken: Vec<Value> = backlog.drain(..max.min(backlog.len())).collect();
            let outstanding = state.outstanding.entry(name.clone()).or_default();
            let received: Vec<Value> = taken
                .into_iter()
                .map(|msg| {
                    let ack_id = format!(
                        "ack-{}-{}",
                        msg["messageId"].as_str().unwrap_or("?"),
                        outstanding.len()
                    );
                    outstanding.insert(ack_id.clone(), msg.clone());
                    json!({"ackId": ack_id, "message": msg})
                })
                .collect();
            if received.is_empty() {
                (200, json!({}))
            } else {
                (200, json!({"receivedMessages": received}))
            }
        }
        "pubsub.projects.subscriptions.acknowledge" => {
            let name = subscription(m);
            let Some(outstanding) = state.outstanding.get_mut(&name) else {
                return error(
                    404,
                    "NOT_FOUND",
                    "Resource not found (resource=subscription)",
                );
            };
            for id in body["ackIds"].as_array().into_iter().flatten() {
                if let Some(id) = id.as_str() {
                    outstanding.remove(id);
                }
            }
            (200, json!({}))
        }
        "pubsub.projects.subscriptions.seek" => {
            let name = subscription(m);
            let Some(sub) = state.subscriptions.get(&name) else {
                return error(
                    404,
                    "NOT_FOUND",
                    "Resource not found (resource=subscription)",
                );
            };
            let Some(time) = body["time"].as_str() else {
                return error(400, "INVALID_ARGUMENT", "the fake seeks to a time only");
            };
            // Messages from `time` on come again, as far as the topic retains them
            // (all of them when it has a retention, else none published before the
            // subscription).
            let topic = sub["topic"].as_str().unwrap_or_default().to_string();
            let retains = state
                .topics
                .get(&topic)
                .is_some_and(|t| t["messageRetentionDuration"].is_string());
            let created = sub["created"].as_str().unwrap_or_default().to_string();
            let again: Vec<Value> = state
                .published
                .get(&topic)
                .into_iter()
                .flatten()
                .filter(|msg| {
                    let at = msg["publishTime"].as_str().unwrap_or_default();
                    same_or_later(at, time) && (retains || same_or_later(at, &created))
                })
                .cloned()
                .collect();
            state.backlogs.insert(name.clone(), again);
            state.outstanding.insert(name, BTreeMap::new());
            (200, json!({}))
        }
        "pubsub.projects.subscriptions.delete" => {
            let name = subscription(m);
            state.backlogs.remove(&name);
            state.outstanding.remove(&name);
            match state.subscriptions.remove(&name) {
                Some(_) => (200, json!({})),
                None => error(
                    404,
                    "NOT_FOUND",
                    "Resource not found (resource=subscription)",
                ),
            }
        }
        "pubsub.projects.topics.delete" => {
            let name = format!(
                "projects/{}/topics/{}",
                m.param("projectsId"),
                m.param("topicsId")
            );
            match state.topics.remove(&name) {
                Some(_) => (200, json!({})),
                None => error(404, "NOT_FOUND", "Resource not found"),
            }
        }
        "pubsub.projects.topics.publish" => {
            let name = format!(
                "projects/{}/topics/{}",
                m.param("projectsId"),
                m.param("topicsId")
            );
            if !state.topics.contains_key(&name) {
                return error(404, "NOT_FOUND", "Resource not found");
            }
            let messages = body["messages"].as_array().cloned().unwrap_or_default();
            let now = rfc3339(Instant::now());
            let mut ids = Vec::new();
            for mut msg in messages {
                state.published_count += 1;
                let id = state.published_count.to_string();
                msg["messageId"] = json!(id);
                msg["publishTime"] = json!(now);
                for (sub, s) in &state.subscriptions {
                    if s["topic"] == name.as_str() {
                        state
                            .backlogs
                            .entry(sub.clone())
                            .or_default()
                            .push(msg.clone());
                    }
                }
                state.published.entry(name.clone()).or_default().push(msg);
                ids.push(id);
            }
            (200, json!({"messageIds": ids}))
        }
        other => error(
            501,
            "UNIMPLEMENTED",
            &format!("the fake does not implement {other}"),
        ),
    }
}

/// `projects/p/subscriptions/s` of a matched subscription call.
fn subscription(m: &Matched) -> String {
    format!(
        "projects/{}/subscriptions/{}",
        m.param("projectsId"),
        m.param("subscriptionsId")
    )
}

/// Whether RFC 3339 UTC time `a` is at or after `b`, to the millisecond (the
/// fake writes `…:SS.sssZ`; a caller may write fewer digits).
fn same_or_later(a: &str, b: &str) -> bool {
    fn millis(t: &str) -> Option<(String, u32)> {
        let t = t.strip_suffix('Z')?;
        let (head, fraction) = t.split_once('.').unwrap_or((t, ""));
        let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
        Some((head.to_string(), digits.parse().ok()?))
    }
    match (millis(a), millis(b)) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    }
}
