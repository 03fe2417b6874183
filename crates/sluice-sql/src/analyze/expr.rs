//! Expressions: binding each AST node to a typed plan expression with its origin,
//! GROUP BY keys inside aggregating queries, column references.

use super::*;

impl Binder<'_> {
    pub(super) fn expect_bool(&mut self, e: &Expr, span: Span, clause: &str) {
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
    pub(super) fn expr(
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
    pub(super) fn placed(&self, bound: Expr, node: &ast::Expr) -> Expr {
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
    pub(super) fn group_key(
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
    pub(super) fn expr_node(
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

    pub(super) fn column(
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
    pub(super) fn compound(
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
}

fn bound_reads_columns(e: &Expr) -> bool {
    let mut reads = false;
    e.visit_columns(&mut |_| reads = true);
    reads
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
