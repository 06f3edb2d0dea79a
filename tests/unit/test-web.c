/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-web.h"
#include "test-tmpdir.h"

/* The web pages behind a real evhttp on 127.0.0.1, asked by a plain socket
 * in the same thread (the loop is run while the answer comes). */

struct fixture {
        char dir[64];
        struct event_base *base;
        struct evhttp *http;
        struct rfd_web *web;
        int port;
        const struct rfd_principal *who;
        struct rfd_principal p;
};

struct answer {
        int status;
        char headers[4096];
        char *body;
        size_t body_len;
};

static void answer_done(struct answer *a) {
        free(a->body);
}

static void gencb(struct evhttp_request *req, void *arg) {
        struct fixture *f = arg;
        const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
        if (!rfd_web_serve(f->web, req, path, f->who))
                evhttp_send_reply(req, 418, "Not mine", NULL); /* the caller's 404 */
}

/* No fsync (rf_write_file_atomic): it is slow on a busy machine. */
static void write_file(const struct fixture *f, const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;
        assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(test_mkdtemp(f->dir, sizeof(f->dir), "test-web"), 0);
        _cleanup_free_ char *st = NULL;
        assert_true(asprintf(&st, "%s/static", f->dir) > 0);
        assert_int_equal(mkdir(st, 0755), 0);
        write_file(f, "connexion.html", "<!DOCTYPE html><title>connexion</title>\n");
        write_file(f, "banc.html", "<!DOCTYPE html><title>banc</title>\n");
        write_file(f, "certificats.html", "<!DOCTYPE html><title>certificats</title>\n");
        write_file(f, "x.js", "secret outside static\n");
        write_file(f, "static/app.js", "export const x = 1;\n");
        write_file(f, "static/style.css", "body { color: black; }\n");
        write_file(f, "static/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
        write_file(f, "static/i.png", "\x89PNG");
        write_file(f, "static/fr.json", "{}");
        write_file(f, "static/f.woff2", "wOF2");
        write_file(f, "static/.hidden.js", "hidden\n");
        write_file(f, "static/app.exe", "MZ\n");

        f->base = event_base_new();
        f->http = evhttp_new(f->base);
        assert_non_null(f->base);
        assert_non_null(f->http);
        evhttp_set_allowed_methods(f->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                                    EVHTTP_REQ_DELETE);
        evhttp_set_gencb(f->http, gencb, f);
        struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0);
        assert_non_null(bs);
        struct sockaddr_in sin;
        socklen_t len = sizeof(sin);
        assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *) &sin, &len), 0);
        f->port = ntohs(sin.sin_port);
        assert_int_equal(rfd_web_new(f->dir, &f->web), 0);
        f->p = (struct rfd_principal) { .authenticated = true, .role = RFD_ROLE_TECHNICIAN, .token_id = 3 };
        snprintf(f->p.name, sizeof(f->p.name), "<b>écran</b> \"atelier\"");
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        rfd_web_free(f->web);
        evhttp_free(f->http);
        event_base_free(f->base);
        test_rm_rf(f->dir);
        free(f);
        return 0;
}

/* Send the raw request (it must close the connection) and collect the answer. */
static void ask_raw(struct fixture *f, const char *request, struct answer *a) {
        *a = (struct answer) { 0 };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                fail_msg("socket: %m");
                return;
        }
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t) f->port) };
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
        assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t) strlen(request));

        size_t cap = 6 * 1024 * 1024, len = 0;
        char *buf = malloc(cap + 1);
        assert_non_null(buf);
        for (int spins = 0; spins < 5000; spins++) {
                event_base_loop(f->base, EVLOOP_NONBLOCK);
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                if (poll(&pfd, 1, 2) <= 0)
                        continue;
                ssize_t n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN))
                        break;
                if (n > 0)
                        len += (size_t) n;
                assert_true(len < cap);
        }
        close(fd);
        buf[len] = '\0';

        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
                fail_msg("no complete answer to %s: '%s'", request, buf);
        size_t hlen = (size_t) (end - buf);
        assert_true(hlen < sizeof(a->headers));
        memcpy(a->headers, buf, hlen);
        a->headers[hlen] = '\0';
        assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &a->status), 1);
        a->body_len = len - hlen - 4;
        a->body = rf_memdup_str(end + 4, a->body_len);
        free(buf);
}

