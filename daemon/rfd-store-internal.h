/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by rfd-store.c, rfd-store-jobs.c and rfd-store-certs.c only. */

#include <sqlite3.h>
#include <stdint.h>

#include "rf-macro.h"
#include "rfd-store.h"

struct rfd_store {
        sqlite3 *db;
};

/* Schema step 1 -> 2 (rfd-store-intake.c). */
extern const char rfd_store_migration_intake[];
extern const char rfd_store_migration_images[];
extern const char rfd_store_migration_access[];

/* SQLite result code -> negative errno (0 for OK/ROW/DONE). */
int rfd_store_errno(struct rfd_store *s, int rc);

/* Prepare one statement (the SQL text is a constant: data goes through
 * bound parameters only). */
int rfd_store_prepare(struct rfd_store *s, const char *sql, sqlite3_stmt **ret);
/* Step: 1 = a row, 0 = done, <0 = error. */
int rfd_store_step(struct rfd_store *s, sqlite3_stmt *st);
/* Step a statement that must not return rows. */
int rfd_store_step_done(struct rfd_store *s, sqlite3_stmt *st);
/* Prepare sql, bind id to ?1 and step once: 1 = a row (read it from
 * *ret), 0 = none, <0 = error. The one-row lookup by id. */
int rfd_store_query_id(struct rfd_store *s, const char *sql, int64_t id, sqlite3_stmt **ret);

static inline void rfd_stmt_finalizep(sqlite3_stmt **st) {
        if (*st)
                (void) sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(rfd_stmt_finalizep)

/* Transactions: BEGIN IMMEDIATE ... COMMIT. The guard variable rolls back
 * when it goes out of scope without a successful commit:
 *     _cleanup_tx_ struct rfd_store *tx = NULL;
 *     r = rfd_store_tx_begin(s, &tx);
 *     ...
 *     return rfd_store_tx_commit(&tx); */
int rfd_store_tx_begin(struct rfd_store *s, struct rfd_store **tx);
int rfd_store_tx_commit(struct rfd_store **tx);
void rfd_store_tx_rollbackp(struct rfd_store **tx);
#define _cleanup_tx_ _cleanup_(rfd_store_tx_rollbackp)

/* Bind parameters ?1, ?2, ... in order, remembering the first error. */
struct rfd_binder {
        sqlite3_stmt *st;
        int idx;
        int rc;
};
static inline struct rfd_binder rfd_binder_init(sqlite3_stmt *st) {
        return (struct rfd_binder) { .st = st, .idx = 0, .rc = SQLITE_OK };
}
void rfd_bind_text(struct rfd_binder *b, const char *text);    /* NULL -> SQL NULL */
void rfd_bind_int(struct rfd_binder *b, int64_t v);
void rfd_bind_u64(struct rfd_binder *b, uint64_t v);           /* > INT64_MAX -> SQLITE_RANGE */
void rfd_bind_time(struct rfd_binder *b, int64_t t);           /* 0 -> SQL NULL */
void rfd_bind_id(struct rfd_binder *b, int64_t id);            /* 0 -> SQL NULL */

/* Copy a text column (SQL NULL -> *ret = NULL). */
int rfd_column_strdup(sqlite3_stmt *st, int col, char **ret);
/* Integer column, 0 for SQL NULL, negative values clamped to 0. */
uint64_t rfd_column_u64(sqlite3_stmt *st, int col);

/* ISO 8601 string, or JSON null for 0. */
json_t *rfd_json_time(int64_t t);
/* JSON string, or JSON null for NULL. */
json_t *rfd_json_str_or_null(const char *s);
json_t *rfd_json_u64(uint64_t v);
