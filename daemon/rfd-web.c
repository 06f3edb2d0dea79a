/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The static web pages of WebDirectory (docs/network-api.md "Web pages"):
 * each page for the roles that may open it, a redirection to the sign-in
 * page without a session, a 403 page in French or English otherwise;
 * /static/NAME for everyone. Files are opened below the directory only. */
#include "rfd-web.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rfd-http.h"
#include "rfd-log.h"

#define WEB_MAX_FILE ((off_t) (4 * MiB))
#define WEB_MAX_NAME 128
#define WEB_CSP                                                                                                  \
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " \
        "frame-ancestors 'none'"

struct rfd_web {
        int dirfd;
};

struct page {
        const char *path;
        const char *file;
        unsigned roles; /* 0: everyone, no session needed */
        const char *for_fr, *for_en;
};

static const struct page pages[] = {
        { "/connexion", "connexion.html", 0, NULL, NULL },
        { "/banc", "banc.html", RFD_ROLE_BIT(RFD_ROLE_TECHNICIAN) | RFD_ROLE_BIT(RFD_ROLE_SUPERVISOR),
          "aux techniciens et aux superviseurs", "technicians and supervisors" },
        { "/certificats", "certificats.html", RFD_ROLE_BIT(RFD_ROLE_SUPERVISOR), "aux superviseurs", "supervisors" },
        { "/profils", "profils.html", RFD_ROLE_BIT(RFD_ROLE_DSI), "à la DSI", "the IT department (DSI)" },
};

static const struct {
        const char *ext;
        const char *type;
} types[] = {
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".json", "application/json; charset=utf-8" },
        { ".woff2", "font/woff2" },
};

int rfd_web_new(const char *web_directory, struct rfd_web **ret) {
        if (!web_directory || !ret)
                return -EINVAL;
        _cleanup_close_ int fd = open(web_directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        struct rfd_web *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->dirfd = TAKE_FD(fd);
        *ret = w;
        return 0;
}

void rfd_web_free(struct rfd_web *w) {
        if (!w)
                return;
        if (w->dirfd >= 0)
                close(w->dirfd);
        free(w);
}

/* The page of a role, NULL when it has none. */
static const char *home_of(enum rfd_role r) {
        switch (r) {
        case RFD_ROLE_TECHNICIAN:
        case RFD_ROLE_ROOT:
                return "/banc";
        case RFD_ROLE_SUPERVISOR:
                return "/certificats";
        case RFD_ROLE_DSI:
                return "/profils";
        default:
                return NULL;
        }
}

static const char *role_label(enum rfd_role r, bool en) {
        static const char *const fr_labels[] = { "technicien", "superviseur", "DSI", "agent", "root" };
        static const char *const en_labels[] = { "technician", "supervisor", "DSI", "agent", "root" };
        if ((unsigned) r >= ELEMENTSOF(fr_labels))
                return "?";
        return en ? en_labels[r] : fr_labels[r];
}

/* Status line reasons for the answers that are not JSON. */
static void send_buf(struct evhttp_request *req, int status, const char *reason, const char *content_type,
                     struct evbuffer *buf) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Content-Security-Policy", WEB_CSP);
        rfd_http_common_headers(req);
        if (content_type)
                evhttp_add_header(h, "Content-Type", content_type);
        if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD && buf) {
                /* libevent 2.1 would send the body of a HEAD answer, and
                 * not its length. */
                char len[32];
                snprintf(len, sizeof(len), "%zu", evbuffer_get_length(buf));
                evhttp_add_header(h, "Content-Length", len);
                buf = NULL;
        }
        evhttp_send_reply(req, status, reason, buf);
}

static void redirect(struct evhttp_request *req, const char *location) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
        send_buf(req, 303, "See Other", NULL, NULL);
}

/* The cookie refurb_lang (fr|en) when sent, else Accept-Language. */
static bool wants_english(struct evhttp_request *req) {
        char lang[8];
        if (rfd_auth_cookie_value(req, "refurb_lang", lang, sizeof(lang)) > 0 &&
            (strcmp(lang, "en") == 0 || strcmp(lang, "fr") == 0))
                return lang[0] == 'e';
        const char *al = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Language");
        return al && strncasecmp(al, "en", 2) == 0;
}

