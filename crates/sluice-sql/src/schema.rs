//! BigQuery schema JSON: `[{"name", "type", "mode", "description", "fields"}]`.
//!
//! The same format describes Pub/Sub topic schemas in Dataflow SQL (the seed pastes one)
//! and BigQuery tables. Errors name the field path (`[2].fields[0].type`) and the problem.

use serde_json::Value;

use crate::types::{DataType, Field, Mode};

/// A schema that could not be read, with the path of the failing field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location(.path, .line, .column))]
pub struct SchemaError {
    /// Path of the offending element, e.g. `[2].type` or `[1].fields[0].name`; empty for the whole document.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line in the JSON text, for syntax errors.
    pub line: Option<usize>,
    /// 1-based column in the JSON text, for syntax errors.
    pub column: Option<usize>,
}

fn location(path: &str, line: &Option<usize>, column: &Option<usize>) -> String {
    match (line, column, path.is_empty()) {
        (Some(l), Some(c), _) => format!("line {l}, column {c}: "),
        (_, _, false) => format!("{path}: "),
        _ => String::new(),
    }
}

impl SchemaError {
    fn at(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

/// Parses a schema from BigQuery's JSON: an array of fields, or `{"fields": [...]}`.
pub fn parse_schema_json(text: &str) -> Result<Vec<Field>, SchemaError> {
    let value: Value = serde_json::from_str(text).map_err(|e| SchemaError {
        path: String::new(),
        message: format!("not valid JSON: {}", strip_position(&e.to_string())),
        line: Some(e.line()),
        column: Some(e.column()),
    })?;
    schema_from_value(&value, "")
}

/// Reads a schema from an already parsed JSON value; `path` prefixes error paths.
pub fn schema_from_value(value: &Value, path: &str) -> Result<Vec<Field>, SchemaError> {
    let fields = match value {
        Value::Array(items) => items,
        Value::Object(map) => match map.get("fields") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(SchemaError::at(
                    path,
                    "expected an array of fields, or an object with a \"fields\" array",
                ));
            }
        },
        other => {
            return Err(SchemaError::at(
                path,
                format!("expected an array of fields, found {}", kind(other)),
            ));
        }
    };
    parse_fields(fields, path)
}

fn parse_fields(items: &[Value], path: &str) -> Result<Vec<Field>, SchemaError> {
    if items.is_empty() {
        return Err(SchemaError::at(path, "a schema needs at least one field"));
    }
    let mut fields: Vec<Field> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let field = parse_field(item, &here)?;
        if let Some(previous) = fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(&field.name))
        {
            return Err(SchemaError::at(
                &format!("{here}.name"),
                format!(
                    "duplicate field name \"{}\" (also at {path}[{previous}]; names are case-insensitive)",
                    field.name
                ),
            ));
        }
        fields.push(field);
    }
    Ok(fields)
}

const KNOWN_KEYS: [&str; 9] = [
    "name",
    "type",
    "mode",
    "description",
    "fields",
    "policyTags",
    "maxLength",
    "precision",
    "scale",
];

fn parse_field(item: &Value, path: &str) -> Result<Field, SchemaError> {
    let Value::Object(map) = item else {
        return Err(SchemaError::at(
            path,
            format!("expected a field object, found {}", kind(item)),
        ));
    };
    for key in map.keys() {
        if !KNOWN_KEYS.contains(&key.as_str())
            && !matches!(
                key.as_str(),
                "defaultValueExpression" | "collation" | "roundingMode"
            )
        {
            return Err(SchemaError::at(
                &format!("{path}.{key}"),
                format!(
                    "unknown key \"{key}\" (a field has name, type, mode, description and, for RECORD, fields)"
                ),
            ));
        }
    }
    let name = match map.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(SchemaError::at(
                &format!("{path}.name"),
                format!("expected a string, found {}", kind(other)),
            ));
        }
        None => return Err(SchemaError::at(path, "missing \"name\"")),
    };
    check_name(&name, &format!("{path}.name"))?;
    let type_name = match map.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(SchemaError::at(
                &format!("{path}.type"),
                format!("expected a string, found {}", kind(other)),
            ));
        }
        None => {
            return Err(SchemaError::at(
                path,
                format!("missing \"type\" for field \"{name}\""),
            ));
        }
    };
    let mode = match map.get("mode") {
        None | Some(Value::Null) => Mode::Nullable,
        Some(Value::String(s)) => match s.to_ascii_uppercase().as_str() {
            "NULLABLE" => Mode::Nullable,
            "REQUIRED" => Mode::Required,
            "REPEATED" => Mode::Repeated,
            _ => {
                return Err(SchemaError::at(
                    &format!("{path}.mode"),
                    format!("unknown mode \"{s}\" (expected NULLABLE, REQUIRED or REPEATED)"),
                ));
            }
        },
        Some(other) => {
            return Err(SchemaError::at(
                &format!("{path}.mode"),
                format!("expected a string, found {}", kind(other)),
            ));
        }
    };
    let description = match map.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(SchemaError::at(
                &format!("{path}.description"),
                format!("expected a string, found {}", kind(other)),
            ));
        }
    };
    let upper = type_name.to_ascii_uppercase();
    let element = if upper == "RECORD" || upper == "STRUCT" {
        match map.get("fields") {
            Some(Value::Array(items)) => {
                DataType::Struct(parse_fields(items, &format!("{path}.fields"))?)
            }
            Some(other) => {
                return Err(SchemaError::at(
                    &format!("{path}.fields"),
                    format!("expected an array of fields, found {}", kind(other)),
                ));
            }
            None => {
                return Err(SchemaError::at(
                    path,
                    format!("field \"{name}\" of type {type_name} needs \"fields\""),
                ));
            }
        }
    } else {
        if map.contains_key("fields") {
            return Err(SchemaError::at(
                &format!("{path}.fields"),
                format!("only RECORD fields have \"fields\", but \"{name}\" is {type_name}"),
            ));
        }
        DataType::from_name(&type_name).filter(|t| !matches!(t, DataType::Interval)).ok_or_else(|| {
            SchemaError::at(
                &format!("{path}.type"),
                format!(
                    "unknown type \"{type_name}\" (expected one of INT64, INTEGER, FLOAT64, FLOAT, NUMERIC, BIGNUMERIC, BOOL, BOOLEAN, STRING, BYTES, DATE, DATETIME, TIME, TIMESTAMP, RECORD, STRUCT)"
                ),
            )
        })?
    };
    let data_type = if mode == Mode::Repeated {
        DataType::Array(Box::new(element))
    } else {
        element
    };
    Ok(Field {
        name,
        data_type,
        mode,
        description,
    })
}

