/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clear by overwrite: set-up, the sequence of phases (write, flush,
 * verification) and the result. The passes themselves are in
 * wipe-overwrite-pipeline.c. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-overwrite-internal.h"
#include "wipe-overwrite.h"

#define DEFAULT_BLOCK_SIZE ((size_t) 4 * 1024 * 1024)
#define MAX_BLOCK_SIZE ((size_t) 256 * 1024 * 1024)
#define DEFAULT_MAX_EXCEPTIONS 1024u
#define DEFAULT_VERIFY_PERCENT 10u
#define MAX_THREADS 64u
#define IO_THREADS 2u

static ssize_t sys_pwrite(void *userdata, int fd, const void *buf, size_t len, uint64_t offset) {
        ssize_t k = pwrite(fd, buf, len, (off_t) offset);
        return k < 0 ? negative_errno() : k;
}

static ssize_t sys_pread(void *userdata, int fd, void *buf, size_t len, uint64_t offset) {
        ssize_t k = pread(fd, buf, len, (off_t) offset);
        return k < 0 ? negative_errno() : k;
}

static int sys_flush(void *userdata, int fd) {
        return fsync(fd) < 0 ? negative_errno() : 0;
}

const struct wipe_io wipe_io_default = {
        .pwrite = sys_pwrite,
        .pread = sys_pread,
        .flush = sys_flush,
        .userdata = NULL,
};

int wipe_overwrite_opts_init(struct wipe_overwrite_opts *opts) {
        if (!opts)
                return -EINVAL;
        /* Start from scratch: callers may pass an uninitialised struct and
         * set cancel/on_progress/... afterwards. */
        *opts = (struct wipe_overwrite_opts) {
                .verify = WIPE_VERIFY_FULL,
                .verify_percent = DEFAULT_VERIFY_PERCENT,
                .block_size = DEFAULT_BLOCK_SIZE,
                .generator_threads = 0,
                .max_exceptions = DEFAULT_MAX_EXCEPTIONS,
        };
        int r = rf_random_bytes(opts->key, sizeof(opts->key));
        if (r < 0)
                return r;
        return rf_random_bytes(opts->iv, sizeof(opts->iv));
}

void wipe_overwrite_result_clear(struct wipe_overwrite_result *r) {
        if (!r)
                return;
        free(r->exceptions);
        *r = (struct wipe_overwrite_result) {};
}

const char *wipe_exception_kind_to_string(enum wipe_exception_kind k) {
        switch (k) {
        case WIPE_EXC_WRITE_ERROR:
                return "write-error";
        case WIPE_EXC_READ_ERROR:
                return "read-error";
        case WIPE_EXC_MISMATCH:
                return "mismatch";
        case WIPE_EXC_FLUSH_ERROR:
                return "flush-error";
        }
        return "unknown";
}

const char *wipe_stop_to_string(enum wipe_stop s) {
        switch (s) {
        case WIPE_STOP_NONE:
                return "none";
        case WIPE_STOP_CANCELLED:
                return "cancelled";
        case WIPE_STOP_REMOVED:
                return "removed";
        case WIPE_STOP_TOO_MANY_ERRORS:
                return "too-many-errors";
        }
        return "unknown";
}

static unsigned default_threads(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n < 1 ? 1 : (unsigned) MIN(n, 4L);
}

static int check_opts(uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts) {
        if (size == 0)
                return -ENOMEDIUM;
        /* Power of two; at least 512 keeps every sector offset a multiple
         * of the 16-byte cipher block. */
        if (sector_size < 512 || sector_size > 64 * 1024 || (sector_size & (sector_size - 1)) != 0)
                return -EINVAL;
        size_t bs = opts->block_size ? opts->block_size : DEFAULT_BLOCK_SIZE;
        if (bs < sector_size || bs % sector_size != 0 || bs > MAX_BLOCK_SIZE)
                return -EINVAL;
        switch (opts->verify) {
        case WIPE_VERIFY_FULL:
        case WIPE_VERIFY_NONE:
                break;
        case WIPE_VERIFY_SAMPLE:
                if (opts->verify_percent < 1 || opts->verify_percent > 100)
                        return -EINVAL;
                break;
        default:
                return -EINVAL;
        }
        if (opts->generator_threads > MAX_THREADS)
                return -EINVAL;
        return 0;
}

static void run_done(struct wipe_run *run) {
        for (size_t i = 0; run->slots && i < run->n_slots; i++)
                free(run->slots[i].buf);
        free(run->slots);
        free(run->exceptions);
        wipe_sampler_free(run->sampler);
        if (run->sync_initialized) {
                pthread_cond_destroy(&run->done);
                pthread_cond_destroy(&run->slot_ready);
                pthread_cond_destroy(&run->slot_free);
                pthread_mutex_destroy(&run->lock);
        }
}

