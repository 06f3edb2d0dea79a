/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intake records (docs/intake.md): donors, assets and the link of a drive
 * to its asset; the schema step that adds them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store-internal.h"

/* Schema 1 -> 2. The certificates table is rebuilt so that the ledger can
 * hold documents that belong to no job (refurbishment certificates,
 * validation statements) in the same sequence: job_id becomes NULL for
 * them and a kind says what each entry is. jobs.certificate_id points to
 * the table by name: it is cleared around the rebuild and restored from
 * certificates.job_id (the same link, recorded twice). DROP TABLE fires no
 * trigger; the append-only triggers are recreated on the new table. */
const char rfd_store_migration_intake[] =
        "CREATE TABLE donors ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  reference TEXT NOT NULL UNIQUE,"
        "  organisation TEXT NOT NULL, contact TEXT, address TEXT,"
        "  donation_date TEXT NOT NULL CHECK (date(donation_date) IS donation_date),"
        "  created_at INTEGER NOT NULL);"
        "CREATE TABLE assets ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  tag TEXT NOT NULL UNIQUE,"
        "  type TEXT NOT NULL CHECK (type IN ('desktop','laptop','drive')),"
        "  donor_id INTEGER REFERENCES donors(id),"
        "  intake_date TEXT CHECK (intake_date IS NULL OR date(intake_date) IS intake_date),"
        "  maker TEXT, model TEXT, serial TEXT,"
        "  grade TEXT CHECK (grade IS NULL OR grade IN ('A','B','C','D')),"
        "  destination TEXT CHECK (destination IS NULL OR destination IN"
        "    ('reuse-family','reuse-school','recycling','destruction')),"
        "  recipient_ref TEXT,"
        "  auto INTEGER NOT NULL DEFAULT 0 CHECK (auto IN (0, 1)),"
        "  created_at INTEGER NOT NULL);"
        "CREATE INDEX assets_donor ON assets(donor_id);"
        "ALTER TABLE devices ADD COLUMN asset_id INTEGER REFERENCES assets(id);"
        "CREATE INDEX devices_asset ON devices(asset_id);"
        "CREATE INDEX devices_serial ON devices(serial);"
        "CREATE TABLE certificates_v2 ("
        "  id TEXT PRIMARY KEY,"
        "  seq INTEGER NOT NULL UNIQUE CHECK (seq >= 1),"
        "  kind TEXT NOT NULL CHECK (kind IN ('erasure','refurbishment','validation')),"
        "  job_id INTEGER UNIQUE REFERENCES jobs(id),"
        "  asset_id INTEGER REFERENCES assets(id),"
        "  subject_id TEXT REFERENCES certificates_v2(id),"
        "  created_at INTEGER NOT NULL,"
        "  json TEXT NOT NULL, sha256 TEXT NOT NULL,"
        "  signature TEXT NOT NULL, signer_certificate TEXT NOT NULL,"
        "  serial TEXT, model TEXT,"
        "  result TEXT CHECK (result IS NULL OR result IN ('erased','not-erased')),"
        "  CHECK ((kind = 'erasure') = (job_id IS NOT NULL)),"
        "  CHECK (kind <> 'erasure' OR result IS NOT NULL),"
        "  CHECK ((kind = 'validation') = (subject_id IS NOT NULL)));"
        "INSERT INTO certificates_v2 (id, seq, kind, job_id, created_at, json, sha256, signature,"
        "  signer_certificate, serial, model, result)"
        "  SELECT id, seq, 'erasure', job_id, created_at, json, sha256, signature,"
        "  signer_certificate, serial, model, result FROM certificates;"
        "UPDATE jobs SET certificate_id = NULL WHERE certificate_id IS NOT NULL;"
        "DROP TABLE certificates;"
        "ALTER TABLE certificates_v2 RENAME TO certificates;"
        "UPDATE jobs SET certificate_id = (SELECT c.id FROM certificates c WHERE c.job_id = jobs.id)"
        "  WHERE EXISTS (SELECT 1 FROM certificates c WHERE c.job_id = jobs.id);"
        "CREATE INDEX certificates_subject ON certificates(subject_id);"
        "CREATE INDEX certificates_asset ON certificates(asset_id);"
        "CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates"
        "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
        "CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates"
        "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;";

#define TEXT_MAX 200
#define ADDRESS_MAX 500
#define ITEM_MAX 128
#define REF_MAX 64

static const char *const asset_types[] = { "desktop", "laptop", "drive", NULL };
static const char *const grades[] = { "A", "B", "C", "D", NULL };
static const char *const destinations[] = { "reuse-family", "reuse-school", "recycling", "destruction", NULL };

