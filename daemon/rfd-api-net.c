/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The front door of the TCP listeners (docs/network-api.md): web pages,
 * sign-in, authentication by token or session cookie, the role of the
 * caller checked against the route's policy, CSRF checks for cookie
 * requests; then the same router as the Unix socket. Every refusal is an
 * error document and a log line naming who asked for what. */
#include <errno.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <string.h>

#include "rf-macro.h"
#include "rfd-api.h"
#include "rfd-auth.h"
#include "rfd-http.h"
#include "rfd-log.h"
#include "rfd-manager.h"
#include "rfd-web.h"

static const char *method_name(enum evhttp_cmd_type m) {
        switch (m) {
        case EVHTTP_REQ_GET: return "GET";
        case EVHTTP_REQ_POST: return "POST";
        case EVHTTP_REQ_HEAD: return "HEAD";
        case EVHTTP_REQ_PUT: return "PUT";
        case EVHTTP_REQ_DELETE: return "DELETE";
        case EVHTTP_REQ_OPTIONS: return "OPTIONS";
        case EVHTTP_REQ_PATCH: return "PATCH";
        default: return "?";
        }
}

static bool is_api_path(const char *path) {
        return strcmp(path, "/v1") == 0 || strncmp(path, "/v1/", 4) == 0;
}

static bool is_safe_method(enum evhttp_cmd_type m) {
        return m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD || m == EVHTTP_REQ_OPTIONS;
}

static void reply_unauthenticated(struct evhttp_request *req, const struct rfd_principal *who, int r,
                                  const char *path) {
        enum evhttp_cmd_type method = evhttp_request_get_command(req);
        rfd_log(r == -ENOENT ? LOG_INFO : LOG_WARNING, "API: 401 %s %s from %s: %s", method_name(method), path,
                who->peer[0] ? who->peer : "?",
                r == -ENOENT ? "no token or session" : "unknown, revoked or expired token or session");
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer realm=\"refurb\"");
        if (r == -ENOENT)
                return rfd_http_reply_error(req, 401, "unauthenticated",
                                            "authentification requise : connectez-vous avec votre jeton d'accès",
                                            "authentication required: sign in with your access token", NULL);
        rfd_http_reply_error(req, 401, "unauthenticated", "jeton ou session refusé (inconnu, révoqué ou expiré)",
                             "token or session refused (unknown, revoked or expired)", NULL);
}

static void reply_forbidden(struct evhttp_request *req, const struct rfd_principal *who, unsigned allowed,
                            const char *path) {
        enum evhttp_cmd_type method = evhttp_request_get_command(req);
        rfd_log(LOG_WARNING, "API: 403 %s %s from %s: token %lld \"%s\" (%s) may not", method_name(method), path,
                who->peer, (long long) who->token_id, who->name, rfd_role_to_string(who->role));
        if (allowed == 0)
                return rfd_http_reply_error(req, 403, "unix-only",
                                            "réservé à l'administrateur du banc (refurbctl sur le banc lui-même)",
                                            "reserved to the bench's administrator (refurbctl on the bench itself)",
                                            NULL);
        json_t *roles = json_array();
        for (enum rfd_role r = 0; r < _RFD_ROLE_MAX; r++)
                if (allowed & RFD_ROLE_BIT(r))
                        json_array_append_new(roles, json_string(rfd_role_to_string(r)));
        char fr[200], en[200];
        snprintf(fr, sizeof(fr), "votre rôle (%s) ne permet pas cette action", rfd_role_label_fr(who->role));
        snprintf(en, sizeof(en), "your role (%s) does not allow this", rfd_role_to_string(who->role));
        rfd_http_reply_error(req, 403, "forbidden", fr, en,
                             json_pack("{s:s, s:o}", "role", rfd_role_to_string(who->role), "allowed", roles));
}

/* Origin "https://host:port" must name the Host the request was sent to. */
static bool origin_matches(struct evhttp_request *req) {
        struct evkeyvalq *h = evhttp_request_get_input_headers(req);
        const char *origin = evhttp_find_header(h, "Origin");
        if (!origin)
                return true;
        const char *host = evhttp_find_header(h, "Host");
        const char *sep = strstr(origin, "://");
        return host && sep && strcmp(sep + 3, host) == 0;
}

static bool csrf_ok(struct evhttp_request *req, const struct rfd_principal *who, const char *path) {
        if (!who->by_cookie || is_safe_method(evhttp_request_get_command(req)))
                return true;
        const char *x = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Refurb");
        if (x && strcmp(x, "1") == 0 && origin_matches(req))
                return true;
        rfd_log(LOG_WARNING, "API: 403 csrf %s %s from %s (session of \"%s\"): %s",
                method_name(evhttp_request_get_command(req)), path, who->peer, who->name,
                x ? "foreign Origin" : "no X-Refurb header");
        rfd_http_reply_error(req, 403, "csrf", "requête refusée : elle ne vient pas des pages du banc",
                             "request refused: it does not come from the bench's pages", NULL);
        return false;
}

void rfd_api_net_request(struct evhttp_request *req, void *arg) {
        struct rfd_manager *m = arg;
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
        const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
        if (!path || path[0] != '/' || strlen(path) > 1024)
                return rfd_http_reply_error(req, 400, "bad-request", "chemin de requête invalide",
                                            "invalid request path", NULL);

        struct rfd_principal who = { 0 };
        int ar = rfd_auth_request(m->auth, req, &who);
        if (ar < 0)
                who.authenticated = false;

        if (!is_api_path(path)) {
                if (m->web && rfd_web_serve(m->web, req, path, ar == 0 ? &who : NULL))
                        return;
                return rfd_http_reply_not_found(req, "page inconnue", "unknown page");
        }

        _cleanup_(rfd_api_path_done) struct rfd_api_path p = { 0 };
        int r = rfd_api_path_split(path, &p);
        if (r == -E2BIG)
                return rfd_http_reply_not_found(req, "ressource inconnue", "unknown resource");
        if (r < 0)
                return rfd_http_reply_error(req, r == -ENOMEM ? 500 : 400, r == -ENOMEM ? "internal" : "bad-request",
                                            "chemin de requête invalide", "invalid request path", NULL);
        enum evhttp_cmd_type method = evhttp_request_get_command(req);

        /* Signing in needs no session; the body carries the token. */
        bool session = p.n_seg == 2 && strcmp(p.seg[1], "session") == 0;
        if (session && method == EVHTTP_REQ_POST)
                return rfd_api_route(m, req, &who);

        if (ar < 0)
                return reply_unauthenticated(req, &who, ar, path);
        if (!session) {
                unsigned allowed = rfd_auth_policy(method, p.seg, p.n_seg);
                if (!(allowed & RFD_ROLE_BIT(who.role)))
                        return reply_forbidden(req, &who, allowed, path);
        }
        if (!csrf_ok(req, &who, path))
                return;
        /* Who changed what, for the audit trail (erasures started, drives
         * linked, validations, profiles installed...). */
        if (!is_safe_method(method))
                rfd_log(LOG_INFO, "API: %s %s from %s by token %lld \"%s\" (%s)", method_name(method), path, who.peer,
                        (long long) who.token_id, who.name, rfd_role_to_string(who.role));
        rfd_api_route(m, req, &who);
}
