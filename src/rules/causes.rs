//! Revocation causes, the certificates they revoke (`domain.md` §4) and their RFC 5280
//! CRLReason codes (`profile.md`, "Reason codes").

use std::fmt;
use std::str::FromStr;

use super::phones::Carrier;

/// The two JPKI certificates on a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CertKind {
    /// The signing certificate (署名用電子証明書).
    Sign,
    /// The user authentication certificate (利用者証明用電子証明書).
    Auth,
}

/// The accepted spellings of [`CertKind`], for error messages.
const CERT_KIND_NAMES: &str = "sign, auth";

impl CertKind {
    /// Both kinds, signing first.
    pub const ALL: [CertKind; 2] = [CertKind::Sign, CertKind::Auth];

    /// The API spelling: `"sign"` or `"auth"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CertKind::Sign => "sign",
            CertKind::Auth => "auth",
        }
    }
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CertKind {
    type Err = CauseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CertKind::ALL
            .into_iter()
            .find(|kind| s.eq_ignore_ascii_case(kind.as_str()))
            .ok_or_else(|| CauseError::UnknownCertKind {
                given: s.to_owned(),
            })
    }
}

/// An event on a card that revokes certificates (`domain.md` §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The holder asks to stop using a certificate.
    Stop,
    /// The card was reported lost.
    Lost,
    /// The card was reported stolen.
    Stolen,
    /// The card was returned, reissued or invalidated.
    CardInvalidated,
    /// The holder's name changed (including former surname 旧氏 or alias 通称).
    NameChange,
    /// The holder's address changed.
    AddressChange,
    /// Revoked by the issuing body on its own authority.
    ExOfficio,
    /// Key or card information leaked.
    Leak,
    /// The holder moved abroad (since 2024-05-27): the signing certificate is revoked on
    /// the departure date; the card and its authentication certificate stay.
    Emigration,
    /// A phone was reported lost: its two certificates are held (一時利用停止) until
    /// `phone resume`.
    PhoneLost,
    /// A phone was reported stolen.
    PhoneStolen,
    /// A new phone on the same platform replaced it (issuing on the platform does this).
    DeviceChange,
    /// The phone was sold, handed on or sent for repair.
    DeviceDisposed,
    /// Internal: the certificate was renewed.
    Superseded,
}

/// The accepted spellings of the user causes, for error messages.
const USER_CAUSE_NAMES: &str = "stop, lost, stolen, card_invalidated, name_change, \
     address_change, ex_officio, leak, emigration, phone_lost, phone_stolen, device_change, \
     device_disposed";

/// Formats a list of kinds as `sign`, `auth`, `sign and auth` or `nothing`.
fn describe_kinds(kinds: &[CertKind]) -> String {
    match kinds {
        [] => "nothing".to_owned(),
        [one] => one.as_str().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(|k| k.as_str()).collect();
            format!("{} and {}", init.join(", "), last.as_str())
        }
    }
}

/// Sorts kinds (sign first) and removes duplicates.
fn normalize(kinds: &[CertKind]) -> Vec<CertKind> {
    let mut kinds = kinds.to_vec();
    kinds.sort();
    kinds.dedup();
    kinds
}

impl Cause {
    /// Every cause, the internal `Superseded` last.
    pub const ALL: [Cause; 14] = [
        Cause::Stop,
        Cause::Lost,
        Cause::Stolen,
        Cause::CardInvalidated,
        Cause::NameChange,
        Cause::AddressChange,
        Cause::ExOfficio,
        Cause::Leak,
        Cause::Emigration,
        Cause::PhoneLost,
        Cause::PhoneStolen,
        Cause::DeviceChange,
        Cause::DeviceDisposed,
        Cause::Superseded,
    ];

    /// The causes a user may request: all but the internal `Superseded`.
    pub const USER_CAUSES: [Cause; 13] = [
        Cause::Stop,
        Cause::Lost,
        Cause::Stolen,
        Cause::CardInvalidated,
        Cause::NameChange,
        Cause::AddressChange,
        Cause::ExOfficio,
        Cause::Leak,
        Cause::Emigration,
        Cause::PhoneLost,
        Cause::PhoneStolen,
        Cause::DeviceChange,
        Cause::DeviceDisposed,
    ];

