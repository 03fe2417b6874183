//! Queries: `WITH`, set operations (`UNION ALL`), `ORDER BY` and `LIMIT`.

use super::*;

impl Binder<'_> {
    pub(super) fn query(&mut self, query: &ast::Query) -> Option<Plan> {
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
    pub(super) fn reads_unbounded(&self, body: &ast::SetExpr) -> bool {
        let mut found = false;
        super::walk::each_relation(body, &mut |name| {
            if found {
                return;
            }
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(ident_name))
                .collect();
            found = match self.catalog.lookup(&parts) {
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
        });
        found
    }

    pub(super) fn set_expr(&mut self, body: &ast::SetExpr) -> Option<Plan> {
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
    pub(super) fn union(
        &mut self,
        left: Plan,
        right: Plan,
        span: Span,
        origin: Origin,
    ) -> Option<Plan> {
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

    pub(super) fn order_by(&mut self, plan: Plan, order_by: &ast::OrderBy) -> Option<Plan> {
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

    pub(super) fn limit(&mut self, plan: Plan, limit: &ast::LimitClause) -> Option<Plan> {
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
}
