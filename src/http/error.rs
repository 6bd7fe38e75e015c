//! The one place where an `Error` becomes an HTTP response: `{error, message}` JSON
//! with the status that `status_of` gives it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

/// The HTTP status an error is answered with; every route that reports an `Error` uses
/// this and nothing else.
pub(crate) fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::BadInput(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::WrongPin { .. } => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Refused(_) | Error::ConcurrentChange(_) => StatusCode::CONFLICT,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::PinLocked(_) => StatusCode::LOCKED,
        Error::State(_) | Error::Database(_) | Error::Io { .. } | Error::Internal(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = status_of(&self);
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
        (status, super::json::JsonReply(body)).into_response()
    }
}

/// A plain error response for routes that answer non-JSON clients (CRL, CA, OCSP
/// transport errors).
pub fn plain(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}