static int run_init(struct wipe_run *run) {
        pthread_condattr_t attr;

        /* None of these can fail with glibc (no resources behind them);
         * should one fail anyway, the run does not start. */
        if (pthread_condattr_init(&attr) != 0)
                return -ENOMEM;
        /* The waits for the 250 ms progress tick use CLOCK_MONOTONIC. */
        int k = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (k == 0 && (pthread_mutex_init(&run->lock, NULL) != 0 || pthread_cond_init(&run->done, &attr) != 0 ||
                       pthread_cond_init(&run->slot_free, NULL) != 0 || pthread_cond_init(&run->slot_ready, NULL) != 0))
                k = ENOMEM;
        pthread_condattr_destroy(&attr);
        if (k != 0)
                return -k;
        run->sync_initialized = true;

        run->slots = calloc(run->n_slots, sizeof(struct wipe_slot));
        if (!run->slots)
                return -ENOMEM;
        for (size_t i = 0; i < run->n_slots; i++) {
                void *p = NULL;
                k = posix_memalign(&p, 4096, run->block_size);
                if (k != 0)
                        return -k;
                run->slots[i].buf = p;
        }
        return 0;
}

static void sysfs_baseline(struct wipe_run *run) {
        const char *dir = run->opts->sysfs_dir;
        _cleanup_free_ char *path = NULL, *value = NULL;

        if (!dir)
                return;
        if (asprintf(&path, "%s/size", dir) < 0)
                return;
        run->sysfs_watch = rf_read_line(path, &value) == 0;
        free(path);
        path = NULL;
        free(value);
        value = NULL;
        if (asprintf(&path, "%s/loop/autoclear", dir) < 0)
                return;
        run->autoclear_watch = rf_read_line(path, &value) == 0 && strcmp(value, "0") == 0;
}

static int sample_total(struct wipe_run *run, uint64_t *ret) {
        uint64_t n_units = (run->size + WIPE_SAMPLE_UNIT - 1) / WIPE_SAMPLE_UNIT, total = 0;

        for (uint64_t u = 0; u < n_units; u++) {
                int r = wipe_run_unit_selected(run, u);
                if (r < 0)
                        return r;
                if (r > 0)
                        total += MIN(WIPE_SAMPLE_UNIT, run->size - u * WIPE_SAMPLE_UNIT);
        }
        *ret = total;
        return 0;
}

static int exception_cmp(const void *a, const void *b) {
        const struct wipe_exception *x = a, *y = b;

        if (x->offset != y->offset)
                return x->offset < y->offset ? -1 : 1;
        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        return (x->error > y->error) - (x->error < y->error);
}

/* Sort by offset and merge touching ranges of the same kind and errno (the
 * threads record them in any order). */
static size_t normalize_exceptions(struct wipe_exception *e, size_t n) {
        size_t out = 0;

        if (n == 0)
                return 0;
        qsort(e, n, sizeof(*e), exception_cmp);
        for (size_t i = 0; i < n; i++) {
                bool merged = false;
                for (size_t j = out; j > 0; j--) {
                        struct wipe_exception *p = &e[j - 1];
                        if (p->offset + p->length < e[i].offset)
                                break;
                        if (p->kind == e[i].kind && p->error == e[i].error) {
                                p->length = MAX(p->offset + p->length, e[i].offset + e[i].length) - p->offset;
                                merged = true;
                                break;
                        }
                }
                if (!merged)
                        e[out++] = e[i];
        }
        return out;
}

static double seconds_since(uint64_t t0) {
        return (double) (rf_now_usec() - t0) / 1e6;
}

static int run_phases(struct wipe_run *run, bool write, struct wipe_overwrite_result *result) {
        struct wipe_progress *p = run->progress;
        const struct wipe_overwrite_opts *opts = run->opts;

        atomic_store(&p->phase, WIPE_PHASE_WRITE);
        uint64_t t0 = rf_now_usec();
        if (write && !wipe_run_check_stop(run, true)) {
                int r = wipe_run_pass(run, WIPE_PASS_WRITE);
                if (r < 0)
                        return r;
        }
        if (write && !wipe_run_check_stop(run, true)) {
                atomic_store(&p->phase, WIPE_PHASE_FLUSH);
                int r = run->io->flush(run->io->userdata, run->fd);
                if (r == 0)
                        result->flushed = true;
                else if (wipe_run_device_gone(run, r))
                        wipe_run_request_stop(run, WIPE_STOP_REMOVED);
                else
                        wipe_run_add_exception(run, WIPE_EXC_FLUSH_ERROR, 0, run->size, -r);
        }
        if (write)
                result->write_seconds = seconds_since(t0);

        if (opts->verify != WIPE_VERIFY_NONE && !wipe_run_check_stop(run, true)) {
                atomic_store(&p->phase, WIPE_PHASE_VERIFY);
                uint64_t t1 = rf_now_usec();
                int r = wipe_run_pass(run, WIPE_PASS_VERIFY);
                if (r < 0)
                        return r;
                result->verify_seconds = seconds_since(t1);
        }
        if (atomic_load(&run->fatal) < 0)
                return atomic_load(&run->fatal);

        atomic_store(&p->phase, WIPE_PHASE_DONE);
        if (opts->on_progress)
                opts->on_progress(p, opts->userdata);
        return 0;
}

