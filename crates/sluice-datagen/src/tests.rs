//! Unit tests of the generators: determinism, the seed's distributions, rows that
//! follow the reference catalog.

use super::*;

#[test]
fn a_paced_stream_waits_the_event_time_between_events_over_the_speed() {
    let params = StreamParams::default();
    let times: Vec<i64> = Stream::new(params)
        .take(5)
        .map(|e| e.event_timestamp)
        .collect();
    let paced: Vec<_> = Stream::new(params).paced(4.0).take(5).collect();
    assert_eq!(paced[0].0, std::time::Duration::ZERO);
    for i in 1..5 {
        let gap = (times[i] - times[i - 1]) as u64 / 4;
        assert!(gap > 0);
        assert_eq!(paced[i].0, std::time::Duration::from_micros(gap));
        assert_eq!(paced[i].1.event_timestamp, times[i]);
    }
    let odd: Vec<_> = Stream::new(params).paced(f64::NAN).take(2).collect();
    assert_eq!(
        odd[1].0,
        std::time::Duration::from_micros((times[1] - times[0]) as u64)
    );
}

#[test]
fn the_same_seed_gives_the_same_data() {
    let p = BatchParams::default();
    assert_eq!(customers(&p), customers(&p));
    assert_eq!(orders(&p), orders(&p));
    let other = BatchParams { seed: 7, ..p };
    assert_ne!(orders(&p), orders(&other));
    // More orders leave the customers (and the first orders) as they were.
    let more = BatchParams {
        order_count: 2000,
        ..p
    };
    assert_eq!(customers(&p), customers(&more));
    assert_eq!(orders(&p)[..], orders(&more)[..1000]);
}

#[test]
fn batch_orders_follow_the_seed_generator() {
    let p = BatchParams {
        order_count: 20_000,
        ..BatchParams::default()
    };
    let o = orders(&p);
    assert!(
        o.iter().all(|x| (1..100).contains(&x.customer_id)),
        "id 100 is never drawn"
    );
    assert!(o.iter().any(|x| x.customer_id == 99));
    assert!(o.iter().all(|x| (0.01..=999.99).contains(&x.amount)));
    assert!(
        o.iter()
            .all(|x| (x.amount * 100.0).round() / 100.0 == x.amount)
    );
    assert!(
        o.iter()
            .all(|x| (ORDERS_SINCE_MICROS..DEFAULT_NOW_MICROS).contains(&x.order_datetime))
    );
    let share = |s: &str| o.iter().filter(|x| x.order_status == s).count() as f64 / o.len() as f64;
    assert!((share("Open") - 0.20).abs() < 0.02, "{}", share("Open"));
    assert!((share("Closed") - 0.75).abs() < 0.02);
    assert!((share("Cancelled") - 0.05).abs() < 0.01);
    let inclusive = orders(&BatchParams {
        customer_draw: CustomerDraw::Inclusive,
        ..p
    });
    assert!(inclusive.iter().any(|x| x.customer_id == 100));
}

#[test]
fn the_stream_ticks_every_one_to_four_seconds() {
    let events: Vec<StreamOrder> = Stream::new(StreamParams::default()).take(1000).collect();
    assert_eq!(events[0].event_timestamp, DEFAULT_NOW_MICROS);
    assert_eq!(events[0].order_datetime, "2026-11-24 00:00:00");
    for w in events.windows(2) {
        let gap = w[1].event_timestamp - w[0].event_timestamp;
        assert!((1_000_000..=4_000_000).contains(&gap) && gap % 1_000_000 == 0);
    }
    assert!(events.iter().all(|e| e.order_status == "Open"));
    assert!(events.iter().all(|e| (500.0..=699.99).contains(&e.amount)));
    let mixed: Vec<StreamOrder> = Stream::new(StreamParams {
        status_mix: StatusMix::parse("20,75,5").expect("parses"),
        ..StreamParams::default()
    })
    .take(1000)
    .collect();
    assert!(mixed.iter().any(|e| e.order_status == "Cancelled"));
}

#[test]
fn a_faster_stream_ticks_in_milliseconds() {
    let events: Vec<StreamOrder> = Stream::new(StreamParams {
        gap_millis: (50, 150),
        ..StreamParams::default()
    })
    .take(1000)
    .collect();
    let gaps: Vec<i64> = events
        .windows(2)
        .map(|w| w[1].event_timestamp - w[0].event_timestamp)
        .collect();
    assert!(
        gaps.iter()
            .all(|g| (50_000..=150_000).contains(g) && g % 1_000 == 0)
    );
    assert!(gaps.iter().any(|g| g % 1_000_000 != 0));
}

#[test]
fn status_mix_errors_say_what_is_wrong() {
    assert!(StatusMix::parse("20,75").is_err_and(|e| e.contains("three")));
    assert!(StatusMix::parse("a,1,1").is_err_and(|e| e.contains("\"a\"")));
    assert!(StatusMix::parse("0,0,0").is_err());
    assert_eq!(parse_gap_millis("50, 150"), Ok((50, 150)));
    assert!(parse_gap_millis("4000,1000").is_err_and(|e| e.contains("above")));
    assert!(parse_gap_millis("1s,2").is_err_and(|e| e.contains("\"1s\"")));
    assert!(parse_gap_millis("0,0").is_err());
}

#[test]
fn a_payload_is_the_event_without_its_time() {
    for e in Stream::new(StreamParams::default()).take(20) {
        let mut event = e.to_json();
        let time = event
            .as_object_mut()
            .and_then(|o| o.remove("event_timestamp"));
        assert!(time.is_some());
        assert_eq!(e.payload(), event);
    }
}

#[test]
fn rows_follow_the_reference_catalog() {
    let catalog = sluice_sql::Catalog::reference();
    let schema = |name: &str| {
        catalog
            .sources
            .iter()
            .find(|s| s.sql_name().ends_with(name))
            .map(|s| s.schema.clone())
            .expect("in the catalog")
    };
    let p = BatchParams::default();
    let c = &customers(&p)[0];
    let row = c.to_row(&schema("ecommerce.customers"));
    assert_eq!(row[0], Value::Int64(1));
    assert!(matches!(row[12], Value::Struct(_)));
    let json = c.to_json();
    for (field, value) in schema("ecommerce.customers").iter().zip(&row) {
        assert_eq!(
            Value::from_json(&json[&field.name], &field.data_type).as_ref(),
            Ok(value),
            "{}",
            field.name
        );
    }
}
