/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signing in and out of the web pages (the refurb_session cookie) and the
 * management of API tokens, which only root on the Unix socket may do
 * (docs/network-api.md). A token's secret is shown once, in the answer
 * that creates it, and never logged. */
#include <errno.h>
#include <event2/http.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-api-session.h"
#include "rfd-auth-internal.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"

#define COOKIE_ATTRIBUTES "Path=/; HttpOnly; SameSite=Strict"

static void reply_method(struct evhttp_request *req) {
        rfd_http_reply_error(req, 405, "method-not-allowed", "méthode HTTP non permise pour cette ressource",
                             "HTTP method not allowed for this resource", NULL);
}

static void reply_internal(struct evhttp_request *req, const char *what, int r) {
        rfd_log(LOG_ERR, "API: %s: %s", what, strerror(r < 0 ? -r : EIO));
        rfd_http_reply_error(req, 500, "internal", "erreur interne de l'authentification",
                             "internal error of the authentication", NULL);
}

/* Every member of body is one of names[], a string without NUL; each is
 * required. Answers the 400 naming the member and returns false otherwise. */
static bool take_strings(struct evhttp_request *req, json_t *body, const char *const *names, const char **values,
                         size_t n) {
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
                size_t i = 0;
                while (i < n && strcmp(names[i], key) != 0)
                        i++;
                if (i == n) {
                        rfd_http_reply_field(req, key, "membre inconnu", "unknown member");
                        return false;
                }
                if (!json_is_string(v)) {
                        rfd_http_reply_field(req, key, "une chaîne de caractères est attendue", "a string is expected");
                        return false;
                }
                if (strlen(json_string_value(v)) != json_string_length(v)) {
                        rfd_http_reply_field(req, key, "caractère nul interdit", "NUL character not allowed");
                        return false;
                }
                values[i] = json_string_value(v);
        }
        for (size_t i = 0; i < n; i++)
                if (!values[i]) {
                        rfd_http_reply_field(req, names[i], "obligatoire", "required");
                        return false;
                }
        return true;
}

static void set_cookie(struct evhttp_request *req, const char *sid, long long max_age, bool tls) {
        char header[256];
        snprintf(header, sizeof(header), "refurb_session=%s; " COOKIE_ATTRIBUTES "; Max-Age=%lld%s", sid,
                 max_age, tls ? "; Secure" : "");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", header);
}

static json_t *json_time(time_t t) {
        char iso[21];
        if (t <= 0)
                return json_null();
        rf_time_iso8601(t, iso);
        return json_string(iso);
}

static json_t *session_json(const struct rfd_principal *p, time_t expires) {
        return json_pack("{s:s, s:s, s:o}", "role", rfd_role_to_string(p->role), "name", p->name, "expires_at",
                         json_time(expires));
}

static void h_sign_in(struct rfd_manager *m, struct evhttp_request *req, const struct rfd_principal *who, bool tls) {
        static const char *const names[] = { "token" };
        const char *token[1] = { NULL };
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false);
        if (!body || !take_strings(req, body, names, token, ELEMENTSOF(names)))
                return;

        struct rfd_principal p = { 0 };
        snprintf(p.peer, sizeof(p.peer), "%s", who->peer);
        if (rfd_auth_check_token(m->auth, token[0], &p) < 0) {
                rfd_log(LOG_WARNING, "API: 401 POST /v1/session from %s: sign-in with an unknown or revoked token",
                        p.peer[0] ? p.peer : "?");
                evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                                  "Bearer realm=\"refurb\"");
                return rfd_http_reply_error(req, 401, "unauthenticated",
                                            "jeton d'accès refusé : inconnu ou révoqué (vérifiez qu'il est copié en "
                                            "entier, « rfb1_ » compris)",
                                            "access token refused: unknown or revoked (check that it is copied whole, "
                                            "\"rfb1_\" included)",
                                            NULL);
        }

        /* A session this browser had is replaced, not kept alongside. */
        char old[RFD_AUTH_B64_LEN + 1];
        if (rfd_auth_cookie_sid(req, old))
                rfd_auth_session_close(m->auth, old);

        char sid[RFD_AUTH_B64_LEN + 1];
        time_t expires = 0;
        int r = rfd_auth_session_open(m->auth, &p, sid, &expires);
        if (r < 0)
                return reply_internal(req, "cannot open a session", r);
        long long max_age = (long long) (expires - rf_now_sec());
        set_cookie(req, sid, max_age > 0 ? max_age : 0, tls);
        rfd_log(LOG_INFO, "API: session opened from %s for token %" PRId64 " \"%s\" (%s)", p.peer, p.token_id, p.name,
                rfd_role_to_string(p.role));
        rfd_http_reply_json(req, 200, session_json(&p, expires));
}

static void h_session(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                      const struct rfd_principal *who, bool tls) {
        if (method == EVHTTP_REQ_POST)
                return h_sign_in(m, req, who, tls);
        if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_DELETE)
                return reply_method(req);
        if (!who->authenticated) {
                evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                                  "Bearer realm=\"refurb\"");
                return rfd_http_reply_error(req, 401, "unauthenticated",
                                            "authentification requise : connectez-vous avec votre jeton d'accès",
                                            "authentication required: sign in with your access token", NULL);
        }

        char sid[RFD_AUTH_B64_LEN + 1];
        bool cookie = who->by_cookie && rfd_auth_cookie_sid(req, sid);
        if (method == EVHTTP_REQ_DELETE) {
                if (cookie)
                        rfd_auth_session_close(m->auth, sid);
                set_cookie(req, "", 0, tls);
                rfd_log(LOG_INFO, "API: %s signed out from %s (token %" PRId64 " \"%s\")",
                        cookie ? "session" : "bearer caller", who->peer, who->token_id, who->name);
                return rfd_http_reply_json(req, 200, json_pack("{s:b}", "signed_out", true));
        }

        /* GET: who is signed in, and until when for a session. */
        time_t expires = 0;
        struct rfd_principal p = { 0 };
        if (cookie && rfd_auth_session_lookup(m->auth, sid, &p, &expires) < 0)
                expires = 0;
        rfd_http_reply_json(req, 200, session_json(who, expires));
}

