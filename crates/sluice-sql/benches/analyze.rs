//! Prints parse+analyze times: the reference query, and generated queries of growing
//! size up to 1 MB (the time per byte should stay flat). `cargo bench -p sluice-sql`.

use std::time::{Duration, Instant};

use sluice_sql::{Catalog, analyze};

/// Runs `f` repeatedly for about `budget` and returns the mean time per run.
fn time(budget: Duration, mut f: impl FnMut()) -> Duration {
    f(); // warm up
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < budget || runs < 3 {
        f();
        runs += 1;
    }
    start.elapsed() / runs
}

/// A query of about `bytes` bytes: a long select list of expressions over the topic.
fn generated(bytes: usize) -> String {
    let mut sql = String::from("SELECT\n");
    let mut i = 0;
    while sql.len() < bytes {
        sql.push_str(&format!("  amount * {i} + customer_id AS c{i},\n"));
        i += 1;
    }
    sql.push_str(
        "  amount\nFROM pubsub.topic.`demobox-313313`.orders\nWHERE order_status != 'Cancelled'\n",
    );
    sql
}

fn main() {
    let catalog = Catalog::reference();
    let reference = sluice_sql::reference::QUERY;
    assert!(analyze(reference, &catalog).plan.is_some());
    let t = time(Duration::from_secs(2), || {
        std::hint::black_box(analyze(std::hint::black_box(reference), &catalog));
    });
    println!(
        "reference query ({} bytes): parse+analyze {:.1} µs",
        reference.len(),
        t.as_secs_f64() * 1e6
    );
    for bytes in [10_000, 100_000, 1_000_000] {
        let sql = generated(bytes);
        assert!(analyze(&sql, &catalog).plan.is_some());
        let t = time(Duration::from_secs(3), || {
            std::hint::black_box(analyze(std::hint::black_box(&sql), &catalog));
        });
        println!(
            "generated query ({:>7} bytes): parse+analyze {:>9.2} ms, {:.1} ns/byte",
            sql.len(),
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e9 / sql.len() as f64
        );
    }
}
