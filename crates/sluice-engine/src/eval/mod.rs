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

mod cast;
mod function;

pub use cast::cast;
use cast::timestamp_string;
use function::{call, concat};

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

/// A compiled regular expression; two are equal when their patterns are.
#[derive(Debug, Clone)]
pub struct Pattern(regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
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
        /// A regular expression function's pattern, compiled once when it is a
        /// constant (otherwise each row's is compiled as it comes).
        pattern: Option<Pattern>,
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
            let pattern = match (function, compiled.get(1)) {
                (
                    ScalarFunction::RegexpContains
                    | ScalarFunction::RegexpExtract
                    | ScalarFunction::RegexpReplace,
                    Some(CExpr::Const(Value::String(p))),
                ) => function::regex(p).ok().map(Pattern),
                _ => None,
            };
            CExpr::Function {
                function: *function,
                part,
                pattern,
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
            pattern,
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
            let pattern = pattern.as_ref().map(|p| &p.0);
            call(*function, *part, pattern, &values, data_type, cx)
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

#[cfg(test)]
mod tests;
