//! The simulation in the browser: played events give the same rows as
//! `sluice simulate` on the same seed, rows and drops explain themselves, and a
//! link restores the exact scenario.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use sluice_e2e::{Browser, Server, set_value, sluice, wait_text};

const EVENTS: u64 = 300;

/// How many rows `sluice simulate` gives for the playground's default scenario
/// with `seed` and `events` stream events.
fn cli_rows(seed: u64, events: u64) -> Result<usize> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    let seed = seed.to_string();
    let batch = d.join("batch");
    let stream = d.join("stream.jsonl");
    sluice(&[
        "generate",
        "batch",
        "--customer-count",
        "100",
        "--order-count",
        "1000",
        "--seed",
        &seed,
        "--out",
        &batch.to_string_lossy(),
    ])?;
    sluice(&[
        "generate",
        "stream",
        "--customer-range",
        "100",
        "--count",
        &events.to_string(),
        "--seed",
        &seed,
        "--status-mix",
        "20,75,5",
        "--gap-ms",
        "1000,4000",
        "--out",
        &stream.to_string_lossy(),
    ])?;
    let query = d.join("query.sql");
    std::fs::write(&query, sluice_sql::reference::QUERY)?;
    let out = sluice(&[
        "simulate",
        &query.to_string_lossy(),
        "--batch-dir",
        &batch.to_string_lossy(),
        "--stream",
        &stream.to_string_lossy(),
        "--format",
        "json",
    ])?;
    let report: serde_json::Value = serde_json::from_str(&out).context("simulate's JSON")?;
    report["table_rows"]
        .as_array()
        .map(Vec::len)
        .context("no table_rows in simulate's report")
}

async fn play_to_the_end(client: &fantoccini::Client) -> Result<String> {
    client
        .find(Locator::Css("button#play"))
        .await?
        .click()
        .await?;
    wait_text(client, "#summary .state", Duration::from_secs(60), |t| {
        t.eq_ignore_ascii_case("ended")
    })
    .await?;
    Ok(client
        .find(Locator::Css("#row-count"))
        .await?
        .text()
        .await?)
}

