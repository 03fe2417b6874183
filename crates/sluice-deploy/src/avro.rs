//! A Pub/Sub topic's Avro schema as the catalog fields the deployed pipeline can
//! read. Sluice deploys `ReadFromPubSub` with format JSON
//! (`apache_beam/yaml/yaml_io.py`, `_create_parser`), so a topic whose schema
//! settings say JSON encoding carries Avro's JSON encoding of each record
//! (Avro specification, "JSON Encoding"): a record is an object, `int`/`long` and
//! `float`/`double` are JSON numbers, `boolean` true/false, `string` and `enum`
//! symbols strings, an `array` a list, a `map` an object; a union's value is
//! wrapped in an object named after its branch (`{"string": "x"}`), or `null`;
//! `bytes` and `fixed` are strings of one character per byte. Logical types are
//! written as their underlying type (a `timestamp-micros` is its number).
//!
//! The JSON reading takes a field's JSON type from the catalog and refuses any
//! other (a wrapped union value, a `null`), and ignores fields the catalog does not
//! name (`sluice_engine::input::row_from_message`, held to Beam's parser by
//! `tests/messages.rs`). So each field the reading can take becomes a column;
//! the others are left out of the catalog, which keeps every message readable,
//! with a note that says why. `tests/avro.rs` encodes records with fastavro's
//! JSON writer and reads them with Beam's own parser and these fields.
//!
//! Binary-encoded Avro is not JSON: the deployed JSON reading refuses every such
//! message, so such a topic gets no payload fields, only the note.

use std::collections::HashMap;

use serde_json::Value;
use sluice_sql::catalog::EVENT_TIMESTAMP;
use sluice_sql::schema::check_column_name;
use sluice_sql::types::{DataType, Field, Mode};

/// The fields read from a Pub/Sub schema (Avro here, Protocol Buffers in
/// `proto`), and what was left out and why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadFields {
    /// The payload's columns, in the schema's order.
    pub fields: Vec<Field>,
    /// What was left out or read differently, each naming its field.
    pub notes: Vec<String>,
}

/// A column's type, or why the JSON reading cannot take the field.
type Mapped = Result<DataType, String>;

/// Named types (records, enums, fixed) by full and short name, as they are
/// defined, and how deep in records the reading is.
#[derive(Default)]
struct Names {
    defined: HashMap<String, Value>,
    depth: usize,
}

/// Records nest at most this deep (BigQuery's limit is 15 levels); a record
/// that holds itself would nest for ever.
const MAX_DEPTH: usize = 15;

impl Names {
    fn define(&mut self, t: &Value, namespace: Option<&str>) {
        let Some(name) = t["name"].as_str() else {
            return;
        };
        let space = t["namespace"].as_str().or(namespace);
        if let Some(space) = space.filter(|s| !s.is_empty() && !name.contains('.')) {
            self.defined.insert(format!("{space}.{name}"), t.clone());
        }
        self.defined.insert(name.to_string(), t.clone());
        if let Some((_, short)) = name.rsplit_once('.') {
            self.defined.insert(short.to_string(), t.clone());
        }
    }
}

/// The columns the deployed JSON reading takes from a topic whose messages are
/// Avro `definition` (the schema's JSON text) in `encoding` (`JSON` or `BINARY`).
pub fn avro_fields(definition: &str, encoding: &str) -> Result<ReadFields, String> {
    let schema: Value = serde_json::from_str(definition)
        .map_err(|e| format!("the Avro schema is not JSON: {e}"))?;
    if schema["type"] != "record" {
        return Err("the Avro schema is not a record: the pipeline reads JSON objects".into());
    }
    let mut out = ReadFields::default();
    if encoding != "JSON" {
        out.notes.push(format!(
            "its messages are {encoding}-encoded Avro; Sluice deploys JSON reading, which would refuse every one, so its fields are left for you to give once the topic carries JSON"
        ));
        return Ok(out);
    }
    let mut names = Names::default();
    names.define(&schema, None);
    let namespace = schema["namespace"].as_str().map(str::to_owned);
    out.fields = record_fields(
        &schema,
        namespace.as_deref(),
        "",
        &mut names,
        &mut out.notes,
    )?;
    out.leave_out_event_timestamp();
    Ok(out)
}

