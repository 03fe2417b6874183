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
pub mod complete;
pub mod diagnostics;
pub mod format;
pub mod functions;
pub mod infer;
pub mod literal;
pub mod parse;
mod places;
pub mod plan;
pub mod reference;
pub mod schema;
pub mod types;

pub use analyze::{Analysis, analyze};
pub use catalog::Catalog;
pub use diagnostics::{Diagnostic, Severity, Span};
pub use parse::{ParseError, parse};
pub use plan::Plan;

#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_tests {
    //! The same analysis in the browser: results and stack safety on wasm's 1 MiB stack.
    use wasm_bindgen_test::*;
    wasm_bindgen_test_configure!(run_in_browser);

    use crate::{Catalog, Severity, analyze};

    const TOPIC: &str = "pubsub.topic.`demobox-313313`.orders";

    fn errors(sql: &str) -> Vec<String> {
        analyze(sql, &Catalog::reference())
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{} {}:{}", d.code, d.span.start.line, d.span.start.column))
            .collect()
    }

    #[wasm_bindgen_test]
    fn the_reference_query_analyzes_in_the_browser() {
        let analysis = analyze(crate::reference::QUERY, &Catalog::reference());
        assert!(
            analysis.diagnostics.is_empty(),
            "{:?}",
            analysis.diagnostics
        );
        let plan = analysis.plan.expect("a plan");
        assert_eq!(plan.output_schema().len(), 6);
        assert!(
            plan.explain()
                .contains("Join: INNER keys=[customer_id#1 = customer_id#0]")
        );
    }

    #[wasm_bindgen_test]
    fn ten_thousand_parentheses_give_a_diagnostic_in_the_browser() {
        let sql = format!(
            "SELECT {}amount{} FROM {TOPIC}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert_eq!(errors(&sql).len(), 1);
    }

    #[wasm_bindgen_test]
    fn the_longest_operator_chain_analyzes_in_the_browser() {
        let chain = "amount + ".repeat(crate::parse::MAX_OPERATOR_CHAIN);
        let grouped = format!(
            "SELECT customer_id, SUM({chain}amount) AS s FROM bigquery.table.`demobox-313313`.ecommerce.orders GROUP BY 1"
        );
        assert!(errors(&grouped).is_empty());
    }

    #[wasm_bindgen_test]
    fn a_one_megabyte_query_gives_a_diagnostic_in_the_browser() {
        let sql = crate::reference::generated_query(1_000_000, "nope");
        let line = sql.lines().count() - 1;
        assert_eq!(errors(&sql), vec![format!("unknown-column {line}:3")]);
    }
}
