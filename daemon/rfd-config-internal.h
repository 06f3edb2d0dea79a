/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Shared by rfd-config.c (the parser) and rfd-config-keys.c (the keys of
 * each section). */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "rf-macro.h"
#include "rfd-config.h"

#define CONFIG_MAX_SIZE ((size_t) (1 * MiB))
#define CONFIG_MAX_LINE 4096
#define BAY_NAME_MAX 64
#define BENCH_NAME_MAX 64 /* it becomes the certificate's CN */
#define TEXT_MAX 256
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1)

#define DEFAULT_STATE_DIRECTORY "/var/lib/refurbd"
#define DEFAULT_API_SOCKET "/run/refurbd/api.sock"
#define DEFAULT_VALIDATE_PERCENT 10
#define DEFAULT_VERIFY_PERCENT 10
#define DEFAULT_IMAGE_VERIFY_PERCENT 5
#define DEFAULT_PROFILE_DIRECTORY REFURB_SYSCONFDIR "/refurbd/profiles"
#define DEFAULT_TRUSTED_KEYS_DIRECTORY REFURB_SYSCONFDIR "/refurbd/trusted-keys"
#define DEFAULT_IMAGE_CACHE_DIRECTORY "/var/cache/refurbd/images"
#define DEFAULT_SESSION_HOURS 12
#define MAX_SESSION_HOURS 168
#define MAX_API_LISTEN 16

enum section {
        SECTION_NONE = 0,
        SECTION_DAEMON,
        SECTION_ERASE,
        SECTION_BAY,
        SECTION_IMAGE,
        SECTION_API,
};

struct parser {
        struct rfd_config *config;
        const char *file;
        unsigned line;
        enum section section;
        size_t bay; /* index in config->bays while in a [Bay] section */
        char *err;
        size_t errlen;
};

/* "file:line: message"; returns -EINVAL. */
int cfg_fail(const struct parser *p, const char *fmt, ...) _printf_(2, 3);
bool cfg_is_space(char c);
/* Replace *field by a copy of value, or by NULL (the default) if empty. */
int cfg_set_string(char **field, const char *value);
int cfg_set_path(const struct parser *p, const char *key, const char *value, size_t max, char **field);
int cfg_set_text(const struct parser *p, const char *key, const char *value, size_t max, char **field);
int cfg_parse_percent(const char *s, unsigned *ret);

int rfd_config_daemon_key(struct parser *p, const char *key, const char *value);
int rfd_config_erase_key(struct parser *p, const char *key, const char *value);
int rfd_config_bay_key(struct parser *p, const char *key, const char *value);
int rfd_config_image_key(struct parser *p, const char *key, const char *value);
int rfd_config_api_key(struct parser *p, const char *key, const char *value);
/* Checks of [API] that need the whole configuration, then its defaults. */
int rfd_config_api_finish(struct rfd_config *c, char *err, size_t errlen);
void rfd_config_api_free(struct rfd_config *c);
