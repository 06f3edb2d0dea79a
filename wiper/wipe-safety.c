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
#include "wipe-sysblock.h"

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
        if (k->n_parts > 0 && !wipe_sb_file_exists_in(dir, "partition"))
                return 0; /* queue/, holders/, ... */
        int r = wipe_sb_read_devnum(dir, &d);
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
        int r = disk_add_part(dir, wipe_sb_dir_name(dir), k);
        return r < 0 ? r : wipe_sb_for_each_entry(dir, ".", disk_add_part, k);
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
        int r = path ? wipe_sb_disks_under_path(env, path, st, &set) : wipe_sb_disks_under(env, d, true, &set);
        return r < 0 ? r : wipe_sb_devset_intersects(cand, &set);
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
        wipe_sb_unescape_octal(name);
        if (strcmp(type, "partition") == 0) {
                /* An active swap device we cannot place: fail closed. */
                r = wipe_sb_resolve_block_path(env, name, &d);
                if (r >= 0)
                        r = wipe_sb_disks_under(env, d, false, &set);
        } else {
                struct stat st;
                /* Swap files that vanished (" (deleted)") hold no disk. */
                r = stat(name, &st) < 0 ? 0 : wipe_sb_disks_under_path(env, name, &st, &set);
        }
        return r < 0 ? r : wipe_sb_devset_has(&set, disk);
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
        if (*ret || m->source[0] != '/' || wipe_sb_resolve_block_path(env, m->source, &src) < 0)
                return 0;
        *ret = disk_find(k, src);
        if (*ret || strcmp(m->fstype, "btrfs") != 0)
                return 0;
        /* A multi-device btrfs shows one of its devices only. */
        struct devset sib = { 0 };
        int r = wipe_sb_btrfs_siblings(env, src, &sib);
        if (r >= 0 && wipe_sb_devset_has(&sib, k->parts[0].devnum))
                *ret = &k->parts[0];
        return r;
}

static int check_mounted_in(const struct wipe_safety_env *env, char *text, const struct disk *k,
                            struct wipe_refusal *ret) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct mount_entry m;
                const struct part *p = NULL;
                if (wipe_sb_parse_mountinfo_line(line, &m) < 0)
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
        bool hit = wipe_sb_read_attr(path, "loop/backing_file", &backing) >= 0 &&
                   wipe_sb_resolve_block_path(h->env, backing, &d) >= 0 && disk_find(h->k, d);
        free(backing);
        return hit ? add_holder(path, name, h) : 0;
}

static int check_held(const struct wipe_safety_env *env, const struct disk *k, struct wipe_refusal *ret) {
        struct held h = { .env = env, .k = k };
        int r = 0;
        for (size_t i = 0; r >= 0 && i < k->n_parts; i++)
                r = wipe_sb_for_each_entry(k->parts[i].dir, "holders", add_holder, &h);
        if (r >= 0)
                r = wipe_sb_for_each_entry(env->sysfs_root, "class/block", add_loop_user, &h);
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
        int r = wipe_sb_read_attr(dir, name, &v);
        if (r >= 0)
                r = strcmp(v, "0") != 0;
        free(v);
        return r;
}

static int check_dir(const struct wipe_safety_env *env, const struct wipe_device *dev, char *dir,
                     struct wipe_refusal *ret) {
        /* The number must still name the device the model describes. */
        if (strcmp(wipe_sb_dir_name(dir), dev->sysname) != 0)
                return -ESTALE;

        if (wipe_sb_file_exists_in(dir, "partition")) {
                *strrchr(dir, '/') = '\0';
                return refuse(ret, WIPE_REFUSAL_NOT_WHOLE_DISK, "/dev/%s", wipe_sb_dir_name(dir));
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
        r = wipe_sb_disks_under(env, dev->devnum, false, &cand);
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
        int r = wipe_sb_sysfs_dev_dir(env, dev->devnum, &dir);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        r = check_dir(env, dev, dir, ret);
        free(dir);
        if (r < 0)
                *ret = (struct wipe_refusal){ .code = WIPE_REFUSAL_NONE };
        return r;
}
