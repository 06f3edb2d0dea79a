# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers shared by the bench/ scripts: sourced, never run. They are
# benchmarks run by hand (as root, on loop devices), not tests.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_init NAME          trap, die(), LC_ALL=C, TIMEFORMAT
#   require_root; require_tools TOOL...
#   find_wipe                WIPE = the refurb-wipe binary
#   bench_workdir            BENCH_WORK = a fresh directory for backing files
#   loop_attach VAR FILE     VAR = /dev/loopN (N >= LOOP_BASE) holding FILE
#   wait_quiet               bounded wait for the load average to drop
#
# Everything created (loop devices and their nodes, reservations, the work
# directory) is undone by the EXIT trap, also on error or Ctrl-C.
#
# Environment common to the scripts:
#   REFURB_WIPE   refurb-wipe binary (default: the newest build*/wiper/refurb-wipe)
#   WORKDIR       where backing files go (default: $TMPDIR, else bench/work,
#                 which is gitignored)
#   DIRECT_IO     on|off: loop devices with direct I/O on their backing file,
#                 so the host page cache does not flatter anyone (default on)
#   LOOP_BASE     first loop node to consider (default 200: above the range
#                 loop64..loop191 that the integration tests and the demo scan;
#                 nodes are also reserved in their lock directory)
#   QUIET_LOAD    wait_quiet waits for the 1-minute load average to drop below
#                 this (default 1) ...
#   QUIET_WAIT    ... for at most this many seconds (default 600)

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(dirname "$BENCH_DIR")
DIRECT_IO=${DIRECT_IO:-on}
LOOP_BASE=${LOOP_BASE:-200}
# Shared with tests/lib/lib.sh and demo/run-demo.sh: a file per node,
# holding the PID of its owner.
LOOP_LOCKDIR=${LOOP_LOCKDIR:-/run/refurb-tests/loops}

bench_init() { # NAME
        BENCH_NAME=$1
        BENCH_WORK=""
        BENCH_LOOPS=()    # nodes we attached
        BENCH_CREATED=()  # loop minors whose device we created (removed again)
        BENCH_NODES=()    # /dev nodes we made with mknod
        BENCH_RESERVED=() # minors reserved in LOOP_LOCKDIR
        BENCH_PIDS=()     # background jobs running now
        export LC_ALL=C
        TIMEFORMAT='%R %U %S'
        trap bench_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
}

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
warn() { echo "$BENCH_NAME: warning: $*" >&2; }

require_root() { [[ $EUID -eq 0 ]] || die "needs root (loop devices)"; }

require_tools() {
        local tool
        for tool in "$@"; do
                command -v "$tool" >/dev/null || die "missing tool: $tool"
        done
}

find_wipe() {
        WIPE=${REFURB_WIPE:-}
        if [[ -z $WIPE ]]; then
                # shellcheck disable=SC2012 # build directory names are plain
                WIPE=$(ls -t "$BENCH_REPO"/build*/wiper/refurb-wipe 2>/dev/null | head -n1 || true)
        fi
        [[ -n $WIPE && -x $WIPE ]] || die "refurb-wipe not found: build it or set REFURB_WIPE"
}

# parse_size ARG: bytes, a positive multiple of 4 MiB (the block size of
# both sides).
parse_size() {
        local n
        n=$(numfmt --from=iec "$1" 2>/dev/null) || die "bad size: $1"
        ((n >= 4194304 && n % 4194304 == 0)) || die "size must be a multiple of 4 MiB: $1"
        echo "$n"
}

bench_base() { echo "${WORKDIR:-${TMPDIR:-$BENCH_DIR/work}}"; }

bench_workdir() {
        local base
        base=$(bench_base)
        mkdir -p "$base"
        BENCH_WORK=$(mktemp -d "$base/$BENCH_NAME.XXXXXX")
}

free_bytes() { # DIR
        df -P -B1 "$1" | awk 'NR == 2 { print $4 }'
}

# make_backing FILE SIZE: allocated up front, so that no timed run pays for
# block allocation (write it once before measuring, for unwritten extents).
make_backing() {
        fallocate -l "$2" "$1" 2>/dev/null || truncate -s "$2" "$1"
}

# ---------------------------------------------------------------------------
# Loop devices

