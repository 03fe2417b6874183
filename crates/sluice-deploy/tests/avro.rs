//! A topic with an Avro schema and JSON encoding: the catalog fields Sluice takes
//! from the schema (`sluice_deploy::avro::avro_fields`) against what Dataflow
//! reads. Each record of `avro/cases.json` is written with fastavro's JSON writer,
//! as a publisher writes it, and read with Beam YAML's own JSON parser and the JSON
//! schema Sluice deploys (`pipeline::message_schema`): Beam must read every
//! message, and the simulator's reader (`row_from_message`) must read the same
//! values.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use sluice_deploy::avro::avro_fields;
use sluice_deploy::pipeline::message_schema;
use sluice_engine::input::row_from_message;

#[test]
fn avro_json_messages_read_as_beam_reads_them() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("avro/cases.json")).expect("cases.json");
    let mut inputs = Vec::new();
    let mut fields = Vec::new();
    for case in &cases {
        let read = avro_fields(&case["schema"].to_string(), "JSON").expect("fields");
        assert!(!read.fields.is_empty(), "{}", case["name"]);
        let json_schema = message_schema(&read.fields).expect("a JSON schema");
        inputs.push(json!({"avro_schema": case["schema"], "json_schema": json_schema, "records": case["records"]}));
        fields.push(read.fields);
    }
    let mut child = Command::new(common::beam_python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/avro_messages.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("Beam's Python (cargo xtask setup installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(Value::Array(inputs).to_string().as_bytes())
        .expect("the cases written");
    let output = child.wait_with_output().expect("Python ran");
    assert!(output.status.success(), "avro_messages.py failed");
    let beam: Vec<Vec<Value>> = serde_json::from_slice(&output.stdout).expect("Beam's answers");
    let mut compared = 0;
    for ((case, fields), answers) in cases.iter().zip(&fields).zip(&beam) {
        for answer in answers {
            let text = answer["message"].as_str().expect("the message");
            assert_eq!(
                answer["ok"], true,
                "{}: Beam refused {text}: {answer}",
                case["name"]
            );
            let message: Value = serde_json::from_str(text).expect("JSON");
            let row = row_from_message(&message, fields)
                .unwrap_or_else(|e| panic!("Sluice refused {text}: {e}"));
            for (field, value) in fields.iter().zip(&row) {
                let ours = value.to_json(&field.data_type);
                let theirs = &answer["row"][&field.name];
                let same = match (ours.as_f64(), theirs.as_f64()) {
                    (Some(a), Some(b)) if !ours.is_i64() || !theirs.is_i64() => a == b,
                    _ => ours == *theirs,
                };
                assert!(
                    same,
                    "{text}: {} is {ours} here, {theirs} in Beam",
                    field.name
                );
            }
            compared += 1;
        }
    }
    assert!(compared >= 2, "{compared} messages compared");
}
