//! A block as Beam SQL text: the SELECT with its FROM, WHERE, GROUP BY and ORDER BY,
//! and every expression in Calcite's spelling, typed as BigQuery types it.

use super::*;

impl Block {
    /// The block as SQL text, its output columns named `names`, indented `depth` levels.
    pub(super) fn render(&self, names: &[String], depth: usize) -> Result<String> {
        let pad = indent(depth);
        let mut out = String::new();
        let items: Vec<String> = self
            .cols
            .iter()
            .zip(names)
            .map(|(e, name)| {
                let mut sql = self.expr(e)?;
                if e.data_type() == DataType::Int64 && !self.is_bigint(e) {
                    // Calcite types integer literals, MOD, CASE over literals and
                    // SUM of them as 32-bit INTEGER; BigQuery's are INT64.
                    sql = format!("CAST({sql} AS BIGINT)");
                }
                let same_name = sql == ident(name) || sql.ends_with(&format!(".{}", ident(name)));
                Ok(
                    if same_name && matches!(e, Expr::Column { index, .. } if *index < AGG) {
                        sql
                    } else {
                        format!("{sql} AS {}", ident(name))
                    },
                )
            })
            .collect::<Result<_>>()?;
        let _ = write!(
            out,
            "{pad}SELECT{}\n{pad}  {}",
            if self.distinct { " DISTINCT" } else { "" },
            items.join(&format!(",\n{pad}  "))
        );
        let _ = write!(out, "\n{pad}FROM");
        for (i, item) in self.from.iter().enumerate() {
            let sql = item.sql.replace('\n', &format!("\n{pad}  "));
            match &item.join {
                None if i == 0 => {
                    let _ = write!(out, "\n{pad}  {sql}");
                }
                None => {
                    let _ = write!(out, ",\n{pad}  {sql}");
                }
                Some((JoinKind::Cross, _)) => {
                    let _ = write!(out, "\n{pad}CROSS JOIN\n{pad}  {sql}");
                }
                Some((kind, on)) => {
                    let _ = write!(out, "\n{pad}{} JOIN\n{pad}  {sql}", kind.sql());
                    if let Some(on) = on {
                        let _ = write!(out, "\n{pad}ON\n{pad}  {}", self.expr(on)?);
                    }
                }
            }
        }
        if !self.where_.is_empty() {
            let _ = write!(
                out,
                "\n{pad}WHERE\n{pad}  {}",
                self.conjunction(&self.where_)?
            );
        }
        if let Some(group) = &self.group {
            let mut keys = Vec::new();
            let mut window_done = false;
            for g in group {
                if reads_window(g) {
                    if !window_done {
                        keys.push(self.window_call("")?);
                        window_done = true;
                    }
                } else {
                    keys.push(self.expr(g)?);
                }
            }
            if !keys.is_empty() {
                let _ = write!(
                    out,
                    "\n{pad}GROUP BY\n{pad}  {}",
                    keys.join(&format!(",\n{pad}  "))
                );
            }
        }
        if !self.having.is_empty() {
            let _ = write!(
                out,
                "\n{pad}HAVING\n{pad}  {}",
                self.conjunction(&self.having)?
            );
        }
        if !self.order.is_empty() {
            let keys: Vec<String> = self
                .order
                .iter()
                .map(|(e, asc)| {
                    Ok(format!(
                        "{}{}",
                        self.expr(e)?,
                        if *asc { "" } else { " DESC" }
                    ))
                })
                .collect::<Result<_>>()?;
            let _ = write!(
                out,
                "\n{pad}ORDER BY\n{pad}  {}",
                keys.join(&format!(",\n{pad}  "))
            );
        }
        if let Some((count, offset)) = self.limit {
            let _ = write!(out, "\n{pad}LIMIT {count}");
            if offset > 0 {
                let _ = write!(out, " OFFSET {offset}");
            }
        }
        Ok(out)
    }

    /// Whether Calcite types `e` (an INT64 in the plan) as BIGINT already: a
    /// column of the FROM (inputs are BIGINT, subqueries cast), a count, or an
    /// aggregate of such a column.
    pub(super) fn is_bigint(&self, e: &Expr) -> bool {
        match e {
            Expr::Column { index, .. } if *index >= AGG => {
                self.aggs
                    .get(index - AGG)
                    .is_some_and(|a| match a.function {
                        AggregateFunction::Count
                        | AggregateFunction::CountStar
                        | AggregateFunction::CountIf => true,
                        _ => a.arg.as_ref().is_some_and(
                            |arg| matches!(arg, Expr::Column { index, .. } if *index < AGG),
                        ),
                    })
            }
            Expr::Column { .. } => true,
            Expr::Cast { .. } => true,
            // Written as BIGINT by `function`: lengths and STRPOS are cast, time
            // differences counted in nanoseconds, EXTRACT is BIGINT in Calcite.
            Expr::Function { function, .. } => matches!(
                function,
                ScalarFunction::Length
                    | ScalarFunction::CharLength
                    | ScalarFunction::CharacterLength
                    | ScalarFunction::Strpos
                    | ScalarFunction::TimestampDiff
                    | ScalarFunction::UnixSeconds
                    | ScalarFunction::UnixMillis
                    | ScalarFunction::UnixMicros
                    | ScalarFunction::Extract
            ),
            _ => false,
        }
    }

