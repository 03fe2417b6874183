//! Diagnostics: what is wrong (or suspicious) in a query, exactly where, and how to fix it.
//!
//! One source of truth, two renderings: the editor turns diagnostics into
//! underlines, the CLI into compiler-style text ([`render_human`]).

use std::fmt;

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The query cannot run.
    Error,
    /// The query runs but is probably not what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// A position in the query text: 1-based line and column, counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: u64,
    /// 1-based column in characters (not bytes).
    pub column: u64,
}

impl Position {
    /// A position at `line`, `column`.
    pub const fn new(line: u64, column: u64) -> Self {
        Self { line, column }
    }
}

/// A range of the query text; `end` is the position just after the last character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// The first character.
    pub start: Position,
    /// Just past the last character.
    pub end: Position,
}

impl Span {
    /// A span from `start` to `end`.
    pub const fn new(start: Position, end: Position) -> Self {
        Self { start, end }
    }

    /// Converts sqlparser's span; an empty (0:0) span becomes `fallback`.
    pub fn from_sql(span: sqlparser::tokenizer::Span, fallback: Span) -> Self {
        if span.start.line == 0 {
            return fallback;
        }
        Self {
            start: Position::new(span.start.line, span.start.column),
            end: Position::new(span.end.line, span.end.column),
        }
    }

    /// The smallest span covering both.
    pub fn union(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A stable, documented identifier of a kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Code {
    /// The text is not valid SQL.
    SyntaxError,
    /// The text holds no statement, or more than one.
    StatementCount,
    /// A statement other than a query.
    NotAQuery,
    /// A source name that the catalog does not hold.
    UnknownSource,
    /// A table name that is neither a CTE nor a `pubsub.topic`/`bigquery.table` source.
    UnknownTable,
    /// A column that no table in scope has.
    UnknownColumn,
    /// A STRUCT field that the struct does not have, or a field of a non-STRUCT.
    UnknownField,
    /// A column name that more than one table in scope has.
    AmbiguousColumn,
    /// A table alias or name that is not in scope.
    UnknownQualifier,
    /// Two tables in one `FROM` with the same alias.
    DuplicateAlias,
    /// A function that Dataflow SQL does not have.
    UnknownFunction,
    /// Wrong number of arguments.
    ArgumentCount,
    /// Operand or argument types that do not fit.
    TypeMismatch,
    /// A column neither grouped nor aggregated in an aggregating query.
    NotGrouped,
    /// An aggregate where none is allowed (WHERE, GROUP BY, inside another aggregate).
    MisplacedAggregate,
    /// `GROUP BY n` / `ORDER BY n` outside the select list's range.
    OrdinalOutOfRange,
    /// A SQL feature Dataflow SQL does not support.
    Unsupported,
    /// Aggregation over an unbounded input without a window.
    UnwindowedAggregate,
    /// `ORDER BY` on an unbounded result.
    UnboundedOrderBy,
    /// `LIMIT` on an unbounded result.
    UnboundedLimit,
    /// A join Beam SQL cannot run on streams.
    UnsupportedStreamingJoin,
    /// A malformed `TUMBLE`/`HOP`/`SESSION` call.
    InvalidWindow,
    /// `x = NULL` and friends, which are never true.
    NullComparison,
    /// A CTE that the query never reads.
    UnusedCte,
    /// A literal that does not fit its type.
    InvalidLiteral,
    /// Two output columns with the same name.
    DuplicateOutputColumn,
    /// A construct the deploy compiler cannot express in Beam SQL (Calcite).
    NotInBeamSql,
}

impl Code {
    /// The code as shown to users and in JSON, e.g. `unknown-column`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SyntaxError => "syntax-error",
            Self::StatementCount => "statement-count",
            Self::NotAQuery => "not-a-query",
            Self::UnknownSource => "unknown-source",
            Self::UnknownTable => "unknown-table",
            Self::UnknownColumn => "unknown-column",
            Self::UnknownField => "unknown-field",
            Self::AmbiguousColumn => "ambiguous-column",
            Self::UnknownQualifier => "unknown-qualifier",
            Self::DuplicateAlias => "duplicate-alias",
            Self::UnknownFunction => "unknown-function",
            Self::ArgumentCount => "argument-count",
            Self::TypeMismatch => "type-mismatch",
            Self::NotGrouped => "not-grouped",
            Self::MisplacedAggregate => "misplaced-aggregate",
            Self::OrdinalOutOfRange => "ordinal-out-of-range",
            Self::Unsupported => "unsupported",
            Self::UnwindowedAggregate => "unwindowed-aggregate",
            Self::UnboundedOrderBy => "unbounded-order-by",
            Self::UnboundedLimit => "unbounded-limit",
            Self::UnsupportedStreamingJoin => "unsupported-streaming-join",
            Self::InvalidWindow => "invalid-window",
            Self::NullComparison => "null-comparison",
            Self::UnusedCte => "unused-cte",
            Self::InvalidLiteral => "invalid-literal",
            Self::DuplicateOutputColumn => "duplicate-output-column",
            Self::NotInBeamSql => "not-in-beam-sql",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub hint: Option<String>,
    /// Where.
    pub span: Span,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            hint: None,
            span,
        }
    }

    /// A warning.
    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            code,
            message: message.into(),
            hint: None,
            span,
        }
    }

    /// The same diagnostic with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The JSON form `sluice check --format json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "severity": self.severity,
            "code": self.code.as_str(),
            "message": self.message,
            "hint": self.hint,
            "start": self.span.start,
            "end": self.span.end,
        })
    }
}

/// Renders diagnostics like a compiler: `file:line:col`, the source line, a caret span, the hint.
pub fn render_human(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::new();
    for d in diagnostics {
        let Span { start, end } = d.span;
        out.push_str(&format!("{}[{}]: {}\n", d.severity, d.code, d.message));
        out.push_str(&format!("  --> {file}:{}:{}\n", start.line, start.column));
        let gutter = start.line.to_string().len();
        if let Some(text) = lines.get((start.line as usize).saturating_sub(1)) {
            let width = text.chars().count() as u64;
            let from = start.column.max(1);
            let to = if end.line == start.line {
                end.column.max(from + 1)
            } else {
                width + 1
            };
            let carets = (to - from).clamp(1, width.saturating_sub(from - 1).max(1));
            let pad: String = text
                .chars()
                .take((from - 1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("{:gutter$} |\n", ""));
            out.push_str(&format!("{} | {}\n", start.line, text));
            out.push_str(&format!(
                "{:gutter$} | {}{}\n",
                "",
                pad,
                "^".repeat(carets as usize)
            ));
        }
        if let Some(hint) = &d.hint {
            out.push_str(&format!("{:gutter$} = hint: {hint}\n", ""));
        }
        out.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    out.push_str(&match (errors, warnings) {
        (0, 0) => format!("{file}: no problems\n"),
        _ => format!(
            "{file}: {errors} error{}, {warnings} warning{}\n",
            plural(errors),
            plural(warnings)
        ),
    });
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
