/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Internals of the image writer (img-write*.c), shared by its files only.
 *
 *   img-write.c           set-up, checks, the sample plan, phases, result
 *   img-write-stream.c    the image as a stream of bytes (raw or zstd)
 *   img-write-pipeline.c  the ring of buffers and its threads (write and
 *                         read-back passes)
 *   img-write-io.c        drive I/O (O_DIRECT body, buffered edges),
 *                         removal, errors */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "img-write.h"

#define IMG_CHUNK_SIZE ((uint64_t) 1024 * 1024)

/* ---- The image (img-write-stream.c) ---- */

struct img_stream {
        int fd;
        enum img_compression compression;
        uint64_t image_size;
        bool seekable;           /* raw file: pread() at the mapped offsets only */
        bool pipe;               /* read() in order, no offsets */
        uint64_t in_pos;         /* bytes taken from fd */
        uint64_t out_pos;        /* image bytes produced (or skipped) so far */
        ZSTD_DStream *zd;
        uint8_t *in;             /* compressed input */
        size_t in_cap;
        ZSTD_inBuffer zin;
        bool eof;
        size_t last_ret;         /* last ZSTD_decompressStream() hint: 0 = frame complete */
        uint8_t *scratch;        /* skipped (unmapped) bytes go here */
        size_t scratch_len;
        bool (*should_stop)(void *userdata);
        void *userdata;
};

/* Checks the raw file's size against ImageSize. err: French, one line. */
int img_stream_open(struct img_stream *s, int fd, enum img_compression c, uint64_t image_size, char *err,
                    size_t errlen);
void img_stream_close(struct img_stream *s);
/* The image's bytes [offset, offset + len) into buf; offset must not be
 * before what was already produced (the gap is decompressed and dropped). */
int img_stream_read(struct img_stream *s, uint64_t offset, uint8_t *buf, size_t len, char *err, size_t errlen);
/* After the last range: the rest of the stream must bring the image to
 * exactly ImageSize bytes and end cleanly. */
int img_stream_finish(struct img_stream *s, char *err, size_t errlen);

/* ---- The run ---- */

/* A read-back sample chunk: at most 1 MiB, inside one range. */
struct img_chunk {
        uint64_t offset; /* byte on the drive (= in the image) */
        uint32_t len;
        uint32_t range;  /* index in bmap->ranges */
        uint8_t sha256[32];
};

struct img_slot {
        uint8_t *mem;      /* 4096-aligned (or the sector size); mem[0] is drive byte offset - offset % align */
        uint64_t seq;
        unsigned stage;    /* next stage to run on it; 0 = free for the producer */
        bool busy;
        uint64_t offset;
        size_t len;
        size_t range;      /* write pass: bmap range index */
        bool range_end;    /* write pass: last piece of its range */
        size_t chunk_first, chunk_count; /* read-back pass: chunks covered */
};

#define IMG_MAX_STAGES 3

struct img_ctx {
        /* Set up once, read-only while threads run. */
        const struct img_write_opts *o;
        const struct img_bmap *bmap;
        struct img_progress *progress;
        int fd_direct;             /* -1: no O_DIRECT (file system refused it) */
        int fd_buffered;
        int owned_fd;              /* the reopened one, closed at the end */
        uint64_t dev_size;
        unsigned align;            /* O_DIRECT granularity: 4096, or the logical sector when bigger */
        char sysfs_dir[64];        /* "" when not a block device */
        bool sysfs_watch, autoclear_watch;
        size_t buf_size;           /* per slot, a multiple of IMG_CHUNK_SIZE */
        unsigned n_writers;
        struct img_stream src;
        struct img_chunk *chunks;  /* the sample, by offset */
        size_t n_chunks;

        atomic_bool direct_ok;     /* cleared when a direct write returns EINVAL */
        atomic_bool halted;        /* mirror of halt, for loops that do not take the lock */

        pthread_mutex_t lock;      /* protects everything below */
        pthread_cond_t changed;    /* a slot changed state, or halt */
        pthread_cond_t done;       /* a worker left (CLOCK_MONOTONIC) */
        bool sync_initialized;
        struct img_slot *slots;
        size_t n_slots;
        unsigned n_stages;
        uint64_t next[IMG_MAX_STAGES];
        bool closed;               /* the producer has queued its last slot */
        bool halt;
        unsigned active;
        enum img_stop stop;
        int error;
        uint64_t error_offset;
        char error_detail[256];
        size_t ranges_hashed;
        size_t chunks_checked;
};

/* First failure wins; it halts the threads. */
void img_ctx_fail(struct img_ctx *c, int error, uint64_t offset, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Cancel/removed flags (and sysfs when poll_sysfs): true when the run must stop. */
bool img_ctx_check_stop(struct img_ctx *c, bool poll_sysfs);
bool img_ctx_stopping(struct img_ctx *c);
/* Does this error (negative errno) or sysfs say the drive is gone? */
bool img_ctx_device_gone(struct img_ctx *c, int error);
void img_ctx_sysfs_baseline(struct img_ctx *c);

/* Drive I/O of a slot's bytes [offset, offset + len), mem as above. */
int img_dev_write(struct img_ctx *c, const uint8_t *mem, uint64_t offset, size_t len);
int img_dev_read(struct img_ctx *c, uint8_t *mem, uint64_t offset, size_t len);
/* fdatasync, then drop the cached pages so that the read-back sees the drive. */
int img_dev_flush(struct img_ctx *c);

/* The passes (img-write-pipeline.c): 0, or <0 when threads could not
 * start; failures of the run itself go through img_ctx_fail(). */
int img_pass_write(struct img_ctx *c);
int img_pass_verify(struct img_ctx *c);
