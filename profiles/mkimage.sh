#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# profiles/mkimage.sh — build the classroom system image that the DSI
# publishes (or the small test image of the integration tests), its bmap,
# its zstd file and its signed profile. See profiles/README.md.
#
#   mkimage.sh [--flavour classroom|test] [--out DIR] [--key DSI.key]
#              [--cache DIR] [--version V] [--suite bookworm] [--mirror URL]
#              [--boot shim|standalone] [--zstd-level N (19; test: 9)] [--with-raw]
#              [--rebuild] [--print-key]
#
# No loop device and no mount: mmdebstrap builds the root into a directory,
# mkfs.ext4 -d and mkfs.vfat -C + mtools make the two filesystems as files,
# sfdisk writes the GPT into the (sparse) raw image and dd puts them in.
#
# Caches (CACHE, default /var/cache/refurb-images):
#   CACHE/build/FLAVOUR-KEY/   the raw image, bmap, zst and package list of a
#                              build; KEY hashes this script, the profile
#                              template, the package list, suite, mirror,
#                              boot method and zstd level (--print-key)
#   CACHE/apt/archives/        every .deb downloaded (kept between builds)
#   CACHE/apt/lists-H/         the apt lists of the last update: with them a
#                              rebuild works without network (--skip=update)
# Needs root. Installs the tools it lacks with apt-get.

# The whole script is one block, parsed before anything runs: editing it
# while it builds does not change what the running build does.
{
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1
export PATH=$PATH:/usr/sbin:/sbin

SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")

FLAVOUR=classroom
OUT=
KEY=
CACHE=/var/cache/refurb-images
VERSION=
SUITE=bookworm
MIRROR=
BOOT=shim
ZSTD_LEVEL=
WITH_RAW=0
REBUILD=0
PRINT_KEY=0

# ---------------------------------------------------------------------------
# Package sets. Recommends are not installed: everything wanted is named.

CLASSROOM_PACKAGES=(
        # system
        systemd-sysv udev kmod dbus dbus-user-session polkitd sudo
        linux-image-amd64 initramfs-tools firmware-linux-free
        intel-microcode amd64-microcode
        firmware-iwlwifi firmware-realtek firmware-atheros firmware-brcm80211
        firmware-misc-nonfree firmware-amd-graphics
        network-manager ca-certificates systemd-timesyncd unattended-upgrades zram-tools
        locales keyboard-configuration console-setup tzdata
        less nano iproute2 iputils-ping
        # desktop: Xfce with LightDM (README.md says why not LXDE)
        xorg lightdm lightdm-gtk-greeter
        xfce4 xfce4-terminal xfce4-notifyd xfce4-power-manager xfce4-whiskermenu-plugin
        thunar-volman gvfs udisks2 tango-icon-theme network-manager-gnome
        pulseaudio pavucontrol mousepad ristretto xdg-user-dirs xdg-utils
        fonts-dejavu fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea
        # applications
        firefox-esr firefox-esr-l10n-fr
        libreoffice-writer libreoffice-calc libreoffice-impress libreoffice-l10n-fr libreoffice-gtk3
        hunspell-fr hyphen-fr mythes-fr
        evince
        clamav clamav-freshclam clamtk
        x11vnc
)
CLASSROOM_COMPONENTS="main non-free-firmware"

TEST_PACKAGES=(firefox-esr hostname)
TEST_COMPONENTS="main"

# Paths dpkg does not install (documentation, manuals, foreign languages),
# kept in the image (/etc/dpkg/dpkg.cfg.d/99mmdebstrap) for later updates.
DPKG_OPTS=(
        'path-exclude=/usr/share/man/*'
        'path-exclude=/usr/share/info/*'
        'path-exclude=/usr/share/doc/*'
        'path-include=/usr/share/doc/*/copyright'
        'path-exclude=/usr/share/locale/*'
        'path-include=/usr/share/locale/fr/*'
        'path-include=/usr/share/locale/fr_FR/*'
        'path-include=/usr/share/locale/locale.alias'
)

# Shim and GRUB signed by Debian (Secure Boot), unpacked onto the ESP.
BOOT_DEBS=(shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed)

GPT_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
GPT_ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709

# ---------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
die() {
        printf 'mkimage : erreur : %s\n' "$*" >&2
        exit 1
}

usage() {
        awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$SELF"
        exit "${1:-0}"
}

while (( $# )); do
        case $1 in
        --flavour) FLAVOUR=${2:?}; shift ;;
        --out) OUT=${2:?}; shift ;;
        --key) KEY=${2:?}; shift ;;
        --cache) CACHE=${2:?}; shift ;;
        --version) VERSION=${2:?}; shift ;;
        --suite) SUITE=${2:?}; shift ;;
        --mirror) MIRROR=${2:?}; shift ;;
        --boot) BOOT=${2:?}; shift ;;
        --zstd-level) ZSTD_LEVEL=${2:?}; shift ;;
        --with-raw) WITH_RAW=1 ;;
        --rebuild) REBUILD=1 ;;
        --print-key) PRINT_KEY=1 ;;
        -h | --help) usage 0 ;;
        *) printf 'mkimage : option inconnue « %s »\n' "$1" >&2; usage 2 ;;
        esac
        shift
