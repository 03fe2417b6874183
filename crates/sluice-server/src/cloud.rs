//! Google Cloud from the server and the CLI: where the APIs are, how requests are
//! authorized, where deployments are recorded, and the commands `sluice deploy`,
//! `sluice jobs`, `sluice cleanup` and `sluice generate … --project`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use serde_json::{Value, json};
use sluice_deploy::apply::{self, ManifestStore, Outcome, Progress, Stop};
use sluice_deploy::deploy::Request;
use sluice_deploy::gcp::{Auth, Client, GcpError, RetryPolicy};
use sluice_deploy::{Compiled, DeployPlan, Endpoints, Target};
use sluice_sql::{Catalog, Diagnostic};

/// Where Google's APIs are and how to reach them, from the environment:
/// `SLUICE_GCP_ENDPOINT` (one base URL for all three APIs, for a fake),
/// `SLUICE_GCP_ACCESS_TOKEN` (a bearer token instead of Application Default
/// Credentials) and `SLUICE_STATE_DIR` (where deployments are recorded).
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// The APIs' base URLs.
    pub endpoints: Endpoints,
    /// A fixed access token, if given.
    token: Option<String>,
    /// Where manifests live.
    pub state_dir: PathBuf,
}

impl CloudConfig {
    /// The configuration the environment gives.
    pub fn from_env() -> Self {
        let endpoints = std::env::var("SLUICE_GCP_ENDPOINT")
            .ok()
            .filter(|s| !s.is_empty())
            .map(|base| Endpoints::all_at(&base))
            .unwrap_or_default();
        let token = std::env::var("SLUICE_GCP_ACCESS_TOKEN")
            .ok()
            .filter(|s| !s.trim().is_empty());
        let state_dir = std::env::var_os("SLUICE_STATE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_STATE_HOME").map(|d| PathBuf::from(d).join("sluice")))
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/sluice"))
            })
            .unwrap_or_else(|| PathBuf::from(".sluice-state"));
        Self {
            endpoints,
            token,
            state_dir,
        }
    }

    /// A configuration for tests: `endpoints`, a fixed token, manifests in `state_dir`.
    pub fn with(endpoints: Endpoints, token: &str, state_dir: &Path) -> Self {
        Self {
            endpoints,
            token: Some(token.to_owned()),
            state_dir: state_dir.to_path_buf(),
        }
    }

    /// Where the credentials come from, for people (`None`: none found).
    pub fn credentials(&self) -> Option<String> {
        if self.token.is_some() {
            return Some("the access token in SLUICE_GCP_ACCESS_TOKEN".into());
        }
        if let Some(path) = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS")
            && Path::new(&path).is_file()
        {
            return Some(format!(
                "the key file in GOOGLE_APPLICATION_CREDENTIALS ({})",
                Path::new(&path).display()
            ));
        }
        let gcloud = std::env::var_os("CLOUDSDK_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/gcloud")))
            .map(|d| d.join("application_default_credentials.json"));
        if gcloud.as_ref().is_some_and(|p| p.is_file()) {
            return Some("gcloud's application default credentials".into());
        }
        // On Google Cloud the metadata server's credentials apply; that is only known
        // by asking it, which the first request does.
        None
    }

    /// An authorized client.
    pub fn client(&self) -> Result<Client, GcpError> {
        let auth = match &self.token {
            Some(token) => Auth::Bearer(token.clone()),
            None => Auth::application_default()?,
        };
        Client::new(self.endpoints.clone(), auth, RetryPolicy::default())
    }

    /// An authorized client whose credentials were checked before any step when
    /// no source of them is known here (no token, key file or gcloud file: only a
    /// metadata server could provide them), so that a missing one is said plainly.
    pub async fn ready_client(&self) -> Result<Client, GcpError> {
        let client = self.client()?;
        if self.credentials().is_none() {
            client.check_credentials().await?;
        }
        Ok(client)
    }

    /// The manifests of deployments.
    pub fn store(&self) -> ManifestStore {
        ManifestStore::new(self.state_dir.join("deployments"))
    }
}

pub use sluice_deploy::wire::DeployRequest;

/// Why a deploy request cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The catalog JSON is broken (where and why).
    #[error("catalog: {0}")]
    Catalog(String),
    /// A name Google would refuse.
    #[error(transparent)]
    Target(#[from] sluice_deploy::pipeline::InvalidTarget),
    /// The query has errors, or Beam SQL cannot express it.
    #[error("the query cannot be deployed: {}", .0.iter().map(|d| format!("{}:{} {}", d.span.start.line, d.span.start.column, d.message)).collect::<Vec<_>>().join("; "))]
    Query(Vec<Diagnostic>),
}

/// A request compiled and planned.
pub struct Prepared {
    /// Where it goes.
    pub target: Target,
    /// The pipeline.
    pub compiled: Compiled,
    /// The steps.
    pub plan: DeployPlan,
}

