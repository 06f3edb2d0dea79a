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
#include "wipe-ata.h"
#include "wipe-caps.h"
#include "wipe-fake-transport.h"
#include "wipe-transport.h"

#define SSD_BYTES ((uint64_t) FW_SECTORS * 512)

static struct wipe_fake *new_ata(const struct wipe_fake_ata_profile *p) {
        struct wipe_fake *f = NULL;
        assert_int_equal(wipe_fake_new_ata(p, &f), 0);
        wipe_fake_fill_donor_data(f);
        return f;
}

static struct wipe_ata_caps probe(struct wipe_fake *f) {
        struct wipe_ata_caps c;
        assert_int_equal(wipe_ata_probe(&f->transport, &c), 0);
        return c;
}

/* ---- IDENTIFY parsing ---- */

static void test_identify_parse(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(true);
        p.security_frozen = true;
        p.hpa = true;
        p.native_sectors = FW_SECTORS + 100;
        uint8_t id[512];
        struct wipe_ata_caps c;

        wipe_fake_ata_identify_build(&p, id);
        assert_int_equal(wipe_ata_identify_parse(id, &c), 0);
        assert_string_equal(c.model, "Refurb Test SSD 120GB");
        assert_string_equal(c.serial, "S3R1AL0001");
        assert_string_equal(c.firmware, "FW1.0");
        assert_int_equal(c.sectors, FW_SECTORS);
        assert_int_equal(c.logical_sector_size, 512);
        assert_true(c.lba48 && c.checksum_present && c.non_rotating && c.rotation_known);
        assert_true(c.security_supported && c.security_frozen && c.security_enhanced_supported);
        assert_false(c.security_enabled || c.security_locked || c.security_count_expired);
        assert_int_equal(c.erase_minutes, 4);               /* short format: 2 x 2 min */
        assert_int_equal(c.enhanced_erase_minutes, 600);    /* extended format: 300 x 2 min */
        assert_true(c.sanitize_supported && c.sanitize_crypto && c.sanitize_block && c.sanitize_overwrite);
        assert_true(c.hpa_supported && c.hpa_enabled && c.smart_supported && c.smart_enabled);
        assert_false(c.dco_supported);

        /* 255 in the short format: "more than 508 minutes". */
        p.erase_time_word = 0xff;
        wipe_fake_ata_identify_build(&p, id);
        assert_int_equal(wipe_ata_identify_parse(id, &c), 0);
        assert_true(c.erase_minutes_over);
        assert_int_equal(wipe_ata_security_erase_timeout_ms(&c, false), 24u * 3600 * 1000);
        /* 600 min estimate: x1.2 + 30 min. */
        assert_int_equal(wipe_ata_security_erase_timeout_ms(&c, true), (600u * 6 / 5 + 30) * 60000u);

        /* Word 128 means nothing without word 82 bit 1. */
        p.security = false;
        wipe_fake_ata_identify_build(&p, id);
        assert_int_equal(wipe_ata_identify_parse(id, &c), 0);
        assert_false(c.security_supported || c.security_frozen);

        /* Integrity word. */
        p = ata_profile(false);
        wipe_fake_ata_identify_build(&p, id);
        id[200] ^= 0x10;
        assert_int_equal(wipe_ata_identify_parse(id, &c), -EBADMSG);
        p.no_checksum = true;
        wipe_fake_ata_identify_build(&p, id);
        id[200] ^= 0x10;
        assert_int_equal(wipe_ata_identify_parse(id, &c), 0);
        assert_false(c.checksum_present || c.non_rotating || c.sanitize_supported);

        /* ATAPI, and garbage. */
        wipe_fake_ata_identify_build(&p, id);
        id[1] |= 0x80;
        assert_int_equal(wipe_ata_identify_parse(id, &c), -EMEDIUMTYPE);
        memset(id, 0xff, sizeof(id));
        assert_int_equal(wipe_ata_identify_parse(id, &c), -EINVAL);
        memset(id, 0, sizeof(id));
        assert_int_equal(wipe_ata_identify_parse(id, &c), -EINVAL);

        /* 28-bit only drive. */
        p = ata_profile(false);
        p.no_lba48 = true;
        wipe_fake_ata_identify_build(&p, id);
        assert_int_equal(wipe_ata_identify_parse(id, &c), 0);
        assert_false(c.lba48);
        assert_int_equal(c.sectors, FW_SECTORS);
}

