/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rctl-remote.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(CURLU *, curl_url_cleanup)
static inline void curl_freep(char **p) {
        if (*p)
                curl_free(*p);
}
#define _cleanup_curl_free_ _cleanup_(curl_freep)

/* A macro, not a variadic function: see rctl_fail() in rctl.h. */
#define set_err(err, errlen, ...) ((void) snprintf((err), (errlen), __VA_ARGS__))

void rctl_secret_free(char *s) {
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

bool rctl_host_is_loopback(const char *host) {
        char buf[INET6_ADDRSTRLEN + 2];
        struct in_addr a4;
        struct in6_addr a6;

        if (!host || !*host)
                return false;
        if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
                return true;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;

        size_t n = strlen(host);
        if (host[0] == '[') {
                if (n < 3 || host[n - 1] != ']' || n - 2 >= sizeof(buf))
                        return false;
                memcpy(buf, host + 1, n - 2);
                buf[n - 2] = '\0';
        } else {
                if (n >= sizeof(buf))
                        return false;
                memcpy(buf, host, n + 1);
        }
        if (inet_pton(AF_INET6, buf, &a6) != 1)
                return false;
        if (IN6_IS_ADDR_LOOPBACK(&a6))
                return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

/* Is a part of the URL there? */
static bool has_part(CURLU *u, CURLUPart part) {
        _cleanup_curl_free_ char *v = NULL;
        return curl_url_get(u, part, &v, 0) == CURLUE_OK && v && *v;
}

int rctl_check_url(const char *url, const char *what, enum rf_lang lang, char **ret, bool *ret_tls, char *err,
                   size_t errlen) {
        _cleanup_(curl_url_cleanupp) CURLU *u = NULL;
        _cleanup_curl_free_ char *host = NULL, *full = NULL;
        bool tls;

        if (!url || !*url) {
                set_err(err, errlen,
                        RF_TR(lang, "%s est vide : donnez l'adresse du banc, par exemple https://banc:8443.",
                              "%s is empty: give the bench's address, for example https://bench:8443."),
                        what);
                return -EINVAL;
        }
        size_t n = strlen(url);
        if (n > RCTL_URL_MAX) {
                set_err(err, errlen,
                        RF_TR(lang, "%s est trop longue (%zu caractères, %d au plus).",
                              "%s is too long (%zu characters, at most %d)."),
                        what, n, RCTL_URL_MAX);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) url[i] <= 0x20 || (unsigned char) url[i] >= 0x7f) {
                        set_err(err, errlen,
                                RF_TR(lang,
                                      "%s contient un caractère inattendu à la position %zu (espace, caractère de contrôle ou non ASCII).",
                                      "%s holds an unexpected character at position %zu (space, control or non-ASCII character)."),
                                what, i + 1);
                        return -EINVAL;
                }
        if (strncasecmp(url, "https://", 8) == 0)
                tls = true;
        else if (strncasecmp(url, "http://", 7) == 0)
                tls = false;
        else {
                set_err(err, errlen,
                        RF_TR(lang,
                              "%s « %s » doit commencer par https:// (par exemple https://banc:8443), ou par http:// pour cette machine elle-même.",
                              "%s '%s' must start with https:// (for example https://bench:8443), or http:// for this machine itself."),
                        what, url);
                return -EINVAL;
        }

        u = curl_url();
        if (!u) {
                set_err(err, errlen, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        }
        CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
        if (uc != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
                set_err(err, errlen,
                        RF_TR(lang, "%s « %s » n'est pas une adresse lisible (%s).",
                              "%s '%s' is not a readable address (%s)."),
                        what, url, uc != CURLUE_OK ? curl_url_strerror(uc) : RF_TR(lang, "pas de nom de machine", "no host name"));
                return -EINVAL;
        }
        if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD)) {
                set_err(err, errlen,
                        RF_TR(lang,
                              "%s ne doit contenir ni nom d'utilisateur ni mot de passe : le jeton se donne par --token-file.",
                              "%s must hold no user name or password: the token is given with --token-file."),
                        what);
                return -EINVAL;
        }
        if (has_part(u, CURLUPART_QUERY) || has_part(u, CURLUPART_FRAGMENT)) {
                set_err(err, errlen,
                        RF_TR(lang, "%s « %s » ne doit contenir ni « ? » ni « # » : seulement https://MACHINE:PORT.",
                              "%s '%s' must hold no '?' or '#': only https://HOST:PORT."),
                        what, url);
                return -EINVAL;
        }
        if (!tls && !rctl_host_is_loopback(host)) {
                set_err(err, errlen,
                        RF_TR(lang,
                              "%s « %s » : TLS est obligatoire pour joindre un autre ordinateur (le jeton passerait en clair sur le réseau). Employez https://%s:PORT ; http:// n'est admis que vers cette machine (localhost, 127.0.0.1, ::1).",
                              "%s '%s': TLS is required to reach another computer (the token would cross the network in clear). Use https://%s:PORT; http:// is only accepted towards this machine (localhost, 127.0.0.1, ::1)."),
                        what, url, host);
                return -EPROTONOSUPPORT;
        }
        if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK || !full) {
                set_err(err, errlen, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        }
        char *copy = strdup(full);
        if (!copy) {
                set_err(err, errlen, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        }
        size_t len = strlen(copy);
        while (len > 0 && copy[len - 1] == '/')
                copy[--len] = '\0';
        *ret = copy;
        *ret_tls = tls;
        return 0;
}

/* Why a file cannot be opened, in words. */
static const char *open_words(int e, enum rf_lang lang) {
        switch (e) {
        case ENOENT:
                return RF_TR(lang, "il n'existe pas", "it does not exist");
        case EACCES:
        case EPERM:
                return RF_TR(lang, "permission refusée", "permission denied");
        case ENOTDIR:
                return RF_TR(lang, "un élément du chemin n'est pas un répertoire", "a part of the path is not a directory");
        default:
                return strerror(e);
        }
}

/* Open a regular file of at most max bytes for reading; what names it in
 * messages ("le fichier de jeton"). */
static int open_small_file(const char *path, size_t max, const char *what_fr, const char *what_en, enum rf_lang lang,
                           struct stat *st, char *err, size_t errlen) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int e = errno;
                set_err(err, errlen, RF_TR(lang, "Impossible d'ouvrir %s %s : %s.", "Cannot open %s %s: %s."),
                        RF_TR(lang, what_fr, what_en), path, open_words(e, lang));
                return -e;
        }
        if (fstat(fd, st) < 0) {
                int e = errno;
                close(fd);
                set_err(err, errlen, RF_TR(lang, "Impossible de lire %s %s : %s.", "Cannot read %s %s: %s."),
                        RF_TR(lang, what_fr, what_en), path, strerror(e));
                return -e;
        }
        if (!S_ISREG(st->st_mode)) {
                close(fd);
                set_err(err, errlen,
                        RF_TR(lang, "%s %s n'est pas un fichier ordinaire.", "%s %s is not a regular file."),
                        RF_TR(lang, what_fr, what_en), path);
                return -EINVAL;
        }
        if ((uint64_t) st->st_size > max) {
                close(fd);
                set_err(err, errlen,
                        RF_TR(lang, "%s %s est trop grand (%lld octets, %zu au plus).",
                              "%s %s is too large (%lld bytes, at most %zu)."),
                        RF_TR(lang, what_fr, what_en), path, (long long) st->st_size, max);
                return -EFBIG;
        }
        return fd;
}

