/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurb-wipe: one erase run (firmware method with read-back, or the
 * overwrite engine) on one device, without the daemon (for network-booted
 * PCs and benchmarks). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <libudev.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "refurb-wipe.h"
#include "rf-i18n.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-erase.h"
#include "wipe-lock.h"
#include "wipe-overwrite-internal.h"
#include "wipe-overwrite.h"
#include "wipe-safety.h"

struct target {
        int fd;
        uint64_t size;
        unsigned sector_size;
        bool direct;
        bool block;
        char sysfs_dir[128]; /* /sys/class/block/NAME: gone when the drive is unplugged */
        char sysname[64];
};

struct reporter {
        enum rf_lang lang;
        bool tty;
        uint64_t size;
        int last_phase;
        uint64_t phase_start_usec, last_line_usec;
        bool line_open; /* a \r progress line is on screen */
};

static int open_block(const char *path, const struct stat *st, struct target *t, enum rf_lang lang) {
        struct wipe_refusal refusal = {};
        char msg[512], attr[160];

        snprintf(t->sysfs_dir, sizeof(t->sysfs_dir), "/sys/dev/block/%u:%u", major(st->st_rdev),
                 minor(st->st_rdev));
        /* Clear applies to whole media: a partition leaves the rest behind. */
        snprintf(attr, sizeof(attr), "%s/partition", t->sysfs_dir);
        if (access(attr, F_OK) == 0) {
                refusal.code = WIPE_REFUSAL_NOT_WHOLE_DISK;
                fprintf(stderr, "%s\n", wipe_refusal_message(&refusal, path, lang, msg, sizeof(msg)));
                return -ENOTBLK;
        }
        /* Removal shows as this directory going away. */
        char link[PATH_MAX];
        ssize_t n = readlink(t->sysfs_dir, link, sizeof(link) - 1);
        if (n > 0) {
                link[n] = '\0';
                const char *name = strrchr(link, '/');
                name = name ? name + 1 : link;
                if (strlen(name) < sizeof(t->sysname)) {
                        memcpy(t->sysname, name, strlen(name) + 1);
                        snprintf(t->sysfs_dir, sizeof(t->sysfs_dir), "/sys/class/block/%s", t->sysname);
                }
        }
        t->block = true;
        int r = wipe_open_exclusive(path, &t->fd, &refusal);
        if (r < 0) {
                fprintf(stderr, "%s\n", wipe_refusal_message(&refusal, path, lang, msg, sizeof(msg)));
                return r;
        }
        t->direct = true;
        r = wipe_fd_geometry(t->fd, &t->size, &t->sector_size);
        if (r < 0) {
                fprintf(stderr, RF_TR(lang, "%s : taille inconnue : %s\n", "%s: unknown size: %s\n"), path,
                        strerror(-r));
                return r;
        }
        return 0;
}

/* Regular files (tests, images): O_DIRECT when the file system takes it. */
static int open_file(const char *path, const struct stat *st, struct target *t, enum rf_lang lang) {
        t->size = (uint64_t) st->st_size;
        t->sector_size = 512;
        t->direct = t->size % 4096 == 0;
        t->fd = open(path, O_RDWR | O_CLOEXEC | (t->direct ? O_DIRECT : 0));
        if (t->fd < 0 && errno == EINVAL && t->direct) {
                t->direct = false;
                t->fd = open(path, O_RDWR | O_CLOEXEC);
        }
        if (t->fd < 0 || flock(t->fd, LOCK_EX | LOCK_NB) < 0) {
                int r = negative_errno();
                fprintf(stderr, RF_TR(lang, "%s : ouverture impossible : %s\n", "%s: cannot open: %s\n"), path,
                        strerror(-r));
                return r;
        }
        return 0;
}

