//! The admin JSON API under `/api/v1` (interface.md): cards, events, renewal, reissue,
//! the virtual card (PIN-protected signing), certificates, notices and the virtual
//! clock. Bodies are strict JSON: unknown fields and wrong types are 400.

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use serde::Deserialize;

use super::json::JsonBody;
use super::json::JsonReply;
use super::AppState;
use crate::authority::{cert_kinds, CardRequest, IssueRequest, RawRevokeRequest, RevokeRequest};
use crate::clock::{self, Clock};
use crate::error::{Error, Result};
use crate::rules::{CertKind, CrlReason, Serial};
use crate::store::CardId;

/// A 405 in the admin API's `{error, message}` shape (axum's own has no body).
pub(super) fn method_not_allowed(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
) -> axum::response::Response {
    let body = serde_json::json!({
        "error": "method_not_allowed",
        "message": format!("{method} is not allowed on {}", uri.path()),
    });
    (StatusCode::METHOD_NOT_ALLOWED, JsonReply(body)).into_response()
}

/// Routes, to be nested under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cards", post(create_card))
        .route("/cards/{id}", get(card))
        .route("/cards/{id}/events", post(event))
        .route("/cards/{id}/renew", post(renew))
        .route("/cards/{id}/reissue", post(reissue))
        .route("/cards/{id}/sign", post(sign))
        .route("/cards/{id}/authenticate", post(authenticate))
        .route("/cards/{id}/pin-reset", post(pin_reset))
        .route("/certs/{serial}", get(certificate))
        .route("/notices", get(notices))
        .route("/requests", get(requests_get).delete(requests_delete))
        .route(
            "/faults",
            get(faults_get).put(faults_put).delete(faults_delete),
        )
        .route("/clock", get(clock_get).put(clock_put).delete(clock_delete))
        .route("/base-url", get(base_url_get).put(base_url_put))
        .route("/ca", get(ca_list))
        .route("/ca/{kind}/rollover", post(ca_rollover))
        .route("/ca/{kind}/{generation}/revoke", post(ca_revoke))
        .route("/publish", post(publish_now))
        .route("/publication", get(publication))
        .fallback(|| async { Error::NotFound("no such admin route".into()) })
}

/// Requires `Authorization: Bearer <token>` when the server has an admin token.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = state.admin_token() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The auth scheme is case-insensitive (RFC 7235 §2.1).
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
            return Error::Unauthorized(
                "the admin API needs Authorization: Bearer <token> (the configured admin token)"
                    .into(),
            )
            .into_response();
        }
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn card_id(text: &str) -> Result<CardId> {
    text.parse()
        .map(CardId)
        .map_err(|_| Error::BadInput(format!("{text:?} is not a card id")))
}

async fn create_card(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<IssueRequest>,
) -> Result<Response> {
    let request = CardRequest::try_from(&request)?;
    let issued = state.blocking(move |s| s.authority.issue(&request)).await?;
    Ok((StatusCode::CREATED, JsonReply(issued)).into_response())
}

async fn card(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let id = card_id(&id)?;
    let view = state.blocking(move |s| s.authority.card_view(id)).await?;
    Ok(JsonReply(view).into_response())
}

