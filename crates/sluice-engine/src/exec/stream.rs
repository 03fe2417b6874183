//! The stream: events pushed through the operators in event time, windows fired
//! by the watermark, outputs emitted and drops recorded with their reasons.

use super::*;

impl Engine {
    /// Pushes one event of stream `source` (its SQL name), a row in the topic's
    /// column order, then advances the watermark and closes due windows.
    pub fn push(&mut self, source: &str, row: Row) -> Result<(), EngineError> {
        // `streams` is sorted by source, so this source's scans are one range.
        let Some(first) = self.streams.iter().position(|(n, _)| n == source) else {
            return Err(EngineError::UnknownStream(source.to_string()));
        };
        let count = 1 + self.streams[first + 1..]
            .iter()
            .take_while(|(n, _)| n == source)
            .count();
        let event = self.events;
        self.events += 1;
        self.fates.push(Fate::Pending);
        self.fate_counts[Fate::Pending as usize] += 1;
        let sample = self.options.timing_sample > 0
            && self.clock.is_some()
            // Every event of the first 64 after the first (which warms caches), then
            // one in `timing_sample`.
            && event > 0
            && (event <= 64 || event.is_multiple_of(self.options.timing_sample));
        let mut time = None;
        let mut row = Some(row);
        for n in 0..count {
            let scan = &self.streams[first + n].1.clone();
            let Op::StreamScan { time_column, .. } = &self.nodes[*scan].op else {
                continue;
            };
            let t = match time_column.and_then(|c| row.as_ref().and_then(|r| r.get(c))) {
                Some(Value::Timestamp(t)) => *t,
                _ => {
                    self.nodes[*scan].stats.rows_in += 1;
                    self.drop_tuple(*scan, Ids::One(event), Reason::NoEventTime);
                    continue;
                }
            };
            time = Some(t);
            self.nodes[*scan].stats.rows_in += 1;
            self.nodes[*scan].stats.rows_out += 1;
            // The last reader takes the row; others get copies.
            let row = if n + 1 == count {
                row.take().unwrap_or_default()
            } else {
                row.clone().unwrap_or_default()
            };
            let tuple = Tuple {
                row,
                prov: Prov::event(event),
                time: t,
                window: None,
            };
            if sample {
                self.emit_timed(*scan, tuple);
            } else {
                self.emit(*scan, tuple);
            }
        }
        if let Some(t) = time {
            self.max_time = self.max_time.max(t);
            let wm = self.max_time.saturating_sub(self.options.max_delay_micros);
            if wm > self.watermark {
                self.advance_to(wm);
            }
        }
        Ok(())
    }

    /// Moves the watermark to `watermark` (never back) and closes windows ending at
    /// or before it.
    pub fn advance_to(&mut self, watermark: i64) {
        if watermark < self.watermark {
            return;
        }
        self.watermark = watermark;
        for n in 0..self.timed_nodes.len() {
            let id = self.timed_nodes[n];
            let due = match &self.nodes[id].op {
                Op::Aggregate(a) => {
                    a.windows
                        .first_key_value()
                        .is_some_and(|(end, _)| *end <= watermark)
                        || a.session_timers
                            .first_key_value()
                            .is_some_and(|(end, _)| *end <= watermark)
                }
                Op::Join(j) => j
                    .timers
                    .first_key_value()
                    .is_some_and(|(end, _)| *end <= watermark),
                _ => false,
            };
            if due {
                self.fire(id, watermark);
            }
        }
    }

    /// Ends the stream: the watermark goes to the end of time and every window closes.
    pub fn finish(&mut self) {
        self.advance_to(i64::MAX);
    }

