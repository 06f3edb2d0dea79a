/* SPDX-License-Identifier: GPL-2.0-or-later */
/* API tokens (docs/network-api.md): "rfb1_" + base64url of 32 random
 * bytes, shown once; only their SHA-256 is stored and kept in memory. A
 * presented token is checked for its exact format first, so that garbage
 * never reaches the hash, then its digest is compared in constant time
 * with every token's. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-auth-internal.h"
#include "rfd-store.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rfd_auth *, rfd_auth_free);

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of a base64url character, -1 for anything else. */
static int b64_value(unsigned char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

bool rfd_auth_b64_valid(const char *s, size_t len) {
        if (!s || len != RFD_AUTH_B64_LEN)
                return false;
        int v = 0;
        for (size_t i = 0; i < len; i++) {
                v = b64_value((unsigned char) s[i]);
                if (v < 0)
                        return false;
        }
        /* 43 characters carry 258 bits: the last two must be zero. */
        return (v & 3) == 0;
}

void rfd_auth_b64_encode(const uint8_t in[static 32], char out[static RFD_AUTH_B64_LEN + 1]) {
        size_t o = 0;
        uint32_t acc = 0;
        unsigned bits = 0;
        for (size_t i = 0; i < 32; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 6) {
                        bits -= 6;
                        out[o++] = b64url[(acc >> bits) & 63];
                }
        }
        if (bits > 0)
                out[o++] = b64url[(acc << (6 - bits)) & 63];
        out[o] = '\0';
}

int rfd_auth_sha256(const void *data, size_t len, uint8_t out[static SHA256_DIGEST_LENGTH]) {
        unsigned n = 0;
        if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != SHA256_DIGEST_LENGTH)
                return -EIO;
        return 0;
}

static time_t real_now(void *userdata) {
        return rf_now_sec();
}

void rfd_auth_set_clock(struct rfd_auth *a, time_t (*now)(void *userdata), void *userdata) {
        a->now = now ? now : real_now;
        a->now_userdata = userdata;
}

time_t rfd_auth_now(const struct rfd_auth *a) {
        return a->now(a->now_userdata);
}

/* 1-64 characters of one-line text (rf_utf8_text_chars: names end up in
 * log lines and on pages). */
static bool name_valid(const char *name) {
        size_t len = name ? strnlen(name, 4 * RFD_AUTH_NAME_MAX_CHARS + 1) : 0;
        if (len == 0 || len > 4 * RFD_AUTH_NAME_MAX_CHARS)
                return false;
        long chars = rf_utf8_text_chars(name, len);
        return chars >= 1 && chars <= RFD_AUTH_NAME_MAX_CHARS;
}

static json_t *json_time(int64_t t) {
        char iso[21];
        if (t <= 0)
                return json_null();
        rf_time_iso8601((time_t) t, iso);
        return json_string(iso);
}

static json_t *token_json(const struct rfd_auth_token *t) {
        return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t) t->id, "name", t->name, "role",
                         rfd_role_to_string(t->role), "created_at", json_time(t->created_at), "last_used_at",
                         json_time(t->last_used_at), "revoked_at", json_time(t->revoked_at));
}

static struct rfd_auth_token *token_find(struct rfd_auth *a, int64_t id) {
        for (size_t i = 0; i < a->n_tokens; i++)
                if (a->tokens[i].id == id)
                        return &a->tokens[i];
        return NULL;
}

struct rfd_auth_token *rfd_auth_token_find_valid(struct rfd_auth *a, int64_t id) {
        struct rfd_auth_token *t = token_find(a, id);
        return t && t->revoked_at == 0 ? t : NULL;
}

void rfd_auth_token_used(struct rfd_auth *a, struct rfd_auth_token *t) {
        int64_t now = (int64_t) rfd_auth_now(a);
        if (now >= t->last_used_at && now - t->last_used_at < RFD_AUTH_TOUCH_INTERVAL)
                return;
        /* Best effort: a failed write is retried a minute later, not at
         * every request. */
        (void) rfd_store_token_touch(a->store, t->id, now);
        t->last_used_at = now;
}

void rfd_auth_principal_of(const struct rfd_auth_token *t, bool by_cookie, struct rfd_principal *p) {
        p->unix_socket = false;
        p->authenticated = true;
        p->by_cookie = by_cookie;
        p->role = t->role;
        p->token_id = t->id;
        snprintf(p->name, sizeof(p->name), "%s", t->name);
}

static int token_from_row(const struct rfd_token_row *row, struct rfd_auth_token *t) {
        enum rfd_role role;
        if (!row->name || !name_valid(row->name) || rfd_role_from_string(row->role, &role) < 0 ||
            rf_hex_decode(row->sha256, t->digest, sizeof(t->digest)) < 0)
                return -EBADMSG;
        t->name = strdup(row->name);
        if (!t->name)
                return -ENOMEM;
        t->id = row->id;
        t->role = role;
        t->created_at = row->created_at;
        t->last_used_at = row->last_used_at;
        t->revoked_at = row->revoked_at;
        return 0;
}