static void add_escaped(struct evbuffer *b, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '&': evbuffer_add(b, "&amp;", 5); break;
                case '<': evbuffer_add(b, "&lt;", 4); break;
                case '>': evbuffer_add(b, "&gt;", 4); break;
                case '"': evbuffer_add(b, "&quot;", 6); break;
                case '\'': evbuffer_add(b, "&#39;", 5); break;
                default: evbuffer_add(b, s, 1); break;
                }
}

/* page: the page refused, NULL for "/" (the role has no page). */
static void forbidden(struct evhttp_request *req, const struct rfd_principal *who, const struct page *page) {
        bool en = wants_english(req);
        const char *home = home_of(who->role);
        struct evbuffer *b = evbuffer_new();
        if (!b)
                return evhttp_send_error(req, 500, NULL);
        evbuffer_add_printf(b,
                            "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                            "<title>%s — refurb</title>\n<link rel=\"icon\" href=\"/static/logo.svg\" "
                            "type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n"
                            "<body class=\"page-forbidden\">\n<main id=\"main\" class=\"panel\">\n"
                            "<h1 data-testid=\"forbidden\">%s</h1>\n<p>",
                            en ? "en" : "fr", en ? "Access denied" : "Accès refusé",
                            en ? "Access denied" : "Accès refusé");
        if (page)
                evbuffer_add_printf(b, en ? "This page is for %s." : "Cette page est réservée %s.",
                                    en ? page->for_en : page->for_fr);
        else
                evbuffer_add_printf(b, en ? "There is no web page for the role %s." :
                                            "Aucune page web n'est prévue pour le rôle %s.",
                                    role_label(who->role, en));
        evbuffer_add_printf(b, en ? " You are signed in with the token “" : " Vous êtes connecté avec le jeton « ");
        add_escaped(b, who->name);
        evbuffer_add_printf(b, en ? "” (role: %s).</p>\n" : " » (rôle : %s).</p>\n", role_label(who->role, en));
        if (home && (!page || strcmp(home, page->path) != 0))
                evbuffer_add_printf(b, "<p><a class=\"btn btn-primary\" data-testid=\"home\" href=\"%s\">%s</a></p>\n",
                                    home, en ? "Go to your page" : "Aller à votre page");
        evbuffer_add_printf(b, "<p><a class=\"btn\" href=\"/connexion\">%s</a></p>\n</main>\n</body>\n</html>\n",
                            en ? "Sign in with another token" : "Se connecter avec un autre jeton");
        send_buf(req, 403, "Forbidden", "text/html; charset=utf-8", b);
        evbuffer_free(b);
}

/* Whether one of the entity tags of If-None-Match is etag (weak
 * comparison, as RFC 9110 says for If-None-Match) or "*". */
static bool etag_matches(struct evhttp_request *req, const char *etag) {
        const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
        size_t elen = strlen(etag);
        while (inm && *inm) {
                while (*inm == ' ' || *inm == ',' || *inm == '\t')
                        inm++;
                if (*inm == '*')
                        return true;
                if (strncmp(inm, "W/", 2) == 0)
                        inm += 2;
                size_t len = strcspn(inm, ",");
                while (len > 0 && (inm[len - 1] == ' ' || inm[len - 1] == '\t'))
                        len--;
                if (len == elen && memcmp(inm, etag, elen) == 0)
                        return true;
                inm += strcspn(inm, ",");
        }
        return false;
}

static void internal(struct evhttp_request *req) {
        rfd_http_reply_error(req, 500, "internal", "erreur interne du serveur web", "internal web server error", NULL);
}

