//! The HTTP server: publication (CA certificates, CRLs) and health. Handlers are thin:
//! they parse, call the authority, and format. `error` is the only place errors become
//! statuses.

pub mod admin;
pub mod body_limit;
pub mod error;
mod json;
mod lane;
pub mod observe;
pub mod ocsp;
pub mod publish;
pub mod tenants;
pub mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::authority::Authority;
use crate::error::{Error, Result};
use crate::rules::CertKind;

pub use lane::Lane;

/// How long one request may take from headers to response, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The mutable server state, behind one lock.
pub struct Shared {
    /// The authority.
    pub authority: Authority,
    /// The CRLs and ARLs built, kept until they go stale.
    pub(crate) lists: std::collections::HashMap<publish::List, publish::CachedCrl>,
    /// The faults in force (none unless set).
    pub faults: crate::faults::FaultSet,
}

impl Shared {
    /// The authority's now.
    pub fn now(&self) -> OffsetDateTime {
        self.authority.now()
    }

    /// A CA generation's certificate (`None`: the current one), DER, after catching up
    /// with the state (another process may have rolled the CA over).
    pub fn ca_der(&mut self, kind: CertKind, generation: Option<u32>) -> Result<bytes::Bytes> {
        self.authority.sync()?;
        let ca = match generation {
            Some(n) => self.authority.generation(kind, n)?,
            None => self.authority.ca(kind),
        };
        Ok(bytes::Bytes::copy_from_slice(ca.ca.certificate_der()))
    }
}

/// Handle on the server state, cloned into every handler (one reference count).
#[derive(Clone)]
pub struct AppState(Arc<Server>);

struct Server {
    shared: Mutex<Shared>,
    /// The OCSP responder and its response cache, read without the state lock.
    responder: crate::ocsp::Responder,
    faults_armed: crate::faults::FaultsArmed,
    /// The bearer tokens the admin API accepts (none: open).
    admin_tokens: Vec<String>,
    /// The tenants it serves under `/t/{tenant}` (none for a tenant's own state).
    tenants: Option<Arc<tenants::Tenants>>,
    metrics: observe::Metrics,
    request_log: observe::RequestLog,
}

impl AppState {
    /// Wraps an opened authority. With `admin_token`, the admin API requires
    /// `Authorization: Bearer <token>`.
    pub fn new(authority: Authority, admin_token: Option<String>) -> Self {
        Self::build(authority, admin_token.into_iter().collect(), None)
    }

    /// Wraps an opened authority that also serves `tenants` under `/t/{tenant}`.
    pub fn with_tenants(
        authority: Authority,
        admin_token: Option<String>,
        tenants: tenants::Tenants,
    ) -> Self {
        Self::build(
            authority,
            admin_token.into_iter().collect(),
            Some(Arc::new(tenants)),
        )
    }

    pub(crate) fn build(
        authority: Authority,
        admin_tokens: Vec<String>,
        tenants: Option<Arc<tenants::Tenants>>,
    ) -> Self {
        let mut faults = crate::faults::FaultSet::default();
        faults.set(authority.config().faults.clone());
        let faults_armed = faults.armed();
        Self(Arc::new(Server {
            responder: crate::ocsp::Responder::new(authority.changes(), faults_armed.clone()),
            faults_armed,
            shared: Mutex::new(Shared {
                authority,
                lists: Default::default(),
                faults,
            }),
            admin_tokens,
            tenants,
            metrics: observe::Metrics::default(),
            request_log: observe::RequestLog::default(),
        }))
    }

    /// Whether any fault is in force (no lock).
    pub(crate) fn faults_armed(&self) -> bool {
        self.0.faults_armed.get()
    }

    /// The OCSP responder.
    pub fn responder(&self) -> &crate::ocsp::Responder {
        &self.0.responder
    }

    /// The recent OCSP and CRL requests.
    pub fn request_log(&self) -> &observe::RequestLog {
        &self.0.request_log
    }

    /// The request counters.
    pub fn metrics(&self) -> &observe::Metrics {
        &self.0.metrics
    }

    /// The admin token, if the admin API requires one (a tenant's: its own).
    pub fn admin_token(&self) -> Option<&str> {
        self.0.admin_tokens.first().map(String::as_str)
    }

