/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-cert.h"
#include "rfd-store.h"
#include "test-store-lib.h"

/* ---- store ---- */

static void test_state_strings(void **state) {
        (void) state;
        for (int i = RFD_JOB_QUEUED; i <= RFD_JOB_INTERRUPTED; i++) {
                enum rfd_job_state s = RFD_JOB_QUEUED;
                const char *name = rfd_job_state_to_string((enum rfd_job_state) i);
                assert_non_null(name);
                assert_int_equal(rfd_job_state_from_string(name, &s), 0);
                assert_int_equal(s, i);
        }
        assert_string_equal(rfd_job_state_to_string(RFD_JOB_VERIFYING), "verifying");
        assert_null(rfd_job_state_to_string((enum rfd_job_state) 42));
        assert_int_equal(rfd_job_state_from_string("Done", NULL), -EINVAL);
        assert_int_equal(rfd_job_state_from_string(NULL, NULL), -EINVAL);
}

static void test_open_schema(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_free_ char *path = NULL, *fk = NULL;
        struct stat st;

        struct rfd_store *s = open_store(f, 0);
        assert_true(asprintf(&path, "%s/refurbd.db", f->dir) > 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        rfd_store_close(s);
        rfd_store_close(open_store(f, 0)); /* migrating twice is a no-op */

        sqlite3 *db = raw_open(f);
        assert_raw_text(db, "PRAGMA journal_mode", "wal");
        assert_raw_text(db, "PRAGMA user_version", "4"); /* 2: intake, 3: imaging runs, 4: API tokens */
        sqlite3_close(db);

        /* A database from a newer refurbd is refused, not damaged. */
        db = raw_open(f);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=7", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        s = NULL;
        assert_int_equal(rfd_store_open(f->dir, &s, NULL), -EPROTONOSUPPORT);
        assert_null(s);

        /* Not a database at all. */
        assert_int_equal(rfd_store_open("", &s, NULL), -EINVAL);
        assert_int_equal(unlink(path), 0);
        assert_true(asprintf(&fk, "%s-wal", path) > 0);
        (void) unlink(fk);
        assert_int_equal(rf_write_file_atomic(path, "this is not sqlite, just some text that is long enough ....",
                                              60, 0600), 0);
        assert_int_equal(rfd_store_open(f->dir, &s, NULL), -EBADMSG);
}

static void test_devices(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);

        int64_t a = add_device(s, "S1", "Model X", "udev");
        assert_int_equal(add_device(s, "S1", "Model X", "udev"), a);
        int64_t b = add_device(s, "S2", "Model X", "udev");
        assert_true(b != a);
        /* serial+model: the same serial on another model is another drive. */
        assert_true(add_device(s, "S1", "Model Y", "udev") != a);
        /* Stand-in identities go by the stand-in serial alone. */
        int64_t c = add_device(s, "loop:/srv/donor-1.img", "Loop", "stand-in");
        assert_int_equal(add_device(s, "loop:/srv/donor-1.img", "Other", "stand-in"), c);
        /* No serial, no WWN: never merged with another drive. */
        int64_t d = add_device(s, NULL, "Model X", "sysfs");
        assert_true(add_device(s, NULL, "Model X", "sysfs") != d);

        json_t *bad = json_pack("{s:s}", "serial", "S3");
        assert_int_equal(rfd_store_upsert_device(s, bad, NULL), -EINVAL); /* no size */
        json_decref(bad);
        bad = json_array();
        assert_int_equal(rfd_store_upsert_device(s, bad, NULL), -EINVAL);
        json_decref(bad);
}

