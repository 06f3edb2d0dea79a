/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The keys of each section of refurbd.conf. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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

/* [API] */

static int parse_port(const char *s, uint16_t *ret) {
        unsigned v = 0;
        size_t n = strlen(s);
        if (n == 0 || n > 5)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*s - '0');
        }
        if (v > 65535)
                return -ERANGE;
        *ret = (uint16_t) v;
        return 0;
}

int rfd_listen_address_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        char host[INET6_ADDRSTRLEN + 1];
        const char *port;
        uint16_t p = 0;

        if (!s || !ret || !ret_len)
                return -EINVAL;
        if (s[0] == '[') {
                const char *end = strchr(s, ']');
                if (!end || end[1] != ':' || (size_t) (end - s - 1) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, (size_t) (end - s - 1));
                host[end - s - 1] = '\0';
                port = end + 2;
        } else {
                const char *colon = strrchr(s, ':');
                if (!colon || (size_t) (colon - s) >= sizeof(host) || memchr(s, ':', (size_t) (colon - s)))
                        return -EINVAL;
                memcpy(host, s, (size_t) (colon - s));
                host[colon - s] = '\0';
                port = colon + 1;
        }
        if (parse_port(port, &p) < 0)
                return -EINVAL;

        struct sockaddr_storage ss = { 0 };
        if (s[0] == '[') {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
                if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 || IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
                        return -EINVAL;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(p);
                *ret_len = sizeof(*sin6);
        } else {
                struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
                if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
                        return -EINVAL;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(p);
                *ret_len = sizeof(*sin);
        }
        *ret = ss;
        return 0;
}

bool rfd_listen_address_is_loopback(const struct sockaddr_storage *sa) {
        if (sa->ss_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
        if (sa->ss_family == AF_INET6)
                return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *) sa)->sin6_addr);
        return false;
}

bool rfd_listen_address_is_wildcard(const struct sockaddr_storage *sa) {
        if (sa->ss_family == AF_INET)
                return ((const struct sockaddr_in *) sa)->sin_addr.s_addr == htonl(INADDR_ANY);
        if (sa->ss_family == AF_INET6)
                return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *) sa)->sin6_addr);
        return false;
}

static uint16_t address_port(const struct sockaddr_storage *sa) {
        return ntohs(sa->ss_family == AF_INET ? ((const struct sockaddr_in *) sa)->sin_port
                                              : ((const struct sockaddr_in6 *) sa)->sin6_port);
}

static void free_strv(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free((void *) v);
}

