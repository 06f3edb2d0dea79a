/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rctl-config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-macro.h"
#include "rf-util.h"

#define CONFIG_MAX (1024u * 1024u)

static char *strip(char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = '\0';
        return s;
}

/* Update *value with the file's APISocket= if it has one. */
static int scan_file(const char *path, char **value) {
        _cleanup_free_ char *text = NULL;
        bool in_daemon = false;
        char *save = NULL;

        int r = rf_read_file(path, CONFIG_MAX, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *l = strip(line);
                if (*l == '\0' || *l == '#' || *l == ';')
                        continue;
                if (*l == '[') {
                        char *end = strchr(l, ']');
                        if (end)
                                *end = '\0';
                        in_daemon = strcmp(strip(l + 1), "Daemon") == 0;
                        continue;
                }
                char *eq = strchr(l, '=');
                if (!in_daemon || !eq)
                        continue;
                *eq = '\0';
                if (strcmp(strip(l), "APISocket") != 0)
                        continue;
                char *v = strip(eq + 1);
                if (*v == '\0')
                        continue;
                char *copy = strdup(v);
                if (!copy)
                        return -ENOMEM;
                free(*value);
                *value = copy;
        }
        return 0;
}

static int conf_filter(const struct dirent *de) {
        size_t n = strlen(de->d_name);
        return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

/* Drop-ins: PATH.d/ *.conf in lexical order; unreadable ones are skipped. */
static int scan_dropins(const char *path, char **value) {
        char dir[PATH_MAX], file[PATH_MAX];
        struct dirent **list = NULL;
        int r = 0;

        if ((size_t) snprintf(dir, sizeof(dir), "%s.d", path) >= sizeof(dir))
                return 0;
        int n = scandir(dir, &list, conf_filter, alphasort);
        for (int i = 0; i < n; i++) {
                if (r == 0 && (size_t) snprintf(file, sizeof(file), "%s/%s", dir, list[i]->d_name) < sizeof(file) &&
                    scan_file(file, value) == -ENOMEM)
                        r = -ENOMEM;
                free(list[i]);
        }
        free(list);
        return r;
}

/* Ownership is handed over explicitly: clang-tidy's analyser does not
 * follow the cleanup attribute. */
int rctl_config_api_socket(const char *path, char **ret) {
        char *value = NULL;

        int r = scan_file(path, &value);
        if (r == 0)
                r = scan_dropins(path, &value);
        if (r < 0) {
                free(value);
                return r;
        }
        *ret = value;
        return 0;
}
