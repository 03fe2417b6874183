//! The function library: each `ScalarFunction` on evaluated arguments, with
//! BigQuery's semantics.

use super::*;

pub(super) fn concat(values: &[Value]) -> Result<Value, EvalError> {
    let mut out = String::new();
    for v in values {
        match v {
            Value::Null => return Ok(Value::Null),
            Value::String(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
    }
    Ok(Value::string(&out))
}

fn string_arg(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn int_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Int64(i) => Some(*i),
        _ => None,
    }
}

/// The analyzer gives these functions a part they take; a plan built otherwise
/// is refused here rather than guessed at.
fn date_part_missing(function: ScalarFunction, part: Option<DatePart>) -> String {
    match part {
        Some(part) => format!("{function} does not take {part}"),
        None => format!("{function} needs a date part"),
    }
}

fn float_fn(
    values: &[Value],
    data_type: &DataType,
    f: impl Fn(f64) -> f64,
) -> Result<Value, EvalError> {
    let Some(x) = values[0].as_f64() else {
        return Ok(Value::Null);
    };
    let y = f(x);
    match data_type {
        DataType::Numeric | DataType::BigNumeric => {
            value::numeric_from_f64(y).ok_or_else(|| EvalError(format!("numeric overflow: {y}")))
        }
        _ => Ok(Value::Float64(y)),
    }
}

fn checked_float(name: &str, x: f64, y: f64) -> Result<Value, EvalError> {
    if y.is_nan() && !x.is_nan() {
        return err(format!("{name}({}) is undefined", value::format_float(x)));
    }
    Ok(Value::Float64(y))
}

/// Calls scalar `function` on evaluated arguments (the conditionals, which
/// [`eval`] evaluates lazily, are here too, over values already evaluated).
pub(super) fn call(
    function: ScalarFunction,
    part: Option<DatePart>,
    pattern: Option<&regex::Regex>,
    a: &[Value],
    data_type: &DataType,
    cx: &Context,
) -> Result<Value, EvalError> {
    use ScalarFunction as F;
    use Value as V;
    if function.null_in_null_out() && a.iter().any(Value::is_null) {
        return Ok(V::Null);
    }
    let name = function.name();
    let s = |i: usize| string_arg(&a[i]).unwrap_or("");
    let int = |i: usize| int_arg(&a[i]).unwrap_or(0);
    Ok(match function {
        // Functions that look at NULL arguments themselves.
        F::Concat => concat(a)?,
        F::Nullif => match equal(&a[0], &a[1]) {
            Some(true) => V::Null,
            _ => coerce(a[0].clone(), data_type)?,
        },
        F::If => {
            let chosen = if truth(&a[0]) == Some(true) {
                &a[1]
            } else {
                &a[2]
            };
            coerce(chosen.clone(), data_type)?
        }
        F::Coalesce | F::Ifnull => match a.iter().find(|v| !v.is_null()) {
            Some(v) => coerce(v.clone(), data_type)?,
            None => V::Null,
        },
        F::CurrentTimestamp => V::Timestamp(cx.now_micros),
        F::CurrentDate => V::Date(cx.now_micros.div_euclid(MICROS_PER_DAY) as i32),
        F::Upper => V::string(&s(0).to_uppercase()),
        F::Lower => V::string(&s(0).to_lowercase()),
        F::Reverse => V::string(&s(0).chars().rev().collect::<String>()),
        F::Initcap => {
            let mut out = String::with_capacity(s(0).len());
            let mut start = true;
            for c in s(0).chars() {
                if start {
                    out.extend(c.to_uppercase());
                } else {
                    out.extend(c.to_lowercase());
                }
                start = !c.is_alphanumeric();
            }
            V::string(&out)
        }
        F::Trim | F::Ltrim | F::Rtrim => {
            let set: Vec<char> = if a.len() > 1 {
                s(1).chars().collect()
            } else {
                vec![' ', '\t', '\n', '\r']
            };
            let text = s(0);
            let trimmed = match function {
                F::Trim => text.trim_matches(|c| set.contains(&c)),
                F::Ltrim => text.trim_start_matches(|c| set.contains(&c)),
                _ => text.trim_end_matches(|c| set.contains(&c)),
            };
            V::string(trimmed)
        }
        F::Length | F::CharLength | F::CharacterLength => V::Int64(s(0).chars().count() as i64),
        F::Substr | F::Substring => {
            let chars: Vec<char> = s(0).chars().collect();
            let len = chars.len() as i64;
            let mut start = int(1);
            if start < 0 {
                start = (len + start).max(0);
            } else if start > 0 {
                start -= 1;
            }
            let start = start.min(len);
            let count = if a.len() > 2 {
                let c = int(2);
                if c < 0 {
                    return err(format!("{name}'s length must not be negative, got {c}"));
                }
                c
            } else {
                len
            };
            let end = start.saturating_add(count).min(len);
            V::string(
                &chars[start as usize..end as usize]
                    .iter()
                    .collect::<String>(),
            )
        }
        F::Replace => {
            if s(1).is_empty() {
                a[0].clone()
            } else {
                V::string(&s(0).replace(s(1), s(2)))
            }
        }
        F::StartsWith => V::Bool(s(0).starts_with(s(1))),
        F::EndsWith => V::Bool(s(0).ends_with(s(1))),
        F::Strpos => V::Int64(match s(0).find(s(1)) {
            Some(byte) => s(0)[..byte].chars().count() as i64 + 1,
            None => 0,
        }),
        F::RegexpContains => V::Bool(compiled(pattern, s(1))?.is_match(s(0))),
        F::RegexpExtract => {
            let re = compiled(pattern, s(1))?;
            if re.captures_len() > 2 {
                return err("REGEXP_EXTRACT's pattern may have at most one capturing group");
            }
            match re.captures(s(0)) {
                Some(c) => match c.get(1).or_else(|| c.get(0)) {
                    Some(m) => V::string(m.as_str()),
                    None => V::Null,
                },
                None => V::Null,
            }
        }
        F::RegexpReplace => {
            // BigQuery writes groups as \1; the regex crate as ${1}.
            let replacement = regex_replacement(s(2));
            V::string(&compiled(pattern, s(1))?.replace_all(s(0), replacement.as_str()))
        }
        F::Lpad | F::Rpad => {
            let text: Vec<char> = s(0).chars().collect();
            let n = int(1);
            if n < 0 {
                return err(format!("{name}'s length must not be negative, got {n}"));
            }
            if n > 1_000_000 {
                return err(format!("{name}'s length {n} is too large"));
            }
            let pad: Vec<char> = if a.len() > 2 {
                s(2).chars().collect()
            } else {
                vec![' ']
            };
            let n = n as usize;
            if text.len() >= n {
                V::string(&text[..n].iter().collect::<String>())
            } else if pad.is_empty() {
                a[0].clone()
            } else {
                let fill: String = pad.iter().cycle().take(n - text.len()).collect();
                let body: String = text.iter().collect();
                V::string(&if function == F::Lpad {
                    fill + &body
                } else {
                    body + &fill
                })
            }
        }
        F::Abs => match &a[0] {
            V::Int64(i) => V::Int64(
                i.checked_abs()
                    .ok_or_else(|| EvalError("integer overflow: ABS".into()))?,
            ),
            V::Float64(x) => V::Float64(x.abs()),
            V::Numeric(n) => V::numeric(n.get().abs()),
            other => other.clone(),
        },
        F::Sign => match &a[0] {
            V::Int64(i) => V::Int64(i.signum()),
            V::Float64(x) => V::Float64(if *x == 0.0 || x.is_nan() {
                *x
            } else {
                x.signum()
            }),
            V::Numeric(n) => V::numeric(n.get().signum() * NUMERIC_SCALE),
            other => other.clone(),
        },
        F::Round | F::Trunc => {
            let digits = if a.len() > 1 { int(1) } else { 0 };
            match &a[0] {
                V::Numeric(n) => {
                    let unit = 10i128.pow((9 - digits.clamp(-28, 9)) as u32);
                    let q = if function == F::Round {
                        round_div(n.get(), unit)
                    } else {
                        n.get() / unit
                    };
                    V::numeric(q * unit)
                }
                v => {
                    let x = v.as_f64().unwrap_or(f64::NAN);
                    let scale = 10f64.powi(digits.clamp(-308, 308) as i32);
                    let y = if function == F::Round {
                        (x * scale).round() / scale
                    } else {
                        (x * scale).trunc() / scale
                    };
                    coerce(V::Float64(if y.is_finite() { y } else { x }), data_type)?
                }
            }
        }
        F::Ceil | F::Ceiling => float_fn(a, data_type, f64::ceil)?,
        F::Floor => float_fn(a, data_type, f64::floor)?,
        F::Sqrt => {
            let x = a[0].as_f64().unwrap_or(f64::NAN);
            if x < 0.0 {
                return err(format!(
                    "SQRT of a negative number: {}",
                    value::format_float(x)
                ));
            }
            V::Float64(x.sqrt())
        }
        F::Exp => V::Float64(a[0].as_f64().unwrap_or(f64::NAN).exp()),
        F::Ln | F::Log10 | F::Log => {
            let x = a[0].as_f64().unwrap_or(f64::NAN);
            if x <= 0.0 {
                return err(format!(
                    "{name} of a number that is not positive: {}",
                    value::format_float(x)
                ));
            }
            let y = match (function, a.get(1).and_then(Value::as_f64)) {
                (F::Log10, _) => x.log10(),
                (F::Log, Some(base)) => {
                    if base <= 0.0 || base == 1.0 {
                        return err(format!(
                            "LOG base must be positive and not 1, got {}",
                            value::format_float(base)
                        ));
                    }
                    x.ln() / base.ln()
                }
                _ => x.ln(),
            };
            checked_float(name, x, y)?
        }
        F::Pow | F::Power => {
            let (x, y) = (
                a[0].as_f64().unwrap_or(f64::NAN),
                a[1].as_f64().unwrap_or(f64::NAN),
            );
            let z = x.powf(y);
            if z.is_nan() && !x.is_nan() && !y.is_nan() {
                return err(format!(
                    "POW({}, {}) is undefined",
                    value::format_float(x),
                    value::format_float(y)
                ));
            }
            if z.is_infinite() && x.is_finite() && y.is_finite() {
                return err(format!(
                    "POW({}, {}) overflows",
                    value::format_float(x),
                    value::format_float(y)
                ));
            }
            V::Float64(z)
        }
        F::Mod | F::Div => match (&a[0], &a[1]) {
            (V::Int64(x), V::Int64(y)) => {
                if *y == 0 {
                    return err(format!("division by zero: {name}({x}, 0)"));
                }
                let r = if function == F::Mod {
                    x.checked_rem(*y)
                } else {
                    x.checked_div(*y)
                };
                V::Int64(r.ok_or_else(|| EvalError(format!("integer overflow: {name}({x}, {y})")))?)
            }
            (x, y) => {
                let (Some(p), Some(q)) = (as_numeric(x), as_numeric(y)) else {
                    return Ok(V::Null);
                };
                if q == 0 {
                    return err(format!("division by zero: {name}({x}, 0)"));
                }
                if function == F::Mod {
                    V::numeric(p % q)
                } else {
                    V::numeric((p / q) * NUMERIC_SCALE)
                }
            }
        },
        F::SafeDivide | F::IeeeDivide => {
            let (x, y) = (
                a[0].as_f64().unwrap_or(f64::NAN),
                a[1].as_f64().unwrap_or(f64::NAN),
            );
            if y == 0.0 && function == F::SafeDivide {
                V::Null
            } else {
                V::Float64(x / y)
            }
        }
        F::Greatest | F::Least => {
            let mut best = coerce(a[0].clone(), data_type)?;
            for v in &a[1..] {
                let v = coerce(v.clone(), data_type)?;
                let o = compare(&v, &best).unwrap_or(Ordering::Equal);
                if (function == F::Greatest && o == Ordering::Greater)
                    || (function == F::Least && o == Ordering::Less)
                {
                    best = v;
                }
            }
            best
        }
        F::Timestamp => match &a[0] {
            V::String(text) => match literal::parse_timestamp(text) {
                Some(t) => V::Timestamp(t),
                None => return err(format!("invalid timestamp: \"{text}\"")),
            },
            V::Date(d) => V::Timestamp(*d as i64 * MICROS_PER_DAY),
            V::Datetime(t) | V::Timestamp(t) => V::Timestamp(*t),
            _ => V::Null,
        },
        F::TimestampAdd | F::TimestampSub => match (&a[0], &a[1]) {
            (V::Timestamp(t), V::Interval(i)) => {
                let moved = if function == F::TimestampAdd {
                    t.checked_add(*i)
                } else {
                    t.checked_sub(*i)
                };
                V::Timestamp(moved.ok_or_else(overflow)?)
            }
            _ => V::Null,
        },
        F::TimestampDiff => match (&a[0], &a[1], part.and_then(DatePart::micros)) {
            (V::Timestamp(x), V::Timestamp(y), Some(unit)) => V::Int64((x - y) / unit),
            _ => return err(date_part_missing(function, part)),
        },
        F::TimestampTrunc => match (&a[0], part) {
            (V::Timestamp(t), Some(part)) => V::Timestamp(truncate(*t, part)?),
            _ => return err(date_part_missing(function, part)),
        },
        F::Extract => {
            let Some(part) = part else {
                return err(date_part_missing(function, part));
            };
            let us = match &a[0] {
                V::Timestamp(t) | V::Datetime(t) => *t,
                V::Date(d) => *d as i64 * MICROS_PER_DAY,
                V::Time(t) => *t,
                _ => return Ok(V::Null),
            };
            extract(part, us)?
        }
        F::FormatTimestamp => match &a[1] {
            V::Timestamp(t) => match naive_from_micros(*t) {
                Some(dt) => V::string(&format_with(s(0), dt)?),
                None => return Err(overflow()),
            },
            _ => V::Null,
        },
        F::ParseTimestamp => {
            let format = s(0).replace("%Z", "").replace("%z", "");
            let text = s(1);
            match chrono::NaiveDateTime::parse_from_str(text.trim(), format.trim()) {
                Ok(dt) => V::Timestamp(micros_from_naive(dt)),
                Err(_) => match chrono::NaiveDate::parse_from_str(text.trim(), format.trim()) {
                    Ok(d) => V::Timestamp(days_from_date(d) as i64 * MICROS_PER_DAY),
                    Err(e) => {
                        return err(format!("PARSE_TIMESTAMP(\"{}\", \"{text}\"): {e}", s(0)));
                    }
                },
            }
        }
        F::TimestampSeconds => V::Timestamp(int(0).checked_mul(1_000_000).ok_or_else(overflow)?),
        F::TimestampMillis => V::Timestamp(int(0).checked_mul(1_000).ok_or_else(overflow)?),
        F::TimestampMicros => V::Timestamp(int(0)),
        F::UnixSeconds | F::UnixMillis | F::UnixMicros => match &a[0] {
            V::Timestamp(t) => V::Int64(match function {
                F::UnixSeconds => t.div_euclid(1_000_000),
                F::UnixMillis => t.div_euclid(1_000),
                _ => *t,
            }),
            _ => V::Null,
        },
        F::Date => {
            if a.len() == 3 {
                match chrono::NaiveDate::from_ymd_opt(int(0) as i32, int(1) as u32, int(2) as u32) {
                    Some(d) => V::Date(days_from_date(d)),
                    None => {
                        return err(format!(
                            "invalid date: DATE({}, {}, {})",
                            int(0),
                            int(1),
                            int(2)
                        ));
                    }
                }
            } else {
                match &a[0] {
                    V::Timestamp(t) | V::Datetime(t) => {
                        V::Date(t.div_euclid(MICROS_PER_DAY) as i32)
                    }
                    V::String(text) => match literal::parse_date(text) {
                        Some(d) => V::Date(d),
                        None => return err(format!("invalid date: \"{text}\"")),
                    },
                    V::Date(d) => V::Date(*d),
                    _ => V::Null,
                }
            }
        }
        F::String => match &a[0] {
            V::Timestamp(t) => V::string(&timestamp_string(*t)),
            other => cast(other.clone(), &DataType::String)?,
        },
    })
}

/// The pattern compiled when the expression was (a constant), else `text` compiled
/// now.
/// (Borrowed, not cloned: a cloned `Regex` starts with an empty match cache.)
fn compiled<'a>(
    pattern: Option<&'a regex::Regex>,
    text: &str,
) -> Result<std::borrow::Cow<'a, regex::Regex>, EvalError> {
    match pattern {
        Some(re) => Ok(std::borrow::Cow::Borrowed(re)),
        None => regex(text).map(std::borrow::Cow::Owned),
    }
}

