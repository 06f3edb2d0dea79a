/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checker of the certificate chain (rf-ledger.h, docs/ledger.md). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* pem.h first: cms.h declares PEM_read_bio_CMS() only after it. */
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-ledger.h"
#include "rf-macro.h"
#include "rf-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(CMS_ContentInfo *, CMS_ContentInfo_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)

enum sig_state {
        SIG_OK = 0,
        SIG_MISSING,
        SIG_UNREADABLE,
        SIG_UNTRUSTED, /* intact, but made by a key that is not trusted */
        SIG_CONTENT,   /* the text is not what was signed */
};

struct item {
        const struct rf_ledger_entry *e;
        size_t pos;        /* place in the ledger's order */
        int64_t seq;       /* the document's "sequence" (the record's number when unreadable) */
        bool chained;      /* readable, with a valid sequence and previous_sha256 */
        char prev[65];     /* previous_sha256, "" for null */
        char sha[65];      /* SHA-256 of the text */
        enum sig_state sig;
        bool modified;     /* a "modified" finding was made */
};

static const char *const kind_names[_RF_LEDGER_KIND_MAX] = {
        [RF_LEDGER_MODIFIED] = "modified",           [RF_LEDGER_MISSING] = "missing",
        [RF_LEDGER_REORDERED] = "reordered",         [RF_LEDGER_BAD_SIGNATURE] = "bad-signature",
        [RF_LEDGER_NOT_CANONICAL] = "not-canonical",
};

const char *rf_ledger_kind_to_string(enum rf_ledger_kind k) {
        return k < _RF_LEDGER_KIND_MAX ? kind_names[k] : NULL;
}

void rf_ledger_result_clear(struct rf_ledger_result *r) {
        if (!r)
                return;
        free(r->findings);
        *r = (struct rf_ledger_result) {};
}

/* Append a finding; messages are printf formats (French, then English,
 * each followed by its own arguments is not possible in C: both take the
 * same arguments, in the same order). */
_printf_(5, 7) _printf_(6, 7) static int add_finding(struct rf_ledger_result *r, enum rf_ledger_kind kind,
                                                     int64_t seq, int64_t other, const char *fr, const char *en,
                                                     ...) {
        if (r->n_findings % 16 == 0) {
                struct rf_ledger_finding *f =
                        realloc(r->findings, (r->n_findings + 16) * sizeof(struct rf_ledger_finding));
                if (!f)
                        return -ENOMEM;
                r->findings = f;
        }
        struct rf_ledger_finding *f = &r->findings[r->n_findings++];
        *f = (struct rf_ledger_finding) { .kind = kind, .seq = seq, .other_seq = other };
        va_list ap;
        va_start(ap, en);
        va_list ap2;
        va_copy(ap2, ap);
        vsnprintf(f->message_fr, sizeof(f->message_fr), fr, ap);
        vsnprintf(f->message_en, sizeof(f->message_en), en, ap2);
        va_end(ap2);
        va_end(ap);
        return 0;
}

/* Whether the signature is intact when the signer's chain is not looked
 * at: tells "the text changed" from "someone else signed". */
static bool signature_intact(const void *data, size_t len, const char *sig_pem) {
        _cleanup_(BIO_free_allp) BIO *sig = BIO_new_mem_buf(sig_pem, (int) strlen(sig_pem));
        _cleanup_(BIO_free_allp) BIO *content = BIO_new_mem_buf(data, (int) len);
        if (!sig || !content)
                return false;
        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = PEM_read_bio_CMS(sig, NULL, NULL, NULL);
        bool ok = cms && CMS_verify(cms, NULL, NULL, content, NULL,
                                    CMS_BINARY | CMS_DETACHED | CMS_NO_SIGNER_CERT_VERIFY) == 1;
        ERR_clear_error();
        return ok;
}

