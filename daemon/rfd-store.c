/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Records in SQLite: opening, schema migrations, crash recovery, devices,
 * and the helpers shared with rfd-store-jobs.c and rfd-store-certs.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store-internal.h"

#define STORE_FILE "refurbd.db"
#define STORE_BUSY_TIMEOUT_MS 10000
#define INTERRUPTED_REASON "arrêt du démon pendant le travail (redémarrage ou panne)"

/* Schema migrations: migrations[v] brings a database from user_version v
 * to v+1. Never edit a released step: append a new one. */
static const char *const migrations[] = {
        /* 0 -> 1 */
        "CREATE TABLE devices ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  identity_key TEXT NOT NULL UNIQUE,"
        "  vendor TEXT, model TEXT, serial TEXT, wwn TEXT,"
        "  transport TEXT, identity_source TEXT,"
        "  size INTEGER NOT NULL CHECK (size >= 0),"
        "  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
        "  json TEXT NOT NULL);"
        "CREATE TABLE jobs ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  device_id INTEGER REFERENCES devices(id),"
        "  bay TEXT, devnode TEXT,"
        "  state TEXT NOT NULL CHECK (state IN ('queued','erasing','verifying','done','failed',"
        "                                       'cancelled','interrupted')),"
        "  method TEXT NOT NULL,"
        "  verify_mode TEXT NOT NULL CHECK (verify_mode IN ('full','sample')),"
        "  verify_percent INTEGER NOT NULL CHECK (verify_percent BETWEEN 1 AND 100),"
        "  created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,"
        "  size INTEGER NOT NULL CHECK (size >= 0),"
        "  bytes_written INTEGER NOT NULL DEFAULT 0 CHECK (bytes_written >= 0),"
        "  bytes_verified INTEGER NOT NULL DEFAULT 0 CHECK (bytes_verified >= 0),"
        "  result TEXT CHECK (result IS NULL OR result IN ('erased','not-erased')),"
        "  reason TEXT,"
        "  pattern_key TEXT, pattern_iv TEXT,"
        "  exceptions_json TEXT NOT NULL DEFAULT '[]',"
        "  certificate_id TEXT REFERENCES certificates(id),"
        "  CHECK (result IS NOT 'erased' OR state = 'done'));"
        "CREATE INDEX jobs_state ON jobs(state);"
        "CREATE TABLE certificates ("
        "  id TEXT PRIMARY KEY,"
        "  seq INTEGER NOT NULL UNIQUE CHECK (seq >= 1),"
        "  job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id),"
        "  created_at INTEGER NOT NULL,"
        "  json TEXT NOT NULL, sha256 TEXT NOT NULL,"
        "  signature TEXT NOT NULL, signer_certificate TEXT NOT NULL,"
        "  serial TEXT, model TEXT,"
        "  result TEXT NOT NULL CHECK (result IN ('erased','not-erased')));"
        /* What is recorded stays recorded. */
        "CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates"
        "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
        "CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates"
        "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
        "CREATE TRIGGER jobs_no_delete BEFORE DELETE ON jobs"
        "  BEGIN SELECT RAISE(ABORT, 'jobs are never deleted'); END;",
        /* 1 -> 2: intake records (rfd-store-intake.c) */
        rfd_store_migration_intake,
        /* 2 -> 3: imaging runs (rfd-store-images.c) */
        rfd_store_migration_images,
        /* 3 -> 4: API tokens and settings (rfd-store-access.c) */
        rfd_store_migration_access,
};

static const char *const job_state_table[] = {
        [RFD_JOB_QUEUED] = "queued",         [RFD_JOB_ERASING] = "erasing", [RFD_JOB_VERIFYING] = "verifying",
        [RFD_JOB_DONE] = "done",             [RFD_JOB_FAILED] = "failed",   [RFD_JOB_CANCELLED] = "cancelled",
        [RFD_JOB_INTERRUPTED] = "interrupted",
};

const char *rfd_job_state_to_string(enum rfd_job_state s) {
        if ((unsigned) s >= ELEMENTSOF(job_state_table))
                return NULL;
        return job_state_table[s];
}

int rfd_job_state_from_string(const char *s, enum rfd_job_state *ret) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(job_state_table); i++)
                if (strcmp(s, job_state_table[i]) == 0) {
                        if (ret)
                                *ret = (enum rfd_job_state) i;
                        return 0;
                }
        return -EINVAL;
}

void rfd_job_record_clear(struct rfd_job_record *j) {
        if (!j)
                return;
        free(j->bay);
        free(j->devnode);
        free(j->method);
        free(j->verify_mode);
        free(j->result);
        free(j->reason);
        free(j->pattern_key);
        free(j->pattern_iv);
        if (j->exceptions)
                json_decref(j->exceptions);
        free(j->certificate_id);
        *j = (struct rfd_job_record) {};
}

