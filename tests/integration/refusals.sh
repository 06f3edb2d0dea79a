#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The safety rules, seen from refurbctl and the API:
#   (a) a device on no bay is refused ("aucune baie" / English with LANG=C);
#   (b) a mounted device on a confirm bay is refused, the message names the
#       mount point, nothing is written;
#   (c) a read-only device (losetup -r) is refused ("lecture seule"), and on
#       an auto bay no job starts;
# and `refurbctl --json devices` carries the refusal codes.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all

new_loop_node NOBAY    # on no bay
new_loop_node MOUNTED  # confirm bay, mounted file system
new_loop_node RO       # confirm bay, read-only
new_loop_node RO_AUTO  # auto bay, read-only
{
        config_header full
        config_bay baie-montee "$MOUNTED" confirm
        config_bay baie-ro "$RO" confirm
        config_bay baie-ro-auto "$RO_AUTO" auto
} >"$RF_TMP/refurbd.conf"

MARKER=$(make_donor_image "$RF_TMP/free.img" 128)
MARKER_RO=$(make_donor_image "$RF_TMP/ro.img" 128)
cp --sparse=always "$RF_TMP/ro.img" "$RF_TMP/ro-auto.img"
# An ext4 file system holding the marker, to be mounted.
mkdir -p "$RF_TMP/fs"
echo "DONOR-MOUNTED-$$-$RANDOM" >"$RF_TMP/fs/secret.txt"
MARKER_MNT=$(<"$RF_TMP/fs/secret.txt")
truncate -s 128M "$RF_TMP/mounted.img"
mkfs.ext4 -q -F -L home -d "$RF_TMP/fs" "$RF_TMP/mounted.img" >/dev/null

start_daemon "$RF_TMP/refurbd.conf"

# ---------------------------------------------------------------------------
check "(a) a device on no bay is refused"
attach "$NOBAY" "$RF_TMP/free.img"
settle
sleep 0.5
run_all rctl --lang fr erase "$NOBAY"
assert_rc 1 "refurbctl --lang fr erase $NOBAY"
assert_contains_i "$RF_OUT" "aucune baie" "French message says it is on no bay"
info "message: $RF_OUT"
run_all env LANG=C "$REFURBCTL" --socket "$RF_SOCKET" erase "$NOBAY"
assert_rc 1 "LANG=C refurbctl erase $NOBAY"
assert_not_contains "$RF_OUT" "aucune baie" "LANG=C: not the French message"
assert_contains_i "$RF_OUT" "bay" "LANG=C: English message about the bay"
info "message: $RF_OUT"
run_all env LANG=fr_FR.UTF-8 "$REFURBCTL" --socket "$RF_SOCKET" erase "$NOBAY"
assert_rc 1 "LANG=fr_FR.UTF-8 refurbctl erase $NOBAY"
assert_contains_i "$RF_OUT" "aucune baie" "LANG=fr_FR.UTF-8: French message"
run_all rctl --json erase "$NOBAY"
assert_rc 1 "refurbctl --json erase $NOBAY"
info "JSON answer: $RF_OUT"
D=$(device_json "$NOBAY")
[[ -n $D ]] || fail "$NOBAY missing from 'refurbctl --json devices'"
assert_eq "$(jq -r '.refusal.code // empty' <<<"$D")" "not-on-bay" "devices: refusal code of $NOBAY"
assert_eq "$(jq -r '.erasable' <<<"$D")" "false" "devices: $NOBAY not erasable"
assert_eq "$(jq -r '.bay' <<<"$D")" "null" "devices: $NOBAY has no bay"
assert_eq "$(count_jobs "$NOBAY")" "0" "no job on $NOBAY"
assert_marker_present "$NOBAY" "$MARKER"

