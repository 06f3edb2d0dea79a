/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw-test.h"
#include "rf-macro.h"
#include "wipe-caps.h"
#include "wipe-fake-transport.h"
#include "wipe-fw-validate.h"
#include "wipe-method.h"

struct rig {
        struct wipe_fake *f;
        struct wipe_caps caps;
        struct wipe_policy pol;
        struct wipe_plan plan;
        struct test_ctx ctx;
        struct wipe_fw_opts o;
};

static void rig_ata(struct rig *r, const struct wipe_fake_ata_profile *p) {
        *r = (struct rig) {};
        assert_int_equal(wipe_fake_new_ata(p, &r->f), 0);
        wipe_fake_fill_donor_data(r->f);
        wipe_policy_init(&r->pol);
        r->o = test_opts(r->f, &r->ctx);
        assert_int_equal(wipe_caps_probe(&r->f->transport, &r->caps), 0);
}

static void rig_plan(struct rig *r) {
        assert_int_equal(wipe_method_plan(&r->caps, &r->pol, &r->plan), 0);
        /* Invariants: planned steps first, overwrite always planned and
         * last of them, every skipped step says why. */
        size_t planned = 0;
        for (size_t i = 0; i < r->plan.n_steps; i++) {
                const struct wipe_plan_step *s = &r->plan.steps[i];
                if (s->state == WIPE_STEP_PLANNED) {
                        assert_int_equal(planned, i);
                        planned++;
                } else
                        assert_true(s->reason[0] != 0);
        }
        assert_true(planned == 1 || planned == 2);
        assert_int_equal(r->plan.steps[planned - 1].method, WIPE_METHOD_OVERWRITE);
        assert_int_equal(r->plan.steps[planned - 1].category, WIPE_CATEGORY_CLEAR);
}

static void rig_done(struct rig *r) {
        wipe_fake_free(r->f);
}

static const char *step_reason(const struct wipe_plan *p, enum wipe_method m) {
        for (size_t i = 0; i < p->n_steps; i++)
                if (p->steps[i].method == m)
                        return p->steps[i].reason;
        fail_msg("no step %s in the plan", wipe_method_to_string(m));
        return "";
}

static void test_policy_defaults(void **state) {
        struct wipe_policy p;
        wipe_policy_init(&p);
        assert_int_equal(p.ata_hdd, WIPE_HDD_OVERWRITE);
        assert_true(p.allow_crypto_erase && p.allow_ata_security_erase && p.allow_nvme_format);
        assert_int_equal(p.nvme_format_category, WIPE_CATEGORY_PURGE);
        assert_int_equal(p.ata_normal_erase_category, WIPE_CATEGORY_CLEAR);
        assert_true(p.hidden.remove_hpa);
        assert_false(p.hidden.hpa_volatile || p.hidden.dco_restore);
        assert_string_equal(wipe_method_to_string(WIPE_METHOD_NVME_FORMAT_CRYPTO), "nvme-format-ses2");
        assert_string_equal(wipe_method_to_string(_WIPE_METHOD_MAX), "unknown");
        assert_string_equal(wipe_category_to_string(WIPE_CATEGORY_PURGE), "purge");
}

static void test_plan_ata_ssd(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(true);

        rig_ata(&r, &p);
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_ATA_SANITIZE_CRYPTO);
        assert_int_equal(r.plan.steps[0].category, WIPE_CATEGORY_PURGE);
        assert_non_null(strstr(step_reason(&r.plan, WIPE_METHOD_ATA_SANITIZE_BLOCK), "not needed"));
        rig_done(&r);

        /* No crypto scramble: block erase. */
        p.sanitize_crypto = false;
        rig_ata(&r, &p);
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_ATA_SANITIZE_BLOCK);
        assert_non_null(strstr(step_reason(&r.plan, WIPE_METHOD_ATA_SANITIZE_CRYPTO), "crypto scramble"));
        rig_done(&r);

        /* No sanitize: enhanced security erase (Purge); without enhanced:
         * the normal one, Clear by default. */
        p.sanitize = false;
        rig_ata(&r, &p);
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED);
        assert_int_equal(r.plan.steps[0].category, WIPE_CATEGORY_PURGE);
        rig_done(&r);
        p.enhanced = false;
        rig_ata(&r, &p);
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_ATA_SECURITY_ERASE);
        assert_int_equal(r.plan.steps[0].category, WIPE_CATEGORY_CLEAR);
        rig_done(&r);

        /* Frozen: overwrite, and the reason tells the technician what to do. */
        p.security_frozen = true;
        rig_ata(&r, &p);
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_OVERWRITE);
        assert_non_null(strstr(step_reason(&r.plan, WIPE_METHOD_ATA_SECURITY_ERASE),
                               "replug the drive in a hot-swap bay or suspend/resume the bench"));
        struct wipe_method_result res;
        assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), 0);
        assert_int_equal(res.method, WIPE_METHOD_OVERWRITE);
        assert_false(res.attempted);
        assert_non_null(strstr(res.fallback_reason, "sanitize feature set not supported"));
        json_t *j = wipe_plan_to_json(&r.plan);
        assert_non_null(j);
        assert_true(json_array_size(j) == r.plan.n_steps);
        assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "method")), "overwrite");
        assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "state")), "planned");
        json_decref(j);
        rig_done(&r);
}

