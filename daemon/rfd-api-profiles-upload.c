/* SPDX-License-Identifier: GPL-2.0-or-later */
/* POST /v1/profiles: a profile and its signature from the DSI, written to
 * a private folder under the state directory, verified there exactly as
 * the bench verifies a profile before writing it, and only then installed
 * in ProfileDirectory, signature first, each file atomically (docs/network-api.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "img-profile.h"
#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-profiles-internal.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"

#define SIG_MAX 4096             /* what img_verify_detached() reads */
#define SIG_TEXT_MAX (2 * SIG_MAX) /* base64 with line breaks */

struct upload {
        const char *name;
        const char *profile;
        size_t profile_len;
        const char *signature;   /* NULL or "": unsigned */
        const char *format;      /* "openssl" | "minisign" */
        uint8_t *sig;            /* the signature file's bytes */
        size_t sig_len;
        const char *suffix;      /* ".sig" | ".minisig" */
        const char *other_suffix;
};

static void upload_done(struct upload *u) {
        free(u->sig);
        *u = (struct upload) {};
}

/* Strict base64 (line breaks allowed, as `base64 FILE.sig` wraps them). */
static int base64_decode(const char *s, uint8_t **ret, size_t *ret_len) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        _cleanup_free_ char *clean = malloc(strlen(s) + 1);
        size_t n = 0, pad = 0;

        if (!clean)
                return -ENOMEM;
        for (const char *c = s; *c; c++) {
                if (*c == '\n' || *c == '\r' || *c == ' ' || *c == '\t')
                        continue;
                if (*c == '=')
                        pad++;
                else if (pad > 0 || !strchr(alphabet, *c))
                        return -EINVAL;
                clean[n++] = *c;
        }
        if (n == 0 || n % 4 != 0 || pad > 2 || n > SIG_TEXT_MAX)
                return -EINVAL;
        _cleanup_free_ uint8_t *out = malloc(n / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        int len = EVP_DecodeBlock(out, (const unsigned char *) clean, (int) n);
        if (len < 0 || (size_t) len < pad)
                return -EINVAL;
        *ret_len = (size_t) len - pad;
        *ret = TAKE_PTR(out);
        return 0;
}

/* Every member checked; false after answering 400. */
static bool take_body(struct evhttp_request *req, const json_t *body, struct upload *u) {
        static const char *const members[] = { "name", "profile", "signature", "signature_format" };
        const char *key;
        json_t *v;

        json_object_foreach((json_t *) body, key, v) {
                size_t i = 0;
                while (i < ELEMENTSOF(members) && strcmp(members[i], key) != 0)
                        i++;
                if (i == ELEMENTSOF(members)) {
                        rfd_http_reply_field(req, key, "membre inconnu", "unknown member");
                        return false;
                }
                bool optional = strcmp(key, "signature") == 0 || strcmp(key, "signature_format") == 0;
                if (!json_is_string(v) && !(optional && json_is_null(v))) {
                        rfd_http_reply_field(req, key, "une chaîne de caractères est attendue", "a string is expected");
                        return false;
                }
                if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v)) {
                        rfd_http_reply_field(req, key, "caractère nul interdit", "NUL character not allowed");
                        return false;
                }
        }
        u->name = json_string_value(json_object_get(body, "name"));
        u->profile = json_string_value(json_object_get(body, "profile"));
        u->profile_len = json_string_length(json_object_get(body, "profile"));
        u->signature = json_string_value(json_object_get(body, "signature"));
        u->format = json_string_value(json_object_get(body, "signature_format"));
        if (!u->name || !rfd_profile_upload_name_valid(u->name)) {
                rfd_http_reply_field(req, "name",
                                     "1 à 64 caractères parmi a-z 0-9 . _ -, commençant par une lettre ou un chiffre "
                                     "(« default » et « defaults » sont réservés)",
                                     "1 to 64 characters among a-z 0-9 . _ -, starting with a letter or a digit "
                                     "(\"default\" and \"defaults\" are reserved)");
                return false;
        }
        if (!u->profile || u->profile_len == 0 || u->profile_len > RFD_PROFILE_TEXT_MAX) {
                rfd_http_reply_field(req, "profile", "le texte du profil est attendu (64 Kio au plus)",
                                     "the profile text is expected (64 KiB at most)");
                return false;
        }
        if (u->signature && !*u->signature)
                u->signature = NULL; /* unsigned: refused below with the bench's own words */
        if (u->format && strcmp(u->format, "openssl") != 0 && strcmp(u->format, "minisign") != 0) {
                rfd_http_reply_field(req, "signature_format", "« openssl » ou « minisign » attendu",
                                     "\"openssl\" or \"minisign\" expected");
                return false;
        }
        if (u->signature && !u->format) {
                rfd_http_reply_field(req, "signature_format", "obligatoire avec une signature (openssl ou minisign)",
                                     "required with a signature (openssl or minisign)");
                return false;
        }
        return true;
}

