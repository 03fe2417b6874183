//! Function calls: aggregates, scalar functions by their signatures, date parts.

use super::*;

impl Binder<'_> {
    pub(super) fn function(
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
    pub(super) fn date_part(
        &mut self,
        function: ScalarFunction,
        word: &str,
        span: Span,
    ) -> Option<DatePart> {
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
    pub(super) fn scalar_call(
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
}
