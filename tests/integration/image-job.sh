#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A bay with Profile=: one job erases the drive, writes the signed test
# image (built with mmdebstrap like the classroom one, cached), fits it to
# the larger drive, runs the shipped hooks and checks the written system,
# then issues the asset's refurbishment certificate with that proof.
#
# Then, on the same bay:
#  - a profile requiring a package the image lacks fails the job, names the
#    package, and the erasure certificate still stands;
#  - a profile, an image or a bmap changed by one byte is refused before
#    anything is written (the drive keeps the erasure's pattern only).

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:-$(dirname "$0")/../lib/lib.sh}"
# shellcheck source=tests/lib/image.sh
source "$(dirname "$TESTLIB")/image.sh"
require_all
require_cmds sfdisk dumpe2fs jq

rf_test_image IMG
KEY=$(compgen -G "$IMG/*.key" | head -1)
PROFILE_SRC=$(compgen -G "$IMG/*.profile" | head -1)
[[ -f $KEY && -f $PROFILE_SRC && -f $PROFILE_SRC.sig ]] || fail "test image folder $IMG lacks its key or signed profile"
info "test image: $IMG ($(basename "$PROFILE_SRC"))"

# The bench's folders: the profile under the name the bay uses, the image
# files beside it (relative locations), the DSI's public key trusted.
PROFILES=$RF_TMP/profiles
KEYS=$RF_TMP/trusted-keys
mkdir -p "$PROFILES" "$KEYS"
openssl pkey -in "$KEY" -pubout -out "$KEYS/dsi-test.pem" 2>/dev/null || fail "cannot derive the public key"
for f in "$IMG"/*.zst "$IMG"/*.bmap; do
        ln -s "$f" "$PROFILES/$(basename "$f")"
done
cp "$PROFILE_SRC" "$PROFILES/classe-test.profile"
cp "$PROFILE_SRC.sig" "$PROFILES/classe-test.profile.sig"

new_loop_node BAY
{
        config_header sample
        cat <<EOF
VerifyPercent=5

[Image]
ProfileDirectory=$PROFILES
TrustedKeysDirectory=$KEYS
CacheDirectory=$RF_TMP/cache
HooksDirectory=$REFURB_SRC/hooks/post-image.d
VerifyPercent=10
EOF
        config_bay classe "$BAY" auto
        echo "Profile=classe-test"
} >"$RF_TMP/refurbd.conf"
start_daemon "$RF_TMP/refurbd.conf"

IMAGE_SIZE=$(stat -c %s "$(compgen -G "$IMG/*.img" | head -1 || true)" 2>/dev/null || echo 0)
DRIVE_MB=$(( (IMAGE_SIZE / 1048576) + 1024 ))
(( DRIVE_MB < 2048 )) && DRIVE_MB=2048

# ---------------------------------------------------------------------------
check "erase, write, fit, customise and prove, in one job"
make_donor_image "$RF_TMP/drive1.img" "${DRIVE_MB}M" >/dev/null
attach "$BAY" "$RF_TMP/drive1.img" -P
J=$(wait_job_final classe 900)
info "$(jq -c '{id, state, result, reason, image: (.image | {state, profile, profile_version, reason})}' <<<"$J")"
assert_eq "$(jq -r .result <<<"$J")" erased "erasure result"
assert_eq "$(jq -r .state <<<"$J")" "done" "job state (erasure then imaging)"
assert_eq "$(jq -r .image.state <<<"$J")" "done" "imaging state"
JOB=$(jq -r .id <<<"$J")
REC=$(job_json "$JOB" | jq -c .image.record)
assert_eq "$(jq -r .result <<<"$REC")" ok "imaging record result"
assert_eq "$(jq -r .content.ok <<<"$REC")" true "proof of content"
assert_gt "$(jq -r .write.bytes_written <<<"$REC")" 0 "bytes written"
assert_gt "$(jq -r .write.verification.chunks_read_back <<<"$REC")" 0 "chunks read back"
HOSTNAME_WANT=$(jq -r .hostname <<<"$REC")
[[ -n $HOSTNAME_WANT && $HOSTNAME_WANT != null ]] || fail "no hostname in the record"
pass "job $JOB: erased, imaged, hostname $HOSTNAME_WANT"

check "the partition and the filesystem fill the larger drive"
settle
SIZE=$(blockdev --getsize64 "$BAY")
PARTS=$(sfdisk --json "$BAY")
LAST_END=$(jq '.partitiontable.partitions | last | (.start + .size) * 512' <<<"$PARTS")
LASTLBA=$(jq '.partitiontable.lastlba' <<<"$PARTS")
assert_le $(( SIZE - LAST_END )) $(( 2 * 1048576 )) "space left after the last partition (bytes)"
assert_le $(( SIZE / 512 - LASTLBA )) 40 "GPT last usable LBA near the end (backup header moved)"
sfdisk -V "$BAY" >/dev/null 2>&1 || fail "sfdisk -V finds the partition table inconsistent"
PART=$(jq -r '.partitiontable.partitions | last | .node' <<<"$PARTS")
PSIZE=$(blockdev --getsize64 "$PART")
read -r BC BS < <(dumpe2fs -h "$PART" 2>/dev/null | awk -F: '/^Block count/ {c=$2} /^Block size/ {s=$2} END {print c+0, s+0}')
assert_le $(( PSIZE - BC * BS )) $(( 4 * 1048576 )) "ext4 size vs its partition (bytes unused)"
pass "partition $PART: $PSIZE bytes, ext4 $((BC * BS)) bytes"

check "hostname, machine-id and the Qwant policies are in the written system"
MNT=$RF_TMP/mnt
mount_dev "$PART" "$MNT" -o ro
assert_eq "$(head -1 "$MNT/etc/hostname")" "$HOSTNAME_WANT" "/etc/hostname"
grep -Eq '^[0-9a-f]{32}$' "$MNT/etc/machine-id" || fail "machine-id not set: '$(cat "$MNT/etc/machine-id")'"
FOUND=0
for f in "$MNT/etc/firefox/policies/policies.json" "$MNT/etc/firefox-esr/policies/policies.json"; do
        [[ -f $f ]] || continue
        assert_eq "$(jq -r .policies.SearchEngines.Default "$f")" Qwant "default engine in ${f#"$MNT"}"
        FOUND=$((FOUND + 1))
done
assert_gt "$FOUND" 0 "Firefox policy files"
grep -q qwant "$MNT"/etc/chromium/policies/managed/*.json || fail "no Chromium Qwant policy"
umount "$MNT"
pass "customised as the profile says"

check "the refurbishment certificate carries the system record"
RCERT=$(job_json "$JOB" | jq -r '.image.refurbishment_certificate_id // empty')
[[ -n $(job_json "$JOB" | jq -r '.certificate_id // empty') ]] || fail "no erasure certificate for job $JOB"
CERTS=$(rctl_json cert list)
RID=$(jq -r '(.certificates? // .) | map(select(.kind == "refurbishment")) | last | .id // empty' <<<"$CERTS")
[[ -n $RID ]] || fail "no refurbishment certificate issued"
[[ -z $RCERT || $RCERT == "$RID" ]] || info "job names $RCERT, newest refurbishment certificate is $RID"
DOC=$(rctl_json cert show "$RID" | jq -c '.json | fromjson')
assert_eq "$(jq -r '.. | objects | select(has("profile") and has("content")) | .profile.name' <<<"$DOC" | head -1)" \
        "$(jq -r .profile.name <<<"$REC")" "profile in the refurbishment certificate"
jq -e '.. | objects | select(has("content")) | .content.packages | length > 0' <<<"$DOC" >/dev/null ||
        fail "no package list in the refurbishment certificate"
pass "refurbishment certificate $RID names profile $(jq -r .profile.name <<<"$REC") and its packages"

detach "$BAY"
settle
wait_bay_state classe empty 20 >/dev/null

# ---------------------------------------------------------------------------
check "a profile requiring a package the image lacks fails the job and names it"
sed 's/^\[Software\]$/[Software]\nRequire=paquet-absent-de-test | autre-paquet-absent/' "$PROFILE_SRC" \
        >"$PROFILES/classe-test.profile"
grep -q paquet-absent-de-test "$PROFILES/classe-test.profile" || fail "could not add the requirement"
"$REFURBCTL" profile sign --key "$KEY" "$PROFILES/classe-test.profile" >/dev/null || fail "refurbctl profile sign"
make_donor_image "$RF_TMP/drive2.img" "${DRIVE_MB}M" >/dev/null
PREV=$(latest_job_id classe)
attach "$BAY" "$RF_TMP/drive2.img" -P
J=$(wait_job_final classe 900 "$PREV")
assert_eq "$(jq -r .state <<<"$J")" failed "job state"
assert_eq "$(jq -r .result <<<"$J")" erased "erasure result (its certificate stands)"
assert_contains "$(jq -r .reason <<<"$J")" "paquet-absent-de-test" "reason names the package"
[[ $(jq -r '.certificate_id // empty' <<<"$J") ]] || fail "no erasure certificate"
pass "failed: $(jq -r .reason <<<"$J")"
detach "$BAY"
settle
wait_bay_state classe empty 20 >/dev/null

# ---------------------------------------------------------------------------
# refused_before_writing N WHAT REASON: plug drive N in, expect the imaging
# refused in its first phase with REASON, and the drive holding nothing but
# the erasure's keystream.
refused_before_writing() {
        local n=$1 what=$2 reason=$3 j prev
        check "$what is refused before anything is written"
        make_donor_image "$RF_TMP/drive$n.img" "${DRIVE_MB}M" >/dev/null
        prev=$(latest_job_id classe)
        attach "$BAY" "$RF_TMP/drive$n.img" -P
        j=$(wait_job_final classe 900 "$prev")
        assert_eq "$(jq -r .state <<<"$j")" failed "job state"
        assert_eq "$(jq -r .result <<<"$j")" erased "erasure result"
        assert_contains "$(jq -r .reason <<<"$j")" "$reason" "reason"
        assert_eq "$(jq -r .image.record.failed_phase <<<"$j")" fetch "failed phase"
        assert_eq "$(jq -r '.image.record.write // "none"' <<<"$j")" none "write step"
        drop_cache "$BAY"
        if blkid -p "$BAY" >/dev/null 2>&1; then
                fail "something was written: blkid finds $(blkid -p "$BAY")"
        fi
        assert_keystream "$BAY" "$j"
        pass "refused: $(jq -r .reason <<<"$j")"
        detach "$BAY"
        settle
        wait_bay_state classe empty 20 >/dev/null
}

cp "$PROFILE_SRC" "$PROFILES/classe-test.profile"
cp "$PROFILE_SRC.sig" "$PROFILES/classe-test.profile.sig"
sed -i 's/^Description=/Description=X/' "$PROFILES/classe-test.profile"
refused_before_writing 3 "a profile changed by one byte after signing" "signature"

# The signed profile again; one byte of the image, then of the bmap, changed.
cp "$PROFILE_SRC" "$PROFILES/classe-test.profile"
ZST=$(basename "$(compgen -G "$IMG/*.zst" | head -1)")
BMAP=$(basename "$(compgen -G "$IMG/*.bmap" | head -1)")
rm "$PROFILES/$ZST"
cp "$IMG/$ZST" "$PROFILES/$ZST"
flip_byte "$PROFILES/$ZST" $(( $(stat -c %s "$PROFILES/$ZST") / 2 ))
refused_before_writing 4 "an image changed by one byte" "SHA-256"
rm "$PROFILES/$ZST"
ln -s "$IMG/$ZST" "$PROFILES/$ZST"

rm "$PROFILES/$BMAP"
sed 's/<BlockSize> 4096 </<BlockSize> 4097 </' "$IMG/$BMAP" >"$PROFILES/$BMAP"
cmp -s "$IMG/$BMAP" "$PROFILES/$BMAP" && flip_byte "$PROFILES/$BMAP" 100
refused_before_writing 5 "a bmap changed by one byte" "SHA-256"
