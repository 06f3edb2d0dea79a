/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing an image to a drive: checks, set-up, the read-back sample, the
 * phases (write, flush, read-back) and the result. The passes are in
 * img-write-pipeline.c, the drive I/O in img-write-io.c, the image stream
 * in img-write-stream.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "img-write-internal.h"
#include "img-write.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-lock.h"

#define DEFAULT_VERIFY_PERCENT 5u
#define DEFAULT_BUFFER_MIB 8u
#define MAX_BUFFER_MIB 64u
#define WRITER_THREADS 2u
/* Reader, hasher, the writers, and two spare to ride out jitter. */
#define SPARE_SLOTS 2u
/* 2^60 bytes: keeps block arithmetic far from overflowing. */
#define MAX_IMAGE_SIZE ((uint64_t) 1 << 60)
/* 64 Mi chunks of 1 MiB = 64 TiB mapped: more is not an image for a PC. */
#define MAX_CHUNKS ((uint64_t) 64 * 1024 * 1024)

/* img_phase_to_string() (img-write.h) is defined with the run, in img-run.c. */

static void set_error(struct img_write_result *res, int error, uint64_t offset, const char *detail) {
        res->error = error;
        res->error_offset = offset;
        snprintf(res->error_detail, sizeof(res->error_detail), "%s", detail);
}

/* The bmap normally comes from img_bmap_parse(), which checks all this;
 * it is checked again here since a wrong one would make us write outside
 * the image. */
static int check_bmap(const struct img_bmap *b, char *err, size_t errlen) {
        uint32_t bs = b->block_size;

        if (bs < 512 || bs > 1024 * 1024 || (bs & (bs - 1)) != 0) {
                snprintf(err, errlen, "bmap incohérent : taille de bloc %" PRIu32 " (puissance de 2 de 512 à 1 Mio "
                         "attendue)", bs);
                return -EINVAL;
        }
        if (b->image_size == 0 || b->image_size > MAX_IMAGE_SIZE) {
                snprintf(err, errlen, "bmap incohérent : ImageSize %" PRIu64, b->image_size);
                return -EINVAL;
        }
        if (b->n_ranges > 0 && !b->ranges)
                return -EINVAL;
        uint64_t n_blocks = (b->image_size + bs - 1) / bs;
        for (size_t i = 0; i < b->n_ranges; i++) {
                const struct img_bmap_range *r = &b->ranges[i];
                if (r->first > r->last || r->last >= n_blocks || (i > 0 && r->first <= b->ranges[i - 1].last)) {
                        snprintf(err, errlen, "bmap incohérent : plage %" PRIu64 "-%" PRIu64 " (ligne %u) hors de "
                                 "l'image, à l'envers ou pas après la précédente", r->first, r->last, r->line);
                        return -EINVAL;
                }
        }
        return 0;
}

static uint64_t div_round_up(uint64_t a, uint64_t b) {
        return a / b + (a % b != 0);
}

/* The read-back sample: the first and last 1 MiB chunk of every range,
 * plus chunks evenly spread over the mapped data up to percent of them
 * (100: all). Chunks start at range start + n MiB. */
static int plan_sample(struct img_ctx *c, unsigned percent, uint64_t *ret_bytes) {
        const struct img_bmap *b = c->bmap;
        uint64_t total = 0, bytes = 0;

        for (size_t i = 0; i < b->n_ranges; i++) {
                uint64_t start = b->ranges[i].first * b->block_size;
                uint64_t end = MIN((b->ranges[i].last + 1) * b->block_size, b->image_size);
                total += div_round_up(end - start, IMG_CHUNK_SIZE);
        }
        if (total > MAX_CHUNKS)
                return -EFBIG;
        uint64_t target = div_round_up(total * percent, 100);

        for (int pass = 0; pass < 2; pass++) {
                size_t n = 0;
                uint64_t g = 0;
                for (size_t i = 0; i < b->n_ranges; i++) {
                        uint64_t start = b->ranges[i].first * b->block_size;
                        uint64_t end = MIN((b->ranges[i].last + 1) * b->block_size, b->image_size);
                        uint64_t nk = div_round_up(end - start, IMG_CHUNK_SIZE);
                        for (uint64_t k = 0; k < nk; k++, g++) {
                                bool even = (g + 1) * target / total > g * target / total;
                                if (k != 0 && k != nk - 1 && !even)
                                        continue;
                                if (pass == 1) {
                                        uint64_t off = start + k * IMG_CHUNK_SIZE;
                                        c->chunks[n] = (struct img_chunk) {
                                                .offset = off,
                                                .len = (uint32_t) MIN(IMG_CHUNK_SIZE, end - off),
                                                .range = (uint32_t) i,
                                        };
                                        bytes += c->chunks[n].len;
                                }
                                n++;
                        }
                }
                if (pass == 0) {
                        c->chunks = n > 0 ? calloc(n, sizeof(struct img_chunk)) : NULL;
                        if (n > 0 && !c->chunks)
                                return -ENOMEM;
                        c->n_chunks = n;
                }
        }
        *ret_bytes = bytes;
        return 0;
}

