/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl erase, jobs, job, cancel. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rctl-output.h"
#include "rctl-state.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-util.h"

static bool job_is_final(const json_t *job) {
        const char *state = rctl_jstr(job, "state");
        return rf_streq_ptr(state, "done") || rf_streq_ptr(state, "failed") || rf_streq_ptr(state, "cancelled") ||
               rf_streq_ptr(state, "interrupted");
}

static void short_id(const char *id, char out[static 9]) {
        snprintf(out, 9, "%s", id ? id : "");
}

/* The final word of a followed job; exit code. */
static int job_outcome(struct rctl_ctx *ctx, const json_t *job, long long id, const char *devnode) {
        enum rf_lang lang = ctx->lang;
        const char *result = rctl_jstr(job, "result");
        const char *cert = rctl_jstr(job, "certificate_id");
        char words[1024];

        if (ctx->json) {
                int r = rctl_emit_json(ctx, job);
                return r != 0 ? r : rf_streq_ptr(result, "erased") ? RCTL_EXIT_OK : RCTL_EXIT_FAILED;
        }
        _cleanup_free_ char *dev = rctl_sanitize(devnode);
        _cleanup_free_ char *cert_clean = rctl_sanitize(cert);
        if (rf_streq_ptr(result, "erased")) {
                if (cert)
                        printf(RF_TR(lang, "Tâche %lld (%s) terminée : EFFACÉ. Certificat %s.\n",
                                     "Job %lld (%s) finished: ERASED. Certificate %s.\n"),
                               id, dev ? dev : "?", cert_clean ? cert_clean : "?");
                else
                        printf(RF_TR(lang, "Tâche %lld (%s) terminée : EFFACÉ.\n", "Job %lld (%s) finished: ERASED.\n"),
                               id, dev ? dev : "?");
                return RCTL_EXIT_OK;
        }
        rctl_job_words(job, lang, words, sizeof(words), NULL);
        _cleanup_free_ char *clean = rctl_sanitize(words);
        return rctl_fail(ctx, RF_TR(lang, "Tâche %lld (%s) : NON EFFACÉ — %s.", "Job %lld (%s): NOT ERASED — %s."), id,
                         dev ? dev : "?", clean ? clean : "?");
}

/* Follow a job until it is final, once a second; Ctrl-C stops following
 * (the job goes on). */
static int follow_job(struct rctl_ctx *ctx, long long id, const char *devnode) {
        enum rf_lang lang = ctx->lang;
        sigset_t mask, old;
        char path[64], last_key[64] = "";
        bool progress_line = false;
        int ret;

        snprintf(path, sizeof(path), "/v1/jobs/%lld", id);
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, &old);

        for (;;) {
                _cleanup_reply_ struct rctl_reply reply = { 0 };
                char context[128];

                snprintf(context, sizeof(context), RF_TR(lang, "Suivi de la tâche %lld", "Following job %lld"), id);
                if (rctl_get(ctx->client, path, &reply) < 0) {
                        if (progress_line)
                                putchar('\n');
                        rctl_reply_print_error(ctx->client, &reply, context);
                        ret = RCTL_EXIT_FAILED;
                        break;
                }
                const json_t *job = rctl_jobj(reply.json, "job");
                if (!job) {
                        ret = rctl_fail(ctx, RF_TR(lang, "Réponse inattendue de refurbd pour la tâche %lld.",
                                                   "Unexpected answer from refurbd for job %lld."),
                                        id);
                        break;
                }
                if (!ctx->json) {
                        char words[1024], pct[16];
                        rctl_job_words(job, lang, words, sizeof(words), NULL);
                        rctl_job_percent(job, lang, pct, sizeof(pct));
                        _cleanup_free_ char *clean = rctl_sanitize(words);
                        if (ctx->tty) {
                                fputs("\r\033[K", stdout);
                                rctl_put_cut(stdout, clean ? clean : "", rctl_terminal_columns() - 1);
                                progress_line = true;
                        } else {
                                /* In a log: a line at each state change and each 10 %. */
                                char key[64];
                                double p = 0;
                                (void) rctl_jnum(rctl_jobj(job, "progress"), "percent", &p);
                                const char *state = rctl_jstr(job, "state");
                                const char *phase = rctl_jpath_str(job, "progress.phase");
                                snprintf(key, sizeof(key), "%s/%s/%d", state ? state : "", phase ? phase : "",
                                         rctl_percent_tenth(p));
                                if (strcmp(key, last_key) != 0)
                                        printf("%s\n", clean ? clean : "");
                                snprintf(last_key, sizeof(last_key), "%s", key);
                        }
                        fflush(stdout);
                }
                if (job_is_final(job)) {
                        if (progress_line)
                                putchar('\n');
                        ret = job_outcome(ctx, job, id, devnode);
                        break;
                }

                struct timespec one_second = { .tv_sec = 1 };
                if (sigtimedwait(&mask, NULL, &one_second) >= 0) {
                        if (progress_line)
                                putchar('\n');
                        ret = rctl_fail(ctx,
                                        RF_TR(lang,
                                              "Suivi interrompu ; l'effacement continue (tâche %lld : refurbctl job %lld).",
                                              "Stopped following; the erasure goes on (job %lld: refurbctl job %lld)."),
                                        id, id);
                        break;
                }
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}

