//! Installs what the build and the tests need, and only what is missing.
//!
//! Two routes lead to a wasm32 toolchain:
//! - **rustup** (a normal machine): `rustup target add wasm32-unknown-unknown`.
//! - **debian** (an offline Debian machine where rustup cannot download): Debian's
//!   `rustc-web cargo-web rust-web-src lld-22`, used for the wasm build only with
//!   `RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1` and `-Zbuild-std=std,panic_abort`,
//!   so native builds keep the default toolchain.
//!
//! `SLUICE_WASM_ROUTE=rustup|debian` forces a route.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{output, run, target_dir};

/// How long `rustup target add` may try before the Debian route is taken.
const RUSTUP_TIMEOUT: Duration = Duration::from_secs(90);

/// Debian packages of the offline wasm route.
const DEBIAN_WASM_PACKAGES: [&str; 4] = ["rustc-web", "cargo-web", "rust-web-src", "lld-22"];

/// Where a wasm32 standard library comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmRoute {
    /// rustup's prebuilt `wasm32-unknown-unknown` std.
    Rustup,
    /// Debian's rustc with std built from `rust-web-src`.
    Debian,
}

/// The installed tools and how to call them.
#[derive(Debug)]
pub struct Tools {
    route: WasmRoute,
    /// Extra directories to put first on PATH (npm's `.bin` for wasm-opt, cargo's bin).
    path_dirs: Vec<PathBuf>,
}

/// Chromium and chromedriver, which only the tests need.
#[derive(Debug)]
pub struct Browser {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// The chromedriver binary.
    pub chromedriver: PathBuf,
}

impl Tools {
    /// Installs whatever the build lacks and returns how to reach the tools.
    pub fn ensure(root: &Path) -> Result<Self> {
        let started = Instant::now();
        eprintln!("==> set-up (installs only what is missing)");
        let cargo_bin = cargo_home().join("bin");
        let npm_bin = root.join(".tools").join("node_modules").join(".bin");
        let route = ensure_wasm_target()?;
        ensure_wasm_bindgen(root, &cargo_bin)?;
        ensure_trunk(&cargo_bin)?;
        ensure_wasm_opt(root, &npm_bin)?;
        ensure_editor_bundle(root)?;
        eprintln!("==> set-up: ok ({:.1?})", started.elapsed());
        Ok(Self {
            route,
            path_dirs: vec![npm_bin, cargo_bin],
        })
    }

    /// PATH with the tool directories first.
    fn path(&self) -> Result<std::ffi::OsString> {
        let current = std::env::var_os("PATH").unwrap_or_default();
        let dirs = self
            .path_dirs
            .iter()
            .cloned()
            .chain(std::env::split_paths(&current));
        std::env::join_paths(dirs).context("building PATH")
    }

    /// Sets the environment a wasm32 build needs on this route.
    fn configure_wasm_build(&self, cmd: &mut Command) -> Result<()> {
        cmd.env("PATH", self.path()?);
        if self.route == WasmRoute::Debian {
            cmd.env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort");
        }
        Ok(())
    }

    /// A `cargo` command set up to build for wasm32 on this machine's route.
    pub fn wasm_cargo(&self) -> Command {
        let mut cmd = crate::cargo();
        // PATH can only fail to join with a ':' inside a directory name; then the
        // build runs with the inherited PATH and says what is missing.
        if let Err(e) = self.configure_wasm_build(&mut cmd) {
            eprintln!("warning: {e:#}");
        }
        cmd
    }

    /// On the Debian route std is built from source, and its dependencies come from
    /// crates.io; Trunk runs cargo `--offline`, so build the app once with cargo first
    /// (fetching them), which Trunk's build then reuses. Nothing to do on the rustup route.
    pub fn prepare_web_build(&self) -> Result<()> {
        if self.route != WasmRoute::Debian {
            return Ok(());
        }
        let mut cmd = self.wasm_cargo();
        cmd.args([
            "build",
            "--target",
            "wasm32-unknown-unknown",
            "--release",
            "--package",
            "sluice-web",
            "--bin",
            "sluice-web",
        ]);
        run(&mut cmd).context("building std and the app for wasm32 (Debian route)")
    }

    /// A `trunk` command that finds the installed wasm-bindgen and wasm-opt.
    pub fn trunk(&self) -> Command {
        let mut cmd = Command::new("trunk");
        if let Err(e) = self.configure_wasm_build(&mut cmd) {
            eprintln!("warning: {e:#}");
        }
        cmd.env("TRUNK_OFFLINE", "true");
        cmd
    }

