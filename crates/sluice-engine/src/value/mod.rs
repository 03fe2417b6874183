//! Runtime values: what a row holds, how values compare, hash and convert to and
//! from the plain JSON of the CLI and the browser.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use sluice_sql::literal::{
    self, Civil, MICROS_PER_DAY, NUMERIC_SCALE, format_civil, format_days, format_numeric,
    format_time, format_timestamp, parse_date, parse_datetime, parse_time, parse_timestamp,
};
use sluice_sql::types::DataType;

mod base64;
mod key;
mod str;

pub use base64::{base64, base64_decode, unbase64};
pub use key::{Key, KeyValues, hash_value, same_group};
pub use str::Str;

/// A row: one value per column of an operator's output.
pub type Row = Vec<Value>;

/// A NUMERIC's value times 10^9 (an `i128`) kept as two 64-bit halves: aligned to
/// 8 bytes rather than 16, so that a [`Value`] takes 24 bytes rather than 32, and
/// rows a quarter less memory.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Scaled {
    low: u64,
    high: i64,
}

impl Scaled {
    /// The scaled value `n`.
    #[inline]
    pub const fn new(n: i128) -> Self {
        Self {
            low: n as u64,
            high: (n >> 64) as i64,
        }
    }

    /// The scaled value.
    #[inline]
    pub const fn get(self) -> i128 {
        ((self.high as i128) << 64) | self.low as i128
    }
}

impl std::fmt::Debug for Scaled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// One SQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `NULL` of any type.
    Null,
    /// `BOOL`.
    Bool(bool),
    /// `INT64`.
    Int64(i64),
    /// `FLOAT64`.
    Float64(f64),
    /// `NUMERIC` (and `BIGNUMERIC`, kept at NUMERIC's precision): the value times 10^9.
    Numeric(Scaled),
    /// `STRING`.
    String(Str),
    /// `BYTES`.
    Bytes(Arc<[u8]>),
    /// `DATE`: days since 1970-01-01.
    Date(i32),
    /// `DATETIME`: microseconds since 1970-01-01T00:00:00, civil time.
    Datetime(i64),
    /// `TIME`: microseconds since midnight.
    Time(i64),
    /// `TIMESTAMP`: microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// `INTERVAL`, in microseconds.
    Interval(i64),
    /// `STRUCT`: field values in declaration order.
    Struct(Arc<[Value]>),
    /// `ARRAY`.
    Array(Arc<[Value]>),
}

impl Value {
    /// A `STRING` value.
    pub fn string(s: &str) -> Self {
        Self::String(Str::new(s))
    }

    /// A `NUMERIC` value from its value times 10^9.
    pub const fn numeric(scaled: i128) -> Self {
        Self::Numeric(Scaled::new(scaled))
    }