    pub(super) fn conjunction(&self, parts: &[Expr]) -> Result<String> {
        let rendered: Vec<String> = parts
            .iter()
            .map(|p| {
                let s = self.expr(p)?;
                Ok(
                    if parts.len() > 1
                        && matches!(
                            p,
                            Expr::Binary {
                                op: BinaryOp::Or,
                                ..
                            }
                        )
                    {
                        format!("({s})")
                    } else {
                        s
                    },
                )
            })
            .collect::<Result<_>>()?;
        Ok(rendered.join(" AND "))
    }

    /// `TUMBLE(ts, INTERVAL '1' MINUTE)`, or with `suffix` `_START`/`_END` the bound.
    pub(super) fn window_call(&self, suffix: &str) -> Result<String> {
        let (kind, time) = self.window.as_ref().ok_or_else(window_outside_group)?;
        let time = self.expr(time)?;
        Ok(match kind {
            WindowKind::Tumble { size_micros } => {
                format!("TUMBLE{suffix}({time}, {})", interval(*size_micros)?)
            }
            WindowKind::Hop {
                slide_micros,
                size_micros,
            } => format!(
                "HOP{suffix}({time}, {}, {})",
                interval(*slide_micros)?,
                interval(*size_micros)?
            ),
            // Calcite's SESSION_END is the session's start (`AuxiliaryConverter`:
            // `case SESSION_END: return e;`). A session's window is [first event,
            // last event + gap) in Beam's `Sessions` and in the simulator, so its
            // end is the latest event time of the group plus the gap.
            WindowKind::Session { gap_micros } if suffix == "_END" => {
                format!("(MAX({time}) + {})", interval(*gap_micros)?)
            }
            WindowKind::Session { gap_micros } => {
                format!("SESSION{suffix}({time}, {})", interval(*gap_micros)?)
            }
        })
    }

    pub(super) fn column_ref(&self, index: usize, force_qualified: bool) -> Result<String> {
        let (item, name, _) = self
            .from_cols
            .get(index)
            .ok_or_else(|| internal("a column outside its FROM"))?;
        let name = ident(name);
        Ok(if self.from.len() > 1 || force_qualified {
            let alias = &self
                .from
                .get(*item)
                .ok_or_else(|| internal("a FROM item is missing"))?
                .alias;
            format!("{}.{name}", ident(alias))
        } else {
            name
        })
    }

    /// `e` as Beam SQL; an error from inside it that has no place yet is placed
    /// at the innermost expression written in the query.
    pub(super) fn expr(&self, e: &Expr) -> Result<String> {
        self.expr_text(e).map_err(|u| u.or_at(e.origin()))
    }

