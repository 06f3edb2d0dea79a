/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Fitting a written image to a larger disk (libparted): the GPT backup
 * header and table move to the end of the disk, the root partition (the
 * last one unless the profile names another, which must then be the last)
 * grows to the end of the disk (1 MiB aligned), and the kernel is told
 * (BLKPG, as libparted's commit does). Its ext4 filesystem is grown before
 * it is mounted (img_fit_grow_ext4): e2fsck -f -p, then resize2fs.
 *
 * MBR disks: the last primary partition is grown the same way. */

#include <stdbool.h>
#include <stdint.h>

struct img_fit_result {
        bool table_gpt;
        bool backup_moved;
        unsigned partno;                /* 1-based */
        char part_devnode[64];          /* /dev/sdb2, /dev/loop70p2, /dev/nvme0n1p2 */
        uint64_t part_start;            /* bytes */
        uint64_t part_size_before;
        uint64_t part_size_after;
        uint64_t fs_size_before;        /* bytes, filled by img_fit_grow_ext4 */
        uint64_t fs_size_after;
        char detail[256];               /* French, when something failed */
};

/* devnode: the whole disk (the caller holds its lock). root_partition: 0
 * for the last. Waits (up to 10 s) for the partition node to appear. */
int img_fit_partition(const char *devnode, unsigned root_partition, struct img_fit_result *res);

/* After the disk's lock was let go and taken again: udev may have re-read
 * the partition table in between (it does when a writer closes the disk
 * and nobody holds its lock), which drops the kernel's partitions and adds
 * back those the kernel can parse — none on a kernel built without
 * partition-table parsers, where partitions exist only through BLKPG.
 * Reads the table on the disk again, tells the kernel (BLKPG, only what
 * differs), waits (up to 10 s) for the node of res->partno with
 * res->part_size_after bytes and refreshes res->part_devnode. The caller
 * holds the disk's lock. */
int img_fit_resync(const char *devnode, struct img_fit_result *res);

/* Grow the (unmounted) ext4 filesystem on part_devnode to fill its
 * partition (fs_size_before/after filled; detail says why it failed,
 * with the tools' output). -EOPNOTSUPP when it is not ext4. */
int img_fit_grow_ext4(const char *part_devnode, struct img_fit_result *res);
