//! The `sluice` command: serve the playground, and (as issues land) check,
//! simulate and deploy queries from the shell.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Sluice: a playground for streaming SQL on Google Cloud Dataflow.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app and the JSON API.
    Serve {
        /// Address to listen on (loopback by default).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Directory holding the built app (Trunk's output).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve { host, port, dist } => {
            sluice_server::serve(&host, port, &dist, |url| {
                println!("Sluice is serving {url}");
            })
            .await?;
        }
    }
    Ok(())
}
