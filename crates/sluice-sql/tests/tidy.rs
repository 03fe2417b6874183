//! Tidy tests: the source tree itself, checked like code (rust-analyzer's "tidy").
//!
//! - The pure crates stay pure: `sluice-sql`, `sluice-engine` and `sluice-datagen` do
//!   no I/O, read no clock, start no thread and read no environment (ARCHITECTURE.md:
//!   "No files, sockets, clocks or threads; inputs and outputs are values"). They run
//!   in the browser as they run on the server, and their results depend on their
//!   inputs alone. Their sources are read here, past their test modules (a
//!   `#[cfg(test)]` module is last in a file, or a file `tests.rs`, by this
//!   codebase's convention, and may read its fixtures).
//! - No source file is over 800 lines without saying why at its top: a file that
//!   long is several concerns in one (issue 18).

use std::path::{Path, PathBuf};

/// What a pure crate's code may not name.
const FORBIDDEN: [&str; 9] = [
    "std::fs",
    "std::net",
    "std::thread",
    "std::env",
    "std::process",
    "std::time::Instant",
    "std::time::SystemTime",
    "Instant::now",
    "SystemTime::now",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file before its test module.
fn code(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// Each use of a forbidden name in `text`, as `line: name`.
fn violations(text: &str) -> Vec<String> {
    code(text)
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .flat_map(|(i, line)| {
            FORBIDDEN
                .iter()
                .filter(move |name| line.contains(*name))
                .map(move |name| format!("{}: {name}", i + 1))
        })
        .collect()
}

#[test]
fn the_pure_crates_name_no_file_clock_thread_or_environment() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    let mut files = 0;
    for name in ["sluice-sql", "sluice-engine", "sluice-datagen"] {
        let mut paths = Vec::new();
        sources(&crates.join(name).join("src"), &mut paths);
        for path in paths {
            if path.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).expect("readable");
            for v in violations(&text) {
                found.push(format!("{}:{v}", path.display()));
            }
        }
    }
    assert!(files > 20, "only {files} files read");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_forbidden_name_is_found_outside_tests_only() {
    let text = "use std::fs::File;\nfn f() { let t = std::time::Instant::now(); }\n// std::env in a comment\n#[cfg(test)]\nmod tests {\n    fn g() { std::fs::read(\"x\"); }\n}\n";
    assert_eq!(
        violations(text),
        ["1: std::fs", "2: std::time::Instant", "2: Instant::now"]
    );
}

/// How long a source file may be without a reason at its top.
const MAX_LINES: usize = 800;

/// A file over [`MAX_LINES`] says why in its first lines, with these words.
const REASON: &str = "Longer than 800 lines because";

#[test]
fn no_source_file_is_over_800_lines_without_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = Vec::new();
    for dir in ["crates", "web/src", "xtask/src", "tests"] {
        sources(&root.join(dir), &mut paths);
    }
    assert!(paths.len() > 100, "only {} files found", paths.len());
    let long: Vec<String> = paths
        .iter()
        .filter(|path| !path.components().any(|c| c.as_os_str() == "target"))
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).expect("readable");
            let lines = text.lines().count();
            let head: String = text.lines().take(10).collect::<Vec<_>>().join("\n");
            (lines > MAX_LINES && !head.contains(REASON))
                .then(|| format!("{}: {lines} lines", path.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these along their own structure, or say at the top \"{REASON} …\": {long:#?}"
    );
}
