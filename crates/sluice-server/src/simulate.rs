//! `sluice generate` and `sluice simulate`: write the reference scenario's data as
//! newline-delimited JSON, and run a query over such files with the engine.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use sluice_datagen::{BatchParams, Stream, StreamParams};
use sluice_engine::input::{OnBadRecord, RecordKind, read_record};
use sluice_engine::{Engine, Options};
use sluice_sql::diagnostics::render_human;
use sluice_sql::{Catalog, Severity, analyze};

use crate::check::{Format, load_catalog, read_input};

/// Writes `customers.jsonl` and `orders.jsonl` into `out`.
pub fn generate_batch(params: &BatchParams, out: &Path) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let customers = out.join("customers.jsonl");
    let orders = out.join("orders.jsonl");
    write_jsonl(
        &customers,
        sluice_datagen::customers(params)
            .iter()
            .map(|c| c.to_json()),
    )?;
    write_jsonl(
        &orders,
        sluice_datagen::orders(params).iter().map(|o| o.to_json()),
    )?;
    Ok((customers, orders))
}

/// Writes `count` stream events into `out`.
pub fn generate_stream(params: StreamParams, count: u64, out: &Path) -> Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_jsonl(
        out,
        Stream::new(params)
            .take(count as usize)
            .map(|e| e.to_json()),
    )
}

fn write_jsonl(path: &Path, items: impl Iterator<Item = serde_json::Value>) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for item in items {
        serde_json::to_writer(&mut w, &item)?;
        w.write_all(b"\n")?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// The outcome of `sluice simulate`: the text to print and the exit code.
pub struct Simulated {
    /// What to print on standard output.
    pub stdout: String,
    /// What to print on standard error (bad records, warnings).
    pub stderr: String,
    /// 0 ran, 1 the query has errors or a bad record stopped the run.
    pub code: u8,
}

/// Runs `sluice simulate`. `Err` is bad usage or an unreadable file (exit 2).
pub fn simulate(
    query: &Path,
    batch_dir: &Path,
    stream: &Path,
    catalog: Option<&Path>,
    format: Format,
    on_bad: OnBadRecord,
    lineage: bool,
) -> Result<Simulated> {
    let sql = read_input(query)?;
    let catalog: Catalog = load_catalog(catalog)?;
    let analysis = analyze(&sql, &catalog);
    let shown = query.display().to_string();
    let errors = analysis
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    let Some(plan) = analysis.plan.filter(|_| !errors) else {
        return Ok(Simulated {
            stdout: String::new(),
            stderr: render_human(&shown, &sql, &analysis.diagnostics),
            code: 1,
        });
    };
    let mut stderr = String::new();
    // The bounded tables the plan reads: <table>.jsonl in the batch directory.
    let mut tables = sluice_engine::Tables::new();
    for source in catalog.sources.iter().filter(|s| s.is_bounded()) {
        if !plan_reads(&plan, &source.sql_name()) {
            continue;
        }
        let path = batch_dir.join(format!("{}.jsonl", source.name));
        let file = std::fs::File::open(&path).with_context(|| {
            format!(
                "cannot read {} (the query reads {}; `sluice generate batch --out {}` writes it)",
                path.display(),
                source.sql_name(),
                batch_dir.display()
            )
        })?;
        let mut rows = Vec::new();
        let read = each_record(
            &path,
            file,
            &source.schema,
            on_bad,
            RecordKind::TableRow,
            &mut stderr,
            |row| {
                rows.push(row);
                Ok(())
            },
        )?;
        if !read {
            return Ok(Simulated {
                stdout: String::new(),
                stderr,
                code: 1,
            });
        }
        tables.insert(source.sql_name(), std::sync::Arc::new(rows));
    }
    let epoch = Instant::now();
    let clock = Box::new(move || epoch.elapsed().as_nanos() as u64);
    let mut engine = Engine::with_clock(&plan, &tables, Options::default(), Some(clock))?;
    let mut pushed = 0u64;
    let mut seconds = 0.0;
    if let Some(topic) = engine.stream_sources().first().map(|s| s.to_string()) {
        let schema = catalog
            .sources
            .iter()
            .find(|s| s.sql_name() == topic)
            .map(|s| s.schema.clone())
            .unwrap_or_default();
        if engine.stream_sources().len() > 1 {
            bail!(
                "the query reads more than one stream; `sluice simulate` takes one --stream file"
            );
        }
        let file = std::fs::File::open(stream)
            .with_context(|| format!("cannot read {}", stream.display()))?;
        // The stream's records are the topic's messages (with their event time), read
        // as Dataflow reads them, and pushed as they are read (never all held): a
        // batch at a time, so that the engine's own time is measured apart.
        let mut batch = Vec::with_capacity(PUSH_BATCH);
        let mut push = |batch: &mut Vec<sluice_engine::Row>| -> Result<()> {
            let started = Instant::now();
            for row in batch.drain(..) {
                engine.push(&topic, row)?;
                pushed += 1;
            }
            seconds += started.elapsed().as_secs_f64();
            Ok(())
        };
        let read = each_record(
            stream,
            file,
            &schema,
            on_bad,
            RecordKind::Message,
            &mut stderr,
            |row| {
                batch.push(row);
                if batch.len() == PUSH_BATCH {
                    push(&mut batch)?;
                }
                Ok(())
            },
        )?;
        if !read {
            return Ok(Simulated {
                stdout: String::new(),
                stderr,
                code: 1,
            });
        }
        push(&mut batch)?;
        let started = Instant::now();
        engine.finish();
        seconds += started.elapsed().as_secs_f64();
    }
    let events_per_second = if seconds > 0.0 {
        pushed as f64 / seconds
    } else {
        0.0
    };
    let stdout = match format {
        Format::Json => {
            let mut report = engine.report_json();
            report["events_per_second"] = serde_json::json!(events_per_second.round());
            if lineage {
                let all: Vec<serde_json::Value> = (0..engine.outputs.len())
                    .filter_map(|i| engine.lineage_json(i))
                    .collect();
                report["lineage"] = serde_json::Value::Array(all);
            }
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            text
        }
        Format::Human => human(&engine, events_per_second),
    };
    Ok(Simulated {
        stdout,
        stderr,
        code: 0,
    })
}

/// Stream rows pushed between two looks at the clock.
const PUSH_BATCH: usize = 4096;

/// Reads a JSONL file a line at a time (blank lines ignored), handing each good
/// record's row to `each` and reporting bad records on `stderr` as `file:line`;
/// `false` when one stopped the run (`--on-bad-record fail`).
fn each_record(
    path: &Path,
    file: std::fs::File,
    schema: &[sluice_sql::types::Field],
    on_bad: OnBadRecord,
    kind: RecordKind,
    stderr: &mut String,
    mut each: impl FnMut(sluice_engine::Row) -> Result<()>,
) -> Result<bool> {
    use std::io::BufRead as _;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .with_context(|| format!("cannot read {} after line {number}", path.display()))?;
        if n == 0 {
            return Ok(true);
        }
        number += 1;
        let record = line.trim_end_matches(['\n', '\r']);
        if record.trim().is_empty() {
            continue;
        }
        match read_record(record, schema, kind) {
            Ok(row) => each(row)?,
            Err(message) if on_bad == OnBadRecord::Skip => {
                stderr.push_str(&format!(
                    "{}:{number}: skipped: {message}\n",
                    path.display()
                ));
            }
            Err(message) => {
                stderr.push_str(&format!("{}:{number}: {message}\n", path.display()));
                return Ok(false);
            }
        }
    }
}

