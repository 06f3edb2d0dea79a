/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Web sessions (docs/network-api.md "Authentication"): a random id given
 * to the browser in the refurb_session cookie, kept in memory as its
 * SHA-256 with its token and expiry; the oldest is dropped beyond 4096.
 * Also how a TCP request is authenticated: "Authorization: Bearer" first,
 * else the cookie, parsed strictly and within bounds. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "rf-macro.h"
#include "rfd-auth-internal.h"

#define COOKIE_NAME "refurb_session"
#define COOKIE_HEADERS_MAX 8192 /* bytes of Cookie headers looked at, in all */
#define AUTHORIZATION_MAX 1024

static void session_remove(struct rfd_auth *a, size_t i) {
        memmove(&a->sessions[i], &a->sessions[i + 1], (a->n_sessions - i - 1) * sizeof(*a->sessions));
        a->n_sessions--;
        OPENSSL_cleanse(&a->sessions[a->n_sessions], sizeof(*a->sessions));
}

/* Keep the sessions for which keep() is true, in their order. */
static void sessions_filter(struct rfd_auth *a, bool (*keep)(const struct rfd_auth_session *s, const void *arg),
                            const void *arg) {
        size_t o = 0;
        for (size_t i = 0; i < a->n_sessions; i++)
                if (keep(&a->sessions[i], arg))
                        a->sessions[o++] = a->sessions[i];
        if (o < a->n_sessions)
                OPENSSL_cleanse(&a->sessions[o], (a->n_sessions - o) * sizeof(*a->sessions));
        a->n_sessions = o;
}

static bool keep_other_token(const struct rfd_auth_session *s, const void *arg) {
        return s->token_id != *(const int64_t *) arg;
}

static bool keep_unexpired(const struct rfd_auth_session *s, const void *arg) {
        return s->expires > *(const time_t *) arg;
}

void rfd_auth_sessions_end_token(struct rfd_auth *a, int64_t token_id) {
        sessions_filter(a, keep_other_token, &token_id);
}

static int sessions_make_room(struct rfd_auth *a) {
        if (a->n_sessions == RFD_AUTH_SESSIONS_MAX) {
                time_t now = rfd_auth_now(a);
                sessions_filter(a, keep_unexpired, &now);
        }
        if (a->n_sessions == RFD_AUTH_SESSIONS_MAX)
                session_remove(a, 0); /* the oldest */
        if (a->n_sessions < a->cap_sessions)
                return 0;
        size_t cap = a->cap_sessions ? MIN(a->cap_sessions * 2, (size_t) RFD_AUTH_SESSIONS_MAX) : 16;
        struct rfd_auth_session *s = reallocarray(a->sessions, cap, sizeof(*s));
        if (!s)
                return -ENOMEM;
        a->sessions = s;
        a->cap_sessions = cap;
        return 0;
}

int rfd_auth_session_open(struct rfd_auth *a, const struct rfd_principal *p, char ret_sid[static 44],
                          time_t *ret_expires) {
        uint8_t raw[32];
        char sid[RFD_AUTH_B64_LEN + 1];
        struct rfd_auth_session s = {};

        if (!a || !p || !p->authenticated || p->unix_socket || p->token_id <= 0)
                return -EINVAL;
        if (!rfd_auth_token_find_valid(a, p->token_id))
                return -EACCES;
        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        rfd_auth_b64_encode(raw, sid);
        OPENSSL_cleanse(raw, sizeof(raw));
        int r = rfd_auth_sha256(sid, RFD_AUTH_B64_LEN, s.digest);
        if (r < 0)
                return r;
        r = sessions_make_room(a);
        if (r < 0)
                return r;
        s.token_id = p->token_id;
        s.expires = rfd_auth_now(a) + a->session_seconds;
        a->sessions[a->n_sessions++] = s;
        memcpy(ret_sid, sid, sizeof(sid));
        OPENSSL_cleanse(sid, sizeof(sid));
        if (ret_expires)
                *ret_expires = s.expires;
        return 0;
}

