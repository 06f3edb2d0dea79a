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

/* ---- content ----------------------------------------------------------- */

static void test_content_summary(void **state) {
        (void) state;
        struct wipe_partition parts[] = {
                { .number = 1, .offset = 1048576, .size = 105000000, .fstype = (char *) "ntfs",
                  .label = (char *) "Windows" },
                { .number = 2, .offset = 106048576, .size = 20000000000ULL, .fstype = (char *) "ext4",
                  .label = (char *) "home" },
                { .number = 3, .size = 1500000000, .fstype = (char *) "vfat", .label = (char *) "DATA" },
                { .number = 4, .size = 16000000 },
        };
        struct wipe_content c = { .pttype = (char *) "gpt", .partitions = parts, .n_partitions = 4 };
        _cleanup_free_ char *fr = wipe_content_summary(&c, true);
        _cleanup_free_ char *en = wipe_content_summary(&c, false);
        assert_string_equal(fr, "GPT : NTFS « Windows » 105 Mo + ext4 « home » 20,0 Go + FAT32 « DATA » 1,5 Go + "
                                "non reconnu 16,0 Mo");
        assert_string_equal(en, "GPT: NTFS 'Windows' 105 MB + ext4 'home' 20.0 GB + FAT32 'DATA' 1.5 GB + "
                                "unrecognised 16.0 MB");

        struct wipe_content empty = { 0 };
        _cleanup_free_ char *efr = wipe_content_summary(&empty, true);
        _cleanup_free_ char *een = wipe_content_summary(&empty, false);
        assert_string_equal(efr, "vide (aucune donnée reconnue)");
        assert_string_equal(een, "empty (nothing recognised)");

        struct wipe_content whole = { .fstype = (char *) "crypto_LUKS" };
        _cleanup_free_ char *wfr = wipe_content_summary(&whole, true);
        assert_string_equal(wfr, "LUKS (chiffré) (disque entier)");

        struct wipe_content notab = { .pttype = (char *) "dos" };
        _cleanup_free_ char *nen = wipe_content_summary(&notab, false);
        assert_string_equal(nen, "MBR: no partitions");

        /* MBR: the extended container is not listed, logical ones are. */
        struct wipe_partition mbr[] = {
                { .number = 1, .size = 1000000000, .fstype = (char *) "ntfs", .part_type = (char *) "0x07" },
                { .number = 2, .size = 5000000000, .part_type = (char *) "0x05" },
                { .number = 5, .size = 4000000000, .fstype = (char *) "ext4", .part_type = (char *) "0x83" },
        };
        struct wipe_content m = { .pttype = (char *) "dos", .partitions = mbr, .n_partitions = 3 };
        _cleanup_free_ char *mfr = wipe_content_summary(&m, true);
        assert_string_equal(mfr, "MBR : NTFS 1,0 Go + ext4 4,0 Go");

        /* Many partitions: the rest are counted. */
        struct wipe_partition many[12];
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                many[i] = (struct wipe_partition){ .number = (unsigned) i + 1, .fstype = (char *) "xfs" };
        struct wipe_content lots = { .pttype = (char *) "gpt", .partitions = many, .n_partitions = 12 };
        _cleanup_free_ char *len = wipe_content_summary(&lots, false);
        assert_string_equal(len, "GPT: XFS + XFS + XFS + XFS + XFS + XFS + XFS + XFS + 4 more");
}

static void test_sanitize_text(void **state) {
        (void) state;
        _cleanup_free_ char *a = wipe_sanitize_text("  Données\x01\x7f\xc3 \xff ok  ", 64);
        assert_string_equal(a, "Données??? ? ok");
        _cleanup_free_ char *b = wipe_sanitize_text("abcé", 4); /* é is 2 bytes: cut before it */
        assert_string_equal(b, "abc");
        _cleanup_free_ char *c = wipe_sanitize_text("\xed\xa0\x80", 16); /* a UTF-16 surrogate */
        assert_string_equal(c, "???");
        assert_null(wipe_sanitize_text("   ", 16));
        assert_null(wipe_sanitize_text(NULL, 16));
}

