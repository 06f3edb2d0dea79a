/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Browser policies of the written system: does every installed browser
 * search with the engine the profile asks for? Read the way the browsers
 * read them: Firefox's policies.json, Chromium's managed policy folder
 * (every file, in name order, a later file overriding an earlier one). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "img-proof-private.h"
#include "rf-json.h"
#include "rf-macro.h"

#define POLICY_MAX (1 * MiB)
#define CHROMIUM_MAX_FILES 256
#define CHROMIUM_DIR "etc/chromium/policies/managed"
#define HOST_MAX 253

/* ---- URLs and hosts ---------------------------------------------------- */

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

int proof_url_host(const char *url, char **ret_host) {
        if (!url || !ret_host)
                return -EINVAL;
        /* Browsers silently drop tabs and newlines from URLs and trim spaces:
         * what they would read is not what we would compare, so refuse. */
        for (const char *c = url; *c; c++)
                if ((unsigned char) *c <= 0x20 || (unsigned char) *c >= 0x7f)
                        return -EINVAL;

        const char *a;
        if (strncasecmp(url, "https://", 8) == 0)
                a = url + 8;
        else if (strncasecmp(url, "http://", 7) == 0)
                a = url + 7;
        else
                return -EINVAL;
        /* a backslash ends the authority for http(s), as in browsers */
        size_t alen = strcspn(a, "/?#\\");
        if (alen == 0 || memchr(a, '@', alen))
                return -EINVAL;

        size_t hlen;
        const char *port;
        if (a[0] == '[') {
                const char *close = memchr(a, ']', alen);
                if (!close || close == a + 1)
                        return -EINVAL;
                for (const char *c = a + 1; c < close; c++)
                        if (!is_digit(*c) && !strchr("abcdefABCDEF:.", *c))
                                return -EINVAL;
                hlen = (size_t) (close - a) + 1;
        } else {
                const char *colon = memchr(a, ':', alen);
                hlen = colon ? (size_t) (colon - a) : alen;
                for (size_t i = 0; i < hlen; i++)
                        if (!is_alpha(a[i]) && !is_digit(a[i]) && a[i] != '-' && a[i] != '.')
                                return -EINVAL;
        }
        port = a + hlen;
        if (port < a + alen) {
                if (*port != ':' || (size_t) (a + alen - port) > 6)
                        return -EINVAL;
                unsigned v = 0;
                for (const char *c = port + 1; c < a + alen; c++) {
                        if (!is_digit(*c))
                                return -EINVAL;
                        v = v * 10 + (unsigned) (*c - '0');
                }
                if (v > 65535)
                        return -EINVAL;
        }
        if (a[0] != '[' && hlen > 0 && a[hlen - 1] == '.')
                hlen--; /* "www.qwant.com." is www.qwant.com */
        if (hlen == 0 || hlen > HOST_MAX)
                return -EINVAL;
        if (a[0] != '[') {
                /* no empty label: ".qwant.com", "www..qwant.com" */
                if (a[0] == '.' || memmem(a, hlen, "..", 2))
                        return -EINVAL;
        }

        char *h = strndup(a, hlen);
        if (!h)
                return -ENOMEM;
        for (char *c = h; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                        *c = (char) (*c - 'A' + 'a');
        *ret_host = h;
        return 0;
}

static bool host_is_ip(const char *host) {
        if (host[0] == '[')
                return true;
        /* a numeric last label makes browsers parse the host as IPv4 */
        const char *last = strrchr(host, '.');
        last = last ? last + 1 : host;
        if (strncmp(last, "0x", 2) == 0)
                return true;
        return is_digit(*last) && strspn(last, "0123456789") == strlen(last);
}

/* Public suffixes of two labels under which organisations register (a
 * subset of the Public Suffix List: enough not to take "co.uk" for a
 * domain; everything else is one label). */
static const char *const two_label_suffixes[] = {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "net.uk", "ltd.uk", "plc.uk", "sch.uk", "nhs.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
        "co.nz", "org.nz", "net.nz", "govt.nz", "ac.nz",
        "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "gr.jp",
        "com.br", "net.br", "org.br", "gov.br",
        "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn",
        "com.tw", "co.kr", "co.in", "co.za", "com.mx", "com.tr", "com.ar", "co.il",
        "gouv.fr", "asso.fr", "nom.fr", "com.fr", "tm.fr", "presse.fr",
        "gv.at", "co.at", "or.at", "ac.at", "ac.be", "gc.ca",
};

/* The registrable domain inside host (a suffix of it), or NULL. */
static const char *registrable(const char *host) {
        if (host_is_ip(host))
                return NULL;
        size_t labels = 1;
        for (const char *c = host; *c; c++)
                labels += *c == '.';
        size_t suffix = 1;
        const char *dot = strrchr(host, '.');
        if (dot) {
                const char *prev = dot;
                while (prev > host && prev[-1] != '.')
                        prev--;
                for (size_t i = 0; i < ELEMENTSOF(two_label_suffixes); i++)
                        if (streq(prev, two_label_suffixes[i]))
                                suffix = 2;
        }
        if (labels <= suffix)
                return NULL;
        /* keep suffix + 1 labels */
        const char *start = host + strlen(host);
        for (size_t k = 0; k < suffix + 1; k++) {
                while (start > host && start[-1] != '.')
                        start--;
                if (k < suffix)
                        start--;
        }
        return start;
}

bool proof_host_matches(const char *candidate, const char *reference) {
        if (!candidate || !reference)
                return false;
        if (strcasecmp(candidate, reference) == 0)
                return true;
        const char *a = registrable(candidate), *b = registrable(reference);
        return a && b && strcasecmp(a, b) == 0;
}

/* ---- verdicts ---------------------------------------------------------- */

struct engine {
        const char *name;
        const char *url;  /* profile's SearchURL, may be NULL */
        char *host;       /* its host, NULL without SearchURL */
        bool https;
};

struct verdict {
        char *policy;          /* "/etc/..." that decided */
        char *default_engine;
        char *search_url;
        bool builtin;
        char *reason;          /* NULL: the browser searches with the engine */
};

static void verdict_done(struct verdict *v) {
        free(v->policy);
        free(v->default_engine);
        free(v->search_url);
        free(v->reason);
        *v = (struct verdict){ 0 };
}

static int set_reason(struct verdict *v, const char *fmt, ...) _printf_(2, 3);
static int set_reason(struct verdict *v, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        free(v->reason);
        v->reason = s;
        return 0;
}

static int set_copy(char **field, const char *s) {
        char *c = strdup(s);
        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

/* url would send searches to the engine: http(s), on its host (or registrable
 * domain), not downgraded to http, with the {searchTerms} placeholder. */
static int check_search_url(const struct engine *e, const char *url, struct verdict *v) {
        _cleanup_free_ char *host = NULL;
        int r = proof_url_host(url, &host);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return set_reason(v, "URL de recherche « %.200s » invalide (http(s)://hôte/... attendu)", url);
        if (e->host && !proof_host_matches(host, e->host))
                return set_reason(v, "URL de recherche sur %s au lieu de %s", host, e->host);
        if (e->https && strncasecmp(url, "https://", 8) != 0)
                return set_reason(v, "URL de recherche en http au lieu de https (%.200s)", url);
        if (!strstr(url, "{searchTerms}"))
                return set_reason(v, "URL de recherche sans {searchTerms} (%.200s)", url);
        return 0;
}

/* A policy file as JSON object in *ret; -ENOENT / -EISDIR when there is
 * none; otherwise 0, with *ret NULL and v->reason set when it is unusable. */
static int read_policy(int rootfd, const char *path, json_t **ret, struct verdict *v) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_t *j = NULL;
        size_t len = 0;
        char ebuf[128], jerr[256];

        *ret = NULL;
        int r = proof_read_in_root(rootfd, path, false, POLICY_MAX, &text, &len);
        if (r == -ENOENT || r == -ENOMEM || r == -EISDIR)
                return r;
        free(v->policy);
        if (!(v->policy = proof_strdupf("/%s", path)))
                return -ENOMEM;
        if (r == -EFBIG)
                return set_reason(v, "%s : trop grand (plus de 1 Mio)", v->policy);
        if (r < 0)
                return set_reason(v, "%s : %s", v->policy, proof_strerror(r, ebuf, sizeof(ebuf)));
        if (rf_json_parse(text, len, &j, jerr, sizeof(jerr)) < 0)
                return set_reason(v, "%s : JSON invalide (%s)", v->policy, jerr);
        if (!json_is_object(j))
                return set_reason(v, "%s : objet JSON attendu", v->policy);
        *ret = TAKE_PTR(j);
        return 0;
}

/* ---- Firefox ----------------------------------------------------------- */

/* Engines Firefox ships (SearchEngines.Default may name them without Add). */
static const struct {
        const char *name;
        const char *url;
} firefox_builtins[] = {
        { "Google", "https://www.google.com/search?q={searchTerms}" },
        { "Bing", "https://www.bing.com/search?q={searchTerms}" },
        { "DuckDuckGo", "https://duckduckgo.com/?q={searchTerms}" },
        { "Qwant", "https://www.qwant.com/?q={searchTerms}" },
        { "Ecosia", "https://www.ecosia.org/search?q={searchTerms}" },
        { "Wikipedia (fr)", "https://fr.wikipedia.org/wiki/Spécial:Recherche?search={searchTerms}" },
};

static const char *firefox_builtin_url(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(firefox_builtins); i++)
                if (streq(firefox_builtins[i].name, name))
                        return firefox_builtins[i].url;
        return NULL;
}

