//! Fault injection: the ways revocation checking goes wrong, on demand, so that a
//! relying party can prove it handles each. Faults are off unless set (admin API
//! `PUT /api/v1/faults`, or config `[[faults]]`), logged loudly while on, scoped to a
//! CA, a serial or every request, and to a count of requests or until cleared.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::rules::{CertKind, CrlReason};

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// OCSP: an unsuccessful responseStatus instead of an answer.
    OcspStatus {
        /// malformedRequest | internalError | tryLater | sigRequired | unauthorized.
        status: OcspErrorStatus,
    },
    /// OCSP: the signature does not verify.
    BadSignature,
    /// OCSP: signed by a key that is not the responder certificate's.
    WrongKey,
    /// OCSP: signed by a responder certificate without the OCSPSigning EKU.
    ResponderWithoutOcspSigning,
    /// OCSP: signed by a responder certificate that has expired.
    ExpiredResponder,
    /// OCSP: the answer's CertID names another issuer than the request's.
    CertIdMismatch,
    /// OCSP: the answer is about another serial.
    WrongSerial,
    /// OCSP: the request's nonce is not echoed.
    MissingNonce,
    /// OCSP: a nonce other than the request's is echoed.
    WrongNonce,
    /// OCSP: thisUpdate and nextUpdate lie in the past.
    Stale,
    /// OCSP: thisUpdate lies in the future.
    FutureDated,
    /// OCSP: no nextUpdate.
    NoNextUpdate,
    /// OCSP: `revoked` with this reason, whatever the real state.
    Revoked {
        /// CRLReason name, e.g. keyCompromise.
        reason: String,
    },
    /// OCSP: an unknown critical response extension.
    UnknownCriticalExtension,
    /// OCSP: HTTP 200 with an empty body.
    EmptyBody,
    /// HTTP (OCSP and CRL routes): wait this long before answering.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// HTTP: answer with this status and no OCSP/CRL body.
    HttpStatus {
        /// 500, 503 or 404.
        status: u16,
    },
    /// HTTP: send part of the response, then close the connection.
    CloseConnection,
    /// HTTP: the right body with `Content-Type: text/plain`.
    WrongContentType,
    /// CRL: nextUpdate in the past.
    CrlExpired,
    /// CRL: the signature does not verify.
    CrlBadSignature,
    /// CRL: an issuingDistributionPoint that matches no certificate.
    CrlWrongIdp,
    /// CRL: entries without their reasonCode.
    CrlMissingReason,
}

/// The unsuccessful OCSP response statuses (RFC 6960 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcspErrorStatus {
    /// 1.
    MalformedRequest,
    /// 2.
    InternalError,
    /// 3.
    TryLater,
    /// 5.
    SigRequired,
    /// 6.
    Unauthorized,
}

const OCSP_ERROR_STATUSES: [(OcspErrorStatus, &str); 5] = [
    (OcspErrorStatus::MalformedRequest, "malformedRequest"),
    (OcspErrorStatus::InternalError, "internalError"),
    (OcspErrorStatus::TryLater, "tryLater"),
    (OcspErrorStatus::SigRequired, "sigRequired"),
    (OcspErrorStatus::Unauthorized, "unauthorized"),
];

/// Which requests a fault applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultScope {
    /// Only requests about this CA (default: both).
    pub ca: Option<CertKind>,
    /// Only OCSP requests naming this serial (default: any).
    pub serial: Option<u32>,
}

/// A fault as set: what, where, and for how many requests. In JSON it is one flat
/// object: `{"fault": "ocsp_status", "status": "tryLater", "ca": "sign", "count": 3}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawFault", into = "RawFault")]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// Where.
    pub scope: FaultScope,
    /// For the next N matching requests; absent: until cleared.
    pub count: Option<u32>,
}

/// The JSON form of a fault, read strictly.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RawFault {
    /// What goes wrong.
    #[schema(schema_with = fault_name_schema)]
    fault: String,
    /// ocsp_status: the OCSP response status; http_status: the HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = status_schema)]
    status: Option<serde_json::Value>,
    /// revoked: the CRLReason, e.g. keyCompromise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// delay: milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 120000)] // MAX_DELAY_MS (the attribute takes a literal only)
    ms: Option<u64>,
    /// Only requests about this CA, sign or auth (default: both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca: Option<String>,
    /// Only OCSP requests naming this serial (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // As i64: utoipa describes a u32 as an int32, a range too small for it.
    #[schema(value_type = Option<i64>, minimum = 0)]
    serial: Option<u32>,
    /// For the next N matching requests (default: until cleared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    count: Option<u32>,
}