static int add_listen(struct parser *p, const char *value) {
        struct rfd_config *c = p->config;
        struct sockaddr_storage ss;
        socklen_t len = 0;

        if (!*value) {
                free_strv(c->api_listen, c->n_api_listen);
                free_strv(c->api_listen_where, c->n_api_listen);
                c->api_listen = c->api_listen_where = NULL;
                c->n_api_listen = 0;
                return 0;
        }
        if (rfd_listen_address_parse(value, &ss, &len) < 0)
                return cfg_fail(p, "Listen= must be an IP address and a port such as 0.0.0.0:8443, [::]:8443 or "
                                   "127.0.0.1:8080, not '%s'", value);
        if (address_port(&ss) == 0)
                return cfg_fail(p, "Listen= needs a port from 1 to 65535, not '%s'", value);
        if (c->n_api_listen >= MAX_API_LISTEN)
                return cfg_fail(p, "too many Listen= addresses (at most %d)", MAX_API_LISTEN);

        _cleanup_free_ char *copy = strdup(value), *where = NULL;
        if (!copy || asprintf(&where, "%s:%u", p->file, p->line) < 0)
                return -ENOMEM;
        char **l = (char **) reallocarray((void *) c->api_listen, c->n_api_listen + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        c->api_listen = l;
        char **w = (char **) reallocarray((void *) c->api_listen_where, c->n_api_listen + 1, sizeof(char *));
        if (!w)
                return -ENOMEM;
        c->api_listen_where = w;
        c->api_listen[c->n_api_listen] = TAKE_PTR(copy);
        c->api_listen_where[c->n_api_listen] = TAKE_PTR(where);
        c->n_api_listen++;
        return 0;
}

static int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int rfd_config_api_key(struct parser *p, const char *key, const char *value) {
        struct rfd_config *c = p->config;

        if (strcmp(key, "Listen") == 0)
                return add_listen(p, value);
        if (strcmp(key, "TLS") == 0) {
                if (!*value)
                        c->api_tls = true;
                else if (parse_bool(value, &c->api_tls) < 0)
                        return cfg_fail(p, "TLS= must be 'yes' or 'no', not '%s'", value);
                return 0;
        }
        if (strcmp(key, "CertificateFile") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 1, &c->api_certificate_file);
        if (strcmp(key, "KeyFile") == 0)
                return cfg_set_path(p, key, value, PATH_MAX - 1, &c->api_key_file);
        if (strcmp(key, "WebDirectory") == 0) {
                int r = cfg_set_path(p, key, value, PATH_MAX - 256, &c->web_directory);
                /* Empty means "no pages": "" until rfd_config_api_finish(). */
                if (r == 0 && !*value && !(c->web_directory = strdup("")))
                        return -ENOMEM;
                return r;
        }
        if (strcmp(key, "SessionHours") == 0) {
                unsigned v = 0;
                bool ok = strlen(value) <= 3;
                if (!*value) {
                        c->session_hours = DEFAULT_SESSION_HOURS;
                        return 0;
                }
                for (const char *s = value; *s && ok; s++) {
                        ok = *s >= '0' && *s <= '9';
                        v = v * 10 + (unsigned) (*s - '0');
                }
                if (!ok || v < 1 || v > MAX_SESSION_HOURS)
                        return cfg_fail(p, "SessionHours= must be an integer from 1 to %d, not '%s'",
                                        MAX_SESSION_HOURS, value);
                c->session_hours = v;
                return 0;
        }
        return cfg_fail(p, "unknown key '%s' in section [API]", key);
}

static int api_fail(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static int api_fail(char *err, size_t errlen, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (err && errlen > 0)
                vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

int rfd_config_api_finish(struct rfd_config *c, char *err, size_t errlen) {
        struct sockaddr_storage *addrs = calloc(c->n_api_listen + 1, sizeof(*addrs));
        if (!addrs)
                return -ENOMEM;
        int r = 0;
        for (size_t i = 0; i < c->n_api_listen && r == 0; i++) {
                socklen_t len = 0;
                (void) rfd_listen_address_parse(c->api_listen[i], &addrs[i], &len);
                if (!c->api_tls && !rfd_listen_address_is_loopback(&addrs[i]))
                        r = api_fail(err, errlen,
                                     "%s: Listen=%s is not a loopback address: TLS=no is allowed only when every "
                                     "Listen= is in 127.0.0.0/8 or ::1",
                                     c->api_listen_where[i], c->api_listen[i]);
                for (size_t j = 0; j < i && r == 0; j++)
                        if (addrs[i].ss_family == addrs[j].ss_family && memcmp(&addrs[i], &addrs[j], len) == 0)
                                r = api_fail(err, errlen, "%s: Listen=%s is the same address as Listen=%s (%s)",
                                             c->api_listen_where[i], c->api_listen[i], c->api_listen[j],
                                             c->api_listen_where[j]);
        }
        free(addrs);
        if (r < 0)
                return r;

        if (!c->api_certificate_file != !c->api_key_file)
                return api_fail(err, errlen,
                                "%s: [API] %s= is set but %s= is not: give the certificate and its private key",
                                c->path, c->api_certificate_file ? "CertificateFile" : "KeyFile",
                                c->api_certificate_file ? "KeyFile" : "CertificateFile");
        if (c->web_directory && !c->web_directory[0]) {
                free(c->web_directory);
                c->web_directory = NULL;
        } else if (!c->web_directory && !(c->web_directory = strdup(REFURB_WEBDIR)))
                return -ENOMEM;
        return 0;
}

void rfd_config_api_free(struct rfd_config *c) {
        free_strv(c->api_listen, c->n_api_listen);
        free_strv(c->api_listen_where, c->n_api_listen);
        free(c->api_certificate_file);
        free(c->api_key_file);
        free(c->web_directory);
}
