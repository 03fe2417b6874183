//! The Pub/Sub message an output row becomes: the exact bytes Sluice's Dataflow
//! pipeline publishes, so that what the simulator and the local target show is what
//! subscribers of the real topic receive.
//!
//! The pipeline's `ToMessage` step (`sluice_deploy::python::message`) writes the
//! message with Python's `json.dumps(…, sort_keys=True)`, as Beam's own JSON
//! formatter does (`apache_beam/yaml/json_utils.py`, `json_formater`): keys sorted,
//! `", "` and `": "` between items, non-ASCII escaped as `\uXXXX`, floats as
//! Python's `repr`, and fields that are NULL left out (`row_to_json` filters them,
//! nested records too). TIMESTAMP, DATETIME, DATE and TIME are written as
//! [`Value`]'s text, NUMERIC as decimal text, BYTES as base64. The deploy crate's
//! tests run that Python on Beam 2.75 and compare its bytes with these.

use std::fmt::Write as _;

use sluice_sql::types::DataType;

use sluice_sql::literal::format_numeric;

use crate::value::{Value, base64};

/// The message for `row`, whose columns are `columns` (name and type, in order).
pub fn pubsub_message<'a>(
    columns: impl IntoIterator<Item = (&'a str, &'a DataType)>,
    row: &'a [Value],
) -> String {
    let mut out = String::new();
    write_record(&mut out, columns.into_iter().zip(row));
    out
}

fn write_record<'a>(
    out: &mut String,
    fields: impl Iterator<Item = ((&'a str, &'a DataType), &'a Value)>,
) {
    let mut present: Vec<(&str, &DataType, &Value)> = fields
        .filter(|(_, v)| !matches!(v, Value::Null))
        .map(|((name, t), v)| (name, t, v))
        .collect();
    present.sort_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (name, t, v)) in present.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_str(out, name);
        out.push_str(": ");
        write_value(out, t, v);
    }
    out.push('}');
}

pub(crate) fn write_value(out: &mut String, t: &DataType, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float64(x) => write_py_float(out, *x),
        Value::Numeric(n) => write_str(out, &format_numeric(n.get())),
        Value::String(s) => write_str(out, s),
        Value::Bytes(b) => write_str(out, &base64(b)),
        Value::Date(_)
        | Value::Datetime(_)
        | Value::Time(_)
        | Value::Timestamp(_)
        | Value::Interval(_) => write_str(out, &v.to_string()),
        Value::Struct(values) => {
            let fields: &[sluice_sql::types::Field] = match t {
                DataType::Struct(fields) => fields,
                _ => &[],
            };
            write_record(
                out,
                fields
                    .iter()
                    .map(|f| (f.name.as_str(), &f.data_type))
                    .zip(values.iter()),
            );
        }
        Value::Array(values) => {
            let element = match t {
                DataType::Array(inner) => inner.as_ref(),
                other => other,
            };
            out.push('[');
            for (i, e) in values.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, element, e);
            }
            out.push(']');
        }
    }
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`).
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    // Runs of plain ASCII are copied whole; the rest a character at a time.
    while let Some(at) = rest
        .bytes()
        .position(|b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x80)
    {
        out.push_str(&rest[..at]);
        let Some(c) = rest[at..].chars().next() else {
            break;
        };
        write_char(out, c);
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
    out.push('"');
}

fn write_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
        c => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
}

/// The shortest digits that read back as `|x|` (finite, not zero), the one closest
/// to it when two are as short (as Python's `repr` picks, halves to even; Rust's
/// `{:e}` picks otherwise: 1950806630476168.25 is `…168.2` in Python and zmij,
/// `…168.3` in Rust), and the decimal exponent of the first digit.
fn shortest_digits(x: f64) -> (String, i32) {
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(x.abs());
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{fraction}");
    let leading = all.bytes().take_while(|&b| b == b'0').count();
    let digits = all[leading..].trim_end_matches('0').to_string();
    (digits, exp + whole.len() as i32 - 1 - leading as i32)
}

/// Writes `x` as [`py_float`] does, straight into `out`: from 1e-4 to 1e16 Python's
/// positional `repr` is zmij's text, with `.0` when whole.
fn write_py_float(out: &mut String, x: f64) {
    if (1e-4..1e16).contains(&x.abs()) {
        let mut buffer = zmij::Buffer::new();
        let text = buffer.format_finite(x);
        if !text.contains('e') {
            out.push_str(text);
            if !text.contains('.') {
                out.push_str(".0");
            }
            return;
        }
    }
    out.push_str(&py_float(x));
}

/// A float as Python's `repr` (and so `json.dumps`) writes it: the shortest digits
/// that read back the same, in positional notation for exponents from -4 to 15 and
/// scientific (`1e+16`, `1.5e-05`) otherwise; `NaN`, `Infinity`, `-Infinity`.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, exp) = shortest_digits(x);
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (whole, frac) = digits.split_at(point as usize);
            format!("{whole}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() == 1 {
            digits
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let e_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{e_sign}{:02}", exp.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sql::types::Field;

    #[test]
    fn floats_read_as_python_writes_them() {
        for (x, python) in [
            (12.0, "12.0"),
            (0.1, "0.1"),
            (2.5, "2.5"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (1e100, "1e+100"),
            (123456.789, "123456.789"),
            // Two shortest texts as near: Python takes the even one.
            (1_950_806_630_476_168.2, "1950806630476168.2"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(py_float(x), python, "{x}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn floats_written_in_place_read_as_py_float(
            x in proptest::prop_oneof![
                proptest::num::f64::ANY,
                (-1e17f64..1e17),
                (-0.001f64..0.001),
            ]
        ) {
            let mut out = String::new();
            write_py_float(&mut out, x);
            proptest::prop_assert_eq!(out, py_float(x));
        }

        #[test]
        fn strings_escape_as_one_character_at_a_time(s in "\\PC*|[a-z\"\\\\\n\t\u{1}é😀]{0,20}") {
            let mut fast = String::new();
            write_str(&mut fast, &s);
            let mut slow = String::from('"');
            for c in s.chars() {
                write_char(&mut slow, c);
            }
            slow.push('"');
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn a_message_sorts_its_keys_drops_nulls_and_escapes_as_python() {
        let t = DataType::Struct(vec![
            Field::new("z", DataType::Int64),
            Field::new("a", DataType::String),
        ]);
        let columns = [
            ("when", DataType::Timestamp),
            ("amount", DataType::Numeric),
            ("gone", DataType::String),
            ("name", DataType::String),
            ("r", t),
            ("xs", DataType::Array(Box::new(DataType::Float64))),
        ];
        let row = [
            Value::Timestamp(1_626_602_400_123_000),
            Value::numeric(12_500_000_000),
            Value::Null,
            Value::string("é \"q\"\n😀"),
            Value::Struct(vec![Value::Int64(1), Value::Null].into()),
            Value::Array(vec![Value::Float64(1.0), Value::Null].into()),
        ];
        let text = pubsub_message(columns.iter().map(|(n, t)| (*n, t)), &row);
        assert_eq!(
            text,
            r#"{"amount": "12.5", "name": "\u00e9 \"q\"\n\ud83d\ude00", "r": {"z": 1}, "when": "2021-07-18T10:00:00.123000Z", "xs": [1.0, null]}"#
        );
    }
}
