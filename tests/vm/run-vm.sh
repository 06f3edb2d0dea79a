#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-vm.sh: boot the Debian kernel (fetch-kernel.sh) with a busybox
# initramfs carrying the given binaries and modules, run SCRIPT in it, show
# the console, and exit with SCRIPT's exit code.
#
#     tests/vm/run-vm.sh -s SCRIPT [-b BINARY[:DEST]]... [-m MODULE]...
#                        [-f SRC:DEST]... [-t SECONDS] [-- QEMU-ARGS...]
#
# refurb-wipe ($REFURB_WIPE, default build/wiper/refurb-wipe) is included
# when it exists; the storage modules of vm-lib.sh are always loaded. SCRIPT
# can source /lib/refurb-vm-guest.sh. Example:
#
#     truncate -s 64M /tmp/d.img
#     tests/vm/run-vm.sh -s my.sh -- -drive if=none,id=d0,file=/tmp/d.img,format=raw \
#             -device nvme,serial=X1,drive=d0
#
# Exit codes: SCRIPT's, 77 when the VM cannot run, 1 on other failures.
# Environment: as vm-lib.sh (REFURB_VM_CACHE, REFURB_VM_ACCEL, ...).

export VM_NEED_WIPE=0 # read by vm-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm-lib.sh"

script='' timeout=1800 extra=()
while getopts 's:b:m:f:t:h' opt; do
        case $opt in
        s) script=$OPTARG ;;
        b) extra+=(-b "$OPTARG") ;;
        m) extra+=(-m "$OPTARG") ;;
        f) extra+=(-f "$OPTARG") ;;
        t) timeout=$OPTARG ;;
        h) sed -n '4,20p' "$0"; exit 0 ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))
[ -n "$script" ] && [ -r "$script" ] || { echo "run-vm: -s SCRIPT (readable) is required" >&2; exit 2; }

vm_init
vm_kernel
vm_initramfs "$script" "${extra[@]}"
vm_boot "$@"
tail -n +1 -f "$VM_CONSOLE" --pid "$VM_PID" | tr -d '\r' &
tailer=$!
vm_wait_exit "$timeout"
wait "$tailer" 2>/dev/null || true
rc=$(vm_guest_rc)
exit "${rc:-1}"