/* ---- helpers shared by the store files ---- */

int rfd_store_errno(struct rfd_store *s, int rc) {
        int sys = 0;

        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_RANGE:
        case SQLITE_MISMATCH:
        case SQLITE_MISUSE:
                return -EINVAL;
        case SQLITE_INTERRUPT:
                return -EINTR;
        case SQLITE_PROTOCOL:
                return -EPROTO;
        case SQLITE_CONSTRAINT:
                switch (rc) {
                case SQLITE_CONSTRAINT_UNIQUE:
                case SQLITE_CONSTRAINT_PRIMARYKEY:
                        return -EEXIST;
                case SQLITE_CONSTRAINT_TRIGGER:
                        return -EPERM;
                default: /* CHECK, NOT NULL, FOREIGN KEY: a bad value */
                        return -EINVAL;
                }
        case SQLITE_CANTOPEN:
        case SQLITE_IOERR:
                if (s && s->db)
                        sys = sqlite3_system_errno(s->db);
                return sys > 0 ? -sys : ((rc & 0xff) == SQLITE_CANTOPEN ? -ENOENT : -EIO);
        default:
                return -EIO;
        }
}

int rfd_store_prepare(struct rfd_store *s, const char *sql, sqlite3_stmt **ret) {
        int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
        if (rc != SQLITE_OK) {
                *ret = NULL;
                return rfd_store_errno(s, rc);
        }
        return 0;
}

int rfd_store_step(struct rfd_store *s, sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return rfd_store_errno(s, rc);
}

int rfd_store_step_done(struct rfd_store *s, sqlite3_stmt *st) {
        int r = rfd_store_step(s, st);
        return r > 0 ? -EPROTO : r;
}

int rfd_store_query_id(struct rfd_store *s, const char *sql, int64_t id, sqlite3_stmt **ret) {
        int r = rfd_store_prepare(s, sql, ret);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(*ret);
        rfd_bind_int(&b, id);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        return rfd_store_step(s, *ret);
}

static int store_exec(struct rfd_store *s, const char *sql) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = rfd_store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, st)) > 0)
                ;
        return r;
}

int rfd_store_tx_begin(struct rfd_store *s, struct rfd_store **tx) {
        int r = store_exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        *tx = s;
        return 0;
}

int rfd_store_tx_commit(struct rfd_store **tx) {
        int r = store_exec(*tx, "COMMIT");
        if (r < 0)
                return r; /* the guard rolls back */
        *tx = NULL;
        return 0;
}

void rfd_store_tx_rollbackp(struct rfd_store **tx) {
        /* After some errors SQLite has already rolled back on its own. */
        if (*tx && !sqlite3_get_autocommit((*tx)->db))
                (void) sqlite3_exec((*tx)->db, "ROLLBACK", NULL, NULL, NULL);
        *tx = NULL;
}

static void binder_done(struct rfd_binder *b, int rc) {
        if (b->rc == SQLITE_OK)
                b->rc = rc;
}

void rfd_bind_text(struct rfd_binder *b, const char *text) {
        int i = ++b->idx;
        binder_done(b, text ? sqlite3_bind_text(b->st, i, text, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(b->st, i));
}

void rfd_bind_int(struct rfd_binder *b, int64_t v) {
        binder_done(b, sqlite3_bind_int64(b->st, ++b->idx, v));
}

void rfd_bind_u64(struct rfd_binder *b, uint64_t v) {
        int i = ++b->idx;
        binder_done(b, v > (uint64_t) INT64_MAX ? SQLITE_RANGE : sqlite3_bind_int64(b->st, i, (int64_t) v));
}

void rfd_bind_time(struct rfd_binder *b, int64_t t) {
        int i = ++b->idx;
        binder_done(b, t != 0 ? sqlite3_bind_int64(b->st, i, t) : sqlite3_bind_null(b->st, i));
}

void rfd_bind_id(struct rfd_binder *b, int64_t id) {
        rfd_bind_time(b, id);
}

int rfd_column_strdup(sqlite3_stmt *st, int col, char **ret) {
        const unsigned char *t = sqlite3_column_text(st, col);
        if (!t) {
                *ret = NULL;
                return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : -ENOMEM;
        }
        size_t n = (size_t) sqlite3_column_bytes(st, col);
        char *c = malloc(n + 1);
        if (!c)
                return -ENOMEM;
        memcpy(c, t, n);
        c[n] = '\0';
        *ret = c;
        return 0;
}

uint64_t rfd_column_u64(sqlite3_stmt *st, int col) {
        sqlite3_int64 v = sqlite3_column_int64(st, col);
        return v > 0 ? (uint64_t) v : 0;
}

json_t *rfd_json_time(int64_t t) {
        char buf[21];
        if (t == 0)
                return json_null();
        rf_time_iso8601((time_t) t, buf);
        return json_string(buf);
}

json_t *rfd_json_str_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

json_t *rfd_json_u64(uint64_t v) {
        return json_integer((json_int_t) MIN(v, (uint64_t) INT64_MAX));
}

/* ---- opening ---- */

static int store_query_int(struct rfd_store *s, const char *sql, int64_t *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = rfd_store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENODATA;
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}

static int store_pragmas(struct rfd_store *s) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int64_t fk = 0;
        int r;

        /* WAL: readers never block the writer and a crash at any point
         * leaves either the old or the new state of each transaction. */
        r = rfd_store_prepare(s, "PRAGMA journal_mode=WAL", &st);
        if (r < 0)
                return r;
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        const unsigned char *mode = r > 0 ? sqlite3_column_text(st, 0) : NULL;
        if (!mode || strcmp((const char *) mode, "wal") != 0)
                return -EOPNOTSUPP; /* e.g. a file system without shared memory mappings */

        /* FULL: a transaction is on disk when COMMIT returns. */
        r = store_exec(s, "PRAGMA synchronous=FULL");
        if (r < 0)
                return r;
        r = store_exec(s, "PRAGMA foreign_keys=ON");
        if (r < 0)
                return r;
        r = store_query_int(s, "PRAGMA foreign_keys", &fk);
        if (r < 0)
                return r;
        return fk == 1 ? 0 : -EOPNOTSUPP;
}

