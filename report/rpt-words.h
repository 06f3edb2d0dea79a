/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rf-i18n.h"

/* Plain words, for donors, for the members of an erasure certificate
 * (docs/certificate.md). Unknown values are shown as they are, cleaned by
 * the layout. */

/* "Effacement par réécriture complète", "Effacement cryptographique par le
 * micrologiciel", ... from sanitization.method; NULL when unknown. */
const char *rpt_method_words(const char *method, enum rf_lang lang);
/* "Effacement par réécriture complète (NIST SP 800-88 : Clear)": the method
 * and the category achieved, in one line. */
void rpt_method_line(const char *method, const char *category, enum rf_lang lang, char *out, size_t outlen);
/* "Purge", "Clear", or "aucune (non effacé)" for none. */
const char *rpt_category_words(const char *category, enum rf_lang lang);
/* "SATA", "NVMe", "USB", "fichier image (loop)", ... */
const char *rpt_transport_words(const char *transport, enum rf_lang lang);
/* "erreur d'écriture", "erreur de lecture", "données différentes du motif", ... */
const char *rpt_exception_words(const char *kind, enum rf_lang lang);
/* "EFFACÉ" / "NON EFFACÉ" / "EN ATTENTE" (no result). */
const char *rpt_result_words(const char *result, enum rf_lang lang);
/* Whether a donor must be told to destroy the drive: not erased, or it
 * reports a failure. */
bool rpt_result_erased(const char *result);
/* "500,1 Go (500 107 862 016 octets)". */
void rpt_size_words(long long bytes, enum rf_lang lang, char *out, size_t outlen);

/* String member, or NULL when missing or not a string (null in the JSON). */
const char *rpt_jstr(const json_t *obj, const char *key);
/* Integer member; false when missing or not an integer. */
bool rpt_jint(const json_t *obj, const char *key, long long *ret);
/* Object member, or NULL. */
const json_t *rpt_jobj(const json_t *obj, const char *key);