fn plan_reads(plan: &sluice_sql::Plan, name: &str) -> bool {
    match plan {
        sluice_sql::Plan::Scan { source, .. } => source.sql_name() == name,
        other => other.inputs().iter().any(|p| plan_reads(p, name)),
    }
}

/// A readable summary: operators, the first outputs, drop reasons.
fn human(engine: &Engine, events_per_second: f64) -> String {
    let mut out = String::new();
    let (emitted, dropped, pending) = engine.accounting();
    out.push_str(&format!(
        "{} events: {emitted} emitted, {dropped} dropped, {pending} pending; {} output rows ({:.0} events/s)\n\n",
        engine.events(),
        engine.outputs.len(),
        events_per_second
    ));
    out.push_str("operators (in -> out, dropped):\n");
    for n in engine.nodes() {
        out.push_str(&format!(
            "  {:>2} {:<9} {:>9} -> {:<9} {:>7}  {}{}\n",
            n.id,
            n.kind,
            n.stats.rows_in,
            n.stats.rows_out,
            n.stats.dropped,
            sluice_engine::exec::readable(&n.label),
            if n.bounded { "  [bounded]" } else { "" }
        ));
    }
    let shown = engine.outputs.len().min(20);
    out.push_str(&format!(
        "\nfirst {shown} of {} rows (BigQuery table and Pub/Sub messages):\n",
        engine.outputs.len()
    ));
    for i in 0..shown {
        if let Some(row) = engine.output_json(i) {
            out.push_str(&format!("  {row}\n"));
        }
    }
    if let Some(why) = engine.lineage_json(0) {
        out.push_str(&format!("\nwhy the first row: {why}\n"));
    }
    let reasons = engine.drop_summary();
    if !reasons.is_empty() {
        out.push_str("\ndropped events by reason:\n");
        for (reason, n) in reasons {
            out.push_str(&format!("  {n:>9}  {reason}\n"));
        }
        if let Some(first) = engine.dropped.front() {
            out.push_str(&format!(
                "  e.g. event {:?}: {}\n",
                first.events.to_vec(),
                engine.reason_text(first)
            ));
        }
    }
    out
}
