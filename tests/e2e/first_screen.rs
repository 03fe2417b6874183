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
    let disabled = client
        .find(Locator::Css("button#play"))
        .await?
        .prop("disabled")
        .await?;
    assert_eq!(disabled.as_deref(), Some("true"));
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
    let disabled = client
        .find(Locator::Css("button#play"))
        .await?
        .prop("disabled")
        .await?;
    assert_ne!(
        disabled.as_deref(),
        Some("true"),
        "the simulation is refused too"
    );
    let path = browser.screenshot("not-deployable-query").await?;
    eprintln!("screenshot: {}", path.display());
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
