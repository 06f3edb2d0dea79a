/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one place that decides whether a device may be erased. Rules, in this
 * order: not a whole disk, not on a bay, no medium, read-only, the bench's
 * own disk, active swap, mounted, held by dm/md. Every answer comes from
 * sysfs, mountinfo and swaps read through the paths in the environment, so
 * unit tests run the same code against a fake tree. When in doubt (a file
 * cannot be read, the device changed under us) the check fails, and the
 * caller refuses. */
#include "wipe-safety.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rf-macro.h"
#include "rf-util.h"

/* Deepest stack of devices followed (partition, dm, md, loop, overlay). */
#define MAX_DEPTH 16
/* mountinfo of a container host can be large, but not that large. */
#define PROC_FILE_MAX (64 * MiB)

/* ---- sets of device numbers -------------------------------------------- */

/* Small and bounded: more devices than this under one path is refused
 * (-E2BIG) rather than half-checked. */
struct devset {
        dev_t v[256];
        size_t n;
};

static bool devset_has(const struct devset *s, dev_t d) {
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i] == d)
                        return true;
        return false;
}

static int devset_add(struct devset *s, dev_t d) {
        if (devset_has(s, d))
                return 0;
        if (s->n == ELEMENTSOF(s->v))
                return -E2BIG;
        s->v[s->n++] = d;
        return 0;
}

static bool devset_intersects(const struct devset *a, const struct devset *b) {
        for (size_t i = 0; i < a->n; i++)
                if (devset_has(b, a->v[i]))
                        return true;
        return false;
}

/* ---- sysfs ------------------------------------------------------------- */

/* dir/name into buf; sysfs and /dev paths are short, a longer one is an
 * error rather than a truncated path. */
static int join(char buf[static PATH_MAX], const char *dir, const char *name) {
        int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);
        return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static bool file_exists_in(const char *dir, const char *name) {
        char p[PATH_MAX];
        return join(p, dir, name) >= 0 && access(p, F_OK) == 0;
}

static int read_attr(const char *dir, const char *name, char **ret) {
        char p[PATH_MAX];
        *ret = NULL;
        int r = join(p, dir, name);
        return r < 0 ? r : rf_read_line(p, ret);
}

static int parse_devnum(const char *s, dev_t *ret) {
        unsigned ma, mi;
        char extra;
        if (!s || sscanf(s, "%u:%u%c", &ma, &mi, &extra) != 2)
                return -EINVAL;
        *ret = makedev(ma, mi);
        return 0;
}

static int read_devnum(const char *dir, dev_t *ret) {
        char *s = NULL;
        int r = read_attr(dir, "dev", &s);
        if (r >= 0)
                r = parse_devnum(s, ret);
        free(s);
        return r;
}

/* The sysfs directory of a block device, symlinks resolved ("/sys/devices/
 * .../block/sda/sda1"); -ENOENT when the kernel does not know the number. */
static int sysfs_dev_dir(const struct wipe_safety_env *env, dev_t d, char **ret) {
        char link[PATH_MAX], num[32];
        snprintf(num, sizeof(num), "dev/block/%u:%u", major(d), minor(d));
        int r = join(link, env->sysfs_root, num);
        if (r < 0)
                return r;
        *ret = realpath(link, NULL);
        return *ret ? 0 : negative_errno();
}

/* The last component of a sysfs directory: the kernel name. */
static const char *dir_name(const char *dir) {
        const char *slash = strrchr(dir, '/');
        return slash ? slash + 1 : dir;
}

/* "/dev/sdb1" or "/dev/dm-0": the kernel name through sysfs first (works
 * without device nodes, and in tests), then the node itself. */
