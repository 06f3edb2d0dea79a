/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <cairo.h>
#include <jansson.h>
#include <stdbool.h>

#include "rf-i18n.h"
#include "rpt-draw.h"

/* The top of a sheet, from the signed document root: logo, organisation and
 * bench (with its host name when show_host and it differs), certificate
 * number and issue date on the right, a rule, then title and subtitle.
 * org_default is shown when the bench has no organisation. */
void rpt_page_header(struct rpt_doc *d, const json_t *root, cairo_surface_t *logo, enum rf_lang lang,
                     const char *org_default, bool show_host, const char *title, const char *subtitle);

/* The signed record at the foot of a sheet, kept on one page: the QR code
 * (RPT_QR_PREFIX id:sha256) beside the identifier, sequence number,
 * document and signer SHA-256 and one more row (last_label/last_value),
 * then qr_note under them when not NULL, then the supervisor's validation
 * box. */
int rpt_page_record(struct rpt_doc *d, const json_t *root, const json_t *validations, const char *id,
                    const char *sha256, enum rf_lang lang, const char *last_label, const char *last_value,
                    const char *qr_note);
