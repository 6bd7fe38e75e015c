//! The one place where an `Error` becomes an HTTP response: `{error, message}` JSON
//! with the status from `Error::http_status`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut body = serde_json::json!({"error": self.code(), "message": self.to_string()});
        if let Error::WrongPin {
            remaining_tries, ..
        } = &self
        {
            body["remaining_tries"] = serde_json::json!(remaining_tries);
        }
        (status, Json(body)).into_response()
    }
}

/// A plain error response for routes that answer non-JSON clients (CRL, CA, OCSP
/// transport errors).
pub fn plain(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}
