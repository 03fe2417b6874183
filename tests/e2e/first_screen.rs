//! The first screen: the server serves the built app and Chromium renders it.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use sluice_e2e::{Browser, Server};

async fn first_screen(server: &Server, browser: &Browser) -> Result<()> {
    let client = &browser.client;

    let health = sluice_e2e::http_get(&server.at("api/health")).await?;
    assert!(
        health.contains("\"status\":\"ok\""),
        "health answered {health}"
    );

    shell_first_on_a_slow_network(client, server).await?;

    client.goto(&server.url).await.context("opening the app")?;
    let heading = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("h1.brand"))
        .await
        .context("the app did not render its heading (blank page or a build error?)")?;
    assert_eq!(heading.text().await?, "Sluice");

    let editor = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#query .cm-content"))
        .await
        .context("the CodeMirror editor did not mount")?;
    let lines: Vec<String> = {
        let mut out = Vec::new();
        for line in client.find_all(Locator::Css("#query .cm-line")).await? {
            out.push(line.text().await?);
        }
        out
    };
    assert_eq!(lines.first().map(String::as_str), Some("WITH"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("pubsub.topic.`demobox-313313`.orders")),
        "editor lines: {lines:?}"
    );
    assert_eq!(
        editor.attr("contenteditable").await?.as_deref(),
        Some("true")
    );

    let problems = client.find(Locator::Css("#problems")).await?;
    assert_eq!(problems.text().await?, "No problems");

    served_compressed_cached_and_secured(client, server).await?;
    let violations = sluice_e2e::axe(client).await?;
    ensure!(
        violations.is_empty(),
        "axe-core on the first screen: {violations:#?}"
    );
    keyboard(client).await?;

    // Autocomplete: after `o.` come the topic's columns.
    let editor = sluice_e2e::editor_at_end(client).await?;
    editor.send_keys("\n  AND o.").await?;
    let options = sluice_e2e::wait_text(
        client,
        ".cm-tooltip-autocomplete",
        Duration::from_secs(10),
        |t| t.contains("customer_id"),
    )
    .await?;
    assert!(
        options.contains("order_status") && options.contains("event_timestamp"),
        "completions: {options}"
    );
    editor
        .send_keys(&format!("{}", char::from(fantoccini::key::Key::Escape)))
        .await?;
    // Typing filters the choices; Enter takes one.
    editor.send_keys("am").await?;
    let options = sluice_e2e::wait_text(
        client,
        ".cm-tooltip-autocomplete",
        Duration::from_secs(10),
        |t| t.contains("amount"),
    )
    .await?;
    assert!(
        !options.contains("order_status"),
        "completions after 'am': {options}"
    );
    // CodeMirror ignores Enter on a completion list opened or updated less than
    // `interactionDelay` (75 ms) ago and inserts a line break instead
    // (@codemirror/autocomplete `acceptCompletion`); a person never types that fast
    // after reading the list, a loaded test machine can.
    tokio::time::sleep(Duration::from_millis(300)).await;
    editor
        .send_keys(&format!("{}", char::from(fantoccini::key::Key::Enter)))
        .await?;
    editor.send_keys(" > 600").await?;
    sluice_e2e::wait_text(client, "#problems", Duration::from_secs(10), |t| {
        t == "No problems"
    })
    .await?;
    let text = editor.text().await?;
    assert!(text.contains("AND o.amount > 600"), "editor: {text}");

    // Format lays the query out again; the analysis stays clean.
    client
        .find(Locator::Css("button#format"))
        .await?
        .click()
        .await?;
    let formatted =
        sluice_e2e::wait_text(client, "#query .cm-content", Duration::from_secs(10), |t| {
            t.contains("AND\n") || t.contains("AND o.amount")
        })
        .await?;
    assert!(
        formatted.contains("o.order_status != 'Cancelled'"),
        "formatted: {formatted}"
    );
    assert_eq!(
        client.find(Locator::Css("#problems")).await?.text().await?,
        "No problems"
    );

    // Ctrl+Enter in the editor starts the simulation.
    let editor = client.find(Locator::Css("#query .cm-content")).await?;
    editor
        .send_keys(&sluice_e2e::chord(
            fantoccini::key::Key::Control,
            fantoccini::key::Key::Enter,
        ))
        .await?;
    sluice_e2e::wait_text(client, "#summary", Duration::from_secs(10), |t| {
        !t.contains(" 0 events") && !t.starts_with("PAUSED")
    })
    .await
    .context("Ctrl+Enter did not start the simulation")?;
    client
        .find(Locator::Css("button#play"))
        .await?
        .click()
        .await?;

    let path = browser.screenshot("first-screen").await?;
    eprintln!("screenshot: {}", path.display());

    // The page works under the server's Content-Security-Policy (it just ran a
    // simulation), and the policy is in force: an inline script that is not one of
    // the page's own (by hash) does not run.
    let injected = client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.injected = true;'; document.head.appendChild(s); return window.injected === true;",
            vec![],
        )
        .await?;
    ensure!(
        injected.as_bool() == Some(false),
        "an injected inline script ran: the page's CSP is not in force"
    );

    // A broken query shows its problem at the exact position, underlined in the
    // editor, and disables the run.
    let problem = type_query(
        client,
        "SELECT nope FROM pubsub.topic.`demobox-313313`.orders",
        "#problems li.problem.error",
    )
    .await
    .context("no problem was listed for a broken query")?;
    let text = problem.text().await?;
    assert!(
        text.contains("1:8") && text.contains("unknown column \"nope\""),
        "problem: {text}"
    );
    // The simulation follows the query a frame after its diagnostic.
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("button#play:disabled"))
        .await
        .context("Play stayed on for a broken query")?;
    let underline = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#query .cm-lintRange-error"))
        .await
        .context("the error is not underlined in the editor")?;
    assert_eq!(underline.text().await?, "nope");

    // Clicking the problem puts the cursor at its column (1:8, before "nope").
    client
        .find(Locator::Css("#query .cm-line"))
        .await?
        .click()
        .await?;
    problem.click().await?;
    let column = client
        .execute(
            r##"
            const s = getSelection();
            const line = document.querySelector("#query .cm-line");
            const r = document.createRange();
            r.setStart(line, 0);
            r.setEnd(s.anchorNode, s.anchorOffset);
            return [r.toString().length, document.activeElement.classList.contains("cm-content")];
            "##,
            vec![],
        )
        .await?;
    assert_eq!(
        column,
        serde_json::json!([7, true]),
        "cursor after clicking the problem"
    );
    let path = browser.screenshot("broken-query").await?;
    eprintln!("screenshot: {}", path.display());

    // A query the simulator runs but Dataflow cannot says so as it is typed: a
    // warning at the construct, and Play stays on.
    let warning = type_query(
        client,
        "SELECT customer_id FROM pubsub.topic.`demobox-313313`.orders\nUNION ALL\nSELECT customer_id FROM pubsub.topic.`demobox-313313`.orders",
        "#problems li.problem.warning",
    )
    .await
    .context("no warning for a query Dataflow cannot run")?;
    let text = warning.text().await?;
    assert!(
        text.contains("2:1")
            && text.contains("Dataflow cannot run this query")
            && text.contains("UNION ALL"),
        "warning: {text}"
    );
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("button#play:enabled"))
        .await
        .context("the simulation is refused too")?;
    let path = browser.screenshot("not-deployable-query").await?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

