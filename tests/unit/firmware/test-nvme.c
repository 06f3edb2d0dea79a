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
#include "wipe-nvme.h"

#define SANICAP_CRYPTO 0x1u
#define SANICAP_BLOCK 0x2u
#define SANICAP_OVERWRITE 0x4u
#define FNA_CRYPTO 0x4u

static struct wipe_fake *new_nvme(uint32_t sanicap, uint8_t fna) {
        struct wipe_fake_nvme_profile p = nvme_profile(sanicap, fna);
        struct wipe_fake *f = NULL;
        assert_int_equal(wipe_fake_new_nvme(&p, &f), 0);
        wipe_fake_fill_donor_data(f);
        return f;
}

/* Every Format NVM the fake ever received had a secure erase setting. */
static void assert_no_ses0(const struct wipe_fake *f) {
        for (size_t i = 0; i < f->n_records; i++)
                if (f->records[i].kind == WIPE_FAKE_NVME && f->records[i].opcode == WIPE_NVME_ADMIN_FORMAT_NVM)
                        assert_int_not_equal((f->records[i].cdw10 & WIPE_NVME_SES_MASK) >> WIPE_NVME_SES_SHIFT, 0);
}

static void test_identify_parse(void **state) {
        struct wipe_fake_nvme_profile p = nvme_profile(SANICAP_CRYPTO | SANICAP_OVERWRITE, FNA_CRYPTO | 1);
        p.flbas = 0x11; /* format 1 (4096), metadata at the end of the LBA */
        p.dps = 0x9;    /* PI type 1, first bytes */
        uint8_t ctrl[4096], ns[4096];
        struct wipe_nvme_caps c;

        wipe_fake_nvme_id_ctrl_build(&p, ctrl);
        wipe_fake_nvme_id_ns_build(&p, ns);
        assert_int_equal(wipe_nvme_id_ctrl_parse(ctrl, &c), 0);
        assert_int_equal(wipe_nvme_id_ns_parse(ns, &c), 0);
        assert_string_equal(c.model, "Refurb NVMe 256");
        assert_string_equal(c.serial, "NV0001");
        assert_string_equal(c.firmware, "1.2.3");
        assert_true(c.format_supported && c.sanitize_crypto && c.sanitize_overwrite && c.crypto_erase_supported);
        assert_true(c.format_all_namespaces);
        assert_false(c.sanitize_block || c.erase_all_namespaces);
        assert_int_equal(c.lbaf_index, 1);
        assert_int_equal(c.lba_size, 4096);
        assert_int_equal(c.nsze, FW_SECTORS);

        /* CDW10 keeps the format, MSET, PI, PIL and sets SES. */
        uint32_t cdw10;
        assert_int_equal(wipe_nvme_format_cdw10(&c, WIPE_NVME_SES_CRYPTO, &cdw10), 0);
        assert_int_equal(cdw10, 1u | 1u << 4 | 1u << 5 | 1u << 8 | 2u << 9);
        assert_int_equal(wipe_nvme_format_cdw10(&c, 0, &cdw10), -EINVAL);
        assert_int_equal(wipe_nvme_format_cdw10(&c, 3, &cdw10), -EINVAL);

        /* Bad data. */
        ns[128 + 4 + 2] = 30;
        assert_int_equal(wipe_nvme_id_ns_parse(ns, &c), -EBADMSG);
        memset(ctrl, 0, sizeof(ctrl));
        assert_int_equal(wipe_nvme_id_ctrl_parse(ctrl, &c), -EINVAL);
}

