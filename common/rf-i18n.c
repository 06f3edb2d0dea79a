/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rf-i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum rf_lang rf_lang_from_env(void) {
        static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
                const char *v = getenv(vars[i]);
                if (!v || !*v)
                        continue;
                if (strcmp(v, "C") == 0 || strncmp(v, "C.", 2) == 0 || strcmp(v, "POSIX") == 0 ||
                    strncmp(v, "en", 2) == 0)
                        return RF_LANG_EN;
                return RF_LANG_FR;
        }
        return RF_LANG_FR;
}

int rf_lang_from_string(const char *s, enum rf_lang *ret) {
        if (!s)
                return -EINVAL;
        if (strcmp(s, "fr") == 0)
                *ret = RF_LANG_FR;
        else if (strcmp(s, "en") == 0)
                *ret = RF_LANG_EN;
        else
                return -EINVAL;
        return 0;
}

const char *rf_lang_to_string(enum rf_lang lang) {
        return lang == RF_LANG_EN ? "en" : "fr";
}
