/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Internal interfaces of the overwrite engine, shared by its source files
 * and its unit tests. Not for the daemon: use wipe-overwrite.h. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "wipe-overwrite.h"

#define WIPE_SAMPLE_UNIT ((uint64_t) 1024 * 1024)

/* All device I/O of a run goes through these, so that tests can make chosen
 * ranges fail or read back altered data. They return what pwrite()/pread()
 * return, except that errors are a negative errno (errno is not used);
 * flush returns 0 or a negative errno. Called from several threads at once. */
struct wipe_io {
        ssize_t (*pwrite)(void *userdata, int fd, const void *buf, size_t len, uint64_t offset);
        ssize_t (*pread)(void *userdata, int fd, void *buf, size_t len, uint64_t offset);
        int (*flush)(void *userdata, int fd);
        void *userdata;
};

/* The plain system calls. */
extern const struct wipe_io wipe_io_default;

/* wipe_overwrite_run() with another I/O backend (NULL: wipe_io_default). */
int wipe_overwrite_run_io(int fd, uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts,
                          const struct wipe_io *io, struct wipe_progress *progress,
                          struct wipe_overwrite_result *result);

/* Verification only, of a device written earlier with opts->key/iv (an
 * audit from the record, or a benchmark): no write, no flush. The phase goes
 * from WIPE_PHASE_WRITE straight to WIPE_PHASE_VERIFY. opts->verify must
 * not be WIPE_VERIFY_NONE. */
int wipe_overwrite_verify_io(int fd, uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts,
                             const struct wipe_io *io, struct wipe_progress *progress,
                             struct wipe_overwrite_result *result);

/* Sample selection with a keyed MAC context set up once, for the engine
 * which asks about every unit of the device. Same answers as
 * wipe_sample_selected(). Not thread-safe. */
struct wipe_sampler;
int wipe_sampler_new(const uint8_t key[WIPE_KEY_SIZE], struct wipe_sampler **ret);
void wipe_sampler_free(struct wipe_sampler *s);
static inline void wipe_sampler_freep(struct wipe_sampler **p) {
        if (*p)
                wipe_sampler_free(*p);
}
/* 1 selected, 0 not, <0 error. */
int wipe_sampler_selected(struct wipe_sampler *s, uint64_t unit, uint64_t n_units, unsigned percent);

/* ---- Engine internals (wipe-overwrite.c, wipe-overwrite-pipeline.c) ---- */

#include <pthread.h>
#include <stdatomic.h>

enum wipe_pass {
        WIPE_PASS_WRITE,
        WIPE_PASS_VERIFY,
};

enum wipe_slot_state {
        WIPE_SLOT_FREE = 0,
        WIPE_SLOT_PRODUCING, /* being generated (write) or read (verify) */
        WIPE_SLOT_READY,
        WIPE_SLOT_CONSUMING, /* being written (write) or compared (verify) */
};

struct wipe_slot {
        uint8_t *buf; /* block_size bytes, 4096-aligned */
        enum wipe_slot_state state;
        uint64_t chunk; /* sequence number in the pass */
        uint64_t offset;
        size_t len;
        size_t unreadable; /* verify: bytes that could not be read (already reported) */
};

struct wipe_run {
        /* Set up once, read-only while threads run. */
        int fd;
        uint64_t size;
        unsigned sector_size;
        size_t block_size;
        unsigned n_threads; /* generators (write) / comparators (verify) */
        unsigned n_io;      /* writers (write) / readers (verify) */
        unsigned max_exceptions;
        const struct wipe_overwrite_opts *opts;
        const struct wipe_io *io;
        struct wipe_progress *progress;
        struct wipe_sampler *sampler; /* sampled verification only */
        bool sysfs_watch;             /* opts->sysfs_dir/size was readable at start */
        bool autoclear_watch;         /* loop/autoclear read 0 at start */

        atomic_int stop;  /* enum wipe_stop; the first reason wins */
        atomic_int fatal; /* negative errno of an internal failure (EVP, ENOMEM) */

        bool sync_initialized; /* lock and conditions below */
        pthread_mutex_t lock;  /* protects everything below */
        pthread_cond_t slot_free;  /* producers wait for their slot */
        pthread_cond_t slot_ready; /* consumers wait for the next chunk */
        pthread_cond_t done;  /* a worker thread finished */

        struct wipe_slot *slots;
        size_t n_slots;
        enum wipe_pass pass;
        uint64_t next_produce, next_consume;
        uint64_t plan_pos;   /* next byte offset to plan */
        int plan_unit_sel;   /* cached selection of plan_unit: -1 unknown */
        uint64_t plan_unit;
        bool plan_done;
        bool halt;           /* stop requested: workers leave */
        unsigned active_workers;
        double cpu_seconds;  /* worker threads that finished */

        struct wipe_exception *exceptions;
        size_t n_exceptions, n_allocated;
};

/* Is this 1 MiB unit part of the sampled verification? (The last unit may
 * be shorter.) 1 yes, 0 no, <0 error. */
int wipe_run_unit_selected(struct wipe_run *run, uint64_t unit);

/* Run one pass with its threads, calling the progress callback and checking
 * for cancellation/removal about every 250 ms until the threads are done.
 * Returns 0 or a negative errno when threads could not be started. */
int wipe_run_pass(struct wipe_run *run, enum wipe_pass pass);

/* Request a stop (the first reason is kept) and wake every waiting thread. */
void wipe_run_request_stop(struct wipe_run *run, enum wipe_stop why);

/* Checks cancel/removed flags and sysfs; requests the stop. Returns true
 * when the run must stop. */
bool wipe_run_check_stop(struct wipe_run *run, bool poll_sysfs);

/* Does this error (negative errno) or sysfs say the device is gone? */
bool wipe_run_device_gone(struct wipe_run *run, int error);

/* Record a failing range (merged with a touching one of the same kind and
 * errno); beyond max_exceptions, requests WIPE_STOP_TOO_MANY_ERRORS. */
void wipe_run_add_exception(struct wipe_run *run, enum wipe_exception_kind kind, uint64_t offset, uint64_t length,
                            int error);

/* User+system CPU time of the calling thread. */
double wipe_thread_cpu_seconds(void);
