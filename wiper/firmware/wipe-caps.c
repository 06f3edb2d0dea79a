/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-caps.h"

const char *wipe_fw_kind_to_string(enum wipe_fw_kind k) {
        switch (k) {
        case WIPE_FW_KIND_NONE:
                return "none";
        case WIPE_FW_KIND_ATA:
                return "ata";
        case WIPE_FW_KIND_NVME:
                return "nvme";
        case WIPE_FW_KIND_SCSI:
                return "scsi";
        }
        return "unknown";
}

int wipe_caps_probe(const struct wipe_fw_transport *t, struct wipe_caps *ret) {
        if (!t || !ret)
                return -EINVAL;
        *ret = (struct wipe_caps) { .bus = t->bus };
        int r;

        if (t->bus == WIPE_FW_BUS_NVME) {
                r = wipe_nvme_probe(t, t->nsid, &ret->nvme);
                if (r == -ENODEV || r == -ENOMEM)
                        return r;
                if (r < 0) {
                        snprintf(ret->note, sizeof(ret->note), "NVMe Identify failed: %s", strerror(-r));
                        return 0;
                }
                ret->kind = WIPE_FW_KIND_NVME;
                ret->solid_state = true;
                return 0;
        }

        r = wipe_ata_probe(t, &ret->ata);
        if (r == -ENODEV || r == -ENOMEM)
                return r;
        if (r >= 0) {
                ret->kind = WIPE_FW_KIND_ATA;
                ret->ata_passthrough = true;
                ret->solid_state = ret->ata.non_rotating;
                return 0;
        }
        int ata_error = r;
        ret->ata = (struct wipe_ata_caps) {};

        r = wipe_scsi_probe(t, &ret->scsi);
        if (r == -ENODEV || r == -ENOMEM)
                return r;
        if (r < 0) {
                snprintf(ret->note, sizeof(ret->note), "neither ATA IDENTIFY (%s) nor SCSI INQUIRY (%s) answered",
                         strerrordesc_np(-ata_error), strerrordesc_np(-r));
                return 0;
        }
        ret->kind = WIPE_FW_KIND_SCSI;
        ret->solid_state = ret->scsi.non_rotating;
        ret->ata_passthrough_rejected = ata_error == -EOPNOTSUPP;
        if (ret->scsi.sat)
                snprintf(ret->note, sizeof(ret->note),
                         "ATA drive behind a translator (USB bridge?): ATA pass-through unsupported (%s)",
                         ata_error == -EOPNOTSUPP ? "ILLEGAL REQUEST" : strerror(-ata_error));
        return 0;
}

static int set_str(json_t *o, const char *k, const char *v) {
        return json_object_set_new(o, k, json_string(v ? v : ""));
}

static int set_bool(json_t *o, const char *k, bool v) {
        return json_object_set_new(o, k, json_boolean(v));
}

static int set_int(json_t *o, const char *k, long long v) {
        return json_object_set_new(o, k, json_integer(v));
}

