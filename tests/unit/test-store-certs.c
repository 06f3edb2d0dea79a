/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-cert.h"
#include "rfd-store.h"
#include "test-store-lib.h"

/* ---- certificate records ---- */

/* A minimal document of the shape the store checks, canonical. */
static char *mini_doc(const char *id, int64_t seq, const char *prev, int64_t job_id) {
        _cleanup_json_ json_t *d = json_pack("{s:s, s:I, s:s?, s:{s:I}, s:s, s:{s:s, s:s}}", "id", id, "sequence",
                                             (json_int_t) seq, "previous_sha256", prev, "job", "id",
                                             (json_int_t) job_id, "result", "erased", "media", "serial", "S1",
                                             "model", "Model X");
        char *text = NULL;
        assert_non_null(d);
        assert_int_equal(rf_json_canonical(d, &text, NULL), 0);
        return text;
}

static void insert_mini(struct rfd_store *s, const char *id, int64_t job_id, char ret_sha[static 65]) {
        char prev[65];
        int64_t seq = 0;
        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        _cleanup_free_ char *text = mini_doc(id, seq, *prev ? prev : NULL, job_id);
        assert_int_equal(rf_sha256_hex(text, strlen(text), ret_sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, job_id, seq, text, ret_sha, "SIG", "PEM"), 0);
}

