//! The admin JSON API under `/api/v1` (interface.md): cards, events, renewal, reissue,
//! the virtual card (PIN-protected signing), certificates, notices and the virtual
//! clock. Bodies are strict JSON: unknown fields and wrong types are 400. Each handler
//! carries its OpenAPI description (`#[utoipa::path]`), served as
//! `GET /api/v1/openapi.json`.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::error::ErrorReply;
use super::json::JsonBody;
use super::json::JsonReply;
use super::tenants::{CreatedTenant, TenantList, TenantRequest, TenantView, Tenants};
use super::AppState;
use crate::authority::{
    cert_kinds, Authority, CaView, CardRequest, CardView, CertView, ClockView, ConsentView,
    IssueRequest, IssuedCard, LatestFactsView, LinksView, NoticeView, PhoneRequest,
    PublicationView, RawPhoneRequest, RawRevokeRequest, RawSignRequest, RevocationReport,
    RevokeRequest, SignRequest, SignatureView,
};
use crate::clock::{self, Clock};
use crate::error::{Error, Result};
use crate::faults::Fault;
use crate::http::observe::RequestRecord;
use crate::rules::{CertKind, CrlReason, Platform, Serial};
use crate::store::tenants::TenantName;
use crate::store::CardId;

/// Where the admin API is nested.
pub const PREFIX: &str = "/api/v1";

/// A 405 in the admin API's `{error, message}` shape (axum's own has no body).
pub(super) fn method_not_allowed(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
) -> axum::response::Response {
    let body = ErrorReply::new(
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    );
    (StatusCode::METHOD_NOT_ALLOWED, JsonReply(body)).into_response()
}

/// Routes, to be nested under [`PREFIX`]. Each handler describes itself in
/// `#[utoipa::path]`; [`AdminApi`] lists them all (tests/admin.rs checks that the two
/// lists agree).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cards", post(create_card))
        .route("/cards/{id}", get(card))
        .route("/cards/{id}/events", post(event))
        .route("/cards/{id}/renew", post(renew))
        .route("/cards/{id}/reissue", post(reissue))
        .route("/cards/{id}/certs/sign", post(issue_signing_certificate))
        .route("/cards/{id}/phones", post(phone_issue))
        .route("/cards/{id}/phones/{platform}/suspend", post(phone_suspend))
        .route("/cards/{id}/phones/{platform}/resume", post(phone_resume))
        .route("/cards/{id}/sign", post(sign))
        .route("/cards/{id}/authenticate", post(authenticate))
        .route("/cards/{id}/pin-reset", post(pin_reset))
        .route("/certs/{serial}", get(certificate))
        .route("/certs/{serial}/links", get(certificate_links))
        .route("/certs/{serial}/latest-facts", get(latest_facts))
        .route(
            "/cards/{id}/latest-facts-consent",
            axum::routing::put(latest_facts_consent),
        )
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
        .route("/tenants", get(tenants_list).post(tenants_create))
        .route("/tenants/{tenant}", axum::routing::delete(tenant_delete))
        .route("/openapi.json", get(openapi_json))
        .fallback(|| async { Error::NotFound("no such admin route".into()) })
}

/// The operations of the admin API, paths relative to [`PREFIX`].
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "jpki-mock admin API",
        description = "Cards, revocation events, the virtual card, the virtual clock, faults \
            and the CAs of jpki-mock, a mock JPKI certificate authority (a test CA, not for \
            production). Request bodies are JSON (Content-Type: application/json, at most \
            64 KiB); no body reads as {}. Every error is {error, message}."
    ),
    paths(
        create_card,
        card,
        event,
        renew,
        reissue,
        issue_signing_certificate,
        phone_issue,
        phone_suspend,
        phone_resume,
        sign,
        authenticate,
        pin_reset,
        certificate,
        certificate_links,
        latest_facts,
        latest_facts_consent,
        notices,
        requests_get,
        requests_delete,
        faults_get,
        faults_put,
        faults_delete,
        clock_get,
        clock_put,
        clock_delete,
        base_url_get,
        base_url_put,
        ca_list,
        ca_rollover,
        ca_revoke,
        publish_now,
        publication,
        tenants_create,
        tenants_list,
        tenant_delete,
        openapi_json,
    )
)]
struct AdminApi;

/// The admin API's OpenAPI 3.1 document, paths under [`PREFIX`].
pub fn openapi() -> OpenApi {
    use utoipa::OpenApi as _;
    let api = AdminApi::openapi();
    let mut document =
        OpenApi::new(api.info.clone(), utoipa::openapi::Paths::new()).nest(PREFIX, api);
    describe_shared(&mut document);
    document
}

