//! Joins in the stream: a stream against the bounded side through its index, or
//! two streams buffered by window.

use super::*;

#[derive(Debug)]
pub(super) struct JoinOp {
    pub(super) kind: JoinKind,
    pub(super) left_keys: Vec<CExpr>,
    pub(super) right_keys: Vec<CExpr>,
    pub(super) residual: Option<CExpr>,
    pub(super) left_width: usize,
    pub(super) right_width: usize,
    /// The key expressions as text, per side.
    pub(super) key_names: [Vec<String>; 2],
    /// The bounded side (0 left, 1 right), its node and the index on its keys.
    pub(super) bounded: Option<BoundedSide>,
    /// Stream-stream: buffered tuples per side by (window start, key).
    pub(super) buffers: [FxHashMap<Slot, Vec<Buffered>>; 2],
    pub(super) timers: BTreeMap<i64, Vec<(usize, Slot)>>,
}

#[derive(Debug)]
pub(super) struct BoundedSide {
    pub(super) node: usize,
    /// Its rows, indexed on the join's keys.
    pub(super) index: crate::index::JoinIndex,
    /// Each row's provenance, for lineage, by its position in the index.
    pub(super) prov: Vec<Prov>,
}

#[derive(Debug, Clone)]
pub(super) struct Buffered {
    pub(super) tuple: Tuple,
    pub(super) matched: bool,
}

impl JoinOp {
    /// Stream tuples buffered by a stream-stream join.
    pub(super) fn held(&self) -> usize {
        self.buffers
            .iter()
            .flat_map(|b| b.values())
            .map(Vec::len)
            .sum()
    }

    /// Joins a stream tuple arriving on input `pos`; returns a drop when nothing matched.
    #[allow(clippy::type_complexity)]
    pub(super) fn probe(
        &mut self,
        pos: usize,
        tuple: Tuple,
        cx: &Context,
        outs: &mut Outs,
    ) -> Result<Option<(Ids<u32>, Reason)>, (Ids<u32>, EvalError)> {
        let keys = if pos == 0 {
            &self.left_keys
        } else {
            &self.right_keys
        };
        // A key of one plain column (the usual case) is read in place.
        let column = match keys.as_slice() {
            [CExpr::Column(c)] => Some(*c),
            _ => None,
        };
        let mut key = crate::value::KeyValues::new();
        if column.is_none() {
            for k in keys {
                key.push(eval(k, &tuple.row, cx).map_err(|e| (tuple.prov.events.clone(), e))?);
            }
        }
        if let Some(side) = &self.bounded {
            let read = if column.is_some() {
                key_column(&tuple.row, column)
            } else {
                &key
            };
            let candidates = if read.iter().any(Value::is_null) {
                0..0
            } else {
                side.index.probe(read)
            };
            let found = !candidates.is_empty();
            let mut matched = false;
            let mut own = Some(tuple.row);
            let single = candidates.len() == 1 && self.residual.is_none();
            for p in candidates {
                let other = side.index.at(p);
                let mine: &[Value] = own.as_deref().unwrap_or_default();
                let row = match (pos, single) {
                    // One match: extend the stream row itself rather than copy it.
                    (0, true) => {
                        let mut row = own.take().unwrap_or_default();
                        row.extend_from_slice(other);
                        row
                    }
                    (0, false) => concat(mine, other),
                    _ => concat(other, mine),
                };
                if let Some(residual) = &self.residual {
                    match eval(residual, &row, cx) {
                        Ok(Value::Bool(true)) => {}
                        Ok(_) => continue,
                        Err(e) => return Err((tuple.prov.events.clone(), e)),
                    }
                }
                matched = true;
                let bounded_ref = Prov::row(RowRef {
                    node: side.node as u32,
                    row: p,
                });
                outs.push(Tuple {
                    row,
                    prov: tuple.prov.join(&bounded_ref),
                    time: tuple.time,
                    window: tuple.window,
                });
            }
            if matched {
                return Ok(None);
            }
            let outer = matches!((self.kind, pos), (JoinKind::Left, 0) | (JoinKind::Right, 1));
            if outer {
                let nulls = vec![
                    Value::Null;
                    if pos == 0 {
                        self.right_width
                    } else {
                        self.left_width
                    }
                ];
                let mine = own.unwrap_or_default();
                let row = if pos == 0 {
                    concat(&mine, &nulls)
                } else {
                    concat(&nulls, &mine)
                };
                outs.push(Tuple {
                    row,
                    prov: tuple.prov,
                    time: tuple.time,
                    window: tuple.window,
                });
                return Ok(None);
            }
            let values = match (&own, column) {
                (Some(row), Some(c)) => Ids::One(row.get(c).cloned().unwrap_or(Value::Null)),
                _ => key_values(key),
            };
            let reason = if found {
                Reason::ResidualFailed(values)
            } else {
                Reason::NoMatch(values)
            };
            return Ok(Some((tuple.prov.events, reason)));
        }
        // Stream-stream, windowed: match within the same window.
        if column.is_some() {
            key = key_column(&tuple.row, column).iter().cloned().collect();
        }
        let null_key = key.iter().any(Value::is_null);
        let Some((start, end)) = tuple.window else {
            return Ok(Some((tuple.prov.events, Reason::NoEventTime)));
        };
        if null_key {
            return Ok(Some((tuple.prov.events, Reason::NoMatch(key_values(key)))));
        }
        let slot = (start, Key(key));
        let mut matched = false;
        if let Some(others) = self.buffers[1 - pos].get_mut(&slot) {
            for b in others.iter_mut() {
                let row = if pos == 0 {
                    concat(&tuple.row, &b.tuple.row)
                } else {
                    concat(&b.tuple.row, &tuple.row)
                };
                if let Some(residual) = &self.residual {
                    match eval(residual, &row, cx) {
                        Ok(Value::Bool(true)) => {}
                        Ok(_) => continue,
                        Err(e) => return Err((tuple.prov.events.clone(), e)),
                    }
                }
                b.matched = true;
                matched = true;
                outs.push(Tuple {
                    row,
                    prov: tuple.prov.join(&b.tuple.prov),
                    time: tuple.time.max(b.tuple.time),
                    window: tuple.window,
                });
            }
        }
        let buffer = self.buffers[pos].entry(slot.clone()).or_default();
        if buffer.is_empty() {
            self.timers.entry(end).or_default().push((pos, slot));
        }
        buffer.push(Buffered { tuple, matched });
        Ok(None)
    }
}

/// The key of one plain column `column` of `row`, as a one-value slice.
fn key_column(row: &[Value], column: Option<usize>) -> &[Value] {
    match column {
        Some(c) => std::slice::from_ref(row.get(c).unwrap_or(&Value::Null)),
        None => &[],
    }
}

/// A key's values for a drop reason (one value without allocating).
fn key_values(mut key: crate::value::KeyValues) -> Ids<Value> {
    match key.len() {
        0 => Ids::None,
        1 => Ids::One(key.remove(0)),
        _ => Ids::Many(key.into_vec().into()),
    }
}

pub(super) fn concat(a: &[Value], b: &[Value]) -> Row {
    let mut row = Vec::with_capacity(a.len() + b.len());
    row.extend_from_slice(a);
    row.extend_from_slice(b);
    row
}
