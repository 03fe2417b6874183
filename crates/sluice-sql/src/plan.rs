//! The logical plan: typed operators with boundedness and output schema.
//!
//! What the engine runs, what the cloud compiler translates, and where the
//! destination table's schema comes from. [`Plan::explain`] prints it.

use std::fmt::{self, Write as _};

use crate::catalog::Source;
use crate::functions::ScalarFunction;
use crate::literal;
use crate::types::{DataType, Field, Mode};

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
    },
    /// A constant.
    Literal {
        /// The value.
        value: Literal,
        /// Its type (NULL literals take the type they coerce to).
        data_type: DataType,
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
    },
    /// `op expr`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// A scalar function call (`UPPER`, `IF`, `COALESCE`, …).
    Function {
        /// The function.
        function: ScalarFunction,
        /// Its arguments.
        args: Vec<Expr>,
        /// Result type.
        data_type: DataType,
    },
    /// `CAST(expr AS type)` or `SAFE_CAST`.
    Cast {
        /// The value.
        expr: Box<Expr>,
        /// The target type.
        data_type: DataType,
        /// `SAFE_CAST`: NULL instead of an error.
        safe: bool,
    },
    /// `CASE WHEN … THEN … ELSE … END` (a `CASE x WHEN v` is rewritten to `x = v` conditions).
    Case {
        /// `(condition, result)` pairs.
        branches: Vec<(Expr, Expr)>,
        /// The `ELSE` result (NULL when absent).
        otherwise: Box<Expr>,
        /// Result type.
        data_type: DataType,
    },
    /// `expr [NOT] IN (list)`.
    InList {
        /// The value.
        expr: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
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
    },
    /// `expr [NOT] LIKE pattern`.
    Like {
        /// The value.
        expr: Box<Expr>,
        /// The pattern (`%` and `_`).
        pattern: Box<Expr>,
        /// `NOT LIKE`.
        negated: bool,
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
            } => expr.data_type(),
            Self::Unary { .. } | Self::InList { .. } | Self::Between { .. } | Self::Like { .. } => {
                DataType::Bool
            }
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

    /// The expression with every column reference replaced by `f(index, name, type)`.
    pub fn map_columns(&self, f: &mut impl FnMut(usize, &str, &DataType) -> Expr) -> Expr {
        let mut m = |e: &Expr| Box::new(e.map_columns(f));
        match self {
            Self::Column {
                index,
                name,
                data_type,
            } => f(*index, name, data_type),
            Self::Field {
                expr,
                index,
                name,
                data_type,
            } => Self::Field {
                expr: m(expr),
                index: *index,
                name: name.clone(),
                data_type: data_type.clone(),
            },
            Self::Literal { .. } => self.clone(),
            Self::Binary {
                op,
                left,
                right,
                data_type,
            } => Self::Binary {
                op: *op,
                left: m(left),
                right: m(right),
                data_type: data_type.clone(),
            },
            Self::Unary { op, expr } => Self::Unary {
                op: *op,
                expr: m(expr),
            },
            Self::Function {
                function,
                args,
                data_type,
            } => Self::Function {
                function: *function,
                args: args.iter().map(|a| a.map_columns(f)).collect(),
                data_type: data_type.clone(),
            },
            Self::Cast {
                expr,
                data_type,
                safe,
            } => Self::Cast {
                expr: m(expr),
                data_type: data_type.clone(),
                safe: *safe,
            },
            Self::Case {
                branches,
                otherwise,
                data_type,
            } => Self::Case {
                branches: branches
                    .iter()
                    .map(|(c, r)| (c.map_columns(f), r.map_columns(f)))
                    .collect(),
                otherwise: Box::new(otherwise.map_columns(f)),
                data_type: data_type.clone(),
            },
            Self::InList {
                expr,
                list,
                negated,
            } => Self::InList {
                expr: m(expr),
                list: list.iter().map(|a| a.map_columns(f)).collect(),
                negated: *negated,
            },
            Self::Between {
                expr,
                low,
                high,
                negated,
            } => Self::Between {
                expr: m(expr),
                low: m(low),
                high: m(high),
                negated: *negated,
            },
            Self::Like {
                expr,
                pattern,
                negated,
            } => Self::Like {
                expr: m(expr),
                pattern: m(pattern),
                negated: *negated,
            },
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
            Self::Unary { op, expr } => match op {
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

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateFunction {
    /// `COUNT(*)`
    CountStar,
    /// `COUNT(x)` (non-NULL values)
    Count,
    /// `SUM(x)`
    Sum,
    /// `AVG(x)`
    Avg,
    /// `MIN(x)`
    Min,
    /// `MAX(x)`
    Max,
    /// `ANY_VALUE(x)`
    AnyValue,
    /// `COUNTIF(cond)`
    CountIf,
    /// `LOGICAL_AND(cond)`
    LogicalAnd,
    /// `LOGICAL_OR(cond)`
    LogicalOr,
}

impl AggregateFunction {
    /// The function's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Self::CountStar | Self::Count => "COUNT",
            Self::Sum => "SUM",
            Self::Avg => "AVG",
            Self::Min => "MIN",
            Self::Max => "MAX",
            Self::AnyValue => "ANY_VALUE",
            Self::CountIf => "COUNTIF",
            Self::LogicalAnd => "LOGICAL_AND",
            Self::LogicalOr => "LOGICAL_OR",
        }
    }
}

/// One aggregate computed by an [`Plan::Aggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateCall {
    /// Which aggregate.
    pub function: AggregateFunction,
    /// Its argument over the aggregate's input (none for `COUNT(*)`).
    pub arg: Option<Expr>,
    /// `COUNT(DISTINCT x)` and friends.
    pub distinct: bool,
    /// Result type.
    pub data_type: DataType,
}

