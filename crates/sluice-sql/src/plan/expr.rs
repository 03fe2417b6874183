//! Typed scalar expressions: literals as values, operators, functions, each with
//! the origin it was written at.

use std::fmt;

use crate::diagnostics::Span;
use crate::functions::{DatePart, ScalarFunction};
use crate::literal;
use crate::types::DataType;

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `NULL`.
    Null,
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// An integer.
    Int64(i64),
    /// A float (or a decimal literal with a point or exponent).
    Float64(f64),
    /// A string.
    String(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A `NUMERIC`, scaled by
    /// [`NUMERIC_SCALE`](crate::literal::NUMERIC_SCALE).
    Numeric(i128),
    /// A `BIGNUMERIC`, scaled like a NUMERIC.
    BigNumeric(i128),
    /// A `DATE`, in days since 1970-01-01.
    Date(i32),
    /// A `DATETIME`, in microseconds since 1970-01-01T00:00:00 (civil, no zone).
    Datetime(i64),
    /// A `TIME`, in microseconds since midnight.
    Time(i64),
    /// A `TIMESTAMP`, in microseconds since the epoch.
    Timestamp(i64),
    /// An interval in microseconds (`INTERVAL 1 MINUTE`).
    IntervalMicros(i64),
    /// A date part written as a keyword among a function's arguments
    /// (`TIMESTAMP_DIFF(a, b, HOUR)`): not a value, the function reads it.
    DatePart(DatePart),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Self::Int64(i) => write!(f, "{i}"),
            Self::Float64(x) => write!(f, "{x:?}"),
            Self::String(s) => write!(f, "'{}'", s.replace('\'', "\\'")),
            Self::Bytes(b) => write!(f, "b'{}'", String::from_utf8_lossy(b)),
            Self::Numeric(n) => write!(f, "NUMERIC '{}'", literal::format_numeric(*n)),
            Self::BigNumeric(n) => write!(f, "BIGNUMERIC '{}'", literal::format_numeric(*n)),
            Self::Date(days) => write!(f, "DATE '{}'", literal::format_days(*days)),
            Self::Datetime(us) => write!(f, "DATETIME '{}'", literal::format_civil(*us, b' ')),
            Self::Time(us) => write!(f, "TIME '{}'", literal::format_time(*us)),
            Self::Timestamp(us) => {
                write!(f, "TIMESTAMP '{} UTC'", literal::format_civil(*us, b' '))
            }
            Self::IntervalMicros(us) => write!(f, "INTERVAL {} MICROSECOND", us),
            Self::DatePart(part) => write!(f, "{part}"),
        }
    }
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/` (always FLOAT64 or NUMERIC in BigQuery)
    Divide,
    /// `||`
    Concat,
    /// `=`
    Eq,
    /// `!=` / `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND`
    And,
    /// `OR`
    Or,
}

impl BinaryOp {
    /// The operator as written in SQL.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Plus => "+",
            Self::Minus => "-",
            Self::Multiply => "*",
            Self::Divide => "/",
            Self::Concat => "||",
            Self::Eq => "=",
            Self::NotEq => "!=",
            Self::Lt => "<",
            Self::LtEq => "<=",
            Self::Gt => ">",
            Self::GtEq => ">=",
            Self::And => "AND",
            Self::Or => "OR",
        }
    }

    /// Whether the operator compares its operands.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Self::Eq | Self::NotEq | Self::Lt | Self::LtEq | Self::Gt | Self::GtEq
        )
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `NOT`
    Not,
    /// `-`
    Negate,
    /// `IS NULL`
    IsNull,
    /// `IS NOT NULL`
    IsNotNull,
    /// `IS TRUE`
    IsTrue,
    /// `IS FALSE`
    IsFalse,
}

/// Where in the query text a plan node was written, if it was (nodes the analyzer
/// adds itself, such as the casts of a coercion, were not): what lets the engine,
/// the Beam compiler and the editor point at the source without reading it again.
///
/// Two nodes written in different places are still the same expression (`GROUP BY
/// x` matches `SELECT x`), so an origin equals every other and hashes to nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin(pub Option<Span>);

impl Origin {
    /// Not written in the query.
    pub const NONE: Self = Self(None);

    /// Written at `span`.
    pub const fn at(span: Span) -> Self {
        Self(Some(span))
    }

    /// The span, if the node was written.
    pub fn span(self) -> Option<Span> {
        self.0
    }

    /// The smallest origin covering both.
    pub fn union(self, other: Origin) -> Origin {
        match (self.0, other.0) {
            (Some(a), Some(b)) => Self(Some(a.union(b))),
            (a, b) => Self(a.or(b)),
        }
    }
}

