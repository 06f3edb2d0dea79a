/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passes of the image writer: a ring of large aligned buffers that go
 * through stages, each stage run by its own thread(s), in order.
 *
 *   write pass:     read/decompress -> hash -> write (two writer threads)
 *   read-back pass: read the sample -> hash and compare
 *
 * Slot number q of a pass lives in ring slot q % n. The producer (stage 0)
 * takes a slot once every stage is done with its previous occupant; stage
 * s takes slot q once stage s - 1 released it, in order. The hasher sees
 * the pieces of a range in order and compares the range's SHA-256 with the
 * bmap when its last piece went by, before releasing that piece: a writer
 * only gets a piece after it was hashed, so no byte of the next range is
 * written before the range was found right, and the last piece of a wrong
 * range is never written. One mutex and one condition variable: with
 * buffers of several MiB there are a few hundred hand-overs a second at
 * most. The calling thread waits for the workers with a 250 ms tick to
 * watch sysfs for removal. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "img-write-internal.h"
#include "rf-macro.h"
#include "rf-util.h"

#define TICK_USEC ((uint64_t) 250 * 1000)

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);

enum {
        WSTAGE_READ,
        WSTAGE_HASH,
        WSTAGE_WRITE,
        WSTAGE_COUNT,
};

enum {
        VSTAGE_READ,
        VSTAGE_COMPARE,
        VSTAGE_COUNT,
};

static struct img_slot *claim(struct img_ctx *c, unsigned stage) {
        struct img_slot *s = NULL;

        pthread_mutex_lock(&c->lock);
        while (!c->halt) {
                uint64_t q = c->next[stage];
                struct img_slot *x = &c->slots[q % c->n_slots];
                if (stage == 0 && x->stage == 0 && !x->busy) {
                        x->seq = q;
                        s = x;
                } else if (stage > 0 && x->stage == stage && !x->busy && x->seq == q)
                        s = x;
                if (s) {
                        s->busy = true;
                        c->next[stage]++;
                        break;
                }
                if (stage > 0 && c->closed && q == c->next[0])
                        break; /* everything went through */
                pthread_cond_wait(&c->changed, &c->lock);
        }
        pthread_mutex_unlock(&c->lock);
        return s;
}

/* To the next stage (the last one frees the slot). */
static void release(struct img_ctx *c, struct img_slot *s) {
        pthread_mutex_lock(&c->lock);
        s->busy = false;
        s->stage = (s->stage + 1) % c->n_stages;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
}

/* The producer queued its last slot. */
static void close_ring(struct img_ctx *c) {
        pthread_mutex_lock(&c->lock);
        c->closed = true;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
}

static uint8_t *slot_data(const struct img_ctx *c, const struct img_slot *s) {
        return s->mem + s->offset % c->align;
}

static uint64_t range_start(const struct img_ctx *c, size_t i) {
        return c->bmap->ranges[i].first * c->bmap->block_size;
}

static uint64_t range_end(const struct img_ctx *c, size_t i) {
        return MIN((c->bmap->ranges[i].last + 1) * c->bmap->block_size, c->bmap->image_size);
}

/* ---- Write pass ---- */

static bool stream_should_stop(void *userdata) {
        return img_ctx_check_stop(userdata, false);
}

static void run_reader(struct img_ctx *c) {
        char err[256] = "";
        int r;

        c->src.should_stop = stream_should_stop;
        c->src.userdata = c;
        for (size_t i = 0; i < c->bmap->n_ranges; i++) {
                uint64_t end = range_end(c, i);
                for (uint64_t off = range_start(c, i); off < end; off += c->buf_size) {
                        if (img_ctx_check_stop(c, false))
                                return;
                        struct img_slot *s = claim(c, WSTAGE_READ);
                        if (!s)
                                return;
                        s->offset = off;
                        s->len = (size_t) MIN((uint64_t) c->buf_size, end - off);
                        s->range = i;
                        s->range_end = off + s->len == end;
                        r = img_stream_read(&c->src, off, slot_data(c, s), s->len, err, sizeof(err));
                        if (r < 0) {
                                if (r != -ECANCELED)
                                        img_ctx_fail(c, r, off, "%s", err[0] ? err : strerror(-r));
                                return;
                        }
                        release(c, s);
                }
        }
        /* The rest of the stream must still decompress to exactly
         * ImageSize and end cleanly, while the last pieces are written. */
        r = img_stream_finish(&c->src, err, sizeof(err));
        if (r < 0) {
                if (r != -ECANCELED)
                        img_ctx_fail(c, r, c->src.out_pos, "%s", err[0] ? err : strerror(-r));
                return;
        }
        close_ring(c);
}

