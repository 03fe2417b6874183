//! The incremental engine of Sluice: runs a `sluice-sql` logical plan over a
//! bounded side computed once and a stream of events pushed one at a time.
//!
//! It keeps per-operator statistics and lineage, so that every output can be
//! explained by the events and rows that produced it, and every input event
//! ends either emitted or dropped with a reason.
//!
//! Boundary: no I/O (inputs arrive as values, outputs leave as values, time is
//! event time carried by the data), builds for native and `wasm32-unknown-unknown`;
//! the browser's simulator and the server's local jobs run this same code.

pub mod agg;
pub mod eval;
pub mod exec;
pub mod index;
pub mod input;
pub mod lineage;
pub mod message;
pub mod re2;
pub mod report;
pub mod table;
pub mod value;

pub use exec::{Engine, EngineError, Options, Tables};
pub use table::Table;
pub use value::{Row, Str, Value};

/// A count as people read it: `1,234,567`.
pub fn thousands(n: usize) -> String {
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
