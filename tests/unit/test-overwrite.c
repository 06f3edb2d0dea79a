/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-keystream.h"
#include "wipe-overwrite-internal.h"
#include "wipe-overwrite.h"

#define SECTOR 512u
#define OLD_BYTE 0xa5

/* ---- A temporary "device": a regular file filled with OLD_BYTE ---- */

struct tmpdev {
        char path[256];
        int fd;
        uint64_t size;
};

static void tmpdev_open(struct tmpdev *d, uint64_t size) {
        const char *dir = getenv("TMPDIR") ?: "/tmp";
        snprintf(d->path, sizeof(d->path), "%s/test-overwrite-XXXXXX", dir);
        d->fd = mkostemp(d->path, O_CLOEXEC);
        assert_true(d->fd >= 0);
        d->size = size;
        _cleanup_free_ uint8_t *buf = malloc(MiB);
        assert_non_null(buf);
        memset(buf, OLD_BYTE, MiB);
        for (uint64_t off = 0; off < size; off += MiB) {
                size_t n = (size_t) MIN(MiB, size - off);
                assert_int_equal(pwrite(d->fd, buf, n, (off_t) off), (ssize_t) n);
        }
}

static void tmpdev_close(struct tmpdev *d) {
        close(d->fd);
        unlink(d->path);
}

/* The whole file equals the keystream, except the given ranges which still
 * hold OLD_BYTE. */
static void assert_content(const struct tmpdev *d, const struct wipe_overwrite_opts *o,
                           const struct wipe_exception *holes, size_t n_holes) {
        _cleanup_wipe_keystream_ struct wipe_keystream *ks = NULL;
        _cleanup_free_ uint8_t *got = malloc(d->size), *want = malloc(d->size);

        assert_non_null(got);
        assert_non_null(want);
        assert_int_equal(wipe_keystream_new(o->key, o->iv, &ks), 0);
        assert_int_equal(wipe_keystream_fill(ks, 0, want, d->size), 0);
        for (size_t i = 0; i < n_holes; i++)
                memset(want + holes[i].offset, OLD_BYTE, holes[i].length);
        assert_int_equal(pread(d->fd, got, d->size, 0), (ssize_t) d->size);
        assert_memory_equal(got, want, d->size);
}

/* ---- Fault-injecting I/O backend ---- */

enum fault_kind {
        FAULT_WRITE_ERROR, /* pwrite touching the range fails with error */
        FAULT_READ_ERROR,  /* pread touching the range fails with error */
        FAULT_CORRUPT,     /* pread returns the range with every byte flipped */
};

struct fault {
        enum fault_kind kind;
        uint64_t offset, length;
        int error;
};

struct hooks {
        int fd;
        struct fault faults[8];
        size_t n_faults;
        size_t max_chunk;               /* >0: short transfers of at most this */
        int flush_error;                /* negative errno for flush() */
        /* Once trigger_after bytes were written: set *cancel, or "unplug"
         * by writing "1" into autoclear_path; then hold every write until
         * the engine's timer ran once more, so that it is the periodic
         * sysfs poll that notices. */
        uint64_t trigger_after;
        atomic_bool *cancel;
        const char *autoclear_path;
        const char *size_path;          /* write "0" there when a write fault is hit */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        uint64_t written;
        bool triggered, ticked_after;
        unsigned progress_calls;
        uint64_t writes_after_stop;     /* bytes of writes started after the trigger */
};

static bool touches(const struct fault *f, uint64_t offset, size_t len) {
        return offset < f->offset + f->length && f->offset < offset + len;
}

static const struct fault *find_fault(struct hooks *h, enum fault_kind kind, uint64_t offset, size_t len) {
        for (size_t i = 0; i < h->n_faults; i++)
                if (h->faults[i].kind == kind && touches(&h->faults[i], offset, len))
                        return &h->faults[i];
        return NULL;
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        if (!f)
                return;
        fputs(text, f);
        fclose(f);
}

/* Called with h->lock held. */
static void before_write(struct hooks *h, size_t len) {
        if (h->triggered) {
                while (h->autoclear_path && !h->ticked_after)
                        pthread_cond_wait(&h->cond, &h->lock);
                h->writes_after_stop += len;
                return;
        }
        h->written += len;
        if (h->written < h->trigger_after)
                return;
        h->triggered = true;
        if (h->cancel)
                atomic_store(h->cancel, true);
        if (h->autoclear_path) {
                write_file(h->autoclear_path, "1\n");
                while (!h->ticked_after)
                        pthread_cond_wait(&h->cond, &h->lock);
        }
}

