//! The executor: compiles a plan into operators, computes the bounded side once,
//! then pushes stream events through filter, project, window, aggregate and join,
//! in event time, with statistics, lineage and a reason for every dropped event.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rustc_hash::FxHashMap;

use sluice_sql::catalog::EVENT_TIMESTAMP;
use sluice_sql::plan::{JoinKind, Plan, WindowKind};

use crate::agg::{Acc, AggSpec};
use crate::eval::{CExpr, Context, EvalError, compile, eval, truth};
use crate::lineage::{Ids, Prov, ProvSet, RowRef};
use crate::table::Table;
use crate::value::{Key, Row, Value};

/// Why the engine cannot run a plan or its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// A bounded source the plan reads was not given.
    #[error("no rows were given for {0}")]
    MissingTable(String),
    /// An operator the simulator cannot run on a stream.
    #[error("operator {node} ({label}): {message}")]
    Unsupported {
        /// The operator's id.
        node: usize,
        /// Its EXPLAIN line.
        label: String,
        /// Why.
        message: String,
    },
    /// Evaluating the bounded side failed (BigQuery would fail the query too).
    #[error("operator {node} ({label}) failed on the bounded side: {message}")]
    Eval {
        /// The operator's id.
        node: usize,
        /// Its EXPLAIN line.
        label: String,
        /// The evaluation error.
        message: String,
    },
    /// An event pushed to a source that the plan does not read as a stream.
    #[error("the query reads no stream named {0}")]
    UnknownStream(String),
    /// A bounded operator's result is over [`Options::max_bounded_rows`] or
    /// [`Options::max_bounded_values`].
    #[error(
        "operator {node} ({label}) makes more than {limit} on the bounded side: too large to hold (a join without a selective key?)"
    )]
    TooLarge {
        /// The operator's id.
        node: usize,
        /// Its EXPLAIN line.
        label: String,
        /// The limit it passed, in words: `2,000,000 rows`.
        limit: String,
    },
    /// Reading a bounded table failed (see [`BoundedInput`]).
    #[error("reading {table}: {message}")]
    Input {
        /// The table's SQL name.
        table: String,
        /// What went wrong.
        message: String,
    },
    /// The build was cancelled (see [`Engine::with_cancel`]).
    #[error("cancelled while computing the bounded side")]
    Cancelled,
}

/// The bounded inputs: rows of each BigQuery source by its SQL name, in the source's
/// column order. Shared, so that the engine keeps them for lineage without a copy.
pub type Tables = HashMap<String, std::sync::Arc<Table>>;

/// Where the bounded side's tables come from while the engine builds it: held in
/// memory ([`Tables`]), or read a piece at a time and let go (a file too large to
/// hold beside the state built from it).
pub trait BoundedInput {
    /// Hands the rows of the table `table` (a SQL name) to `each` in order, a piece
    /// at a time (rows are numbered on from one piece to the next);
    /// [`EngineError::MissingTable`] when there is no such table. A table is read
    /// once for each scan of it.
    fn read(
        &mut self,
        table: &str,
        each: &mut dyn FnMut(&Table) -> Result<(), EngineError>,
    ) -> Result<(), EngineError>;

    /// The whole table (asked after it is read), when it is held: the engine keeps
    /// it, so that an output's lineage can show a scanned row. A table read piece by piece is not kept, and
    /// lineage then names its rows by number only.
    fn held(&self, table: &str) -> Option<std::sync::Arc<Table>> {
        let _ = table;
        None
    }
}

/// What a bounded scan hands each row it keeps to: the row's number in its table
/// and its values.
type ScannedRow<'a> = dyn FnMut(u32, &[Value]) -> Result<(), EngineError> + 'a;

/// Tables held in memory, read in place.
struct Held<'a>(&'a Tables);

impl BoundedInput for Held<'_> {
    fn read(
        &mut self,
        table: &str,
        each: &mut dyn FnMut(&Table) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        let rows = self
            .0
            .get(table)
            .ok_or_else(|| EngineError::MissingTable(table.to_string()))?;
        each(rows)
    }

    fn held(&self, table: &str) -> Option<std::sync::Arc<Table>> {
        self.0.get(table).cloned()
    }
}

/// Settings of a run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How far behind the newest event time the watermark trails, in microseconds:
    /// events older than the watermark whose window has closed are late and dropped.
    pub max_delay_micros: i64,
    /// Measure operator time on one event in this many (timing every event would
    /// cost more than the work itself); 0 turns timing off.
    pub timing_sample: u32,
    /// How many of the newest outputs and drop records to keep (older ones are
    /// counted, not kept), so that memory stays bounded on an endless stream.
    pub retain: usize,
    /// How many of the newest drop records to keep, at most (`retain` bounds them
    /// too): a report that only counts drops by reason keeps one.
    pub retain_dropped: usize,
    /// The most rows one bounded operator may produce: a build past it stops with
    /// [`EngineError::TooLarge`] instead of exhausting memory.
    pub max_bounded_rows: usize,
    /// The most values (rows × columns, 24 bytes each and more for long text) one
    /// bounded operator may produce.
    pub max_bounded_values: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_delay_micros: 0,
            timing_sample: 64,
            retain: usize::MAX,
            retain_dropped: usize::MAX,
            max_bounded_rows: usize::MAX,
            max_bounded_values: usize::MAX,
        }
    }
}

/// Per-operator counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Tuples that entered.
    pub rows_in: u64,
    /// Tuples that left.
    pub rows_out: u64,
    /// Tuples dropped here.
    pub dropped: u64,
    /// Estimated time spent, in nanoseconds (sampled; 0 without a clock).
    pub nanos: u64,
    /// Rows held in state now (window groups, join buffers, the bounded index).
    pub state_rows: u64,
}

/// One operator of a compiled plan.
#[derive(Debug)]
pub struct Node {
    /// Its id: the position of its line in EXPLAIN.
    pub id: usize,
    /// `Scan`, `Filter`, `Project`, `Window`, `Aggregate`, `Join`, ...
    pub kind: &'static str,
    /// Its EXPLAIN line.
    pub label: String,
    /// Whether it is computed once (bounded) or runs per event.
    pub bounded: bool,
    /// Its inputs' ids.
    pub children: Vec<usize>,
    /// Counters.
    pub stats: Stats,
    /// Its output column names.
    pub columns: Vec<String>,
    /// Its output column types.
    pub types: Vec<sluice_sql::types::DataType>,
    op: Op,
    /// Sampled time in nanoseconds and the number of samples.
    sampled: (u64, u64),
}

#[derive(Debug)]
enum Op {
    /// A bounded subtree's root or inner node: done at build time.
    Bounded,
    StreamScan {
        source: String,
        time_column: Option<usize>,
    },
    Filter {
        predicate: CExpr,
        reads: Vec<usize>,
    },
    Project {
        exprs: Vec<CExpr>,
        /// For a projection of plain columns: each column and whether this is its
        /// last use (so its value can be moved rather than copied).
        picks: Option<Vec<(usize, bool)>>,
        /// Whether the picks are strictly increasing, so done within the input row.
        in_place: bool,
    },
    Window {
        kind: WindowKind,
        time_column: usize,
    },
    Aggregate(Box<AggOp>),
    Join(Box<JoinOp>),
    Union,
}

/// Why an event (or a tuple made from it) was dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// A filter's predicate was FALSE; the values of the columns it reads.
    FilterFalse(Ids<Value>),
    /// A filter's predicate was NULL (unknown); the values it reads.
    FilterNull(Ids<Value>),
    /// No row on the other side of a join has this key.
    NoMatch(Ids<Value>),
    /// Every candidate of the join failed its residual condition.
    ResidualFailed(Ids<Value>),
    /// The event's window had closed when it arrived.
    Late {
        /// The window's end.
        window_end: i64,
        /// The watermark at arrival.
        watermark: i64,
    },
    /// The event has no event time (NULL time column).
    NoEventTime,
    /// Evaluation failed (e.g. division by zero).
    Error(String),
}

impl Reason {
    /// The kinds of reasons, for grouping drops.
    pub const KINDS: [&'static str; 5] = [
        "filtered out",
        "no join match",
        "late",
        "no event time",
        "error",
    ];

    /// A short name for grouping drops: `filtered out`, `no join match`, `late`, ...
    pub fn kind(&self) -> &'static str {
        Self::KINDS[self.kind_index()]
    }

    /// The index of [`Self::kind`] in [`Self::KINDS`].
    pub fn kind_index(&self) -> usize {
        match self {
            Self::FilterFalse(_) | Self::FilterNull(_) => 0,
            Self::NoMatch(_) | Self::ResidualFailed(_) => 1,
            Self::Late { .. } => 2,
            Self::NoEventTime => 3,
            Self::Error(_) => 4,
        }
    }
}

/// A drop record.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    /// The stream events it concerns.
    pub events: Ids<u32>,
    /// The operator that dropped it.
    pub node: usize,
    /// Why.
    pub reason: Reason,
}

/// A row that reached the destinations.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The values, one per output column.
    pub row: Row,
    /// Where it came from.
    pub prov: Prov,
    /// Event time at emission: the event's time, or the window's end for aggregates.
    pub time: i64,
}

/// A group's accumulators.
type Accs = smallvec::SmallVec<[Acc; 2]>;

/// A group's keys' hash, as [`Key`] hashes them (so keys that group together hash
/// alike).
fn hash_key(values: &[Value]) -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    for v in values {
        crate::value::hash_value(v, &mut h);
    }
    h.finish()
}

/// A tuple moving through the stream operators.
#[derive(Debug, Clone)]
struct Tuple {
    row: Row,
    prov: Prov,
    time: i64,
    window: Option<(i64, i64)>,
}

/// A bounded operator's output, computed once in batch.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The rows.
    pub rows: Vec<Row>,
    /// Each row's provenance (rows of scans).
    pub prov: Vec<Prov>,
}

#[derive(Debug)]
struct AggOp {
    group: Vec<CExpr>,
    aggs: Vec<AggSpec>,
    /// Indices in `group` of the window columns, and whether each is `window_end`.
    window_keys: Vec<(usize, bool)>,
    session: bool,
    /// Tumble and hop: groups by window end, with the window's start (one size, so
    /// one start per end).
    windows: BTreeMap<i64, (i64, FxHashMap<Key, Group>)>,
    /// Session: sessions per key (without the window column).
    sessions: FxHashMap<Key, Vec<Session>>,
    session_timers: BTreeMap<i64, Vec<Key>>,
    /// Bounded input: groups in first-seen order.
    all: Vec<Group>,
    /// Bounded input read straight from a scan: each row's group and reference, in
    /// the order they came, gathered into the groups' lineage at the end rather
    /// than pushed to each group's list as the row is added (a second trip to
    /// memory a row).
    scanned: Vec<(u32, RowRef)>,
    /// Positions in `all`, found by their keys' hash: the keys are kept once, in the
    /// group, so a row's look-up touches the small index and then the one group it
    /// adds to.
    index: hashbrown::HashTable<u32>,
}

