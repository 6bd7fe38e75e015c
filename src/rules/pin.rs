//! PIN rules of the virtual card (`domain.md` §5).
//!
//! A [`Pin`] is parsed once at the edge; its value never appears in `Debug` output or in
//! error messages.

use std::fmt;

use super::causes::CertKind;

/// The signing PIN rule, as stated in error messages.
const SIGN_RULE: &str =
    "signing PIN must be 6-16 characters of A-Z and 0-9 with at least one letter and one digit";

/// The user authentication PIN rule, as stated in error messages.
const AUTH_RULE: &str = "user authentication PIN must be exactly 4 digits (0-9)";

/// A PIN that satisfies the rule for its certificate kind.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin {
    /// Which certificate the PIN protects.
    kind: CertKind,
    /// The PIN itself (never printed).
    value: String,
}

/// Which part of a PIN rule was broken (never includes the PIN itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinProblem {
    /// Fewer characters than the rule allows.
    TooShort {
        /// Number of characters given.
        len: usize,
    },
    /// More characters than the rule allows.
    TooLong {
        /// Number of characters given.
        len: usize,
    },
    /// A lowercase ASCII letter (only A-Z is allowed).
    Lowercase,
    /// A character outside the allowed set (non-ASCII digits included).
    ForbiddenCharacter,
    /// No letter (signing PIN).
    NoLetter,
    /// No digit (signing PIN).
    NoDigit,
}

impl fmt::Display for PinProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinProblem::TooShort { len } | PinProblem::TooLong { len } => {
                write!(f, "got {len} characters")
            }
            PinProblem::Lowercase => f.write_str("lowercase letters are not allowed"),
            PinProblem::ForbiddenCharacter => f.write_str("it contains a character not allowed"),
            PinProblem::NoLetter => f.write_str("it has no letter"),
            PinProblem::NoDigit => f.write_str("it has no digit"),
        }
    }
}

/// A PIN refused at issuance or reset; the message names the rule, never the PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// The signing PIN breaks its rule.
    #[error("{SIGN_RULE} ({problem})")]
    Sign {
        /// What is wrong.
        problem: PinProblem,
    },
    /// The user authentication PIN breaks its rule.
    #[error("{AUTH_RULE} ({problem})")]
    Auth {
        /// What is wrong.
        problem: PinProblem,
    },
}

impl PinError {
    /// The broken part of the rule.
    pub fn problem(&self) -> PinProblem {
        match self {
            PinError::Sign { problem } | PinError::Auth { problem } => *problem,
        }
    }
}

/// Checks the signing PIN rule.
fn check_sign(value: &str) -> Result<(), PinProblem> {
    let len = value.chars().count();
    if len < 6 {
        return Err(PinProblem::TooShort { len });
    }
    if len > 16 {
        return Err(PinProblem::TooLong { len });
    }
    if value.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(PinProblem::Lowercase);
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Err(PinProblem::ForbiddenCharacter);
    }
    if !value.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(PinProblem::NoLetter);
    }
    if !value.chars().any(|c| c.is_ascii_digit()) {
        return Err(PinProblem::NoDigit);
    }
    Ok(())
}

/// Checks the user authentication PIN rule.
fn check_auth(value: &str) -> Result<(), PinProblem> {
    let len = value.chars().count();
    if len < 4 {
        return Err(PinProblem::TooShort { len });
    }
    if len > 4 {
        return Err(PinProblem::TooLong { len });
    }
    if !value.chars().all(|c| c.is_ascii_digit()) {
        return Err(PinProblem::ForbiddenCharacter);
    }
    Ok(())
}

impl Pin {
    /// Parses a PIN for `kind`, refusing one that breaks the rule of `domain.md` §5.
    pub fn parse(kind: CertKind, value: &str) -> Result<Pin, PinError> {
        match kind {
            CertKind::Sign => check_sign(value).map_err(|problem| PinError::Sign { problem }),
            CertKind::Auth => check_auth(value).map_err(|problem| PinError::Auth { problem }),
        }?;
        Ok(Pin {
            kind,
            value: value.to_owned(),
        })
    }

    /// The certificate kind this PIN protects.
    pub fn kind(&self) -> CertKind {
        self.kind
    }

    /// The PIN itself (handle with care: do not log it).
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Whether `attempt` equals this PIN, compared without an early exit on the first difference.
    pub fn matches(&self, attempt: &str) -> bool {
        let (a, b) = (self.value.as_bytes(), attempt.as_bytes());
        let mut diff = a.len() ^ b.len();
        for (i, &byte) in a.iter().enumerate() {
            diff |= usize::from(byte ^ b.get(i).copied().unwrap_or(!byte));
        }
        diff == 0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({}, ***)", self.kind)
    }
}