/// On a slow network (2 Mbit/s, 40 ms: the app's ~1 MB takes seconds), the page
/// paints its shell long before the app is up, and the app replaces it.
async fn shell_first_on_a_slow_network(client: &fantoccini::Client, server: &Server) -> Result<()> {
    sluice_e2e::throttle(client, Some((2.0, 40.0))).await?;
    client.goto(&server.url).await.context("opening the app")?;
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#query .cm-content"))
        .await
        .context("the editor did not mount on a slow network")?;
    let times = client
        .execute(
            "const p = performance.getEntriesByName('first-contentful-paint'); \
             const e = performance.getEntriesByName('sluice:editor-ready'); \
             return [p.length ? p[0].startTime : null, e.length ? e[0].startTime : null, !!document.getElementById('shell')];",
            vec![],
        )
        .await?;
    sluice_e2e::throttle(client, None).await?;
    let (painted, ready) = (times[0].as_f64(), times[1].as_f64());
    let (Some(painted), Some(ready)) = (painted, ready) else {
        anyhow::bail!("no paint or editor-ready time: {times}");
    };
    ensure!(
        painted < 1000.0 && ready - painted > 1000.0,
        "the first paint ({painted:.0} ms) did not come well before the editor ({ready:.0} ms): a blank page while the app loads"
    );
    ensure!(times[2] == false, "the loading shell is still in the page");
    Ok(())
}

