/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rctl-state.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rctl-output.h"
#include "rf-macro.h"
#include "rf-util.h"

const char *rctl_job_state_name(const char *state, enum rf_lang lang) {
        static const struct {
                const char *state, *fr, *en;
        } names[] = {
                { "queued", "en file d'attente", "queued" },
                { "erasing", "effacement", "erasing" },
                { "verifying", "vérification", "verifying" },
                { "imaging", "installation du système", "imaging" },
                { "done", "terminé", "done" },
                { "failed", "échec", "failed" },
                { "cancelled", "annulé", "cancelled" },
                { "interrupted", "interrompu", "interrupted" },
        };

        if (!state)
                return "?";
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(state, names[i].state) == 0)
                        return RF_TR(lang, names[i].fr, names[i].en);
        return state;
}

const char *rctl_result_words(const char *result, enum rf_lang lang) {
        if (!result)
                return NULL;
        if (strcmp(result, "erased") == 0)
                return RF_TR(lang, "EFFACÉ", "ERASED");
        if (strcmp(result, "not-erased") == 0)
                return RF_TR(lang, "NON EFFACÉ", "NOT ERASED");
        return result;
}

/* Percent of the running phase, or of the bytes written for a job that
 * ended; false when nothing is known. */
static bool job_percent_value(const json_t *job, double *ret) {
        const json_t *progress = rctl_jobj(job, "progress");
        long long done, total;
        double p;

        if (progress) {
                if (rctl_jnum(progress, "percent", &p) == 0) {
                        *ret = p;
                        return true;
                }
                if (rctl_jint(progress, "done", &done) == 0 && rctl_jint(progress, "total", &total) == 0 &&
                    total > 0 && done >= 0) {
                        *ret = 100.0 * (double) done / (double) total;
                        return true;
                }
                return false;
        }
        if (rctl_jint(job, "bytes_written", &done) == 0 && rctl_jint(job, "size", &total) == 0 && total > 0 &&
            done >= 0) {
                *ret = 100.0 * (double) done / (double) total;
                return true;
        }
        return false;
}

void rctl_job_percent(const json_t *job, enum rf_lang lang, char *out, size_t outlen) {
        double p;
        if (job_percent_value(job, &p))
                rctl_format_percent(p, lang, out, outlen);
        else
                snprintf(out, outlen, "%s", "");
}

static void running_words(const json_t *job, const char *state, enum rf_lang lang, char *out, size_t outlen) {
        const json_t *progress = rctl_jobj(job, "progress");
        const char *phase = rctl_jstr(progress, "phase");
        bool verify = rf_streq_ptr(phase, "verify") || rf_streq_ptr(state, "verifying");
        const char *label = verify ? RF_TR(lang, "vérification", "verifying") : RF_TR(lang, "effacement", "erasing");
        if (rf_streq_ptr(state, "imaging")) {
                static const struct {
                        const char *phase, *fr, *en;
                } steps[] = {
                        { "fetch", "système : contrôle de l'image", "system: checking the image" },
                        { "write", "système : écriture", "system: writing" },
                        { "flush", "système : écriture", "system: writing" },
                        { "verify", "système : relecture", "system: reading back" },
                        { "fit", "système : ajustement au disque", "system: fitting to the disk" },
                        { "customise", "système : personnalisation", "system: customising" },
                        { "proof", "système : contrôle du contenu", "system: checking the content" },
                };
                label = RF_TR(lang, "système", "system");
                for (size_t i = 0; i < ELEMENTSOF(steps); i++)
                        if (rf_streq_ptr(phase, steps[i].phase))
                                label = RF_TR(lang, steps[i].fr, steps[i].en);
        }
        char pct[16] = "", rate[48] = "", eta[48] = "";
        double p, rate_value;
        long long eta_value;

        if (rf_streq_ptr(phase, "flush")) {
                snprintf(out, outlen, "%s",
                         RF_TR(lang, "vidage du cache du disque…", "flushing the drive's cache…"));
                return;
        }
        if (job_percent_value(job, &p)) {
                pct[0] = ' ';
                rctl_format_percent(p, lang, pct + 1, sizeof(pct) - 1);
        }
        if (rctl_jnum(progress, "rate_bytes_per_second", &rate_value) == 0 && rate_value >= 1 &&
            rate_value < 1e18) {
                char b[32];
                rf_format_bytes((uint64_t) rate_value, lang == RF_LANG_FR, b, sizeof(b));
                snprintf(rate, sizeof(rate), " — %s/s", b);
        }
        if (rctl_jint(progress, "eta_seconds", &eta_value) == 0 && eta_value >= 0) {
                char d[32];
                rf_format_duration((uint64_t) eta_value, d, sizeof(d));
                snprintf(eta, sizeof(eta), RF_TR(lang, " — reste %s", " — %s left"), d);
        }
        snprintf(out, outlen, "%s%s%s%s", label, pct, rate, eta);
}

