/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fetching what a profile references: a local file hashed in place, or an
 * https:// download into the cache, resumed, verified, then renamed. */
#include "img-fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <curl/curl.h>

#include "img-fetch-cache.h"
#include "rf-macro.h"
#include "rf-util.h"

#define URL_MAX 4096
#define LOW_SPEED_BYTES 1024
#define CONNECT_TIMEOUT_SEC 30L
#define SPACE_RESERVE (256 * MiB) /* left free in the cache's file system */
#define MAX_REQUESTS 3            /* first try, restart after a refused Range, restart after a mismatch */

#ifndef REFURB_VERSION
#define REFURB_VERSION "0"
#endif

static void curl_cleanupp(CURL **c) {
        if (*c)
                curl_easy_cleanup(*c);
}

static int errorf(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
static int errorf(char *err, size_t errlen, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (err && errlen)
                vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        return r;
}

void img_fetched_clear(struct img_fetched *f) {
        if (!f)
                return;
        if (f->fd >= 0)
                close(f->fd);
        free(f->path);
        *f = (struct img_fetched) { .fd = -1 };
}

/* One HTTP request appending to the .part. */
struct download {
        CURL *curl;
        const struct img_fetch_opts *o;
        const char *url;
        const char *part_path;
        int fd;
        uint64_t offset;      /* bytes already in the .part when the body started */
        bool resuming;        /* Range asked for */
        bool started;         /* first body bytes seen */
        long bad_code;        /* a status we refuse to store the body of */
        int write_errno;
        uint64_t written;     /* by this request */
        char curl_err[CURL_ERROR_SIZE];
};

static bool cancelled(const struct img_fetch_opts *o) {
        return o->cancel && atomic_load(o->cancel);
}

/* Before the first byte of a body: is it what we asked for, does it fit? */
static int body_start(struct download *d) {
        CURL *c = d->curl;
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (code == 200 && d->resuming) {
                /* The server ignored Range (libcurl normally refuses that
                 * itself): start the file again from its first byte. */
                if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
                        return -errno;
                d->offset = 0;
                d->resuming = false;
        } else if (!(code == 200 || (code == 206 && d->resuming))) {
                d->bad_code = code;
                return -EPROTO;
        }
        curl_off_t cl = -1;
        struct statvfs sv;
        if (curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl > 0 &&
            fstatvfs(d->fd, &sv) == 0 && (uint64_t) sv.f_bavail * sv.f_frsize < (uint64_t) cl + SPACE_RESERVE)
                return -ENOSPC;
        return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct download *d = userdata;
        size_t len = size * nmemb;
        if (!d->started) {
                d->started = true;
                int k = body_start(d);
                if (k < 0) {
                        d->write_errno = -k;
                        return 0;
                }
        }
        for (size_t done = 0; done < len;) {
                ssize_t n = write(d->fd, ptr + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        d->write_errno = errno;
                        return 0;
                }
                done += (size_t) n;
        }
        d->written += len;
        return len;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        struct download *d = userdata;
        (void) ultotal;
        (void) ulnow;
        if (cancelled(d->o))
                return 1;
        struct img_fetch_progress *p = d->o->progress;
        if (p) {
                atomic_store(&p->done, d->offset + (uint64_t) (dlnow > 0 ? dlnow : 0));
                atomic_store(&p->total, dltotal > 0 ? d->offset + (uint64_t) dltotal : 0);
        }
        return 0;
}

static int setup(struct download *d, CURL *c) {
        const struct img_fetch_opts *o = d->o;
        long low = o->low_speed_seconds ? (long) o->low_speed_seconds : 60L;
        CURLcode e = CURLE_OK;
#define SET(opt, val)                                        \
        do {                                                 \
                if (e == CURLE_OK)                           \
                        e = curl_easy_setopt(c, opt, val);   \
        } while (0)
        SET(CURLOPT_URL, d->url);
        SET(CURLOPT_PROTOCOLS_STR, "https");
        SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
        SET(CURLOPT_FOLLOWLOCATION, 1L);
        SET(CURLOPT_MAXREDIRS, 5L);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (o->ca_file)
                SET(CURLOPT_CAINFO, o->ca_file);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_FAILONERROR, 1L);
        SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_SEC);
        SET(CURLOPT_LOW_SPEED_LIMIT, (long) LOW_SPEED_BYTES);
        SET(CURLOPT_LOW_SPEED_TIME, low);
        SET(CURLOPT_USERAGENT, "refurb/" REFURB_VERSION);
        SET(CURLOPT_ERRORBUFFER, d->curl_err);
        SET(CURLOPT_WRITEFUNCTION, on_body);
        SET(CURLOPT_WRITEDATA, d);
        SET(CURLOPT_NOPROGRESS, 0L);
        SET(CURLOPT_XFERINFOFUNCTION, on_progress);
        SET(CURLOPT_XFERINFODATA, d);
        if (d->resuming)
                SET(CURLOPT_RESUME_FROM_LARGE, (curl_off_t) d->offset);
