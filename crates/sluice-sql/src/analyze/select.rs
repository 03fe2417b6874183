//! `SELECT`: the projection, `WHERE`, grouping and aggregation, `HAVING`, `DISTINCT`.

use super::*;

impl Binder<'_> {
    pub(super) fn select(&mut self, select: &ast::Select) -> Option<Plan> {
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

    pub(super) fn project(
        &mut self,
        select: &ast::Select,
        plan: Plan,
        scope: &Scope,
    ) -> Option<Plan> {
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

    pub(super) fn aggregate_select(
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
}

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
