//! A query compiled into the Beam YAML pipeline that Google's `Yaml_Template`
//! flex template runs: one `ReadFromPubSub` or `ReadFromBigQuery` per source, one
//! `Sql` transform with the query in Beam SQL, `WriteToBigQuery` and
//! `WriteToPubSub` for the two destinations.

use std::collections::HashSet;

use serde_json::{Value, json};
use sluice_sql::catalog::{Catalog, EVENT_TIMESTAMP, Payload, Source, SourceKind};
use sluice_sql::diagnostics::{Code, Diagnostic, Position, Span};
use sluice_sql::plan::Plan;
use sluice_sql::types::{DataType, Field, Mode};

use crate::beam_sql::{self, Unsupported};
use crate::python::{self, ErrorRows, TimeText};
pub use crate::python::{CastBack, topic_cast_back};
pub use crate::target::{InvalidTarget, Target};

/// One source of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The catalog's source.
    pub source: Source,
    /// Its table name in the `Sql` transform (the input's key).
    pub name: String,
    /// The transform that reads it.
    pub transform: String,
}

/// A query compiled for Dataflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The query in Beam SQL.
    pub sql: String,
    /// The pipeline (what `yaml` says), as JSON.
    pub pipeline: Value,
    /// The Beam YAML text.
    pub yaml: String,
    /// The sources, in the order they are read.
    pub inputs: Vec<Input>,
    /// The destination table's schema (the plan's output).
    pub output_schema: Vec<Field>,
    /// Whether the pipeline reads a stream (and runs as a streaming job).
    pub streaming: bool,
}

impl Compiled {
    /// The equivalent `gcloud` command, reading the YAML from `pipeline.yaml`.
    pub fn gcloud_command(&self, target: &Target) -> String {
        format!(
            "gcloud dataflow yaml run {} --yaml-pipeline-file=pipeline.yaml --project={} --region={}",
            target.job_name, target.project, target.region
        )
    }
}

/// Compiles `query` against `catalog` for `target`: errors are the analyzer's, or
/// where Beam SQL has no equivalent, a `not-in-beam-sql` diagnostic.
pub fn compile(
    query: &str,
    catalog: &Catalog,
    target: &Target,
) -> Result<Compiled, Vec<Diagnostic>> {
    let analysis = sluice_sql::analyze(query, catalog);
    let plan = match analysis.plan {
        Some(plan) if !analysis.has_errors() => plan,
        _ => return Err(analysis.diagnostics),
    };
    compile_plan(&plan, target).map_err(|u| vec![diagnostic(&u)])
}

/// What stops an analyzed query from running on Dataflow, as a warning for the
/// editor and `sluice check` (the simulation still runs it); `None` when it
/// compiles. `sluice deploy` refuses the same query with the error.
pub fn deploy_warning(plan: &Plan) -> Option<Diagnostic> {
    let unsupported = check(plan).err()?;
    let mut d = diagnostic(&unsupported);
    d.severity = sluice_sql::diagnostics::Severity::Warning;
    d.message = format!("Dataflow cannot run this query: {}", d.message);
    Some(d)
}

/// The table name Beam SQL gives the `Sql` transform's only input
/// (`SqlTransform.toTableMap`: a lone PCollection is `PCOLLECTION`; Beam YAML's
/// `expand_leaf_transform` passes one input as the bare PCollection, whatever its key).
pub const SINGLE_INPUT: &str = "PCOLLECTION";

/// The columns of the dead-letter table: which step caught the error, Beam's
/// message, and the element as text.
pub const DEAD_LETTER_COLUMNS: [&str; 3] = ["step", "error", "payload"];

/// A plan as far as Beam's acceptance goes: its inputs, its Beam SQL, each
/// input's JSON schema (`None` for a table) and its output schema. Everything
/// that can refuse a plan happens here, and no YAML is built, so the editor can
/// check every keystroke ([`deploy_warning`]).
struct Checked {
    inputs: Vec<Input>,
    sql: String,
    schemas: Vec<Option<Value>>,
    output_schema: Vec<Field>,
}