fn check_name(name: &str, path: &str) -> Result<(), SchemaError> {
    check_column_name(name).map_err(|message| SchemaError::at(path, message))
}

/// Whether `name` can name a column in the catalog: letters, digits and
/// underscores, not starting with a digit, at most 300 characters.
pub fn check_column_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !valid_start || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "invalid field name \"{name}\" (letters, digits and underscores, not starting with a digit)"
        ));
    }
    if name.len() > 300 {
        return Err("field names are at most 300 characters".into());
    }
    Ok(())
}

/// What a JSON value is, in words: `a number`, `an object`, `null`.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Renders fields back to BigQuery schema JSON (the form `parse_schema_json` reads).
pub fn schema_to_json(fields: &[Field]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|f| {
                let mut map = serde_json::Map::new();
                map.insert("name".into(), Value::String(f.name.clone()));
                map.insert("type".into(), Value::String(f.schema_type_name()));
                map.insert("mode".into(), Value::String(f.mode.as_str().into()));
                if !f.description.is_empty() {
                    map.insert("description".into(), Value::String(f.description.clone()));
                }
                let element = match &f.data_type {
                    DataType::Array(inner) => inner.as_ref(),
                    other => other,
                };
                if let DataType::Struct(children) = element {
                    map.insert("fields".into(), schema_to_json(children));
                }
                Value::Object(map)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_schema_parses() {
        let fields =
            parse_schema_json(crate::reference::ORDERS_TOPIC_SCHEMA_JSON).expect("seed schema");
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "event_timestamp",
                "customer_id",
                "amount",
                "order_status",
                "order_datetime"
            ]
        );
        assert_eq!(fields[0].data_type, DataType::Timestamp);
        assert_eq!(fields[0].mode, Mode::Required);
        assert_eq!(fields[2].data_type, DataType::Float64);
    }

    #[test]
    fn records_and_repeated_fields() {
        let text = r#"{"fields": [{"name": "loc", "type": "RECORD", "fields": [{"name": "lat", "type": "FLOAT"}]},
                                 {"name": "sites", "type": "STRING", "mode": "REPEATED"}]}"#;
        let fields = parse_schema_json(text).expect("parses");
        assert_eq!(
            fields[0].data_type,
            DataType::Struct(vec![Field::new("lat", DataType::Float64)])
        );
        assert_eq!(
            fields[1].data_type,
            DataType::Array(Box::new(DataType::String))
        );
        assert_eq!(
            parse_schema_json(&schema_to_json(&fields).to_string()).expect("round trip"),
            fields
        );
    }

    #[test]
    fn errors_name_the_field_path() {
        let cases = [
            (
                r#"[{"name": "a", "type": "INTEGR"}]"#,
                "[0].type: unknown type \"INTEGR\"",
            ),
            (
                r#"[{"name": "a", "type": "INT64"}, {"name": "r", "type": "RECORD", "fields": [{"type": "STRING"}]}]"#,
                "[1].fields[0]: missing \"name\"",
            ),
            (
                r#"[{"name": "a", "type": "INT64", "mode": "OPTIONAL"}]"#,
                "[0].mode: unknown mode",
            ),
            (
                r#"[{"name": "a", "type": "INT64"}, {"name": "A", "type": "STRING"}]"#,
                "[1].name: duplicate field name",
            ),
            (
                r#"[{"name": "1a", "type": "INT64"}]"#,
                "[0].name: invalid field name",
            ),
            (
                r#"[{"name": "a", "type": "INT64", "nullable": true}]"#,
                "[0].nullable: unknown key",
            ),
            (r#"{"name": "a"}"#, "expected an array of fields"),
            (r#"[]"#, "at least one field"),
        ];
        for (text, expected) in cases {
            let err = parse_schema_json(text).expect_err(text).to_string();
            assert!(
                err.contains(expected),
                "{text}: got {err:?}, expected {expected:?}"
            );
        }
    }

    #[test]
    fn json_syntax_errors_have_a_position() {
        let err = parse_schema_json("[\n  {\"name\": \"a\",}\n]").expect_err("trailing comma");
        assert_eq!(err.line, Some(2));
        assert!(err.to_string().starts_with("line 2, column"), "{err}");
    }
}
