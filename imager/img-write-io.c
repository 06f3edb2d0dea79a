/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drive I/O of the image writer, stop conditions and errors.
 *
 * O_DIRECT needs offsets, lengths and memory aligned to the logical sector
 * (4096 taken as the unit: right for 512e and 4Kn drives and for files).
 * The bmap's ranges are whole blocks (4096 bytes for every image
 * bmaptool makes), so the whole write normally goes O_DIRECT; what is not
 * aligned -- the short last block of an image whose size is not a multiple
 * of 4096, or the edges of ranges when the bmap uses 512-byte blocks -- is
 * written through a second, buffered descriptor on the same drive. The
 * alternative, padding those pieces to 4096 with the drive's existing
 * bytes (read, patch, write back O_DIRECT), costs a synchronous read per
 * piece and cannot work for the last piece of a drive whose size is not a
 * multiple of 4096 (the padded unit lies past its end); the page cache
 * does that read-modify-write itself, at the right size. The two never
 * share a 4096 unit: a unit is written O_DIRECT only when a range covers
 * it whole, else every piece of it goes buffered, so the cache never holds
 * a stale copy of bytes written around it. The flush syncs both
 * descriptors and drops the cached pages, so that the read-back of those
 * pieces comes from the drive too. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "img-write-internal.h"
#include "rf-macro.h"
#include "rf-util.h"

void img_ctx_fail(struct img_ctx *c, int error, uint64_t offset, const char *fmt, ...) {
        pthread_mutex_lock(&c->lock);
        if (c->error == 0) {
                va_list ap;
                c->error = error < 0 ? error : -EIO;
                c->error_offset = offset;
                va_start(ap, fmt);
                vsnprintf(c->error_detail, sizeof(c->error_detail), fmt, ap);
                va_end(ap);
        }
        c->halt = true;
        atomic_store(&c->halted, true);
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
}

static void request_stop(struct img_ctx *c, enum img_stop why) {
        pthread_mutex_lock(&c->lock);
        if (c->error == 0 && c->stop == IMG_STOP_NONE) {
                c->stop = why;
                if (why == IMG_STOP_CANCELLED) {
                        c->error = -ECANCELED;
                        snprintf(c->error_detail, sizeof(c->error_detail), "écriture de l'image annulée");
                } else {
                        c->error = -ENODEV;
                        snprintf(c->error_detail, sizeof(c->error_detail),
                                 "le disque a été retiré pendant l'écriture de l'image");
                }
        }
        c->halt = true;
        atomic_store(&c->halted, true);
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
}

static int read_attr(const char *dir, const char *attr, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, attr) < 0)
                return -ENOMEM;
        return rf_read_line(path, ret);
}

void img_ctx_sysfs_baseline(struct img_ctx *c) {
        _cleanup_free_ char *size = NULL, *autoclear = NULL;

        if (!c->sysfs_dir[0])
                return;
        c->sysfs_watch = read_attr(c->sysfs_dir, "size", &size) == 0;
        c->autoclear_watch = read_attr(c->sysfs_dir, "loop/autoclear", &autoclear) == 0 &&
                             strcmp(autoclear, "0") == 0;
}

static bool sysfs_gone(struct img_ctx *c) {
        _cleanup_free_ char *size = NULL;

        if (!c->sysfs_watch)
                return false;
        int r = read_attr(c->sysfs_dir, "size", &size);
        if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
                return true; /* the device went away */
        if (r == 0 && strcmp(size, "0") == 0)
                return true; /* medium gone */
        if (c->autoclear_watch) {
                /* "losetup -d" on an open loop device only schedules the
                 * detach for the last close, by setting autoclear. */
                _cleanup_free_ char *autoclear = NULL;
                if (read_attr(c->sysfs_dir, "loop/autoclear", &autoclear) == 0 && strcmp(autoclear, "1") == 0)
                        return true;
        }
        return false;
}

bool img_ctx_stopping(struct img_ctx *c) {
        return atomic_load(&c->halted);
}