impl fmt::Display for AggregateCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.arg, self.distinct) {
            (None, _) => write!(f, "{}(*)", self.function.name()),
            (Some(a), true) => write!(f, "{}(DISTINCT {a})", self.function.name()),
            (Some(a), false) => write!(f, "{}({a})", self.function.name()),
        }
    }
}

/// Event-time windows, as Dataflow SQL's `TUMBLE`, `HOP` and `SESSION` define them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowKind {
    /// Fixed, non-overlapping windows of `size` microseconds.
    Tumble {
        /// Window length.
        size_micros: i64,
    },
    /// Sliding windows of `size`, starting every `slide`.
    Hop {
        /// Distance between window starts.
        slide_micros: i64,
        /// Window length.
        size_micros: i64,
    },
    /// Per-key sessions closed by `gap` of inactivity.
    Session {
        /// Inactivity gap.
        gap_micros: i64,
    },
}

impl fmt::Display for WindowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tumble { size_micros } => {
                write!(f, "TUMBLE(size={})", human_micros(*size_micros))
            }
            Self::Hop {
                slide_micros,
                size_micros,
            } => {
                write!(
                    f,
                    "HOP(slide={}, size={})",
                    human_micros(*slide_micros),
                    human_micros(*size_micros)
                )
            }
            Self::Session { gap_micros } => write!(f, "SESSION(gap={})", human_micros(*gap_micros)),
        }
    }
}

/// `90000000` → `1m30s`.
pub fn human_micros(us: i64) -> String {
    let units = [
        (86_400_000_000, "d"),
        (3_600_000_000, "h"),
        (60_000_000, "m"),
        (1_000_000, "s"),
        (1_000, "ms"),
        (1, "us"),
    ];
    if us == 0 {
        return "0s".into();
    }
    let mut rest = us;
    let mut out = String::new();
    for (size, name) in units {
        if rest >= size {
            let _ = write!(out, "{}{name}", rest / size);
            rest %= size;
        }
    }
    out
}

/// Join kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinKind {
    /// `INNER JOIN`
    Inner,
    /// `LEFT OUTER JOIN`
    Left,
    /// `RIGHT OUTER JOIN`
    Right,
    /// `FULL OUTER JOIN`
    Full,
    /// `CROSS JOIN`
    Cross,
}

impl JoinKind {
    /// The kind as SQL.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Inner => "INNER",
            Self::Left => "LEFT OUTER",
            Self::Right => "RIGHT OUTER",
            Self::Full => "FULL OUTER",
            Self::Cross => "CROSS",
        }
    }
}

/// A column of an operator's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The table alias it is reachable through, if any.
    pub qualifier: Option<String>,
    /// Its name.
    pub name: String,
    /// Its type.
    pub data_type: DataType,
    /// Whether it may be NULL.
    pub nullable: bool,
}

impl Column {
    /// The destination schema field for this column.
    pub fn to_field(&self) -> Field {
        let mode = match (&self.data_type, self.nullable) {
            (DataType::Array(_), _) => Mode::Repeated,
            (_, false) => Mode::Required,
            _ => Mode::Nullable,
        };
        // An untyped NULL column is INT64 in BigQuery.
        let data_type = match &self.data_type {
            DataType::Null => DataType::Int64,
            other => other.clone(),
        };
        Field::new(self.name.clone(), data_type).with_mode(mode)
    }
}

