/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>

#include "rf-i18n.h"

/* The report of one donation: who gave the drives, what became of each,
 * and which ones must be physically destroyed. One A4 PDF (the table of
 * drives continues on further pages when needed).
 *
 * Input (docs/certificate-pdf.md, "Donation report"), built from the intake
 * records and the certificates:
 *
 *   {
 *     "donor": {
 *       "organisation": "Mairie de Villeurbanne",   string or null
 *       "contact": "M. Dupont, 04 …",               string or null
 *       "reference": "DON-2026-0042",               string or null
 *       "date": "2026-11-20"                        string or null: YYYY-MM-DD
 *                                                   or an ISO 8601 UTC time
 *     },
 *     "drives": [                                   array (may be empty)
 *       {
 *         "asset_tag": "RB-00017",                  string or null
 *         "serial": "Z3T8K1QX",                     string or null
 *         "model": "ST500DM002-1BD142",             string or null
 *         "result": "erased",                       "erased", "not-erased",
 *                                                   or null (not erased yet)
 *         "category": "Clear",                      "Purge", "Clear", "none" or null
 *         "certificate_id": "6f1c2a9e-…",           string or null
 *         "to_destroy": false                       boolean (missing: false)
 *       }
 *     ]
 *   }
 *
 * A drive is to be destroyed when its result is "not-erased" or when
 * to_destroy is true (it reports a failure). Other members are ignored.
 * Every string is untrusted text: shown as plain text, cleaned, capped.
 *
 * Returns 0, -EINVAL (donor is not an object, drives is not an array of
 * objects), -E2BIG (more than RPT_DONATION_MAX_DRIVES drives), -ENOMEM, or
 * the error of writing out_path (written atomically). */
#define RPT_DONATION_MAX_DRIVES 5000

int rpt_donation_pdf(const json_t *report, enum rf_lang lang, const char *out_path);
int rpt_donation_pdf_mem(const json_t *report, enum rf_lang lang, char **ret, size_t *ret_len);
