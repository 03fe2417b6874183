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
pub mod error;
mod jsonl;
pub mod local;
pub mod simulate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::HeaderValue;
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

/// The JSON API's parts: its guard, and the APIs behind it.
pub struct Services {
    /// Who may call: this server's addresses and the per-run token.
    pub guard: Arc<api::Guard>,
    /// The deploy API (Google Cloud), when there is one.
    pub deploy: Option<Arc<api::Api>>,
    /// The local target's API, when there is one.
    pub local: Option<Arc<local::LocalApi>>,
}

/// Builds the router: the JSON API under `/api` (with `services`, every route but
/// `/api/health` behind their guard), the app from `dist` everywhere else (unknown
/// paths fall back to `index.html`, the app routes in the browser).
pub fn app(dist: &Path, services: Option<Services>) -> Result<Router, ServeError> {
    let index = dist.join("index.html");
    if !index.is_file() {
        return Err(ServeError::MissingApp(dist.to_path_buf()));
    }
    let mut api = Router::new()
        .route("/health", get(health))
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "no such API route\n") });
    if let Some(Services {
        guard,
        deploy,
        local,
    }) = services
    {
        api = api.merge(api::session_routes(guard.clone()));
        if let Some(deploy) = deploy {
            api = api.merge(api::routes(deploy));
        }
        if let Some(local) = local {
            api = api.merge(local::routes(local));
        }
        api = api.layer(axum::middleware::from_fn_with_state(guard, api::guard));
    }
    let root = dist
        .canonicalize()
        .map_err(|_| ServeError::MissingApp(dist.to_path_buf()))?;
    let policy = std::fs::read_to_string(&index)
        .map(|html| content_security_policy(&html))
        .map_err(|_| ServeError::MissingApp(dist.to_path_buf()))?;
    let policy =
        HeaderValue::from_str(&policy).map_err(|_| ServeError::MissingApp(dist.to_path_buf()))?;
    // The Brotli or gzip copy `cargo xtask build-web` writes beside each file,
    // whichever the browser accepts (with Content-Encoding and Vary).
    let files = Router::new()
        .fallback_service(
            ServeDir::new(dist)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(
                    ServeFile::new(index)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
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
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let policy = policy.clone();
                async move { with_headers(request, next, policy).await }
            },
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http()))
}

