//! The catalog: the sources a query may read, with their kind, boundedness and schema.
//!
//! A catalog file is JSON:
//! ```json
//! {
//!   "project": "demobox-313313",
//!   "topics": [{"name": "orders", "schema": [{"name": "event_timestamp", "type": "TIMESTAMP", "mode": "REQUIRED"}]}],
//!   "tables": [{"dataset": "ecommerce", "name": "orders", "schema": [{"name": "customer_id", "type": "INT64"}]}]
//! }
//! ```
//! `project` is the default for topics and tables that do not name their own.
//! Schemas are BigQuery schema JSON ([`crate::schema`]). A topic whose messages
//! are not JSON says what they are in `"payload"` (e.g. `"BINARY-encoded Avro
//! (projects/p/schemas/s)"`): the deployed pipeline cannot read it ([`Payload`]).

use serde_json::Value;

use crate::schema::{SchemaError, schema_from_value, schema_to_json};
use crate::types::{DataType, Field, Mode};

/// The column Dataflow SQL adds to every Pub/Sub row: the message's publish time.
pub const EVENT_TIMESTAMP: &str = "event_timestamp";

/// What kind of source a catalog entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A Pub/Sub topic: unbounded, JSON messages, `event_timestamp` is the publish time.
    PubsubTopic,
    /// A BigQuery table: bounded.
    BigQueryTable,
}

/// How a topic's messages are written, as far as the deployed pipeline goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Payload {
    /// JSON objects, which the pipeline reads (the default).
    #[default]
    Json,
    /// Something the pipeline cannot read, said as it is (a topic whose
    /// Pub/Sub schema sets binary encoding): Dataflow would refuse every message.
    Unreadable(String),
}

/// A source a query can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Topic or table.
    pub kind: SourceKind,
    /// The Google Cloud project holding it.
    pub project: String,
    /// The BigQuery dataset (tables only).
    pub dataset: Option<String>,
    /// The topic or table name.
    pub name: String,
    /// Its columns.
    pub schema: Vec<Field>,
    /// How a topic's messages are written (tables: always [`Payload::Json`]).
    pub payload: Payload,
}

