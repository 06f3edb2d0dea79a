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
#include "wipe-method.h"
#include "wipe-scsi.h"

static struct wipe_fake_scsi_profile scsi_profile(void) {
        return (struct wipe_fake_scsi_profile) {
                .vendor = "SEAGATE",
                .product = "ST600MM0208",
                .revision = "N003",
                .sectors = FW_SECTORS,
                .rsoc = true,
                .sanitize_crypto = true,
                .sanitize_block = true,
                .sanitize_overwrite = true,
                .sanitize_ms = 15000,
        };
}

static struct wipe_fake *new_scsi(const struct wipe_fake_scsi_profile *p) {
        struct wipe_fake *f = NULL;
        assert_int_equal(wipe_fake_new_scsi(p, &f), 0);
        wipe_fake_fill_donor_data(f);
        return f;
}

static void test_sense_parse(void **state) {
        struct wipe_sense s;
        uint8_t fixed[18] = { 0x70, 0, WIPE_SENSE_NOT_READY, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x1b, 0, 0x80, 0x40, 0x00 };
        wipe_sense_parse(fixed, sizeof(fixed), &s);
        assert_true(s.valid && s.progress_valid);
        assert_int_equal(s.key, WIPE_SENSE_NOT_READY);
        assert_int_equal(s.asc, 0x04);
        assert_int_equal(s.ascq, 0x1b);
        assert_int_equal(s.progress, 0x4000);

        uint8_t desc[16] = { 0x72, WIPE_SENSE_NOT_READY, 0x04, 0x1b, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0x80, 0x12, 0x34, 0 };
        wipe_sense_parse(desc, sizeof(desc), &s);
        assert_true(s.valid && s.progress_valid);
        assert_int_equal(s.progress, 0x1234);

        /* Truncated and garbage: not valid, no crash. */
        wipe_sense_parse(desc, 1, &s);
        assert_false(s.valid);
        uint8_t bad[8] = { 0x72, 5, 0x20, 0, 0, 0, 0, 200 };
        wipe_sense_parse(bad, sizeof(bad), &s);
        assert_true(s.valid);
        assert_false(s.progress_valid);
        uint8_t junk[4] = { 0x12, 0x34, 0x56, 0x78 };
        wipe_sense_parse(junk, sizeof(junk), &s);
        assert_false(s.valid);
}

static void test_probe(void **state) {
        struct wipe_fake_scsi_profile p = scsi_profile();
        p.sanitize_crypto = false;
        p.ssd = true;
        _cleanup_wipe_fake_ struct wipe_fake *f = new_scsi(&p);
        struct wipe_caps caps;

        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(caps.kind, WIPE_FW_KIND_SCSI);
        assert_false(caps.ata_passthrough);
        assert_string_equal(caps.scsi.vendor, "SEAGATE");
        assert_string_equal(caps.scsi.product, "ST600MM0208");
        assert_true(caps.scsi.rsoc_supported && caps.scsi.sanitize_block && caps.scsi.sanitize_overwrite);
        assert_false(caps.scsi.sanitize_crypto || caps.scsi.sat);
        assert_true(caps.solid_state);
        assert_int_equal(caps.scsi.sectors, FW_SECTORS);
        assert_int_equal(caps.scsi.logical_sector_size, 512);
        /* A SAS drive answers PT16 with ILLEGAL REQUEST: SCSI, no note. */
        assert_int_equal(caps.note[0], 0);
        assert_true(caps.ata_passthrough_rejected);

        struct wipe_policy pol;
        struct wipe_plan plan;
        wipe_policy_init(&pol);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(plan.steps[0].method, WIPE_METHOD_SCSI_SANITIZE_BLOCK);
        assert_int_equal(plan.steps[0].category, WIPE_CATEGORY_PURGE);

        /* No REPORT SUPPORTED OPERATION CODES: nothing is assumed. */
        p.rsoc = false;
        _cleanup_wipe_fake_ struct wipe_fake *g = new_scsi(&p);
        assert_int_equal(wipe_caps_probe(&g->transport, &caps), 0);
        assert_false(caps.scsi.rsoc_supported);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(plan.steps[0].method, WIPE_METHOD_OVERWRITE);
        assert_non_null(strstr(plan.steps[1].reason, "REPORT SUPPORTED OPERATION CODES"));
}

static void test_sanitize(void **state) {
        static const struct {
                uint8_t sa;
                enum wipe_fw_expect expect;
        } cases[] = {
                { WIPE_SCSI_SANITIZE_CRYPTO, WIPE_EXPECT_CHANGED },
                { WIPE_SCSI_SANITIZE_BLOCK, WIPE_EXPECT_CHANGED },
                { WIPE_SCSI_SANITIZE_OVERWRITE, WIPE_EXPECT_ZEROS },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct wipe_fake_scsi_profile p = scsi_profile();
                _cleanup_wipe_fake_ struct wipe_fake *f = new_scsi(&p);
                struct wipe_caps caps;
                struct test_ctx ctx;
                struct wipe_fw_opts o = test_opts(f, &ctx);
                struct wipe_fw_outcome out;

                assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
                assert_int_equal(wipe_scsi_sanitize(&f->transport, &caps.scsi, cases[i].sa, &o, &out), 0);
                assert_int_equal(out.expect, cases[i].expect);
                const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_SCSI, WIPE_SCSI_SANITIZE, 0);
                assert_non_null(r);
                assert_int_equal(r->cdb[1] & 0x1f, cases[i].sa);
                assert_true(r->cdb[1] & 0x80); /* IMMED */
                assert_int_equal(r->cdb[8], cases[i].sa == WIPE_SCSI_SANITIZE_OVERWRITE ? 8 : 0);
                assert_true(wipe_fake_count(f, WIPE_FAKE_SCSI, WIPE_SCSI_REQUEST_SENSE) >= 15);
                assert_true(f->slept_ms >= 15000 && f->slept_ms <= 16000);
                assert_false(ctx.progress_decreased);
                assert_true(ctx.progress_calls > 10);
                assert_int_equal(ctx.last_progress, 65535);
                assert_false(wipe_fake_has_donor_data(f, 0, 4096));
        }
}

