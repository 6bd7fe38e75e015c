#!/usr/bin/env bash
# Regenerates the committed seed corpora in fuzz/corpus/<target>/.
#
# The OCSP requests are made by `openssl ocsp -reqout` against a state built exactly
# like the fuzz harness's (fuzz/src/lib.rs: the same key seed, frozen clock, P-256
# configuration, cards and revocation), so their CertIDs name the harness's CAs and
# certificates and the fuzzer starts on the signing path (good, revoked, unknown)
# rather than at "unauthorized". Nonce requests differ on every run (openssl picks the
# nonce); everything else is byte-identical.
#
# Needs a built jpki-mock (JPKI_MOCK, default: cargo build --release) and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ -n "${JPKI_MOCK:-}" ]; then
  bin=$JPKI_MOCK
else
  timeout 1200 cargo build --quiet --release
  bin=$root/target/release/jpki-mock
fi
corpus=$root/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The harness's constants (fuzz/src/lib.rs: SEED, NOW, BASE_URL, config_text()).
seed=jpki-mock-fuzz
now=2024-04-01T10:00:00+09:00
base=http://127.0.0.1:8080
sed 's/^key_alg = "rsa2048"/key_alg = "p256"/' config/jpki-mock.toml >"$work/config.toml"
grep -q '^key_alg = "p256"' "$work/config.toml" || { echo "make-seeds: key_alg line not found in config/jpki-mock.toml" >&2; exit 1; }
m=("$bin" --state "$work/state" --config "$work/config.toml" --seed "$seed" --now "$now")

"${m[@]}" init --base-url "$base" >/dev/null
i=0
for name in "山田 太郎" "佐藤 花子" "鈴木 一郎"; do
  i=$((i + 1))
  "${m[@]}" issue --name "$name" --birth 1990-10-01 --gender male --address "東京都品川区広町2-1-36" \
    --sign-pin ABC123 --auth-pin 1234 --key-alg p256 --out "$work/card$i" >/dev/null
done
"${m[@]}" revoke --card 2 --cause leak >/dev/null
for kind in sign auth; do "${m[@]}" ca "$kind" --pem --out "$work/ca-$kind.pem"; done

