/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* After an erasure: ask libblkid (superblocks, partition tables, low
 * probability signatures too) what it still finds on the device. fd is an
 * open descriptor of the device (O_DIRECT is fine: a buffered descriptor is
 * reopened through /proc/self/fd). The page cache of the device is dropped
 * first so stale cached blocks cannot hide or fake a signature.
 * *ret is a NULL-terminated malloc'd array of "type@offset" strings (empty
 * when nothing was found); free with wipe_strv_free(). */
int wipe_check_signatures(int fd, char ***ret);
void wipe_strv_free(char **v);
