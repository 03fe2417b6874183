//! A live simulation in the browser: generate the scenario's data, then push the
//! order stream (or messages sampled from a topic, read as Dataflow reads them)
//! through the query's plan a slice at a time, in simulated time, and
//! keep what the page shows (counters, history for the charts, top keys, recent
//! events for explanations). The same library calls as `sluice simulate`; the page
//! decides how much to push a frame, so this module has no clock of its own and is
//! tested natively.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use serde_json::{Value as J, json};
use sluice_datagen::{BatchParams, StatusMix, Stream, StreamOrder, StreamParams};
use sluice_engine::input::MessageReader;
use sluice_engine::{Engine, Options, Value};
use sluice_sql::types::Field;
use sluice_sql::{Catalog, Plan};

/// The generator settings of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Customers and batch orders.
    pub batch: BatchParams,
    /// The stream stops (and every window closes) after this many events.
    pub events: u64,
    /// The stream's status mix.
    pub status_mix: StatusMix,
    /// Milliseconds between stream events, inclusive.
    pub gap_millis: (u64, u64),
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            batch: BatchParams::default(),
            events: 1000,
            // Some cancelled orders, so that the reference query's filter shows.
            status_mix: StatusMix::BATCH,
            gap_millis: StreamParams::default().gap_millis,
        }
    }
}

impl Settings {
    /// The settings as JSON (for links and local storage).
    pub fn to_json(&self) -> J {
        let m = self.status_mix;
        json!({
            "customers": self.batch.customer_count,
            "orders": self.batch.order_count,
            "seed": self.batch.seed,
            "events": self.events,
            "status_mix": [m.open, m.closed, m.cancelled],
            "gap_ms": [self.gap_millis.0, self.gap_millis.1],
        })
    }

    /// Settings from [`Settings::to_json`]'s JSON; missing or malformed fields keep
    /// their defaults and are named in the returned list.
    pub fn from_json(value: &J) -> (Self, Vec<String>) {
        let mut s = Self::default();
        let mut bad = Vec::new();
        let mut int = |key: &str, max: u64| -> Option<u64> {
            match value.get(key) {
                None => None,
                Some(v) => match v.as_u64() {
                    Some(n) if n <= max => Some(n),
                    _ => {
                        bad.push(key.to_string());
                        None
                    }
                },
            }
        };
        if let Some(n) = int("customers", MAX_CUSTOMERS) {
            s.batch.customer_count = n.max(1);
        }
        if let Some(n) = int("orders", MAX_ORDERS) {
            s.batch.order_count = n;
        }
        if let Some(n) = int("seed", u64::MAX) {
            s.batch.seed = n;
        }
        if let Some(n) = int("events", MAX_EVENTS) {
            s.events = n;
        }
        let triple = |v: &J| -> Option<Vec<u64>> {
            v.as_array()?
                .iter()
                .map(J::as_u64)
                .collect::<Option<Vec<_>>>()
        };
        if let Some(v) = value.get("status_mix") {
            match triple(v).as_deref() {
                Some(&[o, c, x]) if o <= 100 && c <= 100 && x <= 100 && o + c + x > 0 => {
                    s.status_mix = StatusMix {
                        open: o as u32,
                        closed: c as u32,
                        cancelled: x as u32,
                    };
                }
                _ => bad.push("status_mix".into()),
            }
        }
        if let Some(v) = value.get("gap_ms") {
            match triple(v).as_deref() {
                Some(&[lo, hi]) if lo <= hi && hi > 0 && hi <= MAX_GAP_MILLIS => {
                    s.gap_millis = (lo, hi);
                }
                _ => bad.push("gap_ms".into()),
            }
        }
        (s, bad)
    }

    fn stream(&self, feed: u64) -> StreamParams {
        StreamParams {
            customer_range: self.batch.customer_count,
            seed: self.batch.seed.wrapping_add(feed),
            status_mix: self.status_mix,
            gap_millis: self.gap_millis,
            ..StreamParams::default()
        }
    }
}

pub use sluice_datagen::{MAX_CUSTOMERS, MAX_ORDERS};
/// The most stream events of a run.
pub const MAX_EVENTS: u64 = 10_000_000;
/// The longest gap between events: one hour.
pub const MAX_GAP_MILLIS: u64 = 3_600_000;
/// How many reasons for dead-lettered messages a session keeps.
pub const REASONS_KEPT: usize = 20;

/// How many outputs, drops and events a session keeps for the page.
pub const RETAIN: usize = 100_000;
/// How many history samples the charts keep.
pub const HISTORY: usize = 120;

