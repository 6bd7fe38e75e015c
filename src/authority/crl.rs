//! CRLs: read the revoked entries from the store, encode them as they arrive, sign.

use time::OffsetDateTime;

use super::Authority;
use crate::error::{Error, Result};
use crate::pki::cert::{self, CertProfile};
use crate::pki::crl::{crl_tbs_der, CrlEntry, CrlParams};
use crate::rules::{CertKind, CrlReason};

impl Authority {
    /// Builds and signs a CA's current CRL, taking the next cRLNumber. The entries are
    /// read from the store on this thread and encoded on another as they arrive, so a
    /// million-entry CRL costs about as much as reading it.
    pub fn crl(&mut self, kind: CertKind) -> Result<PublishedCrl> {
        self.crl_with_faults(kind, CrlFaults::default())
    }

    /// A CRL spoiled on purpose (fault injection); `CrlFaults::default()` spoils nothing.
    pub fn crl_with_faults(&mut self, kind: CertKind, faults: CrlFaults) -> Result<PublishedCrl> {
        const CHUNK: usize = 8192;
        let now = self.now();
        let profile = self.profile()?;
        let mut names = Vec::new();
        if faults.wrong_idp {
            names.push(cert::crl_url_name(
                &CertProfile {
                    base_url: "http://crl.invalid".into(),
                    ..profile.clone()
                },
                kind,
            )?);
        } else {
            for locality in self.store.localities(kind)? {
                let [directory_name, _] =
                    cert::crl_distribution_point_names(&profile, kind, &locality)?;
                names.push(directory_name);
            }
            names.push(cert::crl_url_name(&profile, kind)?);
        }
        let number = self.store.next_crl_number(kind)?;
        let interval = self.config.crl.next_update;
        let this_update = if faults.expired {
            now - interval * 2
        } else {
            now - self.config.crl.backdate
        };
        let next_update = this_update + interval;
        let missing_reason = faults.missing_reason;
        let ca = &self.ca(kind).ca;
        let store = self.store.as_ref();
        let tbs = std::thread::scope(|scope| -> Result<Vec<u8>> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<CrlEntry>>(8);
            let encoder = scope.spawn(move || {
                crl_tbs_der(
                    ca.certificate(),
                    ca.signature_algorithm(),
                    CrlParams {
                        this_update,
                        next_update,
                        number,
                        entries: &mut receiver.into_iter().flatten(),
                        distribution_point_names: names,
                    },
                )
            });
            let mut chunk = Vec::with_capacity(CHUNK);
            let read = store.for_each_revoked(kind, now, &mut |e| {
                chunk.push(CrlEntry {
                    serial: e.serial,
                    revoked_at: e.at,
                    reason: if missing_reason {
                        CrlReason::Unspecified
                    } else {
                        e.reason
                    },
                });
                if chunk.len() == CHUNK {
                    // A send fails only if the encoder stopped, and then its error wins.
                    let _ = sender.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
                }
            });
            let _ = sender.send(chunk);
            drop(sender);
            let encoded = encoder
                .join()
                .map_err(|_| Error::Internal("the CRL encoder panicked".into()))?;
            read?;
            encoded
        })?;
        let mut der = ca.sign_tbs_der(&tbs)?;
        if faults.bad_signature {
            // The signature BIT STRING ends the CRL.
            if let Some(last) = der.last_mut() {
                *last ^= 0x01;
            }
        }
        Ok(PublishedCrl {
            der,
            number,
            this_update,
            next_update,
        })
    }
}

/// How a CRL is spoiled on purpose (fault injection).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrlFaults {
    /// thisUpdate and nextUpdate in the past.
    pub expired: bool,
    /// The signature does not verify.
    pub bad_signature: bool,
    /// An issuingDistributionPoint naming no certificate's distribution point.
    pub wrong_idp: bool,
    /// Entries without reasonCode.
    pub missing_reason: bool,
}

/// A signed CRL with the facts its publisher needs for cache headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedCrl {
    /// The CRL, DER.
    pub der: Vec<u8>,
    /// Its cRLNumber.
    pub number: u64,
    /// Its thisUpdate.
    pub this_update: OffsetDateTime,
    /// Its nextUpdate.
    pub next_update: OffsetDateTime,
}