    pub(super) fn expr_text(&self, e: &Expr) -> Result<String> {
        Ok(match e {
            Expr::Column { index, .. } if *index == WINDOW_START => self.window_call("_START")?,
            Expr::Column { index, .. } if *index == WINDOW_END => self.window_call("_END")?,
            Expr::Column { index, .. } if *index >= AGG => {
                let call = self
                    .aggs
                    .get(index - AGG)
                    .ok_or_else(|| internal("an aggregate outside its block"))?;
                self.aggregate(call)?
            }
            Expr::Column { index, .. } => self.column_ref(*index, false)?,
            Expr::Field { expr, name, .. } => {
                let base = match expr.as_ref() {
                    Expr::Column { index, .. } if *index < AGG => self.column_ref(*index, true)?,
                    other => self.atom(other)?,
                };
                format!("{base}.{}", ident(name))
            }
            Expr::Literal {
                value, data_type, ..
            } => literal(value, data_type)?,
            Expr::Binary {
                op: BinaryOp::Divide,
                left,
                right,
                data_type,
                ..
            } => {
                // BigQuery's `/` is never integer division; Calcite's is for integers.
                let l = self.atom(left)?;
                let l = if is_integer(&left.data_type()) && is_integer(&right.data_type()) {
                    format!("CAST({l} AS {})", calcite_type(data_type)?)
                } else {
                    l
                };
                format!("{l} / {}", self.atom(right)?)
            }
            Expr::Binary {
                op, left, right, ..
            } => {
                let symbol = match op {
                    BinaryOp::NotEq => "<>",
                    other => other.symbol(),
                };
                format!("{} {symbol} {}", self.atom(left)?, self.atom(right)?)
            }
            Expr::Unary { op, expr, .. } => {
                let x = self.atom(expr)?;
                match op {
                    UnaryOp::Not => format!("NOT {x}"),
                    UnaryOp::Negate => format!("-{x}"),
                    UnaryOp::IsNull => format!("{x} IS NULL"),
                    UnaryOp::IsNotNull => format!("{x} IS NOT NULL"),
                    UnaryOp::IsTrue => format!("{x} IS TRUE"),
                    UnaryOp::IsFalse => format!("{x} IS FALSE"),
                }
            }
            Expr::Function { function, args, .. } => self.function(*function, args)?,
            Expr::Cast {
                expr,
                data_type,
                safe,
                ..
            } => {
                if *safe {
                    return Err(Unsupported::new(
                        "Beam SQL has no SAFE_CAST: a value that does not convert fails the pipeline",
                        "use CAST, and filter out values that would not convert",
                    ));
                }
                format!("CAST({} AS {})", self.expr(expr)?, calcite_type(data_type)?)
            }
            Expr::Case {
                branches,
                otherwise,
                ..
            } => {
                let mut s = String::from("CASE");
                for (c, r) in branches {
                    let _ = write!(s, " WHEN {} THEN {}", self.expr(c)?, self.expr(r)?);
                }
                if !otherwise.is_null_literal() {
                    let _ = write!(s, " ELSE {}", self.expr(otherwise)?);
                }
                s.push_str(" END");
                s
            }
            Expr::InList {
                expr,
                list,
                negated,
                ..
            } => {
                let items: Vec<String> =
                    list.iter().map(|e| self.expr(e)).collect::<Result<_>>()?;
                format!(
                    "{} {}IN ({})",
                    self.atom(expr)?,
                    if *negated { "NOT " } else { "" },
                    items.join(", ")
                )
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
                ..
            } => format!(
                "{} {}BETWEEN {} AND {}",
                self.atom(expr)?,
                if *negated { "NOT " } else { "" },
                self.atom(low)?,
                self.atom(high)?
            ),
            Expr::Like {
                expr,
                pattern,
                negated,
                ..
            } => format!(
                "{} {}LIKE {}",
                self.atom(expr)?,
                if *negated { "NOT " } else { "" },
                self.atom(pattern)?
            ),
        })
    }

    /// An operand: parenthesized unless it binds tighter than any operator.
    pub(super) fn atom(&self, e: &Expr) -> Result<String> {
        let s = self.expr(e)?;
        Ok(match e {
            Expr::Binary { .. }
            | Expr::Unary { .. }
            | Expr::InList { .. }
            | Expr::Between { .. }
            | Expr::Like { .. } => format!("({s})"),
            Expr::Literal {
                value: Literal::Int64(i),
                ..
            } if *i < 0 => format!("({s})"),
            Expr::Literal {
                value: Literal::Float64(x),
                ..
            } if *x < 0.0 => format!("({s})"),
            _ => s,
        })
    }

    pub(super) fn aggregate(&self, call: &AggregateCall) -> Result<String> {
        use AggregateFunction::*;
        let arg = match &call.arg {
            Some(a) => self.expr(a)?,
            None => String::new(),
        };
        let distinct = if call.distinct { "DISTINCT " } else { "" };
        Ok(match call.function {
            CountStar => "COUNT(*)".into(),
            Count => format!("COUNT({distinct}{arg})"),
            Sum => format!("SUM({distinct}{arg})"),
            // BigQuery averages integers as FLOAT64; Calcite would keep BIGINT.
            Avg => match &call.arg {
                Some(a) if is_integer(&a.data_type()) => {
                    format!("AVG({distinct}CAST({arg} AS DOUBLE))")
                }
                _ => format!("AVG({distinct}{arg})"),
            },
            Min => format!("MIN({arg})"),
            Max => format!("MAX({arg})"),
            AnyValue => format!("ANY_VALUE({arg})"),
            CountIf => format!("COUNT(CASE WHEN {arg} THEN 1 END)"),
            LogicalAnd => format!("MIN(CASE WHEN {arg} THEN 1 WHEN NOT ({arg}) THEN 0 END) = 1"),
            LogicalOr => format!("MAX(CASE WHEN {arg} THEN 1 WHEN NOT ({arg}) THEN 0 END) = 1"),
        })
    }
}
