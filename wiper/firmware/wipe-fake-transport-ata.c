/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-ata.h"
#include "wipe-fake-transport.h"

/* The ATA drive model: IDENTIFY built from the live profile, the Security
 * state machine (ACS-3 §4.18: SEC1..SEC6), SANITIZE with progress over the
 * virtual clock, HPA/DCO, SMART. */

static void put_word(uint8_t *d, unsigned w, uint16_t v) {
        d[2 * w] = (uint8_t) v;
        d[2 * w + 1] = (uint8_t) (v >> 8);
}

static void put_ata_string(uint8_t *d, unsigned first, unsigned n_words, const char *s) {
        size_t len = strlen(s);
        for (unsigned i = 0; i < n_words; i++) {
                char hi = 2 * i < len ? s[2 * i] : ' ', lo = 2 * i + 1 < len ? s[2 * i + 1] : ' ';
                put_word(d, first + i, (uint16_t) ((uint8_t) hi << 8 | (uint8_t) lo));
        }
}

static void put_checksum(uint8_t *d) {
        d[510] = 0xa5;
        uint8_t sum = 0;
        for (size_t i = 0; i < 511; i++)
                sum = (uint8_t) (sum + d[i]);
        d[511] = (uint8_t) -sum;
}

void wipe_fake_ata_identify_build(const struct wipe_fake_ata_profile *p, uint8_t out[512]) {
        memset(out, 0, 512);
        put_word(out, 0, 0x0040); /* fixed, ATA */
        put_ata_string(out, 10, 10, p->serial);
        put_ata_string(out, 23, 4, p->firmware);
        put_ata_string(out, 27, 20, p->model);
        put_word(out, 49, 0x0200); /* LBA */
        uint16_t w59 = 0;
        if (p->sanitize)
                w59 = (uint16_t) (1u << 12 | (p->sanitize_crypto ? 1u << 13 : 0) |
                                  (p->sanitize_overwrite ? 1u << 14 : 0) | (p->sanitize_block ? 1u << 15 : 0));
        put_word(out, 59, w59);
        uint64_t s28 = MIN(p->sectors, (uint64_t) 0x0fffffff);
        put_word(out, 60, (uint16_t) s28);
        put_word(out, 61, (uint16_t) (s28 >> 16));
        bool hpa_set = p->hpa && p->native_sectors > p->sectors;
        put_word(out, 82, (uint16_t) ((p->smart ? 1u : 0) | (p->security ? 1u << 1 : 0) | (p->hpa ? 1u << 10 : 0)));
        put_word(out, 83, (uint16_t) (0x4000 | (p->no_lba48 ? 0 : 1u << 10) | (p->dco ? 1u << 11 : 0)));
        put_word(out, 84, 0x4000);
        put_word(out, 85, (uint16_t) ((p->smart ? 1u : 0) | (p->security_enabled ? 1u << 1 : 0) |
                                      (hpa_set ? 1u << 10 : 0)));
        put_word(out, 86, (uint16_t) ((p->no_lba48 ? 0 : 1u << 10) | (p->dco ? 1u << 11 : 0)));
        put_word(out, 87, 0x4000);
        if (p->security) {
                put_word(out, 89, p->erase_time_word);
                put_word(out, 90, p->enhanced_time_word);
                put_word(out, 128, (uint16_t) (1u | (p->security_enabled ? 1u << 1 : 0) |
                                               (p->security_locked ? 1u << 2 : 0) |
                                               (p->security_frozen ? 1u << 3 : 0) |
                                               (p->security_expired ? 1u << 4 : 0) | (p->enhanced ? 1u << 5 : 0)));
        }
        if (!p->no_lba48)
                for (unsigned i = 0; i < 4; i++)
                        put_word(out, 100 + i, (uint16_t) (p->sectors >> (16 * i)));
        put_word(out, 106, 0x4000);
        put_word(out, 217, p->ssd ? 1 : 7200);
        if (!p->no_checksum)
                put_checksum(out);
}

