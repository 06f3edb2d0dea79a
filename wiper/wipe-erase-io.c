/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The erase run's plumbing: a transport that records every firmware
 * command, device I/O for the read-back validation (with progress,
 * cancellation and removal checks), size and rescan. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-erase.h"
#include "wipe-lock.h"

#define REPORT_INTERVAL_USEC 250000u
#define SYSFS_INTERVAL_USEC 250000u

/* ---- Recording transport ---- */

static uint64_t clock_ms(const struct wipe_erase_ctx *c) {
        return c->clock->now_ms(c->clock->userdata);
}

static bool same_command(const struct wipe_erase_command *a, const struct wipe_erase_command *b) {
        return a->bus == b->bus && strcmp(a->kind, b->kind) == 0 && a->opcode == b->opcode &&
               a->feature == b->feature && a->cdw10 == b->cdw10 && a->error == b->error && a->status == b->status;
}

static void record(struct wipe_erase_ctx *c, struct wipe_erase_command *e, uint64_t start) {
        struct wipe_erase_result *r = c->ret;
        uint64_t end = clock_ms(c);

        e->bus = c->inner->bus;
        e->at_ms = start - c->clock_start_ms;
        e->duration_ms = end - start;
        e->count = 1;
        /* Status polls: one entry per run of identical answers. */
        if (r->n_commands > 0) {
                struct wipe_erase_command *last = &r->commands[r->n_commands - 1];
                if (same_command(last, e)) {
                        last->count++;
                        last->duration_ms = e->at_ms + e->duration_ms - last->at_ms;
                        return;
                }
        }
        if (!r->commands)
                r->commands = calloc(WIPE_ERASE_MAX_COMMANDS, sizeof(*r->commands));
        if (!r->commands || r->n_commands >= WIPE_ERASE_MAX_COMMANDS) {
                r->n_commands_dropped++;
                return;
        }
        r->commands[r->n_commands++] = *e;
}

static int rec_ata(void *userdata, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *res) {
        struct wipe_erase_ctx *c = userdata;
        uint64_t start = clock_ms(c);
        int r = c->inner->ops->ata(c->inner->userdata, cmd, res);
        struct wipe_erase_command e = {
                .kind = "ata",
                .opcode = cmd->command,
                .feature = cmd->feature,
                .error = r < 0 ? r : 0,
                .status = r >= 0 && res->have_regs ? (uint16_t) (res->status << 8 | res->error) : 0,
        };
        record(c, &e, start);
        return r;
}

static int rec_nvme(void *userdata, const struct wipe_nvme_cmd *cmd, struct wipe_nvme_result *res) {
        struct wipe_erase_ctx *c = userdata;
        if (!c->inner->ops->nvme_admin)
                return -EOPNOTSUPP;
        uint64_t start = clock_ms(c);
        int r = c->inner->ops->nvme_admin(c->inner->userdata, cmd, res);
        struct wipe_erase_command e = {
                .kind = "nvme",
                .opcode = cmd->opcode,
                .cdw10 = cmd->cdw10,
                .error = r < 0 ? r : 0,
                .status = r >= 0 ? res->status : 0,
        };
        record(c, &e, start);
        return r;
}

static int rec_scsi(void *userdata, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *res) {
        struct wipe_erase_ctx *c = userdata;
        if (!c->inner->ops->scsi)
                return -EOPNOTSUPP;
        uint64_t start = clock_ms(c);
        int r = c->inner->ops->scsi(c->inner->userdata, cmd, res);
        struct wipe_erase_command e = { .error = r < 0 ? r : 0 };
        struct wipe_sense sense = {};
        if (r >= 0)
                wipe_sense_parse(res->sense, MIN(res->sense_len, sizeof(res->sense)), &sense);
        uint16_t scsi_status = r >= 0 ? (uint16_t) (res->status << 8 | (sense.valid ? sense.key : 0)) : 0;

        if (cmd->cdb_len == 16 && cmd->cdb[0] == WIPE_SAT_ATA_PT16) {
                /* An ATA command through the SCSI/ATA translation. */
                struct wipe_ata_result regs;
                snprintf(e.kind, sizeof(e.kind), "ata");
                e.opcode = cmd->cdb[14];
                e.feature = (uint16_t) (cmd->cdb[3] << 8 | cmd->cdb[4]);
                if (r >= 0 && wipe_sat_decode(res, &regs) >= 0 && regs.have_regs)
                        e.status = (uint16_t) (regs.status << 8 | regs.error);
                else
                        e.status = scsi_status;
        } else {
                snprintf(e.kind, sizeof(e.kind), "scsi");
                e.opcode = cmd->cdb[0];
                /* Service action of SANITIZE, SERVICE ACTION IN, MAINTENANCE IN. */
                if (cmd->cdb[0] == 0x48 || cmd->cdb[0] == 0x9e || cmd->cdb[0] == 0xa3)
                        e.feature = cmd->cdb[1] & 0x1fu;
                e.status = scsi_status;
        }
        record(c, &e, start);
        return r;
}

static const struct wipe_fw_transport_ops recorder_ops_ata = {
        .ata = rec_ata,
        .nvme_admin = rec_nvme,
        .scsi = rec_scsi,
};

/* Without ata(): the firmware layer sends ATA commands as PT16 through
 * scsi(), which is what the inner transport expects. */
static const struct wipe_fw_transport_ops recorder_ops_sat = {
        .nvme_admin = rec_nvme,
        .scsi = rec_scsi,
};

