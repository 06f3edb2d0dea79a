/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The intake resources of the API (docs/intake.md): donors, assets, the
 * link of a drive in a bay to its asset, refurbishment certificates,
 * validation statements and the donation report. Every request member is
 * checked for its JSON type and length; an error names the member. */
#include <errno.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-intake.h"
#include "rfd-http.h"
#include "rfd-intake-cert.h"
#include "rfd-log.h"
#include "rfd-manager.h"

static void reply_store_error(struct evhttp_request *req, int r, const char *what) {
        rfd_log(LOG_ERR, "intake: %s: %s", what, strerror(-r));
        rfd_http_reply_error(req, 500, "internal", "erreur des enregistrements", "records error", NULL);
}

struct field {
        const char *name;
        bool required;
        const char **value; /* NULL when absent or null */
};

/* Every member of body is one of fields, a string (null or absent when
 * optional). Answers the 400 itself and returns false otherwise. */
static bool take_fields(struct evhttp_request *req, const json_t *body, struct field *fields) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *) body, key, v) {
                struct field *f = fields;
                while (f->name && strcmp(f->name, key) != 0)
                        f++;
                if (!f->name) {
                        rfd_http_reply_field(req, key, "membre inconnu", "unknown member");
                        return false;
                }
                if (!json_is_string(v) && !(json_is_null(v) && !f->required)) {
                        rfd_http_reply_field(req, key, "une chaîne de caractères est attendue", "a string is expected");
                        return false;
                }
                *f->value = json_string_value(v);
                if (*f->value && strlen(*f->value) != json_string_length(v)) {
                        rfd_http_reply_field(req, key, "caractère nul interdit", "NUL character not allowed");
                        return false;
                }
        }
        for (struct field *f = fields; f->name; f++)
                if (f->required && !*f->value) {
                        rfd_http_reply_field(req, f->name, "obligatoire", "required");
                        return false;
                }
        return true;
}

static const char *why_fr(const char *field) {
        if (strcmp(field, "date") == 0 || strcmp(field, "intake_date") == 0)
                return "date AAAA-MM-JJ réelle attendue";
        if (strcmp(field, "reference") == 0 || strcmp(field, "tag") == 0 || strcmp(field, "donor") == 0 ||
            strcmp(field, "recipient_ref") == 0)
                return "1 à 64 caractères parmi A-Z a-z 0-9 . _ -";
        if (strcmp(field, "type") == 0)
                return "desktop, laptop ou drive";
        if (strcmp(field, "grade") == 0)
                return "A, B, C ou D";
        if (strcmp(field, "destination") == 0)
                return "reuse-family, reuse-school, recycling ou destruction";
        return "trop long ou caractère de contrôle";
}

static const char *why_en(const char *field) {
        if (strcmp(field, "date") == 0 || strcmp(field, "intake_date") == 0)
                return "a real YYYY-MM-DD date is expected";
        if (strcmp(field, "reference") == 0 || strcmp(field, "tag") == 0 || strcmp(field, "donor") == 0 ||
            strcmp(field, "recipient_ref") == 0)
                return "1 to 64 characters among A-Z a-z 0-9 . _ -";
        if (strcmp(field, "type") == 0)
                return "desktop, laptop or drive";
        if (strcmp(field, "grade") == 0)
                return "A, B, C or D";
        if (strcmp(field, "destination") == 0)
                return "reuse-family, reuse-school, recycling or destruction";
        return "too long or a control character";
}

static void h_donor_add(struct rfd_manager *m, struct evhttp_request *req) {
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false);
        struct rfd_donor d = {};
        if (!body)
                return;
        struct field fields[] = {
                { "organisation", true, &d.organisation }, { "contact", false, &d.contact },
                { "address", false, &d.address },          { "reference", true, &d.reference },
                { "date", true, &d.date },                 {},
        };
        if (!take_fields(req, body, fields))
                return;
        const char *bad = rfd_donor_invalid_field(&d);
        if (bad)
                return rfd_http_reply_field(req, bad, why_fr(bad), why_en(bad));
        int r = rfd_store_donor_add(m->store, &d, NULL);
        if (r == -EEXIST)
                return rfd_http_reply_error(req, 409, "conflict", "champ « reference » : ce don est déjà enregistré",
                                   "field \"reference\": this donation is already recorded",
                                   json_pack("{s:s}", "field", "reference"));
        if (r < 0)
                return reply_store_error(req, r, "donor add");
        rfd_log(LOG_INFO, "donation %s recorded", d.reference);
        json_t *o = NULL;
        r = rfd_store_donor_get(m->store, d.reference, &o);
        if (r < 0)
                return reply_store_error(req, r, "donor get");
        rfd_http_reply_json(req, 201, o);
}

