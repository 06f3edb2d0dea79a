/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>

struct rfd_manager;

/* The DSI's image profiles over the API (docs/network-api.md, "Added
 * resources"), called by the router of rfd-api.c for every request:
 *   GET  /v1/profiles             every *.profile of ProfileDirectory, verified
 *   GET  /v1/profiles/{name}      one of them
 *   POST /v1/profiles             upload: verified in a private folder, installed only when valid
 *   GET  /v1/profiles/defaults    {"defaults": {"desktop", "laptop"}}
 *   PUT  /v1/profiles/defaults    choose the default profile per target
 * Returns false, having answered nothing, when the path is not under
 * /v1/profiles. seg holds the n_seg decoded path segments ("v1", ...). */
bool rfd_api_profiles(struct rfd_manager *m, struct evhttp_request *req, enum evhttp_cmd_type method,
                      char *const *seg, size_t n_seg, const char *query);

/* The settings (rfd_store_setting_get/set) holding the default profile of
 * each target; a bay with Profile=default installs the one of its asset's
 * type (laptop, else desktop). */
#define RFD_SETTING_DEFAULT_DESKTOP "profile.default.desktop"
#define RFD_SETTING_DEFAULT_LAPTOP "profile.default.laptop"
/* The name a bay's Profile= gives to mean "the default of the asset's type". */
#define RFD_PROFILE_DEFAULT "default"
