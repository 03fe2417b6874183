//! Semantic analysis: resolves names against the catalog, types expressions,
//! enforces Dataflow SQL's streaming rules and builds the logical plan.
//!
//! The analyzer keeps going after an error so that independent problems are
//! all reported; an operator whose inputs failed is simply not built.

use sqlparser::ast::{self, Spanned};

use crate::catalog::{Catalog, Lookup, SourceKind};
use crate::diagnostics::{Code, Diagnostic, Position, Severity, Span};
use crate::functions::{self, DatePart, ScalarFunction};
use crate::literal;
use crate::places::Places;
use crate::plan::{
    AggregateCall, AggregateFunction, BinaryOp, Column, Expr, JoinKind, Literal, Origin, Plan,
    UnaryOp, WindowKind,
};
use crate::types::{DataType, Field};

mod expr;
mod function;
mod operator;
mod query;
mod relation;
mod select;
mod walk;

/// The result of analyzing a query: its diagnostics and, when there are no errors, its plan.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Every problem found, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// The logical plan; `None` when there are errors.
    pub plan: Option<Plan>,
}

impl Analysis {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The destination schema (empty when the query does not analyze).
    pub fn output_schema(&self) -> Vec<Field> {
        self.plan
            .as_ref()
            .map(Plan::output_schema)
            .unwrap_or_default()
    }

    /// The JSON report `sluice check --format json` prints:
    /// `{"diagnostics": [...], "output_schema": [{"name", "type", "mode"}], "plan": "<EXPLAIN>" | null}`.
    pub fn to_json(&self) -> serde_json::Value {
        let schema: Vec<serde_json::Value> = self
            .output_schema()
            .iter()
            .map(|f| serde_json::json!({"name": f.name, "type": f.schema_type_name(), "mode": f.mode.as_str()}))
            .collect();
        serde_json::json!({
            "diagnostics": self.diagnostics.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
            "output_schema": schema,
            "plan": self.plan.as_ref().map(Plan::explain),
        })
    }
}

/// Parses and analyzes `sql` against `catalog`.
pub fn analyze(sql: &str, catalog: &Catalog) -> Analysis {
    let whole = whole_span(sql);
    let (statements, places) = match crate::parse::parse_placed(sql) {
        Ok(parsed) => parsed,
        Err(e) => {
            let start = Position::new(e.line.max(1), e.column.max(1));
            let end = Position::new(start.line, start.column + 1);
            let mut d = Diagnostic::error(Code::SyntaxError, Span::new(start, end), e.message);
            if let Some(hint) = syntax_hint(&d.message) {
                d = d.with_hint(hint);
            }
            return Analysis {
                diagnostics: vec![d],
                plan: None,
            };
        }
    };
    let mut binder = Binder {
        catalog,
        diagnostics: Vec::new(),
        ctes: Vec::new(),
        whole,
        places,
        probing: false,
    };
    let plan = match statements.as_slice() {
        [ast::Statement::Query(query)] => binder.query(query),
        [] => {
            binder.error(
                Code::StatementCount,
                whole,
                "the text holds no query",
                Some("write one SELECT statement"),
            );
            None
        }
        [_] => {
            let span = Span::from_sql(statements[0].span(), whole);
            binder.error(
                Code::NotAQuery,
                span,
                "only a query (SELECT) can run as a pipeline",
                None,
            );
            None
        }
        [_, second, ..] => {
            let span = Span::from_sql(second.span(), whole);
            binder.error(
                Code::StatementCount,
                span,
                "a pipeline is one query, but the text holds more than one statement",
                Some("remove the statements after the first"),
            );
            None
        }
    };
    if let Some(plan) = &plan {
        binder.check_output(plan);
    }
    let mut diagnostics = binder.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diagnostics.dedup();
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Analysis {
        diagnostics,
        plan: if has_errors { None } else { plan },
    }
}

fn whole_span(sql: &str) -> Span {
    let lines = sql.lines().count().max(1) as u64;
    let last = sql
        .lines()
        .last()
        .map(|l| l.chars().count() as u64)
        .unwrap_or(0);
    Span::new(Position::new(1, 1), Position::new(lines, last + 1))
}

fn syntax_hint(message: &str) -> Option<&'static str> {
    if message.contains("found the end of the query") {
        Some("the query ends too early: is a clause or a closing parenthesis missing?")
    } else if message.contains("found: FROM") {
        Some("is there a trailing comma before FROM, or a missing column?")
    } else {
        None
    }
}

/// A named subquery from `WITH`.
struct Cte {
    name: String,
    /// `None` when the CTE itself has errors (references to it then add none).
    plan: Option<Plan>,
    span: Span,
    used: bool,
}

/// A column visible to name resolution.
#[derive(Debug, Clone)]
struct ScopeColumn {
    qualifier: Option<String>,
    name: String,
    /// Hidden from unqualified lookups and `*` (the right side of a `USING` column).
    merged_away: bool,
}

