#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-hot-unplug: two virtio-scsi disks erased in parallel; the first one is
# throttled (writes at 16 MiB/s) so that its erasure takes a while, and is
# hot-unplugged from the host (QMP device_del) once the guest reports that
# its writes started. Expected: the first run ends "interrupted" (exit 3,
# stop "removed") within about a second of the disk's removal in the guest,
# the second completes "erased" (exit 0) and its image has no marker left.
#
#   REFURB_VM_UNPLUG_MAX   seconds allowed between the removal seen in the
#                          guest and the end of the first run (default 1.5)

source "$(dirname "${BASH_SOURCE[0]}")/vm-lib.sh"

SERIAL1=REFURBSCSIHOT1
SERIAL2=REFURBSCSIHOT2
MIB=256
THROTTLE=$((16 * 1048576)) # bytes/s on the first disk: ~16 s for its writes
MAX_DELAY=${REFURB_VM_UNPLUG_MAX:-1.5}

vm_init
vm_kernel

IMG1=$VM_TMP/hot1.img
IMG2=$VM_TMP/hot2.img
TAG=$RANDOM$RANDOM
vm_image "$IMG1" "$MIB" "$TAG"
vm_image "$IMG2" "$MIB" "$TAG"

cat >"$VM_TMP/payload.sh" <<EOF
. /lib/refurb-vm-guest.sh
d1=\$(vm_disk_by_serial $SERIAL1 60) || { vm_log "no disk $SERIAL1"; exit 10; }
d2=\$(vm_disk_by_serial $SERIAL2 60) || { vm_log "no disk $SERIAL2"; exit 10; }
vm_event disks \$d1 \$d2
# The moment the first disk leaves sysfs.
( while [ -e /sys/block/\${d1#/dev/} ]; do sleep 0.02; done; vm_event removed ) &
watcher=\$!
vm_event wipe-start
( refurb-wipe --json --yes "\$d1" >/tmp/w1.json 2>/tmp/w1.err; rc=\$?; vm_event wipe1-end rc=\$rc; echo \$rc >/tmp/w1.rc ) &
p1=\$!
( refurb-wipe --json --yes "\$d2" >/tmp/w2.json 2>/tmp/w2.err; rc=\$?; vm_event wipe2-end rc=\$rc; echo \$rc >/tmp/w2.rc ) &
p2=\$!
# Tell the host once 8 MiB went to the first disk: its erasure is under way.
while [ ! -e /tmp/w1.rc ]; do
        s=\$(vm_sectors_written \$d1)
        [ "\${s:-0}" -lt 16384 ] || { vm_event wipe1-writing sectors=\$s; break; }
        sleep 0.05
done
wait \$p1
wait \$p2
sleep 1
kill \$watcher 2>/dev/null
vm_block wipe1 /tmp/w1.json
vm_block wipe1-stderr /tmp/w1.err
vm_block wipe2 /tmp/w2.json
vm_block wipe2-stderr /tmp/w2.err
dmesg | grep -v -e ' evm: ' -e 'Key type' | tail -n 30 >/tmp/dmesg
vm_block dmesg /tmp/dmesg
EOF
vm_initramfs "$VM_TMP/payload.sh"

vm_boot \
        -device virtio-scsi-pci,id=scsi0 \
        -drive "if=none,id=hot1,file=$IMG1,format=raw,cache=writeback,throttling.bps-write=$THROTTLE" \
        -device "scsi-hd,drive=hot1,bus=scsi0.0,scsi-id=0,lun=0,serial=$SERIAL1,id=disk1" \
        -drive "if=none,id=hot2,file=$IMG2,format=raw,cache=writeback" \
        -device "scsi-hd,drive=hot2,bus=scsi0.0,scsi-id=1,lun=0,serial=$SERIAL2,id=disk2"

if writing=$(vm_wait_event wipe1-writing 600); then
        info "guest: first disk being written ($writing); unplugging it"
        t_del=$(date +%s.%N)
        vm_qmp device_del '{"id": "disk1"}' >/dev/null || vm_die "QMP device_del failed: $(tail -n 3 "$VM_TMP/qmp.log")"
        if vm_wait_qmp_event DEVICE_DELETED 120 >/dev/null; then
                info "DEVICE_DELETED after $(awk -v a="$t_del" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
        else
                info "no DEVICE_DELETED within 120 s"
        fi
else
        info "the guest never reported writes to the first disk"
fi
vm_wait_exit 900

W1=$VM_TMP/w1.json
W2=$VM_TMP/w2.json
rc1=$(vm_event wipe1-end | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
rc2=$(vm_event wipe2-end | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
t_start=$(vm_event wipe-start | cut -d' ' -f1)
t_rm=$(vm_event removed | cut -d' ' -f1)
t_end1=$(vm_event wipe1-end | cut -d' ' -f1)
t_end2=$(vm_event wipe2-end | cut -d' ' -f1)
info "guest uptimes: start $t_start, disk 1 removed ${t_rm:-never}, run 1 ended ${t_end1:-?} (exit ${rc1:-?})," \
        "run 2 ended ${t_end2:-?} (exit ${rc2:-?})"
for n in 1 2; do
        log "--- refurb-wipe stderr, disk $n:"
        vm_block "wipe$n-stderr" | sed 's/^/    | /'
done
log "--- guest kernel log (end):"
vm_block dmesg | tail -n 12 | sed 's/^/    | /'

vm_assert "the guest saw the first disk go away" [ -n "$t_rm" ]
if [ -n "$t_rm" ] && [ -n "$t_end1" ]; then
        delay=$(awk -v a="$t_rm" -v b="$t_end1" 'BEGIN { printf "%.2f", b - a }')
        vm_assert "run 1 ended ${delay} s after the removal (at most $MAX_DELAY s)" \
                awk -v d="$delay" -v m="$MAX_DELAY" 'BEGIN { exit !(d <= m) }'
fi
vm_assert "run 1: exit code 3 (interrupted)" [ "${rc1:-x}" = 3 ]
vm_assert "run 2: exit code 0 (erased)" [ "${rc2:-x}" = 0 ]
if vm_result wipe1 "$W1"; then
        log "--- result 1:"
        jq -c '{device, method, result, complete, stop, bytes_written, bytes_verified, exceptions}' "$W1" | sed 's/^/    | /'
        vm_expect "run 1: result interrupted, stop removed, not complete" \
                '.result == "interrupted" and .stop == "removed" and .complete == false' "$W1"
        vm_expect "run 1: stopped part-way (bytes_written < size)" '.bytes_written < .size' "$W1"
fi
if vm_result wipe2 "$W2"; then
        log "--- result 2:"
        jq -c '{device, method, result, complete, stop, bytes_written, bytes_verified, exceptions}' "$W2" | sed 's/^/    | /'
        vm_expect "run 2: result erased, complete, stop none" \
                '.result == "erased" and .complete == true and .stop == "none"' "$W2"
        vm_expect "run 2: every byte written and verified, no exception" \
                ".size == $((MIB * 1048576)) and .bytes_written == .size and .bytes_verified == .size
                 and (.exceptions | length) == 0" "$W2"
fi

left1=$(vm_marker_offsets "$IMG1" "$TAG" | wc -l)
left2=$(vm_marker_offsets "$IMG2" "$TAG" | wc -l)
vm_assert "disk 2: no marker left ($left2 of $MIB)" [ "$left2" -eq 0 ]
vm_assert "disk 1: markers still there, it was not finished ($left1 of $MIB)" [ "$left1" -gt 0 ]
vm_finish
