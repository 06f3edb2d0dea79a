/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ledger resources of the API: the whole chain of certificates for an
 * off-bench copy, and a signed statement of its head (docs/ledger.md). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-ledger.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-ledger.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"

#define LEDGER_PAGE_DEFAULT 200
#define LEDGER_PAGE_MAX 1000

/* A positive integer query parameter; def when absent, -1 when invalid. */
static int64_t query_int(const char *query, const char *name, int64_t def, int64_t max) {
        struct evkeyvalq q = { 0 };
        int64_t v = def;
        if (query && evhttp_parse_query_str(query, &q) == 0) {
                const char *s = evhttp_find_header(&q, name);
                if (s) {
                        char *end = NULL;
                        errno = 0;
                        long long x = strtoll(s, &end, 10);
                        v = errno || !end || *end || end == s || x <= 0 || x > max ? -1 : x;
                }
        } else if (query)
                v = -1;
        evhttp_clear_headers(&q);
        return v;
}

static void h_entries(struct rfd_manager *m, struct evhttp_request *req, const char *query) {
        int64_t from = query_int(query, "from", 1, INT64_MAX / 2);
        int64_t limit = query_int(query, "limit", LEDGER_PAGE_DEFAULT, LEDGER_PAGE_MAX);
        if (from < 0 || limit < 0)
                return rfd_http_reply_error(req, 400, "bad-request",
                                   "paramètres invalides : from=N° (à partir de 1) et limit=N (1 à 1000)",
                                   "invalid parameters: from=SEQ (from 1) and limit=N (1 to 1000)", NULL);
        json_t *list = NULL;
        int r = rfd_store_ledger_json(m->store, from, (unsigned) limit, &list);
        if (r < 0) {
                rfd_log(LOG_ERR, "cannot read the ledger: %s", strerror(-r));
                return rfd_http_reply_error(req, 500, "internal", "lecture du registre impossible", "cannot read the ledger",
                                   NULL);
        }
        size_t n = json_array_size(list);
        json_t *next = json_null();
        if (n == (size_t) limit)
                next = json_integer(json_integer_value(json_object_get(json_array_get(list, n - 1), "seq")) + 1);
        rfd_http_reply_json(req, 200,
              json_pack("{s:s?, s:s, s:s, s:o, s:o}", "bench", m->config->bench_name, "bench_certificate",
                        m->cert_pem, "bench_certificate_sha256", m->cert_sha256, "entries", list, "next_from",
                        next));
}

/* Every certificate that signed an entry, once, after the bench's own:
 * the daemon's own check of its records (an auditor brings their own
 * trust, see docs/ledger.md). */
