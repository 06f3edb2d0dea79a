#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Writing an image (imager/img-write*.c) with refurb-image's write-only
# mode (--image/--bmap) to loop devices: a small ext4 image made with
# mkfs.ext4 -d, its bmap made by bmaptool, compressed with zstd. Checked:
# the device holds the image in the mapped ranges and its old bytes
# everywhere else (compared with cmp against the expected content), the
# file system mounts and holds the files; a raw image too; a drive smaller
# than the image is refused and left untouched; a mounted drive is refused
# (O_EXCL); an image with one byte changed fails, naming the range and its
# line in the bmap.

# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:?}"

require_root
require_cmds losetup mkfs.ext4 bmaptool zstd cmp jq truncate blockdev sha256sum mount umount dd
require_loop
REFURB_IMAGE=${REFURB_IMAGE:-$RF_BUILDDIR/imager/refurb-image}
[[ -x $REFURB_IMAGE ]] || skip "not built: $REFURB_IMAGE (ninja -C build)"
ensure_udevd

IMG=$RF_TMP/fs.img
BMAP=$RF_TMP/fs.bmap
IMG_SIZE=$((64 * 1024 * 1024))
DISK_SIZE=$((96 * 1024 * 1024))

# A file of SIZE bytes that is not zeros: the "old content" of a drive,
# so that bytes left alone can be told from bytes written.
old_content() { # FILE SIZE
        { yes 'old data of the donated drive, must stay where the image maps nothing' || true; } | head -c "$2" >"$1"
}

# Put the old content back on the device, through the device.
restore_old() { # DEVICE
        dd if="$RF_TMP/disk.orig" of="$1" bs=4M oflag=direct conv=fsync status=none || fail "restoring $1 failed"
        drop_cache "$1"
}

# Expected device: OLD with, for each range of the bmap, the image's bytes.
expected_device() { # OLD IMAGE BMAP OUT
        local old=$1 image=$2 bmap=$3 out=$4 bs first last
        cp "$old" "$out"
        bs=$(sed -n 's:.*<BlockSize> *\([0-9]*\) *</BlockSize>.*:\1:p' "$bmap")
        while read -r first last; do
                dd if="$image" of="$out" bs="$bs" skip="$first" seek="$first" count=$((last - first + 1)) \
                        conv=notrunc status=none
        done < <(ranges "$bmap")
}

# "FIRST LAST" per <Range> of a bmap (a single block N is N N).
ranges() { # BMAP
        sed -n 's:.*<Range[^>]*> *\([0-9]*\)\(-\([0-9]*\)\)\{0,1\} *</Range>.*:\1 \3:p' "$1" |
                awk '{ print $1, ($2 == "" ? $1 : $2) }'
}

image_write() { # DEVICE ARGS...: refurb-image write-only mode, JSON in RF_OUT
        local dev=$1
        shift
        run "$REFURB_IMAGE" --yes --json "$@" "$dev"
}

# ---------------------------------------------------------------------------
check "a small ext4 image (mkfs.ext4 -d), its bmap (bmaptool create) and zstd"

SRC=$RF_TMP/src
mkdir -p "$SRC/docs" "$SRC/bin"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$SRC/random.bin"
for i in $(seq 1 40); do
        seq "$i" 7 200000 >"$SRC/docs/list-$i.txt"
done
cp /bin/bash /usr/bin/cmp "$SRC/bin/"
truncate -s "$IMG_SIZE" "$IMG"
mkfs.ext4 -q -F -b 4096 -d "$SRC" "$IMG" >"$RF_TMP/mkfs.log" 2>&1 || fail "mkfs.ext4 -d: $(cat "$RF_TMP/mkfs.log")"
bmaptool -q create -o "$BMAP" "$IMG" || fail "bmaptool create failed"
zstd -q -3 -o "$IMG.zst" "$IMG" || fail "zstd failed"
n_ranges=$(ranges "$BMAP" | wc -l)
mapped=$(ranges "$BMAP" | awk '{ n += $2 - $1 + 1 } END { print n * 4096 }')
assert_gt "$n_ranges" 2 "ranges in the bmap"
assert_gt "$IMG_SIZE" "$mapped" "image size vs mapped bytes (sparse image)"
info "image: $IMG_SIZE bytes, $mapped mapped in $n_ranges ranges, $(stat -c %s "$IMG.zst") bytes compressed"

# ---------------------------------------------------------------------------
check "zstd image to a loop device: mapped ranges written, the rest untouched"

new_loop_node DEV
old_content "$RF_TMP/disk.orig" "$DISK_SIZE"
cp "$RF_TMP/disk.orig" "$RF_TMP/disk.img"
attach "$DEV" "$RF_TMP/disk.img"
settle
image_write "$DEV" --image "$IMG.zst" --bmap "$BMAP" --verify-percent 100
assert_rc 0 "refurb-image --image fs.img.zst --bmap fs.bmap"
assert_eq "$(jq -r .result <<<"$RF_OUT")" ok "result"
assert_eq "$(jq -r .compression <<<"$RF_OUT")" zstd "compression guessed from .zst"
assert_eq "$(jq -r .bytes_written <<<"$RF_OUT")" "$mapped" "bytes written = mapped bytes of the bmap"
assert_eq "$(jq -r .ranges_hashed <<<"$RF_OUT")" "$n_ranges" "every range's SHA-256 matched the bmap"
assert_eq "$(jq -r .bytes_verified <<<"$RF_OUT")" "$mapped" "everything read back (--verify-percent 100)"
assert_eq "$(jq -r .device_size <<<"$RF_OUT")" "$DISK_SIZE" "device size"

