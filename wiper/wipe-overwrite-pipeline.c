/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pipelined passes of the overwrite engine.
 *
 * A ring of aligned buffers; chunk number i of a pass lives in slot
 * i % n_slots. Producers claim chunks in order (the next one as soon as its
 * slot is free), consumers take them in order once ready:
 *   write pass:  N generator threads fill keystream -> writer threads pwrite()
 *   verify pass: reader threads pread() -> N comparator threads
 * so generation/comparison overlaps I/O, and the device sees one sequential
 * stream with two requests in flight (two I/O threads). Threads block on two
 * condition variables (slot free / chunk ready) and wake each other one at
 * a time; the calling thread waits for them with a 250 ms timeout to report
 * progress and look for removal.
 *
 * A failing I/O does not stop the pass: the chunk is redone in 64 KiB
 * pieces, failing pieces sector by sector, and each failing sector becomes
 * an exception (adjacent ones are merged), unless the device is gone. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-keystream.h"
#include "wipe-overwrite-internal.h"

#define NARROW_PIECE ((size_t) 64 * 1024)
#define TICK_USEC ((uint64_t) 250 * 1000)

enum worker_role {
        ROLE_GENERATE,
        ROLE_WRITE,
        ROLE_READ,
        ROLE_COMPARE,
};

struct worker {
        struct wipe_run *run;
        enum worker_role role;
        struct wipe_keystream *ks; /* NULL for the writer */
        pthread_t thread;
        bool started;
};

double wipe_thread_cpu_seconds(void) {
        struct rusage ru;

        if (getrusage(RUSAGE_THREAD, &ru) < 0)
                return 0.0;
        return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 + (double) ru.ru_stime.tv_sec +
               (double) ru.ru_stime.tv_usec / 1e6;
}

static bool stopping(struct wipe_run *run) {
        return atomic_load(&run->stop) != WIPE_STOP_NONE || atomic_load(&run->fatal) < 0;
}

static void halt(struct wipe_run *run) {
        pthread_mutex_lock(&run->lock);
        run->halt = true;
        pthread_cond_broadcast(&run->slot_free);
        pthread_cond_broadcast(&run->slot_ready);
        pthread_mutex_unlock(&run->lock);
}

void wipe_run_request_stop(struct wipe_run *run, enum wipe_stop why) {
        int expected = WIPE_STOP_NONE;

        atomic_compare_exchange_strong(&run->stop, &expected, (int) why);
        halt(run);
}

static void set_fatal(struct wipe_run *run, int error) {
        int expected = 0;

        atomic_compare_exchange_strong(&run->fatal, &expected, error < 0 ? error : -EIO);
        halt(run);
}

static int read_attr(const char *dir, const char *attr, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, attr) < 0)
                return -ENOMEM;
        return rf_read_line(path, ret);
}

static bool sysfs_gone(struct wipe_run *run) {
        const char *dir = run->opts->sysfs_dir;

        if (!dir || !run->sysfs_watch)
                return false;

        _cleanup_free_ char *size = NULL;
        int r = read_attr(dir, "size", &size);
        if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
                return true; /* the device's sysfs directory went away */
        if (r == 0 && strcmp(size, "0") == 0)
                return true; /* medium gone */
        if (run->autoclear_watch) {
                /* "losetup -d" on an open loop device only schedules the
                 * detach for the last close, by setting autoclear. */
                _cleanup_free_ char *autoclear = NULL;
                if (read_attr(dir, "loop/autoclear", &autoclear) == 0 && strcmp(autoclear, "1") == 0)
                        return true;
        }
        return false;
}

bool wipe_run_device_gone(struct wipe_run *run, int error) {
        if (error == -ENODEV || error == -ENXIO || error == -ENOMEDIUM)
                return true;
        return sysfs_gone(run);
}

bool wipe_run_check_stop(struct wipe_run *run, bool poll_sysfs) {
        if (stopping(run))
                return true;
        if (run->opts->cancel && atomic_load(run->opts->cancel)) {
                wipe_run_request_stop(run, WIPE_STOP_CANCELLED);
                return true;
        }
        if ((run->opts->removed && atomic_load(run->opts->removed)) || (poll_sysfs && sysfs_gone(run))) {
                wipe_run_request_stop(run, WIPE_STOP_REMOVED);
                return true;
        }
        return false;
}

