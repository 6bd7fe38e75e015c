//! JSON in and out of the admin API: request bodies read strictly, replies that end
//! with a newline (so `curl` output does not run into the shell prompt).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// Largest admin request body.
pub(super) const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body read strictly: `application/json`, at most 64 KiB, every error as
/// `{error, message}`. An empty body reads as `{}`.
pub(super) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self> {
        let content_type = super::media_type(request.headers());
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::TooLarge(format!("request body over {MAX_BODY_BYTES} bytes"))
                } else {
                    Error::BadInput(format!("cannot read the request body: {rejection}"))
                }
            })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            if content_type.as_deref() != Some("application/json") {
                return Err(Error::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".into(),
                ));
            }
            &bytes
        };
        serde_json::from_slice(bytes)
            .map(JsonBody)
            .map_err(|e| Error::BadInput(format!("invalid JSON body: {e}")))
    }
}

/// A JSON reply: compact JSON, then a newline.
pub(super) struct JsonReply<T>(pub T);

impl<T: Serialize> IntoResponse for JsonReply<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(mut body) => {
                body.push(b'\n');
                ([(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
            Err(e) => Error::Internal(format!("JSON encoding: {e}")).into_response(),
        }
    }
}
