/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-keystream.h"
#include "wipe-overwrite-internal.h"
#include "wipe-overwrite.h"

#define SECTOR 512u
#define OLD_BYTE 0xa5

#include "test-overwrite-lib.h"

static void test_cancel(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 32 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        atomic_bool cancel = false;
        h.cancel = &cancel;
        h.trigger_after = 5 * MiB;
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.cancel = &cancel;
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_CANCELLED);
        assert_false(res.flushed);
        assert_int_equal(res.bytes_verified, 0);
        assert_int_equal(res.n_exceptions, 0);
        /* The writers look at the flag before each block: at most the
         * blocks in flight (one per writer thread) complete after the
         * cancellation. */
        assert_true(res.bytes_written >= 5 * MiB);
        assert_true(res.bytes_written <= 7 * MiB);
        assert_true(h.writes_after_stop <= MiB);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_removed_errno(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 4 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 2 * MiB, 4 * MiB, ENODEV };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.n_exceptions, 0); /* no narrowing on a gone device */
        assert_int_equal(res.bytes_written, 2 * MiB);
        assert_false(res.flushed);
        wipe_overwrite_result_clear(&res);

        /* The caller's flag. */
        atomic_bool removed = true;
        o.removed = &removed;
        h.n_faults = 0;
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.bytes_written, 0);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

struct fake_sysfs {
        char dir[256], size[300], loopdir[300], autoclear[300];
};

static void fake_sysfs_make(struct fake_sysfs *s, const char *size, const char *autoclear) {
        const char *tmp = getenv("TMPDIR") ?: "/tmp";
        snprintf(s->dir, sizeof(s->dir), "%s/test-sysfs-XXXXXX", tmp);
        assert_non_null(mkdtemp(s->dir));
        snprintf(s->size, sizeof(s->size), "%s/size", s->dir);
        snprintf(s->loopdir, sizeof(s->loopdir), "%s/loop", s->dir);
        snprintf(s->autoclear, sizeof(s->autoclear), "%s/loop/autoclear", s->dir);
        write_file(s->size, size);
        assert_int_equal(mkdir(s->loopdir, 0755), 0);
        write_file(s->autoclear, autoclear);
}

static void fake_sysfs_remove(struct fake_sysfs *s) {
        unlink(s->autoclear);
        rmdir(s->loopdir);
        unlink(s->size);
        rmdir(s->dir);
}

static void test_removed_loop_detach(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 32 * MiB);
        struct fake_sysfs s;
        fake_sysfs_make(&s, "65536\n", "0\n");
        struct hooks h;
        hooks_init(&h, d.fd);
        h.trigger_after = 3 * MiB;
        h.autoclear_path = s.autoclear; /* "losetup -d" there, then wait for a tick */
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.sysfs_dir = s.dir;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.n_exceptions, 0);
        assert_true(res.bytes_written <= 5 * MiB);
        assert_true(h.writes_after_stop <= MiB);
        wipe_overwrite_result_clear(&res);

        /* A write error while sysfs is fine: an ordinary bad sector. */
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, MiB, SECTOR, EIO };
        h.trigger_after = 0;
        h.autoclear_path = NULL;
        write_file(s.autoclear, "0\n");
        /* A new key, or the sector would hold the pattern of the first run. */
        assert_int_equal(rf_random_bytes(o.key, sizeof(o.key)), 0);
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 2);
        assert_exception(&res.exceptions[0], WIPE_EXC_WRITE_ERROR, MiB, SECTOR, EIO);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, MiB, SECTOR, 0);
        wipe_overwrite_result_clear(&res);

        /* The same error when the device's size has dropped to 0 (medium
         * gone): removed at once, no narrowing. */
        h.size_path = s.size;
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.n_exceptions, 0);
        /* Chunk 0 (claimed before the failing chunk 1) always; the other
         * writer may have gone on meanwhile, within the ring's 8 slots. */
        assert_true(res.bytes_written >= MiB && res.bytes_written <= 9 * MiB);
        wipe_overwrite_result_clear(&res);

        /* Gone before the start. */
        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_REMOVED);
        assert_int_equal(res.bytes_written, 0);
        wipe_overwrite_result_clear(&res);

        hooks_done(&h);
        fake_sysfs_remove(&s);
        tmpdev_close(&d);
}