    pub(super) fn fire(&mut self, id: usize, watermark: i64) {
        let mut held: Option<usize> = None;
        let mut emitted = Vec::new();
        let mut drops = Vec::new();
        match &mut self.nodes[id].op {
            Op::Aggregate(a) => {
                while let Some(entry) = a.windows.first_entry() {
                    if *entry.key() > watermark {
                        break;
                    }
                    let (end, (start, groups)) = entry.remove_entry();
                    let mut groups: Vec<(Key, Group)> = groups.into_iter().collect();
                    // Deterministic order: by group keys.
                    groups.sort_by(|x, y| compare_rows(&x.1.keys, &y.1.keys));
                    for (_, g) in groups {
                        let events = Ids::from_vec(g.prov.events().to_vec());
                        // A group stays in its window, as Beam's GroupByKey output
                        // does: a join or aggregate downstream pairs by window.
                        match a.finish_group(g) {
                            Ok((row, prov)) => emitted.push(Tuple {
                                row,
                                prov,
                                time: end,
                                window: Some((start, end)),
                            }),
                            Err(e) => drops.push((events, Reason::Error(e.0))),
                        }
                    }
                }
                match a.fire_sessions(watermark) {
                    Ok(rows) => {
                        for (row, prov, window) in rows {
                            emitted.push(Tuple {
                                row,
                                prov,
                                time: watermark,
                                window: Some(window),
                            });
                        }
                    }
                    Err(e) => drops.push((Ids::None, Reason::Error(e.0))),
                }
                held = Some(a.held());
            }
            Op::Join(j) => {
                while let Some(entry) = j.timers.first_entry() {
                    if *entry.key() > watermark {
                        break;
                    }
                    for (side, key) in entry.remove() {
                        if let Some(buffered) = j.buffers[side].remove(&key) {
                            for b in buffered.into_iter().filter(|b| !b.matched) {
                                drops.push((
                                    b.tuple.prov.events.clone(),
                                    Reason::NoMatch(Ids::from_vec(key.1.0.to_vec())),
                                ));
                            }
                        }
                    }
                }
                held = Some(j.held());
            }
            _ => {}
        }
        if let Some(h) = held {
            self.nodes[id].stats.state_rows = h as u64;
        }
        for (events, reason) in drops {
            self.drop_tuple(id, events, reason);
        }
        // What a closing window emits is on time downstream, as in Beam, where the
        // watermark a later operator sees is held back until the window's results
        // have passed.
        let firing = std::mem::replace(&mut self.firing, true);
        for t in emitted {
            self.nodes[id].stats.rows_out += 1;
            self.emit(id, t);
        }
        self.firing = firing;
    }

    /// Hands `tuple`, output of node `from`, to its parent (or the destinations).
    pub(super) fn emit(&mut self, from: usize, tuple: Tuple) {
        match self.parent[from] {
            None => self.output(tuple),
            Some((p, pos)) => self.process(p, pos, tuple, false),
        }
    }

    pub(super) fn emit_timed(&mut self, from: usize, tuple: Tuple) {
        match self.parent[from] {
            None => self.output(tuple),
            Some((p, pos)) => self.process(p, pos, tuple, true),
        }
    }

    pub(super) fn output(&mut self, tuple: Tuple) {
        tuple.prov.events.for_each(|&e| {
            if let Some(f) = self.fates.get_mut(e as usize) {
                self.fate_counts[*f as usize] -= 1;
                self.fate_counts[Fate::Emitted as usize] += 1;
                *f = Fate::Emitted;
            }
        });
        if self.outputs.len() >= self.options.retain
            && let Some(old) = self.outputs.pop_front()
        {
            self.evicted.0 += 1;
            // Freed in bulk, in the order they were made: one by one, between other
            // work, each would be a trip to memory.
            self.evicted_rows.push(old.row);
            if self.evicted_rows.len() == EVICTED_BATCH {
                self.evicted_rows.clear();
            }
        }
        self.outputs.push_back(Output {
            row: tuple.row,
            prov: tuple.prov,
            time: tuple.time,
        });
    }

