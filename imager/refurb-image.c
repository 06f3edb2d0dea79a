/* SPDX-License-Identifier: GPL-2.0-or-later */
/* refurb-image: write a system image to one drive without the daemon.
 *
 *   --profile FILE ...   the whole run of refurbd (img_run): signed profile,
 *                        verified image and bmap, write, read-back, fit,
 *                        customise, proof;
 *   --image F --bmap F   the write and its verification only (benchmarks,
 *                        trials of a DSI's image before signing a profile).
 *
 * Exit status: 0 done, 1 failed, 2 usage, 3 interrupted (signal, drive
 * removed). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "img-bmap.h"
#include "img-run.h"
#include "refurb-image.h"
#include "rf-i18n.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-lock.h"
#include "wipe-safety.h"

#define BMAP_MAX_SIZE (64 * MiB)
#define DEFAULT_TRUSTED_KEYS REFURB_SYSCONFDIR "/refurbd/trusted-keys"
#define DEFAULT_CACHE "/var/cache/refurb-image"
#define RUN_DIR "/run/refurb-image"

/* ---- The target ---- */

static int open_block(const char *path, const struct stat *st, int *ret_fd, enum rf_lang lang) {
        struct wipe_refusal refusal = {};
        char msg[512], attr[160];

        /* An image is a whole disk: a partition would get a partition table
         * inside it. */
        snprintf(attr, sizeof(attr), "/sys/dev/block/%u:%u/partition", major(st->st_rdev), minor(st->st_rdev));
        if (access(attr, F_OK) == 0) {
                refusal.code = WIPE_REFUSAL_NOT_WHOLE_DISK;
                fprintf(stderr, "%s\n", wipe_refusal_message(&refusal, path, lang, msg, sizeof(msg)));
                return -ENOTBLK;
        }
        int r = wipe_open_exclusive(path, ret_fd, &refusal);
        if (r < 0) {
                fprintf(stderr, "%s\n", wipe_refusal_message(&refusal, path, lang, msg, sizeof(msg)));
                return r;
        }
        return 0;
}

/* Regular files (tests, trials): img_write_run() adds O_DIRECT itself
 * when the file system takes it. */
static int open_file(const char *path, int *ret_fd, enum rf_lang lang) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);

        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int r = negative_errno();
                fprintf(stderr, RF_TR(lang, "%s : ouverture impossible : %s\n", "%s: cannot open: %s\n"), path,
                        strerror(-r));
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int open_target(const char *path, bool allow_file, int *ret_fd, enum rf_lang lang) {
        struct stat st;

        if (stat(path, &st) < 0) {
                int r = negative_errno();
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        if (S_ISBLK(st.st_mode))
                return open_block(path, &st, ret_fd, lang);
        if (S_ISREG(st.st_mode) && allow_file)
                return open_file(path, ret_fd, lang);
        if (S_ISREG(st.st_mode))
                fprintf(stderr, RF_TR(lang, "%s : un profil s'écrit sur un disque, pas dans un fichier (--image et "
                                            "--bmap acceptent un fichier)\n",
                                      "%s: a profile is written to a disk, not a file (--image and --bmap accept "
                                      "a file)\n"),
                        path);
        else
                fprintf(stderr, RF_TR(lang, "%s : ni un disque ni un fichier\n", "%s: neither a disk nor a file\n"),
                        path);
        return -ENOTBLK;
}

/* ---- Signals: SIGINT/SIGTERM cancel the run; SIGUSR1 ends the thread ---- */

struct sigctx {
        sigset_t set;
        atomic_bool *cancel;
        atomic_bool signalled;
        pthread_t thread;
};

static void *signal_thread(void *arg) {
        struct sigctx *c = arg;

        for (;;) {
                int sig = 0;
                if (sigwait(&c->set, &sig) != 0 || sig == SIGUSR1)
                        return NULL;
                atomic_store(&c->signalled, true);
                atomic_store(c->cancel, true);
        }
}

static int signals_start(struct sigctx *c, atomic_bool *cancel) {
        c->cancel = cancel;
        atomic_init(&c->signalled, false);
        sigemptyset(&c->set);
        sigaddset(&c->set, SIGINT);
        sigaddset(&c->set, SIGTERM);
        sigaddset(&c->set, SIGUSR1);
        int k = pthread_sigmask(SIG_BLOCK, &c->set, NULL);
        if (k == 0)
                k = pthread_create(&c->thread, NULL, signal_thread, c);
        return -k;
}

static void signals_stop(struct sigctx *c) {
        pthread_kill(c->thread, SIGUSR1);
        pthread_join(c->thread, NULL);
}

/* ---- Write-only mode ---- */

static uint64_t rate(uint64_t bytes, double secs) {
        return secs > 0 ? (uint64_t) ((double) bytes / secs) : 0;
}

static int load_bmap(const char *path, struct img_bmap **ret, enum rf_lang lang) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        char err[512] = "";

        int r = rf_read_file(path, BMAP_MAX_SIZE, &text, &len);
        if (r < 0) {
                fprintf(stderr, RF_TR(lang, "%s : lecture impossible : %s\n", "%s: cannot read: %s\n"), path,
                        r == -EFBIG ? RF_TR(lang, "plus de 64 Mio", "over 64 MiB") : strerror(-r));
                return r;
        }
        r = img_bmap_parse(path, text, len, ret, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "%s\n", err[0] ? err : strerror(-r));
        return r;
}