#[derive(Debug, Clone)]
struct Group {
    /// The group's key values (one is held inline, where a look-up compares it).
    keys: crate::value::KeyValues,
    /// One accumulator per aggregate (two are held inline).
    accs: Accs,
    prov: ProvSet,
}

#[derive(Debug, Clone)]
struct Session {
    start: i64,
    end: i64,
    group: Group,
}

#[derive(Debug)]
struct JoinOp {
    kind: JoinKind,
    left_keys: Vec<CExpr>,
    right_keys: Vec<CExpr>,
    residual: Option<CExpr>,
    left_width: usize,
    right_width: usize,
    /// The key expressions as text, per side.
    key_names: [Vec<String>; 2],
    /// The bounded side (0 left, 1 right), its node and the index on its keys.
    bounded: Option<BoundedSide>,
    /// Stream-stream: buffered tuples per side by (window start, key).
    buffers: [FxHashMap<Slot, Vec<Buffered>>; 2],
    timers: BTreeMap<i64, Vec<(usize, Slot)>>,
}

/// The tuples an operator makes of one input tuple.
type Outs = smallvec::SmallVec<[Tuple; 1]>;

/// A stream-stream join's buffer slot: (window start, key).
type Slot = (i64, Key);

#[derive(Debug)]
struct BoundedSide {
    node: usize,
    /// Its rows, indexed on the join's keys.
    index: crate::index::JoinIndex,
    /// Each row's provenance, for lineage, by its position in the index.
    prov: Vec<Prov>,
}

#[derive(Debug, Clone)]
struct Buffered {
    tuple: Tuple,
    matched: bool,
}

/// Per-event outcome, for accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// In window or join state: not decided yet.
    Pending,
    /// In at least one output.
    Emitted,
    /// Dropped everywhere it went.
    Dropped,
}

/// How many evicted output rows are freed together.
const EVICTED_BATCH: usize = 4096;

/// A compiled, running query.
pub struct Engine {
    nodes: Vec<Node>,
    parent: Vec<Option<(usize, usize)>>,
    /// Stream scans: (source name, node id).
    streams: Vec<(String, usize)>,
    /// Bounded inputs a stream join keeps: the input's node to the join's.
    kept: FxHashMap<usize, usize>,
    /// The tables scans read, by scan node.
    scans: FxHashMap<usize, std::sync::Arc<Table>>,
    output_columns: Vec<sluice_sql::plan::Column>,
    /// What reached the destinations: the newest [`Options::retain`] rows.
    pub outputs: VecDeque<Output>,
    /// What was dropped: the newest [`Options::retain`] records.
    pub dropped: VecDeque<Dropped>,
    /// Outputs and drop records no longer kept.
    evicted: (u64, u64),
    /// Rows of outputs no longer kept, not yet freed.
    evicted_rows: Vec<Row>,
    /// The operators that hold windows to close (stream aggregates and joins),
    /// inputs before what they feed, so that advancing the watermark looks at them
    /// alone.
    timed_nodes: Vec<usize>,
    /// Whether the tuples in flight come from a closing window (never late).
    firing: bool,
    fates: Vec<Fate>,
    /// Events by fate, indexed by `Fate as usize`, kept as fates change.
    fate_counts: [u64; 3],
    /// Dropped events by reason kind and operator.
    /// Dropped events by operator, then by reason kind (see [`Reason::KINDS`]).
    drop_counts: Vec<[u64; Reason::KINDS.len()]>,
    watermark: i64,
    max_time: i64,
    options: Options,
    clock: Option<Box<dyn Fn() -> u64>>,
    /// Asked now and then while the bounded side is computed: stop?
    cancel: Option<Box<dyn Fn() -> bool>>,
    events: u32,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("nodes", &self.nodes)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// Strips the `#index` suffixes of column references from EXPLAIN text.
pub fn readable(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '#' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn kind_of(plan: &Plan) -> &'static str {
    match plan {
        Plan::Scan { .. } => "Scan",
        Plan::Window { .. } => "Window",
        Plan::Filter { .. } => "Filter",
        Plan::Project { .. } => "Project",
        Plan::Aggregate { .. } => "Aggregate",
        Plan::Join { .. } => "Join",
        Plan::Distinct { .. } => "Distinct",
        Plan::Union { .. } => "Union",
        Plan::Sort { .. } => "Sort",
        Plan::Limit { .. } => "Limit",
    }
}

fn compile_all(exprs: &[sluice_sql::plan::Expr]) -> Result<Vec<CExpr>, EvalError> {
    exprs.iter().map(compile).collect()
}

impl Engine {
    /// Compiles `plan` and computes its bounded side from `tables` (rows of each
    /// BigQuery source by its SQL name, in the source's column order).
    pub fn new(plan: &Plan, tables: &Tables, options: Options) -> Result<Self, EngineError> {
        Self::with_clock(plan, tables, options, None)
    }

    /// As [`Engine::new`], with a clock (nanoseconds, any origin) that times the
    /// bounded side's operators and samples the stream operators.
    pub fn with_clock(
        plan: &Plan,
        tables: &Tables,
        options: Options,
        clock: Option<Box<dyn Fn() -> u64>>,
    ) -> Result<Self, EngineError> {
        Self::build(plan, &mut Held(tables), options, clock, None)
    }

    /// As [`Engine::with_clock`], reading the bounded tables from `input` as the
    /// bounded side is built: a table it reads piece by piece is never held whole.
    pub fn reading(
        plan: &Plan,
        input: &mut dyn BoundedInput,
        options: Options,
        clock: Option<Box<dyn Fn() -> u64>>,
    ) -> Result<Self, EngineError> {
        Self::build(plan, input, options, clock, None)
    }

    /// As [`Engine::new`], asking `cancel` now and then while the bounded side is
    /// computed, and stopping with [`EngineError::Cancelled`] when it says so.
    pub fn with_cancel(
        plan: &Plan,
        tables: &Tables,
        options: Options,
        cancel: Box<dyn Fn() -> bool>,
    ) -> Result<Self, EngineError> {
        Self::build(plan, &mut Held(tables), options, None, Some(cancel))
    }

    fn build(
        plan: &Plan,
        tables: &mut dyn BoundedInput,
        options: Options,
        clock: Option<Box<dyn Fn() -> u64>>,
        cancel: Option<Box<dyn Fn() -> bool>>,
    ) -> Result<Self, EngineError> {
        let mut engine = Self {
            nodes: Vec::new(),
            parent: Vec::new(),
            streams: Vec::new(),
            kept: FxHashMap::default(),
            scans: FxHashMap::default(),
            output_columns: plan.columns().to_vec(),
            outputs: VecDeque::new(),
            dropped: VecDeque::new(),
            evicted: (0, 0),
            evicted_rows: Vec::new(),
            timed_nodes: Vec::new(),
            firing: false,
            fates: Vec::new(),
            fate_counts: [0; 3],
            drop_counts: Vec::new(),
            watermark: i64::MIN,
            max_time: i64::MIN,
            options,
            clock,
            cancel,
            events: 0,
        };
        let root = engine.compile(plan, None)?;
        engine.streams.sort();
        if plan.is_bounded() {
            let batch = engine.run_batch(plan, root, tables)?;
            engine.outputs = batch
                .rows
                .into_iter()
                .zip(batch.prov)
                .map(|(row, prov)| Output {
                    row,
                    prov,
                    time: i64::MIN,
                })
                .collect();
        } else {
            engine.prepare_stream(plan, root, tables)?;
        }
        engine.timed_nodes = engine
            .nodes
            .iter()
            .filter(|n| {
                matches!(&n.op, Op::Aggregate(_))
                    || matches!(&n.op, Op::Join(j) if j.bounded.is_none())
            })
            .map(|n| n.id)
            .collect();
        // Inputs fire before the operators they feed (ids are in EXPLAIN order, so
        // an input's id is larger): a window an aggregate closes reaches a join
        // downstream in the same advance, and closes there too.
        engine.timed_nodes.reverse();
        Ok(engine)
    }

    /// How many rows reached the destinations in all (kept or not).
    pub fn outputs_total(&self) -> u64 {
        self.evicted.0 + self.outputs.len() as u64
    }

    /// Hands over the outputs kept so far, oldest first, and keeps no more of them
    /// ([`Engine::outputs_total`] still counts them): a caller that writes outputs
    /// as they come holds none in memory.
    pub fn take_outputs(&mut self) -> std::collections::vec_deque::Drain<'_, Output> {
        self.evicted.0 += self.outputs.len() as u64;
        self.outputs.drain(..)
    }

    /// How many drop records there were in all (kept or not).
    pub fn dropped_total(&self) -> u64 {
        self.evicted.1 + self.dropped.len() as u64
    }

    /// Gives the engine a clock (nanoseconds, any origin) to time stream operators with.
    pub fn set_clock(&mut self, clock: Box<dyn Fn() -> u64>) {
        self.clock = Some(clock);
    }

    /// The operators, by id (EXPLAIN order).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The output columns.
    pub fn output_columns(&self) -> &[sluice_sql::plan::Column] {
        &self.output_columns
    }

    /// The stream sources the query reads, by SQL name.
    pub fn stream_sources(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.streams.iter().map(|(n, _)| n.as_str()).collect();
        names.dedup();
        names
    }

    /// The current watermark (microseconds; `i64::MIN` before any event).
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// How many events were pushed.
    pub fn events(&self) -> u32 {
        self.events
    }

    /// The outcome of event `i` so far.
    pub fn fate(&self, i: u32) -> Option<Fate> {
        self.fates.get(i as usize).copied()
    }

    /// Counts of events by outcome: (emitted, dropped, pending).
    pub fn accounting(&self) -> (u64, u64, u64) {
        let c = &self.fate_counts;
        (
            c[Fate::Emitted as usize],
            c[Fate::Dropped as usize],
            c[Fate::Pending as usize],
        )
    }

