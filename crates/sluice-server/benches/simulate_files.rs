//! `sluice simulate` on files against DuckDB on the same files, whole processes side
//! by side: 100,000 customers, 1,000,000 batch orders and 1,000,000 stream events
//! from `sluice generate`, the reference query; three alternating runs of each,
//! medians of wall time and peak memory (GNU time's `%e` and `%M`). DuckDB runs from
//! `.tools/venv` (`cargo xtask bench` installs it), reading the same files with
//! `read_json_auto` and fetching every row. Printed, never asserted.

use std::path::{Path, PathBuf};
use std::process::Command;

const CUSTOMERS: &str = "100000";
const ORDERS: &str = "1000000";
const EVENTS: &str = "1000000";

/// The reference query in DuckDB's dialect over the files, all rows fetched.
const DUCKDB: &str = r#"
import duckdb, sys
d = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"""
WITH eligible_customers AS (
  SELECT customer_id, SUM(amount) AS total_spent FROM read_json_auto('{d}/orders.jsonl')
  WHERE order_status = 'Closed' GROUP BY 1 HAVING SUM(amount) >= 5000)
SELECT o.*, ec.total_spent FROM read_json_auto('{d}/stream.jsonl') o
JOIN eligible_customers ec USING (customer_id)
WHERE o.order_status != 'Cancelled'
""").fetchall()
print(f"{len(rows)} rows, DuckDB {duckdb.__version__}")
"#;

/// One whole-process run: wall seconds, peak resident KiB, bytes written to stdout,
/// and its line that counts the events (or, for DuckDB, the rows).
struct Run {
    seconds: f64,
    peak_kib: f64,
    output_bytes: u64,
    summary: String,
}

fn measured(program: &Path, args: &[&str], out: &Path) -> Option<Run> {
    let stats = out.with_extension("time");
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&stats)
        .arg(program)
        .args(args)
        .stdout(std::fs::File::create(out).ok()?)
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        eprintln!("  {} failed with {status}", program.display());
        return None;
    }
    let text = std::fs::read_to_string(&stats).ok()?;
    let mut fields = text.split_whitespace();
    let seconds = fields.next()?.parse().ok()?;
    let peak_kib = fields.next()?.parse().ok()?;
    let output_bytes = std::fs::metadata(out).ok()?.len();
    let summary = std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::open(out).ok()?))
        .map_while(Result::ok)
        .find(|l| l.contains("events:") || l.contains("\"events\":") || l.contains(" rows, DuckDB"))
        .unwrap_or_default();
    Some(Run {
        seconds,
        peak_kib,
        output_bytes,
        summary: summary.trim().to_string(),
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

fn python() -> Option<PathBuf> {
    let venv = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.tools/venv/bin/python"
    ));
    [venv, PathBuf::from("python3")].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn main() {
    let sluice = PathBuf::from(env!("CARGO_BIN_EXE_sluice"));
    println!(
        "sluice simulate on files vs DuckDB ({CUSTOMERS} customers, {ORDERS} orders, {EVENTS} events):"
    );
    if !Path::new("/usr/bin/time").is_file() {
        println!("  skipped: GNU time (/usr/bin/time, Debian package `time`) measures peak memory");
        return;
    }
    let Ok(temp) = tempfile::tempdir() else {
        println!("  skipped: no temporary directory");
        return;
    };
    let dir = temp.path();
    let d = dir.to_string_lossy().to_string();
    let generated = Command::new(&sluice)
        .args([
            "generate",
            "batch",
            "--customer-count",
            CUSTOMERS,
            "--order-count",
            ORDERS,
            "--out",
            &d,
        ])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new(&sluice)
            .args([
                "generate",
                "stream",
                "--customer-range",
                CUSTOMERS,
                "--count",
                EVENTS,
                "--out",
            ])
            .arg(dir.join("stream.jsonl"))
            .output()
            .is_ok_and(|o| o.status.success());
    let query = dir.join("query.sql");
    if !generated || std::fs::write(&query, sluice_sql::reference::QUERY).is_err() {
        println!("  skipped: `sluice generate` failed");
        return;
    }
    let q = query.to_string_lossy().to_string();
    let stream = dir.join("stream.jsonl").to_string_lossy().to_string();
    let python = python();
    let mut runs: Vec<(&str, Vec<Run>)> = vec![
        ("sluice simulate (human output)", Vec::new()),
        ("sluice simulate --format json", Vec::new()),
        (
            "DuckDB (Python, read_json_auto, all rows fetched)",
            Vec::new(),
        ),
    ];
    for _ in 0..3 {
        for (i, format) in ["human", "json"].into_iter().enumerate() {
            let args = [
                "simulate",
                "--batch-dir",
                &d,
                "--stream",
                &stream,
                "--format",
                format,
                &q,
            ];
            if let Some(r) = measured(&sluice, &args, &dir.join(format!("out-{format}"))) {
                runs[i].1.push(r);
            }
        }
        if let Some(python) = &python
            && let Some(r) = measured(python, &["-c", DUCKDB, &d], &dir.join("out-duckdb"))
        {
            runs[2].1.push(r);
        }
    }
    for (name, rs) in &runs {
        if rs.is_empty() {
            println!(
                "  {name}: not run{}",
                if name.starts_with("DuckDB") {
                    " (`cargo xtask bench` installs DuckDB into .tools/venv)"
                } else {
                    ""
                }
            );
            continue;
        }
        let seconds = median(rs.iter().map(|r| r.seconds).collect());
        let peak = median(rs.iter().map(|r| r.peak_kib / 1024.0).collect());
        let bytes = median(rs.iter().map(|r| r.output_bytes as f64).collect());
        println!(
            "  {name}: {seconds:.2} s, peak {peak:.0} MiB, {:.0} KB of output (medians of {})\n    {}",
            bytes / 1e3,
            rs.len(),
            rs[0].summary.chars().take(150).collect::<String>()
        );
    }
}