static const char *stop_name(enum img_stop s) {
        return s == IMG_STOP_CANCELLED ? "cancelled" : s == IMG_STOP_REMOVED ? "removed" : "none";
}

static int print_write_json(const struct args *a, const struct img_bmap *b, const struct img_write_result *w) {
        _cleanup_json_ json_t *root = json_pack(
                "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:i, s:I, s:I, s:f, s:I, s:s, s:s}",
                "device", a->device, "image", a->image, "bmap", a->bmap, "compression",
                a->compression == IMG_COMPRESSION_ZSTD ? "zstd" : "none", "image_size", (json_int_t) b->image_size,
                "mapped_bytes", (json_int_t) img_bmap_mapped_bytes(b), "ranges", (json_int_t) b->n_ranges,
                "device_size", (json_int_t) w->device_size, "bytes_written", (json_int_t) w->bytes_written,
                "write_seconds", w->write_seconds, "write_bytes_per_second",
                (json_int_t) rate(w->bytes_written, w->write_seconds), "ranges_hashed", (json_int_t) w->ranges_hashed,
                "verify_percent", (int) w->verify_percent, "chunks_checked", (json_int_t) w->chunks_checked,
                "bytes_verified", (json_int_t) w->bytes_verified, "verify_seconds", w->verify_seconds,
                "verify_bytes_per_second", (json_int_t) rate(w->bytes_verified, w->verify_seconds), "stop",
                stop_name(w->stop), "result", w->error == 0 ? "ok" : "failed");
        if (!root)
                return -ENOMEM;
        if (w->error != 0) {
                json_t *e = json_pack("{s:i, s:s, s:I, s:s}", "errno", -w->error, "error", strerror(-w->error),
                                      "offset", (json_int_t) w->error_offset, "detail", w->error_detail);
                if (!e || json_object_set_new(root, "failure", e) < 0)
                        return -ENOMEM;
        }
        if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) < 0)
                return -EIO;
        fputc('\n', stdout);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static void print_write_summary(const struct img_write_result *w, size_t n_ranges, enum rf_lang lang) {
        bool fr = lang == RF_LANG_FR;
        char b[32], r[32], s[16];

        if (w->bytes_written > 0 || w->write_seconds > 0) {
                rf_format_bytes(w->bytes_written, fr, b, sizeof(b));
                rf_format_bytes(rate(w->bytes_written, w->write_seconds), fr, r, sizeof(r));
                fmt_num(w->write_seconds, 1, lang, s, sizeof(s));
                fprintf(stderr,
                        RF_TR(lang, "Écrit : %s en %s s (%s/s), %zu plage(s) sur %zu conforme(s) au bmap\n",
                              "Written: %s in %s s (%s/s), %zu of %zu range(s) matching the bmap\n"),
                        b, s, r, w->ranges_hashed, n_ranges);
        }
        if (w->bytes_verified > 0) {
                rf_format_bytes(w->bytes_verified, fr, b, sizeof(b));
                rf_format_bytes(rate(w->bytes_verified, w->verify_seconds), fr, r, sizeof(r));
                fmt_num(w->verify_seconds, 1, lang, s, sizeof(s));
                fprintf(stderr,
                        RF_TR(lang, "Relu : %s en %s s (%s/s), %zu bloc(s) de 1 Mio identiques (échantillon de %u %%)\n",
                              "Read back: %s in %s s (%s/s), %zu 1 MiB chunk(s) identical (%u%% sample)\n"),
                        b, s, r, w->chunks_checked, w->verify_percent);
        }
        if (w->error == 0)
                fprintf(stderr, "%s\n", RF_TR(lang, "Image écrite et vérifiée.", "Image written and verified."));
        else if (w->stop == IMG_STOP_CANCELLED)
                fprintf(stderr, "%s\n", RF_TR(lang, "Annulé : image incomplète.", "Cancelled: image incomplete."));
        else if (w->stop == IMG_STOP_REMOVED)
                fprintf(stderr, "%s\n",
                        RF_TR(lang, "Disque retiré : image incomplète.", "Drive removed: image incomplete."));
        else
                /* The detail is the library's, in French. */
                fprintf(stderr, RF_TR(lang, "ÉCHEC : %s\n", "FAILED: %s\n"),
                        w->error_detail[0] ? w->error_detail : strerror(-w->error));
}