/* The signature file's bytes; false after answering 400. */
static bool take_signature(struct evhttp_request *req, struct upload *u) {
        bool minisign = u->format && strcmp(u->format, "minisign") == 0;
        u->suffix = minisign ? ".minisig" : ".sig";
        u->other_suffix = minisign ? ".sig" : ".minisig";
        if (!u->signature)
                return true;
        if (minisign) {
                u->sig_len = strlen(u->signature);
                if (u->sig_len > SIG_MAX) {
                        rfd_http_reply_field(req, "signature", "signature minisign de plus de 4 Kio",
                                             "minisign signature over 4 KiB");
                        return false;
                }
                u->sig = (uint8_t *) strdup(u->signature);
                if (!u->sig) {
                        rfd_http_reply_error(req, 500, "internal", "mémoire insuffisante", "out of memory", NULL);
                        return false;
                }
                return true;
        }
        int r = base64_decode(u->signature, &u->sig, &u->sig_len);
        if (r == -ENOMEM) {
                rfd_http_reply_error(req, 500, "internal", "mémoire insuffisante", "out of memory", NULL);
                return false;
        }
        if (r < 0 || u->sig_len > SIG_MAX) {
                rfd_http_reply_field(req, "signature",
                                     "le fichier .sig en base64 est attendu (openssl pkeyutl -sign -rawin … | base64)",
                                     "the .sig file in base64 is expected (openssl pkeyutl -sign -rawin … | base64)");
                return false;
        }
        return true;
}

/* Remove the private folder and what it holds (two files at most). */
static void tmpdir_removep(char **dir) {
        if (!*dir)
                return;
        _cleanup_closedir_ DIR *d = opendir(*dir);
        int fd = d ? dirfd(d) : -1;
        for (struct dirent *de; fd >= 0 && (de = readdir(d));)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void) unlinkat(fd, de->d_name, 0);
        if (rmdir(*dir) < 0)
                rfd_log(LOG_WARNING, "profiles: cannot remove %s: %s", *dir, strerror(errno));
        free(*dir);
        *dir = NULL;
}

static int write_pair(const char *dir, const struct upload *u, unsigned mode) {
        _cleanup_free_ char *path = NULL, *sig_path = NULL;
        if (asprintf(&path, "%s/%s.profile", dir, u->name) < 0 ||
            asprintf(&sig_path, "%s/%s.profile%s", dir, u->name, u->suffix) < 0)
                return -ENOMEM;
        int r = u->sig ? rf_write_file_atomic(sig_path, u->sig, u->sig_len, mode) : 0;
        if (r < 0)
                return r;
        return rf_write_file_atomic(path, u->profile, u->profile_len, mode);
}

/* Into ProfileDirectory: the signature first (a new profile never shows
 * unsigned), then the profile, then the other format's signature of an
 * earlier version goes. A failure puts the earlier signature back. */
