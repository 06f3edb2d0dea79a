/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The DSI's image profiles over the API (docs/network-api.md): every
 * profile of ProfileDirectory verified exactly as the bench verifies it
 * before writing it (img_profile_load_verified()), and the default profile
 * of each target. The upload is in rfd-api-profiles-upload.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "img-profile.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-profiles-internal.h"
#include "rfd-api-profiles.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"

#define MAX_PROFILES 1000
#define PROFILE_SUFFIX ".profile"

static bool name_char(char c, bool upper) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
               (upper && c >= 'A' && c <= 'Z');
}

bool rfd_profile_name_valid(const char *name) {
        size_t len = name ? strlen(name) : 0;
        if (len == 0 || len > RFD_PROFILE_NAME_MAX || name[0] == '.')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!name_char(name[i], true))
                        return false;
        return true;
}

bool rfd_profile_upload_name_valid(const char *name) {
        size_t len = name ? strlen(name) : 0;
        if (len == 0 || len > RFD_PROFILE_NAME_MAX || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
                return false;
        for (size_t i = 0; i < len; i++)
                if (!name_char(name[i], false))
                        return false;
        return strcmp(name, RFD_PROFILE_DEFAULT) != 0 && strcmp(name, "defaults") != 0;
}

void rfd_profile_trust_load(struct rfd_manager *m, struct rfd_profile_trust *t) {
        *t = (struct rfd_profile_trust) { .dir = m->config->trusted_keys_directory };
        t->r = img_trust_load(m->config->trusted_keys_directory, &t->trust, t->err, sizeof(t->err));
        if (t->r < 0)
                rfd_log(LOG_ERR, "profiles: trusted keys %s: %s", m->config->trusted_keys_directory, t->err);
}

void rfd_profile_trust_done(struct rfd_profile_trust *t) {
        img_trust_free(t->trust);
        *t = (struct rfd_profile_trust) {};
}

/* Cut every "prefix/" out of s (in place). */
static void strip_prefix(char *s, const char *prefix) {
        size_t n = prefix ? strlen(prefix) : 0;
        if (n == 0)
                return;
        for (char *at = s, *hit; (hit = strstr(at, prefix));) {
                if (hit[n] == '/')
                        memmove(hit, hit + n + 1, strlen(hit + n + 1) + 1);
                else
                        at = hit + 1;
        }
}

/* The English words for a reason the imager gives in French. */
static void reason_en(const struct rfd_profile_check *c, const char *keys_dir, char *out, size_t len) {
        const char *since = strstr(c->err_fr, "depuis le ");
        switch (c->r) {
        case -ENOENT:
                if (strstr(c->err_fr, "non signé"))
                        snprintf(out, len, "unsigned profile: no .sig or .minisig signature next to it");
                else
                        snprintf(out, len, "cannot read the profile: %s", strerror(ENOENT));
                break;
        case -ENOKEY:
                snprintf(out, len, "signed by no trusted key (trusted keys folder %s)", keys_dir);
                break;
        case -EBADMSG:
                snprintf(out, len,
                         "invalid signature: the profile was changed after it was signed, or signed with a key that "
                         "is not in %s",
                         keys_dir);
                break;
        case -EKEYEXPIRED:
                snprintf(out, len, "expired profile%s%s", since ? ": it expired on " : "",
                         since ? since + strlen("depuis le ") : "");
                break;
        case -EINVAL:
                snprintf(out, len, "malformed profile or signature (in French: %s)", c->err_fr);
                break;
        default:
                snprintf(out, len, "cannot check the profile: %s", strerror(-c->r));
                break;
        }
}

void rfd_profile_check(const struct rfd_profile_trust *t, const char *path, const char *strip,
                       struct rfd_profile_check *c) {
        *c = (struct rfd_profile_check) {};
        if (t->r < 0) {
                c->r = t->r;
                snprintf(c->err_fr, sizeof(c->err_fr), "clés de confiance illisibles : %s", t->err);
                snprintf(c->err_en, sizeof(c->err_en), "the trusted keys cannot be loaded (in French: %s)", t->err);
                return;
        }
        c->r = img_profile_load_verified(path, t->trust, time(NULL), &c->p, &c->info, c->err_fr, sizeof(c->err_fr));
        if (c->r == 0)
                return;
        if (!c->err_fr[0])
                snprintf(c->err_fr, sizeof(c->err_fr), "%s : vérification impossible : %s", path, strerror(-c->r));
        strip_prefix(c->err_fr, strip);
        reason_en(c, t->dir, c->err_en, sizeof(c->err_en));
}

void rfd_profile_check_done(struct rfd_profile_check *c) {
        img_profile_free(c->p);
        *c = (struct rfd_profile_check) {};
}

json_t *rfd_profile_defaults_json(struct rfd_manager *m) {
        static const char *const keys[][2] = {
                { "desktop", RFD_SETTING_DEFAULT_DESKTOP },
                { "laptop", RFD_SETTING_DEFAULT_LAPTOP },
        };
        _cleanup_json_ json_t *o = json_object();
        if (!o)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                _cleanup_free_ char *v = NULL;
                int r = rfd_store_setting_get(m->store, keys[i][1], &v);
                if (r < 0 && r != -ENOENT) {
                        rfd_log(LOG_ERR, "profiles: cannot read the setting %s: %s", keys[i][1], strerror(-r));
                        return NULL;
                }
                if (json_object_set_new(o, keys[i][0], v ? json_string(v) : json_null()) < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

static json_t *requires_json(const struct img_profile *p) {
        json_t *a = json_array();
        for (size_t i = 0; a && p && i < p->n_requires; i++)
                if (json_array_append_new(a, json_string(p->requires[i].text)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *default_for_json(const json_t *defaults, const char *name) {
        json_t *a = json_array();
        const char *target;
        const json_t *v;
        json_object_foreach((json_t *) defaults, target, v)
                if (a && rf_streq_ptr(json_string_value(v), name) && json_array_append_new(a, json_string(target)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *str_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *profile_to_json(const char *name, const struct rfd_profile_check *c, const json_t *defaults) {
        const struct img_profile *p = c->r == 0 ? c->p : NULL;
        char file[RFD_PROFILE_NAME_MAX + sizeof(PROFILE_SUFFIX)];
        snprintf(file, sizeof(file), "%s%s", name, PROFILE_SUFFIX);
        return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                         "name", name, "file", file, "valid", p != NULL, "error_fr", str_or_null(p ? NULL : c->err_fr),
                         "error_en", str_or_null(p ? NULL : c->err_en), "version", str_or_null(p ? p->version : NULL),
                         "description", str_or_null(p ? p->description : NULL), "target",
                         str_or_null(p ? img_target_to_string(p->target) : NULL), "min_disk_bytes",
                         p ? json_integer((json_int_t) MIN(p->min_disk_size, (uint64_t) INT64_MAX)) : json_null(),
                         "image_url", str_or_null(p ? p->image.location : NULL), "image_sha256",
                         str_or_null(p ? p->image.sha256 : NULL), "requires", requires_json(p), "search_engine",
                         str_or_null(p ? p->search_engine : NULL), "expires",
                         str_or_null(p && p->expires ? p->expires_text : NULL), "signer",
                         str_or_null(p ? c->info.key_file : NULL), "signer_key_id",
                         str_or_null(p ? c->info.key_id : NULL), "signature_format",
                         str_or_null(p ? c->info.format : NULL), "default_for", default_for_json(defaults, name));
}

json_t *rfd_profile_json(struct rfd_manager *m, const struct rfd_profile_trust *t, const json_t *defaults,
                         const char *name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(rfd_profile_check_done) struct rfd_profile_check c = {};
        if (asprintf(&path, "%s/%s%s", m->config->profile_directory, name, PROFILE_SUFFIX) < 0)
                return NULL;
        rfd_profile_check(t, path, m->config->profile_directory, &c);
        return profile_to_json(name, &c, defaults);
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names (without .profile) a bay could give, sorted; none when the folder does not exist. */
static int list_names(const char *dir, char ***ret, size_t *ret_n) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        *ret = NULL;
        *ret_n = 0;
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                size_t len = strlen(de->d_name);
                if (len <= strlen(PROFILE_SUFFIX) || strcmp(de->d_name + len - strlen(PROFILE_SUFFIX), PROFILE_SUFFIX) != 0)
                        continue;
                _cleanup_free_ char *stem = rf_memdup_str(de->d_name, len - strlen(PROFILE_SUFFIX));
                if (!stem) {
                        r = -ENOMEM;
                        break;
                }
                if (!rfd_profile_name_valid(stem))
                        continue;
                if (n >= MAX_PROFILES) {
                        r = -E2BIG;
                        break;
                }
                char **nn = reallocarray((void *) names, n + 1, sizeof(*nn));
                if (!nn) {
                        r = -ENOMEM;
                        break;
                }
                names = nn;
                names[n++] = TAKE_PTR(stem);
        }
        if (r == 0 && errno != 0)
                r = negative_errno();
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
                free((void *) names);
                return r;
        }
        if (n > 1)
                qsort((void *) names, n, sizeof(*names), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

static void reply_internal(struct evhttp_request *req, const char *fr, const char *en) {
        rfd_http_reply_error(req, 500, "internal", fr, en, NULL);
}

static void h_list(struct rfd_manager *m, struct evhttp_request *req) {
        _cleanup_(rfd_profile_trust_done) struct rfd_profile_trust t = {};
        _cleanup_json_ json_t *defaults = rfd_profile_defaults_json(m), *list = json_array();
        char **names = NULL;
        size_t n = 0;

        if (!defaults || !list)
                return reply_internal(req, "lecture des réglages impossible", "cannot read the settings");
        int r = list_names(m->config->profile_directory, &names, &n);
        if (r < 0) {
                rfd_log(LOG_ERR, "profiles: cannot list %s: %s", m->config->profile_directory, strerror(-r));
                return reply_internal(req, "lecture du dossier des profils impossible", "cannot read the profiles folder");
        }
        rfd_profile_trust_load(m, &t);
        for (size_t i = 0; i < n; i++) {
                if (r == 0 && json_array_append_new(list, rfd_profile_json(m, &t, defaults, names[i])) < 0)
                        r = -ENOMEM;
                free(names[i]);
        }
        free((void *) names);
        if (r < 0)
                return reply_internal(req, "mémoire insuffisante", "out of memory");
        rfd_http_reply_json(req, 200,
                            json_pack("{s:O, s:O, s:s}", "profiles", list, "defaults", defaults, "directory",
                                      m->config->profile_directory));
}

static void h_one(struct rfd_manager *m, struct evhttp_request *req, const char *name) {
        _cleanup_(rfd_profile_trust_done) struct rfd_profile_trust t = {};
        _cleanup_json_ json_t *defaults = NULL;
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (!rfd_profile_name_valid(name))
                return rfd_http_reply_not_found(req, "profil inconnu", "unknown profile");
        if (asprintf(&path, "%s/%s%s", m->config->profile_directory, name, PROFILE_SUFFIX) < 0)
                return reply_internal(req, "mémoire insuffisante", "out of memory");
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return rfd_http_reply_not_found(req, "profil inconnu : aucun fichier NOM.profile de ce nom",
                                                "unknown profile: no NAME.profile file of this name");
        if (!(defaults = rfd_profile_defaults_json(m)))
                return reply_internal(req, "lecture des réglages impossible", "cannot read the settings");
        rfd_profile_trust_load(m, &t);
        json_t *p = rfd_profile_json(m, &t, defaults, name);
        rfd_http_reply_json(req, 200, p ? json_pack("{s:o}", "profile", p) : NULL);
}

/* A default must be a valid installed profile for that target; false
 * after answering why not. */
static bool default_ok(struct rfd_manager *m, struct evhttp_request *req, const struct rfd_profile_trust *t,
                       const char *target, const char *name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(rfd_profile_check_done) struct rfd_profile_check c = {};
        char fr[1200], en[1200];
        struct stat st;

        if (!rfd_profile_name_valid(name)) {
                rfd_http_reply_field(req, target, "nom de profil invalide (1 à 64 caractères parmi a-z 0-9 . _ -) ou null",
                                     "invalid profile name (1 to 64 characters among a-z 0-9 . _ -) or null");
                return false;
        }
        if (asprintf(&path, "%s/%s%s", m->config->profile_directory, name, PROFILE_SUFFIX) < 0) {
                reply_internal(req, "mémoire insuffisante", "out of memory");
                return false;
        }
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                snprintf(fr, sizeof(fr), "champ « %s » : le profil « %s » n'est pas installé", target, name);
                snprintf(en, sizeof(en), "field \"%s\": profile \"%s\" is not installed", target, name);
        } else {
                rfd_profile_check(t, path, m->config->profile_directory, &c);
                if (c.r < 0) {
                        snprintf(fr, sizeof(fr), "champ « %s » : le profil « %s » n'est pas valide : %s", target, name,
                                 c.err_fr);
                        snprintf(en, sizeof(en), "field \"%s\": profile \"%s\" is not valid: %s", target, name, c.err_en);
                } else if (c.p->target != IMG_TARGET_ANY && strcmp(img_target_to_string(c.p->target), target) != 0) {
                        snprintf(fr, sizeof(fr), "champ « %s » : le profil « %s » est fait pour Target=%s", target, name,
                                 img_target_to_string(c.p->target));
                        snprintf(en, sizeof(en), "field \"%s\": profile \"%s\" is made for Target=%s", target, name,
                                 img_target_to_string(c.p->target));
                } else
                        return true;
        }
        rfd_http_reply_error(req, 422, "invalid-profile", fr, en, json_pack("{s:s}", "field", target));
        return false;
}

static void h_defaults_put(struct rfd_manager *m, struct evhttp_request *req) {
        static const char *const targets[][2] = {
                { "desktop", RFD_SETTING_DEFAULT_DESKTOP },
                { "laptop", RFD_SETTING_DEFAULT_LAPTOP },
        };
        _cleanup_(rfd_profile_trust_done) struct rfd_profile_trust t = {};
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false);
        const char *key;
        json_t *v;

        if (!body)
                return;
        json_object_foreach(body, key, v) {
                bool known = false;
                for (size_t i = 0; i < ELEMENTSOF(targets); i++)
                        known = known || strcmp(key, targets[i][0]) == 0;
                if (!known)
                        return rfd_http_reply_field(req, key, "membre inconnu (desktop ou laptop attendus)",
                                                    "unknown member (desktop or laptop expected)");
                if (!json_is_string(v) && !json_is_null(v))
                        return rfd_http_reply_field(req, key, "un nom de profil ou null est attendu",
                                                    "a profile name or null is expected");
                if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v))
                        return rfd_http_reply_field(req, key, "caractère nul interdit", "NUL character not allowed");
        }
        rfd_profile_trust_load(m, &t);
        for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
                const char *name = json_string_value(json_object_get(body, targets[i][0]));
                if (name && !default_ok(m, req, &t, targets[i][0], name))
                        return;
        }
        for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
                v = json_object_get(body, targets[i][0]);
                if (!v)
                        continue;
                int r = rfd_store_setting_set(m->store, targets[i][1], json_string_value(v));
                if (r < 0) {
                        rfd_log(LOG_ERR, "profiles: cannot record the setting %s: %s", targets[i][1], strerror(-r));
                        return reply_internal(req, "enregistrement du réglage impossible", "cannot record the setting");
                }
                rfd_log(LOG_INFO, "default profile for %s: %s", targets[i][0],
                        json_string_value(v) ? json_string_value(v) : "(none)");
        }
        json_t *defaults = rfd_profile_defaults_json(m);
        if (!defaults)
                return reply_internal(req, "lecture des réglages impossible", "cannot read the settings");
        rfd_http_reply_json(req, 200, json_pack("{s:o}", "defaults", defaults));
}

static void reply_method(struct evhttp_request *req) {
        rfd_http_reply_error(req, 405, "method-not-allowed", "méthode HTTP non permise pour cette ressource",
                             "HTTP method not allowed for this resource", NULL);
}

bool rfd_api_profiles(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                      char *const *seg, size_t n_seg, const char *query) {
        if (n_seg < 2 || strcmp(seg[0], "v1") != 0 || strcmp(seg[1], "profiles") != 0)
                return false;
        if (n_seg == 2) {
                if (method == EVHTTP_REQ_GET)
                        h_list(m, req);
                else if (method == EVHTTP_REQ_POST)
                        rfd_api_profile_upload(m, req);
                else
                        reply_method(req);
        } else if (n_seg == 3 && strcmp(seg[2], "defaults") == 0) {
                if (method == EVHTTP_REQ_PUT)
                        h_defaults_put(m, req);
                else if (method == EVHTTP_REQ_GET) {
                        json_t *d = rfd_profile_defaults_json(m);
                        rfd_http_reply_json(req, d ? 200 : 500, d ? json_pack("{s:o}", "defaults", d) : NULL);
                } else
                        reply_method(req);
        } else if (n_seg == 3) {
                if (method == EVHTTP_REQ_GET)
                        h_one(m, req, seg[2]);
                else
                        reply_method(req);
        } else
                rfd_http_reply_not_found(req, "ressource inconnue", "unknown resource");
        return true;
}