/// The columns a clause can see: the FROM clause's output, in plan order.
#[derive(Debug, Clone, Default)]
struct Scope {
    columns: Vec<ScopeColumn>,
}

enum Resolved {
    Found(usize),
    Missing,
    Ambiguous,
}

impl Scope {
    fn from_plan(plan: &Plan, qualifier: Option<&str>) -> Self {
        Self {
            columns: plan
                .columns()
                .iter()
                .map(|c| ScopeColumn {
                    qualifier: qualifier
                        .map(str::to_string)
                        .or_else(|| c.qualifier.clone()),
                    name: c.name.clone(),
                    merged_away: false,
                })
                .collect(),
        }
    }

    fn resolve(&self, qualifier: Option<&str>, name: &str) -> Resolved {
        let hits: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.name.eq_ignore_ascii_case(name)
                    && match qualifier {
                        Some(q) => c
                            .qualifier
                            .as_deref()
                            .is_some_and(|cq| cq.eq_ignore_ascii_case(q)),
                        None => !c.merged_away,
                    }
            })
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [i] => Resolved::Found(*i),
            [] => Resolved::Missing,
            _ => Resolved::Ambiguous,
        }
    }

    fn has_qualifier(&self, q: &str) -> bool {
        self.columns.iter().any(|c| {
            c.qualifier
                .as_deref()
                .is_some_and(|cq| cq.eq_ignore_ascii_case(q))
        })
    }

    fn closest(&self, name: &str) -> Option<String> {
        self.columns
            .iter()
            .map(|c| (crate::catalog::edit_distance(name, &c.name), &c.name))
            .filter(|(d, n)| *d <= 2.max(n.len() / 3))
            .min()
            .map(|(_, n)| n.clone())
    }
}

/// How expressions are being bound.
enum Mode<'a> {
    /// Over the input rows; aggregates are not allowed.
    Row,
    /// Over an aggregate's output: group keys and aggregates are allowed, bare columns are not.
    Aggregate(&'a mut AggregateState),
}

struct AggregateState {
    group: Vec<Expr>,
    aggregates: Vec<AggregateCall>,
    /// Select aliases usable in HAVING: `(alias, expression over the aggregate output)`.
    aliases: Vec<(String, Expr)>,
    input_columns: Vec<Column>,
    /// A GROUP BY item failed: bare columns are then not reported as ungrouped.
    poisoned: bool,
}

struct Binder<'a> {
    catalog: &'a Catalog,
    diagnostics: Vec<Diagnostic>,
    ctes: Vec<Cte>,
    whole: Span,
    /// The query's tokens, to place plan nodes by.
    places: Places,
    /// Set while probing an expression whose diagnostics are thrown away, so
    /// that hints (edit distances) are not computed for nothing.
    probing: bool,
}

fn ident_name(ident: &ast::Ident) -> String {
    ident.value.clone()
}

impl Binder<'_> {
    fn error(&mut self, code: Code, span: Span, message: impl Into<String>, hint: Option<&str>) {
        let mut d = Diagnostic::error(code, span, message);
        d.hint = hint.map(str::to_string);
        self.diagnostics.push(d);
    }

    /// Reports an error and gives up on the current item.
    fn fail<T>(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        hint: Option<&str>,
    ) -> Option<T> {
        self.error(code, span, message, hint);
        None
    }

    fn span(&self, node: &impl Spanned) -> Span {
        Span::from_sql(node.span(), self.whole)
    }

    fn check_output(&mut self, plan: &Plan) {
        let mut seen = std::collections::HashSet::new();
        for c in plan.columns() {
            if !seen.insert(c.name.to_ascii_lowercase()) {
                self.error(
                    Code::DuplicateOutputColumn,
                    self.whole,
                    format!(
                        "the result has two columns named \"{}\"; a destination table cannot",
                        c.name
                    ),
                    Some("give one of them another name with AS"),
                );
            }
        }
    }
}

// ---- helpers -------------------------------------------------------------------------------

fn ordinal(e: &ast::Expr) -> Option<usize> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

fn ordinal_u64(e: &ast::Expr) -> Option<u64> {
    ordinal(e).map(|n| n as u64)
}

/// Whether the AST expression calls an aggregate function (not counting nested queries).
pub(crate) fn contains_aggregate(e: &ast::Expr) -> bool {
    walk::any_expr(e, &mut |x| {
        matches!(x, ast::Expr::Function(f)
            if f.over.is_none()
                && functions::aggregate(&f.name.to_string().to_ascii_uppercase()).is_some())
    })
}

/// Whether a result column may be NULL (columns keep their input's nullability; anything else may).
fn nullable(e: &Expr, input: &[Column]) -> bool {
    match e {
        Expr::Column { index, .. } => input.get(*index).is_none_or(|c| c.nullable),
        Expr::Literal { value, .. } => *value == Literal::Null,
        _ => true,
    }
}

