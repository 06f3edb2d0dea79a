/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Job records: insert, update, read back, and their API JSON (docs/api.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store-internal.h"

#define JOB_COLUMNS                                                                                 \
        "id, device_id, bay, devnode, state, method, verify_mode, verify_percent, created_at,"     \
        " started_at, ended_at, size, bytes_written, bytes_verified, result, reason, pattern_key," \
        " pattern_iv, exceptions_json, certificate_id"

static bool result_valid(const char *result) {
        return !result || strcmp(result, "erased") == 0 || strcmp(result, "not-erased") == 0;
}

static bool verify_mode_valid(const char *mode) {
        return mode && (strcmp(mode, "full") == 0 || strcmp(mode, "sample") == 0);
}

static bool exceptions_valid(const struct rfd_job_record *j) {
        return !j->exceptions || json_is_array(j->exceptions);
}

/* Bind the exceptions as JSON text: "[]" when j has none. */
static void bind_exceptions(struct rfd_binder *b, const struct rfd_job_record *j) {
        char *text = j->exceptions ? json_dumps(j->exceptions, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        if (j->exceptions && !text) {
                b->idx++;
                if (b->rc == SQLITE_OK)
                        b->rc = SQLITE_NOMEM;
                return;
        }
        rfd_bind_text(b, text ? text : "[]"); /* copied */
        free(text);
}

int rfd_store_job_insert(struct rfd_store *s, struct rfd_job_record *j) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (!s || !j || !j->method || !verify_mode_valid(j->verify_mode) || j->verify_percent < 1 ||
            j->verify_percent > 100 || !exceptions_valid(j))
                return -EINVAL;

        int64_t now = (int64_t) rf_now_sec();
        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = rfd_store_prepare(s,
                              "INSERT INTO jobs (device_id, bay, devnode, state, method, verify_mode,"
                              "  verify_percent, created_at, started_at, ended_at, size, bytes_written,"
                              "  bytes_verified, result, reason, pattern_key, pattern_iv, exceptions_json)"
                              " VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULL,"
                              "  ?13, ?14, ?15, ?16)",
                              &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_id(&b, j->device_id);
        rfd_bind_text(&b, j->bay);
        rfd_bind_text(&b, j->devnode);
        rfd_bind_text(&b, j->method);
        rfd_bind_text(&b, j->verify_mode);
        rfd_bind_int(&b, j->verify_percent);
        rfd_bind_int(&b, now);
        rfd_bind_time(&b, j->started_at);
        rfd_bind_time(&b, j->ended_at);
        rfd_bind_u64(&b, j->size);
        rfd_bind_u64(&b, j->bytes_written);
        rfd_bind_u64(&b, j->bytes_verified);
        rfd_bind_text(&b, j->reason);
        rfd_bind_text(&b, j->pattern_key);
        rfd_bind_text(&b, j->pattern_iv);
        bind_exceptions(&b, j);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        int64_t id = sqlite3_last_insert_rowid(s->db);
        r = rfd_store_tx_commit(&tx);
        if (r < 0)
                return r;

        j->id = id;
        j->created_at = now;
        j->state = RFD_JOB_QUEUED;
        free(j->result);
        j->result = NULL;
        return 0;
}

/* Fields recorded once and never changed afterwards: the pattern (so it can
 * always be regenerated) and the certificate. */
static int check_set_once(sqlite3_stmt *st, int col, const char *new_value) {
        const unsigned char *old = sqlite3_column_text(st, col);
        if (old && new_value && strcmp((const char *) old, new_value) != 0)
                return -EINVAL;
        return 0;
}

int rfd_store_job_update(struct rfd_store *s, const struct rfd_job_record *j) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *sel = NULL, *upd = NULL;
        enum rfd_job_state old_state;
        int r;

        if (!s || !j || !rfd_job_state_to_string(j->state) || !result_valid(j->result) || !exceptions_valid(j))
                return -EINVAL;

        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = rfd_store_prepare(s, "SELECT state, pattern_key, pattern_iv, certificate_id FROM jobs WHERE id = ?1",
                              &sel);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(sel);
        rfd_bind_int(&b, j->id);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step(s, sel);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        r = rfd_job_state_from_string((const char *) sqlite3_column_text(sel, 0), &old_state);
        if (r < 0)
                return -EBADMSG;
        /* A final state is final: a late "done" must not overwrite
         * "cancelled", nor the reverse. */
        if (rfd_job_state_is_final(old_state) && j->state != old_state)
                return -ESTALE;
        if (check_set_once(sel, 1, j->pattern_key) < 0 || check_set_once(sel, 2, j->pattern_iv) < 0 ||
            check_set_once(sel, 3, j->certificate_id) < 0)
                return -EINVAL;

        r = rfd_store_prepare(s,
                              "UPDATE jobs SET state = ?2, started_at = ?3, ended_at = ?4, bytes_written = ?5,"
                              " bytes_verified = ?6, result = ?7, reason = ?8, exceptions_json = ?9,"
                              " pattern_key = COALESCE(pattern_key, ?10), pattern_iv = COALESCE(pattern_iv, ?11),"
                              " certificate_id = COALESCE(certificate_id, ?12),"
                              " method = COALESCE(?13, method), size = ?14"
                              " WHERE id = ?1",
                              &upd);
        if (r < 0)
                return r;
        b = rfd_binder_init(upd);
        rfd_bind_int(&b, j->id);
        rfd_bind_text(&b, rfd_job_state_to_string(j->state));
        rfd_bind_time(&b, j->started_at);
        rfd_bind_time(&b, j->ended_at);
        rfd_bind_u64(&b, j->bytes_written);
        rfd_bind_u64(&b, j->bytes_verified);
        rfd_bind_text(&b, j->result);
        rfd_bind_text(&b, j->reason);
        bind_exceptions(&b, j);
        rfd_bind_text(&b, j->pattern_key);
        rfd_bind_text(&b, j->pattern_iv);
        rfd_bind_text(&b, j->certificate_id);
        rfd_bind_text(&b, j->method); /* what really ran: known at the end */
        rfd_bind_u64(&b, j->size);    /* grows when a hidden area was removed */
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, upd);
        if (r < 0)
                return r;
        return rfd_store_tx_commit(&tx);
}