#undef SET
        return e == CURLE_OK ? 0 : -EINVAL;
}

/* What went wrong, in French, naming the URL and the HTTP status. -ERANGE:
 * the server does not do Range (internal: restart from zero). */
static int download_error(struct download *d, CURLcode e, char *err, size_t errlen) {
        long code = 0;
        curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &code);
        const char *why = d->curl_err[0] ? d->curl_err : curl_easy_strerror(e);
        unsigned low = d->o->low_speed_seconds ? d->o->low_speed_seconds : 60;
        switch (e) {
        case CURLE_ABORTED_BY_CALLBACK:
                return errorf(err, errlen, -ECANCELED, "téléchargement de %s annulé", d->url);
        case CURLE_RANGE_ERROR:
                return -ERANGE;
        case CURLE_HTTP_RETURNED_ERROR:
                return errorf(err, errlen, -EPROTO, "le serveur a répondu HTTP %ld pour %s", code, d->url);
        case CURLE_OPERATION_TIMEDOUT:
                return errorf(err, errlen, -ETIMEDOUT,
                              "téléchargement de %s trop lent (moins de %d octets/s pendant %u s ; HTTP %ld, "
                              "%" PRIu64 " octets reçus) : %s ; la prochaine tentative reprendra",
                              d->url, LOW_SPEED_BYTES, low, code, d->written, why);
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_TOO_MANY_REDIRECTS:
                return errorf(err, errlen, -EPROTO, "téléchargement de %s refusé (https seulement) : %s", d->url, why);
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
                return errorf(err, errlen, -EPROTO, "connexion TLS à %s refusée : %s", d->url, why);
        case CURLE_WRITE_ERROR:
                if (d->write_errno == EPROTO)
                        return errorf(err, errlen, -EPROTO, "réponse HTTP %ld inattendue pour %s (200 ou 206 attendu)",
                                      d->bad_code, d->url);
                if (d->write_errno == ENOSPC)
                        return errorf(err, errlen, -ENOSPC, "pas assez de place pour %s dans %s", d->url,
                                      d->part_path);
                if (d->write_errno)
                        return errorf(err, errlen, -d->write_errno, "écriture de %s impossible : %s", d->part_path,
                                      strerror(d->write_errno));
                break;
        default:
                break;
        }
        return errorf(err, errlen, -EIO,
                      "téléchargement de %s interrompu (HTTP %ld, %" PRIu64 " octets reçus, %" PRIu64
                      " dans le cache) : %s ; la prochaine tentative reprendra",
                      d->url, code, d->written, d->offset + d->written, why);
}

/* One request into part_path: continued from its end when resume is true
 * and it holds something, from zero otherwise. */