    pub(super) fn drop_tuple(&mut self, node: usize, events: Ids<u32>, reason: Reason) {
        self.nodes[node].stats.dropped += 1;
        events.for_each(|&e| {
            if let Some(f) = self.fates.get_mut(e as usize)
                && *f == Fate::Pending
            {
                self.fate_counts[Fate::Pending as usize] -= 1;
                self.fate_counts[Fate::Dropped as usize] += 1;
                *f = Fate::Dropped;
            }
        });
        if self.drop_counts.len() <= node {
            self.drop_counts.resize(node + 1, [0; Reason::KINDS.len()]);
        }
        self.drop_counts[node][reason.kind_index()] += events.len().max(1) as u64;
        if self.dropped.len() >= self.options.retain.min(self.options.retain_dropped) {
            self.dropped.pop_front();
            self.evicted.1 += 1;
        }
        self.dropped.push_back(Dropped {
            events,
            node,
            reason,
        });
    }

    /// Runs node `id` on a tuple from its input `pos`, then passes what it produces on.
    pub(super) fn process(&mut self, id: usize, pos: usize, tuple: Tuple, timed: bool) {
        let started = if timed {
            self.clock.as_ref().map(|c| c())
        } else {
            None
        };
        self.nodes[id].stats.rows_in += 1;
        let cx = Context {
            now_micros: tuple.time,
        };
        // Most operators make at most one tuple of one: no allocation for it.
        let mut outs: Outs = Outs::new();
        let mut single: Option<Tuple> = None;
        let mut drop: Option<(Ids<u32>, Reason)> = None;
        let mut held: Option<usize> = None;
        let watermark = if self.firing {
            i64::MIN
        } else {
            self.watermark
        };
        match &mut self.nodes[id].op {
            Op::Bounded | Op::StreamScan { .. } => {}
            Op::Filter { predicate, reads } => match eval(predicate, &tuple.row, &cx) {
                Ok(Value::Bool(true)) => single = Some(tuple),
                Ok(v) => {
                    let values = match reads.as_slice() {
                        [one] => Ids::One(tuple.row.get(*one).cloned().unwrap_or(Value::Null)),
                        many => Ids::from_vec(
                            many.iter()
                                .map(|i| tuple.row.get(*i).cloned().unwrap_or(Value::Null))
                                .collect(),
                        ),
                    };
                    let reason = if v.is_null() {
                        Reason::FilterNull(values)
                    } else {
                        Reason::FilterFalse(values)
                    };
                    drop = Some((tuple.prov.events, reason));
                }
                Err(e) => drop = Some((tuple.prov.events, Reason::Error(e.0))),
            },
            Op::Project {
                exprs,
                picks,
                in_place,
            } => match project(exprs, picks.as_deref(), *in_place, tuple.row, &cx) {
                Ok(row) => {
                    single = Some(Tuple {
                        row,
                        prov: tuple.prov,
                        time: tuple.time,
                        window: tuple.window,
                    })
                }
                Err(e) => drop = Some((tuple.prov.events, Reason::Error(e.0))),
            },
            Op::Window { kind, time_column } => match tuple.row.get(*time_column) {
                Some(Value::Timestamp(t)) => {
                    let t = *t;
                    let mut late = None;
                    for (start, end) in assign_windows(*kind, t) {
                        if end <= watermark {
                            late = Some(end);
                            continue;
                        }
                        let mut row = tuple.row.clone();
                        row.push(Value::Timestamp(start));
                        row.push(Value::Timestamp(end));
                        outs.push(Tuple {
                            row,
                            prov: tuple.prov.clone(),
                            time: t,
                            window: Some((start, end)),
                        });
                    }
                    if outs.is_empty()
                        && let Some(window_end) = late
                    {
                        drop = Some((
                            tuple.prov.events,
                            Reason::Late {
                                window_end,
                                watermark,
                            },
                        ));
                    }
                }
                _ => drop = Some((tuple.prov.events, Reason::NoEventTime)),
            },
            Op::Aggregate(a) => {
                let window = tuple.window;
                match a.add_stream(tuple, window, watermark, &cx) {
                    Ok(None) => {}
                    Ok(Some((events, reason))) => drop = Some((events, reason)),
                    Err((events, e)) => drop = Some((events, Reason::Error(e.0))),
                }
                held = Some(a.held());
            }
            Op::Join(j) => {
                match j.probe(pos, tuple, &cx, &mut outs) {
                    Ok(None) => {}
                    Ok(Some((events, reason))) => drop = Some((events, reason)),
                    Err((events, e)) => drop = Some((events, Reason::Error(e.0))),
                }
                if j.bounded.is_none() {
                    held = Some(j.held());
                }
            }
            Op::Union => single = Some(tuple),
        }
        if let Some(h) = held {
            self.nodes[id].stats.state_rows = h as u64;
        }
        if let (Some(t0), Some(clock)) = (started, self.clock.as_ref()) {
            let spent = clock().saturating_sub(t0);
            let node = &mut self.nodes[id];
            node.sampled.0 += spent;
            node.sampled.1 += 1;
            let per_event = node.sampled.0 as f64 / node.sampled.1 as f64;
            node.stats.nanos = (per_event * node.stats.rows_in as f64) as u64;
        }
        if let Some((events, reason)) = drop {
            self.drop_tuple(id, events, reason);
        }
        if let Some(t) = single {
            self.nodes[id].stats.rows_out += 1;
            if timed {
                self.emit_timed(id, t);
            } else {
                self.emit(id, t);
            }
        }
        for t in outs {
            self.nodes[id].stats.rows_out += 1;
            if timed {
                self.emit_timed(id, t);
            } else {
                self.emit(id, t);
            }
        }
    }