int rctl_cmd_erase(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        char sysname[72], path[128], context[192], refused[192];
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        _cleanup_json_ json_t *body = NULL;
        int r;

        if ((r = rctl_check_options(ctx, argv[0], RCTL_OPT_VERIFY | RCTL_OPT_VERIFY_PERCENT | RCTL_OPT_WAIT)) ||
            (r = rctl_check_args(ctx, argv[0], argc, 1, 1)))
                return r;
        if (rctl_device_sysname(argv[1], sysname, sizeof(sysname)) < 0)
                return rctl_usage_error(ctx,
                                        RF_TR(lang, "« %s » ne désigne pas un disque (exemples : /dev/sdb, sdb, loop3).",
                                              "'%s' does not name a drive (examples: /dev/sdb, sdb, loop3)."),
                                        argv[1]);
        const char *verify = ctx->verify;
        if (!verify && (ctx->given & RCTL_OPT_VERIFY_PERCENT))
                verify = "sample";
        if (rf_streq_ptr(verify, "full") && (ctx->given & RCTL_OPT_VERIFY_PERCENT))
                return rctl_usage_error(ctx, "%s",
                                        RF_TR(lang, "--verify-percent ne s'emploie qu'avec --verify sample.",
                                              "--verify-percent only goes with --verify sample."));
        if (verify) {
                body = json_object();
                if (!body || json_object_set_new(body, "verify", json_string(verify)) < 0 ||
                    ((ctx->given & RCTL_OPT_VERIFY_PERCENT) &&
                     json_object_set_new(body, "verify_percent", json_integer(ctx->verify_percent)) < 0))
                        return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        }

        snprintf(path, sizeof(path), "/v1/devices/%s/erase", sysname);
        snprintf(context, sizeof(context), RF_TR(lang, "Effacement de /dev/%s impossible", "Cannot erase /dev/%s"),
                 sysname);
        snprintf(refused, sizeof(refused), RF_TR(lang, "Effacement de /dev/%s refusé", "Erasure of /dev/%s refused"),
                 sysname);
        r = rctl_send(ctx, path, body, context, refused, &reply);
        if (r != 0)
                return r;

        const json_t *job = rctl_jobj(reply.json, "job");
        long long id;
        if (rctl_jint(job, "id", &id) < 0 || id <= 0)
                return rctl_fail(ctx, RF_TR(lang, "Réponse inattendue de refurbd : pas de numéro de tâche pour /dev/%s.",
                                            "Unexpected answer from refurbd: no job number for /dev/%s."),
                                 sysname);
        char devnode[96];
        const char *dn = rctl_jstr(job, "devnode");
        snprintf(devnode, sizeof(devnode), "%s", dn ? dn : "");
        if (!dn)
                snprintf(devnode, sizeof(devnode), "/dev/%s", sysname);

        if (ctx->json && !ctx->wait)
                r = rctl_emit_json(ctx, reply.json);
        else if (!ctx->json) {
                _cleanup_free_ char *clean = rctl_sanitize(devnode);
                printf(RF_TR(lang, "Effacement de %s lancé : tâche n° %lld.\n", "Erasure of %s started: job %lld.\n"),
                       clean ? clean : "?", id);
                fflush(stdout);
        }
        if (r != 0 || !ctx->wait)
                return r;
        return follow_job(ctx, id, devnode);
}