/// The target, compiled pipeline and plan of `request`, or why not.
pub fn prepare(request: &DeployRequest) -> Result<Prepared, Refused> {
    let catalog = match &request.catalog {
        Some(v) => Catalog::from_value(v).map_err(|e| Refused::Catalog(e.to_string()))?,
        None => Catalog::reference(),
    };
    let mut target = Target::for_query(&request.project, &request.region, &request.query);
    if let Some(j) = &request.job_name {
        target.job_name = j.clone();
        target.table = j.replace('-', "_");
        target.topic = format!("{j}-results");
    }
    if let Some(d) = &request.dataset {
        target.dataset = d.clone();
    }
    if let Some(t) = &request.table {
        target.table = t.clone();
    }
    if let Some(t) = &request.topic {
        target.topic = t.clone();
    }
    target.validate()?;
    let compiled =
        sluice_deploy::compile(&request.query, &catalog, &target).map_err(Refused::Query)?;
    let plan = DeployPlan::new(&compiled, &target);
    Ok(Prepared {
        target,
        compiled,
        plan,
    })
}

impl Prepared {
    /// What the UI and `--format json` show before anything happens.
    pub fn to_json(&self, endpoints: &Endpoints) -> Value {
        let mut out = self.plan.to_json(endpoints);
        out["sql"] = json!(self.compiled.sql);
        out["gcloud"] = json!(self.compiled.gcloud_command(&self.target));
        out["job_name"] = json!(self.target.job_name);
        out["destination_table"] = json!(format!(
            "{}.{}.{}",
            self.target.project, self.target.dataset, self.target.table
        ));
        out["destination_topic"] = json!(self.target.topic_path());
        out
    }
}

/// `sluice deploy … --plan`: the pipeline, the gcloud command and every request.
pub fn plan_text(prepared: &Prepared, endpoints: &Endpoints, json: bool) -> String {
    if json {
        return format!(
            "{}\n",
            serde_json::to_string_pretty(&prepared.plan.to_json(endpoints)).unwrap_or_default()
        );
    }
    format!(
        "# Beam YAML pipeline\n{}\n# The same with gcloud (after the steps below create its resources):\n#   {}\n\n# Steps\n{}",
        prepared.compiled.yaml,
        prepared.compiled.gcloud_command(&prepared.target),
        prepared.plan.to_human(endpoints)
    )
}

/// `sluice deploy … --apply`: runs the plan, printing each step; the job's id.
pub async fn apply_cli(config: &CloudConfig, prepared: &Prepared) -> anyhow::Result<String> {
    let client = config.ready_client().await?;
    let store = config.store();
    let steps = &prepared.plan.steps;
    let total = steps.len();
    let result = apply::apply(&client, &prepared.plan, &store, |p| match p {
        Progress::Started { index } => {
            eprint!("[{}/{total}] {} … ", index + 1, steps[index].title);
        }
        Progress::Done { outcome, .. } => eprintln!("{}", describe(&outcome)),
        Progress::Failed { error, .. } => eprintln!("failed\n    {error}"),
    })
    .await;
    match result {
        Ok(job_id) => {
            let m = store.load(&prepared.target.project, &prepared.target.job_name)?;
            if let Some(url) = m.and_then(|m| m.console_url()) {
                eprintln!("job {job_id} is starting: {url}");
            }
            eprintln!(
                "watch it with `sluice jobs`, remove it with `sluice cleanup {} --project {}`",
                prepared.target.job_name, prepared.target.project
            );
            Ok(job_id)
        }
        Err(e) => {
            if !e.created.is_empty() {
                eprintln!("created before the failure:");
                for r in &e.created {
                    eprintln!("  {}", r.describe());
                }
                eprintln!(
                    "roll back with `sluice cleanup {} --project {}`",
                    prepared.target.job_name, prepared.target.project
                );
            }
            Err(e.into())
        }
    }
}

/// A step's outcome in a few words.
pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Created => "created".into(),
        Outcome::AlreadyExisted => "already there (left as it is)".into(),
        Outcome::Checked => "ok".into(),
        Outcome::FoundJob { job_id } => format!("running already ({job_id})"),
        Outcome::NoJob => "none".into(),
        Outcome::Launched { job_id } => format!("launched ({job_id})"),
        Outcome::Skipped => "not needed".into(),
    }
}

/// `sluice jobs`: every recorded deployment, with its live state when Google answers.
pub async fn jobs_cli(config: &CloudConfig, as_json: bool) -> anyhow::Result<String> {
    let store = config.store();
    let manifests = store.list()?;
    let client = config.client().ok();
    let mut rows = Vec::new();
    for mut m in manifests {
        let status = match (&client, &m.job_id) {
            (Some(c), Some(_)) => apply::status(c, &store, &mut m)
                .await
                .map_err(|e| e.to_string()),
            (_, None) => Err("not launched".into()),
            (None, _) => Err("no credentials".into()),
        };
        rows.push((m, status));
    }
    if as_json {
        let items: Vec<Value> = rows
            .iter()
            .map(|(m, s)| {
                json!({
                    "project": m.project, "region": m.region, "job_name": m.job_name,
                    "job_id": m.job_id, "created": m.created, "console_url": m.console_url(),
                    "status": s.as_ref().ok(), "error": s.as_ref().err(),
                })
            })
            .collect();
        return Ok(format!("{}\n", serde_json::to_string_pretty(&items)?));
    }
    if rows.is_empty() {
        return Ok(format!(
            "no deployments recorded in {}\n",
            config.state_dir.display()
        ));
    }
    let mut out = String::new();
    for (m, s) in rows {
        let state = match &s {
            Ok(s) => s.state.short(),
            Err(e) => format!("? ({e})"),
        };
        out.push_str(&format!(
            "{}  {}  {}  {}  {} resources\n",
            m.project,
            m.job_name,
            m.job_id.as_deref().unwrap_or("-"),
            state,
            m.created.len()
        ));
    }
    Ok(out)
}

