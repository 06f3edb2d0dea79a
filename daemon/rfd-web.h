/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <event2/http.h>
#include <stdbool.h>

#include "rfd-auth.h"

/* Static pages of WebDirectory (docs/network-api.md "Web pages"):
 * answers GET/HEAD of "/", "/connexion", "/banc", "/certificats",
 * "/profils" and "/static/NAME" and returns true; returns false (nothing
 * answered) for any other path. who: the signed-in caller, NULL when
 * not signed in (pages then answer 303 to /connexion?suite=PATH). The
 * 403 page is French, or English when the request's Accept-Language
 * starts with "en" or the cookie refurb_lang=en is sent. Files are opened below WebDirectory only (openat, O_NOFOLLOW), at most
 * 4 MiB. */
struct rfd_web;
int rfd_web_new(const char *web_directory, struct rfd_web **ret);
void rfd_web_free(struct rfd_web *w);
bool rfd_web_serve(struct rfd_web *w, struct evhttp_request *req, const char *path,
                   const struct rfd_principal *who);
