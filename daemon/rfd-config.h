/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "wipe-erase.h"
#include "wipe-overwrite.h"

/* refurbd configuration: an INI file in the systemd style plus drop-ins.
 *
 *   [Daemon]
 *   StateDirectory=/var/lib/refurbd
 *   APISocket=/run/refurbd/api.sock
 *   BenchName=atelier-1            (default: the host name)
 *   Organisation=Association ...   (default: empty)
 *   Location=Ville                 (default: empty)
 *   Technician=Nom                 (default: empty; who signs as operator)
 *
 *   [Erase]
 *   Verify=full|sample
 *   VerifyPercent=10              (1..100; used with Verify=sample)
 *   Method=auto|overwrite         (auto: the drive's firmware Purge when it has one)
 *   ValidatePercent=10            (1..100; read-back sample after a firmware erase)
 *
 *   [Bay NAME]                     (NAME: letters, digits, '-', '_', '.')
 *   MatchDevice=/dev/loop3         (glob on the device node)
 *   MatchPath=pci-0000:00:14.0-usb-0:1:1.0-scsi-0:0:0:0   (glob on ID_PATH)
 *   Policy=auto|confirm
 *   Profile=classe-debian12        (optional: write this image profile after
 *                                   the erasure, then customise and check it)
 *
 *   [Image]
 *   ProfileDirectory=/etc/refurbd/profiles   (NAME.profile + its signature)
 *   TrustedKeysDirectory=/etc/refurbd/trusted-keys
 *   CacheDirectory=/var/cache/refurbd/images
 *   HooksDirectory=/usr/lib/refurb/hooks/post-image.d
 *   CAFile=                        (extra CA bundle for https downloads)
 *   VerifyPercent=5                (read-back sample of the written image)
 *
 *   [API]                          (the network API, docs/network-api.md)
 *   Listen=0.0.0.0:8443            (repeatable; [::]:8443, 127.0.0.1:8080; empty: forget
 *                                   the previous ones; none: no network API)
 *   TLS=yes|no                     (no: plain HTTP, only if every Listen= is loopback)
 *   CertificateFile=               (PEM; empty: StateDirectory/tls/bench-tls.pem)
 *   KeyFile=                       (its private key; set both or neither)
 *   WebDirectory=/usr/share/refurb/web   (empty: no web pages)
 *   SessionHours=12                (1..168)
 *
 * Files: the main file, then PATH.d/ *.conf (i.e. refurbd.conf.d/ beside
 * refurbd.conf) in lexical order; later files override keys of the same
 * section. Comments start with '#' or ';'. Unknown sections and keys,
 * malformed lines, bad values and bays without a match are errors. */

enum rfd_policy {
        RFD_POLICY_CONFIRM = 0,
        RFD_POLICY_AUTO,
};

struct rfd_bay_config {
        char *name;
        char *match_device; /* may be NULL */
        char *match_path;   /* may be NULL */
        enum rfd_policy policy;
        char *profile;      /* image profile name, NULL: erase only */
        char *file;         /* where the section was (last) defined, for messages */
        unsigned line;
};

struct rfd_config {
        char *path;              /* main file */
        char *state_directory;   /* default /var/lib/refurbd */
        char *api_socket;        /* default /run/refurbd/api.sock */
        char *bench_name;        /* default: gethostname() */
        char *organisation;      /* default "" */
        char *location;          /* default "" */
        char *technician;        /* default "" */
        enum wipe_verify_mode verify;   /* default full */
        unsigned verify_percent;        /* default 10 */
        enum wipe_erase_choice erase_method; /* Method=auto|overwrite, default auto */
        unsigned validate_percent;      /* ValidatePercent= read-back after a firmware erase, default 10 */
        char *profile_directory;
        char *trusted_keys_directory;
        char *image_cache_directory;
        char *hooks_directory;
        char *ca_file;                  /* NULL: the system's CAs only */
        unsigned image_verify_percent;  /* default 5 */
        char **api_listen;              /* [API] Listen= as written ("0.0.0.0:8443"); none: no network API */
        size_t n_api_listen;
        char **api_listen_where;        /* "file:line" of each Listen=, for messages */
        bool api_tls;                   /* TLS=, default yes */
        char *api_certificate_file;     /* NULL: StateDirectory/tls/bench-tls.pem, made on first start */
        char *api_key_file;             /* NULL exactly when api_certificate_file is */
        char *web_directory;            /* default REFURB_WEBDIR; NULL: WebDirectory= empty, no pages */
        unsigned session_hours;         /* 1..168, default 12 */
        struct rfd_bay_config *bays;
        size_t n_bays;
};

#define RFD_DEFAULT_CONFIG REFURB_SYSCONFDIR "/refurbd/refurbd.conf"

/* Load path and its drop-ins. On error returns a negative errno and writes
 * "file:line: what is wrong" (or "file: reason" when the file cannot be
 * read) into err. A missing main file is an error unless allow_missing. */
int rfd_config_load(const char *path, bool allow_missing, struct rfd_config **ret, char *err, size_t errlen);
/* Parse from memory (unit tests); name is used in messages. No drop-ins. */
int rfd_config_parse_string(const char *name, const char *text, struct rfd_config **ret, char *err, size_t errlen);
void rfd_config_free(struct rfd_config *c);
static inline void rfd_config_freep(struct rfd_config **p) {
        if (*p)
                rfd_config_free(*p);
}
#define _cleanup_rfd_config_ __attribute__((cleanup(rfd_config_freep)))

const char *rfd_policy_to_string(enum rfd_policy p);

/* A Listen= address: "A.B.C.D:PORT" or "[IPV6]:PORT", numeric only, port
 * 0..65535 written in decimal (the configuration refuses 0), no IPv4-mapped
 * IPv6 address (write the IPv4 address). Fills *ret and *ret_len; -EINVAL
 * when s is anything else. */
int rfd_listen_address_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);
/* 127.0.0.0/8 or ::1 (a wildcard 0.0.0.0 or :: is not loopback). */
bool rfd_listen_address_is_loopback(const struct sockaddr_storage *sa);
/* 0.0.0.0 or ::. */
bool rfd_listen_address_is_wildcard(const struct sockaddr_storage *sa);
