/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-fake-transport.h"
#include "wipe-scsi.h"

/* ---- Clock ---- */

static uint64_t fake_now(void *userdata) {
        return ((struct wipe_fake *) userdata)->now_ms;
}

static void fake_sleep(void *userdata, unsigned ms) {
        struct wipe_fake *f = userdata;
        f->now_ms += ms;
        f->slept_ms += ms;
}

uint32_t wipe_fake_sanitize_ms(uint32_t ms) {
        return ms ? ms : 30000u;
}

/* ---- Records and faults ---- */

void wipe_fake_record_add(struct wipe_fake *f, const struct wipe_fake_record *r) {
        if (f->n_records == f->n_allocated) {
                size_t n = f->n_allocated ? f->n_allocated * 2 : 64;
                struct wipe_fake_record *a = reallocarray(f->records, n, sizeof(*a));
                if (!a)
                        abort();
                f->records = a;
                f->n_allocated = n;
        }
        f->records[f->n_records++] = *r;
}

static uint8_t record_command(const struct wipe_fake_record *r) {
        switch (r->kind) {
        case WIPE_FAKE_ATA:
                return r->command;
        case WIPE_FAKE_NVME:
                return r->opcode;
        case WIPE_FAKE_SCSI:
                return r->cdb[0];
        }
        return 0;
}

size_t wipe_fake_count(const struct wipe_fake *f, enum wipe_fake_kind kind, uint8_t command) {
        size_t n = 0;
        for (size_t i = 0; i < f->n_records; i++)
                n += f->records[i].kind == kind && record_command(&f->records[i]) == command;
        return n;
}

const struct wipe_fake_record *wipe_fake_find(const struct wipe_fake *f, enum wipe_fake_kind kind, uint8_t command,
                                              size_t nth) {
        for (size_t i = 0; i < f->n_records; i++)
                if (f->records[i].kind == kind && record_command(&f->records[i]) == command && nth-- == 0)
                        return &f->records[i];
        return NULL;
}

void wipe_fake_add_fault(struct wipe_fake *f, const struct wipe_fake_fault *fault) {
        if (f->n_faults < WIPE_FAKE_MAX_FAULTS)
                f->faults[f->n_faults++] = *fault;
}

int wipe_fake_fault_match(struct wipe_fake *f, enum wipe_fake_kind kind, uint8_t command, int feature) {
        for (size_t i = 0; i < f->n_faults; i++) {
                struct wipe_fake_fault *x = &f->faults[i];
                if (x->kind != kind || x->command != command || (x->feature >= 0 && x->feature != feature))
                        continue;
                unsigned hit = x->hits++;
                if (hit < x->skip || (x->times && hit >= x->skip + x->times))
                        continue;
                return (int) x->action;
        }
        return -1;
}

/* ---- Medium ---- */

static uint64_t visible_bytes(const struct wipe_fake *f) {
        switch (f->kind) {
        case WIPE_FAKE_ATA:
                return f->ata.sectors * 512;
        case WIPE_FAKE_NVME:
                return f->nvme.nsze << f->nvme.lbads;
        case WIPE_FAKE_SCSI:
                return f->scsi.sectors * 512;
        }
        return 0;
}

uint64_t wipe_fake_visible_bytes(const struct wipe_fake *f) {
        return visible_bytes(f);
}

int wipe_fake_read(void *userdata, uint64_t offset, void *buf, size_t len) {
        struct wipe_fake *f = userdata;
        if (offset > visible_bytes(f) || len > visible_bytes(f) - offset)
                return -EIO;
        if (f->kind == WIPE_FAKE_ATA && f->ata.security_locked)
                return -EIO; /* a locked drive refuses media access */
        memcpy(buf, f->media + offset, len);
        return 0;
}