fn check(plan: &Plan) -> Result<Checked, Unsupported> {
    let inputs = inputs(plan);
    let single = inputs.len() == 1;
    let name_of = |s: &Source| {
        if single {
            return SINGLE_INPUT.to_string();
        }
        inputs
            .iter()
            .find(|i| i.source == *s)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| s.name.clone())
    };
    let sql = beam_sql::to_beam_sql(plan, &name_of)?;
    let output_schema = plan.output_schema();
    check_output(plan, &output_schema)?;
    let schemas = inputs
        .iter()
        .map(|i| match (&i.source.kind, &i.source.payload) {
            (SourceKind::PubsubTopic, Payload::Unreadable(what)) => Err(Unsupported {
                message: format!(
                    "the topic {} carries {what}; the pipeline reads JSON messages, so Dataflow would send every one to the dead-letter table",
                    i.source.name
                ),
                hint: "publish JSON to the topic (a Pub/Sub schema with JSON encoding), or read a topic that carries JSON".into(),
                at: scan_span(plan, &i.source),
            }),
            (SourceKind::PubsubTopic, Payload::Json) => message_schema(&i.source.schema).map(Some),
            (SourceKind::BigQueryTable, _) => Ok(None),
        })
        .collect::<Result<_, _>>()?;
    Ok(Checked {
        inputs,
        sql,
        schemas,
        output_schema,
    })
}

/// Where the query first reads `source`.
fn scan_span(plan: &Plan, source: &Source) -> Option<Span> {
    if let Plan::Scan {
        source: scanned,
        origin,
        ..
    } = plan
        && scanned == source
    {
        return origin.0;
    }
    plan.inputs().into_iter().find_map(|p| scan_span(p, source))
}

/// Compiles an analyzed plan.
pub fn compile_plan(plan: &Plan, target: &Target) -> Result<Compiled, Unsupported> {
    let Checked {
        inputs,
        sql,
        schemas,
        output_schema,
    } = check(plan)?;
    let single = inputs.len() == 1;
    let streaming = !plan.is_bounded();
    let mut transforms = Vec::new();
    // Every transform whose errors are caught, with what its error rows hold.
    let mut caught: Vec<(String, ErrorRows)> = Vec::new();
    let mut sql_inputs = serde_json::Map::new();
    for (input, schema) in inputs.iter().zip(schemas) {
        let last = read_transforms(input, schema, &mut transforms, &mut caught);
        sql_inputs.insert(input.name.clone(), Value::String(last));
    }
    let sql_input = match sql_inputs.values().next() {
        Some(only) if single => only.clone(),
        _ => Value::Object(sql_inputs),
    };
    transforms.push(json!({
        "type": "Sql",
        "name": "Query",
        "input": sql_input,
        "config": {"query": format!("{sql}\n")},
    }));
    transforms.push(write_to_bigquery(
        "WriteToBigQuery",
        json!("Query"),
        &target.table_spec(),
        streaming,
        streaming,
    ));
    if streaming {
        // Only the streaming write (Storage Write API) has an error output; a batch
        // write is a file load with none (`BigQueryWriteSchemaTransformProvider`
        // routes bounded input to `BigQueryFileLoadsSchemaTransformProvider`, whose
        // `outputCollectionNames()` is empty).
        caught.push(("WriteToBigQuery".into(), ErrorRows::BigQueryWrite));
    }
    let columns: Vec<(String, DataType)> = output_schema
        .iter()
        .map(|f| (f.name.clone(), f.data_type.clone()))
        .collect();
    transforms.push(json!({
        "type": "MapToFields",
        "name": "ToMessage",
        "input": "Query",
        "config": {
            "language": "python",
            "fields": {"payload": {"callable": python::message(&columns), "output_type": "string"}},
            "error_handling": {"output": "errors"},
        },
    }));
    caught.push(("ToMessage".into(), ErrorRows::Row));
    transforms.push(json!({
        "type": "WriteToPubSub",
        "name": "PublishToPubSub",
        "input": "ToMessage",
        "config": {
            "topic": target.topic_path(),
            "format": "RAW",
            "error_handling": {"output": "errors"},
        },
    }));
    caught.push(("PublishToPubSub".into(), ErrorRows::Row));
    let mut dead_letters = Vec::new();
    for (step, rows) in &caught {
        let (error, payload) = python::dead_letter(*rows);
        let name = format!("DeadLetters{step}");
        transforms.push(json!({
            "type": "MapToFields",
            "name": name,
            "input": format!("{step}.errors"),
            "config": {
                "language": "python",
                "fields": {
                    "step": {"callable": format!("lambda e: {}", python::py_str(step)), "output_type": "string"},
                    "error": {"callable": error, "output_type": "string"},
                    "payload": {"callable": payload, "output_type": "string"},
                },
            },
        }));
        dead_letters.push(Value::String(name));
    }
    transforms.push(write_to_bigquery(
        "WriteDeadLetters",
        Value::Array(dead_letters),
        &target.dead_letter_table_spec(),
        streaming,
        false,
    ));
    let mut pipeline = json!({"pipeline": {"transforms": transforms}});
    if streaming {
        pipeline["options"] = json!({"streaming": true});
    }
    let yaml = to_yaml(&pipeline);
    Ok(Compiled {
        sql,
        pipeline,
        yaml,
        inputs,
        output_schema,
        streaming,
    })
}