    /// Points `cargo test --target wasm32-unknown-unknown` at wasm-bindgen's runner
    /// and a headless Chromium with a fresh profile.
    pub fn configure_wasm_test_runner(
        &self,
        browser: &Browser,
        cmd: &mut Command,
        root: &Path,
    ) -> Result<()> {
        let dir = target_dir(root).join("xtask");
        let profile = dir.join("chromium-profile");
        if profile.exists() {
            std::fs::remove_dir_all(&profile)
                .with_context(|| format!("removing {}", profile.display()))?;
        }
        std::fs::create_dir_all(&profile)
            .with_context(|| format!("creating {}", profile.display()))?;
        let capabilities = webdriver_capabilities(&browser.chromium, &profile);
        let json = dir.join("webdriver.json");
        std::fs::write(&json, capabilities)
            .with_context(|| format!("writing {}", json.display()))?;
        cmd.env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", &browser.chromedriver)
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &json)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
        Ok(())
    }
}

/// The WebDriver capabilities for wasm-bindgen-test-runner (it adds `--headless` itself).
fn webdriver_capabilities(chromium: &Path, profile: &Path) -> String {
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
                format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    format!("{capabilities:#}\n")
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

fn have(what: &str, how: &str) {
    eprintln!("    ok  {what} ({how})");
}

fn installing(what: &str) {
    eprintln!("    ... installing {what}");
}

fn ensure_wasm_target() -> Result<WasmRoute> {
    let forced = std::env::var("SLUICE_WASM_ROUTE").ok();
    match forced.as_deref() {
        Some("debian") => return ensure_debian_wasm(),
        Some("rustup") | None => {}
        Some(other) => bail!("SLUICE_WASM_ROUTE must be rustup or debian, not {other:?}"),
    }
    if rustup_has_wasm32() {
        have("wasm32-unknown-unknown", "rustup");
        return Ok(WasmRoute::Rustup);
    }
    if output(Command::new("rustup").arg("--version")).is_some() {
        installing("wasm32-unknown-unknown with rustup");
        let mut cmd = Command::new("rustup");
        cmd.args(["target", "add", "wasm32-unknown-unknown"]);
        if run_with_timeout(&mut cmd, RUSTUP_TIMEOUT) && rustup_has_wasm32() {
            have("wasm32-unknown-unknown", "rustup");
            return Ok(WasmRoute::Rustup);
        }
        if forced.is_some() {
            bail!("rustup could not add wasm32-unknown-unknown");
        }
        eprintln!("    rustup could not add the target; taking Debian's offline route");
    }
    ensure_debian_wasm()
}

/// Whether the active toolchain's sysroot has a wasm32 standard library.
fn rustup_has_wasm32() -> bool {
    let Some(sysroot) = output(Command::new("rustc").args(["--print", "sysroot"])) else {
        return false;
    };
    Path::new(&sysroot)
        .join("lib/rustlib/wasm32-unknown-unknown/lib")
        .is_dir()
}

fn ensure_debian_wasm() -> Result<WasmRoute> {
    let missing: Vec<&str> = DEBIAN_WASM_PACKAGES
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        have("wasm32 via Debian's rustc-web and build-std", "apt");
    } else {
        installing(&missing.join(" "));
        apt_install(&missing)?;
    }
    if !Path::new("/usr/bin/rustc").is_file() {
        bail!(
            "/usr/bin/rustc is missing after installing {}",
            DEBIAN_WASM_PACKAGES.join(" ")
        );
    }
    Ok(WasmRoute::Debian)
}

/// Installs GNU time (Debian's `time`), with which the `simulate_files` benchmark
/// measures each process's peak memory, if it is missing.
pub fn ensure_gnu_time() -> Result<()> {
    if Path::new("/usr/bin/time").is_file() {
        have("GNU time", "/usr/bin/time");
        return Ok(());
    }
    installing("time (Debian)");
    apt_install(&["time"])
}

fn dpkg_installed(package: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f", "${Status}", package]))
        .is_some_and(|s| s.ends_with("installed") && !s.contains("not-installed"))
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let root = output(Command::new("id").arg("-u")).as_deref() == Some("0");
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null());
        cmd
    };
    run(&mut apt(&["update", "-q"])).context("apt-get update (needs root or sudo)")?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run(&mut apt(&args)).with_context(|| format!("apt-get install {}", packages.join(" ")))
}

