/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-method.h"

void wipe_policy_init(struct wipe_policy *p) {
        *p = (struct wipe_policy) {
                .ata_hdd = WIPE_HDD_OVERWRITE,
                .allow_crypto_erase = true,
                .allow_ata_security_erase = true,
                .allow_nvme_format = true,
                .allow_sanitize_overwrite = true,
                .nvme_format_category = WIPE_CATEGORY_PURGE,
                .ata_normal_erase_category = WIPE_CATEGORY_CLEAR,
                .hidden = { .remove_hpa = true, .hpa_volatile = false, .dco_restore = false },
        };
}

const char *wipe_method_to_string(enum wipe_method m) {
        static const char *const names[_WIPE_METHOD_MAX] = {
                [WIPE_METHOD_NVME_SANITIZE_CRYPTO] = "nvme-sanitize-crypto",
                [WIPE_METHOD_NVME_SANITIZE_BLOCK] = "nvme-sanitize-block",
                [WIPE_METHOD_NVME_SANITIZE_OVERWRITE] = "nvme-sanitize-overwrite",
                [WIPE_METHOD_NVME_FORMAT_CRYPTO] = "nvme-format-ses2",
                [WIPE_METHOD_NVME_FORMAT_USER_DATA] = "nvme-format-ses1",
                [WIPE_METHOD_ATA_SANITIZE_CRYPTO] = "ata-sanitize-crypto",
                [WIPE_METHOD_ATA_SANITIZE_BLOCK] = "ata-sanitize-block",
                [WIPE_METHOD_ATA_SANITIZE_OVERWRITE] = "ata-sanitize-overwrite",
                [WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED] = "ata-security-erase-enhanced",
                [WIPE_METHOD_ATA_SECURITY_ERASE] = "ata-security-erase",
                [WIPE_METHOD_SCSI_SANITIZE_CRYPTO] = "scsi-sanitize-crypto",
                [WIPE_METHOD_SCSI_SANITIZE_BLOCK] = "scsi-sanitize-block",
                [WIPE_METHOD_SCSI_SANITIZE_OVERWRITE] = "scsi-sanitize-overwrite",
                [WIPE_METHOD_OVERWRITE] = "overwrite",
        };
        return (unsigned) m < _WIPE_METHOD_MAX ? names[m] : "unknown";
}

const char *wipe_category_to_string(enum wipe_category c) {
        switch (c) {
        case WIPE_CATEGORY_NONE:
                return "none";
        case WIPE_CATEGORY_CLEAR:
                return "clear";
        case WIPE_CATEGORY_PURGE:
                return "purge";
        }
        return "unknown";
}

bool wipe_method_is_firmware(enum wipe_method m) {
        return (unsigned) m < WIPE_METHOD_OVERWRITE;
}

static enum wipe_category category_of(enum wipe_method m, const struct wipe_policy *p) {
        switch (m) {
        case WIPE_METHOD_NVME_FORMAT_CRYPTO:
        case WIPE_METHOD_NVME_FORMAT_USER_DATA:
                return p->nvme_format_category;
        case WIPE_METHOD_ATA_SECURITY_ERASE:
                return p->ata_normal_erase_category;
        case WIPE_METHOD_OVERWRITE:
                return WIPE_CATEGORY_CLEAR;
        default:
                return (unsigned) m < _WIPE_METHOD_MAX ? WIPE_CATEGORY_PURGE : WIPE_CATEGORY_NONE;
        }
}

/* Candidates in order of preference; reason NULL = usable. */
struct builder {
        struct wipe_plan_step cand[_WIPE_METHOD_MAX];
        size_t n;
        const struct wipe_policy *policy;
};

static void cand(struct builder *b, enum wipe_method m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cand(struct builder *b, enum wipe_method m, const char *fmt, ...) {
        if (b->n >= ELEMENTSOF(b->cand))
                return;
        struct wipe_plan_step *s = &b->cand[b->n++];
        *s = (struct wipe_plan_step) { .method = m, .category = category_of(m, b->policy) };
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
                va_end(ap);
                s->state = WIPE_STEP_SKIPPED;
        }
}

