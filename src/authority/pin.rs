//! The virtual card: signing with a card key behind its PIN, and PIN reset
//! (domain.md §5).

use super::views::{CertStatus, SignatureAlgorithm, SignatureView};
use super::{bad, pem, Authority};
use crate::error::{Error, Result};
use crate::pki::keys::KeyPair;
use crate::rules::{CertKind, KeyAlg, Pin};
use crate::store::CardId;

impl Authority {
    /// Signs `data` with a card's current `kind` key, if `pin` is right (domain.md §5):
    /// a wrong PIN counts a try; at the limit the PIN locks until `reset_pin`.
    pub fn sign_with_pin(
        &mut self,
        id: CardId,
        kind: CertKind,
        pin: &str,
        data: &[u8],
    ) -> Result<SignatureView> {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let now = self.now();
        self.card_record(id)?;
        let pin = Pin::parse(kind, pin).map_err(|e| bad("pin", e))?;
        let record = self.store.pin(id, kind)?.ok_or_else(|| {
            Error::Refused(format!(
                "card {id} has no {kind} PIN; set one with pin-reset"
            ))
        })?;
        let limit = crate::rules::pin::max_tries(kind);
        if record.failures >= limit {
            return Err(Error::PinLocked(kind));
        }
        let hash = PasswordHash::new(&record.hash)
            .map_err(|e| Error::State(format!("stored PIN hash is corrupt: {e}")))?;
        if argon2::Argon2::default()
            .verify_password(pin.as_str().as_bytes(), &hash)
            .is_err()
        {
            let failures = record.failures + 1;
            self.store.set_pin_failures(id, kind, failures)?;
            return Err(Error::WrongPin {
                kind,
                remaining_tries: limit - failures,
            });
        }
        if record.failures != 0 {
            self.store.set_pin_failures(id, kind, 0)?;
        }
        let certificate = self
            .current_certificates(id)?
            .into_iter()
            .find(|c| c.certificate.kind == kind)
            .ok_or_else(|| Error::Refused(format!("card {id} has no {kind} certificate")))?;
        let key = KeyPair::from_pkcs8_der(&certificate.certificate.key_pkcs8)?;
        let signature = key.sign(data)?;
        use base64::Engine;
        Ok(SignatureView {
            signature_base64: base64::engine::general_purpose::STANDARD.encode(signature),
            algorithm: match key.alg() {
                KeyAlg::Rsa2048 => SignatureAlgorithm::Sha256WithRsaEncryption,
                KeyAlg::P256 => SignatureAlgorithm::EcdsaWithSha256,
                KeyAlg::P384 => SignatureAlgorithm::EcdsaWithSha384,
            },
            serial: certificate.certificate.serial.0,
            status: CertStatus::of(&certificate, now).state(),
            cert_pem: pem("CERTIFICATE", &certificate.certificate.der),
        })
    }

    /// Sets a new PIN and unlocks it (no old PIN needed, as at the municipal counter).
    pub fn reset_pin(&mut self, id: CardId, kind: CertKind, new_pin: &str) -> Result<()> {
        self.card_record(id)?;
        let pin = Pin::parse(kind, new_pin).map_err(|e| bad("new_pin", e))?;
        if !self
            .current_certificates(id)?
            .iter()
            .any(|c| c.certificate.kind == kind)
        {
            return Err(Error::Refused(format!(
                "card {id} has no {kind} certificate"
            )));
        }
        self.store.put_pin(id, kind, &hash_pin(&pin)?)
    }
}

