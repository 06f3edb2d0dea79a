/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl ledger verify [--from-dir DIR] [--ca FILE] [HEAD.json]
 * refurbctl ledger export --output DIR
 * The chain of certificates, whole, checked and kept off the bench
 * (docs/ledger.md). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rctl-cert.h"
#include "rctl-ledger.h"
#include "rctl-output.h"
#include "rctl.h"
#include "rf-cms.h"
#include "rf-json.h"
#include "rf-ledger.h"
#include "rf-util.h"

#define OOM(ctx) rctl_fail(ctx, "%s", RF_TR((ctx)->lang, "Mémoire insuffisante.", "Out of memory."))
#define MAX_PAGES 100000

/* The ledger as read: entries (objects {seq, id, json, signature}) and the
 * views the checker needs, pointing into them. */
struct ledger {
        json_t *list;
        struct rf_ledger_entry *e;
        size_t n;
        char *trusted;   /* PEM */
        char *bench;     /* bench name, when known */
};

static void ledger_done(struct ledger *l) {
        json_decref(l->list);
        free(l->e);
        free(l->trusted);
        free(l->bench);
        *l = (struct ledger) {};
}

static int ledger_views(struct ledger *l) {
        l->n = json_array_size(l->list);
        l->e = calloc(l->n ? l->n : 1, sizeof(*l->e));
        if (!l->e)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                const json_t *o = json_array_get(l->list, i);
                const json_t *t = json_object_get(o, "json");
                l->e[i] = (struct rf_ledger_entry) {
                        .seq = rf_json_int(o, "seq"),
                        .id = rctl_jstr(o, "id"),
                        .json_text = json_string_value(t) ? json_string_value(t) : "",
                        .json_len = json_string_length(t),
                        .signature_pem = rctl_jstr(o, "signature"),
                };
        }
        return 0;
}

static int read_text(const struct rctl_ctx *ctx, const char *path, size_t max, char **ret, size_t *ret_len) {
        int r = rf_read_file(path, max, ret, ret_len);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(ctx->lang, "Impossible de lire %s : %s", "Cannot read %s: %s"), path,
                                 r == -EFBIG ? RF_TR(ctx->lang, "trop grand", "too large") : strerror(-r));
        return 0;
}

/* Every page of GET /v1/ledger from seq from on, appended to l->list. */
static int fetch_entries(struct rctl_ctx *ctx, int64_t from, struct ledger *l) {
        const char *context = RF_TR(ctx->lang, "Registre", "Ledger");
        for (unsigned page = 0; page < MAX_PAGES && from > 0; page++) {
                _cleanup_reply_ struct rctl_reply reply = { 0 };
                char path[96];
                snprintf(path, sizeof(path), "/v1/ledger?from=%" PRId64 "&limit=500", from);
                int r = rctl_fetch(ctx, path, context, &reply);
                if (r != 0)
                        return r;
                const json_t *list = rctl_jarr(reply.json, "entries");
                const char *pem = rctl_jstr(reply.json, "bench_certificate");
                if (!list || !pem)
                        return rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Réponse inattendue de refurbd pour le registre.",
                                                          "Unexpected answer from refurbd for the ledger."));
                if (!l->trusted && !(l->trusted = strdup(pem)))
                        return OOM(ctx);
                if (!l->bench && rctl_jstr(reply.json, "bench") && !(l->bench = strdup(rctl_jstr(reply.json, "bench"))))
                        return OOM(ctx);
                if (json_array_extend(l->list, (json_t *) list) < 0)
                        return OOM(ctx);
                long long next;
                from = rctl_jint(reply.json, "next_from", &next) == 0 && next > from ? next : 0;
        }
        return 0;
}

/* certificates/NNNNNN-ID.json (+ .p7s) of an exported ledger, by number. */
static int cmp_seq(const void *a, const void *b) {
        long long x = rf_json_int(*(json_t *const *) a, "seq"), y = rf_json_int(*(json_t *const *) b, "seq");
        return (x > y) - (x < y);
}

