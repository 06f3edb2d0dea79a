#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Intake records (docs/intake.md): a donation and a laptop are recorded, the
# drive in a confirm bay is linked to the laptop by its tag, erased; its
# erasure certificate names the asset and the donor; the laptop's
# refurbishment certificate and a supervisor's validation are signed and
# verify with openssl; the donation report renders as a PDF; the CSV
# exports hold the rows; bad input is refused naming the field.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
require_all
require_cmds pdftotext openssl

new_loop_node BAY
{
        config_header full
        config_bay baie-confirm "$BAY" confirm
} >"$RF_TMP/refurbd.conf"
make_donor_image "$RF_TMP/donor.img" 128 >/dev/null

start_daemon "$RF_TMP/refurbd.conf"

check "donor add and asset add"
run_all rctl donor add --organisation "Mairie de Villeurbanne" --contact "M. Dupont" \
        --address "1 place, 69100 Villeurbanne" --reference DON-TEST-1 --date 2026-11-20
assert_rc 0 "refurbctl donor add"
assert_contains "$RF_OUT" "DON-TEST-1" "donor add output"
run_all rctl asset add RB-00017 --type laptop --donor DON-TEST-1 --maker Lenovo --model T480 \
        --serial PF1ABCD --grade B --destination reuse-school
assert_rc 0 "refurbctl asset add"
run_all rctl_json donor show DON-TEST-1
assert_rc 0 "donor show"
assert_eq "$(jq -r '.assets | join(",")' <<<"$RF_OUT")" "RB-00017" "the donor lists its asset"

check "bad input is refused with exit 1, naming the field"
run_all rctl donor add --organisation X --reference DON-BAD --date 2026-11-20 --contact $'a\tb'
assert_eq "$RF_RC" "1" "control character: exit status"
assert_contains "$RF_OUT" "contact" "control character: field named"
run_all rctl donor add --reference DON-BAD --date 2026-11-20
assert_eq "$RF_RC" "1" "missing organisation: exit status"
assert_contains "$RF_OUT" "organisation" "missing field named"
run_all rctl donor add --organisation X --reference DON-BAD --date 2026-02-30
assert_eq "$RF_RC" "1" "bad date: exit status"
assert_contains "$RF_OUT" "date" "bad date: field named"
run_all rctl asset add RB-00017 --type laptop
assert_eq "$RF_RC" "1" "duplicate tag: exit status"
assert_contains "$RF_OUT" "tag" "duplicate tag: field named"
run_all rctl asset add RB-X --type tablet
assert_eq "$RF_RC" "1" "bad type: exit status"
assert_contains "$RF_OUT" "type" "bad type: field named"
run_all curl -s --unix-socket "$RF_SOCKET" -X POST -d '{"tag":"RB-Y","type":"laptop","grade":3}' \
        http://localhost/v1/assets
assert_eq "$(jq -r .error.field <<<"$RF_OUT")" "grade" "a number for a string: field in the error"

check "the drive in the bay is linked to the laptop, then erased"
attach "$BAY" "$RF_TMP/donor.img"
wait_bay_state baie-confirm waiting 5 >/dev/null
run_all rctl asset link RB-00017 "$BAY"
assert_rc 0 "refurbctl asset link"
SERIAL=$(rctl_json asset show RB-00017 | jq -r '.drives[0].serial')
assert_ne "$SERIAL" "null" "the asset has the drive"
run_all timeout 180 "$REFURBCTL" --socket "$RF_SOCKET" erase "$BAY" --wait
assert_rc 0 "refurbctl erase --wait"
JOB=$(wait_job_final baie-confirm 10)
assert_eq "$(jq -r .result <<<"$JOB")" "erased" "job result"
CERT_ID=$(jq -r .certificate_id <<<"$JOB")

check "the erasure certificate names the asset and the donor"
DOC=$(rctl_json cert show "$CERT_ID" | jq -c '(.certificate? // .) | .document')
assert_eq "$(jq -r .asset.tag <<<"$DOC")" "RB-00017" "asset tag"
assert_eq "$(jq -r .asset.type <<<"$DOC")" "laptop" "asset type"
assert_eq "$(jq -r .asset.donor.reference <<<"$DOC")" "DON-TEST-1" "donor reference"
assert_eq "$(jq -r .asset.donor.organisation <<<"$DOC")" "Mairie de Villeurbanne" "donor organisation"

