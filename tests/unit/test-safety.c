/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The safety rules against a fake sysfs tree, mountinfo and swaps built in a
 * temporary directory; refusal messages; content summaries; post-erase
 * signature check on image files. No root, no real device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-check.h"
#include "wipe-device.h"
#include "wipe-lock.h"
#include "wipe-safety.h"

/* ---- the fake tree ----------------------------------------------------- */

struct fixture {
        char root[64];
        char sysfs[128];
        char mountinfo[128];
        char swaps[128];
        struct wipe_bay_match bays[2];
        struct wipe_safety_env env;
        struct wipe_device dev;
};

/* mkdir -p of the directory that will hold path. */
static void mkparent(const char *path) {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(rf_mkdir_p(dir, 0755), 0);
}

static void put(const struct fixture *f, const char *rel, const char *content) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", f->root, rel);
        mkparent(path);
        FILE *fp = fopen(path, "we");
        if (!fp)
                fail_msg("cannot create %s: %m", path);
        else {
                assert_true(fputs(content, fp) >= 0);
                assert_int_equal(fclose(fp), 0);
        }
}

static void mkdir_rel(const struct fixture *f, const char *rel) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", f->root, rel);
        assert_int_equal(rf_mkdir_p(path, 0755), 0);
}

static void link_rel(const struct fixture *f, const char *rel, const char *target) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", f->root, rel);
        mkparent(path);
        assert_int_equal(symlink(target, path), 0);
}

/* A block device directory under sys/block/<rel> with its dev/block and
 * class/block links. */
static void fake_blockdev(const struct fixture *f, const char *rel, const char *name, const char *devnum,
                          const char *size, const char *ro, bool partition) {
        char p[256], t[256];
        snprintf(p, sizeof(p), "sys/block/%s/dev", rel);
        put(f, p, devnum);
        snprintf(p, sizeof(p), "sys/block/%s/size", rel);
        put(f, p, size);
        snprintf(p, sizeof(p), "sys/block/%s/ro", rel);
        put(f, p, ro);
        snprintf(p, sizeof(p), "sys/block/%s/holders", rel);
        mkdir_rel(f, p);
        if (partition) {
                snprintf(p, sizeof(p), "sys/block/%s/partition", rel);
                put(f, p, "1\n");
        } else {
                snprintf(p, sizeof(p), "sys/block/%s/slaves", rel);
                mkdir_rel(f, p);
        }
        snprintf(p, sizeof(p), "sys/dev/block/%s", devnum);
        p[strcspn(p, "\n")] = '\0';
        snprintf(t, sizeof(t), "../../block/%s", rel);
        link_rel(f, p, t);
        snprintf(p, sizeof(p), "sys/class/block/%s", name);
        link_rel(f, p, t);
}

static const char base_mountinfo[] =
        "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
        "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
        "27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 27 0:38 / /tmp rw,nosuid shared:5 - tmpfs tmpfs rw,size=100k\n";