int wipe_run_unit_selected(struct wipe_run *run, uint64_t unit) {
        uint64_t n_units = (run->size + WIPE_SAMPLE_UNIT - 1) / WIPE_SAMPLE_UNIT;

        return wipe_sampler_selected(run->sampler, unit, n_units, run->opts->verify_percent);
}

static int plan_unit_selected(struct wipe_run *run, uint64_t unit) {
        if (run->plan_unit_sel < 0 || run->plan_unit != unit) {
                int r = wipe_run_unit_selected(run, unit);
                if (r < 0)
                        return r;
                run->plan_unit = unit;
                run->plan_unit_sel = r;
        }
        return run->plan_unit_sel;
}

/* Next byte range of the pass. Called with the lock held. 1: got one,
 * 0: the pass is planned completely, <0: error. */
static int plan_next(struct wipe_run *run, uint64_t *ret_offset, size_t *ret_len) {
        if (run->pass == WIPE_PASS_WRITE || run->opts->verify != WIPE_VERIFY_SAMPLE) {
                if (run->plan_pos >= run->size)
                        return 0;
                *ret_offset = run->plan_pos;
                *ret_len = (size_t) MIN((uint64_t) run->block_size, run->size - run->plan_pos);
                run->plan_pos += *ret_len;
                return 1;
        }

        /* Sampled: runs of consecutive selected units, at most a block. */
        while (run->plan_pos < run->size) {
                int r = plan_unit_selected(run, run->plan_pos / WIPE_SAMPLE_UNIT);
                if (r < 0)
                        return r;
                if (r == 0) {
                        run->plan_pos = (run->plan_pos / WIPE_SAMPLE_UNIT + 1) * WIPE_SAMPLE_UNIT;
                        continue;
                }
                uint64_t start = run->plan_pos, end = start;
                while (end < run->size && end - start < run->block_size) {
                        uint64_t unit = end / WIPE_SAMPLE_UNIT;
                        r = plan_unit_selected(run, unit);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                        end = MIN(MIN((unit + 1) * WIPE_SAMPLE_UNIT, run->size), start + run->block_size);
                }
                run->plan_pos = end;
                *ret_offset = start;
                *ret_len = (size_t) (end - start);
                return 1;
        }
        return 0;
}

static struct wipe_slot *claim_produce(struct wipe_run *run) {
        struct wipe_slot *s = NULL;

        pthread_mutex_lock(&run->lock);
        while (!run->halt && !run->plan_done) {
                struct wipe_slot *c = &run->slots[run->next_produce % run->n_slots];
                if (c->state != WIPE_SLOT_FREE) {
                        pthread_cond_wait(&run->slot_free, &run->lock);
                        continue;
                }
                uint64_t offset = 0;
                size_t len = 0;
                int r = plan_next(run, &offset, &len);
                if (r <= 0) {
                        if (r < 0) {
                                int expected = 0;
                                atomic_compare_exchange_strong(&run->fatal, &expected, r);
                                run->halt = true;
                        }
                        /* Wake everybody: producers leave, consumers leave
                         * once the last chunks are taken. */
                        run->plan_done = true;
                        pthread_cond_broadcast(&run->slot_free);
                        pthread_cond_broadcast(&run->slot_ready);
                        break;
                }
                c->state = WIPE_SLOT_PRODUCING;
                c->chunk = run->next_produce++;
                c->offset = offset;
                c->len = len;
                c->unreadable = 0;
                s = c;
                /* Pass the baton to another producer if there is more. */
                if (run->slots[run->next_produce % run->n_slots].state == WIPE_SLOT_FREE)
                        pthread_cond_signal(&run->slot_free);
                break;
        }
        pthread_mutex_unlock(&run->lock);
        return s;
}

static struct wipe_slot *claim_consume(struct wipe_run *run) {
        struct wipe_slot *s = NULL;

