//! The engine benchmark's body, shared by the native bench (`benches/reference.rs`)
//! and the wasm one in headless Chromium (`tests/wasm_bench.rs`): the reference
//! query over 100,000 customers, 1,000,000 batch orders and 1,000,000 stream events.

use sluice_datagen::{BatchParams, Stream, StreamParams};
use sluice_engine::{Engine, Options};
use sluice_sql::{Catalog, analyze};

/// The benchmark's sizes.
pub const CUSTOMERS: u64 = 100_000;
/// Batch orders.
pub const ORDERS: u64 = 1_000_000;
/// Stream events.
pub const EVENTS: usize = 1_000_000;
/// Outputs and drop records kept.
pub const RETAIN: usize = 100_000;
/// Runs; the best is reported.
pub const RUNS: usize = 5;

/// What one run measured.
pub struct Figures {
    /// Seconds to generate the data (not part of the engine's work).
    pub generate: f64,
    /// Seconds to compile the plan and build the bounded side.
    pub build: f64,
    /// Seconds to push every event and finish.
    pub stream: f64,
    /// Rows that reached the destinations.
    pub outputs: usize,
}

/// Runs the reference scenario at full size with `now` as the clock (seconds).
pub fn run(now: &dyn Fn() -> f64, print: &mut dyn FnMut(String)) -> Figures {
    let catalog = Catalog::reference();
    let plan = analyze(sluice_sql::reference::QUERY, &catalog)
        .plan
        .expect("the reference query plans");
    let t0 = now();
    let batch = BatchParams {
        customer_count: CUSTOMERS,
        order_count: ORDERS,
        ..BatchParams::default()
    };
    let tables = sluice_datagen::tables(&catalog, &batch);
    let topic = catalog
        .sources
        .iter()
        .find(|s| !s.is_bounded())
        .expect("a topic");
    let events: Vec<_> = Stream::new(StreamParams {
        customer_range: CUSTOMERS,
        ..StreamParams::default()
    })
    .take(EVENTS)
    .map(|e| e.to_row(&topic.schema))
    .collect();
    let t1 = now();
    // Memory stays bounded as on an endless stream: the newest 100,000 outputs and
    // drop records are kept (all are counted); the browser's simulator does the same.
    let options = Options {
        timing_sample: 0,
        retain: RETAIN,
        ..Options::default()
    };
    let name = topic.sql_name();
    // The best of five runs (fresh engine, a fresh copy of the events each time):
    // this machine is shared, and the best run is the one least disturbed. The
    // median is printed beside it.
    let mut best = (f64::INFINITY, f64::INFINITY);
    let mut streams = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let copy = events.clone();
        let t = now();
        let mut engine = Engine::new(&plan, &tables, options).expect("builds");
        let built = now();
        for e in copy {
            engine.push(&name, e).expect("pushes");
        }
        engine.finish();
        let done = now();
        best = (best.0.min(built - t), best.1.min(done - built));
        streams.push(done - built);
        last = Some(engine);
    }
    let engine = last.expect("at least one run");
    streams.sort_by(f64::total_cmp);
    let median = streams[streams.len() / 2];
    let f = Figures {
        generate: t1 - t0,
        build: best.0,
        stream: best.1,
        outputs: engine.outputs_total() as usize,
    };
    let (emitted, dropped, pending) = engine.accounting();
    print(format!(
        "reference query: {CUSTOMERS} customers, {ORDERS} batch orders, {EVENTS} stream events"
    ));
    print(format!(
        "  generate data:        {:>8.3} s (not counted)",
        f.generate
    ));
    print(format!(
        "  build bounded side:   {:>8.3} s (best of {RUNS})",
        f.build
    ));
    print(format!(
        "  stream:               {:>8.3} s = {:.2} million events/s ({emitted} emitted, {dropped} dropped, {pending} pending; {} output rows, newest {RETAIN} kept; best of {RUNS}, median {:.2} million/s)",
        f.stream,
        EVENTS as f64 / f.stream / 1e6,
        f.outputs,
        EVENTS as f64 / median / 1e6,
    ));
    f
}