done

case $FLAVOUR in
classroom)
        PACKAGES=("${CLASSROOM_PACKAGES[@]}")
        COMPONENTS=$CLASSROOM_COMPONENTS
        TEMPLATE=$HERE/classe-debian12.profile
        ESP_MIB=256
        HOSTNAME_DEFAULT=classe
        ZSTD_LEVEL=${ZSTD_LEVEL:-19}
        ;;
test)
        PACKAGES=("${TEST_PACKAGES[@]}")
        COMPONENTS=$TEST_COMPONENTS
        TEMPLATE=$HERE/test.profile.in
        ESP_MIB=16
        HOSTNAME_DEFAULT=classe-test
        BOOT=none
        ZSTD_LEVEL=${ZSTD_LEVEL:-9}
        ;;
*) die "--flavour vaut classroom ou test, pas « $FLAVOUR »" ;;
esac
case $BOOT in shim | standalone | none) ;; *) die "--boot vaut shim ou standalone, pas « $BOOT »" ;; esac
[[ $SUITE =~ ^[a-z]+$ ]] || die "--suite « $SUITE » : un nom de version Debian (bookworm) attendu"
[[ $ZSTD_LEVEL =~ ^([1-9]|1[0-9])$ ]] || die "--zstd-level « $ZSTD_LEVEL » : un niveau de 1 à 19 attendu"
[[ -z $MIRROR || $MIRROR =~ ^(https?|file)://[^[:space:]]+$ ]] || die "--mirror « $MIRROR » : une adresse http(s):// ou file:// attendue"
[[ -f $TEMPLATE ]] || die "modèle de profil absent : $TEMPLATE"

# The build key: what decides the content of the image.
BUILD_KEY=$({
        printf 'flavour=%s\nsuite=%s\nmirror=%s\ncomponents=%s\nboot=%s\nzstd=%s\n' \
                "$FLAVOUR" "$SUITE" "$MIRROR" "$COMPONENTS" "$BOOT" "$ZSTD_LEVEL"
        printf 'package %s\n' "${PACKAGES[@]}"
        printf 'dpkg %s\n' "${DPKG_OPTS[@]}"
        grep -v '^[[:space:]]*#' "$SELF" | sha256sum      # comments do not change the image
        sha256sum <"$TEMPLATE"
} | sha256sum | cut -c1-16)
if (( PRINT_KEY )); then
        echo "$BUILD_KEY"
        exit 0
fi

[[ $(id -u) == 0 ]] || die "il faut être root (mmdebstrap en mode root, mkfs sur des fichiers)"
[[ -n $OUT ]] || OUT=$PWD/out-$FLAVOUR
if [[ -z $VERSION ]]; then
        if [[ $FLAVOUR == test ]]; then VERSION=0.$BUILD_KEY; else VERSION=$(date -u +%Y.%m.%d); fi
fi
[[ $VERSION =~ ^[A-Za-z0-9._+-]{1,32}$ ]] || die "--version « $VERSION » : 1 à 32 caractères parmi A-Z a-z 0-9 . _ - +"
NAME=$(awk -F= '/^Name=/ { print $2; exit }' "$TEMPLATE")
[[ $NAME =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "$TEMPLATE : Name= absent ou invalide (« $NAME »)"
BASE=$NAME-$VERSION
mkdir -p "$OUT" "$CACHE/apt/archives" "$CACHE/build"
OUT=$(cd "$OUT" && pwd)
CACHE=$(cd "$CACHE" && pwd)
[[ -n $KEY ]] || KEY=$OUT/dsi.key
BUILD=$CACHE/build/$FLAVOUR-$BUILD_KEY
WORK=$BUILD.work

# ---------------------------------------------------------------------------
# Steps and their durations

T_ALL=$(date +%s)
STEP_NAME=
STEP_T0=0
STEPS=()
step() {
        step_end
        STEP_NAME=$1
        STEP_T0=$(date +%s)
        say "==> $1"
}
step_end() {
        [[ -n $STEP_NAME ]] || return 0
        local d=$(( $(date +%s) - STEP_T0 ))
        STEPS+=("$(printf '%-38s %5d s' "$STEP_NAME" "$d")")
        STEP_NAME=
}

human() { numfmt --to=iec-i --suffix=o --format='%.2f' --round=nearest "$1"; }

# ---------------------------------------------------------------------------
# Host tools

ensure_tools() {
        local -A need=([mmdebstrap]=mmdebstrap [bmaptool]=bmap-tools [zstd]=zstd [mkfs.ext4]=e2fsprogs
                [debugfs]=e2fsprogs [mkfs.vfat]=dosfstools [mcopy]=mtools [sfdisk]=fdisk [openssl]=openssl
                [flock]=util-linux [dpkg-deb]=dpkg [numfmt]=coreutils)
        [[ $BOOT == standalone ]] && need[grub-mkstandalone]="grub-efi-amd64-bin"
        local c pkgs=()
        for c in "${!need[@]}"; do
                command -v "$c" >/dev/null 2>&1 || pkgs+=("${need[$c]}")
        done
        [[ $BOOT == standalone && ! -d /usr/lib/grub/x86_64-efi ]] && pkgs+=(grub-efi-amd64-bin)
        (( ${#pkgs[@]} )) || return 0
        mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
        say "installation des outils manquants : ${pkgs[*]}"
        local out
        if ! out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" \
                        </dev/null 2>&1) &&
                ! out=$({ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
                        apt-get install -y -q --no-install-recommends "${pkgs[@]}"; } </dev/null 2>&1); then
                printf '%s\n' "$out" | tail -n 15 >&2
                die "apt-get install ${pkgs[*]} a échoué"
        fi
}

# The mirror answers (file:// mirrors always do when the folder exists).
mirror_reachable() {
        local url=${MIRROR:-http://deb.debian.org/debian}
        if [[ $url == file://* ]]; then
                [[ -d ${url#file://} ]]
                return
        fi
        if command -v curl >/dev/null 2>&1; then
                curl -sfI --max-time 15 -o /dev/null "$url/dists/$SUITE/InRelease"
                return
        fi
        local hp=${url#*://}
        hp=${hp%%/*}
        timeout 15 bash -c "exec 3<>/dev/tcp/${hp%%:*}/80" 2>/dev/null
}

# A UUID derived from the build key (the same build gives the same image).
derived_uuid() { # TAG
        local h
        h=$(printf '%s %s' "$BUILD_KEY" "$1" | sha256sum | cut -c1-32)
        printf '%s-%s-4%s-8%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "${h:17:3}" "${h:20:12}"
}

# Nothing of ours may stay mounted under the work folder before rm -rf.
mounted_under() { # DIR
        awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

remove_work() {
        [[ -d $WORK ]] || return 0
        local m
        m=$(mounted_under "$WORK")
        if [[ -n $m ]]; then
                printf '%s\n' "$m" | sort -r | while read -r d; do umount "$d" 2>/dev/null || umount -l "$d"; done
                m=$(mounted_under "$WORK")
                [[ -z $m ]] || { say "mkimage : montages restants sous $WORK, dossier gardé : $m" >&2; return 1; }
        fi
        rm -rf --one-file-system "$WORK"
}

on_exit() {
        local rc=$?
        remove_work || true
        if (( rc != 0 )); then
                say "mkimage : échec (code $rc) à l'étape « ${STEP_NAME:-?} »" >&2
                if [[ -s ${LOG:-/nonexistent} ]]; then
                        say "----- fin du journal $LOG -----" >&2
                        tail -n 30 "$LOG" >&2
                fi
        fi
        exit "$rc"
}

# ---------------------------------------------------------------------------
# 1. The root filesystem (mmdebstrap)

write_customize_hook() { # FILE
        {
                printf '#!/bin/sh\n# Generated by profiles/mkimage.sh; runs with the chroot mounted.\nset -eu\nroot=$1\n'
                printf 'flavour=%s\nbootdir=%q\n' "$FLAVOUR" "$WORK/boot-debs"
                cat <<'EOF'
in_root() { chroot "$root" "$@"; }

ln -sf /usr/share/zoneinfo/Europe/Paris "$root/etc/localtime"
echo Europe/Paris >"$root/etc/timezone"

if [ "$flavour" = classroom ]; then
        in_root debconf-set-selections <<'SEL'
locales locales/locales_to_be_generated multiselect fr_FR.UTF-8 UTF-8
locales locales/default_environment_locale select fr_FR.UTF-8
keyboard-configuration keyboard-configuration/xkb-keymap select fr(latin9)
keyboard-configuration keyboard-configuration/layoutcode string fr
keyboard-configuration keyboard-configuration/variantcode string latin9
keyboard-configuration keyboard-configuration/modelcode string pc105
tzdata tzdata/Areas select Europe
tzdata tzdata/Zones/Europe select Paris
SEL
        echo 'fr_FR.UTF-8 UTF-8' >"$root/etc/locale.gen"
        in_root locale-gen >/dev/null
        echo 'LANG=fr_FR.UTF-8' >"$root/etc/default/locale"
        cat >"$root/etc/default/keyboard" <<'KBD'
XKBMODEL="pc105"
XKBLAYOUT="fr"
XKBVARIANT="latin9"
XKBOPTIONS=""
BACKSPACE="guess"
KBD

        # The pupils' account: automatic login, no password, no sudo.
        groups=
        for g in audio video plugdev netdev cdrom; do
                if in_root getent group "$g" >/dev/null; then groups=$groups${groups:+,}$g; fi
        done
        in_root useradd -m -s /bin/bash -c 'Élève' ${groups:+-G "$groups"} eleve
        in_root passwd -d eleve >/dev/null
        mkdir -p "$root/etc/lightdm/lightdm.conf.d"
        cat >"$root/etc/lightdm/lightdm.conf.d/50-classe.conf" <<'LDM'
[Seat:*]
autologin-user=eleve
autologin-user-timeout=0
user-session=xfce
greeter-hide-users=false
LDM
        # Security updates installed every day; compressed swap in memory.
        cat >"$root/etc/apt/apt.conf.d/20auto-upgrades" <<'APT'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT
        if [ -f "$root/etc/default/zramswap" ]; then
                sed -i -e 's/^#\{0,1\}PERCENT=.*/PERCENT=50/' "$root/etc/default/zramswap"
        fi

        # Shim, GRUB signed by Debian (for the ESP, not installed).
        if [ -n "$bootdir" ] && [ -d "$bootdir" ]; then
                in_root apt-get install -y -q --download-only --no-install-recommends \
                        shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed >/dev/null
                # The version apt chose (the cache may hold older ones too).
                for p in shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed; do
                        v=$(in_root apt-cache policy "$p" | awk '$1 == "Candidate:" { print $2 }' | sed 's/:/%3a/')
                        cp "$root/var/cache/apt/archives/${p}_${v}_"*.deb "$bootdir/"
                done
        fi
fi
EOF
        } >"$1"
        chmod 0755 "$1"
}

build_rootfs() {
        local lists
        lists=$CACHE/apt/lists-$(printf '%s|%s|%s' "$SUITE" "$MIRROR" "$COMPONENTS" | sha256sum | cut -c1-12)
        local args=(--mode=root --format=directory --variant=minbase --architectures=amd64
                "--components=$COMPONENTS" "--include=$(IFS=,; echo "${PACKAGES[*]}")"
                --skip=essential/unlink
                --setup-hook='mkdir -p "$1/var/cache/apt/archives/" "$1/var/lib/apt/lists/"'
                --setup-hook="sync-in $(printf %q "$CACHE/apt/archives") /var/cache/apt/archives/")
        local o
        for o in "${DPKG_OPTS[@]}"; do args+=("--dpkgopt=$o"); done
        if mirror_reachable; then
                say "    miroir joignable : listes apt mises à jour"
                args+=(--customize-hook="sync-out /var/lib/apt/lists $(printf %q "$lists.new")")
        elif [[ -f $lists/.complete ]]; then
                say "    miroir injoignable : listes apt et paquets du cache ($lists), sans réseau"
                args+=(--skip=update --setup-hook="sync-in $(printf %q "$lists") /var/lib/apt/lists/")
        else
                die "le miroir ${MIRROR:-http://deb.debian.org/debian} est injoignable et le cache n'a pas de listes apt pour $SUITE ($lists)"
        fi
        mkdir -p "$WORK/boot-debs"
        [[ $BOOT == shim ]] || rmdir "$WORK/boot-debs"
        write_customize_hook "$WORK/customize.sh"
        args+=(--customize-hook="$(printf %q "$WORK/customize.sh") \"\$1\""
                --customize-hook="sync-out /var/cache/apt/archives $(printf %q "$CACHE/apt/archives")")
        exec 8>"$CACHE/apt/.lock"
        wait_lock 8 "cache apt $CACHE/apt utilisé"
        rm -rf "$lists.new"
        mkdir -p "$lists.new"
        nice -n 10 mmdebstrap "${args[@]}" "$SUITE" "$WORK/root" ${MIRROR:+"$MIRROR"} >>"$LOG" 2>&1 ||
                die "mmdebstrap a échoué (journal : $LOG)"
        if [[ -n $(ls -A "$lists.new") ]]; then
                rm -f "$lists.new/lock"
                rm -rf "$lists.new/partial" "$lists"
                touch "$lists.new/.complete"
                mv "$lists.new" "$lists"
        else
                rm -rf "$lists.new"
        fi
        rm -f "$CACHE/apt/archives/lock"
        rm -rf "$CACHE/apt/archives/partial"
        exec 8>&-
}

# Files written after mmdebstrap, on the directory.
finish_rootfs() {
        local r=$WORK/root
        printf '%s\n' "$HOSTNAME_DEFAULT" >"$r/etc/hostname"
        printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
                "$HOSTNAME_DEFAULT" >"$r/etc/hosts"
        rm -f "$r/etc/resolv.conf"   # the build host's; NetworkManager writes its own
        : >"$r/etc/machine-id"       # empty: made at first boot (the 20-machine-id hook writes one)
        chmod 0444 "$r/etc/machine-id"
        mkdir -p "$r/boot/efi"
        cat >"$r/etc/fstab" <<EOF
# <file system>     <mount point>  <type>  <options>                  <dump> <pass>
UUID=$ROOT_UUID  /              ext4    errors=remount-ro          0      1
UUID=$ESP_ID                              /boot/efi      vfat    umask=0077,nofail          0      2
EOF
        if [[ $FLAVOUR == classroom ]]; then
                [[ -e $r/vmlinuz && -e $r/initrd.img ]] ||
                        die "noyau ou initrd absent de l'image (/vmlinuz, /initrd.img ; /boot contient : $(ls "$r/boot" | tr '\n' ' '))"
                local k i
                k=$(readlink -f "$r/vmlinuz")
                i=$(readlink -f "$r/initrd.img")
                [[ -s $k && -s $i ]] || die "lien /vmlinuz ou /initrd.img cassé dans l'image"
                say "    noyau $(basename "$k") ($(human "$(stat -c %s "$k")")), initrd $(basename "$i") ($(human "$(stat -c %s "$i")"))"
                mkdir -p "$r/boot/grub"
                cat >"$r/boot/grub/grub.cfg" <<EOF
# Written by refurb's profiles/mkimage.sh (no grub package in the image:
# the bootloader lives on the ESP and loads this file).
set default=0
set timeout=2
search --no-floppy --fs-uuid --set=root $ROOT_UUID
menuentry 'Debian GNU/Linux 12 (classe)' --class debian {
        linux /vmlinuz root=UUID=$ROOT_UUID ro quiet
        initrd /initrd.img
}
menuentry 'Debian GNU/Linux 12 (classe, sans mode silencieux)' --class debian {
        linux /vmlinuz root=UUID=$ROOT_UUID ro
        initrd /initrd.img
}
EOF
        fi
        dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' |
                awk '$1 == "ii" { print $2, $3 }' | sort >"$WORK/packages.txt"
        local p missing=()
        for p in "${PACKAGES[@]}"; do
                grep -q "^$p " "$WORK/packages.txt" || missing+=("$p")
        done
        (( ${#missing[@]} == 0 )) || die "paquets demandés mais non installés : ${missing[*]}"
}

# ---------------------------------------------------------------------------
# 2. Filesystems and the GPT image

make_root_fs() {
        local used files size inodes
        used=$(du -sx --block-size=1 "$WORK/root" | cut -f1)
        files=$(find "$WORK/root" -xdev | wc -l)
        size=$(( used + used / 5 + 256 * 1048576 ))
        size=$(( (size + 4194303) / 4194304 * 4194304 ))
        inodes=$(( size / 16384 ))
        (( inodes >= files * 3 / 2 )) || inodes=$(( files * 3 / 2 ))
        ROOT_BYTES=$size
        say "    racine : $(human "$used") utilisés, $files fichiers → système de fichiers de $(human "$size"), $inodes inodes"
        truncate -s "$size" "$WORK/root.ext4"
        mkfs.ext4 -q -F -d "$WORK/root" -U "$ROOT_UUID" -L classe-root -N "$inodes" \
                -E "hash_seed=$(derived_uuid hash-seed)" "$WORK/root.ext4" >>"$LOG" 2>&1 ||
                die "mkfs.ext4 -d a échoué (journal : $LOG)"
        e2fsck -fn "$WORK/root.ext4" >>"$LOG" 2>&1 || die "e2fsck -fn trouve des erreurs dans le système de fichiers construit"
        # The dpkg database as written into the filesystem (read back, no mount).
        local n_fs n_dir
        n_fs=$(debugfs -R 'cat /var/lib/dpkg/status' "$WORK/root.ext4" 2>/dev/null |
                grep -c '^Status: install ok installed' || true)
        n_dir=$(wc -l <"$WORK/packages.txt")
        (( n_fs == n_dir )) || die "le système de fichiers contient $n_fs paquets installés, le dossier $n_dir"
}

make_esp() {
        local esp=$WORK/esp.vfat fat=()
        [[ $ESP_MIB -ge 64 ]] && fat=(-F 32)
        mkfs.vfat -C "${fat[@]}" -n EFI -i "${ESP_ID/-/}" "$esp" $(( ESP_MIB * 1024 )) >>"$LOG" 2>&1 ||
                die "mkfs.vfat -C a échoué"
        mmd -i "$esp" ::/EFI ::/EFI/BOOT
        [[ $BOOT == none ]] && return 0
        local cfg=$WORK/esp-grub.cfg
        cat >"$cfg" <<EOF
search --no-floppy --fs-uuid --set=root $ROOT_UUID
configfile (\$root)/boot/grub/grub.cfg
EOF
        if [[ $BOOT == shim ]]; then
                local x=$WORK/boot-x d
                mkdir -p "$x"
                for d in "$WORK"/boot-debs/*.deb; do dpkg-deb -x "$d" "$x"; done
                local shim=$x/usr/lib/shim/shimx64.efi.signed mm=$x/usr/lib/shim/mmx64.efi.signed
                local grub=$x/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
                [[ -s $shim && -s $mm && -s $grub ]] || die "shim ou GRUB signés absents des paquets ${BOOT_DEBS[*]}"
                mmd -i "$esp" ::/EFI/debian
                mcopy -i "$esp" "$shim" ::/EFI/BOOT/BOOTX64.EFI
                mcopy -i "$esp" "$grub" ::/EFI/BOOT/grubx64.efi
                mcopy -i "$esp" "$mm" ::/EFI/BOOT/mmx64.efi
                # Debian's signed GRUB reads $prefix/grub.cfg (/EFI/debian), else the one beside it.
                mcopy -i "$esp" "$cfg" ::/EFI/debian/grub.cfg
                mcopy -i "$esp" "$cfg" ::/EFI/BOOT/grub.cfg
                BOOT_DETAIL="shim $(dpkg-deb -f "$WORK"/boot-debs/shim-signed_*.deb Version), GRUB signé $(dpkg-deb -f "$WORK"/boot-debs/grub-efi-amd64-signed_*.deb Version)"
        else
                grub-mkstandalone --format=x86_64-efi --output="$WORK/BOOTX64.EFI" --locales= --fonts= --themes= \
                        --modules="part_gpt part_msdos fat ext2 search search_fs_uuid configfile normal linux echo all_video gzio test" \
                        "boot/grub/grub.cfg=$cfg" >>"$LOG" 2>&1 || die "grub-mkstandalone a échoué"
                mcopy -i "$esp" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
                BOOT_DETAIL="grub-mkstandalone $(dpkg-query -W -f='${Version}' grub-efi-amd64-bin) (sans Secure Boot)"
        fi
        say "    ESP : $BOOT_DETAIL"
}

assemble_image() {
        local img=$WORK/image.img esp_start=2048 esp_sectors root_start root_sectors total
        esp_sectors=$(( ESP_MIB * 2048 ))
        root_start=$(( esp_start + esp_sectors ))
        root_sectors=$(( ROOT_BYTES / 512 ))
        total=$(( root_start + root_sectors + 2048 ))   # + 1 MiB for the backup GPT
        rm -f "$img"
        truncate -s $(( total * 512 )) "$img"
        sfdisk -q --no-reread --no-tell-kernel "$img" >>"$LOG" 2>&1 <<EOF || die "sfdisk a échoué sur $img"
label: gpt
label-id: $(derived_uuid disk)
unit: sectors
first-lba: 2048
start=$esp_start, size=$esp_sectors, type=$GPT_ESP, uuid=$(derived_uuid esp-part), name="EFI"
start=$root_start, size=$root_sectors, type=$GPT_ROOT_X86_64, uuid=$(derived_uuid root-part), name="classe-root"
EOF
        dd if="$WORK/esp.vfat" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
        dd if="$WORK/root.ext4" of="$img" bs=1M seek=$(( root_start / 2048 )) conv=notrunc,sparse status=none
        cmp -n "$ROOT_BYTES" "$WORK/root.ext4" <(tail -c +$(( root_start * 512 + 1 )) "$img") >/dev/null ||
                die "la partition racine de l'image diffère du système de fichiers construit"
}

# ---------------------------------------------------------------------------
# 3. Publication: OUT files, profile, signature

ensure_key() {
        local pub=${KEY%.key}.pub.pem
        if [[ ! -e $KEY ]]; then
                mkdir -p "$(dirname "$KEY")"
                (umask 077 && openssl genpkey -algorithm ed25519 -out "$KEY" 2>>"$LOG") || die "openssl genpkey a échoué"
                openssl pkey -in "$KEY" -pubout -out "$pub" 2>>"$LOG"
                cat >"$KEY.LISEZMOI.txt" <<EOF
Clé de signature Ed25519 créée le $(date -u +%F) par profiles/mkimage.sh.

$(basename "$KEY")      CLÉ PRIVÉE : elle signe les profils que les bancs acceptent.
                 À garder hors ligne (coffre, clé USB chiffrée), jamais publiée.
$(basename "$pub")  clé publique : à copier dans /etc/refurbd/trusted-keys/ de
                 chaque banc (le banc n'accepte que les profils signés par
                 une clé de ce dossier).
Empreinte (16 premiers chiffres hexadécimaux du SHA-256 de la clé publique brute) :
  $(openssl pkey -in "$KEY" -pubout -outform DER 2>/dev/null | tail -c 32 | sha256sum | cut -c1-16)
EOF
                say "    nouvelle clé DSI : $KEY (clé publique $pub) — lire $KEY.LISEZMOI.txt"
        fi
        openssl pkey -in "$KEY" -noout -text 2>/dev/null | head -1 | grep -qi 'ED25519 Private-Key' ||
                die "$KEY n'est pas une clé privée Ed25519 PEM non chiffrée"
        [[ -f $pub ]] || openssl pkey -in "$KEY" -pubout -out "$pub"
        PUB=$pub
}

publish_file() { # SRC DST
        if [[ -e $2 ]] && { [[ $1 -ef $2 ]] || cmp -s "$1" "$2"; }; then
                return 0
        fi
        rm -f "$2"
        ln "$1" "$2" 2>/dev/null || cp --sparse=always "$1" "$2"
}

write_profile() {
        local prof=$OUT/$BASE.profile zsha bsha minsize expires tmp
        zsha=$(sha256sum "$BUILD/image.img.zst" | cut -d' ' -f1)
        bsha=$(sha256sum "$BUILD/image.img.bmap" | cut -d' ' -f1)
        minsize=$(( ($(stat -c %s "$BUILD/image.img") + 1073741823) / 1073741824 ))G
        expires=$(date -u -d '+1 year' +%F)
        tmp=$(mktemp "$OUT/.profile.XXXXXX")
        awk -v ver="$VERSION" -v loc="$BASE.img.zst" -v sha="$zsha" -v bmap="$BASE.img.bmap" -v bsha="$bsha" \
                -v minsize="$minsize" -v expires="$expires" -v tmpl="$(basename "$TEMPLATE")" -v key="$BUILD_KEY" \
                -v when="$(date -u +%F)" '
                # The opening comment of the template is replaced by one saying where this file comes from.
                !body && /^#/ { next }
                !body {
                        body = 1
                        print "# Profil écrit le " when " par profiles/mkimage.sh depuis " tmpl
                        print "# (construction " key "). Signé : ne pas modifier, reconstruire et re-signer."
                        if ($0 != "") print ""
                }
                /^\[/ { sec = $0 }
                sec == "[Profile]" && /^Version=/ { print "Version=" ver; n++; next }
                sec == "[Profile]" && /^MinimumDiskSize=/ { print "MinimumDiskSize=" minsize; n++; next }
                sec == "[Profile]" && /^Expires=/ { print "Expires=" expires; n++; next }
                sec == "[Image]" && /^Location=/ { print "Location=" loc; n++; next }
                sec == "[Image]" && /^SHA256=/ { print "SHA256=" sha; n++; next }
                sec == "[Image]" && /^Bmap=/ { print "Bmap=" bmap; n++; next }
                sec == "[Image]" && /^BmapSHA256=/ { print "BmapSHA256=" bsha; n++; next }
                { print }
                END { if (n != 7) exit 3 }' "$TEMPLATE" >"$tmp" ||
                { rm -f "$tmp"; die "$TEMPLATE : il faut exactement une fois Version=, MinimumDiskSize=, Expires= ([Profile]) et Location=, SHA256=, Bmap=, BmapSHA256= ([Image])"; }
        chmod 0644 "$tmp"
        if cmp -s "$tmp" "$prof" && [[ -f $prof.sig ]] &&
                openssl pkeyutl -verify -rawin -pubin -inkey "$PUB" -in "$prof" -sigfile "$prof.sig" >/dev/null 2>&1; then
                rm -f "$tmp"    # unchanged and signed by this key: left as it is
                return 0
        fi
        mv -f "$tmp" "$prof"
        openssl pkeyutl -sign -rawin -inkey "$KEY" -in "$prof" -out "$prof.sig.tmp" 2>>"$LOG" ||
                die "openssl pkeyutl -sign a échoué (clé $KEY)"
        mv -f "$prof.sig.tmp" "$prof.sig"
        openssl pkeyutl -verify -rawin -pubin -inkey "$PUB" -in "$prof" -sigfile "$prof.sig" >/dev/null 2>&1 ||
                die "la signature de $prof ne se vérifie pas avec $PUB"
}

report_versions() {
        local p v
        for p in linux-image-amd64 libreoffice-writer libreoffice-calc libreoffice-impress firefox-esr evince atril \
                clamav clamtk x11vnc xfce4 lightdm hostname; do
                v=$(awk -v p="$p" '$1 == p { print $2 }' "$BUILD/packages.txt")
                [[ -n $v ]] && printf '    %-22s %s\n' "$p" "$v"
        done
        return 0
}

# ---------------------------------------------------------------------------

ensure_tools
# One run per build key at a time (the build folder and OUT); the apt cache
# is locked only while mmdebstrap uses it (wait_lock in build_rootfs).
wait_lock() { # FD WHAT
        flock -n "$1" && return 0
        say "    $2 : attente de l'autre construction…"
        flock "$1"
}
exec 9>"$BUILD.lock"
wait_lock 9 "construction $FLAVOUR-$BUILD_KEY déjà en cours"
LOG=$BUILD.log
[[ -f $BUILD/done && $REBUILD == 0 ]] && LOG=$BUILD/build.log
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "mkimage : $FLAVOUR ($NAME $VERSION), clé de construction $BUILD_KEY"
if (( REBUILD == 0 )) && [[ -f $BUILD/done ]]; then
        say "    construction en cache : $BUILD"
        CACHED=1
else
        CACHED=0
        : >"$LOG"
        remove_work
        rm -rf "$BUILD"
        mkdir -p "$WORK"
        ROOT_UUID=$(derived_uuid root-fs)
        ESP_ID=$(derived_uuid esp-fs | tr a-f A-F | cut -c1-8 | sed 's/^\(....\)/\1-/')
        BOOT_DETAIL=none

        step "mmdebstrap ($SUITE, ${#PACKAGES[@]} paquets demandés)"
        build_rootfs
        step "finitions (fstab, grub.cfg, vérifications)"
        finish_rootfs
        step "système de fichiers ext4 (mkfs.ext4 -d)"
        make_root_fs
        step "partition EFI (mkfs.vfat -C, mtools)"
        make_esp
        step "image GPT (sfdisk, dd)"
        assemble_image
        step "bmap (bmaptool create)"
        bmaptool create -o "$WORK/image.img.bmap" "$WORK/image.img" >>"$LOG" 2>&1 || die "bmaptool create a échoué"
        step "compression (zstd -$ZSTD_LEVEL --long -T0)"
        zt0=$(date +%s%N)
        nice -n 10 zstd -q -T0 "-$ZSTD_LEVEL" --long "$WORK/image.img" -o "$WORK/image.img.zst" ||
                die "zstd a échoué"
        ZSTD_SECONDS=$(( ($(date +%s%N) - zt0) / 1000000000 ))
        step_end

        mkdir -p "$BUILD.new"
        mv "$WORK/image.img" "$WORK/image.img.bmap" "$WORK/image.img.zst" "$WORK/packages.txt" "$BUILD.new/"
        {
                printf 'flavour=%s\nkey=%s\nroot_uuid=%s\nesp_id=%s\nboot=%s\nzstd_level=%s\nzstd_seconds=%s\n' \
                        "$FLAVOUR" "$BUILD_KEY" "$ROOT_UUID" "$ESP_ID" "$BOOT_DETAIL" "$ZSTD_LEVEL" "$ZSTD_SECONDS"
                printf 'built=%s\nbuild_seconds=%s\n' "$(date -u +%FT%TZ)" $(( $(date +%s) - T_ALL ))
        } >"$BUILD.new/build.info"
        touch "$BUILD.new/done"
        mv "$BUILD.new" "$BUILD"
        mv "$LOG" "$BUILD/build.log"
        LOG=$BUILD/build.log
fi

step "publication dans $OUT (profil signé)"
ensure_key
publish_file "$BUILD/image.img.zst" "$OUT/$BASE.img.zst"
publish_file "$BUILD/image.img.bmap" "$OUT/$BASE.img.bmap"
publish_file "$BUILD/packages.txt" "$OUT/$BASE.packages"
(( WITH_RAW )) && publish_file "$BUILD/image.img" "$OUT/$BASE.img"
write_profile
step_end

RAW=$(stat -c %s "$BUILD/image.img")
MAPPED=$(awk -F'[<>]' '/<MappedBlocksCount>/ { m = $3 } /<BlockSize>/ { b = $3 } END { printf "%.0f", m * b }' \
        "$BUILD/image.img.bmap")
ZST=$(stat -c %s "$BUILD/image.img.zst")
say ""
say "Image $NAME $VERSION ($FLAVOUR) :"
printf '    brute    %10s  (%s octets, creuse : %s sur le disque)\n' "$(human "$RAW")" "$RAW" \
        "$(human $(( $(stat -c %b "$BUILD/image.img") * 512 )))"
printf '    utile    %10s  (%s octets listés dans le bmap)\n' "$(human "$MAPPED")" "$MAPPED"
printf '    zstd     %10s  (%s octets, niveau %s, %s s de compression)\n' "$(human "$ZST")" "$ZST" "$ZSTD_LEVEL" \
        "$(awk -F= '$1 == "zstd_seconds" { print $2 }' "$BUILD/build.info")"
say "    paquets installés : $(wc -l <"$BUILD/packages.txt") ; démarrage : $(awk -F= '$1 == "boot" { print $2 }' "$BUILD/build.info")"
report_versions
say "Fichiers :"
for f in "$OUT/$BASE".*; do
        printf '    %s\n' "$f"
done
say "Étapes :"
(( CACHED )) && say "    (image reprise du cache : $BUILD)"
printf '    %s\n' "${STEPS[@]}"
printf '    %-38s %5d s\n' "total" $(( $(date +%s) - T_ALL ))
exit 0
}