void wipe_fake_ata_dco_build(const struct wipe_fake_ata_profile *p, uint8_t out[512]) {
        memset(out, 0, 512);
        put_word(out, 0, 0x0002);
        uint64_t max = p->dco_sectors - 1;
        for (unsigned i = 0; i < 4; i++)
                put_word(out, 3 + i, (uint16_t) (max >> (16 * i)));
        put_word(out, 7, (uint16_t) ((p->hpa ? 1u << 7 : 0) | (p->security ? 1u << 3 : 0) | 1u));
        put_checksum(out);
}

static void smart_build(const struct wipe_fake_ata_profile *p, uint8_t out[512]) {
        const struct {
                uint8_t id;
                uint32_t raw;
        } attrs[] = { { 1, 0 }, { 5, p->reallocated }, { 9, p->power_on_hours }, { 197, p->pending },
                      { 198, p->uncorrectable } };
        memset(out, 0, 512);
        put_word(out, 0, 0x0010);
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                uint8_t *a = out + 2 + 12 * i;
                a[0] = attrs[i].id;
                a[3] = a[4] = 100;
                for (unsigned b = 0; b < 4; b++)
                        a[5 + b] = (uint8_t) (attrs[i].raw >> (8 * b));
        }
        uint8_t sum = 0;
        for (size_t i = 0; i < 511; i++)
                sum = (uint8_t) (sum + out[i]);
        out[511] = (uint8_t) -sum;
}

static void ok(struct wipe_ata_result *r) {
        r->have_regs = true;
        r->status = WIPE_ATA_STATUS_DRDY;
        r->error = 0;
}

static void abrt(struct wipe_ata_result *r) {
        r->have_regs = true;
        r->status = WIPE_ATA_STATUS_DRDY | WIPE_ATA_STATUS_ERR;
        r->error = WIPE_ATA_ERROR_ABRT;
}

static bool password_matches(const struct wipe_fake *f, const uint8_t *buf) {
        uint8_t want[32] = {};
        memcpy(want, f->ata.password, MIN(strlen(f->ata.password), sizeof(want)));
        return memcmp(buf + 2, want, sizeof(want)) == 0;
}

static void wrong_password(struct wipe_fake *f) {
        if (f->ata_attempts == 0)
                return;
        f->ata_attempts--;
        if (f->ata_attempts == 0)
                f->ata.security_expired = true;
}

static void sanitize_update(struct wipe_fake *f) {
        if (f->san != WIPE_FAKE_SAN_RUNNING || f->now_ms < f->san_start_ms + wipe_fake_sanitize_ms(f->ata.sanitize_ms))
                return;
        if (f->sanitize_fails) {
                f->san = WIPE_FAKE_SAN_FAILED;
                return;
        }
        f->san = WIPE_FAKE_SAN_DONE;
        /* Sanitize covers every user data area, hidden ones too. */
        if (f->san_action == WIPE_ATA_SANITIZE_CRYPTO)
                wipe_fake_media_scramble(f, f->media_size, 1);
        else
                wipe_fake_media_zero(f, f->media_size);
}

static void security_erase_unit(struct wipe_fake *f, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *r) {
        const uint8_t *buf = cmd->data;
        bool enhanced = buf[0] & 0x02;

        if (!f->ata_prepared || f->ata.security_frozen || !f->ata.security_enabled ||
            (enhanced && !f->ata.enhanced)) {
                abrt(r);
                return;
        }
        if (!password_matches(f, buf)) {
                wrong_password(f);
                abrt(r);
                return;
        }
        if (enhanced)
                wipe_fake_media_scramble(f, f->media_size, 3); /* every area, reallocated ones too */
        else
                wipe_fake_media_zero(f, f->ata.sectors * 512);
        /* SEC1: the password is gone. */
        f->ata.security_enabled = false;
        f->ata.security_locked = false;
        memset(f->ata.password, 0, sizeof(f->ata.password));
        ok(r);
}