/* ---- SAT encoding ---- */

static void test_sat_pt16(void **state) {
        uint8_t cdb[16], buf[512];
        struct wipe_ata_cmd cmd = {
                .feature = 0x0011,
                .count = 0x0010,
                .lba = 0x0000436372797070ULL & 0xffffffffffffULL,
                .device = 0x40,
                .command = 0xb4,
        };
        assert_int_equal(wipe_sat_build_pt16(&cmd, cdb), 0);
        assert_int_equal(cdb[0], 0x85);
        assert_int_equal(cdb[1], 3 << 1 | 1); /* non-data, EXTEND */
        assert_int_equal(cdb[2], 0x20);       /* CK_COND */
        assert_int_equal(cdb[4], 0x11);
        assert_int_equal(cdb[6], 0x10);
        assert_int_equal(cdb[8], 0x70);  /* LBA 7:0 */
        assert_int_equal(cdb[10], 0x70); /* LBA 15:8 */
        assert_int_equal(cdb[12], 0x79); /* LBA 23:16 */
        assert_int_equal(cdb[7], 0x72);  /* LBA 31:24 */
        assert_int_equal(cdb[9], 0x63);  /* LBA 39:32 */
        assert_int_equal(cdb[11], 0x43); /* LBA 47:40 */
        assert_int_equal(cdb[14], 0xb4);

        cmd = (struct wipe_ata_cmd) { .command = 0xec, .count = 1, .protocol = WIPE_ATA_PIO_IN, .data = buf, .len = 512 };
        assert_int_equal(wipe_sat_build_pt16(&cmd, cdb), 0);
        assert_int_equal(cdb[1], 4 << 1 | 1);
        /* No CK_COND on data transfers (libata aborts them); T_DIR in, blocks, length in COUNT */
        assert_int_equal(cdb[2], 0x08 | 0x04 | 0x02);
        cmd.len = 100;
        assert_int_equal(wipe_sat_build_pt16(&cmd, cdb), -EINVAL);
        cmd = (struct wipe_ata_cmd) { .command = 0x27, .lba = 1ULL << 48 };
        assert_int_equal(wipe_sat_build_pt16(&cmd, cdb), -EINVAL);

        /* Descriptor sense round trip. */
        struct wipe_ata_result regs = { .status = 0x51, .error = 0x04, .count = 0xbeef, .lba = 0x123456789abcULL,
                                        .device = 0x40 };
        struct wipe_scsi_result sr = { .status = WIPE_SCSI_CHECK_CONDITION };
        sr.sense_len = wipe_sat_build_sense(&regs, sr.sense, sizeof(sr.sense));
        struct wipe_ata_result got;
        assert_int_equal(wipe_sat_decode(&sr, &got), 0);
        assert_true(got.have_regs);
        assert_int_equal(got.status, 0x51);
        assert_int_equal(got.error, 0x04);
        assert_int_equal(got.count, 0xbeef);
        assert_int_equal(got.lba, 0x123456789abcULL);

        /* Fixed format: only 24 LBA bits, flagged. */
        struct wipe_scsi_result fx = { .status = WIPE_SCSI_CHECK_CONDITION, .sense_len = 18 };
        fx.sense[0] = 0x70;
        fx.sense[2] = WIPE_SENSE_RECOVERED;
        fx.sense[7] = 10;
        fx.sense[3] = 0x00;  /* error */
        fx.sense[4] = 0x50;  /* status */
        fx.sense[6] = 0x01;  /* count */
        fx.sense[8] = 0x20;  /* upper LBA bits non zero */
        fx.sense[9] = 0xff;
        fx.sense[12] = 0x00;
        fx.sense[13] = 0x1d;
        assert_int_equal(wipe_sat_decode(&fx, &got), 0);
        assert_true(got.have_regs && got.lba_partial);
        assert_int_equal(got.status, 0x50);
        assert_int_equal(got.lba, 0xff);

        /* A bridge refusing the CDB; one ignoring CK_COND. */
        struct wipe_scsi_result ill = { .status = WIPE_SCSI_CHECK_CONDITION, .sense_len = 18 };
        ill.sense[0] = 0x70;
        ill.sense[2] = WIPE_SENSE_ILLEGAL_REQUEST;
        ill.sense[12] = 0x20;
        assert_int_equal(wipe_sat_decode(&ill, &got), -EOPNOTSUPP);
        struct wipe_scsi_result good = { .status = WIPE_SCSI_GOOD };
        assert_int_equal(wipe_sat_decode(&good, &got), 0);
        assert_false(got.have_regs);
}

