/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-nvme.h"

static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t le64(const uint8_t *p) {
        return (uint64_t) le32(p) | (uint64_t) le32(p + 4) << 32;
}

/* NVMe strings are plain ASCII padded with spaces. Untrusted. */
static void nvme_string(const uint8_t *p, size_t n, char *out, size_t outlen) {
        size_t k = 0;

        for (size_t i = 0; i < n && k + 1 < outlen; i++)
                out[k++] = p[i] >= 0x20 && p[i] <= 0x7e ? (char) p[i] : '?';
        out[k] = 0;
        while (k > 0 && out[k - 1] == ' ')
                out[--k] = 0;
        size_t lead = strspn(out, " ");
        memmove(out, out + lead, k - lead + 1);
}

int wipe_nvme_id_ctrl_parse(const uint8_t data[4096], struct wipe_nvme_caps *ret) {
        if (!data || !ret)
                return -EINVAL;
        *ret = (struct wipe_nvme_caps) {};
        bool zeros = true;
        for (size_t i = 0; i < 4096 && zeros; i++)
                zeros = data[i] == 0;
        if (zeros)
                return -EINVAL;

        nvme_string(data + 4, 20, ret->serial, sizeof(ret->serial));
        nvme_string(data + 24, 40, ret->model, sizeof(ret->model));
        nvme_string(data + 64, 8, ret->firmware, sizeof(ret->firmware));
        ret->oacs = le16(data + 256);
        ret->sanicap = le32(data + 328);
        ret->nn = le32(data + 516);
        ret->fna = data[524];

        ret->format_supported = ret->oacs & (1u << 1);
        ret->sanitize_crypto = ret->sanicap & (1u << 0);
        ret->sanitize_block = ret->sanicap & (1u << 1);
        ret->sanitize_overwrite = ret->sanicap & (1u << 2);
        ret->format_all_namespaces = ret->fna & (1u << 0);
        ret->erase_all_namespaces = ret->fna & (1u << 1);
        ret->crypto_erase_supported = ret->fna & (1u << 2);
        return 0;
}

int wipe_nvme_id_ns_parse(const uint8_t data[4096], struct wipe_nvme_caps *caps) {
        if (!data || !caps)
                return -EINVAL;
        caps->nsze = le64(data);
        caps->nlbaf = data[25];
        caps->flbas = data[26];
        caps->dps = data[29];
        caps->dlfeat = data[33];
        /* NLBAF is zero-based; the index has 4 low bits and (NVMe 2.0) 2
         * high bits in FLBAS 6:5, used when more than 16 formats exist. */
        unsigned idx = caps->flbas & 0x0fu;
        if (caps->nlbaf >= 16)
                idx |= (unsigned) ((caps->flbas >> 5) & 0x3u) << 4;
        if (idx > caps->nlbaf || idx >= 64)
                return -EBADMSG;
        caps->lbaf_index = idx;
        unsigned lbads = data[128 + 4 * idx + 2];
        if (lbads < 9 || lbads > 16)
                return -EBADMSG;
        caps->lba_size = 1u << lbads;
        if (caps->nsze == 0)
                return -EBADMSG;
        return 0;
}

static int identify(const struct wipe_fw_transport *t, uint32_t cns, uint32_t nsid, uint8_t *buf) {
        struct wipe_nvme_cmd cmd = {
                .opcode = WIPE_NVME_ADMIN_IDENTIFY,
                .nsid = nsid,
                .cdw10 = cns,
                .data = buf,
                .len = 4096,
                .timeout_ms = 15000,
        };
        struct wipe_nvme_result res;

        memset(buf, 0, 4096);
        int r = wipe_fw_nvme_admin(t, &cmd, &res);
        if (r < 0)
                return r;
        return res.status ? -EIO : 0;
}

