//! Executing a [`DeployPlan`]: apply it step by step, record on disk what Sluice
//! created, watch the job, and clean up exactly what the record lists.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::deploy::{Action, Api, DeployPlan, LABEL, Request, Resource};
use crate::gcp::{Client, GcpError};
use crate::job_state::JobState;

mod manifest;

pub use crate::wire::{Cleanup, DataflowJob, Outcome, StateChange};
pub use manifest::{Manifest, ManifestStore, StoreError, is_record_name};

/// Progress of an apply, step by step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Progress {
    /// Step `index` started.
    Started {
        /// The step's position in the plan.
        index: usize,
    },
    /// Step `index` ended.
    Done {
        /// The step's position in the plan.
        index: usize,
        /// How.
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// Step `index` failed; the manifest lists what was created before it.
    Failed {
        /// The step's position in the plan.
        index: usize,
        /// What went wrong.
        error: String,
    },
}

/// An apply that stopped: at which step, why, and what it had created.
#[derive(Debug, thiserror::Error)]
#[error("step {} ({step}) failed: {error}", index + 1)]
pub struct ApplyError {
    /// The failed step's position.
    pub index: usize,
    /// The failed step's title.
    pub step: String,
    /// Why.
    pub error: String,
    /// What Sluice had created (rollback deletes these).
    pub created: Vec<Resource>,
}

/// Runs `plan`: each step in order, recording what it creates in `store` before
/// going on. Re-applying an applied plan creates nothing and launches nothing.
/// Returns the job's id.
pub async fn apply(
    client: &Client,
    plan: &DeployPlan,
    store: &ManifestStore,
    mut on: impl FnMut(Progress),
) -> Result<String, ApplyError> {
    // An unreadable record is an error, never overwritten: it may list what to clean up.
    let mut manifest = store
        .load(&plan.project, &plan.job_name)
        .map_err(|e| ApplyError {
            index: 0,
            step: "read the deployment's record".into(),
            error: e.to_string(),
            created: vec![],
        })?
        .unwrap_or_else(|| Manifest::for_plan(plan));
    manifest.pipeline_yaml = plan.pipeline_yaml.clone();
    let mut running: Option<String> = None;
    for (index, step) in plan.steps.iter().enumerate() {
        on(Progress::Started { index });
        let outcome = match run_step(client, step, &mut running).await {
            Ok(outcome) => outcome,
            Err(error) => {
                on(Progress::Failed {
                    index,
                    error: error.clone(),
                });
                let _ = store.save(&manifest);
                return Err(ApplyError {
                    index,
                    step: step.title.clone(),
                    error,
                    created: manifest.created.clone(),
                });
            }
        };
        if let (Outcome::Created, Action::Create(r)) = (&outcome, &step.action)
            && !manifest.created.contains(r)
        {
            manifest.created.push(r.clone());
        }
        if let Outcome::Launched { job_id } | Outcome::FoundJob { job_id } = &outcome {
            manifest.job_id = Some(job_id.clone());
        }
        store.save(&manifest).map_err(|e| ApplyError {
            index,
            step: step.title.clone(),
            error: format!("recording what was created: {e}"),
            created: manifest.created.clone(),
        })?;
        on(Progress::Done { index, outcome });
    }
    manifest.job_id.ok_or_else(|| ApplyError {
        index: plan.steps.len().saturating_sub(1),
        step: "launch".into(),
        error: "the plan has no launch step".into(),
        created: manifest.created.clone(),
    })
}

