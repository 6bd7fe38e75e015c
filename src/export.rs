//! The fixture bundle, for suites that cannot run a server: the CA and responder
//! certificates, both CRLs and ARLs, every card's certificates and keys, a pre-signed OCSP
//! response (SHA-1 CertID, no nonce) per certificate, and `manifest.json`. With the
//! same `--seed`, `--now` and history, the bytes are the same on every run. It uses the
//! authority for the state and the OCSP responder for the answers, so an exported
//! response is the one the server would give.

use crate::authority::Authority;
use crate::clock::rfc3339;
use crate::error::{Error, Result};
use crate::ocsp;
use crate::pki::pem_encode;
use crate::rules::CertKind;

/// One file of an export bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFile {
    /// Path relative to the bundle's directory, `/`-separated.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

impl ExportFile {
    fn new(path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.to_string(),
            bytes: bytes.into(),
        }
    }
}

/// Every file of the bundle, at the authority's now.
pub fn export(authority: &mut Authority) -> Result<Vec<ExportFile>> {
    let now = authority.now();
    let mut files = Vec::new();
    let mut manifest_cas = serde_json::Map::new();
    for kind in CertKind::ALL {
        let responder = authority.responder(kind, now)?;
        let crl = authority.crl(kind)?;
        let ca_path = format!("ca/{kind}.pem");
        let responder_path = format!("ca/responder-{kind}.pem");
        let crl_path = format!("crl/{kind}.crl");
        let arl_path = format!("arl/{kind}.crl");
        files.push(ExportFile::new(
            &ca_path,
            pem_encode("CERTIFICATE", authority.ca(kind).ca.certificate_der()),
        ));
        files.push(ExportFile::new(
            &responder_path,
            pem_encode("CERTIFICATE", responder.certificate_der()),
        ));
        files.push(ExportFile::new(&crl_path, crl.der));
        files.push(ExportFile::new(&arl_path, authority.arl(kind)?.der));
        manifest_cas.insert(
            kind.as_str().into(),
            serde_json::json!({"certificate": ca_path, "ocsp_responder": responder_path, "crl": crl_path, "arl": arl_path}),
        );
    }
    let mut manifest_cards = Vec::new();
    for card in authority.card_views()? {
        let mut certificates = Vec::new();
        for view in &card.certificates {
            let serial = crate::rules::Serial(view.serial);
            let stem = format!("cards/{}/{}-{}", card.card_id, view.kind, serial);
            files.push(ExportFile::new(
                &format!("{stem}.pem"),
                view.cert_pem.clone(),
            ));
            files.push(ExportFile::new(
                &format!("{stem}.key"),
                authority.certificate_key_pem(serial)?,
            ));
            files.push(ExportFile::new(
                &format!("{stem}.ocsp.der"),
                ocsp::single_response(authority, serial)?,
            ));
            certificates.push(serde_json::json!({
                "serial": view.serial,
                "kind": view.kind,
                "status": view.status,
                "reason": view.reason,
                "not_before": view.not_before,
                "not_after": view.not_after,
                "certificate": format!("{stem}.pem"),
                "key": format!("{stem}.key"),
                "ocsp_response": format!("{stem}.ocsp.der"),
            }));
        }
        manifest_cards.push(serde_json::json!({
            "card_id": card.card_id,
            "name": card.name,
            "birth": card.birth,
            "gender": card.gender,
            "address": card.address,
            "locality": card.locality,
            "card_expiry": card.card_expiry,
            "certificates": certificates,
        }));
    }
    let manifest = serde_json::json!({
        "generator": "jpki-mock (TEST CA, NOT FOR PRODUCTION)",
        "generated_at": rfc3339(now),
        "base_url": authority.base_url()?,
        "cas": manifest_cas,
        "cards": manifest_cards,
    });
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::Internal(format!("manifest encoding: {e}")))?;
    files.push(ExportFile::new("manifest.json", text + "\n"));
    Ok(files)
}