static int read_all(int fd, struct evbuffer *b) {
        for (;;) {
                if ((off_t) evbuffer_get_length(b) > WEB_MAX_FILE)
                        return -EFBIG;
                int n = evbuffer_read(b, fd, 64 * 1024);
                if (n == 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return negative_errno();
        }
}

/* name: a file of dirfd (already checked). */
static void serve_file(struct evhttp_request *req, int dirfd, const char *what, const char *name,
                       const char *content_type) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (errno == ELOOP)
                        rfd_log(LOG_WARNING, "web: %s%s is a symbolic link: refused", what, name);
                else if (errno != ENOENT)
                        rfd_log(LOG_WARNING, "web: cannot open %s%s: %m", what, name);
                return rfd_http_reply_not_found(req, "fichier inconnu", "unknown file");
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                rfd_log(LOG_WARNING, "web: %s%s is not a regular file: refused", what, name);
                return rfd_http_reply_not_found(req, "fichier inconnu", "unknown file");
        }
        if (st.st_size > WEB_MAX_FILE) {
                rfd_log(LOG_WARNING, "web: %s%s is larger than 4 MiB: refused", what, name);
                return rfd_http_reply_error(req, 500, "internal", "fichier du site trop grand (4 Mio au plus)",
                                            "web file too large (4 MiB at most)", NULL);
        }

        char etag[80];
        snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 ".%lx\"", (uint64_t) st.st_size,
                 (uint64_t) st.st_mtim.tv_sec, (unsigned long) st.st_mtim.tv_nsec);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Cache-Control", "no-cache");
        evhttp_add_header(h, "ETag", etag);
        if (etag_matches(req, etag))
                return send_buf(req, 304, "Not Modified", NULL, NULL);

        struct evbuffer *b = evbuffer_new();
        if (!b)
                return internal(req);
        int r = read_all(fd, b);
        if (r < 0) {
                evbuffer_free(b);
                if (r == -EFBIG)
                        rfd_log(LOG_WARNING, "web: %s%s grew beyond 4 MiB while read: refused", what, name);
                else
                        rfd_log(LOG_WARNING, "web: cannot read %s%s: %s", what, name, strerror(-r));
                evhttp_clear_headers(h);
                return internal(req);
        }
        send_buf(req, 200, "OK", content_type, b);
        evbuffer_free(b);
}

/* NAME of /static/NAME: [a-z0-9_.-]+ with a known extension, not hidden. */
static const char *static_type(const char *name) {
        size_t n = strlen(name);
        if (n == 0 || n > WEB_MAX_NAME || name[0] == '.' || strstr(name, ".."))
                return NULL;
        for (const char *s = name; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
                        return NULL;
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                size_t e = strlen(types[i].ext);
                if (n > e && strcmp(name + n - e, types[i].ext) == 0)
                        return types[i].type;
        }
        return NULL;
}

static bool method_ok(struct evhttp_request *req) {
        enum evhttp_cmd_type m = evhttp_request_get_command(req);
        if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
                return true;
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        rfd_http_reply_error(req, 405, "method-not-allowed", "méthode HTTP non permise pour cette page",
                             "HTTP method not allowed for this page", NULL);
        return false;
}

static bool may_open(const struct rfd_principal *who, const struct page *p) {
        return who->role == RFD_ROLE_ROOT || (RFD_ROLE_BIT(who->role) & p->roles) != 0;
}

static void serve_static(struct rfd_web *w, struct evhttp_request *req, const char *name) {
        const char *type = static_type(name);
        if (!type)
                return rfd_http_reply_not_found(req, "fichier inconnu", "unknown file");
        _cleanup_close_ int sfd = openat(w->dirfd, "static", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return rfd_http_reply_not_found(req, "fichier inconnu", "unknown file");
        serve_file(req, sfd, "static/", name, type);
}

bool rfd_web_serve(struct rfd_web *w, struct evhttp_request *req, const char *path, const struct rfd_principal *who) {
        if (!w || !req || !path)
                return false;
        if (who && !who->authenticated)
                who = NULL;

        if (strcmp(path, "/") == 0) {
                if (!method_ok(req))
                        return true;
                const char *home = who ? home_of(who->role) : "/connexion";
                if (home)
                        redirect(req, home);
                else
                        forbidden(req, who, NULL);
                return true;
        }
        if (strncmp(path, "/static/", 8) == 0) {
                if (method_ok(req))
                        serve_static(w, req, path + 8);
                return true;
        }
        for (size_t i = 0; i < ELEMENTSOF(pages); i++) {
                const struct page *p = &pages[i];
                if (strcmp(path, p->path) != 0)
                        continue;
                if (!method_ok(req))
                        return true;
                if (p->roles != 0 && !who) {
                        char location[64];
                        snprintf(location, sizeof(location), "/connexion?suite=%s", p->path);
                        redirect(req, location);
                } else if (p->roles != 0 && !may_open(who, p))
                        forbidden(req, who, p);
                else
                        serve_file(req, w->dirfd, "", p->file, "text/html; charset=utf-8");
                return true;
        }
        return false;
}
