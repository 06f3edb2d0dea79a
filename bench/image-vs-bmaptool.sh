#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# refurb-image's write-only mode (--image/--bmap) against the usual tools,
# on loop devices, same device and same run for each comparison:
#
#   (a) sparse: an ext4 image (SPARSE, default 4G) about 12 % full of
#       incompressible files, zstd-compressed, with its bmap:
#         bmaptool copy --bmap F IMG.zst DEV   (bmaptool runs zstd -dc itself)
#         refurb-image --image IMG.zst --bmap F DEV
#       and the same two with the raw image. Target: refurb <= 0.5x bmaptool.
#   (b) dense: an image (DENSE, default 2G) mapped from end to end, of
#       system files (text, libraries, binaries: compressible, not
#       trivially), zstd-compressed:
#         zstd -dc IMG.zst | dd of=DEV bs=4M oflag=direct iflag=fullblock conv=fsync
#         refurb-image --image IMG.zst --bmap F DEV
#       next to the two bounds measured alone: the disk (dd from /dev/zero,
#       oflag=direct conv=fsync) and the decompression (zstd -dc >/dev/null).
#       Target: refurb >= 0.9 x min(disk, zstd) in throughput.
#
#   sudo bench/image-vs-bmaptool.sh [SPARSE [DENSE]]
#
# Environment:
#   REFURB_IMAGE  refurb-image binary (default: the newest build*/imager/refurb-image)
#   RUNS          repetitions, interleaved; medians reported (default 3)
#   ZSTD_LEVEL    compression level of both images (default 3, zstd's default)
#   WORKDIR, DIRECT_IO, LOOP_BASE, QUIET_LOAD, QUIET_WAIT: see bench/lib.sh
#
# Timing: wall time with date +%s%N around each command, page cache
# dropped before each (sync; echo 3 > /proc/sys/vm/drop_caches), so the
# image is read from the disk every time; the programs are loaded once
# after the drop (--version), so that program loading is not measured. refurb-image's figure is its
# whole process (bmap parsing, write, flush and its read-back of a 5 %
# sample, which neither bmaptool nor dd do); its own write+flush time
# (JSON write_seconds) is reported too. bmaptool checks each range's
# SHA-256 like refurb-image does; dd checks nothing. MB/s are 10^6 bytes
# of the image (mapped bytes for the sparse one) per second.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init image-vs-bmaptool

sparse_size=$(numfmt --from=iec "${1:-4G}") || die "bad size: ${1:-}"
dense_size=$(numfmt --from=iec "${2:-2G}") || die "bad size: ${2:-}"
runs=${RUNS:-3}
level=${ZSTD_LEVEL:-3}
((sparse_size >= 256 * 1048576 && sparse_size % 4194304 == 0)) || die "SPARSE: a multiple of 4M, at least 256M"
((dense_size >= 64 * 1048576 && dense_size % 4194304 == 0)) || die "DENSE: a multiple of 4M, at least 64M"

require_root
require_tools losetup dd jq numfmt awk perl mkfs.ext4 bmaptool zstd tar
IMAGE=${REFURB_IMAGE:-}
if [[ -z $IMAGE ]]; then
        # shellcheck disable=SC2012 # build directory names are plain
        IMAGE=$(ls -t "$BENCH_REPO"/build*/imager/refurb-image 2>/dev/null | head -n1 || true)
fi
[[ -n $IMAGE && -x $IMAGE ]] || die "refurb-image not found: build it or set REFURB_IMAGE"

bench_workdir
work=$BENCH_WORK
need=$((sparse_size / 4 + sparse_size + 3 * dense_size + 512 * 1048576))
(($(free_bytes "$work") > need)) || die "not enough free space in $(bench_base): $(numfmt --to=iec $need) needed (set WORKDIR)"

# The page cache is dropped, then the programs themselves are loaded again
# (--version): the figures are about the image's path, not about loading
# refurb-image's 48 libraries or bmaptool's Python modules from the disk
# (0.16 s and more cold; a bench PC has them in memory).
drop_caches() {
        sync
        echo 3 >/proc/sys/vm/drop_caches
        "$IMAGE" --version >/dev/null
        bmaptool --version >/dev/null 2>&1
        zstd --version >/dev/null
        dd --version >/dev/null
}
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / s / 1e6 }'; }

# run_timed VAR CMD...: VAR = wall seconds of CMD (stdout to $work/out).
run_timed() {
        local _var=$1 t0 t1
        shift
        drop_caches
        t0=$(now_ns)
        "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; die "failed: $*"; }
        t1=$(now_ns)
        printf -v "$_var" '%s' "$(secs "$t0" "$t1")"
}

