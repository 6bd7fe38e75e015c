//! Pure JPKI domain rules (`domain.md`, `profile.md`): expiry dates, renewal windows,
//! revocation causes and their CRL reasons, PIN rules and the holder facts written into
//! the signing certificate.
//!
//! Everything here is a pure function of its arguments: no I/O, no clock (the current
//! date is always an argument), no randomness and no signing. This module imports
//! nothing from the rest of the crate; only `std`, `time`, `encoding_rs` and `thiserror`.

pub mod causes;
pub mod holder;
pub mod jst;
pub mod locality;
pub mod pin;
pub mod renewal;
pub mod validity;

pub use causes::{Cause, CauseError, CertKind, CrlReason, ReasonMap};
pub use holder::{Gender, HolderError, HolderName};
pub use pin::{Pin, PinError};
pub use renewal::RenewalRefusal;
pub use validity::{Feb29Rule, ValidityRules};

/// A calendar date in Japan Standard Time (JST, UTC+9), as used for every JPKI rule.
pub type Date = time::Date;
