/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl cert verify, and the certificate checks shared with export. */
#include <errno.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/pem.h> /* before cms.h: PEM_read_bio_CMS() */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rctl-cert.h"
#include "rctl-output.h"
#include "rctl-state.h"
#include "rctl.h"
#include "rf-cms.h"
#include "rf-json.h"
#include "rf-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(CMS_ContentInfo *, CMS_ContentInfo_free)

static void x509_stack_freep(STACK_OF(X509) **p) {
        if (*p)
                sk_X509_pop_free(*p, X509_free);
}

void rctl_verdict_clear(struct rctl_verdict *v) {
        if (v->doc)
                json_decref(v->doc);
        *v = (struct rctl_verdict) { 0 };
}

int rctl_cert_id_valid(const char *s) {
        size_t n = strlen(s);
        if (n < 4 || n > 64 || strspn(s, "0123456789abcdefABCDEF-") != n)
                return -EINVAL;
        return 0;
}

static X509 *pem_to_x509(const char *pem) {
        size_t len = strlen(pem);
        if (len > INT_MAX)
                return NULL;
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(pem, (int) len);
        return b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
}

bool rctl_pem_same_cert(const char *a, const char *b) {
        _cleanup_(X509_freep) X509 *x = pem_to_x509(a);
        _cleanup_(X509_freep) X509 *y = pem_to_x509(b);
        ERR_clear_error();
        return x && y && X509_cmp(x, y) == 0;
}

/* Common name and fingerprint of a certificate. */
static void describe(X509 *cert, char cn[static 256], char fp[static 65]) {
        char name[256] = "";

        if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name)) < 0)
                name[0] = '\0';
        _cleanup_free_ char *clean = rctl_sanitize(name);
        snprintf(cn, 256, "%s", clean && *clean ? clean : "?");
        if (rf_cert_fingerprint(cert, fp) < 0)
                snprintf(fp, 65, "?");
}

/* Whether one of the certificates carried by the signature is among the
 * trusted ones: tells "signed by another bench" from "content modified". */
static bool signer_is_trusted(const char *sig_pem, const char *trusted_pem, char cn[static 256], char fp[static 65]) {
        size_t len = strlen(sig_pem), tlen = strlen(trusted_pem);
        bool found = false;

        if (len > INT_MAX || tlen > INT_MAX)
                return false;
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(sig_pem, (int) len);
        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = b ? PEM_read_bio_CMS(b, NULL, NULL, NULL) : NULL;
        _cleanup_(x509_stack_freep) STACK_OF(X509) *certs = cms ? CMS_get1_certs(cms) : NULL;
        if (!certs || sk_X509_num(certs) == 0)
                return false;
        describe(sk_X509_value(certs, 0), cn, fp);

        _cleanup_(BIO_free_allp) BIO *t = BIO_new_mem_buf(trusted_pem, (int) tlen);
        for (X509 *c; t && !found && (c = PEM_read_bio_X509(t, NULL, NULL, NULL));) {
                for (int i = 0; i < sk_X509_num(certs) && !found; i++)
                        found = X509_cmp(c, sk_X509_value(certs, i)) == 0;
                X509_free(c);
        }
        ERR_clear_error();
        return found;
}