/// How fast simulated time runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// Simulated seconds per wall-clock second.
    Times(u32),
    /// As many events as a frame's budget allows.
    Max,
}

impl Speed {
    /// The choices the page offers.
    pub const ALL: [Speed; 5] = [
        Speed::Times(1),
        Speed::Times(10),
        Speed::Times(100),
        Speed::Times(1000),
        Speed::Max,
    ];

    /// `1x`, ..., `max`.
    pub fn label(self) -> String {
        match self {
            Speed::Times(n) => format!("{n}x"),
            Speed::Max => "max".into(),
        }
    }

    /// The inverse of [`Speed::label`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == text)
    }
}

/// One point of the charts' history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Wall-clock milliseconds since the session started playing.
    pub wall_ms: f64,
    /// Simulated time, microseconds since the epoch.
    pub sim_time: i64,
    /// Events pushed so far.
    pub events: u64,
    /// Output rows so far.
    pub outputs: u64,
    /// Dropped events so far.
    pub dropped: u64,
}

/// Messages sampled from a topic, streamed instead of generated orders. They stay
/// in the page: a scenario's link and storage never hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledStream {
    /// The topic's SQL name.
    pub topic: String,
    /// What the page says of them, e.g. `412 messages sampled from projects/p/topics/orders at …`.
    pub label: String,
    /// Each message's publish time (microseconds since the epoch) and data, oldest first.
    pub messages: Vec<(i64, String)>,
}

/// Rows sampled from a BigQuery table, read instead of its generated rows. They
/// stay in the page, like [`SampledStream`]'s messages.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledTable {
    /// The table's SQL name.
    pub table: String,
    /// What the page says of them, e.g. `1,000 rows of p.ecommerce.orders at …`.
    pub label: String,
    /// The rows as plain JSON objects, fields by name (`sluice_deploy::rows`).
    pub rows: Vec<J>,
}

/// What a run reads instead of generated data: one topic's sampled messages and
/// some tables' sampled rows. Two are the same when they hold the same samples.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    /// The sampled stream, if any.
    pub stream: Option<Rc<SampledStream>>,
    /// The sampled tables, one per table.
    pub tables: Vec<Rc<SampledTable>>,
}

impl PartialEq for Samples {
    fn eq(&self, other: &Self) -> bool {
        let same_stream = match (&self.stream, &other.stream) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_stream
            && self.tables.len() == other.tables.len()
            && self
                .tables
                .iter()
                .zip(&other.tables)
                .all(|(a, b)| Rc::ptr_eq(a, b))
    }
}

impl Samples {
    /// These samples with `table`'s rows replacing any earlier sample of its table.
    pub fn with_table(&self, table: Rc<SampledTable>) -> Self {
        let mut next = self.clone();
        match next.tables.iter_mut().find(|t| t.table == table.table) {
            Some(slot) => *slot = table,
            None => next.tables.push(table),
        }
        next
    }

    /// The sampled rows of the table named `sql_name`, if any.
    pub fn table(&self, sql_name: &str) -> Option<&Rc<SampledTable>> {
        self.tables.iter().find(|t| t.table == sql_name)
    }
}

