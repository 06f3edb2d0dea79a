#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The network API under load (issue 6): refurbd with 8 erasures running,
# its TLS listener on loopback hammered by wrk, 50 clients on the event
# stream, and its memory before and after.
#
#   sudo bench/api-load.sh [SIZE]        SIZE per device: 2G (default)
#
# Environment (see also bench/lib.sh: WORKDIR, DIRECT_IO, LOOP_BASE):
#   REFURBD     the daemon (default: the newest build*/daemon/refurbd)
#   DEVICES     loop devices, one `auto` bay each, erasing all along (8)
#   VERIFY      the bays' Verify= (default full: a write pass then a read pass)
#   THROTTLE_MBPS  read and write speed of each loop device for refurbd, in
#               MB/s (blkio cgroup, v1 or v2), so that the erasures last the
#               whole run like real drives' do (hours) instead of seconds
#               (default 5: a 2G job takes about 14 min; 0: no limit, the
#               keeper then restarts jobs all along). A job that ends and
#               is restarted between the two RSS samples makes the RSS
#               figures meaningless (its buffers): the table counts them
#   DURATION    seconds of each wrk run (default 30)
#   THREADS, CONNECTIONS   wrk -t and -c (default 2 and 10)
#   SSE_CLIENTS, SSE_SECONDS   event stream clients and how long they listen (50, 35)
#   MIN_REQUESTS  wrk runs on /v1/devices until the phase's total passes it (100000)
#   MAX_TOPUP_SECONDS  ... for at most this long (900): a slow daemon ends the
#               phase short of MIN_REQUESTS, and the verdict says so
#   PLAIN       1: also measure plain HTTP on loopback (TLS=no), to show
#               what TLS costs (default 1)
#
# What it does, per phase (TLS, then plain HTTP):
#   1. refurbd starts with [API] Listen=127.0.0.1:PORT (TLS=yes, then TLS=no:
#      the configuration takes one TLS= for all its listeners, so the plain
#      figures come from a second start on the same state directory);
#      a keeper (a shell loop on the Unix socket) starts an erasure on every
#      bay that has none running, every second, so DEVICES jobs run all
#      along; the figures say how many ran when;
#   2. RSS (VmRSS of /proc/PID/status) after a 2 000-request warm-up;
#   3. wrk --latency -H "Authorization: Bearer <supervisor token>" on
#      GET /v1/devices, then on GET /v1/bays, DURATION s each, then more
#      GET /v1/devices until the phase has served MIN_REQUESTS;
#   4. RSS again; 5. SSE_CLIENTS clients on GET /v1/events for SSE_SECONDS
#      (bench/sse-clients.py): delay between each job event's ts_usec and
#      its reception, p50/p99.
# Targets (issue 6): p99 under 20 ms, RSS growth under 5 MiB after 100 000
# requests. The verdict is given for the TLS phase.
#
# Everything (refurbd, the keeper, the loop devices, their files, udevd if
# this script started it) is undone on exit, also on error or Ctrl-C.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init api-load

size_arg=${1:-2G}
ndev=${DEVICES:-8}
verify=${VERIFY:-full}
duration=${DURATION:-30}
wrk_threads=${THREADS:-2}
wrk_conns=${CONNECTIONS:-10}
sse_clients=${SSE_CLIENTS:-50}
sse_seconds=${SSE_SECONDS:-35}
min_requests=${MIN_REQUESTS:-100000}
max_topup=${MAX_TOPUP_SECONDS:-900}
plain=${PLAIN:-1}
throttle=${THROTTLE_MBPS:-5}

require_root
require_tools losetup wrk curl jq python3 awk perl truncate numfmt
[[ $ndev =~ ^[1-9][0-9]?$ ]] || die "DEVICES must be 1..99"
[[ $duration =~ ^[1-9][0-9]*$ && $sse_seconds =~ ^[1-9][0-9]*$ ]] || die "DURATION and SSE_SECONDS: seconds"
[[ $verify =~ ^(full|sample|none)$ ]] || die "VERIFY: full, sample or none"
[[ $throttle =~ ^[0-9]+$ ]] || die "THROTTLE_MBPS: a whole number of MB/s"
[[ $max_topup =~ ^[0-9]+$ && $min_requests =~ ^[0-9]+$ ]] || die "MIN_REQUESTS, MAX_TOPUP_SECONDS: whole numbers"
size=$(parse_size "$size_arg")

