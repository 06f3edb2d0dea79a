#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A drive pulled out during its erasure: two auto bays erase two large
# drives at once; when bay A's job shows progress, A's loop device is
# detached (`losetup -d` on an open loop device only schedules the detach,
# which the daemon must treat as the drive being pulled). A's job must end
# "interrupted" within ~2 s, without a certificate saying "erased", the
# daemon must let go of the device, and B's job must still finish "done".

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all
big_dir 10

SIZE=3G
new_loop_node A
new_loop_node B
{
        config_header full
        config_bay baie-a "$A" auto
        config_bay baie-b "$B" auto
} >"$RF_TMP/refurbd.conf"

check "two $SIZE donor drives (sparse images in $RF_BIG)"
MARKER_A=$(make_donor_image "$RF_BIG/a.img" "$SIZE")
MARKER_B=$(make_donor_image "$RF_BIG/b.img" "$SIZE")
pass "markers $MARKER_A, $MARKER_B"

start_daemon "$RF_TMP/refurbd.conf"

check "both drives plugged in: both get a job"
attach "$A" "$RF_BIG/a.img"
attach "$B" "$RF_BIG/b.img"
JA=$(wait_job_progress baie-a 20)
JA_ID=$(jq -r .id <<<"$JA")
info "job $JA_ID on baie-a: $(jq -r .bytes_written <<<"$JA") bytes written"
JB=$(latest_job baie-b)
[[ -n $JB ]] || fail "no job on baie-b while baie-a is erasing"
JB_ID=$(jq -r .id <<<"$JB")
info "job $JB_ID on baie-b: $(jq -r .state <<<"$JB")"

check "pulling drive A during its job: 'interrupted' within 2 s"
T0=$(now_ms)
detach "$A"
info "losetup -d $A done (detach scheduled while the daemon holds it)"
ST=
while (( $(now_ms) - T0 < 10000 )); do
        J=$(job_json "$JA_ID")
        ST=$(jq -r .state <<<"$J")
        is_final_state "$ST" && break
        sleep 0.05
done
ELAPSED=$(( $(now_ms) - T0 ))
info "job $JA_ID: $ST after $ELAPSED ms: $(jq -c '{state, result, reason, bytes_written}' <<<"$J")"
assert_eq "$ST" "interrupted" "state of A's job"
assert_le "$ELAPSED" 2000 "ms between the pull and the job's end"
assert_ne "$(jq -r .result <<<"$J")" "erased" "A's job result"
[[ -n $(jq -r '.reason // empty' <<<"$J") ]] || fail "A's interrupted job has no reason"
pass "reason: $(jq -r .reason <<<"$J")"
(( $(jq -r .bytes_written <<<"$J") < $(jq -r .size <<<"$J") )) || fail "A's job claims every byte written"
pass "A's job did not write every byte"
CA=$(jq -r '.certificate_id // empty' <<<"$J")
if [[ -n $CA ]]; then
        R=$(rctl_json cert list | jq -r --arg id "$CA" '(.certificates? // .)[] | select(.id == $id) | .result')
        assert_ne "$R" "erased" "result of the certificate of A's job"
fi

check "the daemon lets go of drive A (the scheduled detach completes)"
for ((i = 0; i < 60; i++)); do
        loop_attached "$A" || break
        sleep 0.05
done
loop_attached "$A" && fail "$A is still attached 3 s after the job ended: the daemon still holds it"
pass "$A detached"
wait_bay_state baie-a empty 3 >/dev/null
pass "baie-a is empty"

check "drive B's job was not disturbed and finishes 'done'"
JB=$(wait_job_final baie-b 300)
info "job $JB_ID: $(jq -c '{state, result, reason, bytes_written, bytes_verified}' <<<"$JB")"
assert_eq "$(jq -r .id <<<"$JB")" "$JB_ID" "B's newest job is the one started at insertion"
assert_eq "$(jq -r .state <<<"$JB")" "done" "state of B's job"
assert_eq "$(jq -r .result <<<"$JB")" "erased" "result of B's job"
assert_no_marker "$B" "$MARKER_B"
assert_keystream "$B" "$JB"

check "the daemon is still healthy"
daemon_alive || fail "refurbd died"
stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