/* Read at most max bytes (the file may have grown since fstat); *ret_len is
 * max + 1 when there was more. buf holds max + 2 bytes. */
static int read_all(int fd, char *buf, size_t max, size_t *ret_len) {
        size_t len = 0;
        while (len <= max) {
                ssize_t k = read(fd, buf + len, max + 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = '\0';
        *ret_len = len;
        return 0;
}

int rctl_read_token_file(const char *path, enum rf_lang lang, char **ret, char *err, size_t errlen) {
        char buf[RCTL_TOKEN_FILE_MAX + 2];
        struct stat st = {};
        size_t len = 0;

        int fd = open_small_file(path, RCTL_TOKEN_FILE_MAX, "le fichier de jeton", "the token file", lang, &st, err,
                                 errlen);
        if (fd < 0)
                return fd;
        _cleanup_close_ int cfd = fd;
        mode_t mode = st.st_mode & 07777;
        if (mode & (S_IRWXG | S_IRWXO)) {
                set_err(err, errlen,
                        RF_TR(lang,
                              "Le fichier de jeton %s est %s par d'autres que son propriétaire (mode %04o) : refusé. Faites « chmod 600 %s » (et, si d'autres ont pu le lire, révoquez ce jeton et demandez-en un autre).",
                              "The token file %s may be %s by others than its owner (mode %04o): refused. Run 'chmod 600 %s' (and if others could read it, revoke this token and ask for another one)."),
                        path,
                        mode & (S_IRGRP | S_IROTH) ? RF_TR(lang, "lisible", "read") : RF_TR(lang, "modifiable", "modified"),
                        (unsigned) mode, path);
                return -EPERM;
        }
        int r = read_all(cfd, buf, RCTL_TOKEN_FILE_MAX, &len);
        if (r < 0) {
                set_err(err, errlen,
                        RF_TR(lang, "Impossible de lire le fichier de jeton %s : %s.", "Cannot read the token file %s: %s."),
                        path, strerror(-r));
                return r;
        }
        if (len > RCTL_TOKEN_FILE_MAX) {
                explicit_bzero(buf, sizeof(buf));
                set_err(err, errlen,
                        RF_TR(lang, "Le fichier de jeton %s est trop grand (%d octets au plus).",
                              "The token file %s is too large (at most %d bytes)."),
                        path, RCTL_TOKEN_FILE_MAX);
                return -EFBIG;
        }
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len > 0 && buf[len - 1] == '\r')
                len--;
        buf[len] = '\0';

        const char *problem = NULL;
        size_t column = 0;
        if (len == 0)
                problem = RF_TR(lang, "est vide", "is empty");
        else if (len > RCTL_TOKEN_MAX)
                problem = RF_TR(lang, "contient une ligne trop longue pour un jeton", "holds a line too long for a token");
        for (size_t i = 0; !problem && i < len; i++) {
                unsigned char c = (unsigned char) buf[i];
                if (c == '\n')
                        problem = RF_TR(lang, "contient plusieurs lignes", "holds several lines");
                else if (c <= 0x20 || c >= 0x7f) {
                        problem = RF_TR(lang, "contient une espace ou un caractère inattendu",
                                        "holds a space or an unexpected character");
                        column = i + 1;
                }
        }
        if (problem) {
                explicit_bzero(buf, sizeof(buf));
                if (column > 0)
                        set_err(err, errlen,
                                RF_TR(lang,
                                      "Le fichier de jeton %s %s (colonne %zu) : il doit contenir une seule ligne, le jeton (rfb1_…).",
                                      "The token file %s %s (column %zu): it must hold one line, the token (rfb1_…)."),
                                path, problem, column);
                else
                        set_err(err, errlen,
                                RF_TR(lang, "Le fichier de jeton %s %s : il doit contenir une seule ligne, le jeton (rfb1_…).",
                                      "The token file %s %s: it must hold one line, the token (rfb1_…)."),
                                path, problem);
                return -EINVAL;
        }
        char *token = strdup(buf);
        explicit_bzero(buf, sizeof(buf));
        if (!token) {
                set_err(err, errlen, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        }
        *ret = token;
        return 0;
}

int rctl_check_ca_file(const char *path, enum rf_lang lang, char *err, size_t errlen) {
        struct stat st = {};
        size_t len = 0;

        int fd = open_small_file(path, RCTL_CA_FILE_MAX, "le fichier de certificats --ca-file",
                                 "the --ca-file certificate file", lang, &st, err, errlen);
        if (fd < 0)
                return fd;
        _cleanup_close_ int cfd = fd;
        _cleanup_free_ char *buf = malloc(RCTL_CA_FILE_MAX + 2);
        if (!buf) {
                set_err(err, errlen, "%s", RF_TR(lang, "Mémoire insuffisante.", "Out of memory."));
                return -ENOMEM;
        }
        int r = read_all(cfd, buf, RCTL_CA_FILE_MAX, &len);
        if (r < 0) {
                set_err(err, errlen,
                        RF_TR(lang, "Impossible de lire le fichier de certificats %s : %s.",
                              "Cannot read the certificate file %s: %s."),
                        path, strerror(-r));
                return r;
        }
        if (len > RCTL_CA_FILE_MAX || !memmem(buf, len, "-----BEGIN CERTIFICATE-----", 27)) {
                set_err(err, errlen,
                        RF_TR(lang,
                              "Le fichier %s (--ca-file) ne contient aucun certificat PEM (-----BEGIN CERTIFICATE-----) : donnez le certificat TLS du banc.",
                              "The file %s (--ca-file) holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the bench's TLS certificate."),
                        path);
                return -EINVAL;
        }
        return 0;
}

/* A role name from the daemon: lower-case letters only, or NULL. */
static const char *role_word(const json_t *v) {
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) > 32)
                return NULL;
        for (const char *p = s; *p; p++)
                if (*p < 'a' || *p > 'z')
                        return NULL;
        return s;
}

