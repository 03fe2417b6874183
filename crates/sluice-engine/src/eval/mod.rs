//! Evaluating typed expressions over a row, with BigQuery's semantics: three-valued
//! logic, NULL propagation, overflow and division errors, and the function library.

use std::cmp::Ordering;

use chrono::{Datelike, Timelike};
use sluice_sql::functions::{DatePart, ScalarFunction};
use sluice_sql::plan::{BinaryOp, Expr, Literal, UnaryOp};
use sluice_sql::types::DataType;

use sluice_sql::literal::{
    self, MICROS_PER_DAY, NUMERIC_SCALE, days_from_date, micros_from_naive, naive_from_micros,
};

use crate::value::{self, Value, compare};

/// An error raised while evaluating (BigQuery fails the query; the simulator drops
/// the event with this as the reason).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(message.into()))
}

/// What an expression may read besides its row.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// `CURRENT_TIMESTAMP()`: the simulated processing time, in microseconds.
    pub now_micros: i64,
}

/// An expression ready to run: a plan [`Expr`] with its literals already converted
/// to values, so evaluating allocates nothing for constants.
#[derive(Debug, Clone, PartialEq)]
pub enum CExpr {
    /// An input column.
    Column(usize),
    /// A field of a STRUCT.
    Field {
        /// The STRUCT.
        expr: Box<CExpr>,
        /// The field's position.
        index: usize,
    },
    /// A constant.
    Const(Value),
    /// `left op right` with the result type.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<CExpr>,
        /// Right operand.
        right: Box<CExpr>,
        /// Result type.
        data_type: DataType,
    },
    /// `op expr`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<CExpr>,
    },
    /// A scalar function.
    Function {
        /// The function.
        function: ScalarFunction,
        /// Its date part, taken out of the arguments (`EXTRACT(HOUR FROM t)` has
        /// the one argument `t`).
        part: Option<DatePart>,
        /// Arguments.
        args: Vec<CExpr>,
        /// Result type.
        data_type: DataType,
    },
    /// `CAST` / `SAFE_CAST`.
    Cast {
        /// The value.
        expr: Box<CExpr>,
        /// Target type.
        data_type: DataType,
        /// NULL instead of an error.
        safe: bool,
    },
    /// `CASE`.
    Case {
        /// `(condition, result)` pairs.
        branches: Vec<(CExpr, CExpr)>,
        /// `ELSE`.
        otherwise: Box<CExpr>,
        /// Result type.
        data_type: DataType,
    },
    /// `[NOT] IN (list)`.
    InList {
        /// The value.
        expr: Box<CExpr>,
        /// Candidates.
        list: Vec<CExpr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `[NOT] BETWEEN`.
    Between {
        /// The value.
        expr: Box<CExpr>,
        /// Lower bound.
        low: Box<CExpr>,
        /// Upper bound.
        high: Box<CExpr>,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// `[NOT] LIKE`.
    Like {
        /// The value.
        expr: Box<CExpr>,
        /// The pattern.
        pattern: Box<CExpr>,
        /// `NOT LIKE`.
        negated: bool,
    },
}

/// Prepares a plan expression for evaluation; fails on a literal that does not parse
/// (e.g. `TIMESTAMP 'yesterday'`).
pub fn compile(e: &Expr) -> Result<CExpr, EvalError> {
    let b = |e: &Expr| compile(e).map(Box::new);
    Ok(match e {
        Expr::Column { index, .. } => CExpr::Column(*index),
        Expr::Field { expr, index, .. } => CExpr::Field {
            expr: b(expr)?,
            index: *index,
        },
        Expr::Literal {
            value, data_type, ..
        } => CExpr::Const(literal(value, data_type)?),
        Expr::Binary {
            op,
            left,
            right,
            data_type,
            ..
        } => CExpr::Binary {
            op: *op,
            left: b(left)?,
            right: b(right)?,
            data_type: data_type.clone(),
        },
        Expr::Unary { op, expr, .. } => CExpr::Unary {
            op: *op,
            expr: b(expr)?,
        },
        Expr::Function {
            function,
            args,
            data_type,
            ..
        } => {
            let mut part = None;
            let mut compiled = Vec::with_capacity(args.len());
            for a in args {
                match a {
                    Expr::Literal {
                        value: Literal::DatePart(p),
                        ..
                    } => part = Some(*p),
                    other => compiled.push(compile(other)?),
                }
            }
            CExpr::Function {
                function: *function,
                part,
                args: compiled,
                data_type: data_type.clone(),
            }
        }
        Expr::Cast {
            expr,
            data_type,
            safe,
            ..
        } => CExpr::Cast {
            expr: b(expr)?,
            data_type: data_type.clone(),
            safe: *safe,
        },
        Expr::Case {
            branches,
            otherwise,
            data_type,
            ..
        } => CExpr::Case {
            branches: branches
                .iter()
                .map(|(c, r)| Ok((compile(c)?, compile(r)?)))
                .collect::<Result<_, EvalError>>()?,
            otherwise: b(otherwise)?,
            data_type: data_type.clone(),
        },
        Expr::InList {
            expr,
            list,
            negated,
            ..
        } => CExpr::InList {
            expr: b(expr)?,
            list: list.iter().map(compile).collect::<Result<_, _>>()?,
            negated: *negated,
        },
        Expr::Between {
            expr,
            low,
            high,
            negated,
            ..
        } => CExpr::Between {
            expr: b(expr)?,
            low: b(low)?,
            high: b(high)?,
            negated: *negated,
        },
        Expr::Like {
            expr,
            pattern,
            negated,
            ..
        } => CExpr::Like {
            expr: b(expr)?,
            pattern: b(pattern)?,
            negated: *negated,
        },
    })
}

/// A reference to an operand's value without copying it when it is a column or a
/// constant (the common case in predicates).
fn operand<'a>(
    e: &'a CExpr,
    row: &'a [Value],
    cx: &Context,
    slot: &'a mut Value,
) -> Result<&'a Value, EvalError> {
    match e {
        CExpr::Column(i) => Ok(row.get(*i).unwrap_or(&Value::Null)),
        CExpr::Const(v) => Ok(v),
        other => {
            *slot = eval(other, row, cx)?;
            Ok(slot)
        }
    }
}