static void job_record_clearp(struct rfd_job_record **j) {
        if (*j)
                rfd_job_record_clear(*j);
}

static int job_from_row(sqlite3_stmt *st, struct rfd_job_record *ret) {
        /* Fill ret in place; the guard empties it again on any error. */
        _cleanup_(job_record_clearp) struct rfd_job_record *j = ret;
        json_error_t err;
        int r;

        *j = (struct rfd_job_record) {};
        j->id = sqlite3_column_int64(st, 0);
        j->device_id = sqlite3_column_int64(st, 1);
        if ((r = rfd_column_strdup(st, 2, &j->bay)) < 0 || (r = rfd_column_strdup(st, 3, &j->devnode)) < 0)
                return r;
        if (rfd_job_state_from_string((const char *) sqlite3_column_text(st, 4), &j->state) < 0)
                return -EBADMSG;
        if ((r = rfd_column_strdup(st, 5, &j->method)) < 0 || (r = rfd_column_strdup(st, 6, &j->verify_mode)) < 0)
                return r;
        j->verify_percent = (unsigned) MIN(rfd_column_u64(st, 7), 100u);
        j->created_at = sqlite3_column_int64(st, 8);
        j->started_at = sqlite3_column_int64(st, 9);
        j->ended_at = sqlite3_column_int64(st, 10);
        j->size = rfd_column_u64(st, 11);
        j->bytes_written = rfd_column_u64(st, 12);
        j->bytes_verified = rfd_column_u64(st, 13);
        if ((r = rfd_column_strdup(st, 14, &j->result)) < 0 || (r = rfd_column_strdup(st, 15, &j->reason)) < 0 ||
            (r = rfd_column_strdup(st, 16, &j->pattern_key)) < 0 ||
            (r = rfd_column_strdup(st, 17, &j->pattern_iv)) < 0 ||
            (r = rfd_column_strdup(st, 19, &j->certificate_id)) < 0)
                return r;
        const char *exc = (const char *) sqlite3_column_text(st, 18);
        j->exceptions = json_loads(exc ? exc : "[]", JSON_REJECT_DUPLICATES, &err);
        if (!json_is_array(j->exceptions))
                return -EBADMSG;

        TAKE_PTR(j);
        return 0;
}