static void h_asset_add(struct rfd_manager *m, struct evhttp_request *req) {
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false);
        struct rfd_asset a = {};
        if (!body)
                return;
        struct field fields[] = {
                { "tag", true, &a.tag },
                { "type", true, &a.type },
                { "donor", false, &a.donor_reference },
                { "intake_date", false, &a.intake_date },
                { "maker", false, &a.maker },
                { "model", false, &a.model },
                { "serial", false, &a.serial },
                { "grade", false, &a.grade },
                { "destination", false, &a.destination },
                { "recipient_ref", false, &a.recipient_ref },
                {},
        };
        if (!take_fields(req, body, fields))
                return;
        const char *bad = rfd_asset_invalid_field(&a);
        if (bad)
                return rfd_http_reply_field(req, bad, why_fr(bad), why_en(bad));
        int r = rfd_store_asset_add(m->store, &a, NULL);
        if (r == -EEXIST)
                return rfd_http_reply_error(req, 409, "conflict", "champ « tag » : cette étiquette est déjà enregistrée",
                                   "field \"tag\": this tag is already recorded", json_pack("{s:s}", "field", "tag"));
        if (r == -ENOENT)
                return rfd_http_reply_error(req, 400, "bad-request", "champ « donor » : don inconnu",
                                   "field \"donor\": unknown donation", json_pack("{s:s}", "field", "donor"));
        if (r < 0)
                return reply_store_error(req, r, "asset add");
        rfd_log(LOG_INFO, "asset %s recorded", a.tag);
        json_t *o = NULL;
        r = rfd_store_asset_get(m->store, a.tag, &o);
        if (r < 0)
                return reply_store_error(req, r, "asset get");
        rfd_http_reply_json(req, 201, o);
}

static void h_asset_link(struct rfd_manager *m, struct evhttp_request *req, const char *tag) {
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false), *dj = NULL;
        const char *device = NULL, *serial = NULL;
        int64_t device_id = 0;
        int r;

        if (!body)
                return;
        struct field fields[] = { { "device", false, &device }, { "serial", false, &serial }, {} };
        if (!take_fields(req, body, fields))
                return;
        if (!device == !serial)
                return rfd_http_reply_field(req, "device", "donnez « device » ou « serial », un seul des deux",
                                   "give \"device\" or \"serial\", exactly one");
        if (device) {
                struct rfd_dev *d = rfd_manager_find_dev(m, device);
                if (!d)
                        return rfd_http_reply_error(req, 404, "not-found", "champ « device » : aucun disque de ce nom n'est branché",
                                           "field \"device\": no such drive is plugged in",
                                           json_pack("{s:s}", "field", "device"));
                if ((!d->dev->serial || !*d->dev->serial) && (!d->dev->wwn || !*d->dev->wwn))
                        return rfd_http_reply_error(req, 409, "conflict",
                                           "ce disque n'a ni numéro de série ni WWN : il ne pourrait pas être reconnu",
                                           "this drive has neither serial nor WWN: it could not be recognised",
                                           NULL);
                dj = wipe_device_to_json(d->dev);
                r = dj ? rfd_store_upsert_device(m->store, dj, &device_id) : -ENOMEM;
        } else {
                r = rfd_store_device_by_serial(m->store, serial, &device_id);
                if (r == -ENOENT)
                        return rfd_http_reply_error(req, 404, "not-found", "champ « serial » : aucun disque enregistré n'a ce numéro",
                                           "field \"serial\": no recorded drive has this serial",
                                           json_pack("{s:s}", "field", "serial"));
                if (r == -ENOTUNIQ)
                        return rfd_http_reply_error(req, 409, "conflict",
                                           "champ « serial » : plusieurs disques ont ce numéro, donnez « device »",
                                           "field \"serial\": several drives have this serial, give \"device\"",
                                           json_pack("{s:s}", "field", "serial"));
        }
        if (r < 0)
                return reply_store_error(req, r, "device lookup");
        r = rfd_store_asset_link_device(m->store, tag, device_id);
        if (r == -ENOENT)
                return rfd_http_reply_error(req, 404, "not-found", "matériel inconnu (étiquette)", "unknown asset (tag)", NULL);
        if (r < 0)
                return reply_store_error(req, r, "asset link");
        rfd_log(LOG_INFO, "drive %lld linked to asset %s", (long long) device_id, tag);
        json_t *o = NULL;
        r = rfd_store_asset_get(m->store, tag, &o);
        if (r < 0)
                return reply_store_error(req, r, "asset get");
        rfd_http_reply_json(req, 200, o);
}

