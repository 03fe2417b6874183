//! Running the `sluice` binary as a user does, for the CLI tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};

/// Runs `sluice` with `args` (and `stdin`), returning exit code, stdout, stderr.
pub fn sluice(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("sluice finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `text` to `name` in `dir`, returning its path.
pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// A `sluice serve` child process, killed when dropped.
pub struct Served {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// The token it printed.
    pub token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sluice serve` on a free loopback port, its state in `state`.
pub fn serve(state: &std::path::Path, dist: &std::path::Path) -> Served {
    serve_with(state, dist, "0")
}

/// `sluice serve` whose local jobs pause `pause_ms` after each batch.
pub fn serve_with(state: &std::path::Path, dist: &std::path::Path, pause_ms: &str) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--port", "0", "--dist"])
        .arg(dist)
        .env("SLUICE_STATE_DIR", state)
        .env("SLUICE_LOCAL_PAUSE_MS", pause_ms)
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("SLUICE_GCP_ENDPOINT")
        .env_remove("SLUICE_GCP_ACCESS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sluice serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let printed = line
        .trim()
        .strip_prefix("Sluice is serving ")
        .expect("the URL")
        .to_owned();
    let (url, token) = printed.split_once("?token=").expect("a token");
    Served {
        child,
        url: url.trim_end_matches('/').to_owned(),
        token: token.to_owned(),
    }
}
