//! The analyzed plan written back as one Beam SQL (Calcite dialect) query.
//!
//! Working from the plan rather than the text means every BigQuery-only form the
//! analyzer already resolved — `GROUP BY` ordinals, `HAVING` on select aliases,
//! `USING`, `o.*`, backtick paths, `IF`, `SAFE_DIVIDE`, integer `/` that BigQuery
//! makes FLOAT64 — comes out in Calcite's spelling, with the semantics the
//! simulator showed. Operators are folded into as few `SELECT` blocks as SQL's
//! clause order allows (FROM, WHERE, GROUP BY, HAVING, SELECT, DISTINCT, ORDER BY,
//! LIMIT); a block is wrapped as a subquery only where the next operator cannot
//! join it. Windowed aggregates use Calcite's group windows
//! (`GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)` with `TUMBLE_START`), which Beam
//! SQL runs as event-time windows.
//!
//! What Beam SQL has no equivalent for is an [`Unsupported`], never a guess.

use std::collections::HashSet;
use std::fmt::Write as _;

use sluice_sql::Span;
use sluice_sql::catalog::Source;
use sluice_sql::functions::{DatePart, ScalarFunction};
use sluice_sql::plan::{
    AggregateCall, AggregateFunction, BinaryOp, Column, Expr, JoinKind, Literal, Origin, Plan,
    UnaryOp, WindowKind,
};
use sluice_sql::types::DataType;

mod function;
mod literal;
mod render;
mod reserved;

pub use literal::calcite_type;
use literal::{interval, is_integer, literal};
pub use reserved::ident;

/// Synthetic column ids: aggregate results of the block start here.
const AGG: usize = usize::MAX / 4;
/// The block's `window_start`.
const WINDOW_START: usize = usize::MAX / 2;
/// The block's `window_end`.
const WINDOW_END: usize = WINDOW_START + 1;

/// A construct the plan uses that Beam SQL cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unsupported {
    /// What and why, e.g. "Beam SQL has no SAFE_CAST".
    pub message: String,
    /// How to get the query through.
    pub hint: String,
    /// Where the query wrote what Beam cannot run: the plan node's origin, or as
    /// the error passes out of the expressions and operators around it, theirs.
    pub at: Option<Span>,
}

impl Unsupported {
    /// An error placed by whatever plan node it leaves first.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: hint.into(),
            at: None,
        }
    }

    /// The error placed at `origin`, unless it already has a place.
    pub fn or_at(mut self, origin: Origin) -> Self {
        if self.at.is_none() {
            self.at = origin.span();
        }
        self
    }
}

type Result<T> = std::result::Result<T, Unsupported>;

/// Writes `plan` as a Beam SQL query; `input_name` gives each source's name as a
/// table of the `Sql` transform (its input's key in the pipeline).
pub fn to_beam_sql(plan: &Plan, input_name: &dyn Fn(&Source) -> String) -> Result<String> {
    let mut writer = Writer {
        input_name,
        next_alias: 0,
    };
    let names: Vec<String> = plan.columns().iter().map(|c| c.name.clone()).collect();
    if let Plan::Union { inputs, .. } = plan {
        refuse_stream_union(plan)?;
        // A union at the top needs no SELECT around it.
        let parts: Vec<String> = inputs
            .iter()
            .map(|input| writer.block(input)?.render(&names, 0))
            .collect::<Result<_>>()?;
        return Ok(parts.join("\nUNION ALL\n"));
    }
    writer.block(plan)?.render(&names, 0)
}

/// One relation in a block's FROM clause.
#[derive(Debug, Clone)]
struct FromItem {
    /// `orders AS o` or `(\n  SELECT …\n) AS ec`.
    sql: String,
    /// The name its columns are qualified with.
    alias: String,
    /// How it joins the items before it (`None` for the first).
    join: Option<(JoinKind, Option<Expr>)>,
}

/// A `SELECT` being assembled: expressions are over the FROM columns
/// (`Expr::Column` indexes into `from_cols`), the block's aggregates (`AGG + i`)
/// and its window bounds.
#[derive(Debug, Clone)]
struct Block {
    from: Vec<FromItem>,
    /// `(from item, column name, type)` of every FROM column, in order.
    from_cols: Vec<(usize, String, DataType)>,
    /// The block's output columns.
    cols: Vec<Expr>,
    where_: Vec<Expr>,
    window: Option<(WindowKind, Expr)>,
    group: Option<Vec<Expr>>,
    aggs: Vec<AggregateCall>,
    having: Vec<Expr>,
    distinct: bool,
    order: Vec<(Expr, bool)>,
    limit: Option<(u64, u64)>,
}