static ssize_t hook_pwrite(void *userdata, int fd, const void *buf, size_t len, uint64_t offset) {
        struct hooks *h = userdata;
        const struct fault *f = find_fault(h, FAULT_WRITE_ERROR, offset, len);

        if (f) {
                if (h->size_path)
                        write_file(h->size_path, "0\n");
                return -f->error;
        }
        if (h->max_chunk)
                len = MIN(len, h->max_chunk);
        if (h->trigger_after) {
                pthread_mutex_lock(&h->lock);
                before_write(h, len);
                pthread_mutex_unlock(&h->lock);
        }
        ssize_t k = pwrite(fd, buf, len, (off_t) offset);
        return k < 0 ? -errno : k;
}

static ssize_t hook_pread(void *userdata, int fd, void *buf, size_t len, uint64_t offset) {
        struct hooks *h = userdata;
        const struct fault *f = find_fault(h, FAULT_READ_ERROR, offset, len);

        if (f)
                return -f->error;
        if (h->max_chunk)
                len = MIN(len, h->max_chunk);
        ssize_t k = pread(fd, buf, len, (off_t) offset);
        if (k < 0)
                return -errno;
        for (size_t i = 0; i < h->n_faults; i++) {
                const struct fault *c = &h->faults[i];
                if (c->kind != FAULT_CORRUPT)
                        continue;
                for (uint64_t b = MAX(c->offset, offset); b < MIN(c->offset + c->length, offset + (uint64_t) k); b++)
                        ((uint8_t *) buf)[b - offset] ^= 0xff;
        }
        return k;
}

static int hook_flush(void *userdata, int fd) {
        struct hooks *h = userdata;

        if (h->flush_error)
                return h->flush_error;
        return fsync(fd) < 0 ? -errno : 0;
}

static void on_progress(const struct wipe_progress *p, void *userdata) {
        struct hooks *h = userdata;

        pthread_mutex_lock(&h->lock);
        h->progress_calls++;
        if (h->triggered)
                h->ticked_after = true;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
}

static void hooks_init(struct hooks *h, int fd) {
        *h = (struct hooks) { .fd = fd };
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->cond, NULL);
}

static void hooks_done(struct hooks *h) {
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->lock);
}

static void opts_for_test(struct wipe_overwrite_opts *o, struct hooks *h) {
        assert_int_equal(wipe_overwrite_opts_init(o), 0);
        o->block_size = MiB;
        o->generator_threads = 2;
        o->on_progress = on_progress;
        o->userdata = h;
}

static int run(struct tmpdev *d, struct wipe_overwrite_opts *o, struct hooks *h, struct wipe_progress *p,
               struct wipe_overwrite_result *res) {
        const struct wipe_io io = {
                .pwrite = hook_pwrite,
                .pread = hook_pread,
                .flush = hook_flush,
                .userdata = h,
        };
        return wipe_overwrite_run_io(d->fd, d->size, SECTOR, o, &io, p, res);
}

static void assert_exception(const struct wipe_exception *e, enum wipe_exception_kind kind, uint64_t offset,
                             uint64_t length, int error) {
        assert_int_equal(e->kind, kind);
        assert_int_equal(e->offset, offset);
        assert_int_equal(e->length, length);
        assert_int_equal(e->error, error);
}

/* ---- Tests ---- */

static void test_opts_init(void **state) {
        struct wipe_overwrite_opts a, b;

        memset(&a, 0xff, sizeof(a)); /* garbage in */
        assert_int_equal(wipe_overwrite_opts_init(&a), 0);
        assert_int_equal(wipe_overwrite_opts_init(&b), 0);
        assert_int_equal(a.verify, WIPE_VERIFY_FULL);
        assert_int_equal(a.block_size, 4 * MiB);
        assert_int_equal(a.max_exceptions, 1024);
        assert_null(a.cancel);
        assert_null(a.on_progress);
        assert_null(a.sysfs_dir);
        assert_memory_not_equal(a.key, b.key, WIPE_KEY_SIZE);
        assert_memory_not_equal(a.iv, b.iv, WIPE_IV_SIZE);
}

