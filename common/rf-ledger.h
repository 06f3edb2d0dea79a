/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bench's ledger: every erasure certificate, numbered 1, 2, 3, ...
 * ("sequence"), each naming the SHA-256 of the previous one's JSON text
 * ("previous_sha256") and signed (detached CMS). rf_ledger_check() tells
 * whether a series of certificates is that chain, whole and unaltered, and
 * if not, which entries are concerned and how (docs/ledger.md). Pure: no
 * daemon, no files, so refurbctl checks an exported ledger offline. */

#define RF_LEDGER_HEAD_FORMAT "refurb-ledger-head/1"

/* One certificate as recorded or exported. seq is the number the record
 * (database row, file name) gives it; the document's own "sequence" is what
 * the chain is checked with. signature_pem may be NULL (bad-signature). */
struct rf_ledger_entry {
        int64_t seq;
        const char *id;
        const char *json_text;
        size_t json_len;
        const char *signature_pem;
};

enum rf_ledger_kind {
        RF_LEDGER_MODIFIED = 0,   /* the entry's text is not the one the chain holds */
        RF_LEDGER_MISSING,        /* entries absent between two others, or after the last one */
        RF_LEDGER_REORDERED,      /* out of order, twice, or filed under another number */
        RF_LEDGER_BAD_SIGNATURE,  /* signature broken, unreadable, or by an untrusted key */
        RF_LEDGER_NOT_CANONICAL,  /* not JSON, or not in the canonical form the bench signs */
        _RF_LEDGER_KIND_MAX,
};

const char *rf_ledger_kind_to_string(enum rf_ledger_kind k);

struct rf_ledger_finding {
        enum rf_ledger_kind kind;
        int64_t seq;       /* the entry concerned (missing: the first absent one) */
        int64_t other_seq; /* missing: the next present entry (0: none); reordered: its neighbour; else 0 */
        char message_fr[400];
        char message_en[400];
};

struct rf_ledger_result {
        struct rf_ledger_finding *findings;
        size_t n_findings;
        size_t count;          /* entries examined */
        int64_t first_seq;     /* lowest sequence (0 when empty) */
        int64_t last_seq;      /* highest sequence (0 when empty) */
        char last_sha256[65];  /* SHA-256 of the text of the entry last_seq ("" when empty) */
};

void rf_ledger_result_clear(struct rf_ledger_result *r);

/* Check entries (in the order given: the ledger's order) against the
 * trusted certificate(s) in PEM text trusted_pem (one or several: the
 * bench's present key and the ones it replaced). Fills *ret (which the
 * caller clears) and returns 0 whatever is found; -ENOMEM or -EINVAL
 * (NULL arguments) otherwise. No finding means the ledger is intact. */
int rf_ledger_check(const struct rf_ledger_entry *entries, size_t n, const char *trusted_pem,
                    struct rf_ledger_result *ret);

/* Compare a checked ledger with a head statement made earlier (head.json:
 * {format, bench, count, last_seq, last_sha256, exported_at}), kept off the
 * bench: the entry last_seq must still be there with the same SHA-256 (a
 * "missing" finding when the ledger now ends before it, "modified" when its
 * text changed). The head's own signature is the caller's business.
 * Returns 0, -EINVAL when head is not a head statement, -ENOMEM. */
int rf_ledger_check_head(const struct rf_ledger_entry *entries, size_t n, const json_t *head,
                         struct rf_ledger_result *res);

/* The head statement of a ledger, canonical JSON text (malloc'd). */
int rf_ledger_head_text(const char *bench, size_t count, int64_t last_seq, const char *last_sha256,
                        const char *exported_at, char **ret);

/* {"intact", "count", "first_seq", "last_seq", "last_sha256", "findings":
 * [{"kind", "seq", "other_seq", "message_fr", "message_en"}]} */
json_t *rf_ledger_result_to_json(const struct rf_ledger_result *r);
