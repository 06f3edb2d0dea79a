/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurbctl watch: a live view of the bays from the event stream. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rctl-output.h"
#include "rctl-sse.h"
#include "rctl-state.h"
#include "rctl.h"
#include "rf-json.h"
#include "rf-util.h"

struct watch {
        struct rctl_ctx *ctx;
        sigset_t mask;       /* SIGINT, SIGTERM: blocked, polled */
        bool interrupted;
        json_t *bays;        /* BAY objects in the order they were first seen */
        json_t *last_keys;   /* bay name -> what was last printed (appended mode) */
        size_t drawn;        /* lines of the last drawing (terminal mode) */
        unsigned bad_events;
        char note[512];      /* shown under the view: last device event, problems */
        struct rctl_sse sse;
};

static bool watch_should_stop(void *userdata) {
        struct watch *w = userdata;
        sigset_t pending;
        struct timespec zero = { 0 };

        if (sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1)) {
                (void) sigtimedwait(&w->mask, NULL, &zero);
                w->interrupted = true;
        }
        return w->interrupted;
}

static void now_hms(char out[static 16]) {
        time_t t = time(NULL);
        struct tm tm;
        if (!localtime_r(&t, &tm) || strftime(out, 16, "%H:%M:%S", &tm) == 0)
                snprintf(out, 16, "??:??:??");
}

static void draw_terminal(struct watch *w) {
        enum rf_lang lang = w->ctx->lang;
        size_t width = rctl_terminal_columns() - 1;
        _cleanup_table_ struct rctl_table *t = NULL;
        char hms[16];

        if (rctl_bays_table(w->bays, lang, &t) < 0)
                return;
        if (w->drawn > 0)
                printf("\033[%zuA", w->drawn);
        size_t lines = rctl_table_print(t, stdout, true, width, "\r\033[K", w->ctx->colors);
        now_hms(hms);
        printf(RF_TR(lang, "\r\033[K%s — Ctrl-C pour quitter\n", "\r\033[K%s — Ctrl-C to quit\n"), hms);
        lines++;
        if (w->note[0]) {
                _cleanup_free_ char *note = rctl_sanitize(w->note);
                /* Cut to the terminal width so the line count stays right. */
                fputs("\r\033[K", stdout);
                rctl_put_cut(stdout, note ? note : "", width);
                fputc('\n', stdout);
                lines++;
        }
        printf("\033[J");
        fflush(stdout);
        w->drawn = lines;
}

/* Appended mode (not a terminal): a line when a bay changes state, and at
 * every 10 % of progress. */
static void print_changes(struct watch *w) {
        enum rf_lang lang = w->ctx->lang;
        size_t i;
        json_t *bay;

        json_array_foreach(w->bays, i, bay) {
                const char *name = rctl_jstr(bay, "name"), *state = rctl_jstr(bay, "state");
                const json_t *job = rctl_jobj(bay, "job");
                const json_t *dev = rctl_jobj(bay, "device");
                const char *phase = rctl_jpath_str(job, "progress.phase"), *devnode = rctl_jstr(dev, "devnode");
                double p = 0;
                char key[1200], words[1024], identity[512] = "", hms[16];

                if (!name)
                        continue;
                /* What changed: the words, but only every 10 % while it runs
                 * (speed and time left change all the time). */
                rctl_bay_words(bay, lang, words, sizeof(words), NULL);
                if (rctl_jnum(rctl_jobj(job, "progress"), "percent", &p) == 0)
                        snprintf(key, sizeof(key), "%s|%s|%s|%d", state ? state : "", devnode ? devnode : "",
                                 phase ? phase : "", rctl_percent_tenth(p));
                else
                        snprintf(key, sizeof(key), "%s|%s", devnode ? devnode : "", words);
                const char *last = rctl_jstr(w->last_keys, name);
                if (last && strcmp(last, key) == 0)
                        continue;
                (void) json_object_set_new(w->last_keys, name, json_string(key));

                if (dev)
                        rctl_identity_words(dev, lang, identity, sizeof(identity));
                now_hms(hms);
                _cleanup_free_ char *line = NULL;
                int k = dev ? asprintf(&line, "%s  %s  %s  (%s, %s)", hms, name, words, devnode ? devnode : "?", identity)
                            : asprintf(&line, "%s  %s  %s", hms, name, words);
                if (k < 0) {
                        line = NULL;
                        continue;
                }
                _cleanup_free_ char *clean = rctl_sanitize(line);
                printf("%s\n", clean ? clean : "");
        }
        fflush(stdout);
}

static void note_device(struct watch *w, const json_t *dev) {
        enum rf_lang lang = w->ctx->lang;
        char identity[512], state[512], hms[16];
        const char *devnode = rctl_jstr(dev, "devnode");

        rctl_identity_words(dev, lang, identity, sizeof(identity));
        if (json_is_true(json_object_get(dev, "erasable")))
                snprintf(state, sizeof(state), "%s", RF_TR(lang, "effaçable", "erasable"));
        else
                rctl_refusal_words(rctl_jobj(dev, "refusal"), lang, state, sizeof(state));
        now_hms(hms);
        snprintf(w->note, sizeof(w->note), RF_TR(lang, "%s  hors baie : %s, %s — %s", "%s  not on a bay: %s, %s — %s"), hms,
                 devnode ? devnode : "?", identity, state);
        if (!w->ctx->tty) {
                _cleanup_free_ char *clean = rctl_sanitize(w->note);
                printf("%s\n", clean ? clean : "");
                fflush(stdout);
        }
}