static int security(struct wipe_fake *f, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *r) {
        const uint8_t *buf = cmd->data;
        struct wipe_fake_ata_profile *p = &f->ata;
        bool prepared = f->ata_prepared;

        f->ata_prepared = false;
        if (!p->security || (cmd->command != WIPE_ATA_SEC_ERASE_PREPARE && (!buf || cmd->len < 512))) {
                abrt(r);
                return 0;
        }
        switch (cmd->command) {
        case WIPE_ATA_SEC_SET_PASSWORD:
                if (p->security_frozen || p->security_locked || (buf[0] & 1)) {
                        abrt(r);
                        break;
                }
                memset(p->password, 0, sizeof(p->password));
                memcpy(p->password, buf + 2, 32);
                p->security_enabled = true;
                ok(r);
                break;
        case WIPE_ATA_SEC_UNLOCK:
                if (p->security_frozen || p->security_expired) {
                        abrt(r);
                        break;
                }
                if (!password_matches(f, buf)) {
                        wrong_password(f);
                        abrt(r);
                        break;
                }
                p->security_locked = false;
                ok(r);
                break;
        case WIPE_ATA_SEC_ERASE_PREPARE:
                if (p->security_frozen) {
                        abrt(r);
                        break;
                }
                f->ata_prepared = true;
                ok(r);
                break;
        case WIPE_ATA_SEC_ERASE_UNIT:
                f->ata_prepared = prepared;
                security_erase_unit(f, cmd, r);
                f->ata_prepared = false;
                break;
        case WIPE_ATA_SEC_DISABLE_PASSWORD:
                if (p->security_frozen || p->security_locked || !p->security_enabled) {
                        abrt(r);
                        break;
                }
                if (!password_matches(f, buf)) {
                        wrong_password(f);
                        abrt(r);
                        break;
                }
                p->security_enabled = false;
                memset(p->password, 0, sizeof(p->password));
                ok(r);
                break;
        default:
                abrt(r);
        }
        return 0;
}

static void sanitize(struct wipe_fake *f, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *r) {
        struct wipe_fake_ata_profile *p = &f->ata;

        sanitize_update(f);
        if (!p->sanitize || p->no_lba48) {
                abrt(r);
                return;
        }
        if (cmd->feature == WIPE_ATA_SANITIZE_STATUS) {
                if (f->san == WIPE_FAKE_SAN_FAILED) {
                        abrt(r);
                        r->lba = 1; /* sanitize operation unsuccessful */
                        if (cmd->count & 1)
                                f->san = WIPE_FAKE_SAN_IDLE;
                        return;
                }
                ok(r);
                r->count = (uint16_t) ((f->san == WIPE_FAKE_SAN_DONE ? WIPE_ATA_SANITIZE_DONE : 0) |
                                       (f->san == WIPE_FAKE_SAN_RUNNING ? WIPE_ATA_SANITIZE_IN_PROGRESS : 0) |
                                       (p->sanitize_frozen ? WIPE_ATA_SANITIZE_FROZEN : 0));
                if (f->san == WIPE_FAKE_SAN_RUNNING)
                        r->lba = (f->now_ms - f->san_start_ms) * 65536 / wipe_fake_sanitize_ms(p->sanitize_ms);
                return;
        }
        bool supported = (cmd->feature == WIPE_ATA_SANITIZE_CRYPTO && p->sanitize_crypto &&
                          cmd->lba == WIPE_ATA_SIG_CRYPTO) ||
                         (cmd->feature == WIPE_ATA_SANITIZE_BLOCK && p->sanitize_block && cmd->lba == WIPE_ATA_SIG_BLOCK) ||
                         (cmd->feature == WIPE_ATA_SANITIZE_OVERWRITE && p->sanitize_overwrite &&
                          cmd->lba >> 32 == WIPE_ATA_SIG_OVERWRITE);
        if (!supported || p->sanitize_frozen || p->security_locked || f->san == WIPE_FAKE_SAN_RUNNING ||
            f->san == WIPE_FAKE_SAN_FAILED) {
                abrt(r);
                return;
        }
        f->san = WIPE_FAKE_SAN_RUNNING;
        f->san_start_ms = f->now_ms;
        f->san_action = cmd->feature;
        ok(r);
}

