//! The fixture bundle, for suites that cannot run a server: every CA generation's
//! certificate, responder, CRL (and partitions) and ARL, every card's certificates and
//! keys, a pre-signed OCSP response (SHA-1 CertID, no nonce) per certificate, and
//! `manifest.json`. With the
//! same `--seed`, `--now` and history, the bytes are the same on every run. It uses the
//! authority for the state and the OCSP responder for the answers, so an exported
//! response is the one the server would give.

use crate::authority::{Authority, CrlIndexEntry, CrlScope};
use crate::clock::rfc3339;
use crate::error::{Error, Result};
use crate::ocsp;
use crate::pki::pem_encode;
use crate::rules::{CertKind, CrlLayout};

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
    // The partitions, in the municipality layout: every point a certificate names.
    let points = match authority.config().crl.layout {
        CrlLayout::Municipality => authority.crl_index()?,
        CrlLayout::Single => Vec::new(),
    };
    for kind in CertKind::ALL {
        let current = authority.ca(kind).number;
        let mut generations = Vec::new();
        let numbers: Vec<u32> = authority
            .generations(kind)
            .iter()
            .map(|g| g.number)
            .collect();
        for generation in numbers {
            let points: Vec<&CrlIndexEntry> = points
                .iter()
                .filter(|p| p.ca == kind && p.generation == generation)
                .collect();
            generations.push(export_generation(
                authority, &mut files, kind, generation, &points, now,
            )?);
        }
        // The current generation under the names the bundle had before generations.
        let mut entry = generations[current as usize - 1].clone();
        for (key, path) in [
            ("certificate", format!("ca/{kind}.pem")),
            ("ocsp_responder", format!("ca/responder-{kind}.pem")),
            ("arl", format!("arl/{kind}.crl")),
        ] {
            let source = entry[key].as_str().expect("a path").to_string();
            let bytes = files
                .iter()
                .find(|f| f.path == source)
                .expect("written above")
                .bytes
                .clone();
            files.push(ExportFile::new(&path, bytes));
            entry[key] = path.into();
        }
        entry["generations"] = generations.into();
        manifest_cas.insert(kind.as_str().into(), entry);
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
                "generation": view.generation,
                "status": view.status,
                "reason": view.reason,
                "not_before": view.not_before,
                "not_after": view.not_after,
                "certificate": format!("{stem}.pem"),
                "key": format!("{stem}.key"),
                "ocsp_response": format!("{stem}.ocsp.der"),
                // A phone's certificates (null: the card's).
                "platform": view.platform,
                "device_id": view.device_id,
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

/// One CA generation's files: its certificate and responder, its whole CRL (at the
/// path of its URL: `crl/sign.crl` for generation 1, `crl/sign/2.crl` after), each
/// partition in the municipality layout, and its ARL. Returns its manifest entry.
fn export_generation(
    authority: &mut Authority,
    files: &mut Vec<ExportFile>,
    kind: CertKind,
    generation: u32,
    points: &[&CrlIndexEntry],
    now: time::OffsetDateTime,
) -> Result<serde_json::Value> {
    let responder = authority.responder(kind, generation, now)?;
    let ca = authority.generation(kind, generation)?;
    let current = authority.ca(kind).number == generation;
    let ca_path = format!("ca/{kind}/{generation}.pem");
    let responder_path = format!("ca/{kind}/{generation}-responder.pem");
    files.push(ExportFile::new(
        &ca_path,
        pem_encode("CERTIFICATE", ca.ca.certificate_der()),
    ));
    files.push(ExportFile::new(
        &responder_path,
        pem_encode("CERTIFICATE", responder.certificate_der()),
    ));
    let crl_path = match generation {
        1 => format!("crl/{kind}.crl"),
        n => format!("crl/{kind}/{n}.crl"),
    };
    files.push(ExportFile::new(
        &crl_path,
        authority.crl(&CrlScope::whole(kind, generation))?.der,
    ));
    let mut partitions = Vec::new();
    for point in points {
        let scope = CrlScope {
            kind,
            generation,
            partition: Some(point.locality.clone()),
        };
        let path = format!(
            "crl/{kind}/{generation}/{}/{}.crl",
            point.locality.prefecture, point.locality.municipality
        );
        files.push(ExportFile::new(&path, authority.crl(&scope)?.der));
        partitions.push(serde_json::json!({
            "distribution_point": point.distribution_point,
            "url": point.url,
            "crl": path,
        }));
    }
    let arl_path = format!("arl/{kind}/{generation}.crl");
    files.push(ExportFile::new(
        &arl_path,
        authority.arl(kind, generation)?.der,
    ));
    Ok(serde_json::json!({
        "generation": generation,
        "current": current,
        "certificate": ca_path,
        "ocsp_responder": responder_path,
        "crl": crl_path,
        "partitions": partitions,
        "arl": arl_path,
    }))
}