/// Evaluates `e` over `row`.
pub fn eval(e: &CExpr, row: &[Value], cx: &Context) -> Result<Value, EvalError> {
    match e {
        CExpr::Column(index) => Ok(row.get(*index).cloned().unwrap_or(Value::Null)),
        CExpr::Field { expr, index } => match eval(expr, row, cx)? {
            Value::Struct(values) => Ok(values.get(*index).cloned().unwrap_or(Value::Null)),
            _ => Ok(Value::Null),
        },
        CExpr::Const(v) => Ok(v.clone()),
        CExpr::Binary {
            op,
            left,
            right,
            data_type,
        } => match op {
            BinaryOp::And => {
                let l = truth(&eval(left, row, cx)?);
                if l == Some(false) {
                    return Ok(Value::Bool(false));
                }
                let r = truth(&eval(right, row, cx)?);
                Ok(match (l, r) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Null,
                })
            }
            BinaryOp::Or => {
                let l = truth(&eval(left, row, cx)?);
                if l == Some(true) {
                    return Ok(Value::Bool(true));
                }
                let r = truth(&eval(right, row, cx)?);
                Ok(match (l, r) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Null,
                })
            }
            _ => {
                let (mut ls, mut rs) = (Value::Null, Value::Null);
                let l = operand(left, row, cx, &mut ls)?;
                let r = operand(right, row, cx, &mut rs)?;
                binary(*op, l, r, data_type)
            }
        },
        CExpr::Unary { op, expr } => {
            let v = eval(expr, row, cx)?;
            Ok(match op {
                UnaryOp::Not => match truth(&v) {
                    Some(b) => Value::Bool(!b),
                    None => Value::Null,
                },
                UnaryOp::Negate => match v {
                    Value::Int64(i) => match i.checked_neg() {
                        Some(n) => Value::Int64(n),
                        None => return err("integer overflow: -(-9223372036854775808)"),
                    },
                    Value::Float64(x) => Value::Float64(-x),
                    Value::Numeric(n) => Value::numeric(-n.get()),
                    Value::Interval(n) => Value::Interval(-n),
                    other => other,
                },
                UnaryOp::IsNull => Value::Bool(v.is_null()),
                UnaryOp::IsNotNull => Value::Bool(!v.is_null()),
                UnaryOp::IsTrue => Value::Bool(truth(&v) == Some(true)),
                UnaryOp::IsFalse => Value::Bool(truth(&v) == Some(false)),
            })
        }
        CExpr::Function {
            function,
            part,
            args,
            data_type,
        } => {
            // Conditionals evaluate lazily.
            match function {
                ScalarFunction::If => {
                    let c = truth(&eval(&args[0], row, cx)?);
                    let chosen = if c == Some(true) { &args[1] } else { &args[2] };
                    return coerce(eval(chosen, row, cx)?, data_type);
                }
                ScalarFunction::Coalesce | ScalarFunction::Ifnull => {
                    for a in args {
                        let v = eval(a, row, cx)?;
                        if !v.is_null() {
                            return coerce(v, data_type);
                        }
                    }
                    return Ok(Value::Null);
                }
                _ => {}
            }
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, row, cx)?);
            }
            call(*function, *part, &values, data_type, cx)
        }
        CExpr::Cast {
            expr,
            data_type,
            safe,
        } => {
            let v = eval(expr, row, cx)?;
            match cast(v, data_type) {
                Ok(v) => Ok(v),
                Err(_) if *safe => Ok(Value::Null),
                Err(e) => Err(e),
            }
        }
        CExpr::Case {
            branches,
            otherwise,
            data_type,
        } => {
            for (condition, result) in branches {
                if truth(&eval(condition, row, cx)?) == Some(true) {
                    return coerce(eval(result, row, cx)?, data_type);
                }
            }
            coerce(eval(otherwise, row, cx)?, data_type)
        }
        CExpr::InList {
            expr,
            list,
            negated,
        } => {
            let v = eval(expr, row, cx)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut saw_null = false;
            for item in list {
                let x = eval(item, row, cx)?;
                if x.is_null() {
                    saw_null = true;
                } else if equal(&v, &x) == Some(true) {
                    return Ok(Value::Bool(!negated));
                }
            }
            Ok(if saw_null {
                Value::Null
            } else {
                Value::Bool(*negated)
            })
        }
        CExpr::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let v = eval(expr, row, cx)?;
            let lo = eval(low, row, cx)?;
            let hi = eval(high, row, cx)?;
            let ge = ordered(&v, &lo).map(|o| o != Ordering::Less);
            let le = ordered(&v, &hi).map(|o| o != Ordering::Greater);
            let inside = match (ge, le) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            Ok(match inside {
                Some(b) => Value::Bool(b != *negated),
                None => Value::Null,
            })
        }
        CExpr::Like {
            expr,
            pattern,
            negated,
        } => {
            let v = eval(expr, row, cx)?;
            let p = eval(pattern, row, cx)?;
            match (&v, &p) {
                (Value::String(s), Value::String(p)) => Ok(Value::Bool(like(s, p) != *negated)),
                _ => Ok(Value::Null),
            }
        }
    }
}

