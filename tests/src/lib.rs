//! Harness for Sluice's end-to-end tests: starts the `sluice` server and a
//! headless Chromium (through chromedriver) on loopback, with bounded waits,
//! and stops both when dropped.
//!
//! `cargo xtask test` builds the app and the server first and points the tests
//! at them with `SLUICE_BIN` and `SLUICE_DIST`; `CHROMEDRIVER` and `CHROMIUM`
//! override the Debian paths of the browser.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a server or browser may take to start before the test fails.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// Where tests put screenshots and other artifacts: `target/e2e-artifacts/`.
pub fn artifacts_dir() -> Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let dir = target.join("e2e-artifacts");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn env_path(name: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(name).map(PathBuf::from).unwrap_or(default)
}

/// GETs `url` over plain HTTP and returns the body as text (for API checks).
pub async fn http_get(url: &str) -> Result<String> {
    use http_body_util::{BodyExt, Empty};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<bytes::Bytes>>();
    let uri = url.parse().with_context(|| format!("parsing {url}"))?;
    let response = tokio::time::timeout(START_TIMEOUT, client.get(uri))
        .await
        .with_context(|| format!("GET {url} timed out"))?
        .with_context(|| format!("GET {url}"))?;
    let body = response
        .into_body()
        .collect()
        .await
        .with_context(|| format!("reading {url}"))?;
    Ok(String::from_utf8_lossy(&body.to_bytes()).into_owned())
}