static int open_target(const char *path, struct target *t, enum rf_lang lang) {
        struct stat st;

        *t = (struct target) { .fd = -1 };
        if (stat(path, &st) < 0) {
                int r = negative_errno();
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        int r;
        if (S_ISBLK(st.st_mode))
                r = open_block(path, &st, t, lang);
        else if (S_ISREG(st.st_mode))
                r = open_file(path, &st, t, lang);
        else {
                fprintf(stderr, RF_TR(lang, "%s : ni un disque ni un fichier\n", "%s: neither a disk nor a file\n"),
                        path);
                r = -ENOTBLK;
        }
        if (r == 0 && t->size == 0) {
                fprintf(stderr, RF_TR(lang, "%s : taille nulle (pas de support ?)\n", "%s: size 0 (no medium?)\n"),
                        path);
                r = -ENOMEDIUM;
        }
        return r;
}

static const char *phase_name(int phase, enum rf_lang lang) {
        switch (phase) {
        case WIPE_PHASE_WRITE:
                return RF_TR(lang, "Écriture", "Writing");
        case WIPE_PHASE_FLUSH:
                return RF_TR(lang, "Vidage du cache", "Flushing the cache");
        case WIPE_PHASE_VERIFY:
                return RF_TR(lang, "Vérification", "Verifying");
        default:
                return RF_TR(lang, "Terminé", "Done");
        }
}

/* A number with a decimal comma in French. Returns out. */
static const char *fmt_num(double v, int decimals, enum rf_lang lang, char *out, size_t len) {
        snprintf(out, len, "%.*f", decimals, v);
        if (lang == RF_LANG_FR) {
                char *dot = strchr(out, '.');
                if (dot)
                        *dot = ',';
        }
        return out;
}

static void on_progress(const struct wipe_progress *p, void *userdata) {
        struct reporter *rep = userdata;
        enum rf_lang lang = rep->lang;
        bool fr = lang == RF_LANG_FR;
        int phase = atomic_load(&p->phase);
        uint64_t now = rf_now_usec();

        if (phase == WIPE_PHASE_DONE)
                return; /* the summary follows */
        if (phase != rep->last_phase) {
                rep->last_phase = phase;
                rep->phase_start_usec = now;
        } else if (!rep->tty && now - rep->last_line_usec < 10 * 1000000)
                return; /* logs: a line every 10 s */
        rep->last_line_usec = now;

        char line[256];
        if (phase == WIPE_PHASE_WRITE || phase == WIPE_PHASE_VERIFY) {
                uint64_t done, total;
                if (phase == WIPE_PHASE_WRITE) {
                        done = atomic_load(&p->bytes_written);
                        total = rep->size;
                } else {
                        done = atomic_load(&p->bytes_verified);
                        total = atomic_load(&p->verify_total);
                }
                char sdone[32], stotal[32], srate[32] = "…", seta[32] = "…", spct[16];
                double secs = (double) (now - rep->phase_start_usec) / 1e6;
                uint64_t rate = secs > 0.5 ? (uint64_t) ((double) done / secs) : 0;
                rf_format_bytes(done, fr, sdone, sizeof(sdone));
                rf_format_bytes(total, fr, stotal, sizeof(stotal));
                if (rate > 0) {
                        rf_format_bytes(rate, fr, srate, sizeof(srate));
                        strncat(srate, "/s", sizeof(srate) - strlen(srate) - 1);
                        rf_format_duration((total - MIN(done, total)) / rate, seta, sizeof(seta));
                }
                fmt_num(total ? 100.0 * (double) done / (double) total : 100.0, 1, lang, spct, sizeof(spct));
                if (fr)
                        snprintf(line, sizeof(line), "%s : %s %% (%s / %s), %s, reste %s", phase_name(phase, lang),
                                 spct, sdone, stotal, srate, seta);
                else
                        snprintf(line, sizeof(line), "%s: %s%% (%s / %s), %s, %s left", phase_name(phase, lang),
                                 spct, sdone, stotal, srate, seta);
        } else
                snprintf(line, sizeof(line), "%s…", phase_name(phase, lang));

        if (rep->tty) {
                fprintf(stderr, "\r\033[K%s", line);
                rep->line_open = true;
        } else
                fprintf(stderr, "%s\n", line);
        fflush(stderr);
}

/* SIGINT/SIGTERM are blocked in every thread and taken here: they cancel
 * the run. SIGUSR1 from main() ends this thread. */
struct sigctx {
        sigset_t set;
        atomic_bool *cancel;
};

static void *signal_thread(void *arg) {
        struct sigctx *c = arg;

        for (;;) {
                int sig = 0;
                if (sigwait(&c->set, &sig) != 0 || sig == SIGUSR1)
                        return NULL;
                atomic_store(c->cancel, true);
        }
}

/* Complete: every byte written and flushed (unless only verifying), all of
 * the verification read and equal, no exception, not stopped. */
static bool is_complete(const struct args *a, const struct wipe_overwrite_result *res, const struct wipe_progress *p) {
        if (res->stop != WIPE_STOP_NONE || res->n_exceptions != 0 || a->verify == WIPE_VERIFY_NONE ||
            res->bytes_verified != atomic_load(&p->verify_total))
                return false;
        return a->verify_only || (res->flushed && res->bytes_written == res->size);
}

static const char *verify_name(enum wipe_verify_mode v) {
        return v == WIPE_VERIFY_FULL ? "full" : v == WIPE_VERIFY_SAMPLE ? "sample" : "none";
}

static uint64_t rate(uint64_t bytes, double secs) {
        return secs > 0 ? (uint64_t) ((double) bytes / secs) : 0;
}

/* Members of the erase record that go into the output as they are. */
static const char *const record_members[] = {
        "result", "method", "category", "fallback_reason", "firmware", "plan", "validation", "hidden_area",
        "health", "to_destroy", "caps", "commands", "commands_dropped", "error", "timings",
};

static int print_json(const struct args *a, const uint8_t *key_bytes, const uint8_t *iv_bytes, uint64_t size,
                      const struct wipe_overwrite_result *res, enum wipe_stop stop, bool complete,
                      const json_t *record) {
        char key[2 * WIPE_KEY_SIZE + 1], iv[2 * WIPE_IV_SIZE + 1];
        _cleanup_json_ json_t *exc = wipe_erase_exceptions_to_json(res);

        if (!exc)
                return -ENOMEM;
        rf_hex_encode(key_bytes, WIPE_KEY_SIZE, key);
        rf_hex_encode(iv_bytes, WIPE_IV_SIZE, iv);
        unsigned percent = a->verify == WIPE_VERIFY_FULL     ? 100
                           : a->verify == WIPE_VERIFY_SAMPLE ? a->verify_percent
                                                             : 0;
        _cleanup_json_ json_t *root = json_pack(
                "{s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:i, s:i, s:f, s:f, s:f, s:I, s:I, s:s, s:b, s:O, s:b}",
                "device", a->device, "size", (json_int_t) size, "key", key, "iv", iv, "bytes_written",
                (json_int_t) res->bytes_written, "bytes_verified", (json_int_t) res->bytes_verified, "verify_mode",
                verify_name(a->verify), "verify_percent", (int) percent, "verify_percent_effective",
                (int) res->verify_percent_effective, "write_seconds", res->write_seconds, "verify_seconds",
                res->verify_seconds, "cpu_seconds", res->cpu_seconds, "write_bytes_per_second",
                (json_int_t) rate(res->bytes_written, res->write_seconds), "verify_bytes_per_second",
                (json_int_t) rate(res->bytes_verified, res->verify_seconds), "stop", wipe_stop_to_string(stop),
                "flushed", res->flushed, "exceptions", exc, "complete", complete);
        if (!root)
                return -ENOMEM;
        for (size_t i = 0; record && i < ELEMENTSOF(record_members); i++) {
                json_t *v = json_object_get(record, record_members[i]);
                if (v && json_object_set(root, record_members[i], v) < 0)
                        return -ENOMEM;
        }
        if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) < 0)
                return -EIO;
        fputc('\n', stdout);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static const char *verify_label(const struct args *a, enum rf_lang lang, char *buf, size_t len) {
        switch (a->verify) {
        case WIPE_VERIFY_FULL:
                return RF_TR(lang, "vérification complète", "full verification");
        case WIPE_VERIFY_SAMPLE:
                snprintf(buf, len, RF_TR(lang, "vérification par échantillon (%u %%)", "sampled verification (%u%%)"),
                         a->verify_percent);
                return buf;
        default:
                return RF_TR(lang, "sans vérification", "no verification");
        }
}

