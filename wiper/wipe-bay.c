/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which bay a device sits in, and the bench's default safety environment. */
#include <fnmatch.h>
#include <stdint.h>

#include "wipe-safety.h"

int wipe_bay_find(const struct wipe_bay_match *bays, size_t n_bays, const char *devnode, const char *id_path) {
        for (size_t i = 0; bays && i < n_bays && i < INT32_MAX; i++) {
                const struct wipe_bay_match *b = &bays[i];
                if (!b->device_glob && !b->path_glob)
                        continue; /* matches nothing, rather than everything */
                /* FNM_PATHNAME: a "*" never reaches into /dev/mapper/ and the like. */
                if (b->device_glob && (!devnode || fnmatch(b->device_glob, devnode, FNM_PATHNAME) != 0))
                        continue;
                if (b->path_glob && (!id_path || fnmatch(b->path_glob, id_path, 0) != 0))
                        continue;
                return (int) i;
        }
        return -1;
}

void wipe_safety_env_default(struct wipe_safety_env *env, const char *extra_path) {
        static const char *const paths[] = { "/", "/boot", "/boot/efi", "/usr", "/var", NULL };
        *env = (struct wipe_safety_env){
                .sysfs_root = "/sys",
                .mountinfo_path = "/proc/self/mountinfo",
                .swaps_path = "/proc/swaps",
                .protected_paths = paths,
                .extra_protected_path = extra_path,
        };
}