/// Java's `WriteToBigQuery` into a table the plan creates. A streaming write names
/// its number of streams: `standard_io.yaml` maps `num_streams` with "Required until
/// autosharding support is fixed" (Beam issue 30058), as Google's own
/// `KafkaToBigQuery.yaml` template does (`num_streams: 1` by default).
fn write_to_bigquery(name: &str, input: Value, table: &str, streaming: bool, catch: bool) -> Value {
    let mut config = json!({
        "table": table,
        "create_disposition": "CREATE_NEVER",
        "write_disposition": "WRITE_APPEND",
    });
    if streaming {
        config["num_streams"] = json!(1);
    }
    if catch {
        config["error_handling"] = json!({"output": "errors"});
    }
    json!({"type": "WriteToBigQuery", "name": name, "input": input, "config": config})
}

/// Refuses output columns a writer cannot take: Beam's Python SDK has no logical
/// type for Java SQL's TIME (`beam:logical_type:time:v1` is not in Python's
/// `LogicalType` registry in 2.75), so a TIME column cannot reach the Pub/Sub writer.
fn check_output(plan: &Plan, schema: &[Field]) -> Result<(), Unsupported> {
    fn has_time(t: &DataType) -> bool {
        match t {
            DataType::Time => true,
            DataType::Array(inner) => has_time(inner),
            DataType::Struct(fields) => fields.iter().any(|f| has_time(&f.data_type)),
            _ => false,
        }
    }
    match schema
        .iter()
        .enumerate()
        .find(|(_, f)| has_time(&f.data_type))
    {
        Some((i, f)) => Err(Unsupported {
            message: format!(
                "Beam cannot pass the TIME column {} from SQL to the Pub/Sub writer (Python has no type for Java SQL's TIME)",
                f.name
            ),
            hint: "CAST it AS STRING in the SELECT".into(),
            at: plan.column_origin(i).span(),
        }),
        None => Ok(()),
    }
}

/// The plan's sources in reading order, each with a unique SQL-friendly name.
fn inputs(plan: &Plan) -> Vec<Input> {
    let mut taken = HashSet::new();
    plan.sources()
        .into_iter()
        .cloned()
        .map(|source| {
            let base = match (&source.kind, &source.dataset) {
                (SourceKind::BigQueryTable, Some(d)) => format!("{d}_{}", source.name),
                _ => source.name.clone(),
            };
            let base: String = base
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.to_ascii_lowercase()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            let transform = format!(
                "Read{}",
                name.split('_')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                            .unwrap_or_default()
                    })
                    .collect::<String>()
            );
            Input {
                source,
                name,
                transform,
            }
        })
        .collect()
}

