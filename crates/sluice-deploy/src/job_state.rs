//! A Dataflow job's state: the `JobState` enum of the Dataflow v1b3 discovery
//! document (`Job.currentState`), with what each value means for Sluice. Shared
//! by the deploy executor, the server and the page, so no one matches on strings.

use serde::{Deserialize, Serialize};

/// One value of Dataflow's `JobState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum JobState {
    /// `JOB_STATE_UNKNOWN`: not specified (also: Google no longer knows the job).
    #[serde(rename = "JOB_STATE_UNKNOWN")]
    Unknown,
    /// `JOB_STATE_STOPPED`: created, not yet started to run.
    #[serde(rename = "JOB_STATE_STOPPED")]
    Stopped,
    /// `JOB_STATE_RUNNING`.
    #[serde(rename = "JOB_STATE_RUNNING")]
    Running,
    /// `JOB_STATE_DONE`: completed (terminal).
    #[serde(rename = "JOB_STATE_DONE")]
    Done,
    /// `JOB_STATE_FAILED` (terminal).
    #[serde(rename = "JOB_STATE_FAILED")]
    Failed,
    /// `JOB_STATE_CANCELLED` (terminal).
    #[serde(rename = "JOB_STATE_CANCELLED")]
    Cancelled,
    /// `JOB_STATE_UPDATED`: replaced by another job that inherited its state (terminal).
    #[serde(rename = "JOB_STATE_UPDATED")]
    Updated,
    /// `JOB_STATE_DRAINING`: no longer reading, finishing what is in flight.
    #[serde(rename = "JOB_STATE_DRAINING")]
    Draining,
    /// `JOB_STATE_DRAINED` (terminal).
    #[serde(rename = "JOB_STATE_DRAINED")]
    Drained,
    /// `JOB_STATE_PENDING`: created, not yet running.
    #[serde(rename = "JOB_STATE_PENDING")]
    Pending,
    /// `JOB_STATE_CANCELLING`.
    #[serde(rename = "JOB_STATE_CANCELLING")]
    Cancelling,
    /// `JOB_STATE_QUEUED`: created, delayed until launch.
    #[serde(rename = "JOB_STATE_QUEUED")]
    Queued,
    /// `JOB_STATE_RESOURCE_CLEANING_UP`: a finished batch job's resources being released.
    #[serde(rename = "JOB_STATE_RESOURCE_CLEANING_UP")]
    ResourceCleaningUp,
    /// `JOB_STATE_PAUSING`: stopping processing, to be paused.
    #[serde(rename = "JOB_STATE_PAUSING")]
    Pausing,
    /// `JOB_STATE_PAUSED`: not processing; it may resume or be cancelled.
    #[serde(rename = "JOB_STATE_PAUSED")]
    Paused,
}

impl JobState {
    /// Every state, in the discovery document's order.
    pub const ALL: [Self; 15] = [
        Self::Unknown,
        Self::Stopped,
        Self::Running,
        Self::Done,
        Self::Failed,
        Self::Cancelled,
        Self::Updated,
        Self::Draining,
        Self::Drained,
        Self::Pending,
        Self::Cancelling,
        Self::Queued,
        Self::ResourceCleaningUp,
        Self::Pausing,
        Self::Paused,
    ];

