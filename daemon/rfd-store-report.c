/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the intake records: donors, assets with their drives, the
 * donation report, validation statements and the rows of the exports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store-internal.h"

#define COL(st, i) ((const char *) sqlite3_column_text((st), (i)))

static int prepare_key(struct rfd_store *s, const char *sql, const char *key, sqlite3_stmt **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = rfd_store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        if (key) {
                struct rfd_binder b = rfd_binder_init(st);
                rfd_bind_text(&b, key);
                if (b.rc != SQLITE_OK)
                        return rfd_store_errno(s, b.rc);
        }
        *ret = TAKE_PTR(st);
        return 0;
}

#define DONOR_SQL "SELECT reference, organisation, contact, address, donation_date, created_at FROM donors"

static json_t *donor_row(sqlite3_stmt *st) {
        return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:o}", "reference", COL(st, 0), "organisation", COL(st, 1),
                         "contact", COL(st, 2), "address", COL(st, 3), "date", COL(st, 4), "created_at",
                         rfd_json_time(sqlite3_column_int64(st, 5)));
}

int rfd_store_donors_json(struct rfd_store *s, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = json_array();
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (!arr)
                return -ENOMEM;
        r = prepare_key(s, DONOR_SQL " ORDER BY donation_date DESC, id DESC", NULL, &st);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, st)) > 0)
                if (json_array_append_new(arr, donor_row(st)) < 0)
                        return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}

int rfd_store_donor_get(struct rfd_store *s, const char *reference, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *at = NULL;
        _cleanup_json_ json_t *o = NULL;
        json_t *tags;
        int r;

        if (!s || !reference || !ret)
                return -EINVAL;
        r = prepare_key(s, DONOR_SQL " WHERE reference = ?1", reference, &st);
        if (r < 0)
                return r;
        r = rfd_store_step(s, st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        o = donor_row(st);
        tags = json_array();
        if (!o || !tags || json_object_set_new(o, "assets", tags) < 0)
                return -ENOMEM;
        r = prepare_key(s,
                        "SELECT a.tag FROM assets a JOIN donors d ON d.id = a.donor_id"
                        " WHERE d.reference = ?1 ORDER BY a.tag",
                        reference, &at);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, at)) > 0)
                if (json_array_append_new(tags, json_string(COL(at, 0))) < 0)
                        return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

#define ASSET_SQL                                                                                               \
        "SELECT a.tag, a.type, d.organisation, d.reference, a.intake_date, a.maker, a.model, a.serial, a.grade," \
        " a.destination, a.recipient_ref, a.auto, a.created_at,"                                                 \
        " (SELECT group_concat(v.serial, ';') FROM devices v WHERE v.asset_id = a.id)"                            \
        " FROM assets a LEFT JOIN donors d ON d.id = a.donor_id"

static json_t *asset_row(sqlite3_stmt *st) {
        json_t *donor = sqlite3_column_type(st, 3) == SQLITE_NULL
                                ? json_null()
                                : json_pack("{s:s?, s:s?}", "organisation", COL(st, 2), "reference", COL(st, 3));
        return json_pack("{s:s?, s:s?, s:o?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:o, s:s?}", "tag",
                         COL(st, 0), "type", COL(st, 1), "donor", donor, "intake_date", COL(st, 4), "maker",
                         COL(st, 5), "model", COL(st, 6), "serial", COL(st, 7), "grade", COL(st, 8), "destination",
                         COL(st, 9), "recipient_ref", COL(st, 10), "auto", sqlite3_column_int(st, 11) != 0,
                         "created_at", rfd_json_time(sqlite3_column_int64(st, 12)), "drive_serials", COL(st, 13));
}

int rfd_store_assets_json(struct rfd_store *s, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = json_array();
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (!arr)
                return -ENOMEM;
        r = prepare_key(s, ASSET_SQL " ORDER BY a.tag", NULL, &st);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, st)) > 0)
                if (json_array_append_new(arr, asset_row(st)) < 0)
                        return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}

/* The drives linked to the assets chosen by `where` (?1 = key), each with
 * its last certificate. */
#define DRIVES_SQL                                                                                              \
        "SELECT a.tag, v.id, v.serial, v.model, c.id, c.sha256, c.result,"                                      \
        " json_extract(c.json, '$.sanitization.category'), json_extract(c.json, '$.health.to_destroy'),"       \
        " a.destination"                                                                                        \
        " FROM assets a LEFT JOIN devices v ON v.asset_id = a.id"                                               \
        " LEFT JOIN certificates c ON c.id = (SELECT j.certificate_id FROM jobs j WHERE j.device_id = v.id"    \
        "   AND j.certificate_id IS NOT NULL ORDER BY j.id DESC LIMIT 1)"