static const char base_swaps[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        snprintf(f->root, sizeof(f->root), "/tmp/test-safety-XXXXXX");
        assert_non_null(mkdtemp(f->root));
        snprintf(f->sysfs, sizeof(f->sysfs), "%s/sys", f->root);
        snprintf(f->mountinfo, sizeof(f->mountinfo), "%s/mountinfo", f->root);
        snprintf(f->swaps, sizeof(f->swaps), "%s/swaps", f->root);

        /* loop3: the donor disk, two partitions. */
        fake_blockdev(f, "loop3", "loop3", "7:3\n", "524288\n", "0\n", false);
        fake_blockdev(f, "loop3/loop3p1", "loop3p1", "259:0\n", "204800\n", "0\n", true);
        fake_blockdev(f, "loop3/loop3p2", "loop3p2", "259:1\n", "200000\n", "0\n", true);
        /* loop4: detached (no medium); loop5: read-only. */
        fake_blockdev(f, "loop4", "loop4", "7:4\n", "0\n", "0\n", false);
        fake_blockdev(f, "loop5", "loop5", "7:5\n", "2048\n", "1\n", false);
        /* sda: the bench's own disk. */
        fake_blockdev(f, "sda", "sda", "8:0\n", "1000000\n", "0\n", false);
        fake_blockdev(f, "sda/sda1", "sda1", "8:1\n", "999000\n", "0\n", true);
        /* dm-0: a device-mapper device on top of loop3p1. */
        fake_blockdev(f, "dm-0", "dm-0", "253:0\n", "204800\n", "0\n", false);
        link_rel(f, "sys/block/dm-0/slaves/loop3p1", "../../loop3/loop3p1");

        put(f, "mountinfo", base_mountinfo);
        put(f, "swaps", base_swaps);

        f->bays[0] = (struct wipe_bay_match){ .name = "baie-1", .device_glob = "/dev/loop[345]" };
        f->bays[1] = (struct wipe_bay_match){ .name = "baie-usb", .path_glob = "pci-*-usb-0:2:*" };
        f->env = (struct wipe_safety_env){
                .sysfs_root = f->sysfs,
                .mountinfo_path = f->mountinfo,
                .swaps_path = f->swaps,
                .bays = f->bays,
                .n_bays = 1,
        };
        f->dev = (struct wipe_device){
                .sysname = (char *) "loop3",
                .devnode = (char *) "/dev/loop3",
                .devnum = makedev(7, 3),
                .size = 524288ULL * 512,
        };
        *state = f;
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path);
}

static int teardown(void **state) {
        struct fixture *f = *state;
        assert_int_equal(nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(f);
        return 0;
}

static int check(struct fixture *f, struct wipe_refusal *r) {
        memset(r, 0x55, sizeof(*r));
        return wipe_safety_check(&f->env, &f->dev, r);
}

static char *msg(const struct wipe_refusal *r, const char *devnode, enum rf_lang lang) {
        static char buf[2][512];
        return (char *) wipe_refusal_message(r, devnode, lang, buf[lang], sizeof(buf[lang]));
}

#define assert_contains(haystack, needle)                                                              \
        do {                                                                                          \
                if (!strstr((haystack), (needle)))                                                    \
                        fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));             \
        } while (0)

/* ---- rules ------------------------------------------------------------- */

static void test_allowed_on_bay(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        assert_int_equal(check(f, &r), 0);
        assert_int_equal(r.code, WIPE_REFUSAL_NONE);
}

static void test_not_on_bay(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        f->bays[0].device_glob = "/dev/sd*";
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_NOT_ON_BAY);
        assert_string_equal(wipe_refusal_code_to_string(r.code), "not-on-bay");
        assert_string_equal(msg(&r, "/dev/loop3", RF_LANG_FR),
                            "/dev/loop3 n'est sur aucune baie configurée : ce disque ne sera pas effacé.");
        assert_string_equal(msg(&r, "/dev/loop3", RF_LANG_EN),
                            "/dev/loop3 is not on any configured bay: this disk will not be erased.");

        /* No bays at all: nothing may be erased. */
        f->env.n_bays = 0;
        f->env.bays = NULL;
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_NOT_ON_BAY);
}

