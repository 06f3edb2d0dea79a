#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# refurb-wipe against dd on a loop device: write pass vs a dd zero-fill,
# verification vs a dd read-back, wall time and CPU time.
#
#   sudo bench/erase-vs-dd.sh [SIZE]          SIZE: 2G (default), 512M, 8G, ...
#
# Environment:
#   REFURB_WIPE   refurb-wipe binary (default: the newest build-*/wiper/refurb-wipe)
#   WORKDIR       where the backing file goes (default: $TMPDIR, else bench/work)
#   RUNS          repetitions, interleaved; the median and the best are
#                 reported (default 5)
#   DIRECT_IO     on|off: loop device direct I/O, so the host page cache
#                 does not flatter anyone (default on; says which in the output)
#   REFURB_ARGS   extra refurb-wipe options (--threads=N, --block-size=N)
#   LOOP_BASE, QUIET_LOAD, QUIET_WAIT: see bench/lib.sh (loop node range;
#                 the bounded wait for a quiet machine before measuring)
#
# Both sides use 4 MiB O_DIRECT I/O and end with a flush (dd conv=fsync;
# refurb-wipe's write time includes its fsync). dd has one request in
# flight; refurb-wipe two (two I/O threads), and it also generates or
# checks the AES-256-CTR pattern while dd copies zeros. The verification
# is timed with --verify-only on what the write pass left, so both of
# refurb-wipe's figures (time and CPU) cover one pass. Throughput is in MB/s
# (10^6 bytes). CPU is user+system time of the process: bash `time` for dd,
# the JSON cpu_seconds (all its threads) for refurb-wipe; the loop device's
# kernel workers are not counted, for either side.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init erase-vs-dd

size_arg=${1:-2G}
runs=${RUNS:-5}

require_root
require_tools losetup dd jq numfmt awk perl
find_wipe
wipe=$WIPE

size=$(parse_size "$size_arg")
bs=$((4 * 1024 * 1024))
count=$((size / bs))

bench_workdir
work=$BENCH_WORK
img=$work/backing.img
# Allocated up front, then written once (untimed below) so that no run pays
# for block allocation or unwritten-extent conversion.
(($(free_bytes "$work") > size + 256 * 1024 * 1024)) ||
        die "not enough free space in $(bench_base) for $(numfmt --to=iec "$size") (set WORKDIR)"
make_backing "$img" "$size"
loop=""
loop_attach loop "$img"
dio=$(loop_dio "$loop")
settle

echo "refurb-wipe: $wipe"
machine_info
echo "device: $loop on $img ($(numfmt --to=iec "$size")), loop direct I/O: $dio"
echo "cpus: $(nproc), runs: $runs (interleaved; median and best)"
wait_quiet
echo "warm-up: writing the backing file once..."
dd if=/dev/zero of="$loop" bs=$bs count=$count oflag=direct conv=fsync status=none

declare -a dd_w_s dd_w_cpu rw_s rw_cpu dd_r_s dd_r_cpu rv_s rv_cpu
for ((i = 0; i < runs; i++)); do
        timed dd if=/dev/zero of="$loop" bs=$bs count=$count oflag=direct conv=fsync
        dd_w_s+=("$wall"); dd_w_cpu+=("$cpu")

        timed dd if="$loop" of=/dev/null bs=$bs count=$count iflag=direct
        dd_r_s+=("$wall"); dd_r_cpu+=("$cpu")

        # Write pass alone (its CPU is the whole process: one pass).
        wipe_json "$loop" --verify=none
        rw_s+=("$(jq -r .write_seconds "$work/out")"); rw_cpu+=("$(jq -r .cpu_seconds "$work/out")")
        key=$(jq -r .key "$work/out"); iv=$(jq -r .iv "$work/out")
        # Verification alone, of what was just written.
        wipe_json "$loop" --verify-only --key="$key" --iv="$iv"
        [[ $(jq -r .complete "$work/out") == true ]] || die "verification failed: $(jq -c .exceptions "$work/out")"
        rv_s+=("$(jq -r .verify_seconds "$work/out")"); rv_cpu+=("$(jq -r .cpu_seconds "$work/out")")
        echo "run $((i + 1)): dd write ${dd_w_s[i]} s, refurb write ${rw_s[i]} s, dd read ${dd_r_s[i]} s, refurb verify ${rv_s[i]} s"
done

mbps() { awk "BEGIN { printf \"%.1f\", $size / $1 / 1e6 }"; }
per_gb() { awk "BEGIN { printf \"%.3f\", $1 * 1e9 / $size }"; }

m_dd_w=$(median "${dd_w_s[@]}"); m_dd_w_cpu=$(median "${dd_w_cpu[@]}"); b_dd_w=$(best "${dd_w_s[@]}")
m_rw=$(median "${rw_s[@]}"); m_rw_cpu=$(median "${rw_cpu[@]}"); b_rw=$(best "${rw_s[@]}")
m_dd_r=$(median "${dd_r_s[@]}"); m_dd_r_cpu=$(median "${dd_r_cpu[@]}"); b_dd_r=$(best "${dd_r_s[@]}")
m_rv=$(median "${rv_s[@]}"); m_rv_cpu=$(median "${rv_cpu[@]}"); b_rv=$(best "${rv_s[@]}")

echo
printf '%-22s %12s %10s %10s %10s %10s\n' "" "MB/s median" "MB/s best" "seconds" "CPU s" "CPU s/GB"
row() { printf '%-22s %12s %10s %10s %10s %10s\n' "$1" "$(mbps "$2")" "$(mbps "$3")" "$2" "$4" "$(per_gb "$4")"; }
row "dd zero-fill (write)" "$m_dd_w" "$b_dd_w" "$m_dd_w_cpu"
row "refurb-wipe write" "$m_rw" "$b_rw" "$m_rw_cpu"
row "dd read-back" "$m_dd_r" "$b_dd_r" "$m_dd_r_cpu"
row "refurb-wipe verify" "$m_rv" "$b_rv" "$m_rv_cpu"
echo
printf 'write  throughput refurb/dd: median %.3f, best %.3f (target >= 0.95)\n' \
        "$(calc "$m_dd_w / $m_rw")" "$(calc "$b_dd_w / $b_rw")"
printf 'verify throughput refurb/dd: median %.3f, best %.3f (target >= 0.95)\n' \
        "$(calc "$m_dd_r / $m_rv")" "$(calc "$b_dd_r / $b_rv")"
printf 'CPU per GB refurb/dd: write %.2fx, verify %.2fx\n' \
        "$(calc "$m_rw_cpu / $m_dd_w_cpu")" "$(calc "$m_rv_cpu / $m_dd_r_cpu")"