static bool in_list(const char *s, const char *const *list) {
        for (; *list; list++)
                if (strcmp(s, *list) == 0)
                        return true;
        return false;
}

/* Printable text: no control character (UTF-8 bytes >= 0x80 allowed). */
static bool text_ok(const char *s, size_t min, size_t max) {
        size_t n = s ? strlen(s) : 0;
        if (!s)
                return min == 0;
        if (n < min || n > max)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

bool rfd_intake_ref_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > REF_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                      *p == '.' || *p == '_' || *p == '-'))
                        return false;
        return s[0] != '.';
}

bool rfd_intake_date_valid(const char *s) {
        static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return false;
        for (int i = 0; i < 10; i++)
                if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
                        return false;
        int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
        if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
                return false;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return !(m == 2 && d == 29 && !leap);
}

const char *rfd_donor_invalid_field(const struct rfd_donor *d) {
        if (!rfd_intake_ref_valid(d->reference))
                return "reference";
        if (!text_ok(d->organisation, 1, TEXT_MAX))
                return "organisation";
        if (!text_ok(d->contact, 0, TEXT_MAX))
                return "contact";
        if (!text_ok(d->address, 0, ADDRESS_MAX))
                return "address";
        if (!rfd_intake_date_valid(d->date))
                return "date";
        return NULL;
}

const char *rfd_asset_invalid_field(const struct rfd_asset *a) {
        if (!rfd_intake_ref_valid(a->tag))
                return "tag";
        if (!a->type || !in_list(a->type, asset_types))
                return "type";
        if (a->donor_reference && !rfd_intake_ref_valid(a->donor_reference))
                return "donor";
        if (a->intake_date && !rfd_intake_date_valid(a->intake_date))
                return "intake_date";
        if (!text_ok(a->maker, 0, ITEM_MAX))
                return "maker";
        if (!text_ok(a->model, 0, ITEM_MAX))
                return "model";
        if (!text_ok(a->serial, 0, ITEM_MAX))
                return "serial";
        if (a->grade && !in_list(a->grade, grades))
                return "grade";
        if (a->destination && !in_list(a->destination, destinations))
                return "destination";
        if (a->recipient_ref && !rfd_intake_ref_valid(a->recipient_ref))
                return "recipient_ref";
        return NULL;
}

int rfd_store_donor_add(struct rfd_store *s, const struct rfd_donor *d, int64_t *ret_id) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (!s || !d || rfd_donor_invalid_field(d))
                return -EINVAL;
        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = rfd_store_prepare(s,
                              "INSERT INTO donors (reference, organisation, contact, address, donation_date,"
                              " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                              &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, d->reference);
        rfd_bind_text(&b, d->organisation);
        rfd_bind_text(&b, d->contact);
        rfd_bind_text(&b, d->address);
        rfd_bind_text(&b, d->date);
        rfd_bind_int(&b, (int64_t) rf_now_sec());
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        int64_t id = sqlite3_last_insert_rowid(s->db);
        r = rfd_store_tx_commit(&tx);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = id;
        return 0;
}

/* Id of a row by a text key: 0 = found, -ENOENT. */
static int id_by_key(struct rfd_store *s, const char *sql, const char *key, int64_t *ret) {
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
        if (r == 0)
                return -ENOENT;
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}

static int asset_insert(struct rfd_store *s, const struct rfd_asset *a, int64_t donor_id, bool is_auto,
                        int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = rfd_store_prepare(s,
                                  "INSERT INTO assets (tag, type, donor_id, intake_date, maker, model, serial,"
                                  " grade, destination, recipient_ref, auto, created_at)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                                  &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, a->tag);
        rfd_bind_text(&b, a->type);
        rfd_bind_id(&b, donor_id);
        rfd_bind_text(&b, a->intake_date);
        rfd_bind_text(&b, a->maker);
        rfd_bind_text(&b, a->model);
        rfd_bind_text(&b, a->serial);
        rfd_bind_text(&b, a->grade);
        rfd_bind_text(&b, a->destination);
        rfd_bind_text(&b, a->recipient_ref);
        rfd_bind_int(&b, is_auto);
        rfd_bind_int(&b, (int64_t) rf_now_sec());
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        *ret_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int rfd_store_asset_add(struct rfd_store *s, const struct rfd_asset *a, int64_t *ret_id) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        int64_t donor_id = 0, id = 0;
        int r;

        if (!s || !a || rfd_asset_invalid_field(a))
                return -EINVAL;
        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        if (a->donor_reference) {
                r = id_by_key(s, "SELECT id FROM donors WHERE reference = ?1", a->donor_reference, &donor_id);
                if (r < 0)
                        return r;
        }
        r = asset_insert(s, a, donor_id, false, &id);
        if (r < 0)
                return r;
        r = rfd_store_tx_commit(&tx);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = id;
        return 0;
}

int rfd_store_asset_link_device(struct rfd_store *s, const char *tag, int64_t device_id) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int64_t asset_id;
        int r;

        if (!s || !tag || device_id <= 0)
                return -EINVAL;
        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = id_by_key(s, "SELECT id FROM assets WHERE tag = ?1", tag, &asset_id);
        if (r < 0)
                return r;
        r = rfd_store_prepare(s, "UPDATE devices SET asset_id = ?1 WHERE id = ?2", &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_int(&b, asset_id);
        rfd_bind_int(&b, device_id);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) != 1)
                return -ENOENT;
        return rfd_store_tx_commit(&tx);
}