/// `Some(b)` for a BOOL, `None` for NULL (or anything else).
pub fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// The value of a literal.
pub fn literal(value: &Literal, data_type: &DataType) -> Result<Value, EvalError> {
    Ok(match value {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int64(i) => coerce(Value::Int64(*i), data_type)?,
        Literal::Float64(x) => coerce(Value::Float64(*x), data_type)?,
        Literal::String(s) => Value::string(s),
        Literal::Bytes(b) => Value::Bytes(b.clone().into()),
        Literal::Numeric(n) | Literal::BigNumeric(n) => Value::numeric(*n),
        Literal::Date(days) => Value::Date(*days),
        Literal::Datetime(us) => Value::Datetime(*us),
        Literal::Time(us) => Value::Time(*us),
        Literal::Timestamp(us) => Value::Timestamp(*us),
        Literal::DatePart(part) => return err(format!("{part} is a date part, not a value")),
        Literal::IntervalMicros(us) => Value::Interval(*us),
    })
}

/// Converts a value to `data_type` where BigQuery coerces implicitly (INT64 to
/// NUMERIC or FLOAT64, NUMERIC to FLOAT64, DATE to DATETIME); other values pass.
pub fn coerce(v: Value, data_type: &DataType) -> Result<Value, EvalError> {
    Ok(match (v, data_type) {
        (Value::Int64(i), DataType::Float64) => Value::Float64(i as f64),
        (Value::Int64(i), DataType::Numeric | DataType::BigNumeric) => {
            Value::numeric(i as i128 * NUMERIC_SCALE)
        }
        (Value::Numeric(n), DataType::Float64) => {
            Value::Float64(n.get() as f64 / NUMERIC_SCALE as f64)
        }
        (Value::Date(d), DataType::Datetime) => Value::Datetime(d as i64 * MICROS_PER_DAY),
        (v, _) => v,
    })
}

/// Equality of two non-NULL values (`None` when either is NULL or they do not compare).
pub fn equal(a: &Value, b: &Value) -> Option<bool> {
    ordered(a, b).map(|o| o == Ordering::Equal)
}

/// Compares for comparison operators: NULL gives `None`; a STRING compared with a
/// date or time is read as one (BigQuery coerces string literals).
fn ordered(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_null() || b.is_null() {
        return None;
    }
    if let Some(o) = compare(a, b) {
        return Some(o);
    }
    match (a, b) {
        (Value::String(s), other) => compare(&string_as(s, other)?, other),
        (other, Value::String(s)) => compare(other, &string_as(s, other)?),
        _ => None,
    }
}

