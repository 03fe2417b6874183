//! A real Calcite in the test suite: every golden query and every conformance
//! query that Sluice compiles goes through Calcite's parser, validator and
//! SqlToRel with Beam's settings (`tests/calcite/CalciteCheck.java`), over input
//! tables typed as Beam types them, and the query's output row type must be the
//! schema Sluice creates the destination table with.
//!
//! The jar is Calcite 1.26 (the PyPI wheel `cargo xtask setup` installs); Beam 2.75
//! vendors Calcite 1.40. Differences that matter here are noted where they show.
//!
//! Input types, from Beam 2.75's sources:
//! - a topic, after Sluice's `Prepare…` step: Beam YAML's JSON schema types
//!   (`json_utils.json_schema_to_beam_schema`: integer → INT64, number → DOUBLE,
//!   string, boolean, array, object → row; nullable unless `required`), times as
//!   non-null VARCHAR text (`MapToFields` with `output_type: string`);
//! - a BigQuery table: `BigQueryUtils.fromTableFieldSchemaType` (TIMESTAMP →
//!   DATETIME, DATE/TIME/DATETIME → `SqlTypes`, NUMERIC → DECIMAL, REPEATED →
//!   array), then `CalciteUtils.toSqlTypeName` (`SqlTypes.DATETIME` is
//!   TIMESTAMP_WITH_LOCAL_TIME_ZONE).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{beam_python, corpus, golden_files};
use serde_json::{Value as J, json};
use sluice_deploy::pipeline::{Compiled, SINGLE_INPUT, topic_cast_back};
use sluice_deploy::{Target, compile};
use sluice_sql::Catalog;
use sluice_sql::catalog::{EVENT_TIMESTAMP, SourceKind};
use sluice_sql::types::{DataType, Field, Mode};

/// The Calcite jar that set-up installs (`SLUICE_CALCITE_JAR` overrides).
fn calcite_jar() -> PathBuf {
    if let Some(p) = std::env::var_os("SLUICE_CALCITE_JAR") {
        return p.into();
    }
    let out = Command::new(beam_python())
        .args([
            "-c",
            "import os, sql_optimizer_python as m; print(os.path.join(os.path.dirname(m.__file__), 'java_assets', 'sql-optimizer-1.0.0.jar'))",
        ])
        .output()
        .expect("the tools' Python runs (`cargo xtask setup` installs it)");
    assert!(
        out.status.success(),
        "no Calcite jar: `cargo xtask setup` installs it\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn column(name: &str, t: &str, nullable: bool) -> J {
    json!({"name": name, "type": t, "nullable": nullable})
}

/// How a topic's field reaches the `Sql` transform.
fn topic_column(f: &Field, top: bool) -> J {
    let nullable = f.mode != Mode::Required;
    if top && f.name == EVENT_TIMESTAMP {
        let mut c = column(&f.name, "VARCHAR", false);
        c["event_time"] = json!(true);
        return c;
    }
    if top && topic_cast_back(f).is_some_and(|_| f.data_type != DataType::Numeric) {
        return column(&f.name, "VARCHAR", false);
    }
    let mut c = match &f.data_type {
        DataType::Int64 => column(&f.name, "BIGINT", nullable),
        DataType::Float64 | DataType::Numeric | DataType::BigNumeric => {
            column(&f.name, "DOUBLE", nullable)
        }
        DataType::Bool => column(&f.name, "BOOLEAN", nullable),
        DataType::Array(inner) => {
            let item = Field::new("", (**inner).clone());
            json!({"name": f.name, "type": "ARRAY", "nullable": nullable,
                   "items": topic_column(&item, false)})
        }
        DataType::Struct(fields) => {
            let fields: Vec<J> = fields.iter().map(|g| topic_column(g, false)).collect();
            json!({"name": f.name, "type": "ROW", "nullable": nullable, "fields": fields})
        }
        _ => column(&f.name, "VARCHAR", nullable),
    };
    if f.mode == Mode::Repeated && c["type"] != "ARRAY" {
        c = json!({"name": f.name, "type": "ARRAY", "nullable": true, "items": c});
    }
    c
}

/// The Calcite type of a BigQuery type as Beam reads a table and writes a row.
fn calcite_of(t: &DataType) -> &'static str {
    match t {
        DataType::Int64 => "BIGINT",
        DataType::Float64 => "DOUBLE",
        DataType::Numeric | DataType::BigNumeric => "DECIMAL",
        DataType::Bool => "BOOLEAN",
        DataType::String => "VARCHAR",
        DataType::Bytes => "VARBINARY",
        DataType::Timestamp => "TIMESTAMP",
        DataType::Date => "DATE",
        DataType::Time => "TIME",
        DataType::Datetime => "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
        DataType::Array(_) => "ARRAY",
        DataType::Struct(_) => "ROW",
        DataType::Interval | DataType::Null => "NULL",
    }
}

