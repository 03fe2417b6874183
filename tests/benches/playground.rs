//! The playground's speed figures, printed (never asserted): wasm size raw and
//! gzipped, bytes on the wire for a first and a repeat visit, time from navigation
//! to an interactive editor (also on a throttled network), keystroke-to-diagnostic
//! latency with where its time goes, and frames per second while simulating 10,000
//! events/s, all in headless Chromium against `sluice serve`. Run by `cargo xtask bench`, which builds the
//! app and the server first.

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fantoccini::{Client, Locator};
use sluice_e2e::{Browser, Server, set_value, wait_text};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The `q` quantile (0..=1) of `xs`, nearest rank.
fn percentile(mut xs: Vec<f64>, q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len().max(1));
    xs.get(rank - 1).copied().unwrap_or(f64::NAN)
}

fn wasm_size() -> Result<(u64, u64)> {
    let dist = std::env::var_os("SLUICE_DIST")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| sluice_e2e::workspace_root().join("dist"));
    for entry in std::fs::read_dir(&dist).with_context(|| format!("reading {}", dist.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let bytes = std::fs::read(&path)?;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&bytes)?;
            return Ok((bytes.len() as u64, gz.finish()?.len() as u64));
        }
    }
    bail!("no .wasm in {}", dist.display())
}

async fn editor_ready(client: &Client, url: &str) -> Result<f64> {
    client.goto("about:blank").await?;
    client.goto(url).await?;
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#query .cm-content"))
        .await?;
    let v = client
        .execute(
            "const m = performance.getEntriesByName('sluice:editor-ready'); return m.length ? m[0].startTime : null;",
            vec![],
        )
        .await?;
    v.as_f64()
        .context("the app did not mark sluice:editor-ready")
}

/// When the page first painted content (its shell), in milliseconds from navigation.
async fn first_contentful_paint(client: &Client) -> Result<f64> {
    let v = client
        .execute(
            "const p = performance.getEntriesByName('first-contentful-paint'); return p.length ? p[0].startTime : null;",
            vec![],
        )
        .await?;
    v.as_f64().context("no first-contentful-paint entry")
}

/// Bytes the page's load took from the network (headers and compressed bodies of the
/// document and every resource so far), as the browser measured them.
async fn bytes_on_the_wire(client: &Client) -> Result<u64> {
    let v = client
        .execute(
            "let t = 0; for (const e of performance.getEntriesByType('navigation')) t += e.transferSize; \
             for (const e of performance.getEntriesByType('resource')) t += e.transferSize; return t;",
            vec![],
        )
        .await?;
    v.as_u64().context("no transfer sizes")
}