/// A fault is described as its JSON form.
impl PartialSchema for Fault {
    fn schema() -> RefOr<Schema> {
        RawFault::schema()
    }
}

impl ToSchema for Fault {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        RawFault::schemas(schemas);
    }
}

/// Longest `delay`, in milliseconds.
const MAX_DELAY_MS: u64 = 120_000;

/// The statuses an `http_status` fault answers with.
const HTTP_STATUSES: [u64; 3] = [500, 503, 404];

fn fault_name_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(FAULT_NAMES))
        .into()
}

fn status_schema() -> Schema {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(OCSP_ERROR_STATUSES.map(|(_, name)| name))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some(HTTP_STATUSES)),
        )
        .into()
}

/// Every fault name, as the JSON `fault` field spells it.
pub const FAULT_NAMES: [&str; 23] = [
    "ocsp_status",
    "bad_signature",
    "wrong_key",
    "responder_without_ocsp_signing",
    "expired_responder",
    "cert_id_mismatch",
    "wrong_serial",
    "missing_nonce",
    "wrong_nonce",
    "stale",
    "future_dated",
    "no_next_update",
    "revoked",
    "unknown_critical_extension",
    "empty_body",
    "delay",
    "http_status",
    "close_connection",
    "wrong_content_type",
    "crl_expired",
    "crl_bad_signature",
    "crl_wrong_idp",
    "crl_missing_reason",
];

impl TryFrom<RawFault> for Fault {
    type Error = String;

    fn try_from(raw: RawFault) -> Result<Self, String> {
        use FaultKind::*;
        let name = raw.fault.as_str();
        let status_text = || -> Result<String, String> {
            match &raw.status {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                _ => Err(format!("{name} needs \"status\"")),
            }
        };
        let kind = match name {
            "ocsp_status" => {
                let text = status_text()?;
                let status = OCSP_ERROR_STATUSES
                    .iter()
                    .find(|(_, n)| *n == text)
                    .map(|(s, _)| *s)
                    .ok_or_else(|| format!("ocsp_status {text:?}: expected malformedRequest, internalError, tryLater, sigRequired or unauthorized"))?;
                OcspStatus { status }
            }
            "bad_signature" => BadSignature,
            "wrong_key" => WrongKey,
            "responder_without_ocsp_signing" => ResponderWithoutOcspSigning,
            "expired_responder" => ExpiredResponder,
            "cert_id_mismatch" => CertIdMismatch,
            "wrong_serial" => WrongSerial,
            "missing_nonce" => MissingNonce,
            "wrong_nonce" => WrongNonce,
            "stale" => Stale,
            "future_dated" => FutureDated,
            "no_next_update" => NoNextUpdate,
            "revoked" => {
                let reason = raw.reason.clone().ok_or("revoked needs \"reason\"")?;
                reason
                    .parse::<CrlReason>()
                    .map_err(|e| format!("revoked: {e}"))?;
                Revoked { reason }
            }
            "unknown_critical_extension" => UnknownCriticalExtension,
            "empty_body" => EmptyBody,
            "delay" => {
                let ms = raw.ms.ok_or("delay needs \"ms\"")?;
                if ms > MAX_DELAY_MS {
                    return Err(format!("delay {ms} ms: at most {MAX_DELAY_MS}"));
                }
                Delay { ms }
            }
            "http_status" => {
                let status = raw
                    .status
                    .as_ref()
                    .and_then(serde_json::Value::as_u64)
                    .filter(|s| HTTP_STATUSES.contains(s))
                    .ok_or("http_status needs \"status\": 500, 503 or 404")?;
                HttpStatus {
                    status: status as u16,
                }
            }
            "close_connection" => CloseConnection,
            "wrong_content_type" => WrongContentType,
            "crl_expired" => CrlExpired,
            "crl_bad_signature" => CrlBadSignature,
            "crl_wrong_idp" => CrlWrongIdp,
            "crl_missing_reason" => CrlMissingReason,
            other => {
                return Err(format!(
                    "unknown fault {other:?}; the faults are: {}",
                    FAULT_NAMES.join(", ")
                ))
            }
        };
        // A field this fault does not take is a mistake to report, not to ignore.
        for (field, given, taken) in [
            (
                "status",
                raw.status.is_some(),
                matches!(kind, OcspStatus { .. } | HttpStatus { .. }),
            ),
            (
                "reason",
                raw.reason.is_some(),
                matches!(kind, Revoked { .. }),
            ),
            ("ms", raw.ms.is_some(), matches!(kind, Delay { .. })),
        ] {
            if given && !taken {
                return Err(format!("{name} takes no \"{field}\""));
            }
        }
        let ca = raw
            .ca
            .as_deref()
            .map(|c| c.parse::<CertKind>().map_err(|e| format!("ca: {e}")))
            .transpose()?;
        if raw.count == Some(0) {
            return Err("count must be at least 1 (leave it out for until cleared)".into());
        }
        Ok(Fault {
            kind,
            scope: FaultScope {
                ca,
                serial: raw.serial,
            },
            count: raw.count,
        })
    }
}