/// A logical operator with its inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Read a source.
    Scan {
        /// The catalog entry.
        source: Source,
        /// Output columns (the source's schema).
        columns: Vec<Column>,
    },
    /// Assign each row to event-time windows; appends `window_start` and `window_end`.
    Window {
        /// The windowed input.
        input: Box<Plan>,
        /// Tumble, hop or session.
        kind: WindowKind,
        /// The TIMESTAMP column giving event time.
        time_column: usize,
        /// Input columns plus `window_start`, `window_end`.
        columns: Vec<Column>,
    },
    /// Keep rows where `predicate` is TRUE.
    Filter {
        /// The input.
        input: Box<Plan>,
        /// A BOOL expression over the input.
        predicate: Expr,
    },
    /// Compute new columns.
    Project {
        /// The input.
        input: Box<Plan>,
        /// One expression per output column.
        exprs: Vec<Expr>,
        /// Output columns.
        columns: Vec<Column>,
    },
    /// Group and aggregate; output is the group keys, then the aggregates.
    Aggregate {
        /// The input.
        input: Box<Plan>,
        /// Group keys over the input.
        group: Vec<Expr>,
        /// Aggregates over the input.
        aggregates: Vec<AggregateCall>,
        /// Index in `group` of the window key (`window_start`/`window_end`) on an unbounded input.
        window_key: Option<usize>,
        /// Output columns.
        columns: Vec<Column>,
    },
    /// Join two inputs; output is left columns then right columns.
    Join {
        /// Left input.
        left: Box<Plan>,
        /// Right input.
        right: Box<Plan>,
        /// Inner, outer or cross.
        kind: JoinKind,
        /// Equi-join keys: `(left expr over left columns, right expr over right columns)`.
        keys: Vec<(Expr, Expr)>,
        /// The rest of the condition, over left and right columns concatenated.
        residual: Option<Expr>,
        /// Output columns.
        columns: Vec<Column>,
    },
    /// Remove duplicate rows.
    Distinct {
        /// The input.
        input: Box<Plan>,
    },
    /// `UNION ALL` of inputs with compatible columns.
    Union {
        /// The inputs.
        inputs: Vec<Plan>,
        /// Output columns (the first input's names).
        columns: Vec<Column>,
    },
    /// Sort (bounded inputs only).
    Sort {
        /// The input.
        input: Box<Plan>,
        /// `(key, ascending)` pairs.
        keys: Vec<(Expr, bool)>,
    },
    /// Keep the first rows (bounded inputs only).
    Limit {
        /// The input.
        input: Box<Plan>,
        /// How many rows.
        count: u64,
        /// How many to skip first.
        offset: u64,
    },
}

impl Plan {
    /// The operator's output columns.
    pub fn columns(&self) -> &[Column] {
        match self {
            Self::Scan { columns, .. }
            | Self::Window { columns, .. }
            | Self::Project { columns, .. }
            | Self::Aggregate { columns, .. }
            | Self::Join { columns, .. }
            | Self::Union { columns, .. } => columns,
            Self::Filter { input, .. }
            | Self::Distinct { input }
            | Self::Sort { input, .. }
            | Self::Limit { input, .. } => input.columns(),
        }
    }

