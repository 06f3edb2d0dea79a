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
#include "test-tmpdir.h"
#include "rf-util.h"
#include "rfd-cert.h"
#include "rfd-store.h"

struct fixture {
        char dir[64];
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        if (!f)
                return -1;
        if (test_mkdtemp(f->dir, sizeof(f->dir), "test-store") < 0) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

static struct rfd_store *open_store(const struct fixture *f, unsigned expect_interrupted) {
        struct rfd_store *s = NULL;
        unsigned n = 9999;
        assert_int_equal(rfd_store_open(f->dir, &s, &n), 0);
        assert_non_null(s);
        assert_int_equal(n, expect_interrupted);
        return s;
}

/* A second, raw connection to look at what is really on disk. */
static sqlite3 *raw_open(const struct fixture *f) {
        _cleanup_free_ char *path = NULL;
        sqlite3 *db = NULL;
        assert_true(asprintf(&path, "%s/refurbd.db", f->dir) > 0);
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        return db;
}

static void assert_raw_text(sqlite3 *db, const char *sql, const char *expect) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *) sqlite3_column_text(st, 0), expect);
        sqlite3_finalize(st);
}

static int64_t add_device(struct rfd_store *s, const char *serial, const char *model, const char *source) {
        _cleanup_json_ json_t *d = json_pack("{s:s, s:s?, s:s, s:n, s:s, s:s, s:I}", "vendor", "ACME", "serial", serial,
                                             "model", model, "wwn", "identity_source", source, "transport", "sata",
                                             "size", (json_int_t) 1048576);
        int64_t id = 0;
        assert_non_null(d);
        assert_int_equal(rfd_store_upsert_device(s, d, &id), 0);
        assert_true(id > 0);
        return id;
}

