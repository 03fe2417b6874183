//! Unit tests of the live session.

use super::*;

fn reference(settings: Settings) -> Session {
    let catalog = Catalog::reference();
    let analysis = sluice_sql::analyze(sluice_sql::reference::QUERY, &catalog);
    let plan = Rc::new(analysis.plan.expect("the reference query plans"));
    Session::new(plan, &catalog, settings).expect("a session")
}

#[test]
fn stepping_and_running_to_the_end_agree() {
    let mut a = reference(Settings::default());
    for _ in 0..1000 {
        assert!(a.step().expect("steps"));
    }
    assert!(a.finished);
    assert!(!a.step().expect("steps"));
    let mut b = reference(Settings::default());
    b.run_to_end().expect("runs");
    assert_eq!(a.pushed(), 1000);
    assert_eq!(a.engine().outputs_total(), b.engine().outputs_total());
    assert_eq!(a.engine().accounting(), b.engine().accounting());
    assert!(a.engine().outputs_total() > 0);
}

#[test]
fn advance_pushes_only_what_is_due_and_moves_the_clock() {
    let mut s = reference(Settings::default());
    let start = s.sim_time;
    // The seed's pace is one event every 1 to 4 s: 10 s hold 3 to 11 events.
    let n = s.advance(start + 10_000_000, usize::MAX).expect("advances");
    assert!((3..=11).contains(&n), "{n}");
    assert_eq!(s.sim_time, start + 10_000_000);
    assert!(s.next_time().is_some_and(|t| t > s.sim_time));
    // A budget caps a slice; the clock stays at the last event pushed.
    let before = s.pushed();
    let n = s.advance(start + 1_000_000_000, 5).expect("advances");
    assert_eq!(n, 5);
    assert_eq!(s.pushed(), before + 5);
    assert!(s.sim_time < start + 1_000_000_000);
}

#[test]
fn outputs_are_explained_with_their_event_payload() {
    let mut s = reference(Settings::default());
    s.run_to_end().expect("runs");
    let last = s.engine().outputs_total() - 1;
    let why = s.explain(last).expect("the newest output is kept");
    let (event, payload) = &why.events[0];
    let payload = payload.as_deref().expect("the payload is kept");
    let cells = s.output_cells(last).expect("cells");
    assert!(
        payload.contains(&format!("\"customer_id\":{}", cells[1])),
        "{payload} {cells:?}"
    );
    assert!(*event < 1000);
    assert!(
        why.bounded
            .iter()
            .any(|(op, row, behind)| op.ends_with("Project")
                && row.contains("total_spent")
                && *behind > 0),
        "{:?}",
        why.bounded
    );
    let message = s.message(last).expect("a message");
    // Keys sorted, as the deployed pipeline writes them.
    assert!(message.starts_with("{\"amount\": "), "{message}");
    assert!(message.contains(", \"event_timestamp\": \""), "{message}");
    assert!(s.output(last + 1).is_none());
}

#[test]
fn top_keys_sum_the_amount_of_each_customer() {
    let mut s = reference(Settings::default());
    s.run_to_end().expect("runs");
    let (key, value, top) = s.top(5);
    assert_eq!(
        (key.as_str(), value.as_str()),
        ("customer_id", "sum of amount")
    );
    assert_eq!(top.len(), 5);
    assert!(top.windows(2).all(|w| w[0].1 >= w[1].1));
    let total: f64 = s.top(usize::MAX).2.iter().map(|(_, v)| v).sum();
    let direct: f64 = s
        .engine()
        .outputs
        .iter()
        .filter_map(|o| match o.row.get(2) {
            Some(Value::Float64(f)) => Some(*f),
            _ => None,
        })
        .sum();
    assert!((total - direct).abs() < 1e-6, "{total} {direct}");
}

/// The reference query over `sample` instead of its generated orders.
fn sampled(settings: Settings, sample: SampledStream) -> Session {
    let catalog = Catalog::reference();
    let analysis = sluice_sql::analyze(sluice_sql::reference::QUERY, &catalog);
    let plan = Rc::new(analysis.plan.expect("the reference query plans"));
    let samples = Samples {
        stream: Some(Rc::new(sample)),
        tables: vec![],
    };
    Session::with_clock(plan, &catalog, settings, samples, None).expect("a session")
}

