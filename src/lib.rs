//! # jpki-mock
//!
//! A mock certificate authority for Japan's public-key infrastructure for individuals
//! (JPKI, 公的個人認証サービス): the signing and user-authentication certificates of
//! the My Number card, their CRLs, and OCSP.
//!
//! **This is a test CA. It is not for production.** Its keys sit in plain files and
//! its holders are invented.
//!
//! ## Architecture
//!
//! Dependencies point one way:
//! `cli → {config, http, authority}`, `http → authority`,
//! `authority → {rules, pki, issuer, store, clock}`, `issuer → pki → rules`,
//! `store → rules`; `rules` imports nothing from the crate.
//!
//! - [`rules`]: the JPKI rules, pure functions of their inputs (dates, causes, PINs).
//! - [`pki`]: encoders for certificates, CRLs and OCSP; bytes in, bytes out.
//! - [`issuer`]: holds a key and signs what it is given.
//! - [`store`]: persistence behind a trait (SQLite by default).
//! - [`clock`]: the only source of "now" (system, fixed or offset).
//! - [`authority`]: combines all of the above; every operation is a method on it.
//! - [`config`]: TOML → validated [`config::Config`], once.
//! - [`cli`]: the command line.
//! - [`testca`]: the whole mock in-process, for Rust integration tests.

pub mod authority;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod export;
pub mod faults;
pub mod http;
pub mod issuer;
pub mod ocsp;
pub mod pki;
pub mod rules;
pub mod store;
pub mod testca;

pub use authority::{
    CardView, CertView, ClockView, IssueRequest, IssuedCard, IssuedCertificate, NoticeView,
    RevocationReport, RevokedView, SignatureView, UnchangedView,
};
pub use config::Config;
pub use error::{Error, Result};
pub use faults::Fault;
pub use http::observe::RequestRecord;
pub use rules::{Cause, CertKind, CrlReason, Gender, KeyAlg, Serial};
pub use store::CardId;
pub use testca::{TestCa, TestCaBuilder};