int rctl_cert_check(const char *text, size_t len, const char *sig_pem, const char *trusted_pem, enum rf_lang lang,
                    struct rctl_verdict *v) {
        _cleanup_free_ char *signer_pem = NULL, *canonical = NULL;
        char err[512] = "";
        size_t canonical_len = 0;

        *v = (struct rctl_verdict) { 0 };
        _cleanup_(X509_freep) X509 *anchor = pem_to_x509(trusted_pem);
        ERR_clear_error();
        if (!anchor) {
                snprintf(v->why, sizeof(v->why), "%s",
                         RF_TR(lang, "le certificat de confiance n'est pas un certificat PEM lisible",
                               "the trusted certificate is not a readable PEM certificate"));
                return -ENOKEY;
        }
        int r = rf_cms_verify(text, len, sig_pem, trusted_pem, &signer_pem, err, sizeof(err));
        ERR_clear_error();
        if (r == -ENOMEM)
                return r;
        if (r == -EBADMSG) {
                char cn[256] = "?", fp[65] = "?";
                if (signer_is_trusted(sig_pem, trusted_pem, cn, fp))
                        snprintf(v->why, sizeof(v->why), "%s",
                                 RF_TR(lang, "la signature ne correspond pas au contenu (fichier modifié ?)",
                                       "the signature does not match the content (modified file?)"));
                else
                        snprintf(v->why, sizeof(v->why),
                                 RF_TR(lang, "il n'est pas signé par le banc attendu (signataire : %s, empreinte %.16s…)",
                                       "it is not signed by the expected bench (signer: %s, fingerprint %.16s…)"),
                                 cn, fp);
                return -EBADMSG;
        }
        if (r < 0) {
                _cleanup_free_ char *clean = rctl_sanitize(err);
                snprintf(v->why, sizeof(v->why),
                         RF_TR(lang, "signature illisible (%s)", "unreadable signature (%s)"),
                         clean ? clean : "?");
                return -EBADMSG;
        }

        _cleanup_(X509_freep) X509 *signer = signer_pem ? pem_to_x509(signer_pem) : NULL;
        if (signer)
                describe(signer, v->signer_cn, v->signer_sha256);
        else
                snprintf(v->signer_cn, sizeof(v->signer_cn), "?");

        if (rf_json_parse(text, len, &v->doc, err, sizeof(err)) < 0) {
                snprintf(v->why, sizeof(v->why),
                         RF_TR(lang, "le contenu signé n'est pas du JSON lisible (%s)",
                               "the signed content is not readable JSON (%s)"),
                         err);
                return -EBADMSG;
        }
        r = rf_json_canonical(v->doc, &canonical, &canonical_len);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || canonical_len != len || memcmp(canonical, text, len) != 0) {
                snprintf(v->why, sizeof(v->why), "%s",
                         RF_TR(lang, "le JSON n'est pas sous forme canonique (ce n'est pas ce que signe un banc)",
                               "the JSON is not in canonical form (not what a bench signs)"));
                return -EBADMSG;
        }
        const char *format = rctl_jstr(v->doc, "format");
        /* The intake documents (docs/intake.md) are signed the same way. */
        if (!rf_streq_ptr(format, RCTL_CERT_FORMAT) && !rf_streq_ptr(format, "refurb-refurbishment-certificate/1") &&
            !rf_streq_ptr(format, "refurb-validation/1")) {
                _cleanup_free_ char *clean = rctl_sanitize(format ? format : "?");
                snprintf(v->why, sizeof(v->why),
                         RF_TR(lang, "format de certificat inconnu (%s) : refurbctl est-il à jour ?",
                               "unknown certificate format (%s): is refurbctl up to date?"),
                         clean ? clean : "?");
                return -EBADMSG;
        }
        const char *announced = rctl_jpath_str(v->doc, "bench.signer_sha256");
        if (announced && signer && strcasecmp(announced, v->signer_sha256) != 0) {
                snprintf(v->why, sizeof(v->why), "%s",
                         RF_TR(lang, "le document annonce un autre signataire que celui qui l'a signé",
                               "the document names another signer than the one who signed it"));
                return -EBADMSG;
        }
        return 0;
}

static int read_text(const struct rctl_ctx *ctx, const char *path, size_t max, const char *what, char **ret,
                     size_t *ret_len) {
        int r = rf_read_file(path, max, ret, ret_len);
        if (r == -EFBIG)
                return rctl_fail(ctx, RF_TR(ctx->lang, "%s trop grand : %s", "%s too large: %s"), what, path);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(ctx->lang, "Impossible de lire %s %s : %s", "Cannot read %s %s: %s"), what,
                                 path, strerror(-r));
        return 0;
}

