//! Certificate revocation lists (RFC 5280 §5) in the JPKI profile: v2, AKI, a
//! monotonic cRLNumber, and an issuingDistributionPoint whose names are the very
//! values the certificates' CRL distribution points carry.

use der::asn1::{OctetString, Uint};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::certificate::Version;
use x509_cert::crl::{RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlReason as X509CrlReason};
use x509_cert::Certificate;

use super::cert::{extension, key_identifier, Serial};
use super::oids;
use super::time::x509_time;
use crate::error::Result;
use crate::rules::CrlReason;

/// One revoked certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrlEntry {
    /// Serial.
    pub serial: Serial,
    /// Revocation instant.
    pub revoked_at: OffsetDateTime,
    /// Reason; `Unspecified` omits the reasonCode extension (RFC 5280 §5.3.1).
    pub reason: CrlReason,
}

/// What goes into a CRL besides its issuer.
#[derive(Clone, Debug)]
pub struct CrlParams<'a> {
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// cRLNumber.
    pub number: u64,
    /// Entries, in the order they are listed.
    pub entries: &'a [CrlEntry],
    /// The issuingDistributionPoint fullName.
    pub distribution_point_names: Vec<GeneralName>,
}

fn x509_reason(reason: CrlReason) -> X509CrlReason {
    match reason {
        CrlReason::Unspecified => X509CrlReason::Unspecified,
        CrlReason::KeyCompromise => X509CrlReason::KeyCompromise,
        CrlReason::CaCompromise => X509CrlReason::CaCompromise,
        CrlReason::AffiliationChanged => X509CrlReason::AffiliationChanged,
        CrlReason::Superseded => X509CrlReason::Superseded,
        CrlReason::CessationOfOperation => X509CrlReason::CessationOfOperation,
        CrlReason::CertificateHold => X509CrlReason::CertificateHold,
        CrlReason::RemoveFromCrl => X509CrlReason::RemoveFromCRL,
        CrlReason::PrivilegeWithdrawn => X509CrlReason::PrivilegeWithdrawn,
        CrlReason::AaCompromise => X509CrlReason::AaCompromise,
    }
}

/// The RFC 5280 reason as the x509-cert type (OCSP's RevokedInfo uses it too).
pub fn reason_code(reason: CrlReason) -> X509CrlReason {
    x509_reason(reason)
}

/// Builds the TBSCertList of a CA's CRL.
pub fn crl_tbs(
    ca: &Certificate,
    signature: AlgorithmIdentifierOwned,
    params: CrlParams<'_>,
) -> Result<TbsCertList> {
    // Every reasonCode extension of one reason is the same bytes: encode each once.
    let mut reason_extensions = std::collections::HashMap::new();
    let mut revoked = Vec::with_capacity(params.entries.len());
    for entry in params.entries {
        let crl_entry_extensions = if entry.reason == CrlReason::Unspecified {
            None
        } else {
            let ext = match reason_extensions.get(&entry.reason) {
                Some(ext) => Clone::clone(ext),
                None => {
                    let ext = extension(oids::REASON_CODE, false, &x509_reason(entry.reason))?;
                    reason_extensions.insert(entry.reason, ext.clone());
                    ext
                }
            };
            Some(vec![ext])
        };
        revoked.push(RevokedCert {
            serial_number: entry.serial.to_x509()?,
            revocation_date: x509_time(entry.revoked_at)?,
            crl_entry_extensions,
        });
    }
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_identifier(
            &ca.tbs_certificate.subject_public_key_info,
        ))?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let idp = IssuingDistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(
            params.distribution_point_names,
        )),
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: None,
        indirect_crl: false,
        only_contains_attribute_certs: false,
    };
    Ok(TbsCertList {
        version: Version::V2,
        signature,
        issuer: ca.tbs_certificate.subject.clone(),
        this_update: x509_time(params.this_update)?,
        next_update: Some(x509_time(params.next_update)?),
        revoked_certificates: if revoked.is_empty() {
            None
        } else {
            Some(revoked)
        },
        crl_extensions: Some(vec![
            extension(oids::AUTHORITY_KEY_IDENTIFIER, false, &aki)?,
            extension(
                oids::CRL_NUMBER,
                false,
                &Uint::new(&params.number.to_be_bytes())?,
            )?,
            extension(oids::ISSUING_DISTRIBUTION_POINT, true, &idp)?,
        ]),
    })
}
