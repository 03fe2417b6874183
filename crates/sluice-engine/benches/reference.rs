//! `cargo bench -p sluice-engine`: the reference query at full size, native, with
//! peak memory and DuckDB (Python `duckdb`) computing the same result side by side.
//! `cargo xtask bench` installs DuckDB into `.tools/venv` and adds the wasm figures.

#[path = "common/figures.rs"]
mod figures;

// The `sluice` binary's allocator: glibc's spends much of a run freeing small rows.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write as _;
use std::process::Command;

fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The reference query in DuckDB's dialect over the same JSONL files.
const DUCKDB: &str = r#"
import duckdb, json, sys, time
d = sys.argv[1]
con = duckdb.connect()
t0 = time.perf_counter()
con.execute(f"CREATE TABLE orders AS SELECT * FROM read_json_auto('{d}/orders.jsonl')")
con.execute(f"CREATE TABLE stream AS SELECT * FROM read_json_auto('{d}/stream.jsonl')")
t1 = time.perf_counter()
best = None
for _ in range(3):
    t = time.perf_counter()
    rows = con.execute("""
WITH eligible_customers AS (
  SELECT customer_id, SUM(amount) AS total_spent FROM orders
  WHERE order_status = 'Closed' GROUP BY 1 HAVING SUM(amount) >= 5000)
SELECT o.*, ec.total_spent FROM stream o JOIN eligible_customers ec USING (customer_id)
WHERE o.order_status != 'Cancelled'
""").fetchall()
    spent = time.perf_counter() - t
    best = spent if best is None else min(best, spent)
print(json.dumps({"load": t1 - t0, "query": best, "rows": len(rows), "version": duckdb.__version__}))
"#;

fn python() -> Option<String> {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.tools/venv/bin/python");
    [venv, "python3"].into_iter().find_map(|p| {
        Command::new(p)
            .args(["-c", "import duckdb"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| p.to_string())
    })
}

fn main() {
    let epoch = std::time::Instant::now();
    println!("native:");
    let f = figures::run(&|| epoch.elapsed().as_secs_f64(), &mut |line| {
        println!("  {line}")
    });
    if let Some(mib) = peak_memory_mib() {
        println!("    peak memory (whole process, data included): {mib:.0} MiB");
    }
    let Some(python) = python() else {
        println!("  DuckDB: not installed (`cargo xtask bench` installs it into .tools/venv)");
        return;
    };
    // The same data as files, as `sluice generate` writes them.
    let dir = std::env::temp_dir().join(format!("sluice-bench-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let batch = sluice_datagen::BatchParams {
            customer_count: figures::CUSTOMERS,
            order_count: figures::ORDERS,
            ..Default::default()
        };
        let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("orders.jsonl"))?);
        for o in sluice_datagen::orders(&batch) {
            writeln!(w, "{}", o.to_json())?;
        }
        w.flush()?;
        let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("stream.jsonl"))?);
        let stream = sluice_datagen::StreamParams {
            customer_range: figures::CUSTOMERS,
            ..Default::default()
        };
        for e in sluice_datagen::Stream::new(stream).take(figures::EVENTS) {
            writeln!(w, "{}", e.to_json())?;
        }
        w.flush()
    })();
    if let Err(e) = written {
        println!("  DuckDB: cannot write the data files: {e}");
        return;
    }
    let out = Command::new(&python)
        .arg("-c")
        .arg(DUCKDB)
        .arg(&dir)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let parsed = out
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok());
    let Some(d) = parsed else {
        println!("  DuckDB: the comparison query failed");
        return;
    };
    let query = d["query"].as_f64().unwrap_or(f64::NAN);
    let ours = f.build + f.stream;
    println!(
        "DuckDB {} (same files, one batch query): load {:.3} s, query {:.3} s (best of 3), {} rows{}",
        d["version"].as_str().unwrap_or("?"),
        d["load"].as_f64().unwrap_or(f64::NAN),
        query,
        d["rows"],
        if d["rows"].as_u64() == Some(f.outputs as u64) {
            " (same count as the engine)"
        } else {
            " (DIFFERENT count from the engine)"
        }
    );
    println!(
        "  ratio: Sluice build+stream {:.3} s vs DuckDB query {:.3} s = {:.2}x DuckDB's time",
        ours,
        query,
        ours / query
    );
}