static int print_verdict(struct rctl_ctx *ctx, int r, const struct rctl_verdict *v, const char *name) {
        enum rf_lang lang = ctx->lang;
        const char *serial = rctl_jpath_str(v->doc, "media.serial");
        const char *result = rctl_jstr(v->doc, "result");
        const char *reason = rctl_jstr(v->doc, "result_reason");

        if (ctx->json) {
                _cleanup_json_ json_t *o = json_pack("{s:b, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "valid", r == 0,
                                                     "file", name, "reason", r == 0 ? NULL : v->why, "signer_cn",
                                                     r == 0 ? v->signer_cn : NULL, "signer_sha256",
                                                     r == 0 ? v->signer_sha256 : NULL, "id",
                                                     r == 0 ? rctl_jstr(v->doc, "id") : NULL, "serial",
                                                     r == 0 ? serial : NULL, "result", r == 0 ? result : NULL);
                if (o)
                        (void) rctl_print_json(o, ctx->tty);
        }
        if (r == -ENOKEY)
                return rctl_fail(ctx, RF_TR(lang, "Vérification impossible : %s.", "Cannot verify: %s."), v->why);
        if (r < 0) {
                _cleanup_free_ char *clean = rctl_sanitize(name);
                return rctl_fail(ctx, RF_TR(lang, "Certificat INVALIDE : %s.\n  (%s)", "Certificate INVALID: %s.\n  (%s)"),
                                 v->why, clean ? clean : "?");
        }
        if (ctx->json)
                return RCTL_EXIT_OK;

        char res[600];
        const char *words = rctl_result_words(result, lang);
        if (reason && *reason && !rf_streq_ptr(result, "erased"))
                snprintf(res, sizeof(res), "%s (%s)", words ? words : "?", reason);
        else
                snprintf(res, sizeof(res), "%s", words ? words : "?");
        _cleanup_free_ char *serial_clean = rctl_sanitize(serial ? serial : RF_TR(lang, "inconnu", "unknown"));
        _cleanup_free_ char *res_clean = rctl_sanitize(res);
        printf(RF_TR(lang, "Certificat valide : signé par %s, disque %s, résultat %s\n",
                     "Valid certificate: signed by %s, drive %s, result %s\n"),
               v->signer_cn, serial_clean ? serial_clean : "?", res_clean ? res_clean : "?");
        printf(RF_TR(lang, "Empreinte SHA-256 du signataire : %s\n", "Signer's SHA-256 fingerprint: %s\n"),
               v->signer_sha256);
        return RCTL_EXIT_OK;
}

/* Verify files: FILE, FILE.p7s (or --signature), bench.crt beside (or --ca). */
static int verify_file(struct rctl_ctx *ctx, const char *file) {
        enum rf_lang lang = ctx->lang;
        _cleanup_free_ char *text = NULL, *sig = NULL, *ca = NULL;
        _cleanup_(rctl_verdict_clear) struct rctl_verdict v = { 0 };
        char sig_path[PATH_MAX], ca_path[PATH_MAX];
        const char *slash = strrchr(file, '/');
        size_t len = 0;
        int r, k;

        if (ctx->signature)
                k = snprintf(sig_path, sizeof(sig_path), "%s", ctx->signature);
        else
                k = snprintf(sig_path, sizeof(sig_path), "%s.p7s", file);
        if (k < 0 || (size_t) k >= sizeof(sig_path))
                return rctl_fail(ctx, RF_TR(lang, "Chemin trop long : %s", "Path too long: %s"), file);
        if (ctx->ca)
                k = snprintf(ca_path, sizeof(ca_path), "%s", ctx->ca);
        else if (slash)
                k = snprintf(ca_path, sizeof(ca_path), "%.*s/bench.crt", (int) (slash - file), file);
        else
                k = snprintf(ca_path, sizeof(ca_path), "bench.crt");
        if (k < 0 || (size_t) k >= sizeof(ca_path))
                return rctl_fail(ctx, RF_TR(lang, "Chemin trop long : %s", "Path too long: %s"), ctx->ca ? ctx->ca : file);

        if ((r = read_text(ctx, file, RCTL_MAX_RESPONSE, RF_TR(lang, "le certificat", "the certificate"), &text, &len)) ||
            (r = read_text(ctx, sig_path, RCTL_PEM_MAX, RF_TR(lang, "la signature", "the signature"), &sig, NULL)))
                return r;
        if (access(ca_path, F_OK) < 0 && !ctx->ca)
                return rctl_fail(ctx,
                                 RF_TR(lang, "Certificat du banc introuvable : %s (donnez-le avec --ca FICHIER).",
                                       "Bench certificate not found: %s (give it with --ca FILE)."),
                                 ca_path);
        if ((r = read_text(ctx, ca_path, RCTL_PEM_MAX, RF_TR(lang, "le certificat du banc", "the bench certificate"), &ca,
                           NULL)))
                return r;

        r = rctl_cert_check(text, len, sig, ca, lang, &v);
        if (r == -ENOMEM)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        return print_verdict(ctx, r, &v, file);
}

