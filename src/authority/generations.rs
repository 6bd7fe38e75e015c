//! CA generations (profile.md, "CAs"): each CA has one or more keys, all with the same
//! DN, told apart only by the key (SKI/AKI). `init` makes generation 1, `ca rollover`
//! the next; the newest generation whose issuing period has started issues, the others
//! keep answering for what they issued. `ca revoke` puts a generation on the ARL.

use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::virtual_clock::MOVE_THE_CLOCK;
use super::{bad, create_authority, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::issuer::Issuer;
use crate::pki::cert::serial_of;
use crate::pki::keys::KeyPair;
use crate::pki::ocsp::IssuerHashes;
use crate::pki::time::instant_of;
use crate::rules::{CertKind, CrlReason, Serial};
use crate::store::{AuthorityRecord, CaRevocation};

/// One generation of a CA: its key and self-signed certificate, and its delegated OCSP
/// responder.
#[derive(Debug)]
pub struct CaGeneration {
    /// Which CA.
    pub kind: CertKind,
    /// The generation, from 1.
    pub number: u32,
    /// From when it issues.
    pub issuing_from: OffsetDateTime,
    /// Its revocation (a compromise drill), if revoked.
    pub revocation: Option<CaRevocation>,
    /// The CA.
    pub ca: Issuer,
    /// Its delegated OCSP responder (shared with requests being signed).
    pub responder: Arc<Issuer>,
    /// The CA's name and key hashes, for matching OCSP CertIDs.
    pub hashes: IssuerHashes,
}

impl CaGeneration {
    pub(super) fn load(kind: CertKind, record: AuthorityRecord) -> Result<Self> {
        let ca = Issuer::new(record.ca_cert, KeyPair::from_pkcs8_pem(&record.ca_key_pem)?)?;
        Ok(CaGeneration {
            kind,
            number: record.generation,
            issuing_from: record.issuing_from,
            revocation: record.revocation,
            hashes: IssuerHashes::of(ca.certificate())?,
            ca,
            responder: Arc::new(Issuer::new(
                record.responder_cert,
                KeyPair::from_pkcs8_pem(&record.responder_key_pem)?,
            )?),
        })
    }

    /// The CA certificate's notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        instant_of(&self.ca.certificate().tbs_certificate.validity.not_before)
    }

    /// The CA certificate's notAfter: no certificate it issues outlives it.
    pub fn not_after(&self) -> OffsetDateTime {
        instant_of(&self.ca.certificate().tbs_certificate.validity.not_after)
    }

    /// The CA certificate's serial.
    pub fn serial(&self) -> Serial {
        serial_of(&self.ca.certificate().tbs_certificate.serial_number)
            .expect("our CA serials fit four bytes")
    }

    /// Whether `now` is inside the CA certificate's validity.
    pub fn valid_at(&self, now: OffsetDateTime) -> bool {
        self.not_before() <= now && now <= self.not_after()
    }

    fn view(&self, current: bool) -> CaView {
        CaView {
            ca: self.kind,
            generation: self.number,
            current,
            not_before: rfc3339(self.not_before()),
            not_after: rfc3339(self.not_after()),
            issuing_from: rfc3339(self.issuing_from),
            ski_hex: hex::encode_upper(self.hashes.key_sha1()),
            serial: self.serial().0,
            revoked: self.revocation.is_some(),
            revocation: self.revocation.map(|r| CaRevocationView {
                at: rfc3339(r.at),
                reason: r.reason.as_str(),
            }),
            cert_pem: crate::pki::pem_encode("CERTIFICATE", self.ca.certificate_der()),
        }
    }
}

/// One CA generation as listed (`ca list`, `GET /api/v1/ca`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct CaView {
    /// sign | auth.
    pub ca: CertKind,
    /// The generation, from 1.
    pub generation: u32,
    /// Whether it is the one issuing at the clock's now.
    pub current: bool,
    /// The CA certificate's notBefore (backdated: `ca.backdate_years`).
    pub not_before: String,
    /// The CA certificate's notAfter.
    pub not_after: String,
    /// From when it issues.
    pub issuing_from: String,
    /// Its subjectKeyIdentifier (SHA-1 of the key), upper-case hex: what tells the
    /// generations apart.
    pub ski_hex: String,
    /// The CA certificate's serial.
    pub serial: u32,
    /// Whether it is on the ARL.
    pub revoked: bool,
    /// When and why, if revoked.
    pub revocation: Option<CaRevocationView>,
    /// The CA certificate, PEM.
    pub cert_pem: String,
}

/// A CA generation's revocation as shown.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct CaRevocationView {
    /// Revocation instant.
    pub at: String,
    /// RFC 5280 reason name.
    pub reason: &'static str,
}

impl Authority {
    /// Every generation of a CA, oldest first.
    pub fn generations(&self, kind: CertKind) -> &[CaGeneration] {
        &self.generations[kind as usize]
    }

    /// The generation that issues at the clock's now: the newest whose issuing period
    /// has started (the first before any has).
    pub fn ca(&self, kind: CertKind) -> &CaGeneration {
        let now = self.now();
        let all = self.generations(kind);
        all.iter()
            .rev()
            .find(|g| g.issuing_from <= now)
            .unwrap_or(&all[0])
    }