static void test_cert_chain(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        _cleanup_(rfd_job_record_clear) struct rfd_job_record g = {};
        _cleanup_json_ json_t *list = NULL;
        char prev[65] = "x", sha1[65], sha2[65], sha[65];
        int64_t dev = add_device(s, "S1", "Model X", "udev"), seq = 0;
        int64_t j1 = add_job(s, dev, RFD_JOB_DONE), j2 = add_job(s, dev, RFD_JOB_DONE), j3 = add_job(s, dev, RFD_JOB_DONE);

        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        assert_int_equal(seq, 1);
        assert_string_equal(prev, "");
        insert_mini(s, "11111111-0000-4000-8000-000000000001", j1, sha1);
        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        assert_int_equal(seq, 2);
        assert_string_equal(prev, sha1);

        /* What the chain refuses. */
        const char *id = "22222222-0000-4000-8000-000000000002";
        _cleanup_free_ char *bad_prev = mini_doc(id, 2, "0000000000000000000000000000000000000000000000000000000000000000", j2);
        _cleanup_free_ char *bad_seq = mini_doc(id, 3, sha1, j2);
        _cleanup_free_ char *good = mini_doc(id, 2, sha1, j2);
        _cleanup_free_ char *spaced = NULL;
        assert_true(asprintf(&spaced, "%s ", good) > 0);
        assert_int_equal(rf_sha256_hex(bad_prev, strlen(bad_prev), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, bad_prev, sha, "SIG", "PEM"), -EINVAL);
        assert_int_equal(rf_sha256_hex(bad_seq, strlen(bad_seq), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 3, bad_seq, sha, "SIG", "PEM"), -ESTALE);
        assert_int_equal(rf_sha256_hex(spaced, strlen(spaced), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, spaced, sha, "SIG", "PEM"), -EINVAL); /* not canonical */
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, good, sha1, "SIG", "PEM"), -EINVAL); /* wrong hash */
        assert_int_equal(rf_sha256_hex(good, strlen(good), sha2), 0);
        assert_int_equal(rfd_store_cert_insert(s, id, j3, 2, good, sha2, "SIG", "PEM"), -EINVAL); /* other job */
        assert_int_equal(rfd_store_cert_insert(s, id, j2, 2, good, sha2, "SIG", "PEM"), 0);

        /* One certificate per job, and the job points to it. */
        assert_int_equal(rfd_store_cert_next_seq(s, &seq, prev), 0);
        assert_int_equal(seq, 3);
        assert_string_equal(prev, sha2);
        _cleanup_free_ char *again = mini_doc("33333333-0000-4000-8000-000000000003", 3, sha2, j1);
        assert_int_equal(rf_sha256_hex(again, strlen(again), sha), 0);
        assert_int_equal(rfd_store_cert_insert(s, "33333333-0000-4000-8000-000000000003", j1, 3, again, sha, "SIG",
                                               "PEM"), -EEXIST);
        assert_int_equal(rfd_store_job_get(s, j2, &g), 0);
        assert_string_equal(g.certificate_id, id);
        /* A later update of the job without the id does not lose it. */
        free(g.certificate_id);
        g.certificate_id = NULL;
        assert_int_equal(rfd_store_job_update(s, &g), 0);
        rfd_job_record_clear(&g);
        assert_int_equal(rfd_store_job_get(s, j2, &g), 0);
        assert_string_equal(g.certificate_id, id);

        assert_int_equal(rfd_store_certs_json(s, &list), 0);
        assert_int_equal(json_array_size(list), 2);
        const json_t *c = json_array_get(list, 0);
        assert_string_equal(rf_json_str(c, "id"), id);
        assert_int_equal(rf_json_int(c, "seq"), 2);
        assert_int_equal(rf_json_int(c, "job_id"), j2);
        assert_string_equal(rf_json_str(c, "sha256"), sha2);
        assert_string_equal(rf_json_str(c, "serial"), "S1");
        assert_string_equal(rf_json_str(c, "model"), "Model X");
        assert_string_equal(rf_json_str(c, "result"), "erased");
        assert_int_equal(strlen(rf_json_str(c, "created_at")), 20);

        /* Certificates and jobs are append-only, even for other writers. */
        sqlite3 *db = raw_open(f);
        sqlite3_busy_timeout(db, 5000);
        assert_int_not_equal(sqlite3_exec(db, "UPDATE certificates SET result = 'erased'", NULL, NULL, NULL), SQLITE_OK);
        assert_int_not_equal(sqlite3_exec(db, "DELETE FROM certificates", NULL, NULL, NULL), SQLITE_OK);
        assert_int_not_equal(sqlite3_exec(db, "DELETE FROM jobs", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
}

static void test_cert_lookup(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        int64_t dev = add_device(s, "S1", "Model X", "udev");
        const char *ids[] = { "abcd1234-0000-4000-8000-000000000001", "abcd5678-0000-4000-8000-000000000002",
                              "ef012345-0000-4000-8000-000000000003" };
        char sha[65];
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                insert_mini(s, ids[i], add_job(s, dev, RFD_JOB_DONE), sha);

        _cleanup_free_ char *id = NULL, *json = NULL, *sig = NULL, *pem = NULL;
        assert_int_equal(rfd_store_cert_get(s, ids[1], &id, &json, &sig, &pem), 0);
        assert_string_equal(id, ids[1]);
        assert_string_equal(sig, "SIG");
        assert_string_equal(pem, "PEM");
        assert_non_null(strstr(json, "\"sequence\":2"));
        free(id);
        id = NULL;
        assert_int_equal(rfd_store_cert_get(s, "ef01", &id, NULL, NULL, NULL), 0);
        assert_string_equal(id, ids[2]);
        free(id);
        id = NULL;
        assert_int_equal(rfd_store_cert_get(s, "ABCD12", &id, NULL, NULL, NULL), 0); /* case-insensitive */
        assert_string_equal(id, ids[0]);
        assert_int_equal(rfd_store_cert_get(s, "abcd", NULL, NULL, NULL, NULL), -ENOTUNIQ);
        assert_int_equal(rfd_store_cert_get(s, "abc", NULL, NULL, NULL, NULL), -ENOENT);  /* too short */
        assert_int_equal(rfd_store_cert_get(s, "0000", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "", NULL, NULL, NULL, NULL), -ENOENT);
        /* No wildcard in the input matches more than it says. */
        assert_int_equal(rfd_store_cert_get(s, "abc%", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "ab_d1", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "%%%%", NULL, NULL, NULL, NULL), -ENOENT);
        assert_int_equal(rfd_store_cert_get(s, "abcd*", NULL, NULL, NULL, NULL), -ENOENT);
}

/* ---- the result and the certificate ---- */

struct cert_case {
        struct rfd_config config;
        struct wipe_device device;
        struct rfd_job_record job;
        struct wipe_overwrite_result run;
        struct wipe_exception exc[4];
        char *sigs[4];
        struct rfd_cert_input in;
};

/* A complete, successful 8 MiB erasure with full verification. */
static void case_init(struct cert_case *c) {
        *c = (struct cert_case) {
                .config = { .bench_name = (char *) "atelier-1", .organisation = (char *) "Association Réemploi",
                            .location = (char *) "Lyon", .technician = (char *) "Camille" },
                .device = { .sysname = (char *) "loop3", .devnode = (char *) "/dev/loop3", .size = 8 * MiB,
                            .logical_sector_size = 512, .physical_sector_size = 4096, .vendor = (char *) "ACME",
                            .model = (char *) "Model X", .serial = (char *) "S1",
                            .transport = WIPE_TRANSPORT_LOOP, .identity_source = WIPE_IDENTITY_STANDIN },
                .job = { .id = 1, .bay = (char *) "baie-1", .devnode = (char *) "/dev/loop3", .state = RFD_JOB_DONE,
                         .method = (char *) "overwrite-aes256ctr", .verify_mode = (char *) "full",
                         .verify_percent = 100, .created_at = 1700000000, .started_at = 1700000001,
                         .ended_at = 1700000060, .size = 8 * MiB,
                         .pattern_key = (char *) "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                         .pattern_iv = (char *) "0f0e0d0c0b0a09080706050403020100" },
                .run = { .stop = WIPE_STOP_NONE, .size = 8 * MiB, .bytes_written = 8 * MiB,
                         .bytes_verified = 8 * MiB, .verify_percent_effective = 100, .flushed = true },
        };
        c->in = (struct rfd_cert_input) { .config = &c->config, .device = &c->device,
                                          .content_before = "GPT : NTFS « Windows » 8 Mo", .job = &c->job,
                                          .run = &c->run, .signatures_after = c->sigs };
}

static void add_exc(struct cert_case *c, enum wipe_exception_kind kind, uint64_t offset, int error) {
        c->exc[c->run.n_exceptions] = (struct wipe_exception) { kind, offset, 4096, error };
        c->run.exceptions = c->exc;
        c->run.n_exceptions++;
}

/* Decide; check both forms agree and return the detailed reason. */
static char *decide(const struct cert_case *c, int expect, const char *expect_summary) {
        const char *summary = "unset";
        char *detail = (char *) "unset";
        assert_int_equal(rfd_cert_result(&c->in, &summary), expect);
        assert_int_equal(rfd_cert_result_detail(&c->in, &detail), expect);
        if (expect == 1) {
                assert_null(summary);
                assert_null(detail);
        } else {
                assert_string_equal(summary, expect_summary);
                assert_non_null(detail);
        }
        return detail;
}

static void expect_reason(const struct cert_case *c, const char *summary, const char *detail) {
        _cleanup_free_ char *d = decide(c, 0, summary);
        assert_string_equal(d, detail);
}

static void test_cert_result(void **state) {
        (void) state;
        struct cert_case c;

        case_init(&c);
        assert_null(decide(&c, 1, NULL));

        case_init(&c);
        add_exc(&c, WIPE_EXC_WRITE_ERROR, 0, EIO);
        expect_reason(&c, "erreurs d'écriture", "erreur d'écriture sur 1 zone");
        add_exc(&c, WIPE_EXC_WRITE_ERROR, 65536, EIO);
        expect_reason(&c, "erreurs d'écriture", "erreurs d'écriture sur 2 zones");

        case_init(&c);
        add_exc(&c, WIPE_EXC_MISMATCH, 4096, 0);
        expect_reason(&c, "la vérification a trouvé des données différentes du motif",
                      "la vérification a trouvé des données différentes du motif (1 zone)");

        case_init(&c);
        c.run.flushed = false;
        expect_reason(&c, "le vidage du cache du disque a échoué", "le vidage du cache du disque a échoué");
        add_exc(&c, WIPE_EXC_FLUSH_ERROR, 0, EIO); /* said once */
        expect_reason(&c, "le vidage du cache du disque a échoué", "le vidage du cache du disque a échoué");

        /* Sampled verification: what the sample covers is enough. */
        case_init(&c);
        c.job.verify_mode = (char *) "sample";
        c.job.verify_percent = 10;
        c.run.verify_percent_effective = 10;
        c.run.bytes_verified = 820 * KiB; /* 10.0 % of 8 MiB */
        assert_null(decide(&c, 1, NULL));
        c.run.bytes_verified = 512 * KiB; /* 6 %: the sample was cut short */
        _cleanup_free_ char *d1 = decide(&c, 0, "vérification par échantillon incomplète");
        assert_non_null(strstr(d1, "524288 octets relus sur 8388608"));
        c.run.bytes_verified = 0;
        expect_reason(&c, "aucune donnée relue à la vérification", "aucune donnée relue à la vérification");

        case_init(&c);
        c.run.bytes_verified = 8 * MiB - 4096;
        expect_reason(&c, "vérification incomplète", "vérification incomplète : 8384512 octets relus sur 8388608");
        c.job.verify_mode = (char *) "none";
        c.run.bytes_verified = 8 * MiB;
        expect_reason(&c, "mode de vérification inconnu", "mode de vérification inconnu : none");

        case_init(&c);
        c.sigs[0] = (char *) "ext4@1024";
        expect_reason(&c, "une signature subsiste après effacement", "une signature subsiste après effacement : ext4@1024");
        c.sigs[1] = (char *) "gpt@512";
        expect_reason(&c, "une signature subsiste après effacement",
                      "des signatures subsistent après effacement : ext4@1024, gpt@512");
        c.in.signatures_after = NULL;
        expect_reason(&c, "la recherche de signatures après effacement n'a pas été faite",
                      "la recherche de signatures après effacement n'a pas été faite");

        case_init(&c);
        c.run.stop = WIPE_STOP_CANCELLED;
        c.run.bytes_written = 4096;
        expect_reason(&c, "travail annulé", "travail annulé");
        c.run.stop = WIPE_STOP_REMOVED;
        expect_reason(&c, "disque retiré pendant le travail", "disque retiré pendant le travail");

        /* Several things went wrong: all of them are said. */
        case_init(&c);
        c.run.stop = WIPE_STOP_TOO_MANY_ERRORS;
        c.run.bytes_written = 4 * MiB;
        c.run.bytes_verified = 0;
        add_exc(&c, WIPE_EXC_WRITE_ERROR, 0, EIO);
        add_exc(&c, WIPE_EXC_READ_ERROR, 8192, EIO);
        expect_reason(&c, "trop d'erreurs : travail arrêté avant la fin",
                      "trop d'erreurs : travail arrêté avant la fin ; erreur d'écriture sur 1 zone ; erreur de "
                      "lecture pendant la vérification sur 1 zone ; écriture incomplète : 4194304 octets écrits sur "
                      "8388608 ; aucune donnée relue à la vérification");

        /* The drive is not the size that was erased. */
        case_init(&c);
        c.device.size = 16 * MiB;
        expect_reason(&c, "la taille effacée ne correspond pas à celle du disque",
                      "la taille effacée (8388608 octets) ne correspond pas à celle du disque (16777216)");

        /* A failure the run does not show. */
        case_init(&c);
        c.job.state = RFD_JOB_FAILED;
        c.job.reason = (char *) "le contrôle après effacement a échoué : Input/output error";
        expect_reason(&c, "le travail a échoué",
                      "le travail a échoué : le contrôle après effacement a échoué : Input/output error");

        assert_int_equal(rfd_cert_result(NULL, NULL), -EINVAL);
}

/* The certificate must hold integers, strings, booleans and null only. */
static void assert_no_reals(const json_t *v) {
        const char *k;
        json_t *m;
        size_t i;
        assert_false(json_is_real(v));
        if (json_is_object(v))
                json_object_foreach((json_t *) v, k, m) assert_no_reals(m);
        else if (json_is_array(v))
                json_array_foreach(v, i, m) assert_no_reals(m);
}

static void test_cert_issue(void **state) {
        struct test_dir_fixture *f = *state;
        _cleanup_(rfd_store_closep) struct rfd_store *s = open_store(f, 0);
        _cleanup_free_ char *iddir = NULL, *cert_pem = NULL, *id1 = NULL, *id2 = NULL, *json = NULL, *sig = NULL,
                           *signer = NULL, *canon = NULL, *json2 = NULL, *getid = NULL;
        _cleanup_json_ json_t *doc = NULL, *doc2 = NULL;
        _cleanup_(rfd_job_record_clear) struct rfd_job_record g = {};
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;
        char fp[65], err[256] = "", sha1[65];
        struct cert_case c;

        assert_true(asprintf(&iddir, "%s/identity", f->dir) > 0);
        assert_int_equal(rf_identity_load_or_create(iddir, "atelier-1", "Association Réemploi", &key, &cert), 0);
        assert_int_equal(rf_cert_to_pem(cert, &cert_pem), 0);
        assert_int_equal(rf_cert_fingerprint(cert, fp), 0);

        case_init(&c);
        c.job.id = add_job(s, add_device(s, "S1", "Model X", "stand-in"), RFD_JOB_DONE);
        c.in.bench_cert_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id1), -EINVAL); /* not our signer */
        c.in.bench_cert_sha256 = fp;
        c.job.state = RFD_JOB_VERIFYING;
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id1), -EINVAL); /* not finished */
        c.job.state = RFD_JOB_DONE;
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id1), 0);
        assert_int_equal(strlen(id1), 36);

        /* The stored text verifies against the bench certificate... */
        assert_int_equal(rfd_store_cert_get(s, id1, &getid, &json, &sig, &signer), 0);
        assert_string_equal(getid, id1);
        assert_string_equal(signer, cert_pem);
        assert_int_equal(rf_cms_verify(json, strlen(json), sig, cert_pem, NULL, err, sizeof(err)), 0);
        /* ...and nothing else does. */
        char *tampered = strdup(json);
        assert_non_null(tampered);
        char *p = strstr(tampered, "\"erased\"");
        assert_non_null(p);
        p[1] = 'E';
        assert_int_equal(rf_cms_verify(tampered, strlen(tampered), sig, cert_pem, NULL, err, sizeof(err)), -EBADMSG);

        /* Stock openssl agrees (docs/certificate.md). */
        if (system("openssl version >/dev/null 2>&1") == 0) {
                _cleanup_free_ char *jp = NULL, *sp = NULL, *cmd = NULL;
                assert_true(asprintf(&jp, "%s/%s.json", f->dir, id1) > 0);
                assert_true(asprintf(&sp, "%s/%s.json.p7s", f->dir, id1) > 0);
                assert_int_equal(rf_write_file_atomic(jp, json, strlen(json), 0644), 0);
                assert_int_equal(rf_write_file_atomic(sp, sig, strlen(sig), 0644), 0);
                assert_true(asprintf(&cmd,
                                     "openssl cms -verify -binary -content '%s' -in '%s' -inform PEM -CAfile "
                                     "'%s/bench.crt' -out /dev/null 2>/dev/null",
                                     jp, sp, iddir) > 0);
                assert_int_equal(system(cmd), 0);
                assert_int_equal(rf_write_file_atomic(jp, tampered, strlen(tampered), 0644), 0);
                assert_int_not_equal(system(cmd), 0);
        } else
                print_message("openssl not found: command-line verification not checked\n");

        /* It is canonical: parsing and canonicalising gives the same bytes. */
        size_t len = 0;
        assert_int_equal(rf_json_parse(json, strlen(json), &doc, err, sizeof(err)), 0);
        assert_int_equal(rf_json_canonical(doc, &canon, &len), 0);
        assert_int_equal(len, strlen(json));
        assert_memory_equal(canon, json, len);
        assert_no_reals(doc);

        assert_string_equal(rf_json_str(doc, "format"), "refurb-erasure-certificate/1");
        assert_string_equal(rf_json_str(doc, "id"), id1);
        assert_int_equal(rf_json_int(doc, "sequence"), 1);
        assert_true(json_is_null(json_object_get(doc, "previous_sha256")));
        assert_string_equal(rf_json_str(doc, "result"), "erased");
        assert_true(json_is_null(json_object_get(doc, "result_reason")));
        const json_t *bench = json_object_get(doc, "bench"), *media = json_object_get(doc, "media");
        const json_t *san = json_object_get(doc, "sanitization"), *ver = json_object_get(doc, "verification");
        const json_t *job = json_object_get(doc, "job");
        assert_string_equal(rf_json_str(bench, "name"), "atelier-1");
        assert_string_equal(rf_json_str(bench, "organisation"), "Association Réemploi");
        assert_string_equal(rf_json_str(bench, "signer_sha256"), fp);
        assert_string_equal(rf_json_str(json_object_get(doc, "operator"), "technician"), "Camille");
        assert_string_equal(rf_json_str(json_object_get(doc, "tool"), "version"), REFURB_VERSION);
        assert_string_equal(rf_json_str(media, "serial"), "S1");
        assert_string_equal(rf_json_str(media, "identity_source"), "stand-in");
        assert_string_equal(rf_json_str(media, "transport"), "loop");
        assert_int_equal(rf_json_int(media, "size_bytes"), 8 * MiB);
        assert_int_equal(rf_json_int(media, "physical_sector_size"), 4096);
        assert_true(json_is_false(json_object_get(media, "rotational")));
        assert_true(json_is_null(json_object_get(media, "wwn")));
        assert_string_equal(rf_json_str(media, "content_before"), "GPT : NTFS « Windows » 8 Mo");
        assert_string_equal(rf_json_str(san, "category"), "Clear");
        assert_int_equal(rf_json_int(san, "passes"), 1);
        assert_string_equal(rf_json_str(json_object_get(san, "pattern"), "key"), c.job.pattern_key);
        assert_string_equal(rf_json_str(ver, "mode"), "full");
        assert_int_equal(rf_json_int(ver, "percent"), 100);
        assert_int_equal(rf_json_int(ver, "bytes_verified"), 8 * MiB);
        assert_int_equal(json_array_size(json_object_get(ver, "signatures_found_after")), 0);
        assert_int_equal(rf_json_int(job, "id"), c.job.id);
        assert_string_equal(rf_json_str(job, "started_at"), "2023-11-14T22:13:21Z");
        assert_string_equal(rf_json_str(job, "state"), "done");
        assert_int_equal(json_array_size(json_object_get(doc, "exceptions")), 0);
        assert_int_equal(rfd_store_job_get(s, c.job.id, &g), 0);
        assert_string_equal(g.certificate_id, id1);

        /* A second one, not erased, chained to the first. */
        assert_int_equal(rf_sha256_hex(json, strlen(json), sha1), 0);
        case_init(&c);
        c.job.id = add_job(s, add_device(s, "S2", "Model X", "udev"), RFD_JOB_FAILED);
        c.job.state = RFD_JOB_FAILED;
        add_exc(&c, WIPE_EXC_READ_ERROR, 1048576, EIO);
        assert_int_equal(rfd_cert_issue(s, key, cert, &c.in, &id2), 0);
        assert_int_equal(rfd_store_cert_get(s, id2, NULL, &json2, NULL, NULL), 0);
        assert_int_equal(rf_json_parse(json2, strlen(json2), &doc2, err, sizeof(err)), 0);
        assert_int_equal(rf_json_int(doc2, "sequence"), 2);
        assert_string_equal(rf_json_str(doc2, "previous_sha256"), sha1);
        assert_string_equal(rf_json_str(doc2, "result"), "not-erased");
        assert_string_equal(rf_json_str(doc2, "result_reason"), "erreur de lecture pendant la vérification sur 1 zone");
        assert_string_equal(rf_json_str(json_object_get(doc2, "sanitization"), "category"), "Clear");
        const json_t *e = json_array_get(json_object_get(doc2, "exceptions"), 0);
        assert_string_equal(rf_json_str(e, "kind"), "read-error");
        assert_int_equal(rf_json_int(e, "offset"), 1048576);
        assert_int_equal(rf_json_int(e, "length"), 4096);
        assert_string_equal(rf_json_str(e, "error"), "Input/output error");

        free(tampered);
        EVP_PKEY_free(key);
        X509_free(cert);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_cert_chain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cert_lookup, setup, teardown),
                cmocka_unit_test(test_cert_result),
                cmocka_unit_test_setup_teardown(test_cert_issue, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
