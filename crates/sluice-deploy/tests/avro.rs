//! A topic with an Avro schema and JSON encoding: the catalog fields Sluice takes
//! from the schema (`sluice_deploy::avro::avro_fields`) against what Dataflow
//! reads. Each record of `avro/cases.json` is written with fastavro's JSON writer,
//! as a publisher writes it, and read with Beam YAML's own JSON parser and the JSON
//! schema Sluice deploys (`pipeline::message_schema`): Beam must read every
//! message, and the simulator's reader (`row_from_message`) must read the same
//! values.

mod common;

use serde_json::{Value, json};
use sluice_deploy::avro::avro_fields;
use sluice_deploy::pipeline::message_schema;

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
    let beam: Vec<Vec<Value>> = common::run_beam_script("avro_messages.py", &Value::Array(inputs));
    let mut compared = 0;
    for ((case, fields), answers) in cases.iter().zip(&fields).zip(&beam) {
        for answer in answers {
            common::assert_read_alike(case["name"].as_str().unwrap_or_default(), answer, fields);
            compared += 1;
        }
    }
    assert!(compared >= 2, "{compared} messages compared");
}
