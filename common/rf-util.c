/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rf-util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf-macro.h"

void rf_hex_encode(const uint8_t *data, size_t len, char *out) {
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < len; i++) {
                out[2 * i] = digits[data[i] >> 4];
                out[2 * i + 1] = digits[data[i] & 0xf];
        }
        out[2 * len] = '\0';
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int rf_hex_decode(const char *hex, uint8_t *out, size_t len) {
        if (!hex || strlen(hex) != 2 * len)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t) (hi << 4 | lo);
        }
        return 0;
}

int rf_random_bytes(void *buf, size_t len) {
        if (len > INT32_MAX)
                return -EINVAL;
        return RAND_bytes(buf, (int) len) == 1 ? 0 : -EIO;
}

int rf_uuid4(char out[static 37]) {
        uint8_t b[16];
        int r = rf_random_bytes(b, sizeof(b));
        if (r < 0)
                return r;
        b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40);
        b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return 0;
}

void rf_time_iso8601(time_t t, char out[static 21]) {
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(out, 21, "1970-01-01T00:00:00Z");
}

uint64_t rf_now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

time_t rf_now_sec(void) {
        return time(NULL);
}

int rf_read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap >= max + 1)
                                return -EFBIG;
                        cap = MIN(cap * 2, max + 1);
                        char *n = realloc(buf, cap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        if (len > max)
                return -EFBIG;
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int write_all(int fd, const void *data, size_t len) {
        const uint8_t *p = data;
        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

int rf_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode) {
        _cleanup_free_ char *tmp = NULL, *dircopy = NULL;
        if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
                return -ENOMEM;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int r = fchmod(fd, mode) < 0 ? negative_errno() : write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r == 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        dircopy = strdup(path);
        if (!dircopy)
                return -ENOMEM;
        _cleanup_close_ int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;
}

int rf_mkdir_p(const char *path, unsigned mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int rf_read_line(const char *path, char **ret) {
        _cleanup_free_ char *buf = NULL;
        int r = rf_read_file(path, 64 * 1024, &buf, NULL);
        if (r < 0)
                return r;
        buf[strcspn(buf, "\n")] = '\0';
        size_t n = strlen(buf);
        while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
                buf[--n] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

void rf_format_bytes(uint64_t bytes, bool french, char *out, size_t outlen) {
        static const char *const fr[] = { "o", "ko", "Mo", "Go", "To", "Po" };
        static const char *const en[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        const char *const *u = french ? fr : en;
        double v = (double) bytes;
        size_t i = 0;

        while (v >= 1000.0 && i < 5) {
                v /= 1000.0;
                i++;
        }
        if (i == 0)
                snprintf(out, outlen, "%" PRIu64 " %s", bytes, u[0]);
        else if (v >= 100.0)
                snprintf(out, outlen, "%.0f %s", v, u[i]);
        else {
                snprintf(out, outlen, "%.1f %s", v, u[i]);
                if (french) {
                        char *dot = strchr(out, '.');
                        if (dot)
                                *dot = ',';
                }
        }
}

void rf_format_duration(uint64_t s, char *out, size_t outlen) {
        if (s >= 3600)
                snprintf(out, outlen, "%" PRIu64 " h %02" PRIu64 " min", s / 3600, (s % 3600) / 60);
        else if (s >= 60)
                snprintf(out, outlen, "%" PRIu64 " min %02" PRIu64 " s", s / 60, s % 60);
        else
                snprintf(out, outlen, "%" PRIu64 " s", s);
}

int rf_sha256_hex(const void *data, size_t len, char out[static 65]) {
        uint8_t md[32];
        unsigned mdlen = 0;
        if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
                return -EIO;
        rf_hex_encode(md, 32, out);
        return 0;
}

bool rf_streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

char *rf_memdup_str(const char *s, size_t n) {
        if (n == SIZE_MAX)
                return NULL;
        char *d = malloc(n + 1);
        if (!d)
                return NULL;
        memcpy(d, s, n);
        d[n] = '\0';
        return d;
}

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
bool rf_utf8_valid(const char *s, size_t len) {
        const unsigned char *u = (const unsigned char *) s;
        size_t i = 0;

        while (i < len) {
                uint32_t cp;
                size_t n;
                if (u[i] < 0x80) {
                        i++;
                        continue;
                }
                if ((u[i] & 0xe0) == 0xc0) {
                        n = 2;
                        cp = u[i] & 0x1f;
                } else if ((u[i] & 0xf0) == 0xe0) {
                        n = 3;
                        cp = u[i] & 0x0f;
                } else if ((u[i] & 0xf8) == 0xf0) {
                        n = 4;
                        cp = u[i] & 0x07;
                } else
                        return false;
                if (len - i < n)
                        return false;
                for (size_t k = 1; k < n; k++) {
                        if ((u[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (u[i + k] & 0x3f);
                }
                if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n;
        }
        return true;
}

long rf_utf8_text_chars(const char *s, size_t len) {
        if (!s || !rf_utf8_valid(s, len))
                return -1;
        const unsigned char *p = (const unsigned char *) s;
        long chars = 0;
        for (size_t i = 0; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        chars++;
                if (p[i] < 0x20 || p[i] == 0x7f)
                        return -1;
                if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
                        return -1; /* U+0080..U+009F */
                if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 && p[i + 2] >= 0xa8 && p[i + 2] <= 0xae)
                        return -1; /* U+2028..U+202E */
                if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)
                        return -1; /* U+2066..U+2069 */
        }
        return chars;
}
