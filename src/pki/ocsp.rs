//! OCSP (RFC 6960, RFC 5019): request parsing and response building. Bytes in, bytes
//! out; which certificate is good or revoked is the authority's business.

use der::asn1::{GeneralizedTime, Null, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::ext::Extension;
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, ResponderId, ResponseBytes, ResponseData, RevokedInfo, SingleResponse,
    Version,
};

use super::cert::{key_identifier, serial_number, serial_of};
use super::crl::reason_code;
use super::oids;
use crate::rules::CrlReason;
use crate::rules::Serial;

/// The largest nonce echoed (interface.md); a longer one is a malformed request.
pub const MAX_NONCE_LEN: usize = 128;

/// The hash algorithm of a CertID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertIdHash {
    /// SHA-1 (most clients' default).
    Sha1,
    /// SHA-256.
    Sha256,
}

impl CertIdHash {
    fn of(oid: &ObjectIdentifier) -> Option<Self> {
        if *oid == oids::SHA1 {
            Some(CertIdHash::Sha1)
        } else if *oid == oids::SHA256 {
            Some(CertIdHash::Sha256)
        } else {
            None
        }
    }

    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            CertIdHash::Sha1 => Sha1::digest(bytes).to_vec(),
            CertIdHash::Sha256 => Sha256::digest(bytes).to_vec(),
        }
    }
}

/// Why a request gets no successful response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The bytes are not an OCSP request we can read (→ malformedRequest).
    #[error("malformed OCSP request: {0}")]
    Malformed(String),
}

/// One CertID of a request, with its parsed parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestedCert {
    /// The CertID exactly as sent (echoed in the answer).
    pub cert_id: CertId,
    /// Its hash algorithm.
    pub hash: CertIdHash,
    /// The serial, if it fits the mock's 4 bytes (else it cannot be ours).
    pub serial: Option<Serial>,
}

/// A parsed OCSP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedRequest {
    /// The CertIDs, in order.
    pub certs: Vec<RequestedCert>,
    /// The nonce extension, to echo unchanged.
    pub nonce: Option<Extension>,
}

/// Parses a DER OCSP request. A signed request is accepted; its signature is not checked.
pub fn parse_request(der: &[u8]) -> Result<ParsedRequest, RequestError> {
    let request = OcspRequest::from_der(der).map_err(|e| RequestError::Malformed(e.to_string()))?;
    let tbs = request.tbs_request;
    if tbs.request_list.is_empty() {
        return Err(RequestError::Malformed(
            "the request names no certificate".into(),
        ));
    }
    let mut certs = Vec::with_capacity(tbs.request_list.len());
    for single in tbs.request_list {
        let cert_id = single.req_cert;
        let hash = CertIdHash::of(&cert_id.hash_algorithm.oid).ok_or_else(|| {
            RequestError::Malformed(format!(
                "CertID hash algorithm {} is neither SHA-1 nor SHA-256",
                cert_id.hash_algorithm.oid
            ))
        })?;
        let serial = serial_of(&cert_id.serial_number);
        certs.push(RequestedCert {
            cert_id,
            hash,
            serial,
        });
    }
    let nonce = tbs
        .request_extensions
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.extn_id == oids::OCSP_NONCE);
    if let Some(nonce) = &nonce {
        // RFC 8954: extnValue holds an OCTET STRING; some old clients put the raw bytes.
        let raw = nonce.extn_value.as_bytes();
        let length = OctetString::from_der(raw)
            .map(|inner| inner.as_bytes().len())
            .unwrap_or(raw.len());
        if length > MAX_NONCE_LEN {
            return Err(RequestError::Malformed(format!(
                "nonce of {length} bytes is longer than {MAX_NONCE_LEN}"
            )));
        }
    }
    Ok(ParsedRequest { certs, nonce })
}

/// The two hashes a CertID names an issuer by, for one algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerHashes {
    sha1: (Vec<u8>, Vec<u8>),
    sha256: (Vec<u8>, Vec<u8>),
}

impl IssuerHashes {
    /// Hashes of a CA certificate's subject DN and public key.
    pub fn of(ca: &Certificate) -> der::Result<Self> {
        let name = ca.tbs_certificate.subject.to_der()?;
        let key = ca
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        Ok(Self {
            sha1: (CertIdHash::Sha1.digest(&name), CertIdHash::Sha1.digest(key)),
            sha256: (
                CertIdHash::Sha256.digest(&name),
                CertIdHash::Sha256.digest(key),
            ),
        })
    }

    /// The CertID of one of this issuer's serials (SHA-1 or SHA-256, hash parameters
    /// NULL as openssl sends them).
    pub fn cert_id(&self, hash: CertIdHash, serial: Serial) -> crate::error::Result<CertId> {
        let ((name, key), oid) = match hash {
            CertIdHash::Sha1 => (&self.sha1, oids::SHA1),
            CertIdHash::Sha256 => (&self.sha256, oids::SHA256),
        };
        Ok(CertId {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid,
                parameters: Some(der::asn1::AnyRef::NULL.into()),
            },
            issuer_name_hash: OctetString::new(name.clone())?,
            issuer_key_hash: OctetString::new(key.clone())?,
            serial_number: serial_number(serial)?,
        })
    }

    /// SHA-1 of the issuer's key: its subjectKeyIdentifier in our certificates.
    pub fn key_sha1(&self) -> &[u8] {
        &self.sha1.1
    }

    /// Whether a CertID names this issuer.
    pub fn matches(&self, requested: &RequestedCert) -> bool {
        let (name, key) = match requested.hash {
            CertIdHash::Sha1 => &self.sha1,
            CertIdHash::Sha256 => &self.sha256,
        };
        requested.cert_id.issuer_name_hash.as_bytes() == name.as_slice()
            && requested.cert_id.issuer_key_hash.as_bytes() == key.as_slice()
    }
}

