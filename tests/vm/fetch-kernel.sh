#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fetch-kernel.sh: get a Debian kernel (vmlinuz, modules, config) for the VM
# tests and print the directory that holds it.
#
#     KDIR=$(tests/vm/fetch-kernel.sh)      # -> $KDIR/vmlinuz, $KDIR/config,
#                                           #    $KDIR/modules/ (lib/modules/<release>)
#                                           #    $KDIR/release
#
# The package is downloaded with `apt-get download` (no root needed for that)
# into a cache directory and unpacked with `dpkg -x`; nothing is installed on
# the host. Kernels are never committed: they live only in the cache.
#
# Environment:
#   REFURB_VM_CACHE        cache directory (default /var/cache/refurb-vm)
#   REFURB_VM_KERNEL_PKG   package to use (default: the newest
#                          linux-image-6.1.0-<N>-amd64 apt-cache knows)
#   REFURB_VM_APT_UPDATE=1 run `apt-get update` first when apt-cache finds no
#                          kernel package (root only)
#
# Exit codes: 0 (directory printed on stdout), 1 error (reason on stderr).
# Concurrent callers are serialised by a lock in the cache directory.

set -euo pipefail

CACHE=${REFURB_VM_CACHE:-/var/cache/refurb-vm}

die() { printf 'fetch-kernel: %s\n' "$*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg dpkg-deb; do
        command -v "$tool" >/dev/null || die "$tool not found (a Debian host is needed)"
done

mkdir -p "$CACHE" 2>/dev/null || die "cannot create the cache directory $CACHE (set REFURB_VM_CACHE)"
[ -w "$CACHE" ] || die "cache directory $CACHE is not writable (set REFURB_VM_CACHE)"

exec {lockfd}>"$CACHE/.lock"
flock -w 900 "$lockfd" || die "timed out waiting for the lock on $CACHE"

newest_pkg() {
        apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
                awk '{print $1}' | sort -V | tail -n 1
}

# modules.dep for MODDIR without depmod. The .ko files of Debian 6.1 kernels
# are not compressed; .modinfo is a list of NUL-terminated key=value strings.
make_modules_dep() {
        local moddir=$1
        (cd "$moddir" && find kernel -name '*.ko' | sort | perl -e '
                my (%path, %deps);
                while (my $p = <STDIN>) {
                        chomp $p;
                        (my $n = $p) =~ s{.*/}{}; $n =~ s/\.ko$//; $n =~ tr/-/_/;
                        $path{$n} = $p;
                        open(my $f, "<:raw", $p) or die "$p: $!";
                        local $/; my $d = <$f>; close $f;
                        $deps{$n} = ($d =~ /\0depends=([^\0]*)\0/) ? [grep { $_ ne "" } split /,/, $1] : [];
                }
                # depmod order: the whole dependency closure, the nearest first.
                sub closure { my ($n, $seen, $out) = @_;
                        for my $d (@{$deps{$n}}) { (my $k = $d) =~ tr/-/_/;
                                next if $seen->{$k}++; push @$out, $k; }
                        for my $d (@{$deps{$n}}) { (my $k = $d) =~ tr/-/_/; closure($k, $seen, $out) if $deps{$k}; } }
                for my $n (sort keys %path) {
                        my (@out, %seen); closure($n, \%seen, \@out);
                        print "$path{$n}:", join("", map { $path{$_} ? " $path{$_}" : "" } @out), "\n";
                }' >modules.dep.tmp && mv modules.dep.tmp modules.dep)
}

pkg=${REFURB_VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
        pkg=$(newest_pkg)
        if [ -z "$pkg" ] && [ "${REFURB_VM_APT_UPDATE:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
                apt-get update -qq >&2 || true
                pkg=$(newest_pkg)
        fi
fi
if [ -z "$pkg" ]; then
        # Offline: fall back on the newest kernel already in the cache.
        last=$(find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name 'linux-image-*' -printf '%f\n' 2>/dev/null |
                sort -V | tail -n 1)
        [ -n "$last" ] && [ -f "$CACHE/$last/.complete" ] ||
                die "no linux-image-6.1.0-*-amd64 package known to apt-cache (run apt-get update) and none cached"
        pkg=$last
fi

dir=$CACHE/$pkg
if [ ! -f "$dir/.complete" ]; then
        rm -rf "$dir" "$dir.tmp"
        mkdir -p "$dir.tmp/deb" "$dir.tmp/root"
        printf 'fetch-kernel: downloading %s into %s\n' "$pkg" "$CACHE" >&2
        # apt drops privileges to _apt for downloads: let it write there.
        chmod 0777 "$dir.tmp/deb" 2>/dev/null || true
        (cd "$dir.tmp/deb" && apt-get download -q "$pkg" >&2) || {
                rm -rf "$dir.tmp"
                die "apt-get download $pkg failed"
        }
        deb=$(find "$dir.tmp/deb" -name '*.deb' | head -n 1)
        [ -n "$deb" ] || { rm -rf "$dir.tmp"; die "no .deb downloaded for $pkg"; }
        dpkg -x "$deb" "$dir.tmp/root" || { rm -rf "$dir.tmp"; die "dpkg -x $deb failed"; }

        vmlinuz=$(find "$dir.tmp/root/boot" -name 'vmlinuz-*' | head -n 1)
        [ -n "$vmlinuz" ] || { rm -rf "$dir.tmp"; die "$pkg has no /boot/vmlinuz-*"; }
        release=${vmlinuz##*/vmlinuz-}
        moddir=$dir.tmp/root/lib/modules/$release
        [ -d "$moddir" ] || { rm -rf "$dir.tmp"; die "$pkg has no /lib/modules/$release"; }
        # The package ships no modules.dep (depmod runs at install time)
        # and the host may have no kmod: build it from each module's
        # "depends=" modinfo field, in depmod's format (paths relative to
        # the release directory, dependencies in load order reversed as
        # depmod writes them: a module's direct dependencies first).
        if [ ! -s "$moddir/modules.dep" ]; then
                make_modules_dep "$moddir" || { rm -rf "$dir.tmp"; die "cannot build modules.dep for $release"; }
        fi
        ln -s "root/boot/vmlinuz-$release" "$dir.tmp/vmlinuz"
        ln -s "root/boot/config-$release" "$dir.tmp/config"
        ln -s "root/lib/modules/$release" "$dir.tmp/modules"
        printf '%s\n' "$release" >"$dir.tmp/release"
        rm -rf "$dir.tmp/deb"
        touch "$dir.tmp/.complete"
        mv "$dir.tmp" "$dir"
fi

printf '%s\n' "$dir"
