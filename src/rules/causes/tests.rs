use super::*;
use CertKind::{Auth, Sign};

// ---- CertKind ----

#[test]
fn cert_kind_strings_round_trip() {
    assert_eq!(Sign.as_str(), "sign");
    assert_eq!(Auth.as_str(), "auth");
    assert_eq!(CertKind::ALL, [Sign, Auth]);
    for kind in CertKind::ALL {
        assert_eq!(kind.to_string().parse::<CertKind>(), Ok(kind));
    }
    assert_eq!("SIGN".parse::<CertKind>(), Ok(Sign));
    assert!(Sign < Auth);
}

#[test]
fn cert_kind_error_names_accepted_values() {
    let err = "signing".parse::<CertKind>().unwrap_err();
    assert_eq!(
        err,
        CauseError::UnknownCertKind {
            given: "signing".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown certificate kind \"signing\": expected one of sign, auth"
    );
}

// ---- Cause names ----

#[test]
fn cause_names() {
    let names: Vec<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "stop",
            "lost",
            "stolen",
            "card_invalidated",
            "name_change",
            "address_change",
            "ex_officio",
            "leak",
            "emigration",
            "phone_lost",
            "phone_stolen",
            "device_change",
            "device_disposed",
            "superseded"
        ]
    );
    assert_eq!(Cause::ALL[..13], Cause::USER_CAUSES);
    for (i, cause) in Cause::ALL.into_iter().enumerate() {
        assert_eq!(cause.index(), i);
    }
}

#[test]
fn user_causes_parse_and_superseded_is_internal() {
    for cause in Cause::USER_CAUSES {
        assert_eq!(cause.to_string().parse::<Cause>(), Ok(cause));
    }
    let err = "superseded".parse::<Cause>().unwrap_err();
    assert!(matches!(err, CauseError::InternalCause { .. }));
    let msg = err.to_string();
    assert!(msg.contains("internal") && msg.contains("renewal"), "{msg}");
}

#[test]
fn unknown_cause_error_names_accepted_values() {
    let err = "stolen_card".parse::<Cause>().unwrap_err();
    assert_eq!(
        err,
        CauseError::UnknownCause {
            given: "stolen_card".into()
        }
    );
    let msg = err.to_string();
    for cause in Cause::USER_CAUSES {
        assert!(msg.contains(cause.as_str()), "{msg} lacks {cause}");
    }
    assert!(!msg.contains("superseded"), "{msg}");
}

#[test]
fn accepted_value_lists_match_the_enums() {
    let users: Vec<&str> = Cause::USER_CAUSES.iter().map(|c| c.as_str()).collect();
    assert_eq!(USER_CAUSE_NAMES, users.join(", "));
    let kinds: Vec<&str> = CertKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(CERT_KIND_NAMES, kinds.join(", "));
    let reasons: Vec<&str> = CrlReason::ALL.iter().map(|r| r.as_str()).collect();
    assert!(CRL_REASON_NAMES.starts_with(&reasons.join(", ")));
}

// ---- targets ----

#[test]
fn default_targets_of_every_cause() {
    let expected = [
        (Cause::Stop, vec![Sign, Auth]),
        (Cause::Lost, vec![Sign, Auth]),
        (Cause::Stolen, vec![Sign, Auth]),
        (Cause::CardInvalidated, vec![Sign, Auth]),
        (Cause::NameChange, vec![Sign]),
        (Cause::AddressChange, vec![Sign]),
        (Cause::ExOfficio, vec![Sign, Auth]),
        (Cause::Leak, vec![Sign, Auth]),
        (Cause::Emigration, vec![Sign]),
        (Cause::PhoneLost, vec![Sign, Auth]),
        (Cause::PhoneStolen, vec![Sign, Auth]),
        (Cause::DeviceChange, vec![Sign, Auth]),
        (Cause::DeviceDisposed, vec![Sign, Auth]),
        (Cause::Superseded, vec![Sign, Auth]),
    ];
    for (cause, targets) in expected {
        assert_eq!(cause.targets(None), Ok(targets), "{cause}");
    }
}