/* ---- Probe ---- */

static void test_probe_and_bridge(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(true);
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_caps caps;

        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(caps.kind, WIPE_FW_KIND_ATA);
        assert_true(caps.ata_passthrough && caps.solid_state);
        assert_string_equal(caps.ata.serial, "S3R1AL0001");
        /* The command went as PT16, without CK_COND: it carries data, and
         * libata aborts data-in pass-through that asks for the registers. */
        const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_ATA, WIPE_ATA_IDENTIFY_DEVICE, 0);
        assert_non_null(r);
        assert_int_equal(r->cdb[0], 0x85);
        assert_false(r->cdb[2] & 0x20);

        json_t *j = wipe_caps_to_json(&caps);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "kind")), "ata");
        assert_true(json_is_true(json_object_get(json_object_get(json_object_get(j, "ata"), "sanitize"), "crypto")));
        json_decref(j);

        /* The same drive behind a USB bridge without pass-through. */
        f->pt16_unsupported = true;
        assert_int_equal(wipe_caps_probe(&f->transport, &caps), 0);
        assert_int_equal(caps.kind, WIPE_FW_KIND_SCSI);
        assert_false(caps.ata_passthrough);
        assert_true(caps.scsi.sat);
        assert_non_null(strstr(caps.note, "pass-through unsupported"));
}

/* ---- Security erase ---- */

static void assert_password_cleared(const struct wipe_fake *f) {
        assert_false(f->ata.security_enabled);
        assert_false(f->ata.security_locked);
        assert_int_equal(f->ata.password[0], 0);
}

static void test_security_erase_normal(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(false);
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct test_ctx ctx;
        struct wipe_fw_opts o = test_opts(f, &ctx);
        struct wipe_fw_outcome out;

        assert_int_equal(wipe_ata_security_erase(&f->transport, &c, false, &o, &out), 0);
        assert_int_equal(out.error, 0);
        assert_int_equal(out.expect, WIPE_EXPECT_ZEROS);
        assert_false(out.password_left_set);
        assert_password_cleared(f);
        /* Recorded before it was set, cleared after. */
        assert_int_equal(ctx.recorded, 1);
        assert_false(ctx.enabled_when_recorded);
        assert_int_equal(ctx.cleared, 1);
        assert_string_equal(ctx.serial, "S3R1AL0001");
        assert_string_equal(ctx.password, WIPE_ATA_DEFAULT_PASSWORD);
        /* Sequence: SET PASSWORD, PREPARE, ERASE UNIT (normal, with the
         * timeout from word 89); no DISABLE needed. */
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_SET_PASSWORD), 1);
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_ERASE_PREPARE), 1);
        const struct wipe_fake_record *eu = wipe_fake_find(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_ERASE_UNIT, 0);
        assert_non_null(eu);
        assert_int_equal(eu->timeout_ms, 4u * 60000u * 6 / 5 + 30u * 60000u);
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_DISABLE_PASSWORD), 0);
        /* The visible area holds zeros now. */
        uint8_t buf[4096];
        for (uint64_t off = 0; off < SSD_BYTES; off += 512 * 1024) {
                assert_int_equal(wipe_fake_read(f, off, buf, sizeof(buf)), 0);
                for (size_t i = 0; i < sizeof(buf); i++)
                        assert_int_equal(buf[i], 0);
        }
}

