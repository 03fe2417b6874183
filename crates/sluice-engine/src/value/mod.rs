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

/// A row: one value per column of an operator's output.
pub type Row = Vec<Value>;

/// How many bytes of text a [`Str`] holds inline.
const INLINE: usize = 22;

/// A STRING value's text. Up to 22 bytes (statuses, codes, timestamps as text) it is
/// held inline: nothing to allocate, nothing shared to count when it is copied or
/// dropped. Longer text is shared. Either way a [`Value`] stays 24 bytes.
#[derive(Clone)]
pub struct Str(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl Str {
    /// The text `s`.
    pub fn new(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Self(Repr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            Self(Repr::Shared(Arc::from(s)))
        }
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Always whole UTF-8: it was copied from a `str`.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default()
            }
            Repr::Shared(s) => s,
        }
    }

    /// The text's bytes (without checking them again).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..*len as usize],
            Repr::Shared(s) => s.as_bytes(),
        }
    }
}

impl std::ops::Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Self::new(&s)
    }
}

impl PartialEq for Str {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Str {}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    /// UTF-8 bytes sort as their characters do.
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl std::fmt::Display for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

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

/// A grouping or join key: values that hash and compare as `GROUP BY` groups them
/// (NULLs together, NaNs together, -0.0 with 0.0).
#[derive(Debug, Clone)]
pub struct Key(pub KeyValues);

/// A key's values: one value is stored inline, without allocating.
pub type KeyValues = smallvec::SmallVec<[Value; 1]>;

impl Key {
    /// A key of these values.
    pub fn new(values: Vec<Value>) -> Self {
        Self(KeyValues::from_vec(values))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| same_group(a, b))
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in &self.0 {
            hash_value(v, state);
        }
    }
}

/// Whether two values fall into the same group.
#[inline]
pub fn same_group(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}

/// Hashes consistently with [`same_group`]: numbers hash by their value, whatever
/// their type, so an INT64 key meets an equal FLOAT64 key.
#[inline]
pub fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        Value::Null => state.write_u8(0),
        Value::Int64(i) => {
            // As hash_number with an exact integer.
            state.write_u8(1);
            state.write_i64(*i);
        }
        Value::Float64(x) => {
            let exact = (x.fract() == 0.0 && x.abs() < 9.2e18).then_some(*x as i64);
            hash_number(*x, exact, state)
        }
        Value::Numeric(n) => {
            let n = n.get();
            let exact = (n % NUMERIC_SCALE == 0).then_some((n / NUMERIC_SCALE) as i64);
            hash_number(n as f64 / NUMERIC_SCALE as f64, exact, state)
        }
        Value::Bool(b) => {
            state.write_u8(2);
            state.write_u8(u8::from(*b));
        }
        Value::String(s) => {
            state.write_u8(3);
            state.write(s.as_bytes());
            state.write_u8(0xff);
        }
        Value::Bytes(b) => {
            state.write_u8(4);
            state.write(b);
            state.write_u8(0xff);
        }
        // A DATE equals the DATETIME at its midnight.
        Value::Date(d) => {
            state.write_u8(5);
            state.write_i64(*d as i64 * MICROS_PER_DAY);
        }
        Value::Datetime(t) => {
            state.write_u8(5);
            state.write_i64(*t);
        }
        Value::Time(t) => {
            state.write_u8(6);
            state.write_i64(*t);
        }
        Value::Timestamp(t) => {
            state.write_u8(7);
            state.write_i64(*t);
        }
        Value::Interval(t) => {
            state.write_u8(8);
            state.write_i64(*t);
        }
        Value::Struct(vs) | Value::Array(vs) => {
            state.write_u8(9);
            state.write_usize(vs.len());
            for v in vs.iter() {
                hash_value(v, state);
            }
        }
    }
}

fn hash_number<H: Hasher>(x: f64, exact: Option<i64>, state: &mut H) {
    state.write_u8(1);
    match exact {
        Some(i) => state.write_i64(i),
        None if x.is_nan() => state.write_u64(u64::MAX),
        None => state.write_u64(x.to_bits()),
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

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as BigQuery writes BYTES in JSON.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64 in the standard or the URL-safe alphabet (padding and line
/// breaks allowed); `None` for any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut bits = 0u32;
    let mut n = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b'\n' | b'\r' => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

/// Decodes standard base64 (padding optional).
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .trim_end_matches('=')
        .bytes()
        .map(|c| BASE64.iter().position(|&b| b == c).map(|p| p as u8))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= u32::from(*d) << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// DATETIME and TIMESTAMP values print as chrono prints them, from year 0 to
        /// 9999 digit by digit and past it through chrono.
        #[test]
        fn timestamps_print_as_chrono_prints_them(us in -62_200_000_000_000_000i64..253_500_000_000_000_000) {
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
    fn text_is_inline_up_to_22_bytes_and_shared_beyond_and_behaves_the_same() {
        let texts = [
            "",
            "Open",
            "2024-03-01T12:34:56Z",
            "abcdefghijklmnopqrstuv",
            "abcdefghijklmnopqrstuvw",
            "ünïcödé ünïcödé ünï",
            "ünïcödé ünïcödé ünïcödé",
            "a much longer piece of text than any inline one",
        ];
        for t in texts {
            let s = Str::new(t);
            assert_eq!(matches!(s.0, Repr::Inline { .. }), t.len() <= INLINE, "{t}");
            assert_eq!(s.as_str(), t);
            assert_eq!(&*s.clone(), t);
            assert_eq!(s.to_string(), t);
            assert_eq!(format!("{s:?}"), format!("{t:?}"));
            assert_eq!(Value::string(t).to_string(), t);
            for u in texts {
                let v = Str::new(u);
                assert_eq!(s == v, t == u, "{t} = {u}");
                assert_eq!(s.cmp(&v), t.cmp(u), "{t} <> {u}");
                assert_eq!(
                    compare(&Value::string(t), &Value::string(u)),
                    Some(t.cmp(u))
                );
            }
        }
        assert_eq!(std::mem::size_of::<Value>(), 24);
        let groups: std::collections::HashSet<Key> = texts
            .iter()
            .chain(&texts)
            .map(|t| Key::new(vec![Value::string(t)]))
            .collect();
        assert_eq!(groups.len(), texts.len());
    }

    #[test]
    fn base64_round_trips_in_both_alphabets() {
        assert_eq!(base64_decode(&base64(b"hello")), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(base64_decode("a b"), None);
    }

    #[test]
    fn numerics_parse_into_values_and_print() {
        assert_eq!(parse_numeric("1.5"), Some(Value::numeric(1_500_000_000)));
        assert_eq!(parse_numeric("1.2.3"), None);
        assert_eq!(Value::numeric(-3_000_000_000).to_string(), "-3");
    }

    #[test]
    fn keys_group_numbers_by_value_and_nulls_together() {
        use std::collections::HashSet;
        let keys: HashSet<Key> = [
            Key::new(vec![Value::Int64(1)]),
            Key::new(vec![Value::Float64(1.0)]),
            Key::new(vec![Value::Null]),
            Key::new(vec![Value::Null]),
            Key::new(vec![Value::Float64(-0.0)]),
            Key::new(vec![Value::Float64(0.0)]),
        ]
        .into_iter()
        .collect();
        assert_eq!(keys.len(), 3);
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
