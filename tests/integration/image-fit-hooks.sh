#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fitting a written image to a larger disk and customising it with the
# shipped hooks (tests/imager/img-customise-tool):
#   - a 240 MiB GPT image (ESP + ext4 root holding a fake dpkg status) is
#     written with dd to a 1 GiB loop device attached with -P;
#   - the backup GPT moves to the end, the root partition grows to the end
#     (start kept, 1 MiB aligned), ext4 grows (e2fsck -f -p, resize2fs, before mounting);
#   - the hooks set the host name, a fresh machine-id, the Qwant policies of
#     Firefox (both paths) and Chromium; the proof of content passes;
#   - a failing hook fails the run with its name, status and output; a hook
#     past its time limit is killed with everything it started;
#   - a root partition that is not the last one is refused; an MBR image is
#     fitted too.
# Works with or without udevd (the partition node comes from devtmpfs).
# shellcheck source=tests/lib/lib.sh
source "${TESTLIB:?}"

require_root
require_cmds losetup sfdisk mkfs.ext4 mkfs.vfat dumpe2fs jq blkid mount umount dd od timeout
require_loop
TOOLS=${REFURB_TEST_TOOLS:-$RF_BUILDDIR/tests/imager}
TOOL=$TOOLS/img-customise-tool
[[ -x $TOOL ]] || skip "test tool not built: $TOOL (ninja -C build tests/imager/img-customise-tool)"
SRC=${REFURB_SRC:-$RF_SRCDIR}
HOOKS=$SRC/hooks/post-image.d
[[ -x $HOOKS/10-hostname ]] || skip "shipped hooks not found in $HOOKS"
big_dir 2

IMAGE_ID=0123456789abcdef0123456789abcdef
MIB=$((1024 * 1024))

# ---------------------------------------------------------------------------
# The image

make_rootfs() { # DIR
        local d=$1
        mkdir -p "$d/etc" "$d/var/lib/dpkg" "$d/var/lib/dbus" "$d/etc/firefox-esr"
        echo image-template >"$d/etc/hostname"
        printf '127.0.0.1\tlocalhost\n127.0.1.1\timage-template\n::1\tlocalhost ip6-localhost\n' >"$d/etc/hosts"
        echo "$IMAGE_ID" >"$d/etc/machine-id"
        ln -s /etc/machine-id "$d/var/lib/dbus/machine-id"
        local p
        {
                for p in base-files:12.4 firefox-esr:128.5.0esr-1~deb12u1 chromium:131.0.6778.85-1~deb12u1 \
                        libreoffice:4:7.4.7-1+deb12u5 libreoffice-writer:4:7.4.7-1+deb12u5 evince:43.1-2+b1; do
                        printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: misc\n' \
                                "${p%%:*}"
                        printf 'Architecture: amd64\nVersion: %s\nDescription: test package\n\n' "${p#*:}"
                done
        } >"$d/var/lib/dpkg/status"
}

# make_image FILE LABEL(gpt|dos): ESP 32 MiB at 1 MiB, root 200 MiB after it.
make_image() {
        local img=$1 label=$2 root=$RF_TMP/rootfs esp=$RF_TMP/esp.img part=$RF_TMP/root.img
        [[ -d $root ]] || make_rootfs "$root"
        rm -f "$img" "$esp" "$part"
        truncate -s 240M "$img"
        if [[ $label == gpt ]]; then
                printf 'label: gpt\nstart=2048, size=65536, type=uefi\nstart=67584, size=409600, type=linux\n' |
                        sfdisk -q "$img" >/dev/null
        else
                printf 'label: dos\nstart=2048, size=65536, type=ef\nstart=67584, size=409600, type=83\n' |
                        sfdisk -q "$img" >/dev/null
        fi
        truncate -s 32M "$esp"
        mkfs.vfat -n ESP "$esp" >/dev/null
        truncate -s 200M "$part"
        mkfs.ext4 -q -F -L racine -d "$root" "$part"
        dd if="$esp" of="$img" bs=1M seek=1 conv=notrunc,fsync status=none
        dd if="$part" of="$img" bs=1M seek=33 conv=notrunc,fsync status=none
}