static void test_security_erase_enhanced(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(false);
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct test_ctx ctx;
        struct wipe_fw_opts o = test_opts(f, &ctx);
        o.ata_password = "another-pass";
        struct wipe_fw_outcome out;

        assert_int_equal(wipe_ata_security_erase(&f->transport, &c, true, &o, &out), 0);
        assert_int_equal(out.expect, WIPE_EXPECT_CHANGED);
        assert_password_cleared(f);
        assert_string_equal(ctx.password, "another-pass");
        const struct wipe_fake_record *eu = wipe_fake_find(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_ERASE_UNIT, 0);
        assert_non_null(eu);
        assert_int_equal(eu->timeout_ms, (600u * 6 / 5 + 30) * 60000u);
        assert_false(wipe_fake_has_donor_data(f, 0, 4096));

        /* Not supported: refused before anything is set. */
        p.enhanced = false;
        _cleanup_wipe_fake_ struct wipe_fake *g = new_ata(&p);
        c = probe(g);
        o = test_opts(g, &ctx);
        assert_int_equal(wipe_ata_security_erase(&g->transport, &c, true, &o, &out), -EOPNOTSUPP);
        assert_int_equal(wipe_fake_count(g, WIPE_FAKE_ATA, WIPE_ATA_SEC_SET_PASSWORD), 0);
        assert_int_equal(ctx.recorded, 0);
}

static void test_security_refusals(void **state) {
        struct test_ctx ctx;
        struct wipe_fw_outcome out;

        /* Frozen. */
        struct wipe_fake_ata_profile p = ata_profile(false);
        p.security_frozen = true;
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct wipe_fw_opts o = test_opts(f, &ctx);
        assert_int_equal(wipe_ata_security_erase(&f->transport, &c, true, &o, &out), -EPERM);
        assert_non_null(strstr(out.detail, "frozen"));
        assert_non_null(strstr(out.detail, "hot-swap"));
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_SET_PASSWORD), 0);
        assert_int_equal(ctx.recorded, 0);
        assert_true(wipe_fake_has_donor_data(f, 0, SSD_BYTES));

        /* Locked by the previous owner. */
        p = ata_profile(false);
        p.security_enabled = p.security_locked = true;
        snprintf(p.password, sizeof(p.password), "donor-secret");
        _cleanup_wipe_fake_ struct wipe_fake *g = new_ata(&p);
        c = probe(g);
        o = test_opts(g, &ctx);
        assert_int_equal(wipe_ata_security_erase(&g->transport, &c, false, &o, &out), -EACCES);
        assert_non_null(strstr(out.detail, "locked"));
        assert_int_equal(wipe_fake_count(g, WIPE_FAKE_ATA, WIPE_ATA_SEC_UNLOCK), 0);
        assert_int_equal(wipe_fake_count(g, WIPE_FAKE_ATA, WIPE_ATA_SEC_SET_PASSWORD), 0);

        /* Caps said fine, but the drive was frozen since: read again. */
        p = ata_profile(false);
        _cleanup_wipe_fake_ struct wipe_fake *h = new_ata(&p);
        c = probe(h);
        h->ata.security_frozen = true;
        o = test_opts(h, &ctx);
        assert_int_equal(wipe_ata_security_erase(&h->transport, &c, false, &o, &out), -EPERM);
        assert_int_equal(wipe_fake_count(h, WIPE_FAKE_ATA, WIPE_ATA_SEC_SET_PASSWORD), 0);

        /* The record of the password cannot be written: nothing is set. */
        h->ata.security_frozen = false;
        o = test_opts(h, &ctx);
        ctx.record_error = -EROFS;
        assert_int_equal(wipe_ata_security_erase(&h->transport, &c, false, &o, &out), -EROFS);
        assert_int_equal(wipe_fake_count(h, WIPE_FAKE_ATA, WIPE_ATA_SEC_SET_PASSWORD), 0);
        assert_password_cleared(h);

        /* Unsupported. */
        p = ata_profile(false);
        p.security = false;
        _cleanup_wipe_fake_ struct wipe_fake *k = new_ata(&p);
        c = probe(k);
        o = test_opts(k, &ctx);
        assert_int_equal(wipe_ata_security_erase(&k->transport, &c, false, &o, &out), -EOPNOTSUPP);
}

/* Every failing step: the password ends cleared on the drive, the record
 * is released, nothing claims success. */