static void test_plan_ata_hdd(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(false);

        rig_ata(&r, &p);
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_OVERWRITE);
        assert_non_null(strstr(r.plan.steps[1].reason, "policy"));

        r.pol.ata_hdd = WIPE_HDD_SECURITY_ERASE_ENHANCED;
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED);
        assert_int_equal(r.plan.steps[0].category, WIPE_CATEGORY_PURGE);

        r.pol.allow_ata_security_erase = false;
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_OVERWRITE);
        assert_non_null(strstr(r.plan.steps[1].reason, "disabled by policy"));
        rig_done(&r);

        /* Locked by the previous owner. */
        p.security_enabled = p.security_locked = true;
        snprintf(p.password, sizeof(p.password), "donor");
        rig_ata(&r, &p);
        r.pol.ata_hdd = WIPE_HDD_SECURITY_ERASE_ENHANCED;
        rig_plan(&r);
        assert_int_equal(r.plan.steps[0].method, WIPE_METHOD_OVERWRITE);
        assert_non_null(strstr(r.plan.steps[1].reason, "master password"));
        rig_done(&r);
}

/* The category reported is the one of what ran. */
static void test_run_categories(void **state) {
        static const struct {
                bool ssd, sanitize, enhanced;
                enum wipe_method method;
                enum wipe_category category;
                enum wipe_fw_expect expect;
        } cases[] = {
                { true, true, true, WIPE_METHOD_ATA_SANITIZE_CRYPTO, WIPE_CATEGORY_PURGE, WIPE_EXPECT_CHANGED },
                { true, false, true, WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED, WIPE_CATEGORY_PURGE,
                  WIPE_EXPECT_CHANGED },
                { true, false, false, WIPE_METHOD_ATA_SECURITY_ERASE, WIPE_CATEGORY_CLEAR, WIPE_EXPECT_ZEROS },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct rig r;
                struct wipe_fake_ata_profile p = ata_profile(cases[i].ssd);
                p.sanitize = cases[i].sanitize;
                p.enhanced = cases[i].enhanced;
                rig_ata(&r, &p);
                rig_plan(&r);
                struct wipe_method_result res;
                assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), 0);
                assert_int_equal(res.method, cases[i].method);
                assert_int_equal(res.category, cases[i].category);
                assert_int_equal(res.expect, cases[i].expect);
                assert_true(res.attempted);
                assert_int_equal(res.fallback_reason[0], 0);
                assert_false(r.f->ata.security_enabled);
                json_t *j = wipe_method_result_to_json(&res);
                assert_non_null(j);
                assert_string_equal(json_string_value(json_object_get(j, "method")),
                                    wipe_method_to_string(cases[i].method));
                json_decref(j);
                rig_done(&r);
        }

        /* A failed Purge is a Clear by overwrite, and says why; the
         * password is gone. */
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(true);
        p.sanitize = false;
        rig_ata(&r, &p);
        rig_plan(&r);
        wipe_fake_add_fault(r.f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                             .command = 0xf4,
                                                             .feature = -1,
                                                             .action = WIPE_FAKE_ABORT });
        struct wipe_method_result res;
        assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), 0);
        assert_int_equal(res.method, WIPE_METHOD_OVERWRITE);
        assert_int_equal(res.category, WIPE_CATEGORY_CLEAR);
        assert_non_null(strstr(res.fallback_reason, "ata-security-erase-enhanced failed"));
        assert_non_null(strstr(res.fallback_reason, "aborted by the drive"));
        assert_false(r.f->ata.security_enabled);
        assert_int_equal(r.ctx.cleared, 1);

        /* Password stuck on the drive: the job stops. */
        r.f->n_faults = 0;
        wipe_fake_add_fault(r.f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                             .command = 0xf4,
                                                             .feature = -1,
                                                             .action = WIPE_FAKE_TIMEOUT });
        wipe_fake_add_fault(r.f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                             .command = 0xf2,
                                                             .feature = -1,
                                                             .action = WIPE_FAKE_TIMEOUT });
        assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), -EACCES);
        assert_true(res.firmware.password_left_set);
        assert_true(r.f->ata.security_locked);
        rig_done(&r);
}

