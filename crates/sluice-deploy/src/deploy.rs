//! The deploy plan: every step a deployment takes, each idempotent, and the exact
//! HTTP request each sends — shown before anything happens, printed by
//! `sluice deploy --plan`, and what [`crate::apply`] executes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sluice_sql::catalog::SourceKind;
use sluice_sql::schema::schema_to_json;

use crate::pipeline::{Compiled, Target};

/// Google's flex template that runs Beam YAML pipelines, in `region`.
pub fn yaml_template(region: &str) -> String {
    format!("gs://dataflow-templates-{region}/latest/flex/Yaml_Template")
}

/// The ways to give Sluice Google credentials, for the message that says none
/// were found (the CLI's and the page's). The first three are Application Default
/// Credentials' sources in `google-cloud-auth`'s order after the explicit token.
pub const CREDENTIALS_HELP: &str = "Provide them in one of these ways, then run again (restart `sluice serve`): \
SLUICE_GCP_ACCESS_TOKEN=<an access token, e.g. from `gcloud auth print-access-token`>; \
GOOGLE_APPLICATION_CREDENTIALS=<the path of a service account key file>; \
`gcloud auth application-default login` (gcloud's application default credentials); \
or run Sluice on Google Cloud, whose metadata server provides them.";

/// The label Sluice puts on everything it creates, with the job's name as value.
pub const LABEL: &str = "sluice-job";

/// Where Google's APIs live; tests point them at a fake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// Pub/Sub, e.g. `https://pubsub.googleapis.com/`.
    pub pubsub: String,
    /// BigQuery, e.g. `https://bigquery.googleapis.com/bigquery/v2/`.
    pub bigquery: String,
    /// Dataflow, e.g. `https://dataflow.googleapis.com/`.
    pub dataflow: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            pubsub: "https://pubsub.googleapis.com/".into(),
            bigquery: "https://bigquery.googleapis.com/bigquery/v2/".into(),
            dataflow: "https://dataflow.googleapis.com/".into(),
        }
    }
}

impl Endpoints {
    /// All three APIs under one base URL (a fake's), with Google's paths below it.
    pub fn all_at(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            pubsub: format!("{base}/"),
            bigquery: format!("{base}/bigquery/v2/"),
            dataflow: format!("{base}/"),
        }
    }
}

/// Which Google API a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// Pub/Sub v1.
    Pubsub,
    /// BigQuery v2.
    Bigquery,
    /// Dataflow v1b3.
    Dataflow,
}

/// Where one step of an apply stands, as the server reports it and the page shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// Not started.
    #[default]
    Pending,
    /// Its request is under way.
    Running,
    /// Done (created, found, or already there).
    Done,
    /// Failed: the apply stops here.
    Failed,
}

impl StepStatus {
    /// `pending`, `running`, `done` or `failed`, as it is serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// One HTTP request to Google.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The API.
    pub api: Api,
    /// The discovery document's method id, e.g. `pubsub.projects.topics.create`.
    pub call: String,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The path below the API's base URL, with its query string.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// The resource it is about, for messages.
    pub resource: String,
}

impl Request {
    /// The full URL under `endpoints`.
    pub fn url(&self, endpoints: &Endpoints) -> String {
        let base = match self.api {
            Api::Pubsub => &endpoints.pubsub,
            Api::Bigquery => &endpoints.bigquery,
            Api::Dataflow => &endpoints.dataflow,
        };
        format!("{base}{}", self.path)
    }

    /// `pubsub.projects.topics.create` of `name` (`projects/p/topics/t`), with
    /// `labels` when given.
    pub fn create_topic(name: &str, labels: Option<Value>) -> Self {
        let body = match labels {
            Some(labels) => json!({"labels": labels}),
            None => json!({}),
        };
        Self {
            api: Api::Pubsub,
            call: "pubsub.projects.topics.create".into(),
            method: "PUT".into(),
            path: format!("v1/{name}"),
            body: Some(body),
            resource: Resource::Topic {
                name: name.to_owned(),
            }
            .describe(),
        }
    }