static void test_security_failure_paths(void **state) {
        static const struct {
                uint8_t command;
                enum wipe_fake_action action;
                int error;
                bool erased_half;
        } cases[] = {
                { WIPE_ATA_SEC_SET_PASSWORD, WIPE_FAKE_ABORT, -EIO, false },
                { WIPE_ATA_SEC_SET_PASSWORD, WIPE_FAKE_TIMEOUT, -ETIMEDOUT, false },
                { WIPE_ATA_SEC_ERASE_PREPARE, WIPE_FAKE_ABORT, -EIO, false },
                { WIPE_ATA_SEC_ERASE_PREPARE, WIPE_FAKE_TRANSPORT_ERROR, -EIO, false },
                { WIPE_ATA_SEC_ERASE_UNIT, WIPE_FAKE_ABORT, -EIO, false },
                { WIPE_ATA_SEC_ERASE_UNIT, WIPE_FAKE_TIMEOUT, -ETIMEDOUT, true },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct wipe_fake_ata_profile p = ata_profile(false);
                _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
                struct wipe_ata_caps c = probe(f);
                struct test_ctx ctx;
                struct wipe_fw_opts o = test_opts(f, &ctx);
                struct wipe_fw_outcome out;
                wipe_fake_add_fault(f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                                   .command = cases[i].command,
                                                                   .feature = -1,
                                                                   .action = cases[i].action });

                int r = wipe_ata_security_erase(&f->transport, &c, false, &o, &out);
                assert_int_equal(r, cases[i].error);
                assert_int_equal(out.error, cases[i].error);
                assert_false(out.password_left_set);
                assert_password_cleared(f);
                assert_int_equal(ctx.cleared, 1);
                assert_true(out.detail[0] != 0);
                if (cases[i].action == WIPE_FAKE_ABORT)
                        assert_non_null(strstr(out.detail, "aborted by the drive"));
                if (cases[i].action == WIPE_FAKE_TIMEOUT)
                        assert_non_null(strstr(out.detail, "timed out"));
                if (cases[i].erased_half) {
                        /* The reset left it locked: UNLOCK then DISABLE. */
                        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_UNLOCK), 1);
                        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_DISABLE_PASSWORD), 1);
                        assert_true(wipe_fake_has_donor_data(f, SSD_BYTES - 4096, 4096));
                }
        }

        /* When even DISABLE PASSWORD keeps failing: said loudly, the
         * record stays. */
        struct wipe_fake_ata_profile p = ata_profile(false);
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct test_ctx ctx;
        struct wipe_fw_opts o = test_opts(f, &ctx);
        struct wipe_fw_outcome out;
        wipe_fake_add_fault(f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                           .command = WIPE_ATA_SEC_ERASE_UNIT,
                                                           .feature = -1,
                                                           .action = WIPE_FAKE_ABORT });
        wipe_fake_add_fault(f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                           .command = WIPE_ATA_SEC_DISABLE_PASSWORD,
                                                           .feature = -1,
                                                           .action = WIPE_FAKE_ABORT });
        assert_int_equal(wipe_ata_security_erase(&f->transport, &c, false, &o, &out), -EIO);
        assert_true(out.password_left_set);
        assert_non_null(strstr(out.detail, "could not be removed"));
        assert_int_equal(ctx.recorded, 1);
        assert_int_equal(ctx.cleared, 0);
        assert_true(f->ata.security_enabled);
        /* Three attempts, no sleeping for real. */
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SEC_DISABLE_PASSWORD), 3);
        assert_true(f->slept_ms > 0);

        /* The daemon's recovery after a restart. */
        f->n_faults = 0;
        f->ata.security_locked = true; /* power cycled meanwhile */
        char detail[200];
        assert_int_equal(wipe_ata_security_recover(&f->transport, ctx.password, detail, sizeof(detail)), 0);
        assert_password_cleared(f);
        /* Nothing to do the second time. */
        assert_int_equal(wipe_ata_security_recover(&f->transport, ctx.password, detail, sizeof(detail)), 0);
        /* Frozen: recovery explains what to do. */
        f->ata.security_enabled = f->ata.security_frozen = true;
        assert_int_equal(wipe_ata_security_recover(&f->transport, ctx.password, detail, sizeof(detail)), -EPERM);
        assert_non_null(strstr(detail, "hot-swap"));
}

/* ---- Sanitize ---- */