int rfd_store_job_get(struct rfd_store *s, int64_t id, struct rfd_job_record *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = rfd_store_query_id(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", id, &st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        return job_from_row(st, ret);
}

int rfd_store_device_brief(struct rfd_store *s, int64_t id, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (!s || !ret)
                return -EINVAL;
        int r = rfd_store_query_id(s, "SELECT vendor, model, serial, identity_source FROM devices WHERE id = ?1", id, &st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        json_t *o = json_object();
        if (!o)
                return -ENOMEM;
        static const char *const keys[] = { "vendor", "model", "serial", "identity_source" };
        for (int i = 0; i < 4; i++) {
                const unsigned char *t = sqlite3_column_text(st, i);
                json_object_set_new(o, keys[i], t ? json_string((const char *) t) : json_null());
        }
        *ret = o;
        return 0;
}

int rfd_store_jobs_json(struct rfd_store *s, unsigned limit, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = NULL;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = rfd_store_prepare(s, "SELECT " JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?1", &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_int(&b, limit == 0 ? -1 : (int64_t) limit); /* negative LIMIT: no limit */
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);

        arr = json_array();
        if (!arr)
                return -ENOMEM;
        while ((r = rfd_store_step(s, st)) > 0) {
                _cleanup_(rfd_job_record_clear) struct rfd_job_record j = {};
                r = job_from_row(st, &j);
                if (r < 0)
                        return r;
                json_t *v = rfd_job_record_to_json(&j), *dev = NULL;
                if (v && j.device_id > 0 && rfd_store_device_brief(s, j.device_id, &dev) >= 0)
                        json_object_set_new(v, "device", dev);
                if (json_array_append_new(arr, v) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}

json_t *rfd_job_record_to_json(const struct rfd_job_record *j) {
        _cleanup_json_ json_t *o = NULL, *pattern = NULL, *exceptions = NULL;

        if (!j)
                return NULL;
        if (j->pattern_key || j->pattern_iv) {
                pattern = json_object();
                if (!pattern || json_object_set_new(pattern, "algorithm", json_string("aes-256-ctr")) < 0 ||
                    json_object_set_new(pattern, "key", rfd_json_str_or_null(j->pattern_key)) < 0 ||
                    json_object_set_new(pattern, "iv", rfd_json_str_or_null(j->pattern_iv)) < 0)
                        return NULL;
        } else
                pattern = json_null();
        exceptions = j->exceptions ? json_deep_copy(j->exceptions) : json_array();

        o = json_object();
        if (!o || !pattern || !json_is_array(exceptions))
                return NULL;
        const struct {
                const char *key;
                json_t *value;
        } fields[] = {
                { "id", json_integer(j->id) },
                { "bay", rfd_json_str_or_null(j->bay) },
                { "devnode", rfd_json_str_or_null(j->devnode) },
                { "device_id", j->device_id > 0 ? json_integer(j->device_id) : json_null() },
                { "state", rfd_json_str_or_null(rfd_job_state_to_string(j->state)) },
                { "method", rfd_json_str_or_null(j->method) },
                { "verify_mode", rfd_json_str_or_null(j->verify_mode) },
                { "verify_percent", json_integer(j->verify_percent) },
                { "created_at", rfd_json_time(j->created_at) },
                { "started_at", rfd_json_time(j->started_at) },
                { "ended_at", rfd_json_time(j->ended_at) },
                { "size", rfd_json_u64(j->size) },
                { "bytes_written", rfd_json_u64(j->bytes_written) },
                { "bytes_verified", rfd_json_u64(j->bytes_verified) },
                { "result", rfd_json_str_or_null(j->result) },
                { "reason", rfd_json_str_or_null(j->reason) },
                { "exceptions", TAKE_PTR(exceptions) },
                { "pattern", TAKE_PTR(pattern) },
                { "certificate_id", rfd_json_str_or_null(j->certificate_id) },
        };
        int r = 0;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                /* json_object_set_new() takes the reference even when it fails. */
                if (!fields[i].value || json_object_set_new(o, fields[i].key, fields[i].value) < 0)
                        r = -ENOMEM;
        }
        if (r < 0)
                return NULL;
        return TAKE_PTR(o);
}