int wipe_fake_write(void *userdata, uint64_t offset, const void *buf, size_t len) {
        struct wipe_fake *f = userdata;
        if (offset > visible_bytes(f) || len > visible_bytes(f) - offset)
                return -EIO;
        if (f->kind == WIPE_FAKE_ATA && f->ata.security_locked)
                return -EIO;
        memcpy(f->media + offset, buf, len);
        return 0;
}

static uint8_t donor_byte(uint64_t i) {
        uint64_t x = i / 8 * 0x9e3779b97f4a7c15ULL + 0x1234567;
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 32;
        return (uint8_t) (x >> (8 * (i % 8)));
}

void wipe_fake_fill_donor_data(struct wipe_fake *f) {
        for (uint64_t i = 0; i < f->media_size; i++)
                f->media[i] = donor_byte(i);
}

bool wipe_fake_has_donor_data(const struct wipe_fake *f, uint64_t offset, uint64_t len) {
        for (uint64_t i = offset; i < offset + len && i < f->media_size; i++)
                if (f->media[i] != donor_byte(i))
                        return false;
        return true;
}

void wipe_fake_media_zero(struct wipe_fake *f, uint64_t bytes) {
        if (!f->lying)
                memset(f->media, 0, MIN(bytes, f->media_size));
}

void wipe_fake_media_scramble(struct wipe_fake *f, uint64_t bytes, uint32_t seed) {
        if (f->lying)
                return;
        uint64_t x = 0x2545f4914f6cdd1dULL ^ seed;
        for (uint64_t i = 0; i < MIN(bytes, f->media_size); i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                f->media[i] = (uint8_t) x;
        }
}

/* ---- SCSI ---- */

static void sense_fixed(struct wipe_scsi_result *r, uint8_t key, uint8_t asc, uint8_t ascq, int progress) {
        r->status = WIPE_SCSI_CHECK_CONDITION;
        memset(r->sense, 0, 18);
        r->sense[0] = 0x70;
        r->sense[2] = key;
        r->sense[7] = 10;
        r->sense[12] = asc;
        r->sense[13] = ascq;
        if (progress >= 0) {
                r->sense[15] = 0x80;
                r->sense[16] = (uint8_t) (progress >> 8);
                r->sense[17] = (uint8_t) progress;
        }
        r->sense_len = 18;
}

static void scsi_sanitize_update(struct wipe_fake *f) {
        if (f->san != WIPE_FAKE_SAN_RUNNING ||
            f->now_ms < f->san_start_ms + wipe_fake_sanitize_ms(f->scsi.sanitize_ms))
                return;
        if (f->sanitize_fails) {
                f->san = WIPE_FAKE_SAN_FAILED;
                return;
        }
        f->san = WIPE_FAKE_SAN_DONE;
        if (f->san_action == WIPE_SCSI_SANITIZE_CRYPTO)
                wipe_fake_media_scramble(f, f->media_size, 7);
        else
                wipe_fake_media_zero(f, f->media_size);
}

static void put_string(uint8_t *dst, const char *s, size_t n) {
        memset(dst, ' ', n);
        for (size_t i = 0; i < n && s[i]; i++)
                dst[i] = (uint8_t) s[i];
}

static void copy_out(const struct wipe_scsi_cmd *cmd, const uint8_t *data, size_t len, struct wipe_scsi_result *r) {
        size_t n = MIN(len, cmd->len);
        if (cmd->data)
                memcpy(cmd->data, data, n);
        r->resid = cmd->len - n;
}

