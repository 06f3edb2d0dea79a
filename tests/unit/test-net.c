/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Listen= addresses and the TCP listeners (rfd-net.c), TLS and plain,
 * asked by OpenSSL clients in a thread. The certificate is in test-net-tls.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-config.h"
#include "rfd-net.h"
#include "rfd-tls.h"
#include "test-tmpdir.h"

static int setup(void **state) {
        return test_dir_setup(state, "test-net");
}

static int teardown(void **state) {
        return test_dir_teardown(state);
}

/* Addresses */

static void test_address_parse(void **state) {
        (void) state;
        static const struct {
                const char *text;
                int family;
                const char *host;
                unsigned port;
                bool loopback, wildcard;
        } ok[] = {
                { "0.0.0.0:8443", AF_INET, "0.0.0.0", 8443, false, true },
                { "127.0.0.1:8080", AF_INET, "127.0.0.1", 8080, true, false },
                { "127.255.1.2:1", AF_INET, "127.255.1.2", 1, true, false },
                { "128.0.0.1:80", AF_INET, "128.0.0.1", 80, false, false },
                { "192.168.1.10:65535", AF_INET, "192.168.1.10", 65535, false, false },
                { "10.0.0.1:0", AF_INET, "10.0.0.1", 0, false, false },
                { "[::]:8443", AF_INET6, "::", 8443, false, true },
                { "[::1]:8443", AF_INET6, "::1", 8443, true, false },
                { "[fe80::1:2]:443", AF_INET6, "fe80::1:2", 443, false, false },
                { "[2001:db8::7]:08443", AF_INET6, "2001:db8::7", 8443, false, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                struct sockaddr_storage ss;
                socklen_t len = 0;
                char host[INET6_ADDRSTRLEN];
                if (rfd_listen_address_parse(ok[i].text, &ss, &len) != 0)
                        fail_msg("'%s' refused", ok[i].text);
                assert_int_equal(ss.ss_family, ok[i].family);
                if (ok[i].family == AF_INET) {
                        const struct sockaddr_in *sin = (const struct sockaddr_in *) &ss;
                        assert_int_equal(len, sizeof(*sin));
                        assert_int_equal(ntohs(sin->sin_port), ok[i].port);
                        assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)));
                } else {
                        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) &ss;
                        assert_int_equal(len, sizeof(*sin6));
                        assert_int_equal(ntohs(sin6->sin6_port), ok[i].port);
                        assert_non_null(inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)));
                }
                assert_string_equal(host, ok[i].host);
                assert_int_equal(rfd_listen_address_is_loopback(&ss), ok[i].loopback);
                assert_int_equal(rfd_listen_address_is_wildcard(&ss), ok[i].wildcard);
        }

        static const char *const bad[] = {
                "",
                "8443",
                ":8443",
                "0.0.0.0",
                "0.0.0.0:",
                "0.0.0.0:65536",
                "0.0.0.0:123456",
                "0.0.0.0:-1",
                "0.0.0.0:+80",
                "0.0.0.0: 80",
                "0.0.0.0:80 ",
                "0.0.0.0:0x50",
                "localhost:8443",
                "bench.example:8443",
                "1.2.3:80",
                "1.2.3.4.5:80",
                "256.1.1.1:80",
                "::1:8443",
                "[::1]",
                "[::1]8443",
                "[::1]:",
                "[::1:8443",
                "::1]:8443",
                "[]:80",
                "[127.0.0.1]:80",
                "[::ffff:127.0.0.1]:80",
                "[fe80::1%eth0]:80",
                "[::1]:80:80",
                "1.2.3.4:80:80",
                "[aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa:aaaa]:80",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct sockaddr_storage ss;
                socklen_t len = 0;
                if (rfd_listen_address_parse(bad[i], &ss, &len) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
        }
        assert_int_equal(rfd_listen_address_parse(NULL, NULL, NULL), -EINVAL);
}

/* Listeners */

DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)

static X509 *read_cert(const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        assert_int_equal(rf_read_file(path, 1024 * 1024, &text, &len), 0);
        BIO *b = BIO_new_mem_buf(text, (int) len);
        assert_non_null(b);
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        BIO_free(b);
        assert_non_null(x);
        return x;
}

static void cert_sha256(X509 *x, char out[static 65]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
        assert_int_equal(n, 32);
        rf_hex_encode(md, n, out);
}


struct server {
        struct rfd_net *net;
        int requests;
        size_t last_body;
};

