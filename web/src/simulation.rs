//! One simulation run in the browser: generate the scenario's data, run the query's
//! plan through the engine, and keep what the page shows. The same library calls
//! as `sluice simulate`.

use sluice_datagen::{BatchParams, StatusMix, Stream, StreamParams};
use sluice_engine::{Engine, Options};
use sluice_sql::{Catalog, Plan};

/// The generator settings of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Customers and batch orders.
    pub batch: BatchParams,
    /// How many stream events to push.
    pub events: usize,
    /// The stream's status mix.
    pub status_mix: StatusMix,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            batch: BatchParams::default(),
            events: 500,
            // Some cancelled orders, so that the reference query's filter shows.
            status_mix: StatusMix::BATCH,
        }
    }
}

/// What the page shows of a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Output column names.
    pub columns: Vec<String>,
    /// The newest output rows first, as display text.
    pub rows: Vec<Vec<String>>,
    /// For each shown row, why it exists: the stream event and the bounded rows.
    pub why: Vec<Explanation>,
    /// All output rows (the page shows the newest).
    pub total_rows: u64,
    /// Events pushed, emitted, dropped, pending.
    pub events: (u32, u64, u64, u64),
    /// One line per operator: id, kind, label, in, out, dropped, bounded.
    pub operators: Vec<Operator>,
    /// Drop reasons with counts, most frequent first, with one example each.
    pub reasons: Vec<(String, u64)>,
}

/// Why an output row exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The stream events (0-based, in push order).
    pub events: Vec<u32>,
    /// The bounded rows joined in: operator, the row as `name = value` pairs, and how
    /// many table rows are behind it (e.g. the closed orders summed).
    pub bounded: Vec<(String, String, usize)>,
}

/// An operator's line in the page's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// Position in EXPLAIN.
    pub id: usize,
    /// `Join`, `Filter`, ...
    pub kind: &'static str,
    /// The EXPLAIN line without column indices.
    pub label: String,
    /// Rows in.
    pub rows_in: u64,
    /// Rows out.
    pub rows_out: u64,
    /// Rows dropped.
    pub dropped: u64,
    /// Computed once, not per event.
    pub bounded: bool,
}

/// How many output rows the page keeps.
pub const SHOWN_ROWS: usize = 200;

/// Runs `plan` over data generated with `settings`.
pub fn run(plan: &Plan, catalog: &Catalog, settings: &Settings) -> Result<Outcome, String> {
    let tables = sluice_datagen::tables(catalog, &settings.batch);
    let options = Options {
        retain: 100_000,
        ..Options::default()
    };
    let mut engine = Engine::new(plan, &tables, options).map_err(|e| e.to_string())?;
    let topics: Vec<String> = engine
        .stream_sources()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for topic in &topics {
        let Some(source) = catalog.sources.iter().find(|s| s.sql_name() == *topic) else {
            continue;
        };
        let stream = Stream::new(StreamParams {
            customer_range: settings.batch.customer_count,
            seed: settings.batch.seed,
            status_mix: settings.status_mix,
            ..StreamParams::default()
        });
        for event in stream.take(settings.events) {
            engine
                .push(topic, event.to_row(&source.schema))
                .map_err(|e| e.to_string())?;
        }
    }
    engine.finish();
    let columns = engine
        .output_columns()
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let rows = engine
        .outputs
        .iter()
        .rev()
        .take(SHOWN_ROWS)
        .map(|o| o.row.iter().map(|v| v.to_string()).collect())
        .collect();
    let why = engine
        .outputs
        .iter()
        .rev()
        .take(SHOWN_ROWS)
        .map(|o| explain(&engine, &o.prov))
        .collect();
    let (emitted, dropped, pending) = engine.accounting();
    let operators = engine
        .nodes()
        .iter()
        .map(|n| Operator {
            id: n.id,
            kind: n.kind,
            label: sluice_engine::exec::readable(&n.label),
            rows_in: n.stats.rows_in,
            rows_out: n.stats.rows_out,
            dropped: n.stats.dropped,
            bounded: n.bounded,
        })
        .collect();
    let reasons = engine.drop_summary();
    Ok(Outcome {
        columns,
        rows,
        why,
        total_rows: engine.outputs_total(),
        events: (engine.events(), emitted, dropped, pending),
        operators,
        reasons,
    })
}

fn explain(engine: &Engine, prov: &sluice_engine::lineage::Prov) -> Explanation {
    let mut bounded = Vec::new();
    prov.rows.for_each(|r| {
        let Some((row, from)) = engine.bounded_row(*r) else {
            return;
        };
        let node = &engine.nodes()[r.node as usize];
        let values = node
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| format!("{c} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let behind = from.rows.len() + from.omitted as usize;
        bounded.push((format!("{} {}", node.id, node.kind), values, behind));
    });
    Explanation {
        events: prov.events.to_vec(),
        bounded,
    }
}