static void test_sanitize_actions(void **state) {
        static const struct {
                enum wipe_ata_sanitize_action action;
                uint16_t feature;
                enum wipe_fw_expect expect;
        } cases[] = {
                { WIPE_ATA_SANITIZE_ACTION_CRYPTO, WIPE_ATA_SANITIZE_CRYPTO, WIPE_EXPECT_CHANGED },
                { WIPE_ATA_SANITIZE_ACTION_BLOCK, WIPE_ATA_SANITIZE_BLOCK, WIPE_EXPECT_CHANGED },
                { WIPE_ATA_SANITIZE_ACTION_OVERWRITE, WIPE_ATA_SANITIZE_OVERWRITE, WIPE_EXPECT_ZEROS },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct wipe_fake_ata_profile p = ata_profile(true);
                p.hpa = true;
                p.native_sectors = FW_SECTORS + 64; /* sanitize reaches the HPA too */
                _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
                struct wipe_ata_caps c = probe(f);
                struct test_ctx ctx;
                struct wipe_fw_opts o = test_opts(f, &ctx);
                struct wipe_fw_outcome out;

                assert_int_equal(wipe_ata_sanitize(&f->transport, &c, cases[i].action, &o, &out), 0);
                assert_int_equal(out.expect, cases[i].expect);
                /* Probe status, pre-start status, then the command. */
                const struct wipe_fake_record *r = wipe_fake_find(f, WIPE_FAKE_ATA, WIPE_ATA_SANITIZE, 2);
                assert_non_null(r);
                assert_int_equal(r->feature, cases[i].feature);
                assert_true(r->count & 0x0010); /* FAILURE MODE */
                /* Polled over 20 virtual seconds, at 1 s intervals. */
                assert_true(f->slept_ms >= 20000 && f->slept_ms <= 22000);
                assert_int_equal(out.duration_ms, f->slept_ms);
                assert_true(ctx.progress_calls >= 20);
                assert_false(ctx.progress_decreased);
                assert_int_equal(ctx.last_progress, 65535);
                assert_false(wipe_fake_has_donor_data(f, 0, 4096));
                assert_false(wipe_fake_has_donor_data(f, (uint64_t) FW_SECTORS * 512, 4096));
        }
}

static void test_sanitize_failures(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(true);
        struct test_ctx ctx;
        struct wipe_fw_outcome out;

        /* Fails in the drive: acknowledged so an overwrite can follow. */
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct wipe_fw_opts o = test_opts(f, &ctx);
        f->sanitize_fails = true;
        assert_int_equal(wipe_ata_sanitize(&f->transport, &c, WIPE_ATA_SANITIZE_ACTION_BLOCK, &o, &out), -EIO);
        assert_non_null(strstr(out.detail, "failed"));
        assert_int_equal(f->san, WIPE_FAKE_SAN_IDLE);
        size_t n = wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_SANITIZE);
        assert_true(wipe_fake_find(f, WIPE_FAKE_ATA, WIPE_ATA_SANITIZE, n - 1)->count & 1);

        /* Aborted at once. */
        _cleanup_wipe_fake_ struct wipe_fake *g = new_ata(&p);
        c = probe(g);
        o = test_opts(g, &ctx);
        wipe_fake_add_fault(g, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                           .command = WIPE_ATA_SANITIZE,
                                                           .feature = WIPE_ATA_SANITIZE_CRYPTO,
                                                           .action = WIPE_FAKE_ABORT });
        assert_int_equal(wipe_ata_sanitize(&g->transport, &c, WIPE_ATA_SANITIZE_ACTION_CRYPTO, &o, &out), -EIO);
        assert_non_null(strstr(out.detail, "aborted"));
        assert_true(wipe_fake_has_donor_data(g, 0, 4096));

        /* Frozen by SANITIZE FREEZE LOCK. */
        p.sanitize_frozen = true;
        _cleanup_wipe_fake_ struct wipe_fake *h = new_ata(&p);
        c = probe(h);
        assert_true(c.sanitize_frozen);
        o = test_opts(h, &ctx);
        assert_int_equal(wipe_ata_sanitize(&h->transport, &c, WIPE_ATA_SANITIZE_ACTION_CRYPTO, &o, &out), -EPERM);
        assert_int_equal(wipe_fake_count(h, WIPE_FAKE_ATA, WIPE_ATA_SANITIZE), 2); /* two status queries */

        /* Not supported. */
        p = ata_profile(false);
        _cleanup_wipe_fake_ struct wipe_fake *k = new_ata(&p);
        c = probe(k);
        o = test_opts(k, &ctx);
        assert_int_equal(wipe_ata_sanitize(&k->transport, &c, WIPE_ATA_SANITIZE_ACTION_CRYPTO, &o, &out),
                         -EOPNOTSUPP);

        /* Cancelled while polling; and a drive that never finishes. */
        p = ata_profile(true);
        p.sanitize_ms = 3600000;
        _cleanup_wipe_fake_ struct wipe_fake *m = new_ata(&p);
        c = probe(m);
        o = test_opts(m, &ctx);
        atomic_bool cancel = true;
        o.cancel = &cancel;
        assert_int_equal(wipe_ata_sanitize(&m->transport, &c, WIPE_ATA_SANITIZE_ACTION_BLOCK, &o, &out), -ECANCELED);
        assert_non_null(strstr(out.detail, "goes on"));
        m->ata.sanitize_ms = 7200000;
        m->now_ms += 7200000; /* let it finish: it went on in the drive */
        o = test_opts(m, &ctx);
        o.max_wait_ms = 60000;
        assert_int_equal(wipe_ata_sanitize(&m->transport, &c, WIPE_ATA_SANITIZE_ACTION_BLOCK, &o, &out), -ETIMEDOUT);
        assert_true(m->slept_ms <= 62000 + 1000);
}

