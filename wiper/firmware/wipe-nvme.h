/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "wipe-fw-run.h"
#include "wipe-transport.h"

/* NVMe (base specification 1.4/2.0) capabilities and erase commands. */

#define WIPE_NVME_ADMIN_GET_LOG_PAGE 0x02u
#define WIPE_NVME_ADMIN_IDENTIFY 0x06u
#define WIPE_NVME_ADMIN_FORMAT_NVM 0x80u
#define WIPE_NVME_ADMIN_SANITIZE 0x84u

#define WIPE_NVME_LOG_SMART 0x02u
#define WIPE_NVME_LOG_SANITIZE 0x81u

#define WIPE_NVME_SANACT_EXIT_FAILURE 1u
#define WIPE_NVME_SANACT_BLOCK 2u
#define WIPE_NVME_SANACT_OVERWRITE 3u
#define WIPE_NVME_SANACT_CRYPTO 4u

/* Sanitize Status log, SSTAT bits 2:0. */
#define WIPE_NVME_SSTAT_NEVER 0u
#define WIPE_NVME_SSTAT_DONE 1u
#define WIPE_NVME_SSTAT_IN_PROGRESS 2u
#define WIPE_NVME_SSTAT_FAILED 3u
#define WIPE_NVME_SSTAT_DONE_NO_DEALLOC 4u

/* Format NVM CDW10: Secure Erase Settings, bits 11:9. */
#define WIPE_NVME_SES_SHIFT 9
#define WIPE_NVME_SES_MASK (7u << WIPE_NVME_SES_SHIFT)
#define WIPE_NVME_SES_USER_DATA 1u
#define WIPE_NVME_SES_CRYPTO 2u

struct wipe_nvme_caps {
        char model[41], serial[21], firmware[9];
        uint16_t oacs;
        uint32_t sanicap;
        uint8_t fna;
        uint32_t nn;
        bool format_supported;       /* OACS bit 1 */
        bool sanitize_crypto, sanitize_block, sanitize_overwrite; /* SANICAP bits 0, 1, 2 */
        bool format_all_namespaces;  /* FNA bit 0 */
        bool erase_all_namespaces;   /* FNA bit 1 */
        bool crypto_erase_supported; /* FNA bit 2 */
        /* The namespace of the block device (Identify Namespace). */
        uint32_t nsid;
        uint64_t nsze;
        uint32_t lba_size;
        uint8_t flbas, dps, nlbaf, dlfeat;
        unsigned lbaf_index; /* the format in use */
};

/* Parse Identify Controller / Identify Namespace data (4096 bytes). */
int wipe_nvme_id_ctrl_parse(const uint8_t data[4096], struct wipe_nvme_caps *ret);
int wipe_nvme_id_ns_parse(const uint8_t data[4096], struct wipe_nvme_caps *caps);
/* Identify Controller + Identify Namespace nsid. */
int wipe_nvme_probe(const struct wipe_fw_transport *t, uint32_t nsid, struct wipe_nvme_caps *ret);

int wipe_nvme_get_log(const struct wipe_fw_transport *t, uint8_t lid, uint32_t nsid, void *buf, size_t len,
                      struct wipe_nvme_result *res);

struct wipe_nvme_sanitize_status {
        uint16_t sprog;
        uint8_t state; /* WIPE_NVME_SSTAT_* */
        bool global_data_erased;
        uint32_t scdw10;
        uint32_t estimate_s[3]; /* overwrite, block, crypto; 0xffffffff = none */
};
int wipe_nvme_sanitize_status_parse(const uint8_t *log, size_t len, struct wipe_nvme_sanitize_status *ret);

/* CDW10 of a Format NVM keeping the namespace's current format, with the
 * given Secure Erase Settings (1 or 2; anything else is refused). */
int wipe_nvme_format_cdw10(const struct wipe_nvme_caps *caps, unsigned ses, uint32_t *ret);
/* Format NVM with SES 1 (user data erase) or 2 (cryptographic erase).
 * There is no way to send SES=0 through this function. */
int wipe_nvme_format(const struct wipe_fw_transport *t, const struct wipe_nvme_caps *caps, unsigned ses,
                     const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out);
/* Sanitize (SANACT 2, 3 or 4) with AUSE set, polling the Sanitize Status
 * log; a failed sanitize is followed by Exit Failure Mode. */
int wipe_nvme_sanitize(const struct wipe_fw_transport *t, const struct wipe_nvme_caps *caps, unsigned sanact,
                       const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out);

/* SMART / Health Information log. */
int wipe_nvme_smart_parse(const uint8_t *log, size_t len, struct wipe_fw_health *ret);
int wipe_nvme_health(const struct wipe_fw_transport *t, struct wipe_fw_health *ret);

const char *wipe_nvme_status_to_string(uint16_t status);
