/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The intake records of the store (rfd-store-intake.c, rfd-store-report.c):
 * validation, donors, assets, links, automatic assets, documents of no job
 * in the ledger, and the 1 -> 2 migration of a database with certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-store.h"
#include "test-tmpdir.h"

struct fixture {
        char dir[64];
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        if (!f || test_mkdtemp(f->dir, sizeof(f->dir), "test-intake") < 0) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

static struct rfd_store *open_store(const struct fixture *f) {
        struct rfd_store *s = NULL;
        assert_int_equal(rfd_store_open(f->dir, &s, NULL), 0);
        return s;
}

static int64_t add_device(struct rfd_store *s, const char *serial) {
        _cleanup_json_ json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "vendor", "ACME", "serial", serial,
                                             "model", "M1", "identity_source", "stand-in", "transport", "sata",
                                             "size", (json_int_t) 1048576);
        int64_t id = 0;
        assert_int_equal(rfd_store_upsert_device(s, d, &id), 0);
        return id;
}

static const struct rfd_donor good_donor = {
        .reference = "DON-1", .organisation = "Mairie de Villeurbanne", .contact = "M. Dupont",
        .address = "1 place", .date = "2026-11-20",
};

static void test_validation(void **state) {
        (void) state;
        struct rfd_donor d = good_donor;
        assert_null(rfd_donor_invalid_field(&d));
        d.date = "2026-02-30";
        assert_string_equal(rfd_donor_invalid_field(&d), "date");
        d.date = "2024-02-29";
        assert_null(rfd_donor_invalid_field(&d));
        d.date = "2025-02-29";
        assert_string_equal(rfd_donor_invalid_field(&d), "date");
        d = good_donor;
        d.organisation = "";
        assert_string_equal(rfd_donor_invalid_field(&d), "organisation");
        d = good_donor;
        d.reference = "DON 1";
        assert_string_equal(rfd_donor_invalid_field(&d), "reference");
        d = good_donor;
        d.contact = "a\nb";
        assert_string_equal(rfd_donor_invalid_field(&d), "contact");

        struct rfd_asset a = { .tag = "RB-1", .type = "laptop" };
        assert_null(rfd_asset_invalid_field(&a));
        a.type = "tablet";
        assert_string_equal(rfd_asset_invalid_field(&a), "type");
        a.type = "drive";
        a.grade = "E";
        assert_string_equal(rfd_asset_invalid_field(&a), "grade");
        a.grade = "D";
        a.destination = "skip";
        assert_string_equal(rfd_asset_invalid_field(&a), "destination");
        a.destination = "destruction";
        a.recipient_ref = "Famille Dupont";
        assert_string_equal(rfd_asset_invalid_field(&a), "recipient_ref");
        a.recipient_ref = "FAM-0042";
        assert_null(rfd_asset_invalid_field(&a));
}

static void test_donors_assets(void **state) {
        struct fixture *f = *state;
        _cleanup_rfd_store_ struct rfd_store *s = open_store(f);
        _cleanup_json_ json_t *donor = NULL, *asset = NULL, *list = NULL;
        struct rfd_donor bad = good_donor;

        assert_int_equal(rfd_store_donor_add(s, &good_donor, NULL), 0);
        assert_int_equal(rfd_store_donor_add(s, &good_donor, NULL), -EEXIST);
        bad.reference = "DON-2";
        bad.date = "2026-13-01";
        assert_int_equal(rfd_store_donor_add(s, &bad, NULL), -EINVAL);

        struct rfd_asset a = { .tag = "RB-1", .type = "laptop", .donor_reference = "DON-404" };
        assert_int_equal(rfd_store_asset_add(s, &a, NULL), -ENOENT);
        a.donor_reference = "DON-1";
        a.grade = "B";
        assert_int_equal(rfd_store_asset_add(s, &a, NULL), 0);
        assert_int_equal(rfd_store_asset_add(s, &a, NULL), -EEXIST);

        assert_int_equal(rfd_store_donor_get(s, "DON-1", &donor), 0);
        assert_string_equal(rf_json_str(donor, "organisation"), "Mairie de Villeurbanne");
        assert_string_equal(json_string_value(json_array_get(json_object_get(donor, "assets"), 0)), "RB-1");
        assert_int_equal(rfd_store_donor_get(s, "DON-404", &list), -ENOENT);

        assert_int_equal(rfd_store_asset_get(s, "RB-1", &asset), 0);
        assert_string_equal(rf_json_str(json_object_get(asset, "donor"), "reference"), "DON-1");
        assert_string_equal(rf_json_str(asset, "grade"), "B");
        assert_int_equal(json_array_size(json_object_get(asset, "drives")), 0);
        assert_int_equal(rfd_store_assets_json(s, &list), 0);
        assert_int_equal(json_array_size(list), 1);
}