static int read_dir(struct rctl_ctx *ctx, const char *dir, struct ledger *l) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/certificates", dir);
        _cleanup_closedir_ DIR *d = opendir(path);
        if (!d)
                return rctl_fail(ctx, RF_TR(ctx->lang, "Impossible de lire %s : %s", "Cannot read %s: %s"), path,
                                 strerror(errno));
        json_t **items = NULL;
        size_t n = 0;
        int ret = 0;
        struct dirent *de;
        while (ret == 0 && (de = readdir(d))) {
                char id[65];
                long long seq;
                int used = 0;
                size_t len = strlen(de->d_name);
                if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0 ||
                    sscanf(de->d_name, "%lld-%64[0-9a-f-].json%n", &seq, id, &used) != 2 || (size_t) used != len ||
                    seq <= 0)
                        continue;
                _cleanup_free_ char *text = NULL, *sig = NULL;
                size_t tlen = 0;
                char file[4200];
                snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
                if ((ret = read_text(ctx, file, RCTL_MAX_RESPONSE, &text, &tlen)) != 0)
                        break;
                snprintf(file, sizeof(file), "%s/%s.p7s", path, de->d_name);
                (void) rf_read_file(file, RCTL_PEM_MAX, &sig, NULL); /* missing: a finding */
                json_t *o = json_pack("{s:I, s:s, s:s%, s:s?}", "seq", (json_int_t) seq, "id", id, "json", text, tlen,
                                      "signature", sig);
                json_t **grown = o ? realloc(items, (n + 1) * sizeof(*items)) : NULL;
                if (!grown) {
                        json_decref(o);
                        ret = o ? OOM(ctx)
                                : rctl_fail(ctx, RF_TR(ctx->lang, "%s n'est pas du texte UTF-8.", "%s is not UTF-8 text."),
                                            de->d_name);
                        break;
                }
                items = grown;
                items[n++] = o;
        }
        if (ret == 0 && n > 1)
                qsort(items, n, sizeof(*items), cmp_seq);
        for (size_t i = 0; i < n; i++)
                if (ret == 0 && json_array_append(l->list, items[i]) < 0)
                        ret = OOM(ctx);
        for (size_t i = 0; i < n; i++)
                json_decref(items[i]);
        free(items);
        return ret;
}

/* A head statement (FILE, its signature FILE.p7s) checked against the
 * trust, then compared with the ledger. Problems become findings. */
static int check_head(struct rctl_ctx *ctx, const char *file, const struct ledger *l, struct rf_ledger_result *res,
                      json_t **ret_head) {
        _cleanup_free_ char *text = NULL, *sig = NULL, *sig_path = NULL;
        _cleanup_json_ json_t *head = NULL;
        size_t len = 0;
        char err[256] = "";
        int r;

        if ((r = read_text(ctx, file, RCTL_PEM_MAX, &text, &len)) != 0)
                return r;
        if (asprintf(&sig_path, "%s.p7s", file) < 0)
                return OOM(ctx);
        if ((r = read_text(ctx, sig_path, RCTL_PEM_MAX, &sig, NULL)) != 0)
                return r;
        /* A head that is not the bench's says nothing: not compared. */
        if (rf_cms_verify(text, len, sig, l->trusted, NULL, err, sizeof(err)) < 0) {
                printf(RF_TR(ctx->lang, "Déclaration de tête %s : signature INVALIDE (%s)\n",
                             "Head statement %s: INVALID signature (%s)\n"),
                       file, err);
                return RCTL_EXIT_FAILED;
        }
        if (rf_json_parse(text, len, &head, err, sizeof(err)) < 0 ||
            (r = rf_ledger_check_head(l->e, l->n, head, res)) == -EINVAL)
                return rctl_fail(ctx, RF_TR(ctx->lang, "%s n'est pas une déclaration de tête de registre.",
                                            "%s is not a ledger head statement."),
                                 file);
        if (r < 0)
                return OOM(ctx);
        *ret_head = TAKE_PTR(head);
        return 0;
}

static int print_result(struct rctl_ctx *ctx, const struct rf_ledger_result *res, json_t *head, int head_rc) {
        enum rf_lang lang = ctx->lang;
        if (ctx->json) {
                _cleanup_json_ json_t *o = rf_ledger_result_to_json(res);
                if (!o || json_object_set(o, "head", head ? head : json_null()) < 0 ||
                    json_object_set_new(o, "head_signature_valid", json_boolean(head_rc == 0)) < 0)
                        return OOM(ctx);
                int r = rctl_emit_json(ctx, o);
                return r != 0 ? r : res->n_findings || head_rc ? RCTL_EXIT_FAILED : RCTL_EXIT_OK;
        }
        for (size_t i = 0; i < res->n_findings; i++) {
                const struct rf_ledger_finding *f = &res->findings[i];
                _cleanup_free_ char *msg = rctl_sanitize(RF_TR(lang, f->message_fr, f->message_en));
                printf(RF_TR(lang, "n° %" PRId64 " [%s] : %s\n", "#%" PRId64 " [%s]: %s\n"), f->seq,
                       rf_ledger_kind_to_string(f->kind), msg ? msg : "?");
        }
        if (res->n_findings || head_rc) {
                printf(RF_TR(lang, "Registre NON intègre : %zu problème(s) sur %zu certificats.\n",
                             "Ledger NOT intact: %zu problem(s) in %zu certificates.\n"),
                       res->n_findings + (head_rc ? 1 : 0), res->count);
                return RCTL_EXIT_FAILED;
        }
        if (res->count == 0)
                printf("%s\n", RF_TR(lang, "Registre vide : aucun certificat.", "Empty ledger: no certificates."));
        else
                printf(RF_TR(lang, "Registre intègre : %zu certificats, du n° %" PRId64 " au n° %" PRId64
                                   ", dernier SHA-256 %s\n",
                             "Ledger intact: %zu certificates, numbers %" PRId64 " to %" PRId64 ", last SHA-256 %s\n"),
                       res->count, res->first_seq, res->last_seq, res->last_sha256);
        if (head)
                printf(RF_TR(lang, "Conforme à la déclaration de tête du %s (jusqu'au n° %lld).\n",
                             "Matches the head statement of %s (up to number %lld).\n"),
                       rctl_jstr(head, "exported_at") ? rctl_jstr(head, "exported_at") : "?",
                       rf_json_int(head, "last_seq"));
        return RCTL_EXIT_OK;
}

