#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# refurbctl profile list|show|validate|sign with throwaway keys, as the DSI
# would use it (refurb-profile(5)): a profile signed by `refurbctl profile
# sign`, by stock `openssl pkeyutl` and by minisign (prehashed and legacy)
# is accepted; one changed byte, an untrusted key, an expired profile, a
# malformed one and a referenced file that does not match are refused with
# the reason. Local files only: no daemon, no loop device.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_cmds openssl minisign bmaptool jq sha256sum
[[ -x $REFURBCTL ]] || skip "binary not built: $REFURBCTL (ninja -C build)"

D=$RF_TMP/profiles
TRUST=$RF_TMP/trusted-keys
OTHER_TRUST=$RF_TMP/other-keys
mkdir -p "$D" "$TRUST" "$OTHER_TRUST"

ctl() { "$REFURBCTL" --lang fr "$@"; }

# ---------------------------------------------------------------------------
check "throwaway keys: OpenSSL Ed25519 (DSI and a stranger) and minisign"
openssl genpkey -algorithm ed25519 -out "$RF_TMP/dsi.key" 2>/dev/null
openssl pkey -in "$RF_TMP/dsi.key" -pubout -out "$TRUST/dsi.pem"
openssl genpkey -algorithm ed25519 -out "$RF_TMP/stranger.key" 2>/dev/null
openssl pkey -in "$RF_TMP/stranger.key" -pubout -out "$OTHER_TRUST/stranger.pem"
minisign -G -W -p "$TRUST/dsi-minisign.pub" -s "$RF_TMP/dsi-minisign.key" </dev/null >/dev/null
minisign -G -W -p "$OTHER_TRUST/stranger.pub" -s "$RF_TMP/stranger-minisign.key" </dev/null >/dev/null
# The key id of refurb-profile(5): first 16 hex digits of SHA-256 of the raw public key.
DSI_ID=$(openssl pkey -pubin -in "$TRUST/dsi.pem" -outform DER | tail -c 32 | sha256sum | cut -c1-16)
# minisign's, from its public key file (older versions drop leading zeros).
MS_ID=$(head -n1 "$TRUST/dsi-minisign.pub" | awk '{print $NF}')
MS_ID=$(printf '%016s' "$MS_ID" | tr ' ' 0)
info "OpenSSL key $DSI_ID, minisign key $MS_ID"

# An image and its bmap, referenced by relative paths.
head -c 1048576 /dev/urandom >"$D/classe.img"
truncate -s 4M "$D/classe.img"
bmaptool create "$D/classe.img" -o "$D/classe.img.bmap" 2>/dev/null
IMG_SHA=$(sha256sum "$D/classe.img" | cut -c1-64)
BMAP_SHA=$(sha256sum "$D/classe.img.bmap" | cut -c1-64)

profile() { # NAME [EXPIRES]: a valid profile
        cat >"$D/$1.profile" <<EOF
# Profil de la DSI
[Profile]
Name=$1
Version=2026.11.1
Description=Poste de classe : LibreOffice, lecteur PDF, navigateur
Target=any
MinimumDiskSize=16G
Expires=${2:-2099-12-31}

[Image]
Location=classe.img
SHA256=$IMG_SHA
Compression=none
Bmap=classe.img.bmap
BmapSHA256=$BMAP_SHA

[Software]
Require=libreoffice
Require=evince | atril | okular

[Browser]
DefaultSearchEngine=Qwant
SearchURL=https://www.qwant.com/?q={searchTerms}

[Hooks]
Run=10-hostname
TimeoutSec=120
EOF
}

validate() { run ctl profile validate --trusted-keys "${TK:-$TRUST}" "$@"; }

# ---------------------------------------------------------------------------
check "refurbctl profile sign: prints the key id and the openssl command that verifies it"
profile classe
run ctl profile sign --key "$RF_TMP/dsi.key" "$D/classe.profile"
assert_rc 0 "profile sign"
assert_contains "$RF_OUT" "clé $DSI_ID" "the key id is the documented one"
assert_contains "$RF_OUT" "openssl pkeyutl -verify -pubin -inkey" "the verifying command is printed"
assert_eq "$(stat -c %s "$D/classe.profile.sig")" 64 "a raw 64-byte Ed25519 signature"
run openssl pkeyutl -verify -pubin -inkey "$TRUST/dsi.pem" -rawin -in "$D/classe.profile" \
        -sigfile "$D/classe.profile.sig"
