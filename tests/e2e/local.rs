//! Without Google credentials, Deploy goes to the local target: the job runs in the
//! server, the generator feeds it, rows appear in the destination table view and
//! messages in the live topic, Cancel stops it and Clean up removes it.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use sluice_e2e::{Browser, Server, set_value, wait_text};

async fn local(browser: &Browser, server: &Server) -> Result<()> {
    let client = &browser.client;
    client
        .goto(&format!("{}?token={}", server.url, server.token))
        .await?;
    sluice_e2e::click(client, "#open-deploy").await?;
    let target = wait_text(client, "#deploy-target", Duration::from_secs(10), |t| {
        t.contains("local")
    })
    .await?;
    ensure!(
        target.contains("No Google credentials were found"),
        "{target}"
    );
    ensure!(
        client
            .find(Locator::Css("#target-local"))
            .await?
            .prop("checked")
            .await?
            .as_deref()
            == Some("true"),
        "the local target is not the one chosen"
    );
    sluice_e2e::click(client, "#local-deploy:not([disabled])").await?;
    wait_text(client, "#local-job-state", Duration::from_secs(20), |t| {
        t == "running"
    })
    .await?;
    set_value(client, "#local-speed", "1000").await?;
    client
        .find(Locator::Css("#local-generator"))
        .await?
        .click()
        .await?;
    wait_text(client, "#local-rows", Duration::from_secs(60), |t| {
        t.parse::<u64>().is_ok_and(|n| n >= 3)
    })
    .await?;
    let table = wait_text(
        client,
        "#local-sql-result tbody",
        Duration::from_secs(20),
        |t| !t.is_empty(),
    )
    .await?;
    ensure!(
        table.contains("Open"),
        "the table view shows no orders: {table}"
    );
    let feed = wait_text(client, "#local-feed", Duration::from_secs(20), |t| {
        t.contains("total_spent")
    })
    .await?;
    ensure!(feed.contains("customer_id"), "{feed}");
    let operators = client
        .find_all(Locator::Css("#local-operators tbody tr"))
        .await?;
    ensure!(operators.len() == 9, "{} operators", operators.len());
    browser.screenshot("local-running").await?;

    // Plain SQL over the destination table.
    let table_name = client
        .find(Locator::Css("#local-sql"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    let table_name = table_name
        .split('"')
        .nth(1)
        .context("the default query names the table")?
        .to_owned();
    set_value(
        client,
        "#local-sql",
        &format!("SELECT COUNT(*) AS n FROM \"{table_name}\""),
    )
    .await?;
    client
        .find(Locator::Css("#local-run-sql"))
        .await?
        .click()
        .await?;
    let count = wait_text(client, "#local-sql-result", Duration::from_secs(10), |t| {
        t.starts_with("N") || t.starts_with("n")
    })
    .await?;
    ensure!(
        count
            .lines()
            .nth(1)
            .and_then(|n| n.trim().parse::<u64>().ok())
            .is_some_and(|n| n >= 3),
        "{count}"
    );
    client
        .find(Locator::Css("#local-generator"))
        .await?
        .click()
        .await?;
    client
        .find(Locator::Css("#local-cancel"))
        .await?
        .click()
        .await?;
    wait_text(client, "#local-job-state", Duration::from_secs(20), |t| {
        t == "cancelled"
    })
    .await?;
    let history = client
        .find(Locator::Css("#local-history"))
        .await?
        .text()
        .await?;
    ensure!(
        history.contains("running") && history.contains("cancelled"),
        "{history}"
    );
    client
        .find(Locator::Css("#local-cleanup"))
        .await?
        .click()
        .await?;
    let result = wait_text(client, "#local-result", Duration::from_secs(20), |t| {
        t.starts_with("Cleaned up")
    })
    .await?;
    ensure!(result.contains("table sluice."), "{result}");
    ensure!(result.contains("-results"), "{result}");
    browser.screenshot("local-cleaned-up").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_deploy_runs_the_job_here() -> Result<()> {
    let state = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    let mut server = Server::start_with(&[
        ("SLUICE_STATE_DIR", state.path().display().to_string()),
        // No credentials anywhere: an empty home, no key file.
        ("HOME", home.path().display().to_string()),
        ("GOOGLE_APPLICATION_CREDENTIALS", String::new()),
    ])
    .await?;
    sluice_e2e::with_browser(&mut server, "local", local).await
}

/// The local target is a project too: its topics and tables load into the
/// catalog, its topic's newest messages and its table's rows are sampled, and the
/// simulation runs on them.
async fn local_project(browser: &Browser, server: &Server) -> Result<()> {
    use serde_json::json;
    let api = |path: &str| server.at(path);
    let (status, answer) = sluice_e2e::http_post_json(
        &api("/api/local/deploy"),
        &json!({"query": sluice_sql::reference::QUERY, "job_name": "vip"}),
        Some(&server.token),
    )
    .await?;
    ensure!(status == 200, "deploy: {status} {answer}");
    // One order of a customer over $5,000 of closed orders in the local table
    // (the generator's defaults), one of a customer under.
    let (winner, other) = sluice_e2e::customers_over_and_under_5000()?;
    let messages = sluice_e2e::order_messages(&[winner, other], 18.5);
    let (status, answer) = sluice_e2e::http_post_json(
        &api("/api/local/topics/orders:publish"),
        &json!({"messages": messages}),
        Some(&server.token),
    )
    .await?;
    ensure!(status == 200, "publish: {status} {answer}");
    let client = &browser.client;
    client
        .goto(&format!("{}?token={}", server.url, server.token))
        .await?;
    sluice_e2e::click(client, "#load-local").await?;
    let summary = wait_text(client, "#project-loaded", Duration::from_secs(20), |t| {
        t.contains("read at")
    })
    .await?;
    ensure!(
        summary.contains("2 topics and 2 tables in the local target"),
        "{summary}"
    );
    sluice_e2e::click(client, "#merge-loaded").await?;
    sluice_e2e::open_source(client, "pubsub.topic.`demobox-313313`.orders").await?;
    sluice_e2e::click(client, "#catalog .infer-schema").await?;
    sluice_e2e::click(client, "#catalog .sample-topic").await?;
    let status = wait_text(
        client,
        "#catalog .sample-status",
        Duration::from_secs(20),
        |t| t.contains("sampled from"),
    )
    .await?;
    ensure!(
        status.contains("2 messages sampled from the local topic orders"),
        "{status}"
    );
    sluice_e2e::click(client, "#catalog .simulate-sample").await?;
    sluice_e2e::click(client, "#catalog .use-inferred").await?;
    sluice_e2e::open_source(client, "ecommerce.orders").await?;
    sluice_e2e::click(client, "#catalog .sample-rows").await?;
    sluice_e2e::click(client, "#catalog .read-rows").await?;
    let status = wait_text(
        client,
        "#catalog .rows-status",
        Duration::from_secs(30),
        |t| t.contains("reads"),
    )
    .await?;
    ensure!(
        status.contains("The simulation reads 1,000 rows of the local table ecommerce.orders"),
        "{status}"
    );
    let header = wait_text(client, "#data-source", Duration::from_secs(10), |t| {
        t.contains("Reading")
    })
    .await?;
    ensure!(
        header.contains("Streaming 2 messages sampled from the local topic orders")
            && header.contains("Reading 1,000 rows of the local table ecommerce.orders"),
        "{header}"
    );
    let (summary, rows) = sluice_e2e::play_to_end(client).await?;
    ensure!(summary.contains("2 events"), "{summary}");
    ensure!(rows == "1", "{rows} rows: {summary}");
    browser.screenshot("local-project-simulated").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_target_is_a_project_to_load_sample_and_simulate() -> Result<()> {
    let state = tempfile::tempdir()?;
    let home = tempfile::tempdir()?;
    let mut server = Server::start_with(&[
        ("SLUICE_STATE_DIR", state.path().display().to_string()),
        ("HOME", home.path().display().to_string()),
        ("GOOGLE_APPLICATION_CREDENTIALS", String::new()),
    ])
    .await?;
    sluice_e2e::with_browser(&mut server, "local-project", local_project).await
}