void rctl_denied_words(const json_t *doc, long status, bool had_token, const char *method, const char *path,
                       enum rf_lang lang, char *out, size_t outlen) {
        const json_t *e = json_is_object(doc) ? json_object_get(doc, "error") : NULL;
        const char *code = json_is_object(e) ? json_string_value(json_object_get(e, "code")) : NULL;
        const char *role = json_is_object(e) ? role_word(json_object_get(e, "role")) : NULL;

        if (status == 401) {
                if (!had_token)
                        set_err(out, outlen, "%s",
                                RF_TR(lang,
                                      "ce banc demande un jeton : donnez-le avec --token-file FICHIER (ou REFURB_TOKEN_FILE)",
                                      "this bench asks for a token: give it with --token-file FILE (or REFURB_TOKEN_FILE)"));
                else
                        set_err(out, outlen, "%s",
                                RF_TR(lang,
                                      "jeton refusé (inconnu, révoqué ou expiré) : demandez-en un nouveau à l'administrateur du banc (« refurbctl token create » sur le banc)",
                                      "token refused (unknown, revoked or expired): ask the bench's administrator for a new one ('refurbctl token create' on the bench)"));
                return;
        }
        if (code && strcmp(code, "unix-only") == 0) {
                set_err(out, outlen,
                        RF_TR(lang,
                              "%s %s est réservé à l'administrateur, sur le banc lui-même (sudo refurbctl, par le socket Unix, sans --url)",
                              "%s %s is reserved to the administrator, on the bench itself (sudo refurbctl, through the Unix socket, without --url)"),
                        method, path);
                return;
        }
        if (!role && !(code && strcmp(code, "forbidden") == 0)) {
                /* csrf or another refusal: no role to name. */
                set_err(out, outlen,
                        RF_TR(lang, "accès refusé à %s %s (HTTP 403, code « %s »)", "access to %s %s denied (HTTP 403, code '%s')"),
                        method, path, code && strlen(code) < 32 ? code : "?");
                return;
        }

        char allowed[160] = "";
        const json_t *list = json_object_get(e, "allowed");
        size_t i, used = 0;
        const json_t *v;
        json_array_foreach(list, i, v) {
                const char *w = role_word(v);
                if (!w || i >= 8)
                        continue;
                int k = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", used ? ", " : "", w);
                if (k < 0 || (size_t) k >= sizeof(allowed) - used)
                        break;
                used += (size_t) k;
        }
        if (*allowed)
                set_err(out, outlen,
                        RF_TR(lang, "votre rôle (%s) ne permet pas cette action (%s %s) ; rôles qui le peuvent : %s",
                              "your role (%s) does not allow this (%s %s); roles that may: %s"),
                        role ? role : "?", method, path, allowed);
        else
                set_err(out, outlen,
                        RF_TR(lang, "votre rôle (%s) ne permet pas cette action (%s %s)",
                              "your role (%s) does not allow this (%s %s)"),
                        role ? role : "?", method, path);
}
