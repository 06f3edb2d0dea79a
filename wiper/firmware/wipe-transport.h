/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How firmware-level erase commands reach a drive. Three operations: an
 * ATA command (sent as SCSI/ATA Translation ATA PASS-THROUGH(16) unless the
 * backend implements it directly), an NVMe admin command, a SCSI command.
 *
 * Named wipe_fw_transport: "enum wipe_transport" (wipe-device.h) already
 * uses the tag.
 *
 * Return convention of every operation: 0 when the command reached the
 * device and an answer came back (look at the status in the result: a
 * device may well refuse the command), or a negative errno when it did not:
 *   -ETIMEDOUT    no answer within the timeout (the kernel reset the link);
 *   -EOPNOTSUPP   the path cannot carry this kind of command (a USB bridge
 *                 that rejects ATA PASS-THROUGH, NVMe on a SCSI device...);
 *   -ENODEV       the device went away;
 *   -EIO, ...     other transport failures. */

enum wipe_ata_protocol {
        WIPE_ATA_NON_DATA = 0,
        WIPE_ATA_PIO_IN,
        WIPE_ATA_PIO_OUT,
};

/* ATA status register bits. */
#define WIPE_ATA_STATUS_ERR 0x01u
#define WIPE_ATA_STATUS_DF 0x20u
#define WIPE_ATA_STATUS_DRDY 0x40u
#define WIPE_ATA_STATUS_BSY 0x80u
/* ATA error register bits. */
#define WIPE_ATA_ERROR_ABRT 0x04u
#define WIPE_ATA_ERROR_IDNF 0x10u

struct wipe_ata_cmd {
        uint16_t feature;
        uint16_t count;
        uint64_t lba; /* 48 bits */
        uint8_t device;
        uint8_t command;
        enum wipe_ata_protocol protocol;
        void *data;   /* PIO: multiple of 512 bytes */
        size_t len;
        unsigned timeout_ms;
};

struct wipe_ata_result {
        bool have_regs;   /* the ATA registers below were returned by the device */
        bool lba_partial; /* only LBA bits 23:0 could be returned (fixed-format sense) */
        uint8_t status, error, device;
        uint16_t count;
        uint64_t lba;
};

struct wipe_nvme_cmd {
        uint8_t opcode;
        uint32_t nsid;
        uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
        void *data;
        size_t len;
        bool to_device; /* data direction: host to controller */
        unsigned timeout_ms;
};

struct wipe_nvme_result {
        uint16_t status; /* Status Code Type << 8 | Status Code; 0 = success */
        uint32_t dw0;
};

enum wipe_scsi_dir {
        WIPE_SCSI_NONE = 0,
        WIPE_SCSI_FROM_DEVICE,
        WIPE_SCSI_TO_DEVICE,
};

#define WIPE_SCSI_SENSE_MAX 64

/* SCSI status and sense keys used here. */
#define WIPE_SCSI_GOOD 0x00u
#define WIPE_SCSI_CHECK_CONDITION 0x02u
#define WIPE_SENSE_NO_SENSE 0x0u
#define WIPE_SENSE_RECOVERED 0x1u
#define WIPE_SENSE_NOT_READY 0x2u
#define WIPE_SENSE_MEDIUM_ERROR 0x3u
#define WIPE_SENSE_ILLEGAL_REQUEST 0x5u
#define WIPE_SENSE_ABORTED_COMMAND 0xbu

struct wipe_scsi_cmd {
        const uint8_t *cdb;
        size_t cdb_len; /* 6..16 */
        enum wipe_scsi_dir dir;
        void *data;
        size_t len;
        unsigned timeout_ms;
};

struct wipe_scsi_result {
        uint8_t status;
        uint8_t sense[WIPE_SCSI_SENSE_MAX];
        size_t sense_len;
        size_t resid; /* bytes not transferred */
};

