//! Reading newline-delimited JSON (BigQuery loads, stream files) into rows of a
//! schema, with every bad record reported by line.

use sluice_sql::types::{DataType, Field, Mode};

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

/// Reads one Pub/Sub message's JSON as the deployed pipeline does. Beam's
/// `ReadFromPubSub` checks it against the topic's JSON schema, which gives each
/// field one JSON type (`sluice_deploy::pipeline::message_schema`), then reads the
/// fields by their exact names (`apache_beam/yaml/json_utils.py`: `json_parser`,
/// `json_to_row`). So, at any depth, a named field set to `null` or holding another
/// JSON type (`"12"` for an INT64) is refused: Dataflow sends the message to the
/// dead-letter table. A field the schema does not name is ignored, whatever it
/// holds; a name that differs only in case is such a field (its column is NULL).
/// `crates/sluice-deploy/tests/messages.rs` holds this to Beam's own parser.
pub fn row_from_message(object: &serde_json::Value, schema: &[Field]) -> Result<Row, String> {
    let serde_json::Value::Object(map) = object else {
        return row_from_json(object, schema);
    };
    let mut row = Vec::with_capacity(schema.len());
    for f in schema {
        let v = match map.get(&f.name) {
            Some(j) => {
                let j = as_read(j, &f.data_type).map_err(|e| format!("field \"{}\"{e}", f.name))?;
                Value::from_json(&j, &f.data_type)
                    .map_err(|e| format!("field \"{}\": {e}", f.name))?
            }
            None => Value::Null,
        };
        if v.is_null() && f.mode == Mode::Required {
            return Err(format!("field \"{}\" is REQUIRED but missing", f.name));
        }
        row.push(v);
    }
    Ok(row)
}

/// Reads a topic's messages as rows of its schema: the payload's fields as
/// [`row_from_message`] reads them, and the publish time as `event_timestamp`
/// (Dataflow's, whatever the payload says; it is not in the payload).
#[derive(Debug, Clone)]
pub struct MessageReader {
    payload: Vec<Field>,
    time_at: Option<usize>,
}

impl MessageReader {
    /// A reader for a topic of `schema`.
    pub fn new(schema: &[Field]) -> Self {
        use sluice_sql::catalog::EVENT_TIMESTAMP;
        Self {
            payload: schema
                .iter()
                .filter(|f| f.name != EVENT_TIMESTAMP)
                .cloned()
                .collect(),
            time_at: schema.iter().position(|f| f.name == EVENT_TIMESTAMP),
        }
    }

    /// The row of a message published at `publish_micros` with `data`, or why
    /// the deployed pipeline would refuse it (and send it to the dead-letter table).
    pub fn read(&self, data: &[u8], publish_micros: i64) -> Result<Row, String> {
        let mut payload: serde_json::Value =
            serde_json::from_slice(data).map_err(|e| format!("not JSON: {e}"))?;
        if let Some(object) = payload.as_object_mut() {
            object.remove(sluice_sql::catalog::EVENT_TIMESTAMP);
        }
        let mut row = row_from_message(&payload, &self.payload)?;
        if let Some(i) = self.time_at {
            row.insert(i, Value::Timestamp(publish_micros));
        }
        Ok(row)
    }
}

