//! Key pairs: generation (random or seeded), PKCS#8 PEM storage, and signing.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use der::asn1::{AnyRef, ObjectIdentifier};
use spki::AlgorithmIdentifierOwned;

use crate::error::{Error, Result};
use crate::rules::KeyAlg;

/// sha256WithRSAEncryption (RFC 4055).
pub const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// ecdsa-with-SHA256 (RFC 5758).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// ecdsa-with-SHA384 (RFC 5758).
pub const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

enum Signer {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
}

/// A private key with its public half, able to sign.
pub struct KeyPair {
    alg: KeyAlg,
    pkcs8: Vec<u8>,
    spki: Vec<u8>,
    signer: Signer,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({}, private)", self.alg)
    }
}

fn crypto(what: &str) -> impl Fn(aws_lc_rs::error::Unspecified) -> Error + '_ {
    move |_| Error::Internal(what.to_string())
}

impl KeyPair {
    /// Generates a fresh key from the system's random source.
    pub fn generate(alg: KeyAlg) -> Result<Self> {
        let pkcs8 = match alg {
            KeyAlg::Rsa2048 => RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(crypto("RSA key generation"))?
                .as_der()
                .map_err(crypto("RSA key encoding"))?
                .as_ref()
                .to_vec(),
            KeyAlg::P256 => EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_ASN1_SIGNING)
                .map_err(crypto("P-256 key generation"))?
                .to_pkcs8v1()
                .map_err(crypto("P-256 key encoding"))?
                .as_ref()
                .to_vec(),
            KeyAlg::P384 => EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_ASN1_SIGNING)
                .map_err(crypto("P-384 key generation"))?
                .to_pkcs8v1()
                .map_err(crypto("P-384 key encoding"))?
                .as_ref()
                .to_vec(),
        };
        Self::from_pkcs8_der(&pkcs8)
    }

    /// Derives a key deterministically from `seed` and `label`. Test-only: anyone who
    /// knows the seed knows the key.
    pub fn generate_seeded(alg: KeyAlg, seed: &str, label: &str) -> Result<Self> {
        use rand_core::SeedableRng;
        use sha2::Digest;
        let digest = sha2::Sha256::new()
            .chain_update(b"jpki-mock seeded key\0")
            .chain_update(seed.as_bytes())
            .chain_update(b"\0")
            .chain_update(label.as_bytes())
            .finalize();
        let mut rng = rand_chacha::ChaCha20Rng::from_seed(digest.into());
        let pkcs8 = match alg {
            KeyAlg::Rsa2048 => {
                use rsa::pkcs8::EncodePrivateKey;
                rsa::RsaPrivateKey::new(&mut rng, 2048)
                    .map_err(|e| Error::Internal(format!("seeded RSA key generation: {e}")))?
                    .to_pkcs8_der()
                    .map_err(|e| Error::Internal(format!("seeded RSA key encoding: {e}")))?
                    .as_bytes()
                    .to_vec()
            }
            KeyAlg::P256 => {
                use p256::pkcs8::EncodePrivateKey;
                p256::SecretKey::random(&mut rng)
                    .to_pkcs8_der()
                    .map_err(|e| Error::Internal(format!("seeded P-256 key encoding: {e}")))?
                    .as_bytes()
                    .to_vec()
            }
            KeyAlg::P384 => seeded_p384(&mut rng)?,
        };
        Self::from_pkcs8_der(&pkcs8)
    }

    /// Loads a PKCS#8 DER private key (RSA, P-256 or P-384).
    pub fn from_pkcs8_der(pkcs8: &[u8]) -> Result<Self> {
        let (alg, signer, spki) = if let Ok(rsa) = RsaKeyPair::from_pkcs8(pkcs8) {
            let spki = rsa
                .public_key()
                .as_der()
                .map_err(crypto("RSA public key encoding"))?
                .as_ref()
                .to_vec();
            (KeyAlg::Rsa2048, Signer::Rsa(rsa), spki)
        } else if let Ok(ec) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8)
        {
            let spki = ec
                .public_key()
                .as_der()
                .map_err(crypto("P-256 public key encoding"))?
                .as_ref()
                .to_vec();
            (KeyAlg::P256, Signer::Ecdsa(ec), spki)
        } else if let Ok(ec) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8)
        {
            let spki = ec
                .public_key()
                .as_der()
                .map_err(crypto("P-384 public key encoding"))?
                .as_ref()
                .to_vec();
            (KeyAlg::P384, Signer::Ecdsa(ec), spki)
        } else {
            return Err(Error::State(
                "the private key is neither an RSA, a P-256 nor a P-384 PKCS#8 key".into(),
            ));
        };
        Ok(Self {
            alg,
            pkcs8: pkcs8.to_vec(),
            spki,
            signer,
        })
    }

    /// Loads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(text: &str) -> Result<Self> {
        let block = pem::parse(text)
            .map_err(|e| Error::State(format!("private key is not valid PEM: {e}")))?;
        if block.tag() != "PRIVATE KEY" {
            return Err(Error::State(format!(
                "expected a PKCS#8 PRIVATE KEY PEM block, found {}",
                block.tag()
            )));
        }
        Self::from_pkcs8_der(block.contents())
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> String {
        super::pem_encode("PRIVATE KEY", &self.pkcs8)
    }

    /// The key as PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The algorithm.
    pub fn alg(&self) -> KeyAlg {
        self.alg
    }

    /// The SubjectPublicKeyInfo, DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The signature algorithm this key signs with: sha256WithRSAEncryption with NULL
    /// parameters, or ecdsa-with-SHA256 (P-256) or ecdsa-with-SHA384 (P-384) with none
    /// (RFC 5758).
    pub fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self.alg {
            KeyAlg::Rsa2048 => AlgorithmIdentifierOwned {
                oid: SHA256_WITH_RSA,
                parameters: Some(AnyRef::NULL.into()),
            },
            KeyAlg::P256 => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA256,
                parameters: None,
            },
            KeyAlg::P384 => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA384,
                parameters: None,
            },
        }
    }

    /// Signs `message` (RSA PKCS#1 v1.5 with SHA-256, ECDSA P-256 with SHA-256, or ECDSA
    /// P-384 with SHA-384).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(crypto("RSA signing"))?;
                Ok(signature)
            }
            Signer::Ecdsa(key) => Ok(key
                .sign(&rng, message)
                .map_err(crypto("ECDSA signing"))?
                .as_ref()
                .to_vec()),
        }
    }
}

