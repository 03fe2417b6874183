//! A Pub/Sub topic's schema inferred from sample messages (pasted, or pulled from
//! the topic): the BigQuery schema the catalog holds, with what each message taught
//! and every disagreement at the line of the message that disagrees.
//!
//! The rules, and where they come from:
//! - A message is one JSON object, a row. The schema begins with `event_timestamp`
//!   (TIMESTAMP, REQUIRED): the publish time Dataflow adds to every message, which
//!   is how the catalog's topics are declared (`catalog::EVENT_TIMESTAMP`).
//! - A field's type is its JSON type, because that is how the deployed pipeline
//!   reads it: `ReadFromPubSub` checks each message against a JSON schema that
//!   gives each field one JSON type (Beam's `apache_beam/yaml/json_utils.py`,
//!   `json_parser`; Sluice writes that schema in `sluice-deploy`'s `pipeline.rs`).
//!   So `"12"` is a STRING. Whole numbers are INT64, FLOAT64 once a message has a
//!   fraction or an exponent or a number beyond INT64; `true`/`false` BOOL;
//!   objects RECORD; arrays REPEATED.
//! - Text in a date form is typed by what the form says: `YYYY-MM-DD` is a DATE;
//!   a date and time with its zone (`2026-11-24T10:15:02Z`, `… +02:00`, `… UTC`,
//!   BigQuery's timestamp forms as `literal::parse_timestamp` reads them) is a
//!   TIMESTAMP. A date and time without a zone stays a STRING: it is a civil time
//!   whose zone only its producer knows (the seed's generator writes its local
//!   time, and the walkthrough's schema declares that field a STRING), and reading
//!   it as a TIMESTAMP would take it as UTC. Inside a RECORD or an array any such
//!   text stays a STRING, because Beam reads times there only as strings
//!   (`pipeline.rs`, `json_type`).
//! - Every field is NULLABLE: a sample cannot show that the next message will
//!   hold a field (the walkthrough's schema says the same of its always-present
//!   fields). Where a field is missing from some messages, a note says so.
//! - A field set to `null` makes the deployed pipeline refuse the message (its
//!   JSON type is not null): a warning at its line. Leaving the field out is NULL.
//! - BigQuery's limits (<https://cloud.google.com/bigquery/docs/nested-repeated>):
//!   an array cannot hold an array or a NULL, and a schema has at most 15 levels
//!   of RECORD; a table has at most 10,000 columns, nested ones included
//!   (<https://cloud.google.com/bigquery/quotas>, "Maximum number of columns").
//! - Names follow the catalog's rule for column names (`schema.rs`). Two
//!   spellings that differ only in case are one column, as BigQuery's column
//!   names ignore case; but the deployed pipeline reads a field by its exact name,
//!   so a message with the other spelling reads NULL there: a warning.

use serde_json::Value;

use crate::catalog::EVENT_TIMESTAMP;
use crate::types::{DataType, Field, Mode};

/// BigQuery's limit of columns in a table, nested columns included.
pub const MAX_COLUMNS: usize = 10_000;

/// BigQuery's limit of nested RECORD levels in a schema.
pub const MAX_RECORD_DEPTH: usize = 15;

/// A schema inferred from sample messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    /// The topic's schema: `event_timestamp`, then the messages' fields in the
    /// order they first appear.
    pub fields: Vec<Field>,
    /// How many messages were read (those that are not objects included).
    pub messages: usize,
    /// What the sample showed beyond the types, in line order.
    pub findings: Vec<Finding>,
}

