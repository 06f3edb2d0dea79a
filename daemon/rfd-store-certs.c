/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Certificate records: an append-only chain (seq 1, 2, ...; each document
 * names the SHA-256 of the previous one), stored byte for byte as signed. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store-internal.h"

#define CERT_ID_MAX 64
#define CERT_PREFIX_MIN 4

/* The last certificate: its seq and the SHA-256 of its text, recomputed
 * and checked against the recorded one. seq 0 and "" when none. */
static int last_cert(struct rfd_store *s, int64_t *ret_seq, char ret_sha[static 65]) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = rfd_store_prepare(s, "SELECT seq, json, sha256 FROM certificates ORDER BY seq DESC LIMIT 1", &st);
        if (r < 0)
                return r;
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret_seq = 0;
                ret_sha[0] = '\0';
                return 0;
        }
        const void *text = sqlite3_column_blob(st, 1);
        size_t len = (size_t) sqlite3_column_bytes(st, 1);
        const unsigned char *recorded = sqlite3_column_text(st, 2);
        r = rf_sha256_hex(text ? text : "", len, ret_sha);
        if (r < 0)
                return r;
        if (!recorded || strcmp((const char *) recorded, ret_sha) != 0)
                return -EBADMSG; /* the record was altered behind our back */
        *ret_seq = sqlite3_column_int64(st, 0);
        return 0;
}

int rfd_store_cert_next_seq(struct rfd_store *s, int64_t *ret_seq, char ret_prev_sha256[static 65]) {
        int64_t last;
        int r;

        if (!s || !ret_seq)
                return -EINVAL;
        r = last_cert(s, &last, ret_prev_sha256);
        if (r < 0)
                return r;
        *ret_seq = last + 1;
        return 0;
}

/* What a ledger entry is, from its format: "erasure" (the documents of
 * jobs, whatever their format says), "refurbishment", "validation". */
static const char *cert_kind(const json_t *doc) {
        const char *f = rf_json_str(doc, "format");
        if (strcmp(f, "refurb-refurbishment-certificate/1") == 0)
                return "refurbishment";
        if (strcmp(f, "refurb-validation/1") == 0)
                return "validation";
        if (strcmp(f, "refurb-erasure-certificate/1") == 0)
                return "erasure";
        return NULL;
}

/* The document must be what the chain expects: canonical, naming this id,
 * sequence, job and previous hash. Fills what the listing shows. */
static int check_document(const char *text, const char *id, int64_t job_id, int64_t seq, const char *prev_sha,
                          json_t **ret_doc) {
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_free_ char *canon = NULL;
        size_t len = strlen(text), canon_len = 0;
        int r;

        r = rf_json_parse(text, len, &doc, NULL, 0);
        if (r < 0)
                return r;
        if (!json_is_object(doc))
                return -EINVAL;
        r = rf_json_canonical(doc, &canon, &canon_len);
        if (r < 0)
                return r;
        if (canon_len != len || memcmp(canon, text, len) != 0)
                return -EINVAL;

        const json_t *prev = json_object_get(doc, "previous_sha256");
        const json_t *job = json_object_get(doc, "job");
        const char *result = rf_json_str(doc, "result");
        if (strcmp(rf_json_str(doc, "id"), id) != 0 || rf_json_int(doc, "sequence") != seq ||
            !json_is_integer(json_object_get(doc, "sequence")))
                return -EINVAL;
        /* job_id 0: a document of no job (docs/intake.md). */
        if (job_id == 0 ? cert_kind(doc) == NULL || strcmp(cert_kind(doc), "erasure") == 0
                        : !json_is_object(job) || rf_json_int(job, "id") != job_id ||
                                  (strcmp(result, "erased") != 0 && strcmp(result, "not-erased") != 0))
                return -EINVAL;
        if (*prev_sha ? !json_is_string(prev) || strcmp(json_string_value(prev), prev_sha) != 0 : !json_is_null(prev))
                return -EINVAL;

        *ret_doc = TAKE_PTR(doc);
        return 0;
}