fn table_column(f: &Field) -> J {
    let nullable = f.mode == Mode::Nullable;
    match &f.data_type {
        DataType::Array(inner) => {
            let item = Field::new("", (**inner).clone()).with_mode(Mode::Required);
            json!({"name": f.name, "type": "ARRAY", "nullable": true, "items": table_column(&item)})
        }
        DataType::Struct(fields) => {
            let fields: Vec<J> = fields.iter().map(table_column).collect();
            json!({"name": f.name, "type": "ROW", "nullable": nullable, "fields": fields})
        }
        t => column(&f.name, calcite_of(t), nullable),
    }
}

fn calcite_case(name: &str, compiled: &Compiled) -> J {
    let single = compiled.inputs.len() == 1;
    let mut tables = serde_json::Map::new();
    for input in &compiled.inputs {
        let key = if single {
            SINGLE_INPUT.to_string()
        } else {
            input.name.clone()
        };
        let columns: Vec<J> = match input.source.kind {
            SourceKind::PubsubTopic => input
                .source
                .schema
                .iter()
                .map(|f| topic_column(f, true))
                .collect(),
            SourceKind::BigQueryTable => input.source.schema.iter().map(table_column).collect(),
        };
        tables.insert(key, J::Array(columns));
    }
    json!({"name": name, "sql": compiled.sql, "tables": tables})
}

/// Whether Calcite's output column `c` is what the destination column `f` takes.
fn same_type(c: &J, t: &DataType) -> bool {
    let got = c["type"].as_str().unwrap_or_default();
    match t {
        DataType::String => got == "VARCHAR" || got == "CHAR",
        DataType::Bytes => got == "VARBINARY" || got == "BINARY",
        DataType::Array(inner) => got == "ARRAY" && same_type(&c["items"], inner),
        DataType::Struct(fields) => {
            got == "ROW"
                && c["fields"].as_array().is_some_and(|cs| {
                    cs.len() == fields.len()
                        && cs.iter().zip(fields).all(|(c, f)| {
                            c["name"] == f.name.as_str() && same_type(c, &f.data_type)
                        })
                })
        }
        other => got == calcite_of(other),
    }
}

fn golden_queries() -> Vec<(String, String)> {
    golden_files()
        .into_iter()
        .map(|p| {
            let name = format!(
                "golden/{}",
                p.file_stem().unwrap_or_default().to_string_lossy()
            );
            (name, std::fs::read_to_string(&p).expect("a query"))
        })
        .collect()
}

/// The Calcite jar and `CalciteCheck.java` compiled against it, once per test run
/// (both tests of this file share them).
fn compiled_check() -> &'static (PathBuf, PathBuf) {
    static CHECK: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    CHECK.get_or_init(|| {
        let classes = Path::new(env!("CARGO_TARGET_TMPDIR")).join("calcite-check/classes");
        std::fs::create_dir_all(&classes).expect("a folder for the Calcite check");
        let jar = calcite_jar();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/calcite/CalciteCheck.java");
        let javac = Command::new("javac")
            .arg("-nowarn")
            .arg("-cp")
            .arg(&jar)
            .arg("-d")
            .arg(&classes)
            .arg(&source)
            .output()
            .expect("javac runs (Java 17 is on every machine of this project)");
        assert!(
            javac.status.success(),
            "{}",
            String::from_utf8_lossy(&javac.stderr)
        );
        (jar, classes)
    })
}

