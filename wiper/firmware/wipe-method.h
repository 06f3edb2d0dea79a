/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "wipe-caps.h"
#include "wipe-fw-run.h"

/* Which erase method a drive gets, in which order, and the NIST SP 800-88
 * category each achieves once the media was read back and found erased.
 * The overwrite itself (Clear) is run by the caller with the overwrite
 * engine (wipe-overwrite.h): a plan always ends with it. */

enum wipe_method {
        WIPE_METHOD_NVME_SANITIZE_CRYPTO = 0,
        WIPE_METHOD_NVME_SANITIZE_BLOCK,
        WIPE_METHOD_NVME_SANITIZE_OVERWRITE,
        WIPE_METHOD_NVME_FORMAT_CRYPTO,    /* Format NVM SES=2 */
        WIPE_METHOD_NVME_FORMAT_USER_DATA, /* Format NVM SES=1 */
        WIPE_METHOD_ATA_SANITIZE_CRYPTO,
        WIPE_METHOD_ATA_SANITIZE_BLOCK,
        WIPE_METHOD_ATA_SANITIZE_OVERWRITE,
        WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED,
        WIPE_METHOD_ATA_SECURITY_ERASE,
        WIPE_METHOD_SCSI_SANITIZE_CRYPTO,
        WIPE_METHOD_SCSI_SANITIZE_BLOCK,
        WIPE_METHOD_SCSI_SANITIZE_OVERWRITE,
        WIPE_METHOD_OVERWRITE, /* the caller's overwrite engine */
        _WIPE_METHOD_MAX,
};

enum wipe_category {
        WIPE_CATEGORY_NONE = 0,
        WIPE_CATEGORY_CLEAR,
        WIPE_CATEGORY_PURGE,
};

enum wipe_hdd_default {
        WIPE_HDD_OVERWRITE = 0,             /* Clear */
        WIPE_HDD_SECURITY_ERASE_ENHANCED,   /* Purge, overwrite when unavailable */
};

struct wipe_policy {
        enum wipe_hdd_default ata_hdd;
        bool allow_crypto_erase;       /* sanitize crypto / Format SES=2 / crypto scramble */
        bool allow_ata_security_erase;
        bool allow_nvme_format;
        bool allow_sanitize_overwrite; /* slow on large drives */
        /* Categories where the standards leave room: Format NVM (NIST SP
         * 800-88r1 lists SES=1/2 under Purge) and the normal (not
         * enhanced) ATA security erase, which skips reallocated sectors. */
        enum wipe_category nvme_format_category;   /* default PURGE */
        enum wipe_category ata_normal_erase_category; /* default CLEAR */
        struct wipe_ata_hidden_policy hidden;      /* default: remove HPA (permanently), keep DCO */
};

void wipe_policy_init(struct wipe_policy *p);

enum wipe_step_state {
        WIPE_STEP_PLANNED = 0,
        WIPE_STEP_SKIPPED,
};

struct wipe_plan_step {
        enum wipe_method method;
        enum wipe_category category;
        enum wipe_step_state state;
        char reason[200]; /* why skipped */
};

/* Steps in the order they are tried: planned ones first (at most one
 * firmware method, then the overwrite), then the skipped ones with their
 * reasons, for the record. */
struct wipe_plan {
        struct wipe_plan_step steps[_WIPE_METHOD_MAX];
        size_t n_steps;
};

int wipe_method_plan(const struct wipe_caps *caps, const struct wipe_policy *policy, struct wipe_plan *ret);
/* The first planned step (the method to run). */
const struct wipe_plan_step *wipe_plan_first(const struct wipe_plan *plan);

/* ---- Running ---- */

struct wipe_method_result {
        /* What erased the drive once validated; WIPE_METHOD_OVERWRITE means
         * the firmware did nothing usable and the caller must overwrite. */
        enum wipe_method method;
        enum wipe_category category; /* granted only if the read-back validation passes */
        enum wipe_fw_expect expect;  /* what that validation must find */
        struct wipe_fw_outcome firmware; /* the firmware attempt, if any */
        bool attempted;
        /* Why the result is Clear by overwrite: "Purge impossible: <reason>"
         * or the failed attempt's detail. Empty when a firmware method worked. */
        char fallback_reason[320];
};

/* Run the first planned firmware step. Returns 0 when the plan went as far
 * as it could (check ret->method: OVERWRITE = go on with the overwrite
 * engine); a negative errno when the job must stop instead: the drive was
 * left with our ATA password (-EACCES, ret->firmware.password_left_set),
 * the drive went away (-ENODEV), the run was cancelled (-ECANCELED), or a
 * sanitize is still running in the drive (-ETIMEDOUT: it refuses writes). */
int wipe_method_run(const struct wipe_fw_transport *t, const struct wipe_caps *caps, const struct wipe_plan *plan,
                    const struct wipe_fw_opts *opts, struct wipe_method_result *ret);

const char *wipe_method_to_string(enum wipe_method m);
const char *wipe_category_to_string(enum wipe_category c);
bool wipe_method_is_firmware(enum wipe_method m);
json_t *wipe_plan_to_json(const struct wipe_plan *plan);
json_t *wipe_method_result_to_json(const struct wipe_method_result *r);
