/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Server-Sent Events: every client of GET /v1/events receives bay, job and
 * device changes as they happen. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rf-macro.h"
#include "rfd-log.h"
#include "rfd-manager.h"

#define KEEPALIVE_SEC 15
#define MAX_CLIENTS 256
/* A client that does not read is dropped rather than buffered forever. */
#define MAX_PENDING_BYTES (4 * 1024 * 1024)

struct sse_client {
        struct evhttp_request *req;
        struct evhttp_connection *conn;
        struct rfd_events *owner;
        struct sse_client *next;
};

struct rfd_events {
        struct rfd_manager *m;
        struct sse_client *clients;
        unsigned n_clients;
        struct event *keepalive;
};

static void client_remove(struct rfd_events *e, struct sse_client *c) {
        for (struct sse_client **p = &e->clients; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        e->n_clients--;
                        break;
                }
        free(c);
}

static void client_closed(struct evhttp_connection *conn, void *userdata) {
        struct sse_client *c = userdata;
        client_remove(c->owner, c);
}

static void client_send(struct sse_client *c, const char *text, size_t len) {
        struct evbuffer *buf = evbuffer_new();
        if (!buf)
                return;
        evbuffer_add(buf, text, len);
        evhttp_send_reply_chunk(c->req, buf);
        evbuffer_free(buf);
}

static void broadcast(struct rfd_events *e, const char *text, size_t len) {
        for (struct sse_client *c = e->clients, *next; c; c = next) {
                next = c->next;
                struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
                struct evbuffer *out = bev ? bufferevent_get_output(bev) : NULL;
                if (out && evbuffer_get_length(out) > MAX_PENDING_BYTES) {
                        rfd_log(LOG_WARNING, "event client does not read, dropping it");
                        evhttp_connection_set_closecb(c->conn, NULL, NULL);
                        evhttp_send_reply_end(c->req);
                        client_remove(e, c);
                        continue;
                }
                client_send(c, text, len);
        }
}

/* When it happened (CLOCK_REALTIME, µs), for the clients (and
 * bench/api-load.sh) to measure how late it arrives. */
static void stamp(json_t *data) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (json_is_object(data))
                json_object_set_new(data, "ts_usec", json_integer((json_int_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000));
}

static char *format_event(const char *type, json_t *data, size_t *ret_len) {
        stamp(data);
        _cleanup_free_ char *json = json_dumps(data, JSON_COMPACT);
        char *text = NULL;
        if (!json)
                return NULL;
        int n = asprintf(&text, "event: %s\ndata: %s\n\n", type, json);
        if (n < 0)
                return NULL;
        *ret_len = (size_t) n;
        return text;
}

void rfd_events_publish(struct rfd_manager *m, const char *type, json_t *data) {
        struct rfd_events *e = m->events;
        if (!data)
                return;
        if (e && e->clients) {
                size_t len = 0;
                _cleanup_free_ char *text = format_event(type, data, &len);
                if (text)
                        broadcast(e, text, len);
        }
        json_decref(data);
}

void rfd_events_publish_bay(struct rfd_manager *m, size_t i) {
        if (i >= m->n_bays || !m->events || !m->events->clients)
                return;
        rfd_events_publish(m, "bay", rfd_view_bay(m, i));
}

void rfd_events_publish_bay_of(struct rfd_manager *m, const struct rfd_dev *d) {
        if (d && d->bay >= 0)
                rfd_events_publish_bay(m, (size_t) d->bay);
}

void rfd_events_publish_bay_name(struct rfd_manager *m, const char *name) {
        if (!name)
                return;
        for (size_t i = 0; i < m->n_bays; i++)
                if (strcmp(m->bays[i].name, name) == 0)
                        rfd_events_publish_bay(m, i);
}

void rfd_events_add_client(struct rfd_manager *m, struct evhttp_request *req) {
        struct rfd_events *e = m->events;
        if (e->n_clients >= MAX_CLIENTS) {
                evhttp_send_error(req, 503, "Too many event clients");
                return;
        }
        struct sse_client *c = calloc(1, sizeof(*c));
        if (!c) {
                evhttp_send_error(req, 500, "Out of memory");
                return;
        }
        c->req = req;
        c->conn = evhttp_request_get_connection(req);
        c->owner = e;
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
        evhttp_add_header(h, "Cache-Control", "no-cache");
        evhttp_send_reply_start(req, 200, "OK");
        evhttp_connection_set_closecb(c->conn, client_closed, c);
        c->next = e->clients;
        e->clients = c;
        e->n_clients++;

        /* Start with the whole picture. */
        for (size_t i = 0; i < m->n_bays; i++) {
                json_t *v = rfd_view_bay(m, i);
                size_t len = 0;
                _cleanup_free_ char *text = v ? format_event("bay", v, &len) : NULL;
                json_decref(v);
                if (text)
                        client_send(c, text, len);
        }
}

static void keepalive_cb(evutil_socket_t fd, short what, void *userdata) {
        struct rfd_events *e = userdata;
        static const char ka[] = ": keep-alive\n\n";
        broadcast(e, ka, sizeof(ka) - 1);
}

int rfd_events_new(struct rfd_manager *m, struct rfd_events **ret) {
        struct rfd_events *e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->m = m;
        e->keepalive = event_new(m->base, -1, EV_PERSIST, keepalive_cb, e);
        if (!e->keepalive) {
                free(e);
                return -ENOMEM;
        }
        const struct timeval tv = { .tv_sec = KEEPALIVE_SEC };
        evtimer_add(e->keepalive, &tv);
        *ret = e;
        return 0;
}

void rfd_events_free(struct rfd_events *e) {
        if (!e)
                return;
        while (e->clients) {
                struct sse_client *c = e->clients;
                evhttp_connection_set_closecb(c->conn, NULL, NULL);
                evhttp_send_reply_end(c->req);
                client_remove(e, c);
        }
        event_free(e->keepalive);
        free(e);
}
