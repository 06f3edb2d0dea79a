/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "wipe-safety.h"

/* Open a whole-disk device for erasure: O_RDWR|O_EXCL|O_DIRECT|O_CLOEXEC
 * (the kernel refuses O_EXCL while the device or a partition is mounted or
 * held), then flock(LOCK_EX|LOCK_NB) as systemd's block device locking
 * convention asks, so udev probing and other well-behaved tools stay away
 * for as long as the descriptor is open. On failure returns a negative
 * errno and fills *refusal (code WIPE_REFUSAL_BUSY or READ_ONLY). */
int wipe_open_exclusive(const char *devnode, int *ret_fd, struct wipe_refusal *refusal);

/* Check the size seen through the open descriptor (BLKGETSIZE64) and the
 * logical sector size (BLKSSZGET). */
int wipe_fd_geometry(int fd, uint64_t *ret_size, unsigned *ret_logical_sector);