static void test_device_json(void **state) {
        (void) state;
        struct wipe_partition parts[] = {
                { .number = 1, .offset = 1048576, .size = 104857600, .fstype = (char *) "ntfs",
                  .label = (char *) "Windows", .part_type = (char *) "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7" },
        };
        struct wipe_device d = {
                .sysname = (char *) "loop3",
                .devnode = (char *) "/dev/loop3",
                .devnum = makedev(7, 3),
                .size = 268435456,
                .logical_sector_size = 512,
                .physical_sector_size = 4096,
                .vendor = (char *) "loop",
                .serial = (char *) "LOOP-donneur-1.img",
                .transport = WIPE_TRANSPORT_LOOP,
                .identity_source = WIPE_IDENTITY_STANDIN,
                .backing_file = (char *) "/srv/donneur-1.img",
        };
        _cleanup_json_ json_t *j = wipe_device_to_json(&d);
        assert_non_null(j);
        assert_string_equal(rf_json_str(j, "sysname"), "loop3");
        assert_string_equal(rf_json_str(j, "devnum"), "7:3");
        assert_int_equal(rf_json_int(j, "size"), 268435456);
        assert_int_equal(rf_json_int(j, "physical_sector_size"), 4096);
        assert_string_equal(rf_json_str(j, "transport"), "loop");
        assert_string_equal(rf_json_str(j, "identity_source"), "stand-in");
        assert_true(json_is_null(json_object_get(j, "model")));
        assert_true(json_is_null(json_object_get(j, "wwn")));
        assert_true(json_is_null(json_object_get(j, "content")));
        assert_true(json_is_false(json_object_get(j, "read_only")));

        d.content = (struct wipe_content){ .pttype = (char *) "gpt", .partitions = parts, .n_partitions = 1 };
        d.content_probed = true;
        _cleanup_json_ json_t *k = wipe_device_to_json(&d);
        assert_non_null(k);
        json_t *content = json_object_get(k, "content");
        assert_string_equal(rf_json_str(content, "pttype"), "gpt");
        assert_true(json_is_null(json_object_get(content, "fstype")));
        json_t *p0 = json_array_get(json_object_get(content, "partitions"), 0);
        assert_int_equal(rf_json_int(p0, "offset"), 1048576);
        assert_string_equal(rf_json_str(p0, "label"), "Windows");
        assert_string_equal(rf_json_str(k, "content_summary_fr"), "GPT : NTFS « Windows » 105 Mo");
        assert_string_equal(rf_json_str(k, "content_summary_en"), "GPT: NTFS 'Windows' 105 MB");
}

/* ---- post-erase check and geometry on image files ---------------------- */

static int image(char path[static 64], size_t size) {
        snprintf(path, 64, "/tmp/test-safety-img-XXXXXX");
        int fd = mkostemp(path, O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t) size), 0);
        return fd;
}

static void test_check_signatures(void **state) {
        (void) state;
        char path[64];
        _cleanup_close_ int fd = image(path, 1024 * 1024);

        char **found = NULL;
        assert_int_equal(wipe_check_signatures(fd, &found), 0);
        assert_non_null(found);
        assert_null(found[0]);
        wipe_strv_free(found);

        /* A version 1 swap header, as mkswap writes it. */
        uint8_t hdr[8] = { 1, 0, 0, 0, 0xff, 0, 0, 0 };
        assert_int_equal(pwrite(fd, hdr, sizeof(hdr), 1024), (ssize_t) sizeof(hdr));
        assert_int_equal(pwrite(fd, "SWAPSPACE2", 10, 4086), 10);
        found = NULL;
        assert_int_equal(wipe_check_signatures(fd, &found), 0);
        assert_non_null(found);
        assert_non_null(found[0]);
        assert_string_equal(found[0], "swap@4086");
        assert_null(found[1]);
        wipe_strv_free(found);

        uint64_t size = 0;
        unsigned lss = 0;
        assert_int_equal(wipe_fd_geometry(fd, &size, &lss), 0);
        assert_int_equal(size, 1024 * 1024);
        assert_int_equal(lss, 512);
        assert_int_equal(wipe_check_signatures(-1, &found), -EINVAL);
        assert_int_equal(unlink(path), 0);
}

static void test_open_exclusive_refusals(void **state) {
        (void) state;
        struct wipe_refusal r;
        int fd = 123;
        assert_true(wipe_open_exclusive("/dev/nonexistent-refurb-test", &fd, &r) < 0);
        assert_int_equal(fd, -1);
        assert_int_equal(r.code, WIPE_REFUSAL_NO_MEDIUM);

        char path[64];
        _cleanup_close_ int ifd = image(path, 4096);
        assert_int_equal(wipe_open_exclusive(path, &fd, &r), -ENOTBLK);
        assert_int_equal(r.code, WIPE_REFUSAL_NOT_WHOLE_DISK);
        assert_int_equal(unlink(path), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_content_summary),
                cmocka_unit_test(test_sanitize_text),
                cmocka_unit_test(test_device_json),
                cmocka_unit_test(test_check_signatures),
                cmocka_unit_test(test_open_exclusive_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