int rctl_cmd_jobs(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        _cleanup_reply_ struct rctl_reply reply = { 0 };
        char path[64] = "/v1/jobs";
        int r;

        if ((r = rctl_check_options(ctx, argv[0], RCTL_OPT_LIMIT)) || (r = rctl_check_args(ctx, argv[0], argc, 0, 0)))
                return r;
        if (ctx->given & RCTL_OPT_LIMIT)
                snprintf(path, sizeof(path), "/v1/jobs?limit=%u", ctx->limit);
        r = rctl_fetch(ctx, path, NULL, &reply);
        if (r == 0 && ctx->json)
                r = rctl_emit_json(ctx, reply.json);
        if (r != 0 || ctx->json)
                return r;
        const json_t *list = rctl_jarr(reply.json, "jobs");
        if (!list)
                return rctl_fail(ctx, "%s",
                                 RF_TR(lang, "Réponse inattendue de refurbd : la liste « jobs » manque.",
                                       "Unexpected answer from refurbd: the \"jobs\" list is missing."));

        const char *headers[] = {
                RF_TR(lang, "N°", "ID"),         "DATE",
                RF_TR(lang, "BAIE", "BAY"),      RF_TR(lang, "PÉRIPHÉRIQUE", "DEVICE"),
                RF_TR(lang, "ÉTAT", "STATE"),    RF_TR(lang, "PROGRESSION", "PROGRESS"),
                RF_TR(lang, "RÉSULTAT", "RESULT"), RF_TR(lang, "CERTIFICAT", "CERTIFICATE"),
        };
        _cleanup_table_ struct rctl_table *t = NULL;
        if (rctl_table_new(ELEMENTSOF(headers), headers, &t) < 0)
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        size_t i;
        json_t *job;
        rctl_warn_bad_entries(ctx, list, "jobs");
        json_array_foreach(list, i, job) {
                char id[32] = "?", date[64], pct[16], cert[9];
                if (!json_is_object(job))
                        continue;
                long long v;
                const char *when = rctl_jstr(job, "started_at");

                if (rctl_jint(job, "id", &v) == 0)
                        snprintf(id, sizeof(id), "%lld", v);
                rctl_format_time(when ? when : rctl_jstr(job, "created_at"), lang, date, sizeof(date));
                rctl_job_percent(job, lang, pct, sizeof(pct));
                short_id(rctl_jstr(job, "certificate_id"), cert);
                const char *row[] = {
                        id,
                        date,
                        rctl_jstr(job, "bay"),
                        rctl_jstr(job, "devnode"),
                        rctl_job_state_name(rctl_jstr(job, "state"), lang),
                        pct,
                        rctl_result_words(rctl_jstr(job, "result"), lang),
                        cert[0] ? cert : NULL,
                };
                if (rctl_table_add(t, row) < 0)
                        break;
        }
        if (rctl_table_rows(t) == 0)
                printf("%s\n", RF_TR(lang, "Aucune tâche.", "No jobs."));
        else
                rctl_table_print(t, stdout, true, 0, NULL, false);
        return RCTL_EXIT_OK;
}
