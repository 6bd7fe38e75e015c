//! Pure JPKI domain rules (`domain.md`, `profile.md`): expiry dates, renewal windows,
//! revocation causes and their CRL reasons, PIN rules and the holder facts written into
//! the signing certificate.
//!
//! Everything here is a pure function of its arguments: no I/O, no clock (the current
//! date is always an argument), no randomness and no signing. This module imports
//! nothing from the rest of the crate; only `std`, `time`, `encoding_rs`, `thiserror` and
//! `serde` and `utoipa` (for the names its types are written as, and their schema).

pub mod causes;
pub mod holder;
pub mod identifiers;
pub mod jst;
pub mod locality;
pub mod phones;
pub mod pin;
pub mod publication;
pub mod renewal;
pub mod validity;

pub use causes::{Cause, CauseError, CertKind, CrlReason, ReasonMap};
pub use holder::{Gender, HolderName};
pub use identifiers::{CrlLayout, KeyAlg, Serial};
pub use phones::{Carrier, PhoneValidity, Platform};
pub use pin::Pin;
pub use validity::{Feb29Rule, Issuance, ValidityRules};

/// A calendar date in Japan Standard Time (JST, UTC+9), as used for every JPKI rule.
pub type Date = time::Date;

/// Serialises each listed type as its `as_str()` name, the name the CLI, the config and
/// the admin API use for it, and describes it as that string, one of `ALL`'s names, in
/// the admin API's OpenAPI document.
macro_rules! written_as_name {
    ($($name:ty),+) => {$(
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .enum_values(Some(<$name>::ALL.map(<$name>::as_str)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}
written_as_name!(CertKind, Cause, CrlReason, Gender, KeyAlg, Platform);
