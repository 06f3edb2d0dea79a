/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The keys of each section of refurbd.conf. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rfd-config-internal.h"

int rfd_config_daemon_key(struct parser *p, const char *key, const char *value) {
        struct rfd_config *c = p->config;

        if (strcmp(key, "StateDirectory") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 64, &c->state_directory);
        if (strcmp(key, "APISocket") == 0)
                return cfg_set_path(p, key, value, SUN_PATH_MAX, &c->api_socket);
        if (strcmp(key, "BenchName") == 0)
                return cfg_set_text(p, key, value, BENCH_NAME_MAX, &c->bench_name);
        if (strcmp(key, "Organisation") == 0)
                return cfg_set_text(p, key, value, TEXT_MAX, &c->organisation);
        if (strcmp(key, "Location") == 0)
                return cfg_set_text(p, key, value, TEXT_MAX, &c->location);
        if (strcmp(key, "Technician") == 0)
                return cfg_set_text(p, key, value, TEXT_MAX, &c->technician);
        return cfg_fail(p, "unknown key '%s' in section [Daemon]", key);
}

int rfd_config_erase_key(struct parser *p, const char *key, const char *value) {
        struct rfd_config *c = p->config;

        if (strcmp(key, "Verify") == 0) {
                if (!*value || strcmp(value, "full") == 0)
                        c->verify = WIPE_VERIFY_FULL;
                else if (strcmp(value, "sample") == 0)
                        c->verify = WIPE_VERIFY_SAMPLE;
                else
                        return cfg_fail(p, "Verify= must be 'full' or 'sample', not '%s'", value);
                return 0;
        }
        if (strcmp(key, "VerifyPercent") == 0) {
                if (!*value)
                        c->verify_percent = DEFAULT_VERIFY_PERCENT;
                else if (cfg_parse_percent(value, &c->verify_percent) < 0)
                        return cfg_fail(p, "VerifyPercent= must be an integer from 1 to 100, not '%s'", value);
                return 0;
        }
        if (strcmp(key, "Method") == 0) {
                if (!*value || strcmp(value, "auto") == 0)
                        c->erase_method = WIPE_ERASE_AUTO;
                else if (strcmp(value, "overwrite") == 0)
                        c->erase_method = WIPE_ERASE_OVERWRITE;
                else
                        return cfg_fail(p, "Method= must be 'auto' or 'overwrite', not '%s'", value);
                return 0;
        }
        if (strcmp(key, "ValidatePercent") == 0) {
                if (!*value)
                        c->validate_percent = DEFAULT_VALIDATE_PERCENT;
                else if (cfg_parse_percent(value, &c->validate_percent) < 0)
                        return cfg_fail(p, "ValidatePercent= must be an integer from 1 to 100, not '%s'", value);
                return 0;
        }
        return cfg_fail(p, "unknown key '%s' in section [Erase]", key);
}

int rfd_config_bay_key(struct parser *p, const char *key, const char *value) {
        struct rfd_bay_config *b = &p->config->bays[p->bay];

        if (strcmp(key, "MatchDevice") == 0) {
                if (*value && value[0] != '/')
                        return cfg_fail(p, "MatchDevice= must be an absolute path or glob such as /dev/sdb, not '%s'",
                                    value);
                return cfg_set_string(&b->match_device, value);
        }
        if (strcmp(key, "MatchPath") == 0) {
                for (const char *s = value; *s; s++)
                        if (cfg_is_space(*s))
                                return cfg_fail(p, "MatchPath= must not contain blanks: '%s'", value);
                return cfg_set_string(&b->match_path, value);
        }
        if (strcmp(key, "Policy") == 0) {
                if (!*value || strcmp(value, "confirm") == 0)
                        b->policy = RFD_POLICY_CONFIRM;
                else if (strcmp(value, "auto") == 0)
                        b->policy = RFD_POLICY_AUTO;
                else
                        return cfg_fail(p, "Policy= must be 'auto' or 'confirm', not '%s'", value);
                return 0;
        }
        if (strcmp(key, "Profile") == 0) {
                for (const char *c = value; *c; c++)
                        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                              *c == '-' || *c == '_' || *c == '.'))
                                return cfg_fail(p, "Profile= must be a profile name (letters, digits, '-', '_', '.'), "
                                                   "not '%s'", value);
                if (value[0] == '.' || strlen(value) > 64)
                        return cfg_fail(p, "Profile= must be a profile name of 1 to 64 characters, not '%s'", value);
                return cfg_set_string(&b->profile, value);
        }
        return cfg_fail(p, "unknown key '%s' in section [Bay %s]", key, b->name);
}


int rfd_config_image_key(struct parser *p, const char *key, const char *value) {
        struct rfd_config *c = p->config;

        if (strcmp(key, "ProfileDirectory") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 128, &c->profile_directory);
        if (strcmp(key, "TrustedKeysDirectory") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 128, &c->trusted_keys_directory);
        if (strcmp(key, "CacheDirectory") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 256, &c->image_cache_directory);
        if (strcmp(key, "HooksDirectory") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 128, &c->hooks_directory);
        if (strcmp(key, "CAFile") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 1, &c->ca_file);
        if (strcmp(key, "VerifyPercent") == 0) {
                if (!*value)
                        c->image_verify_percent = DEFAULT_IMAGE_VERIFY_PERCENT;
                else if (cfg_parse_percent(value, &c->image_verify_percent) < 0)
                        return cfg_fail(p, "VerifyPercent= must be an integer from 1 to 100, not '%s'", value);
                return 0;
        }
        return cfg_fail(p, "unknown key '%s' in section [Image]", key);
}
