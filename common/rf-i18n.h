/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Two languages: French (default, what technicians and donors read) and
 * English. Messages are written as pairs at the place they are used:
 *     printf("%s\n", RF_TR(lang, "Effacé", "Erased"));
 */

enum rf_lang {
        RF_LANG_FR = 0,
        RF_LANG_EN = 1,
};

#define RF_TR(lang, fr, en) ((lang) == RF_LANG_EN ? (en) : (fr))

/* French unless LC_ALL / LC_MESSAGES / LANG (first one set) is "C",
 * "POSIX" or starts with "en". */
enum rf_lang rf_lang_from_env(void);
/* "fr" or "en" -> lang; returns -EINVAL for anything else. */
int rf_lang_from_string(const char *s, enum rf_lang *ret);
const char *rf_lang_to_string(enum rf_lang lang);