static void test_format_never_ses0(void **state) {
        _cleanup_wipe_fake_ struct wipe_fake *f = new_nvme(0, 0);
        struct wipe_caps caps;
        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        struct test_ctx ctx;
        struct wipe_fw_opts o = test_opts(f, &ctx);
        struct wipe_fw_outcome out;

        /* No way to send SES=0 or SES=2 without crypto support. */
        assert_int_equal(wipe_nvme_format(&f->transport, &caps.nvme, 0, &o, &out), -EINVAL);
        assert_int_equal(wipe_nvme_format(&f->transport, &caps.nvme, 7, &o, &out), -EINVAL);
        assert_int_equal(wipe_nvme_format(&f->transport, &caps.nvme, WIPE_NVME_SES_CRYPTO, &o, &out), -EOPNOTSUPP);
        assert_non_null(strstr(out.detail, "FNA bit 2"));
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM), 0);
        assert_true(wipe_fake_has_donor_data(f, 0, (uint64_t) FW_SECTORS * 512));

        /* Format NVM not supported at all. */
        caps.nvme.format_supported = false;
        assert_int_equal(wipe_nvme_format(&f->transport, &caps.nvme, 1, &o, &out), -EOPNOTSUPP);
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM), 0);
}

/* Sanitize unsupported: the plan is Format SES=1, and that is what the
 * drive receives. */
static void test_plan_format_ses1(void **state) {
        _cleanup_wipe_fake_ struct wipe_fake *f = new_nvme(0, 0);
        struct wipe_caps caps;
        struct wipe_policy pol;
        struct wipe_plan plan;
        struct wipe_method_result res;
        struct test_ctx ctx;
        struct wipe_fw_opts o = test_opts(f, &ctx);

        wipe_policy_init(&pol);
        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(caps.kind, WIPE_FW_KIND_NVME);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(plan.steps[0].method, WIPE_METHOD_NVME_FORMAT_USER_DATA);
        assert_int_equal(plan.steps[1].method, WIPE_METHOD_OVERWRITE);
        /* The skipped ones say why. */
        bool saw_sanicap = false, saw_fna = false;
        for (size_t i = 2; i < plan.n_steps; i++) {
                assert_int_equal(plan.steps[i].state, WIPE_STEP_SKIPPED);
                saw_sanicap |= strstr(plan.steps[i].reason, "SANICAP=0x0") != NULL;
                saw_fna |= strstr(plan.steps[i].reason, "FNA") != NULL;
        }
        assert_true(saw_sanicap && saw_fna);

        assert_int_equal(wipe_method_run(&f->transport, &caps, &plan, &o, &res), 0);
        assert_int_equal(res.method, WIPE_METHOD_NVME_FORMAT_USER_DATA);
        assert_int_equal(res.category, WIPE_CATEGORY_PURGE);
        const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM, 0);
        assert_non_null(r);
        assert_int_equal((r->cdw10 & WIPE_NVME_SES_MASK) >> WIPE_NVME_SES_SHIFT, 1);
        assert_int_equal(r->nsid, 1);
        assert_true(r->timeout_ms > 3600u * 1000); /* not the 60 s admin default */
        assert_no_ses0(f);
        assert_false(wipe_fake_has_donor_data(f, 0, 4096));
}

static void test_plan_format_ses2(void **state) {
        _cleanup_wipe_fake_ struct wipe_fake *f = new_nvme(0, FNA_CRYPTO);
        struct wipe_caps caps;
        struct wipe_policy pol;
        struct wipe_plan plan;
        struct wipe_method_result res;
        struct test_ctx ctx;
        struct wipe_fw_opts o = test_opts(f, &ctx);

        wipe_policy_init(&pol);
        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(plan.steps[0].method, WIPE_METHOD_NVME_FORMAT_CRYPTO);
        assert_int_equal(wipe_method_run(&f->transport, &caps, &plan, &o, &res), 0);
        assert_int_equal(res.method, WIPE_METHOD_NVME_FORMAT_CRYPTO);
        const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM, 0);
        assert_int_equal((r->cdw10 & WIPE_NVME_SES_MASK) >> WIPE_NVME_SES_SHIFT, 2);
        assert_no_ses0(f);

        /* Crypto erase disallowed by policy: SES=1. */
        pol.allow_crypto_erase = false;
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(plan.steps[0].method, WIPE_METHOD_NVME_FORMAT_USER_DATA);
}