    /// Dropped events by reason kind and operator, kept or not.
    pub fn drop_counts(&self) -> impl Iterator<Item = ((&'static str, usize), u64)> + '_ {
        self.drop_counts
            .iter()
            .enumerate()
            .flat_map(|(node, counts)| {
                Reason::KINDS
                    .iter()
                    .zip(counts)
                    .filter(|(_, n)| **n > 0)
                    .map(move |(kind, n)| ((*kind, node), *n))
            })
    }

    /// A kept bounded row (what a [`RowRef`] names) and its provenance: the rows of
    /// scans it came from (a scan's row is its own provenance). The rows of a stream
    /// join's bounded input are named by their position in the join's index, those
    /// of other scans by their place in the table.
    pub fn bounded_row(&self, r: RowRef) -> Option<(&[Value], Prov)> {
        if let Some(join) = self.kept.get(&(r.node as usize)) {
            let Op::Join(j) = &self.nodes.get(*join)?.op else {
                return None;
            };
            let side = j.bounded.as_ref()?;
            return Some((
                side.index.row(r.row)?,
                side.prov.get(r.row as usize)?.clone(),
            ));
        }
        let table = self.scans.get(&(r.node as usize))?;
        Some((table.get(r.row as usize)?, Prov::row(r)))
    }

    // ---- compiling ---------------------------------------------------------------------

    fn compile(
        &mut self,
        plan: &Plan,
        parent: Option<(usize, usize)>,
    ) -> Result<usize, EngineError> {
        let id = self.nodes.len();
        let label = plan.describe();
        let unsupported = |message: &str| EngineError::Unsupported {
            node: id,
            label: label.clone(),
            message: message.into(),
        };
        let eval_err = |e: EvalError| EngineError::Eval {
            node: id,
            label: label.clone(),
            message: e.0,
        };
        let bounded = plan.is_bounded();
        let op = if bounded {
            Op::Bounded
        } else {
            match plan {
                Plan::Scan {
                    source, columns, ..
                } => Op::StreamScan {
                    source: source.sql_name(),
                    time_column: columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(EVENT_TIMESTAMP)),
                },
                Plan::Filter { predicate, .. } => {
                    let mut reads = Vec::new();
                    predicate.visit_columns(&mut |i| {
                        if !reads.contains(&i) {
                            reads.push(i)
                        }
                    });
                    Op::Filter {
                        predicate: compile(predicate).map_err(eval_err)?,
                        reads,
                    }
                }
                Plan::Project { exprs, .. } => {
                    let exprs = compile_all(exprs).map_err(eval_err)?;
                    let columns: Option<Vec<usize>> = exprs
                        .iter()
                        .map(|e| match e {
                            CExpr::Column(i) => Some(*i),
                            _ => None,
                        })
                        .collect();
                    let picks = columns.map(|cols| {
                        cols.iter()
                            .enumerate()
                            .map(|(n, c)| (*c, !cols[n + 1..].contains(c)))
                            .collect()
                    });
                    let in_place = picks.as_ref().is_some_and(|p: &Vec<(usize, bool)>| {
                        p.windows(2).all(|w| w[0].0 < w[1].0)
                    });
                    Op::Project {
                        exprs,
                        picks,
                        in_place,
                    }
                }
                Plan::Window {
                    kind, time_column, ..
                } => Op::Window {
                    kind: *kind,
                    time_column: *time_column,
                },
                Plan::Aggregate {
                    group,
                    aggregates,
                    window_key,
                    input,
                    ..
                } => {
                    if window_key.is_none() {
                        return Err(unsupported(
                            "aggregating a stream needs a window (the analyzer should have said so)",
                        ));
                    }
                    Op::Aggregate(Box::new(
                        AggOp::new(group, aggregates, input).map_err(eval_err)?,
                    ))
                }
                Plan::Join {
                    left,
                    right,
                    kind,
                    keys,
                    residual,
                    ..
                } => {
                    let both = !left.is_bounded() && !right.is_bounded();
                    if both && *kind != JoinKind::Inner {
                        return Err(unsupported(
                            "the simulator joins two streams with INNER JOIN only",
                        ));
                    }
                    if both && (left.window().is_none() || right.window().is_none()) {
                        return Err(unsupported("joining two streams needs windows on both"));
                    }
                    let stream_side_outer = match kind {
                        JoinKind::Right => !left.is_bounded(),
                        JoinKind::Left => !right.is_bounded(),
                        JoinKind::Full => true,
                        _ => false,
                    };
                    if stream_side_outer && !both {
                        return Err(unsupported(
                            "an outer join that keeps the bounded side's unmatched rows would need retractions",
                        ));
                    }
                    Op::Join(Box::new(JoinOp {
                        kind: *kind,
                        left_keys: keys
                            .iter()
                            .map(|(l, _)| compile(l))
                            .collect::<Result<_, _>>()
                            .map_err(eval_err)?,
                        right_keys: keys
                            .iter()
                            .map(|(_, r)| compile(r))
                            .collect::<Result<_, _>>()
                            .map_err(eval_err)?,
                        residual: residual
                            .as_ref()
                            .map(compile)
                            .transpose()
                            .map_err(eval_err)?,
                        left_width: left.columns().len(),
                        right_width: right.columns().len(),
                        key_names: [
                            keys.iter().map(|(l, _)| readable(&l.to_string())).collect(),
                            keys.iter().map(|(_, r)| readable(&r.to_string())).collect(),
                        ],
                        bounded: None,
                        buffers: [FxHashMap::default(), FxHashMap::default()],
                        timers: BTreeMap::new(),
                    }))
                }
                Plan::Union { .. } => Op::Union,
                Plan::Distinct { .. } | Plan::Sort { .. } | Plan::Limit { .. } => {
                    return Err(unsupported("this operator cannot run on a stream"));
                }
            }
        };
        self.nodes.push(Node {
            id,
            kind: kind_of(plan),
            label,
            bounded,
            children: Vec::new(),
            stats: Stats::default(),
            columns: plan.columns().iter().map(|c| c.name.clone()).collect(),
            types: plan.columns().iter().map(|c| c.data_type.clone()).collect(),
            op,
            sampled: (0, 0),
        });
        self.parent.push(parent);
        if let Op::StreamScan { source, .. } = &self.nodes[id].op {
            self.streams.push((source.clone(), id));
        }
        for (pos, input) in plan.inputs().into_iter().enumerate() {
            let child = self.compile(input, Some((id, pos)))?;
            self.nodes[id].children.push(child);
        }
        Ok(id)
    }

    /// Computes the bounded inputs of stream operators and indexes join sides.
    fn prepare_stream(
        &mut self,
        plan: &Plan,
        id: usize,
        tables: &mut dyn BoundedInput,
    ) -> Result<(), EngineError> {
        let inputs = plan.inputs();
        let children = self.nodes[id].children.clone();
        for (pos, (input, child)) in inputs.iter().zip(&children).enumerate() {
            if input.is_bounded() {
                let batch = self.run_batch(input, *child, tables)?;
                let label = self.nodes[id].label.clone();
                let node = &mut self.nodes[id];
                match &mut node.op {
                    Op::Join(join) => {
                        let (keys, width) = if pos == 0 {
                            (&join.left_keys, join.left_width)
                        } else {
                            (&join.right_keys, join.right_width)
                        };
                        let mut entries = Vec::with_capacity(batch.rows.len());
                        let cx = Context::default();
                        for row in &batch.rows {
                            let mut key = crate::value::KeyValues::new();
                            for k in keys {
                                key.push(eval(k, row, &cx).map_err(|e| EngineError::Eval {
                                    node: id,
                                    label: label.clone(),
                                    message: e.0,
                                })?);
                            }
                            // NULL keys never match.
                            entries.push((!key.iter().any(Value::is_null)).then_some(key));
                        }
                        node.stats.state_rows = batch.rows.len() as u64;
                        // Rows are known by their position in the index from here on.
                        let (index, order) =
                            crate::index::JoinIndex::build(batch.rows, entries, width);
                        let mut prov = batch.prov;
                        let prov = order
                            .iter()
                            .map(|&r| std::mem::take(&mut prov[r as usize]))
                            .collect();
                        join.bounded = Some(BoundedSide {
                            node: *child,
                            index,
                            prov,
                        });
                        self.kept.insert(*child, id);
                    }
                    Op::Union => {
                        // Bounded rows of a union with a stream are emitted once, up front.
                        for (row, prov) in batch.rows.into_iter().zip(batch.prov) {
                            self.emit(
                                id,
                                Tuple {
                                    row,
                                    prov,
                                    time: i64::MIN,
                                    window: None,
                                },
                            );
                        }
                    }
                    _ => {
                        return Err(EngineError::Unsupported {
                            node: id,
                            label,
                            message: "a bounded input here is not supported".into(),
                        });
                    }
                }
            } else {
                self.prepare_stream(input, *child, tables)?;
            }
        }
        Ok(())
    }

    // ---- the bounded side, in batch ----------------------------------------------------

    fn run_batch(
        &mut self,
        plan: &Plan,
        id: usize,
        tables: &mut dyn BoundedInput,
    ) -> Result<Batch, EngineError> {
        let children = self.nodes[id].children.clone();
        if let Plan::Filter {
            predicate, input, ..
        } = plan
            && let Plan::Scan {
                source, columns, ..
            } = &**input
            && let [child] = children[..]
        {
            return self.filter_scan(id, child, Some(predicate), source, columns.len(), tables);
        }
        if let Plan::Aggregate { input, .. } = plan
            && input.window().is_none()
            && let Some(out) = self.aggregate_in_place(id, plan, tables)?
        {
            return Ok(out);
        }
        let mut inputs = Vec::with_capacity(children.len());
        for (input, child) in plan.inputs().into_iter().zip(&children) {
            inputs.push(self.run_batch(input, *child, tables)?);
        }
        let started = self.clock.as_ref().map(|c| c());
        let label = self.nodes[id].label.clone();
        let fail = |e: EvalError| EngineError::Eval {
            node: id,
            label: label.clone(),
            message: e.0,
        };
        let cx = Context::default();
        let rows_in: usize = inputs.iter().map(|b| b.rows.len()).sum();
        let out = match plan {
            Plan::Scan {
                source, columns, ..
            } => self.filter_scan(id, id, None, source, columns.len(), tables)?,
            Plan::Filter { predicate, .. } => {
                let p = compile(predicate).map_err(fail)?;
                let mut out = Batch::default();
                let input = inputs.pop().unwrap_or_default();
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    if truth(&eval(&p, &row, &cx).map_err(fail)?) == Some(true) {
                        out.rows.push(row);
                        out.prov.push(prov);
                    }
                }
                out
            }
            Plan::Project { exprs, .. } => {
                let exprs = compile_all(exprs).map_err(fail)?;
                let input = inputs.pop().unwrap_or_default();
                let mut rows = Vec::with_capacity(input.rows.len());
                for row in &input.rows {
                    let mut r = Vec::with_capacity(exprs.len());
                    for e in &exprs {
                        r.push(eval(e, row, &cx).map_err(fail)?);
                    }
                    rows.push(r);
                }
                Batch {
                    rows,
                    prov: input.prov,
                }
            }
            Plan::Window {
                kind, time_column, ..
            } => {
                let input = inputs.pop().unwrap_or_default();
                let mut out = Batch::default();
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    let Some(Value::Timestamp(t)) = row.get(*time_column).cloned() else {
                        continue;
                    };
                    for (start, end) in assign_windows(*kind, t) {
                        let mut r = row.clone();
                        r.push(Value::Timestamp(start));
                        r.push(Value::Timestamp(end));
                        out.rows.push(r);
                        out.prov.push(prov.clone());
                    }
                }
                out
            }
            Plan::Aggregate {
                group,
                aggregates,
                input,
                ..
            } => {
                let mut op = AggOp::new(group, aggregates, input).map_err(fail)?;
                let batch = inputs.pop().unwrap_or_default();
                let is_global = group.is_empty();
                for (row, prov) in batch.rows.into_iter().zip(batch.prov) {
                    let window = window_of(&op, &row, plan);
                    op.add_bounded(&row, &prov, window, &cx).map_err(fail)?;
                }
                op.finish_batch(is_global).map_err(fail)?
            }
            Plan::Join {
                kind,
                keys,
                residual,
                left,
                right,
                ..
            } => {
                let r = inputs.pop().unwrap_or_default();
                let l = inputs.pop().unwrap_or_default();
                let budget = Budget {
                    rows: self
                        .options
                        .max_bounded_rows
                        .min(self.options.max_bounded_values / plan.columns().len().max(1)),
                    cancel: self.cancel.as_deref(),
                };
                match batch_join(
                    *kind,
                    keys,
                    residual.as_ref(),
                    (l, left.columns().len()),
                    (r, right.columns().len()),
                    &budget,
                ) {
                    Ok(out) => out,
                    Err(BatchStop::Eval(e)) => return Err(fail(e)),
                    Err(BatchStop::TooLarge) => return Err(self.too_large(id, plan)),
                    Err(BatchStop::Cancelled) => return Err(EngineError::Cancelled),
                }
            }
            Plan::Distinct { .. } => {
                let input = inputs.pop().unwrap_or_default();
                let mut seen: HashMap<Key, usize> = HashMap::new();
                let mut out = Batch::default();
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    match seen.get(&Key::new(row.clone())) {
                        Some(&i) => out.prov[i] = out.prov[i].join(&prov),
                        None => {
                            seen.insert(Key::new(row.clone()), out.rows.len());
                            out.rows.push(row);
                            out.prov.push(prov);
                        }
                    }
                }
                out
            }
            Plan::Union { .. } => {
                let mut out = Batch::default();
                for b in inputs {
                    out.rows.extend(b.rows);
                    out.prov.extend(b.prov);
                }
                out
            }
            Plan::Sort { keys, .. } => {
                let keys: Vec<(CExpr, bool)> = keys
                    .iter()
                    .map(|(e, asc)| compile(e).map(|c| (c, *asc)))
                    .collect::<Result<_, _>>()
                    .map_err(fail)?;
                let input = inputs.pop().unwrap_or_default();
                let mut keyed = Vec::with_capacity(input.rows.len());
                for (row, prov) in input.rows.into_iter().zip(input.prov) {
                    let mut k = Vec::with_capacity(keys.len());
                    for (e, _) in &keys {
                        k.push(eval(e, &row, &cx).map_err(fail)?);
                    }
                    keyed.push((k, row, prov));
                }
                keyed.sort_by(|a, b| {
                    for (i, (_, asc)) in keys.iter().enumerate() {
                        let o = crate::value::sort_order(&a.0[i], &b.0[i]);
                        let o = if *asc { o } else { o.reverse() };
                        if o != std::cmp::Ordering::Equal {
                            return o;
                        }
                    }
                    std::cmp::Ordering::Equal
                });
                let mut out = Batch::default();
                for (_, row, prov) in keyed {
                    out.rows.push(row);
                    out.prov.push(prov);
                }
                out
            }
            Plan::Limit { count, offset, .. } => {
                let input = inputs.pop().unwrap_or_default();
                let skip = (*offset).min(input.rows.len() as u64) as usize;
                let take = (*count).min((input.rows.len() - skip) as u64) as usize;
                Batch {
                    rows: input.rows.into_iter().skip(skip).take(take).collect(),
                    prov: input.prov.into_iter().skip(skip).take(take).collect(),
                }
            }
        };
        if self.cancel.as_ref().is_some_and(|c| c()) {
            return Err(EngineError::Cancelled);
        }
        if out.rows.len() > self.options.max_bounded_rows
            || out.rows.len().saturating_mul(plan.columns().len()) > self.options.max_bounded_values
        {
            return Err(self.too_large(id, plan));
        }
        let stats = &mut self.nodes[id].stats;
        stats.rows_in = if matches!(plan, Plan::Scan { .. }) {
            out.rows.len() as u64
        } else {
            rows_in as u64
        };
        stats.rows_out = out.rows.len() as u64;
        if matches!(plan, Plan::Filter { .. }) {
            stats.dropped = stats.rows_in - stats.rows_out;
        }
        if let (Some(t0), Some(clock)) = (started, self.clock.as_ref()) {
            self.nodes[id].stats.nanos = clock().saturating_sub(t0);
        }
        Ok(out)
    }

    /// The error for bounded operator `id` passing a size limit, with the limit it
    /// passed in words.
    fn too_large(&self, id: usize, plan: &Plan) -> EngineError {
        self.too_large_for(id, plan.columns().len())
    }

    /// [`Engine::too_large`] for an operator of `width` columns.
    fn too_large_for(&self, id: usize, width: usize) -> EngineError {
        let by_values = self.options.max_bounded_values / width.max(1);
        let limit = if by_values < self.options.max_bounded_rows {
            format!(
                "{} values ({} rows of {} columns)",
                thousands(self.options.max_bounded_values),
                thousands(by_values),
                width
            )
        } else {
            format!("{} rows", thousands(self.options.max_bounded_rows))
        };
        EngineError::TooLarge {
            node: id,
            label: readable(&self.nodes[id].label),
            limit,
        }
    }

    /// Reads the rows of the table scan `scan` reads and, when `filter` is a filter
    /// right over it, `(filter, predicate)`, keeps those that pass; hands each
    /// kept row to `each` with its number in the table. Records the scan's and the
    /// filter's statistics, and returns the nanoseconds spent in `each` (reading
    /// a piece is nobody's time). A held table is kept for lineage.
    fn scan_rows(
        &mut self,
        scan: usize,
        filter: Option<(usize, &sluice_sql::plan::Expr)>,
        source: &sluice_sql::catalog::Source,
        input: &mut dyn BoundedInput,
        each: &mut ScannedRow<'_>,
    ) -> Result<u64, EngineError> {
        let predicate = match filter {
            Some((id, predicate)) => {
                let label = self.nodes[id].label.clone();
                let p = compile(predicate).map_err(|e| EngineError::Eval {
                    node: id,
                    label,
                    message: e.0,
                })?;
                Some((id, p))
            }
            None => None,
        };
        let name = source.sql_name();
        let now = |engine: &Self| engine.clock.as_ref().map_or(0, |c| c());
        let cx = Context::default();
        let (mut rows, mut passed, mut filtering, mut downstream) = (0u64, 0u64, 0u64, 0u64);
        let mut selection: Vec<u32> = Vec::new();
        input.read(&name, &mut |piece| {
            let first = u32::try_from(rows)
                .ok()
                .filter(|f| f.checked_add(piece.len() as u32).is_some())
                .ok_or_else(|| EngineError::Input {
                    table: name.clone(),
                    message: "more than 4,294,967,295 rows".to_string(),
                })?;
            rows += piece.len() as u64;
            let t0 = now(self);
            selection.clear();
            match &predicate {
                Some((id, p)) => {
                    for (i, row) in piece.iter().enumerate() {
                        let value = eval(p, row, &cx).map_err(|e| EngineError::Eval {
                            node: *id,
                            label: self.nodes[*id].label.clone(),
                            message: e.0,
                        })?;
                        if truth(&value) == Some(true) {
                            selection.push(i as u32);
                        }
                    }
                }
                None => selection.extend(0..piece.len() as u32),
            }
            let t1 = now(self);
            passed += selection.len() as u64;
            for &i in &selection {
                if let Some(row) = piece.get(i as usize) {
                    each(first + i, row)?;
                }
            }
            filtering += t1.saturating_sub(t0);
            downstream += now(self).saturating_sub(t1);
            if self.cancel.as_ref().is_some_and(|c| c()) {
                return Err(EngineError::Cancelled);
            }
            Ok(())
        })?;
        if let Some(table) = input.held(&name) {
            self.scans.insert(scan, table);
        }
        self.nodes[scan].stats = Stats {
            rows_in: rows,
            rows_out: rows,
            ..Stats::default()
        };
        if let Some((id, _)) = predicate {
            self.nodes[id].stats = Stats {
                rows_in: rows,
                rows_out: passed,
                dropped: rows - passed,
                nanos: filtering,
                ..Stats::default()
            };
        }
        Ok(downstream)
    }

    /// A scan, or a filter right over a scan (the common `WHERE` on a BigQuery
    /// table): copies only the rows that pass, at most the bounded-side limit.
    fn filter_scan(
        &mut self,
        id: usize,
        scan: usize,
        predicate: Option<&sluice_sql::plan::Expr>,
        source: &sluice_sql::catalog::Source,
        width: usize,
        input: &mut dyn BoundedInput,
    ) -> Result<Batch, EngineError> {
        let limit = self
            .options
            .max_bounded_rows
            .min(self.options.max_bounded_values / width.max(1));
        let mut out = Batch::default();
        let too_large = self.too_large_for(id, width);
        self.scan_rows(
            scan,
            predicate.map(|p| (id, p)),
            source,
            input,
            &mut |row, values| {
                if out.rows.len() >= limit {
                    return Err(too_large.clone());
                }
                out.rows.push(widen(values, width));
                out.prov.push(Prov::row(RowRef {
                    node: scan as u32,
                    row,
                }));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// An aggregate over a scan, or over a filter over a scan, without a window:
    /// groups the table's rows as they are read, without copying them.
    fn aggregate_in_place(
        &mut self,
        id: usize,
        plan: &Plan,
        tables: &mut dyn BoundedInput,
    ) -> Result<Option<Batch>, EngineError> {
        let Plan::Aggregate {
            group,
            aggregates,
            input,
            ..
        } = plan
        else {
            return Ok(None);
        };
        let [child] = self.nodes[id].children[..] else {
            return Ok(None);
        };
        let (source, scan, filter) = match &**input {
            Plan::Scan { source, .. } => (source, child, None),
            Plan::Filter {
                predicate, input, ..
            } => match (&**input, &self.nodes[child].children[..]) {
                (Plan::Scan { source, .. }, &[scan]) => (source, scan, Some((child, predicate))),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let label = self.nodes[id].label.clone();
        let fail = |e: EvalError| EngineError::Eval {
            node: id,
            label: label.clone(),
            message: e.0,
        };
        let cx = Context::default();
        let mut op = AggOp::new(group, aggregates, input).map_err(fail)?;
        let mut rows_in = 0u64;
        let mut nanos = self.scan_rows(scan, filter, source, tables, &mut |row, values| {
            rows_in += 1;
            let r = RowRef {
                node: scan as u32,
                row,
            };
            if op.session {
                op.add_bounded(values, &Prov::row(r), None, &cx)
            } else {
                op.add_scanned(values, r, &cx)
            }
            .map_err(fail)
        })?;
        let started = self.clock.as_ref().map(|c| c());
        let out = op.finish_batch(group.is_empty()).map_err(fail)?;
        if let (Some(t0), Some(clock)) = (started, self.clock.as_ref()) {
            nanos += clock().saturating_sub(t0);
        }
        self.nodes[id].stats = Stats {
            rows_in,
            rows_out: out.rows.len() as u64,
            nanos,
            ..Stats::default()
        };
        Ok(Some(out))
    }

    // ---- the stream --------------------------------------------------------------------

    /// Pushes one event of stream `source` (its SQL name), a row in the topic's
    /// column order, then advances the watermark and closes due windows.
    pub fn push(&mut self, source: &str, row: Row) -> Result<(), EngineError> {
        // `streams` is sorted by source, so this source's scans are one range.
        let Some(first) = self.streams.iter().position(|(n, _)| n == source) else {
            return Err(EngineError::UnknownStream(source.to_string()));
        };
        let count = 1 + self.streams[first + 1..]
            .iter()
            .take_while(|(n, _)| n == source)
            .count();
        let event = self.events;
        self.events += 1;
        self.fates.push(Fate::Pending);
        self.fate_counts[Fate::Pending as usize] += 1;
        let sample = self.options.timing_sample > 0
            && self.clock.is_some()
            // Every event of the first 64 after the first (which warms caches), then
            // one in `timing_sample`.
            && event > 0
            && (event <= 64 || event.is_multiple_of(self.options.timing_sample));
        let mut time = None;
        let mut row = Some(row);
        for n in 0..count {
            let scan = &self.streams[first + n].1.clone();
            let Op::StreamScan { time_column, .. } = &self.nodes[*scan].op else {
                continue;
            };
            let t = match time_column.and_then(|c| row.as_ref().and_then(|r| r.get(c))) {
                Some(Value::Timestamp(t)) => *t,
                _ => {
                    self.nodes[*scan].stats.rows_in += 1;
                    self.drop_tuple(*scan, Ids::One(event), Reason::NoEventTime);
                    continue;
                }
            };
            time = Some(t);
            self.nodes[*scan].stats.rows_in += 1;
            self.nodes[*scan].stats.rows_out += 1;
            // The last reader takes the row; others get copies.
            let row = if n + 1 == count {
                row.take().unwrap_or_default()
            } else {
                row.clone().unwrap_or_default()
            };
            let tuple = Tuple {
                row,
                prov: Prov::event(event),
                time: t,
                window: None,
            };
            if sample {
                self.emit_timed(*scan, tuple);
            } else {
                self.emit(*scan, tuple);
            }
        }
        if let Some(t) = time {
            self.max_time = self.max_time.max(t);
            let wm = self.max_time.saturating_sub(self.options.max_delay_micros);
            if wm > self.watermark {
                self.advance_to(wm);
            }
        }
        Ok(())
    }

    /// Moves the watermark to `watermark` (never back) and closes windows ending at
    /// or before it.
    pub fn advance_to(&mut self, watermark: i64) {
        if watermark < self.watermark {
            return;
        }
        self.watermark = watermark;
        for n in 0..self.timed_nodes.len() {
            let id = self.timed_nodes[n];
            let due = match &self.nodes[id].op {
                Op::Aggregate(a) => {
                    a.windows
                        .first_key_value()
                        .is_some_and(|(end, _)| *end <= watermark)
                        || a.session_timers
                            .first_key_value()
                            .is_some_and(|(end, _)| *end <= watermark)
                }
                Op::Join(j) => j
                    .timers
                    .first_key_value()
                    .is_some_and(|(end, _)| *end <= watermark),
                _ => false,
            };
            if due {
                self.fire(id, watermark);
            }
        }
    }

    /// Ends the stream: the watermark goes to the end of time and every window closes.
    pub fn finish(&mut self) {
        self.advance_to(i64::MAX);
    }

    fn fire(&mut self, id: usize, watermark: i64) {
        let mut held: Option<usize> = None;
        let mut emitted = Vec::new();
        let mut drops = Vec::new();
        match &mut self.nodes[id].op {
            Op::Aggregate(a) => {
                while let Some(entry) = a.windows.first_entry() {
                    if *entry.key() > watermark {
                        break;
                    }
                    let (end, (start, groups)) = entry.remove_entry();
                    let mut groups: Vec<(Key, Group)> = groups.into_iter().collect();
                    // Deterministic order: by group keys.
                    groups.sort_by(|x, y| compare_rows(&x.1.keys, &y.1.keys));
                    for (_, g) in groups {
                        let events = Ids::from_vec(g.prov.events().to_vec());
                        // A group stays in its window, as Beam's GroupByKey output
                        // does: a join or aggregate downstream pairs by window.
                        match a.finish_group(g) {
                            Ok((row, prov)) => emitted.push(Tuple {
                                row,
                                prov,
                                time: end,
                                window: Some((start, end)),
                            }),
                            Err(e) => drops.push((events, Reason::Error(e.0))),
                        }
                    }
                }
                match a.fire_sessions(watermark) {
                    Ok(rows) => {
                        for (row, prov, window) in rows {
                            emitted.push(Tuple {
                                row,
                                prov,
                                time: watermark,
                                window: Some(window),
                            });
                        }
                    }
                    Err(e) => drops.push((Ids::None, Reason::Error(e.0))),
                }
                held = Some(a.held());
            }
            Op::Join(j) => {
                while let Some(entry) = j.timers.first_entry() {
                    if *entry.key() > watermark {
                        break;
                    }
                    for (side, key) in entry.remove() {
                        if let Some(buffered) = j.buffers[side].remove(&key) {
                            for b in buffered.into_iter().filter(|b| !b.matched) {
                                drops.push((
                                    b.tuple.prov.events.clone(),
                                    Reason::NoMatch(Ids::from_vec(key.1.0.to_vec())),
                                ));
                            }
                        }
                    }
                }
                held = Some(j.held());
            }
            _ => {}
        }
        if let Some(h) = held {
            self.nodes[id].stats.state_rows = h as u64;
        }
        for (events, reason) in drops {
            self.drop_tuple(id, events, reason);
        }
        // What a closing window emits is on time downstream, as in Beam, where the
        // watermark a later operator sees is held back until the window's results
        // have passed.
        let firing = std::mem::replace(&mut self.firing, true);
        for t in emitted {
            self.nodes[id].stats.rows_out += 1;
            self.emit(id, t);
        }
        self.firing = firing;
    }

    /// Hands `tuple`, output of node `from`, to its parent (or the destinations).
    fn emit(&mut self, from: usize, tuple: Tuple) {
        match self.parent[from] {
            None => self.output(tuple),
            Some((p, pos)) => self.process(p, pos, tuple, false),
        }
    }

    fn emit_timed(&mut self, from: usize, tuple: Tuple) {
        match self.parent[from] {
            None => self.output(tuple),
            Some((p, pos)) => self.process(p, pos, tuple, true),
        }
    }

    fn output(&mut self, tuple: Tuple) {
        tuple.prov.events.for_each(|&e| {
            if let Some(f) = self.fates.get_mut(e as usize) {
                self.fate_counts[*f as usize] -= 1;
                self.fate_counts[Fate::Emitted as usize] += 1;
                *f = Fate::Emitted;
            }
        });
        if self.outputs.len() >= self.options.retain
            && let Some(old) = self.outputs.pop_front()
        {
            self.evicted.0 += 1;
            // Freed in bulk, in the order they were made: one by one, between other
            // work, each would be a trip to memory.
            self.evicted_rows.push(old.row);
            if self.evicted_rows.len() == EVICTED_BATCH {
                self.evicted_rows.clear();
            }
        }
        self.outputs.push_back(Output {
            row: tuple.row,
            prov: tuple.prov,
            time: tuple.time,
        });
    }

    fn drop_tuple(&mut self, node: usize, events: Ids<u32>, reason: Reason) {
        self.nodes[node].stats.dropped += 1;
        events.for_each(|&e| {
            if let Some(f) = self.fates.get_mut(e as usize)
                && *f == Fate::Pending
            {
                self.fate_counts[Fate::Pending as usize] -= 1;
                self.fate_counts[Fate::Dropped as usize] += 1;
                *f = Fate::Dropped;
            }
        });
        if self.drop_counts.len() <= node {
            self.drop_counts.resize(node + 1, [0; Reason::KINDS.len()]);
        }
        self.drop_counts[node][reason.kind_index()] += events.len().max(1) as u64;
        if self.dropped.len() >= self.options.retain.min(self.options.retain_dropped) {
            self.dropped.pop_front();
            self.evicted.1 += 1;
        }
        self.dropped.push_back(Dropped {
            events,
            node,
            reason,
        });
    }

    /// Runs node `id` on a tuple from its input `pos`, then passes what it produces on.
    fn process(&mut self, id: usize, pos: usize, tuple: Tuple, timed: bool) {
        let started = if timed {
            self.clock.as_ref().map(|c| c())
        } else {
            None
        };
        self.nodes[id].stats.rows_in += 1;
        let cx = Context {
            now_micros: tuple.time,
        };
        // Most operators make at most one tuple of one: no allocation for it.
        let mut outs: Outs = Outs::new();
        let mut single: Option<Tuple> = None;
        let mut drop: Option<(Ids<u32>, Reason)> = None;
        let mut held: Option<usize> = None;
        let watermark = if self.firing {
            i64::MIN
        } else {
            self.watermark
        };
        match &mut self.nodes[id].op {
            Op::Bounded | Op::StreamScan { .. } => {}
            Op::Filter { predicate, reads } => match eval(predicate, &tuple.row, &cx) {
                Ok(Value::Bool(true)) => single = Some(tuple),
                Ok(v) => {
                    let values = match reads.as_slice() {
                        [one] => Ids::One(tuple.row.get(*one).cloned().unwrap_or(Value::Null)),
                        many => Ids::from_vec(
                            many.iter()
                                .map(|i| tuple.row.get(*i).cloned().unwrap_or(Value::Null))
                                .collect(),
                        ),
                    };
                    let reason = if v.is_null() {
                        Reason::FilterNull(values)
                    } else {
                        Reason::FilterFalse(values)
                    };
                    drop = Some((tuple.prov.events, reason));
                }
                Err(e) => drop = Some((tuple.prov.events, Reason::Error(e.0))),
            },
            Op::Project {
                exprs,
                picks,
                in_place,
            } => match project(exprs, picks.as_deref(), *in_place, tuple.row, &cx) {
                Ok(row) => {
                    single = Some(Tuple {
                        row,
                        prov: tuple.prov,
                        time: tuple.time,
                        window: tuple.window,
                    })
                }
                Err(e) => drop = Some((tuple.prov.events, Reason::Error(e.0))),
            },
            Op::Window { kind, time_column } => match tuple.row.get(*time_column) {
                Some(Value::Timestamp(t)) => {
                    let t = *t;
                    let mut late = None;
                    for (start, end) in assign_windows(*kind, t) {
                        if end <= watermark {
                            late = Some(end);
                            continue;
                        }
                        let mut row = tuple.row.clone();
                        row.push(Value::Timestamp(start));
                        row.push(Value::Timestamp(end));
                        outs.push(Tuple {
                            row,
                            prov: tuple.prov.clone(),
                            time: t,
                            window: Some((start, end)),
                        });
                    }
                    if outs.is_empty()
                        && let Some(window_end) = late
                    {
                        drop = Some((
                            tuple.prov.events,
                            Reason::Late {
                                window_end,
                                watermark,
                            },
                        ));
                    }
                }
                _ => drop = Some((tuple.prov.events, Reason::NoEventTime)),
            },
            Op::Aggregate(a) => {
                let window = tuple.window;
                match a.add_stream(tuple, window, watermark, &cx) {
                    Ok(None) => {}
                    Ok(Some((events, reason))) => drop = Some((events, reason)),
                    Err((events, e)) => drop = Some((events, Reason::Error(e.0))),
                }
                held = Some(a.held());
            }
            Op::Join(j) => {
                match j.probe(pos, tuple, &cx, &mut outs) {
                    Ok(None) => {}
                    Ok(Some((events, reason))) => drop = Some((events, reason)),
                    Err((events, e)) => drop = Some((events, Reason::Error(e.0))),
                }
                if j.bounded.is_none() {
                    held = Some(j.held());
                }
            }
            Op::Union => single = Some(tuple),
        }
        if let Some(h) = held {
            self.nodes[id].stats.state_rows = h as u64;
        }
        if let (Some(t0), Some(clock)) = (started, self.clock.as_ref()) {
            let spent = clock().saturating_sub(t0);
            let node = &mut self.nodes[id];
            node.sampled.0 += spent;
            node.sampled.1 += 1;
            let per_event = node.sampled.0 as f64 / node.sampled.1 as f64;
            node.stats.nanos = (per_event * node.stats.rows_in as f64) as u64;
        }
        if let Some((events, reason)) = drop {
            self.drop_tuple(id, events, reason);
        }
        if let Some(t) = single {
            self.nodes[id].stats.rows_out += 1;
            if timed {
                self.emit_timed(id, t);
            } else {
                self.emit(id, t);
            }
        }
        for t in outs {
            self.nodes[id].stats.rows_out += 1;
            if timed {
                self.emit_timed(id, t);
            } else {
                self.emit(id, t);
            }
        }
    }

    /// Why a drop happened, in words: the operator, its condition and the values.
    pub fn reason_text(&self, d: &Dropped) -> String {
        let node = &self.nodes[d.node];
        let label = readable(&node.label);
        let condition = label.split_once(": ").map_or(label.as_str(), |(_, c)| c);
        let names = |values: &Ids<Value>| -> String {
            match &node.op {
                Op::Filter { reads, .. } => {
                    let input = node.children.first().map(|c| &self.nodes[*c].columns);
                    let vals = values.to_vec();
                    reads
                        .iter()
                        .zip(vals)
                        .map(|(i, v)| {
                            let name = input
                                .and_then(|cols| cols.get(*i))
                                .map_or("?", String::as_str);
                            format!("{name} = {}", Ids::One(v).text())
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                _ => values.text(),
            }
        };
        match &d.reason {
            Reason::FilterFalse(v) => format!("{condition} is FALSE for {}", names(v)),
            Reason::FilterNull(v) => format!("{condition} is NULL (unknown) for {}", names(v)),
            Reason::NoMatch(v) | Reason::ResidualFailed(v) => {
                let Op::Join(j) = &node.op else {
                    return format!("no match for {}", v.text());
                };
                let (other, side) = match &j.bounded {
                    Some(b) => (
                        format!(
                            "the bounded input ({})",
                            readable(&self.nodes[b.node].label)
                        ),
                        // The stream side's key names.
                        usize::from(node.children.first() == Some(&b.node)),
                    ),
                    None => ("the other stream, in the same window,".to_string(), 0),
                };
                let key = j.key_names[side]
                    .iter()
                    .zip(v.to_vec())
                    .map(|(k, v)| format!("{k} = {}", Ids::One(v).text()))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                match (&d.reason, key.is_empty()) {
                    (Reason::ResidualFailed(_), _) => {
                        format!("{other} has rows with {key}, but none satisfies {condition}")
                    }
                    (_, true) => format!("{other} has no row satisfying {condition}"),
                    _ => format!("{other} has no row with {key}"),
                }
            }
            Reason::Late {
                window_end,
                watermark,
            } => format!(
                "late: its window ended at {} but the watermark was already {}",
                sluice_sql::literal::format_timestamp(*window_end),
                sluice_sql::literal::format_timestamp(*watermark)
            ),
            Reason::NoEventTime => "the event has no event time (NULL timestamp)".into(),
            Reason::Error(e) => format!("error: {e}"),
        }
    }
}

/// Computes a projection of `input`. Plain column picks move values out of the
/// input at their last use instead of copying them (the input is not needed after).
fn project(
    exprs: &[CExpr],
    picks: Option<&[(usize, bool)]>,
    in_place: bool,
    mut input: Row,
    cx: &Context,
) -> Result<Row, EvalError> {
    if let Some(picks) = picks {
        // Strictly increasing picks (every column at most once, in order): moved
        // within the input row, which then becomes the output, with no allocation.
        // Each swap reads a column after every earlier write, which all land below it.
        if in_place && picks.last().is_none_or(|&(i, _)| i < input.len()) {
            for (k, &(i, _)) in picks.iter().enumerate() {
                input.swap(k, i);
            }
            input.truncate(picks.len());
            return Ok(input);
        }
        return Ok(picks
            .iter()
            .map(|&(i, last)| match input.get_mut(i) {
                Some(v) if last => std::mem::replace(v, Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            })
            .collect());
    }
    let mut row = Vec::with_capacity(exprs.len());
    for e in exprs {
        row.push(eval(e, &input, cx)?);
    }
    Ok(row)
}

/// A copy of `row` with `width` columns (missing trailing columns are NULL).
fn widen(row: &[Value], width: usize) -> Row {
    let mut r = Vec::with_capacity(width);
    r.extend(row.iter().take(width).cloned());
    r.resize(width, Value::Null);
    r
}

fn compare_rows(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = crate::value::sort_order(x, y);
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// The windows an event at `t` falls in, as `(start, end)` microseconds.
pub fn assign_windows(kind: WindowKind, t: i64) -> Vec<(i64, i64)> {
    match kind {
        WindowKind::Tumble { size_micros } => {
            let start = t - t.rem_euclid(size_micros);
            vec![(start, start.saturating_add(size_micros))]
        }
        WindowKind::Hop {
            slide_micros,
            size_micros,
        } => {
            let mut out = Vec::new();
            let mut start = t - t.rem_euclid(slide_micros);
            while start > t.saturating_sub(size_micros) {
                out.push((start, start.saturating_add(size_micros)));
                start -= slide_micros;
            }
            out.reverse();
            out
        }
        WindowKind::Session { gap_micros } => vec![(t, t.saturating_add(gap_micros))],
    }
}

/// The window columns of a bounded aggregate's input row (the last two columns of a
/// windowed input are `window_start`, `window_end`).
fn window_of(op: &AggOp, row: &[Value], plan: &Plan) -> Option<(i64, i64)> {
    if op.window_keys.is_empty() {
        return None;
    }
    let Plan::Aggregate { input, .. } = plan else {
        return None;
    };
    let cols = input.columns();
    let find = |name: &str| cols.iter().rposition(|c| c.name.eq_ignore_ascii_case(name));
    match (
        find("window_start").map(|i| &row[i]),
        find("window_end").map(|i| &row[i]),
    ) {
        (Some(Value::Timestamp(s)), Some(Value::Timestamp(e))) => Some((*s, *e)),
        _ => None,
    }
}

impl AggOp {
    fn new(
        group: &[sluice_sql::plan::Expr],
        aggregates: &[sluice_sql::plan::AggregateCall],
        input: &Plan,
    ) -> Result<Self, EvalError> {
        // The group keys that are window columns (sessions replace them on merging).
        let window_keys = group
            .iter()
            .enumerate()
            .filter_map(|(i, g)| match g {
                sluice_sql::plan::Expr::Column { name, .. }
                    if name.eq_ignore_ascii_case("window_start") =>
                {
                    Some((i, false))
                }
                sluice_sql::plan::Expr::Column { name, .. }
                    if name.eq_ignore_ascii_case("window_end") =>
                {
                    Some((i, true))
                }
                _ => None,
            })
            .collect();
        Ok(Self {
            group: compile_all(group)?,
            aggs: aggregates
                .iter()
                .map(AggSpec::new)
                .collect::<Result<_, _>>()?,
            window_keys,
            session: matches!(input.window(), Some(WindowKind::Session { .. })),
            windows: BTreeMap::new(),
            sessions: FxHashMap::default(),
            session_timers: BTreeMap::new(),
            all: Vec::new(),
            scanned: Vec::new(),
            index: hashbrown::HashTable::new(),
        })
    }

    /// The result of a bounded aggregate once every row is in; a global aggregate
    /// (no GROUP BY) gives one row even over no rows.
    fn finish_batch(&mut self, is_global: bool) -> Result<Batch, EvalError> {
        let mut out = Batch::default();
        if self.session {
            for (row, prov, _) in self.fire_sessions(i64::MAX)? {
                out.rows.push(row);
                out.prov.push(prov);
            }
            return Ok(out);
        }
        if is_global && self.all.is_empty() {
            let accs = self.aggs.iter().map(AggSpec::start).collect();
            self.all.push(Group {
                keys: crate::value::KeyValues::new(),
                accs,
                prov: ProvSet::default(),
            });
        }
        self.index.clear();
        self.gather_scanned();
        for g in std::mem::take(&mut self.all) {
            let (row, prov) = self.finish_group(g)?;
            out.rows.push(row);
            out.prov.push(prov);
        }
        Ok(out)
    }

    /// Groups (or sessions) held in state.
    fn held(&self) -> usize {
        self.windows.values().map(|(_, g)| g.len()).sum::<usize>()
            + self.sessions.values().map(Vec::len).sum::<usize>()
    }

    fn eval_keys(&self, row: &[Value], cx: &Context) -> Result<Key, EvalError> {
        let mut keys = crate::value::KeyValues::with_capacity(self.group.len());
        for g in &self.group {
            keys.push(eval(g, row, cx)?);
        }
        Ok(Key(keys))
    }

    fn new_group(&self, keys: crate::value::KeyValues) -> Group {
        Group {
            keys,
            accs: self.aggs.iter().map(AggSpec::start).collect(),
            prov: ProvSet::default(),
        }
    }

    fn accumulate(
        aggs: &[AggSpec],
        g: &mut Group,
        row: &[Value],
        prov: &Prov,
        cx: &Context,
    ) -> Result<(), EvalError> {
        for (acc, spec) in g.accs.iter_mut().zip(aggs) {
            acc.add(spec, row, cx)?;
        }
        g.prov.add(prov);
        Ok(())
    }

    /// Adds a bounded row (all rows come before any result).
    fn add_bounded(
        &mut self,
        row: &[Value],
        prov: &Prov,
        window: Option<(i64, i64)>,
        cx: &Context,
    ) -> Result<(), EvalError> {
        if self.session {
            return self.add_session(row, prov, window, cx);
        }
        let at = self.bounded_group(row, cx)?;
        Self::accumulate(&self.aggs, &mut self.all[at], row, prov, cx)
    }

    /// Adds row `r` of a scan (no window, no session): as [`AggOp::add_bounded`]
    /// with the row's reference kept aside until [`AggOp::finish_batch`].
    fn add_scanned(&mut self, row: &[Value], r: RowRef, cx: &Context) -> Result<(), EvalError> {
        let at = self.bounded_group(row, cx)?;
        let g = &mut self.all[at];
        for (acc, spec) in g.accs.iter_mut().zip(&self.aggs) {
            acc.add(spec, row, cx)?;
        }
        // `bounded_group` keeps positions within u32.
        self.scanned.push((at as u32, r));
        Ok(())
    }

    /// Hands each group the scanned rows' references set aside for it, in order: a
    /// counting sort by group, then one copy a group.
    fn gather_scanned(&mut self) {
        if self.scanned.is_empty() {
            return;
        }
        let mut starts = vec![0usize; self.all.len() + 1];
        for &(g, _) in &self.scanned {
            starts[g as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut sorted = vec![RowRef { node: 0, row: 0 }; self.scanned.len()];
        for (g, r) in std::mem::take(&mut self.scanned) {
            sorted[next[g as usize]] = r;
            next[g as usize] += 1;
        }
        for (g, group) in self.all.iter_mut().enumerate() {
            group.prov.add_rows(&sorted[starts[g]..starts[g + 1]]);
        }
    }

    /// The position in `all` of `row`'s group, made when it is new.
    fn bounded_group(&mut self, row: &[Value], cx: &Context) -> Result<usize, EvalError> {
        let key = self.eval_keys(row, cx)?;
        let hash = hash_key(&key.0);
        let all = &self.all;
        let found = self.index.find(hash, |&i| {
            let keys = &all[i as usize].keys;
            keys.len() == key.0.len()
                && keys
                    .iter()
                    .zip(&key.0)
                    .all(|(a, b)| crate::value::same_group(a, b))
        });
        let at = match found {
            Some(&i) => i as usize,
            None => {
                let at = self.all.len();
                let position = u32::try_from(at)
                    .map_err(|_| EvalError("more than 4,294,967,295 groups".to_string()))?;
                self.all.push(self.new_group(key.0));
                let all = &self.all;
                self.index
                    .insert_unique(hash, position, |&i| hash_key(&all[i as usize].keys));
                at
            }
        };
        Ok(at)
    }

    fn add_session(
        &mut self,
        row: &[Value],
        prov: &Prov,
        window: Option<(i64, i64)>,
        cx: &Context,
    ) -> Result<(), EvalError> {
        let Some((start, end)) = window else {
            return Ok(());
        };
        let mut key = self.eval_keys(row, cx)?;
        for &(k, _) in &self.window_keys {
            if let Some(v) = key.0.get_mut(k) {
                *v = Value::Null;
            }
        }
        let mut group = self.new_group(key.0.clone());
        Self::accumulate(&self.aggs, &mut group, row, prov, cx)?;
        let mut merged = Session { start, end, group };
        let sessions = self.sessions.entry(key.clone()).or_default();
        let mut i = 0;
        let mut absorbed = Vec::new();
        while i < sessions.len() {
            if sessions[i].start < merged.end && merged.start < sessions[i].end {
                absorbed.push(sessions.swap_remove(i));
            } else {
                i += 1;
            }
        }
        for s in absorbed {
            merged.start = merged.start.min(s.start);
            merged.end = merged.end.max(s.end);
            for ((acc, spec), other) in merged
                .group
                .accs
                .iter_mut()
                .zip(&self.aggs)
                .zip(s.group.accs)
            {
                acc.merge(spec, other)?;
            }
            merged.group.prov.merge(s.group.prov);
        }
        self.session_timers
            .entry(merged.end)
            .or_default()
            .push(key.clone());
        self.sessions.entry(key).or_default().push(merged);
        Ok(())
    }

    /// Adds a stream tuple; a late one is refused with its reason.
    #[allow(clippy::type_complexity)]
    fn add_stream(
        &mut self,
        tuple: Tuple,
        window: Option<(i64, i64)>,
        watermark: i64,
        cx: &Context,
    ) -> Result<Option<(Ids<u32>, Reason)>, (Ids<u32>, EvalError)> {
        let Some((start, end)) = window else {
            return Ok(Some((tuple.prov.events, Reason::NoEventTime)));
        };
        if end <= watermark {
            return Ok(Some((
                tuple.prov.events,
                Reason::Late {
                    window_end: end,
                    watermark,
                },
            )));
        }
        if self.session {
            let events = tuple.prov.events.clone();
            return self
                .add_session(&tuple.row, &tuple.prov, Some((start, end)), cx)
                .map(|()| None)
                .map_err(|e| (events, e));
        }
        let key = self
            .eval_keys(&tuple.row, cx)
            .map_err(|e| (tuple.prov.events.clone(), e))?;
        let groups = &mut self
            .windows
            .entry(end)
            .or_insert_with(|| (start, FxHashMap::default()))
            .1;
        if !groups.contains_key(&key) {
            let g = Group {
                keys: key.0.clone(),
                accs: self.aggs.iter().map(AggSpec::start).collect(),
                prov: ProvSet::default(),
            };
            groups.insert(key.clone(), g);
        }
        let Some(g) = groups.get_mut(&key) else {
            return Ok(None);
        };
        for (acc, spec) in g.accs.iter_mut().zip(&self.aggs) {
            acc.add(spec, &tuple.row, cx)
                .map_err(|e| (tuple.prov.events.clone(), e))?;
        }
        g.prov.add(&tuple.prov);
        Ok(None)
    }

    fn finish_group(&self, g: Group) -> Result<(Row, Prov), EvalError> {
        let mut row = Vec::with_capacity(g.keys.len() + g.accs.len());
        row.extend(g.keys);
        for (acc, spec) in g.accs.iter().zip(&self.aggs) {
            row.push(acc.finish(spec)?);
        }
        Ok((row, g.prov.finish()))
    }

    /// The sessions the watermark closed: their rows, provenance and (start, end).
    #[allow(clippy::type_complexity)]
    fn fire_sessions(&mut self, watermark: i64) -> Result<Vec<(Row, Prov, (i64, i64))>, EvalError> {
        let mut out = Vec::new();
        while let Some(entry) = self.session_timers.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let keys = entry.remove();
            for key in keys {
                let Some(sessions) = self.sessions.get_mut(&key) else {
                    continue;
                };
                let (due, open): (Vec<Session>, Vec<Session>) = std::mem::take(sessions)
                    .into_iter()
                    .partition(|s| s.end <= watermark);
                *sessions = open;
                if sessions.is_empty() {
                    self.sessions.remove(&key);
                }
                for s in due {
                    let mut g = s.group;
                    for &(k, is_end) in &self.window_keys {
                        if let Some(v) = g.keys.get_mut(k) {
                            *v = Value::Timestamp(if is_end { s.end } else { s.start });
                        }
                    }
                    let (row, prov) = self.finish_group(g)?;
                    out.push((row, prov, (s.start, s.end)));
                }
            }
        }
        out.sort_by(|a, b| compare_rows(&a.0, &b.0));
        Ok(out)
    }
}

impl JoinOp {
    /// Stream tuples buffered by a stream-stream join.
    fn held(&self) -> usize {
        self.buffers
            .iter()
            .flat_map(|b| b.values())
            .map(Vec::len)
            .sum()
    }

    /// Joins a stream tuple arriving on input `pos`; returns a drop when nothing matched.
    #[allow(clippy::type_complexity)]
    fn probe(
        &mut self,
        pos: usize,
        tuple: Tuple,
        cx: &Context,
        outs: &mut Outs,
    ) -> Result<Option<(Ids<u32>, Reason)>, (Ids<u32>, EvalError)> {
        let keys = if pos == 0 {
            &self.left_keys
        } else {
            &self.right_keys
        };
        // A key of one plain column (the usual case) is read in place.
        let column = match keys.as_slice() {
            [CExpr::Column(c)] => Some(*c),
            _ => None,
        };
        let mut key = crate::value::KeyValues::new();
        if column.is_none() {
            for k in keys {
                key.push(eval(k, &tuple.row, cx).map_err(|e| (tuple.prov.events.clone(), e))?);
            }
        }
        if let Some(side) = &self.bounded {
            let read = if column.is_some() {
                key_column(&tuple.row, column)
            } else {
                &key
            };
            let candidates = if read.iter().any(Value::is_null) {
                0..0
            } else {
                side.index.probe(read)
            };
            let found = !candidates.is_empty();
            let mut matched = false;
            let mut own = Some(tuple.row);
            let single = candidates.len() == 1 && self.residual.is_none();
            for p in candidates {
                let other = side.index.at(p);
                let mine: &[Value] = own.as_deref().unwrap_or_default();
                let row = match (pos, single) {
                    // One match: extend the stream row itself rather than copy it.
                    (0, true) => {
                        let mut row = own.take().unwrap_or_default();
                        row.extend_from_slice(other);
                        row
                    }
                    (0, false) => concat(mine, other),
                    _ => concat(other, mine),
                };
                if let Some(residual) = &self.residual {
                    match eval(residual, &row, cx) {
                        Ok(Value::Bool(true)) => {}
                        Ok(_) => continue,
                        Err(e) => return Err((tuple.prov.events.clone(), e)),
                    }
                }
                matched = true;
                let bounded_ref = Prov::row(RowRef {
                    node: side.node as u32,
                    row: p,
                });
                outs.push(Tuple {
                    row,
                    prov: tuple.prov.join(&bounded_ref),
                    time: tuple.time,
                    window: tuple.window,
                });
            }
            if matched {
                return Ok(None);
            }
            let outer = matches!((self.kind, pos), (JoinKind::Left, 0) | (JoinKind::Right, 1));
            if outer {
                let nulls = vec![
                    Value::Null;
                    if pos == 0 {
                        self.right_width
                    } else {
                        self.left_width
                    }
                ];
                let mine = own.unwrap_or_default();
                let row = if pos == 0 {
                    concat(&mine, &nulls)
                } else {
                    concat(&nulls, &mine)
                };
                outs.push(Tuple {
                    row,
                    prov: tuple.prov,
                    time: tuple.time,
                    window: tuple.window,
                });
                return Ok(None);
            }
            let values = match (&own, column) {
                (Some(row), Some(c)) => Ids::One(row.get(c).cloned().unwrap_or(Value::Null)),
                _ => key_values(key),
            };
            let reason = if found {
                Reason::ResidualFailed(values)
            } else {
                Reason::NoMatch(values)
            };
            return Ok(Some((tuple.prov.events, reason)));
        }
        // Stream-stream, windowed: match within the same window.
        if column.is_some() {
            key = key_column(&tuple.row, column).iter().cloned().collect();
        }
        let null_key = key.iter().any(Value::is_null);
        let Some((start, end)) = tuple.window else {
            return Ok(Some((tuple.prov.events, Reason::NoEventTime)));
        };
        if null_key {
            return Ok(Some((tuple.prov.events, Reason::NoMatch(key_values(key)))));
        }
        let slot = (start, Key(key));
        let mut matched = false;
        if let Some(others) = self.buffers[1 - pos].get_mut(&slot) {
            for b in others.iter_mut() {
                let row = if pos == 0 {
                    concat(&tuple.row, &b.tuple.row)
                } else {
                    concat(&b.tuple.row, &tuple.row)
                };
                if let Some(residual) = &self.residual {
                    match eval(residual, &row, cx) {
                        Ok(Value::Bool(true)) => {}
                        Ok(_) => continue,
                        Err(e) => return Err((tuple.prov.events.clone(), e)),
                    }
                }
                b.matched = true;
                matched = true;
                outs.push(Tuple {
                    row,
                    prov: tuple.prov.join(&b.tuple.prov),
                    time: tuple.time.max(b.tuple.time),
                    window: tuple.window,
                });
            }
        }
        let buffer = self.buffers[pos].entry(slot.clone()).or_default();
        if buffer.is_empty() {
            self.timers.entry(end).or_default().push((pos, slot));
        }
        buffer.push(Buffered { tuple, matched });
        Ok(None)
    }
}

/// The key of one plain column `column` of `row`, as a one-value slice.
fn key_column(row: &[Value], column: Option<usize>) -> &[Value] {
    match column {
        Some(c) => std::slice::from_ref(row.get(c).unwrap_or(&Value::Null)),
        None => &[],
    }
}

/// A key's values for a drop reason (one value without allocating).
fn key_values(mut key: crate::value::KeyValues) -> Ids<Value> {
    match key.len() {
        0 => Ids::None,
        1 => Ids::One(key.remove(0)),
        _ => Ids::Many(key.into_vec().into()),
    }
}

fn concat(a: &[Value], b: &[Value]) -> Row {
    let mut row = Vec::with_capacity(a.len() + b.len());
    row.extend_from_slice(a);
    row.extend_from_slice(b);
    row
}

/// What a bounded join may make, and whom it asks whether to stop.
struct Budget<'a> {
    rows: usize,
    cancel: Option<&'a dyn Fn() -> bool>,
}

/// Why a bounded join stopped.
enum BatchStop {
    Eval(EvalError),
    TooLarge,
    Cancelled,
}

impl From<EvalError> for BatchStop {
    fn from(e: EvalError) -> Self {
        Self::Eval(e)
    }
}

/// `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A join of two bounded inputs: hash join on the keys, then the residual; every kind.
fn batch_join(
    kind: JoinKind,
    keys: &[(sluice_sql::plan::Expr, sluice_sql::plan::Expr)],
    residual: Option<&sluice_sql::plan::Expr>,
    (left, left_width): (Batch, usize),
    (right, right_width): (Batch, usize),
    budget: &Budget<'_>,
) -> Result<Batch, BatchStop> {
    let cx = Context::default();
    let lk: Vec<CExpr> = keys
        .iter()
        .map(|(l, _)| compile(l))
        .collect::<Result<_, _>>()?;
    let rk: Vec<CExpr> = keys
        .iter()
        .map(|(_, r)| compile(r))
        .collect::<Result<_, _>>()?;
    let residual = residual.map(compile).transpose()?;
    let key_of = |ks: &[CExpr], row: &[Value]| -> Result<Option<Key>, EvalError> {
        let mut k = Vec::with_capacity(ks.len());
        for e in ks {
            let v = eval(e, row, &cx)?;
            if v.is_null() {
                return Ok(None);
            }
            k.push(v);
        }
        Ok(Some(Key::new(k)))
    };
    let mut index: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, row) in right.rows.iter().enumerate() {
        if let Some(k) = key_of(&rk, row)? {
            index.entry(k).or_default().push(i);
        }
    }
    let all: Vec<usize> = (0..right.rows.len()).collect();
    let mut right_matched = vec![false; right.rows.len()];
    let mut out = Batch::default();
    // Pairs looked at; the caller is asked whether to stop every 65,536 of them, so
    // a cancel reaches even a cross join that a residual filters to nothing.
    let mut looked = 0u32;
    for (l, lrow) in left.rows.iter().enumerate() {
        let candidates: &[usize] = if keys.is_empty() {
            &all
        } else {
            match key_of(&lk, lrow)? {
                Some(k) => index.get(&k).map_or(&[], Vec::as_slice),
                None => &[],
            }
        };
        let mut matched = false;
        for &r in candidates {
            looked = looked.wrapping_add(1);
            if looked.is_multiple_of(1 << 16) && budget.cancel.is_some_and(|c| c()) {
                return Err(BatchStop::Cancelled);
            }
            let row = concat(lrow, &right.rows[r]);
            if let Some(res) = &residual
                && truth(&eval(res, &row, &cx)?) != Some(true)
            {
                continue;
            }
            if out.rows.len() >= budget.rows {
                return Err(BatchStop::TooLarge);
            }
            matched = true;
            right_matched[r] = true;
            out.rows.push(row);
            out.prov.push(left.prov[l].join(&right.prov[r]));
        }
        if !matched && matches!(kind, JoinKind::Left | JoinKind::Full) {
            if out.rows.len() >= budget.rows {
                return Err(BatchStop::TooLarge);
            }
            out.rows.push(concat(lrow, &vec![Value::Null; right_width]));
            out.prov.push(left.prov[l].clone());
        }
    }
    if matches!(kind, JoinKind::Right | JoinKind::Full) {
        for (r, m) in right_matched.iter().enumerate() {
            if !m {
                out.rows
                    .push(concat(&vec![Value::Null; left_width], &right.rows[r]));
                out.prov.push(right.prov[r].clone());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: i64) -> Row {
        (0..n).map(Value::Int64).collect()
    }

    #[test]
    fn picks_in_order_are_moved_within_the_row() {
        let cx = Context::default();
        let picks = [(0, true), (2, true), (3, true), (5, true)];
        let out = project(&[], Some(&picks), true, row(7), &cx).expect("projects");
        assert_eq!(out, [0, 2, 3, 5].map(Value::Int64));
        // The same picks made the general way agree.
        let general = project(&[], Some(&picks), false, row(7), &cx).expect("projects");
        assert_eq!(general, out);
        // A row too short for the picks: missing columns are NULL, never a panic.
        let short = project(&[], Some(&picks), true, row(4), &cx).expect("projects");
        assert_eq!(
            short,
            [
                Value::Int64(0),
                Value::Int64(2),
                Value::Int64(3),
                Value::Null
            ]
        );
    }

    #[test]
    fn repeated_or_reordered_picks_copy() {
        let cx = Context::default();
        let picks = [(2, false), (0, true), (2, true)];
        let out = project(&[], Some(&picks), false, row(3), &cx).expect("projects");
        assert_eq!(out, [2, 0, 2].map(Value::Int64));
    }
}
