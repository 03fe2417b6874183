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

mod aggregate;
mod batch;
mod compile;
mod join;
mod stream;

pub use aggregate::assign_windows;
use aggregate::{AggOp, Group, window_of};
use join::{BoundedSide, JoinOp, concat};

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

/// The tuples an operator makes of one input tuple.
type Outs = smallvec::SmallVec<[Tuple; 1]>;

/// A stream-stream join's buffer slot: (window start, key).
type Slot = (i64, Key);

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