# refurb VAR WVAR DEV IMAGE BMAP: whole-process seconds in VAR, its
# write+flush seconds in WVAR; fails unless the JSON says ok.
refurb() {
        local _v=$1 _w=$2 dev=$3 img=$4 bmap=$5 _t
        run_timed _t "$IMAGE" --yes --json --image "$img" --bmap "$bmap" "$dev"
        [[ $(jq -r .result "$work/out") == ok ]] || die "refurb-image: $(jq -c .failure "$work/out")"
        printf -v "$_v" '%s' "$_t"
        printf -v "$_w" '%s' "$(jq -r .write_seconds "$work/out")"
}

echo "refurb-image: $IMAGE"
echo "bmaptool: $(bmaptool --version 2>&1 | head -n1), zstd: $(zstd --version | sed 's/.* v\([0-9.]*\).*/\1/')"
machine_info
echo "runs: $runs (interleaved; medians), zstd level $level, page cache dropped before every command" \
        "(programs reloaded after the drop)"

# ---------------------------------------------------------------------------
# Images

echo
echo "preparing the sparse image ($(numfmt --to=iec "$sparse_size"), ext4, ~12 % incompressible files)..."
mkdir -p "$work/sparse-src"
fill=$((sparse_size * 12 / 100))
for ((i = 0; fill > 0; i++)); do
        n=$((fill < 64 * 1048576 ? fill : 64 * 1048576))
        head -c "$n" /dev/urandom >"$work/sparse-src/random-$i.bin"
        fill=$((fill - n))
done
truncate -s "$sparse_size" "$work/sparse.img"
mkfs.ext4 -q -F -b 4096 -d "$work/sparse-src" "$work/sparse.img"
rm -rf "$work/sparse-src"
bmaptool -q create -o "$work/sparse.bmap" "$work/sparse.img"
zstd -q -T0 -"$level" -o "$work/sparse.img.zst" "$work/sparse.img"
sparse_mapped=$(sed -n 's:.*<MappedBlocksCount> *\([0-9]*\) *<.*:\1:p' "$work/sparse.bmap")
sparse_mapped=$((sparse_mapped * 4096))
echo "sparse: $(numfmt --to=iec "$sparse_mapped") mapped ($(calc "100 * $sparse_mapped / $sparse_size")" \
        "%), $(grep -c '<Range' "$work/sparse.bmap") ranges, $(numfmt --to=iec "$(stat -c %s "$work/sparse.img.zst")") compressed"

echo "preparing the dense image ($(numfmt --to=iec "$dense_size"), system files from /usr)..."
# tar of /usr, cut to size: ELF binaries and libraries, text, locales,
# icons; repeated from the start if /usr is smaller.
for _ in 1 2 3 4 5 6 7 8; do
        tar -cf - -C / usr 2>/dev/null || true
done | head -c "$dense_size" >"$work/dense.img"
(($(stat -c %s "$work/dense.img") == dense_size)) || die "/usr is too small for a $dense_size-byte image"
# (bmaptool warns that a file without holes may be a mishandled image: it is meant so)
bmaptool -q create -o "$work/dense.bmap" "$work/dense.img" 2>/dev/null
zstd -q -T0 -"$level" -o "$work/dense.img.zst" "$work/dense.img"
dense_mapped=$(sed -n 's:.*<MappedBlocksCount> *\([0-9]*\) *<.*:\1:p' "$work/dense.bmap")
dense_mapped=$((dense_mapped * 4096))
echo "dense: $(numfmt --to=iec "$dense_mapped") mapped, $(numfmt --to=iec "$(stat -c %s "$work/dense.img.zst")")" \
        "compressed (ratio $(calc "$dense_size / $(stat -c %s "$work/dense.img.zst")"))"

# ---------------------------------------------------------------------------
# Devices: backing files allocated and written once before measuring.

make_backing "$work/sparse-dev.img" "$sparse_size"
make_backing "$work/dense-dev.img" "$dense_size"
sdev="" ddev=""
loop_attach sdev "$work/sparse-dev.img"
loop_attach ddev "$work/dense-dev.img"
settle || true # (lib.sh: settle fails under set -e when no udevd runs)
echo "devices: $sdev ($(numfmt --to=iec "$sparse_size")), $ddev ($(numfmt --to=iec "$dense_size")), loop direct I/O:" \
        "$(loop_dio "$sdev")/$(loop_dio "$ddev"), backing files in $work"
dd if=/dev/zero of="$sdev" bs=4M count=$((sparse_size / 4194304)) oflag=direct conv=fsync status=none
dd if=/dev/zero of="$ddev" bs=4M count=$((dense_size / 4194304)) oflag=direct conv=fsync status=none
wait_quiet
read -r load0 _ </proc/loadavg