static void test_invalid_args(void **state) {
        struct wipe_overwrite_opts o;
        struct wipe_overwrite_result res;

        assert_int_equal(wipe_overwrite_opts_init(&o), 0);
        assert_int_equal(wipe_overwrite_run(-1, MiB, SECTOR, &o, NULL, &res), -EINVAL);
        assert_int_equal(wipe_overwrite_run(0, MiB, 100, &o, NULL, &res), -EINVAL);
        assert_int_equal(wipe_overwrite_run(0, 0, SECTOR, &o, NULL, &res), -ENOMEDIUM);
        o.block_size = 1000;
        assert_int_equal(wipe_overwrite_run(0, MiB, SECTOR, &o, NULL, &res), -EINVAL);
        o.block_size = 0;
        o.verify = WIPE_VERIFY_SAMPLE;
        o.verify_percent = 0;
        assert_int_equal(wipe_overwrite_run(0, MiB, SECTOR, &o, NULL, &res), -EINVAL);
        o.verify_percent = 101;
        assert_int_equal(wipe_overwrite_run(0, MiB, SECTOR, &o, NULL, &res), -EINVAL);
}

static void test_full_run(void **state) {
        /* Not a multiple of the block size nor of 1 MiB. */
        struct tmpdev d;
        tmpdev_open(&d, 9 * MiB + 7 * SECTOR);
        struct hooks h;
        hooks_init(&h, d.fd);
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_null(res.exceptions);
        assert_true(res.flushed);
        assert_int_equal(res.size, d.size);
        assert_int_equal(res.bytes_written, d.size);
        assert_int_equal(res.bytes_verified, d.size);
        assert_int_equal(res.verify_percent_effective, 100);
        assert_true(res.cpu_seconds >= 0.0);
        assert_int_equal(atomic_load(&p.phase), WIPE_PHASE_DONE);
        assert_int_equal(atomic_load(&p.bytes_written), d.size);
        assert_int_equal(atomic_load(&p.bytes_verified), d.size);
        assert_int_equal(atomic_load(&p.verify_total), d.size);
        assert_true(h.progress_calls >= 1); /* at least the final one */
        assert_content(&d, &o, NULL, 0);
        wipe_overwrite_result_clear(&res);

        /* Verification alone, as from a certificate: passes with the key,
         * writes nothing, and finds a change made afterwards. */
        const struct wipe_io io = { .pwrite = hook_pwrite, .pread = hook_pread, .flush = hook_flush, .userdata = &h };
        assert_int_equal(wipe_overwrite_verify_io(d.fd, d.size, SECTOR, &o, &io, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_int_equal(res.bytes_written, 0);
        assert_false(res.flushed);
        assert_int_equal(res.bytes_verified, d.size);
        wipe_overwrite_result_clear(&res);
        uint8_t byte;
        assert_int_equal(pread(d.fd, &byte, 1, 5 * MiB + 1), 1);
        byte ^= 0xff;
        assert_int_equal(pwrite(d.fd, &byte, 1, 5 * MiB + 1), 1);
        assert_int_equal(wipe_overwrite_verify_io(d.fd, d.size, SECTOR, &o, &io, &p, &res), 0);
        assert_int_equal(res.n_exceptions, 1);
        assert_exception(&res.exceptions[0], WIPE_EXC_MISMATCH, 5 * MiB, SECTOR, 0);
        wipe_overwrite_result_clear(&res);
        o.verify = WIPE_VERIFY_NONE;
        assert_int_equal(wipe_overwrite_verify_io(d.fd, d.size, SECTOR, &o, &io, &p, &res), -EINVAL);

        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_short_transfers_and_default_io(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 3 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.max_chunk = 100000; /* not even a multiple of the sector size */
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.generator_threads = 1;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_int_equal(res.bytes_verified, d.size);
        assert_content(&d, &o, NULL, 0);
        wipe_overwrite_result_clear(&res);

        /* The public entry point with the real system calls, default
         * block size and threads. */
        struct wipe_overwrite_opts o2;
        assert_int_equal(wipe_overwrite_opts_init(&o2), 0);
        assert_int_equal(wipe_overwrite_run(d.fd, d.size, SECTOR, &o2, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_int_equal(res.bytes_verified, d.size);
        assert_content(&d, &o2, NULL, 0);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_write_errors_narrowed(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 6 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        /* Three bad ranges: inside a chunk; across the 1 MiB chunk boundary
         * (two failing chunks: one exception); a single last sector. */
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 200 * 1024 + 3 * SECTOR, 3 * SECTOR, EIO };
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 2 * MiB - 2 * SECTOR, 5 * SECTOR, EIO };
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 6 * MiB - SECTOR, SECTOR, EROFS };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_true(res.flushed);
        assert_int_equal(res.bytes_written, d.size - 9 * SECTOR);
        assert_int_equal(res.bytes_verified, d.size);
        /* Each unwritable range is reported as a write error and, as it
         * still holds the old data, as a mismatch, sorted by offset. */
        assert_int_equal(res.n_exceptions, 6);
        assert_int_equal(atomic_load(&p.n_exceptions), 6);
        assert_exception(&res.exceptions[0], WIPE_EXC_WRITE_ERROR, 200 * 1024 + 3 * SECTOR, 3 * SECTOR, EIO);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, 200 * 1024 + 3 * SECTOR, 3 * SECTOR, 0);
        assert_exception(&res.exceptions[2], WIPE_EXC_WRITE_ERROR, 2 * MiB - 2 * SECTOR, 5 * SECTOR, EIO);
        assert_exception(&res.exceptions[3], WIPE_EXC_MISMATCH, 2 * MiB - 2 * SECTOR, 5 * SECTOR, 0);
        assert_exception(&res.exceptions[4], WIPE_EXC_WRITE_ERROR, 6 * MiB - SECTOR, SECTOR, EROFS);
        assert_exception(&res.exceptions[5], WIPE_EXC_MISMATCH, 6 * MiB - SECTOR, SECTOR, 0);
        /* Everything around the bad sectors was written. */
        assert_content(&d, &o, res.exceptions, res.n_exceptions);

        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_read_errors_narrowed(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 4 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.faults[h.n_faults++] = (struct fault) { FAULT_READ_ERROR, MiB + 64 * 1024, 2 * SECTOR, EIO };
        h.faults[h.n_faults++] = (struct fault) { FAULT_READ_ERROR, 3 * MiB + 64 * 1024 - SECTOR, 2 * SECTOR, EIO };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.bytes_written, d.size);
        /* Unreadable bytes are not counted as verified, and are not
         * reported a second time as mismatches. */
        assert_int_equal(res.bytes_verified, d.size - 4 * SECTOR);
        assert_int_equal(res.n_exceptions, 2);
        assert_exception(&res.exceptions[0], WIPE_EXC_READ_ERROR, MiB + 64 * 1024, 2 * SECTOR, EIO);
        /* Spans two 64 KiB pieces: still one range. */
        assert_exception(&res.exceptions[1], WIPE_EXC_READ_ERROR, 3 * MiB + 64 * 1024 - SECTOR, 2 * SECTOR, EIO);
        assert_content(&d, &o, NULL, 0);

        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_mismatch_narrowed(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 5 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        /* One byte; 1000 bytes across a sector boundary; a range across
         * the 1 MiB chunk boundary (compared by two threads). */
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 12345, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 3 * MiB + 700, 1000, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 4 * MiB - 10, 20, 0 };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.bytes_verified, d.size);
        assert_int_equal(res.n_exceptions, 3);
        assert_exception(&res.exceptions[0], WIPE_EXC_MISMATCH, 12288, SECTOR, 0);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, 3 * MiB + SECTOR, 3 * SECTOR, 0);
        assert_exception(&res.exceptions[2], WIPE_EXC_MISMATCH, 4 * MiB - SECTOR, 2 * SECTOR, 0);
        /* The device itself is fine: only the reads were altered. */
        assert_content(&d, &o, NULL, 0);

        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_too_many_errors(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 4 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        for (size_t i = 0; i < 6; i++)
                h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, i * 16 * SECTOR, 1, 0 };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.max_exceptions = 3;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_TOO_MANY_ERRORS);
        assert_int_equal(res.n_exceptions, 3);
        for (size_t i = 0; i < 3; i++)
                assert_exception(&res.exceptions[i], WIPE_EXC_MISMATCH, i * 16 * SECTOR, SECTOR, 0);
        assert_true(res.bytes_verified < d.size);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_flush_error(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 2 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.flush_error = -EIO;
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.verify = WIPE_VERIFY_NONE;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_false(res.flushed);
        assert_int_equal(res.bytes_verified, 0);
        assert_int_equal(res.verify_percent_effective, 0);
        assert_int_equal(res.n_exceptions, 1);
        assert_exception(&res.exceptions[0], WIPE_EXC_FLUSH_ERROR, 0, d.size, EIO);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_cancel(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 32 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        atomic_bool cancel = false;
        h.cancel = &cancel;
        h.trigger_after = 5 * MiB;
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.cancel = &cancel;
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_CANCELLED);
        assert_false(res.flushed);
        assert_int_equal(res.bytes_verified, 0);
        assert_int_equal(res.n_exceptions, 0);
        /* The writers look at the flag before each block: at most the
         * blocks in flight (one per writer thread) complete after the
         * cancellation. */
        assert_true(res.bytes_written >= 5 * MiB);
        assert_true(res.bytes_written <= 7 * MiB);
        assert_true(h.writes_after_stop <= MiB);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_removed_errno(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 4 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 2 * MiB, 4 * MiB, ENODEV };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.n_exceptions, 0); /* no narrowing on a gone device */
        assert_int_equal(res.bytes_written, 2 * MiB);
        assert_false(res.flushed);
        wipe_overwrite_result_clear(&res);

        /* The caller's flag. */
        atomic_bool removed = true;
        o.removed = &removed;
        h.n_faults = 0;
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.bytes_written, 0);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

