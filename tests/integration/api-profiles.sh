#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The API resources of the supervisors' and DSI's pages (docs/network-api.md,
# "Added resources"), over the Unix socket with curl:
# - /v1/profiles: a valid and a tampered profile listed with the reason; an
#   upload (OpenSSL and minisign signatures) verified then installed; a
#   tampered, unsigned or expired upload refused (422) with nothing
#   installed; the default profile per target set, refused, cleared;
# - a bay with Profile=default: no laptop default chosen, the imaging fails
#   with the reason and the erasure certificate stays valid; with a desktop
#   default, the imaging uses that profile;
# - /v1/certificates?q= by serial, asset tag, donor reference, organisation
#   (any case, accents too), wildcards taken literally;
# - the certificate PDF and the donation PDF;
# - /v1/ledger/check: ok, then ok:false on a copy of the state whose
#   database was rewritten behind the daemon's back.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
# shellcheck source=tests/lib/image.sh
source "$(dirname "$TESTLIB")/image.sh"
require_all
require_cmds curl pdftotext sqlite3 minisign base64

PROF=$RF_TMP/profiles
TRUST=$RF_TMP/trusted-keys
mkdir -p "$PROF" "$TRUST" "$RF_TMP/src"
rf_test_key "$RF_TMP/test-dsi.key" || fail "cannot make the test key"
cp "$RF_TMP/test-dsi.pub.pem" "$TRUST/test-dsi.pem"
minisign -G -W -p "$TRUST/dsi-minisign.pub" -s "$RF_TMP/dsi-minisign.key" </dev/null >/dev/null

# profile NAME VERSION [EXPIRES] [TARGET] > FILE
profile() {
        cat <<EOF
[Profile]
Name=$1
Version=$2
Description=Poste de classe « $1 » : LibreOffice, navigateur
Target=${4:-any}
MinimumDiskSize=16G
Expires=${3:-2099-12-31}

[Image]
Location=$1.img
SHA256=$(printf '%s' "$1" | sha256sum | cut -c1-64)
Compression=none
Bmap=$1.img.bmap
BmapSHA256=$(printf '%s.bmap' "$1" | sha256sum | cut -c1-64)

[Software]
Require=libreoffice
Require=evince | atril | okular

[Browser]
DefaultSearchEngine=Qwant
EOF
}
sign() { openssl pkeyutl -sign -rawin -inkey "$RF_TMP/test-dsi.key" -in "$1" -out "$1.sig"; }

profile classe-a 2026.11.1 >"$PROF/classe-a.profile"
sign "$PROF/classe-a.profile"
profile classe-b 2026.11.1 >"$PROF/classe-b.profile"
sign "$PROF/classe-b.profile"
sed -i 's/^Version=.*/Version=2026.11.2/' "$PROF/classe-b.profile" # changed after signing

new_loop_node BAY
{
        config_header sample
        config_bay baie-img "$BAY" confirm
        printf 'Profile=default\n\n[Image]\nProfileDirectory=%s\nTrustedKeysDirectory=%s\n' "$PROF" "$TRUST"
} >"$RF_TMP/refurbd.conf"
start_daemon "$RF_TMP/refurbd.conf"
pass "refurbd accepts Profile=default"

