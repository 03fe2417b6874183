//! The JSON the server answers and the page reads, as the types both use: the
//! server builds and serializes these, the page deserializes them, so a field one
//! side renames or retypes is a compile error on the other. Job states are
//! [`JobState`], never strings.
//!
//! The local target's types live here too: the local target is a deploy target,
//! and this crate is the one the server, `sluice-local` and the page all build.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::deploy::{Endpoints, Resource, StepStatus};
use crate::job_state::JobState;

/// A job's state and when it began (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    /// The state.
    pub state: JobState,
    /// When the job entered it.
    pub time: String,
}

// ---- requests ----------------------------------------------------------------------

/// What to deploy where (`POST /api/deploy/plan` and `/api/deploy/apply`, and
/// `sluice deploy`): the query, its catalog, and the target's names (any left out
/// take the defaults of `Target::for_query`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployRequest {
    /// The query text.
    pub query: String,
    /// The catalog JSON; the reference scenario's when absent.
    #[serde(default)]
    pub catalog: Option<Value>,
    /// The Google Cloud project.
    pub project: String,
    /// The Dataflow region.
    pub region: String,
    /// The job's name.
    #[serde(default)]
    pub job_name: Option<String>,
    /// The destination dataset.
    #[serde(default)]
    pub dataset: Option<String>,
    /// The destination table.
    #[serde(default)]
    pub table: Option<String>,
    /// The destination topic.
    #[serde(default)]
    pub topic: Option<String>,
}

/// How to clean a deployment up (`POST /api/jobs/{project}/{job}/cleanup`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanupRequest {
    /// Drain the job (finish what it read) instead of cancelling it.
    #[serde(default)]
    pub drain: bool,
}

/// How a local job's source tables are generated (when they are not there yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    /// Customers `1..=N`.
    pub customers: u64,
    /// Batch orders.
    pub orders: u64,
    /// The seed.
    pub seed: u64,
    /// Open, Closed, Cancelled weights of the batch orders.
    pub status_mix: [u32; 3],
}

/// A job to deploy on the local target (`POST /api/local/deploy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalDeployRequest {
    /// The query text.
    pub query: String,
    /// The catalog JSON; the reference scenario's when absent.
    #[serde(default)]
    pub catalog: Option<Value>,
    /// The job's name.
    pub job_name: String,
    /// How the source tables are generated; the generator's defaults when absent.
    #[serde(default)]
    pub generated: Option<Generated>,
}

/// Start or stop the local order generator (`POST /api/local/generator`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorRequest {
    /// Whether it should publish.
    pub running: bool,
    /// How (when it should); the defaults when absent.
    #[serde(flatten)]
    pub settings: Option<GeneratorSettings>,
}

/// A read-only SQL statement on the local database (`POST /api/local/sql`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlRequest {
    /// The statement.
    pub sql: String,
    /// The most rows to answer with.
    #[serde(default = "thousand")]
    pub max_rows: usize,
}

fn thousand() -> usize {
    1000
}

// ---- answers to every call -------------------------------------------------------

/// The body of every failed answer (any status outside 2xx): what went wrong, in
/// words the page shows as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
    /// A refused query's diagnostics (`sluice_sql::Diagnostic::to_json`), when a
    /// query is why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Value>,
}

/// `POST /api/session`: the session cookie is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Always true: a refused call answers an [`ErrorBody`].
    pub session: bool,
}

// ---- deploying to Dataflow --------------------------------------------------------

/// `POST /api/deploy/apply` was accepted: the deployment runs in the background
/// and is polled at `GET /api/jobs/{project}/{job_name}/operation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applying {
    /// The project it deploys to.
    pub project: String,
    /// The job's name (the request's, or the default for the query).
    pub job_name: String,
}

/// `POST /api/jobs/{project}/{job}/cleanup` was accepted: the clean-up runs in the
/// background, polled like a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupStarted {
    /// Always true.
    pub started: bool,
}

/// One deployment Sluice recorded (`GET /api/jobs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedJob {
    /// Its project.
    pub project: String,
    /// Its region.
    pub region: String,
    /// Its job name.
    pub job_name: String,
    /// Dataflow's job id, once the launch answered with one.
    pub job_id: Option<String>,
    /// The job's page in the Cloud console, when there is a job id.
    pub console_url: Option<String>,
    /// What the deployment created, described (`topic projects/p/topics/t`).
    pub created: Vec<String>,
}

/// `POST /api/catalog/load`: the project whose topics and tables become the
/// catalog's sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogLoadRequest {
    /// The project id.
    pub project: String,
}

/// The answer to `POST /api/catalog/load`: the project's topics and tables as a
/// catalog (`Catalog::to_json`), what was left out and why, and when it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectCatalog {
    /// The project read.
    pub project: String,
    /// Its sources, as catalog JSON.
    pub catalog: Value,
    /// What was left out or left open, and why.
    pub notes: Vec<String>,
    /// When it was read (RFC 3339).
    pub loaded_at: String,
    /// The SQL names of the topics whose fields came from their Pub/Sub schema
    /// (they replace a topic's fields when merged; other topics keep theirs).
    #[serde(default)]
    pub typed_topics: Vec<String>,
}