struct fake_sysfs {
        char dir[256], size[300], loopdir[300], autoclear[300];
};

static void fake_sysfs_make(struct fake_sysfs *s, const char *size, const char *autoclear) {
        const char *tmp = getenv("TMPDIR") ?: "/tmp";
        snprintf(s->dir, sizeof(s->dir), "%s/test-sysfs-XXXXXX", tmp);
        assert_non_null(mkdtemp(s->dir));
        snprintf(s->size, sizeof(s->size), "%s/size", s->dir);
        snprintf(s->loopdir, sizeof(s->loopdir), "%s/loop", s->dir);
        snprintf(s->autoclear, sizeof(s->autoclear), "%s/loop/autoclear", s->dir);
        write_file(s->size, size);
        assert_int_equal(mkdir(s->loopdir, 0755), 0);
        write_file(s->autoclear, autoclear);
}

static void fake_sysfs_remove(struct fake_sysfs *s) {
        unlink(s->autoclear);
        rmdir(s->loopdir);
        unlink(s->size);
        rmdir(s->dir);
}

static void test_removed_loop_detach(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 32 * MiB);
        struct fake_sysfs s;
        fake_sysfs_make(&s, "65536\n", "0\n");
        struct hooks h;
        hooks_init(&h, d.fd);
        h.trigger_after = 3 * MiB;
        h.autoclear_path = s.autoclear; /* "losetup -d" there, then wait for a tick */
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.sysfs_dir = s.dir;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.n_exceptions, 0);
        assert_true(res.bytes_written <= 5 * MiB);
        assert_true(h.writes_after_stop <= MiB);
        wipe_overwrite_result_clear(&res);

        /* A write error while sysfs is fine: an ordinary bad sector. */
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, MiB, SECTOR, EIO };
        h.trigger_after = 0;
        h.autoclear_path = NULL;
        write_file(s.autoclear, "0\n");
        /* A new key, or the sector would hold the pattern of the first run. */
        assert_int_equal(rf_random_bytes(o.key, sizeof(o.key)), 0);
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 2);
        assert_exception(&res.exceptions[0], WIPE_EXC_WRITE_ERROR, MiB, SECTOR, EIO);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, MiB, SECTOR, 0);
        wipe_overwrite_result_clear(&res);

        /* The same error when the device's size has dropped to 0 (medium
         * gone): removed at once, no narrowing. */
        h.size_path = s.size;
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.n_exceptions, 0);
        /* Chunk 0 (claimed before the failing chunk 1) always; the other
         * writer may have gone on meanwhile, within the ring's 8 slots. */
        assert_true(res.bytes_written >= MiB && res.bytes_written <= 9 * MiB);
        wipe_overwrite_result_clear(&res);

        /* Gone before the start. */
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.bytes_written, 0);
        wipe_overwrite_result_clear(&res);

        hooks_done(&h);
        fake_sysfs_remove(&s);
        tmpdev_close(&d);
}