static bool array_has_string(const json_t *a, const char *s) {
        size_t i;
        const json_t *x;
        json_array_foreach(a, i, x)
                if (json_is_string(x) && streq(json_string_value(x), s))
                        return true;
        return false;
}

/* {"policies": {"SearchEngines": {"Default": "Qwant", "Add": [{"Name": "Qwant",
 * "URLTemplate": "https://www.qwant.com/?q={searchTerms}"}]}}} */
static int firefox_eval(int rootfd, const char *path, const struct engine *e, struct verdict *v) {
        _cleanup_json_ json_t *j = NULL;
        int r = read_policy(rootfd, path, &j, v);
        if (r < 0 || !j)
                return r;

        const json_t *policies = json_object_get(j, "policies");
        if (!json_is_object(policies))
                return set_reason(v, "%s : pas d'objet « policies »", v->policy);
        const json_t *se = json_object_get(policies, "SearchEngines");
        if (!se)
                return set_reason(v, "pas de politique de moteur de recherche (SearchEngines absent de %s)", v->policy);
        if (!json_is_object(se))
                return set_reason(v, "%s : SearchEngines n'est pas un objet", v->policy);
        const json_t *def = json_object_get(se, "Default");
        if (!json_is_string(def))
                return set_reason(v, "%s : SearchEngines.Default absent", v->policy);
        if ((r = set_copy(&v->default_engine, json_string_value(def))) < 0)
                return r;
        if (!streq(v->default_engine, e->name))
                return set_reason(v, "moteur par défaut %.200s au lieu de %s", v->default_engine, e->name);
        if (array_has_string(json_object_get(se, "Remove"), e->name))
                return set_reason(v, "moteur %s retiré par SearchEngines.Remove (%s)", e->name, v->policy);

        const json_t *add = json_object_get(se, "Add"), *x;
        const char *url = NULL;
        size_t i;
        if (add && !json_is_array(add))
                return set_reason(v, "%s : SearchEngines.Add n'est pas une liste", v->policy);
        json_array_foreach(add, i, x) {
                const json_t *name = json_object_get(x, "Name");
                if (!json_is_string(name) || !streq(json_string_value(name), e->name))
                        continue;
                const json_t *t = json_object_get(x, "URLTemplate");
                if (!json_is_string(t))
                        return set_reason(v, "%s : SearchEngines.Add « %s » sans URLTemplate", v->policy, e->name);
                url = json_string_value(t);
        }
        if (!url) {
                url = firefox_builtin_url(e->name);
                if (!url)
                        return set_reason(v, "moteur %s ni ajouté (SearchEngines.Add) ni intégré à Firefox (%s)",
                                          e->name, v->policy);
                v->builtin = true;
        }
        if ((r = set_copy(&v->search_url, url)) < 0)
                return r;
        return check_search_url(e, url, v);
}

