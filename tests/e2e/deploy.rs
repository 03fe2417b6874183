//! Deploy from the browser against the fake Google Cloud: the page shows the Beam
//! YAML, the gcloud command and every step; Deploy runs them and the job page
//! reaches Running; Clean up stops the job and deletes what was created.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use serde_json::json;
use sluice_e2e::{Browser, Server, wait_for, wait_text};
use sluice_fake_gcp::{Fake, FaultKind, TOKEN, Timing};

const PROJECT: &str = "demobox-313313";

async fn deploy(browser: &Browser, server: &Server, fake: &Fake) -> Result<()> {
    let client = &browser.client;

    // Without the token the plan shows, but Deploy says what it needs.
    client.goto(&server.url).await?;
    sluice_e2e::click(client, "#open-deploy").await?;
    let yaml = wait_text(client, "#pipeline-yaml", Duration::from_secs(20), |t| {
        t.contains("type: Sql")
    })
    .await?;
    ensure!(yaml.contains("type: ReadFromPubSub"), "yaml: {yaml}");
    ensure!(yaml.contains("type: WriteToBigQuery"), "yaml: {yaml}");
    let gcloud = client.find(Locator::Css("#gcloud")).await?.text().await?;
    ensure!(
        gcloud.starts_with("gcloud dataflow yaml run sluice-")
            && gcloud.contains("--project=demobox-313313"),
        "gcloud: {gcloud}"
    );
    let steps = client.find_all(Locator::Css("#deploy-steps > li")).await?;
    ensure!(steps.len() == 8, "{} steps", steps.len());
    let button = client.find(Locator::Css("#deploy-button")).await?;
    ensure!(
        button.attr("disabled").await?.is_some(),
        "Deploy is enabled without the token"
    );
    let deploy_text = client
        .find(Locator::Css("#deploy-controls"))
        .await?
        .text()
        .await?;
    ensure!(deploy_text.contains("needs the token"), "{deploy_text}");

    // With the address the server printed: the token leaves the address bar at once.
    client
        .goto(&format!("{}?token={}", server.url, server.token))
        .await?;
    sluice_e2e::click(client, "#open-deploy").await?;
    let url = client.current_url().await?;
    ensure!(
        !url.as_str().contains("token"),
        "the token stayed in the address: {url}"
    );
    let credentials = wait_text(client, "#deploy-target", Duration::from_secs(10), |t| {
        t.contains("Credentials:")
    })
    .await?;
    ensure!(
        credentials.contains("SLUICE_GCP_ACCESS_TOKEN"),
        "{credentials}"
    );
    browser.screenshot("deploy-plan").await?;
    let violations = sluice_e2e::axe(client).await?;
    ensure!(
        violations.is_empty(),
        "axe-core with the deploy panel open: {violations:#?}"
    );
    sluice_e2e::click(client, "#deploy-button:not([disabled])").await?;
    wait_text(client, "#job-state", Duration::from_secs(30), |t| {
        t == "running"
    })
    .await?;
    let done = client
        .find_all(Locator::Css("#deploy-steps > li.done"))
        .await?;
    ensure!(done.len() == 8, "{} steps done", done.len());
    let dead_letters = client
        .find(Locator::Css("#job-dead-letters"))
        .await?
        .text()
        .await?;
    ensure!(
        dead_letters.contains("dead letters") && dead_letters.contains("_dead_letter"),
        "dead letters: {dead_letters}"
    );
    let elements = wait_text(
        client,
        "#job-elements tbody",
        Duration::from_secs(10),
        |t| t.contains("Query"),
    )
    .await?;
    ensure!(elements.contains("ReadOrders"), "elements: {elements}");
    let history = client
        .find(Locator::Css("#job-history"))
        .await?
        .text()
        .await?;
    ensure!(history.contains("running"), "history: {history}");
    ensure!(fake.jobs_launched() == 1, "{} jobs", fake.jobs_launched());
    let launched = fake.state().launched_pipelines();
    ensure!(
        launched.len() == 1 && launched[0].trim_end() == yaml.trim_end(),
        "the job runs another pipeline than the page showed: {launched:?}"
    );
    browser.screenshot("deploy-running").await?;
    let violations = sluice_e2e::axe(client).await?;
    ensure!(
        violations.is_empty(),
        "axe-core on the running job's page: {violations:#?}"
    );

    client.find(Locator::Css("#cleanup")).await?.click().await?;
    let result = wait_text(client, "#deploy-result", Duration::from_secs(30), |t| {
        t.starts_with("Cleaned up")
    })
    .await?;
    ensure!(result.contains("cancelled"), "{result}");
    ensure!(result.contains("5 resources deleted"), "{result}");
    browser.screenshot("deploy-cleaned-up").await?;
    let left: Vec<String> = fake
        .leftovers(&[])
        .into_iter()
        .filter(|r| !r.contains(".ecommerce."))
        .collect();
    ensure!(left.is_empty(), "left behind: {left:?}");
    let violations = fake.violations();
    ensure!(
        violations.is_empty(),
        "requests that break the discovery documents: {violations:?}"
    );
    Ok(())
}

