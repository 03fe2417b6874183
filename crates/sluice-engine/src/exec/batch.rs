//! The bounded side, computed once in batch: scans (held or read piece by piece),
//! filters, projections, aggregates and joins over tables.

use super::*;
use crate::thousands;

impl Engine {
    pub(super) fn run_batch(
        &mut self,
        plan: &Plan,
        id: usize,
        tables: &mut dyn BoundedInput,
    ) -> Result<Batch, EngineError> {
        let children = self.nodes[id].children.clone();
        if let Plan::Filter {
            predicate, input, ..
        } = plan
            && let Plan::Scan {
                source, columns, ..
            } = &**input
            && let [child] = children[..]
        {
            return self.filter_scan(id, child, Some(predicate), source, columns.len(), tables);
        }
        if let Plan::Aggregate { input, .. } = plan
            && input.window().is_none()
            && let Some(out) = self.aggregate_in_place(id, plan, tables)?
        {
            return Ok(out);
        }
        let mut inputs = Vec::with_capacity(children.len());
        for (input, child) in plan.inputs().into_iter().zip(&children) {
            inputs.push(self.run_batch(input, *child, tables)?);
        }
        let started = self.clock.as_ref().map(|c| c());
        let label = self.nodes[id].label.clone();
        let fail = |e: EvalError| EngineError::Eval {
            node: id,
            label: label.clone(),
            message: e.0,
        };
        let cx = Context::default();
        let rows_in: usize = inputs.iter().map(|b| b.rows.len()).sum();
        let out = match plan {
            Plan::Scan {
                source, columns, ..
            } => self.filter_scan(id, id, None, source, columns.len(), tables)?,
            Plan::Filter { predicate, .. } => {
                let p = compile(predicate).map_err(fail)?;
                let mut out = Batch::default();
                let input = inputs.pop().unwrap_or_default();
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    if truth(&eval(&p, &row, &cx).map_err(fail)?) == Some(true) {
                        out.rows.push(row);
                        out.prov.push(prov);
                    }
                }
                out
            }
            Plan::Project { exprs, .. } => {
                let exprs = compile_all(exprs).map_err(fail)?;
                let input = inputs.pop().unwrap_or_default();
                let mut rows = Vec::with_capacity(input.rows.len());
                for row in &input.rows {
                    let mut r = Vec::with_capacity(exprs.len());
                    for e in &exprs {
                        r.push(eval(e, row, &cx).map_err(fail)?);
                    }
                    rows.push(r);
                }
                Batch {
                    rows,
                    prov: input.prov,
                }
            }
            Plan::Window {
                kind, time_column, ..
            } => {
                let input = inputs.pop().unwrap_or_default();
                let mut out = Batch::default();
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    let Some(Value::Timestamp(t)) = row.get(*time_column).cloned() else {
                        continue;
                    };
                    for (start, end) in assign_windows(*kind, t) {
                        let mut r = row.clone();
                        r.push(Value::Timestamp(start));
                        r.push(Value::Timestamp(end));
                        out.rows.push(r);
                        out.prov.push(prov.clone());
                    }
                }
                out
            }
            Plan::Aggregate {
                group,
                aggregates,
                input,
                ..
            } => {
                let mut op = AggOp::new(group, aggregates, input).map_err(fail)?;
                let batch = inputs.pop().unwrap_or_default();
                let is_global = group.is_empty();
                for (row, prov) in batch.rows.into_iter().zip(batch.prov) {
                    let window = window_of(&op, &row, plan);
                    op.add_bounded(&row, &prov, window, &cx).map_err(fail)?;
                }
                op.finish_batch(is_global).map_err(fail)?
            }
            Plan::Join {
                kind,
                keys,
                residual,
                left,
                right,
                ..
            } => {
                let r = inputs.pop().unwrap_or_default();
                let l = inputs.pop().unwrap_or_default();
                let budget = Budget {
                    rows: self
                        .options
                        .max_bounded_rows
                        .min(self.options.max_bounded_values / plan.columns().len().max(1)),
                    cancel: self.cancel.as_deref(),
                };
                match batch_join(
                    *kind,
                    keys,
                    residual.as_ref(),
                    (l, left.columns().len()),
                    (r, right.columns().len()),
                    &budget,
                ) {
                    Ok(out) => out,
                    Err(BatchStop::Eval(e)) => return Err(fail(e)),
                    Err(BatchStop::TooLarge) => return Err(self.too_large(id, plan)),
                    Err(BatchStop::Cancelled) => return Err(EngineError::Cancelled),
                }
            }
            Plan::Distinct { .. } => {
                let input = inputs.pop().unwrap_or_default();
                let mut seen: HashMap<Key, usize> = HashMap::new();
                let mut out = Batch::default();
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    match seen.get(&Key::new(row.clone())) {
                        Some(&i) => out.prov[i] = out.prov[i].join(&prov),
                        None => {
                            seen.insert(Key::new(row.clone()), out.rows.len());
                            out.rows.push(row);
                            out.prov.push(prov);
                        }
                    }
                }
                out
            }
            Plan::Union { .. } => {
                let mut out = Batch::default();
                for b in inputs {
                    out.rows.extend(b.rows);
                    out.prov.extend(b.prov);
                }
                out
            }
            Plan::Sort { keys, .. } => {
                let keys: Vec<(CExpr, bool)> = keys
                    .iter()
                    .map(|(e, asc)| compile(e).map(|c| (c, *asc)))
                    .collect::<Result<_, _>>()
                    .map_err(fail)?;
                let input = inputs.pop().unwrap_or_default();
                let mut keyed = Vec::with_capacity(input.rows.len());
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    let mut k = Vec::with_capacity(keys.len());
                    for (e, _) in &keys {
                        k.push(eval(e, &row, &cx).map_err(fail)?);
                    }
                    keyed.push((k, row, prov));
                }
                keyed.sort_by(|a, b| {
                    for (i, (_, asc)) in keys.iter().enumerate() {
                        let o = crate::value::sort_order(&a.0[i], &b.0[i]);
                        let o = if *asc { o } else { o.reverse() };
                        if o != std::cmp::Ordering::Equal {
                            return o;
                        }
                    }
                    std::cmp::Ordering::Equal
                });
                let mut out = Batch::default();
                for (_, row, prov) in keyed {
                    out.rows.push(row);
                    out.prov.push(prov);
                }
                out
            }
            Plan::Limit { count, offset, .. } => {
                let input = inputs.pop().unwrap_or_default();
                let skip = (*offset).min(input.rows.len() as u64) as usize;
                let take = (*count).min((input.rows.len() - skip) as u64) as usize;
                Batch {
                    rows: input.rows.into_iter().skip(skip).take(take).collect(),
                    prov: input.prov.into_iter().skip(skip).take(take).collect(),
                }
            }
        };
        if self.cancel.as_ref().is_some_and(|c| c()) {
            return Err(EngineError::Cancelled);
        }
        if out.rows.len() > self.options.max_bounded_rows
            || out.rows.len().saturating_mul(plan.columns().len()) > self.options.max_bounded_values
        {
            return Err(self.too_large(id, plan));
        }
        let stats = &mut self.nodes[id].stats;
        stats.rows_in = if matches!(plan, Plan::Scan { .. }) {
            out.rows.len() as u64
        } else {
            rows_in as u64
        };
        stats.rows_out = out.rows.len() as u64;
        if matches!(plan, Plan::Filter { .. }) {
            stats.dropped = stats.rows_in - stats.rows_out;
        }
        if let (Some(t0), Some(clock)) = (started, self.clock.as_ref()) {
            self.nodes[id].stats.nanos = clock().saturating_sub(t0);
        }
        Ok(out)
    }

    /// The error for bounded operator `id` passing a size limit, with the limit it
    /// passed in words.
    pub(super) fn too_large(&self, id: usize, plan: &Plan) -> EngineError {
        self.too_large_for(id, plan.columns().len())
    }

    /// [`Engine::too_large`] for an operator of `width` columns.
    pub(super) fn too_large_for(&self, id: usize, width: usize) -> EngineError {
        let by_values = self.options.max_bounded_values / width.max(1);
        let limit = if by_values < self.options.max_bounded_rows {
            format!(
                "{} values ({} rows of {} columns)",
                thousands(self.options.max_bounded_values),
                thousands(by_values),
                width
            )
        } else {
            format!("{} rows", thousands(self.options.max_bounded_rows))
        };
        EngineError::TooLarge {
            node: id,
            label: readable(&self.nodes[id].label),
            limit,
        }
    }

    /// Reads the rows of the table scan `scan` reads and, when `filter` is a filter
    /// right over it, `(filter, predicate)`, keeps those that pass; hands each
    /// kept row to `each` with its number in the table. Records the scan's and the
    /// filter's statistics, and returns the nanoseconds spent in `each` (reading
    /// a piece is nobody's time). A held table is kept for lineage.
    pub(super) fn scan_rows(
        &mut self,
        scan: usize,
        filter: Option<(usize, &sluice_sql::plan::Expr)>,
        source: &sluice_sql::catalog::Source,
        input: &mut dyn BoundedInput,
        each: &mut ScannedRow<'_>,
    ) -> Result<u64, EngineError> {
        let predicate = match filter {
            Some((id, predicate)) => {
                let label = self.nodes[id].label.clone();
                let p = compile(predicate).map_err(|e| EngineError::Eval {
                    node: id,
                    label,
                    message: e.0,
                })?;
                Some((id, p))
            }
            None => None,
        };
        let name = source.sql_name();
        let now = |engine: &Self| engine.clock.as_ref().map_or(0, |c| c());
        let cx = Context::default();
        let (mut rows, mut passed, mut filtering, mut downstream) = (0u64, 0u64, 0u64, 0u64);
        let mut selection: Vec<u32> = Vec::new();
        input.read(&name, &mut |piece| {
            let first = u32::try_from(rows)
                .ok()
                .filter(|f| f.checked_add(piece.len() as u32).is_some())
                .ok_or_else(|| EngineError::Input {
                    table: name.clone(),
                    message: "more than 4,294,967,295 rows".to_string(),
                })?;
            rows += piece.len() as u64;
            let t0 = now(self);
            selection.clear();
            match &predicate {
                Some((id, p)) => {
                    for (i, row) in piece.iter().enumerate() {
                        let value = eval(p, row, &cx).map_err(|e| EngineError::Eval {
                            node: *id,
                            label: self.nodes[*id].label.clone(),
                            message: e.0,
                        })?;
                        if truth(&value) == Some(true) {
                            selection.push(i as u32);
                        }
                    }
                }
                None => selection.extend(0..piece.len() as u32),
            }
            let t1 = now(self);
            passed += selection.len() as u64;
            for &i in &selection {
                if let Some(row) = piece.get(i as usize) {
                    each(first + i, row)?;
                }
            }
            filtering += t1.saturating_sub(t0);
            downstream += now(self).saturating_sub(t1);
            if self.cancel.as_ref().is_some_and(|c| c()) {
                return Err(EngineError::Cancelled);
            }
            Ok(())
        })?;
        if let Some(table) = input.held(&name) {
            self.scans.insert(scan, table);
        }
        self.nodes[scan].stats = Stats {
            rows_in: rows,
            rows_out: rows,
            ..Stats::default()
        };
        if let Some((id, _)) = predicate {
            self.nodes[id].stats = Stats {
                rows_in: rows,
                rows_out: passed,
                dropped: rows - passed,
                nanos: filtering,
                ..Stats::default()
            };
        }
        Ok(downstream)
    }

    /// A scan, or a filter right over a scan (the common `WHERE` on a BigQuery
    /// table): copies only the rows that pass, at most the bounded-side limit.
    pub(super) fn filter_scan(
        &mut self,
        id: usize,
        scan: usize,
        predicate: Option<&sluice_sql::plan::Expr>,
        source: &sluice_sql::catalog::Source,
        width: usize,
        input: &mut dyn BoundedInput,
    ) -> Result<Batch, EngineError> {
        let limit = self
            .options
            .max_bounded_rows
            .min(self.options.max_bounded_values / width.max(1));
        let mut out = Batch::default();
        let too_large = self.too_large_for(id, width);
        self.scan_rows(
            scan,
            predicate.map(|p| (id, p)),
            source,
            input,
            &mut |row, values| {
                if out.rows.len() >= limit {
                    return Err(too_large.clone());
                }
                out.rows.push(widen(values, width));
                out.prov.push(Prov::row(RowRef {
                    node: scan as u32,
                    row,
                }));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// An aggregate over a scan, or over a filter over a scan, without a window:
    /// groups the table's rows as they are read, without copying them.
    pub(super) fn aggregate_in_place(
        &mut self,
        id: usize,
        plan: &Plan,
        tables: &mut dyn BoundedInput,
    ) -> Result<Option<Batch>, EngineError> {
        let Plan::Aggregate {
            group,
            aggregates,
            input,
            ..
        } = plan
        else {
            return Ok(None);
        };
        let [child] = self.nodes[id].children[..] else {
            return Ok(None);
        };
        let (source, scan, filter) = match &**input {
            Plan::Scan { source, .. } => (source, child, None),
            Plan::Filter {
                predicate, input, ..
            } => match (&**input, &self.nodes[child].children[..]) {
                (Plan::Scan { source, .. }, &[scan]) => (source, scan, Some((child, predicate))),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let label = self.nodes[id].label.clone();
        let fail = |e: EvalError| EngineError::Eval {
            node: id,
            label: label.clone(),
            message: e.0,
        };
        let cx = Context::default();
        let mut op = AggOp::new(group, aggregates, input).map_err(fail)?;
        let mut rows_in = 0u64;
        let mut nanos = self.scan_rows(scan, filter, source, tables, &mut |row, values| {
            rows_in += 1;
            let r = RowRef {
                node: scan as u32,
                row,
            };
            if op.session {
                op.add_bounded(values, &Prov::row(r), None, &cx)
            } else {
                op.add_scanned(values, r, &cx)
            }
            .map_err(fail)
        })?;
        let started = self.clock.as_ref().map(|c| c());
        let out = op.finish_batch(group.is_empty()).map_err(fail)?;
        if let (Some(t0), Some(clock)) = (started, self.clock.as_ref()) {
            nanos += clock().saturating_sub(t0);
        }
        self.nodes[id].stats = Stats {
            rows_in,
            rows_out: out.rows.len() as u64,
            nanos,
            ..Stats::default()
        };
        Ok(Some(out))
    }
}

/// What a bounded join may make, and whom it asks whether to stop.
struct Budget<'a> {
    pub(super) rows: usize,
    pub(super) cancel: Option<&'a dyn Fn() -> bool>,
}

/// Why a bounded join stopped.
enum BatchStop {
    Eval(EvalError),
    TooLarge,
    Cancelled,
}

impl From<EvalError> for BatchStop {
    fn from(e: EvalError) -> Self {
        Self::Eval(e)
    }
}

/// A join of two bounded inputs: hash join on the keys, then the residual; every kind.
fn batch_join(
    kind: JoinKind,
    keys: &[(sluice_sql::plan::Expr, sluice_sql::plan::Expr)],
    residual: Option<&sluice_sql::plan::Expr>,
    (left, left_width): (Batch, usize),
    (right, right_width): (Batch, usize),
    budget: &Budget<'_>,
) -> Result<Batch, BatchStop> {
    let cx = Context::default();
    let lk: Vec<CExpr> = keys
        .iter()
        .map(|(l, _)| compile(l))
        .collect::<Result<_, _>>()?;
    let rk: Vec<CExpr> = keys
        .iter()
        .map(|(_, r)| compile(r))
        .collect::<Result<_, _>>()?;
    let residual = residual.map(compile).transpose()?;
    let key_of = |ks: &[CExpr], row: &[Value]| -> Result<Option<Key>, EvalError> {
        let mut k = Vec::with_capacity(ks.len());
        for e in ks {
            let v = eval(e, row, &cx)?;
            if v.is_null() {
                return Ok(None);
            }
            k.push(v);
        }
        Ok(Some(Key::new(k)))
    };
    let mut index: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, row) in right.rows.iter().enumerate() {
        if let Some(k) = key_of(&rk, row)? {
            index.entry(k).or_default().push(i);
        }
    }
    let all: Vec<usize> = (0..right.rows.len()).collect();
    let mut right_matched = vec![false; right.rows.len()];
    let mut out = Batch::default();
    // Pairs looked at; the caller is asked whether to stop every 65,536 of them, so
    // a cancel reaches even a cross join that a residual filters to nothing.
    let mut looked = 0u32;
    for (l, lrow) in left.rows.iter().enumerate() {
        let candidates: &[usize] = if keys.is_empty() {
            &all
        } else {
            match key_of(&lk, lrow)? {
                Some(k) => index.get(&k).map_or(&[], Vec::as_slice),
                None => &[],
            }
        };
        let mut matched = false;
        for &r in candidates {
            looked = looked.wrapping_add(1);
            if looked.is_multiple_of(1 << 16) && budget.cancel.is_some_and(|c| c()) {
                return Err(BatchStop::Cancelled);
            }
            let row = concat(lrow, &right.rows[r]);
            if let Some(res) = &residual
                && truth(&eval(res, &row, &cx)?) != Some(true)
            {
                continue;
            }
            if out.rows.len() >= budget.rows {
                return Err(BatchStop::TooLarge);
            }
            matched = true;
            right_matched[r] = true;
            out.rows.push(row);
            out.prov.push(left.prov[l].join(&right.prov[r]));
        }
        if !matched && matches!(kind, JoinKind::Left | JoinKind::Full) {
            if out.rows.len() >= budget.rows {
                return Err(BatchStop::TooLarge);
            }
            out.rows.push(concat(lrow, &vec![Value::Null; right_width]));
            out.prov.push(left.prov[l].clone());
        }
    }
    if matches!(kind, JoinKind::Right | JoinKind::Full) {
        for (r, m) in right_matched.iter().enumerate() {
            if !m {
                out.rows
                    .push(concat(&vec![Value::Null; left_width], &right.rows[r]));
                out.prov.push(right.prov[r].clone());
            }
        }
    }
    Ok(out)
}
