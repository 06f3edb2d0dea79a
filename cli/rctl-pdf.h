/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "rctl.h"

/* refurbctl cert pdf ID [--output FILE|DIR] [--lang fr|en] [--logo PNG]
 * [--ca CERT.pem]: fetch certificate ID, verify it as "cert verify" does
 * (SHA-256 of the text, CMS signature against the bench's certificate or
 * --ca, canonical form, format, announced signer), then draw it as a PDF
 * (report/rpt-cert.h) into ID.pdf, FILE, or DIR/ID.pdf: an erasure or a
 * refurbishment certificate. The supervisor validations refurbd lists for it
 * are verified the same way (and must name this certificate's id and
 * SHA-256); the verified ones are printed in the supervisor's box, the
 * others only get a warning on stderr. Nothing is drawn from an unverified
 * document. argv[0] is "pdf"; logo may be NULL.
 * Returns an exit code. */
int rctl_cert_pdf(struct rctl_ctx *ctx, const char *logo, int argc, char **argv);
