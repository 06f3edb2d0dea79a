/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wipe-keystream.h"

/* Clear by overwrite: one pass of the AES-256-CTR keystream written with
 * O_DIRECT in large aligned blocks (generation overlapped with I/O), a
 * flush, then verification by reading back and comparing. */

enum wipe_verify_mode {
        WIPE_VERIFY_FULL = 0,
        WIPE_VERIFY_SAMPLE,
        WIPE_VERIFY_NONE, /* only for benchmarks; the daemon never certifies without verification */
};

enum wipe_phase {
        WIPE_PHASE_WRITE = 0,
        WIPE_PHASE_FLUSH,
        WIPE_PHASE_VERIFY,
        WIPE_PHASE_DONE,
};

/* Why the run stopped early. */
enum wipe_stop {
        WIPE_STOP_NONE = 0,
        WIPE_STOP_CANCELLED, /* *opts->cancel became true */
        WIPE_STOP_REMOVED,   /* device disappeared (ENODEV/ENXIO, size 0, or opts->removed) */
        WIPE_STOP_TOO_MANY_ERRORS,
};

enum wipe_exception_kind {
        WIPE_EXC_WRITE_ERROR = 0,   /* the device refused the write (errno) */
        WIPE_EXC_READ_ERROR,        /* verification could not read (errno) */
        WIPE_EXC_MISMATCH,          /* verification read data that is not the pattern */
        WIPE_EXC_FLUSH_ERROR,       /* the cache flush failed (errno) */
};

/* A failing byte range, narrowed down to logical sectors. */
struct wipe_exception {
        enum wipe_exception_kind kind;
        uint64_t offset;
        uint64_t length;
        int error; /* positive errno, 0 for mismatches */
};

/* Counters shared with another thread (the daemon's loop reads them on a
 * timer): plain atomics, no callbacks across threads needed. */
struct wipe_progress {
        _Atomic int phase;               /* enum wipe_phase */
        _Atomic uint64_t bytes_written;
        _Atomic uint64_t bytes_verified; /* bytes read back and compared */
        _Atomic uint64_t verify_total;   /* bytes the verification will read */
        _Atomic unsigned n_exceptions;
};

struct wipe_overwrite_opts {
        uint8_t key[WIPE_KEY_SIZE];
        uint8_t iv[WIPE_IV_SIZE];
        enum wipe_verify_mode verify;
        unsigned verify_percent;     /* 1..100, for WIPE_VERIFY_SAMPLE */
        size_t block_size;           /* bytes per I/O; 0 = default (4 MiB) */
        unsigned generator_threads;  /* 0 = default (online CPUs, at most 4) */
        unsigned max_exceptions;     /* 0 = default (1024); beyond: WIPE_STOP_TOO_MANY_ERRORS */
        const atomic_bool *cancel;   /* may be NULL */
        const atomic_bool *removed;  /* may be NULL: set by the caller when the device went away */
        /* Called about every 250 ms from the worker thread (may be NULL). */
        void (*on_progress)(const struct wipe_progress *p, void *userdata);
        void *userdata;
        /* sysfs directory of the device ("/sys/class/block/loop3"), used to
         * notice removal (size 0, loop detach requested); may be NULL. */
        const char *sysfs_dir;
};

struct wipe_overwrite_result {
        enum wipe_stop stop;
        uint64_t size;
        uint64_t bytes_written;
        uint64_t bytes_verified;
        unsigned verify_percent_effective; /* 100 for full */
        struct wipe_exception *exceptions; /* malloc'd */
        size_t n_exceptions;
        bool flushed;                /* fsync() of the device succeeded */
        double write_seconds, verify_seconds;
        double cpu_seconds;          /* user+system of all threads of the run */
};

/* Fill defaults in opts (zeroed struct -> 4 MiB blocks, full verify) and a
 * fresh random key and IV. */
int wipe_overwrite_opts_init(struct wipe_overwrite_opts *opts);

/* Run write + flush + verification on fd (opened by wipe_open_exclusive())
 * of size bytes with the given logical sector size. progress may be NULL.
 * Returns 0 when the run went through (check result->stop and
 * result->exceptions: the erasure is complete only if both are empty), a
 * negative errno when it could not start. */
int wipe_overwrite_run(int fd, uint64_t size, unsigned sector_size, const struct wipe_overwrite_opts *opts,
                       struct wipe_progress *progress, struct wipe_overwrite_result *result);

void wipe_overwrite_result_clear(struct wipe_overwrite_result *r);

/* Sampled verification: is the 1 MiB unit with this index part of the
 * sample? Always true for the first and the last unit; otherwise a
 * keyed-hash decision so that about percent% of units are chosen. */
bool wipe_sample_selected(const uint8_t key[WIPE_KEY_SIZE], uint64_t unit, uint64_t n_units, unsigned percent);

const char *wipe_exception_kind_to_string(enum wipe_exception_kind k);
const char *wipe_stop_to_string(enum wipe_stop s);
