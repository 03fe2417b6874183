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
    // The stream the plan reads (one at most), read from the start on threads of its
    // own while the bounded side is read and built here: its rows come over in
    // pieces (a few waiting at most), never all held.
    let streams: Vec<_> = plan
        .sources()
        .into_iter()
        .filter(|s| !s.is_bounded())
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
        let pieces = streams.first().zip(stream_file).map(|(source, file)| {
            // The stream's records are the topic's messages (with their event time),
            // read as Dataflow reads them.
            let schema = &source.schema;
            crate::jsonl::read(
                scope,
                stream,
                file,
                on_bad,
                Vec::new,
                move |rows: &mut Vec<_>, line| {
                    rows.push(read_record(line, schema, RecordKind::Message)?);
                    Ok(())
                },
            )
        });
        // The bounded tables, read as the engine builds the bounded side from them.
        let mut files = Files {
            dir: batch_dir,
            catalog: &catalog,
            on_bad,
            // A query without a stream shows its tables' rows in lineage: held whole.
            hold: streams.is_empty(),
            held: sluice_engine::Tables::new(),
            stderr: String::new(),
            failure: None,
        };
        let epoch = Instant::now();
        let clock = Box::new(move || epoch.elapsed().as_nanos() as u64);
        // Counting drops by reason needs one record kept (the example); listing them all.
        let options = Options {
            retain_dropped: if drops == Drops::All { usize::MAX } else { 1 },
            ..Options::default()
        };
        let built = Engine::reading(&plan, &mut files, options, Some(clock));
        let mut stderr = std::mem::take(&mut files.stderr);
        let mut engine = match (built, files.failure) {
            (Ok(engine), _) => engine,
            (Err(_), Some(Failure::BadRecord)) => return Ok(Simulated { stderr, code: 1 }),
            (Err(_), Some(Failure::Unreadable(e))) => return Err(e),
            (Err(e), None) => return Err(e.into()),
        };
        drop(files.held);
        // Outputs leave the engine as they are made (a bounded query's all at once).
        let mut sink = Sink::new(scope, &engine, format, lineage)?;
        sink.take(&mut engine)?;
        let mut pushed = 0u64;
        let mut seconds = 0.0;
        let topic = engine.stream_sources().first().map(|t| t.to_string());
        if let (Some(pieces), Some(topic)) = (pieces, topic) {
            // The engine's own time, a piece at a time, apart from the reading.
            for piece in pieces {
                let piece = piece?;
                stderr.push_str(&piece.stderr);
                let started = Instant::now();
                for row in piece.rows {
                    engine.push(&topic, row)?;
                    pushed += 1;
                }
                seconds += started.elapsed().as_secs_f64();
                sink.take(&mut engine)?;
                if piece.stopped {
                    return Ok(Simulated { stderr, code: 1 });
                }
            }
            let started = Instant::now();
            engine.finish();
            seconds += started.elapsed().as_secs_f64();
            sink.take(&mut engine)?;
        }
        let events_per_second = if seconds > 0.0 {
            pushed as f64 / seconds
        } else {
            0.0
        };
        let spilled = sink.spilled()?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
        match spilled {
            Some(spilled) => write_json(&mut out, &engine, spilled, events_per_second, drops),
            None => write_human(&mut out, &engine, &sink, events_per_second, drops),
        }
        .and_then(|()| out.flush())
        .context("writing the report")?;
        Ok(Simulated { stderr, code: 0 })
    })
}

/// Where the outputs go as the engine hands them over, so that none is held: for
/// the JSON report each list is spilled to a temporary file (written to standard
/// output only once the run has succeeded); for the human one the first rows are
/// kept and the rest counted.
struct Sink<'scope> {
    /// JSON: the thread writing `table_rows` and `messages`.
    writer: Option<Writer<'scope>>,
    /// JSON with `--lineage`: `lineage`, written here (it reads the engine's state).
    why: Option<Spill>,
    /// Human: the first [`HUMAN_ROWS`] rows, and why the first one exists.
    first: Vec<serde_json::Value>,
    first_why: Option<serde_json::Value>,
}

/// A thread writing outputs' rows and messages to their spills, so that the engine
/// goes on meanwhile.
struct Writer<'scope> {
    outputs: std::sync::mpsc::SyncSender<Vec<sluice_engine::exec::Output>>,
    thread: std::thread::ScopedJoinHandle<'scope, Result<[Spill; 2]>>,
}

/// The JSON report's spilled lists.
struct Spilled {
    rows: Spill,
    messages: Spill,
    why: Option<Spill>,
}

/// How many rows the human report shows.
const HUMAN_ROWS: usize = 20;