void wipe_erase_recorder_init(struct wipe_erase_ctx *c, const struct wipe_fw_transport *inner) {
        c->inner = inner;
        c->recorder = (struct wipe_fw_transport) {
                .ops = inner->ops->ata ? &recorder_ops_ata : &recorder_ops_sat,
                .userdata = c,
                .bus = inner->bus,
                .nsid = inner->nsid,
        };
}

/* ---- Stop conditions and progress ---- */

static bool sysfs_gone(struct wipe_erase_ctx *c, bool force) {
        const char *dir = c->opts->sysfs_dir;
        if (!dir || !c->sysfs_watch)
                return false;
        uint64_t now = rf_now_usec();
        if (!force && now - c->last_sysfs_usec < SYSFS_INTERVAL_USEC)
                return false;
        c->last_sysfs_usec = now;

        _cleanup_free_ char *path = NULL, *value = NULL;
        if (asprintf(&path, "%s/size", dir) < 0)
                return false;
        int r = rf_read_line(path, &value);
        if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
                return true; /* the device's sysfs directory went away */
        return r == 0 && strcmp(value, "0") == 0;
}

static bool check_stop(struct wipe_erase_ctx *c, bool force_sysfs) {
        struct wipe_erase_result *r = c->ret;
        if (r->stop != WIPE_STOP_NONE)
                return true;
        if (c->opts->cancel && atomic_load(c->opts->cancel))
                r->stop = WIPE_STOP_CANCELLED;
        else if ((c->opts->removed && atomic_load(c->opts->removed)) || sysfs_gone(c, force_sysfs))
                r->stop = WIPE_STOP_REMOVED;
        return r->stop != WIPE_STOP_NONE;
}

bool wipe_erase_check_stop(struct wipe_erase_ctx *c) {
        return check_stop(c, true);
}

bool wipe_erase_device_gone(struct wipe_erase_ctx *c, int error) {
        if (error == -ENODEV || error == -ENXIO || error == -ENOMEDIUM || sysfs_gone(c, true)) {
                if (c->ret->stop == WIPE_STOP_NONE)
                        c->ret->stop = WIPE_STOP_REMOVED;
                return true;
        }
        return false;
}

void wipe_erase_report(struct wipe_erase_ctx *c, bool force) {
        if (!c->opts->on_progress)
                return;
        uint64_t now = rf_now_usec();
        if (!force && now - c->last_progress_usec < REPORT_INTERVAL_USEC)
                return;
        c->last_progress_usec = now;
        c->opts->on_progress(c->progress, c->opts->userdata);
}

/* ---- Validation I/O ---- */

static bool all_bytes(const uint8_t *b, size_t len, uint8_t v) {
        return len == 0 || (b[0] == v && memcmp(b, b + 1, len - 1) == 0);
}

int wipe_erase_io_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        struct wipe_erase_ctx *c = userdata;

        if (check_stop(c, false))
                return c->ret->stop == WIPE_STOP_REMOVED ? -ENODEV : -ECANCELED;
        for (size_t done = 0; done < len;) {
                ssize_t k = pread(c->fd, (uint8_t *) buf + done, len - done, (off_t) (offset + done));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = negative_errno();
                        wipe_erase_device_gone(c, r);
                        return r;
                }
                if (k == 0)
                        return -EIO; /* the device got shorter */
                done += (size_t) k;
        }
        if (c->count_blank) {
                c->ret->validation_zero_blocks += all_bytes(buf, len, 0x00);
                c->ret->validation_ones_blocks += all_bytes(buf, len, 0xff);
                atomic_fetch_add(&c->progress->bytes_verified, len);
                wipe_erase_report(c, false);
        }
        return 0;
}

int wipe_erase_io_write(void *userdata, uint64_t offset, const void *buf, size_t len) {
        struct wipe_erase_ctx *c = userdata;

        if (check_stop(c, false))
                return c->ret->stop == WIPE_STOP_REMOVED ? -ENODEV : -ECANCELED;
        for (size_t done = 0; done < len;) {
                ssize_t k = pwrite(c->fd, (const uint8_t *) buf + done, len - done, (off_t) (offset + done));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = negative_errno();
                        wipe_erase_device_gone(c, r);
                        return r;
                }
                if (k == 0)
                        return -EIO;
                done += (size_t) k;
        }
        return 0;
}

/* ---- Geometry ---- */

int wipe_erase_fd_size(int fd, uint64_t *ret_size, unsigned *ret_sector) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISBLK(st.st_mode))
                return wipe_fd_geometry(fd, ret_size, ret_sector);
        if (!S_ISREG(st.st_mode))
                return -ENOTBLK;
        *ret_size = (uint64_t) st.st_size;
        *ret_sector = 512;
        return 0;
}

void wipe_erase_rescan(struct wipe_erase_ctx *c) {
        struct stat st;

        if (fstat(c->fd, &st) < 0 || !S_ISBLK(st.st_mode))
                return;
        /* SCSI disks (libata included) re-read their capacity on a rescan;
         * the ioctl then drops the stale partition view. Best effort: the
         * size is checked afterwards. */
        if (c->dev && c->dev->syspath) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/device/rescan", c->dev->syspath) >= 0) {
                        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
                        if (fd >= 0 && write(fd, "1", 1) < 0) {
                                /* nothing more to try */
                        }
                }
        }
        (void) ioctl(c->fd, BLKRRPART);
}