void rctl_job_words(const json_t *job, enum rf_lang lang, char *out, size_t outlen, enum rctl_tone *ret_tone) {
        const char *state = rctl_jstr(job, "state");
        const char *result = rctl_jstr(job, "result");
        const char *reason = rctl_jstr(job, "reason");
        enum rctl_tone tone = RCTL_TONE_NEUTRAL;
        char why[512] = "";

        if (reason && *reason)
                snprintf(why, sizeof(why), " (%s)", reason);

        const char *image_state = rctl_jpath_str(job, "image.state");
        if (rf_streq_ptr(state, "erasing") || rf_streq_ptr(state, "verifying") || rf_streq_ptr(state, "imaging"))
                running_words(job, state, lang, out, outlen);
        else if (image_state && rf_streq_ptr(result, "erased") && rf_streq_ptr(state, "done")) {
                snprintf(out, outlen, "%s",
                         RF_TR(lang, "terminé : EFFACÉ, SYSTÈME INSTALLÉ", "finished: ERASED, SYSTEM INSTALLED"));
                tone = RCTL_TONE_GOOD;
        } else if (image_state && rf_streq_ptr(result, "erased")) {
                snprintf(out, outlen,
                         RF_TR(lang, "EFFACÉ, mais système NON INSTALLÉ%s", "ERASED, but system NOT INSTALLED%s"), why);
                tone = RCTL_TONE_BAD;
        } else if ((rf_streq_ptr(state, "done") || rf_streq_ptr(state, "failed")) && rf_streq_ptr(result, "erased")) {
                snprintf(out, outlen, "%s", RF_TR(lang, "terminé : EFFACÉ", "finished: ERASED"));
                tone = RCTL_TONE_GOOD;
        } else if (rf_streq_ptr(state, "done") || rf_streq_ptr(state, "failed")) {
                snprintf(out, outlen, RF_TR(lang, "terminé : ÉCHEC%s", "finished: FAILED%s"), why);
                tone = RCTL_TONE_BAD;
        } else if (rf_streq_ptr(state, "interrupted")) {
                snprintf(out, outlen, "%s%s", RF_TR(lang, "interrompu", "interrupted"), why);
                tone = RCTL_TONE_BAD;
        } else if (rf_streq_ptr(state, "cancelled"))
                snprintf(out, outlen, "%s%s", RF_TR(lang, "annulé", "cancelled"), why);
        else
                snprintf(out, outlen, "%s", rctl_job_state_name(state, lang));
        if (ret_tone)
                *ret_tone = tone;
}

void rctl_refusal_words(const json_t *refusal, enum rf_lang lang, char *out, size_t outlen) {
        const char *msg = rctl_jstr(refusal, RF_TR(lang, "message_fr", "message_en"));
        const char *code = rctl_jstr(refusal, "code");
        const char *detail = rctl_jstr(refusal, "detail");

        if (!msg || !*msg)
                msg = rctl_jstr(refusal, RF_TR(lang, "message_en", "message_fr"));
        if (msg && *msg)
                snprintf(out, outlen, "%s", msg);
        else if (code && detail && *detail)
                snprintf(out, outlen, "%s : %s", code, detail);
        else
                snprintf(out, outlen, "%s", code ? code : "?");
}

void rctl_bay_words(const json_t *bay, enum rf_lang lang, char *out, size_t outlen, enum rctl_tone *ret_tone) {
        const char *state = rctl_jstr(bay, "state");
        const json_t *job = rctl_jobj(bay, "job");
        enum rctl_tone tone = RCTL_TONE_NEUTRAL;

        if (rf_streq_ptr(state, "empty"))
                snprintf(out, outlen, "%s", RF_TR(lang, "vide", "empty"));
        else if (rf_streq_ptr(state, "refused")) {
                char why[512];
                rctl_refusal_words(rctl_jobj(bay, "refusal"), lang, why, sizeof(why));
                snprintf(out, outlen, RF_TR(lang, "refusé (%s)", "refused (%s)"), why);
                tone = RCTL_TONE_BAD;
        } else if (rf_streq_ptr(state, "waiting"))
                snprintf(out, outlen, "%s",
                         RF_TR(lang, "en attente de confirmation", "waiting for confirmation"));
        else if (rf_streq_ptr(state, "present"))
                snprintf(out, outlen, "%s", RF_TR(lang, "disque présent", "drive present"));
        else if (job) {
                rctl_job_words(job, lang, out, outlen, &tone);
        } else
                snprintf(out, outlen, "%s", rctl_job_state_name(state, lang));
        if (ret_tone)
                *ret_tone = tone;
}

/* s without leading and trailing blanks, into out. */
static void put_trimmed(char *out, size_t outlen, size_t *pos, const char *s) {
        if (!s)
                return;
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        if (n == 0 || *pos >= outlen)
                return;
        int k = snprintf(out + *pos, outlen - *pos, "%s%.*s", *pos > 0 ? " " : "", (int) MIN(n, 4096u), s);
        if (k > 0)
                *pos = MIN(*pos + (size_t) k, outlen - 1);
}

void rctl_identity_words(const json_t *device, enum rf_lang lang, char *out, size_t outlen) {
        size_t pos = 0;
        const char *serial = rctl_jstr(device, "serial");
        char buf[256];

        out[0] = '\0';
        put_trimmed(out, outlen, &pos, rctl_jstr(device, "vendor"));
        put_trimmed(out, outlen, &pos, rctl_jstr(device, "model"));
        if (serial && *serial) {
                snprintf(buf, sizeof(buf), RF_TR(lang, "(n° %s)", "(s/n %s)"), serial);
                put_trimmed(out, outlen, &pos, buf);
        }
        if (rf_streq_ptr(rctl_jstr(device, "identity_source"), "stand-in"))
                put_trimmed(out, outlen, &pos, RF_TR(lang, "(identité simulée)", "(stand-in identity)"));
        if (pos == 0)
                snprintf(out, outlen, "%s", RF_TR(lang, "(identité inconnue)", "(unknown identity)"));
}
