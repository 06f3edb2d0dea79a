/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The supervisors' certificate resources (docs/network-api.md): search,
 * the PDF of a certificate with its validations, the donation report PDF.
 * A PDF is made only from a record whose signature verifies: the same
 * checks as `refurbctl cert pdf` (cli/rctl-pdf.c), on the daemon's side. */
#include <errno.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rf-cms.h"
#include "rf-i18n.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-certs.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"
#include "rfd-store-search.h"
#include "rpt-cert.h"
#include "rpt-donation.h"

#define SEARCH_MAX_RESULTS 200
#define SEARCH_MAX_CHARS 64
#define VALIDATION_FORMAT "refurb-validation/1"

static void reply_internal(struct evhttp_request *req, const char *fr, const char *en) {
        rfd_http_reply_error(req, 500, "internal", fr, en, NULL);
}

void rfd_api_certs_search(struct rfd_manager *m, struct evhttp_request *req, const char *q) {
        _cleanup_json_ json_t *list = NULL;
        bool more = false;

        long n = q ? rf_utf8_text_chars(q, strlen(q)) : -1;
        if (n < 1 || n > SEARCH_MAX_CHARS)
                return rfd_http_reply_field(req, "q", "1 à 64 caractères UTF-8 sans caractère de contrôle",
                                            "1 to 64 UTF-8 characters without control characters");
        int r = rfd_store_certs_search(m->store, q, SEARCH_MAX_RESULTS, &list, &more);
        if (r < 0) {
                rfd_log(LOG_ERR, "certificate search: %s", strerror(-r));
                return reply_internal(req, "recherche dans les certificats impossible", "cannot search the certificates");
        }
        rfd_http_reply_json(req, 200, json_pack("{s:O, s:b}", "certificates", list, "truncated", more));
}

/* ?lang=fr|en (default fr), nothing else; false after answering 400. */
static bool take_lang(struct evhttp_request *req, const char *query, enum rf_lang *ret) {
        struct evkeyvalq q = { 0 };
        bool ok = true;

        *ret = RF_LANG_FR;
        if (!query || !*query)
                return true;
        if (evhttp_parse_query_str(query, &q) < 0) {
                evhttp_clear_headers(&q);
                rfd_http_reply_error(req, 400, "bad-request", "paramètres de requête illisibles",
                                     "unreadable query parameters", NULL);
                return false;
        }
        for (struct evkeyval *kv = q.tqh_first; kv && ok; kv = kv->next.tqe_next) {
                if (strcmp(kv->key, "lang") != 0) {
                        rfd_http_reply_field(req, kv->key, "paramètre inconnu (seul lang=fr|en est permis)",
                                             "unknown parameter (only lang=fr|en is allowed)");
                        ok = false;
                } else if (rf_lang_from_string(kv->value, ret) < 0) {
                        rfd_http_reply_field(req, "lang", "« fr » ou « en » attendu", "\"fr\" or \"en\" expected");
                        ok = false;
                }
        }
        evhttp_clear_headers(&q);
        return ok;
}

/* A signed document of the store, checked: the signature against the
 * bench's certificate and the signer recorded with it (the daemon's own
 * records), the text canonical JSON. */
struct signed_doc {
        char *id, *text, *sig, *signer;
        char sha256[65];
        json_t *doc;
};

static void signed_doc_done(struct signed_doc *d) {
        free(d->id);
        free(d->text);
        free(d->sig);
        free(d->signer);
        json_decref(d->doc);
        *d = (struct signed_doc) {};
}

/* -ENOENT, -ENOTUNIQ, -EBADMSG (why says it in French and English), -ENOMEM, or a store error. */
static int signed_doc_load(struct rfd_manager *m, const char *id, struct signed_doc *d, char *why_fr, char *why_en,
                           size_t whylen) {
        _cleanup_free_ char *trusted = NULL, *canonical = NULL;
        char err[512] = "";
        size_t clen = 0;

        int r = rfd_store_cert_get(m->store, id, &d->id, &d->text, &d->sig, &d->signer);
        if (r < 0)
                return r;
        size_t len = strlen(d->text);
        if (rf_sha256_hex(d->text, len, d->sha256) < 0 || asprintf(&trusted, "%s\n%s", m->cert_pem, d->signer) < 0)
                return -ENOMEM;
        r = rf_cms_verify(d->text, len, d->sig, trusted, NULL, err, sizeof(err));
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                snprintf(why_fr, whylen, "la signature enregistrée ne correspond pas au texte (%s)", err);
                snprintf(why_en, whylen, "the recorded signature does not match the text (%s)", err);
                return -EBADMSG;
        }
        if (rf_json_parse(d->text, len, &d->doc, err, sizeof(err)) < 0 ||
            rf_json_canonical(d->doc, &canonical, &clen) < 0 || clen != len || memcmp(canonical, d->text, len) != 0) {
                snprintf(why_fr, whylen, "le texte enregistré n'est pas du JSON canonique");
                snprintf(why_en, whylen, "the recorded text is not canonical JSON");
                return -EBADMSG;
        }
        return 0;
}

