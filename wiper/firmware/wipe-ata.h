/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "wipe-fw-run.h"
#include "wipe-transport.h"

/* ATA (ACS-3/ACS-4) capabilities and firmware erase commands. */

#define WIPE_ATA_IDENTIFY_DEVICE 0xecu
#define WIPE_ATA_READ_NATIVE_MAX_EXT 0x27u
#define WIPE_ATA_SET_MAX_EXT 0x37u
#define WIPE_ATA_SMART 0xb0u
#define WIPE_ATA_DCO 0xb1u
#define WIPE_ATA_SANITIZE 0xb4u
#define WIPE_ATA_SEC_SET_PASSWORD 0xf1u
#define WIPE_ATA_SEC_UNLOCK 0xf2u
#define WIPE_ATA_SEC_ERASE_PREPARE 0xf3u
#define WIPE_ATA_SEC_ERASE_UNIT 0xf4u
#define WIPE_ATA_SEC_DISABLE_PASSWORD 0xf6u

/* SANITIZE DEVICE features and their signatures in the LBA field. */
#define WIPE_ATA_SANITIZE_STATUS 0x0000u
#define WIPE_ATA_SANITIZE_CRYPTO 0x0011u
#define WIPE_ATA_SANITIZE_BLOCK 0x0012u
#define WIPE_ATA_SANITIZE_OVERWRITE 0x0014u
#define WIPE_ATA_SIG_CRYPTO 0x43727970u /* "Cryp" */
#define WIPE_ATA_SIG_BLOCK 0x426b4572u  /* "BkEr" */
#define WIPE_ATA_SIG_OVERWRITE 0x4f57u  /* "OW", LBA 47:32 */
/* SANITIZE STATUS EXT: COUNT bits of the answer. */
#define WIPE_ATA_SANITIZE_DONE 0x8000u
#define WIPE_ATA_SANITIZE_IN_PROGRESS 0x4000u
#define WIPE_ATA_SANITIZE_FROZEN 0x2000u

/* DEVICE CONFIGURATION features. */
#define WIPE_ATA_DCO_RESTORE 0xc0u
#define WIPE_ATA_DCO_IDENTIFY 0xc2u

struct wipe_ata_caps {
        char model[41], serial[21], firmware[9];
        bool lba48;
        uint64_t sectors; /* user addressable: words 100-103, else 60-61 */
        unsigned logical_sector_size;
        bool rotation_known, non_rotating; /* word 217 */
        /* Security feature set, word 82 bit 1 and word 128. */
        bool security_supported, security_enabled, security_locked, security_frozen;
        bool security_count_expired, security_enhanced_supported, security_master_max;
        /* Erase time estimates (words 89/90) in minutes; 0 = not given.
         * *_over: "more than 508 minutes" (the short format's 255). */
        unsigned erase_minutes, enhanced_erase_minutes;
        bool erase_minutes_over, enhanced_erase_minutes_over;
        /* Sanitize feature set, word 59 bits 12-15. sanitize_frozen comes
         * from SANITIZE STATUS EXT at probe time. */
        bool sanitize_supported, sanitize_crypto, sanitize_block, sanitize_overwrite, sanitize_frozen;
        bool hpa_supported, hpa_enabled, dco_supported;
        bool smart_supported, smart_enabled;
        bool checksum_present; /* word 255 signature 0xA5 (and the sum checked) */
};

/* Parse 512 bytes of IDENTIFY DEVICE data. -EBADMSG when the integrity word
 * is present and wrong, -EMEDIUMTYPE for ATAPI/packet devices (word 0 bit
 * 15), -EINVAL for obviously invalid data (all zeros/ones). */
int wipe_ata_identify_parse(const uint8_t id[512], struct wipe_ata_caps *ret);
/* Send IDENTIFY DEVICE. */
int wipe_ata_identify(const struct wipe_fw_transport *t, uint8_t id[512], struct wipe_ata_result *res);
/* IDENTIFY + parse + SANITIZE STATUS EXT (for sanitize_frozen). */
int wipe_ata_probe(const struct wipe_fw_transport *t, struct wipe_ata_caps *ret);