bool img_ctx_check_stop(struct img_ctx *c, bool poll_sysfs) {
        if (atomic_load(&c->halted))
                return true;
        if (c->o->cancel && atomic_load(c->o->cancel)) {
                request_stop(c, IMG_STOP_CANCELLED);
                return true;
        }
        if ((c->o->removed && atomic_load(c->o->removed)) || (poll_sysfs && sysfs_gone(c))) {
                request_stop(c, IMG_STOP_REMOVED);
                return true;
        }
        return false;
}

bool img_ctx_device_gone(struct img_ctx *c, int error) {
        if (error == -ENODEV || error == -ENXIO || error == -ENOMEDIUM || sysfs_gone(c) ||
            (c->o->removed && atomic_load(c->o->removed))) {
                request_stop(c, IMG_STOP_REMOVED);
                return true;
        }
        return false;
}

static int pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t offset) {
        while (len > 0) {
                ssize_t k = pwrite(fd, buf, len, (off_t) offset);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        return -ENOSPC; /* the drive ended early */
                buf += k;
                len -= (size_t) k;
                offset += (uint64_t) k;
        }
        return 0;
}

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t offset) {
        while (len > 0) {
                ssize_t k = pread(fd, buf, len, (off_t) offset);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        return -ENXIO; /* the drive got shorter */
                buf += k;
                len -= (size_t) k;
                offset += (uint64_t) k;
        }
        return 0;
}

static uint64_t round_up(uint64_t v, uint64_t a) {
        return (v + a - 1) / a * a;
}

int img_dev_write(struct img_ctx *c, const uint8_t *mem, uint64_t offset, size_t len) {
        uint64_t a = c->align, base = offset - offset % a, end = offset + len;
        uint64_t ds = round_up(offset, a), de = end - end % a;

        if (c->fd_direct < 0 || !atomic_load(&c->direct_ok) || ds >= de)
                return pwrite_full(c->fd_buffered, mem + (offset - base), len, offset);
        int r = 0;
        if (ds > offset)
                r = pwrite_full(c->fd_buffered, mem + (offset - base), (size_t) (ds - offset), offset);
        if (r == 0) {
                r = pwrite_full(c->fd_direct, mem + (ds - base), (size_t) (de - ds), ds);
                if (r == -EINVAL) {
                        /* Opened O_DIRECT but refused on writing (some
                         * file systems): buffered from now on, flushed at
                         * the end like the rest. */
                        atomic_store(&c->direct_ok, false);
                        r = pwrite_full(c->fd_buffered, mem + (ds - base), (size_t) (de - ds), ds);
                }
        }
        if (r == 0 && end > de)
                r = pwrite_full(c->fd_buffered, mem + (de - base), (size_t) (end - de), de);
        return r;
}

int img_dev_read(struct img_ctx *c, uint8_t *mem, uint64_t offset, size_t len) {
        uint64_t a = c->align, base = offset - offset % a, end = offset + len;

        if (c->fd_direct >= 0 && atomic_load(&c->direct_ok)) {
                /* The whole aligned units around the bytes, as far as the
                 * drive has whole units; the rest (the end of a drive whose
                 * size is not a multiple of the unit) buffered, from the
                 * drive since the flush dropped the cached pages. */
                uint64_t limit = c->dev_size - c->dev_size % a;
                uint64_t de = MIN(round_up(end, a), limit);
                if (de > base) {
                        int r = pread_full(c->fd_direct, mem, (size_t) (de - base), base);
                        if (r != -EINVAL) {
                                if (r < 0 || de >= end)
                                        return r;
                                return pread_full(c->fd_buffered, mem + (de - base), (size_t) (end - de), de);
                        }
                }
        }
        return pread_full(c->fd_buffered, mem + (offset - base), len, offset);
}

int img_dev_flush(struct img_ctx *c) {
        if (fdatasync(c->fd_buffered) < 0)
                return negative_errno();
        if (c->fd_direct >= 0 && c->fd_direct != c->fd_buffered && fdatasync(c->fd_direct) < 0)
                return negative_errno();
        /* Clean pages now: drop them, so that nothing is read back from
         * memory (also for files whose file system refused O_DIRECT). */
        (void) posix_fadvise(c->fd_buffered, 0, 0, POSIX_FADV_DONTNEED);
        return 0;
}