/* ---- Read-back validation ---- */

static void test_sample_selection(void **state) {
        uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE] = { 9 };
        _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s = NULL;
        uint64_t size = 64 * MiB + 3 * 512; /* partial last unit */

        assert_int_equal(wipe_fw_sample_new(size, 0, key, &s), 0);
        /* First MiB, the last MiB (over the last two units). */
        assert_true(wipe_fw_sample_selected(s, 0));
        assert_true(wipe_fw_sample_selected(s, 63));
        assert_true(wipe_fw_sample_selected(s, 64));
        assert_false(wipe_fw_sample_selected(s, 1));
        assert_int_equal(wipe_fw_sample_n_blocks(s), 16 + 16 + 1);
        wipe_fw_sample_free(TAKE_PTR(s));

        assert_int_equal(wipe_fw_sample_new(size, 100, key, &s), 0);
        assert_int_equal(wipe_fw_sample_n_blocks(s), 64 * 16 + 1);
        wipe_fw_sample_free(TAKE_PTR(s));

        /* About percent% of the units; another key, other units. */
        assert_int_equal(wipe_fw_sample_new(1000 * MiB, 20, key, &s), 0);
        size_t n = wipe_fw_sample_n_blocks(s) / 16;
        assert_true(n > 130 && n < 280);
        _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s2 = NULL;
        key[0] = 10;
        assert_int_equal(wipe_fw_sample_new(1000 * MiB, 20, key, &s2), 0);
        unsigned differ = 0;
        for (uint64_t u = 1; u < 999; u++)
                differ += wipe_fw_sample_selected(s, u) != wipe_fw_sample_selected(s2, u);
        assert_true(differ > 100);

        assert_int_equal(wipe_fw_sample_new(1000, 10, key, &s2), -EINVAL);
        assert_int_equal(wipe_fw_sample_new(MiB, 101, key, &s2), -EINVAL);
}

static void test_validation_lying_ata(void **state) {
        for (int lying = 0; lying <= 1; lying++) {
                struct rig r;
                struct wipe_fake_ata_profile p = ata_profile(true);
                rig_ata(&r, &p);
                r.f->lying = lying;
                rig_plan(&r);
                uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE] = { 7 };
                _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s = NULL;
                struct wipe_fw_io io = { .read = wipe_fake_read, .userdata = r.f };
                struct wipe_method_result res;
                struct wipe_fw_check chk;

                assert_int_equal(wipe_fw_sample_new(wipe_fake_visible_bytes(r.f), 25, key, &s), 0);
                assert_int_equal(wipe_fw_sample_before(s, &io), 0);
                assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), 0);
                assert_int_equal(res.method, WIPE_METHOD_ATA_SANITIZE_CRYPTO);
                assert_int_equal(wipe_fw_sample_after(s, &io, res.expect, &chk), 0);
                assert_int_equal(chk.passed, !lying);
                assert_true(chk.conclusive);
                assert_int_equal(chk.read_errors, 0);
                assert_int_equal(chk.bytes_read, wipe_fw_sample_n_blocks(s) * WIPE_FW_SAMPLE_BLOCK);
                json_t *j = wipe_fw_check_to_json(&chk);
                assert_non_null(j);
                assert_int_equal(json_is_true(json_object_get(j, "passed")), !lying);
                json_decref(j);
                rig_done(&r);
        }
}