/// What the operations share, described here once rather than on each: the bearer
/// token (401); a JSON body's errors (400, 413, 415), and its being optional where `{}`
/// is valid (no body reads as `{}`); the `{error, message}` body of every 4xx.
fn describe_shared(document: &mut OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "admin_token",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    document.security = Some(vec![SecurityRequirement::new(
        "admin_token",
        Vec::<String>::new(),
    )]);
    components
        .schemas
        .insert(ErrorReply::name().into_owned(), ErrorReply::schema());
    let schemas = &components.schemas;
    let error_body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(ErrorReply::name())))
        .build();
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let mut shared = vec![(
                "401",
                "unauthorized: the server has an admin token and the request does not \
                 carry it as Authorization: Bearer <token>.",
            )];
            if let Some(body) = &mut operation.request_body {
                let empty_is_valid = body.content.values().all(|content| {
                    let name = match &content.schema {
                        Some(RefOr::Ref(r)) => r.ref_location.rsplit('/').next(),
                        _ => None,
                    };
                    matches!(name.and_then(|name| schemas.get(name)),
                        Some(RefOr::T(Schema::Object(object))) if object.required.is_empty())
                });
                if empty_is_valid {
                    body.required = Some(Required::False);
                }
                shared.extend([
                    ("400", "bad_input: the body is not the JSON described."),
                    ("413", "too_large: the body is over 64 KiB."),
                    (
                        "415",
                        "unsupported_media_type: a body not sent as application/json.",
                    ),
                ]);
            }
            let responses = &mut operation.responses.responses;
            for (status, description) in shared {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| ResponseBuilder::new().description(description).into());
            }
            for (status, response) in responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with('4'), response) {
                    response
                        .content
                        .insert("application/json".into(), error_body.clone());
                }
            }
        }
    }
}

/// Requires `Authorization: Bearer <token>` when the server has an admin token.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.admin_tokens().is_empty() {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The auth scheme is case-insensitive (RFC 7235 §2.1).
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(str::to_string)
        // The dashboard's session cookie (SameSite=Strict: sent by its own pages only).
        .or_else(|| super::ui::cookie_token(request.headers()))
        .unwrap_or_default();
    let deleting = deleted_tenant(&request);
    if state.accepts_token(&given)
        || tenant_token_deletes_its_tenant(&state, deleting, &given).await
    {
        return next.run(request).await;
    }
    Error::Unauthorized(
        "the admin API needs Authorization: Bearer <token> (the configured admin token, or a \
         tenant's own under /t/{tenant})"
            .into(),
    )
    .into_response()
}

/// The tenant a `DELETE /tenants/{tenant}` names.
fn deleted_tenant(request: &Request) -> Option<TenantName> {
    let path = request.uri().path();
    let path = path.strip_prefix(PREFIX).unwrap_or(path);
    (request.method() == axum::http::Method::DELETE)
        .then(|| path.strip_prefix("/tenants/")?.parse().ok())
        .flatten()
}

/// Whether `given` is the token of the tenant being deleted (a pipeline may delete its
/// own tenant, and no other).
async fn tenant_token_deletes_its_tenant(
    state: &AppState,
    deleting: Option<TenantName>,
    given: &str,
) -> bool {
    let (Some(tenants), Some(name)) = (state.tenants().cloned(), deleting) else {
        return false;
    };
    if given.is_empty() {
        return false;
    }
    let record = tokio::task::spawn_blocking(move || tenants.record(&name)).await;
    matches!(record, Ok(Ok(Some(record)))
        if constant_time_eq(given.as_bytes(), record.admin_token.as_bytes()))
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Path parameters, read as `Path` reads them, but refused (a segment that is not UTF-8
/// once percent-decoded) as `{error, message}` like every admin error.
struct PathParam<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        Path::from_request_parts(parts, state)
            .await
            .map(|Path(params)| PathParam(params))
            .map_err(|rejection| Error::BadInput(rejection.body_text()))
    }
}

fn card_id(text: &str) -> Result<CardId> {
    text.parse()
        .map(CardId)
        .map_err(|_| Error::BadInput(format!("{text:?} is not a card id")))
}

/// Issue a card: its signing and auth certificates, with their keys.
#[utoipa::path(post, path = "/cards", tag = "cards",
    request_body = IssueRequest,
    responses(
        (status = 201, description = "The card issued.", body = IssuedCard),
        (status = 400, description = "bad_input: a field is malformed (the message names it)."),
        (status = 409, description = "refused: a JPKI rule refuses the issuance (the minimum age for a signing certificate, say)."),
    ))]
