//! `sluice simulate` on files against DuckDB on the same files, whole processes side
//! by side: 100,000 customers, 1,000,000 batch orders and 1,000,000 stream events
//! from `sluice generate`, the reference query; five alternating runs of each,
//! medians of wall time and peak memory (GNU time's `%e` and `%M`). DuckDB runs from
//! `.tools/venv` (`cargo xtask bench` installs it), reading the same files with
//! `read_json_auto` and fetching every row. Then, unmeasured, DuckDB writes its
//! rows and they are compared with Sluice's JSON report. Printed, never asserted.

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

/// The same query, its rows written a line each for the comparison: event time in
/// microseconds, customer, amount and total spent (floats as Python's `repr`).
const DUCKDB_ROWS: &str = r#"
import duckdb, sys
d, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
rows = con.execute(f"""
WITH eligible_customers AS (
  SELECT customer_id, SUM(amount) AS total_spent FROM read_json_auto('{d}/orders.jsonl')
  WHERE order_status = 'Closed' GROUP BY 1 HAVING SUM(amount) >= 5000)
SELECT epoch_us(CAST(o.event_timestamp AS TIMESTAMPTZ)), o.customer_id, o.amount, ec.total_spent
FROM read_json_auto('{d}/stream.jsonl') o
JOIN eligible_customers ec USING (customer_id)
WHERE o.order_status != 'Cancelled'
""").fetchall()
with open(out, "w") as f:
    for r in rows:
        f.write(f"{r[0]} {r[1]} {r[2]!r} {r[3]!r}\n")
"#;

/// One output row, as both sides give it: event time (µs), customer, amount, total.
type Row = (i64, i64, f64, f64);

/// Sluice's rows, from the JSON report's `table_rows`.
fn sluice_rows(report: &Path) -> Option<Vec<Row>> {
    let text = std::fs::read_to_string(report).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["table_rows"]
        .as_array()?
        .iter()
        .map(|r| {
            Some((
                sluice_sql::literal::parse_timestamp(r["event_timestamp"].as_str()?)?,
                r["customer_id"].as_i64()?,
                r["amount"].as_f64()?,
                r["total_spent"].as_f64()?,
            ))
        })
        .collect()
}

/// DuckDB's rows, as [`DUCKDB_ROWS`] writes them.
fn duckdb_rows(python: &Path, dir: &Path) -> Option<Vec<Row>> {
    let out = dir.join("duckdb-rows.txt");
    let ran = Command::new(python)
        .args(["-c", DUCKDB_ROWS])
        .arg(dir)
        .arg(&out)
        .status()
        .ok()?;
    if !ran.success() {
        return None;
    }
    std::fs::read_to_string(&out)
        .ok()?
        .lines()
        .map(|l| {
            let mut f = l.split(' ');
            Some((
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
            ))
        })
        .collect()
}

/// Whether the two sides give the same rows: the same events with the same amounts,
/// totals equal to a millionth of a cent, except rows of a customer whose total sits
/// within a cent of the 5,000 threshold (FLOAT64 sums in another order may fall on
/// either side of it; DuckDB itself decides differently from run to run).
fn compare(mut ours: Vec<Row>, mut theirs: Vec<Row>) -> String {
    let near = |total: f64| (total - 5000.0).abs() < 0.01;
    let key = |a: &Row, b: &Row| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.total_cmp(&b.2));
    ours.sort_by(key);
    theirs.sort_by(key);
    let (mut i, mut j, mut near_only, mut differ) = (0, 0, 0, Vec::new());
    while i < ours.len() || j < theirs.len() {
        match (ours.get(i), theirs.get(j)) {
            (Some(a), Some(b)) if key(a, b).is_eq() => {
                if (a.3 - b.3).abs() > 1e-8 * a.3.abs().max(1.0) {
                    differ.push(format!("total of customer {}: {} vs {}", a.1, a.3, b.3));
                }
                i += 1;
                j += 1;
            }
            (Some(a), b) if b.is_none_or(|b| key(a, b).is_lt()) => {
                if near(a.3) {
                    near_only += 1;
                } else {
                    differ.push(format!("only Sluice has {a:?}"));
                }
                i += 1;
            }
            (_, Some(b)) => {
                if near(b.3) {
                    near_only += 1;
                } else {
                    differ.push(format!("only DuckDB has {b:?}"));
                }
                j += 1;
            }
            (Some(_), None) | (None, None) => break,
        }
    }
    match differ.len() {
        0 => format!(
            "equal: {} rows each{}",
            ours.len().max(theirs.len()),
            if near_only > 0 {
                format!(" but {near_only} of a customer within a cent of 5,000")
            } else {
                String::new()
            }
        ),
        n => format!("{n} DIFFERENCES, e.g. {}", differ[..n.min(3)].join("; ")),
    }
}

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
    for _ in 0..5 {
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
    let compared = match (&python, sluice_rows(&dir.join("out-json"))) {
        (None, _) => "not compared (no DuckDB)".to_string(),
        (_, None) => "not compared (Sluice's JSON report unreadable)".to_string(),
        (Some(python), Some(ours)) => match duckdb_rows(python, dir) {
            Some(theirs) => compare(ours, theirs),
            None => "not compared (DuckDB failed)".to_string(),
        },
    };
    println!("  rows, Sluice vs DuckDB: {compared}");
}