    /// Every token the admin API accepts (empty: open).
    pub(crate) fn admin_tokens(&self) -> &[String] {
        &self.0.admin_tokens
    }

    /// Whether `given` is one of the admin API's tokens (compared in constant time).
    pub(crate) fn accepts_token(&self, given: &str) -> bool {
        self.0
            .admin_tokens
            .iter()
            .any(|token| admin::constant_time_eq(given.as_bytes(), token.as_bytes()))
    }

    /// The tenants this server serves, if it serves any.
    pub fn tenants(&self) -> Option<&Arc<tenants::Tenants>> {
        self.0.tenants.as_ref()
    }

    /// A CA generation's certificate (`None`: the current one), DER: for callers outside
    /// the async runtime (handlers use [`Shared::ca_der`] through `blocking`).
    pub fn ca_der(&self, kind: CertKind, generation: Option<u32>) -> Result<bytes::Bytes> {
        self.lock()?.ca_der(kind, generation)
    }

    /// Locks the state for a short, non-blocking piece of work (a lookup, a cache hit).
    pub fn lock(&self) -> Result<std::sync::MutexGuard<'_, Shared>> {
        self.0
            .shared
            .lock()
            .map_err(|_| Error::State("a previous request panicked while holding the state".into()))
    }

    /// Runs `work` on the blocking pool with the state locked (SQLite and signing
    /// block).
    pub async fn blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Shared) -> Result<T> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || work(&mut *state.lock()?))
            .await
            .map_err(|e| Error::State(format!("a request task failed: {e}")))?
    }
}

/// The router (without a socket, so tests can call it with `oneshot`).
pub fn router(state: AppState) -> Router {
    let admin = admin::routes()
        .layer(axum::extract::DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::require_token,
        ));
    Router::new()
        .nest(admin::PREFIX, admin)
        .nest(ui::PREFIX, ui::routes(state.clone()))
        // Relative, so that it stays inside a tenant's prefix.
        .route(
            "/ui/",
            get(|| async { axum::response::Redirect::permanent("../ui") }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(observe::metrics))
        .route("/ca/{file}", get(publish::ca_certificate))
        .route("/ca/{kind}/{file}", get(publish::ca_generation))
        .route("/crl/index.json", get(publish::crl_index))
        .route("/crl/{file}", get(publish::crl))
        .route("/crl/{kind}/{file}", get(publish::crl_generation))
        .route(
            "/crl/{kind}/{generation}/{prefecture}/{file}",
            get(publish::crl_partition),
        )
        .route("/arl/{file}", get(publish::arl))
        .route("/arl/{kind}/{file}", get(publish::arl_generation))
        .route(ocsp::POST_ROUTES[0], post(ocsp::post))
        .route(ocsp::POST_ROUTES[1], post(ocsp::post))
        .route(ocsp::POST_ROUTES[2], post(ocsp::post))
        .route(ocsp::GET_ROUTE, get(ocsp::get))
        .layer(axum::extract::DefaultBodyLimit::max(
            ocsp::MAX_REQUEST_BYTES,
        ))
        .fallback(|| async { error::plain(axum::http::StatusCode::NOT_FOUND, "not found") })
        .method_not_allowed_fallback(
            |method: axum::http::Method, uri: axum::http::Uri| async move {
                // axum's own 405 has no body: say what was refused, in JSON for the API.
                if uri.path().starts_with("/api/") {
                    admin::method_not_allowed(&method, &uri)
                } else {
                    error::plain(
                        axum::http::StatusCode::METHOD_NOT_ALLOWED,
                        &format!("{method} is not allowed on {}", uri.path()),
                    )
                }
            },
        )
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            inject_http_faults,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::log_and_count,
        ))
        .layer(axum::middleware::map_response(body_limit::close_after_413))
        .with_state(state)
}

