/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Refurbishment certificates and validation statements (docs/intake.md):
 * built from the records, canonical JSON, a detached CMS signature by the
 * bench key, stored in the ledger sequence. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rf-cms.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-intake-cert.h"

static json_t *str_or_null(const char *s) {
        return s && *s ? json_string(s) : json_null();
}

/* Fill id, sequence, previous_sha256, issued_at and bench, sign and
 * record. doc is modified. */
static int sign_and_store(struct rfd_store *store, EVP_PKEY *key, X509 *cert, const struct rfd_config *c,
                          json_t *doc, char **ret_id) {
        _cleanup_free_ char *text = NULL, *sig = NULL, *signer = NULL;
        char id[37], fp[65], prev[65], sha[65], now[21];
        size_t len = 0;
        int64_t seq;
        int r;

        r = rf_cert_fingerprint(cert, fp);
        if (r < 0)
                return r;
        r = rfd_store_cert_next_seq(store, &seq, prev);
        if (r < 0)
                return r;
        r = rf_uuid4(id);
        if (r < 0)
                return r;
        rf_time_iso8601(rf_now_sec(), now);
        if (json_object_set_new(doc, "id", json_string(id)) < 0 ||
            json_object_set_new(doc, "sequence", json_integer(seq)) < 0 ||
            json_object_set_new(doc, "previous_sha256", str_or_null(prev)) < 0 ||
            json_object_set_new(doc, "issued_at", json_string(now)) < 0 ||
            json_object_set_new(doc, "bench",
                                json_pack("{s:o, s:o, s:o, s:s}", "name", str_or_null(c->bench_name), "organisation",
                                          str_or_null(c->organisation), "location", str_or_null(c->location),
                                          "signer_sha256", fp)) < 0)
                return -ENOMEM;
        r = rf_json_canonical(doc, &text, &len);
        if (r < 0)
                return r;
        if (strlen(text) != len)
                return -EINVAL;
        r = rf_cms_sign(key, cert, text, len, &sig);
        if (r < 0)
                return r;
        r = rf_sha256_hex(text, len, sha);
        if (r < 0)
                return r;
        r = rf_cert_to_pem(cert, &signer);
        if (r < 0)
                return r;
        r = rfd_store_cert_insert(store, id, 0, seq, text, sha, sig, signer);
        if (r < 0)
                return r;
        *ret_id = strdup(id);
        return *ret_id ? 0 : -ENOMEM;
}

/* The system written on the asset's drives: the newest imaging run that
 * ended done (docs/imaging.md), with the serial of the drive it is on;
 * NULL when none. */
static json_t *system_written(struct rfd_store *store, const json_t *drives) {
        json_t *best = NULL, *d;
        size_t i;
        json_int_t best_id = 0;
        json_array_foreach(drives, i, d) {
                json_t *run = NULL;
                json_int_t dev = json_integer_value(json_object_get(d, "device_id"));
                if (dev <= 0 || rfd_store_image_latest_done(store, dev, &run) < 0)
                        continue;
                json_int_t id = json_integer_value(json_object_get(run, "id"));
                json_t *record = json_object_get(run, "record");
                if (id > best_id && json_is_object(record)) {
                        json_decref(best);
                        best = json_deep_copy(record);
                        best_id = id;
                        if (best)
                                json_object_set(best, "drive_serial", json_object_get(d, "serial"));
                }
                json_decref(run);
        }
        return best;
}