static void run_hasher(struct img_ctx *c) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        const EVP_MD *sha256 = EVP_sha256();
        size_t ci = 0;
        struct img_slot *s;

        if (!md) {
                img_ctx_fail(c, -ENOMEM, 0, "mémoire insuffisante pour SHA-256");
                return;
        }
        while (!img_ctx_check_stop(c, false) && (s = claim(c, WSTAGE_HASH))) {
                const struct img_bmap_range *rg = &c->bmap->ranges[s->range];
                const uint8_t *data = slot_data(c, s);
                bool ok = true;

                if (s->offset == range_start(c, s->range))
                        ok = EVP_DigestInit_ex(md, sha256, NULL) == 1;
                ok = ok && EVP_DigestUpdate(md, data, s->len) == 1;
                /* Sample chunks start at range start + n MiB and the
                 * pieces at range start + n x buf_size: a chunk is always
                 * inside one piece. */
                for (; ok && ci < c->n_chunks && c->chunks[ci].offset < s->offset + s->len; ci++) {
                        struct img_chunk *k = &c->chunks[ci];
                        ok = EVP_Digest(data + (k->offset - s->offset), k->len, k->sha256, NULL, sha256, NULL) == 1;
                }
                if (!ok) {
                        img_ctx_fail(c, -ENOMEM, s->offset, "calcul SHA-256 impossible (OpenSSL)");
                        return;
                }
                if (s->range_end) {
                        uint8_t got[32];
                        unsigned n = 0;
                        if (EVP_DigestFinal_ex(md, got, &n) != 1 || n != sizeof(got)) {
                                img_ctx_fail(c, -ENOMEM, s->offset, "calcul SHA-256 impossible (OpenSSL)");
                                return;
                        }
                        if (memcmp(got, rg->sha256, sizeof(got)) != 0) {
                                char hg[65], hw[65];
                                rf_hex_encode(got, sizeof(got), hg);
                                rf_hex_encode(rg->sha256, sizeof(rg->sha256), hw);
                                img_ctx_fail(c, -EBADMSG, range_start(c, s->range),
                                             "plage de blocs %" PRIu64 "-%" PRIu64 " (ligne %u du bmap) : "
                                             "SHA-256 %.16s… au lieu de %.16s…, l'image ne correspond pas au bmap",
                                             rg->first, rg->last, rg->line, hg, hw);
                                return; /* this piece is not written */
                        }
                        c->ranges_hashed++; /* only this thread writes it; read after the join */
                }
                release(c, s);
        }
}

static void run_writer(struct img_ctx *c) {
        struct img_slot *s;

        while (!img_ctx_check_stop(c, false) && (s = claim(c, WSTAGE_WRITE))) {
                int r = img_dev_write(c, s->mem, s->offset, s->len);
                if (r < 0) {
                        if (!img_ctx_device_gone(c, r))
                                img_ctx_fail(c, r, s->offset,
                                             "écriture sur le disque impossible entre les octets %" PRIu64
                                             " et %" PRIu64 " : %s", s->offset, s->offset + s->len - 1,
                                             strerror(-r));
                        return;
                }
                atomic_fetch_add(&c->progress->bytes_written, (uint64_t) s->len);
                release(c, s);
        }
}

/* ---- Read-back pass ---- */

static void run_sample_reader(struct img_ctx *c) {
        size_t i = 0;

        while (i < c->n_chunks) {
                if (img_ctx_check_stop(c, false))
                        return;
                /* Consecutive chunks that touch each other, one read. */
                size_t j = i + 1;
                uint64_t end = c->chunks[i].offset + c->chunks[i].len;
                while (j < c->n_chunks && c->chunks[j].offset == end &&
                       end + c->chunks[j].len - c->chunks[i].offset <= c->buf_size)
                        end += c->chunks[j++].len;
                struct img_slot *s = claim(c, VSTAGE_READ);
                if (!s)
                        return;
                s->offset = c->chunks[i].offset;
                s->len = (size_t) (end - s->offset);
                s->chunk_first = i;
                s->chunk_count = j - i;
                int r = img_dev_read(c, s->mem, s->offset, s->len);
                if (r < 0) {
                        if (!img_ctx_device_gone(c, r))
                                img_ctx_fail(c, r, s->offset,
                                             "relecture du disque impossible entre les octets %" PRIu64 " et %" PRIu64
                                             " : %s", s->offset, end - 1, strerror(-r));
                        return;
                }
                release(c, s);
                i = j;
        }
        close_ring(c);
}