static int download_once(const struct img_fetch_opts *o, const char *url, const char *part_path, bool resume,
                         bool *ret_resumed, uint64_t *downloaded, char *err, size_t errlen) {
        _cleanup_close_ int fd = open(part_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return errorf(err, errlen, -errno, "création de %s impossible : %s", part_path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return errorf(err, errlen, -EINVAL, "%s n'est pas un fichier ordinaire", part_path);
        if (!resume && st.st_size > 0 && ftruncate(fd, 0) < 0)
                return errorf(err, errlen, -errno, "%s : %s", part_path, strerror(errno));
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0)
                return -errno;

        _cleanup_(curl_cleanupp) CURL *c = curl_easy_init();
        if (!c)
                return -ENOMEM;
        struct download d = {
                .curl = c, .o = o, .url = url, .part_path = part_path, .fd = fd,
                .offset = (uint64_t) end, .resuming = end > 0,
        };
        if (setup(&d, c) < 0)
                return errorf(err, errlen, -EINVAL, "libcurl refuse les options pour %s", url);
        if (o->progress)
                atomic_store(&o->progress->downloading, 1);
        CURLcode e = curl_easy_perform(c);
        if (o->progress)
                atomic_store(&o->progress->downloading, 0);
        *downloaded += d.written;
        if (fsync(fd) < 0 && e == CURLE_OK)
                return errorf(err, errlen, -errno, "%s : %s", part_path, strerror(errno));
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        /* 416 to a Range from the end of the .part: it is already whole
         * (the hash says whether it really is). */
        if ((e == CURLE_OK || e == CURLE_HTTP_RETURNED_ERROR) && code == 416 && d.resuming) {
                *ret_resumed = true;
                return 0;
        }
        if (e != CURLE_OK) {
                struct stat now;
                if (fstat(fd, &now) == 0 && now.st_size == 0)
                        (void) unlink(part_path); /* nothing worth resuming */
                return download_error(&d, e, err, errlen);
        }

        if (code != 200 && code != 206)
                return errorf(err, errlen, -EPROTO, "réponse HTTP %ld inattendue pour %s (200 ou 206 attendu)", code,
                              url);
        *ret_resumed = d.resuming;
        return 0;
}

/* The file name at the end of an https URL's path (query and fragment
 * left out). */
static int url_basename(const char *url, char **ret, char *err, size_t errlen) {
        size_t l = strlen(url);
        if (l > URL_MAX)
                return errorf(err, errlen, -EINVAL, "URL trop longue (%zu caractères, au plus %d)", l, URL_MAX);
        for (const char *c = url; *c; c++)
                if ((unsigned char) *c <= ' ' || *c == 0x7f)
                        return errorf(err, errlen, -EINVAL, "URL « %.200s » refusée : espace ou caractère de contrôle",
                                      url);
        const char *host = url + strlen("https://");
        const char *path = strchr(host, '/');
        if (!path)
                return errorf(err, errlen, -EINVAL, "l'URL %s ne nomme pas de fichier", url);
        if (memchr(host, '@', (size_t) (path - host)))
                return errorf(err, errlen, -EINVAL, "URL refusée : pas d'identifiants (utilisateur@) dans l'URL");
        size_t end = strcspn(path, "?#");
        const char *base = path;
        for (size_t i = 0; i < end; i++)
                if (path[i] == '/')
                        base = path + i + 1;
        size_t bl = end - (size_t) (base - path);
        if (bl == 0)
                return errorf(err, errlen, -EINVAL, "l'URL %s ne nomme pas de fichier (elle finit par « / »)", url);
        char *b = strndup(base, bl);
        if (!b)
                return -ENOMEM;
        *ret = b;
        return 0;
}

/* Open path read-only (in the cache: not through a symbolic link), check
 * it is a regular file, hash it; 0 and the open fd (at offset 0) when the
 * digest is sha256; -EBADMSG with the digest found in *got otherwise. */
static int open_verified(const struct img_fetch_opts *o, const char *path, bool in_cache, const char *sha256,
                         int *ret_fd, uint64_t *ret_size, char got[static 65], char *err, size_t errlen) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | (in_cache ? O_NOFOLLOW : 0));
        if (fd < 0)
                return errorf(err, errlen, -errno, "%s illisible : %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0)
                return errorf(err, errlen, -errno, "%s : %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return errorf(err, errlen, -EINVAL, "%s n'est pas un fichier ordinaire", path);
        *ret_size = (uint64_t) st.st_size;
        if (o->progress) {
                atomic_store(&o->progress->downloading, 0);
                atomic_store(&o->progress->done, 0);
                atomic_store(&o->progress->total, (uint64_t) st.st_size);
        }
        int k = img_sha256_fd(fd, o->cancel, o->progress, got);
        if (k == -ECANCELED)
                return errorf(err, errlen, k, "vérification de %s annulée", path);
        if (k < 0)
                return errorf(err, errlen, k, "lecture de %s impossible : %s", path, strerror(-k));
        if (strcmp(got, sha256) != 0)
                return -EBADMSG;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int fetch_local(const struct img_fetch_opts *o, const char *path, const char *sha256, struct img_fetched *ret,
                       char *err, size_t errlen) {
        struct img_fetched f = { .fd = -1 };
        char got[65] = "";
        int k = open_verified(o, path, false, sha256, &f.fd, &f.size, got, err, errlen);
        if (k == -EBADMSG)
                return errorf(err, errlen, k, "empreinte SHA-256 différente pour %s : %s, attendue %s", path, got,
                              sha256);
        if (k < 0)
                return k;
        f.path = strdup(path);
        if (!f.path) {
                img_fetched_clear(&f);
                return -ENOMEM;
        }
        *ret = f;
        return 0;
}

static int fsync_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

struct paths {
        char *dir;   /* CACHE/NAME/VERSION */
        char *file;  /* .../BASENAME */
        char *part;  /* .../BASENAME.part */
};

static void paths_clear(struct paths *p) {
        free(p->dir);
        free(p->file);
        free(p->part);
}

/* Download (resuming) until the .part hashes right; renamed then. */
static int fetch_download(const struct img_fetch_opts *o, const char *url, const struct paths *p, const char *sha256,
                          struct img_fetched *f, char *err, size_t errlen) {
        bool resume = true, restarted = false;
        for (unsigned request = 0; request < MAX_REQUESTS; request++) {
                bool resumed = false;
                int k = download_once(o, url, p->part, resume, &resumed, &f->downloaded, err, errlen);
                if (k == -ERANGE) {
                        /* Range refused by the server: the whole file again. */
                        resume = false;
                        continue;
                }
                if (k < 0)
                        return k;
                char got[65] = "";
                k = open_verified(o, p->part, true, sha256, &f->fd, &f->size, got, err, errlen);
                if (k == -EBADMSG) {
                        (void) unlink(p->part);
                        if (resumed && !restarted) {
                                /* The start kept from before may be what is wrong. */
                                restarted = true;
                                resume = false;
                                continue;
                        }
                        return errorf(err, errlen, k,
                                      "empreinte SHA-256 différente pour %s : %s, attendue %s (%" PRIu64
                                      " octets ; téléchargement supprimé)",
                                      url, got, sha256, f->size);
                }
                if (k < 0)
                        return k;
                if (rename(p->part, p->file) < 0) {
                        k = -errno;
                        close(TAKE_FD(f->fd));
                        return errorf(err, errlen, k, "renommage de %s impossible : %s", p->part, strerror(-k));
                }
                (void) fsync_dir(p->dir);
                f->resumed = resumed;
                return 0;
        }
        return errorf(err, errlen, -EPROTO, "téléchargement de %s : le serveur refuse de reprendre (Range) et de "
                      "recommencer", url);
}

static int fetch_url(const struct img_fetch_opts *o, const char *name, const char *version, const char *url,
                     const char *sha256, struct img_fetched *ret, char *err, size_t errlen) {
        _cleanup_free_ char *base = NULL;
        char why[256];
        int k;

        if (!o->cache_dir || o->cache_dir[0] != '/')
                return errorf(err, errlen, -EINVAL, "pas de dossier de cache (chemin absolu) pour télécharger %s", url);
        k = url_basename(url, &base, err, errlen);
        if (k < 0)
                return k;
        if (img_cache_check_component("nom du profil", name, why, sizeof(why)) < 0 ||
            img_cache_check_component("version du profil", version, why, sizeof(why)) < 0 ||
            img_cache_check_component("nom de fichier de l'URL", base, why, sizeof(why)) < 0)
                return errorf(err, errlen, -EINVAL, "%s (pour %s)", why, url);

        _cleanup_(paths_clear) struct paths p = {};
        if (asprintf(&p.dir, "%s/%s/%s", o->cache_dir, name, version) < 0 ||
            asprintf(&p.file, "%s/%s", p.dir, base) < 0 || asprintf(&p.part, "%s.part", p.file) < 0)
                return -ENOMEM;
        _cleanup_close_ int lock = -1;
        k = img_cache_lock(p.dir, o->cancel, &lock);
        if (k == -ECANCELED)
                return errorf(err, errlen, k, "attente du cache %s annulée", p.dir);
        if (k < 0)
                return errorf(err, errlen, k, "dossier de cache %s inutilisable : %s", p.dir, strerror(-k));

        struct img_fetched f = { .fd = -1 };
        struct stat st;
        if (lstat(p.file, &st) == 0) {
                /* Complete in the cache: hashed again, each time. */
                char got[65] = "";
                k = open_verified(o, p.file, true, sha256, &f.fd, &f.size, got, err, errlen);
                if (k == -EBADMSG) {
                        _cleanup_free_ char *aside = NULL;
                        if (asprintf(&aside, "%s.rejected", p.file) < 0 || rename(p.file, aside) < 0)
                                (void) unlink(p.file);
                        return errorf(err, errlen, k,
                                      "fichier en cache modifié sur le disque, refusé : %s a pour SHA-256 %s, attendue "
                                      "%s (mis de côté en .rejected ; il sera téléchargé de nouveau)",
                                      p.file, got, sha256);
                }
                if (k < 0)
                        return k;
                f.from_cache = true;
        } else {
                k = fetch_download(o, url, &p, sha256, &f, err, errlen);
                if (k < 0) {
                        img_fetched_clear(&f);
                        return k;
                }
        }
        f.path = TAKE_PTR(p.file);
        /* Used now: the newest for the retention, whatever its version number. */
        (void) utimensat(AT_FDCWD, p.dir, NULL, 0);
        (void) img_cache_prune(o->cache_dir, name, o->keep_versions ? o->keep_versions : 2, version);
        *ret = f;
        return 0;
}

int img_fetch(const struct img_fetch_opts *o, const char *profile_name, const char *profile_version,
              const char *location, const char sha256[static 65], struct img_fetched *ret, char *err, size_t errlen) {
        static const struct img_fetch_opts none = {};
        char want[65];

        if (err && errlen)
                err[0] = '\0';
        if (!ret || !location || !sha256)
                return -EINVAL;
        *ret = (struct img_fetched) { .fd = -1 };
        if (!o)
                o = &none;
        uint8_t md[32];
        if (strnlen(sha256, 65) != 64 || rf_hex_decode(sha256, md, sizeof(md)) < 0)
                return errorf(err, errlen, -EINVAL, "SHA-256 attendue invalide pour %s : 64 chiffres hexadécimaux",
                              location);
        rf_hex_encode(md, sizeof(md), want);

        if (location[0] == '/')
                return fetch_local(o, location, want, ret, err, errlen);
        if (strncmp(location, "https://", 8) == 0)
                return fetch_url(o, profile_name, profile_version, location, want, ret, err, errlen);
        return errorf(err, errlen, -EINVAL, "emplacement « %.300s » refusé : URL https:// ou chemin absolu attendu",
                      location);
}
