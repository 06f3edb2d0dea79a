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

/* ---- Tests ---- */

static void test_opts_init(void **state) {
        struct wipe_overwrite_opts a, b;

        memset(&a, 0xff, sizeof(a)); /* garbage in */
        assert_int_equal(wipe_overwrite_opts_init(&a), 0);
        assert_int_equal(wipe_overwrite_opts_init(&b), 0);
        assert_int_equal(a.verify, WIPE_VERIFY_FULL);
        assert_int_equal(a.block_size, 4 * MiB);
        assert_int_equal(a.max_exceptions, 1024);
        assert_null(a.cancel);
        assert_null(a.on_progress);
        assert_null(a.sysfs_dir);
        assert_memory_not_equal(a.key, b.key, WIPE_KEY_SIZE);
        assert_memory_not_equal(a.iv, b.iv, WIPE_IV_SIZE);
}

static void test_invalid_args(void **state) {
        struct wipe_overwrite_opts o;
        struct wipe_overwrite_result res;

        assert_int_equal(wipe_overwrite_opts_init(&o), 0);
        assert_int_equal(wipe_overwrite_run(-1, MiB, SECTOR, &o, NULL, &res), -EINVAL);
        assert_int_equal(wipe_overwrite_run(0, MiB, 100, &o, NULL, &res), -EINVAL);
        assert_int_equal(wipe_overwrite_run(0, 0, SECTOR, &o, NULL, &res), -ENOMEDIUM);
        o.block_size = 1000;
        assert_int_equal(wipe_overwrite_run(0, MiB, SECTOR, &o, NULL, &res), -EINVAL);
        o.block_size = 0;
        o.verify = WIPE_VERIFY_SAMPLE;
        o.verify_percent = 0;
        assert_int_equal(wipe_overwrite_run(0, MiB, SECTOR, &o, NULL, &res), -EINVAL);
        o.verify_percent = 101;
        assert_int_equal(wipe_overwrite_run(0, MiB, SECTOR, &o, NULL, &res), -EINVAL);
}