/// `POST /api/catalog/sample`: a topic's messages to sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    /// The project id.
    pub project: String,
    /// The topic's id.
    pub topic: String,
    /// At most this many messages (the server caps it).
    pub max_messages: usize,
    /// For at most this many seconds (the server caps it).
    pub seconds: u64,
    /// Replay the messages the topic retained from this many minutes ago first.
    #[serde(default)]
    pub replay_minutes: Option<u64>,
}

/// One sampled message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampledMessage {
    /// When Pub/Sub received it (RFC 3339).
    pub publish_time: String,
    /// Its data as text (UTF-8; anything else is left out with a note).
    pub data: String,
}

/// The answer to `POST /api/catalog/sample`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSample {
    /// `projects/p/topics/t`.
    pub topic: String,
    /// The messages, in the order Pub/Sub delivered them.
    pub messages: Vec<SampledMessage>,
    /// What was left out or left behind, and why.
    pub notes: Vec<String>,
    /// When the sample was taken (RFC 3339).
    pub sampled_at: String,
}

/// `POST /api/catalog/rows`: one page of a BigQuery table's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowsRequest {
    /// The project id.
    pub project: String,
    /// The dataset's id.
    pub dataset: String,
    /// The table's id.
    pub table: String,
    /// At most this many rows (the server caps a page at `rows::PAGE_ROWS`).
    pub max_rows: u32,
    /// The page to read, from the answer before; the first page without one.
    #[serde(default)]
    pub page_token: Option<String>,
    /// Only the rows this `WHERE` condition keeps (a query, which is billed);
    /// none: the stored rows as they are (`tabledata.list`, free).
    #[serde(default)]
    pub filter: Option<String>,
    /// For a filter's first page: the most rows the query returns in all (its
    /// `LIMIT`, as estimated); `max_rows` is one page's. Without it, `max_rows`.
    #[serde(default)]
    pub limit: Option<u32>,
    /// For a filter's first page: the most bytes the query may bill (the
    /// estimate the user saw); BigQuery fails it rather than bill more.
    #[serde(default)]
    pub max_bytes_billed: Option<u64>,
    /// For a filter's later pages: the query job the first page came from.
    #[serde(default)]
    pub job: Option<crate::rows::QueryJob>,
}

/// `POST /api/catalog/estimate`: what reading a table's rows with a filter would
/// bill, from a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// The project id.
    pub project: String,
    /// The dataset's id.
    pub dataset: String,
    /// The table's id.
    pub table: String,
    /// The `WHERE` condition.
    pub filter: String,
    /// At most this many rows (the query's `LIMIT`).
    pub max_rows: u32,
}

/// The answer to `POST /api/catalog/estimate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryEstimate {
    /// The query that would run.
    pub query: String,
    /// The bytes it would process.
    pub bytes_processed: u64,
    /// What on-demand pricing would bill (`rows::Estimate`); the query runs with
    /// this as its limit.
    pub bytes_billed: u64,
}

/// The answer to `POST /api/catalog/rows`: a page of rows as plain JSON objects
/// (`rows::rows_page`), read with `tabledata.list`, which bills no bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRows {
    /// `project.dataset.table`.
    pub table: String,
    /// The table's schema when the page was read (schema JSON: a list of fields).
    pub schema: Value,
    /// The page's rows.
    pub rows: Vec<Value>,
    /// How many rows the table holds, when BigQuery says.
    pub total_rows: Option<u64>,
    /// The next page's token; none after the last page.
    pub page_token: Option<String>,
    /// When the page was read (RFC 3339).
    pub read_at: String,
    /// The query job a filtered sample reads its pages from.
    #[serde(default)]
    pub job: Option<crate::rows::QueryJob>,
    /// What the query billed, when BigQuery said.
    #[serde(default)]
    pub bytes_billed: Option<u64>,
}

/// Where the server deploys by default (`GET /api/deploy/config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultTarget {
    /// Google Cloud: the server has credentials or an endpoint for it.
    Gcp,
    /// The local target inside the server.
    Local,
}

/// The deploy API's configuration, as the page needs it (`GET /api/deploy/config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployConfig {
    /// Where a deploy goes unless the page chooses.
    pub target: DefaultTarget,
    /// Where the server's Google credentials come from, if it has any.
    pub credentials: Option<String>,
    /// How to give the server credentials.
    pub credentials_help: String,
    /// Where Google's APIs are.
    pub endpoints: Endpoints,
    /// Where the server keeps its deployments' records.
    pub state_dir: String,
}

/// What an operation does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationKind {
    /// Apply a deploy plan.
    #[default]
    Apply,
    /// Stop the job and delete what Sluice created.
    Cleanup,
    /// Delete what a failed apply created.
    Rollback,
}