int wipe_fake_ata_exec(struct wipe_fake *f, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *r) {
        struct wipe_fake_ata_profile *p = &f->ata;
        int fault = wipe_fake_fault_match(f, WIPE_FAKE_ATA, cmd->command, cmd->feature);

        *r = (struct wipe_ata_result) {};
        if (fault == WIPE_FAKE_TIMEOUT) {
                if (cmd->command == WIPE_ATA_SEC_ERASE_UNIT && p->security_enabled) {
                        /* The erase started, the host reset the link: half
                         * done, and the drive comes back locked (SEC5). */
                        wipe_fake_media_zero(f, p->sectors * 512 / 2);
                        p->security_locked = true;
                }
                f->ata_prepared = false;
                return -ETIMEDOUT;
        }
        if (fault == WIPE_FAKE_TRANSPORT_ERROR)
                return -EIO;
        if (fault == WIPE_FAKE_ABORT) {
                f->ata_prepared = false;
                abrt(r);
                return 0;
        }

        sanitize_update(f);
        if (f->san == WIPE_FAKE_SAN_RUNNING && cmd->command != WIPE_ATA_SANITIZE &&
            cmd->command != WIPE_ATA_IDENTIFY_DEVICE) {
                abrt(r);
                return 0;
        }
        if (cmd->command >= WIPE_ATA_SEC_SET_PASSWORD && cmd->command <= WIPE_ATA_SEC_DISABLE_PASSWORD &&
            cmd->command != 0xf5)
                return security(f, cmd, r);
        f->ata_prepared = false;

        switch (cmd->command) {
        case WIPE_ATA_IDENTIFY_DEVICE:
                if (!cmd->data || cmd->len < 512) {
                        abrt(r);
                        break;
                }
                wipe_fake_ata_identify_build(p, cmd->data);
                ok(r);
                break;
        case WIPE_ATA_SANITIZE:
                sanitize(f, cmd, r);
                break;
        case WIPE_ATA_READ_NATIVE_MAX_EXT:
                if (!p->hpa || p->no_lba48) {
                        abrt(r);
                        break;
                }
                ok(r);
                r->lba = p->native_sectors - 1;
                break;
        case WIPE_ATA_SET_MAX_EXT:
                if (!p->hpa || f->set_max_locked || cmd->lba + 1 > p->native_sectors || p->security_locked) {
                        abrt(r);
                        break;
                }
                p->sectors = cmd->lba + 1;
                f->ata_hpa_volatile = !(cmd->count & 1);
                ok(r);
                r->lba = cmd->lba;
                break;
        case WIPE_ATA_DCO:
                abrt(r);
                if (p->dco && cmd->feature == WIPE_ATA_DCO_IDENTIFY && cmd->data && cmd->len >= 512) {
                        wipe_fake_ata_dco_build(p, cmd->data);
                        ok(r);
                } else if (p->dco && cmd->feature == WIPE_ATA_DCO_RESTORE && p->sectors == p->native_sectors &&
                           !p->security_frozen) {
                        /* Refused while an HPA is set, as ACS says. */
                        p->native_sectors = p->sectors = p->dco_sectors;
                        ok(r);
                }
                break;
        case WIPE_ATA_SMART:
                abrt(r);
                if (!p->smart || ((cmd->lba >> 8) & 0xffff) != 0xc24f)
                        break;
                if (cmd->feature == 0xda) {
                        ok(r);
                        r->lba = p->smart_failing ? 0x2cf400 : 0xc24f00;
                } else if (cmd->feature == 0xd0 && cmd->data && cmd->len >= 512) {
                        smart_build(p, cmd->data);
                        ok(r);
                }
                break;
        default:
                abrt(r);
        }
        return 0;
}
