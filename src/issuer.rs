//! An issuer holds a CA (or responder) key with its certificate and signs exactly what
//! it is given. It decides nothing: what goes into a certificate is the authority's
//! and the profile's business.

use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::error::{Error, Result};
use crate::pki::cert::signed_envelope;
use crate::pki::keys::KeyPair;
use crate::pki::ocsp::{response_data, signed_response, ResponderInfo, SingleAnswer};

/// A signing key and the certificate that names it.
#[derive(Debug)]
pub struct Issuer {
    certificate: Certificate,
    certificate_der: Vec<u8>,
    key: KeyPair,
}

impl Issuer {
    /// Pairs a certificate (DER) with its private key; refuses a key that does not
    /// match the certificate.
    pub fn new(certificate_der: Vec<u8>, key: KeyPair) -> Result<Self> {
        let certificate = Certificate::from_der(&certificate_der)?;
        let cert_spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()?;
        if cert_spki != key.spki_der() {
            return Err(Error::State(
                "a key file does not match its certificate in the state".into(),
            ));
        }
        Ok(Self {
            certificate,
            certificate_der,
            key,
        })
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The key.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// The algorithm this issuer signs with.
    pub fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        self.key.signature_algorithm()
    }

    /// Signs a TBSCertificate or TBSCertList and returns the whole signed structure, DER.
    pub fn sign_tbs(&self, tbs: &impl Encode) -> Result<Vec<u8>> {
        sign_with(&self.key, tbs)
    }

    /// Signs an already encoded TBS structure and returns the whole signed structure.
    pub fn sign_tbs_der(&self, tbs_der: &[u8]) -> Result<Vec<u8>> {
        let signature = self.key.sign(tbs_der)?;
        signed_envelope(tbs_der, &self.key.signature_algorithm(), &signature)
    }

    /// Signs raw bytes.
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.key.sign(message)
    }

    /// As an OCSP responder: signs the answers (with this certificate in `certs`) and
    /// returns the whole successful OCSPResponse, DER. The response extensions (the
    /// echoed nonce) are given as they are to appear.
    pub fn sign_ocsp(
        &self,
        by_key: bool,
        produced_at: time::OffsetDateTime,
        answers: &[SingleAnswer],
        extensions: Vec<x509_cert::ext::Extension>,
    ) -> Result<Vec<u8>> {
        self.sign_ocsp_as(self, by_key, produced_at, answers, extensions, false)
    }

    /// Fault injection: signs with this key but presents `presented`'s certificate
    /// (`wrong_key`), and can spoil the signature (`bad_signature`).
    pub fn sign_ocsp_as(
        &self,
        presented: &Issuer,
        by_key: bool,
        produced_at: time::OffsetDateTime,
        answers: &[SingleAnswer],
        extensions: Vec<x509_cert::ext::Extension>,
        corrupt_signature: bool,
    ) -> Result<Vec<u8>> {
        let info = ResponderInfo {
            certificate: &presented.certificate,
            by_key,
            signature_algorithm: self.signature_algorithm(),
        };
        let data = response_data(&info, produced_at, answers, extensions)?;
        let mut signature = self.key.sign(&data.to_der()?)?;
        if corrupt_signature {
            if let Some(last) = signature.last_mut() {
                *last ^= 0x01;
            }
        }
        signed_response(&info, data, &signature)
    }
}

/// Signs a TBS structure with `key` (used for self-signed CA certificates, before the
/// issuer exists).
pub fn sign_with(key: &KeyPair, tbs: &impl Encode) -> Result<Vec<u8>> {
    let tbs_der = tbs.to_der()?;
    let signature = key.sign(&tbs_der)?;
    signed_envelope(&tbs_der, &key.signature_algorithm(), &signature)
}