pub(super) fn hash_pin(pin: &Pin) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(pin.as_str().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("PIN hashing: {e}")))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{authority_at, bad_input, holder, issue};
    use super::super::views::{CertState, SignatureAlgorithm};
    use super::super::Authority;
    use crate::error::Error;
    use crate::rules::CertKind::{self, Auth, Sign};
    use crate::store::CardId;

    const NOW: &str = "2021-03-15T10:00:00+09:00";

    /// A card with the signing PIN ABC123 and the auth PIN 1234.
    fn card() -> (Authority, CardId) {
        let mut a = authority_at(NOW);
        let id = issue(&mut a, &holder("山田 太郎")).unwrap().card_id;
        (a, id)
    }

    fn remaining(a: &mut Authority, id: CardId, kind: CertKind, pin: &str) -> u32 {
        match a.sign_with_pin(id, kind, pin, b"data") {
            Err(Error::WrongPin {
                kind: k,
                remaining_tries,
            }) if k == kind => remaining_tries,
            other => panic!("expected WrongPin, got {other:?}"),
        }
    }

    #[test]
    fn the_right_pin_signs_with_the_card_key_and_clears_the_count() {
        let (mut a, id) = card();
        assert_eq!(remaining(&mut a, id, Sign, "ABC124"), 4);
        assert_eq!(remaining(&mut a, id, Sign, "ZZZ999"), 3);
        let signed = a.sign_with_pin(id, Sign, "ABC123", b"data").unwrap();
        assert_eq!(signed.algorithm, SignatureAlgorithm::EcdsaWithSha256);
        assert_eq!(signed.status, CertState::Good);
        let view = a.card_view(id).unwrap();
        let sign = view.certificates.iter().find(|c| c.kind == Sign).unwrap();
        assert_eq!(
            (signed.serial, &signed.cert_pem),
            (sign.serial, &sign.cert_pem)
        );
        // The signature verifies with the certificate's key.
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
        use base64::Engine;
        use x509_parser::prelude::{FromDer, X509Certificate};
        let der = pem::parse(&signed.cert_pem).unwrap().into_contents();
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let signature = base64::engine::general_purpose::STANDARD
            .decode(&signed.signature_base64)
            .unwrap();
        let key = &cert.public_key().subject_public_key.data;
        let verifier = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key);
        assert!(verifier.verify(b"data", &signature).is_ok());
        assert!(verifier.verify(b"other", &signature).is_err());
        assert_eq!(a.store().pin(id, Sign).unwrap().unwrap().failures, 0);
        assert_eq!(remaining(&mut a, id, Sign, "ABC124"), 4);
    }

    #[test]
    fn the_5th_wrong_signing_pin_locks_until_reset() {
        let (mut a, id) = card();
        for left in (0..5).rev() {
            assert_eq!(remaining(&mut a, id, Sign, "ABC124"), left);
        }
        let locked = a.sign_with_pin(id, Sign, "ABC123", b"data");
        assert!(matches!(locked, Err(Error::PinLocked(Sign))), "{locked:?}");
        // The auth PIN has its own counter.
        assert!(a.sign_with_pin(id, Auth, "1234", b"data").is_ok());

        a.reset_pin(id, Sign, "XYZ789").unwrap();
        assert!(a.sign_with_pin(id, Sign, "XYZ789", b"data").is_ok());
        assert_eq!(remaining(&mut a, id, Sign, "ABC123"), 4);
    }

    #[test]
    fn the_3rd_wrong_auth_pin_locks() {
        let (mut a, id) = card();
        for left in [2, 1, 0] {
            assert_eq!(remaining(&mut a, id, Auth, "0000"), left);
        }
        let locked = a.sign_with_pin(id, Auth, "1234", b"data");
        assert!(matches!(locked, Err(Error::PinLocked(Auth))), "{locked:?}");
        a.reset_pin(id, Auth, "1234").unwrap();
        assert!(a.sign_with_pin(id, Auth, "1234", b"data").is_ok());
    }

    #[test]
    fn a_pin_that_breaks_the_format_is_bad_input_and_counts_no_try() {
        let (mut a, id) = card();
        for (kind, pin) in [
            (Auth, "12a4"),
            (Auth, "12345"),
            (Sign, "abc123"),
            (Sign, "ABCDEF"),
        ] {
            let message = bad_input(a.sign_with_pin(id, kind, pin, b"data"));
            assert!(message.starts_with("pin: "), "{message}");
        }
        assert_eq!(a.store().pin(id, Auth).unwrap().unwrap().failures, 0);
        assert_eq!(a.store().pin(id, Sign).unwrap().unwrap().failures, 0);
        assert_eq!(remaining(&mut a, id, Auth, "0000"), 2);
        let message = bad_input(a.reset_pin(id, Auth, "12"));
        assert!(message.starts_with("new_pin: "), "{message}");
        // The failed reset changed nothing: still one try counted.
        assert_eq!(a.store().pin(id, Auth).unwrap().unwrap().failures, 1);
    }
}