static void test_bay_find(void **state) {
        (void) state;
        const struct wipe_bay_match bays[] = {
                { .name = "nothing" },
                { .name = "dev", .device_glob = "/dev/sd[bc]" },
                { .name = "path", .path_glob = "pci-0000:00:14.0-usb-0:2:*" },
                { .name = "both", .device_glob = "/dev/nvme*", .path_glob = "pci-0000:03:00.0-nvme-1" },
                { .name = "slash", .device_glob = "/dev/*" },
        };
        const char *usb = "pci-0000:00:14.0-usb-0:2:1.0-scsi-0:0:0:0";
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/sdb", NULL), 1);
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/sdd", usb), 2);
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/sdd", "pci-0000:00:14.0-usb-0:3:1.0-scsi-0:0:0:0"), -1);
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/sdd", NULL), -1);
        /* Both globs set: both must match. */
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/nvme0n1", "pci-0000:03:00.0-nvme-1"), 3);
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/nvme0n1", "pci-0000:04:00.0-nvme-1"), -1);
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/nvme0n1", NULL), -1);
        assert_int_equal(wipe_bay_find(bays, 4, "/dev/sdc", "pci-0000:03:00.0-nvme-1"), 1);
        /* A bay with neither glob matches nothing. */
        assert_int_equal(wipe_bay_find(bays, 1, "/dev/sdb", usb), -1);
        /* '*' does not cross '/'. */
        assert_int_equal(wipe_bay_find(bays + 4, 1, "/dev/mapper/root", NULL), -1);
        assert_int_equal(wipe_bay_find(bays + 4, 1, "/dev/sdz", NULL), 0);
        assert_int_equal(wipe_bay_find(NULL, 0, "/dev/sdb", NULL), -1);
}

static void test_bay_on_id_path(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        f->env.bays = f->bays + 1;
        f->env.n_bays = 1;
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_NOT_ON_BAY);
        f->dev.id_path = (char *) "pci-0000:00:14.0-usb-0:2:1.0-scsi-0:0:0:0";
        assert_int_equal(check(f, &r), 0);
        f->dev.id_path = (char *) "pci-0000:00:14.0-usb-0:1:1.0-scsi-0:0:0:0";
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_NOT_ON_BAY);
        assert_string_equal(r.detail, "pci-0000:00:14.0-usb-0:1:1.0-scsi-0:0:0:0");
}

static void test_partition_refused(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        f->dev = (struct wipe_device){ .sysname = (char *) "loop3p1", .devnode = (char *) "/dev/loop3p1",
                                       .devnum = makedev(259, 0), .size = 204800ULL * 512 };
        /* Not on a bay either, but that is not the first thing to say. */
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_NOT_WHOLE_DISK);
        assert_string_equal(r.detail, "/dev/loop3");
        assert_contains(msg(&r, "/dev/loop3p1", RF_LANG_FR), "/dev/loop3p1 est une partition");
        assert_contains(msg(&r, "/dev/loop3p1", RF_LANG_FR), "le disque /dev/loop3");
        assert_contains(msg(&r, "/dev/loop3p1", RF_LANG_EN), "/dev/loop3p1 is a partition, not a whole disk");
}

static void test_stale_model(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* The number now names another device: the check fails. */
        f->dev.devnum = makedev(7, 4);
        assert_int_equal(check(f, &r), -ESTALE);
        /* A number the kernel does not know. */
        f->dev.devnum = makedev(7, 99);
        assert_int_equal(check(f, &r), -ENODEV);
        assert_int_equal(wipe_safety_check(&f->env, NULL, &r), -EINVAL);
}

static void test_no_medium(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        f->dev = (struct wipe_device){ .sysname = (char *) "loop4", .devnode = (char *) "/dev/loop4",
                                       .devnum = makedev(7, 4) };
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_NO_MEDIUM);
        assert_string_equal(wipe_refusal_code_to_string(r.code), "no-medium");
        assert_contains(msg(&r, "/dev/loop4", RF_LANG_FR), "/dev/loop4 n'a pas de support");
        assert_contains(msg(&r, "/dev/loop4", RF_LANG_EN), "/dev/loop4 has no medium");
}

