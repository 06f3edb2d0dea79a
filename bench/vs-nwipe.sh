#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# refurb-wipe against nwipe on one loop device: one random pass with one
# verification pass, then the write pass alone, wall time and CPU time.
#
#   sudo bench/vs-nwipe.sh [SIZE]             SIZE: 2G (default)
#
# Environment (see also bench/lib.sh: REFURB_WIPE, WORKDIR, DIRECT_IO,
# LOOP_BASE, QUIET_LOAD, QUIET_WAIT):
#   RUNS        repetitions, interleaved (order rotated); medians (default 3)
#   NWIPE       the nwipe binary (default: nwipe in PATH; Debian 12: 0.34)
#   NWIPE_PRNG  nwipe --prng=... (default: none given, nwipe's default, which
#               the output names from nwipe's log)
#
# Compared, on the same device in the same run:
#   refurb-wipe --yes --json --method=overwrite --verify=full      (AES-256-CTR)
#   nwipe --autonuke --nogui --nousb --method=prng --verify=last --rounds=1 --noblank DEV
# and the write pass alone:
#   refurb-wipe ... --verify=none   vs   nwipe ... --verify=off
#
# nwipe is only ever run with the one device this script attached as its
# argument (nwipe --autonuke without a device wipes every disk it finds):
# nwipe_argv refuses anything else, and before measuring a scratch run under
# strace checks that nwipe opens no other block device and that a sentinel
# loop device is left untouched.
#
# Wall and CPU (user + system of the process and its children) are from
# bash `time`, for both tools. "machine CPU" is the busy time of all CPUs
# (/proc/stat) over the run, kernel workers included. "dev read/written"
# are what the loop device itself saw (/sys/block/loopN/stat): they show
# where each tool's bytes went (nwipe writes through the page cache of the
# block device; refurb-wipe uses O_DIRECT). The device's page cache is
# dropped (blockdev --flushbufs) before every run.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init vs-nwipe

size_arg=${1:-2G}
runs=${RUNS:-3}
nwipe_bin=${NWIPE:-$(command -v nwipe || true)}

require_root
require_tools losetup dd jq numfmt awk perl fallocate blockdev strace sha256sum cmp
[[ -n $nwipe_bin && -x $nwipe_bin ]] || die "nwipe not found: apt-get install nwipe, or set NWIPE"
find_wipe
((runs >= 1)) || die "RUNS must be at least 1"

size=$(parse_size "$size_arg")
bs=$((4 * 1024 * 1024))
count=$((size / bs))
scratch_size=$((16 * 1024 * 1024))

bench_workdir
cd "$BENCH_WORK" # nwipe may leave files (reports) in its working directory
free=$(free_bytes "$BENCH_WORK")
((size + 2 * scratch_size + 256 * 1024 * 1024 <= free)) || {
        echo "vs-nwipe: skipped: $(numfmt --to=iec "$size") needed in $(bench_base), $(numfmt --to=iec "$free") free (set WORKDIR)"
        exit 0
}

