/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-auth-internal.h"
#include "rfd-store.h"
#include "test-tmpdir.h"

#define T0 ((time_t) 1800000000)

struct fixture {
        char dir[64];
        struct rfd_store *store;
        struct rfd_auth *auth;
        time_t now;
};

static time_t fake_now(void *userdata) {
        return ((struct fixture *) userdata)->now;
}

static void open_auth(struct fixture *f, unsigned hours) {
        unsigned interrupted = 0;
        assert_int_equal(rfd_store_open(f->dir, &f->store, &interrupted), 0);
        assert_int_equal(rfd_auth_new(f->store, hours, &f->auth), 0);
        rfd_auth_set_clock(f->auth, fake_now, f);
}

static void close_auth(struct fixture *f) {
        rfd_auth_free(f->auth);
        f->auth = NULL;
        rfd_store_close(f->store);
        f->store = NULL;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        if (!f || test_mkdtemp(f->dir, sizeof(f->dir), "test-auth") < 0) {
                free(f);
                return -1;
        }
        f->now = T0;
        open_auth(f, 1);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        close_auth(f);
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

static char *create(struct fixture *f, enum rfd_role role, const char *name, int64_t *ret_id) {
        char *secret = NULL;
        _cleanup_json_ json_t *j = NULL;
        assert_int_equal(rfd_auth_token_create(f->auth, role, name, &secret, &j), 0);
        assert_non_null(secret);
        assert_int_equal(strlen(secret), 48);
        assert_memory_equal(secret, "rfb1_", 5);
        assert_string_equal(rf_json_str(j, "name"), name);
        assert_string_equal(rf_json_str(j, "role"), rfd_role_to_string(role));
        assert_true(json_is_string(json_object_get(j, "created_at")));
        assert_true(json_is_null(json_object_get(j, "last_used_at")));
        assert_true(json_is_null(json_object_get(j, "revoked_at")));
        if (ret_id)
                *ret_id = rf_json_int(j, "id");
        return secret;
}

/* Whether needle is in the file (missing file: false). */
static bool file_contains(const char *path, const char *needle) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (rf_read_file(path, 64 * 1024 * 1024, &data, &len) < 0)
                return false;
        return memmem(data, len, needle, strlen(needle)) != NULL;
}