assert_rc 0 "stock OpenSSL verifies refurbctl's signature"

check "validate: a profile signed by a trusted key is accepted"
validate "$D/classe.profile"
assert_rc 0 "validate"
assert_contains "$RF_OUT" "classe.profile : valide" "says valid"
assert_contains "$RF_OUT" "clé $DSI_ID, dsi.pem" "names the key and its file"
validate --files "$D/classe.profile"
assert_rc 0 "validate --files (image SHA-256, bmap SHA-256 and parse)"
assert_contains "$RF_OUT" "Image  $D/classe.img — conforme" "the image matches"
assert_contains "$RF_OUT" "Bmap   $D/classe.img.bmap — conforme" "the bmap matches"
run ctl --json profile validate --files --trusted-keys "$TRUST" "$D/classe.profile"
assert_rc 0 "validate --json"
assert_eq "$(jq -r '.valid, .signature.key_id, .profile.image.resolved, (.files | length)' <<<"$RF_OUT" | paste -sd' ')" \
        "true $DSI_ID $D/classe.img 2" "JSON verdict"
assert_eq "$(jq -r '.profile.requires[1].alternatives | join(",")' <<<"$RF_OUT")" "evince,atril,okular" \
        "alternatives in the JSON"

check "validate: a profile signed with stock openssl pkeyutl is accepted"
profile stock
openssl pkeyutl -sign -rawin -inkey "$RF_TMP/dsi.key" -in "$D/stock.profile" -out "$D/stock.profile.sig"
validate "$D/stock.profile"
assert_rc 0 "validate (openssl pkeyutl -sign -rawin)"

check "validate: one changed byte is refused with the reason"
cp "$D/stock.profile" "$RF_TMP/stock.orig"
sed -i 's/Version=2026.11.1/Version=2026.11.2/' "$D/stock.profile"
assert_eq "$(cmp -l "$RF_TMP/stock.orig" "$D/stock.profile" | wc -l)" 1 "exactly one byte differs"
validate "$D/stock.profile"
assert_rc 1 "validate (modified)"
assert_contains "$RF_OUT" "REFUSÉ" "says refused"
assert_contains "$RF_ERR" "signature invalide : le profil a été modifié après signature" "the reason, on stderr"
cp "$RF_TMP/stock.orig" "$D/stock.profile"

check "validate: a profile signed by a key that is not trusted is refused"
profile stranger
openssl pkeyutl -sign -rawin -inkey "$RF_TMP/stranger.key" -in "$D/stranger.profile" -out "$D/stranger.profile.sig"
validate "$D/stranger.profile"
assert_rc 1 "validate (stranger's key)"
assert_contains "$RF_ERR" "qui n'est pas dans $TRUST" "names the trusted-keys folder"
TK=$OTHER_TRUST validate "$D/stranger.profile"
assert_rc 0 "the same profile is accepted where the stranger's key is trusted"
TK=$RF_TMP/empty-keys validate "$D/classe.profile"
assert_rc 1 "no trusted key at all"
assert_contains "$RF_ERR" "aucune clé de confiance" "says there is no trusted key"

check "validate: an unsigned profile is refused"
profile unsigned
validate "$D/unsigned.profile"
assert_rc 1 "validate (unsigned)"
assert_contains "$RF_ERR" "profil non signé : unsigned.profile.sig absent" "says unsigned"

check "validate: an expired profile is refused, and sign warns about it"
profile old 2020-01-31
run ctl profile sign --key "$RF_TMP/dsi.key" "$D/old.profile"
assert_rc 0 "sign (expired)"
assert_contains "$RF_ERR" "a expiré le 2020-01-31" "sign warns"
validate "$D/old.profile"
assert_rc 1 "validate (expired)"
assert_contains "$RF_ERR" "profil expiré depuis le 2020-01-31" "says expired, and since when"

check "a malformed profile: sign refuses it, validate names the file and line"
profile broken
sed -i 's/^Target=any$/Target=serveur/' "$D/broken.profile"
line=$(grep -n '^Target=' "$D/broken.profile" | cut -d: -f1)
run ctl profile sign --key "$RF_TMP/dsi.key" "$D/broken.profile"
assert_rc 1 "sign (malformed)"
assert_contains "$RF_ERR" "$D/broken.profile:$line: Target= vaut desktop, laptop ou any, pas « serveur »" \
        "sign says file:line and what is wrong"