# nwipe_argv DEV VERIFY LOG: NWIPE_ARGV = the nwipe command for DEV alone.
# DEV must be one of the loop devices this script attached, backed by a file
# in its work directory.
nwipe_argv() {
        local dev=$1 verify=$2 log=$3 back node ok=0
        [[ $dev =~ ^/dev/loop[0-9]+$ && -b $dev ]] || die "nwipe_argv: not a loop device: '$dev'"
        for node in "${BENCH_LOOPS[@]}"; do
                [[ $node == "$dev" ]] && ok=1
        done
        ((ok)) || die "nwipe_argv: $dev was not attached by this script"
        back=$(cat "/sys/block/${dev#/dev/}/loop/backing_file" 2>/dev/null || true)
        [[ -n $back && $back == "$BENCH_WORK"/* ]] || die "nwipe_argv: $dev is not backed by a file of ours ($back)"
        [[ $verify == last || $verify == off ]] || die "nwipe_argv: bad verify mode $verify"
        NWIPE_ARGV=("$nwipe_bin" --autonuke --nogui --nousb --method=prng --verify="$verify" --rounds=1 --noblank)
        [[ -n ${NWIPE_PRNG:-} ]] && NWIPE_ARGV+=(--prng="$NWIPE_PRNG")
        NWIPE_ARGV+=(--logfile="$log" "$dev")
        return 0
}

# nwipe_check LOG DEV VERIFY: nwipe said it wiped DEV without error.
nwipe_check() {
        local log=$1 name=${2#/dev/} verify=$3 sp='[[:space:]]*'
        # Its summary tables: "loopN | 0 | 0 | 0" (pass, verification and
        # fdatasync errors) and "loopN | Erased | ...".
        if ! grep -Eq "^${sp}${name}${sp}\|${sp}0${sp}\|${sp}0${sp}\|${sp}0${sp}\$" "$log" ||
                ! grep -Eq "^${sp}${name}${sp}\|${sp}Erased${sp}\|" "$log"; then
                tail -n 30 "$log" >&2
                die "nwipe did not report $2 erased without errors"
        fi
        if [[ $verify == last ]]; then
                grep -q "Verified pass 1 of 1, round 1 of 1, on '$2'" "$log" ||
                        { tail -n 30 "$log" >&2; die "nwipe did not verify $2"; }
        fi
}

# ---------------------------------------------------------------------------
# Scratch run: nwipe touches the device it is given and nothing else.

scratch="" sentinel="" loop=""
make_backing "$BENCH_WORK/scratch.img" "$scratch_size"
make_backing "$BENCH_WORK/sentinel.img" "$scratch_size"
loop_attach scratch "$BENCH_WORK/scratch.img"
loop_attach sentinel "$BENCH_WORK/sentinel.img"
dd if=/dev/zero of="$scratch" bs=1M count=$((scratch_size >> 20)) oflag=direct conv=fsync status=none
head -c "$scratch_size" /dev/urandom | dd of="$sentinel" bs=1M iflag=fullblock oflag=direct conv=fsync status=none
blockdev --flushbufs "$sentinel"
sentinel_sum=$(sha256sum <"$sentinel")
settle

echo "nwipe: $nwipe_bin ($(dpkg-query -W -f='${Package} ${Version}' nwipe 2>/dev/null || echo "package unknown"); says: $("$nwipe_bin" --version 2>&1 | head -n1))"
echo "scratch run: nwipe on $scratch ($(numfmt --to=iec "$scratch_size")) under strace, sentinel $sentinel..."
nwipe_argv "$scratch" last "$BENCH_WORK/scratch.log"
strace -f -qq -o "$BENCH_WORK/scratch.trace" -e trace=open,openat,openat2,creat,write,pwrite64 \
        "${NWIPE_ARGV[@]}" >"$BENCH_WORK/scratch.out" 2>&1 </dev/null ||
        { tail -n 20 "$BENCH_WORK/scratch.out" >&2; die "nwipe failed on the scratch device"; }
nwipe_check "$BENCH_WORK/scratch.log" "$scratch" last
# Every block device nwipe opened, whatever the mode: only the scratch one.
scratch_rdev=$(stat -c '%t:%T' "$scratch")
others=$(grep -oE 'open(at2?)?\((AT_FDCWD, )?"[^"]+"[^)]*\) = [0-9]+' "$BENCH_WORK/scratch.trace" |
        sed -E 's/.*"([^"]+)".*/\1/' | sort -u | while read -r path; do
                [[ -b $path ]] || continue
                [[ $(stat -L -c '%t:%T' "$path") == "$scratch_rdev" ]] || echo "$path"
        done)
[[ -z $others ]] || die "nwipe opened other block devices: $others"
opened_rw=$(grep -cE "open(at2?)?\((AT_FDCWD, )?\"$scratch\", O_(RDWR|WRONLY)" "$BENCH_WORK/scratch.trace" || true)
((opened_rw > 0)) || die "nwipe never opened $scratch for writing?"
found=$(grep -oE 'Found /dev/[^,]+' "$BENCH_WORK/scratch.log" | sort -u | tr '\n' ' ')
[[ $found == "Found $scratch " ]] || die "nwipe found other devices: $found"
blockdev --flushbufs "$sentinel"
[[ $(sha256sum <"$sentinel") == "$sentinel_sum" ]] || die "the sentinel device changed during the nwipe run"
cmp -s -n 1048576 "$scratch" /dev/zero && die "nwipe left the scratch device's first MiB zero"
# Size of nwipe's writes to the device (the fd of its read-write open).
# Threads share descriptors: the fd of the last read-write open of the
# device, the most frequent size written to it after that open.
io_size=$(awk -v dev="\"$scratch\"" '
        { line = $0; sub(/^[0-9]+ +/, "", line) }
        line ~ /^open/ && index(line, dev) && line ~ /O_RDWR|O_WRONLY/ { fd = $NF; split("", n); next }
        fd != "" && line ~ /^(write|pwrite64)\(/ { f = line; sub(/^[a-z0-9]+\(/, "", f); sub(/,.*/, "", f)
                if (f == fd) n[$NF]++ }
        END { for (k in n) if (n[k] > best) { best = n[k]; sz = k }; print sz + 0, best + 0 }' \
        "$BENCH_WORK/scratch.trace")
read -r nwipe_io nwipe_io_n <<<"$io_size"
prng=$(sed -nE 's/.*prng *= *(.*)$/\1/p' "$BENCH_WORK/scratch.log" | head -n1)
echo "scratch run OK: nwipe opened no other block device, the sentinel is unchanged; PRNG: ${prng:-?}; nwipe writes of $nwipe_io bytes (${nwipe_io_n}x)"

# ---------------------------------------------------------------------------
# The device measured.

make_backing "$BENCH_WORK/backing.img" "$size"
loop_attach loop "$BENCH_WORK/backing.img"
settle
echo
echo "refurb-wipe: $WIPE"
machine_info
echo "device: $loop on $BENCH_WORK/backing.img ($(numfmt --to=iec "$size")), logical sector $(blockdev --getss "$loop") B, loop direct I/O: $(loop_dio "$loop")"
echo "runs: $runs (interleaved, order rotated; medians)"
wait_quiet
echo "warm-up: writing the backing file once..."
dd if=/dev/zero of="$loop" bs=$bs count=$count oflag=direct conv=fsync status=none

variants=(refurb-full nwipe-last refurb-none nwipe-off)
declare -A WALL CPU MCPU RD WR WS VS

measure() { # VARIANT
        local v=$1 s0 s1 c0 c1 log=$BENCH_WORK/nwipe.log
        blockdev --flushbufs "$loop"
        rm -f "$log"
        s0=$(io_sectors "$loop")
        c0=$(cpu_busy)
        case $v in
        refurb-full | refurb-none)
                local mode=full rc=0
                [[ $v == refurb-none ]] && mode=none
                # refurb-wipe exits 1 after --verify=none (nothing attested).
                { time "$WIPE" --yes --json --method=overwrite --verify="$mode" "$loop" \
                        >"$BENCH_WORK/out" 2>"$BENCH_WORK/err"; } 2>"$BENCH_WORK/time" || rc=$?
                if ((rc > 1)) || ! jq -e . "$BENCH_WORK/out" >/dev/null 2>&1; then
                        cat "$BENCH_WORK/err" >&2
                        die "refurb-wipe failed (exit $rc)"
                fi
                if [[ $mode == full ]]; then
                        jq -e --argjson s "$size" '.complete == true and .bytes_verified == $s' "$BENCH_WORK/out" \
                                >/dev/null || die "refurb-wipe did not erase: $(jq -c '{result, exceptions}' "$BENCH_WORK/out")"
                else
                        jq -e --argjson s "$size" '.bytes_written == $s and .flushed and (.exceptions | length) == 0' \
                                "$BENCH_WORK/out" >/dev/null || die "refurb-wipe write pass incomplete"
                fi
                WS[$v]+=" $(jq -r .write_seconds "$BENCH_WORK/out")"
                VS[$v]+=" $(jq -r .verify_seconds "$BENCH_WORK/out")"
                ;;
        nwipe-last | nwipe-off)
                local verify=${v#nwipe-}
                nwipe_argv "$loop" "$verify" "$log"
                { time "${NWIPE_ARGV[@]}" >"$BENCH_WORK/nwipe.out" 2>&1 </dev/null; } 2>"$BENCH_WORK/time" ||
                        { tail -n 20 "$BENCH_WORK/nwipe.out" >&2; die "nwipe failed"; }
                nwipe_check "$log" "$loop" "$verify"
                ;;
        esac
        c1=$(cpu_busy)
        s1=$(io_sectors "$loop")
        local wall user sys r0 w0 r1 w1
        read -r wall user sys <"$BENCH_WORK/time"
        read -r r0 w0 <<<"$s0"
        read -r r1 w1 <<<"$s1"
        WALL[$v]+=" $wall"
        CPU[$v]+=" $(calc "$user + $sys")"
        MCPU[$v]+=" $(calc "$c1 - $c0")"
        RD[$v]+=" $(((r1 - r0) * 512))"
        WR[$v]+=" $(((w1 - w0) * 512))"
}

nv=${#variants[@]}
for ((r = 0; r < runs; r++)); do
        for ((j = 0; j < nv; j++)); do
                measure "${variants[(j + r) % nv]}"
        done
        line="run $((r + 1))/$runs:"
        for v in "${variants[@]}"; do
                read -r -a a <<<"${WALL[$v]}"
                line+=" $v ${a[r]} s;"
        done
        echo "$line"
done

# shellcheck disable=SC2086 # the runs' values, one argument each
med() { median ${1}; }
declare -A M
for v in "${variants[@]}"; do
        for k in WALL CPU MCPU RD WR; do
                declare -n arr=$k
                M[$k,$v]=$(med "${arr[$v]}")
                unset -n arr
        done
done
gb=$(awk "BEGIN { print $size / 1e9 }")

echo
echo "Medians of $runs runs; device $(numfmt --to=iec "$size"), loop direct I/O: $(loop_dio "$loop")"
fmt='%-36s %8s %8s %7s %9s %11s %9s %9s\n'
printf "$fmt" "" "wall s" "MB/s" "CPU s" "CPU s/GB" "machine CPU" "dev read" "dev wrtn" 
printf "$fmt" "" "" "" "" "" "s/GB" "MB" "MB"
row() { # LABEL VARIANT
        local v=$2
        printf "$fmt" "$1" "$(printf '%.2f' "${M[WALL,$v]}")" \
                "$(awk "BEGIN { printf \"%.0f\", $size / ${M[WALL,$v]} / 1e6 }")" \
                "$(printf '%.2f' "${M[CPU,$v]}")" "$(awk "BEGIN { printf \"%.3f\", ${M[CPU,$v]} / $gb }")" \
                "$(awk "BEGIN { printf \"%.3f\", ${M[MCPU,$v]} / $gb }")" \
                "$(awk "BEGIN { printf \"%.0f\", ${M[RD,$v]} / 1e6 }")" \
                "$(awk "BEGIN { printf \"%.0f\", ${M[WR,$v]} / 1e6 }")"
}
row "refurb-wipe write + full verify" refurb-full
row "nwipe prng, --verify=last" nwipe-last
row "refurb-wipe write (--verify=none)" refurb-none
row "nwipe prng, --verify=off" nwipe-off
echo
printf 'refurb-wipe inside its run (JSON, medians): write %.2f s + verify %.2f s; write alone %.2f s\n' \
        "$(med "${WS[refurb-full]}")" "$(med "${VS[refurb-full]}")" "$(med "${WS[refurb-none]}")"
nw_verify=$(calc "${M[WALL,nwipe-last]} - ${M[WALL,nwipe-off]}")
printf 'nwipe verification (wall with --verify=last minus --verify=off): %.2f s\n' "$nw_verify"
echo
ratios() { # LABEL REFURB NWIPE
        printf '%-32s total time nwipe/refurb %6.2f (= throughput refurb/nwipe)   CPU per GB nwipe/refurb %5.2f\n' \
                "$1" "$(calc "${M[WALL,$3]} / ${M[WALL,$2]}")" "$(calc "${M[CPU,$3]} / ${M[CPU,$2]}")"
}
ratios "write + one verification pass:" refurb-full nwipe-last
ratios "write pass alone:" refurb-none nwipe-off

# What the device saw, in words.
echo
verify_read=$(calc "${M[RD,nwipe-last]} - ${M[RD,nwipe-off]}")
if awk "BEGIN { exit !($verify_read < 0.1 * $size) }"; then
        printf 'note: nwipe'"'"'s verification read %.0f MB from the device for %.0f MB verified: it compared the page cache of the block device (its own writes), not the media.\n' \
                "$(calc "$verify_read / 1e6")" "$(calc "$size / 1e6")"
fi
if awk "BEGIN { exit !(${M[RD,nwipe-off]} > 0.5 * $size) }"; then
        printf 'note: nwipe'"'"'s write pass read %.0f MB from the device: %s-byte writes through the page cache make the kernel read each 4 KiB page before it is overwritten.\n' \
                "$(calc "${M[RD,nwipe-off]} / 1e6")" "$nwipe_io"
fi