# write_disk IMAGE: a fresh 1 GiB disk on $NODE holding IMAGE (dd), as the
# imager leaves it.
write_disk() {
        if loop_attached "$NODE"; then
                detach "$NODE"
                settle_loop
        fi
        rm -f "$DISK"
        truncate -s 1G "$DISK"
        attach "$NODE" "$DISK" -P
        dd if="$1" of="$NODE" bs=4M oflag=direct conv=fsync status=none
}

settle_loop() {
        local i
        for ((i = 0; i < 50; i++)); do
                loop_attached "$NODE" || return 0
                sleep 0.1
        done
}

profile() { # EXTRA_LINES...
        cat <<EOF
[Profile]
Name=classe-test
Version=2026.11.1

[Image]
Location=/nonexistent/classe.img
SHA256=$(printf '%064d' 0)
Bmap=/nonexistent/classe.bmap
BmapSHA256=$(printf '%064d' 0)
EOF
        local l
        for l in "$@"; do
                printf '%s\n' "$l"
        done
}

run_tool() { # PROFILE HOOKS_DIR [options]
        local p=$1 h=$2
        shift 2
        run "$TOOL" --profile-text "$p" --hooks "$h" --asset-tag RB-00017 --run-dir "$RF_TMP/run" "$@" "$NODE"
        ensure_partitions
}

# The tool holds the disk's flock while it works, as refurbd does, so udevd
# (when running) leaves the table alone; once it is gone, udevd re-reads the
# table (BLKRRPART). A kernel without partition parsers (some VM kernels)
# then drops the partitions: put them back from the table for the checks.
ensure_partitions() {
        settle
        [[ ! -b $PART ]] || return 0
        if [[ -n $(sfdisk -d "$NODE" 2>/dev/null | grep '^/dev') ]]; then
                info "partitions of $NODE dropped by a re-read of the table (kernel without parsers?): partx -a"
                partx -a "$NODE" 2>/dev/null || true
                settle
        fi
}

no_mount_left() {
        if grep -q "^${PART} " /proc/mounts; then
                fail "$PART is still mounted: $(grep "^${PART} " /proc/mounts)"
        fi
        local left
        left=$(find "$RF_TMP/run" -mindepth 1 -maxdepth 1 2>/dev/null | head -5)
        [[ -z $left ]] || fail "mount points left in $RF_TMP/run: $left"
        pass "nothing mounted, no mount point left"
}

new_loop_node NODE
DISK=$RF_BIG/disk.img
PART=${NODE}p2
DISK_SECTORS=$((1024 * 1024 * 1024 / 512))
mkdir -p "$RF_TMP/run"

check "GPT image written to a 1 GiB disk"
make_image "$RF_TMP/image-gpt.img" gpt
IMG_SECTORS=$(($(stat -c %s "$RF_TMP/image-gpt.img") / 512))
FS_BLOCKS_BEFORE=$(dumpe2fs -h "$RF_TMP/root.img" 2>/dev/null | sed -n 's/^Block count: *//p')
write_disk "$RF_TMP/image-gpt.img"
info "image: $IMG_SECTORS sectors, its fs: $FS_BLOCKS_BEFORE blocks; disk: $DISK_SECTORS sectors"

profile '[Software]' 'Require=libreoffice' 'Require=evince | atril | okular' '[Browser]' \
        'DefaultSearchEngine=Qwant' 'SearchURL=https://www.qwant.com/?q={searchTerms}' '[Hooks]' 'TimeoutSec=30' \
        >"$RF_TMP/profile"

check "fit + customise with the shipped hooks"
run_tool "$RF_TMP/profile" "$HOOKS"
J=$RF_OUT
assert_rc 0 "img-customise-tool"
assert_eq "$(jq -r .fit.table <<<"$J")" gpt "partition table"
assert_eq "$(jq -r .fit.backup_moved <<<"$J")" true "backup GPT moved"
assert_eq "$(jq -r .fit.partition <<<"$J")" 2 "root partition"
assert_eq "$(jq -r .fit.partition_node <<<"$J")" "$PART" "partition node"
[[ -b $PART ]] || fail "$PART is not a block device"
assert_eq "$(jq -r .fit.partition_start <<<"$J")" $((67584 * 512)) "partition start kept"
assert_eq "$(jq -r .fit.partition_size_before <<<"$J")" $((200 * MIB)) "size before"
SIZE_AFTER=$(jq -r .fit.partition_size_after <<<"$J")
assert_gt "$SIZE_AFTER" $((900 * MIB)) "partition size after"
assert_eq $((SIZE_AFTER % MIB)) 0 "partition size a multiple of 1 MiB"
assert_eq "$(blockdev --getsize64 "$PART")" "$SIZE_AFTER" "the kernel's size of $PART"
FS_BEFORE=$(jq -r .fit.fs_size_before <<<"$J")
assert_eq "$FS_BEFORE" $((200 * MIB)) "fs size before (bytes)"
FS_AFTER=$(jq -r .fit.fs_size_after <<<"$J")
assert_gt "$FS_AFTER" $((900 * MIB)) "fs size after (bytes)"
assert_le "$FS_AFTER" "$SIZE_AFTER" "fs within its partition"
assert_eq "$(jq -r .hostname <<<"$J")" rb-00017 "host name"
assert_eq "$(jq -r '[.hooks[].name] | join(",")' <<<"$J")" "10-hostname,20-machine-id,50-browser-policies" \
        "hooks run, in order"