static void test_links(void **state) {
        struct fixture *f = *state;
        _cleanup_rfd_store_ struct rfd_store *s = open_store(f);
        _cleanup_json_ json_t *brief = NULL, *auto_brief = NULL, *report = NULL, *none = NULL;
        int64_t id = 0;

        assert_int_equal(rfd_store_donor_add(s, &good_donor, NULL), 0);
        struct rfd_asset a = { .tag = "RB-1", .type = "desktop", .donor_reference = "DON-1" };
        assert_int_equal(rfd_store_asset_add(s, &a, NULL), 0);
        int64_t d1 = add_device(s, "SER-1"), d2 = add_device(s, "SER-2");

        assert_int_equal(rfd_store_asset_link_device(s, "RB-404", d1), -ENOENT);
        assert_int_equal(rfd_store_device_by_serial(s, "SER-1", &id), 0);
        assert_int_equal(id, d1);
        assert_int_equal(rfd_store_device_by_serial(s, "SER-404", &id), -ENOENT);
        assert_int_equal(rfd_store_asset_link_device(s, "RB-1", d1), 0);

        assert_int_equal(rfd_store_asset_for_device(s, d1, true, &brief), 0);
        assert_string_equal(rf_json_str(brief, "tag"), "RB-1");
        assert_string_equal(rf_json_str(brief, "type"), "desktop");
        assert_string_equal(rf_json_str(json_object_get(brief, "donor"), "reference"), "DON-1");

        /* Not linked: nothing without create_auto, an AUTO- asset with it. */
        assert_int_equal(rfd_store_asset_for_device(s, d2, false, &none), 0);
        assert_null(none);
        assert_int_equal(rfd_store_asset_for_device(s, d2, true, &auto_brief), 0);
        assert_string_equal(rf_json_str(auto_brief, "tag"), "AUTO-SER-2");
        assert_string_equal(rf_json_str(auto_brief, "type"), "drive");
        assert_true(json_is_null(json_object_get(auto_brief, "donor")));

        assert_int_equal(rfd_store_donation_report(s, "DON-1", &report), 0);
        const json_t *drives = json_object_get(report, "drives");
        assert_int_equal(json_array_size(drives), 1);
        assert_string_equal(rf_json_str(json_array_get(drives, 0), "serial"), "SER-1");
        assert_true(json_is_null(json_object_get(json_array_get(drives, 0), "result")));
        assert_string_equal(rf_json_str(json_object_get(report, "donor"), "date"), "2026-11-20");
}

static char *doc_text(json_t *doc /* stolen */) {
        _cleanup_json_ json_t *d = doc;
        char *text = NULL;
        assert_non_null(d);
        assert_int_equal(rf_json_canonical(d, &text, NULL), 0);
        return text;
}

static int insert_doc(struct rfd_store *s, const char *id, const char *text) {
        int64_t seq;
        char prev[65], sha[65];
        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        assert_int_equal(rf_sha256_hex(text, strlen(text), sha), 0);
        return rfd_store_cert_insert(s, id, 0, seq, text, sha, "SIG", "SIGNER");
}

static void test_documents_of_no_job(void **state) {
        struct fixture *f = *state;
        _cleanup_rfd_store_ struct rfd_store *s = open_store(f);
        _cleanup_free_ char *refurb = NULL, *val = NULL, *bad = NULL, *orphan = NULL, *prev_sha = NULL;
        _cleanup_json_ json_t *vals = NULL, *rows = NULL, *ledger = NULL;
        char sha[65];

        refurb = doc_text(json_pack("{s:s, s:s, s:i, s:n, s:{s:s}}", "format", "refurb-refurbishment-certificate/1",
                                    "id", "aaaa0000-0000-4000-8000-000000000001", "sequence", 1, "previous_sha256",
                                    "asset", "tag", "RB-1"));
        assert_int_equal(insert_doc(s, "aaaa0000-0000-4000-8000-000000000001", refurb), 0);
        assert_int_equal(rf_sha256_hex(refurb, strlen(refurb), sha), 0);

        /* An unknown format, or an erasure certificate without its job: refused. */
        bad = doc_text(json_pack("{s:s, s:s, s:i, s:s}", "format", "refurb-erasure-certificate/1", "id",
                                 "bbbb0000-0000-4000-8000-000000000002", "sequence", 2, "previous_sha256", sha));
        assert_int_equal(insert_doc(s, "bbbb0000-0000-4000-8000-000000000002", bad), -EINVAL);
        /* A validation of a certificate that does not exist: refused. */
        orphan = doc_text(json_pack("{s:s, s:s, s:i, s:s, s:s}", "format", "refurb-validation/1", "id",
                                    "cccc0000-0000-4000-8000-000000000003", "sequence", 2, "previous_sha256", sha,
                                    "certificate_id", "ffff0000-0000-4000-8000-00000000ffff"));
        assert_int_equal(insert_doc(s, "cccc0000-0000-4000-8000-000000000003", orphan), -EINVAL);

        val = doc_text(json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s, s:s}, s:s}", "format", "refurb-validation/1",
                                 "id", "dddd0000-0000-4000-8000-000000000004", "sequence", 2, "previous_sha256", sha,
                                 "certificate_id", "aaaa0000-0000-4000-8000-000000000001", "validated_by", "name",
                                 "Claire Martin", "title", "Responsable", "validated_at", "2026-11-22T10:00:00Z"));
        assert_int_equal(insert_doc(s, "dddd0000-0000-4000-8000-000000000004", val), 0);

        assert_int_equal(rfd_store_cert_validations_json(s, "aaaa0000-0000-4000-8000-000000000001", &vals), 0);
        assert_int_equal(json_array_size(vals), 1);
        assert_string_equal(rf_json_str(json_array_get(vals, 0), "name"), "Claire Martin");

        assert_int_equal(rfd_store_certs_export_json(s, &rows), 0);
        assert_int_equal(json_array_size(rows), 2);
        assert_string_equal(rf_json_str(json_array_get(rows, 0), "kind"), "refurbishment");
        assert_string_equal(rf_json_str(json_array_get(rows, 1), "kind"), "validation");
        assert_int_equal(rfd_store_ledger_json(s, 1, 0, &ledger), 0);
        assert_int_equal(json_array_size(ledger), 2);
}