/// `name` as it is written in a query: as it is when it is a plain identifier,
/// else in backquotes (a topic such as `vip-results`).
fn quoted_if_needed(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

impl Source {
    /// Whether the source is finite (BigQuery tables) rather than a stream (Pub/Sub topics).
    pub fn is_bounded(&self) -> bool {
        self.kind == SourceKind::BigQueryTable
    }

    /// The name as written in Dataflow SQL, e.g. ``pubsub.topic.`p`.orders``.
    pub fn sql_name(&self) -> String {
        let name = quoted_if_needed(&self.name);
        match (&self.kind, &self.dataset) {
            (SourceKind::PubsubTopic, _) => {
                format!("pubsub.topic.`{}`.{name}", self.project)
            }
            (SourceKind::BigQueryTable, Some(d)) => {
                format!(
                    "bigquery.table.`{}`.{}.{name}",
                    self.project,
                    quoted_if_needed(d)
                )
            }
            (SourceKind::BigQueryTable, None) => {
                format!("bigquery.table.`{}`.{name}", self.project)
            }
        }
    }

    /// The resource path Google's APIs use (`projects/p/topics/t`, `p.dataset.table`).
    pub fn resource_name(&self) -> String {
        match (&self.kind, &self.dataset) {
            (SourceKind::PubsubTopic, _) => {
                format!("projects/{}/topics/{}", self.project, self.name)
            }
            (SourceKind::BigQueryTable, Some(d)) => format!("{}.{}.{}", self.project, d, self.name),
            (SourceKind::BigQueryTable, None) => format!("{}.{}", self.project, self.name),
        }
    }
}

/// A catalog file that could not be read: where (a JSON path) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog: {0}")]
pub struct CatalogError(#[from] pub SchemaError);

/// The sources known to the analyzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The default project.
    pub project: String,
    /// Topics and tables, in declaration order.
    pub sources: Vec<Source>,
}

/// How a name in `FROM` matched the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Exactly one source.
    Found(&'a Source),
    /// The name does not start with `pubsub.topic.` or `bigquery.table.`.
    NotASource,
    /// A well-formed source name that the catalog does not hold; similar names follow.
    Unknown {
        /// The kind the name asked for.
        kind: SourceKind,
        /// Catalog names of the same kind, closest first.
        suggestions: Vec<String>,
    },
}

impl Catalog {
    /// The reference scenario's catalog: topic `orders` with the seed's schema and the
    /// generator's tables `ecommerce.orders` and `ecommerce.customers`, in project `demobox-313313`.
    pub fn reference() -> Self {
        let project = crate::reference::PROJECT.to_string();
        let topic_schema = vec![
            Field::new(EVENT_TIMESTAMP, DataType::Timestamp).with_mode(Mode::Required),
            Field::new("customer_id", DataType::Int64),
            Field::new("amount", DataType::Float64),
            Field::new("order_status", DataType::String),
            Field::new("order_datetime", DataType::String),
        ];
        let table = |name: &str, schema: Vec<Field>| Source {
            kind: SourceKind::BigQueryTable,
            project: project.clone(),
            dataset: Some("ecommerce".into()),
            name: name.into(),
            schema,
            payload: Payload::Json,
        };
        let orders = vec![
            Field::new("customer_id", DataType::Int64),
            Field::new("amount", DataType::Float64),
            Field::new("order_status", DataType::String),
            Field::new("order_datetime", DataType::Timestamp),
        ];
        let s = |name: &str| Field::new(name, DataType::String);
        let customers = vec![
            Field::new("customer_id", DataType::Int64).with_mode(Mode::Required),
            s("name"),
            s("username"),
            s("sex"),
            s("address"),
            s("mail"),
            Field::new("birthdate", DataType::Date),
            s("job"),
            s("company"),
            s("blood_group"),
            Field::new("website", DataType::Array(Box::new(DataType::String)))
                .with_mode(Mode::Repeated),
            s("residence"),
            Field::new(
                "current_location",
                DataType::Struct(vec![
                    Field::new("lat", DataType::Float64),
                    Field::new("lng", DataType::Float64),
                ]),
            ),
            s("ssn"),
        ];
        Self {
            sources: vec![
                Source {
                    kind: SourceKind::PubsubTopic,
                    project: project.clone(),
                    dataset: None,
                    name: "orders".into(),
                    schema: topic_schema,
                    payload: Payload::Json,
                },
                table("orders", orders),
                table("customers", customers),
            ],
            project,
        }
    }

    /// Reads a catalog file (see the module docs for the format).
    pub fn from_json(text: &str) -> Result<Self, CatalogError> {
        let value: Value = serde_json::from_str(text).map_err(|e| SchemaError {
            path: String::new(),
            message: format!("not valid JSON: {e}"),
            line: Some(e.line()),
            column: Some(e.column()),
        })?;
        Self::from_value(&value)
    }

    /// Reads a catalog from a parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, CatalogError> {
        let err = |path: &str, message: String| {
            CatalogError(SchemaError {
                path: path.into(),
                message,
                line: None,
                column: None,
            })
        };
        let Value::Object(map) = value else {
            return Err(err(
                "",
                "expected an object with \"project\", \"topics\" and \"tables\"".into(),
            ));
        };
        for key in map.keys() {
            if !["project", "topics", "tables"].contains(&key.as_str()) {
                return Err(err(
                    key,
                    format!("unknown key \"{key}\" (expected project, topics, tables)"),
                ));
            }
        }
        let project = match map.get("project") {
            Some(Value::String(p)) if !p.is_empty() => p.clone(),
            Some(_) => return Err(err("project", "expected a non-empty string".into())),
            None => {
                return Err(err(
                    "",
                    "missing \"project\" (the default Google Cloud project)".into(),
                ));
            }
        };
        let mut sources = Vec::new();
        for (key, kind) in [
            ("topics", SourceKind::PubsubTopic),
            ("tables", SourceKind::BigQueryTable),
        ] {
            let items = match map.get(key) {
                None => continue,
                Some(Value::Array(items)) => items,
                Some(_) => return Err(err(key, "expected an array".into())),
            };
            for (i, item) in items.iter().enumerate() {
                let path = format!("{key}[{i}]");
                let source = read_source(item, &path, kind, &project)?;
                if sources
                    .iter()
                    .any(|s: &Source| s.sql_name() == source.sql_name())
                {
                    return Err(err(
                        &path,
                        format!("{} is declared twice", source.sql_name()),
                    ));
                }
                sources.push(source);
            }
        }
        Ok(Self { project, sources })
    }

    /// Renders the catalog in the file format [`Catalog::from_json`] reads.
    pub fn to_json(&self) -> Value {
        let entry = |s: &Source| {
            let mut map = serde_json::Map::new();
            if s.project != self.project {
                map.insert("project".into(), Value::String(s.project.clone()));
            }
            if let Some(d) = &s.dataset {
                map.insert("dataset".into(), Value::String(d.clone()));
            }
            map.insert("name".into(), Value::String(s.name.clone()));
            map.insert("schema".into(), schema_to_json(&s.schema));
            if let Payload::Unreadable(what) = &s.payload {
                map.insert("payload".into(), Value::String(what.clone()));
            }
            Value::Object(map)
        };
        let of = |kind| {
            Value::Array(
                self.sources
                    .iter()
                    .filter(|s| s.kind == kind)
                    .map(entry)
                    .collect(),
            )
        };
        serde_json::json!({
            "project": self.project,
            "topics": of(SourceKind::PubsubTopic),
            "tables": of(SourceKind::BigQueryTable),
        })
    }

    /// Resolves a multi-part name from `FROM` (e.g. `["pubsub", "topic", "p", "orders"]`).
    pub fn lookup(&self, parts: &[String]) -> Lookup<'_> {
        let lower: Vec<String> = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
        let (kind, rest) = match lower.as_slice() {
            [a, b, ..] if a == "pubsub" && b == "topic" => (SourceKind::PubsubTopic, &parts[2..]),
            [a, b, ..] if a == "bigquery" && b == "table" => {
                (SourceKind::BigQueryTable, &parts[2..])
            }
            _ => return Lookup::NotASource,
        };
        let found = self.sources.iter().find(|s| {
            s.kind == kind
                && match (kind, rest) {
                    (SourceKind::PubsubTopic, [p, t]) => *p == s.project && *t == s.name,
                    (SourceKind::BigQueryTable, [p, d, t]) => {
                        *p == s.project && s.dataset.as_deref() == Some(d.as_str()) && *t == s.name
                    }
                    _ => false,
                }
        });
        match found {
            Some(source) => Lookup::Found(source),
            None => {
                let wanted = parts.join(".");
                let mut suggestions: Vec<(usize, String)> = self
                    .sources
                    .iter()
                    .filter(|s| s.kind == kind)
                    .map(|s| {
                        (
                            edit_distance(&wanted, &s.sql_name().replace('`', "")),
                            s.sql_name(),
                        )
                    })
                    .collect();
                suggestions.sort();
                Lookup::Unknown {
                    kind,
                    suggestions: suggestions.into_iter().map(|(_, n)| n).collect(),
                }
            }
        }
    }
}

