/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurb-image's progress display: a thread that looks at the progress
 * counters four times a second. On a terminal one line is redrawn; in a
 * log, a line at each phase and every 10 s. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "refurb-image.h"
#include "rf-macro.h"
#include "rf-util.h"

#define TICK_USEC ((uint64_t) 250 * 1000)
#define LOG_INTERVAL_USEC ((uint64_t) 10 * 1000 * 1000)

struct reporter {
        enum rf_lang lang;
        bool tty;
        const struct img_progress *progress;
        const struct img_fetch_progress *fetch;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        bool quit;
        int last_phase;
        int last_downloading;
        uint64_t phase_start_usec, last_line_usec;
        bool line_open;
};

const char *fmt_num(double v, int decimals, enum rf_lang lang, char *out, size_t len) {
        snprintf(out, len, "%.*f", decimals, v);
        if (lang == RF_LANG_FR) {
                char *dot = strchr(out, '.');
                if (dot)
                        *dot = ',';
        }
        return out;
}

static const char *phase_name(int phase, bool downloading, enum rf_lang lang) {
        switch (phase) {
        case IMG_PHASE_FETCH:
                return downloading ? RF_TR(lang, "Téléchargement", "Downloading")
                                   : RF_TR(lang, "Contrôle du profil et de l'image", "Checking the profile and image");
        case IMG_PHASE_WRITE:
                return RF_TR(lang, "Écriture", "Writing");
        case IMG_PHASE_FLUSH:
                return RF_TR(lang, "Vidage du cache", "Flushing the cache");
        case IMG_PHASE_VERIFY:
                return RF_TR(lang, "Relecture", "Reading back");
        case IMG_PHASE_FIT:
                return RF_TR(lang, "Ajustement au disque", "Fitting to the disk");
        case IMG_PHASE_CUSTOMISE:
                return RF_TR(lang, "Personnalisation", "Customising");
        case IMG_PHASE_PROOF:
                return RF_TR(lang, "Contrôle du contenu", "Checking the content");
        default:
                return RF_TR(lang, "Terminé", "Done");
        }
}

/* "Écriture : 42,0 % (1,2 Go / 2,9 Go), 450 Mo/s, reste 4 s" */
static void amount_line(struct reporter *rep, const char *name, uint64_t done, uint64_t total, uint64_t now,
                        char *line, size_t len) {
        enum rf_lang lang = rep->lang;
        bool fr = lang == RF_LANG_FR;
        char sdone[32], stotal[32], srate[32] = "…", seta[32] = "…", spct[16];
        double secs = (double) (now - rep->phase_start_usec) / 1e6;
        uint64_t rate = secs > 0.5 ? (uint64_t) ((double) done / secs) : 0;

        rf_format_bytes(done, fr, sdone, sizeof(sdone));
        rf_format_bytes(total, fr, stotal, sizeof(stotal));
        if (rate > 0) {
                rf_format_bytes(rate, fr, srate, sizeof(srate));
                strncat(srate, "/s", sizeof(srate) - strlen(srate) - 1);
                if (total > 0)
                        rf_format_duration((total - MIN(done, total)) / rate, seta, sizeof(seta));
        }
        if (total == 0) {
                snprintf(line, len, fr ? "%s : %s, %s" : "%s: %s, %s", name, sdone, srate);
                return;
        }
        fmt_num(100.0 * (double) MIN(done, total) / (double) total, 1, lang, spct, sizeof(spct));
        if (fr)
                snprintf(line, len, "%s : %s %% (%s / %s), %s, reste %s", name, spct, sdone, stotal, srate, seta);
        else
                snprintf(line, len, "%s: %s%% (%s / %s), %s, %s left", name, spct, sdone, stotal, srate, seta);
}