static int64_t raw_last_used(struct fixture *f, int64_t id) {
        _cleanup_free_ char *path = NULL;
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        assert_true(asprintf(&path, "%s/refurbd.db", f->dir) > 0);
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT last_used_at FROM tokens WHERE id = ?1", -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_int64(st, 1, id);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        int64_t v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

static void test_tokens(void **state) {
        struct fixture *f = *state;
        int64_t id1 = 0, id2 = 0;
        _cleanup_free_ char *s1 = create(f, RFD_ROLE_TECHNICIAN, "écran atelier", &id1);
        _cleanup_free_ char *s2 = create(f, RFD_ROLE_SUPERVISOR, "bureau", &id2);
        assert_true(id1 > 0 && id2 > id1);
        assert_string_not_equal(s1, s2);

        struct rfd_principal p = { .peer = "10.0.0.1:1" };
        assert_int_equal(rfd_auth_check_token(f->auth, s1, &p), 0);
        assert_true(p.authenticated && !p.by_cookie && !p.unix_socket);
        assert_int_equal(p.role, RFD_ROLE_TECHNICIAN);
        assert_int_equal(p.token_id, id1);
        assert_string_equal(p.name, "écran atelier");
        assert_string_equal(p.peer, "10.0.0.1:1"); /* kept */
        assert_int_equal(rfd_auth_check_token(f->auth, s2, &p), 0);
        assert_int_equal(p.role, RFD_ROLE_SUPERVISOR);

        /* Only the digest is on disk. */
        char hex[65], path[128], wal[140];
        assert_int_equal(rf_sha256_hex(s1, strlen(s1), hex), 0);
        snprintf(path, sizeof(path), "%s/refurbd.db", f->dir);
        snprintf(wal, sizeof(wal), "%s-wal", path);
        assert_true(file_contains(path, hex) || file_contains(wal, hex));
        assert_false(file_contains(path, s1 + 5) || file_contains(wal, s1 + 5));
        assert_false(file_contains(path, s2 + 5) || file_contains(wal, s2 + 5));

        _cleanup_json_ json_t *r = NULL;
        assert_int_equal(rfd_auth_token_revoke(f->auth, id1, &r), 0);
        assert_true(json_is_string(json_object_get(r, "revoked_at")));
        assert_int_equal(rfd_auth_check_token(f->auth, s1, &p), -EACCES);
        assert_int_equal(rfd_auth_token_revoke(f->auth, id1, NULL), -EALREADY);
        assert_int_equal(rfd_auth_token_revoke(f->auth, 999, NULL), -ENOENT);

        /* A fresh daemon: the same tokens, revocation included. */
        close_auth(f);
        open_auth(f, 12);
        assert_int_equal(rfd_auth_check_token(f->auth, s1, &p), -EACCES);
        assert_int_equal(rfd_auth_check_token(f->auth, s2, &p), 0);
        assert_int_equal(p.token_id, id2);
        assert_string_equal(p.name, "bureau");
        _cleanup_json_ json_t *list = NULL;
        assert_int_equal(rfd_auth_tokens_json(f->auth, &list), 0);
        json_t *a = json_object_get(list, "tokens");
        assert_int_equal(json_array_size(a), 2);
        assert_int_equal(rf_json_int(json_array_get(a, 0), "id"), id1);
        assert_true(json_is_string(json_object_get(json_array_get(a, 0), "revoked_at")));
        assert_true(json_is_null(json_object_get(json_array_get(a, 1), "revoked_at")));
        assert_null(json_object_get(json_array_get(a, 1), "sha256"));
        assert_int_equal(rfd_auth_token_revoke(f->auth, id1, NULL), -EALREADY);
}

static void test_last_used(void **state) {
        struct fixture *f = *state;
        int64_t id = 0;
        struct rfd_principal p = { 0 };
        _cleanup_free_ char *s = create(f, RFD_ROLE_DSI, "dsi", &id);
        assert_int_equal(raw_last_used(f, id), 0);
        assert_int_equal(rfd_auth_check_token(f->auth, s, &p), 0);
        assert_int_equal(raw_last_used(f, id), T0);
        f->now = T0 + 59; /* at most once a minute */
        assert_int_equal(rfd_auth_check_token(f->auth, s, &p), 0);
        assert_int_equal(raw_last_used(f, id), T0);
        f->now = T0 + 60;
        assert_int_equal(rfd_auth_check_token(f->auth, s, &p), 0);
        assert_int_equal(raw_last_used(f, id), T0 + 60);
}

static void test_token_names(void **state) {
        struct fixture *f = *state;
        char *s = NULL;
        char long_name[300];
        const char *bad[] = { "", "a\nb", "tab\there", "del\x7f", "c1\xc2\x85", "bidi\xe2\x80\xae", "\xff\xfe",
                              "\xc3", NULL };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(rfd_auth_token_create(f->auth, RFD_ROLE_AGENT, bad[i], &s, NULL), -EINVAL);
        assert_int_equal(rfd_auth_token_create(f->auth, _RFD_ROLE_MAX, "x", &s, NULL), -EINVAL);
        assert_int_equal(rfd_auth_token_create(f->auth, RFD_ROLE_ROOT, "x", &s, NULL), -EINVAL);
        /* 64 characters of two bytes each: fine; 65: no. */
        long_name[0] = '\0';
        for (int i = 0; i < 64; i++)
                strcat(long_name, "é");
        _cleanup_free_ char *ok = create(f, RFD_ROLE_AGENT, long_name, NULL);
        struct rfd_principal p = { 0 };
        assert_int_equal(rfd_auth_check_token(f->auth, ok, &p), 0);
        assert_string_equal(p.name, long_name);
        strcat(long_name, "é");
        assert_int_equal(rfd_auth_token_create(f->auth, RFD_ROLE_AGENT, long_name, &s, NULL), -EINVAL);
        assert_null(s);
}

static void test_malformed_tokens(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *s = create(f, RFD_ROLE_TECHNICIAN, "t", NULL);
        struct rfd_principal p = { 0 };
        char buf[128];

        assert_int_equal(rfd_auth_check_token(f->auth, NULL, &p), -EACCES);
        assert_int_equal(rfd_auth_check_token(f->auth, "", &p), -EACCES);
        assert_int_equal(rfd_auth_check_token(f->auth, "rfb1_", &p), -EACCES);
        snprintf(buf, sizeof(buf), "%sA", s); /* too long */
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        snprintf(buf, sizeof(buf), "%s ", s);
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        snprintf(buf, sizeof(buf), "%.47s", s); /* too short */
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        snprintf(buf, sizeof(buf), "rfb2_%s", s + 5); /* wrong prefix */
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        snprintf(buf, sizeof(buf), "RFB1_%s", s + 5);
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        const char not_b64url[] = { '+', '/', '=', ' ', '.', '\x80' };
        for (size_t i = 0; i < ELEMENTSOF(not_b64url); i++) {
                snprintf(buf, sizeof(buf), "%s", s);
                buf[20] = not_b64url[i];
                assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        }
        /* Embedded NUL: what follows it is not part of the text. */
        memcpy(buf, s, 49);
        buf[30] = '\0';
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        /* Non-canonical last character (its low bits encode nothing). */
        snprintf(buf, sizeof(buf), "%s", s);
        buf[47] = buf[47] == 'B' ? 'C' : 'B';
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        /* Well formed, unknown. */
        snprintf(buf, sizeof(buf), "%s", s);
        buf[10] = buf[10] == 'x' ? 'y' : 'x';
        assert_int_equal(rfd_auth_check_token(f->auth, buf, &p), -EACCES);
        assert_false(p.authenticated);
        assert_int_equal(rfd_auth_check_token(f->auth, s, &p), 0);
}

static struct evhttp_request *request(const char *const *headers) {
        struct evhttp_request *req = evhttp_request_new(NULL, NULL);
        assert_non_null(req);
        for (size_t i = 0; headers && headers[i]; i += 2)
                assert_int_equal(evhttp_add_header(evhttp_request_get_input_headers(req), headers[i], headers[i + 1]),
                                 0);
        return req;
}

static int auth_with(struct fixture *f, const char *const *headers, struct rfd_principal *p) {
        struct evhttp_request *req = request(headers);
        int r = rfd_auth_request(f->auth, req, p);
        evhttp_request_free(req);
        return r;
}

static void test_sessions(void **state) {
        struct fixture *f = *state;
        int64_t id1 = 0, id2 = 0;
        _cleanup_free_ char *s1 = create(f, RFD_ROLE_SUPERVISOR, "sup", &id1);
        _cleanup_free_ char *s2 = create(f, RFD_ROLE_TECHNICIAN, "tech", &id2);
        struct rfd_principal p1 = { 0 }, p2 = { 0 }, p = { 0 };
        assert_int_equal(rfd_auth_check_token(f->auth, s1, &p1), 0);
        assert_int_equal(rfd_auth_check_token(f->auth, s2, &p2), 0);

        char a[44], b[44], c[44];
        time_t exp = 0;
        assert_int_equal(rfd_auth_session_open(f->auth, &p1, a, &exp), 0);
        assert_int_equal(exp, T0 + 3600);
        assert_true(rfd_auth_b64_valid(a, strlen(a)));
        assert_int_equal(rfd_auth_session_open(f->auth, &p1, b, NULL), 0);
        assert_int_equal(rfd_auth_session_open(f->auth, &p2, c, NULL), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(rfd_auth_session_check(f->auth, a, &p), 0);
        assert_true(p.authenticated && p.by_cookie);
        assert_int_equal(p.role, RFD_ROLE_SUPERVISOR);
        assert_int_equal(p.token_id, id1);
        assert_string_equal(p.name, "sup");

        /* Expiry: good until the last second. */
        f->now = T0 + 3599;
        assert_int_equal(rfd_auth_session_check(f->auth, a, &p), 0);
        f->now = T0 + 3600;
        assert_int_equal(rfd_auth_session_check(f->auth, a, &p), -EACCES);
        assert_int_equal(f->auth->n_sessions, 2);
        f->now = T0 + 10;
        assert_int_equal(rfd_auth_session_check(f->auth, a, &p), -EACCES); /* forgotten */

        /* Close, revoke. */
        rfd_auth_session_close(f->auth, b);
        assert_int_equal(rfd_auth_session_check(f->auth, b, &p), -EACCES);
        assert_int_equal(rfd_auth_session_open(f->auth, &p1, a, NULL), 0);
        assert_int_equal(rfd_auth_session_open(f->auth, &p1, b, NULL), 0);
        assert_int_equal(rfd_auth_token_revoke(f->auth, id1, NULL), 0);
        assert_int_equal(rfd_auth_session_check(f->auth, a, &p), -EACCES);
        assert_int_equal(rfd_auth_session_check(f->auth, b, &p), -EACCES);
        assert_int_equal(rfd_auth_session_check(f->auth, c, &p), 0);
        assert_int_equal(f->auth->n_sessions, 1);
        assert_int_equal(rfd_auth_session_open(f->auth, &p1, a, NULL), -EACCES);

        struct rfd_principal root = { .unix_socket = true, .authenticated = true, .role = RFD_ROLE_ROOT };
        assert_int_equal(rfd_auth_session_open(f->auth, &root, a, NULL), -EINVAL);
        const char *bad[] = {
                NULL,
                "",
                "abc",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", /* 44 */
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  /* not canonical */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(rfd_auth_session_check(f->auth, bad[i], &p), -EACCES);
}

static void test_sessions_cap(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *s = create(f, RFD_ROLE_TECHNICIAN, "t", NULL);
        struct rfd_principal p = { 0 };
        char first[44], second[44], sid[44];
        assert_int_equal(rfd_auth_check_token(f->auth, s, &p), 0);
        assert_int_equal(rfd_auth_session_open(f->auth, &p, first, NULL), 0);
        assert_int_equal(rfd_auth_session_open(f->auth, &p, second, NULL), 0);
        for (int i = 2; i < RFD_AUTH_SESSIONS_MAX; i++)
                assert_int_equal(rfd_auth_session_open(f->auth, &p, sid, NULL), 0);
        assert_int_equal(f->auth->n_sessions, RFD_AUTH_SESSIONS_MAX);
        assert_int_equal(rfd_auth_session_check(f->auth, first, &p), 0);
        assert_int_equal(rfd_auth_session_open(f->auth, &p, sid, NULL), 0);
        assert_int_equal(f->auth->n_sessions, RFD_AUTH_SESSIONS_MAX);
        assert_int_equal(rfd_auth_session_check(f->auth, first, &p), -EACCES); /* the oldest went */
        assert_int_equal(rfd_auth_session_check(f->auth, second, &p), 0);
        assert_int_equal(rfd_auth_session_check(f->auth, sid, &p), 0);
        /* When full of expired sessions, they go first. */
        f->now = T0 + 7200;
        assert_int_equal(rfd_auth_session_open(f->auth, &p, sid, NULL), 0);
        assert_int_equal(f->auth->n_sessions, 1);
}

#define SID_A "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
#define SID_B "Zbcdefghijklmnopqrstuvwxyz0123456789-_ABCDE"

static void assert_cookie(const char *const *headers, const char *expect) {
        char sid[44] = "";
        struct evhttp_request *req = request(headers);
        bool found = rfd_auth_cookie_sid(req, sid);
        evhttp_request_free(req);
        assert_int_equal(found, expect != NULL);
        if (expect)
                assert_string_equal(sid, expect);
}

static void test_cookies(void **state) {
        (void) state;
        _cleanup_free_ char *big = malloc(10000);
        assert_non_null(big);
        big[0] = '\0';
        while (strlen(big) < 8200)
                strcat(big, "a=b; ");
        strcat(big, "refurb_session=" SID_A);

        assert_cookie((const char *[]) { "Cookie", "refurb_session=" SID_A, NULL }, SID_A);
        assert_cookie((const char *[]) { "Cookie", "a=1; refurb_lang=en; refurb_session=" SID_A "; b=2", NULL }, SID_A);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=\"" SID_A "\"", NULL }, SID_A);
        assert_cookie((const char *[]) { "cookie", "  refurb_session = " SID_A " ;x=y", NULL }, SID_A);
        assert_cookie((const char *[]) { "Cookie", "junk; refurb_session=" SID_A ";;", NULL }, SID_A);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=" SID_A "; refurb_session=" SID_A, NULL }, SID_A);
        static const char cookie_b[] = "refurb_session=" SID_B;
        assert_cookie((const char *[]) { "Cookie", "a=b", "Cookie", cookie_b, NULL }, SID_B);
        /* Absent, ambiguous or malformed. */
        assert_cookie(NULL, NULL);
        assert_cookie((const char *[]) { "Cookie", "a=b; c=d", NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "Refurb_Session=" SID_A, NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "xrefurb_session=" SID_A, NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=" SID_A "; refurb_session=" SID_B, NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=" SID_A, "Cookie", "refurb_session=" SID_B, NULL },
                      NULL);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=short", NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=" SID_A "x", NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=\"" SID_A, NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=" SID_A "\x01", NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", "refurb_session=" SID_A " x", NULL }, NULL);
        assert_cookie((const char *[]) { "Cookie", big, NULL }, NULL);
}

