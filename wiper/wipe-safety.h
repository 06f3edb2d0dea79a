/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rf-i18n.h"
#include "wipe-device.h"

/* The one place that decides whether a device may be erased. Every refusal
 * carries a code (stable, for scripts and the API) and a detail (the mount
 * point, the holder, ...) turned into plain words by wipe_refusal_message(). */

enum wipe_refusal_code {
        WIPE_REFUSAL_NONE = 0,
        WIPE_REFUSAL_NOT_ON_BAY,     /* not on any configured bay */
        WIPE_REFUSAL_NO_MEDIUM,      /* size 0 */
        WIPE_REFUSAL_SYSTEM_DISK,    /* holds /, /boot, the state directory, ... (detail: the path) */
        WIPE_REFUSAL_SWAP,           /* holds an active swap area (detail: the swap device/file) */
        WIPE_REFUSAL_MOUNTED,        /* a partition or the disk is mounted (detail: "/dev/x on /mnt") */
        WIPE_REFUSAL_HELD,           /* holders: dm, md, LVM (detail: holder names) */
        WIPE_REFUSAL_READ_ONLY,      /* read-only device */
        WIPE_REFUSAL_BUSY,           /* O_EXCL open or lock failed (detail: errno text) */
        WIPE_REFUSAL_NOT_WHOLE_DISK, /* a partition, not a disk */
        _WIPE_REFUSAL_MAX,
};

struct wipe_refusal {
        enum wipe_refusal_code code;
        char detail[256];
};

/* A bay as the wiper sees it: globs on the device node and/or ID_PATH (at
 * least one set; when both are set both must match). */
struct wipe_bay_match {
        const char *name;
        const char *device_glob;
        const char *path_glob;
};

struct wipe_safety_env {
        const char *sysfs_root;     /* "/sys" (tests: a fake tree) */
        const char *mountinfo_path; /* "/proc/self/mountinfo" */
        const char *swaps_path;     /* "/proc/swaps" */
        /* Paths whose backing disks are the bench's own ("/", "/boot", the
         * state directory, ...). NULL-terminated. Missing paths are skipped. */
        const char *const *protected_paths;
        /* One more protected path (the state directory; may be NULL), set by
         * wipe_safety_env_default() so that no array has to be built. */
        const char *extra_protected_path;
        /* Extra protected devices by number (tests; may be NULL/0). */
        const dev_t *protected_devnums;
        size_t n_protected_devnums;
        const struct wipe_bay_match *bays;
        size_t n_bays;
};

/* The bench's defaults: /sys, /proc/self/mountinfo, /proc/swaps, and the
 * paths "/", "/boot", "/boot/efi", "/usr", "/var" plus extra_path (the state
 * directory; may be NULL). The strings are borrowed, not copied. */
void wipe_safety_env_default(struct wipe_safety_env *env, const char *extra_path);

/* Which bay (index into env->bays) holds this device, or -1. */
int wipe_bay_find(const struct wipe_bay_match *bays, size_t n_bays, const char *devnode, const char *id_path);

/* 0: the device may be erased. 1: refused, *ret filled. <0: the check
 * itself failed (the caller must refuse too). Rules, in this order:
 * not-whole-disk, not-on-bay, no-medium, read-only, system-disk, swap,
 * mounted, held. */
int wipe_safety_check(const struct wipe_safety_env *env, const struct wipe_device *dev, struct wipe_refusal *ret);

/* "Le disque /dev/loop3 est monté (/dev/loop3p1 sur /mnt) : démontez-le
 * avant l'effacement." and its English counterpart. Returns buf. */
const char *wipe_refusal_message(const struct wipe_refusal *r, const char *devnode, enum rf_lang lang, char *buf,
                                 size_t buflen);
/* Stable code for the API: "not-on-bay", "mounted", ... */
const char *wipe_refusal_code_to_string(enum wipe_refusal_code code);
