//! What the OCSP responder needs from the state: which CA a CertID names, a
//! certificate's status, and the (delegated) responder certificate that signs.

use std::sync::Arc;

use time::OffsetDateTime;

use super::{responder_certificate, Authority};
use crate::error::Result;
use crate::issuer::Issuer;
use crate::pki::cert::{self, LeafParams};
use crate::pki::keys::KeyPair;
use crate::pki::ocsp::{OcspStatus, RequestedCert};
use crate::rules::{CertKind, Serial};

impl Authority {
    /// Which CA issued one of our certificates, if we issued it.
    pub fn certificate_kind(&self, serial: Serial) -> Result<Option<CertKind>> {
        Ok(self.store.status(serial)?.map(|record| record.kind))
    }

    /// The CA whose name and key hashes a CertID carries, if any.
    pub fn ca_of_cert_id(&self, requested: &RequestedCert) -> Option<CertKind> {
        CertKind::ALL
            .into_iter()
            .find(|&kind| self.ca(kind).hashes.matches(requested))
    }

    /// A certificate's OCSP status at `now`: revoked (at any time: the hold on a lost
    /// card is never released), good (expired certificates too: they were not
    /// revoked), or unknown if this CA did not issue it.
    pub fn ocsp_status(&self, kind: CertKind, serial: Option<Serial>) -> Result<OcspStatus> {
        let Some(serial) = serial else {
            return Ok(OcspStatus::Unknown);
        };
        match self.store.status(serial)? {
            Some(record) if record.kind == kind => Ok(match record.revocation {
                Some(r) => OcspStatus::Revoked {
                    at: r.at,
                    reason: r.reason,
                },
                None => OcspStatus::Good,
            }),
            Some(_) => Ok(OcspStatus::Unknown),
            None => {
                let pair = self.ca(kind);
                let ours = [pair.ca.certificate(), pair.responder.certificate()]
                    .iter()
                    .any(|c| cert::serial_of(&c.tbs_certificate.serial_number) == Some(serial));
                Ok(if ours {
                    OcspStatus::Good
                } else {
                    OcspStatus::Unknown
                })
            }
        }
    }

    /// The responder that signs for `kind` at `now`, re-issued (same key, new serial)
    /// when `now` is outside its validity or less than a third of it is left.
    pub fn responder(&mut self, kind: CertKind, now: OffsetDateTime) -> Result<Arc<Issuer>> {
        let current = self.ca(kind).responder.clone();
        let validity = &current.certificate().tbs_certificate.validity;
        let not_before = crate::pki::time::instant_of(&validity.not_before);
        let not_after = crate::pki::time::instant_of(&validity.not_after);
        let renew_at = not_after - (not_after - not_before) / 3;
        if now >= not_before && now < renew_at {
            return Ok(current);
        }
        let key = KeyPair::from_pkcs8_der(current.key().pkcs8_der())?;
        let serial = self.store.allocate_serials(1)?[0];
        let der = responder_certificate(
            &self.config,
            self.base_url()?,
            kind,
            &self.ca(kind).ca,
            serial,
            &key,
            now,
        )?;
        self.store.put_responder(kind, &der, &key.to_pkcs8_pem())?;
        tracing::info!(%kind, %serial, "re-issued the OCSP responder certificate");
        let responder = Arc::new(Issuer::new(der, key)?);
        self.ca_mut(kind).responder = responder.clone();
        Ok(responder)
    }

    /// A responder certificate that is wrong on purpose, for fault injection: without
    /// the OCSPSigning EKU, or expired a month ago. Made on first use with its own key
    /// and kept in memory only.
    pub fn faulty_responder(
        &mut self,
        kind: CertKind,
        variant: FaultyResponder,
    ) -> Result<Arc<Issuer>> {
        let now = self.now();
        if let Some(found) = self.faulty_responders.get(&(kind, variant)) {
            return Ok(found.clone());
        }
        let key = self.new_key(
            self.config.profile.key_alg,
            &format!("faulty-responder-{kind}-{variant:?}"),
        )?;
        let serial = self.store.allocate_serials(1)?[0];
        let (not_before, not_after, ocsp_signing) = match variant {
            FaultyResponder::WithoutOcspSigning => (
                now - time::Duration::hours(1),
                now + time::Duration::days(30),
                false,
            ),
            FaultyResponder::Expired => (
                now - time::Duration::days(60),
                now - time::Duration::days(30),
                true,
            ),
        };
        let tbs = cert::responder_tbs(
            &self.profile()?,
            kind,
            self.ca(kind).ca.certificate(),
            LeafParams {
                serial,
                not_before,
                not_after,
                spki_der: key.spki_der(),
            },
            ocsp_signing,
        )?;
        let der = self.ca(kind).ca.sign_tbs(&tbs)?;
        let issuer = Arc::new(Issuer::new(der, key)?);
        self.faulty_responders
            .insert((kind, variant), issuer.clone());
        Ok(issuer)
    }
}

/// The wrong responders fault injection signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultyResponder {
    /// No id-kp-OCSPSigning.
    WithoutOcspSigning,
    /// Past its notAfter.
    Expired,
}