fn read_source(
    item: &Value,
    path: &str,
    kind: SourceKind,
    default_project: &str,
) -> Result<Source, CatalogError> {
    let err = |p: String, message: String| {
        CatalogError(SchemaError {
            path: p,
            message,
            line: None,
            column: None,
        })
    };
    let Value::Object(map) = item else {
        return Err(err(path.into(), "expected an object".into()));
    };
    let allowed: &[&str] = match kind {
        SourceKind::PubsubTopic => &["project", "name", "schema", "payload"],
        SourceKind::BigQueryTable => &["project", "dataset", "name", "schema"],
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(err(
                format!("{path}.{key}"),
                format!("unknown key \"{key}\" (expected {})", allowed.join(", ")),
            ));
        }
    }
    let string = |key: &str, required: bool| -> Result<Option<String>, CatalogError> {
        match map.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(err(
                format!("{path}.{key}"),
                "expected a non-empty string".into(),
            )),
            None if required => Err(err(path.into(), format!("missing \"{key}\""))),
            None => Ok(None),
        }
    };
    let name = string("name", true)?.unwrap_or_default();
    let project = string("project", false)?.unwrap_or_else(|| default_project.to_string());
    let dataset = if kind == SourceKind::BigQueryTable {
        string("dataset", true)?
    } else {
        None
    };
    let schema_value = map
        .get("schema")
        .ok_or_else(|| err(path.into(), "missing \"schema\"".into()))?;
    let schema = schema_from_value(schema_value, &format!("{path}.schema"))?;
    if kind == SourceKind::PubsubTopic {
        match schema
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(EVENT_TIMESTAMP))
        {
            None => {
                return Err(err(
                    format!("{path}.schema"),
                    format!(
                        "a Pub/Sub topic schema needs an \"{EVENT_TIMESTAMP}\" field of type TIMESTAMP (the publish time Dataflow adds to every message)"
                    ),
                ));
            }
            Some(i) if schema[i].data_type != DataType::Timestamp => {
                return Err(err(
                    format!("{path}.schema[{i}].type"),
                    format!(
                        "\"{EVENT_TIMESTAMP}\" must be TIMESTAMP, not {}",
                        schema[i].data_type
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let payload = match string("payload", false)? {
        Some(what) => Payload::Unreadable(what),
        None => Payload::Json,
    };
    Ok(Source {
        kind,
        project,
        dataset,
        name,
        schema,
        payload,
    })
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn a_topics_payload_round_trips_and_only_topics_have_one() {
        let mut catalog = Catalog::reference();
        catalog.sources[0].payload = Payload::Unreadable("BINARY-encoded Avro".into());
        let json = catalog.to_json();
        assert_eq!(json["topics"][0]["payload"], "BINARY-encoded Avro");
        assert!(json["tables"][0].get("payload").is_none());
        assert_eq!(Catalog::from_value(&json).expect("reads"), catalog);
        let table = serde_json::json!({"project": "p", "tables": [{"dataset": "d", "name": "t",
            "schema": [{"name": "a", "type": "INT64"}], "payload": "x"}]});
        assert!(Catalog::from_value(&table).is_err());
    }

    #[test]
    fn names_that_are_not_plain_identifiers_are_quoted_so_they_analyze() {
        let mut catalog = Catalog::reference();
        catalog.sources[0].name = "vip-results".into();
        catalog.sources[1].dataset = Some("sales-eu".into());
        assert_eq!(
            catalog.sources[0].sql_name(),
            "pubsub.topic.`demobox-313313`.`vip-results`"
        );
        assert_eq!(
            catalog.sources[1].sql_name(),
            "bigquery.table.`demobox-313313`.`sales-eu`.orders"
        );
        for source in &catalog.sources[..2] {
            let query = format!("SELECT * FROM {}", source.sql_name());
            let analysis = crate::analyze(&query, &catalog);
            assert!(
                !analysis.has_errors(),
                "{query}: {:?}",
                analysis.diagnostics
            );
        }
    }

    #[test]
    fn the_reference_catalog_has_the_seed_sources() {
        let catalog = Catalog::reference();
        let names: Vec<_> = catalog.sources.iter().map(Source::sql_name).collect();
        assert_eq!(
            names,
            [
                "pubsub.topic.`demobox-313313`.orders",
                "bigquery.table.`demobox-313313`.ecommerce.orders",
                "bigquery.table.`demobox-313313`.ecommerce.customers"
            ]
        );
        let seed = crate::schema::parse_schema_json(crate::reference::ORDERS_TOPIC_SCHEMA_JSON)
            .expect("seed schema");
        assert_eq!(
            catalog.sources[0].schema, seed,
            "the topic has exactly the seed's schema"
        );
        assert!(!catalog.sources[0].is_bounded());
        assert!(catalog.sources[1].is_bounded());
    }

    #[test]
    fn lookup_finds_and_suggests() {
        let catalog = Catalog::reference();
        assert!(
            matches!(catalog.lookup(&parts("pubsub.topic.demobox-313313.orders")), Lookup::Found(s) if s.name == "orders")
        );
        assert!(matches!(
            catalog.lookup(&parts("bigquery.table.demobox-313313.ecommerce.customers")),
            Lookup::Found(_)
        ));
        assert_eq!(catalog.lookup(&parts("my.table")), Lookup::NotASource);
        match catalog.lookup(&parts("pubsub.topic.demobox-313313.order")) {
            Lookup::Unknown { kind, suggestions } => {
                assert_eq!(kind, SourceKind::PubsubTopic);
                assert_eq!(suggestions, ["pubsub.topic.`demobox-313313`.orders"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn catalog_json_round_trips() {
        let catalog = Catalog::reference();
        let again = Catalog::from_json(&catalog.to_json().to_string()).expect("round trip");
        assert_eq!(again, catalog);
    }

    #[test]
    fn catalog_errors_name_the_path() {
        let cases = [
            (r#"{"topics": []}"#, "missing \"project\""),
            (
                r#"{"project": "p", "topics": [{"name": "t", "schema": [{"name": "a", "type": "INT64"}]}]}"#,
                "topics[0].schema: a Pub/Sub topic schema needs an \"event_timestamp\"",
            ),
            (
                r#"{"project": "p", "tables": [{"name": "t", "schema": [{"name": "a", "type": "INT64"}]}]}"#,
                "tables[0]: missing \"dataset\"",
            ),
            (
                r#"{"project": "p", "tables": [{"dataset": "d", "name": "t", "schema": [{"name": "a", "type": "BAD"}]}]}"#,
                "tables[0].schema[0].type: unknown type \"BAD\"",
            ),
            (r#"{"project": "p", "views": []}"#, "views: unknown key"),
            (r#"{"project": "p", "#, "not valid JSON"),
        ];
        for (text, expected) in cases {
            let err = Catalog::from_json(text).expect_err(text).to_string();
            assert!(
                err.contains(expected),
                "{text}: got {err:?}, expected {expected:?}"
            );
        }
    }
}
