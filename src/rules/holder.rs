//! The holder's four basic facts as written into the signing certificate's
//! subjectAltName otherName values (`profile.md`, "Signing certificate").

use std::fmt;
use std::str::FromStr;

use encoding_rs::SHIFT_JIS;
use time::macros::date;

use super::Date;

/// The full-width (ideographic) space U+3000 that separates surname and given name.
const IDEOGRAPHIC_SPACE: char = '\u{3000}';

/// The holder's sex, as coded in otherName 1.2.392.200149.8.5.5.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    /// Code `1`.
    Male,
    /// Code `2`.
    Female,
    /// Code `3`.
    Unknown,
}

impl Gender {
    /// Every value, in code order.
    pub const ALL: [Gender; 3] = [Gender::Male, Gender::Female, Gender::Unknown];

    /// The certificate code: `'1'` male, `'2'` female, `'3'` unknown.
    pub fn code(self) -> char {
        match self {
            Gender::Male => '1',
            Gender::Female => '2',
            Gender::Unknown => '3',
        }
    }

    /// The API spelling: `"male"`, `"female"` or `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Gender {
    type Err = HolderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Gender::ALL
            .into_iter()
            .find(|g| s.eq_ignore_ascii_case(g.as_str()))
            .ok_or_else(|| HolderError::UnknownGender {
                given: s.to_owned(),
            })
    }
}

/// The holder's name: surname and given name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderName {
    /// Family name, e.g. 山田.
    pub surname: String,
    /// Given name, e.g. 太郎.
    pub given: String,
}

impl HolderName {
    /// Parses "surname given", separated by one ASCII space or U+3000, after trimming.
    pub fn parse(s: &str) -> Result<Self, HolderError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(HolderError::EmptyName);
        }
        let parts: Vec<&str> = trimmed.split([' ', IDEOGRAPHIC_SPACE]).collect();
        let [surname, given] = parts.as_slice() else {
            return Err(HolderError::NameNotTwoParts {
                given: s.to_owned(),
            });
        };
        if surname.is_empty() || given.is_empty() {
            return Err(HolderError::NameNotTwoParts {
                given: s.to_owned(),
            });
        }
        if let Some(ch) = trimmed
            .chars()
            .find(|&c| c.is_control() || (c.is_whitespace() && c != ' ' && c != IDEOGRAPHIC_SPACE))
        {
            return Err(HolderError::InvalidNameCharacter { ch });
        }
        Ok(HolderName {
            surname: (*surname).to_owned(),
            given: (*given).to_owned(),
        })
    }

    /// The certificate form: surname, U+3000, given name.
    pub fn certificate_form(&self) -> String {
        format!("{}{IDEOGRAPHIC_SPACE}{}", self.surname, self.given)
    }
}

impl fmt::Display for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.certificate_form())
    }
}

/// Start dates of the Japanese eras and their digits, latest first.
const ERAS: [(Date, char); 5] = [
    (date!(2019 - 05 - 01), '5'), // Reiwa
    (date!(1989 - 01 - 08), '4'), // Heisei
    (date!(1926 - 12 - 25), '3'), // Showa
    (date!(1912 - 07 - 30), '2'), // Taisho
    (date!(1868 - 10 - 23), '1'), // Meiji
];

/// The era digit of a date: 1 Meiji … 5 Reiwa, 0 before Meiji.
pub fn era_digit(birth: Date) -> char {
    ERAS.iter()
        .find(|(start, _)| birth >= *start)
        .map_or('0', |&(_, digit)| digit)
}

/// The birth date otherName value `EYYYYMMDD`: era digit, then the Gregorian date.
pub fn era_birth_date(birth: Date) -> String {
    format!(
        "{}{:04}{:02}{:02}",
        era_digit(birth),
        birth.year(),
        u8::from(birth.month()),
        birth.day()
    )
}

/// The address in certificate form: ASCII digits, `-` and space made full-width.
pub fn certificate_address(address: &str) -> String {
    address
        .chars()
        .map(|c| match c {
            // '0'..='9' map to U+FF10..=U+FF19; the offset keeps them valid chars.
            '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap_or(c),
            '-' => '\u{FF0D}',
            ' ' => IDEOGRAPHIC_SPACE,
            other => other,
        })
        .collect()
}