static void ask(struct fixture *f, const char *method, const char *path, const char *extra, struct answer *a) {
        _cleanup_free_ char *req = NULL;
        assert_true(asprintf(&req, "%s %s HTTP/1.1\r\nHost: banc\r\nConnection: close\r\n%s\r\n", method, path,
                             extra ? extra : "") > 0);
        ask_raw(f, req, a);
}

/* The value of a header of the answer (case-insensitive name), or NULL. */
static const char *header(const struct answer *a, const char *name, char *out, size_t outlen) {
        const char *l = a->headers;
        size_t n = strlen(name);
        while ((l = strstr(l, "\r\n"))) {
                l += 2;
                if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
                        const char *v = l + n + 1;
                        while (*v == ' ')
                                v++;
                        size_t vlen = strcspn(v, "\r");
                        assert_true(vlen < outlen);
                        memcpy(out, v, vlen);
                        out[vlen] = '\0';
                        return out;
                }
        }
        return NULL;
}

static void assert_header(const struct answer *a, const char *name, const char *value) {
        char v[512];
        if (!header(a, name, v, sizeof(v)))
                fail_msg("no header %s in:\n%s", name, a->headers);
        assert_string_equal(v, value);
}

static void expect(struct fixture *f, const char *method, const char *path, const char *extra, int status) {
        struct answer a;
        ask(f, method, path, extra, &a);
        if (a.status != status)
                fail_msg("%s %s: %d, expected %d\n%s\n%s", method, path, a.status, status, a.headers,
                         a.body ? a.body : "");
        answer_done(&a);
}

static void test_no_session(void **state) {
        struct fixture *f = *state;
        f->who = NULL;
        static const char *const pages[] = { "/banc", "/certificats", "/profils" };
        for (size_t i = 0; i < ELEMENTSOF(pages); i++) {
                struct answer a;
                ask(f, "GET", pages[i], NULL, &a);
                assert_int_equal(a.status, 303);
                char want[64];
                snprintf(want, sizeof(want), "/connexion?suite=%s", pages[i]);
                assert_header(&a, "Location", want);
                assert_header(&a, "Cache-Control", "no-store");
                answer_done(&a);
        }
        struct answer a;
        ask(f, "GET", "/", NULL, &a);
        assert_int_equal(a.status, 303);
        assert_header(&a, "Location", "/connexion");
        answer_done(&a);

        /* A principal that is not authenticated is no session either. */
        struct rfd_principal anon = { .authenticated = false, .role = RFD_ROLE_SUPERVISOR };
        f->who = &anon;
        expect(f, "GET", "/certificats", NULL, 303);

        /* The sign-in page and the static files need no session. */
        f->who = NULL;
        ask(f, "GET", "/connexion", NULL, &a);
        assert_int_equal(a.status, 200);
        assert_string_equal(a.body, "<!DOCTYPE html><title>connexion</title>\n");
        answer_done(&a);
        expect(f, "GET", "/static/app.js", NULL, 200);
}

static void test_home_per_role(void **state) {
        struct fixture *f = *state;
        static const struct {
                enum rfd_role role;
                const char *home;
        } cases[] = {
                { RFD_ROLE_TECHNICIAN, "/banc" },
                { RFD_ROLE_SUPERVISOR, "/certificats" },
                { RFD_ROLE_DSI, "/profils" },
        };
        f->who = &f->p;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                f->p.role = cases[i].role;
                struct answer a;
                ask(f, "GET", "/", NULL, &a);
                assert_int_equal(a.status, 303);
                assert_header(&a, "Location", cases[i].home);
                answer_done(&a);
        }
        /* An agent has no page. */
        f->p.role = RFD_ROLE_AGENT;
        struct answer a;
        ask(f, "GET", "/", NULL, &a);
        assert_int_equal(a.status, 403);
        assert_header(&a, "Content-Type", "text/html; charset=utf-8");
        assert_non_null(strstr(a.body, "Aucune page web n'est prévue pour le rôle agent"));
        assert_null(strstr(a.body, "data-testid=\"home\""));
        answer_done(&a);
}