static int install(struct rfd_manager *m, const struct upload *u) {
        const char *dir = m->config->profile_directory;
        _cleanup_free_ char *sig_path = NULL, *other_path = NULL, *old_sig = NULL;
        size_t old_len = 0;

        int r = rf_mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        if (asprintf(&sig_path, "%s/%s.profile%s", dir, u->name, u->suffix) < 0 ||
            asprintf(&other_path, "%s/%s.profile%s", dir, u->name, u->other_suffix) < 0)
                return -ENOMEM;
        r = rf_read_file(sig_path, SIG_MAX, &old_sig, &old_len);
        if (r < 0 && r != -ENOENT)
                old_sig = NULL; /* unreadable or too big: nothing worth restoring */
        r = write_pair(dir, u, 0644);
        if (r < 0) {
                int k = old_sig ? rf_write_file_atomic(sig_path, old_sig, old_len, 0644)
                                : (unlink(sig_path) < 0 && errno != ENOENT ? negative_errno() : 0);
                if (k < 0)
                        rfd_log(LOG_ERR, "profiles: cannot put back %s: %s", sig_path, strerror(-k));
                return r;
        }
        if (unlink(other_path) < 0 && errno != ENOENT)
                rfd_log(LOG_WARNING, "profiles: cannot remove the earlier signature %s: %s", other_path, strerror(errno));
        return 0;
}

void rfd_api_profile_upload(struct rfd_manager *m, struct evhttp_request *req) {
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false);
        _cleanup_(upload_done) struct upload u = {};
        _cleanup_(tmpdir_removep) char *tmp = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_(rfd_profile_trust_done) struct rfd_profile_trust t = {};
        _cleanup_(rfd_profile_check_done) struct rfd_profile_check c = {};
        char fr[1200], en[1200];

        if (!body || !take_body(req, body, &u) || !take_signature(req, &u))
                return;

        /* Verified where nothing reads it: a private folder of the state directory. */
        _cleanup_free_ char *tmpl = NULL;
        if (asprintf(&tmpl, "%s/profile-upload.XXXXXX", m->state_dir) < 0)
                return rfd_http_reply_error(req, 500, "internal", "mémoire insuffisante", "out of memory", NULL);
        if (!mkdtemp(tmpl)) {
                rfd_log(LOG_ERR, "profiles: cannot create %s: %s", tmpl, strerror(errno));
                return rfd_http_reply_error(req, 500, "internal", "dossier temporaire impossible à créer",
                                            "cannot create a temporary folder", NULL);
        }
        tmp = TAKE_PTR(tmpl);
        int r = write_pair(tmp, &u, 0600);
        if (r >= 0 && asprintf(&path, "%s/%s.profile", tmp, u.name) < 0)
                r = -ENOMEM;
        if (r < 0) {
                rfd_log(LOG_ERR, "profiles: cannot write the upload into %s: %s", tmp, strerror(-r));
                return rfd_http_reply_error(req, 500, "internal", "écriture du profil reçu impossible",
                                            "cannot write the received profile", NULL);
        }
        rfd_profile_trust_load(m, &t);
        rfd_profile_check(&t, path, tmp, &c);
        if (c.r < 0) {
                rfd_log(LOG_WARNING, "profile %s refused at upload: %s", u.name, c.err_en);
                snprintf(fr, sizeof(fr), "profil « %s » refusé, rien n'est installé : %s", u.name, c.err_fr);
                snprintf(en, sizeof(en), "profile \"%s\" refused, nothing installed: %s", u.name, c.err_en);
                return rfd_http_reply_error(req, 422, "invalid-profile", fr, en,
                                            json_pack("{s:s, s:s}", "reason_fr", c.err_fr, "reason_en", c.err_en));
        }

        r = install(m, &u);
        if (r < 0) {
                rfd_log(LOG_ERR, "profiles: cannot install %s in %s: %s", u.name, m->config->profile_directory,
                        strerror(-r));
                return rfd_http_reply_error(req, 500, "internal", "installation du profil impossible (voir le journal)",
                                            "cannot install the profile (see the log)", NULL);
        }
        /* Who asked is logged by the front door (rfd-api-net.c). */
        rfd_log(LOG_INFO, "profile %s version %s installed in %s (signed by %s, key %s)", u.name, c.p->version,
                m->config->profile_directory, c.info.key_file, c.info.key_id);
        _cleanup_json_ json_t *defaults = rfd_profile_defaults_json(m);
        json_t *p = defaults ? rfd_profile_json(m, &t, defaults, u.name) : NULL;
        rfd_http_reply_json(req, 201, p ? json_pack("{s:o}", "profile", p) : NULL);
}