int wipe_nvme_probe(const struct wipe_fw_transport *t, uint32_t nsid, struct wipe_nvme_caps *ret) {
        if (!t || !ret || nsid == 0 || nsid == UINT32_MAX)
                return -EINVAL;
        _cleanup_free_ uint8_t *buf = malloc(4096);
        if (!buf)
                return -ENOMEM;
        int r = identify(t, 1, 0, buf);
        if (r < 0)
                return r;
        r = wipe_nvme_id_ctrl_parse(buf, ret);
        if (r < 0)
                return r;
        r = identify(t, 0, nsid, buf);
        if (r < 0)
                return r;
        ret->nsid = nsid;
        return wipe_nvme_id_ns_parse(buf, ret);
}

int wipe_nvme_get_log(const struct wipe_fw_transport *t, uint8_t lid, uint32_t nsid, void *buf, size_t len,
                      struct wipe_nvme_result *res) {
        if (!buf || len < 4 || len % 4 || len > 4096)
                return -EINVAL;
        uint32_t numd = (uint32_t) (len / 4 - 1);
        struct wipe_nvme_cmd cmd = {
                .opcode = WIPE_NVME_ADMIN_GET_LOG_PAGE,
                .nsid = nsid,
                .cdw10 = lid | (numd & 0xffffu) << 16,
                .cdw11 = numd >> 16,
                .data = buf,
                .len = len,
                .timeout_ms = 15000,
        };
        memset(buf, 0, len);
        int r = wipe_fw_nvme_admin(t, &cmd, res);
        if (r < 0)
                return r;
        return res->status ? -EIO : 0;
}

int wipe_nvme_sanitize_status_parse(const uint8_t *log, size_t len, struct wipe_nvme_sanitize_status *ret) {
        if (!log || !ret || len < 20)
                return -EINVAL;
        uint16_t sstat = le16(log + 2);
        *ret = (struct wipe_nvme_sanitize_status) {
                .sprog = le16(log),
                .state = (uint8_t) (sstat & 0x7),
                .global_data_erased = sstat & (1u << 8),
                .scdw10 = le32(log + 4),
                .estimate_s = { le32(log + 8), le32(log + 12), le32(log + 16) },
        };
        if (ret->state > WIPE_NVME_SSTAT_DONE_NO_DEALLOC)
                return -EBADMSG;
        return 0;
}

int wipe_nvme_smart_parse(const uint8_t *log, size_t len, struct wipe_fw_health *ret) {
        if (!log || !ret || len < 512)
                return -EINVAL;
        wipe_fw_health_init(ret);
        ret->known = true;
        ret->critical_warning = log[0];
        ret->failing = log[0] != 0;
        ret->percentage_used = log[5];
        /* 128-bit counters: the high half is zero on any real drive. */
        uint64_t poh = le64(log + 128), media = le64(log + 160);
        ret->power_on_hours = le64(log + 136) || poh > INT64_MAX ? INT64_MAX : (int64_t) poh;
        ret->media_errors = le64(log + 168) || media > INT64_MAX ? INT64_MAX : (int64_t) media;
        return 0;
}

int wipe_nvme_health(const struct wipe_fw_transport *t, struct wipe_fw_health *ret) {
        uint8_t log[512];
        struct wipe_nvme_result res;

        if (!t || !ret)
                return -EINVAL;
        wipe_fw_health_init(ret);
        int r = wipe_nvme_get_log(t, WIPE_NVME_LOG_SMART, UINT32_MAX, log, sizeof(log), &res);
        if (r < 0)
                return r;
        return wipe_nvme_smart_parse(log, sizeof(log), ret);
}

const char *wipe_nvme_status_to_string(uint16_t status) {
        switch (status & 0x7ff) {
        case 0x000:
                return "success";
        case 0x001:
                return "invalid command opcode";
        case 0x002:
                return "invalid field in command";
        case 0x006:
                return "internal error";
        case 0x007:
                return "command abort requested";
        case 0x00b:
                return "invalid namespace or format";
        case 0x01c:
                return "sanitize failed";
        case 0x01d:
                return "sanitize in progress";
        case 0x10a:
                return "invalid format";
        case 0x115:
                return "operation denied (namespace write protected?)";
        case 0x371:
                return "aborted by the host (timeout)";
        default:
                return "error";
        }
}
