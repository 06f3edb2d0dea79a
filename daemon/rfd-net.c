/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TCP listeners of the API ([API] Listen=): one evhttp per address,
 * TLS through libevent's bufferevent_openssl unless TLS=no (loopback
 * only), with the same limits as the Unix socket. */
#include "rfd-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rfd-config.h"
#include "rfd-log.h"
#include "rfd-tls.h"

/* Bodies up to 1 MiB are read so that the router answers anything over
 * RFD_HTTP_MAX_BODY with a JSON 413; beyond, libevent answers itself. */
#define NET_MAX_BODY (1024 * 1024)
#define NET_MAX_HEADERS (16 * 1024)
#define NET_TIMEOUT_SEC 30
#define NET_BACKLOG 128

struct listener {
        struct rfd_net *net;
        struct evhttp *http;
        bool tls;
};

struct rfd_net {
        struct rfd_tls *tls;
        struct listener *listeners;
        size_t n_listeners;
        char **addresses; /* NULL-terminated */
        void (*cb)(struct evhttp_request *req, void *arg);
        void *cb_arg;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (err && errlen > 0)
                vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

/* "1.2.3.4" or "::1" (no port, no brackets). */
static void format_host(const struct sockaddr_storage *ss, char *out, size_t outlen) {
        const void *a = ss->ss_family == AF_INET ? (const void *) &((const struct sockaddr_in *) ss)->sin_addr
                                                 : (const void *) &((const struct sockaddr_in6 *) ss)->sin6_addr;
        if (!inet_ntop(ss->ss_family, a, out, (socklen_t) outlen))
                snprintf(out, outlen, "?");
}

/* "1.2.3.4:8443" or "[::1]:8443". */
static int format_address(const struct sockaddr_storage *ss, char **ret) {
        char host[INET6_ADDRSTRLEN];
        format_host(ss, host, sizeof(host));
        unsigned port = ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *) ss)->sin_port
                                                       : ((const struct sockaddr_in6 *) ss)->sin6_port);
        int n = ss->ss_family == AF_INET6 ? asprintf(ret, "[%s]:%u", host, port) : asprintf(ret, "%s:%u", host, port);
        return n < 0 ? -ENOMEM : 0;
}