/* The verified validation statements about this very text, as cli/rctl-pdf.c gathers them. */
static json_t *verified_validations(struct rfd_manager *m, const struct signed_doc *cert) {
        _cleanup_json_ json_t *list = NULL, *out = json_array();
        size_t i;
        json_t *e;

        if (!out || rfd_store_cert_validations_json(m->store, cert->id, &list) < 0)
                return NULL;
        json_array_foreach(list, i, e) {
                _cleanup_(signed_doc_done) struct signed_doc v = {};
                char why_fr[700], why_en[700];
                const char *vid = rf_json_str(e, "id");
                if (!vid)
                        continue;
                int r = signed_doc_load(m, vid, &v, why_fr, why_en, sizeof(why_fr));
                if (r == -ENOMEM)
                        return NULL;
                const char *sha = r == 0 ? rf_json_str(v.doc, "certificate_sha256") : NULL;
                if (r < 0 || !rf_streq_ptr(rf_json_str(v.doc, "format"), VALIDATION_FORMAT) ||
                    !rf_streq_ptr(rf_json_str(v.doc, "certificate_id"), cert->id) || !sha ||
                    strcasecmp(sha, cert->sha256) != 0) {
                        rfd_log(LOG_WARNING, "certificate %s: validation %s not printed: %s", cert->id, vid,
                                r < 0 ? why_en : "it is not about this certificate (id or SHA-256)");
                        continue;
                }
                if (json_array_append(out, v.doc) < 0)
                        return NULL;
        }
        return TAKE_PTR(out);
}

static void reply_pdf(struct evhttp_request *req, const char *filename, const char *pdf, size_t len) {
        char disposition[160];
        snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", filename);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Disposition", disposition);
        rfd_http_reply_bytes(req, 200, "application/pdf", pdf, len);
}

void rfd_api_cert_pdf(struct rfd_manager *m, struct evhttp_request *req, const char *id, const char *query) {
        _cleanup_(signed_doc_done) struct signed_doc d = {};
        _cleanup_json_ json_t *validations = NULL;
        _cleanup_free_ char *pdf = NULL;
        char why_fr[700], why_en[700], fr[900], en[900];
        enum rf_lang lang;
        size_t len = 0;

        if (!take_lang(req, query, &lang))
                return;
        int r = signed_doc_load(m, id, &d, why_fr, why_en, sizeof(why_fr));
        if (r == -ENOENT)
                return rfd_http_reply_not_found(req, "certificat inconnu", "unknown certificate");
        if (r == -ENOTUNIQ)
                return rfd_http_reply_error(req, 409, "conflict",
                                            "plusieurs certificats commencent ainsi : donnez plus de caractères",
                                            "several certificates start like this: give more characters", NULL);
        if (r == -EBADMSG) {
                rfd_log(LOG_ERR, "certificate %s does not verify, no PDF: %s", d.id, why_en);
                snprintf(fr, sizeof(fr), "certificat %s INVALIDE : %s ; pas de PDF", d.id, why_fr);
                snprintf(en, sizeof(en), "certificate %s INVALID: %s; no PDF", d.id, why_en);
                return rfd_http_reply_error(req, 409, "conflict", fr, en, NULL);
        }
        if (r < 0) {
                rfd_log(LOG_ERR, "certificate %s: %s", id, strerror(-r));
                return reply_internal(req, "lecture du certificat impossible", "cannot read the certificate");
        }
        if (!(validations = verified_validations(m, &d)))
                return reply_internal(req, "lecture des validations impossible", "cannot read the validations");
        r = rpt_certificate_pdf_mem(d.text, strlen(d.text), d.sha256, validations, lang, NULL, &pdf, &len);
        if (r == -EPROTONOSUPPORT)
                return rfd_http_reply_error(req, 409, "conflict",
                                            "ce document n'a pas de feuille PDF (déclaration de validation) : "
                                            "demandez celle du certificat qu'il valide",
                                            "this document has no PDF sheet of its own (a validation statement): "
                                            "ask for the one of the certificate it validates",
                                            NULL);
        if (r < 0) {
                rfd_log(LOG_ERR, "certificate %s: PDF not made: %s", d.id, strerror(-r));
                return reply_internal(req, "mise en page du certificat impossible", "cannot lay out the certificate");
        }
        char filename[64];
        snprintf(filename, sizeof(filename), "certificat-%.8s.pdf", d.id);
        rfd_log(LOG_INFO, "certificate %s: PDF made (%zu bytes, %zu validation(s))", d.id, len,
                json_array_size(validations));
        reply_pdf(req, filename, pdf, len);
}

void rfd_api_donation_pdf(struct rfd_manager *m, struct evhttp_request *req, const char *ref, const char *query) {
        _cleanup_json_ json_t *report = NULL;
        _cleanup_free_ char *pdf = NULL;
        enum rf_lang lang;
        size_t len = 0;

        if (!take_lang(req, query, &lang))
                return;
        if (!rfd_intake_ref_valid(ref))
                return rfd_http_reply_not_found(req, "don inconnu", "unknown donation");
        int r = rfd_store_donation_report(m->store, ref, &report);
        if (r == -ENOENT)
                return rfd_http_reply_not_found(req, "don inconnu", "unknown donation");
        if (r < 0) {
                rfd_log(LOG_ERR, "donation %s: %s", ref, strerror(-r));
                return reply_internal(req, "lecture du don impossible", "cannot read the donation");
        }
        r = rpt_donation_pdf_mem(report, lang, &pdf, &len);
        if (r < 0) {
                rfd_log(LOG_ERR, "donation %s: PDF not made: %s", ref, strerror(-r));
                return reply_internal(req, "mise en page du rapport impossible", "cannot lay out the report");
        }
        char filename[96];
        snprintf(filename, sizeof(filename), "don-%s.pdf", ref);
        reply_pdf(req, filename, pdf, len);
}
