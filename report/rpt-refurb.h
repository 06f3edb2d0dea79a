/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "rf-i18n.h"

#define RPT_REFURB_FORMAT "refurb-refurbishment-certificate/1"

/* The refurbishment certificate of an asset (docs/intake.md) on one A4
 * sheet (more pages only for a long list of drives): the asset, its donor,
 * each drive with the id, SHA-256 and result of its erasure certificate,
 * the system image, the reference of the signed record with a QR code
 * ("refurb-cert:v1:<id>:<sha256>", RPT_QR_PREFIX) and the supervisor's box.
 * Drawn from the signed JSON text alone, as rpt_certificate_pdf() (same
 * arguments, same errors; validations as there). The caller verifies the
 * signature first. */
int rpt_refurbishment_pdf_mem(const char *json_text, size_t len, const char *sha256_hex, const json_t *validations,
                              enum rf_lang lang, const char *logo_png, char **ret, size_t *ret_len);