int rfd_store_device_by_serial(struct rfd_store *s, const char *serial, int64_t *ret_id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (!s || !serial || !*serial || !ret_id)
                return -EINVAL;
        r = rfd_store_prepare(s, "SELECT id FROM devices WHERE serial = ?1 ORDER BY id LIMIT 2", &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_text(&b, serial);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step(s, st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        int64_t id = sqlite3_column_int64(st, 0);
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        if (r > 0)
                return -ENOTUNIQ;
        *ret_id = id;
        return 0;
}

/* {tag, type, destination, donor: {organisation, reference} | null} of the asset the
 * device is linked to; *ret = NULL when none. */
static int device_asset_brief(struct rfd_store *s, int64_t device_id, json_t **ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = rfd_store_prepare(s,
                                  "SELECT a.tag, a.type, d.organisation, d.reference, a.destination FROM devices v"
                                  " JOIN assets a ON a.id = v.asset_id LEFT JOIN donors d ON d.id = a.donor_id"
                                  " WHERE v.id = ?1",
                                  &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_int(&b, device_id);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step(s, st);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = NULL;
                return 0;
        }
        json_t *donor = sqlite3_column_type(st, 3) == SQLITE_NULL
                                ? json_null()
                                : json_pack("{s:s?, s:s?}", "organisation", (const char *) sqlite3_column_text(st, 2),
                                            "reference", (const char *) sqlite3_column_text(st, 3));
        /* destination: NIST SP 800-88's "media destination" (reuse, recycling...). */
        *ret = json_pack("{s:s?, s:s?, s:s?, s:o?}", "tag", (const char *) sqlite3_column_text(st, 0), "type",
                         (const char *) sqlite3_column_text(st, 1), "destination",
                         (const char *) sqlite3_column_text(st, 4), "donor", donor);
        return *ret ? 0 : -ENOMEM;
}

int rfd_store_asset_for_device(struct rfd_store *s, int64_t device_id, bool create_auto, json_t **ret) {
        _cleanup_tx_ struct rfd_store *tx = NULL;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_free_ char *serial = NULL, *tag = NULL;
        int64_t asset_id = 0, other;
        int r;

        if (!s || device_id <= 0 || !ret)
                return -EINVAL;
        r = device_asset_brief(s, device_id, ret);
        if (r < 0 || *ret || !create_auto)
                return r;

        r = rfd_store_tx_begin(s, &tx);
        if (r < 0)
                return r;
        r = rfd_store_query_id(s, "SELECT serial FROM devices WHERE id = ?1", device_id, &st);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        r = rfd_column_strdup(st, 0, &serial);
        if (r < 0)
                return r;
        /* A tag is what a label can carry: the serial when it fits. */
        if (serial && asprintf(&tag, "AUTO-%s", serial) < 0)
                return -ENOMEM;
        if (!tag || !rfd_intake_ref_valid(tag) ||
            id_by_key(s, "SELECT id FROM assets WHERE tag = ?1", tag, &other) != -ENOENT) {
                free(tag);
                if (asprintf(&tag, "AUTO-DEV%lld", (long long) device_id) < 0)
                        return -ENOMEM;
        }
        struct rfd_asset a = { .tag = tag, .type = "drive", .serial = serial };
        r = asset_insert(s, &a, 0, true, &asset_id);
        if (r < 0)
                return r;
        sqlite3_finalize(TAKE_PTR(st));
        r = rfd_store_prepare(s, "UPDATE devices SET asset_id = ?1 WHERE id = ?2 AND asset_id IS NULL", &st);
        if (r < 0)
                return r;
        struct rfd_binder b = rfd_binder_init(st);
        rfd_bind_int(&b, asset_id);
        rfd_bind_int(&b, device_id);
        if (b.rc != SQLITE_OK)
                return rfd_store_errno(s, b.rc);
        r = rfd_store_step_done(s, st);
        if (r < 0)
                return r;
        r = rfd_store_tx_commit(&tx);
        if (r < 0)
                return r;
        return device_asset_brief(s, device_id, ret);
}
