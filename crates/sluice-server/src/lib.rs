//! The Sluice server: serves the built web app (Trunk's `dist/`) and the JSON API.
//!
//! Boundary: glue only. Analysis, simulation and deployment live in the library
//! crates; this crate wires them to HTTP routes and to the `sluice` CLI.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_server::ServeError> {
//! let config = sluice_server::cloud::CloudConfig::from_env();
//! let limits = sluice_server::Limits::default();
//! let dist = std::path::Path::new("dist");
//! sluice_server::serve_with("127.0.0.1", 8080, dist, config, limits, |url| eprintln!("{url}")).await
//! # }
//! ```

pub mod api;
pub mod check;
pub mod cloud;
pub mod local;
pub mod simulate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::{ServeDir, ServeFile};

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The app directory has no `index.html`.
    #[error(
        "no built app at {}: index.html is missing (build it with `cargo xtask serve`, or pass --dist DIR)",
        .0.display()
    )]
    MissingApp(PathBuf),
    /// The address could not be bound.
    #[error("cannot listen: {0}")]
    Bind(#[source] std::io::Error),
    /// No random token could be made.
    #[error("cannot make the API token: {0}")]
    Token(String),
    /// The local target's storage could not be opened.
    #[error("cannot open the local target's storage: {0}")]
    Local(String),
}

/// The body of `GET /api/health`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Health {
    /// Always `"ok"` when the server answers.
    pub status: &'static str,
    /// The server's crate name.
    pub name: &'static str,
    /// The server's version.
    pub version: &'static str,
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        name: "sluice",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Builds the router: the JSON API under `/api` (with the deploy API when given,
/// every route behind its Host/Origin/token guard), the app from `dist` everywhere
/// else (unknown paths fall back to `index.html`, the app routes in the browser).
pub fn app(
    dist: &Path,
    deploy: Option<Arc<api::Api>>,
    local: Option<Arc<local::LocalApi>>,
) -> Result<Router, ServeError> {
    let index = dist.join("index.html");
    if !index.is_file() {
        return Err(ServeError::MissingApp(dist.to_path_buf()));
    }
    let mut api = Router::new()
        .route("/health", get(health))
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "no such API route\n") });
    if let Some(deploy) = deploy {
        api = api.merge(api::routes(deploy.clone()));
        if let Some(local) = local {
            api = api.merge(local::routes(local));
        }
        api = api.layer(axum::middleware::from_fn_with_state(deploy, api::guard));
    }
    let root = dist
        .canonicalize()
        .map_err(|_| ServeError::MissingApp(dist.to_path_buf()))?;
    let files = Router::new()
        .fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let outside = leaves(&root, request.uri().path());
                async move {
                    if outside {
                        return (axum::http::StatusCode::NOT_FOUND, "not found\n").into_response();
                    }
                    next.run(request).await
                }
            },
        ));
    Ok(Router::new()
        .nest("/api", api)
        .merge(files)
        .layer(tower_http::trace::TraceLayer::new_for_http()))
}

/// Whether the file `path` names under `root` (a canonical folder) is not to be
/// served: once links are resolved it is somewhere else (a link out of the app's
/// folder), or no file can have its name.
fn leaves(root: &Path, path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut file = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            // ServeDir refuses `..` itself.
            ".." => return false,
            // No file has a longer name (NAME_MAX): asking the file system would
            // fail (ENAMETOOLONG) as a server error.
            s if s.len() > 255 => return true,
            s => file.push(s),
        }
    }
    match file.canonicalize() {
        Ok(resolved) => !resolved.starts_with(root),
        // Nothing there (or unreadable): ServeDir answers with the app's index.
        Err(_) => false,
    }
}

/// How much a client may hold of `sluice serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's headers, counted also while
    /// a kept-alive connection waits for its next request: a connection that sends
    /// nothing, or headers a byte at a time, is closed after it.
    pub header_read: std::time::Duration,
    /// How many connections may be open at once; one more is closed at once (a
    /// browser retries), so no client can exhaust the server's file descriptors.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: std::time::Duration::from_secs(10),
            connections: 256,
        }
    }
}

/// Serves `dist` on `host:port` until Ctrl-C; calls `on_listen` with the bound URL
/// (the port is the real one when 0 was asked for).
pub async fn serve(
    host: &str,
    port: u16,
    dist: &Path,
    config: cloud::CloudConfig,
    on_listen: impl FnOnce(&str),
) -> Result<(), ServeError> {
    serve_with(host, port, dist, config, Limits::default(), on_listen).await
}

/// [`serve`] with other [`Limits`].
pub async fn serve_with(
    host: &str,
    port: u16,
    dist: &Path,
    config: cloud::CloudConfig,
    limits: Limits,
    on_listen: impl FnOnce(&str),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(ServeError::Bind)?;
    let addr = listener.local_addr().map_err(ServeError::Bind)?;
    let port = addr.port();
    // The names this server answers to; anything else is DNS rebinding.
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        addr.to_string(),
        format!("{host}:{port}"),
    ];
    hosts.dedup();
    let token = api::random_token().map_err(|e| ServeError::Token(e.to_string()))?;
    let local_dir = config.state_dir.join("local");
    let local = sluice_local::Local::open(&local_dir)
        .map_err(|e| ServeError::Local(format!("{}: {e}", local_dir.display())))?;
    let deploy = Arc::new(api::Api::new(config, token.clone(), hosts));
    let app = app(
        dist,
        Some(deploy),
        Some(Arc::new(local::LocalApi::new(local))),
    )?;
    on_listen(&format!("http://{addr}/?token={token}"));
    let stop = async {
        // If the signal handler cannot be installed, serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    accept_loop(listener, app, limits, stop).await;
    Ok(())
}

/// Accepts connections until `stop`, each served over HTTP/1.1 with the header
/// timeout, at most `limits.connections` at once.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => return,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(
                limit = limits.connections,
                "too many connections: a new one is closed"
            );
            drop(stream);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read);
            let connection = http
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn dist() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("index.html"), "<h1>app</h1>").expect("write index");
        dir
    }

    async fn get(app: Router, uri: &str) -> (StatusCode, String) {
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn health_answers_json() {
        let dir = dist();
        let (status, body) = get(app(dir.path(), None, None).expect("app"), "/api/health").await;
        assert_eq!(status, StatusCode::OK);
        let value: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(value["status"], "ok");
        assert_eq!(value["name"], "sluice");
    }

    #[tokio::test]
    async fn unknown_paths_fall_back_to_the_app_but_not_in_the_api() {
        let dir = dist();
        let (status, body) = get(app(dir.path(), None, None).expect("app"), "/some/page").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "<h1>app</h1>"));
        let (status, _) = get(app(dir.path(), None, None).expect("app"), "/api/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn links_out_of_the_app_folder_are_not_followed() {
        let dir = dist();
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("secret.txt"), "secret").expect("a secret");
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            dir.path().join("leak.txt"),
        )
        .expect("a file link");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).expect("a folder link");
        std::fs::write(dir.path().join("app.js"), "ok").expect("a file");
        let app = app(dir.path(), None, None).expect("app");
        for uri in ["/leak.txt", "/out/secret.txt", "/%6Ceak.txt"] {
            let (status, body) = get(app.clone(), uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
            assert!(!body.contains("secret"), "{uri}: {body}");
        }
        let (status, body) = get(app, "/app.js").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    }

    #[test]
    fn missing_app_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = app(dir.path(), None, None).expect_err("no index.html");
        assert!(err.to_string().contains("index.html is missing"), "{err}");
    }
}