impl<'scope> Sink<'scope> {
    fn new(
        scope: &'scope std::thread::Scope<'scope, '_>,
        engine: &Engine,
        format: Format,
        lineage: bool,
    ) -> Result<Self> {
        let writer = match format {
            Format::Json => {
                let (mut rows, mut messages) = (Spill::new()?, Spill::new()?);
                let (outputs, received) =
                    std::sync::mpsc::sync_channel::<Vec<sluice_engine::exec::Output>>(4);
                let written = engine.output_format();
                let thread = scope.spawn(move || {
                    let mut message = String::new();
                    for batch in received {
                        for out in &batch {
                            rows.item_with(|w| written.write_row(w, &out.row))?;
                            written.write_message(&mut message, &out.row);
                            messages.item_with(|w| write_json_str(w, &message))?;
                        }
                    }
                    Ok([rows, messages])
                });
                Some(Writer { outputs, thread })
            }
            Format::Human => None,
        };
        let why = match (format, lineage) {
            (Format::Json, true) => Some(Spill::new()?),
            _ => None,
        };
        Ok(Self {
            writer,
            why,
            first: Vec::new(),
            first_why: None,
        })
    }

    /// Takes the outputs the engine holds.
    fn take(&mut self, engine: &mut Engine) -> Result<()> {
        let outputs: Vec<_> = engine.take_outputs().collect();
        if outputs.is_empty() {
            return Ok(());
        }
        if let Some(why) = &mut self.why {
            for out in &outputs {
                why.item(&engine.why_json(out))?;
            }
        }
        match &self.writer {
            Some(writer) => {
                if writer.outputs.send(outputs).is_err() {
                    // The writer stopped: its error says why.
                    return match self.writer.take().map(|w| w.finish()) {
                        Some(Err(e)) => Err(e),
                        _ => Err(anyhow::anyhow!("the report's writer stopped")),
                    };
                }
            }
            None => {
                if self.first_why.is_none()
                    && let Some(out) = outputs.first()
                {
                    self.first_why = Some(engine.why_json(out));
                }
                let room = HUMAN_ROWS.saturating_sub(self.first.len());
                self.first
                    .extend(outputs.iter().take(room).map(|o| engine.row_json(o)));
            }
        }
        Ok(())
    }

    /// The JSON report's lists, once everything is written (`None` for the human
    /// report).
    fn spilled(&mut self) -> Result<Option<Spilled>> {
        let Some(writer) = self.writer.take() else {
            return Ok(None);
        };
        let [rows, messages] = writer.finish()?;
        Ok(Some(Spilled {
            rows,
            messages,
            why: self.why.take(),
        }))
    }
}

impl Writer<'_> {
    /// Waits for the writer to write everything it was given.
    fn finish(self) -> Result<[Spill; 2]> {
        drop(self.outputs);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the report's writer failed"))?
    }
}

/// A JSON list's items, written to an unnamed temporary file (deleted when dropped)
/// as they come, one a line.
struct Spill {
    file: std::io::BufWriter<std::fs::File>,
    items: u64,
}

impl Spill {
    fn new() -> Result<Self> {
        let file = tempfile::tempfile().context("creating a temporary file for the report")?;
        Ok(Self {
            file: std::io::BufWriter::with_capacity(1 << 16, file),
            items: 0,
        })
    }

    /// Writes one item as serde_json does.
    fn item(&mut self, value: &impl serde::Serialize) -> Result<()> {
        self.item_with(|w| serde_json::to_writer(w, value).map_err(std::io::Error::from))
    }

