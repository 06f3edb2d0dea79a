#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-donor-disk.sh FILE SIZE_MB
#
# Builds a disk image that looks like a donated drive, without mounting
# anything: a GPT with
#   1. an NTFS partition labelled "Windows" (mkntfs + ntfscp from ntfs-3g),
#   2. an ext4 partition labelled "home" (mkfs.ext4 -d),
#   3. a FAT32 partition labelled "DATA" (mkfs.vfat + mcopy from mtools).
# Every file system holds files containing one unique marker string
# (DONOR-SECRET-<random>), printed on stdout so that a test can look for it
# on the raw device after the erasure. SIZE_MB must be at least 128.
# Images are sparse; building a 256 MiB disk takes well under 5 s.
set -euo pipefail

usage() {
        echo "usage: $0 FILE SIZE_MB" >&2
        exit 2
}

[[ $# -eq 2 ]] || usage
out=$1
size_mb=$2
[[ $size_mb =~ ^[0-9]+$ ]] || usage
if (( size_mb < 128 )); then
        echo "$0: SIZE_MB must be at least 128 (got $size_mb)" >&2
        exit 2
fi

for tool in sfdisk mkntfs ntfscp mkfs.ext4 mkfs.vfat mcopy mmd od; do
        if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$tool && ! -x /sbin/$tool ]]; then
                echo "$0: missing tool: $tool (apt-get install fdisk ntfs-3g e2fsprogs dosfstools mtools)" >&2
                exit 1
        fi
done
export PATH="$PATH:/usr/sbin:/sbin"

marker="DONOR-SECRET-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

work=$(mktemp -d "${TMPDIR:-/tmp}/donor.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Layout in MiB: 1 MiB for the GPT, NTFS ~37 %, ext4 ~30 %, FAT32 the rest
# minus 1 MiB for the backup GPT.
ntfs_start=1
ntfs_size=$(( size_mb * 37 / 100 ))
ext4_start=$(( ntfs_start + ntfs_size ))
ext4_size=$(( size_mb * 30 / 100 ))
fat_start=$(( ext4_start + ext4_size ))
fat_size=$(( size_mb - fat_start - 1 ))
if (( fat_size < 40 )); then
        # mkfs.vfat needs room for 65525 clusters to make a FAT32.
        fat_size=40
        ext4_size=$(( size_mb - 1 - ntfs_start - ntfs_size - fat_size ))
        fat_start=$(( ext4_start + ext4_size ))
fi

rm -f "$out"
truncate -s "${size_mb}M" "$out"

# GPT: Microsoft basic data for NTFS and FAT32, Linux filesystem for ext4.
sfdisk --quiet --label gpt "$out" >/dev/null <<EOF
label: gpt
start=$(( ntfs_start * 2048 )), size=$(( ntfs_size * 2048 )), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="Basic data partition"
start=$(( ext4_start * 2048 )), size=$(( ext4_size * 2048 )), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="home"
start=$(( fat_start * 2048 )), size=$(( fat_size * 2048 )), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="DATA"
EOF

# The donor's files, the same on every file system.
src="$work/files"
mkdir -p "$src/Documents" "$src/Images" "$src/.config"
printf 'Relevé de compte — Mme Exemple\nIBAN FR76 0000 0000 0000 0000 0000 000\n%s\n' "$marker" \
        >"$src/Documents/relevé-bancaire.txt"
printf 'Cher ami,\nVoici mes mots de passe : hunter2\n%s\n' "$marker" >"$src/Documents/lettre.txt"
printf 'FAKEJPEG %s\n' "$marker" >"$src/Images/vacances-2019.jpg"
printf '[account]\nuser=exemple\ntoken=%s\n' "$marker" >"$src/.config/mail.ini"
# A few MiB of ordinary data so that the partitions are not just metadata.
head -c $(( 2 * 1024 * 1024 )) /dev/urandom >"$src/Images/archive.bin"

# 1. NTFS "Windows". ntfscp cannot create directories: the files go to the
#    root of the volume, named after their place in the tree.
ntfs_img="$work/ntfs.img"
truncate -s "${ntfs_size}M" "$ntfs_img"
mkntfs --quiet --fast --force --label Windows \
        --partition-start $(( ntfs_start * 2048 )) --sectors-per-track 63 --heads 255 \
        "$ntfs_img" >"$work/mkntfs.log" 2>&1 || { cat "$work/mkntfs.log" >&2; exit 1; }
ntfscp --quiet --force "$ntfs_img" "$src/Documents/relevé-bancaire.txt" "relevé-bancaire.txt" >/dev/null
ntfscp --quiet --force "$ntfs_img" "$src/Documents/lettre.txt" "lettre.txt" >/dev/null
ntfscp --quiet --force "$ntfs_img" "$src/Images/vacances-2019.jpg" "vacances-2019.jpg" >/dev/null
ntfscp --quiet --force "$ntfs_img" "$src/Images/archive.bin" "archive.bin" >/dev/null

# 2. ext4 "home", populated from the tree.
ext4_img="$work/ext4.img"
mkdir -p "$work/home/exemple"
cp -a "$src/." "$work/home/exemple/"
mkfs.ext4 -q -F -L home -E lazy_itable_init=1,lazy_journal_init=1 -d "$work/home" \
        "$ext4_img" "${ext4_size}M" >/dev/null

# 3. FAT32 "DATA".
fat_img="$work/fat.img"
truncate -s "${fat_size}M" "$fat_img"
mkfs.vfat -F 32 -s 1 -n DATA "$fat_img" >/dev/null
MTOOLS_SKIP_CHECK=1 mmd -i "$fat_img" ::/Documents ::/Images
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat_img" "$src/Documents/relevé-bancaire.txt" "$src/Documents/lettre.txt" ::/Documents/
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat_img" "$src/Images/vacances-2019.jpg" "$src/Images/archive.bin" ::/Images/

# Into the disk at the partition offsets (sparse, no truncation).
dd if="$ntfs_img" of="$out" bs=1M seek="$ntfs_start" conv=notrunc,sparse status=none
dd if="$ext4_img" of="$out" bs=1M seek="$ext4_start" conv=notrunc,sparse status=none
dd if="$fat_img" of="$out" bs=1M seek="$fat_start" conv=notrunc,sparse status=none

echo "$marker"
