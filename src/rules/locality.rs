//! The holder's place of residence in romaji, for the signing certificate.
//!
//! A signing certificate names the holder's prefecture and municipality twice: as two
//! subject `L` RDNs (`L=Tokyo-to, L=Shinagawa-ku`) and in the directoryName of its CRL
//! distribution point (`OU=Tokyo-to, CN=Shinagawa-ku CRLDP`). Both come from a
//! [`Locality`], which is either derived from the holder's Japanese address with the
//! built-in table below ([`Locality::from_address`]) or given explicitly as
//! `PREF/MUNI` with `--locality` ([`Locality::parse_override`]).
//!
//! The table covers the 47 prefectures, Tokyo's 23 special wards, the 20 designated
//! cities (an address in one of their wards resolves to the city, e.g.
//! `大阪府大阪市北区梅田1` → `Osaka-fu` / `Osaka-shi`), every prefectural capital and
//! Tokyo's larger cities. Romanisation is Hepburn without macrons, with the suffix as
//! written in the name (`-to`, `-fu`, `-ken`; `-shi`, `-ku`), as on real JPKI
//! certificates.
//!
//! This module is pure: no I/O, no clock, no randomness.

use std::fmt;

/// Longest accepted prefecture or municipality in a `--locality` override, in characters.
///
/// The municipality ends up in the CRL distribution point as `CN=<municipality> CRLDP`,
/// and X.520 bounds a commonName at 64 characters: 64 - len(" CRLDP") = 58.
pub const MAX_OVERRIDE_PART_LEN: usize = 58;

/// The holder's prefecture and municipality in romaji, e.g. `Tokyo-to` and `Shinagawa-ku`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locality {
    /// Prefecture in romaji, e.g. `Tokyo-to`, `Hokkaido`, `Osaka-fu`, `Kanagawa-ken`.
    pub prefecture: String,
    /// Municipality in romaji, e.g. `Shinagawa-ku`, `Yokohama-shi`.
    pub municipality: String,
}

/// Which half of a `PREF/MUNI` override an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalityPart {
    /// The part before the `/`.
    Prefecture,
    /// The part after the `/`.
    Municipality,
}

impl fmt::Display for LocalityPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LocalityPart::Prefecture => "prefecture",
            LocalityPart::Municipality => "municipality",
        })
    }
}

/// Why a locality could not be derived from an address or parsed from an override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalityError {
    /// The address is empty or only whitespace.
    #[error(
        "cannot derive the locality from an empty address; \
         give it with --locality PREF/MUNI (e.g. Tokyo-to/Shinagawa-ku)"
    )]
    EmptyAddress,

    /// The address does not start with the full name of one of the 47 prefectures.
    #[error(
        "cannot derive the prefecture from address {address:?}: it must start with the full \
         prefecture name (e.g. 東京都, 北海道, 京都府, 神奈川県); \
         otherwise give it with --locality PREF/MUNI (e.g. Tokyo-to/Shinagawa-ku)"
    )]
    UnknownPrefecture {
        /// The address as given (trimmed).
        address: String,
    },

    /// The prefecture is known but the municipality after it is not in the built-in table.
    #[error(
        "cannot derive the municipality from address {address:?}: not in the built-in table \
         for {prefecture}; give it with --locality PREF/MUNI (e.g. Tokyo-to/Shinagawa-ku)"
    )]
    UnknownMunicipality {
        /// The address as given (trimmed).
        address: String,
        /// The prefecture that was recognised, in romaji.
        prefecture: String,
    },

    /// The override does not contain exactly one `/`.
    #[error(
        "invalid --locality {value:?}: expected PREF/MUNI with exactly one '/' \
         (e.g. Tokyo-to/Shinagawa-ku)"
    )]
    OverrideSeparator {
        /// The override as given.
        value: String,
    },

    /// One half of the override is empty.
    #[error(
        "invalid --locality {value:?}: the {part} is empty; expected PREF/MUNI \
         (e.g. Tokyo-to/Shinagawa-ku)"
    )]
    OverrideEmptyPart {
        /// The override as given.
        value: String,
        /// The empty half.
        part: LocalityPart,
    },

    /// One half of the override contains a character other than ASCII letters, digits, `-`, ` `.
    #[error(
        "invalid --locality {value:?}: {character:?} is not allowed in the {part}; use romaji \
         with ASCII letters, digits, '-' and ' ' only (e.g. Tokyo-to/Shinagawa-ku)"
    )]
    OverrideInvalidCharacter {
        /// The override as given.
        value: String,
        /// The half holding the character.
        part: LocalityPart,
        /// The first character that is not allowed.
        character: char,
    },

    /// One half of the override is longer than [`MAX_OVERRIDE_PART_LEN`].
    #[error(
        "invalid --locality {value:?}: the {part} is longer than {max} characters \
         (e.g. Tokyo-to/Shinagawa-ku)"
    )]
    OverridePartTooLong {
        /// The override as given.
        value: String,
        /// The half that is too long.
        part: LocalityPart,
        /// The limit, [`MAX_OVERRIDE_PART_LEN`].
        max: usize,
    },
}