static void server_cb(struct evhttp_request *req, void *arg) {
        struct server *s = arg;
        s->requests++;
        s->last_body = evbuffer_get_length(evhttp_request_get_input_buffer(req));
        struct evbuffer *b = evbuffer_new();
        assert_non_null(b);
        evbuffer_add_printf(b, "tls=%d body=%zu", rfd_net_request_is_tls(s->net, req), s->last_body);
        evhttp_send_reply(req, 200, "OK", b);
        evbuffer_free(b);
}

struct client {
        int family;
        unsigned port;
        bool tls;
        const char *ca_file;     /* verify the server against it */
        const char *verify_ip;   /* the address the certificate must name */
        int max_version;         /* 0: default */
        const char *request;
        size_t request_len;
        /* results */
        bool connected, handshake;
        long verify_result;
        char version[16];
        char response[4096];
        size_t response_len;
        atomic_bool done;
};

static int client_connect(struct client *c) {
        int fd = socket(c->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        struct timeval tv = { .tv_sec = 5 };
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        if (c->family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons((uint16_t) c->port);
                sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons((uint16_t) c->port);
                sin6->sin6_addr = in6addr_loopback;
                len = sizeof(*sin6);
        }
        if (connect(fd, (struct sockaddr *) &ss, len) < 0) {
                close(fd);
                return -1;
        }
        c->connected = true;
        return fd;
}

static void client_exchange(struct client *c, SSL *ssl) {
        if (SSL_connect(ssl) != 1)
                return;
        c->handshake = true;
        c->verify_result = SSL_get_verify_result(ssl);
        snprintf(c->version, sizeof(c->version), "%s", SSL_get_version(ssl));
        if (SSL_write(ssl, c->request, (int) c->request_len) != (int) c->request_len)
                return;
        for (;;) {
                int n = SSL_read(ssl, c->response + c->response_len, (int) (sizeof(c->response) - 1 - c->response_len));
                if (n <= 0)
                        break;
                c->response_len += (size_t) n;
        }
        SSL_shutdown(ssl);
}

static void client_tls(struct client *c, int fd) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx)
                return;
        bool ok = true;
        if (c->ca_file) {
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
                ok = SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) == 1;
        }
        if (c->max_version) {
                SSL_CTX_set_security_level(ctx, 0);
                SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
                SSL_CTX_set_max_proto_version(ctx, c->max_version);
        }
        SSL *ssl = ok ? SSL_new(ctx) : NULL;
        if (ssl) {
                SSL_set_fd(ssl, fd);
                if (c->verify_ip)
                        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->verify_ip);
                client_exchange(c, ssl);
                SSL_free(ssl);
        }
        SSL_CTX_free(ctx);
}

static void *client_main(void *arg) {
        struct client *c = arg;
        int fd = client_connect(c);
        if (fd >= 0) {
                if (c->tls)
                        client_tls(c, fd);
                else if (send(fd, c->request, c->request_len, MSG_NOSIGNAL) == (ssize_t) c->request_len)
                        for (;;) {
                                ssize_t n = recv(fd, c->response + c->response_len,
                                                 sizeof(c->response) - 1 - c->response_len, 0);
                                if (n <= 0)
                                        break;
                                c->response_len += (size_t) n;
                        }
                close(fd);
        }
        c->response[c->response_len] = '\0';
        atomic_store(&c->done, true);
        return NULL;
}

struct loop_ctx {
        struct event_base *base;
        struct client *c;
        int ticks;
};

static void tick(evutil_socket_t fd, short what, void *arg) {
        (void) fd, (void) what;
        struct loop_ctx *l = arg;
        if (atomic_load(&l->c->done) || ++l->ticks > 2000)
                event_base_loopbreak(l->base);
}

/* Run the client in a thread while the loop serves it. */
static void run_client(struct event_base *base, struct client *c) {
        struct loop_ctx l = { .base = base, .c = c };
        struct event *ev = event_new(base, -1, EV_PERSIST, tick, &l);
        struct timeval tv = { .tv_usec = 5000 };
        assert_non_null(ev);
        assert_int_equal(event_add(ev, &tv), 0);
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, client_main, c), 0);
        event_base_dispatch(base);
        assert_int_equal(pthread_join(th, NULL), 0);
        event_free(ev);
        assert_true(atomic_load(&c->done));
}

static const char get_req[] = "GET /x HTTP/1.1\r\nHost: banc\r\nConnection: close\r\n\r\n";

static unsigned port_of(const char *address) {
        const char *colon = strrchr(address, ':');
        assert_non_null(colon);
        return (unsigned) atoi(colon + 1);
}

