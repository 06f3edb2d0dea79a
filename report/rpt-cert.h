/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "rf-i18n.h"

/* The erasure certificate on paper: one A4 PDF (more pages only when the
 * exceptions need them) drawn from the signed JSON text alone
 * (docs/certificate.md, docs/certificate-pdf.md). The caller verifies the
 * signature first: this renders whatever it is given, treating every
 * string of it as untrusted text.
 *
 * json_text/len: the certificate's JSON text, as signed.
 * sha256_hex: its SHA-256 as the record gives it (64 hex digits), or NULL;
 *   the digest printed and put in the QR code is always computed from
 *   json_text, and a given sha256_hex that differs is refused.
 * validations: NULL, or an array of parsed "refurb-validation/1" documents
 *   (docs/intake.md) whose signatures the caller has verified; those about
 *   this certificate (certificate_id and certificate_sha256 match) are
 *   printed in the supervisor's box ("Validé par NAME (TITLE) le DATE"),
 *   the others are skipped. None: the box keeps empty lines to sign by hand.
 * logo_png: a PNG drawn in the header, or NULL.
 *
 * A "refurb-refurbishment-certificate/1" document is drawn as the
 * refurbishment sheet (rpt-refurb.h) with the same arguments.
 *
 * Returns 0, or -EINVAL (not a JSON object, no usable id, an unknown
 * result, a sha256_hex that is not 64 hex digits), -EPROTONOSUPPORT (another
 * certificate format), -EBADMSG (sha256_hex does not match json_text),
 * -ENOENT/-EIO/-EINVAL/-EFBIG for the logo (see rpt_logo_load), -ENOMEM,
 * or the error of writing out_path (written atomically). */
int rpt_certificate_pdf(const char *json_text, size_t len, const char *sha256_hex, const json_t *validations,
                        enum rf_lang lang, const char *logo_png, const char *out_path);

/* Same, the PDF bytes into *ret (malloc'd), *ret_len. */
int rpt_certificate_pdf_mem(const char *json_text, size_t len, const char *sha256_hex, const json_t *validations,
                            enum rf_lang lang, const char *logo_png, char **ret, size_t *ret_len);

/* What the QR code carries: "refurb-cert:v1:<id>:<sha256>". */
#define RPT_QR_PREFIX "refurb-cert:v1:"
