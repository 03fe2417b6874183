//! Dataflow jobs in the fake: their states moving with time, and their JSON.

use super::*;

/// Moves a job along its life as time passes; its current state.
pub(crate) fn advance(job: &mut Job, timing: Timing) -> &str {
    let now = Instant::now();
    let current = job
        .states
        .last()
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    if current == "JOB_STATE_PENDING" && now.duration_since(job.created) >= timing.start {
        job.states
            .push(("JOB_STATE_RUNNING".into(), job.created + timing.start));
    }
    if let Some((requested, at)) = job.requested.clone() {
        let (during, done) = if requested == "JOB_STATE_DRAINED" {
            ("JOB_STATE_DRAINING", "JOB_STATE_DRAINED")
        } else {
            ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
        };
        let last = job
            .states
            .last()
            .map(|(s, _)| s.as_str())
            .unwrap_or_default();
        if !terminal(last) && last != during {
            job.states.push((during.into(), at));
        }
        let last = job
            .states
            .last()
            .map(|(s, _)| s.as_str())
            .unwrap_or_default();
        if last == during && now.duration_since(at) >= timing.stop {
            job.states.push((done.into(), at + timing.stop));
        }
    }
    job.states
        .last()
        .map(|(s, _)| s.as_str())
        .unwrap_or("JOB_STATE_UNKNOWN")
}

pub(crate) fn terminal(state: &str) -> bool {
    matches!(
        state,
        "JOB_STATE_DONE" | "JOB_STATE_FAILED" | "JOB_STATE_CANCELLED" | "JOB_STATE_DRAINED"
    )
}

pub(crate) fn active(state: &str) -> bool {
    !terminal(state)
}

/// RFC 3339 for an instant (relative to now, on the wall clock).
pub(crate) fn rfc3339(at: Instant) -> String {
    let ago = Instant::now().saturating_duration_since(at);
    let wall = std::time::SystemTime::now() - ago;
    let secs = wall
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    // Civil time from the epoch, without a date library: days, then time of day.
    let days = (secs / 86_400.0).floor() as i64;
    let rest = secs - days as f64 * 86_400.0;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:06.3}Z",
        (rest / 3600.0) as u32,
        ((rest % 3600.0) / 60.0) as u32,
        rest % 60.0
    )
}

/// Howard Hinnant's days-to-civil algorithm.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The transform names of a Beam YAML pipeline (the job's steps).
pub(crate) fn pipeline_steps(yaml: &str) -> Vec<String> {
    let Ok(docs) = yaml_rust2::YamlLoader::load_from_str(yaml) else {
        return vec![];
    };
    let Some(doc) = docs.first() else {
        return vec![];
    };
    doc["pipeline"]["transforms"]
        .as_vec()
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t["name"].as_str().or(t["type"].as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn job_json(job: &mut Job, timing: Timing) -> Value {
    let state = advance(job, timing).to_owned();
    let since = job.states.last().map(|(_, at)| *at).unwrap_or(job.created);
    json!({
        "id": job.id,
        "name": job.name,
        "projectId": job.project,
        "location": job.location,
        "type": "JOB_TYPE_STREAMING",
        "currentState": state,
        "currentStateTime": rfc3339(since),
        "createTime": rfc3339(job.created),
        "labels": job.labels,
    })
}

pub(crate) fn find_job<'a>(state: &'a mut State, m: &Matched) -> Option<&'a mut Job> {
    let id = m.param("jobId");
    state.jobs.iter_mut().find(|j| {
        j.id == id && j.project == m.param("projectId") && j.location == m.param("location")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
    }
}