/// The media type of a request's `Content-Type`, lower-cased, without parameters.
pub fn media_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// Whether a conditional GET's `If-None-Match` matches the current representation's
/// strong `etag` (or is `*`), so the answer is 304 (RFC 9110 §13.1.2). CRLs and OCSP
/// GET share this one rule.
pub fn not_modified(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get_all(axum::http::header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// Applies the HTTP faults in force to OCSP and CRL responses: a delay, another
/// status, the wrong content type, or a connection closed half-way.
async fn inject_http_faults(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = request.uri().path().to_string();
    if !state.faults_armed() || (!path.starts_with("/ocsp") && !path.starts_with("/crl/")) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let outcome = response.extensions().get::<crate::ocsp::OcspOutcome>();
    let ca = if path.starts_with("/ocsp/sign") || path.starts_with("/crl/sign") {
        Some(CertKind::Sign)
    } else if path.starts_with("/ocsp/auth") || path.starts_with("/crl/auth") {
        Some(CertKind::Auth)
    } else {
        outcome
            .and_then(|o| o.cert_ids.first())
            .and_then(|id| id.issuer)
            .and_then(|k| k.parse().ok())
    };
    let serials: Vec<u32> = outcome
        .map(|o| o.cert_ids.iter().filter_map(|id| id.serial).collect())
        .unwrap_or_default();
    let faults = match state.lock() {
        Ok(mut shared) => shared
            .faults
            .take(crate::faults::FaultFamily::Http, ca, &serials),
        Err(_) => Vec::new(),
    };
    let mut response = response;
    for fault in faults {
        use crate::faults::FaultKind;
        match fault {
            FaultKind::Delay { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
            FaultKind::HttpStatus { status } => {
                let status = axum::http::StatusCode::from_u16(status)
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
                response = error::plain(status, "fault injection: http_status");
            }
            FaultKind::WrongContentType => {
                response.headers_mut().insert(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("text/plain"),
                );
            }
            FaultKind::CloseConnection => {
                let (mut parts, body) = response.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                let half = bytes.slice(..bytes.len() / 2);
                parts.headers.insert(
                    axum::http::header::CONTENT_LENGTH,
                    axum::http::HeaderValue::from(bytes.len()),
                );
                let stream = futures_util::stream::iter([
                    Ok(half),
                    Err(std::io::Error::other("fault injection: close_connection")),
                ]);
                response = (parts, axum::body::Body::from_stream(stream)).into_response();
            }
            _ => {}
        }
    }
    response
}

/// An HTTP date (IMF-fixdate), as in `Last-Modified` and `Expires`.
pub fn http_date(instant: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    instant
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .expect("every instant formats as an HTTP date")
}

/// Serves `lane` on `listener` until `shutdown` resolves, then lets open requests
/// finish (up to 10 s). HTTP/1.1; a client that does not send a request's headers
/// within `header_read_timeout` (slowloris, idle keep-alive) is disconnected.
pub async fn serve(
    listener: TcpListener,
    lane: Lane,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let sweeper = lane
        .state()
        .tenants()
        .map(|t| tokio::spawn(tenants::sweep_forever(t.clone())));
    let service = hyper_util::service::TowerToHyperService::new(lane);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment, go on.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // A lingering close, so that a client still sending a refused body
                // reads the 413 instead of a reset (see body_limit).
                let (stream, returned) = body_limit::LingeringStream::new(stream);
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_read_timeout)
                    .serve_connection(TokioIo::new(stream), service.clone());
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                    body_limit::close_lingering(returned).await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

/// What `serve` prints once it listens: a banner for a person, then one JSON line for
/// a harness to wait on.
pub struct Ready<'a> {
    /// The bound address (a `--listen` port 0 resolved).
    pub listen: SocketAddr,
    /// The base URL that certificates carry.
    pub base_url: &'a str,
    /// Where the state lives; `None` for `--ephemeral`.
    pub store: Option<&'a crate::store::StoreLocation>,
    /// Whether the admin API wants a bearer token.
    pub admin_token_required: bool,
}

impl Ready<'_> {
    /// The endpoints this listener serves, and a warning when certificates point
    /// elsewhere.
    pub fn banner(&self) -> String {
        let (listen, base_url) = (self.listen, self.base_url);
        // What a client on this machine can reach; an unspecified address is no URL.
        let here = if listen.ip().is_unspecified() {
            base_url.to_string()
        } else {
            format!("http://{listen}")
        };
        let admin = if self.admin_token_required {
            "Authorization: Bearer <token> required"
        } else {
            "open: loopback only"
        };
        let (keys, state) = match self.store {
            Some(crate::store::StoreLocation::Sqlite(dir)) => (
                "in plain files",
                format!("state directory: {}", dir.display()),
            ),
            Some(location) => (
                "in the PostgreSQL database",
                format!("store: {location} (shared by the replicas using it)"),
            ),
            None => (
                "in memory",
                "state directory: none (--ephemeral: gone when the server stops)".into(),
            ),
        };
        let mut text = format!(
            "jpki-mock: TEST CA, NOT FOR PRODUCTION. Its keys are {keys}.\n\
             listening on http://{listen}\n\
             {state}\n\
             base URL in certificates: {base_url}\n\
             CA certificates: {here}/ca/sign.cer  {here}/ca/auth.cer\n\
             CRLs:            {here}/crl/sign.crl  {here}/crl/auth.crl  (every one: {here}/crl/index.json)\n\
             ARLs:            {here}/arl/sign.crl  {here}/arl/auth.crl\n\
             OCSP:            {here}/ocsp/sign  {here}/ocsp/auth  {here}/ocsp  (POST, or GET …/<base64>)\n\
             admin API:       {here}/api/v1/  ({admin})\n\
             tenants:         {here}/api/v1/tenants  (each one a whole mock under {here}/t/<tenant>/)\n\
             health:          {here}/healthz  metrics: {here}/metrics\n"
        );
        if loopback_elsewhere(base_url, listen) {
            text.push_str(&format!(
                "warning: certificates carry the base URL {base_url}, but this server listens on \
                 {listen}: a relying party that follows their CRL and OCSP URLs will not reach it. \
                 Serve on that address, or record this one for new certificates with \
                 `serve --base-url http://{listen}` (certificates issued before keep their URLs).\n"
            ));
        }
        text
    }

    /// One line of JSON, always the last thing `serve` prints before serving:
    /// `{"jpki_mock": "ready", "listen", "base_url", "admin_token_required", "state",
    /// "store"}`: `state` is the state directory (null in memory and on PostgreSQL),
    /// `store` where the state lives (`sqlite:DIR`, the PostgreSQL URL without its
    /// password, or null in memory).
    pub fn line(&self) -> String {
        serde_json::json!({
            "jpki_mock": "ready",
            "listen": self.listen.to_string(),
            "base_url": self.base_url,
            "admin_token_required": self.admin_token_required,
            "state": self
                .store
                .and_then(|s| s.state_dir())
                .map(|d| d.display().to_string()),
            "store": self.store.map(|s| s.to_string()),
        })
        .to_string()
    }
}

/// Whether `base_url` names this machine (localhost, 127.0.0.0/8, ::1) at another port
/// than `listen`'s, or `listen` is not on loopback: then nothing answers at that URL.
/// Another host name is left alone (a proxy or a container's published port).
fn loopback_elsewhere(base_url: &str, listen: SocketAddr) -> bool {
    let Some(rest) = base_url
        .strip_prefix("http://")
        .map(|r| (r, 80))
        .or_else(|| base_url.strip_prefix("https://").map(|r| (r, 443)))
    else {
        return false;
    };
    let (rest, default_port) = rest;
    let authority = rest.split('/').next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()),
        _ => (authority, Some(default_port)),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let reachable = listen.ip().is_loopback() || listen.ip().is_unspecified();
    loopback && (port != Some(listen.port()) || !reachable)
}

#[cfg(test)]
mod tests {
    use super::loopback_elsewhere;

    #[test]
    fn a_loopback_base_url_at_another_port_is_elsewhere() {
        let listen = "127.0.0.1:18081".parse().unwrap();
        assert!(loopback_elsewhere("http://127.0.0.1:8080", listen));
        assert!(loopback_elsewhere("http://localhost:8080/", listen));
        assert!(loopback_elsewhere("http://[::1]:8080", listen));
        assert!(!loopback_elsewhere("http://127.0.0.1:18081", listen));
        assert!(!loopback_elsewhere("http://localhost:18081/base", listen));
        assert!(!loopback_elsewhere("http://ca.example:8080", listen));
        assert!(!loopback_elsewhere(
            "http://127.0.0.1:18081",
            "0.0.0.0:18081".parse().unwrap()
        ));
        assert!(loopback_elsewhere(
            "http://127.0.0.1:80",
            "192.0.2.1:80".parse().unwrap()
        ));
    }
}