async fn create_card(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<IssueRequest>,
) -> Result<Response> {
    let request = CardRequest::try_from(&request)?;
    let issued = state.blocking(move |s| s.authority.issue(&request)).await?;
    Ok((StatusCode::CREATED, JsonReply(issued)).into_response())
}

/// A card and its certificates, with their status at the clock's now.
#[utoipa::path(get, path = "/cards/{id}", tag = "cards",
    params(("id" = i64, Path, description = "The card.")),
    responses(
        (status = 200, description = "The card.", body = CardView),
        (status = 400, description = "bad_input: not a card id."),
        (status = 404, description = "not_found: no such card."),
    ))]
async fn card(State(state): State<AppState>, PathParam(id): PathParam<String>) -> Result<Response> {
    let id = card_id(&id)?;
    let view = state.blocking(move |s| s.authority.card_view(id)).await?;
    Ok(JsonReply(view).into_response())
}

/// Apply a revocation cause (an event on the card) to its certificates.
#[utoipa::path(post, path = "/cards/{id}/events", tag = "cards",
    params(("id" = i64, Path, description = "The card.")),
    request_body = RawRevokeRequest,
    responses(
        (status = 200, description = "What the cause did.", body = RevocationReport),
        (status = 400, description = "bad_input: not a card id, or a field is malformed."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused or conflict: the cause does not apply, or the card changed meanwhile."),
    ))]
async fn event(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<RawRevokeRequest>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let request = RevokeRequest::try_from(&body)?;
    let report = state
        .blocking(move |s| s.authority.revoke(id, &request))
        .await?;
    Ok(JsonReply(report).into_response())
}

/// Which certificates to renew.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RenewBody {
    /// sign, auth (default: every unrevoked one).
    #[serde(default)]
    certs: Option<Vec<String>>,
}

/// Renew certificates inside their renewal window.
#[utoipa::path(post, path = "/cards/{id}/renew", tag = "cards",
    params(("id" = i64, Path, description = "The card.")),
    request_body = RenewBody,
    responses(
        (status = 200, description = "The new certificates, and those superseded.", body = IssuedCard),
        (status = 400, description = "bad_input: not a card id, or a field is malformed."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: outside the renewal window, or a certificate is revoked."),
    ))]
async fn renew(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<RenewBody>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let chosen = cert_kinds(body.certs.as_deref())?;
    let issued = state
        .blocking(move |s| s.authority.renew(id, chosen.as_deref()))
        .await?;
    Ok(JsonReply(issued).into_response())
}

/// No fields.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// Reissue the card: revoke its certificates and issue a new card (200 yen).
#[utoipa::path(post, path = "/cards/{id}/reissue", tag = "cards",
    params(("id" = i64, Path, description = "The card.")),
    request_body = Empty,
    responses(
        (status = 201, description = "The new card, and the old certificates revoked.", body = IssuedCard),
        (status = 400, description = "bad_input: not a card id."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the card was already replaced, say."),
    ))]
async fn reissue(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
    JsonBody(_): JsonBody<Empty>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let issued = state.blocking(move |s| s.authority.reissue(id)).await?;
    Ok((StatusCode::CREATED, JsonReply(issued)).into_response())
}

/// A new signing certificate on the card, after its signing certificate was revoked or
/// expired: with the holder's new name or address, which the card keeps from now on
/// (after name_change or address_change), or for use abroad (after emigration; an
/// address abroad is free text and needs `locality`).
#[utoipa::path(post, path = "/cards/{id}/certs/sign", tag = "cards",
    params(("id" = i64, Path, description = "The card.")),
    request_body = RawSignRequest,
    responses(
        (status = 201, description = "The new signing certificate.", body = IssuedCard),
        (status = 400, description = "bad_input: not a card id, or a field is malformed."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the card's signing certificate is still good, or the card was replaced or expired."),
    ))]
async fn issue_signing_certificate(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<RawSignRequest>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let request = SignRequest::try_from(&body)?;
    let issued = state
        .blocking(move |s| s.authority.issue_signing_certificate(id, &request))
        .await?;
    Ok((StatusCode::CREATED, JsonReply(issued)).into_response())
}