/* ---- Erase operations (wipe-ata-sanitize.c, wipe-ata-security.c) ---- */

enum wipe_ata_sanitize_action {
        WIPE_ATA_SANITIZE_ACTION_CRYPTO = 0,
        WIPE_ATA_SANITIZE_ACTION_BLOCK,
        WIPE_ATA_SANITIZE_ACTION_OVERWRITE, /* one pass of zeros */
};

/* Start a SANITIZE operation and poll SANITIZE STATUS EXT until it ends.
 * A failed operation is acknowledged (CLEAR SANITIZE OPERATION FAILED; we
 * set FAILURE MODE) so that the drive accepts an overwrite afterwards. */
int wipe_ata_sanitize(const struct wipe_fw_transport *t, const struct wipe_ata_caps *caps,
                      enum wipe_ata_sanitize_action action, const struct wipe_fw_opts *opts,
                      struct wipe_fw_outcome *out);

/* SECURITY SET PASSWORD (user) → SECURITY ERASE PREPARE → SECURITY ERASE
 * UNIT, the last with a timeout from IDENTIFY words 89/90. On every path
 * the password is removed again (DISABLE PASSWORD, or UNLOCK then DISABLE)
 * and the drive is checked with IDENTIFY; out->password_left_set tells when
 * that failed. */
int wipe_ata_security_erase(const struct wipe_fw_transport *t, const struct wipe_ata_caps *caps, bool enhanced,
                            const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out);
/* Why the drive cannot take a security erase in this state (frozen,
 * locked, unsupported...); NULL when it can. *error gets the errno. */
const char *wipe_ata_security_refusal(const struct wipe_ata_caps *c, bool enhanced, int *error);
/* Unlock and disable a password left by an interrupted run (daemon
 * restart). 0 when the drive ends without a password. */
int wipe_ata_security_recover(const struct wipe_fw_transport *t, const char *password, char *detail, size_t len);
/* Timeout for SECURITY ERASE UNIT from the estimates, in ms. */
unsigned wipe_ata_security_erase_timeout_ms(const struct wipe_ata_caps *caps, bool enhanced);

/* ---- Hidden areas (wipe-ata-hidden.c) ---- */

struct wipe_ata_hidden_policy {
        bool remove_hpa;
        bool hpa_volatile; /* SET MAX ADDRESS EXT with VV=0: the HPA comes back at power-on */
        bool dco_restore;
};

struct wipe_ata_hidden {
        uint64_t sectors_before; /* IDENTIFY before anything */
        uint64_t native_before;  /* READ NATIVE MAX ADDRESS EXT + 1; 0 = unknown */
        uint64_t dco_sectors;    /* DEVICE CONFIGURATION IDENTIFY max + 1; 0 = unknown */
        uint64_t sectors_after;  /* IDENTIFY at the end */
        uint64_t hidden_after;   /* sectors known to exist beyond sectors_after */
        bool hpa_found, hpa_removed, dco_found, dco_restored;
        char detail[256];        /* "hidden area of N sectors remains: ..." or "" */
};

/* Look for a Host Protected Area and a Device Configuration Overlay and,
 * per policy, remove them; caps is re-probed at the end (a DCO restore
 * can re-enable feature sets). Returns 0 also when something hidden could
 * not be removed: see ret->hidden_after and ret->detail. */
int wipe_ata_hidden_areas(const struct wipe_fw_transport *t, const struct wipe_ata_hidden_policy *policy,
                          struct wipe_ata_caps *caps, struct wipe_ata_hidden *ret);

/* ---- Health (wipe-ata.c) ---- */

/* SMART RETURN STATUS and SMART READ DATA (attributes 5, 9, 197, 198). */
int wipe_ata_health(const struct wipe_fw_transport *t, const struct wipe_ata_caps *caps, struct wipe_fw_health *ret);
/* Parse SMART READ DATA (512 bytes) into ret (attributes only). */
int wipe_ata_smart_parse(const uint8_t data[512], struct wipe_fw_health *ret);