static void h_token_create(struct rfd_manager *m, struct evhttp_request *req) {
        static const char *const names[] = { "role", "name" };
        const char *values[2] = { NULL, NULL };
        _cleanup_json_ json_t *body = rfd_http_read_object(req, false);
        if (!body || !take_strings(req, body, names, values, ELEMENTSOF(names)))
                return;
        enum rfd_role role;
        if (rfd_role_from_string(values[0], &role) < 0)
                return rfd_http_reply_field(req, "role", "technician, supervisor, dsi ou agent attendu",
                                            "technician, supervisor, dsi or agent expected");

        _cleanup_free_ char *secret = NULL;
        _cleanup_json_ json_t *token = NULL;
        int r = rfd_auth_token_create(m->auth, role, values[1], &secret, &token);
        if (r == -EINVAL)
                return rfd_http_reply_field(req, "name",
                                            "1 à 64 caractères UTF-8 imprimables (sans caractère de contrôle)",
                                            "1 to 64 printable UTF-8 characters (no control character)");
        if (r < 0)
                return reply_internal(req, "cannot create a token", r);
        rfd_log(LOG_NOTICE, "API: token %" PRId64 " \"%s\" (%s) created", (int64_t) rf_json_int(token, "id"),
                values[1], rfd_role_to_string(role));
        json_t *v = json_pack("{s:O, s:s}", "token", token, "secret", secret);
        OPENSSL_cleanse(secret, strlen(secret));
        rfd_http_reply_json(req, 201, v);
}

static bool parse_id(const char *s, int64_t *ret) {
        char *end = NULL;
        if (!s || s[0] < '1' || s[0] > '9' || strlen(s) > 18)
                return false;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || !end || *end || v <= 0)
                return false;
        *ret = v;
        return true;
}

static void h_token_revoke(struct rfd_manager *m, struct evhttp_request *req, const char *id_text) {
        int64_t id = 0;
        if (!parse_id(id_text, &id))
                return rfd_http_reply_not_found(req, "jeton inconnu (numéro attendu, voir refurbctl token list)",
                                                "unknown token (a number is expected, see refurbctl token list)");
        _cleanup_json_ json_t *token = NULL;
        int r = rfd_auth_token_revoke(m->auth, id, &token);
        char fr[200], en[200];
        if (r == -ENOENT) {
                snprintf(fr, sizeof(fr), "jeton %" PRId64 " inconnu (voir refurbctl token list)", id);
                snprintf(en, sizeof(en), "unknown token %" PRId64 " (see refurbctl token list)", id);
                return rfd_http_reply_not_found(req, fr, en);
        }
        if (r == -EALREADY) {
                snprintf(fr, sizeof(fr), "le jeton %" PRId64 " est déjà révoqué", id);
                snprintf(en, sizeof(en), "token %" PRId64 " is already revoked", id);
                return rfd_http_reply_error(req, 409, "conflict", fr, en, NULL);
        }
        if (r < 0)
                return reply_internal(req, "cannot revoke a token", r);
        rfd_log(LOG_NOTICE, "API: token %" PRId64 " \"%s\" (%s) revoked, its sessions ended", id,
                rf_json_str(token, "name"), rf_json_str(token, "role"));
        rfd_http_reply_json(req, 200, json_pack("{s:O}", "token", token));
}

static void h_tokens(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                     char *const *seg, size_t n_seg, const struct rfd_principal *who) {
        if (!who->unix_socket) {
                rfd_log(LOG_WARNING, "API: 403 /v1/tokens from %s (token %" PRId64 " \"%s\"): Unix socket only",
                        who->peer, who->token_id, who->name);
                return rfd_http_reply_error(req, 403, "unix-only",
                                            "réservé à l'administrateur du banc (refurbctl sur le banc lui-même)",
                                            "reserved to the bench's administrator (refurbctl on the bench itself)",
                                            NULL);
        }
        if (n_seg == 2) {
                if (method == EVHTTP_REQ_POST)
                        return h_token_create(m, req);
                if (method != EVHTTP_REQ_GET)
                        return reply_method(req);
                json_t *v = NULL;
                int r = rfd_auth_tokens_json(m->auth, &v);
                if (r < 0)
                        return reply_internal(req, "cannot list the tokens", r);
                return rfd_http_reply_json(req, 200, v);
        }
        if (n_seg == 4 && strcmp(seg[3], "revoke") == 0) {
                if (method != EVHTTP_REQ_POST)
                        return reply_method(req);
                return h_token_revoke(m, req, seg[2]);
        }
        rfd_http_reply_not_found(req, "ressource inconnue", "unknown resource");
}

bool rfd_api_session(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                     char *const *seg, size_t n_seg, const struct rfd_principal *who, bool tls) {
        if (n_seg < 2 || strcmp(seg[0], "v1") != 0)
                return false;
        bool session = strcmp(seg[1], "session") == 0, tokens = strcmp(seg[1], "tokens") == 0;
        if (!session && !tokens)
                return false;
        if (!m->auth || !who) {
                reply_internal(req, "no authentication set up", -EIO);
                return true;
        }
        if (tokens)
                h_tokens(m, req, method, seg, n_seg, who);
        else if (n_seg == 2)
                h_session(m, req, method, who, tls);
        else
                rfd_http_reply_not_found(req, "ressource inconnue", "unknown resource");
        return true;
}
