//! Beam's Python half, run for real: every golden pipeline (and a few more over a
//! topic with every type JSON cannot carry) is expanded by Beam YAML 2.75 and run
//! on the DirectRunner by `tests/beam_half.py`, with sample messages (valid, a
//! missing field, a null, a wrong type, garbage, a time that does not parse) and
//! sample output rows. This file writes what the script feeds and expects:
//! the text each valid message must reach the `Sql` transform as (from the
//! simulator's own parsers), the dead-letter step of each bad one, and each
//! published message (from `sluice_engine::message`, the simulator's renderer).

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{beam_python, corpus, golden_files};
use serde_json::{Value as J, json};
use sluice_deploy::pipeline::{Compiled, SINGLE_INPUT};
use sluice_deploy::{Target, compile};
use sluice_engine::value::{self as v, Value};
use sluice_sql::Catalog;
use sluice_sql::catalog::{EVENT_TIMESTAMP, Source, SourceKind};
use sluice_sql::literal;
use sluice_sql::types::{DataType, Field, Mode};

/// A publish time on a whole millisecond (Beam SQL's precision), `i` ms apart.
fn publish_micros(i: usize) -> i64 {
    1_626_602_400_123_000 + i as i64 * 1_000
}

/// A valid JSON value of a topic field's type, as a publisher writes it.
fn sample_json(t: &DataType) -> J {
    match t {
        DataType::Int64 => json!(42),
        DataType::Float64 => json!(2.5),
        DataType::Numeric | DataType::BigNumeric => json!(12.25),
        DataType::Bool => json!(true),
        DataType::String => json!("é \"x\""),
        DataType::Timestamp => json!("2021-07-18T10:00:00.5+02:00"),
        DataType::Datetime => json!("2021-07-18T10:00:00.25"),
        DataType::Date => json!("2021-07-18"),
        DataType::Time => json!("10:00:00.5"),
        DataType::Array(inner) => json!([sample_json(inner)]),
        DataType::Struct(fields) => J::Object(
            fields
                .iter()
                .map(|f| (f.name.clone(), sample_json(&f.data_type)))
                .collect(),
        ),
        _ => J::Null,
    }
}