/// `pattern` (RE2's syntax, as BigQuery reads it) compiled: see [`crate::re2`].
pub(super) fn regex(pattern: &str) -> Result<regex::Regex, EvalError> {
    regex::RegexBuilder::new(&crate::re2::translate(pattern))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| EvalError(format!("invalid regular expression \"{pattern}\": {e}")))
}

fn regex_replacement(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => {
                    out.push_str("${");
                    out.push(d);
                    out.push('}');
                }
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn truncate(t: i64, part: DatePart) -> Result<i64, EvalError> {
    if let Some(unit) = part.micros() {
        return Ok(t.div_euclid(unit) * unit);
    }
    let dt = naive_from_micros(t).ok_or_else(overflow)?;
    let date = dt.date();
    let start = match part {
        DatePart::Week => {
            date - chrono::TimeDelta::days(i64::from(date.weekday().num_days_from_sunday()))
        }
        DatePart::Month => date.with_day(1).unwrap_or(date),
        DatePart::Quarter => {
            chrono::NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1)
                .unwrap_or(date)
        }
        DatePart::Year => chrono::NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date),
        other => {
            return err(date_part_missing(
                ScalarFunction::TimestampTrunc,
                Some(other),
            ));
        }
    };
    Ok(days_from_date(start) as i64 * MICROS_PER_DAY)
}