/// What the browser received: the app's files compressed (Brotli), the hashed
/// ones cached for good and taken from the cache on the next visit, the page under
/// the security headers.
async fn served_compressed_cached_and_secured(
    client: &fantoccini::Client,
    server: &Server,
) -> Result<()> {
    // A first visit (the cache emptied), then read what came over the network.
    sluice_e2e::cdp(client, "Network.clearBrowserCache", serde_json::json!({})).await?;
    client.goto("about:blank").await?;
    client.goto(&server.url).await?;
    sluice_e2e::wait_for(client, "#query .cm-content").await?;
    let files = client
        .execute(
            "return performance.getEntriesByType('resource') \
               .filter((e) => /\\.(wasm|js)$/.test(e.name)) \
               .map((e) => [e.name, e.encodedBodySize, e.decodedBodySize]);",
            vec![],
        )
        .await?;
    let files = files.as_array().cloned().unwrap_or_default();
    ensure!(files.len() >= 3, "the app's wasm and scripts: {files:?}");
    let mut wasm = None;
    for f in &files {
        let (name, encoded, decoded) = (
            f[0].as_str().unwrap_or_default(),
            f[1].as_f64().unwrap_or(0.0),
            f[2].as_f64().unwrap_or(0.0),
        );
        ensure!(
            encoded > 0.0 && encoded * 2.0 < decoded,
            "{name} came uncompressed ({encoded} bytes for {decoded})"
        );
        if name.ends_with(".wasm") {
            wasm = Some(name.to_string());
        }
    }
    let wasm = wasm.context("no .wasm among the page's resources")?;
    let headers = client
        .execute_async(
            "const [wasm, done] = arguments; \
             Promise.all([fetch('/'), fetch(wasm)]) \
               .then(([p, w]) => done([Object.fromEntries(p.headers), Object.fromEntries(w.headers)]), \
                     (e) => done(String(e)));",
            vec![wasm.clone().into()],
        )
        .await?;
    let (page, file) = (&headers[0], &headers[1]);
    let header =
        |h: &serde_json::Value, name: &str| h[name].as_str().unwrap_or_default().to_string();
    let csp = header(page, "content-security-policy");
    ensure!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "the page's CSP: {csp:?} (headers {page})"
    );
    ensure!(
        header(page, "x-content-type-options") == "nosniff",
        "{page}"
    );
    ensure!(header(page, "referrer-policy") == "no-referrer", "{page}");
    ensure!(header(page, "cache-control") == "no-cache", "{page}");
    ensure!(header(file, "content-encoding") == "br", "the wasm: {file}");
    ensure!(
        header(file, "cache-control").contains("immutable")
            && header(file, "vary")
                .to_ascii_lowercase()
                .contains("accept-encoding"),
        "the wasm: {file}"
    );
    // The next visit takes the hashed files from the cache, without asking.
    client.goto("about:blank").await?;
    client.goto(&server.url).await?;
    sluice_e2e::wait_for(client, "#query .cm-content").await?;
    let again = client
        .execute(
            "const w = performance.getEntriesByType('resource').find((e) => e.name === arguments[0]); \
             return w ? w.transferSize : null;",
            vec![wasm.into()],
        )
        .await?;
    ensure!(
        again.as_f64() == Some(0.0),
        "the wasm was fetched again on the next visit (transferSize {again})"
    );
    Ok(())
}

/// What has the focus (its id, else its class or tag) and whether it shows a focus
/// ring (its outline, its editor frame's, or a box shadow).
const FOCUSED: &str = r#"
    const e = document.activeElement;
    const frame = e.closest('.editor');
    const ring = (x) => x && getComputedStyle(x).outlineStyle !== 'none' && parseFloat(getComputedStyle(x).outlineWidth) > 0;
    return [e.id || e.className || e.tagName, ring(e) || (frame !== null && ring(frame)) || getComputedStyle(e).boxShadow !== 'none'];