/* ---- Hidden areas ---- */

static void test_hpa(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(false);
        p.hpa = true;
        p.native_sectors = FW_SECTORS + 2048;
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct wipe_ata_hidden_policy pol = { .remove_hpa = true };
        struct wipe_ata_hidden h;

        assert_true(c.hpa_enabled);
        assert_int_equal(wipe_fake_visible_bytes(f), (uint64_t) FW_SECTORS * 512);
        assert_int_equal(wipe_ata_hidden_areas(&f->transport, &pol, &c, &h), 0);
        assert_true(h.hpa_found && h.hpa_removed);
        assert_int_equal(h.sectors_before, FW_SECTORS);
        assert_int_equal(h.native_before, FW_SECTORS + 2048);
        assert_int_equal(h.sectors_after, FW_SECTORS + 2048);
        assert_int_equal(h.hidden_after, 0);
        assert_string_equal(h.detail, "");
        assert_int_equal(c.sectors, FW_SECTORS + 2048); /* caps re-probed */
        assert_false(f->ata_hpa_volatile);              /* VV=1: kept over power cycles */
        const struct wipe_fake_record *set = wipe_fake_find(f, WIPE_FAKE_ATA, WIPE_ATA_SET_MAX_EXT, 0);
        assert_non_null(set);
        assert_int_equal(set->lba, FW_SECTORS + 2048 - 1);
        /* READ NATIVE MAX immediately before SET MAX. */
        assert_int_equal((set - 1)->command, WIPE_ATA_READ_NATIVE_MAX_EXT);

        /* Not removable (SET MAX locked): stated. */
        p.native_sectors = FW_SECTORS + 100;
        _cleanup_wipe_fake_ struct wipe_fake *g = new_ata(&p);
        g->set_max_locked = true;
        c = probe(g);
        assert_int_equal(wipe_ata_hidden_areas(&g->transport, &pol, &c, &h), 0);
        assert_true(h.hpa_found);
        assert_false(h.hpa_removed);
        assert_int_equal(h.hidden_after, 100);
        assert_non_null(strstr(h.detail, "hidden area of 100 sectors remains"));
        assert_non_null(strstr(h.detail, "SET MAX ADDRESS EXT"));

        /* Policy: leave it, volatile removal. */
        _cleanup_wipe_fake_ struct wipe_fake *k = new_ata(&p);
        c = probe(k);
        pol.remove_hpa = false;
        assert_int_equal(wipe_ata_hidden_areas(&k->transport, &pol, &c, &h), 0);
        assert_int_equal(h.hidden_after, 100);
        assert_int_equal(wipe_fake_count(k, WIPE_FAKE_ATA, WIPE_ATA_SET_MAX_EXT), 0);
        pol = (struct wipe_ata_hidden_policy) { .remove_hpa = true, .hpa_volatile = true };
        assert_int_equal(wipe_ata_hidden_areas(&k->transport, &pol, &c, &h), 0);
        assert_int_equal(h.hidden_after, 0);
        assert_true(k->ata_hpa_volatile);
}

