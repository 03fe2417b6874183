//! A real project's catalog: its Pub/Sub topics and BigQuery tables as catalog
//! sources, read with `pubsub.projects.topics.list`, `bigquery.datasets.list`,
//! `bigquery.tables.list` and `bigquery.tables.get`, every page followed. The
//! requests and the reading of the answers are pure; [`load`] (feature `cloud`)
//! sends them. A topic with a Pub/Sub schema has it read with
//! `pubsub.projects.schemas.get` (an Avro one becomes the fields the deployed
//! pipeline reads: [`crate::avro`]). Field names are the discovery documents'
//! (`crates/sluice-fake-gcp/discovery/`:
//! `ListTopicsResponse.topics`/`nextPageToken`, `Topic.schemaSettings`
//! (`schema`, `encoding`), `Schema.type`/`definition`,
//! `DatasetList.datasets[].datasetReference`, `TableList.tables[].tableReference`
//! and `type`, `Table.schema`).

use serde_json::Value;
use sluice_sql::catalog::{EVENT_TIMESTAMP, Payload, Source, SourceKind};
use sluice_sql::schema::schema_from_value;
use sluice_sql::types::{DataType, Field, Mode};

use crate::deploy::{Api, Request};

/// The most pages one list is followed for (a project with more is cut short, and
/// the result says so).
pub const MAX_PAGES: usize = 100;

/// The most tables read with `tables.get` in one load.
pub const MAX_TABLES: usize = 1_000;

/// A list call's page: its items and the token of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<String>,
}

/// A topic as `topics.list` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTopic {
    /// Its short name (`orders` of `projects/p/topics/orders`).
    pub name: String,
    /// Its Pub/Sub schema (`projects/p/schemas/s`) and encoding, when it has one.
    pub schema: Option<(String, String)>,
}

/// A table as `tables.list` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTable {
    /// The table's id.
    pub table: String,
    /// `TABLE`, `VIEW`, `EXTERNAL`, `MATERIALIZED_VIEW`, `SNAPSHOT`, …
    pub kind: String,
}

/// What a load found: the sources, and what it says about the rest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    /// Topics (with `event_timestamp` alone unless Sluice reads their schema) and
    /// tables with their schemas.
    pub sources: Vec<Source>,
    /// What was left out or left open, and why.
    pub notes: Vec<String>,
    /// The SQL names of the topics whose fields came from their Pub/Sub schema.
    pub typed_topics: Vec<String>,
}

/// A query string value, escaped as a URL needs it (RFC 3986 unreserved
/// characters stay).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn with_token(path: String, token: Option<&str>) -> String {
    match token {
        Some(t) => format!("{path}&pageToken={}", escape(t)),
        None => path,
    }
}

/// `pubsub.projects.topics.list` of `project`, from `token`'s page.
pub fn list_topics(project: &str, token: Option<&str>) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.topics.list".into(),
        method: "GET".into(),
        path: with_token(format!("v1/projects/{project}/topics?pageSize=100"), token),
        body: None,
        resource: format!("projects/{project}"),
    }
}

/// `bigquery.datasets.list` of `project`, from `token`'s page.
pub fn list_datasets(project: &str, token: Option<&str>) -> Request {
    Request {
        api: Api::Bigquery,
        call: "bigquery.datasets.list".into(),
        method: "GET".into(),
        path: with_token(format!("projects/{project}/datasets?maxResults=100"), token),
        body: None,
        resource: format!("projects/{project}"),
    }
}

/// `bigquery.tables.list` of `project.dataset`, from `token`'s page.
pub fn list_tables(project: &str, dataset: &str, token: Option<&str>) -> Request {
    Request {
        api: Api::Bigquery,
        call: "bigquery.tables.list".into(),
        method: "GET".into(),
        path: with_token(
            format!("projects/{project}/datasets/{dataset}/tables?maxResults=100"),
            token,
        ),
        body: None,
        resource: format!("{project}.{dataset}"),
    }
}