/* Sizes, the sysfs directory, and the two descriptors: O_DIRECT and
 * buffered, one of them the caller's, the other reopened. */
static int open_target(struct img_ctx *c, int fd) {
        struct stat st;
        char proc[64];

        if (fstat(fd, &st) < 0)
                return negative_errno();
        c->align = 4096;
        if (S_ISBLK(st.st_mode)) {
                unsigned sector = 512;
                int r = wipe_fd_geometry(fd, &c->dev_size, &sector);
                if (r < 0)
                        return r;
                c->align = MAX(c->align, sector);
                snprintf(c->sysfs_dir, sizeof(c->sysfs_dir), "/sys/dev/block/%u:%u", major(st.st_rdev),
                         minor(st.st_rdev));
        } else if (S_ISREG(st.st_mode))
                c->dev_size = (uint64_t) st.st_size;
        else
                return -ENOTBLK;

        int flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return negative_errno();
        if ((flags & O_ACCMODE) != O_RDWR && (flags & O_ACCMODE) != O_WRONLY)
                return -EBADF;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        /* Without O_EXCL: the caller's descriptor holds the claim, a
         * second exclusive open would be refused. */
        if (flags & O_DIRECT) {
                c->fd_direct = fd;
                c->owned_fd = open(proc, O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (c->owned_fd < 0)
                        return negative_errno();
                c->fd_buffered = c->owned_fd;
        } else {
                c->fd_buffered = fd;
                c->owned_fd = open(proc, O_RDWR | O_CLOEXEC | O_NOCTTY | O_DIRECT);
                if (c->owned_fd < 0 && errno != EINVAL)
                        return negative_errno();
                c->fd_direct = c->owned_fd; /* -1: the file system has no O_DIRECT; buffered + fdatasync */
        }
        atomic_init(&c->direct_ok, c->fd_direct >= 0);
        return 0;
}

static int ctx_init(struct img_ctx *c) {
        pthread_condattr_t attr;

        if (pthread_condattr_init(&attr) != 0)
                return -ENOMEM;
        int k = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (k == 0 && (pthread_mutex_init(&c->lock, NULL) != 0 || pthread_cond_init(&c->done, &attr) != 0 ||
                       pthread_cond_init(&c->changed, NULL) != 0))
                k = ENOMEM;
        pthread_condattr_destroy(&attr);
        if (k != 0)
                return -k;
        c->sync_initialized = true;

        c->slots = calloc(c->n_slots, sizeof(struct img_slot));
        if (!c->slots)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_slots; i++) {
                void *p = NULL;
                /* Room for the misaligned start and end of a piece. */
                k = posix_memalign(&p, c->align, c->buf_size + 2 * (size_t) c->align);
                if (k != 0)
                        return -k;
                c->slots[i].mem = p;
        }
        return 0;
}

static void ctx_done(struct img_ctx *c) {
        for (size_t i = 0; c->slots && i < c->n_slots; i++)
                free(c->slots[i].mem);
        free(c->slots);
        free(c->chunks);
        img_stream_close(&c->src);
        if (c->owned_fd >= 0)
                close(c->owned_fd);
        if (c->sync_initialized) {
                pthread_cond_destroy(&c->changed);
                pthread_cond_destroy(&c->done);
                pthread_mutex_destroy(&c->lock);
        }
}

static double seconds_since(uint64_t t0) {
        return (double) (rf_now_usec() - t0) / 1e6;
}

static void run_phases(struct img_ctx *c, struct img_write_result *res) {
        struct img_progress *p = c->progress;

        atomic_store(&p->phase, IMG_PHASE_WRITE);
        uint64_t t0 = rf_now_usec();
        if (!img_ctx_check_stop(c, true))
                (void) img_pass_write(c);
        if (!img_ctx_check_stop(c, true)) {
                atomic_store(&p->phase, IMG_PHASE_FLUSH);
                int r = img_dev_flush(c);
                if (r < 0 && !img_ctx_device_gone(c, r))
                        img_ctx_fail(c, r, 0, "vidage du cache du disque impossible : %s", strerror(-r));
        }
        res->write_seconds = seconds_since(t0);

        if (!img_ctx_check_stop(c, true)) {
                atomic_store(&p->phase, IMG_PHASE_VERIFY);
                uint64_t t1 = rf_now_usec();
                (void) img_pass_verify(c);
                res->verify_seconds = seconds_since(t1);
        }
        /* A last look: a drive pulled during the last second is not done. */
        (void) img_ctx_check_stop(c, true);
}

