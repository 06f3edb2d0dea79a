# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Host side of the VM tests: boot a Debian kernel with a busybox initramfs
# carrying our binaries, under QEMU (KVM when /dev/kvm is usable, TCG
# otherwise), talk QMP, read results from the serial console.
#
#     source "$(dirname "$0")/vm-lib.sh"
#     vm_init                                   # temp dir, cleanup trap, tool checks
#     vm_kernel                                 # $VM_KDIR (skips when unavailable)
#     vm_initramfs payload.sh -b "$REFURB_WIPE:/usr/sbin/refurb-wipe" -m nvme
#     vm_boot -drive ... -device nvme,...       # background QEMU
#     vm_wait_event wipe-started 120            # guest: vm_event wipe-started
#     vm_qmp device_del '{"id":"disk0"}'
#     vm_wait_exit 300
#     vm_block wipe >out.json                   # guest: vm_block wipe FILE
#     vm_expect "erased" '.result == "erased"' out.json
#     vm_finish                                 # 0, or 1 when a check failed
#
# Exit codes: 0 passed, 1 failed (the failed checks are listed, then the end
# of the guest console), 77 skipped (reason printed).
#
# Environment:
#   REFURB_WIPE          refurb-wipe binary (meson sets it; default
#                        build/wiper/refurb-wipe)
#   REFURB_VM_CACHE      kernel cache (fetch-kernel.sh; default /var/cache/refurb-vm)
#   REFURB_VM_TMPDIR     where disk images and logs go (default /var/tmp)
#   REFURB_VM_KEEP=1     keep the temporary directory (post-mortem)
#   REFURB_VM_MEM        guest memory in MiB (default 1024)
#   REFURB_VM_SMP        guest CPUs (default 2)
#   REFURB_VM_QUIET_WAIT seconds to wait for benchmarks to finish before each
#                        boot (default 300; 0: do not wait)
#   REFURB_VM_KMSG=1     kernel messages on the console too (noisy)

set -euo pipefail

VM_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_SRCDIR=$(cd "$VM_LIBDIR/../.." && pwd)
VM_TEST_NAME=$(basename "${0%.sh}")
REFURB_WIPE=${REFURB_WIPE:-$VM_SRCDIR/build/wiper/refurb-wipe}
export LANG=C.UTF-8
unset LC_ALL

VM_TMP=
VM_PID=
VM_QMP_READER=
VM_QMP_IN=
VM_QMP_ID=0
VM_FAILS=0
VM_CHECKS=0
VM_KDIR=
VM_INITRD=
VM_CONSOLE=
VM_BOOT_T0=
VM_T0=$(date +%s.%N)

log() { printf '%s\n' "$*"; }
info() { printf '    .. %s\n' "$*"; }