/// A message's value of a field of type `t` as the deployed pipeline reads it:
/// records keep only the fields they name (exactly); or why the pipeline refuses
/// it (the error continues `field "name"`).
fn as_read(j: &serde_json::Value, t: &DataType) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    let expected = match t {
        DataType::Int64 => "an INT64 (a JSON integer".to_string(),
        DataType::Float64 => "a FLOAT64 (a JSON number".to_string(),
        DataType::Numeric | DataType::BigNumeric => format!("a {t} (a JSON number"),
        DataType::Bool => "a BOOL (JSON true or false".to_string(),
        DataType::Array(_) => "an ARRAY (a JSON array".to_string(),
        DataType::Struct(_) => "a RECORD (a JSON object".to_string(),
        _ => format!("a {t} (a JSON string"),
    };
    match (t, j) {
        (_, J::Null) => Err(" is null: Dataflow's ReadFromPubSub refuses it (the topic's JSON schema gives each field one type) and sends the message to the dead-letter table; leave the field out for NULL".into()),
        (DataType::Int64 | DataType::Float64 | DataType::Numeric | DataType::BigNumeric, J::Number(_))
        | (DataType::Bool, J::Bool(_)) => Ok(j.clone()),
        (DataType::Array(element), J::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| as_read(item, element).map_err(|e| format!("[{i}]{e}")))
            .collect::<Result<Vec<_>, _>>()
            .map(J::Array),
        (DataType::Struct(fields), J::Object(map)) => {
            let mut read = serde_json::Map::new();
            for f in fields {
                match map.get(&f.name) {
                    Some(v) => {
                        let v = as_read(v, &f.data_type).map_err(|e| format!(".{}{e}", f.name))?;
                        read.insert(f.name.clone(), v);
                    }
                    None if f.mode == Mode::Required => {
                        return Err(format!(".{} is REQUIRED but missing", f.name));
                    }
                    None => {}
                }
            }
            Ok(J::Object(read))
        }
        (DataType::Int64 | DataType::Float64 | DataType::Numeric | DataType::BigNumeric | DataType::Bool | DataType::Array(_) | DataType::Struct(_), _)
        | (_, J::Number(_) | J::Bool(_) | J::Array(_) | J::Object(_)) => Err(format!(
            ": expected {expected}: the topic's JSON schema says so, and Dataflow sends the message to the dead-letter table), found {}",
            sluice_sql::schema::kind(j)
        )),
        (_, J::String(_)) => Ok(j.clone()),
    }
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