        pthread_mutex_lock(&run->lock);
        for (;;) {
                if (run->halt) {
                        s = NULL;
                        break;
                }
                s = &run->slots[run->next_consume % run->n_slots];
                if (s->state == WIPE_SLOT_READY && s->chunk == run->next_consume) {
                        s->state = WIPE_SLOT_CONSUMING;
                        run->next_consume++;
                        /* Pass the baton: to another consumer if the next
                         * chunk is ready too, to all when nothing is left. */
                        const struct wipe_slot *n = &run->slots[run->next_consume % run->n_slots];
                        if (run->plan_done && run->next_consume == run->next_produce)
                                pthread_cond_broadcast(&run->slot_ready);
                        else if (n->state == WIPE_SLOT_READY && n->chunk == run->next_consume)
                                pthread_cond_signal(&run->slot_ready);
                        break;
                }
                if (run->plan_done && run->next_consume == run->next_produce) {
                        s = NULL;
                        break;
                }
                pthread_cond_wait(&run->slot_ready, &run->lock);
        }
        pthread_mutex_unlock(&run->lock);
        return s;
}

/* Signal, not broadcast: one waiter of the other side is enough (it passes
 * the baton on), and waking them all costs context switches on the CPUs the
 * I/O thread needs. */
static void release(struct wipe_run *run, struct wipe_slot *s, enum wipe_slot_state state) {
        pthread_mutex_lock(&run->lock);
        s->state = state;
        pthread_cond_signal(state == WIPE_SLOT_READY ? &run->slot_ready : &run->slot_free);
        pthread_mutex_unlock(&run->lock);
}

void wipe_run_add_exception(struct wipe_run *run, enum wipe_exception_kind kind, uint64_t offset, uint64_t length,
                            int error) {
        bool full = false, oom = false;

        pthread_mutex_lock(&run->lock);
        for (size_t i = 0; i < run->n_exceptions; i++) {
                struct wipe_exception *e = &run->exceptions[i];
                if (e->kind != kind || e->error != error || offset > e->offset + e->length ||
                    e->offset > offset + length)
                        continue;
                /* Touches or overlaps: extend. */
                uint64_t end = MAX(e->offset + e->length, offset + length);
                e->offset = MIN(e->offset, offset);
                e->length = end - e->offset;
                pthread_mutex_unlock(&run->lock);
                return;
        }
        if (run->n_exceptions >= run->max_exceptions)
                full = true;
        else {
                if (run->n_exceptions == run->n_allocated) {
                        size_t n = MAX((size_t) 16, run->n_allocated * 2);
                        struct wipe_exception *a = realloc(run->exceptions, n * sizeof(*a));
                        if (a) {
                                run->exceptions = a;
                                run->n_allocated = n;
                        } else
                                oom = true;
                }
                if (!oom) {
                        run->exceptions[run->n_exceptions++] = (struct wipe_exception) {
                                .kind = kind,
                                .offset = offset,
                                .length = length,
                                .error = error,
                        };
                        atomic_store(&run->progress->n_exceptions, (unsigned) run->n_exceptions);
                }
        }
        pthread_mutex_unlock(&run->lock);
        if (oom)
                set_fatal(run, -ENOMEM);
        else if (full)
                wipe_run_request_stop(run, WIPE_STOP_TOO_MANY_ERRORS);
}

/* Whole transfer, retrying on EINTR and short transfers. */
static int io_full(struct wipe_run *run, bool write, uint8_t *buf, size_t len, uint64_t offset) {
        while (len > 0) {
                ssize_t k = write ? run->io->pwrite(run->io->userdata, run->fd, buf, len, offset)
                                  : run->io->pread(run->io->userdata, run->fd, buf, len, offset);
                if (k == -EINTR)
                        continue;
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        /* Nothing more: the device ended early (shrunk, medium changed). */
                        return write ? -ENOSPC : -ENXIO;
                if ((size_t) k > len)
                        return -EIO;
                buf += k;
                len -= (size_t) k;
                offset += (uint64_t) k;
        }
        return 0;
}

static void account(struct wipe_run *run, bool write, size_t n) {
        if (write)
                atomic_fetch_add(&run->progress->bytes_written, (uint64_t) n);
}

/* The chunk in s failed as a whole (error r): redo it in pieces, then
 * sectors, and record the sectors that still fail. For reads, unreadable
 * sectors get the expected pattern in the buffer so that the comparison does
 * not report them a second time, and are counted in s->unreadable. */
