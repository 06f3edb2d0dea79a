/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Internal to the safety rules: reading sysfs, mountinfo and the stacks of
 * block devices (partitions, dm/md slaves, loop backing files, overlayfs,
 * btrfs) below a path, through the paths of a struct wipe_safety_env. */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "rf-macro.h"
#include "wipe-safety.h"

/* Small and bounded: more devices than this under one path is refused
 * (-E2BIG) rather than half-checked. */
struct devset {
        dev_t v[256];
        size_t n;
};

struct mount_entry {
        int id;
        dev_t devnum;
        const char *mountpoint, *fstype, *source, *superopts;
};

typedef int (*entry_fn)(const char *path, const char *name, void *userdata);

/* mountinfo of a container host can be large, but not that large. */
#define PROC_FILE_MAX (64 * MiB)

bool wipe_sb_devset_has(const struct devset *s, dev_t d);
int wipe_sb_devset_add(struct devset *s, dev_t d);
bool wipe_sb_devset_intersects(const struct devset *a, const struct devset *b);
int wipe_sb_join(char buf[static PATH_MAX], const char *dir, const char *name);
bool wipe_sb_file_exists_in(const char *dir, const char *name);
int wipe_sb_read_attr(const char *dir, const char *name, char **ret);
int wipe_sb_parse_devnum(const char *s, dev_t *ret);
int wipe_sb_read_devnum(const char *dir, dev_t *ret);
int wipe_sb_sysfs_dev_dir(const struct wipe_safety_env *env, dev_t d, char **ret);
const char *wipe_sb_dir_name(const char *dir);
int wipe_sb_resolve_block_path(const struct wipe_safety_env *env, const char *path, dev_t *ret);
int wipe_sb_parse_mountinfo_line(char *line, struct mount_entry *m);
int wipe_sb_for_each_entry(const char *dir, const char *sub, entry_fn fn, void *userdata);
int wipe_sb_disks_under(const struct wipe_safety_env *env, dev_t d, bool follow_files, struct devset *set);
int wipe_sb_disks_under_path(const struct wipe_safety_env *env, const char *path, const struct stat *st,
                            struct devset *set);
void wipe_sb_unescape_octal(char *s);
/* The other devices of the multi-device btrfs that device d belongs to. */
int wipe_sb_btrfs_siblings(const struct wipe_safety_env *env, dev_t d, struct devset *set);