static int ledger_verify(struct rctl_ctx *ctx, int argc, char **argv) {
        _cleanup_(ledger_done) struct ledger l = {};
        _cleanup_(rf_ledger_result_clear) struct rf_ledger_result res = {};
        _cleanup_json_ json_t *head = NULL;
        _cleanup_free_ char *head_path = NULL;
        int r;

        if ((r = rctl_check_options(ctx, "ledger verify", RCTL_OPT_FROM_DIR | RCTL_OPT_CA)) ||
            (r = rctl_check_args(ctx, "ledger verify", argc, 0, 1)))
                return r;
        if (!(l.list = json_array()))
                return OOM(ctx);
        if (ctx->from_dir) {
                r = read_dir(ctx, ctx->from_dir, &l);
                if (r == 0 && !ctx->ca) {
                        char crt[4200];
                        snprintf(crt, sizeof(crt), "%s/bench.crt", ctx->from_dir);
                        r = read_text(ctx, crt, RCTL_PEM_MAX, &l.trusted, NULL);
                }
        } else {
                bool saved = ctx->json;
                ctx->json = false;
                r = fetch_entries(ctx, 1, &l);
                ctx->json = saved;
        }
        if (r != 0)
                return r;
        if (ctx->ca) {
                free(l.trusted);
                l.trusted = NULL;
                if ((r = read_text(ctx, ctx->ca, RCTL_PEM_MAX, &l.trusted, NULL)) != 0)
                        return r;
        }
        if (ledger_views(&l) < 0)
                return OOM(ctx);
        r = rf_ledger_check(l.e, l.n, l.trusted, &res);
        if (r == -ENOMEM)
                return OOM(ctx);
        if (r < 0)
                return rctl_fail(ctx, "%s", RF_TR(ctx->lang, "Vérification du registre impossible.",
                                                  "Cannot check the ledger."));

        /* The head statement of the export, and an earlier one if given. */
        int head_rc = 0;
        if (ctx->from_dir) {
                struct stat st;
                if (asprintf(&head_path, "%s/head.json", ctx->from_dir) < 0)
                        return OOM(ctx);
                if (stat(head_path, &st) == 0 && (head_rc = check_head(ctx, head_path, &l, &res, &head)) < 0)
                        return head_rc;
        }
        if (argc > 1) {
                json_decref(TAKE_PTR(head));
                int k = check_head(ctx, argv[1], &l, &res, &head);
                if (k != 0)
                        head_rc = k;
        }
        return print_result(ctx, &res, head, head_rc);
}

static int write_or_fail(struct rctl_ctx *ctx, const char *path, const char *data, size_t len) {
        int r = rf_write_file_atomic(path, data, len, 0644);
        if (r < 0)
                return rctl_fail(ctx, RF_TR(ctx->lang, "Impossible d'écrire %s : %s", "Cannot write %s: %s"), path,
                                 strerror(-r));
        return 0;
}