impl ReadFields {
    /// Leaves out a payload field named `event_timestamp`: that column holds the
    /// message's publish time.
    pub(crate) fn leave_out_event_timestamp(&mut self) {
        if let Some(at) = self
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(EVENT_TIMESTAMP))
        {
            self.fields.remove(at);
            self.notes.push(format!(
                "field {EVENT_TIMESTAMP}: left out, the column holds the message's publish time"
            ));
        }
    }
}

/// A record's fields as columns; `path` names the record for notes.
fn record_fields(
    record: &Value,
    namespace: Option<&str>,
    path: &str,
    names: &mut Names,
    notes: &mut Vec<String>,
) -> Result<Vec<Field>, String> {
    let Some(fields) = record["fields"].as_array() else {
        return Err(format!("the record {path:?} has no \"fields\" list"));
    };
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        let Some(name) = f["name"].as_str() else {
            return Err(format!("a field of {path:?} has no name"));
        };
        let here = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        if let Err(why) = check_column_name(name) {
            notes.push(format!("field {here}: left out, {why}"));
            continue;
        }
        match column(&f["type"], namespace, &here, names, notes) {
            Ok(data_type) => {
                let mode = if matches!(data_type, DataType::Array(_)) {
                    Mode::Repeated
                } else {
                    Mode::Nullable
                };
                out.push(Field::new(name, data_type).with_mode(mode));
            }
            Err(why) => notes.push(format!("field {here}: left out, {why}")),
        }
    }
    Ok(out)
}

/// The column type of Avro type `t`.
fn column(
    t: &Value,
    namespace: Option<&str>,
    path: &str,
    names: &mut Names,
    notes: &mut Vec<String>,
) -> Mapped {
    match t {
        Value::String(name) => match name.as_str() {
            "boolean" => Ok(DataType::Bool),
            "int" | "long" => Ok(DataType::Int64),
            "float" | "double" => Ok(DataType::Float64),
            "string" => Ok(DataType::String),
            "bytes" => Err(bytes_why()),
            "null" => Err("it is always null".into()),
            other => {
                let defined = names
                    .defined
                    .get(other)
                    .or_else(|| {
                        namespace
                            .and_then(|space| names.defined.get(&format!("{space}.{other}")))
                    })
                    .cloned()
                    .ok_or_else(|| format!("its type {other:?} is not defined before it"))?;
                named(&defined, namespace, path, names, notes)
            }
        },
        Value::Array(_) => Err(
            "it is a union, whose value Avro's JSON encoding wraps ({\"string\": …}) and the JSON reading refuses"
                .into(),
        ),
        Value::Object(o) => {
            let Some(kind) = o.get("type") else {
                return Err("its type has no \"type\"".into());
            };
            match (kind.as_str(), o.get("logicalType").and_then(Value::as_str)) {
                (Some("record" | "enum" | "fixed"), _) => {
                    names.define(t, namespace);
                    named(t, namespace, path, names, notes)
                }
                (Some("array"), _) => match column(&o["items"], namespace, path, names, notes)? {
                    DataType::Array(_) => {
                        Err("it is an array of arrays, which BigQuery cannot hold".into())
                    }
                    item => Ok(DataType::Array(Box::new(item))),
                },
                (Some("map"), _) => Err("it is a map, which BigQuery has no type for".into()),
                (Some("bytes"), _) => Err(bytes_why()),
                (Some(base @ ("int" | "long")), Some(logical)) => {
                    notes.push(format!(
                        "field {path}: its {logical} is read as the {base} Avro's JSON encoding writes, an INT64"
                    ));
                    Ok(DataType::Int64)
                }
                (Some(base), _) => column(&Value::String(base.to_string()), namespace, path, names, notes),
                (None, _) => column(kind, namespace, path, names, notes),
            }
        }
        other => Err(format!("its type {other} is not an Avro type")),
    }
}

