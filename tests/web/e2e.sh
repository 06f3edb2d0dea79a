#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# End-to-end test of the web pages (issue 6, docs/network-api.md and
# docs/web.md) in a real browser: Debian's chromium driven by playwright-core
# (tests/web/e2e.mjs) against a running refurbd with a `confirm` loop bay,
# its network API on 127.0.0.1 with TLS (the self-signed bench certificate)
# and WebDirectory= the source tree's web/.
#
# This script prepares everything (chromium from apt, playwright-core from
# npm into a cache, the daemon, the tokens of the three roles, a signed and
# an unsigned profile) and cleans everything up; e2e.mjs drives the browser
# and asserts each step. Screenshots of the pages at 1280x800 and 800x1280
# go to $RF_SCREENSHOTS (meson: <build>/web-screenshots; by hand:
# tests/web/screenshots), printed at the end.
#
# Environment, besides lib.sh's: RF_SCREENSHOTS, RF_NPM_CACHE (default
# /var/cache/refurb-npm), RF_E2E_HEADFUL=1 (show the browser, needs a display).

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
# shellcheck source=tests/lib/image.sh
source "$RF_LIBDIR/image.sh"
require_all
require_cmds curl node npm bmaptool

E2E_DIR=$RF_SRCDIR/tests/web
CHROMIUM=/usr/bin/chromium
NPM_STAGE=
NODE_PID=

# ---------------------------------------------------------------------------
# Cleanup: the browser first (its processes are recognised by the
# temporary directory they were given, under $RF_TMP), then lib.sh's.

e2e_kill_browsers() {
        local p cmd
        for p in /proc/[0-9]*; do
                cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
                [[ $cmd == *"$RF_TMP/node-tmp"* ]] || continue
                kill -KILL "${p#/proc/}" 2>/dev/null || true
        done
}

e2e_cleanup() {
        local rc=$?
        set +e
        if [[ -n $NODE_PID ]] && kill -0 "$NODE_PID" 2>/dev/null; then
                kill -TERM "$NODE_PID" 2>/dev/null
                for _ in $(seq 50); do
                        kill -0 "$NODE_PID" 2>/dev/null || break
                        sleep 0.1
                done
                kill -KILL "$NODE_PID" 2>/dev/null
        fi
        [[ -d $RF_TMP/node-tmp ]] && e2e_kill_browsers
        [[ -n $NPM_STAGE ]] && rm -rf "$NPM_STAGE"
        (exit "$rc")
        rf_cleanup
}
trap e2e_cleanup EXIT

# ---------------------------------------------------------------------------
check "chromium (Debian package) and playwright-core (npm, cached)"

if [[ ! -x $CHROMIUM ]]; then
        info "chromium is not installed: apt-get install chromium"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
                </dev/null >"$RF_TMP/apt.log" 2>&1; then
                skip "chromium is not installed and 'apt-get install chromium' failed: $(tail -n 3 "$RF_TMP/apt.log")"
        fi
        [[ -x $CHROMIUM ]] || skip "apt-get installed chromium but $CHROMIUM is missing"
fi
pass "$("$CHROMIUM" --version 2>/dev/null | grep -m1 -i chromium || echo "$CHROMIUM")"

# playwright-core at the exact version of package.json/package-lock.json,
# installed once into a cache folder named by their hash; node finds it
# through NODE_PATH (e2e.mjs loads it with createRequire).
NPM_CACHE=${RF_NPM_CACHE:-/var/cache/refurb-npm}
NPM_KEY=$(cat "$E2E_DIR/package.json" "$E2E_DIR/package-lock.json" | sha256sum | cut -c1-16)
NPM_DIR=$NPM_CACHE/$NPM_KEY
if [[ ! -f $NPM_DIR/node_modules/playwright-core/package.json ]]; then
        mkdir -p "$NPM_CACHE"
        NPM_STAGE=$(mktemp -d "$NPM_CACHE/.stage.XXXXXX")
        cp "$E2E_DIR/package.json" "$E2E_DIR/package-lock.json" "$NPM_STAGE/"
        info "npm ci playwright-core into $NPM_DIR"
        if ! (cd "$NPM_STAGE" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts) >"$RF_TMP/npm.log" 2>&1; then
                skip "npm ci (playwright-core) failed, registry unreachable?: $(tail -n 5 "$RF_TMP/npm.log")"
        fi
        # Another run may have filled the cache meanwhile: keep theirs.
        mv -T "$NPM_STAGE" "$NPM_DIR" 2>/dev/null || rm -rf "$NPM_STAGE"
        NPM_STAGE=
