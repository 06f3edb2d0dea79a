/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by rfd-auth.c (tokens) and rfd-auth-session.c (web sessions,
 * cookies, requests) only; the unit test uses the clock hook. */

#include <openssl/sha.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rfd-auth.h"

#define RFD_AUTH_TOKEN_PREFIX "rfb1_"
#define RFD_AUTH_B64_LEN 43                                  /* base64url of 32 bytes, no padding */
#define RFD_AUTH_TOKEN_LEN (sizeof(RFD_AUTH_TOKEN_PREFIX) - 1 + RFD_AUTH_B64_LEN)
#define RFD_AUTH_SESSIONS_MAX 4096
#define RFD_AUTH_NAME_MAX_CHARS 64
#define RFD_AUTH_TOUCH_INTERVAL 60                           /* seconds between writes of last_used_at */

struct rfd_auth_token {
        int64_t id;
        char *name;
        enum rfd_role role;
        uint8_t digest[SHA256_DIGEST_LENGTH];                /* SHA-256 of the whole secret text */
        int64_t created_at;
        int64_t last_used_at;                                /* as written to the store; 0: never */
        int64_t revoked_at;                                  /* 0: valid */
};

/* A web session: only the SHA-256 of its id is kept, so that neither a
 * memory dump nor the lookup's timing gives a usable id. */
struct rfd_auth_session {
        uint8_t digest[SHA256_DIGEST_LENGTH];
        int64_t token_id;
        time_t expires;
};

struct rfd_auth {
        struct rfd_store *store;
        time_t session_seconds;
        struct rfd_auth_token *tokens;                       /* in id order */
        size_t n_tokens;
        struct rfd_auth_session *sessions;                   /* oldest first */
        size_t n_sessions;
        size_t cap_sessions;
        time_t (*now)(void *userdata);                       /* NULL: the real time */
        void *now_userdata;
};

/* Replace the clock (tests: expiry without waiting). NULL: the real time. */
void rfd_auth_set_clock(struct rfd_auth *a, time_t (*now)(void *userdata), void *userdata);
time_t rfd_auth_now(const struct rfd_auth *a);

/* Whether s[0..len) is exactly RFD_AUTH_B64_LEN base64url characters that
 * encode 32 bytes canonically (the last one's two low bits are zero). */
bool rfd_auth_b64_valid(const char *s, size_t len);
/* base64url of 32 bytes, RFD_AUTH_B64_LEN characters + NUL. */
void rfd_auth_b64_encode(const uint8_t in[static 32], char out[static RFD_AUTH_B64_LEN + 1]);
/* SHA-256 of len bytes. */
int rfd_auth_sha256(const void *data, size_t len, uint8_t out[static SHA256_DIGEST_LENGTH]);

/* The valid (not revoked) token with this id, or NULL. */
struct rfd_auth_token *rfd_auth_token_find_valid(struct rfd_auth *a, int64_t id);
/* The token was used now: write last_used_at at most once a minute. */
void rfd_auth_token_used(struct rfd_auth *a, struct rfd_auth_token *t);
/* Fill p as a principal of token t (keeps p->peer). */
void rfd_auth_principal_of(const struct rfd_auth_token *t, bool by_cookie, struct rfd_principal *p);

/* End every session of a token (it was revoked). */
void rfd_auth_sessions_end_token(struct rfd_auth *a, int64_t token_id);
/* rfd_auth_session_check() that also gives the session's expiry. */
int rfd_auth_session_lookup(struct rfd_auth *a, const char *sid, struct rfd_principal *p, time_t *ret_expires);
/* Cookie headers of a request: 1 and sid when refurb_session is there and
 * well formed, 0 when absent, -EINVAL when malformed, ambiguous or too big. */
int rfd_auth_cookie_parse(struct evhttp_request *req, char sid[static RFD_AUTH_B64_LEN + 1]);