impl Inferred {
    /// Whether any message disagrees with the schema.
    pub fn has_conflicts(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == FindingSeverity::Conflict)
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingSeverity {
    /// The schema cannot hold this message as it is (two messages disagree on a
    /// field's type, or BigQuery has no type for the value).
    Conflict,
    /// The schema holds the message, but the deployed pipeline refuses it.
    Warning,
    /// How a type or mode was chosen.
    Note,
}

impl FindingSeverity {
    /// `conflict`, `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conflict => "conflict",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// One thing the sample showed, at the message that showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The 1-based line where the message begins.
    pub line: usize,
    /// The field's path (`customer.address.city`, `items[]`); empty for the
    /// message as a whole.
    pub field: String,
    /// How much it matters.
    pub severity: FindingSeverity,
    /// What it is, in words.
    pub message: String,
}

/// Sample messages that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct InferError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Infers a topic's schema from sample messages: one JSON object per line (or
/// objects one after another, over several lines), or a JSON array of objects.
pub fn infer_topic_schema(text: &str) -> Result<Inferred, InferError> {
    let mut inference = Inference::default();
    for_each_message(text, |value, line| inference.message(value, line))?;
    if inference.messages == 0 {
        return Err(InferError {
            line: 1,
            column: 1,
            message: "no messages: paste one JSON object per line, or a JSON array of objects"
                .into(),
        });
    }
    Ok(inference.finish())
}

/// Calls `each` with every message of `text` and the line it begins on.
fn for_each_message(
    text: &str,
    mut each: impl FnMut(Value, usize) -> Result<(), InferError>,
) -> Result<(), InferError> {
    let start = skip_whitespace(text, 0);
    if text[start..].starts_with('[') {
        let mut at = start + 1;
        let mut first = true;
        loop {
            at = skip_whitespace(text, at);
            if text[at..].starts_with(']') {
                at += 1;
                break;
            }
            if !first {
                if !text[at..].starts_with(',') {
                    return Err(error_at(text, at, "expected `,` or `]` after a message"));
                }
                at = skip_whitespace(text, at + 1);
            }
            first = false;
            let (value, end) = one_value(text, at)?;
            each(value, line_of(text, at))?;
            at = end;
        }
        let rest = skip_whitespace(text, at);
        if rest < text.len() {
            return Err(error_at(
                text,
                rest,
                "text after the array: paste one array, or one object per line",
            ));
        }
        return Ok(());
    }
    let mut at = start;
    while at < text.len() {
        let (value, end) = one_value(text, at)?;
        each(value, line_of(text, at))?;
        at = skip_whitespace(text, end);
    }
    Ok(())
}

/// The JSON value that begins at byte `at`, and the byte after it.
fn one_value(text: &str, at: usize) -> Result<(Value, usize), InferError> {
    let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
    match stream.next() {
        Some(Ok(value)) => Ok((value, at + stream.byte_offset())),
        Some(Err(e)) => {
            // serde_json counts from `at`: its first line continues `at`'s line.
            let (line, column) = position_of(text, at);
            let (line, column) = if e.line() <= 1 {
                (line, column + e.column().saturating_sub(1))
            } else {
                (line + e.line() - 1, e.column())
            };
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            };
            Err(InferError {
                line,
                column: column.max(1),
                message: format!("not valid JSON: {message}"),
            })
        }
        None => Err(error_at(text, at, "expected a message")),
    }
}

fn skip_whitespace(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| !c.is_whitespace())
        .map_or(text.len(), |i| from + i)
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].bytes().filter(|&b| b == b'\n').count() + 1
}

fn position_of(text: &str, at: usize) -> (usize, usize) {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line_of(text, at), text[line_start..at].chars().count() + 1)
}

fn error_at(text: &str, at: usize, message: &str) -> InferError {
    let (line, column) = position_of(text, at);
    InferError {
        line,
        column,
        message: message.into(),
    }
}

/// What the messages showed of one value's type so far.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// Only nulls and empty arrays so far.
    Unknown,
    Bool,
    Int,
    Float,
    Text(Text),
    Record(Record),
    Array(Box<Shape>),
}

/// What a string's text says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Date,
    Timestamp,
    /// A date and time without a zone.
    Civil,
    Plain,
}

impl Text {
    fn of(s: &str) -> Self {
        use crate::literal::{parse_date, parse_datetime, parse_timestamp};
        if s.trim() != s || s.is_empty() {
            Self::Plain
        } else if parse_date(s).is_some() {
            Self::Date
        } else if parse_datetime(s).is_some() {
            Self::Civil
        } else if parse_timestamp(s).is_some() {
            Self::Timestamp
        } else {
            Self::Plain
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Date => "a DATE",
            Self::Timestamp => "a TIMESTAMP",
            Self::Civil => "a date and time without a zone",
            Self::Plain => "text",
        }
    }
}

impl Shape {
    /// How a value of this shape is described to the user.
    fn describe(&self) -> &'static str {
        match self {
            Self::Unknown => "null",
            Self::Bool => "a boolean",
            Self::Int | Self::Float => "a number",
            Self::Text(_) => "a string",
            Self::Record(_) => "an object",
            Self::Array(_) => "an array",
        }
    }
}

