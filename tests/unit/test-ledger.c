/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-ledger.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "test-tmpdir.h"

#define N 5

struct chain {
        char dir[64];
        EVP_PKEY *key[2];
        X509 *cert[2];
        char *pem[2];
        char *both_pem;
        char id[N][37];
        char *text[N];
        char *sig[N];
        struct rf_ledger_entry e[N];
};

/* Certificates 1..5, chained; those before rotate_at are signed with the
 * first key, the others with the second (rotate_at > N: one key). */
static void build(struct chain *c, int rotate_at) {
        char prev[65] = "";
        for (int i = 0; i < N; i++) {
                int k = i + 1 >= rotate_at ? 1 : 0;
                assert_int_equal(rf_uuid4(c->id[i]), 0);
                json_t *doc = json_pack("{s:s, s:s, s:I, s:o, s:s, s:{s:s}}", "format", "refurb-erasure-certificate/1",
                                        "id", c->id[i], "sequence", (json_int_t) i + 1, "previous_sha256",
                                        *prev ? json_string(prev) : json_null(), "result", "erased", "media",
                                        "serial", "SN-ledger");
                assert_non_null(doc);
                size_t len;
                assert_int_equal(rf_json_canonical(doc, &c->text[i], &len), 0);
                json_decref(doc);
                assert_int_equal(rf_cms_sign(c->key[k], c->cert[k], c->text[i], len, &c->sig[i]), 0);
                assert_int_equal(rf_sha256_hex(c->text[i], len, prev), 0);
                c->e[i] = (struct rf_ledger_entry) {
                        .seq = i + 1, .id = c->id[i], .json_text = c->text[i], .json_len = len,
                        .signature_pem = c->sig[i],
                };
        }
}

static int setup(void **state) {
        struct chain *c = calloc(1, sizeof(*c));
        if (!c || test_mkdtemp(c->dir, sizeof(c->dir), "test-ledger") < 0)
                return -1;
        for (int k = 0; k < 2; k++) {
                char sub[96];
                snprintf(sub, sizeof(sub), "%s/key%d", c->dir, k);
                if (rf_identity_load_or_create(sub, k ? "banc-nouvelle-cle" : "banc", "Atelier", &c->key[k],
                                               &c->cert[k]) < 0 ||
                    rf_cert_to_pem(c->cert[k], &c->pem[k]) < 0)
                        return -1;
        }
        if (asprintf(&c->both_pem, "%s%s", c->pem[0], c->pem[1]) < 0)
                return -1;
        *state = c;
        return 0;
}

static void free_docs(struct chain *c) {
        for (int i = 0; i < N; i++) {
                free(c->text[i]);
                free(c->sig[i]);
                c->text[i] = c->sig[i] = NULL;
        }
}

static int teardown(void **state) {
        struct chain *c = *state;
        free_docs(c);
        for (int k = 0; k < 2; k++) {
                EVP_PKEY_free(c->key[k]);
                X509_free(c->cert[k]);
                free(c->pem[k]);
        }
        free(c->both_pem);
        test_rm_rf(c->dir);
        free(c);
        return 0;
}

static size_t count_kind(const struct rf_ledger_result *r, enum rf_ledger_kind kind, int64_t seq) {
        size_t n = 0;
        for (size_t i = 0; i < r->n_findings; i++)
                if (r->findings[i].kind == kind && r->findings[i].seq == seq)
                        n++;
        return n;
}

static void dump(const struct rf_ledger_result *r) {
        for (size_t i = 0; i < r->n_findings; i++)
                print_message("  finding %s seq %lld: %s\n", rf_ledger_kind_to_string(r->findings[i].kind),
                              (long long) r->findings[i].seq, r->findings[i].message_en);
}

