/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-ata.h"

/* IDENTIFY DEVICE data is 256 little-endian words (ACS-3 §7.12.7). */
static uint16_t word(const uint8_t *id, unsigned w) {
        return (uint16_t) (id[2 * w] | id[2 * w + 1] << 8);
}

/* Words 82-84 and 85-87 carry "valid" markers in bits 15:14 (01b). */
static bool word_valid(const uint8_t *id, unsigned w) {
        return (word(id, w) & 0xc000) == 0x4000;
}

/* ATA strings: two characters per word, the first in the high byte; padded
 * with spaces. Untrusted: keep printable ASCII only. */
static void ata_string(const uint8_t *id, unsigned first, unsigned n_words, char *out, size_t outlen) {
        size_t k = 0;

        for (unsigned w = first; w < first + n_words && k + 2 < outlen; w++) {
                uint16_t v = word(id, w);
                out[k++] = (char) (v >> 8);
                out[k++] = (char) (v & 0xff);
        }
        out[k] = 0;
        for (size_t i = 0; i < k; i++)
                if ((unsigned char) out[i] < 0x20 || (unsigned char) out[i] > 0x7e)
                        out[i] = '?';
        while (k > 0 && out[k - 1] == ' ')
                out[--k] = 0;
        size_t lead = strspn(out, " ");
        memmove(out, out + lead, k - lead + 1);
}

static void erase_minutes(uint16_t v, unsigned *minutes, bool *over) {
        *over = false;
        if (v & 0x8000) {
                *minutes = 2u * (v & 0x7fffu);
        } else {
                *minutes = 2u * (v & 0xffu);
                *over = (v & 0xff) == 0xff;
        }
}

int wipe_ata_identify_parse(const uint8_t id[512], struct wipe_ata_caps *ret) {
        if (!id || !ret)
                return -EINVAL;
        *ret = (struct wipe_ata_caps) {};

        bool zeros = true, ones = true;
        for (size_t i = 0; i < 512; i++) {
                zeros = zeros && id[i] == 0;
                ones = ones && id[i] == 0xff;
        }
        if (zeros || ones)
                return -EINVAL;
        if (word(id, 0) & 0x8000)
                return -EMEDIUMTYPE;
        if ((word(id, 255) & 0xff) == 0xa5) {
                uint8_t sum = 0;
                for (size_t i = 0; i < 512; i++)
                        sum = (uint8_t) (sum + id[i]);
                if (sum != 0)
                        return -EBADMSG;
                ret->checksum_present = true;
        }

        ata_string(id, 10, 10, ret->serial, sizeof(ret->serial));
        ata_string(id, 23, 4, ret->firmware, sizeof(ret->firmware));
        ata_string(id, 27, 20, ret->model, sizeof(ret->model));

        uint16_t w82 = word_valid(id, 83) ? word(id, 82) : 0;
        uint16_t w83 = word_valid(id, 83) ? word(id, 83) : 0;
        uint16_t w85 = word_valid(id, 87) ? word(id, 85) : 0;
        uint16_t w86 = word_valid(id, 87) ? word(id, 86) : 0;

        ret->smart_supported = w82 & (1u << 0);
        ret->smart_enabled = w85 & (1u << 0);
        ret->hpa_supported = w82 & (1u << 10);
        ret->hpa_enabled = w85 & (1u << 10);
        ret->dco_supported = w83 & (1u << 11);
        ret->lba48 = (w83 & (1u << 10)) && (w86 & (1u << 10));

        uint64_t s28 = (uint64_t) word(id, 60) | (uint64_t) word(id, 61) << 16;
        uint64_t s48 = (uint64_t) word(id, 100) | (uint64_t) word(id, 101) << 16 | (uint64_t) word(id, 102) << 32 |
                       (uint64_t) word(id, 103) << 48;
        ret->sectors = ret->lba48 && s48 ? s48 : s28;

        ret->logical_sector_size = 512;
        uint16_t w106 = word(id, 106);
        if ((w106 & 0xc000) == 0x4000 && (w106 & (1u << 12))) {
                uint32_t words = (uint32_t) word(id, 117) | (uint32_t) word(id, 118) << 16;
                if (words >= 256 && words <= 32768)
                        ret->logical_sector_size = words * 2;
        }

        uint16_t w217 = word(id, 217);
        ret->rotation_known = w217 == 1 || (w217 >= 0x0401 && w217 <= 0xfffe);
        ret->non_rotating = w217 == 1;

        /* Security: word 128 is only meaningful when word 82 says the
         * feature set is supported. */
        uint16_t w128 = word(id, 128);
        ret->security_supported = (w82 & (1u << 1)) && (w128 & (1u << 0));
        if (ret->security_supported) {
                ret->security_enabled = w128 & (1u << 1);
                ret->security_locked = w128 & (1u << 2);
                ret->security_frozen = w128 & (1u << 3);
                ret->security_count_expired = w128 & (1u << 4);
                ret->security_enhanced_supported = w128 & (1u << 5);
                ret->security_master_max = w128 & (1u << 8);
                erase_minutes(word(id, 89), &ret->erase_minutes, &ret->erase_minutes_over);
                erase_minutes(word(id, 90), &ret->enhanced_erase_minutes, &ret->enhanced_erase_minutes_over);
        }

        uint16_t w59 = word(id, 59);
        ret->sanitize_supported = w59 & (1u << 12);
        if (ret->sanitize_supported) {
                ret->sanitize_crypto = w59 & (1u << 13);
                ret->sanitize_overwrite = w59 & (1u << 14);
                ret->sanitize_block = w59 & (1u << 15);
        }
        return 0;
}

