/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl cert pdf: a verified certificate on paper. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rctl-cert.h"
#include "rctl-output.h"
#include "rctl-pdf.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-util.h"
#include "rpt-cert.h"
#include "rpt-draw.h"

/* The logo is checked before anything is fetched: a clear message for it. */
static int check_logo(struct rctl_ctx *ctx, const char *logo) {
        enum rf_lang lang = ctx->lang;
        cairo_surface_t *s = NULL;

        int r = rpt_logo_load(logo, &s);
        if (r == 0) {
                cairo_surface_destroy(s);
                return 0;
        }
        if (r == -EFBIG)
                return rctl_fail(ctx, RF_TR(lang, "Logo %s trop grand (4096 pixels de côté au plus).",
                                            "Logo %s too large (4096 pixels a side at most)."),
                                 logo);
        if (r == -EINVAL || r == -EIO)
                return rctl_fail(ctx, RF_TR(lang, "Le logo %s n'est pas une image PNG lisible.",
                                            "The logo %s is not a readable PNG image."),
                                 logo);
        return rctl_fail(ctx, RF_TR(lang, "Impossible de lire le logo %s : %s", "Cannot read the logo %s: %s"), logo,
                         strerror(-r));
}

/* --output: a directory (ID.pdf inside), a file, or nothing (./ID.pdf). */
static int output_path(const struct rctl_ctx *ctx, const char *id, char out[static PATH_MAX]) {
        struct stat st;
        int k;

        if (!ctx->output)
                k = snprintf(out, PATH_MAX, "%s.pdf", id);
        else if (stat(ctx->output, &st) == 0 && S_ISDIR(st.st_mode)) {
                size_t n = strlen(ctx->output);
                bool slash = n > 0 && ctx->output[n - 1] == '/';
                k = snprintf(out, PATH_MAX, "%s%s%s.pdf", ctx->output, slash ? "" : "/", id);
        }
        else
                k = snprintf(out, PATH_MAX, "%s", ctx->output);
        return k < 0 || k >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static const char *render_error(int r, enum rf_lang lang) {
        switch (r) {
        case -ENOMEM:
                return RF_TR(lang, "mémoire insuffisante", "out of memory");
        case -EPROTONOSUPPORT:
                return RF_TR(lang, "format de certificat inconnu", "unknown certificate format");
        case -EINVAL:
                return RF_TR(lang, "le certificat ne peut pas être mis en page (identifiant ou résultat illisible)",
                             "the certificate cannot be laid out (unreadable id or result)");
        default:
                return strerror(-r);
        }
}

#define VALIDATION_FORMAT "refurb-validation/1"

static void warn_validation(const struct rctl_ctx *ctx, const char *vid, const char *why) {
        _cleanup_free_ char *clean = rctl_sanitize(vid ? vid : "?");
        fprintf(stderr,
                RF_TR(ctx->lang, "Attention : validation %s non imprimée : %s.\n",
                      "Warning: validation %s not printed: %s.\n"),
                clean ? clean : "?", why);
}

/* One supervisor validation listed by refurbd: its signed text (in the
 * entry, or fetched by its id), checked as "cert verify" does, and about
 * this very text (certificate_id, certificate_sha256). Returns the parsed
 * document (a new reference) or NULL after a warning. */
static json_t *verified_validation(struct rctl_ctx *ctx, const json_t *entry, const char *cert_id,
                                   const char *cert_sha256, const char *pem) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply vr = { 0 };
        _cleanup_(rctl_verdict_clear) struct rctl_verdict v = { 0 };
        char path[128], computed[65];

        const char *vid = rctl_jstr(entry, "id");
        if (!vid || rctl_cert_id_valid(vid) < 0) {
                warn_validation(ctx, vid, RF_TR(lang, "identifiant illisible", "unreadable id"));
                return NULL;
        }
        const json_t *src = entry;
        if (!json_is_string(json_object_get(entry, "json")) || !rctl_jstr(entry, "signature")) {
                snprintf(path, sizeof(path), "/v1/certificates/%s", vid);
                if (rctl_get(ctx->client, path, &vr) < 0) {
                        warn_validation(ctx, vid, RF_TR(lang, "document signé introuvable", "signed document not found"));
                        return NULL;
                }
                src = vr.json;
        }
        const json_t *json = json_object_get(src, "json");
        const char *sig = rctl_jstr(src, "signature"), *sha = rctl_jstr(src, "sha256");
        if (!json_is_string(json) || !sig) {
                warn_validation(ctx, vid, RF_TR(lang, "réponse inattendue de refurbd", "unexpected answer from refurbd"));
                return NULL;
        }
        const char *text = json_string_value(json);
        size_t len = json_string_length(json);
        if (rf_sha256_hex(text, len, computed) < 0 || (sha && strcasecmp(sha, computed) != 0)) {
                warn_validation(ctx, vid, RF_TR(lang, "le texte ne correspond pas à son empreinte SHA-256",
                                                "the text does not match its SHA-256"));
                return NULL;
        }
        int r = rctl_cert_check(text, len, sig, pem, lang, &v);
        if (r < 0) {
                warn_validation(ctx, vid, r == -ENOMEM ? RF_TR(lang, "mémoire insuffisante", "out of memory") : v.why);
                return NULL;
        }
        const char *csha = rctl_jstr(v.doc, "certificate_sha256");
        if (!rf_streq_ptr(rctl_jstr(v.doc, "format"), VALIDATION_FORMAT) ||
            !rf_streq_ptr(rctl_jstr(v.doc, "certificate_id"), cert_id) || !csha || strcasecmp(csha, cert_sha256) != 0) {
                warn_validation(ctx, vid, RF_TR(lang, "elle ne porte pas sur ce certificat (identifiant ou SHA-256)",
                                                "it is not about this certificate (id or SHA-256)"));
                return NULL;
        }
        return json_incref(v.doc);
}