static void test_intact(void **state) {
        struct chain *c = *state;
        struct rf_ledger_result r = {};
        build(c, N + 1);
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(r.n_findings, 0);
        assert_int_equal(r.count, N);
        assert_int_equal(r.first_seq, 1);
        assert_int_equal(r.last_seq, N);
        char sha[65];
        assert_int_equal(rf_sha256_hex(c->text[N - 1], strlen(c->text[N - 1]), sha), 0);
        assert_string_equal(r.last_sha256, sha);
        json_t *j = rf_ledger_result_to_json(&r);
        assert_non_null(j);
        assert_true(json_is_true(json_object_get(j, "intact")));
        json_decref(j);
        rf_ledger_result_clear(&r);

        /* Someone else's key: every entry is bad-signature, the chain holds. */
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[1], &r), 0);
        for (int s = 1; s <= N; s++)
                assert_int_equal(count_kind(&r, RF_LEDGER_BAD_SIGNATURE, s), 1);
        assert_int_equal(r.n_findings, N);
        assert_non_null(strstr(r.findings[0].message_en, "not the bench's"));
        rf_ledger_result_clear(&r);
        free_docs(c);
}

static void test_one_byte_changed(void **state) {
        struct chain *c = *state;
        struct rf_ledger_result r = {};
        build(c, N + 1);
        char *p = strstr(c->text[2], "SN-ledger");
        assert_non_null(p);
        p[3] = 'X'; /* entry 3 */
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(count_kind(&r, RF_LEDGER_BAD_SIGNATURE, 3), 1);
        assert_int_equal(count_kind(&r, RF_LEDGER_MODIFIED, 3), 1);
        assert_int_equal(r.n_findings, 2); /* nothing on 2 or 4 */
        assert_non_null(strstr(r.findings[1].message_fr, "n° 3 a été modifiée"));
        rf_ledger_result_clear(&r);
        free_docs(c);
}

static void test_previous_hash_changed(void **state) {
        struct chain *c = *state;
        struct rf_ledger_result r = {};
        build(c, N + 1);
        /* Entry 4's link to 3, edited: entry 4 is the one that changed. */
        char *p = strstr(c->text[3], "\"previous_sha256\":\"");
        assert_non_null(p);
        p += strlen("\"previous_sha256\":\"");
        *p = *p == '0' ? '1' : '0';
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(count_kind(&r, RF_LEDGER_BAD_SIGNATURE, 4), 1);
        assert_int_equal(count_kind(&r, RF_LEDGER_MODIFIED, 4), 1);
        assert_int_equal(r.n_findings, 2);
        rf_ledger_result_clear(&r);
        free_docs(c);
}

static void test_deleted(void **state) {
        struct chain *c = *state;
        struct rf_ledger_result r = {};
        build(c, N + 1);
        struct rf_ledger_entry e[N - 1] = { c->e[0], c->e[1], c->e[3], c->e[4] };
        assert_int_equal(rf_ledger_check(e, N - 1, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(r.n_findings, 1);
        assert_int_equal(r.findings[0].kind, RF_LEDGER_MISSING);
        assert_int_equal(r.findings[0].seq, 3);
        assert_int_equal(r.findings[0].other_seq, 4);
        assert_non_null(strstr(r.findings[0].message_en, "missing entry between 2 and 4"));
        assert_non_null(strstr(r.findings[0].message_fr, "entre le n° 2 et le n° 4"));
        rf_ledger_result_clear(&r);

        /* The last one removed: only a head statement made before shows it. */
        _cleanup_free_ char *head = NULL;
        char sha[65];
        assert_int_equal(rf_sha256_hex(c->text[N - 1], strlen(c->text[N - 1]), sha), 0);
        assert_int_equal(rf_ledger_head_text("banc", N, N, sha, "2026-11-22T02:10:00Z", &head), 0);
        json_t *h = NULL;
        assert_int_equal(rf_json_parse(head, strlen(head), &h, NULL, 0), 0);
        assert_int_equal(rf_ledger_check(c->e, N - 1, c->pem[0], &r), 0);
        assert_int_equal(r.n_findings, 0);
        assert_int_equal(rf_ledger_check_head(c->e, N - 1, h, &r), 0);
        dump(&r);
        assert_int_equal(count_kind(&r, RF_LEDGER_MISSING, N), 1);
        rf_ledger_result_clear(&r);
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[0], &r), 0);
        assert_int_equal(rf_ledger_check_head(c->e, N, h, &r), 0);
        assert_int_equal(r.n_findings, 0);
        rf_ledger_result_clear(&r);
        json_decref(h);
        free_docs(c);
}

