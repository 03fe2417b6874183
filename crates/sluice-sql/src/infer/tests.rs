//! Unit tests of schema inference.

use super::*;
use crate::schema::parse_schema_json;

fn infer(text: &str) -> Inferred {
    infer_topic_schema(text).expect("inferred")
}

fn said(inferred: &Inferred) -> Vec<String> {
    inferred
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f.line,
                f.severity.as_str(),
                f.field,
                f.message
            )
        })
        .collect()
}

#[test]
fn the_seed_message_infers_the_seed_topic_schema() {
    let messages = r#"{"customer_id": 37, "amount": 612.45, "order_status": "Open", "order_datetime": "2026-11-24 10:15:02"}
{"customer_id": 12, "amount": 530.1, "order_status": "Open", "order_datetime": "2026-11-24 10:15:04"}"#;
    let inferred = infer(messages);
    let seed = parse_schema_json(crate::reference::ORDERS_TOPIC_SCHEMA_JSON).expect("seed");
    assert_eq!(inferred.fields, seed);
    assert_eq!(inferred.messages, 2);
    assert!(!inferred.has_conflicts());
    assert_eq!(
        said(&inferred),
        [
            "1 note order_datetime: is a date and time without a time zone: a STRING (a TIMESTAMP would read it as UTC); CAST it to DATETIME, or to TIMESTAMP with its zone, in the query"
        ]
    );
}

#[test]
fn a_json_array_reads_like_lines_and_keeps_each_message_line() {
    let text = "[\n  {\"a\": 1},\n  {\"a\": \"x\"}\n]";
    let inferred = infer(text);
    assert_eq!(inferred.messages, 2);
    assert_eq!(inferred.fields[1], Field::new("a", DataType::Int64));
    assert_eq!(
        said(&inferred),
        ["3 conflict a: is a string here, but a number on an earlier line"]
    );
}

