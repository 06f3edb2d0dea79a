/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-fake-transport.h"
#include "wipe-nvme.h"

/* The NVMe controller model: Identify, Get Log Page (SMART, Sanitize
 * Status), Format NVM (SES 0 formats and keeps the data, as real drives
 * may), Sanitize with progress over the virtual clock. */

#define SC_INVALID_OPCODE 0x001u
#define SC_INVALID_FIELD 0x002u
#define SC_ABORT_REQUESTED 0x007u
#define SC_SANITIZE_IN_PROGRESS 0x01du
#define SC_INVALID_FORMAT 0x10au

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
        put16(p, (uint16_t) v);
        put16(p + 2, (uint16_t) (v >> 16));
}

static void put64(uint8_t *p, uint64_t v) {
        put32(p, (uint32_t) v);
        put32(p + 4, (uint32_t) (v >> 32));
}

static void put_str(uint8_t *p, const char *s, size_t n) {
        memset(p, ' ', n);
        for (size_t i = 0; i < n && s[i]; i++)
                p[i] = (uint8_t) s[i];
}

void wipe_fake_nvme_id_ctrl_build(const struct wipe_fake_nvme_profile *p, uint8_t out[4096]) {
        memset(out, 0, 4096);
        put16(out, 0x1e0f);
        put_str(out + 4, p->serial, 20);
        put_str(out + 24, p->model, 40);
        put_str(out + 64, p->firmware, 8);
        put16(out + 256, p->oacs);
        put32(out + 328, p->sanicap);
        put32(out + 516, p->nn ? p->nn : 1);
        out[524] = p->fna;
}

void wipe_fake_nvme_id_ns_build(const struct wipe_fake_nvme_profile *p, uint8_t out[4096]) {
        memset(out, 0, 4096);
        put64(out, p->nsze);
        put64(out + 8, p->nsze);
        put64(out + 16, p->nsze);
        out[25] = 1; /* two formats: 512 and 4096 */
        out[26] = p->flbas;
        out[29] = p->dps;
        out[33] = p->dlfeat;
        unsigned lbads = p->lbads ? p->lbads : 9;
        out[128 + 2] = (uint8_t) lbads;
        out[132 + 2] = lbads == 9 ? 12 : 9;
}

static void sanitize_update(struct wipe_fake *f) {
        if (f->san != WIPE_FAKE_SAN_RUNNING ||
            f->now_ms < f->san_start_ms + wipe_fake_sanitize_ms(f->nvme.sanitize_ms))
                return;
        if (f->sanitize_fails) {
                f->san = WIPE_FAKE_SAN_FAILED;
                return;
        }
        f->san = WIPE_FAKE_SAN_DONE;
        f->nvme_gde = true;
        if ((f->san_action & 7) == WIPE_NVME_SANACT_CRYPTO)
                wipe_fake_media_scramble(f, f->media_size, 11);
        else
                wipe_fake_media_zero(f, f->media_size);
}

static void sanitize_log(struct wipe_fake *f, uint8_t *log) {
        uint8_t state;
        uint16_t sprog = 0xffff;
        switch (f->san) {
        case WIPE_FAKE_SAN_RUNNING:
                state = WIPE_NVME_SSTAT_IN_PROGRESS;
                sprog = (uint16_t) ((f->now_ms - f->san_start_ms) * 65536 / wipe_fake_sanitize_ms(f->nvme.sanitize_ms));
                break;
        case WIPE_FAKE_SAN_DONE:
                state = WIPE_NVME_SSTAT_DONE;
                break;
        case WIPE_FAKE_SAN_FAILED:
                state = WIPE_NVME_SSTAT_FAILED;
                break;
        default:
                state = WIPE_NVME_SSTAT_NEVER;
        }
        put16(log, sprog);
        put16(log + 2, (uint16_t) (state | (f->nvme_gde ? 1u << 8 : 0)));
        put32(log + 4, f->san_action);
        uint32_t est = wipe_fake_sanitize_ms(f->nvme.sanitize_ms) / 1000u;
        put32(log + 8, est);
        put32(log + 12, est);
        put32(log + 16, est);
}

static void smart_log(const struct wipe_fake_nvme_profile *p, uint8_t *log) {
        log[0] = p->critical_warning;
        put16(log + 1, 310);
        log[3] = 100;
        log[4] = 10;
        log[5] = p->percentage_used;
        put64(log + 128, p->power_on_hours);
        put64(log + 160, p->media_errors);
}

static uint16_t format_nvm(struct wipe_fake *f, const struct wipe_nvme_cmd *cmd) {
        const struct wipe_fake_nvme_profile *p = &f->nvme;
        unsigned ses = (cmd->cdw10 >> 9) & 7, lbaf = (cmd->cdw10 & 0xf) | ((cmd->cdw10 >> 12) & 3) << 4;

        if (!(p->oacs & 2))
                return SC_INVALID_OPCODE;
        if (cmd->nsid != 1 && cmd->nsid != UINT32_MAX)
                return SC_INVALID_FIELD;
        if (lbaf != (p->flbas & 0xfu))
                return SC_INVALID_FORMAT;
        switch (ses) {
        case 0:
                break; /* a format, no erase: the data stays */
        case WIPE_NVME_SES_USER_DATA:
                wipe_fake_media_zero(f, f->media_size);
                break;
        case WIPE_NVME_SES_CRYPTO:
                if (!(p->fna & 4))
                        return SC_INVALID_FIELD;
                wipe_fake_media_scramble(f, f->media_size, 5);
                break;
        default:
                return SC_INVALID_FIELD;
        }
        return 0;
}