static void narrow(struct worker *w, struct wipe_slot *s, bool write, int r) {
        struct wipe_run *run = w->run;
        enum wipe_exception_kind kind = write ? WIPE_EXC_WRITE_ERROR : WIPE_EXC_READ_ERROR;

        if (wipe_run_device_gone(run, r)) {
                wipe_run_request_stop(run, WIPE_STOP_REMOVED);
                return;
        }
        for (size_t p = 0; p < s->len; p += NARROW_PIECE) {
                size_t plen = MIN(NARROW_PIECE, s->len - p);

                if (wipe_run_check_stop(run, false))
                        return;
                r = io_full(run, write, s->buf + p, plen, s->offset + p);
                if (r == 0) {
                        account(run, write, plen);
                        continue;
                }
                if (wipe_run_device_gone(run, r)) {
                        wipe_run_request_stop(run, WIPE_STOP_REMOVED);
                        return;
                }
                for (size_t q = p; q < p + plen; q += run->sector_size) {
                        size_t qlen = MIN((size_t) run->sector_size, p + plen - q);

                        if (wipe_run_check_stop(run, false))
                                return;
                        r = io_full(run, write, s->buf + q, qlen, s->offset + q);
                        if (r == 0) {
                                account(run, write, qlen);
                                continue;
                        }
                        if (wipe_run_device_gone(run, r)) {
                                wipe_run_request_stop(run, WIPE_STOP_REMOVED);
                                return;
                        }
                        if (!write) {
                                int k = wipe_keystream_fill(w->ks, s->offset + q, s->buf + q, qlen);
                                if (k < 0) {
                                        set_fatal(run, k);
                                        return;
                                }
                                s->unreadable += qlen;
                        }
                        wipe_run_add_exception(run, kind, s->offset + q, qlen, -r);
                }
        }
}

/* Compare a chunk; mismatches are narrowed to runs of whole sectors.
 * Returns false when it stopped before the end (stop, error). */
static bool compare_chunk(struct worker *w, struct wipe_slot *s) {
        struct wipe_run *run = w->run;
        size_t ss = run->sector_size, pos = 0, m = 0;

        while (pos < s->len) {
                int r = wipe_keystream_compare(w->ks, s->offset + pos, s->buf + pos, s->len - pos, &m);
                if (r < 0) {
                        set_fatal(run, r);
                        return false;
                }
                if (r == 0)
                        return true;
                size_t bad = pos + m;
                size_t start = bad - (size_t) ((s->offset + bad) % ss);
                size_t end = MIN(start + ss, s->len);
                while (end < s->len) {
                        size_t n = MIN(ss, s->len - end);
                        r = wipe_keystream_compare(w->ks, s->offset + end, s->buf + end, n, &m);
                        if (r < 0) {
                                set_fatal(run, r);
                                return false;
                        }
                        if (r == 0)
                                break;
                        end += n;
                }
                wipe_run_add_exception(run, WIPE_EXC_MISMATCH, s->offset + start, end - start, 0);
                pos = end;
                if (pos < s->len && stopping(run))
                        return false;
        }
        return true;
}

static void run_generator(struct worker *w) {
        struct wipe_run *run = w->run;
        struct wipe_slot *s;

        while (!wipe_run_check_stop(run, false) && (s = claim_produce(run))) {
                int r = wipe_keystream_fill(w->ks, s->offset, s->buf, s->len);
                if (r < 0) {
                        set_fatal(run, r);
                        release(run, s, WIPE_SLOT_FREE);
                        return;
                }
                release(run, s, WIPE_SLOT_READY);
        }
}

static void run_writer(struct worker *w) {
        struct wipe_run *run = w->run;
        struct wipe_slot *s;

        while (!wipe_run_check_stop(run, false) && (s = claim_consume(run))) {
                int r = io_full(run, true, s->buf, s->len, s->offset);
                if (r == 0)
                        account(run, true, s->len);
                else
                        narrow(w, s, true, r);
                release(run, s, WIPE_SLOT_FREE);
        }
}

static void run_reader(struct worker *w) {
        struct wipe_run *run = w->run;
        struct wipe_slot *s;

        while (!wipe_run_check_stop(run, false) && (s = claim_produce(run))) {
                int r = io_full(run, false, s->buf, s->len, s->offset);
                if (r < 0)
                        narrow(w, s, false, r);
                release(run, s, stopping(run) ? WIPE_SLOT_FREE : WIPE_SLOT_READY);
        }
}

