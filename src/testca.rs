//! An embeddable test CA for Rust integration tests: the whole mock (CAs, CRLs, OCSP,
//! admin API) served in-process on an ephemeral port, driven by methods instead of
//! HTTP calls.
//!
//! See the crate documentation for an example.

use std::path::PathBuf;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::authority::{
    Authority, CaView, CardRequest, CardView, ClockView, CrlScope, IssueRequest, IssuedCard,
    LatestFactsView, LinksView, Options, PhoneRequest, RawPhoneRequest, RawSignRequest,
    RevocationReport, RevokeRequest, SignRequest,
};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::faults::Fault;
use crate::http::observe::RequestRecord;
use crate::http::publish::{current_list, List};
use crate::http::tenants::{TenantRequest, Tenants};
use crate::http::{router, serve, AppState, Lane, Shared};
use crate::rules::Serial;
use crate::rules::{Cause, CertKind, Platform};
use crate::store::memory::MemoryStore;
use crate::store::sqlite::SqliteStore;
use crate::store::tenants::{TenantHome, TenantName};
use crate::store::{CardId, Store};

/// Where a test CA keeps its state.
#[derive(Clone, Debug)]
enum StateChoice {
    Memory,
    Directory(PathBuf),
}

/// Configures a [`TestCa`].
#[derive(Clone, Debug)]
pub struct TestCaBuilder {
    state: StateChoice,
    config: Config,
    seed: Option<String>,
    admin_token: Option<String>,
    created_at: Option<OffsetDateTime>,
}