#[test]
fn choosable_causes_take_the_chosen_kinds() {
    for cause in [
        Cause::Stop,
        Cause::ExOfficio,
        Cause::Leak,
        Cause::Superseded,
    ] {
        assert_eq!(cause.fixed_targets(), None);
        assert_eq!(cause.targets(Some(&[Sign])), Ok(vec![Sign]), "{cause}");
        assert_eq!(cause.targets(Some(&[Auth])), Ok(vec![Auth]), "{cause}");
        assert_eq!(
            cause.targets(Some(&[Auth, Sign])),
            Ok(vec![Sign, Auth]),
            "{cause}"
        );
        assert_eq!(
            cause.targets(Some(&[Auth, Auth])),
            Ok(vec![Auth]),
            "{cause}"
        );
    }
}

#[test]
fn choosable_causes_refuse_an_empty_list() {
    for cause in [
        Cause::Stop,
        Cause::ExOfficio,
        Cause::Leak,
        Cause::Superseded,
    ] {
        let err = cause.targets(Some(&[])).unwrap_err();
        assert_eq!(err, CauseError::EmptyChoice { cause });
        assert!(err.to_string().contains("at least one"), "{err}");
    }
}

#[test]
fn fixed_causes_accept_exactly_their_targets_in_any_order() {
    for cause in [Cause::Lost, Cause::Stolen, Cause::CardInvalidated] {
        assert_eq!(cause.fixed_targets(), Some(&[Sign, Auth][..]));
        assert_eq!(cause.targets(Some(&[Sign, Auth])), Ok(vec![Sign, Auth]));
        assert_eq!(cause.targets(Some(&[Auth, Sign])), Ok(vec![Sign, Auth]));
    }
    for cause in [Cause::NameChange, Cause::AddressChange, Cause::Emigration] {
        assert_eq!(cause.fixed_targets(), Some(&[Sign][..]));
        assert_eq!(cause.targets(Some(&[Sign])), Ok(vec![Sign]));
    }
}

#[test]
fn fixed_causes_refuse_other_lists() {
    for cause in [Cause::Lost, Cause::Stolen, Cause::CardInvalidated] {
        for chosen in [&[Sign][..], &[Auth][..], &[][..]] {
            assert_eq!(
                cause.targets(Some(chosen)),
                Err(CauseError::FixedTargets {
                    cause,
                    fixed: vec![Sign, Auth],
                    chosen: chosen.to_vec(),
                }),
                "{cause} {chosen:?}"
            );
        }
    }
    for cause in [Cause::NameChange, Cause::AddressChange, Cause::Emigration] {
        for chosen in [&[Auth][..], &[Sign, Auth][..], &[][..]] {
            assert!(
                matches!(
                    cause.targets(Some(chosen)),
                    Err(CauseError::FixedTargets { .. })
                ),
                "{cause} {chosen:?}"
            );
        }
    }
}

#[test]
fn fixed_targets_message_is_clear() {
    let err = Cause::NameChange.targets(Some(&[Auth, Sign])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cause name_change always revokes sign; the certificates cannot be chosen (asked for sign and auth)"
    );
    let err = Cause::Lost.targets(Some(&[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cause lost always revokes sign and auth; the certificates cannot be chosen (asked for nothing)"
    );
}

// ---- CRL reasons ----

#[test]
fn crl_reason_codes_follow_rfc_5280() {
    let codes: Vec<u8> = CrlReason::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]);
    for reason in CrlReason::ALL {
        assert_eq!(CrlReason::from_code(reason.code()), Some(reason));
    }
    assert_eq!(CrlReason::from_code(7), None);
    assert_eq!(CrlReason::from_code(11), None);
    assert_eq!(CrlReason::from_code(255), None);
}

#[test]
fn crl_reason_names() {
    let names: Vec<&str> = CrlReason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "unspecified",
            "keyCompromise",
            "cACompromise",
            "affiliationChanged",
            "superseded",
            "cessationOfOperation",
            "certificateHold",
            "removeFromCRL",
            "privilegeWithdrawn",
            "aACompromise"
        ]
    );
}

