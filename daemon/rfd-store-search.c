/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Search of the certificates by id, serial, asset tag or donor
 * (rfd-store-search.h): certificates -> jobs -> devices -> assets -> donors,
 * one LIKE pattern whose wildcards come from the input escaped, on text
 * folded to lower case by a function of our own (SQLite's LIKE folds ASCII
 * only, and French organisations are written with É, À, Œ...). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rfd-store-internal.h"
#include "rfd-store-search.h"

#define SEARCH_TEXT_MAX_BYTES (64 * 4)

/* Lower case of ASCII, of the Latin-1 capitals À..Þ (but ×) and of Œ;
 * the length in bytes is unchanged. */
static void fold(const unsigned char *in, size_t len, unsigned char *out) {
        for (size_t i = 0; i < len; i++) {
                unsigned char c = in[i];
                if (c >= 'A' && c <= 'Z')
                        c = (unsigned char) (c + 32);
                else if (c == 0xC3 && i + 1 < len && in[i + 1] >= 0x80 && in[i + 1] <= 0x9E && in[i + 1] != 0x97) {
                        out[i++] = c;
                        c = (unsigned char) (in[i] + 0x20);
                } else if (c == 0xC5 && i + 1 < len && in[i + 1] == 0x92) {
                        out[i++] = c;
                        c = 0x93;
                }
                out[i] = c;
        }
}

static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
        if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
                return sqlite3_result_null(ctx);
        const unsigned char *text = sqlite3_value_text(argv[0]);
        int n = sqlite3_value_bytes(argv[0]);
        if (!text || n < 0)
                return sqlite3_result_error_nomem(ctx);
        unsigned char *out = sqlite3_malloc(n + 1);
        if (!out)
                return sqlite3_result_error_nomem(ctx);
        fold(text, (size_t) n, out);
        out[n] = '\0';
        sqlite3_result_text(ctx, (const char *) out, n, sqlite3_free);
}

/* "%" + folded text with \ % _ escaped by \ + "%". */
static char *like_pattern(const char *text) {
        size_t len = strlen(text);
        _cleanup_free_ unsigned char *folded = malloc(len + 1);
        char *p = folded ? malloc(2 * len + 3) : NULL;
        if (!p)
                return NULL;
        fold((const unsigned char *) text, len, folded);
        size_t k = 0;
        p[k++] = '%';
        for (size_t i = 0; i < len; i++) {
                if (folded[i] == '\\' || folded[i] == '%' || folded[i] == '_')
                        p[k++] = '\\';
                p[k++] = (char) folded[i];
        }
        p[k++] = '%';
        p[k] = '\0';
        return p;
}

#define MATCH(col) "rfd_fold(" col ") LIKE ?1 ESCAPE '\\'"

static const char search_sql[] =
        "SELECT c.id, c.seq, c.kind, c.job_id, c.created_at, c.sha256, coalesce(c.serial, dv.serial),"
        "  coalesce(c.model, dv.model), c.result, a.tag, o.reference, o.organisation"
        " FROM certificates c"
        " LEFT JOIN jobs j ON j.id = c.job_id"
        " LEFT JOIN devices dv ON dv.id = j.device_id"
        " LEFT JOIN assets a ON a.id = coalesce(c.asset_id, dv.asset_id)"
        " LEFT JOIN donors o ON o.id = a.donor_id"
        " WHERE c.kind <> 'validation' AND (" MATCH("c.id") " OR " MATCH("c.serial") " OR " MATCH("dv.serial")
        "  OR " MATCH("a.tag") " OR " MATCH("a.serial") " OR " MATCH("o.reference") " OR " MATCH("o.organisation")
        "  OR EXISTS (SELECT 1 FROM devices d2 WHERE c.kind = 'refurbishment' AND d2.asset_id = c.asset_id"
        "             AND " MATCH("d2.serial") "))"
        " ORDER BY c.seq DESC LIMIT ?2";

static const char *col_text(sqlite3_stmt *st, int col) {
        return (const char *) sqlite3_column_text(st, col);
}

int rfd_store_certs_search(struct rfd_store *s, const char *text, unsigned limit, json_t **ret, bool *ret_more) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = NULL;
        _cleanup_free_ char *pattern = NULL;
        int r;

        if (!s || !text || !*text || strlen(text) > SEARCH_TEXT_MAX_BYTES || limit == 0 || !ret || !ret_more)
                return -EINVAL;
        /* Deterministic and pure: registering it again on each search costs nothing. */
        r = sqlite3_create_function_v2(s->db, "rfd_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                       NULL, sql_fold, NULL, NULL, NULL);
        if (r != SQLITE_OK)
                return rfd_store_errno(s, r);
        if (!(pattern = like_pattern(text)) || !(arr = json_array()))
                return -ENOMEM;
        r = rfd_store_prepare(s, search_sql, &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, pattern);
        rfd_bind_int(&b, (int64_t) limit + 1);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        *ret_more = false;
        while ((r = rfd_store_step(s, st)) > 0) {
                if (json_array_size(arr) == limit) {
                        *ret_more = true;
                        break;
                }
                json_t *o = json_pack("{s:s?, s:I, s:s?, s:I, s:o, s:s?, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                                      col_text(st, 0), "seq", (json_int_t) sqlite3_column_int64(st, 1), "kind",
                                      col_text(st, 2), "job_id", (json_int_t) sqlite3_column_int64(st, 3),
                                      "created_at", rfd_json_time(sqlite3_column_int64(st, 4)), "sha256",
                                      col_text(st, 5), "serial", rfd_json_str_or_null(col_text(st, 6)), "model",
                                      rfd_json_str_or_null(col_text(st, 7)), "result",
                                      rfd_json_str_or_null(col_text(st, 8)), "asset_tag",
                                      rfd_json_str_or_null(col_text(st, 9)), "donor_reference",
                                      rfd_json_str_or_null(col_text(st, 10)), "organisation",
                                      rfd_json_str_or_null(col_text(st, 11)));
                if (json_array_append_new(arr, o) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}
