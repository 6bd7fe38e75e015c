//! Tenants: complete, isolated mocks served by one server, each under `/t/{tenant}`
//! with its own CAs, cards, clock, faults and request log (so that pipelines sharing
//! one staging server never see each other). A request under `/t/{tenant}` goes to that
//! tenant's own lane and router with the prefix taken off; the un-prefixed routes are
//! the default tenant, as without tenants. A tenant's time to live runs on real time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower::Service;
use utoipa::ToSchema;

use super::{AppState, Lane};
use crate::authority::{Authority, Options};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::tenants::{TenantHome, TenantName, TenantRecord};

/// The prefix of a tenant's routes: `/t/{tenant}/…`.
pub const TENANT_PREFIX: &str = "/t/";

/// The longest time to live a tenant may ask for: one year.
pub const MAX_TTL_SECONDS: u64 = 365 * 24 * 3600;

/// How long a served tenant is trusted to exist before its record is read again (a
/// `jpki-mock tenant delete` run by another process is seen within this).
const RECHECK: Duration = Duration::from_secs(1);

/// What a new tenant is asked for (`POST /api/v1/tenants`, `jpki-mock tenant create`).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantRequest {
    /// Its name, 1 to 63 of a-z, 0-9 and - (default: `t-` and 10 random hex digits).
    #[schema(pattern = "^[a-z0-9-]{1,63}$")]
    pub name: Option<String>,
    /// Deleted this many real seconds after its creation (1 to 31536000; default: kept
    /// until deleted). Real time: no virtual clock moves it.
    pub ttl_seconds: Option<u64>,
    /// A profile preset for its CAs and certificates: jpki-test, or next-gen
    /// (provisional: P-384 keys, 10-year certificates, renewal from 12 months before
    /// expiry); default: the server's profile.
    pub preset: Option<String>,
}

/// A new tenant: where it is and the token its admin API accepts.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    /// Its name.
    pub tenant: String,
    /// Its base URL (`…/t/{tenant}`): its certificates carry it, its routes are under it.
    pub base_url: String,
    /// The bearer token its admin API accepts beside the server's (needed off loopback).
    pub admin_token: String,
}

/// A tenant as listed (its token is not shown).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TenantView {
    /// Its name.
    pub tenant: String,
    /// Its base URL.
    pub base_url: String,
    /// When it was created (real time, RFC 3339).
    pub created_at: String,
    /// When it will be deleted (real time), if it has a time to live.
    pub expires_at: Option<String>,
}

/// Every tenant.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TenantList {
    /// By name.
    pub tenants: Vec<TenantView>,
}

impl From<&TenantRecord> for TenantView {
    fn from(record: &TenantRecord) -> Self {
        let rfc3339 = |seconds: i64| {
            time::OffsetDateTime::from_unix_timestamp(seconds)
                .map(crate::clock::rfc3339)
                .unwrap_or_default()
        };
        Self {
            tenant: record.name.to_string(),
            base_url: record.base_url.clone(),
            created_at: rfc3339(record.created_at),
            expires_at: record.expires_at().map(rfc3339),
        }
    }
}

impl From<&TenantRecord> for CreatedTenant {
    fn from(record: &TenantRecord) -> Self {
        Self {
            tenant: record.name.to_string(),
            base_url: record.base_url.clone(),
            admin_token: record.admin_token.clone(),
        }
    }
}

/// The real time, Unix seconds (times to live never follow a virtual clock).
pub fn real_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The options a tenant's authority runs with: the server's, with a key seed of its own
/// (a seeded server must not give two tenants the same CA keys).
pub(crate) fn tenant_options(options: &Options, name: &TenantName) -> Options {
    Options {
        now: options.now,
        key_seed: options
            .key_seed
            .as_ref()
            .map(|seed| format!("{seed}/tenant/{name}")),
    }
}

