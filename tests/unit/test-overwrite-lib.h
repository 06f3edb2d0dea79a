/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What test-overwrite.c (runs and errors) and test-overwrite-stop.c
 * (cancel, removal, sampled verification) share: a temporary "device"
 * and a fault-injecting I/O backend. Include after cmocka.h and the
 * headers test-overwrite.c includes. */

/* ---- A temporary "device": a regular file filled with OLD_BYTE ---- */

struct tmpdev {
        char path[256];
        int fd;
        uint64_t size;
};

static inline void tmpdev_open(struct tmpdev *d, uint64_t size) {
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

static inline void tmpdev_close(struct tmpdev *d) {
        close(d->fd);
        unlink(d->path);
}

/* The whole file equals the keystream, except the given ranges which still
 * hold OLD_BYTE. */
static inline void assert_content(const struct tmpdev *d, const struct wipe_overwrite_opts *o,
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

static inline bool touches(const struct fault *f, uint64_t offset, size_t len) {
        return offset < f->offset + f->length && f->offset < offset + len;
}

static const struct fault *find_fault(struct hooks *h, enum fault_kind kind, uint64_t offset, size_t len) {
        for (size_t i = 0; i < h->n_faults; i++)
                if (h->faults[i].kind == kind && touches(&h->faults[i], offset, len))
                        return &h->faults[i];
        return NULL;
}

static inline void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        if (!f)
                return;
        fputs(text, f);
        fclose(f);
}

/* Called with h->lock held. */
static inline void before_write(struct hooks *h, size_t len) {
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

static inline ssize_t hook_pwrite(void *userdata, int fd, const void *buf, size_t len, uint64_t offset) {
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

static inline ssize_t hook_pread(void *userdata, int fd, void *buf, size_t len, uint64_t offset) {
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

static inline int hook_flush(void *userdata, int fd) {
        struct hooks *h = userdata;

        if (h->flush_error)
                return h->flush_error;
        return fsync(fd) < 0 ? -errno : 0;
}

static inline void on_progress(const struct wipe_progress *p, void *userdata) {
        struct hooks *h = userdata;

        pthread_mutex_lock(&h->lock);
        h->progress_calls++;
        if (h->triggered)
                h->ticked_after = true;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
}

static inline void hooks_init(struct hooks *h, int fd) {
        *h = (struct hooks) { .fd = fd };
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->cond, NULL);
}

static inline void hooks_done(struct hooks *h) {
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->lock);
}

static inline void opts_for_test(struct wipe_overwrite_opts *o, struct hooks *h) {
        assert_int_equal(wipe_overwrite_opts_init(o), 0);
        o->block_size = MiB;
        o->generator_threads = 2;
        o->on_progress = on_progress;
        o->userdata = h;
}

static inline int run(struct tmpdev *d, struct wipe_overwrite_opts *o, struct hooks *h, struct wipe_progress *p,
               struct wipe_overwrite_result *res) {
        const struct wipe_io io = {
                .pwrite = hook_pwrite,
                .pread = hook_pread,
                .flush = hook_flush,
                .userdata = h,
        };
        return wipe_overwrite_run_io(d->fd, d->size, SECTOR, o, &io, p, res);
}

static inline void assert_exception(const struct wipe_exception *e, enum wipe_exception_kind kind, uint64_t offset,
                             uint64_t length, int error) {
        assert_int_equal(e->kind, kind);
        assert_int_equal(e->offset, offset);
        assert_int_equal(e->length, length);
        assert_int_equal(e->error, error);
}

