#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# An auto bay: plugging a donor drive in is all it takes. The daemon notices
# the insertion within a second, erases, verifies and signs a certificate;
# afterwards nothing of the donor's data is left, the device holds exactly
# the recorded AES-256-CTR keystream, and the exported certificate verifies
# with refurbctl and with stock openssl, while any one-byte change to the
# document or to the signature is caught.
#
# Also: a drive already plugged in when the daemon starts is not erased
# automatically, and SIGTERM stops the daemon cleanly.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all

new_loop_node BAY1
new_loop_node BAY2
{
        config_header full
        config_bay baie-auto "$BAY1" auto
        config_bay baie-deja "$BAY2" auto
} >"$RF_TMP/refurbd.conf"

check "donor images are built (GPT with NTFS, ext4, FAT32 holding a marker)"
MARKER=$(make_donor_image "$RF_TMP/donor.img" 256)
MARKER2=$(make_donor_image "$RF_TMP/donor2.img" 128)
info "marker: $MARKER"
blkid -p -O 1048576 "$RF_TMP/donor.img" | grep -q 'TYPE="ntfs"' || fail "no NTFS at 1 MiB in the donor image"
pass "donor images ready"

# A drive that is already there when the daemon starts.
attach "$BAY2" "$RF_TMP/donor2.img"
settle

start_daemon "$RF_TMP/refurbd.conf"

check "status answers with the bench name and the number of bays"
STATUS=$(rctl_json status)
assert_eq "$(jq -r .bench <<<"$STATUS")" "banc-test" "status.bench"
assert_eq "$(jq -r .bays <<<"$STATUS")" "2" "status.bays"

check "bays are listed in configuration order with their policy"
assert_eq "$(bays_json | jq -r 'map(.name) | join(",")')" "baie-auto,baie-deja" "bay names"
assert_eq "$(bay_json baie-auto | jq -r .policy)" "auto" "policy of baie-auto"
assert_eq "$(bay_state baie-auto)" "empty" "baie-auto state before insertion"

check "a drive present at start-up is shown but not erased automatically"
ST=$(bay_state baie-deja)
[[ $ST =~ ^(present|waiting)$ ]] || fail "state of baie-deja (drive there before start): '$ST', expected present or waiting"
pass "state of baie-deja (drive there before start): $ST"
assert_eq "$(bay_json baie-deja | jq -r .device.devnode)" "$BAY2" "device on baie-deja"

check "insertion on the auto bay is detected within 1 s"
T0=$(now_ms)
attach "$BAY1" "$RF_TMP/donor.img"
DETECTED=
while (( $(now_ms) - T0 < 5000 )); do
        st=$(bay_state baie-auto 2>/dev/null || echo "?")
        if [[ $st != empty && $st != "?" ]]; then
                DETECTED=$(( $(now_ms) - T0 ))
                break
        fi
        sleep 0.05
done
[[ -n $DETECTED ]] || fail "baie-auto still empty 5 s after the insertion"
info "bay state '$st' after $DETECTED ms"
assert_le "$DETECTED" 1000 "detection delay in ms"

check "the job runs to 'done' with no other action"
JOB=$(wait_job_final baie-auto 120)
info "job: $(jq -c '{id, state, result, reason, bytes_written, bytes_verified, certificate_id}' <<<"$JOB")"
assert_eq "$(jq -r .state <<<"$JOB")" "done" "job state"
assert_eq "$(jq -r .result <<<"$JOB")" "erased" "job result"
assert_eq "$(jq -r .devnode <<<"$JOB")" "$BAY1" "job device"
assert_eq "$(jq -r .size <<<"$JOB")" "$(dev_size "$BAY1")" "job size = device size"
assert_eq "$(jq -r .bytes_written <<<"$JOB")" "$(dev_size "$BAY1")" "bytes written"
assert_eq "$(jq -r .bytes_verified <<<"$JOB")" "$(dev_size "$BAY1")" "bytes verified (Verify=full)"
assert_eq "$(jq -r '.exceptions | length' <<<"$JOB")" "0" "exceptions"
assert_eq "$(bay_state baie-auto)" "done" "bay state after the job"
JOB_ID=$(jq -r .id <<<"$JOB")
CERT_ID=$(jq -r '.certificate_id // empty' <<<"$JOB")
[[ -n $CERT_ID ]] || fail "the finished job has no certificate_id"
pass "certificate $CERT_ID issued for job $JOB_ID"

check "nothing of the donor is left on the device"
assert_no_marker "$BAY1" "$MARKER"
assert_blank "$BAY1"

check "the device holds exactly the keystream recorded in the job"
assert_keystream "$BAY1" "$JOB"

check "the drive that was there at start-up was left alone"
assert_eq "$(count_jobs "$BAY2")" "0" "jobs on $BAY2"
assert_eq "$(bay_state baie-deja)" "$ST" "state of baie-deja (unchanged)"
assert_marker_present "$BAY2" "$MARKER2"

check "the certificate is listed, exported, and verifies"
CERTS=$(rctl_json cert list | jq -c '(.certificates? // .)')
assert_eq "$(jq --arg id "$CERT_ID" 'map(select(.id == $id)) | length' <<<"$CERTS")" "1" "certificate in 'cert list'"
assert_eq "$(jq -r --arg id "$CERT_ID" '.[] | select(.id == $id) | .result' <<<"$CERTS")" "erased" \
        "result in 'cert list'"