    /// One generation of a CA.
    pub fn generation(&self, kind: CertKind, number: u32) -> Result<&CaGeneration> {
        let all = self.generations(kind);
        all.iter().find(|g| g.number == number).ok_or_else(|| {
            Error::NotFound(format!(
                "the {kind} CA has no generation {number}: it has 1 to {}",
                all.len()
            ))
        })
    }

    pub(super) fn generation_mut(&mut self, kind: CertKind, number: u32) -> &mut CaGeneration {
        self.generations[kind as usize]
            .iter_mut()
            .find(|g| g.number == number)
            .expect("a generation looked up before")
    }

    /// The generation that issues at `now`, refused when `now` is outside its validity
    /// or it is revoked.
    pub(super) fn issuing_generation(&self, kind: CertKind, now: OffsetDateTime) -> Result<u32> {
        let generation = self.ca(kind);
        let number = generation.number;
        if !generation.valid_at(now) {
            return Err(Error::Refused(format!(
                "the {kind} CA generation {number} issuing at {} is valid from {} to {}: move \
                 the clock inside it, or roll the CA over (`jpki-mock ca rollover {kind}`)",
                rfc3339(now),
                rfc3339(generation.not_before()),
                rfc3339(generation.not_after()),
            )));
        }
        if generation.revocation.is_some() {
            return Err(Error::Refused(format!(
                "the {kind} CA generation {number} is revoked: roll the CA over \
                 (`jpki-mock ca rollover {kind}`) to issue again"
            )));
        }
        Ok(number)
    }

    /// Every CA generation, of one CA or both.
    pub fn ca_list(&self, kind: Option<CertKind>) -> Vec<CaView> {
        CertKind::ALL
            .into_iter()
            .filter(|k| kind.is_none_or(|wanted| wanted == *k))
            .flat_map(|k| {
                let current = self.ca(k).number;
                self.generations(k)
                    .iter()
                    .map(move |g| g.view(g.number == current))
            })
            .collect()
    }

    /// `ca rollover`: a new generation of `kind` (new key, same DN, new responder),
    /// issuing from `at` (default: now).
    pub fn rollover(&mut self, kind: CertKind, at: Option<OffsetDateTime>) -> Result<CaView> {
        let newest = self
            .generations(kind)
            .last()
            .expect("a CA has a generation");
        let from = rfc3339(newest.issuing_from);
        let number = newest.number;
        let refusal = match at {
            Some(at) if at < newest.issuing_from => Some(bad(
                "at",
                format!(
                    "generation {number} issues from {from}; a new generation must start after it"
                ),
            )),
            None if self.now() < newest.issuing_from => Some(Error::Refused(format!(
                "now, {} by {}, is before generation {number} issues ({from}); a new \
                 generation must start after it: {MOVE_THE_CLOCK}",
                rfc3339(self.now()),
                self.clock_name()
            ))),
            _ => None,
        };
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        let at = at.unwrap_or_else(|| self.now());
        let number = newest.number + 1;
        let record = create_authority(
            self.store.as_mut(),
            &self.config,
            self.key_seed.as_deref(),
            kind,
            number,
            at,
        )?;
        self.store.put_authority(kind, &record)?;
        self.generations[kind as usize].push(CaGeneration::load(kind, record)?);
        tracing::info!(%kind, generation = number, "rolled the CA over");
        let current = self.ca(kind).number == number;
        Ok(self.generation(kind, number)?.view(current))
    }

    /// `ca revoke`: a compromise drill. The generation goes on the ARL of every
    /// generation of its CA.
    pub fn revoke_ca(&mut self, kind: CertKind, number: u32, reason: CrlReason) -> Result<CaView> {
        let generation = self.generation(kind, number)?;
        if generation.revocation.is_some() {
            return Err(Error::Refused(format!(
                "the {kind} CA generation {number} is revoked already"
            )));
        }
        let revocation = CaRevocation {
            at: self.now(),
            reason,
        };
        self.store.revoke_authority(kind, number, revocation)?;
        self.generation_mut(kind, number).revocation = Some(revocation);
        let current = self.ca(kind).number == number;
        Ok(self.generation(kind, number)?.view(current))
    }

    /// Takes in a generation as the store has it: a new one (rolled over by another
    /// process), a renewed responder, a revocation.
    pub(super) fn follow_generation(
        &mut self,
        kind: CertKind,
        record: AuthorityRecord,
    ) -> Result<()> {
        let number = record.generation;
        if self.generation(kind, number).is_err() {
            self.generations[kind as usize].push(CaGeneration::load(kind, record)?);
            self.generations[kind as usize].sort_by_key(|g| g.number);
            return Ok(());
        }
        let known = self.generation_mut(kind, number);
        known.revocation = record.revocation;
        if record.ca_cert.as_slice() != known.ca.certificate_der() {
            // Re-signed for a new base URL: same key, name and serial.
            known.ca = Issuer::new(record.ca_cert, KeyPair::from_pkcs8_pem(&record.ca_key_pem)?)?;
        }
        if record.responder_cert.as_slice() != known.responder.certificate_der() {
            known.responder = Arc::new(Issuer::new(
                record.responder_cert,
                KeyPair::from_pkcs8_pem(&record.responder_key_pem)?,
            )?);
        }
        Ok(())
    }
}
