//! Aggregate accumulators: `COUNT`, `SUM`, `AVG`, `MIN`, `MAX`, `ANY_VALUE`,
//! `COUNTIF`, `LOGICAL_AND`, `LOGICAL_OR`, with `DISTINCT`, mergeable for sessions.

use std::cmp::Ordering;
use std::collections::HashSet;

use sluice_sql::plan::{AggregateCall, AggregateFunction};
use sluice_sql::types::DataType;

use crate::eval::{CExpr, Context, EvalError, compile, eval};
use sluice_sql::literal::NUMERIC_SCALE;

use crate::value::{Key, Value, compare};

/// One aggregate of an operator, ready to run.
#[derive(Debug, Clone)]
pub struct AggSpec {
    /// Which aggregate.
    pub function: AggregateFunction,
    /// Its argument.
    pub arg: Option<CExpr>,
    /// `DISTINCT`.
    pub distinct: bool,
    /// Result type.
    pub data_type: DataType,
}

impl AggSpec {
    /// Prepares a plan aggregate.
    pub fn new(call: &AggregateCall) -> Result<Self, EvalError> {
        Ok(Self {
            function: call.function,
            arg: call.arg.as_ref().map(compile).transpose()?,
            distinct: call.distinct,
            data_type: call.data_type.clone(),
        })
    }

    /// A fresh accumulator.
    pub fn start(&self) -> Acc {
        Acc {
            state: State::Empty,
            count: 0,
            seen: self.distinct.then(Box::default),
        }
    }
}

#[derive(Debug, Clone)]
enum State {
    Empty,
    Int(i128),
    Float(f64),
    Numeric(i128),
    Value(Value),
    Bool(bool),
}

/// The running state of one aggregate in one group.
#[derive(Debug, Clone)]
pub struct Acc {
    state: State,
    /// Non-NULL inputs (COUNT, AVG) or matching inputs (COUNTIF).
    count: i64,
    /// `DISTINCT`'s values seen (boxed: most aggregates have none, and an
    /// accumulator stays small enough to sit inline in its group).
    #[allow(clippy::box_collection)]
    seen: Option<Box<HashSet<Key>>>,
}

impl Acc {
    /// Adds one input row.
    pub fn add(&mut self, spec: &AggSpec, row: &[Value], cx: &Context) -> Result<(), EvalError> {
        let v = match &spec.arg {
            None => {
                self.count += 1;
                return Ok(());
            }
            Some(arg) => eval(arg, row, cx)?,
        };
        self.add_value(spec, v)
    }

    fn add_value(&mut self, spec: &AggSpec, v: Value) -> Result<(), EvalError> {
        if v.is_null() {
            return Ok(());
        }
        if let Some(seen) = &mut self.seen
            && !seen.insert(Key::new(vec![v.clone()]))
        {
            return Ok(());
        }
        use AggregateFunction as F;
        match spec.function {
            F::CountStar | F::Count => self.count += 1,
            F::CountIf => {
                if v == Value::Bool(true) {
                    self.count += 1;
                }
            }
            F::Sum | F::Avg => {
                self.count += 1;
                self.state = match (std::mem::replace(&mut self.state, State::Empty), v) {
                    (State::Empty, Value::Int64(i)) if spec.function == F::Sum => {
                        State::Int(i128::from(i))
                    }
                    (State::Int(s), Value::Int64(i)) => State::Int(s + i128::from(i)),
                    (State::Empty, Value::Numeric(n)) => State::Numeric(n.get()),
                    (State::Numeric(s), Value::Numeric(n)) => State::Numeric(s + n.get()),
                    (state, v) => {
                        let x = v.as_f64().unwrap_or(f64::NAN);
                        match state {
                            State::Float(s) => State::Float(s + x),
                            State::Int(s) => State::Float(s as f64 + x),
                            State::Numeric(s) => State::Float(s as f64 / NUMERIC_SCALE as f64 + x),
                            _ => State::Float(x),
                        }
                    }
                };
            }
            F::Min | F::Max => {
                let replace = match &self.state {
                    State::Value(best) => {
                        let o = compare(&v, best).unwrap_or(Ordering::Equal);
                        (spec.function == F::Min && o == Ordering::Less)
                            || (spec.function == F::Max && o == Ordering::Greater)
                    }
                    _ => true,
                };
                if replace {
                    self.state = State::Value(v);
                }
            }
            F::AnyValue => {
                if matches!(self.state, State::Empty) {
                    self.state = State::Value(v);
                }
            }
            F::LogicalAnd | F::LogicalOr => {
                let b = v == Value::Bool(true);
                self.state = State::Bool(match self.state {
                    State::Bool(s) if spec.function == F::LogicalAnd => s && b,
                    State::Bool(s) => s || b,
                    _ => b,
                });
            }
        }
        Ok(())
    }

