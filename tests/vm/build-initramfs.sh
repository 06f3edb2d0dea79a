#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-initramfs.sh: a busybox initramfs that loads kernel modules, runs one
# script and powers the machine off. Used by the QEMU tests (tests/vm) and
# meant for the network-booted PCs as well: nothing in it is test-specific.
#
#     build-initramfs.sh -k KDIR -o OUT.cpio.gz [-s SCRIPT]
#                        [-m MODULE]... [-b BINARY[:DEST]]... [-f SRC:DEST]...
#
#   -k KDIR    kernel directory from fetch-kernel.sh (modules/, config)
#   -o OUT     the initramfs to write (gzip-compressed newc cpio)
#   -s SCRIPT  the payload, run by /init as `sh /payload`; its exit code is
#              printed as "@@REFURB-VM EXIT <rc>@@" before the power-off.
#              Without -s, /init starts an interactive shell on the console.
#   -m MODULE  a module to load (name as for modprobe: nvme, virtio_scsi...);
#              its dependencies from modules.dep are added and everything is
#              loaded in dependency order. Modules built into the kernel
#              (modules.builtin) are skipped. Repeatable.
#   -b BINARY  an executable (DEST default /usr/bin/<name>) and the shared
#              libraries ldd lists for it, at their host paths. Repeatable.
#   -f SRC:DEST  any other file. Repeatable.
#
# /init mounts proc, sysfs, devtmpfs, /run and /tmp, installs the busybox
# applets, silences the kernel console (dmesg -n 1; "refurb.kmsg" on the
# kernel command line keeps it), loads the modules, sources nothing else and
# runs the payload with /lib/refurb-vm-guest.sh available to it (markers for
# results and events, see that file). Kernel command-line words
# "refurb.KEY=VALUE" are exported to the payload as REFURB_KEY=VALUE.
#
# Needs: a static busybox (Debian: busybox-static), ldd, gzip. No root.

set -euo pipefail

die() { printf 'build-initramfs: %s\n' "$*" >&2; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KDIR='' OUT='' SCRIPT=''
MODULES=() BINARIES=() FILES=()
while getopts 'k:o:s:m:b:f:h' opt; do
        case $opt in
        k) KDIR=$OPTARG ;;
        o) OUT=$OPTARG ;;
        s) SCRIPT=$OPTARG ;;
        m) MODULES+=("$OPTARG") ;;
        b) BINARIES+=("$OPTARG") ;;
        f) FILES+=("$OPTARG") ;;
        h) sed -n '4,24p' "$0"; exit 0 ;;
        *) exit 2 ;;
        esac
