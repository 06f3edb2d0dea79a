# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the integration tests, sourced by every tests/integration/*.sh:
#
#     source "${TESTLIB:?}"
#
# Sourcing sets `set -euo pipefail`, makes a private temporary directory
# ($RF_TMP) and installs a cleanup trap that, even when the test fails or is
# interrupted, stops every process the test started (refurbd, systemd-udevd
# if the test started it, background helpers), unmounts what it mounted,
# detaches every loop device it attached, releases its loop node
# reservations and removes its temporary directories.
#
# Exit codes: 0 passed, 1 failed (the failing check is printed, followed by
# the end of the daemon's log), 77 skipped (the reason is printed).
#
# Environment:
#   REFURBD, REFURBCTL, REFURB_WIPE   binaries (set by `meson test`; default:
#                                     $RF_BUILDDIR/{daemon,cli,wiper}/...)
#   RF_BUILDDIR                        default build directory (default: build)
#   RF_BIGDIR                          where large backing files go (default /var/tmp)
#   RF_KEEP_TMP=1                      keep the temporary directory for a post-mortem

set -euo pipefail

RF_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RF_SRCDIR=$(cd "$RF_LIBDIR/../.." && pwd)
RF_BUILDDIR=${RF_BUILDDIR:-$RF_SRCDIR/build}
REFURBD=${REFURBD:-$RF_BUILDDIR/daemon/refurbd}
REFURBCTL=${REFURBCTL:-$RF_BUILDDIR/cli/refurbctl}
REFURB_WIPE=${REFURB_WIPE:-$RF_BUILDDIR/wiper/refurb-wipe}
RF_TEST_NAME=$(basename "${0%.sh}")
export PATH="$PATH:/usr/sbin:/sbin"

# Tool output must not depend on the machine's locale; refurbctl's language
# is chosen explicitly (--lang, or LANG=... on the command line) where a
# test looks at messages.
unset LC_ALL LC_MESSAGES LANGUAGE
export LANG=C.UTF-8

RF_LOCKDIR=/run/refurb-tests/loops
RF_UDEVD_PID=
RF_DAEMON_PID=
RF_DAEMON_CONF=
RF_DAEMON_LOG=
RF_OUT=
RF_ERR=
RF_RC=0
RF_BIG=

# ---------------------------------------------------------------------------
# Messages

log() { printf '%s\n' "$*"; }
# What the test is about to check.
check() { printf '\n=== CHECK: %s\n' "$*"; }
pass() { printf '    ok: %s\n' "$*"; }
info() { printf '    .. %s\n' "$*"; }

skip() {
        printf 'SKIP (%s): %s\n' "$RF_TEST_NAME" "$*"
        exit 77
}

fail() {
        printf '\nFAIL (%s): %s\n' "$RF_TEST_NAME" "$*" >&2
        exit 1
}

# ---------------------------------------------------------------------------
# Assertions. Each prints what failed, with both values.