struct Writer<'a> {
    input_name: &'a dyn Fn(&Source) -> String,
    next_alias: usize,
}

fn column(index: usize, name: &str, data_type: DataType) -> Expr {
    Expr::Column {
        index,
        name: name.to_owned(),
        data_type,
        origin: Origin::NONE,
    }
}

/// `e` with its column references replaced by the block's output expressions.
fn substitute(e: &Expr, cols: &[Expr]) -> Expr {
    e.map_columns(&mut |i, name, t| {
        cols.get(i)
            .cloned()
            .unwrap_or_else(|| column(i, name, t.clone()))
    })
}

fn reads(e: &Expr, pred: impl Fn(usize) -> bool) -> bool {
    let mut found = false;
    e.visit_columns(&mut |i| found |= pred(i));
    found
}

fn reads_window(e: &Expr) -> bool {
    reads(e, |i| i == WINDOW_START || i == WINDOW_END)
}

impl Writer<'_> {
    fn fresh_alias(&mut self) -> String {
        self.next_alias += 1;
        format!("t{}", self.next_alias)
    }

    /// The block of `plan`; an error from inside it that has no place yet is
    /// placed at the operator.
    fn block(&mut self, plan: &Plan) -> Result<Block> {
        self.operator(plan).map_err(|u| u.or_at(plan.origin()))
    }

    fn operator(&mut self, plan: &Plan) -> Result<Block> {
        match plan {
            Plan::Scan {
                source, columns, ..
            } => Ok(self.scan(source, columns)),
            Plan::Filter {
                input, predicate, ..
            } => {
                let mut b = self.block(input)?;
                if b.distinct || b.limit.is_some() || !b.order.is_empty() {
                    b = self.wrap(b, input.columns(), None)?;
                }
                let p = substitute(predicate, &b.cols);
                if b.group.is_some() {
                    b.having.push(p);
                } else if reads_window(&p) {
                    return Err(window_outside_group());
                } else {
                    b.where_.push(p);
                }
                Ok(b)
            }
            Plan::Project { input, exprs, .. } => {
                let mut b = self.block(input)?;
                if b.distinct || b.limit.is_some() {
                    b = self.wrap(b, input.columns(), None)?;
                }
                b.cols = exprs.iter().map(|e| substitute(e, &b.cols)).collect();
                Ok(b)
            }
            Plan::Window {
                input,
                kind,
                time_column,
                ..
            } => {
                let mut b = self.block(input)?;
                // Calcite validates a group window's time only as a column: over an
                // expression (a topic's time cast back from text) its monotonicity
                // check fails (Calcite 1.26 throws a NullPointerException in
                // `SqlOperatorBinding.getOperandMonotonicity`), so such a column is
                // computed in a subquery first.
                let bare_time = matches!(b.cols.get(*time_column), Some(Expr::Column { index, .. }) if *index < AGG);
                if b.group.is_some()
                    || b.distinct
                    || b.limit.is_some()
                    || b.window.is_some()
                    || !bare_time
                {
                    b = self.wrap(b, input.columns(), None)?;
                }
                let time = b
                    .cols
                    .get(*time_column)
                    .cloned()
                    .ok_or_else(|| internal("the window's time column is missing"))?;
                b.window = Some((*kind, time));
                b.cols
                    .push(column(WINDOW_START, "window_start", DataType::Timestamp));
                b.cols
                    .push(column(WINDOW_END, "window_end", DataType::Timestamp));
                Ok(b)
            }
            Plan::Aggregate {
                input,
                group,
                aggregates,
                ..
            } => {
                let mut b = self.block(input)?;
                if b.group.is_some() || b.distinct || b.limit.is_some() {
                    b = self.wrap(b, input.columns(), None)?;
                }
                let group: Vec<Expr> = group.iter().map(|e| substitute(e, &b.cols)).collect();
                let aggs: Vec<AggregateCall> = aggregates
                    .iter()
                    .map(|a| AggregateCall {
                        arg: a.arg.as_ref().map(|e| substitute(e, &b.cols)),
                        ..a.clone()
                    })
                    .collect();
                self.group_by(b, group, aggs)
            }
            Plan::Join {
                left,
                right,
                kind,
                keys,
                residual,
                columns,
                ..
            } => {
                // The join's own columns carry the aliases the query gave each side.
                let (l, r) = columns.split_at(left.columns().len().min(columns.len()));
                let aliases = (common_qualifier(l), common_qualifier(r));
                self.join(left, right, *kind, keys, residual.as_ref(), aliases)
            }
            Plan::Distinct { input, .. } => {
                let mut b = self.block(input)?;
                if b.limit.is_some() || b.distinct {
                    b = self.wrap(b, input.columns(), None)?;
                }
                if b.window.is_some() && b.group.is_none() {
                    // Distinct rows per window: Beam SQL's spelling is a GROUP BY of the window.
                    let keys = b.cols.clone();
                    return self.group_by(b, keys, vec![]);
                }
                b.distinct = true;
                Ok(b)
            }
            Plan::Sort { input, .. } => {
                // Without a LIMIT the order of rows means nothing to either
                // destination (a table, a topic), and Beam SQL refuses it anyway
                // (`BeamSortRel`: "ORDER BY without a LIMIT is not supported!"), so
                // the sort is left out. With a LIMIT it is written by `Plan::Limit`.
                self.block(input)
            }
            Plan::Limit {
                input,
                count,
                offset,
                ..
            } => {
                let (sorted, keys) = match input.as_ref() {
                    Plan::Sort { input, keys, .. } => (input.as_ref(), keys.as_slice()),
                    other => (other, &[][..]),
                };
                if !keys.is_empty() {
                    check_sort(sorted, keys)?;
                }
                let mut b = self.block(sorted)?;
                if b.limit.is_some() || (!keys.is_empty() && b.distinct) {
                    b = self.wrap(b, sorted.columns(), None)?;
                }
                b.order = keys
                    .iter()
                    .map(|(e, asc)| (substitute(e, &b.cols), *asc))
                    .collect();
                b.limit = Some((*count, *offset));
                Ok(b)
            }
            Plan::Union {
                inputs, columns, ..
            } => {
                refuse_stream_union(plan)?;
                let names: Vec<String> = unique_names(columns);
                let mut parts = Vec::with_capacity(inputs.len());
                for input in inputs {
                    let b = self.block(input)?;
                    parts.push(b.render(&names, 1)?);
                }
                let alias = self.fresh_alias();
                let sql = parts.join(&format!("\n{}UNION ALL\n", indent(1)));
                Ok(Block::subquery(&sql, alias, &names, columns))
            }
        }
    }

    /// `b` grouped by `group` (over its FROM) with `aggs`: the group keys, then the aggregates.
    fn group_by(
        &mut self,
        mut b: Block,
        group: Vec<Expr>,
        aggs: Vec<AggregateCall>,
    ) -> Result<Block> {
        for g in &group {
            let bare = matches!(g, Expr::Column { index, .. } if *index == WINDOW_START || *index == WINDOW_END);
            if !bare && reads_window(g) {
                return Err(window_outside_group());
            }
        }
        if aggs
            .iter()
            .any(|a| a.arg.as_ref().is_some_and(reads_window))
        {
            return Err(window_outside_group());
        }
        if b.window.is_some() && !group.iter().any(reads_window) {
            return Err(Unsupported::new(
                "Beam SQL windows rows only in GROUP BY, and this aggregate does not group by the window",
                "add window_start to the GROUP BY",
            ));
        }
        let mut cols = group.clone();
        cols.extend(
            aggs.iter()
                .enumerate()
                .map(|(i, a)| column(AGG + i, a.function.name(), a.data_type.clone())),
        );
        b.cols = cols;
        b.group = Some(group);
        b.aggs = aggs;
        Ok(b)
    }

    fn scan(&mut self, source: &Source, columns: &[Column]) -> Block {
        let name = (self.input_name)(source);
        // A table referred to by its own name is referred to by its input's name.
        let alias = columns
            .first()
            .and_then(|c| c.qualifier.clone())
            .filter(|q| *q != source.name)
            .unwrap_or_else(|| name.clone());
        let sql = if alias == name {
            ident(&name)
        } else {
            format!("{} AS {}", ident(&name), ident(&alias))
        };
        let mut b = Block::over(
            FromItem {
                sql,
                alias,
                join: None,
            },
            columns
                .iter()
                .map(|c| (c.name.clone(), c.data_type.clone())),
        );
        // A Pub/Sub message's JSON has no TIMESTAMP, DATE or NUMERIC: those fields
        // arrive as text or numbers (see `python::topic_cast_back`) and are cast
        // back here, a missing time's `''` read as NULL.
        if !source.is_bounded() {
            for (i, c) in columns.iter().enumerate() {
                let Some(field) = source.schema.iter().find(|f| f.name == c.name) else {
                    continue;
                };
                let Some(back) = crate::python::topic_cast_back(field) else {
                    continue;
                };
                let mut read = b.cols[i].clone();
                if back.nullable_text {
                    read = Expr::Function {
                        function: ScalarFunction::Nullif,
                        args: vec![
                            read,
                            Expr::Literal {
                                value: Literal::String(String::new()),
                                data_type: DataType::String,
                                origin: Origin::NONE,
                            },
                        ],
                        data_type: DataType::String,
                        origin: Origin::NONE,
                    };
                }
                b.cols[i] = Expr::Cast {
                    expr: Box::new(read),
                    data_type: c.data_type.clone(),
                    safe: false,
                    origin: Origin::NONE,
                };
            }
        }
        b
    }

    /// Renders `b` as a subquery and starts a block over it.
    fn wrap(&mut self, b: Block, columns: &[Column], alias: Option<String>) -> Result<Block> {
        if b.group.is_none() && b.cols.iter().any(reads_window) {
            return Err(window_outside_group());
        }
        let names = unique_names(columns);
        let sql = b.render(&names, 1)?;
        let alias = alias.unwrap_or_else(|| self.fresh_alias());
        Ok(Block::subquery(&sql, alias, &names, columns))
    }

    fn join(
        &mut self,
        left: &Plan,
        right: &Plan,
        kind: JoinKind,
        keys: &[(Expr, Expr)],
        residual: Option<&Expr>,
        (left_alias, right_alias): (Option<String>, Option<String>),
    ) -> Result<Block> {
        let mut l = self.block(left)?;
        let keeps_where = matches!(kind, JoinKind::Inner | JoinKind::Left | JoinKind::Cross);
        if l.group.is_some()
            || l.window.is_some()
            || l.distinct
            || l.limit.is_some()
            || !l.order.is_empty()
            || (!l.where_.is_empty() && !keeps_where)
        {
            l = self.wrap(l, left.columns(), left_alias)?;
        }
        let mut r = self.block(right)?;
        let plain = r.from.len() == 1
            && r.where_.is_empty()
            && r.group.is_none()
            && r.window.is_none()
            && !r.distinct
            && r.limit.is_none()
            && r.order.is_empty();
        if !plain {
            r = self.wrap(r, right.columns(), right_alias)?;
        }
        // The right relation's alias must not clash with one already in the FROM.
        let taken: HashSet<&str> = l.from.iter().map(|f| f.alias.as_str()).collect();
        let mut item = r.from.remove(0);
        if taken.contains(item.alias.as_str()) {
            let fresh = self.fresh_alias();
            item.sql = match item.sql.rsplit_once(" AS ") {
                Some((head, _)) => format!("{head} AS {}", ident(&fresh)),
                None => format!("{} AS {}", item.sql, ident(&fresh)),
            };
            item.alias = fresh;
        }
        let offset = l.from_cols.len();
        let item_index = l.from.len();
        let shift = |e: &Expr| e.map_columns(&mut |i, n, t| column(i + offset, n, t.clone()));
        let right_cols: Vec<Expr> = r.cols.iter().map(shift).collect();
        let mut conditions: Vec<Expr> = keys
            .iter()
            .map(|(a, b)| Expr::Binary {
                op: BinaryOp::Eq,
                left: Box::new(substitute(a, &l.cols)),
                right: Box::new(substitute(b, &right_cols)),
                data_type: DataType::Bool,
                origin: Origin::NONE,
            })
            .collect();
        let mut all_cols = l.cols.clone();
        all_cols.extend(right_cols.iter().cloned());
        if let Some(residual) = residual {
            let residual = substitute(residual, &all_cols);
            if kind == JoinKind::Inner || kind == JoinKind::Cross {
                // Beam SQL joins on equalities only; for an inner join the rest of the
                // condition is the same as a WHERE.
                l.where_.push(residual);
            } else {
                return Err(Unsupported::new(
                    format!(
                        "Beam SQL joins on equalities only, and this {} JOIN's condition has more",
                        kind.sql()
                    ),
                    "keep only `a.x = b.y` conditions in ON and filter the rest in a subquery",
                ));
            }
        }
        let on = conditions.drain(..).reduce(|a, b| Expr::Binary {
            op: BinaryOp::And,
            left: Box::new(a),
            right: Box::new(b),
            data_type: DataType::Bool,
            origin: Origin::NONE,
        });
        if on.is_none() {
            // `BeamJoinRel` refuses a join whose condition is a literal: "CROSS JOIN,
            // JOIN ON FALSE is not supported!"; comma joins are the same join.
            return Err(Unsupported::new(
                "Beam SQL needs an equality between the two sides of a join; it refuses CROSS JOIN and comma joins (BeamJoinRel)",
                "join ON a column of each side, e.g. `ON a.id = b.id`",
            ));
        }
        item.join = Some((kind, on));
        l.from.push(item);
        l.from_cols.extend(
            r.from_cols
                .into_iter()
                .map(|(_, name, t)| (item_index, name, t)),
        );
        l.cols = all_cols;
        Ok(l)
    }
}

