#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetching images into the cache (imager/img-fetch.c) from a real HTTPS
# server on 127.0.0.1 (tests/lib/https-server.py, self-signed certificate
# made here): resume after a cut connection, SHA-256 refusals, a cached
# file changed on disk, a server ignoring Range, retention of versions,
# refused locations. No loop device, no daemon: img-fetch-tool drives the
# module directly.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:?}"

require_cmds openssl python3 jq sha256sum stat truncate
TOOLS=${REFURB_TEST_TOOLS:-$RF_BUILDDIR/tests/imager}
FETCH=$TOOLS/img-fetch-tool
[[ -x $FETCH ]] || skip "not built: $FETCH (ninja -C build)"
SERVER=$RF_LIBDIR/https-server.py

WWW=$RF_TMP/www
CACHE=$RF_TMP/cache
CERT=$RF_TMP/cert.pem
KEY=$RF_TMP/key.pem
CONTROL=$RF_TMP/faults.json
SRVLOG=$RF_TMP/requests.log
mkdir -p "$WWW" "$CACHE"

# ---------------------------------------------------------------------------
# Helpers

sha() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }

# faults JSON: what the server does to the next responses.
faults() { printf '%s\n' "$1" >"$CONTROL.tmp" && mv "$CONTROL.tmp" "$CONTROL"; }

# fetch NAME VERSION LOCATION SHA256 [tool options]: RF_RC, RF_OUT (JSON), RF_ERR.
fetch() {
        local name=$1 version=$2 location=$3 sum=$4
        shift 4
        run "$FETCH" --cache "$CACHE" --ca-file "$CERT" "$@" "$name" "$version" "$location" "$sum"
}

field() { jq -r ".$1" <<<"$RF_OUT"; }

# Requests the server logged for a path since line $2 (1-based), as JSON lines.
requests_since() { tail -n +"$2" "$SRVLOG" | jq -c --arg p "$1" 'select(.path == $p)'; }
log_lines() { if [[ -f $SRVLOG ]]; then wc -l <"$SRVLOG"; else echo 0; fi; }

# ---------------------------------------------------------------------------
check "a self-signed certificate for 127.0.0.1 and the HTTPS server"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$KEY" -out "$CERT" \
        -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >"$RF_TMP/openssl.log" 2>&1 ||
        fail "openssl req failed: $(cat "$RF_TMP/openssl.log")"
faults '{}'
python3 "$SERVER" --root "$WWW" --cert "$CERT" --key "$KEY" --port-file "$RF_TMP/port" --log "$SRVLOG" \
        --control "$CONTROL" >"$RF_TMP/server.out" 2>&1 &