static void plan_nvme(struct builder *b, const struct wipe_nvme_caps *n) {
        const struct wipe_policy *p = b->policy;
        unsigned sc = n->sanicap;

        if (!p->allow_crypto_erase)
                cand(b, WIPE_METHOD_NVME_SANITIZE_CRYPTO, "crypto erase disabled by policy");
        else if (!n->sanitize_crypto)
                cand(b, WIPE_METHOD_NVME_SANITIZE_CRYPTO, "sanitize crypto erase not supported (SANICAP=0x%x)", sc);
        else
                cand(b, WIPE_METHOD_NVME_SANITIZE_CRYPTO, NULL);
        if (!n->sanitize_block)
                cand(b, WIPE_METHOD_NVME_SANITIZE_BLOCK, "sanitize block erase not supported (SANICAP=0x%x)", sc);
        else
                cand(b, WIPE_METHOD_NVME_SANITIZE_BLOCK, NULL);
        if (!p->allow_sanitize_overwrite)
                cand(b, WIPE_METHOD_NVME_SANITIZE_OVERWRITE, "sanitize overwrite disabled by policy");
        else if (!n->sanitize_overwrite)
                cand(b, WIPE_METHOD_NVME_SANITIZE_OVERWRITE, "sanitize overwrite not supported (SANICAP=0x%x)", sc);
        else
                cand(b, WIPE_METHOD_NVME_SANITIZE_OVERWRITE, NULL);

        if (!p->allow_nvme_format)
                cand(b, WIPE_METHOD_NVME_FORMAT_CRYPTO, "Format NVM disabled by policy");
        else if (!n->format_supported)
                cand(b, WIPE_METHOD_NVME_FORMAT_CRYPTO, "Format NVM not supported (OACS=0x%x)", n->oacs);
        else if (!p->allow_crypto_erase)
                cand(b, WIPE_METHOD_NVME_FORMAT_CRYPTO, "crypto erase disabled by policy");
        else if (!n->crypto_erase_supported)
                cand(b, WIPE_METHOD_NVME_FORMAT_CRYPTO, "cryptographic erase not supported (FNA=0x%x, bit 2 clear)",
                     n->fna);
        else
                cand(b, WIPE_METHOD_NVME_FORMAT_CRYPTO, NULL);
        if (!p->allow_nvme_format)
                cand(b, WIPE_METHOD_NVME_FORMAT_USER_DATA, "Format NVM disabled by policy");
        else if (!n->format_supported)
                cand(b, WIPE_METHOD_NVME_FORMAT_USER_DATA, "Format NVM not supported (OACS=0x%x)", n->oacs);
        else
                cand(b, WIPE_METHOD_NVME_FORMAT_USER_DATA, NULL);
}

static void ata_sanitize_cand(struct builder *b, const struct wipe_ata_caps *a, enum wipe_method m, bool bit,
                              const char *what) {
        if (m == WIPE_METHOD_ATA_SANITIZE_CRYPTO && !b->policy->allow_crypto_erase)
                cand(b, m, "crypto erase disabled by policy");
        else if (!a->sanitize_supported)
                cand(b, m, "sanitize feature set not supported (IDENTIFY word 59 bit 12)");
        else if (!bit)
                cand(b, m, "sanitize %s not supported (IDENTIFY word 59)", what);
        else if (!a->lba48)
                cand(b, m, "48-bit commands not supported");
        else if (a->sanitize_frozen)
                cand(b, m, "sanitize frozen (SANITIZE FREEZE LOCK EXT, by the BIOS?): power-cycle the drive in a "
                           "hot-swap bay");
        else
                cand(b, m, NULL);
}

static void ata_security_cand(struct builder *b, const struct wipe_ata_caps *a, enum wipe_method m, bool enhanced) {
        int error;
        const char *why = wipe_ata_security_refusal(a, enhanced, &error);

        if (!b->policy->allow_ata_security_erase)
                cand(b, m, "security erase disabled by policy");
        else if (why)
                cand(b, m, "%s", why);
        else
                cand(b, m, NULL);
}

static void plan_ata(struct builder *b, const struct wipe_ata_caps *a, bool ssd) {
        if (ssd) {
                ata_sanitize_cand(b, a, WIPE_METHOD_ATA_SANITIZE_CRYPTO, a->sanitize_crypto, "crypto scramble");
                ata_sanitize_cand(b, a, WIPE_METHOD_ATA_SANITIZE_BLOCK, a->sanitize_block, "block erase");
                ata_security_cand(b, a, WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED, true);
                ata_security_cand(b, a, WIPE_METHOD_ATA_SECURITY_ERASE, false);
                return;
        }
        if (b->policy->ata_hdd == WIPE_HDD_OVERWRITE) {
                cand(b, WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED,
                     "hard disk: policy is to overwrite (ata_hdd = overwrite)");
                return;
        }
        ata_security_cand(b, a, WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED, true);
}