expected_device "$RF_TMP/disk.orig" "$IMG" "$BMAP" "$RF_TMP/expected"
drop_cache "$DEV"
cmp "$RF_TMP/expected" "$DEV" >"$RF_TMP/cmp.out" 2>&1 ||
        fail "the device differs from the image in its ranges + the old bytes elsewhere: $(cat "$RF_TMP/cmp.out")"
pass "device = image in the $n_ranges mapped ranges, old content everywhere else (cmp, $DISK_SIZE bytes)"
while read -r first last; do
        cmp -i "$((first * 4096)):$((first * 4096))" -n "$(((last - first + 1) * 4096))" "$IMG" "$DEV" ||
                fail "range $first-$last differs"
done < <(ranges "$BMAP")
pass "each range compared with cmp -i/-n"

# (Hashed before mounting: while ext4 is mounted, the device's cached
# superblock differs from the media.)
before=$(sha256sum <"$DEV" | cut -d' ' -f1)
mount_dev "$DEV" "$RF_TMP/mnt" -o ro
cmp "$SRC/random.bin" "$RF_TMP/mnt/random.bin" || fail "random.bin differs in the written file system"
cmp "$SRC/docs/list-17.txt" "$RF_TMP/mnt/docs/list-17.txt" || fail "list-17.txt differs"
pass "the written ext4 mounts and holds the files"

# ---------------------------------------------------------------------------
check "a mounted device is refused (O_EXCL) and left as it is"

image_write "$DEV" --image "$IMG.zst" --bmap "$BMAP"
assert_rc 1 "refurb-image on a mounted device"
assert_contains "$RF_ERR" "is busy" "refusal says the device is busy"
umount "$RF_TMP/mnt"
drop_cache "$DEV"
assert_eq "$(sha256sum <"$DEV" | cut -d' ' -f1)" "$before" "device unchanged after the refusal"

# ---------------------------------------------------------------------------
check "raw image (--compression none) over the same device"

restore_old "$DEV"
image_write "$DEV" --image "$IMG" --bmap "$BMAP" --compression none
assert_rc 0 "refurb-image --image fs.img --compression none"
assert_eq "$(jq -r .compression <<<"$RF_OUT")" none "compression"
assert_gt "$(jq -r .chunks_checked <<<"$RF_OUT")" 0 "chunks read back (default sample)"
drop_cache "$DEV"
cmp "$RF_TMP/expected" "$DEV" >"$RF_TMP/cmp.out" 2>&1 || fail "raw image: device differs: $(cat "$RF_TMP/cmp.out")"
pass "raw image written the same way"

# ---------------------------------------------------------------------------
check "a device smaller than the image is refused and left untouched"

new_loop_node SMALL
old_content "$RF_TMP/small.img" $((32 * 1024 * 1024))
attach "$SMALL" "$RF_TMP/small.img"
settle
before=$(sha256sum <"$SMALL" | cut -d' ' -f1)
run "$REFURB_IMAGE" --yes --image "$IMG.zst" --bmap "$BMAP" "$SMALL"
assert_rc 1 "refurb-image on a 32 MiB device"
assert_contains "$RF_ERR" "plus petit que l'image" "the detail says the disk is smaller than the image"
drop_cache "$SMALL"
assert_eq "$(sha256sum <"$SMALL" | cut -d' ' -f1)" "$before" "small device unchanged"
LANG=fr_FR.UTF-8 run "$REFURB_IMAGE" --image "$IMG.zst" --bmap "$BMAP" "$SMALL"
assert_rc 2 "without --yes"
assert_contains "$RF_ERR" "Relancez avec --yes" "asks for --yes (in French)"

# ---------------------------------------------------------------------------
check "one byte of the image changed: the run fails naming the range"

# The middle of the largest range but the last one, so that there are
# ranges after it to look at.
read -r first last < <(ranges "$BMAP" | head -n -1 | awk '{ print $2 - $1, $1, $2 }' | sort -n | tail -n1 |
        cut -d' ' -f2-)
line=$(grep -n "<Range[^>]*> *$first-$last *</Range>" "$BMAP" | cut -d: -f1)
[[ -n $line ]] || fail "range $first-$last not found in $BMAP"
cp "$IMG" "$RF_TMP/bad.img"
flip_byte "$RF_TMP/bad.img" $(((first + last) / 2 * 4096 + 77))
zstd -q -f -o "$RF_TMP/bad.img.zst" "$RF_TMP/bad.img"
restore_old "$DEV"
image_write "$DEV" --image "$RF_TMP/bad.img.zst" --bmap "$BMAP"
assert_rc 1 "refurb-image with a changed image"
assert_eq "$(jq -r .result <<<"$RF_OUT")" failed "result"
detail=$(jq -r .failure.detail <<<"$RF_OUT")
assert_contains "$detail" "plage de blocs $first-$last" "the detail names the range"
assert_contains "$detail" "ligne $line du bmap" "the detail names its line in the bmap"
assert_eq "$(jq -r .failure.offset <<<"$RF_OUT")" $((first * 4096)) "failure offset = start of the range"
assert_contains "$RF_ERR" "plage de blocs $first-$last" "stderr says it too"
# Nothing after the bad range was written: the ranges after it hold old data.
drop_cache "$DEV"
after_ok=1 n_after=0
while read -r f l; do
        ((f > last)) || continue
        n_after=$((n_after + 1))
        cmp -s -i "$((f * 4096)):$((f * 4096))" -n "$(((l - f + 1) * 4096))" "$RF_TMP/disk.orig" "$DEV" || after_ok=0
done < <(ranges "$BMAP")
assert_gt "$n_after" 0 "ranges after the bad one"
assert_eq "$after_ok" 1 "the ranges after the bad one still hold the old content"