static int run_ex(int fd, uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts,
                  const struct wipe_io *io, bool write, struct wipe_progress *progress,
                  struct wipe_overwrite_result *result) {
        struct wipe_progress local_progress = {};
        struct wipe_run run = {};

        if (fd < 0 || !opts || !result)
                return -EINVAL;
        int r = check_opts(size, sector_size, opts);
        if (r < 0)
                return r;
        if (!write && opts->verify == WIPE_VERIFY_NONE)
                return -EINVAL;

        double cpu0 = wipe_thread_cpu_seconds();
        *result = (struct wipe_overwrite_result) { .size = size };
        if (!progress)
                progress = &local_progress;
        atomic_store(&progress->phase, WIPE_PHASE_WRITE);
        atomic_store(&progress->bytes_written, 0);
        atomic_store(&progress->bytes_verified, 0);
        atomic_store(&progress->verify_total, 0);
        atomic_store(&progress->n_exceptions, 0);

        run.fd = fd;
        run.size = size;
        run.sector_size = sector_size;
        run.block_size = opts->block_size ? opts->block_size : DEFAULT_BLOCK_SIZE;
        if (run.block_size > size) /* small device: no need for big buffers */
                run.block_size = (size_t) ((size + sector_size - 1) / sector_size * sector_size);
        run.n_threads = opts->generator_threads ? opts->generator_threads : default_threads();
        run.max_exceptions = opts->max_exceptions ? opts->max_exceptions : DEFAULT_MAX_EXCEPTIONS;
        run.opts = opts;
        run.io = io ? io : &wipe_io_default;
        run.progress = progress;
        /* Two I/O threads keep a second request queued while one
         * completes (dd has one): measured on a loop device, one writer
         * reached ~0.85x of dd, two ~1.05x (see bench/erase-vs-dd.sh).
         * The device still sees one sequential stream. */
        run.n_io = IO_THREADS;
        /* Each thread holds one slot, plus as many again queued to ride
         * out jitter on either side. */
        run.n_slots = 2 * ((size_t) run.n_threads + run.n_io);
        atomic_init(&run.stop, WIPE_STOP_NONE);
        atomic_init(&run.fatal, 0);

        r = run_init(&run);
        if (r < 0) {
                run_done(&run);
                return r;
        }
        sysfs_baseline(&run);

        uint64_t verify_total = 0;
        if (opts->verify == WIPE_VERIFY_FULL)
                verify_total = size;
        else if (opts->verify == WIPE_VERIFY_SAMPLE) {
                r = wipe_sampler_new(opts->key, &run.sampler);
                if (r >= 0)
                        r = sample_total(&run, &verify_total);
                if (r < 0) {
                        run_done(&run);
                        return r;
                }
        }
        atomic_store(&progress->verify_total, verify_total);

        r = run_phases(&run, write, result);
        if (r < 0) {
                run_done(&run);
                *result = (struct wipe_overwrite_result) {};
                return r;
        }

        result->stop = (enum wipe_stop) atomic_load(&run.stop);
        result->bytes_written = atomic_load(&progress->bytes_written);
        result->bytes_verified = atomic_load(&progress->bytes_verified);
        if (opts->verify == WIPE_VERIFY_FULL)
                result->verify_percent_effective = 100;
        else if (opts->verify == WIPE_VERIFY_SAMPLE)
                result->verify_percent_effective = (unsigned) MAX((uint64_t) 1, (verify_total * 100 + size / 2) / size);
        result->n_exceptions = normalize_exceptions(run.exceptions, run.n_exceptions);
        result->exceptions = result->n_exceptions > 0 ? TAKE_PTR(run.exceptions) : NULL;
        atomic_store(&progress->n_exceptions, (unsigned) result->n_exceptions);
        result->cpu_seconds = run.cpu_seconds + (wipe_thread_cpu_seconds() - cpu0);
        run_done(&run);
        return 0;
}

int wipe_overwrite_run_io(int fd, uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts,
                          const struct wipe_io *io, struct wipe_progress *progress,
                          struct wipe_overwrite_result *result) {
        return run_ex(fd, size, sector_size, opts, io, true, progress, result);
}

int wipe_overwrite_verify_io(int fd, uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts,
                             const struct wipe_io *io, struct wipe_progress *progress,
                             struct wipe_overwrite_result *result) {
        return run_ex(fd, size, sector_size, opts, io, false, progress, result);
}

int wipe_overwrite_run(int fd, uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts,
                       struct wipe_progress *progress, struct wipe_overwrite_result *result) {
        return run_ex(fd, size, sector_size, opts, NULL, true, progress, result);
}