    /// `pubsub.projects.topics.publish` of messages whose data is `data` (base64).
    pub fn publish(topic: &str, data: &[String]) -> Self {
        Self {
            api: Api::Pubsub,
            call: "pubsub.projects.topics.publish".into(),
            method: "POST".into(),
            path: format!("v1/{topic}:publish"),
            body: Some(json!({
                "messages": data.iter().map(|d| json!({"data": d})).collect::<Vec<_>>()
            })),
            resource: Resource::Topic {
                name: topic.to_owned(),
            }
            .describe(),
        }
    }

    /// `bigquery.datasets.insert` of `project.dataset`, with `labels` when given.
    pub fn create_dataset(project: &str, dataset: &str, labels: Option<Value>) -> Self {
        let mut body = json!({"datasetReference": {"projectId": project, "datasetId": dataset}});
        if let Some(labels) = labels {
            body["labels"] = labels;
        }
        Self {
            api: Api::Bigquery,
            call: "bigquery.datasets.insert".into(),
            method: "POST".into(),
            path: format!("projects/{project}/datasets"),
            body: Some(body),
            resource: Resource::Dataset {
                project: project.to_owned(),
                dataset: dataset.to_owned(),
            }
            .describe(),
        }
    }

    /// `bigquery.tables.insert` of `project.dataset.table` with the schema `fields`
    /// (BigQuery's JSON), with `labels` when given.
    pub fn create_table(
        project: &str,
        dataset: &str,
        table: &str,
        fields: Value,
        labels: Option<Value>,
    ) -> Self {
        let mut body = json!({
            "tableReference": {"projectId": project, "datasetId": dataset, "tableId": table},
            "schema": {"fields": fields},
        });
        if let Some(labels) = labels {
            body["labels"] = labels;
        }
        Self {
            api: Api::Bigquery,
            call: "bigquery.tables.insert".into(),
            method: "POST".into(),
            path: format!("projects/{project}/datasets/{dataset}/tables"),
            body: Some(body),
            resource: Resource::Table {
                project: project.to_owned(),
                dataset: dataset.to_owned(),
                table: table.to_owned(),
            }
            .describe(),
        }
    }

    /// `bigquery.tabledata.insertAll` of `rows` (`{"insertId", "json"}` each) into
    /// `project.dataset.table`.
    pub fn insert_rows(project: &str, dataset: &str, table: &str, rows: Vec<Value>) -> Self {
        Self {
            api: Api::Bigquery,
            call: "bigquery.tabledata.insertAll".into(),
            method: "POST".into(),
            path: format!("projects/{project}/datasets/{dataset}/tables/{table}/insertAll"),
            body: Some(json!({"rows": rows})),
            resource: Resource::Table {
                project: project.to_owned(),
                dataset: dataset.to_owned(),
                table: table.to_owned(),
            }
            .describe(),
        }
    }
}

/// A resource Sluice may create, and delete again at clean-up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// A Pub/Sub topic.
    Topic {
        /// `projects/p/topics/t`.
        name: String,
    },
    /// A BigQuery dataset.
    Dataset {
        /// The project.
        project: String,
        /// The dataset.
        dataset: String,
    },
    /// A BigQuery table.
    Table {
        /// The project.
        project: String,
        /// The dataset.
        dataset: String,
        /// The table.
        table: String,
    },
}

impl Resource {
    /// How the resource is shown: `topic projects/p/topics/t`, `table p.d.t`.
    pub fn describe(&self) -> String {
        match self {
            Self::Topic { name } => format!("topic {name}"),
            Self::Dataset { project, dataset } => format!("dataset {project}.{dataset}"),
            Self::Table {
                project,
                dataset,
                table,
            } => format!("table {project}.{dataset}.{table}"),
        }
    }

