/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Internal to img-fetch*.c: the cache's folders, names and locks.
 *
 *   CACHE/NAME/VERSION/.lock            flock(LOCK_EX) while a fetch uses the folder
 *   CACHE/NAME/VERSION/BASENAME.part    download in progress (resumable)
 *   CACHE/NAME/VERSION/BASENAME         complete, its SHA-256 was right
 *   CACHE/NAME/VERSION/BASENAME.rejected  a cached file that no longer matched */

#include <stdatomic.h>
#include <stddef.h>

#define IMG_CACHE_LOCK_NAME ".lock"

/* A name that becomes one path component: 1..200 of A-Z a-z 0-9 . _ - + ~ %,
 * not starting with '.'. what names it in the error ("nom du profil"). */
int img_cache_check_component(const char *what, const char *s, char *err, size_t errlen);

/* Open (creating it) dir/.lock and take flock(LOCK_EX), waiting for another
 * fetch of the same version to finish; -ECANCELED when *cancel is set. */
int img_cache_lock(const char *dir, atomic_bool *cancel, int *ret_fd);
