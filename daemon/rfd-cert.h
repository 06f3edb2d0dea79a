/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rfd-config.h"
#include "rfd-store.h"
#include "wipe-device.h"
#include "wipe-erase.h"
#include "wipe-overwrite.h"

/* The erasure certificate, first form: a JSON document (see
 * docs/certificate.md) in canonical form, signed as a detached CMS
 * signature by the bench's key. Only what happened goes in: the result is
 * "erased" only when every byte was written, the flush succeeded, the
 * verification passed with no exception and libblkid found nothing. */

struct rfd_cert_input {
        const struct rfd_config *config;
        const struct wipe_device *device;          /* identity as probed at insertion */
        const char *content_before;                /* summary of what was on it */
        const struct rfd_job_record *job;          /* final state, times, counters */
        /* The whole erase run (firmware method, read-back, fallback,
         * hidden areas, health). When NULL, run alone describes an
         * overwrite-only job. */
        const struct wipe_erase_result *erase;
        /* The overwrite, when one ran (NULL after a firmware erase). */
        const struct wipe_overwrite_result *run;
        char *const *signatures_after;             /* from wipe_check_signatures(); NULL-terminated */
        const char *bench_cert_sha256;             /* fingerprint of the signer */
        /* The asset the drive belongs to at issue time ({tag, type, donor:
         * {organisation, reference} | null}, docs/intake.md), NULL: none. */
        const json_t *asset;
};

/* Decide the result: 1 = erased, 0 = not erased; *reason gets the plain
 * French reason when not erased (static string or NULL). */
int rfd_cert_result(const struct rfd_cert_input *in, const char **reason_fr);
/* The same decision with the precise reason ("erreurs d'écriture sur 2
 * zones ; une signature subsiste après effacement : ext4@1024"), the one
 * the certificate carries: *ret_reason_fr is malloc'd, NULL when erased.
 * signatures_after == NULL means the check was not done: not erased. */
int rfd_cert_result_detail(const struct rfd_cert_input *in, char **ret_reason_fr);

/* Build the certificate JSON object (id, seq and prev hash filled in). */
int rfd_cert_build(const struct rfd_cert_input *in, const char *id, int64_t seq, const char *prev_sha256,
                   json_t **ret);

/* Build, canonicalise, sign with key/cert and store in the database.
 * Returns the certificate id in *ret_id (malloc'd). */
int rfd_cert_issue(struct rfd_store *store, EVP_PKEY *key, X509 *cert, const struct rfd_cert_input *in,
                   char **ret_id);