static void test_sanitize(void **state) {
        static const struct {
                uint32_t sanicap;
                enum wipe_method method;
                unsigned sanact;
        } cases[] = {
                { SANICAP_CRYPTO | SANICAP_BLOCK | SANICAP_OVERWRITE, WIPE_METHOD_NVME_SANITIZE_CRYPTO, 4 },
                { SANICAP_BLOCK | SANICAP_OVERWRITE, WIPE_METHOD_NVME_SANITIZE_BLOCK, 2 },
                { SANICAP_OVERWRITE, WIPE_METHOD_NVME_SANITIZE_OVERWRITE, 3 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_wipe_fake_ struct wipe_fake *f = new_nvme(cases[i].sanicap, FNA_CRYPTO);
                struct wipe_caps caps;
                struct wipe_policy pol;
                struct wipe_plan plan;
                struct wipe_method_result res;
                struct test_ctx ctx;
                struct wipe_fw_opts o = test_opts(f, &ctx);

                wipe_policy_init(&pol);
                assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
                assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
                assert_int_equal(plan.steps[0].method, cases[i].method);
                assert_int_equal(wipe_method_run(&f->transport, &caps, &plan, &o, &res), 0);
                assert_int_equal(res.method, cases[i].method);
                assert_int_equal(res.category, WIPE_CATEGORY_PURGE);
                const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_SANITIZE, 0);
                assert_non_null(r);
                assert_int_equal(r->cdw10 & 7, cases[i].sanact);
                assert_true(r->cdw10 & (1u << 3)); /* AUSE */
                /* 30 virtual seconds of polling the log at 1 s. */
                assert_true(f->slept_ms >= 30000 && f->slept_ms <= 31000);
                assert_true(ctx.progress_calls >= 30);
                assert_false(ctx.progress_decreased);
                assert_int_equal(ctx.last_progress, 65535);
                assert_int_equal(wipe_fake_count(f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM), 0);
                assert_false(wipe_fake_has_donor_data(f, 0, 4096));
        }
}

static void test_sanitize_failures(void **state) {
        struct wipe_caps caps;
        struct wipe_policy pol;
        struct wipe_plan plan;
        struct wipe_method_result res;
        struct test_ctx ctx;
        wipe_policy_init(&pol);

        /* Aborted: overwrite, with the reason. */
        _cleanup_wipe_fake_ struct wipe_fake *f = new_nvme(SANICAP_CRYPTO, 0);
        struct wipe_fw_opts o = test_opts(f, &ctx);
        wipe_fake_add_fault(f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_NVME,
                                                           .command = WIPE_NVME_ADMIN_SANITIZE,
                                                           .feature = -1,
                                                           .action = WIPE_FAKE_ABORT });
        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(wipe_method_run(&f->transport, &caps, &plan, &o, &res), 0);
        assert_int_equal(res.method, WIPE_METHOD_OVERWRITE);
        assert_int_equal(res.category, WIPE_CATEGORY_CLEAR);
        assert_true(res.attempted);
        assert_non_null(strstr(res.fallback_reason, "nvme-sanitize-crypto failed"));
        assert_non_null(strstr(res.fallback_reason, "command abort requested"));
        json_t *j = wipe_method_result_to_json(&res);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "category")), "clear");
        json_decref(j);

        /* Fails in the controller: Exit Failure Mode follows. */
        _cleanup_wipe_fake_ struct wipe_fake *g = new_nvme(SANICAP_BLOCK, 0);
        o = test_opts(g, &ctx);
        g->sanitize_fails = true;
        assert_int_equal(wipe_caps_probe(&g->transport, &caps), 0);
        struct wipe_fw_outcome out;
        assert_int_equal(wipe_nvme_sanitize(&g->transport, &caps.nvme, WIPE_NVME_SANACT_BLOCK, &o, &out), -EIO);
        const struct wipe_fake_record *r = wipe_fake_find(g, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_SANITIZE, 1);
        assert_non_null(r);
        assert_int_equal(r->cdw10 & 7, WIPE_NVME_SANACT_EXIT_FAILURE);
        assert_int_equal(g->san, WIPE_FAKE_SAN_IDLE);

        /* Unsupported action: nothing sent. */
        assert_int_equal(wipe_nvme_sanitize(&g->transport, &caps.nvme, WIPE_NVME_SANACT_CRYPTO, &o, &out),
                         -EOPNOTSUPP);
        assert_non_null(strstr(out.detail, "SANICAP=0x00000002"));
        assert_int_equal(wipe_nvme_sanitize(&g->transport, &caps.nvme, 0, &o, &out), -EINVAL);

        /* Timeout of the Format command: the job stops. */
        _cleanup_wipe_fake_ struct wipe_fake *h = new_nvme(0, 0);
        o = test_opts(h, &ctx);
        wipe_fake_add_fault(h, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_NVME,
                                                           .command = WIPE_NVME_ADMIN_FORMAT_NVM,
                                                           .feature = -1,
                                                           .action = WIPE_FAKE_TIMEOUT });
        assert_int_equal(wipe_caps_probe(&h->transport, &caps), 0);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(wipe_method_run(&h->transport, &caps, &plan, &o, &res), -ETIMEDOUT);
        assert_non_null(strstr(res.firmware.detail, "timed out"));
}