static int bind_tcp(const struct sockaddr_storage *ss, socklen_t len) {
        _cleanup_close_ int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0)
                return negative_errno();
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return negative_errno();
        /* Accepted sockets inherit it (Linux). An answer goes out as two
         * writes (headers, body): over TLS, two records; with Nagle the
         * second waits for the ACK of the first, which the client delays by
         * 40 ms (bench/README.md, "Network API under load"). */
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
                return negative_errno();
        /* [::] listens on IPv6 only: 0.0.0.0 is a Listen= of its own. */
        if (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
                return negative_errno();
        if (bind(fd, (const struct sockaddr *) ss, len) < 0 || listen(fd, NET_BACKLOG) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

static struct bufferevent *tls_bevcb(struct event_base *base, void *arg) {
        struct rfd_net *n = arg;
        SSL *ssl = SSL_new(rfd_tls_ctx(n->tls));
        if (!ssl)
                return NULL;
        struct bufferevent *bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                                 BEV_OPT_CLOSE_ON_FREE);
        if (bev)
                /* Clients that close without close_notify are no error. */
                bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        return bev;
}

static void request_cb(struct evhttp_request *req, void *arg) {
        struct listener *l = arg;
        /* When tls_bevcb() fails (out of memory), libevent falls back to a
         * plain socket: never answer in clear text on a TLS listener. */
        if (l->tls && !rfd_net_request_is_tls(l->net, req)) {
                rfd_log(LOG_ERR, "API: TLS connection could not be set up (out of memory?), request dropped");
                return evhttp_send_error(req, HTTP_INTERNAL, NULL);
        }
        l->net->cb(req, l->net->cb_arg);
}

static int add_listener(struct rfd_net *n, struct event_base *base, const char *text,
                        const struct sockaddr_storage *ss, socklen_t len, bool tls, char *err, size_t errlen) {
        struct listener *l = &n->listeners[n->n_listeners];
        int fd = bind_tcp(ss, len);
        if (fd < 0) {
                seterr(err, errlen, "[API] Listen=%s : impossible d'écouter sur cette adresse : %s", text,
                       strerror(-fd));
                return fd;
        }
        struct sockaddr_storage bound = { 0 };
        socklen_t blen = sizeof(bound);
        if (getsockname(fd, (struct sockaddr *) &bound, &blen) < 0) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        int r = format_address(&bound, &n->addresses[n->n_listeners]);
        l->http = r == 0 ? evhttp_new(base) : NULL;
        if (!l->http) {
                close(fd);
                return -ENOMEM;
        }
        l->net = n;
        l->tls = tls;
        n->n_listeners++;

        evhttp_set_max_body_size(l->http, NET_MAX_BODY);
        evhttp_set_max_headers_size(l->http, NET_MAX_HEADERS);
        /* Every method reaches the router, which answers 405 with JSON. */
        evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                                    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
        evhttp_set_timeout(l->http, NET_TIMEOUT_SEC);
        evhttp_set_gencb(l->http, request_cb, l);
        if (tls)
                evhttp_set_bevcb(l->http, tls_bevcb, n);
        if (!evhttp_accept_socket_with_handle(l->http, fd)) {
                r = negative_errno();
                close(fd);
                seterr(err, errlen, "[API] Listen=%s : impossible d'accepter les connexions : %s", text,
                       strerror(-r));
                return r;
        }
        rfd_log(LOG_INFO, "API: listening on %s://%s", tls ? "https" : "http", n->addresses[n->n_listeners - 1]);
        return 0;
}

static int load_tls(struct rfd_net *n, const struct rfd_config *config, const char *state_dir,
                    const struct sockaddr_storage *addrs, char *err, size_t errlen) {
        char hostname[256] = "";
        if (gethostname(hostname, sizeof(hostname) - 1) < 0)
                hostname[0] = '\0';
        /* The IP addresses of the certificate: every non-wildcard Listen=. */
        char ips_buf[16][INET6_ADDRSTRLEN];
        char *ips[17] = { 0 };
        size_t k = 0;
        for (size_t i = 0; i < config->n_api_listen && k < ELEMENTSOF(ips_buf); i++)
                if (!rfd_listen_address_is_wildcard(&addrs[i])) {
                        format_host(&addrs[i], ips_buf[k], sizeof(ips_buf[k]));
                        ips[k] = ips_buf[k];
                        k++;
                }

        int r = rfd_tls_new(config->api_certificate_file, config->api_key_file, state_dir, hostname, ips, &n->tls,
                            err, errlen);
        if (r < 0)
                return r;
        if (rfd_tls_created(n->tls))
                rfd_log(LOG_NOTICE, "API: self-signed TLS certificate created: %s",
                        rfd_tls_certificate_path(n->tls));
        rfd_log(LOG_INFO, "API: TLS certificate %s, SHA-256 fingerprint %s", rfd_tls_certificate_path(n->tls),
                rfd_tls_sha256(n->tls));
        if (rfd_tls_expired(n->tls))
                rfd_log(LOG_WARNING, "API: TLS certificate %s has expired: browsers and refurbctl will refuse it",
                        rfd_tls_certificate_path(n->tls));
        return 0;
}

static int net_setup(struct rfd_net *n, struct event_base *base, const struct rfd_config *config,
                     const char *state_dir, char *err, size_t errlen) {
        size_t count = config->n_api_listen;
        _cleanup_free_ struct sockaddr_storage *addrs = calloc(count + 1, sizeof(*addrs));
        _cleanup_free_ socklen_t *lens = calloc(count + 1, sizeof(*lens));
        n->listeners = calloc(count + 1, sizeof(*n->listeners));
        n->addresses = (char **) calloc(count + 1, sizeof(char *));
        if (!addrs || !lens || !n->listeners || !n->addresses)
                return -ENOMEM;

        for (size_t i = 0; i < count; i++) {
                if (rfd_listen_address_parse(config->api_listen[i], &addrs[i], &lens[i]) < 0) {
                        seterr(err, errlen, "[API] Listen=%s : adresse invalide (attendu : 0.0.0.0:8443, [::]:8443...)",
                               config->api_listen[i]);
                        return -EINVAL;
                }
                if (!config->api_tls && !rfd_listen_address_is_loopback(&addrs[i])) {
                        seterr(err, errlen, "[API] Listen=%s : TLS=no n'est permis que sur 127.0.0.0/8 et ::1",
                               config->api_listen[i]);
                        return -EINVAL;
                }
        }
        if (count > 0 && config->api_tls) {
                int r = load_tls(n, config, state_dir, addrs, err, errlen);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < count; i++) {
                int r = add_listener(n, base, config->api_listen[i], &addrs[i], lens[i], config->api_tls, err, errlen);
                if (r < 0)
                        return r;
        }
        return 0;
}

int rfd_net_new(struct event_base *base, const struct rfd_config *config, const char *state_dir,
                void (*cb)(struct evhttp_request *req, void *arg), void *cb_arg, struct rfd_net **ret,
                char *err, size_t errlen) {
        if (!base || !config || !cb || !ret || (config->api_tls && !config->api_certificate_file && !state_dir))
                return -EINVAL;
        struct rfd_net *n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        n->cb = cb;
        n->cb_arg = cb_arg;
        int r = net_setup(n, base, config, state_dir, err, errlen);
        if (r < 0) {
                rfd_net_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

void rfd_net_free(struct rfd_net *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n_listeners; i++)
                evhttp_free(n->listeners[i].http);
        free(n->listeners);
        for (char **a = n->addresses; a && *a; a++)
                free(*a);
        free((void *) n->addresses);
        rfd_tls_free(n->tls);
        free(n);
}

const char *rfd_net_tls_sha256(const struct rfd_net *n) {
        return n && n->tls ? rfd_tls_sha256(n->tls) : NULL;
}

char *const *rfd_net_addresses(const struct rfd_net *n) {
        return n ? n->addresses : NULL;
}

bool rfd_net_request_is_tls(const struct rfd_net *n, struct evhttp_request *req) {
        (void) n;
        struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
        struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
        return bev && bufferevent_openssl_get_ssl(bev) != NULL;
}
