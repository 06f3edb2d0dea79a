/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl job ID, cancel ID. */
#include <stdio.h>
#include <string.h>

#include "rctl-output.h"
#include "rctl-state.h"
#include "rctl.h"
#include "rf-util.h"

static const char *exception_kind_words(const char *kind, enum rf_lang lang) {
        if (rf_streq_ptr(kind, "write-error"))
                return RF_TR(lang, "erreur d'écriture", "write error");
        if (rf_streq_ptr(kind, "read-error"))
                return RF_TR(lang, "erreur de lecture", "read error");
        if (rf_streq_ptr(kind, "mismatch"))
                return RF_TR(lang, "données différentes du motif écrit", "data differs from the written pattern");
        if (rf_streq_ptr(kind, "flush-error"))
                return RF_TR(lang, "échec du vidage du cache", "cache flush failed");
        return kind ? kind : "?";
}

static void print_exceptions(const json_t *job, enum rf_lang lang) {
        const json_t *list = rctl_jarr(job, "exceptions");
        size_t i;
        json_t *e;

        if (!list || json_array_size(list) == 0) {
                printf("%s\n", RF_TR(lang, "Exceptions : aucune", "Exceptions: none"));
                return;
        }
        printf(RF_TR(lang, "Exceptions (%zu) :\n", "Exceptions (%zu):\n"), json_array_size(list));
        json_array_foreach(list, i, e) {
                long long offset = -1, length = -1;
                const char *error = rctl_jstr(e, "error");
                (void) rctl_jint(e, "offset", &offset);
                (void) rctl_jint(e, "length", &length);
                _cleanup_free_ char *kind = rctl_sanitize(exception_kind_words(rctl_jstr(e, "kind"), lang));
                _cleanup_free_ char *err = rctl_sanitize(error);
                printf(RF_TR(lang, "  %s à l'octet %lld, %lld octets%s%s\n", "  %s at byte %lld, %lld bytes%s%s\n"),
                       kind ? kind : "?", offset, length, error && *error ? RF_TR(lang, " : ", ": ") : "",
                       error && *error && err ? err : "");
                if (i >= 99 && json_array_size(list) > 100) {
                        printf(RF_TR(lang, "  … et %zu autres\n", "  … and %zu more\n"), json_array_size(list) - 100);
                        break;
                }
        }
}

static const char *method_words(const char *method, enum rf_lang lang) {
        if (rf_streq_ptr(method, "overwrite-aes256ctr"))
                return RF_TR(lang, "écrasement, 1 passe d'un flux AES-256-CTR", "overwrite, 1 pass of an AES-256-CTR stream");
        return method;
}

static const char *verify_words(const json_t *job, enum rf_lang lang, char *out, size_t outlen) {
        const char *mode = rctl_jstr(job, "verify_mode");
        long long pct;

        if (!mode)
                return NULL;
        if (rf_streq_ptr(mode, "full"))
                snprintf(out, outlen, "%s", RF_TR(lang, "complète (relecture de tout le disque)", "full (the whole drive is read back)"));
        else if (rf_streq_ptr(mode, "sample") && rctl_jint(job, "verify_percent", &pct) == 0)
                snprintf(out, outlen, RF_TR(lang, "par échantillons (%lld %% du disque)", "sampled (%lld%% of the drive)"), pct);
        else
                snprintf(out, outlen, "%s", mode);
        return out;
}

/* NULL (the line is left out) when the member is missing. */
static const char *bytes_of(const json_t *job, const char *key, enum rf_lang lang, char *out, size_t outlen) {
        long long v;
        if (rctl_jint(job, key, &v) < 0 || v < 0)
                return NULL;
        rf_format_bytes((uint64_t) v, lang == RF_LANG_FR, out, outlen);
        return out;
}