static int resolve_block_path(const struct wipe_safety_env *env, const char *path, dev_t *ret) {
        char dir[PATH_MAX];
        if (strncmp(path, "/dev/", 5) == 0 && path[5] && !strchr(path + 5, '/') &&
            snprintf(dir, sizeof(dir), "%s/class/block/%s", env->sysfs_root, path + 5) < (int) sizeof(dir) &&
            read_devnum(dir, ret) >= 0)
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
static void unescape_octal(char *s) {
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

struct mount_entry {
        int id;
        dev_t devnum;
        const char *mountpoint, *fstype, *source, *superopts;
};

/* Split one mountinfo line (modified in place):
 *   id parent maj:min root mountpoint options [optional...] - fstype source superopts
 * -EINVAL for a line that does not parse (callers skip it). */
static int parse_mountinfo_line(char *line, struct mount_entry *m) {
        char *fields[64];
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " ", &save); t && n < ELEMENTSOF(fields); t = strtok_r(NULL, " ", &save))
                fields[n++] = t;
        size_t sep = 6;
        while (sep < n && strcmp(fields[sep], "-") != 0)
                sep++;
        if (n < 7 || sep + 2 >= n || sscanf(fields[0], "%d", &m->id) != 1 || parse_devnum(fields[2], &m->devnum) < 0)
                return -EINVAL;
        unescape_octal(fields[4]);
        unescape_octal(fields[sep + 2]);
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
typedef int (*entry_fn)(const char *path, const char *name, void *userdata);
static int for_each_entry(const char *dir, const char *sub, entry_fn fn, void *userdata) {
        char path[PATH_MAX], p[PATH_MAX];
        int r = join(path, dir, sub);
        if (r < 0)
                return r;
        DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        for (struct dirent *e; r == 0 && (e = readdir(d));)
                if (e->d_name[0] != '.')
                        r = join(p, path, e->d_name) < 0 ? -ENAMETOOLONG : fn(p, e->d_name, userdata);
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
        return read_devnum(path, &d) < 0 ? 0 : devset_add(userdata, d);
}

/* One btrfs filesystem (sysfs fs/btrfs/<uuid>): if w->target is one of
 * its devices, all of them. */
static int btrfs_fs(const char *path, const char *name, void *userdata) {
        const struct walk *w = userdata;
        struct devset members = { 0 };
        int r = for_each_entry(path, "devices", add_devnum_of, &members);
        if (r >= 0 && devset_has(&members, w->target))
                for (size_t i = 0; r >= 0 && i < members.n; i++)
                        r = collect_disks(w, members.v[i]);
        return r < 0 ? r : 0;
}

/* Every device of the btrfs filesystem that has d among its devices. */
static int add_btrfs_siblings(const struct walk *w, dev_t d) {
        struct walk sub = *w;
        sub.target = d;
        return for_each_entry(w->env->sysfs_root, "fs/btrfs", btrfs_fs, &sub);
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
                        unescape_octal(p);
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
                if (parse_mountinfo_line(line, &m) < 0 || (mnt_id >= 0 ? m.id != mnt_id : m.devnum != d))
                        continue;
                if (m.source[0] == '/' && resolve_block_path(w->env, m.source, &src) >= 0) {
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
        return read_devnum(path, &d) < 0 ? 0 : collect_disks(userdata, d);
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
        int r = sysfs_dev_dir(w.env, d, &dir);
        if (r == -ENOENT)
                return 0; /* not a block device the kernel knows: nothing below */
        if (r < 0)
                return r;
        if (file_exists_in(dir, "partition"))
                *strrchr(dir, '/') = '\0';

        dev_t disk = 0;
        char *backing = NULL;
        struct stat st;
        r = read_devnum(dir, &disk);
        if (r >= 0 && !devset_has(w.set, disk)) {
                r = devset_add(w.set, disk);
                if (r >= 0)
                        r = for_each_entry(dir, "slaves", add_slave, &w);
                if (r >= 0 && read_attr(dir, "loop/backing_file", &backing) >= 0 && stat(backing, &st) >= 0) {
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

static int disks_under(const struct wipe_safety_env *env, dev_t d, bool follow_files, struct devset *set) {
        const struct walk w = { .env = env, .set = set, .follow_files = follow_files };
        return collect_disks(&w, d);
}

static int disks_under_path(const struct wipe_safety_env *env, const char *path, const struct stat *st,
                            struct devset *set) {
        const struct walk w = { .env = env, .set = set, .follow_files = true };
        return collect_path(&w, path, st);
}

/* ---- the candidate disk and its partitions ----------------------------- */

struct part {
        dev_t devnum;
        char name[64];
        char *dir;
};

struct disk {
        struct part *parts; /* [0] is the disk itself */
        size_t n_parts;
};

static void disk_done(struct disk *k) {
        for (size_t i = 0; i < k->n_parts; i++)
                free(k->parts[i].dir);
        free(k->parts);
        *k = (struct disk){ 0 };
}

static int disk_add_part(const char *dir, const char *name, void *userdata) {
        struct disk *k = userdata;
        dev_t d;
        if (k->n_parts > 0 && !file_exists_in(dir, "partition"))
                return 0; /* queue/, holders/, ... */
        int r = read_devnum(dir, &d);
        if (r < 0)
                return r;
        struct part *p = reallocarray(k->parts, k->n_parts + 1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        k->parts = p;
        p = &k->parts[k->n_parts];
        *p = (struct part){ .devnum = d, .dir = strdup(dir) };
        if (!p->dir)
                return -ENOMEM;
        snprintf(p->name, sizeof(p->name), "%s", name);
        k->n_parts++;
        return 0;
}

/* The disk and its partitions, as sysfs lists them. */
static int disk_load(const char *dir, struct disk *k) {
        int r = disk_add_part(dir, dir_name(dir), k);
        return r < 0 ? r : for_each_entry(dir, ".", disk_add_part, k);
}

static const struct part *disk_find(const struct disk *k, dev_t d) {
        for (size_t i = 0; i < k->n_parts; i++)
                if (k->parts[i].devnum == d)
                        return &k->parts[i];
        return NULL;
}

/* detail: formatted, then made valid UTF-8 that fits (mount points may come
 * from disk labels). */
_printf_(3, 4) static int refuse(struct wipe_refusal *ret, enum wipe_refusal_code code, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        char *clean = wipe_sanitize_text(buf, sizeof(ret->detail) - 1);
        ret->code = code;
        snprintf(ret->detail, sizeof(ret->detail), "%s", clean ? clean : "");
        free(clean);
        return 1;
}

/* ---- the rules --------------------------------------------------------- */

/* Does the disk set of protected device d (or path, when not NULL) meet
 * cand? */
static int protected_hits(const struct wipe_safety_env *env, dev_t d, const char *path, const struct stat *st,
                          const struct devset *cand) {
        struct devset set = { 0 };
        int r = path ? disks_under_path(env, path, st, &set) : disks_under(env, d, true, &set);
        return r < 0 ? r : devset_intersects(cand, &set);
}

static int check_system(const struct wipe_safety_env *env, const struct devset *cand, struct wipe_refusal *ret) {
        const char *const none[] = { NULL };
        const char *const extra[] = { env->extra_protected_path, NULL };
        const char *const *lists[] = { env->protected_paths ? env->protected_paths : none, extra };

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (const char *const *p = lists[l]; *p; p++) {
                        struct stat st;
                        if (stat(*p, &st) < 0) {
                                if (errno == ENOENT || errno == ENOTDIR)
                                        continue; /* missing paths are skipped */
                                return negative_errno();
                        }
                        int r = protected_hits(env, st.st_dev, *p, &st, cand);
                        if (r != 0)
                                return r < 0 ? r : refuse(ret, WIPE_REFUSAL_SYSTEM_DISK, "%s", *p);
                }

        for (size_t i = 0; env->protected_devnums && i < env->n_protected_devnums; i++) {
                dev_t d = env->protected_devnums[i];
                int r = protected_hits(env, d, NULL, NULL, cand);
                if (r != 0)
                        return r < 0 ? r : refuse(ret, WIPE_REFUSAL_SYSTEM_DISK, "%u:%u", major(d), minor(d));
        }
        return 0;
}

/* Is the swap area in /proc/swaps line on disk? */
static int swap_line_hits(const struct wipe_safety_env *env, char *name, const char *type, dev_t disk) {
        struct devset set = { 0 };
        dev_t d = 0;
        int r;
        unescape_octal(name);
        if (strcmp(type, "partition") == 0) {
                /* An active swap device we cannot place: fail closed. */
                r = resolve_block_path(env, name, &d);
                if (r >= 0)
                        r = disks_under(env, d, false, &set);
        } else {
                struct stat st;
                /* Swap files that vanished (" (deleted)") hold no disk. */
                r = stat(name, &st) < 0 ? 0 : disks_under_path(env, name, &st, &set);
        }
        return r < 0 ? r : devset_has(&set, disk);
}

static int check_swap_in(const struct wipe_safety_env *env, char *text, dev_t disk, struct wipe_refusal *ret) {
        char *save = NULL;
        (void) strtok_r(text, "\n", &save); /* the header */
        for (char *line; (line = strtok_r(NULL, "\n", &save));) {
                char *save2 = NULL, *name = strtok_r(line, " \t", &save2), *type = strtok_r(NULL, " \t", &save2);
                if (!name || !type)
                        continue;
                int r = swap_line_hits(env, name, type, disk);
                if (r != 0)
                        return r < 0 ? r : refuse(ret, WIPE_REFUSAL_SWAP, "%s", name);
        }
        return 0;
}

static int check_swap(const struct wipe_safety_env *env, dev_t disk, struct wipe_refusal *ret) {
        char *text = NULL;
        int r = rf_read_file(env->swaps_path, PROC_FILE_MAX, &text, NULL);
        if (r == -ENOENT)
                return 0; /* a kernel without swap support */
        if (r >= 0)
                r = check_swap_in(env, text, disk, ret);
        free(text);
        return r;
}

/* The partition (or the disk) a mount entry sits on, or NULL. */
static int mount_part(const struct wipe_safety_env *env, const struct disk *k, const struct mount_entry *m,
                      const struct part **ret) {
        dev_t src = 0;
        *ret = disk_find(k, m->devnum);
        /* btrfs and others show an anonymous number: use the source. */
        if (*ret || m->source[0] != '/' || resolve_block_path(env, m->source, &src) < 0)
                return 0;
        *ret = disk_find(k, src);
        if (*ret || strcmp(m->fstype, "btrfs") != 0)
                return 0;
        /* A multi-device btrfs shows one of its devices only. */
        struct devset sib = { 0 };
        const struct walk w = { .env = env, .set = &sib, .follow_files = true };
        int r = add_btrfs_siblings(&w, src);
        if (r >= 0 && devset_has(&sib, k->parts[0].devnum))
                *ret = &k->parts[0];
        return r;
}

static int check_mounted_in(const struct wipe_safety_env *env, char *text, const struct disk *k,
                            struct wipe_refusal *ret) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct mount_entry m;
                const struct part *p = NULL;
                if (parse_mountinfo_line(line, &m) < 0)
                        continue;
                int r = mount_part(env, k, &m, &p);
                if (r < 0)
                        return r;
                if (p)
                        return refuse(ret, WIPE_REFUSAL_MOUNTED, "/dev/%s sur %s", p->name, m.mountpoint);
        }
        return 0;
}

static int check_mounted(const struct wipe_safety_env *env, const struct disk *k, struct wipe_refusal *ret) {
        char *text = NULL;
        int r = rf_read_file(env->mountinfo_path, PROC_FILE_MAX, &text, NULL);
        if (r >= 0)
                r = check_mounted_in(env, text, k, ret);
        free(text);
        return r;
}

/* Is name one of the items of the ", " separated list? */
static bool list_has(const char *list, const char *name) {
        size_t n = strlen(name);
        for (const char *p = list; (p = strstr(p, name)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
                        return true;
        return false;
}

/* The holders found so far: dm, md, bcache... and loop devices. */
struct held {
        const struct wipe_safety_env *env;
        const struct disk *k;
        char names[sizeof(((struct wipe_refusal *) NULL)->detail)];
};

static int add_holder(const char *path, const char *name, void *userdata) {
        struct held *h = userdata;
        size_t len = strlen(h->names);
        if (!list_has(h->names, name))
                snprintf(h->names + len, sizeof(h->names) - len, "%s%s", len ? ", " : "", name);
        return 0;
}

/* A loop device set up on the disk or on a partition: not in holders/. */
static int add_loop_user(const char *path, const char *name, void *userdata) {
        struct held *h = userdata;
        char *backing = NULL;
        dev_t d = 0;
        bool hit = read_attr(path, "loop/backing_file", &backing) >= 0 &&
                   resolve_block_path(h->env, backing, &d) >= 0 && disk_find(h->k, d);
        free(backing);
        return hit ? add_holder(path, name, h) : 0;
}

static int check_held(const struct wipe_safety_env *env, const struct disk *k, struct wipe_refusal *ret) {
        struct held h = { .env = env, .k = k };
        int r = 0;
        for (size_t i = 0; r >= 0 && i < k->n_parts; i++)
                r = for_each_entry(k->parts[i].dir, "holders", add_holder, &h);
        if (r >= 0)
                r = for_each_entry(env->sysfs_root, "class/block", add_loop_user, &h);
        if (r < 0)
                return r;
        return h.names[0] ? refuse(ret, WIPE_REFUSAL_HELD, "%s", h.names) : 0;
}

/* Swap, mounts and holders: the rules that look at the partitions too. */
static int check_users(const struct wipe_safety_env *env, const char *dir, dev_t disk, struct wipe_refusal *ret) {
        int r = check_swap(env, disk, ret);
        if (r != 0)
                return r;
        struct disk k = { 0 };
        r = disk_load(dir, &k);
        if (r >= 0)
                r = check_mounted(env, &k, ret);
        if (r == 0)
                r = check_held(env, &k, ret);
        disk_done(&k);
        return r;
}

/* 1 if attribute name of dir is anything but "0", 0 if it is "0". */
static int attr_nonzero(const char *dir, const char *name) {
        char *v = NULL;
        int r = read_attr(dir, name, &v);
        if (r >= 0)
                r = strcmp(v, "0") != 0;
        free(v);
        return r;
}

static int check_dir(const struct wipe_safety_env *env, const struct wipe_device *dev, char *dir,
                     struct wipe_refusal *ret) {
        /* The number must still name the device the model describes. */
        if (strcmp(dir_name(dir), dev->sysname) != 0)
                return -ESTALE;

        if (file_exists_in(dir, "partition")) {
                *strrchr(dir, '/') = '\0';
                return refuse(ret, WIPE_REFUSAL_NOT_WHOLE_DISK, "/dev/%s", dir_name(dir));
        }

        if (wipe_bay_find(env->bays, env->n_bays, dev->devnode, dev->id_path) < 0)
                return refuse(ret, WIPE_REFUSAL_NOT_ON_BAY, "%s", dev->id_path ? dev->id_path : "");

        int r = attr_nonzero(dir, "size");
        if (r < 0)
                return r;
        if (dev->size == 0 || r == 0)
                return refuse(ret, WIPE_REFUSAL_NO_MEDIUM, "%s", "");
        r = attr_nonzero(dir, "ro");
        if (r < 0)
                return r;
        if (dev->read_only || r > 0)
                return refuse(ret, WIPE_REFUSAL_READ_ONLY, "%s", "");

        /* What erasing this device writes to: itself and, for a loop device
         * on a block device, that device. */
        struct devset cand = { 0 };
        r = disks_under(env, dev->devnum, false, &cand);
        if (r >= 0)
                r = check_system(env, &cand, ret);
        if (r != 0)
                return r;

        return check_users(env, dir, dev->devnum, ret);
}

int wipe_safety_check(const struct wipe_safety_env *env, const struct wipe_device *dev, struct wipe_refusal *ret) {
        if (!env || !env->sysfs_root || !env->mountinfo_path || !env->swaps_path || !dev || !dev->sysname ||
            !dev->devnode || !ret)
                return -EINVAL;
        *ret = (struct wipe_refusal){ .code = WIPE_REFUSAL_NONE };

        char *dir = NULL;
        int r = sysfs_dev_dir(env, dev->devnum, &dir);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        r = check_dir(env, dev, dir, ret);
        free(dir);
        if (r < 0)
                *ret = (struct wipe_refusal){ .code = WIPE_REFUSAL_NONE };
        return r;
}