/* The answer for a new signed document: as GET /v1/certificates/{id}. */
static void reply_cert(struct rfd_manager *m, struct evhttp_request *req, const char *id) {
        _cleanup_free_ char *cid = NULL, *text = NULL, *sig = NULL, *signer = NULL;
        int r = rfd_store_cert_get(m->store, id, &cid, &text, &sig, &signer);
        if (r < 0)
                return reply_store_error(req, r, "certificate get");
        char sha[65];
        rf_sha256_hex(text, strlen(text), sha);
        json_t *doc = json_loads(text, 0, NULL);
        rfd_http_reply_json(req, 201,
              json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", cid, "json", text, "signature", sig,
                        "signer_certificate", signer, "sha256", sha, "document", doc ? doc : json_null()));
}

static void h_asset_certificate(struct rfd_manager *m, struct evhttp_request *req, const char *tag) {
        _cleanup_free_ char *id = NULL;
        int r = rfd_intake_refurbishment_issue(m->store, m->key, m->cert, m->config, tag, &id);
        if (r == -ENOENT)
                return rfd_http_reply_error(req, 404, "not-found", "matériel inconnu (étiquette)", "unknown asset (tag)", NULL);
        if (r == -ENODATA)
                return rfd_http_reply_error(req, 409, "conflict", "aucun disque n'est rattaché à ce matériel",
                                   "no drive is linked to this asset", NULL);
        if (r == -EINPROGRESS)
                return rfd_http_reply_error(req, 409, "conflict",
                                   "un disque de ce matériel n'a pas encore de certificat d'effacement",
                                   "a drive of this asset has no erasure certificate yet", NULL);
        if (r < 0)
                return reply_store_error(req, r, "refurbishment certificate");
        rfd_log(LOG_INFO, "refurbishment certificate %s issued for asset %s", id, tag);
        reply_cert(m, req, id);
}

static void h_validation(struct rfd_manager *m, struct evhttp_request *req, const char *cert_id) {
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false);
        _cleanup_free_ char *id = NULL;
        const char *name = NULL, *title = NULL;
        if (!body)
                return;
        struct field fields[] = { { "name", true, &name }, { "title", false, &title }, {} };
        if (!take_fields(req, body, fields))
                return;
        if (!*name || strlen(name) > RFD_VALIDATION_NAME_MAX)
                return rfd_http_reply_field(req, "name", "1 à 200 caractères", "1 to 200 characters");
        if (title && strlen(title) > RFD_VALIDATION_NAME_MAX)
                return rfd_http_reply_field(req, "title", "200 caractères au plus", "200 characters at most");
        int r = rfd_intake_validation_issue(m->store, m->key, m->cert, m->config, cert_id, name, title, &id);
        if (r == -ENOENT)
                return rfd_http_reply_error(req, 404, "not-found", "certificat inconnu", "unknown certificate", NULL);
        if (r == -ENOTUNIQ)
                return rfd_http_reply_error(req, 409, "conflict",
                                   "plusieurs certificats commencent ainsi : donnez plus de caractères",
                                   "several certificates start like this: give more characters", NULL);
        if (r == -EINVAL)
                return rfd_http_reply_error(req, 400, "bad-request",
                                   "nom ou titre invalide (caractère de contrôle), ou le certificat est déjà une validation",
                                   "invalid name or title (control character), or the certificate is a validation",
                                   NULL);
        if (r < 0)
                return reply_store_error(req, r, "validation");
        rfd_log(LOG_INFO, "validation %s issued for certificate %s", id, cert_id);
        reply_cert(m, req, id);
}

