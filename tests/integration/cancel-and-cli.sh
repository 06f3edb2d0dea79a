#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# refurbctl as a technician uses it: usage errors (exit 2), unknown things
# (exit 1), `watch` showing a drive arriving, `cancel` on a running job
# (ends "cancelled", never "erased"; a second cancel is refused), and the
# plain-text views all answering.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all
big_dir 4

new_loop_node BAY
{
        config_header full
        config_bay baie-c "$BAY" confirm
} >"$RF_TMP/refurbd.conf"
MARKER=$(make_donor_image "$RF_BIG/donor.img" 2G)

start_daemon "$RF_TMP/refurbd.conf"

check "usage errors exit 2"
run_all "$REFURBCTL" --socket "$RF_SOCKET"
assert_rc 2 "refurbctl without a command"
run_all rctl frobnicate
assert_rc 2 "refurbctl frobnicate"
run_all rctl erase
assert_rc 2 "refurbctl erase without a device"
run_all rctl --lang xx status
assert_rc 2 "refurbctl --lang xx"

check "unknown things exit 1"
run_all rctl job 999999
assert_rc 1 "refurbctl job 999999"
run_all rctl cancel 999999
assert_rc 1 "refurbctl cancel 999999"
run_all rctl cert show ffffffffffff
assert_rc 1 "refurbctl cert show ffffffffffff"
run_all rctl erase /dev/loop-does-not-exist
assert_rc 1 "refurbctl erase /dev/loop-does-not-exist"
run_all "$REFURBCTL" --socket "$RF_TMP/no-such.sock" status
assert_rc 1 "refurbctl status on a socket nobody listens to"

check "the plain-text views answer"
for v in status devices bays jobs "cert list"; do
        # shellcheck disable=SC2086 # "cert list" is two words
        run_all rctl --lang fr $v
        assert_rc 0 "refurbctl $v"
done
assert_contains "$(rctl --lang fr bays)" "baie-c" "refurbctl bays names the bay"

check "refurbctl watch shows the drive arriving"
rctl --json watch >"$RF_TMP/watch.out" 2>&1 &
WATCH=$!
echo "$WATCH" >>"$RF_TMP/pids"
sleep 0.5
attach "$BAY" "$RF_BIG/donor.img"
wait_bay_state baie-c waiting 3 >/dev/null
sleep 0.5
kill "$WATCH" 2>/dev/null || true
wait "$WATCH" 2>/dev/null || true
W=$(<"$RF_TMP/watch.out")
info "watch printed $(wc -l <"$RF_TMP/watch.out") lines"
assert_contains "$W" "baie-c" "watch output names the bay"
assert_contains "$W" "waiting" "watch output shows the bay waiting"

check "cancelling a running job"
run_all rctl --json erase "$BAY"
assert_rc 0 "refurbctl erase $BAY"
J=$(wait_job_progress baie-c 20)
JID=$(jq -r .id <<<"$J")
T0=$(now_ms)
run_all rctl cancel "$JID"
assert_rc 0 "refurbctl cancel $JID"
J=$(wait_job_final baie-c 10)
ELAPSED=$(( $(now_ms) - T0 ))
info "job $JID: $(jq -c '{state, result, reason, bytes_written}' <<<"$J") after $ELAPSED ms"
assert_eq "$(jq -r .id <<<"$J")" "$JID" "the cancelled job"
assert_eq "$(jq -r .state <<<"$J")" "cancelled" "state after cancel"
assert_ne "$(jq -r .result <<<"$J")" "erased" "result after cancel"
assert_le "$ELAPSED" 3000 "ms from cancel to the job's end"
assert_eq "$(bay_state baie-c)" "cancelled" "bay state"
run_all rctl cancel "$JID"
assert_rc 1 "a second cancel of a finished job"
CID=$(jq -r '.certificate_id // empty' <<<"$J")
if [[ -n $CID ]]; then
        R=$(rctl_json cert list | jq -r --arg id "$CID" '(.certificates? // .)[] | select(.id == $id) | .result')
        assert_ne "$R" "erased" "result in the certificate of the cancelled job"
fi
# The part not reached is still the donor's (the FAT partition starts at
# about two thirds of the disk).
W=$(jq -r .bytes_written <<<"$J")
if (( W < $(dev_size "$BAY") * 6 / 10 )); then
        assert_marker_present "$BAY" "$MARKER"
else
        info "$W bytes written before the cancel: too many to look for the donor's data left"
fi

check "the daemon released the device: it can be erased again, to the end"
run_all rctl erase "$BAY" --wait
assert_rc 0 "refurbctl erase $BAY --wait"
J2=$(wait_job_final baie-c 10)
assert_eq "$(jq -r .state <<<"$J2")" "done" "second job"
assert_no_marker "$BAY" "$MARKER"

stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
