//! The one place where an `Error` becomes an HTTP response: `{error, message}` JSON
//! with the status that `status_of` gives it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

/// The HTTP status an error is answered with; every route that reports an `Error` uses
/// this and nothing else.
pub(crate) fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::BadInput(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::WrongPin { .. } | Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Refused(_) | Error::ConcurrentChange(_) => StatusCode::CONFLICT,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::PinLocked(_) => StatusCode::LOCKED,
        Error::State(_)
        | Error::Database(_)
        | Error::Postgres(_)
        | Error::Io { .. }
        | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error reply of the admin API.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorReply {
    /// What went wrong, as a code: bad_input, unauthorized, wrong_pin, not_found,
    /// method_not_allowed, refused, conflict, too_large, unsupported_media_type,
    /// pin_locked, …
    error: &'static str,
    /// What went wrong, as a sentence.
    message: String,
    /// With wrong_pin (403): the tries left before the PIN locks.
    #[serde(skip_serializing_if = "Option::is_none")]
    remaining_tries: Option<u32>,
}

impl ErrorReply {
    pub(crate) fn new(error: &'static str, message: String) -> Self {
        Self {
            error,
            message,
            remaining_tries: None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = status_of(&self);
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let reply = ErrorReply {
            remaining_tries: match &self {
                Error::WrongPin {
                    remaining_tries, ..
                } => Some(*remaining_tries),
                _ => None,
            },
            ..ErrorReply::new(self.code(), self.to_string())
        };
        (status, super::json::JsonReply(reply)).into_response()
    }
}

/// A plain error response for routes that answer non-JSON clients (CRL, CA, OCSP
/// transport errors).
pub fn plain(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}
