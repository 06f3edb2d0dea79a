/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by rfd-api-profiles.c (list, one, defaults) and
 * rfd-api-profiles-upload.c (upload) only. */

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>

#include "img-sign.h"

struct rfd_manager;

#define RFD_PROFILE_NAME_MAX 64
#define RFD_PROFILE_TEXT_MAX (64 * 1024)

/* An uploaded profile's name: [a-z0-9][a-z0-9._-]{0,63}, and not one of
 * the words the API gives a meaning to ("default", "defaults"). */
bool rfd_profile_upload_name_valid(const char *name);
/* A name a bay may give (Profile=): [A-Za-z0-9._-]{1,64}, not starting with '.'. */
bool rfd_profile_name_valid(const char *name);

/* The trusted keys, loaded once per request; when they cannot be loaded,
 * every profile is invalid with that reason. */
struct rfd_profile_trust {
        struct img_trust *trust;
        const char *dir;           /* TrustedKeysDirectory */
        int r;
        char err[512];
};
void rfd_profile_trust_load(struct rfd_manager *m, struct rfd_profile_trust *t);
void rfd_profile_trust_done(struct rfd_profile_trust *t);

/* What the bench thinks of one profile file. */
struct rfd_profile_check {
        int r;                       /* 0: valid (p set) */
        struct img_profile *p;
        struct img_signature_info info;
        char err_fr[768];
        char err_en[1024];
};
/* Verify path with img_profile_load_verified() as the bench does before
 * writing it; "strip/" is cut out of the reasons (a private folder). */
void rfd_profile_check(const struct rfd_profile_trust *t, const char *path, const char *strip,
                       struct rfd_profile_check *c);
void rfd_profile_check_done(struct rfd_profile_check *c);

/* {"desktop": name|null, "laptop": name|null} from the settings; NULL on a store error (logged). */
json_t *rfd_profile_defaults_json(struct rfd_manager *m);
/* PROFILE of docs/network-api.md for ProfileDirectory/name.profile (a new reference, NULL when out of memory). */
json_t *rfd_profile_json(struct rfd_manager *m, const struct rfd_profile_trust *t, const json_t *defaults,
                         const char *name);

/* POST /v1/profiles (rfd-api-profiles-upload.c). */
void rfd_api_profile_upload(struct rfd_manager *m, struct evhttp_request *req);