/// Runs `cmd` quietly; true if it exits successfully before `timeout`.
fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> bool {
    let Ok(mut child) = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn() else {
        return false;
    };
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

/// The version of `package` recorded in Cargo.lock.
fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').context("malformed Cargo.lock")? + start;
    Ok(lock[start..end].to_string())
}

fn ensure_wasm_bindgen(root: &Path, cargo_bin: &Path) -> Result<()> {
    let version = locked_version(root, "wasm-bindgen")?;
    let installed = output(Command::new(cargo_bin.join("wasm-bindgen")).arg("--version"));
    if installed.as_deref() == Some(&format!("wasm-bindgen {version}")) {
        have(&format!("wasm-bindgen {version}"), "cargo install");
        return Ok(());
    }
    // No TLS stack: the test runner talks to chromedriver on loopback only.
    let mut cmd = crate::cargo();
    cmd.args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--no-default-features",
        "--force",
    ]);
    run_with_progress(
        &mut cmd,
        &format!("wasm-bindgen-cli {version}"),
        &WASM_BINDGEN_INSTALL,
    )
}

/// What a long `cargo install` cost when measured on a 2-core machine with an empty
/// target directory: printed before it starts, and the base of its progress line.
#[derive(Debug)]
struct InstallCost {
    /// Wall-clock minutes it took.
    minutes: u32,
    /// Crates it compiled (`Compiling` lines).
    crates: usize,
}

/// `cargo install wasm-bindgen-cli --no-default-features` (0.2.130): 103 s and 150
/// crates; with its default features (rustls and ring) 125 s and 161 crates.
const WASM_BINDGEN_INSTALL: InstallCost = InstallCost {
    minutes: 2,
    crates: 150,
};

/// `cargo +nightly install trunk --locked` (0.22.1): 499 s and 483 crates, of which
/// the last (Trunk itself) took about four minutes on one core.
const TRUNK_INSTALL: InstallCost = InstallCost {
    minutes: 9,
    crates: 483,
};

