/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl cert list | show ID | export ID --output DIR (verify: rctl-verify.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rctl-cert.h"
#include "rctl-output.h"
#include "rctl-state.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-util.h"

static int cert_list(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        int r;

        if ((r = rctl_check_options(ctx, "cert list", 0)) || (r = rctl_check_args(ctx, "cert list", argc, 0, 0)))
                return r;
        r = rctl_fetch(ctx, "/v1/certificates", NULL, &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        if (r != 0 || ctx->json)
                return r;
        const json_t *list = rctl_jarr(reply.json, "certificates");
        if (!list)
                return rctl_fail(ctx, "%s",
                                 RF_TR(lang, "Réponse inattendue de refurbd : la liste « certificates » manque.",
                                       "Unexpected answer from refurbd: the \"certificates\" list is missing."));

        const char *headers[] = {
                RF_TR(lang, "CERTIFICAT", "CERTIFICATE"), RF_TR(lang, "N°", "SEQ"),
                "DATE",              RF_TR(lang, "TÂCHE", "JOB"),
                RF_TR(lang, "N° DE SÉRIE", "SERIAL"),     RF_TR(lang, "MODÈLE", "MODEL"),
                RF_TR(lang, "RÉSULTAT", "RESULT"),
        };
        _cleanup_table_ struct rctl_table *t = NULL;
        if (rctl_table_new(ELEMENTSOF(headers), headers, &t) < 0)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        size_t i;
        json_t *c;
        rctl_warn_bad_entries(ctx, list, "certificates");
        json_array_foreach(list, i, c) {
                char id[9], seq[32] = "?", job[32] = "?", date[64];
                if (!json_is_object(c))
                        continue;
                long long v;
                const char *full = rctl_jstr(c, "id");

                snprintf(id, sizeof(id), "%s", full ? full : "?");
                if (rctl_jint(c, "seq", &v) == 0)
                        snprintf(seq, sizeof(seq), "%lld", v);
                if (rctl_jint(c, "job_id", &v) == 0)
                        snprintf(job, sizeof(job), "%lld", v);
                /* A refurbishment certificate or a validation comes from no
                 * job: say what it is rather than "job 0, ERASED". */
                const char *kind = rctl_jstr(c, "kind"), *result = rctl_result_words(rctl_jstr(c, "result"), lang);
                if (rf_streq_ptr(kind, "refurbishment") || rf_streq_ptr(kind, "validation")) {
                        snprintf(job, sizeof(job), "—");
                        result = strcmp(kind, "validation") == 0 ? "VALIDATION"
                                                                 : RF_TR(lang, "RECONDITIONNEMENT", "REFURBISHMENT");
                }
                rctl_format_time(rctl_jstr(c, "created_at"), lang, date, sizeof(date));
                const char *row[] = {
                        id, seq, date, job, rctl_jstr(c, "serial"), rctl_jstr(c, "model"), result,
                };
                if (rctl_table_add(t, row) < 0)
                        break;
        }
        if (rctl_table_rows(t) == 0)
                printf("%s\n", RF_TR(lang, "Aucun certificat.", "No certificates."));
        else
                rctl_table_print(t, stdout, true, 0, NULL, false);
        return RCTL_EXIT_OK;
}

/* GET /v1/certificates/ID, checked: id, json, signature, signer_certificate. */
static int cert_fetch(struct rctl_ctx *ctx, const char *id, struct rctl_reply *reply) {
        enum rf_lang lang = ctx->lang;
        char path[128], context[128];

        if (rctl_cert_id_valid(id) < 0)
                return rctl_usage_error(ctx,
                                        RF_TR(lang, "« %s » n'est pas un numéro de certificat (au moins 4 caractères hexadécimaux).",
                                              "'%s' is not a certificate id (at least 4 hexadecimal characters)."),
                                        id);
        snprintf(path, sizeof(path), "/v1/certificates/%s", id);
        snprintf(context, sizeof(context), RF_TR(lang, "Certificat %s", "Certificate %s"), id);
        int r = rctl_fetch(ctx, path, context, reply);
        if (r != 0)
                return r;
        const char *full = rctl_jstr(reply->json, "id");
        if (!full || rctl_cert_id_valid(full) < 0 || !json_is_string(json_object_get(reply->json, "json")) ||
            !rctl_jstr(reply->json, "signature") || !rctl_jstr(reply->json, "signer_certificate"))
                return rctl_fail(ctx, RF_TR(lang, "Réponse inattendue de refurbd pour le certificat %s.",
                                            "Unexpected answer from refurbd for certificate %s."),
                                 id);
        return 0;
}

static const char *or_dash(const char *s) {
        return s && *s ? s : NULL;
}

static void print_section(const char *title) {
        printf("%s\n", title);
}

static int cert_show(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        _cleanup_json_ json_t *doc = NULL;
        char err[256] = "";
        int r;

        if ((r = rctl_check_options(ctx, "cert show", 0)) || (r = rctl_check_args(ctx, "cert show", argc, 1, 1)))
                return r;
        r = cert_fetch(ctx, argv[1], &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        if (r != 0 || ctx->json)
                return r;
        const json_t *json = json_object_get(reply.json, "json");
        if (rf_json_parse(json_string_value(json), json_string_length(json), &doc, err, sizeof(err)) < 0 ||
            !json_is_object(doc))
                return rctl_fail(ctx, RF_TR(lang, "Le certificat %s n'est pas un document JSON lisible : %s",
                                            "Certificate %s is not a readable JSON document: %s"),
                                 argv[1], err[0] ? err : "?");

        char issued[64], started[64], ended[64], size[32], written[32], verified[32], job[32] = "?", seq[32] = "?";
        char identity[512], verif[160], result[700], bench[300];
        long long v;
        const json_t *media = rctl_jobj(doc, "media");
        const json_t *san = rctl_jobj(doc, "sanitization");
        const json_t *ver = rctl_jobj(doc, "verification");
        const json_t *jb = rctl_jobj(doc, "job");
        const json_t *bn = rctl_jobj(doc, "bench");

        rctl_format_time(rctl_jstr(doc, "issued_at"), lang, issued, sizeof(issued));
        rctl_format_time(rctl_jstr(jb, "started_at"), lang, started, sizeof(started));
        rctl_format_time(rctl_jstr(jb, "ended_at"), lang, ended, sizeof(ended));
        snprintf(size, sizeof(size), "?");
        if (rctl_jint(media, "size_bytes", &v) == 0 && v >= 0)
                rf_format_bytes((uint64_t) v, lang == RF_LANG_FR, size, sizeof(size));
        snprintf(written, sizeof(written), "?");
        if (rctl_jint(jb, "bytes_written", &v) == 0 && v >= 0)
                rf_format_bytes((uint64_t) v, lang == RF_LANG_FR, written, sizeof(written));
        snprintf(verified, sizeof(verified), "?");
        if (rctl_jint(ver, "bytes_verified", &v) == 0 && v >= 0)
                rf_format_bytes((uint64_t) v, lang == RF_LANG_FR, verified, sizeof(verified));
        if (rctl_jint(jb, "id", &v) == 0)
                snprintf(job, sizeof(job), "%lld", v);
        if (rctl_jint(doc, "sequence", &v) == 0)
                snprintf(seq, sizeof(seq), "%lld", v);
        rctl_identity_words(media, lang, identity, sizeof(identity));

        const char *mode = rctl_jstr(ver, "mode");
        long long pct = 0;
        (void) rctl_jint(ver, "percent", &pct);
        if (rf_streq_ptr(mode, "full"))
                snprintf(verif, sizeof(verif), "%s", RF_TR(lang, "complète (tout le disque relu)", "full (the whole drive read back)"));
        else
                snprintf(verif, sizeof(verif), RF_TR(lang, "par échantillons (%lld %% du disque)", "sampled (%lld%% of the drive)"),
                         pct);

        const char *res = rctl_jstr(doc, "result"), *reason = rctl_jstr(doc, "result_reason");
        const char *res_words = rctl_result_words(res, lang);
        if (reason && *reason)
                snprintf(result, sizeof(result), "%s — %s", res_words ? res_words : "?", reason);
        else
                snprintf(result, sizeof(result), "%s", res_words ? res_words : "?");

        const char *bench_name = rctl_jstr(bn, "name"), *host = rctl_jstr(bn, "hostname");
        if (bench_name && host && strcmp(bench_name, host) != 0)
                snprintf(bench, sizeof(bench), RF_TR(lang, "%s (machine %s)", "%s (host %s)"), bench_name, host);
        else
                snprintf(bench, sizeof(bench), "%s", bench_name ? bench_name : host ? host : "?");

        const json_t *sigs = json_object_get(ver, "signatures_found_after");
        char sig_words[512] = "";
        if (json_is_array(sigs) && json_array_size(sigs) == 0)
                snprintf(sig_words, sizeof(sig_words), "%s", RF_TR(lang, "aucune", "none"));
        else if (json_is_array(sigs)) {
                size_t i, pos = 0;
                json_t *s;
                json_array_foreach(sigs, i, s) {
                        if (!json_is_string(s) || pos >= sizeof(sig_words))
                                continue;
                        int k = snprintf(sig_words + pos, sizeof(sig_words) - pos, "%s%s", i > 0 ? ", " : "",
                                         json_string_value(s));
                        pos += k > 0 ? (size_t) k : 0;
                }
        } else
                snprintf(sig_words, sizeof(sig_words), "%s", RF_TR(lang, "recherche non faite", "not checked"));

        _cleanup_free_ char *id = rctl_sanitize(rctl_jstr(doc, "id"));
        printf(RF_TR(lang, "Certificat d'effacement %s (n° %s)\n", "Erasure certificate %s (no. %s)\n"), id ? id : "?",
               seq);
        const char *head[] = {
                RF_TR(lang, "Résultat", "Result"),   result,
                RF_TR(lang, "Émis le", "Issued"),    issued,
        };
        rctl_print_fields(lang, "  ", head, ELEMENTSOF(head) / 2);

        print_section(RF_TR(lang, "Disque", "Drive"));
        const char *drive[] = {
                RF_TR(lang, "Identité", "Identity"),          identity,
                "WWN",                    or_dash(rctl_jstr(media, "wwn")),
                RF_TR(lang, "Taille", "Size"),                size,
                RF_TR(lang, "Connexion", "Transport"),        or_dash(rctl_jstr(media, "transport")),
                RF_TR(lang, "Contenu avant", "Content before"), or_dash(rctl_jstr(media, "content_before")),
                RF_TR(lang, "Périphérique", "Device"),        or_dash(rctl_jstr(media, "devnode")),
                RF_TR(lang, "Baie", "Bay"),                   or_dash(rctl_jstr(media, "bay")),
        };
        rctl_print_fields(lang, "  ", drive, ELEMENTSOF(drive) / 2);

        print_section(RF_TR(lang, "Effacement", "Erasure"));
        const char *erase[] = {
                RF_TR(lang, "Catégorie", "Category"),   or_dash(rctl_jstr(san, "category")),
                RF_TR(lang, "Norme", "Standard"),       or_dash(rctl_jstr(san, "standard")),
                RF_TR(lang, "Méthode", "Method"),       or_dash(rctl_jstr(san, "method")),
                "Technique",  or_dash(rctl_jstr(san, "technique")),
                RF_TR(lang, "Tâche", "Job"),            job,
                RF_TR(lang, "Début", "Started"),        started,
                RF_TR(lang, "Fin", "Ended"),            ended,
                RF_TR(lang, "Écrit", "Written"),        written,
        };
        rctl_print_fields(lang, "  ", erase, ELEMENTSOF(erase) / 2);
        _cleanup_free_ char *fallback = rctl_sanitize(rctl_jstr(san, "fallback_reason"));
        if (fallback && *fallback)
                printf("  %s : %s\n", RF_TR(lang, "Pourquoi pas de Purge", "Why no Purge"), fallback);
        const json_t *health = json_object_get(doc, "health");
        if (json_is_true(json_object_get(health, "to_destroy")))
                printf("  %s\n", RF_TR(lang, "SANTÉ : le disque signale une panne (SMART) — à DÉTRUIRE, ne pas réemployer",
                                        "HEALTH: the drive reports a failure (SMART) — DESTROY it, do not reuse"));

        print_section(RF_TR(lang, "Vérification", "Verification"));
        const char *check[] = {
                "Mode",                                verif,
                RF_TR(lang, "Relu", "Read back"),                           verified,
                RF_TR(lang, "Signatures après effacement", "Signatures after erasure"), sig_words,
        };
        rctl_print_fields(lang, "  ", check, ELEMENTSOF(check) / 2);

        const json_t *exc = rctl_jarr(doc, "exceptions");
        if (!exc || json_array_size(exc) == 0)
                printf("%s\n", RF_TR(lang, "Exceptions : aucune", "Exceptions: none"));
        else {
                size_t i;
                json_t *e;
                printf(RF_TR(lang, "Exceptions (%zu) :\n", "Exceptions (%zu):\n"), json_array_size(exc));
                json_array_foreach(exc, i, e) {
                        long long off = -1, len = -1;
                        (void) rctl_jint(e, "offset", &off);
                        (void) rctl_jint(e, "length", &len);
                        _cleanup_free_ char *kind = rctl_sanitize(rctl_jstr(e, "kind"));
                        _cleanup_free_ char *error = rctl_sanitize(rctl_jstr(e, "error"));
                        printf(RF_TR(lang, "  %s à l'octet %lld, %lld octets%s%s\n", "  %s at byte %lld, %lld bytes%s%s\n"),
                               kind ? kind : "?", off, len, error && *error ? " — " : "", error ? error : "");
                        if (i >= 99 && json_array_size(exc) > 100) {
                                printf(RF_TR(lang, "  … et %zu autres\n", "  … and %zu more\n"), json_array_size(exc) - 100);
                                break;
                        }
                }
        }

        print_section(RF_TR(lang, "Banc", "Bench"));
        const char *who[] = {
                RF_TR(lang, "Nom", "Name"),                              bench,
                "Organisation",             or_dash(rctl_jstr(bn, "organisation")),
                RF_TR(lang, "Lieu", "Location"),                         or_dash(rctl_jstr(bn, "location")),
                RF_TR(lang, "Technicien", "Technician"),                 or_dash(rctl_jpath_str(doc, "operator.technician")),
                RF_TR(lang, "Signataire (SHA-256)", "Signer (SHA-256)"), or_dash(rctl_jstr(bn, "signer_sha256")),
                RF_TR(lang, "Certificat précédent (SHA-256)", "Previous certificate (SHA-256)"),
                or_dash(rctl_jstr(doc, "previous_sha256")),
        };
        rctl_print_fields(lang, "  ", who, ELEMENTSOF(who) / 2);
        return RCTL_EXIT_OK;
}

/* s for a shell command line, single-quoted when it needs it. */
static void put_shell_word(FILE *f, const char *s) {
        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,=@") == strlen(s)) {
                fputs(s, f);
                return;
        }
        fputc('\'', f);
        for (const char *p = s; *p; p++)
                if (*p == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*p, f);
        fputc('\'', f);
}

struct export_paths {
        char json[PATH_MAX], sig[PATH_MAX], crt[PATH_MAX];
};

static void put_verify_command(FILE *f, const struct export_paths *p) {
        fputs("openssl cms -verify -binary -content ", f);
        put_shell_word(f, p->json);
        fputs(" -in ", f);
        put_shell_word(f, p->sig);
        fputs(" -inform PEM -CAfile ", f);
        put_shell_word(f, p->crt);
}

static int write_one(struct rctl_ctx *ctx, const char *path, const char *data, size_t len) {
        int r = rf_write_file_atomic(path, data, len, 0644);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(ctx->lang, "Impossible d'écrire %s : %s", "Cannot write %s: %s"), path,
                                 strerror(-r));
        return 0;
}

/* The three files; bench.crt is the trust anchor of every certificate in
 * the directory: never replaced by another bench's. */
static int export_write(struct rctl_ctx *ctx, const struct rctl_reply *reply, const struct export_paths *p) {
        enum rf_lang lang = ctx->lang;
        const json_t *json = json_object_get(reply->json, "json");
        const char *sig = rctl_jstr(reply->json, "signature");
        const char *crt = rctl_jstr(reply->json, "signer_certificate");
        _cleanup_free_ char *existing = NULL;
        int r;

        r = rf_mkdir_p(ctx->output, 0755);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(lang, "Impossible de créer le répertoire %s : %s", "Cannot create directory %s: %s"),
                                 ctx->output, strerror(-r));
        r = rf_read_file(p->crt, RCTL_PEM_MAX, &existing, NULL);
        if (r >= 0 && !rctl_pem_same_cert(existing, crt))
                return rctl_fail(ctx,
                                 RF_TR(lang,
                                       "%s existe déjà et vient d'un autre banc (ou d'une autre clé) : exportez dans un autre répertoire.",
                                       "%s already exists and comes from another bench (or key): export into another directory."),
                                 p->crt);
        if ((r = write_one(ctx, p->json, json_string_value(json), json_string_length(json))) ||
            (r = write_one(ctx, p->sig, sig, strlen(sig))) || (!existing && (r = write_one(ctx, p->crt, crt, strlen(crt)))))
                return r;
        return 0;
}

