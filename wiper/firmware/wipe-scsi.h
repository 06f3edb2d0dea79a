/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "wipe-fw-run.h"
#include "wipe-transport.h"

/* SCSI (SPC-5/SBC-4) capabilities and SANITIZE. */

#define WIPE_SCSI_REQUEST_SENSE 0x03u
#define WIPE_SCSI_INQUIRY 0x12u
#define WIPE_SCSI_SANITIZE 0x48u
#define WIPE_SCSI_SERVICE_ACTION_IN_16 0x9eu
#define WIPE_SCSI_MAINTENANCE_IN 0xa3u
#define WIPE_SCSI_RSOC_SA 0x0cu

#define WIPE_SCSI_SANITIZE_OVERWRITE 0x01u
#define WIPE_SCSI_SANITIZE_BLOCK 0x02u
#define WIPE_SCSI_SANITIZE_CRYPTO 0x03u
#define WIPE_SCSI_SANITIZE_EXIT_FAILURE 0x1fu

struct wipe_scsi_caps {
        char vendor[9], product[17], revision[5];
        uint8_t device_type;    /* 0 = direct access block device */
        bool sat;               /* VPD page 0x89: an ATA drive behind a SATL */
        bool rsoc_supported;    /* REPORT SUPPORTED OPERATION CODES answered */
        bool sanitize_overwrite, sanitize_block, sanitize_crypto;
        bool rotation_known, non_rotating; /* VPD page 0xB1 */
        uint64_t sectors;       /* READ CAPACITY(16) */
        unsigned logical_sector_size;
};

/* INQUIRY, VPD pages 0x00/0x89/0xB1, READ CAPACITY(16), REPORT SUPPORTED
 * OPERATION CODES for the three SANITIZE service actions. */
int wipe_scsi_probe(const struct wipe_fw_transport *t, struct wipe_scsi_caps *ret);
/* Standard INQUIRY data. */
int wipe_scsi_inquiry_parse(const uint8_t *data, size_t len, struct wipe_scsi_caps *ret);

/* SANITIZE (IMMED) with the service action, then REQUEST SENSE polling
 * (sense key specific progress) until the unit is ready again. */
int wipe_scsi_sanitize(const struct wipe_fw_transport *t, const struct wipe_scsi_caps *caps, uint8_t service_action,
                       const struct wipe_fw_opts *opts, struct wipe_fw_outcome *out);