_loop_free() { # N
        local s=/sys/block/loop$1
        [[ -d $s ]] || return 0
        [[ $(cat "$s/size" 2>/dev/null) == 0 && ! -e $s/loop/backing_file ]]
}

_loop_reserve() { # N: 0 when the reservation is ours
        local f=$LOOP_LOCKDIR/loop$1 pid
        (set -C; echo $$ >"$f") 2>/dev/null && return 0
        pid=$(cat "$f" 2>/dev/null || true)
        [[ $pid == "$$" ]] && return 1 # ours already, for another device
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
                return 1
        fi
        rm -f "$f" # stale: its owner is gone
        (set -C; echo $$ >"$f") 2>/dev/null
}

_loop_unreserve() { # N
        local f=$LOOP_LOCKDIR/loop$1
        [[ $(cat "$f" 2>/dev/null) == "$$" ]] && rm -f "$f"
        return 0
}

# Remove loop device N from the kernel (LOOP_CTL_REMOVE), once detached.
_loop_remove() { # N
        local i
        for ((i = 0; i < 40; i++)); do
                [[ -d /sys/block/loop$1 ]] || return 0
                perl -e 'open(my $f, "<", "/dev/loop-control") or exit 1;
                         exit(defined(ioctl($f, 0x4C81, $ARGV[0] + 0)) ? 0 : 1)' "$1" 2>/dev/null && return 0
                sleep 0.05 # still bound: the detach of an open device is deferred
        done
        warn "could not remove loop$1 (still busy?)"
}

# loop_attach VAR FILE: attach FILE to a free loop node from loop$LOOP_BASE
# up (created when missing), reserved like the tests do, with direct I/O as
# $DIRECT_IO says. Never `losetup -f`: that hands out the lowest free node.
loop_attach() {
        local _la_var=$1 _la_file _la_m _la_node _la_created _la_made
        _la_file=$(realpath "$2")
        mkdir -p "$LOOP_LOCKDIR"
        for ((_la_m = LOOP_BASE; _la_m < LOOP_BASE + 256; _la_m++)); do
                _loop_free "$_la_m" || continue
                _loop_reserve "$_la_m" || continue
                _la_node=/dev/loop$_la_m
                _la_created=0 _la_made=0
                [[ -d /sys/block/loop$_la_m ]] || _la_created=1
                if [[ ! -e $_la_node ]]; then
                        mknod "$_la_node" b 7 "$_la_m" || { _loop_unreserve "$_la_m"; continue; }
                        _la_made=1
                fi
                # Check again now that it is reserved: someone not using the
                # reservations may have taken it; losetup refuses a busy node.
                # A file system without O_DIRECT refuses direct I/O: then
                # without it (the scripts print what the kernel did).
                if _loop_free "$_la_m" && { losetup --direct-io="$DIRECT_IO" "$_la_node" "$_la_file" 2>/dev/null ||
                                        losetup "$_la_node" "$_la_file" 2>/dev/null; }; then
                        BENCH_RESERVED+=("$_la_m")
                        BENCH_LOOPS+=("$_la_node")
                        ((_la_created)) && BENCH_CREATED+=("$_la_m")
                        ((_la_made)) && BENCH_NODES+=("$_la_node")
                        [[ $(cat "/sys/block/loop$_la_m/loop/backing_file" 2>/dev/null) == "$_la_file" ]] ||
                                die "$_la_node does not hold $_la_file after losetup"
                        printf -v "$_la_var" '%s' "$_la_node"
                        return 0
                fi
                ((_la_created)) && _loop_remove "$_la_m"
                ((_la_made)) && rm -f "$_la_node"
                _loop_unreserve "$_la_m"
        done
        die "no free loop node in loop$LOOP_BASE..loop$((LOOP_BASE + 255))"
}

# loop_dio NODE: on|off, as the kernel says.
loop_dio() {
        [[ $(cat "/sys/block/${1#/dev/}/loop/dio" 2>/dev/null) == 1 ]] && echo on || echo off
}

# io_sectors NODE: "sectors_read sectors_written" of the device so far.
io_sectors() { awk '{ print $3, $7 }' "/sys/block/${1#/dev/}/stat"; }

settle() { command -v udevadm >/dev/null && udevadm settle -t 10 2>/dev/null; return 0; }

