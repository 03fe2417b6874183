//! The views: components that take props and emit callbacks (the app's state is
//! in [`crate::state`]; what they compute comes from the core crates).

pub mod catalog;
pub mod charts;
pub mod deploy;
pub mod editor;
pub mod graph;
pub mod local;
pub mod outputs;
pub mod simulator;