struct wipe_fw_transport_ops {
        /* May be NULL: ATA commands then go through scsi() as SAT
         * ATA PASS-THROUGH(16). */
        int (*ata)(void *userdata, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *ret);
        int (*nvme_admin)(void *userdata, const struct wipe_nvme_cmd *cmd, struct wipe_nvme_result *ret);
        int (*scsi)(void *userdata, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *ret);
        void (*free)(void *userdata); /* may be NULL */
};

enum wipe_fw_bus {
        WIPE_FW_BUS_SCSI = 0, /* SG_IO: SATA through libata, SAS, USB bridges */
        WIPE_FW_BUS_NVME,
};

struct wipe_fw_transport {
        const struct wipe_fw_transport_ops *ops;
        void *userdata;
        enum wipe_fw_bus bus;
        uint32_t nsid; /* NVMe: namespace of the block device (NVME_IOCTL_ID); 0 otherwise */
};

/* Time for polling loops: tests pass a virtual clock, so that nothing in a
 * test really sleeps. */
struct wipe_fw_clock {
        uint64_t (*now_ms)(void *userdata); /* monotonic */
        void (*sleep_ms)(void *userdata, unsigned ms);
        void *userdata;
};

/* CLOCK_MONOTONIC and nanosleep(). */
extern const struct wipe_fw_clock wipe_fw_clock_system;

/* ---- Sending commands ---- */

/* An ATA command; 0 also when the device answered with ERR set. */
int wipe_fw_ata(const struct wipe_fw_transport *t, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *ret);
/* The same, and the device must have accepted it: -EIO when the status has
 * ERR or DF (the registers stay in *ret for the caller's message). */
int wipe_fw_ata_ok(const struct wipe_fw_transport *t, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *ret);
int wipe_fw_nvme_admin(const struct wipe_fw_transport *t, const struct wipe_nvme_cmd *cmd,
                       struct wipe_nvme_result *ret);
int wipe_fw_scsi(const struct wipe_fw_transport *t, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *ret);

/* ---- SAT (SCSI/ATA Translation) encoding, exposed for the tests ---- */

#define WIPE_SAT_ATA_PT16 0x85u
/* Fill a 16-byte ATA PASS-THROUGH(16) CDB with CK_COND set, so that the
 * device returns the ATA registers in an ATA Status Return descriptor. */
int wipe_sat_build_pt16(const struct wipe_ata_cmd *cmd, uint8_t cdb[16]);
/* Decode the answer to such a CDB: descriptor (0x72/0x73, descriptor 0x09)
 * or fixed (0x70/0x71) sense. -EOPNOTSUPP when the device or bridge
 * rejected the CDB itself (ILLEGAL REQUEST without ATA registers). */
int wipe_sat_decode(const struct wipe_scsi_result *r, struct wipe_ata_result *ret);
/* Build the 16-byte descriptor-format sense a SATL returns (tests). */
size_t wipe_sat_build_sense(const struct wipe_ata_result *regs, uint8_t *sense, size_t max);

/* ---- Sense data ---- */

struct wipe_sense {
        bool valid;
        uint8_t key, asc, ascq;
        bool progress_valid;
        uint16_t progress; /* sense-key specific progress indication, 0..65535 */
};
/* Parse fixed or descriptor format sense data. */
void wipe_sense_parse(const uint8_t *sense, size_t len, struct wipe_sense *ret);

/* ---- The Linux implementation ---- */

/* Wrap an open descriptor of the whole-disk device (not taken over: the
 * caller closes it after freeing the transport). bus NVME uses
 * NVME_IOCTL_ADMIN_CMD, SCSI uses SG_IO. */
int wipe_fw_transport_new_linux(int fd, enum wipe_fw_bus bus, struct wipe_fw_transport **ret);
void wipe_fw_transport_free(struct wipe_fw_transport *t);
static inline void wipe_fw_transport_freep(struct wipe_fw_transport **p) {
        if (*p)
                wipe_fw_transport_free(*p);
}
#define _cleanup_wipe_fw_transport_ __attribute__((cleanup(wipe_fw_transport_freep)))

/* "ATA", "NVMe", "SCSI" names for records. */
const char *wipe_fw_bus_to_string(enum wipe_fw_bus b);