async fn simulation(browser: &Browser, server: &Server) -> Result<()> {
    let client = &browser.client;
    client.goto(&server.url).await?;
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#pipeline"))
        .await
        .context("the pipeline graph did not show before Play")?;
    set_value(client, "#events", &EVENTS.to_string()).await?;
    set_value(client, "#speed", "max").await?;
    let rows = play_to_the_end(client).await?;
    let expected = cli_rows(42, EVENTS)?;
    assert_eq!(
        rows,
        expected.to_string(),
        "browser rows vs sluice simulate"
    );
    let summary = client.find(Locator::Css("#summary")).await?.text().await?;
    assert!(
        summary.contains(&format!("{EVENTS} events")),
        "summary: {summary}"
    );

    // The graph counts what went through each edge; the destinations count all rows.
    let graph = client.find(Locator::Css("#pipeline")).await?.text().await?;
    assert!(
        graph.contains("BigQuery destination") && graph.contains(&format!("{expected} rows")),
        "graph: {graph}"
    );
    assert!(
        graph.contains(&format!("{expected} messages")),
        "graph: {graph}"
    );

    // The table is virtualized: only the rows in view are in the page.
    let drawn = client.find_all(Locator::Css("#outputs .vrow")).await?.len();
    assert!(
        drawn > 0 && drawn < expected.min(40),
        "{drawn} rows drawn of {expected}"
    );
    let messages = client.find_all(Locator::Css("#messages li")).await?;
    assert!(!messages.is_empty(), "no Pub/Sub messages");
    let first_message = messages[0].text().await?;
    assert!(
        first_message.contains("\"total_spent\":"),
        "message: {first_message}"
    );

    // Click the newest row: the stream event and the aggregate row behind it.
    client
        .find(Locator::Css("#outputs .vrow"))
        .await?
        .click()
        .await?;
    let why = wait_text(client, "#why", Duration::from_secs(10), |t| {
        t.contains("Stream event #") || t.contains("STREAM EVENT #")
    })
    .await?;
    assert!(
        why.contains("\"customer_id\":")
            && why.contains("total_spent =")
            && why.contains("table rows"),
        "why: {why}"
    );
    // A value cut to its column (total_spent's long floats) can be read whole on
    // hover: every cell's title is its whole text.
    let cut = client
        .execute(
            "const cells = [...document.querySelectorAll('#outputs [role=cell]')]; \
             return [cells.length, cells.filter((c) => c.title !== c.textContent).length, \
                     cells.filter((c) => c.scrollWidth > c.clientWidth).length];",
            vec![],
        )
        .await?;
    ensure!(
        cut[0].as_u64().unwrap_or(0) > 0 && cut[1].as_u64() == Some(0),
        "cells without their whole value as a title: {cut}"
    );
    // Each line chart's "max" label overlaps none of its legends, also in a
    // narrow window where the legends fill the caption.
    let (width, height) = client.get_window_size().await?;
    client.set_window_size(1000, height as u32).await?;
    let overlaps = client
        .execute(
            "let n = 0, seen = 0; for (const chart of document.querySelectorAll('.chart')) { \
               const max = chart.querySelector('.max'); if (!max) continue; \
               const m = max.getBoundingClientRect(); if (m.width > 0) seen++; \
               for (const l of chart.querySelectorAll('.legend')) { const r = l.getBoundingClientRect(); \
                 if (r.left < m.right && m.left < r.right && r.top < m.bottom && m.top < r.bottom) n++; } } \
             return [seen, n];",
            vec![],
        )
        .await?;
    client.set_window_size(width as u32, height as u32).await?;
    ensure!(
        overlaps[0].as_u64().unwrap_or(0) > 0 && overlaps[1].as_u64() == Some(0),
        "[charts seen, legends over a max label]: {overlaps}"
    );
    browser.screenshot("simulation-ended").await?;
    let violations = sluice_e2e::axe(client).await?;
    assert!(
        violations.is_empty(),
        "axe-core after a simulation: {violations:#?}"
    );

    // Choose a dropped event with the keyboard (focus, Enter): the operator and
    // predicate that dropped it.
    client
        .execute(
            "document.querySelector('#dropped li').focus(); return true;",
            vec![],
        )
        .await?;
    client
        .active_element()
        .await?
        .send_keys(&char::from(fantoccini::key::Key::Enter).to_string())
        .await?;
    let why = wait_text(client, "#why", Duration::from_secs(10), |t| {
        t.to_lowercase().contains("was dropped")
    })
    .await?;
    assert!(
        why.contains("Operator ") && (why.contains("Join") || why.contains("Filter")),
        "why: {why}"
    );

    // Dashboard: charts and bars.
    let top = client
        .find(Locator::Css("#chart-top"))
        .await?
        .text()
        .await?;
    assert!(top.contains("customer_id"), "top: {top}");
    let reasons = client
        .find(Locator::Css("#chart-reasons"))
        .await?
        .text()
        .await?;
    assert!(reasons.contains("no join match"), "reasons: {reasons}");

    // The dark theme, kept across a reload.
    client
        .find(Locator::Css("button#theme"))
        .await?
        .click()
        .await?;
    let theme = client
        .execute("return document.documentElement.dataset.theme;", vec![])
        .await?;
    assert_eq!(theme, "dark");
    browser.screenshot("simulation-dark").await?;
    let violations = sluice_e2e::axe(client).await?;
    assert!(
        violations.is_empty(),
        "axe-core in the dark theme: {violations:#?}"
    );
    client.refresh().await?;
    sluice_e2e::wait_for(client, "#query .cm-content").await?;
    let theme = client
        .execute("return document.documentElement.dataset.theme;", vec![])
        .await?;
    assert_eq!(theme, "dark", "the theme was not kept across a reload");

    // Reset goes back to the start; Pause stops the stream where it is.
    client
        .find(Locator::Css("button#reset"))
        .await?
        .click()
        .await?;
    let summary = wait_text(client, "#summary", Duration::from_secs(10), |t| {
        t.contains("0 events")
    })
    .await?;
    assert!(
        summary.to_lowercase().contains("paused"),
        "summary: {summary}"
    );
    // A long stream at 100x: still running when Pause comes.
    set_value(client, "#events", "1000000").await?;
    set_value(client, "#speed", "100x").await?;
    client
        .find(Locator::Css("button#play"))
        .await?
        .click()
        .await?;
    wait_text(client, "#summary", Duration::from_secs(10), |t| {
        !t.contains(" 0 events") && t.to_lowercase().contains("playing")
    })
    .await?;
    client
        .find(Locator::Css("button#play"))
        .await?
        .click()
        .await?;
    wait_text(client, "#summary .state", Duration::from_secs(10), |t| {
        t.eq_ignore_ascii_case("paused")
    })
    .await?;
    let events = |t: String| t.split(" events").next().unwrap_or_default().to_string();
    let before = events(client.find(Locator::Css("#summary")).await?.text().await?);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = events(client.find(Locator::Css("#summary")).await?.text().await?);
    assert_eq!(before, after, "events kept coming after Pause");
    Ok(())
}