static void test_read_only(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        f->dev = (struct wipe_device){ .sysname = (char *) "loop5", .devnode = (char *) "/dev/loop5",
                                       .devnum = makedev(7, 5), .size = 2048 * 512 };
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_READ_ONLY);
        assert_string_equal(msg(&r, "/dev/loop5", RF_LANG_FR),
                            "/dev/loop5 est en lecture seule (verrou d'écriture ?) : retirez la protection puis "
                            "rebranchez-le.");
        assert_contains(msg(&r, "/dev/loop5", RF_LANG_EN), "/dev/loop5 is read-only");

        /* The model says read-only, sysfs does not: still refused. */
        f->dev = (struct wipe_device){ .sysname = (char *) "loop3", .devnode = (char *) "/dev/loop3",
                                       .devnum = makedev(7, 3), .size = 1, .read_only = true };
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_READ_ONLY);
}

static void test_system_disk_by_devnum(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* The protected device is a partition of loop3. */
        dev_t prot[] = { makedev(8, 1), makedev(259, 1) };
        f->env.protected_devnums = prot;
        f->env.n_protected_devnums = 1;
        assert_int_equal(check(f, &r), 0);
        f->env.n_protected_devnums = 2;
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_SYSTEM_DISK);
        assert_string_equal(r.detail, "259:1");
        assert_string_equal(msg(&r, "/dev/loop3", RF_LANG_FR),
                            "/dev/loop3 porte le système du banc (259:1) : il ne sera jamais effacé.");
        assert_string_equal(msg(&r, "/dev/loop3", RF_LANG_EN),
                            "/dev/loop3 holds the bench's own system (259:1): it will never be erased.");
}

static void test_system_disk_through_dm(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* "/" on dm-0, which sits on loop3p1. */
        dev_t prot[] = { makedev(253, 0) };
        f->env.protected_devnums = prot;
        f->env.n_protected_devnums = 1;
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_SYSTEM_DISK);
        assert_string_equal(r.detail, "253:0");
}

static void test_system_disk_through_btrfs(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* An anonymous device number: btrfs on loop3p2, found via mountinfo. */
        put(f, "mountinfo",
            "27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
            "50 27 0:45 /@home /home rw,relatime shared:9 - btrfs /dev/loop3p2 rw,subvol=/@home\n");
        dev_t prot[] = { makedev(0, 45) };
        f->env.protected_devnums = prot;
        f->env.n_protected_devnums = 1;
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_SYSTEM_DISK);
}

static void test_protected_paths(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* Real paths give real device numbers, unknown to the fake tree:
         * nothing to refuse, missing paths skipped. */
        wipe_safety_env_default(&f->env, "/nonexistent/state");
        assert_string_equal(f->env.sysfs_root, "/sys");
        assert_string_equal(f->env.mountinfo_path, "/proc/self/mountinfo");
        assert_string_equal(f->env.swaps_path, "/proc/swaps");
        assert_string_equal(f->env.protected_paths[0], "/");
        assert_string_equal(f->env.extra_protected_path, "/nonexistent/state");
        f->env.sysfs_root = f->sysfs;
        f->env.mountinfo_path = f->mountinfo;
        f->env.swaps_path = f->swaps;
        f->env.bays = f->bays;
        f->env.n_bays = 1;
        assert_int_equal(check(f, &r), 0);
}

static void test_swap_partition(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        put(f, "swaps",
            "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
            "/dev/sda1                               partition\t1048572\t\t0\t\t-2\n"
            "/dev/loop3p2                            partition\t100000\t\t0\t\t-3\n");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_SWAP);
        assert_string_equal(r.detail, "/dev/loop3p2");
        assert_string_equal(wipe_refusal_code_to_string(r.code), "swap");
        assert_contains(msg(&r, "/dev/loop3", RF_LANG_FR), "/dev/loop3 contient une zone d'échange (swap) active "
                                                           "(/dev/loop3p2)");
        assert_contains(msg(&r, "/dev/loop3", RF_LANG_EN), "(/dev/loop3p2): turn it off (swapoff)");
}

static void test_swap_unplaceable(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* An active swap partition that cannot be placed: fail closed. */
        put(f, "swaps",
            "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
            "/dev/nonexistent-swap-xyz               partition\t1048572\t\t0\t\t-2\n");
        assert_true(check(f, &r) < 0);
}