/// Runs `CalciteCheck` with `args` and `input` (written to a file); its JSON answer.
fn run_check(args: &[&str], input: J) -> Vec<J> {
    let (jar, classes) = compiled_check();
    let inputs = tempfile::tempdir().expect("a folder for the input");
    let file = inputs.path().join("input.json");
    std::fs::write(&file, input.to_string()).expect("writing the input");
    let classpath = std::env::join_paths([jar.as_path(), classes.as_path()]).expect("a class path");
    let out = Command::new("java")
        .arg("-cp")
        .arg(&classpath)
        .arg("CalciteCheck")
        .args(args)
        .arg(&file)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the check's JSON")
}

/// The text Sluice's pipeline hands SQL for times (`sluice_deploy::python`:
/// `YYYY-MM-DD HH:MM:SS.ffffff`, `YYYY-MM-DD`, `HH:MM:SS.ffffff`, as
/// `beam_half.rs` shows the Python writes it) is read by Calcite's runtime as
/// the same instant, to the millisecond Beam keeps.
#[test]
fn calcite_reads_the_time_text_the_pipeline_writes() {
    let cases = [
        (
            "TIMESTAMP",
            "2021-07-18 08:00:00.500000",
            1_626_595_200_500_i64,
        ),
        ("TIMESTAMP", "2021-07-18 10:00:00.123456", 1_626_602_400_123),
        ("TIMESTAMP", "1969-12-31 23:59:59.000000", -1_000),
        ("DATE", "2021-07-18", 18_826),
        ("TIME", "10:00:00.500000", 36_000_500),
    ];
    let input: Vec<J> = cases
        .iter()
        .map(|(kind, text, _)| json!({"kind": kind, "text": text}))
        .collect();
    let results = run_check(&["--times"], J::Array(input));
    for ((kind, text, want), got) in cases.iter().zip(&results) {
        assert_eq!(got["value"], json!(want), "{kind} {text}: {got}");
    }
}

#[test]
fn calcite_accepts_every_compiled_query_and_types_it_as_the_destination() {
    let catalog = Catalog::reference();
    let target = Target::for_query("demobox-313313", "us-central1", "calcite");
    let mut cases = Vec::new();
    let mut schemas = Vec::new();
    let corpus = corpus()
        .into_iter()
        .map(|(name, sql)| (format!("corpus/{name}"), sql));
    for (name, sql) in golden_queries().into_iter().chain(corpus) {
        if let Ok(compiled) = compile(&sql, &catalog, &target) {
            cases.push(calcite_case(&name, &compiled));
            schemas.push((name, compiled.output_schema, compiled.sql));
        }
    }
    assert!(cases.len() >= 60, "only {} compiled queries", cases.len());
    let results = run_check(&[], J::Array(cases));
    let mut problems = Vec::new();
    for (result, (name, schema, sql)) in results.iter().zip(&schemas) {
        if result["ok"] != true {
            problems.push(format!(
                "{name}: Calcite refuses it: {}\n{sql}",
                result["error"]
            ));
            continue;
        }
        let columns = result["columns"].as_array().cloned().unwrap_or_default();
        if columns.len() != schema.len() {
            problems.push(format!(
                "{name}: {} columns, the table has {}",
                columns.len(),
                schema.len()
            ));
            continue;
        }
        for (c, f) in columns.iter().zip(schema) {
            if c["name"] != f.name.as_str() || !same_type(c, &f.data_type) {
                problems.push(format!(
                    "{name}: Calcite's column {} {} is not the table's {} {}\n{sql}",
                    c["name"], c["type"], f.name, f.data_type
                ));
            } else if f.mode == Mode::Required && c["nullable"] == true {
                problems.push(format!(
                    "{name}: Calcite's column {} may be NULL, the table's is REQUIRED\n{sql}",
                    f.name
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