"#;

/// Presses `keys` on whatever has the focus, at most `at_most` times, until the
/// element with id `target` has it; returns what had the focus after each press,
/// each checked for a visible focus ring.
async fn press_until(
    client: &fantoccini::Client,
    keys: &str,
    target: &str,
    at_most: usize,
) -> Result<Vec<String>> {
    let mut seen = Vec::new();
    for _ in 0..at_most {
        client.active_element().await?.send_keys(keys).await?;
        let at = client.execute(FOCUSED, vec![]).await?;
        let name = at[0].as_str().unwrap_or_default().to_string();
        ensure!(
            at[1] == true,
            "{name} has the focus but shows no ring (after {seen:?})"
        );
        seen.push(name.clone());
        if name == target {
            break;
        }
    }
    Ok(seen)
}

/// Every control is reached by Tab with a visible focus ring, from the editor on
/// to Play, and back (Shift+Tab) to Deploy; Enter works them.
async fn keyboard(client: &fantoccini::Client) -> Result<()> {
    use fantoccini::key::Key;
    let editor = client.find(Locator::Css("#query .cm-content")).await?;
    editor.click().await?;
    let at = client.execute(FOCUSED, vec![]).await?;
    ensure!(at[1] == true, "the editor shows no focus: {at}");
    let seen = press_until(client, &char::from(Key::Tab).to_string(), "play", 60).await?;
    ensure!(
        seen.last().map(String::as_str) == Some("play"),
        "Tab from the editor did not reach Play: {seen:?}"
    );
    ensure!(
        seen.iter().any(|n| n == "events")
            && seen
                .iter()
                .any(|n| n.contains("problem") || n == "customers"),
        "Tab skipped the controls between the editor and Play: {seen:?}"
    );
    // Enter on Play starts the simulation, and again pauses it.
    client
        .active_element()
        .await?
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    sluice_e2e::wait_text(client, "#summary .state", Duration::from_secs(10), |t| {
        t.eq_ignore_ascii_case("playing")
    })
    .await
    .context("Enter on Play did not start the simulation")?;
    let violations = sluice_e2e::axe(client).await?;
    ensure!(
        violations.is_empty(),
        "axe-core during a simulation: {violations:#?}"
    );
    client
        .find(Locator::Css("button#play"))
        .await?
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    // Back from the editor with Shift+Tab: Format, the theme, then Deploy.
    editor.click().await?;
    let back = sluice_e2e::chord(Key::Shift, Key::Tab);
    let seen = press_until(client, &back, "open-deploy", 6).await?;
    ensure!(
        seen.last().map(String::as_str) == Some("open-deploy"),
        "Shift+Tab from the editor did not reach Deploy: {seen:?}"
    );
    client
        .active_element()
        .await?
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    let open = client
        .execute(
            "return document.getElementById('deploy-panel').open;",
            vec![],
        )
        .await?;
    ensure!(
        open == true,
        "Enter on Deploy did not open the deploy panel"
    );
    client
        .execute(
            "document.getElementById('deploy-panel').open = false; return true;",
            vec![],
        )
        .await?;
    Ok(())
}

/// Replaces the editor's text with `query` and waits for `problem` to be listed.
async fn type_query(
    client: &fantoccini::Client,
    query: &str,
    problem: &str,
) -> Result<fantoccini::elements::Element> {
    let editor = client.find(Locator::Css("#query .cm-content")).await?;
    editor.click().await?;
    let select_all = format!("{}a", char::from(fantoccini::key::Key::Control));
    editor.send_keys(&select_all).await?;
    editor
        .send_keys(&format!(
            "{}{query}",
            char::from(fantoccini::key::Key::Null)
        ))
        .await?;
    Ok(client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(problem))
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_renders_its_first_screen() -> Result<()> {
    let mut server = Server::start().await?;
    let browser = Browser::start().await?;
    let outcome = tokio::time::timeout(Duration::from_secs(90), first_screen(&server, &browser))
        .await
        .context("the test did not finish in 90 s");
    let closed = browser.close().await;
    assert!(server.is_running(), "the server died during the test");
    outcome??;
    closed
}
