//! Deploying Sluice queries to Google Cloud: compiles a `sluice-sql` plan into a
//! Beam YAML pipeline (launched through Google's `Yaml_Template` flex template),
//! talks to the Pub/Sub, BigQuery and Dataflow REST APIs, monitors the job and
//! cleans up exactly what it created.
//!
//! Boundary: the compilation half ([`beam_sql`], [`pipeline`], [`deploy`]'s
//! plan) is pure functions, tested without Google, and builds for wasm; the
//! client and the executor ([`gcp`], [`apply`], feature `cloud`) are native.

pub mod avro;
pub mod beam_sql;
pub mod deploy;
pub mod job_state;
pub mod pipeline;
pub mod project;
pub mod python;
pub mod rows;
pub mod sample;
pub mod target;
pub mod wire;

#[cfg(feature = "cloud")]
pub mod apply;
#[cfg(feature = "cloud")]
pub mod gcp;
#[cfg(feature = "cloud")]
pub mod proto;

pub use deploy::{DeployPlan, Endpoints, StepStatus};
pub use job_state::JobState;
pub use pipeline::{Compiled, Target, compile};