/* Verify a certificate kept by the daemon, against the bench's current
 * certificate (or --ca). */
static int verify_remote(struct rctl_ctx *ctx, const char *id) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 }, bench = { 0 };
        _cleanup_(rctl_verdict_clear) struct rctl_verdict v = { 0 };
        _cleanup_free_ char *ca = NULL;
        char path[128], context[128];
        int r;

        if (rctl_cert_id_valid(id) < 0)
                return rctl_usage_error(ctx,
                                        RF_TR(lang, "« %s » n'est ni un fichier ni un numéro de certificat (au moins 4 caractères hexadécimaux).",
                                              "'%s' is neither a file nor a certificate id (at least 4 hexadecimal characters)."),
                                        id);
        if (ctx->ca && (r = read_text(ctx, ctx->ca, RCTL_PEM_MAX, RF_TR(lang, "le certificat du banc", "the bench certificate"),
                                      &ca, NULL)))
                return r;
        snprintf(path, sizeof(path), "/v1/certificates/%s", id);
        snprintf(context, sizeof(context), RF_TR(lang, "Certificat %s", "Certificate %s"), id);
        bool saved = ctx->json;
        ctx->json = false; /* errors as words; the verdict is the JSON output */
        r = rctl_fetch(ctx, path, context, &reply);
        if (r == 0 && !ca)
                r = rctl_fetch(ctx, "/v1/bench/certificate", NULL, &bench);
        ctx->json = saved;
        if (r != 0)
                return r;

        const json_t *json = json_object_get(reply.json, "json");
        const char *sig = rctl_jstr(reply.json, "signature");
        const char *pem = ca ? ca : rctl_jstr(bench.json, "pem");
        const char *real_id = rctl_jstr(reply.json, "id");
        if (!json_is_string(json) || !sig || !pem)
                return rctl_fail(ctx, RF_TR(lang, "Réponse inattendue de refurbd pour le certificat %s.",
                                            "Unexpected answer from refurbd for certificate %s."),
                                 id);
        r = rctl_cert_check(json_string_value(json), json_string_length(json), sig, pem, lang, &v);
        if (r == -ENOMEM)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        return print_verdict(ctx, r, &v, real_id ? real_id : id);
}

int rctl_cert_verify(struct rctl_ctx *ctx, int argc, char **argv) {
        struct stat st;
        int r;

        if ((r = rctl_check_options(ctx, "cert verify", RCTL_OPT_CA | RCTL_OPT_SIGNATURE)) ||
            (r = rctl_check_args(ctx, "cert verify", argc, 1, 1)))
                return r;
        const char *arg = argv[1];
        if (stat(arg, &st) == 0) {
                if (!S_ISREG(st.st_mode))
                        return rctl_fail(ctx, RF_TR(ctx->lang, "%s n'est pas un fichier.", "%s is not a file."), arg);
                return verify_file(ctx, arg);
        }
        size_t n = strlen(arg);
        if (strchr(arg, '/') || (n > 5 && strcmp(arg + n - 5, ".json") == 0))
                return rctl_fail(ctx, RF_TR(ctx->lang, "Fichier introuvable : %s", "File not found: %s"), arg);
        if (ctx->given & RCTL_OPT_SIGNATURE)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "--signature ne s'emploie qu'avec un fichier.",
                                              "--signature only goes with a file."));
        return verify_remote(ctx, arg);
}