impl From<Fault> for RawFault {
    fn from(fault: Fault) -> Self {
        use FaultKind::*;
        let mut raw = RawFault {
            ca: fault.scope.ca.map(|k| k.as_str().to_string()),
            serial: fault.scope.serial,
            count: fault.count,
            ..RawFault::default()
        };
        raw.fault = match fault.kind {
            OcspStatus { status } => {
                let name = OCSP_ERROR_STATUSES
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or("", |(_, n)| n);
                raw.status = Some(serde_json::Value::from(name));
                "ocsp_status"
            }
            Revoked { reason } => {
                raw.reason = Some(reason);
                "revoked"
            }
            Delay { ms } => {
                raw.ms = Some(ms);
                "delay"
            }
            HttpStatus { status } => {
                raw.status = Some(serde_json::Value::from(status));
                "http_status"
            }
            BadSignature => "bad_signature",
            WrongKey => "wrong_key",
            ResponderWithoutOcspSigning => "responder_without_ocsp_signing",
            ExpiredResponder => "expired_responder",
            CertIdMismatch => "cert_id_mismatch",
            WrongSerial => "wrong_serial",
            MissingNonce => "missing_nonce",
            WrongNonce => "wrong_nonce",
            Stale => "stale",
            FutureDated => "future_dated",
            NoNextUpdate => "no_next_update",
            UnknownCriticalExtension => "unknown_critical_extension",
            EmptyBody => "empty_body",
            CloseConnection => "close_connection",
            WrongContentType => "wrong_content_type",
            CrlExpired => "crl_expired",
            CrlBadSignature => "crl_bad_signature",
            CrlWrongIdp => "crl_wrong_idp",
            CrlMissingReason => "crl_missing_reason",
        }
        .to_string();
        raw
    }
}

impl Fault {
    /// Whether this fault is an OCSP, HTTP or CRL fault.
    pub fn family(&self) -> FaultFamily {
        use FaultKind::*;
        match self.kind {
            Delay { .. } | HttpStatus { .. } | CloseConnection | WrongContentType => {
                FaultFamily::Http
            }
            CrlExpired | CrlBadSignature | CrlWrongIdp | CrlMissingReason => FaultFamily::Crl,
            _ => FaultFamily::Ocsp,
        }
    }

    fn matches(&self, family: FaultFamily, ca: Option<CertKind>, serials: &[u32]) -> bool {
        self.family() == family
            && self.scope.ca.is_none_or(|wanted| ca == Some(wanted))
            && self
                .scope
                .serial
                .is_none_or(|wanted| serials.contains(&wanted))
    }
}

/// The three families of faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultFamily {
    /// Change the OCSP response.
    Ocsp,
    /// Change the HTTP exchange (OCSP and CRL routes).
    Http,
    /// Change the CRL.
    Crl,
}

/// The faults in force.
#[derive(Debug, Default)]
pub struct FaultSet {
    faults: Vec<Fault>,
    armed: FaultsArmed,
}

/// Whether any fault is in force, readable without the lock around the [`FaultSet`]:
/// the OCSP hot path skips the set when none is.
#[derive(Clone, Debug, Default)]
pub struct FaultsArmed(Arc<AtomicBool>);

impl FaultsArmed {
    /// True while at least one fault is in force.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

impl FaultSet {
    /// Replaces every fault.
    pub fn set(&mut self, faults: Vec<Fault>) {
        for fault in &faults {
            tracing::warn!(
                ?fault,
                "FAULT INJECTION ON: this server answers wrongly on purpose"
            );
        }
        self.faults = faults;
        self.rearm();
    }

    /// Adds one fault to those in force.
    pub fn add(&mut self, fault: Fault) {
        tracing::warn!(
            ?fault,
            "FAULT INJECTION ON: this server answers wrongly on purpose"
        );
        self.faults.push(fault);
        self.rearm();
    }

    fn rearm(&self) {
        self.armed
            .0
            .store(!self.faults.is_empty(), Ordering::Release);
    }

