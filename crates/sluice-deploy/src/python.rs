//! The Python that Sluice's pipelines run in Beam YAML `MapToFields` steps
//! (`language: python`), where Beam's own transforms cannot carry a value from
//! one SDK to the other. Each function returns the `callable:` source of one
//! field; Beam loads it with `PythonCallableWithSource.load_from_script` (the
//! last top-level `def` is the callable). `crates/sluice-deploy/tests/beam_half.py`
//! runs every one of them on Beam 2.75's DirectRunner.
//!
//! Why each exists (Beam 2.75's sources, `apache_beam/yaml/` and Beam's Java SQL):
//! - **Times into SQL.** `ReadFromPubSub`'s `publish_time_field` is a Python
//!   `Timestamp` (`yaml_io.read_from_pubsub`: `schema_field(…, Optional[Timestamp])`),
//!   the portable logical type `micros_instant`, for which Beam SQL's
//!   `CalciteUtils.toSqlTypeName` has no Calcite type (it throws "Cannot find a
//!   matching Calcite SqlTypeName for Beam logical type"), even when the query
//!   does not read the column. JSON has no TIMESTAMP either. So each time field
//!   becomes text Calcite's `CAST(… AS TIMESTAMP)` reads (`YYYY-MM-DD
//!   HH:MM:SS.ffffff`, UTC) and the query casts it back. `MapToFields` checks an
//!   `output_type` with `isinstance(x, str)` (`yaml_mapping._validator`), so a
//!   field cannot be `None`: a missing value becomes `''`, which the query reads as
//!   NULL (`NULLIF(x, '')`); no valid time is ever empty text.
//! - **Rows into Pub/Sub.** `WriteToPubSub`'s JSON format passes logical-type values
//!   (TIMESTAMP, DATE, NUMERIC) to `json.dumps` unchanged (`json_utils.row_to_json`),
//!   which raises `TypeError`. The message is therefore made here, as one string
//!   written with the `RAW` format, exactly as Beam's `json_formater` would for
//!   plain values (`json.dumps(…, sort_keys=True)`, fields that are NULL left out),
//!   with times, dates, numerics and bytes as the simulator shows them.
//! - **Dead letters.** Errors caught by `error_handling` are rows `(element, msg,
//!   stack)` (`yaml_errors.map_errors_to_standard_format`) or, from Java's BigQuery
//!   write, `(failed_row, error_message)`; each becomes `(step, error, payload)`
//!   text for the dead-letter table.

use sluice_sql::catalog::EVENT_TIMESTAMP;
use sluice_sql::types::{DataType, Field, Mode};

/// How a topic field's JSON value becomes text for Calcite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeText {
    /// The message's publish time (a Beam `Timestamp`).
    PublishTime,
    /// A TIMESTAMP written as BigQuery accepts it (`2021-07-18T10:00:00Z`,
    /// `2021-07-18 10:00:00.5 UTC`, `…+02:00`), converted to UTC.
    Timestamp,
    /// A DATETIME (`2021-07-18T10:00:00`), no time zone allowed.
    Datetime,
    /// A DATE (`2021-07-18`).
    Date,
    /// A TIME (`10:00:00.5`).
    Time,
}

impl TimeText {
    /// The conversion a topic field of `t` needs, if any.
    pub fn for_field(name: &str, t: &DataType) -> Option<Self> {
        if name == sluice_sql::catalog::EVENT_TIMESTAMP {
            return Some(Self::PublishTime);
        }
        match t {
            DataType::Timestamp => Some(Self::Timestamp),
            DataType::Datetime => Some(Self::Datetime),
            DataType::Date => Some(Self::Date),
            DataType::Time => Some(Self::Time),
            _ => None,
        }
    }
}

/// A Python string literal for `s`.
pub fn py_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The callable that turns `field` of a parsed message into Calcite's text.
pub fn time_text(field: &str, kind: TimeText) -> String {
    let body = match kind {
        TimeText::PublishTime => "  return v.to_utc_datetime().strftime('%Y-%m-%d %H:%M:%S.%f')\n",
        TimeText::Timestamp => concat!(
            "  s = v.strip()\n",
            "  if s.upper().endswith('UTC'):\n",
            "    s = s[:-3].rstrip()\n",
            "  t = datetime.datetime.fromisoformat(s)\n",
            "  if t.tzinfo is not None:\n",
            "    t = t.astimezone(datetime.timezone.utc).replace(tzinfo=None)\n",
            "  return t.strftime('%Y-%m-%d %H:%M:%S.%f')\n",
        ),
        TimeText::Datetime => concat!(
            "  t = datetime.datetime.fromisoformat(v.strip())\n",
            "  if t.tzinfo is not None:\n",
            "    raise ValueError('a DATETIME has no time zone: ' + v)\n",
            "  return t.strftime('%Y-%m-%d %H:%M:%S.%f')\n",
        ),
        TimeText::Date => "  return datetime.date.fromisoformat(v.strip()).isoformat()\n",
        TimeText::Time => {
            "  return datetime.time.fromisoformat(v.strip()).isoformat(timespec='microseconds')\n"
        }
    };
    format!(
        "import datetime\ndef {}(row):\n  v = getattr(row, {})\n  if v is None:\n    return ''\n{body}",
        fn_name(field),
        py_str(field)
    )
}

/// A Python function name for `field`'s conversion.
fn fn_name(field: &str) -> String {
    let clean: String = field
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("convert_{clean}")
}

