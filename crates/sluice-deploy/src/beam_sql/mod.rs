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
use sluice_sql::literal;
use sluice_sql::plan::{
    AggregateCall, AggregateFunction, BinaryOp, Column, Expr, JoinKind, Literal, Origin, Plan,
    UnaryOp, WindowKind,
};
use sluice_sql::types::DataType;

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

    /// The block as SQL text, its output columns named `names`, indented `depth` levels.
    fn render(&self, names: &[String], depth: usize) -> Result<String> {
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
    fn is_bigint(&self, e: &Expr) -> bool {
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

    fn conjunction(&self, parts: &[Expr]) -> Result<String> {
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
    fn window_call(&self, suffix: &str) -> Result<String> {
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

    fn column_ref(&self, index: usize, force_qualified: bool) -> Result<String> {
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
    fn expr(&self, e: &Expr) -> Result<String> {
        self.expr_text(e).map_err(|u| u.or_at(e.origin()))
    }

    fn expr_text(&self, e: &Expr) -> Result<String> {
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
    fn atom(&self, e: &Expr) -> Result<String> {
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

    fn aggregate(&self, call: &AggregateCall) -> Result<String> {
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

    fn function(&self, function: ScalarFunction, args: &[Expr]) -> Result<String> {
        use ScalarFunction as F;
        let name = function.name();
        let a: Vec<String> = args.iter().map(|e| self.expr(e)).collect::<Result<_>>()?;
        let at = |i: usize| -> Result<String> {
            args.get(i)
                .map(|e| self.atom(e))
                .transpose()?
                .ok_or_else(|| internal("a function argument is missing"))
        };
        let arg = |i: usize| -> Result<&str> {
            a.get(i)
                .map(String::as_str)
                .ok_or_else(|| internal("a function argument is missing"))
        };
        let part = |i: usize| -> Result<DatePart> {
            match args.get(i) {
                Some(Expr::Literal {
                    value: Literal::DatePart(p),
                    ..
                }) => Ok(*p),
                _ => Err(internal("a date part is not a keyword")),
            }
        };
        let epoch = "TIMESTAMP '1970-01-01 00:00:00'";
        let no = |why: &str, hint: &str| Err(Unsupported::new(why, hint));
        Ok(match function {
            F::Concat => {
                let parts: Vec<String> = (0..a.len()).map(at).collect::<Result<_>>()?;
                if parts.len() == 1 {
                    parts.concat()
                } else {
                    format!("({})", parts.join(" || "))
                }
            }
            F::Upper
            | F::Lower
            | F::Initcap
            | F::Reverse
            | F::Abs
            | F::Sign
            | F::Sqrt
            | F::Exp
            | F::Ln
            | F::Log10
            | F::Floor
            | F::Mod
            | F::Nullif
            | F::Coalesce
            | F::Replace
            | F::StartsWith
            | F::EndsWith
            | F::Round => format!("{name}({})", a.join(", ")),
            // Beam's two-argument RPAD pads on the left; with the pad spelled out
            // both pad as BigQuery does (with spaces by default).
            F::Lpad | F::Rpad => match a.len() {
                2 => format!("{name}({}, {}, ' ')", arg(0)?, arg(1)?),
                _ => format!("{name}({})", a.join(", ")),
            },
            F::Ceil | F::Ceiling => format!("CEIL({})", arg(0)?),
            F::Pow | F::Power => format!("POWER({})", a.join(", ")),
            F::Trunc => format!("TRUNCATE({})", a.join(", ")),
            F::Log => match a.len() {
                1 => format!("LN({})", arg(0)?),
                _ => format!("(LN({}) / LN({}))", arg(0)?, arg(1)?),
            },
            F::Length | F::CharLength | F::CharacterLength => {
                // Calcite's lengths are INTEGER; BigQuery's are INT64.
                if args.first().map(Expr::data_type) == Some(DataType::Bytes) {
                    format!("CAST(LENGTH({}) AS BIGINT)", arg(0)?)
                } else {
                    format!("CAST(CHAR_LENGTH({}) AS BIGINT)", arg(0)?)
                }
            }
            F::Trim | F::Ltrim | F::Rtrim => {
                let side = match function {
                    F::Trim => "BOTH",
                    F::Ltrim => "LEADING",
                    _ => "TRAILING",
                };
                match args.get(1) {
                    None => format!("TRIM({side} FROM {})", arg(0)?),
                    // Calcite trims one character; BigQuery's second argument is a
                    // set of characters, and Beam's conformance throws on more.
                    Some(Expr::Literal {
                        value: Literal::String(chars),
                        ..
                    }) if chars.chars().count() == 1 => {
                        format!("TRIM({side} {} FROM {})", arg(1)?, arg(0)?)
                    }
                    Some(_) => {
                        return no(
                            &format!(
                                "Beam SQL's {name} removes exactly one character, given as a literal"
                            ),
                            "trim a single character such as ' ', or nest one call per character",
                        );
                    }
                }
            }
            F::Substr | F::Substring => {
                if let Some(Expr::Literal {
                    value: Literal::Int64(p),
                    ..
                }) = args.get(1)
                    && *p <= 0
                {
                    return no(
                        "Beam SQL's SUBSTRING does not count positions from the end of the string",
                        "use a position of 1 or more",
                    );
                }
                match a.len() {
                    2 => format!("SUBSTRING({} FROM {})", arg(0)?, arg(1)?),
                    _ => format!("SUBSTRING({} FROM {} FOR {})", arg(0)?, arg(1)?, arg(2)?),
                }
            }
            F::Strpos => format!("CAST(POSITION({} IN {}) AS BIGINT)", arg(1)?, arg(0)?),
            F::Div => format!("({} / {})", at(0)?, at(1)?),
            F::SafeDivide => {
                let l = if is_integer(&args[0].data_type()) {
                    format!("CAST({} AS DOUBLE)", arg(0)?)
                } else {
                    at(0)?
                };
                format!(
                    "CASE WHEN {} = 0 THEN NULL ELSE {l} / {} END",
                    at(1)?,
                    at(1)?
                )
            }
            F::Greatest | F::Least => {
                let cmp = if function == F::Greatest { ">=" } else { "<=" };
                let mut acc = at(0)?;
                for i in 1..a.len() {
                    let next = at(i)?;
                    acc = format!(
                        "(CASE WHEN {acc} IS NULL OR {next} IS NULL THEN NULL WHEN {acc} {cmp} {next} THEN {acc} ELSE {next} END)"
                    );
                }
                acc
            }
            F::If => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                arg(0)?,
                arg(1)?,
                arg(2)?
            ),
            F::Ifnull => format!("COALESCE({})", a.join(", ")),
            F::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
            F::CurrentDate => "CURRENT_DATE".into(),
            F::Timestamp => format!("CAST({} AS TIMESTAMP)", arg(0)?),
            F::Date => format!("CAST({} AS DATE)", arg(0)?),
            F::String => format!("CAST({} AS VARCHAR)", arg(0)?),
            F::TimestampAdd => format!("({} + {})", at(0)?, arg(1)?),
            F::TimestampSub => format!("({} - {})", at(0)?, arg(1)?),
            F::TimestampDiff => {
                let p = part(2)?;
                // Calcite's TIMESTAMPDIFF is a 32-bit INTEGER for every unit but
                // NANOSECOND (`SqlTimestampDiffFunction`), which overflows past
                // 24.8 days in milliseconds; Beam's times are whole milliseconds, so
                // the nanosecond difference divides exactly.
                match p {
                    DatePart::Microsecond => {
                        format!(
                            "(TIMESTAMPDIFF(NANOSECOND, {}, {}) / 1000)",
                            arg(1)?,
                            arg(0)?
                        )
                    }
                    DatePart::Millisecond => {
                        format!(
                            "(TIMESTAMPDIFF(NANOSECOND, {}, {}) / 1000000)",
                            arg(1)?,
                            arg(0)?
                        )
                    }
                    DatePart::Second | DatePart::Minute | DatePart::Hour | DatePart::Day => {
                        format!(
                            "CAST(TIMESTAMPDIFF({p}, {}, {}) AS BIGINT)",
                            arg(1)?,
                            arg(0)?
                        )
                    }
                    DatePart::DayOfWeek
                    | DatePart::DayOfYear
                    | DatePart::Week
                    | DatePart::Month
                    | DatePart::Quarter
                    | DatePart::Year
                    | DatePart::Date => {
                        return no(
                            &format!("Beam SQL counts {p} differences differently from BigQuery"),
                            "use DAY, HOUR, MINUTE, SECOND, MILLISECOND or MICROSECOND",
                        );
                    }
                }
            }
            F::TimestampTrunc => {
                let p = part(1)?;
                match p {
                    DatePart::Week | DatePart::DayOfWeek | DatePart::DayOfYear | DatePart::Date => {
                        return no(
                            &format!("Beam SQL truncates to {p} differently from BigQuery"),
                            "truncate to DAY, MONTH, QUARTER, YEAR or a unit of time",
                        );
                    }
                    DatePart::Microsecond
                    | DatePart::Millisecond
                    | DatePart::Second
                    | DatePart::Minute
                    | DatePart::Hour
                    | DatePart::Day
                    | DatePart::Month
                    | DatePart::Quarter
                    | DatePart::Year => format!("FLOOR({} TO {p})", arg(0)?),
                }
            }
            F::Extract => {
                let p = part(0)?;
                let field = match p {
                    DatePart::DayOfWeek => "DOW",
                    DatePart::DayOfYear => "DOY",
                    // The date of a timestamp (in UTC, as Beam's times are).
                    DatePart::Date => return Ok(format!("CAST({} AS DATE)", arg(1)?)),
                    DatePart::Week | DatePart::Millisecond | DatePart::Microsecond => {
                        return no(
                            &format!("Beam SQL's EXTRACT({p} …) differs from BigQuery's"),
                            "extract SECOND, MINUTE, HOUR, DAY, DAYOFWEEK, DAYOFYEAR, MONTH, QUARTER or YEAR",
                        );
                    }
                    DatePart::Second
                    | DatePart::Minute
                    | DatePart::Hour
                    | DatePart::Day
                    | DatePart::Month
                    | DatePart::Quarter
                    | DatePart::Year => p.name(),
                };
                format!("EXTRACT({field} FROM {})", arg(1)?)
            }
            F::TimestampSeconds => format!("TIMESTAMPADD(SECOND, {}, {epoch})", arg(0)?),
            F::TimestampMillis => format!("TIMESTAMPADD(MILLISECOND, {}, {epoch})", arg(0)?),
            F::TimestampMicros => format!("TIMESTAMPADD(MICROSECOND, {}, {epoch})", arg(0)?),
            // In nanoseconds (BIGINT, see TIMESTAMP_DIFF) divided down; seconds floor
            // as BigQuery's do for times before 1970.
            F::UnixSeconds => {
                let ns = format!("TIMESTAMPDIFF(NANOSECOND, {epoch}, {})", arg(0)?);
                format!(
                    "(({ns} - MOD(MOD({ns}, 1000000000) + 1000000000, 1000000000)) / 1000000000)"
                )
            }
            F::UnixMillis => format!(
                "(TIMESTAMPDIFF(NANOSECOND, {epoch}, {}) / 1000000)",
                arg(0)?
            ),
            F::UnixMicros => format!("(TIMESTAMPDIFF(NANOSECOND, {epoch}, {}) / 1000)", arg(0)?),
            F::RegexpContains | F::RegexpExtract | F::RegexpReplace => {
                return no(
                    &format!("Beam SQL has no {name}"),
                    "use LIKE, POSITION or SUBSTRING",
                );
            }
            F::FormatTimestamp | F::ParseTimestamp => {
                return no(
                    &format!("Beam SQL has no {name}"),
                    "use CAST(… AS VARCHAR) or CAST(… AS TIMESTAMP) with 'YYYY-MM-DD HH:MM:SS' text",
                );
            }
            F::IeeeDivide => {
                return no(
                    "Beam SQL has no IEEE_DIVIDE: dividing by zero fails the pipeline",
                    "use SAFE_DIVIDE",
                );
            }
        })
    }
}

fn is_integer(t: &DataType) -> bool {
    matches!(t, DataType::Int64)
}

/// The Calcite type name for a BigQuery type.
pub fn calcite_type(t: &DataType) -> Result<&'static str> {
    Ok(match t {
        DataType::Bool => "BOOLEAN",
        DataType::Int64 | DataType::Null => "BIGINT",
        DataType::Float64 => "DOUBLE",
        // Calcite's bare DECIMAL has scale 0 (a NUMERIC would lose its fraction);
        // NUMERIC is 38 digits, 9 after the point, within Beam's type system
        // (`BeamRelDataTypeSystem`: precision and scale at most 38).
        DataType::Numeric => "DECIMAL(38, 9)",
        DataType::String => "VARCHAR",
        DataType::Bytes => "VARBINARY",
        DataType::Date => "DATE",
        DataType::Time => "TIME",
        DataType::Datetime | DataType::Timestamp => "TIMESTAMP",
        DataType::BigNumeric => {
            return Err(Unsupported::new(
                "Beam SQL's decimals have at most 38 digits (BeamRelDataTypeSystem); a BIGNUMERIC has 76",
                "use NUMERIC",
            ));
        }
        other => {
            return Err(Unsupported::new(
                format!("Beam SQL cannot CAST to {other}"),
                "cast to a scalar type",
            ));
        }
    })
}

/// A Calcite interval literal for `micros`: the largest unit that divides it.
fn interval(micros: i64) -> Result<String> {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000_000, "DAY"),
        (3_600_000_000, "HOUR"),
        (60_000_000, "MINUTE"),
        (1_000_000, "SECOND"),
    ];
    if micros <= 0 {
        return Err(Unsupported::new(
            "Beam SQL needs a positive interval",
            "use an interval of at least one millisecond",
        ));
    }
    for (size, unit) in UNITS {
        if micros % size == 0 {
            return Ok(format!("INTERVAL '{}' {unit}", micros / size));
        }
    }
    if micros % 1_000 != 0 {
        return Err(Unsupported::new(
            "Beam SQL intervals are whole milliseconds",
            "use an interval in milliseconds or larger units",
        ));
    }
    Ok(format!(
        "INTERVAL '{}.{:03}' SECOND",
        micros / 1_000_000,
        (micros % 1_000_000) / 1_000
    ))
}

fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn literal(value: &Literal, data_type: &DataType) -> Result<String> {
    Ok(match value {
        Literal::Null => match data_type {
            // Calcite's bare NULL has type NULL, which Beam cannot map; BigQuery's
            // untyped NULL is an INT64.
            DataType::Null => "CAST(NULL AS BIGINT)".into(),
            t => format!("CAST(NULL AS {})", calcite_type(t)?),
        },
        Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Literal::Int64(i) => i.to_string(),
        // A Calcite literal with an exponent is a DOUBLE; without, a DECIMAL. A
        // BigQuery float literal is a FLOAT64, so it is always written with one.
        Literal::Float64(x) if x.is_finite() => format!("{x:E}"),
        Literal::Float64(_) => {
            return Err(Unsupported::new(
                "Beam SQL has no literal for infinity or NaN",
                "compare against a large finite number instead",
            ));
        }
        Literal::String(s) => string_literal(s),
        Literal::Bytes(b) => {
            let mut s = String::from("X'");
            for byte in b {
                let _ = write!(s, "{byte:02X}");
            }
            s.push('\'');
            s
        }
        // Calcite's TIMESTAMP has no zone; Beam reads it as UTC, as the plan's
        // value is.
        Literal::Timestamp(us) | Literal::Datetime(us) => {
            format!("TIMESTAMP '{}'", literal::format_civil(*us, b' '))
        }
        Literal::Date(days) => format!("DATE '{}'", literal::format_days(*days)),
        Literal::Time(us) => format!("TIME '{}'", literal::format_time(*us)),
        Literal::Numeric(n) | Literal::BigNumeric(n) => format!(
            "CAST({} AS {})",
            string_literal(&literal::format_numeric(*n)),
            calcite_type(data_type)?
        ),
        Literal::IntervalMicros(us) => interval(*us)?,
        // Read by the function it belongs to (`function`'s `part`), never as a value.
        Literal::DatePart(p) => p.name().to_string(),
    })
}

/// Calcite's reserved words (SQL:2016 and Calcite's own): identifiers spelled like
/// one are quoted.
const RESERVED: &[&str] = &[
    "ABS",
    "ALL",
    "ALLOCATE",
    "ALLOW",
    "ALTER",
    "AND",
    "ANY",
    "ARE",
    "ARRAY",
    "AS",
    "ASC",
    "ASENSITIVE",
    "ASYMMETRIC",
    "AT",
    "ATOMIC",
    "AUTHORIZATION",
    "AVG",
    "BEGIN",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BIT",
    "BLOB",
    "BOOLEAN",
    "BOTH",
    "BY",
    "CALL",
    "CALLED",
    "CARDINALITY",
    "CASCADED",
    "CASE",
    "CAST",
    "CEIL",
    "CEILING",
    "CHAR",
    "CHARACTER",
    "CHARACTER_LENGTH",
    "CHAR_LENGTH",
    "CHECK",
    "CLOB",
    "CLOSE",
    "COALESCE",
    "COLLATE",
    "COLLECT",
    "COLUMN",
    "COMMIT",
    "CONDITION",
    "CONNECT",
    "CONSTRAINT",
    "CONVERT",
    "CORR",
    "CORRESPONDING",
    "COUNT",
    "COVAR_POP",
    "COVAR_SAMP",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_PATH",
    "CURRENT_ROLE",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "CYCLE",
    "DATE",
    "DAY",
    "DEALLOCATE",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELETE",
    "DENSE_RANK",
    "DEREF",
    "DESC",
    "DESCRIBE",
    "DESCRIPTOR",
    "DETERMINISTIC",
    "DISALLOW",
    "DISCONNECT",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "DYNAMIC",
    "EACH",
    "ELEMENT",
    "ELSE",
    "EMPTY",
    "END",
    "EQUALS",
    "ESCAPE",
    "EVERY",
    "EXCEPT",
    "EXEC",
    "EXECUTE",
    "EXISTS",
    "EXP",
    "EXPLAIN",
    "EXTEND",
    "EXTERNAL",
    "EXTRACT",
    "FALSE",
    "FETCH",
    "FILTER",
    "FIRST_VALUE",
    "FLOAT",
    "FLOOR",
    "FOR",
    "FOREIGN",
    "FRAME_ROW",
    "FREE",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUSION",
    "GET",
    "GLOBAL",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "HOLD",
    "HOP",
    "HOUR",
    "IDENTITY",
    "IMPORT",
    "IN",
    "INDICATOR",
    "INITIAL",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERSECTION",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAG",
    "LANGUAGE",
    "LARGE",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LN",
    "LOCAL",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOWER",
    "MATCH",
    "MATCHES",
    "MATCH_NUMBER",
    "MATCH_RECOGNIZE",
    "MAX",
    "MEASURES",
    "MEMBER",
    "MERGE",
    "METHOD",
    "MIN",
    "MINUS",
    "MINUTE",
    "MOD",
    "MODIFIES",
    "MODULE",
    "MONTH",
    "MULTISET",
    "NATIONAL",
    "NATURAL",
    "NCHAR",
    "NCLOB",
    "NEW",
    "NEXT",
    "NO",
    "NONE",
    "NORMALIZE",
    "NOT",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NULLIF",
    "NUMERIC",
    "OCCURRENCES_REGEX",
    "OCTET_LENGTH",
    "OF",
    "OFFSET",
    "OLD",
    "OMIT",
    "ON",
    "ONE",
    "ONLY",
    "OPEN",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OVER",
    "OVERLAPS",
    "OVERLAY",
    "PARAMETER",
    "PARTITION",
    "PATTERN",
    "PER",
    "PERCENT",
    "PERCENTILE_CONT",
    "PERCENTILE_DISC",
    "PERCENT_RANK",
    "PERIOD",
    "PERMUTE",
    "PORTION",
    "POSITION",
    "POSITION_REGEX",
    "POWER",
    "PRECEDES",
    "PRECISION",
    "PREPARE",
    "PREV",
    "PRIMARY",
    "PROCEDURE",
    "RANGE",
    "RANK",
    "READS",
    "REAL",
    "RECURSIVE",
    "REF",
    "REFERENCES",
    "REFERENCING",
    "REGR_AVGX",
    "REGR_AVGY",
    "REGR_COUNT",
    "REGR_INTERCEPT",
    "REGR_R2",
    "REGR_SLOPE",
    "REGR_SXX",
    "REGR_SXY",
    "REGR_SYY",
    "RELEASE",
    "RESET",
    "RESULT",
    "RETURN",
    "RETURNS",
    "REVOKE",
    "RIGHT",
    "ROLLBACK",
    "ROLLUP",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
    "RUNNING",
    "SAVEPOINT",
    "SCOPE",
    "SCROLL",
    "SEARCH",
    "SECOND",
    "SEEK",
    "SELECT",
    "SENSITIVE",
    "SESSION",
    "SESSION_USER",
    "SET",
    "SHOW",
    "SIMILAR",
    "SKIP",
    "SMALLINT",
    "SOME",
    "SPECIFIC",
    "SPECIFICTYPE",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQRT",
    "START",
    "STATIC",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "STREAM",
    "SUBMULTISET",
    "SUBSET",
    "SUBSTRING",
    "SUBSTRING_REGEX",
    "SUCCEEDS",
    "SUM",
    "SYMMETRIC",
    "SYSTEM",
    "SYSTEM_TIME",
    "SYSTEM_USER",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TIMEZONE_HOUR",
    "TIMEZONE_MINUTE",
    "TINYINT",
    "TO",
    "TRAILING",
    "TRANSLATE",
    "TRANSLATE_REGEX",
    "TRANSLATION",
    "TREAT",
    "TRIGGER",
    "TRIM",
    "TRIM_ARRAY",
    "TRUE",
    "TRUNCATE",
    "TUMBLE",
    "UESCAPE",
    "UNION",
    "UNIQUE",
    "UNKNOWN",
    "UNNEST",
    "UPDATE",
    "UPPER",
    "UPSERT",
    "USER",
    "USING",
    "VALUE",
    "VALUES",
    "VALUE_OF",
    "VARBINARY",
    "VARCHAR",
    "VARYING",
    "VAR_POP",
    "VAR_SAMP",
    "VERSIONING",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WIDTH_BUCKET",
    "WINDOW",
    "WITH",
    "WITHIN",
    "WITHOUT",
    "YEAR",
];

/// An identifier as Beam SQL reads it: bare when it is a plain word, else in backticks.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let upper = name.to_ascii_uppercase();
    if plain && RESERVED.binary_search(&upper.as_str()).is_err() {
        name.to_owned()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_words_are_sorted_for_binary_search() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn identifiers_are_quoted_only_when_they_must_be() {
        assert_eq!(ident("customer_id"), "customer_id");
        assert_eq!(ident("timestamp"), "`timestamp`");
        assert_eq!(ident("Value"), "`Value`");
        assert_eq!(ident("order date"), "`order date`");
        assert_eq!(ident("a`b"), "`a``b`");
        assert_eq!(ident("1st"), "`1st`");
    }

    #[test]
    fn intervals_use_the_largest_whole_unit() {
        assert_eq!(interval(60_000_000).as_deref(), Ok("INTERVAL '1' MINUTE"));
        assert_eq!(interval(90_000_000).as_deref(), Ok("INTERVAL '90' SECOND"));
        assert_eq!(
            interval(86_400_000_000 * 2).as_deref(),
            Ok("INTERVAL '2' DAY")
        );
        assert_eq!(
            interval(1_500_000).as_deref(),
            Ok("INTERVAL '1.500' SECOND")
        );
        assert!(interval(1_500).is_err());
        assert!(interval(0).is_err());
    }

    #[test]
    fn literals_take_calcite_spellings() {
        let s = |v: Literal, t: DataType| literal(&v, &t).expect("a literal");
        assert_eq!(
            s(Literal::String("it's".into()), DataType::String),
            "'it''s'"
        );
        assert_eq!(
            s(
                Literal::Timestamp(1_609_459_200_000_000),
                DataType::Timestamp
            ),
            "TIMESTAMP '2021-01-01 00:00:00'"
        );
        assert_eq!(
            s(Literal::Date(18_690), DataType::Date),
            "DATE '2021-03-04'"
        );
        assert_eq!(
            s(
                Literal::Timestamp(1_609_459_200_250_000),
                DataType::Timestamp
            ),
            "TIMESTAMP '2021-01-01 00:00:00.250000'"
        );
        assert_eq!(
            s(Literal::Time(45_296_000_000), DataType::Time),
            "TIME '12:34:56'"
        );
        assert_eq!(
            s(Literal::Numeric(-12_500_000_000), DataType::Numeric),
            "CAST('-12.5' AS DECIMAL(38, 9))"
        );
        assert_eq!(s(Literal::Null, DataType::Int64), "CAST(NULL AS BIGINT)");
        assert_eq!(s(Literal::Bytes(vec![0xab, 1]), DataType::Bytes), "X'AB01'");
        assert_eq!(s(Literal::Float64(1e300), DataType::Float64), "1E300");
        assert!(literal(&Literal::Float64(f64::NAN), &DataType::Float64).is_err());
    }
}
