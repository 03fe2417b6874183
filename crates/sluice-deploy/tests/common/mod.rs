//! What the deploy crate's integration tests share: the query corpora and the
//! tools set-up installs.

#![allow(dead_code)] // each test file uses some of these

use std::path::{Path, PathBuf};

/// The Python with `apache-beam[yaml]` (and the Calcite jar) that `cargo xtask
/// setup` installs; `SLUICE_PYTHON` overrides it.
pub fn beam_python() -> PathBuf {
    match std::env::var_os("SLUICE_PYTHON") {
        Some(p) => p.into(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python"),
    }
}

/// Runs `tests/{script}` with Beam's Python, `input` as JSON on its standard
/// input, and reads the JSON it prints.
pub fn run_beam_script<T: serde::de::DeserializeOwned>(
    script: &str,
    input: &serde_json::Value,
) -> T {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(beam_python())
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests")
                .join(script),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("Beam's Python (cargo xtask setup installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("the input written");
    let output = child.wait_with_output().expect("Python ran");
    assert!(output.status.success(), "{script} failed");
    serde_json::from_slice(&output.stdout).expect("the script's JSON")
}

/// Checks one answer of a differential script, `{"message", "ok", "row"}`:
/// Beam read the message, and the simulator's reader
/// (`sluice_engine::input::row_from_message`) reads it with `fields` to the same
/// values (whole numbers exactly, other numbers as floats).
pub fn assert_read_alike(
    case: &str,
    answer: &serde_json::Value,
    fields: &[sluice_sql::types::Field],
) {
    let text = answer["message"].as_str().expect("the message");
    assert_eq!(answer["ok"], true, "{case}: Beam refused {text}: {answer}");
    let message: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let row = sluice_engine::input::row_from_message(&message, fields)
        .unwrap_or_else(|e| panic!("{case}: Sluice refused {text}: {e}"));
    for (field, value) in fields.iter().zip(&row) {
        let ours = value.to_json(&field.data_type);
        let theirs = &answer["row"][&field.name];
        let same = match (ours.as_f64(), theirs.as_f64()) {
            (Some(a), Some(b)) if !ours.is_i64() || !theirs.is_i64() => a == b,
            _ => ours == *theirs,
        };
        assert!(
            same,
            "{case}: {text}: {} is {ours} here, {theirs} in Beam",
            field.name
        );
    }
}

/// A client of the fake Google Cloud at `url`: its token, `attempts` tries per
/// call, and short waits between them.
pub fn fake_client(url: &str, attempts: u32) -> sluice_deploy::gcp::Client {
    let retry = sluice_deploy::gcp::RetryPolicy {
        attempts,
        initial_backoff: std::time::Duration::from_millis(5),
        max_backoff: std::time::Duration::from_millis(40),
        timeout: std::time::Duration::from_millis(1500),
    };
    sluice_deploy::gcp::Client::new(
        sluice_deploy::Endpoints::all_at(url),
        sluice_deploy::gcp::Auth::Bearer(sluice_fake_gcp::TOKEN.into()),
        retry,
    )
    .expect("a client")
}

/// The golden queries, `tests/golden/*.sql`, sorted.
pub fn golden_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/golden exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

/// The conformance corpus of sluice-sql: (case name, query).
pub fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sluice-sql/tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the conformance corpus")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a corpus file");
        for case in text.split("\n=== ").skip(1) {
            let (name, rest) = case.split_once('\n').expect("a case name line");
            let (sql, _) = rest.split_once("\n----\n").expect("a ---- line");
            cases.push((name.to_owned(), sql.to_owned()));
        }
    }
    cases
}
