#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-ahci-fallback: a SATA SSD on an AHCI controller (QEMU ide-hd with
# rotation_rate=1, so that the SSD policy applies) that has neither the
# sanitize nor the security feature set. Expected: the firmware methods are
# all skipped with their reasons, refurb-wipe falls back to the overwrite:
# method overwrite, category Clear, a fallback_reason, result erased; on the
# host, no marker is left in the backing image.

source "$(dirname "${BASH_SOURCE[0]}")/vm-lib.sh"

EXPECT_CATEGORY=${EXPECT_CATEGORY:-Clear}
SERIAL=REFURBAHCI0001
MIB=64

vm_init
vm_kernel

IMG=$VM_TMP/sata.img
TAG=$RANDOM$RANDOM
vm_image "$IMG" "$MIB" "$TAG"
[ "$(vm_marker_offsets "$IMG" "$TAG" | wc -l)" -eq "$MIB" ] || vm_die "test image has not $MIB markers"

cat >"$VM_TMP/payload.sh" <<EOF
. /lib/refurb-vm-guest.sh
dev=\$(vm_disk_by_serial $SERIAL 60) || { vm_log "no disk with serial $SERIAL"; ls -l /sys/block; exit 10; }
vm_event disk \$dev rotational=\$(cat /sys/block/\${dev#/dev/}/queue/rotational)
vm_event wipe-start
refurb-wipe --json --yes "\$dev" >/tmp/wipe.json 2>/tmp/wipe.err
rc=\$?
vm_event wipe-end rc=\$rc
vm_block wipe /tmp/wipe.json
vm_block wipe-stderr /tmp/wipe.err
dmesg | tail -n 40 >/tmp/dmesg
vm_block dmesg /tmp/dmesg
EOF
vm_initramfs "$VM_TMP/payload.sh"

vm_boot \
        -device ahci,id=ahci0 \
        -drive "if=none,id=sata0,file=$IMG,format=raw,cache=writeback" \
        -device "ide-hd,drive=sata0,bus=ahci0.0,serial=$SERIAL,rotation_rate=1"
vm_wait_exit 900

OUT=$VM_TMP/wipe.json
rc=$(vm_event wipe-end | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
t0=$(vm_event wipe-start | cut -d' ' -f1)
t1=$(vm_event wipe-end | cut -d' ' -f1)
info "disk: $(vm_event disk); refurb-wipe exit $rc, ran $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s in the guest"
log "--- refurb-wipe stderr:"
vm_block wipe-stderr | sed 's/^/    | /'

vm_assert "refurb-wipe exit code 0 (erased)" [ "${rc:-x}" = 0 ]
if vm_result wipe "$OUT"; then
        log "--- result:"
        jq -c '{method, category, fallback_reason, result, complete, stop, bytes_written, bytes_verified, plan,
                caps: (.caps | {kind, bus, ata_passthrough, note})}' "$OUT" |
                sed 's/^/    | /'
        vm_expect "method overwrite" '.method == "overwrite"' "$OUT"
        vm_expect "category $EXPECT_CATEGORY" '.category == "'"$EXPECT_CATEGORY"'"' "$OUT"
        vm_expect "a fallback_reason is given" '.fallback_reason | type == "string" and length > 0' "$OUT"
        vm_expect "result erased, complete" '.result == "erased" and .complete == true' "$OUT"
        vm_expect "stop none, no exceptions" '.stop == "none" and (.exceptions | length) == 0' "$OUT"
        vm_expect "every byte written and verified" \
                ".size == $((MIB * 1048576)) and .bytes_written == .size and .bytes_verified == .size" "$OUT"
        vm_expect "plan: the ATA firmware methods skipped, each with a reason" \
                '[.plan[] | select(.method | test("^ata-"))] as $a
                 | ($a | length) > 0 and all($a[]; .state == "skipped" and ((.reason // "") | length) > 0)' "$OUT"
        # The drive was probed through libata's SAT (IDENTIFY answered): the
        # reason is the drive's missing feature sets, not the transport.
        vm_expect "the ATA probe worked: security erase considered and skipped" \
                '[.plan[] | select(.method | test("^ata-security-erase"))] | length > 0 and all(.[]; .state == "skipped")' \
                "$OUT"
        vm_expect "the fallback is not blamed on ATA pass-through" \
                '.fallback_reason | test("pass-through"; "i") | not' "$OUT"
fi

left=$(vm_marker_offsets "$IMG" "$TAG" | wc -l)
vm_assert "no marker left in the backing image ($left of $MIB)" [ "$left" -eq 0 ]
vm_finish
