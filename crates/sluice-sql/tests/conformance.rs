//! Runs the conformance corpus: `tests/conformance/*.test`.
//!
//! A file holds cases; each case is
//! ```text
//! === name
//! catalog: other.json            (optional: a catalog file beside the .test file)
//! SELECT ...                     (the query, any number of lines)
//! ----
//! ok                             (no diagnostics at all), or one line per diagnostic:
//! error unknown-column 3:8-3:18
//! warning null-comparison 1:10-1:18
//! schema: name TYPE MODE, ...    (optional: the exact output schema)
//! explain: Join: INNER           (optional, repeatable: a line the EXPLAIN text contains)
//! ```
//! Lines starting with `#` outside queries are comments. `SLUICE_BLESS=1 cargo test`
//! rewrites the diagnostic and schema lines from the analyzer's answers (review the diff!).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sluice_sql::{Catalog, analyze};

struct Case {
    name: String,
    catalog: Option<String>,
    sql: String,
    expected: Vec<String>,
    /// Line of `===` in the file, for messages.
    line: usize,
}

fn parse_file(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    let mut in_expected = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("=== ") {
            cases.extend(current.take());
            current = Some(Case {
                name: name.trim().into(),
                catalog: None,
                sql: String::new(),
                expected: vec![],
                line: i + 1,
            });
            in_expected = false;
            continue;
        }
        let Some(case) = current.as_mut() else {
            continue;
        };
        if line == "----" {
            in_expected = true;
        } else if in_expected {
            if !line.trim().is_empty() && !line.starts_with('#') {
                case.expected.push(line.trim().to_string());
            }
        } else if case.sql.is_empty() && line.starts_with("catalog: ") {
            case.catalog = Some(line["catalog: ".len()..].trim().to_string());
        } else {
            case.sql.push_str(line);
            case.sql.push('\n');
        }
    }
    cases.extend(current);
    cases
}

fn actual(case: &Case, dir: &Path) -> (Vec<String>, String) {
    let catalog = match &case.catalog {
        Some(file) => {
            let text =
                std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            Catalog::from_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
        }
        None => Catalog::reference(),
    };
    let sql = case.sql.trim_end_matches('\n');
    let analysis = analyze(sql, &catalog);
    let mut lines: Vec<String> = analysis
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {} {}:{}-{}:{}",
                d.severity,
                d.code,
                d.span.start.line,
                d.span.start.column,
                d.span.end.line,
                d.span.end.column
            )
        })
        .collect();
    if lines.is_empty() {
        lines.push("ok".into());
    }
    if let Some(plan) = &analysis.plan {
        let schema: Vec<String> = plan
            .output_schema()
            .iter()
            .map(|f| format!("{} {} {}", f.name, f.schema_type_name(), f.mode.as_str()))
            .collect();
        lines.push(format!("schema: {}", schema.join(", ")));
    }
    (
        lines,
        analysis.plan.map(|p| p.explain()).unwrap_or_default(),
    )
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    files
}

#[test]
fn conformance_corpus() {
    let bless = std::env::var_os("SLUICE_BLESS").is_some();
    let mut failures = String::new();
    let mut count = 0;
    for file in corpus() {
        let dir = file.parent().expect("a directory");
        let text = std::fs::read_to_string(&file).expect("readable");
        let cases = parse_file(&text);
        let mut blessed = String::new();
        let mut last_line = 0;
        let lines: Vec<&str> = text.lines().collect();
        for case in &cases {
            count += 1;
            let (got, explain) = actual(case, dir);
            let explains: Vec<&String> = case
                .expected
                .iter()
                .filter(|l| l.starts_with("explain: "))
                .collect();
            let wants_schema = case.expected.iter().any(|l| l.starts_with("schema: "));
            let compared: Vec<&String> = got
                .iter()
                .filter(|l| wants_schema || bless || !l.starts_with("schema: "))
                .collect();
            let expected: Vec<&String> = case
                .expected
                .iter()
                .filter(|l| !l.starts_with("explain: "))
                .collect();
            let mut problems = Vec::new();
            if compared != expected {
                problems.push(format!(
                    "expected:\n    {}\n  got:\n    {}",
                    join(&expected),
                    join(&compared)
                ));
            }
            for e in &explains {
                let needle = &e["explain: ".len()..];
                if !explain.contains(needle) {
                    problems.push(format!("EXPLAIN lacks {needle:?}:\n{explain}"));
                }
            }
            if !problems.is_empty() && !bless {
                let _ = writeln!(
                    failures,
                    "{}:{} [{}]\n  {}\n",
                    file.display(),
                    case.line,
                    case.name,
                    problems.join("\n  ")
                );
            }
            if bless {
                // Copy the file up to and including this case's `----`, then the answers.
                let sep = (case.line..lines.len())
                    .find(|&i| lines[i] == "----")
                    .unwrap_or(lines.len());
                for l in &lines[last_line..=sep.min(lines.len() - 1)] {
                    blessed.push_str(l);
                    blessed.push('\n');
                }
                for l in got
                    .iter()
                    .filter(|l| wants_schema || !l.starts_with("schema: "))
                {
                    blessed.push_str(l);
                    blessed.push('\n');
                }
                for e in &explains {
                    blessed.push_str(e);
                    blessed.push('\n');
                }
                blessed.push('\n');
                last_line = (sep + 1..lines.len())
                    .find(|&i| lines[i].starts_with("=== "))
                    .unwrap_or(lines.len());
            }
        }
        if bless {
            std::fs::write(&file, blessed.trim_end().to_string() + "\n")
                .expect("write blessed file");
        }
    }
    assert!(count > 0, "the corpus is empty");
    eprintln!("conformance: {count} cases");
    assert!(failures.is_empty(), "conformance failures:\n\n{failures}");
}

fn join(lines: &[&String]) -> String {
    lines
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n    ")
}