async fn link_round_trip(browser: &Browser, server: &Server) -> Result<()> {
    let client = &browser.client;
    client.goto(&server.url).await?;
    sluice_e2e::wait_for(client, "#query .cm-content").await?;
    // Change the seed, the event count and the query (through the editor).
    set_value(client, "#seed", "7").await?;
    set_value(client, "#events", "120").await?;
    let editor = sluice_e2e::editor_at_end(client).await?;
    editor.send_keys("\n  AND o.amount > 550").await?;
    wait_text(client, "#problems", Duration::from_secs(10), |t| {
        t == "No problems"
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let link = client.current_url().await?.to_string();
    assert!(
        link.contains("#s="),
        "the address does not hold the scenario: {link}"
    );
    set_value(client, "#speed", "max").await?;
    let rows = play_to_the_end(client).await?;

    // A fresh page with nothing stored: the link alone restores everything.
    client
        .execute("localStorage.clear(); return true;", vec![])
        .await?;
    client.goto("about:blank").await?;
    client.goto(&link).await?;
    sluice_e2e::wait_for(client, "#query .cm-content").await?;
    let seed = client
        .find(Locator::Css("#seed"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(seed.as_deref(), Some("7"));
    let lines = client
        .find(Locator::Css("#query .cm-content"))
        .await?
        .text()
        .await?;
    assert!(lines.contains("AND o.amount > 550"), "editor: {lines}");
    set_value(client, "#speed", "max").await?;
    let again = play_to_the_end(client).await?;
    assert_eq!(again, rows, "the link did not restore the same simulation");
    Ok(())
}

async fn catalog(browser: &Browser, server: &Server) -> Result<()> {
    let client = &browser.client;
    client.goto(&server.url).await?;
    // Open the topic's entry: its columns, then its schema as JSON.
    sluice_e2e::wait_for(client, "#catalog .source summary")
        .await?
        .click()
        .await?;
    let tree = client
        .find(Locator::Css("#catalog .source .fields"))
        .await?
        .text()
        .await?;
    assert!(
        tree.contains("event_timestamp") && tree.contains("REQUIRED"),
        "tree: {tree}"
    );
    client
        .find(Locator::Css("#catalog .edit-schema"))
        .await?
        .click()
        .await?;
    // The seed's schema with a typo in the second field's type.
    let broken =
        sluice_sql::reference::ORDERS_TOPIC_SCHEMA_JSON.replacen("\"INT64\"", "\"INTEGR\"", 1);
    set_value(client, "#catalog textarea.schema-json", &broken).await?;
    client
        .find(Locator::Css("#catalog .apply-schema"))
        .await?
        .click()
        .await?;
    let error = wait_text(client, "#catalog-error", Duration::from_secs(10), |t| {
        !t.is_empty()
    })
    .await?;
    assert!(
        error.contains("[1].type") && error.contains("INTEGR"),
        "error: {error}"
    );
    // The seed's schema as is applies, and the query stays clean.
    set_value(
        client,
        "#catalog textarea.schema-json",
        sluice_sql::reference::ORDERS_TOPIC_SCHEMA_JSON,
    )
    .await?;
    client
        .find(Locator::Css("#catalog .apply-schema"))
        .await?
        .click()
        .await?;
    wait_text(client, "#problems", Duration::from_secs(10), |t| {
        t == "No problems"
    })
    .await?;
    assert!(client.find(Locator::Css("#catalog-error")).await.is_err());

    // Renaming the project rewrites the query's source names.
    set_value(client, "#project", "my-project-1").await?;
    let text = wait_text(client, "#query .cm-content", Duration::from_secs(10), |t| {
        t.contains("`my-project-1`")
    })
    .await?;
    assert!(!text.contains("demobox-313313"), "editor: {text}");
    wait_text(client, "#problems", Duration::from_secs(10), |t| {
        t == "No problems"
    })
    .await?;
    // A bad id is refused with the rule.
    set_value(client, "#project", "Bad_Project").await?;
    let error = wait_text(client, "#catalog-error", Duration::from_secs(10), |t| {
        !t.is_empty()
    })
    .await?;
    assert!(
        error.contains("not a Google Cloud project id"),
        "error: {error}"
    );
    browser.screenshot("catalog").await?;

    // Add a topic, then remove the customers table the query does not read.
    set_value(client, "#catalog .add-source input", "clicks").await?;
    client
        .find(Locator::Css("#catalog .add-source button"))
        .await?
        .click()
        .await?;
    wait_text(client, "#catalog .sources", Duration::from_secs(10), |t| {
        t.contains("pubsub.topic.`my-project-1`.clicks")
    })
    .await?;
    let remove = client.find_all(Locator::Css("#catalog .source")).await?;
    let customers = {
        let mut found = None;
        for source in remove {
            if source.text().await?.contains("ecommerce.customers") {
                found = Some(source);
            }
        }
        found.context("no customers table in the catalog")?
    };
    customers
        .find(Locator::Css("summary"))
        .await?
        .click()
        .await?;
    customers
        .find(Locator::Css("button[title^='Remove']"))
        .await?
        .click()
        .await?;
    let sources = wait_text(client, "#catalog .sources", Duration::from_secs(10), |t| {
        !t.contains("ecommerce.customers")
    })
    .await?;
    assert!(sources.contains("ecommerce.orders"), "sources: {sources}");
    wait_text(client, "#problems", Duration::from_secs(10), |t| {
        t == "No problems"
    })
    .await?;
    Ok(())
}

async fn inferred_schema(browser: &Browser, server: &Server) -> Result<()> {
    let client = &browser.client;
    client.goto(&server.url).await?;
    // A new topic, then its schema from three pasted messages.
    set_value(client, "#catalog .add-source input", "clicks").await?;
    sluice_e2e::wait_for(client, "#catalog .add-source button")
        .await?
        .click()
        .await?;
    wait_text(client, "#catalog .sources", Duration::from_secs(10), |t| {
        t.contains(".clicks")
    })
    .await?;
    let mut clicks = None;
    for source in client.find_all(Locator::Css("#catalog .source")).await? {
        if source.text().await?.contains(".clicks") {
            clicks = Some(source);
        }
    }
    let clicks = clicks.context("no clicks topic in the catalog")?;
    clicks.find(Locator::Css("summary")).await?.click().await?;
    clicks
        .find(Locator::Css(".infer-schema"))
        .await?
        .click()
        .await?;
    let messages = [
        r#"{"user": "ana-secret", "page": {"path": "/a", "ms": 120}, "tags": ["x"], "at": "2026-11-30T10:00:00Z"}"#,
        r#"{"user": "bo", "page": {"path": "/b", "ms": 95.5}, "tags": [], "at": "2026-11-30T10:00:02Z"}"#,
        r#"{"user": 7, "page": {"path": "/c", "ms": 80}, "at": "2026-11-30T10:00:03Z"}"#,
    ]
    .join("\n");
    set_value(client, "#catalog textarea.infer-messages", &messages).await?;
    client
        .find(Locator::Css("#catalog .infer-run"))
        .await?
        .click()
        .await?;
    let inferred = wait_text(client, "#catalog .inferred", Duration::from_secs(10), |t| {
        !t.is_empty()
    })
    .await?;
    assert!(
        inferred.contains("3 messages give 5 columns: some messages disagree"),
        "{inferred}"
    );
    let findings = client
        .find(Locator::Css("#catalog .findings"))
        .await?
        .text()
        .await?;
    assert!(
        findings.contains("line 3")
            && findings.contains("user")
            && findings.contains("conflict: is a number here, but a string"),
        "{findings}"
    );
    assert!(
        findings.contains("tags") && findings.contains("missing from 1 of 3 messages"),
        "{findings}"
    );
    client
        .execute(
            "document.querySelector('#catalog .findings').scrollIntoView({block: 'end'}); return true;",
            vec![],
        )
        .await?;
    browser.screenshot("inferred-schema").await?;
    client
        .find(Locator::Css("#catalog .use-inferred"))
        .await?
        .click()
        .await?;
    wait_text(client, "#catalog .sources", Duration::from_secs(10), |t| {
        t.contains(".clicks\n5 columns")
    })
    .await?;
    // Applying closes the entry; open it again to see the schema it holds now.
    clicks.find(Locator::Css("summary")).await?.click().await?;
    let clicks_tree = clicks.find(Locator::Css(".fields")).await?.text().await?;
    for expected in [
        "\nuserSTRING\n",
        "\npageSTRUCT\npathSTRING\nmsFLOAT64\n",
        "\ntagsARRAY<STRING>REPEATED\n",
        "\natTIMESTAMP",
    ] {
        assert!(
            clicks_tree.contains(expected),
            "{expected} in {clicks_tree}"
        );
    }
    // The pasted messages stay in the page: not in storage, not in the address.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let kept = client
        .execute(
            "return [localStorage.getItem('sluice.scenario.v1') || '', location.hash.replace(/^#s=/, ''), JSON.stringify(sessionStorage)];",
            vec![],
        )
        .await?;
    let kept: Vec<String> = serde_json::from_value(kept)?;
    let [stored, link, session] = kept.as_slice() else {
        anyhow::bail!("three texts expected: {kept:?}");
    };
    let kept = format!("{}\n{}\n{session}", inflate(stored)?, inflate(link)?);
    assert!(kept.contains("clicks"), "the catalog was saved: {kept}");
    assert!(!kept.contains("ana-secret"), "a message was saved: {kept}");
    Ok(())
}

/// A kept scenario's JSON: base64url of deflated JSON (the page's `share.rs`).
fn inflate(text: &str) -> Result<String> {
    use base64::Engine as _;
    use std::io::Read as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text)?;
    let mut json = String::new();
    flate2::read::DeflateDecoder::new(bytes.as_slice()).read_to_string(&mut json)?;
    Ok(json)
}

async fn with_app(f: impl AsyncFnOnce(&Browser, &Server) -> Result<()>) -> Result<()> {
    let mut server = Server::start().await?;
    let browser = Browser::start().await?;
    let outcome = tokio::time::timeout(Duration::from_secs(150), f(&browser, &server))
        .await
        .context("the test did not finish in 150 s");
    if outcome.as_ref().is_ok_and(|o| o.is_err()) || outcome.is_err() {
        let _ = browser.screenshot("failure").await;
    }
    let closed = browser.close().await;
    assert!(server.is_running(), "the server died during the test");
    outcome??;
    closed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn played_events_match_sluice_simulate_and_explain_themselves() -> Result<()> {
    with_app(simulation).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_restores_the_same_simulation() -> Result<()> {
    with_app(link_round_trip).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_edits_schemas_and_the_project() -> Result<()> {
    with_app(catalog).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_schema_is_inferred_from_pasted_messages_which_stay_in_the_page() -> Result<()> {
    with_app(inferred_schema).await
}
