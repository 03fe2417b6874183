//! Deploying Sluice queries to Google Cloud: compiles a `sluice-sql` plan into a
//! Beam YAML pipeline (launched through Google's `Yaml_Template` flex template),
//! talks to the Pub/Sub, BigQuery and Dataflow REST APIs, monitors the job and
//! cleans up exactly what it created.
//!
//! Boundary: the compilation half ([`beam_sql`], [`pipeline`]) is pure functions,
//! tested without Google.

pub mod beam_sql;
pub mod pipeline;

pub use pipeline::{Compiled, Target, compile};
