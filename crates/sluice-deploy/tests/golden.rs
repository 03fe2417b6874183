//! Golden files: every `tests/golden/NAME.sql` compiles to exactly
//! `NAME.yaml` (its Beam YAML pipeline) or, when Beam SQL cannot express it, to
//! exactly the diagnostics in `NAME.err`. `SLUICE_BLESS=1 cargo test` rewrites
//! them; review the diff. `tests/beam_half.rs` then has Beam itself validate and
//! run every pipeline.

mod common;

use std::path::PathBuf;

use sluice_deploy::{Target, compile};
use sluice_sql::Catalog;

fn queries() -> Vec<PathBuf> {
    common::golden_files()
}

/// What a query compiles to: the YAML, or its diagnostics one a line.
fn outcome(sql: &str) -> (&'static str, String) {
    let target = Target::for_query("demobox-313313", "us-central1", "golden");
    match compile(sql, &Catalog::reference(), &target) {
        Ok(compiled) => ("yaml", compiled.yaml),
        Err(diagnostics) => (
            "err",
            diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "{} {} {}:{}-{}:{} {}\n  hint: {}\n",
                        d.severity,
                        d.code,
                        d.span.start.line,
                        d.span.start.column,
                        d.span.end.line,
                        d.span.end.column,
                        d.message,
                        d.hint.as_deref().unwrap_or("-")
                    )
                })
                .collect(),
        ),
    }
}

#[test]
fn every_query_compiles_to_its_golden_file() {
    let update = std::env::var_os("SLUICE_BLESS").is_some();
    let mut failures = Vec::new();
    let mut compiled = 0;
    for query in queries() {
        let sql = std::fs::read_to_string(&query).expect("a readable query");
        let (ext, actual) = outcome(&sql);
        if ext == "yaml" {
            compiled += 1;
        }
        let expected_path = query.with_extension(ext);
        let other = query.with_extension(if ext == "yaml" { "err" } else { "yaml" });
        if update {
            std::fs::write(&expected_path, &actual).expect("writing a golden file");
            let _ = std::fs::remove_file(&other);
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}: differs\n--- expected\n{expected}\n--- actual\n{actual}",
                expected_path.display()
            )),
            Err(_) => failures.push(format!(
                "{}: missing; the query gives\n{actual}",
                expected_path.display()
            )),
        }
        assert!(
            !other.exists() || update,
            "{} is stale: the query now gives .{ext}",
            other.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(compiled >= 20, "only {compiled} golden pipelines");
}
