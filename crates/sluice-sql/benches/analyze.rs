//! Prints parse+analyze times: the reference query, and generated queries of growing
//! size up to 1 MB (the time per byte should stay flat). `cargo bench -p sluice-sql`;
//! `cargo xtask bench` adds the same figures for wasm in headless Chromium.

#[path = "common/figures.rs"]
mod figures;

fn main() {
    let epoch = std::time::Instant::now();
    println!("native:");
    figures::run(&|| epoch.elapsed().as_secs_f64(), &mut |line| {
        println!("  {line}")
    });
}