static void test_request(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *s = create(f, RFD_ROLE_DSI, "dsi", NULL);
        _cleanup_free_ char *bearer = NULL, *lower = NULL, *cookie = NULL, *other = NULL;
        struct rfd_principal p = { 0 };
        char sid[44];
        assert_true(asprintf(&bearer, "Bearer %s", s) > 0);
        assert_true(asprintf(&lower, "bearer   %s", s) > 0);
        assert_int_equal(rfd_auth_check_token(f->auth, s, &p), 0);
        assert_int_equal(rfd_auth_session_open(f->auth, &p, sid, NULL), 0);
        assert_true(asprintf(&cookie, "refurb_lang=fr; refurb_session=%s", sid) > 0);
        assert_true(asprintf(&other, "refurb_session=%s", SID_A) > 0);

        assert_int_equal(auth_with(f, NULL, &p), -ENOENT);
        assert_string_equal(p.peer, "?");
        assert_false(p.authenticated);
        assert_int_equal(auth_with(f, (const char *[]) { "Authorization", bearer, NULL }, &p), 0);
        assert_true(p.authenticated && !p.by_cookie);
        assert_int_equal(p.role, RFD_ROLE_DSI);
        assert_int_equal(auth_with(f, (const char *[]) { "authorization", lower, NULL }, &p), 0);
        assert_int_equal(auth_with(f, (const char *[]) { "Authorization", "Basic dXNlcjpwdw==", NULL }, &p), -EACCES);
        assert_int_equal(auth_with(f, (const char *[]) { "Authorization", "Bearer", NULL }, &p), -EACCES);
        assert_int_equal(auth_with(f, (const char *[]) { "Authorization", "Bearer rfb1_x", NULL }, &p), -EACCES);
        assert_int_equal(auth_with(f, (const char *[]) { "Authorization", bearer, "Authorization", bearer, NULL }, &p),
                         -EACCES);
        assert_int_equal(auth_with(f, (const char *[]) { "Cookie", cookie, NULL }, &p), 0);
        assert_true(p.authenticated && p.by_cookie);
        assert_int_equal(p.role, RFD_ROLE_DSI);
        assert_int_equal(auth_with(f, (const char *[]) { "Cookie", other, NULL }, &p), -EACCES);
        assert_int_equal(auth_with(f, (const char *[]) { "Cookie", "refurb_session=bad", NULL }, &p), -EACCES);
        assert_int_equal(auth_with(f, (const char *[]) { "Cookie", "refurb_lang=en", NULL }, &p), -ENOENT);
        /* The bearer token first; a bad one is not saved by a good cookie. */
        assert_int_equal(auth_with(f, (const char *[]) { "Authorization", bearer, "Cookie", other, NULL }, &p), 0);
        assert_false(p.by_cookie);
        assert_int_equal(
                auth_with(f, (const char *[]) { "Authorization", "Bearer rfb1_x", "Cookie", cookie, NULL }, &p),
                -EACCES);
}

