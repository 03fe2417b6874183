//! The engine benchmark in the browser: `cargo xtask bench` runs this in release in
//! headless Chromium and prints the figures (it is not part of `cargo xtask test`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;
wasm_bindgen_test_configure!(run_in_browser);

#[path = "../benches/common/figures.rs"]
mod figures;

#[wasm_bindgen_test]
fn benchmark_the_reference_query_in_the_browser() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("a window with performance");
    console_log!("wasm (headless Chromium):");
    figures::run(&|| performance.now() / 1e3, &mut |line| {
        console_log!("  {line}")
    });
}