static void test_mounted_partition(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        put(f, "mountinfo",
            "27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
            "100 27 259:0 / /mnt/disque\\040donneur rw,relatime shared:7 master:1 - ext4 /dev/loop3p1 rw\n");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_MOUNTED);
        assert_string_equal(r.detail, "/dev/loop3p1 sur /mnt/disque donneur");
        assert_string_equal(msg(&r, "/dev/loop3", RF_LANG_FR),
                            "Une partition de /dev/loop3 est montée (/dev/loop3p1 sur /mnt/disque donneur) : "
                            "démontez-la avant l'effacement.");
        assert_string_equal(msg(&r, "/dev/loop3", RF_LANG_EN),
                            "A partition of /dev/loop3 is mounted (/dev/loop3p1 on /mnt/disque donneur): unmount "
                            "it before erasing.");
}

static void test_mounted_whole_disk(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        put(f, "mountinfo", "100 27 7:3 / /mnt rw,relatime - vfat /dev/loop3 rw\n");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_MOUNTED);
        assert_string_equal(r.detail, "/dev/loop3 sur /mnt");
        assert_contains(msg(&r, "/dev/loop3", RF_LANG_FR), "/dev/loop3 est monté (/dev/loop3 sur /mnt) : démontez-le");
        assert_contains(msg(&r, "/dev/loop3", RF_LANG_EN), "/dev/loop3 is mounted (/dev/loop3 on /mnt)");
}

static void test_mounted_btrfs_anonymous(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* btrfs shows an anonymous number: the source names the partition. */
        put(f, "mountinfo", "100 27 0:51 / /media/x rw,relatime - btrfs /dev/loop3p2 rw,subvol=/\n");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_MOUNTED);
        assert_string_equal(r.detail, "/dev/loop3p2 sur /media/x");
}

static void test_mountpoint_sanitized(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* A mount point named after a hostile disk label: control bytes and
         * invalid UTF-8 must not reach the detail (it goes into JSON). */
        put(f, "mountinfo", "100 27 259:1 / /media/\\033[31m\xff\xfe rw - vfat /dev/loop3p2 rw\n");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_MOUNTED);
        assert_string_equal(r.detail, "/dev/loop3p2 sur /media/?[31m??");
}

static void test_held(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        link_rel(f, "sys/block/loop3/loop3p1/holders/dm-0", "../../../dm-0");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_HELD);
        assert_string_equal(r.detail, "dm-0");
        assert_string_equal(msg(&r, "/dev/loop3", RF_LANG_FR),
                            "/dev/loop3 est utilisé par dm-0 (LVM, RAID, chiffrement ou périphérique loop) : libérez-le avant "
                            "l'effacement.");
        assert_contains(msg(&r, "/dev/loop3", RF_LANG_EN), "/dev/loop3 is used by dm-0 (LVM, RAID, encryption or loop device)");

        /* Holders of the disk itself and of several partitions: all named once. */
        mkdir_rel(f, "sys/block/loop3/holders/md127");
        mkdir_rel(f, "sys/block/loop3/loop3p2/holders/dm-0");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_HELD);
        assert_contains(r.detail, "md127");
        assert_contains(r.detail, "dm-0");
        assert_int_equal(strlen(r.detail), strlen("md127, dm-0"));
}

static void test_held_by_loop(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* loop7 set up on a partition of loop3 (losetup /dev/loop7 /dev/loop3p1):
         * no holders/ entry, still in use. A loop device on a file is not. */
        fake_blockdev(f, "loop7", "loop7", "7:7\n", "204800\n", "0\n", false);
        put(f, "sys/block/loop7/loop/backing_file", "/srv/images/donneur-7.img\n");
        assert_int_equal(check(f, &r), 0);
        put(f, "sys/block/loop7/loop/backing_file", "/dev/loop3p1\n");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_HELD);
        assert_string_equal(r.detail, "loop7");
}