/// The page's Content-Security-Policy: its own scripts (and the inline ones in
/// `index.html`, by their SHA-256: the theme before the first paint and Trunk's
/// loader), its own wasm (`'wasm-unsafe-eval'`), its own API; never framed.
/// Styles may be inline: CodeMirror and the charts set them at run time.
fn content_security_policy(index_html: &str) -> String {
    use sha2::Digest as _;
    let mut hashes = String::new();
    let mut rest = index_html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_rest = &after[tag_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            let digest = sha2::Sha256::digest(&body_and_rest.as_bytes()[..close]);
            hashes.push_str(&format!(
                " 'sha256-{}'",
                sluice_engine::value::base64(&digest)
            ));
        }
        rest = &body_and_rest[close..];
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Whether a file's name carries Trunk's content hash (`name-<8 to 16 hex>.ext`): its
/// content never changes under that name.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    // Trunk 0.22.1 writes assets' hashes zero-padded to 16 hex digits
    // (`pipelines/mod.rs`: `{:0>16x}`) but the app's wasm and JS with `{hash:x}`
    // (`pipelines/rust/mod.rs`), so as few as 1; fewer than 8 is taken for a word.
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (8..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Security headers on every response, and how long the browser may keep it:
/// hashed files for a year, untouched; the page and unhashed files revalidated
/// each time; API answers never stored.
async fn with_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
    policy: HeaderValue,
) -> axum::response::Response {
    use axum::http::header;
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let found = response.status().is_success();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !path.starts_with("/api/") && !headers.contains_key(header::VARY) {
        // The same address answers Brotli, gzip or plain: caches must tell them apart.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let cache = if path.starts_with("/api/") {
        "no-store"
    } else if found && is_hashed(&path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
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
    let services = Services {
        guard: Arc::new(api::Guard::new(token.clone(), hosts)),
        deploy: Some(Arc::new(api::Api::new(config))),
        local: Some(Arc::new(local::LocalApi::new(local))),
    };
    let app = app(dist, Some(services))?;
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
    async fn the_local_routes_stand_behind_the_guard_without_the_deploy_api() {
        let dir = dist();
        let state = tempfile::tempdir().expect("temp dir");
        let local = sluice_local::Local::open(state.path()).expect("a local target");
        let services = || Services {
            guard: Arc::new(api::Guard::new(
                "secret".into(),
                vec!["127.0.0.1:8080".into()],
            )),
            deploy: None,
            local: Some(Arc::new(local::LocalApi::new(local.clone()))),
        };
        let call = |token: Option<&str>, uri: &str| {
            let mut request = Request::get(uri).header("host", "127.0.0.1:8080");
            if let Some(token) = token {
                request = request.header("x-sluice-token", token);
            }
            request.body(Body::empty()).expect("request")
        };
        let app = app(dir.path(), Some(services())).expect("app");
        let answer = app
            .clone()
            .oneshot(call(Some("secret"), "/api/local/jobs"))
            .await
            .expect("response");
        assert_eq!(answer.status(), StatusCode::OK);
        let refused = app
            .clone()
            .oneshot(call(None, "/api/local/jobs"))
            .await
            .expect("response");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let no_deploy = app
            .oneshot(call(Some("secret"), "/api/jobs"))
            .await
            .expect("response");
        assert_eq!(no_deploy.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn health_answers_json() {
        let dir = dist();
        let (status, body) = get(app(dir.path(), None).expect("app"), "/api/health").await;
        assert_eq!(status, StatusCode::OK);
        let value: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(value["status"], "ok");
        assert_eq!(value["name"], "sluice");
    }

    #[tokio::test]
    async fn unknown_paths_fall_back_to_the_app_but_not_in_the_api() {
        let dir = dist();
        let (status, body) = get(app(dir.path(), None).expect("app"), "/some/page").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "<h1>app</h1>"));
        let (status, _) = get(app(dir.path(), None).expect("app"), "/api/nope").await;
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
        let app = app(dir.path(), None).expect("app");
        for uri in ["/leak.txt", "/out/secret.txt", "/%6Ceak.txt"] {
            let (status, body) = get(app.clone(), uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
            assert!(!body.contains("secret"), "{uri}: {body}");
        }
        let (status, body) = get(app, "/app.js").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    }

    async fn headers_of(
        app: &Router,
        path: &str,
        accept: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = app
            .clone()
            .oneshot(
                Request::get(path)
                    .header("accept-encoding", accept)
                    .body(Body::empty())
                    .expect("a request"),
            )
            .await
            .expect("a response");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("a body").to_bytes().to_vec();
        (parts.status, parts.headers, bytes)
    }

    /// Issue 17: the copy the browser accepts, cached by content hash, with the
    /// security headers, and a CSP that names the page's own inline scripts.
    #[tokio::test]
    async fn files_come_precompressed_cached_and_with_security_headers() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let script = "\n  console.log('mine');\n";
        std::fs::write(
            dir.path().join("index.html"),
            format!("<html><head><script>{script}</script><script type=\"module\" src=\"/a.js\"></script></head></html>"),
        )
        .expect("index");
        let wasm = "app-0123456789abcdef_bg.wasm";
        std::fs::write(dir.path().join(wasm), b"plain").expect("wasm");
        std::fs::write(dir.path().join(format!("{wasm}.br")), b"brotli").expect("br");
        std::fs::write(dir.path().join(format!("{wasm}.gz")), b"gzip").expect("gz");
        let app = app(dir.path(), None).expect("an app");
        let path = format!("/{wasm}");
        for (accept, encoding, body) in [
            ("br, gzip", Some("br"), "brotli"),
            ("gzip", Some("gzip"), "gzip"),
            ("identity", None, "plain"),
        ] {
            let (status, h, bytes) = headers_of(&app, &path, accept).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                h.get("content-encoding").and_then(|v| v.to_str().ok()),
                encoding,
                "{accept}"
            );
            assert_eq!(bytes, body.as_bytes(), "{accept}");
            assert_eq!(h["vary"], "accept-encoding");
            assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
        }
        let (_, h, _) = headers_of(&app, "/", "br").await;
        assert_eq!(h["cache-control"], "no-cache");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let csp = h["content-security-policy"].to_str().expect("text");
        let hash = sluice_engine::value::base64(&sha2::Sha256::digest(script.as_bytes()));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        assert_eq!(
            csp.matches("'sha256-").count(),
            1,
            "only the inline one: {csp}"
        );
        for part in [
            "script-src 'self' 'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{csp}");
        }
        let (_, h, _) = headers_of(&app, "/api/health", "br").await;
        assert_eq!(h["cache-control"], "no-store");
        assert!(is_hashed("/sluice-web-be67c64686cbec66.js"));
        // Trunk leaves the app's hash unpadded: 15 digits here.
        assert!(is_hashed("/sluice-web-935bafebd7045c2_bg.wasm"));
        assert!(is_hashed("/sluice-web-935bafebd7045c2.js"));
        assert!(!is_hashed("/x-cafe.css"));
        assert!(is_hashed("/favicon-6e5be74193255191.svg"));
        assert!(!is_hashed("/snippets/static/generated/editor.js"));
        assert!(!is_hashed("/index.html"));
    }

    #[test]
    fn missing_app_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = app(dir.path(), None).expect_err("no index.html");
        assert!(err.to_string().contains("index.html is missing"), "{err}");
    }
}