int wipe_ata_identify(const struct wipe_fw_transport *t, uint8_t id[512], struct wipe_ata_result *res) {
        struct wipe_ata_cmd cmd = {
                .command = WIPE_ATA_IDENTIFY_DEVICE,
                .count = 1,
                .protocol = WIPE_ATA_PIO_IN,
                .data = id,
                .len = 512,
                .timeout_ms = 15000,
        };
        memset(id, 0, 512);
        return wipe_fw_ata_ok(t, &cmd, res);
}

int wipe_ata_probe(const struct wipe_fw_transport *t, struct wipe_ata_caps *ret) {
        uint8_t id[512];
        struct wipe_ata_result res;

        int r = wipe_ata_identify(t, id, &res);
        if (r < 0)
                return r;
        r = wipe_ata_identify_parse(id, ret);
        if (r < 0)
                return r;
        if (ret->sanitize_supported && ret->lba48) {
                struct wipe_ata_cmd st = {
                        .command = WIPE_ATA_SANITIZE,
                        .feature = WIPE_ATA_SANITIZE_STATUS,
                        .timeout_ms = 15000,
                };
                if (wipe_fw_ata_ok(t, &st, &res) >= 0 && res.have_regs)
                        ret->sanitize_frozen = res.count & WIPE_ATA_SANITIZE_FROZEN;
        }
        return 0;
}

/* ---- SMART ---- */

int wipe_ata_smart_parse(const uint8_t data[512], struct wipe_fw_health *ret) {
        if (!data || !ret)
                return -EINVAL;
        uint8_t sum = 0;
        for (size_t i = 0; i < 512; i++)
                sum = (uint8_t) (sum + data[i]);
        if (sum != 0)
                return -EBADMSG;

        /* 30 entries of 12 bytes from offset 2: id, flags (2), current,
         * worst, raw (6 bytes little-endian), reserved. */
        for (size_t i = 0; i < 30; i++) {
                const uint8_t *a = data + 2 + 12 * i;
                if (a[0] == 0)
                        continue;
                int64_t raw = 0;
                for (int b = 5; b >= 0; b--)
                        raw = raw << 8 | a[5 + b];
                switch (a[0]) {
                case 5:
                        ret->reallocated = raw;
                        break;
                case 9:
                        ret->power_on_hours = raw & 0xffffffff; /* some drives put minutes above */
                        break;
                case 197:
                        ret->pending = raw;
                        break;
                case 198:
                        ret->uncorrectable = raw;
                        break;
                default:
                        break;
                }
        }
        return 0;
}

int wipe_ata_health(const struct wipe_fw_transport *t, const struct wipe_ata_caps *caps, struct wipe_fw_health *ret) {
        if (!t || !caps || !ret)
                return -EINVAL;
        wipe_fw_health_init(ret);
        if (!caps->smart_supported || !caps->smart_enabled)
                return -EOPNOTSUPP;

        struct wipe_ata_result res;
        struct wipe_ata_cmd st = {
                .command = WIPE_ATA_SMART,
                .feature = 0xda, /* RETURN STATUS */
                .lba = 0xc24f00,
                .timeout_ms = 15000,
        };
        int r = wipe_fw_ata_ok(t, &st, &res);
        if (r < 0)
                return r;
        if (!res.have_regs)
                return -EOPNOTSUPP;
        uint16_t midhi = (uint16_t) ((res.lba >> 8) & 0xffff);
        if (midhi == 0x2cf4)
                ret->failing = true;
        else if (midhi != 0xc24f)
                return -EBADMSG;
        ret->known = true;

        uint8_t data[512];
        struct wipe_ata_cmd rd = {
                .command = WIPE_ATA_SMART,
                .feature = 0xd0, /* READ DATA */
                .count = 1,
                .lba = 0xc24f00,
                .protocol = WIPE_ATA_PIO_IN,
                .data = data,
                .len = sizeof(data),
                .timeout_ms = 15000,
        };
        /* The verdict above stands even if the attributes are unreadable. */
        if (wipe_fw_ata_ok(t, &rd, &res) >= 0)
                (void) wipe_ata_smart_parse(data, ret);
        return 0;
}
