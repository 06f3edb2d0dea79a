/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What is on a disk before it is erased: partition table, partitions and the
 * filesystems on them, as libblkid sees them, and a one-line summary for
 * technicians and certificates. Everything read from the disk is untrusted:
 * counts are capped, offsets checked against the device size, strings
 * sanitized. */
#include "wipe-device.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "rf-macro.h"
#include "rf-util.h"

#define MAX_PARTITIONS 256
#define LABEL_MAX 128
#define TYPE_MAX 64
/* Partitions listed one by one in the summary; the rest are counted. */
#define SUMMARY_MAX_ITEMS 8

static void blkid_free_probep(blkid_probe *pr) {
        if (*pr)
                blkid_free_probe(*pr);
}
#define _cleanup_probe_ _cleanup_(blkid_free_probep)

static int lookup(blkid_probe pr, const char *name, size_t max, char **ret) {
        const char *v = NULL;
        *ret = NULL;
        if (blkid_probe_lookup_value(pr, name, &v, NULL) < 0 || !v)
                return 0;
        *ret = wipe_sanitize_text(v, max);
        return 0;
}

/* Filesystem type and label in [offset, offset+size) of fd (size 0: to the
 * end). Nothing found or ambivalent: both NULL. */
static int probe_filesystem(int fd, uint64_t offset, uint64_t size, char **ret_type, char **ret_label) {
        *ret_type = *ret_label = NULL;
        _cleanup_probe_ blkid_probe pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, (blkid_loff_t) offset, (blkid_loff_t) size) < 0)
                return -EIO;
        blkid_probe_enable_partitions(pr, 0);
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
        int r = blkid_do_safeprobe(pr);
        if (r == -1)
                return -EIO;
        if (r != 0)
                return 0; /* 1: nothing, -2: ambivalent */
        lookup(pr, "TYPE", TYPE_MAX, ret_type);
        lookup(pr, "LABEL", LABEL_MAX, ret_label);
        return 0;
}

