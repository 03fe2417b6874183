//! `sluice serve` under slow and greedy clients, over loopback: a connection that
//! sends nothing or its headers a byte at a time is closed after the header
//! timeout, and connections beyond the limit are closed at once while the ones
//! within it are served.

use std::time::{Duration, Instant};

use sluice_deploy::Endpoints;
use sluice_server::Limits;
use sluice_server::cloud::CloudConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts a server with `limits`; its address (`127.0.0.1:port`) and the folders
/// it uses, which must outlive it.
async fn start(limits: Limits) -> (String, tempfile::TempDir, tempfile::TempDir) {
    let dist = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dist.path().join("index.html"), "<h1>app</h1>").expect("index.html");
    let state = tempfile::tempdir().expect("a temp dir");
    let config = CloudConfig::with(
        Endpoints::all_at("http://127.0.0.1:9"),
        "unused",
        state.path(),
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dist_path = dist.path().to_path_buf();
    tokio::spawn(async move {
        let _ = sluice_server::serve_with("127.0.0.1", 0, &dist_path, config, limits, |url| {
            let _ = tx.send(url.to_owned());
        })
        .await;
    });
    let url = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("the server listens")
        .expect("a URL");
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("an address")
        .to_owned();
    (addr, dist, state)
}

/// Reads until the server closes the connection; how long that took.
async fn closed_after(stream: &mut TcpStream, at_most: Duration) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(at_most, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the connection was still open after {at_most:?}"),
        }
    }
}

/// A complete request and its response's status line.
async fn health(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream
        .write_all(
            format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("writes");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
        .await
        .expect("an answer in time")
        .expect("reads");
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_clients_are_closed_after_the_header_timeout() {
    let limits = Limits {
        header_read: Duration::from_millis(400),
        connections: 64,
    };
    let (addr, _dist, _state) = start(limits).await;
    // Sends nothing at all.
    let mut silent = TcpStream::connect(&addr).await.expect("connects");
    let waited = closed_after(&mut silent, Duration::from_secs(5)).await;
    assert!(
        waited >= Duration::from_millis(300),
        "closed too soon: {waited:?}"
    );
    // Sends its headers a byte at a time, never finishing in time.
    let mut slow = TcpStream::connect(&addr).await.expect("connects");
    let started = Instant::now();
    let request = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nX-Slow: yes\r\n\r\n");
    let mut closed = false;
    for byte in request.bytes() {
        if slow.write_all(&[byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !closed {
        closed_after(&mut slow, Duration::from_secs(5)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the slow client held its connection for {:?}",
        started.elapsed()
    );
    // Whoever is quick is served.
    assert_eq!(health(&addr).await, "HTTP/1.1 200 OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed_at_once() {
    let limits = Limits {
        header_read: Duration::from_secs(30),
        connections: 2,
    };
    let (addr, _dist, _state) = start(limits).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(&addr).await.expect("connects");
        stream
            .write_all(b"GET / HTTP/1.1\r\n")
            .await
            .expect("writes");
        held.push(stream);
    }
    // Let the server take both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(&addr)
        .await
        .expect("the kernel accepts it");
    let waited = closed_after(&mut third, Duration::from_secs(2)).await;
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    // Once the two go, the server serves again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(health(&addr).await, "HTTP/1.1 200 OK");
}
