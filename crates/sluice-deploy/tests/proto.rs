//! A topic with a Protocol Buffer schema and JSON encoding: the catalog fields
//! Sluice takes from the schema (`sluice_deploy::proto::proto_fields`) against
//! what Dataflow reads. Each `.proto` of `proto/cases.json` is compiled by protoc,
//! each record written with protobuf's own `json_format` (as a publisher writes
//! it) and read with Beam YAML's JSON parser and the JSON schema Sluice deploys
//! (`pipeline::message_schema`): Beam must read every message, the simulator's
//! reader (`row_from_message`) the same values, and Sluice's JSON names must be
//! protoc's.

mod common;

use serde_json::{Value, json};
use sluice_deploy::pipeline::message_schema;
use sluice_deploy::proto::{json_name, proto_fields};

#[test]
fn protobuf_json_messages_read_as_beam_reads_them() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("proto/cases.json")).expect("cases.json");
    let mut inputs = Vec::new();
    let mut fields = Vec::new();
    for case in &cases {
        let text = case["proto"].as_str().expect("proto");
        let read = proto_fields(text, "JSON").expect("fields");
        assert!(!read.fields.is_empty(), "{}", case["name"]);
        let json_schema = message_schema(&read.fields).expect("a JSON schema");
        inputs.push(json!({"proto": text, "json_schema": json_schema, "records": case["records"]}));
        fields.push(read.fields);
    }
    let answers: Vec<Value> = common::run_beam_script("proto_messages.py", &Value::Array(inputs));
    let mut compared = 0;
    for ((case, fields), answer) in cases.iter().zip(&fields).zip(&answers) {
        // protoc's JSON names are Sluice's.
        let file = protox_names(case["proto"].as_str().expect("proto"));
        for (name, ours) in file {
            assert_eq!(answer["json_names"][&name], json!(ours), "{name}");
        }
        for result in answer["results"].as_array().expect("results") {
            common::assert_read_alike(case["name"].as_str().unwrap_or_default(), result, fields);
            compared += 1;
        }
    }
    assert!(compared >= 2, "{compared} messages compared");
}

/// Each top-level field of the file's first message with Sluice's JSON name.
fn protox_names(text: &str) -> Vec<(String, String)> {
    let file = protox_parse::parse("case.proto", text).expect("parses");
    file.message_type[0]
        .field
        .iter()
        .map(|f| (f.name().to_string(), json_name(f)))
        .collect()
}