static void merge_bay(struct watch *w, json_t *bay) {
        const char *name = rctl_jstr(bay, "name");
        size_t i;
        json_t *old;

        json_array_foreach(w->bays, i, old)
                if (rf_streq_ptr(rctl_jstr(old, "name"), name)) {
                        (void) json_array_set(w->bays, i, bay);
                        return;
                }
        (void) json_array_append(w->bays, bay);
}

static void merge_job(struct watch *w, json_t *job) {
        const char *bay_name = rctl_jstr(job, "bay");
        long long id, old_id;
        size_t i;
        json_t *bay;

        if (rctl_jint(job, "id", &id) < 0)
                return;
        json_array_foreach(w->bays, i, bay)
                if (rf_streq_ptr(rctl_jstr(bay, "name"), bay_name)) {
                        const json_t *old = rctl_jobj(bay, "job");
                        /* A newer job replaces the one the bay knew; an older one is stale. */
                        if (!old || rctl_jint(old, "id", &old_id) < 0 || old_id <= id)
                                (void) json_object_set(bay, "job", job);
                        return;
                }
}

static int on_event(const char *type, const char *data, size_t len, void *userdata) {
        struct watch *w = userdata;
        enum rf_lang lang = w->ctx->lang;
        _cleanup_json_ json_t *v = NULL;
        char err[256] = "";

        if (rf_json_parse(data, len, &v, err, sizeof(err)) < 0 || !json_is_object(v)) {
                w->bad_events++;
                snprintf(w->note, sizeof(w->note),
                         RF_TR(lang, "Attention : %u événement(s) illisible(s) ignoré(s) (dernier : « %s » : %s)",
                               "Warning: %u unreadable event(s) ignored (last: '%s': %s)"),
                         w->bad_events, type, err[0] ? err : RF_TR(lang, "pas un objet JSON", "not a JSON object"));
                if (!w->ctx->tty || w->ctx->json) {
                        _cleanup_free_ char *clean = rctl_sanitize(w->note);
                        fprintf(stderr, "%s\n", clean ? clean : "");
                } else
                        draw_terminal(w);
                return 0;
        }

        if (w->ctx->json) {
                _cleanup_json_ json_t *line = json_pack("{s:s, s:O}", "event", type, "data", v);
                if (line)
                        (void) rctl_print_json(line, false);
                return 0;
        }

        if (strcmp(type, "bay") == 0 && rctl_jstr(v, "name"))
                merge_bay(w, v);
        else if (strcmp(type, "job") == 0)
                merge_job(w, v);
        else if (strcmp(type, "device") == 0)
                note_device(w, v);
        else
                return 0; /* unknown events: a newer daemon, nothing to show */

        if (w->ctx->tty)
                draw_terminal(w);
        else if (strcmp(type, "device") != 0)
                print_changes(w);
        return 0;
}

static int feed(const char *data, size_t len, void *userdata) {
        struct watch *w = userdata;
        return rctl_sse_feed(&w->sse, data, len);
}

int rctl_cmd_watch(struct rctl_ctx *ctx, int argc, char **argv) {
        enum rf_lang lang = ctx->lang;
        struct watch w = { .ctx = ctx };
        struct rctl_reply reply = { 0 };
        sigset_t old;
        int r;

        if ((r = rctl_check_options(ctx, argv[0], 0)) || (r = rctl_check_args(ctx, argv[0], argc, 0, 0)))
                return r;
        w.bays = json_array();
        w.last_keys = json_object();
        if (!w.bays || !w.last_keys) {
                json_decref(w.bays);
                json_decref(w.last_keys);
                return rctl_fail(ctx, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
        }
        sigemptyset(&w.mask);
        sigaddset(&w.mask, SIGINT);
        sigaddset(&w.mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &w.mask, &old);
        rctl_sse_init(&w.sse, RCTL_MAX_RESPONSE, on_event, &w);

        r = rctl_stream(ctx->client, "/v1/events", "text/event-stream", feed, watch_should_stop, &w, &reply);
        if (w.interrupted)
                r = RCTL_EXIT_OK;
        else {
                if (r == -EFBIG && !reply.message[0])
                        snprintf(reply.message, sizeof(reply.message), "%s",
                                 RF_TR(lang, "Événement trop grand reçu de refurbd : suivi abandonné.",
                                       "Event too large received from refurbd: giving up."));
                else if (!reply.message[0])
                        snprintf(reply.message, sizeof(reply.message),
                                 RF_TR(lang, "Suivi des événements interrompu : %s.", "Event stream stopped: %s."),
                                 strerror(-r));
                if (ctx->json && reply.api_error && reply.json)
                        (void) rctl_print_json(reply.json, false);
                rctl_reply_print_error(ctx->client, &reply, RF_TR(lang, "Suivi des baies impossible", "Cannot watch the bays"));
                r = RCTL_EXIT_FAILED;
        }
        fflush(stdout);
        rctl_sse_done(&w.sse);
        rctl_reply_clear(&reply);
        json_decref(w.bays);
        json_decref(w.last_keys);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}
