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

    // ---- queries -------------------------------------------------------------------------

    fn query(&mut self, query: &ast::Query) -> Option<Plan> {
        let outer = self.ctes.len();
        if let Some(with) = &query.with {
            if with.recursive {
                self.error(
                    Code::Unsupported,
                    self.span(&with.with_token.0),
                    "WITH RECURSIVE is not supported",
                    None,
                );
            }
            for cte in &with.cte_tables {
                let name = ident_name(&cte.alias.name);
                let span = Span::from_sql(cte.alias.name.span, self.whole);
                if self.ctes[outer..]
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(&name))
                {
                    self.error(
                        Code::DuplicateAlias,
                        span,
                        format!("WITH defines \"{name}\" twice"),
                        None,
                    );
                    continue;
                }
                let plan = self.query(&cte.query);
                self.ctes.push(Cte {
                    name,
                    plan,
                    span,
                    used: false,
                });
            }
        }
        let mut plan = self.set_expr(&query.body);
        // Whether the result is a stream is known even when the body has errors, so
        // the streaming rules for ORDER BY and LIMIT are checked either way.
        let unbounded = match &plan {
            Some(p) => !p.is_bounded(),
            None => self.reads_unbounded(&query.body),
        };
        if unbounded {
            if let Some(order_by) = &query.order_by {
                plan = self.fail(
                    Code::UnboundedOrderBy,
                    self.span(order_by),
                    "ORDER BY cannot sort an unbounded stream: the result never ends",
                    Some("remove ORDER BY; sort in the destination (e.g. when querying the BigQuery table)"),
                );
            }
            if let Some(limit) = &query.limit_clause {
                plan = self.fail(
                    Code::UnboundedLimit,
                    self.span(limit),
                    "LIMIT on an unbounded stream is not supported by Dataflow SQL",
                    Some("remove LIMIT; to sample a stream, filter it instead"),
                );
            }
        } else {
            if let Some(order_by) = &query.order_by {
                plan = plan.and_then(|p| self.order_by(p, order_by));
            }
            if let Some(limit) = &query.limit_clause {
                plan = plan.and_then(|p| self.limit(p, limit));
            }
        }
        for cte in self.ctes.drain(outer..).collect::<Vec<_>>() {
            if !cte.used && cte.plan.is_some() {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::UnusedCte,
                        cte.span,
                        format!("\"{}\" is defined but never used", cte.name),
                    )
                    .with_hint("remove it, or join it into the query"),
                );
            }
        }
        plan
    }

    /// Whether a query body that failed to bind reads a stream: a Pub/Sub topic, or
    /// a CTE over one, anywhere in its relations.
    fn reads_unbounded(&self, body: &ast::SetExpr) -> bool {
        let found = ast::visit_relations(body, |name| {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(ident_name))
                .collect();
            let stream = match self.catalog.lookup(&parts) {
                crate::catalog::Lookup::Found(source) => !source.is_bounded(),
                crate::catalog::Lookup::Unknown { kind, .. } => {
                    kind == crate::catalog::SourceKind::PubsubTopic
                }
                crate::catalog::Lookup::NotASource => match parts.as_slice() {
                    [one] => self.ctes.iter().rev().any(|c| {
                        c.name.eq_ignore_ascii_case(one)
                            && c.plan.as_ref().is_some_and(|p| !p.is_bounded())
                    }),
                    _ => false,
                },
            };
            if stream {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        });
        found.is_break()
    }

    fn set_expr(&mut self, body: &ast::SetExpr) -> Option<Plan> {
        match body {
            ast::SetExpr::Select(select) => self.select(select),
            ast::SetExpr::Query(query) => self.query(query),
            ast::SetExpr::SetOperation {
                op,
                set_quantifier,
                left,
                right,
            } => {
                let l = self.set_expr(left);
                let r = self.set_expr(right);
                let all = matches!(set_quantifier, ast::SetQuantifier::All);
                if !(matches!(op, ast::SetOperator::Union) && all) {
                    return self.fail(
                        Code::Unsupported,
                        self.span(body),
                        format!(
                            "{op} {set_quantifier} is not supported; Dataflow SQL runs UNION ALL"
                        ),
                        Some("use UNION ALL"),
                    );
                }
                let (l, r) = (l?, r?);
                let union = self.span(body);
                let words = self.places.between(self.span(&**left), self.span(&**right));
                self.union(l, r, union, Origin(words))
            }
            other => self.fail(
                Code::Unsupported,
                self.span(other),
                "this kind of query body is not supported",
                None,
            ),
        }
    }

    /// `left UNION ALL right`; `span` is the whole, `origin` the words between.
    fn union(&mut self, left: Plan, right: Plan, span: Span, origin: Origin) -> Option<Plan> {
        let (lc, rc) = (left.columns(), right.columns());
        if lc.len() != rc.len() {
            return self.fail(
                Code::TypeMismatch,
                span,
                format!(
                    "UNION ALL inputs have {} and {} columns",
                    lc.len(),
                    rc.len()
                ),
                None,
            );
        }
        let mut columns = Vec::with_capacity(lc.len());
        for (a, b) in lc.iter().zip(rc) {
            let Some(t) = DataType::common_supertype(&a.data_type, &b.data_type) else {
                return self.fail(
                    Code::TypeMismatch,
                    span,
                    format!(
                        "UNION ALL column \"{}\" is {} on one side and {} on the other",
                        a.name, a.data_type, b.data_type
                    ),
                    None,
                );
            };
            columns.push(Column {
                qualifier: None,
                name: a.name.clone(),
                data_type: t,
                nullable: a.nullable || b.nullable,
            });
        }
        let mut inputs = match left {
            Plan::Union { inputs, .. } => inputs,
            other => vec![other],
        };
        inputs.push(right);
        Some(Plan::Union {
            inputs,
            columns,
            origin: Origin(origin.span().or(Some(span))),
        })
    }

    fn order_by(&mut self, plan: Plan, order_by: &ast::OrderBy) -> Option<Plan> {
        let span = self.span(order_by);
        let ast::OrderByKind::Expressions(exprs) = &order_by.kind else {
            return self.fail(
                Code::Unsupported,
                span,
                "ORDER BY ALL is not supported",
                None,
            );
        };
        let scope = Scope::from_plan(&plan, None);
        let mut keys = Vec::new();
        let mut hidden = false;
        let mut hidden_keys = Vec::new();
        for item in exprs {
            let asc = !matches!(item.options.sort, Some(ast::OrderBySort::Desc));
            let key = match ordinal(&item.expr) {
                Some(n) => match plan.columns().get(n.wrapping_sub(1)) {
                    Some(c) => Some(Expr::Column {
                        index: n - 1,
                        name: c.name.clone(),
                        data_type: c.data_type.clone(),
                        origin: Origin::NONE,
                    }),
                    None => self.fail(
                        Code::OrdinalOutOfRange,
                        self.span(&item.expr),
                        format!(
                            "ORDER BY {n} is out of range: the query has {} columns",
                            plan.columns().len()
                        ),
                        None,
                    ),
                },
                None => {
                    // The select list first; then, as BigQuery allows, the columns of
                    // FROM that the select list does not show (sorting below it).
                    let below = match &plan {
                        Plan::Project { input, .. } => Some(input),
                        _ => None,
                    };
                    let mark = self.diagnostics.len();
                    let was_probing = std::mem::replace(&mut self.probing, below.is_some());
                    let shown = self.expr(&item.expr, &scope, plan.columns(), &mut Mode::Row);
                    self.probing = was_probing;
                    match (shown, below) {
                        (Some(k), _) => Some(k),
                        (None, Some(input)) => {
                            self.diagnostics.truncate(mark);
                            let inner = Scope::from_plan(input, None);
                            let k = self.expr(&item.expr, &inner, input.columns(), &mut Mode::Row);
                            if k.is_some() {
                                hidden = true;
                                hidden_keys.push(keys.len());
                            }
                            k
                        }
                        (None, None) => None,
                    }
                }
            };
            keys.push((key?, asc));
        }
        if hidden
            && let Plan::Project {
                input,
                exprs,
                columns,
                origin,
            } = plan
        {
            // Sort the Project's input: keys over the output become its expressions.
            let keys = keys
                .into_iter()
                .enumerate()
                .map(|(i, (k, asc))| {
                    if hidden_keys.contains(&i) {
                        (k, asc)
                    } else {
                        (k.map_columns(&mut |i, _, _| exprs[i].clone()), asc)
                    }
                })
                .collect();
            return Some(Plan::Project {
                input: Box::new(Plan::Sort {
                    input,
                    keys,
                    origin: Origin::at(self.places.with_before(span, 2)),
                }),
                exprs,
                columns,
                origin,
            });
        }
        Some(Plan::Sort {
            input: Box::new(plan),
            keys,
            origin: Origin::at(self.places.with_before(span, 2)),
        })
    }

    fn limit(&mut self, plan: Plan, limit: &ast::LimitClause) -> Option<Plan> {
        let span = self.span(limit);
        let (count, offset) = match limit {
            ast::LimitClause::LimitOffset { limit, offset, .. } => (
                limit.as_ref().and_then(ordinal_u64),
                offset.as_ref().map(|o| ordinal_u64(&o.value)),
            ),
            ast::LimitClause::OffsetCommaLimit { offset, limit } => {
                (ordinal_u64(limit), Some(ordinal_u64(offset)))
            }
        };
        let Some(count) = count else {
            return self.fail(
                Code::InvalidLiteral,
                span,
                "LIMIT needs a non-negative integer",
                None,
            );
        };
        let offset = match offset {
            Some(Some(o)) => o,
            Some(None) => {
                return self.fail(
                    Code::InvalidLiteral,
                    span,
                    "OFFSET needs a non-negative integer",
                    None,
                );
            }
            None => 0,
        };
        Some(Plan::Limit {
            input: Box::new(plan),
            count,
            offset,
            origin: Origin::at(self.places.with_before(span, 1)),
        })
    }

    // ---- SELECT --------------------------------------------------------------------------

    fn select(&mut self, select: &ast::Select) -> Option<Plan> {
        let (mut plan, scope) = match select.from.as_slice() {
            [] => {
                return self.fail(
                    Code::Unsupported,
                    self.span(&select.select_token.0),
                    "a pipeline query needs a FROM clause naming a source",
                    Some("read from pubsub.topic.`project`.topic or bigquery.table.`project`.dataset.table"),
                );
            }
            [first, rest @ ..] => {
                let mut acc = self.table_with_joins(first);
                for twj in rest {
                    let right = self.table_with_joins(twj);
                    acc = match (acc, right) {
                        (Some((l, ls)), Some((r, rs))) => {
                            self.cross_join(l, ls, r, rs, self.span(twj))
                        }
                        _ => None,
                    };
                }
                acc?
            }
        };
        if let Some(selection) = &select.selection
            && let Some(predicate) = self.expr(selection, &scope, plan.columns(), &mut Mode::Row)
        {
            self.expect_bool(&predicate, self.span(selection), "WHERE");
            plan = Plan::Filter {
                input: Box::new(plan),
                origin: predicate.origin(),
                predicate,
            };
        }
        let group_exprs: &[ast::Expr] = match &select.group_by {
            ast::GroupByExpr::Expressions(exprs, _) => exprs,
            ast::GroupByExpr::All(_) => {
                return self.fail(
                    Code::Unsupported,
                    self.span(&select.select_token.0),
                    "GROUP BY ALL is not supported",
                    None,
                );
            }
        };
        let aggregating = !group_exprs.is_empty()
            || select.having.is_some()
            || select.projection.iter().any(|item| match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => contains_aggregate(e),
                _ => false,
            });
        let plan = if aggregating {
            self.aggregate_select(select, plan, &scope, group_exprs)?
        } else {
            self.project(select, plan, &scope)?
        };
        match &select.distinct {
            None => Some(plan),
            Some(ast::Distinct::Distinct) => {
                if !plan.is_bounded() && !has_window_columns(&plan) {
                    return self.fail(
                        Code::UnwindowedAggregate,
                        self.span(&select.select_token.0),
                        "SELECT DISTINCT over an unbounded stream needs a window: duplicates could arrive forever",
                        Some("read from TUMBLE(...) and select window_start, so each window is deduplicated"),
                    );
                }
                Some(Plan::Distinct {
                    input: Box::new(plan),
                    origin: Origin::at(self.span(&select.select_token.0)),
                })
            }
            Some(other) => self.fail(
                Code::Unsupported,
                self.span(&select.select_token.0),
                format!("{other} is not supported"),
                None,
            ),
        }
    }

    fn project(&mut self, select: &ast::Select, plan: Plan, scope: &Scope) -> Option<Plan> {
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        let mut ok = true;
        for (i, item) in select.projection.iter().enumerate() {
            match item {
                ast::SelectItem::Wildcard(_) => {
                    for (index, sc) in scope
                        .columns
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| !c.merged_away)
                    {
                        let star = Origin::at(self.span(item));
                        push_column(&plan, index, &sc.name, star, &mut exprs, &mut columns);
                    }
                }
                ast::SelectItem::QualifiedWildcard(kind, _) => {
                    let name = match kind {
                        ast::SelectItemQualifiedWildcardKind::ObjectName(n) => n.to_string(),
                        ast::SelectItemQualifiedWildcardKind::Expr(e) => e.to_string(),
                    };
                    if !scope.has_qualifier(&name) {
                        self.error(
                            Code::UnknownQualifier,
                            self.span(item),
                            format!("\"{name}\" is not a table or alias in FROM"),
                            None,
                        );
                        ok = false;
                        continue;
                    }
                    for (index, sc) in scope.columns.iter().enumerate() {
                        if sc
                            .qualifier
                            .as_deref()
                            .is_some_and(|q| q.eq_ignore_ascii_case(&name))
                        {
                            let star = Origin::at(self.span(item));
                            push_column(&plan, index, &sc.name, star, &mut exprs, &mut columns);
                        }
                    }
                }
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                    let Some(bound) = self.expr(e, scope, plan.columns(), &mut Mode::Row) else {
                        ok = false;
                        continue;
                    };
                    let name = item_name(item, i);
                    let nullable = nullable(&bound, plan.columns());
                    columns.push(Column {
                        qualifier: None,
                        name,
                        data_type: bound.data_type(),
                        nullable,
                    });
                    exprs.push(bound);
                }
                other => {
                    self.error(
                        Code::Unsupported,
                        self.span(other),
                        "AS (a, b, ...) is not supported",
                        None,
                    );
                    ok = false;
                }
            }
        }
        ok.then(|| Plan::Project {
            input: Box::new(plan),
            origin: exprs.iter().fold(Origin::NONE, |o, e| o.union(e.origin())),
            exprs,
            columns,
        })
    }

    fn aggregate_select(
        &mut self,
        select: &ast::Select,
        input: Plan,
        scope: &Scope,
        group_exprs: &[ast::Expr],
    ) -> Option<Plan> {
        let mut ok = true;
        let mut state = AggregateState {
            group: Vec::new(),
            aggregates: Vec::new(),
            aliases: Vec::new(),
            input_columns: input.columns().to_vec(),
            poisoned: false,
        };
        let mut group_names = Vec::new();
        for g in group_exprs {
            let (target, name): (&ast::Expr, Option<String>) = match ordinal(g) {
                Some(n) => match select.projection.get(n.wrapping_sub(1)) {
                    Some(ast::SelectItem::UnnamedExpr(e)) => {
                        (e, Some(item_name(&select.projection[n - 1], n - 1)))
                    }
                    Some(ast::SelectItem::ExprWithAlias { expr, alias }) => {
                        (expr, Some(ident_name(alias)))
                    }
                    Some(_) => {
                        self.error(
                            Code::Unsupported,
                            self.span(g),
                            format!("GROUP BY {n} refers to a * item"),
                            None,
                        );
                        ok = false;
                        continue;
                    }
                    None => {
                        self.error(
                            Code::OrdinalOutOfRange,
                            self.span(g),
                            format!(
                                "GROUP BY {n} is out of range: the SELECT list has {} items",
                                select.projection.len()
                            ),
                            None,
                        );
                        ok = false;
                        continue;
                    }
                },
                None => match select_alias(select, g, scope) {
                    Some((expr, alias)) => (expr, Some(alias)),
                    None => (g, None),
                },
            };
            if contains_aggregate(target) {
                self.error(
                    Code::MisplacedAggregate,
                    self.span(g),
                    "GROUP BY cannot group by an aggregate",
                    Some("group by the columns the aggregate reads instead"),
                );
                ok = false;
                continue;
            }
            if let Some(bound) = self.expr(target, scope, input.columns(), &mut Mode::Row) {
                if !bound.data_type().is_equatable() {
                    self.error(
                        Code::TypeMismatch,
                        self.span(g),
                        format!("cannot group by a {}", bound.data_type()),
                        None,
                    );
                    ok = false;
                }
                let name = name.unwrap_or_else(|| match &bound {
                    Expr::Column { name, .. } => name.clone(),
                    _ => format!("$group{}", state.group.len()),
                });
                if !state.group.contains(&bound) {
                    state.group.push(bound);
                    group_names.push(name);
                }
            } else {
                ok = false;
            }
        }
        state.poisoned = !ok;
        // The select list over the aggregate's output.
        let mut exprs = Vec::new();
        let mut names = Vec::new();
        for (i, item) in select.projection.iter().enumerate() {
            match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                    match self.expr(e, scope, input.columns(), &mut Mode::Aggregate(&mut state)) {
                        Some(bound) => {
                            let name = item_name(item, i);
                            state.aliases.push((name.clone(), bound.clone()));
                            exprs.push(bound);
                            names.push(name);
                        }
                        None => ok = false,
                    }
                }
                other => {
                    self.error(
                        Code::NotGrouped,
                        self.span(other),
                        "* cannot be used in an aggregating query",
                        Some("list the grouped columns and aggregates"),
                    );
                    ok = false;
                }
            }
        }
        let having = match &select.having {
            Some(h) => match self.expr(h, scope, input.columns(), &mut Mode::Aggregate(&mut state))
            {
                Some(p) => {
                    self.expect_bool(&p, self.span(h), "HAVING");
                    Some(p)
                }
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        // Streaming: an aggregate over an unbounded input needs a window key.
        let window_key = state.group.iter().position(|g| is_window_column(g, &input));
        if !input.is_bounded() && window_key.is_none() {
            let span = match group_exprs.first() {
                Some(first) => self
                    .span(first)
                    .union(self.span(group_exprs.last().unwrap_or(first))),
                None => first_aggregate_span(select)
                    .map(|e| self.span(e))
                    .unwrap_or(self.whole),
            };
            self.error(
                Code::UnwindowedAggregate,
                span,
                "aggregating an unbounded stream needs a window: without one the aggregate never ends",
                Some(
                    "read from TUMBLE((SELECT * FROM <topic>), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\") and GROUP BY window_start",
                ),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        let mut columns: Vec<Column> = state
            .group
            .iter()
            .zip(&group_names)
            .map(|(g, n)| Column {
                qualifier: None,
                name: n.clone(),
                data_type: g.data_type(),
                nullable: nullable(g, &state.input_columns),
            })
            .collect();
        for (k, a) in state.aggregates.iter().enumerate() {
            let nullable = !matches!(
                a.function,
                AggregateFunction::Count
                    | AggregateFunction::CountStar
                    | AggregateFunction::CountIf
            );
            columns.push(Column {
                qualifier: None,
                name: format!("$agg{k}"),
                data_type: a.data_type.clone(),
                nullable,
            });
        }
        let origin = state
            .group
            .iter()
            .map(Expr::origin)
            .chain(state.aggregates.iter().map(|a| a.origin))
            .fold(Origin::NONE, Origin::union);
        let mut plan = Plan::Aggregate {
            input: Box::new(input),
            group: state.group,
            aggregates: state.aggregates,
            window_key,
            columns: columns.clone(),
            origin,
        };
        if let Some(predicate) = having {
            plan = Plan::Filter {
                input: Box::new(plan),
                origin: predicate.origin(),
                predicate,
            };
        }
        let out: Vec<Column> = exprs
            .iter()
            .zip(names)
            .map(|(e, name)| Column {
                qualifier: None,
                name,
                data_type: e.data_type(),
                nullable: nullable(e, &columns),
            })
            .collect();
        Some(Plan::Project {
            input: Box::new(plan),
            origin: exprs.iter().fold(Origin::NONE, |o, e| o.union(e.origin())),
            exprs,
            columns: out,
        })
    }

    // ---- FROM ----------------------------------------------------------------------------

    fn table_with_joins(&mut self, twj: &ast::TableWithJoins) -> Option<(Plan, Scope)> {
        let mut acc = self.table_factor(&twj.relation);
        for join in &twj.joins {
            let right = self.table_factor(&join.relation);
            acc = match (acc, right) {
                (Some((l, ls)), Some((r, rs))) => self.join(l, ls, r, rs, join),
                _ => None,
            };
        }
        acc
    }

    fn table_factor(&mut self, factor: &ast::TableFactor) -> Option<(Plan, Scope)> {
        match factor {
            ast::TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                let plan = self.named_table(name)?;
                let qualifier = match alias {
                    Some(a) => ident_name(&a.name),
                    None => name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .map(ident_name)
                        .unwrap_or_default(),
                };
                let scope = Scope::from_plan(&plan, Some(&qualifier));
                Some((requalify(plan, &qualifier), scope))
            }
            ast::TableFactor::Table {
                name,
                alias,
                args: Some(args),
                ..
            } => {
                let plan = self.window_function(name, &args.args, self.span(factor))?;
                let qualifier = alias.as_ref().map(|a| ident_name(&a.name));
                let scope = Scope::from_plan(&plan, qualifier.as_deref());
                Some((plan, scope))
            }
            ast::TableFactor::Derived {
                subquery,
                alias,
                lateral,
                ..
            } => {
                if *lateral {
                    return self.fail(
                        Code::Unsupported,
                        self.span(factor),
                        "LATERAL is not supported",
                        None,
                    );
                }
                let plan = self.query(subquery)?;
                let qualifier = alias.as_ref().map(|a| ident_name(&a.name));
                let scope = Scope::from_plan(&plan, qualifier.as_deref());
                let plan = match &qualifier {
                    Some(q) => requalify(plan, q),
                    None => plan,
                };
                Some((plan, scope))
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let (plan, mut scope) = self.table_with_joins(table_with_joins)?;
                if let Some(a) = alias {
                    let q = ident_name(&a.name);
                    scope
                        .columns
                        .iter_mut()
                        .for_each(|c| c.qualifier = Some(q.clone()));
                }
                Some((plan, scope))
            }
            other => self.fail(
                Code::Unsupported,
                self.span(other),
                "this kind of FROM item is not supported",
                None,
            ),
        }
    }

    fn named_table(&mut self, name: &ast::ObjectName) -> Option<Plan> {
        let span = self.span(name);
        let parts: Vec<String> = name
            .0
            .iter()
            .flat_map(|p| match p.as_ident() {
                Some(i) => i.value.split('.').map(str::to_string).collect::<Vec<_>>(),
                None => vec![p.to_string()],
            })
            .collect();
        if let [single] = parts.as_slice()
            && let Some(cte) = self
                .ctes
                .iter_mut()
                .rev()
                .find(|c| c.name.eq_ignore_ascii_case(single))
        {
            cte.used = true;
            return cte.plan.clone();
        }
        match self.catalog.lookup(&parts) {
            Lookup::Found(source) => Some(Plan::Scan {
                columns: source
                    .schema
                    .iter()
                    .map(|f| Column {
                        qualifier: None,
                        name: f.name.clone(),
                        data_type: f.data_type.clone(),
                        nullable: f.mode == crate::types::Mode::Nullable,
                    })
                    .collect(),
                source: source.clone(),
                origin: Origin::at(span),
            }),
            Lookup::Unknown { kind, suggestions } => {
                let what = match kind {
                    SourceKind::PubsubTopic => "Pub/Sub topic",
                    SourceKind::BigQueryTable => "BigQuery table",
                };
                let hint = suggestions.first().map(|s| format!("did you mean {s}?"));
                self.fail(
                    Code::UnknownSource,
                    span,
                    format!("the catalog has no {what} {}", name),
                    hint.as_deref().or(Some("add it to the catalog")),
                )
            }
            Lookup::NotASource => {
                let ctes: Vec<&str> = self.ctes.iter().map(|c| c.name.as_str()).collect();
                let hint = if ctes.is_empty() {
                    "name a source as pubsub.topic.`project`.topic or bigquery.table.`project`.dataset.table".to_string()
                } else {
                    format!(
                        "name a source (pubsub.topic.… or bigquery.table.…) or one of: {}",
                        ctes.join(", ")
                    )
                };
                self.fail(
                    Code::UnknownTable,
                    span,
                    format!("unknown table \"{name}\""),
                    Some(&hint),
                )
            }
        }
    }

    fn window_function(
        &mut self,
        name: &ast::ObjectName,
        args: &[ast::FunctionArg],
        span: Span,
    ) -> Option<Plan> {
        let fname = name.to_string().to_ascii_uppercase();
        let arity = match fname.as_str() {
            "TUMBLE" | "SESSION" => 3,
            "HOP" => 4,
            _ => {
                return self.fail(
                    Code::Unsupported,
                    self.span(name),
                    format!("{name}(...) is not a table-valued function Dataflow SQL has"),
                    Some("windowing uses TUMBLE, HOP or SESSION"),
                );
            }
        };
        let usage = match fname.as_str() {
            "TUMBLE" => "TUMBLE((SELECT ...), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\")",
            "HOP" => {
                "HOP((SELECT ...), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\" /* slide */, \"INTERVAL 5 MINUTE\" /* size */)"
            }
            _ => {
                "SESSION((SELECT ...), DESCRIPTOR(event_timestamp), \"INTERVAL 10 MINUTE\" /* gap */)"
            }
        };
        if args.len() != arity {
            return self.fail(
                Code::InvalidWindow,
                span,
                format!("{fname} takes {arity} arguments, not {}", args.len()),
                Some(usage),
            );
        }
        let exprs: Vec<&ast::Expr> = args
            .iter()
            .filter_map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect();
        if exprs.len() != arity {
            return self.fail(
                Code::InvalidWindow,
                span,
                format!("{fname}'s arguments must be plain expressions"),
                Some(usage),
            );
        }
        let input = match exprs[0] {
            ast::Expr::Subquery(q) => self.query(q),
            other => self.fail(
                Code::InvalidWindow,
                self.span(other),
                format!("{fname}'s first argument must be a table expression in parentheses"),
                Some(usage),
            ),
        };
        let time = self.descriptor(exprs[1], &fname, usage);
        let durations: Vec<Option<i64>> = exprs[2..]
            .iter()
            .map(|e| self.duration(e, &fname, usage))
            .collect();
        let input = input?;
        let time_name = time?;
        let durations: Vec<i64> = durations.into_iter().collect::<Option<_>>()?;
        let time_column = match Scope::from_plan(&input, None).resolve(None, &time_name) {
            Resolved::Found(i) => i,
            _ => {
                return self.fail(
                    Code::UnknownColumn,
                    self.span(exprs[1]),
                    format!("the windowed input has no column \"{time_name}\""),
                    Some("DESCRIPTOR names the TIMESTAMP column giving event time, usually event_timestamp"),
                );
            }
        };
        let time_type = &input.columns()[time_column].data_type;
        if *time_type != DataType::Timestamp {
            return self.fail(
                Code::InvalidWindow,
                self.span(exprs[1]),
                format!("the window's time column \"{time_name}\" must be TIMESTAMP, not {time_type}"),
                Some("window on event_timestamp, or CAST the column to TIMESTAMP in the inner SELECT"),
            );
        }
        let kind = match (fname.as_str(), durations.as_slice()) {
            ("TUMBLE", [size]) => WindowKind::Tumble { size_micros: *size },
            ("HOP", [slide, size]) => {
                if size < slide {
                    self.diagnostics.push(
                        Diagnostic::warning(
                            Code::InvalidWindow,
                            self.span(exprs[3]),
                            "the window is shorter than its slide, so some events fall in no window",
                        )
                        .with_hint("HOP's third argument is the slide, the fourth the window size"),
                    );
                }
                WindowKind::Hop {
                    slide_micros: *slide,
                    size_micros: *size,
                }
            }
            (_, [gap]) => WindowKind::Session { gap_micros: *gap },
            _ => return None,
        };
        let mut columns = input.columns().to_vec();
        for name in ["window_start", "window_end"] {
            columns.push(Column {
                qualifier: None,
                name: name.into(),
                data_type: DataType::Timestamp,
                nullable: false,
            });
        }
        Some(Plan::Window {
            input: Box::new(input),
            kind,
            time_column,
            columns,
            origin: Origin::at(span),
        })
    }

    fn descriptor(&mut self, expr: &ast::Expr, fname: &str, usage: &str) -> Option<String> {
        if let ast::Expr::Function(f) = expr
            && f.name.to_string().eq_ignore_ascii_case("DESCRIPTOR")
            && let ast::FunctionArguments::List(list) = &f.args
            && let [
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Identifier(id))),
            ] = list.args.as_slice()
        {
            return Some(ident_name(id));
        }
        self.fail(
            Code::InvalidWindow,
            self.span(expr),
            format!("{fname}'s second argument must be DESCRIPTOR(column)"),
            Some(usage),
        )
    }

    fn duration(&mut self, expr: &ast::Expr, fname: &str, usage: &str) -> Option<i64> {
        let parsed = match expr {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                    parse_interval_text(s)
                }
                _ => Err("expected a duration like \"INTERVAL 1 MINUTE\"".into()),
            },
            ast::Expr::Interval(i) => interval_micros(i),
            _ => Err("expected a duration like \"INTERVAL 1 MINUTE\"".into()),
        };
        match parsed {
            Ok(us) if us > 0 => Some(us),
            Ok(_) => self.fail(
                Code::InvalidWindow,
                self.span(expr),
                format!("{fname}'s durations must be positive"),
                Some(usage),
            ),
            Err(message) => self.fail(Code::InvalidWindow, self.span(expr), message, Some(usage)),
        }
    }

    fn cross_join(
        &mut self,
        left: Plan,
        ls: Scope,
        right: Plan,
        rs: Scope,
        span: Span,
    ) -> Option<(Plan, Scope)> {
        self.check_streaming_join(&left, &right, JoinKind::Cross, false, span)?;
        let columns = [left.columns(), right.columns()].concat();
        let scope = Scope {
            columns: [ls.columns, rs.columns].concat(),
        };
        Some((
            Plan::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind: JoinKind::Cross,
                keys: vec![],
                residual: None,
                columns,
                origin: Origin::at(span),
            },
            scope,
        ))
    }

    fn join(
        &mut self,
        left: Plan,
        ls: Scope,
        right: Plan,
        rs: Scope,
        join: &ast::Join,
    ) -> Option<(Plan, Scope)> {
        let span = self.span(&join.relation);
        let (kind, constraint) = match &join.join_operator {
            ast::JoinOperator::Join(c) | ast::JoinOperator::Inner(c) => (JoinKind::Inner, c),
            ast::JoinOperator::Left(c) | ast::JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
            ast::JoinOperator::Right(c) | ast::JoinOperator::RightOuter(c) => (JoinKind::Right, c),
            ast::JoinOperator::FullOuter(c) => (JoinKind::Full, c),
            ast::JoinOperator::CrossJoin(c) => (JoinKind::Cross, c),
            _ => {
                return self.fail(
                    Code::Unsupported,
                    span,
                    "this kind of join is not supported",
                    Some("use INNER or LEFT OUTER JOIN"),
                );
            }
        };
        let mut columns = [left.columns(), right.columns()].concat();
        let mut scope = Scope {
            columns: [ls.columns.clone(), rs.columns.clone()].concat(),
        };
        let nl = left.columns().len();
        // Outer joins make the other side nullable.
        for (i, c) in columns.iter_mut().enumerate() {
            let right_side = i >= nl;
            if (right_side && matches!(kind, JoinKind::Left | JoinKind::Full))
                || (!right_side && matches!(kind, JoinKind::Right | JoinKind::Full))
            {
                c.nullable = true;
            }
        }
        let mut keys = Vec::new();
        let mut residual = None;
        match constraint {
            ast::JoinConstraint::On(on) => {
                let predicate = self.expr(on, &scope, &columns, &mut Mode::Row)?;
                self.expect_bool(&predicate, self.span(on), "ON");
                let mut rest = Vec::new();
                for conjunct in split_and(predicate) {
                    match equi_key(&conjunct, nl) {
                        Some((l, r)) => keys.push((l, r)),
                        None => rest.push(conjunct),
                    }
                }
                residual = rest.into_iter().reduce(|a, b| Expr::Binary {
                    op: BinaryOp::And,
                    left: Box::new(a),
                    right: Box::new(b),
                    data_type: DataType::Bool,
                    origin: Origin::NONE,
                });
            }
            ast::JoinConstraint::Using(names) => {
                for name in names {
                    let col = name.to_string();
                    let nspan = self.span(name);
                    let l = match ls.resolve(None, &col) {
                        Resolved::Found(i) => Some(i),
                        _ => self.fail(
                            Code::UnknownColumn,
                            nspan,
                            format!("USING column \"{col}\" is not in the left input"),
                            None,
                        ),
                    };
                    let r = match rs.resolve(None, &col) {
                        Resolved::Found(i) => Some(i),
                        _ => self.fail(
                            Code::UnknownColumn,
                            nspan,
                            format!("USING column \"{col}\" is not in the right input"),
                            None,
                        ),
                    };
                    let (l, r) = (l?, r?);
                    let (lt, rt) = (&left.columns()[l].data_type, &right.columns()[r].data_type);
                    if DataType::common_supertype(lt, rt).is_none() {
                        return self.fail(
                            Code::TypeMismatch,
                            nspan,
                            format!(
                                "USING column \"{col}\" is {lt} on the left and {rt} on the right"
                            ),
                            None,
                        );
                    }
                    keys.push((
                        column_expr(left.columns(), l),
                        column_expr(right.columns(), r),
                    ));
                    // The merged column answers to the unqualified name once: the left one
                    // (the right one for RIGHT joins); both stay reachable through their alias.
                    let hidden = if kind == JoinKind::Right { l } else { nl + r };
                    scope.columns[hidden].merged_away = true;
                }
            }
            ast::JoinConstraint::UsingAlias(..) => {
                return self.fail(
                    Code::Unsupported,
                    span,
                    "USING (...) AS alias is not supported",
                    None,
                );
            }
            ast::JoinConstraint::Natural => {
                return self.fail(
                    Code::Unsupported,
                    span,
                    "NATURAL JOIN is not supported",
                    Some("spell the join with USING (...)"),
                );
            }
            ast::JoinConstraint::None => {}
        }
        if kind != JoinKind::Cross
            && keys.is_empty()
            && residual.is_none()
            && matches!(constraint, ast::JoinConstraint::None)
        {
            return self.fail(Code::SyntaxError, span, "this join needs ON or USING", None);
        }
        self.check_streaming_join(&left, &right, kind, !keys.is_empty(), span)?;
        Some((
            Plan::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                keys,
                residual,
                columns,
                origin: Origin::at(self.places.with_join_words(span)).union(match constraint {
                    ast::JoinConstraint::On(on) => Origin::at(self.span(on)),
                    ast::JoinConstraint::Using(names) => names
                        .iter()
                        .fold(Origin::NONE, |o, n| o.union(Origin::at(self.span(n)))),
                    _ => Origin::NONE,
                }),
            },
            scope,
        ))
    }

    /// Beam SQL's rules for joins involving a stream.
    fn check_streaming_join(
        &mut self,
        left: &Plan,
        right: &Plan,
        kind: JoinKind,
        equi: bool,
        span: Span,
    ) -> Option<()> {
        let (lb, rb) = (left.is_bounded(), right.is_bounded());
        if lb && rb {
            return Some(());
        }
        if !equi {
            return self.fail(
                Code::UnsupportedStreamingJoin,
                span,
                "a join with an unbounded input needs an equality condition (ON a.key = b.key)",
                Some("Beam SQL cannot run cross joins or non-equi joins on streams"),
            );
        }
        if !lb && !rb {
            let (lw, rw) = (left.window(), right.window());
            if lw.is_none() || rw.is_none() || lw != rw {
                return self.fail(
                    Code::UnsupportedStreamingJoin,
                    span,
                    "joining two unbounded inputs needs both windowed the same way",
                    Some("read both sides through the same TUMBLE/HOP window and join on window_start too"),
                );
            }
            if kind != JoinKind::Inner {
                return self.fail(
                    Code::UnsupportedStreamingJoin,
                    span,
                    format!(
                        "{} JOIN of two unbounded inputs is not supported",
                        kind.sql()
                    ),
                    Some("use INNER JOIN"),
                );
            }
            return Some(());
        }
        // One bounded side, one unbounded side: the outer side must be the stream.
        let bad_outer = match kind {
            JoinKind::Full => true,
            JoinKind::Left => lb,
            JoinKind::Right => rb,
            _ => false,
        };
        if bad_outer {
            return self.fail(
                Code::UnsupportedStreamingJoin,
                span,
                format!(
                    "{} JOIN would have to retract rows of the bounded side as the stream arrives, which Beam SQL cannot do",
                    kind.sql()
                ),
                Some("keep the stream on the outer side (stream LEFT JOIN table), or use INNER JOIN"),
            );
        }
        Some(())
    }

    // ---- expressions ---------------------------------------------------------------------

    fn expect_bool(&mut self, e: &Expr, span: Span, clause: &str) {
        let t = e.data_type();
        if t != DataType::Bool && t != DataType::Null {
            self.error(
                Code::TypeMismatch,
                span,
                format!("{clause} needs a BOOL condition, not {t}"),
                None,
            );
        }
    }

    /// Binds `e` in `scope` (whose columns are `columns`); reports problems and returns `None` on error.
    fn expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        columns: &[Column],
        mode: &mut Mode<'_>,
    ) -> Option<Expr> {
        if let Mode::Aggregate(_) = mode
            && let Some(key) = self.group_key(e, scope, columns, mode)
        {
            return Some(key);
        }
        // The common recursive cases stay in this small frame, so that deep
        // expressions do not exhaust the stack (wasm's is 1 MiB).
        let bound = match e {
            ast::Expr::Nested(inner) => {
                let inner = self.expr(inner, scope, columns, mode)?;
                let origin = inner.origin().span().map(|s| self.places.parenthesised(s));
                return Some(inner.with_origin(Origin(origin)));
            }
            ast::Expr::BinaryOp { left, op, right } => {
                let l = self.expr(left, scope, columns, mode);
                let r = self.expr(right, scope, columns, mode);
                self.binary(l?, op, r?, e)
            }
            _ => self.expr_node(e, scope, columns, mode),
        }?;
        Some(self.placed(bound, e))
    }

    /// `bound` with the origin of `node`: its operands' origins, widened over the
    /// tokens it was written with around them (a call's name and parentheses, a
    /// keyword, `IS NULL`), worked out bottom-up (see [`crate::places`]).
    #[inline(never)]
    fn placed(&self, bound: Expr, node: &ast::Expr) -> Expr {
        if bound.origin().span().is_some() {
            return bound;
        }
        let operands = bound
            .children()
            .into_iter()
            .fold(Origin::NONE, |o, c| o.union(written(c)));
        let p = &self.places;
        let origin = match (node, operands.span()) {
            (
                ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) | ast::Expr::Value(_),
                _,
            ) => origin_of(node.span()),
            // sqlparser places `TIMESTAMP '…'` at its text: the type is the token before.
            (ast::Expr::TypedString(_), _) => {
                Origin(origin_of(node.span()).span().map(|s| p.with_before(s, 1)))
            }
            (ast::Expr::Interval(i), _) => Origin(origin_of(node.span()).span().map(|s| {
                let s = p.with_before(s, 1);
                if i.leading_field.is_some() {
                    p.with_after(s, 1)
                } else {
                    s
                }
            })),
            (ast::Expr::Function(f), _) => match origin_of(f.name.span()).span() {
                Some(name) => Origin::at(p.call(name)).union(operands),
                None => operands,
            },
            (
                ast::Expr::Case {
                    case_token,
                    end_token,
                    ..
                },
                _,
            ) => origin_of(case_token.0.span)
                .union(origin_of(end_token.0.span))
                .union(operands),
            (
                ast::Expr::Cast { .. }
                | ast::Expr::Extract { .. }
                | ast::Expr::Substring { .. }
                | ast::Expr::Trim { .. }
                | ast::Expr::Position { .. }
                | ast::Expr::Ceil { .. }
                | ast::Expr::Floor { .. },
                Some(inner),
            ) => Origin::at(p.keyword_call(inner)),
            (ast::Expr::UnaryOp { .. }, Some(inner)) => Origin::at(p.with_before(inner, 1)),
            (ast::Expr::IsNull(_) | ast::Expr::IsTrue(_) | ast::Expr::IsFalse(_), Some(inner)) => {
                Origin::at(p.with_after(inner, 2))
            }
            (
                ast::Expr::IsNotNull(_) | ast::Expr::IsNotTrue(_) | ast::Expr::IsNotFalse(_),
                Some(inner),
            ) => Origin::at(p.with_after(inner, 3)),
            (ast::Expr::In { .. }, Some(inner)) => Origin::at(p.with_close(inner)),
            _ => operands,
        };
        bound.with_origin(origin)
    }

    /// In an aggregating query: a subexpression equal to a GROUP BY key reads the key
    /// (and a constant subexpression is itself).
    #[inline(never)]
    fn group_key(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        columns: &[Column],
        mode: &mut Mode<'_>,
    ) -> Option<Expr> {
        let Mode::Aggregate(state) = mode else {
            return None;
        };
        if contains_aggregate(e) {
            return None;
        }
        let mark = self.diagnostics.len();
        let was_probing = std::mem::replace(&mut self.probing, true);
        let probe = self.expr(e, scope, columns, &mut Mode::Row);
        self.probing = was_probing;
        self.diagnostics.truncate(mark);
        let bound = probe?;
        if let Some(k) = state.group.iter().position(|g| *g == bound) {
            let name = match &bound {
                Expr::Column { name, .. } => name.clone(),
                _ => format!("$group{k}"),
            };
            return Some(Expr::Column {
                index: k,
                name,
                data_type: bound.data_type(),
                origin: bound.origin(),
            });
        }
        (!bound_reads_columns(&bound)).then_some(bound)
    }

    /// Binds every other kind of expression node.
    #[inline(never)]
    fn expr_node(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        columns: &[Column],
        mode: &mut Mode<'_>,
    ) -> Option<Expr> {
        let span = self.span(e);
        match e {
            ast::Expr::Identifier(id) => self.column(None, id, scope, columns, mode, span),
            ast::Expr::CompoundIdentifier(parts) => {
                self.compound(parts, scope, columns, mode, span)
            }
            ast::Expr::Value(v) => self.literal(&v.value, span),
            ast::Expr::UnaryOp { op, expr } => {
                let inner = self.expr(expr, scope, columns, mode)?;
                let t = inner.data_type();
                match op {
                    ast::UnaryOperator::Not => {
                        self.expect_bool(&inner, span, "NOT");
                        Some(Expr::Unary {
                            op: UnaryOp::Not,
                            expr: Box::new(inner),
                            origin: Origin::NONE,
                        })
                    }
                    ast::UnaryOperator::Minus | ast::UnaryOperator::Plus
                        if t.is_numeric() || t == DataType::Interval =>
                    {
                        if matches!(op, ast::UnaryOperator::Plus) {
                            return Some(inner);
                        }
                        if let Expr::Literal {
                            value: Literal::Int64(i),
                            data_type,
                            ..
                        } = &inner
                        {
                            return Some(Expr::Literal {
                                value: Literal::Int64(-i),
                                data_type: data_type.clone(),
                                origin: Origin::NONE,
                            });
                        }
                        if let Expr::Literal {
                            value: Literal::Float64(x),
                            data_type,
                            ..
                        } = &inner
                        {
                            return Some(Expr::Literal {
                                value: Literal::Float64(-x),
                                data_type: data_type.clone(),
                                origin: Origin::NONE,
                            });
                        }
                        Some(Expr::Unary {
                            op: UnaryOp::Negate,
                            expr: Box::new(inner),
                            origin: Origin::NONE,
                        })
                    }
                    _ => self.fail(
                        Code::TypeMismatch,
                        span,
                        format!("operator {op} does not apply to {t}"),
                        None,
                    ),
                }
            }
            ast::Expr::IsNull(inner)
            | ast::Expr::IsNotNull(inner)
            | ast::Expr::IsTrue(inner)
            | ast::Expr::IsFalse(inner) => {
                let bound = self.expr(inner, scope, columns, mode)?;
                let op = match e {
                    ast::Expr::IsNull(_) => UnaryOp::IsNull,
                    ast::Expr::IsNotNull(_) => UnaryOp::IsNotNull,
                    ast::Expr::IsTrue(_) => UnaryOp::IsTrue,
                    _ => UnaryOp::IsFalse,
                };
                if matches!(op, UnaryOp::IsTrue | UnaryOp::IsFalse) {
                    self.expect_bool(&bound, span, "IS TRUE/IS FALSE");
                }
                Some(Expr::Unary {
                    op,
                    expr: Box::new(bound),
                    origin: Origin::NONE,
                })
            }
            ast::Expr::In {
                expr,
                target: ast::InTarget::List(list),
                negated,
                ..
            } => {
                let value = self.expr(expr, scope, columns, mode);
                let items: Vec<Option<Expr>> = list
                    .iter()
                    .map(|i| self.expr(i, scope, columns, mode))
                    .collect();
                let value = value?;
                let items: Vec<Expr> = items.into_iter().collect::<Option<_>>()?;
                for (item, ast_item) in items.iter().zip(list) {
                    if comparable(&value.data_type(), &item.data_type()).is_none() {
                        return self.fail(
                            Code::TypeMismatch,
                            self.span(ast_item),
                            format!(
                                "IN list item of type {} cannot be compared with {}",
                                item.data_type(),
                                value.data_type()
                            ),
                            None,
                        );
                    }
                    if item.is_null_literal() {
                        self.null_comparison(self.span(ast_item), "IN (NULL)");
                    }
                }
                Some(Expr::InList {
                    expr: Box::new(value),
                    list: items,
                    negated: *negated,
                    origin: Origin::NONE,
                })
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let v = self.expr(expr, scope, columns, mode);
                let lo = self.expr(low, scope, columns, mode);
                let hi = self.expr(high, scope, columns, mode);
                let (v, lo, hi) = (v?, lo?, hi?);
                for bound in [&lo, &hi] {
                    if comparable(&v.data_type(), &bound.data_type()).is_none() {
                        return self.fail(
                            Code::TypeMismatch,
                            span,
                            format!(
                                "BETWEEN cannot compare {} with {}",
                                v.data_type(),
                                bound.data_type()
                            ),
                            None,
                        );
                    }
                }
                Some(Expr::Between {
                    expr: Box::new(v),
                    low: Box::new(lo),
                    high: Box::new(hi),
                    negated: *negated,
                    origin: Origin::NONE,
                })
            }
            ast::Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } => {
                let v = self.expr(expr, scope, columns, mode);
                let p = self.expr(pattern, scope, columns, mode);
                let (v, p) = (v?, p?);
                for (x, ast_x) in [(&v, expr), (&p, pattern)] {
                    if !matches!(
                        x.data_type(),
                        DataType::String | DataType::Bytes | DataType::Null
                    ) {
                        return self.fail(
                            Code::TypeMismatch,
                            self.span(ast_x.as_ref()),
                            format!("LIKE needs STRING, not {}", x.data_type()),
                            None,
                        );
                    }
                }
                Some(Expr::Like {
                    expr: Box::new(v),
                    pattern: Box::new(p),
                    negated: *negated,
                    origin: Origin::NONE,
                })
            }
            ast::Expr::Cast {
                kind,
                expr,
                data_type,
                format: None,
            } => {
                let safe = match kind {
                    ast::CastKind::Cast => false,
                    ast::CastKind::SafeCast | ast::CastKind::TryCast => true,
                    ast::CastKind::DoubleColon => {
                        return self.fail(
                            Code::Unsupported,
                            span,
                            "`::` casts are not BigQuery SQL",
                            Some("write CAST(x AS type)"),
                        );
                    }
                };
                let inner = self.expr(expr, scope, columns, mode)?;
                let type_name = data_type.to_string();
                let Some(target) = DataType::from_name(&type_name) else {
                    return self.fail(
                        Code::TypeMismatch,
                        span,
                        format!("unknown type {type_name}"),
                        None,
                    );
                };
                if !castable(&inner.data_type(), &target) {
                    return self.fail(
                        Code::TypeMismatch,
                        span,
                        format!("cannot cast {} to {target}", inner.data_type()),
                        None,
                    );
                }
                Some(Expr::Cast {
                    expr: Box::new(inner),
                    data_type: target,
                    safe,
                    origin: Origin::NONE,
                })
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let op = match operand {
                    Some(o) => Some(self.expr(o, scope, columns, mode)?),
                    None => None,
                };
                let mut branches = Vec::new();
                let mut result_type = DataType::Null;
                for when in conditions {
                    let c = self.expr(&when.condition, scope, columns, mode)?;
                    let r = self.expr(&when.result, scope, columns, mode)?;
                    let c = match &op {
                        Some(o) => {
                            self.binary(o.clone(), &ast::BinaryOperator::Eq, c, &when.condition)?
                        }
                        None => {
                            self.expect_bool(&c, self.span(&when.condition), "WHEN");
                            c
                        }
                    };
                    result_type = self.supertype(
                        &result_type,
                        &r.data_type(),
                        self.span(&when.result),
                        "CASE branches",
                    )?;
                    branches.push((c, r));
                }
                let otherwise = match else_result {
                    Some(e) => {
                        let bound = self.expr(e, scope, columns, mode)?;
                        result_type = self.supertype(
                            &result_type,
                            &bound.data_type(),
                            self.span(e.as_ref()),
                            "CASE branches",
                        )?;
                        bound
                    }
                    None => Expr::Literal {
                        value: Literal::Null,
                        data_type: result_type.clone(),
                        origin: Origin::NONE,
                    },
                };
                Some(Expr::Case {
                    branches,
                    otherwise: Box::new(otherwise),
                    data_type: result_type,
                    origin: Origin::NONE,
                })
            }
            ast::Expr::Function(f) => self.function(f, scope, columns, mode, span),
            ast::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args: Vec<&ast::Expr> = vec![expr];
                args.extend(substring_from.as_deref());
                args.extend(substring_for.as_deref());
                self.scalar_call(ScalarFunction::Substr, args, scope, columns, mode, span)
            }
            ast::Expr::Trim {
                expr,
                trim_where: None,
                trim_what: None,
                trim_characters,
            } => {
                let mut args: Vec<&ast::Expr> = vec![expr];
                args.extend(trim_characters.iter().flatten());
                self.scalar_call(ScalarFunction::Trim, args, scope, columns, mode, span)
            }
            ast::Expr::Ceil { expr, .. } => {
                self.scalar_call(ScalarFunction::Ceil, vec![expr], scope, columns, mode, span)
            }
            ast::Expr::Floor { expr, .. } => self.scalar_call(
                ScalarFunction::Floor,
                vec![expr],
                scope,
                columns,
                mode,
                span,
            ),
            ast::Expr::Position { expr, r#in } => self.scalar_call(
                ScalarFunction::Strpos,
                vec![r#in, expr],
                scope,
                columns,
                mode,
                span,
            ),
            ast::Expr::TypedString(ts) => {
                let type_name = ts.data_type.to_string();
                let text = match &ts.value.value {
                    ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                        s.clone()
                    }
                    other => other.to_string(),
                };
                match DataType::from_name(&type_name) {
                    Some(t)
                        if t.is_temporal()
                            || t == DataType::Numeric
                            || t == DataType::BigNumeric =>
                    {
                        match typed_literal(&t, &text) {
                            Some(value) => Some(Expr::Literal {
                                value,
                                data_type: t,
                                origin: Origin::NONE,
                            }),
                            None => self.fail(
                                Code::InvalidLiteral,
                                span,
                                format!("\"{text}\" is not a valid {t} literal"),
                                Some(literal_example(&t)),
                            ),
                        }
                    }
                    _ => self.fail(
                        Code::Unsupported,
                        span,
                        format!("{type_name} literals are not supported"),
                        None,
                    ),
                }
            }
            ast::Expr::Interval(interval) => match interval_micros(interval) {
                Ok(us) => Some(Expr::Literal {
                    value: Literal::IntervalMicros(us),
                    data_type: DataType::Interval,
                    origin: Origin::NONE,
                }),
                Err(message) => self.fail(
                    Code::InvalidLiteral,
                    span,
                    message,
                    Some("write INTERVAL 5 MINUTE"),
                ),
            },
            ast::Expr::Extract { field, expr, .. } => {
                let inner = self.expr(expr, scope, columns, mode)?;
                if !inner.data_type().is_temporal() && inner.data_type() != DataType::Null {
                    return self.fail(
                        Code::TypeMismatch,
                        span,
                        format!("EXTRACT needs a date or time, not {}", inner.data_type()),
                        None,
                    );
                }
                let call = self.places.keyword_call(span);
                let part = self.date_part(ScalarFunction::Extract, &field.to_string(), call)?;
                Some(Expr::Function {
                    function: ScalarFunction::Extract,
                    args: vec![
                        Expr::Literal {
                            value: Literal::DatePart(part),
                            data_type: DataType::String,
                            origin: Origin::NONE,
                        },
                        inner,
                    ],
                    // google/zetasql docs/timestamp_functions.md, EXTRACT: INT64,
                    // except a DATE for the DATE part.
                    data_type: if part == DatePart::Date {
                        DataType::Date
                    } else {
                        DataType::Int64
                    },
                    origin: Origin::NONE,
                })
            }
            ast::Expr::Subquery(_) | ast::Expr::In { .. } | ast::Expr::Exists { .. } => self.fail(
                Code::Unsupported,
                span,
                "subqueries inside expressions are not supported by Dataflow SQL",
                Some("rewrite it as a JOIN against a WITH subquery"),
            ),
            other => self.fail(
                Code::Unsupported,
                span,
                format!("\"{other}\" is not supported by Dataflow SQL"),
                None,
            ),
        }
    }

    fn column(
        &mut self,
        qualifier: Option<&ast::Ident>,
        ident: &ast::Ident,
        scope: &Scope,
        columns: &[Column],
        mode: &mut Mode<'_>,
        span: Span,
    ) -> Option<Expr> {
        let name = ident_name(ident);
        // HAVING (and the select list) may name a select alias.
        if let (None, Mode::Aggregate(state)) = (qualifier, &*mode)
            && matches!(scope.resolve(None, &name), Resolved::Missing)
            && let Some((_, e)) = state
                .aliases
                .iter()
                .find(|(a, _)| a.eq_ignore_ascii_case(&name))
        {
            return Some(e.clone());
        }
        let q = qualifier.map(ident_name);
        if let Some(q) = &q
            && !scope.has_qualifier(q)
        {
            return self.fail(
                Code::UnknownQualifier,
                Span::from_sql(qualifier.map(|i| i.span).unwrap_or(ident.span), span),
                format!("\"{q}\" is not a table or alias in FROM"),
                None,
            );
        }
        let index = match scope.resolve(q.as_deref(), &name) {
            Resolved::Found(i) => i,
            Resolved::Ambiguous => {
                let owners: Vec<String> = scope
                    .columns
                    .iter()
                    .filter(|c| c.name.eq_ignore_ascii_case(&name) && !c.merged_away)
                    .filter_map(|c| c.qualifier.clone())
                    .collect();
                return self.fail(
                    Code::AmbiguousColumn,
                    span,
                    format!("column \"{name}\" is ambiguous: more than one table in FROM has it"),
                    Some(&format!(
                        "qualify it: {}",
                        owners
                            .iter()
                            .map(|o| format!("{o}.{name}"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )),
                );
            }
            Resolved::Missing => {
                let hint = (!self.probing)
                    .then(|| scope.closest(&name))
                    .flatten()
                    .map(|c| format!("did you mean \"{c}\"?"));
                let message = match &q {
                    Some(q) => format!("\"{q}\" has no column \"{name}\""),
                    None => format!("unknown column \"{name}\""),
                };
                return self.fail(Code::UnknownColumn, span, message, hint.as_deref());
            }
        };
        let column = &columns[index];
        if let Mode::Aggregate(state) = mode {
            if state.poisoned {
                // The GROUP BY already has an error; whether this column is grouped is unknown.
                return None;
            }
            return self.fail(
                Code::NotGrouped,
                span,
                format!("column \"{name}\" is neither grouped nor aggregated"),
                Some(&format!(
                    "add it to GROUP BY, or aggregate it, e.g. ANY_VALUE({name})"
                )),
            );
        }
        Some(Expr::Column {
            index,
            name: column.name.clone(),
            data_type: column.data_type.clone(),
            origin: Origin::NONE,
        })
    }

    /// `a.b[.c…]`: BigQuery reads `a` as a table alias if FROM has one of that name
    /// (then `b` is its column), otherwise as a column; what follows are STRUCT fields.
    fn compound(
        &mut self,
        parts: &[ast::Ident],
        scope: &Scope,
        columns: &[Column],
        mode: &mut Mode<'_>,
        span: Span,
    ) -> Option<Expr> {
        let (first, rest) = parts.split_first()?;
        let alias_column = rest.first().filter(|_| scope.has_qualifier(&first.value));
        let (mut value, fields) = if let Some(column) = alias_column {
            let column_span = Span::from_sql(first.span.union(&column.span), self.whole);
            let value = self.column(Some(first), column, scope, columns, mode, column_span)?;
            (value, &rest[1..])
        } else if !matches!(scope.resolve(None, &first.value), Resolved::Missing) {
            let column_span = Span::from_sql(first.span, self.whole);
            (
                self.column(None, first, scope, columns, mode, column_span)?,
                rest,
            )
        } else {
            // Neither an alias nor a column: reported as an unknown alias.
            let column = rest.first()?;
            return self.column(Some(first), column, scope, columns, mode, span);
        };
        for field in fields {
            let data_type = value.data_type();
            let DataType::Struct(members) = &data_type else {
                return self.fail(
                    Code::UnknownField,
                    Span::from_sql(field.span, self.whole),
                    format!(
                        "cannot read field \"{}\" of a {data_type} value; only STRUCTs have fields",
                        field.value
                    ),
                    None,
                );
            };
            let Some(index) = members
                .iter()
                .position(|m| m.name.eq_ignore_ascii_case(&field.value))
            else {
                let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
                let hint = match members
                    .iter()
                    .map(|m| {
                        (
                            crate::catalog::edit_distance(&field.value, &m.name),
                            &m.name,
                        )
                    })
                    .filter(|(d, n)| *d <= 2.max(n.len() / 3))
                    .min()
                {
                    Some((_, n)) => {
                        format!("did you mean \"{n}\"? Its fields: {}", names.join(", "))
                    }
                    None => format!("its fields: {}", names.join(", ")),
                };
                return self.fail(
                    Code::UnknownField,
                    Span::from_sql(field.span, self.whole),
                    format!("the STRUCT has no field \"{}\"", field.value),
                    Some(&hint),
                );
            };
            let member = &members[index];
            value = Expr::Field {
                expr: Box::new(value),
                index,
                name: member.name.clone(),
                data_type: member.data_type.clone(),
                origin: Origin::NONE,
            };
        }
        Some(value)
    }

    fn literal(&mut self, value: &ast::Value, span: Span) -> Option<Expr> {
        let lit = |value, data_type| {
            Some(Expr::Literal {
                value,
                data_type,
                origin: Origin::NONE,
            })
        };
        match value {
            ast::Value::Number(text, _) => {
                if let Ok(i) = text.parse::<i64>() {
                    lit(Literal::Int64(i), DataType::Int64)
                } else if text.chars().all(|c| c.is_ascii_digit()) {
                    self.fail(
                        Code::InvalidLiteral,
                        span,
                        format!("{text} does not fit in INT64"),
                        Some("write it as a FLOAT64 (e.g. 1e20) or a NUMERIC"),
                    )
                } else {
                    match text.parse::<f64>() {
                        Ok(x) if x.is_finite() => lit(Literal::Float64(x), DataType::Float64),
                        _ => self.fail(
                            Code::InvalidLiteral,
                            span,
                            format!("{text} is not a valid number"),
                            None,
                        ),
                    }
                }
            }
            ast::Value::SingleQuotedString(s)
            | ast::Value::DoubleQuotedString(s)
            | ast::Value::TripleSingleQuotedString(s)
            | ast::Value::TripleDoubleQuotedString(s)
            | ast::Value::SingleQuotedRawStringLiteral(s)
            | ast::Value::DoubleQuotedRawStringLiteral(s) => {
                lit(Literal::String(s.clone()), DataType::String)
            }
            ast::Value::SingleQuotedByteStringLiteral(s)
            | ast::Value::DoubleQuotedByteStringLiteral(s) => {
                lit(Literal::Bytes(s.as_bytes().to_vec()), DataType::Bytes)
            }
            ast::Value::Boolean(b) => lit(Literal::Bool(*b), DataType::Bool),
            ast::Value::Null => lit(Literal::Null, DataType::Null),
            other => self.fail(
                Code::Unsupported,
                span,
                format!("literal {other} is not supported"),
                None,
            ),
        }
    }

    fn null_comparison(&mut self, span: Span, what: &str) {
        self.diagnostics.push(
            Diagnostic::warning(
                Code::NullComparison,
                span,
                format!("`{what}` is never true: a comparison with NULL gives NULL, not TRUE"),
            )
            .with_hint("use IS NULL or IS NOT NULL"),
        );
    }

    fn supertype(
        &mut self,
        a: &DataType,
        b: &DataType,
        span: Span,
        what: &str,
    ) -> Option<DataType> {
        let t = DataType::common_supertype(a, b);
        if t.is_none() {
            self.error(
                Code::TypeMismatch,
                span,
                format!("{what} have incompatible types {a} and {b}"),
                None,
            );
        }
        t
    }

    /// A string literal compared with a date or time, read as a literal of that
    /// type; `node` is its syntax, for the error. Other expressions pass unchanged.
    /// BigQuery coerces string literals "in canonical format" where a date or
    /// time is expected, literals only, not string values (lexical.md, "Timestamp
    /// literals"; conversion_rules.md, "Literal coercion"), so text that is none
    /// fails the query, not a row.
    fn coerce_literal(&mut self, e: Expr, target: &DataType, node: &ast::Expr) -> Option<Expr> {
        match e {
            Expr::Literal {
                value: Literal::String(text),
                data_type: DataType::String,
                ..
            } if target.is_temporal() => match typed_literal(target, &text) {
                Some(value) => Some(Expr::Literal {
                    value,
                    data_type: target.clone(),
                    origin: Origin::NONE,
                }),
                None => self.fail(
                    Code::InvalidLiteral,
                    self.span(node),
                    format!(
                        "\"{text}\" is not a valid {target}, so it cannot be compared with one"
                    ),
                    Some(literal_example(target)),
                ),
            },
            other => Some(other),
        }
    }

    /// Types `l op r`; `node` is the expression's syntax, whose span is computed
    /// only for a diagnostic (computing it walks the whole subtree).
    fn binary(
        &mut self,
        l: Expr,
        op: &ast::BinaryOperator,
        r: Expr,
        node: &ast::Expr,
    ) -> Option<Expr> {
        use ast::BinaryOperator as B;
        let (lt, rt) = (l.data_type(), r.data_type());
        let bin = |op, data_type| {
            Some(Expr::Binary {
                op,
                left: Box::new(l.clone()),
                right: Box::new(r.clone()),
                data_type,
                origin: Origin::NONE,
            })
        };
        let mismatch = |this: &mut Self, what: &str| {
            this.error(
                Code::TypeMismatch,
                this.span(node),
                format!("operator {what} does not apply to {lt} and {rt}"),
                None,
            );
            None
        };
        match op {
            B::Plus | B::Minus | B::Multiply | B::Divide => {
                let o = match op {
                    B::Plus => BinaryOp::Plus,
                    B::Minus => BinaryOp::Minus,
                    B::Multiply => BinaryOp::Multiply,
                    _ => BinaryOp::Divide,
                };
                // TIMESTAMP ± INTERVAL.
                if matches!(o, BinaryOp::Plus | BinaryOp::Minus)
                    && lt.is_temporal()
                    && rt == DataType::Interval
                {
                    return bin(o, lt.clone());
                }
                if o == BinaryOp::Minus && lt == DataType::Timestamp && rt == DataType::Timestamp {
                    return bin(o, DataType::Interval);
                }
                if !(lt.is_numeric() && rt.is_numeric()) {
                    return mismatch(self, o.symbol());
                }
                let t = DataType::common_supertype(&lt, &rt).unwrap_or(DataType::Int64);
                let t = match (o, &t) {
                    (BinaryOp::Divide, DataType::Int64 | DataType::Null) => DataType::Float64,
                    (_, DataType::Null) => DataType::Int64,
                    _ => t,
                };
                bin(o, t)
            }
            B::Modulo => {
                if lt.coerces_to(&DataType::Int64) && rt.coerces_to(&DataType::Int64) {
                    Some(Expr::Function {
                        function: ScalarFunction::Mod,
                        args: vec![l, r],
                        data_type: DataType::Int64,
                        origin: Origin::NONE,
                    })
                } else {
                    mismatch(self, "%")
                }
            }
            B::StringConcat => {
                if matches!(lt, DataType::String | DataType::Null)
                    && matches!(rt, DataType::String | DataType::Null)
                {
                    bin(BinaryOp::Concat, DataType::String)
                } else {
                    mismatch(self, "||")
                }
            }
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                let o = match op {
                    B::Eq => BinaryOp::Eq,
                    B::NotEq => BinaryOp::NotEq,
                    B::Lt => BinaryOp::Lt,
                    B::LtEq => BinaryOp::LtEq,
                    B::Gt => BinaryOp::Gt,
                    _ => BinaryOp::GtEq,
                };
                if l.is_null_literal() || r.is_null_literal() {
                    self.null_comparison(self.span(node), &format!("{} NULL", o.symbol()));
                }
                let Some(t) = comparable(&lt, &rt) else {
                    return mismatch(self, o.symbol());
                };
                let ordered = !matches!(o, BinaryOp::Eq | BinaryOp::NotEq);
                if (ordered && !t.is_orderable()) || !t.is_equatable() {
                    return mismatch(self, o.symbol());
                }
                // A string literal compared with a date/time is read as that type (BigQuery's coercion).
                let (left, right) = match node {
                    ast::Expr::BinaryOp { left, right, .. } => (&**left, &**right),
                    _ => (node, node),
                };
                let l = self.coerce_literal(l, &t, left)?;
                let r = self.coerce_literal(r, &t, right)?;
                Some(Expr::Binary {
                    op: o,
                    left: Box::new(l),
                    right: Box::new(r),
                    data_type: DataType::Bool,
                    origin: Origin::NONE,
                })
            }
            B::And | B::Or => {
                for t in [&lt, &rt] {
                    if *t != DataType::Bool && *t != DataType::Null {
                        return self.fail(
                            Code::TypeMismatch,
                            self.span(node),
                            format!("{op} needs BOOL operands, not {t}"),
                            None,
                        );
                    }
                }
                bin(
                    if matches!(op, B::And) {
                        BinaryOp::And
                    } else {
                        BinaryOp::Or
                    },
                    DataType::Bool,
                )
            }
            other => self.fail(
                Code::Unsupported,
                self.span(node),
                format!("operator {other} is not supported"),
                None,
            ),
        }
    }

    fn function(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
        columns: &[Column],
        mode: &mut Mode<'_>,
        span: Span,
    ) -> Option<Expr> {
        let name = f.name.to_string().to_ascii_uppercase();
        if f.over.is_some() {
            return self.fail(
                Code::Unsupported,
                span,
                format!("analytic (window) function {name}(...) OVER (...) is not supported by Dataflow SQL"),
                Some("for event-time windows, read from TUMBLE/HOP/SESSION and GROUP BY window_start"),
            );
        }
        let (args, distinct): (Vec<&ast::FunctionArgExpr>, bool) = match &f.args {
            ast::FunctionArguments::None => (vec![], false),
            ast::FunctionArguments::List(list) => {
                let mut args = Vec::new();
                for a in &list.args {
                    match a {
                        ast::FunctionArg::Unnamed(x) => args.push(x),
                        _ => {
                            return self.fail(
                                Code::Unsupported,
                                span,
                                "named arguments are not supported",
                                None,
                            );
                        }
                    }
                }
                if !list.clauses.is_empty() {
                    return self.fail(
                        Code::Unsupported,
                        span,
                        format!("{name}(... ORDER BY/LIMIT/HAVING) is not supported"),
                        None,
                    );
                }
                (
                    args,
                    matches!(
                        list.duplicate_treatment,
                        Some(ast::DuplicateTreatment::Distinct)
                    ),
                )
            }
            ast::FunctionArguments::Subquery(_) => {
                return self.fail(
                    Code::Unsupported,
                    span,
                    "subquery arguments are not supported",
                    None,
                );
            }
        };
        if let Some(agg) = functions::aggregate(&name) {
            let Mode::Aggregate(state) = mode else {
                return self.fail(
                    Code::MisplacedAggregate,
                    span,
                    format!("aggregate {name}(...) is not allowed here"),
                    Some("aggregates belong in SELECT or HAVING of a grouped query, not in WHERE, ON or GROUP BY"),
                );
            };
            let (function, arg) = match (agg, args.as_slice()) {
                (AggregateFunction::Count, [ast::FunctionArgExpr::Wildcard]) => {
                    (AggregateFunction::CountStar, None)
                }
                (_, [ast::FunctionArgExpr::Expr(e)]) => {
                    if contains_aggregate(e) {
                        return self.fail(
                            Code::MisplacedAggregate,
                            self.span(e),
                            "aggregates cannot be nested",
                            None,
                        );
                    }
                    let input_scope = scope.clone();
                    let bound = self.expr(
                        e,
                        &input_scope,
                        &state.input_columns.clone(),
                        &mut Mode::Row,
                    )?;
                    (agg, Some(bound))
                }
                _ => {
                    return self.fail(
                        Code::ArgumentCount,
                        span,
                        format!("{name} takes one argument"),
                        None,
                    );
                }
            };
            let data_type = match functions::aggregate_type(
                function,
                arg.as_ref().map(Expr::data_type).as_ref(),
            ) {
                Ok(t) => t,
                Err(message) => {
                    return self.fail(Code::TypeMismatch, span, message, None);
                }
            };
            let call = AggregateCall {
                function,
                arg,
                distinct,
                data_type: data_type.clone(),
                origin: Origin::at(self.places.call(self.span(&f.name)).union(span)),
            };
            let origin = call.origin;
            let k = match state.aggregates.iter().position(|a| *a == call) {
                Some(k) => k,
                None => {
                    state.aggregates.push(call);
                    state.aggregates.len() - 1
                }
            };
            return Some(Expr::Column {
                index: state.group.len() + k,
                name: format!("$agg{k}"),
                data_type,
                origin,
            });
        }
        if matches!(name.as_str(), "TUMBLE" | "HOP" | "SESSION" | "DESCRIPTOR") {
            return self.fail(
                Code::InvalidWindow,
                span,
                format!("{name}(...) belongs in FROM, as a table-valued function"),
                Some("FROM TUMBLE((SELECT * FROM <topic>), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\")"),
            );
        }
        let Some(function) = ScalarFunction::from_name(&name) else {
            let known = functions::catalog();
            let hint = known
                .iter()
                .map(|(n, _)| (crate::catalog::edit_distance(&name, n), *n))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, n)| format!("did you mean {n}?"));
            return self.fail(
                Code::UnknownFunction,
                self.span(&f.name),
                format!("unknown function {name}"),
                hint.as_deref(),
            );
        };
        if distinct {
            return self.fail(
                Code::Unsupported,
                span,
                format!("DISTINCT does not apply to {name}"),
                None,
            );
        }
        let mut exprs = Vec::with_capacity(args.len());
        for a in &args {
            let ast::FunctionArgExpr::Expr(e) = a else {
                return self.fail(
                    Code::Unsupported,
                    span,
                    format!("{name} does not take *"),
                    None,
                );
            };
            exprs.push(e);
        }
        self.scalar_call(function, exprs, scope, columns, mode, span)
    }

    /// The date part `word` names, if `function` takes it; else an error at `span`
    /// listing the parts it takes.
    fn date_part(&mut self, function: ScalarFunction, word: &str, span: Span) -> Option<DatePart> {
        let parts = function.date_parts();
        if let Some(part) = DatePart::from_name(word).filter(|p| parts.contains(p)) {
            return Some(part);
        }
        let names: Vec<&str> = parts.iter().map(|p| p.name()).collect();
        let what = if word.is_empty() {
            "a date part".to_string()
        } else {
            format!("a date part it takes, not {}", word.to_ascii_uppercase())
        };
        self.fail(
            Code::TypeMismatch,
            span,
            format!("{}'s date part must be {what}", function.name()),
            Some(&format!("one of {}", names.join(", "))),
        )
    }

    /// Binds a call of scalar `function` with AST arguments.
    fn scalar_call(
        &mut self,
        function: ScalarFunction,
        args: Vec<&ast::Expr>,
        scope: &Scope,
        columns: &[Column],
        mode: &mut Mode<'_>,
        span: Span,
    ) -> Option<Expr> {
        let name = function.name();
        let signature = function.signature();
        if args.len() < signature.min_args || args.len() > signature.max_args {
            let expected = match (signature.min_args, signature.max_args) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return self.fail(
                Code::ArgumentCount,
                span,
                format!(
                    "{name} takes {expected} argument{}, not {}",
                    if expected == "1" { "" } else { "s" },
                    args.len()
                ),
                Some(&format!(
                    "{name}{}",
                    signature.usage.trim_start_matches(name)
                )),
            );
        }
        let part_at = function.date_part_argument();
        let mut bound = Vec::with_capacity(args.len());
        let mut ok = true;
        for (i, e) in args.iter().enumerate() {
            if part_at == Some(i) {
                let word = match e {
                    ast::Expr::Identifier(id) if id.quote_style.is_none() => id.value.as_str(),
                    _ => "",
                };
                match self.date_part(function, word, self.span(*e)) {
                    Some(part) => bound.push(Expr::Literal {
                        value: Literal::DatePart(part),
                        data_type: DataType::String,
                        origin: origin_of(e.span()),
                    }),
                    None => ok = false,
                }
                continue;
            }
            match self.expr(e, scope, columns, mode) {
                Some(x) => bound.push(x),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let types: Vec<DataType> = bound.iter().map(Expr::data_type).collect();
        match (signature.result)(&types) {
            Ok(data_type) => Some(Expr::Function {
                function,
                args: bound,
                data_type,
                origin: Origin::NONE,
            }),
            Err(message) => self.fail(
                Code::TypeMismatch,
                span,
                format!("{name}: {message}"),
                Some(&format!(
                    "{name}{}",
                    signature.usage.trim_start_matches(name)
                )),
            ),
        }
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

/// Selects input column `index` of `plan`, for a `*` written at `origin`.
fn push_column(
    plan: &Plan,
    index: usize,
    name: &str,
    origin: Origin,
    exprs: &mut Vec<Expr>,
    columns: &mut Vec<Column>,
) {
    let c = &plan.columns()[index];
    exprs.push(Expr::Column {
        index,
        name: name.to_string(),
        data_type: c.data_type.clone(),
        origin,
    });
    columns.push(Column {
        qualifier: None,
        name: name.to_string(),
        data_type: c.data_type.clone(),
        nullable: c.nullable,
    });
}

fn column_expr(columns: &[Column], index: usize) -> Expr {
    let c = &columns[index];
    Expr::Column {
        index,
        name: c.name.clone(),
        data_type: c.data_type.clone(),
        origin: Origin::NONE,
    }
}

/// The plan with its output columns reachable through `qualifier` (a table's or a
/// CTE's alias), which the deploy compiler reuses as the relation's alias.
fn requalify(mut plan: Plan, qualifier: &str) -> Plan {
    if let Plan::Scan { columns, .. }
    | Plan::Project { columns, .. }
    | Plan::Aggregate { columns, .. }
    | Plan::Window { columns, .. }
    | Plan::Union { columns, .. } = &mut plan
    {
        for c in columns {
            c.qualifier = Some(qualifier.to_string());
        }
    }
    plan
}

/// The output name of a select item: its alias, a column's name, or BigQuery's `f<i>_`.
fn item_name(item: &ast::SelectItem, i: usize) -> String {
    match item {
        ast::SelectItem::ExprWithAlias { alias, .. } => ident_name(alias),
        ast::SelectItem::UnnamedExpr(ast::Expr::Identifier(id)) => ident_name(id),
        ast::SelectItem::UnnamedExpr(ast::Expr::CompoundIdentifier(parts)) => parts
            .last()
            .map(ident_name)
            .unwrap_or_else(|| format!("f{i}_")),
        _ => format!("f{i}_"),
    }
}

/// `GROUP BY alias`: the select item an identifier names, unless a FROM column has that name.
fn select_alias<'s>(
    select: &'s ast::Select,
    g: &ast::Expr,
    scope: &Scope,
) -> Option<(&'s ast::Expr, String)> {
    let ast::Expr::Identifier(id) = g else {
        return None;
    };
    if !matches!(scope.resolve(None, &id.value), Resolved::Missing) {
        return None;
    }
    select.projection.iter().find_map(|item| match item {
        ast::SelectItem::ExprWithAlias { expr, alias }
            if alias.value.eq_ignore_ascii_case(&id.value) =>
        {
            Some((expr, ident_name(alias)))
        }
        _ => None,
    })
}

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
    let mut found = false;
    let _ = ast::visit_expressions(e, |x| {
        if let ast::Expr::Function(f) = x
            && f.over.is_none()
            && functions::aggregate(&f.name.to_string().to_ascii_uppercase()).is_some()
        {
            found = true;
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

fn first_aggregate_span(select: &ast::Select) -> Option<&ast::Expr> {
    select.projection.iter().find_map(|item| match item {
        ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. }
            if contains_aggregate(e) =>
        {
            Some(e)
        }
        _ => None,
    })
}

fn bound_reads_columns(e: &Expr) -> bool {
    let mut reads = false;
    e.visit_columns(&mut |_| reads = true);
    reads
}

fn is_window_column(e: &Expr, input: &Plan) -> bool {
    matches!(e, Expr::Column { name, data_type: DataType::Timestamp, .. } if name == "window_start" || name == "window_end")
        && input.window().is_some()
}

fn has_window_columns(plan: &Plan) -> bool {
    plan.window().is_some()
        && plan
            .columns()
            .iter()
            .any(|c| c.name == "window_start" || c.name == "window_end")
}

/// Whether a result column may be NULL (columns keep their input's nullability; anything else may).
fn nullable(e: &Expr, input: &[Column]) -> bool {
    match e {
        Expr::Column { index, .. } => input.get(*index).is_none_or(|c| c.nullable),
        Expr::Literal { value, .. } => *value == Literal::Null,
        _ => true,
    }
}

fn split_and(e: Expr) -> Vec<Expr> {
    match e {
        Expr::Binary {
            op: BinaryOp::And,
            left,
            right,
            ..
        } => {
            let mut v = split_and(*left);
            v.extend(split_and(*right));
            v
        }
        other => vec![other],
    }
}

/// `l = r` with `l` reading only the left input's columns and `r` only the right's (or swapped).
fn equi_key(e: &Expr, left_len: usize) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        op: BinaryOp::Eq,
        left,
        right,
        ..
    } = e
    else {
        return None;
    };
    let side = |x: &Expr| {
        let (mut l, mut r) = (false, false);
        x.visit_columns(&mut |i| if i < left_len { l = true } else { r = true });
        (l, r)
    };
    match (side(left), side(right)) {
        ((true, false), (false, true)) => Some(((**left).clone(), shift(right, left_len))),
        ((false, true), (true, false)) => Some(((**right).clone(), shift(left, left_len))),
        _ => None,
    }
}

/// Re-bases column indices of an expression over `left ++ right` onto `right` alone.
fn shift(e: &Expr, by: usize) -> Expr {
    e.map_columns(&mut |index, name, data_type| Expr::Column {
        index: index - by,
        name: name.to_string(),
        data_type: data_type.clone(),
        origin: Origin::NONE,
    })
}

/// The type two values are compared at, allowing string literals against dates and times.
fn comparable(a: &DataType, b: &DataType) -> Option<DataType> {
    DataType::common_supertype(a, b).or_else(|| match (a, b) {
        (DataType::String, t) | (t, DataType::String) if t.is_temporal() => Some(t.clone()),
        _ => None,
    })
}

fn castable(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    if from == to || *from == Null {
        return true;
    }
    match (from, to) {
        (a, b) if a.is_numeric() && b.is_numeric() => true,
        (String, _) | (_, String) => !matches!(
            (from, to),
            (Struct(_), _) | (_, Struct(_)) | (Array(_), _) | (_, Array(_))
        ),
        (Int64, Bool) | (Bool, Int64) => true,
        (Date, Datetime | Timestamp)
        | (Datetime, Date | Timestamp | Time)
        | (Timestamp, Date | Datetime | Time) => true,
        _ => false,
    }
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
