#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Several bays at once: N loop devices erased in parallel by N refurb-wipe
# processes against N parallel dd, for N = 1, 2, 4, 8, in the same run.
#
#   sudo bench/parallel-vs-dd.sh [SIZE]       SIZE per device: 1G (default)
#
# Environment (see also bench/lib.sh: REFURB_WIPE, WORKDIR, DIRECT_IO,
# LOOP_BASE, QUIET_LOAD, QUIET_WAIT):
#   RUNS      repetitions, interleaved (the order of the variants rotates
#             from one run to the next); medians are reported (default 3)
#   COUNTS    numbers of devices erased at once (default "1 2 4 8"); a count
#             whose backing files do not fit in WORKDIR is skipped
#   THREADS   refurb-wipe --threads values to try, "default" meaning none
#             given (min(online CPUs, 4)) (default "default 1")
#
# Per N, all N devices at once, each variant:
#   dd write       dd if=/dev/zero of=DEV bs=4M count=.. oflag=direct conv=fsync
#   refurb write   refurb-wipe --yes --json --method=overwrite --verify=none
#   dd write+read  the dd above, then dd if=DEV of=/dev/null bs=4M iflag=direct
#   refurb full    refurb-wipe --yes --json --method=overwrite --verify=full
# The flush is on both sides (refurb-wipe's write pass ends with fsync). All
# loop devices sit on backing files in the same file system, so N devices
# share one disk here, unlike N bays.
#
# Figures: aggregate MB/s = N x SIZE / wall time from the first start to the
# last exit (10^6 bytes; for the "full" variants, bytes erased and verified
# per second of the whole job). CPU s/GB = CPU seconds per 10^9 bytes of
# device: for dd the user+system time of the processes (bash `time`), for
# refurb-wipe its JSON cpu_seconds (all its threads); the loop driver's and
# the block layer's kernel workers are in neither. "machine CPU s/GB" is
# the busy time of all CPUs over the same interval from /proc/stat, those
# workers included (and whatever else ran meanwhile). Ratios are refurb/dd:
# speed > 1 means refurb-wipe is faster, CPU 3.0 means three times dd's.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init parallel-vs-dd

size_arg=${1:-1G}
runs=${RUNS:-3}
read -r -a counts <<<"${COUNTS:-1 2 4 8}"
read -r -a threads <<<"${THREADS:-default 1}"

require_root
require_tools losetup dd jq numfmt awk perl fallocate
find_wipe
((runs >= 1)) || die "RUNS must be at least 1"

size=$(parse_size "$size_arg")
bs=$((4 * 1024 * 1024))
count=$((size / bs))
default_threads=$(($(nproc) < 4 ? $(nproc) : 4))

bench_workdir
margin=$((256 * 1024 * 1024))
free=$(free_bytes "$BENCH_WORK")
fit=()
for n in "${counts[@]}"; do
        [[ $n =~ ^[1-9][0-9]*$ ]] || die "bad count in COUNTS: $n"
        if ((n * size + margin > free)); then
                echo "skipping N=$n: needs $(numfmt --to=iec $((n * size))) of backing files, $(bench_base) has $(numfmt --to=iec "$free") free (set WORKDIR)"
                continue
        fi
        fit+=("$n")
done
if ((${#fit[@]} == 0)); then
        echo "parallel-vs-dd: skipped: not enough free disk space for any N"
        exit 0
fi
counts=("${fit[@]}")
maxn=$(printf '%s\n' "${counts[@]}" | sort -n | tail -n1)

loops=() node=""
for ((i = 0; i < maxn; i++)); do
        make_backing "$BENCH_WORK/dev$i.img" "$size"
        loop_attach node "$BENCH_WORK/dev$i.img"
        loops+=("$node")
done
settle

dio_states=""
for node in "${loops[@]}"; do
        dio_states+=" $(loop_dio "$node")"
done

echo "refurb-wipe: $WIPE"
machine_info
echo "devices: ${loops[*]} ($(numfmt --to=iec "$size") each, backing files in $BENCH_WORK)"
echo "loop direct I/O:$dio_states (page cache of the host bypassed when on)"
[[ $dio_states == *off* ]] && warn "some loop devices run without direct I/O: the host page cache takes part"
echo "counts: ${counts[*]}; refurb-wipe threads: ${threads[*]} (default = $default_threads here, plus 2 I/O threads); runs: $runs"
wait_quiet
echo "warm-up: writing every backing file once..."
for node in "${loops[@]}"; do
        dd if=/dev/zero of="$node" bs=$bs count=$count oflag=direct conv=fsync status=none &
        BENCH_PIDS+=($!)
done
for pid in "${BENCH_PIDS[@]}"; do
        wait "$pid" || die "warm-up write failed"
done
BENCH_PIDS=()

# Variants: dd:w, rw:T..., dd:wr, rf:T...
variants=(dd:w)
for t in "${threads[@]}"; do
        [[ $t == default || $t =~ ^[1-9][0-9]*$ ]] || die "bad value in THREADS: $t"
        variants+=("rw:$t")
done
variants+=(dd:wr)
for t in "${threads[@]}"; do
        variants+=("rf:$t")
done

label() {
        local t=${1#*:} th
        if [[ $t == default ]]; then
                th="threads=$default_threads (default)"
        else
                th="threads=$t"
        fi
        case $1 in
        dd:w) echo "dd write" ;;
        dd:wr) echo "dd write + read-back" ;;
        rw:*) echo "refurb write, $th" ;;
        rf:*) echo "refurb write+verify, $th" ;;
        esac
}

