//! The dashboard under `/ui`: server-rendered pages (the data is in the HTML; no page
//! holds a connection open) and one small script that sends the forms to the admin
//! API and shows its answer or its error. No CDN, no build step. Off loopback it is
//! behind the admin token, entered once at `/ui/login` and kept in a session cookie.

mod pages;

use axum::extract::{Form, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;

use super::AppState;

/// Where the dashboard is mounted.
pub const PREFIX: &str = "/ui";

/// The session cookie that carries the admin token for the dashboard and its calls.
pub(crate) const TOKEN_COOKIE: &str = "jpki_mock_token";

/// The prefix a tenant's routes are mounted under (`/t/{tenant}`), set by the tenant
/// dispatch so that pages link inside their tenant.
#[derive(Clone, Debug, Default)]
pub struct MountPrefix(pub String);

/// The page's links: the mount prefix plus `/ui` or `/api/v1`.
#[derive(Clone, Debug)]
pub(super) struct Links {
    mount: String,
}

impl Links {
    fn of(prefix: Option<Extension<MountPrefix>>) -> Self {
        Self {
            mount: prefix.map(|Extension(p)| p.0).unwrap_or_default(),
        }
    }

    /// A dashboard path (`""` is the card list).
    pub(super) fn ui(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.mount)
    }

    /// The admin API's root.
    pub(super) fn api(&self) -> String {
        format!("{}{}", self.mount, super::admin::PREFIX)
    }

    /// A published route (CRLs, CA certificates).
    pub(super) fn published(&self, path: &str) -> String {
        format!("{}{path}", self.mount)
    }
}

/// Routes, nested under [`PREFIX`].
pub fn routes(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(pages::cards))
        .route("/cards/{id}", get(pages::card))
        .route("/certs/{file}", get(pages::certificate_pem))
        .route("/clock", get(pages::clock))
        .route("/revocation", get(pages::revocation))
        .route("/requests", get(pages::requests))
        .route("/faults", get(pages::faults))
        .layer(axum::middleware::from_fn_with_state(state, require_session));
    Router::new()
        .merge(pages)
        .route("/login", get(login_page).post(login))
        .route("/app.js", get(script))
        .route("/style.css", get(style))
}

/// The token in the dashboard's session cookie, if any.
pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
}

/// Pages need the session cookie when the admin API needs a token.
async fn require_session(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
    request: Request,
    next: Next,
) -> Response {
    if state.admin_tokens().is_empty()
        || cookie_token(request.headers()).is_some_and(|t| state.accepts_token(&t))
    {
        return next.run(request).await;
    }
    Redirect::to(&Links::of(prefix).ui("/login")).into_response()
}

async fn login_page(prefix: Option<Extension<MountPrefix>>) -> Html<String> {
    Html(pages::login(&Links::of(prefix), None).into_string())
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

/// Checks the token and keeps it in a session cookie (HttpOnly, SameSite=Strict: no
/// script and no other site can use it).
async fn login(
    State(state): State<AppState>,
    prefix: Option<Extension<MountPrefix>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let links = Links::of(prefix);
    if state.admin_tokens().is_empty() || state.accepts_token(&form.token) {
        let value =
            percent_encoding::utf8_percent_encode(&form.token, percent_encoding::NON_ALPHANUMERIC);
        let cookie = format!("{TOKEN_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict");
        return ([(header::SET_COOKIE, cookie)], Redirect::to(&links.ui(""))).into_response();
    }
    let page = pages::login(&links, Some("That is not the admin token."));
    (StatusCode::UNAUTHORIZED, Html(page.into_string())).into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("app.js"),
    )
        .into_response()
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("style.css"),
    )
        .into_response()
}
