//! The logical plan: typed operators with boundedness and output schema.
//!
//! What the engine runs, what the cloud compiler translates, and where the
//! destination table's schema comes from. [`Plan::explain`] prints it.

use std::fmt::{self, Write as _};

use crate::catalog::Source;
use crate::types::{DataType, Field, Mode};

mod expr;

pub use expr::{BinaryOp, Expr, Literal, Origin, UnaryOp};

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
    /// Where the call was written.
    pub origin: Origin,
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
        /// Where the clause that made it was written.
        origin: Origin,
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
        /// Where the clause that made it was written.
        origin: Origin,
    },
    /// Keep rows where `predicate` is TRUE.
    Filter {
        /// The input.
        input: Box<Plan>,
        /// A BOOL expression over the input.
        predicate: Expr,
        /// Where the clause that made it was written.
        origin: Origin,
    },
    /// Compute new columns.
    Project {
        /// The input.
        input: Box<Plan>,
        /// One expression per output column.
        exprs: Vec<Expr>,
        /// Output columns.
        columns: Vec<Column>,
        /// Where the clause that made it was written.
        origin: Origin,
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
        /// Where the clause that made it was written.
        origin: Origin,
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
        /// Where the clause that made it was written.
        origin: Origin,
    },
    /// Remove duplicate rows.
    Distinct {
        /// The input.
        input: Box<Plan>,
        /// Where the clause that made it was written.
        origin: Origin,
    },
    /// `UNION ALL` of inputs with compatible columns.
    Union {
        /// The inputs.
        inputs: Vec<Plan>,
        /// Output columns (the first input's names).
        columns: Vec<Column>,
        /// Where the clause that made it was written.
        origin: Origin,
    },
    /// Sort (bounded inputs only).
    Sort {
        /// The input.
        input: Box<Plan>,
        /// `(key, ascending)` pairs.
        keys: Vec<(Expr, bool)>,
        /// Where the clause that made it was written.
        origin: Origin,
    },
    /// Keep the first rows (bounded inputs only).
    Limit {
        /// The input.
        input: Box<Plan>,
        /// How many rows.
        count: u64,
        /// How many to skip first.
        offset: u64,
        /// Where the clause that made it was written.
        origin: Origin,
    },
}

impl Plan {
    /// Where the clause that made the operator was written.
    pub fn origin(&self) -> Origin {
        match self {
            Self::Scan { origin, .. }
            | Self::Window { origin, .. }
            | Self::Filter { origin, .. }
            | Self::Project { origin, .. }
            | Self::Aggregate { origin, .. }
            | Self::Join { origin, .. }
            | Self::Distinct { origin, .. }
            | Self::Union { origin, .. }
            | Self::Sort { origin, .. }
            | Self::Limit { origin, .. } => *origin,
        }
    }

    /// Where output column `index` was written: its expression in a SELECT or
    /// GROUP BY, else the operator that made it.
    pub fn column_origin(&self, index: usize) -> Origin {
        let written = match self {
            Self::Project { exprs, .. } => exprs.get(index).map(Expr::origin),
            Self::Aggregate {
                group, aggregates, ..
            } => match group.get(index) {
                Some(key) => Some(key.origin()),
                None => aggregates.get(index - group.len()).map(|a| a.origin),
            },
            Self::Filter { input, .. }
            | Self::Distinct { input, .. }
            | Self::Sort { input, .. }
            | Self::Limit { input, .. } => Some(input.column_origin(index)),
            _ => None,
        };
        match written {
            Some(Origin(Some(span))) => Origin::at(span),
            _ => self.origin(),
        }
    }

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
            | Self::Distinct { input, .. }
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
            | Self::Distinct { input, .. }
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