/// A P-384 PKCS#8 key from a seeded generator: 48 random bytes as the private scalar,
/// drawn again in the (negligible) case that they are not below the group order.
fn seeded_p384(rng: &mut rand_chacha::ChaCha20Rng) -> Result<Vec<u8>> {
    use aws_lc_rs::agreement::{PrivateKey, ECDH_P384};
    use aws_lc_rs::encoding::EcPrivateKeyRfc5915Der;
    use rand_core::RngCore;
    for _ in 0..16 {
        let mut scalar = [0u8; 48];
        rng.fill_bytes(&mut scalar);
        let Ok(private) = PrivateKey::from_private_key(&ECDH_P384, &scalar) else {
            continue;
        };
        let sec1: EcPrivateKeyRfc5915Der<'static> = private
            .as_der()
            .map_err(crypto("seeded P-384 key encoding"))?;
        let key = EcdsaKeyPair::from_private_key_der(
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            sec1.as_ref(),
        )
        .map_err(|e| Error::Internal(format!("seeded P-384 key: {e}")))?;
        return Ok(key
            .to_pkcs8v1()
            .map_err(crypto("seeded P-384 key encoding"))?
            .as_ref()
            .to_vec());
    }
    Err(Error::Internal("seeded P-384 key generation".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_public_key() {
        let key = KeyPair::generate(KeyAlg::P256).unwrap();
        let again = KeyPair::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(key.spki_der(), again.spki_der());
        assert_eq!(again.alg(), KeyAlg::P256);
    }

    #[test]
    fn seeded_keys_repeat_and_differ_by_label() {
        let a = KeyPair::generate_seeded(KeyAlg::P256, "s", "one").unwrap();
        let b = KeyPair::generate_seeded(KeyAlg::P256, "s", "one").unwrap();
        let c = KeyPair::generate_seeded(KeyAlg::P256, "s", "two").unwrap();
        assert_eq!(a.spki_der(), b.spki_der());
        assert_ne!(a.spki_der(), c.spki_der());
    }

    #[test]
    fn p384_keys_sign_with_ecdsa_sha384_and_round_trip() {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P384_SHA384_ASN1};
        for key in [
            KeyPair::generate(KeyAlg::P384).unwrap(),
            KeyPair::generate_seeded(KeyAlg::P384, "s", "one").unwrap(),
        ] {
            assert_eq!(key.alg(), KeyAlg::P384);
            let again = KeyPair::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
            assert_eq!(
                (again.alg(), again.spki_der()),
                (KeyAlg::P384, key.spki_der())
            );
            let algorithm = key.signature_algorithm();
            assert_eq!(algorithm.oid.to_string(), "1.2.840.10045.4.3.3");
            assert!(algorithm.parameters.is_none());
            // The SPKI's last 97 bytes are the uncompressed point.
            let point = &key.spki_der()[key.spki_der().len() - 97..];
            let signature = key.sign(b"message").unwrap();
            UnparsedPublicKey::new(&ECDSA_P384_SHA384_ASN1, point)
                .verify(b"message", &signature)
                .unwrap();
        }
        let a = KeyPair::generate_seeded(KeyAlg::P384, "s", "one").unwrap();
        let b = KeyPair::generate_seeded(KeyAlg::P384, "s", "one").unwrap();
        assert_eq!(a.spki_der(), b.spki_der());
    }

    #[test]
    fn rsa_signature_has_modulus_length() {
        let key = KeyPair::generate(KeyAlg::Rsa2048).unwrap();
        assert_eq!(key.sign(b"x").unwrap().len(), 256);
        assert!(key
            .to_pkcs8_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(KeyPair::from_pkcs8_der(b"not a key").is_err());
        assert!(KeyPair::from_pkcs8_pem(
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
        )
        .is_err());
    }
}
