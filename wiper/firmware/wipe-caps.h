/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "wipe-ata.h"
#include "wipe-nvme.h"
#include "wipe-scsi.h"
#include "wipe-transport.h"

/* What a drive can do at the firmware level, as probed through a
 * transport. One of ata/nvme/scsi is filled, per kind. */

enum wipe_fw_kind {
        WIPE_FW_KIND_NONE = 0, /* nothing usable answered: overwrite only */
        WIPE_FW_KIND_ATA,      /* ATA commands reach the drive (libata, SAT bridge) */
        WIPE_FW_KIND_NVME,
        WIPE_FW_KIND_SCSI,     /* SCSI/SAS, or an ATA drive behind a bridge without pass-through */
};

struct wipe_caps {
        enum wipe_fw_kind kind;
        enum wipe_fw_bus bus;
        bool ata_passthrough; /* ATA PASS-THROUGH(16) reached an ATA drive */
        /* The path refused ATA PASS-THROUGH(16) (ILLEGAL REQUEST): a SAS
         * drive, or a USB bridge hiding an ATA drive. The note says so only
         * when VPD page 0x89 proves an ATA drive; the caller, which knows
         * the bus (USB), can say more. */
        bool ata_passthrough_rejected;
        bool solid_state;     /* NVMe, ATA word 217 = 1, SCSI VPD B1 rate = 1 */
        char note[160];       /* "ATA pass-through unsupported by the bridge (ILLEGAL REQUEST)" ... */
        struct wipe_ata_caps ata;
        struct wipe_nvme_caps nvme;
        struct wipe_scsi_caps scsi;
};

/* Probe: NVMe Identify on an NVMe transport; otherwise ATA IDENTIFY DEVICE
 * through ATA PASS-THROUGH(16), and when the path refuses it (a USB bridge
 * answering ILLEGAL REQUEST), the SCSI view (INQUIRY, VPD, REPORT
 * SUPPORTED OPERATION CODES). Returns 0 with kind NONE when nothing
 * usable answered (see note); a negative errno for ENODEV/ENOMEM. */
int wipe_caps_probe(const struct wipe_fw_transport *t, struct wipe_caps *ret);

json_t *wipe_caps_to_json(const struct wipe_caps *c);
json_t *wipe_fw_health_to_json(const struct wipe_fw_health *h);

const char *wipe_fw_kind_to_string(enum wipe_fw_kind k);
