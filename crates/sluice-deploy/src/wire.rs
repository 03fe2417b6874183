//! The JSON the server answers and the page reads, as the types both use: the
//! server builds and serializes these, the page deserializes them, so a field one
//! side renames or retypes is a compile error on the other. Job states are
//! [`JobState`], never strings.
//!
//! The local target's types live here too: the local target is a deploy target,
//! and this crate is the one the server, `sluice-local` and the page all build.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::job_state::JobState;

/// A job's state and when it began (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    /// The state.
    pub state: JobState,
    /// When the job entered it.
    pub time: String,
}

/// Something a local job created (and its clean-up deletes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocalResource {
    /// A local topic and its messages.
    Topic {
        /// Its name.
        name: String,
    },
    /// A local table.
    Table {
        /// Its name, `dataset.table`.
        name: String,
    },
}

impl LocalResource {
    /// `topic orders`, `table sluice.job`.
    pub fn describe(&self) -> String {
        match self {
            Self::Topic { name } => format!("topic {name}"),
            Self::Table { name } => format!("table {name}"),
        }
    }
}

/// A local job's page: `GET /api/local/jobs/{name}`, and the answer to a deploy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalJob {
    /// Its name.
    pub name: String,
    /// Running, draining, drained, cancelled or failed.
    pub state: JobState,
    /// Every state with its time, oldest first.
    pub history: Vec<StateChange>,
    /// The job's log: `(time, line)`, oldest first.
    pub log: Vec<(String, String)>,
    /// What the job created.
    pub created: Vec<LocalResource>,
    /// The destination table.
    pub table: String,
    /// The destination topic.
    pub topic: String,
    /// The topics it reads.
    pub sources: Vec<String>,
    /// Messages published to its sources and not yet processed.
    pub backlog: i64,
    /// Counters of the run (when it runs in this server).
    pub live: Option<Live>,
}

/// What the page shows of a running local job, updated after every batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Live {
    /// Messages read (replayed ones included).
    pub events: u64,
    /// Rows written to the destination table (this run and before).
    pub rows: u64,
    /// The committed position in the log.
    pub position: i64,
    /// Per operator: (kind, label, rows in, rows out, dropped).
    pub operators: Vec<(String, String, u64, u64, u64)>,
    /// Events per second over the last few seconds.
    pub events_per_second: f64,
    /// Messages that could not be read as rows of the topic's schema.
    pub bad_messages: u64,
}

/// What a local clean-up deleted, and what it kept with why
/// (`POST /api/local/jobs/{name}/cleanup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalCleaned {
    /// What was deleted, described (`topic orders-results`).
    pub deleted: Vec<String>,
    /// What was kept, described, with why.
    pub kept: Vec<(String, String)>,
}

/// The answer to a read-only SQL statement on the local database
/// (`POST /api/local/sql`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, as JSON values.
    pub rows: Vec<Vec<Value>>,
    /// Whether more rows were left out.
    pub truncated: bool,
}

/// How the local order generator runs (`POST /api/local/generator` takes these
/// with `running`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSettings {
    /// The topic to publish to.
    #[serde(default = "default_topic")]
    pub topic: String,
    /// How many times the seed's pace (1: an order every 1–4 s).
    #[serde(default = "one")]
    pub speed: f64,
    /// Customer ids are drawn from 1..N-1.
    #[serde(default = "hundred")]
    pub customer_range: u64,
    /// The seed.
    #[serde(default)]
    pub seed: u64,
    /// Open, Closed, Cancelled weights.
    #[serde(default = "all_open")]
    pub status_mix: [u32; 3],
}

fn default_topic() -> String {
    "orders".into()
}
fn one() -> f64 {
    1.0
}
fn hundred() -> u64 {
    100
}
fn all_open() -> [u32; 3] {
    [100, 0, 0]
}

impl Default for GeneratorSettings {
    fn default() -> Self {
        Self {
            topic: default_topic(),
            speed: one(),
            customer_range: hundred(),
            seed: 0,
            status_mix: all_open(),
        }
    }
}

/// The local order generator (`GET /api/local/generator`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorStatus {
    /// Whether it publishes.
    pub running: bool,
    /// Messages it published since the server started.
    pub published: u64,
    /// How it runs (or last ran); `None` before it first ran.
    pub settings: Option<GeneratorSettings>,
}

/// One message of a local topic (`GET /api/local/topics/{topic}/messages` and the
/// topic's server-sent events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicMessage {
    /// Its position in the log.
    pub seq: i64,
    /// When it was published (RFC 3339).
    pub publish_time: String,
    /// Its data, as text.
    pub data: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_job_reads_back_what_it_wrote_with_its_states_typed() {
        let job = LocalJob {
            name: "j".into(),
            state: JobState::Draining,
            history: vec![StateChange {
                state: JobState::Running,
                time: "2026-12-01T10:00:00Z".into(),
            }],
            log: vec![("2026-12-01T10:00:00Z".into(), "started".into())],
            created: vec![LocalResource::Table {
                name: "sluice.j".into(),
            }],
            table: "sluice.j".into(),
            topic: "j-results".into(),
            sources: vec!["orders".into()],
            backlog: 3,
            live: Some(Live::default()),
        };
        let json = serde_json::to_value(&job).expect("serializes");
        assert_eq!(json["state"], "JOB_STATE_DRAINING");
        assert_eq!(json["history"][0]["state"], "JOB_STATE_RUNNING");
        assert_eq!(json["created"][0]["kind"], "table");
        assert_eq!(serde_json::from_value::<LocalJob>(json).ok(), Some(job));
    }

    #[test]
    fn generator_settings_take_their_defaults_and_refuse_unknown_fields() {
        let s: GeneratorSettings = serde_json::from_str("{}").expect("all defaults");
        assert_eq!(s, GeneratorSettings::default());
        assert!(serde_json::from_str::<GeneratorSettings>(r#"{"pace": 2}"#).is_err());
    }
}
