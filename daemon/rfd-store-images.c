/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Imaging runs (docs/imaging.md): one per job whose bay writes a profile
 * after the erasure. The erasure stays recorded in jobs (and certified);
 * the imaging has its own state, reason and record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store-internal.h"

const char rfd_store_migration_images[] =
        "CREATE TABLE image_runs ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id),"
        "  device_id INTEGER REFERENCES devices(id),"
        "  profile TEXT NOT NULL,"
        "  profile_version TEXT,"
        "  state TEXT NOT NULL CHECK (state IN ('running','done','failed','cancelled','interrupted')),"
        "  phase TEXT,"
        "  started_at INTEGER NOT NULL, ended_at INTEGER,"
        "  bytes_written INTEGER NOT NULL DEFAULT 0 CHECK (bytes_written >= 0),"
        "  reason TEXT,"
        "  record_json TEXT,"
        "  CHECK ((state = 'running') = (ended_at IS NULL)));"
        "CREATE INDEX image_runs_device ON image_runs(device_id);"
        "CREATE TRIGGER image_runs_no_delete BEFORE DELETE ON image_runs"
        "  BEGIN SELECT RAISE(ABORT, 'image runs are never deleted'); END;";

static bool state_valid(const char *state) {
        static const char *const states[] = { "running", "done", "failed", "cancelled", "interrupted" };
        for (size_t i = 0; state && i < ELEMENTSOF(states); i++)
                if (strcmp(state, states[i]) == 0)
                        return true;
        return false;
}

int rfd_store_image_insert(struct rfd_store *s, int64_t job_id, int64_t device_id, const char *profile,
                           int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (!s || job_id <= 0 || !profile || !*profile)
                return -EINVAL;
        int r = rfd_store_prepare(s,
                                  "INSERT INTO image_runs (job_id, device_id, profile, state, phase, started_at)"
                                  " VALUES (?1, ?2, ?3, 'running', 'fetch', ?4)",
                                  &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_id(&b, job_id);
        rfd_bind_id(&b, device_id);
        rfd_bind_text(&b, profile);
        rfd_bind_int(&b, (int64_t) rf_now_sec());
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int rfd_store_image_update(struct rfd_store *s, int64_t id, const struct rfd_image_update *u) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_free_ char *record = NULL;
        if (!s || id <= 0 || !u || !state_valid(u->state) || (u->record && !json_is_object(u->record)))
                return -EINVAL;
        if (u->record && !(record = json_dumps(u->record, JSON_COMPACT | JSON_SORT_KEYS)))
                return -ENOMEM;
        bool final = strcmp(u->state, "running") != 0;
        int r = rfd_store_prepare(s,
                                  "UPDATE image_runs SET state = ?2, phase = ?3, bytes_written = ?4,"
                                  "  profile_version = COALESCE(?5, profile_version), reason = ?6,"
                                  "  record_json = COALESCE(?7, record_json), ended_at = ?8"
                                  " WHERE id = ?1 AND state = 'running'",
                                  &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_id(&b, id);
        rfd_bind_text(&b, u->state);
        rfd_bind_text(&b, u->phase);
        rfd_bind_u64(&b, u->bytes_written);
        rfd_bind_text(&b, u->profile_version);
        rfd_bind_text(&b, u->reason);
        rfd_bind_text(&b, record);
        rfd_bind_time(&b, final ? (int64_t) rf_now_sec() : 0);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ESTALE;
}

static json_t *row_json(sqlite3_stmt *st) {
        json_t *record = NULL;
        const char *text = (const char *) sqlite3_column_text(st, 9);
        if (text)
                record = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        const char *reason = (const char *) sqlite3_column_text(st, 8);
        return json_pack("{s:I, s:I, s:s, s:s?, s:s, s:s?, s:o, s:o, s:I, s:s?, s:o}", "id",
                         (json_int_t) sqlite3_column_int64(st, 0), "job_id",
                         (json_int_t) sqlite3_column_int64(st, 1), "profile",
                         (const char *) sqlite3_column_text(st, 2), "profile_version",
                         (const char *) sqlite3_column_text(st, 3), "state",
                         (const char *) sqlite3_column_text(st, 4), "phase",
                         (const char *) sqlite3_column_text(st, 5), "started_at",
                         rfd_json_time(sqlite3_column_int64(st, 6)), "ended_at",
                         rfd_json_time(sqlite3_column_int64(st, 7)), "bytes_written",
                         (json_int_t) sqlite3_column_int64(st, 10), "reason", reason, "record",
                         record ? record : json_null());
}

#define IMAGE_COLUMNS                                                                                    \
        "id, job_id, profile, profile_version, state, phase, started_at, ended_at, reason, record_json," \
        " bytes_written"

static int image_query(struct rfd_store *s, const char *where, int64_t key, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT " IMAGE_COLUMNS " FROM image_runs WHERE %s ORDER BY id DESC LIMIT 1",
                 where);
        int r = rfd_store_query_id(s, sql, key, &st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = row_json(st);
        return *ret ? 0 : -ENOMEM;
}

int rfd_store_image_for_job(struct rfd_store *s, int64_t job_id, json_t **ret) {
        if (!s || !ret)
                return -EINVAL;
        return image_query(s, "job_id = ?1", job_id, ret);
}

int rfd_store_image_latest_done(struct rfd_store *s, int64_t device_id, json_t **ret) {
        if (!s || !ret)
                return -EINVAL;
        return image_query(s, "device_id = ?1 AND state = 'done'", device_id, ret);
}
