//! The pure crates stay pure: `sluice-sql`, `sluice-engine` and `sluice-datagen` do no
//! I/O, read no clock, start no thread and read no environment (ARCHITECTURE.md:
//! "No files, sockets, clocks or threads; inputs and outputs are values"). They run in
//! the browser as they run on the server, and their results depend on their inputs
//! alone. Their sources are read here, past their test modules (a `#[cfg(test)]` module
//! is last in a file, by this codebase's convention, and may read its fixtures).

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