fn string_as(s: &str, like: &Value) -> Option<Value> {
    match like {
        Value::Timestamp(_) => literal::parse_timestamp(s).map(Value::Timestamp),
        Value::Date(_) => literal::parse_date(s).map(Value::Date),
        Value::Datetime(_) => literal::parse_datetime(s).map(Value::Datetime),
        Value::Time(_) => literal::parse_time(s).map(Value::Time),
        _ => None,
    }
}

fn binary(op: BinaryOp, l: &Value, r: &Value, data_type: &DataType) -> Result<Value, EvalError> {
    if op.is_comparison() {
        let Some(o) = ordered(l, r) else {
            return Ok(Value::Null);
        };
        return Ok(Value::Bool(match op {
            BinaryOp::Eq => o == Ordering::Equal,
            BinaryOp::NotEq => o != Ordering::Equal,
            BinaryOp::Lt => o == Ordering::Less,
            BinaryOp::LtEq => o != Ordering::Greater,
            BinaryOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }));
    }
    if l.is_null() || r.is_null() {
        return Ok(Value::Null);
    }
    if op == BinaryOp::Concat {
        return concat(&[l.clone(), r.clone()]);
    }
    arithmetic(op, l, r, data_type)
}

fn arithmetic(
    op: BinaryOp,
    l: &Value,
    r: &Value,
    data_type: &DataType,
) -> Result<Value, EvalError> {
    use Value::*;
    // Time arithmetic.
    match (op, l, r) {
        (BinaryOp::Plus, Timestamp(t), Interval(i))
        | (BinaryOp::Plus, Interval(i), Timestamp(t)) => {
            return t.checked_add(*i).map(Timestamp).ok_or_else(overflow);
        }
        (BinaryOp::Minus, Timestamp(t), Interval(i)) => {
            return t.checked_sub(*i).map(Timestamp).ok_or_else(overflow);
        }
        (BinaryOp::Plus, Datetime(t), Interval(i)) => {
            return t.checked_add(*i).map(Datetime).ok_or_else(overflow);
        }
        (BinaryOp::Minus, Datetime(t), Interval(i)) => {
            return t.checked_sub(*i).map(Datetime).ok_or_else(overflow);
        }
        (BinaryOp::Plus | BinaryOp::Minus, Date(d), Interval(i)) => {
            let us = *d as i64 * MICROS_PER_DAY;
            let moved = if op == BinaryOp::Plus { us + i } else { us - i };
            return Ok(Date(moved.div_euclid(MICROS_PER_DAY) as i32));
        }
        (BinaryOp::Minus, Timestamp(a), Timestamp(b)) => {
            return a.checked_sub(*b).map(Interval).ok_or_else(overflow);
        }
        _ => {}
    }
    match data_type {
        DataType::Int64 => {
            let (Int64(a), Int64(b)) = (l, r) else {
                return err(format!("cannot compute {l} {} {r}", op.symbol()));
            };
            let result = match op {
                BinaryOp::Plus => a.checked_add(*b),
                BinaryOp::Minus => a.checked_sub(*b),
                BinaryOp::Multiply => a.checked_mul(*b),
                _ => None,
            };
            result
                .map(Int64)
                .ok_or_else(|| EvalError(format!("integer overflow: {a} {} {b}", op.symbol())))
        }
        DataType::Numeric | DataType::BigNumeric => {
            let (Some(a), Some(b)) = (as_numeric(l), as_numeric(r)) else {
                return err(format!("cannot compute {l} {} {r}", op.symbol()));
            };
            let result = match op {
                BinaryOp::Plus => a.checked_add(b),
                BinaryOp::Minus => a.checked_sub(b),
                BinaryOp::Multiply => a.checked_mul(b).map(|p| round_div(p, NUMERIC_SCALE)),
                BinaryOp::Divide => {
                    if b == 0 {
                        return err(format!("division by zero: {l} / {r}"));
                    }
                    a.checked_mul(NUMERIC_SCALE).map(|p| round_div(p, b))
                }
                _ => None,
            };
            match result {
                Some(n) if n.abs() < 10i128.pow(38) => Ok(Value::numeric(n)),
                _ => err(format!("numeric overflow: {l} {} {r}", op.symbol())),
            }
        }
        _ => {
            let (Some(a), Some(b)) = (l.as_f64(), r.as_f64()) else {
                return err(format!("cannot compute {l} {} {r}", op.symbol()));
            };
            let x = match op {
                BinaryOp::Plus => a + b,
                BinaryOp::Minus => a - b,
                BinaryOp::Multiply => a * b,
                BinaryOp::Divide => {
                    if b == 0.0 {
                        return err(format!("division by zero: {l} / {r}"));
                    }
                    a / b
                }
                _ => return err(format!("cannot compute {l} {} {r}", op.symbol())),
            };
            if x.is_infinite() && a.is_finite() && b.is_finite() {
                return err(format!("floating point overflow: {l} {} {r}", op.symbol()));
            }
            Ok(Float64(x))
        }
    }
}

