#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue and print erasure certificates: for each of N certificates, build
# the document as refurbd does, canonicalise it (RFC 8785), sign it (CMS,
# throwaway ECDSA P-256 bench key made in a temporary directory), then
# draw its PDF (report/rpt-cert.c: cairo + pango + QR code) in memory.
# Prints mean, median, p95 and max per certificate for each step; the
# target is under 50 ms per certificate, PDF included.
#
#   bench/pdf-certificates.sh [N]          N: 1000 (default)
#
# Environment:
#   RPT_BENCH   rpt-bench binary (default: the newest build*/report/rpt-bench)
#   LANG_PDF    fr (default) or en
#   CSV         write one line per certificate (n,sign_ms,render_ms,total_ms,pdf_bytes) there
#   KEEP        a directory: also write every PDF there (the time then includes the write)
#
# One process, one thread: the figures are per certificate on one core.
# Every tenth certificate is "not erased" with 3 exceptions.
set -euo pipefail

N=${1:-1000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${RPT_BENCH:-} ]]; then
        # shellcheck disable=SC2012 # names are ours; newest first
        RPT_BENCH=$(ls -t "$here"/build*/report/rpt-bench 2>/dev/null | head -n 1 || true)
fi
if [[ -z ${RPT_BENCH:-} || ! -x $RPT_BENCH ]]; then
        echo "rpt-bench not found: build it (ninja -C build report/rpt-bench) or set RPT_BENCH" >&2
        exit 1
fi
args=(-n "$N" --lang "${LANG_PDF:-fr}")
[[ -n ${CSV:-} ]] && args+=(--csv "$CSV")
[[ -n ${KEEP:-} ]] && mkdir -p "$KEEP" && args+=(--keep "$KEEP")

echo "rpt-bench: $RPT_BENCH"
echo "machine: $(nproc) CPU, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$RPT_BENCH" "${args[@]}"