static void run_comparer(struct img_ctx *c) {
        const EVP_MD *sha256 = EVP_sha256();
        struct img_slot *s;

        while (!img_ctx_check_stop(c, false) && (s = claim(c, VSTAGE_COMPARE))) {
                const uint8_t *data = slot_data(c, s);
                for (size_t i = s->chunk_first; i < s->chunk_first + s->chunk_count; i++) {
                        const struct img_chunk *k = &c->chunks[i];
                        uint8_t got[32];
                        if (EVP_Digest(data + (k->offset - s->offset), k->len, got, NULL, sha256, NULL) != 1) {
                                img_ctx_fail(c, -ENOMEM, k->offset, "calcul SHA-256 impossible (OpenSSL)");
                                return;
                        }
                        if (memcmp(got, k->sha256, sizeof(got)) != 0) {
                                const struct img_bmap_range *rg = &c->bmap->ranges[k->range];
                                img_ctx_fail(c, -EIO, k->offset,
                                             "relecture : les %" PRIu32 " octets à partir de l'octet %" PRIu64
                                             " (plage de blocs %" PRIu64 "-%" PRIu64 ", ligne %u du bmap) diffèrent "
                                             "de ce qui a été écrit",
                                             k->len, k->offset, rg->first, rg->last, rg->line);
                                return;
                        }
                        pthread_mutex_lock(&c->lock);
                        c->chunks_checked++;
                        pthread_mutex_unlock(&c->lock);
                        atomic_fetch_add(&c->progress->bytes_verified, (uint64_t) k->len);
                }
                release(c, s);
        }
}

/* ---- Threads ---- */

struct worker {
        struct img_ctx *c;
        void (*fn)(struct img_ctx *c);
        pthread_t thread;
        bool started;
};

static void *worker_main(void *arg) {
        struct worker *w = arg;
        struct img_ctx *c = w->c;

        w->fn(c);
        pthread_mutex_lock(&c->lock);
        c->active--;
        /* A worker that leaves early (error) halted the ring; one that
         * leaves at the end wakes the next stage's waiters for the end. */
        pthread_cond_broadcast(&c->changed);
        pthread_cond_signal(&c->done);
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

static void wait_workers(struct img_ctx *c) {
        uint64_t next = rf_now_usec() + TICK_USEC;

        pthread_mutex_lock(&c->lock);
        while (c->active > 0) {
                struct timespec ts = {
                        .tv_sec = (time_t) (next / 1000000),
                        .tv_nsec = (long) (next % 1000000) * 1000,
                };
                (void) pthread_cond_timedwait(&c->done, &c->lock, &ts);
                uint64_t now = rf_now_usec();
                if (now >= next && c->active > 0) {
                        pthread_mutex_unlock(&c->lock);
                        (void) img_ctx_check_stop(c, true);
                        pthread_mutex_lock(&c->lock);
                        next = MAX(next + TICK_USEC, now + TICK_USEC / 2);
                }
        }
        pthread_mutex_unlock(&c->lock);
}

static void reset_ring(struct img_ctx *c, unsigned n_stages) {
        pthread_mutex_lock(&c->lock);
        c->n_stages = n_stages;
        memset(c->next, 0, sizeof(c->next));
        c->closed = false;
        c->active = 0;
        for (size_t i = 0; i < c->n_slots; i++) {
                c->slots[i].stage = 0;
                c->slots[i].busy = false;
                c->slots[i].seq = 0;
        }
        pthread_mutex_unlock(&c->lock);
}

static int run_workers(struct img_ctx *c, void (*const *fns)(struct img_ctx *c), size_t n) {
        struct worker workers[8] = {};
        int r = 0;

        if (n > ELEMENTSOF(workers))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                workers[i] = (struct worker) { .c = c, .fn = fns[i] };
                pthread_mutex_lock(&c->lock);
                c->active++;
                pthread_mutex_unlock(&c->lock);
                int k = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
                if (k != 0) {
                        pthread_mutex_lock(&c->lock);
                        c->active--;
                        pthread_mutex_unlock(&c->lock);
                        r = -k;
                        img_ctx_fail(c, r, 0, "démarrage des fils d'exécution impossible : %s", strerror(k));
                        break;
                }
                workers[i].started = true;
        }
        wait_workers(c);
        for (size_t i = 0; i < n; i++)
                if (workers[i].started)
                        pthread_join(workers[i].thread, NULL);
        return r;
}

int img_pass_write(struct img_ctx *c) {
        void (*fns[8])(struct img_ctx *c) = { run_reader, run_hasher };
        size_t n = 2;

        for (unsigned i = 0; i < c->n_writers && n < ELEMENTSOF(fns); i++)
                fns[n++] = run_writer;
        reset_ring(c, WSTAGE_COUNT);
        return run_workers(c, fns, n);
}

int img_pass_verify(struct img_ctx *c) {
        void (*const fns[])(struct img_ctx *c) = { run_sample_reader, run_comparer };

        reset_ring(c, VSTAGE_COUNT);
        return run_workers(c, fns, ELEMENTSOF(fns));
}