    /// Why a drop happened, in words: the operator, its condition and the values.
    pub fn reason_text(&self, d: &Dropped) -> String {
        let node = &self.nodes[d.node];
        let label = readable(&node.label);
        let condition = label.split_once(": ").map_or(label.as_str(), |(_, c)| c);
        let names = |values: &Ids<Value>| -> String {
            match &node.op {
                Op::Filter { reads, .. } => {
                    let input = node.children.first().map(|c| &self.nodes[*c].columns);
                    let vals = values.to_vec();
                    reads
                        .iter()
                        .zip(vals)
                        .map(|(i, v)| {
                            let name = input
                                .and_then(|cols| cols.get(*i))
                                .map_or("?", String::as_str);
                            format!("{name} = {}", Ids::One(v).text())
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                _ => values.text(),
            }
        };
        match &d.reason {
            Reason::FilterFalse(v) => format!("{condition} is FALSE for {}", names(v)),
            Reason::FilterNull(v) => format!("{condition} is NULL (unknown) for {}", names(v)),
            Reason::NoMatch(v) | Reason::ResidualFailed(v) => {
                let Op::Join(j) = &node.op else {
                    return format!("no match for {}", v.text());
                };
                let (other, side) = match &j.bounded {
                    Some(b) => (
                        format!(
                            "the bounded input ({})",
                            readable(&self.nodes[b.node].label)
                        ),
                        // The stream side's key names.
                        usize::from(node.children.first() == Some(&b.node)),
                    ),
                    None => ("the other stream, in the same window,".to_string(), 0),
                };
                let key = j.key_names[side]
                    .iter()
                    .zip(v.to_vec())
                    .map(|(k, v)| format!("{k} = {}", Ids::One(v).text()))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                match (&d.reason, key.is_empty()) {
                    (Reason::ResidualFailed(_), _) => {
                        format!("{other} has rows with {key}, but none satisfies {condition}")
                    }
                    (_, true) => format!("{other} has no row satisfying {condition}"),
                    _ => format!("{other} has no row with {key}"),
                }
            }
            Reason::Late {
                window_end,
                watermark,
            } => format!(
                "late: its window ended at {} but the watermark was already {}",
                sluice_sql::literal::format_timestamp(*window_end),
                sluice_sql::literal::format_timestamp(*watermark)
            ),
            Reason::NoEventTime => "the event has no event time (NULL timestamp)".into(),
            Reason::Error(e) => format!("error: {e}"),
        }
    }
}