/// POSTs `body` as JSON to `url` over plain HTTP (with a bearer token when
/// given); the status and the body as text.
pub async fn http_post_json(
    url: &str,
    body: &serde_json::Value,
    bearer: Option<&str>,
) -> Result<(u16, String)> {
    use http_body_util::{BodyExt, Full};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let mut request = http::Request::post(url).header("content-type", "application/json");
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Full::new(bytes::Bytes::from(body.to_string())))?;
    let response = tokio::time::timeout(START_TIMEOUT, client.request(request))
        .await
        .with_context(|| format!("POST {url} timed out"))?
        .with_context(|| format!("POST {url}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .with_context(|| format!("reading {url}"))?;
    Ok((
        status,
        String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    ))
}

/// A running `sluice serve` on a free loopback port.
pub struct Server {
    child: Child,
    /// The server's base URL, e.g. `http://127.0.0.1:41234/`.
    pub url: String,
    /// The per-run API token from the URL it printed (`?token=…`).
    pub token: String,
}

impl Server {
    /// Starts `$SLUICE_BIN serve --port 0 --dist $SLUICE_DIST` and waits for its URL.
    pub async fn start() -> Result<Self> {
        Self::start_with(&[]).await
    }

    /// [`Server::start`] with extra environment variables (e.g. a fake Google Cloud).
    pub async fn start_with(env: &[(&str, String)]) -> Result<Self> {
        let bin = env_path("SLUICE_BIN", workspace_root().join("target/debug/sluice"));
        let dist = env_path("SLUICE_DIST", workspace_root().join("dist"));
        if !bin.is_file() {
            bail!(
                "no sluice binary at {} (run the tests through `cargo xtask test`, or set SLUICE_BIN)",
                bin.display()
            );
        }
        let mut child = Command::new(&bin)
            .args(["serve", "--host", "127.0.0.1", "--port", "0", "--dist"])
            .arg(&dist)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("Sluice is serving ") {
                    return Ok(url.trim().to_string());
                }
            }
            bail!("the server exited before printing its URL")
        })
        .await
        .context("the server did not print its URL in time")??;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (url, token) = url
            .split_once("?token=")
            .map(|(u, t)| (u.to_string(), t.to_string()))
            .context("the printed URL has no ?token=")?;
        Ok(Self { child, url, token })
    }

    /// `path` (without a leading slash) resolved against the server's URL.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path.trim_start_matches('/'))
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// A chromedriver process and a headless Chromium session driven through it.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_loopback_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium
    /// with a fresh profile and the flags this machine needs (root, no network).
    pub async fn start() -> Result<Self> {
        let driver_bin = env_path("CHROMEDRIVER", PathBuf::from("/usr/bin/chromedriver"));
        let chromium = env_path("CHROMIUM", PathBuf::from("/usr/bin/chromium"));
        let port = free_loopback_port()?;
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", driver_bin.display()))?;
        let profile = tempfile::tempdir().context("creating a browser profile dir")?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1440,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&webdriver)
                    .await;
            match attempt {
                Ok(client) => break client,
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    bail!(
                        "could not open a Chromium session through {}: {e}",
                        driver_bin.display()
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Saves a PNG screenshot of the page as `target/e2e-artifacts/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = artifacts_dir()?.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Ends the browser session and stops chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let closed = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        closed.context("closing the browser session")
    }
}

/// Sets the value of the form control at `css` and fires `input` and `change`, as
/// typing and leaving the field would.
pub async fn set_value(client: &Client, css: &str, value: &str) -> Result<()> {
    let script = r#"
        const [css, value] = arguments;
        const e = document.querySelector(css);
        if (!e) return false;
        e.value = value;
        e.dispatchEvent(new Event("input", { bubbles: true }));
        e.dispatchEvent(new Event("change", { bubbles: true }));
        return true;
    "#;
    let found = client
        .execute(script, vec![css.into(), value.into()])
        .await
        .with_context(|| format!("setting {css} to {value}"))?;
    if found != serde_json::Value::Bool(true) {
        bail!("no element {css} to set");
    }
    Ok(())
}

/// Runs the `sluice` binary the tests use with `args`; fails with its stderr unless it succeeds.
pub fn sluice(args: &[&str]) -> Result<String> {
    let bin = env_path("SLUICE_BIN", workspace_root().join("target/debug/sluice"));
    let out = std::process::Command::new(&bin)
        .args(args)
        .output()
        .with_context(|| format!("running {} {args:?}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "sluice {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The text of the element at `css` once it satisfies `done`, waiting up to `timeout`.
pub async fn wait_text(
    client: &Client,
    css: &str,
    timeout: Duration,
    done: impl Fn(&str) -> bool,
) -> Result<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = String::new();
    loop {
        if let Ok(e) = client.find(fantoccini::Locator::Css(css)).await {
            last = e.text().await.unwrap_or_default();
            if done(&last) {
                return Ok(last);
            }
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("{css} did not get there in {timeout:?}; last text: {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A key chord: `modifier` held with `key` (e.g. Control and End), as `send_keys` takes it.
pub fn chord(modifier: fantoccini::key::Key, key: fantoccini::key::Key) -> String {
    format!(
        "{}{}{}",
        char::from(modifier),
        char::from(key),
        char::from(fantoccini::key::Key::Null)
    )
}

/// Clicks into the query editor and puts the cursor at the end of the text.
pub async fn editor_at_end(client: &Client) -> Result<fantoccini::elements::Element> {
    let editor = client
        .find(fantoccini::Locator::Css("#query .cm-content"))
        .await
        .context("the editor")?;
    editor.click().await?;
    editor
        .send_keys(&chord(
            fantoccini::key::Key::Control,
            fantoccini::key::Key::End,
        ))
        .await?;
    Ok(editor)
}

/// The element at `css`, waiting up to 20 s for it to appear.
pub async fn wait_for(client: &Client, css: &str) -> Result<fantoccini::elements::Element> {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .with_context(|| format!("{css} did not appear in 20 s"))
}

/// A Chrome DevTools Protocol command sent through chromedriver's
/// `POST /session/{id}/goog/cdp/execute` (chromedriver's own extension command).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs the DevTools command `cmd` (e.g. `Network.emulateNetworkConditions`) on the
/// page's target and returns its result.
pub async fn cdp(
    client: &Client,
    cmd: &'static str,
    params: serde_json::Value,
) -> Result<serde_json::Value> {
    client
        .issue_cmd(Cdp { cmd, params })
        .await
        .with_context(|| format!("DevTools command {cmd}"))
}

/// Throttles the page's network as Chromium's DevTools do: `Some((megabits per
/// second each way, milliseconds added to every request))`, and empties the
/// browser's cache so the next navigation is a first visit on that network; `None`
/// lifts the throttle.
pub async fn throttle(client: &Client, network: Option<(f64, f64)>) -> Result<()> {
    cdp(client, "Network.enable", serde_json::json!({})).await?;
    let (latency, throughput) = match network {
        Some((mbit_per_s, latency_ms)) => (latency_ms, mbit_per_s * 1e6 / 8.0),
        None => (0.0, -1.0),
    };
    cdp(
        client,
        "Network.emulateNetworkConditions",
        serde_json::json!({
            "offline": false,
            "latency": latency,
            "downloadThroughput": throughput,
            "uploadThroughput": throughput,
        }),
    )
    .await?;
    if network.is_some() {
        cdp(client, "Network.clearBrowserCache", serde_json::json!({})).await?;
    }
    Ok(())
}

/// One accessibility rule the page breaks, as axe-core reports it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Violation {
    /// The rule (e.g. `color-contrast`).
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for.
    pub help: String,
    /// The offending elements' CSS selectors (the first few).
    pub targets: Vec<String>,
}

/// Runs axe-core (npm, pinned in `web/js/package-lock.json`, installed by `cargo
/// xtask`) on the page as it is now, with its default rules (WCAG 2.x A and AA and
/// best practices), and returns the serious and critical violations.
pub async fn axe(client: &Client) -> Result<Vec<Violation>> {
    let path = workspace_root().join("web/js/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} (cargo xtask installs it with npm ci in web/js)",
            path.display()
        )
    })?;
    // WebDriver runs the script as a function body: axe-core defines window.axe.
    client
        .execute(
            &format!("if (!window.axe) {{ {source} }} return true;"),
            vec![],
        )
        .await
        .context("loading axe-core into the page")?;
    let found = client
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            axe.run(document).then((r) => done(r.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
                }))),
                (e) => done({ error: String(e) }));
            "#,
            vec![],
        )
        .await
        .context("running axe-core")?;
    if let Some(error) = found.get("error") {
        bail!("axe-core failed: {error}");
    }
    serde_json::from_value(found).context("reading axe-core's violations")
}

