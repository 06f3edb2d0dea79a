/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

struct rfd_manager;

/* Intake resources (docs/intake.md, docs/api.md "Intake records"), called by
 * the router of rfd-api.c for every request; returns false, having answered
 * nothing, when the path is not one of them:
 *   POST/GET /v1/donors, GET /v1/donors/{ref}
 *   POST/GET /v1/assets, GET /v1/assets/{tag}
 *   POST /v1/assets/{tag}/link, POST /v1/assets/{tag}/certificate
 *   GET  /v1/reports/donation/{ref}
 *   GET  /v1/exports/assets.csv, /v1/exports/certificates.csv
 *   POST /v1/certificates/{id}/validation
 * seg holds the n_seg decoded path segments ("v1", ...). */
bool rfd_api_intake(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                    char *const *seg, size_t n_seg, const char *query);

/* The CSV exports (rfd-api-export.c): name is "assets.csv" or
 * "certificates.csv"; answers 404 for another name. */
void rfd_api_export(struct rfd_manager *m, struct evhttp_request *req, const char *name);
