/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <stddef.h>

struct rfd_manager;

/* /v1/ledger resources (docs/api.md, docs/ledger.md), called by the router
 * of rfd-api.c for every path whose second segment is "ledger":
 *   GET  /v1/ledger?from=SEQ&limit=N   the certificates in sequence order
 *   POST /v1/ledger/head               a signed head statement
 *   GET  /v1/ledger/check              the chain and every signature re-verified
 * seg holds the n_seg decoded path segments ("v1", "ledger", ...). */
void rfd_api_ledger(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                    char *const *seg, size_t n_seg, const char *query);