/// Whether `c` lies outside JIS X 0208 (and so needs a substitute character).
pub fn is_outside_jis_x_0208(c: char) -> bool {
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = SHIFT_JIS.encode(c.encode_utf8(&mut buf));
    if unmappable {
        return true;
    }
    match *bytes {
        // Two bytes: outside JIS X 0208 in NEC row 13 (0x87), the NEC-selected IBM
        // extensions (0xED, 0xEE), the user-defined area (0xF0-0xF9, from the
        // private use area) and the IBM extensions (0xFA-0xFC).
        [lead, _] => matches!(lead, 0x87 | 0xED | 0xEE | 0xF0..=0xFC),
        // One byte (ASCII / JIS X 0201) or anything else.
        _ => true,
    }
}

/// Substitute-character flags: one `'0'`/`'1'` per character, `'1'` outside JIS X 0208.
pub fn substitute_flags(s: &str) -> String {
    s.chars()
        .map(|c| if is_outside_jis_x_0208(c) { '1' } else { '0' })
        .collect()
}

/// Holder facts that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolderError {
    /// The name is empty or blank.
    #[error("holder name is empty: give a surname and a given name separated by one space")]
    EmptyName,
    /// The name is not exactly two non-empty parts separated by one space.
    #[error(
        "holder name {given:?} must be a surname and a given name separated by exactly one space (ASCII or U+3000), e.g. \"山田 太郎\""
    )]
    NameNotTwoParts {
        /// The text given.
        given: String,
    },
    /// The name contains a control character or a space other than ASCII ' ' or U+3000.
    #[error("holder name contains a character that is not allowed: U+{:04X}", u32::from(*.ch))]
    InvalidNameCharacter {
        /// The offending character.
        ch: char,
    },
    /// The gender is not one of the accepted values.
    #[error("unknown gender {given:?}: expected one of male, female, unknown")]
    UnknownGender {
        /// The text given.
        given: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- gender ----

    #[test]
    fn gender_codes_and_names() {
        assert_eq!(Gender::Male.code(), '1');
        assert_eq!(Gender::Female.code(), '2');
        assert_eq!(Gender::Unknown.code(), '3');
        assert_eq!("male".parse(), Ok(Gender::Male));
        assert_eq!("female".parse(), Ok(Gender::Female));
        assert_eq!("unknown".parse(), Ok(Gender::Unknown));
        assert_eq!("Female".parse(), Ok(Gender::Female));
        for g in Gender::ALL {
            assert_eq!(g.to_string().parse(), Ok(g));
        }
    }

    #[test]
    fn gender_error_names_accepted_values() {
        let err = "m".parse::<Gender>().unwrap_err();
        assert_eq!(err, HolderError::UnknownGender { given: "m".into() });
        let msg = err.to_string();
        for g in Gender::ALL {
            assert!(msg.contains(g.as_str()), "{msg}");
        }
    }

    // ---- name ----

    #[test]
    fn name_with_ascii_space() {
        let name = HolderName::parse("山田 太郎").expect("valid");
        assert_eq!(name.surname, "山田");
        assert_eq!(name.given, "太郎");
        assert_eq!(name.certificate_form(), "山田\u{3000}太郎");
    }

    #[test]
    fn name_with_ideographic_space_and_trimming() {
        let name = HolderName::parse("\u{3000} 山田\u{3000}花子  ").expect("valid");
        assert_eq!(
            name,
            HolderName {
                surname: "山田".into(),
                given: "花子".into()
            }
        );
        assert_eq!(name.to_string(), "山田\u{3000}花子");
    }

    #[test]
    fn name_must_have_exactly_two_parts() {
        for bad in [
            "山田太郎",
            "山田  太郎",
            "山田 \u{3000}太郎",
            "山田 太郎 次郎",
            "Yamada Taro Jr",
        ] {
            assert_eq!(
                HolderName::parse(bad),
                Err(HolderError::NameNotTwoParts { given: bad.into() }),
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_name_is_refused() {
        assert_eq!(HolderName::parse(""), Err(HolderError::EmptyName));
        assert_eq!(HolderName::parse(" \u{3000} "), Err(HolderError::EmptyName));
    }

    #[test]
    fn name_with_tab_or_control_is_refused() {
        assert_eq!(
            HolderName::parse("山田\t 太郎"),
            Err(HolderError::InvalidNameCharacter { ch: '\t' })
        );
        let err = HolderName::parse("山\u{0007}田 太郎").unwrap_err();
        assert_eq!(
            err.to_string(),
            "holder name contains a character that is not allowed: U+0007"
        );
    }

    #[test]
    fn name_error_message_explains_the_form() {
        let msg = HolderName::parse("山田太郎").unwrap_err().to_string();
        assert!(msg.contains("one space") && msg.contains("U+3000"), "{msg}");
    }

    // ---- birth date ----

    #[test]
    fn era_boundaries() {
        let cases = [
            (date!(1868 - 10 - 22), "018681022"),
            (date!(1868 - 10 - 23), "118681023"),
            (date!(1912 - 07 - 29), "119120729"),
            (date!(1912 - 07 - 30), "219120730"),
            (date!(1926 - 12 - 24), "219261224"),
            (date!(1926 - 12 - 25), "319261225"),
            (date!(1989 - 01 - 07), "319890107"),
            (date!(1989 - 01 - 08), "419890108"),
            (date!(2019 - 04 - 30), "420190430"),
            (date!(2019 - 05 - 01), "520190501"),
        ];
        for (birth, expected) in cases {
            assert_eq!(era_birth_date(birth), expected, "{birth}");
        }
    }

    #[test]
    fn era_birth_date_of_example_holders() {
        assert_eq!(era_birth_date(date!(1990 - 10 - 01)), "419901001");
        assert_eq!(era_birth_date(date!(1985 - 06 - 10)), "319850610");
        assert_eq!(era_birth_date(date!(2020 - 02 - 29)), "520200229");
        assert_eq!(era_birth_date(date!(1800 - 01 - 05)), "018000105");
    }

    // ---- address ----

    #[test]
    fn address_digits_hyphen_and_space_become_full_width() {
        assert_eq!(
            certificate_address("東京都品川区大崎1-2-3 A棟"),
            "東京都品川区大崎１－２－３\u{3000}A棟"
        );
        assert_eq!(certificate_address("0123456789"), "０１２３４５６７８９");
        assert_eq!(certificate_address("１丁目"), "１丁目");
        assert_eq!(certificate_address("ａｂ_x"), "ａｂ_x");
    }

    // ---- substitute-character flags ----

    #[test]
    fn common_name_has_no_substitutes() {
        assert_eq!(substitute_flags("山田\u{3000}太郎"), "00000");
    }

    #[test]
    fn characters_outside_jis_x_0208_are_flagged() {
        assert_eq!(substitute_flags("髙"), "1"); // U+9AD9, IBM extension
        assert_eq!(substitute_flags("\u{20BB7}"), "1"); // 𠮷, not in Shift_JIS
        assert_eq!(substitute_flags("①"), "1"); // NEC row 13
        assert_eq!(substitute_flags("ⅰ"), "1"); // small roman numeral, IBM extension
        assert_eq!(substitute_flags("\u{E000}"), "1"); // private use (user-defined area)
        assert_eq!(substitute_flags("A"), "1"); // ASCII is single-byte
        assert_eq!(substitute_flags(" "), "1");
        assert_eq!(substitute_flags("ｱ"), "1"); // half-width katakana, JIS X 0201
        assert_eq!(substitute_flags("é"), "1");
    }

    #[test]
    fn characters_inside_jis_x_0208_are_not_flagged() {
        for c in [
            '高', '吉', 'ア', 'あ', 'Ａ', '１', '－', '\u{3000}', '凜', '熙', '∵',
        ] {
            assert_eq!(substitute_flags(&c.to_string()), "0", "{c}");
        }
    }

    #[test]
    fn flags_cover_every_character_in_order() {
        assert_eq!(substitute_flags("髙橋\u{3000}\u{20BB7}男"), "10010");
        assert_eq!(substitute_flags(""), "");
        let address = certificate_address("東京都品川区1-2");
        assert_eq!(substitute_flags(&address), "000000000");
    }

    #[test]
    fn certificate_name_flags_match_certificate_form() {
        let name = HolderName::parse("髙田 太郎").expect("valid");
        let form = name.certificate_form();
        let flags = substitute_flags(&form);
        assert_eq!(flags.chars().count(), form.chars().count());
        assert_eq!(flags, "10000");
    }
}