#[test]
fn sampled_messages_stream_as_the_orders_they_carry() {
    // The generator's own orders, as a publisher sends them: the payload, published
    // at the event's time. Streamed as sampled messages, they give the same rows.
    let settings = Settings {
        events: 300,
        ..Settings::default()
    };
    let topic = Catalog::reference().sources[0].sql_name();
    let messages: Vec<(i64, String)> = Stream::new(settings.stream(0))
        .take(300)
        .map(|o| (o.event_timestamp, o.payload().to_string()))
        .collect();
    let mut generated = reference(settings);
    generated.run_to_end().expect("runs");
    let mut from_sample = sampled(
        settings,
        SampledStream {
            topic,
            label: "300 messages".into(),
            messages,
        },
    );
    assert!(from_sample.sample_used);
    from_sample.run_to_end().expect("runs");
    assert!(from_sample.finished);
    assert_eq!(from_sample.pushed(), 300);
    assert_eq!(from_sample.dead_lettered, 0);
    let rows = |s: &Session| -> Vec<String> {
        s.engine()
            .outputs
            .iter()
            .map(|o| format!("{:?}", o.row))
            .collect()
    };
    assert!(!rows(&generated).is_empty());
    assert_eq!(rows(&from_sample), rows(&generated));
    let first = from_sample
        .samples
        .stream
        .as_ref()
        .expect("a sample")
        .messages[0]
        .1
        .clone();
    assert_eq!(
        from_sample.event_text(0),
        Some(first),
        "an event shows as its message"
    );
}