static int store_migrate(struct rfd_store *s) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        int64_t version = 0;
        int r;

        r = store_query_int(s, "PRAGMA user_version", &version);
        if (r < 0)
                return r;
        if (version == (int64_t) ELEMENTSOF(migrations))
                return 0;
        if (version < 0 || version > (int64_t) ELEMENTSOF(migrations))
                return -EPROTONOSUPPORT; /* written by a newer refurbd */

        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        /* Read again under the write lock: another process may have
         * migrated in the meantime. */
        r = store_query_int(s, "PRAGMA user_version", &version);
        if (r < 0)
                return r;
        for (; version < (int64_t) ELEMENTSOF(migrations); version++) {
                if (sqlite3_exec(s->db, migrations[version], NULL, NULL, NULL) != SQLITE_OK)
                        return rfd_store_errno(s, sqlite3_extended_errcode(s->db));
                /* PRAGMA takes no bound parameters; the value is our own integer. */
                char sql[64];
                snprintf(sql, sizeof(sql), "PRAGMA user_version=%" PRId64, version + 1);
                r = store_exec(s, sql);
                if (r < 0)
                        return r;
        }
        return rfd_store_tx_commit(&tx);
}

static int store_interrupt_unfinished(struct rfd_store *s, unsigned *ret_count) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = rfd_store_prepare(s,
                              "UPDATE jobs SET state = 'interrupted', reason = ?1, ended_at = ?2,"
                              " result = 'not-erased'"
                              " WHERE state IN ('queued', 'erasing', 'verifying')",
                              &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, INTERRUPTED_REASON);
        rfd_bind_int(&b, (int64_t) rf_now_sec());
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        unsigned n = (unsigned) sqlite3_changes(s->db);
        /* An imaging run cut by a stop or a crash: the drive holds part of
         * an image, which no record may call done. */
        _cleanup_stmt_ sqlite3_stmt *st2 = NULL;
        r = rfd_store_prepare(s,
                              "UPDATE image_runs SET state = 'interrupted', reason = ?1, ended_at = ?2"
                              " WHERE state = 'running'",
                              &st2);
        if (r < 0)
                return r;
        struct rfd_binder b2 = rfd_binder_init(st2);
        rfd_bind_text(&b2, INTERRUPTED_REASON);
        rfd_bind_int(&b2, (int64_t) rf_now_sec());
        if (b2.rc != SQLITE_OK)
                return rfd_store_errno(s, b2.rc);
        r = rfd_store_step_done(s, st2);
        if (r < 0)
                return r;
        n += (unsigned) sqlite3_changes(s->db);
        r = rfd_store_tx_commit(&tx);
        if (r < 0)
                return r;
        if (ret_count)
                *ret_count = n;
        return 0;
}

static int fsync_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return fsync(fd) < 0 ? negative_errno() : 0;
}