/// Issue a phone's signing and auth certificates (スマホ用電子証明書) for the card's holder.
#[utoipa::path(post, path = "/cards/{id}/phones", tag = "phones",
    params(("id" = i64, Path, description = "The card.")),
    request_body = RawPhoneRequest,
    responses(
        (status = 201, description = "The phone's certificates; `revoked` lists the set it replaced (device_change).", body = IssuedCard),
        (status = 400, description = "bad_input: not a card id, or a field is malformed."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the card's signing certificate is not good, or the card was replaced or expired."),
    ))]
async fn phone_issue(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<RawPhoneRequest>,
) -> Result<Response> {
    let id = card_id(&id)?;
    let request = PhoneRequest::try_from(&body)?;
    let issued = state
        .blocking(move |s| s.authority.issue_phone(id, &request))
        .await?;
    Ok((StatusCode::CREATED, JsonReply(issued)).into_response())
}

fn platform(text: &str) -> Result<Platform> {
    text.parse()
        .map_err(|e: crate::rules::phones::UnknownPlatform| Error::BadInput(e.to_string()))
}

/// Suspend a lost phone (一時利用停止): both its certificates on hold (phone_lost).
#[utoipa::path(post, path = "/cards/{id}/phones/{platform}/suspend", tag = "phones",
    params(
        ("id" = i64, Path, description = "The card."),
        ("platform" = String, Path, description = "android or ios."),
    ),
    request_body = Empty,
    responses(
        (status = 200, description = "What the hold did.", body = RevocationReport),
        (status = 400, description = "bad_input: not a card id or a platform."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the card has no phone certificates on that platform."),
    ))]
async fn phone_suspend(
    State(state): State<AppState>,
    PathParam((id, platform_name)): PathParam<(String, String)>,
    JsonBody(_): JsonBody<Empty>,
) -> Result<Response> {
    let (id, platform) = (card_id(&id)?, platform(&platform_name)?);
    let report = state
        .blocking(move |s| s.authority.suspend_phone(id, platform))
        .await?;
    Ok(JsonReply(report).into_response())
}

/// Resume a found phone: the hold on its auth certificate is lifted (removeFromCRL: OCSP
/// says good again) and its signing certificate, still held, is re-issued.
#[utoipa::path(post, path = "/cards/{id}/phones/{platform}/resume", tag = "phones",
    params(
        ("id" = i64, Path, description = "The card."),
        ("platform" = String, Path, description = "android or ios."),
    ),
    request_body = Empty,
    responses(
        (status = 200, description = "The re-issued signing certificate (`sign`) and the serials whose hold was lifted (`lifted`).", body = IssuedCard),
        (status = 400, description = "bad_input: not a card id or a platform."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the phone is not suspended."),
    ))]
async fn phone_resume(
    State(state): State<AppState>,
    PathParam((id, platform_name)): PathParam<(String, String)>,
    JsonBody(_): JsonBody<Empty>,
) -> Result<Response> {
    let (id, platform) = (card_id(&id)?, platform(&platform_name)?);
    let issued = state
        .blocking(move |s| s.authority.resume_phone(id, platform))
        .await?;
    Ok(JsonReply(issued).into_response())
}

/// Data to sign with a card key, and its PIN.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignBody {
    /// The PIN: 6 to 16 upper-case letters and digits (sign), 4 digits (auth).
    pin: String,
    /// The data, base64.
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

/// Sign with the card's signing key, behind its PIN (5 tries).
#[utoipa::path(post, path = "/cards/{id}/sign", tag = "virtual card",
    params(("id" = i64, Path, description = "The card.")),
    request_body = SignBody,
    responses(
        (status = 200, description = "The signature.", body = SignatureView),
        (status = 400, description = "bad_input: not a card id, a malformed PIN, or data not base64."),
        (status = 403, description = "wrong_pin: the PIN is wrong; remaining_tries says how many are left."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the card has no such PIN or certificate."),
        (status = 423, description = "pin_locked: too many wrong PINs; reset it with pin-reset."),
    ))]
async fn sign(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<SignBody>,
) -> Result<Response> {
    use_key(state, id, CertKind::Sign, body).await
}

/// Sign with the card's authentication key, behind its PIN (3 tries).
#[utoipa::path(post, path = "/cards/{id}/authenticate", tag = "virtual card",
    params(("id" = i64, Path, description = "The card.")),
    request_body = SignBody,
    responses(
        (status = 200, description = "The signature.", body = SignatureView),
        (status = 400, description = "bad_input: not a card id, a malformed PIN, or data not base64."),
        (status = 403, description = "wrong_pin: the PIN is wrong; remaining_tries says how many are left."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the card has no such PIN or certificate."),
        (status = 423, description = "pin_locked: too many wrong PINs; reset it with pin-reset."),
    ))]
