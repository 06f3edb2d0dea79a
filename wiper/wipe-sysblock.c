/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block device stacks as sysfs and mountinfo describe them. */
#include "wipe-sysblock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "rf-util.h"

/* Deepest stack of devices followed (partition, dm, md, loop, overlay). */
#define MAX_DEPTH 16

/* ---- sets of device numbers -------------------------------------------- */


bool wipe_sb_devset_has(const struct devset *s, dev_t d) {
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i] == d)
                        return true;
        return false;
}

int wipe_sb_devset_add(struct devset *s, dev_t d) {
        if (wipe_sb_devset_has(s, d))
                return 0;
        if (s->n == ELEMENTSOF(s->v))
                return -E2BIG;
        s->v[s->n++] = d;
        return 0;
}

bool wipe_sb_devset_intersects(const struct devset *a, const struct devset *b) {
        for (size_t i = 0; i < a->n; i++)
                if (wipe_sb_devset_has(b, a->v[i]))
                        return true;
        return false;
}

/* ---- sysfs ------------------------------------------------------------- */

/* dir/name into buf; sysfs and /dev paths are short, a longer one is an
 * error rather than a truncated path. */
int wipe_sb_join(char buf[static PATH_MAX], const char *dir, const char *name) {
        int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);
        return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

bool wipe_sb_file_exists_in(const char *dir, const char *name) {
        char p[PATH_MAX];
        return wipe_sb_join(p, dir, name) >= 0 && access(p, F_OK) == 0;
}

int wipe_sb_read_attr(const char *dir, const char *name, char **ret) {
        char p[PATH_MAX];
        *ret = NULL;
        int r = wipe_sb_join(p, dir, name);
        return r < 0 ? r : rf_read_line(p, ret);
}

int wipe_sb_parse_devnum(const char *s, dev_t *ret) {
        unsigned ma, mi;
        char extra;
        if (!s || sscanf(s, "%u:%u%c", &ma, &mi, &extra) != 2)
                return -EINVAL;
        *ret = makedev(ma, mi);
        return 0;
}

int wipe_sb_read_devnum(const char *dir, dev_t *ret) {
        char *s = NULL;
        int r = wipe_sb_read_attr(dir, "dev", &s);
        if (r >= 0)
                r = wipe_sb_parse_devnum(s, ret);
        free(s);
        return r;
}

/* The sysfs directory of a block device, symlinks resolved ("/sys/devices/
 * .../block/sda/sda1"); -ENOENT when the kernel does not know the number. */
int wipe_sb_sysfs_dev_dir(const struct wipe_safety_env *env, dev_t d, char **ret) {
        char link[PATH_MAX], num[32];
        snprintf(num, sizeof(num), "dev/block/%u:%u", major(d), minor(d));
        int r = wipe_sb_join(link, env->sysfs_root, num);
        if (r < 0)
                return r;
        *ret = realpath(link, NULL);
        return *ret ? 0 : negative_errno();
}

/* The last component of a sysfs directory: the kernel name. */
const char *wipe_sb_dir_name(const char *dir) {
        const char *slash = strrchr(dir, '/');
        return slash ? slash + 1 : dir;
}

/* "/dev/sdb1" or "/dev/dm-0": the kernel name through sysfs first (works
 * without device nodes, and in tests), then the node itself. */
int wipe_sb_resolve_block_path(const struct wipe_safety_env *env, const char *path, dev_t *ret) {
        char dir[PATH_MAX];
        /* "/dev/NAME" with no further '/': its last slash is the fifth byte. */
        const char *slash = strrchr(path, '/');
        const char *name = slash && slash - path == 4 && strncmp(path, "/dev/", 5) == 0 ? slash + 1 : NULL;
        if (name && *name &&
            snprintf(dir, sizeof(dir), "%s/class/block/%s", env->sysfs_root, name) < (int) sizeof(dir) &&
            wipe_sb_read_devnum(dir, ret) >= 0)
                return 0;
        struct stat st;
        if (stat(path, &st) < 0)
                return negative_errno();
        if (!S_ISBLK(st.st_mode))
                return -ENOTBLK;
        *ret = st.st_rdev;
        return 0;
}

/* ---- /proc text -------------------------------------------------------- */