static int write_only(const struct args *a, int fd, atomic_bool *cancel, enum rf_lang lang) {
        _cleanup_img_bmap_ struct img_bmap *b = NULL;
        int r = load_bmap(a->bmap, &b, lang);
        if (r < 0)
                return EXIT_FAILED;
        _cleanup_close_ int image = open(a->image, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (image < 0) {
                fprintf(stderr, RF_TR(lang, "%s : ouverture impossible : %s\n", "%s: cannot open: %s\n"), a->image,
                        strerror(errno));
                return EXIT_FAILED;
        }

        char isize[32], msize[32];
        rf_format_bytes(b->image_size, lang == RF_LANG_FR, isize, sizeof(isize));
        rf_format_bytes(img_bmap_mapped_bytes(b), lang == RF_LANG_FR, msize, sizeof(msize));
        fprintf(stderr, RF_TR(lang, "Image %s (%s, %s utiles en %zu plages) vers %s\n",
                              "Image %s (%s, %s mapped in %zu ranges) to %s\n"),
                a->image, isize, msize, b->n_ranges, a->device);

        struct img_progress progress = {};
        struct reporter *rep = NULL;
        (void) reporter_start(&rep, lang, &progress, NULL); /* no progress display is not fatal */
        struct img_write_opts o = {
                .image_fd = image,
                .compression = a->compression,
                .bmap = b,
                .verify_percent = a->verify_percent,
                .cancel = cancel,
                .progress = &progress,
        };
        struct img_write_result w = {};
        r = img_write_run(fd, &o, &w);
        reporter_stop(rep);
        if (r < 0 && w.error == 0)
                w.error = r; /* could not start: nothing filled */
        print_write_summary(&w, b->n_ranges, lang);
        if (a->json && print_write_json(a, b, &w) < 0) {
                fprintf(stderr, "refurb-image: %s\n", RF_TR(lang, "sortie JSON impossible", "cannot write JSON"));
                return EXIT_FAILED;
        }
        if (w.error == 0)
                return EXIT_SUCCESS;
        return w.stop != IMG_STOP_NONE ? EXIT_INTERRUPTED : EXIT_FAILED;
}

/* ---- Profile mode ---- */

static void print_run_summary(const struct img_run_result *rr, enum rf_lang lang) {
        if (rr->profile)
                fprintf(stderr, RF_TR(lang, "Profil %s %s, signé par %s (clé %s)\n",
                                      "Profile %s %s, signed by %s (key %s)\n"),
                        rr->profile->name, rr->profile->version, rr->signature.key_file, rr->signature.key_id);
        if (rr->write_ran) {
                struct img_write_result w = rr->write;
                w.error = 0; /* the verdict is the run's, below */
                if (w.bytes_written > 0 || w.bytes_verified > 0) {
                        bool fr = lang == RF_LANG_FR;
                        char b[32], r[32], s[16];
                        rf_format_bytes(w.bytes_written, fr, b, sizeof(b));
                        rf_format_bytes(rate(w.bytes_written, w.write_seconds), fr, r, sizeof(r));
                        fmt_num(w.write_seconds, 1, lang, s, sizeof(s));
                        fprintf(stderr, RF_TR(lang, "Écrit : %s en %s s (%s/s), relu : %zu bloc(s) de 1 Mio\n",
                                              "Written: %s in %s s (%s/s), read back: %zu 1 MiB chunk(s)\n"),
                                b, s, r, w.chunks_checked);
                }
        }
        if (rr->fit_ran && rr->fit.part_devnode[0]) {
                char before[32], after[32];
                rf_format_bytes(rr->fit.part_size_before, lang == RF_LANG_FR, before, sizeof(before));
                rf_format_bytes(rr->fit.part_size_after, lang == RF_LANG_FR, after, sizeof(after));
                fprintf(stderr, RF_TR(lang, "Partition %s : %s -> %s\n", "Partition %s: %s -> %s\n"),
                        rr->fit.part_devnode, before, after);
        }
        if (rr->customise_ran && rr->customise.hostname[0])
                fprintf(stderr, RF_TR(lang, "Nom du poste : %s, %zu script(s) de personnalisation\n",
                                      "Host name: %s, %zu customisation hook(s)\n"),
                        rr->customise.hostname, rr->customise.n_hooks);
        if (rr->error == 0)
                fprintf(stderr, "%s\n", RF_TR(lang, "Poste prêt : image écrite, vérifiée et personnalisée.",
                                              "Ready: image written, verified and customised."));
        else
                fprintf(stderr, RF_TR(lang, "ÉCHEC (%s) : %s\n", "FAILED (%s): %s\n"),
                        img_phase_to_string(rr->failed_phase), rr->detail[0] ? rr->detail : strerror(-rr->error));
}

static int profile_run(const struct args *a, int *fd, atomic_bool *cancel, enum rf_lang lang) {
        struct img_fetch_progress fetch = {};
        struct img_progress progress = {};
        struct img_run_result rr = {};

        int r = rf_mkdir_p(RUN_DIR, 0700);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", RUN_DIR, strerror(-r));
                return EXIT_FAILED;
        }
        struct img_run_opts o = {
                .profile_path = a->profile,
                .trusted_keys_dir = a->trusted_keys ? a->trusted_keys : DEFAULT_TRUSTED_KEYS,
                .hooks_dir = a->hooks ? a->hooks : REFURB_HOOKSDIR,
                .run_dir = RUN_DIR,
                .asset_tag = a->asset_tag,
                .devnode = a->device,
                .verify_percent = a->verify_percent,
                .fetch = {
                        .cache_dir = a->cache ? a->cache : DEFAULT_CACHE,
                        .ca_file = a->ca_file,
                        .cancel = cancel,
                        .progress = &fetch,
                },
                .cancel = cancel,
                .progress = &progress,
                .customise = a->customise,
        };
        struct reporter *rep = NULL;
        (void) reporter_start(&rep, lang, &progress, &fetch);
        r = img_run(fd, &o, &rr);
        reporter_stop(rep);
        if (r < 0) {
                fprintf(stderr, RF_TR(lang, "refurb-image : lancement impossible : %s\n",
                                      "refurb-image: cannot start: %s\n"),
                        strerror(-r));
                return EXIT_FAILED;
        }
        print_run_summary(&rr, lang);
        int status = EXIT_SUCCESS;
        if (rr.error == -ECANCELED || (rr.write_ran && rr.write.stop != IMG_STOP_NONE))
                status = EXIT_INTERRUPTED;
        else if (rr.error != 0)
                status = EXIT_FAILED;
        if (a->json) {
                _cleanup_json_ json_t *j = img_run_to_json(&rr);
                if (!j || json_object_set_new(j, "device", json_string(a->device)) < 0 ||
                    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) < 0) {
                        fprintf(stderr, "refurb-image: %s\n",
                                RF_TR(lang, "sortie JSON impossible", "cannot write JSON"));
                        status = EXIT_FAILED;
                } else {
                        fputc('\n', stdout);
                        fflush(stdout);
                }
        }
        img_run_result_clear(&rr);
        return status;
}

int main(int argc, char **argv) {
        enum rf_lang lang = rf_lang_from_env();
        struct args a;

        int r = refurb_image_parse_args(argc, argv, lang, &a);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_USAGE;
        if (!a.yes) {
                fprintf(stderr,
                        RF_TR(lang, "Tout le contenu de %s sera remplacé. Relancez avec --yes pour confirmer.\n",
                              "Everything on %s will be replaced. Run again with --yes to confirm.\n"),
                        a.device);
                return EXIT_USAGE;
        }

        _cleanup_close_ int fd = -1;
        if (open_target(a.device, !a.profile, &fd, lang) < 0)
                return EXIT_FAILED;

        atomic_bool cancel = false;
        struct sigctx sc;
        r = signals_start(&sc, &cancel);
        if (r < 0) {
                fprintf(stderr, "refurb-image: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        int status;
        if (a.profile)
                status = profile_run(&a, &fd, &cancel, lang);
        else
                status = write_only(&a, fd, &cancel, lang);
        signals_stop(&sc);
        if (atomic_load(&sc.signalled) && status == EXIT_FAILED)
                status = EXIT_INTERRUPTED;
        return status;
}