static void job_init(struct rfd_job_record *j, int64_t device_id, uint64_t size) {
        *j = (struct rfd_job_record) {
                .device_id = device_id,
                .bay = strdup("baie-1"),
                .devnode = strdup("/dev/loop3"),
                .method = strdup("overwrite-aes256ctr"),
                .verify_mode = strdup("full"),
                .verify_percent = 100,
                .size = size,
                .pattern_key = strdup("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
                .pattern_iv = strdup("0f0e0d0c0b0a09080706050403020100"),
                .exceptions = json_array(),
        };
        assert_non_null(j->pattern_iv);
}

static int64_t add_job(struct rfd_store *s, int64_t device_id, enum rfd_job_state state) {
        _cleanup_(rfd_job_record_clear) struct rfd_job_record j;
        job_init(&j, device_id, 1048576);
        assert_int_equal(rfd_store_job_insert(s, &j), 0);
        if (state != RFD_JOB_QUEUED) {
                j.state = state;
                j.started_at = (int64_t) rf_now_sec();
                assert_int_equal(rfd_store_job_update(s, &j), 0);
        }
        return j.id;
}

static void set_str(char **p, const char *v) {
        free(*p);
        *p = v ? strdup(v) : NULL;
}

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
        struct fixture *f = *state;
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
        struct fixture *f = *state;
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
        struct fixture *f = *state;
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
        struct fixture *f = *state;
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
        struct fixture *f = *state;
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

/* ---- certificate records ---- */

/* A minimal document of the shape the store checks, canonical. */
static char *mini_doc(const char *id, int64_t seq, const char *prev, int64_t job_id) {
        _cleanup_json_ json_t *d = json_pack("{s:s, s:I, s:s?, s:{s:I}, s:s, s:{s:s, s:s}}", "id", id, "sequence",
                                             (json_int_t) seq, "previous_sha256", prev, "job", "id",
                                             (json_int_t) job_id, "result", "erased", "media", "serial", "S1",
                                             "model", "Model X");
        char *text = NULL;
        assert_non_null(d);
        assert_int_equal(rf_json_canonical(d, &text, NULL), 0);
        return text;
}

static void insert_mini(struct rfd_store *s, const char *id, int64_t job_id, char ret_sha[static 65]) {
        char prev[65];
        int64_t seq = 0;
        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        _cleanup_free_ char *text = mini_doc(id, seq, *prev ? prev : NULL, job_id);
        assert_int_equal(rf_sha256_hex(text, strlen(text), ret_sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, job_id, seq, text, ret_sha, "SIG", "PEM"), 0);
}

static void test_cert_chain(void **state) {
        struct fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        _cleanup_(rfd_job_record_clear) struct rfd_job_record g = {};
        _cleanup_json_ json_t *list = NULL;
        char prev[65] = "x", sha1[65], sha2[65], sha[65];
        int64_t dev = add_device(s, "S1", "Model X", "udev"), seq = 0;
        int64_t j1 = add_job(s, dev, RFD_JOB_DONE), j2 = add_job(s, dev, RFD_JOB_DONE), j3 = add_job(s, dev, RFD_JOB_DONE);

        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        assert_int_equal(seq, 1);
        assert_string_equal(prev, "");
        insert_mini(s, "11111111-0000-4000-8000-000000000001", j1, sha1);
        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        assert_int_equal(seq, 2);
        assert_string_equal(prev, sha1);

        /* What the chain refuses. */
        const char *id = "22222222-0000-4000-8000-000000000002";
        _cleanup_free_ char *bad_prev = mini_doc(id, 2, "0000000000000000000000000000000000000000000000000000000000000000", j2);
        _cleanup_free_ char *bad_seq = mini_doc(id, 3, sha1, j2);
        _cleanup_free_ char *good = mini_doc(id, 2, sha1, j2);
        _cleanup_free_ char *spaced = NULL;
        assert_true(asprintf(&spaced, "%s ", good) > 0);
        assert_int_equal(rf_sha256_hex(bad_prev, strlen(bad_prev), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, bad_prev, sha, "SIG", "PEM"), -EINVAL);
        assert_int_equal(rf_sha256_hex(bad_seq, strlen(bad_seq), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 3, bad_seq, sha, "SIG", "PEM"), -ESTALE);
        assert_int_equal(rf_sha256_hex(spaced, strlen(spaced), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, spaced, sha, "SIG", "PEM"), -EINVAL); /* not canonical */
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, good, sha1, "SIG", "PEM"), -EINVAL); /* wrong hash */
        assert_int_equal(rf_sha256_hex(good, strlen(good), sha2), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j3, 2, good, sha2, "SIG", "PEM"), -EINVAL); /* other job */
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, good, sha2, "SIG", "PEM"), 0);

        /* One certificate per job, and the job points to it. */
        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        assert_int_equal(seq, 3);
        assert_string_equal(prev, sha2);
        _cleanup_free_ char *again = mini_doc("33333333-0000-4000-8000-000000000003", 3, sha2, j1);
        assert_int_equal(rf_sha256_hex(again, strlen(again), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, "33333333-0000-4000-8000-000000000003", j1, 3, again, sha, "SIG",
                                               "PEM"), -EEXIST);
        assert_int_equal(rfd_store_job_get(s, j2, &g), 0);
        assert_string_equal(g.certificate_id, id);
        /* A later update of the job without the id does not lose it. */
        free(g.certificate_id);
        g.certificate_id = NULL;
        assert_int_equal(rfd_store_job_update(s, &g), 0);
        rfd_job_record_clear(&g);
        assert_int_equal(rfd_store_job_get(s, j2, &g), 0);
        assert_string_equal(g.certificate_id, id);

        assert_int_equal(rfd_store_certs_json(s, &list), 0);
        assert_int_equal(json_array_size(list), 2);
        const json_t *c = json_array_get(list, 0);
        assert_string_equal(rf_json_str(c, "id"), id);
        assert_int_equal(rf_json_int(c, "seq"), 2);
        assert_int_equal(rf_json_int(c, "job_id"), j2);
        assert_string_equal(rf_json_str(c, "sha256"), sha2);
        assert_string_equal(rf_json_str(c, "serial"), "S1");
        assert_string_equal(rf_json_str(c, "model"), "Model X");
        assert_string_equal(rf_json_str(c, "result"), "erased");
        assert_int_equal(strlen(rf_json_str(c, "created_at")), 20);

        /* Certificates and jobs are append-only, even for other writers. */
        sqlite3 *db = raw_open(f);
        sqlite3_busy_timeout(db, 5000);
        assert_int_not_equal(sqlite3_exec(db, "UPDATE certificates SET result = 'erased'", NULL, NULL, NULL), SQLITE_OK);
        assert_int_not_equal(sqlite3_exec(db, "DELETE FROM certificates", NULL, NULL, NULL), SQLITE_OK);
        assert_int_not_equal(sqlite3_exec(db, "DELETE FROM jobs", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
}

static void test_cert_lookup(void **state) {
        struct fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        int64_t dev = add_device(s, "S1", "Model X", "udev");
        const char *ids[] = { "abcd1234-0000-4000-8000-000000000001", "abcd5678-0000-4000-8000-000000000002",
                              "ef012345-0000-4000-8000-000000000003" };
        char sha[65];
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                insert_mini(s, ids[i], add_job(s, dev, RFD_JOB_DONE), sha);

        _cleanup_free_ char *id = NULL, *json = NULL, *sig = NULL, *pem = NULL;
        assert_int_equal(rfd_store_cert_get(s, ids[1], &id, &json, &sig, &pem), 0);
        assert_string_equal(id, ids[1]);
        assert_string_equal(sig, "SIG");
        assert_string_equal(pem, "PEM");
        assert_non_null(strstr(json, "\"sequence\":2"));
        free(id);
        id = NULL;
        assert_int_equal(rfd_store_cert_get(s, "ef01", &id, NULL, NULL, NULL), 0);
        assert_string_equal(id, ids[2]);
        free(id);
        id = NULL;
        assert_int_equal(rfd_store_cert_get(s, "ABCD12", &id, NULL, NULL, NULL), 0); /* case-insensitive */
        assert_string_equal(id, ids[0]);
        assert_int_equal(rfd_store_cert_get(s, "abcd", NULL, NULL, NULL, NULL), -ENOTUNIQ);
        assert_int_equal(rfd_store_cert_get(s, "abc", NULL, NULL, NULL, NULL), -ENOENT);  /* too short */
        assert_int_equal(rfd_store_cert_get(s, "0000", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "", NULL, NULL, NULL, NULL), -ENOENT);
        /* No wildcard in the input matches more than it says. */
        assert_int_equal(rfd_store_cert_get(s, "abc%", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "ab_d1", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "%%%%", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "abcd*", NULL, NULL, NULL, NULL), -ENOENT);
}

/* ---- the result and the certificate ---- */

struct cert_case {
        struct rfd_config config;
        struct wipe_device device;
        struct rfd_job_record job;
        struct wipe_overwrite_result run;
        struct wipe_exception exc[4];
        char *sigs[4];
        struct rfd_cert_input in;
};

/* A complete, successful 8 MiB erasure with full verification. */
static void case_init(struct cert_case *c) {
        *c = (struct cert_case) {
                .config = { .bench_name = (char *) "atelier-1", .organisation = (char *) "Association Réemploi",
                            .location = (char *) "Lyon", .technician = (char *) "Camille" },
                .device = { .sysname = (char *) "loop3", .devnode = (char *) "/dev/loop3", .size = 8 * MiB,
                            .logical_sector_size = 512, .physical_sector_size = 4096, .vendor = (char *) "ACME",
                            .model = (char *) "Model X", .serial = (char *) "S1",
                            .transport = WIPE_TRANSPORT_LOOP, .identity_source = WIPE_IDENTITY_STANDIN },
                .job = { .id = 1, .bay = (char *) "baie-1", .devnode = (char *) "/dev/loop3", .state = RFD_JOB_DONE,
                         .method = (char *) "overwrite-aes256ctr", .verify_mode = (char *) "full",
                         .verify_percent = 100, .created_at = 1700000000, .started_at = 1700000001,
                         .ended_at = 1700000060, .size = 8 * MiB,
                         .pattern_key = (char *) "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                         .pattern_iv = (char *) "0f0e0d0c0b0a09080706050403020100" },
                .run = { .stop = WIPE_STOP_NONE, .size = 8 * MiB, .bytes_written = 8 * MiB,
                         .bytes_verified = 8 * MiB, .verify_percent_effective = 100, .flushed = true },
        };
        c->in = (struct rfd_cert_input) { .config = &c->config, .device = &c->device,
                                          .content_before = "GPT : NTFS « Windows » 8 Mo", .job = &c->job,
                                          .run = &c->run, .signatures_after = c->sigs };
}

static void add_exc(struct cert_case *c, enum wipe_exception_kind kind, uint64_t offset, int error) {
        c->exc[c->run.n_exceptions] = (struct wipe_exception) { kind, offset, 4096, error };
        c->run.exceptions = c->exc;
        c->run.n_exceptions++;
}

/* Decide; check both forms agree and return the detailed reason. */
static char *decide(const struct cert_case *c, int expect, const char *expect_summary) {
        const char *summary = "unset";
        char *detail = (char *) "unset";
        assert_int_equal(rfd_cert_result(&c->in, &summary), expect);
        assert_int_equal(rfd_cert_result_detail(&c->in, &detail), expect);
        if (expect == 1) {
                assert_null(summary);
                assert_null(detail);
        } else {
                assert_string_equal(summary, expect_summary);
                assert_non_null(detail);
        }
        return detail;
}

static void expect_reason(const struct cert_case *c, const char *summary, const char *detail) {
        _cleanup_free_ char *d = decide(c, 0, summary);
        assert_string_equal(d, detail);
}

static void test_cert_result(void **state) {
        (void) state;
        struct cert_case c;

        case_init(&c);
        assert_null(decide(&c, 1, NULL));

        case_init(&c);
        add_exc(&c, WIPE_EXC_WRITE_ERROR, 0, EIO);
        expect_reason(&c, "erreurs d'écriture", "erreur d'écriture sur 1 zone");
        add_exc(&c, WIPE_EXC_WRITE_ERROR, 65536, EIO);
        expect_reason(&c, "erreurs d'écriture", "erreurs d'écriture sur 2 zones");

        case_init(&c);
        add_exc(&c, WIPE_EXC_MISMATCH, 4096, 0);
        expect_reason(&c, "la vérification a trouvé des données différentes du motif",
                      "la vérification a trouvé des données différentes du motif (1 zone)");

        case_init(&c);
        c.run.flushed = false;
        expect_reason(&c, "le vidage du cache du disque a échoué", "le vidage du cache du disque a échoué");
        add_exc(&c, WIPE_EXC_FLUSH_ERROR, 0, EIO); /* said once */
        expect_reason(&c, "le vidage du cache du disque a échoué", "le vidage du cache du disque a échoué");

        /* Sampled verification: what the sample covers is enough. */
        case_init(&c);
        c.job.verify_mode = (char *) "sample";
        c.job.verify_percent = 10;
        c.run.verify_percent_effective = 10;
        c.run.bytes_verified = 820 * KiB; /* 10.0 % of 8 MiB */
        assert_null(decide(&c, 1, NULL));
        c.run.bytes_verified = 512 * KiB; /* 6 %: the sample was cut short */
        _cleanup_free_ char *d1 = decide(&c, 0, "vérification par échantillon incomplète");
        assert_non_null(strstr(d1, "524288 octets relus sur 8388608"));
        c.run.bytes_verified = 0;
        expect_reason(&c, "aucune donnée relue à la vérification", "aucune donnée relue à la vérification");

        case_init(&c);
        c.run.bytes_verified = 8 * MiB - 4096;
        expect_reason(&c, "vérification incomplète", "vérification incomplète : 8384512 octets relus sur 8388608");
        c.job.verify_mode = (char *) "none";
        c.run.bytes_verified = 8 * MiB;
        expect_reason(&c, "mode de vérification inconnu", "mode de vérification inconnu : none");

        case_init(&c);
        c.sigs[0] = (char *) "ext4@1024";
        expect_reason(&c, "une signature subsiste après effacement", "une signature subsiste après effacement : ext4@1024");
        c.sigs[1] = (char *) "gpt@512";
        expect_reason(&c, "une signature subsiste après effacement",
                      "des signatures subsistent après effacement : ext4@1024, gpt@512");
        c.in.signatures_after = NULL;
        expect_reason(&c, "la recherche de signatures après effacement n'a pas été faite",
                      "la recherche de signatures après effacement n'a pas été faite");

        case_init(&c);
        c.run.stop = WIPE_STOP_CANCELLED;
        c.run.bytes_written = 4096;
        expect_reason(&c, "travail annulé", "travail annulé");
        c.run.stop = WIPE_STOP_REMOVED;
        expect_reason(&c, "disque retiré pendant le travail", "disque retiré pendant le travail");

        /* Several things went wrong: all of them are said. */
        case_init(&c);
        c.run.stop = WIPE_STOP_TOO_MANY_ERRORS;
        c.run.bytes_written = 4 * MiB;
        c.run.bytes_verified = 0;
        add_exc(&c, WIPE_EXC_WRITE_ERROR, 0, EIO);
        add_exc(&c, WIPE_EXC_READ_ERROR, 8192, EIO);
        expect_reason(&c, "trop d'erreurs : travail arrêté avant la fin",
                      "trop d'erreurs : travail arrêté avant la fin ; erreur d'écriture sur 1 zone ; erreur de "
                      "lecture pendant la vérification sur 1 zone ; écriture incomplète : 4194304 octets écrits sur "
                      "8388608 ; aucune donnée relue à la vérification");

        /* The drive is not the size that was erased. */
        case_init(&c);
        c.device.size = 16 * MiB;
        expect_reason(&c, "la taille effacée ne correspond pas à celle du disque",
                      "la taille effacée (8388608 octets) ne correspond pas à celle du disque (16777216)");

        /* A failure the run does not show. */
        case_init(&c);
        c.job.state = RFD_JOB_FAILED;
        c.job.reason = (char *) "le contrôle après effacement a échoué : Input/output error";
        expect_reason(&c, "le travail a échoué",
                      "le travail a échoué : le contrôle après effacement a échoué : Input/output error");

        assert_int_equal(rfd_cert_result(NULL, NULL), -EINVAL);
}

/* The certificate must hold integers, strings, booleans and null only. */
static void assert_no_reals(const json_t *v) {
        const char *k;
        json_t *m;
        size_t i;
        assert_false(json_is_real(v));
        if (json_is_object(v))
                json_object_foreach((json_t *) v, k, m) assert_no_reals(m);
        else if (json_is_array(v))
                json_array_foreach(v, i, m) assert_no_reals(m);
}

static void test_cert_issue(void **state) {
        struct fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        _cleanup_free_ char *iddir = NULL, *cert_pem = NULL, *id1 = NULL, *id2 = NULL, *json = NULL, *sig = NULL,
                           *signer = NULL, *canon = NULL, *json2 = NULL, *getid = NULL;
        _cleanup_json_ json_t *doc = NULL, *doc2 = NULL;
        _cleanup_(rfd_job_record_clear) struct rfd_job_record g = {};
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;
        char fp[65], err[256] = "", sha1[65];
        struct cert_case c;

        assert_true(asprintf(&iddir, "%s/identity", f->dir) > 0);
        assert_int_equal(rf_identity_load_or_create(iddir, "atelier-1", "Association Réemploi", &key, &cert), 0);
        assert_int_equal(rf_cert_to_pem(cert, &cert_pem), 0);
        assert_int_equal(rf_cert_fingerprint(cert, fp), 0);

        case_init(&c);
        c.job.id = add_job(s, add_device(s, "S1", "Model X", "stand-in"), RFD_JOB_DONE);
        c.in.bench_cert_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id1), -EINVAL); /* not our signer */
        c.in.bench_cert_sha256 = fp;
        c.job.state = RFD_JOB_VERIFYING;
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id1), -EINVAL); /* not finished */
        c.job.state = RFD_JOB_DONE;
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id1), 0);
        assert_int_equal(strlen(id1), 36);

        /* The stored text verifies against the bench certificate... */
        assert_int_equal(rfd_store_cert_get(s, id1, &getid, &json, &sig, &signer), 0);
        assert_string_equal(getid, id1);
        assert_string_equal(signer, cert_pem);
        assert_int_equal(rf_cms_verify(json, strlen(json), sig, cert_pem, NULL, err, sizeof(err)), 0);
        /* ...and nothing else does. */
        char *tampered = strdup(json);
        assert_non_null(tampered);
        char *p = strstr(tampered, "\"erased\"");
        assert_non_null(p);
        p[1] = 'E';
        assert_int_equal(rf_cms_verify(tampered, strlen(tampered), sig, cert_pem, NULL, err, sizeof(err)), -EBADMSG);

        /* Stock openssl agrees (docs/certificate.md). */
        if (system("openssl version >/dev/null 2>&1") == 0) {
                _cleanup_free_ char *jp = NULL, *sp = NULL, *cmd = NULL;
                assert_true(asprintf(&jp, "%s/%s.json", f->dir, id1) > 0);
                assert_true(asprintf(&sp, "%s/%s.json.p7s", f->dir, id1) > 0);
                assert_int_equal(rf_write_file_atomic(jp, json, strlen(json), 0644), 0);
                assert_int_equal(rf_write_file_atomic(sp, sig, strlen(sig), 0644), 0);
                assert_true(asprintf(&cmd,
                                     "openssl cms -verify -binary -content '%s' -in '%s' -inform PEM -CAfile "
                                     "'%s/bench.crt' -out /dev/null 2>/dev/null",
                                     jp, sp, iddir) > 0);
                assert_int_equal(system(cmd), 0);
                assert_int_equal(rf_write_file_atomic(jp, tampered, strlen(tampered), 0644), 0);
                assert_int_not_equal(system(cmd), 0);
        } else
                print_message("openssl not found: command-line verification not checked\n");

        /* It is canonical: parsing and canonicalising gives the same bytes. */
        size_t len = 0;
        assert_int_equal(rf_json_parse(json, strlen(json), &doc, err, sizeof(err)), 0);
        assert_int_equal(rf_json_canonical(doc, &canon, &len), 0);
        assert_int_equal(len, strlen(json));
        assert_memory_equal(canon, json, len);
        assert_no_reals(doc);

        assert_string_equal(rf_json_str(doc, "format"), "refurb-erasure-certificate/1");
        assert_string_equal(rf_json_str(doc, "id"), id1);
        assert_int_equal(rf_json_int(doc, "sequence"), 1);
        assert_true(json_is_null(json_object_get(doc, "previous_sha256")));
        assert_string_equal(rf_json_str(doc, "result"), "erased");
        assert_true(json_is_null(json_object_get(doc, "result_reason")));
        const json_t *bench = json_object_get(doc, "bench"), *media = json_object_get(doc, "media");
        const json_t *san = json_object_get(doc, "sanitization"), *ver = json_object_get(doc, "verification");
        const json_t *job = json_object_get(doc, "job");
        assert_string_equal(rf_json_str(bench, "name"), "atelier-1");
        assert_string_equal(rf_json_str(bench, "organisation"), "Association Réemploi");
        assert_string_equal(rf_json_str(bench, "signer_sha256"), fp);
        assert_string_equal(rf_json_str(json_object_get(doc, "operator"), "technician"), "Camille");
        assert_string_equal(rf_json_str(json_object_get(doc, "tool"), "version"), REFURB_VERSION);
        assert_string_equal(rf_json_str(media, "serial"), "S1");
        assert_string_equal(rf_json_str(media, "identity_source"), "stand-in");
        assert_string_equal(rf_json_str(media, "transport"), "loop");
        assert_int_equal(rf_json_int(media, "size_bytes"), 8 * MiB);
        assert_int_equal(rf_json_int(media, "physical_sector_size"), 4096);
        assert_true(json_is_false(json_object_get(media, "rotational")));
        assert_true(json_is_null(json_object_get(media, "wwn")));
        assert_string_equal(rf_json_str(media, "content_before"), "GPT : NTFS « Windows » 8 Mo");
        assert_string_equal(rf_json_str(san, "category"), "Clear");
        assert_int_equal(rf_json_int(san, "passes"), 1);
        assert_string_equal(rf_json_str(json_object_get(san, "pattern"), "key"), c.job.pattern_key);
        assert_string_equal(rf_json_str(ver, "mode"), "full");
        assert_int_equal(rf_json_int(ver, "percent"), 100);
        assert_int_equal(rf_json_int(ver, "bytes_verified"), 8 * MiB);
        assert_int_equal(json_array_size(json_object_get(ver, "signatures_found_after")), 0);
        assert_int_equal(rf_json_int(job, "id"), c.job.id);
        assert_string_equal(rf_json_str(job, "started_at"), "2023-11-14T22:13:21Z");
        assert_string_equal(rf_json_str(job, "state"), "done");
        assert_int_equal(json_array_size(json_object_get(doc, "exceptions")), 0);
        assert_int_equal(rfd_store_job_get(s, c.job.id, &g), 0);
        assert_string_equal(g.certificate_id, id1);

        /* A second one, not erased, chained to the first. */
        assert_int_equal(rf_sha256_hex(json, strlen(json), sha1), 0);
        case_init(&c);
        c.job.id = add_job(s, add_device(s, "S2", "Model X", "udev"), RFD_JOB_FAILED);
        c.job.state = RFD_JOB_FAILED;
        add_exc(&c, WIPE_EXC_READ_ERROR, 1048576, EIO);
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id2), 0);
        assert_int_equal(rfd_store_cert_get(s, id2, NULL, &json2, NULL, NULL), 0);
        assert_int_equal(rf_json_parse(json2, strlen(json2), &doc2, err, sizeof(err)), 0);
        assert_int_equal(rf_json_int(doc2, "sequence"), 2);
        assert_string_equal(rf_json_str(doc2, "previous_sha256"), sha1);
        assert_string_equal(rf_json_str(doc2, "result"), "not-erased");
        assert_string_equal(rf_json_str(doc2, "result_reason"), "erreur de lecture pendant la vérification sur 1 zone");
        assert_string_equal(rf_json_str(json_object_get(doc2, "sanitization"), "category"), "Clear");
        const json_t *e = json_array_get(json_object_get(doc2, "exceptions"), 0);
        assert_string_equal(rf_json_str(e, "kind"), "read-error");
        assert_int_equal(rf_json_int(e, "offset"), 1048576);
        assert_int_equal(rf_json_int(e, "length"), 4096);
        assert_string_equal(rf_json_str(e, "error"), "Input/output error");

        free(tampered);
        EVP_PKEY_free(key);
        X509_free(cert);
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
        struct fixture *f = *state;

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
                cmocka_unit_test_setup_teardown(test_cert_chain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cert_lookup, setup, teardown),
                cmocka_unit_test(test_cert_result),
                cmocka_unit_test_setup_teardown(test_cert_issue, setup, teardown),
                cmocka_unit_test_setup_teardown(test_crash_safety, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
