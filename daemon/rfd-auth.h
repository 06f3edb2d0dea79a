/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct rfd_store;

/* Tokens, roles, web sessions and the per-route policy of the network API
 * (docs/network-api.md). The daemon keeps every token's SHA-256 in memory
 * (loaded from the store at start, updated on create/revoke), so checking a
 * request costs one SHA-256 and no database access. */

enum rfd_role {
        RFD_ROLE_TECHNICIAN = 0,
        RFD_ROLE_SUPERVISOR,
        RFD_ROLE_DSI,
        RFD_ROLE_AGENT,
        _RFD_ROLE_MAX,
        RFD_ROLE_ROOT = _RFD_ROLE_MAX, /* the Unix socket: may do everything */
};

#define RFD_ROLE_BIT(r) (1u << (unsigned) (r))
#define RFD_ROLES_HUMAN (RFD_ROLE_BIT(RFD_ROLE_TECHNICIAN) | RFD_ROLE_BIT(RFD_ROLE_SUPERVISOR) | RFD_ROLE_BIT(RFD_ROLE_DSI))
#define RFD_ROLES_ALL (RFD_ROLES_HUMAN | RFD_ROLE_BIT(RFD_ROLE_AGENT))

/* "technician", "supervisor", "dsi", "agent", "root"; NULL for others. */
const char *rfd_role_to_string(enum rfd_role r);
/* -EINVAL for anything but the four token roles. */
int rfd_role_from_string(const char *s, enum rfd_role *ret);
/* "technicien", "superviseur", "DSI", "agent", "root". */
const char *rfd_role_label_fr(enum rfd_role r);

/* Who is calling. */
struct rfd_principal {
        bool unix_socket;    /* came in on the Unix socket: role is ROOT */
        bool authenticated;  /* a valid token or session (always true on the Unix socket) */
        bool by_cookie;      /* authenticated by the session cookie (CSRF rules apply) */
        enum rfd_role role;
        int64_t token_id;    /* 0 on the Unix socket */
        char name[257];      /* the token's name (64 UTF-8 characters), "root" on the Unix socket */
        char peer[64];       /* "127.0.0.1:51234", "[::1]:51234" or "unix" */
};

struct rfd_auth;

/* Load the tokens of the store (table tokens, schema v4). session_hours: life of a web session. */
int rfd_auth_new(struct rfd_store *store, unsigned session_hours, struct rfd_auth **ret);
void rfd_auth_free(struct rfd_auth *a);

/* A new token: "rfb1_" + base64url(32 random bytes), returned once in
 * *ret_secret (malloc'd); only its SHA-256 is stored. name: 1-64
 * characters of printable UTF-8 (-EINVAL otherwise). *ret_json: the token
 * as GET /v1/tokens lists it. */
int rfd_auth_token_create(struct rfd_auth *a, enum rfd_role role, const char *name, char **ret_secret,
                          json_t **ret_json);
/* -ENOENT unknown id, -EALREADY already revoked. Ends the token's sessions. */
int rfd_auth_token_revoke(struct rfd_auth *a, int64_t id, json_t **ret_json);
/* {"tokens": [...]} as docs/network-api.md says. */
int rfd_auth_tokens_json(struct rfd_auth *a, json_t **ret);

/* A bearer token's principal (role, id, name); -EACCES when the text is no
 * token, unknown or revoked. Constant-time comparison of the digests. */
int rfd_auth_check_token(struct rfd_auth *a, const char *secret, struct rfd_principal *p);

/* Web sessions: a random 32-byte id (base64url, 43 chars + NUL), in memory,
 * expiring after session_hours; at most 4096 (the oldest is dropped). */
int rfd_auth_session_open(struct rfd_auth *a, const struct rfd_principal *p, char ret_sid[static 44],
                          time_t *ret_expires);
/* -EACCES unknown or expired session, or its token was revoked. */
int rfd_auth_session_check(struct rfd_auth *a, const char *sid, struct rfd_principal *p);
void rfd_auth_session_close(struct rfd_auth *a, const char *sid);

/* Authenticate a request that came in on TCP: "Authorization: Bearer X"
 * first, else the "refurb_session" cookie. Fills p (peer included, from
 * the connection). Returns 0 when authenticated, -ENOENT when the request
 * carries neither, -EACCES when what it carries is not valid. */
int rfd_auth_request(struct rfd_auth *a, struct evhttp_request *req, struct rfd_principal *p);

/* The value of cookie name in the request's Cookie headers (RFC 6265
 * 5.4), unquoted, in out: 1 found, 0 absent, -EINVAL for control
 * characters, headers over 8 KiB, a value that does not fit in outlen
 * bytes, or the cookie sent twice with different values. */
int rfd_auth_cookie_value(struct evhttp_request *req, const char *name, char *out, size_t outlen);

/* The session id in the request's Cookie header (refurb_session), or
 * false. Cookie parsing is strict and bounded. */
bool rfd_auth_cookie_sid(struct evhttp_request *req, char sid[static 44]);

/* The roles that may call method on the path seg[0..n_seg) ("v1", ...),
 * as a mask of RFD_ROLE_BIT(). 0: nobody over TCP (the Unix socket only,
 * e.g. /v1/tokens). Unknown paths return RFD_ROLES_ALL so that they get
 * their 404. The session endpoint (POST /v1/session) is handled before. */
unsigned rfd_auth_policy(enum evhttp_cmd_type method, char *const *seg, size_t n_seg);
