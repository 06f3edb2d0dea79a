/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Writing an image to a drive: the (zstd-compressed or raw) image is read,
 * decompressed and written with O_DIRECT by overlapped stages (reader +
 * decompressor thread, writer thread), only the ranges the bmap maps.
 *
 * Verification ("hashed on the way + read-back sample", docs/imaging.md):
 * every mapped range is hashed as it streams past and compared with the
 * bmap's SHA-256 before the next range starts being written, so a byte of
 * the image that differs from what the DSI signed stops the job; then,
 * after the flush, verify_percent of the written data (in 1 MiB chunks
 * spread over the image, always the first and last chunk of each range)
 * is read back with O_DIRECT and compared with the SHA-256 of the same
 * chunk computed on the way: the drive stored what was sent. 100 reads
 * back everything. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "img-bmap.h"
#include "img-profile.h"

enum img_phase {
        IMG_PHASE_NONE = 0,
        IMG_PHASE_FETCH,
        IMG_PHASE_WRITE,
        IMG_PHASE_FLUSH,
        IMG_PHASE_VERIFY,
        IMG_PHASE_FIT,
        IMG_PHASE_CUSTOMISE,
        IMG_PHASE_PROOF,
        IMG_PHASE_DONE,
};
const char *img_phase_to_string(enum img_phase p);

struct img_progress {
        _Atomic int phase;                  /* enum img_phase */
        _Atomic uint64_t bytes_written;     /* mapped bytes written so far */
        _Atomic uint64_t write_total;       /* mapped bytes */
        _Atomic uint64_t bytes_verified;
        _Atomic uint64_t verify_total;
};

enum img_stop {
        IMG_STOP_NONE = 0,
        IMG_STOP_CANCELLED,
        IMG_STOP_REMOVED,
};

struct img_write_opts {
        int image_fd;                   /* verified image file, read from offset 0 */
        enum img_compression compression;
        const struct img_bmap *bmap;
        unsigned verify_percent;        /* 1..100 (0 = 5) */
        atomic_bool *cancel;            /* may be NULL */
        atomic_bool *removed;           /* may be NULL */
        struct img_progress *progress;  /* may be NULL */
        unsigned buffer_mib;            /* per stage buffer; 0 = 8 */
};

struct img_write_result {
        uint64_t device_size;
        uint64_t bytes_written;
        uint64_t bytes_verified;        /* read back */
        size_t ranges_hashed;           /* ranges whose SHA-256 matched the bmap */
        size_t chunks_checked;
        unsigned verify_percent;
        double write_seconds;           /* write + flush */
        double verify_seconds;
        enum img_stop stop;
        int error;                      /* 0 or negative errno */
        uint64_t error_offset;          /* byte on the drive (or in the image) concerned */
        char error_detail[256];         /* French, one line: what went wrong and where */
};

/* fd: the drive, opened O_RDWR|O_EXCL (O_DIRECT is reopened through
 * /proc/self/fd by the writer). Refuses (-ENOSPC, detail filled) a drive
 * smaller than bmap->image_size. Returns 0 when the run went through
 * (result->error says whether it succeeded), <0 when it could not start. */
int img_write_run(int fd, const struct img_write_opts *o, struct img_write_result *result);
