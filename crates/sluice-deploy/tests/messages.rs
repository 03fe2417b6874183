//! A topic's messages as the simulator reads them (`sluice_engine::input::
//! row_from_message`) against Beam's own parser, the one Beam YAML's
//! `ReadFromPubSub` runs for format JSON (`apache_beam/yaml/yaml_io.py`,
//! `_create_parser`), with the JSON schema Sluice deploys
//! (`pipeline::message_schema`). Each message of `messages/cases.json` must be
//! refused by both or read by both, with the same fields NULL.

mod common;

use serde_json::{Value, json};
use sluice_deploy::pipeline::message_schema;
use sluice_engine::input::row_from_message;
use sluice_sql::catalog::EVENT_TIMESTAMP;
use sluice_sql::schema::schema_from_value;

#[test]
fn messages_are_read_or_refused_as_beam_reads_them() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("messages/cases.json")).expect("cases.json");
    let mut inputs = Vec::new();
    let mut schemas = Vec::new();
    for case in &cases {
        let schema = schema_from_value(&case["schema"], "").expect("a schema");
        let json_schema = message_schema(&schema).expect("a JSON schema");
        inputs.push(json!({"json_schema": json_schema, "messages": case["messages"]}));
        schemas.push(schema);
    }
    let beam: Vec<Vec<Value>> = common::run_beam_script("messages.py", &Value::Array(inputs));
    let mut differences = Vec::new();
    let mut compared = 0;
    for ((case, schema), beam) in cases.iter().zip(&schemas).zip(&beam) {
        let payload: Vec<_> = schema
            .iter()
            .filter(|f| f.name != EVENT_TIMESTAMP)
            .cloned()
            .collect();
        let messages = case["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), beam.len());
        for (message, beam) in messages.iter().zip(beam) {
            compared += 1;
            let ours = match row_from_message(message, &payload) {
                Ok(row) => {
                    let mut nulls: Vec<&str> = payload
                        .iter()
                        .zip(&row)
                        .filter(|(_, v)| v.is_null())
                        .map(|(f, _)| f.name.as_str())
                        .collect();
                    nulls.sort_unstable();
                    json!({"ok": true, "nulls": nulls})
                }
                Err(e) => json!({"ok": false, "error": e}),
            };
            let same =
                ours["ok"] == beam["ok"] && (ours["ok"] == false || ours["nulls"] == beam["nulls"]);
            if !same {
                differences.push(format!(
                    "{}: {message}\n  Beam:  {beam}\n  Sluice: {ours}",
                    case["name"]
                ));
            }
        }
    }
    assert!(compared > 30, "only {compared} messages compared");
    assert!(
        differences.is_empty(),
        "{} of {compared} messages read otherwise than Beam reads them:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
