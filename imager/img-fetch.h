/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Getting the files a profile references, verified, into the bench's cache.
 *
 * A local path is hashed in place. An https:// URL is downloaded with
 * libcurl into CACHE/NAME/VERSION/BASENAME.part, resumed from where it
 * stopped (HTTP Range) when a .part exists, hashed, and renamed to
 * BASENAME only when its SHA-256 matches; a mismatch removes the .part
 * (a resumed download that ends wrong is restarted once from zero).
 * A cached file is hashed again on every use: a file changed on disk is
 * refused, never written to a drive. After a successful fetch, the cache
 * keeps the two most recent versions of the profile NAME (by mtime of the
 * version folder) plus the one in use.
 *
 * The result is an open read-only descriptor on the verified file, so what
 * is written is what was hashed. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct img_fetch_progress {
        _Atomic uint64_t done;    /* bytes downloaded or hashed so far */
        _Atomic uint64_t total;   /* 0 when unknown */
        _Atomic int downloading;  /* 1 while the network is used, 0 while hashing */
};

struct img_fetch_opts {
        const char *cache_dir;        /* e.g. /var/cache/refurbd/images; required for URLs */
        const char *ca_file;          /* extra CA bundle (tests); NULL: system store */
        unsigned keep_versions;       /* 0 = 2 */
        unsigned low_speed_seconds;   /* abort below 1 KiB/s for that long; 0 = 60 */
        atomic_bool *cancel;          /* may be NULL */
        struct img_fetch_progress *progress; /* may be NULL */
};

struct img_fetched {
        int fd;                 /* O_RDONLY|O_CLOEXEC, positioned at 0 */
        char *path;             /* where it is */
        uint64_t size;
        bool from_cache;        /* URL already complete in the cache */
        bool resumed;           /* a .part was continued */
        uint64_t downloaded;    /* bytes transferred over the network this time */
};
void img_fetched_clear(struct img_fetched *f);

/* location: https URL or absolute path; sha256: expected lowercase hex.
 *   0         *ret filled
 *   -EBADMSG  SHA-256 mismatch ("empreinte SHA-256 différente")
 *   -ECANCELED cancelled
 *   -EPROTO/-EIO/-ETIMEDOUT download failed (err says why, with the URL)
 *   -EINVAL   bad location
 * err: one line, French. */
int img_fetch(const struct img_fetch_opts *o, const char *profile_name, const char *profile_version,
              const char *location, const char sha256[static 65], struct img_fetched *ret, char *err, size_t errlen);

/* Remove versions of profile_name beyond the newest keep (keeps "keep_too"
 * when not NULL). Returns the number removed. */
int img_cache_prune(const char *cache_dir, const char *profile_name, unsigned keep, const char *keep_too);

/* SHA-256 of an open file from offset 0 (progress->done advanced). */
int img_sha256_fd(int fd, atomic_bool *cancel, struct img_fetch_progress *progress, char out[static 65]);
