//! One error answer for every API handler: its status and a
//! [`sluice_deploy::wire::ErrorBody`] (`{"error": message}`), the type the page
//! reads. Handlers return `Result<Response, ApiError>` and say which error with `?`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sluice_deploy::wire::ErrorBody;
use sluice_local::LocalError;

/// An API call's failure, as the caller receives it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

/// What an API handler returns.
pub type ApiResult = Result<Response, ApiError>;

impl ApiError {
    /// A failure with this status and message.
    pub fn new(status: StatusCode, message: impl std::fmt::Display) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: message.to_string(),
                diagnostics: Vec::new(),
            },
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

    /// The same failure with the diagnostics of the query that caused it.
    pub fn with_diagnostics(mut self, diagnostics: Vec<serde_json::Value>) -> Self {
        self.body.diagnostics = diagnostics;
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
    async fn an_error_answers_its_status_and_message_with_its_diagnostics() {
        let response = ApiError::conflict("busy")
            .with_diagnostics(vec![serde_json::json!(1)])
            .into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 10)
            .await
            .expect("a body");
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(
            body,
            serde_json::json!({"error": "busy", "diagnostics": [1]})
        );
        let plain = ApiError::conflict("busy").into_response();
        let bytes = axum::body::to_bytes(plain.into_body(), 1 << 10)
            .await
            .expect("a body");
        assert_eq!(bytes.as_ref(), br#"{"error":"busy"}"#);
        let local = ApiError::from(LocalError::NoJob("j".into()));
        assert_eq!(local.status(), StatusCode::NOT_FOUND);
    }
}
