//! The simulation's outputs as plain JSON: destination rows, Pub/Sub messages,
//! dropped events with reasons, and per-operator statistics.

use serde_json::{Value as J, json};

use crate::exec::{Engine, Output};
use crate::lineage::Ids;

impl Engine {
    /// Output row `i` (of those kept) as a JSON object keyed by output column name.
    pub fn output_json(&self, i: usize) -> Option<J> {
        Some(self.row_json(self.outputs.get(i)?))
    }

    /// An output's row as a JSON object keyed by output column name (see
    /// [`OutputFormat::row`] to write many).
    pub fn row_json(&self, out: &Output) -> J {
        let mut object = serde_json::Map::new();
        for (c, v) in self.output_columns().iter().zip(&out.row) {
            object.insert(c.name.clone(), v.to_json(&c.data_type));
        }
        J::Object(object)
    }

    /// How this engine's outputs are written, to write them apart from it.
    pub fn output_format(&self) -> OutputFormat {
        OutputFormat::new(self.output_columns())
    }

    /// Why output row `i` (of those kept) exists; see [`Engine::why_json`].
    pub fn lineage_json(&self, i: usize) -> Option<J> {
        Some(self.why_json(self.outputs.get(i)?))
    }

    /// Why an output exists: the stream events and the bounded rows it came from,
    /// each bounded row with the scan rows behind it:
    /// `{"events": [..], "bounded": [{"operator", "row", "from": {"operator", "rows"}}]}`.
    pub fn why_json(&self, out: &Output) -> J {
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
        json!({"events": out.prov.events.to_vec(), "bounded": bounded})
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
        Some(self.message_text(self.outputs.get(i)?))
    }