/// `bigquery.tables.get` of `project.dataset.table`, its schema only.
pub fn get_table(project: &str, dataset: &str, table: &str) -> Request {
    Request {
        api: Api::Bigquery,
        call: "bigquery.tables.get".into(),
        method: "GET".into(),
        path: format!("projects/{project}/datasets/{dataset}/tables/{table}?selectedFields=schema"),
        body: None,
        resource: format!("{project}.{dataset}.{table}"),
    }
}

/// `pubsub.projects.schemas.get` of `name` (`projects/p/schemas/s`), with its
/// definition (view `FULL`).
pub fn get_schema(name: &str) -> Request {
    Request {
        api: Api::Pubsub,
        call: "pubsub.projects.schemas.get".into(),
        method: "GET".into(),
        path: format!("v1/{name}?view=FULL"),
        body: None,
        resource: name.to_string(),
    }
}

/// The name `Topic.schemaSettings.schema` holds once the schema was deleted.
pub const DELETED_SCHEMA: &str = "_deleted-schema_";

/// A topic's source from its Pub/Sub schema (`schemas.get`'s answer) and its
/// messages' `encoding`: an Avro schema's fields as the deployed pipeline reads
/// them, with notes; the `bool` says whether the fields came from the schema.
pub fn schema_topic(
    project: &str,
    topic: &str,
    encoding: &str,
    answer: &Value,
) -> (Source, Vec<String>, bool) {
    let mut source = topic_source(project, topic);
    let schema = answer["name"].as_str().unwrap_or("its schema");
    let definition = answer["definition"].as_str().unwrap_or_default();
    let (kind, read) = match answer["type"].as_str() {
        Some("AVRO") => ("Avro", crate::avro::avro_fields(definition, encoding)),
        Some("PROTOCOL_BUFFER") => (
            "Protocol Buffer",
            protocol_buffer_fields(definition, encoding),
        ),
        other => {
            let note = format!(
                "topic {topic}: its Pub/Sub schema {schema} is {}, which Sluice does not read; its fields are for you to give, or to infer from sample messages",
                other.unwrap_or("of no known type")
            );
            return (source, vec![note], false);
        }
    };
    let read = match read {
        Ok(read) => read,
        Err(why) => {
            let note = format!("topic {topic}: {schema} does not read: {why}");
            return (source, vec![note], false);
        }
    };
    if encoding != "JSON" {
        source.payload = Payload::Unreadable(format!("{encoding}-encoded {kind} ({schema})"));
    }
    let typed = !read.fields.is_empty();
    let mut notes = Vec::new();
    if typed {
        notes.push(format!(
            "topic {topic}: {} from the {kind} schema {schema} ({encoding})",
            fields_count(read.fields.len())
        ));
    }
    source.schema.extend(read.fields);
    notes.extend(read.notes.iter().map(|n| format!("topic {topic}: {n}")));
    (source, notes, typed)
}

/// `1 field`, `2 fields`.
fn fields_count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "field" } else { "fields" })
}

/// A Protocol Buffer schema's fields (the server reads them; the page's build
/// has no `.proto` parser).
#[cfg(feature = "cloud")]
fn protocol_buffer_fields(
    definition: &str,
    encoding: &str,
) -> Result<crate::avro::ReadFields, String> {
    crate::proto::proto_fields(definition, encoding)
}

#[cfg(not(feature = "cloud"))]
fn protocol_buffer_fields(_: &str, _: &str) -> Result<crate::avro::ReadFields, String> {
    Err("Protocol Buffer schemas are read by the server".into())
}

fn next_token(answer: &Value) -> Option<String> {
    answer["nextPageToken"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn items<'a>(answer: &'a Value, key: &str) -> Result<&'a [Value], String> {
    match &answer[key] {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        other => Err(format!("\"{key}\" is not a list but {other}")),
    }
}

