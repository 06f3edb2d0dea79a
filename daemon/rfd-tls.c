/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bench's TLS certificate: loaded from the configured files, or made
 * on first start in StateDirectory/tls; the server's SSL_CTX. */
#include "rfd-tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rf-util.h"
#include "rf-x509.h"

#define PEM_MAX_SIZE ((size_t) (1 * MiB))
#define CERT_DAYS 3650
/* OpenSSL's defaults for TLS 1.2 without what is legacy: no static RSA key
 * exchange, no CBC with SHA-1, no RSA/DSA-less suites, no 3DES/RC4/etc. */
#define CIPHERS_TLS12 "DEFAULT:!aNULL:!eNULL:!kRSA:!PSK:!SRP:!MD5:!RC4:!3DES:!DES:!IDEA:!SEED:!CAMELLIA:!ARIA:!SHA1"

DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(SSL_CTX *, SSL_CTX_free)

static void x509_stack_free(STACK_OF(X509) *s) {
        sk_X509_pop_free(s, X509_free);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(STACK_OF(X509) *, x509_stack_free)

struct rfd_tls {
        SSL_CTX *ctx;
        char *cert_path;
        char sha256[65];
        bool created;
        bool expired;
};

static int fail(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(char *err, size_t errlen, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (err && errlen > 0)
                vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        ERR_clear_error();
        return r;
}

/* The first OpenSSL error, for messages. */
static const char *ossl_reason(char *buf, size_t len) {
        unsigned long e = ERR_peek_last_error();
        if (e == 0)
                return "raison inconnue";
        ERR_error_string_n(e, buf, len);
        return buf;
}

/* Encrypted keys are not supported: never prompt on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *u) {
        (void) buf, (void) size, (void) rwflag, (void) u;
        return -1;
}

static int read_pem(const char *path, const char *what, BIO **ret, char *err, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = rf_read_file(path, PEM_MAX_SIZE, &text, &len);
        if (r == -EFBIG)
                return fail(err, errlen, r, "%s %s : fichier de plus de 1 Mio, ce n'est pas un fichier PEM", what,
                            path);
        if (r < 0)
                return fail(err, errlen, r, "%s %s : lecture impossible : %s", what, path, strerror(-r));
        BIO *b = BIO_new(BIO_s_mem());
        if (!b || BIO_write(b, text, (int) len) != (int) len) {
                BIO_free_all(b);
                return -ENOMEM;
        }
        *ret = b;
        return 0;
}

static int load_pair(const char *cert_path, const char *key_path, X509 **ret_cert, STACK_OF(X509) **ret_chain,
                     EVP_PKEY **ret_key, char *err, size_t errlen) {
        _cleanup_(BIO_free_allp) BIO *cb = NULL, *kb = NULL;
        char why[256];
        int r = read_pem(cert_path, "certificat TLS", &cb, err, errlen);
        if (r < 0)
                return r;
        r = read_pem(key_path, "clé privée TLS", &kb, err, errlen);
        if (r < 0)
                return r;

        _cleanup_(X509_freep) X509 *cert = PEM_read_bio_X509(cb, NULL, no_password, NULL);
        if (!cert)
                return fail(err, errlen, -EINVAL, "certificat TLS %s : aucun certificat PEM lisible (%s)", cert_path,
                            ossl_reason(why, sizeof(why)));
        _cleanup_(x509_stack_freep) STACK_OF(X509) *chain = sk_X509_new_null();
        if (!chain)
                return -ENOMEM;
        for (size_t i = 0; i < 16; i++) {
                X509 *c = PEM_read_bio_X509(cb, NULL, no_password, NULL);
                if (!c)
                        break;
                if (!sk_X509_push(chain, c)) {
                        X509_free(c);
                        return -ENOMEM;
                }
        }
        ERR_clear_error();

        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, no_password, NULL);
        if (!key)
                return fail(err, errlen, -EINVAL,
                            "clé privée TLS %s : aucune clé privée PEM lisible (une clé chiffrée par mot de passe "
                            "n'est pas acceptée) (%s)",
                            key_path, ossl_reason(why, sizeof(why)));
        if (X509_check_private_key(cert, key) != 1)
                return fail(err, errlen, -EINVAL,
                            "la clé privée TLS %s ne correspond pas au certificat %s : donnez la clé de ce certificat",
                            key_path, cert_path);
        *ret_cert = TAKE_PTR(cert);
        *ret_chain = TAKE_PTR(chain);
        *ret_key = TAKE_PTR(key);
        return 0;
}

static int make_ctx(X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key, SSL_CTX **ret) {
        _cleanup_(SSL_CTX_freep) SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx)
                return -ENOMEM;
        if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
                return -EIO;
        SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                         SSL_OP_CIPHER_SERVER_PREFERENCE);
        /* Idle connections (SSE, keep-alive) keep no buffers. */
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
        if (SSL_CTX_set_cipher_list(ctx, CIPHERS_TLS12) != 1 ||
            SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1)
                return -EIO;
        if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1)
                return -EINVAL;
        for (int i = 0; i < sk_X509_num(chain); i++)
                if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) != 1)
                        return -EINVAL;
        *ret = TAKE_PTR(ctx);
        return 0;
}