/* The overwrite's figures and exceptions; then, with verdict, the
 * one-line conclusion (the erase path prints wipe_erase_result_summary()). */
static void print_summary(const struct args *a, const struct wipe_overwrite_result *res, bool complete,
                          bool verdict, enum rf_lang lang) {
        bool fr = lang == RF_LANG_FR;
        char w[32], wr[32], v[32], vr[32], ws[16], vs[16], cs[16];

        rf_format_bytes(res->bytes_written, fr, w, sizeof(w));
        rf_format_bytes(rate(res->bytes_written, res->write_seconds), fr, wr, sizeof(wr));
        rf_format_bytes(res->bytes_verified, fr, v, sizeof(v));
        rf_format_bytes(rate(res->bytes_verified, res->verify_seconds), fr, vr, sizeof(vr));
        fmt_num(res->write_seconds, 1, lang, ws, sizeof(ws));
        fmt_num(res->verify_seconds, 1, lang, vs, sizeof(vs));
        fmt_num(res->cpu_seconds, 1, lang, cs, sizeof(cs));
        if (!a->verify_only)
                fprintf(stderr, RF_TR(lang, "Écrit : %s en %s s (%s/s)\n", "Written: %s in %s s (%s/s)\n"), w, ws,
                        wr);
        if (a->verify != WIPE_VERIFY_NONE && res->verify_seconds > 0)
                fprintf(stderr, RF_TR(lang, "Vérifié : %s en %s s (%s/s)\n", "Verified: %s in %s s (%s/s)\n"), v,
                        vs, vr);
        fprintf(stderr, RF_TR(lang, "Temps processeur : %s s\n", "CPU time: %s s\n"), cs);
        for (size_t i = 0; i < res->n_exceptions; i++) {
                const struct wipe_exception *e = &res->exceptions[i];
                fprintf(stderr, RF_TR(lang, "  %s : octets %" PRIu64 " à %" PRIu64 "%s%s\n",
                                      "  %s: bytes %" PRIu64 " to %" PRIu64 "%s%s\n"),
                        wipe_exception_kind_to_string(e->kind), e->offset, e->offset + e->length - 1,
                        e->error ? ", " : "", e->error ? strerror(e->error) : "");
        }
        if (!verdict)
                return;

        const char *what = a->verify_only ? RF_TR(lang, "vérification", "verification")
                                          : RF_TR(lang, "effacement", "erasure");
        if (complete && a->verify_only)
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "Vérification réussie : le disque porte le motif.",
                              "Verification passed: the drive holds the pattern."));
        else if (complete)
                fprintf(stderr, "%s\n", RF_TR(lang, "Effacement complet.", "Erasure complete."));
        else if (res->stop == WIPE_STOP_CANCELLED)
                fprintf(stderr, RF_TR(lang, "Annulé : %s incomplet(e).\n", "Cancelled: %s incomplete.\n"), what);
        else if (res->stop == WIPE_STOP_REMOVED)
                fprintf(stderr, RF_TR(lang, "Disque retiré : %s incomplet(e).\n", "Drive removed: %s incomplete.\n"),
                        what);
        else if (res->stop == WIPE_STOP_TOO_MANY_ERRORS)
                fprintf(stderr, RF_TR(lang, "Trop d'erreurs : %s abandonné(e).\n", "Too many errors: %s abandoned.\n"),
                        what);
        else if (a->verify == WIPE_VERIFY_NONE && res->n_exceptions == 0)
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "Écrit sans vérification : effacement non attesté.",
                              "Written without verification: erasure not attested."));
        else if (a->verify_only)
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "Vérification ÉCHOUÉE (voir les erreurs).",
                              "Verification FAILED (see the errors)."));
        else
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "Effacement INCOMPLET (voir les erreurs).",
                              "Erasure INCOMPLETE (see the errors)."));
}