async fn run_step(
    client: &Client,
    step: &crate::deploy::Step,
    running: &mut Option<String>,
) -> Result<Outcome, String> {
    match &step.action {
        Action::Create(resource) => match client.send(&step.request).await {
            Ok(_) => Ok(Outcome::Created),
            Err(e) if e.already_exists() => {
                if let Resource::Table { .. } = resource {
                    check_existing_table(client, step).await?;
                }
                Ok(Outcome::AlreadyExisted)
            }
            Err(e) => Err(e.to_string()),
        },
        Action::Check => client
            .send(&step.request)
            .await
            .map(|_| Outcome::Checked)
            .map_err(|e| e.to_string()),
        Action::FindJob => {
            let name = step
                .request
                .resource
                .strip_prefix("job ")
                .unwrap_or_default()
                .to_owned();
            match find_active_job(client, &step.request, &name).await? {
                Some(job_id) => {
                    *running = Some(job_id.clone());
                    Ok(Outcome::FoundJob { job_id })
                }
                None => Ok(Outcome::NoJob),
            }
        }
        Action::Launch => {
            if running.is_some() {
                return Ok(Outcome::Skipped);
            }
            let answer = client
                .send(&step.request)
                .await
                .map_err(|e| e.to_string())?;
            answer["job"]["id"]
                .as_str()
                .map(|id| Outcome::Launched {
                    job_id: id.to_owned(),
                })
                .ok_or_else(|| format!("Dataflow launched no job: {answer}"))
        }
    }
}