static void run_comparator(struct worker *w) {
        struct wipe_run *run = w->run;
        struct wipe_slot *s;

        while (!wipe_run_check_stop(run, false) && (s = claim_consume(run))) {
                /* Only whole chunks count as verified. */
                if (compare_chunk(w, s))
                        atomic_fetch_add(&run->progress->bytes_verified, (uint64_t) (s->len - s->unreadable));
                release(run, s, WIPE_SLOT_FREE);
        }
}

static void *worker_main(void *arg) {
        struct worker *w = arg;
        struct wipe_run *run = w->run;

        switch (w->role) {
        case ROLE_GENERATE:
                run_generator(w);
                break;
        case ROLE_WRITE:
                run_writer(w);
                break;
        case ROLE_READ:
                run_reader(w);
                break;
        case ROLE_COMPARE:
                run_comparator(w);
                break;
        }

        double cpu = wipe_thread_cpu_seconds();
        pthread_mutex_lock(&run->lock);
        run->cpu_seconds += cpu;
        run->active_workers--;
        pthread_cond_signal(&run->done);
        pthread_mutex_unlock(&run->lock);
        return NULL;
}

static void tick(struct wipe_run *run) {
        (void) wipe_run_check_stop(run, true);
        if (run->opts->on_progress)
                run->opts->on_progress(run->progress, run->opts->userdata);
}

static void wait_workers(struct wipe_run *run) {
        uint64_t next = rf_now_usec() + TICK_USEC;

        pthread_mutex_lock(&run->lock);
        while (run->active_workers > 0) {
                struct timespec ts = {
                        .tv_sec = (time_t) (next / 1000000),
                        .tv_nsec = (long) (next % 1000000) * 1000,
                };
                (void) pthread_cond_timedwait(&run->done, &run->lock, &ts);
                uint64_t now = rf_now_usec();
                if (now >= next && run->active_workers > 0) {
                        pthread_mutex_unlock(&run->lock);
                        tick(run);
                        pthread_mutex_lock(&run->lock);
                        next = MAX(next + TICK_USEC, now + TICK_USEC / 2);
                }
        }
        pthread_mutex_unlock(&run->lock);
}

static void reset_ring(struct wipe_run *run, enum wipe_pass pass) {
        pthread_mutex_lock(&run->lock);
        run->pass = pass;
        run->next_produce = run->next_consume = 0;
        run->plan_pos = 0;
        run->plan_unit_sel = -1;
        run->plan_done = false;
        run->halt = stopping(run);
        run->active_workers = 0;
        for (size_t i = 0; i < run->n_slots; i++)
                run->slots[i].state = WIPE_SLOT_FREE;
        pthread_mutex_unlock(&run->lock);
}

int wipe_run_pass(struct wipe_run *run, enum wipe_pass pass) {
        size_t n = (size_t) run->n_threads + run->n_io;
        int r = 0;

        _cleanup_free_ struct worker *workers = calloc(n, sizeof(struct worker));
        if (!workers)
                return -ENOMEM;
        reset_ring(run, pass);

        for (size_t i = 0; i < n; i++) {
                struct worker *w = &workers[i];
                w->run = run;
                bool io = i < run->n_io;
                if (pass == WIPE_PASS_WRITE)
                        w->role = io ? ROLE_WRITE : ROLE_GENERATE;
                else
                        w->role = io ? ROLE_READ : ROLE_COMPARE;
                if (w->role != ROLE_WRITE) {
                        r = wipe_keystream_new(run->opts->key, run->opts->iv, &w->ks);
                        if (r < 0)
                                break;
                }
                pthread_mutex_lock(&run->lock);
                run->active_workers++;
                pthread_mutex_unlock(&run->lock);
                int k = pthread_create(&w->thread, NULL, worker_main, w);
                if (k != 0) {
                        pthread_mutex_lock(&run->lock);
                        run->active_workers--;
                        pthread_mutex_unlock(&run->lock);
                        r = -k;
                        break;
                }
                w->started = true;
        }
        if (r < 0)
                halt(run);

        wait_workers(run);

        for (size_t i = 0; i < n; i++) {
                if (workers[i].started)
                        pthread_join(workers[i].thread, NULL);
                wipe_keystream_free(workers[i].ks);
        }
        return r;
}
