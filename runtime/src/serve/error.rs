//! OData errors: every client mistake answers 4xx with an OData error body that says
//! what is wrong; 5xx is left for faults of the server itself.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug)]
pub struct ODataError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for the client.
    pub message: String,
}

impl ODataError {
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ODataError {
            status,
            message: message.into(),
        }
    }

    /// The answer to a refused `$filter` (`context` says where it was): a 400, or a 501
    /// for valid OData that the service does not implement, as CAP answers it.
    pub fn filter(context: &str, error: super::filter::FilterError) -> Self {
        let status = match error.unsupported {
            true => StatusCode::NOT_IMPLEMENTED,
            false => StatusCode::BAD_REQUEST,
        };
        Self::new(status, format!("{context}: {error}"))
    }

    /// 500, logged with its cause (which the client does not see).
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "OData request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error; the server log has the cause",
        )
    }
}

impl IntoResponse for ODataError {
    fn into_response(self) -> Response {
        // CAP's shape, with the severity SAP's UIs read (4: error).
        let body = serde_json::json!({
            "error": {
                "code": self.status.as_u16().to_string(),
                "message": self.message,
                "@Common.numericSeverity": 4,
            }
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert("OData-Version", HeaderValue::from_static("4.0"));
        response
    }
}
