//! `sluice generate` and `sluice simulate`: write the reference scenario's data as
//! newline-delimited JSON, and run a query over such files with the engine.

use std::io::Write;
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

/// The outcome of `sluice simulate` besides its report: what to print on standard
/// error and the exit code.
pub struct Simulated {
    /// What to print on standard error (bad records, query errors).
    pub stderr: String,
    /// 0 ran, 1 the query has errors or a bad record stopped the run.
    pub code: u8,
}

/// Which dropped events the report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Drops {
    /// How many by reason and operator, with one example each.
    #[default]
    Summary,
    /// Every dropped event kept, one entry each, besides the summary.
    All,
}

/// What `sluice simulate` is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The query file (`-` for standard input).
    pub query: &'a Path,
    /// The directory of `<table>.jsonl` files.
    pub batch_dir: &'a Path,
    /// The stream's JSONL file.
    pub stream: &'a Path,
    /// A catalog file, or the reference scenario's.
    pub catalog: Option<&'a Path>,
    /// The report's format.
    pub format: Format,
    /// What a bad record does.
    pub on_bad: OnBadRecord,
    /// Whether the JSON report has each output row's lineage.
    pub lineage: bool,
    /// Which dropped events the report lists.
    pub drops: Drops,
}

/// Runs `sluice simulate`, writing the report to `out` as it is produced (nothing
/// when the query has errors or a bad record stopped the run). `Err` is bad usage,
/// an unreadable file or a failed write (exit 2).
pub fn simulate(request: &Request, out: &mut dyn Write) -> Result<Simulated> {
    let Request {
        query,
        batch_dir,
        stream,
        catalog,
        format,
        on_bad,
        lineage,
        drops,
    } = *request;
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
            stderr: render_human(&shown, &sql, &analysis.diagnostics),
            code: 1,
        });
    };
    // The stream the plan reads (one at most), read on a thread of its own from the
    // start, while the bounded side is read and built here: its rows come over in
    // batches (at most READ_AHEAD of them waiting), never all held.
    let streams: Vec<_> = catalog
        .sources
        .iter()
        .filter(|s| !s.is_bounded() && plan_reads(&plan, &s.sql_name()))
        .collect();
    if streams.len() > 1 {
        bail!("the query reads more than one stream; `sluice simulate` takes one --stream file");
    }
    let stream_file = match streams.first() {
        Some(_) => Some(
            std::fs::File::open(stream)
                .with_context(|| format!("cannot read {}", stream.display()))?,
        ),
        None => None,
    };
    std::thread::scope(|scope| -> Result<Simulated> {
        let (batches, received) = std::sync::mpsc::sync_channel(READ_AHEAD);
        let reader = streams.first().zip(stream_file).map(|(source, file)| {
            scope.spawn(move || -> Result<(String, bool)> {
                let mut stderr = String::new();
                let mut batch = Vec::with_capacity(PUSH_BATCH);
                // The stream's records are the topic's messages (with their event
                // time), read as Dataflow reads them.
                let read = each_record(
                    stream,
                    file,
                    &source.schema,
                    on_bad,
                    RecordKind::Message,
                    &mut stderr,
                    |row| {
                        batch.push(row);
                        if batch.len() == PUSH_BATCH {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(PUSH_BATCH));
                            batches
                                .send(full)
                                .map_err(|_| anyhow::anyhow!("the engine stopped reading"))?;
                        }
                        Ok(())
                    },
                )?;
                if read && !batch.is_empty() {
                    let _ = batches.send(batch);
                }
                Ok((stderr, read))
            })
        });
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
                return Ok(Simulated { stderr, code: 1 });
            }
            tables.insert(source.sql_name(), std::sync::Arc::new(rows));
        }
        let epoch = Instant::now();
        let clock = Box::new(move || epoch.elapsed().as_nanos() as u64);
        // Counting drops by reason needs one record kept (the example); listing them all.
        let options = Options {
            retain_dropped: if drops == Drops::All { usize::MAX } else { 1 },
            ..Options::default()
        };
        let mut engine = Engine::with_clock(&plan, &tables, options, Some(clock))?;
        let mut pushed = 0u64;
        let mut seconds = 0.0;
        let topic = engine.stream_sources().first().map(|t| t.to_string());
        if let (Some(reader), Some(topic)) = (reader, topic) {
            // The engine's own time, a batch at a time, apart from the reading.
            for batch in received {
                let started = Instant::now();
                for row in batch {
                    engine.push(&topic, row)?;
                    pushed += 1;
                }
                seconds += started.elapsed().as_secs_f64();
            }
            let (read_errors, read) = reader
                .join()
                .map_err(|_| anyhow::anyhow!("reading {} failed", stream.display()))??;
            stderr.push_str(&read_errors);
            if !read {
                return Ok(Simulated { stderr, code: 1 });
            }
            let started = Instant::now();
            engine.finish();
            seconds += started.elapsed().as_secs_f64();
        }
        let events_per_second = if seconds > 0.0 {
            pushed as f64 / seconds
        } else {
            0.0
        };
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
        match format {
            Format::Json => write_json(&mut out, &engine, events_per_second, lineage, drops),
            Format::Human => write_human(&mut out, &engine, events_per_second, drops),
        }
        .and_then(|()| out.flush())
        .context("writing the report")?;
        Ok(Simulated { stderr, code: 0 })
    })
}