async fn authenticate(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<SignBody>,
) -> Result<Response> {
    use_key(state, id, CertKind::Auth, body).await
}

/// A new PIN for one of the card's keys.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PinResetBody {
    /// Which PIN: sign or auth.
    kind: String,
    /// The new PIN.
    new_pin: String,
}

/// A PIN reset.
#[derive(Serialize, ToSchema)]
struct PinReset {
    card_id: CardId,
    kind: CertKind,
    /// Always true.
    reset: bool,
    /// Tries before the PIN locks again.
    remaining_tries: u32,
}

/// Set a new PIN and unlock it (no old PIN needed, as at the municipal counter).
#[utoipa::path(post, path = "/cards/{id}/pin-reset", tag = "virtual card",
    params(("id" = i64, Path, description = "The card.")),
    request_body = PinResetBody,
    responses(
        (status = 200, description = "The PIN is set.", body = PinReset),
        (status = 400, description = "bad_input: not a card id, an unknown kind, or a malformed PIN."),
        (status = 404, description = "not_found: no such card."),
        (status = 409, description = "refused: the card has no such certificate."),
    ))]
async fn pin_reset(
    State(state): State<AppState>,
    PathParam(id): PathParam<String>,
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
    Ok(JsonReply(PinReset {
        card_id: id,
        kind,
        reset: true,
        remaining_tries: crate::rules::pin::max_tries(kind),
    })
    .into_response())
}

/// A certificate and its status at the clock's now.
#[utoipa::path(get, path = "/certs/{serial}", tag = "certificates",
    params(("serial" = String, Path, description = "Decimal, or hex with 0x.")),
    responses(
        (status = 200, description = "The certificate.", body = CertView),
        (status = 400, description = "bad_input: not a serial number."),
        (status = 404, description = "not_found: no such certificate."),
    ))]
async fn certificate(
    State(state): State<AppState>,
    PathParam(serial): PathParam<String>,
) -> Result<Response> {
    about_certificate(&state, &serial, Authority::certificate_view).await
}

/// What the authority says about the certificate a path names (decimal or 0x hex).
async fn about_certificate<T: Serialize + Send + 'static>(
    state: &AppState,
    serial: &str,
    view: fn(&Authority, Serial) -> Result<T>,
) -> Result<Response> {
    let serial: Serial = serial.parse().map_err(Error::BadInput)?;
    let view = state.blocking(move |s| view(&s.authority, serial)).await?;
    Ok(JsonReply(view).into_response())
}

/// A certificate's links (as J-LIS's link services give them): the other certificate
/// of its set, its predecessor, its successors with the event that linked them
/// (`superseded`: renewal; `card_invalidated`: card reissue), and the newest certificate
/// of its chain.
#[utoipa::path(get, path = "/certs/{serial}/links", tag = "certificates",
    params(("serial" = String, Path, description = "Decimal, or hex with 0x.")),
    responses(
        (status = 200, description = "The links.", body = LinksView),
        (status = 400, description = "bad_input: not a serial number."),
        (status = 404, description = "not_found: no such certificate."),
    ))]
async fn certificate_links(
    State(state): State<AppState>,
    PathParam(serial): PathParam<String>,
) -> Result<Response> {
    about_certificate(&state, &serial, Authority::links).await
}

/// The holder's latest basic four facts (最新の基本4情報) as the signing certificate's
/// subjectAltName carries them, from the newest card of the certificate's chain; 403
/// unless the certificate's card consents.
#[utoipa::path(get, path = "/certs/{serial}/latest-facts", tag = "certificates",
    params(("serial" = String, Path, description = "Decimal, or hex with 0x.")),
    responses(
        (status = 200, description = "The facts.", body = LatestFactsView),
        (status = 400, description = "bad_input: not a serial number.", body = ErrorReply),
        (status = 403, description = "forbidden: the card has not consented.", body = ErrorReply),
        (status = 404, description = "not_found: no such certificate.", body = ErrorReply),
    ))]
async fn latest_facts(
    State(state): State<AppState>,
    PathParam(serial): PathParam<String>,
) -> Result<Response> {
    about_certificate(&state, &serial, Authority::latest_facts).await
}

/// A card's consent to the latest-facts service.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConsentBody {
    /// Whether platform operators may receive the holder's latest facts.
    consent: bool,
}

