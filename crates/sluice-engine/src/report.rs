//! The simulation's outputs as plain JSON: destination rows, Pub/Sub messages,
//! dropped events with reasons, and per-operator statistics.

use serde_json::{Value as J, json};

use crate::exec::Engine;
use crate::lineage::Ids;

impl Engine {
    /// Output row `i` as a JSON object keyed by output column name.
    pub fn output_json(&self, i: usize) -> Option<J> {
        let out = self.outputs.get(i)?;
        let mut object = serde_json::Map::new();
        for (c, v) in self.output_columns().iter().zip(&out.row) {
            object.insert(c.name.clone(), v.to_json(&c.data_type));
        }
        Some(J::Object(object))
    }

    /// Why output row `i` exists: the stream events and the bounded rows it came
    /// from, each bounded row with the scan rows behind it:
    /// `{"events": [..], "bounded": [{"operator", "row", "from": {"operator", "rows"}}]}`.
    pub fn lineage_json(&self, i: usize) -> Option<J> {
        let out = self.outputs.get(i)?;
        let mut bounded = Vec::new();
        out.prov.rows.for_each(|r| {
            let Some((row, prov)) = self.bounded_row(*r) else {
                return;
            };
            let node = &self.nodes()[r.node as usize];
            let mut object = serde_json::Map::new();
            for ((name, t), v) in node.columns.iter().zip(&node.types).zip(row) {
                object.insert(name.clone(), v.to_json(t));
            }
            let mut from: Vec<J> = Vec::new();
            let mut by_scan: Vec<(u32, Vec<u32>)> = Vec::new();
            prov.rows
                .for_each(|s| match by_scan.iter_mut().find(|(n, _)| *n == s.node) {
                    Some((_, rows)) => rows.push(s.row),
                    None => by_scan.push((s.node, vec![s.row])),
                });
            for (scan, rows) in by_scan {
                if scan == r.node {
                    continue; // a scan's row is its own source
                }
                let n = &self.nodes()[scan as usize];
                from.push(json!({"operator": format!("{} {}", n.id, n.kind), "rows": rows}));
            }
            bounded.push(json!({
                "operator": format!("{} {}", node.id, node.kind),
                "row": J::Object(object),
                "from": from,
                "omitted": prov.omitted,
            }));
        });
        Some(json!({"events": out.prov.events.to_vec(), "bounded": bounded}))
    }

    /// Dropped events by reason and operator, most frequent first (all of them,
    /// kept or not): `("no join match at 2 Join", 231)`.
    pub fn drop_summary(&self) -> Vec<(String, u64)> {
        let mut reasons: Vec<(String, u64)> = self
            .drop_counts()
            .map(|((kind, node), n)| {
                let node = &self.nodes()[node];
                (format!("{kind} at {} {}", node.id, node.kind), n)
            })
            .collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        reasons
    }

    /// Every dropped event kept, one entry per event: `{"event", "operator", "reason"}`.
    pub fn dropped_json(&self) -> Vec<J> {
        let mut out = Vec::new();
        self.for_each_dropped_json(|d| out.push(d));
        out
    }

    /// Hands each of [`Engine::dropped_json`]'s entries to `f` in turn, without
    /// holding them all (a million drops are a million objects).
    pub fn for_each_dropped_json(&self, mut f: impl FnMut(J)) {
        for d in &self.dropped {
            let reason = self.reason_text(d);
            let operator = format!("{} {}", d.node, self.nodes()[d.node].kind);
            match &d.events {
                Ids::None => f(json!({"event": null, "operator": operator, "reason": reason})),
                events => events
                    .for_each(|e| f(json!({"event": e, "operator": operator, "reason": reason}))),
            }
        }
    }

    /// The operators: `{"id", "kind", "label", "in", "out", "dropped", "nanos", "state"}`.
    pub fn operators_json(&self) -> Vec<J> {
        self.nodes()
            .iter()
            .map(|n| {
                json!({
                    "id": n.id,
                    "kind": n.kind,
                    "label": crate::exec::readable(&n.label),
                    "bounded": n.bounded,
                    "in": n.stats.rows_in,
                    "out": n.stats.rows_out,
                    "dropped": n.stats.dropped,
                    "nanos": n.stats.nanos,
                    "state": n.stats.state_rows,
                })
            })
            .collect()
    }

    /// Output row `i` as the Pub/Sub message's text, byte for byte what the
    /// deployed pipeline publishes (see [`crate::message`]).
    pub fn output_message(&self, i: usize) -> Option<String> {
        let out = self.outputs.get(i)?;
        Some(crate::message::pubsub_message(
            self.output_columns()
                .iter()
                .map(|c| (c.name.as_str(), &c.data_type)),
            &out.row,
        ))
    }

    /// The whole report: `{"table_rows", "messages", "dropped", "operators", "events"}`.
    /// The query's output goes to both destinations: `table_rows` as JSON objects,
    /// `messages` as the text each Pub/Sub message carries.
    pub fn report_json(&self) -> J {
        let rows: Vec<J> = (0..self.outputs.len())
            .filter_map(|i| self.output_json(i))
            .collect();
        let messages: Vec<J> = (0..self.outputs.len())
            .filter_map(|i| self.output_message(i).map(J::String))
            .collect();
        let (emitted, dropped, pending) = self.accounting();
        json!({
            "table_rows": rows,
            "messages": messages,
            "dropped": self.dropped_json(),
            "operators": self.operators_json(),
            "events": {"total": self.events(), "emitted": emitted, "dropped": dropped, "pending": pending},
        })
    }
}
