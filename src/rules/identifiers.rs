//! Identifiers every layer shares: a certificate's serial and a key's algorithm. They
//! live here, at the bottom, so that the store and the HTTP layer need no encoder to
//! name them.

use std::fmt;
use std::str::FromStr;

/// A certificate serial: the mock's one 4-byte positive counter, shared by both CAs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(pub u32);

impl Serial {
    /// Upper-case hex, eight digits, as openssl prints it.
    pub fn hex(self) -> String {
        format!("{:08X}", self.0)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Serial {
    type Err = String;

    /// Decimal, or hex with a `0x` prefix.
    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => text.parse(),
        };
        parsed
            .map(Serial)
            .map_err(|_| format!("{text:?} is not a serial number (decimal or 0x hex)"))
    }
}

/// The key algorithm of a CA, responder or card key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyAlg {
    /// RSA-2048, e = 65537, as on real cards.
    #[default]
    Rsa2048,
    /// ECDSA P-256: not JPKI, but fast to generate.
    P256,
    /// ECDSA P-384 (signing with SHA-384): the `next-gen` preset's, after published
    /// plans for the next card (an assumption, not a published profile).
    P384,
}

impl KeyAlg {
    /// Every algorithm.
    pub const ALL: [KeyAlg; 3] = [KeyAlg::Rsa2048, KeyAlg::P256, KeyAlg::P384];

    /// The name used in the CLI, config and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Rsa2048 => "rsa2048",
            KeyAlg::P256 => "p256",
            KeyAlg::P384 => "p384",
        }
    }
}

impl FromStr for KeyAlg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rsa2048" => Ok(KeyAlg::Rsa2048),
            "p256" => Ok(KeyAlg::P256),
            "p384" => Ok(KeyAlg::P384),
            other => Err(format!(
                "unknown key algorithm {other:?}: expected rsa2048, p256 or p384"
            )),
        }
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a CA generation's CRLs are cut (`crl.layout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum CrlLayout {
    /// One CRL per CA generation (simple clients handle it best).
    #[default]
    Single,
    /// One CRL per distribution point, that is per municipality, as in production.
    Municipality,
}

impl CrlLayout {
    /// The name used in config and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CrlLayout::Single => "single",
            CrlLayout::Municipality => "municipality",
        }
    }
}

impl FromStr for CrlLayout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "single" => Ok(CrlLayout::Single),
            "municipality" => Ok(CrlLayout::Municipality),
            other => Err(format!(
                "unknown CRL layout {other:?}: expected single or municipality"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_parse_as_decimal_or_hex_and_print_as_openssl_does() {
        assert_eq!("16777217".parse(), Ok(Serial(0x0100_0001)));
        assert_eq!("0x01000001".parse(), Ok(Serial(0x0100_0001)));
        assert_eq!("0X1A".parse(), Ok(Serial(26)));
        assert!("0x".parse::<Serial>().is_err());
        assert!("-1".parse::<Serial>().is_err());
        assert!("4294967296".parse::<Serial>().is_err());
        assert_eq!(Serial(0x0100_0001).hex(), "01000001");
    }

    #[test]
    fn key_algorithms_round_trip_their_names() {
        for alg in KeyAlg::ALL {
            assert_eq!(alg.as_str().parse(), Ok(alg));
        }
        assert!("rsa1024".parse::<KeyAlg>().is_err());
    }
}
