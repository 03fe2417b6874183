//! Reading newline-delimited JSON (BigQuery loads, stream files) into rows of a
//! schema, with every bad record reported by line.

use sluice_sql::types::{Field, Mode};

use crate::value::{Row, Value};

/// What to do with a record that does not fit the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnBadRecord {
    /// Report it and go on without it.
    #[default]
    Skip,
    /// Report it and stop.
    Fail,
}

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct BadRecord {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, naming the field.
    pub message: String,
}

/// Rows read from a JSONL text, and the records that were skipped.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The good rows, in file order, in the schema's column order.
    pub rows: Vec<Row>,
    /// The 1-based line of each row.
    pub lines: Vec<usize>,
    /// The bad records.
    pub bad: Vec<BadRecord>,
}

/// Reads one JSON object as a row of `schema`: fields by name (case-insensitive),
/// missing NULLABLE fields as NULL; unknown fields, missing REQUIRED fields and
/// values of the wrong type are errors.
pub fn row_from_json(object: &serde_json::Value, schema: &[Field]) -> Result<Row, String> {
    let serde_json::Value::Object(map) = object else {
        return Err(format!(
            "expected a JSON object, found {}",
            match object {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                _ => "null",
            }
        ));
    };
    for key in map.keys() {
        if !schema.iter().any(|f| f.name.eq_ignore_ascii_case(key)) {
            let names: Vec<&str> = schema.iter().map(|f| f.name.as_str()).collect();
            return Err(format!(
                "unknown field \"{key}\" (the schema has {})",
                names.join(", ")
            ));
        }
    }
    let mut row = Vec::with_capacity(schema.len());
    for f in schema {
        let value = map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&f.name))
            .map(|(_, v)| v);
        let v = match value {
            Some(j) => Value::from_json(j, &f.data_type)
                .map_err(|e| format!("field \"{}\": {e}", f.name))?,
            None => Value::Null,
        };
        if v.is_null() && f.mode == Mode::Required {
            return Err(format!(
                "field \"{}\" is REQUIRED but missing or null",
                f.name
            ));
        }
        row.push(v);
    }
    Ok(row)
}

/// Reads one Pub/Sub message's JSON as the deployed pipeline does: Beam's
/// `ReadFromPubSub` validates it against the topic's JSON schema, where each field
/// has exactly one type and no field is forbidden (`apache_beam/yaml/json_utils.py`:
/// `json_parser`, `json_to_row`). So a field set to `null` is refused (Dataflow sends
/// the message to the dead-letter table; leave the field out for NULL), and fields
/// the schema does not name are ignored.
pub fn row_from_message(object: &serde_json::Value, schema: &[Field]) -> Result<Row, String> {
    if let serde_json::Value::Object(map) = object {
        if let Some((key, _)) = map.iter().find(|(_, v)| v.is_null()) {
            return Err(format!(
                "field \"{key}\" is null: Dataflow's ReadFromPubSub refuses it (the topic's JSON schema gives each field one type) and sends the message to the dead-letter table; leave the field out for NULL"
            ));
        }
        let known: serde_json::Map<String, serde_json::Value> = map
            .iter()
            .filter(|(k, _)| schema.iter().any(|f| f.name.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        return row_from_json(&serde_json::Value::Object(known), schema);
    }
    row_from_json(object, schema)
}

/// How a JSONL file's records are read: as table rows ([`row_from_json`]) or as
/// Pub/Sub messages ([`row_from_message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A BigQuery load: unknown fields are errors, `null` is NULL.
    TableRow,
    /// A Pub/Sub message as Dataflow reads it.
    Message,
}

/// Reads newline-delimited JSON table rows; blank lines are ignored. With
/// [`OnBadRecord::Fail`] the first bad record is the error.
pub fn parse_jsonl(text: &str, schema: &[Field], on_bad: OnBadRecord) -> Result<Loaded, BadRecord> {
    parse_jsonl_as(text, schema, on_bad, RecordKind::TableRow)
}

/// Reads newline-delimited JSON records of `kind`; blank lines are ignored.
pub fn parse_jsonl_as(
    text: &str,
    schema: &[Field],
    on_bad: OnBadRecord,
    kind: RecordKind,
) -> Result<Loaded, BadRecord> {
    let mut loaded = Loaded::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let result = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| format!("malformed JSON: {e}"))
            .and_then(|j| match kind {
                RecordKind::TableRow => row_from_json(&j, schema),
                RecordKind::Message => row_from_message(&j, schema),
            });
        match result {
            Ok(row) => {
                loaded.rows.push(row);
                loaded.lines.push(line_no);
            }
            Err(message) => {
                let bad = BadRecord {
                    line: line_no,
                    message,
                };
                if on_bad == OnBadRecord::Fail {
                    return Err(bad);
                }
                loaded.bad.push(bad);
            }
        }
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sql::types::DataType;

    #[test]
    fn a_message_is_read_as_dataflow_reads_it() {
        let schema = schema();
        let extra = serde_json::json!({"id": 1, "amount": 2.5, "note": "x"});
        assert_eq!(
            row_from_message(&extra, &schema),
            Ok(vec![Value::Int64(1), Value::Float64(2.5)])
        );
        assert!(row_from_json(&extra, &schema).is_err());
        let missing = serde_json::json!({"id": 1});
        assert_eq!(
            row_from_message(&missing, &schema),
            Ok(vec![Value::Int64(1), Value::Null])
        );
        let null = serde_json::json!({"id": 1, "amount": null});
        let err = row_from_message(&null, &schema).expect_err("refused");
        assert!(
            err.contains("\"amount\" is null") && err.contains("dead-letter"),
            "{err}"
        );
        assert_eq!(
            row_from_json(&null, &schema),
            Ok(vec![Value::Int64(1), Value::Null])
        );
    }

    fn schema() -> Vec<Field> {
        vec![
            Field::new("id", DataType::Int64).with_mode(Mode::Required),
            Field::new("amount", DataType::Float64),
        ]
    }

    #[test]
    fn bad_records_are_reported_by_line_and_skipped() {
        let text = "{\"id\": 1, \"amount\": 2.5}\n\n{\"id\": \"x\"}\nnot json\n{\"amount\": 1}\n{\"id\": 2, \"extra\": 1}\n{\"id\": 3}\n";
        let loaded = parse_jsonl(text, &schema(), OnBadRecord::Skip).expect("skips");
        assert_eq!(
            loaded.rows,
            vec![
                vec![Value::Int64(1), Value::Float64(2.5)],
                vec![Value::Int64(3), Value::Null]
            ]
        );
        assert_eq!(loaded.lines, vec![1, 7]);
        let lines: Vec<String> = loaded.bad.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines[0],
            "line 3: field \"id\": expected an INT64 (a whole number), found a string \"x\""
        );
        assert!(
            lines[1].starts_with("line 4: malformed JSON"),
            "{}",
            lines[1]
        );
        assert_eq!(
            lines[2],
            "line 5: field \"id\" is REQUIRED but missing or null"
        );
        assert_eq!(
            lines[3],
            "line 6: unknown field \"extra\" (the schema has id, amount)"
        );
        let failed = parse_jsonl(text, &schema(), OnBadRecord::Fail);
        assert_eq!(failed.map(|l| l.rows.len()).map_err(|b| b.line), Err(3));
    }
}