int rfd_intake_refurbishment_issue(struct rfd_store *store, EVP_PKEY *key, X509 *cert,
                                   const struct rfd_config *config, const char *tag, char **ret_id) {
        _cleanup_json_ json_t *asset = NULL, *doc = NULL;
        size_t i;
        json_t *d;
        int r;

        if (!store || !key || !cert || !config || !tag || !ret_id)
                return -EINVAL;
        r = rfd_store_asset_get(store, tag, &asset);
        if (r < 0)
                return r;
        const json_t *drives = json_object_get(asset, "drives");
        if (json_array_size(drives) == 0)
                return -ENODATA;
        json_t *list = json_array();
        bool all_erased = true;
        json_array_foreach(drives, i, d) {
                if (json_is_null(json_object_get(d, "certificate_id")) || !json_object_get(d, "certificate_id")) {
                        json_decref(list);
                        return -EINPROGRESS;
                }
                all_erased = all_erased && rf_streq_ptr(rf_json_str(d, "result"), "erased");
                json_array_append_new(list, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "serial",
                                                      json_object_get(d, "serial"), "model",
                                                      json_object_get(d, "model"), "certificate_id",
                                                      json_object_get(d, "certificate_id"), "certificate_sha256",
                                                      json_object_get(d, "certificate_sha256"), "result",
                                                      json_object_get(d, "result"), "category",
                                                      json_object_get(d, "category"), "to_destroy",
                                                      json_object_get(d, "to_destroy")));
        }
        if (json_array_size(list) != json_array_size(drives)) {
                json_decref(list);
                return -ENOMEM;
        }
        json_t *image = system_written(store, drives);
        doc = json_pack("{s:s, s:{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}, s:O, s:o, s:o, s:{s:o},"
                        " s:s}",
                        "format", RFD_REFURB_CERT_FORMAT, "asset", "tag", json_object_get(asset, "tag"), "type",
                        json_object_get(asset, "type"), "maker", json_object_get(asset, "maker"), "model",
                        json_object_get(asset, "model"), "serial", json_object_get(asset, "serial"), "grade",
                        json_object_get(asset, "grade"), "destination", json_object_get(asset, "destination"),
                        "intake_date", json_object_get(asset, "intake_date"), "donor",
                        json_object_get(asset, "donor"), "drives", list, "image", image ? image : json_null(), "operator", "technician",
                        str_or_null(config->technician), "result", all_erased ? "erased" : "not-erased");
        if (!doc)
                return -ENOMEM;
        return sign_and_store(store, key, cert, config, doc, ret_id);
}

static bool name_ok(const char *s, bool required) {
        size_t n = s ? strlen(s) : 0;
        if (!s)
                return !required;
        if ((required && n == 0) || n > RFD_VALIDATION_NAME_MAX)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int rfd_intake_validation_issue(struct rfd_store *store, EVP_PKEY *key, X509 *cert,
                                const struct rfd_config *config, const char *cert_id, const char *name,
                                const char *title, char **ret_id) {
        _cleanup_free_ char *id = NULL, *text = NULL;
        _cleanup_json_ json_t *subject = NULL, *doc = NULL;
        char sha[65], now[21];
        int r;

        if (!store || !key || !cert || !config || !cert_id || !ret_id || !name_ok(name, true) ||
            !name_ok(title, false))
                return -EINVAL;
        r = rfd_store_cert_get(store, cert_id, &id, &text, NULL, NULL);
        if (r < 0)
                return r;
        r = rf_json_parse(text, strlen(text), &subject, NULL, 0);
        if (r < 0)
                return r;
        if (strcmp(rf_json_str(subject, "format"), RFD_VALIDATION_FORMAT) == 0)
                return -EINVAL;
        r = rf_sha256_hex(text, strlen(text), sha);
        if (r < 0)
                return r;
        rf_time_iso8601(rf_now_sec(), now);
        doc = json_pack("{s:s, s:s, s:s, s:s?, s:{s:s, s:o}, s:s}", "format", RFD_VALIDATION_FORMAT,
                        "certificate_id", id, "certificate_sha256", sha, "certificate_format",
                        rf_json_str(subject, "format"), "validated_by", "name", name, "title", str_or_null(title),
                        "validated_at", now);
        if (!doc)
                return -ENOMEM;
        return sign_and_store(store, key, cert, config, doc, ret_id);
}
