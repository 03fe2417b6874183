//! Snapshots of `sluice check`'s human rendering: a reviewer sees any change as a diff.

use sluice_sql::{Catalog, analyze, diagnostics::render_human};

fn render(sql: &str) -> String {
    let analysis = analyze(sql, &Catalog::reference());
    render_human("query.sql", sql, &analysis.diagnostics)
}

#[test]
fn unknown_column_with_suggestion() {
    insta::assert_snapshot!(render(
        "SELECT o.custmer_id, amount\nFROM pubsub.topic.`demobox-313313`.orders o\nWHERE amount > 600"
    ));
}

#[test]
fn several_independent_errors() {
    insta::assert_snapshot!(render(
        "SELECT nope, UPER(order_status)\nFROM pubsub.topic.`demobox-313313`.orders\nWHERE amount = NULL AND missing > 3"
    ));
}

#[test]
fn unwindowed_aggregate_on_a_stream() {
    insta::assert_snapshot!(render(
        "SELECT customer_id, SUM(amount) AS total\nFROM pubsub.topic.`demobox-313313`.orders\nGROUP BY customer_id"
    ));
}

#[test]
fn retracting_outer_join() {
    insta::assert_snapshot!(render(
        "SELECT c.name, o.amount\nFROM bigquery.table.`demobox-313313`.ecommerce.customers c\nLEFT JOIN pubsub.topic.`demobox-313313`.orders o ON c.customer_id = o.customer_id"
    ));
}

#[test]
fn syntax_error_at_the_end() {
    insta::assert_snapshot!(render(
        "SELECT amount\nFROM pubsub.topic.`demobox-313313`.orders\nWHERE amount >"
    ));
}

#[test]
fn unknown_source_with_suggestion() {
    insta::assert_snapshot!(render("SELECT *\nFROM pubsub.topic.`demobox-313313`.order"));
}

#[test]
fn the_reference_query_is_clean() {
    insta::assert_snapshot!(render(sluice_sql::reference::QUERY));
}

#[test]
fn the_reference_plan() {
    let analysis = analyze(sluice_sql::reference::QUERY, &Catalog::reference());
    insta::assert_snapshot!(
        analysis
            .plan
            .expect("the reference query analyzes")
            .explain()
    );
}