/// Sets a card's consent to the latest-facts service (default: not given).
#[utoipa::path(put, path = "/cards/{id}/latest-facts-consent", tag = "cards",
    params(("id" = i64, Path, description = "The card.")),
    request_body = ConsentBody,
    responses(
        (status = 200, description = "The consent.", body = ConsentView),
        (status = 400, description = "bad_input: not a boolean.", body = ErrorReply),
        (status = 404, description = "not_found: no such card.", body = ErrorReply),
    ))]
async fn latest_facts_consent(
    State(state): State<AppState>,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<ConsentBody>,
) -> Result<Response> {
    let view = state
        .blocking(move |s| {
            s.authority
                .set_latest_facts_consent(CardId(id), body.consent)
        })
        .await?;
    Ok(JsonReply(view).into_response())
}

/// The expiry notices due on a day.
#[derive(Serialize, ToSchema)]
struct Notices {
    /// The day, YYYY-MM-DD.
    on: String,
    notices: Vec<NoticeView>,
}

/// The expiry notices due on a day: good certificates that expire three months later.
#[utoipa::path(get, path = "/notices", tag = "certificates",
    params(("on" = String, Query, format = Date, description = "The day, YYYY-MM-DD.")),
    responses(
        (status = 200, description = "The notices.", body = Notices),
        (status = 400, description = "bad_input: no day, or not a date."),
    ))]
async fn notices(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let on = query
        .get("on")
        .ok_or_else(|| Error::BadInput("give the date as ?on=YYYY-MM-DD".into()))?;
    let on = clock::parse_date(on)?;
    let notices = state.blocking(move |s| s.authority.notices(on)).await?;
    Ok(JsonReply(Notices {
        on: on.to_string(),
        notices,
    })
    .into_response())
}

/// The virtual clock.
#[utoipa::path(get, path = "/clock", tag = "clock",
    responses((status = 200, description = "The clock.", body = ClockView)))]
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

/// Exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    /// A fixed instant: RFC 3339, or a date (midnight JST).
    #[serde(default)]
    now: Option<String>,
    /// Real time moved by this many seconds.
    #[serde(default)]
    offset_seconds: Option<i64>,
}

/// Fix the virtual clock, or move it from real time.
#[utoipa::path(put, path = "/clock", tag = "clock",
    request_body = ClockBody,
    responses(
        (status = 200, description = "The clock.", body = ClockView),
        (status = 400, description = "bad_input: not exactly one of now and offset_seconds, or out of range."),
    ))]
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

/// Back to real time.
#[utoipa::path(delete, path = "/clock", tag = "clock",
    responses((status = 200, description = "The clock.", body = ClockView)))]
async fn clock_delete(State(state): State<AppState>) -> Result<Response> {
    let view = state
        .blocking(|s| s.authority.set_clock(Clock::System))
        .await?;
    Ok(JsonReply(view).into_response())
}

/// The base URL that certificates carry.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BaseUrlBody {
    /// http:// or https://, no query.
    url: String,
}

/// The base URL that new certificates carry in their CRL and OCSP URLs.
#[derive(Serialize, ToSchema)]
struct BaseUrl {
    base_url: String,
}

/// The base URL that new certificates carry.
#[utoipa::path(get, path = "/base-url", tag = "server",
    responses((status = 200, description = "The base URL.", body = BaseUrl)))]
async fn base_url_get(State(state): State<AppState>) -> Result<Response> {
    let base_url = state.blocking(|s| s.authority.base_url()).await?;
    Ok(JsonReply(BaseUrl { base_url }).into_response())
}

/// A new base URL for certificates issued from now on; the CA certificates are
/// re-signed with the same keys so that their ARL URL follows.
#[utoipa::path(put, path = "/base-url", tag = "server",
    request_body = BaseUrlBody,
    responses(
        (status = 200, description = "The base URL, normalised.", body = BaseUrl),
        (status = 400, description = "bad_input: not an http(s) URL."),
    ))]
async fn base_url_put(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<BaseUrlBody>,
) -> Result<Response> {
    let base_url = state
        .blocking(move |s| s.authority.set_base_url(&body.url))
        .await?;
    Ok(JsonReply(BaseUrl { base_url }).into_response())
}

/// The recent OCSP and CRL requests.
#[derive(Serialize, ToSchema)]
struct Requests {
    requests: Vec<RequestRecord>,
}

