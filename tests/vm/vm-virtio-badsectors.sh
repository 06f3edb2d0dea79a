#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-virtio-badsectors: a virtio-scsi disk whose writes to one sector fail
# with EIO (QEMU blkdebug). Expected: refurb-wipe goes on past the bad
# sector, reports exactly that sector's bytes as a write-error exception,
# writes everything else, and says not-erased (exit 1). On the host the
# original data (its marker) is still in that sector and nowhere else.

source "$(dirname "${BASH_SOURCE[0]}")/vm-lib.sh"

SERIAL=REFURBSCSIBAD1
MIB=64
BAD_SECTOR=4096 # in 512-byte units (blkdebug), i.e. byte 2 MiB: a marker's place

vm_init
vm_kernel

IMG=$VM_TMP/bad.img
TAG=$RANDOM$RANDOM
vm_image "$IMG" "$MIB" "$TAG"
[ "$(vm_marker_offsets "$IMG" "$TAG" | wc -l)" -eq "$MIB" ] || vm_die "test image has not $MIB markers"
cat >"$VM_TMP/blkdebug.cfg" <<EOF
[inject-error]
event = "write_aio"
errno = "5"
sector = "$BAD_SECTOR"
once = "off"
EOF

cat >"$VM_TMP/payload.sh" <<EOF
. /lib/refurb-vm-guest.sh
dev=\$(vm_disk_by_serial $SERIAL 60) || { vm_log "no disk with serial $SERIAL"; ls -l /sys/block; exit 10; }
vm_event disk \$dev lbs=\$(cat /sys/block/\${dev#/dev/}/queue/logical_block_size)
vm_event wipe-start
refurb-wipe --json --yes "\$dev" >/tmp/wipe.json 2>/tmp/wipe.err
rc=\$?
vm_event wipe-end rc=\$rc
vm_block wipe /tmp/wipe.json
vm_block wipe-stderr /tmp/wipe.err
dmesg | grep -v -e ' evm: ' -e 'Key type' | tail -n 40 >/tmp/dmesg
vm_block dmesg /tmp/dmesg
EOF
vm_initramfs "$VM_TMP/payload.sh"

vm_boot \
        -device virtio-scsi-pci,id=scsi0 \
        -blockdev "driver=raw,node-name=bd0,file.driver=blkdebug,file.config=$VM_TMP/blkdebug.cfg,file.image.driver=file,file.image.filename=$IMG" \
        -device "scsi-hd,drive=bd0,bus=scsi0.0,serial=$SERIAL,id=disk0"
vm_wait_exit 900

OUT=$VM_TMP/wipe.json
rc=$(vm_event wipe-end | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
lbs=$(vm_event disk | sed -n 's/.* lbs=\([0-9]*\).*/\1/p')
t0=$(vm_event wipe-start | cut -d' ' -f1)
t1=$(vm_event wipe-end | cut -d' ' -f1)
info "disk: $(vm_event disk); refurb-wipe exit $rc, ran $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s in the guest"
log "--- refurb-wipe stderr:"
vm_block wipe-stderr | sed 's/^/    | /'
log "--- guest kernel log (end):"
vm_block dmesg | tail -n 12 | sed 's/^/    | /'

# The failed range: the logical sector holding 512-byte sector BAD_SECTOR.
lbs=${lbs:-512}
BAD_OFF=$((BAD_SECTOR * 512 / lbs * lbs))
BAD_LEN=$lbs
SIZE=$((MIB * 1048576))

vm_assert "refurb-wipe exit code 1 (not erased)" [ "${rc:-x}" = 1 ]
if vm_result wipe "$OUT"; then
        log "--- result:"
        jq -c '{method, category, result, complete, stop, bytes_written, bytes_verified, exceptions}' "$OUT" |
                sed 's/^/    | /'
        vm_expect "result not-erased, not complete" '.result == "not-erased" and .complete == false' "$OUT"
        vm_expect "the job went on (stop none, not too-many-errors)" '.stop == "none"' "$OUT"
        vm_expect "a write-error exception of exactly bytes $BAD_OFF+$BAD_LEN" \
                "[.exceptions[] | select(.kind == \"write-error\")] == [.exceptions[] | select(.kind == \"write-error\")
                 | select(.offset == $BAD_OFF and .length == $BAD_LEN)] and
                 ([.exceptions[] | select(.kind == \"write-error\")] | length) == 1" "$OUT"
        vm_expect "its error is the I/O error" \
                '.exceptions[] | select(.kind == "write-error") | .error | test("Input/output error|EIO")' "$OUT"
        vm_expect "no other exception outside the bad sector" \
                "all(.exceptions[]; .offset >= $BAD_OFF and .offset + .length <= $BAD_OFF + $BAD_LEN)" "$OUT"
        vm_expect "bytes_written == size - $BAD_LEN" ".size == $SIZE and .bytes_written == $((SIZE - BAD_LEN))" "$OUT"
        vm_expect "verification went over the rest" ".bytes_verified >= $((SIZE - BAD_LEN))" "$OUT"
fi

offsets=$(vm_marker_offsets "$IMG" "$TAG" | tr '\n' ' ')
vm_assert "on the host, the only marker left is in the bad sector (left: ${offsets:-none})" \
        [ "$offsets" = "$((BAD_SECTOR * 512)) " ]
vm_finish