static int cert_export(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        _cleanup_(rctl_verdict_clear) struct rctl_verdict v = { 0 };
        struct export_paths p;
        char computed[65];
        int r;

        if ((r = rctl_check_options(ctx, "cert export", RCTL_OPT_OUTPUT)) ||
            (r = rctl_check_args(ctx, "cert export", argc, 1, 1)))
                return r;
        if (!ctx->output)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(lang, "« cert export » demande --output RÉPERTOIRE.",
                                              "'cert export' needs --output DIRECTORY."));
        bool saved = ctx->json;
        ctx->json = false;
        r = cert_fetch(ctx, argv[1], &reply);
        ctx->json = saved;
        if (r != 0)
                return r;

        const char *id = rctl_jstr(reply.json, "id"); /* checked: hex digits and '-' */
        const json_t *json = json_object_get(reply.json, "json");
        const char *text = json_string_value(json);
        size_t len = json_string_length(json);
        const char *sha = rctl_jstr(reply.json, "sha256");

        /* What is written must be what the bench signed. */
        if (sha && (rf_sha256_hex(text, len, computed) < 0 || strcasecmp(sha, computed) != 0))
                return rctl_fail(ctx, RF_TR(lang, "Certificat %s : le texte reçu ne correspond pas à son empreinte SHA-256.",
                                            "Certificate %s: the text received does not match its SHA-256."),
                                 id);
        r = rctl_cert_check(text, len, rctl_jstr(reply.json, "signature"), rctl_jstr(reply.json, "signer_certificate"),
                            lang, &v);
        if (r == -ENOMEM)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        if (r < 0)
                return rctl_fail(ctx, RF_TR(lang, "Certificat %s INVALIDE : %s ; il n'est pas exporté.",
                                            "Certificate %s INVALID: %s; it is not exported."),
                                 id, v.why);

        if ((size_t) snprintf(p.json, sizeof(p.json), "%s/%s.json", ctx->output, id) >= sizeof(p.json) ||
            (size_t) snprintf(p.sig, sizeof(p.sig), "%s/%s.json.p7s", ctx->output, id) >= sizeof(p.sig) ||
            (size_t) snprintf(p.crt, sizeof(p.crt), "%s/bench.crt", ctx->output) >= sizeof(p.crt))
                return rctl_fail(ctx, RF_TR(lang, "Chemin trop long : %s", "Path too long: %s"), ctx->output);
        r = export_write(ctx, &reply, &p);
        if (r != 0)
                return r;

        if (ctx->json) {
                char *cmd = NULL;
                size_t cmd_len = 0;
                FILE *m = open_memstream(&cmd, &cmd_len);
                if (!m)
                        return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                put_verify_command(m, &p);
                bool ok = fclose(m) == 0;
                _cleanup_json_ json_t *o = ok ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "json", p.json, "signature",
                                                          p.sig, "signer_certificate", p.crt, "verify_command", cmd)
                                              : NULL;
                free(cmd);
                return o ? rctl_emit_json(ctx, o) : rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        }
        printf(RF_TR(lang, "Certificat %s exporté :\n  %s\n  %s\n  %s\n", "Certificate %s exported:\n  %s\n  %s\n  %s\n"), id,
               p.json, p.sig, p.crt);
        printf("%s\n  ", RF_TR(lang, "Pour le vérifier avec openssl :", "To check it with openssl:"));
        put_verify_command(stdout, &p);
        putchar('\n');
        return RCTL_EXIT_OK;
}

int rctl_cmd_cert(struct rctl_ctx *ctx, int argc, char **argv) {
        static const struct {
                const char *name;
                int (*run)(struct rctl_ctx *ctx, int argc, char **argv);
        } subs[] = {
                { "list", cert_list },
                { "show", cert_show },
                { "export", cert_export },
                { "verify", rctl_cert_verify },
        };

        if (argc < 2)
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(ctx->lang, "« cert » attend list, show, export, verify ou pdf.",
                                              "'cert' expects list, show, export, verify or pdf."));
        for (size_t i = 0; i < ELEMENTSOF(subs); i++)
                if (strcmp(argv[1], subs[i].name) == 0)
                        return subs[i].run(ctx, argc - 1, argv + 1);
        return rctl_usage_error(ctx,
                                RF_TR(ctx->lang, "« cert %s » : sous-commande inconnue (list, show, export, verify, pdf).",
                                      "'cert %s': unknown subcommand (list, show, export, verify, pdf)."),
                                argv[1]);
}