/// The recent OCSP and CRL requests, oldest first.
#[utoipa::path(get, path = "/requests", tag = "server",
    params(
        ("serial" = Option<String>, Query, description = "Only OCSP requests naming this serial (decimal, or hex with 0x)."),
        ("since" = Option<String>, Query, description = "Only requests at or after this instant (RFC 3339 or a date)."),
    ),
    responses(
        (status = 200, description = "The requests.", body = Requests),
        (status = 400, description = "bad_input: not a serial, or not an instant."),
    ))]
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
    Ok(JsonReply(Requests { requests }).into_response())
}

/// How many requests were forgotten.
#[derive(Serialize, ToSchema)]
struct Cleared {
    cleared: usize,
}

/// Forget the logged requests.
#[utoipa::path(delete, path = "/requests", tag = "server",
    responses((status = 200, description = "How many were forgotten.", body = Cleared)))]
async fn requests_delete(State(state): State<AppState>) -> Response {
    let cleared = state.request_log().clear();
    JsonReply(Cleared { cleared }).into_response()
}

/// The faults in force.
#[derive(Serialize, ToSchema)]
struct Faults {
    faults: Vec<Fault>,
}

/// The faults in force.
#[utoipa::path(get, path = "/faults", tag = "faults",
    responses((status = 200, description = "The faults.", body = Faults)))]
async fn faults_get(State(state): State<AppState>) -> Result<Response> {
    let faults = state.blocking(|s| Ok(s.faults.list().to_vec())).await?;
    Ok(JsonReply(Faults { faults }).into_response())
}

/// Replace the faults in force: OCSP, CRL and HTTP failures on demand.
#[utoipa::path(put, path = "/faults", tag = "faults",
    request_body = Vec<Fault>,
    responses(
        (status = 200, description = "The faults now in force.", body = Faults),
        (status = 400, description = "bad_input: an unknown fault, or one without the field it needs."),
    ))]
async fn faults_put(
    State(state): State<AppState>,
    JsonBody(faults): JsonBody<Vec<Fault>>,
) -> Result<Response> {
    let listed = faults.clone();
    state
        .blocking(move |s| {
            s.faults.set(faults);
            Ok(())
        })
        .await?;
    Ok(JsonReply(Faults { faults: listed }).into_response())
}

/// Clear every fault.
#[utoipa::path(delete, path = "/faults", tag = "faults",
    responses((status = 200, description = "No faults.", body = Faults)))]
async fn faults_delete(State(state): State<AppState>) -> Result<Response> {
    state
        .blocking(|s| {
            s.faults.set(Vec::new());
            Ok(())
        })
        .await?;
    Ok(JsonReply(Faults { faults: Vec::new() }).into_response())
}

fn ca_named(text: &str) -> Result<CertKind> {
    text.parse()
        .map_err(|_| Error::NotFound(format!("no CA {text:?}: expected sign or auth")))
}

/// Every generation of both CAs, oldest first.
#[utoipa::path(get, path = "/ca", tag = "CAs",
    responses((status = 200, description = "The CA generations.", body = Vec<CaView>)))]
async fn ca_list(State(state): State<AppState>) -> Result<Response> {
    let list = state
        .blocking(|s| {
            s.authority.sync()?;
            Ok(s.authority.ca_list(None))
        })
        .await?;
    Ok(JsonReply(list).into_response())
}

/// When the new generation starts issuing.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RolloverBody {
    /// RFC 3339 or a date (default: now).
    #[serde(default)]
    at: Option<String>,
}

/// Roll a CA over: a new generation with a new key.
#[utoipa::path(post, path = "/ca/{kind}/rollover", tag = "CAs",
    params(("kind" = String, Path, description = "The CA: sign or auth.")),
    request_body = RolloverBody,
    responses(
        (status = 201, description = "The new generation.", body = CaView),
        (status = 400, description = "bad_input: at is not an instant, or before the newest generation."),
        (status = 404, description = "not_found: no such CA."),
        (status = 409, description = "refused: the newest generation has not started issuing yet."),
    ))]
async fn ca_rollover(
    State(state): State<AppState>,
    PathParam(kind): PathParam<String>,
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

/// Why a CA generation is revoked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CaRevokeBody {
    /// The RFC 5280 reason, e.g. keyCompromise (any case; key_compromise too).
    reason: String,
}

/// Revoke a CA generation: it goes on its CA's ARL.
#[utoipa::path(post, path = "/ca/{kind}/{generation}/revoke", tag = "CAs",
    params(
        ("kind" = String, Path, description = "The CA: sign or auth."),
        ("generation" = u32, Path, description = "The generation, from 1."),
    ),
    request_body = CaRevokeBody,
    responses(
        (status = 200, description = "The generation, revoked.", body = CaView),
        (status = 400, description = "bad_input: an unknown reason."),
        (status = 404, description = "not_found: no such CA or generation."),
        (status = 409, description = "refused: already revoked."),
    ))]