/// What a field of a valid message must be when it reaches the `Sql` transform:
/// times as Calcite's text of the simulator's own reading of the JSON value.
fn sql_side(f: &Field, value: Option<&J>) -> J {
    let text = |s: Option<String>| J::String(s.unwrap_or_default());
    let value = match value {
        Some(v) => v,
        None if matches!(
            f.data_type,
            DataType::Timestamp | DataType::Datetime | DataType::Date | DataType::Time
        ) =>
        {
            return json!("");
        }
        None => return J::Null,
    };
    let s = value.as_str().unwrap_or_default();
    let micros_text = |us: i64| {
        literal::naive_from_micros(us).map(|d| d.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
    };
    match f.data_type {
        DataType::Timestamp => text(literal::parse_timestamp(s).and_then(micros_text)),
        DataType::Datetime => text(literal::parse_datetime(s).and_then(micros_text)),
        DataType::Date => text(
            literal::parse_date(s)
                .and_then(literal::date_from_days)
                .map(|d| d.to_string()),
        ),
        DataType::Time => text(literal::parse_time(s).map(|us| {
            format!(
                "{:02}:{:02}:{:02}.{:06}",
                us / 3_600_000_000,
                us / 60_000_000 % 60,
                us / 1_000_000 % 60,
                us % 1_000_000
            )
        })),
        _ => value.clone(),
    }
}

/// The messages for one topic: each with what it must become (a row reaching
/// SQL, or a dead letter from the step that catches it).
fn topic_case(source: &Source, read: &str, prepare: Option<&str>) -> (J, Vec<J>, Vec<String>) {
    let fields: Vec<&Field> = source
        .schema
        .iter()
        .filter(|f| f.name != EVENT_TIMESTAMP)
        .collect();
    let has_publish_time = source.schema.iter().any(|f| f.name == EVENT_TIMESTAMP);
    let full: serde_json::Map<String, J> = fields
        .iter()
        .map(|f| (f.name.clone(), sample_json(&f.data_type)))
        .collect();
    let required: serde_json::Map<String, J> = full
        .iter()
        .filter(|(k, _)| {
            fields
                .iter()
                .any(|f| f.name == **k && f.mode == Mode::Required)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut messages = Vec::new();
    let mut rows = Vec::new();
    let mut dead = Vec::new();
    for valid in [&full, &required] {
        let i = messages.len();
        messages.push(json!({"data": J::Object(valid.clone()).to_string(), "publish_micros": publish_micros(i)}));
        let mut row: serde_json::Map<String, J> = fields
            .iter()
            .map(|f| (f.name.clone(), sql_side(f, valid.get(&f.name))))
            .collect();
        if has_publish_time {
            let text = literal::naive_from_micros(publish_micros(i))
                .map(|d| d.format("%Y-%m-%d %H:%M:%S%.6f").to_string());
            row.insert(EVENT_TIMESTAMP.into(), json!(text));
        }
        rows.push(J::Object(row));
    }
    let mut bad = |data: String, step: &str| {
        let i = messages.len();
        messages.push(json!({"data": data, "publish_micros": publish_micros(i)}));
        dead.push(step.to_string());
    };
    if let Some(f) = fields.iter().find(|f| f.mode != Mode::Required) {
        let mut m = full.clone();
        m.insert(f.name.clone(), J::Null);
        bad(J::Object(m).to_string(), read);
    }
    if let Some(f) = fields.iter().find(|f| {
        matches!(
            f.data_type,
            DataType::Int64 | DataType::Float64 | DataType::Bool
        )
    }) {
        let mut m = full.clone();
        m.insert(f.name.clone(), json!("x"));
        bad(J::Object(m).to_string(), read);
    }
    bad("not json".into(), read);
    if let (Some(prepare), Some(f)) = (
        prepare,
        fields.iter().find(|f| {
            matches!(
                f.data_type,
                DataType::Timestamp | DataType::Datetime | DataType::Date | DataType::Time
            )
        }),
    ) {
        let mut m = full.clone();
        m.insert(f.name.clone(), json!("yesterday"));
        bad(J::Object(m).to_string(), prepare);
    }
    (json!({"messages": messages}), rows, dead)
}

/// A type as the script reads it: `{"name", "type", "items"?, "fields"?}`.
fn type_json(name: &str, t: &DataType) -> J {
    let kind = match t {
        DataType::Int64 => "INT64",
        DataType::Float64 => "FLOAT64",
        DataType::Numeric | DataType::BigNumeric => "NUMERIC",
        DataType::Bool => "BOOL",
        DataType::String => "STRING",
        DataType::Bytes => "BYTES",
        DataType::Timestamp => "TIMESTAMP",
        DataType::Datetime => "DATETIME",
        DataType::Date => "DATE",
        DataType::Array(inner) => {
            return json!({"name": name, "type": "ARRAY", "items": type_json("", inner)});
        }
        DataType::Struct(fields) => {
            let fields: Vec<J> = fields
                .iter()
                .map(|f| type_json(&f.name, &f.data_type))
                .collect();
            return json!({"name": name, "type": "STRUCT", "fields": fields});
        }
        other => panic!("no sample output of type {other}"),
    };
    json!({"name": name, "type": kind})
}

/// An output value of type `t` (variant 0: everyday, 1: NULL, 2: edges), as the
/// engine holds it and as the script builds it.
fn sample_output(t: &DataType, variant: usize) -> (Value, J) {
    if variant == 1 {
        return (Value::Null, J::Null);
    }
    let edge = variant == 2;
    match t {
        DataType::Int64 => {
            let i = if edge { -9_007_199_254_740_993 } else { 7 };
            (Value::Int64(i), json!(i))
        }
        DataType::Float64 => {
            let x = if edge { 1e16 } else { 2.5 };
            (Value::Float64(x), json!(x))
        }
        DataType::Numeric | DataType::BigNumeric => {
            let (scaled, text) = if edge {
                (-1, "-0.000000001")
            } else {
                (12_500_000_000, "12.5")
            };
            (Value::numeric(scaled), json!(text))
        }
        DataType::Bool => (Value::Bool(!edge), json!(!edge)),
        DataType::String => {
            let s = if edge { "é \"q\"\n😀" } else { "Open" };
            (Value::string(s), json!(s))
        }
        DataType::Bytes => (Value::Bytes(Arc::from(&b"hi"[..])), json!(v::base64(b"hi"))),
        DataType::Timestamp | DataType::Datetime => {
            let us = if edge { 0 } else { 1_626_602_400_123_000 };
            let value = if *t == DataType::Timestamp {
                Value::Timestamp(us)
            } else {
                Value::Datetime(us)
            };
            (value, json!(us))
        }
        DataType::Date => {
            let days = if edge { -1 } else { 18_826 };
            (Value::Date(days), json!(days))
        }
        DataType::Array(inner) => {
            if edge {
                (Value::Array(Arc::from(Vec::new())), json!([]))
            } else {
                let (v, j) = sample_output(inner, 0);
                (Value::Array(Arc::from(vec![v])), json!([j]))
            }
        }
        DataType::Struct(fields) => {
            let (values, object): (Vec<Value>, serde_json::Map<String, J>) = fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let (v, j) = sample_output(&f.data_type, if i == 1 { 1 } else { variant });
                    (v, (f.name.clone(), j))
                })
                .unzip();
            (Value::Struct(Arc::from(values)), J::Object(object))
        }
        other => panic!("no sample output of type {other}"),
    }
}

/// One pipeline's case for the script.
fn case(yaml: &Path, compiled: &Compiled) -> J {
    let single = compiled.inputs.len() == 1;
    let mut topics = serde_json::Map::new();
    let mut sql_inputs = serde_json::Map::new();
    let mut dead_letters = Vec::new();
    let transforms = compiled.pipeline["pipeline"]["transforms"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for input in &compiled.inputs {
        let key = if single {
            SINGLE_INPUT.to_string()
        } else {
            input.name.clone()
        };
        if input.source.kind != SourceKind::PubsubTopic {
            sql_inputs.insert(key, json!({"stream": false}));
            continue;
        }
        let prepare = transforms
            .iter()
            .find(|t| t["input"] == input.transform.as_str() && t["type"] == "MapToFields")
            .and_then(|t| t["name"].as_str());
        let (topic, rows, dead) = topic_case(&input.source, &input.transform, prepare);
        topics.insert(input.source.resource_name(), topic);
        sql_inputs.insert(key, json!({"stream": true, "rows": rows}));
        dead_letters.extend(dead);
    }
    if compiled.streaming {
        // The BigQuery write's double emits one Java error row.
        dead_letters.push("WriteToBigQuery".to_string());
    }
    let columns: Vec<J> = compiled
        .output_schema
        .iter()
        .map(|f| type_json(&f.name, &f.data_type))
        .collect();
    let mut rows = Vec::new();
    let mut messages = Vec::new();
    for variant in 0..3 {
        let (values, json_row): (Vec<Value>, Vec<J>) = compiled
            .output_schema
            .iter()
            .map(|f| sample_output(&f.data_type, variant))
            .unzip();
        messages.push(sluice_engine::message::pubsub_message(
            compiled
                .output_schema
                .iter()
                .map(|f| (f.name.as_str(), &f.data_type)),
            &values,
        ));
        rows.push(J::Array(json_row));
    }
    json!({
        "yaml": yaml,
        "streaming": compiled.streaming,
        "topics": topics,
        "sql_inputs": sql_inputs,
        "dead_letters": dead_letters,
        "output": {"columns": columns, "rows": rows, "messages": messages},
    })
}

/// A topic with every type a message's JSON cannot carry, nested and nullable.
fn typed_catalog() -> Catalog {
    Catalog::from_json(
        r#"{"project": "demobox-313313", "topics": [{"name": "clicks", "schema": [
            {"name": "event_timestamp", "type": "TIMESTAMP", "mode": "REQUIRED"},
            {"name": "user_id", "type": "INT64", "mode": "REQUIRED"},
            {"name": "at", "type": "TIMESTAMP"},
            {"name": "local", "type": "DATETIME"},
            {"name": "day", "type": "DATE"},
            {"name": "price", "type": "NUMERIC"},
            {"name": "ok", "type": "BOOL"},
            {"name": "tags", "type": "STRING", "mode": "REPEATED"},
            {"name": "place", "type": "RECORD", "fields": [
                {"name": "lat", "type": "FLOAT64"}, {"name": "name", "type": "STRING"}]}]}],
          "tables": []}"#,
    )
    .expect("the typed catalog")
}