/* ---- the policy: docs/network-api.md, row by row ---- */

static unsigned policy(enum evhttp_cmd_type method, const char *path) {
        char copy[256], *seg[8], *save = NULL;
        size_t n = 0;
        snprintf(copy, sizeof(copy), "%s", path);
        for (char *t = strtok_r(copy, "/", &save); t && n < ELEMENTSOF(seg); t = strtok_r(NULL, "/", &save))
                seg[n++] = t;
        return rfd_auth_policy(method, seg, n);
}

#define T RFD_ROLE_BIT(RFD_ROLE_TECHNICIAN)
#define S RFD_ROLE_BIT(RFD_ROLE_SUPERVISOR)
#define D RFD_ROLE_BIT(RFD_ROLE_DSI)
#define A RFD_ROLE_BIT(RFD_ROLE_AGENT)
#define GET EVHTTP_REQ_GET
#define POST EVHTTP_REQ_POST
#define PUT EVHTTP_REQ_PUT
#define DEL EVHTTP_REQ_DELETE

struct policy_case {
        enum evhttp_cmd_type method;
        char path[40];
        unsigned allowed; /* of T, S, D, A */
};

static const struct policy_case policy_cases[] = {
        /* GET /v1/status, GET /v1/bench/certificate: all */
        { GET, "/v1/status", T | S | D | A },
        { GET, "/v1/bench/certificate", T | S | D | A },
        /* GET /v1/session, DELETE /v1/session: all (signed in) */
        { GET, "/v1/session", T | S | D | A },
        { DEL, "/v1/session", T | S | D | A },
        /* POST /v1/session: none needed */
        { POST, "/v1/session", T | S | D | A },
        /* GET bays, devices, devices/{d}, jobs, jobs/{id}: technician, supervisor */
        { GET, "/v1/bays", T | S },
        { GET, "/v1/devices", T | S },
        { GET, "/v1/devices/sdb", T | S },
        { GET, "/v1/jobs", T | S },
        { GET, "/v1/jobs/12", T | S },
        /* GET /v1/events: technician, supervisor, dsi */
        { GET, "/v1/events", T | S | D },
        /* POST erase, POST cancel: technician */
        { POST, "/v1/devices/sdb/erase", T },
        { POST, "/v1/jobs/12/cancel", T },
        /* POST /v1/assets, GET /v1/assets/{tag}, POST /v1/assets/{tag}/link: technician, supervisor */
        { POST, "/v1/assets", T | S },
        { GET, "/v1/assets/PC-0042", T | S },
        { POST, "/v1/assets/PC-0042/link", T | S },
        /* GET /v1/assets, POST /v1/assets/{tag}/certificate: supervisor */
        { GET, "/v1/assets", S },
        { POST, "/v1/assets/PC-0042/certificate", S },
        /* donors, certificates, reports, exports, ledger: supervisor */
        { GET, "/v1/donors", S },
        { POST, "/v1/donors", S },
        { GET, "/v1/donors/DON-1", S },
        { GET, "/v1/certificates", S },
        { GET, "/v1/certificates/abcd/pdf", S },
        { POST, "/v1/certificates/abcd/validation", S },
        { GET, "/v1/reports/donation/DON-1", S },
        { GET, "/v1/reports/donation/DON-1/pdf", S },
        { GET, "/v1/exports/assets.csv", S },
        { GET, "/v1/ledger", S },
        { POST, "/v1/ledger/head", S },
        { GET, "/v1/ledger/check", S },
        /* profiles: dsi */
        { GET, "/v1/profiles", D },
        { POST, "/v1/profiles", D },
        { GET, "/v1/profiles/classe", D },
        { PUT, "/v1/profiles/defaults", D },
        /* tokens: the Unix socket only */
        { GET, "/v1/tokens", 0 },
        { POST, "/v1/tokens", 0 },
        { POST, "/v1/tokens/3/revoke", 0 },
        /* anything else: nobody has it, everyone gets the 404 */
        { GET, "/v1/nothing", T | S | D | A },
        { GET, "/v2/status", T | S | D | A },
        { GET, "/v1", T | S | D | A },
};