static void plan_scsi(struct builder *b, const struct wipe_caps *c) {
        const struct wipe_scsi_caps *s = &c->scsi;
        const char *why = NULL;

        if (s->device_type != 0)
                why = "not a direct-access block device";
        else if (!s->rsoc_supported)
                why = "REPORT SUPPORTED OPERATION CODES not supported: SANITIZE support unknown";
        if (why) {
                cand(b, WIPE_METHOD_SCSI_SANITIZE_CRYPTO, "%s", why);
        } else {
                if (!b->policy->allow_crypto_erase)
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_CRYPTO, "crypto erase disabled by policy");
                else if (!s->sanitize_crypto)
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_CRYPTO, "SANITIZE CRYPTOGRAPHIC ERASE not supported");
                else
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_CRYPTO, NULL);
                if (!s->sanitize_block)
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_BLOCK, "SANITIZE BLOCK ERASE not supported");
                else
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_BLOCK, NULL);
                if (!b->policy->allow_sanitize_overwrite)
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_OVERWRITE, "sanitize overwrite disabled by policy");
                else if (!s->sanitize_overwrite)
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_OVERWRITE, "SANITIZE OVERWRITE not supported");
                else
                        cand(b, WIPE_METHOD_SCSI_SANITIZE_OVERWRITE, NULL);
        }
        /* An ATA drive behind a bridge that does not pass ATA through. */
        if (c->note[0])
                cand(b, WIPE_METHOD_ATA_SANITIZE_CRYPTO, "%s", c->note);
}

int wipe_method_plan(const struct wipe_caps *caps, const struct wipe_policy *policy, struct wipe_plan *ret) {
        if (!caps || !policy || !ret)
                return -EINVAL;
        *ret = (struct wipe_plan) {};
        struct builder b = { .policy = policy };

        switch (caps->kind) {
        case WIPE_FW_KIND_NVME:
                plan_nvme(&b, &caps->nvme);
                break;
        case WIPE_FW_KIND_ATA:
                plan_ata(&b, &caps->ata, caps->solid_state);
                break;
        case WIPE_FW_KIND_SCSI:
                plan_scsi(&b, caps);
                break;
        case WIPE_FW_KIND_NONE:
                cand(&b, WIPE_METHOD_ATA_SANITIZE_CRYPTO, "no firmware command set answered%s%s",
                     caps->note[0] ? ": " : "", caps->note);
                break;
        }

        /* The first usable candidate is the plan; the others are recorded
         * with the reason they were not used. */
        const struct wipe_plan_step *chosen = NULL;
        for (size_t i = 0; i < b.n; i++)
                if (b.cand[i].state == WIPE_STEP_PLANNED) {
                        chosen = &b.cand[i];
                        ret->steps[ret->n_steps++] = *chosen;
                        break;
                }
        ret->steps[ret->n_steps++] = (struct wipe_plan_step) {
                .method = WIPE_METHOD_OVERWRITE,
                .category = WIPE_CATEGORY_CLEAR,
                .state = WIPE_STEP_PLANNED,
        };
        for (size_t i = 0; i < b.n && ret->n_steps < ELEMENTSOF(ret->steps); i++) {
                if (&b.cand[i] == chosen)
                        continue;
                struct wipe_plan_step s = b.cand[i];
                if (s.state == WIPE_STEP_PLANNED) {
                        s.state = WIPE_STEP_SKIPPED;
                        snprintf(s.reason, sizeof(s.reason), "not needed: %s comes first",
                                 wipe_method_to_string(chosen->method));
                }
                ret->steps[ret->n_steps++] = s;
        }
        return 0;
}

const struct wipe_plan_step *wipe_plan_first(const struct wipe_plan *plan) {
        return plan && plan->n_steps ? &plan->steps[0] : NULL;
}

static int run_step(const struct wipe_fw_transport *t, const struct wipe_caps *c, enum wipe_method m,
                    const struct wipe_fw_opts *o, struct wipe_fw_outcome *out) {
        switch (m) {
        case WIPE_METHOD_NVME_SANITIZE_CRYPTO:
                return wipe_nvme_sanitize(t, &c->nvme, WIPE_NVME_SANACT_CRYPTO, o, out);
        case WIPE_METHOD_NVME_SANITIZE_BLOCK:
                return wipe_nvme_sanitize(t, &c->nvme, WIPE_NVME_SANACT_BLOCK, o, out);
        case WIPE_METHOD_NVME_SANITIZE_OVERWRITE:
                return wipe_nvme_sanitize(t, &c->nvme, WIPE_NVME_SANACT_OVERWRITE, o, out);
        case WIPE_METHOD_NVME_FORMAT_CRYPTO:
                return wipe_nvme_format(t, &c->nvme, WIPE_NVME_SES_CRYPTO, o, out);
        case WIPE_METHOD_NVME_FORMAT_USER_DATA:
                return wipe_nvme_format(t, &c->nvme, WIPE_NVME_SES_USER_DATA, o, out);
        case WIPE_METHOD_ATA_SANITIZE_CRYPTO:
                return wipe_ata_sanitize(t, &c->ata, WIPE_ATA_SANITIZE_ACTION_CRYPTO, o, out);
        case WIPE_METHOD_ATA_SANITIZE_BLOCK:
                return wipe_ata_sanitize(t, &c->ata, WIPE_ATA_SANITIZE_ACTION_BLOCK, o, out);
        case WIPE_METHOD_ATA_SANITIZE_OVERWRITE:
                return wipe_ata_sanitize(t, &c->ata, WIPE_ATA_SANITIZE_ACTION_OVERWRITE, o, out);
        case WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED:
                return wipe_ata_security_erase(t, &c->ata, true, o, out);
        case WIPE_METHOD_ATA_SECURITY_ERASE:
                return wipe_ata_security_erase(t, &c->ata, false, o, out);
        case WIPE_METHOD_SCSI_SANITIZE_CRYPTO:
                return wipe_scsi_sanitize(t, &c->scsi, WIPE_SCSI_SANITIZE_CRYPTO, o, out);
        case WIPE_METHOD_SCSI_SANITIZE_BLOCK:
                return wipe_scsi_sanitize(t, &c->scsi, WIPE_SCSI_SANITIZE_BLOCK, o, out);
        case WIPE_METHOD_SCSI_SANITIZE_OVERWRITE:
                return wipe_scsi_sanitize(t, &c->scsi, WIPE_SCSI_SANITIZE_OVERWRITE, o, out);
        default:
                return -EINVAL;
        }
}