/* Undo the \NNN octal escapes of mountinfo and swaps, in place. */
void wipe_sb_unescape_octal(char *s) {
        char *w = s;
        for (const char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        char c = (char) ((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
                        if (c != '\0') {
                                *w++ = c;
                                r += 3;
                                continue;
                        }
                }
                *w++ = *r;
        }
        *w = '\0';
}


/* Split one mountinfo line (modified in place):
 *   id parent maj:min root mountpoint options [optional...] - fstype source superopts
 * -EINVAL for a line that does not parse (callers skip it). */
int wipe_sb_parse_mountinfo_line(char *line, struct mount_entry *m) {
        char *fields[64];
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " ", &save); t && n < ELEMENTSOF(fields); t = strtok_r(NULL, " ", &save))
                fields[n++] = t;
        size_t sep = 6;
        while (sep < n && strcmp(fields[sep], "-") != 0)
                sep++;
        if (n < 7 || sep + 2 >= n || sscanf(fields[0], "%d", &m->id) != 1 || wipe_sb_parse_devnum(fields[2], &m->devnum) < 0)
                return -EINVAL;
        wipe_sb_unescape_octal(fields[4]);
        wipe_sb_unescape_octal(fields[sep + 2]);
        m->mountpoint = fields[4];
        m->fstype = fields[sep + 1];
        m->source = fields[sep + 2];
        m->superopts = sep + 3 < n ? fields[sep + 3] : "";
        return 0;
}

/* Call fn(path, name, userdata) for each entry of dir/sub ("." ones
 * excepted), until one returns non-zero. A missing directory has no
 * entries; any other failure is returned, so that a list that cannot be read
 * is never taken for an empty one. */
int wipe_sb_for_each_entry(const char *dir, const char *sub, entry_fn fn, void *userdata) {
        char path[PATH_MAX], p[PATH_MAX];
        int r = wipe_sb_join(path, dir, sub);
        if (r < 0)
                return r;
        DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        for (struct dirent *e; r == 0 && (e = readdir(d));)
                if (e->d_name[0] != '.')
                        r = wipe_sb_join(p, path, e->d_name) < 0 ? -ENAMETOOLONG : fn(p, e->d_name, userdata);
        closedir(d);
        return r;
}

/* What collect_disks() is filling. */
struct walk {
        const struct wipe_safety_env *env;
        struct devset *set;
        bool follow_files; /* loop device on a file: the file's disk too */
        unsigned depth;
        dev_t target; /* btrfs: the device whose filesystem is looked for */
};

static int collect_disks(const struct walk *w, dev_t d);
static int collect_path(const struct walk *w, const char *path, const struct stat *st);

static int add_devnum_of(const char *path, const char *name, void *userdata) {
        dev_t d;
        return wipe_sb_read_devnum(path, &d) < 0 ? 0 : wipe_sb_devset_add(userdata, d);
}

/* One btrfs filesystem (sysfs fs/btrfs/<uuid>): if w->target is one of
 * its devices, all of them. */
static int btrfs_fs(const char *path, const char *name, void *userdata) {
        const struct walk *w = userdata;
        struct devset members = { 0 };
        int r = wipe_sb_for_each_entry(path, "devices", add_devnum_of, &members);
        if (r >= 0 && wipe_sb_devset_has(&members, w->target))
                for (size_t i = 0; r >= 0 && i < members.n; i++)
                        r = collect_disks(w, members.v[i]);
        return r < 0 ? r : 0;
}

/* Every device of the btrfs filesystem that has d among its devices. */
static int add_btrfs_siblings(const struct walk *w, dev_t d) {
        struct walk sub = *w;
        sub.target = d;
        return wipe_sb_for_each_entry(w->env->sysfs_root, "fs/btrfs", btrfs_fs, &sub);
}

/* overlayfs: the disks of its lower and upper directories. opts is
 * modified. */