assert_eq "$(jq -r '[.hooks[].exit_status] | join(",")' <<<"$J")" "0,0,0" "hooks' exit status"
assert_contains "$(jq -r '.hooks[1].output' <<<"$J")" "$IMAGE_ID" "20-machine-id tells the image's id"
assert_eq "$(jq -r '.content | type' <<<"$J")" object "proof of content recorded"
assert_eq "$(jq -r .missing <<<"$J")" null "nothing missing"
assert_eq "$(jq -r .error <<<"$J")" 0 "no error"
no_mount_left

check "the partition table on the disk (sfdisk)"
run sfdisk -V "$NODE"
assert_rc 0 "sfdisk -V"
ST=$(sfdisk --json "$NODE")
LASTLBA=$(jq -r .partitiontable.lastlba <<<"$ST")
assert_eq "$LASTLBA" $((DISK_SECTORS - 34)) "last usable LBA at the end of the disk"
P2_START=$(jq -r '.partitiontable.partitions[1].start' <<<"$ST")
P2_SIZE=$(jq -r '.partitiontable.partitions[1].size' <<<"$ST")
P2_END=$((P2_START + P2_SIZE - 1))
assert_eq "$P2_START" 67584 "root partition start"
assert_le $((LASTLBA - P2_END)) 2048 "root partition ends within 1 MiB of the last usable sector ($P2_END)"
assert_eq $((P2_SIZE * 512)) "$SIZE_AFTER" "size the tool reported"
drop_cache "$NODE"
SIG=$(dd if="$NODE" bs=512 skip=$((DISK_SECTORS - 1)) count=1 status=none | head -c 8 | tr -d '\0')
assert_eq "$SIG" "EFI PART" "backup GPT header in the last sector"
OLD=$(dd if="$NODE" bs=512 skip=$((IMG_SECTORS - 1)) count=1 status=none | head -c 8 | tr -d '\0')
assert_ne "$OLD" "EFI PART" "the image's backup header (sector $((IMG_SECTORS - 1)))"

check "the filesystem (dumpe2fs, e2fsck)"
FS_BLOCKS_AFTER=$(dumpe2fs -h "$PART" 2>/dev/null | sed -n 's/^Block count: *//p')
BS=$(dumpe2fs -h "$PART" 2>/dev/null | sed -n 's/^Block size: *//p')
assert_gt "$FS_BLOCKS_AFTER" "$FS_BLOCKS_BEFORE" "block count"
assert_eq $((FS_BLOCKS_AFTER * BS)) "$FS_AFTER" "fs size the tool reported"
run e2fsck -fn "$PART"
assert_rc 0 "e2fsck -fn"

