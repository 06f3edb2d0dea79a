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

/* ---- tokens ---- */

static bool token_role_ok(const char *role) {
        static const char *const roles[] = { "technician", "supervisor", "dsi", "agent" };
        if (!role)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(roles); i++)
                if (strcmp(role, roles[i]) == 0)
                        return true;
        return false;
}

static bool sha256_hex_ok(const char *hex) {
        size_t n = strnlen(hex, 65);
        if (n != 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
                        return false;
        return true;
}

void rfd_token_row_clear(struct rfd_token_row *t) {
        if (!t)
                return;
        free(t->name);
        free(t->role);
        *t = (struct rfd_token_row) {};
}

void rfd_token_rows_free(struct rfd_token_row *rows, size_t n) {
        for (size_t i = 0; rows && i < n; i++)
                rfd_token_row_clear(&rows[i]);
        free(rows);
}

int rfd_store_token_insert(struct rfd_store *s, struct rfd_token_row *t) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (!s || !t || !t->name || !*t->name || !token_role_ok(t->role) || !sha256_hex_ok(t->sha256))
                return -EINVAL;
        int r = rfd_store_prepare(s,
                                  "INSERT INTO tokens (name, role, sha256, created_at, last_used_at, revoked_at)"
                                  " VALUES (?1, ?2, ?3, ?4, NULL, NULL)",
                                  &st);
        if (r < 0)
                return r;
        int64_t now = (int64_t) rf_now_sec();
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, t->name);
        rfd_bind_text(&b, t->role);
        rfd_bind_text(&b, t->sha256);
        rfd_bind_int(&b, now);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        t->id = sqlite3_last_insert_rowid(s->db);
        t->created_at = now;
        t->last_used_at = 0;
        t->revoked_at = 0;
        return 0;
}

static int token_row_read(sqlite3_stmt *st, struct rfd_token_row *t) {
        const char *sha = (const char *) sqlite3_column_text(st, 3);
        if (!sha || !sha256_hex_ok(sha))
                return -EBADMSG;
        t->id = sqlite3_column_int64(st, 0);
        memcpy(t->sha256, sha, 65);
        t->created_at = (int64_t) rfd_column_u64(st, 4);
        t->last_used_at = (int64_t) rfd_column_u64(st, 5);
        t->revoked_at = (int64_t) rfd_column_u64(st, 6);
        int r = rfd_column_strdup(st, 1, &t->name);
        if (r < 0)
                return r;
        r = rfd_column_strdup(st, 2, &t->role);
        if (r < 0)
                return r;
        return t->name && token_role_ok(t->role) && t->id > 0 ? 0 : -EBADMSG;
}

int rfd_store_tokens_load(struct rfd_store *s, struct rfd_token_row **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct rfd_token_row *rows = NULL;
        size_t n = 0, cap = 0;
        if (!s || !ret || !ret_n)
                return -EINVAL;
        int r = rfd_store_prepare(s,
                                  "SELECT id, name, role, sha256, created_at, last_used_at, revoked_at"
                                  " FROM tokens ORDER BY id",
                                  &st);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, st)) > 0) {
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        struct rfd_token_row *nrows = reallocarray(rows, ncap, sizeof(*rows));
                        if (!nrows) {
                                r = -ENOMEM;
                                break;
                        }
                        rows = nrows;
                        cap = ncap;
                }
                rows[n] = (struct rfd_token_row) {};
                r = token_row_read(st, &rows[n]);
                n++;
                if (r < 0)
                        break;
        }
        if (r < 0) {
                rfd_token_rows_free(rows, n);
                return r;
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

int rfd_store_token_revoke(struct rfd_store *s, int64_t id, int64_t *ret_revoked_at) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *sel = NULL, *upd = NULL;
        if (!s || id <= 0)
                return -EINVAL;
        int r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = rfd_store_query_id(s, "SELECT revoked_at IS NOT NULL FROM tokens WHERE id = ?1", id, &sel);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        if (sqlite3_column_int(sel, 0))
                return -EALREADY;

        int64_t now = (int64_t) rf_now_sec();
        r = rfd_store_prepare(s, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1", &upd);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(upd);
        rfd_bind_int(&b, id);
        rfd_bind_int(&b, now);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, upd);
        if (r < 0)
                return r;
        r = rfd_store_tx_commit(&tx);
        if (r < 0)
                return r;
        if (ret_revoked_at)
                *ret_revoked_at = now;
        return 0;
}

int rfd_store_token_touch(struct rfd_store *s, int64_t id, int64_t when) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (!s || id <= 0 || when <= 0)
                return -EINVAL;
        int r = rfd_store_prepare(s, "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1", &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_int(&b, id);
        rfd_bind_int(&b, when);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}