check "the bench's own disks are listed and refused"
ROOTDEV=$(findmnt -n -o SOURCE / || true)
ROOTDISK=
if [[ $ROOTDEV == /dev/* ]]; then
        ROOTDISK=/dev/$(lsblk -n -o PKNAME "$ROOTDEV" 2>/dev/null | head -1)
        [[ $ROOTDISK == /dev/ ]] && ROOTDISK=$ROOTDEV
fi
if [[ -n $ROOTDISK ]] && [[ -n $(device_json "$ROOTDISK") ]]; then
        R=$(device_json "$ROOTDISK")
        assert_eq "$(jq -r .erasable <<<"$R")" "false" "devices: $ROOTDISK (holds /) not erasable"
        assert_ne "$(jq -r '.refusal.code // "null"' <<<"$R")" "null" "devices: $ROOTDISK has a refusal"
else
        info "root file system on '$ROOTDEV': no whole disk to look at, skipped"
fi

# ---------------------------------------------------------------------------
check "(b) a mounted device on a confirm bay is refused, naming the mount point"
attach "$MOUNTED" "$RF_TMP/mounted.img"
MNT=$RF_TMP/mnt
mount_dev "$MOUNTED" "$MNT"
info "$MOUNTED mounted on $MNT"
settle
# The daemon may only notice the mount when asked: poll the listing a bit.
CODE=
for ((i = 0; i < 40; i++)); do
        CODE=$(device_json "$MOUNTED" | jq -r '.refusal.code // empty')
        [[ $CODE == mounted ]] && break
        sleep 0.1
done
run_all rctl --lang fr erase "$MOUNTED"
assert_rc 1 "refurbctl --lang fr erase $MOUNTED"
assert_contains "$RF_OUT" "$MNT" "message names the mount point"
assert_contains_i "$RF_OUT" "mont" "message says it is mounted (monté)"
info "message: $RF_OUT"
run_all env LANG=C "$REFURBCTL" --socket "$RF_SOCKET" erase "$MOUNTED"
assert_rc 1 "LANG=C refurbctl erase $MOUNTED"
assert_contains_i "$RF_OUT" "mounted" "LANG=C: English message"
assert_contains "$RF_OUT" "$MNT" "LANG=C: message names the mount point"
assert_eq "$CODE" "mounted" "devices: refusal code of $MOUNTED"
assert_contains "$(device_json "$MOUNTED" | jq -r '.refusal.detail // empty')" "$MNT" "devices: refusal detail names $MNT"
assert_eq "$(count_jobs "$MOUNTED")" "0" "no job on $MOUNTED"
assert_eq "$(cat "$MNT/secret.txt")" "$MARKER_MNT" "the mounted file is intact"
umount "$MNT"
assert_marker_present "$MOUNTED" "$MARKER_MNT"

# ---------------------------------------------------------------------------
check "(c) a read-only device on a confirm bay is refused (lecture seule)"
attach "$RO" "$RF_TMP/ro.img" -r
settle
for ((i = 0; i < 40; i++)); do
        [[ $(bay_state baie-ro) != empty ]] && break
        sleep 0.05
done
info "baie-ro state: $(bay_state baie-ro)"
run_all rctl --lang fr erase "$RO"
assert_rc 1 "refurbctl --lang fr erase $RO"
assert_contains_i "$RF_OUT" "lecture seule" "French message says read-only"
info "message: $RF_OUT"
run_all env LANG=C "$REFURBCTL" --socket "$RF_SOCKET" erase "$RO"
assert_rc 1 "LANG=C refurbctl erase $RO"
assert_contains_i "$RF_OUT" "read-only" "LANG=C: English message"
D=$(device_json "$RO")
assert_eq "$(jq -r '.refusal.code // empty' <<<"$D")" "read-only" "devices: refusal code of $RO"
assert_eq "$(jq -r .read_only <<<"$D")" "true" "devices: read_only flag"
assert_eq "$(jq -r .bay <<<"$D")" "baie-ro" "devices: bay of $RO"
assert_eq "$(bay_state baie-ro)" "refused" "bay state"
assert_eq "$(bay_json baie-ro | jq -r '.refusal.code // empty')" "read-only" "bay refusal code"
assert_marker_present "$RO" "$MARKER_RO"

check "(c') a read-only device on an auto bay: refused, no job starts"
attach "$RO_AUTO" "$RF_TMP/ro-auto.img" -r
wait_bay_state baie-ro-auto refused 3 >/dev/null
pass "baie-ro-auto state 'refused'"
sleep 1
assert_eq "$(count_jobs baie-ro-auto)" "0" "jobs on baie-ro-auto"
assert_eq "$(bay_json baie-ro-auto | jq -r '.refusal.code // empty')" "read-only" "bay refusal code"

check "the daemon is still healthy after the refusals"
rctl status >/dev/null || fail "refurbctl status fails"
daemon_alive || fail "refurbd died"
stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