static void test_tls_listener(void **state) {
        struct test_dir_fixture *f = *state;
        char *listen[] = { "127.0.0.1:0", "[::1]:0" };
        char *where[] = { "test:1", "test:2" };
        bool v6 = true;
        {
                int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
                if (fd < 0 || bind(fd, (struct sockaddr *) &sin6, sizeof(sin6)) < 0)
                        v6 = false;
                if (fd >= 0)
                        close(fd);
        }
        struct rfd_config config = {
                .api_listen = listen,
                .api_listen_where = where,
                .n_api_listen = v6 ? 2 : 1,
                .api_tls = true,
        };
        struct event_base *base = event_base_new();
        assert_non_null(base);
        struct server s = { 0 };
        char err[512] = "";
        int r = rfd_net_new(base, &config, f->dir, server_cb, &s, &s.net, err, sizeof(err));
        if (r < 0)
                fail_msg("rfd_net_new: %d %s", r, err);
        char *const *addrs = rfd_net_addresses(s.net);
        assert_non_null(addrs[0]);
        assert_memory_equal(addrs[0], "127.0.0.1:", 10);
        unsigned port = port_of(addrs[0]);
        assert_true(port > 0);
        if (v6) {
                assert_memory_equal(addrs[1], "[::1]:", 6);
                assert_null(addrs[2]);
        } else
                assert_null(addrs[1]);
        _cleanup_free_ char *cert = test_path_in(f, "tls/bench-tls.pem");
        _cleanup_(X509_freep) X509 *x = read_cert(cert);
        char sha[65];
        cert_sha256(x, sha);
        assert_string_equal(rfd_net_tls_sha256(s.net), sha);

        /* A client that trusts the bench's certificate and checks the
         * address it connects to. */
        struct client c = { .family = AF_INET, .port = port, .tls = true, .ca_file = cert, .verify_ip = "127.0.0.1",
                            .request = get_req, .request_len = sizeof(get_req) - 1 };
        run_client(base, &c);
        assert_true(c.handshake);
        assert_int_equal(c.verify_result, X509_V_OK);
        assert_memory_equal(c.response, "HTTP/1.1 200 OK", 15);
        assert_non_null(strstr(c.response, "\r\n\r\ntls=1 body=0"));
        assert_int_equal(s.requests, 1);

        if (v6) {
                struct client c6 = { .family = AF_INET6, .port = port_of(addrs[1]), .tls = true, .ca_file = cert,
                                     .verify_ip = "::1", .request = get_req, .request_len = sizeof(get_req) - 1 };
                run_client(base, &c6);
                assert_true(c6.handshake);
                assert_int_equal(c6.verify_result, X509_V_OK);
                assert_non_null(strstr(c6.response, "\r\n\r\ntls=1 body=0"));
        }

        /* TLS 1.1 and older: no handshake. */
        struct client old = { .family = AF_INET, .port = port, .tls = true, .max_version = TLS1_1_VERSION,
                              .request = get_req, .request_len = sizeof(get_req) - 1 };
        run_client(base, &old);
        assert_true(old.connected);
        assert_false(old.handshake);
        struct client v12 = { .family = AF_INET, .port = port, .tls = true, .max_version = TLS1_2_VERSION,
                              .request = get_req, .request_len = sizeof(get_req) - 1 };
        run_client(base, &v12);
        assert_true(v12.handshake);
        assert_string_equal(v12.version, "TLSv1.2");
        assert_non_null(strstr(v12.response, "tls=1"));

        /* Clear-text HTTP on the TLS port gets no HTTP answer. */
        struct client plain = { .family = AF_INET, .port = port, .request = get_req,
                                .request_len = sizeof(get_req) - 1 };
        run_client(base, &plain);
        assert_true(plain.connected);
        assert_null(strstr(plain.response, "HTTP/1.1"));
        assert_int_equal(s.requests, v6 ? 3 : 2);

        /* A 70 KiB body reaches the router (which answers 413 itself). */
        size_t body = 70 * 1024;
        _cleanup_free_ char *big = malloc(body + 256);
        assert_non_null(big);
        int h = snprintf(big, 256,
                         "POST /v1/x HTTP/1.1\r\nHost: banc\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
                         body);
        memset(big + h, 'a', body);
        struct client post = { .family = AF_INET, .port = port, .tls = true, .request = big,
                               .request_len = (size_t) h + body };
        run_client(base, &post);
        assert_non_null(strstr(post.response, "tls=1 body=71680"));

        /* Another daemon on the same address: refused, naming it. */
        char *same[] = { addrs[0] };
        struct rfd_config again = { .api_listen = same, .api_listen_where = where, .n_api_listen = 1, .api_tls = true };
        struct rfd_net *n2 = NULL;
        assert_int_equal(rfd_net_new(base, &again, f->dir, server_cb, &s, &n2, err, sizeof(err)), -EADDRINUSE);
        char expected[256];
        snprintf(expected, sizeof(expected),
                 "[API] Listen=%s : impossible d'écouter sur cette adresse : Address already in use", addrs[0]);
        assert_string_equal(err, expected);
        assert_null(n2);

        rfd_net_free(s.net);
        event_base_free(base);
}