# ---------------------------------------------------------------------------
# Runs

declare -a bz rz rzw br rr rrw disk dec dd_ rd rdw
for ((i = 0; i < runs; i++)); do
        run_timed t bmaptool -q copy --bmap "$work/sparse.bmap" "$work/sparse.img.zst" "$sdev"
        bz+=("$t")
        refurb t w "$sdev" "$work/sparse.img.zst" "$work/sparse.bmap"
        rz+=("$t"); rzw+=("$w")
        run_timed t bmaptool -q copy --bmap "$work/sparse.bmap" "$work/sparse.img" "$sdev"
        br+=("$t")
        refurb t w "$sdev" "$work/sparse.img" "$work/sparse.bmap"
        rr+=("$t"); rrw+=("$w")

        run_timed t dd if=/dev/zero of="$ddev" bs=4M count=$((dense_size / 4194304)) oflag=direct conv=fsync \
                status=none
        disk+=("$t")
        run_timed t bash -c 'zstd -q -dc "$1" >/dev/null' _ "$work/dense.img.zst"
        dec+=("$t")
        run_timed t bash -c 'set -o pipefail; zstd -q -dc "$1" | dd of="$2" bs=4M oflag=direct iflag=fullblock \
                conv=fsync status=none' _ "$work/dense.img.zst" "$ddev"
        dd_+=("$t")
        refurb t w "$ddev" "$work/dense.img.zst" "$work/dense.bmap"
        rd+=("$t"); rdw+=("$w")
        echo "run $((i + 1)): sparse bmaptool ${bz[i]} s / refurb ${rz[i]} s (raw: ${br[i]} / ${rr[i]});" \
                "dense disk ${disk[i]} s, zstd ${dec[i]} s, zstd|dd ${dd_[i]} s, refurb ${rd[i]} s"
done
read -r load1 _ </proc/loadavg

# ---------------------------------------------------------------------------
# Figures

m() { median "$@"; }
m_bz=$(m "${bz[@]}"); m_rz=$(m "${rz[@]}"); m_rzw=$(m "${rzw[@]}")
m_br=$(m "${br[@]}"); m_rr=$(m "${rr[@]}"); m_rrw=$(m "${rrw[@]}")
m_disk=$(m "${disk[@]}"); m_dec=$(m "${dec[@]}"); m_dd=$(m "${dd_[@]}"); m_rd=$(m "${rd[@]}"); m_rdw=$(m "${rdw[@]}")

echo
echo "(a) sparse image: $(numfmt --to=iec "$sparse_size"), $(numfmt --to=iec "$sparse_mapped") mapped"
printf '%-40s %10s %14s\n' "" "seconds" "MB/s (mapped)"
row() { printf '%-40s %10s %14s\n' "$1" "$2" "$(mbps "$3" "$2")"; }
row "bmaptool copy, .zst" "$m_bz" "$sparse_mapped"
row "refurb-image, .zst (whole process)" "$m_rz" "$sparse_mapped"
row "refurb-image, .zst (write+flush)" "$m_rzw" "$sparse_mapped"
row "bmaptool copy, raw" "$m_br" "$sparse_mapped"
row "refurb-image, raw (whole process)" "$m_rr" "$sparse_mapped"
row "refurb-image, raw (write+flush)" "$m_rrw" "$sparse_mapped"
printf 'time refurb/bmaptool: .zst %.3f, raw %.3f (target <= 0.5)\n' "$(calc "$m_rz / $m_bz")" \
        "$(calc "$m_rr / $m_br")"

echo
echo "(b) dense image: $(numfmt --to=iec "$dense_size"), $(numfmt --to=iec "$dense_mapped") mapped"
printf '%-40s %10s %14s\n' "" "seconds" "MB/s"
row "disk: dd if=/dev/zero oflag=direct" "$m_disk" "$dense_size"
row "zstd -dc >/dev/null" "$m_dec" "$dense_size"
row "zstd -dc | dd oflag=direct" "$m_dd" "$dense_size"
row "refurb-image (whole process)" "$m_rd" "$dense_size"
row "refurb-image (write+flush)" "$m_rdw" "$dense_size"
bound=$(awk -v a="$m_disk" -v b="$m_dec" 'BEGIN { print (a > b ? a : b) }')
printf 'throughput / min(disk, zstd): refurb %.3f (write+flush %.3f), zstd|dd %.3f (target >= 0.9)\n' \
        "$(calc "$bound / $m_rd")" "$(calc "$bound / $m_rdw")" "$(calc "$bound / $m_dd")"
printf 'time refurb/(zstd|dd): %.3f\n' "$(calc "$m_rd / $m_dd")"
echo
echo "load average: $load0 before the runs, $load1 after"
