/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Schema v4 (docs/network-api.md): API tokens, stored as their SHA-256
 * only, and the bench's settings chosen through the API (default profile
 * per target). Token rows are never deleted: a revoked token keeps its row. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store-internal.h"

const char rfd_store_migration_access[] =
        "CREATE TABLE tokens ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 256),"
        "  role TEXT NOT NULL CHECK (role IN ('technician','supervisor','dsi','agent')),"
        "  sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),"
        "  created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER);"
        "CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens"
        "  BEGIN SELECT RAISE(ABORT, 'tokens are revoked, never deleted'); END;"
        "CREATE TABLE settings ("
        "  key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 128),"
        "  value TEXT NOT NULL,"
        "  updated_at INTEGER NOT NULL);";

int rfd_store_setting_get(struct rfd_store *s, const char *key, char **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (!s || !key || !ret)
                return -EINVAL;
        int r = rfd_store_prepare(s, "SELECT value FROM settings WHERE key = ?1", &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, key);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        return rfd_column_strdup(st, 0, ret);
}

int rfd_store_setting_set(struct rfd_store *s, const char *key, const char *value) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (!s || !key || !*key)
                return -EINVAL;
        int r = rfd_store_prepare(s,
                                  value ? "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)"
                                          " ON CONFLICT(key) DO UPDATE SET value = ?2, updated_at = ?3"
                                        : "DELETE FROM settings WHERE key = ?1",
                                  &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, key);
        if (value) {
                rfd_bind_text(&b, value);
                rfd_bind_int(&b, (int64_t) rf_now_sec());
        }
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        return rfd_store_step_done(s, st);
}