static void test_policy(void **state) {
        (void) state;
        static const enum rfd_role roles[] = { RFD_ROLE_TECHNICIAN, RFD_ROLE_SUPERVISOR, RFD_ROLE_DSI,
                                               RFD_ROLE_AGENT };
        for (size_t i = 0; i < ELEMENTSOF(policy_cases); i++) {
                const struct policy_case *c = &policy_cases[i];
                unsigned mask = policy(c->method, c->path);
                for (size_t r = 0; r < ELEMENTSOF(roles); r++) {
                        bool want = c->allowed & RFD_ROLE_BIT(roles[r]), have = mask & RFD_ROLE_BIT(roles[r]);
                        if (want != have)
                                fail_msg("%s %s, role %s: %s expected", c->method == GET ? "GET" : "other", c->path,
                                         rfd_role_to_string(roles[r]), want ? "allowed" : "refused");
                }
        }
        /* HEAD is GET; other methods on known resources stay with their roles. */
        assert_int_equal(policy(EVHTTP_REQ_HEAD, "/v1/bays"), T | S);
        assert_int_equal(policy(DEL, "/v1/bays"), T | S);
        assert_int_equal(policy(GET, "/v1/devices/sdb/erase"), T | S);
        assert_int_equal(policy(PUT, "/v1/assets/PC-1"), S);
        assert_int_equal(policy(DEL, "/v1/profiles/x"), D);
        assert_int_equal(policy(DEL, "/v1/tokens/3"), 0);
        assert_int_equal(rfd_auth_policy(GET, NULL, 0), RFD_ROLES_ALL);
}