LISTED_SHA=$(jq -r --arg id "$CERT_ID" '.[] | select(.id == $id) | .sha256' <<<"$CERTS")
EXP=$RF_TMP/export
mkdir -p "$EXP"
run_all rctl cert export "$CERT_ID" --output "$EXP"
assert_rc 0 "refurbctl cert export"
for f in "$CERT_ID.json" "$CERT_ID.json.p7s" bench.crt; do
        [[ -s $EXP/$f ]] || fail "cert export did not write $EXP/$f (dir: $(ls "$EXP"))"
done
pass "export wrote $CERT_ID.json, $CERT_ID.json.p7s and bench.crt"
jq -e . "$EXP/$CERT_ID.json" >/dev/null || fail "$CERT_ID.json is not JSON"
assert_eq "$(sha256sum "$EXP/$CERT_ID.json" | cut -d' ' -f1)" "$LISTED_SHA" "sha256 of the exported JSON = listed sha256"
DOC=$(<"$EXP/$CERT_ID.json")
assert_contains "$DOC" "banc-test" "certificate names the bench"
assert_contains "$DOC" "Atelier de test" "certificate names the organisation"
run_all rctl --json cert show "$CERT_ID"
assert_rc 0 "refurbctl cert show"
assert_eq "$(jq -r '(.certificate? // .) | .json' <<<"$RF_OUT")" "$DOC" "cert show .json = exported document"

verify_both() { # DIR -> sets V_CTL, V_CTL_CA, V_SSL exit codes
        local d=$1
        run_all rctl cert verify "$d/$CERT_ID.json" --ca "$d/bench.crt"
        V_CTL_CA=$RF_RC
        V_CTL_CA_OUT=$RF_OUT
        run_all rctl cert verify "$d/$CERT_ID.json"
        V_CTL=$RF_RC
        V_CTL_OUT=$RF_OUT
        run_all openssl cms -verify -binary -content "$d/$CERT_ID.json" -in "$d/$CERT_ID.json.p7s" \
                -inform PEM -CAfile "$d/bench.crt" -out /dev/null
        V_SSL=$RF_RC
        V_SSL_OUT=$RF_OUT
}

verify_both "$EXP"
[[ $V_CTL_CA == 0 ]] || fail "refurbctl cert verify --ca: exit $V_CTL_CA: $V_CTL_CA_OUT"
pass "refurbctl cert verify $CERT_ID.json --ca bench.crt: OK"
[[ $V_CTL == 0 ]] || fail "refurbctl cert verify (no --ca): exit $V_CTL: $V_CTL_OUT"
pass "refurbctl cert verify $CERT_ID.json: OK"
[[ $V_SSL == 0 ]] || fail "openssl cms -verify: exit $V_SSL: $V_SSL_OUT"
pass "openssl cms -verify -binary -content $CERT_ID.json -in $CERT_ID.json.p7s -inform PEM -CAfile bench.crt: OK"

check "one byte changed in the JSON document is caught"
T1=$RF_TMP/tampered-json
cp -r "$EXP" "$T1"
OFF=$(LC_ALL=C grep -b -o -m1 '"erased"' "$T1/$CERT_ID.json" | head -1 | cut -d: -f1 || true)
if [[ -n $OFF ]]; then
        flip_byte "$T1/$CERT_ID.json" $(( OFF + 2 )) # "erased" -> "eAased"
else
        flip_byte "$T1/$CERT_ID.json"
fi
cmp -s "$EXP/$CERT_ID.json" "$T1/$CERT_ID.json" && fail "flip_byte did not change the copy"
verify_both "$T1"
[[ $V_CTL_CA != 0 ]] || fail "refurbctl cert verify --ca accepted a modified document"
pass "refurbctl cert verify --ca refuses it (exit $V_CTL_CA)"
[[ $V_CTL != 0 ]] || fail "refurbctl cert verify accepted a modified document"
pass "refurbctl cert verify refuses it (exit $V_CTL)"
[[ $V_SSL != 0 ]] || fail "openssl cms -verify accepted a modified document"
pass "openssl cms -verify refuses it (exit $V_SSL)"

check "one byte changed in the signature (.p7s) is caught"
T2=$RF_TMP/tampered-sig
cp -r "$EXP" "$T2"
flip_byte "$T2/$CERT_ID.json.p7s" "$(pem_body_offset_from_end "$T2/$CERT_ID.json.p7s" 20)"
cmp -s "$EXP/$CERT_ID.json.p7s" "$T2/$CERT_ID.json.p7s" && fail "flip_byte did not change the copy"
verify_both "$T2"
[[ $V_CTL_CA != 0 ]] || fail "refurbctl cert verify --ca accepted a modified signature"
pass "refurbctl cert verify --ca refuses it (exit $V_CTL_CA)"
[[ $V_CTL != 0 ]] || fail "refurbctl cert verify accepted a modified signature"
pass "refurbctl cert verify refuses it (exit $V_CTL)"
[[ $V_SSL != 0 ]] || fail "openssl cms -verify accepted a modified signature"
pass "openssl cms -verify refuses it (exit $V_SSL)"

check "removing the drive empties the bay"
detach "$BAY1"
wait_bay_state baie-auto empty 3 >/dev/null
pass "baie-auto is empty again"

check "SIGTERM stops the daemon cleanly"
stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