static void tick(struct reporter *rep) {
        int phase = atomic_load(&rep->progress->phase);
        int downloading = rep->fetch ? atomic_load(&rep->fetch->downloading) : 0;
        uint64_t now = rf_now_usec();
        char line[256];

        if (phase == IMG_PHASE_NONE || phase == IMG_PHASE_DONE)
                return; /* the summary follows */
        if (phase != rep->last_phase || downloading != rep->last_downloading) {
                rep->last_phase = phase;
                rep->last_downloading = downloading;
                rep->phase_start_usec = now;
        } else if (!rep->tty && now - rep->last_line_usec < LOG_INTERVAL_USEC)
                return;
        rep->last_line_usec = now;

        const char *name = phase_name(phase, downloading, rep->lang);
        if (phase == IMG_PHASE_WRITE)
                amount_line(rep, name, atomic_load(&rep->progress->bytes_written),
                            atomic_load(&rep->progress->write_total), now, line, sizeof(line));
        else if (phase == IMG_PHASE_VERIFY)
                amount_line(rep, name, atomic_load(&rep->progress->bytes_verified),
                            atomic_load(&rep->progress->verify_total), now, line, sizeof(line));
        else if (phase == IMG_PHASE_FETCH && rep->fetch && atomic_load(&rep->fetch->done) > 0)
                amount_line(rep, name, atomic_load(&rep->fetch->done), atomic_load(&rep->fetch->total), now, line,
                            sizeof(line));
        else
                snprintf(line, sizeof(line), "%s…", name);

        if (rep->tty) {
                fprintf(stderr, "\r\033[K%s", line);
                rep->line_open = true;
        } else
                fprintf(stderr, "%s\n", line);
        fflush(stderr);
}

static void *reporter_main(void *arg) {
        struct reporter *rep = arg;
        uint64_t next = rf_now_usec() + TICK_USEC;

        pthread_mutex_lock(&rep->lock);
        while (!rep->quit) {
                struct timespec ts = {
                        .tv_sec = (time_t) (next / 1000000),
                        .tv_nsec = (long) (next % 1000000) * 1000,
                };
                (void) pthread_cond_timedwait(&rep->wake, &rep->lock, &ts);
                if (rep->quit)
                        break;
                uint64_t now = rf_now_usec();
                if (now >= next) {
                        pthread_mutex_unlock(&rep->lock);
                        tick(rep);
                        pthread_mutex_lock(&rep->lock);
                        next = MAX(next + TICK_USEC, now + TICK_USEC / 2);
                }
        }
        pthread_mutex_unlock(&rep->lock);
        if (rep->line_open) {
                fputc('\n', stderr);
                fflush(stderr);
        }
        return NULL;
}

int reporter_start(struct reporter **ret, enum rf_lang lang, const struct img_progress *progress,
                   const struct img_fetch_progress *fetch) {
        pthread_condattr_t attr;
        struct reporter *rep = calloc(1, sizeof(*rep));

        if (!rep)
                return -ENOMEM;
        *rep = (struct reporter) {
                .lang = lang,
                .tty = isatty(STDERR_FILENO),
                .progress = progress,
                .fetch = fetch,
                .last_phase = -1,
                .last_downloading = -1,
        };
        int k = pthread_condattr_init(&attr);
        if (k == 0) {
                k = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
                if (k == 0)
                        k = pthread_cond_init(&rep->wake, &attr);
                pthread_condattr_destroy(&attr);
        }
        if (k != 0) {
                free(rep);
                return -k;
        }
        k = pthread_mutex_init(&rep->lock, NULL);
        if (k == 0)
                k = pthread_create(&rep->thread, NULL, reporter_main, rep);
        if (k != 0) {
                pthread_cond_destroy(&rep->wake);
                free(rep);
                return -k;
        }
        *ret = rep;
        return 0;
}

void reporter_stop(struct reporter *rep) {
        if (!rep)
                return;
        pthread_mutex_lock(&rep->lock);
        rep->quit = true;
        pthread_cond_signal(&rep->wake);
        pthread_mutex_unlock(&rep->lock);
        pthread_join(rep->thread, NULL);
        pthread_cond_destroy(&rep->wake);
        pthread_mutex_destroy(&rep->lock);
        free(rep);
}
