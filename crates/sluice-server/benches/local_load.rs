//! The local target under load: 1,000,000 messages published over HTTP (loopback)
//! to `sluice serve` from this process, through a passthrough job, into the
//! destination table. Prints messages/s accepted, publish-to-row latency p50/p99
//! (from the output message's commit time and the event's publish time, both the
//! server's clock), how many rows landed, and the server's peak memory.
//!
//! The publishers keep to `SLUICE_LOAD_RATE` messages/s in all (default 50,500:
//! just over the goal, so that what is accepted is at least 50,000/s). 0 publishes
//! as fast as the server accepts: that measures the most it accepts, while the
//! job's backlog, and so the latency, grows.
//! `SLUICE_LOAD_MESSAGES` changes the count (default 1,000,000); the run gives up
//! after 10 minutes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const QUERY: &str = "SELECT * FROM pubsub.topic.`demobox-313313`.orders";
const BATCH: usize = 500;
const PUBLISHERS: usize = 4;

fn main() {
    let total: usize = std::env::var("SLUICE_LOAD_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let state = tempfile::tempdir().expect("a temp dir");
    let dist = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dist.path().join("index.html"), "<h1>app</h1>").expect("index.html");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--host", "127.0.0.1", "--port", "0", "--dist"])
        .arg(dist.path())
        .env("SLUICE_STATE_DIR", state.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sluice serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the URL line");
    let printed = line
        .trim()
        .trim_start_matches("Sluice is serving ")
        .to_owned();
    let (url, token) = printed.split_once("/?token=").expect("a URL with a token");
    let (url, token) = (url.to_owned(), token.to_owned());
    let pid = child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let rate: f64 = std::env::var("SLUICE_LOAD_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_500.0);
    let outcome = runtime.block_on(run(&url, &token, total, rate, pid));
    let _ = child.kill();
    let _ = child.wait();
    outcome.expect("the benchmark ran");
}

fn payloads(n: usize) -> Vec<String> {
    sluice_datagen::Stream::new(sluice_datagen::StreamParams::default())
        .take(n)
        .map(|e| sluice_engine::value::base64(e.payload().to_string().as_bytes()))
        .collect()
}

/// The server's peak resident memory (VmHWM), in MiB.
fn peak_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

async fn run(url: &str, token: &str, total: usize, rate: f64, pid: u32) -> Result<(), String> {
    // Every API call but /api/health needs the token, GETs included.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}")
            .parse()
            .map_err(|e| format!("the token as a header: {e}"))?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .map_err(|e| e.to_string())?;
    let post = |path: &str, body: Value| {
        client
            .post(format!("{url}{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .json(&body)
            .send()
    };
    let deployed = post(
        "/api/local/deploy",
        json!({"query": QUERY, "job_name": "load"}),
    )
    .await
    .map_err(|e| e.to_string())?;
    if !deployed.status().is_success() {
        return Err(format!(
            "deploy: {}",
            deployed.text().await.unwrap_or_default()
        ));
    }
    // The write-ahead log's size, sampled every 100 ms through the run.
    let db = find_db(url, &client).await?;
    let wal = db.with_extension("sqlite-wal");
    let wal_peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let (wal, peak) = (wal.clone(), wal_peak.clone());
        tokio::spawn(async move {
            loop {
                if let Ok(m) = std::fs::metadata(&wal) {
                    peak.fetch_max(m.len(), std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    // 500 event streams (SLUICE_LOAD_STREAMS) asked for on the job's output topic (those let in read
    // every event through the run); the server lets in at most MAX_STREAMS.
    let asked: usize = std::env::var("SLUICE_LOAD_STREAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut streams = Vec::new();
    let mut refused = 0;
    for _ in 0..asked {
        let r = client
            .get(format!("{url}/api/local/topics/load-results/events"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status().is_success() {
            streams.push(tokio::spawn(async move {
                let mut r = r;
                let mut bytes = 0usize;
                while let Ok(Some(chunk)) = r.chunk().await {
                    bytes += chunk.len();
                }
                bytes
            }));
        } else {
            refused += 1;
        }
    }
    let data = payloads(total);
    let bodies: Vec<String> = data
        .chunks(BATCH)
        .map(|chunk| {
            json!({"messages": chunk.iter().map(|d| json!({"data": d})).collect::<Vec<_>>()})
                .to_string()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(600);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..PUBLISHERS {
        let mine: Vec<String> = bodies.iter().skip(p).step_by(PUBLISHERS).cloned().collect();
        let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            // Each publisher's share of the rate: one request every `every`.
            let every = (rate > 0.0)
                .then(|| Duration::from_secs_f64(BATCH as f64 * PUBLISHERS as f64 / rate));
            for (i, body) in mine.into_iter().enumerate() {
                if let Some(every) = every {
                    let due = started + every * i as u32 + every * p as u32 / PUBLISHERS as u32;
                    tokio::time::sleep_until(due.into()).await;
                }
                if Instant::now() > deadline {
                    return Err("out of time while publishing".to_string());
                }
                let r = client
                    .post(format!("{url}/api/local/topics/orders:publish"))
                    .header("Authorization", format!("Bearer {token}"))
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !r.status().is_success() {
                    return Err(format!("publish: {}", r.text().await.unwrap_or_default()));
                }
                let v: Value = r.json().await.map_err(|e| e.to_string())?;
                accepted += v["messageIds"].as_array().map_or(0, Vec::len);
            }
            Ok(accepted)
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.map_err(|e| e.to_string())??;
    }
    let publish_secs = started.elapsed().as_secs_f64();
    // Wait for the job to finish the backlog.
    loop {
        let job: Value = client
            .get(format!("{url}/api/local/jobs/load"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if job["backlog"] == 0 && job["live"]["position"].as_i64().is_some() {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "out of time: the job is at {}",
                job["live"]["position"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let end_to_end = started.elapsed().as_secs_f64();
    let peak = peak_mib(pid);
    sampler.abort();
    let open_streams = streams.len();
    for s in &streams {
        s.abort();
    }
    // Latencies from the server's own file: each output message's commit time minus
    // its event's publish time (the row's event_timestamp).
    let path = find_db(url, &client).await?;
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| e.to_string())?;
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM \"sluice.load\"", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare("SELECT publish_micros, data FROM sluice_messages WHERE topic = 'load-results'")
        .map_err(|e| e.to_string())?;
    let mut latencies: Vec<i64> = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .filter_map(|(committed, data)| {
            let v: Value = serde_json::from_slice(&data).ok()?;
            let published = sluice_sql::literal::parse_timestamp(v["event_timestamp"].as_str()?)?;
            Some(committed - published)
        })
        .collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |us| *us as f64 / 1000.0)
    };
    let pace = if rate > 0.0 {
        format!("paced at {rate:.0} messages/s")
    } else {
        "as fast as accepted".to_owned()
    };
    println!(
        "local target under load ({total} messages, {pace}, {PUBLISHERS} publishers, {BATCH} a request, loopback HTTP)"
    );
    println!(
        "  accepted:        {accepted} in {publish_secs:.2} s = {:.0} messages/s (goal: 50,000)",
        accepted as f64 / publish_secs
    );
    println!(
        "  end to end:      {:.0} messages/s ({end_to_end:.2} s until the last row)",
        accepted as f64 / end_to_end
    );
    println!(
        "  latency p50/p99: {:.1} ms / {:.1} ms from publish to committed row (goal: p99 under 50 ms)",
        pct(0.5),
        pct(0.99)
    );
    println!(
        "  rows:            {rows} of {accepted} ({})",
        if rows as usize == accepted {
            "nothing lost"
        } else {
            "ROWS MISSING"
        }
    );
    match peak {
        Some(mib) => println!(
            "  server peak RSS: {mib:.0} MiB (with {open_streams} event streams open; {refused} of {asked} asked for were refused)"
        ),
        None => println!("  server peak RSS: unknown (no /proc)"),
    }
    println!(
        "  WAL peak:        {:.1} MiB (truncated past {} MiB)",
        wal_peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1048576.0,
        sluice_local::WAL_TRUNCATE_AT >> 20
    );
    if rows as usize != accepted {
        return Err(format!("{} rows lost", accepted as i64 - rows));
    }
    Ok(())
}

/// The server's SQLite file (where the deploy config says its state lives).
async fn find_db(url: &str, client: &reqwest::Client) -> Result<std::path::PathBuf, String> {
    let config: Value = client
        .get(format!("{url}/api/deploy/config"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let dir = config["state_dir"]
        .as_str()
        .ok_or("no state_dir in the config")?;
    Ok(std::path::Path::new(dir).join("local").join("local.sqlite"))
}