#[test]
fn types_come_from_json_and_times_from_their_zone() {
    let inferred = infer(
        r#"{"n": 1, "x": 1, "b": true, "s": "12", "d": "2026-01-31", "t": "2026-01-31T10:00:00Z", "u": "2026-01-31 10:00:00+02:00"}
{"n": 2, "x": 2.5, "b": false, "s": "a", "d": "2026-02-01", "t": "2026-01-31 10:00:00 UTC", "u": "2026-01-31 10:00:00.5-05:00"}"#,
    );
    let types: Vec<(String, String)> = inferred
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.data_type.to_string()))
        .collect();
    assert_eq!(
        types,
        [
            ("event_timestamp", "TIMESTAMP"),
            ("n", "INT64"),
            ("x", "FLOAT64"),
            ("b", "BOOL"),
            ("s", "STRING"),
            ("d", "DATE"),
            ("t", "TIMESTAMP"),
            ("u", "TIMESTAMP"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(
        inferred.fields[1..]
            .iter()
            .all(|f| f.mode == Mode::Nullable)
    );
    assert!(inferred.findings.is_empty(), "{:?}", said(&inferred));
}

#[test]
fn records_and_arrays_nest_and_times_inside_them_stay_strings() {
    let inferred = infer(
        r#"{"c": {"name": "x", "at": "2026-01-31"}, "tags": ["a", "b"], "items": [{"sku": 1}, {"sku": 2, "qty": 3}]}
{"c": {"name": "y"}, "tags": [], "items": []}"#,
    );
    let schema = crate::schema::schema_to_json(&inferred.fields);
    assert_eq!(
        schema,
        serde_json::json!([
            {"name": "event_timestamp", "type": "TIMESTAMP", "mode": "REQUIRED"},
            {"name": "c", "type": "RECORD", "mode": "NULLABLE", "fields": [
                {"name": "name", "type": "STRING", "mode": "NULLABLE"},
                {"name": "at", "type": "STRING", "mode": "NULLABLE"}
            ]},
            {"name": "tags", "type": "STRING", "mode": "REPEATED"},
            {"name": "items", "type": "RECORD", "mode": "REPEATED", "fields": [
                {"name": "sku", "type": "INT64", "mode": "NULLABLE"},
                {"name": "qty", "type": "INT64", "mode": "NULLABLE"}
            ]}
        ])
    );
    assert_eq!(
        said(&inferred),
        [
            "1 note c.at: is a DATE inside a RECORD or an array, where Beam reads times only as strings: a STRING; CAST it in the query",
            "1 note items[].qty: is missing from 1 of 2 objects (the first here): NULL there",
            "2 note c.at: is missing from 1 of 2 objects (the first here): NULL there",
        ]
    );
}

#[test]
fn nulls_missing_fields_and_bigquery_limits_are_said_at_their_line() {
    let inferred = infer(
        "{\"a\": 1, \"b\": null}\n{\"a\": 2}\n{\"a\": 3, \"l\": [1, null]}\n{\"a\": 4, \"m\": [[1]]}\n{\"a\": 5, \"bad-name\": 1, \"Event_Timestamp\": \"x\"}\n7\n",
    );
    assert_eq!(
        said(&inferred),
        [
            "1 warning b: is null: the deployed pipeline refuses this message (the topic's JSON schema gives the field one type) and sends it to the dead-letter table; leave the field out for NULL",
            "1 note b: has no value in the sample (only null or empty arrays): a STRING, as BigQuery's schema auto-detection chooses",
            "1 note l: is missing from 4 of 5 messages (the first here): NULL there",
            "1 note m: is missing from 4 of 5 messages (the first here): NULL there",
            "2 note b: is missing from 4 of 5 messages (the first here): NULL there",
            "3 conflict l: holds a null: a BigQuery array cannot hold NULL",
            "4 conflict m: holds an array: a BigQuery array cannot hold an array directly (put it in a RECORD)",
            "4 note m[]: has no value in the sample (only null or empty arrays): a STRING, as BigQuery's schema auto-detection chooses",
            "5 conflict Event_Timestamp: the message has its own \"Event_Timestamp\", but the topic's \"event_timestamp\" is the publish time Dataflow adds: rename the message's field; it is left out",
            "5 conflict bad-name: invalid field name \"bad-name\" (letters, digits and underscores, not starting with a digit); the field is left out",
            "6 conflict : a message must be a JSON object (a row), not a number; it is left out",
        ]
    );
    assert!(inferred.has_conflicts());
    assert_eq!(inferred.messages, 6);
}

#[test]
fn a_spelling_that_differs_in_case_is_one_field() {
    let inferred = infer("{\"Amount\": 1}\n{\"amount\": 2.5}");
    assert_eq!(inferred.fields[1], Field::new("Amount", DataType::Float64));
    assert_eq!(
        said(&inferred),
        [
            "2 warning amount: \"amount\" is spelled \"Amount\" on line 1: one column, as BigQuery's column names ignore case, but the deployed pipeline reads a field by its exact name, so this message's is NULL there"
        ]
    );
}

#[test]
fn text_that_is_sometimes_a_date_is_a_string() {
    let inferred = infer("{\"d\": \"2026-01-31\"}\n{\"d\": \"soon\"}");
    assert_eq!(inferred.fields[1], Field::new("d", DataType::String));
    assert_eq!(
        said(&inferred),
        ["2 note d: is text here but a DATE on line 1: a STRING"]
    );
}

#[test]
fn malformed_input_is_an_error_at_its_place() {
    let e = infer_topic_schema("{\"a\": 1}\n{\"a\": }").expect_err("refused");
    assert_eq!((e.line, e.column), (2, 7), "{e}");
    assert!(e.message.starts_with("not valid JSON"), "{e}");
    let e = infer_topic_schema("[{\"a\": 1} {\"a\": 2}]").expect_err("refused");
    assert_eq!((e.line, e.column), (1, 11), "{e}");
    let e = infer_topic_schema("[{\"a\": 1}] x").expect_err("refused");
    assert_eq!((e.line, e.column), (1, 12), "{e}");
    let e = infer_topic_schema("  \n ").expect_err("refused");
    assert!(e.message.starts_with("no messages"), "{e}");
    let e = infer_topic_schema("[]").expect_err("refused");
    assert!(e.message.starts_with("no messages"), "{e}");
}

#[test]
fn bigquery_limits_on_columns_and_depth_hold() {
    let wide: String = (0..=MAX_COLUMNS)
        .map(|i| format!("\"f{i}\": 1, "))
        .collect();
    let e = infer_topic_schema(&format!("{{{wide}\"z\": 1}}")).expect_err("too wide");
    assert!(e.message.contains("more than 10000 fields"), "{e}");
    let deep = "{\"r\": ".repeat(MAX_RECORD_DEPTH + 1) + "1" + &"}".repeat(MAX_RECORD_DEPTH + 1);
    let inferred = infer(&format!("{{\"a\": {deep}}}"));
    assert!(inferred.has_conflicts(), "{:?}", said(&inferred));
    assert!(
        said(&inferred)
            .iter()
            .any(|s| s.contains("deeper than 15 RECORDs"))
    );
}
