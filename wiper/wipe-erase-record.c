/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The erase run's result: options, completeness, and the JSON record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-erase.h"

int wipe_erase_opts_init(struct wipe_erase_opts *opts) {
        if (!opts)
                return -EINVAL;
        *opts = (struct wipe_erase_opts) { .method = WIPE_ERASE_AUTO, .validate_percent = 10 };
        wipe_policy_init(&opts->policy);
        return wipe_overwrite_opts_init(&opts->overwrite);
}

void wipe_erase_result_clear(struct wipe_erase_result *r) {
        if (!r)
                return;
        wipe_overwrite_result_clear(&r->overwrite);
        free(r->commands);
        r->commands = NULL;
        r->n_commands = 0;
}

static bool overwrite_complete(const struct wipe_erase_result *r) {
        const struct wipe_overwrite_result *o = &r->overwrite;

        return r->overwrite_ran && o->stop == WIPE_STOP_NONE && o->n_exceptions == 0 && o->flushed &&
               o->size == r->size && o->bytes_written == o->size && r->overwrite_verify != WIPE_VERIFY_NONE &&
               r->overwrite_verify_total > 0 && o->bytes_verified == r->overwrite_verify_total;
}

bool wipe_erase_result_complete(const struct wipe_erase_result *r) {
        if (!r || r->stop != WIPE_STOP_NONE || r->error != 0 || r->hidden_remains || r->size == 0)
                return false;
        if (wipe_method_is_firmware(r->method))
                return r->firmware_ran && r->firmware.firmware.error == 0 &&
                       wipe_method_is_firmware(r->firmware.method) && r->validation_ran && r->validation.passed &&
                       r->validation.read_errors == 0;
        return r->method == WIPE_METHOD_OVERWRITE && overwrite_complete(r);
}

enum wipe_erase_outcome wipe_erase_result_outcome(const struct wipe_erase_result *r) {
        if (r && (r->stop == WIPE_STOP_CANCELLED || r->stop == WIPE_STOP_REMOVED))
                return WIPE_ERASE_INTERRUPTED;
        return wipe_erase_result_complete(r) ? WIPE_ERASE_ERASED : WIPE_ERASE_NOT_ERASED;
}

const char *wipe_erase_outcome_to_string(enum wipe_erase_outcome o) {
        switch (o) {
        case WIPE_ERASE_ERASED:
                return "erased";
        case WIPE_ERASE_NOT_ERASED:
                return "not-erased";
        case WIPE_ERASE_INTERRUPTED:
                return "interrupted";
        }
        return "unknown";
}

const char *wipe_erase_category_name(enum wipe_category c) {
        switch (c) {
        case WIPE_CATEGORY_CLEAR:
                return "Clear";
        case WIPE_CATEGORY_PURGE:
                return "Purge";
        default:
                return "none";
        }
}

const char *wipe_erase_choice_to_string(enum wipe_erase_choice c) {
        return c == WIPE_ERASE_OVERWRITE ? "overwrite" : "auto";
}

/* ---- JSON ---- */

/* Set key to value (stolen); remember a failure in *ok. */
static void set(json_t *o, const char *key, json_t *value, bool *ok) {
        if (!value || json_object_set_new(o, key, value) < 0)
                *ok = false;
}

static json_t *str_or_null(const char *s) {
        return s && s[0] ? json_string(s) : json_null();
}

static json_t *hex(const uint8_t *data, size_t len) {
        char buf[2 * 64 + 1];
        if (len > 64)
                return NULL;
        rf_hex_encode(data, len, buf);
        return json_string(buf);
}

static json_t *errno_json(int error) {
        return error ? json_string(strerror(error < 0 ? -error : error)) : json_null();
}