static void test_roles(void **state) {
        (void) state;
        enum rfd_role r = RFD_ROLE_ROOT;
        for (enum rfd_role i = 0; i < _RFD_ROLE_MAX; i++) {
                assert_int_equal(rfd_role_from_string(rfd_role_to_string(i), &r), 0);
                assert_int_equal(r, i);
                assert_non_null(rfd_role_label_fr(i));
        }
        assert_string_equal(rfd_role_to_string(RFD_ROLE_ROOT), "root");
        assert_string_equal(rfd_role_label_fr(RFD_ROLE_SUPERVISOR), "superviseur");
        assert_int_equal(rfd_role_from_string("root", &r), -EINVAL);
        assert_int_equal(rfd_role_from_string("Technician", &r), -EINVAL);
        assert_int_equal(rfd_role_from_string(NULL, &r), -EINVAL);
        assert_null(rfd_role_to_string((enum rfd_role) 42));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
                cmocka_unit_test_setup_teardown(test_last_used, setup, teardown),
                cmocka_unit_test_setup_teardown(test_token_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_tokens, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sessions_cap, setup, teardown),
                cmocka_unit_test(test_cookies),
                cmocka_unit_test_setup_teardown(test_request, setup, teardown),
                cmocka_unit_test(test_policy),
                cmocka_unit_test(test_roles),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