static int scsi_exec(struct wipe_fake *f, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *r) {
        const uint8_t *c = cmd->cdb;
        uint8_t buf[256] = {};

        scsi_sanitize_update(f);
        bool busy = f->san == WIPE_FAKE_SAN_RUNNING;
        switch (c[0]) {
        case 0x00: /* TEST UNIT READY */
                if (busy)
                        sense_fixed(r, WIPE_SENSE_NOT_READY, 0x04, 0x1b, -1);
                else if (f->san == WIPE_FAKE_SAN_FAILED)
                        sense_fixed(r, WIPE_SENSE_MEDIUM_ERROR, 0x31, 0x03, -1);
                return 0;
        case WIPE_SCSI_REQUEST_SENSE: {
                struct wipe_scsi_result tmp = {};
                if (busy) {
                        uint64_t done = f->now_ms - f->san_start_ms;
                        sense_fixed(&tmp, WIPE_SENSE_NOT_READY, 0x04, 0x1b,
                                    (int) (done * 65536 / wipe_fake_sanitize_ms(f->scsi.sanitize_ms)));
                } else if (f->san == WIPE_FAKE_SAN_FAILED)
                        sense_fixed(&tmp, WIPE_SENSE_MEDIUM_ERROR, 0x31, 0x03, -1);
                else
                        sense_fixed(&tmp, WIPE_SENSE_NO_SENSE, 0, 0, -1);
                copy_out(cmd, tmp.sense, tmp.sense_len, r);
                return 0;
        }
        case WIPE_SCSI_INQUIRY: {
                bool ata = f->kind == WIPE_FAKE_ATA;
                if (!(c[1] & 1)) {
                        buf[0] = 0x00;
                        buf[4] = 91;
                        put_string(buf + 8, ata ? "ATA" : f->scsi.vendor, 8);
                        put_string(buf + 16, ata ? f->ata.model : f->scsi.product, 16);
                        put_string(buf + 32, ata ? f->ata.firmware : f->scsi.revision, 4);
                        copy_out(cmd, buf, 96, r);
                } else if (c[2] == 0x00) {
                        uint8_t pages[] = { 0x00, 0x80, 0x89, 0xb1 };
                        bool sat = ata || f->scsi.sat;
                        size_t n = 0;
                        for (size_t i = 0; i < sizeof(pages); i++)
                                if (pages[i] != 0x89 || sat)
                                        buf[4 + n++] = pages[i];
                        buf[3] = (uint8_t) n;
                        copy_out(cmd, buf, 4 + n, r);
                } else if (c[2] == 0xb1) {
                        bool ssd = ata ? f->ata.ssd : f->scsi.ssd;
                        buf[1] = 0xb1;
                        buf[3] = 0x3c;
                        buf[4] = ssd ? 0 : 0x1c; /* 7200 rpm */
                        buf[5] = ssd ? 1 : 0x20;
                        copy_out(cmd, buf, 64, r);
                } else if (c[2] == 0x89 && (ata || f->scsi.sat)) {
                        buf[1] = 0x89;
                        copy_out(cmd, buf, 64, r);
                } else
                        sense_fixed(r, WIPE_SENSE_ILLEGAL_REQUEST, 0x24, 0, -1);
                return 0;
        }
        case WIPE_SCSI_SERVICE_ACTION_IN_16: {
                uint64_t last = visible_bytes(f) / 512 - 1;
                for (size_t i = 0; i < 8; i++)
                        buf[i] = (uint8_t) (last >> (56 - 8 * i));
                buf[10] = 0x02; /* 512 */
                copy_out(cmd, buf, 32, r);
                return 0;
        }
        case WIPE_SCSI_MAINTENANCE_IN:
                if (f->kind != WIPE_FAKE_SCSI || !f->scsi.rsoc || (c[1] & 0x1f) != WIPE_SCSI_RSOC_SA) {
                        sense_fixed(r, WIPE_SENSE_ILLEGAL_REQUEST, 0x20, 0, -1);
                        return 0;
                }
                if (c[3] == WIPE_SCSI_SANITIZE) {
                        uint16_t sa = (uint16_t) (c[4] << 8 | c[5]);
                        bool ok = (sa == WIPE_SCSI_SANITIZE_OVERWRITE && f->scsi.sanitize_overwrite) ||
                                  (sa == WIPE_SCSI_SANITIZE_BLOCK && f->scsi.sanitize_block) ||
                                  (sa == WIPE_SCSI_SANITIZE_CRYPTO && f->scsi.sanitize_crypto);
                        buf[1] = ok ? 3 : 1;
                        buf[3] = 10;
                } else
                        buf[1] = 1;
                copy_out(cmd, buf, 14, r);
                return 0;
        case WIPE_SCSI_SANITIZE: {
                uint8_t sa = c[1] & 0x1f;
                if (f->kind != WIPE_FAKE_SCSI) {
                        sense_fixed(r, WIPE_SENSE_ILLEGAL_REQUEST, 0x20, 0, -1);
                        return 0;
                }
                if (busy) {
                        sense_fixed(r, WIPE_SENSE_NOT_READY, 0x04, 0x1b, -1);
                        return 0;
                }
                if (sa == WIPE_SCSI_SANITIZE_EXIT_FAILURE) {
                        if (f->san == WIPE_FAKE_SAN_FAILED)
                                f->san = WIPE_FAKE_SAN_IDLE;
                        return 0;
                }
                bool ok = (sa == WIPE_SCSI_SANITIZE_OVERWRITE && f->scsi.sanitize_overwrite) ||
                          (sa == WIPE_SCSI_SANITIZE_BLOCK && f->scsi.sanitize_block) ||
                          (sa == WIPE_SCSI_SANITIZE_CRYPTO && f->scsi.sanitize_crypto);
                if (!ok) {
                        sense_fixed(r, WIPE_SENSE_ILLEGAL_REQUEST, 0x24, 0, -1);
                        return 0;
                }
                f->san = WIPE_FAKE_SAN_RUNNING;
                f->san_start_ms = f->now_ms;
                f->san_action = sa;
                return 0;
        }
        default:
                sense_fixed(r, WIPE_SENSE_ILLEGAL_REQUEST, 0x20, 0, -1);
                return 0;
        }
}