assert_eq() { # ACTUAL EXPECTED WHAT
        if [[ "$1" != "$2" ]]; then
                fail "$3: expected '$2', got '$1'"
        fi
        local shown=$1
        (( ${#shown} <= 120 )) || shown="${shown:0:117}..."
        pass "$3 ($shown)"
}

assert_ne() { # ACTUAL UNEXPECTED WHAT
        if [[ "$1" == "$2" ]]; then
                fail "$3: got '$1', which it must not be"
        fi
        pass "$3 (not '$2')"
}

assert_contains() { # HAYSTACK NEEDLE WHAT
        if [[ "$1" != *"$2"* ]]; then
                fail "$3: '$2' not found in: $1"
        fi
        pass "$3"
}

assert_contains_i() { # HAYSTACK NEEDLE WHAT (case-insensitive)
        if [[ "${1,,}" != *"${2,,}"* ]]; then
                fail "$3: '$2' not found (any case) in: $1"
        fi
        pass "$3"
}

assert_not_contains() { # HAYSTACK NEEDLE WHAT
        if [[ "$1" == *"$2"* ]]; then
                fail "$3: '$2' unexpectedly found in: $1"
        fi
        pass "$3"
}

assert_le() { # A B WHAT: integer A <= B
        if (( $1 > $2 )); then
                fail "$3: $1 > $2"
        fi
        pass "$3 ($1 <= $2)"
}

assert_gt() { # A B WHAT: integer A > B
        if (( $1 <= $2 )); then
                fail "$3: $1 <= $2"
        fi
        pass "$3 ($1 > $2)"
}

# The last run: RF_RC must be $1.
assert_rc() { # EXPECTED WHAT
        if [[ "$RF_RC" != "$1" ]]; then
                fail "$2: exit status $RF_RC, expected $1; output: $RF_OUT $RF_ERR"
        fi
        pass "$2 (exit $RF_RC)"
}

assert_rc_nonzero() { # WHAT
        if [[ "$RF_RC" == 0 ]]; then
                fail "$1: exit status 0, expected a failure; output: $RF_OUT $RF_ERR"
        fi
        pass "$1 (exit $RF_RC)"
}

# Run a command without tripping `set -e`: stdout in RF_OUT, stderr in
# RF_ERR, exit status in RF_RC.
run() {
        local o e
        o=$(mktemp "$RF_TMP/out.XXXXXX")
        e=$(mktemp "$RF_TMP/err.XXXXXX")
        set +e
        RF_QUIET_ERR=1
        "$@" >"$o" 2>"$e"
        RF_RC=$?
        RF_QUIET_ERR=0
        set -e
        RF_OUT=$(<"$o")
        RF_ERR=$(<"$e")
        rm -f "$o" "$e"
}

# Same, stdout and stderr together in RF_OUT.
run_all() {
        run "$@"
        RF_OUT="$RF_OUT${RF_OUT:+${RF_ERR:+$'\n'}}$RF_ERR"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---------------------------------------------------------------------------
# Prerequisites

require_root() {
        [[ $(id -u) == 0 ]] || skip "needs root (loop devices, udevd, mounts); run as root"
}

require_cmds() {
        local c missing=()
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || missing+=("$c")
        done
        if (( ${#missing[@]} )); then
                # In CI every tool is installed by .ci/run: a missing one is a bug there.
                [[ ${CI:-} == true ]] && fail "missing tools: ${missing[*]}"
                skip "missing tools: ${missing[*]} (see tests/run-all.sh for the package list)"
        fi
}

require_binaries() {
        local b
        for b in "$REFURBD" "$REFURBCTL"; do
                [[ -x $b ]] || skip "binary not built: $b (ninja -C build)"
        done
}

require_loop() {
        [[ -e /dev/loop-control ]] || skip "no /dev/loop-control: loop devices unavailable"
        losetup -f >/dev/null 2>&1 || skip "losetup -f fails: loop devices unavailable ($(losetup -f 2>&1 || true))"
}

# Everything an ordinary integration test needs.
require_all() {
        require_root
        require_cmds losetup udevadm jq openssl blkid sfdisk mkntfs ntfscp mkfs.ext4 mkfs.vfat mcopy \
                cmp sha256sum timeout
        require_binaries
        require_loop
        ensure_udevd
}

# Free space in MiB of the file system holding $1.
free_mib() { df -Pm "$1" | awk 'NR == 2 { print $4 }'; }

# big_dir MIN_GIB: RF_BIG = a directory for large backing files (under
# RF_BIGDIR), or skip when there is less than MIN_GIB GiB free. Call it
# directly, not in $(...).
big_dir() {
        local base=${RF_BIGDIR:-/var/tmp} free
        mkdir -p "$base"
        free=$(free_mib "$base")
        (( free >= $1 * 1024 )) || skip "$base has $free MiB free, this test needs $1 GiB (set RF_BIGDIR)"
        if [[ -z $RF_BIG ]]; then
                RF_BIG=$(mktemp -d "$base/refurb-it-big.XXXXXX")
        fi
}

# ---------------------------------------------------------------------------
# udevd

ensure_udevd() {
        if udevadm control --ping -t 2 >/dev/null 2>&1; then
                udevadm settle -t 10 || true
                return 0
        fi
        local bin
        for bin in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
                [[ -x $bin ]] && break
        done
        [[ -x $bin ]] || skip "no systemd-udevd (apt-get install udev)"
        info "starting $bin (no udevd was running)"
        "$bin" >"$RF_TMP/udevd.log" 2>&1 &
        RF_UDEVD_PID=$!
        echo "$RF_UDEVD_PID" >"$RF_TMP/udevd.pid"
        local i
        for ((i = 0; i < 100; i++)); do
                udevadm control --ping -t 1 >/dev/null 2>&1 && break
                kill -0 "$RF_UDEVD_PID" 2>/dev/null || fail "systemd-udevd exited: $(cat "$RF_TMP/udevd.log")"
                sleep 0.1
        done
        udevadm control --ping -t 1 >/dev/null 2>&1 || fail "systemd-udevd does not answer"
        # As at boot: let udevd process the block devices that already exist.
        udevadm trigger --type=devices --subsystem-match=block --action=add >/dev/null 2>&1 || true
        udevadm settle -t 10 || true
}

settle() { udevadm settle -t 10 >/dev/null 2>&1 || true; }

# ---------------------------------------------------------------------------
# Loop devices
#
# A bay's configuration names its loop node before anything is attached
# ("insertion" = attaching a file to an empty node). new_loop_node picks a
# free node, makes sure it exists, and reserves it under /run/refurb-tests
# (a file holding our PID) so that two tests, or a test and the demo, do not
# pick the same node.
#
# Nodes are taken from loop$RF_LOOP_BASE (64) upwards, far from the nodes
# that `losetup -f` hands out (the kernel gives the lowest free one), so
# that someone else attaching an image with `losetup -f` meanwhile does not
# land on a test bay, where an auto bay would erase it.
RF_LOOP_BASE=${RF_LOOP_BASE:-64}

loop_is_free() { # N
        local s=/sys/block/loop$1
        [[ -d $s ]] || return 0
        [[ $(cat "$s/size") == 0 ]] || return 1
        [[ ! -e $s/loop/backing_file ]]
}

loop_reserve() { # N: 0 when the reservation is ours
        local f=$RF_LOCKDIR/loop$1 pid
        if (set -C; echo $$ >"$f") 2>/dev/null; then
                return 0
        fi
        pid=$(cat "$f" 2>/dev/null || true)
        [[ $pid == "$$" ]] && return 1  # already ours: the caller wants another one
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
                return 1
        fi
        rm -f "$f"  # stale: its owner is gone
        (set -C; echo $$ >"$f") 2>/dev/null
}

# new_loop_node VAR: VAR=/dev/loopN, free, existing, reserved for this test.
new_loop_node() {
        local var=$1 try n=$RF_LOOP_BASE m node tiny=$RF_TMP/tiny.img i
        mkdir -p "$RF_LOCKDIR"
        [[ -e $tiny ]] || truncate -s 1M "$tiny"
        for ((try = 0; try < 10; try++)); do
                for ((m = n; m < n + 128; m++)); do
                        node=/dev/loop$m
                        loop_is_free "$m" || continue
                        loop_reserve "$m" || continue
                        if [[ ! -d /sys/block/loop$m ]]; then
                                # Create the device: losetup adds missing loop devices.
                                if ! losetup "$node" "$tiny" 2>/dev/null; then
                                        rm -f "$RF_LOCKDIR/loop$m"
                                        continue
                                fi
                                losetup -d "$node"
                        fi
                        for ((i = 0; i < 50; i++)); do
                                [[ -b $node ]] && break
                                sleep 0.05
                        done
                        # Still free now that it is ours? (someone not using
                        # the reservations may have taken it meanwhile)
                        if [[ -b $node ]] && loop_is_free "$m"; then
                                printf -v "$var" '%s' "$node"
                                info "loop node for this test: $node"
                                return 0
                        fi
                        rm -f "$RF_LOCKDIR/loop$m"
                done
                sleep 0.2
        done
        fail "could not find a free loop node"
}

# attach NODE FILE [losetup options, e.g. -r]: "insert" a drive.
attach() {
        local node=$1 file=$2
        shift 2
        echo "$node" >>"$RF_TMP/attached"
        losetup "$@" "$node" "$file" || fail "losetup $* $node $file failed (node taken by someone else?)"
}

# detach NODE: "pull" the drive. When the device is open (the daemon is
# erasing it) the kernel only schedules the detach for the last close.
detach() {
        losetup -d "$1"
}

loop_backing() { # NODE
        cat "/sys/block/${1#/dev/}/loop/backing_file" 2>/dev/null || true
}

loop_attached() { # NODE
        [[ -n $(loop_backing "$1") ]]
}

# Size in bytes of a block device.
dev_size() { blockdev --getsize64 "$1"; }

# Drop the cached pages of a block device so that reads see what the daemon
# wrote with O_DIRECT.
drop_cache() { blockdev --flushbufs "$1" 2>/dev/null || true; }

# How many times the marker occurs on a device (0 when none).
count_marker() { # DEV MARKER
        drop_cache "$1"
        { LC_ALL=C grep -a -o -F -- "$2" "$1" || true; } | wc -l
}

# ---------------------------------------------------------------------------
# Donor images and mounts

# make_donor_image FILE SIZE: prints the marker. SIZE in MiB, or with a
# suffix: 256M, 3G.
make_donor_image() {
        local file=$1 size=$2 mb
        case $size in
        *G) mb=$(( ${size%G} * 1024 )) ;;
        *M) mb=${size%M} ;;
        *) mb=$size ;;
        esac
        bash "$RF_LIBDIR/make-donor-disk.sh" "$file" "$mb"
}

mount_dev() { # DEV DIR [mount options]
        local dev=$1 dir=$2
        shift 2
        mkdir -p "$dir"
        mount "$@" "$dev" "$dir" || fail "mount $dev $dir failed"
        echo "$dir" >>"$RF_TMP/mounts"
}

# ---------------------------------------------------------------------------
# Configuration

# The [Daemon] and [Erase] sections of a test configuration.
config_header() { # [Verify]
        cat <<EOF
[Daemon]
StateDirectory=$RF_STATE
APISocket=$RF_SOCKET
BenchName=banc-test
Organisation=Atelier de test
Location=Labo
Technician=Testeur

[Erase]
Verify=${1:-full}
EOF
}

config_bay() { # NAME NODE POLICY
        printf '\n[Bay %s]\nMatchDevice=%s\nPolicy=%s\n' "$1" "$2" "$3"
}

# ---------------------------------------------------------------------------
# The daemon

rctl() { "$REFURBCTL" --socket "$RF_SOCKET" "$@"; }
rctl_json() { "$REFURBCTL" --socket "$RF_SOCKET" --json "$@"; }

daemon_alive() { [[ -n $RF_DAEMON_PID ]] && kill -0 "$RF_DAEMON_PID" 2>/dev/null; }

# start_daemon CONF: start refurbd in the background (log in $RF_DAEMON_LOG)
# and wait until its API answers `refurbctl status` (at most 10 s).
start_daemon() {
        local conf=$1 i
        # shellcheck disable=SC2034 # for the tests (reload, restart)
        RF_DAEMON_CONF=$conf
        RF_DAEMON_LOG=${RF_DAEMON_LOG:-$RF_TMP/refurbd.log}
        printf '\n----- refurbd --config %s (%s) -----\n' "$conf" "$(date -u +%FT%TZ)" >>"$RF_DAEMON_LOG"
        "$REFURBD" --config "$conf" >>"$RF_DAEMON_LOG" 2>&1 &
        RF_DAEMON_PID=$!
        echo "$RF_DAEMON_PID" >>"$RF_TMP/pids"
        for ((i = 0; i < 200; i++)); do
                if ! kill -0 "$RF_DAEMON_PID" 2>/dev/null; then
                        local rc=0
                        wait "$RF_DAEMON_PID" || rc=$?
                        RF_DAEMON_PID=
                        fail "refurbd exited during start-up (status $rc)"
                fi
                if rctl status >/dev/null 2>&1; then
                        info "refurbd running (pid $RF_DAEMON_PID, ready after $(( i * 50 )) ms)"
                        return 0
                fi
                sleep 0.05
        done
        fail "refurbd does not answer 'refurbctl status' on $RF_SOCKET after 10 s"
}

# stop_daemon [SIGNAL]: stop it (SIGTERM by default) and wait for the end
# (at most 10 s, then SIGKILL and failure). The exit status goes to RF_RC.
stop_daemon() {
        local sig=${1:-TERM} i
        [[ -n $RF_DAEMON_PID ]] || return 0
        kill -"$sig" "$RF_DAEMON_PID" 2>/dev/null || true
        for ((i = 0; i < 200; i++)); do
                kill -0 "$RF_DAEMON_PID" 2>/dev/null || break
                sleep 0.05
        done
        if kill -0 "$RF_DAEMON_PID" 2>/dev/null; then
                kill -KILL "$RF_DAEMON_PID" 2>/dev/null || true
                wait "$RF_DAEMON_PID" 2>/dev/null || true
                RF_DAEMON_PID=
                fail "refurbd did not stop within 10 s of SIG$sig"
        fi
        RF_RC=0
        wait "$RF_DAEMON_PID" 2>/dev/null || RF_RC=$?
        RF_DAEMON_PID=
}

# ---------------------------------------------------------------------------
# JSON views (tolerant of the envelope: {"bays": [...]} or [...])

bays_json() { rctl_json bays | jq -c '(.bays? // .)'; }
bay_json() { rctl_json bays | jq -c --arg n "$1" '(.bays? // .)[] | select(.name == $n)'; }
bay_state() { bay_json "$1" | jq -r '.state'; }
jobs_json() { rctl_json jobs | jq -c '(.jobs? // .)'; }
job_json() { rctl_json job "$1" | jq -c '(.job? // .)'; }
devices_json() { rctl_json devices | jq -c '(.devices? // .)'; }
device_json() { # NODE
        rctl_json devices | jq -c --arg d "$1" '(.devices? // .)[] | select(.devnode == $d)'
}

# The newest job of a bay (by name) or of a device node; empty when none.
latest_job() {
        rctl_json jobs | jq -c --arg k "$1" \
                '(.jobs? // .) | map(select(.bay == $k or .devnode == $k)) | sort_by(.id) | last // empty'
}

# How many jobs a bay or device node has had.
count_jobs() {
        rctl_json jobs | jq --arg k "$1" '(.jobs? // .) | map(select(.bay == $k or .devnode == $k)) | length'
}

# latest_job_id BAY_OR_DEV: the id of its newest job, 0 when none.
latest_job_id() {
        local j
        j=$(latest_job "$1" 2>/dev/null || true)
        if [[ -n $j ]]; then jq -r '.id // 0' <<<"$j"; else echo 0; fi
}

is_final_state() { [[ $1 =~ ^(done|failed|cancelled|interrupted)$ ]]; }

# wait_job_final BAY_OR_DEV TIMEOUT_S [AFTER_ID]: waits until the newest job
# of the bay or device is final (and, with AFTER_ID, newer than job AFTER_ID:
# the job of a drive just plugged in, not the previous drive's); prints its
# JSON. Fails on timeout or daemon death.
wait_job_final() {
        local key=$1 timeout=$2 after=${3:-0} deadline j st=none
        deadline=$(( $(now_ms) + timeout * 1000 ))
        while (( $(now_ms) < deadline )); do
                daemon_alive || fail "refurbd died while waiting for the job of $key"
                j=$(latest_job "$key" 2>/dev/null || true)
                if [[ -n $j ]] && (( $(jq -r '.id // 0' <<<"$j") > after )); then
                        st=$(jq -r .state <<<"$j")
                        if is_final_state "$st"; then
                                printf '%s\n' "$j"
                                return 0
                        fi
                fi
                sleep 0.2
        done
        fail "the job of $key is not final after ${timeout}s (last state: $st)"
}

# wait_job_progress BAY_OR_DEV TIMEOUT_S: waits until the newest job of the
# bay has written something; prints its JSON.
wait_job_progress() {
        local key=$1 timeout=$2 deadline j w=0 st=none
        deadline=$(( $(now_ms) + timeout * 1000 ))
        while (( $(now_ms) < deadline )); do
                daemon_alive || fail "refurbd died while waiting for progress on $key"
                j=$(latest_job "$key" 2>/dev/null || true)
                if [[ -n $j ]]; then
                        st=$(jq -r .state <<<"$j")
                        w=$(jq -r '.bytes_written // 0' <<<"$j")
                        if [[ $st == erasing ]] && (( w > 0 )); then
                                printf '%s\n' "$j"
                                return 0
                        fi
                        is_final_state "$st" && fail "the job of $key ended ($st) before showing progress"
                fi
                sleep 0.05
        done
        fail "no progress on $key after ${timeout}s (state $st, bytes_written $w)"
}

# wait_bay_state BAY STATE_REGEX TIMEOUT_S: prints the state reached.
wait_bay_state() {
        local bay=$1 want=$2 timeout=$3 deadline st=none
        deadline=$(( $(now_ms) + timeout * 1000 ))
        while (( $(now_ms) < deadline )); do
                st=$(bay_state "$bay" 2>/dev/null || echo "?")
                if [[ $st =~ ^($want)$ ]]; then
                        echo "$st"
                        return 0
                fi
                sleep 0.05
        done
        fail "bay $bay: state '$st' after ${timeout}s, expected $want"
}

# ---------------------------------------------------------------------------
# Erasure checks

# The device holds exactly the AES-256-CTR keystream of the job's key/iv.
assert_keystream() { # DEV JOB_JSON
        local dev=$1 job=$2 key iv alg size
        alg=$(jq -r '.pattern.algorithm' <<<"$job")
        key=$(jq -r '.pattern.key' <<<"$job")
        iv=$(jq -r '.pattern.iv' <<<"$job")
        size=$(dev_size "$dev")
        assert_eq "$alg" "aes-256-ctr" "job pattern algorithm"
        [[ $key =~ ^[0-9a-fA-F]{64}$ ]] || fail "job pattern key is not 32 bytes of hex: '$key'"
        [[ $iv =~ ^[0-9a-fA-F]{32}$ ]] || fail "job pattern iv is not 16 bytes of hex: '$iv'"
        drop_cache "$dev"
        if ! head -c "$size" /dev/zero | openssl enc -aes-256-ctr -K "$key" -iv "$iv" -nosalt |
                cmp - "$dev" >"$RF_TMP/cmp.out" 2>&1; then
                fail "$dev differs from the AES-256-CTR keystream of the job's key/iv: $(cat "$RF_TMP/cmp.out")"
        fi
        pass "$dev ($size bytes) equals openssl enc -aes-256-ctr -K <key> -iv <iv> applied to zeros"
}

# blkid -p finds nothing on the device (exit status 2).
assert_blank() { # DEV
        local rc=0 out
        drop_cache "$1"
        out=$(blkid -p "$1" 2>&1) || rc=$?
        [[ $rc == 2 ]] || fail "blkid -p $1 found something (exit $rc): $out"
        pass "blkid -p $1 finds no signature (exit 2)"
}

assert_no_marker() { # DEV MARKER
        local n
        n=$(count_marker "$1" "$2")
        assert_eq "$n" 0 "occurrences of the donor marker on $1"
}

assert_marker_present() { # DEV MARKER
        local n
        n=$(count_marker "$1" "$2")
        (( n > 0 )) || fail "the donor marker $2 is no longer on $1"
        pass "donor data still on $1 ($n copies of the marker)"
}

# Change one byte of a file (at OFFSET, or in the middle), keeping the rest.
flip_byte() { # FILE [OFFSET]
        local f=$1 off=${2:-} size old new
        size=$(stat -c %s "$f")
        [[ -n $off ]] || off=$(( size / 2 ))
        old=$(dd if="$f" bs=1 skip="$off" count=1 status=none | od -An -tu1 | tr -d ' ')
        if (( old == 65 )); then new=66; else new=65; fi # 'A' <-> 'B'
        printf '%b' "\\0$(printf '%03o' "$new")" | dd of="$f" bs=1 seek="$off" count=1 conv=notrunc status=none
}

# Offset of a base64 character of a PEM file's body, $2 characters before
# the END line (inside the signature value for a CMS SignedData).
pem_body_offset_from_end() { # FILE N
        local end
        end=$(grep -b -m1 -- '-----END' "$1" | cut -d: -f1)
        [[ -n $end ]] || fail "$1 is not PEM"
        LC_ALL=C awk -v end="$end" -v n="$2" 'BEGIN { RS = "^$" } {
                pos = end - 1; k = 0
                while (pos >= 0) {
                        c = substr($0, pos + 1, 1)
                        if (c != "\n" && c != "\r") { k++; if (k == n) { print pos; exit } }
                        pos--
                }
        }' "$1"
}

# ---------------------------------------------------------------------------
# Cleanup

rf_cleanup() {
        local rc=$? pid node dir f back
        set +e
        trap - EXIT INT TERM ERR
        if [[ $rc != 0 && $rc != 77 && -n ${RF_DAEMON_LOG:-} && -s ${RF_DAEMON_LOG:-/nonexistent} ]]; then
                printf '\n----- last lines of the refurbd log (%s) -----\n' "$RF_DAEMON_LOG" >&2
                tail -n 80 "$RF_DAEMON_LOG" >&2
                printf -- '----- end of the refurbd log -----\n' >&2
        fi
        # 1. Processes we started (daemon instances, helpers).
        if [[ -f $RF_TMP/pids ]]; then
                while read -r pid; do
                        [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null
                done <"$RF_TMP/pids"
                for _ in $(seq 50); do
                        local alive=0
                        while read -r pid; do
                                [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive=1
                        done <"$RF_TMP/pids"
                        (( alive )) || break
                        sleep 0.1
                done
                while read -r pid; do
                        [[ -n $pid ]] || continue
                        kill -KILL "$pid" 2>/dev/null
                        wait "$pid" 2>/dev/null
                done <"$RF_TMP/pids"
        fi
        # 2. Mounts.
        if [[ -f $RF_TMP/mounts ]]; then
                while read -r dir; do
                        mountpoint -q "$dir" && { umount "$dir" || umount -l "$dir"; }
                done < <(tac "$RF_TMP/mounts")
        fi
        # 3. Loop devices we attached, if they still hold one of our files.
        if [[ -f $RF_TMP/attached ]]; then
                while read -r node; do
                        back=$(loop_backing "$node")
                        [[ -n $back ]] || continue
                        if [[ $back == "$RF_TMP"/* || ( -n $RF_BIG && $back == "$RF_BIG"/* ) ]]; then
                                losetup -d "$node" 2>/dev/null
                        fi
                done < <(sort -u "$RF_TMP/attached")
        fi
        # 4. Loop node reservations.
        for f in "$RF_LOCKDIR"/loop*; do
                [[ -f $f && $(cat "$f" 2>/dev/null) == "$$" ]] && rm -f "$f"
        done
        # 5. udevd, if we started it.
        if [[ -n $RF_UDEVD_PID ]]; then
                kill -TERM "$RF_UDEVD_PID" 2>/dev/null
                wait "$RF_UDEVD_PID" 2>/dev/null
        fi
        # 6. Temporary directories.
        if [[ ${RF_KEEP_TMP:-0} == 1 ]]; then
                echo "kept: $RF_TMP ${RF_BIG}" >&2
        else
                rm -rf "$RF_TMP"
                [[ -n $RF_BIG ]] && rm -rf "$RF_BIG"
        fi
        case $rc in
        0) printf '\nPASS (%s)\n' "$RF_TEST_NAME" ;;
        77) ;;
        *) printf '\nFAILED (%s), exit %s\n' "$RF_TEST_NAME" "$rc" >&2 ;;
        esac
        exit "$rc"
}

RF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rf-it.XXXXXX")
RF_STATE=$RF_TMP/state
RF_SOCKET=$RF_TMP/api.sock
# An unexpected failure (a command failing outside an assertion) says where.
set -o errtrace
RF_QUIET_ERR=0
rf_on_err() { # STATUS LINE COMMAND
        (( RF_QUIET_ERR )) && return 0
        printf '\nERROR (%s): command failed (exit %s) at line %s: %s\n' "$RF_TEST_NAME" "$1" "$2" "$3" >&2
}
trap 'rf_on_err "$?" "$LINENO" "$BASH_COMMAND"' ERR
trap rf_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
