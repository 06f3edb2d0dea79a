/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

#include "rfd-auth.h"

struct rfd_manager;

/* Web sessions and token management (docs/network-api.md), called by the
 * router of rfd-api.c for every request; returns false, having answered
 * nothing, when the path is not one of them:
 *   POST /v1/session {"token"}   sign in: 200 {role, name, expires_at} + the refurb_session cookie
 *   GET /v1/session              who is signed in
 *   DELETE /v1/session           sign out (the session is forgotten, the cookie cleared)
 *   GET /v1/tokens, POST /v1/tokens {"role", "name"}, POST /v1/tokens/{id}/revoke
 *                                the Unix socket only (403 unix-only otherwise)
 * seg holds the n_seg decoded path segments ("v1", ...); who is the caller
 * (for POST /v1/session, not necessarily authenticated); tls: the request
 * came in on a TLS listener (the cookie then gets "Secure"). */
bool rfd_api_session(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                     char *const *seg, size_t n_seg, const struct rfd_principal *who, bool tls);