    /// Whether the value is `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value as a number for arithmetic across numeric types, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int64(i) => Some(*i as f64),
            Self::Float64(x) => Some(*x),
            Self::Numeric(n) => Some(n.get() as f64 / NUMERIC_SCALE as f64),
            _ => None,
        }
    }

    /// Converts the value to plain JSON as the CLI and the destinations print it:
    /// numbers for INT64, FLOAT64 and NUMERIC, ISO 8601 strings for times.
    pub fn to_json(&self, data_type: &DataType) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Self::Null => J::Null,
            Self::Bool(b) => J::Bool(*b),
            Self::Int64(i) => J::from(*i),
            Self::Float64(x) => serde_json::Number::from_f64(*x)
                .map(J::Number)
                .unwrap_or_else(|| J::String(format_float(*x))),
            Self::Numeric(n) => {
                let text = format_numeric(n.get());
                match serde_json::from_str::<serde_json::Number>(&text) {
                    Ok(number) => J::Number(number),
                    Err(_) => J::String(text),
                }
            }
            Self::String(s) => J::String(s.to_string()),
            Self::Bytes(b) => J::String(base64(b)),
            Self::Date(_)
            | Self::Datetime(_)
            | Self::Time(_)
            | Self::Timestamp(_)
            | Self::Interval(_) => J::String(self.to_string()),
            Self::Struct(values) => {
                let fields: &[sluice_sql::types::Field] = match data_type {
                    DataType::Struct(fields) => fields,
                    _ => &[],
                };
                let mut object = serde_json::Map::new();
                for (i, v) in values.iter().enumerate() {
                    let (name, t) = fields
                        .get(i)
                        .map(|f| (f.name.clone(), f.data_type.clone()))
                        .unwrap_or_else(|| (format!("f{i}_"), DataType::Null));
                    object.insert(name, v.to_json(&t));
                }
                J::Object(object)
            }
            Self::Array(values) => {
                let element = match data_type {
                    DataType::Array(t) => (**t).clone(),
                    _ => DataType::Null,
                };
                J::Array(values.iter().map(|v| v.to_json(&element)).collect())
            }
        }
    }

    /// Reads a JSON value as `data_type`, as BigQuery's newline-delimited JSON loads
    /// and Pub/Sub JSON payloads hold them. The error says what was expected.
    pub fn from_json(json: &serde_json::Value, data_type: &DataType) -> Result<Self, String> {
        use serde_json::Value as J;
        let wrong = |what: &str| Err(format!("expected {what}, found {}", describe(json)));
        match (data_type, json) {
            (_, J::Null) => Ok(Self::Null),
            (DataType::Int64, J::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Self::Int64(i)),
                None => wrong("an INT64 (a whole number)"),
            },
            (DataType::Int64, J::String(s)) => s
                .trim()
                .parse()
                .map(Self::Int64)
                .or_else(|_| wrong("an INT64 (a whole number)")),
            (DataType::Float64, J::Number(n)) => n
                .as_f64()
                .map(Self::Float64)
                .map_or_else(|| wrong("a FLOAT64"), Ok),
            (DataType::Float64, J::String(s)) => match s.trim() {
                "NaN" => Ok(Self::Float64(f64::NAN)),
                "Infinity" | "inf" => Ok(Self::Float64(f64::INFINITY)),
                "-Infinity" | "-inf" => Ok(Self::Float64(f64::NEG_INFINITY)),
                t => t.parse().map(Self::Float64).or_else(|_| wrong("a FLOAT64")),
            },
            (DataType::Numeric | DataType::BigNumeric, J::Number(n)) => {
                parse_numeric(&n.to_string()).map_or_else(|| wrong("a NUMERIC"), Ok)
            }
            (DataType::Numeric | DataType::BigNumeric, J::String(s)) => {
                parse_numeric(s.trim()).map_or_else(|| wrong("a NUMERIC"), Ok)
            }
            (DataType::Bool, J::Bool(b)) => Ok(Self::Bool(*b)),
            (DataType::Bool, J::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" => Ok(Self::Bool(true)),
                "false" => Ok(Self::Bool(false)),
                _ => wrong("a BOOL"),
            },
            (DataType::String, J::String(s)) => Ok(Self::string(s)),
            (DataType::Bytes, J::String(s)) => {
                unbase64(s).map_or_else(|| wrong("BYTES in base64"), |b| Ok(Self::Bytes(b.into())))
            }
            (DataType::Timestamp, J::String(s)) => parse_timestamp(s)
                .map(Self::Timestamp)
                .map_or_else(|| wrong("a TIMESTAMP like \"2021-01-01 00:00:00 UTC\""), Ok),
            (DataType::Date, J::String(s)) => parse_date(s)
                .map(Self::Date)
                .map_or_else(|| wrong("a DATE like \"2021-01-31\""), Ok),
            (DataType::Datetime, J::String(s)) => parse_datetime(s)
                .map(Self::Datetime)
                .map_or_else(|| wrong("a DATETIME like \"2021-01-31 12:00:00\""), Ok),
            (DataType::Time, J::String(s)) => parse_time(s)
                .map(Self::Time)
                .map_or_else(|| wrong("a TIME like \"12:30:00\""), Ok),
            (DataType::Struct(fields), J::Object(object)) => {
                let mut values = Vec::with_capacity(fields.len());
                for f in fields {
                    let v = match object.iter().find(|(k, _)| k.eq_ignore_ascii_case(&f.name)) {
                        Some((_, j)) => Self::from_json(j, &f.data_type)
                            .map_err(|e| format!("{}: {e}", f.name))?,
                        None => Self::Null,
                    };
                    values.push(v);
                }
                Ok(Self::Struct(values.into()))
            }
            (DataType::Array(element), J::Array(items)) => {
                let mut values = Vec::with_capacity(items.len());
                for (i, j) in items.iter().enumerate() {
                    values.push(Self::from_json(j, element).map_err(|e| format!("[{i}]: {e}"))?);
                }
                Ok(Self::Array(values.into()))
            }
            (DataType::Null, _) => Ok(Self::Null),
            (t, _) => wrong(&format!("a {t}")),
        }
    }
}

fn describe(json: &serde_json::Value) -> String {
    use serde_json::Value as J;
    let text = json.to_string();
    let shown = if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    };
    let kind = match json {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "an array",
        J::Object(_) => "an object",
    };
    format!("{kind} {shown}")
}

impl std::fmt::Display for Value {
    /// SQL-ish text: what EXPLAIN, drop reasons and the human output show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Self::Int64(i) => write!(f, "{i}"),
            Self::Float64(x) => f.write_str(&format_float(*x)),
            Self::Numeric(n) => f.write_str(&format_numeric(n.get())),
            Self::String(s) => f.write_str(s),
            Self::Bytes(b) => f.write_str(&base64(b)),
            Self::Date(d) => f.write_str(&format_days(*d)),
            Self::Datetime(us) => match Civil::of(*us, b'T') {
                Some(civil) => f.write_str(civil.text()),
                None => f.write_str(&format_civil(*us, b'T')),
            },
            Self::Time(us) => f.write_str(&format_time(*us)),
            Self::Timestamp(us) => match Civil::of(*us, b'T') {
                Some(civil) => {
                    f.write_str(civil.text())?;
                    f.write_str("Z")
                }
                None => f.write_str(&format_timestamp(*us)),
            },
            Self::Interval(us) => write!(f, "INTERVAL {}", sluice_sql::plan::human_micros(*us)),
            Self::Struct(values) | Self::Array(values) => {
                let (open, close) = if matches!(self, Self::Struct(_)) {
                    ("(", ")")
                } else {
                    ("[", "]")
                };
                f.write_str(open)?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(close)
            }
        }
    }
}