/// How one step of an apply stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    /// The step's title.
    pub title: String,
    /// The HTTP method it calls.
    pub method: String,
    /// The URL it calls, at the server's endpoints.
    pub url: String,
    /// Waiting, running, done or failed.
    pub status: StepStatus,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// What it found or made, for people.
    pub detail: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A resource an apply created, with its description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedResource {
    /// The resource.
    pub resource: Resource,
    /// `topic projects/p/topics/t`.
    pub describe: String,
}

/// An apply, clean-up or rollback in progress or finished, as the page polls it
/// (`GET /api/jobs/{project}/{job}/operation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// What it does.
    pub kind: OperationKind,
    /// An apply's steps (none for a clean-up).
    pub steps: Vec<StepState>,
    /// Whether it ended.
    pub finished: bool,
    /// The launched job's id.
    pub job_id: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// What a failed apply created before it failed (a rollback deletes these).
    pub created: Vec<CreatedResource>,
    /// What a clean-up did.
    pub cleanup: Option<Cleanup>,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Sluice created the resource (and will delete it at clean-up).
    Created,
    /// It was there already; Sluice leaves it alone.
    AlreadyExisted,
    /// The check passed.
    Checked,
    /// An active job of that name runs already: nothing to launch.
    FoundJob {
        /// Its id.
        job_id: String,
    },
    /// No active job of that name.
    NoJob,
    /// The job was launched.
    Launched {
        /// Its id.
        job_id: String,
    },
    /// Not needed (the job runs already).
    Skipped,
}

/// What a clean-up did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cleanup {
    /// The job's final state, if there was a job.
    pub job_state: Option<JobState>,
    /// Resources deleted.
    pub deleted: Vec<Resource>,
    /// Resources that could not be deleted, with why (the manifest keeps them).
    pub kept: Vec<(Resource, String)>,
}

/// A Dataflow job's page: its state, per-step element counts and messages
/// (`GET /api/jobs/{project}/{job}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataflowJob {
    /// The job's name.
    pub job_name: String,
    /// Its id; `None` when the deployment never launched it (then `state` is
    /// `Unknown` and there is nothing to watch).
    pub job_id: Option<String>,
    /// Its state.
    pub state: JobState,
    /// When the job entered it (RFC 3339).
    pub state_time: String,
    /// Every state seen, oldest first.
    pub history: Vec<StateChange>,
    /// Elements each step output so far, by step name.
    pub elements: Vec<(String, i64)>,
    /// The job's messages, oldest first: (time, importance, text).
    pub messages: Vec<(String, String, String)>,
    /// The job in the Cloud console.
    pub console_url: Option<String>,
    /// What Sluice created for it.
    pub created: Vec<Resource>,
    /// Messages and rows the pipeline sent to its dead-letter table so far (the
    /// elements of its `DeadLetters…` steps).
    pub dead_letters: i64,
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

/// `POST /api/local/jobs/{name}/cancel` or `/drain` was accepted: the job stops
/// in the background (its page says when).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopping {
    /// Always true.
    pub stopping: bool,
}

/// What a local topic answers to `POST /api/local/topics/{topic}:publish`: the
/// shape of Pub/Sub's `PublishResponse` (`crates/sluice-fake-gcp/discovery/pubsub.v1.json`, schema
/// `PublishResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The messages' ids, in the order they were sent.
    #[serde(rename = "messageIds")]
    pub message_ids: Vec<String>,
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
    fn operations_and_job_pages_keep_the_shape_the_page_reads() {
        let op = Operation {
            kind: OperationKind::Rollback,
            finished: true,
            cleanup: Some(Cleanup {
                job_state: Some(JobState::Cancelled),
                deleted: vec![],
                kept: vec![],
            }),
            ..Operation::default()
        };
        let json = serde_json::to_value(&op).expect("serializes");
        assert_eq!(json["kind"], "rollback");
        assert_eq!(json["cleanup"]["job_state"], "JOB_STATE_CANCELLED");
        assert_eq!(serde_json::from_value::<Operation>(json).ok(), Some(op));
        // A state newer than Sluice's list reads as Unknown rather than failing the page.
        let job: DataflowJob = serde_json::from_value(serde_json::json!({
            "job_name": "j", "job_id": "2026-12-01_1", "state": "JOB_STATE_SOMETHING_NEW",
            "state_time": "", "history": [{"state": "JOB_STATE_RUNNING", "time": "t"}],
            "elements": [["ReadOrders", 3]], "messages": [], "console_url": null,
            "created": [], "dead_letters": 0,
        }))
        .expect("a job page");
        assert_eq!(job.state, JobState::Unknown);
        assert_eq!(job.history[0].state, JobState::Running);
    }

    #[test]
    fn generator_settings_take_their_defaults_and_refuse_unknown_fields() {
        let s: GeneratorSettings = serde_json::from_str("{}").expect("all defaults");
        assert_eq!(s, GeneratorSettings::default());
        assert!(serde_json::from_str::<GeneratorSettings>(r#"{"pace": 2}"#).is_err());
    }
}