/// Queries over the typed topic: every output type through the message writer.
const TYPED_QUERIES: [&str; 2] = [
    "SELECT event_timestamp, user_id, at, local, day, price, ok, tags, place FROM pubsub.topic.`demobox-313313`.clicks",
    "SELECT TIMESTAMP_TRUNC(at, HOUR) AS hour, price * 2 AS twice, CAST(day AS STRING) AS d FROM pubsub.topic.`demobox-313313`.clicks WHERE ok",
];

#[test]
fn beam_runs_the_python_half_of_every_pipeline() {
    let target = Target::for_query("demobox-313313", "us-central1", "golden");
    let mut cases = Vec::new();
    for sql in golden_files() {
        let yaml = sql.with_extension("yaml");
        if !yaml.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&sql).expect("a query");
        let compiled = compile(&text, &Catalog::reference(), &target).expect("a golden compiles");
        cases.push(case(&yaml, &compiled));
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Every conformance query that compiles, too.
    for (i, (_, query)) in corpus().iter().enumerate() {
        if let Ok(compiled) = compile(query, &Catalog::reference(), &target) {
            let yaml = dir.path().join(format!("corpus_{i}.yaml"));
            std::fs::write(&yaml, &compiled.yaml).expect("writing a pipeline");
            cases.push(case(&yaml, &compiled));
        }
    }
    for (i, query) in TYPED_QUERIES.iter().enumerate() {
        let compiled = compile(query, &typed_catalog(), &target).expect("a typed query compiles");
        let yaml = dir.path().join(format!("typed_{i}.yaml"));
        std::fs::write(&yaml, &compiled.yaml).expect("writing a pipeline");
        cases.push(case(&yaml, &compiled));
    }
    assert!(cases.len() >= 100, "only {} pipelines", cases.len());
    let manifest = dir.path().join("manifest.json");
    std::fs::write(&manifest, J::Array(cases.clone()).to_string()).expect("writing the manifest");
    let python = beam_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/beam_half.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&manifest)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): `cargo xtask setup` installs apache-beam[yaml] there, or set SLUICE_PYTHON",
                python.display()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(&format!("{} pipelines ran", cases.len())),
        "Beam's Python half failed:\n{stdout}\n{}",
        stderr
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
