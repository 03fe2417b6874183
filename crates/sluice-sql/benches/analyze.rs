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

fn main() {
    let catalog = Catalog::reference();
    let reference = sluice_sql::reference::QUERY;
    assert!(analyze(reference, &catalog).plan.is_some());
    let t = time(Duration::from_secs(2), || {
        std::hint::black_box(analyze(std::hint::black_box(reference), &catalog));
    });
    let p = time(Duration::from_secs(2), || {
        std::hint::black_box(sluice_sql::parse(std::hint::black_box(reference)).ok());
    });
    println!(
        "reference query ({} bytes): parse+analyze {:.1} µs (parse alone {:.1} µs)",
        reference.len(),
        t.as_secs_f64() * 1e6,
        p.as_secs_f64() * 1e6
    );
    for bytes in [10_000, 100_000, 1_000_000] {
        let sql = sluice_sql::reference::generated_query(bytes, "amount");
        assert!(analyze(&sql, &catalog).plan.is_some());
        let t = time(Duration::from_secs(3), || {
            std::hint::black_box(analyze(std::hint::black_box(&sql), &catalog));
        });
        let p = time(Duration::from_secs(3), || {
            std::hint::black_box(sluice_sql::parse(std::hint::black_box(&sql)).ok());
        });
        println!(
            "generated query ({:>7} bytes): parse+analyze {:>9.2} ms, {:.1} ns/byte (parse alone {:.2} ms)",
            sql.len(),
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e9 / sql.len() as f64,
            p.as_secs_f64() * 1e3
        );
    }
}