    /// The flag that tells, without the lock, whether any fault is in force.
    pub fn armed(&self) -> FaultsArmed {
        self.armed.clone()
    }

    /// The faults in force.
    pub fn list(&self) -> &[Fault] {
        &self.faults
    }

    /// Takes the faults of `family` that apply to a request about `ca` and `serials`,
    /// counting each use down and dropping spent ones.
    pub fn take(
        &mut self,
        family: FaultFamily,
        ca: Option<CertKind>,
        serials: &[u32],
    ) -> Vec<FaultKind> {
        if self.faults.is_empty() {
            return Vec::new();
        }
        let mut taken = Vec::new();
        for fault in &mut self.faults {
            if fault.matches(family, ca, serials) {
                if let Some(count) = &mut fault.count {
                    *count = count.saturating_sub(1);
                }
                tracing::warn!(fault = ?fault.kind, ?ca, "injecting fault");
                taken.push(fault.kind.clone());
            }
        }
        self.faults.retain(|f| f.count != Some(0));
        self.rearm();
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Fault {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn faults_parse_from_flat_json() {
        let f =
            parse(r#"{"fault": "ocsp_status", "status": "tryLater", "ca": "sign", "count": 3}"#);
        assert_eq!(
            f.kind,
            FaultKind::OcspStatus {
                status: OcspErrorStatus::TryLater
            }
        );
        assert_eq!(f.scope.ca, Some(CertKind::Sign));
        assert_eq!(f.count, Some(3));
        assert_eq!(parse(r#"{"fault": "stale"}"#).kind, FaultKind::Stale);
        for bad in [
            r#"{"fault": "nonsense"}"#,
            r#"{"fault": "stale", "extra": 1}"#,
            r#"{"fault": "http_status", "status": 418}"#,
            r#"{"fault": "revoked", "reason": "misplaced"}"#,
            r#"{"fault": "revoked"}"#,
            r#"{"fault": "ocsp_status", "status": "fine"}"#,
            r#"{"fault": "delay"}"#,
            r#"{"fault": "stale", "ca": "root"}"#,
            r#"{"fault": "stale", "count": 0}"#,
            r#"{"fault": "delay", "ms": 10, "status": 500}"#,
            r#"{"fault": "stale", "reason": "keyCompromise"}"#,
            r#"{"fault": "revoked", "reason": "keyCompromise", "ms": 1}"#,
        ] {
            assert!(serde_json::from_str::<Fault>(bad).is_err(), "{bad}");
        }
        // Every name parses, and survives a round trip through JSON.
        for name in FAULT_NAMES {
            let json = match name {
                "ocsp_status" => format!(r#"{{"fault": "{name}", "status": "sigRequired"}}"#),
                "http_status" => format!(r#"{{"fault": "{name}", "status": 503}}"#),
                "revoked" => format!(r#"{{"fault": "{name}", "reason": "keyCompromise"}}"#),
                "delay" => format!(r#"{{"fault": "{name}", "ms": 10}}"#),
                _ => format!(r#"{{"fault": "{name}", "ca": "auth", "serial": 5, "count": 2}}"#),
            };
            let fault = parse(&json);
            let again: Fault =
                serde_json::from_str(&serde_json::to_string(&fault).unwrap()).unwrap();
            assert_eq!(fault, again, "{name}");
        }
    }

    #[test]
    fn counted_faults_expire_and_scopes_filter() {
        let mut set = FaultSet::default();
        set.set(vec![
            parse(r#"{"fault": "bad_signature", "count": 2}"#),
            parse(r#"{"fault": "stale", "serial": 7}"#),
            parse(r#"{"fault": "crl_expired", "ca": "auth"}"#),
        ]);
        let ocsp = |set: &mut FaultSet, serial| {
            set.take(FaultFamily::Ocsp, Some(CertKind::Sign), &[serial])
        };
        assert_eq!(
            ocsp(&mut set, 7),
            vec![FaultKind::BadSignature, FaultKind::Stale]
        );
        assert_eq!(ocsp(&mut set, 8), vec![FaultKind::BadSignature]);
        assert_eq!(ocsp(&mut set, 8), vec![]);
        assert_eq!(ocsp(&mut set, 7), vec![FaultKind::Stale]);
        assert_eq!(
            set.take(FaultFamily::Crl, Some(CertKind::Sign), &[]),
            vec![]
        );
        assert_eq!(
            set.take(FaultFamily::Crl, Some(CertKind::Auth), &[]),
            vec![FaultKind::CrlExpired]
        );
        assert_eq!(set.list().len(), 2);
    }
}