/* A blank (all zeros) donor drive: the hashes prove nothing, canaries do. */
static void test_validation_blank_drive(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(true);
        p.sanitize_crypto = false; /* block erase: reads back zeros */
        rig_ata(&r, &p);
        memset(r.f->media, 0, r.f->media_size);
        rig_plan(&r);
        uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE] = { 5 };
        struct wipe_fw_check chk;
        struct wipe_method_result res;

        /* Read-only access: a lying drive cannot be told apart. */
        r.f->lying = true;
        _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s = NULL;
        struct wipe_fw_io ro = { .read = wipe_fake_read, .userdata = r.f };
        assert_int_equal(wipe_fw_sample_new(wipe_fake_visible_bytes(r.f), 10, key, &s), 0);
        assert_int_equal(wipe_fw_sample_before(s, &ro), 0);
        assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), 0);
        assert_int_equal(wipe_fw_sample_after(s, &ro, res.expect, &chk), 0);
        assert_false(chk.conclusive);
        assert_false(chk.passed);
        assert_non_null(strstr(chk.detail, "inconclusive"));

        /* With canaries: the liar keeps them and fails. */
        struct wipe_fw_io rw = { .read = wipe_fake_read, .write = wipe_fake_write, .userdata = r.f };
        assert_int_equal(wipe_fw_sample_before(s, &rw), 0);
        assert_false(wipe_fake_has_donor_data(r.f, 0, 16)); /* sanity: canary, not donor data */
        assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), 0);
        assert_int_equal(wipe_fw_sample_after(s, &rw, res.expect, &chk), 0);
        assert_true(chk.conclusive);
        assert_false(chk.passed);
        assert_int_equal(chk.canaries, chk.blocks);
        assert_int_equal(chk.unchanged, chk.blocks);

        /* An honest drive: the canaries are gone. */
        r.f->lying = false;
        assert_int_equal(wipe_fw_sample_before(s, &rw), 0);
        assert_int_equal(wipe_method_run(&r.f->transport, &r.caps, &r.plan, &r.o, &res), 0);
        assert_int_equal(wipe_fw_sample_after(s, &rw, res.expect, &chk), 0);
        assert_true(chk.passed);
        rig_done(&r);
}

static void test_validation_expectations(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(false);
        rig_ata(&r, &p);
        uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE] = { 3 };
        _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s = NULL;
        struct wipe_fw_io io = { .read = wipe_fake_read, .userdata = r.f };
        struct wipe_fw_check chk;

        assert_int_equal(wipe_fw_sample_new(wipe_fake_visible_bytes(r.f), 50, key, &s), 0);
        assert_int_equal(wipe_fw_sample_after(s, &io, WIPE_EXPECT_ZEROS, &chk), -ESRCH); /* no "before" */
        assert_int_equal(wipe_fw_sample_before(s, &io), 0);

        /* Zeros everywhere but one sector. */
        memset(r.f->media, 0, r.f->media_size);
        r.f->media[3 * MiB + 100] = 0x42;
        assert_int_equal(wipe_fw_sample_after(s, &io, WIPE_EXPECT_ZEROS, &chk), 0);
        assert_false(chk.passed);
        assert_int_equal(chk.unexpected, 1);
        assert_int_equal(chk.first_bad, 3 * MiB); /* the 64 KiB block holding it */
        assert_int_equal(wipe_fw_sample_after(s, &io, WIPE_EXPECT_CHANGED, &chk), 0);
        assert_true(chk.passed);
        assert_int_equal(wipe_fw_sample_after(s, &io, WIPE_EXPECT_ONES, &chk), 0);
        assert_false(chk.passed);
        memset(r.f->media, 0xff, r.f->media_size);
        assert_int_equal(wipe_fw_sample_after(s, &io, WIPE_EXPECT_ONES, &chk), 0);
        assert_true(chk.passed);

        /* Unreadable after the erase: not a pass. */
        r.f->ata.security_locked = true;
        assert_int_equal(wipe_fw_sample_after(s, &io, WIPE_EXPECT_CHANGED, &chk), 0);
        assert_false(chk.passed);
        assert_int_equal(chk.read_errors, chk.blocks);
        rig_done(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_policy_defaults),
                cmocka_unit_test(test_plan_ata_ssd),
                cmocka_unit_test(test_plan_ata_hdd),
                cmocka_unit_test(test_run_categories),
                cmocka_unit_test(test_sample_selection),
                cmocka_unit_test(test_validation_lying_ata),
                cmocka_unit_test(test_validation_blank_drive),
                cmocka_unit_test(test_validation_expectations),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