/// Runs `f` with a fresh browser against `server`, within 150 s; a screenshot
/// `failure-{name}` when it fails; the server must still run afterwards.
pub async fn with_browser<F>(server: &mut Server, name: &str, f: F) -> Result<()>
where
    F: AsyncFnOnce(&Browser, &Server) -> Result<()>,
{
    let browser = Browser::start().await?;
    let outcome = tokio::time::timeout(Duration::from_secs(150), f(&browser, server))
        .await
        .context("the test did not finish in 150 s");
    if outcome.as_ref().is_ok_and(|o| o.is_err()) || outcome.is_err() {
        let _ = browser.screenshot(&format!("failure-{name}")).await;
    }
    let closed = browser.close().await;
    assert!(server.is_running(), "the server died during the test");
    outcome??;
    closed
}

/// Two customers of the generator's default tables: one who spent at least
/// $5,000 on closed orders (the reference query keeps their orders) and one who
/// did not.
pub fn customers_over_and_under_5000() -> Result<(i64, i64)> {
    let mut closed = std::collections::BTreeMap::<i64, f64>::new();
    for o in sluice_datagen::orders(&sluice_datagen::BatchParams::default()) {
        if o.order_status == "Closed" {
            *closed.entry(o.customer_id).or_default() += o.amount;
        }
    }
    let pick = |over: bool| {
        closed
            .iter()
            .find(|(_, total)| (**total >= 5000.0) == over)
            .map(|(c, _)| *c)
    };
    Ok((
        pick(true).context("a customer over $5,000")?,
        pick(false).context("a customer under $5,000")?,
    ))
}

/// An open order of each of `customers` for `amount`, as Pub/Sub publish
/// messages (`{"data": base64}`) in the seed's shape.
pub fn order_messages(customers: &[i64], amount: f64) -> Vec<serde_json::Value> {
    use base64::Engine as _;
    customers
        .iter()
        .map(|c| {
            let m = format!(
                r#"{{"customer_id": {c}, "amount": {amount}, "order_status": "Open", "order_datetime": "2026-11-24 10:15:02"}}"#
            );
            serde_json::json!({"data": base64::engine::general_purpose::STANDARD.encode(m)})
        })
        .collect()
}

/// Opens the catalog entry whose SQL name contains `name`.
pub async fn open_source(client: &Client, name: &str) -> Result<()> {
    let xpath = format!("//li[contains(@class,'source')][.//code[contains(., '{name}')]]//summary");
    client
        .find(fantoccini::Locator::XPath(&xpath))
        .await
        .with_context(|| format!("the catalog's {name}"))?
        .click()
        .await?;
    Ok(())
}

/// Plays the simulation to its end: the summary's text and the destination's
/// row count.
pub async fn play_to_end(client: &Client) -> Result<(String, String)> {
    wait_for(client, "#play").await?.click().await?;
    let summary = wait_text(client, "#summary", Duration::from_secs(20), |t| {
        t.to_lowercase().contains("ended")
    })
    .await?;
    let rows = client
        .find(fantoccini::Locator::Css("#row-count"))
        .await?
        .text()
        .await?;
    Ok((summary, rows))
}

/// Clicks the element at `css`, waiting up to 20 s for it to appear.
pub async fn click(client: &Client, css: &str) -> Result<()> {
    wait_for(client, css).await?.click().await?;
    Ok(())
}
