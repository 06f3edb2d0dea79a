#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The tamper-evident ledger (docs/ledger.md): three drives erased give
# certificates 1, 2, 3; `refurbctl ledger export` writes them with a signed
# head statement that stock openssl verifies; `ledger verify --from-dir`
# accepts the export as it is and names the right sequence number for each
# kind of tampering of a copy (one byte changed, an entry deleted, two
# entries swapped, the last entry removed). Then, as an attacker with root
# on the bench would, the test drops the append-only trigger of the
# daemon's database and rewrites a certificate: `ledger verify` against the
# daemon reports it, and the daemon refuses to sign a new head.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all
require_cmds sqlite3

new_loop_node BAY1
new_loop_node BAY2
new_loop_node BAY3
{
        config_header sample
        config_bay baie-1 "$BAY1" auto
        config_bay baie-2 "$BAY2" auto
        config_bay baie-3 "$BAY3" auto
} >"$RF_TMP/refurbd.conf"

start_daemon "$RF_TMP/refurbd.conf"

check "three drives are erased one after the other: certificates 1, 2, 3"
for i in 1 2 3; do
        node_var=BAY$i
        truncate -s 16M "$RF_TMP/drive$i.img"
        attach "${!node_var}" "$RF_TMP/drive$i.img"
        JOB=$(wait_job_final "baie-$i" 120)
        assert_eq "$(jq -r .state <<<"$JOB")" "done" "job on baie-$i"
done
assert_eq "$(rctl_json cert list | jq '.certificates | map(.seq) | sort | join(",")' -r)" "1,2,3" "certificate numbers"

check "ledger verify against the daemon: intact"
run_all rctl --lang fr ledger verify
assert_rc 0 "refurbctl ledger verify"
assert_contains "$RF_OUT" "Registre intègre : 3 certificats, du n° 1 au n° 3, dernier SHA-256" "verdict"

check "ledger export writes every certificate and a signed head statement"
EXP=$RF_TMP/export
run_all rctl --lang en ledger export --output "$EXP"
assert_rc 0 "refurbctl ledger export"
assert_contains "$RF_OUT" "openssl cms -verify" "the export says how to check the head"
assert_eq "$(find "$EXP/certificates" -name '*.json' | wc -l)" "3" "certificate files"
assert_eq "$(find "$EXP/certificates" -name '*.json.p7s' | wc -l)" "3" "signature files"
for f in head.json head.json.p7s bench.crt; do
        [[ -s $EXP/$f ]] || fail "ledger export did not write $f"
done
assert_eq "$(jq -r .last_seq "$EXP/head.json")" "3" "head.last_seq"
assert_eq "$(jq -r .count "$EXP/head.json")" "3" "head.count"
assert_eq "$(jq -r .bench "$EXP/head.json")" "banc-test" "head.bench"
run_all openssl cms -verify -binary -content "$EXP/head.json" -in "$EXP/head.json.p7s" -inform PEM \
        -CAfile "$EXP/bench.crt" -out /dev/null
assert_rc 0 "openssl cms -verify of head.json"
# The chain by hand, as docs/certificate.md says.
C1=$(echo "$EXP"/certificates/000001-*.json)
C2=$(echo "$EXP"/certificates/000002-*.json)
C3=$(echo "$EXP"/certificates/000003-*.json)
assert_eq "$(jq -r .previous_sha256 "$C2")" "$(sha256sum "$C1" | cut -d' ' -f1)" "2 names the SHA-256 of 1"
assert_eq "$(jq -r .last_sha256 "$EXP/head.json")" "$(sha256sum "$C3" | cut -d' ' -f1)" \
        "head.last_sha256 = sha256sum of certificate 3"

check "ledger verify --from-dir: the export is intact"
run_all rctl --lang fr ledger verify --from-dir "$EXP"
assert_rc 0 "refurbctl ledger verify --from-dir"
assert_contains "$RF_OUT" "Registre intègre : 3 certificats, du n° 1 au n° 3" "verdict"
run rctl_json ledger verify --from-dir "$EXP"
assert_rc 0 "ledger verify --json"
assert_eq "$(jq -r .intact <<<"$RF_OUT")" "true" "intact (JSON)"