fn extract(part: DatePart, us: i64) -> Result<Value, EvalError> {
    let dt = naive_from_micros(us).ok_or_else(overflow)?;
    let date = dt.date();
    Ok(Value::Int64(match part {
        DatePart::Microsecond => us.rem_euclid(1_000_000),
        DatePart::Millisecond => us.rem_euclid(1_000_000) / 1_000,
        DatePart::Second => i64::from(dt.second()),
        DatePart::Minute => i64::from(dt.minute()),
        DatePart::Hour => i64::from(dt.hour()),
        DatePart::Day => i64::from(date.day()),
        DatePart::DayOfWeek => i64::from(date.weekday().number_from_sunday()),
        DatePart::DayOfYear => i64::from(date.ordinal()),
        DatePart::Week => {
            // Weeks start on Sunday; days before the year's first Sunday are week 0.
            let jan1 = chrono::NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date);
            let first_sunday = (7 - jan1.weekday().num_days_from_sunday()) % 7;
            let day = date.ordinal0();
            if day < first_sunday {
                0
            } else {
                i64::from((day - first_sunday) / 7 + 1)
            }
        }
        DatePart::Month => i64::from(date.month()),
        DatePart::Quarter => i64::from(date.month0() / 3 + 1),
        DatePart::Year => i64::from(date.year()),
        DatePart::Date => return Ok(Value::Date(us.div_euclid(MICROS_PER_DAY) as i32)),
    }))
}