/// A sampled table's rows as the engine's rows of `schema`: fields the schema does
/// not name are left out; a row that does not read is counted, the first reason
/// kept.
fn read_sampled(
    sample: &SampledTable,
    schema: &[Field],
) -> (sluice_engine::Table, u64, Option<String>) {
    let mut table = sluice_engine::Table::new(schema.len());
    let (mut refused, mut first) = (0u64, None);
    for (i, row) in sample.rows.iter().enumerate() {
        let kept: serde_json::Map<String, J> = row
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| schema.iter().any(|f| f.name.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match sluice_engine::input::row_from_json(&J::Object(kept), schema) {
            Ok(row) => table.push(row),
            Err(why) => {
                refused += 1;
                first.get_or_insert_with(|| format!("row {}: {why}", i + 1));
            }
        }
    }
    (table, refused, first)
}

/// One topic's stream, with what comes next.
struct Feed {
    topic: String,
    schema: Vec<Field>,
    source: FeedSource,
}

enum FeedSource {
    /// The generator's orders, the next one ready.
    Generated {
        stream: Box<Stream>,
        next: StreamOrder,
    },
    /// Sampled messages, read with the topic's schema, from `at` on.
    Sampled {
        sample: Rc<SampledStream>,
        reader: MessageReader,
        at: usize,
    },
}

impl Feed {
    /// The time of this feed's next event, if it has one.
    fn next_time(&self) -> Option<i64> {
        match &self.source {
            FeedSource::Generated { next, .. } => Some(next.event_timestamp),
            FeedSource::Sampled { sample, at, .. } => sample.messages.get(*at).map(|m| m.0),
        }
    }

    /// The next event, and its row or why the deployed pipeline refuses it.
    fn take(&mut self) -> Option<(Event, Result<sluice_engine::Row, String>)> {
        match &mut self.source {
            FeedSource::Generated { stream, next } => {
                let event = match stream.next() {
                    Some(following) => std::mem::replace(next, following),
                    None => next.clone(),
                };
                let row = event.to_row(&self.schema);
                Some((Event::Order(event), Ok(row)))
            }
            FeedSource::Sampled { sample, reader, at } => {
                let (time, data) = sample.messages.get(*at)?.clone();
                *at += 1;
                let row = reader.read(data.as_bytes(), time);
                Some((Event::Message { time, data }, row))
            }
        }
    }
}

/// An event pushed, kept for explanations.
enum Event {
    Order(StreamOrder),
    Message { time: i64, data: String },
}

impl Event {
    fn time(&self) -> i64 {
        match self {
            Self::Order(o) => o.event_timestamp,
            Self::Message { time, .. } => *time,
        }
    }

    /// As the page shows it: the order with its time, or the message's data.
    fn text(&self) -> String {
        match self {
            Self::Order(o) => o.to_json().to_string(),
            Self::Message { data, .. } => data.clone(),
        }
    }
}

/// A running simulation.
pub struct Session {
    engine: Engine,
    feeds: Vec<Feed>,
    /// The plan it runs (to tell when the query changed).
    pub plan: Rc<Plan>,
    /// The settings it was generated with.
    pub settings: Settings,
    /// The simulated clock, microseconds since the epoch.
    pub sim_time: i64,
    /// The stream has ended (the event limit was reached) and every window closed.
    pub finished: bool,
    /// Recent events by event number, for explanations (JSON is made when shown).
    events: VecDeque<(u32, Event)>,
    /// The samples it was made with.
    pub samples: Samples,
    /// Whether the plan reads the sampled topic (else its sample goes unused).
    pub sample_used: bool,
    /// The sampled tables the plan reads, with how many of their rows did not fit
    /// the catalog's schema and why the first did not.
    pub tables_read: Vec<(Rc<SampledTable>, u64, Option<String>)>,
    /// Sampled messages the deployed pipeline would send to its dead-letter table,
    /// and the first few reasons.
    pub dead_lettered: u64,
    /// The first reasons (at most [`REASONS_KEPT`]).
    pub dead_letter_reasons: Vec<String>,
    history: VecDeque<Sample>,
    /// Output spend (or count) by key, for the top-keys chart.
    top: HashMap<String, f64>,
    top_columns: Option<(usize, Option<usize>)>,
    seen_outputs: u64,
}

impl Session {
    /// Generates the data and builds the bounded side of `plan`.
    pub fn new(plan: Rc<Plan>, catalog: &Catalog, settings: Settings) -> Result<Self, String> {
        Self::with_clock(plan, catalog, settings, Samples::default(), None)
    }

    /// As [`Session::new`], with a clock (nanoseconds) that times the operators.
    pub fn with_clock(
        plan: Rc<Plan>,
        catalog: &Catalog,
        settings: Settings,
        samples: Samples,
        clock: Option<Box<dyn Fn() -> u64>>,
    ) -> Result<Self, String> {
        let mut tables = sluice_datagen::tables(catalog, &settings.batch);
        let mut tables_read = Vec::new();
        for source in plan.sources().into_iter().filter(|s| s.is_bounded()) {
            let name = source.sql_name();
            if let Some(sample) = samples.table(&name) {
                let (table, refused, why) = read_sampled(sample, &source.schema);
                tables.insert(name, std::sync::Arc::new(table));
                tables_read.push((sample.clone(), refused, why));
            }
        }
        let options = Options {
            retain: RETAIN,
            ..Options::default()
        };
        let engine =
            Engine::with_clock(&plan, &tables, options, clock).map_err(|e| e.to_string())?;
        let mut feeds = Vec::new();
        for (i, topic) in engine.stream_sources().iter().enumerate() {
            let Some(source) = catalog.sources.iter().find(|s| s.sql_name() == *topic) else {
                return Err(format!("the catalog has no topic {topic}"));
            };
            let source_of_events = match &samples.stream {
                Some(sample) if sample.topic == *topic => FeedSource::Sampled {
                    sample: sample.clone(),
                    reader: MessageReader::new(&source.schema),
                    at: 0,
                },
                _ => {
                    let mut stream = Stream::new(settings.stream(i as u64));
                    let Some(next) = stream.next() else {
                        continue;
                    };
                    FeedSource::Generated {
                        stream: Box::new(stream),
                        next,
                    }
                }
            };
            feeds.push(Feed {
                topic: topic.to_string(),
                schema: source.schema.clone(),
                source: source_of_events,
            });
        }
        let columns = engine.output_columns();
        let find = |names: &[&str]| {
            columns
                .iter()
                .position(|c| names.iter().any(|n| c.name.eq_ignore_ascii_case(n)))
        };
        let top_columns = find(&["customer_id", "customer"])
            .or_else(|| (!columns.is_empty()).then_some(0))
            .map(|key| (key, find(&["amount", "total", "spend", "total_spend"])));
        let sim_time = feeds
            .iter()
            .filter_map(Feed::next_time)
            .min()
            .unwrap_or(StreamParams::default().start_micros);
        let finished = feeds.iter().all(|f| f.next_time().is_none()) || settings.events == 0;
        let sample_used = feeds
            .iter()
            .any(|f| matches!(f.source, FeedSource::Sampled { .. }));
        let mut session = Self {
            engine,
            feeds,
            plan,
            settings,
            sim_time,
            finished: false,
            events: VecDeque::new(),
            sample_used,
            samples,
            tables_read,
            dead_lettered: 0,
            dead_letter_reasons: Vec::new(),
            history: VecDeque::new(),
            top: HashMap::new(),
            top_columns,
            seen_outputs: 0,
        };
        if finished {
            session.end();
        }
        Ok(session)
    }

    /// The engine: outputs, drops, operators.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Events pushed so far.
    pub fn pushed(&self) -> u64 {
        u64::from(self.engine.events())
    }

    /// The time of the next event, if the stream goes on.
    pub fn next_time(&self) -> Option<i64> {
        if self.finished {
            return None;
        }
        self.feeds.iter().filter_map(Feed::next_time).min()
    }

    /// Pushes the next event; false when the stream has ended.
    pub fn step(&mut self) -> Result<bool, String> {
        if self.finished {
            return Ok(false);
        }
        let next = (0..self.feeds.len())
            .filter_map(|i| Some((self.feeds[i].next_time()?, i)))
            .min();
        let Some((_, i)) = next else {
            self.end();
            return Ok(false);
        };
        let feed = &mut self.feeds[i];
        let Some((event, row)) = feed.take() else {
            self.end();
            return Ok(false);
        };
        self.sim_time = self.sim_time.max(event.time());
        match row {
            Ok(row) => {
                let number = self.engine.events();
                self.engine
                    .push(&feed.topic, row)
                    .map_err(|e| e.to_string())?;
                if self.events.len() == RETAIN {
                    self.events.pop_front();
                }
                self.events.push_back((number, event));
            }
            Err(why) => {
                self.dead_lettered += 1;
                if self.dead_letter_reasons.len() < REASONS_KEPT {
                    self.dead_letter_reasons.push(why);
                }
            }
        }
        if self.pushed() >= self.settings.events {
            self.end();
        }
        self.count_new_outputs();
        Ok(true)
    }

    /// Pushes the events due by simulated time `until`, at most `max_events`; the
    /// clock moves to `until` when all due events were pushed. Returns how many.
    pub fn advance(&mut self, until: i64, max_events: usize) -> Result<usize, String> {
        let mut n = 0;
        while n < max_events && self.next_time().is_some_and(|t| t <= until) {
            self.step()?;
            n += 1;
        }
        if !self.finished && self.next_time().is_none() {
            // A sample ran out: the stream ends, as at the event limit.
            self.end();
        }
        if !self.finished && self.next_time().is_none_or(|t| t > until) {
            self.sim_time = self.sim_time.max(until);
            self.engine.advance_to(until);
            self.count_new_outputs();
        }
        Ok(n)
    }

    /// Pushes everything left (up to the event limit) and ends the stream.
    pub fn run_to_end(&mut self) -> Result<(), String> {
        while self.step()? {}
        Ok(())
    }

    fn end(&mut self) {
        self.engine.finish();
        self.finished = true;
        self.count_new_outputs();
    }

    fn count_new_outputs(&mut self) {
        let total = self.engine.outputs_total();
        let new = (total - self.seen_outputs).min(self.engine.outputs.len() as u64) as usize;
        self.seen_outputs = total;
        let Some((key, value)) = self.top_columns else {
            return;
        };
        let outputs = &self.engine.outputs;
        for out in outputs.iter().skip(outputs.len() - new) {
            let Some(k) = out.row.get(key) else {
                continue;
            };
            let add = match value {
                Some(v) => out.row.get(v).and_then(Value::as_f64).unwrap_or(0.0),
                None => 1.0,
            };
            *self.top.entry(k.to_string()).or_default() += add;
        }
    }

    /// Records a history point at `wall_ms` (the page calls this a few times a second).
    pub fn sample(&mut self, wall_ms: f64) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(Sample {
            wall_ms,
            sim_time: self.sim_time,
            events: self.pushed(),
            outputs: self.engine.outputs_total(),
            dropped: self.engine.accounting().1,
        });
    }

    /// The charts' history, oldest first.
    pub fn history(&self) -> &VecDeque<Sample> {
        &self.history
    }

    /// The top keys of the output by the value column's sum (or by count), with
    /// the key and value column names.
    pub fn top(&self, n: usize) -> (String, String, Vec<(String, f64)>) {
        let columns = self.engine.output_columns();
        let (key, value) = match self.top_columns {
            Some((k, v)) => (
                columns[k].name.clone(),
                v.map_or("rows".to_string(), |v| {
                    format!("sum of {}", columns[v].name)
                }),
            ),
            None => (String::new(), String::new()),
        };
        let mut top: Vec<(String, f64)> = self.top.iter().map(|(k, v)| (k.clone(), *v)).collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(n);
        (key, value, top)
    }

    /// Event `number`'s payload as JSON text, while it is kept.
    pub fn event_text(&self, number: u32) -> Option<String> {
        let first = self.events.front()?.0;
        let (n, event) = self.events.get(number.checked_sub(first)? as usize)?;
        (*n == number).then(|| event.text())
    }

    /// Output `abs` (0 = the first ever), while it is kept.
    pub fn output(&self, abs: u64) -> Option<&sluice_engine::exec::Output> {
        let kept = self.engine.outputs.len() as u64;
        let first = self.engine.outputs_total() - kept;
        self.engine.outputs.get(abs.checked_sub(first)? as usize)
    }

    /// Output `abs` as display text, one string a column.
    pub fn output_cells(&self, abs: u64) -> Option<Vec<String>> {
        Some(self.output(abs)?.row.iter().map(Value::to_string).collect())
    }

    /// Output `abs` as the Pub/Sub message's text: what the deployed pipeline publishes.
    pub fn message(&self, abs: u64) -> Option<String> {
        let out = self.output(abs)?;
        Some(sluice_engine::message::pubsub_message(
            self.engine
                .output_columns()
                .iter()
                .map(|c| (c.name.as_str(), &c.data_type)),
            &out.row,
        ))
    }

    /// Why output `abs` exists.
    pub fn explain(&self, abs: u64) -> Option<Explanation> {
        let out = self.output(abs)?;
        let mut bounded = Vec::new();
        let engine = &self.engine;
        out.prov.rows.for_each(|r| {
            let Some((row, from)) = engine.bounded_row(*r) else {
                return;
            };
            let node = &engine.nodes()[r.node as usize];
            let values = node
                .columns
                .iter()
                .zip(row)
                .map(|(c, v)| format!("{c} = {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let behind = from.rows.len() + from.omitted as usize;
            bounded.push((format!("{} {}", node.id, node.kind), values, behind));
        });
        let events = out
            .prov
            .events
            .to_vec()
            .into_iter()
            .map(|e| (e, self.event_text(e)))
            .collect();
        Some(Explanation { events, bounded })
    }

    /// Dropped record `abs` (0 = the first ever), while it is kept.
    pub fn dropped(&self, abs: u64) -> Option<&sluice_engine::exec::Dropped> {
        let kept = self.engine.dropped.len() as u64;
        let first = self.dropped_records() - kept;
        self.engine.dropped.get(abs.checked_sub(first)? as usize)
    }

    /// How many drop records there were in all (kept or not).
    pub fn dropped_records(&self) -> u64 {
        self.engine.dropped_total()
    }
}

/// Why an output row exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The stream events (0-based, in push order), with their payload while kept.
    pub events: Vec<(u32, Option<String>)>,
    /// The bounded rows joined in: operator, the row as `name = value` pairs, and how
    /// many table rows are behind it (e.g. the closed orders summed).
    pub bounded: Vec<(String, String, usize)>,
}

#[cfg(test)]
mod tests;