static void test_jobs(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        _cleanup_(rfd_job_record_clear) struct rfd_job_record j, g = {};
        int64_t dev = add_device(s, "S1", "Model X", "udev");
        time_t t0 = rf_now_sec();

        job_init(&j, dev, 1048576);
        j.state = RFD_JOB_DONE; /* ignored: a new job is queued */
        assert_int_equal(rfd_store_job_insert(s, &j), 0);
        assert_true(j.id > 0);
        assert_int_equal(j.state, RFD_JOB_QUEUED);
        assert_true(j.created_at >= t0 && j.created_at <= rf_now_sec());

        j.state = RFD_JOB_ERASING;
        j.started_at = j.created_at + 1;
        j.bytes_written = 4096;
        assert_int_equal(rfd_store_job_update(s, &j), 0);
        assert_int_equal(rfd_store_job_get(s, j.id, &g), 0);
        assert_int_equal(g.id, j.id);
        assert_int_equal(g.device_id, dev);
        assert_int_equal(g.state, RFD_JOB_ERASING);
        assert_string_equal(g.bay, "baie-1");
        assert_string_equal(g.devnode, "/dev/loop3");
        assert_string_equal(g.method, "overwrite-aes256ctr");
        assert_string_equal(g.verify_mode, "full");
        assert_int_equal(g.verify_percent, 100);
        assert_int_equal(g.created_at, j.created_at);
        assert_int_equal(g.started_at, j.started_at);
        assert_int_equal(g.ended_at, 0);
        assert_int_equal(g.size, 1048576);
        assert_int_equal(g.bytes_written, 4096);
        assert_null(g.result);
        assert_null(g.certificate_id);
        assert_string_equal(g.pattern_key, j.pattern_key);
        assert_true(json_is_array(g.exceptions) && json_array_size(g.exceptions) == 0);
        rfd_job_record_clear(&g);

        json_array_append_new(j.exceptions, json_pack("{s:s, s:I, s:I, s:s}", "kind", "write-error", "offset",
                                                      (json_int_t) 512, "length", (json_int_t) 512, "error",
                                                      "Input/output error"));
        /* "erased" only with state done. */
        j.state = RFD_JOB_FAILED;
        set_str(&j.result, "erased");
        assert_int_equal(rfd_store_job_update(s, &j), -EINVAL);
        set_str(&j.result, "maybe");
        assert_int_equal(rfd_store_job_update(s, &j), -EINVAL);
        set_str(&j.result, "not-erased");
        set_str(&j.reason, "erreur d'écriture sur 1 zone");
        j.ended_at = j.started_at + 5;
        assert_int_equal(rfd_store_job_update(s, &j), 0);
        assert_int_equal(rfd_store_job_get(s, j.id, &g), 0);
        assert_int_equal(g.state, RFD_JOB_FAILED);
        assert_string_equal(g.result, "not-erased");
        assert_string_equal(g.reason, "erreur d'écriture sur 1 zone");
        assert_int_equal(json_array_size(g.exceptions), 1);
        assert_int_equal(rf_json_int(json_array_get(g.exceptions, 0), "offset"), 512);
        rfd_job_record_clear(&g);

        /* A final state is final; the pattern is recorded once. */
        j.state = RFD_JOB_DONE;
        assert_int_equal(rfd_store_job_update(s, &j), -ESTALE);
        j.state = RFD_JOB_FAILED;
        set_str(&j.pattern_key, "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        assert_int_equal(rfd_store_job_update(s, &j), -EINVAL);
        set_str(&j.pattern_key, NULL); /* not known here: the recorded one stays */
        assert_int_equal(rfd_store_job_update(s, &j), 0);
        assert_int_equal(rfd_store_job_get(s, j.id, &g), 0);
        assert_string_equal(g.pattern_key, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

        j.id = 9999;
        assert_int_equal(rfd_store_job_update(s, &j), -ENOENT);
        assert_int_equal(rfd_store_job_get(s, 9999, &g), -ENOENT);
}

static void test_reopen_interrupts(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_(rfd_job_record_clear) struct rfd_job_record g = {};
        struct rfd_store *s = open_store(f, 0);
        int64_t dev = add_device(s, "S1", "Model X", "udev");
        int64_t q = add_job(s, dev, RFD_JOB_QUEUED), e = add_job(s, dev, RFD_JOB_ERASING);
        int64_t v = add_job(s, dev, RFD_JOB_VERIFYING), c = add_job(s, dev, RFD_JOB_CANCELLED);
        time_t t0 = rf_now_sec();
        rfd_store_close(s);

        s = open_store(f, 3);
        int64_t ids[] = { q, e, v };
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                assert_int_equal(rfd_store_job_get(s, ids[i], &g), 0);
                assert_int_equal(g.state, RFD_JOB_INTERRUPTED);
                assert_string_equal(g.reason, "arrêt du démon pendant le travail (redémarrage ou panne)");
                assert_string_equal(g.result, "not-erased");
                assert_true(g.ended_at >= t0);
                rfd_job_record_clear(&g);
        }
        assert_int_equal(rfd_store_job_get(s, c, &g), 0);
        assert_int_equal(g.state, RFD_JOB_CANCELLED);
        assert_int_equal(g.ended_at, 0);
        rfd_store_close(s);
        rfd_store_close(open_store(f, 0));
}

static void test_jobs_json(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        _cleanup_json_ json_t *all = NULL, *two = NULL;
        int64_t dev = add_device(s, "S1", "Model X", "udev");
        int64_t ids[3];
        for (size_t i = 0; i < 3; i++)
                ids[i] = add_job(s, dev, i == 1 ? RFD_JOB_ERASING : RFD_JOB_QUEUED);

        assert_int_equal(rfd_store_jobs_json(s, 0, &all), 0);
        assert_int_equal(json_array_size(all), 3);
        assert_int_equal(rfd_store_jobs_json(s, 2, &two), 0);
        assert_int_equal(json_array_size(two), 2);
        assert_int_equal(rf_json_int(json_array_get(all, 0), "id"), ids[2]); /* newest first */
        assert_int_equal(rf_json_int(json_array_get(all, 2), "id"), ids[0]);

        const json_t *j = json_array_get(all, 1);
        const char *keys[] = { "id", "bay", "devnode", "device_id", "state", "method", "verify_mode", "verify_percent",
                               "created_at", "started_at", "ended_at", "size", "bytes_written", "bytes_verified",
                               "result", "reason", "exceptions", "pattern", "certificate_id", "device" };
        assert_int_equal(json_object_size(j), ELEMENTSOF(keys));
        assert_string_equal(rf_json_str(json_object_get(j, "device"), "serial"), "S1");
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                assert_non_null(json_object_get(j, keys[i]));
        assert_string_equal(rf_json_str(j, "state"), "erasing");
        assert_int_equal(rf_json_int(j, "device_id"), dev);
        assert_int_equal(rf_json_int(j, "size"), 1048576);
        const char *created = rf_json_str(j, "created_at");
        assert_int_equal(strlen(created), 20);
        assert_true(created[4] == '-' && created[10] == 'T' && created[19] == 'Z');
        assert_int_equal(strlen(rf_json_str(j, "started_at")), 20);
        assert_true(json_is_null(json_object_get(j, "ended_at")));
        assert_true(json_is_null(json_object_get(j, "result")));
        assert_true(json_is_null(json_object_get(j, "certificate_id")));
        assert_true(json_is_array(json_object_get(j, "exceptions")));
        const json_t *p = json_object_get(j, "pattern");
        assert_string_equal(rf_json_str(p, "algorithm"), "aes-256-ctr");
        assert_int_equal(strlen(rf_json_str(p, "key")), 64);
        assert_int_equal(strlen(rf_json_str(p, "iv")), 32);
}

/* ---- crash safety ---- */

static void crash_child(const char *dir, int fd) {
        struct rfd_store *s = NULL;
        if (rfd_store_open(dir, &s, NULL) < 0)
                _exit(2);
        int64_t dev = add_device(s, "S1", "Model X", "udev");
        for (;;) {
                struct rfd_job_record j;
                job_init(&j, dev, 1048576);
                if (rfd_store_job_insert(s, &j) < 0)
                        _exit(3);
                j.state = RFD_JOB_ERASING;
                j.bytes_written = 512;
                if (rfd_store_job_update(s, &j) < 0)
                        _exit(4);
                /* Committed: tell the parent, who will look for it. */
                if (write(fd, &j.id, sizeof(j.id)) != sizeof(j.id))
                        _exit(5);
                rfd_job_record_clear(&j);
        }
}

static void test_crash_safety(void **state) {
        struct test_dir_fixture *f = *state;

        size_t total = 0;
        for (unsigned round = 0; round < 6; round++) {
                int p[2];
                assert_int_equal(pipe(p), 0);
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        close(p[0]);
                        crash_child(f->dir, p[1]);
                }
                close(p[1]);
                /* Let it write for a while, a different while each round. */
                struct timespec ts = { 0, (long) (20 + 37 * round) * 1000000L };
                nanosleep(&ts, NULL);
                assert_int_equal(kill(pid, SIGKILL), 0);
                int status = 0;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

                int64_t id, last = 0;
                size_t n = 0;
                while (read(p[0], &id, sizeof(id)) == (ssize_t) sizeof(id)) {
                        last = id;
                        n++;
                }
                close(p[0]);
                total += n;

                /* Every acknowledged write is there, and the file is sound. */
                struct rfd_store *s = NULL;
                unsigned interrupted = 0;
                assert_int_equal(rfd_store_open(f->dir, &s, &interrupted), 0);
                assert_true(interrupted >= n);
                if (n > 0) {
                        _cleanup_(rfd_job_record_clear) struct rfd_job_record g = {};
                        assert_int_equal(rfd_store_job_get(s, last, &g), 0);
                        assert_int_equal(g.state, RFD_JOB_INTERRUPTED);
                        assert_int_equal(g.bytes_written, 512);
                }
                rfd_store_close(s);

                sqlite3 *db = raw_open(f);
                assert_raw_text(db, "PRAGMA integrity_check", "ok");
                assert_raw_text(db, "SELECT count(*) FROM pragma_foreign_key_check", "0");
                sqlite3_close(db);
        }
        assert_true(total > 0); /* the children did get some work done */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_state_strings),
                cmocka_unit_test_setup_teardown(test_open_schema, setup, teardown),
                cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
                cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reopen_interrupts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_jobs_json, setup, teardown),
                cmocka_unit_test_setup_teardown(test_crash_safety, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
