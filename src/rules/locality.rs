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
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn loc(prefecture: &str, municipality: &str) -> Locality {
        Locality {
            prefecture: prefecture.to_owned(),
            municipality: municipality.to_owned(),
        }
    }

    fn resolve(address: &str) -> Locality {
        Locality::from_address(address)
            .unwrap_or_else(|e| panic!("{address} should resolve, got: {e}"))
    }

    // ---- the table itself ----

    #[test]
    fn table_has_47_distinct_prefectures_none_a_prefix_of_another() {
        assert_eq!(PREFECTURES.len(), 47);
        let kanji: HashSet<_> = PREFECTURES.iter().map(|p| p.kanji).collect();
        let romaji: HashSet<_> = PREFECTURES.iter().map(|p| p.romaji).collect();
        assert_eq!(kanji.len(), 47);
        assert_eq!(romaji.len(), 47);
        for a in &PREFECTURES {
            for b in &PREFECTURES {
                if a.kanji != b.kanji {
                    assert!(
                        !b.kanji.starts_with(a.kanji),
                        "{} prefixes {}",
                        a.kanji,
                        b.kanji
                    );
                }
            }
        }
    }

    #[test]
    fn table_entry_count() {
        let municipalities: usize = PREFECTURES.iter().map(|p| p.municipalities.len()).sum();
        assert_eq!(municipalities, 84);
        assert_eq!(PREFECTURES.len() + municipalities, 131);
    }

    #[test]
    fn table_names_are_unique_within_each_prefecture() {
        for p in &PREFECTURES {
            let kanji: HashSet<_> = p.municipalities.iter().map(|m| m.kanji).collect();
            let romaji: HashSet<_> = p.municipalities.iter().map(|m| m.romaji).collect();
            assert_eq!(kanji.len(), p.municipalities.len(), "{}", p.kanji);
            assert_eq!(romaji.len(), p.municipalities.len(), "{}", p.romaji);
        }
    }

    /// The romaji suffix must match the kanji suffix, and the stem must look like plain
    /// Hepburn without macrons: one capital letter, then lowercase ASCII letters.
    #[test]
    fn table_romaji_matches_kanji_suffix_and_shape() {
        fn check_stem(stem: &str, whole: &str) {
            let mut chars = stem.chars();
            let first = chars
                .next()
                .unwrap_or_else(|| panic!("empty stem in {whole}"));
            assert!(first.is_ascii_uppercase(), "{whole}");
            assert!(chars.all(|c| c.is_ascii_lowercase()), "{whole}");
            // Long vowels are written without macrons and without doubling (Hepburn as on
            // JPKI certificates: Tokyo, Kyoto, Otsu, Kitakyushu), so "ou"/"uu"/"oo" would be
            // a wapuro-style slip in this table.
            for long in ["ou", "uu", "oo"] {
                assert!(!stem.contains(long), "{whole} contains {long:?}");
            }
        }
        for p in &PREFECTURES {
            let stem = match p.kanji.chars().last() {
                Some('道') => {
                    assert_eq!(p.romaji, "Hokkaido");
                    p.romaji
                }
                Some('都') => p.romaji.strip_suffix("-to").expect(p.romaji),
                Some('府') => p.romaji.strip_suffix("-fu").expect(p.romaji),
                Some('県') => p.romaji.strip_suffix("-ken").expect(p.romaji),
                other => panic!("unexpected prefecture suffix {other:?} in {}", p.kanji),
            };
            check_stem(stem, p.romaji);
            for mu in p.municipalities {
                let stem = match mu.kanji.chars().last() {
                    Some('市') => mu.romaji.strip_suffix("-shi"),
                    Some('区') => mu.romaji.strip_suffix("-ku"),
                    Some('町') => mu
                        .romaji
                        .strip_suffix("-machi")
                        .or_else(|| mu.romaji.strip_suffix("-cho")),
                    Some('村') => mu
                        .romaji
                        .strip_suffix("-mura")
                        .or_else(|| mu.romaji.strip_suffix("-son")),
                    other => panic!("unexpected municipality suffix {other:?} in {}", mu.kanji),
                }
                .expect(mu.romaji);
                check_stem(stem, mu.romaji);
            }
        }
    }

    #[test]
    fn table_romaji_round_trips_through_the_override_syntax() {
        for p in &PREFECTURES {
            for mu in p.municipalities {
                let expected = loc(p.romaji, mu.romaji);
                assert_eq!(
                    Locality::parse_override(&expected.to_string()),
                    Ok(expected)
                );
            }
        }
    }

    // ---- every prefecture, via its capital ----

    #[test]
    fn every_prefecture_resolves_via_its_capital() {
        for p in &PREFECTURES {
            let capital = p
                .municipalities
                .iter()
                .find(|m| m.kanji == p.capital)
                .unwrap_or_else(|| panic!("capital of {} missing from its entries", p.kanji));
            let address = format!("{}{}本町1-2-3", p.kanji, p.capital);
            assert_eq!(resolve(&address), loc(p.romaji, capital.romaji));
        }
    }

    /// The same 47 cases written out independently of the table, to catch a slip in either.
    #[test]
    fn every_prefectural_capital_written_out() {
        let cases = [
            ("北海道札幌市中央区北3条西6丁目", "Hokkaido", "Sapporo-shi"),
            ("青森県青森市長島1-1-1", "Aomori-ken", "Aomori-shi"),
            ("岩手県盛岡市内丸10-1", "Iwate-ken", "Morioka-shi"),
            ("宮城県仙台市青葉区本町3-8-1", "Miyagi-ken", "Sendai-shi"),
            ("秋田県秋田市山王4-1-1", "Akita-ken", "Akita-shi"),
            ("山形県山形市松波2-8-1", "Yamagata-ken", "Yamagata-shi"),
            ("福島県福島市杉妻町2-16", "Fukushima-ken", "Fukushima-shi"),
            ("茨城県水戸市笠原町978-6", "Ibaraki-ken", "Mito-shi"),
            ("栃木県宇都宮市塙田1-1-20", "Tochigi-ken", "Utsunomiya-shi"),
            ("群馬県前橋市大手町1-1-1", "Gunma-ken", "Maebashi-shi"),
            (
                "埼玉県さいたま市浦和区高砂3-15-1",
                "Saitama-ken",
                "Saitama-shi",
            ),
            ("千葉県千葉市中央区市場町1-1", "Chiba-ken", "Chiba-shi"),
            ("東京都新宿区西新宿2-8-1", "Tokyo-to", "Shinjuku-ku"),
            (
                "神奈川県横浜市中区日本大通1",
                "Kanagawa-ken",
                "Yokohama-shi",
            ),
            ("新潟県新潟市中央区新光町4-1", "Niigata-ken", "Niigata-shi"),
            ("富山県富山市新総曲輪1-7", "Toyama-ken", "Toyama-shi"),
            ("石川県金沢市鞍月1-1", "Ishikawa-ken", "Kanazawa-shi"),
            ("福井県福井市大手3-17-1", "Fukui-ken", "Fukui-shi"),
            ("山梨県甲府市丸の内1-6-1", "Yamanashi-ken", "Kofu-shi"),
            ("長野県長野市南長野字幅下692-2", "Nagano-ken", "Nagano-shi"),
            ("岐阜県岐阜市薮田南2-1-1", "Gifu-ken", "Gifu-shi"),
            ("静岡県静岡市葵区追手町9-6", "Shizuoka-ken", "Shizuoka-shi"),
            ("愛知県名古屋市中区三の丸3-1-2", "Aichi-ken", "Nagoya-shi"),
            ("三重県津市広明町13", "Mie-ken", "Tsu-shi"),
            ("滋賀県大津市京町4-1-1", "Shiga-ken", "Otsu-shi"),
            (
                "京都府京都市上京区下立売通新町西入薮ノ内町",
                "Kyoto-fu",
                "Kyoto-shi",
            ),
            ("大阪府大阪市中央区大手前2", "Osaka-fu", "Osaka-shi"),
            ("兵庫県神戸市中央区下山手通5-10-1", "Hyogo-ken", "Kobe-shi"),
            ("奈良県奈良市登大路町30", "Nara-ken", "Nara-shi"),
            (
                "和歌山県和歌山市小松原通1-1",
                "Wakayama-ken",
                "Wakayama-shi",
            ),
            ("鳥取県鳥取市東町1-220", "Tottori-ken", "Tottori-shi"),
            ("島根県松江市殿町1", "Shimane-ken", "Matsue-shi"),
            ("岡山県岡山市北区内山下2-4-6", "Okayama-ken", "Okayama-shi"),
            (
                "広島県広島市中区基町10-52",
                "Hiroshima-ken",
                "Hiroshima-shi",
            ),
            ("山口県山口市滝町1-1", "Yamaguchi-ken", "Yamaguchi-shi"),
            ("徳島県徳島市万代町1-1", "Tokushima-ken", "Tokushima-shi"),
            ("香川県高松市番町4-1-10", "Kagawa-ken", "Takamatsu-shi"),
            ("愛媛県松山市一番町4-4-2", "Ehime-ken", "Matsuyama-shi"),
            ("高知県高知市丸ノ内1-2-20", "Kochi-ken", "Kochi-shi"),
            ("福岡県福岡市博多区東公園7-7", "Fukuoka-ken", "Fukuoka-shi"),
            ("佐賀県佐賀市城内1-1-59", "Saga-ken", "Saga-shi"),
            ("長崎県長崎市尾上町3-1", "Nagasaki-ken", "Nagasaki-shi"),
            (
                "熊本県熊本市中央区水前寺6-18-1",
                "Kumamoto-ken",
                "Kumamoto-shi",
            ),
            ("大分県大分市大手町3-1-1", "Oita-ken", "Oita-shi"),
            ("宮崎県宮崎市橘通東2-10-1", "Miyazaki-ken", "Miyazaki-shi"),
            (
                "鹿児島県鹿児島市鴨池新町10-1",
                "Kagoshima-ken",
                "Kagoshima-shi",
            ),
            ("沖縄県那覇市泉崎1-2-2", "Okinawa-ken", "Naha-shi"),
        ];
        assert_eq!(cases.len(), 47);
        let prefectures: HashSet<_> = cases.iter().map(|c| c.1).collect();
        assert_eq!(prefectures.len(), 47);
        for (address, prefecture, municipality) in cases {
            assert_eq!(resolve(address), loc(prefecture, municipality), "{address}");
        }
    }

    // ---- Tokyo ----

    #[test]
    fn all_23_special_wards() {
        let wards = [
            ("千代田区", "Chiyoda-ku"),
            ("中央区", "Chuo-ku"),
            ("港区", "Minato-ku"),
            ("新宿区", "Shinjuku-ku"),
            ("文京区", "Bunkyo-ku"),
            ("台東区", "Taito-ku"),
            ("墨田区", "Sumida-ku"),
            ("江東区", "Koto-ku"),
            ("品川区", "Shinagawa-ku"),
            ("目黒区", "Meguro-ku"),
            ("大田区", "Ota-ku"),
            ("世田谷区", "Setagaya-ku"),
            ("渋谷区", "Shibuya-ku"),
            ("中野区", "Nakano-ku"),
            ("杉並区", "Suginami-ku"),
            ("豊島区", "Toshima-ku"),
            ("北区", "Kita-ku"),
            ("荒川区", "Arakawa-ku"),
            ("板橋区", "Itabashi-ku"),
            ("練馬区", "Nerima-ku"),
            ("足立区", "Adachi-ku"),
            ("葛飾区", "Katsushika-ku"),
            ("江戸川区", "Edogawa-ku"),
        ];
        assert_eq!(wards.len(), 23);
        for (kanji, romaji) in wards {
            let address = format!("東京都{kanji}1丁目2番3号");
            assert_eq!(resolve(&address), loc("Tokyo-to", romaji));
        }
        let tokyo = PREFECTURES
            .iter()
            .find(|p| p.kanji == "東京都")
            .expect("Tokyo in table");
        let table_wards = tokyo
            .municipalities
            .iter()
            .filter(|m| m.kanji.ends_with('区'));
        assert_eq!(table_wards.count(), 23);
    }

    #[test]
    fn tokyo_cities() {
        let cases = [
            ("東京都八王子市元本郷町3-24-1", "Hachioji-shi"),
            ("東京都町田市森野2-2-22", "Machida-shi"),
            ("東京都府中市宮西町2-24", "Fuchu-shi"),
            ("東京都調布市小島町2-35-1", "Chofu-shi"),
            ("東京都武蔵野市緑町2-2-28", "Musashino-shi"),
            ("東京都三鷹市野崎1-1-1", "Mitaka-shi"),
            ("東京都立川市泉町1156-9", "Tachikawa-shi"),
            ("東京都西東京市南町5-6-13", "Nishitokyo-shi"),
            ("東京都小平市小川町2-1333", "Kodaira-shi"),
            ("東京都日野市神明1-12-1", "Hino-shi"),
        ];
        for (address, municipality) in cases {
            assert_eq!(resolve(address), loc("Tokyo-to", municipality));
        }
    }

    #[test]
    fn shinagawa_example_from_the_spec() {
        assert_eq!(
            resolve("東京都品川区広町2-1-36"),
            loc("Tokyo-to", "Shinagawa-ku")
        );
    }

    // ---- designated cities: the city, not the ward ----

    #[test]
    fn designated_cities_with_a_ward_resolve_to_the_city() {
        let cases = [
            ("北海道札幌市中央区北1条西2丁目", "Hokkaido", "Sapporo-shi"),
            ("宮城県仙台市青葉区国分町3-7-1", "Miyagi-ken", "Sendai-shi"),
            (
                "埼玉県さいたま市浦和区常盤6-4-4",
                "Saitama-ken",
                "Saitama-shi",
            ),
            ("千葉県千葉市中央区千葉港1-1", "Chiba-ken", "Chiba-shi"),
            (
                "神奈川県横浜市中区本町6-50-10",
                "Kanagawa-ken",
                "Yokohama-shi",
            ),
            (
                "神奈川県川崎市川崎区宮本町1",
                "Kanagawa-ken",
                "Kawasaki-shi",
            ),
            (
                "神奈川県相模原市中央区中央2-11-15",
                "Kanagawa-ken",
                "Sagamihara-shi",
            ),
            (
                "新潟県新潟市中央区学校町通1番町602-1",
                "Niigata-ken",
                "Niigata-shi",
            ),
            ("静岡県静岡市葵区追手町5-1", "Shizuoka-ken", "Shizuoka-shi"),
            (
                "静岡県浜松市中央区元城町103-2",
                "Shizuoka-ken",
                "Hamamatsu-shi",
            ),
            ("愛知県名古屋市中区三の丸3-1-1", "Aichi-ken", "Nagoya-shi"),
            (
                "京都府京都市中京区寺町通御池上る上本能寺前町488",
                "Kyoto-fu",
                "Kyoto-shi",
            ),
            ("大阪府大阪市北区梅田1", "Osaka-fu", "Osaka-shi"),
            ("大阪府堺市堺区南瓦町3-1", "Osaka-fu", "Sakai-shi"),
            ("兵庫県神戸市中央区加納町6-5-1", "Hyogo-ken", "Kobe-shi"),
            ("岡山県岡山市北区大供1-1-1", "Okayama-ken", "Okayama-shi"),
            (
                "広島県広島市中区国泰寺町1-6-34",
                "Hiroshima-ken",
                "Hiroshima-shi",
            ),
            (
                "福岡県北九州市小倉北区城内1-1",
                "Fukuoka-ken",
                "Kitakyushu-shi",
            ),
            ("福岡県福岡市中央区天神1-8-1", "Fukuoka-ken", "Fukuoka-shi"),
            (
                "熊本県熊本市中央区手取本町1-1",
                "Kumamoto-ken",
                "Kumamoto-shi",
            ),
        ];
        assert_eq!(cases.len(), 20);
        let cities: HashSet<_> = cases.iter().map(|c| c.2).collect();
        assert_eq!(cities.len(), 20);
        for (address, prefecture, municipality) in cases {
            assert_eq!(resolve(address), loc(prefecture, municipality), "{address}");
        }
    }

    // ---- matching rules ----

    #[test]
    fn kyoto_and_tokyo_are_not_confused() {
        assert_eq!(resolve("京都府京都市左京区"), loc("Kyoto-fu", "Kyoto-shi"));
        assert_eq!(
            resolve("東京都港区芝公園4-2-8"),
            loc("Tokyo-to", "Minato-ku")
        );
        // Each prefecture only knows its own municipalities.
        assert_eq!(
            Locality::from_address("東京都京都市"),
            Err(LocalityError::UnknownMunicipality {
                address: "東京都京都市".to_owned(),
                prefecture: "Tokyo-to".to_owned(),
            })
        );
        assert_eq!(
            Locality::from_address("京都府港区"),
            Err(LocalityError::UnknownMunicipality {
                address: "京都府港区".to_owned(),
                prefecture: "Kyoto-fu".to_owned(),
            })
        );
        // "京都" without its suffix is not a prefecture, nor is "東京".
        assert!(matches!(
            Locality::from_address("京都市中京区"),
            Err(LocalityError::UnknownPrefecture { .. })
        ));
        assert!(matches!(
            Locality::from_address("東京品川区"),
            Err(LocalityError::UnknownPrefecture { .. })
        ));
    }

    #[test]
    fn same_city_name_in_another_prefecture_is_not_in_the_table() {
        assert_eq!(
            resolve("東京都府中市宮西町2-24"),
            loc("Tokyo-to", "Fuchu-shi")
        );
        let err = Locality::from_address("広島県府中市府川町315").unwrap_err();
        assert_eq!(
            err,
            LocalityError::UnknownMunicipality {
                address: "広島県府中市府川町315".to_owned(),
                prefecture: "Hiroshima-ken".to_owned(),
            }
        );
        // A longer name that merely starts like a known city is not that city.
        assert!(matches!(
            Locality::from_address("大阪府大阪狭山市狭山1-2384-1"),
            Err(LocalityError::UnknownMunicipality { .. })
        ));
    }

    #[test]
    fn longest_entry_wins() {
        let entries = [
            m("府中", "Fuchu"),
            m("府中市", "Fuchu-shi"),
            m("中", "Naka"),
        ];
        let hit = longest_prefix_match(&entries, "府中市宮西町").map(|m| m.romaji);
        assert_eq!(hit, Some("Fuchu-shi"));
        let hit = longest_prefix_match(&entries, "府中町").map(|m| m.romaji);
        assert_eq!(hit, Some("Fuchu"));
        assert!(longest_prefix_match(&entries, "港区").is_none());
    }

    #[test]
    fn whitespace_and_full_width_are_accepted() {
        let expected = loc("Tokyo-to", "Shinagawa-ku");
        assert_eq!(resolve("  東京都品川区広町2-1-36\n"), expected);
        assert_eq!(
            resolve("\u{3000}東京都品川区広町２－１－３６\u{3000}"),
            expected
        );
        assert_eq!(resolve("東京都　品川区広町２丁目１番３６号"), expected);
        assert_eq!(resolve("東京都 品川区"), expected);
    }

    #[test]
    fn variation_selectors_and_variant_kanji_are_tolerated() {
        assert_eq!(
            resolve("東京都葛\u{E0100}飾区立石5-13-1"),
            loc("Tokyo-to", "Katsushika-ku")
        );
        assert_eq!(
            resolve("長﨑県長﨑市尾上町3-1"),
            loc("Nagasaki-ken", "Nagasaki-shi")
        );
        assert_eq!(
            resolve("髙知県髙知市丸ノ内1-2-20"),
            loc("Kochi-ken", "Kochi-shi")
        );
        // The error still quotes the address as given.
        assert_eq!(
            Locality::from_address("長﨑県佐世保市"),
            Err(LocalityError::UnknownMunicipality {
                address: "長﨑県佐世保市".to_owned(),
                prefecture: "Nagasaki-ken".to_owned(),
            })
        );
    }

    // ---- address errors ----

    #[test]
    fn unknown_municipality_error_names_the_option() {
        let err = Locality::from_address(" 広島県府中市府川町315 ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot derive the municipality from address \"広島県府中市府川町315\": not in the \
             built-in table for Hiroshima-ken; give it with --locality PREF/MUNI \
             (e.g. Tokyo-to/Shinagawa-ku)"
        );
        let err = Locality::from_address("北海道虻田郡ニセコ町").unwrap_err();
        assert!(err.to_string().contains("--locality PREF/MUNI"), "{err}");
    }

    #[test]
    fn unknown_prefecture_error_names_the_option() {
        for address in [
            "品川区広町2-1-36",
            "Tokyo-to Shinagawa-ku",
            "東京品川区",
            "ハワイ州",
        ] {
            let err = Locality::from_address(address).unwrap_err();
            assert_eq!(
                err,
                LocalityError::UnknownPrefecture {
                    address: address.to_owned()
                }
            );
            let message = err.to_string();
            assert!(message.contains("--locality PREF/MUNI"), "{message}");
            assert!(message.contains(address), "{message}");
        }
    }

    #[test]
    fn empty_address_error_names_the_option() {
        for address in ["", "   ", "\u{3000}\u{3000}"] {
            let err = Locality::from_address(address).unwrap_err();
            assert_eq!(err, LocalityError::EmptyAddress);
            assert!(err.to_string().contains("--locality PREF/MUNI"));
        }
    }

    // ---- overrides ----

    #[test]
    fn parse_override_valid() {
        let cases = [
            ("Tokyo-to/Shinagawa-ku", "Tokyo-to", "Shinagawa-ku"),
            ("Hiroshima-ken/Fuchu-shi", "Hiroshima-ken", "Fuchu-shi"),
            (" Hokkaido / Niseko-cho ", "Hokkaido", "Niseko-cho"),
            (
                "Kanagawa-ken/Yokohama-shi Naka-ku",
                "Kanagawa-ken",
                "Yokohama-shi Naka-ku",
            ),
            ("Area 51/Zone 9", "Area 51", "Zone 9"),
        ];
        for (input, prefecture, municipality) in cases {
            assert_eq!(
                Locality::parse_override(input),
                Ok(loc(prefecture, municipality))
            );
        }
    }

    #[test]
    fn parse_override_separator_errors() {
        for input in [
            "Tokyo-to",
            "Tokyo-to Shinagawa-ku",
            "Tokyo-to/Shinagawa-ku/Hiromachi",
            "//",
            "",
        ] {
            let err = Locality::parse_override(input).unwrap_err();
            assert_eq!(
                err,
                LocalityError::OverrideSeparator {
                    value: input.to_owned()
                }
            );
            assert!(err.to_string().contains("--locality"), "{err}");
        }
    }

    #[test]
    fn parse_override_empty_part_errors() {
        let cases = [
            ("/Shinagawa-ku", LocalityPart::Prefecture),
            ("Tokyo-to/", LocalityPart::Municipality),
            ("  / Shinagawa-ku", LocalityPart::Prefecture),
            ("/", LocalityPart::Prefecture),
        ];
        for (input, part) in cases {
            let err = Locality::parse_override(input).unwrap_err();
            assert_eq!(
                err,
                LocalityError::OverrideEmptyPart {
                    value: input.to_owned(),
                    part
                }
            );
            let message = err.to_string();
            assert!(message.contains("--locality"), "{message}");
            assert!(
                message.contains(&format!("the {part} is empty")),
                "{message}"
            );
        }
    }

    #[test]
    fn parse_override_rejects_non_ascii_and_punctuation() {
        let cases = [
            ("東京都/品川区", LocalityPart::Prefecture, '東'),
            ("Tokyo-to/品川区", LocalityPart::Municipality, '品'),
            ("Tōkyō-to/Shinagawa-ku", LocalityPart::Prefecture, 'ō'),
            ("Ｔｏｋｙｏ-to/Shinagawa-ku", LocalityPart::Prefecture, 'Ｔ'),
            ("Tokyo-to/Shinagawa_ku", LocalityPart::Municipality, '_'),
            ("Tokyo-to/Shinagawa,ku", LocalityPart::Municipality, ','),
            ("Tokyo\tto/Shinagawa-ku", LocalityPart::Prefecture, '\t'),
            (
                "Tokyo-to/Shinagawa\u{3000}ku",
                LocalityPart::Municipality,
                '\u{3000}',
            ),
        ];
        for (input, part, character) in cases {
            let err = Locality::parse_override(input).unwrap_err();
            assert_eq!(
                err,
                LocalityError::OverrideInvalidCharacter {
                    value: input.to_owned(),
                    part,
                    character
                }
            );
            assert!(err.to_string().contains("--locality"), "{err}");
        }
    }

    #[test]
    fn parse_override_length_limit() {
        let longest = "a".repeat(MAX_OVERRIDE_PART_LEN);
        let input = format!("{longest}/{longest}");
        assert_eq!(
            Locality::parse_override(&input),
            Ok(loc(&longest, &longest))
        );

        let too_long = "a".repeat(MAX_OVERRIDE_PART_LEN + 1);
        let input = format!("Tokyo-to/{too_long}");
        let err = Locality::parse_override(&input).unwrap_err();
        assert_eq!(
            err,
            LocalityError::OverridePartTooLong {
                value: input.clone(),
                part: LocalityPart::Municipality,
                max: MAX_OVERRIDE_PART_LEN
            }
        );
        assert!(err.to_string().contains("--locality"));
    }

    #[test]
    fn display_is_the_override_syntax() {
        let locality = resolve("東京都品川区広町2-1-36");
        assert_eq!(locality.to_string(), "Tokyo-to/Shinagawa-ku");
        assert_eq!(
            Locality::parse_override(&locality.to_string()),
            Ok(locality)
        );
    }
}