    /// The request that reads it (to check its label before deleting it).
    pub fn get_request(&self) -> Request {
        let delete = self.delete_request();
        Request {
            call: delete.call.replace(".delete", ".get"),
            method: "GET".into(),
            ..delete
        }
    }

    /// The request that deletes it.
    pub fn delete_request(&self) -> Request {
        match self {
            Self::Topic { name } => Request {
                api: Api::Pubsub,
                call: "pubsub.projects.topics.delete".into(),
                method: "DELETE".into(),
                path: format!("v1/{name}"),
                body: None,
                resource: self.describe(),
            },
            Self::Dataset { project, dataset } => Request {
                api: Api::Bigquery,
                call: "bigquery.datasets.delete".into(),
                method: "DELETE".into(),
                // Without deleteContents: a dataset someone added tables to stays.
                path: format!("projects/{project}/datasets/{dataset}"),
                body: None,
                resource: self.describe(),
            },
            Self::Table {
                project,
                dataset,
                table,
            } => Request {
                api: Api::Bigquery,
                call: "bigquery.tables.delete".into(),
                method: "DELETE".into(),
                path: format!("projects/{project}/datasets/{dataset}/tables/{table}"),
                body: None,
                resource: self.describe(),
            },
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Create a resource; one that already exists is fine (and is not Sluice's to delete).
    Create(Resource),
    /// Check a source table is there and readable, without running anything (a
    /// BigQuery dry run).
    Check,
    /// Look for an active job of the same name (a re-apply launches no second job).
    FindJob,
    /// Launch the Dataflow job.
    Launch,
}

/// One step of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// What it does, for people: "create the destination topic …".
    pub title: String,
    /// What it does, for the executor.
    pub action: Action,
    /// The request it sends.
    pub request: Request,
}

/// Every step of a deployment, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployPlan {
    /// Where the job runs and writes.
    pub project: String,
    /// The Dataflow region.
    pub region: String,
    /// The job's name.
    pub job_name: String,
    /// The pipeline the job runs.
    pub pipeline_yaml: String,
    /// The steps.
    pub steps: Vec<Step>,
}

fn labels(target: &Target) -> Value {
    json!({ LABEL: target.job_name })
}

/// The step that creates table `table` of the target's dataset with `fields`
/// (BigQuery schema JSON), labelled with the job.
fn create_table(target: &Target, table: &str, what: &str, fields: Value) -> Step {
    let project = &target.project;
    let resource = Resource::Table {
        project: project.clone(),
        dataset: target.dataset.clone(),
        table: table.to_owned(),
    };
    Step {
        title: format!(
            "create the table {project}.{}.{table} {what}",
            target.dataset
        ),
        action: Action::Create(resource.clone()),
        request: Request::create_table(
            project,
            &target.dataset,
            table,
            fields,
            Some(labels(target)),
        ),
    }
}

/// Percent-encodes a query-string value.
pub(crate) fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl DeployPlan {
    /// The plan that deploys `compiled` to `target` (whose names must be valid).
    pub fn new(compiled: &Compiled, target: &Target) -> Self {
        let mut steps = Vec::new();
        let project = &target.project;
        for input in &compiled.inputs {
            let s = &input.source;
            match s.kind {
                SourceKind::PubsubTopic => {
                    let name = s.resource_name();
                    let resource = Resource::Topic { name: name.clone() };
                    steps.push(Step {
                        title: format!("create the source topic {name} if it is missing"),
                        action: Action::Create(resource.clone()),
                        request: Request::create_topic(&name, Some(labels(target))),
                    });
                }
                SourceKind::BigQueryTable => {
                    let table = format!(
                        "{}.{}.{}",
                        s.project,
                        s.dataset.as_deref().unwrap_or_default(),
                        s.name
                    );
                    let columns: Vec<String> = s
                        .schema
                        .iter()
                        .map(|f| format!("`{}`", f.name.replace('`', "\\`")))
                        .collect();
                    steps.push(Step {
                        title: format!("check that the table {table} is readable (dry run)"),
                        action: Action::Check,
                        request: Request {
                            api: Api::Bigquery,
                            call: "bigquery.jobs.query".into(),
                            method: "POST".into(),
                            path: format!("projects/{project}/queries"),
                            body: Some(json!({
                                "query": format!("SELECT {} FROM `{table}`", columns.join(", ")),
                                "useLegacySql": false,
                                "dryRun": true,
                            })),
                            resource: format!("table {table}"),
                        },
                    });
                }
            }
        }
        let dataset = Resource::Dataset {
            project: project.clone(),
            dataset: target.dataset.clone(),
        };
        steps.push(Step {
            title: format!(
                "create the dataset {project}.{} if it is missing",
                target.dataset
            ),
            action: Action::Create(dataset.clone()),
            request: Request::create_dataset(project, &target.dataset, Some(labels(target))),
        });
        steps.push(create_table(
            target,
            &target.table,
            "with the query's schema",
            schema_to_json(&compiled.output_schema),
        ));
        // The dead-letter table beside it: what the pipeline could not read,
        // convert or write (see `pipeline::DEAD_LETTER_COLUMNS`).
        let dead_letter_fields: Vec<Value> = crate::pipeline::DEAD_LETTER_COLUMNS
            .iter()
            .map(|name| json!({"name": name, "type": "STRING", "mode": "NULLABLE"}))
            .collect();
        steps.push(create_table(
            target,
            &target.dead_letter_table(),
            "for the messages and rows the job cannot process",
            Value::Array(dead_letter_fields),
        ));
        let topic = Resource::Topic {
            name: target.topic_path(),
        };
        steps.push(Step {
            title: format!("create the destination topic {}", target.topic_path()),
            action: Action::Create(topic.clone()),
            request: Request::create_topic(&target.topic_path(), Some(labels(target))),
        });
        let jobs = format!("v1b3/projects/{project}/locations/{}/jobs", target.region);
        steps.push(Step {
            title: format!("look for an active job named {}", target.job_name),
            action: Action::FindJob,
            request: Request {
                api: Api::Dataflow,
                call: "dataflow.projects.locations.jobs.list".into(),
                method: "GET".into(),
                path: format!(
                    "{jobs}?filter=ACTIVE&name={}",
                    query_value(&target.job_name)
                ),
                body: None,
                resource: format!("job {}", target.job_name),
            },
        });
        steps.push(Step {
            title: format!(
                "launch the Dataflow job {} from the Yaml_Template flex template",
                target.job_name
            ),
            action: Action::Launch,
            request: Request {
                api: Api::Dataflow,
                call: "dataflow.projects.locations.flexTemplates.launch".into(),
                method: "POST".into(),
                path: format!(
                    "v1b3/projects/{project}/locations/{}/flexTemplates:launch",
                    target.region
                ),
                body: Some(json!({
                    "launchParameter": {
                        "jobName": target.job_name,
                        "containerSpecGcsPath": yaml_template(&target.region),
                        "parameters": {"yaml_pipeline": compiled.yaml},
                        "environment": {"additionalUserLabels": labels(target)},
                    }
                })),
                resource: format!("job {}", target.job_name),
            },
        });
        Self {
            project: project.clone(),
            region: target.region.clone(),
            job_name: target.job_name.clone(),
            pipeline_yaml: compiled.yaml.clone(),
            steps,
        }
    }

    /// What `sluice deploy --plan --format json` prints:
    /// `{"pipeline_yaml", "requests": [{"step", "method", "url", "body"}]}`.
    pub fn to_json(&self, endpoints: &Endpoints) -> Value {
        let requests: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                let mut r = json!({
                    "step": s.title,
                    "method": s.request.method,
                    "url": s.request.url(endpoints),
                });
                if let Some(body) = &s.request.body {
                    r["body"] = body.clone();
                }
                r
            })
            .collect();
        json!({"pipeline_yaml": self.pipeline_yaml, "requests": requests})
    }

    /// The plan for people: one numbered line a step, with its request.
    pub fn to_human(&self, endpoints: &Endpoints) -> String {
        let mut out = String::new();
        for (i, s) in self.steps.iter().enumerate() {
            out.push_str(&format!(
                "{:>2}. {}\n    {} {}\n",
                i + 1,
                s.title,
                s.request.method,
                s.request.url(endpoints)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_status_reads_back_from_its_own_spelling() {
        for status in [
            StepStatus::Pending,
            StepStatus::Running,
            StepStatus::Done,
            StepStatus::Failed,
        ] {
            let json = serde_json::to_value(status).expect("serializes");
            assert_eq!(json, status.as_str());
            assert_eq!(
                serde_json::from_value::<StepStatus>(json).expect("reads"),
                status
            );
        }
    }
    use sluice_sql::Catalog;
    use sluice_sql::reference::{PROJECT, QUERY};

    fn plan() -> DeployPlan {
        let target = Target::for_query(PROJECT, "europe-west1", QUERY);
        let compiled = crate::compile(QUERY, &Catalog::reference(), &target).expect("compiles");
        DeployPlan::new(&compiled, &target)
    }

    #[test]
    fn the_reference_plan_creates_what_the_job_needs_then_launches_it() {
        let plan = plan();
        let calls: Vec<&str> = plan.steps.iter().map(|s| s.request.call.as_str()).collect();
        assert_eq!(
            calls,
            [
                "pubsub.projects.topics.create",
                "bigquery.jobs.query",
                "bigquery.datasets.insert",
                "bigquery.tables.insert",
                "bigquery.tables.insert",
                "pubsub.projects.topics.create",
                "dataflow.projects.locations.jobs.list",
                "dataflow.projects.locations.flexTemplates.launch",
            ]
        );
        let json = plan.to_json(&Endpoints::default());
        let launch = &json["requests"][7];
        let dead_letter = &json["requests"][4]["body"];
        assert_eq!(
            dead_letter["tableReference"]["tableId"],
            format!("{}_dead_letter", plan.job_name.replace('-', "_"))
        );
        assert_eq!(dead_letter["schema"]["fields"][2]["name"], "payload");
        assert_eq!(
            launch["url"],
            format!(
                "https://dataflow.googleapis.com/v1b3/projects/{PROJECT}/locations/europe-west1/flexTemplates:launch"
            )
        );
        assert_eq!(
            launch["body"]["launchParameter"]["containerSpecGcsPath"],
            "gs://dataflow-templates-europe-west1/latest/flex/Yaml_Template"
        );
        assert_eq!(
            launch["body"]["launchParameter"]["parameters"]["yaml_pipeline"],
            json["pipeline_yaml"]
        );
        let table = &json["requests"][3]["body"];
        assert_eq!(table["schema"]["fields"][0]["name"], "event_timestamp");
        assert_eq!(table["schema"]["fields"][0]["mode"], "REQUIRED");
        assert_eq!(table["schema"]["fields"].as_array().map(Vec::len), Some(6));
        assert_eq!(
            json["requests"][1]["body"]["query"],
            format!(
                "SELECT `customer_id`, `amount`, `order_status`, `order_datetime` FROM `{PROJECT}.ecommerce.orders`"
            )
        );
    }

    #[test]
    fn every_created_resource_carries_the_job_label() {
        let plan = plan();
        for step in &plan.steps {
            if let Action::Create(_) = step.action {
                let body = step.request.body.as_ref().expect("a body");
                assert_eq!(body["labels"][LABEL], plan.job_name, "{}", step.title);
            }
        }
    }

    #[test]
    fn deleting_a_dataset_never_deletes_its_contents() {
        let r = Resource::Dataset {
            project: "p".into(),
            dataset: "d".into(),
        };
        assert!(!r.delete_request().path.contains("deleteContents"));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(query_value("sluice-1a"), "sluice-1a");
    }
}