int rfd_store_cert_insert(struct rfd_store *s, const char *id, int64_t job_id, int64_t seq, const char *json_text,
                          const char *sha256, const char *sig_pem, const char *signer_pem) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *ins = NULL, *upd = NULL;
        _cleanup_json_ json_t *doc = NULL;
        char sha[65], last_sha[65];
        int64_t last_seq;
        int r;

        if (!s || !id || !*id || strlen(id) > CERT_ID_MAX || job_id < 0 || seq <= 0 || !json_text || !sha256 ||
            !sig_pem || !*sig_pem || !signer_pem || !*signer_pem)
                return -EINVAL;
        r = rf_sha256_hex(json_text, strlen(json_text), sha);
        if (r < 0)
                return r;
        if (strcmp(sha, sha256) != 0)
                return -EINVAL;

        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = last_cert(s, &last_seq, last_sha);
        if (r < 0)
                return r;
        if (seq != last_seq + 1)
                return -ESTALE; /* someone issued in between: ask for the next seq again */
        r = check_document(json_text, id, job_id, seq, last_sha, &doc);
        if (r < 0)
                return r;
        const json_t *media = json_object_get(doc, "media");
        const json_t *asset = json_object_get(doc, "asset");
        const char *result = rf_json_str(doc, "result");

        r = rfd_store_prepare(s,
                              "INSERT INTO certificates (id, seq, job_id, created_at, json, sha256, signature,"
                              "  signer_certificate, serial, model, result, kind, asset_id, subject_id)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                              "  (SELECT id FROM assets WHERE tag = ?13), ?14)",
                              &ins);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(ins);
        rfd_bind_text(&b, id);
        rfd_bind_int(&b, seq);
        rfd_bind_id(&b, job_id);
        rfd_bind_int(&b, (int64_t) rf_now_sec());
        rfd_bind_text(&b, json_text);
        rfd_bind_text(&b, sha);
        rfd_bind_text(&b, sig_pem);
        rfd_bind_text(&b, signer_pem);
        rfd_bind_text(&b, json_is_string(json_object_get(media, "serial")) ? rf_json_str(media, "serial") : NULL);
        rfd_bind_text(&b, json_is_string(json_object_get(media, "model")) ? rf_json_str(media, "model") : NULL);
        rfd_bind_text(&b, strcmp(result, "erased") == 0 || strcmp(result, "not-erased") == 0 ? result : NULL);
        rfd_bind_text(&b, job_id ? "erasure" : cert_kind(doc));
        rfd_bind_text(&b, json_is_string(json_object_get(asset, "tag")) ? rf_json_str(asset, "tag") : NULL);
        rfd_bind_text(&b, !job_id && json_is_string(json_object_get(doc, "certificate_id"))
                                  ? rf_json_str(doc, "certificate_id")
                                  : NULL);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, ins);
        if (r < 0)
                return r; /* -EINVAL for an unknown job, -EEXIST for a second certificate */
        if (job_id == 0)
                return rfd_store_tx_commit(&tx);

        /* The job points to its certificate in the same transaction. */
        r = rfd_store_prepare(s, "UPDATE jobs SET certificate_id = ?1 WHERE id = ?2 AND certificate_id IS NULL",
                              &upd);
        if (r < 0)
                return r;
        b = rfd_binder_init(upd);
        rfd_bind_text(&b, id);
        rfd_bind_int(&b, job_id);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, upd);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) != 1)
                return -EEXIST;
        return rfd_store_tx_commit(&tx);
}

static int cert_lookup(struct rfd_store *s, const char *sql, const char *key, sqlite3_stmt **ret, int *ret_rows) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = rfd_store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, key);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        *ret_rows = r;
        *ret = TAKE_PTR(st);
        return 0;
}

