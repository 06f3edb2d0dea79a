/* SPDX-License-Identifier: GPL-2.0-or-later */
/* After an erasure: what libblkid still recognises on the device. Every
 * prober is run (superblocks with bad checksums too, partition tables
 * including a lone backup GPT), one by one, so that an ambivalent result
 * (two signatures) is reported as two findings rather than as nothing. */
#include "wipe-check.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "rf-macro.h"
#include "wipe-device.h"

/* More findings than this on a device that was just erased means something
 * is badly wrong; the list is cut there. */
#define MAX_FINDINGS 64

void wipe_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free((void *) v);
}

static void blkid_free_probep(blkid_probe *pr) {
        if (*pr)
                blkid_free_probe(*pr);
}

/* A growing NULL-terminated list of findings. */
struct findings {
        char **v;
        size_t n;
};

static int findings_add(struct findings *f, const char *type, const char *off) {
        if (f->n >= MAX_FINDINGS)
                return 0;
        char **nv = (char **) reallocarray((void *) f->v, f->n + 2, sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        f->v = nv;
        char *t = wipe_sanitize_text(type, 64), *o = wipe_sanitize_text(off, 32), *s = NULL;
        int r = asprintf(&s, "%s@%s", t ? t : "unknown", o ? o : "?");
        free(t);
        free(o);
        if (r < 0)
                return -ENOMEM;
        nv[f->n++] = s;
        nv[f->n] = NULL;
        return 0;
}

/* Every signature libblkid finds, one prober after the other. */
static int probe_all(blkid_probe pr, struct findings *f) {
        for (;;) {
                int r = blkid_do_probe(pr);
                if (r == 1)
                        return 0; /* nothing more */
                if (r < 0)
                        return -EIO;

                const char *type = NULL, *off = NULL;
                if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0)
                        (void) blkid_probe_lookup_value(pr, "SBMAGIC_OFFSET", &off, NULL);
                else if (blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) == 0)
                        (void) blkid_probe_lookup_value(pr, "PTMAGIC_OFFSET", &off, NULL);
                else
                        continue;
                r = findings_add(f, type, off);
                if (r < 0)
                        return r;
        }
}

/* A buffered descriptor of the same open file: libblkid reads at offsets
 * and lengths O_DIRECT would refuse. */
static int reopen_buffered(int fd) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        return rfd < 0 ? negative_errno() : rfd;
}

int wipe_check_signatures(int fd, char ***ret) {
        if (fd < 0 || !ret)
                return -EINVAL;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();

        /* Drop the cached pages of the device: what is probed below must be
         * read from the medium. */
        if (S_ISBLK(st.st_mode)) {
                if (fsync(fd) < 0 || ioctl(fd, BLKFLSBUF, 0) < 0)
                        return negative_errno();
        } else if (S_ISREG(st.st_mode)) {
                if (fdatasync(fd) < 0)
                        return negative_errno();
                (void) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        } else
                return -ENOTBLK;

        _cleanup_close_ int rfd = reopen_buffered(fd);
        if (rfd < 0)
                return rfd;

        __attribute__((cleanup(blkid_free_probep))) blkid_probe pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, rfd, 0, 0) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);

        struct findings f = { .v = (char **) calloc(1, sizeof(*f.v)) };
        int r = f.v ? probe_all(pr, &f) : -ENOMEM;
        if (r < 0) {
                wipe_strv_free(f.v);
                return r;
        }
        *ret = f.v;
        return 0;
}