static int signers_pem(struct rfd_manager *m, const json_t *list, char **ret) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs(m->cert_pem, f);
        size_t i;
        const json_t *e;
        json_array_foreach(list, i, e) {
                const char *pem = rf_json_str(e, "signer_certificate");
                bool seen = strcmp(pem, m->cert_pem) == 0;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = strcmp(pem, rf_json_str(json_array_get(list, k), "signer_certificate")) == 0;
                if (!seen)
                        fputs(pem, f);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/* The whole ledger re-checked by the daemon: the chain and every
 * signature (rf_ledger_check()). Fills *res (the caller clears it);
 * <0 on an internal error, logged. */
static int check_all(struct rfd_manager *m, struct rf_ledger_result *res) {
        _cleanup_json_ json_t *list = NULL;
        _cleanup_free_ struct rf_ledger_entry *entries = NULL;
        _cleanup_free_ char *trusted = NULL;

        int r = rfd_store_ledger_json(m->store, 1, 0, &list);
        if (r < 0) {
                rfd_log(LOG_ERR, "cannot read the ledger: %s", strerror(-r));
                return r;
        }
        size_t n = json_array_size(list);
        entries = calloc(n ? n : 1, sizeof(*entries));
        if (!entries || signers_pem(m, list, &trusted) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const json_t *e = json_array_get(list, i);
                const json_t *text_j = json_object_get(e, "json");
                entries[i] = (struct rf_ledger_entry) {
                        .seq = rf_json_int(e, "seq"),
                        .id = rf_json_str(e, "id"),
                        .json_text = json_string_value(text_j) ? json_string_value(text_j) : "",
                        .json_len = json_string_length(text_j),
                        .signature_pem = rf_json_str(e, "signature"),
                };
        }
        r = rf_ledger_check(entries, n, trusted, res);
        if (r < 0)
                rfd_log(LOG_ERR, "cannot check the ledger: %s", strerror(-r));
        return r;
}

/* GET /v1/ledger/check: a broken chain is an answer (200, ok false), not an error. */
static void h_check(struct rfd_manager *m, struct evhttp_request *req) {
        _cleanup_(rf_ledger_result_clear) struct rf_ledger_result res = {};
        char now[21], fr[600] = "", en[600] = "";

        if (check_all(m, &res) < 0)
                return rfd_http_reply_error(req, 500, "internal", "vérification du registre impossible",
                                            "cannot check the ledger", NULL);
        rf_time_iso8601(rf_now_sec(), now);
        if (res.n_findings > 0) {
                const struct rf_ledger_finding *f = &res.findings[0];
                snprintf(fr, sizeof(fr), "registre NON intègre : %zu problème(s) ; n° %" PRId64 " [%s] : %s",
                         res.n_findings, f->seq, rf_ledger_kind_to_string(f->kind), f->message_fr);
                snprintf(en, sizeof(en), "ledger NOT intact: %zu problem(s); #%" PRId64 " [%s]: %s", res.n_findings,
                         f->seq, rf_ledger_kind_to_string(f->kind), f->message_en);
                rfd_log(LOG_ERR, "ledger check: %s", en);
        }
        json_t *full = rf_ledger_result_to_json(&res);
        json_t *findings = full ? json_incref(json_object_get(full, "findings")) : NULL;
        json_decref(full);
        rfd_http_reply_json(req, 200,
                            json_pack("{s:b, s:I, s:I, s:s, s:o, s:o, s:o}", "ok", res.n_findings == 0, "entries",
                                      (json_int_t) res.count, "head_seq", (json_int_t) res.last_seq, "checked_at", now,
                                      "problem_fr", fr[0] ? json_string(fr) : json_null(), "problem_en",
                                      en[0] ? json_string(en) : json_null(), "findings",
                                      findings ? findings : json_array()));
}

static void h_head(struct rfd_manager *m, struct evhttp_request *req) {
        _cleanup_free_ char *text = NULL, *sig = NULL;
        _cleanup_(rf_ledger_result_clear) struct rf_ledger_result res = {};
        int r;

        if (check_all(m, &res) < 0)
                return rfd_http_reply_error(req, 500, "internal", "vérification du registre impossible",
                                            "cannot check the ledger", NULL);
        if (res.n_findings > 0) {
                /* Never vouch for a ledger that is not whole. */
                rfd_log(LOG_ERR, "ledger: %zu problem(s), head statement refused; first: %s", res.n_findings,
                        res.findings[0].message_en);
                return rfd_http_reply_error(req, 409, "conflict",
                                   "le registre des certificats n'est pas intègre : pas de déclaration de tête",
                                   "the certificate ledger is not intact: no head statement",
                                   json_pack("{s:o}", "ledger", rf_ledger_result_to_json(&res)));
        }

        char now[21];
        rf_time_iso8601(rf_now_sec(), now);
        r = rf_ledger_head_text(m->config->bench_name, res.count, res.last_seq, res.last_sha256, now, &text);
        if (r >= 0)
                r = rf_cms_sign(m->key, m->cert, text, strlen(text), &sig);
        if (r < 0) {
                rfd_log(LOG_ERR, "cannot sign the ledger head: %s", strerror(-r));
                return rfd_http_reply_error(req, 500, "internal", "impossible de signer la déclaration de tête",
                                   "cannot sign the head statement", NULL);
        }
        char sha[65];
        rf_sha256_hex(text, strlen(text), sha);
        rfd_log(LOG_INFO, "ledger head signed: %zu certificate(s), last %" PRId64, res.count, res.last_seq);
        json_t *doc = json_loads(text, 0, NULL);
        rfd_http_reply_json(req, 200,
              json_pack("{s:s, s:s, s:s, s:s, s:o}", "json", text, "signature", sig, "signer_certificate",
                        m->cert_pem, "sha256", sha, "head", doc ? doc : json_null()));
}

void rfd_api_ledger(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                    char *const *seg, size_t n_seg, const char *query) {
        bool head = n_seg == 3 && strcmp(seg[2], "head") == 0;
        bool check = n_seg == 3 && strcmp(seg[2], "check") == 0;
        if (n_seg != 2 && !head && !check)
                return rfd_http_reply_error(req, 404, "not-found", "ressource inconnue", "unknown resource", NULL);
        if (method != (head ? EVHTTP_REQ_POST : EVHTTP_REQ_GET))
                return rfd_http_reply_error(req, 405, "method-not-allowed", "méthode HTTP non permise pour cette ressource",
                                   "HTTP method not allowed for this resource", NULL);
        if (head)
                h_head(m, req);
        else if (check)
                h_check(m, req);
        else
                h_entries(m, req, query);
}
