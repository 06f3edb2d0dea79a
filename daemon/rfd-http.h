/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Answers of the HTTP API (docs/api.md "Errors"): every reply is a JSON
 * document, every failure an error document
 *   {"error": {"code": "...", "message_fr": "...", "message_en": "...", ...}}
 * Shared by every rfd-api-*.c file. */

/* Largest request body (64 KiB): rfd_api_route() answers 413 "too-large"
 * to larger ones, before any handler runs. */
#define RFD_HTTP_MAX_BODY (64 * 1024)

/* Send v (stolen; NULL: 500 internal) with status. */
void rfd_http_reply_json(struct evhttp_request *req, int status, json_t *v);

/* Send an error document; extra (stolen, may be NULL) is merged into it. */
void rfd_http_reply_error(struct evhttp_request *req, int status, const char *code, const char *fr, const char *en,
                          json_t *extra);

/* 404 "not-found". */
void rfd_http_reply_not_found(struct evhttp_request *req, const char *fr, const char *en);

/* 400 naming a member of the request: "champ « field » : why_fr". */
void rfd_http_reply_field(struct evhttp_request *req, const char *field, const char *why_fr, const char *why_en);

/* Send bytes as-is with a content type (PDF, CSV, static files...). */
void rfd_http_reply_bytes(struct evhttp_request *req, int status, const char *content_type, const void *data,
                          size_t len);

/* The request body as a JSON object. An empty body gives {} when
 * empty_ok, else 400. Answers the error itself (400 bad-request naming
 * what is wrong) and returns NULL on failure; its size was checked by the
 * router. */
json_t *rfd_http_read_object(struct evhttp_request *req, bool empty_ok);

/* Headers every answer carries (nosniff, no referrer, frame-deny, no-store
 * for API answers); called by the reply functions above. */
void rfd_http_common_headers(struct evhttp_request *req);