/// A RECORD's fields as the messages showed them.
#[derive(Debug, Clone, PartialEq, Default)]
struct Record {
    slots: Vec<Slot>,
    /// How many objects were merged into it.
    objects: usize,
    /// The line of the first of them.
    first_line: Option<usize>,
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    name: String,
    shape: Shape,
    /// The line of the message that first held it.
    line: usize,
    /// Objects that lacked it, and the first of them.
    missing: usize,
    first_missing: Option<usize>,
    /// A field the schema cannot hold (its name), said once and left out.
    left_out: bool,
    /// Whether a conflict, a null, a respelling and a text kind were said already.
    conflict_said: bool,
    null_said: bool,
    spelling_said: bool,
    text_said: bool,
}

/// Where a value sits: its path, its message's line, and how deep in RECORDs.
#[derive(Clone, Copy)]
struct At<'a> {
    path: &'a str,
    line: usize,
    depth: usize,
}

#[derive(Default)]
struct Inference {
    top: Record,
    messages: usize,
    columns: usize,
    findings: Vec<Finding>,
}

impl Inference {
    fn message(&mut self, value: Value, line: usize) -> Result<(), InferError> {
        self.messages += 1;
        let Value::Object(map) = value else {
            self.say(
                line,
                "",
                FindingSeverity::Conflict,
                format!(
                    "a message must be a JSON object (a row), not {}; it is left out",
                    crate::schema::kind(&value)
                ),
            );
            return Ok(());
        };
        let mut top = std::mem::take(&mut self.top);
        let at = At {
            path: "",
            line,
            depth: 0,
        };
        let result = self.record(&mut top, &map, at);
        self.top = top;
        result
    }

    fn say(&mut self, line: usize, field: &str, severity: FindingSeverity, message: String) {
        self.findings.push(Finding {
            line,
            field: field.to_string(),
            severity,
            message,
        });
    }