/// Runs `f` with a browser and `sluice serve` pointed at `fake` (with its token
/// and a fresh state directory); a screenshot `failure-{name}` when it fails.
async fn with_cloud(
    fake: &Fake,
    name: &str,
    f: impl AsyncFnOnce(&Browser, &Server, &Fake) -> Result<()>,
) -> Result<()> {
    let state = tempfile::tempdir()?;
    let mut server = Server::start_with(&[
        ("SLUICE_GCP_ENDPOINT", fake.url()),
        ("SLUICE_GCP_ACCESS_TOKEN", TOKEN.to_string()),
        ("SLUICE_STATE_DIR", state.path().display().to_string()),
    ])
    .await?;
    sluice_e2e::with_browser(&mut server, name, async move |browser, server| {
        f(browser, server, fake).await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_reaches_running_and_cleanup_removes_everything() -> Result<()> {
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .context("the fake Google Cloud")?;
    fake.state()
        .tables
        .insert(format!("{PROJECT}.ecommerce.orders"), json!({}));
    with_cloud(&fake, "deploy", deploy).await
}

/// The catalog panel reads the project's topics and tables through the server.
async fn load_project(browser: &Browser, server: &Server, fake: &Fake) -> Result<()> {
    let client = &browser.client;
    client
        .goto(&format!("{}?token={}", server.url, server.token))
        .await?;
    sluice_e2e::click(client, "#load-project").await?;
    let summary = wait_text(client, "#project-loaded", Duration::from_secs(20), |t| {
        t.contains("read at")
    })
    .await?;
    ensure!(
        summary.contains("1 topic and 2 tables in demobox-313313"),
        "{summary}"
    );
    ensure!(
        summary.contains("web.visits_view: a VIEW, left out"),
        "{summary}"
    );
    browser.screenshot("project-loaded").await?;
    client
        .find(Locator::Css("#merge-loaded"))
        .await?
        .click()
        .await?;
    let sources = wait_text(client, "#catalog .sources", Duration::from_secs(10), |t| {
        t.contains("web.visits")
    })
    .await?;
    ensure!(sources.contains("from demobox-313313 at"), "{sources}");
    // The seed's topic keeps its fields; its orders table takes the project's schema.
    ensure!(
        sources.contains("pubsub.topic.`demobox-313313`.orders\n5 columns"),
        "{sources}"
    );
    ensure!(sources.contains("ecommerce.orders\n2 columns"), "{sources}");
    // The query now reads a table whose columns changed: an error at the column.
    let problems = wait_text(client, "#problems", Duration::from_secs(10), |t| {
        t != "No problems"
    })
    .await?;
    ensure!(problems.contains("order_status"), "{problems}");
    ensure!(fake.violations().is_empty(), "{:?}", fake.violations());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_loads_the_projects_topics_and_tables() -> Result<()> {
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .context("the fake Google Cloud")?;
    {
        let mut s = fake.state();
        s.page_size = 1;
        let topic = format!("projects/{PROJECT}/topics/orders");
        s.topics.insert(topic.clone(), json!({"name": topic}));
        s.datasets.insert(format!("{PROJECT}.ecommerce"), json!({}));
        s.datasets.insert(format!("{PROJECT}.web"), json!({}));
        s.tables.insert(
            format!("{PROJECT}.ecommerce.orders"),
            json!({"schema": {"fields": [
                {"name": "customer_id", "type": "INTEGER"},
                {"name": "amount", "type": "FLOAT"}
            ]}}),
        );
        s.tables.insert(
            format!("{PROJECT}.web.visits"),
            json!({"schema": {"fields": [{"name": "path", "type": "STRING"}]}}),
        );
        s.tables.insert(
            format!("{PROJECT}.web.visits_view"),
            json!({"view": {"query": "SELECT 1"}}),
        );
    }
    with_cloud(&fake, "load-project", load_project).await
}

/// A topic's schema from its own messages, sampled through the server.
async fn sample_topic(browser: &Browser, server: &Server, fake: &Fake) -> Result<()> {
    let client = &browser.client;
    client
        .goto(&format!("{}?token={}", server.url, server.token))
        .await?;
    sluice_e2e::click(client, "#catalog .source summary").await?;
    sluice_e2e::click(client, "#catalog .infer-schema").await?;
    sluice_e2e::click(client, "#catalog .sample-topic").await?;
    // Messages published while the sample pulls.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subscriptions = fake.state().subscriptions.len();
    ensure!(subscriptions == 1, "{subscriptions} sampling subscriptions");
    // One order of a customer who spent $5,000 on closed orders in the page's
    // generated tables (the generator's defaults), one of a customer who did not.
    let (winner, other) = sluice_e2e::customers_over_and_under_5000()?;
    let messages = sluice_e2e::order_messages(&[winner, other], 612.45);
    let (status, answer) = sluice_e2e::http_post_json(
        &format!("{}/v1/projects/{PROJECT}/topics/orders:publish", fake.url()),
        &json!({"messages": messages}),
        Some(TOKEN),
    )
    .await?;
    ensure!(status == 200, "publish: {status} {answer}");
    let status = wait_text(
        client,
        "#catalog .sample-status",
        Duration::from_secs(30),
        |t| t.contains("sampled from"),
    )
    .await?;
    ensure!(
        status.contains("2 messages sampled from projects/demobox-313313/topics/orders"),
        "{status}"
    );
    let summary = wait_text(
        client,
        "#catalog .infer-summary",
        Duration::from_secs(10),
        |t| !t.is_empty(),
    )
    .await?;
    ensure!(summary.contains("2 messages give 5 columns"), "{summary}");
    browser.screenshot("topic-sampled").await?;
    // The simulation streams the sampled messages instead of generated orders.
    sluice_e2e::click(client, "#catalog .simulate-sample").await?;
    let source = wait_text(client, "#data-source", Duration::from_secs(10), |t| {
        t.contains("Streaming")
    })
    .await?;
    ensure!(
        source.contains("Streaming 2 messages sampled from projects/demobox-313313/topics/orders"),
        "{source}"
    );
    let (summary, rows) = sluice_e2e::play_to_end(client).await?;
    ensure!(
        summary.contains("2 events") && summary.contains("0 dead-lettered"),
        "{summary}"
    );
    // The winner's order lands in BigQuery; the other is dropped at the join.
    ensure!(rows == "1", "{rows} rows: {summary}");
    browser.screenshot("simulating-sample").await?;
    sluice_e2e::click(client, "#use-generated").await?;
    sluice_e2e::click(client, "#reset").await?;
    wait_text(client, "#summary", Duration::from_secs(10), |t| {
        !t.contains("dead-lettered")
    })
    .await?;
    // Again, replaying what the topic retained: the same two orders come back.
    sluice_e2e::click(client, "#catalog .replay-sample").await?;
    sluice_e2e::click(client, "#catalog .sample-topic").await?;
    wait_text(
        client,
        "#catalog .sample-status",
        Duration::from_secs(10),
        |t| t.contains("Sampling the topic"),
    )
    .await?;
    let again = wait_text(
        client,
        "#catalog .sample-status",
        Duration::from_secs(30),
        |t| t.contains("sampled from"),
    )
    .await?;
    ensure!(again.contains("2 messages sampled"), "{again}");
    let seeks = fake
        .calls()
        .iter()
        .filter(|c| *c == "pubsub.projects.subscriptions.seek")
        .count();
    ensure!(seeks == 1, "{seeks} seeks");
    ensure!(
        fake.state().subscriptions.is_empty(),
        "the replaying subscription is left"
    );
    ensure!(
        fake.state().subscriptions.is_empty(),
        "the sampling subscription is left"
    );
    ensure!(fake.violations().is_empty(), "{:?}", fake.violations());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_is_sampled_and_its_schema_inferred_leaving_no_subscription() -> Result<()> {
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .context("the fake Google Cloud")?;
    let topic = format!("projects/{PROJECT}/topics/orders");
    // The topic keeps a day of messages, so a sample can replay them.
    fake.state().topics.insert(
        topic.clone(),
        json!({"name": topic, "messageRetentionDuration": "86400s"}),
    );
    with_cloud(&fake, "sample-topic", sample_topic).await
}

/// The orders table of the fake project: the seed's schema, customer 7 with
/// $6,000 of closed orders, customer 8 with $100, and `filler` open orders of
/// other customers (so that reading takes several pages).
fn orders_table(fake: &Fake, filler: usize) {
    let mut s = fake.state();
    s.datasets.insert(format!("{PROJECT}.ecommerce"), json!({}));
    s.tables.insert(
        format!("{PROJECT}.ecommerce.orders"),
        json!({"schema": {"fields": [
            {"name": "customer_id", "type": "INTEGER"},
            {"name": "amount", "type": "FLOAT"},
            {"name": "order_status", "type": "STRING"},
            {"name": "order_datetime", "type": "TIMESTAMP"}
        ]}}),
    );
    let order = |customer: usize, amount: f64, status: &str| {
        json!({"json": {"customer_id": customer, "amount": amount, "order_status": status,
            "order_datetime": "2026-10-01 09:30:00 UTC"}})
    };
    let mut rows = vec![
        order(7, 4000.0, "Closed"),
        order(7, 2000.0, "Closed"),
        order(8, 100.0, "Closed"),
    ];
    rows.extend((0..filler).map(|i| order(1000 + i, 10.0, "Open")));
    s.rows.insert(format!("{PROJECT}.ecommerce.orders"), rows);
}

/// The whole chain on the project's own data: load its catalog, sample the topic
/// and take the schema inferred from it, sample the orders table with a progress
/// bar, and simulate: the rows that land come from the project's data alone.
async fn project_data(browser: &Browser, server: &Server, fake: &Fake) -> Result<()> {
    let client = &browser.client;
    client
        .goto(&format!("{}?token={}", server.url, server.token))
        .await?;
    sluice_e2e::click(client, "#load-project").await?;
    wait_text(client, "#project-loaded", Duration::from_secs(20), |t| {
        t.contains("read at")
    })
    .await?;
    sluice_e2e::click(client, "#merge-loaded").await?;
    // The binary topic says so in the catalog.
    let warning = wait_text(
        client,
        "#catalog .payload-warning",
        Duration::from_secs(10),
        |t| !t.is_empty(),
    )
    .await?;
    ensure!(
        warning
            == "BINARY-encoded Avro (projects/demobox-313313/schemas/clicks): Dataflow cannot read it",
        "{warning}"
    );
    // The topic: sample it, stream the sample, take the inferred schema.
    sluice_e2e::open_source(client, "pubsub.topic.`demobox-313313`.orders").await?;
    sluice_e2e::click(client, "#catalog .infer-schema").await?;
    sluice_e2e::click(client, "#catalog .sample-topic").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = sluice_e2e::order_messages(&[7, 8], 25.5);
    let (status, answer) = sluice_e2e::http_post_json(
        &format!("{}/v1/projects/{PROJECT}/topics/orders:publish", fake.url()),
        &json!({"messages": messages}),
        Some(TOKEN),
    )
    .await?;
    ensure!(status == 200, "publish: {status} {answer}");
    wait_text(
        client,
        "#catalog .sample-status",
        Duration::from_secs(30),
        |t| t.contains("sampled from"),
    )
    .await?;
    sluice_e2e::click(client, "#catalog .simulate-sample").await?;
    sluice_e2e::click(client, "#catalog .use-inferred").await?;
    // The table: read its rows a page at a time.
    sluice_e2e::open_source(client, "ecommerce.orders").await?;
    sluice_e2e::click(client, "#catalog .sample-rows").await?;
    let pane = wait_text(
        client,
        "#catalog .rows-pane",
        Duration::from_secs(10),
        |t| !t.is_empty(),
    )
    .await?;
    ensure!(pane.contains("no bytes are billed"), "{pane}");
    // Slow pages, so that the progress bar shows what has been read of what.
    fake.fault(
        "bigquery.tabledata.list",
        FaultKind::Slow(Duration::from_millis(700)),
        3,
    );
    sluice_e2e::click(client, "#catalog .read-rows").await?;
    let progress = wait_text(
        client,
        "#catalog .rows-progress",
        Duration::from_secs(10),
        |t| t.contains("50 of"),
    )
    .await?;
    ensure!(progress.contains("50 of 123 rows"), "{progress}");
    browser.screenshot("table-sampling").await?;
    let status = wait_text(
        client,
        "#catalog .rows-status",
        Duration::from_secs(30),
        |t| t.contains("reads"),
    )
    .await?;
    ensure!(
        status.contains("The simulation reads 123 rows of demobox-313313.ecommerce.orders read at"),
        "{status}"
    );
    let pages = fake
        .calls()
        .iter()
        .filter(|c| *c == "bigquery.tabledata.list")
        .count();
    ensure!(pages == 3, "{pages} pages of 50 rows");
    browser.screenshot("table-sampled").await?;
    let header = wait_text(client, "#data-source", Duration::from_secs(10), |t| {
        t.contains("Reading")
    })
    .await?;
    ensure!(
        header.contains("Streaming 2 messages sampled from projects/demobox-313313/topics/orders")
            && header.contains("Reading 123 rows of demobox-313313.ecommerce.orders")
            && header.contains("not saved or put in links"),
        "{header}"
    );
    let (summary, rows) = sluice_e2e::play_to_end(client).await?;
    ensure!(
        summary.contains("2 events") && summary.contains("0 dead-lettered"),
        "{summary}"
    );
    // Only customer 7 spent $5,000 on closed orders in the project's table.
    ensure!(rows == "1", "{rows} rows: {summary}");
    let results = client
        .find(Locator::Css(".results-pane"))
        .await?
        .text()
        .await?;
    ensure!(results.contains("6000"), "the row's total_spent: {results}");
    browser.screenshot("simulating-project-data").await?;
    // Only some rows: the filter is checked as it is typed, the query's cost
    // estimated dry and shown, and the query run within it.
    let filter = wait_for(client, "#catalog .rows-filter").await?;
    filter.send_keys("nope = 1").await?;
    let error = wait_text(
        client,
        "#catalog .rows-filter-error",
        Duration::from_secs(10),
        |t| !t.is_empty(),
    )
    .await?;
    ensure!(error.contains("nope"), "{error}");
    filter.clear().await?;
    filter.send_keys("order_status = 'Closed'").await?;
    sluice_e2e::click(client, "#catalog .estimate-rows:not([disabled])").await?;
    let estimate = wait_text(
        client,
        "#catalog .rows-estimate",
        Duration::from_secs(20),
        |t| t.contains("bills"),
    )
    .await?;
    ensure!(
        estimate.contains("BigQuery bills 10.0 MiB for it")
            && estimate.contains("WHERE (order_status = 'Closed'"),
        "{estimate}"
    );
    let queries_before = fake
        .calls()
        .iter()
        .filter(|c| *c == "bigquery.jobs.query")
        .count();
    ensure!(
        queries_before == 1,
        "only the dry run so far: {queries_before}"
    );
    browser.screenshot("table-query-estimated").await?;
    let violations = sluice_e2e::axe(client).await?;
    ensure!(
        violations.is_empty(),
        "axe-core with a table's rows pane and a query's estimate open: {violations:#?}"
    );
    sluice_e2e::click(client, "#catalog .run-query").await?;
    let status = wait_text(
        client,
        "#catalog .rows-status",
        Duration::from_secs(30),
        |t| t.contains("reads"),
    )
    .await?;
    ensure!(
        status.contains("The simulation reads 3 rows of demobox-313313.ecommerce.orders")
            && status.contains("(BigQuery billed 10.0 MiB)"),
        "{status}"
    );
    sluice_e2e::click(client, "#reset").await?;
    let (summary, rows) = sluice_e2e::play_to_end(client).await?;
    ensure!(
        rows == "1",
        "{rows} rows from the closed orders alone: {summary}"
    );
    // Back to generated tables: the header says so.
    sluice_e2e::click(client, "#use-generated-tables").await?;
    let header = wait_text(client, "#data-source", Duration::from_secs(10), |t| {
        !t.contains("Reading")
    })
    .await?;
    ensure!(header.contains("The tables are generated"), "{header}");
    ensure!(
        fake.state().subscriptions.is_empty(),
        "a subscription is left"
    );
    ensure!(fake.violations().is_empty(), "{:?}", fake.violations());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_runs_on_the_projects_own_messages_and_rows() -> Result<()> {
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .context("the fake Google Cloud")?;
    let topic = format!("projects/{PROJECT}/topics/orders");
    fake.state()
        .topics
        .insert(topic.clone(), json!({"name": topic}));
    // A topic whose schema sets binary encoding, which Dataflow cannot read.
    {
        let mut s = fake.state();
        let clicks = format!("projects/{PROJECT}/topics/clicks");
        let schema = format!("projects/{PROJECT}/schemas/clicks");
        s.topics.insert(
            clicks.clone(),
            json!({"name": clicks, "schemaSettings": {"schema": schema, "encoding": "BINARY"}}),
        );
        s.schemas.insert(
            schema,
            json!({"type": "AVRO", "definition":
                r#"{"type": "record", "name": "Click", "fields": [{"name": "page", "type": "string"}]}"#}),
        );
    }
    orders_table(&fake, 120);
    with_cloud(&fake, "project-data", project_data).await
}
