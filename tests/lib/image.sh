# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The test image of the integration tests, sourced after lib.sh:
#
#     source "${TESTLIB:?}"
#     source "$(dirname "$TESTLIB")/image.sh"
#     rf_test_image IMG      # IMG=/var/cache/refurb-images/test-<key>
#
# or `bash tests/lib/image.sh` (prints the folder; CI can build it first).
#
# rf_test_image builds (once) the "test" flavour of profiles/mkimage.sh: a
# minimal Debian 12 with Firefox ESR, in a GPT image like the classroom one
# (ESP + ext4 root), its bmap, its zstd file and its profile signed with a
# fixed test key. The folder holds:
#     classe-test-<version>.img            raw image (sparse)
#     classe-test-<version>.img.zst        what the profile's Location= names
#     classe-test-<version>.img.bmap
#     classe-test-<version>.profile(.sig)  signed with test-dsi.key
#     classe-test-<version>.packages       "name version" of every package
#     test-dsi.key, test-dsi.pub.pem       the fixed test key (Ed25519)
# <key> hashes what decides the image (mkimage.sh --print-key): a changed
# script or package list gives a new folder, built once (about 3-4 minutes
# on 2 cores; the .debs are cached in /var/cache/refurb-images/apt).
#
# Skips the test (exit 77, reason printed) when the image is not built yet
# and cannot be: not root, the Debian mirror unreachable (and no apt lists
# cached), not enough disk space, mmdebstrap not installable.
#
# Environment: RF_IMAGE_CACHE (default /var/cache/refurb-images).

RF_IMAGE_CACHE=${RF_IMAGE_CACHE:-/var/cache/refurb-images}
RF_IMAGE_MKIMAGE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../profiles" && pwd)/mkimage.sh

# The fixed test key: an Ed25519 key whose 32-byte seed is the SHA-256 of a
# public sentence. Anyone can sign with it: a bench must never trust it.
rf_test_key() { # FILE: writes the private key (PEM) and FILE%.key.pub.pem
        local key=$1 seed der
        seed=$(printf 'refurb: test DSI key, public on purpose, never trust it on a bench' | sha256sum | cut -c1-64)
        der=$(mktemp)
        # PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410) around the seed.
        printf '%b' "$(printf '302e020100300506032b657004220420%s' "$seed" | sed 's/../\\x&/g')" >"$der"
        (umask 077 && openssl pkey -inform DER -in "$der" -out "$key.tmp") || { rm -f "$der" "$key.tmp"; return 1; }
        rm -f "$der"
        mv -f "$key.tmp" "$key"
        openssl pkey -in "$key" -pubout -out "${key%.key}.pub.pem"
}

# The folder is complete: every file there and the profile's signature
# checks with the test key.
rf_test_image_complete() { # DIR
        local d=$1 p
        p=$(compgen -G "$d/*.profile" | head -1) || return 1
        [[ -f $p && -f $p.sig && -f $d/test-dsi.key && -f $d/test-dsi.pub.pem ]] || return 1
        [[ -n $(compgen -G "$d/*.img") && -n $(compgen -G "$d/*.img.zst") && -n $(compgen -G "$d/*.img.bmap") ]] ||
                return 1
        openssl pkeyutl -verify -rawin -pubin -inkey "$d/test-dsi.pub.pem" -in "$p" -sigfile "$p.sig" >/dev/null 2>&1
}

rf_test_image_skip() {
        if declare -F skip >/dev/null; then
                skip "$*"
        fi
        printf 'SKIP: %s\n' "$*"
        exit 77
}

rf_test_image_fail() {
        if declare -F fail >/dev/null; then
                fail "$*"
        fi
        printf 'FAIL: %s\n' "$*" >&2
        exit 1
}

rf_test_image_info() {
        if declare -F info >/dev/null; then info "$*"; else printf '    .. %s\n' "$*"; fi
}