fn overflow() -> EvalError {
    EvalError("timestamp out of range".into())
}

fn as_numeric(v: &Value) -> Option<i128> {
    match v {
        Value::Int64(i) => Some(*i as i128 * NUMERIC_SCALE),
        Value::Numeric(n) => Some(n.get()),
        Value::Float64(x) => match value::numeric_from_f64(*x) {
            Some(Value::Numeric(n)) => Some(n.get()),
            _ => None,
        },
        _ => None,
    }
}

/// `a / b` rounded half away from zero.
fn round_div(a: i128, b: i128) -> i128 {
    let q = a / b;
    let r = a % b;
    if r.abs() * 2 >= b.abs() {
        if (a < 0) != (b < 0) { q - 1 } else { q + 1 }
    } else {
        q
    }
}

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
fn timestamp_string(t: i64) -> String {
    let iso = literal::format_timestamp(t);
    format!("{}+00", iso.trim_end_matches('Z').replacen('T', " ", 1))
}

fn concat(values: &[Value]) -> Result<Value, EvalError> {
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

/// `LIKE` with `%`, `_` and backslash escapes, matched on characters.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let mut p: Vec<(char, bool)> = Vec::new(); // (char, is_literal)
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => p.push((chars.next().unwrap_or('\\'), true)),
            c => p.push((c, false)),
        }
    }
    // Iterative wildcard matching with backtracking on the last `%`.
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(('%', false)) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(('_', false)) => {
                ti += 1;
                pi += 1;
            }
            Some((c, _)) if *c == t[ti] => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&(c, lit)| c == '%' && !lit)
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
fn call(
    function: ScalarFunction,
    part: Option<DatePart>,
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
        F::RegexpContains => V::Bool(regex(s(1))?.is_match(s(0))),
        F::RegexpExtract => {
            let re = regex(s(1))?;
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
            V::string(&regex(s(1))?.replace_all(s(0), replacement.as_str()))
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

/// `pattern` (RE2's syntax, as BigQuery reads it) compiled: see [`crate::re2`].
fn regex(pattern: &str) -> Result<regex::Regex, EvalError> {
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
    use sluice_sql::plan::Origin;

    fn lit(v: Literal, t: DataType) -> Expr {
        Expr::Literal {
            value: v,
            data_type: t,
            origin: Origin::NONE,
        }
    }

    #[test]
    fn three_valued_logic() {
        let null = lit(Literal::Null, DataType::Bool);
        let f = lit(Literal::Bool(false), DataType::Bool);
        let and = Expr::Binary {
            op: BinaryOp::And,
            left: Box::new(null.clone()),
            right: Box::new(f),
            data_type: DataType::Bool,
            origin: Origin::NONE,
        };
        let run = |e: &Expr| eval(&compile(e).expect("compiles"), &[], &Context::default());
        assert_eq!(run(&and), Ok(Value::Bool(false)));
        let or = Expr::Binary {
            op: BinaryOp::Or,
            left: Box::new(null.clone()),
            right: Box::new(null),
            data_type: DataType::Bool,
            origin: Origin::NONE,
        };
        assert_eq!(run(&or), Ok(Value::Null));
    }

    #[test]
    fn like_matches_wildcards_and_escapes() {
        assert!(like("Cancelled", "Can%"));
        assert!(like("Cancelled", "%ll_d"));
        assert!(!like("Closed", "Can%"));
        assert!(like("50%", "50\\%"));
        assert!(!like("500", "50\\%"));
        assert!(like("", "%"));
        assert!(like("abcabc", "%abc"));
    }

    #[test]
    fn integer_overflow_and_division_by_zero_are_errors() {
        let v = arithmetic(
            BinaryOp::Plus,
            &Value::Int64(i64::MAX),
            &Value::Int64(1),
            &DataType::Int64,
        );
        assert!(v.is_err());
        let d = arithmetic(
            BinaryOp::Divide,
            &Value::Int64(1),
            &Value::Int64(0),
            &DataType::Float64,
        );
        assert_eq!(d, err("division by zero: 1 / 0"));
    }

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