static void test_pages(void **state) {
        struct fixture *f = *state;
        f->who = &f->p;
        f->p.role = RFD_ROLE_TECHNICIAN;
        struct answer a;
        ask(f, "GET", "/banc", NULL, &a);
        assert_int_equal(a.status, 200);
        assert_string_equal(a.body, "<!DOCTYPE html><title>banc</title>\n");
        assert_header(&a, "Content-Type", "text/html; charset=utf-8");
        assert_header(&a, "Cache-Control", "no-cache");
        assert_header(&a, "Content-Security-Policy",
                      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                      "connect-src 'self'; frame-ancestors 'none'");
        assert_header(&a, "X-Content-Type-Options", "nosniff");
        char etag[128];
        assert_non_null(header(&a, "ETag", etag, sizeof(etag)));
        assert_true(etag[0] == '"' && etag[strlen(etag) - 1] == '"');
        answer_done(&a);

        f->p.role = RFD_ROLE_SUPERVISOR;
        expect(f, "GET", "/banc", NULL, 200); /* read-only, but allowed */
        expect(f, "GET", "/certificats", NULL, 200);
        expect(f, "GET", "/profils", NULL, 403);
        f->p.role = RFD_ROLE_DSI;
        expect(f, "GET", "/banc", NULL, 403);
        expect(f, "GET", "/certificats", NULL, 403);
        /* Allowed, but profils.html is not there. */
        ask(f, "GET", "/profils", NULL, &a);
        assert_int_equal(a.status, 404);
        assert_header(&a, "Content-Type", "application/json; charset=utf-8");
        assert_non_null(strstr(a.body, "\"code\":\"not-found\""));
        answer_done(&a);
        write_file(f, "profils.html", "<!DOCTYPE html><title>profils</title>\n");
        expect(f, "GET", "/profils", NULL, 200);
        f->p.role = RFD_ROLE_AGENT;
        expect(f, "GET", "/banc", NULL, 403);
        expect(f, "GET", "/connexion", NULL, 200);
}

static void test_forbidden_languages(void **state) {
        struct fixture *f = *state;
        f->who = &f->p;
        f->p.role = RFD_ROLE_TECHNICIAN;
        struct answer a;
        ask(f, "GET", "/certificats", NULL, &a);
        assert_int_equal(a.status, 403);
        assert_header(&a, "Content-Type", "text/html; charset=utf-8");
        assert_header(&a, "Cache-Control", "no-store");
        assert_non_null(strstr(a.body, "<html lang=\"fr\">"));
        assert_non_null(strstr(a.body, "Accès refusé"));
        assert_non_null(strstr(a.body, "Cette page est réservée aux superviseurs."));
        /* The token's name is escaped. */
        assert_non_null(strstr(a.body, "« &lt;b&gt;écran&lt;/b&gt; &quot;atelier&quot; » (rôle : technicien)"));
        assert_null(strstr(a.body, "<b>"));
        assert_non_null(strstr(a.body, "href=\"/banc\""));
        answer_done(&a);

        ask(f, "GET", "/profils", "Accept-Language: en-GB,en;q=0.8\r\n", &a);
        assert_int_equal(a.status, 403);
        assert_non_null(strstr(a.body, "<html lang=\"en\">"));
        assert_non_null(strstr(a.body, "This page is for the IT department (DSI)."));
        assert_non_null(strstr(a.body, "(role: technician)"));
        answer_done(&a);

        ask(f, "GET", "/profils", "Cookie: refurb_session=abc; refurb_lang=en\r\n", &a);
        assert_non_null(strstr(a.body, "Access denied"));
        answer_done(&a);
        /* The switch wins over the browser's language. */
        ask(f, "GET", "/profils", "Cookie: refurb_lang=fr\r\nAccept-Language: en\r\n", &a);
        assert_non_null(strstr(a.body, "Accès refusé"));
        answer_done(&a);
        ask(f, "GET", "/profils", "Cookie: xrefurb_lang=en\r\n", &a);
        assert_non_null(strstr(a.body, "Accès refusé"));
        answer_done(&a);
}