/* A drive that acknowledges the erase and keeps the data. */
static void test_lying_drive(void **state) {
        for (int lying = 0; lying <= 1; lying++) {
                _cleanup_wipe_fake_ struct wipe_fake *f = new_nvme(0, FNA_CRYPTO);
                f->lying = lying;
                struct wipe_caps caps;
                struct wipe_policy pol;
                struct wipe_plan plan;
                struct wipe_method_result res;
                struct test_ctx ctx;
                struct wipe_fw_opts o = test_opts(f, &ctx);
                uint8_t key[WIPE_FW_SAMPLE_KEY_SIZE] = { 1, 2, 3 };
                _cleanup_wipe_fw_sample_ struct wipe_fw_sample *s = NULL;
                struct wipe_fw_io io = { .read = wipe_fake_read, .userdata = f };
                struct wipe_fw_check chk;

                wipe_policy_init(&pol);
                assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
                assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
                assert_int_equal(wipe_fw_sample_new(wipe_fake_visible_bytes(f), 10, key, &s), 0);
                assert_int_equal(wipe_fw_sample_before(s, &io), 0);
                assert_int_equal(wipe_method_run(&f->transport, &caps, &plan, &o, &res), 0);
                assert_int_equal(res.method, WIPE_METHOD_NVME_FORMAT_CRYPTO); /* "success" either way */
                assert_int_equal(wipe_fw_sample_after(s, &io, res.expect, &chk), 0);
                assert_true(chk.conclusive);
                if (lying) {
                        assert_false(chk.passed);
                        assert_int_equal(chk.unchanged, chk.blocks);
                        assert_non_null(strstr(chk.detail, "did not erase"));
                } else {
                        assert_true(chk.passed);
                        assert_int_equal(chk.unchanged, 0);
                }
        }
}

static void test_health(void **state) {
        _cleanup_wipe_fake_ struct wipe_fake *f = new_nvme(0, 0);
        struct wipe_fw_health h;

        assert_int_equal(wipe_nvme_health(&f->transport, &h), 0);
        assert_true(h.known);
        assert_false(h.failing);
        assert_int_equal(h.percentage_used, 7);
        assert_int_equal(h.power_on_hours, 4321);
        assert_int_equal(h.media_errors, 2);
        assert_int_equal(h.reallocated, -1);
        const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_GET_LOG_PAGE, 0);
        assert_int_equal(r->cdw10 & 0xff, WIPE_NVME_LOG_SMART);
        assert_int_equal(r->cdw10 >> 16, 512 / 4 - 1);
        assert_int_equal(r->nsid, UINT32_MAX);

        f->nvme.critical_warning = 0x04; /* reliability degraded */
        assert_int_equal(wipe_nvme_health(&f->transport, &h), 0);
        assert_true(h.failing);
        assert_int_equal(h.critical_warning, 4);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identify_parse),
                cmocka_unit_test(test_format_never_ses0),
                cmocka_unit_test(test_plan_format_ses1),
                cmocka_unit_test(test_plan_format_ses2),
                cmocka_unit_test(test_sanitize),
                cmocka_unit_test(test_sanitize_failures),
                cmocka_unit_test(test_lying_drive),
                cmocka_unit_test(test_health),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