static void test_swapped(void **state) {
        struct chain *c = *state;
        struct rf_ledger_result r = {};
        build(c, N + 1);
        /* Listed 1, 3, 2, 4, 5 (each keeps its own number). */
        struct rf_ledger_entry e[N] = { c->e[0], c->e[2], c->e[1], c->e[3], c->e[4] };
        assert_int_equal(rf_ledger_check(e, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(r.n_findings, 1);
        assert_int_equal(r.findings[0].kind, RF_LEDGER_REORDERED);
        assert_int_equal(r.findings[0].seq, 2);
        assert_int_equal(r.findings[0].other_seq, 3);
        assert_non_null(strstr(r.findings[0].message_en, "entries 3 and 2 are out of order"));
        rf_ledger_result_clear(&r);

        /* Filed under each other's numbers (renamed files). */
        e[1].seq = 2;
        e[2].seq = 3;
        assert_int_equal(rf_ledger_check(e, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(count_kind(&r, RF_LEDGER_REORDERED, 3), 1);
        assert_int_equal(count_kind(&r, RF_LEDGER_REORDERED, 2), 2);
        assert_int_equal(count_kind(&r, RF_LEDGER_MODIFIED, 2) + count_kind(&r, RF_LEDGER_MISSING, 2), 0);
        rf_ledger_result_clear(&r);

        /* The same entry twice. */
        struct rf_ledger_entry d[N] = { c->e[0], c->e[1], c->e[1], c->e[2], c->e[3] };
        assert_int_equal(rf_ledger_check(d, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(r.n_findings, 1);
        assert_int_equal(count_kind(&r, RF_LEDGER_REORDERED, 2), 1);
        rf_ledger_result_clear(&r);
        free_docs(c);
}

static void test_rotated_key(void **state) {
        struct chain *c = *state;
        struct rf_ledger_result r = {};
        build(c, 3); /* 1-2: old key, 3-5: new key */
        assert_int_equal(rf_ledger_check(c->e, N, c->both_pem, &r), 0);
        dump(&r);
        assert_int_equal(r.n_findings, 0);
        rf_ledger_result_clear(&r);
        /* Only the new key trusted: the old entries are named. */
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[1], &r), 0);
        assert_int_equal(r.n_findings, 2);
        assert_int_equal(count_kind(&r, RF_LEDGER_BAD_SIGNATURE, 1), 1);
        assert_int_equal(count_kind(&r, RF_LEDGER_BAD_SIGNATURE, 2), 1);
        rf_ledger_result_clear(&r);
        free_docs(c);
}

static void test_not_canonical(void **state) {
        struct chain *c = *state;
        struct rf_ledger_result r = {};
        build(c, N + 1);
        _cleanup_free_ char *spaced = NULL;
        assert_true(asprintf(&spaced, "%s ", c->text[1]) > 0);
        c->e[1].json_text = spaced;
        c->e[1].json_len = strlen(spaced);
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(count_kind(&r, RF_LEDGER_NOT_CANONICAL, 2), 1);
        assert_int_equal(count_kind(&r, RF_LEDGER_BAD_SIGNATURE, 2), 1);
        assert_int_equal(count_kind(&r, RF_LEDGER_MODIFIED, 2), 1);
        rf_ledger_result_clear(&r);

        c->e[1].json_text = "not json";
        c->e[1].json_len = 8;
        assert_int_equal(rf_ledger_check(c->e, N, c->pem[0], &r), 0);
        dump(&r);
        assert_int_equal(count_kind(&r, RF_LEDGER_NOT_CANONICAL, 2), 1);
        rf_ledger_result_clear(&r);
        assert_int_equal(rf_ledger_check(NULL, 1, c->pem[0], &r), -EINVAL);
        free_docs(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_intact),        cmocka_unit_test(test_one_byte_changed),
                cmocka_unit_test(test_previous_hash_changed), cmocka_unit_test(test_deleted),
                cmocka_unit_test(test_swapped),       cmocka_unit_test(test_rotated_key),
                cmocka_unit_test(test_not_canonical),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