static void test_static(void **state) {
        struct fixture *f = *state;
        f->who = NULL;
        static const struct {
                const char *path;
                const char *type;
        } ok[] = {
                { "/static/app.js", "text/javascript; charset=utf-8" },
                { "/static/style.css", "text/css; charset=utf-8" },
                { "/static/logo.svg", "image/svg+xml" },
                { "/static/i.png", "image/png" },
                { "/static/fr.json", "application/json; charset=utf-8" },
                { "/static/f.woff2", "font/woff2" },
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                struct answer a;
                ask(f, "GET", ok[i].path, NULL, &a);
                assert_int_equal(a.status, 200);
                assert_header(&a, "Content-Type", ok[i].type);
                assert_header(&a, "Cache-Control", "no-cache");
                answer_done(&a);
        }
        struct answer a;
        ask(f, "GET", "/static/app.js", NULL, &a);
        assert_string_equal(a.body, "export const x = 1;\n");
        answer_done(&a);

        /* HEAD: the headers of GET, no body. */
        ask(f, "HEAD", "/static/app.js", NULL, &a);
        assert_int_equal(a.status, 200);
        assert_header(&a, "Content-Length", "20");
        assert_int_equal(a.body_len, 0);
        answer_done(&a);
        f->who = &f->p;
        f->p.role = RFD_ROLE_TECHNICIAN;
        ask(f, "HEAD", "/banc", NULL, &a);
        assert_int_equal(a.status, 200);
        assert_int_equal(a.body_len, 0);
        answer_done(&a);

        /* Other methods: 405 in JSON. */
        ask(f, "POST", "/static/app.js", "Content-Length: 0\r\n", &a);
        assert_int_equal(a.status, 405);
        assert_header(&a, "Allow", "GET, HEAD");
        assert_non_null(strstr(a.body, "\"code\":\"method-not-allowed\""));
        answer_done(&a);
        expect(f, "DELETE", "/banc", NULL, 405);
        expect(f, "PUT", "/", "Content-Length: 0\r\n", 405);
}

static void test_etag(void **state) {
        struct fixture *f = *state;
        f->who = NULL;
        struct answer a;
        char etag[128], line[300];
        ask(f, "GET", "/static/style.css", NULL, &a);
        assert_non_null(header(&a, "ETag", etag, sizeof(etag)));
        answer_done(&a);

        snprintf(line, sizeof(line), "If-None-Match: %s\r\n", etag);
        ask(f, "GET", "/static/style.css", line, &a);
        assert_int_equal(a.status, 304);
        assert_int_equal(a.body_len, 0);
        assert_header(&a, "ETag", etag);
        assert_header(&a, "Cache-Control", "no-cache");
        answer_done(&a);
        snprintf(line, sizeof(line), "If-None-Match: \"zz\", W/%s\r\n", etag);
        expect(f, "GET", "/static/style.css", line, 304);
        expect(f, "GET", "/static/style.css", "If-None-Match: *\r\n", 304);
        expect(f, "GET", "/static/style.css", "If-None-Match: \"zz\"\r\n", 200);
        expect(f, "GET", "/static/style.css", "If-None-Match: \r\n", 200);

        /* A changed file (size and mtime) has another tag. */
        write_file(f, "static/style.css", "body { color: red; }\n/* more */\n");
        ask(f, "GET", "/static/style.css", line, &a);
        assert_int_equal(a.status, 200);
        assert_string_equal(a.body, "body { color: red; }\n/* more */\n");
        char etag2[128];
        assert_non_null(header(&a, "ETag", etag2, sizeof(etag2)));
        assert_string_not_equal(etag, etag2);
        answer_done(&a);
}

