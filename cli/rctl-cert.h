/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rf-i18n.h"

/* Verification of an erasure certificate: the detached CMS signature of the
 * JSON text, against trusted bench certificate(s); the text must be
 * canonical JSON (what the bench signs) and a known certificate format. */

#define RCTL_CERT_FORMAT "refurb-erasure-certificate/1"

struct rctl_verdict {
        json_t *doc;              /* the parsed document (when the JSON could be read) */
        char signer_cn[256];      /* common name of the signer, sanitised */
        char signer_sha256[65];   /* SHA-256 fingerprint of the signer's certificate */
        char why[1024];           /* when invalid: the reason, in the user's language */
};

void rctl_verdict_clear(struct rctl_verdict *v);

/* 0 when valid; -EBADMSG when not (v->why says why: modified content, other
 * signer, unreadable signature, not canonical, ...); -ENOKEY when
 * trusted_pem holds no readable certificate (nothing can be said then:
 * v->why); -ENOMEM. */
int rctl_cert_check(const char *text, size_t len, const char *sig_pem, const char *trusted_pem, enum rf_lang lang,
                    struct rctl_verdict *v);

/* Largest PEM file read (bench certificate, signature). */
#define RCTL_PEM_MAX (1024u * 1024u)

/* Whether two PEM texts hold the same (first) certificate. */
bool rctl_pem_same_cert(const char *a, const char *b);

/* A certificate id or prefix from the command line: hex digits and '-',
 * 4 to 64 characters. */
int rctl_cert_id_valid(const char *s);