job_dd() { # DEV DIR MODE(w|wr)
        local dev=$1 d=$2 mode=$3 rc=0
        mkdir -p "$d"
        { time {
                dd if=/dev/zero of="$dev" bs=$bs count=$count oflag=direct conv=fsync status=none &&
                        if [[ $mode == wr ]]; then
                                dd if="$dev" of=/dev/null bs=$bs count=$count iflag=direct status=none
                        fi
        } 2>"$d/err"; } 2>"$d/time" || rc=$?
        echo "$rc" >"$d/rc"
}

job_wipe() { # DEV DIR ARGS...
        local dev=$1 d=$2 rc=0
        shift 2
        mkdir -p "$d"
        "$WIPE" --yes --json --method=overwrite "$@" "$dev" >"$d/out" 2>"$d/err" || rc=$?
        echo "$rc" >"$d/rc"
}

# check_wipe DIR FULL(0|1): the run did what it was asked; prints its CPU.
check_wipe() {
        local d=$1 full=$2 rc
        rc=$(cat "$d/rc")
        jq -e . "$d/out" >/dev/null 2>&1 || { cat "$d/err" >&2; die "refurb-wipe failed (exit $rc), no JSON"; }
        if ((full)); then
                jq -e --argjson s "$size" '.complete == true and .result == "erased" and .bytes_verified == $s' \
                        "$d/out" >/dev/null || die "refurb-wipe did not erase: $(jq -c '{result, stop, exceptions}' "$d/out")"
        else
                ((rc <= 1)) || die "refurb-wipe failed (exit $rc)"
                jq -e --argjson s "$size" '.bytes_written == $s and .flushed == true and .stop == "none"
                        and (.exceptions | length) == 0' "$d/out" >/dev/null ||
                        die "refurb-wipe write pass incomplete: $(jq -c '{bytes_written, flushed, stop, exceptions}' "$d/out")"
        fi
        jq -r .cpu_seconds "$d/out"
}

declare -A WALL PCPU MCPU

# measure N VARIANT: run it on the first N devices at once.
measure() {
        local n=$1 v=$2 d=$BENCH_WORK/job i t0 t1 c0 c1 pcpu=0 c u s r t args=()
        rm -rf "$d"
        t=${v#*:}
        [[ $t == default || $v == dd:* ]] || args=(--threads="$t")
        c0=$(cpu_busy)
        t0=$(now)
        for ((i = 0; i < n; i++)); do
                case $v in
                dd:w) job_dd "${loops[i]}" "$d/$i" w & ;;
                dd:wr) job_dd "${loops[i]}" "$d/$i" wr & ;;
                rw:*) job_wipe "${loops[i]}" "$d/$i" --verify=none "${args[@]}" & ;;
                rf:*) job_wipe "${loops[i]}" "$d/$i" --verify=full "${args[@]}" & ;;
                esac
                BENCH_PIDS+=($!)
        done
        for i in "${!BENCH_PIDS[@]}"; do
                wait "${BENCH_PIDS[i]}" || true
        done
        t1=$(now)
        c1=$(cpu_busy)
        BENCH_PIDS=()
        for ((i = 0; i < n; i++)); do
                case $v in
                dd:*)
                        r=$(cat "$d/$i/rc")
                        ((r == 0)) || { cat "$d/$i/err" >&2; die "dd failed on ${loops[i]}"; }
                        read -r _ u s <"$d/$i/time"
                        c=$(calc "$u + $s")
                        ;;
                rw:*) c=$(check_wipe "$d/$i" 0) ;;
                rf:*) c=$(check_wipe "$d/$i" 1) ;;
                esac
                pcpu=$(calc "$pcpu + $c")
        done
        WALL[$n,$v]+=" $(calc "$t1 - $t0")"
        PCPU[$n,$v]+=" $pcpu"
        MCPU[$n,$v]+=" $(calc "$c1 - $c0")"
}

