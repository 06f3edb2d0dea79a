/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct rfd_store;

/* Search of the certificates for the supervisors' page (rfd-store-search.c).
 * Erasure and refurbishment certificates (validation statements show with
 * the certificate they are about) whose id, drive serial (as certified or as
 * recorded, or of a drive of the asset), asset tag or serial, donor
 * reference or donor organisation contains text, case-insensitively (ASCII
 * and the accented capitals of French: É = é), newest first, at most limit.
 * text: 1-64 characters of UTF-8 (the caller checks), taken literally (% and
 * _ are no wildcards). Each row: {id, seq, kind, job_id (0: none),
 * created_at, sha256, serial, model, result, asset_tag, donor_reference,
 * organisation}. *ret_more: more than limit matched. */
int rfd_store_certs_search(struct rfd_store *s, const char *text, unsigned limit, json_t **ret, bool *ret_more);
