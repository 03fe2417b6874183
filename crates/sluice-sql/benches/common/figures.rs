//! The benchmark's body, shared by the native bench (`benches/analyze.rs`) and the
//! wasm one in headless Chromium (`tests/wasm_bench.rs`): only the clock differs.

use sluice_sql::{Catalog, analyze};

/// Runs `f` repeatedly for about `budget` seconds of `now` (a clock in seconds)
/// and returns the mean time per run in seconds.
fn time(now: &dyn Fn() -> f64, budget: f64, f: &mut dyn FnMut()) -> f64 {
    f(); // warm up
    let start = now();
    let mut runs = 0u32;
    while now() - start < budget || runs < 3 {
        f();
        runs += 1;
    }
    (now() - start) / f64::from(runs)
}

/// Measures the reference query and generated queries of 10 KB to 1 MB, handing
/// each figure's line to `print`.
pub fn run(now: &dyn Fn() -> f64, print: &mut dyn FnMut(String)) {
    let catalog = Catalog::reference();
    let reference = sluice_sql::reference::QUERY;
    assert!(analyze(reference, &catalog).plan.is_some());
    let t = time(now, 2.0, &mut || {
        std::hint::black_box(analyze(std::hint::black_box(reference), &catalog));
    });
    let p = time(now, 2.0, &mut || {
        std::hint::black_box(sluice_sql::parse(std::hint::black_box(reference)).ok());
    });
    print(format!(
        "reference query ({} bytes): parse+analyze {:.1} µs (parse alone {:.1} µs)",
        reference.len(),
        t * 1e6,
        p * 1e6
    ));
    for bytes in [10_000, 100_000, 1_000_000] {
        let sql = sluice_sql::reference::generated_query(bytes, "amount");
        assert!(analyze(&sql, &catalog).plan.is_some());
        let t = time(now, 3.0, &mut || {
            std::hint::black_box(analyze(std::hint::black_box(&sql), &catalog));
        });
        let p = time(now, 3.0, &mut || {
            std::hint::black_box(sluice_sql::parse(std::hint::black_box(&sql)).ok());
        });
        print(format!(
            "generated query ({:>7} bytes): parse+analyze {:>9.2} ms, {:.1} ns/byte (parse alone {:.2} ms)",
            sql.len(),
            t * 1e3,
            t * 1e9 / sql.len() as f64,
            p * 1e3
        ));
    }
}
