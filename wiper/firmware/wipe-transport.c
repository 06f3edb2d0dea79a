/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "rf-macro.h"
#include "wipe-transport.h"

/* ---- Clock ---- */

static uint64_t system_now_ms(void *userdata) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static void system_sleep_ms(void *userdata, unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long) (ms % 1000u) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

const struct wipe_fw_clock wipe_fw_clock_system = {
        .now_ms = system_now_ms,
        .sleep_ms = system_sleep_ms,
};

const char *wipe_fw_bus_to_string(enum wipe_fw_bus b) {
        switch (b) {
        case WIPE_FW_BUS_SCSI:
                return "scsi";
        case WIPE_FW_BUS_NVME:
                return "nvme";
        }
        return "unknown";
}

/* ---- Sense data ---- */

void wipe_sense_parse(const uint8_t *sense, size_t len, struct wipe_sense *ret) {
        *ret = (struct wipe_sense) {};
        if (!sense || len < 2)
                return;
        uint8_t code = sense[0] & 0x7f;
        if (code == 0x72 || code == 0x73) {
                if (len < 4)
                        return;
                ret->valid = true;
                ret->key = sense[1] & 0x0f;
                ret->asc = sense[2];
                ret->ascq = sense[3];
                size_t end = len < 8 ? len : MIN(len, (size_t) 8 + sense[7]);
                for (size_t p = 8; p + 2 <= end;) {
                        size_t dlen = (size_t) sense[p + 1] + 2;
                        if (p + dlen > end)
                                break;
                        /* Sense key specific descriptor: progress indication. */
                        if (sense[p] == 0x02 && dlen >= 8 && (sense[p + 4] & 0x80)) {
                                ret->progress_valid = true;
                                ret->progress = (uint16_t) (sense[p + 5] << 8 | sense[p + 6]);
                        }
                        p += dlen;
                }
        } else if (code == 0x70 || code == 0x71) {
                if (len < 3)
                        return;
                ret->valid = true;
                ret->key = sense[2] & 0x0f;
                if (len >= 14) {
                        ret->asc = sense[12];
                        ret->ascq = sense[13];
                }
                if (len >= 18 && (sense[15] & 0x80)) {
                        ret->progress_valid = true;
                        ret->progress = (uint16_t) (sense[16] << 8 | sense[17]);
                }
        }
}

/* ---- SAT ATA PASS-THROUGH(16) ---- */

int wipe_sat_build_pt16(const struct wipe_ata_cmd *cmd, uint8_t cdb[16]) {
        if (!cmd || !cdb)
                return -EINVAL;
        if (cmd->lba >> 48)
                return -EINVAL;
        memset(cdb, 0, 16);
        cdb[0] = WIPE_SAT_ATA_PT16;

        uint8_t protocol, flags = 0;
        switch (cmd->protocol) {
        case WIPE_ATA_NON_DATA:
                if (cmd->len)
                        return -EINVAL;
                protocol = 3;
                /* CK_COND: the registers are the answer. Only here: Linux's
                 * libata aborts data transfers (IDENTIFY...) that ask for
                 * them, and a data command's answer is its data. */
                flags = 0x20;
                break;
        case WIPE_ATA_PIO_IN:
        case WIPE_ATA_PIO_OUT:
                if (!cmd->data || cmd->len == 0 || cmd->len % 512 || cmd->len / 512 > 0xffff)
                        return -EINVAL;
                protocol = cmd->protocol == WIPE_ATA_PIO_IN ? 4 : 5;
                /* Length in 512-byte blocks, given by the COUNT field. */
                flags |= 0x04 | 0x02 | (cmd->protocol == WIPE_ATA_PIO_IN ? 0x08 : 0);
                break;
        default:
                return -EINVAL;
        }
        cdb[1] = (uint8_t) (protocol << 1 | 0x01); /* EXTEND: 48-bit registers */
        cdb[2] = flags;
        cdb[3] = (uint8_t) (cmd->feature >> 8);
        cdb[4] = (uint8_t) cmd->feature;
        cdb[5] = (uint8_t) (cmd->count >> 8);
        cdb[6] = (uint8_t) cmd->count;
        cdb[7] = (uint8_t) (cmd->lba >> 24);
        cdb[8] = (uint8_t) cmd->lba;
        cdb[9] = (uint8_t) (cmd->lba >> 32);
        cdb[10] = (uint8_t) (cmd->lba >> 8);
        cdb[11] = (uint8_t) (cmd->lba >> 40);
        cdb[12] = (uint8_t) (cmd->lba >> 16);
        cdb[13] = cmd->device;
        cdb[14] = cmd->command;
        return 0;
}