/// A `ListTopicsResponse` page.
pub fn topics_page(answer: &Value) -> Result<Page<ListedTopic>, String> {
    let items = items(answer, "topics")?
        .iter()
        .map(|t| {
            let full = t["name"].as_str().ok_or("a topic without a name")?;
            let name = full
                .rsplit_once("/topics/")
                .map(|(_, n)| n)
                .ok_or_else(|| format!("the topic name {full} is not projects/…/topics/…"))?;
            let settings = &t["schemaSettings"];
            let schema = settings["schema"].as_str().map(|s| {
                (
                    s.to_string(),
                    settings["encoding"].as_str().unwrap_or("JSON").to_string(),
                )
            });
            Ok(ListedTopic {
                name: name.to_string(),
                schema,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Page {
        items,
        next: next_token(answer),
    })
}

/// A `DatasetList` page: the datasets' ids.
pub fn datasets_page(answer: &Value) -> Result<Page<String>, String> {
    let items = items(answer, "datasets")?
        .iter()
        .map(|d| {
            d["datasetReference"]["datasetId"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| "a dataset without datasetReference.datasetId".to_string())
        })
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next: next_token(answer),
    })
}

/// A `TableList` page.
pub fn tables_page(answer: &Value) -> Result<Page<ListedTable>, String> {
    let items = items(answer, "tables")?
        .iter()
        .map(|t| {
            let table = t["tableReference"]["tableId"]
                .as_str()
                .ok_or("a table without tableReference.tableId")?;
            Ok(ListedTable {
                table: table.to_string(),
                kind: t["type"].as_str().unwrap_or("TABLE").to_string(),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Page {
        items,
        next: next_token(answer),
    })
}

/// A topic's source: its publish time as `event_timestamp`; its payload's fields
/// are for the user to give (or infer from messages).
pub fn topic_source(project: &str, name: &str) -> Source {
    Source {
        kind: SourceKind::PubsubTopic,
        project: project.to_string(),
        dataset: None,
        name: name.to_string(),
        schema: vec![Field::new(EVENT_TIMESTAMP, DataType::Timestamp).with_mode(Mode::Required)],
        payload: Payload::Json,
    }
}

/// A table's source from its `tables.get` answer, or why its schema cannot be a
/// catalog's.
pub fn table_source(
    project: &str,
    dataset: &str,
    table: &str,
    answer: &Value,
) -> Result<Source, String> {
    let schema = schema_from_value(&answer["schema"], "schema").map_err(|e| e.to_string())?;
    Ok(Source {
        kind: SourceKind::BigQueryTable,
        project: project.to_string(),
        dataset: Some(dataset.to_string()),
        name: table.to_string(),
        schema,
        payload: Payload::Json,
    })
}

/// What a listed topic's note says, if anything.
pub fn topic_note(topic: &ListedTopic) -> String {
    match &topic.schema {
        Some((schema, _)) if schema == DELETED_SCHEMA => format!(
            "topic {}: its Pub/Sub schema was deleted; its fields are for you to give, or to infer from sample messages",
            topic.name
        ),
        Some((schema, encoding)) => format!(
            "topic {}: it has the Pub/Sub schema {schema} ({encoding})",
            topic.name
        ),
        None => format!(
            "topic {}: Pub/Sub keeps no schema for it; give its fields, or infer them from sample messages",
            topic.name
        ),
    }
}

/// Every item of a paged list: `request` makes each page's request from the
/// token of the one before, `read` reads its answer. Followed for at most
/// [`MAX_PAGES`] pages; the `bool` says whether pages were left unread.
#[cfg(feature = "cloud")]
pub(crate) async fn list_all<T>(
    client: &crate::gcp::Client,
    request: impl Fn(Option<&str>) -> Request,
    read: impl Fn(&Value) -> Result<Page<T>, String>,
) -> Result<(Vec<T>, bool), crate::gcp::GcpError> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let request = request(token.as_deref());
        let page = read(&client.send(&request).await?).map_err(|why| crate::gcp::GcpError {
            call: request.call.clone(),
            resource: request.resource.clone(),
            status: None,
            message: format!("an answer Sluice cannot read: {why}"),
        })?;
        items.extend(page.items);
        token = page.next;
        if token.is_none() {
            return Ok((items, false));
        }
    }
    Ok((items, true))
}

/// Reads `project`'s topics and tables with `client`, following every page.
#[cfg(feature = "cloud")]
pub async fn load(
    client: &crate::gcp::Client,
    project: &str,
) -> Result<Loaded, crate::gcp::GcpError> {
    let mut loaded = Loaded::default();
    let cut = |what: &str| format!("more than {MAX_PAGES} pages of {what}: the rest are left out");
    let (topics, more) = list_all(client, |t| list_topics(project, t), topics_page).await?;
    for topic in &topics {
        match &topic.schema {
            Some((schema, encoding)) if schema != DELETED_SCHEMA => {
                match client.send(&get_schema(schema)).await {
                    Ok(answer) => {
                        let (source, notes, typed) =
                            schema_topic(project, &topic.name, encoding, &answer);
                        if typed {
                            loaded.typed_topics.push(source.sql_name());
                        }
                        loaded.sources.push(source);
                        loaded.notes.extend(notes);
                    }
                    Err(e) => {
                        loaded.sources.push(topic_source(project, &topic.name));
                        loaded
                            .notes
                            .push(format!("{}; it could not be read: {e}", topic_note(topic)));
                    }
                }
            }
            _ => {
                loaded.sources.push(topic_source(project, &topic.name));
                loaded.notes.push(topic_note(topic));
            }
        }
    }
    if more {
        loaded.notes.push(cut("topics"));
    }
    let (datasets, more) = list_all(client, |t| list_datasets(project, t), datasets_page).await?;
    if more {
        loaded.notes.push(cut("datasets"));
    }
    let mut read = 0;
    for dataset in &datasets {
        let (tables, more) =
            list_all(client, |t| list_tables(project, dataset, t), tables_page).await?;
        for listed in tables {
            if listed.kind != "TABLE" {
                loaded.notes.push(format!(
                    "{dataset}.{}: a {}, left out (Sluice reads tables)",
                    listed.table, listed.kind
                ));
                continue;
            }
            if read == MAX_TABLES {
                loaded.notes.push(format!(
                    "more than {MAX_TABLES} tables: {dataset}.{} and the rest are left out",
                    listed.table
                ));
                return Ok(loaded);
            }
            read += 1;
            let answer = client
                .send(&get_table(project, dataset, &listed.table))
                .await?;
            match table_source(project, dataset, &listed.table, &answer) {
                Ok(source) => loaded.sources.push(source),
                Err(why) => loaded.notes.push(format!(
                    "{dataset}.{}: left out, its schema {why}",
                    listed.table
                )),
            }
        }
        if more {
            loaded.notes.push(cut(&format!("tables in {dataset}")));
        }
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn page_tokens_are_escaped_and_pages_read() {
        let r = list_topics("p", Some("a+b/=c"));
        assert_eq!(
            r.path,
            "v1/projects/p/topics?pageSize=100&pageToken=a%2Bb%2F%3Dc"
        );
        let page = topics_page(&json!({
            "topics": [
                {"name": "projects/p/topics/orders"},
                {"name": "projects/p/topics/clicks", "schemaSettings": {"schema": "projects/p/schemas/c", "encoding": "BINARY"}}
            ],
            "nextPageToken": "t2"
        }))
        .expect("a page");
        assert_eq!(page.next.as_deref(), Some("t2"));
        assert_eq!(
            page.items[1].schema,
            Some(("projects/p/schemas/c".into(), "BINARY".into()))
        );
        assert_eq!(topics_page(&json!({})).expect("empty").items, vec![]);
        assert!(topics_page(&json!({"topics": [{"name": "orders"}]})).is_err());
        let tables =
            tables_page(&json!({"tables": [{"tableReference": {"tableId": "v"}, "type": "VIEW"}]}))
                .expect("a page");
        assert_eq!(tables.items[0].kind, "VIEW");
        assert_eq!(tables.next, None);
        let datasets = datasets_page(
            &json!({"datasets": [{"datasetReference": {"datasetId": "d", "projectId": "p"}}]}),
        )
        .expect("a page");
        assert_eq!(datasets.items, ["d"]);
    }

    #[test]
    fn a_topics_pub_sub_schema_gives_its_fields_or_says_why_not() {
        let avro = json!({"name": "projects/p/schemas/s", "type": "AVRO",
            "definition": "{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"n\", \"type\": \"int\"}]}"});
        let (source, notes, typed) = schema_topic("p", "t", "JSON", &avro);
        assert!(typed);
        assert_eq!(source.schema.len(), 2);
        assert_eq!(
            notes,
            ["topic t: 1 field from the Avro schema projects/p/schemas/s (JSON)"]
        );
        let (source, notes, typed) = schema_topic("p", "t", "BINARY", &avro);
        assert!(!typed);
        assert_eq!(source.schema.len(), 1);
        assert_eq!(
            source.payload,
            Payload::Unreadable("BINARY-encoded Avro (projects/p/schemas/s)".into())
        );
        assert!(notes[0].contains("BINARY-encoded Avro"), "{notes:?}");
        let proto = json!({"name": "projects/p/schemas/s", "type": "PROTOCOL_BUFFER",
            "definition": "syntax = \"proto3\"; message M { int32 n = 1; }"});
        let (source, notes, typed) = schema_topic("p", "t", "JSON", &proto);
        if cfg!(feature = "cloud") {
            assert!(typed);
            assert_eq!(source.schema.len(), 2);
            assert!(
                notes[0].contains("1 field from the Protocol Buffer schema"),
                "{notes:?}"
            );
        } else {
            assert!(
                !typed && notes[0].contains("read by the server"),
                "{notes:?}"
            );
        }
        let other = json!({"name": "projects/p/schemas/s", "type": "THRIFT"});
        let (_, notes, typed) = schema_topic("p", "t", "JSON", &other);
        assert!(!typed);
        assert!(
            notes[0].contains("is THRIFT, which Sluice does not read"),
            "{notes:?}"
        );
        let broken = json!({"name": "projects/p/schemas/s", "type": "AVRO", "definition": "{"});
        let (_, notes, typed) = schema_topic("p", "t", "JSON", &broken);
        assert!(!typed && notes[0].contains("does not read"), "{notes:?}");
        let deleted = ListedTopic {
            name: "t".into(),
            schema: Some((DELETED_SCHEMA.into(), "JSON".into())),
        };
        assert!(topic_note(&deleted).contains("was deleted"));
        assert_eq!(
            get_schema("projects/p/schemas/s").path,
            "v1/projects/p/schemas/s?view=FULL"
        );
    }

    #[test]
    fn a_table_schema_becomes_a_source_or_says_why_not() {
        let answer = json!({"schema": {"fields": [
            {"name": "id", "type": "INTEGER", "mode": "REQUIRED"},
            {"name": "r", "type": "RECORD", "mode": "REPEATED", "fields": [{"name": "x", "type": "STRING"}]}
        ]}});
        let s = table_source("p", "d", "t", &answer).expect("a source");
        assert_eq!(s.sql_name(), "bigquery.table.`p`.d.t");
        assert_eq!(s.schema.len(), 2);
        let bad = json!({"schema": {"fields": [{"name": "g", "type": "NOPE"}]}});
        let why = table_source("p", "d", "t", &bad).expect_err("refused");
        assert!(why.contains("NOPE"), "{why}");
    }
}