/// Creates a tenant in `home` (blocking: it makes CA keys): its state, CAs and record.
/// `template` is the server's configuration; `server_base_url` its base URL, under
/// which the tenant's own is `/t/{tenant}`. Refused past `max` tenants.
pub fn create_tenant(
    home: &TenantHome,
    template: &Config,
    options: &Options,
    request: &TenantRequest,
    server_base_url: &str,
) -> Result<(TenantRecord, Authority)> {
    let name = match &request.name {
        Some(name) => name.parse::<TenantName>()?,
        None => TenantName::random()?,
    };
    if let Some(ttl) = request.ttl_seconds {
        if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
            return Err(Error::BadInput(format!(
                "ttl_seconds: {ttl} is outside 1 to {MAX_TTL_SECONDS} (one year)"
            )));
        }
    }
    let mut config = template.clone();
    if let Some(preset) = &request.preset {
        config
            .apply_preset(preset)
            .map_err(|e| Error::BadInput(format!("preset: {e}")))?;
    }
    if home.record(&name)?.is_some() {
        return Err(Error::Refused(format!("a tenant named {name} exists")));
    }
    let max = template.server.max_tenants;
    if home.live_records(real_now())?.len() >= max {
        return Err(Error::Refused(format!(
            "this server holds its cap of {max} tenants (server.max_tenants): delete one \
             (DELETE /api/v1/tenants/{{tenant}}) or raise the cap"
        )));
    }
    let mut store = home.create_store(&name)?;
    let made = (|| {
        let base_url = format!(
            "{}{TENANT_PREFIX}{name}",
            server_base_url.trim_end_matches('/')
        );
        let options = tenant_options(options, &name);
        Authority::init(store.as_mut(), &config, &options, Some(&base_url), None)?;
        let authority = Authority::open(store, config, options)?;
        let mut token = [0u8; 24];
        aws_lc_rs::rand::fill(&mut token)
            .map_err(|_| Error::Internal("no randomness for a tenant token".into()))?;
        let record = TenantRecord {
            name: name.clone(),
            created_at: real_now(),
            ttl_seconds: request.ttl_seconds,
            admin_token: hex::encode(token),
            preset: request.preset.clone(),
            base_url: authority.base_url()?,
        };
        home.commit(&record)?;
        Ok((record, authority))
    })();
    if made.is_err() {
        let _ = home.remove(&name);
    }
    made
}

/// The tenants of one server, and the lanes of those it serves.
pub struct Tenants {
    home: TenantHome,
    template: Config,
    options: Options,
    server_token: Option<String>,
    served: Mutex<HashMap<TenantName, Served>>,
    /// Held while creating, so that two creations cannot both pass the cap.
    creating: Mutex<()>,
}

struct Served {
    record: TenantRecord,
    lane: Lane,
    checked: Instant,
}

impl std::fmt::Debug for Tenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenants")
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

impl Tenants {
    /// The tenants in `home`, served with the server's configuration, options and admin
    /// token (which every tenant's admin API accepts beside its own).
    pub fn new(
        home: TenantHome,
        template: Config,
        options: Options,
        server_token: Option<String>,
    ) -> Self {
        Self {
            home,
            template,
            options,
            server_token,
            served: Mutex::default(),
            creating: Mutex::default(),
        }
    }

    fn served(&self) -> Result<std::sync::MutexGuard<'_, HashMap<TenantName, Served>>> {
        self.served.lock().map_err(|_| {
            Error::State("a previous request panicked while holding the tenants".into())
        })
    }

    /// The lane of a tenant's own server state.
    fn lane_for(&self, record: &TenantRecord, authority: Authority) -> Lane {
        // Off loopback (a server token is set) the tenant's token or the server's; on
        // loopback, open like the default tenant.
        let tokens = match &self.server_token {
            Some(server) => vec![record.admin_token.clone(), server.clone()],
            None => Vec::new(),
        };
        Lane::new(AppState::build(authority, tokens, None))
    }

    /// Creates a tenant and serves it (blocking).
    pub fn create(&self, request: &TenantRequest, server_base_url: &str) -> Result<TenantRecord> {
        let _creating = self
            .creating
            .lock()
            .map_err(|_| Error::State("a previous tenant creation panicked".into()))?;
        let (record, authority) = create_tenant(
            &self.home,
            &self.template,
            &self.options,
            request,
            server_base_url,
        )?;
        let lane = self.lane_for(&record, authority);
        self.served()?.insert(
            record.name.clone(),
            Served {
                record: record.clone(),
                lane,
                checked: Instant::now(),
            },
        );
        Ok(record)
    }

    /// A served tenant's lane, if it was confirmed to exist less than a second ago (no
    /// I/O: the path of every tenant request).
    fn cached(&self, name: &TenantName) -> Option<Lane> {
        let served = self.served().ok()?;
        let entry = served.get(name)?;
        (entry.checked.elapsed() < RECHECK && !entry.record.expired_at(real_now()))
            .then(|| entry.lane.clone())
    }

    /// A tenant's lane after reading its record (blocking): opens a tenant created by
    /// another process, forgets a deleted one, deletes an expired one.
    fn load(&self, name: &TenantName) -> Result<Option<Lane>> {
        let record = match self.home.record(name)? {
            Some(record) if !record.expired_at(real_now()) => record,
            Some(_) => {
                self.delete(name)?;
                return Ok(None);
            }
            None => {
                self.served()?.remove(name);
                return Ok(None);
            }
        };
        if let Some(entry) = self.served()?.get_mut(name) {
            if entry.record == record {
                entry.checked = Instant::now();
                return Ok(Some(entry.lane.clone()));
            }
        }
        let Some(store) = self.home.open_store(name)? else {
            return Ok(None);
        };
        let authority = Authority::open(
            store,
            self.template.clone(),
            tenant_options(&self.options, name),
        )?;
        let lane = self.lane_for(&record, authority);
        self.served()?.insert(
            name.clone(),
            Served {
                record,
                lane: lane.clone(),
                checked: Instant::now(),
            },
        );
        Ok(Some(lane))
    }

    /// A tenant's record, if it exists and has not expired (blocking).
    pub fn record(&self, name: &TenantName) -> Result<Option<TenantRecord>> {
        Ok(self
            .home
            .record(name)?
            .filter(|r| !r.expired_at(real_now())))
    }

    /// A tenant's own server state, if it exists (blocking).
    pub fn state(&self, name: &TenantName) -> Result<Option<AppState>> {
        Ok(self.load(name)?.map(|lane| lane.state().clone()))
    }

    /// Every tenant that has not expired (blocking).
    pub fn list(&self) -> Result<Vec<TenantRecord>> {
        self.home.live_records(real_now())
    }

    /// Deletes a tenant and its state (blocking); false if there was none.
    pub fn delete(&self, name: &TenantName) -> Result<bool> {
        let served = self.served()?.remove(name);
        // Its state closes when the last request still holding its lane ends.
        drop(served);
        self.home.remove(name)
    }

    /// Deletes every tenant whose time to live has run out (blocking).
    pub fn sweep(&self) -> Result<Vec<TenantName>> {
        let now = real_now();
        let mut deleted = Vec::new();
        for record in self.home.records()? {
            if record.expired_at(now) && self.delete(&record.name)? {
                deleted.push(record.name);
            }
        }
        Ok(deleted)
    }
}