/* A schema-1 database (the released step, verbatim in substance) with a
 * device, a job and its certificate. */
static const char v1_schema[] =
        "CREATE TABLE devices (id INTEGER PRIMARY KEY AUTOINCREMENT, identity_key TEXT NOT NULL UNIQUE,"
        "  vendor TEXT, model TEXT, serial TEXT, wwn TEXT, transport TEXT, identity_source TEXT,"
        "  size INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, json TEXT NOT NULL);"
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id INTEGER REFERENCES devices(id),"
        "  bay TEXT, devnode TEXT, state TEXT NOT NULL, method TEXT NOT NULL, verify_mode TEXT NOT NULL,"
        "  verify_percent INTEGER NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,"
        "  size INTEGER NOT NULL, bytes_written INTEGER NOT NULL DEFAULT 0,"
        "  bytes_verified INTEGER NOT NULL DEFAULT 0, result TEXT, reason TEXT, pattern_key TEXT,"
        "  pattern_iv TEXT, exceptions_json TEXT NOT NULL DEFAULT '[]',"
        "  certificate_id TEXT REFERENCES certificates(id));"
        "CREATE TABLE certificates (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE,"
        "  job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id), created_at INTEGER NOT NULL,"
        "  json TEXT NOT NULL, sha256 TEXT NOT NULL, signature TEXT NOT NULL,"
        "  signer_certificate TEXT NOT NULL, serial TEXT, model TEXT, result TEXT NOT NULL);"
        "CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates"
        "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
        "CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates"
        "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
        "INSERT INTO devices VALUES (1, 'standin:S1', 'ACME', 'M1', 'S1', NULL, 'sata', 'stand-in', 1, 1, 1, '{}');"
        "INSERT INTO jobs (id, device_id, state, method, verify_mode, verify_percent, created_at, size, result)"
        "  VALUES (1, 1, 'done', 'overwrite-aes256ctr', 'full', 100, 1, 1, 'erased');"
        "INSERT INTO certificates VALUES ('c1', 1, 1, 1, '{}', 'x', 'sig', 'signer', 'S1', 'M1', 'erased');"
        "UPDATE jobs SET certificate_id = 'c1' WHERE id = 1;"
        "PRAGMA user_version=1;";

static void test_migration_from_1(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *path = NULL;
        struct rfd_job_record j = {};
        sqlite3 *db = NULL;
        _cleanup_json_ json_t *rows = NULL;

        assert_true(asprintf(&path, "%s/refurbd.db", f->dir) > 0);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);

        _cleanup_rfd_store_ struct rfd_store *s = open_store(f);
        assert_int_equal(rfd_store_job_get(s, 1, &j), 0);
        assert_string_equal(j.certificate_id, "c1"); /* the link survives the rebuild */
        rfd_job_record_clear(&j);
        assert_int_equal(rfd_store_certs_export_json(s, &rows), 0);
        assert_int_equal(json_array_size(rows), 1);
        assert_string_equal(rf_json_str(json_array_get(rows, 0), "kind"), "erasure");
        assert_int_equal(rfd_store_asset_link_device(s, "RB-404", 1), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_validation),
                cmocka_unit_test_setup_teardown(test_donors_assets, setup, teardown),
                cmocka_unit_test_setup_teardown(test_links, setup, teardown),
                cmocka_unit_test_setup_teardown(test_documents_of_no_job, setup, teardown),
                cmocka_unit_test_setup_teardown(test_migration_from_1, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