static void test_rule_order(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        /* Mounted, held and in swap at once: swap is named first, then mounted. */
        link_rel(f, "sys/block/loop3/loop3p1/holders/dm-0", "../../../dm-0");
        put(f, "mountinfo", "100 27 259:0 / /mnt rw - ext4 /dev/loop3p1 rw\n");
        put(f, "swaps", "Filename Type Size Used Priority\n/dev/loop3p2 partition 100 0 -2\n");
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_SWAP);
        put(f, "swaps", base_swaps);
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_MOUNTED);
        put(f, "mountinfo", base_mountinfo);
        assert_int_equal(check(f, &r), 1);
        assert_int_equal(r.code, WIPE_REFUSAL_HELD);
}

static void test_unreadable_mountinfo(void **state) {
        struct fixture *f = *state;
        struct wipe_refusal r;
        f->env.mountinfo_path = "/nonexistent/mountinfo";
        assert_true(check(f, &r) < 0);
}

/* ---- messages ---------------------------------------------------------- */

static void test_messages(void **state) {
        (void) state;
        struct wipe_refusal r = { .code = WIPE_REFUSAL_BUSY };
        snprintf(r.detail, sizeof(r.detail), "utilisé par un autre programme ou monté");
        assert_string_equal(msg(&r, "/dev/sdb", RF_LANG_FR),
                            "/dev/sdb est occupé (utilisé par un autre programme ou monté) : fermez les programmes "
                            "qui l'utilisent puis réessayez.");
        assert_string_equal(msg(&r, "/dev/sdb", RF_LANG_EN),
                            "/dev/sdb is busy (in use by another program or mounted): close the programs using it, "
                            "then try again.");

        static const char *const codes[] = { "none",  "not-on-bay", "no-medium", "system-disk", "swap",
                                             "mounted", "held",     "read-only", "busy",        "not-whole-disk" };
        for (int c = 0; c < _WIPE_REFUSAL_MAX; c++) {
                assert_string_equal(wipe_refusal_code_to_string((enum wipe_refusal_code) c), codes[c]);
                r = (struct wipe_refusal){ .code = (enum wipe_refusal_code) c };
                snprintf(r.detail, sizeof(r.detail), "X");
                assert_contains(msg(&r, "/dev/sdq", RF_LANG_FR), "/dev/sdq");
                assert_contains(msg(&r, "/dev/sdq", RF_LANG_EN), "/dev/sdq");
        }

        /* A message cut short stays valid UTF-8: "é" is not split. */
        char small[8];
        r = (struct wipe_refusal){ .code = WIPE_REFUSAL_NOT_ON_BAY };
        wipe_refusal_message(&r, "/dev/é", RF_LANG_FR, small, 7);
        assert_string_equal(small, "/dev/");
        wipe_refusal_message(&r, "/dev/é", RF_LANG_FR, small, 8);
        assert_string_equal(small, "/dev/é");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_allowed_on_bay, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_on_bay, setup, teardown),
                cmocka_unit_test(test_bay_find),
                cmocka_unit_test_setup_teardown(test_bay_on_id_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_partition_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_model, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_medium, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
                cmocka_unit_test_setup_teardown(test_system_disk_by_devnum, setup, teardown),
                cmocka_unit_test_setup_teardown(test_system_disk_through_dm, setup, teardown),
                cmocka_unit_test_setup_teardown(test_system_disk_through_btrfs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_protected_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swap_partition, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swap_unplaceable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mounted_partition, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mounted_whole_disk, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mounted_btrfs_anonymous, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mountpoint_sanitized, setup, teardown),
                cmocka_unit_test_setup_teardown(test_held, setup, teardown),
                cmocka_unit_test_setup_teardown(test_held_by_loop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rule_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unreadable_mountinfo, setup, teardown),
                cmocka_unit_test(test_messages),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