static int fake_scsi(void *userdata, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *r) {
        struct wipe_fake *f = userdata;
        const uint8_t *c = cmd->cdb;
        struct wipe_fake_record rec = { .kind = WIPE_FAKE_SCSI, .timeout_ms = cmd->timeout_ms };

        memcpy(rec.cdb, c, MIN(cmd->cdb_len, sizeof(rec.cdb)));
        rec.cdb_len = cmd->cdb_len;

        if (c[0] != WIPE_SAT_ATA_PT16 || f->kind != WIPE_FAKE_ATA || f->pt16_unsupported) {
                wipe_fake_record_add(f, &rec);
                int feature = c[0] == WIPE_SCSI_SANITIZE ? c[1] & 0x1f : -1;
                int a = wipe_fake_fault_match(f, WIPE_FAKE_SCSI, c[0], feature);
                if (a == WIPE_FAKE_TIMEOUT)
                        return -ETIMEDOUT;
                if (a == WIPE_FAKE_TRANSPORT_ERROR)
                        return -EIO;
                if (a == WIPE_FAKE_ABORT) {
                        sense_fixed(r, WIPE_SENSE_ABORTED_COMMAND, 0, 0, -1);
                        return 0;
                }
                return scsi_exec(f, cmd, r);
        }

        /* ATA PASS-THROUGH(16): decode as a SATL would. */
        unsigned protocol = (c[1] >> 1) & 0xf;
        struct wipe_ata_cmd a = {
                .feature = (uint16_t) (c[3] << 8 | c[4]),
                .count = (uint16_t) (c[5] << 8 | c[6]),
                .lba = (uint64_t) c[8] | (uint64_t) c[10] << 8 | (uint64_t) c[12] << 16 | (uint64_t) c[7] << 24 |
                       (uint64_t) c[9] << 32 | (uint64_t) c[11] << 40,
                .device = c[13],
                .command = c[14],
                .protocol = protocol == 4 ? WIPE_ATA_PIO_IN : protocol == 5 ? WIPE_ATA_PIO_OUT : WIPE_ATA_NON_DATA,
                .data = cmd->data,
                .len = cmd->len,
                .timeout_ms = cmd->timeout_ms,
        };
        rec.kind = WIPE_FAKE_ATA;
        rec.command = a.command;
        rec.feature = a.feature;
        rec.count = a.count;
        rec.lba = a.lba;
        wipe_fake_record_add(f, &rec);
        if (!(c[1] & 1) || (protocol != 3 && protocol != 4 && protocol != 5)) {
                sense_fixed(r, WIPE_SENSE_ILLEGAL_REQUEST, 0x24, 0, -1);
                return 0;
        }

        struct wipe_ata_result regs = {};
        int k = wipe_fake_ata_exec(f, &a, &regs);
        if (k < 0)
                return k;
        if (!(c[2] & 0x20) && !(regs.status & WIPE_ATA_STATUS_ERR)) {
                r->status = WIPE_SCSI_GOOD; /* no CK_COND: no registers */
                return 0;
        }
        r->status = WIPE_SCSI_CHECK_CONDITION;
        r->sense_len = wipe_sat_build_sense(&regs, r->sense, sizeof(r->sense));
        return 0;
}