static int check_signature(const struct rf_ledger_entry *e, const char *trusted_pem, enum sig_state *ret,
                           char *why, size_t whylen) {
        char err[256] = "";
        if (!e->signature_pem || !*e->signature_pem || strlen(e->signature_pem) > INT_MAX) {
                *ret = SIG_MISSING;
                return 0;
        }
        int r = rf_cms_verify(e->json_text, e->json_len, e->signature_pem, trusted_pem, NULL, err, sizeof(err));
        if (r == -ENOMEM)
                return r;
        if (r == 0)
                *ret = SIG_OK;
        else if (r == -EBADMSG)
                *ret = signature_intact(e->json_text, e->json_len, e->signature_pem) ? SIG_UNTRUSTED : SIG_CONTENT;
        else
                *ret = SIG_UNREADABLE;
        snprintf(why, whylen, "%s", err);
        return 0;
}

static bool is_sha256_hex(const char *s) {
        if (strlen(s) != 64)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

/* Read one entry: its document, form, numbers and signature. */
static int examine(const struct rf_ledger_entry *e, size_t pos, struct item *it, struct rf_ledger_result *res) {
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_free_ char *canon = NULL;
        char err[256] = "";
        size_t canon_len = 0;
        int64_t n = e->seq;
        int r;

        *it = (struct item) { .e = e, .pos = pos, .seq = e->seq };
        r = rf_sha256_hex(e->json_text, e->json_len, it->sha);
        if (r < 0)
                return r;

        if (rf_json_parse(e->json_text, e->json_len, &doc, err, sizeof(err)) < 0 || !json_is_object(doc))
                return add_finding(res, RF_LEDGER_NOT_CANONICAL, n, 0,
                                   "entrée n° %" PRId64 " : ce n'est pas un document JSON lisible (%s)",
                                   "entry %" PRId64 ": not a readable JSON document (%s)", n,
                                   doc ? "object expected" : err);
        r = rf_json_canonical(doc, &canon, &canon_len);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || canon_len != e->json_len || memcmp(canon, e->json_text, canon_len) != 0) {
                r = add_finding(res, RF_LEDGER_NOT_CANONICAL, n, 0,
                                "entrée n° %" PRId64 " : le texte n'est pas sous la forme canonique que le banc signe",
                                "entry %" PRId64 ": the text is not in the canonical form the bench signs", n);
                if (r < 0)
                        return r;
        }

        const json_t *sq = json_object_get(doc, "sequence");
        const json_t *prev = json_object_get(doc, "previous_sha256");
        bool prev_ok = json_is_null(prev) || (json_is_string(prev) && is_sha256_hex(json_string_value(prev)));
        if (!json_is_integer(sq) || json_integer_value(sq) <= 0 || !prev_ok) {
                r = add_finding(res, RF_LEDGER_NOT_CANONICAL, n, 0,
                                "entrée n° %" PRId64 " : pas de « sequence » ou de « previous_sha256 » valable",
                                "entry %" PRId64 ": no valid \"sequence\" or \"previous_sha256\"", n);
                if (r < 0)
                        return r;
        } else {
                it->chained = true;
                it->seq = json_integer_value(sq);
                snprintf(it->prev, sizeof(it->prev), "%s", json_is_string(prev) ? json_string_value(prev) : "");
                if (it->seq != e->seq) {
                        r = add_finding(res, RF_LEDGER_REORDERED, it->seq, e->seq,
                                        "l'entrée rangée sous le n° %2$" PRId64 " est le certificat n° %1$" PRId64,
                                        "the entry filed as number %2$" PRId64 " is certificate %1$" PRId64, it->seq,
                                        e->seq);
                        if (r < 0)
                                return r;
                }
        }
        const char *id = rf_json_str(doc, "id");
        if (e->id && strcmp(e->id, id) != 0) {
                it->modified = true;
                r = add_finding(res, RF_LEDGER_MODIFIED, it->seq, 0,
                                "entrée n° %" PRId64 " : enregistrée sous l'identifiant %.64s, le document dit %.64s",
                                "entry %" PRId64 ": recorded as id %.64s, the document says %.64s", it->seq, e->id,
                                id);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int report_signature(const struct item *it, const char *why, struct rf_ledger_result *res) {
        int64_t n = it->seq;
        switch (it->sig) {
        case SIG_OK:
                return 0;
        case SIG_MISSING:
                return add_finding(res, RF_LEDGER_BAD_SIGNATURE, n, 0, "entrée n° %" PRId64 " : pas de signature",
                                   "entry %" PRId64 ": no signature", n);
        case SIG_UNREADABLE:
                return add_finding(res, RF_LEDGER_BAD_SIGNATURE, n, 0,
                                   "entrée n° %" PRId64 " : signature illisible (%s)",
                                   "entry %" PRId64 ": unreadable signature (%s)", n, why);
        case SIG_UNTRUSTED:
                return add_finding(res, RF_LEDGER_BAD_SIGNATURE, n, 0,
                                   "entrée n° %" PRId64 " : signée par une clé qui n'est pas celle du banc (%s)",
                                   "entry %" PRId64 ": signed by a key that is not the bench's (%s)", n, why);
        case SIG_CONTENT:
        default:
                return add_finding(res, RF_LEDGER_BAD_SIGNATURE, n, 0,
                                   "entrée n° %" PRId64 " : la signature ne correspond plus au texte (modifié après signature)",
                                   "entry %" PRId64 ": the signature no longer matches the text (changed after signing)",
                                   n);
        }
}

static int cmp_item(const void *a, const void *b) {
        const struct item *x = *(const struct item *const *) a, *y = *(const struct item *const *) b;
        if (x->seq != y->seq)
                return x->seq < y->seq ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int report_gap(int64_t before, int64_t after, struct rf_ledger_result *res) {
        int64_t n = after - before - 1;
        if (before == 0)
                return add_finding(res, RF_LEDGER_MISSING, 1, after,
                                   "%" PRId64 " entrée(s) manquante(s) avant le n° %" PRId64 " (du n° 1 au n° %" PRId64 ")",
                                   "%" PRId64 " entry(ies) missing before number %" PRId64 " (numbers 1 to %" PRId64 ")",
                                   n, after, after - 1);
        if (n == 1)
                return add_finding(res, RF_LEDGER_MISSING, before + 1, after,
                                   "entrée manquante entre le n° %" PRId64 " et le n° %" PRId64 " (le n° %" PRId64 ")",
                                   "missing entry between %" PRId64 " and %" PRId64 " (number %" PRId64 ")", before,
                                   after, before + 1);
        return add_finding(res, RF_LEDGER_MISSING, before + 1, after,
                           "%" PRId64 " entrées manquantes entre le n° %" PRId64 " et le n° %" PRId64,
                           "%" PRId64 " entries missing between %" PRId64 " and %" PRId64, n, before, after);
}

/* The link a -> b (b->seq == a->seq + 1) is broken: say which entry was
 * altered. A changed text breaks its own signature and the next entry's
 * link; a changed previous_sha256 breaks the entry's own link and
 * signature. With both signatures intact, a was replaced by another signed
 * document, or what stood between them was removed and renumbered. */
static int report_link(struct item *a, struct item *b, bool a_link_ok, struct rf_ledger_result *res) {
        struct item *who = a;
        if (a->sig != SIG_CONTENT && b->sig == SIG_CONTENT)
                who = b;
        if (who->modified)
                return 0;
        who->modified = true;
        if (who == b)
                return add_finding(res, RF_LEDGER_MODIFIED, b->seq, 0,
                                   "l'entrée n° %" PRId64 " a été modifiée : elle ne désigne plus l'entrée n° %" PRId64
                                   " comme précédente",
                                   "entry %" PRId64 " was modified: it no longer names entry %" PRId64
                                   " as the previous one",
                                   b->seq, a->seq);
        if (a->sig == SIG_CONTENT || a_link_ok)
                return add_finding(res, RF_LEDGER_MODIFIED, a->seq, 0,
                                   "l'entrée n° %" PRId64 " a été modifiée : son SHA-256 n'est plus celui que désigne l'entrée n° %" PRId64,
                                   "entry %" PRId64 " was modified: its SHA-256 is no longer the one entry %" PRId64
                                   " names",
                                   a->seq, b->seq);
        return add_finding(res, RF_LEDGER_MODIFIED, a->seq, 0,
                           "l'entrée n° %" PRId64 " a été modifiée, ou une entrée avant elle a été supprimée ou échangée",
                           "entry %" PRId64 " was modified, or an entry before it was removed or swapped", a->seq);
}

static bool link_ok(const struct item *a, const struct item *b) {
        return a->chained && b->chained && b->seq == a->seq + 1 && strcmp(b->prev, a->sha) == 0;
}

static int check_chain(struct item **sorted, size_t n, struct rf_ledger_result *res) {
        int r;
        struct item *last = NULL; /* the last distinct sequence seen */
        bool last_link_ok = false;

        for (size_t i = 0; i < n; i++) {
                struct item *it = sorted[i];
                if (last && it->seq == last->seq)
                        continue; /* a duplicate: reported as out of order */
                int64_t before = last ? last->seq : 0;
                if (it->seq > before + 1) {
                        r = report_gap(before, it->seq, res);
                        if (r < 0)
                                return r;
                        last_link_ok = false;
                } else if (!last) {
                        /* The first certificate names no previous one. */
                        last_link_ok = it->chained && !*it->prev;
                        if (it->chained && *it->prev && !it->modified) {
                                it->modified = true;
                                r = add_finding(res, RF_LEDGER_MODIFIED, it->seq, 0,
                                                "l'entrée n° 1 désigne une entrée précédente : elle a été modifiée",
                                                "entry 1 names a previous entry: it was modified");
                                if (r < 0)
                                        return r;
                        }
                } else if (last->chained && it->chained) {
                        bool ok = link_ok(last, it);
                        if (!ok) {
                                r = report_link(last, it, last_link_ok, res);
                                if (r < 0)
                                        return r;
                        }
                        last_link_ok = ok;
                } else
                        last_link_ok = false;
                last = it;
        }
        return 0;
}

int rf_ledger_check(const struct rf_ledger_entry *entries, size_t n, const char *trusted_pem,
                    struct rf_ledger_result *ret) {
        _cleanup_free_ struct item *items = NULL;
        _cleanup_free_ struct item **sorted = NULL;
        char why[256];
        int r;

        if ((!entries && n > 0) || !trusted_pem || !ret)
                return -EINVAL;
        *ret = (struct rf_ledger_result) {};
        if (n == 0)
                return 0;
        items = calloc(n, sizeof(*items));
        sorted = calloc(n, sizeof(*sorted));
        if (!items || !sorted)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                if (!entries[i].json_text)
                        return -EINVAL;
                r = examine(&entries[i], i, &items[i], ret);
                if (r < 0)
                        return r;
                why[0] = '\0';
                r = check_signature(&entries[i], trusted_pem, &items[i].sig, why, sizeof(why));
                if (r < 0)
                        return r;
                r = report_signature(&items[i], why, ret);
                if (r < 0)
                        return r;
                sorted[i] = &items[i];
        }

        /* The ledger's order must be the numbers' order. */
        for (size_t i = 1; i < n; i++) {
                int64_t a = items[i - 1].seq, b = items[i].seq;
                if (b > a)
                        continue;
                r = b == a ? add_finding(ret, RF_LEDGER_REORDERED, b, a,
                                         "l'entrée n° %" PRId64 " figure deux fois", "entry %" PRId64 " appears twice",
                                         b)
                           : add_finding(ret, RF_LEDGER_REORDERED, b, a,
                                         "entrées n° %2$" PRId64 " et n° %1$" PRId64 " dans le désordre : le n° %1$" PRId64
                                         " est rangé après le n° %2$" PRId64,
                                         "entries %2$" PRId64 " and %1$" PRId64 " are out of order: number %1$" PRId64
                                         " comes after number %2$" PRId64,
                                         b, a);
                if (r < 0)
                        return r;
        }

        /* The chain, in the numbers' order: gaps and broken links. */
        qsort(sorted, n, sizeof(*sorted), cmp_item);
        r = check_chain(sorted, n, ret);
        if (r < 0)
                return r;

        ret->count = n;
        ret->first_seq = sorted[0]->seq;
        ret->last_seq = sorted[n - 1]->seq;
        memcpy(ret->last_sha256, sorted[n - 1]->sha, sizeof(ret->last_sha256));
        return 0;
}

int rf_ledger_check_head(const struct rf_ledger_entry *entries, size_t n, const json_t *head,
                         struct rf_ledger_result *res) {
        const json_t *ls = json_object_get(head, "last_seq");
        const json_t *sha = json_object_get(head, "last_sha256");
        if ((!entries && n > 0) || !res || !json_is_object(head) ||
            strcmp(rf_json_str(head, "format"), RF_LEDGER_HEAD_FORMAT) != 0 || !json_is_integer(ls) ||
            json_integer_value(ls) < 0 || !(json_is_null(sha) || json_is_string(sha)))
                return -EINVAL;
        int64_t last = json_integer_value(ls);
        if (last == 0)
                return 0; /* the ledger was empty then */
        const char *want = json_string_value(sha);
        if (!want)
                return -EINVAL;

        for (size_t i = 0; i < n; i++) {
                char got[65];
                if (entries[i].seq != last)
                        continue;
                int r = rf_sha256_hex(entries[i].json_text, entries[i].json_len, got);
                if (r < 0)
                        return r;
                if (strcmp(got, want) == 0)
                        return 0;
                return add_finding(res, RF_LEDGER_MODIFIED, last, 0,
                                   "l'entrée n° %" PRId64 " n'est plus celle qu'attestait la déclaration de tête (SHA-256 %.16s…)",
                                   "entry %" PRId64 " is no longer the one the head statement vouched for (SHA-256 %.16s…)",
                                   last, want);
        }
        int64_t have = res->last_seq;
        return add_finding(res, RF_LEDGER_MISSING, have < last ? have + 1 : last, 0,
                           "la déclaration de tête atteste les entrées jusqu'au n° %" PRId64 ", mais le n° %" PRId64 " manque",
                           "the head statement vouches for entries up to number %" PRId64 ", but number %" PRId64
                           " is missing",
                           last, have < last ? have + 1 : last);
}

int rf_ledger_head_text(const char *bench, size_t count, int64_t last_seq, const char *last_sha256,
                        const char *exported_at, char **ret) {
        if (!exported_at || !ret || last_seq < 0 || (last_seq > 0 && (!last_sha256 || !is_sha256_hex(last_sha256))))
                return -EINVAL;
        _cleanup_json_ json_t *o = json_pack("{s:s, s:s?, s:I, s:I, s:s?, s:s}", "format", RF_LEDGER_HEAD_FORMAT,
                                             "bench", bench, "count", (json_int_t) count, "last_seq",
                                             (json_int_t) last_seq, "last_sha256", last_seq > 0 ? last_sha256 : NULL,
                                             "exported_at", exported_at);
        if (!o)
                return -ENOMEM;
        size_t len;
        return rf_json_canonical(o, ret, &len);
}

json_t *rf_ledger_result_to_json(const struct rf_ledger_result *r) {
        json_t *list = json_array();
        if (!list)
                return NULL;
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct rf_ledger_finding *f = &r->findings[i];
                json_t *o = json_pack("{s:s, s:I, s:o, s:s, s:s}", "kind", rf_ledger_kind_to_string(f->kind), "seq",
                                      (json_int_t) f->seq, "other_seq",
                                      f->other_seq ? json_integer(f->other_seq) : json_null(), "message_fr",
                                      f->message_fr, "message_en", f->message_en);
                if (!o || json_array_append_new(list, o) < 0) {
                        json_decref(list);
                        return NULL;
                }
        }
        return json_pack("{s:b, s:I, s:I, s:I, s:s?, s:o}", "intact", r->n_findings == 0, "count", (json_int_t) r->count,
                         "first_seq", (json_int_t) r->first_seq, "last_seq", (json_int_t) r->last_seq, "last_sha256",
                         r->count ? r->last_sha256 : NULL, "findings", list);
}
