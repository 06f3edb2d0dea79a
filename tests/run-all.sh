#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/run-all.sh — everything from a fresh Debian 12 machine, as root:
#   1. installs the build and test dependencies (apt-get),
#   2. builds refurb (meson + ninja) in build/,
#   3. runs every test: `meson test -C build --print-errorlogs` (the unit
#      tests, and the integration tests on loop devices with a real udevd),
#   4. builds an ASan+UBSan variant in build-asan/ and runs the unit tests
#      under it (`meson test -C build-asan --suite unit`).
# Exits non-zero when any test fails. Prints "N passed, N failed, N skipped".
#
#   tests/run-all.sh          all of the above
#   tests/run-all.sh deps     only install the dependencies (used by the demo)
#
# Environment: RF_BUILDDIR (default build), RF_ASAN_BUILDDIR (default
# build-asan), RF_NO_APT=1 to skip the installation step, RF_NO_ASAN=1 to
# skip step 4, RF_LINT=0 to skip shellcheck and clang-tidy (run by default).
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=$PWD

PACKAGES=(
        # build
        meson ninja-build pkg-config gcc libc6-dev
        libevent-dev libudev-dev libjansson-dev libsqlite3-dev libcmocka-dev
        libssl-dev libcurl4-openssl-dev libblkid-dev libsystemd-dev
        # PDF certificates: cairo + pango with a packaged font, QR codes
        libcairo2-dev libpango1.0-dev libqrencode-dev libfontconfig-dev fonts-dejavu-core
        # imaging: zstd streams, bmap files (libxml2), partitions (libparted)
        libzstd-dev libxml2-dev libparted-dev
        # run and integration tests
        udev util-linux fdisk mount e2fsprogs ntfs-3g dosfstools mtools
        openssl jq sqlite3 procps coreutils grep mawk python3 poppler-utils zbar-tools
        # imaging tests: test images built with mmdebstrap (cached), bmaps,
        # minisign-signed profiles, the peers of the image benchmark
        mmdebstrap bmap-tools zstd minisign
        # QEMU tests (tests/vm): a Debian kernel is fetched into a cache by the tests
        qemu-system-x86 qemu-utils busybox-static
        # network API tests (TLS clients) and the web pages in a real browser
        # (tests/web: Debian's chromium, playwright-core from npm, cached)
        curl chromium
)
LINT_PACKAGES=(shellcheck clang-tidy-19)

say() { printf '\n##### %s\n' "$*"; }

install_deps() {
        local missing=() p
        for p in "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
        done
        if (( ${#missing[@]} == 0 )); then
                echo "dependencies already installed"
                return 0
        fi
        if [[ $(id -u) != 0 ]]; then
                echo "missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
                return 1
        fi
        say "apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

# Node.js and npm drive the browser tests; a machine that has its own
# (not from Debian) keeps it, any other gets Debian's.
node_deps() {
        if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
                install_deps nodejs npm
        fi
}

if [[ ${1:-} == deps ]]; then
        install_deps "${PACKAGES[@]}"
        node_deps
        exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [deps]" >&2; exit 2; }

B=${RF_BUILDDIR:-build}
BA=${RF_ASAN_BUILDDIR:-build-asan}

if [[ ${RF_NO_APT:-0} != 1 ]]; then
        say "dependencies"
        install_deps "${PACKAGES[@]}"
        node_deps
        [[ ${RF_LINT:-1} == 1 ]] && install_deps "${LINT_PACKAGES[@]}"
fi

if [[ $(id -u) != 0 ]]; then
        echo "note: not root: the integration tests will be skipped (they need loop devices)" >&2
fi

# meson's per-test results -> "passed failed skipped"
count_results() { # TESTLOG.JSON
        jq -rs '[ (map(select(.result == "OK")) | length),
                  (map(select(.result == "FAIL" or .result == "TIMEOUT" or .result == "ERROR"
                              or .result == "UNEXPECTEDPASS")) | length),
                  (map(select(.result == "SKIP" or .result == "EXPECTEDFAIL")) | length) ] | @tsv' "$1"
}

setup() { # DIR [meson options]
        local dir=$1
        shift
        if [[ -f $dir/build.ninja ]]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@"
        fi
}

status=0
total_pass=0 total_fail=0 total_skip=0

run_suite() { # LABEL BUILDDIR [meson test args]
        local label=$1 dir=$2 rc=0 p f s
        shift 2
        say "meson test -C $dir $* ($label)"
        rm -f "$dir/meson-logs/testlog.json"
        meson test -C "$dir" --print-errorlogs "$@" || rc=$?
        if [[ -f $dir/meson-logs/testlog.json ]]; then
                read -r p f s < <(count_results "$dir/meson-logs/testlog.json")
        else
                p=0 f=1 s=0
        fi
        printf '%s: %d passed, %d failed, %d skipped\n' "$label" "$p" "$f" "$s"
        total_pass=$(( total_pass + p ))
        total_fail=$(( total_fail + f ))
        total_skip=$(( total_skip + s ))
        if (( rc != 0 )); then
                status=1
                (( f > 0 )) || total_fail=$(( total_fail + 1 ))
        fi
}

build_failed() { # WHAT
        echo "$1: build failed"
        status=1
        total_fail=$(( total_fail + 1 ))
}

say "build ($B)"
if setup "$B" && ninja -C "$B"; then
        run_suite "all" "$B"
else
        build_failed "$B"
fi

if [[ ${RF_NO_ASAN:-0} != 1 ]]; then
        # -Werror stays on in the normal build; with the sanitizers gcc emits
        # false positives (-Wstringop-overread, -Wmaybe-uninitialized...), so
        # warnings do not stop this one.
        say "build with AddressSanitizer + UndefinedBehaviorSanitizer ($BA)"
        if setup "$BA" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false && ninja -C "$BA"; then
                export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
                export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
                run_suite "unit-asan-ubsan" "$BA" --suite unit
        else
                build_failed "$BA"
        fi
fi

if [[ ${RF_LINT:-1} == 1 ]]; then
        say "shellcheck"
        lint_rc=0
        shellcheck -S warning -x -P SCRIPTDIR/../lib tests/lib/*.sh tests/integration/*.sh tests/run-all.sh \
                demo/*.sh tests/vm/*.sh tests/web/*.sh bench/*.sh profiles/*.sh .ci/run || lint_rc=$?
        say "clang-tidy"
        # clang-tidy 19 (Debian 12 has it): 14 misreads the cleanup attribute.
        mapfile -t csrc < <(git -C "$SRC" ls-files '*.c' 2>/dev/null || find common wiper daemon cli tests/unit -name '*.c')
        run-clang-tidy-19 -quiet -p "$B" -j "$(nproc)" "${csrc[@]/#/$SRC/}" >"$B/clang-tidy.log" 2>&1 || lint_rc=$?
        grep -E '(warning|error):' "$B/clang-tidy.log" | sort -u || true
        if (( lint_rc != 0 )); then
                echo "lint: failed"
                status=1
                total_fail=$(( total_fail + 1 ))
        else
                total_pass=$(( total_pass + 1 ))
        fi
fi

say "summary"
echo "logs: $B/meson-logs/testlog.txt, $BA/meson-logs/testlog.txt"
printf 'tests: %d passed, %d failed, %d skipped\n' "$total_pass" "$total_fail" "$total_skip"
exit "$status"