#[test]
fn a_message_dataflow_refuses_is_dead_lettered_with_why_and_the_stream_ends_with_the_sample() {
    let topic = Catalog::reference().sources[0].sql_name();
    let mut s = sampled(
        Settings::default(),
        SampledStream {
            topic,
            label: "3 messages".into(),
            messages: vec![
                (
                    1_000_000,
                    r#"{"customer_id": 1, "amount": 1.5, "order_status": "Open"}"#.into(),
                ),
                (2_000_000, r#"{"customer_id": "1"}"#.into()),
                (3_000_000, "not json".into()),
            ],
        },
    );
    assert_eq!(s.sim_time, 1_000_000);
    // Played (not stepped) to past the last message: the stream ends with the sample.
    assert_eq!(s.advance(10_000_000, 100).expect("advances"), 3);
    assert!(s.finished);
    assert_eq!((s.pushed(), s.dead_lettered), (1, 2));
    assert!(
        s.dead_letter_reasons[0].contains("customer_id"),
        "{:?}",
        s.dead_letter_reasons
    );
    assert!(
        s.dead_letter_reasons[1].starts_with("not JSON"),
        "{:?}",
        s.dead_letter_reasons
    );
    assert_eq!(s.sim_time, 3_000_000);
}

#[test]
fn a_sample_of_a_topic_the_query_does_not_read_is_not_streamed() {
    let mut s = sampled(
        Settings::default(),
        SampledStream {
            topic: "pubsub.topic.`demobox-313313`.clicks".into(),
            label: "1 message".into(),
            messages: vec![(1_000_000, "{}".into())],
        },
    );
    assert!(!s.sample_used);
    assert!(s.step().expect("steps"), "generated orders stream");
    assert_eq!((s.pushed(), s.dead_lettered), (1, 0));
}

#[test]
fn sampled_table_rows_replace_the_generated_ones_and_misfits_are_counted() {
    let catalog = Catalog::reference();
    let analysis = sluice_sql::analyze(sluice_sql::reference::QUERY, &catalog);
    let plan = Rc::new(analysis.plan.expect("the reference query plans"));
    let named = |n: &str| {
        catalog
            .sources
            .iter()
            .map(|s| s.sql_name())
            .find(|s| s.ends_with(n))
            .expect("a source")
    };
    let orders = named("ecommerce.orders");
    // Customer 7 spent 6,000 on closed orders, customer 8 only 100; one row does not
    // fit the catalog's schema; a field the catalog does not name is left out.
    let table = Rc::new(SampledTable {
        table: orders,
        label: "4 rows of demobox-313313.ecommerce.orders".into(),
        rows: vec![
            json!({"customer_id": 7, "amount": 6000.0, "order_status": "Closed", "order_datetime": "2024-01-01T00:00:00Z", "extra": 1}),
            json!({"customer_id": 8, "amount": 100.0, "order_status": "Closed"}),
            json!({"customer_id": 8, "amount": "lots", "order_status": "Closed"}),
            json!({"customer_id": 9, "amount": 9000.0, "order_status": "Open"}),
        ],
    });
    let customers = Rc::new(SampledTable {
        table: named("ecommerce.customers"),
        label: "customers".into(),
        rows: vec![],
    });
    let topic = catalog.sources[0].sql_name();
    let message =
        |id: u32| format!(r#"{{"customer_id": {id}, "amount": 5.0, "order_status": "Open"}}"#);
    let samples = Samples {
        stream: Some(Rc::new(SampledStream {
            topic,
            label: "3 messages".into(),
            messages: vec![
                (1_000_000, message(7)),
                (2_000_000, message(8)),
                (3_000_000, message(9)),
            ],
        })),
        tables: vec![table.clone(), customers],
    };
    let mut s =
        Session::with_clock(plan, &catalog, Settings::default(), samples, None).expect("a session");
    assert_eq!(s.tables_read.len(), 1, "the query reads no customers");
    let (read, refused, why) = &s.tables_read[0];
    assert!(Rc::ptr_eq(read, &table));
    assert_eq!(*refused, 1);
    assert!(
        why.as_deref()
            .is_some_and(|w| w.starts_with("row 3:") && w.contains("amount")),
        "{why:?}"
    );
    s.run_to_end().expect("runs");
    let rows: Vec<String> = s
        .engine()
        .outputs
        .iter()
        .map(|o| format!("{:?}", o.row))
        .collect();
    assert_eq!(
        rows.len(),
        1,
        "only customer 7 spent 5,000 on closed orders: {rows:?}"
    );
    assert!(
        rows[0].contains("Int64(7)") && rows[0].contains("6000"),
        "{rows:?}"
    );
}

#[test]
fn samples_are_the_same_when_they_hold_the_same_ones() {
    let t = Rc::new(SampledTable {
        table: "t".into(),
        label: "t".into(),
        rows: vec![],
    });
    let a = Samples::default().with_table(t.clone());
    assert!(a == Samples::default().with_table(t.clone()));
    let copy = Rc::new((*t).clone());
    assert!(
        a != Samples::default().with_table(copy.clone()),
        "another sample, equal rows"
    );
    assert!(Rc::ptr_eq(&a.with_table(copy.clone()).tables[0], &copy));
    assert_eq!(a.with_table(copy).tables.len(), 1);
}

#[test]
fn drops_are_kept_with_their_operator() {
    let mut s = reference(Settings::default());
    s.run_to_end().expect("runs");
    let n = s.dropped_records();
    assert!(n > 0);
    let d = s.dropped(n - 1).expect("the newest drop is kept");
    let text = s.engine().reason_text(d);
    assert!(!text.is_empty());
    assert!(s.dropped(n).is_none());
}

#[test]
fn settings_round_trip_through_json_and_reject_nonsense() {
    let mut settings = Settings::default();
    settings.batch.seed = 7;
    settings.gap_millis = (50, 150);
    settings.events = 12_345;
    let (back, bad) = Settings::from_json(&settings.to_json());
    assert_eq!(back, settings);
    assert!(bad.is_empty());
    let (back, bad) = Settings::from_json(&json!({"customers": -1, "gap_ms": [5, 1], "seed": 9}));
    assert_eq!(bad, ["customers", "gap_ms"]);
    assert_eq!(back.batch.seed, 9);
    assert_eq!(
        back.batch.customer_count,
        Settings::default().batch.customer_count
    );
}

#[test]
fn speeds_parse_their_labels() {
    for s in Speed::ALL {
        assert_eq!(Speed::parse(&s.label()), Some(s));
    }
    assert_eq!(Speed::parse("2x"), None);
}