static uint64_t expected_sample_bytes(const uint8_t *key, uint64_t size, unsigned percent) {
        uint64_t n_units = (size + MiB - 1) / MiB, total = 0;

        for (uint64_t u = 0; u < n_units; u++) {
                if (wipe_sample_selected(key, u, n_units, percent))
                        total += MIN(MiB, size - u * MiB);
        }
        return total;
}

static void test_sample_run(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 64 * MiB + 3 * SECTOR); /* partial last unit */
        struct hooks h;
        hooks_init(&h, d.fd);
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.verify = WIPE_VERIFY_SAMPLE;
        o.verify_percent = 10;
        o.block_size = 2 * MiB; /* runs of selected units are grouped */
        /* A middle unit in the sample and one outside. */
        uint64_t in = 0, out = 0;
        for (uint64_t u = 1; u < 64 && (!in || !out); u++) {
                if (wipe_sample_selected(o.key, u, 65, 10))
                        in = in ?: u;
                else
                        out = out ?: u;
        }
        assert_true(in > 0 && out > 0);
        /* A corrupted byte in the first unit, in the last (partial) one,
         * in the selected unit and in the unselected one. */
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 100, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, d.size - 1, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, in * MiB + 5000, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, out * MiB + 5000, 1, 0 };
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        uint64_t want = expected_sample_bytes(o.key, d.size, 10);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.bytes_verified, want);
        assert_int_equal(atomic_load(&p.verify_total), want);
        assert_int_equal(res.verify_percent_effective, (want * 100 + d.size / 2) / d.size);
        assert_true(want < d.size / 2);
        assert_int_equal(res.n_exceptions, 3);
        assert_exception(&res.exceptions[0], WIPE_EXC_MISMATCH, 0, SECTOR, 0);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, in * MiB + 4608, SECTOR, 0);
        assert_exception(&res.exceptions[2], WIPE_EXC_MISMATCH, d.size - SECTOR, SECTOR, 0);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_sample_selection(void **state) {
        uint8_t key[WIPE_KEY_SIZE], key2[WIPE_KEY_SIZE];
        const uint64_t n = 20000;

        /* Fixed keys: the statistical checks below are deterministic. */
        for (size_t i = 0; i < sizeof(key); i++) {
                key[i] = (uint8_t) i;
                key2[i] = (uint8_t) (0xa0 + i);
        }
        _cleanup_(wipe_sampler_freep) struct wipe_sampler *s = NULL;
        assert_int_equal(wipe_sampler_new(key, &s), 0);

        static const unsigned percents[] = { 1, 10, 50 };
        for (size_t i = 0; i < ELEMENTSOF(percents); i++) {
                unsigned pc = percents[i];
                uint64_t count = 0, differ = 0, checked = 0;
                assert_true(wipe_sample_selected(key, 0, n, pc));
                assert_true(wipe_sample_selected(key, n - 1, n, pc));
                for (uint64_t u = 0; u < n; u++) {
                        int r = wipe_sampler_selected(s, u, n, pc);
                        assert_true(r == 0 || r == 1);
                        count += (uint64_t) r;
                        if (u % 97 == 0) {
                                /* The one-shot function agrees, and is
                                 * deterministic. */
                                assert_int_equal(wipe_sample_selected(key, u, n, pc), r == 1);
                                assert_int_equal(wipe_sample_selected(key, u, n, pc), r == 1);
                        }
                        if (u % 10 == 0) {
                                checked++;
                                differ += wipe_sample_selected(key2, u, n, pc) != (r == 1);
                        }
                }
                /* Binomial: within 5 standard deviations of n * p. */
                double pr = pc / 100.0, mean = (double) n * pr, var = mean * (1.0 - pr);
                double dev = (double) count - mean;
                assert_true(dev * dev < 25.0 * var);
                /* Another key picks other units: independent choices
                 * disagree with probability 2p(1-p); ask for half of it. */
                assert_true((double) differ > (double) checked * pr * (1.0 - pr));
        }
        assert_true(wipe_sample_selected(key, 5, n, 100));
        assert_false(wipe_sampler_selected(s, 5, n, 0));
        assert_true(wipe_sample_selected(key, 0, 1, 1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_opts_init),
                cmocka_unit_test(test_invalid_args),
                cmocka_unit_test(test_full_run),
                cmocka_unit_test(test_short_transfers_and_default_io),
                cmocka_unit_test(test_write_errors_narrowed),
                cmocka_unit_test(test_read_errors_narrowed),
                cmocka_unit_test(test_mismatch_narrowed),
                cmocka_unit_test(test_too_many_errors),
                cmocka_unit_test(test_flush_error),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_removed_errno),
                cmocka_unit_test(test_removed_loop_detach),
                cmocka_unit_test(test_sample_run),
                cmocka_unit_test(test_sample_selection),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