static void test_dco(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(false);
        p.hpa = p.dco = true;
        p.native_sectors = FW_SECTORS + 64;
        p.dco_sectors = FW_SECTORS + 512;
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct wipe_ata_hidden_policy pol = { .remove_hpa = true };
        struct wipe_ata_hidden h;

        assert_true(c.dco_supported);
        assert_int_equal(wipe_ata_hidden_areas(&f->transport, &pol, &c, &h), 0);
        assert_true(h.hpa_found && h.hpa_removed && h.dco_found);
        assert_false(h.dco_restored);
        assert_int_equal(h.dco_sectors, FW_SECTORS + 512);
        assert_int_equal(h.hidden_after, 512 - 64);
        assert_non_null(strstr(h.detail, "hidden area of 448 sectors remains"));
        assert_non_null(strstr(h.detail, "DCO"));
        assert_int_equal(wipe_fake_count(f, WIPE_FAKE_ATA, WIPE_ATA_DCO), 1); /* identify only */

        /* Restore allowed by policy: HPA first, then DCO. */
        _cleanup_wipe_fake_ struct wipe_fake *g = new_ata(&p);
        c = probe(g);
        pol.dco_restore = true;
        assert_int_equal(wipe_ata_hidden_areas(&g->transport, &pol, &c, &h), 0);
        assert_true(h.dco_restored);
        assert_int_equal(h.hidden_after, 0);
        assert_int_equal(h.sectors_after, FW_SECTORS + 512);
        assert_int_equal(wipe_fake_visible_bytes(g), (uint64_t) (FW_SECTORS + 512) * 512);

        /* Restore refused by the drive. */
        _cleanup_wipe_fake_ struct wipe_fake *k = new_ata(&p);
        c = probe(k);
        wipe_fake_add_fault(k, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_ATA,
                                                           .command = WIPE_ATA_DCO,
                                                           .feature = WIPE_ATA_DCO_RESTORE,
                                                           .action = WIPE_FAKE_ABORT });
        assert_int_equal(wipe_ata_hidden_areas(&k->transport, &pol, &c, &h), 0);
        assert_int_equal(h.hidden_after, 448);
        assert_non_null(strstr(h.detail, "DEVICE CONFIGURATION RESTORE: aborted"));
}

/* ---- Health ---- */

static void test_health(void **state) {
        struct wipe_fake_ata_profile p = ata_profile(false);
        _cleanup_wipe_fake_ struct wipe_fake *f = new_ata(&p);
        struct wipe_ata_caps c = probe(f);
        struct wipe_fw_health h;

        assert_int_equal(wipe_ata_health(&f->transport, &c, &h), 0);
        assert_true(h.known);
        assert_false(h.failing);
        assert_int_equal(h.reallocated, 3);
        assert_int_equal(h.pending, 1);
        assert_int_equal(h.uncorrectable, 0);
        assert_int_equal(h.power_on_hours, 12345);
        assert_int_equal(h.media_errors, -1);
        json_t *j = wipe_fw_health_to_json(&h);
        assert_non_null(j);
        assert_true(json_is_null(json_object_get(j, "media_errors")));
        assert_int_equal(json_integer_value(json_object_get(j, "reallocated_sectors")), 3);
        json_decref(j);

        f->ata.smart_failing = true;
        assert_int_equal(wipe_ata_health(&f->transport, &c, &h), 0);
        assert_true(h.failing);

        /* Bad checksum on the attribute page. */
        uint8_t data[512] = { 1 };
        assert_int_equal(wipe_ata_smart_parse(data, &h), -EBADMSG);

        c.smart_enabled = false;
        assert_int_equal(wipe_ata_health(&f->transport, &c, &h), -EOPNOTSUPP);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identify_parse),
                cmocka_unit_test(test_sat_pt16),
                cmocka_unit_test(test_probe_and_bridge),
                cmocka_unit_test(test_security_erase_normal),
                cmocka_unit_test(test_security_erase_enhanced),
                cmocka_unit_test(test_security_refusals),
                cmocka_unit_test(test_security_failure_paths),
                cmocka_unit_test(test_sanitize_actions),
                cmocka_unit_test(test_sanitize_failures),
                cmocka_unit_test(test_hpa),
                cmocka_unit_test(test_dco),
                cmocka_unit_test(test_health),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