int rctl_cmd_job(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        char path[64], context[96];
        long long id;
        int r;

        if ((r = rctl_check_options(ctx, argv[0], 0)) || (r = rctl_check_args(ctx, argv[0], argc, 1, 1)))
                return r;
        if (rctl_parse_job_id(argv[1], &id) < 0)
                return rctl_usage_error(ctx, RF_TR(lang, "« %s » n'est pas un numéro de tâche.", "'%s' is not a job number."),
                                        argv[1]);
        snprintf(path, sizeof(path), "/v1/jobs/%lld", id);
        snprintf(context, sizeof(context), RF_TR(lang, "Tâche %lld", "Job %lld"), id);
        r = rctl_fetch(ctx, path, context, &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        if (r != 0 || ctx->json)
                return r;
        const json_t *job = rctl_jobj(reply.json, "job");
        if (!job)
                return rctl_fail(ctx, RF_TR(lang, "Réponse inattendue de refurbd pour la tâche %lld.",
                                            "Unexpected answer from refurbd for job %lld."),
                                 id);

        char identity[512], state[1024], verify[128], created[64], started[64], ended[64];
        char size[32], written[32], verified[32];
        const json_t *device = rctl_jobj(job, "device");
        if (device)
                rctl_identity_words(device, lang, identity, sizeof(identity));
        rctl_job_words(job, lang, state, sizeof(state), NULL);
        const char *verify_text = verify_words(job, lang, verify, sizeof(verify));
        rctl_format_time(rctl_jstr(job, "created_at"), lang, created, sizeof(created));
        rctl_format_time(rctl_jstr(job, "started_at"), lang, started, sizeof(started));
        rctl_format_time(rctl_jstr(job, "ended_at"), lang, ended, sizeof(ended));
        const char *size_text = bytes_of(job, "size", lang, size, sizeof(size));
        const char *written_text = bytes_of(job, "bytes_written", lang, written, sizeof(written));
        const char *verified_text = bytes_of(job, "bytes_verified", lang, verified, sizeof(verified));

        const char *fields[] = {
                RF_TR(lang, "Baie", "Bay"),                rctl_jstr(job, "bay"),
                RF_TR(lang, "Périphérique", "Device"),     rctl_jstr(job, "devnode"),
                RF_TR(lang, "Disque", "Drive"),            device ? identity : NULL,
                RF_TR(lang, "Taille", "Size"),             size_text,
                RF_TR(lang, "État", "State"),              state,
                RF_TR(lang, "Méthode", "Method"),          method_words(rctl_jstr(job, "method"), lang),
                RF_TR(lang, "Vérification", "Verification"), verify_text,
                RF_TR(lang, "Créée le", "Created"),        created,
                RF_TR(lang, "Commencée le", "Started"),    started,
                RF_TR(lang, "Terminée le", "Ended"),       ended,
                RF_TR(lang, "Écrit", "Written"),           written_text,
                RF_TR(lang, "Vérifié", "Verified"),        verified_text,
                RF_TR(lang, "Résultat", "Result"),         rctl_result_words(rctl_jstr(job, "result"), lang),
                RF_TR(lang, "Raison", "Reason"),           rctl_jstr(job, "reason"),
                RF_TR(lang, "Certificat", "Certificate"),  rctl_jstr(job, "certificate_id"),
        };
        printf(RF_TR(lang, "Tâche n° %lld\n", "Job %lld\n"), id);
        rctl_print_fields(lang, "  ", fields, ELEMENTSOF(fields) / 2);
        print_exceptions(job, lang);
        return RCTL_EXIT_OK;
}

int rctl_cmd_cancel(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        char path[64], context[96];
        long long id;
        int r;

        if ((r = rctl_check_options(ctx, argv[0], 0)) || (r = rctl_check_args(ctx, argv[0], argc, 1, 1)))
                return r;
        if (rctl_parse_job_id(argv[1], &id) < 0)
                return rctl_usage_error(ctx, RF_TR(lang, "« %s » n'est pas un numéro de tâche.", "'%s' is not a job number."),
                                        argv[1]);
        snprintf(path, sizeof(path), "/v1/jobs/%lld/cancel", id);
        snprintf(context, sizeof(context), RF_TR(lang, "Annulation de la tâche %lld impossible", "Cannot cancel job %lld"),
                 id);
        r = rctl_send(ctx, path, NULL, context, NULL, &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        else if (r == 0)
                printf(RF_TR(lang, "Annulation de la tâche %lld demandée ; elle s'arrêtera dans un instant.\n",
                             "Cancellation of job %lld requested; it will stop in a moment.\n"),
                       id);
        return r;
}
