/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exclusive open of a whole disk before erasure. O_EXCL makes the kernel
 * refuse while the disk or one of its partitions is mounted or held (dm, md,
 * swap); the BSD lock keeps udev probing, fsck and other well-behaved tools
 * away for as long as the descriptor is open. */
#include "wipe-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rf-macro.h"

static int refuse(struct wipe_refusal *refusal, enum wipe_refusal_code code, const char *detail, int r) {
        refusal->code = code;
        snprintf(refusal->detail, sizeof(refusal->detail), "%s", detail);
        return r;
}

static const char *errtext(int e) {
        const char *s = strerrordesc_np(e);
        return s ? s : "unknown error";
}

static void sleep_msec(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int wipe_open_exclusive(const char *devnode, int *ret_fd, struct wipe_refusal *refusal) {
        struct wipe_refusal dummy;
        if (!refusal)
                refusal = &dummy;
        *refusal = (struct wipe_refusal){ .code = WIPE_REFUSAL_NONE };
        if (!devnode || !ret_fd)
                return -EINVAL;
        *ret_fd = -1;

        _cleanup_close_ int fd = open(devnode, O_RDWR | O_EXCL | O_DIRECT | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = negative_errno();
                switch (-r) {
                case EROFS:
                        return refuse(refusal, WIPE_REFUSAL_READ_ONLY, "protégé en écriture", r);
                case EACCES:
                        /* root is only refused write access to read-only
                         * disks; EPERM is a policy (device cgroup, LSM). */
                        if (geteuid() == 0)
                                return refuse(refusal, WIPE_REFUSAL_READ_ONLY, "protégé en écriture", r);
                        __attribute__((fallthrough));
                case EPERM:
                        return refuse(refusal, WIPE_REFUSAL_BUSY, "accès refusé (droits insuffisants)", r);
                case EBUSY:
                        return refuse(refusal, WIPE_REFUSAL_BUSY, "utilisé par un autre programme ou monté", r);
                case ENOENT:
                case ENXIO:
                case ENODEV:
                case ENOMEDIUM:
                        return refuse(refusal, WIPE_REFUSAL_NO_MEDIUM, "disque absent ou débranché", r);
                default:
                        return refuse(refusal, WIPE_REFUSAL_BUSY, errtext(-r), r);
                }
        }

        struct stat st;
        if (fstat(fd, &st) < 0)
                return refuse(refusal, WIPE_REFUSAL_BUSY, errtext(errno), negative_errno());
        if (!S_ISBLK(st.st_mode))
                return refuse(refusal, WIPE_REFUSAL_NOT_WHOLE_DISK, "pas un périphérique bloc", -ENOTBLK);
        /* The kernel lets a read-only disk be opened for writing (the writes
         * fail later): ask. */
        int ro = 0;
        if (ioctl(fd, BLKROGET, &ro) < 0)
                return refuse(refusal, WIPE_REFUSAL_BUSY, errtext(errno), negative_errno());
        if (ro)
                return refuse(refusal, WIPE_REFUSAL_READ_ONLY, "protégé en écriture", -EROFS);

        /* udev holds a shared lock for a moment while it probes a device
         * that just appeared or changed: wait for it, but not for long
         * (750 ms at most). */
        static const unsigned delays_ms[] = { 50, 100, 200, 400 };
        for (size_t attempt = 0;; attempt++) {
                if (flock(fd, LOCK_EX | LOCK_NB) >= 0)
                        break;
                if (errno == EINTR && attempt < ELEMENTSOF(delays_ms))
                        continue;
                if (errno != EWOULDBLOCK)
                        return refuse(refusal, WIPE_REFUSAL_BUSY, errtext(errno), negative_errno());
                if (attempt >= ELEMENTSOF(delays_ms))
                        return refuse(refusal, WIPE_REFUSAL_BUSY, "verrouillé par un autre programme (udev, fsck…)",
                                      -EBUSY);
                sleep_msec(delays_ms[attempt]);
        }

        *ret_fd = TAKE_FD(fd);
        return 0;
}

int wipe_fd_geometry(int fd, uint64_t *ret_size, unsigned *ret_logical_sector) {
        if (fd < 0 || !ret_size || !ret_logical_sector)
                return -EINVAL;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();

        uint64_t size;
        unsigned lss;
        if (S_ISBLK(st.st_mode)) {
                int ss = 0;
                if (ioctl(fd, BLKGETSIZE64, &size) < 0 || ioctl(fd, BLKSSZGET, &ss) < 0)
                        return negative_errno();
                if (ss <= 0)
                        return -EINVAL;
                lss = (unsigned) ss;
        } else if (S_ISREG(st.st_mode)) {
                /* Image files (benchmarks, tests) behave as 512-byte disks. */
                size = (uint64_t) st.st_size;
                lss = 512;
        } else
                return -ENOTBLK;

        /* A sector size the kernel would never report means a confused
         * driver: refuse rather than erase with a wrong alignment. */
        if (lss < 512 || lss > 65536 || (lss & (lss - 1)) != 0)
                return -EINVAL;
        *ret_size = size;
        *ret_logical_sector = lss;
        return 0;
}