    /// Merges one JSON object into `record`.
    fn record(
        &mut self,
        record: &mut Record,
        map: &serde_json::Map<String, Value>,
        at: At<'_>,
    ) -> Result<(), InferError> {
        let mut seen = vec![false; record.slots.len()];
        for (key, value) in map {
            let path = if at.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", at.path)
            };
            let index = match record
                .slots
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(key))
            {
                Some(i) => i,
                None => {
                    let refused = if at.depth == 0 && key.eq_ignore_ascii_case(EVENT_TIMESTAMP) {
                        Some(format!(
                            "the message has its own \"{key}\", but the topic's \"{EVENT_TIMESTAMP}\" is the publish time Dataflow adds: rename the message's field; it is left out"
                        ))
                    } else {
                        crate::schema::check_column_name(key)
                            .err()
                            .map(|why| format!("{why}; the field is left out"))
                    };
                    if let Some(why) = refused {
                        self.say(at.line, &path, FindingSeverity::Conflict, why);
                        record.slots.push(Slot {
                            left_out: true,
                            ..Slot::new(key, at.line)
                        });
                        seen.push(true);
                        continue;
                    }
                    self.columns += 1;
                    if self.columns > MAX_COLUMNS {
                        return Err(InferError {
                            line: at.line,
                            column: 1,
                            message: format!(
                                "more than {MAX_COLUMNS} fields (BigQuery's limit of columns in a table, nested ones included), the last at \"{path}\""
                            ),
                        });
                    }
                    let mut slot = Slot::new(key, at.line);
                    slot.missing = record.objects;
                    slot.first_missing = record.first_line;
                    record.slots.push(slot);
                    seen.push(false);
                    record.slots.len() - 1
                }
            };
            seen[index] = true;
            if record.slots[index].left_out {
                continue;
            }
            let mut slot = std::mem::replace(&mut record.slots[index], Slot::new("", 0));
            if slot.name != *key && !slot.spelling_said {
                slot.spelling_said = true;
                self.say(
                    at.line,
                    &path,
                    FindingSeverity::Warning,
                    format!(
                        "\"{key}\" is spelled \"{}\" on line {}: one column, as BigQuery's column names ignore case, but the deployed pipeline reads a field by its exact name, so this message's is NULL there",
                        slot.name, slot.line
                    ),
                );
            }
            let field_at = At {
                path: &path,
                line: at.line,
                depth: at.depth,
            };
            let result = self.field(&mut slot, value, field_at);
            record.slots[index] = slot;
            result?;
        }
        for (slot, seen) in record.slots.iter_mut().zip(seen) {
            if !seen {
                slot.missing += 1;
                slot.first_missing.get_or_insert(at.line);
            }
        }
        record.objects += 1;
        record.first_line.get_or_insert(at.line);
        Ok(())
    }

    /// Merges one field's value into its slot.
    fn field(&mut self, slot: &mut Slot, value: &Value, at: At<'_>) -> Result<(), InferError> {
        if value.is_null() {
            if !slot.null_said {
                slot.null_said = true;
                self.say(
                    at.line,
                    at.path,
                    FindingSeverity::Warning,
                    "is null: the deployed pipeline refuses this message (the topic's JSON schema gives the field one type) and sends it to the dead-letter table; leave the field out for NULL".into(),
                );
            }
            return Ok(());
        }
        match self.merge(&mut slot.shape, value, at)? {
            Merged::Fits => {}
            Merged::TextChanged(was, now) if !slot.text_said => {
                slot.text_said = true;
                self.say(
                    at.line,
                    at.path,
                    FindingSeverity::Note,
                    format!(
                        "is {} here but {} on line {}: a STRING",
                        now.name(),
                        was.name(),
                        slot.line
                    ),
                );
            }
            Merged::TextChanged(..) => {}
            Merged::Clash(why) => {
                if !slot.conflict_said {
                    slot.conflict_said = true;
                    self.say(at.line, at.path, FindingSeverity::Conflict, why);
                }
            }
        }
        Ok(())
    }

    /// Merges a non-null value into `shape`.
    fn merge(
        &mut self,
        shape: &mut Shape,
        value: &Value,
        at: At<'_>,
    ) -> Result<Merged, InferError> {
        let seen = shape.describe();
        let now = match value {
            Value::Null => return Ok(Merged::Fits),
            Value::Bool(_) => Shape::Bool,
            Value::Number(n) if n.is_i64() => Shape::Int,
            Value::Number(n) => {
                if n.is_u64() && *shape != Shape::Float {
                    self.say(
                        at.line,
                        at.path,
                        FindingSeverity::Note,
                        format!("{n} is beyond INT64: a FLOAT64, which keeps about 16 digits"),
                    );
                }
                Shape::Float
            }
            Value::String(s) => Shape::Text(Text::of(s)),
            Value::Object(map) => {
                if at.depth >= MAX_RECORD_DEPTH {
                    return Ok(Merged::Clash(format!(
                        "is an object nested deeper than {MAX_RECORD_DEPTH} RECORDs, BigQuery's limit"
                    )));
                }
                let mut record = match std::mem::replace(shape, Shape::Unknown) {
                    Shape::Record(r) => r,
                    Shape::Unknown => Record::default(),
                    other => {
                        *shape = other;
                        return Ok(Merged::Clash(format!(
                            "is an object here, but {seen} on an earlier line"
                        )));
                    }
                };
                let result = self.record(
                    &mut record,
                    map,
                    At {
                        depth: at.depth + 1,
                        ..at
                    },
                );
                *shape = Shape::Record(record);
                result?;
                return Ok(Merged::Fits);
            }
            Value::Array(items) => {
                let mut element = match std::mem::replace(shape, Shape::Unknown) {
                    Shape::Array(e) => *e,
                    Shape::Unknown => Shape::Unknown,
                    other => {
                        *shape = other;
                        return Ok(Merged::Clash(format!(
                            "is an array here, but {seen} on an earlier line"
                        )));
                    }
                };
                let path = format!("{}[]", at.path);
                let mut outcome = Merged::Fits;
                for item in items {
                    let clash = match item {
                        Value::Null => Some(
                            "holds a null: a BigQuery array cannot hold NULL".to_string(),
                        ),
                        Value::Array(_) => Some(
                            "holds an array: a BigQuery array cannot hold an array directly (put it in a RECORD)".to_string(),
                        ),
                        _ => None,
                    };
                    if let Some(why) = clash {
                        outcome = Merged::Clash(why);
                        break;
                    }
                    match self.merge(&mut element, item, At { path: &path, ..at })? {
                        Merged::Clash(why) => {
                            outcome = Merged::Clash(format!("[]: an element {why}"));
                            break;
                        }
                        Merged::TextChanged(..) => {}
                        Merged::Fits => {}
                    }
                }
                *shape = Shape::Array(Box::new(element));
                return Ok(outcome);
            }
        };
        Ok(match (&*shape, &now) {
            (Shape::Unknown, _) => {
                *shape = now;
                Merged::Fits
            }
            (a, b) if a == b => Merged::Fits,
            (Shape::Int, Shape::Float) => {
                *shape = Shape::Float;
                Merged::Fits
            }
            (Shape::Float, Shape::Int) => Merged::Fits,
            (Shape::Text(was), Shape::Text(kind)) => {
                let (was, kind) = (*was, *kind);
                *shape = Shape::Text(Text::Plain);
                if was == Text::Plain {
                    Merged::Fits
                } else {
                    Merged::TextChanged(was, kind)
                }
            }
            _ => Merged::Clash(format!(
                "is {} here, but {seen} on an earlier line",
                crate::schema::kind(value)
            )),
        })
    }

    fn finish(mut self) -> Inferred {
        let mut fields =
            vec![Field::new(EVENT_TIMESTAMP, DataType::Timestamp).with_mode(Mode::Required)];
        let top = std::mem::take(&mut self.top);
        fields.extend(self.fields(&top, "", true));
        self.findings
            .sort_by_key(|f| (f.line, f.severity, f.field.clone()));
        Inferred {
            fields,
            messages: self.messages,
            findings: self.findings,
        }
    }

    /// The schema of a record's fields, saying how each type was chosen where the
    /// sample left it open.
    fn fields(&mut self, record: &Record, path: &str, top: bool) -> Vec<Field> {
        let mut fields = Vec::new();
        for slot in record.slots.iter().filter(|s| !s.left_out) {
            let path = if path.is_empty() {
                slot.name.clone()
            } else {
                format!("{path}.{}", slot.name)
            };
            if let Some(line) = slot.first_missing {
                self.say(
                    line,
                    &path,
                    FindingSeverity::Note,
                    format!(
                        "is missing from {} of {} {} (the first here): NULL there",
                        slot.missing,
                        record.objects,
                        if top { "messages" } else { "objects" }
                    ),
                );
            }
            let (data_type, mode) = match &slot.shape {
                Shape::Array(element) => {
                    let element = self.data_type(element, &format!("{path}[]"), slot.line, false);
                    (DataType::Array(Box::new(element)), Mode::Repeated)
                }
                shape => (self.data_type(shape, &path, slot.line, top), Mode::Nullable),
            };
            fields.push(Field::new(slot.name.clone(), data_type).with_mode(mode));
        }
        fields
    }

    /// The BigQuery type of a shape; `top` says whether it is a top-level field,
    /// where Beam reads times.
    fn data_type(&mut self, shape: &Shape, path: &str, line: usize, top: bool) -> DataType {
        match shape {
            Shape::Unknown => {
                self.say(
                    line,
                    path,
                    FindingSeverity::Note,
                    "has no value in the sample (only null or empty arrays): a STRING, as BigQuery's schema auto-detection chooses".into(),
                );
                DataType::String
            }
            Shape::Bool => DataType::Bool,
            Shape::Int => DataType::Int64,
            Shape::Float => DataType::Float64,
            Shape::Text(Text::Plain) => DataType::String,
            Shape::Text(Text::Civil) => {
                self.say(
                    line,
                    path,
                    FindingSeverity::Note,
                    "is a date and time without a time zone: a STRING (a TIMESTAMP would read it as UTC); CAST it to DATETIME, or to TIMESTAMP with its zone, in the query".into(),
                );
                DataType::String
            }
            Shape::Text(kind @ (Text::Date | Text::Timestamp)) => {
                if top {
                    if *kind == Text::Date {
                        DataType::Date
                    } else {
                        DataType::Timestamp
                    }
                } else {
                    self.say(
                        line,
                        path,
                        FindingSeverity::Note,
                        format!(
                            "is {} inside a RECORD or an array, where Beam reads times only as strings: a STRING; CAST it in the query",
                            kind.name()
                        ),
                    );
                    DataType::String
                }
            }
            Shape::Record(record) => DataType::Struct(self.fields(record, path, false)),
            Shape::Array(element) => {
                // Arrays of arrays are refused while merging; keep the element.
                self.data_type(element, &format!("{path}[]"), line, false)
            }
        }
    }
}

/// What merging a value did.
enum Merged {
    Fits,
    /// Text of one kind met text of another: the field is a STRING now.
    TextChanged(Text, Text),
    /// The value does not fit: why.
    Clash(String),
}

impl Slot {
    fn new(name: &str, line: usize) -> Self {
        Self {
            name: name.to_string(),
            shape: Shape::Unknown,
            line,
            missing: 0,
            first_missing: None,
            left_out: false,
            conflict_said: false,
            null_said: false,
            spelling_said: false,
            text_said: false,
        }
    }
}

#[cfg(test)]
mod tests;