static json_t *drive_row(sqlite3_stmt *st) {
        bool to_destroy = sqlite3_column_int(st, 8) != 0 || rf_streq_ptr(COL(st, 6), "not-erased") ||
                          rf_streq_ptr(COL(st, 9), "destruction");
        return json_pack("{s:s?, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:b}", "asset_tag", COL(st, 0),
                         "device_id", (json_int_t) sqlite3_column_int64(st, 1), "serial", COL(st, 2), "model",
                         COL(st, 3), "certificate_id", COL(st, 4), "certificate_sha256", COL(st, 5), "result",
                         COL(st, 6), "category", COL(st, 7), "to_destroy", to_destroy);
}

int rfd_store_asset_get(struct rfd_store *s, const char *tag, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *dt = NULL;
        _cleanup_json_ json_t *o = NULL;
        json_t *drives;
        int r;

        if (!s || !tag || !ret)
                return -EINVAL;
        r = prepare_key(s, ASSET_SQL " WHERE a.tag = ?1", tag, &st);
        if (r < 0)
                return r;
        r = rfd_store_step(s, st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        o = asset_row(st);
        drives = json_array();
        if (!o || !drives || json_object_set_new(o, "drives", drives) < 0)
                return -ENOMEM;
        json_object_del(o, "drive_serials");
        r = prepare_key(s, DRIVES_SQL " WHERE a.tag = ?1 AND v.id IS NOT NULL ORDER BY v.id", tag, &dt);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, dt)) > 0) {
                json_t *d = drive_row(dt);
                if (!d)
                        return -ENOMEM;
                json_object_del(d, "asset_tag");
                if (json_array_append_new(drives, d) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int rfd_store_donation_report(struct rfd_store *s, const char *reference, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *donor = NULL, *drives = json_array();
        int r;

        if (!s || !reference || !ret)
                return -EINVAL;
        if (!drives)
                return -ENOMEM;
        r = rfd_store_donor_get(s, reference, &donor);
        if (r < 0)
                return r;
        /* An asset with no drive linked yet still shows, as not erased yet. */
        r = prepare_key(s,
                        DRIVES_SQL " JOIN donors d ON d.id = a.donor_id WHERE d.reference = ?1"
                                   " ORDER BY a.tag, v.id",
                        reference, &st);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, st)) > 0) {
                json_t *d = drive_row(st);
                if (!d)
                        return -ENOMEM;
                json_object_del(d, "device_id");
                json_object_del(d, "certificate_sha256");
                if (json_array_append_new(drives, d) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = json_pack("{s:{s:O, s:O, s:O, s:O, s:O}, s:O}", "donor", "organisation",
                         json_object_get(donor, "organisation"), "contact", json_object_get(donor, "contact"),
                         "reference", json_object_get(donor, "reference"), "date", json_object_get(donor, "date"),
                         "address", json_object_get(donor, "address"), "drives", drives);
        return *ret ? 0 : -ENOMEM;
}

int rfd_store_cert_validations_json(struct rfd_store *s, const char *cert_id, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = json_array();
        int r;

        if (!s || !cert_id || !ret)
                return -EINVAL;
        if (!arr)
                return -ENOMEM;
        r = prepare_key(s,
                        "SELECT id, seq, created_at, json_extract(json, '$.validated_by.name'),"
                        " json_extract(json, '$.validated_by.title'), json_extract(json, '$.validated_at')"
                        " FROM certificates WHERE subject_id = ?1 AND kind = 'validation' ORDER BY seq",
                        cert_id, &st);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, st)) > 0) {
                json_t *o = json_pack("{s:s?, s:I, s:o, s:s?, s:s?, s:s?}", "id", COL(st, 0), "seq",
                                      (json_int_t) sqlite3_column_int64(st, 1), "created_at",
                                      rfd_json_time(sqlite3_column_int64(st, 2)), "name", COL(st, 3), "title",
                                      COL(st, 4), "validated_at", COL(st, 5));
                if (json_array_append_new(arr, o) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}

int rfd_store_certs_export_json(struct rfd_store *s, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_json_ json_t *arr = json_array();
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (!arr)
                return -ENOMEM;
        r = prepare_key(s,
                        "SELECT c.id, c.seq, c.kind, c.created_at, c.serial, c.model, c.result, a.tag,"
                        " d.reference, c.sha256, c.subject_id FROM certificates c"
                        " LEFT JOIN assets a ON a.id = c.asset_id LEFT JOIN donors d ON d.id = a.donor_id"
                        " ORDER BY c.seq",
                        NULL, &st);
        if (r < 0)
                return r;
        while ((r = rfd_store_step(s, st)) > 0) {
                json_t *o = json_pack("{s:s?, s:I, s:s?, s:o, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "id",
                                      COL(st, 0), "seq", (json_int_t) sqlite3_column_int64(st, 1), "kind",
                                      COL(st, 2), "created_at", rfd_json_time(sqlite3_column_int64(st, 3)), "serial",
                                      COL(st, 4), "model", COL(st, 5), "result", COL(st, 6), "asset_tag",
                                      COL(st, 7), "donor_reference", COL(st, 8), "sha256", COL(st, 9), "subject_id",
                                      COL(st, 10));
                if (json_array_append_new(arr, o) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(arr);
        return 0;
}