verify_export() { # ID WHAT
        local d=$RF_TMP/export-$1
        run_all rctl cert export "$1" --output "$d"
        assert_rc 0 "cert export $2"
        run_all openssl cms -verify -binary -content "$d/$1.json" -in "$d/$1.json.p7s" \
                -inform PEM -CAfile "$d/bench.crt" -out /dev/null
        assert_rc 0 "openssl cms -verify of the $2"
}

check "the laptop's refurbishment certificate"
run rctl asset certificate RB-00017
assert_rc 0 "refurbctl asset certificate"
REFURB_ID=$RF_OUT
RDOC=$(rctl_json cert show "$REFURB_ID" | jq -c '(.certificate? // .) | .document')
assert_eq "$(jq -r .format <<<"$RDOC")" "refurb-refurbishment-certificate/1" "format"
assert_eq "$(jq -r '.drives[0].certificate_id' <<<"$RDOC")" "$CERT_ID" "lists the erasure certificate"
assert_eq "$(jq -r '.donor.reference' <<<"$RDOC")" "DON-TEST-1" "names the donor"
assert_eq "$(jq -r '.image' <<<"$RDOC")" "null" "no image yet"
assert_eq "$(jq -r .sequence <<<"$RDOC")" "$(( $(jq -r .sequence <<<"$DOC") + 1 ))" "chained after the erasure certificate"
verify_export "$REFURB_ID" "refurbishment certificate"

check "a supervisor's validation"
run_all rctl cert validate "$REFURB_ID"
assert_eq "$RF_RC" "1" "without --name: exit status"
assert_contains "$RF_OUT" "name" "without --name: field named"
run rctl cert validate "$REFURB_ID" --name "Claire Martin" --title "Responsable atelier"
assert_rc 0 "refurbctl cert validate"
VAL_ID=$RF_OUT
VDOC=$(rctl_json cert show "$VAL_ID" | jq -c '(.certificate? // .) | .document')
assert_eq "$(jq -r .certificate_id <<<"$VDOC")" "$REFURB_ID" "validation names the certificate"
assert_eq "$(jq -r .validated_by.name <<<"$VDOC")" "Claire Martin" "validated_by.name"
verify_export "$VAL_ID" "validation statement"
assert_eq "$(rctl_json cert show "$REFURB_ID" | jq -r '.validations[0].id')" "$VAL_ID" "the certificate lists its validation"
run_all rctl ledger verify
assert_rc 0 "the ledger with all three kinds is intact"

check "the donation report"
run_all rctl --lang fr report donation DON-TEST-1 --pdf "$RF_TMP/don.pdf"
assert_rc 0 "refurbctl report donation --pdf"
assert_contains "$RF_OUT" "erased" "counts by result"
assert_contains "$RF_OUT" "À détruire : 0" "nothing to destroy"
assert_contains "$(pdftotext "$RF_TMP/don.pdf" - 2>/dev/null)" "$SERIAL" "the PDF names the drive"

check "the CSV exports"
run_all rctl export assets --output "$RF_TMP/assets.csv"
assert_rc 0 "export assets"
assert_eq "$(head -c 3 "$RF_TMP/assets.csv" | od -An -tx1 | tr -d ' ')" "efbbbf" "UTF-8 byte order mark"
assert_contains "$(<"$RF_TMP/assets.csv")" "RB-00017,laptop,DON-TEST-1,Mairie de Villeurbanne" "asset row"
run_all rctl export certificates
assert_rc 0 "export certificates"
assert_contains "$RF_OUT" "$CERT_ID" "erasure certificate row"
assert_contains "$RF_OUT" "$REFURB_ID" "refurbishment certificate row"
assert_contains "$RF_OUT" ",validation," "validation row"

stop_daemon TERM
assert_eq "$RF_RC" "0" "refurbd exit status after SIGTERM"
