//! Fault injection for OCSP: a decorator that spoils a planned answer on purpose
//! (wrong signer, stale times, a bad nonce, …) so relying parties can test refusals.

use bytes::Bytes;
use time::OffsetDateTime;
use x509_ocsp::OcspResponseStatus;

use super::{Answered, OcspOutcome, Signing};
use crate::authority::{Authority, FaultyResponder};
use crate::error::Result;
use crate::faults::{FaultKind, OcspErrorStatus};
use crate::pki::cert::{serial_number, serial_of};
use crate::pki::ocsp::OcspStatus;
use crate::pki::oids;
use crate::rules::{CertKind, CrlReason, Serial};

/// Spoils a planned answer as a fault says; returns the whole answer when the fault replaces it.
pub(super) fn apply_fault(
    authority: &mut Authority,
    (kind, generation): (CertKind, u32),
    signing: &mut Signing,
    fault: FaultKind,
    now: OffsetDateTime,
) -> Result<Option<Answered>> {
    let Signing {
        signer,
        presented,
        answers,
        extensions,
        corrupt_signature,
        ..
    } = signing;
    let validity = authority.config().ocsp.validity;
    match fault {
        FaultKind::OcspStatus { status } => {
            return Ok(Some(Answered::error(match status {
                OcspErrorStatus::MalformedRequest => OcspResponseStatus::MalformedRequest,
                OcspErrorStatus::InternalError => OcspResponseStatus::InternalError,
                OcspErrorStatus::TryLater => OcspResponseStatus::TryLater,
                OcspErrorStatus::SigRequired => OcspResponseStatus::SigRequired,
                OcspErrorStatus::Unauthorized => OcspResponseStatus::Unauthorized,
            })))
        }
        FaultKind::EmptyBody => {
            return Ok(Some(Answered {
                der: Bytes::new(),
                cached: None,
                outcome: OcspOutcome {
                    response_status: "empty",
                    ..OcspOutcome::default()
                },
            }))
        }
        FaultKind::BadSignature => *corrupt_signature = true,
        FaultKind::WrongKey => {
            *signer =
                authority.faulty_responder(kind, generation, FaultyResponder::WithoutOcspSigning)?
        }
        FaultKind::ResponderWithoutOcspSigning => {
            let faulty = authority.faulty_responder(
                kind,
                generation,
                FaultyResponder::WithoutOcspSigning,
            )?;
            *signer = faulty.clone();
            *presented = faulty;
        }
        FaultKind::ExpiredResponder => {
            let faulty = authority.faulty_responder(kind, generation, FaultyResponder::Expired)?;
            *signer = faulty.clone();
            *presented = faulty;
        }
        FaultKind::MissingNonce => extensions.retain(|e| e.extn_id != oids::OCSP_NONCE),
        FaultKind::WrongNonce => {
            extensions.retain(|e| e.extn_id != oids::OCSP_NONCE);
            extensions.push(x509_cert::ext::Extension {
                extn_id: oids::OCSP_NONCE,
                critical: false,
                extn_value: der::asn1::OctetString::new(der::Encode::to_der(
                    &der::asn1::OctetString::new(*b"not your nonce!!")?,
                )?)?,
            });
        }
        FaultKind::UnknownCriticalExtension => extensions.push(x509_cert::ext::Extension {
            extn_id: UNKNOWN_CRITICAL_EXTENSION,
            critical: true,
            extn_value: der::asn1::OctetString::new(der::Encode::to_der(&der::asn1::Null)?)?,
        }),
        kind => {
            for answer in answers.iter_mut() {
                match &kind {
                    FaultKind::Stale => {
                        answer.this_update = now - validity * 2;
                        answer.next_update = Some(now - validity);
                    }
                    FaultKind::FutureDated => {
                        answer.this_update = now + time::Duration::days(1);
                        answer.next_update = Some(answer.this_update + validity);
                    }
                    FaultKind::NoNextUpdate => answer.next_update = None,
                    FaultKind::Revoked { reason } => {
                        answer.status = OcspStatus::Revoked {
                            at: now,
                            reason: reason.parse().unwrap_or(CrlReason::KeyCompromise),
                        }
                    }
                    FaultKind::CertIdMismatch => {
                        let mut hash = answer.cert_id.issuer_name_hash.as_bytes().to_vec();
                        if let Some(first) = hash.first_mut() {
                            *first ^= 0xff;
                        }
                        answer.cert_id.issuer_name_hash = der::asn1::OctetString::new(hash)?;
                    }
                    FaultKind::WrongSerial => {
                        let serial = serial_of(&answer.cert_id.serial_number)
                            .map_or(1, |s| s.0.wrapping_add(1));
                        answer.cert_id.serial_number = serial_number(Serial(serial))?;
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(None)
}

/// A private OID nobody implements: the unknown critical extension a client must
/// refuse.
const UNKNOWN_CRITICAL_EXTENSION: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1");
