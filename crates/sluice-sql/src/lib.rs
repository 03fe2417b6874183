//! The SQL front end of Sluice: text in, typed plan and diagnostics out.
//!
//! `sluice-sql` owns everything between the analyst's query text and the logical
//! plan that the engine (`sluice-engine`) runs and the cloud compiler
//! (`sluice-deploy`) translates: the catalog of sources, parsing with
//! sqlparser's BigQuery dialect, semantic analysis, diagnostics with exact
//! spans, and the logical plan.
//!
//! Boundary: this crate does no I/O (no files, no network, no clock) and builds
//! for both native targets and `wasm32-unknown-unknown`, so that the browser and
//! the CLI run the very same analysis.
//!
//! ```
//! let statements = sluice_sql::parse(sluice_sql::reference::QUERY).expect("the reference query parses");
//! assert_eq!(statements.len(), 1);
//! ```

pub mod analyze;
pub mod catalog;
pub mod diagnostics;
pub mod functions;
pub mod parse;
pub mod plan;
pub mod reference;
pub mod schema;
pub mod types;

pub use analyze::{Analysis, analyze};
pub use catalog::Catalog;
pub use diagnostics::{Diagnostic, Severity, Span};
pub use parse::{ParseError, parse};
pub use plan::Plan;
