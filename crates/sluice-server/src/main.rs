//! The `sluice` command: serve the playground, and (as issues land) check,
//! simulate and deploy queries from the shell.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use std::time::Duration;

use sluice_server::check::{self, Format};
use sluice_server::cloud::{self, CloudConfig, DeployRequest};

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
    /// Compile a query into a Beam YAML pipeline and deploy it to Dataflow.
    ///
    /// Without --apply, prints the plan: the pipeline, the equivalent gcloud command,
    /// and every HTTP request in order (no credentials needed). With --apply, sends
    /// them, step by step; what it creates is recorded for `sluice cleanup`.
    ///
    /// Google's endpoints and credentials: Application Default Credentials, or
    /// SLUICE_GCP_ACCESS_TOKEN; SLUICE_GCP_ENDPOINT points all three APIs elsewhere
    /// (a fake); SLUICE_STATE_DIR holds the records (~/.local/state/sluice).
    Deploy {
        /// The query file (`-` reads standard input).
        query: PathBuf,
        /// The Google Cloud project that runs the job and holds its destinations.
        #[arg(long)]
        project: String,
        /// The Dataflow region.
        #[arg(long, default_value = "us-central1")]
        region: String,
        /// A catalog JSON file; the reference scenario's catalog by default.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// The job's name (default: sluice- and a hash of the query).
        #[arg(long)]
        job_name: Option<String>,
        /// The destination dataset.
        #[arg(long)]
        dataset: Option<String>,
        /// The destination table (default: the job's name).
        #[arg(long)]
        table: Option<String>,
        /// The destination topic (default: <job name>-results).
        #[arg(long)]
        topic: Option<String>,
        /// Only print the plan (the default).
        #[arg(long, conflicts_with = "apply")]
        plan: bool,
        /// Run the plan.
        #[arg(long)]
        apply: bool,
        /// Output format of the plan.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the deployments Sluice recorded, with their jobs' states.
    Jobs {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Stop a deployed job and delete exactly what Sluice created for it.
    Cleanup {
        /// The job's name.
        job_name: String,
        /// The project it runs in.
        #[arg(long)]
        project: String,
        /// Drain (finish in-flight data) instead of cancelling.
        #[arg(long)]
        drain: bool,
        /// How long to wait for the job to stop, in seconds.
        #[arg(long, default_value_t = 600)]
        wait: u64,
    },
    /// Run a query over batch files and a stream file with the engine: the rows for
    /// the BigQuery destination, the Pub/Sub messages, the dropped events and why.
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
        /// Which dropped events to list: counts by reason, or also every one kept.
        #[arg(long, value_enum, default_value_t = DropsArg::Summary)]
        drops: DropsArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DropsArg {
    /// How many by reason and operator, with an example (JSON: `dropped_by_reason`).
    Summary,
    /// Also every dropped event kept, one each (JSON: `dropped`).
    All,
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
        #[arg(long, required_unless_present = "project")]
        out: Option<PathBuf>,
        /// Load the tables into BigQuery (`P.ecommerce.customers`, `P.ecommerce.orders`)
        /// instead of writing files.
        #[arg(long, conflicts_with = "out")]
        project: Option<String>,
    },
    /// Stream events: the order payload plus `event_timestamp`, one a line.
    Stream {
        /// Customer ids are drawn from 1..N-1 (as the original generator).
        #[arg(long, default_value_t = 100)]
        customer_range: u64,
        /// How many events (with --project: until stopped when absent).
        #[arg(long, required_unless_present = "project")]
        count: Option<u64>,
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
        #[arg(long, required_unless_present = "project")]
        out: Option<PathBuf>,
        /// Publish to the topic `projects/P/topics/orders` at the stream's pace
        /// instead of writing a file (Ctrl-C stops, with a count).
        #[arg(long, conflicts_with = "out")]
        project: Option<String>,
        /// The topic to publish to, with --project.
        #[arg(long, default_value = "orders", requires = "project")]
        topic: String,
    },
}

impl Generate {
    fn draw(inclusive: bool) -> sluice_datagen::CustomerDraw {
        if inclusive {
            sluice_datagen::CustomerDraw::Inclusive
        } else {
            sluice_datagen::CustomerDraw::SeedCompatible
        }
    }

    fn mix(text: &str) -> anyhow::Result<sluice_datagen::StatusMix> {
        sluice_datagen::StatusMix::parse(text).map_err(|e| anyhow::anyhow!("--status-mix: {e}"))
    }

    /// The batch generator's parameters from `generate batch`'s flags.
    fn batch_params(&self) -> anyhow::Result<sluice_datagen::BatchParams> {
        let Self::Batch {
            customer_count,
            order_count,
            seed,
            status_mix,
            include_top_customer,
            ..
        } = self
        else {
            anyhow::bail!("not `generate batch`");
        };
        if *customer_count == 0 {
            anyhow::bail!("--customer-count must be at least 1");
        }
        Ok(sluice_datagen::BatchParams {
            customer_count: *customer_count,
            order_count: *order_count,
            seed: *seed,
            status_mix: Self::mix(status_mix)?,
            customer_draw: Self::draw(*include_top_customer),
            ..sluice_datagen::BatchParams::default()
        })
    }

    /// The stream generator's parameters from `generate stream`'s flags.
    fn stream_params(&self) -> anyhow::Result<sluice_datagen::StreamParams> {
        let Self::Stream {
            customer_range,
            seed,
            start,
            status_mix,
            gap_ms,
            include_top_customer,
            ..
        } = self
        else {
            anyhow::bail!("not `generate stream`");
        };
        let mut params = sluice_datagen::StreamParams {
            customer_range: *customer_range,
            seed: *seed,
            status_mix: Self::mix(status_mix)?,
            gap_millis: sluice_datagen::parse_gap_millis(gap_ms)
                .map_err(|e| anyhow::anyhow!("--gap-ms: {e}"))?,
            customer_draw: Self::draw(*include_top_customer),
            ..sluice_datagen::StreamParams::default()
        };
        if let Some(text) = start {
            params.start_micros = sluice_sql::literal::parse_timestamp(text).ok_or_else(|| {
                anyhow::anyhow!("--start: \"{text}\" is not a time like 2026-11-24T00:00:00Z")
            })?;
        }
        Ok(params)
    }
}

/// Runs `generate` and `simulate`, which need no async runtime; returns the exit code.
fn run_offline(command: &Command) -> anyhow::Result<u8> {
    match command {
        Command::Generate(g @ Generate::Batch { out: Some(out), .. }) => {
            let (c, o) = sluice_server::simulate::generate_batch(&g.batch_params()?, out)?;
            eprintln!("wrote {} and {}", c.display(), o.display());
            Ok(0)
        }
        Command::Generate(
            g @ Generate::Stream {
                count,
                out: Some(out),
                ..
            },
        ) => {
            let count = count.context("--count is needed with --out")?;
            sluice_server::simulate::generate_stream(g.stream_params()?, count, out)?;
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
            drops,
        } => {
            let on_bad = match on_bad_record {
                BadRecord::Skip => sluice_engine::input::OnBadRecord::Skip,
                BadRecord::Fail => sluice_engine::input::OnBadRecord::Fail,
            };
            let request = sluice_server::simulate::Request {
                query,
                batch_dir,
                stream,
                catalog: catalog.as_deref(),
                format: *format,
                on_bad,
                lineage: *lineage,
                drops: match drops {
                    DropsArg::Summary => sluice_server::simulate::Drops::Summary,
                    DropsArg::All => sluice_server::simulate::Drops::All,
                },
            };
            let done = sluice_server::simulate::simulate(&request, &mut std::io::stdout().lock())?;
            eprint!("{}", done.stderr);
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
    let offline = matches!(
        cli.command,
        Command::Generate(Generate::Batch { project: None, .. })
            | Command::Generate(Generate::Stream { project: None, .. })
            | Command::Simulate { .. }
    );
    if offline {
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
    let config = CloudConfig::from_env();
    match cli.command {
        Command::Serve { host, port, dist } => {
            sluice_server::serve(&host, port, &dist, config, |url| {
                println!("Sluice is serving {url}");
            })
            .await?;
        }
        Command::Deploy {
            query,
            project,
            region,
            catalog,
            job_name,
            dataset,
            table,
            topic,
            plan: _,
            apply,
            format,
        } => {
            let catalog = match catalog {
                Some(path) => {
                    let text = check::read_input(&path)?;
                    Some(
                        serde_json::from_str(&text)
                            .with_context(|| format!("{} is not JSON", path.display()))?,
                    )
                }
                None => None,
            };
            let request = DeployRequest {
                query: check::read_input(&query)?,
                catalog,
                project,
                region,
                job_name,
                dataset,
                table,
                topic,
            };
            let prepared = match cloud::prepare(&request) {
                Ok(p) => p,
                Err(cloud::Refused::Query(diagnostics)) => {
                    eprint!(
                        "{}",
                        sluice_sql::diagnostics::render_human(
                            &query.display().to_string(),
                            &request.query,
                            &diagnostics
                        )
                    );
                    return Err(anyhow::anyhow!("the query cannot be deployed"));
                }
                Err(e) => return Err(e.into()),
            };
            if apply {
                cloud::apply_cli(&config, &prepared).await?;
            } else {
                print!(
                    "{}",
                    cloud::plan_text(&prepared, &config.endpoints, format == Format::Json)
                );
            }
        }
        Command::Jobs { format } => {
            print!(
                "{}",
                cloud::jobs_cli(&config, format == Format::Json).await?
            );
        }
        Command::Cleanup {
            job_name,
            project,
            drain,
            wait,
        } => {
            let stop = if drain {
                sluice_deploy::apply::Stop::Drain
            } else {
                sluice_deploy::apply::Stop::Cancel
            };
            cloud::cleanup_cli(
                &config,
                &project,
                &job_name,
                stop,
                Duration::from_secs(wait),
            )
            .await?;
        }
        Command::Generate(
            ref g @ Generate::Batch {
                project: Some(ref project),
                ..
            },
        ) => {
            let (c, o) = cloud::load_batch(&config, &g.batch_params()?, project).await?;
            eprintln!("loaded {c} customers and {o} orders into {project}.ecommerce");
        }
        Command::Generate(
            ref g @ Generate::Stream {
                count,
                project: Some(ref project),
                ref topic,
                ..
            },
        ) => {
            let stop = async {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            let n = cloud::publish_stream(&config, g.stream_params()?, project, topic, count, stop)
                .await?;
            eprintln!("published {n} orders to projects/{project}/topics/{topic}");
        }
        Command::Check { .. } | Command::Generate(_) | Command::Simulate { .. } => {
            unreachable!("handled before the runtime starts")
        }
    }
    Ok(())
}