/* The device model: from udev for a disk (its bus picks the firmware
 * transport), a stand-in for a regular file or when udev has nothing. */
static enum wipe_transport guess_transport(const char *sysname) {
        if (strncmp(sysname, "nvme", 4) == 0)
                return WIPE_TRANSPORT_NVME;
        if (strncmp(sysname, "sd", 2) == 0)
                return WIPE_TRANSPORT_SCSI;
        if (strncmp(sysname, "vd", 2) == 0)
                return WIPE_TRANSPORT_VIRTIO;
        if (strncmp(sysname, "loop", 4) == 0)
                return WIPE_TRANSPORT_LOOP;
        return WIPE_TRANSPORT_UNKNOWN;
}

static int make_device(const char *path, const struct target *t, struct wipe_device **ret) {
        if (t->block) {
                struct udev *u = udev_new();
                int r = u ? wipe_device_new(u, path, ret) : -ENOMEM;
                udev_unref(u);
                if (r >= 0)
                        return 0;
        }
        struct wipe_device *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        const char *base = strrchr(path, '/');
        d->sysname = strdup(t->sysname[0] ? t->sysname : base ? base + 1 : path);
        d->devnode = strdup(path);
        d->size = t->size;
        d->logical_sector_size = t->sector_size;
        d->transport = t->block && d->sysname ? guess_transport(d->sysname) : WIPE_TRANSPORT_UNKNOWN;
        if (!d->sysname || !d->devnode) {
                wipe_device_free(d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

/* No daemon to persist the temporary ATA password: say it on the terminal
 * (it is the well-known one, see docs/firmware-erase.md). */
static int note_password_set(const char *serial, const char *password, void *userdata) {
        const struct reporter *rep = userdata;
        fprintf(stderr,
                RF_TR(rep->lang, "\nMot de passe ATA temporaire « %s » posé sur le disque %s (retiré à la fin)\n",
                      "\nTemporary ATA password '%s' set on drive %s (removed at the end)\n"),
                password, serial);
        return 0;
}

static void note_password_cleared(const char *serial, void *userdata) {
        const struct reporter *rep = userdata;
        fprintf(stderr,
                RF_TR(rep->lang, "Mot de passe ATA retiré du disque %s\n", "ATA password removed from drive %s\n"),
                serial);
}

static int exit_status(enum wipe_stop stop, bool complete) {
        if (complete)
                return EXIT_SUCCESS;
        return stop == WIPE_STOP_CANCELLED || stop == WIPE_STOP_REMOVED ? EXIT_INTERRUPTED : EXIT_INCOMPLETE;
}

/* Verification of an earlier overwrite (--verify-only). */
static int verify_only(const struct args *a, int fd, const struct target *t, const struct wipe_overwrite_opts *o,
                       struct wipe_progress *progress, enum rf_lang lang) {
        struct wipe_overwrite_result res = {};
        int r = wipe_overwrite_verify_io(fd, t->size, t->sector_size, o, NULL, progress, &res);
        if (r < 0)
                return r;
        bool complete = is_complete(a, &res, progress);
        print_summary(a, &res, complete, true, lang);
        if (a->json && print_json(a, o->key, o->iv, res.size, &res, res.stop, complete, NULL) < 0) {
                fprintf(stderr, "refurb-wipe: %s\n", RF_TR(lang, "sortie JSON impossible", "cannot write JSON"));
                complete = false;
        }
        r = exit_status(res.stop, complete);
        wipe_overwrite_result_clear(&res);
        return r;
}

/* The erase run: firmware method with read-back, or overwrite. */
static int erase(const struct args *a, int fd, const struct target *t, struct wipe_erase_opts *eo,
                 struct wipe_progress *progress, struct reporter *rep) {
        enum rf_lang lang = rep->lang;
        _cleanup_wipe_device_ struct wipe_device *dev = NULL;
        struct wipe_erase_result er = {};

        int r = make_device(a->device, t, &dev);
        if (r >= 0)
                r = wipe_erase_run(fd, dev, eo, progress, &er);
        if (rep->line_open)
                fputc('\n', stderr);
        rep->line_open = false;
        if (r < 0) {
                wipe_erase_result_clear(&er);
                return r;
        }
        bool complete = wipe_erase_result_complete(&er);
        if (er.overwrite_ran)
                print_summary(a, &er.overwrite, complete, false, lang);
        _cleanup_free_ char *text = wipe_erase_result_summary(&er, lang == RF_LANG_FR);
        if (text)
                fputs(text, stderr);
        if (a->json) {
                _cleanup_json_ json_t *record = wipe_erase_result_to_json(&er);
                if (!record || print_json(a, er.overwrite_key, er.overwrite_iv, er.size, &er.overwrite, er.stop,
                                          complete, record) < 0) {
                        fprintf(stderr, "refurb-wipe: %s\n",
                                RF_TR(lang, "sortie JSON impossible", "cannot write JSON"));
                        complete = false;
                }
        }
        r = exit_status(er.stop, complete);
        wipe_erase_result_clear(&er);
        return r;
}

int main(int argc, char **argv) {
        enum rf_lang lang = rf_lang_from_env();
        struct args a;

        int r = refurb_wipe_parse_args(argc, argv, lang, &a);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_USAGE;
        if (!a.yes && !a.verify_only) {
                fprintf(stderr,
                        RF_TR(lang, "Tout le contenu de %s sera détruit. Relancez avec --yes pour confirmer.\n",
                              "Everything on %s will be destroyed. Run again with --yes to confirm.\n"),
                        a.device);
                return EXIT_USAGE;
        }

        struct target t;
        r = open_target(a.device, &t, lang);
        _cleanup_close_ int fd = t.fd;
        if (r < 0)
                return EXIT_INCOMPLETE;

        struct wipe_overwrite_opts o;
        r = wipe_overwrite_opts_init(&o);
        if (r < 0) {
                fprintf(stderr, "refurb-wipe: %s\n", strerror(-r));
                return EXIT_INCOMPLETE;
        }
        atomic_bool cancel = false;
        struct reporter rep = {
                .lang = lang,
                .tty = isatty(STDERR_FILENO),
                .size = t.size,
                .last_phase = -1,
        };
        if (a.verify_only) {
                memcpy(o.key, a.key, sizeof(o.key));
                memcpy(o.iv, a.iv, sizeof(o.iv));
        }
        o.verify = a.verify;
        o.verify_percent = a.verify_percent;
        if (a.block_size)
                o.block_size = a.block_size;
        o.generator_threads = a.threads;
        o.cancel = &cancel;
        o.on_progress = on_progress;
        o.userdata = &rep;
        o.sysfs_dir = t.sysfs_dir[0] ? t.sysfs_dir : NULL;
        if (t.sector_size == 0 || o.block_size % t.sector_size != 0) {
                fprintf(stderr, RF_TR(lang, "--block-size : doit être un multiple de %u\n",
                                      "--block-size: must be a multiple of %u\n"),
                        t.sector_size);
                return EXIT_USAGE;
        }

        struct sigctx sc = { .cancel = &cancel };
        sigemptyset(&sc.set);
        sigaddset(&sc.set, SIGINT);
        sigaddset(&sc.set, SIGTERM);
        sigaddset(&sc.set, SIGUSR1);
        pthread_t sigthread;
        int k = pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
        if (k == 0)
                k = pthread_create(&sigthread, NULL, signal_thread, &sc);
        if (k != 0) {
                fprintf(stderr, "refurb-wipe: %s\n", strerror(k));
                return EXIT_INCOMPLETE;
        }

        char ssize[32];
        rf_format_bytes(t.size, lang == RF_LANG_FR, ssize, sizeof(ssize));
        char vlabel[64];
        fprintf(stderr,
                RF_TR(lang, "%s de %s (%s, secteurs de %u octets%s), %s\n", "%s %s (%s, %u-byte sectors%s), %s\n"),
                a.verify_only ? RF_TR(lang, "Vérification", "Verifying") : RF_TR(lang, "Effacement", "Erasing"),
                a.device, ssize, t.sector_size, t.direct ? ", O_DIRECT" : "",
                verify_label(&a, lang, vlabel, sizeof(vlabel)));

        struct wipe_progress progress = {};
        if (a.verify_only)
                r = verify_only(&a, fd, &t, &o, &progress, lang);
        else {
                struct wipe_erase_opts eo;
                r = wipe_erase_opts_init(&eo);
                if (r >= 0) {
                        eo.overwrite = o; /* key, iv, verify, block size, threads */
                        eo.method = t.block ? a.method : WIPE_ERASE_OVERWRITE;
                        eo.validate_percent = a.validate_percent;
                        eo.cancel = &cancel;
                        eo.sysfs_dir = o.sysfs_dir;
                        eo.on_progress = on_progress;
                        eo.password_set_before = note_password_set;
                        eo.password_cleared = note_password_cleared;
                        eo.userdata = &rep;
                        r = erase(&a, fd, &t, &eo, &progress, &rep);
                }
        }

        pthread_kill(sigthread, SIGUSR1);
        pthread_join(sigthread, NULL);
        if (rep.line_open)
                fputc('\n', stderr);
        if (r < 0) {
                fprintf(stderr, RF_TR(lang, "refurb-wipe : effacement impossible : %s\n",
                                      "refurb-wipe: cannot erase: %s\n"),
                        strerror(-r));
                return EXIT_INCOMPLETE;
        }
        return r;
}
