/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <cairo.h>
#include <jansson.h>
#include <stdbool.h>

#include "rf-i18n.h"
#include "rpt-draw.h"

/* The top of a sheet, from the signed document root: logo, organisation and
 * bench (with its host name when show_host and it differs), certificate
 * number and issue date on the right, a rule, then title and subtitle.
 * org_default is shown when the bench has no organisation. */
void rpt_page_header(struct rpt_doc *d, const json_t *root, cairo_surface_t *logo, enum rf_lang lang,
                     const char *org_default, bool show_host, const char *title, const char *subtitle);
