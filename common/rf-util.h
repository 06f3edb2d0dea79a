/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Small helpers shared by the wiper, the daemon and the CLI. All return 0 or
 * a negative errno unless stated otherwise. */

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void rf_hex_encode(const uint8_t *data, size_t len, char *out);
/* Parse exactly 2*len hex digits; -EINVAL otherwise. */
int rf_hex_decode(const char *hex, uint8_t *out, size_t len);

/* Cryptographically random bytes (OpenSSL RAND_bytes). */
int rf_random_bytes(void *buf, size_t len);
/* Random RFC 4122 version 4 UUID, lower case, 37 bytes with the NUL. */
int rf_uuid4(char out[static 37]);

/* UTC time as "2026-11-22T02:10:00Z" (21 bytes with the NUL). */
void rf_time_iso8601(time_t t, char out[static 21]);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t rf_now_usec(void);
/* CLOCK_REALTIME in seconds. */
time_t rf_now_sec(void);

/* Read a whole file (at most max bytes, -EFBIG beyond) into a NUL-terminated
 * buffer. */
int rf_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* Write a file atomically (temp file + fsync + rename + fsync of the
 * directory) with the given mode. */
int rf_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* mkdir -p with mode for created directories. */
int rf_mkdir_p(const char *path, unsigned mode);
/* Read a sysfs-like attribute: first line, trailing whitespace stripped. */
int rf_read_line(const char *path, char **ret);

/* "1.2 Go", "512 Mo" (fr) or "1.2 GB", "512 MB" (en): decimal units, as on
 * drive labels. */
void rf_format_bytes(uint64_t bytes, bool french, char *out, size_t outlen);
/* "1 h 05 min", "3 min 20 s", "12 s". */
void rf_format_duration(uint64_t seconds, char *out, size_t outlen);

/* SHA-256 of data, as 64 hex digits + NUL. */
int rf_sha256_hex(const void *data, size_t len, char out[static 65]);

bool rf_streq_ptr(const char *a, const char *b);

/* A NUL-terminated copy of the n bytes at s, which need not be
 * NUL-terminated (unlike strndup, never reads past s + n). NULL on ENOMEM. */
char *rf_memdup_str(const char *s, size_t n);

/* Whether s[0..len) is valid UTF-8 (strict: no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
bool rf_utf8_valid(const char *s, size_t len);

/* Characters (code points) of s[0..len) when it is valid UTF-8 text that
 * can go on one line of a log or a page: no control character (C0, DEL,
 * C1), no line or paragraph separator (U+2028, U+2029) and no
 * bidirectional override or isolate (U+202A..U+202E, U+2066..U+2069);
 * -1 otherwise. */
long rf_utf8_text_chars(const char *s, size_t len);