static const char *const firefox_paths[] = {
        "etc/firefox/policies/policies.json",
        "etc/firefox-esr/policies/policies.json",
};

/* Either file is enough: the first that makes the engine the default wins;
 * otherwise the verdict of the first one present. */
static int firefox_check(int rootfd, const struct engine *e, struct verdict *ret) {
        bool any = false;
        for (size_t i = 0; i < ELEMENTSOF(firefox_paths); i++) {
                _cleanup_(verdict_done) struct verdict v = { 0 };
                int r = firefox_eval(rootfd, firefox_paths[i], e, &v);
                if (r == -ENOENT || r == -EISDIR)
                        continue;
                if (r < 0)
                        return r;
                if (!v.reason || !any) {
                        verdict_done(ret);
                        *ret = v;
                        v = (struct verdict){ 0 };
                        any = true;
                }
                if (!ret->reason)
                        return 0;
        }
        if (!any)
                return set_reason(ret, "pas de politique de moteur de recherche (ni /%s ni /%s)", firefox_paths[0],
                                  firefox_paths[1]);
        return 0;
}

/* ---- Chromium ---------------------------------------------------------- */

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void names_free(char ***names) {
        if (*names)
                for (char **n = *names; *n; n++)
                        free(*n);
        free(*names);
}

/* Entry names of the managed folder, sorted as Chromium reads them; -ENOENT
 * when there is no folder. */