impl PartialEq for Origin {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Origin {}

impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// A typed scalar expression over the columns of an operator's input.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// The input column at `index`.
    Column {
        /// Position in the input schema.
        index: usize,
        /// Its name, for EXPLAIN.
        name: String,
        /// Its type.
        data_type: DataType,
        /// Where it was written.
        origin: Origin,
    },
    /// `expr.name`: a field of a STRUCT value.
    Field {
        /// The STRUCT value.
        expr: Box<Expr>,
        /// The field's position in the STRUCT.
        index: usize,
        /// The field's name.
        name: String,
        /// The field's type.
        data_type: DataType,
        /// Where it was written.
        origin: Origin,
    },
    /// A constant.
    Literal {
        /// The value.
        value: Literal,
        /// Its type (NULL literals take the type they coerce to).
        data_type: DataType,
        /// Where it was written.
        origin: Origin,
    },
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// Result type.
        data_type: DataType,
        /// Where it was written.
        origin: Origin,
    },
    /// `op expr`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
        /// Where it was written.
        origin: Origin,
    },
    /// A scalar function call (`UPPER`, `IF`, `COALESCE`, …).
    Function {
        /// The function.
        function: ScalarFunction,
        /// Its arguments.
        args: Vec<Expr>,
        /// Result type.
        data_type: DataType,
        /// Where it was written.
        origin: Origin,
    },
    /// `CAST(expr AS type)` or `SAFE_CAST`.
    Cast {
        /// The value.
        expr: Box<Expr>,
        /// The target type.
        data_type: DataType,
        /// `SAFE_CAST`: NULL instead of an error.
        safe: bool,
        /// Where it was written.
        origin: Origin,
    },
    /// `CASE WHEN … THEN … ELSE … END` (a `CASE x WHEN v` is rewritten to `x = v` conditions).
    Case {
        /// `(condition, result)` pairs.
        branches: Vec<(Expr, Expr)>,
        /// The `ELSE` result (NULL when absent).
        otherwise: Box<Expr>,
        /// Result type.
        data_type: DataType,
        /// Where it was written.
        origin: Origin,
    },
    /// `expr [NOT] IN (list)`.
    InList {
        /// The value.
        expr: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
        /// Where it was written.
        origin: Origin,
    },
    /// `expr [NOT] BETWEEN low AND high`.
    Between {
        /// The value.
        expr: Box<Expr>,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
        /// Where it was written.
        origin: Origin,
    },
    /// `expr [NOT] LIKE pattern`.
    Like {
        /// The value.
        expr: Box<Expr>,
        /// The pattern (`%` and `_`).
        pattern: Box<Expr>,
        /// `NOT LIKE`.
        negated: bool,
        /// Where it was written.
        origin: Origin,
    },
}

impl Expr {
    /// The expression's type.
    pub fn data_type(&self) -> DataType {
        match self {
            Self::Column { data_type, .. }
            | Self::Field { data_type, .. }
            | Self::Literal { data_type, .. }
            | Self::Binary { data_type, .. }
            | Self::Function { data_type, .. }
            | Self::Cast { data_type, .. }
            | Self::Case { data_type, .. } => data_type.clone(),
            Self::Unary {
                op: UnaryOp::Negate,
                expr,
                ..
            } => expr.data_type(),
            Self::Unary { .. } | Self::InList { .. } | Self::Between { .. } | Self::Like { .. } => {
                DataType::Bool
            }
        }
    }

    /// The constant NULL, not written anywhere.
    pub fn null() -> Expr {
        Self::Literal {
            value: Literal::Null,
            data_type: DataType::Null,
            origin: Origin::NONE,
        }
    }

    /// Whether the expression is the constant NULL.
    pub fn is_null_literal(&self) -> bool {
        matches!(
            self,
            Self::Literal {
                value: Literal::Null,
                ..
            }
        )
    }

    /// Where the expression was written.
    pub fn origin(&self) -> Origin {
        match self {
            Self::Column { origin, .. }
            | Self::Field { origin, .. }
            | Self::Literal { origin, .. }
            | Self::Binary { origin, .. }
            | Self::Unary { origin, .. }
            | Self::Function { origin, .. }
            | Self::Cast { origin, .. }
            | Self::Case { origin, .. }
            | Self::InList { origin, .. }
            | Self::Between { origin, .. }
            | Self::Like { origin, .. } => *origin,
        }
    }