/// A named type's column: a record's fields, an enum's symbol, or why not.
fn named(
    t: &Value,
    namespace: Option<&str>,
    path: &str,
    names: &mut Names,
    notes: &mut Vec<String>,
) -> Mapped {
    match t["type"].as_str() {
        Some("record") => {
            if names.depth + 1 >= MAX_DEPTH {
                return Err(format!(
                    "it nests records deeper than {MAX_DEPTH} levels (a record that holds itself does)"
                ));
            }
            let space = t["namespace"].as_str().or(namespace).map(str::to_owned);
            names.depth += 1;
            let fields = record_fields(t, space.as_deref(), path, names, notes);
            names.depth -= 1;
            let fields = fields?;
            if fields.is_empty() {
                return Err("none of its record's fields can be read".into());
            }
            Ok(DataType::Struct(fields))
        }
        Some("enum") => Ok(DataType::String),
        Some("fixed") => Err(bytes_why()),
        _ => Err(format!("its type {} is not a named Avro type", t["type"])),
    }
}

fn bytes_why() -> String {
    "its bytes are written by Avro's JSON encoding as one character per byte, not BigQuery's base64"
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(schema: Value) -> ReadFields {
        avro_fields(&schema.to_string(), "JSON").expect("reads")
    }

    #[test]
    fn avro_types_become_the_columns_the_json_reading_takes() {
        let read = fields(json!({
            "type": "record", "name": "Order", "namespace": "shop",
            "fields": [
                {"name": "customer_id", "type": "long"},
                {"name": "amount", "type": "double"},
                {"name": "paid", "type": "boolean"},
                {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["Open", "Closed"]}},
                {"name": "status_before", "type": "Status"},
                {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-micros"}},
                {"name": "tags", "type": {"type": "array", "items": "string"}},
                {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                    {"name": "city", "type": "string"},
                    {"name": "zip", "type": ["null", "string"]}
                ]}},
                {"name": "note", "type": ["null", "string"], "default": null},
                {"name": "extras", "type": {"type": "map", "values": "string"}},
                {"name": "raw", "type": "bytes"},
                {"name": "grid", "type": {"type": "array", "items": {"type": "array", "items": "int"}}}
            ]
        }));
        let names: Vec<String> = read
            .fields
            .iter()
            .map(|f| format!("{} {} {:?}", f.name, f.data_type, f.mode))
            .collect();
        assert_eq!(
            names,
            [
                "customer_id INT64 Nullable",
                "amount FLOAT64 Nullable",
                "paid BOOL Nullable",
                "status STRING Nullable",
                "status_before STRING Nullable",
                "placed INT64 Nullable",
                "tags ARRAY<STRING> Repeated",
                "address STRUCT<city STRING> Nullable",
            ]
        );
        let notes = read.notes.join("\n");
        for said in [
            "field placed: its timestamp-micros is read as the long",
            "field address.zip: left out, it is a union",
            "field note: left out, it is a union",
            "field extras: left out, it is a map",
            "field raw: left out, its bytes",
            "field grid: left out, it is an array of arrays",
        ] {
            assert!(notes.contains(said), "{said} in\n{notes}");
        }
    }

    #[test]
    fn binary_topics_and_odd_schemas_say_why() {
        let schema =
            json!({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]});
        let binary = avro_fields(&schema.to_string(), "BINARY").expect("reads");
        assert!(binary.fields.is_empty());
        assert!(
            binary.notes[0].contains("BINARY-encoded Avro"),
            "{:?}",
            binary.notes
        );
        assert!(avro_fields("{", "JSON").is_err());
        assert!(avro_fields("\"string\"", "JSON").is_err());
        let own = fields(json!({"type": "record", "name": "R", "fields": [
            {"name": "event_timestamp", "type": "long"}, {"name": "x", "type": "Nope"}
        ]}));
        assert!(own.fields.is_empty());
        let notes = own.notes.join("\n");
        assert!(
            notes.contains("publish time") && notes.contains("\"Nope\" is not defined"),
            "{notes}"
        );
        // A record that holds itself stops at BigQuery's depth, with why.
        let looped = fields(json!({"type": "record", "name": "Node", "fields": [
            {"name": "value", "type": "int"}, {"name": "next", "type": "Node"}
        ]}));
        assert_eq!(looped.fields[0].name, "value");
        assert!(
            looped
                .notes
                .iter()
                .any(|n| n.contains("deeper than 15 levels")),
            "{:?}",
            looped.notes
        );
    }
}