static uint64_t expected_sample_bytes(const uint8_t *key, uint64_t size, unsigned percent) {
        uint64_t n_units = (size + MiB - 1) / MiB, total = 0;

        for (uint64_t u = 0; u < n_units; u++) {
                if (wipe_sample_selected(key, u, n_units, percent))
                        total += MIN(MiB, size - u * MiB);
        }
        return total;
}

static void test_sample_run(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 64 * MiB + 3 * SECTOR); /* partial last unit */
        struct hooks h;
        hooks_init(&h, d.fd);
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.verify = WIPE_VERIFY_SAMPLE;
        o.verify_percent = 10;
        o.block_size = 2 * MiB; /* runs of selected units are grouped */
        /* A middle unit in the sample and one outside. */
        uint64_t in = 0, out = 0;
        for (uint64_t u = 1; u < 64 && (!in || !out); u++) {
                if (wipe_sample_selected(o.key, u, 65, 10))
                        in = in ?: u;
                else
                        out = out ?: u;
        }
        assert_true(in > 0 && out > 0);
        /* A corrupted byte in the first unit, in the last (partial) one,
         * in the selected unit and in the unselected one. */
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 100, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, d.size - 1, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, in * MiB + 5000, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, out * MiB + 5000, 1, 0 };
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        uint64_t want = expected_sample_bytes(o.key, d.size, 10);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.bytes_verified, want);
        assert_int_equal(atomic_load(&p.verify_total), want);
        assert_int_equal(res.verify_percent_effective, (want * 100 + d.size / 2) / d.size);
        assert_true(want < d.size / 2);
        assert_int_equal(res.n_exceptions, 3);
        assert_exception(&res.exceptions[0], WIPE_EXC_MISMATCH, 0, SECTOR, 0);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, in * MiB + 4608, SECTOR, 0);
        assert_exception(&res.exceptions[2], WIPE_EXC_MISMATCH, d.size - SECTOR, SECTOR, 0);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_sample_selection(void **state) {
        uint8_t key[WIPE_KEY_SIZE], key2[WIPE_KEY_SIZE];
        const uint64_t n = 20000;

        /* Fixed keys: the statistical checks below are deterministic. */
        for (size_t i = 0; i < sizeof(key); i++) {
                key[i] = (uint8_t) i;
                key2[i] = (uint8_t) (0xa0 + i);
        }
        _cleanup_(wipe_sampler_freep) struct wipe_sampler *s = NULL;
        assert_int_equal(wipe_sampler_new(key, &s), 0);

        static const unsigned percents[] = { 1, 10, 50 };
        for (size_t i = 0; i < ELEMENTSOF(percents); i++) {
                unsigned pc = percents[i];
                uint64_t count = 0, differ = 0, checked = 0;
                assert_true(wipe_sample_selected(key, 0, n, pc));
                assert_true(wipe_sample_selected(key, n - 1, n, pc));
                for (uint64_t u = 0; u < n; u++) {
                        int r = wipe_sampler_selected(s, u, n, pc);
                        assert_true(r == 0 || r == 1);
                        count += (uint64_t) r;
                        if (u % 97 == 0) {
                                /* The one-shot function agrees, and is
                                 * deterministic. */
                                assert_int_equal(wipe_sample_selected(key, u, n, pc), r == 1);
                                assert_int_equal(wipe_sample_selected(key, u, n, pc), r == 1);
                        }
                        if (u % 10 == 0) {
                                checked++;
                                differ += wipe_sample_selected(key2, u, n, pc) != (r == 1);
                        }
                }
                /* Binomial: within 5 standard deviations of n * p. */
                double pr = pc / 100.0, mean = (double) n * pr, var = mean * (1.0 - pr);
                double dev = (double) count - mean;
                assert_true(dev * dev < 25.0 * var);
                /* Another key picks other units: independent choices
                 * disagree with probability 2p(1-p); ask for half of it. */
                assert_true((double) differ > (double) checked * pr * (1.0 - pr));
        }
        assert_true(wipe_sample_selected(key, 5, n, 100));
        assert_false(wipe_sampler_selected(s, 5, n, 0));
        assert_true(wipe_sample_selected(key, 0, 1, 1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_removed_errno),
                cmocka_unit_test(test_removed_loop_detach),
                cmocka_unit_test(test_sample_run),
                cmocka_unit_test(test_sample_selection),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
