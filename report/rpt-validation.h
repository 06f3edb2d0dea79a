/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "rpt-draw.h"

/* The "Validation par un responsable" box at the foot of the erasure and
 * refurbishment sheets. validations: NULL or an array of parsed
 * "refurb-validation/1" documents (signatures verified by the caller); an
 * entry is printed only when its certificate_id is cert_id and its
 * certificate_sha256 is sha256 (the others, and entries of another shape,
 * are skipped). With none, the box has empty Name / Date / Signature lines
 * to fill in by hand.
 *
 * Returns the height of the box; draw=false only measures. The box is
 * drawn at d->y (the cursor is not moved). */
double rpt_validation_box(struct rpt_doc *d, const json_t *validations, const char *cert_id, const char *sha256,
                          bool draw);