/// A Python literal describing `t` for the message writer: `'ts'`, `'dt'`,
/// `'date'`, `'num'`, `'bytes'`, `''` (as it is), `('array', k)`,
/// `('struct', {name: k})`. (TIME never reaches the writer:
/// `pipeline::check_output` refuses it.)
fn kind(t: &DataType) -> String {
    match t {
        DataType::Timestamp => "'ts'".into(),
        DataType::Datetime => "'dt'".into(),
        DataType::Date => "'date'".into(),
        DataType::Numeric | DataType::BigNumeric => "'num'".into(),
        DataType::Bytes => "'bytes'".into(),
        DataType::Array(inner) => format!("('array', {})", kind(inner)),
        DataType::Struct(fields) => {
            let items: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", py_str(&f.name), kind(&f.data_type)))
                .collect();
            format!("('struct', {{{}}})", items.join(", "))
        }
        _ => "''".into(),
    }
}

/// The callable that writes a row of the query's output as the Pub/Sub message's
/// JSON text (see the module's doc for why, and `sluice_engine::message` for the
/// simulator's side, which prints the same bytes).
pub fn message(columns: &[(String, DataType)]) -> String {
    let fields: Vec<String> = columns
        .iter()
        .map(|(name, t)| format!("({}, {})", py_str(name), kind(t)))
        .collect();
    format!(
        r#"import base64, json
def to_message(row):
  def conv(k, v):
    if v is None:
      return None
    if k in ('ts', 'dt'):
      d = v.to_utc_datetime()
      s = d.strftime('%Y-%m-%dT%H:%M:%S')
      if d.microsecond:
        s += '.%06d' % d.microsecond
      return s + 'Z' if k == 'ts' else s
    if k == 'date':
      return v.isoformat()
    if k == 'num':
      return format(v.normalize(), 'f')
    if k == 'bytes':
      return base64.b64encode(v).decode('ascii')
    if isinstance(k, tuple) and k[0] == 'array':
      return [conv(k[1], e) for e in v]
    if isinstance(k, tuple):
      out = {{}}
      for name, kk in k[1].items():
        x = conv(kk, getattr(v, name, None))
        if x is not None:
          out[name] = x
      return out
    return v
  return json.dumps(conv(('struct', dict([{}])), row), sort_keys=True)
"#,
        fields.join(", ")
    )
}

/// Where caught errors come from, which decides what their rows hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorRows {
    /// `ReadFromPubSub`: the element is the Pub/Sub message.
    Message,
    /// A Python step: the element is the row it failed on.
    Row,
    /// Java's `WriteToBigQuery`: `failed_row` and `error_message`
    /// (`BigQueryStorageWriteApiSchemaTransformProvider`'s error schema).
    BigQueryWrite,
}

/// The three callables `(error, payload)` of a dead-letter row (the step is a
/// constant, given as an expression by the caller).
pub fn dead_letter(rows: ErrorRows) -> (String, String) {
    let payload_of_row = r#"import json
def payload(e):
  def plain(v):
    if hasattr(v, '_asdict'):
      return {k: plain(x) for k, x in v._asdict().items()}
    if isinstance(v, (list, tuple)):
      return [plain(x) for x in v]
    if isinstance(v, bytes):
      return v.decode('utf-8', 'replace')
    if v is None or isinstance(v, (bool, int, float, str)):
      return v
    return str(v)
  return json.dumps(plain(e.ELEMENT), sort_keys=True)
"#;
    match rows {
        ErrorRows::Message => (
            "lambda e: str(e.msg)".into(),
            "lambda e: e.element.data.decode('utf-8', 'replace')".into(),
        ),
        ErrorRows::Row => (
            "lambda e: str(e.msg)".into(),
            payload_of_row.replace("ELEMENT", "element"),
        ),
        ErrorRows::BigQueryWrite => (
            "lambda e: str(e.error_message)".into(),
            payload_of_row.replace("ELEMENT", "failed_row"),
        ),
    }
}

/// How a topic column that JSON cannot carry reaches SQL: times as text (see
/// [`TimeText`]), NUMERIC as a JSON number, each cast back to its own type in the
/// query's scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CastBack {
    /// Whether the text may be `''` for NULL (read with `NULLIF(x, '')`).
    pub nullable_text: bool,
}

/// Whether a topic field is cast back to its own type in the query, and how.
pub fn topic_cast_back(field: &Field) -> Option<CastBack> {
    let text = TimeText::for_field(&field.name, &field.data_type).is_some();
    let numeric = matches!(field.data_type, DataType::Numeric | DataType::BigNumeric);
    (text || numeric).then_some(CastBack {
        nullable_text: text && field.mode != Mode::Required && field.name != EVENT_TIMESTAMP,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_strings_are_quoted_and_escaped() {
        assert_eq!(py_str("at"), "'at'");
        assert_eq!(py_str("it's\\"), "'it\\'s\\\\'");
        assert_eq!(py_str("a\nb\u{1}"), "'a\\nb\\x01'");
    }

    #[test]
    fn a_time_field_becomes_text_or_empty_for_null() {
        let src = time_text("at", TimeText::Timestamp);
        assert!(src.contains("def convert_at(row):"), "{src}");
        assert!(src.contains("getattr(row, 'at')"), "{src}");
        assert!(src.contains("return ''"), "{src}");
    }

    #[test]
    fn the_message_writer_knows_every_column_kind() {
        use sluice_sql::types::Field;
        let src = message(&[
            ("when".into(), DataType::Timestamp),
            ("n".into(), DataType::Int64),
            (
                "r".into(),
                DataType::Struct(vec![Field::new("d", DataType::Date)]),
            ),
            ("xs".into(), DataType::Array(Box::new(DataType::Numeric))),
        ]);
        assert!(
            src.contains(
                "dict([('when', 'ts'), ('n', ''), ('r', ('struct', {'d': 'date'})), ('xs', ('array', 'num'))])"
            ),
            "{src}"
        );
    }
}