/// Appends the transforms that read `input` (the read, and for a topic, whose
/// JSON schema is `schema`, the step that turns its times into text for SQL) and
/// returns the name of the last.
fn read_transforms(
    input: &Input,
    schema: Option<Value>,
    transforms: &mut Vec<Value>,
    caught: &mut Vec<(String, ErrorRows)>,
) -> String {
    let s = &input.source;
    // `check` gives a topic its JSON schema, a table none.
    match schema {
        Some(schema) => {
            let mut config = json!({
                "topic": s.resource_name(),
                "format": "JSON",
                "schema": schema,
            });
            if s.schema.iter().any(|f| f.name == EVENT_TIMESTAMP) {
                config["publish_time_field"] = json!(EVENT_TIMESTAMP);
            }
            config["error_handling"] = json!({"output": "errors"});
            transforms
                .push(json!({"type": "ReadFromPubSub", "name": input.transform, "config": config}));
            caught.push((input.transform.clone(), ErrorRows::Message));
            let times: Vec<(&Field, TimeText)> = s
                .schema
                .iter()
                .filter_map(|f| TimeText::for_field(&f.name, &f.data_type).map(|k| (f, k)))
                .collect();
            if times.is_empty() {
                return input.transform.clone();
            }
            let mut fields = serde_json::Map::new();
            for (f, kind) in &times {
                fields.insert(
                    f.name.clone(),
                    json!({"callable": python::time_text(&f.name, *kind), "output_type": "string"}),
                );
            }
            let name = format!(
                "Prepare{}",
                input
                    .transform
                    .strip_prefix("Read")
                    .unwrap_or(&input.transform)
            );
            transforms.push(json!({
                "type": "MapToFields",
                "name": name,
                "input": input.transform,
                "config": {
                    "language": "python",
                    "append": true,
                    "drop": times.iter().map(|(f, _)| f.name.clone()).collect::<Vec<_>>(),
                    "fields": fields,
                    "error_handling": {"output": "errors"},
                },
            }));
            caught.push((name.clone(), ErrorRows::Row));
            name
        }
        None => {
            let dataset = s.dataset.as_deref().unwrap_or_default();
            transforms.push(json!({
                "type": "ReadFromBigQuery",
                "name": input.transform,
                "config": {"table": format!("{}:{dataset}.{}", s.project, s.name)},
            }));
            input.transform.clone()
        }
    }
}

/// The JSON schema Beam's `ReadFromPubSub` parses a topic's messages with: the
/// topic's fields but `event_timestamp` (the publish time, not in the payload).
pub fn message_schema(topic_schema: &[Field]) -> Result<Value, Unsupported> {
    let payload: Vec<&Field> = topic_schema
        .iter()
        .filter(|f| f.name != EVENT_TIMESTAMP)
        .collect();
    json_schema(&payload, true)
}

