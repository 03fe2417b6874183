//! Deploying Sluice queries to Google Cloud: compiles a `sluice-sql` plan into a
//! Beam YAML pipeline (launched through Google's `Yaml_Template` flex template),
//! talks to the Pub/Sub, BigQuery and Dataflow REST APIs, monitors the job and
//! cleans up exactly what it created.
//!
//! Boundary: native only (it does network I/O); the compilation half is pure
//! functions so it can be tested without Google.