fn window_outside_group() -> Unsupported {
    Unsupported::new(
        "Beam SQL gives window_start and window_end only to an aggregate grouped by the window",
        "group by window_start (and window_end) and use them only in that SELECT",
    )
}

/// Beam SQL runs `UNION ALL` as a set operation (`BeamSetOperatorRelBase`) that
/// groups every row by its value in a `CoGroupByKey`; on a stream in the global
/// window that grouping never fires, and Beam refuses it at expansion
/// ("GroupByKey cannot be applied to non-bounded PCollection in the GlobalWindow
/// without a trigger").
fn refuse_stream_union(plan: &Plan) -> Result<()> {
    if plan.is_bounded() {
        return Ok(());
    }
    Err(Unsupported::new(
        "Beam SQL runs UNION ALL as a grouping of every row, which Beam refuses on a stream (BeamSetOperatorRelBase)",
        "deploy each branch as its own query, or union only BigQuery tables",
    )
    .or_at(plan.origin()))
}

/// What Beam's `ORDER BY … LIMIT` can do: it keeps the top rows with `Top`, a
/// grouping in the global window, so only of bounded input, and it compares
/// values only of some types (`BeamSortRel.BeamSqlRowComparator`: integers,
/// floats, VARCHAR, DATE, TIMESTAMP).
fn check_sort(input: &Plan, keys: &[(Expr, bool)]) -> Result<()> {
    if !input.is_bounded() {
        return Err(Unsupported::new(
            "Beam SQL sorts only bounded input (BeamSortRel keeps the top rows in the global window)",
            "sort and limit a BigQuery table's rows, not the stream",
        ));
    }
    for (e, _) in keys {
        let t = e.data_type();
        if !matches!(
            t,
            DataType::Int64
                | DataType::Float64
                | DataType::String
                | DataType::Date
                | DataType::Timestamp
                | DataType::Datetime
        ) {
            return Err(Unsupported::new(
                format!(
                    "Beam SQL cannot ORDER BY a {t} (BeamSortRel compares numbers, strings, dates and timestamps)"
                ),
                "order by a column of one of those types",
            )
            .or_at(e.origin()));
        }
    }
    Ok(())
}