/// Reads one line's record of `kind` into a row of `schema`: the fast reading
/// ([`fast::row`]) for a good record, and for any other [`row_from_json`] /
/// [`row_from_message`] on the parsed JSON, which define the result and say what is
/// wrong.
pub fn read_record(line: &str, schema: &[Field], kind: RecordKind) -> Result<Row, String> {
    if let Some(row) = fast::row(line, schema, kind) {
        return Ok(row);
    }
    serde_json::from_str::<serde_json::Value>(line)
        .map_err(|e| format!("malformed JSON: {e}"))
        .and_then(|j| match kind {
            RecordKind::TableRow => row_from_json(&j, schema),
            RecordKind::Message => row_from_message(&j, schema),
        })
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
        match read_record(line, schema, kind) {
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

/// Reading a good record straight into a row: keys matched to the schema as they
/// are read, scalars converted as they come, no `serde_json::Value` for the record
/// and no allocation for its keys. It gives up (`None`) on anything but a plain
/// good record (malformed JSON, a wrong type, a null message field, an unknown table
/// field, a field named twice, a missing REQUIRED field); the slow reading then
/// decides and explains. Where it answers, it answers as the slow reading does: each
/// value goes through [`Value::from_json`] unless it is a plain string for a STRING
/// or TIMESTAMP column, read by the same functions from_json calls.
mod fast {
    use std::fmt;

    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use sluice_sql::types::{DataType, Field, Mode};

    use super::RecordKind;
    use crate::value::{Row, Value};
    use sluice_sql::literal::parse_timestamp;

    /// The row of `line`'s record, or `None` to leave it to the slow reading.
    pub(super) fn row(line: &str, schema: &[Field], kind: RecordKind) -> Option<Row> {
        if schema.len() > 64 {
            return None; // the bit set of fields seen holds 64
        }
        let mut de = serde_json::Deserializer::from_str(line);
        let row = Record { schema, kind }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(row)
    }

    /// Gives up; the message is never shown (the slow reading explains).
    fn give_up<E: de::Error>() -> E {
        E::custom("")
    }

    struct Record<'s> {
        schema: &'s [Field],
        kind: RecordKind,
    }

    impl<'de> DeserializeSeed<'de> for Record<'_> {
        type Value = Row;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Row, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Record<'_> {
        type Value = Row;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
            let mut row = vec![Value::Null; self.schema.len()];
            let mut seen = 0u64;
            let mut next = 0;
            while let Some(key) = map.next_key_seed(Key(self.schema, next, self.kind))? {
                match key {
                    Some(i) => {
                        next = i + 1;
                        if seen & (1 << i) != 0 {
                            return Err(give_up());
                        }
                        seen |= 1 << i;
                        row[i] = map.next_value_seed(Column {
                            data_type: &self.schema[i].data_type,
                            kind: self.kind,
                        })?;
                    }
                    None if self.kind == RecordKind::Message => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    None => return Err(give_up()),
                }
            }
            let missing = self
                .schema
                .iter()
                .zip(&row)
                .any(|(f, v)| f.mode == Mode::Required && v.is_null());
            if missing {
                return Err(give_up());
            }
            Ok(row)
        }
    }

    /// A key: the index of the schema's field of that name (case-insensitive in a
    /// table row, exact in a message), or `None` for a name the schema does not
    /// have. The field after the previous key's is tried first: records mostly list
    /// their fields in the schema's order.
    struct Key<'s>(&'s [Field], usize, RecordKind);

    impl<'de> DeserializeSeed<'de> for Key<'_> {
        type Value = Option<usize>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl Visitor<'_> for Key<'_> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a field name")
        }
        fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
            if self.0.get(self.1).is_some_and(|f| f.name == key) {
                return Ok(Some(self.1));
            }
            Ok(match self.2 {
                RecordKind::Message => self.0.iter().position(|f| f.name == key),
                RecordKind::TableRow => {
                    self.0.iter().position(|f| f.name.eq_ignore_ascii_case(key))
                }
            })
        }
    }

    /// A field's value, converted to its column's type.
    struct Column<'t> {
        data_type: &'t DataType,
        kind: RecordKind,
    }

    impl Column<'_> {
        fn convert<E: de::Error>(&self, json: &serde_json::Value) -> Result<Value, E> {
            Value::from_json(json, self.data_type).map_err(|_| give_up())
        }
    }

    impl<'de> DeserializeSeed<'de> for Column<'_> {
        type Value = Value;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Column<'_> {
        type Value = Value;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
            match self.kind {
                RecordKind::Message => Err(give_up()),
                RecordKind::TableRow => Ok(Value::Null),
            }
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
            self.convert(&serde_json::Value::Bool(b))
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
            self.convert(&serde_json::Value::Number(n.into()))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
            self.convert(&serde_json::Value::Number(n.into()))
        }
        fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
            match serde_json::Number::from_f64(n) {
                Some(n) => self.convert(&serde_json::Value::Number(n)),
                None => Err(give_up()),
            }
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
            match self.data_type {
                DataType::String => Ok(Value::string(s)),
                // A message's string is only ever text or a time.
                DataType::Int64
                | DataType::Float64
                | DataType::Numeric
                | DataType::BigNumeric
                | DataType::Bool
                    if self.kind == RecordKind::Message =>
                {
                    Err(give_up())
                }
                DataType::Timestamp => parse_timestamp(s).map(Value::Timestamp).ok_or_else(give_up),
                _ => self.convert(&serde_json::Value::String(s.to_owned())),
            }
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
            if self.kind == RecordKind::Message {
                return Err(give_up()); // nested values: the slow reading checks them
            }
            let json: serde_json::Value =
                serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
            self.convert(&json)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
            if self.kind == RecordKind::Message {
                return Err(give_up());
            }
            let json: serde_json::Value =
                serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
            self.convert(&json)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sql::types::DataType;

    /// The slow reading alone: the definition the fast one must agree with.
    fn slow(line: &str, schema: &[Field], kind: RecordKind) -> Result<Row, String> {
        serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| format!("malformed JSON: {e}"))
            .and_then(|j| match kind {
                RecordKind::TableRow => row_from_json(&j, schema),
                RecordKind::Message => row_from_message(&j, schema),
            })
    }

    fn wide_schema() -> Vec<Field> {
        vec![
            Field::new("id", DataType::Int64).with_mode(Mode::Required),
            Field::new("amount", DataType::Float64),
            Field::new("name", DataType::String),
            Field::new("at", DataType::Timestamp),
            Field::new("ok", DataType::Bool),
            Field::new("price", DataType::Numeric),
            Field::new("day", DataType::Date),
            Field::new(
                "address",
                DataType::Struct(vec![Field::new("city", DataType::String)]),
            ),
            Field::new("tags", DataType::Array(Box::new(DataType::String))),
        ]
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::json;
        let leaf = prop_oneof![
            Just(json!(null)),
            any::<bool>().prop_map(|b| json!(b)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            prop_oneof![
                Just("2024-01-31T10:00:00Z"),
                Just("2024-01-31 10:00:00.123456 UTC"),
                Just("2024-01-31"),
                Just("12.5"),
                Just("-7"),
                Just("true"),
                Just("NaN"),
                Just("not a value"),
                Just("é\u{0}\"\\"),
            ]
            .prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::Array),
                proptest::collection::vec(("(city|CITY|x)", inner), 0..3)
                    .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// Values of each column's type, mostly well-formed, some left out.
    #[cfg(not(target_arch = "wasm32"))]
    fn good_fields()
    -> impl proptest::strategy::Strategy<Value = Vec<Option<(String, serde_json::Value)>>> {
        use proptest::prelude::*;
        use serde_json::json;
        let field = |name: &'static str, value: BoxedStrategy<serde_json::Value>| {
            proptest::option::weighted(0.8, value.prop_map(move |v| (name.to_string(), v)))
        };
        (
            field("id", any::<i64>().prop_map(|n| json!(n)).boxed()),
            field("amount", (-1e6f64..1e6).prop_map(|f| json!(f)).boxed()),
            field("name", "[a-zé\\\"]{0,12}".prop_map(|s| json!(s)).boxed()),
            field(
                "at",
                (0i64..4_000_000_000)
                    .prop_map(|t| json!(sluice_sql_time(t)))
                    .boxed(),
            ),
            field("ok", any::<bool>().prop_map(|b| json!(b)).boxed()),
            field("price", (-1e6f64..1e6).prop_map(|f| json!(f)).boxed()),
            field("day", Just(json!("2024-02-29")).boxed()),
            field(
                "address",
                "[a-z]{0,6}".prop_map(|c| json!({"city": c})).boxed(),
            ),
            field(
                "tags",
                proptest::collection::vec("[a-z]{0,4}", 0..3)
                    .prop_map(|t| json!(t))
                    .boxed(),
            ),
        )
            .prop_map(|(a, b, c, d, e, f, g, h, i)| vec![a, b, c, d, e, f, g, h, i])
    }

    /// A TIMESTAMP's text as a message carries it.
    #[cfg(not(target_arch = "wasm32"))]
    fn sluice_sql_time(seconds: i64) -> String {
        crate::value::Value::Timestamp(seconds * 1_000_000 + 123_456).to_string()
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Wherever the fast reading answers, it answers what the slow one does;
        /// elsewhere the slow one answers (errors included), so reading a line
        /// always equals the slow reading.
        #[test]
        fn the_fast_reading_agrees_with_the_slow_one(
            good in good_fields(),
            odd in proptest::collection::vec(
                ("(id|ID|amount|name|at|ok|price|day|address|tags|extra)", json_value()),
                0..3,
            ),
            message in proptest::bool::ANY,
        ) {
            let fields: Vec<(String, serde_json::Value)> = good.into_iter().flatten().chain(odd).collect();
            let schema = wide_schema();
            let kind = if message { RecordKind::Message } else { RecordKind::TableRow };
            // Written by hand so that a key may come twice.
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}: {v}", serde_json::Value::String(k.clone())))
                .collect();
            let line = format!("{{{}}}", body.join(", "));
            let expected = slow(&line, &schema, kind);
            if let Some(row) = fast::row(&line, &schema, kind) {
                proptest::prop_assert_eq!(Ok(row), expected.clone(), "{}", line);
            }
            proptest::prop_assert_eq!(read_record(&line, &schema, kind), expected, "{}", line);
        }
    }

    #[test]
    fn good_records_take_the_fast_reading() {
        let schema = wide_schema();
        for line in [
            r#"{"id": 1, "amount": 2.5, "name": "a\"bcdé", "at": "2024-01-31T10:00:00Z", "ok": true}"#,
            r#"{"ID": -3, "price": 12.25, "day": "2024-01-31", "address": {"city": "Oslo"}, "tags": ["x", "y"]}"#,
            r#"  {"id": 18446744073709551615}  "#,
        ] {
            let fast = fast::row(line, &schema, RecordKind::TableRow);
            let slow = slow(line, &schema, RecordKind::TableRow).ok();
            assert_eq!(fast, slow, "{line}");
        }
        assert!(fast::row(r#"{"id": 1}"#, &schema, RecordKind::TableRow).is_some());
        // Given up on: a null message field, an unknown table field, a key twice.
        assert!(fast::row(r#"{"id": 1, "amount": null}"#, &schema, RecordKind::Message).is_none());
        assert!(fast::row(r#"{"id": 1, "extra": 1}"#, &schema, RecordKind::TableRow).is_none());
        assert!(fast::row(r#"{"id": 1, "extra": 1}"#, &schema, RecordKind::Message).is_some());
        assert!(fast::row(r#"{"id": 1, "Id": 2}"#, &schema, RecordKind::TableRow).is_none());
    }

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
