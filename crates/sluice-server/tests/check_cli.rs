//! `sluice check` as a user runs it: exit codes, human and JSON output, stdin.

mod common;

use common::{sluice, write};

#[test]
fn a_clean_query_exits_0_with_schema_and_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let query = write(&dir, "q.sql", sluice_sql::reference::QUERY);
    let (code, out, _) = sluice(&["check", &query], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems"), "{out}");
    assert!(out.contains("total_spent FLOAT64 NULLABLE"), "{out}");
    assert!(out.contains("Join: INNER"), "{out}");
}

#[test]
fn errors_exit_1_with_compiler_style_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let query = write(
        &dir,
        "bad.sql",
        "SELECT amout\nFROM pubsub.topic.`demobox-313313`.orders\n",
    );
    let (code, out, _) = sluice(&["check", &query], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("--> {query}:1:8")), "{out}");
    assert!(out.contains("1 | SELECT amout\n  |        ^^^^^"), "{out}");
    assert!(out.contains("hint: did you mean \"amount\"?"), "{out}");
}

#[test]
fn json_output_has_the_documented_shape() {
    let (code, out, _) = sluice(
        &["check", "-", "--format", "json"],
        Some(
            "SELECT customer_id, SUM(amount) FROM pubsub.topic.`demobox-313313`.orders GROUP BY 1",
        ),
    );
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let d = &json["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "unwindowed-aggregate");
    assert_eq!(d["start"], serde_json::json!({"line": 1, "column": 84}));
    assert_eq!(d["end"], serde_json::json!({"line": 1, "column": 85}));
    assert!(d["hint"].as_str().is_some_and(|h| h.contains("TUMBLE")));
    assert_eq!(json["plan"], serde_json::Value::Null);
    assert_eq!(json["output_schema"], serde_json::json!([]));
}

#[test]
fn a_custom_catalog_is_used_and_a_broken_one_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = write(
        &dir,
        "catalog.json",
        r#"{"project": "p", "topics": [{"name": "clicks", "schema": [
            {"name": "event_timestamp", "type": "TIMESTAMP", "mode": "REQUIRED"},
            {"name": "url", "type": "STRING"}]}]}"#,
    );
    let query = write(&dir, "q.sql", "SELECT url FROM pubsub.topic.p.clicks");
    let (code, out, _) = sluice(
        &["check", &query, "--catalog", &catalog, "--format", "json"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        json["output_schema"],
        serde_json::json!([{"name": "url", "type": "STRING", "mode": "NULLABLE"}])
    );

    let broken = write(
        &dir,
        "broken.json",
        r#"{"project": "p", "topics": [{"name": "t", "schema": [{"name": "a", "type": "INTEGR"}]}]}"#,
    );
    let (code, _, err) = sluice(&["check", &query, "--catalog", &broken], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("topics[0].schema[0].type: unknown type \"INTEGR\""),
        "{err}"
    );
}

#[test]
fn an_unreadable_file_or_bad_usage_exits_2() {
    let (code, _, err) = sluice(&["check", "/no/such/query.sql"], None);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /no/such/query.sql"), "{err}");
    let (code, _, _) = sluice(&["check", "q.sql", "--format", "xml"], None);
    assert_eq!(code, 2);
}
