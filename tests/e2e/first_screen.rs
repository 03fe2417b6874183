//! The first screen: the server serves the built app and Chromium renders it.

use std::time::Duration;

use anyhow::{Context, Result};
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

    let editor = client.find(Locator::Css("textarea#query")).await?;
    let value = editor.prop("value").await?.unwrap_or_default();
    assert_eq!(value, sluice_sql::reference::QUERY);
    assert!(value.contains("pubsub.topic.`demobox-313313`.orders"));

    let path = browser.screenshot("first-screen").await?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
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
