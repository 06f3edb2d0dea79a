/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <stddef.h>

#include "rfd-auth.h"

struct rfd_manager;

#define RFD_API_MAX_SEGMENTS 6

/* A request path split at '/' and URI-decoded ("/v1/jobs/3" -> "v1",
 * "jobs", "3"). */
struct rfd_api_path {
        char *seg[RFD_API_MAX_SEGMENTS];
        size_t n_seg;
};
/* -EINVAL: not a path, longer than 1024 bytes or badly encoded;
 * -E2BIG: more than RFD_API_MAX_SEGMENTS segments; -ENOMEM. */
int rfd_api_path_split(const char *path, struct rfd_api_path *ret);
void rfd_api_path_done(struct rfd_api_path *p);

/* Route a request whose caller is known and allowed by the policy
 * (rfd-api.c). */
void rfd_api_route(struct rfd_manager *m, struct evhttp_request *req, const struct rfd_principal *who);

/* The front door of the TCP listeners (rfd-api-net.c): web pages, the
 * session endpoint, authentication, the role policy and CSRF checks, then
 * rfd_api_route(). arg is the struct rfd_manager. */
void rfd_api_net_request(struct evhttp_request *req, void *arg);