int rfd_store_open(const char *state_dir, struct rfd_store **ret, unsigned *ret_interrupted) {
        _cleanup_(rfd_store_closep) struct rfd_store *s = NULL;
        _cleanup_free_ char *path = NULL;
        int r, rc;

        if (!state_dir || !*state_dir || !ret)
                return -EINVAL;

        r = rf_mkdir_p(state_dir, 0700);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/" STORE_FILE, state_dir) < 0)
                return -ENOMEM;

        /* Create the file ourselves so that it is 0600 whatever the umask:
         * it holds donors' drive serial numbers. SQLite gives its -wal and
         * -shm files the mode of the database. */
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return negative_errno();

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        if (rc != SQLITE_OK)
                return rfd_store_errno(s, rc);
        (void) sqlite3_extended_result_codes(s->db, 1);
        rc = sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
        if (rc != SQLITE_OK)
                return rfd_store_errno(s, rc);

        r = store_pragmas(s);
        if (r < 0)
                return r;
        r = store_migrate(s);
        if (r < 0)
                return r;
        r = store_interrupt_unfinished(s, ret_interrupted);
        if (r < 0)
                return r;
        /* Make the directory entries of a newly created database durable. */
        r = fsync_dir(state_dir);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

void rfd_store_close(struct rfd_store *s) {
        if (!s)
                return;
        /* Every statement is finalized where it was prepared, so this closes
         * for real (and checkpoints the WAL when we are the last user). */
        (void) sqlite3_close_v2(s->db);
        free(s);
}

/* ---- devices ---- */

/* The identity of a drive: serial+model+wwn, length-prefixed so that no
 * two different triples give the same key; stand-in identities (loop
 * devices) by their stand-in serial. A drive with neither serial nor WWN
 * cannot be recognised again: it gets a key of its own each time. */
static int device_identity_key(const json_t *dev, char **ret) {
        const char *serial = rf_json_str(dev, "serial");
        const char *model = rf_json_str(dev, "model");
        const char *wwn = rf_json_str(dev, "wwn");
        const char *source = rf_json_str(dev, "identity_source");
        int k;

        if (rf_streq_ptr(source, "stand-in") && *serial)
                k = asprintf(ret, "standin:%s", serial);
        else if (!rf_streq_ptr(source, "stand-in") && (*serial || *wwn))
                k = asprintf(ret, "disk:%zu:%s/%zu:%s/%zu:%s", strlen(serial), serial, strlen(model), model,
                             strlen(wwn), wwn);
        else {
                char uuid[37];
                int r = rf_uuid4(uuid);
                if (r < 0)
                        return r;
                k = asprintf(ret, "anonymous:%s", uuid);
        }
        return k < 0 ? -ENOMEM : 0;
}

static const char *json_str_or_null(const json_t *obj, const char *key) {
        const json_t *v = json_object_get(obj, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

int rfd_store_upsert_device(struct rfd_store *s, const json_t *device_json, int64_t *ret_id) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *ins = NULL, *sel = NULL;
        _cleanup_free_ char *key = NULL, *text = NULL;
        int r;

        if (!s || !json_is_object(device_json))
                return -EINVAL;
        const json_t *size = json_object_get(device_json, "size");
        if (!json_is_integer(size) || json_integer_value(size) < 0)
                return -EINVAL;

        r = device_identity_key(device_json, &key);
        if (r < 0)
                return r;
        text = json_dumps(device_json, JSON_COMPACT | JSON_SORT_KEYS);
        if (!text)
                return -ENOMEM;

        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = rfd_store_prepare(s,
                              "INSERT INTO devices (identity_key, vendor, model, serial, wwn, transport,"
                              "                     identity_source, size, first_seen, last_seen, json)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)"
                              " ON CONFLICT (identity_key) DO UPDATE SET"
                              "  vendor = excluded.vendor, model = excluded.model, serial = excluded.serial,"
                              "  wwn = excluded.wwn, transport = excluded.transport,"
                              "  identity_source = excluded.identity_source, size = excluded.size,"
                              "  last_seen = excluded.last_seen, json = excluded.json",
                              &ins);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(ins);
        rfd_bind_text(&b, key);
        rfd_bind_text(&b, json_str_or_null(device_json, "vendor"));
        rfd_bind_text(&b, json_str_or_null(device_json, "model"));
        rfd_bind_text(&b, json_str_or_null(device_json, "serial"));
        rfd_bind_text(&b, json_str_or_null(device_json, "wwn"));
        rfd_bind_text(&b, json_str_or_null(device_json, "transport"));
        rfd_bind_text(&b, json_str_or_null(device_json, "identity_source"));
        rfd_bind_int(&b, json_integer_value(size));
        rfd_bind_int(&b, (int64_t) rf_now_sec());
        rfd_bind_text(&b, text);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, ins);
        if (r < 0)
                return r;

        r = rfd_store_prepare(s, "SELECT id FROM devices WHERE identity_key = ?1", &sel);
        if (r < 0)
                return r;
        b = rfd_binder_init(sel);
        rfd_bind_text(&b, key);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step(s, sel);
        if (r < 0)
                return r;
        if (r == 0)
                return -EIO; /* cannot happen: we just wrote it */
        int64_t id = sqlite3_column_int64(sel, 0);

        r = rfd_store_tx_commit(&tx);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = id;
        return 0;
}