int rfd_auth_new(struct rfd_store *store, unsigned session_hours, struct rfd_auth **ret) {
        struct rfd_token_row *rows = NULL;
        size_t n = 0;
        if (!store || !ret || session_hours < 1 || session_hours > 168)
                return -EINVAL;
        _cleanup_(rfd_auth_freep) struct rfd_auth *a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->store = store;
        a->session_seconds = (time_t) session_hours * 3600;
        rfd_auth_set_clock(a, NULL, NULL);

        int r = rfd_store_tokens_load(store, &rows, &n);
        if (r < 0)
                return r;
        a->tokens = n ? calloc(n, sizeof(*a->tokens)) : NULL;
        if (n && !a->tokens)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = token_from_row(&rows[i], &a->tokens[i]);
                if (r >= 0)
                        a->n_tokens++;
        }
        rfd_token_rows_free(rows, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

void rfd_auth_free(struct rfd_auth *a) {
        if (!a)
                return;
        for (size_t i = 0; i < a->n_tokens; i++)
                free(a->tokens[i].name);
        free(a->tokens);
        if (a->sessions)
                OPENSSL_cleanse(a->sessions, a->cap_sessions * sizeof(*a->sessions));
        free(a->sessions);
        free(a);
}

int rfd_auth_token_create(struct rfd_auth *a, enum rfd_role role, const char *name, char **ret_secret,
                          json_t **ret_json) {
        uint8_t raw[32];
        char b64[RFD_AUTH_B64_LEN + 1];
        struct rfd_token_row row = {};
        struct rfd_auth_token t = {};

        if (!a || !ret_secret || (unsigned) role >= _RFD_ROLE_MAX || !name_valid(name))
                return -EINVAL;
        /* Room first, so that nothing can fail once the row is stored. */
        struct rfd_auth_token *tokens = reallocarray(a->tokens, a->n_tokens + 1, sizeof(*tokens));
        if (!tokens)
                return -ENOMEM;
        a->tokens = tokens;
        _cleanup_free_ char *secret = malloc(RFD_AUTH_TOKEN_LEN + 1);
        _cleanup_free_ char *name_copy = strdup(name);
        _cleanup_json_ json_t *j = NULL;
        if (!secret || !name_copy)
                return -ENOMEM;
        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        rfd_auth_b64_encode(raw, b64);
        OPENSSL_cleanse(raw, sizeof(raw));
        memcpy(secret, RFD_AUTH_TOKEN_PREFIX, sizeof(RFD_AUTH_TOKEN_PREFIX) - 1);
        memcpy(secret + sizeof(RFD_AUTH_TOKEN_PREFIX) - 1, b64, sizeof(b64));
        OPENSSL_cleanse(b64, sizeof(b64));
        int r = rfd_auth_sha256(secret, RFD_AUTH_TOKEN_LEN, t.digest);
        if (r < 0)
                return r;
        rf_hex_encode(t.digest, sizeof(t.digest), row.sha256);
        row.name = name_copy;
        row.role = (char *) rfd_role_to_string(role);
        r = rfd_store_token_insert(a->store, &row);
        if (r < 0)
                return r;
        t.id = row.id;
        t.created_at = row.created_at;
        t.role = role;
        t.name = TAKE_PTR(name_copy);
        a->tokens[a->n_tokens++] = t;
        if (ret_json) {
                j = token_json(&t);
                if (!j)
                        return -ENOMEM; /* the token exists: GET /v1/tokens lists it */
                *ret_json = TAKE_PTR(j);
        }
        *ret_secret = TAKE_PTR(secret);
        return 0;
}

int rfd_auth_token_revoke(struct rfd_auth *a, int64_t id, json_t **ret_json) {
        if (!a)
                return -EINVAL;
        struct rfd_auth_token *t = token_find(a, id);
        if (!t)
                return -ENOENT;
        if (t->revoked_at != 0)
                return -EALREADY;
        int64_t when = 0;
        int r = rfd_store_token_revoke(a->store, id, &when);
        if (r == -EALREADY)
                when = (int64_t) rfd_auth_now(a); /* revoked behind our back: follow the store */
        else if (r < 0)
                return r;
        t->revoked_at = when > 0 ? when : 1;
        rfd_auth_sessions_end_token(a, id);
        if (r == -EALREADY)
                return r;
        if (ret_json) {
                *ret_json = token_json(t);
                if (!*ret_json)
                        return -ENOMEM;
        }
        return 0;
}

int rfd_auth_tokens_json(struct rfd_auth *a, json_t **ret) {
        if (!a || !ret)
                return -EINVAL;
        _cleanup_json_ json_t *list = json_array();
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_tokens; i++)
                if (json_array_append_new(list, token_json(&a->tokens[i])) < 0)
                        return -ENOMEM;
        json_t *v = json_pack("{s:O}", "tokens", list);
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

/* "rfb1_" + 43 canonical base64url characters, and nothing else. */
static bool token_text_valid(const char *s) {
        size_t prefix = sizeof(RFD_AUTH_TOKEN_PREFIX) - 1;
        return s && strnlen(s, RFD_AUTH_TOKEN_LEN + 1) == RFD_AUTH_TOKEN_LEN &&
               memcmp(s, RFD_AUTH_TOKEN_PREFIX, prefix) == 0 && rfd_auth_b64_valid(s + prefix, RFD_AUTH_B64_LEN);
}

int rfd_auth_check_token(struct rfd_auth *a, const char *secret, struct rfd_principal *p) {
        uint8_t digest[SHA256_DIGEST_LENGTH];
        if (!a || !p || !token_text_valid(secret))
                return -EACCES;
        if (rfd_auth_sha256(secret, RFD_AUTH_TOKEN_LEN, digest) < 0)
                return -EACCES;
        /* Every token is compared, so that the time taken does not say
         * which one (if any) matched. */
        struct rfd_auth_token *found = NULL;
        for (size_t i = 0; i < a->n_tokens; i++)
                if (CRYPTO_memcmp(digest, a->tokens[i].digest, sizeof(digest)) == 0)
                        found = &a->tokens[i];
        if (!found || found->revoked_at != 0)
                return -EACCES;
        rfd_auth_token_used(a, found);
        rfd_auth_principal_of(found, false, p);
        return 0;
}
