//! `FROM`: named sources and subqueries, window table-valued functions (`TUMBLE`,
//! `HOP`, `SESSION`), joins and the streaming rules for joins.

use super::*;

impl Binder<'_> {
    pub(super) fn table_with_joins(&mut self, twj: &ast::TableWithJoins) -> Option<(Plan, Scope)> {
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

    pub(super) fn table_factor(&mut self, factor: &ast::TableFactor) -> Option<(Plan, Scope)> {
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

    pub(super) fn named_table(&mut self, name: &ast::ObjectName) -> Option<Plan> {
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

    pub(super) fn window_function(
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

    pub(super) fn descriptor(
        &mut self,
        expr: &ast::Expr,
        fname: &str,
        usage: &str,
    ) -> Option<String> {
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

    pub(super) fn duration(&mut self, expr: &ast::Expr, fname: &str, usage: &str) -> Option<i64> {
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

    pub(super) fn cross_join(
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

    pub(super) fn join(
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
    pub(super) fn check_streaming_join(
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