/// An existing destination table must have the query's columns, else the job
/// would fail on its first row.
async fn check_existing_table(client: &Client, step: &crate::deploy::Step) -> Result<(), String> {
    let Some(body) = &step.request.body else {
        return Ok(());
    };
    let r = &body["tableReference"];
    let get = Request {
        api: Api::Bigquery,
        call: "bigquery.tables.get".into(),
        method: "GET".into(),
        path: format!(
            "projects/{}/datasets/{}/tables/{}",
            r["projectId"].as_str().unwrap_or_default(),
            r["datasetId"].as_str().unwrap_or_default(),
            r["tableId"].as_str().unwrap_or_default()
        ),
        body: None,
        resource: step.request.resource.clone(),
    };
    let table = client.send(&get).await.map_err(|e| e.to_string())?;
    let columns = |fields: &Value| -> Vec<(String, String)> {
        fields
            .as_array()
            .map(|fs| {
                fs.iter()
                    .map(|f| {
                        (
                            f["name"].as_str().unwrap_or_default().to_ascii_lowercase(),
                            normalize_type(f["type"].as_str().unwrap_or_default()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let want = columns(&body["schema"]["fields"]);
    let have = columns(&table["schema"]["fields"]);
    if want == have {
        Ok(())
    } else {
        let show = |cs: &[(String, String)]| {
            cs.iter()
                .map(|(n, t)| format!("{n} {t}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(format!(
            "{} exists with other columns ({}) than the query writes ({}): choose another table, or delete it",
            step.request.resource,
            show(&have),
            show(&want)
        ))
    }
}

fn normalize_type(t: &str) -> String {
    match t.to_ascii_uppercase().as_str() {
        "INTEGER" => "INT64".into(),
        "FLOAT" => "FLOAT64".into(),
        "BOOLEAN" => "BOOL".into(),
        "STRUCT" => "RECORD".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dead_letters_count_each_dead_letter_transform_once() {
        let elements = vec![
            ("ReadOrders".to_string(), 100),
            ("DeadLettersReadOrders/Map".to_string(), 3),
            ("DeadLettersReadOrders".to_string(), 3),
            ("DeadLettersPrepareOrders/Select".to_string(), 2),
            ("WriteDeadLetters".to_string(), 5),
        ];
        assert_eq!(super::dead_letters(&elements), 5);
        assert_eq!(super::dead_letters(&[]), 0);
    }
}

async fn find_active_job(
    client: &Client,
    list: &Request,
    name: &str,
) -> Result<Option<String>, String> {
    let mut request = list.clone();
    for _page in 0..100 {
        let answer = client.send(&request).await.map_err(|e| e.to_string())?;
        for job in answer["jobs"].as_array().into_iter().flatten() {
            let state = job["currentState"].as_str().unwrap_or_default();
            if job["name"].as_str() == Some(name) && JobState::parse(state).is_active() {
                return Ok(job["id"].as_str().map(str::to_owned));
            }
        }
        match answer["nextPageToken"].as_str() {
            Some(token) if !token.is_empty() => {
                request.path = format!(
                    "{}&pageToken={}",
                    list.path,
                    crate::deploy::query_value(token)
                );
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

fn job_request(m: &Manifest, job_id: &str, suffix: &str, method: &str, call: &str) -> Request {
    Request {
        api: Api::Dataflow,
        call: call.into(),
        method: method.into(),
        path: format!(
            "v1b3/projects/{}/locations/{}/jobs/{job_id}{suffix}",
            m.project, m.region
        ),
        body: None,
        resource: format!("job {} ({job_id})", m.job_name),
    }
}

/// The number of dead letters among per-step element counts: each
/// `DeadLetters…` transform's largest count (its sub-steps count the same
/// elements), summed over those transforms.
pub fn dead_letters(elements: &[(String, i64)]) -> i64 {
    let mut by_transform: Vec<(&str, i64)> = Vec::new();
    for (step, n) in elements {
        let transform = step.split('/').next().unwrap_or(step);
        if !transform.starts_with("DeadLetters") {
            continue;
        }
        match by_transform.iter_mut().find(|(t, _)| *t == transform) {
            Some(t) => t.1 = t.1.max(*n),
            None => by_transform.push((transform, *n)),
        }
    }
    by_transform.iter().map(|(_, n)| n).sum()
}

/// Reads the job's state, metrics and messages, and records a new state in the
/// manifest's history.
pub async fn status(
    client: &Client,
    store: &ManifestStore,
    m: &mut Manifest,
) -> Result<DataflowJob, GcpError> {
    let job_id = m.job_id.clone().ok_or_else(|| GcpError {
        call: "status".into(),
        resource: format!("job {}", m.job_name),
        status: None,
        message: "the job was never launched".into(),
    })?;
    let job = client
        .send(&job_request(
            m,
            &job_id,
            "",
            "GET",
            "dataflow.projects.locations.jobs.get",
        ))
        .await?;
    let state = JobState::parse(job["currentState"].as_str().unwrap_or_default());
    let state_time = job["currentStateTime"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if m.history.last().map(|c| c.state) != Some(state) {
        m.history.push(StateChange {
            state,
            time: state_time.clone(),
        });
        let _ = store.save(m);
    }
    let metrics = client
        .send(&job_request(
            m,
            &job_id,
            "/metrics",
            "GET",
            "dataflow.projects.locations.jobs.getMetrics",
        ))
        .await?;
    let mut elements: Vec<(String, i64)> = Vec::new();
    for metric in metrics["metrics"].as_array().into_iter().flatten() {
        let name = &metric["name"];
        if name["name"].as_str() != Some("ElementCount") {
            continue;
        }
        let context = &name["context"];
        let Some(step) = context["output_user_name"]
            .as_str()
            .or(context["original_name"].as_str())
        else {
            continue;
        };
        if context["tentative"].as_str() == Some("true") {
            continue;
        }
        let value = metric["scalar"]
            .as_i64()
            .or_else(|| metric["scalar"].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(0);
        match elements.iter_mut().find(|(s, _)| s == step) {
            Some(e) => e.1 = e.1.max(value),
            None => elements.push((step.to_owned(), value)),
        }
    }
    let answer = client
        .send(&Request {
            path: format!(
                "v1b3/projects/{}/locations/{}/jobs/{job_id}/messages?minimumImportance=JOB_MESSAGE_BASIC",
                m.project, m.region
            ),
            ..job_request(m, &job_id, "", "GET", "dataflow.projects.locations.jobs.messages.list")
        })
        .await?;
    let mut messages: Vec<(String, String, String)> = answer["jobMessages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|msg| {
            (
                msg["time"].as_str().unwrap_or_default().to_owned(),
                msg["messageImportance"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                msg["messageText"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    messages.sort();
    Ok(DataflowJob {
        job_name: m.job_name.clone(),
        job_id: Some(job_id),
        state,
        state_time,
        history: m.history.clone(),
        dead_letters: dead_letters(&elements),
        elements,
        messages,
        console_url: m.console_url(),
        created: m.created.clone(),
    })
}

/// How to stop the job at clean-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    /// Stop at once, dropping in-flight data.
    Cancel,
    /// Stop reading, finish what is in flight, then stop.
    Drain,
}

/// Stops the job (if any) and waits up to `wait` for it to end, then deletes
/// what the manifest lists, newest first. Only resources Sluice created are
/// touched; one already gone counts as deleted. The manifest is removed once
/// nothing is left.
pub async fn cleanup(
    client: &Client,
    store: &ManifestStore,
    m: &mut Manifest,
    stop: Stop,
    wait: Duration,
    poll: Duration,
) -> Result<Cleanup, GcpError> {
    let mut job_state = None;
    if let Some(job_id) = m.job_id.clone() {
        let get = job_request(
            m,
            &job_id,
            "",
            "GET",
            "dataflow.projects.locations.jobs.get",
        );
        let (job, gone) = match client.send(&get).await {
            Ok(job) => (job, false),
            // Google no longer knows the job (deleted with its project's history).
            Err(e) if e.not_found() => (Value::Null, true),
            Err(e) => return Err(e),
        };
        let mut state = if gone {
            JobState::Unknown
        } else {
            JobState::parse(job["currentState"].as_str().unwrap_or_default())
        };
        if !gone && !state.is_terminal() {
            let current = state;
            let requested = match stop {
                Stop::Cancel => JobState::Cancelled,
                Stop::Drain if current.can_drain() => JobState::Drained,
                Stop::Drain => {
                    return Err(GcpError {
                        call: "cleanup".into(),
                        resource: format!("job {} ({job_id})", m.job_name),
                        status: None,
                        message: format!(
                            "the job is {}: Dataflow can only resume or cancel it, not drain it; clean up with cancel",
                            current.label()
                        ),
                    });
                }
            };
            let update = Request {
                body: Some(serde_json::json!({"requestedState": requested.as_str()})),
                ..job_request(
                    m,
                    &job_id,
                    "",
                    "PUT",
                    "dataflow.projects.locations.jobs.update",
                )
            };
            client.send(&update).await?;
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                let job = client.send(&get).await?;
                state = JobState::parse(job["currentState"].as_str().unwrap_or_default());
                if m.history.last().map(|c| c.state) != Some(state) {
                    m.history.push(StateChange {
                        state,
                        time: job["currentStateTime"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    });
                    let _ = store.save(m);
                }
                if state.is_terminal() {
                    break;
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(GcpError {
                        call: "cleanup".into(),
                        resource: format!("job {} ({job_id})", m.job_name),
                        status: None,
                        message: format!(
                            "the job is still {state} after {wait:?}; nothing was deleted yet: clean up again once it has stopped"
                        ),
                    });
                }
                tokio::time::sleep(poll).await;
            }
        }
        job_state = Some(state);
    }
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    for resource in m.created.clone().iter().rev() {
        // Still Sluice's? Someone may have deleted it and made another of the same name.
        match client.send(&resource.get_request()).await {
            Err(e) if e.not_found() => deleted.push(resource.clone()),
            Err(e) => kept.push((resource.clone(), e.to_string())),
            Ok(found) if found["labels"][LABEL].as_str() != Some(m.job_name.as_str()) => {
                kept.push((
                    resource.clone(),
                    format!(
                        "its {LABEL} label is not {}: it is not the one Sluice created, so it stays",
                        m.job_name
                    ),
                ));
            }
            Ok(_) => match client.send(&resource.delete_request()).await {
                Ok(_) => deleted.push(resource.clone()),
                Err(e) if e.not_found() => deleted.push(resource.clone()),
                Err(e) => kept.push((resource.clone(), e.to_string())),
            },
        }
        m.created.retain(|r| !deleted.contains(r));
        let _ = store.save(m);
    }
    if kept.is_empty() {
        let _ = store.remove(m);
    }
    Ok(Cleanup {
        job_state,
        deleted,
        kept,
    })
}

/// Deletes what a failed apply created (there is no job yet).
pub async fn rollback(
    client: &Client,
    store: &ManifestStore,
    m: &mut Manifest,
) -> Result<Cleanup, GcpError> {
    cleanup(
        client,
        store,
        m,
        Stop::Cancel,
        Duration::ZERO,
        Duration::ZERO,
    )
    .await
}
