//! Compiling a plan into the engine's operators (`Node`s with their `Op`s).

use super::*;

impl Engine {
    pub(super) fn compile(
        &mut self,
        plan: &Plan,
        parent: Option<(usize, usize)>,
    ) -> Result<usize, EngineError> {
        let id = self.nodes.len();
        let label = plan.describe();
        let unsupported = |message: &str| EngineError::Unsupported {
            node: id,
            label: label.clone(),
            message: message.into(),
        };
        let eval_err = |e: EvalError| EngineError::Eval {
            node: id,
            label: label.clone(),
            message: e.0,
        };
        let bounded = plan.is_bounded();
        let op = if bounded {
            Op::Bounded
        } else {
            match plan {
                Plan::Scan {
                    source, columns, ..
                } => Op::StreamScan {
                    source: source.sql_name(),
                    time_column: columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(EVENT_TIMESTAMP)),
                },
                Plan::Filter { predicate, .. } => {
                    let mut reads = Vec::new();
                    predicate.visit_columns(&mut |i| {
                        if !reads.contains(&i) {
                            reads.push(i)
                        }
                    });
                    Op::Filter {
                        predicate: compile(predicate).map_err(eval_err)?,
                        reads,
                    }
                }
                Plan::Project { exprs, .. } => {
                    let exprs = compile_all(exprs).map_err(eval_err)?;
                    let columns: Option<Vec<usize>> = exprs
                        .iter()
                        .map(|e| match e {
                            CExpr::Column(i) => Some(*i),
                            _ => None,
                        })
                        .collect();
                    let picks = columns.map(|cols| {
                        cols.iter()
                            .enumerate()
                            .map(|(n, c)| (*c, !cols[n + 1..].contains(c)))
                            .collect()
                    });
                    let in_place = picks.as_ref().is_some_and(|p: &Vec<(usize, bool)>| {
                        p.windows(2).all(|w| w[0].0 < w[1].0)
                    });
                    Op::Project {
                        exprs,
                        picks,
                        in_place,
                    }
                }
                Plan::Window {
                    kind, time_column, ..
                } => Op::Window {
                    kind: *kind,
                    time_column: *time_column,
                },
                Plan::Aggregate {
                    group,
                    aggregates,
                    window_key,
                    input,
                    ..
                } => {
                    if window_key.is_none() {
                        return Err(unsupported(
                            "aggregating a stream needs a window (the analyzer should have said so)",
                        ));
                    }
                    Op::Aggregate(Box::new(
                        AggOp::new(group, aggregates, input).map_err(eval_err)?,
                    ))
                }
                Plan::Join {
                    left,
                    right,
                    kind,
                    keys,
                    residual,
                    ..
                } => {
                    let both = !left.is_bounded() && !right.is_bounded();
                    if both && *kind != JoinKind::Inner {
                        return Err(unsupported(
                            "the simulator joins two streams with INNER JOIN only",
                        ));
                    }
                    if both && (left.window().is_none() || right.window().is_none()) {
                        return Err(unsupported("joining two streams needs windows on both"));
                    }
                    let stream_side_outer = match kind {
                        JoinKind::Right => !left.is_bounded(),
                        JoinKind::Left => !right.is_bounded(),
                        JoinKind::Full => true,
                        _ => false,
                    };
                    if stream_side_outer && !both {
                        return Err(unsupported(
                            "an outer join that keeps the bounded side's unmatched rows would need retractions",
                        ));
                    }
                    Op::Join(Box::new(JoinOp {
                        kind: *kind,
                        left_keys: keys
                            .iter()
                            .map(|(l, _)| compile(l))
                            .collect::<Result<_, _>>()
                            .map_err(eval_err)?,
                        right_keys: keys
                            .iter()
                            .map(|(_, r)| compile(r))
                            .collect::<Result<_, _>>()
                            .map_err(eval_err)?,
                        residual: residual
                            .as_ref()
                            .map(compile)
                            .transpose()
                            .map_err(eval_err)?,
                        left_width: left.columns().len(),
                        right_width: right.columns().len(),
                        key_names: [
                            keys.iter().map(|(l, _)| readable(&l.to_string())).collect(),
                            keys.iter().map(|(_, r)| readable(&r.to_string())).collect(),
                        ],
                        bounded: None,
                        buffers: [FxHashMap::default(), FxHashMap::default()],
                        timers: BTreeMap::new(),
                    }))
                }
                Plan::Union { .. } => Op::Union,
                Plan::Distinct { .. } | Plan::Sort { .. } | Plan::Limit { .. } => {
                    return Err(unsupported("this operator cannot run on a stream"));
                }
            }
        };
        self.nodes.push(Node {
            id,
            kind: kind_of(plan),
            label,
            bounded,
            children: Vec::new(),
            stats: Stats::default(),
            columns: plan.columns().iter().map(|c| c.name.clone()).collect(),
            types: plan.columns().iter().map(|c| c.data_type.clone()).collect(),
            op,
            sampled: (0, 0),
        });
        self.parent.push(parent);
        if let Op::StreamScan { source, .. } = &self.nodes[id].op {
            self.streams.push((source.clone(), id));
        }
        for (pos, input) in plan.inputs().into_iter().enumerate() {
            let child = self.compile(input, Some((id, pos)))?;
            self.nodes[id].children.push(child);
        }
        Ok(id)
    }

    /// Computes the bounded inputs of stream operators and indexes join sides.
    pub(super) fn prepare_stream(
        &mut self,
        plan: &Plan,
        id: usize,
        tables: &mut dyn BoundedInput,
    ) -> Result<(), EngineError> {
        let inputs = plan.inputs();
        let children = self.nodes[id].children.clone();
        for (pos, (input, child)) in inputs.iter().zip(&children).enumerate() {
            if input.is_bounded() {
                let batch = self.run_batch(input, *child, tables)?;
                let label = self.nodes[id].label.clone();
                let node = &mut self.nodes[id];
                match &mut node.op {
                    Op::Join(join) => {
                        let (keys, width) = if pos == 0 {
                            (&join.left_keys, join.left_width)
                        } else {
                            (&join.right_keys, join.right_width)
                        };
                        let mut entries = Vec::with_capacity(batch.rows.len());
                        let cx = Context::default();
                        for row in &batch.rows {
                            let mut key = crate::value::KeyValues::new();
                            for k in keys {
                                key.push(eval(k, row, &cx).map_err(|e| EngineError::Eval {
                                    node: id,
                                    label: label.clone(),
                                    message: e.0,
                                })?);
                            }
                            // NULL keys never match.
                            entries.push((!key.iter().any(Value::is_null)).then_some(key));
                        }
                        node.stats.state_rows = batch.rows.len() as u64;
                        // Rows are known by their position in the index from here on.
                        let (index, order) =
                            crate::index::JoinIndex::build(batch.rows, entries, width);
                        let mut prov = batch.prov;
                        let prov = order
                            .iter()
                            .map(|&r| std::mem::take(&mut prov[r as usize]))
                            .collect();
                        join.bounded = Some(BoundedSide {
                            node: *child,
                            index,
                            prov,
                        });
                        self.kept.insert(*child, id);
                    }
                    Op::Union => {
                        // Bounded rows of a union with a stream are emitted once, up front.
                        for (row, prov) in batch.rows.into_iter().zip(batch.prov) {
                            self.emit(
                                id,
                                Tuple {
                                    row,
                                    prov,
                                    time: i64::MIN,
                                    window: None,
                                },
                            );
                        }
                    }
                    _ => {
                        return Err(EngineError::Unsupported {
                            node: id,
                            label,
                            message: "a bounded input here is not supported".into(),
                        });
                    }
                }
            } else {
                self.prepare_stream(input, *child, tables)?;
            }
        }
        Ok(())
    }
}