    /// Writes one item with `write`.
    fn item_with(
        &mut self,
        write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
    ) -> Result<()> {
        self.file.write_all(if self.items == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        self.items += 1;
        write(&mut self.file).context("writing a temporary file")
    }

    /// Writes `"key": [` and the items, then `]`, to `out`.
    fn copy_to(self, out: &mut impl Write, key: &str, first: bool) -> std::io::Result<()> {
        use std::io::Seek as _;
        let empty = self.items == 0;
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.seek(std::io::SeekFrom::Start(0))?;
        if !first {
            out.write_all(b",")?;
        }
        write!(out, "\n  {}: [", serde_json::Value::from(key))?;
        std::io::copy(&mut file, out)?;
        out.write_all(if empty { b"]" } else { b"\n  ]" })
    }
}

/// Writes `text` as a JSON string, as serde_json does. A Pub/Sub message's text is
/// printable ASCII (`json.dumps` escapes the rest), so only quotes and backslashes
/// need escaping: runs between them are copied whole.
fn write_json_str(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    if !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return serde_json::to_writer(out, text).map_err(std::io::Error::from);
    }
    out.write_all(b"\"")?;
    let bytes = text.as_bytes();
    let mut start = 0;
    for at in memchr::memchr2_iter(b'"', b'\\', bytes) {
        out.write_all(&bytes[start..at])?;
        out.write_all(if bytes[at] == b'"' { b"\\\"" } else { b"\\\\" })?;
        start = at + 1;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// The JSON report: `{"table_rows", "messages", "dropped_by_reason", "dropped"
/// (with [`Drops::All`]), "operators", "events", "events_per_second", "lineage" (when
/// asked)}`, one array item a line.
fn write_json(
    out: &mut impl Write,
    engine: &Engine,
    spilled: Spilled,
    events_per_second: f64,
    drops: Drops,
) -> std::io::Result<()> {
    let Spilled {
        rows,
        messages,
        why,
    } = spilled;
    out.write_all(b"{")?;
    rows.copy_to(out, "table_rows", true)?;
    messages.copy_to(out, "messages", false)?;
    let mut list = JsonList::open(out, "dropped_by_reason", false)?;
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
    if let Some(why) = why {
        why.copy_to(out, "lineage", false)?;
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

/// The bounded tables as `<table>.jsonl` files in a directory, read as the engine
/// builds the bounded side: parsed on threads of their own a piece at a time (see
/// [`crate::jsonl`]), and let go once the engine has taken them in, unless `hold`
/// keeps them whole for lineage.
struct Files<'a> {
    dir: &'a Path,
    catalog: &'a Catalog,
    on_bad: OnBadRecord,
    hold: bool,
    held: sluice_engine::Tables,
    /// Bad records skipped or met, as `file:line: why`.
    stderr: String,
    /// What stopped the reading, if anything did.
    failure: Option<Failure>,
}

/// Why reading a bounded table stopped the run.
enum Failure {
    /// A bad record with `--on-bad-record fail` (reported on standard error).
    BadRecord,
    /// The file could not be read (exit 2).
    Unreadable(anyhow::Error),
}

impl sluice_engine::exec::BoundedInput for Files<'_> {
    fn read(
        &mut self,
        table: &str,
        each: &mut dyn FnMut(&sluice_engine::Table) -> Result<(), sluice_engine::EngineError>,
    ) -> Result<(), sluice_engine::EngineError> {
        // A table held already (a second scan of it) is not read again.
        if let Some(whole) = self.held.get(table).cloned() {
            return each(&whole);
        }
        let stopped = |message: &str| sluice_engine::EngineError::Input {
            table: table.to_string(),
            message: message.to_string(),
        };
        let Some(source) = self
            .catalog
            .sources
            .iter()
            .find(|s| s.is_bounded() && s.sql_name() == table)
        else {
            return Err(sluice_engine::EngineError::MissingTable(table.to_string()));
        };
        let path = self.dir.join(format!("{}.jsonl", source.name));
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) => {
                self.failure = Some(Failure::Unreadable(anyhow::Error::new(e).context(format!(
                    "cannot read {} (the query reads {table}; `sluice generate batch --out {}` writes it)",
                    path.display(),
                    self.dir.display()
                ))));
                return Err(stopped("cannot open the file"));
            }
        };
        let width = source.schema.len();
        let schema = &source.schema;
        let mut whole = self.hold.then(|| sluice_engine::Table::new(width));
        let read = std::thread::scope(|scope| {
            let pieces = crate::jsonl::read(
                scope,
                &path,
                file,
                self.on_bad,
                move || sluice_engine::Table::new(width),
                move |rows: &mut sluice_engine::Table, line| {
                    rows.push(read_record(line, schema, RecordKind::TableRow)?);
                    Ok(())
                },
            );
            for piece in pieces {
                let piece = match piece {
                    Ok(piece) => piece,
                    Err(e) => {
                        self.failure = Some(Failure::Unreadable(e));
                        return Err(stopped("the file could not be read"));
                    }
                };
                self.stderr.push_str(&piece.stderr);
                match &mut whole {
                    Some(whole) => {
                        for row in piece.rows.iter() {
                            whole.push(row.iter().cloned());
                        }
                    }
                    None => each(&piece.rows)?,
                }
                if piece.stopped {
                    self.failure = Some(Failure::BadRecord);
                    return Err(stopped("a bad record stopped the run"));
                }
            }
            Ok(())
        });
        read?;
        if let Some(whole) = whole {
            let whole = std::sync::Arc::new(whole);
            self.held.insert(table.to_string(), whole.clone());
            each(&whole)?;
        }
        Ok(())
    }

    fn held(&self, table: &str) -> Option<std::sync::Arc<sluice_engine::Table>> {
        self.held.get(table).cloned()
    }
}

/// A readable summary: operators, the first outputs, drop reasons (and with
/// [`Drops::All`] every dropped event kept, a line each).
fn write_human(
    out: &mut impl Write,
    engine: &Engine,
    sink: &Sink,
    events_per_second: f64,
    drops: Drops,
) -> std::io::Result<()> {
    let (emitted, dropped, pending) = engine.accounting();
    writeln!(
        out,
        "{} events: {emitted} emitted, {dropped} dropped, {pending} pending; {} output rows ({:.0} events/s)\n",
        engine.events(),
        engine.outputs_total(),
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
    writeln!(
        out,
        "\nfirst {} of {} rows (BigQuery table and Pub/Sub messages):",
        sink.first.len(),
        engine.outputs_total()
    )?;
    for row in &sink.first {
        writeln!(out, "  {row}")?;
    }
    if let Some(why) = &sink.first_why {
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

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for text in [
            "",
            "plain",
            r#"{"a": "b\\\"c", "d": "\\u00e9"}"#,
            "\"\"\\\\",
            "tab\tand é and \u{1}",
            "~\u{7f}",
        ] {
            let mut ours = Vec::new();
            super::write_json_str(&mut ours, text).expect("writes");
            let serde = serde_json::to_vec(text).expect("serializes");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&serde),
                "{text:?}"
            );
        }
    }
}
