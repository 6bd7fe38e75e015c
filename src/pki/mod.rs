//! Encoding only, bytes in and bytes out: names, certificates, CRLs, OCSP and keys.
//! Nothing here knows about HTTP, SQL or the clock.

pub mod cert;
pub mod crl;
pub mod describe;
pub mod keys;
pub mod names;
pub mod ocsp;
pub mod oids;
pub mod time;

/// PEM-encodes DER with LF line endings (as openssl writes it).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// A strong fingerprint of encoded bytes, quoted as an HTTP entity tag: the first 16
/// bytes of their SHA-256, in hex. Computed once per signed CRL or response.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::Digest;
    format!("\"{}\"", hex::encode(&sha2::Sha256::digest(der)[..16]))
}