[[ ! -e $D/broken.profile.sig ]] || fail "a malformed profile was signed"
pass "no signature written"
openssl pkeyutl -sign -rawin -inkey "$RF_TMP/dsi.key" -in "$D/broken.profile" -out "$D/broken.profile.sig"
validate "$D/broken.profile"
assert_rc 1 "validate (malformed, signed)"
assert_contains "$RF_OUT" "$D/broken.profile:$line:" "validate says file:line"

check "minisign: prehashed (default) and legacy signatures are accepted"
profile mini
minisign -S -s "$RF_TMP/dsi-minisign.key" -m "$D/mini.profile" -t "classe 2026.11.1, DSI" </dev/null >/dev/null
validate "$D/mini.profile"
assert_rc 0 "validate (minisign, prehashed)"
assert_contains "$RF_OUT" "minisign, clé $MS_ID, dsi-minisign.pub" "names the minisign key"
assert_contains "$RF_OUT" "classe 2026.11.1, DSI" "shows the signed comment"
minisign -S -l -s "$RF_TMP/dsi-minisign.key" -m "$D/mini.profile" </dev/null >/dev/null
validate "$D/mini.profile"
assert_rc 0 "validate (minisign, legacy)"
sed -i 's/TimeoutSec=120/TimeoutSec=121/' "$D/mini.profile"
validate "$D/mini.profile"
assert_rc 1 "validate (minisign, modified)"
assert_contains "$RF_ERR" "signature invalide : le profil a été modifié après signature" "minisign: modified"
profile mini-stranger
minisign -S -s "$RF_TMP/stranger-minisign.key" -m "$D/mini-stranger.profile" </dev/null >/dev/null
validate "$D/mini-stranger.profile"
assert_rc 1 "validate (minisign, stranger)"
assert_contains "$RF_ERR" "qui n'est pas dans $TRUST" "minisign: the key is not trusted"

check "validate --files: a referenced file that does not match is refused"
printf 'X' | dd of="$D/classe.img" bs=1 seek=4000 conv=notrunc status=none
validate --files "$D/classe.profile"
assert_rc 1 "validate --files (image changed)"
assert_contains "$RF_OUT" "REFUSÉ : SHA-256" "the image's SHA-256 is refused"
assert_contains "$RF_OUT" "le profil attend $IMG_SHA" "with the expected digest"

check "profile list: every profile with its state"
run ctl profile list "$D" --trusted-keys "$TRUST"
assert_rc 0 "list"
info "$RF_OUT"
assert_contains "$RF_OUT" "classe.profile" "lists classe"
assert_contains "$(grep '^old.profile' <<<"$RF_OUT")" "2020-01-31 (EXPIRÉ)" "old is shown expired"
assert_contains "$(grep '^stranger.profile' <<<"$RF_OUT")" "INVALIDE" "stranger's signature is not accepted"
assert_contains "$(grep '^unsigned.profile' <<<"$RF_OUT")" "non signé" "unsigned is shown unsigned"
assert_contains "$(grep '^broken.profile' <<<"$RF_OUT")" "(malformé)" "broken is shown malformed"
run ctl --json profile list "$D" --trusted-keys "$TRUST"
assert_rc 0 "list --json"
assert_eq "$(jq -r '[.[] | select(.valid) | .file | split("/") | last] | sort | join(" ")' <<<"$RF_OUT")" \
        "classe.profile stock.profile" "only the good ones are valid"

check "English, show, and wrong command lines"
run env LANG=C "$REFURBCTL" profile validate --trusted-keys "$TRUST" "$D/old.profile"
assert_rc 1 "validate in English"
assert_contains "$RF_OUT" "old.profile: REFUSED" "English verdict"
run ctl profile show "$D/classe.profile" --trusted-keys "$TRUST"
assert_rc 0 "show"
assert_contains "$RF_OUT" "evince | atril | okular" "show lists the requirements"
assert_contains "$RF_OUT" "16 Gio" "show gives the minimum size in the profile's unit"
run ctl profile validate
assert_rc 2 "validate without a file"
run ctl profile sign "$D/classe.profile"
assert_rc 2 "sign without --key"
run ctl profile list --files
assert_rc 2 "--files with list"
run ctl profile frobnicate
assert_rc 2 "unknown subcommand"

log "profile-cli: all checks passed"