/// The type two values are compared at, allowing string literals against dates and times.
fn comparable(a: &DataType, b: &DataType) -> Option<DataType> {
    DataType::common_supertype(a, b).or_else(|| match (a, b) {
        (DataType::String, t) | (t, DataType::String) if t.is_temporal() => Some(t.clone()),
        _ => None,
    })
}

/// sqlparser's span as an origin (`NONE` for the empty span of a node it did not place).
fn origin_of(span: sqlparser::tokenizer::Span) -> Origin {
    if span.start.line == 0 {
        return Origin::NONE;
    }
    Origin::at(Span::new(
        Position::new(span.start.line, span.start.column),
        Position::new(span.end.line, span.end.column),
    ))
}

/// Where `e` was written: its origin, or for a node the analyzer added (a
/// coercion's cast), its operands'.
fn written(e: &Expr) -> Origin {
    match e.origin() {
        Origin(Some(_)) => e.origin(),
        Origin(None) => e
            .children()
            .into_iter()
            .fold(Origin::NONE, |o, c| o.union(written(c))),
    }
}

/// A typed literal's value (`TIMESTAMP '…'`, `NUMERIC '…'`), read as BigQuery reads
/// the text (the engine's CAST from STRING reads it with the same functions);
/// `None` when the text is not one.
fn typed_literal(t: &DataType, text: &str) -> Option<Literal> {
    Some(match t {
        DataType::Timestamp => Literal::Timestamp(literal::parse_timestamp(text)?),
        DataType::Datetime => Literal::Datetime(literal::parse_datetime(text)?),
        DataType::Date => Literal::Date(literal::parse_date(text)?),
        DataType::Time => Literal::Time(literal::parse_time(text)?),
        DataType::Numeric => Literal::Numeric(literal::parse_numeric(text)?),
        DataType::BigNumeric => Literal::BigNumeric(literal::parse_numeric(text)?),
        _ => return None,
    })
}

fn literal_example(t: &DataType) -> &'static str {
    match t {
        DataType::Numeric => "e.g. NUMERIC '12.50'",
        DataType::BigNumeric => "e.g. BIGNUMERIC '12.50'",
        DataType::Date => "e.g. DATE '2021-01-31'",
        DataType::Time => "e.g. TIME '13:45:00'",
        _ => "e.g. TIMESTAMP '2021-01-31 13:45:00'",
    }
}

const MICROS_PER: [(&str, i64); 8] = [
    ("MICROSECOND", 1),
    ("MILLISECOND", 1_000),
    ("SECOND", 1_000_000),
    ("MINUTE", 60_000_000),
    ("HOUR", 3_600_000_000),
    ("DAY", 86_400_000_000),
    ("WEEK", 604_800_000_000),
    ("MONTH", 2_592_000_000_000),
];

fn unit_micros(unit: &str) -> Result<i64, String> {
    let u = unit.trim().to_ascii_uppercase();
    let u = u
        .strip_suffix('S')
        .filter(|s| MICROS_PER.iter().any(|(n, _)| n == s))
        .map(str::to_string)
        .unwrap_or(u);
    MICROS_PER
        .iter()
        .find(|(n, _)| *n == u)
        .map(|(_, m)| *m)
        .ok_or_else(|| {
            format!("unknown interval unit \"{unit}\" (use SECOND, MINUTE, HOUR or DAY)")
        })
}

/// Parses Dataflow SQL's duration strings: `"INTERVAL 1 MINUTE"`.
fn parse_interval_text(text: &str) -> Result<i64, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [kw, n, unit] if kw.eq_ignore_ascii_case("INTERVAL") => {
            let n: i64 = n
                .trim_matches('\'')
                .parse()
                .map_err(|_| format!("\"{text}\": the amount must be a whole number"))?;
            n.checked_mul(unit_micros(unit)?)
                .ok_or_else(|| format!("\"{text}\" is too long"))
        }
        _ => Err(format!(
            "\"{text}\" is not a duration; write \"INTERVAL <n> <unit>\", e.g. \"INTERVAL 1 MINUTE\""
        )),
    }
}

/// `INTERVAL 1 MINUTE` / `INTERVAL '1' MINUTE` in microseconds.
fn interval_micros(i: &ast::Interval) -> Result<i64, String> {
    let amount = match i.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.clone(),
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => format!("-{expr}"),
        other => return Err(format!("interval amount {other} must be a number")),
    };
    let unit = match &i.leading_field {
        Some(f) => f.to_string(),
        None => {
            // `INTERVAL '1 MINUTE'`
            return parse_interval_text(&format!("INTERVAL {amount}"));
        }
    };
    let n: i64 = amount
        .trim()
        .parse()
        .map_err(|_| format!("interval amount \"{amount}\" must be a whole number"))?;
    n.checked_mul(unit_micros(&unit)?)
        .ok_or_else(|| "the interval is too long".to_string())
}