static uint16_t sanitize(struct wipe_fake *f, const struct wipe_nvme_cmd *cmd) {
        const struct wipe_fake_nvme_profile *p = &f->nvme;
        unsigned sanact = cmd->cdw10 & 7;

        if (!(p->sanicap & 7))
                return SC_INVALID_OPCODE;
        if (f->san == WIPE_FAKE_SAN_RUNNING)
                return SC_SANITIZE_IN_PROGRESS;
        if (sanact == WIPE_NVME_SANACT_EXIT_FAILURE) {
                if (f->san == WIPE_FAKE_SAN_FAILED)
                        f->san = WIPE_FAKE_SAN_IDLE;
                return 0;
        }
        bool ok = (sanact == WIPE_NVME_SANACT_CRYPTO && (p->sanicap & 1)) ||
                  (sanact == WIPE_NVME_SANACT_BLOCK && (p->sanicap & 2)) ||
                  (sanact == WIPE_NVME_SANACT_OVERWRITE && (p->sanicap & 4));
        if (!ok)
                return SC_INVALID_FIELD;
        f->san = WIPE_FAKE_SAN_RUNNING;
        f->san_start_ms = f->now_ms;
        f->san_action = cmd->cdw10;
        f->nvme_gde = false;
        return 0;
}

int wipe_fake_nvme_exec(void *userdata, const struct wipe_nvme_cmd *cmd, struct wipe_nvme_result *ret) {
        struct wipe_fake *f = userdata;
        struct wipe_fake_record rec = {
                .kind = WIPE_FAKE_NVME,
                .opcode = cmd->opcode,
                .nsid = cmd->nsid,
                .cdw10 = cmd->cdw10,
                .cdw11 = cmd->cdw11,
                .timeout_ms = cmd->timeout_ms,
        };
        wipe_fake_record_add(f, &rec);
        *ret = (struct wipe_nvme_result) {};
        if (f->kind != WIPE_FAKE_NVME)
                return -ENOTTY;

        int feature = cmd->opcode == WIPE_NVME_ADMIN_SANITIZE    ? (int) (cmd->cdw10 & 7)
                      : cmd->opcode == WIPE_NVME_ADMIN_FORMAT_NVM ? (int) ((cmd->cdw10 >> 9) & 7)
                                                                  : -1;
        int fault = wipe_fake_fault_match(f, WIPE_FAKE_NVME, cmd->opcode, feature);
        if (fault == WIPE_FAKE_TIMEOUT)
                return -ETIMEDOUT;
        if (fault == WIPE_FAKE_TRANSPORT_ERROR)
                return -EIO;
        if (fault == WIPE_FAKE_ABORT) {
                ret->status = SC_ABORT_REQUESTED;
                return 0;
        }

        sanitize_update(f);
        uint8_t *data = cmd->data;
        switch (cmd->opcode) {
        case WIPE_NVME_ADMIN_IDENTIFY:
                if (data && cmd->len >= 4096 && (cmd->cdw10 & 0xff) == 1)
                        wipe_fake_nvme_id_ctrl_build(&f->nvme, data);
                else if (data && cmd->len >= 4096 && (cmd->cdw10 & 0xff) == 0 && cmd->nsid == 1)
                        wipe_fake_nvme_id_ns_build(&f->nvme, data);
                else
                        ret->status = SC_INVALID_FIELD;
                return 0;
        case WIPE_NVME_ADMIN_GET_LOG_PAGE: {
                uint8_t log[512] = {};
                size_t want = ((size_t) (cmd->cdw10 >> 16) + ((size_t) (cmd->cdw11 & 0xffff) << 16) + 1) * 4;
                if (!data || want != cmd->len) {
                        ret->status = SC_INVALID_FIELD;
                        return 0;
                }
                if ((cmd->cdw10 & 0xff) == WIPE_NVME_LOG_SANITIZE)
                        sanitize_log(f, log);
                else if ((cmd->cdw10 & 0xff) == WIPE_NVME_LOG_SMART)
                        smart_log(&f->nvme, log);
                else {
                        ret->status = SC_INVALID_FIELD;
                        return 0;
                }
                memset(data, 0, cmd->len);
                memcpy(data, log, MIN(cmd->len, sizeof(log)));
                return 0;
        }
        case WIPE_NVME_ADMIN_FORMAT_NVM:
                ret->status = f->san == WIPE_FAKE_SAN_RUNNING ? SC_SANITIZE_IN_PROGRESS : format_nvm(f, cmd);
                return 0;
        case WIPE_NVME_ADMIN_SANITIZE:
                ret->status = sanitize(f, cmd);
                return 0;
        default:
                ret->status = SC_INVALID_OPCODE;
                return 0;
        }
}