async fn ca_revoke(
    State(state): State<AppState>,
    PathParam((kind, generation)): PathParam<(String, String)>,
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

/// Publish now: CRLs and OCSP data on a schedule catch up with the state.
#[utoipa::path(post, path = "/publish", tag = "publication",
    request_body = Empty,
    responses((status = 200, description = "The publication state.", body = PublicationView)))]
async fn publish_now(State(state): State<AppState>, _: JsonBody<Empty>) -> Result<Response> {
    let view = state
        .blocking(|s| {
            s.authority.sync()?;
            s.authority.publish_now()
        })
        .await?;
    Ok(JsonReply(view).into_response())
}

/// The publication schedules: the last and next publication of CRLs and OCSP data.
#[utoipa::path(get, path = "/publication", tag = "publication",
    responses((status = 200, description = "The publication state.", body = PublicationView)))]
async fn publication(State(state): State<AppState>) -> Result<Response> {
    let view = state
        .blocking(|s| {
            s.authority.sync()?;
            Ok(s.authority.publication())
        })
        .await?;
    Ok(JsonReply(view).into_response())
}

/// This document: the admin API in OpenAPI 3.1.
#[utoipa::path(get, path = "/openapi.json", tag = "server",
    responses((status = 200, description = "The OpenAPI document.", body = Object)))]
async fn openapi_json() -> Response {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    JsonReply(DOCUMENT.get_or_init(openapi)).into_response()
}

/// The server's tenants, or 404 inside a tenant (tenants do not nest).
fn tenants_of(state: &AppState) -> Result<std::sync::Arc<Tenants>> {
    state.tenants().cloned().ok_or_else(|| {
        Error::NotFound(
            "tenants are created on the server's own admin API (POST /api/v1/tenants), not \
             inside a tenant"
                .into(),
        )
    })
}

/// Creates a tenant: an isolated mock under `/t/{tenant}` with CAs, cards, clock,
/// faults and request log of its own, and a token for its admin API.
#[utoipa::path(post, path = "/tenants", tag = "tenants", request_body = TenantRequest,
    responses(
        (status = 201, description = "The tenant.", body = CreatedTenant),
        (status = 400, description = "A name outside a-z, 0-9 and -, a time to live \
            outside 1 s to a year, an unknown preset.", body = ErrorReply),
        (status = 409, description = "The name is taken, or the server holds its cap of \
            tenants (server.max_tenants).", body = ErrorReply)))]
async fn tenants_create(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<TenantRequest>,
) -> Result<Response> {
    let tenants = tenants_of(&state)?;
    let base_url = state.blocking(|s| s.authority.base_url()).await?;
    let record = tokio::task::spawn_blocking(move || tenants.create(&request, &base_url))
        .await
        .map_err(|e| Error::State(format!("tenant creation failed: {e}")))??;
    Ok((StatusCode::CREATED, JsonReply(CreatedTenant::from(&record))).into_response())
}

/// Lists the tenants (not their tokens).
#[utoipa::path(get, path = "/tenants", tag = "tenants",
    responses((status = 200, description = "The tenants.", body = TenantList)))]
async fn tenants_list(State(state): State<AppState>) -> Result<Response> {
    let tenants = tenants_of(&state)?;
    let records = tokio::task::spawn_blocking(move || tenants.list())
        .await
        .map_err(|e| Error::State(format!("tenant listing failed: {e}")))??;
    let tenants = records.iter().map(TenantView::from).collect();
    Ok(JsonReply(TenantList { tenants }).into_response())
}

/// Deletes a tenant and all its state. Off loopback: the server's token or the
/// tenant's own.
#[utoipa::path(delete, path = "/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant's name.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "A name outside a-z, 0-9 and -.", body = ErrorReply),
        (status = 404, description = "No such tenant.", body = ErrorReply)))]
async fn tenant_delete(
    State(state): State<AppState>,
    PathParam(name): PathParam<String>,
) -> Result<Response> {
    let tenants = tenants_of(&state)?;
    let name: TenantName = name.parse()?;
    let shown = name.clone();
    let deleted = tokio::task::spawn_blocking(move || tenants.delete(&name))
        .await
        .map_err(|e| Error::State(format!("tenant deletion failed: {e}")))??;
    if !deleted {
        return Err(Error::NotFound(format!("no tenant named {shown}")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
