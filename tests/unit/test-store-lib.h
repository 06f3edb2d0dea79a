/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What test-store.c and test-store-certs.c share: a store in a temporary
 * directory, a raw look at its file, devices and jobs to hang records on.
 * Include after cmocka.h. */

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store.h"
#include "test-tmpdir.h"

static inline int setup(void **state) {
        return test_dir_setup(state, "test-store");
}

static inline int teardown(void **state) {
        return test_dir_teardown(state);
}

static inline struct rfd_store *open_store(const struct test_dir_fixture *f, unsigned expect_interrupted) {
        struct rfd_store *s = NULL;
        unsigned n = 9999;
        assert_int_equal(rfd_store_open(f->dir, &s, &n), 0);
        assert_non_null(s);
        assert_int_equal(n, expect_interrupted);
        return s;
}

/* A second, raw connection to look at what is really on disk. */
static inline sqlite3 *raw_open(const struct test_dir_fixture *f) {
        _cleanup_free_ char *path = NULL;
        sqlite3 *db = NULL;
        assert_true(asprintf(&path, "%s/refurbd.db", f->dir) > 0);
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        return db;
}

static inline void assert_raw_text(sqlite3 *db, const char *sql, const char *expect) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *) sqlite3_column_text(st, 0), expect);
        sqlite3_finalize(st);
}

static inline int64_t add_device(struct rfd_store *s, const char *serial, const char *model, const char *source) {
        _cleanup_json_ json_t *d = json_pack("{s:s, s:s?, s:s, s:n, s:s, s:s, s:I}", "vendor", "ACME", "serial", serial,
                                             "model", model, "wwn", "identity_source", source, "transport", "sata",
                                             "size", (json_int_t) 1048576);
        int64_t id = 0;
        assert_non_null(d);
        assert_int_equal(rfd_store_upsert_device(s, d, &id), 0);
        assert_true(id > 0);
        return id;
}

static inline void job_init(struct rfd_job_record *j, int64_t device_id, uint64_t size) {
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

static inline int64_t add_job(struct rfd_store *s, int64_t device_id, enum rfd_job_state state) {
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

static inline void set_str(char **p, const char *v) {
        free(*p);
        *p = v ? strdup(v) : NULL;
}