/* ---- Construction ---- */

static const struct wipe_fw_transport_ops fake_ops = {
        .scsi = fake_scsi,
        .nvme_admin = wipe_fake_nvme_exec,
};

static int fake_new(enum wipe_fake_kind kind, uint64_t media_size, struct wipe_fake **ret) {
        if (media_size == 0 || media_size > 1024 * MiB)
                return -EINVAL;
        struct wipe_fake *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->media = calloc(1, media_size);
        if (!f->media) {
                free(f);
                return -ENOMEM;
        }
        f->media_size = media_size;
        f->kind = kind;
        f->now_ms = 1000000;
        f->clock = (struct wipe_fw_clock) { .now_ms = fake_now, .sleep_ms = fake_sleep, .userdata = f };
        f->transport = (struct wipe_fw_transport) {
                .ops = &fake_ops,
                .userdata = f,
                .bus = kind == WIPE_FAKE_NVME ? WIPE_FW_BUS_NVME : WIPE_FW_BUS_SCSI,
                .nsid = kind == WIPE_FAKE_NVME ? 1 : 0,
        };
        f->ata_attempts = 5;
        *ret = f;
        return 0;
}

int wipe_fake_new_ata(const struct wipe_fake_ata_profile *p, struct wipe_fake **ret) {
        if (!p || !ret || p->sectors == 0)
                return -EINVAL;
        struct wipe_fake_ata_profile a = *p;
        if (a.native_sectors < a.sectors)
                a.native_sectors = a.sectors;
        if (a.dco_sectors < a.native_sectors)
                a.dco_sectors = a.native_sectors;
        int r = fake_new(WIPE_FAKE_ATA, a.dco_sectors * 512, ret);
        if (r < 0)
                return r;
        (*ret)->ata = a;
        return 0;
}

int wipe_fake_new_nvme(const struct wipe_fake_nvme_profile *p, struct wipe_fake **ret) {
        if (!p || !ret || p->nsze == 0)
                return -EINVAL;
        struct wipe_fake_nvme_profile n = *p;
        if (n.lbads == 0)
                n.lbads = 9;
        if (n.nn == 0)
                n.nn = 1;
        int r = fake_new(WIPE_FAKE_NVME, n.nsze << n.lbads, ret);
        if (r < 0)
                return r;
        (*ret)->nvme = n;
        return 0;
}

int wipe_fake_new_scsi(const struct wipe_fake_scsi_profile *p, struct wipe_fake **ret) {
        if (!p || !ret || p->sectors == 0)
                return -EINVAL;
        int r = fake_new(WIPE_FAKE_SCSI, p->sectors * 512, ret);
        if (r < 0)
                return r;
        (*ret)->scsi = *p;
        return 0;
}

void wipe_fake_free(struct wipe_fake *f) {
        if (!f)
                return;
        free(f->media);
        free(f->records);
        free(f);
}