/// `sluice cleanup JOB --project P`: stops the job and deletes what Sluice created.
pub async fn cleanup_cli(
    config: &CloudConfig,
    project: &str,
    job_name: &str,
    stop: Stop,
    wait: Duration,
) -> anyhow::Result<()> {
    let store = config.store();
    let Some(mut m) = store.load(project, job_name)? else {
        bail!(
            "no deployment {job_name} in {project} is recorded in {}: Sluice deletes only what it recorded creating",
            config.state_dir.display()
        );
    };
    let client = config.ready_client().await?;
    let done = apply::cleanup(&client, &store, &mut m, stop, wait, Duration::from_secs(5)).await?;
    if let Some(state) = &done.job_state {
        eprintln!("job {job_name}: {state}");
    }
    for r in &done.deleted {
        eprintln!("deleted {}", r.describe());
    }
    for (r, why) in &done.kept {
        eprintln!("kept {}: {why}", r.describe());
    }
    if done.kept.is_empty() {
        Ok(())
    } else {
        bail!("some resources could not be deleted; run cleanup again")
    }
}

async fn ensure(client: &Client, request: &Request) -> anyhow::Result<()> {
    match client.send(request).await {
        Ok(_) => Ok(()),
        Err(e) if e.already_exists() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `sluice generate batch … --project P`: creates `P.ecommerce` with the
/// `customers` and `orders` tables if missing and loads the generated rows
/// (`tabledata.insertAll`, 500 rows a request, with insert ids so a retried
/// request adds nothing twice). Returns the row counts.
pub async fn load_batch(
    config: &CloudConfig,
    params: &sluice_datagen::BatchParams,
    project: &str,
) -> anyhow::Result<(usize, usize)> {
    let client = config.ready_client().await?;
    let catalog = Catalog::reference();
    ensure(
        &client,
        &Request::create_dataset(project, "ecommerce", None),
    )
    .await?;
    let customers: Vec<Value> = sluice_datagen::customers(params)
        .iter()
        .map(|c| c.to_json())
        .collect();
    let orders: Vec<Value> = sluice_datagen::orders(params)
        .iter()
        .map(|o| o.to_json())
        .collect();
    for (table, rows) in [("customers", &customers), ("orders", &orders)] {
        let source = catalog
            .sources
            .iter()
            .find(|s| s.dataset.is_some() && s.name == table)
            .context("the reference catalog names the table")?;
        let fields = sluice_sql::schema::schema_to_json(&source.schema);
        ensure(
            &client,
            &Request::create_table(project, "ecommerce", table, fields, None),
        )
        .await?;
        for (chunk_index, chunk) in rows.chunks(500).enumerate() {
            let body_rows: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    json!({"insertId": format!("sluice-{}-{table}-{}", params.seed, chunk_index * 500 + i), "json": row})
                })
                .collect();
            let answer = client
                .send(&Request::insert_rows(
                    project,
                    "ecommerce",
                    table,
                    body_rows,
                ))
                .await?;
            if let Some(errors) = answer["insertErrors"].as_array()
                && !errors.is_empty()
            {
                bail!(
                    "BigQuery refused {} rows of {table}, e.g. {}",
                    errors.len(),
                    errors[0]
                );
            }
        }
    }
    Ok((customers.len(), orders.len()))
}

/// `sluice generate stream … --project P`: publishes the stream's orders to
/// `projects/P/topics/TOPIC` (created if missing) at the generator's pace, until
/// `count` messages or `stop` resolves; the number published.
pub async fn publish_stream(
    config: &CloudConfig,
    params: sluice_datagen::StreamParams,
    project: &str,
    topic: &str,
    count: Option<u64>,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<u64> {
    let client = config.ready_client().await?;
    let name = format!("projects/{project}/topics/{topic}");
    ensure(&client, &Request::create_topic(&name, None)).await?;
    let mut published = 0u64;
    tokio::pin!(stop);
    for (gap, event) in sluice_datagen::Stream::new(params).paced(1.0) {
        if count.is_some_and(|c| published >= c) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(gap) => {}
            () = &mut stop => break,
        }
        let data = sluice_engine::value::base64(event.payload().to_string().as_bytes());
        client.send(&Request::publish(&name, &[data])).await?;
        published += 1;
    }
    Ok(published)
}