# ---------------------------------------------------------------------------
# Clean-up

_kill_tree() { # PID: the job and its descendants, by id
        local pid=$1 child
        for child in $(pgrep -P "$pid" 2>/dev/null); do
                _kill_tree "$child"
        done
        kill -TERM "$pid" 2>/dev/null || true
}

bench_cleanup() {
        local rc=$? pid node m back
        trap - EXIT INT TERM
        for pid in "${BENCH_PIDS[@]}"; do
                _kill_tree "$pid"
        done
        for pid in "${BENCH_PIDS[@]}"; do
                wait "$pid" 2>/dev/null || true
        done
        for node in "${BENCH_LOOPS[@]}"; do
                back=$(cat "/sys/block/${node#/dev/}/loop/backing_file" 2>/dev/null || true)
                if [[ -n $back && -n $BENCH_WORK && $back == "$BENCH_WORK"/* ]]; then
                        losetup -d "$node" 2>/dev/null || warn "could not detach $node"
                fi
        done
        ((${#BENCH_CREATED[@]} == 0)) || settle
        for m in "${BENCH_CREATED[@]}"; do
                _loop_remove "$m"
        done
        for node in "${BENCH_NODES[@]}"; do
                [[ -b $node && ! -d /sys/block/${node#/dev/} ]] && rm -f "$node"
        done
        for m in "${BENCH_RESERVED[@]}"; do
                _loop_unreserve "$m"
        done
        [[ -n $BENCH_WORK ]] && rm -rf "$BENCH_WORK"
        exit "$rc"
}

# ---------------------------------------------------------------------------
# Measuring

# wait_quiet: wait (bounded) until the 1-minute load average is below
# QUIET_LOAD, so that nothing else competes for the CPUs or the disk.
wait_quiet() {
        local lim=${QUIET_LOAD:-1} max=${QUIET_WAIT:-600} t=0 load
        while :; do
                read -r load _ </proc/loadavg
                if awk "BEGIN { exit !($load < $lim) }"; then
                        echo "load average: $load (below $lim after ${t} s)"
                        return 0
                fi
                if ((t >= max)); then
                        warn "load average still $load after ${max} s: measuring anyway, figures may be noisy"
                        return 0
                fi
                ((t > 0)) || echo "waiting for the 1-minute load average to drop below $lim (now $load; at most ${max} s)..."
                sleep 10
                t=$((t + 10))
        done
}

# cpu_busy: seconds of CPU time spent by the whole machine so far (user,
# nice, system, irq, softirq: kernel workers such as the loop driver's
# included; idle, iowait and steal not).
cpu_busy() {
        awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8) / hz; exit }' /proc/stat
}

calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }

now() { echo "$EPOCHREALTIME"; }

# timed CMD...: runs CMD (stdout to $TIMED_STDOUT, default /dev/null);
# sets wall and cpu (user + system seconds of the process and its children).
# shellcheck disable=SC2034 # wall and cpu are for the caller
timed() {
        { time "$@" >"${TIMED_STDOUT:-/dev/null}" 2>"$BENCH_WORK/err"; } 2>"$BENCH_WORK/time" || {
                cat "$BENCH_WORK/err" >&2
                die "failed: $*"
        }
        local user sys
        read -r wall user sys <"$BENCH_WORK/time"
        cpu=$(calc "$user + $sys")
}

# wipe_json DEVICE ARGS...: refurb-wipe --yes --json ARGS DEVICE, the JSON
# in $BENCH_WORK/out. It exits 1 without verification (nothing attested):
# accepted.
wipe_json() {
        local dev=$1 rc=0
        shift
        # shellcheck disable=SC2086 # REFURB_ARGS: several options
        "$WIPE" --yes --json ${REFURB_ARGS:-} "$@" "$dev" >"$BENCH_WORK/out" 2>"$BENCH_WORK/err" || rc=$?
        if ((rc > 1)) || ! jq -e . "$BENCH_WORK/out" >/dev/null 2>&1; then
                cat "$BENCH_WORK/err" >&2
                die "refurb-wipe failed (exit $rc)"
        fi
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | sort -g | head -n1; }

machine_info() {
        local model
        model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
        echo "machine: $(nproc) CPUs (${model:-?}), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
}