static ssize_t session_find(struct rfd_auth *a, const char *sid) {
        uint8_t digest[SHA256_DIGEST_LENGTH];
        if (!sid || !rfd_auth_b64_valid(sid, strnlen(sid, RFD_AUTH_B64_LEN + 1)))
                return -EACCES;
        if (rfd_auth_sha256(sid, RFD_AUTH_B64_LEN, digest) < 0)
                return -EACCES;
        /* The digest of a secret: where it matches says nothing of the id. */
        for (size_t i = 0; i < a->n_sessions; i++)
                if (memcmp(a->sessions[i].digest, digest, sizeof(digest)) == 0)
                        return (ssize_t) i;
        return -EACCES;
}

int rfd_auth_session_lookup(struct rfd_auth *a, const char *sid, struct rfd_principal *p, time_t *ret_expires) {
        if (!a || !p)
                return -EACCES;
        ssize_t i = session_find(a, sid);
        if (i < 0)
                return -EACCES;
        struct rfd_auth_session *s = &a->sessions[i];
        struct rfd_auth_token *t = rfd_auth_token_find_valid(a, s->token_id);
        if (!t || rfd_auth_now(a) >= s->expires) {
                session_remove(a, (size_t) i);
                return -EACCES;
        }
        if (ret_expires)
                *ret_expires = s->expires;
        rfd_auth_token_used(a, t);
        rfd_auth_principal_of(t, true, p);
        return 0;
}

int rfd_auth_session_check(struct rfd_auth *a, const char *sid, struct rfd_principal *p) {
        return rfd_auth_session_lookup(a, sid, p, NULL);
}

void rfd_auth_session_close(struct rfd_auth *a, const char *sid) {
        if (!a)
                return;
        ssize_t i = session_find(a, sid);
        if (i >= 0)
                session_remove(a, (size_t) i);
}

static bool is_space(char c) {
        return c == ' ' || c == '\t';
}

/* One Cookie header value (RFC 6265 5.4: "name=value; name=value").
 * Pairs without '=' are ignored, as browsers do; the value of name may be
 * quoted, must fit in out and say the same each time it appears. *found:
 * 1 once seen. */
