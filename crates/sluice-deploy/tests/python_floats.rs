//! FLOAT64 in a Pub/Sub message, against Python itself: the pipeline's `ToMessage`
//! step writes floats with `json.dumps` (`sluice_deploy::python::message`), which
//! is `float.__repr__`: the shortest digits that read back, the nearer of two as
//! short, halves to even. Rust's own shortest formatting picks otherwise on such
//! ties, so every kind of double goes through both here.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::beam_python;
use sluice_engine::value::Value;
use sluice_sql::types::DataType;

/// Deterministic doubles of every kind: random bit patterns (all exponents), money
/// amounts, whole numbers, the layout boundaries, and values halfway between two
/// 17-digit texts.
fn doubles() -> Vec<f64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut xs: Vec<f64> = (0..40_000)
        .map(|_| f64::from_bits(next()))
        .filter(|x| x.is_finite())
        .collect();
    xs.extend((0..20_000).map(|_| (next() % 100_000_000) as f64 / 100.0));
    xs.extend((0..5_000).map(|_| (next() >> 11) as f64));
    xs.extend((0..5_000).map(|_| (next() >> 11) as f64 + 0.25));
    xs.extend([
        0.0,
        -0.0,
        1e-4,
        9.999_999_999_999_999e-5,
        1e16,
        9_999_999_999_999_998.0,
        1e-5,
        1.5e-5,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        1_950_806_630_476_168.2,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]);
    xs
}

#[test]
fn floats_in_messages_are_written_as_python_writes_them() {
    let xs = doubles();
    let python = beam_python();
    let mut child = Command::new(&python)
        .args([
            "-c",
            "import sys, json\nfor line in sys.stdin:\n    print(json.dumps(float.fromhex(line)) if line.strip() not in ('nan', 'inf', '-inf') else json.dumps(float(line)))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", python.display()));
    let mut input = String::new();
    for x in &xs {
        if x.is_nan() {
            input.push_str("nan\n");
        } else if x.is_infinite() {
            input.push_str(if *x > 0.0 { "inf\n" } else { "-inf\n" });
        } else {
            input.push_str(&hex(*x));
            input.push('\n');
        }
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python runs");
    writer.join().expect("writes").expect("writes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let python_text = String::from_utf8(out.stdout).expect("utf-8");
    let theirs: Vec<&str> = python_text.lines().collect();
    assert_eq!(theirs.len(), xs.len());
    let mut differ = Vec::new();
    for (x, python) in xs.iter().zip(&theirs) {
        // A one-column message: `{"x": <float>}`.
        let message = sluice_engine::message::pubsub_message(
            [("x", &DataType::Float64)],
            &[Value::Float64(*x)],
        );
        let ours = message
            .strip_prefix("{\"x\": ")
            .and_then(|m| m.strip_suffix('}'))
            .unwrap_or(&message);
        if ours != *python {
            differ.push(format!("{x:e} ({}): ours {ours}, Python {python}", hex(*x)));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ, e.g. {:?}",
        differ.len(),
        xs.len(),
        &differ[..differ.len().min(5)]
    );
}

/// `x` as Python's `float.hex` reads it.
fn hex(x: f64) -> String {
    let bits = x.to_bits();
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    let mantissa = bits & ((1 << 52) - 1);
    match exponent {
        0 => format!("{sign}0x0.{mantissa:013x}p-1022"),
        _ => format!("{sign}0x1.{mantissa:013x}p{}", exponent - 1023),
    }
}
