//! The reference scenario end to end: generated data through the reference query.

use sluice_datagen::{BatchParams, Stream, StreamParams};
use sluice_engine::exec::{Engine, Fate, Options, Reason};
use sluice_engine::value::Value;
use sluice_sql::{Catalog, analyze};

fn topic_schema(catalog: &Catalog) -> Vec<sluice_sql::types::Field> {
    catalog
        .sources
        .iter()
        .find(|s| !s.is_bounded())
        .map(|s| s.schema.clone())
        .expect("a topic")
}

#[test]
fn the_reference_query_notifies_only_big_spenders() {
    let catalog = Catalog::reference();
    let plan = analyze(sluice_sql::reference::QUERY, &catalog)
        .plan
        .expect("plans");
    let batch = BatchParams::default();
    let tables = sluice_datagen::tables(&catalog, &batch);
    let mut engine = Engine::new(&plan, &tables, Options::default()).expect("builds");
    let topic = engine.stream_sources()[0].to_string();
    let schema = topic_schema(&catalog);
    let events: Vec<_> = Stream::new(StreamParams::default()).take(500).collect();
    for e in &events {
        engine.push(&topic, e.to_row(&schema)).expect("pushes");
    }
    engine.finish();

    // The eligible customers, computed directly from the generated orders.
    let mut spent = std::collections::HashMap::<i64, f64>::new();
    for o in sluice_datagen::orders(&batch) {
        if o.order_status == "Closed" {
            *spent.entry(o.customer_id).or_default() += o.amount;
        }
    }
    let expected: Vec<i64> = events
        .iter()
        .filter(|e| spent.get(&e.customer_id).is_some_and(|s| *s >= 5000.0))
        .map(|e| e.customer_id)
        .collect();
    assert!(!expected.is_empty() && expected.len() < events.len());
    let got: Vec<i64> = engine
        .outputs
        .iter()
        .map(|o| match o.row[1] {
            Value::Int64(i) => i,
            _ => -1,
        })
        .collect();
    assert_eq!(got, expected);

    // Every event is accounted for: emitted, or dropped by the join with its key.
    let (emitted, dropped, pending) = engine.accounting();
    assert_eq!((emitted + dropped, pending), (events.len() as u64, 0));
    assert_eq!(dropped as usize, engine.dropped.len());
    for d in &engine.dropped {
        assert!(matches!(d.reason, Reason::NoMatch(_)), "{:?}", d.reason);
        let text = engine.reason_text(d);
        assert!(text.starts_with("the bounded input (Project: customer_id, $agg0 AS total_spent) has no row with customer_id = "), "{text}");
    }
    // Lineage: the event and the eligible customer's aggregate row.
    let first = &engine.outputs[0];
    let events_of = first.prov.events.to_vec();
    assert_eq!(events_of.len(), 1);
    assert_eq!(engine.fate(events_of[0]), Some(Fate::Emitted));
    let refs = first.prov.rows.to_vec();
    let (agg_row, agg_prov) = engine.bounded_row(refs[0]).expect("kept");
    assert_eq!(agg_row[0], first.row[1]);
    assert!(
        agg_prov.rows.len() >= 5,
        "the closed orders that sum to >= 5000"
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&engine.operators_json()).unwrap_or_default()
    );
}

#[test]
fn a_join_on_a_table_names_each_matched_table_row() {
    let catalog = Catalog::reference();
    let sql = "SELECT o.customer_id, c.customer_id AS id, c.name
        FROM pubsub.topic.`demobox-313313`.orders o
        JOIN bigquery.table.`demobox-313313`.ecommerce.customers c
        ON o.customer_id = c.customer_id";
    let plan = analyze(sql, &catalog).plan.expect("plans");
    let batch = BatchParams {
        customer_count: 300,
        ..BatchParams::default()
    };
    let tables = sluice_datagen::tables(&catalog, &batch);
    let mut engine = Engine::new(&plan, &tables, Options::default()).expect("builds");
    let topic = engine.stream_sources()[0].to_string();
    let schema = topic_schema(&catalog);
    let stream = StreamParams {
        customer_range: 400,
        ..StreamParams::default()
    };
    for e in Stream::new(stream).take(300) {
        engine.push(&topic, e.to_row(&schema)).expect("pushes");
    }
    engine.finish();
    assert!(!engine.outputs.is_empty() && !engine.dropped.is_empty());
    let customers = tables
        .values()
        .find(|t| t.len() == 300)
        .expect("the customers table");
    for out in &engine.outputs {
        // The join's row is the customer of the event, and its provenance names
        // that customer's row of the table.
        let refs = out.prov.rows.to_vec();
        assert_eq!(refs.len(), 1);
        let (row, prov) = engine.bounded_row(refs[0]).expect("kept");
        assert_eq!(row[0], out.row[0]);
        assert_eq!(out.row[1], out.row[0]);
        let scan_rows = prov.rows.to_vec();
        assert_eq!(scan_rows.len(), 1);
        let table_row = &customers[scan_rows[0].row as usize];
        assert_eq!(table_row[0], row[0]);
        assert_eq!(table_row[1], out.row[2]);
    }
}