static int probe_partitions(int fd, uint64_t dev_size, struct wipe_content *c) {
        _cleanup_probe_ blkid_probe pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 0);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);

        blkid_partlist ls = blkid_probe_get_partitions(pr);
        if (!ls)
                return 0;
        blkid_parttable tab = blkid_partlist_get_table(ls);
        if (tab)
                c->pttype = wipe_sanitize_text(blkid_parttable_get_type(tab), TYPE_MAX);

        int n = blkid_partlist_numof_partitions(ls);
        if (n <= 0)
                return 0;
        n = MIN(n, MAX_PARTITIONS);
        c->partitions = calloc((size_t) n, sizeof(*c->partitions));
        if (!c->partitions)
                return -ENOMEM;

        for (int i = 0; i < n; i++) {
                blkid_partition par = blkid_partlist_get_partition(ls, i);
                if (!par)
                        continue;
                blkid_loff_t start = blkid_partition_get_start(par), len = blkid_partition_get_size(par);
                int partno = blkid_partition_get_partno(par);
                if (start < 0 || len < 0 || (uint64_t) start > UINT64_MAX / 512 || (uint64_t) len > UINT64_MAX / 512)
                        continue;
                struct wipe_partition *p = &c->partitions[c->n_partitions++];
                p->number = partno > 0 ? (unsigned) partno : 0;
                p->offset = (uint64_t) start * 512;
                p->size = (uint64_t) len * 512;

                const char *ts = blkid_partition_get_type_string(par);
                if (ts)
                        p->part_type = wipe_sanitize_text(ts, TYPE_MAX);
                else {
                        char code[16];
                        snprintf(code, sizeof(code), "0x%02x", (unsigned) blkid_partition_get_type(par) & 0xffu);
                        p->part_type = strdup(code);
                }

                /* Containers hold other partitions, not a filesystem; a
                 * partition beyond the end of the device cannot be read. */
                if (blkid_partition_is_extended(par) || p->size == 0 || p->offset >= dev_size)
                        continue;
                uint64_t probe_len = MIN(p->size, dev_size - p->offset);
                int r = probe_filesystem(fd, p->offset, probe_len, &p->fstype, &p->label);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

int wipe_device_probe_content(struct wipe_device *dev) {
        if (!dev || !dev->devnode)
                return -EINVAL;

        _cleanup_close_ int fd = open(dev->devnode, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();

        uint64_t size = 0;
        if (S_ISBLK(st.st_mode)) {
                /* The node must still be the device the model describes. */
                if (dev->devnum != 0 && st.st_rdev != dev->devnum)
                        return -ESTALE;
                if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                        return negative_errno();
        } else if (S_ISREG(st.st_mode))
                size = (uint64_t) st.st_size;
        else
                return -ENOTBLK;

        struct wipe_content c = { 0 };
        int r = 0;
        if (size > 0) {
                r = probe_partitions(fd, size, &c);
                if (r >= 0)
                        r = probe_filesystem(fd, 0, 0, &c.fstype, &c.label);
        }
        if (r < 0) {
                wipe_content_clear(&c);
                return r;
        }

        wipe_content_clear(&dev->content);
        dev->content = c;
        dev->content_probed = true;
        return 0;
}

/* ---- summary ----------------------------------------------------------- */

static const char *fs_display_name(const char *type, bool french) {
        static const struct {
                const char *type, *fr, *en;
        } names[] = {
                { "ntfs", "NTFS", "NTFS" },
                { "vfat", "FAT32", "FAT32" },
                { "exfat", "exFAT", "exFAT" },
                { "hfsplus", "HFS+", "HFS+" },
                { "hfs", "HFS", "HFS" },
                { "apfs", "APFS", "APFS" },
                { "btrfs", "Btrfs", "Btrfs" },
                { "xfs", "XFS", "XFS" },
                { "f2fs", "F2FS", "F2FS" },
                { "refs", "ReFS", "ReFS" },
                { "iso9660", "ISO 9660", "ISO 9660" },
                { "udf", "UDF", "UDF" },
                { "crypto_LUKS", "LUKS (chiffré)", "LUKS (encrypted)" },
                { "BitLocker", "BitLocker (chiffré)", "BitLocker (encrypted)" },
                { "LVM2_member", "LVM", "LVM" },
                { "linux_raid_member", "RAID Linux", "Linux RAID" },
                { "isw_raid_member", "RAID Intel", "Intel RAID" },
                { "zfs_member", "ZFS", "ZFS" },
                { "swap", "swap", "swap" },
        };
        if (!type)
                return french ? "non reconnu" : "unrecognised";
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(type, names[i].type) == 0)
                        return french ? names[i].fr : names[i].en;
        return type;
}

static const char *pt_display_name(const char *pttype, bool french) {
        if (!pttype)
                return french ? "Table inconnue" : "Unknown table";
        if (strcmp(pttype, "gpt") == 0)
                return "GPT";
        if (strcmp(pttype, "dos") == 0)
                return "MBR";
        if (strcmp(pttype, "mac") == 0)
                return "Apple";
        return pttype;
}

static bool is_mbr_container(const struct wipe_content *c, const struct wipe_partition *p) {
        return rf_streq_ptr(c->pttype, "dos") &&
               (rf_streq_ptr(p->part_type, "0x05") || rf_streq_ptr(p->part_type, "0x0f") ||
                rf_streq_ptr(p->part_type, "0x85"));
}

static void put_item(FILE *f, const char *fstype, const char *label, uint64_t size, bool french) {
        fputs(fs_display_name(fstype, french), f);
        if (label)
                fprintf(f, french ? " « %s »" : " '%s'", label);
        if (size > 0) {
                char buf[32];
                rf_format_bytes(size, french, buf, sizeof(buf));
                fprintf(f, " %s", buf);
        }
}

char *wipe_content_summary(const struct wipe_content *c, bool french) {
        char *out = NULL;
        size_t outlen = 0;
        FILE *f = open_memstream(&out, &outlen);
        if (!f)
                return NULL;

        bool any = false;
        if (c && c->fstype) {
                put_item(f, c->fstype, c->label, 0, french);
                fputs(french ? " (disque entier)" : " (whole disk)", f);
                any = true;
        }
        if (c && (c->pttype || c->n_partitions > 0)) {
                if (any)
                        fputs(french ? " ; " : "; ", f);
                fprintf(f, french ? "%s : " : "%s: ", pt_display_name(c->pttype, french));
                size_t shown = 0, hidden = 0;
                for (size_t i = 0; i < c->n_partitions; i++) {
                        const struct wipe_partition *p = &c->partitions[i];
                        if (is_mbr_container(c, p))
                                continue;
                        if (shown == SUMMARY_MAX_ITEMS) {
                                hidden++;
                                continue;
                        }
                        if (shown > 0)
                                fputs(" + ", f);
                        put_item(f, p->fstype, p->label, p->size, french);
                        shown++;
                }
                if (shown == 0)
                        fputs(french ? "aucune partition" : "no partitions", f);
                if (hidden > 0)
                        fprintf(f, french ? " + %zu autres" : " + %zu more", hidden);
                any = true;
        }
        if (!any)
                fputs(french ? "vide (aucune donnée reconnue)" : "empty (nothing recognised)", f);

        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}