mkdir -p "$corpus"/{ocsp_request,ocsp_http,admin_json,config_toml}
rm -f "$corpus"/ocsp_request/* "$corpus"/ocsp_http/* "$corpus"/admin_json/* "$corpus"/config_toml/*

# ocsp_request: DER requests.
req() { # name, then openssl ocsp options
  local name=$1; shift
  openssl ocsp "$@" -reqout "$corpus/ocsp_request/$name.der" >/dev/null
}
for kind in sign auth; do
  ca=$work/ca-$kind.pem
  req "good-$kind-sha1-nonce" -issuer "$ca" -cert "$work/card1/$kind.pem"
  req "good-$kind-sha1-no-nonce" -issuer "$ca" -cert "$work/card1/$kind.pem" -no_nonce
  req "good-$kind-sha256-no-nonce" -issuer "$ca" -sha256 -cert "$work/card1/$kind.pem" -no_nonce
  req "revoked-$kind-sha256-nonce" -issuer "$ca" -sha256 -cert "$work/card2/$kind.pem"
  req "two-certs-$kind-no-nonce" -issuer "$ca" -cert "$work/card1/$kind.pem" -cert "$work/card3/$kind.pem" -no_nonce
  req "unknown-serial-$kind-no-nonce" -issuer "$ca" -serial 0x7ffffff0 -no_nonce
done
# Another issuer (not ours: unauthorized), and a serial too long for the mock.
req "foreign-issuer" -issuer "$work/card1/sign.pem" -cert "$work/card3/auth.pem" -no_nonce
req "long-serial" -issuer "$work/ca-sign.pem" -serial 0x0102030405060708090a0b0c0d0e0f -no_nonce
printf '' >"$corpus/ocsp_request/empty"
printf '\x30\x00' >"$corpus/ocsp_request/empty-sequence.der"

# ocsp_http: selector byte + payload (see fuzz_targets/ocsp_http.rs).
for f in "$corpus"/ocsp_request/*.der; do
  b=$(basename "$f" .der)
  # GET /ocsp/sign|auth/<base64>, standard alphabet (selector 0b0100 + endpoint).
  case $b in *-sign-*) ep=1 ;; *-auth-*) ep=2 ;; *) ep=0 ;; esac
  { printf "\\x$(printf %02x $((4 + ep)))"; cat "$f"; } >"$corpus/ocsp_http/get-b64-$b"
done
for b in good-sign-sha1-no-nonce revoked-auth-sha256-nonce two-certs-auth-no-nonce; do
  f=$corpus/ocsp_request/$b.der
  { printf '\x08'; cat "$f"; } >"$corpus/ocsp_http/get-shared-b64url-$b"       # /ocsp/, base64url
  { printf '\x0c'; cat "$f"; } >"$corpus/ocsp_http/get-shared-b64-escaped-$b"  # /ocsp/, %-escaped
  { printf '\x10'; cat "$f"; } >"$corpus/ocsp_http/post-shared-$b"             # POST /ocsp
  { printf '\x11'; cat "$f"; } >"$corpus/ocsp_http/post-sign-$b"               # POST /ocsp/sign
done
# Verbatim paths: a raw escaped request as a client would send it, odd forms, and
# arbitrary GET paths anywhere in the router.
{ printf '\x01'; base64 -w0 "$corpus/ocsp_request/good-sign-sha1-no-nonce.der" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g'; } \
  >"$corpus/ocsp_http/get-verbatim-escaped"
{ printf '\x01'; base64 -w0 "$corpus/ocsp_request/good-sign-sha1-no-nonce.der" | sed 's/=/%3d/g'; } \
  >"$corpus/ocsp_http/get-verbatim-slashes"
printf '\x00%%%%zz' >"$corpus/ocsp_http/get-verbatim-bad-escape"
printf '\x00%%E3%%81' >"$corpus/ocsp_http/get-verbatim-bad-utf8"
printf '\x03crl/sign.crl' >"$corpus/ocsp_http/path-crl"
printf '\x03ca/auth.pem' >"$corpus/ocsp_http/path-ca"
printf '\x03api/v1/cards/1' >"$corpus/ocsp_http/path-card"
printf '\x03api/v1/certs/0x01000005' >"$corpus/ocsp_http/path-cert"
printf '\x03api/v1/notices?on=2029-07-01' >"$corpus/ocsp_http/path-notices"
printf '\x03metrics' >"$corpus/ocsp_http/path-metrics"

# admin_json: route byte, card byte, JSON body (see fuzz_targets/admin_json.rs).
j() { # name route card json
  { printf "\\x$(printf %02x "$2")\\x$(printf %02x "$3")"; printf '%s' "$4"; } >"$corpus/admin_json/$1"
}
j card-full 0 0 '{"name": "山田 太郎", "birth": "1990-10-01", "gender": "male", "address": "東京都品川区広町2-1-36", "sign_pin": "ABC123", "auth_pin": "1234", "key_alg": "p256"}'
j card-locality 0 0 '{"name": "ＳＭＩＴＨ　ＪＯＨＮ", "birth": "2012-02-29", "gender": "unknown", "address": "大阪府大阪市北区梅田1-1-3", "locality": "Osaka-fu/Osaka-shi", "issued_on": "2024-03-01", "only": "auth", "force_sign": true, "key_alg": "p256"}'
j card-minor-sign 0 0 '{"name": "佐藤 花子", "birth": "2015-06-30", "gender": "female", "address": "北海道札幌市中央区北1条西2丁目", "card_expiry": "2029-06-30", "force_sign": true, "key_alg": "p256"}'
j card-unknown-field 0 0 '{"name": "a b", "birth": "1990-01-01", "gender": "male", "address": "x", "colour": 1}'
j card-empty 0 0 ''
j event-leak 1 1 '{"cause": "leak"}'
j event-lost-at 1 3 '{"cause": "lost", "at": "2024-03-31T12:00:00+09:00"}'
j event-stop-sign 1 1 '{"cause": "stop", "certs": ["sign"]}'
j event-exofficio-auth 1 4 '{"cause": "ex_officio", "certs": ["auth", "sign"], "at": "2024-04-01"}'
j event-bad-cause 1 1 '{"cause": "volcano"}'
j event-wrong-type 1 1 '{"cause": 7, "certs": "sign"}'
j renew 2 1 '{}'
j renew-sign 2 3 '{"certs": ["sign"]}'
j reissue 3 3 ''
j sign 4 3 '{"pin": "ABC123", "data_base64": "aGVsbG8="}'
j sign-wrong-pin 4 3 '{"pin": "ZZZ999", "data_base64": "aGVsbG8="}'
j authenticate 5 3 '{"pin": "1234", "data_base64": "aGVsbG8="}'
j pin-reset 6 3 '{"kind": "auth", "new_pin": "1111"}'
j clock-now 7 0 '{"now": "2025-08-01T00:00:00Z"}'
j clock-offset 7 0 '{"offset_seconds": -86400}'
j deep-nesting 1 1 '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'
j big-number 7 0 '{"offset_seconds": 9223372036854775807}'

# config_toml: the committed default, the fuzz configuration, and small variants.
cp config/jpki-mock.toml "$corpus/config_toml/default.toml"
cp "$work/config.toml" "$corpus/config_toml/p256.toml"
printf '' >"$corpus/config_toml/empty.toml"
cat >"$corpus/config_toml/overrides.toml" <<'EOF'
[profile]
org = "JPKI"
key_alg = "p256"
ca_validity_years = 1
[validity]
feb29 = "mar1"
[server]
listen = "[::1]:0"
base_url = "https://ca.example.test/jpki/"
admin_token = "secret"
[crl]
backdate_seconds = 0
next_update_seconds = 60
[ocsp]
validity_seconds = 1
responder_id = "by_name"
[reasons]
leak = "superseded"
EOF
cat >"$corpus/config_toml/bad-values.toml" <<'EOF'
[profile]
sign_policy_oid = "1.2.x"
key_alg = "ed25519"
[validity]
cert_birthdays = 0
adult_age = 4294967295
[reasons]
volcano = "keyCompromise"
EOF

for t in ocsp_request ocsp_http admin_json config_toml; do
  echo "make-seeds: $t: $(ls "$corpus/$t" | wc -l) seeds"
done