# Seconds since the test started, 0.1 s resolution.
vm_elapsed() {
        awk -v a="$VM_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

vm_skip() {
        printf 'SKIP: %s: %s\n' "$VM_TEST_NAME" "$*"
        exit 77
}

vm_die() {
        printf 'FAIL: %s: %s\n' "$VM_TEST_NAME" "$*"
        vm_show_console 60
        exit 1
}

vm_cleanup() {
        local rc=$?
        trap - EXIT INT TERM
        vm_stop_qemu
        if [ -n "$VM_TMP" ] && [ -d "$VM_TMP" ]; then
                if [ "${REFURB_VM_KEEP:-0}" = 1 ]; then
                        log "kept $VM_TMP"
                else
                        rm -rf "$VM_TMP"
                fi
        fi
        exit "$rc"
}

# Temporary directory, trap, tools. Skips (77) when something is missing.
vm_init() {
        command -v qemu-system-x86_64 >/dev/null ||
                vm_skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
        command -v jq >/dev/null || vm_skip "jq not installed"
        command -v gzip >/dev/null || vm_skip "gzip not installed"
        local bb=
        for b in /bin/busybox /usr/bin/busybox; do
                if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then bb=$b; break; fi
        done
        [ -n "$bb" ] || vm_skip "no static busybox (apt-get install busybox-static)"
        [ "${VM_NEED_WIPE:-1}" = 0 ] || [ -x "$REFURB_WIPE" ] || vm_skip "refurb-wipe not built ($REFURB_WIPE)"

        local base=${REFURB_VM_TMPDIR:-/var/tmp}
        VM_TMP=$(mktemp -d "$base/refurb-vm-$VM_TEST_NAME.XXXXXX") || vm_skip "cannot create a directory in $base"
        trap vm_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        VM_CONSOLE=$VM_TMP/console.log
        log "== $VM_TEST_NAME (tmp $VM_TMP)"
}

# $VM_KDIR: the kernel from fetch-kernel.sh. Skips when it cannot be had.
vm_kernel() {
        local err=$VM_TMP/fetch-kernel.err
        if ! VM_KDIR=$("$VM_LIBDIR/fetch-kernel.sh" 2>"$err"); then
                cat "$err" >&2
                vm_skip "no kernel: $(tail -n 1 "$err")"
        fi
        info "kernel $(cat "$VM_KDIR/release") from $VM_KDIR"
}

# Modules every test image loads: the storage drivers we exercise.
VM_MODULES=(virtio_pci virtio_scsi virtio_blk sd_mod sg
        crct10dif_generic crc64_rocksoft_generic crc_t10dif
        nvme ahci)

# vm_initramfs PAYLOAD [build-initramfs.sh options...]: $VM_INITRD, with the
# default modules, refurb-wipe at /usr/sbin/refurb-wipe, and the payload.
vm_initramfs() {
        local payload=$1
        shift
        local args=(-k "$VM_KDIR" -o "$VM_TMP/initramfs.gz" -s "$payload")
        [ ! -x "$REFURB_WIPE" ] || args+=(-b "$REFURB_WIPE:/usr/sbin/refurb-wipe")
        for m in "${VM_MODULES[@]}"; do args+=(-m "$m"); done
        "$VM_LIBDIR/build-initramfs.sh" "${args[@]}" "$@" || vm_die "build-initramfs.sh failed"
        VM_INITRD=$VM_TMP/initramfs.gz
        info "initramfs $(du -k "$VM_INITRD" | cut -f1) KiB"
}

# Other people's benchmarks on this machine: do not distort their numbers.
# Bounded wait while dd or a refurb-wipe/bench process runs (ours excluded).
vm_wait_quiet() {
        local max=${REFURB_VM_QUIET_WAIT:-300} waited=0 busy
        [ "$max" -gt 0 ] || return 0
        while :; do
                busy=$( { pgrep -x dd; pgrep -f 'refurb-wipe|bench/'; } 2>/dev/null |
                        grep -vx -e "$$" -e "$BASHPID" | sort -u | tr '\n' ' ' || true)
                [ -n "$busy" ] || break
                if [ "$waited" -ge "$max" ]; then
                        info "benchmark processes still running after ${max}s (pids $busy): booting anyway"
                        break
                fi
                [ "$waited" -gt 0 ] || info "waiting for benchmark processes to finish (pids $busy), at most ${max}s"
                sleep 5
                waited=$((waited + 5))
        done
        [ "$waited" -eq 0 ] || info "waited ${waited}s for benchmarks"
}

# vm_image FILE MIB TAG: a raw image of random data with the marker
# "REFURB-VM-MARKER TAG <n>" (64 bytes, space-padded) at the start of every MiB.
vm_image() {
        local file=$1 mib=$2 tag=$3 i
        for ((i = 0; i < mib; i++)); do
                printf '%-64s' "REFURB-VM-MARKER $tag $i"
                head -c $((1048576 - 64)) /dev/urandom
        done >"$file"
}

# vm_marker_offsets FILE TAG: byte offsets of the markers still in FILE.
vm_marker_offsets() {
        LC_ALL=C grep -a -b -o -F "REFURB-VM-MARKER $2 " "$1" | cut -d: -f1 || true
}

# vm_boot QEMU-ARGS...: start the VM in the background. The console goes to
# $VM_CONSOLE, QMP to a pipe (vm_qmp). Extra kernel arguments: $VM_APPEND.
# Accelerator: REFURB_VM_ACCEL=auto (default: KVM when /dev/kvm is usable,
# else TCG; a KVM start that fails, as under some nested hypervisors, is
# retried under TCG), kvm or tcg.
vm_boot() {
        local want=${REFURB_VM_ACCEL:-auto}
        vm_wait_quiet
        if [ "$want" != tcg ] && [ -w /dev/kvm ]; then
                # 2>/dev/null: bash reports a QEMU that aborts ("Aborted").
                vm_boot_with kvm host "$@" 2>/dev/null && return 0
                vm_stop_qemu 2>/dev/null
                [ "$want" = auto ] || vm_die "QEMU with KVM did not start: $(head -c 2000 "$VM_TMP/qemu.out")"
                info "KVM does not work here ($(head -n 1 "$VM_TMP/qemu.out")): TCG"
        fi
        vm_boot_with tcg,thread=multi max "$@" ||
                vm_die "QMP does not answer; QEMU said: $(head -c 2000 "$VM_TMP/qemu.out")"
}

vm_boot_with() {
        local accel=$1 cpu=$2
        shift 2
        local append="console=ttyS0,115200 panic=-1 quiet loglevel=4 ${VM_APPEND:-}"
        [ "${REFURB_VM_KMSG:-0}" = 1 ] && append+=" refurb.kmsg"
        vm_stop_qemu
        rm -f "$VM_TMP/qmp.in" "$VM_TMP/qmp.out"
        mkfifo "$VM_TMP/qmp.in" "$VM_TMP/qmp.out"
        : >"$VM_CONSOLE"
        : >"$VM_TMP/qmp.log"
        VM_QMP_ID=0

        info "booting (${accel%%,*}, ${REFURB_VM_SMP:-2} CPUs, ${REFURB_VM_MEM:-1024} MiB)"
        VM_BOOT_T0=$(date +%s.%N)
        qemu-system-x86_64 \
                -nodefaults -no-user-config -nographic -no-reboot \
                -machine pc -accel "$accel" -cpu "$cpu" \
                -smp "${REFURB_VM_SMP:-2}" -m "${REFURB_VM_MEM:-1024}" \
                -kernel "$VM_KDIR/vmlinuz" -initrd "$VM_INITRD" -append "$append" \
                -chardev "file,id=con,path=$VM_CONSOLE" -serial chardev:con \
                -chardev "pipe,id=qmp,path=$VM_TMP/qmp" -mon chardev=qmp,mode=control \
                -monitor none -net none \
                "$@" </dev/null >"$VM_TMP/qemu.out" 2>&1 &
        VM_PID=$!
        # QEMU opens both FIFOs read-write: these opens do not block on it.
        exec {VM_QMP_IN}<>"$VM_TMP/qmp.in"
        cat <>"$VM_TMP/qmp.out" >>"$VM_TMP/qmp.log" &
        VM_QMP_READER=$!
        vm_qmp qmp_capabilities >/dev/null || return 1
        # Under KVM a broken setup may die once the vCPUs run.
        sleep 1
        kill -0 "$VM_PID" 2>/dev/null
}

# Stop QEMU and the QMP plumbing, if running.
vm_stop_qemu() {
        if [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; then
                kill "$VM_PID" 2>/dev/null || true
                for _ in 1 2 3 4 5 6 7 8 9 10; do
                        kill -0 "$VM_PID" 2>/dev/null || break
                        sleep 0.2
                done
                kill -9 "$VM_PID" 2>/dev/null || true
        fi
        [ -z "$VM_PID" ] || wait "$VM_PID" 2>/dev/null || true
        VM_PID=
        if [ -n "$VM_QMP_IN" ]; then
                eval "exec $VM_QMP_IN>&-" 2>/dev/null || true
                VM_QMP_IN=
        fi
        if [ -n "$VM_QMP_READER" ]; then
                kill "$VM_QMP_READER" 2>/dev/null || true
                wait "$VM_QMP_READER" 2>/dev/null || true
                VM_QMP_READER=
        fi
}

# vm_qmp COMMAND [ARGUMENTS-JSON]: run a QMP command, print its answer
# ({"return": ...} or {"error": ...}); 1 on error or no answer in 30 s.
vm_qmp() {
        local cmd=$1 qargs=${2:-"{}"} id line
        VM_QMP_ID=$((VM_QMP_ID + 1))
        id=refurb-$VM_QMP_ID
        printf '{"execute": "%s", "arguments": %s, "id": "%s"}\n' "$cmd" "$qargs" "$id" >&"$VM_QMP_IN"
        for _ in $(seq 300); do
                line=$(grep -m1 -F "\"id\": \"$id\"" "$VM_TMP/qmp.log" || true)
                if [ -n "$line" ]; then
                        printf '%s\n' "$line"
                        jq -e 'has("return")' <<<"$line" >/dev/null
                        return
                fi
                kill -0 "$VM_PID" 2>/dev/null || return 1
                sleep 0.1
        done
        return 1
}

# vm_wait_qmp_event NAME SECONDS: wait for a QMP event (DEVICE_DELETED...);
# prints it.
vm_wait_qmp_event() {
        local n=$(( $2 * 10 )) line
        while [ $n -gt 0 ]; do
                line=$(grep -m1 -F "\"event\": \"$1\"" "$VM_TMP/qmp.log" || true)
                [ -z "$line" ] || { printf '%s\n' "$line"; return 0; }
                n=$((n - 1))
                sleep 0.1
        done
        return 1
}

vm_console() {
        tr -d '\r' <"$VM_CONSOLE"
}

# vm_wait_event NAME SECONDS: wait for "@@REFURB-VM EVENT NAME ...@@" from
# the guest; prints the words after the name (uptime first). 1 on timeout
# or when the VM ended first.
vm_wait_event() {
        local n=$(( $2 * 10 )) line
        while [ $n -gt 0 ]; do
                line=$(vm_event "$1")
                [ -z "$line" ] || { printf '%s\n' "$line"; return 0; }
                kill -0 "$VM_PID" 2>/dev/null || { line=$(vm_event "$1"); [ -n "$line" ] && printf '%s\n' "$line"; [ -n "$line" ]; return; }
                n=$((n - 1))
                sleep 0.1
        done
        return 1
}

# vm_event NAME: the words of that event (uptime first), empty if none.
vm_event() {
        vm_console | sed -n "s/^.*@@REFURB-VM EVENT $1 \\(.*\\)@@.*$/\\1/p" | sed -n 1p
}

# vm_wait_exit SECONDS: wait for the VM to power off; kills it and fails
# the test on timeout. Prints the boot-to-exit duration.
vm_wait_exit() {
        local n=$(( $1 * 10 ))
        while kill -0 "$VM_PID" 2>/dev/null; do
                n=$((n - 1))
                if [ $n -le 0 ]; then
                        kill "$VM_PID" 2>/dev/null || true
                        wait "$VM_PID" 2>/dev/null || true
                        VM_PID=
                        vm_die "the VM did not power off within $1 s"
                fi
                sleep 0.1
        done
        wait "$VM_PID" 2>/dev/null || true
        VM_PID=
        local booted
        booted=$(vm_console | sed -n 's/^.*@@REFURB-VM BOOTED \([0-9.]*\)@@.*$/\1/p' | sed -n 1p)
        info "VM ran $(awk -v a="$VM_BOOT_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" \
                "(kernel to /init: ${booted:-?} s guest uptime, modules loaded at" \
                "$(vm_console | sed -n 's/^.*@@REFURB-VM MODULES \([0-9.]*\)@@.*$/\1/p' | sed -n 1p) s)"
        grep -q '@@REFURB-VM EXIT' <(vm_console) || vm_die "the guest stopped without finishing its payload"
}

# The payload's exit code.
vm_guest_rc() {
        vm_console | sed -n 's/^.*@@REFURB-VM EXIT \([0-9]*\)@@.*$/\1/p' | sed -n 1p
}

# vm_block NAME: the lines between the BEGIN/END markers of that block.
vm_block() {
        vm_console | awk -v b="@@REFURB-VM BEGIN $1@@" -v e="@@REFURB-VM END $1@@" '
                index($0, e) { on = 0; done = 1 } on { print } !done && index($0, b) { on = 1 }'
}

vm_show_console() {
        [ -n "$VM_CONSOLE" ] && [ -s "$VM_CONSOLE" ] || return 0
        log "--- last ${1:-40} lines of the guest console:"
        vm_console | tail -n "${1:-40}" | sed 's/^/    | /'
        log "---"
}

# vm_expect DESCRIPTION JQ-FILTER FILE: one check on a JSON result. The
# filter must yield true. Failures are counted, not fatal, so that one run
# reports every deviation.
vm_expect() {
        local what=$1 filter=$2 file=$3
        VM_CHECKS=$((VM_CHECKS + 1))
        if jq -e "$filter" "$file" >/dev/null 2>&1; then
                printf '    ok: %s\n' "$what"
        else
                VM_FAILS=$((VM_FAILS + 1))
                printf '    FAILED: %s\n        (jq %s on %s)\n' "$what" "$filter" "${file##*/}"
        fi
}

# vm_assert DESCRIPTION COMMAND...: a check on anything else.
vm_assert() {
        local what=$1
        shift
        VM_CHECKS=$((VM_CHECKS + 1))
        if "$@"; then
                printf '    ok: %s\n' "$what"
        else
                VM_FAILS=$((VM_FAILS + 1))
                printf '    FAILED: %s\n' "$what"
        fi
}

# vm_result NAME FILE: extract a guest JSON block into FILE; fails the
# test when it is missing or not JSON.
vm_result() {
        vm_block "$1" >"$2"
        if ! jq -e . "$2" >/dev/null 2>&1; then
                log "    result block '$1' is missing or not JSON:"
                sed 's/^/    | /' "$2"
                VM_FAILS=$((VM_FAILS + 1))
                return 1
        fi
}

vm_finish() {
        log "== $VM_TEST_NAME: $((VM_CHECKS - VM_FAILS)) of $VM_CHECKS checks passed in $(vm_elapsed) s"
        if [ "$VM_FAILS" -gt 0 ]; then
                vm_show_console 80
                exit 1
        fi
        exit 0
}
