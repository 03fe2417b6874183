//! CAST and SAFE_CAST between BigQuery's types, with its conversion rules.

use super::*;

/// `CAST(v AS data_type)` with BigQuery's conversion rules.
pub fn cast(v: Value, data_type: &DataType) -> Result<Value, EvalError> {
    use Value as V;
    let fail = |v: &Value| err(format!("cannot cast {v} to {data_type}"));
    Ok(match (v, data_type) {
        (V::Null, _) => V::Null,
        (V::Int64(i), DataType::Int64) => V::Int64(i),
        (V::Float64(x), DataType::Int64) => {
            let r = x.round();
            if !r.is_finite() || r.abs() >= 9.223_372_036_854_776e18 {
                return fail(&V::Float64(x));
            }
            V::Int64(r as i64)
        }
        (V::Numeric(n), DataType::Int64) => V::Int64(round_div(n.get(), NUMERIC_SCALE) as i64),
        (V::Bool(b), DataType::Int64) => V::Int64(i64::from(b)),
        (V::String(s), DataType::Int64) => {
            let t = s.trim();
            let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(hex) => i64::from_str_radix(hex, 16).ok(),
                None => t.parse().ok(),
            };
            match parsed {
                Some(i) => V::Int64(i),
                None => return fail(&V::String(s)),
            }
        }
        (v @ (V::Int64(_) | V::Float64(_) | V::Numeric(_)), DataType::Float64) => {
            V::Float64(v.as_f64().unwrap_or(f64::NAN))
        }
        (V::String(s), DataType::Float64) => match s.trim().to_ascii_lowercase().as_str() {
            "nan" => V::Float64(f64::NAN),
            "inf" | "+inf" | "infinity" => V::Float64(f64::INFINITY),
            "-inf" | "-infinity" => V::Float64(f64::NEG_INFINITY),
            t => match t.parse() {
                Ok(x) => V::Float64(x),
                Err(_) => return fail(&V::String(s)),
            },
        },
        (v, DataType::Numeric | DataType::BigNumeric) => match &v {
            V::String(s) => match value::parse_numeric(s) {
                Some(n) => n,
                None => return fail(&v),
            },
            _ => match as_numeric(&v) {
                Some(n) => V::numeric(n),
                None => return fail(&v),
            },
        },
        (V::Bool(b), DataType::Bool) => V::Bool(b),
        (V::Int64(i), DataType::Bool) => V::Bool(i != 0),
        (V::String(s), DataType::Bool) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            _ => return fail(&V::String(s)),
        },
        (V::String(s), DataType::String) => V::String(s),
        (V::Bytes(b), DataType::String) => match std::str::from_utf8(&b) {
            Ok(s) => V::string(s),
            Err(_) => return fail(&V::Bytes(b)),
        },
        (V::Timestamp(t), DataType::String) => V::string(&timestamp_string(t)),
        (V::Datetime(t), DataType::String) => {
            V::string(&V::Datetime(t).to_string().replacen('T', " ", 1))
        }
        (v, DataType::String) => V::string(&v.to_string()),
        (V::String(s), DataType::Bytes) => V::Bytes(s.as_bytes().into()),
        (V::Bytes(b), DataType::Bytes) => V::Bytes(b),
        (V::String(s), DataType::Timestamp) => match literal::parse_timestamp(&s) {
            Some(t) => V::Timestamp(t),
            None => return fail(&V::String(s)),
        },
        (V::Timestamp(t), DataType::Timestamp) => V::Timestamp(t),
        (V::Datetime(t), DataType::Timestamp) => V::Timestamp(t),
        (V::Date(d), DataType::Timestamp) => V::Timestamp(d as i64 * MICROS_PER_DAY),
        (V::String(s), DataType::Date) => match literal::parse_date(&s) {
            Some(d) => V::Date(d),
            None => return fail(&V::String(s)),
        },
        (V::Date(d), DataType::Date) => V::Date(d),
        (V::Timestamp(t) | V::Datetime(t), DataType::Date) => {
            V::Date(t.div_euclid(MICROS_PER_DAY) as i32)
        }
        (V::String(s), DataType::Datetime) => match literal::parse_datetime(&s) {
            Some(t) => V::Datetime(t),
            None => return fail(&V::String(s)),
        },
        (V::Timestamp(t) | V::Datetime(t), DataType::Datetime) => V::Datetime(t),
        (V::Date(d), DataType::Datetime) => V::Datetime(d as i64 * MICROS_PER_DAY),
        (V::String(s), DataType::Time) => match literal::parse_time(&s) {
            Some(t) => V::Time(t),
            None => return fail(&V::String(s)),
        },
        (V::Timestamp(t) | V::Datetime(t), DataType::Time) => V::Time(t.rem_euclid(MICROS_PER_DAY)),
        (V::Time(t), DataType::Time) => V::Time(t),
        (v @ (V::Struct(_) | V::Array(_)), _) => v,
        (v, _) => return fail(&v),
    })
}

/// A TIMESTAMP as `CAST(... AS STRING)` prints it: `2021-01-01 00:00:00+00`.
pub(super) fn timestamp_string(t: i64) -> String {
    let iso = literal::format_timestamp(t);
    format!("{}+00", iso.trim_end_matches('Z').replacen('T', " ", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_bigquery() {
        assert_eq!(
            cast(Value::Float64(2.5), &DataType::Int64),
            Ok(Value::Int64(3))
        );
        assert_eq!(
            cast(Value::Float64(-2.5), &DataType::Int64),
            Ok(Value::Int64(-3))
        );
        assert_eq!(
            cast(Value::string("0x10"), &DataType::Int64),
            Ok(Value::Int64(16))
        );
        assert!(cast(Value::string("x"), &DataType::Int64).is_err());
        assert_eq!(
            cast(Value::Timestamp(0), &DataType::String),
            Ok(Value::string("1970-01-01 00:00:00+00"))
        );
    }
}