/// The JSON schema of `fields` (`top`: the message's own fields, not a record's).
fn json_schema(fields: &[&Field], top: bool) -> Result<Value, Unsupported> {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for f in fields {
        properties.insert(f.name.clone(), json_type(&f.data_type, top)?);
        if f.mode == Mode::Required {
            required.push(Value::String(f.name.clone()));
        }
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    Ok(schema)
}

fn json_type(t: &DataType, top: bool) -> Result<Value, Unsupported> {
    let nested_only = |what: &str| Unsupported {
        message: format!(
            "Beam reads a {what} inside a Pub/Sub message's record or array only as a string"
        ),
        hint: "make it a top-level field of the topic's schema, or a STRING".into(),
        at: None,
    };
    Ok(match t {
        DataType::Int64 => json!({"type": "integer"}),
        DataType::Float64 => json!({"type": "number"}),
        DataType::Numeric | DataType::BigNumeric if top => json!({"type": "number"}),
        DataType::Bool => json!({"type": "boolean"}),
        DataType::String => json!({"type": "string"}),
        DataType::Timestamp | DataType::Datetime | DataType::Date | DataType::Time if top => {
            json!({"type": "string"})
        }
        DataType::Array(inner) => json!({"type": "array", "items": json_type(inner, false)?}),
        DataType::Struct(fields) => {
            let refs: Vec<&Field> = fields.iter().collect();
            json_schema(&refs, false)?
        }
        DataType::Bytes => {
            return Err(Unsupported {
                message: "Beam cannot read BYTES from a JSON Pub/Sub message".into(),
                hint: "declare the field as a STRING (base64 text) in the topic's schema".into(),
                at: None,
            });
        }
        other => return Err(nested_only(&other.to_string())),
    })
}

/// The diagnostic for an [`Unsupported`], at the plan node Beam cannot run (the
/// query's first character when the problem is the pipeline's, such as a
/// source's schema).
pub fn diagnostic(u: &Unsupported) -> Diagnostic {
    let span =
        u.at.unwrap_or(Span::new(Position::new(1, 1), Position::new(1, 2)));
    Diagnostic::error(Code::NotInBeamSql, span, u.message.clone()).with_hint(u.hint.clone())
}

/// YAML for a JSON value: block style, multi-line strings as `|` blocks.
pub fn to_yaml(value: &Value) -> String {
    use yaml_rust2::{Yaml, YamlEmitter, yaml::Hash};
    fn convert(v: &Value) -> Yaml {
        match v {
            Value::Null => Yaml::Null,
            Value::Bool(b) => Yaml::Boolean(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Yaml::Integer(i),
                None => Yaml::Real(n.to_string()),
            },
            Value::String(s) => Yaml::String(s.clone()),
            Value::Array(items) => Yaml::Array(items.iter().map(convert).collect()),
            Value::Object(map) => {
                let mut hash = Hash::new();
                for (k, v) in map {
                    hash.insert(Yaml::String(k.clone()), convert(v));
                }
                Yaml::Hash(hash)
            }
        }
    }
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    emitter.multiline_strings(true);
    // Writing into a String cannot fail.
    let _ = emitter.dump(&convert(value));
    let body = out.strip_prefix("---\n").unwrap_or(&out);
    format!("{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sql::reference::{PROJECT, QUERY};

    fn target() -> Target {
        Target::for_query(PROJECT, "us-central1", QUERY)
    }

    #[test]
    fn the_reference_query_reads_both_sources_and_writes_both_destinations() {
        let compiled = compile(QUERY, &Catalog::reference(), &target()).expect("it compiles");
        assert!(compiled.streaming);
        let names: Vec<&str> = compiled.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["orders", "ecommerce_orders"]);
        let transforms = compiled.pipeline["pipeline"]["transforms"]
            .as_array()
            .expect("transforms");
        let types: Vec<&str> = transforms
            .iter()
            .filter_map(|t| t["type"].as_str())
            .collect();
        assert_eq!(
            types[..7],
            [
                "ReadFromPubSub",
                "MapToFields",
                "ReadFromBigQuery",
                "Sql",
                "WriteToBigQuery",
                "MapToFields",
                "WriteToPubSub",
            ]
        );
        let read = &transforms[0]["config"];
        assert_eq!(read["publish_time_field"], "event_timestamp");
        assert_eq!(read["error_handling"]["output"], "errors");
        // The publish time reaches SQL as text and is cast back there.
        assert_eq!(transforms[1]["config"]["drop"], json!(["event_timestamp"]));
        assert_eq!(
            transforms[3]["input"],
            json!({"orders": "PrepareOrders", "ecommerce_orders": "ReadEcommerceOrders"})
        );
        assert!(
            compiled
                .sql
                .contains("CAST(o.event_timestamp AS TIMESTAMP) AS event_timestamp"),
            "{}",
            compiled.sql
        );
        assert_eq!(transforms[4]["config"]["num_streams"], 1);
        assert_eq!(transforms[6]["config"]["format"], "RAW");
        // Every caught error reaches the dead-letter table.
        let dead = transforms.last().expect("the dead-letter write");
        assert_eq!(dead["type"], "WriteToBigQuery");
        assert_eq!(
            dead["config"]["table"],
            format!("{PROJECT}:sluice.{}", target().dead_letter_table())
        );
        let caught = transforms
            .iter()
            .filter(|t| t["config"].get("error_handling").is_some())
            .count();
        assert_eq!(dead["input"].as_array().map(Vec::len), Some(caught));
        assert!(
            read["schema"]["properties"]
                .get("event_timestamp")
                .is_none()
        );
        assert_eq!(compiled.output_schema.len(), 6);
        assert!(
            compiled.sql.contains("HAVING\n      SUM(amount) >= 5000"),
            "{}",
            compiled.sql
        );
        assert_eq!(compiled.pipeline["options"]["streaming"], true);
    }

    #[test]
    fn a_batch_query_is_not_a_streaming_job() {
        let sql = "SELECT customer_id FROM bigquery.table.`demobox-313313`.ecommerce.orders";
        let compiled = compile(sql, &Catalog::reference(), &target()).expect("it compiles");
        assert!(!compiled.streaming);
        assert!(compiled.pipeline.get("options").is_none());
    }

    #[test]
    fn topic_timestamps_travel_as_strings_and_are_cast_back() {
        let catalog = Catalog::from_json(
            r#"{"project": "demobox-313313", "topics": [{"name": "clicks", "schema": [
                {"name": "event_timestamp", "type": "TIMESTAMP", "mode": "REQUIRED"},
                {"name": "at", "type": "TIMESTAMP"},
                {"name": "price", "type": "NUMERIC", "mode": "REQUIRED"},
                {"name": "tags", "type": "STRING", "mode": "REPEATED"},
                {"name": "where", "type": "RECORD", "fields": [{"name": "lat", "type": "FLOAT64"}]}]}]}"#,
        )
        .expect("a catalog");
        let sql =
            "SELECT at, price, tags, `where`.lat AS lat FROM pubsub.topic.`demobox-313313`.clicks";
        let compiled = compile(sql, &catalog, &target()).expect("it compiles");
        let schema = &compiled.pipeline["pipeline"]["transforms"][0]["config"]["schema"];
        assert_eq!(
            *schema,
            json!({"type": "object", "properties": {
                "at": {"type": "string"},
                "price": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "where": {"type": "object", "properties": {"lat": {"type": "number"}}},
            }, "required": ["price"]})
        );
        assert!(
            compiled
                .sql
                .contains("CAST(NULLIF(`at`, '') AS TIMESTAMP) AS `at`"),
            "{}",
            compiled.sql
        );
        assert!(
            compiled
                .sql
                .contains("CAST(price AS DECIMAL(38, 9)) AS price"),
            "{}",
            compiled.sql
        );
        // The only input is Beam SQL's PCOLLECTION, and the Sql transform reads the
        // step that made its times text.
        assert!(
            compiled.sql.contains("PCOLLECTION.`where`.lat AS lat"),
            "{}",
            compiled.sql
        );
        assert_eq!(
            compiled.pipeline["pipeline"]["transforms"][2]["input"],
            "PrepareClicks"
        );
    }

    #[test]
    fn a_nested_timestamp_in_a_topic_is_refused_with_a_reason() {
        let catalog = Catalog::from_json(
            r#"{"project": "demobox-313313", "topics": [{"name": "clicks", "schema": [
                {"name": "event_timestamp", "type": "TIMESTAMP", "mode": "REQUIRED"},
                {"name": "r", "type": "RECORD", "fields": [{"name": "at", "type": "TIMESTAMP"}]}]}]}"#,
        )
        .expect("a catalog");
        let errors = compile(
            "SELECT r FROM pubsub.topic.`demobox-313313`.clicks",
            &catalog,
            &target(),
        )
        .expect_err("refused");
        assert_eq!(errors[0].code, Code::NotInBeamSql);
        assert!(
            errors[0].message.contains("TIMESTAMP"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn a_topic_that_carries_no_json_is_refused_at_its_name() {
        let mut catalog = Catalog::reference();
        catalog.sources[0].payload = Payload::Unreadable(
            "BINARY-encoded Avro (projects/demobox-313313/schemas/orders)".into(),
        );
        let errors = compile(QUERY, &catalog, &target()).expect_err("refused");
        assert_eq!(errors[0].code, Code::NotInBeamSql);
        assert!(
            errors[0].message.contains("carries BINARY-encoded Avro")
                && errors[0].message.contains("dead-letter table"),
            "{}",
            errors[0].message
        );
        // At the FROM of the topic, where the query reads it.
        let span = errors[0].span;
        let line = QUERY
            .lines()
            .nth(span.start.line as usize - 1)
            .expect("the line");
        let at: String = line
            .chars()
            .skip(span.start.column as usize - 1)
            .take((span.end.column - span.start.column) as usize)
            .collect();
        assert!(
            at.starts_with("pubsub.topic.`demobox-313313`.orders"),
            "{at:?} at {span:?}"
        );
        // The editor says so before Deploy.
        let plan = sluice_sql::analyze(QUERY, &catalog).plan.expect("a plan");
        let warning = deploy_warning(&plan).expect("a warning");
        assert!(
            warning
                .message
                .starts_with("Dataflow cannot run this query: the topic orders carries")
        );
    }

    #[test]
    fn yaml_quotes_what_would_read_back_as_another_type() {
        let yaml = to_yaml(
            &json!({"a": "true", "b": "123", "c": "x: y", "d": "line\nnext", "e": "p:d.t"}),
        );
        assert!(yaml.contains("a: \"true\""), "{yaml}");
        assert!(yaml.contains("b: \"123\""), "{yaml}");
        assert!(yaml.contains("c: \"x: y\""), "{yaml}");
        assert!(yaml.contains("d: |-\n  line\n  next"), "{yaml}");
        assert!(yaml.contains("e: \"p:d.t\""), "{yaml}");
    }

    #[test]
    fn the_gcloud_command_names_the_job_project_and_region() {
        let t = target();
        let compiled = compile(QUERY, &Catalog::reference(), &t).expect("it compiles");
        assert_eq!(
            compiled.gcloud_command(&t),
            format!(
                "gcloud dataflow yaml run {} --yaml-pipeline-file=pipeline.yaml --project={PROJECT} --region=us-central1",
                t.job_name
            )
        );
    }
}