/// How often a long install says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// Runs a long `cargo install`: says first how long it took when measured, then
/// every [`PROGRESS_EVERY`] how many crates it has compiled of about how many and
/// for how long; cargo's own lines are kept back and shown if it fails.
fn run_with_progress(cmd: &mut Command, what: &str, cost: &InstallCost) -> Result<()> {
    use std::io::BufRead as _;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    eprintln!(
        "    ... installing {what}: about {} minutes on 2 cores ({} crates to compile), once",
        cost.minutes, cost.crates
    );
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {shown}"))?;
    let compiled = Arc::new(AtomicUsize::new(0));
    let tail = Arc::new(Mutex::new(std::collections::VecDeque::<String>::new()));
    let reader = child.stderr.take().map(|stderr| {
        let (compiled, tail) = (compiled.clone(), tail.clone());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.trim_start().starts_with("Compiling ") {
                    compiled.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == 60 {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
        })
    });
    let started = Instant::now();
    let mut next = started + PROGRESS_EVERY;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for cargo install")? {
            break status;
        }
        if Instant::now() >= next {
            next += PROGRESS_EVERY;
            let elapsed = started.elapsed().as_secs();
            eprintln!(
                "    ... {what}: {} of ~{} crates compiled, {}:{:02} of ~{}:00",
                compiled.load(Ordering::Relaxed),
                cost.crates,
                elapsed / 60,
                elapsed % 60,
                cost.minutes
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    if let Some(reader) = reader {
        let _ = reader.join();
    }
    if !status.success() {
        if let Ok(tail) = tail.lock() {
            for line in tail.iter() {
                eprintln!("    | {line}");
            }
        }
        bail!("{shown} failed with {status}");
    }
    eprintln!(
        "    ok  {what} ({:.0?}, {} crates)",
        started.elapsed(),
        compiled.load(Ordering::Relaxed)
    );
    Ok(())
}

fn ensure_trunk(cargo_bin: &Path) -> Result<()> {
    if let Some(version) = output(Command::new(cargo_bin.join("trunk")).arg("--version"))
        .or_else(|| output(Command::new("trunk").arg("--version")))
    {
        have(&version, "installed");
        return Ok(());
    }
    // Its default features: Trunk 0.22.1 refuses to build without a TLS backend
    // (`compile_error!` in its main.rs), though an offline build never uses one.
    let args = ["install", "trunk", "--locked"];
    // Trunk 0.22 needs a newer rustc than some stable toolchains; use nightly where there is one.
    let nightly =
        output(Command::new("rustup").args(["run", "nightly", "rustc", "--version"])).is_some();
    if nightly {
        let mut cmd = Command::new("cargo");
        cmd.arg("+nightly").args(args);
        if run_with_progress(&mut cmd, "trunk", &TRUNK_INSTALL).is_ok() {
            return Ok(());
        }
        eprintln!(
            "    nightly could not build the newest trunk; trying 0.21 with the default toolchain"
        );
    }
    run_with_progress(crate::cargo().args(args), "trunk", &TRUNK_INSTALL).or_else(|_| {
        run_with_progress(
            crate::cargo().args(args).args(["--version", "0.21.14"]),
            "trunk 0.21.14",
            &TRUNK_INSTALL,
        )
    })
}

/// The binaryen release Trunk.toml pins (`wasm_opt = "version_N"`).
fn pinned_wasm_opt(root: &Path) -> Result<String> {
    let trunk_toml =
        std::fs::read_to_string(root.join("Trunk.toml")).context("reading Trunk.toml")?;
    trunk_toml
        .lines()
        .find_map(|l| l.trim().strip_prefix("wasm_opt = \"version_"))
        .and_then(|rest| rest.strip_suffix('"'))
        .map(str::to_string)
        .context("Trunk.toml must pin wasm_opt = \"version_N\" under [tools]")
}

fn ensure_wasm_opt(root: &Path, npm_bin: &Path) -> Result<()> {
    let version = pinned_wasm_opt(root)?;
    let installed = output(Command::new(npm_bin.join("wasm-opt")).arg("--version"));
    if installed
        .as_deref()
        .is_some_and(|v| v.starts_with(&format!("wasm-opt version {version}")))
    {
        have(&format!("wasm-opt {version}"), "npm binaryen");
        return Ok(());
    }
    installing(&format!("wasm-opt {version} (npm package binaryen)"));
    let prefix = root.join(".tools");
    std::fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    run(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("binaryen@{version}")))
    .context("npm install binaryen (is Node.js with npm installed?)")
}

/// The editor widget: CodeMirror 6 from npm (versions pinned by
/// `web/js/package-lock.json`), bundled by esbuild into `static/generated/editor.js`,
/// which the web crate imports through wasm-bindgen. Rebuilt when its sources change.
fn ensure_editor_bundle(root: &Path) -> Result<()> {
    let js = root.join("web").join("js");
    let lock = js.join("package-lock.json");
    let modules = js.join("node_modules");
    let stamp = modules.join(".package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&stamp).is_none() || modified(&stamp) < modified(&lock) {
        installing("CodeMirror and esbuild (npm ci in web/js)");
        run(Command::new("npm")
            .args([
                "ci",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&js))
        .context("npm ci in web/js (is Node.js with npm installed?)")?;
    }
    let source = js.join("editor.js");
    let bundle = root.join("static").join("generated").join("editor.js");
    if modified(&bundle).is_some_and(|b| Some(b) >= modified(&source) && Some(b) >= modified(&lock))
    {
        have("editor bundle", "static/generated/editor.js");
        return Ok(());
    }
    installing("editor bundle (esbuild web/js/editor.js)");
    run(Command::new(modules.join(".bin").join("esbuild"))
        .arg(&source)
        .args([
            "--bundle",
            "--format=esm",
            "--minify",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", bundle.display())))
    .context("bundling the editor with esbuild")
}

impl Browser {
    /// Installs Debian's Chromium and chromedriver if they are missing.
    pub fn ensure() -> Result<Self> {
        let (chromium, chromedriver) = ensure_chromium()?;
        Ok(Self {
            chromium,
            chromedriver,
        })
    }
}

fn ensure_chromium() -> Result<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    let driver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromedriver".into());
    if !(chromium.is_file() && driver.is_file()) {
        installing("chromium chromium-driver (Debian)");
        apt_install(&["chromium", "chromium-driver"])?;
    }
    let version =
        output(Command::new(&chromium).arg("--version")).unwrap_or_else(|| "chromium".into());
    have(&version, "with chromedriver");
    Ok((chromium, driver))
}
