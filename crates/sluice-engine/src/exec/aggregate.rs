//! Aggregates in the stream: groups per window and key, session windows that merge,
//! and the window assignment of an event.

use super::*;

#[derive(Debug)]
pub(super) struct AggOp {
    pub(super) group: Vec<CExpr>,
    pub(super) aggs: Vec<AggSpec>,
    /// Indices in `group` of the window columns, and whether each is `window_end`.
    pub(super) window_keys: Vec<(usize, bool)>,
    pub(super) session: bool,
    /// Tumble and hop: groups by window end, with the window's start (one size, so
    /// one start per end).
    pub(super) windows: BTreeMap<i64, (i64, FxHashMap<Key, Group>)>,
    /// Session: sessions per key (without the window column).
    pub(super) sessions: FxHashMap<Key, Vec<Session>>,
    pub(super) session_timers: BTreeMap<i64, Vec<Key>>,
    /// Bounded input: groups in first-seen order.
    pub(super) all: Vec<Group>,
    /// Bounded input read straight from a scan: each row's group and reference, in
    /// the order they came, gathered into the groups' lineage at the end rather
    /// than pushed to each group's list as the row is added (a second trip to
    /// memory a row).
    pub(super) scanned: Vec<(u32, RowRef)>,
    /// Positions in `all`, found by their keys' hash: the keys are kept once, in the
    /// group, so a row's look-up touches the small index and then the one group it
    /// adds to.
    pub(super) index: hashbrown::HashTable<u32>,
}

#[derive(Debug, Clone)]
pub(super) struct Group {
    /// The group's key values (one is held inline, where a look-up compares it).
    pub(super) keys: crate::value::KeyValues,
    /// One accumulator per aggregate (two are held inline).
    pub(super) accs: Accs,
    pub(super) prov: ProvSet,
}

#[derive(Debug, Clone)]
pub(super) struct Session {
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) group: Group,
}

/// The window columns of a bounded aggregate's input row (the last two columns of a
/// windowed input are `window_start`, `window_end`).
pub(super) fn window_of(op: &AggOp, row: &[Value], plan: &Plan) -> Option<(i64, i64)> {
    if op.window_keys.is_empty() {
        return None;
    }
    let Plan::Aggregate { input, .. } = plan else {
        return None;
    };
    let cols = input.columns();
    let find = |name: &str| cols.iter().rposition(|c| c.name.eq_ignore_ascii_case(name));
    match (
        find("window_start").map(|i| &row[i]),
        find("window_end").map(|i| &row[i]),
    ) {
        (Some(Value::Timestamp(s)), Some(Value::Timestamp(e))) => Some((*s, *e)),
        _ => None,
    }
}

/// The windows an event at `t` falls in, as `(start, end)` microseconds.
pub fn assign_windows(kind: WindowKind, t: i64) -> Vec<(i64, i64)> {
    match kind {
        WindowKind::Tumble { size_micros } => {
            let start = t - t.rem_euclid(size_micros);
            vec![(start, start.saturating_add(size_micros))]
        }
        WindowKind::Hop {
            slide_micros,
            size_micros,
        } => {
            let mut out = Vec::new();
            let mut start = t - t.rem_euclid(slide_micros);
            while start > t.saturating_sub(size_micros) {
                out.push((start, start.saturating_add(size_micros)));
                start -= slide_micros;
            }
            out.reverse();
            out
        }
        WindowKind::Session { gap_micros } => vec![(t, t.saturating_add(gap_micros))],
    }
}

impl AggOp {
    pub(super) fn new(
        group: &[sluice_sql::plan::Expr],
        aggregates: &[sluice_sql::plan::AggregateCall],
        input: &Plan,
    ) -> Result<Self, EvalError> {
        // The group keys that are window columns (sessions replace them on merging).
        let window_keys = group
            .iter()
            .enumerate()
            .filter_map(|(i, g)| match g {
                sluice_sql::plan::Expr::Column { name, .. }
                    if name.eq_ignore_ascii_case("window_start") =>
                {
                    Some((i, false))
                }
                sluice_sql::plan::Expr::Column { name, .. }
                    if name.eq_ignore_ascii_case("window_end") =>
                {
                    Some((i, true))
                }
                _ => None,
            })
            .collect();
        Ok(Self {
            group: compile_all(group)?,
            aggs: aggregates
                .iter()
                .map(AggSpec::new)
                .collect::<Result<_, _>>()?,
            window_keys,
            session: matches!(input.window(), Some(WindowKind::Session { .. })),
            windows: BTreeMap::new(),
            sessions: FxHashMap::default(),
            session_timers: BTreeMap::new(),
            all: Vec::new(),
            scanned: Vec::new(),
            index: hashbrown::HashTable::new(),
        })
    }

