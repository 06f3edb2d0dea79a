/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rfd-config.h"
#include "rfd-store.h"

/* The two documents of intake (docs/intake.md), signed by the bench key
 * and chained in the ledger with the erasure certificates (job_id 0). */

#define RFD_REFURB_CERT_FORMAT "refurb-refurbishment-certificate/1"
#define RFD_VALIDATION_FORMAT "refurb-validation/1"
#define RFD_VALIDATION_NAME_MAX 200

/* The refurbishment certificate of an asset: its identity, its donor, each
 * drive with the id, SHA-256 and result of its erasure certificate.
 * -ENOENT (unknown tag), -ENODATA (no drive linked), -EINPROGRESS (a
 * drive has no erasure certificate yet). */
int rfd_intake_refurbishment_issue(struct rfd_store *store, EVP_PKEY *key, X509 *cert,
                                   const struct rfd_config *config, const char *tag, char **ret_id);

/* A supervisor's validation of a certificate (erasure or refurbishment):
 * -ENOENT, -ENOTUNIQ (prefix), -EINVAL (name/title, or the certificate is
 * itself a validation). */
int rfd_intake_validation_issue(struct rfd_store *store, EVP_PKEY *key, X509 *cert,
                                const struct rfd_config *config, const char *cert_id, const char *name,
                                const char *title, char **ret_id);
