#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Configuration errors: refurbd refuses to start on a malformed file and
# says "file:line: what is wrong"; a running daemon that gets SIGHUP with a
# broken file keeps its configuration (and logs why); a valid change plus
# SIGHUP is applied.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all

CONF=$RF_TMP/refurbd.conf
new_loop_node N1
new_loop_node N2

header() { # the 3 first lines of every bad file
        printf '[Daemon]\nStateDirectory=%s\nAPISocket=%s\n' "$RF_STATE" "$RF_SOCKET"
}

# bad_config LINE WORD DESCRIPTION < file: refurbd must exit non-zero, quickly,
# with "CONF:LINE:" on stderr (and WORD, when given), without serving the API.
bad_config() {
        local line=$1 word=$2 what=$3 f=${4:-$CONF}
        [[ $f == "$CONF" ]] && cat >"$CONF"
        check "refurbd refuses a configuration with $what"
        rm -f "$RF_SOCKET"
        run timeout 10 "$REFURBD" --config "$CONF"
        [[ $RF_RC != 124 ]] || fail "refurbd still running 10 s after being given a bad configuration"
        assert_rc_nonzero "refurbd --config (with $what)"
        info "stderr: $RF_ERR"
        if [[ -n $line ]]; then
                assert_contains "$RF_ERR" "$f:$line:" "stderr names the file and line ($f:$line:)"
        else
                assert_contains "$RF_ERR" "$f" "stderr names the file"
        fi
        [[ -z $word ]] || assert_contains_i "$RF_ERR" "$word" "stderr mentions '$word'"
        [[ ! -S $RF_SOCKET ]] || fail "refurbd left an API socket behind"
}

header_then() { header; cat; }

header_then <<'EOF' | bad_config 5 "Colour" "an unknown key at line 5"
BenchName=banc-test
Colour=bleu
Technician=Testeur
EOF

header_then <<EOF | bad_config 7 "Policy" "a bad Policy value"

[Bay baie-1]
MatchDevice=$N1
Policy=parfois
EOF

header_then <<'EOF' | bad_config "" "baie-1" "a bay without MatchDevice= or MatchPath="

[Bay baie-1]
Policy=auto
EOF

header_then <<'EOF' | bad_config 5 "" "a line that is not key=value"

ceci n'est pas une ligne de configuration
EOF

header_then <<'EOF' | bad_config 5 "" "an unknown section"

[Baie baie-1]
MatchDevice=/dev/loop9
EOF

header_then <<'EOF' | bad_config 6 "Verify" "a bad Verify value"

[Erase]
Verify=parfois
EOF

header_then <<'EOF' | bad_config 7 "VerifyPercent" "VerifyPercent out of range"

[Erase]
Verify=sample
VerifyPercent=0
EOF

header_then <<'EOF' | bad_config 5 "" "a bad bay name"

[Bay baie/1]
MatchDevice=/dev/loop9
Policy=auto
EOF

check "refurbd refuses a configuration file that does not exist"
run timeout 10 "$REFURBD" --config "$RF_TMP/does-not-exist.conf"
assert_rc_nonzero "refurbd --config (missing file)"
assert_contains "$RF_ERR" "$RF_TMP/does-not-exist.conf" "stderr names the missing file"

# A drop-in with an error: the message names the drop-in and its line.
header >"$CONF"
mkdir -p "$CONF.d"
printf '[Bay baie-x]\nMatchDevice=%s\nPolice=auto\n' "$N1" >"$CONF.d/10-baie.conf"
bad_config 3 "Police" "an unknown key in a drop-in" "$CONF.d/10-baie.conf"
rm -rf "$CONF.d"

# ---------------------------------------------------------------------------
# Reload.
good_config() { # BAYS...
        config_header full
        config_bay baie-1 "$N1" confirm
        [[ ${1:-} == two ]] && config_bay baie-2 "$N2" confirm
        return 0
}
good_config >"$CONF"
start_daemon "$CONF"

check "the running daemon has the configured bay"
assert_eq "$(bays_json | jq -r 'map(.name) | join(",")')" "baie-1" "bays"

check "SIGHUP with a broken file: keeps running with the old bays, logs why"
{ good_config two; printf 'Couleur=bleu\n'; } >"$CONF"
BROKEN_LINE=$(wc -l <"$CONF")
LOG_LINES=$(wc -l <"$RF_DAEMON_LOG")
kill -HUP "$RF_DAEMON_PID"
FOUND=
for ((i = 0; i < 40; i++)); do
        if tail -n +"$(( LOG_LINES + 1 ))" "$RF_DAEMON_LOG" | grep -qF "$CONF:$BROKEN_LINE:"; then
                FOUND=1
                break
        fi
        sleep 0.05
done
daemon_alive || fail "refurbd died on SIGHUP with a broken configuration"
pass "refurbd still running"
[[ -n $FOUND ]] || fail "the log does not say '$CONF:$BROKEN_LINE:' after the SIGHUP: $(tail -n +"$(( LOG_LINES + 1 ))" "$RF_DAEMON_LOG")"
pass "the log says: $(tail -n +"$(( LOG_LINES + 1 ))" "$RF_DAEMON_LOG" | grep -F "$CONF:$BROKEN_LINE:" | head -1)"
assert_eq "$(bays_json | jq -r 'map(.name) | join(",")')" "baie-1" "bays after the failed reload"
rctl status >/dev/null || fail "refurbctl status fails after the failed reload"
pass "API still answers"

check "SIGHUP with a valid file adds a bay"
good_config two >"$CONF"
kill -HUP "$RF_DAEMON_PID"
NAMES=
for ((i = 0; i < 60; i++)); do
        NAMES=$(bays_json | jq -r 'map(.name) | join(",")')
        [[ $NAMES == "baie-1,baie-2" ]] && break
        sleep 0.05
done
assert_eq "$NAMES" "baie-1,baie-2" "bays after a valid reload"
assert_eq "$(rctl_json status | jq -r .bays)" "2" "status.bays"

check "the new bay works: a drive inserted there waits for confirmation"
make_donor_image "$RF_TMP/donor.img" 128 >/dev/null
attach "$N2" "$RF_TMP/donor.img"
wait_bay_state baie-2 waiting 3 >/dev/null
pass "baie-2 waiting"

stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