/* The verified validations of the certificate (an array, possibly empty;
 * NULL when out of memory). */
static json_t *verified_validations(struct rctl_ctx *ctx, const json_t *list, const char *cert_id,
                                    const char *cert_sha256, const char *pem) {
        _cleanup_json_ json_t *out = json_array();
        size_t i;
        json_t *e;

        if (!out)
                return NULL;
        if (list && !json_is_array(list))
                fprintf(stderr, "%s",
                        RF_TR(ctx->lang, "Attention : liste « validations » de refurbd illisible ; ignorée.\n",
                              "Warning: refurbd's \"validations\" list is unreadable; ignored.\n"));
        json_array_foreach(list, i, e) {
                json_t *doc = json_is_object(e) ? verified_validation(ctx, e, cert_id, cert_sha256, pem) : NULL;
                if (!json_is_object(e))
                        warn_validation(ctx, NULL, RF_TR(ctx->lang, "entrée illisible", "unreadable entry"));
                if (doc && json_array_append_new(out, doc) < 0)
                        return NULL;
        }
        return TAKE_PTR(out);
}

int rctl_cert_pdf(struct rctl_ctx *ctx, const char *logo, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 }, bench = { 0 };
        _cleanup_(rctl_verdict_clear) struct rctl_verdict v = { 0 };
        _cleanup_free_ char *ca = NULL;
        char path[128], context[128], computed[65], out[PATH_MAX];
        int r;

        if ((r = rctl_check_options(ctx, "cert pdf", RCTL_OPT_OUTPUT | RCTL_OPT_CA)) ||
            (r = rctl_check_args(ctx, "cert pdf", argc, 1, 1)))
                return r;
        const char *arg = argv[1];
        if (rctl_cert_id_valid(arg) < 0)
                return rctl_usage_error(ctx,
                                        RF_TR(lang, "« %s » n'est pas un numéro de certificat (au moins 4 caractères hexadécimaux).",
                                              "'%s' is not a certificate id (at least 4 hexadecimal characters)."),
                                        arg);
        if (logo && (r = check_logo(ctx, logo)))
                return r;
        if (ctx->ca) {
                r = rf_read_file(ctx->ca, RCTL_PEM_MAX, &ca, NULL);
                if (r < 0)
                        return rctl_fail(ctx, RF_TR(lang, "Impossible de lire le certificat du banc %s : %s",
                                                    "Cannot read the bench certificate %s: %s"),
                                         ctx->ca, strerror(-r));
        }

        snprintf(path, sizeof(path), "/v1/certificates/%s", arg);
        snprintf(context, sizeof(context), RF_TR(lang, "Certificat %s", "Certificate %s"), arg);
        bool saved = ctx->json;
        ctx->json = false; /* errors as words */
        r = rctl_fetch(ctx, path, context, &reply);
        if (r == 0 && !ca)
                r = rctl_fetch(ctx, "/v1/bench/certificate", NULL, &bench);
        ctx->json = saved;
        if (r != 0)
                return r;

        const char *id = rctl_jstr(reply.json, "id");
        const json_t *json = json_object_get(reply.json, "json");
        const char *sig = rctl_jstr(reply.json, "signature"), *sha = rctl_jstr(reply.json, "sha256");
        const char *pem = ca ? ca : rctl_jstr(bench.json, "pem");
        if (!id || rctl_cert_id_valid(id) < 0 || !json_is_string(json) || !sig || !pem)
                return rctl_fail(ctx, RF_TR(lang, "Réponse inattendue de refurbd pour le certificat %s.",
                                            "Unexpected answer from refurbd for certificate %s."),
                                 arg);
        const char *text = json_string_value(json);
        size_t len = json_string_length(json);

        /* Exactly the checks of "cert verify", and the digest as "cert export". */
        if (rf_sha256_hex(text, len, computed) < 0 || (sha && strcasecmp(sha, computed) != 0))
                return rctl_fail(ctx, RF_TR(lang, "Certificat %s : le texte reçu ne correspond pas à son empreinte SHA-256 ; pas de PDF.",
                                            "Certificate %s: the text received does not match its SHA-256; no PDF."),
                                 id);
        r = rctl_cert_check(text, len, sig, pem, lang, &v);
        if (r == -ENOMEM)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        if (r == -ENOKEY)
                return rctl_fail(ctx, RF_TR(lang, "Vérification impossible : %s ; pas de PDF.", "Cannot verify: %s; no PDF."),
                                 v.why);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(lang, "Certificat %s INVALIDE : %s ; pas de PDF.",
                                            "Certificate %s INVALID: %s; no PDF."),
                                 id, v.why);

        if (output_path(ctx, id, out) < 0)
                return rctl_fail(ctx, RF_TR(lang, "Chemin trop long : %s", "Path too long: %s"), ctx->output);
        _cleanup_json_ json_t *validations =
                verified_validations(ctx, json_object_get(reply.json, "validations"), id, computed, pem);
        if (!validations)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        r = rpt_certificate_pdf(text, len, computed, validations, lang, logo, out);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(lang, "Impossible d'écrire le PDF %s : %s", "Cannot write the PDF %s: %s"), out,
                                 render_error(r, lang));
        if (ctx->json) {
                _cleanup_json_ json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:O}", "id", id, "pdf", out, "sha256", computed,
                                                     "signer_sha256", v.signer_sha256, "validations", validations);
                return o ? rctl_emit_json(ctx, o) : rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        }
        _cleanup_free_ char *clean = rctl_sanitize(out);
        printf(RF_TR(lang, "Certificat %s vérifié (signé par %s) ; PDF écrit : %s\n",
                     "Certificate %s verified (signed by %s); PDF written: %s\n"),
               id, v.signer_cn, clean ? clean : "?");
        if (json_array_size(validations) > 0)
                printf(RF_TR(lang, "%zu validation(s) d'un responsable vérifiée(s) et imprimée(s).\n",
                             "%zu supervisor validation(s) verified and printed.\n"),
                       json_array_size(validations));
        return RCTL_EXIT_OK;
}