fi
PW_VERSION=$(jq -r .version "$NPM_DIR/node_modules/playwright-core/package.json")
assert_eq "$PW_VERSION" "$(jq -r '.dependencies["playwright-core"]' "$E2E_DIR/package.json")" \
        "playwright-core version in $NPM_DIR"
export NODE_PATH=$NPM_DIR/node_modules

# ---------------------------------------------------------------------------
check "profiles: one signed with the fixed test key, one unsigned"

PROFILES=$RF_TMP/profiles
KEYS=$RF_TMP/trusted-keys
mkdir -p "$PROFILES" "$KEYS" "$RF_TMP/cache"
rf_test_key "$RF_TMP/test-dsi.key" || fail "cannot write the fixed test key"
cp "$RF_TMP/test-dsi.pub.pem" "$KEYS/test-dsi.pem"
head -c 1048576 /dev/urandom >"$PROFILES/classe-e2e.img"
truncate -s 4M "$PROFILES/classe-e2e.img"
bmaptool create "$PROFILES/classe-e2e.img" -o "$PROFILES/classe-e2e.img.bmap" 2>/dev/null ||
        fail "bmaptool create failed"

write_profile() { # NAME DESCRIPTION
        cat >"$PROFILES/$1.profile" <<EOF
[Profile]
Name=$1
Version=2026.11.1
Description=$2
Target=desktop
MinimumDiskSize=16G
Expires=2099-12-31

[Image]
Location=classe-e2e.img
SHA256=$(sha256sum "$PROFILES/classe-e2e.img" | cut -c1-64)
Compression=none
Bmap=classe-e2e.img.bmap
BmapSHA256=$(sha256sum "$PROFILES/classe-e2e.img.bmap" | cut -c1-64)

[Software]
Require=libreoffice

[Browser]
DefaultSearchEngine=Qwant
SearchURL=https://www.qwant.com/?q={searchTerms}
EOF
}
write_profile classe-e2e "Poste de classe (test de bout en bout)"
run_all "$REFURBCTL" profile sign --key "$RF_TMP/test-dsi.key" "$PROFILES/classe-e2e.profile"
assert_rc 0 "refurbctl profile sign (test key)"
write_profile brouillon-e2e "Brouillon jamais signé"
[[ ! -e $PROFILES/brouillon-e2e.profile.sig ]] || fail "the unsigned profile has a signature"
pass "classe-e2e.profile (signed), brouillon-e2e.profile (no .sig)"

# ---------------------------------------------------------------------------
check "refurbd with a confirm bay and the network API on 127.0.0.1 (TLS)"

PORT=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
[[ $PORT =~ ^[0-9]+$ ]] || fail "no free TCP port found (got '$PORT')"
[[ -f $RF_SRCDIR/web/connexion.html ]] || fail "no web pages in $RF_SRCDIR/web (connexion.html missing)"
new_loop_node BAY
BAY_NAME=baie-web
{
        config_header full
        cat <<EOF

[Image]
ProfileDirectory=$PROFILES
TrustedKeysDirectory=$KEYS
CacheDirectory=$RF_TMP/cache

[API]
Listen=127.0.0.1:$PORT
TLS=yes
WebDirectory=$RF_SRCDIR/web
EOF
        config_bay "$BAY_NAME" "$BAY" confirm
} >"$RF_TMP/refurbd.conf"
# A donated drive (NTFS, ext4, FAT in its first 256 MiB) made 3 GiB long
# (sparse): the erasure and its full verification take a few seconds on
# the loop device (about 1 GB/s), long enough for several progress events
# (one a second) with a rate to reach the page.
big_dir 4
DRIVE=$RF_BIG/donor.img
MARKER=$(make_donor_image "$DRIVE" 256)
truncate -s 3G "$DRIVE"
start_daemon "$RF_TMP/refurbd.conf"

URL=https://127.0.0.1:$PORT
code=000
for ((i = 0; i < 100; i++)); do
        code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$URL/v1/status" || true)
        [[ $code != 000 ]] && break
        sleep 0.1
done
assert_eq "$code" 401 "GET $URL/v1/status without a token"
run curl -sk --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/status"
assert_ne "$RF_OUT" 200 "plain HTTP on the TLS port is not served"