static int cookie_parse_one(const char *v, size_t len, const char *name, char *out, size_t outlen, int *found) {
        for (size_t i = 0; i < len; i++)
                if (((unsigned char) v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
                        return -EINVAL;
        const char *end = v + len;
        size_t nlen = strlen(name);
        for (const char *p = v; p < end;) {
                const char *semi = memchr(p, ';', (size_t) (end - p));
                const char *pe = semi ? semi : end;
                const char *eq = memchr(p, '=', (size_t) (pe - p));
                const char *n = p;
                p = semi ? semi + 1 : end;
                if (!eq)
                        continue;
                const char *ne = eq, *val = eq + 1, *ve = pe;
                while (n < ne && is_space(*n))
                        n++;
                while (ne > n && is_space(ne[-1]))
                        ne--;
                if ((size_t) (ne - n) != nlen || memcmp(n, name, nlen) != 0)
                        continue;
                while (val < ve && is_space(*val))
                        val++;
                while (ve > val && is_space(ve[-1]))
                        ve--;
                if (ve - val >= 2 && val[0] == '"' && ve[-1] == '"') {
                        val++;
                        ve--;
                }
                size_t vlen = (size_t) (ve - val);
                if (vlen >= outlen)
                        return -EINVAL;
                if (*found && (strlen(out) != vlen || memcmp(out, val, vlen) != 0))
                        return -EINVAL; /* two different values: trust neither */
                memcpy(out, val, vlen);
                out[vlen] = '\0';
                *found = 1;
        }
        return 0;
}

int rfd_auth_cookie_value(struct evhttp_request *req, const char *name, char *out, size_t outlen) {
        struct evkeyvalq *h = req ? evhttp_request_get_input_headers(req) : NULL;
        struct evkeyval *kv;
        size_t total = 0;
        int found = 0;
        if (!h || !name || !out || outlen == 0)
                return 0;
        for (kv = h->tqh_first; kv; kv = kv->next.tqe_next) {
                if (!kv->key || !kv->value || strcasecmp(kv->key, "Cookie") != 0)
                        continue;
                size_t len = strnlen(kv->value, COOKIE_HEADERS_MAX + 1);
                total += len;
                if (total > COOKIE_HEADERS_MAX)
                        return -EINVAL;
                int r = cookie_parse_one(kv->value, len, name, out, outlen, &found);
                if (r < 0)
                        return r;
        }
        return found;
}

int rfd_auth_cookie_parse(struct evhttp_request *req, char sid[static RFD_AUTH_B64_LEN + 1]) {
        int r = rfd_auth_cookie_value(req, COOKIE_NAME, sid, RFD_AUTH_B64_LEN + 1);
        if (r > 0 && !rfd_auth_b64_valid(sid, strlen(sid)))
                return -EINVAL;
        return r;
}

bool rfd_auth_cookie_sid(struct evhttp_request *req, char sid[static 44]) {
        return rfd_auth_cookie_parse(req, sid) > 0;
}

static void peer_string(struct evhttp_request *req, char *out, size_t size) {
        struct evhttp_connection *conn = evhttp_request_get_connection(req);
        const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;
        char addr[INET6_ADDRSTRLEN] = "";
        snprintf(out, size, "?");
        if (sa && sa->sa_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
                if (inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr)))
                        snprintf(out, size, "%s:%u", addr, (unsigned) ntohs(in->sin_port));
        } else if (sa && sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;
                if (inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr)))
                        snprintf(out, size, "[%s]:%u", addr, (unsigned) ntohs(in6->sin6_port));
        } else if (sa && sa->sa_family == AF_UNIX)
                snprintf(out, size, "unix");
        else if (conn) {
                char *host = NULL;
                ev_uint16_t port = 0;
                evhttp_connection_get_peer(conn, &host, &port);
                if (host && strchr(host, ':'))
                        snprintf(out, size, "[%.46s]:%u", host, (unsigned) port);
                else if (host)
                        snprintf(out, size, "%.46s:%u", host, (unsigned) port);
        }
}

/* "Bearer TOKEN" (scheme case-insensitive, RFC 7235); -EACCES for any
 * other form or scheme, or for several Authorization headers. */
static int bearer_token(struct evkeyvalq *h, const char **ret) {
        struct evkeyval *kv;
        const char *value = NULL;
        for (kv = h->tqh_first; kv; kv = kv->next.tqe_next)
                if (kv->key && strcasecmp(kv->key, "Authorization") == 0) {
                        if (value || !kv->value)
                                return -EACCES;
                        value = kv->value;
                }
        if (!value)
                return -ENOENT;
        if (strnlen(value, AUTHORIZATION_MAX + 1) > AUTHORIZATION_MAX || strncasecmp(value, "Bearer", 6) != 0 ||
            !is_space(value[6]))
                return -EACCES;
        value += 6;
        while (is_space(*value))
                value++;
        *ret = value;
        return 0;
}

int rfd_auth_request(struct rfd_auth *a, struct evhttp_request *req, struct rfd_principal *p) {
        char sid[RFD_AUTH_B64_LEN + 1];
        const char *token = NULL;
        if (!p)
                return -EINVAL;
        *p = (struct rfd_principal) {};
        if (!a || !req)
                return -EINVAL;
        peer_string(req, p->peer, sizeof(p->peer));

        int r = bearer_token(evhttp_request_get_input_headers(req), &token);
        if (r == 0)
                return rfd_auth_check_token(a, token, p) < 0 ? -EACCES : 0;
        if (r != -ENOENT)
                return r;
        r = rfd_auth_cookie_parse(req, sid);
        if (r < 0)
                return -EACCES;
        if (r == 0)
                return -ENOENT;
        r = rfd_auth_session_check(a, sid, p);
        OPENSSL_cleanse(sid, sizeof(sid));
        return r < 0 ? -EACCES : 0;
}