static void test_refused_files(void **state) {
        struct fixture *f = *state;
        f->who = &f->p;
        f->p.role = RFD_ROLE_SUPERVISOR;
        _cleanup_free_ char *link = NULL, *dir = NULL, *fifo = NULL, *big = NULL, *target = NULL;
        assert_true(asprintf(&link, "%s/static/link.js", f->dir) > 0);
        assert_true(asprintf(&target, "%s/x.js", f->dir) > 0);
        assert_int_equal(symlink(target, link), 0);
        assert_true(asprintf(&dir, "%s/static/dir.js", f->dir) > 0);
        assert_int_equal(mkdir(dir, 0755), 0);
        assert_true(asprintf(&fifo, "%s/static/fifo.js", f->dir) > 0);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_true(asprintf(&big, "%s/static/big.js", f->dir) > 0);
        int fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 4 * 1024 * 1024 + 1), 0);
        close(fd);

        static const char *const not_found[] = {
                "/static/../x.js",   "/static/..%2fx.js", "/static/%2e%2e%2fx.js", "/static/.hidden.js",
                "/static/link.js",   "/static/dir.js",    "/static/fifo.js",       "/static/app.exe",
                "/static/App.js",    "/static/",          "/static/missing.js",    "/static/a/app.js",
                "/static/app.js.",   "/static/.js",       "/static/..js",          "/static/app%2ejs",
        };
        for (size_t i = 0; i < ELEMENTSOF(not_found); i++) {
                struct answer a;
                ask(f, "GET", not_found[i], NULL, &a);
                if (a.status != 404)
                        fail_msg("%s: %d, expected 404", not_found[i], a.status);
                assert_null(strstr(a.body, "secret"));
                answer_done(&a);
        }

        /* Over 4 MiB: not sent. */
        struct answer a;
        ask(f, "GET", "/static/big.js", NULL, &a);
        assert_int_equal(a.status, 500);
        assert_true(a.body_len < 1024);
        assert_non_null(strstr(a.body, "\"code\":\"internal\""));
        answer_done(&a);
        /* Exactly 4 MiB: sent whole. */
        assert_int_equal(truncate(big, 4 * 1024 * 1024), 0);
        ask(f, "GET", "/static/big.js", NULL, &a);
        assert_int_equal(a.status, 200);
        assert_int_equal(a.body_len, 4 * 1024 * 1024);
        answer_done(&a);

        /* A page that is a symbolic link is refused too. */
        _cleanup_free_ char *page = NULL;
        assert_true(asprintf(&page, "%s/certificats.html", f->dir) > 0);
        assert_int_equal(unlink(page), 0);
        assert_int_equal(symlink(target, page), 0);
        ask(f, "GET", "/certificats", NULL, &a);
        assert_int_equal(a.status, 404);
        assert_null(strstr(a.body, "secret"));
        answer_done(&a);

        /* static/ itself a symbolic link: nothing served from it. */
        _cleanup_free_ char *st = NULL, *st2 = NULL;
        assert_true(asprintf(&st, "%s/static", f->dir) > 0);
        assert_true(asprintf(&st2, "%s/static-real", f->dir) > 0);
        assert_int_equal(rename(st, st2), 0);
        assert_int_equal(symlink(st2, st), 0);
        expect(f, "GET", "/static/app.js", NULL, 404);
}

static void test_other_paths(void **state) {
        struct fixture *f = *state;
        f->who = &f->p;
        f->p.role = RFD_ROLE_TECHNICIAN;
        static const char *const others[] = { "/banc/", "/banc.html", "/connexion.html", "/static", "/v1/status",
                                              "//banc", "/BANC", "/statique/app.js" };
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                expect(f, "GET", others[i], NULL, 418);
        /* The query does not matter. */
        expect(f, "GET", "/banc?x=1", NULL, 200);
}

static void test_new_errors(void **state) {
        (void) state;
        struct rfd_web *w = NULL;
        assert_int_equal(rfd_web_new("/nonexistent/refurb-web", &w), -ENOENT);
        assert_int_equal(rfd_web_new("/etc/hostname", &w), -ENOTDIR);
        assert_int_equal(rfd_web_new(NULL, &w), -EINVAL);
        assert_null(w);
        rfd_web_free(NULL);
        assert_false(rfd_web_serve(NULL, NULL, "/", NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_no_session, setup, teardown),
                cmocka_unit_test_setup_teardown(test_home_per_role, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forbidden_languages, setup, teardown),
                cmocka_unit_test_setup_teardown(test_static, setup, teardown),
                cmocka_unit_test_setup_teardown(test_etag, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refused_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_other_paths, setup, teardown),
                cmocka_unit_test(test_new_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
