//! Hostile input: nothing panics, nothing overflows the stack, errors say where.

use proptest::prelude::*;
use sluice_sql::{Catalog, Severity, analyze};

const TOPIC: &str = "pubsub.topic.`demobox-313313`.orders";

fn errors(sql: &str) -> Vec<(String, u64, u64)> {
    analyze(sql, &Catalog::reference())
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.code.to_string(), d.span.start.line, d.span.start.column))
        .collect()
}

#[test]
fn ten_thousand_nested_parentheses_give_a_diagnostic() {
    let sql = format!(
        "SELECT {}amount{} FROM {TOPIC}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let found = errors(&sql);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "syntax-error");
}

#[test]
fn the_longest_allowed_operator_chain_analyzes() {
    let chain = "amount + ".repeat(sluice_sql::parse::MAX_OPERATOR_CHAIN);
    let sql = format!("SELECT {chain}amount AS total FROM {TOPIC}");
    assert!(errors(&sql).is_empty());
    let sql = format!(
        "SELECT {chain}amount AS total FROM {TOPIC} WHERE {}",
        "amount > 1 AND ".repeat(sluice_sql::parse::MAX_OPERATOR_CHAIN / 2 - 1) + "TRUE"
    );
    assert!(errors(&sql).is_empty());
    let grouped = format!(
        "SELECT customer_id, SUM({chain}amount) AS s FROM bigquery.table.`demobox-313313`.ecommerce.orders GROUP BY 1"
    );
    assert_eq!(errors(&grouped), vec![]);
}

#[test]
fn a_one_megabyte_query_gives_a_diagnostic_at_the_end() {
    let sql = sluice_sql::reference::generated_query(1_000_000, "nope");
    let lines = sql.lines().count() as u64;
    assert_eq!(
        errors(&sql),
        vec![("unknown-column".to_string(), lines - 1, 3)]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(sql in "\\PC{0,200}") {
        let _ = analyze(&sql, &Catalog::reference());
    }

    #[test]
    fn sql_shaped_text_never_panics(words in proptest::collection::vec(prop_oneof![
        Just("SELECT"), Just("FROM"), Just("WHERE"), Just("GROUP BY"), Just("HAVING"), Just("ORDER BY"), Just("LIMIT"),
        Just("JOIN"), Just("LEFT JOIN"), Just("ON"), Just("USING"), Just("WITH"), Just("AS"), Just("UNION ALL"),
        Just("("), Just(")"), Just(","), Just("*"), Just("="), Just("+"), Just("AND"), Just("OR"), Just("NOT"),
        Just("NULL"), Just("1"), Just("2.5"), Just("'Open'"), Just("\"INTERVAL 1 MINUTE\""), Just("amount"),
        Just("customer_id"), Just("o.customer_id"), Just("o"), Just("ec"), Just("event_timestamp"),
        Just("window_start"), Just("SUM(amount)"), Just("COUNT(*)"), Just("TUMBLE"), Just("DESCRIPTOR(event_timestamp)"),
        Just("pubsub.topic.`demobox-313313`.orders"), Just("bigquery.table.`demobox-313313`.ecommerce.orders"),
        Just("CASE WHEN"), Just("THEN"), Just("ELSE"), Just("END"), Just("IN"), Just("BETWEEN"), Just("CAST("),
        Just("INT64"), Just("IS NULL"), Just("DISTINCT"), Just("TABLE"), Just("INTERVAL 1 MINUTE"),
    ], 0..40)) {
        let sql = words.join(" ");
        let analysis = analyze(&sql, &Catalog::reference());
        // Every diagnostic points inside the text.
        let lines = sql.lines().count().max(1) as u64;
        for d in &analysis.diagnostics {
            prop_assert!(d.span.start.line >= 1 && d.span.start.line <= lines, "{d:?} in {sql}");
            prop_assert!(d.span.start.column >= 1, "{d:?} in {sql}");
        }
        // A plan exists exactly when there are no errors.
        prop_assert_eq!(analysis.plan.is_some(), !analysis.has_errors());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// Completion answers for any text and any cursor, replacing text that ends at
    /// the cursor.
    #[test]
    fn completion_never_panics(sql in "\\PC{0,120}", at in 0usize..200) {
        let c = sluice_sql::complete::complete(&sql, at, &Catalog::reference());
        prop_assert!(c.from <= at.min(sql.len()), "from {} at {at} in {sql:?}", c.from);
        prop_assert!(sql.is_char_boundary(c.from));
    }

    /// Formatting never panics, is idempotent, and keeps the analysis.
    #[test]
    fn formatting_keeps_the_analysis(words in proptest::collection::vec(prop_oneof![
        Just("SELECT"), Just("FROM"), Just("WHERE"), Just("GROUP BY"), Just("HAVING"), Just("ORDER BY"),
        Just("LIMIT"), Just("JOIN"), Just("ON"), Just("USING"), Just("WITH"), Just("AS"), Just("("), Just(")"),
        Just(","), Just("*"), Just("="), Just("-"), Just("AND"), Just("OR"), Just("BETWEEN"), Just("1"),
        Just("'it''s'"), Just("amount"), Just("o.customer_id"), Just("o"), Just("SUM(amount)"), Just("-- note\n"),
        Just("pubsub.topic.`demobox-313313`.orders"), Just("CASE WHEN"), Just("THEN"), Just("END"), Just(";"),
    ], 0..30)) {
        let sql = words.join(" ");
        let once = sluice_sql::format::format(&sql);
        prop_assert_eq!(sluice_sql::format::format(&once), once.clone(), "not idempotent: {}", sql);
        let catalog = Catalog::reference();
        let (before, after) = (analyze(&sql, &catalog), analyze(&once, &catalog));
        prop_assert_eq!(before.plan.map(|p| p.explain()), after.plan.map(|p| p.explain()), "{}\n---\n{}", sql, once);
        prop_assert_eq!(before.diagnostics.len(), after.diagnostics.len(), "{}\n---\n{}", sql, once);
    }
}