fn internal(what: &str) -> Unsupported {
    Unsupported::new(format!("internal: {what}"), "please report this query")
}

/// The qualifier every column shares (a CTE's or subquery's alias), if any.
fn common_qualifier(columns: &[Column]) -> Option<String> {
    let first = columns.first()?.qualifier.clone()?;
    columns
        .iter()
        .all(|c| c.qualifier.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Output names a subquery can carry: `$agg0` becomes `agg0`, repeats get `_2`, `_3`.
fn unique_names(columns: &[Column]) -> Vec<String> {
    let mut seen = HashSet::new();
    columns
        .iter()
        .map(|c| {
            let base: String = c
                .name
                .chars()
                .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
                .collect();
            let base = if base.is_empty() || base.starts_with(|ch: char| ch.is_ascii_digit()) {
                format!("c_{base}")
            } else {
                base
            };
            let mut name = base.clone();
            let mut n = 1;
            while !seen.insert(name.to_ascii_lowercase()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            name
        })
        .collect()
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

impl Block {
    /// A block over `(sql) AS alias`, whose columns are `columns` named `names`.
    fn subquery(sql: &str, alias: String, names: &[String], columns: &[Column]) -> Self {
        Self::over(
            FromItem {
                sql: format!("(\n{sql}\n) AS {}", ident(&alias)),
                alias,
                join: None,
            },
            names
                .iter()
                .zip(columns)
                .map(|(n, c)| (n.clone(), c.data_type.clone())),
        )
    }

    fn over(item: FromItem, columns: impl Iterator<Item = (String, DataType)>) -> Self {
        let from_cols: Vec<(usize, String, DataType)> =
            columns.map(|(name, t)| (0, name, t)).collect();
        let cols = from_cols
            .iter()
            .enumerate()
            .map(|(i, (_, name, t))| column(i, name, t.clone()))
            .collect();
        Self {
            from: vec![item],
            from_cols,
            cols,
            where_: vec![],
            window: None,
            group: None,
            aggs: vec![],
            having: vec![],
            distinct: false,
            order: vec![],
            limit: None,
        }
    }
}