/// Compares two non-NULL values of comparable types (numbers across types);
/// `None` when they do not compare (NULL, or different kinds).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Int64(x), Int64(y)) => Some(x.cmp(y)),
        (Float64(x), Float64(y)) => Some(total_float(*x, *y)),
        (Numeric(x), Numeric(y)) => Some(x.get().cmp(&y.get())),
        (Int64(x), Numeric(y)) => Some((*x as i128 * NUMERIC_SCALE).cmp(&y.get())),
        (Numeric(x), Int64(y)) => Some(x.get().cmp(&(*y as i128 * NUMERIC_SCALE))),
        (Int64(_) | Numeric(_) | Float64(_), Int64(_) | Numeric(_) | Float64(_)) => {
            Some(total_float(a.as_f64()?, b.as_f64()?))
        }
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (String(x), String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Bytes(x), Bytes(y)) => Some(x.cmp(y)),
        (Date(x), Date(y)) => Some(x.cmp(y)),
        (Datetime(x), Datetime(y))
        | (Time(x), Time(y))
        | (Timestamp(x), Timestamp(y))
        | (Interval(x), Interval(y)) => Some(x.cmp(y)),
        (Date(d), Datetime(t)) => Some((*d as i64 * MICROS_PER_DAY).cmp(t)),
        (Datetime(t), Date(d)) => Some(t.cmp(&(*d as i64 * MICROS_PER_DAY))),
        (Struct(x), Struct(y)) | (Array(x), Array(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                match (p.is_null(), q.is_null()) {
                    (true, true) => continue,
                    (true, false) => return Some(Ordering::Less),
                    (false, true) => return Some(Ordering::Greater),
                    _ => {}
                }
                match compare(p, q)? {
                    Ordering::Equal => continue,
                    other => return Some(other),
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => None,
    }
}

/// BigQuery orders NaN first among floats; -0.0 equals 0.0.
fn total_float(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// The order of `ORDER BY`: NULLs first ascending, then [`compare`].
pub fn sort_order(a: &Value, b: &Value) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

// ---- text forms ------------------------------------------------------------------------

/// FLOAT64 as BigQuery prints it: shortest round-trip form, `inf`, `-inf`, `nan`.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// Parses a decimal (`-12.345`, `1e3`) into a NUMERIC, rounding half away from zero
/// at 9 digits after the point.
pub fn parse_numeric(text: &str) -> Option<Value> {
    literal::parse_numeric(text).map(Value::numeric)
}

/// A FLOAT64 as NUMERIC, if it fits.
pub fn numeric_from_f64(x: f64) -> Option<Value> {
    literal::numeric_from_f64(x).map(Value::numeric)
}

#[cfg(test)]
mod tests {
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// DATETIME and TIMESTAMP values print as chrono prints them, from year 0 to
        /// 9999 digit by digit and past it through chrono.
        #[test]
        fn datetime_and_timestamp_values_print_as_chrono_prints_them(us in -62_200_000_000_000_000i64..253_500_000_000_000_000) {
            let Some(dt) = sluice_sql::literal::naive_from_micros(us) else {
                return Ok(());
            };
            let expected = sluice_sql::literal::format_naive(dt, "T");
            proptest::prop_assert_eq!(Value::Datetime(us).to_string(), expected.clone());
            proptest::prop_assert_eq!(Value::Timestamp(us).to_string(), format!("{expected}Z"));
        }
    }

    use super::*;

    #[test]
    fn numerics_parse_into_values_and_print() {
        assert_eq!(parse_numeric("1.5"), Some(Value::numeric(1_500_000_000)));
        assert_eq!(parse_numeric("1.2.3"), None);
        assert_eq!(Value::numeric(-3_000_000_000).to_string(), "-3");
    }

    #[test]
    fn json_round_trips_through_the_schema_types() {
        let t = DataType::Struct(vec![
            sluice_sql::types::Field::new("lat", DataType::Float64),
            sluice_sql::types::Field::new("when", DataType::Timestamp),
        ]);
        let json = serde_json::json!({"lat": 1.5, "when": "2021-01-01 00:00:00 UTC"});
        let v = Value::from_json(&json, &t).expect("reads");
        assert_eq!(
            v.to_json(&t),
            serde_json::json!({"lat": 1.5, "when": "2021-01-01T00:00:00Z"})
        );
        assert_eq!(
            Value::from_json(&serde_json::json!("x"), &DataType::Int64),
            Err("expected an INT64 (a whole number), found a string \"x\"".to_string())
        );
        assert_eq!(unbase64(&base64(b"hello!?")), Some(b"hello!?".to_vec()));
    }
}