static void test_sanitize_failures(void **state) {
        struct wipe_fake_scsi_profile p = scsi_profile();
        struct wipe_caps caps;
        struct test_ctx ctx;
        struct wipe_fw_outcome out;

        /* Fails in the device: EXIT FAILURE MODE follows. */
        _cleanup_wipe_fake_ struct wipe_fake *f = new_scsi(&p);
        struct wipe_fw_opts o = test_opts(f, &ctx);
        f->sanitize_fails = true;
        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(wipe_scsi_sanitize(&f->transport, &caps.scsi, WIPE_SCSI_SANITIZE_BLOCK, &o, &out), -EIO);
        const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_SCSI, WIPE_SCSI_SANITIZE, 1);
        assert_non_null(r);
        assert_int_equal(r->cdb[1] & 0x1f, WIPE_SCSI_SANITIZE_EXIT_FAILURE);
        assert_int_equal(f->san, WIPE_FAKE_SAN_IDLE);

        /* Aborted, and through the method layer: overwrite, with why. */
        _cleanup_wipe_fake_ struct wipe_fake *g = new_scsi(&p);
        o = test_opts(g, &ctx);
        wipe_fake_add_fault(g, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_SCSI,
                                                           .command = WIPE_SCSI_SANITIZE,
                                                           .feature = WIPE_SCSI_SANITIZE_CRYPTO,
                                                           .action = WIPE_FAKE_ABORT });
        assert_int_equal(wipe_caps_probe(&g->transport, &caps), 0);
        struct wipe_policy pol;
        struct wipe_plan plan;
        struct wipe_method_result res;
        wipe_policy_init(&pol);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(plan.steps[0].method, WIPE_METHOD_SCSI_SANITIZE_CRYPTO);
        assert_int_equal(wipe_method_run(&g->transport, &caps, &plan, &o, &res), 0);
        assert_int_equal(res.method, WIPE_METHOD_OVERWRITE);
        assert_int_equal(res.category, WIPE_CATEGORY_CLEAR);
        assert_non_null(strstr(res.fallback_reason, "scsi-sanitize-crypto failed"));
        assert_true(wipe_fake_has_donor_data(g, 0, 4096));

        /* Timeout on the start: the job stops (the device may be busy). */
        _cleanup_wipe_fake_ struct wipe_fake *h = new_scsi(&p);
        o = test_opts(h, &ctx);
        wipe_fake_add_fault(h, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_SCSI,
                                                           .command = WIPE_SCSI_SANITIZE,
                                                           .feature = -1,
                                                           .action = WIPE_FAKE_TIMEOUT });
        assert_int_equal(wipe_caps_probe(&h->transport, &caps), 0);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(wipe_method_run(&h->transport, &caps, &plan, &o, &res), -ETIMEDOUT);

        /* Unsupported service action: nothing sent. */
        caps.scsi.sanitize_block = false;
        assert_int_equal(wipe_scsi_sanitize(&h->transport, &caps.scsi, WIPE_SCSI_SANITIZE_BLOCK, &o, &out),
                         -EOPNOTSUPP);
}

/* An ATA drive in a USB enclosure whose bridge refuses ATA PASS-THROUGH. */
static void test_usb_bridge_without_passthrough(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(true);
        _cleanup_wipe_fake_ struct wipe_fake *f = NULL;
        assert_int_equal(wipe_fake_new_ata(&p, &f), 0);
        f->pt16_unsupported = true;
        struct wipe_caps caps;
        struct wipe_policy pol;
        struct wipe_plan plan;
        struct wipe_method_result res;
        struct test_ctx ctx;
        struct wipe_fw_opts o = test_opts(f, &ctx);

        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(caps.kind, WIPE_FW_KIND_SCSI);
        assert_true(caps.scsi.sat && caps.ata_passthrough_rejected);
        assert_non_null(strstr(caps.note, "ATA pass-through unsupported"));
        wipe_policy_init(&pol);
        assert_int_equal(wipe_method_plan(&caps, &pol, &plan), 0);
        assert_int_equal(plan.steps[0].method, WIPE_METHOD_OVERWRITE);
        bool saw = false;
        for (size_t i = 1; i < plan.n_steps; i++)
                saw |= strstr(plan.steps[i].reason, "pass-through unsupported") != NULL;
        assert_true(saw);
        assert_int_equal(wipe_method_run(&f->transport, &caps, &plan, &o, &res), 0);
        assert_int_equal(res.method, WIPE_METHOD_OVERWRITE);
        assert_false(res.attempted);
        assert_non_null(strstr(res.fallback_reason, "no firmware erase"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sense_parse),
                cmocka_unit_test(test_probe),
                cmocka_unit_test(test_sanitize),
                cmocka_unit_test(test_sanitize_failures),
                cmocka_unit_test(test_usb_bridge_without_passthrough),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
