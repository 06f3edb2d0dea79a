#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The daemon killed with SIGKILL in the middle of an erasure, then started
# again on the same state directory:
#   - the job that was running is "interrupted", never "done";
#   - the database passes `PRAGMA integrity_check`;
#   - certificates issued before the crash are still there and verify;
#   - the drive, still plugged in, is not erased again automatically.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all
require_cmds sqlite3
big_dir 6

new_loop_node SMALL
new_loop_node BIG
{
        config_header full
        config_bay baie-petite "$SMALL" auto
        config_bay baie-grande "$BIG" auto
} >"$RF_TMP/refurbd.conf"
make_donor_image "$RF_TMP/small.img" 128 >/dev/null
MARKER_BIG=$(make_donor_image "$RF_BIG/big.img" 3G)

db_check() { # WHEN
        local out
        out=$(sqlite3 "$RF_STATE/refurbd.db" 'PRAGMA integrity_check' 2>&1) ||
                fail "sqlite3 integrity_check failed ($1): $out"
        assert_eq "$out" "ok" "PRAGMA integrity_check ($1)"
}

verify_cert_dir() { # DIR ID
        run_all openssl cms -verify -binary -content "$1/$2.json" -in "$1/$2.json.p7s" -inform PEM \
                -CAfile "$1/bench.crt" -out /dev/null
        assert_rc 0 "openssl cms -verify of $1/$2.json"
        run_all rctl cert verify "$1/$2.json" --ca "$1/bench.crt"
        assert_rc 0 "refurbctl cert verify $1/$2.json --ca bench.crt"
}

start_daemon "$RF_TMP/refurbd.conf"

check "a first drive is erased and certified before the crash"
attach "$SMALL" "$RF_TMP/small.img"
J1=$(wait_job_final baie-petite 120)
assert_eq "$(jq -r .state <<<"$J1")" "done" "first job state"
CERT1=$(jq -r '.certificate_id // empty' <<<"$J1")
[[ -n $CERT1 ]] || fail "first job has no certificate"
mkdir -p "$RF_TMP/cert-before"
run_all rctl cert export "$CERT1" --output "$RF_TMP/cert-before"
assert_rc 0 "cert export $CERT1"
verify_cert_dir "$RF_TMP/cert-before" "$CERT1"

check "a big drive is being erased when refurbd gets SIGKILL"
attach "$BIG" "$RF_BIG/big.img"
JB=$(wait_job_progress baie-grande 20)
JB_ID=$(jq -r .id <<<"$JB")
info "job $JB_ID: $(jq -r .bytes_written <<<"$JB") of $(jq -r .size <<<"$JB") bytes written"
OLD_PID=$RF_DAEMON_PID
stop_daemon KILL
assert_eq "$RF_RC" "137" "refurbd killed by SIGKILL"
kill -0 "$OLD_PID" 2>/dev/null && fail "refurbd still alive after SIGKILL"
loop_attached "$BIG" || fail "$BIG is no longer attached after the crash"
pass "$BIG still plugged in"
drop_cache "$BIG"
HEAD_BEFORE=$(head -c 16M "$BIG" | sha256sum)
TAIL_BEFORE=$(tail -c 256M "$BIG" | sha256sum)

check "refurbd starts again on the same state directory"
start_daemon "$RF_TMP/refurbd.conf"
db_check "after restart"

check "the job that was running is 'interrupted', with a reason"
J=$(job_json "$JB_ID")
info "job $JB_ID: $(jq -c '{state, result, reason, bytes_written, certificate_id}' <<<"$J")"
assert_eq "$(jq -r .state <<<"$J")" "interrupted" "state of the job killed mid-way"
assert_ne "$(jq -r .result <<<"$J")" "erased" "result of the job killed mid-way"
[[ -n $(jq -r '.reason // empty' <<<"$J") ]] || fail "interrupted job has no reason"
pass "reason: $(jq -r .reason <<<"$J")"
assert_eq "$(rctl_json status | jq -r .jobs_running)" "0" "status.jobs_running"
W_AFTER=$(jq -r .bytes_written <<<"$J")
if (( W_AFTER == 0 )); then
        info "note: the interrupted job records 0 bytes written, though at least $(jq -r .bytes_written <<<"$JB") were written before the crash"
fi

check "the drive still plugged in is not erased again (3 s)"
sleep 3
assert_eq "$(count_jobs "$BIG")" "1" "jobs ever on $BIG"
ST=$(bay_state baie-grande)
[[ $ST =~ ^(present|waiting|interrupted)$ ]] || fail "baie-grande state '$ST', expected present, waiting or interrupted"
pass "baie-grande state '$ST'"
J=$(job_json "$JB_ID")
assert_eq "$(jq -r .state <<<"$J")" "interrupted" "the job is still interrupted (never done)"
drop_cache "$BIG"
assert_eq "$(head -c 16M "$BIG" | sha256sum)" "$HEAD_BEFORE" "first 16 MiB of $BIG unchanged"
assert_eq "$(tail -c 256M "$BIG" | sha256sum)" "$TAIL_BEFORE" "last 256 MiB of $BIG unchanged"
assert_marker_present "$BIG" "$MARKER_BIG"
N_ERASED=$(rctl_json cert list |
        jq --argjson j "$JB_ID" '(.certificates? // .) | map(select(.job_id == $j and .result == "erased")) | length')
assert_eq "$N_ERASED" "0" "certificates saying 'erased' for job $JB_ID"

check "the certificate issued before the crash is still there and verifies"
CERTS=$(rctl_json cert list | jq -c '(.certificates? // .)')
assert_eq "$(jq --arg id "$CERT1" 'map(select(.id == $id)) | length' <<<"$CERTS")" "1" "$CERT1 listed"
mkdir -p "$RF_TMP/cert-after"
run_all rctl cert export "$CERT1" --output "$RF_TMP/cert-after"
assert_rc 0 "cert export $CERT1 after restart"
cmp "$RF_TMP/cert-before/$CERT1.json" "$RF_TMP/cert-after/$CERT1.json" ||
        fail "the certificate's JSON changed across the restart"
pass "same JSON document as before the crash"
verify_cert_dir "$RF_TMP/cert-after" "$CERT1"
verify_cert_dir "$RF_TMP/cert-before" "$CERT1"

check "after a new erase request the big drive is erased"
run_all rctl erase "$BIG"
assert_rc 0 "refurbctl erase $BIG (technician's decision)"
J2=$(wait_job_final baie-grande 300)
assert_ne "$(jq -r .id <<<"$J2")" "$JB_ID" "a new job"
assert_eq "$(jq -r .state <<<"$J2")" "done" "new job state"
assert_no_marker "$BIG" "$MARKER_BIG"

stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
db_check "after a clean stop"