REFURBD=${REFURBD:-}
if [[ -z $REFURBD ]]; then
        # shellcheck disable=SC2012 # build directory names are plain
        REFURBD=$(ls -t "$BENCH_REPO"/build*/daemon/refurbd 2>/dev/null | head -n1 || true)
fi
[[ -n $REFURBD && -x $REFURBD ]] || die "refurbd not found: build it or set REFURBD"

daemon_pid="" daemon_log="" keeper_pid="" udevd_pid="" cgroup=""
declare -A R # results: R[PHASE.WHAT]

# Show the end of the daemon's log when something went wrong, then the
# common clean-up (processes, loops, files).
api_cleanup() {
        local rc=$?
        if ((rc != 0 && rc != 130 && rc != 143)) && [[ -n $daemon_log && -s $daemon_log ]]; then
                echo "----- last lines of $daemon_log -----" >&2
                tail -n 30 "$daemon_log" >&2
        fi
        set +e # (exit rc) must not end the script under set -e: it only hands rc to bench_cleanup
        stop_keeper
        stop_daemon
        [[ -n $cgroup && -d $cgroup ]] && rmdir "$cgroup"
        (exit "$rc")
        bench_cleanup
}
trap api_cleanup EXIT

# Drop a PID from BENCH_PIDS once we have waited for it ourselves.
forget_pid() {
        local p keep=()
        for p in "${BENCH_PIDS[@]}"; do
                [[ $p == "$1" ]] || keep+=("$p")
        done
        BENCH_PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------------------
# udevd: refurbd learns about block devices through it.
if ! udevadm control --ping -t 2 >/dev/null 2>&1; then
        for bin in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
                [[ -x $bin ]] && break
        done
        [[ -x $bin ]] || die "no systemd-udevd running or installed (apt-get install udev)"
        "$bin" >/dev/null 2>&1 &
        udevd_pid=$!
        BENCH_PIDS+=("$udevd_pid")
        for ((i = 0; i < 50; i++)); do
                udevadm control --ping -t 1 >/dev/null 2>&1 && break
                sleep 0.1
        done
        udevadm control --ping -t 1 >/dev/null 2>&1 || die "systemd-udevd does not answer"
        echo "started $bin (pid $udevd_pid) for the run"
fi

# ---------------------------------------------------------------------------
# Devices and configuration

bench_workdir
need=$((ndev * size + 256 * 1024 * 1024))
free=$(free_bytes "$BENCH_WORK")
((need <= free)) || die "needs $(numfmt --to=iec "$need") in $(bench_base), which has $(numfmt --to=iec "$free") (set WORKDIR or a smaller SIZE)"
loops=() node=""
for ((i = 0; i < ndev; i++)); do
        truncate -s "$size" "$BENCH_WORK/drive$i.img" # sparse: the erasure fills it
        loop_attach node "$BENCH_WORK/drive$i.img"
        loops+=("$node")
done
settle
state=$BENCH_WORK/state
sock=$BENCH_WORK/api.sock

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() { # PORT TLS
        printf '[Daemon]\nStateDirectory=%s\nAPISocket=%s\nBenchName=banc-charge\n' "$state" "$sock"
        printf 'Organisation=Banc de mesure\nLocation=Labo\nTechnician=Mesure\n\n[Erase]\nVerify=%s\n' "$verify"
        local i
        for ((i = 0; i < ndev; i++)); do
                printf '\n[Bay baie-%d]\nMatchDevice=%s\nPolicy=auto\n' "$((i + 1))" "${loops[i]}"
        done
        printf '\n[API]\nListen=127.0.0.1:%s\nTLS=%s\nWebDirectory=\n' "$1" "$2"
}

unix_api() { # METHOD PATH [JSON]
        local args=(-s --max-time 10 --unix-socket "$sock" -X "$1")
        [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
        curl "${args[@]}" "http://localhost$2"
}

# A blkio cgroup limiting refurbd's reads and writes on our loop devices
# (cgroup v1 blkio.throttle.*, or v2 io.max); cgroup="" when not possible.
make_cgroup() {
        ((throttle > 0)) || return 0
        local bps=$((throttle * 1000000)) node majmin
        if [[ -f /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device ]]; then
                cgroup=/sys/fs/cgroup/blkio/refurb-api-load.$$
                mkdir "$cgroup" || die "cannot create $cgroup"
                for node in "${loops[@]}"; do
                        majmin=$(cat "/sys/block/${node#/dev/}/dev")
                        echo "$majmin $bps" >"$cgroup/blkio.throttle.write_bps_device"
                        echo "$majmin $bps" >"$cgroup/blkio.throttle.read_bps_device"
                done
        elif grep -qw io /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
                grep -qw io /sys/fs/cgroup/cgroup.subtree_control || echo +io >/sys/fs/cgroup/cgroup.subtree_control ||
                        { warn "cannot enable the io controller: no throttling"; return 0; }
                cgroup=/sys/fs/cgroup/refurb-api-load.$$
                mkdir "$cgroup" || die "cannot create $cgroup"
                for node in "${loops[@]}"; do
                        majmin=$(cat "/sys/block/${node#/dev/}/dev")
                        echo "$majmin rbps=$bps wbps=$bps" >"$cgroup/io.max"
                done
        else
                warn "no blkio/io cgroup controller: the erasures run at full speed (and end early)"
        fi
}

start_daemon() { # CONF
        daemon_log=$BENCH_WORK/refurbd.log
        printf '\n----- %s -----\n' "$(date -u +%FT%TZ)" >>"$daemon_log"
        "$REFURBD" --config "$1" >>"$daemon_log" 2>&1 &
        daemon_pid=$!
        BENCH_PIDS+=("$daemon_pid")
        # all its threads, and those it starts later (the erasures)
        [[ -z $cgroup ]] || echo "$daemon_pid" >"$cgroup/cgroup.procs" || die "cannot move refurbd into $cgroup"
        local i
        for ((i = 0; i < 200; i++)); do
                kill -0 "$daemon_pid" 2>/dev/null || die "refurbd exited at start (log: above)"
                unix_api GET /v1/status >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        die "refurbd does not answer on $sock after 10 s"
}

stop_daemon() {
        [[ -n $daemon_pid ]] || return 0
        kill -TERM "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
        forget_pid "$daemon_pid"
        daemon_pid=""
}

# The keeper: every second, an erasure on each bay whose drive has no job
# running (waiting: plugged in before the start; done/failed/...: finished).
# It counts its starts in $BENCH_WORK/starts.
start_keeper() {
        (
                set +e
                trap 'exit 0' TERM
                while :; do
                        unix_api GET /v1/bays 2>/dev/null |
                                jq -r '.bays[]? | select(.state | test("^(waiting|done|failed|cancelled|interrupted)$"))
                                       | .device.sysname // empty' 2>/dev/null |
                                while read -r sysname; do
                                        if unix_api POST "/v1/devices/$sysname/erase" '{}' | jq -e '.job.id' >/dev/null 2>&1; then
                                                echo "$sysname" >>"$BENCH_WORK/starts"
                                        fi
                                done
                        sleep 1
                done
        ) &
        keeper_pid=$!
        BENCH_PIDS+=("$keeper_pid")
}

stop_keeper() {
        [[ -n $keeper_pid ]] || return 0
        kill -TERM "$keeper_pid" 2>/dev/null || true
        wait "$keeper_pid" 2>/dev/null || true
        forget_pid "$keeper_pid"
        keeper_pid=""
}

jobs_running() { unix_api GET /v1/status | jq -r '.jobs_running // 0'; }
starts_count() { if [[ -f $BENCH_WORK/starts ]]; then wc -l <"$BENCH_WORK/starts"; else echo 0; fi; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status"; }

wait_jobs() { # N TIMEOUT_S
        local t n=0
        for ((t = 0; t < $2 * 2; t++)); do
                n=$(jobs_running)
                ((n >= $1)) && return 0
                sleep 0.5
        done
        die "only $n of $1 erasures running after $2 s (log: $daemon_log)"
}

# wrk_run NAME URL SECONDS: runs wrk, keeps its output in $BENCH_WORK/wrk-NAME.
# Sets W_REQ, W_RPS, W_P50, W_P99 (ms), W_BAD (non-2xx + socket errors).
wrk_run() {
        local out=$BENCH_WORK/wrk-$1
        wrk -t "$wrk_threads" -c "$wrk_conns" -d "${3}s" --latency --timeout 5s \
                -H "Authorization: Bearer $token" "$2" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $2"; }
        W_REQ=$(awk '/requests in/ { print $1 }' "$out")
        W_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
        W_P50=$(wrk_pct "$out" 50%)
        W_P99=$(wrk_pct "$out" 99%)
        W_BAD=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ {
                        for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i } END { print n + 0 }' "$out")
        [[ -n $W_REQ && -n $W_RPS && -n $W_P50 && -n $W_P99 ]] || { cat "$out" >&2; die "cannot read wrk's output"; }
}

# The percentile line of wrk's latency distribution, in ms.
wrk_pct() { # FILE PCT
        awk -v p="$2" '$1 == p {
                v = $2
                if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
                else if (v ~ /ms$/) { sub(/ms$/, "", v) }
                else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60000 }
                else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
                printf "%.2f\n", v; exit }' "$1"
}

# phase NAME TLS: one daemon start, all the measures; results in R[NAME.*].
phase() {
        local name=$1 tls=$2 port scheme conf total rss0 rss1 rss2 rss3 j0 j1 j2 sse
        port=$(free_port)
        [[ $tls == yes ]] && scheme=https || scheme=http
        conf=$BENCH_WORK/refurbd-$name.conf
        write_config "$port" "$tls" >"$conf"
        echo
        echo "== $name: refurbd on $scheme://127.0.0.1:$port, $ndev auto bays ($verify verification)"
        start_daemon "$conf"
        if [[ -z ${token:-} ]]; then
                token=$(unix_api POST /v1/tokens '{"role": "supervisor", "name": "api-load"}' | jq -r '.secret // empty')
                [[ $token == rfb1_* ]] || die "could not create a supervisor token on $sock"
        fi
        local code
        code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$scheme://127.0.0.1:$port/v1/devices")
        [[ $code == 200 ]] || die "GET /v1/devices with the token: HTTP $code"
        rss0=$(rss_kib)
        start_keeper
        wait_jobs "$ndev" 60
        j0=$(jobs_running)
        echo "   $j0 erasures running; warm-up"
        wrk -t1 -c2 -d2s -H "Authorization: Bearer $token" "$scheme://127.0.0.1:$port/v1/devices" >/dev/null 2>&1 || true
        rss1=$(rss_kib)
        local starts1 starts2
        starts1=$(starts_count)

        echo "   wrk GET /v1/devices, ${duration} s"
        wrk_run "$name-devices" "$scheme://127.0.0.1:$port/v1/devices" "$duration"
        R[$name.dev]="$W_P50 $W_P99 $W_RPS $W_REQ $W_BAD"
        total=$W_REQ
        j1=$(jobs_running)
        echo "   wrk GET /v1/bays, ${duration} s"
        wrk_run "$name-bays" "$scheme://127.0.0.1:$port/v1/bays" "$duration"
        R[$name.bays]="$W_P50 $W_P99 $W_RPS $W_REQ $W_BAD"
        total=$((total + W_REQ))
        # More GET /v1/devices, as long as the last rate says it takes (at
        # least 5 s, at most what is left of MAX_TOPUP_SECONDS).
        local extra=0 spent=0 secs
        while ((total < min_requests && spent < max_topup)); do
                secs=$(awk -v n=$((min_requests - total)) -v r="$W_RPS" 'BEGIN { s = int(n / (r > 0 ? r : 1) * 1.1) + 5; print s }')
                ((secs <= max_topup - spent)) || secs=$((max_topup - spent))
                echo "   $total requests so far: wrk GET /v1/devices again, $secs s"
                wrk_run "$name-more$extra" "$scheme://127.0.0.1:$port/v1/devices" "$secs"
                total=$((total + W_REQ))
                spent=$((spent + secs))
                extra=$((extra + 1))
        done
        rss2=$(rss_kib)
        starts2=$(starts_count)
        j2=$(jobs_running)

        echo "   $sse_clients clients on /v1/events, ${sse_seconds} s"
        local sse_args=(--port "$port" --token "$token" --clients "$sse_clients" --duration "$sse_seconds")
        [[ $tls == yes ]] || sse_args+=(--plain)
        sse=$(python3 -B "$BENCH_DIR/sse-clients.py" "${sse_args[@]}") || warn "sse-clients.py: $sse"
        R[$name.sse]="$(jq -r '[.job_p50_ms // "-", .job_p99_ms // "-", .job_events, .job_events_per_client_per_s]
                              | map(tostring) | join(" ")' <<<"$sse" 2>/dev/null || echo "- - 0 0")"
        R[$name.sse_detail]=$sse
        rss3=$(rss_kib)
        R[$name.rss]="$rss0 $rss1 $rss2 $total $rss3 $((starts2 - starts1))"
        R[$name.jobs]="$j0/$j1/$j2/$(jobs_running)"
        stop_keeper
        stop_daemon
}

make_cgroup
machine_info
echo "refurbd: $REFURBD"
echo "devices: ${loops[*]} ($(numfmt --to=iec "$size") each, direct I/O $(loop_dio "${loops[0]}"), $( ((throttle > 0)) && [[ -n $cgroup ]] && echo "refurbd limited to $throttle MB/s on each by $cgroup" || echo "no speed limit"))"
echo "wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }'): -t $wrk_threads -c $wrk_conns, ${duration} s per run"

token=""
phase tls yes
phases=(tls)
if [[ $plain == 1 ]]; then
        phase plain no
        phases+=(plain)
fi
starts=$(wc -l <"$BENCH_WORK/starts" 2>/dev/null || echo 0)

echo
echo "== Results ($ndev erasures kept running: $starts started by the keeper in all)"
row() { # LABEL KEY FIELD
        local p f
        printf '%-36s' "$1"
        for p in "${phases[@]}"; do
                read -r -a f <<<"${R[$p.$2]}"
                printf '%16s' "${f[$3]:--}"
        done
        echo
}
printf '%-36s' ""
for p in "${phases[@]}"; do printf '%16s' "$([[ $p == tls ]] && echo TLS || echo 'plain HTTP')"; done
echo
row "GET /v1/devices p50 (ms)" dev 0
row "GET /v1/devices p99 (ms)" dev 1
row "GET /v1/devices requests/s" dev 2
row "GET /v1/devices errors" dev 4
row "GET /v1/bays p50 (ms)" bays 0
row "GET /v1/bays p99 (ms)" bays 1
row "GET /v1/bays requests/s" bays 2
row "GET /v1/bays errors" bays 4
row "SSE $sse_clients clients: job event p50 (ms)" sse 0
row "SSE $sse_clients clients: job event p99 (ms)" sse 1
row "SSE job events received" sse 2
row "SSE job events / client / s" sse 3
row "requests served (wrk)" rss 3
row "RSS at start (KiB)" rss 0
row "RSS after warm-up (KiB)" rss 1
row "RSS after the requests (KiB)" rss 2
row "RSS after the SSE clients (KiB)" rss 4
row "jobs restarted between RSS samples" rss 5
printf '%-36s' "RSS growth after warm-up (KiB)"
for p in "${phases[@]}"; do
        read -r -a f <<<"${R[$p.rss]}"
        printf '%16s' "$((f[2] - f[1]))"
done
echo
printf '%-36s' "jobs running (start/mid/end/SSE)"
for p in "${phases[@]}"; do printf '%16s' "${R[$p.jobs]}"; done
echo
for p in "${phases[@]}"; do
        echo "sse-clients.py ($p): ${R[$p.sse_detail]}"
done

# Verdict on the TLS phase.
read -r -a dev <<<"${R[tls.dev]}"
read -r -a bays <<<"${R[tls.bays]}"
read -r -a sse <<<"${R[tls.sse]}"
read -r -a rss <<<"${R[tls.rss]}"
verdict=0
judge() { # WHAT VALUE LIMIT UNIT
        if [[ $2 != - ]] && awk -v v="$2" -v l="$3" 'BEGIN { exit !(v < l) }'; then
                printf '  %-44s %10s %-4s < %s: ok\n' "$1" "$2" "$4" "$3"
        else
                printf '  %-44s %10s %-4s < %s: MISSED\n' "$1" "$2" "$4" "$3"
                verdict=1
        fi
}
echo
echo "== Verdict (TLS, targets of issue 6)"
judge "GET /v1/devices p99" "${dev[1]}" 20 ms
judge "GET /v1/bays p99" "${bays[1]}" 20 ms
judge "SSE fan-out to $sse_clients clients, p99" "${sse[1]}" 20 ms
judge "RSS growth over ${rss[3]} requests" "$(calc "(${rss[2]} - ${rss[1]}) / 1024")" 5 MiB
((dev[4] == 0 && bays[4] == 0)) || { echo "  wrk saw errors or non-2xx answers: see above"; verdict=1; }
((rss[3] >= min_requests)) || { echo "  fewer than $min_requests requests"; verdict=1; }
((rss[5] == 0)) || echo "  ${rss[5]} job(s) restarted between the RSS samples: the RSS growth includes their buffers (make the jobs longer: a lower THROTTLE_MBPS or a bigger SIZE)"
((verdict == 0)) && echo "  all targets met" || echo "  some targets missed"
exit 0