impl Locality {
    /// From a Japanese address starting at the prefecture.
    ///
    /// The address is trimmed (ASCII and full-width whitespace); whitespace between the
    /// prefecture and the municipality is skipped; Unicode variation selectors are ignored
    /// and the variant kanji 﨑 and 髙 are read as 崎 and 高. The address must start with a
    /// prefecture's full name (`東京都`, not `東京`); the municipality is the longest table
    /// entry of that prefecture that starts the rest of the address, so anything after it
    /// (a ward of a designated city, the town, the block number in either width) is ignored.
    pub fn from_address(address: &str) -> Result<Locality, LocalityError> {
        let trimmed = address.trim();
        if trimmed.is_empty() {
            return Err(LocalityError::EmptyAddress);
        }
        let normalized = normalize(trimmed);

        let (prefecture, rest) = PREFECTURES
            .iter()
            .find_map(|p| normalized.strip_prefix(p.kanji).map(|rest| (p, rest)))
            .ok_or_else(|| LocalityError::UnknownPrefecture {
                address: trimmed.to_owned(),
            })?;

        let municipality = longest_prefix_match(prefecture.municipalities, rest.trim_start())
            .ok_or_else(|| LocalityError::UnknownMunicipality {
                address: trimmed.to_owned(),
                prefecture: prefecture.romaji.to_owned(),
            })?;

        Ok(Locality {
            prefecture: prefecture.romaji.to_owned(),
            municipality: municipality.romaji.to_owned(),
        })
    }

    /// From an override "PREF/MUNI", e.g. "Tokyo-to/Shinagawa-ku" (both parts non-empty, printable ASCII letters, digits, '-', ' ' only; exactly one '/').
    ///
    /// Whitespace around the whole value and around each part is trimmed, so
    /// `" Tokyo-to / Shinagawa-ku "` gives `Tokyo-to` and `Shinagawa-ku`. Each part is at
    /// most [`MAX_OVERRIDE_PART_LEN`] characters.
    pub fn parse_override(s: &str) -> Result<Locality, LocalityError> {
        let mut parts = s.split('/');
        let (prefecture, municipality) = match (parts.next(), parts.next(), parts.next()) {
            (Some(prefecture), Some(municipality), None) => (prefecture, municipality),
            _ => {
                return Err(LocalityError::OverrideSeparator {
                    value: s.to_owned(),
                })
            }
        };
        Ok(Locality {
            prefecture: check_override_part(s, LocalityPart::Prefecture, prefecture)?,
            municipality: check_override_part(s, LocalityPart::Municipality, municipality)?,
        })
    }
}

/// Formats as the override syntax `PREF/MUNI`, which [`Locality::parse_override`] reads back.
impl fmt::Display for Locality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.prefecture, self.municipality)
    }
}

/// Trims one half of an override and checks it is non-empty, allowed and short enough.
fn check_override_part(
    value: &str,
    part: LocalityPart,
    raw: &str,
) -> Result<String, LocalityError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(LocalityError::OverrideEmptyPart {
            value: value.to_owned(),
            part,
        });
    }
    if let Some(character) = text
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == ' '))
    {
        return Err(LocalityError::OverrideInvalidCharacter {
            value: value.to_owned(),
            part,
            character,
        });
    }
    // All characters are ASCII here, so the byte length is the character count.
    if text.len() > MAX_OVERRIDE_PART_LEN {
        return Err(LocalityError::OverridePartTooLong {
            value: value.to_owned(),
            part,
            max: MAX_OVERRIDE_PART_LEN,
        });
    }
    Ok(text.to_owned())
}