    /// An output's row as the Pub/Sub message's text (see [`crate::message`]).
    pub fn message_text(&self, out: &Output) -> String {
        crate::message::pubsub_message(
            self.output_columns()
                .iter()
                .map(|c| (c.name.as_str(), &c.data_type)),
            &out.row,
        )
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

/// How outputs are written as JSON rows and as Pub/Sub messages: the output
/// columns, apart from the engine, so that another thread can write them.
#[derive(Debug, Clone)]
pub struct OutputFormat {
    columns: Vec<sluice_sql::plan::Column>,
    /// Each column's `"name":`, escaped once. (Names are distinct: the analyzer
    /// refuses a result with two columns of one name, `DuplicateOutputColumn`.)
    keys: Vec<String>,
    /// The columns in a message's key order, each with its `"name": ` as the
    /// message writes it.
    message_keys: Vec<(usize, String)>,
}

impl OutputFormat {
    /// The format of rows of these columns.
    pub fn new(columns: &[sluice_sql::plan::Column]) -> Self {
        let mut by_name: Vec<usize> = (0..columns.len()).collect();
        by_name.sort_by(|&a, &b| columns[a].name.cmp(&columns[b].name));
        let message_keys = by_name
            .iter()
            .map(|&i| {
                let mut key = String::new();
                crate::message::write_str(&mut key, &columns[i].name);
                key.push_str(": ");
                (i, key)
            })
            .collect();
        Self {
            keys: columns
                .iter()
                .map(|c| format!("{}:", J::from(c.name.as_str())))
                .collect(),
            message_keys,
            columns: columns.to_vec(),
        }
    }

    /// Writes an output row as compact JSON, byte for byte what serde_json makes of
    /// [`Engine::row_json`], each key escaped once for all rows and the common
    /// values written without building a [`serde_json::Value`].
    pub fn write_row(
        &self,
        out: &mut impl std::io::Write,
        row: &[crate::value::Value],
    ) -> std::io::Result<()> {
        use crate::value::Value as V;
        out.write_all(b"{")?;
        for (i, ((key, c), v)) in self.keys.iter().zip(&self.columns).zip(row).enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(key.as_bytes())?;
            match v {
                V::Null => out.write_all(b"null")?,
                V::Bool(b) => out.write_all(if *b { b"true" } else { b"false" })?,
                V::Int64(n) => out.write_all(itoa::Buffer::new().format(*n).as_bytes())?,
                V::Float64(x) if x.is_finite() => {
                    out.write_all(zmij::Buffer::new().format_finite(*x).as_bytes())?
                }
                // Digits and ASCII marks only: nothing to escape.
                V::Timestamp(_) | V::Datetime(_) | V::Date(_) | V::Time(_) => {
                    write!(out, "\"{v}\"")?
                }
                V::String(s) => serde_json::to_writer(&mut *out, &**s)?,
                other => serde_json::to_writer(&mut *out, &other.to_json(&c.data_type))?,
            }
        }
        out.write_all(b"}")
    }

    /// Writes an output row's Pub/Sub message (as [`Engine::message_text`]) into
    /// `out`, emptied first, with the keys' order and text worked out once for all
    /// rows.
    pub fn write_message(&self, out: &mut String, row: &[crate::value::Value]) {
        out.clear();
        out.push('{');
        let mut first = true;
        for (i, key) in &self.message_keys {
            let Some(v) = row.get(*i).filter(|v| !v.is_null()) else {
                continue;
            };
            if !first {
                out.push_str(", ");
            }
            first = false;
            out.push_str(key);
            crate::message::write_value(out, &self.columns[*i].data_type, v);
        }
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use sluice_sql::types::DataType;

    use crate::value::Value;

    #[test]
    fn a_row_written_directly_is_its_serialized_json() {
        let catalog = sluice_sql::Catalog::reference();
        for sql in [
            "SELECT event_timestamp, customer_id, amount, order_status, \
             CAST(customer_id AS NUMERIC) AS n, DATE(event_timestamp) AS d, \
             amount > 1 AS big, CAST(NULL AS STRING) AS nothing \
             FROM pubsub.topic.`demobox-313313`.orders",
        ] {
            let analysis = sluice_sql::analyze(sql, &catalog);
            let Some(plan) = analysis.plan else {
                panic!("{sql}: {:?}", analysis.diagnostics);
            };
            let engine =
                crate::Engine::new(&plan, &crate::Tables::new(), crate::Options::default())
                    .expect("builds");
            let output = |row: &[Value]| crate::exec::Output {
                row: row.to_vec(),
                prov: Default::default(),
                time: 0,
            };
            let format = engine.output_format();
            let n = plan.columns().len();
            let rows = [
                vec![
                    Value::Timestamp(1_700_000_000_000_001),
                    Value::Int64(-3),
                    Value::Float64(655.05),
                    Value::string("Cl\"osed\u{1}é"),
                    Value::numeric(12_500_000_000),
                    Value::Date(20_000),
                    Value::Bool(false),
                    Value::Null,
                ],
                vec![
                    Value::Timestamp(-1),
                    Value::Int64(i64::MIN),
                    Value::Float64(f64::NAN),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ],
            ];
            for row in rows {
                let row = &row[..n];
                let mut message = String::from("left over");
                format.write_message(&mut message, row);
                assert_eq!(message, engine.message_text(&output(row)), "{sql}");
                let mut direct = Vec::new();
                format.write_row(&mut direct, row).expect("writes");
                let serialized =
                    serde_json::to_vec(&engine.row_json(&output(row))).expect("serializes");
                assert_eq!(
                    String::from_utf8_lossy(&direct),
                    String::from_utf8_lossy(&serialized),
                    "{sql}"
                );
            }
        }
    }

    #[test]
    fn each_value_is_written_as_its_json_and_its_message_are() {
        let cases = [
            (Value::Null, DataType::Int64),
            (Value::Bool(true), DataType::Bool),
            (Value::Int64(-7), DataType::Int64),
            (Value::Float64(0.1), DataType::Float64),
            (Value::Float64(1e300), DataType::Float64),
            (Value::Float64(f64::NAN), DataType::Float64),
            (Value::Float64(f64::NEG_INFINITY), DataType::Float64),
            (Value::string("a \"quoted\" é\n"), DataType::String),
            (Value::Timestamp(1_700_000_000_123_456), DataType::Timestamp),
            (Value::Date(19_000), DataType::Date),
            (Value::Datetime(1), DataType::Datetime),
            (Value::Time(3_600_000_001), DataType::Time),
            (Value::numeric(1_500_000_000), DataType::Numeric),
            (
                Value::Array(vec![Value::Int64(1), Value::Null].into()),
                DataType::Array(Box::new(DataType::Int64)),
            ),
        ];
        for (v, t) in cases {
            let column = sluice_sql::plan::Column {
                qualifier: None,
                name: "x \"y\"".into(),
                data_type: t.clone(),
                nullable: true,
            };
            let format = super::OutputFormat::new(&[column]);
            let mut direct = Vec::new();
            format
                .write_row(&mut direct, std::slice::from_ref(&v))
                .expect("writes");
            let built = serde_json::to_vec(&serde_json::json!({"x \"y\"": v.to_json(&t)}))
                .expect("serializes");
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&built),
                "{v:?}"
            );
            let mut message = String::new();
            format.write_message(&mut message, std::slice::from_ref(&v));
            let expected =
                crate::message::pubsub_message([("x \"y\"", &t)], std::slice::from_ref(&v));
            assert_eq!(message, expected, "{v:?}");
        }
    }
}
