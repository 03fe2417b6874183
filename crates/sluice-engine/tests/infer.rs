//! Schema inference (`sluice_sql::infer`) against the engine's message reader: a
//! schema inferred from messages made from any schema reads every one of those
//! messages as the simulator (and the deployed pipeline) reads them, and gives
//! each field the type it was made with, except where the rules say otherwise
//! (times inside RECORDs and arrays are STRINGs).

#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::{Map, Value};
use sluice_engine::input::row_from_message;
use sluice_sql::catalog::EVENT_TIMESTAMP;
use sluice_sql::infer::infer_topic_schema;
use sluice_sql::types::{DataType, Field};

/// The type a generated field is made with.
#[derive(Debug, Clone)]
enum Gen {
    Int,
    Float,
    Bool,
    Text,
    Date,
    Timestamp,
    Record(Vec<(String, Gen)>),
    Array(Box<Gen>),
}

fn scalar() -> impl Strategy<Value = Gen> {
    prop_oneof![
        Just(Gen::Int),
        Just(Gen::Float),
        Just(Gen::Bool),
        Just(Gen::Text),
        Just(Gen::Date),
        Just(Gen::Timestamp),
    ]
}

/// Fields named `f0`, `f1`, … (unique whatever the case).
fn fields(inner: impl Strategy<Value = Gen>) -> impl Strategy<Value = Vec<(String, Gen)>> {
    prop::collection::vec(inner, 1..5).prop_map(|types| {
        types
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("f{i}"), t))
            .collect()
    })
}

fn gen_type() -> impl Strategy<Value = Gen> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            fields(inner.clone()).prop_map(Gen::Record),
            // An array holds scalars or records, never arrays.
            inner
                .prop_filter("no array of arrays", |t| !matches!(t, Gen::Array(_)))
                .prop_map(|t| Gen::Array(Box::new(t))),
        ]
    })
}

/// A JSON value of `t`, from `seed`.
fn value(t: &Gen, seed: &mut u64) -> Value {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    match t {
        Gen::Int => Value::from(next() as i64),
        Gen::Float => Value::from((next() % 1_000_000) as f64 / 100.0 + 0.5),
        Gen::Bool => Value::from(next() % 2 == 0),
        Gen::Text => Value::from(
            (0..next() % 8)
                .map(|_| char::from(b'a' + (next() % 26) as u8))
                .collect::<String>(),
        ),
        Gen::Date => {
            let n = next();
            Value::from(format!(
                "{:04}-{:02}-{:02}",
                1970 + n % 80,
                1 + (n >> 8) % 12,
                1 + (n >> 16) % 28
            ))
        }
        Gen::Timestamp => {
            let n = next();
            let zone = ["Z", "+02:00", " UTC", "-05:30"][(n % 4) as usize];
            Value::from(format!(
                "2026-{:02}-{:02}{}{:02}:{:02}:{:02}{zone}",
                1 + (n >> 8) % 12,
                1 + (n >> 16) % 28,
                if zone == " UTC" { ' ' } else { 'T' },
                (n >> 24) % 24,
                (n >> 32) % 60,
                (n >> 40) % 60,
            ))
        }
        Gen::Record(fields) => object(fields, seed),
        Gen::Array(element) => {
            let n = 1 + next() % 3;
            Value::Array((0..n).map(|_| value(element, seed)).collect())
        }
    }
}

/// An object of `fields`, each left out one time in four.
fn object(fields: &[(String, Gen)], seed: &mut u64) -> Value {
    let mut map = Map::new();
    for (name, t) in fields {
        *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        if !(*seed >> 33).is_multiple_of(4) {
            map.insert(name.clone(), value(t, seed));
        }
    }
    Value::Object(map)
}

/// The type inference gives a field made as `t`; `top` for a message's own fields.
fn expected(t: &Gen, top: bool) -> DataType {
    match t {
        Gen::Int => DataType::Int64,
        Gen::Float => DataType::Float64,
        Gen::Bool => DataType::Bool,
        Gen::Text => DataType::String,
        Gen::Date if top => DataType::Date,
        Gen::Timestamp if top => DataType::Timestamp,
        Gen::Date | Gen::Timestamp => DataType::String,
        Gen::Record(_) => unreachable!("records are compared field by field"),
        Gen::Array(_) => unreachable!("arrays are compared by element"),
    }
}

/// Checks each inferred field against the field it was made from.
fn same_types(inferred: &[Field], made: &[(String, Gen)], top: bool, path: &str) {
    for f in inferred {
        let Some((_, t)) = made.iter().find(|(n, _)| *n == f.name) else {
            panic!("{path}{} was inferred but never made", f.name);
        };
        check_type(&f.data_type, t, top, &format!("{path}{}", f.name));
    }
}

fn check_type(inferred: &DataType, t: &Gen, top: bool, path: &str) {
    match (inferred, t) {
        (DataType::Struct(fields), Gen::Record(made)) => {
            same_types(fields, made, false, &format!("{path}."))
        }
        (DataType::Array(element), Gen::Array(made)) => {
            check_type(element, made, false, &format!("{path}[]"))
        }
        (inferred, t) => assert_eq!(*inferred, expected(t, top), "{path} made as {t:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_schema_inferred_from_messages_reads_them_all_with_the_types_they_were_made_with(
        made in fields(gen_type()),
        seed in any::<u64>(),
        count in 1usize..12,
    ) {
        let mut seed = seed | 1;
        let messages: Vec<Value> = (0..count).map(|_| object(&made, &mut seed)).collect();
        let text = messages.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
        let inferred = infer_topic_schema(&text).expect("inferred");
        prop_assert!(!inferred.has_conflicts(), "{:?}", inferred.findings);
        prop_assert_eq!(inferred.messages, count);
        prop_assert_eq!(&inferred.fields[0].name, EVENT_TIMESTAMP);
        let payload: Vec<Field> = inferred.fields[1..].to_vec();
        for (i, m) in messages.iter().enumerate() {
            if let Err(e) = row_from_message(m, &payload) {
                panic!("message {} ({m}) is refused by the inferred schema: {e}", i + 1);
            }
        }
        same_types(&payload, &made, true, "");
        // Every field some message holds is in the schema.
        for m in &messages {
            for key in m.as_object().expect("an object").keys() {
                prop_assert!(payload.iter().any(|f| f.name == *key), "{} is missing", key);
            }
        }
    }
}

#[test]
fn the_seed_messages_of_the_reference_stream_infer_the_seed_schema() {
    // The stream the generator makes for the reference scenario, as its messages.
    let stream = sluice_datagen::Stream::new(sluice_datagen::StreamParams::default());
    let text = stream
        .take(50)
        .map(|order| order.payload().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let inferred = infer_topic_schema(&text).expect("inferred");
    let seed =
        sluice_sql::schema::parse_schema_json(sluice_sql::reference::ORDERS_TOPIC_SCHEMA_JSON)
            .expect("the seed schema");
    assert_eq!(inferred.fields, seed);
}