rf_test_image_mirror_ok() {
        local url=http://deb.debian.org/debian/dists/bookworm/InRelease
        if command -v curl >/dev/null 2>&1; then
                curl -sfI --max-time 15 -o /dev/null "$url"
        else
                timeout 15 bash -c 'exec 3<>/dev/tcp/deb.debian.org/80' 2>/dev/null
        fi
}

# rf_test_image VAR: VAR = the folder of the test image (built if needed).
rf_test_image() {
        local var=$1 key dir log free f t0
        [[ -f $RF_IMAGE_MKIMAGE ]] || rf_test_image_fail "profiles/mkimage.sh absent ($RF_IMAGE_MKIMAGE)"
        key=$(bash "$RF_IMAGE_MKIMAGE" --flavour test --print-key) ||
                rf_test_image_fail "mkimage.sh --print-key failed"
        dir=$RF_IMAGE_CACHE/test-$key
        if ! rf_test_image_complete "$dir"; then
                [[ $(id -u) == 0 ]] || rf_test_image_skip "the test image is not built ($dir) and building it needs root"
                mkdir -p "$RF_IMAGE_CACHE"
                free=$(df -Pm "$RF_IMAGE_CACHE" | awk 'NR == 2 { print $4 }')
                (( free >= 4096 )) ||
                        rf_test_image_skip "$RF_IMAGE_CACHE has $free MiB free; building the test image needs 4 GiB"
                if ! rf_test_image_mirror_ok && [[ -z $(compgen -G "$RF_IMAGE_CACHE/apt/lists-*/.complete") ]]; then
                        rf_test_image_skip "the Debian mirror (deb.debian.org) is unreachable and the test image is not cached in $dir"
                fi
                if ! command -v mmdebstrap >/dev/null 2>&1 &&
                        ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap \
                                </dev/null >/dev/null 2>&1; then
                        rf_test_image_skip "mmdebstrap is not installed and apt-get install mmdebstrap failed"
                fi
                mkdir -p "$dir"
                [[ -f $dir/test-dsi.key ]] || rf_test_key "$dir/test-dsi.key" ||
                        rf_test_image_fail "cannot write the test key in $dir"
                log=$(mktemp "${TMPDIR:-/tmp}/rf-mkimage.XXXXXX")
                rf_test_image_info "building the test image into $dir (log $log; a few minutes, once)"
                t0=$(date +%s)
                if ! bash "$RF_IMAGE_MKIMAGE" --flavour test --out "$dir" --key "$dir/test-dsi.key" \
                        --cache "$RF_IMAGE_CACHE" --with-raw >"$log" 2>&1; then
                        if grep -q 'injoignable' "$log"; then
                                rf_test_image_skip "the Debian mirror became unreachable while building the test image: $(tail -n 3 "$log")"
                        fi
                        rf_test_image_fail "profiles/mkimage.sh --flavour test failed: $(tail -n 25 "$log")"
                fi
                rm -f "$log"
                rf_test_image_info "test image built in $(( $(date +%s) - t0 )) s"
                rf_test_image_complete "$dir" || rf_test_image_fail "mkimage.sh succeeded but $dir is incomplete"
                # Folders of older test images (another script version), unused for an hour.
                for f in "$RF_IMAGE_CACHE"/test-* "$RF_IMAGE_CACHE"/build/test-*; do
                        [[ -e $f && $f != "$dir" && $f != "$RF_IMAGE_CACHE/build/test-$key"* ]] || continue
                        if [[ -n $(find "$f" -maxdepth 0 -mmin +60) ]]; then
                                rm -rf --one-file-system "$f"
                        fi
                done
        fi
        for f in "$dir"/*; do
                rf_test_image_info "test image file: $(basename "$f") ($(stat -c %s "$f") bytes)"
        done
        printf -v "$var" '%s' "$dir"
}

# Run directly (bash tests/lib/image.sh), e.g. by CI before the tests to
# build the image outside their time limit: prints the folder; exit 77 when
# it cannot be built here.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
        set -euo pipefail
        rf_test_image RF_TEST_IMAGE_DIR
        printf '%s\n' "$RF_TEST_IMAGE_DIR"
fi
