//! # jpki-mock
//!
//! A mock certificate authority for Japan's public-key infrastructure for individuals
//! (JPKI, 公的個人認証サービス): the signing and user-authentication certificates of
//! the My Number card, their CRLs, and OCSP.
//!
//! **This is a test CA. It is not for production.** Its keys sit in plain files and
//! its holders are invented.
//!
//! The library is for Rust integration tests: [`TestCa`] runs the whole mock (CAs,
//! CRLs, OCSP, admin API) in-process on an ephemeral port.
//!
//! ```
//! use jpki_mock::{Cause, CrlReason, IssueRequest, TestCa};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> jpki_mock::Result<()> {
//! let ca = TestCa::builder().start().await?;
//! let card = ca
//!     .issue(IssueRequest {
//!         name: "山田 太郎".into(),
//!         birth: "1990-10-01".into(),
//!         gender: "male".into(),
//!         address: "東京都品川区広町2-1-36".into(),
//!         key_alg: Some("p256".into()),
//!         ..IssueRequest::default()
//!     })
//!     .await?;
//! // The certificates point at this server: <base_url>/ocsp/sign, <base_url>/crl/sign.crl.
//! assert!(ca.base_url().starts_with("http://127.0.0.1:"));
//! let report = ca.revoke(card.card_id, Cause::Lost).await?;
//! assert_eq!(report.revoked.len(), 2);
//! assert_eq!(report.revoked[0].reason, CrlReason::CertificateHold);
//! ca.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## Architecture
//!
//! Dependencies point one way (`tests/architecture.rs` checks it):
//! `cli → {config, http, authority, export}`, `testca → {http, ocsp, authority, export}`,
//! `http → {authority, ocsp}`, `export → {authority, ocsp}`, `ocsp → {authority, pki}`,
//! `authority → {rules, pki, issuer, store, clock}`, `issuer → pki → rules`,
//! `store → rules`, `clock → rules`; `rules` imports nothing from the crate. `error`,
//! `config` and `faults` are shared leaves any layer may use; they import nothing above
//! `pki`.
//!
//! - `rules`: the JPKI rules, pure functions of their inputs (dates, causes, PINs), and
//!   the identifiers every layer shares (`Serial`, `CertKind`, `KeyAlg`).
//! - `pki`: encoders for certificates, CRLs and OCSP; bytes in, bytes out.
//! - `issuer`: holds a key and signs what it is given.
//! - `store`: persistence behind a trait (SQLite by default, memory for tests).
//! - `clock`: the only source of "now" (system, fixed or offset).
//! - `authority`: combines all of the above, one file per concern.
//! - `ocsp`: the responder, transport-free, with its cache and fault injection.
//! - `export`: the offline fixture bundle.
//! - `http`: transport only (routing, decoding, headers, the error → status map).
//! - `config`: TOML → validated [`Config`], once.
//! - `cli`: the command line; `testca`: the mock in-process, for Rust tests.

#![deny(missing_docs)]

mod authority;
mod cli;
mod clock;
mod config;
mod error;
mod export;
mod faults;
mod http;
mod issuer;
mod ocsp;
mod pki;
mod rules;
mod store;
mod testca;

pub use authority::{
    CaRevocationView, CaView, CardView, CertState, CertView, ClockMode, ClockView, CrlScope,
    IssueRequest, IssuedCard, IssuedCertificate, LatestFactsView, LinksView, NoticeView,
    RawPhoneRequest, RawSignRequest, RevocationReport, RevokedView, SignatureAlgorithm,
    SignatureView, SuccessorView, UnchangedView,
};
pub use config::Config;
pub use error::{Error, Result};
pub use faults::Fault;
pub use http::observe::RequestRecord;
pub use http::tenants::TenantRequest;
pub use ocsp::LoggedCertId;
pub use rules::locality::Locality;
pub use rules::{Cause, CertKind, CrlReason, Gender, KeyAlg, Platform, Serial};
pub use store::CardId;
pub use testca::{TestCa, TestCaBuilder};

/// Runs the command line and returns its exit code (the binary's `main`).
pub fn run_cli() -> std::process::ExitCode {
    cli::main()
}

/// Internals for the fuzz targets, benchmarks and limit tests of this repository. Not
/// part of the API: anything here may change in any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::authority::{Authority, CardRequest, Options, RevokeRequest};
    pub use crate::clock::parse_instant;
    pub use crate::config::DEFAULT_TOML;
    pub use crate::http::body_limit::{LINGER_IDLE, LINGER_MAX_BYTES, LINGER_MAX_TIME};
    pub use crate::http::ocsp::MAX_GET_PATH;
    pub use crate::http::{router, AppState};
    pub use crate::pki::keys::KeyPair;
    pub use crate::pki::ocsp::parse_request;
    pub use crate::store::postgres::testing::{TestSchema, TEST_SERVER};
    pub use crate::store::sqlite::{SqliteStore, DATABASE_FILE};
    pub use crate::store::{ChangeCounter, StoreLocation};
}