static void h_list(struct evhttp_request *req, int (*list)(struct rfd_store *, json_t **), struct rfd_store *s,
                   const char *key) {
        json_t *a = NULL;
        int r = list(s, &a);
        if (r < 0)
                return reply_store_error(req, r, key);
        rfd_http_reply_json(req, 200, json_pack("{s:o}", key, a));
}

static void h_get(struct evhttp_request *req, int (*get)(struct rfd_store *, const char *, json_t **),
                  struct rfd_store *s, const char *key, const char *what_fr, const char *what_en) {
        json_t *o = NULL;
        int r = get(s, key, &o);
        if (r == -ENOENT)
                return rfd_http_reply_error(req, 404, "not-found", what_fr, what_en, NULL);
        if (r < 0)
                return reply_store_error(req, r, what_en);
        rfd_http_reply_json(req, 200, o);
}

static bool method_is(struct evhttp_request *req, enum evhttp_cmd_type have, enum evhttp_cmd_type want) {
        if (have == want)
                return true;
        rfd_http_reply_error(req, 405, "method-not-allowed", "méthode HTTP non permise pour cette ressource",
                    "HTTP method not allowed for this resource", NULL);
        return false;
}

bool rfd_api_intake(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                    char *const *seg, size_t n_seg, const char *query) {
        const bool post = method == EVHTTP_REQ_POST;
        if (n_seg < 2 || strcmp(seg[0], "v1") != 0)
                return false;
        const char *r = seg[1];

        if (strcmp(r, "donors") == 0 && n_seg == 2) {
                if (post)
                        h_donor_add(m, req);
                else if (method_is(req, method, EVHTTP_REQ_GET))
                        h_list(req, rfd_store_donors_json, m->store, "donors");
        } else if (strcmp(r, "donors") == 0 && n_seg == 3) {
                if (method_is(req, method, EVHTTP_REQ_GET))
                        h_get(req, rfd_store_donor_get, m->store, seg[2], "don inconnu", "unknown donation");
        } else if (strcmp(r, "assets") == 0 && n_seg == 2) {
                if (post)
                        h_asset_add(m, req);
                else if (method_is(req, method, EVHTTP_REQ_GET))
                        h_list(req, rfd_store_assets_json, m->store, "assets");
        } else if (strcmp(r, "assets") == 0 && n_seg == 3) {
                if (method_is(req, method, EVHTTP_REQ_GET))
                        h_get(req, rfd_store_asset_get, m->store, seg[2], "matériel inconnu (étiquette)",
                              "unknown asset (tag)");
        } else if (strcmp(r, "assets") == 0 && n_seg == 4 && strcmp(seg[3], "link") == 0) {
                if (method_is(req, method, EVHTTP_REQ_POST))
                        h_asset_link(m, req, seg[2]);
        } else if (strcmp(r, "assets") == 0 && n_seg == 4 && strcmp(seg[3], "certificate") == 0) {
                if (method_is(req, method, EVHTTP_REQ_POST))
                        h_asset_certificate(m, req, seg[2]);
        } else if (strcmp(r, "reports") == 0 && n_seg == 4 && strcmp(seg[2], "donation") == 0) {
                if (method_is(req, method, EVHTTP_REQ_GET))
                        h_get(req, rfd_store_donation_report, m->store, seg[3], "don inconnu", "unknown donation");
        } else if (strcmp(r, "exports") == 0 && n_seg == 3) {
                if (method_is(req, method, EVHTTP_REQ_GET))
                        rfd_api_export(m, req, seg[2]);
        } else if (strcmp(r, "certificates") == 0 && n_seg == 4 && strcmp(seg[3], "validation") == 0) {
                if (method_is(req, method, EVHTTP_REQ_POST))
                        h_validation(m, req, seg[2]);
        } else if (strcmp(r, "assets") == 0 || strcmp(r, "donors") == 0 || strcmp(r, "reports") == 0 ||
                   strcmp(r, "exports") == 0)
                rfd_http_reply_error(req, 404, "not-found", "ressource inconnue", "unknown resource", NULL);
        else
                return false;
        (void) query;
        return true;
}