echo $! >>"$RF_TMP/pids" # killed by rf_cleanup
SERVER_PID=$!
for _ in $(seq 100); do
        [[ -s $RF_TMP/port ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the HTTPS server exited: $(cat "$RF_TMP/server.out")"
        sleep 0.1
done
[[ -s $RF_TMP/port ]] || fail "the HTTPS server did not start: $(cat "$RF_TMP/server.out")"
PORT=$(<"$RF_TMP/port")
BASE=https://127.0.0.1:$PORT
pass "serving $WWW on $BASE (pid $SERVER_PID)"

# Images: random bytes, so a wrong byte anywhere changes the digest.
head -c $((8 * 1024 * 1024)) /dev/urandom >"$WWW/classe.img.zst"
IMG_SHA=$(sha "$WWW/classe.img.zst")
IMG_SIZE=$(size_of "$WWW/classe.img.zst")
CUT=$((IMG_SIZE * 40 / 100))
URL=$BASE/classe.img.zst
DIR=$CACHE/classe/2026.11.1
FINAL=$DIR/classe.img.zst

# ---------------------------------------------------------------------------
check "the connection is cut at 40 %: the fetch fails, saying why, and keeps the .part"

faults "{\"cut_after\": $CUT, \"cut_times\": 1}"
fetch classe 2026.11.1 "$URL" "$IMG_SHA"
assert_rc 1 "interrupted fetch"
assert_contains "$RF_ERR" "interrompu" "the error says the download was interrupted"
assert_contains "$RF_ERR" "$URL" "the error names the URL"
assert_contains "$RF_ERR" "HTTP 200" "the error gives the HTTP status"
assert_eq "$(size_of "$FINAL.part")" "$CUT" "bytes kept in $FINAL.part"
[[ ! -e $FINAL ]] || fail "$FINAL exists after an interrupted download"
pass "nothing under the final name"

check "the next fetch resumes where it stopped and ends with the right SHA-256"

since=$(( $(log_lines) + 1 ))
fetch classe 2026.11.1 "$URL" "$IMG_SHA"
assert_rc 0 "resumed fetch"
assert_eq "$(field resumed)" true "resumed"
assert_eq "$(field from_cache)" false "from_cache"
assert_eq "$(field downloaded)" $((IMG_SIZE - CUT)) "bytes downloaded this time (the rest only)"
assert_gt "$IMG_SIZE" "$(field downloaded)" "less than the whole file went over the network"
assert_eq "$(field path)" "$FINAL" "path"
assert_eq "$(field size)" "$IMG_SIZE" "size"
assert_eq "$(field sha256)" "$IMG_SHA" "SHA-256 read through the returned descriptor"
assert_eq "$(sha "$FINAL")" "$IMG_SHA" "sha256sum of the cached file"
req=$(requests_since /classe.img.zst "$since")
assert_eq "$(jq -r .range <<<"$req")" "bytes=$CUT-" "Range of the resumed request (server log)"
assert_eq "$(jq -r .status <<<"$req")" 206 "status of the resumed request"
[[ ! -e $FINAL.part ]] || fail "$FINAL.part left after success"
pass "no .part left"

check "a complete cached file is hashed again and used without the network"

since=$(( $(log_lines) + 1 ))
fetch classe 2026.11.1 "$URL" "$IMG_SHA"
assert_rc 0 "cached fetch"
assert_eq "$(field from_cache)" true "from_cache"
assert_eq "$(field downloaded)" 0 "bytes downloaded"
assert_eq "$(requests_since /classe.img.zst "$since" | wc -l)" 0 "requests to the server"

check "a cached file changed on disk is refused on its next use"

flip_byte "$FINAL" $((IMG_SIZE / 3))
fetch classe 2026.11.1 "$URL" "$IMG_SHA"
assert_rc 1 "fetch of a tampered cached file"
assert_contains "$RF_ERR" "modifié" "the error says the cached file changed"
assert_contains "$RF_ERR" "$FINAL" "the error names the file"
[[ ! -e $FINAL ]] || fail "the tampered file is still under its final name"
pass "the tampered file is no longer under its final name"
[[ -e $FINAL.rejected ]] || fail "the tampered file was not set aside as $FINAL.rejected"
pass "set aside as $FINAL.rejected"
fetch classe 2026.11.1 "$URL" "$IMG_SHA"
assert_rc 0 "the following fetch downloads it again"
assert_eq "$(field downloaded)" "$IMG_SIZE" "bytes downloaded"
assert_eq "$(sha "$FINAL")" "$IMG_SHA" "sha256sum of the cached file"

# ---------------------------------------------------------------------------
check "a file whose bytes differ from the SHA-256 is refused and not kept"

head -c $((1024 * 1024)) /dev/urandom >"$WWW/other.img"
WRONG=$(printf 'not the image' | sha256sum | cut -d' ' -f1)
fetch classe 2026.11.1 "$BASE/other.img" "$WRONG"
assert_rc 1 "fetch with a wrong SHA-256"
assert_contains "$RF_ERR" "empreinte SHA-256 différente" "the error says the digests differ"
assert_contains "$RF_ERR" "$(sha "$WWW/other.img")" "the error gives the digest found"
assert_contains "$RF_ERR" "$WRONG" "the error gives the digest expected"
[[ ! -e $DIR/other.img && ! -e $DIR/other.img.part ]] || fail "other.img left in the cache: $(ls -a "$DIR")"
pass "nothing left in the cache for other.img"

check "a .part whose kept start is wrong: the resumed download is restarted once from zero"

OTHER_SHA=$(sha "$WWW/other.img")
head -c 300000 /dev/urandom >"$DIR/other.img.part"
since=$(( $(log_lines) + 1 ))
fetch classe 2026.11.1 "$BASE/other.img" "$OTHER_SHA"
assert_rc 0 "fetch over a bad .part"
assert_eq "$(field resumed)" false "resumed (the good copy came from zero)"
assert_eq "$(field downloaded)" $((1024 * 1024 - 300000 + 1024 * 1024)) "bytes downloaded (the rest, then the whole)"
assert_eq "$(sha "$DIR/other.img")" "$OTHER_SHA" "sha256sum of the cached file"
ranges=$(requests_since /other.img "$since" | jq -r '.range // "none"' | paste -sd' ')
assert_eq "$ranges" "bytes=300000- none" "requests: a resume, then the whole file"

# ---------------------------------------------------------------------------
check "a server that ignores Range: the download starts again from zero and ends right"

head -c $((4 * 1024 * 1024)) /dev/urandom >"$WWW/norange.img"
NR_SHA=$(sha "$WWW/norange.img")
NR_SIZE=$(size_of "$WWW/norange.img")
faults "{\"cut_after\": $((NR_SIZE * 40 / 100)), \"cut_times\": 1}"
fetch classe 2026.11.1 "$BASE/norange.img" "$NR_SHA"
assert_rc 1 "first fetch cut"
faults '{"ignore_range": true}'
since=$(( $(log_lines) + 1 ))
fetch classe 2026.11.1 "$BASE/norange.img" "$NR_SHA"
assert_rc 0 "fetch from a server ignoring Range"
assert_eq "$(field resumed)" false "resumed"
assert_eq "$(sha "$DIR/norange.img")" "$NR_SHA" "sha256sum of the cached file"
assert_eq "$(field size)" "$NR_SIZE" "size"
statuses=$(requests_since /norange.img "$since" | jq -r '"\(.range // "none"):\(.status)"' | paste -sd' ')
assert_contains "$statuses" "bytes=$((NR_SIZE * 40 / 100))-:200" "the server answered 200 to the Range request"
faults '{}'

check "a .part already whole: 416 to the Range, the .part is hashed and kept"

cp "$WWW/norange.img" "$WWW/whole.img"
cp "$WWW/whole.img" "$DIR/whole.img.part"
since=$(( $(log_lines) + 1 ))
fetch classe 2026.11.1 "$BASE/whole.img" "$NR_SHA"
assert_rc 0 "fetch with a complete .part"
assert_eq "$(field downloaded)" 0 "bytes downloaded"
assert_eq "$(field resumed)" true "resumed"
assert_eq "$(requests_since /whole.img "$since" | jq -r .status)" 416 "server's answer"
assert_eq "$(sha "$DIR/whole.img")" "$NR_SHA" "sha256sum of the cached file"

# ---------------------------------------------------------------------------
check "a stalled server: the low-speed limit ends the transfer, the next fetch resumes"

head -c $((2 * 1024 * 1024)) /dev/urandom >"$WWW/stall.img"
ST_SHA=$(sha "$WWW/stall.img")
faults '{"stall_after": 500000, "stall_seconds": 30}'
t0=$(now_ms)
fetch classe 2026.11.1 "$BASE/stall.img" "$ST_SHA" --low-speed-time 2
elapsed=$(( $(now_ms) - t0 ))
assert_rc 1 "fetch from a stalled server"
assert_contains "$RF_ERR" "trop lent" "the error says the transfer was too slow"
assert_contains "$RF_ERR" "$BASE/stall.img" "the error names the URL"
# libcurl averages the speed over the last 5 s: 2 s + up to ~6 s of the burst.
assert_le "$elapsed" 15000 "given up in ms (limit: 2 s below 1 KiB/s)"
assert_eq "$(size_of "$DIR/stall.img.part")" 500000 "bytes kept in the .part"

check "cancelling (SIGTERM to the tool sets the cancel flag) stops a stalled download"

"$FETCH" --cache "$CACHE" --ca-file "$CERT" classe 2026.11.1 "$BASE/stall.img" "$ST_SHA" \
        >"$RF_TMP/cancel.out" 2>"$RF_TMP/cancel.err" &
tool=$!
echo "$tool" >>"$RF_TMP/pids"
sleep 1
t0=$(now_ms)
kill -TERM "$tool"
rc=0
wait "$tool" || rc=$?
elapsed=$(( $(now_ms) - t0 ))
assert_eq "$rc" 1 "exit status of the cancelled fetch"
assert_contains "$(cat "$RF_TMP/cancel.err")" "annulé" "the error says it was cancelled"
assert_le "$elapsed" 5000 "stopped in ms after SIGTERM"
assert_eq "$(size_of "$DIR/stall.img.part")" 1000000 "bytes kept in the .part (resumed, then 500000 more)"
faults '{}'
fetch classe 2026.11.1 "$BASE/stall.img" "$ST_SHA"
assert_rc 0 "the next fetch completes"
assert_eq "$(field resumed)" true "resumed"
assert_eq "$(field downloaded)" $((2 * 1024 * 1024 - 1000000)) "bytes downloaded (the rest only)"
assert_eq "$(sha "$DIR/stall.img")" "$ST_SHA" "sha256sum of the cached file"

# ---------------------------------------------------------------------------
check "retention: after three versions, only the two newest remain"

for v in 1.0 1.1 1.2; do
        printf 'version %s\n' "$v" >"$WWW/ret-$v.img"
        fetch retention "$v" "$BASE/ret-$v.img" "$(sha "$WWW/ret-$v.img")"
        assert_rc 0 "fetch of version $v"
        sleep 0.05 # distinct mtimes even on a coarse clock
done
assert_eq "$(find "$CACHE/retention" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | paste -sd' ')" "1.1 1.2" \
        "versions left in the cache"
assert_eq "$(sha "$CACHE/retention/1.2/ret-1.2.img")" "$(sha "$WWW/ret-1.2.img")" "the newest is intact"
[[ -d $DIR ]] || fail "another profile's cache was pruned"
pass "the other profile's cache is untouched"

# ---------------------------------------------------------------------------
check "refused locations and names"

fetch classe 2026.11.1 "http://127.0.0.1:$PORT/classe.img.zst" "$IMG_SHA"
assert_rc 1 "http:// URL"
assert_contains "$RF_ERR" "https:// ou chemin absolu attendu" "the error says what is accepted"
fetch classe 2026.11.1 "classe.img.zst" "$IMG_SHA"
assert_rc 1 "relative path"
fetch ../evil 1 "$URL" "$IMG_SHA"
assert_rc 1 "profile name with a /"
assert_contains "$RF_ERR" "nom du profil" "the error names the profile name"
fetch classe .. "$URL" "$IMG_SHA"
assert_rc 1 "version '..'"
assert_contains "$RF_ERR" "ne doit pas commencer par « . »" "the error says why"
fetch classe 2026.11.1 "$BASE/dir/" "$IMG_SHA"
assert_rc 1 "URL without a file name"
fetch classe 2026.11.1 "$BASE/missing.img" "$IMG_SHA"
assert_rc 1 "missing file"
assert_contains "$RF_ERR" "HTTP 404" "the error gives the HTTP status"
assert_contains "$RF_ERR" "$BASE/missing.img" "the error names the URL"
[[ ! -e $DIR/missing.img.part ]] || fail "an empty $DIR/missing.img.part was left after the 404"
pass "no .part left after the 404"
run "$FETCH" --cache "$CACHE" classe 2026.12 "$URL" "$IMG_SHA"
assert_rc 1 "server certificate not trusted (no --ca-file)"
assert_contains "$RF_ERR" "TLS" "the error says the TLS connection was refused"
[[ ! -e $RF_TMP/evil ]] || fail "a name with .. created $RF_TMP/evil outside the cache"
pass "nothing created outside the cache"

# ---------------------------------------------------------------------------
check "a local absolute path is hashed in place"

fetch local 1 "$WWW/classe.img.zst" "$IMG_SHA"
assert_rc 0 "local file"
assert_eq "$(field path)" "$WWW/classe.img.zst" "path (in place, not copied)"
assert_eq "$(field downloaded)" 0 "bytes downloaded"
[[ ! -e $CACHE/local ]] || fail "a local file was copied into the cache"
fetch local 1 "$WWW/classe.img.zst" "$WRONG"
assert_rc 1 "local file with a wrong SHA-256"
assert_contains "$RF_ERR" "empreinte SHA-256 différente" "the error says the digests differ"
run "$FETCH" --sha256 "$WWW/classe.img.zst"
assert_eq "$RF_OUT" "$IMG_SHA" "img_sha256_fd agrees with sha256sum"