/// Issue 16 #2: a bounded side past its limit stops the build with the operator
/// named, before it holds the rows; a cancel stops it too.
#[test]
fn a_bounded_side_past_its_limit_or_cancelled_stops_the_build() {
    let catalog = Catalog::reference();
    let query = "SELECT s.amount, x.customer_id FROM pubsub.topic.`demobox-313313`.orders s
        JOIN (SELECT c.customer_id FROM bigquery.table.`demobox-313313`.ecommerce.customers c
              CROSS JOIN bigquery.table.`demobox-313313`.ecommerce.orders o) x
        ON s.customer_id = x.customer_id";
    let plan = analyze(query, &catalog).plan.expect("plans");
    let batch = BatchParams {
        customer_count: 500,
        order_count: 2000,
        ..BatchParams::default()
    };
    let tables = sluice_datagen::tables(&catalog, &batch);
    let options = Options {
        max_bounded_rows: 100_000,
        ..Options::default()
    };
    let Err(e) = Engine::new(&plan, &tables, options) else {
        panic!("refused")
    };
    let text = e.to_string();
    assert!(
        text.contains("operator 4 (Join: CROSS") && text.contains("100,000 rows"),
        "{text}"
    );
    // By values: 1,000,000 rows of 1 column is within 100,000,000 values, not 500,000.
    let options = Options {
        max_bounded_values: 500_000,
        ..Options::default()
    };
    let Err(e) = Engine::new(&plan, &tables, options) else {
        panic!("refused")
    };
    let text = e.to_string();
    assert!(text.contains("500,000 values"), "{text}");
    // Within the limits it builds.
    let options = Options {
        max_bounded_rows: 1_000_000,
        ..Options::default()
    };
    assert!(Engine::new(&plan, &tables, options).is_ok());
    // Cancelled on the first question.
    let Err(e) = Engine::with_cancel(&plan, &tables, Options::default(), Box::new(|| true)) else {
        panic!("cancelled")
    };
    assert_eq!(e, sluice_engine::exec::EngineError::Cancelled);
}

#[test]
fn drops_past_the_kept_ones_are_still_counted_by_reason() {
    let catalog = Catalog::reference();
    let plan = analyze(sluice_sql::reference::QUERY, &catalog)
        .plan
        .expect("plans");
    let tables = sluice_datagen::tables(&catalog, &BatchParams::default());
    let schema = topic_schema(&catalog);
    let events: Vec<_> = Stream::new(StreamParams::default()).take(500).collect();
    let run = |options: Options| {
        let mut engine = Engine::new(&plan, &tables, options).expect("builds");
        let topic = engine.stream_sources()[0].to_string();
        for e in &events {
            engine.push(&topic, e.to_row(&schema)).expect("pushes");
        }
        engine.finish();
        engine
    };
    let all = run(Options::default());
    let one = run(Options {
        retain_dropped: 1,
        ..Options::default()
    });
    assert!(all.dropped.len() > 1);
    assert_eq!(one.dropped.len(), 1, "one drop record kept");
    assert_eq!(one.drop_summary(), all.drop_summary(), "counted alike");
    assert_eq!(one.accounting(), all.accounting());
    assert_eq!(
        one.outputs.len(),
        all.outputs.len(),
        "outputs are not limited"
    );
}

