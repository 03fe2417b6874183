//! Seeded generators of the reference scenario's data: customers, batch orders
//! and the order stream (`shared/seed/generator.md` describes the originals).
//!
//! Boundary: pure functions of a seed and parameters, no I/O and no clock, so the
//! same seed gives the same data on native and in the browser (`wasm32`).