static int ledger_export(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_(ledger_done) struct ledger l = {};
        char path[4200];
        int r;

        if ((r = rctl_check_options(ctx, "ledger export", RCTL_OPT_OUTPUT)) ||
            (r = rctl_check_args(ctx, "ledger export", argc, 0, 0)))
                return r;
        if (!ctx->output)
                return rctl_usage_error(ctx, "%s", RF_TR(lang, "« ledger export » demande --output RÉPERTOIRE.",
                                                         "'ledger export' needs --output DIRECTORY."));
        snprintf(path, sizeof(path), "%s/head.json", ctx->output);
        if (access(path, F_OK) == 0)
                return rctl_fail(ctx, RF_TR(lang, "%s existe déjà : exportez dans un nouveau répertoire.",
                                            "%s already exists: export into a new directory."),
                                 path);
        if (!(l.list = json_array()))
                return OOM(ctx);

        bool saved = ctx->json;
        ctx->json = false;
        _cleanup_reply_ struct rctl_reply head = { 0 };
        r = fetch_entries(ctx, 1, &l);
        if (r == 0)
                r = rctl_send(ctx, "/v1/ledger/head", NULL, RF_TR(lang, "Déclaration de tête", "Head statement"), NULL,
                              &head);
        /* Certificates issued meanwhile: the head names them too. */
        long long last = 0;
        long long have = rf_json_int(json_array_get(l.list, json_array_size(l.list) - 1), "seq");
        if (r == 0 && rctl_jint(rctl_jobj(head.json, "head"), "last_seq", &last) == 0 && last > have)
                r = fetch_entries(ctx, (int64_t) have + 1, &l);
        ctx->json = saved;
        if (r != 0)
                return r;
        const char *head_text = rctl_jstr(head.json, "json"), *head_sig = rctl_jstr(head.json, "signature");
        if (!head_text || !head_sig)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Réponse inattendue de refurbd pour la déclaration de tête.",
                                                  "Unexpected answer from refurbd for the head statement."));

        snprintf(path, sizeof(path), "%s/certificates", ctx->output);
        if ((r = rf_mkdir_p(path, 0755)) < 0)
                return rctl_fail(ctx, RF_TR(lang, "Impossible de créer %s : %s", "Cannot create %s: %s"), path,
                                 strerror(-r));
        size_t i;
        const json_t *o;
        json_array_foreach(l.list, i, o) {
                const char *id = rctl_jstr(o, "id"), *sig = rctl_jstr(o, "signature");
                const json_t *t = json_object_get(o, "json");
                long long seq;
                if (!id || rctl_cert_id_valid(id) < 0 || rctl_jint(o, "seq", &seq) < 0 || seq <= 0 || !json_is_string(t))
                        return rctl_fail(ctx, "%s", RF_TR(lang, "Réponse inattendue de refurbd pour le registre.",
                                                          "Unexpected answer from refurbd for the ledger."));
                snprintf(path, sizeof(path), "%s/certificates/%06lld-%s.json", ctx->output, seq, id);
                if ((r = write_or_fail(ctx, path, json_string_value(t), json_string_length(t))) != 0)
                        return r;
                strcat(path, ".p7s");
                if (sig && (r = write_or_fail(ctx, path, sig, strlen(sig))) != 0)
                        return r;
        }
        snprintf(path, sizeof(path), "%s/bench.crt", ctx->output);
        if ((r = write_or_fail(ctx, path, l.trusted, strlen(l.trusted))) != 0)
                return r;
        snprintf(path, sizeof(path), "%s/head.json.p7s", ctx->output);
        if ((r = write_or_fail(ctx, path, head_sig, strlen(head_sig))) != 0)
                return r;
        snprintf(path, sizeof(path), "%s/head.json", ctx->output);
        if ((r = write_or_fail(ctx, path, head_text, strlen(head_text))) != 0)
                return r;

        char cmd[4096 * 3];
        snprintf(cmd, sizeof(cmd),
                 "openssl cms -verify -binary -content %1$s/head.json -in %1$s/head.json.p7s -inform PEM -CAfile "
                 "%1$s/bench.crt -out /dev/null",
                 ctx->output);
        const json_t *h = rctl_jobj(head.json, "head");
        if (ctx->json) {
                _cleanup_json_ json_t *out = json_pack("{s:s, s:I, s:O?, s:s}", "directory", ctx->output, "count",
                                                       (json_int_t) json_array_size(l.list), "head", h,
                                                       "verify_head_command", cmd);
                return out ? rctl_emit_json(ctx, out) : OOM(ctx);
        }
        printf(RF_TR(lang, "Registre exporté dans %s : %zu certificats (jusqu'au n° %lld), déclaration de tête signée head.json.\n",
                     "Ledger exported into %s: %zu certificates (up to number %lld), signed head statement head.json.\n"),
               ctx->output, json_array_size(l.list), rf_json_int(h, "last_seq"));
        printf("%s\n  %s\n", RF_TR(lang, "Pour vérifier la déclaration de tête avec openssl :",
                                   "To check the head statement with openssl:"),
               cmd);
        printf("%s\n  refurbctl ledger verify --from-dir %s\n",
               RF_TR(lang, "Pour vérifier tout le registre :", "To check the whole ledger:"), ctx->output);
        printf("%s\n", RF_TR(lang, "Gardez une copie de ce répertoire hors du banc.",
                             "Keep a copy of this directory off the bench."));
        return RCTL_EXIT_OK;
}

int rctl_cmd_ledger(struct rctl_ctx *ctx, int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "verify") == 0)
                return ledger_verify(ctx, argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "export") == 0)
                return ledger_export(ctx, argc - 1, argv + 1);
        return rctl_usage_error(ctx, "%s", RF_TR(ctx->lang, "« ledger » attend verify ou export.",
                                                 "'ledger' takes verify or export."));
}