# api METHOD PATH [BODY_FILE]: API_STATUS, API_BODY.
api() {
        local args=(-s -o "$RF_TMP/api.body" -w '%{http_code}' --unix-socket "$RF_SOCKET"
                -X "$1")
        [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$3")
        API_STATUS=$(curl "${args[@]}" "http://localhost$2") || fail "curl $1 $2 failed"
        API_BODY=$(<"$RF_TMP/api.body")
}
# body FILE JQ-ARGS... : writes the JSON document built by jq -n into FILE.
body() { local f=$1; shift; jq -n "$@" >"$f"; }
jqb() { jq -r "$1" <<<"$API_BODY"; }

check "GET /v1/profiles: one valid, one tampered with the reason"
api GET /v1/profiles
assert_eq "$API_STATUS" 200 "status"
assert_eq "$(jqb '.profiles | map(.name) | join(",")')" "classe-a,classe-b" "both listed, in name order"
assert_eq "$(jqb '.profiles[0].valid')" true "classe-a valid"
assert_eq "$(jqb '.profiles[0].version')" 2026.11.1 "classe-a version"
assert_eq "$(jqb '.profiles[0].signer')" test-dsi.pem "classe-a signer key file"
assert_eq "$(jqb '.profiles[0].requires | join(";")')" "libreoffice;evince | atril | okular" "classe-a requires"
assert_eq "$(jqb '.profiles[0].min_disk_bytes')" $((16 << 30)) "classe-a min_disk_bytes"
assert_eq "$(jqb '.profiles[1].valid')" false "classe-b invalid"
assert_contains "$(jqb '.profiles[1].error_fr')" "signature invalide" "classe-b: French reason"
assert_contains "$(jqb '.profiles[1].error_en')" "invalid signature" "classe-b: English reason"
assert_eq "$(jqb '.profiles[1].version')" null "nothing shown of an unverified profile"
assert_eq "$(jqb '.defaults | [.desktop, .laptop] | map(tostring) | join(",")')" "null,null" "no defaults yet"
api GET /v1/profiles/classe-a
assert_eq "$API_STATUS" 200 "GET one"
assert_eq "$(jqb .profile.name)" classe-a "GET one: name"
api GET /v1/profiles/absent
assert_eq "$API_STATUS" 404 "GET an absent profile"
api DELETE /v1/profiles/classe-a
assert_eq "$API_STATUS" 405 "DELETE is not allowed"

check "POST /v1/profiles: a valid upload is installed"
profile classe-c 2026.12.1 >"$RF_TMP/src/classe-c.profile"
sign "$RF_TMP/src/classe-c.profile"
body "$RF_TMP/up.json" --rawfile p "$RF_TMP/src/classe-c.profile" \
        --arg s "$(base64 "$RF_TMP/src/classe-c.profile.sig")" \
        '{name: "classe-c", profile: $p, signature: $s, signature_format: "openssl"}'
api POST /v1/profiles "$RF_TMP/up.json"
assert_eq "$API_STATUS" 201 "status"
assert_eq "$(jqb '.profile.valid')" true "answered valid"
assert_eq "$(jqb '.profile.version')" 2026.12.1 "answered version"
cmp -s "$RF_TMP/src/classe-c.profile" "$PROF/classe-c.profile" || fail "classe-c.profile not installed as sent"
cmp -s "$RF_TMP/src/classe-c.profile.sig" "$PROF/classe-c.profile.sig" || fail "classe-c.profile.sig not installed as sent"
pass "profile and signature installed byte for byte"
openssl pkeyutl -verify -rawin -pubin -inkey "$TRUST/test-dsi.pem" -in "$PROF/classe-c.profile" \
        -sigfile "$PROF/classe-c.profile.sig" >/dev/null || fail "installed signature does not verify with openssl"
pass "the installed pair verifies with openssl pkeyutl"
assert_eq "$(find "$RF_STATE" -maxdepth 1 -name 'profile-upload.*' | wc -l)" 0 "no private folder left"

check "POST /v1/profiles: a minisign signature, replacing the OpenSSL one"
profile classe-c 2026.12.2 >"$RF_TMP/src/classe-c.profile"
minisign -S -s "$RF_TMP/dsi-minisign.key" -m "$RF_TMP/src/classe-c.profile" </dev/null >/dev/null
body "$RF_TMP/up.json" --rawfile p "$RF_TMP/src/classe-c.profile" --rawfile s "$RF_TMP/src/classe-c.profile.minisig" \
        '{name: "classe-c", profile: $p, signature: $s, signature_format: "minisign"}'
api POST /v1/profiles "$RF_TMP/up.json"
assert_eq "$API_STATUS" 201 "status"
assert_eq "$(jqb '.profile.version + " " + .profile.signature_format')" "2026.12.2 minisign" "new version, minisign"
[[ -f $PROF/classe-c.profile.minisig && ! -e $PROF/classe-c.profile.sig ]] ||
        fail "expected classe-c.profile.minisig and no stale .sig: $(ls "$PROF")"
pass "the earlier OpenSSL signature is gone"

# refused NAME WHAT NEEDLE: the upload in up.json is refused (422) and nothing of NAME appears.
refused() {
        local before
        before=$(ls -l --time-style=+%s.%N "$PROF" | sha256sum)
        api POST /v1/profiles "$RF_TMP/up.json"
        assert_eq "$API_STATUS" 422 "$2: status"
        assert_eq "$(jqb .error.code)" invalid-profile "$2: error code"
        assert_contains "$(jqb .error.message_fr)" "$3" "$2: reason"
        assert_ne "$(jqb .error.message_en)" null "$2: English reason"
        assert_not_contains "$(jqb .error.message_fr)" "profile-upload." "$2: no private path in the reason"
        assert_eq "$(ls -l --time-style=+%s.%N "$PROF" | sha256sum)" "$before" "$2: ProfileDirectory unchanged (ls -l digest)"
        [[ ! -e $PROF/$1.profile ]] || fail "$2: $1.profile installed"
        assert_eq "$(find "$RF_STATE" -maxdepth 1 -name 'profile-upload.*' | wc -l)" 0 "$2: no private folder left"
}

check "POST /v1/profiles: tampered, unsigned, expired, untrusted are refused, nothing installed"
profile classe-d 2026.12.1 >"$RF_TMP/src/classe-d.profile"
sign "$RF_TMP/src/classe-d.profile"
sed -i 's/^MinimumDiskSize=.*/MinimumDiskSize=1G/' "$RF_TMP/src/classe-d.profile"
body "$RF_TMP/up.json" --rawfile p "$RF_TMP/src/classe-d.profile" \
        --arg s "$(base64 -w0 "$RF_TMP/src/classe-d.profile.sig")" \
        '{name: "classe-d", profile: $p, signature: $s, signature_format: "openssl"}'
refused classe-d "tampered" "signature invalide"
body "$RF_TMP/up.json" --rawfile p "$RF_TMP/src/classe-d.profile" '{name: "classe-d", profile: $p}'
refused classe-d "unsigned" "non signé"
profile classe-d 2020.1 2020-01-31 >"$RF_TMP/src/classe-d.profile"
sign "$RF_TMP/src/classe-d.profile"
body "$RF_TMP/up.json" --rawfile p "$RF_TMP/src/classe-d.profile" \
        --arg s "$(base64 "$RF_TMP/src/classe-d.profile.sig")" \
        '{name: "classe-d", profile: $p, signature: $s, signature_format: "openssl"}'
refused classe-d "expired" "expiré depuis le 2020-01-31"
openssl genpkey -algorithm ed25519 -out "$RF_TMP/stranger.key" 2>/dev/null
profile classe-d 2026.12.1 >"$RF_TMP/src/classe-d.profile"
openssl pkeyutl -sign -rawin -inkey "$RF_TMP/stranger.key" -in "$RF_TMP/src/classe-d.profile" \
        -out "$RF_TMP/src/classe-d.profile.sig"
body "$RF_TMP/up.json" --rawfile p "$RF_TMP/src/classe-d.profile" \
        --arg s "$(base64 "$RF_TMP/src/classe-d.profile.sig")" \
        '{name: "classe-d", profile: $p, signature: $s, signature_format: "openssl"}'
refused classe-d "signed by an untrusted key" "signature invalide"
printf '[Profile]\nName=x\nBogus=1\n' >"$RF_TMP/src/classe-d.profile"
sign "$RF_TMP/src/classe-d.profile"
body "$RF_TMP/up.json" --rawfile p "$RF_TMP/src/classe-d.profile" \
        --arg s "$(base64 "$RF_TMP/src/classe-d.profile.sig")" \
        '{name: "classe-d", profile: $p, signature: $s, signature_format: "openssl"}'
refused classe-d "malformed" "classe-d.profile:"

check "POST /v1/profiles: bad requests name the member (400)"
# bad400 FIELD WHAT: the body in up.json gets 400 naming FIELD.
bad400() {
        api POST /v1/profiles "$RF_TMP/up.json"
        assert_eq "$API_STATUS" 400 "$2: status"
        assert_eq "$(jqb .error.field)" "$1" "$2: member named"
}
body "$RF_TMP/up.json" '{name: "classe-e", profile: "x", signature: null, colour: "red"}'
bad400 colour "unknown member"
body "$RF_TMP/up.json" '{name: "../etc", profile: "x"}'
bad400 name "a path as name"
body "$RF_TMP/up.json" '{name: "Classe", profile: "x"}'
bad400 name "capitals in the name"
body "$RF_TMP/up.json" '{name: "default", profile: "x"}'
bad400 name "the reserved name default"
body "$RF_TMP/up.json" '{name: "classe-e", profile: 12}'
bad400 profile "a number for the text"
body "$RF_TMP/up.json" '{name: "classe-e", profile: "x", signature: "!!!", signature_format: "openssl"}'
bad400 signature "a signature that is not base64"
body "$RF_TMP/up.json" '{name: "classe-e", profile: "x", signature: "AAAA", signature_format: "gpg"}'
bad400 signature_format "an unknown signature format"
printf '{"name": "classe-e", "profile": ' >"$RF_TMP/up.json"
api POST /v1/profiles "$RF_TMP/up.json"
assert_eq "$API_STATUS" 400 "malformed JSON: status"
head -c 70000 /dev/zero | tr '\0' a | jq -Rs '{name: "classe-e", profile: .}' >"$RF_TMP/up.json"
api POST /v1/profiles "$RF_TMP/up.json"
assert_eq "$API_STATUS" 413 "a profile over 64 KiB: status"
[[ ! -e $PROF/classe-e.profile ]] || fail "classe-e installed"

check "PUT /v1/profiles/defaults"
printf '{"desktop": "classe-a"}' >"$RF_TMP/d.json"
api PUT /v1/profiles/defaults "$RF_TMP/d.json"
assert_eq "$API_STATUS" 200 "set desktop: status"
assert_eq "$(jqb '.defaults.desktop + " " + (.defaults.laptop | tostring)')" "classe-a null" "set desktop: answer"
api GET /v1/profiles
assert_eq "$(jqb '.profiles[] | select(.name == "classe-a") | .default_for | join(",")')" desktop "default_for"
printf '{"laptop": "classe-b"}' >"$RF_TMP/d.json"
api PUT /v1/profiles/defaults "$RF_TMP/d.json"
assert_eq "$API_STATUS" 422 "an invalid profile as default: status"
assert_contains "$(jqb .error.message_fr)" "signature invalide" "an invalid profile as default: reason"
printf '{"laptop": "absent"}' >"$RF_TMP/d.json"
api PUT /v1/profiles/defaults "$RF_TMP/d.json"
assert_eq "$API_STATUS" 422 "an absent profile as default: status"
assert_eq "$(jqb .error.field)" laptop "an absent profile as default: field"
printf '{"tablet": "classe-a"}' >"$RF_TMP/d.json"
api PUT /v1/profiles/defaults "$RF_TMP/d.json"
assert_eq "$API_STATUS" 400 "an unknown target: status"
assert_eq "$(jqb .error.field)" tablet "an unknown target: field"
printf '{"laptop": 3}' >"$RF_TMP/d.json"
api PUT /v1/profiles/defaults "$RF_TMP/d.json"
assert_eq "$API_STATUS" 400 "a number as name: status"
printf '{"desktop": null}' >"$RF_TMP/d.json"
api PUT /v1/profiles/defaults "$RF_TMP/d.json"
assert_eq "$API_STATUS" 200 "clear desktop: status"
assert_eq "$(jqb '.defaults.desktop')" null "cleared"

check "Profile=default, a laptop and no laptop default: the imaging fails, the erasure certificate stays"
printf '{"organisation": "Mairie de Évry-Courcouronnes", "reference": "DON-API-1", "date": "2026-11-20"}' \
        >"$RF_TMP/donor.json"
api POST /v1/donors "$RF_TMP/donor.json"
assert_eq "$API_STATUS" 201 "donor recorded"
printf '{"tag": "PC-PORT-17", "type": "laptop", "donor": "DON-API-1", "serial": "LAPTOP-SN-9"}' >"$RF_TMP/asset.json"
api POST /v1/assets "$RF_TMP/asset.json"
assert_eq "$API_STATUS" 201 "laptop recorded"

# erase_linked TAG: attach a fresh donor image, link it to TAG, erase; prints the final job.
erase_linked() {
        local img=$RF_TMP/donor-$1.img
        make_donor_image "$img" 128 >/dev/null
        attach "$BAY" "$img"
        wait_bay_state baie-img waiting 10 >/dev/null
        printf '{"device": "%s"}' "${BAY#/dev/}" >"$RF_TMP/link.json"
        api POST "/v1/assets/$1/link" "$RF_TMP/link.json"
        [[ $API_STATUS == 200 ]] || fail "link to $1: $API_STATUS $API_BODY"
        api POST "/v1/devices/${BAY#/dev/}/erase"
        [[ $API_STATUS == 202 ]] || fail "erase: $API_STATUS $API_BODY"
        wait_job_final baie-img 120
}
JOB=$(erase_linked PC-PORT-17)
assert_eq "$(jq -r .result <<<"$JOB")" erased "the drive is erased"
assert_eq "$(jq -r .state <<<"$JOB")" failed "the job ends failed (imaging)"
assert_contains "$(jq -r .reason <<<"$JOB")" \
        "aucun profil par défaut pour les ordinateurs portables : la DSI doit en choisir un" "the reason"
CERT_ID=$(jq -r .certificate_id <<<"$JOB")
assert_ne "$CERT_ID" null "an erasure certificate was issued"
run_all rctl cert verify "$CERT_ID"
assert_rc 0 "the erasure certificate verifies"
SERIAL=$(rctl_json asset show PC-PORT-17 | jq -r '.drives[0].serial')
assert_ne "$SERIAL" null "the drive's serial"
detach "$BAY"
wait_bay_state baie-img empty 10 >/dev/null

check "Profile=default, a desktop with a desktop default: that profile is used"
printf '{"desktop": "classe-a"}' >"$RF_TMP/d.json"
api PUT /v1/profiles/defaults "$RF_TMP/d.json"
assert_eq "$API_STATUS" 200 "desktop default set"
printf '{"tag": "PC-BUR-3", "type": "desktop", "donor": "DON-API-1"}' >"$RF_TMP/asset.json"
api POST /v1/assets "$RF_TMP/asset.json"
assert_eq "$API_STATUS" 201 "desktop recorded"
JOB2=$(erase_linked PC-BUR-3)
assert_eq "$(jq -r .image.profile <<<"$JOB2")" classe-a "the imaging ran with the desktop default"
assert_not_contains "$(jq -r .reason <<<"$JOB2")" "aucun profil par défaut" "not the missing-default reason"
info "imaging of classe-a on a 128 MiB drive: $(jq -r .reason <<<"$JOB2")"
detach "$BAY"

check "GET /v1/certificates?q=: by serial, asset tag, donor reference and organisation"
# found Q WHAT: the erasure certificate is among the results.
found() {
        api GET "/v1/certificates?q=$1"
        assert_eq "$API_STATUS" 200 "$2: status"
        assert_contains "$(jqb '[.certificates[].id] | join(" ")')" "$CERT_ID" "$2: found"
}
found "$(jq -rn --arg s "$SERIAL" '$s | @uri')" "serial"
found "$(jq -rn --arg s "${SERIAL,,}" '$s | @uri')" "serial in lower case"
found pc-port "asset tag, part, any case"
found LAPTOP-SN "the laptop's own serial"
found don-api-1 "donor reference"
found "%C3%A9vry" "organisation, lower-case accent (évry for Évry)"
found "${CERT_ID:0:8}" "id prefix"
api GET "/v1/certificates?q=PC-PORT-17"
assert_eq "$(jqb '.certificates[0].asset_tag + " " + .certificates[0].donor_reference')" "PC-PORT-17 DON-API-1" \
        "row names asset and donor"
assert_eq "$(jqb '[.certificates[].seq] | . == (sort | reverse)')" true "newest first"
api GET "/v1/certificates?q=PC%25PORT"
assert_eq "$(jqb '.certificates | length')" 0 "% is no wildcard"
api GET "/v1/certificates?q=PC_PORT"
assert_eq "$(jqb '.certificates | length')" 0 "_ is no wildcard"
api GET "/v1/certificates?q=introuvable"
assert_eq "$(jqb '.certificates | length')" 0 "no match: empty list"
api GET "/v1/certificates?q="
assert_eq "$API_STATUS" 400 "empty q: status"
api GET "/v1/certificates?q=$(printf 'x%.0s' $(seq 65))"
assert_eq "$API_STATUS" 400 "65 characters: status"
api GET "/v1/certificates?q=a%01b"
assert_eq "$API_STATUS" 400 "a control character: status"

check "GET /v1/certificates/{id}/pdf"
curl -s -o "$RF_TMP/cert.pdf" -D "$RF_TMP/cert.h" --unix-socket "$RF_SOCKET" \
        "http://localhost/v1/certificates/${CERT_ID:0:8}/pdf"
assert_contains "$(<"$RF_TMP/cert.h")" "200" "status"
assert_contains_i "$(<"$RF_TMP/cert.h")" "content-type: application/pdf" "content type"
assert_contains_i "$(<"$RF_TMP/cert.h")" "content-disposition: attachment; filename=\"certificat-${CERT_ID:0:8}.pdf\"" \
        "content disposition"
assert_eq "$(head -c 5 "$RF_TMP/cert.pdf")" "%PDF-" "a PDF"
TEXT=$(pdftotext "$RF_TMP/cert.pdf" - 2>/dev/null | tr -d '\n ')
assert_contains "$TEXT" "$CERT_ID" "the PDF shows the certificate id"
assert_contains "$TEXT" "$SERIAL" "the PDF shows the serial"
curl -s -o "$RF_TMP/cert-en.pdf" --unix-socket "$RF_SOCKET" "http://localhost/v1/certificates/$CERT_ID/pdf?lang=en"
assert_contains "$(pdftotext "$RF_TMP/cert-en.pdf" - 2>/dev/null)" "Erasure" "lang=en: English sheet"
api GET "/v1/certificates/$CERT_ID/pdf?lang=de"
assert_eq "$API_STATUS" 400 "lang=de: status"
api GET "/v1/certificates/ffffffff/pdf"
assert_eq "$API_STATUS" 404 "unknown id: status"
api POST "/v1/certificates/$CERT_ID/pdf"
assert_eq "$API_STATUS" 405 "POST: status"

check "GET /v1/reports/donation/{ref}/pdf"
curl -s -o "$RF_TMP/don.pdf" -D "$RF_TMP/don.h" --unix-socket "$RF_SOCKET" \
        "http://localhost/v1/reports/donation/DON-API-1/pdf?lang=fr"
assert_contains_i "$(<"$RF_TMP/don.h")" "content-type: application/pdf" "content type"
assert_contains_i "$(<"$RF_TMP/don.h")" 'filename="don-DON-API-1.pdf"' "content disposition"
assert_eq "$(head -c 5 "$RF_TMP/don.pdf")" "%PDF-" "a PDF"
assert_contains "$(pdftotext "$RF_TMP/don.pdf" - 2>/dev/null | tr -d '\n ')" "$SERIAL" "the report names the drive"
api GET /v1/reports/donation/DON-ABSENT/pdf
assert_eq "$API_STATUS" 404 "unknown donation: status"

check "GET /v1/ledger/check: intact"
N=$(rctl_json cert list | jq '(.certificates? // .) | length')
api GET /v1/ledger/check
assert_eq "$API_STATUS" 200 "status"
assert_eq "$(jqb .ok)" true "ok"
assert_eq "$(jqb .entries)" "$N" "entries"
assert_eq "$(jqb .head_seq)" "$N" "head_seq"
assert_eq "$(jqb .problem_fr)" null "no problem"
[[ $(jqb .checked_at) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] || fail "checked_at: $(jqb .checked_at)"
pass "checked_at is an ISO 8601 time"

check "GET /v1/ledger/check: a row rewritten in a copy of the database"
stop_daemon TERM
assert_eq "$RF_RC" 0 "refurbd stopped"
cp -a "$RF_STATE" "$RF_TMP/state-copy"
sqlite3 "$RF_TMP/state-copy/refurbd.db" "DROP TRIGGER certificates_no_update;
        UPDATE certificates SET json = replace(json, '\"erased\"', '\"eAased\"') WHERE seq = 1;"
assert_eq "$(sqlite3 "$RF_TMP/state-copy/refurbd.db" "SELECT count(*) FROM certificates WHERE json LIKE '%eAased%'")" \
        1 "the copy's row was changed"
sed "s|^StateDirectory=.*|StateDirectory=$RF_TMP/state-copy|" "$RF_TMP/refurbd.conf" >"$RF_TMP/refurbd-copy.conf"
start_daemon "$RF_TMP/refurbd-copy.conf"
api GET /v1/ledger/check
assert_eq "$API_STATUS" 200 "a broken chain is still a 200"
assert_eq "$(jqb .ok)" false "ok false"
assert_contains "$(jqb .problem_fr)" "n° 1 [" "problem_fr names the entry"
assert_contains "$(jqb .problem_en)" "#1 [" "problem_en names the entry"
assert_eq "$(jqb '[.findings[] | select(.seq == 1)] | length > 0')" true "a finding on entry 1"
info "$(jqb .problem_fr)"
curl -s -o "$RF_TMP/bad.json" -w '%{http_code}' --unix-socket "$RF_SOCKET" \
        "http://localhost/v1/certificates/$CERT_ID/pdf" >"$RF_TMP/bad.code"
assert_eq "$(<"$RF_TMP/bad.code")" 409 "no PDF of a certificate whose text no longer verifies"

stop_daemon TERM
assert_eq "$RF_RC" 0 "refurbd exit status after SIGTERM"