    /// The API spelling, e.g. `"card_invalidated"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Stop => "stop",
            Cause::Lost => "lost",
            Cause::Stolen => "stolen",
            Cause::CardInvalidated => "card_invalidated",
            Cause::NameChange => "name_change",
            Cause::AddressChange => "address_change",
            Cause::ExOfficio => "ex_officio",
            Cause::Leak => "leak",
            Cause::Emigration => "emigration",
            Cause::PhoneLost => "phone_lost",
            Cause::PhoneStolen => "phone_stolen",
            Cause::DeviceChange => "device_change",
            Cause::DeviceDisposed => "device_disposed",
            Cause::Superseded => "superseded",
        }
    }

    /// Position in [`Cause::ALL`].
    fn index(self) -> usize {
        match self {
            Cause::Stop => 0,
            Cause::Lost => 1,
            Cause::Stolen => 2,
            Cause::CardInvalidated => 3,
            Cause::NameChange => 4,
            Cause::AddressChange => 5,
            Cause::ExOfficio => 6,
            Cause::Leak => 7,
            Cause::Emigration => 8,
            Cause::PhoneLost => 9,
            Cause::PhoneStolen => 10,
            Cause::DeviceChange => 11,
            Cause::DeviceDisposed => 12,
            Cause::Superseded => 13,
        }
    }

    /// The certificates this cause always revokes, or `None` when the caller chooses them.
    pub fn fixed_targets(self) -> Option<&'static [CertKind]> {
        match self {
            Cause::Lost
            | Cause::Stolen
            | Cause::CardInvalidated
            | Cause::PhoneLost
            | Cause::PhoneStolen
            | Cause::DeviceChange
            | Cause::DeviceDisposed => Some(&CertKind::ALL),
            Cause::NameChange | Cause::AddressChange | Cause::Emigration => Some(&[CertKind::Sign]),
            Cause::Stop | Cause::ExOfficio | Cause::Leak | Cause::Superseded => None,
        }
    }

    /// Whether the cause is about a phone (it needs a platform).
    pub fn is_phone(self) -> bool {
        matches!(
            self,
            Cause::PhoneLost | Cause::PhoneStolen | Cause::DeviceChange | Cause::DeviceDisposed
        )
    }

    /// Whether the cause reaches certificates on this carrier: a phone cause the phone's,
    /// a change of the holder's name or address (or moving abroad) every signing
    /// certificate, card and phone alike, and the other causes the card's only (a lost
    /// card leaves the phones alone).
    pub fn reaches(self, carrier: Carrier) -> bool {
        match self {
            Cause::NameChange | Cause::AddressChange | Cause::Emigration => true,
            _ => self.is_phone() == matches!(carrier, Carrier::Phone(_)),
        }
    }

    /// The CRLReason of `profile.md` ("Reason codes"): the oracle the config's defaults
    /// are tested against.
    #[cfg(test)]
    pub fn default_reason(self) -> CrlReason {
        match self {
            Cause::Stop | Cause::CardInvalidated | Cause::DeviceChange | Cause::DeviceDisposed => {
                CrlReason::CessationOfOperation
            }
            Cause::Lost | Cause::PhoneLost => CrlReason::CertificateHold,
            Cause::Stolen | Cause::Leak | Cause::PhoneStolen => CrlReason::KeyCompromise,
            Cause::NameChange | Cause::AddressChange | Cause::ExOfficio | Cause::Emigration => {
                CrlReason::AffiliationChanged
            }
            Cause::Superseded => CrlReason::Superseded,
        }
    }

    /// The certificate kinds this cause revokes, sorted (sign first) and deduplicated.
    ///
    /// For `stop`, `ex_officio`, `leak` and `superseded`, `chosen` picks the kinds
    /// (`None` means both; an empty list is refused). The other causes have fixed
    /// targets; a `chosen` list is refused unless it names exactly those targets.
    pub fn targets(self, chosen: Option<&[CertKind]>) -> Result<Vec<CertKind>, CauseError> {
        let chosen = chosen.map(normalize);
        match (self.fixed_targets(), chosen) {
            (Some(fixed), None) => Ok(fixed.to_vec()),
            (Some(fixed), Some(chosen)) if chosen == fixed => Ok(chosen),
            (Some(fixed), Some(chosen)) => Err(CauseError::FixedTargets {
                cause: self,
                fixed: fixed.to_vec(),
                chosen,
            }),
            (None, None) => Ok(CertKind::ALL.to_vec()),
            (None, Some(chosen)) if chosen.is_empty() => {
                Err(CauseError::EmptyChoice { cause: self })
            }
            (None, Some(chosen)) => Ok(chosen),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cause {
    type Err = CauseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case(Cause::Superseded.as_str()) {
            return Err(CauseError::InternalCause {
                given: s.to_owned(),
            });
        }
        Cause::USER_CAUSES
            .into_iter()
            .find(|cause| s.eq_ignore_ascii_case(cause.as_str()))
            .ok_or_else(|| CauseError::UnknownCause {
                given: s.to_owned(),
            })
    }
}

/// An RFC 5280 CRLReason (code 7 is unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrlReason {
    /// `unspecified` (0); a CRL entry with it omits the reasonCode extension.
    Unspecified,
    /// `keyCompromise` (1).
    KeyCompromise,
    /// `cACompromise` (2).
    CaCompromise,
    /// `affiliationChanged` (3).
    AffiliationChanged,
    /// `superseded` (4).
    Superseded,
    /// `cessationOfOperation` (5).
    CessationOfOperation,
    /// `certificateHold` (6).
    CertificateHold,
    /// `removeFromCRL` (8).
    RemoveFromCrl,
    /// `privilegeWithdrawn` (9).
    PrivilegeWithdrawn,
    /// `aACompromise` (10).
    AaCompromise,
}