/// Wrong tries allowed before the PIN locks: 5 for signing, 3 for user authentication.
pub fn max_tries(kind: CertKind) -> u32 {
    match kind {
        CertKind::Sign => 5,
        CertKind::Auth => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CertKind::{Auth, Sign};

    fn sign_problem(value: &str) -> PinProblem {
        Pin::parse(Sign, value).unwrap_err().problem()
    }

    fn auth_problem(value: &str) -> PinProblem {
        Pin::parse(Auth, value).unwrap_err().problem()
    }

    #[test]
    fn valid_sign_pins() {
        for value in ["ABC123", "A1B2C3D4", "1ABCDE", "Z00000", "ABCDEFGHIJKLMNO1"] {
            let pin = Pin::parse(Sign, value).expect(value);
            assert_eq!(pin.kind(), Sign);
            assert_eq!(pin.as_str(), value);
        }
    }

    #[test]
    fn sign_pin_length_limits() {
        assert_eq!(sign_problem("AB123"), PinProblem::TooShort { len: 5 });
        assert_eq!(sign_problem(""), PinProblem::TooShort { len: 0 });
        assert!(Pin::parse(Sign, "AB1234").is_ok()); // 6
        assert!(Pin::parse(Sign, "ABCDEFGH12345678").is_ok()); // 16
        assert_eq!(
            sign_problem("ABCDEFGH123456789"),
            PinProblem::TooLong { len: 17 }
        );
    }

    #[test]
    fn sign_pin_refuses_lowercase() {
        assert_eq!(sign_problem("abc123"), PinProblem::Lowercase);
        assert_eq!(sign_problem("ABc123"), PinProblem::Lowercase);
    }

    #[test]
    fn sign_pin_refuses_other_characters() {
        for value in [
            "ABC-123",
            "ABC 123",
            "ABC12３",
            "ＡBC123",
            "ÄBC123",
            "ABC12\u{0663}",
        ] {
            assert_eq!(
                sign_problem(value),
                PinProblem::ForbiddenCharacter,
                "{value}"
            );
        }
    }

    #[test]
    fn sign_pin_needs_a_letter_and_a_digit() {
        assert_eq!(sign_problem("ABCDEF"), PinProblem::NoDigit);
        assert_eq!(sign_problem("123456"), PinProblem::NoLetter);
    }

    #[test]
    fn valid_auth_pins() {
        for value in ["0000", "1234", "9876"] {
            let pin = Pin::parse(Auth, value).expect(value);
            assert_eq!(pin.kind(), Auth);
            assert_eq!(pin.as_str(), value);
        }
    }

    #[test]
    fn auth_pin_must_be_exactly_4_ascii_digits() {
        assert_eq!(auth_problem("123"), PinProblem::TooShort { len: 3 });
        assert_eq!(auth_problem("12345"), PinProblem::TooLong { len: 5 });
        assert_eq!(auth_problem(""), PinProblem::TooShort { len: 0 });
        assert_eq!(auth_problem("12A4"), PinProblem::ForbiddenCharacter);
        assert_eq!(auth_problem("１２３４"), PinProblem::ForbiddenCharacter);
        assert_eq!(
            auth_problem("\u{0661}\u{0662}\u{0663}\u{0664}"),
            PinProblem::ForbiddenCharacter
        );
        assert_eq!(auth_problem("12 4"), PinProblem::ForbiddenCharacter);
    }

    #[test]
    fn a_pin_valid_for_one_kind_is_checked_against_its_own_rule() {
        assert!(Pin::parse(Auth, "ABC123").is_err());
        assert!(Pin::parse(Sign, "1234").is_err());
    }

    #[test]
    fn error_messages_name_the_rule() {
        let err = Pin::parse(Sign, "abc").unwrap_err();
        assert!(
            err.to_string().starts_with(
                "signing PIN must be 6-16 characters of A-Z and 0-9 with at least one letter and one digit"
            ),
            "{err}"
        );
        let err = Pin::parse(Auth, "12345").unwrap_err();
        assert_eq!(
            err.to_string(),
            "user authentication PIN must be exactly 4 digits (0-9) (got 5 characters)"
        );
    }

    #[test]
    fn error_messages_never_contain_the_pin() {
        let cases = [
            (Sign, "QWXZ"),
            (Sign, "qwxz9876"),
            (Sign, "QWXZQWXZ"),
            (Sign, "98769876"),
            (Sign, "QWXZ-9876"),
            (Sign, "QWXZ98769876QWXZ98"),
            (Auth, "987"),
            (Auth, "98765"),
            (Auth, "9x87"),
        ];
        for (kind, value) in cases {
            let err = Pin::parse(kind, value).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(value), "{kind}: {shown}");
        }
    }

    #[test]
    fn debug_does_not_leak_the_pin() {
        let pin = Pin::parse(Sign, "SECRET42").expect("valid");
        let shown = format!("{pin:?}");
        assert_eq!(shown, "Pin(sign, ***)");
        assert!(!shown.contains("SECRET42"));
        let pin = Pin::parse(Auth, "8642").expect("valid");
        assert_eq!(format!("{pin:?}"), "Pin(auth, ***)");
        assert_eq!(format!("{:?}", Some(pin)), "Some(Pin(auth, ***))");
    }

    #[test]
    fn matches_compares_the_whole_pin() {
        let pin = Pin::parse(Auth, "1234").expect("valid");
        assert!(pin.matches("1234"));
        assert!(!pin.matches("1235"));
        assert!(!pin.matches("123"));
        assert!(!pin.matches("12345"));
        assert!(!pin.matches(""));
    }

    #[test]
    fn max_tries_per_kind() {
        assert_eq!(max_tries(Sign), 5);
        assert_eq!(max_tries(Auth), 3);
    }
}