int wipe_method_run(const struct wipe_fw_transport *t, const struct wipe_caps *caps, const struct wipe_plan *plan,
                    const struct wipe_fw_opts *opts, struct wipe_method_result *ret) {
        if (!t || !caps || !plan || !ret)
                return -EINVAL;
        *ret = (struct wipe_method_result) { .method = WIPE_METHOD_OVERWRITE, .category = WIPE_CATEGORY_CLEAR };
        const struct wipe_plan_step *first = wipe_plan_first(plan);
        if (!first)
                return -EINVAL;

        if (!wipe_method_is_firmware(first->method)) {
                /* Why no Purge: the reason of the preferred candidate. */
                const char *why = plan->n_steps > 1 ? plan->steps[1].reason : "";
                snprintf(ret->fallback_reason, sizeof(ret->fallback_reason), "no firmware erase: %s",
                         why[0] ? why : "none available");
                return 0;
        }

        ret->attempted = true;
        int r = run_step(t, caps, first->method, opts, &ret->firmware);
        if (r >= 0 && ret->firmware.error == 0) {
                ret->method = first->method;
                ret->category = first->category;
                ret->expect = ret->firmware.expect;
                return 0;
        }
        if (ret->firmware.error == 0)
                ret->firmware.error = r;
        snprintf(ret->fallback_reason, sizeof(ret->fallback_reason), "%s failed: %s",
                 wipe_method_to_string(first->method), ret->firmware.detail);

        /* Failures after which an overwrite cannot or must not run. */
        if (ret->firmware.password_left_set)
                return -EACCES;
        if (r == -ENODEV || r == -ECANCELED || r == -ENOMEM)
                return r;
        if (r == -ETIMEDOUT && first->method != WIPE_METHOD_ATA_SECURITY_ERASE &&
            first->method != WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED)
                return r; /* a sanitize may still run in the drive */
        return 0;
}

json_t *wipe_plan_to_json(const struct wipe_plan *plan) {
        if (!plan)
                return NULL;
        json_t *a = json_array();
        for (size_t i = 0; a && i < plan->n_steps; i++) {
                const struct wipe_plan_step *s = &plan->steps[i];
                json_t *o = json_pack("{s:s, s:s, s:s}", "method", wipe_method_to_string(s->method), "category",
                                      wipe_category_to_string(s->category), "state",
                                      s->state == WIPE_STEP_PLANNED ? "planned" : "skipped");
                if (o && s->reason[0] && json_object_set_new(o, "reason", json_string(s->reason)) < 0) {
                        json_decref(o);
                        o = NULL;
                }
                if (!o || json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

json_t *wipe_method_result_to_json(const struct wipe_method_result *r) {
        static const char *const expects[] = { "changed", "zeros", "ones" };

        if (!r)
                return NULL;
        json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "method", wipe_method_to_string(r->method), "category",
                              wipe_category_to_string(r->category), "expect",
                              (unsigned) r->expect < ELEMENTSOF(expects) ? expects[r->expect] : "unknown",
                              "firmware_attempted", r->attempted);
        if (!o)
                return NULL;
        int k = 0;
        if (r->attempted)
                k |= json_object_set_new(o, "firmware",
                                         json_pack("{s:i, s:s, s:I, s:b}", "error", r->firmware.error, "detail",
                                                   r->firmware.detail, "duration_ms",
                                                   (json_int_t) r->firmware.duration_ms, "password_left_set",
                                                   r->firmware.password_left_set));
        if (r->fallback_reason[0])
                k |= json_object_set_new(o, "fallback_reason", json_string(r->fallback_reason));
        if (k) {
                json_decref(o);
                return NULL;
        }
        return o;
}