/// The accepted spellings of [`CrlReason`], for error messages.
const CRL_REASON_NAMES: &str = "unspecified, keyCompromise, cACompromise, affiliationChanged, \
     superseded, cessationOfOperation, certificateHold, removeFromCRL, privilegeWithdrawn, \
     aACompromise (case-insensitive; snake_case such as key_compromise also accepted)";

impl CrlReason {
    /// Every reason, in code order.
    pub const ALL: [CrlReason; 10] = [
        CrlReason::Unspecified,
        CrlReason::KeyCompromise,
        CrlReason::CaCompromise,
        CrlReason::AffiliationChanged,
        CrlReason::Superseded,
        CrlReason::CessationOfOperation,
        CrlReason::CertificateHold,
        CrlReason::RemoveFromCrl,
        CrlReason::PrivilegeWithdrawn,
        CrlReason::AaCompromise,
    ];

    /// The RFC 5280 ReasonCode value.
    pub fn code(self) -> u8 {
        match self {
            CrlReason::Unspecified => 0,
            CrlReason::KeyCompromise => 1,
            CrlReason::CaCompromise => 2,
            CrlReason::AffiliationChanged => 3,
            CrlReason::Superseded => 4,
            CrlReason::CessationOfOperation => 5,
            CrlReason::CertificateHold => 6,
            CrlReason::RemoveFromCrl => 8,
            CrlReason::PrivilegeWithdrawn => 9,
            CrlReason::AaCompromise => 10,
        }
    }