static json_t *ata_json(const struct wipe_ata_caps *a) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        int r = 0;
        r |= set_str(o, "model", a->model);
        r |= set_str(o, "serial", a->serial);
        r |= set_str(o, "firmware", a->firmware);
        r |= set_int(o, "sectors", (long long) a->sectors);
        r |= set_int(o, "logical_sector_size", a->logical_sector_size);
        r |= set_bool(o, "lba48", a->lba48);
        r |= set_bool(o, "non_rotating", a->non_rotating);
        json_t *sec = json_object();
        r |= json_object_set_new(o, "security", sec);
        if (sec) {
                r |= set_bool(sec, "supported", a->security_supported);
                r |= set_bool(sec, "enabled", a->security_enabled);
                r |= set_bool(sec, "locked", a->security_locked);
                r |= set_bool(sec, "frozen", a->security_frozen);
                r |= set_bool(sec, "count_expired", a->security_count_expired);
                r |= set_bool(sec, "enhanced_erase_supported", a->security_enhanced_supported);
                r |= set_int(sec, "erase_minutes", a->erase_minutes);
                r |= set_int(sec, "enhanced_erase_minutes", a->enhanced_erase_minutes);
        }
        json_t *san = json_object();
        r |= json_object_set_new(o, "sanitize", san);
        if (san) {
                r |= set_bool(san, "supported", a->sanitize_supported);
                r |= set_bool(san, "crypto", a->sanitize_crypto);
                r |= set_bool(san, "block", a->sanitize_block);
                r |= set_bool(san, "overwrite", a->sanitize_overwrite);
                r |= set_bool(san, "frozen", a->sanitize_frozen);
        }
        r |= set_bool(o, "hpa_supported", a->hpa_supported);
        r |= set_bool(o, "hpa_enabled", a->hpa_enabled);
        r |= set_bool(o, "dco_supported", a->dco_supported);
        r |= set_bool(o, "smart_enabled", a->smart_enabled);
        if (r || !sec || !san) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *nvme_json(const struct wipe_nvme_caps *n) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        int r = 0;
        r |= set_str(o, "model", n->model);
        r |= set_str(o, "serial", n->serial);
        r |= set_str(o, "firmware", n->firmware);
        r |= set_int(o, "oacs", n->oacs);
        r |= set_int(o, "sanicap", n->sanicap);
        r |= set_int(o, "fna", n->fna);
        r |= set_int(o, "namespaces", n->nn);
        r |= set_bool(o, "format_supported", n->format_supported);
        r |= set_bool(o, "crypto_erase_supported", n->crypto_erase_supported);
        r |= set_bool(o, "sanitize_crypto", n->sanitize_crypto);
        r |= set_bool(o, "sanitize_block", n->sanitize_block);
        r |= set_bool(o, "sanitize_overwrite", n->sanitize_overwrite);
        r |= set_int(o, "nsid", n->nsid);
        r |= set_int(o, "nsze", (long long) n->nsze);
        r |= set_int(o, "lba_size", n->lba_size);
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *scsi_json(const struct wipe_scsi_caps *s) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        int r = 0;
        r |= set_str(o, "vendor", s->vendor);
        r |= set_str(o, "product", s->product);
        r |= set_str(o, "revision", s->revision);
        r |= set_int(o, "device_type", s->device_type);
        r |= set_bool(o, "sat", s->sat);
        r |= set_bool(o, "rsoc_supported", s->rsoc_supported);
        r |= set_bool(o, "sanitize_crypto", s->sanitize_crypto);
        r |= set_bool(o, "sanitize_block", s->sanitize_block);
        r |= set_bool(o, "sanitize_overwrite", s->sanitize_overwrite);
        r |= set_bool(o, "non_rotating", s->non_rotating);
        r |= set_int(o, "sectors", (long long) s->sectors);
        r |= set_int(o, "logical_sector_size", s->logical_sector_size);
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *wipe_caps_to_json(const struct wipe_caps *c) {
        if (!c)
                return NULL;
        json_t *o = json_object();
        if (!o)
                return NULL;
        int r = 0;
        r |= set_str(o, "kind", wipe_fw_kind_to_string(c->kind));
        r |= set_str(o, "bus", wipe_fw_bus_to_string(c->bus));
        r |= set_bool(o, "ata_passthrough", c->ata_passthrough);
        r |= set_bool(o, "ata_passthrough_rejected", c->ata_passthrough_rejected);
        r |= set_bool(o, "solid_state", c->solid_state);
        if (c->note[0])
                r |= set_str(o, "note", c->note);
        json_t *sub = NULL;
        switch (c->kind) {
        case WIPE_FW_KIND_ATA:
                sub = ata_json(&c->ata);
                r |= sub ? json_object_set_new(o, "ata", sub) : -1;
                break;
        case WIPE_FW_KIND_NVME:
                sub = nvme_json(&c->nvme);
                r |= sub ? json_object_set_new(o, "nvme", sub) : -1;
                break;
        case WIPE_FW_KIND_SCSI:
                sub = scsi_json(&c->scsi);
                r |= sub ? json_object_set_new(o, "scsi", sub) : -1;
                break;
        case WIPE_FW_KIND_NONE:
                break;
        }
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static int set_opt(json_t *o, const char *k, int64_t v) {
        return json_object_set_new(o, k, v < 0 ? json_null() : json_integer((json_int_t) v));
}

json_t *wipe_fw_health_to_json(const struct wipe_fw_health *h) {
        if (!h)
                return NULL;
        json_t *o = json_object();
        if (!o)
                return NULL;
        int r = 0;
        r |= set_bool(o, "known", h->known);
        r |= set_bool(o, "failing", h->failing);
        r |= set_opt(o, "critical_warning", h->critical_warning);
        r |= set_opt(o, "percentage_used", h->percentage_used);
        r |= set_opt(o, "reallocated_sectors", h->reallocated);
        r |= set_opt(o, "pending_sectors", h->pending);
        r |= set_opt(o, "offline_uncorrectable", h->uncorrectable);
        r |= set_opt(o, "power_on_hours", h->power_on_hours);
        r |= set_opt(o, "media_errors", h->media_errors);
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}