copy() { rm -rf "$RF_TMP/t"; cp -r "$EXP" "$RF_TMP/t"; }
tampered() { # WHAT: run verify on the copy, expect exit 1
        run_all rctl --lang fr ledger verify --from-dir "$RF_TMP/t"
        assert_rc 1 "ledger verify of the copy with $1"
        info "$RF_OUT"
}

check "one byte changed in certificate 2 is found on n° 2"
copy
T2=$(echo "$RF_TMP"/t/certificates/000002-*.json)
OFF=$(LC_ALL=C grep -b -o -m1 '"erased"' "$T2" | head -1 | cut -d: -f1)
flip_byte "$T2" $(( OFF + 2 ))
tampered "a changed byte"
assert_contains "$RF_OUT" "n° 2 [modified]" "modified finding on n° 2"
assert_contains "$RF_OUT" "n° 2 [bad-signature]" "bad-signature finding on n° 2"
assert_not_contains "$RF_OUT" "n° 3 [" "nothing on n° 3"
run rctl_json ledger verify --from-dir "$RF_TMP/t"
assert_eq "$(jq -c '[.findings[] | .seq] | unique' <<<"$RF_OUT")" "[2]" "findings name n° 2 only (JSON)"

check "certificate 2 deleted: missing between 1 and 3"
copy
rm "$RF_TMP"/t/certificates/000002-*
tampered "an entry deleted"
assert_contains "$RF_OUT" "n° 2 [missing]" "missing finding on n° 2"
assert_contains "$RF_OUT" "entre le n° 1 et le n° 3" "names its neighbours"

check "certificates 1 and 2 swapped: reordered"
copy
# Each file keeps its certificate and takes the other's number.
B1=$(basename "$C1") B2=$(basename "$C2")
for ext in "" .p7s; do
        mv "$RF_TMP/t/certificates/$B1$ext" "$RF_TMP/t/certificates/000002-${B1#000001-}$ext"
        mv "$RF_TMP/t/certificates/$B2$ext" "$RF_TMP/t/certificates/000001-${B2#000002-}$ext"
done
tampered "two entries swapped"
assert_contains "$RF_OUT" "[reordered]" "reordered finding"
assert_contains "$RF_OUT" "rangée sous le n° 1 est le certificat n° 2" "names 1 and 2"
assert_not_contains "$RF_OUT" "[modified]" "no entry reported as modified"

check "the last certificate removed: only the head statement shows it"
copy
rm "$RF_TMP"/t/certificates/000003-*
tampered "the last entry removed"
assert_contains "$RF_OUT" "n° 3 [missing]" "missing finding on n° 3"

check "the head statement itself changed"
copy
sed -i 's/"last_seq":3/"last_seq":2/' "$RF_TMP/t/head.json"
tampered "a forged head"
assert_contains "$RF_OUT" "signature INVALIDE" "head signature refused"

check "the daemon's database rewritten behind its back (trigger dropped)"
DB=$RF_STATE/refurbd.db
sqlite3 "$DB" "DROP TRIGGER certificates_no_update;
               UPDATE certificates SET json = replace(json, '\"erased\"', '\"eAased\"') WHERE seq = 2;"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE seq = 2 AND json LIKE '%eAased%'")" "1" \
        "the row was changed"
run_all rctl --lang fr ledger verify
assert_rc 1 "refurbctl ledger verify against the daemon"
info "$RF_OUT"
assert_contains "$RF_OUT" "n° 2 [modified]" "modified finding on n° 2"
run_all rctl --lang en ledger export --output "$RF_TMP/export2"
assert_rc 1 "ledger export of a broken ledger"
assert_contains "$RF_OUT" "not intact" "the daemon refuses to sign a head"
run_all rctl --lang fr ledger verify --from-dir "$EXP"
assert_rc 0 "the off-bench copy still verifies"
# The off-bench head against the daemon's present ledger.
run_all rctl --lang fr ledger verify "$EXP/head.json"
assert_rc 1 "daemon's ledger compared with the off-bench head"

check "SIGTERM stops the daemon cleanly"
stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