size_t wipe_sat_build_sense(const struct wipe_ata_result *regs, uint8_t *sense, size_t max) {
        if (max < 22)
                return 0;
        bool err = regs->status & (WIPE_ATA_STATUS_ERR | WIPE_ATA_STATUS_DF);
        memset(sense, 0, 22);
        sense[0] = 0x72;
        sense[1] = err ? WIPE_SENSE_ABORTED_COMMAND : WIPE_SENSE_RECOVERED;
        sense[2] = 0x00;
        sense[3] = 0x1d; /* ATA PASS THROUGH INFORMATION AVAILABLE */
        sense[7] = 14;
        uint8_t *d = sense + 8;
        d[0] = 0x09;
        d[1] = 0x0c;
        d[2] = 0x01; /* EXTEND */
        d[3] = regs->error;
        d[4] = (uint8_t) (regs->count >> 8);
        d[5] = (uint8_t) regs->count;
        d[6] = (uint8_t) (regs->lba >> 24);
        d[7] = (uint8_t) regs->lba;
        d[8] = (uint8_t) (regs->lba >> 32);
        d[9] = (uint8_t) (regs->lba >> 8);
        d[10] = (uint8_t) (regs->lba >> 40);
        d[11] = (uint8_t) (regs->lba >> 16);
        d[12] = regs->device;
        d[13] = regs->status;
        return 22;
}

static bool decode_descriptor(const uint8_t *s, size_t len, struct wipe_ata_result *ret) {
        size_t end = MIN(len, (size_t) 8 + s[7]);

        for (size_t p = 8; p + 2 <= end;) {
                size_t dlen = (size_t) s[p + 1] + 2;
                if (p + dlen > end)
                        return false;
                if (s[p] == 0x09 && dlen >= 14) {
                        const uint8_t *d = s + p;
                        ret->have_regs = true;
                        ret->error = d[3];
                        ret->count = (uint16_t) (d[5] | ((d[2] & 1) ? d[4] << 8 : 0));
                        ret->lba = (uint64_t) d[7] | (uint64_t) d[9] << 8 | (uint64_t) d[11] << 16;
                        if (d[2] & 1)
                                ret->lba |= (uint64_t) d[6] << 24 | (uint64_t) d[8] << 32 | (uint64_t) d[10] << 40;
                        ret->device = d[12];
                        ret->status = d[13];
                        return true;
                }
                p += dlen;
        }
        return false;
}

