#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The network API (docs/network-api.md) over TLS on loopback, against its
# contract:
# - TLS=no with a non-loopback Listen= is refused at start, naming the line;
#   TLS=no on loopback serves plain HTTP (cookie without Secure);
# - the certificate made on first start (ECDSA P-256, 10 years, SANs, key
#   0600), its fingerprint in GET /v1/status;
# - then tests/integration/api_network.py: every endpoint of docs/api.md and
#   docs/network-api.md without a token, with a wrong token, with each role
#   (403 forbidden / allowed), malformed and oversized JSON bodies, 2 MiB
#   bodies, /v1/tokens over TCP (unix-only), the session cookie and CSRF
#   rules, a revoked token, plain HTTP on the TLS port;
# - every 401/403 is logged with the peer, the token's name and role, the
#   method and the path; the daemon is alive at the end.
# One token per role, made with `refurbctl token create` on the Unix socket
# (POST /v1/tokens with curl when refurbctl cannot).

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all
require_cmds curl python3
PY=${PYTHON:-python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$PY" -c 'import ssl, http.client, json; assert ssl.OPENSSL_VERSION_INFO >= (1, 1, 1)' 2>/dev/null ||
        skip "$PY lacks ssl/http.client or its OpenSSL is older than 1.1.1"

# A TCP port nobody listens on now (the kernel picks it).
free_port() {
        "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# line_of FILE PATTERN: number of the first line matching PATTERN.
line_of() { grep -n -F -m1 -- "$2" "$1" | cut -d: -f1; }

# refused_config CONF WHAT LINE...: refurbd must exit non-zero within 10 s,
# naming CONF:LINE: for one of the LINEs, without serving anything.
refused_config() {
        local conf=$1 what=$2 l found=
        shift 2
        check "refurbd refuses $what"
        rm -f "$RF_SOCKET"
        run timeout 10 "$REFURBD" --config "$conf"
        [[ $RF_RC != 124 ]] || fail "refurbd still running 10 s after being given $what"
        assert_rc_nonzero "refurbd --config (with $what)"
        info "stderr: $RF_ERR"
        for l in "$@"; do
                [[ $RF_ERR == *"$conf:$l:"* ]] && found=$l
        done
        [[ -n $found ]] || fail "stderr names none of the lines $conf:{$*}: $RF_ERR"
        pass "stderr names the line ($conf:$found:)"
        assert_contains_i "$RF_ERR" "TLS" "stderr mentions TLS"
        [[ ! -S $RF_SOCKET ]] || fail "refurbd left an API socket behind"
}

new_loop_node BAY
DEV=${BAY#/dev/}
CONF=$RF_TMP/refurbd.conf

# ---------------------------------------------------------------------------
check "TLS is required on non-loopback addresses"
for addr in "0.0.0.0" "[::]" "192.0.2.10"; do
        {
                config_header sample
                printf '\n[API]\nListen=127.0.0.1:%s\nListen=%s:%s\nTLS=no\nWebDirectory=\n' \
                        "$(free_port)" "$addr" "$(free_port)"
        } >"$CONF"
        refused_config "$CONF" "Listen=$addr:... with TLS=no" "$(line_of "$CONF" "Listen=$addr:")" \
                "$(line_of "$CONF" "TLS=no")"
done

check "TLS=no on loopback: plain HTTP, a cookie without Secure"
PLAIN_PORT=$(free_port)
{
        config_header sample
        printf '\n[API]\nListen=127.0.0.1:%s\nTLS=no\nWebDirectory=\n' "$PLAIN_PORT"
} >"$CONF"
start_daemon "$CONF"
run curl -s -o "$RF_TMP/plain.json" -w '%{http_code}' "http://127.0.0.1:$PLAIN_PORT/v1/status"
assert_eq "$RF_OUT" 401 "GET /v1/status in plain HTTP without a token"
assert_eq "$(jq -r .error.code "$RF_TMP/plain.json")" unauthenticated "error code"
run curl -s --unix-socket "$RF_SOCKET" -H 'Content-Type: application/json' \
        -d '{"role": "agent", "name": "essai en clair"}' http://localhost/v1/tokens
PLAIN_TOKEN=$(jq -r '.secret // empty' <<<"$RF_OUT")
[[ $PLAIN_TOKEN == rfb1_* ]] || fail "POST /v1/tokens on the Unix socket: no secret in: $RF_OUT"
run curl -s -H "Authorization: Bearer $PLAIN_TOKEN" "http://127.0.0.1:$PLAIN_PORT/v1/status"
assert_eq "$(jq -r '.tls_sha256' <<<"$RF_OUT")" null "tls_sha256 is null without TLS"
assert_eq "$(jq -r '.network | join(",")' <<<"$RF_OUT")" "127.0.0.1:$PLAIN_PORT" "network"
run curl -s -D "$RF_TMP/plain.hdr" -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"token\": \"$PLAIN_TOKEN\"}" "http://127.0.0.1:$PLAIN_PORT/v1/session"
COOKIE=$(grep -i '^set-cookie:' "$RF_TMP/plain.hdr" | tr -d '\r' || true)
assert_contains "$COOKIE" "refurb_session=" "a session cookie"
assert_contains_i "$COOKIE" "HttpOnly" "HttpOnly"
assert_not_contains "${COOKIE,,}" "secure" "no Secure attribute on plain HTTP"
stop_daemon TERM
assert_eq "$RF_RC" 0 "refurbd exit status after SIGTERM"
rm -rf "$RF_STATE"

# ---------------------------------------------------------------------------
check "a TLS listener on loopback with a confirm bay"
PORT=$(free_port)
{
        config_header sample
        config_bay baie-confirm "$BAY" confirm
        printf '\n[API]\nListen=127.0.0.1:%s\nTLS=yes\nWebDirectory=\nSessionHours=1\n' "$PORT"
} >"$CONF"
start_daemon "$CONF"
CERT=$RF_STATE/tls/bench-tls.pem
KEY=$RF_STATE/tls/bench-tls.key
for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null --cacert "$CERT" "https://127.0.0.1:$PORT/v1/status" 2>/dev/null && break
        sleep 0.1
done
run curl -s -o /dev/null -w '%{http_code}' --cacert "$CERT" "https://127.0.0.1:$PORT/v1/status"
assert_eq "$RF_OUT" 401 "GET /v1/status over TLS (certificate verified by curl) without a token"

check "the certificate made on first start"
[[ -s $CERT && -s $KEY ]] || fail "no $CERT and $KEY: $(ls -la "$RF_STATE/tls" 2>&1)"
assert_eq "$(stat -c %a "$KEY")" 600 "key file mode"
X509=$(openssl x509 -in "$CERT" -noout -text)
assert_contains "$X509" "id-ecPublicKey" "an EC key"
assert_contains "$X509" "prime256v1" "on P-256"
assert_contains "$X509" "IP Address:127.0.0.1" "SAN 127.0.0.1"
assert_contains "$X509" "IP Address:0:0:0:0:0:0:0:1" "SAN ::1"
assert_contains "$X509" "DNS:localhost" "SAN localhost"
DAYS=$(( ($(date -d "$(openssl x509 -in "$CERT" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
(( DAYS >= 3640 && DAYS <= 3660 )) || fail "certificate valid for $DAYS more days, expected about 10 years"
pass "valid for $DAYS days"
FP=$(openssl x509 -in "$CERT" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
grep -qi -- "$FP" "$RF_DAEMON_LOG" || grep -qi -- "$(openssl x509 -in "$CERT" -noout -fingerprint -sha256 |
        cut -d= -f2)" "$RF_DAEMON_LOG" || fail "the fingerprint $FP is not in the log"
pass "the fingerprint is logged at start"

check "one token per role, on the Unix socket"
# make_token ROLE NAME: prints the secret.
make_token() {
        local out secret
        out=$("$REFURBCTL" --socket "$RF_SOCKET" --json token create --role "$1" --name "$2" 2>/dev/null || true)
        secret=$(jq -r '.secret // empty' <<<"$out" 2>/dev/null || true)
        if [[ -n $secret ]]; then
                info "$1: refurbctl --json token create" >&2
        else
                info "refurbctl token create did not give a secret; POST /v1/tokens with curl" >&2
                out=$(jq -n --arg r "$1" --arg n "$2" '{role: $r, name: $n}' |
                        curl -s --unix-socket "$RF_SOCKET" -H 'Content-Type: application/json' --data-binary @- \
                        http://localhost/v1/tokens)
                secret=$(jq -r '.secret // empty' <<<"$out" 2>/dev/null || true)
        fi
        [[ $secret =~ ^rfb1_[A-Za-z0-9_-]{43}$ ]] || fail "no token for $1: $out"
        printf '%s\n' "$secret"
}
TECH=$(make_token technician "écran atelier")
SUP=$(make_token supervisor "bureau supervision")
DSI=$(make_token dsi "DSI mairie")
AGENT=$(make_token agent "poste PXE")
jq -n --arg t "$TECH" --arg s "$SUP" --arg d "$DSI" --arg a "$AGENT" \
        '{technician: $t, supervisor: $s, dsi: $d, agent: $a}' >"$RF_TMP/tokens.json"
chmod 600 "$RF_TMP/tokens.json"
run curl -s --unix-socket "$RF_SOCKET" http://localhost/v1/tokens
assert_eq "$(jq -r '[.tokens[].role] | sort | join(",")' <<<"$RF_OUT")" "agent,dsi,supervisor,technician" \
        "GET /v1/tokens lists the four"
assert_not_contains "$RF_OUT" "${TECH#rfb1_}" "no secret in the listing"
run sqlite3 "$RF_STATE/refurbd.db" "SELECT * FROM tokens" 2>/dev/null
[[ $RF_RC != 0 ]] || assert_not_contains "$RF_OUT" "${TECH#rfb1_}" "no secret in the database"

check "a drive on the confirm bay"
make_donor_image "$RF_TMP/donor.img" 128 >/dev/null
attach "$BAY" "$RF_TMP/donor.img"
wait_bay_state baie-confirm waiting 5 >/dev/null
pass "bay baie-confirm waits with $DEV"

check "api_network.py: every endpoint, the session, CSRF, revocation, TLS"
PY_RC=0
"$PY" -B "$HERE/api_network.py" --port "$PORT" --cafile "$CERT" --socket "$RF_SOCKET" \
        --tokens "$RF_TMP/tokens.json" --device "$DEV" || PY_RC=$?
daemon_alive || fail "refurbd died during api_network.py"
pass "refurbd (pid $RF_DAEMON_PID) still runs"

check "refurbctl --url talks to the bench over TLS with a token file"
(umask 077 && printf '%s\n' "$TECH" >"$RF_TMP/tech.token" && printf '%s\n' "$SUP" >"$RF_TMP/sup.token")
REMOTE=(--url "https://127.0.0.1:$PORT" --ca-file "$CERT")
run "$REFURBCTL" "${REMOTE[@]}" --token-file "$RF_TMP/tech.token" --json bays
assert_eq "$RF_RC" 0 "refurbctl --url ... bays as technician: exit status"
assert_eq "$(jq -r '.bays[0].name' <<<"$RF_OUT")" baie-confirm "the bay seen remotely"
run "$REFURBCTL" "${REMOTE[@]}" --token-file "$RF_TMP/sup.token" cert list
assert_eq "$RF_RC" 0 "refurbctl --url ... cert list as supervisor: exit status"
run "$REFURBCTL" "${REMOTE[@]}" --token-file "$RF_TMP/tech.token" --lang fr cert list
[[ $RF_RC != 0 ]] || fail "cert list as technician succeeded: $RF_OUT"
assert_contains "$RF_ERR" "rôle" "the technician's refusal names the role"
run "$REFURBCTL" "${REMOTE[@]}" --token-file "$RF_TMP/tech.token" cancel 999
[[ $RF_RC != 0 ]] || fail "cancel 999 succeeded: $RF_OUT"
LINE=$(grep -F 'POST /v1/jobs/999/cancel' "$RF_DAEMON_LOG" | grep -F 'by token' | head -n1 || true)
[[ -n $LINE ]] || fail "the technician's cancel request is not in the log"
assert_contains "$LINE" "écran atelier" "a state-changing request is logged with the token's name"

check "401 and 403 are logged with the peer, the token, the method and the path"
LINE=$(grep -F '/v1/certificates' "$RF_DAEMON_LOG" | grep -F '403' | grep -F 'écran atelier' | head -n1 || true)
[[ -n $LINE ]] || fail "no log line for the technician's 403 on /v1/certificates"
info "$LINE"
assert_contains "$LINE" "127.0.0.1" "the peer address"
assert_contains "$LINE" "GET" "the method"
assert_contains "$LINE" "technician" "the role"
LINE=$(grep -F '401' "$RF_DAEMON_LOG" | grep -F '/v1/bays' | grep -F '127.0.0.1' | head -n1 || true)
[[ -n $LINE ]] || fail "no log line for a 401 on /v1/bays"
pass "401 logged: $LINE"

check "the daemon stops cleanly"
run curl -s -o /dev/null -w '%{http_code}' --cacert "$CERT" -H "Authorization: Bearer $AGENT" \
        "https://127.0.0.1:$PORT/v1/status"
assert_eq "$RF_OUT" 200 "GET /v1/status as agent"
stop_daemon TERM
assert_eq "$RF_RC" 0 "refurbd exit status after SIGTERM"

check "api_network.py found every check of the contract met"
assert_eq "$PY_RC" 0 "api_network.py exit status (its failures are listed above, after 'checks passed')"