    /// The distinct sources the plan scans, in the order its scans are first met
    /// (depth first, inputs in order).
    pub fn sources(&self) -> Vec<&crate::catalog::Source> {
        fn walk<'p>(plan: &'p Plan, out: &mut Vec<&'p crate::catalog::Source>) {
            if let Plan::Scan { source, .. } = plan
                && !out.contains(&source)
            {
                out.push(source);
            }
            for input in plan.inputs() {
                walk(input, out);
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// The operator's inputs.
    pub fn inputs(&self) -> Vec<&Plan> {
        match self {
            Self::Scan { .. } => vec![],
            Self::Window { input, .. }
            | Self::Filter { input, .. }
            | Self::Project { input, .. }
            | Self::Aggregate { input, .. }
            | Self::Distinct { input }
            | Self::Sort { input, .. }
            | Self::Limit { input, .. } => vec![input],
            Self::Join { left, right, .. } => vec![left, right],
            Self::Union { inputs, .. } => inputs.iter().collect(),
        }
    }

    /// Whether the operator's output is finite. Windowed aggregates of a stream are
    /// still unbounded (one result per window, forever).
    pub fn is_bounded(&self) -> bool {
        match self {
            Self::Scan { source, .. } => source.is_bounded(),
            _ => self.inputs().iter().all(|p| p.is_bounded()),
        }
    }

    /// Whether rows carry an event-time window (a `Window` below, not yet aggregated away).
    pub fn window(&self) -> Option<WindowKind> {
        match self {
            Self::Window { kind, .. } => Some(*kind),
            Self::Scan { .. } | Self::Union { .. } => None,
            Self::Aggregate {
                input, window_key, ..
            } => window_key.and_then(|_| input.window()),
            Self::Join { left, right, .. } => left.window().or_else(|| right.window()),
            other => other.inputs().first().and_then(|p| p.window()),
        }
    }

    /// The destination schema: one field per output column.
    pub fn output_schema(&self) -> Vec<Field> {
        self.columns().iter().map(Column::to_field).collect()
    }

    /// The operator's one-line description, e.g. `Filter: (order_status#3 != 'Cancelled')`.
    pub fn describe(&self) -> String {
        match self {
            Self::Scan { source, .. } => format!("Scan: {}", source.sql_name()),
            Self::Window {
                kind,
                time_column,
                input,
                ..
            } => {
                let time = input
                    .columns()
                    .get(*time_column)
                    .map(|c| c.name.as_str())
                    .unwrap_or("?");
                format!("Window: {kind} on {time}#{time_column}")
            }
            Self::Filter { predicate, .. } => format!("Filter: {predicate}"),
            Self::Project { exprs, columns, .. } => {
                let items: Vec<String> = exprs
                    .iter()
                    .zip(columns)
                    .map(|(e, c)| match e {
                        Expr::Column { name, .. } if *name == c.name => e.to_string(),
                        _ => format!("{e} AS {}", c.name),
                    })
                    .collect();
                format!("Project: {}", items.join(", "))
            }
            Self::Aggregate {
                group, aggregates, ..
            } => {
                let g: Vec<String> = group.iter().map(ToString::to_string).collect();
                let a: Vec<String> = aggregates.iter().map(ToString::to_string).collect();
                format!(
                    "Aggregate: group=[{}] aggregates=[{}]",
                    g.join(", "),
                    a.join(", ")
                )
            }
            Self::Join {
                kind,
                keys,
                residual,
                ..
            } => {
                let k: Vec<String> = keys.iter().map(|(l, r)| format!("{l} = {r}")).collect();
                let mut s = format!("Join: {} keys=[{}]", kind.sql(), k.join(", "));
                if let Some(r) = residual {
                    let _ = write!(s, " residual={r}");
                }
                s
            }
            Self::Distinct { .. } => "Distinct".into(),
            Self::Union { .. } => "Union: ALL".into(),
            Self::Sort { keys, .. } => {
                let k: Vec<String> = keys
                    .iter()
                    .map(|(e, asc)| format!("{e} {}", if *asc { "ASC" } else { "DESC" }))
                    .collect();
                format!("Sort: {}", k.join(", "))
            }
            Self::Limit { count, offset, .. } => format!("Limit: {count} offset {offset}"),
        }
    }

    /// The readable `EXPLAIN` text: one operator a line, inputs indented, with
    /// boundedness and output columns.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        self.explain_into(&mut out, 0);
        out
    }

    fn explain_into(&self, out: &mut String, depth: usize) {
        let columns: Vec<String> = self
            .columns()
            .iter()
            .map(|c| format!("{}:{}", c.name, c.data_type))
            .collect();
        let _ = writeln!(
            out,
            "{}{} [{}] -> ({})",
            "  ".repeat(depth),
            self.describe(),
            if self.is_bounded() {
                "bounded"
            } else {
                "unbounded"
            },
            columns.join(", ")
        );
        for input in self.inputs() {
            input.explain_into(out, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Catalog, analyze};

    #[test]
    fn a_plans_sources_are_listed_once_in_reading_order() {
        let catalog = Catalog::reference();
        let names = |sql: &str| -> Vec<String> {
            let plan = analyze(sql, &catalog).plan.expect("plans");
            plan.sources().iter().map(|s| s.name.clone()).collect()
        };
        assert_eq!(names(crate::reference::QUERY), ["orders", "orders"]);
        let kinds: Vec<bool> = analyze(crate::reference::QUERY, &catalog)
            .plan
            .expect("plans")
            .sources()
            .iter()
            .map(|s| s.is_bounded())
            .collect();
        assert_eq!(kinds, [false, true], "the topic, then the table");
        assert_eq!(
            names(
                "SELECT a.customer_id FROM bigquery.table.`demobox-313313`.ecommerce.customers a
                 JOIN bigquery.table.`demobox-313313`.ecommerce.customers b USING (customer_id)"
            ),
            ["customers"]
        );
    }
}
