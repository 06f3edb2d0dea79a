/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "wipe-transport.h"

/* Options and outcome shared by every firmware erase operation. */

/* What reading the media back must show after an operation that reported
 * success (see wipe-fw-validate.h). */
enum wipe_fw_expect {
        WIPE_EXPECT_CHANGED = 0, /* no sampled block still holds its pre-erase content */
        WIPE_EXPECT_ZEROS,
        WIPE_EXPECT_ONES,
};

/* The temporary ATA user password, when the caller gives none. It is
 * well-known on purpose: a drive left locked by a crash can always be
 * unlocked, even if the record of the password was lost (see
 * docs/firmware-erase.md). It protects nothing: the drive is being erased. */
#define WIPE_ATA_DEFAULT_PASSWORD "refurb-erase"

struct wipe_fw_opts {
        const struct wipe_fw_clock *clock; /* NULL: wipe_fw_clock_system */
        const atomic_bool *cancel;         /* may be NULL; polling stops (the drive goes on) */
        unsigned poll_interval_ms;         /* 0: 2000 */
        uint64_t max_wait_ms;              /* 0: 48 h; a long operation is given up after this */
        /* Progress of polled operations, 0..65535 (may be NULL). */
        void (*on_progress)(unsigned progress, void *userdata);
        /* ATA security erase. password_set_before() is called before the
         * temporary password is set, and must persist (serial, password)
         * so that a restarted daemon can unlock and disable it; a negative
         * return stops the erase before anything is set. password_cleared()
         * is called once the drive was seen without a password again. */
        int (*password_set_before)(const char *serial, const char *password, void *userdata);
        void (*password_cleared)(const char *serial, void *userdata);
        const char *ata_password; /* NULL: WIPE_ATA_DEFAULT_PASSWORD; at most 32 bytes */
        void *userdata;
};

struct wipe_fw_outcome {
        int error;             /* 0: the drive reported success; negative errno otherwise */
        char detail[256];      /* why it failed, for people: "SECURITY ERASE UNIT: aborted by the drive" */
        enum wipe_fw_expect expect;
        bool password_left_set; /* ATA: our temporary password could not be removed */
        uint64_t duration_ms;
};

/* Health figures; -1 where unknown. */
struct wipe_fw_health {
        bool known;
        bool failing;              /* ATA SMART threshold exceeded, NVMe critical warning */
        int critical_warning;      /* NVMe */
        int percentage_used;       /* NVMe */
        int64_t reallocated;       /* ATA attribute 5 */
        int64_t pending;           /* ATA attribute 197 */
        int64_t uncorrectable;     /* ATA attribute 198 */
        int64_t power_on_hours;    /* ATA attribute 9, NVMe SMART log */
        int64_t media_errors;      /* NVMe */
};

/* All figures unknown (-1). */
void wipe_fw_health_init(struct wipe_fw_health *h);

/* ---- Helpers for the operations (not for callers) ---- */

const struct wipe_fw_clock *wipe_fw_opts_clock(const struct wipe_fw_opts *o);
unsigned wipe_fw_opts_poll_ms(const struct wipe_fw_opts *o);
uint64_t wipe_fw_opts_max_wait_ms(const struct wipe_fw_opts *o);
bool wipe_fw_opts_cancelled(const struct wipe_fw_opts *o);
void wipe_fw_opts_progress(const struct wipe_fw_opts *o, unsigned progress);
/* Set out->error = error and format out->detail; returns error. */
int wipe_fw_fail(struct wipe_fw_outcome *out, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "timed out", "aborted by the drive (error 0x04)"... for an ATA answer. */
void wipe_fw_ata_describe(int r, const struct wipe_ata_result *res, char *buf, size_t len);
