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