    /// The reason with this RFC 5280 code, or `None` (7 and codes above 10).
    pub fn from_code(code: u8) -> Option<Self> {
        CrlReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The RFC 5280 ASN.1 name, e.g. `"keyCompromise"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CrlReason::Unspecified => "unspecified",
            CrlReason::KeyCompromise => "keyCompromise",
            CrlReason::CaCompromise => "cACompromise",
            CrlReason::AffiliationChanged => "affiliationChanged",
            CrlReason::Superseded => "superseded",
            CrlReason::CessationOfOperation => "cessationOfOperation",
            CrlReason::CertificateHold => "certificateHold",
            CrlReason::RemoveFromCrl => "removeFromCRL",
            CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
            CrlReason::AaCompromise => "aACompromise",
        }
    }

    /// The snake_case spelling, e.g. `"key_compromise"`.
    pub fn snake_case(self) -> &'static str {
        match self {
            CrlReason::Unspecified => "unspecified",
            CrlReason::KeyCompromise => "key_compromise",
            CrlReason::CaCompromise => "ca_compromise",
            CrlReason::AffiliationChanged => "affiliation_changed",
            CrlReason::Superseded => "superseded",
            CrlReason::CessationOfOperation => "cessation_of_operation",
            CrlReason::CertificateHold => "certificate_hold",
            CrlReason::RemoveFromCrl => "remove_from_crl",
            CrlReason::PrivilegeWithdrawn => "privilege_withdrawn",
            CrlReason::AaCompromise => "aa_compromise",
        }
    }
}

impl fmt::Display for CrlReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CrlReason {
    type Err = CauseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CrlReason::ALL
            .into_iter()
            .find(|r| s.eq_ignore_ascii_case(r.as_str()) || s.eq_ignore_ascii_case(r.snake_case()))
            .ok_or_else(|| CauseError::UnknownCrlReason {
                given: s.to_owned(),
            })
    }
}

/// The CRLReason written for each cause (overridable in config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReasonMap {
    /// The reason for each cause, indexed like [`Cause::ALL`].
    reasons: [CrlReason; Cause::ALL.len()],
}

/// profile.md's table, for the rules' own tests; the running mock reads the reasons from
/// its configuration.
#[cfg(test)]
impl Default for ReasonMap {
    fn default() -> Self {
        ReasonMap {
            reasons: Cause::ALL.map(Cause::default_reason),
        }
    }
}

impl ReasonMap {
    /// A map with a reason for every cause; names the first cause left without one.
    pub fn from_entries(entries: &[(Cause, CrlReason)]) -> Result<Self, Cause> {
        let mut reasons = [None; Cause::ALL.len()];
        for &(cause, reason) in entries {
            reasons[cause.index()] = Some(reason);
        }
        let mut map = [CrlReason::Unspecified; Cause::ALL.len()];
        for cause in Cause::ALL {
            map[cause.index()] = reasons[cause.index()].ok_or(cause)?;
        }
        Ok(ReasonMap { reasons: map })
    }

    /// The CRLReason for `cause`.
    pub fn reason(&self, cause: Cause) -> CrlReason {
        self.reasons[cause.index()]
    }

    /// Overrides the CRLReason for `cause`.
    pub fn set(&mut self, cause: Cause, reason: CrlReason) {
        self.reasons[cause.index()] = reason;
    }

    /// Every `(cause, reason)` pair, in the order of [`Cause::ALL`].
    pub fn entries(&self) -> impl Iterator<Item = (Cause, CrlReason)> + '_ {
        Cause::ALL
            .into_iter()
            .map(|cause| (cause, self.reason(cause)))
    }
}

/// A cause, certificate kind or CRL reason that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CauseError {
    /// The cause name is not known.
    #[error("unknown cause {given:?}: expected one of {USER_CAUSE_NAMES}")]
    UnknownCause {
        /// The text given.
        given: String,
    },
    /// `superseded` was requested, but only renewal may use it.
    #[error(
        "cause {given:?} is internal (used by renewal) and cannot be requested: expected one of {USER_CAUSE_NAMES}"
    )]
    InternalCause {
        /// The text given.
        given: String,
    },
    /// The certificate kind is not known.
    #[error("unknown certificate kind {given:?}: expected one of {CERT_KIND_NAMES}")]
    UnknownCertKind {
        /// The text given.
        given: String,
    },
    /// The CRL reason name is not known.
    #[error("unknown CRL reason {given:?}: expected one of {CRL_REASON_NAMES}")]
    UnknownCrlReason {
        /// The text given.
        given: String,
    },
    /// An empty list of certificates was chosen for a cause that lets the caller choose.
    #[error(
        "cause {cause} needs at least one certificate kind ({CERT_KIND_NAMES}); omit the list to revoke both"
    )]
    EmptyChoice {
        /// The cause.
        cause: Cause,
    },
    /// Certificates were chosen for a cause whose targets are fixed, and they differ.
    #[error(
        "cause {cause} always revokes {}; the certificates cannot be chosen (asked for {})",
        describe_kinds(.fixed), describe_kinds(.chosen)
    )]
    FixedTargets {
        /// The cause.
        cause: Cause,
        /// What the cause always revokes.
        fixed: Vec<CertKind>,
        /// What was asked for (sorted, deduplicated).
        chosen: Vec<CertKind>,
    },
}

#[cfg(test)]
mod tests;