int wipe_sat_decode(const struct wipe_scsi_result *r, struct wipe_ata_result *ret) {
        if (!r || !ret)
                return -EINVAL;
        *ret = (struct wipe_ata_result) {};
        size_t len = MIN(r->sense_len, sizeof(r->sense));
        const uint8_t *s = r->sense;
        uint8_t code = len > 0 ? s[0] & 0x7f : 0;

        if ((code == 0x72 || code == 0x73) && len >= 8 && decode_descriptor(s, len, ret))
                return 0;
        if ((code == 0x70 || code == 0x71) && len >= 18) {
                struct wipe_sense sn;
                wipe_sense_parse(s, len, &sn);
                /* ATA PASS THROUGH INFORMATION AVAILABLE: registers in the
                 * INFORMATION and COMMAND-SPECIFIC INFORMATION fields. */
                if (sn.asc == 0x00 && sn.ascq == 0x1d) {
                        ret->have_regs = true;
                        ret->error = s[3];
                        ret->status = s[4];
                        ret->device = s[5];
                        ret->count = s[6];
                        ret->lba = (uint64_t) s[9] | (uint64_t) s[10] << 8 | (uint64_t) s[11] << 16;
                        ret->lba_partial = (s[8] & 0x20) != 0;
                        return 0;
                }
        }

        struct wipe_sense sn;
        wipe_sense_parse(s, len, &sn);
        if (r->status == WIPE_SCSI_GOOD) {
                /* Some bridges ignore CK_COND: the command ran, but we do
                 * not get the registers. have_regs stays false. */
                ret->status = WIPE_ATA_STATUS_DRDY;
                return 0;
        }
        if (r->status == WIPE_SCSI_CHECK_CONDITION && sn.valid && sn.key == WIPE_SENSE_ILLEGAL_REQUEST)
                return -EOPNOTSUPP; /* the bridge refused the CDB itself */
        if (r->status == WIPE_SCSI_CHECK_CONDITION && sn.valid && sn.key == WIPE_SENSE_ABORTED_COMMAND) {
                /* Aborted, without registers: report as an ATA abort. */
                ret->status = WIPE_ATA_STATUS_DRDY | WIPE_ATA_STATUS_ERR;
                ret->error = WIPE_ATA_ERROR_ABRT;
                return 0;
        }
        return -EIO;
}

/* ---- Dispatch ---- */

int wipe_fw_ata(const struct wipe_fw_transport *t, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *ret) {
        if (!t || !t->ops || !cmd || !ret)
                return -EINVAL;
        *ret = (struct wipe_ata_result) {};
        if (t->ops->ata)
                return t->ops->ata(t->userdata, cmd, ret);
        if (!t->ops->scsi || t->bus != WIPE_FW_BUS_SCSI)
                return -EOPNOTSUPP;

        uint8_t cdb[16];
        int r = wipe_sat_build_pt16(cmd, cdb);
        if (r < 0)
                return r;
        struct wipe_scsi_cmd sc = {
                .cdb = cdb,
                .cdb_len = sizeof(cdb),
                .dir = cmd->protocol == WIPE_ATA_PIO_IN    ? WIPE_SCSI_FROM_DEVICE
                       : cmd->protocol == WIPE_ATA_PIO_OUT ? WIPE_SCSI_TO_DEVICE
                                                           : WIPE_SCSI_NONE,
                .data = cmd->data,
                .len = cmd->len,
                .timeout_ms = cmd->timeout_ms,
        };
        struct wipe_scsi_result sr = {};
        r = t->ops->scsi(t->userdata, &sc, &sr);
        if (r < 0)
                return r;
        return wipe_sat_decode(&sr, ret);
}

int wipe_fw_ata_ok(const struct wipe_fw_transport *t, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *ret) {
        int r = wipe_fw_ata(t, cmd, ret);
        if (r < 0)
                return r;
        if (ret->status & (WIPE_ATA_STATUS_ERR | WIPE_ATA_STATUS_DF))
                return -EIO;
        return 0;
}

int wipe_fw_nvme_admin(const struct wipe_fw_transport *t, const struct wipe_nvme_cmd *cmd,
                       struct wipe_nvme_result *ret) {
        if (!t || !t->ops || !cmd || !ret)
                return -EINVAL;
        *ret = (struct wipe_nvme_result) {};
        if (!t->ops->nvme_admin || t->bus != WIPE_FW_BUS_NVME)
                return -EOPNOTSUPP;
        return t->ops->nvme_admin(t->userdata, cmd, ret);
}

int wipe_fw_scsi(const struct wipe_fw_transport *t, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *ret) {
        if (!t || !t->ops || !cmd || !ret || !cmd->cdb || cmd->cdb_len < 6 || cmd->cdb_len > 16)
                return -EINVAL;
        *ret = (struct wipe_scsi_result) {};
        if (!t->ops->scsi || t->bus != WIPE_FW_BUS_SCSI)
                return -EOPNOTSUPP;
        return t->ops->scsi(t->userdata, cmd, ret);
}

void wipe_fw_transport_free(struct wipe_fw_transport *t) {
        if (!t)
                return;
        if (t->ops && t->ops->free)
                t->ops->free(t->userdata);
        free(t);
}