async fn event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RawRevokeRequest>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let request = RevokeRequest::try_from(&body)?;
    let report = state
        .blocking(move |s| s.authority.revoke(id, &request))
        .await?;
    Ok(JsonReply(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenewBody {
    #[serde(default)]
    certs: Option<Vec<String>>,
}

async fn renew(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RenewBody>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let chosen = cert_kinds(body.certs.as_deref())?;
    let issued = state
        .blocking(move |s| s.authority.renew(id, chosen.as_deref()))
        .await?;
    Ok(JsonReply(issued).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

async fn reissue(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(_): JsonBody<Empty>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let issued = state.blocking(move |s| s.authority.reissue(id)).await?;
    Ok((StatusCode::CREATED, JsonReply(issued)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignBody {
    pin: String,
    data_base64: String,
}

async fn use_key(state: AppState, id: String, kind: CertKind, body: SignBody) -> Result<Response> {
    let id = card_id(&id)?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(body.data_base64.trim())
        .map_err(|e| Error::BadInput(format!("data_base64: not base64: {e}")))?;
    let view = state
        .blocking(move |s| s.authority.sign_with_pin(id, kind, &body.pin, &data))
        .await?;
    Ok(JsonReply(view).into_response())
}

async fn sign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SignBody>,
) -> Result<Response> {
    use_key(state, id, CertKind::Sign, body).await
}

async fn authenticate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SignBody>,
) -> Result<Response> {
    use_key(state, id, CertKind::Auth, body).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinResetBody {
    kind: String,
    new_pin: String,
}

async fn pin_reset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PinResetBody>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let kind: CertKind = body
        .kind
        .parse()
        .map_err(|e| Error::BadInput(format!("kind: {e}")))?;
    state
        .blocking(move |s| s.authority.reset_pin(id, kind, &body.new_pin))
        .await?;
    Ok(JsonReply(serde_json::json!({
        "card_id": id,
        "kind": kind.as_str(),
        "reset": true,
        "remaining_tries": crate::rules::pin::max_tries(kind),
    }))
    .into_response())
}

async fn certificate(
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> Result<Response> {
    let serial: Serial = serial.parse().map_err(Error::BadInput)?;
    let view = state
        .blocking(move |s| s.authority.certificate_view(serial))
        .await?;
    Ok(JsonReply(view).into_response())
}

async fn notices(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let on = query
        .get("on")
        .ok_or_else(|| Error::BadInput("give the date as ?on=YYYY-MM-DD".into()))?;
    let on = clock::parse_date(on)?;
    let list = state.blocking(move |s| s.authority.notices(on)).await?;
    Ok(JsonReply(serde_json::json!({ "on": on.to_string(), "notices": list })).into_response())
}

async fn clock_get(State(state): State<AppState>) -> Result<Response> {
    let view = state
        .blocking(|s| {
            // Another process (`jpki-mock clock`) may have moved it.
            s.authority.sync()?;
            Ok(s.authority.clock_view())
        })
        .await?;
    Ok(JsonReply(view).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    offset_seconds: Option<i64>,
}

async fn clock_put(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ClockBody>,
) -> Result<Response> {
    let clock = match (body.now, body.offset_seconds) {
        (Some(now), None) => Clock::Fixed {
            now: clock::parse_instant(&now)?,
        },
        (None, Some(offset_seconds)) => Clock::Offset { offset_seconds },
        _ => {
            return Err(Error::BadInput(
                "give exactly one of now (RFC 3339 or a date) and offset_seconds".into(),
            ))
        }
    };
    let view = state
        .blocking(move |s| s.authority.set_clock(clock))
        .await?;
    Ok(JsonReply(view).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseUrlBody {
    url: String,
}

async fn base_url_get(State(state): State<AppState>) -> Result<Response> {
    let url = state.blocking(|s| s.authority.base_url()).await?;
    Ok(JsonReply(serde_json::json!({ "base_url": url })).into_response())
}

/// A new base URL for certificates issued from now on; the CA certificates are
/// re-signed with the same keys so that their ARL URL follows.
async fn base_url_put(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<BaseUrlBody>,
) -> Result<Response> {
    let url = state
        .blocking(move |s| s.authority.set_base_url(&body.url))
        .await?;
    Ok(JsonReply(serde_json::json!({ "base_url": url })).into_response())
}

async fn clock_delete(State(state): State<AppState>) -> Result<Response> {
    let view = state
        .blocking(|s| s.authority.set_clock(Clock::System))
        .await?;
    Ok(JsonReply(view).into_response())
}

async fn requests_get(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let serial = query
        .get("serial")
        .map(|s| s.parse::<Serial>().map_err(Error::BadInput))
        .transpose()?
        .map(|s| s.0);
    let since = query
        .get("since")
        .map(|s| clock::parse_instant(s))
        .transpose()?;
    let requests = state.request_log().query(serial, since);
    Ok(JsonReply(serde_json::json!({ "requests": requests })).into_response())
}

async fn requests_delete(State(state): State<AppState>) -> Response {
    let cleared = state.request_log().clear();
    JsonReply(serde_json::json!({ "cleared": cleared })).into_response()
}

async fn faults_get(State(state): State<AppState>) -> Result<Response> {
    let faults = state.blocking(|s| Ok(s.faults.list().to_vec())).await?;
    Ok(JsonReply(serde_json::json!({ "faults": faults })).into_response())
}

async fn faults_put(
    State(state): State<AppState>,
    JsonBody(faults): JsonBody<Vec<crate::faults::Fault>>,
) -> Result<Response> {
    let listed = faults.clone();
    state
        .blocking(move |s| {
            s.faults.set(faults);
            Ok(())
        })
        .await?;
    Ok(JsonReply(serde_json::json!({ "faults": listed })).into_response())
}

async fn faults_delete(State(state): State<AppState>) -> Result<Response> {
    state
        .blocking(|s| {
            s.faults.set(Vec::new());
            Ok(())
        })
        .await?;
    Ok(JsonReply(serde_json::json!({ "faults": [] })).into_response())
}

fn ca_named(text: &str) -> Result<CertKind> {
    text.parse()
        .map_err(|_| Error::NotFound(format!("no CA {text:?}: expected sign or auth")))
}

async fn ca_list(State(state): State<AppState>) -> Result<Response> {
    let list = state
        .blocking(|s| {
            s.authority.sync()?;
            Ok(s.authority.ca_list(None))
        })
        .await?;
    Ok(JsonReply(list).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloverBody {
    #[serde(default)]
    at: Option<String>,
}

async fn ca_rollover(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    JsonBody(body): JsonBody<RolloverBody>,
) -> Result<Response> {
    let kind = ca_named(&kind)?;
    let at = body
        .at
        .map(|at| clock::parse_instant(&at).map_err(|e| Error::BadInput(format!("at: {e}"))))
        .transpose()?;
    let view = state
        .blocking(move |s| {
            s.authority.sync()?;
            s.authority.rollover(kind, at)
        })
        .await?;
    Ok((StatusCode::CREATED, JsonReply(view)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaRevokeBody {
    reason: String,
}

async fn ca_revoke(
    State(state): State<AppState>,
    Path((kind, generation)): Path<(String, String)>,
    JsonBody(body): JsonBody<CaRevokeBody>,
) -> Result<Response> {
    let kind = ca_named(&kind)?;
    let generation: u32 = generation
        .parse()
        .map_err(|_| Error::NotFound(format!("{generation:?} is not a generation number")))?;
    let reason: CrlReason = body
        .reason
        .parse()
        .map_err(|e| Error::BadInput(format!("reason: {e}")))?;
    let view = state
        .blocking(move |s| {
            s.authority.sync()?;
            s.authority.revoke_ca(kind, generation, reason)
        })
        .await?;
    Ok(JsonReply(view).into_response())
}

async fn publish_now(State(state): State<AppState>, _: JsonBody<Empty>) -> Result<Response> {
    let view = state
        .blocking(|s| {
            s.authority.sync()?;
            s.authority.publish_now()
        })
        .await?;
    Ok(JsonReply(view).into_response())
}

async fn publication(State(state): State<AppState>) -> Result<Response> {
    let view = state
        .blocking(|s| {
            s.authority.sync()?;
            Ok(s.authority.publication())
        })
        .await?;
    Ok(JsonReply(view).into_response())
}