check "what the hooks wrote (mounted read-only)"
MNT=$RF_TMP/mnt
mount_dev "$PART" "$MNT" -o ro
assert_eq "$(cat "$MNT/etc/hostname")" rb-00017 "/etc/hostname"
assert_eq "$(grep -c '^127\.0\.1\.1[[:space:]]\+rb-00017$' "$MNT/etc/hosts")" 1 "/etc/hosts 127.0.1.1 line"
assert_eq "$(grep -c 'image-template' "$MNT/etc/hosts" || true)" 0 "old name gone from /etc/hosts"
MID=$(cat "$MNT/etc/machine-id")
[[ $MID =~ ^[0-9a-f]{32}$ ]] || fail "machine-id is not 32 hex digits: '$MID'"
assert_ne "$MID" "$IMAGE_ID" "machine-id (fresh: $MID)"
assert_eq "$(readlink "$MNT/var/lib/dbus/machine-id")" /etc/machine-id "dbus machine-id symlink kept"
assert_eq "$(stat -c %a "$MNT/etc/machine-id")" 444 "machine-id mode"
for f in etc/firefox/policies/policies.json etc/firefox-esr/policies/policies.json; do
        assert_eq "$(jq -r .policies.SearchEngines.Default "$MNT/$f")" Qwant "/$f default engine"
        assert_eq "$(jq -r '.policies.SearchEngines.Add[0].URLTemplate' "$MNT/$f")" \
                'https://www.qwant.com/?q={searchTerms}' "/$f search URL"
        assert_eq "$(jq -r '.policies.SearchEngines.Add[0].Alias' "$MNT/$f")" '@qw' "/$f alias"
        assert_eq "$(stat -c %a "$MNT/$f")" 644 "/$f mode"
done
C=$MNT/etc/chromium/policies/managed/refurb-search.json
assert_eq "$(jq -r .DefaultSearchProviderName "$C")" Qwant "Chromium default engine"
assert_eq "$(jq -r .DefaultSearchProviderEnabled "$C")" true "Chromium provider enabled"
assert_eq "$(jq -r .DefaultSearchProviderSearchURL "$C")" 'https://www.qwant.com/?q={searchTerms}' "Chromium URL"
assert_eq "$(stat -c %a "$C")" 644 "Chromium policy mode"
umount "$MNT"

check "a second run (already fitted): nothing to grow, new machine-id"
run_tool "$RF_TMP/profile" "$HOOKS"
assert_rc 0 "img-customise-tool again"
assert_eq "$(jq -r .fit.backup_moved <<<"$RF_OUT")" false "backup GPT already at the end"
assert_eq "$(jq -r .fit.partition_size_before <<<"$RF_OUT")" "$SIZE_AFTER" "size before = size after the first run"
assert_eq "$(jq -r .fit.partition_size_after <<<"$RF_OUT")" "$SIZE_AFTER" "size unchanged"
assert_eq "$(jq -r .fit.fs_size_after <<<"$RF_OUT")" "$FS_AFTER" "fs size unchanged"
assert_contains "$(jq -r '.hooks[1].output' <<<"$RF_OUT")" "$MID" "20-machine-id replaced the previous id"

check "a failing hook fails the run, with its name, status and output"
FAILHOOKS=$RF_TMP/hooks-fail
mkdir -p "$FAILHOOKS"
cp "$HOOKS"/* "$FAILHOOKS/"
printf '#!/bin/sh\necho "preparation ok"\necho "configuration impossible : fichier absent" >&2\nexit 4\n' \
        >"$FAILHOOKS/30-broken"
printf '#!/bin/sh\necho never >"$REFURB_ROOT/ran-after-failure"\n' >"$FAILHOOKS/40-after"
chmod 0755 "$FAILHOOKS/30-broken" "$FAILHOOKS/40-after"
run_tool "$RF_TMP/profile" "$FAILHOOKS" --no-grow
assert_rc 1 "img-customise-tool with a failing hook"
D=$(jq -r .detail <<<"$RF_OUT")
assert_contains "$D" "30-broken" "detail names the hook"
assert_contains "$D" "code de sortie 4" "detail gives its exit status"
assert_contains "$D" "configuration impossible : fichier absent" "detail holds its output"
assert_eq "$(jq -r '[.hooks[].name] | join(",")' <<<"$RF_OUT")" "10-hostname,20-machine-id,30-broken" \
        "hooks run up to the failing one"
assert_eq "$(jq -r '.hooks[2].exit_status' <<<"$RF_OUT")" 4 "its exit status in the record"
assert_contains "$(jq -r '.hooks[2].output' <<<"$RF_OUT")" "preparation ok" "its stdout in the record"
assert_eq "$(jq -r .content <<<"$RF_OUT")" null "no proof after a failed hook"
no_mount_left

check "a hook past its time limit is killed, with what it started"
SLOWHOOKS=$RF_TMP/hooks-slow
mkdir -p "$SLOWHOOKS" "$RF_TMP/bin"
MARKER=$RF_TMP/bin/refurb-it-marker-$$
ln -s "$(command -v sleep)" "$MARKER"
cat >"$SLOWHOOKS/70-slow" <<EOF
#!/bin/sh
setsid sh -c 'trap "" TERM INT HUP; "\$0" 1000 </dev/null >/dev/null 2>&1 & ' "$MARKER" &
i=0
while ! grep -aqs 'refurb-it-marke[r]-$$.1000' /proc/[0-9]*/cmdline; do
        i=\$((i + 1))
        [ \$i -lt 15 ] || exit 9
        sleep 0.1
