/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fitting a written image to its disk with libparted: the GPT backup moves
 * to the end of the disk (libparted asks, we answer "Fix"), the root
 * partition grows to the end (1 MiB aligned end, start kept), the table is
 * written and the kernel told (BLKPG, as libparted would, but without the
 * "udevadm settle" Debian's libparted runs then). Then we wait for the
 * partition's node, which the kernel (devtmpfs) or udev makes: we never
 * make one. */
#include "img-fit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <parted/parted.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"

#define FIT_WAIT_NODE_MSEC 10000U

/* libparted keeps process-wide state (its device cache, its exception
 * handler): one fit at a time in the process. The handler needs to know
 * where to put the messages of the fit running in this thread. These are
 * the only mutable statics of the imager, forced by libparted's API. */
static pthread_mutex_t fit_lock = PTHREAD_MUTEX_INITIALIZER;

struct fit_ctx {
        char messages[192];     /* libparted's messages, "; "-separated */
        bool backup_moved;
};
static _Thread_local struct fit_ctx *fit_current;

/* Cuts a UTF-8 character left incomplete at the end of s by a truncation
 * (the record is JSON: its strings must be valid UTF-8). */
static void utf8_trim_partial(char *s) {
        size_t n = strlen(s), i = n;
        while (i > 0 && n - i < 3 && ((unsigned char) s[i - 1] & 0xC0) == 0x80)
                i--;
        if (i == 0)
                return;
        unsigned char lead = (unsigned char) s[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (need > 1 && n - (i - 1) < need)
                s[i - 1] = '\0';
}

static void append_message(struct fit_ctx *ctx, const char *msg) {
        size_t used = strlen(ctx->messages);
        if (used + 8 >= sizeof(ctx->messages))
                return;
        /* One line: libparted's messages span several. */
        char *out = ctx->messages + used;
        size_t left = sizeof(ctx->messages) - used;
        int n = snprintf(out, left, "%s", used ? " ; " : "");
        out += n;
        left -= (size_t) n;
        for (const char *p = msg; *p && left > 1; p++) {
                char c = *p == '\n' || *p == '\t' ? ' ' : *p;
                if ((unsigned char) c < 0x20)
                        continue;
                *out++ = c;
                left--;
        }
        *out = '\0';
        utf8_trim_partial(ctx->messages);
}

/* The two questions libparted asks about a GPT written to a larger disk
 * ("backup GPT not at the end", "not all of the space is used") are the
 * only ones offering exactly Fix or Ignore: answer Fix. Anything else is
 * refused (Cancel, No, or unhandled). */
static PedExceptionOption fit_exception_handler(PedException *ex) {
        struct fit_ctx *ctx = fit_current;
        if (ex->options == (PED_EXCEPTION_FIX | PED_EXCEPTION_IGNORE)) {
                if (ctx)
                        ctx->backup_moved = true;
                return PED_EXCEPTION_FIX;
        }
        if (ctx && ex->message)
                append_message(ctx, ex->message);
        if (ex->options & PED_EXCEPTION_CANCEL)
                return PED_EXCEPTION_CANCEL;
        if (ex->options & PED_EXCEPTION_NO)
                return PED_EXCEPTION_NO;
        return PED_EXCEPTION_UNHANDLED;
}

/* Appends s to the NUL-terminated buf of size bytes, truncating. */
static void str_append(char *buf, size_t size, const char *s) {
        size_t used = strnlen(buf, size);
        if (used + 1 >= size)
                return;
        size_t n = MIN(strlen(s), size - used - 1);
        memcpy(buf + used, s, n);
        buf[used + n] = '\0';
}

_printf_(4, 5) static int fit_fail(struct img_fit_result *res, const struct fit_ctx *ctx, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
        va_end(ap);
        if (ctx && ctx->messages[0]) {
                str_append(res->detail, sizeof(res->detail), " (libparted : ");
                str_append(res->detail, sizeof(res->detail), ctx->messages);
                str_append(res->detail, sizeof(res->detail), ")");
        }
        utf8_trim_partial(res->detail);
        return r;
}

static void sleep_msec(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* /sys/dev/block/MAJ:MIN of a block device node. */
static int sysfs_dir_of(const char *devnode, char *out, size_t outlen) {
        struct stat st;
        if (stat(devnode, &st) < 0)
                return negative_errno();
        if (!S_ISBLK(st.st_mode))
                return -ENOTBLK;
        snprintf(out, outlen, "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
        return 0;
}

/* Loop devices only get partitions with LO_FLAGS_PARTSCAN (losetup -P).
 * 1 when dir is a loop device without it. */
static bool loop_without_partscan(const char *sysdir) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/loop/partscan", sysdir);
        _cleanup_free_ char *v = NULL;
        if (rf_read_line(path, &v) < 0)
                return false; /* not a loop device */
        return strcmp(v, "1") != 0;
}

/* Kernel name of partition partno of the disk at sysdir (a subdirectory
 * whose "partition" file holds partno), with its size in 512-byte sectors
 * and its device number. */
static int find_partition(const char *sysdir, unsigned partno, char *name, size_t namelen, uint64_t *ret_sectors,
                          dev_t *ret_devt) {
        _cleanup_closedir_ DIR *d = opendir(sysdir);
        if (!d)
                return negative_errno();
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strlen(de->d_name) >= namelen)
                        continue;
                char path[PATH_MAX];
                _cleanup_free_ char *v = NULL;
                snprintf(path, sizeof(path), "%s/%s/partition", sysdir, de->d_name);
                if (rf_read_line(path, &v) < 0)
                        continue;
                char *end = NULL;
                errno = 0;
                unsigned long n = strtoul(v, &end, 10);
                if (errno || end == v || *end || n != partno)
                        continue;
                _cleanup_free_ char *size = NULL, *dev = NULL;
                snprintf(path, sizeof(path), "%s/%s/size", sysdir, de->d_name);
                if (rf_read_line(path, &size) < 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s/dev", sysdir, de->d_name);
                if (rf_read_line(path, &dev) < 0)
                        continue;
                unsigned ma, mi;
                unsigned long long sectors;
                if (sscanf(size, "%llu", &sectors) != 1 || sscanf(dev, "%u:%u", &ma, &mi) != 2)
                        continue;
                snprintf(name, namelen, "%s", de->d_name);
                *ret_sectors = sectors;
                *ret_devt = makedev(ma, mi);
                return 0;
        }
        return -ENOENT;
}

/* Waits (FIT_WAIT_NODE_MSEC at most) until the kernel shows partition
 * partno with the expected size and /dev/<name> is its node. */
static int wait_partition_node(const char *sysdir, unsigned partno, uint64_t expected_bytes, struct img_fit_result *res,
                               char *why, size_t whylen) {
        uint64_t deadline = rf_now_usec() + FIT_WAIT_NODE_MSEC * 1000ULL;
        char name[48] = "";
        uint64_t sectors = 0;
        for (;;) {
                dev_t devt = 0;
                int r = find_partition(sysdir, partno, name, sizeof(name), &sectors, &devt);
                if (r >= 0 && sectors * 512 == expected_bytes) {
                        char node[64];
                        snprintf(node, sizeof(node), "/dev/%s", name);
                        struct stat st;
                        if (stat(node, &st) >= 0 && S_ISBLK(st.st_mode) && st.st_rdev == devt) {
                                snprintf(res->part_devnode, sizeof(res->part_devnode), "%s", node);
                                res->part_size_after = sectors * 512;
                                return 0;
                        }
                        snprintf(why, whylen, "le nœud /dev/%s n'est pas apparu", name);
                } else if (r >= 0)
                        snprintf(why, whylen,
                                 "le noyau voit la partition %u (%s) avec %" PRIu64 " octets au lieu de %" PRIu64,
                                 partno, name, sectors * 512, expected_bytes);
                else
                        snprintf(why, whylen, "le noyau ne voit pas la partition %u", partno);
                if (rf_now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_msec(50);
        }
}

static bool part_is_data(const PedPartition *p) {
        return ped_partition_is_active(p) && !(p->type & PED_PARTITION_EXTENDED);
}

static void ped_device_closep(PedDevice **dev) {
        if (*dev) {
                ped_device_close(*dev);
                /* Out of libparted's cache: the next disk on this node may differ. */
                ped_device_destroy(*dev);
        }
}
DEFINE_TRIVIAL_CLEANUP_FUNC(PedDisk *, ped_disk_destroy)
DEFINE_TRIVIAL_CLEANUP_FUNC(PedGeometry *, ped_geometry_destroy)
DEFINE_TRIVIAL_CLEANUP_FUNC(PedConstraint *, ped_constraint_destroy)

/* The partition that must grow: the last one on the disk, which must be
 * root_partition when that is not 0. */
static int pick_root(PedDisk *disk, const char *devnode, unsigned root_partition, struct img_fit_result *res,
                     const struct fit_ctx *ctx, PedPartition **ret) {
        PedPartition *last = NULL, *root = NULL;
        for (PedPartition *p = ped_disk_next_partition(disk, NULL); p; p = ped_disk_next_partition(disk, p)) {
                if (!part_is_data(p))
                        continue;
                if (!last || p->geom.end > last->geom.end)
                        last = p;
                if (root_partition && p->num == (int) root_partition)
                        root = p;
        }
        if (!last)
                return fit_fail(res, ctx, -ENOENT, "%s : aucune partition dans la table", devnode);
        if (root_partition && !root)
                return fit_fail(res, ctx, -ENOENT, "%s : la partition racine %u du profil n'existe pas", devnode,
                                root_partition);
        if (root && root != last)
                return fit_fail(res, ctx, -EINVAL,
                                "%s : la partition racine %u n'est pas la dernière du disque (la partition %d la "
                                "suit) : impossible de l'agrandir",
                                devnode, root_partition, last->num);
        if (last->type & PED_PARTITION_LOGICAL)
                return fit_fail(res, ctx, -EOPNOTSUPP,
                                "%s : la dernière partition (%d) est une partition logique MBR : non prise en charge",
                                devnode, last->num);
        *ret = last;
        return 0;
}

/* A partition as the table has it, or as the kernel knows it (bytes). */
struct kpart {
        unsigned num;
        uint64_t start;
        uint64_t length;
        bool extended;
};

#define FIT_MAX_PARTS 256

/* The partitions of disk's table as the kernel must know them. */
static int table_partitions(PedDisk *disk, const char *devnode, struct img_fit_result *res, const struct fit_ctx *ctx,
                            struct kpart *out, size_t *n_out) {
        uint64_t ss = (uint64_t) disk->dev->sector_size;
        size_t n = 0;
        for (PedPartition *p = ped_disk_next_partition(disk, NULL); p; p = ped_disk_next_partition(disk, p)) {
                if (!ped_partition_is_active(p) || p->num < 1)
                        continue;
                if (n >= FIT_MAX_PARTS)
                        return fit_fail(res, ctx, -E2BIG, "%s : plus de %d partitions", devnode, FIT_MAX_PARTS);
                out[n++] = (struct kpart){ .num = (unsigned) p->num,
                                           .start = (uint64_t) p->geom.start * ss,
                                           .length = (uint64_t) p->geom.length * ss,
                                           .extended = (p->type & PED_PARTITION_EXTENDED) != 0 };
        }
        *n_out = n;
        return 0;
}

/* Reads the table, grows the root partition, writes the table. want[]:
 * the partitions of the new table (*n_want of them). */
static int fit_table(const char *devnode, unsigned root_partition, struct img_fit_result *res, struct fit_ctx *ctx,
                     struct kpart *want, size_t *n_want) {
        _cleanup_(ped_device_closep) PedDevice *dev = ped_device_get(devnode);
        if (!dev)
                return fit_fail(res, ctx, -EIO, "%s : libparted ne peut pas lire le disque", devnode);
        if (!ped_device_open(dev)) {
                ped_device_destroy(TAKE_PTR(dev));
                return fit_fail(res, ctx, -EIO, "%s : libparted ne peut pas ouvrir le disque", devnode);
        }
        _cleanup_(ped_disk_destroyp) PedDisk *disk = ped_disk_new(dev);
        if (!disk)
                return fit_fail(res, ctx, -EBADMSG, "%s : table de partitions absente ou illisible", devnode);

        const char *label = disk->type->name;
        res->table_gpt = strcmp(label, "gpt") == 0;
        res->backup_moved = ctx->backup_moved;
        if (!res->table_gpt && strcmp(label, "msdos") != 0)
                return fit_fail(res, ctx, -EOPNOTSUPP,
                                "%s : table de partitions « %s » non prise en charge (gpt ou msdos attendu)", devnode,
                                label);

        PedPartition *part = NULL;
        int r = pick_root(disk, devnode, root_partition, res, ctx, &part);
        if (r < 0)
                return r;
        if (!part)
                return -ENOENT;
        long long ss = dev->sector_size;
        res->partno = (unsigned) part->num;
        res->part_start = (uint64_t) part->geom.start * (uint64_t) ss;
        res->part_size_before = (uint64_t) part->geom.length * (uint64_t) ss;

        /* msdos tables otherwise end partitions on a (fictitious) cylinder
         * boundary, up to 8 MiB short of the end. */
        if (ped_disk_is_flag_available(disk, PED_DISK_CYLINDER_ALIGNMENT))
                (void) ped_disk_set_flag(disk, PED_DISK_CYLINDER_ALIGNMENT, 0);
        _cleanup_(ped_constraint_destroyp) PedConstraint *any = ped_constraint_any(dev);
        _cleanup_(ped_geometry_destroyp) PedGeometry *max =
                any ? ped_disk_get_max_partition_geometry(disk, part, any) : NULL;
        if (!max)
                return fit_fail(res, ctx, -EIO, "%s : place libre après la partition %d introuvable", devnode,
                                part->num);
        PedSector end = max->end;
        PedSector max_len = ped_disk_max_partition_length(disk);
        if (max_len > 0 && end > part->geom.start + max_len - 1)
                end = part->geom.start + max_len - 1;
        /* End on a 1 MiB boundary: start (1 MiB aligned in the images) and
         * size stay multiples of 1 MiB. */
        PedSector per_mib = (PedSector) (MiB / (uint64_t) ss);
        if (per_mib > 0)
                end = (end + 1) / per_mib * per_mib - 1;
        if (end > part->geom.end) {
                PedGeometry geom = { .dev = dev, .start = part->geom.start, .length = end - part->geom.start + 1,
                                     .end = end };
                _cleanup_(ped_constraint_destroyp) PedConstraint *exact = ped_constraint_exact(&geom);
                if (!exact || !ped_disk_set_partition_geom(disk, part, exact, geom.start, geom.end))
                        return fit_fail(res, ctx, -EIO,
                                        "%s : impossible d'étendre la partition %d jusqu'au secteur %lld", devnode,
                                        part->num, (long long) end);
        }

        r = table_partitions(disk, devnode, res, ctx, want, n_want);
        if (r < 0)
                return r;

        /* Only the disk: the kernel is told below, by us. Debian's
         * libparted runs "udevadm settle" (up to 120 s) in
         * ped_disk_commit_to_os, which never settles while the caller
         * holds the disk's flock: udevd postpones that disk's events. */
        if (!ped_disk_commit_to_dev(disk))
                return fit_fail(res, ctx, -EIO, "%s : échec de l'écriture de la table de partitions", devnode);
        return 0;
}

/* The partitions the kernel knows on the disk at sysdir. */
static int kernel_partitions(const char *sysdir, struct kpart *out, size_t *n_out) {
        _cleanup_closedir_ DIR *d = opendir(sysdir);
        if (!d)
                return negative_errno();
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) && n < FIT_MAX_PARTS) {
                if (de->d_name[0] == '.')
                        continue;
                char path[PATH_MAX];
                uint64_t v[3];
                static const char *const attrs[] = { "partition", "start", "size" };
                bool ok = true;
                for (size_t i = 0; i < 3 && ok; i++) {
                        _cleanup_free_ char *text = NULL;
                        snprintf(path, sizeof(path), "%s/%s/%s", sysdir, de->d_name, attrs[i]);
                        char *end = NULL;
                        ok = rf_read_line(path, &text) >= 0;
                        if (ok) {
                                errno = 0;
                                unsigned long long x = strtoull(text, &end, 10);
                                ok = errno == 0 && end != text && !*end && x <= UINT64_MAX / 512;
                                v[i] = x;
                        }
                }
                if (!ok || v[0] == 0 || v[0] > FIT_MAX_PARTS)
                        continue;
                out[n++] = (struct kpart){ .num = (unsigned) v[0], .start = v[1] * 512, .length = v[2] * 512 };
        }
        *n_out = n;
        return 0;
}

static int blkpg(int fd, int op, const struct kpart *p) {
        struct blkpg_partition bp = { .start = (long long) p->start, .length = (long long) p->length,
                                      .pno = (int) p->num };
        struct blkpg_ioctl_arg arg = { .op = op, .datalen = sizeof(bp), .data = &bp };
        return ioctl(fd, BLKPG, &arg) < 0 ? negative_errno() : 0;
}

/* Tell the kernel the new table with BLKPG, as libparted does: partitions
 * that moved or went away are removed, grown ones resized, new ones added. */
static int sync_kernel(const char *devnode, const char *sysdir, const struct kpart *want, size_t n_want,
                       struct img_fit_result *res) {
        _cleanup_free_ struct kpart *have = calloc(FIT_MAX_PARTS, sizeof(struct kpart));
        if (!have)
                return -ENOMEM;
        size_t n_have = 0;
        int r = kernel_partitions(sysdir, have, &n_have);
        if (r < 0)
                return fit_fail(res, NULL, r, "%s : partitions du noyau illisibles (%s)", sysdir, strerror(-r));
        _cleanup_close_ int fd = open(devnode, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return fit_fail(res, NULL, negative_errno(), "%s : %s", devnode, strerror(errno));

        for (size_t i = 0; i < n_have; i++) {
                const struct kpart *w = NULL;
                for (size_t j = 0; j < n_want && !w; j++)
                        if (want[j].num == have[i].num)
                                w = &want[j];
                if (w && w->start == have[i].start)
                        continue;
                r = blkpg(fd, BLKPG_DEL_PARTITION, &have[i]);
                if (r < 0 && r != -ENXIO)
                        return fit_fail(res, NULL, r,
                                        "%s : le noyau refuse de retirer l'ancienne partition %u (%s) : utilisée ?",
                                        devnode, have[i].num, strerror(-r));
                have[i].num = 0;
        }
        for (size_t j = 0; j < n_want; j++) {
                struct kpart w = want[j];
                const struct kpart *h = NULL;
                for (size_t i = 0; i < n_have && !h; i++)
                        if (have[i].num == w.num)
                                h = &have[i];
                if (w.extended) {
                        /* The kernel sees an extended partition as its
                         * first 1 KiB (the link to the logical ones). */
                        if (h)
                                continue;
                        w.length = MIN(w.length, (uint64_t) 1024);
                }
                if (h && h->length == w.length)
                        continue;
                r = blkpg(fd, h ? BLKPG_RESIZE_PARTITION : BLKPG_ADD_PARTITION, &w);
                if (r < 0)
                        return fit_fail(res, NULL, r, "%s : le noyau refuse %s la partition %u (%s)", devnode,
                                        h ? "d'agrandir" : "d'ajouter", w.num, strerror(-r));
        }
        return 0;
}

static int wait_node(const char *devnode, const char *sysdir, uint64_t expected, struct img_fit_result *res) {
        char why[160] = "";
        int r = wait_partition_node(sysdir, res->partno, expected, res, why, sizeof(why));
        if (r < 0)
                return fit_fail(res, NULL, r, "%s : partition %u introuvable après 10 s : %s", devnode, res->partno,
                                why);
        return 0;
}

static int fit_locked(const char *devnode, unsigned root_partition, struct img_fit_result *res, struct fit_ctx *ctx) {
        char sysdir[64];
        int r = sysfs_dir_of(devnode, sysdir, sizeof(sysdir));
        if (r < 0)
                return fit_fail(res, NULL, r, "%s : pas un périphérique bloc utilisable (%s)", devnode,
                                strerror(-r));
        if (loop_without_partscan(sysdir))
                return fit_fail(res, NULL, -EOPNOTSUPP,
                                "%s : périphérique loop sans lecture des partitions (à attacher avec losetup -P)",
                                devnode);
        _cleanup_free_ struct kpart *want = calloc(FIT_MAX_PARTS, sizeof(struct kpart));
        if (!want)
                return -ENOMEM;
        size_t n_want = 0;
        r = fit_table(devnode, root_partition, res, ctx, want, &n_want);
        if (r < 0)
                return r;
        r = sync_kernel(devnode, sysdir, want, n_want, res);
        if (r < 0)
                return r;
        uint64_t expected = 0;
        for (size_t i = 0; i < n_want; i++)
                if (want[i].num == res->partno)
                        expected = want[i].length;
        return wait_node(devnode, sysdir, expected, res);
}

/* The table as it is on the disk now, told to the kernel again. */
static int resync_locked(const char *devnode, struct img_fit_result *res, struct fit_ctx *ctx) {
        char sysdir[64];
        int r = sysfs_dir_of(devnode, sysdir, sizeof(sysdir));
        if (r < 0)
                return fit_fail(res, NULL, r, "%s : pas un périphérique bloc utilisable (%s)", devnode,
                                strerror(-r));
        _cleanup_free_ struct kpart *want = calloc(FIT_MAX_PARTS, sizeof(struct kpart));
        if (!want)
                return -ENOMEM;
        size_t n_want = 0;
        {
                _cleanup_(ped_device_closep) PedDevice *dev = ped_device_get(devnode);
                if (!dev || !ped_device_open(dev)) {
                        if (dev)
                                ped_device_destroy(TAKE_PTR(dev));
                        return fit_fail(res, ctx, -EIO, "%s : libparted ne peut pas relire le disque", devnode);
                }
                _cleanup_(ped_disk_destroyp) PedDisk *disk = ped_disk_new(dev);
                if (!disk)
                        return fit_fail(res, ctx, -EBADMSG, "%s : table de partitions illisible à la relecture",
                                        devnode);
                r = table_partitions(disk, devnode, res, ctx, want, &n_want);
                if (r < 0)
                        return r;
        }
        r = sync_kernel(devnode, sysdir, want, n_want, res);
        if (r < 0)
                return r;
        return wait_node(devnode, sysdir, res->part_size_after, res);
}

/* Runs f with libparted to ourselves (one fit at a time in the process). */
static int with_libparted(int (*f)(const char *, struct img_fit_result *, struct fit_ctx *, unsigned),
                          const char *devnode, struct img_fit_result *res, unsigned arg) {
        struct fit_ctx ctx = { .messages = "" };
        pthread_mutex_lock(&fit_lock);
        PedExceptionHandler *old = ped_exception_get_handler();
        ped_exception_set_handler(fit_exception_handler);
        fit_current = &ctx;
        int r = f(devnode, res, &ctx, arg);
        fit_current = NULL;
        ped_exception_set_handler(old);
        pthread_mutex_unlock(&fit_lock);
        return r;
}

static int resync_cb(const char *devnode, struct img_fit_result *res, struct fit_ctx *ctx, unsigned unused) {
        return resync_locked(devnode, res, ctx);
}

static int fit_cb(const char *devnode, struct img_fit_result *res, struct fit_ctx *ctx, unsigned root_partition) {
        return fit_locked(devnode, root_partition, res, ctx);
}

int img_fit_resync(const char *devnode, struct img_fit_result *res) {
        if (!devnode || !res || res->partno == 0 || res->part_size_after == 0)
                return -EINVAL;
        res->detail[0] = '\0';
        return with_libparted(resync_cb, devnode, res, 0);
}

int img_fit_partition(const char *devnode, unsigned root_partition, struct img_fit_result *res) {
        if (!devnode || !res)
                return -EINVAL;
        *res = (struct img_fit_result){ 0 };
        return with_libparted(fit_cb, devnode, res, root_partition);
}
