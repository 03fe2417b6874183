//! One error answer for every API handler: its status and `{"error": message}` (with
//! more fields where a caller needs them, e.g. a query's diagnostics). Handlers return
//! `Result<Response, ApiError>` and say which error with `?`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sluice_local::LocalError;

/// An API call's failure, as the caller receives it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
}

/// What an API handler returns.
pub type ApiResult = Result<Response, ApiError>;

impl ApiError {
    /// A failure with this status and message.
    pub fn new(status: StatusCode, message: impl std::fmt::Display) -> Self {
        Self {
            status,
            body: json!({"error": message.to_string()}),
        }
    }

    /// 400: the request itself is wrong.
    pub fn bad_request(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404.
    pub fn not_found(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 409: something else is under way.
    pub fn conflict(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// 500: this server failed.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// 502: Google Cloud answered with a failure.
    pub fn bad_gateway(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, message)
    }

    /// 503: Google Cloud cannot be reached (no credentials, no token).
    pub fn unavailable(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The same failure with one more field in its body.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        if let Some(body) = self.body.as_object_mut() {
            body.insert(key.to_string(), value);
        }
        self
    }

    /// Its status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<LocalError> for ApiError {
    fn from(e: LocalError) -> Self {
        let status = match e {
            LocalError::NoTopic(_) | LocalError::NoJob(_) => StatusCode::NOT_FOUND,
            LocalError::JobExists(_) => StatusCode::CONFLICT,
            LocalError::OutputTopic { .. } => StatusCode::FORBIDDEN,
            LocalError::Invalid(_) | LocalError::Query(_) => StatusCode::BAD_REQUEST,
            LocalError::Storage(_) | LocalError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_error_answers_its_status_and_message_with_its_fields() {
        let response = ApiError::conflict("busy")
            .with("diagnostics", json!([1]))
            .into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 10)
            .await
            .expect("a body");
        let body: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(body, json!({"error": "busy", "diagnostics": [1]}));
        let local = ApiError::from(LocalError::NoJob("j".into()));
        assert_eq!(local.status(), StatusCode::NOT_FOUND);
    }
}