int rfd_store_cert_get(struct rfd_store *s, const char *id_or_prefix, char **ret_id, char **ret_json,
                       char **ret_sig_pem, char **ret_signer_pem) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_free_ char *id = NULL, *json = NULL, *sig = NULL, *signer = NULL;
        char key[CERT_ID_MAX + 1];
        size_t len;
        int r, rows = 0;

        if (!s || !id_or_prefix)
                return -EINVAL;
        len = strlen(id_or_prefix);
        if (len == 0 || len > CERT_ID_MAX)
                return -ENOENT;
        /* Ids are lower-case UUIDs; accept what people type. */
        for (size_t i = 0; i <= len; i++)
                key[i] = (char) tolower((unsigned char) id_or_prefix[i]);

        r = cert_lookup(s, "SELECT id, json, signature, signer_certificate FROM certificates WHERE id = ?1", key,
                        &st, &rows);
        if (r < 0)
                return r;
        if (rows == 0) {
                if (len < CERT_PREFIX_MIN)
                        return -ENOENT;
                sqlite3_finalize(TAKE_PTR(st));
                /* substr() rather than LIKE: no wildcard in the input can
                 * match more than it says. */
                r = cert_lookup(s,
                                "SELECT id, json, signature, signer_certificate FROM certificates"
                                " WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 2",
                                key, &st, &rows);
                if (r < 0)
                        return r;
                if (rows == 0)
                        return -ENOENT;
        }
        if ((r = rfd_column_strdup(st, 0, &id)) < 0 || (r = rfd_column_strdup(st, 1, &json)) < 0 ||
            (r = rfd_column_strdup(st, 2, &sig)) < 0 || (r = rfd_column_strdup(st, 3, &signer)) < 0)
                return r;
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        if (r > 0)
                return -ENOTUNIQ;

        if (ret_id)
                *ret_id = TAKE_PTR(id);
        if (ret_json)
                *ret_json = TAKE_PTR(json);
        if (ret_sig_pem)
                *ret_sig_pem = TAKE_PTR(sig);
        if (ret_signer_pem)
                *ret_signer_pem = TAKE_PTR(signer);
        return 0;
}

int rfd_store_certs_json(struct rfd_store *s, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = NULL;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = rfd_store_prepare(s,
                              "SELECT id, seq, job_id, created_at, sha256, serial, model, result, kind"
                              " FROM certificates ORDER BY seq DESC",
                              &st);
        if (r < 0)
                return r;
        arr = json_array();
        if (!arr)
                return -ENOMEM;
        while ((r = rfd_store_step(s, st)) > 0) {
                json_t *o = json_pack("{s:s?, s:I, s:I, s:o, s:s?, s:s?, s:s?, s:s?, s:s?}", "id",
                                      (const char *) sqlite3_column_text(st, 0), "seq",
                                      (json_int_t) sqlite3_column_int64(st, 1), "job_id",
                                      (json_int_t) sqlite3_column_int64(st, 2), "created_at",
                                      rfd_json_time(sqlite3_column_int64(st, 3)), "sha256",
                                      (const char *) sqlite3_column_text(st, 4), "serial",
                                      (const char *) sqlite3_column_text(st, 5), "model",
                                      (const char *) sqlite3_column_text(st, 6), "result",
                                      (const char *) sqlite3_column_text(st, 7), "kind",
                                      (const char *) sqlite3_column_text(st, 8));
                if (json_array_append_new(arr, o) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}

int rfd_store_ledger_json(struct rfd_store *s, int64_t from_seq, unsigned limit, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = NULL;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = rfd_store_prepare(s,
                              "SELECT seq, id, json, signature, signer_certificate, sha256 FROM certificates"
                              " WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
                              &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_int(&b, from_seq);
        rfd_bind_int(&b, limit ? (int64_t) limit : -1);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        arr = json_array();
        if (!arr)
                return -ENOMEM;
        while ((r = rfd_store_step(s, st)) > 0) {
                /* The text byte for byte, even if someone put something else
                 * than the signed text in the row: the checker judges. */
                const char *text = (const char *) sqlite3_column_text(st, 2);
                json_t *o = json_pack("{s:I, s:s?, s:s%, s:s?, s:s?, s:s?}", "seq",
                                      (json_int_t) sqlite3_column_int64(st, 0), "id",
                                      (const char *) sqlite3_column_text(st, 1), "json", text ? text : "",
                                      (size_t) (text ? sqlite3_column_bytes(st, 2) : 0), "signature",
                                      (const char *) sqlite3_column_text(st, 3), "signer_certificate",
                                      (const char *) sqlite3_column_text(st, 4), "sha256",
                                      (const char *) sqlite3_column_text(st, 5));
                if (!o || json_array_append_new(arr, o) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}