/// A running in-process jpki-mock. Dropping it stops the server.
pub struct TestCa {
    base_url: String,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<()>>>,
    /// For a tenant's test CA: the server's tenants and its name, deleted on drop.
    tenant: Option<(Arc<Tenants>, TenantName)>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl TestCa {
    /// A builder; the state is in memory unless [`TestCaBuilder::state_dir`] says
    /// otherwise.
    pub fn builder() -> TestCaBuilder {
        TestCaBuilder {
            state: StateChoice::Memory,
            config: Config::default(),
            seed: None,
            admin_token: None,
            created_at: None,
        }
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234` (the certificates carry it).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The current generation's CA certificate, PEM.
    pub fn ca_certificate_pem(&self, kind: CertKind) -> String {
        let der = self
            .state
            .ca_der(kind, None)
            .expect("the state of a running test CA stays readable");
        crate::pki::pem_encode("CERTIFICATE", &der)
    }

    /// Issues a card (the same fields as `POST /api/v1/cards`).
    pub async fn issue(&self, holder: IssueRequest) -> Result<IssuedCard> {
        self.state
            .blocking(move |s| s.authority.issue(&CardRequest::try_from(&holder)?))
            .await
    }

    /// Applies a revocation cause to a card's certificates, now.
    pub async fn revoke(&self, card: CardId, cause: Cause) -> Result<RevocationReport> {
        self.revoke_at(card, cause, None, None).await
    }

    /// Applies a revocation cause to the chosen certificates (`None`: what the cause
    /// targets) at `at` (`None`: now), as `POST /api/v1/cards/{id}/events` does.
    pub async fn revoke_at(
        &self,
        card: CardId,
        cause: Cause,
        certs: Option<Vec<CertKind>>,
        at: Option<OffsetDateTime>,
    ) -> Result<RevocationReport> {
        self.state
            .blocking(move |s| {
                s.authority.revoke(
                    card,
                    &RevokeRequest {
                        cause,
                        certs,
                        at,
                        platform: None,
                    },
                )
            })
            .await
    }

    /// Applies a phone cause (`PhoneLost`, `PhoneStolen`, `DeviceChange`,
    /// `DeviceDisposed`) to a phone's certificates, now.
    pub async fn revoke_phone(
        &self,
        card: CardId,
        platform: Platform,
        cause: Cause,
    ) -> Result<RevocationReport> {
        self.state
            .blocking(move |s| {
                s.authority.revoke(
                    card,
                    &RevokeRequest {
                        cause,
                        certs: None,
                        at: None,
                        platform: Some(platform),
                    },
                )
            })
            .await
    }

    /// Issues a phone's signing and auth certificates for the card's holder (a set
    /// already on the platform is revoked: `device_change`), as `POST
    /// /api/v1/cards/{id}/phones` does.
    pub async fn issue_phone(&self, card: CardId, request: RawPhoneRequest) -> Result<IssuedCard> {
        self.state
            .blocking(move |s| {
                s.authority
                    .issue_phone(card, &PhoneRequest::try_from(&request)?)
            })
            .await
    }

    /// Suspends a lost phone: both its certificates held (`phone_lost`).
    pub async fn suspend_phone(
        &self,
        card: CardId,
        platform: Platform,
    ) -> Result<RevocationReport> {
        self.state
            .blocking(move |s| s.authority.suspend_phone(card, platform))
            .await
    }

    /// Resumes a suspended phone: the auth hold lifted, the signing certificate
    /// re-issued (returned as `sign`; `lifted` names the auth certificate).
    pub async fn resume_phone(&self, card: CardId, platform: Platform) -> Result<IssuedCard> {
        self.state
            .blocking(move |s| s.authority.resume_phone(card, platform))
            .await
    }

    /// A new signing certificate on a card whose signing certificate was revoked or
    /// expired, with the holder's new facts (name, address), as `POST
    /// /api/v1/cards/{id}/certs/sign` does.
    pub async fn issue_signing_certificate(
        &self,
        card: CardId,
        request: RawSignRequest,
    ) -> Result<IssuedCard> {
        self.state
            .blocking(move |s| {
                s.authority
                    .issue_signing_certificate(card, &SignRequest::try_from(&request)?)
            })
            .await
    }

    /// A certificate's links: its pair, predecessor, successors and the current one.
    pub async fn links(&self, serial: Serial) -> Result<LinksView> {
        self.state
            .blocking(move |s| s.authority.links(serial))
            .await
    }

    /// The holder's latest basic four facts (403 `Forbidden` without the card's
    /// consent).
    pub async fn latest_facts(&self, serial: Serial) -> Result<LatestFactsView> {
        self.state
            .blocking(move |s| s.authority.latest_facts(serial))
            .await
    }

    /// Renews a card's certificates inside their window (`None`: every unrevoked one).
    pub async fn renew(&self, card: CardId, certs: Option<Vec<CertKind>>) -> Result<IssuedCard> {
        self.state
            .blocking(move |s| s.authority.renew(card, certs.as_deref()))
            .await
    }

    /// Card reissue: the old card's certificates revoked, a new card issued.
    pub async fn reissue(&self, card: CardId) -> Result<IssuedCard> {
        self.state
            .blocking(move |s| s.authority.reissue(card))
            .await
    }

    /// A card with its certificates and their statuses.
    pub async fn card(&self, card: CardId) -> Result<CardView> {
        self.state
            .blocking(move |s| s.authority.card_view(card))
            .await
    }

    /// The whole CRL the server serves now for `kind`'s current generation (DER).
    pub async fn crl(&self, kind: CertKind) -> Result<Vec<u8>> {
        self.list(move |s| List::Crl(CrlScope::whole(kind, s.authority.ca(kind).number)))
            .await
    }

    /// One CRL the server serves now (DER): a generation's whole CRL, or in the
    /// municipality layout one distribution point's partition.
    pub async fn crl_of(&self, scope: CrlScope) -> Result<Vec<u8>> {
        self.list(move |_| List::Crl(scope)).await
    }

    /// The ARL the server serves now for `kind`'s current generation (DER): the CA
    /// certificate's CRL distribution point names it.
    pub async fn arl(&self, kind: CertKind) -> Result<Vec<u8>> {
        self.list(move |_| List::Arl(kind, None)).await
    }

    async fn list(&self, which: impl FnOnce(&Shared) -> List + Send + 'static) -> Result<Vec<u8>> {
        self.state
            .blocking(move |s| {
                s.authority.sync()?;
                let list = which(s);
                Ok(current_list(s, &list)?.der().to_vec())
            })
            .await
    }

    /// Every generation of both CAs, oldest first.
    pub async fn ca_generations(&self) -> Result<Vec<CaView>> {
        self.state
            .blocking(|s| {
                s.authority.sync()?;
                Ok(s.authority.ca_list(None))
            })
            .await
    }

    /// Rolls a CA over: a new generation (new key, same DN, new responder) that issues
    /// from now on.
    pub async fn rollover(&self, kind: CertKind) -> Result<CaView> {
        self.state
            .blocking(move |s| s.authority.rollover(kind, None))
            .await
    }

    /// A signed OCSP response for one certificate (SHA-1 CertID, no nonce), as the
    /// responder would answer it now: for stapling, or for clients tested offline.
    pub async fn ocsp_response(&self, serial: Serial) -> Result<Vec<u8>> {
        self.state
            .blocking(move |s| crate::ocsp::single_response(&mut s.authority, serial))
            .await
    }

    /// The admin token the admin API requires, if one was set.
    pub fn admin_token(&self) -> Option<&str> {
        self.state.admin_token()
    }

    /// The server's router without a socket, for `tower::ServiceExt::oneshot`: the
    /// same state, so a card issued through either is seen by both.
    pub fn router(&self) -> axum::Router {
        router(self.state.clone())
    }

    /// Fixes the virtual clock at `now` (for issuance, revocation, CRLs and OCSP).
    pub async fn set_clock(&self, now: OffsetDateTime) -> Result<ClockView> {
        self.state
            .blocking(move |s| s.authority.set_clock(Clock::Fixed { now }))
            .await
    }

    /// Injects a fault (see [`crate::faults`]), e.g.
    /// `serde_json::from_str(r#"{"fault": "stale", "count": 1}"#)?`.
    pub async fn inject(&self, fault: Fault) -> Result<()> {
        self.state
            .blocking(move |s| {
                s.faults.add(fault);
                Ok(())
            })
            .await
    }

    /// Clears every fault.
    pub async fn clear_faults(&self) -> Result<()> {
        self.state
            .blocking(|s| {
                s.faults.set(Vec::new());
                Ok(())
            })
            .await
    }

    /// The OCSP and CRL requests received so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.request_log().query(None, None)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        self.shut_down();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    fn shut_down(&mut self) {
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        if let Some((tenants, name)) = self.tenant.take() {
            if let Err(e) = tenants.delete(&name) {
                tracing::warn!(tenant = %name, error = %e, "cannot delete the test tenant");
            }
        }
    }

    /// A new tenant of this server: a complete, isolated mock (CAs, cards, clock,
    /// faults, request log) under `{base_url}/t/{tenant}`, as `POST /api/v1/tenants`
    /// makes. The returned test CA drives it with the same methods, and deletes it
    /// when dropped or stopped; parallel tests each take their own.
    pub async fn tenant(&self, request: TenantRequest) -> Result<TestCa> {
        let tenants = self.state.tenants().cloned().ok_or_else(|| {
            Error::NotFound("a tenant's test CA has no tenants of its own".into())
        })?;
        let server_url = self.base_url.clone();
        let made = tenants.clone();
        let (record, state) = tokio::task::spawn_blocking(move || -> Result<_> {
            let record = made.create(&request, &server_url)?;
            let state = made
                .state(&record.name)?
                .ok_or_else(|| Error::State(format!("tenant {} vanished", record.name)))?;
            Ok((record, state))
        })
        .await
        .map_err(|e| Error::State(format!("tenant creation failed: {e}")))??;
        Ok(TestCa {
            base_url: record.base_url.clone(),
            state,
            shutdown: None,
            server: None,
            tenant: Some((tenants, record.name)),
        })
    }

    /// The tenant's name, for a test CA made by [`TestCa::tenant`].
    pub fn tenant_name(&self) -> Option<&str> {
        self.tenant.as_ref().map(|(_, name)| name.as_str())
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl TestCaBuilder {
    /// Keep the state in memory (the default): nothing touches the disk.
    pub fn state_in_memory(mut self) -> Self {
        self.state = StateChoice::Memory;
        self
    }

    /// Keep the state in a directory (SQLite and key files), e.g. to inspect it with
    /// the CLI afterwards.
    pub fn state_dir(mut self, directory: impl Into<PathBuf>) -> Self {
        self.state = StateChoice::Directory(directory.into());
        self
    }

    /// Use this configuration instead of the default.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Derive every key from `seed` (test-only; reproducible certificates).
    pub fn seed(mut self, seed: impl Into<String>) -> Self {
        self.seed = Some(seed.into());
        self
    }

    /// Require `Authorization: Bearer <token>` on the admin API.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Create the CAs as at `instant` (their notBefore) instead of the real now, so
    /// that the virtual clock can later be set back to that time; the clock itself
    /// stays the real one until [`TestCa::set_clock`].
    pub fn created_at(mut self, instant: OffsetDateTime) -> Self {
        self.created_at = Some(instant);
        self
    }

    /// Binds 127.0.0.1 on an ephemeral port, creates the CAs (their URLs name that
    /// port) and serves until the [`TestCa`] is stopped or dropped.
    pub async fn start(self) -> Result<TestCa> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::io("cannot bind 127.0.0.1:0", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the bound address", e))?;
        let base_url = format!("http://{address}");
        let options = Options {
            now: None,
            key_seed: self.seed,
        };
        let init_options = Options {
            now: self.created_at,
            ..options.clone()
        };
        let config = self.config;
        let header_read_timeout = config.server.header_read_timeout;
        let init_url = base_url.clone();
        let tenant_options = options.clone();
        let choice = self.state.clone();
        let authority = tokio::task::spawn_blocking(move || -> Result<Authority> {
            let mut store: Box<dyn Store> = match choice {
                StateChoice::Memory => Box::new(MemoryStore::new()),
                StateChoice::Directory(dir) => Box::new(SqliteStore::create(&dir)?),
            };
            Authority::init(
                store.as_mut(),
                &config,
                &init_options,
                Some(&init_url),
                None,
            )?;
            Authority::open(store, config, options)
        })
        .await
        .map_err(|e| Error::State(format!("test CA set-up failed: {e}")))??;
        let home = match &self.state {
            StateChoice::Memory => TenantHome::in_memory(),
            StateChoice::Directory(dir) => TenantHome::in_directory(dir),
        };
        let tenants = Tenants::new(
            home,
            authority.config().clone(),
            tenant_options,
            self.admin_token.clone(),
        );
        let state = AppState::with_tenants(authority, self.admin_token, tenants);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            Lane::new(state.clone()),
            header_read_timeout,
            async {
                let _ = stopped.await;
            },
        ));
        Ok(TestCa {
            base_url,
            state,
            shutdown: Some(shutdown),
            server: Some(server),
            tenant: None,
        })
    }
}
