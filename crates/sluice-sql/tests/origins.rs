//! Every expression of the plan knows where it was written: the text at each
//! select expression's origin is the expression as the query spells it, keywords,
//! parentheses and all, through coercions the analyzer adds and across lines.

use sluice_sql::plan::{Expr, Plan};
use sluice_sql::{Catalog, Span, analyze};

const ORDERS: &str = "pubsub.topic.`demobox-313313`.orders";
const TABLE: &str = "bigquery.table.`demobox-313313`.ecommerce.orders";

/// The text `span` covers (lines and columns count characters from 1).
fn text_at(query: &str, span: Span) -> String {
    let lines: Vec<Vec<char>> = query.lines().map(|l| l.chars().collect()).collect();
    let mut out = String::new();
    for line in span.start.line..=span.end.line {
        let chars = &lines[line as usize - 1];
        let from = if line == span.start.line {
            span.start.column as usize - 1
        } else {
            0
        };
        let to = if line == span.end.line {
            span.end.column as usize - 1
        } else {
            chars.len()
        };
        out.extend(&chars[from..to]);
        if line != span.end.line {
            out.push('\n');
        }
    }
    out
}

/// The select expressions of the query's top projection.
fn projection(query: &str) -> Vec<Expr> {
    let analysis = analyze(query, &Catalog::reference());
    assert!(
        !analysis.has_errors(),
        "{query}: {:?}",
        analysis.diagnostics
    );
    let mut plan = analysis.plan.expect("a plan");
    loop {
        match plan {
            Plan::Project { exprs, .. } => return exprs,
            Plan::Filter { input, .. } | Plan::Sort { input, .. } | Plan::Limit { input, .. } => {
                plan = *input
            }
            other => panic!("no projection on top: {other:?}"),
        }
    }
}

fn written(query: &str) -> Vec<String> {
    projection(query)
        .iter()
        .map(|e| match e.origin().span() {
            Some(span) => text_at(query, span),
            None => format!("<nowhere: {e}>"),
        })
        .collect()
}

#[test]
fn select_expressions_know_where_they_were_written() {
    let query = format!(
        "SELECT customer_id, UPPER(order_status) AS s, amount * 2 + customer_id AS d,\n  \
         CASE WHEN amount > 10 THEN 'big' ELSE 'small' END AS size,\n  \
         (amount) AS parenthesised, TIMESTAMP '2026-01-01 00:00:00' AS t,\n  \
         amount BETWEEN 1 AND\n    5 AS few, SAFE_CAST(order_datetime AS TIMESTAMP) AS at,\n  \
         EXTRACT(HOUR FROM event_timestamp) AS h, NOT (amount > 2) AS small,\n  \
         amount IS NOT NULL AS known, customer_id IN (1, 2) AS vip,\n  \
         event_timestamp + INTERVAL 5 MINUTE AS later, CONCAT(UPPER(order_status), 'x') AS c\n\
         FROM {ORDERS}"
    );
    assert_eq!(
        written(&query),
        [
            "customer_id",
            "UPPER(order_status)",
            "amount * 2 + customer_id",
            "CASE WHEN amount > 10 THEN 'big' ELSE 'small' END",
            "(amount)",
            "TIMESTAMP '2026-01-01 00:00:00'",
            "amount BETWEEN 1 AND\n    5",
            "SAFE_CAST(order_datetime AS TIMESTAMP)",
            "EXTRACT(HOUR FROM event_timestamp)",
            "NOT (amount > 2)",
            "amount IS NOT NULL",
            "customer_id IN (1, 2)",
            "event_timestamp + INTERVAL 5 MINUTE",
            "CONCAT(UPPER(order_status), 'x')",
        ]
    );
}

#[test]
fn an_operand_the_analyzer_coerces_keeps_its_place() {
    // `customer_id` is INT64 and the sum FLOAT64: the analyzer may cast it, and
    // the sum still spans what was written.
    let query = format!("SELECT customer_id + amount AS x, COALESCE(amount, 0) AS y FROM {ORDERS}");
    assert_eq!(
        written(&query),
        ["customer_id + amount", "COALESCE(amount, 0)"]
    );
}

#[test]
fn operators_know_their_clauses() {
    let query = format!(
        "SELECT o.* FROM {TABLE} AS o\nJOIN bigquery.table.`demobox-313313`.ecommerce.customers AS c\n  \
         ON o.customer_id = c.customer_id\nWHERE o.amount > 5\nORDER BY o.amount\nLIMIT 3"
    );
    let mut plan = analyze(&query, &Catalog::reference()).plan.expect("a plan");
    let mut seen = Vec::new();
    loop {
        let at = plan.origin().span().map(|s| text_at(&query, s));
        let next = match plan {
            Plan::Limit { input, .. } => ("limit", input),
            Plan::Sort { input, .. } => ("sort", input),
            Plan::Project { input, .. } => ("project", input),
            Plan::Filter { input, .. } => ("filter", input),
            Plan::Join { left, .. } => ("join", left),
            Plan::Scan { .. } => {
                seen.push(("scan", at));
                break;
            }
            other => panic!("unexpected {other:?}"),
        };
        seen.push((next.0, at));
        plan = *next.1;
    }
    let s = |t: &str| Some(t.to_string());
    assert_eq!(
        seen,
        [
            ("limit", s("LIMIT 3")),
            // The sort is under the projection: `o.amount` is not a name of its output.
            ("project", s("o.*")),
            ("sort", s("ORDER BY o.amount")),
            ("filter", s("o.amount > 5")),
            (
                "join",
                s(
                    "JOIN bigquery.table.`demobox-313313`.ecommerce.customers AS c\n  \
                   ON o.customer_id = c.customer_id"
                )
            ),
            (
                "scan",
                s("bigquery.table.`demobox-313313`.ecommerce.orders")
            ),
        ]
    );
}

#[test]
fn origins_take_no_part_in_equality() {
    // The GROUP BY key and the selected expression are written in two places and
    // are still one key (or the query would not analyze).
    let query = format!(
        "SELECT UPPER(order_status) AS s, COUNT(*) AS n FROM {TABLE} GROUP BY UPPER(order_status)"
    );
    let exprs = projection(&query);
    assert_eq!(exprs.len(), 2);
    assert_eq!(
        text_at(&query, exprs[0].origin().span().expect("written")),
        "UPPER(order_status)"
    );
    // The aggregate's column is placed at its call.
    assert_eq!(
        text_at(&query, exprs[1].origin().span().expect("written")),
        "COUNT(*)"
    );
}