static void test_plain_listener(void **state) {
        struct test_dir_fixture *f = *state;
        char *listen[] = { "127.0.0.1:0" };
        char *where[] = { "test:1" };
        struct rfd_config config = { .api_listen = listen, .api_listen_where = where, .n_api_listen = 1 };
        struct event_base *base = event_base_new();
        assert_non_null(base);
        struct server s = { 0 };
        char err[512] = "";
        assert_int_equal(rfd_net_new(base, &config, NULL, server_cb, &s, &s.net, err, sizeof(err)), 0);
        assert_null(rfd_net_tls_sha256(s.net));
        unsigned port = port_of(rfd_net_addresses(s.net)[0]);
        struct client c = { .family = AF_INET, .port = port, .request = get_req, .request_len = sizeof(get_req) - 1 };
        run_client(base, &c);
        assert_memory_equal(c.response, "HTTP/1.1 200 OK", 15);
        assert_non_null(strstr(c.response, "\r\n\r\ntls=0 body=0"));

        /* Headers over 16 KiB: refused by libevent, the router never sees it. */
        size_t hl = 20 * 1024;
        _cleanup_free_ char *req = malloc(hl + 128);
        assert_non_null(req);
        int n = snprintf(req, 128, "GET /x HTTP/1.1\r\nHost: banc\r\nConnection: close\r\nX-Big: ");
        memset(req + n, 'b', hl);
        memcpy(req + n + hl, "\r\n\r\n", 5);
        struct client big = { .family = AF_INET, .port = port, .request = req, .request_len = strlen(req) };
        run_client(base, &big);
        assert_null(strstr(big.response, "tls=0"));
        assert_int_equal(s.requests, 1);
        rfd_net_free(s.net);
        /* No TLS files were made. */
        _cleanup_free_ char *tls = test_path_in(f, "tls");
        assert_int_equal(access(tls, F_OK), -1);

        /* TLS=no on a non-loopback address is refused here too. */
        char *pub[] = { "0.0.0.0:0" };
        config.api_listen = pub;
        struct rfd_net *n2 = NULL;
        assert_int_equal(rfd_net_new(base, &config, NULL, server_cb, &s, &n2, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "[API] Listen=0.0.0.0:0 : TLS=no n'est permis que sur 127.0.0.0/8 et ::1");
        char *bad[] = { "localhost:80" };
        config.api_listen = bad;
        assert_int_equal(rfd_net_new(base, &config, NULL, server_cb, &s, &n2, err, sizeof(err)), -EINVAL);
        assert_null(n2);

        /* No Listen=: an object without listeners. */
        config.n_api_listen = 0;
        config.api_tls = true;
        assert_int_equal(rfd_net_new(base, &config, f->dir, server_cb, &s, &n2, err, sizeof(err)), 0);
        assert_null(rfd_net_addresses(n2)[0]);
        assert_null(rfd_net_tls_sha256(n2));
        rfd_net_free(TAKE_PTR(n2));
        assert_int_equal(access(tls, F_OK), -1);

        /* A configured certificate with the wrong key: the error names both. */
        _cleanup_free_ char *c1 = test_path_in(f, "a.pem"), *k1 = test_path_in(f, "a.key"), *c2 = test_path_in(f, "b.pem"),
                            *k2 = test_path_in(f, "b.key");
        assert_int_equal(rfd_tls_generate(c1, k1, "a", NULL, err, sizeof(err)), 0);
        assert_int_equal(rfd_tls_generate(c2, k2, "b", NULL, err, sizeof(err)), 0);
        config.api_listen = listen;
        config.n_api_listen = 1;
        config.api_certificate_file = c1;
        config.api_key_file = k2;
        assert_int_equal(rfd_net_new(base, &config, f->dir, server_cb, &s, &n2, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, c1));
        assert_non_null(strstr(err, k2));
        assert_null(n2);
        rfd_net_free(NULL);
        event_base_free(base);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_address_parse),
                cmocka_unit_test_setup_teardown(test_tls_listener, setup, teardown),
                cmocka_unit_test_setup_teardown(test_plain_listener, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