/* Host names that can be a DNS subject alternative name. */
static bool dns_name_valid(const char *s) {
        size_t n = strlen(s), label = 0;
        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '.') {
                        if (label == 0 || s[i - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
                        return false;
                if (c == '-' && label == 0)
                        return false;
                if (++label > 63)
                        return false;
        }
        return label > 0 && s[n - 1] != '-';
}

/* Appends ",IP:a" for the address text ip (in its canonical form, once):
 * not for a wildcard, nor for what is not an address. */
static int san_add_ip(char *san, size_t size, const char *ip) {
        unsigned char buf[16];
        static const unsigned char any[16] = { 0 };
        char text[INET6_ADDRSTRLEN], item[INET6_ADDRSTRLEN + 5];
        int af = inet_pton(AF_INET, ip, buf) == 1 ? AF_INET : inet_pton(AF_INET6, ip, buf) == 1 ? AF_INET6 : 0;
        if (af == 0 || memcmp(buf, any, af == AF_INET ? 4 : 16) == 0 || !inet_ntop(af, buf, text, sizeof(text)))
                return 0;
        snprintf(item, sizeof(item), ",IP:%s", text);
        size_t have = strlen(san), n = strlen(item);
        for (const char *p = strstr(san, item); p; p = strstr(p + 1, item))
                if (p[n] == ',' || p[n] == '\0')
                        return 0;
        if (have + n >= size)
                return -E2BIG;
        memcpy(san + have, item, n + 1);
        return 0;
}

/* A server certificate for the bench: CN = the host name when it is a DNS
 * name, SANs: that name, localhost, 127.0.0.1, ::1 and the addresses ips. */
static int build_cert(EVP_PKEY *key, const char *hostname, char *const *ips, X509 **ret) {
        bool dns = hostname && dns_name_valid(hostname) && strcasecmp(hostname, "localhost") != 0;
        char san[2048];
        if (dns)
                snprintf(san, sizeof(san), "DNS:%s,DNS:localhost", hostname); /* 253 characters at most */
        else
                snprintf(san, sizeof(san), "DNS:localhost");
        int r = san_add_ip(san, sizeof(san), "127.0.0.1");
        if (r == 0)
                r = san_add_ip(san, sizeof(san), "::1");
        for (char *const *ip = ips; r == 0 && ip && *ip; ip++)
                r = san_add_ip(san, sizeof(san), *ip);
        if (r < 0)
                return r;
        const struct rf_x509_ext exts[] = {
                { NID_basic_constraints, "critical,CA:FALSE" },
                { NID_key_usage, "critical,digitalSignature" },
                { NID_ext_key_usage, "serverAuth" },
                { NID_subject_key_identifier, "hash" },
                { NID_subject_alt_name, san },
        };
        return rf_x509_self_signed(key, dns && strlen(hostname) <= 64 ? hostname : "refurb", "refurb", CERT_DAYS,
                                   exts, ELEMENTSOF(exts), ret);
}

int rfd_tls_generate(const char *cert_path, const char *key_path, const char *hostname, char *const *ips,
                     char *err, size_t errlen) {
        char why[256];
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-256");
        if (!key)
                return fail(err, errlen, -EIO, "création de la clé TLS ECDSA P-256 impossible (%s)",
                            ossl_reason(why, sizeof(why)));
        _cleanup_(X509_freep) X509 *x = NULL;
        int r = build_cert(key, hostname, ips, &x);
        if (r < 0)
                return fail(err, errlen, r, "création du certificat TLS impossible (%s)",
                            ossl_reason(why, sizeof(why)));
        /* The key first: a certificate on disk always has its key. */
        r = rf_x509_write_key(key_path, key);
        if (r < 0)
                return fail(err, errlen, r, "clé privée TLS %s : écriture impossible : %s", key_path, strerror(-r));
        r = rf_x509_write_cert(cert_path, x);
        if (r < 0)
                return fail(err, errlen, r, "certificat TLS %s : écriture impossible : %s", cert_path, strerror(-r));
        return 0;
}

/* StateDirectory/tls, mode 0700, a real directory. */
static int prepare_dir(const char *dir, char *err, size_t errlen) {
        int r = rf_mkdir_p(dir, 0700);
        if (r < 0)
                return fail(err, errlen, r, "répertoire %s : création impossible : %s", dir, strerror(-r));
        struct stat st;
        if (lstat(dir, &st) < 0)
                return fail(err, errlen, negative_errno(), "répertoire %s : %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return fail(err, errlen, -ENOTDIR, "%s doit être un répertoire (c'est un lien ou un fichier)", dir);
        if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0)
                return fail(err, errlen, negative_errno(), "répertoire %s : chmod 0700 impossible : %s", dir,
                            strerror(errno));
        return 0;
}

int rfd_tls_new(const char *cert_file, const char *key_file, const char *state_dir, const char *hostname,
                char *const *ips, struct rfd_tls **ret, char *err, size_t errlen) {
        if (!ret || !cert_file != !key_file || (!cert_file && !state_dir))
                return -EINVAL;
        _cleanup_(rfd_tls_freep) struct rfd_tls *t = calloc(1, sizeof(*t));
        _cleanup_free_ char *dir = NULL, *key_path = NULL;
        if (!t)
                return -ENOMEM;
        int r;
        if (cert_file) {
                t->cert_path = strdup(cert_file);
                key_path = strdup(key_file);
                if (!t->cert_path || !key_path)
                        return -ENOMEM;
        } else {
                if (asprintf(&dir, "%s/tls", state_dir) < 0 || asprintf(&t->cert_path, "%s/bench-tls.pem", dir) < 0 ||
                    asprintf(&key_path, "%s/bench-tls.key", dir) < 0)
                        return -ENOMEM;
                r = prepare_dir(dir, err, errlen);
                if (r < 0)
                        return r;
                struct stat st;
                if (stat(t->cert_path, &st) < 0 || stat(key_path, &st) < 0) {
                        r = rfd_tls_generate(t->cert_path, key_path, hostname, ips, err, errlen);
                        if (r < 0)
                                return r;
                        t->created = true;
                }
        }

        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(x509_stack_freep) STACK_OF(X509) *chain = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        r = load_pair(t->cert_path, key_path, &cert, &chain, &key, err, errlen);
        if (r < 0)
                return r;
        char why[256];
        r = make_ctx(cert, chain, key, &t->ctx);
        if (r < 0)
                return fail(err, errlen, r, "certificat TLS %s, clé %s : inutilisables par OpenSSL (%s)", t->cert_path,
                            key_path, ossl_reason(why, sizeof(why)));

        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32)
                return -EIO;
        rf_hex_encode(md, n, t->sha256);
        t->expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
        *ret = TAKE_PTR(t);
        return 0;
}

void rfd_tls_free(struct rfd_tls *t) {
        if (!t)
                return;
        SSL_CTX_free(t->ctx);
        free(t->cert_path);
        free(t);
}

const char *rfd_tls_sha256(const struct rfd_tls *t) {
        return t->sha256;
}

const char *rfd_tls_certificate_path(const struct rfd_tls *t) {
        return t->cert_path;
}

bool rfd_tls_created(const struct rfd_tls *t) {
        return t->created;
}

bool rfd_tls_expired(const struct rfd_tls *t) {
        return t->expired;
}

SSL_CTX *rfd_tls_ctx(const struct rfd_tls *t) {
        return t->ctx;
}