/// Tables handed over a few rows at a time and not kept, as `sluice simulate` reads
/// its files.
struct InPieces<'a> {
    tables: &'a sluice_engine::Tables,
    rows: usize,
    reads: Vec<String>,
}

impl sluice_engine::exec::BoundedInput for InPieces<'_> {
    fn read(
        &mut self,
        table: &str,
        each: &mut dyn FnMut(&sluice_engine::Table) -> Result<(), sluice_engine::EngineError>,
    ) -> Result<(), sluice_engine::EngineError> {
        self.reads.push(table.to_string());
        let whole = self
            .tables
            .get(table)
            .ok_or_else(|| sluice_engine::EngineError::MissingTable(table.to_string()))?;
        let rows: Vec<Vec<Value>> = whole.iter().map(<[Value]>::to_vec).collect();
        for piece in rows.chunks(self.rows) {
            each(&sluice_engine::Table::from_rows(
                whole.width(),
                piece.iter().cloned(),
            ))?;
        }
        Ok(())
    }
}

#[test]
fn tables_read_in_pieces_build_what_held_tables_build() {
    let catalog = Catalog::reference();
    let schema = topic_schema(&catalog);
    let batch = BatchParams::default();
    let tables = sluice_datagen::tables(&catalog, &batch);
    let events: Vec<_> = Stream::new(StreamParams::default()).take(400).collect();
    let queries = [
        sluice_sql::reference::QUERY,
        // A filter over a scan, joined: the rows that pass are copied.
        "SELECT o.customer_id, c.name FROM pubsub.topic.`demobox-313313`.orders o
         JOIN (SELECT * FROM bigquery.table.`demobox-313313`.ecommerce.customers
               WHERE customer_id > 20) c ON o.customer_id = c.customer_id",
        // A plain scan, joined.
        "SELECT o.customer_id, c.name FROM pubsub.topic.`demobox-313313`.orders o
         JOIN bigquery.table.`demobox-313313`.ecommerce.customers c
         ON o.customer_id = c.customer_id",
    ];
    for sql in queries {
        let plan = analyze(sql, &catalog).plan.expect("plans");
        let mut held = Engine::new(&plan, &tables, Options::default()).expect("builds");
        let mut input = InPieces {
            tables: &tables,
            rows: 7,
            reads: Vec::new(),
        };
        let mut read =
            Engine::reading(&plan, &mut input, Options::default(), None).expect("builds");
        assert!(!input.reads.is_empty(), "{sql}");
        let topic = held.stream_sources()[0].to_string();
        for e in &events {
            held.push(&topic, e.to_row(&schema)).expect("pushes");
            read.push(&topic, e.to_row(&schema)).expect("pushes");
        }
        held.finish();
        read.finish();
        assert!(!held.outputs.is_empty(), "{sql}");
        assert_eq!(held.outputs.len(), read.outputs.len(), "{sql}");
        for i in 0..held.outputs.len() {
            assert_eq!(held.output_json(i), read.output_json(i), "{sql}");
            // The same rows, numbered the same across pieces.
            assert_eq!(held.lineage_json(i), read.lineage_json(i), "{sql}");
        }
        assert_eq!(held.operators_json(), read.operators_json(), "{sql}");
        assert_eq!(held.drop_summary(), read.drop_summary(), "{sql}");
    }
}

#[test]
fn a_failed_read_stops_the_build_with_its_error() {
    struct Broken;
    impl sluice_engine::exec::BoundedInput for Broken {
        fn read(
            &mut self,
            table: &str,
            _: &mut dyn FnMut(&sluice_engine::Table) -> Result<(), sluice_engine::EngineError>,
        ) -> Result<(), sluice_engine::EngineError> {
            Err(sluice_engine::EngineError::Input {
                table: table.to_string(),
                message: "disk on fire".to_string(),
            })
        }
    }
    let catalog = Catalog::reference();
    let plan = analyze(sluice_sql::reference::QUERY, &catalog)
        .plan
        .expect("plans");
    let Err(err) = Engine::reading(&plan, &mut Broken, Options::default(), None) else {
        panic!("a failed read builds nothing");
    };
    assert!(err.to_string().contains("disk on fire"), "{err}");
}