    /// The API's spelling, e.g. `JOB_STATE_RUNNING`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "JOB_STATE_UNKNOWN",
            Self::Stopped => "JOB_STATE_STOPPED",
            Self::Running => "JOB_STATE_RUNNING",
            Self::Done => "JOB_STATE_DONE",
            Self::Failed => "JOB_STATE_FAILED",
            Self::Cancelled => "JOB_STATE_CANCELLED",
            Self::Updated => "JOB_STATE_UPDATED",
            Self::Draining => "JOB_STATE_DRAINING",
            Self::Drained => "JOB_STATE_DRAINED",
            Self::Pending => "JOB_STATE_PENDING",
            Self::Cancelling => "JOB_STATE_CANCELLING",
            Self::Queued => "JOB_STATE_QUEUED",
            Self::ResourceCleaningUp => "JOB_STATE_RESOURCE_CLEANING_UP",
            Self::Pausing => "JOB_STATE_PAUSING",
            Self::Paused => "JOB_STATE_PAUSED",
        }
    }

    /// The state of the API's spelling; anything else (a state newer than this
    /// list) is `Unknown`.
    pub fn parse(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .unwrap_or(Self::Unknown)
    }

    /// The job has ended and will not change again: done, failed, cancelled,
    /// drained, or updated (replaced by another job).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Done | Self::Failed | Self::Cancelled | Self::Drained | Self::Updated
        )
    }

    /// The job exists and has not ended: a second job of the same name must not be
    /// launched, and clean-up must stop it first. `Stopped` (not yet started),
    /// `Pausing` and `Paused` are such states too.
    pub fn is_active(self) -> bool {
        !self.is_terminal() && self != Self::Unknown
    }

    /// Whether Dataflow can drain the job now: a paused or pausing job can only
    /// resume or be cancelled (the `JOB_STATE_PAUSED` description).
    pub fn can_drain(self) -> bool {
        self.is_active() && !matches!(self, Self::Paused | Self::Pausing)
    }

    /// The short name of a state as the API spells it, for badges and tables:
    /// `JOB_STATE_RESOURCE_CLEANING_UP` is `resource_cleaning_up`; a state newer
    /// than this list keeps its own name.
    pub fn short_name(state: &str) -> String {
        state.trim_start_matches("JOB_STATE_").to_ascii_lowercase()
    }

    /// The short name, for badges and tables: `running`, `resource_cleaning_up`.
    pub fn short(self) -> String {
        Self::short_name(self.as_str())
    }

    /// For people: `running`, `resource cleaning up`.
    pub fn label(self) -> String {
        self.as_str()
            .trim_start_matches("JOB_STATE_")
            .replace('_', " ")
            .to_ascii_lowercase()
    }
}

/// Reads the API's spelling; a state newer than this list is `Unknown`.
impl<'de> Deserialize<'de> for JobState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::parse(&s))
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_states_short_name_drops_the_prefix_and_keeps_unknown_ones() {
        assert_eq!(
            JobState::short_name("JOB_STATE_RESOURCE_CLEANING_UP"),
            "resource_cleaning_up"
        );
        assert_eq!(JobState::short_name(JobState::Running.as_str()), "running");
        assert_eq!(JobState::short_name("JOB_STATE_NEWER"), "newer");
    }

    /// The enum is the discovery document's, value for value.
    #[test]
    fn the_states_are_dataflows() {
        let doc: serde_json::Value = serde_json::from_str(include_str!(
            "../../sluice-fake-gcp/discovery/dataflow.v1b3.json"
        ))
        .expect("the discovery document");
        let values: Vec<&str> = doc["schemas"]["Job"]["properties"]["currentState"]["enum"]
            .as_array()
            .expect("the JobState enum")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let ours: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(ours, values);
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), s);
            assert_eq!(
                serde_json::to_value(s).expect("serializes"),
                serde_json::json!(s.as_str())
            );
        }
    }

    #[test]
    fn updated_has_ended_and_stopped_or_paused_have_not() {
        assert!(JobState::Updated.is_terminal());
        assert!(!JobState::Updated.is_active());
        assert!(JobState::Stopped.is_active());
        assert!(JobState::Paused.is_active() && !JobState::Paused.can_drain());
        assert!(JobState::Pausing.is_active());
        assert!(JobState::Running.can_drain());
        assert!(!JobState::Unknown.is_active() && !JobState::Unknown.is_terminal());
        assert_eq!(
            JobState::parse("JOB_STATE_FROM_THE_FUTURE"),
            JobState::Unknown
        );
        assert_eq!(JobState::ResourceCleaningUp.label(), "resource cleaning up");
    }
}