done
[ -n "$OUT" ] || die "-o OUT is required"
[ ${#MODULES[@]} -eq 0 ] || [ -n "$KDIR" ] || die "-m needs -k KDIR"
[ -z "$SCRIPT" ] || [ -r "$SCRIPT" ] || die "payload $SCRIPT not readable"

BUSYBOX=${REFURB_VM_BUSYBOX:-}
if [ -z "$BUSYBOX" ]; then
        for b in /bin/busybox /usr/bin/busybox; do
                if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
                        BUSYBOX=$b
                        break
                fi
        done
fi
[ -n "$BUSYBOX" ] || die "no static busybox (apt-get install busybox-static)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/refurb-initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib,etc,proc,sys,dev,run,tmp,root,mnt}

install -m 0755 "$BUSYBOX" "$STAGE/bin/busybox"
ln -s busybox "$STAGE/bin/sh"

# A file at the same path in the image, directories created as needed.
put() { # SRC DEST [MODE]
        mkdir -p "$STAGE$(dirname "$2")"
        cp -L "$1" "$STAGE$2"
        chmod "${3:-0644}" "$STAGE$2"
}

# --- binaries and their libraries
for spec in "${BINARIES[@]}"; do
        src=${spec%%:*}
        dest=${spec#*:}
        [ "$dest" != "$spec" ] || dest=/usr/bin/$(basename "$src")
        [ -x "$src" ] || die "binary $src not found or not executable"
        put "$src" "$dest" 0755
        # "libx.so.1 => /path/libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
        if libs=$(ldd "$src" 2>/dev/null); then
                while read -r lib; do
                        [ -n "$lib" ] || continue
                        [ -e "$STAGE$lib" ] || put "$lib" "$lib" 0755
                done < <(printf '%s\n' "$libs" | awk '/=> \// {print $3; next} /^[[:space:]]*\// {print $1}')
                if printf '%s\n' "$libs" | grep -q 'not found'; then
                        die "$src: missing libraries: $(printf '%s\n' "$libs" | grep 'not found' | tr '\n' ' ')"
                fi
        fi
done

for spec in "${FILES[@]}"; do
        src=${spec%%:*}
        dest=${spec#*:}
        [ "$dest" != "$spec" ] && [ -r "$src" ] || die "-f $spec: SRC:DEST with a readable SRC"
        mode=0644
        [ -x "$src" ] && mode=0755
        put "$src" "$dest" "$mode"
done

# --- modules, in load order (dependencies first)
: >"$STAGE/etc/modules.load"
if [ ${#MODULES[@]} -gt 0 ]; then
        MODDIR=$KDIR/modules
        release=$(cat "$KDIR/release")
        [ -s "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep missing (run fetch-kernel.sh)"
        declare -A LOADED=()
        ORDER=()
        norm() { printf '%s' "${1//-/_}"; }
        dep_line() { # name -> "path: dep dep..." from modules.dep
                local n
                n=$(norm "$1")
                awk -v n="$n" -F: '{ p = $1; sub(/.*\//, "", p); sub(/\.ko(\..*)?$/, "", p); gsub(/-/, "_", p);
                                     if (p == n) { print; exit } }' "$MODDIR/modules.dep"
        }
        is_builtin() {
                local n
                n=$(norm "$1")
                sed 's|.*/||; s|\.ko$||; s|-|_|g' "$MODDIR/modules.builtin" 2>/dev/null | grep -qx "$n"
        }
        add_module() { # path relative to the release directory
                local path=$1 line d i
                [ -z "${LOADED[$path]:-}" ] || return 0
                LOADED[$path]=visiting
                line=$(grep -m1 "^$path:" "$MODDIR/modules.dep") || die "$path not in modules.dep"
                # depmod lists dependencies nearest first; load the farthest first.
                local deps
                read -r -a deps <<<"${line#*:}"
                for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
                        d=${deps[i]}
                        [ "${LOADED[$d]:-}" = visiting ] || add_module "$d"
                done
                LOADED[$path]=loaded
                ORDER+=("$path")
        }
        for m in "${MODULES[@]}"; do
                line=$(dep_line "$m")
                if [ -z "$line" ]; then
                        is_builtin "$m" && continue
                        die "module $m is neither in modules.dep nor built into $release"
                fi
                add_module "${line%%:*}"
        done
        for path in "${ORDER[@]}"; do
                put "$MODDIR/$path" "/lib/modules/$release/$path"
                printf '%s\n' "/lib/modules/$release/$path" >>"$STAGE/etc/modules.load"
        done
        grep -E "^($(printf '%s|' "${ORDER[@]}" | sed 's/|$//; s/\./\\./g')):" "$MODDIR/modules.dep" \
                >"$STAGE/lib/modules/$release/modules.dep" || true
        cp "$MODDIR/modules.builtin" "$STAGE/lib/modules/$release/" 2>/dev/null || true
fi

put "$HERE/guest-lib.sh" /lib/refurb-vm-guest.sh
if [ -n "$SCRIPT" ]; then
        put "$SCRIPT" /payload 0755
fi

cat >"$STAGE/init" <<'EOF'
#!/bin/busybox sh
# Generated by tests/vm/build-initramfs.sh.
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /tmp
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
grep -qw refurb.kmsg /proc/cmdline || dmesg -n 1
for w in $(cat /proc/cmdline); do
        case $w in
        refurb.*=*) k=${w#refurb.}; k=${k%%=*}; v=${w#*=}
                    export "REFURB_$(echo "$k" | tr 'a-z.-' 'A-Z__')=$v" ;;
        esac
done
echo "@@REFURB-VM BOOTED $(cut -d' ' -f1 /proc/uptime)@@"
while read -r m; do
        [ -n "$m" ] || continue
        insmod "$m" || echo "refurb-vm: insmod $m failed"
done </etc/modules.load
echo "@@REFURB-VM MODULES $(cut -d' ' -f1 /proc/uptime)@@"
if [ -x /payload ]; then
        sh /payload
        rc=$?
        sync
        echo "@@REFURB-VM EXIT $rc@@"
else
        echo "refurb-vm: no payload; shell on the console (poweroff -f to leave)"
        setsid cttyhack sh
fi
sync
poweroff -f
EOF
chmod 0755 "$STAGE/init"

mkdir -p "$(dirname "$OUT")"
(cd "$STAGE" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
        "$STAGE/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