static int chromium_list(int rootfd, char ***ret, size_t *ret_n, struct verdict *v) {
        int fd = proof_open_dir_in_root(rootfd, CHROMIUM_DIR);
        if (fd < 0)
                return fd == -ENOTDIR ? -ENOENT : fd;
        _cleanup_closedir_ DIR *dir = fdopendir(fd);
        if (!dir) {
                int r = negative_errno();
                close(fd);
                return r;
        }

        _cleanup_(names_free) char **names = calloc(CHROMIUM_MAX_FILES + 1, sizeof(*names));
        size_t n = 0;
        if (!names)
                return -ENOMEM;
        for (struct dirent *de; (de = readdir(dir));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n == CHROMIUM_MAX_FILES)
                        return set_reason(v, "/%s : plus de %d fichiers", CHROMIUM_DIR, CHROMIUM_MAX_FILES);
                if (!(names[n++] = strdup(de->d_name)))
                        return -ENOMEM;
        }
        qsort(names, n, sizeof(*names), strcmp_ptr);
        *ret = TAKE_PTR(names);
        *ret_n = n;
        return 0;
}

static const char *const chromium_keys[] = {
        "DefaultSearchProviderEnabled",
        "DefaultSearchProviderName",
        "DefaultSearchProviderSearchURL",
};

static void json_array_decref(json_t *(*a)[3]) {
        for (size_t i = 0; i < 3; i++)
                json_decref((*a)[i]);
}

/* Every file of the folder (Chromium reads them all, whatever their name),
 * merged in name order: the last value of a policy wins. */
static int chromium_check(int rootfd, const struct engine *e, struct verdict *v) {
        _cleanup_(names_free) char **names = NULL;
        _cleanup_(json_array_decref) json_t *val[3] = { NULL, NULL, NULL };
        size_t n = 0;

        int r = chromium_list(rootfd, &names, &n, v);
        if (r == -ENOENT)
                return set_reason(v, "pas de politique de moteur de recherche (/%s absent)", CHROMIUM_DIR);
        if (r < 0 || v->reason)
                return r;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = proof_strdupf("%s/%s", CHROMIUM_DIR, names[i]);
                _cleanup_json_ json_t *j = NULL;
                _cleanup_(verdict_done) struct verdict fv = { 0 };
                if (!path)
                        return -ENOMEM;
                r = read_policy(rootfd, path, &j, &fv);
                if (r == -ENOENT || r == -EISDIR)
                        continue;
                if (r < 0)
                        return r;
                if (fv.reason) {
                        verdict_done(v);
                        *v = fv;
                        fv = (struct verdict){ 0 };
                        return 0;
                }
                for (size_t k = 0; k < ELEMENTSOF(chromium_keys); k++) {
                        json_t *x = json_object_get(j, chromium_keys[k]);
                        if (!x)
                                continue;
                        json_decref(val[k]);
                        val[k] = json_incref(x);
                        if ((r = set_copy(&v->policy, fv.policy)) < 0)
                                return r;
                }
        }

        if (!val[0] && !val[1] && !val[2])
                return set_reason(v, "pas de politique de moteur de recherche (/%s)", CHROMIUM_DIR);
        if (json_is_string(val[1]) && (r = set_copy(&v->default_engine, json_string_value(val[1]))) < 0)
                return r;
        if (json_is_string(val[2]) && (r = set_copy(&v->search_url, json_string_value(val[2]))) < 0)
                return r;
        if (!json_is_true(val[0]))
                return set_reason(v, "DefaultSearchProviderEnabled %s", val[0] ? "n'est pas true" : "absent");
        if (!v->default_engine)
                return set_reason(v, "DefaultSearchProviderName absent");
        if (!streq(v->default_engine, e->name))
                return set_reason(v, "moteur par défaut %.200s au lieu de %s", v->default_engine, e->name);
        if (!v->search_url)
                return set_reason(v, "DefaultSearchProviderSearchURL absent");
        return check_search_url(e, v->search_url, v);
}

