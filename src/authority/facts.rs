//! A new signing certificate on the same card, after the old one was revoked or
//! expired: with the holder's new name or address (the card keeps its auth
//! certificate), or for use abroad after `emigration` (since 2024-05-27 the card stays).

use super::issue::CertOrder;
use super::pin::hash_pin;
use super::request::SignRequest;
use super::views::{CertStatus, IssuedCard};
use super::{holder_facts, Authority};
use crate::error::{Error, Result};
use crate::rules::{jst, CertKind, HolderName, Issuance};
use crate::store::CardId;

impl Authority {
    /// Issues a new signing certificate on a card whose signing certificate is revoked,
    /// expired or missing. New facts given are recorded on the card (they are the
    /// holder's latest facts from now on) in the same transaction.
    pub fn issue_signing_certificate(
        &mut self,
        id: CardId,
        request: &SignRequest,
    ) -> Result<IssuedCard> {
        let now = self.now();
        let today = jst::date_of(now);
        let card = self.current_card(id, now)?;
        let rules = &self.config.validity;
        let birth = card.card.holder.birth;
        if !rules.may_issue_sign(birth, today) {
            return Err(Error::Refused(format!(
                "the holder is {} on {today}; no signing certificate under {}",
                rules.age_on(birth, today),
                rules.min_sign_age
            )));
        }
        let current = self.current_certificates(id)?;
        let status_of = |kind: CertKind| {
            current
                .iter()
                .find(|c| c.certificate.kind == kind)
                .map(|c| (c, CertStatus::of(c, now)))
        };
        if let Some((sign, CertStatus::Good)) = status_of(CertKind::Sign) {
            return Err(Error::Refused(format!(
                "card {id}'s signing certificate {} is good; a new one follows its revocation \
                 (name_change, address_change, emigration, stop, …) or expiry",
                sign.certificate.serial
            )));
        }
        let current_auth_expiry = match status_of(CertKind::Auth) {
            Some((auth, CertStatus::Good)) => Some(jst::date_of(auth.certificate.not_after)),
            _ => None,
        };
        let mut renewed = card.card.clone();
        let holder = &mut renewed.holder;
        let name = match &request.name {
            Some((entered, name)) => {
                holder.name.clone_from(entered);
                name.clone()
            }
            None => HolderName::parse(&holder.name)
                .map_err(|e| Error::Internal(format!("a stored name does not parse: {e}")))?,
        };
        if let Some((address, locality)) = &request.address {
            holder.address.clone_from(address);
            holder.locality = locality.with(self.config.locality.designated_city_wards);
        }
        let facts = holder_facts(&name, &renewed.holder);
        let order = CertOrder {
            card: &renewed,
            facts: &facts,
            kinds: &[CertKind::Sign],
            current_auth_expiry,
            phone: None,
            ends: &[],
        };
        let certificates = self.build_card_certificates(order, Issuance::New, now)?;
        let pin_hash = request.sign_pin.as_ref().map(hash_pin).transpose()?;
        self.store.begin_batch()?;
        let stored = self
            .store
            .add_certificates(id, &certificates, None)
            .and_then(|()| {
                if renewed.holder == card.card.holder {
                    return Ok(());
                }
                self.store.put_holder(id, &renewed.holder)
            })
            .and_then(|()| match &pin_hash {
                Some(hash) => self.store.put_pin(id, CertKind::Sign, hash),
                None => Ok(()),
            });
        self.store.end_batch(stored.is_ok())?;
        stored?;
        renewed.fee_yen = 0;
        self.issued_card(id, &renewed, &certificates, vec![])
    }
}