/// A certificate's status as OCSP tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcspStatus {
    /// Not revoked.
    Good,
    /// Revoked at a time for a reason (reason `Unspecified` is left out).
    Revoked {
        /// Revocation time.
        at: time::OffsetDateTime,
        /// Reason.
        reason: CrlReason,
    },
    /// Not a certificate this CA issued.
    Unknown,
}

/// One answer to build.
#[derive(Clone, Debug)]
pub struct SingleAnswer {
    /// The CertID to echo.
    pub cert_id: CertId,
    /// The status.
    pub status: OcspStatus,
    /// thisUpdate.
    pub this_update: time::OffsetDateTime,
    /// nextUpdate (RFC 6960 allows none: "newer information is always available").
    pub next_update: Option<time::OffsetDateTime>,
}

/// The responder signing a response.
pub struct ResponderInfo<'a> {
    /// Its certificate (included in `certs`).
    pub certificate: &'a Certificate,
    /// byKey (true) or byName.
    pub by_key: bool,
    /// Its signature algorithm.
    pub signature_algorithm: spki::AlgorithmIdentifierOwned,
}

fn ocsp_time(t: time::OffsetDateTime) -> crate::error::Result<OcspGeneralizedTime> {
    let time: GeneralizedTime = super::time::generalized_time(t)?;
    Ok(OcspGeneralizedTime(time))
}

/// The ResponseData to sign (RFC 6960 §4.2.1).
pub fn response_data(
    responder: &ResponderInfo<'_>,
    produced_at: time::OffsetDateTime,
    answers: &[SingleAnswer],
    extensions: Vec<Extension>,
) -> crate::error::Result<ResponseData> {
    let responder_id = if responder.by_key {
        ResponderId::ByKey(OctetString::new(key_identifier(
            &responder
                .certificate
                .tbs_certificate
                .subject_public_key_info,
        ))?)
    } else {
        ResponderId::ByName(responder.certificate.tbs_certificate.subject.clone())
    };
    let mut responses = Vec::with_capacity(answers.len());
    for answer in answers {
        let cert_status = match answer.status {
            OcspStatus::Good => CertStatus::Good(Null),
            OcspStatus::Unknown => CertStatus::Unknown(Null),
            OcspStatus::Revoked { at, reason } => CertStatus::Revoked(RevokedInfo {
                revocation_time: ocsp_time(at)?,
                revocation_reason: (reason != CrlReason::Unspecified).then(|| reason_code(reason)),
            }),
        };
        responses.push(SingleResponse {
            cert_id: answer.cert_id.clone(),
            cert_status,
            this_update: ocsp_time(answer.this_update)?,
            next_update: answer.next_update.map(ocsp_time).transpose()?,
            single_extensions: None,
        });
    }
    Ok(ResponseData {
        version: Version::V1,
        responder_id,
        produced_at: ocsp_time(produced_at)?,
        responses,
        response_extensions: (!extensions.is_empty()).then_some(extensions),
    })
}

/// Wraps signed ResponseData into a successful OCSPResponse, DER.
pub fn signed_response(
    responder: &ResponderInfo<'_>,
    data: ResponseData,
    signature: &[u8],
) -> crate::error::Result<Vec<u8>> {
    let basic = BasicOcspResponse {
        tbs_response_data: data,
        signature_algorithm: responder.signature_algorithm.clone(),
        signature: der::asn1::BitString::from_bytes(signature)?,
        certs: Some(vec![responder.certificate.clone()]),
    };
    let response = OcspResponse {
        response_status: OcspResponseStatus::Successful,
        response_bytes: Some(ResponseBytes {
            response_type: oids::OCSP_BASIC,
            response: OctetString::new(basic.to_der()?)?,
        }),
    };
    Ok(response.to_der()?)
}

/// An unsuccessful OCSPResponse (no responseBytes), DER.
pub fn error_response(status: OcspResponseStatus) -> Vec<u8> {
    // SEQUENCE { ENUMERATED status }: five bytes, no signature.
    vec![0x30, 0x03, 0x0a, 0x01, status as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_responses_decode_with_x509_ocsp() {
        for status in [
            OcspResponseStatus::MalformedRequest,
            OcspResponseStatus::InternalError,
            OcspResponseStatus::TryLater,
            OcspResponseStatus::SigRequired,
            OcspResponseStatus::Unauthorized,
        ] {
            let decoded = OcspResponse::from_der(&error_response(status)).unwrap();
            assert_eq!(decoded.response_status, status);
            assert!(decoded.response_bytes.is_none());
        }
    }

    #[test]
    fn garbage_and_empty_requests_are_malformed() {
        assert!(parse_request(b"").is_err());
        assert!(parse_request(b"\x30\x00").is_err());
        assert!(parse_request(&[0x30, 0x82, 0xff, 0xff, 0x00]).is_err());
    }
}
