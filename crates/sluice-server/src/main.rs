//! The `sluice` command: serve the playground, and (as issues land) check,
//! simulate and deploy queries from the shell.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use sluice_server::check::{self, Format};

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
    /// Analyze a query: diagnostics with positions, the output schema and the plan.
    ///
    /// Exit status: 0 without errors, 1 with errors, 2 for bad usage or an unreadable file.
    Check {
        /// The query file (`-` reads standard input).
        query: PathBuf,
        /// A catalog JSON file; the reference scenario's catalog by default.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Check {
        query,
        catalog,
        format,
    } = &cli.command
    {
        return match check::check(query, catalog.as_deref(), *format) {
            Ok((text, has_errors)) => {
                print!("{text}");
                if has_errors {
                    std::process::ExitCode::from(1)
                } else {
                    std::process::ExitCode::SUCCESS
                }
            }
            Err(e) => {
                eprintln!("sluice check: {e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn run(cli: Cli) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve { host, port, dist } => {
            sluice_server::serve(&host, port, &dist, |url| {
                println!("Sluice is serving {url}");
            })
            .await?;
        }
        Command::Check { .. } => unreachable!("handled before the runtime starts"),
    }
    Ok(())
}