/// Milliseconds from a key press in the editor until the problems list has changed
/// and the browser has painted it (the first task after the next animation frame,
/// which runs after that frame's paint).
async fn keystroke_latency(client: &Client, key: &str) -> Result<f64> {
    client
        .execute(
            r##"
            window.__latency = null;
            let t0 = null;
            document.addEventListener("keydown", () => { t0 = performance.now(); }, { capture: true, once: true });
            const pane = document.querySelector(".editor-pane");
            const before = document.querySelector("#problems").textContent;
            const obs = new MutationObserver(() => {
                const now = document.querySelector("#problems");
                if (t0 !== null && now && now.textContent !== before) {
                    obs.disconnect();
                    requestAnimationFrame(() => setTimeout(() => {
                        window.__latency = performance.now() - t0;
                    }, 0));
                }
            });
            obs.observe(pane, { subtree: true, childList: true, characterData: true });
            return true;
            "##,
            vec![],
        )
        .await?;
    client
        .find(Locator::Css("#query .cm-content"))
        .await?
        .send_keys(key)
        .await?;
    for _ in 0..100 {
        let v = client.execute("return window.__latency;", vec![]).await?;
        if let Some(ms) = v.as_f64() {
            return Ok(ms);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("the problems list did not change after a key press")
}

/// Frames per second over `seconds`, counted with requestAnimationFrame, and the
/// longest frame in milliseconds.
async fn frames(client: &Client, seconds: f64) -> Result<(f64, f64)> {
    let v = client
        .execute_async(
            r#"
            const [seconds, done] = arguments;
            let n = 0, last = performance.now(), worst = 0;
            const start = last;
            function tick(t) {
                n += 1; worst = Math.max(worst, t - last); last = t;
                if (t - start < seconds * 1000) requestAnimationFrame(tick);
                else done([n * 1000 / (t - start), worst]);
            }
            requestAnimationFrame(tick);
            "#,
            vec![seconds.into()],
        )
        .await?;
    Ok((
        v[0].as_f64().unwrap_or(f64::NAN),
        v[1].as_f64().unwrap_or(f64::NAN),
    ))
}

/// Mean and worst duration of the page's `name` measures, in milliseconds, and how many.
async fn measures(client: &Client, name: &str) -> Result<(f64, f64, usize)> {
    let v = client
        .execute(
            "const e = performance.getEntriesByName(arguments[0]).map((m) => m.duration); \
             return [e.reduce((a, b) => a + b, 0) / Math.max(1, e.length), Math.max(0, ...e), e.length];",
            vec![name.into()],
        )
        .await?;
    Ok((
        v[0].as_f64().unwrap_or(f64::NAN),
        v[1].as_f64().unwrap_or(f64::NAN),
        v[2].as_u64().unwrap_or(0) as usize,
    ))
}

async fn events_per_second(client: &Client) -> Result<String> {
    let summary = client.find(Locator::Css("#summary")).await?.text().await?;
    Ok(summary
        .split('\n')
        .find(|l| l.contains("events/s"))
        .unwrap_or_default()
        .to_string())
}

async fn figures(browser: &Browser, server: &Server) -> Result<()> {
    let client = &browser.client;
    let (raw, gz) = wasm_size()?;
    println!(
        "wasm size: {:.0} KiB raw, {:.0} KiB gzip",
        raw as f64 / 1024.0,
        gz as f64 / 1024.0
    );

    let mut ready = Vec::new();
    let mut wire = Vec::new();
    for _ in 0..5 {
        ready.push(editor_ready(client, &server.url).await?);
        wire.push(bytes_on_the_wire(client).await?);
    }
    // The browser's profile is fresh: the first load is a first visit; later ones
    // find the content-hashed files in its cache.
    println!(
        "bytes on the wire: first visit {:.0} KiB, repeat visit {:.0} KiB (Resource Timing transferSize; goal: first visit <= 1,000 KB)",
        wire.first().copied().unwrap_or(0) as f64 / 1024.0,
        wire.get(1).copied().unwrap_or(0) as f64 / 1024.0
    );
    println!(
        "navigation to interactive editor: median {:.0} ms (of {ready:.0?})",
        median(ready.clone())
    );

    // A first visit on a real network: DevTools' throttle at 9 Mbit/s with 40 ms
    // added to each request, the cache emptied before each load.
    let (mut shell, mut ready) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        sluice_e2e::throttle(client, Some((9.0, 40.0))).await?;
        ready.push(editor_ready(client, &server.url).await?);
        shell.push(first_contentful_paint(client).await?);
    }
    sluice_e2e::throttle(client, None).await?;
    println!(
        "first visit at 9 Mbit/s and 40 ms: shell painted at median {:.0} ms, interactive editor at median {:.0} ms (of {ready:.0?}; goal: < 2,000 ms)",
        median(shell),
        median(ready.clone())
    );

    // A comma at the end breaks the query, Backspace mends it: each a diagnostic change.
    sluice_e2e::editor_at_end(client).await?;
    client
        .execute("performance.clearMeasures(); return true;", vec![])
        .await?;
    let mut latencies = Vec::new();
    for _ in 0..20 {
        latencies.push(keystroke_latency(client, ",").await?);
        latencies.push(
            keystroke_latency(
                client,
                &char::from(fantoccini::key::Key::Backspace).to_string(),
            )
            .await?,
        );
    }
    println!(
        "keystroke to diagnostic painted: median {:.1} ms, p95 {:.1} ms, worst {:.1} ms ({} key presses; goal: median < 16 ms, p95 < 33 ms)",
        median(latencies.clone()),
        percentile(latencies.clone(), 0.95),
        latencies.iter().copied().fold(0.0, f64::max),
        latencies.len()
    );
    // Where a keystroke's time goes, as the page measured it.
    for (name, what) in [
        ("sluice:analyze", "analysis and deploy check"),
        ("sluice:app", "page render"),
        ("sluice:render", "simulation panel render"),
        ("sluice:lint", "editor's lint markers"),
        ("sluice:keep", "saving the scenario, after the paint"),
    ] {
        let (mean, worst, n) = measures(client, name).await?;
        println!("  {name} ({what}): mean {mean:.2} ms, worst {worst:.1} ms ({n} times)");
    }

    let (fps, worst) = frames(client, 3.0).await?;
    println!("idle page: {fps:.1} frames/s, longest frame {worst:.0} ms");

    // 10,000 events/s: 10 events a simulated second (50-150 ms apart) at 1000x.
    client
        .execute("performance.clearMeasures(); return true;", vec![])
        .await?;
    set_value(client, "#gap-min", "50").await?;
    set_value(client, "#gap-max", "150").await?;
    set_value(client, "#events", "10000000").await?;
    set_value(client, "#speed", "1000x").await?;
    client
        .find(Locator::Css("button#play"))
        .await?
        .click()
        .await?;
    wait_text(client, "#summary .state", Duration::from_secs(30), |t| {
        t.eq_ignore_ascii_case("playing")
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (fps, worst) = frames(client, 5.0).await?;
    let rate = events_per_second(client).await?;
    println!(
        "simulating at 1000x (target 10,000 events/s): {fps:.1} frames/s, longest frame {worst:.0} ms, {rate}"
    );
    for name in ["sluice:engine", "sluice:render"] {
        let (mean, worst, n) = measures(client, name).await?;
        println!("  {name}: mean {mean:.2} ms, worst {worst:.1} ms (last {n})");
    }
    client
        .execute(
            "window.__n = 0; new MutationObserver((m) => { window.__n += m.length; }).observe(document.querySelector('.results-pane'), {subtree: true, childList: true, characterData: true, attributes: true}); return true;",
            vec![],
        )
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let n = client.execute("return window.__n;", vec![]).await?;
    println!("  DOM mutations in the results in 1 s: {n}");
    set_value(client, "#speed", "max").await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (fps, worst) = frames(client, 5.0).await?;
    let rate = events_per_second(client).await?;
    println!(
        "simulating as fast as possible: {fps:.1} frames/s, longest frame {worst:.0} ms, {rate}"
    );
    client
        .find(Locator::Css("button#play"))
        .await?
        .click()
        .await?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let outcome = tokio::time::timeout(Duration::from_secs(300), figures(&browser, &server))
        .await
        .context("the playground benchmark did not finish in 300 s");
    let closed = browser.close().await;
    outcome??;
    closed
}