    /// The result of a bounded aggregate once every row is in; a global aggregate
    /// (no GROUP BY) gives one row even over no rows.
    pub(super) fn finish_batch(&mut self, is_global: bool) -> Result<Batch, EvalError> {
        let mut out = Batch::default();
        if self.session {
            for (row, prov, _) in self.fire_sessions(i64::MAX)? {
                out.rows.push(row);
                out.prov.push(prov);
            }
            return Ok(out);
        }
        if is_global && self.all.is_empty() {
            let accs = self.aggs.iter().map(AggSpec::start).collect();
            self.all.push(Group {
                keys: crate::value::KeyValues::new(),
                accs,
                prov: ProvSet::default(),
            });
        }
        self.index.clear();
        self.gather_scanned();
        for g in std::mem::take(&mut self.all) {
            let (row, prov) = self.finish_group(g)?;
            out.rows.push(row);
            out.prov.push(prov);
        }
        Ok(out)
    }

    /// Groups (or sessions) held in state.
    pub(super) fn held(&self) -> usize {
        self.windows.values().map(|(_, g)| g.len()).sum::<usize>()
            + self.sessions.values().map(Vec::len).sum::<usize>()
    }

    pub(super) fn eval_keys(&self, row: &[Value], cx: &Context) -> Result<Key, EvalError> {
        let mut keys = crate::value::KeyValues::with_capacity(self.group.len());
        for g in &self.group {
            keys.push(eval(g, row, cx)?);
        }
        Ok(Key(keys))
    }

    pub(super) fn new_group(&self, keys: crate::value::KeyValues) -> Group {
        Group {
            keys,
            accs: self.aggs.iter().map(AggSpec::start).collect(),
            prov: ProvSet::default(),
        }
    }

    pub(super) fn accumulate(
        aggs: &[AggSpec],
        g: &mut Group,
        row: &[Value],
        prov: &Prov,
        cx: &Context,
    ) -> Result<(), EvalError> {
        for (acc, spec) in g.accs.iter_mut().zip(aggs) {
            acc.add(spec, row, cx)?;
        }
        g.prov.add(prov);
        Ok(())
    }

    /// Adds a bounded row (all rows come before any result).
    pub(super) fn add_bounded(
        &mut self,
        row: &[Value],
        prov: &Prov,
        window: Option<(i64, i64)>,
        cx: &Context,
    ) -> Result<(), EvalError> {
        if self.session {
            return self.add_session(row, prov, window, cx);
        }
        let at = self.bounded_group(row, cx)?;
        Self::accumulate(&self.aggs, &mut self.all[at], row, prov, cx)
    }

    /// Adds row `r` of a scan (no window, no session): as [`AggOp::add_bounded`]
    /// with the row's reference kept aside until [`AggOp::finish_batch`].
    pub(super) fn add_scanned(
        &mut self,
        row: &[Value],
        r: RowRef,
        cx: &Context,
    ) -> Result<(), EvalError> {
        let at = self.bounded_group(row, cx)?;
        let g = &mut self.all[at];
        for (acc, spec) in g.accs.iter_mut().zip(&self.aggs) {
            acc.add(spec, row, cx)?;
        }
        // `bounded_group` keeps positions within u32.
        self.scanned.push((at as u32, r));
        Ok(())
    }

