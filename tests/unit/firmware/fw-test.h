/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Helpers shared by the firmware unit tests: drive profiles and options
 * bound to the fake's virtual clock. Include after <cmocka.h>. */

#include <stdio.h>
#include <string.h>

#include "wipe-fake-transport.h"
#include "wipe-fw-run.h"

#define FW_SECTORS 8192u /* 4 MiB media: small and quick */

static inline struct wipe_fake_ata_profile ata_profile(bool ssd) {
        return (struct wipe_fake_ata_profile) {
                .model = "Refurb Test SSD 120GB",
                .serial = "S3R1AL0001",
                .firmware = "FW1.0",
                .sectors = FW_SECTORS,
                .ssd = ssd,
                .smart = true,
                .security = true,
                .enhanced = true,
                .erase_time_word = 2,          /* 4 minutes */
                .enhanced_time_word = 0x8000 | 300, /* extended format: 600 minutes */
                .sanitize = ssd,
                .sanitize_crypto = ssd,
                .sanitize_block = ssd,
                .sanitize_overwrite = ssd,
                .sanitize_ms = 20000,
                .reallocated = 3,
                .pending = 1,
                .uncorrectable = 0,
                .power_on_hours = 12345,
        };
}

static inline struct wipe_fake_nvme_profile nvme_profile(uint32_t sanicap, uint8_t fna) {
        return (struct wipe_fake_nvme_profile) {
                .model = "Refurb NVMe 256",
                .serial = "NV0001",
                .firmware = "1.2.3",
                .oacs = 0x0006, /* format + firmware */
                .sanicap = sanicap,
                .fna = fna,
                .nn = 1,
                .nsze = FW_SECTORS,
                .lbads = 9,
                .sanitize_ms = 30000,
                .percentage_used = 7,
                .power_on_hours = 4321,
                .media_errors = 2,
        };
}

struct test_ctx {
        unsigned progress_calls;
        unsigned last_progress;
        bool progress_decreased;
        unsigned recorded, cleared;
        char serial[32], password[40];
        int record_error;
        const struct wipe_fake *fake;
        bool enabled_when_recorded; /* drive state when the record was written */
};

static inline void test_progress(unsigned progress, void *userdata) {
        struct test_ctx *c = userdata;
        if (c->progress_calls && progress < c->last_progress)
                c->progress_decreased = true;
        c->progress_calls++;
        c->last_progress = progress;
}

static inline int test_password_before(const char *serial, const char *password, void *userdata) {
        struct test_ctx *c = userdata;
        if (c->record_error)
                return c->record_error;
        c->recorded++;
        snprintf(c->serial, sizeof(c->serial), "%s", serial);
        snprintf(c->password, sizeof(c->password), "%s", password);
        if (c->fake)
                c->enabled_when_recorded = c->fake->ata.security_enabled;
        return 0;
}

static inline void test_password_cleared(const char *serial, void *userdata) {
        struct test_ctx *c = userdata;
        c->cleared++;
}

static inline struct wipe_fw_opts test_opts(struct wipe_fake *f, struct test_ctx *c) {
        *c = (struct test_ctx) { .fake = f };
        return (struct wipe_fw_opts) {
                .clock = &f->clock,
                .poll_interval_ms = 1000,
                .on_progress = test_progress,
                .password_set_before = test_password_before,
                .password_cleared = test_password_cleared,
                .userdata = c,
        };
}
