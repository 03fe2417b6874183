//! The reference scenario Sluice was created from (`shared/seed/`): an orders
//! topic on Pub/Sub, order history in BigQuery, and one query joining them.

/// The Google Cloud project the reference scenario names.
pub const PROJECT: &str = "demobox-313313";

/// The reference query: every new order of a customer who already spent
/// $5,000 on closed orders.
pub const QUERY: &str = include_str!("reference/query.sql");

/// The Pub/Sub `orders` topic's schema, in BigQuery's schema JSON, exactly as
/// the walkthrough gives it.
pub const ORDERS_TOPIC_SCHEMA_JSON: &str = include_str!("reference/orders_topic_schema.json");

/// A query of at least `bytes` bytes over the reference topic: a long select list
/// (`amount * i + customer_id AS ci`, one a line) ending with `last_item`. For
/// benchmarks and size tests, native and in the browser.
pub fn generated_query(bytes: usize, last_item: &str) -> String {
    use std::fmt::Write as _;
    let mut sql = String::from("SELECT\n");
    let mut i = 0;
    while sql.len() < bytes {
        let _ = writeln!(sql, "  amount * {i} + customer_id AS c{i},");
        i += 1;
    }
    let _ = write!(sql, "  {last_item}\nFROM pubsub.topic.`{PROJECT}`.orders\n");
    sql
}