static void test_full_run(void **state) {
        /* Not a multiple of the block size nor of 1 MiB. */
        struct tmpdev d;
        tmpdev_open(&d, 9 * MiB + 7 * SECTOR);
        struct hooks h;
        hooks_init(&h, d.fd);
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_null(res.exceptions);
        assert_true(res.flushed);
        assert_int_equal(res.size, d.size);
        assert_int_equal(res.bytes_written, d.size);
        assert_int_equal(res.bytes_verified, d.size);
        assert_int_equal(res.verify_percent_effective, 100);
        assert_true(res.cpu_seconds >= 0.0);
        assert_int_equal(atomic_load(&p.phase), WIPE_PHASE_DONE);
        assert_int_equal(atomic_load(&p.bytes_written), d.size);
        assert_int_equal(atomic_load(&p.bytes_verified), d.size);
        assert_int_equal(atomic_load(&p.verify_total), d.size);
        assert_true(h.progress_calls >= 1); /* at least the final one */
        assert_content(&d, &o, NULL, 0);
        wipe_overwrite_result_clear(&res);

        /* Verification alone, as from a certificate: passes with the key,
         * writes nothing, and finds a change made afterwards. */
        const struct wipe_io io = { .pwrite = hook_pwrite, .pread = hook_pread, .flush = hook_flush, .userdata = &h };
        assert_int_equal(wipe_overwrite_verify_io(d.fd, d.size, SECTOR, &o, &io, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_int_equal(res.bytes_written, 0);
        assert_false(res.flushed);
        assert_int_equal(res.bytes_verified, d.size);
        wipe_overwrite_result_clear(&res);
        uint8_t byte;
        assert_int_equal(pread(d.fd, &byte, 1, 5 * MiB + 1), 1);
        byte ^= 0xff;
        assert_int_equal(pwrite(d.fd, &byte, 1, 5 * MiB + 1), 1);
        assert_int_equal(wipe_overwrite_verify_io(d.fd, d.size, SECTOR, &o, &io, &p, &res), 0);
        assert_int_equal(res.n_exceptions, 1);
        assert_exception(&res.exceptions[0], WIPE_EXC_MISMATCH, 5 * MiB, SECTOR, 0);
        wipe_overwrite_result_clear(&res);
        o.verify = WIPE_VERIFY_NONE;
        assert_int_equal(wipe_overwrite_verify_io(d.fd, d.size, SECTOR, &o, &io, &p, &res), -EINVAL);

        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_short_transfers_and_default_io(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 3 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.max_chunk = 100000; /* not even a multiple of the sector size */
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.generator_threads = 1;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_int_equal(res.bytes_verified, d.size);
        assert_content(&d, &o, NULL, 0);
        wipe_overwrite_result_clear(&res);

        /* The public entry point with the real system calls, default
         * block size and threads. */
        struct wipe_overwrite_opts o2;
        assert_int_equal(wipe_overwrite_opts_init(&o2), 0);
        assert_int_equal(wipe_overwrite_run(d.fd, d.size, SECTOR, &o2, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.n_exceptions, 0);
        assert_int_equal(res.bytes_verified, d.size);
        assert_content(&d, &o2, NULL, 0);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_write_errors_narrowed(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 6 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        /* Three bad ranges: inside a chunk; across the 1 MiB chunk boundary
         * (two failing chunks: one exception); a single last sector. */
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 200 * 1024 + 3 * SECTOR, 3 * SECTOR, EIO };
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 2 * MiB - 2 * SECTOR, 5 * SECTOR, EIO };
        h.faults[h.n_faults++] = (struct fault) { FAULT_WRITE_ERROR, 6 * MiB - SECTOR, SECTOR, EROFS };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_progress p = {};
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, &p, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_true(res.flushed);
        assert_int_equal(res.bytes_written, d.size - 9 * SECTOR);
        assert_int_equal(res.bytes_verified, d.size);
        /* Each unwritable range is reported as a write error and, as it
         * still holds the old data, as a mismatch, sorted by offset. */
        assert_int_equal(res.n_exceptions, 6);
        assert_int_equal(atomic_load(&p.n_exceptions), 6);
        assert_exception(&res.exceptions[0], WIPE_EXC_WRITE_ERROR, 200 * 1024 + 3 * SECTOR, 3 * SECTOR, EIO);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, 200 * 1024 + 3 * SECTOR, 3 * SECTOR, 0);
        assert_exception(&res.exceptions[2], WIPE_EXC_WRITE_ERROR, 2 * MiB - 2 * SECTOR, 5 * SECTOR, EIO);
        assert_exception(&res.exceptions[3], WIPE_EXC_MISMATCH, 2 * MiB - 2 * SECTOR, 5 * SECTOR, 0);
        assert_exception(&res.exceptions[4], WIPE_EXC_WRITE_ERROR, 6 * MiB - SECTOR, SECTOR, EROFS);
        assert_exception(&res.exceptions[5], WIPE_EXC_MISMATCH, 6 * MiB - SECTOR, SECTOR, 0);
        /* Everything around the bad sectors was written. */
        assert_content(&d, &o, res.exceptions, res.n_exceptions);

        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_read_errors_narrowed(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 4 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.faults[h.n_faults++] = (struct fault) { FAULT_READ_ERROR, MiB + 64 * 1024, 2 * SECTOR, EIO };
        h.faults[h.n_faults++] = (struct fault) { FAULT_READ_ERROR, 3 * MiB + 64 * 1024 - SECTOR, 2 * SECTOR, EIO };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.bytes_written, d.size);
        /* Unreadable bytes are not counted as verified, and are not
         * reported a second time as mismatches. */
        assert_int_equal(res.bytes_verified, d.size - 4 * SECTOR);
        assert_int_equal(res.n_exceptions, 2);
        assert_exception(&res.exceptions[0], WIPE_EXC_READ_ERROR, MiB + 64 * 1024, 2 * SECTOR, EIO);
        /* Spans two 64 KiB pieces: still one range. */
        assert_exception(&res.exceptions[1], WIPE_EXC_READ_ERROR, 3 * MiB + 64 * 1024 - SECTOR, 2 * SECTOR, EIO);
        assert_content(&d, &o, NULL, 0);

        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_mismatch_narrowed(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 5 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        /* One byte; 1000 bytes across a sector boundary; a range across
         * the 1 MiB chunk boundary (compared by two threads). */
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 12345, 1, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 3 * MiB + 700, 1000, 0 };
        h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, 4 * MiB - 10, 20, 0 };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_int_equal(res.bytes_verified, d.size);
        assert_int_equal(res.n_exceptions, 3);
        assert_exception(&res.exceptions[0], WIPE_EXC_MISMATCH, 12288, SECTOR, 0);
        assert_exception(&res.exceptions[1], WIPE_EXC_MISMATCH, 3 * MiB + SECTOR, 3 * SECTOR, 0);
        assert_exception(&res.exceptions[2], WIPE_EXC_MISMATCH, 4 * MiB - SECTOR, 2 * SECTOR, 0);
        /* The device itself is fine: only the reads were altered. */
        assert_content(&d, &o, NULL, 0);

        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_too_many_errors(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 4 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        for (size_t i = 0; i < 6; i++)
                h.faults[h.n_faults++] = (struct fault) { FAULT_CORRUPT, i * 16 * SECTOR, 1, 0 };
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.max_exceptions = 3;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_TOO_MANY_ERRORS);
        assert_int_equal(res.n_exceptions, 3);
        for (size_t i = 0; i < 3; i++)
                assert_exception(&res.exceptions[i], WIPE_EXC_MISMATCH, i * 16 * SECTOR, SECTOR, 0);
        assert_true(res.bytes_verified < d.size);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

static void test_flush_error(void **state) {
        struct tmpdev d;
        tmpdev_open(&d, 2 * MiB);
        struct hooks h;
        hooks_init(&h, d.fd);
        h.flush_error = -EIO;
        struct wipe_overwrite_opts o;
        opts_for_test(&o, &h);
        o.verify = WIPE_VERIFY_NONE;
        struct wipe_overwrite_result res;

        assert_int_equal(run(&d, &o, &h, NULL, &res), 0);
        assert_int_equal(res.stop, WIPE_STOP_NONE);
        assert_false(res.flushed);
        assert_int_equal(res.bytes_verified, 0);
        assert_int_equal(res.verify_percent_effective, 0);
        assert_int_equal(res.n_exceptions, 1);
        assert_exception(&res.exceptions[0], WIPE_EXC_FLUSH_ERROR, 0, d.size, EIO);
        wipe_overwrite_result_clear(&res);
        hooks_done(&h);
        tmpdev_close(&d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_opts_init),
                cmocka_unit_test(test_invalid_args),
                cmocka_unit_test(test_full_run),
                cmocka_unit_test(test_short_transfers_and_default_io),
                cmocka_unit_test(test_write_errors_narrowed),
                cmocka_unit_test(test_read_errors_narrowed),
                cmocka_unit_test(test_mismatch_narrowed),
                cmocka_unit_test(test_too_many_errors),
                cmocka_unit_test(test_flush_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
