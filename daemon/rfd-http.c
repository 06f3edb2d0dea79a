/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replies of the HTTP API: JSON documents and error documents
 * (docs/api.md "Errors"), the request body as a JSON object. */
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-json.h"
#include "rf-macro.h"
#include "rfd-http.h"

static const char internal_error[] = "{\"error\":{\"code\":\"internal\",\"message_fr\":\"erreur interne\","
                                     "\"message_en\":\"internal error\"}}\n";

void rfd_http_common_headers(struct evhttp_request *req) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        if (evhttp_find_header(h, "X-Content-Type-Options"))
                return;
        evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
        evhttp_add_header(h, "Referrer-Policy", "no-referrer");
        evhttp_add_header(h, "X-Frame-Options", "DENY");
        if (!evhttp_find_header(h, "Cache-Control"))
                evhttp_add_header(h, "Cache-Control", "no-store");
}

void rfd_http_reply_bytes(struct evhttp_request *req, int status, const char *content_type, const void *data,
                          size_t len) {
        struct evbuffer *buf = evbuffer_new();
        if (!buf)
                return evhttp_send_error(req, 500, "Out of memory");
        if (len > 0 && evbuffer_add(buf, data, len) < 0) {
                evbuffer_free(buf);
                return evhttp_send_error(req, 500, "Out of memory");
        }
        rfd_http_common_headers(req);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
        evhttp_send_reply(req, status, status < 400 ? "OK" : "Error", buf);
        evbuffer_free(buf);
}

void rfd_http_reply_json(struct evhttp_request *req, int status, json_t *v) {
        _cleanup_free_ char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        if (!text)
                return rfd_http_reply_bytes(req, 500, "application/json; charset=utf-8", internal_error,
                                            sizeof(internal_error) - 1);
        size_t len = strlen(text);
        _cleanup_free_ char *line = malloc(len + 2);
        if (!line)
                return rfd_http_reply_bytes(req, 500, "application/json; charset=utf-8", internal_error,
                                            sizeof(internal_error) - 1);
        memcpy(line, text, len + 1);
        line[len] = '\n';
        line[len + 1] = '\0';
        rfd_http_reply_bytes(req, status, "application/json; charset=utf-8", line, len + 1);
}

void rfd_http_reply_error(struct evhttp_request *req, int status, const char *code, const char *fr, const char *en,
                          json_t *extra) {
        json_t *err = json_pack("{s:s, s:s, s:s}", "code", code, "message_fr", fr, "message_en", en);
        if (err && extra)
                json_object_update(err, extra);
        json_decref(extra);
        rfd_http_reply_json(req, status, err ? json_pack("{s:o}", "error", err) : NULL);
}

void rfd_http_reply_not_found(struct evhttp_request *req, const char *fr, const char *en) {
        rfd_http_reply_error(req, 404, "not-found", fr, en, NULL);
}

void rfd_http_reply_field(struct evhttp_request *req, const char *field, const char *why_fr, const char *why_en) {
        char fr[300], en[300];
        snprintf(fr, sizeof(fr), "champ « %s » : %s", field, why_fr);
        snprintf(en, sizeof(en), "field \"%s\": %s", field, why_en);
        rfd_http_reply_error(req, 400, "bad-request", fr, en, json_pack("{s:s}", "field", field));
}

json_t *rfd_http_read_object(struct evhttp_request *req, bool empty_ok) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(in);
        if (len == 0 && empty_ok)
                return json_object();
        _cleanup_free_ char *text = malloc(len + 1);
        if (!text) {
                rfd_http_reply_error(req, 500, "internal", "mémoire insuffisante", "out of memory", NULL);
                return NULL;
        }
        evbuffer_copyout(in, text, len);
        text[len] = '\0';
        char err[256] = "";
        json_t *v = NULL;
        if (len == 0 || rf_json_parse(text, len, &v, err, sizeof(err)) < 0 || !json_is_object(v)) {
                bool not_object = v || len == 0;
                char fr[400], en[400];
                snprintf(fr, sizeof(fr), "JSON invalide dans la requête : %s", not_object ? "un objet est attendu" : err);
                snprintf(en, sizeof(en), "invalid JSON in the request: %s", not_object ? "an object is expected" : err);
                json_decref(v);
                rfd_http_reply_error(req, 400, "bad-request", fr, en, NULL);
                return NULL;
        }
        return v;
}