static int add_overlay_dirs(const struct walk *w, char *opts) {
        char *save = NULL;
        for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (strncmp(o, "lowerdir=", 9) != 0 && strncmp(o, "upperdir=", 9) != 0)
                        continue;
                char *save2 = NULL;
                for (char *p = strtok_r(o + 9, ":", &save2); p; p = strtok_r(NULL, ":", &save2)) {
                        struct stat st;
                        wipe_sb_unescape_octal(p);
                        int r = stat(p, &st) < 0 ? 0 : collect_path(w, p, &st);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The mount with that id (mnt_id >= 0) or that device number. */
static int collect_mount_in(const struct walk *w, char *text, dev_t d, int mnt_id) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct mount_entry m;
                dev_t src = 0;
                int r = 0;
                if (wipe_sb_parse_mountinfo_line(line, &m) < 0 || (mnt_id >= 0 ? m.id != mnt_id : m.devnum != d))
                        continue;
                if (m.source[0] == '/' && wipe_sb_resolve_block_path(w->env, m.source, &src) >= 0) {
                        r = collect_disks(w, src);
                        if (r >= 0 && strcmp(m.fstype, "btrfs") == 0)
                                r = add_btrfs_siblings(w, src);
                } else if (strcmp(m.fstype, "overlay") == 0)
                        r = add_overlay_dirs(w, (char *) m.superopts);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A filesystem with an anonymous device number (btrfs, overlayfs, ...):
 * what mountinfo says it is made of. */
static int collect_mount(const struct walk *parent, dev_t d, int mnt_id) {
        struct walk w = *parent;
        if (++w.depth > MAX_DEPTH)
                return -ELOOP;
        char *text = NULL;
        int r = rf_read_file(w.env->mountinfo_path, PROC_FILE_MAX, &text, NULL);
        if (r >= 0)
                r = collect_mount_in(&w, text, d, mnt_id);
        free(text);
        return r;
}

/* The id of the mount holding path, as in mountinfo's first field. */
static int path_mount_id(const char *path, int *ret) {
        char fdinfo[64], *text = NULL;
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        snprintf(fdinfo, sizeof(fdinfo), "/proc/self/fdinfo/%d", fd);
        int r = rf_read_file(fdinfo, 64 * KiB, &text, NULL);
        close(fd);
        if (r >= 0) {
                const char *m = strstr(text, "\nmnt_id:");
                r = m && sscanf(m + 8, "%d", ret) == 1 ? 0 : -EIO;
        }
        free(text);
        return r;
}

/* The disks under the filesystem holding path (st: its stat()). btrfs gives
 * each subvolume its own anonymous number, one mountinfo does not show: find
 * the mount by its id instead. */
static int collect_path(const struct walk *w, const char *path, const struct stat *st) {
        int id = -1;
        if (major(st->st_dev) != 0 || path_mount_id(path, &id) < 0)
                return collect_disks(w, st->st_dev);
        return collect_mount(w, st->st_dev, id);
}

static int add_slave(const char *path, const char *name, void *userdata) {
        dev_t d;
        return wipe_sb_read_devnum(path, &d) < 0 ? 0 : collect_disks(userdata, d);
}

/* Add to w->set the whole disks under device d: its disk (when d is a
 * partition), the disks under dm/md/LVM devices (slaves/), the device behind
 * a loop device and, with follow_files, the disk holding a loop device's
 * backing file; for anonymous numbers (btrfs, overlayfs), what mountinfo
 * says the filesystem is made of. */
static int collect_disks(const struct walk *parent, dev_t d) {
        if (major(d) == 0)
                return collect_mount(parent, d, -1);
        struct walk w = *parent;
        if (++w.depth > MAX_DEPTH)
                return -ELOOP;

        char *dir = NULL;
        int r = wipe_sb_sysfs_dev_dir(w.env, d, &dir);
        if (r == -ENOENT)
                return 0; /* not a block device the kernel knows: nothing below */
        if (r < 0)
                return r;
        if (wipe_sb_file_exists_in(dir, "partition"))
                *strrchr(dir, '/') = '\0';

        dev_t disk = 0;
        char *backing = NULL;
        struct stat st;
        r = wipe_sb_read_devnum(dir, &disk);
        if (r >= 0 && !wipe_sb_devset_has(w.set, disk)) {
                r = wipe_sb_devset_add(w.set, disk);
                if (r >= 0)
                        r = wipe_sb_for_each_entry(dir, "slaves", add_slave, &w);
                if (r >= 0 && wipe_sb_read_attr(dir, "loop/backing_file", &backing) >= 0 && stat(backing, &st) >= 0) {
                        if (S_ISBLK(st.st_mode))
                                r = collect_disks(&w, st.st_rdev);
                        else if (w.follow_files)
                                r = collect_path(&w, backing, &st);
                }
        }
        free(backing);
        free(dir);
        return r;
}

int wipe_sb_disks_under(const struct wipe_safety_env *env, dev_t d, bool follow_files, struct devset *set) {
        const struct walk w = { .env = env, .set = set, .follow_files = follow_files };
        return collect_disks(&w, d);
}

int wipe_sb_disks_under_path(const struct wipe_safety_env *env, const char *path, const struct stat *st,
                            struct devset *set) {
        const struct walk w = { .env = env, .set = set, .follow_files = true };
        return collect_path(&w, path, st);
}


int wipe_sb_btrfs_siblings(const struct wipe_safety_env *env, dev_t d, struct devset *set) {
        const struct walk w = { .env = env, .set = set, .follow_files = true };
        return add_btrfs_siblings(&w, d);
}