/// Drops variation selectors and folds the variant kanji that place names never use.
fn normalize(address: &str) -> String {
    address
        .chars()
        .filter(|&c| !matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'))
        .map(|c| match c {
            '﨑' => '崎',
            '髙' => '高',
            other => other,
        })
        .collect()
}

/// The longest entry whose kanji name starts `text`, if any.
fn longest_prefix_match<'a>(entries: &'a [Municipality], text: &str) -> Option<&'a Municipality> {
    entries
        .iter()
        .filter(|m| text.starts_with(m.kanji))
        .max_by_key(|m| m.kanji.len())
}

/// A municipality of the built-in table.
#[derive(Debug)]
struct Municipality {
    /// Name as written in an address, with its suffix, e.g. `品川区`.
    kanji: &'static str,
    /// Name in romaji as on the certificate, e.g. `Shinagawa-ku`.
    romaji: &'static str,
}

/// A prefecture of the built-in table with the municipalities known in it.
#[derive(Debug)]
struct Prefecture {
    /// Full name as written in an address, e.g. `東京都`.
    kanji: &'static str,
    /// Name in romaji as on the certificate, e.g. `Tokyo-to`.
    romaji: &'static str,
    /// Kanji name of the seat of the prefectural government (one of `municipalities`).
    // Read only by the tests, which build a sample address for every prefecture from it.
    #[cfg_attr(not(test), allow(dead_code))]
    capital: &'static str,
    /// Municipalities recognised in this prefecture.
    municipalities: &'static [Municipality],
}

/// Shorthand for a table row.
const fn m(kanji: &'static str, romaji: &'static str) -> Municipality {
    Municipality { kanji, romaji }
}

/// Shorthand for a prefecture whose only entry is its capital city.
macro_rules! capital_only {
    ($kanji:literal, $romaji:literal, $city:literal, $city_romaji:literal) => {
        Prefecture {
            kanji: $kanji,
            romaji: $romaji,
            capital: $city,
            municipalities: &[m($city, $city_romaji)],
        }
    };
}