/* ---- all browsers ------------------------------------------------------ */

static const struct {
        const char *package;
        const char *label;
        bool chromium;
} browser_list[] = {
        { "firefox-esr", "Firefox ESR", false },
        { "firefox", "Firefox", false },
        { "chromium", "Chromium", true },
};

static int browser_entry(const struct verdict *v, json_t *o) {
        int r;
        if ((r = proof_json_set_str(o, "policy", v->policy)) < 0 ||
            (r = proof_json_set_str(o, "default_search_engine", v->default_engine)) < 0 ||
            (r = proof_json_set_str(o, "search_url", v->search_url)) < 0)
                return r;
        if (v->builtin && json_object_set_new(o, "builtin", json_true()) < 0)
                return -ENOMEM;
        if (json_object_set_new(o, "ok", json_boolean(!v->reason)) < 0)
                return -ENOMEM;
        return v->reason ? proof_json_set_str(o, "reason", v->reason) : 0;
}

int proof_check_browsers(int rootfd, const struct img_dpkg *d, const struct img_profile *p, json_t *browsers,
                         struct proof_missing *missing) {
        struct engine e = { .name = p->search_engine, .url = p->search_url };
        int problems = 0, installed = 0, r;

        if (e.name && e.url) {
                if ((r = proof_url_host(e.url, &e.host)) < 0)
                        return r;
                e.https = strncasecmp(e.url, "https://", 8) == 0;
        }
        _cleanup_free_ char *host = e.host;

        for (size_t i = 0; i < ELEMENTSOF(browser_list); i++) {
                const struct img_pkg *pkg = img_dpkg_find(d, browser_list[i].package);
                if (!pkg || !streq(pkg->name, browser_list[i].package))
                        continue; /* a package that merely Provides it is not that browser */
                installed++;

                _cleanup_json_ json_t *o = json_object();
                if (!o)
                        return -ENOMEM;
                if ((r = proof_json_set_str(o, "name", pkg->name)) < 0 ||
                    (r = proof_json_set_str(o, "version", pkg->version)) < 0)
                        return r;
                if (e.name) {
                        _cleanup_(verdict_done) struct verdict v = { 0 };
                        r = browser_list[i].chromium ? chromium_check(rootfd, &e, &v) : firefox_check(rootfd, &e, &v);
                        if (r < 0)
                                return r;
                        if ((r = browser_entry(&v, o)) < 0)
                                return r;
                        if (v.reason) {
                                problems++;
                                if ((r = proof_missing_add(missing, "%s : %s", browser_list[i].label, v.reason)) < 0)
                                        return r;
                        }
                }
                if (json_array_append(browsers, o) < 0)
                        return -ENOMEM;
        }

        if (e.name && installed == 0) {
                problems++;
                r = proof_missing_add(missing, "aucun navigateur installé (firefox-esr, firefox ou chromium) "
                                               "pour le moteur de recherche %s", e.name);
                if (r < 0)
                        return r;
        }
        return problems;
}