    /// Hands each group the scanned rows' references set aside for it, in order: a
    /// counting sort by group, then one copy a group.
    pub(super) fn gather_scanned(&mut self) {
        if self.scanned.is_empty() {
            return;
        }
        let mut starts = vec![0usize; self.all.len() + 1];
        for &(g, _) in &self.scanned {
            starts[g as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut sorted = vec![RowRef { node: 0, row: 0 }; self.scanned.len()];
        for (g, r) in std::mem::take(&mut self.scanned) {
            sorted[next[g as usize]] = r;
            next[g as usize] += 1;
        }
        for (g, group) in self.all.iter_mut().enumerate() {
            group.prov.add_rows(&sorted[starts[g]..starts[g + 1]]);
        }
    }

    /// The position in `all` of `row`'s group, made when it is new.
    pub(super) fn bounded_group(
        &mut self,
        row: &[Value],
        cx: &Context,
    ) -> Result<usize, EvalError> {
        let key = self.eval_keys(row, cx)?;
        let hash = hash_key(&key.0);
        let all = &self.all;
        let found = self.index.find(hash, |&i| {
            let keys = &all[i as usize].keys;
            keys.len() == key.0.len()
                && keys
                    .iter()
                    .zip(&key.0)
                    .all(|(a, b)| crate::value::same_group(a, b))
        });
        let at = match found {
            Some(&i) => i as usize,
            None => {
                let at = self.all.len();
                let position = u32::try_from(at)
                    .map_err(|_| EvalError("more than 4,294,967,295 groups".to_string()))?;
                self.all.push(self.new_group(key.0));
                let all = &self.all;
                self.index
                    .insert_unique(hash, position, |&i| hash_key(&all[i as usize].keys));
                at
            }
        };
        Ok(at)
    }

    pub(super) fn add_session(
        &mut self,
        row: &[Value],
        prov: &Prov,
        window: Option<(i64, i64)>,
        cx: &Context,
    ) -> Result<(), EvalError> {
        let Some((start, end)) = window else {
            return Ok(());
        };
        let mut key = self.eval_keys(row, cx)?;
        for &(k, _) in &self.window_keys {
            if let Some(v) = key.0.get_mut(k) {
                *v = Value::Null;
            }
        }
        let mut group = self.new_group(key.0.clone());
        Self::accumulate(&self.aggs, &mut group, row, prov, cx)?;
        let mut merged = Session { start, end, group };
        let sessions = self.sessions.entry(key.clone()).or_default();
        let mut i = 0;
        let mut absorbed = Vec::new();
        while i < sessions.len() {
            if sessions[i].start < merged.end && merged.start < sessions[i].end {
                absorbed.push(sessions.swap_remove(i));
            } else {
                i += 1;
            }
        }
        for s in absorbed {
            merged.start = merged.start.min(s.start);
            merged.end = merged.end.max(s.end);
            for ((acc, spec), other) in merged
                .group
                .accs
                .iter_mut()
                .zip(&self.aggs)
                .zip(s.group.accs)
            {
                acc.merge(spec, other)?;
            }
            merged.group.prov.merge(s.group.prov);
        }
        self.session_timers
            .entry(merged.end)
            .or_default()
            .push(key.clone());
        self.sessions.entry(key).or_default().push(merged);
        Ok(())
    }

    /// Adds a stream tuple; a late one is refused with its reason.
    #[allow(clippy::type_complexity)]
    pub(super) fn add_stream(
        &mut self,
        tuple: Tuple,
        window: Option<(i64, i64)>,
        watermark: i64,
        cx: &Context,
    ) -> Result<Option<(Ids<u32>, Reason)>, (Ids<u32>, EvalError)> {
        let Some((start, end)) = window else {
            return Ok(Some((tuple.prov.events, Reason::NoEventTime)));
        };
        if end <= watermark {
            return Ok(Some((
                tuple.prov.events,
                Reason::Late {
                    window_end: end,
                    watermark,
                },
            )));
        }
        if self.session {
            let events = tuple.prov.events.clone();
            return self
                .add_session(&tuple.row, &tuple.prov, Some((start, end)), cx)
                .map(|()| None)
                .map_err(|e| (events, e));
        }
        let key = self
            .eval_keys(&tuple.row, cx)
            .map_err(|e| (tuple.prov.events.clone(), e))?;
        let groups = &mut self
            .windows
            .entry(end)
            .or_insert_with(|| (start, FxHashMap::default()))
            .1;
        if !groups.contains_key(&key) {
            let g = Group {
                keys: key.0.clone(),
                accs: self.aggs.iter().map(AggSpec::start).collect(),
                prov: ProvSet::default(),
            };
            groups.insert(key.clone(), g);
        }
        let Some(g) = groups.get_mut(&key) else {
            return Ok(None);
        };
        for (acc, spec) in g.accs.iter_mut().zip(&self.aggs) {
            acc.add(spec, &tuple.row, cx)
                .map_err(|e| (tuple.prov.events.clone(), e))?;
        }
        g.prov.add(&tuple.prov);
        Ok(None)
    }

    pub(super) fn finish_group(&self, g: Group) -> Result<(Row, Prov), EvalError> {
        let mut row = Vec::with_capacity(g.keys.len() + g.accs.len());
        row.extend(g.keys);
        for (acc, spec) in g.accs.iter().zip(&self.aggs) {
            row.push(acc.finish(spec)?);
        }
        Ok((row, g.prov.finish()))
    }

    /// The sessions the watermark closed: their rows, provenance and (start, end).
    #[allow(clippy::type_complexity)]
    pub(super) fn fire_sessions(
        &mut self,
        watermark: i64,
    ) -> Result<Vec<(Row, Prov, (i64, i64))>, EvalError> {
        let mut out = Vec::new();
        while let Some(entry) = self.session_timers.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let keys = entry.remove();
            for key in keys {
                let Some(sessions) = self.sessions.get_mut(&key) else {
                    continue;
                };
                let (due, open): (Vec<Session>, Vec<Session>) = std::mem::take(sessions)
                    .into_iter()
                    .partition(|s| s.end <= watermark);
                *sessions = open;
                if sessions.is_empty() {
                    self.sessions.remove(&key);
                }
                for s in due {
                    let mut g = s.group;
                    for &(k, is_end) in &self.window_keys {
                        if let Some(v) = g.keys.get_mut(k) {
                            *v = Value::Timestamp(if is_end { s.end } else { s.start });
                        }
                    }
                    let (row, prov) = self.finish_group(g)?;
                    out.push((row, prov, (s.start, s.end)));
                }
            }
        }
        out.sort_by(|a, b| compare_rows(&a.0, &b.0));
        Ok(out)
    }
}