nv=${#variants[@]}
for ((r = 0; r < runs; r++)); do
        for n in "${counts[@]}"; do
                for ((j = 0; j < nv; j++)); do
                        measure "$n" "${variants[(j + r) % nv]}"
                done
        done
        line="run $((r + 1))/$runs:"
        for n in "${counts[@]}"; do
                read -r -a w <<<"${WALL[$n,dd:w]}"
                read -r -a x <<<"${WALL[$n,rw:${threads[0]}]}"
                line+=" N=$n dd ${w[r]} s refurb ${x[r]} s;"
        done
        echo "$line"
done

# Medians.
# shellcheck disable=SC2086 # the runs' values, one argument each
med() { median ${1}; }
mbps() { awk "BEGIN { printf \"%.0f\", $1 * $size / $2 / 1e6 }"; } # N WALL
per_gb() { awk "BEGIN { printf \"%.3f\", $2 * 1e9 / ($1 * $size) }"; } # N CPU
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

declare -A M_WALL M_PCPU M_MCPU
for n in "${counts[@]}"; do
        for v in "${variants[@]}"; do
                M_WALL[$n,$v]=$(med "${WALL[$n,$v]}")
                M_PCPU[$n,$v]=$(med "${PCPU[$n,$v]}")
                M_MCPU[$n,$v]=$(med "${MCPU[$n,$v]}")
        done
done

echo
echo "Medians of $runs runs; $(numfmt --to=iec "$size") per device; loop direct I/O:$dio_states"
fmt='%-42s %9s %8s %9s %11s %9s %9s\n'
for n in "${counts[@]}"; do
        echo
        echo "N=$n device(s) at once ($(awk "BEGIN { printf \"%.2f\", $n * $size / 1e9 }") GB in all)"
        printf "$fmt" "" "aggr MB/s" "wall s" "CPU s/GB" "machine CPU" "speed" "CPU"
        printf "$fmt" "" "" "" "(process)" "s/GB" "vs dd" "vs dd"
        for v in "${variants[@]}"; do
                base=dd:w
                [[ $v == dd:wr || $v == rf:* ]] && base=dd:wr
                if [[ $v == dd:* ]]; then
                        sp="" cr=""
                else
                        sp=$(ratio "${M_WALL[$n,$base]}" "${M_WALL[$n,$v]}")
                        cr=$(ratio "${M_PCPU[$n,$v]}" "${M_PCPU[$n,$base]}")
                fi
                printf "$fmt" "$(label "$v")" "$(mbps "$n" "${M_WALL[$n,$v]}")" \
                        "$(printf '%.2f' "${M_WALL[$n,$v]}")" "$(per_gb "$n" "${M_PCPU[$n,$v]}")" \
                        "$(per_gb "$n" "${M_MCPU[$n,$v]}")" "$sp" "$cr"
        done
done

echo
echo "Summary, refurb-wipe / dd (throughput: > 1 = refurb faster; CPU: per GB, process time)"
hdr=$(printf '%-4s' "N")
for v in "${variants[@]}"; do
        [[ $v == dd:* ]] && continue
        k=${v%%:*}
        t=${v#*:}
        [[ $t == default ]] && t=$default_threads
        hdr+=$(printf ' %11s' "$([[ $k == rw ]] && echo write || echo full) t=$t")
done
echo "throughput  $hdr"
for n in "${counts[@]}"; do
        row=$(printf '%-4s' "$n")
        for v in "${variants[@]}"; do
                [[ $v == dd:* ]] && continue
                base=dd:w
                [[ $v == rf:* ]] && base=dd:wr
                row+=$(printf ' %11s' "$(ratio "${M_WALL[$n,$base]}" "${M_WALL[$n,$v]}")")
        done
        echo "            $row"
done
echo "CPU         $hdr"
for n in "${counts[@]}"; do
        row=$(printf '%-4s' "$n")
        for v in "${variants[@]}"; do
                [[ $v == dd:* ]] && continue
                base=dd:w
                [[ $v == rf:* ]] && base=dd:wr
                row+=$(printf ' %11s' "$(ratio "${M_PCPU[$n,$v]}" "${M_PCPU[$n,$base]}")")
        done
        echo "            $row"
done