int img_write_run(int fd, const struct img_write_opts *o, struct img_write_result *result) {
        struct img_progress local_progress = {};
        char err[256] = "";

        if (!result)
                return -EINVAL;
        *result = (struct img_write_result) {};
        if (fd < 0 || !o || !o->bmap || o->image_fd < 0 || o->verify_percent > 100 ||
            o->buffer_mib > MAX_BUFFER_MIB) {
                set_error(result, -EINVAL, 0, "paramètres d'écriture invalides");
                return -EINVAL;
        }
        const struct img_bmap *b = o->bmap;
        int r = check_bmap(b, err, sizeof(err));
        if (r < 0) {
                set_error(result, r, 0, err[0] ? err : "bmap incohérent");
                return r;
        }
        unsigned percent = o->verify_percent ? o->verify_percent : DEFAULT_VERIFY_PERCENT;
        result->verify_percent = percent;

        _cleanup_(ctx_done) struct img_ctx c = {
                .o = o,
                .bmap = b,
                .progress = o->progress ? o->progress : &local_progress,
                .fd_direct = -1,
                .fd_buffered = -1,
                .owned_fd = -1,
                .n_writers = WRITER_THREADS,
                .src = { .fd = -1 },
        };
        atomic_init(&c.halted, false);
        atomic_store(&c.progress->phase, IMG_PHASE_WRITE);
        atomic_store(&c.progress->bytes_written, 0);
        atomic_store(&c.progress->bytes_verified, 0);
        atomic_store(&c.progress->write_total, img_bmap_mapped_bytes(b));
        atomic_store(&c.progress->verify_total, 0);

        r = open_target(&c, fd);
        if (r < 0) {
                snprintf(err, sizeof(err), "disque cible inutilisable : %s", strerror(-r));
                set_error(result, r, 0, err);
                return r;
        }
        result->device_size = c.dev_size;
        if (c.dev_size < b->image_size) {
                char dev[32], img[32];
                rf_format_bytes(c.dev_size, true, dev, sizeof(dev));
                rf_format_bytes(b->image_size, true, img, sizeof(img));
                snprintf(err, sizeof(err), "le disque (%s) est plus petit que l'image (%s)", dev, img);
                set_error(result, -ENOSPC, c.dev_size, err);
                return -ENOSPC;
        }

        uint64_t verify_total = 0;
        r = plan_sample(&c, percent, &verify_total);
        if (r < 0) {
                set_error(result, r, 0, r == -EFBIG ? "image trop grande" : "mémoire insuffisante");
                return r;
        }
        atomic_store(&c.progress->verify_total, verify_total);

        r = img_stream_open(&c.src, o->image_fd, o->compression, b->image_size, err, sizeof(err));
        if (r < 0) {
                set_error(result, r, 0, err[0] ? err : "image illisible");
                return r;
        }

        unsigned mib = o->buffer_mib ? o->buffer_mib : DEFAULT_BUFFER_MIB;
        /* A small image does not need big buffers. */
        c.buf_size = (size_t) MIN((uint64_t) mib * IMG_CHUNK_SIZE, div_round_up(b->image_size, IMG_CHUNK_SIZE) *
                                                                           IMG_CHUNK_SIZE);
        c.n_slots = 2 + c.n_writers + SPARE_SLOTS;
        r = ctx_init(&c);
        if (r < 0) {
                set_error(result, r, 0, "mémoire insuffisante pour les tampons d'écriture");
                return r;
        }
        img_ctx_sysfs_baseline(&c);

        run_phases(&c, result);

        result->bytes_written = atomic_load(&c.progress->bytes_written);
        result->bytes_verified = atomic_load(&c.progress->bytes_verified);
        result->ranges_hashed = c.ranges_hashed;
        result->chunks_checked = c.chunks_checked;
        result->stop = c.stop;
        if (c.error == 0 && (result->ranges_hashed != b->n_ranges || result->chunks_checked != c.n_chunks ||
                             result->bytes_written != img_bmap_mapped_bytes(b))) {
                /* Cannot happen; never report an incomplete run as done. */
                set_error(result, -EIO, 0, "écriture incomplète sans erreur signalée");
                return 0;
        }
        if (c.error != 0)
                set_error(result, c.error, c.error_offset, c.error_detail);
        return 0;
}
