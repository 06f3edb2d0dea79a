#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-nvme-format: an emulated NVMe drive (QEMU: Sanitize unsupported,
# SANICAP=0; Format NVM supported, zero-fills) erased by `refurb-wipe` with
# the default method choice. Expected: the plan lists the Sanitize methods as
# skipped with their reason, Format NVM (SES=1, user data erase) runs, the
# read-back validation passes, category Purge, no fallback, result erased;
# and on the host, the backing image holds only zeros (no marker left).

source "$(dirname "${BASH_SOURCE[0]}")/vm-lib.sh"

# The names of the contract (see the report if the binary says otherwise).
EXPECT_METHOD=${EXPECT_METHOD:-nvme-format-ses1}
EXPECT_CATEGORY=${EXPECT_CATEGORY:-Purge}
SERIAL=REFURBNVME0001
MIB=64

vm_init
vm_kernel

IMG=$VM_TMP/nvme.img
TAG=$RANDOM$RANDOM
vm_image "$IMG" "$MIB" "$TAG"
[ "$(vm_marker_offsets "$IMG" "$TAG" | wc -l)" -eq "$MIB" ] || vm_die "test image has not $MIB markers"

cat >"$VM_TMP/payload.sh" <<EOF
. /lib/refurb-vm-guest.sh
dev=\$(vm_disk_by_serial $SERIAL 60) || { vm_log "no disk with serial $SERIAL"; ls -l /sys/block; exit 10; }
vm_event disk \$dev \$(cat /sys/block/\${dev#/dev/}/queue/logical_block_size)
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
        -drive "if=none,id=nvm0,file=$IMG,format=raw,cache=writeback" \
        -device "nvme,serial=$SERIAL,drive=nvm0"
vm_wait_exit 900

OUT=$VM_TMP/wipe.json
rc=$(vm_event wipe-end | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
t0=$(vm_event wipe-start | cut -d' ' -f1)
t1=$(vm_event wipe-end | cut -d' ' -f1)
info "refurb-wipe exit $rc, ran $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s in the guest"
log "--- refurb-wipe stderr:"
vm_block wipe-stderr | sed 's/^/    | /'

vm_assert "refurb-wipe exit code 0 (erased)" [ "${rc:-x}" = 0 ]
if vm_result wipe "$OUT"; then
        log "--- result:"
        jq -c '{method, category, fallback_reason, result, complete, stop, validation, plan}' "$OUT" | sed 's/^/    | /'
        vm_expect "method $EXPECT_METHOD" '.method == "'"$EXPECT_METHOD"'"' "$OUT"
        vm_expect "category $EXPECT_CATEGORY" '.category == "'"$EXPECT_CATEGORY"'"' "$OUT"
        vm_expect "fallback_reason null (no fallback)" 'has("fallback_reason") and .fallback_reason == null' "$OUT"
        vm_expect "result erased, complete" '.result == "erased" and .complete == true' "$OUT"
        vm_expect "stop none, no exceptions" '.stop == "none" and (.exceptions | length) == 0' "$OUT"
        vm_expect "size $((MIB * 1048576))" ".size == $((MIB * 1048576))" "$OUT"
        vm_expect "plan lists NVMe Sanitize as skipped, with a reason" \
                '[.plan[] | select((.method | test("sanitize")) and .state == "skipped"
                                   and ((.reason // "") | length) > 0)] | length > 0' "$OUT"
        vm_expect "plan has Format NVM planned" \
                '[.plan[] | select((.method | test("format")) and .state == "planned")] | length == 1' "$OUT"
        vm_expect "read-back validation passed, nothing unexpected, no read error" \
                '.validation | type == "object" and .passed == true and (.unexpected // 0) == 0
                              and (.read_errors // 0) == 0' "$OUT"
        vm_expect "validation read zeros" \
                '.validation | .content == "zeros" or (.blocks > 0 and .zero_blocks == .blocks)' "$OUT"
fi

# On the host: the medium itself.
left=$(vm_marker_offsets "$IMG" "$TAG" | wc -l)
vm_assert "no marker left in the backing image ($left of $MIB)" [ "$left" -eq 0 ]
vm_assert "the backing image reads as zeros (Format NVM zero-fills)" cmp -s -n $((MIB * 1048576)) "$IMG" /dev/zero
vm_finish