    /// The expression, written at `at`.
    pub fn with_origin(mut self, at: Origin) -> Self {
        match &mut self {
            Self::Column { origin, .. }
            | Self::Field { origin, .. }
            | Self::Literal { origin, .. }
            | Self::Binary { origin, .. }
            | Self::Unary { origin, .. }
            | Self::Function { origin, .. }
            | Self::Cast { origin, .. }
            | Self::Case { origin, .. }
            | Self::InList { origin, .. }
            | Self::Between { origin, .. }
            | Self::Like { origin, .. } => *origin = at,
        }
        self
    }

    /// The expressions directly under this one, in the order they are written.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Self::Column { .. } | Self::Literal { .. } => Vec::new(),
            Self::Field { expr, .. } | Self::Unary { expr, .. } | Self::Cast { expr, .. } => {
                vec![expr]
            }
            Self::Binary { left, right, .. } => vec![left, right],
            Self::Function { args, .. } => args.iter().collect(),
            Self::Case {
                branches,
                otherwise,
                ..
            } => branches
                .iter()
                .flat_map(|(c, r)| [c, r])
                .chain([&**otherwise])
                .collect(),
            Self::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            Self::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            Self::Like { expr, pattern, .. } => vec![expr, pattern],
        }
    }

    /// The expression with each expression directly under it replaced by `f` of it.
    pub fn map_children(&self, f: &mut impl FnMut(&Expr) -> Expr) -> Expr {
        let mut m = |e: &Expr| Box::new(f(e));
        match self {
            Self::Column { .. } | Self::Literal { .. } => self.clone(),
            Self::Field {
                expr,
                index,
                name,
                data_type,
                origin,
            } => Self::Field {
                expr: m(expr),
                index: *index,
                name: name.clone(),
                data_type: data_type.clone(),
                origin: *origin,
            },
            Self::Binary {
                op,
                left,
                right,
                data_type,
                origin,
            } => Self::Binary {
                op: *op,
                left: m(left),
                right: m(right),
                data_type: data_type.clone(),
                origin: *origin,
            },
            Self::Unary { op, expr, origin } => Self::Unary {
                op: *op,
                expr: m(expr),
                origin: *origin,
            },
            Self::Function {
                function,
                args,
                data_type,
                origin,
            } => Self::Function {
                function: *function,
                args: args.iter().map(|a| *m(a)).collect(),
                data_type: data_type.clone(),
                origin: *origin,
            },
            Self::Cast {
                expr,
                data_type,
                safe,
                origin,
            } => Self::Cast {
                expr: m(expr),
                data_type: data_type.clone(),
                safe: *safe,
                origin: *origin,
            },
            Self::Case {
                branches,
                otherwise,
                data_type,
                origin,
            } => Self::Case {
                branches: branches.iter().map(|(c, r)| (*m(c), *m(r))).collect(),
                otherwise: m(otherwise),
                data_type: data_type.clone(),
                origin: *origin,
            },
            Self::InList {
                expr,
                list,
                negated,
                origin,
            } => Self::InList {
                expr: m(expr),
                list: list.iter().map(|a| *m(a)).collect(),
                negated: *negated,
                origin: *origin,
            },
            Self::Between {
                expr,
                low,
                high,
                negated,
                origin,
            } => Self::Between {
                expr: m(expr),
                low: m(low),
                high: m(high),
                negated: *negated,
                origin: *origin,
            },
            Self::Like {
                expr,
                pattern,
                negated,
                origin,
            } => Self::Like {
                expr: m(expr),
                pattern: m(pattern),
                negated: *negated,
                origin: *origin,
            },
        }
    }

    /// The expression with every column reference replaced by `f(index, name,
    /// type)`; a replacement not written anywhere takes the column's origin.
    pub fn map_columns(&self, f: &mut impl FnMut(usize, &str, &DataType) -> Expr) -> Expr {
        match self {
            Self::Column {
                index,
                name,
                data_type,
                origin,
            } => {
                let e = f(*index, name, data_type);
                if e.origin().span().is_none() {
                    e.with_origin(*origin)
                } else {
                    e
                }
            }
            _ => self.map_children(&mut |c| c.map_columns(f)),
        }
    }

    /// Calls `f` on every column index the expression reads.
    pub fn visit_columns(&self, f: &mut impl FnMut(usize)) {
        match self {
            Self::Column { index, .. } => f(*index),
            Self::Literal { .. } => {}
            Self::Binary { left, right, .. } => {
                left.visit_columns(f);
                right.visit_columns(f);
            }
            Self::Unary { expr, .. } | Self::Cast { expr, .. } | Self::Field { expr, .. } => {
                expr.visit_columns(f)
            }
            Self::Function { args, .. } => args.iter().for_each(|a| a.visit_columns(f)),
            Self::Case {
                branches,
                otherwise,
                ..
            } => {
                for (c, r) in branches {
                    c.visit_columns(f);
                    r.visit_columns(f);
                }
                otherwise.visit_columns(f);
            }
            Self::InList { expr, list, .. } => {
                expr.visit_columns(f);
                list.iter().for_each(|e| e.visit_columns(f));
            }
            Self::Between {
                expr, low, high, ..
            } => {
                expr.visit_columns(f);
                low.visit_columns(f);
                high.visit_columns(f);
            }
            Self::Like { expr, pattern, .. } => {
                expr.visit_columns(f);
                pattern.visit_columns(f);
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Column { index, name, .. } => write!(f, "{name}#{index}"),
            Self::Field { expr, name, .. } => write!(f, "{expr}.{name}"),
            Self::Literal { value, .. } => write!(f, "{value}"),
            Self::Binary {
                op, left, right, ..
            } => write!(f, "({left} {} {right})", op.symbol()),
            Self::Unary { op, expr, .. } => match op {
                UnaryOp::Not => write!(f, "(NOT {expr})"),
                UnaryOp::Negate => write!(f, "(-{expr})"),
                UnaryOp::IsNull => write!(f, "({expr} IS NULL)"),
                UnaryOp::IsNotNull => write!(f, "({expr} IS NOT NULL)"),
                UnaryOp::IsTrue => write!(f, "({expr} IS TRUE)"),
                UnaryOp::IsFalse => write!(f, "({expr} IS FALSE)"),
            },
            Self::Function { function, args, .. } => {
                write!(f, "{function}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            Self::Cast {
                expr,
                data_type,
                safe,
                ..
            } => {
                write!(
                    f,
                    "{}({expr} AS {data_type})",
                    if *safe { "SAFE_CAST" } else { "CAST" }
                )
            }
            Self::Case {
                branches,
                otherwise,
                ..
            } => {
                f.write_str("CASE")?;
                for (c, r) in branches {
                    write!(f, " WHEN {c} THEN {r}")?;
                }
                write!(f, " ELSE {otherwise} END")
            }
            Self::InList {
                expr,
                list,
                negated,
                ..
            } => {
                write!(f, "({expr} {}IN (", if *negated { "NOT " } else { "" })?;
                write_list(f, list)?;
                f.write_str("))")
            }
            Self::Between {
                expr,
                low,
                high,
                negated,
                ..
            } => {
                write!(
                    f,
                    "({expr} {}BETWEEN {low} AND {high})",
                    if *negated { "NOT " } else { "" }
                )
            }
            Self::Like {
                expr,
                pattern,
                negated,
                ..
            } => {
                write!(
                    f,
                    "({expr} {}LIKE {pattern})",
                    if *negated { "NOT " } else { "" }
                )
            }
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[impl fmt::Display]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Expr;
    use crate::plan::Plan;
    use crate::{Catalog, analyze};

    /// Every kind of expression, over the reference topic's columns.
    const EVERY_KIND: &str = "SELECT customer_id + 1 AS a, NOT (amount > 2) AS b, \
        UPPER(order_status) AS c, CAST(amount AS STRING) AS d, \
        CASE WHEN amount > 1 THEN customer_id ELSE 0 END AS e, \
        customer_id IN (1, customer_id) AS f, amount BETWEEN 1 AND customer_id AS g, \
        order_status LIKE order_datetime AS h, 'x' AS i \
        FROM pubsub.topic.`demobox-313313`.orders";

    fn select_list(sql: &str) -> Vec<Expr> {
        match analyze(sql, &Catalog::reference()).plan {
            Some(Plan::Project { exprs, .. }) => exprs,
            other => panic!("not a projection: {other:?}"),
        }
    }

    #[test]
    fn mapping_columns_rebuilds_every_kind_of_expression_around_them() {
        for e in select_list(EVERY_KIND) {
            let shifted = e.map_columns(&mut |index, name, data_type| Expr::Column {
                index: index + 10,
                name: name.to_string(),
                data_type: data_type.clone(),
                origin: super::Origin::NONE,
            });
            // The same text with each column's index moved by ten, and the same
            // origins: nothing else is touched.
            let expected = e.to_string().replace("#1", "#11").replace("#2", "#12");
            let expected = expected.replace("#3", "#13").replace("#4", "#14");
            assert_eq!(shifted.to_string(), expected);
            assert_eq!(shifted.origin().span(), e.origin().span());
            assert_eq!(shifted.children().len(), e.children().len());
            for (s, c) in shifted.children().iter().zip(e.children()) {
                assert_eq!(s.origin().span(), c.origin().span(), "{c}");
            }
            let mut seen = Vec::new();
            shifted.visit_columns(&mut |i| seen.push(i));
            assert!(seen.iter().all(|i| *i >= 10), "{shifted}");
        }
    }
}
