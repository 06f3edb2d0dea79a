/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "rf-macro.h"
#include "wipe-transport.h"

/* The real backends: SG_IO for SCSI (and ATA through SAT, which libata and
 * most USB-SATA bridges implement), NVME_IOCTL_ADMIN_CMD for NVMe. */

struct linux_transport {
        int fd;
};

static int linux_scsi(void *userdata, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *ret) {
        struct linux_transport *lt = userdata;
        uint8_t cdb[16];

        memcpy(cdb, cmd->cdb, cmd->cdb_len);
        struct sg_io_hdr io = {
                .interface_id = 'S',
                .cmd_len = (unsigned char) cmd->cdb_len,
                .cmdp = cdb,
                .mx_sb_len = sizeof(ret->sense),
                .sbp = ret->sense,
                .dxfer_direction = cmd->dir == WIPE_SCSI_FROM_DEVICE ? SG_DXFER_FROM_DEV
                                   : cmd->dir == WIPE_SCSI_TO_DEVICE ? SG_DXFER_TO_DEV
                                                                     : SG_DXFER_NONE,
                .dxfer_len = (unsigned) cmd->len,
                .dxferp = cmd->data,
                .timeout = cmd->timeout_ms ? cmd->timeout_ms : 60000u,
        };
        if (cmd->len > UINT32_MAX)
                return -EINVAL;
        if (ioctl(lt->fd, SG_IO, &io) < 0)
                return negative_errno();

        ret->status = io.status;
        ret->sense_len = io.sb_len_wr;
        ret->resid = io.resid > 0 ? (size_t) io.resid : 0;
        /* Transport-level errors: timeouts, resets, a vanished device. */
        if (io.host_status == 0x03 /* DID_TIME_OUT */)
                return -ETIMEDOUT;
        if (io.host_status == 0x01 /* DID_NO_CONNECT */ || io.host_status == 0x04 /* DID_BAD_TARGET */)
                return -ENODEV;
        if (io.host_status != 0 || (io.driver_status & 0x0f & ~0x08 /* DRIVER_SENSE */) != 0)
                return -EIO;
        return 0;
}

static int linux_nvme_admin(void *userdata, const struct wipe_nvme_cmd *cmd, struct wipe_nvme_result *ret) {
        struct linux_transport *lt = userdata;
        struct nvme_admin_cmd io = {
                .opcode = cmd->opcode,
                .nsid = cmd->nsid,
                .addr = (uint64_t) (uintptr_t) cmd->data,
                .data_len = (uint32_t) cmd->len,
                .cdw10 = cmd->cdw10,
                .cdw11 = cmd->cdw11,
                .cdw12 = cmd->cdw12,
                .cdw13 = cmd->cdw13,
                .cdw14 = cmd->cdw14,
                .cdw15 = cmd->cdw15,
                .timeout_ms = cmd->timeout_ms,
        };
        if (cmd->len > UINT32_MAX)
                return -EINVAL;
        int r = ioctl(lt->fd, NVME_IOCTL_ADMIN_CMD, &io);
        if (r < 0)
                return errno == EINTR ? -ETIMEDOUT : negative_errno();
        /* > 0: the NVMe status field (SCT/SC, plus More/DNR bits). */
        ret->status = (uint16_t) (r & 0x7ff);
        ret->dw0 = io.result;
        return 0;
}

static void linux_free(void *userdata) {
        free(userdata);
}

static const struct wipe_fw_transport_ops linux_ops = {
        .nvme_admin = linux_nvme_admin,
        .scsi = linux_scsi,
        .free = linux_free,
};

int wipe_fw_transport_new_linux(int fd, enum wipe_fw_bus bus, struct wipe_fw_transport **ret) {
        if (fd < 0 || !ret)
                return -EINVAL;
        uint32_t nsid = 0;
        if (bus == WIPE_FW_BUS_NVME) {
                int id = ioctl(fd, NVME_IOCTL_ID);
                if (id < 0)
                        return negative_errno();
                if (id == 0)
                        return -ENOTTY;
                nsid = (uint32_t) id;
        }
        struct linux_transport *lt = calloc(1, sizeof(*lt));
        struct wipe_fw_transport *t = calloc(1, sizeof(*t));
        if (!lt || !t) {
                free(lt);
                free(t);
                return -ENOMEM;
        }
        lt->fd = fd;
        *t = (struct wipe_fw_transport) { .ops = &linux_ops, .userdata = lt, .bus = bus, .nsid = nsid };
        *ret = t;
        return 0;
}