#[test]
fn crl_reason_parses_rfc_names_case_insensitively_and_snake_case() {
    for reason in CrlReason::ALL {
        assert_eq!(reason.as_str().parse::<CrlReason>(), Ok(reason));
        assert_eq!(
            reason.as_str().to_uppercase().parse::<CrlReason>(),
            Ok(reason)
        );
        assert_eq!(reason.snake_case().parse::<CrlReason>(), Ok(reason));
    }
    assert_eq!("keycompromise".parse(), Ok(CrlReason::KeyCompromise));
    assert_eq!("key_compromise".parse(), Ok(CrlReason::KeyCompromise));
    assert_eq!("removefromcrl".parse(), Ok(CrlReason::RemoveFromCrl));
    assert_eq!("remove_from_crl".parse(), Ok(CrlReason::RemoveFromCrl));
    assert_eq!("ca_compromise".parse(), Ok(CrlReason::CaCompromise));
    assert_eq!("AA_COMPROMISE".parse(), Ok(CrlReason::AaCompromise));
}

#[test]
fn crl_reason_refuses_unknown_names() {
    for bad in ["", "key compromise", "k_e_y_compromise", "7", "hold"] {
        let err = bad.parse::<CrlReason>().unwrap_err();
        assert_eq!(err, CauseError::UnknownCrlReason { given: bad.into() });
        assert!(err.to_string().contains("keyCompromise"), "{err}");
    }
}

// ---- reason map ----

#[test]
fn default_reason_of_every_cause_follows_profile_table() {
    let map = ReasonMap::default();
    let expected = [
        (Cause::Stop, CrlReason::CessationOfOperation, 5),
        (Cause::Lost, CrlReason::CertificateHold, 6),
        (Cause::Stolen, CrlReason::KeyCompromise, 1),
        (Cause::Leak, CrlReason::KeyCompromise, 1),
        (Cause::CardInvalidated, CrlReason::CessationOfOperation, 5),
        (Cause::NameChange, CrlReason::AffiliationChanged, 3),
        (Cause::AddressChange, CrlReason::AffiliationChanged, 3),
        (Cause::ExOfficio, CrlReason::AffiliationChanged, 3),
        (Cause::Emigration, CrlReason::AffiliationChanged, 3),
        (Cause::PhoneLost, CrlReason::CertificateHold, 6),
        (Cause::PhoneStolen, CrlReason::KeyCompromise, 1),
        (Cause::DeviceChange, CrlReason::CessationOfOperation, 5),
        (Cause::DeviceDisposed, CrlReason::CessationOfOperation, 5),
        (Cause::Superseded, CrlReason::Superseded, 4),
    ];
    for (cause, reason, code) in expected {
        assert_eq!(map.reason(cause), reason, "{cause}");
        assert_eq!(map.reason(cause).code(), code, "{cause}");
        assert_eq!(cause.default_reason(), reason, "{cause}");
    }
    assert_eq!(map.entries().count(), 14);
}

#[test]
fn reason_map_override_changes_only_that_cause() {
    let mut map = ReasonMap::default();
    map.set(Cause::Lost, CrlReason::KeyCompromise);
    assert_eq!(map.reason(Cause::Lost), CrlReason::KeyCompromise);
    assert_ne!(map, ReasonMap::default());
    for (cause, reason) in map.entries() {
        if cause != Cause::Lost {
            assert_eq!(reason, cause.default_reason(), "{cause}");
        }
    }
    map.set(Cause::Lost, CrlReason::CertificateHold);
    assert_eq!(map, ReasonMap::default());
}

// ---- carriers ----

#[test]
fn phone_causes_reach_phones_and_a_change_of_facts_reaches_every_signing_certificate() {
    use crate::rules::{Carrier, Platform};
    let phone = Carrier::Phone(Platform::Ios);
    for cause in Cause::USER_CAUSES {
        let (card, phones) = match cause {
            Cause::NameChange | Cause::AddressChange | Cause::Emigration => (true, true),
            Cause::PhoneLost | Cause::PhoneStolen | Cause::DeviceChange | Cause::DeviceDisposed => {
                (false, true)
            }
            _ => (true, false),
        };
        assert_eq!(cause.reaches(Carrier::Card), card, "{cause}");
        assert_eq!(cause.reaches(phone), phones, "{cause}");
        assert_eq!(cause.is_phone(), phones && !card, "{cause}");
    }
    assert_eq!("iOS".parse(), Ok(Platform::Ios));
    let message = "windows".parse::<Platform>().unwrap_err().to_string();
    assert!(message.contains("android or ios"), "{message}");
}
