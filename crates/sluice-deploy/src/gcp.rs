//! The Google Cloud REST client: Application Default Credentials, HTTPS with
//! retries (exponential backoff with jitter on 429, 5xx, timeouts and dropped
//! connections), and errors that name the call, the resource and Google's answer.
//!
//! Access tokens stay in this module: they are sent to Google and nowhere else,
//! and never logged.

use std::time::Duration;

use serde_json::Value;

use crate::deploy::{Endpoints, Request};

/// How requests are authorized.
#[derive(Clone)]
pub enum Auth {
    /// Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
    /// user credentials, or the metadata server).
    Google(google_cloud_auth::credentials::Credentials),
    /// A fixed bearer token (tests against a fake).
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a token.
        f.write_str(match self {
            Self::Google(_) => "Auth::Google(..)",
            Self::Bearer(_) => "Auth::Bearer(..)",
        })
    }
}

impl Auth {
    /// Application Default Credentials; an error says why none were found.
    pub fn application_default() -> Result<Self, GcpError> {
        google_cloud_auth::credentials::Builder::default()
            .build()
            .map(Self::Google)
            .map_err(|e| GcpError::auth(e.to_string()))
    }

    async fn headers(&self) -> Result<http::HeaderMap, GcpError> {
        match self {
            Self::Google(credentials) => {
                match credentials
                    .headers(http::Extensions::new())
                    .await
                    .map_err(|e| GcpError::auth(e.to_string()))?
                {
                    google_cloud_auth::credentials::CacheableResource::New { data, .. } => Ok(data),
                    google_cloud_auth::credentials::CacheableResource::NotModified => {
                        Err(GcpError::auth("the credentials returned no headers".into()))
                    }
                }
            }
            Self::Bearer(token) => {
                let mut headers = http::HeaderMap::new();
                let value = http::HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| GcpError::auth("the token is not a valid header".into()))?;
                headers.insert(http::header::AUTHORIZATION, value);
                Ok(headers)
            }
        }
    }
}

/// A call that failed: which, on what, and what Google (or the network) said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call} on {resource} failed{}: {message}", status.map(|s| format!(" with HTTP {s}")).unwrap_or_default())]
pub struct GcpError {
    /// The API method, e.g. `pubsub.projects.topics.create`.
    pub call: String,
    /// The resource, e.g. `topic projects/p/topics/t`.
    pub resource: String,
    /// The HTTP status, if Google answered.
    pub status: Option<u16>,
    /// Google's `error.status` and `error.message`, or the network error.
    pub message: String,
}

impl GcpError {
    fn auth(message: String) -> Self {
        Self {
            call: "authorization".into(),
            resource: "Application Default Credentials".into(),
            status: None,
            message,
        }
    }

    /// Whether Google said the resource already exists (HTTP 409).
    pub fn already_exists(&self) -> bool {
        self.status == Some(409)
    }

    /// Whether Google said there is no such resource (HTTP 404).
    pub fn not_found(&self) -> bool {
        self.status == Some(404)
    }
}

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// The first backoff; each next one doubles, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(16),
            timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (1-based, after a failure): exponential,
    /// capped, with full jitter in its upper half.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(20));
        let capped = exp.min(self.max_backoff);
        capped / 2 + capped.mul_f64(fastrand::f64() / 2.0)
    }
}

/// Whether a status is worth retrying.
fn transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// An authorized client for the three APIs.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoints: Endpoints,
    auth: Auth,
    retry: RetryPolicy,
}

impl Client {
    /// A client for `endpoints` authorized by `auth`.
    pub fn new(endpoints: Endpoints, auth: Auth, retry: RetryPolicy) -> Result<Self, GcpError> {
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GcpError {
                call: "client".into(),
                resource: "HTTPS".into(),
                status: None,
                message: e.to_string(),
            })?;
        Ok(Self {
            http,
            endpoints,
            auth,
            retry,
        })
    }

    /// Checks that the credentials give a token, before any request: without any,
    /// the error says so and how to provide them (rather than the auth library's
    /// "transient errors" from a metadata server that is not there).
    pub async fn check_credentials(&self) -> Result<(), GcpError> {
        self.auth.headers().await.map(|_| ()).map_err(|e| {
            // The auth library's own words ("transient errors … may succeed") would
            // mislead: there is nothing to retry. They go to the log only.
            tracing::debug!(error = %e.message, "no credentials from Application Default Credentials");
            GcpError {
                call: "looking for Google credentials".into(),
                resource: "this machine".into(),
                status: None,
                message: format!(
                    "no Google credentials were found. {}",
                    crate::deploy::CREDENTIALS_HELP
                ),
            }
        })
    }

    /// Where the client sends requests.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Sends `request`, retrying what is transient; the parsed JSON body of a 2xx
    /// answer (`null` when empty), or what went wrong.
    pub async fn send(&self, request: &Request) -> Result<Value, GcpError> {
        let url = request.url(&self.endpoints);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(request, &url).await;
            let retry = match &outcome {
                Ok(_) => false,
                Err(e) => e.status.is_none_or(transient) && e.call != "authorization",
            };
            if !retry || attempt >= self.retry.attempts {
                return outcome.map_err(|mut e| {
                    if attempt > 1 {
                        e.message = format!("{} (after {attempt} attempts)", e.message);
                    }
                    e
                });
            }
            let wait = self.retry.backoff(attempt);
            if let Err(e) = &outcome {
                tracing::warn!(call = %request.call, resource = %request.resource, error = %e.message, ?wait, "retrying");
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, request: &Request, url: &str) -> Result<Value, GcpError> {
        let fail = |status: Option<u16>, message: String| GcpError {
            call: request.call.clone(),
            resource: request.resource.clone(),
            status,
            message,
        };
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| fail(None, format!("bad method {}", request.method)))?;
        let mut builder = self
            .http
            .request(method, url)
            .headers(self.auth.headers().await?);
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        tracing::debug!(call = %request.call, %url, "request");
        let response = builder.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "the connection failed"
            };
            fail(None, format!("{what}: {}", without_url(&e)))
        })?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| {
            fail(
                Some(status),
                format!("the answer broke off: {}", without_url(&e)),
            )
        })?;
        let body: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(fail(Some(status), google_message(&body)))
        }
    }
}

/// reqwest's error text without the URL (which may hold a query string).
fn without_url(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message.replace(&format!(" for url ({url})"), "");
    }
    message
}

/// `STATUS: message` from Google's error body `{"error": {"status", "message"}}`.
fn google_message(body: &Value) -> String {
    let error = &body["error"];
    match (error["status"].as_str(), error["message"].as_str()) {
        (Some(s), Some(m)) => format!("{s}: {m}"),
        (None, Some(m)) => m.to_owned(),
        _ => match body {
            Value::String(s) => s.chars().take(500).collect(),
            Value::Null => "an empty answer".into(),
            other => other.to_string().chars().take(500).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for _ in 0..100 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = p.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = p.backoff(30);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn googles_error_body_becomes_the_message() {
        let body = serde_json::json!({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}});
        assert_eq!(google_message(&body), "PERMISSION_DENIED: no");
        assert_eq!(google_message(&Value::Null), "an empty answer");
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        assert!(transient(429) && transient(503));
        assert!(!transient(400) && !transient(403) && !transient(404) && !transient(409));
    }

    #[test]
    fn a_bearer_token_is_never_printed() {
        let auth = Auth::Bearer("secret".into());
        assert!(!format!("{auth:?}").contains("secret"));
    }
}