static json_t *commands_json(const struct wipe_erase_result *r) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < r->n_commands; i++) {
                const struct wipe_erase_command *e = &r->commands[i];
                char op[8], feat[8], status[8], cdw10[12];
                snprintf(op, sizeof(op), "0x%02x", e->opcode);
                snprintf(feat, sizeof(feat), "0x%04x", e->feature);
                snprintf(status, sizeof(status), "0x%04x", e->status);
                snprintf(cdw10, sizeof(cdw10), "0x%08x", e->cdw10);
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:i}", "kind", e->kind, "opcode", op,
                                      strcmp(e->kind, "nvme") == 0 ? "cdw10" : "feature",
                                      strcmp(e->kind, "nvme") == 0 ? cdw10 : feat, "status", status, "error",
                                      errno_json(e->error), "at_ms", (json_int_t) e->at_ms, "duration_ms",
                                      (json_int_t) e->duration_ms, "count", (int) e->count);
                if (!o || json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *firmware_json(const struct wipe_erase_result *r) {
        if (!r->firmware_ran)
                return json_null();
        const struct wipe_fw_outcome *f = &r->firmware.firmware;
        const struct wipe_plan_step *first = wipe_plan_first(&r->plan);
        return json_pack("{s:s, s:s, s:b, s:o, s:s, s:s, s:I, s:b}", "method",
                         wipe_method_to_string(first ? first->method : r->method), "category",
                         wipe_erase_category_name(first ? first->category : WIPE_CATEGORY_NONE), "reported_success",
                         f->error == 0, "error", errno_json(f->error), "detail", f->detail, "expect",
                         wipe_fw_expect_to_string(f->expect), "duration_ms", (json_int_t) f->duration_ms,
                         "password_left_set", f->password_left_set);
}

static json_t *validation_json(const struct wipe_erase_result *r) {
        if (!r->validation_ran && !r->validation_note[0])
                return json_null();
        char key[2 * WIPE_FW_SAMPLE_KEY_SIZE + 1];
        rf_hex_encode(r->validation_key, sizeof(r->validation_key), key);
        json_t *o = r->validation_ran ? wipe_fw_check_to_json(&r->validation) : json_object();
        if (!o)
                return NULL;
        bool ok = true;
        set(o, "ran", json_boolean(r->validation_ran), &ok);
        set(o, "expect", json_string(wipe_fw_expect_to_string(r->validation_expect)), &ok);
        set(o, "percent", json_integer(r->validate_percent), &ok);
        set(o, "key", json_string(key), &ok);
        if (r->validation_ran) {
                uint64_t b = r->validation.blocks;
                const char *content = b && r->validation_zero_blocks == b   ? "zeros"
                                      : b && r->validation_ones_blocks == b ? "ones"
                                                                            : "mixed";
                set(o, "zero_blocks", json_integer((json_int_t) r->validation_zero_blocks), &ok);
                set(o, "ones_blocks", json_integer((json_int_t) r->validation_ones_blocks), &ok);
                set(o, "content", json_string(content), &ok);
        }
        if (r->validation_note[0])
                set(o, "note", json_string(r->validation_note), &ok);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *hidden_json(const struct wipe_erase_result *r) {
        if (!r->hidden_checked && !r->hidden_detail[0])
                return json_null();
        const struct wipe_ata_hidden *h = &r->hidden;
        return json_pack("{s:b, s:I, s:I, s:I, s:I, s:b, s:b, s:b, s:b, s:b, s:I, s:o}", "checked",
                         r->hidden_checked, "sectors_before", (json_int_t) h->sectors_before, "native_sectors",
                         (json_int_t) h->native_before, "dco_sectors", (json_int_t) h->dco_sectors, "sectors_after",
                         (json_int_t) h->sectors_after, "hpa_found", h->hpa_found, "hpa_removed", h->hpa_removed,
                         "dco_found", h->dco_found, "dco_restored", h->dco_restored, "remains", r->hidden_remains,
                         "hidden_sectors", (json_int_t) r->hidden_sectors, "detail", str_or_null(r->hidden_detail));
}

static json_t *health_json(const struct wipe_erase_result *r) {
        if (!r->health.known)
                return json_null();
        json_t *o = wipe_fw_health_to_json(&r->health);
        if (o && json_object_set_new(o, "to_destroy", json_boolean(r->to_destroy)) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static const char *verify_name(enum wipe_verify_mode v) {
        return v == WIPE_VERIFY_FULL ? "full" : v == WIPE_VERIFY_SAMPLE ? "sample" : "none";
}

json_t *wipe_erase_exceptions_to_json(const struct wipe_overwrite_result *o) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < o->n_exceptions; i++) {
                const struct wipe_exception *e = &o->exceptions[i];
                json_t *j = json_pack("{s:s, s:I, s:I, s:o}", "kind", wipe_exception_kind_to_string(e->kind),
                                      "offset", (json_int_t) e->offset, "length", (json_int_t) e->length, "error",
                                      errno_json(e->error));
                if (!j || json_array_append_new(a, j) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *overwrite_json(const struct wipe_erase_result *r) {
        if (!r->overwrite_ran)
                return json_null();
        const struct wipe_overwrite_result *o = &r->overwrite;
        return json_pack("{s:o, s:o, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:b, s:s, s:o, s:f, s:f, s:f}", "key",
                         hex(r->overwrite_key, sizeof(r->overwrite_key)), "iv",
                         hex(r->overwrite_iv, sizeof(r->overwrite_iv)), "verify_mode",
                         verify_name(r->overwrite_verify), "verify_percent", (int) r->overwrite_verify_percent,
                         "verify_percent_effective", (int) o->verify_percent_effective, "size", (json_int_t) o->size,
                         "bytes_written", (json_int_t) o->bytes_written, "bytes_verified",
                         (json_int_t) o->bytes_verified, "verify_total", (json_int_t) r->overwrite_verify_total,
                         "flushed", o->flushed, "stop", wipe_stop_to_string(o->stop), "exceptions",
                         wipe_erase_exceptions_to_json(o), "write_seconds", o->write_seconds, "verify_seconds",
                         o->verify_seconds, "cpu_seconds", o->cpu_seconds);
}

static json_t *caps_json(const struct wipe_erase_result *r) {
        if (r->caps_probed)
                return wipe_caps_to_json(&r->caps);
        return json_pack("{s:s, s:o}", "kind", "none", "note",
                         str_or_null(r->caps.note[0] ? r->caps.note : r->transport_note));
}

static json_t *timings_json(const struct wipe_erase_timings *t) {
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "probe_ms", (json_int_t) t->probe_ms, "hidden_ms",
                         (json_int_t) t->hidden_ms, "sample_ms", (json_int_t) t->sample_ms, "firmware_ms",
                         (json_int_t) t->firmware_ms, "validation_ms", (json_int_t) t->validation_ms,
                         "overwrite_ms", (json_int_t) t->overwrite_ms, "total_ms", (json_int_t) t->total_ms);
}

json_t *wipe_erase_result_to_json(const struct wipe_erase_result *r) {
        if (!r)
                return NULL;
        json_t *o = json_object();
        if (!o)
                return NULL;
        bool ok = true;
        enum wipe_erase_outcome outcome = wipe_erase_result_outcome(r);

        set(o, "result", json_string(wipe_erase_outcome_to_string(outcome)), &ok);
        set(o, "complete", json_boolean(outcome == WIPE_ERASE_ERASED), &ok);
        set(o, "method", json_string(wipe_method_to_string(r->method)), &ok);
        set(o, "category", json_string(wipe_erase_category_name(r->category)), &ok);
        set(o, "stop", json_string(wipe_stop_to_string(r->stop)), &ok);
        set(o, "error", r->error ? json_pack("{s:s, s:s}", "errno", strerror(-r->error), "detail", r->error_detail)
                                 : json_null(),
            &ok);
        set(o, "fallback_reason", str_or_null(r->fallback_reason), &ok);
        set(o, "size", json_integer((json_int_t) r->size), &ok);
        set(o, "size_before", json_integer((json_int_t) r->size_before), &ok);
        set(o, "sector_size", json_integer(r->sector_size), &ok);
        set(o, "transport", r->transport ? json_string(wipe_fw_bus_to_string(r->caps.bus)) : json_null(), &ok);
        set(o, "caps", caps_json(r), &ok);
        set(o, "plan", wipe_plan_to_json(&r->plan), &ok);
        set(o, "firmware", firmware_json(r), &ok);
        set(o, "commands", commands_json(r), &ok);
        set(o, "commands_dropped", json_integer((json_int_t) r->n_commands_dropped), &ok);
        set(o, "validation", validation_json(r), &ok);
        set(o, "hidden_area", hidden_json(r), &ok);
        set(o, "health", health_json(r), &ok);
        set(o, "to_destroy", json_boolean(r->to_destroy), &ok);
        set(o, "overwrite", overwrite_json(r), &ok);
        set(o, "timings", timings_json(&r->timings), &ok);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}
