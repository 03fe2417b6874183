//! The `sluice` command: serve the playground, and (as issues land) check,
//! simulate and deploy queries from the shell.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use sluice_server::check::{self, Format};

// glibc's allocator spends much of a simulation freeing small rows; mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Write the reference scenario's data as newline-delimited JSON.
    #[command(subcommand)]
    Generate(Generate),
    /// Run a query over batch files and a stream file with the engine: the rows for
    /// the BigQuery destination, the Pub/Sub messages, every dropped event and why.
    ///
    /// Exit status: 0 ran, 1 the query has errors or a bad record stopped the run,
    /// 2 for bad usage or an unreadable file.
    Simulate {
        /// The query file (`-` reads standard input).
        query: PathBuf,
        /// Directory with one `<table>.jsonl` per BigQuery table the query reads.
        #[arg(long)]
        batch_dir: PathBuf,
        /// The stream's events, one JSON object a line (payload plus `event_timestamp`).
        #[arg(long)]
        stream: PathBuf,
        /// A catalog JSON file; the reference scenario's catalog by default.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// What to do with a record that does not fit its schema (always reported).
        #[arg(long, value_enum, default_value_t = BadRecord::Skip)]
        on_bad_record: BadRecord,
        /// Add `"lineage"` to the JSON: for each output row, the stream events and the
        /// bounded rows (with the table rows behind them) that produced it.
        #[arg(long)]
        lineage: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BadRecord {
    /// Report it on standard error and go on without it.
    Skip,
    /// Report it and stop with exit status 1.
    Fail,
}

#[derive(Debug, Subcommand)]
enum Generate {
    /// Customers and batch orders: `customers.jsonl` and `orders.jsonl` in --out.
    Batch {
        /// Customers 1..=N.
        #[arg(long, default_value_t = 100)]
        customer_count: u64,
        /// How many orders.
        #[arg(long, default_value_t = 1000)]
        order_count: u64,
        /// The random seed (same seed, same data).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Order status weights OPEN,CLOSED,CANCELLED.
        #[arg(long, default_value = "20,75,5")]
        status_mix: String,
        /// Draw customer ids from 1..=N instead of the original's 1..N-1.
        #[arg(long)]
        include_top_customer: bool,
        /// The output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Stream events: the order payload plus `event_timestamp`, one a line.
    Stream {
        /// Customer ids are drawn from 1..N-1 (as the original generator).
        #[arg(long, default_value_t = 100)]
        customer_range: u64,
        /// How many events.
        #[arg(long)]
        count: u64,
        /// The random seed (same seed, same data).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The first event's time, e.g. 2026-11-24T00:00:00Z.
        #[arg(long)]
        start: Option<String>,
        /// Order status weights OPEN,CLOSED,CANCELLED (default: all Open).
        #[arg(long, default_value = "100,0,0")]
        status_mix: String,
        /// Milliseconds between events MIN,MAX (the seed's pace: 1000,4000).
        #[arg(long, default_value = "1000,4000")]
        gap_ms: String,
        /// Draw customer ids from 1..=N instead of the original's 1..N-1.
        #[arg(long)]
        include_top_customer: bool,
        /// The output file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `generate` and `simulate`, which need no async runtime; returns the exit code.
fn run_offline(command: &Command) -> anyhow::Result<u8> {
    use sluice_datagen::{BatchParams, CustomerDraw, StatusMix, StreamParams};
    let draw = |inclusive: bool| {
        if inclusive {
            CustomerDraw::Inclusive
        } else {
            CustomerDraw::SeedCompatible
        }
    };
    let mix = |text: &str| StatusMix::parse(text).map_err(|e| anyhow::anyhow!("--status-mix: {e}"));
    let gaps = |text: &str| {
        sluice_datagen::parse_gap_millis(text).map_err(|e| anyhow::anyhow!("--gap-ms: {e}"))
    };
    match command {
        Command::Generate(Generate::Batch {
            customer_count,
            order_count,
            seed,
            status_mix,
            include_top_customer,
            out,
        }) => {
            if *customer_count == 0 {
                anyhow::bail!("--customer-count must be at least 1");
            }
            let params = BatchParams {
                customer_count: *customer_count,
                order_count: *order_count,
                seed: *seed,
                status_mix: mix(status_mix)?,
                customer_draw: draw(*include_top_customer),
                ..BatchParams::default()
            };
            let (c, o) = sluice_server::simulate::generate_batch(&params, out)?;
            eprintln!("wrote {} and {}", c.display(), o.display());
            Ok(0)
        }
        Command::Generate(Generate::Stream {
            customer_range,
            count,
            seed,
            start,
            status_mix,
            gap_ms,
            include_top_customer,
            out,
        }) => {
            let mut params = StreamParams {
                customer_range: *customer_range,
                seed: *seed,
                status_mix: mix(status_mix)?,
                gap_millis: gaps(gap_ms)?,
                customer_draw: draw(*include_top_customer),
                ..StreamParams::default()
            };
            if let Some(text) = start {
                params.start_micros =
                    sluice_engine::value::parse_timestamp(text).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--start: \"{text}\" is not a time like 2026-11-24T00:00:00Z"
                        )
                    })?;
            }
            sluice_server::simulate::generate_stream(params, *count, out)?;
            eprintln!("wrote {count} events to {}", out.display());
            Ok(0)
        }
        Command::Simulate {
            query,
            batch_dir,
            stream,
            catalog,
            format,
            on_bad_record,
            lineage,
        } => {
            let on_bad = match on_bad_record {
                BadRecord::Skip => sluice_engine::input::OnBadRecord::Skip,
                BadRecord::Fail => sluice_engine::input::OnBadRecord::Fail,
            };
            let done = sluice_server::simulate::simulate(
                query,
                batch_dir,
                stream,
                catalog.as_deref(),
                *format,
                on_bad,
                *lineage,
            )?;
            eprint!("{}", done.stderr);
            print!("{}", done.stdout);
            Ok(done.code)
        }
        _ => anyhow::bail!("not an offline command"),
    }
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
    if matches!(cli.command, Command::Generate(_) | Command::Simulate { .. }) {
        return match run_offline(&cli.command) {
            Ok(code) => std::process::ExitCode::from(code),
            Err(e) => {
                eprintln!("sluice: {e:#}");
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
        Command::Check { .. } | Command::Generate(_) | Command::Simulate { .. } => {
            unreachable!("handled before the runtime starts")
        }
    }
    Ok(())
}
