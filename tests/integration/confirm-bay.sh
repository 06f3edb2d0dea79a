#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A confirm bay: a drive plugged in waits for the technician. Nothing is
# written until `refurbctl erase`, which then runs the job to the end.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all

new_loop_node BAY
{
        config_header full
        config_bay baie-confirm "$BAY" confirm
} >"$RF_TMP/refurbd.conf"
MARKER=$(make_donor_image "$RF_TMP/donor.img" 256)
SUM_BEFORE=$(sha256sum <"$RF_TMP/donor.img" | cut -d' ' -f1)

start_daemon "$RF_TMP/refurbd.conf"

check "the bay is a confirm bay, empty"
assert_eq "$(bay_json baie-confirm | jq -r .policy)" "confirm" "policy"
assert_eq "$(bay_state baie-confirm)" "empty" "state before insertion"

check "after insertion the bay waits for the technician"
attach "$BAY" "$RF_TMP/donor.img"
wait_bay_state baie-confirm waiting 3 >/dev/null
pass "state 'waiting'"
DEV=$(bay_json baie-confirm | jq -c .device)
assert_eq "$(jq -r .devnode <<<"$DEV")" "$BAY" "device on the bay"
assert_eq "$(jq -r .size <<<"$DEV")" "$(dev_size "$BAY")" "device size"
assert_eq "$(jq -r '.content.pttype // empty' <<<"$DEV")" "gpt" "content seen: partition table"
FSTYPES=$(jq -r '[.content.partitions[]?.fstype] | join(",")' <<<"$DEV")
assert_contains "$FSTYPES" "ntfs" "content seen: NTFS partition"
assert_contains "$FSTYPES" "ext4" "content seen: ext4 partition"
assert_contains "$FSTYPES" "vfat" "content seen: FAT partition"
info "summary: $(jq -r '.content_summary_fr // empty' <<<"$DEV")"

check "2 s later nothing has been written"
sleep 2
assert_eq "$(bay_state baie-confirm)" "waiting" "state"
assert_eq "$(count_jobs baie-confirm)" "0" "jobs on the bay"
assert_marker_present "$BAY" "$MARKER"
assert_eq "$(sha256sum <"$RF_TMP/donor.img" | cut -d' ' -f1)" "$SUM_BEFORE" "backing file unchanged (sha256)"

check "refurbctl erase $BAY --wait runs the job to 'done'"
run_all timeout 180 "$REFURBCTL" --socket "$RF_SOCKET" erase "$BAY" --wait
assert_rc 0 "refurbctl erase --wait"
info "refurbctl said: $(head -c 400 <<<"$RF_OUT")"
JOB=$(wait_job_final baie-confirm 10)
assert_eq "$(jq -r .state <<<"$JOB")" "done" "job state"
assert_eq "$(jq -r .result <<<"$JOB")" "erased" "job result"
assert_eq "$(jq -r .bay <<<"$JOB")" "baie-confirm" "job bay"

check "the donor's data is gone and the device holds the keystream"
assert_no_marker "$BAY" "$MARKER"
assert_blank "$BAY"
assert_keystream "$BAY" "$JOB"

check "the same drive can be erased again on request, as a new job"
run_all rctl --json erase "$BAY"
assert_rc 0 "refurbctl --json erase (second time)"
JOB2_ID=$(jq -r '(.job? // .) | .id' <<<"$RF_OUT")
assert_ne "$JOB2_ID" "$(jq -r .id <<<"$JOB")" "new job id"
JOB2=$(wait_job_final baie-confirm 120)
assert_eq "$(jq -r .id <<<"$JOB2")" "$JOB2_ID" "newest job is the one just started"
assert_eq "$(jq -r .state <<<"$JOB2")" "done" "second job state"
assert_ne "$(jq -r .pattern.key <<<"$JOB2")" "$(jq -r .pattern.key <<<"$JOB")" "fresh key for the new job"
assert_keystream "$BAY" "$JOB2"

stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