done
echo "marqueur lancé"
exec sleep 60
EOF
chmod 0755 "$SLOWHOOKS/70-slow"
profile '[Hooks]' 'Run=70-slow' 'TimeoutSec=2' >"$RF_TMP/profile-slow"
T0=$(now_ms)
run_tool "$RF_TMP/profile-slow" "$SLOWHOOKS" --no-grow
T1=$(now_ms)
assert_rc 1 "img-customise-tool with a slow hook"
D=$(jq -r .detail <<<"$RF_OUT")
assert_contains "$D" "70-slow" "detail names the hook"
assert_contains "$D" "arrêté après 2 s" "detail says it timed out"
assert_eq "$(jq -r '.hooks[0].timed_out' <<<"$RF_OUT")" true "timed_out in the record"
SECS=$(jq -r '.hooks[0].seconds | floor' <<<"$RF_OUT")
assert_le 2 "$SECS" "killed after its limit"
assert_le "$SECS" 4 "killed within 2 s of its limit"
assert_le $((T1 - T0)) 15000 "whole run (ms)"
assert_contains "$(jq -r '.hooks[0].output' <<<"$RF_OUT")" "marqueur lancé" "the hook had started its marked process"
# (the bracket keeps grep from matching its own command line)
assert_eq "$({ grep -la "refurb-it-marke[r]-$$" /proc/[0-9]*/cmdline 2>/dev/null || true; } | wc -l)" 0 \
        "processes started by the hook still running"
no_mount_left

check "a bind mount a hook leaves behind is undone"
BINDHOOKS=$RF_TMP/hooks-bind
mkdir -p "$BINDHOOKS"
printf '#!/bin/sh\nset -e\nmkdir -p "$REFURB_ROOT/dev"\nmount --bind /dev "$REFURB_ROOT/dev"\necho monté\n' \
        >"$BINDHOOKS/10-bind"
chmod 0755 "$BINDHOOKS/10-bind"
profile '[Hooks]' 'Run=10-bind' >"$RF_TMP/profile-bind"
run_tool "$RF_TMP/profile-bind" "$BINDHOOKS" --no-grow
assert_rc 0 "img-customise-tool with a hook leaving a bind mount"
assert_eq "$(jq -r '.hooks[0].output' <<<"$RF_OUT")" "monté" "the hook's output"
no_mount_left

check "a root partition that is not the last one is refused"
profile >"$RF_TMP/profile-p1"
sed -i 's/^BmapSHA256=.*/&\nRootPartition=1/' "$RF_TMP/profile-p1"
run_tool "$RF_TMP/profile-p1" "$HOOKS"
assert_rc 1 "img-customise-tool with RootPartition=1"
assert_contains "$(jq -r .fit.detail <<<"$RF_OUT")" "n'est pas la dernière" "refusal reason"
assert_eq "$(jq -r .hooks <<<"$RF_OUT")" null "nothing customised"

check "an MBR image is fitted the same way"
make_image "$RF_TMP/image-dos.img" dos
write_disk "$RF_TMP/image-dos.img"
run_tool "$RF_TMP/profile" "$HOOKS"
assert_rc 0 "img-customise-tool on MBR"
assert_eq "$(jq -r .fit.table <<<"$RF_OUT")" mbr "partition table"
ST=$(sfdisk --json "$NODE")
P2_START=$(jq -r '.partitiontable.partitions[1].start' <<<"$ST")
P2_SIZE=$(jq -r '.partitiontable.partitions[1].size' <<<"$ST")
assert_eq "$P2_START" 67584 "root partition start"
assert_le $((DISK_SECTORS - (P2_START + P2_SIZE))) 2048 "root partition ends within 1 MiB of the end"
assert_gt "$(jq -r .fit.fs_size_after <<<"$RF_OUT")" $((900 * MIB)) "fs grown"
assert_eq "$(jq -r '[.hooks[].exit_status] | join(",")' <<<"$RF_OUT")" "0,0,0" "hooks' exit status"
no_mount_left

detach "$NODE"