/// The JSON report, written as it is made: `{"table_rows", "messages",
/// "dropped_by_reason", "dropped" (with [`Drops::All`]), "operators", "events",
/// "events_per_second", "lineage" (when asked)}`, one array item a line.
fn write_json(
    out: &mut impl Write,
    engine: &Engine,
    events_per_second: f64,
    lineage: bool,
    drops: Drops,
) -> std::io::Result<()> {
    let n = engine.outputs.len();
    out.write_all(b"{")?;
    let mut list = JsonList::open(out, "table_rows", true)?;
    for row in (0..n).filter_map(|i| engine.output_json(i)) {
        list.item(&row)?;
    }
    let mut list = JsonList::open(list.close()?, "messages", false)?;
    for message in (0..n).filter_map(|i| engine.output_message(i)) {
        list.item(&message)?;
    }
    let mut list = JsonList::open(list.close()?, "dropped_by_reason", false)?;
    for (reason, count) in engine.drop_summary() {
        list.item(&serde_json::json!({"reason": reason, "count": count}))?;
    }
    let mut out = list.close()?;
    if drops == Drops::All {
        let mut list = JsonList::open(out, "dropped", false)?;
        let mut failed = None;
        engine.for_each_dropped_json(|d| {
            if failed.is_none()
                && let Err(e) = list.item(&d)
            {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        out = list.close()?;
    }
    let (emitted, dropped, pending) = engine.accounting();
    write!(out, ",\n  \"operators\": ")?;
    serde_json::to_writer(&mut *out, &engine.operators_json())?;
    write!(out, ",\n  \"events\": ")?;
    serde_json::to_writer(
        &mut *out,
        &serde_json::json!({"total": engine.events(), "emitted": emitted, "dropped": dropped, "pending": pending}),
    )?;
    write!(
        out,
        ",\n  \"events_per_second\": {}",
        serde_json::json!(events_per_second.round())
    )?;
    if lineage {
        let mut list = JsonList::open(out, "lineage", false)?;
        for why in (0..n).filter_map(|i| engine.lineage_json(i)) {
            list.item(&why)?;
        }
        out = list.close()?;
    }
    out.write_all(b"\n}\n")
}

/// A JSON array under a key of the report, written an item a line.
struct JsonList<'w, W: Write> {
    out: &'w mut W,
    empty: bool,
}

impl<'w, W: Write> JsonList<'w, W> {
    /// Writes `"key": [` (after a comma unless it is the object's first key).
    fn open(out: &'w mut W, key: &str, first: bool) -> std::io::Result<Self> {
        if !first {
            out.write_all(b",")?;
        }
        write!(out, "\n  {}: [", serde_json::Value::from(key))?;
        Ok(Self { out, empty: true })
    }

    /// Writes one item on a line of its own.
    fn item(&mut self, value: &impl serde::Serialize) -> std::io::Result<()> {
        self.out
            .write_all(if self.empty { b"\n    " } else { b",\n    " })?;
        self.empty = false;
        serde_json::to_writer(&mut *self.out, value).map_err(std::io::Error::from)
    }

    /// Writes the closing `]` and hands the writer back.
    fn close(self) -> std::io::Result<&'w mut W> {
        self.out
            .write_all(if self.empty { b"]" } else { b"\n  ]" })?;
        Ok(self.out)
    }
}

/// Stream rows pushed between two looks at the clock (and sent from the reading
/// thread at once).
const PUSH_BATCH: usize = 4096;

/// How many batches of stream rows the reading thread may have waiting while the
/// engine is busy (about 130,000 rows).
const READ_AHEAD: usize = 32;

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

/// A readable summary: operators, the first outputs, drop reasons (and with
/// [`Drops::All`] every dropped event kept, a line each).
fn write_human(
    out: &mut impl Write,
    engine: &Engine,
    events_per_second: f64,
    drops: Drops,
) -> std::io::Result<()> {
    let (emitted, dropped, pending) = engine.accounting();
    writeln!(
        out,
        "{} events: {emitted} emitted, {dropped} dropped, {pending} pending; {} output rows ({:.0} events/s)\n",
        engine.events(),
        engine.outputs.len(),
        events_per_second
    )?;
    writeln!(out, "operators (in -> out, dropped):")?;
    for n in engine.nodes() {
        writeln!(
            out,
            "  {:>2} {:<9} {:>9} -> {:<9} {:>7}  {}{}",
            n.id,
            n.kind,
            n.stats.rows_in,
            n.stats.rows_out,
            n.stats.dropped,
            sluice_engine::exec::readable(&n.label),
            if n.bounded { "  [bounded]" } else { "" }
        )?;
    }
    let shown = engine.outputs.len().min(20);
    writeln!(
        out,
        "\nfirst {shown} of {} rows (BigQuery table and Pub/Sub messages):",
        engine.outputs.len()
    )?;
    for i in 0..shown {
        if let Some(row) = engine.output_json(i) {
            writeln!(out, "  {row}")?;
        }
    }
    if let Some(why) = engine.lineage_json(0) {
        writeln!(out, "\nwhy the first row: {why}")?;
    }
    let reasons = engine.drop_summary();
    if !reasons.is_empty() {
        writeln!(out, "\ndropped events by reason:")?;
        for (reason, n) in reasons {
            writeln!(out, "  {n:>9}  {reason}")?;
        }
        if let Some(first) = engine.dropped.front() {
            writeln!(
                out,
                "  e.g. event {:?}: {}",
                first.events.to_vec(),
                engine.reason_text(first)
            )?;
        }
    }
    if drops == Drops::All && !engine.dropped.is_empty() {
        writeln!(out, "\nevery dropped event kept:")?;
        let mut failed = None;
        engine.for_each_dropped_json(|d| {
            if failed.is_none() {
                let event = d["event"]
                    .as_u64()
                    .map_or("-".to_string(), |e| e.to_string());
                let line = writeln!(
                    out,
                    "  event {event} at {}: {}",
                    d["operator"].as_str().unwrap_or_default(),
                    d["reason"].as_str().unwrap_or_default()
                );
                failed = line.err();
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
    }
    Ok(())
}