/// FORMAT_TIMESTAMP's elements are strftime's; the ones chrono lacks are rejected.
fn format_with(format: &str, dt: chrono::NaiveDateTime) -> Result<String, EvalError> {
    use std::fmt::Write as _;
    let items: Vec<_> = chrono::format::StrftimeItems::new(format).collect();
    if items
        .iter()
        .any(|i| matches!(i, chrono::format::Item::Error))
    {
        return err(format!("invalid format string \"{format}\""));
    }
    let mut out = String::new();
    write!(out, "{}", dt.format_with_items(items.into_iter()))
        .map_err(|_| EvalError(format!("cannot format with \"{format}\"")))?;
    Ok(out.replace("%Z", "UTC"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_functions() {
        let t = literal::parse_timestamp("2021-03-14 15:09:26.5").expect("parses");
        assert_eq!(extract(DatePart::DayOfWeek, t), Ok(Value::Int64(1)));
        assert_eq!(extract(DatePart::Quarter, t), Ok(Value::Int64(1)));
        assert_eq!(
            extract(DatePart::Date, t),
            Ok(Value::Date(
                literal::parse_date("2021-03-14").expect("a date")
            ))
        );
        assert_eq!(
            literal::format_timestamp(truncate(t, DatePart::Hour).expect("truncates")),
            "2021-03-14T15:00:00Z"
        );
        assert_eq!(
            literal::format_timestamp(truncate(t, DatePart::Month).expect("truncates")),
            "2021-03-01T00:00:00Z"
        );
        assert_eq!(
            format_with("%Y/%m/%d %H", naive_from_micros(t).expect("in range")),
            Ok("2021/03/14 15".into())
        );
    }
}