/// The built-in table, in JIS X 0401 order (prefecture codes 01 to 47).
///
/// No prefecture name is a prefix of another (checked by a test), so the first match wins.
static PREFECTURES: [Prefecture; 47] = [
    capital_only!("北海道", "Hokkaido", "札幌市", "Sapporo-shi"),
    capital_only!("青森県", "Aomori-ken", "青森市", "Aomori-shi"),
    capital_only!("岩手県", "Iwate-ken", "盛岡市", "Morioka-shi"),
    capital_only!("宮城県", "Miyagi-ken", "仙台市", "Sendai-shi"),
    capital_only!("秋田県", "Akita-ken", "秋田市", "Akita-shi"),
    capital_only!("山形県", "Yamagata-ken", "山形市", "Yamagata-shi"),
    capital_only!("福島県", "Fukushima-ken", "福島市", "Fukushima-shi"),
    capital_only!("茨城県", "Ibaraki-ken", "水戸市", "Mito-shi"),
    capital_only!("栃木県", "Tochigi-ken", "宇都宮市", "Utsunomiya-shi"),
    capital_only!("群馬県", "Gunma-ken", "前橋市", "Maebashi-shi"),
    capital_only!("埼玉県", "Saitama-ken", "さいたま市", "Saitama-shi"),
    capital_only!("千葉県", "Chiba-ken", "千葉市", "Chiba-shi"),
    Prefecture {
        kanji: "東京都",
        romaji: "Tokyo-to",
        capital: "新宿区",
        municipalities: &[
            // The 23 special wards.
            m("千代田区", "Chiyoda-ku"),
            m("中央区", "Chuo-ku"),
            m("港区", "Minato-ku"),
            m("新宿区", "Shinjuku-ku"),
            m("文京区", "Bunkyo-ku"),
            m("台東区", "Taito-ku"),
            m("墨田区", "Sumida-ku"),
            m("江東区", "Koto-ku"),
            m("品川区", "Shinagawa-ku"),
            m("目黒区", "Meguro-ku"),
            m("大田区", "Ota-ku"),
            m("世田谷区", "Setagaya-ku"),
            m("渋谷区", "Shibuya-ku"),
            m("中野区", "Nakano-ku"),
            m("杉並区", "Suginami-ku"),
            m("豊島区", "Toshima-ku"),
            m("北区", "Kita-ku"),
            m("荒川区", "Arakawa-ku"),
            m("板橋区", "Itabashi-ku"),
            m("練馬区", "Nerima-ku"),
            m("足立区", "Adachi-ku"),
            m("葛飾区", "Katsushika-ku"),
            m("江戸川区", "Edogawa-ku"),
            // The larger cities of the Tama area.
            m("八王子市", "Hachioji-shi"),
            m("町田市", "Machida-shi"),
            m("府中市", "Fuchu-shi"),
            m("調布市", "Chofu-shi"),
            m("西東京市", "Nishitokyo-shi"),
            m("小平市", "Kodaira-shi"),
            m("三鷹市", "Mitaka-shi"),
            m("日野市", "Hino-shi"),
            m("立川市", "Tachikawa-shi"),
            m("武蔵野市", "Musashino-shi"),
        ],
    },
    Prefecture {
        kanji: "神奈川県",
        romaji: "Kanagawa-ken",
        capital: "横浜市",
        municipalities: &[
            m("横浜市", "Yokohama-shi"),
            m("川崎市", "Kawasaki-shi"),
            m("相模原市", "Sagamihara-shi"),
        ],
    },
    capital_only!("新潟県", "Niigata-ken", "新潟市", "Niigata-shi"),
    capital_only!("富山県", "Toyama-ken", "富山市", "Toyama-shi"),
    capital_only!("石川県", "Ishikawa-ken", "金沢市", "Kanazawa-shi"),
    capital_only!("福井県", "Fukui-ken", "福井市", "Fukui-shi"),
    capital_only!("山梨県", "Yamanashi-ken", "甲府市", "Kofu-shi"),
    capital_only!("長野県", "Nagano-ken", "長野市", "Nagano-shi"),
    capital_only!("岐阜県", "Gifu-ken", "岐阜市", "Gifu-shi"),
    Prefecture {
        kanji: "静岡県",
        romaji: "Shizuoka-ken",
        capital: "静岡市",
        municipalities: &[m("静岡市", "Shizuoka-shi"), m("浜松市", "Hamamatsu-shi")],
    },
    capital_only!("愛知県", "Aichi-ken", "名古屋市", "Nagoya-shi"),
    capital_only!("三重県", "Mie-ken", "津市", "Tsu-shi"),
    capital_only!("滋賀県", "Shiga-ken", "大津市", "Otsu-shi"),
    capital_only!("京都府", "Kyoto-fu", "京都市", "Kyoto-shi"),
    Prefecture {
        kanji: "大阪府",
        romaji: "Osaka-fu",
        capital: "大阪市",
        municipalities: &[m("大阪市", "Osaka-shi"), m("堺市", "Sakai-shi")],
    },
    capital_only!("兵庫県", "Hyogo-ken", "神戸市", "Kobe-shi"),
    capital_only!("奈良県", "Nara-ken", "奈良市", "Nara-shi"),
    capital_only!("和歌山県", "Wakayama-ken", "和歌山市", "Wakayama-shi"),
    capital_only!("鳥取県", "Tottori-ken", "鳥取市", "Tottori-shi"),
    capital_only!("島根県", "Shimane-ken", "松江市", "Matsue-shi"),
    capital_only!("岡山県", "Okayama-ken", "岡山市", "Okayama-shi"),
    capital_only!("広島県", "Hiroshima-ken", "広島市", "Hiroshima-shi"),
    capital_only!("山口県", "Yamaguchi-ken", "山口市", "Yamaguchi-shi"),
    capital_only!("徳島県", "Tokushima-ken", "徳島市", "Tokushima-shi"),
    capital_only!("香川県", "Kagawa-ken", "高松市", "Takamatsu-shi"),
    capital_only!("愛媛県", "Ehime-ken", "松山市", "Matsuyama-shi"),
    capital_only!("高知県", "Kochi-ken", "高知市", "Kochi-shi"),
    Prefecture {
        kanji: "福岡県",
        romaji: "Fukuoka-ken",
        capital: "福岡市",
        municipalities: &[m("福岡市", "Fukuoka-shi"), m("北九州市", "Kitakyushu-shi")],
    },
    capital_only!("佐賀県", "Saga-ken", "佐賀市", "Saga-shi"),
    capital_only!("長崎県", "Nagasaki-ken", "長崎市", "Nagasaki-shi"),
    capital_only!("熊本県", "Kumamoto-ken", "熊本市", "Kumamoto-shi"),
    capital_only!("大分県", "Oita-ken", "大分市", "Oita-shi"),
    capital_only!("宮崎県", "Miyazaki-ken", "宮崎市", "Miyazaki-shi"),
    capital_only!("鹿児島県", "Kagoshima-ken", "鹿児島市", "Kagoshima-shi"),
    capital_only!("沖縄県", "Okinawa-ken", "那覇市", "Naha-shi"),
];

#[cfg(test)]
mod tests;
