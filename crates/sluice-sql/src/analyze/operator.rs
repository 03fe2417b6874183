//! Literals, operators and BigQuery's coercions between their operands.

use super::*;

impl Binder<'_> {
    pub(super) fn literal(&mut self, value: &ast::Value, span: Span) -> Option<Expr> {
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

    pub(super) fn null_comparison(&mut self, span: Span, what: &str) {
        self.diagnostics.push(
            Diagnostic::warning(
                Code::NullComparison,
                span,
                format!("`{what}` is never true: a comparison with NULL gives NULL, not TRUE"),
            )
            .with_hint("use IS NULL or IS NOT NULL"),
        );
    }

    pub(super) fn supertype(
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
    pub(super) fn coerce_literal(
        &mut self,
        e: Expr,
        target: &DataType,
        node: &ast::Expr,
    ) -> Option<Expr> {
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
    pub(super) fn binary(
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
}