# ---------------------------------------------------------------------------
check "tokens for technician, supervisor and dsi (Unix socket, POST /v1/tokens)"

new_token() { # ROLE NAME: prints the secret
        local body
        body=$(jq -cn --arg r "$1" --arg n "$2" '{role: $r, name: $n}')
        curl -sS --unix-socket "$RF_SOCKET" --max-time 10 -H 'Content-Type: application/json' \
                -d "$body" http://localhost/v1/tokens
}
for role in technician supervisor dsi; do
        out=$(new_token "$role" "e2e $role") || fail "POST /v1/tokens ($role) failed"
        secret=$(jq -r '.secret // empty' <<<"$out" 2>/dev/null || true)
        [[ $secret =~ ^rfb1_[A-Za-z0-9_-]{43}$ ]] || fail "POST /v1/tokens ($role): no rfb1_ secret in: $out"
        assert_eq "$(jq -r .token.role <<<"$out")" "$role" "token role"
        printf -v "TOKEN_${role^^}" '%s' "$secret"
done

# ---------------------------------------------------------------------------
check "the browser scenario (tests/web/e2e.mjs)"

SHOTS=${RF_SCREENSHOTS:-$E2E_DIR/screenshots}
mkdir -p "$SHOTS" "$RF_TMP/node-tmp"
rm -f "$SHOTS"/*.png
ASSET_TAG=E2E-$(date +%H%M%S)-$$
export RF_E2E_URL=$URL RF_E2E_CHROMIUM=$CHROMIUM RF_E2E_SHOTS=$SHOTS RF_E2E_BAY=$BAY_NAME \
        RF_E2E_NODE=$BAY RF_E2E_DRIVE=$DRIVE RF_E2E_ATTACHED=$RF_TMP/attached \
        RF_E2E_TAG=$ASSET_TAG RF_E2E_PROFILE_OK=classe-e2e RF_E2E_PROFILE_BAD=brouillon-e2e \
        RF_E2E_TOKEN_TECHNICIAN=$TOKEN_TECHNICIAN RF_E2E_TOKEN_SUPERVISOR=$TOKEN_SUPERVISOR \
        RF_E2E_TOKEN_DSI=$TOKEN_DSI
# Playwright's browser profile goes there: how the cleanup finds the browser.
TMPDIR=$RF_TMP/node-tmp node "$E2E_DIR/e2e.mjs" &
NODE_PID=$!
echo "$NODE_PID" >>"$RF_TMP/pids"
NODE_RC=0
wait "$NODE_PID" || NODE_RC=$?
NODE_PID=
e2e_kill_browsers
[[ $NODE_RC == 0 ]] || fail "the browser scenario failed (e2e.mjs exit $NODE_RC; see above)"
pass "browser scenario"

check "what the browser did, seen from the Unix socket"
JOB=$(wait_job_final "$BAY_NAME" 10)
assert_eq "$(jq -r .state <<<"$JOB")" "done" "job state"
assert_eq "$(jq -r .result <<<"$JOB")" "erased" "job result"
assert_no_marker "$BAY" "$MARKER"
assert_keystream "$BAY" "$JOB"
ASSET=$(curl -sS --unix-socket "$RF_SOCKET" --max-time 10 "http://localhost/v1/assets/$ASSET_TAG")
assert_eq "$(jq -r '.tag // .asset.tag' <<<"$ASSET")" "$ASSET_TAG" "the asset created from the Bench page"
assert_ne "$(jq -r '(.drives // .asset.drives // []) | length' <<<"$ASSET")" 0 "drives linked to it"
REFUSAL_LOG=$(grep -F "e2e technician" "$RF_DAEMON_LOG" | grep -F "/v1/certificates" | head -n 1 || true)
[[ -n $REFUSAL_LOG ]] || fail "the technician's 403 on /v1/certificates is not logged (token name and path) in $RF_DAEMON_LOG"
pass "the refusal is logged: ${REFUSAL_LOG:0:200}"

log ""
log "screenshots (for review): $SHOTS"
for f in "$SHOTS"/*.png; do
        [[ -s $f ]] || fail "empty screenshot $f"
        log "    $(basename "$f") ($(stat -c %s "$f") bytes)"
done

stop_daemon TERM
assert_eq "$RF_RC" 0 "refurbd exit status after SIGTERM"