/// Runs [`Tenants::sweep`] every second until dropped (the server's task).
pub async fn sweep_forever(tenants: Arc<Tenants>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let tenants = tenants.clone();
        match tokio::task::spawn_blocking(move || tenants.sweep()).await {
            Ok(Ok(deleted)) => {
                for name in deleted {
                    tracing::info!(tenant = %name, "tenant deleted: its time to live ran out");
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot delete expired tenants"),
            Err(e) => tracing::warn!(error = %e, "the tenant sweep failed"),
        }
    }
}

/// A refusal in the form the route would answer: JSON under the admin API, plain text
/// elsewhere.
fn refuse(api: bool, error: Error) -> Response {
    if api {
        error.into_response()
    } else {
        super::error::plain(super::error::status_of(&error), &error.to_string())
    }
}

/// Answers a request under `/t/{tenant}/…` with that tenant's lane, the prefix taken
/// off: 400 for a name outside the alphabet, 404 for no such tenant, on every route.
pub(super) async fn dispatch<B>(tenants: Arc<Tenants>, mut request: Request<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let path = request.uri().path();
    let rest = &path[TENANT_PREFIX.len()..];
    let (segment, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let api = tail.starts_with(super::admin::PREFIX);
    let name = match segment.parse::<TenantName>() {
        Ok(name) => name,
        Err(e) => return refuse(api, e),
    };
    let tail = if tail.is_empty() { "/" } else { tail };
    let target = match request.uri().query() {
        Some(query) => format!("{tail}?{query}"),
        None => tail.to_string(),
    };
    let Ok(target) = target.parse() else {
        return refuse(api, Error::BadInput("the request path is not a URI".into()));
    };
    let lane = match tenants.cached(&name) {
        Some(lane) => lane,
        None => {
            let (tenants, lookup) = (tenants.clone(), name.clone());
            match tokio::task::spawn_blocking(move || tenants.load(&lookup)).await {
                Ok(Ok(Some(lane))) => lane,
                Ok(Ok(None)) => {
                    return refuse(api, Error::NotFound(format!("no tenant named {name}")))
                }
                Ok(Err(e)) => return refuse(api, e),
                Err(e) => return refuse(api, Error::State(format!("tenant lookup failed: {e}"))),
            }
        }
    };
    *request.uri_mut() = target;
    request
        .extensions_mut()
        .insert(super::ui::MountPrefix(format!("{TENANT_PREFIX}{name}")));
    let mut lane = lane;
    // The tenant's log lines say whose they are.
    let span = tracing::info_span!("tenant", name = %name);
    match tracing::Instrument::instrument(lane.call(request.map(Body::new)), span).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