    /// Folds another accumulator of the same aggregate into this one.
    pub fn merge(&mut self, spec: &AggSpec, other: Acc) -> Result<(), EvalError> {
        if let (Some(mine), Some(theirs)) = (&mut self.seen, other.seen) {
            // Re-add the other side's distinct values through the normal path.
            let values: Vec<Value> = theirs
                .into_iter()
                .filter(|k| !mine.contains(k))
                .filter_map(|k| k.0.into_iter().next())
                .collect();
            for v in values {
                self.add_value(spec, v)?;
            }
            return Ok(());
        }
        use AggregateFunction as F;
        match spec.function {
            F::CountStar | F::Count | F::CountIf => self.count += other.count,
            _ => {
                let count = other.count;
                match other.state {
                    State::Empty => {}
                    State::Int(i) if spec.function == F::Sum || spec.function == F::Avg => {
                        self.state = match std::mem::replace(&mut self.state, State::Empty) {
                            State::Empty => State::Int(i),
                            State::Int(s) => State::Int(s + i),
                            State::Float(s) => State::Float(s + i as f64),
                            other => other,
                        };
                        self.count += count;
                    }
                    State::Float(x) => {
                        self.state = match std::mem::replace(&mut self.state, State::Empty) {
                            State::Empty => State::Float(x),
                            State::Int(s) => State::Float(s as f64 + x),
                            State::Float(s) => State::Float(s + x),
                            State::Numeric(s) => State::Float(s as f64 / NUMERIC_SCALE as f64 + x),
                            other => other,
                        };
                        self.count += count;
                    }
                    State::Numeric(n) => {
                        self.state = match std::mem::replace(&mut self.state, State::Empty) {
                            State::Empty => State::Numeric(n),
                            State::Numeric(s) => State::Numeric(s + n),
                            State::Float(s) => State::Float(s + n as f64 / NUMERIC_SCALE as f64),
                            other => other,
                        };
                        self.count += count;
                    }
                    State::Value(v) => self.add_value(spec, v)?,
                    State::Bool(b) => self.add_value(spec, Value::Bool(b))?,
                    State::Int(_) => {}
                }
            }
        }
        Ok(())
    }

    /// The aggregate's value.
    pub fn finish(&self, spec: &AggSpec) -> Result<Value, EvalError> {
        use AggregateFunction as F;
        Ok(match spec.function {
            F::CountStar | F::Count | F::CountIf => Value::Int64(self.count),
            F::Sum => match &self.state {
                State::Empty => Value::Null,
                State::Int(s) => match i64::try_from(*s) {
                    Ok(i) => Value::Int64(i),
                    Err(_) => return Err(EvalError(format!("integer overflow in SUM: {s}"))),
                },
                State::Float(x) => Value::Float64(*x),
                State::Numeric(n) => Value::numeric(*n),
                _ => Value::Null,
            },
            F::Avg => {
                if self.count == 0 {
                    return Ok(Value::Null);
                }
                match &self.state {
                    State::Numeric(n) => Value::numeric(*n / i128::from(self.count)),
                    State::Int(s) => Value::Float64(*s as f64 / self.count as f64),
                    State::Float(x) => Value::Float64(*x / self.count as f64),
                    _ => Value::Null,
                }
            }
            F::Min | F::Max | F::AnyValue => match &self.state {
                State::Value(v) => v.clone(),
                _ => Value::Null,
            },
            F::LogicalAnd | F::LogicalOr => match self.state {
                State::Bool(b) => Value::Bool(b),
                _ => Value::Null,
            },
        })
    }
}
