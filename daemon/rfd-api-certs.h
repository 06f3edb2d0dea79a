/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>

struct rfd_manager;

/* Certificates for the supervisors' page (docs/network-api.md, "Added
 * resources"), called by the router of rfd-api.c (GET only; the router
 * answers 405 for other methods). */

/* GET /v1/certificates?q=TEXT: {"certificates": [...], "truncated": bool},
 * newest first, at most 200. q: 1-64 characters of UTF-8 without control
 * characters, else 400 naming "q". */
void rfd_api_certs_search(struct rfd_manager *m, struct evhttp_request *req, const char *q);

/* GET /v1/certificates/{id}/pdf?lang=fr|en: the sheet of `refurbctl cert
 * pdf`, from the daemon's own records, its signature and those of its
 * validations checked first. id: full id or unique prefix (>= 4): 404
 * unknown, 409 ambiguous; 409 when the record does not verify or is a
 * validation statement (no sheet of its own). */
void rfd_api_cert_pdf(struct rfd_manager *m, struct evhttp_request *req, const char *id, const char *query);

/* GET /v1/reports/donation/{ref}/pdf?lang=fr|en: the donation report PDF; 404 unknown donation. */
void rfd_api_donation_pdf(struct rfd_manager *m, struct evhttp_request *req, const char *ref, const char *query);
