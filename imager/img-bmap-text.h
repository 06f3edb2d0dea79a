/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Internal to img-bmap.c: the text-level pieces of a bmap file, which need
 * no XML parser. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* XML whitespace: space, tab, CR, LF. */
bool img_bmap_is_ws(char c);
bool img_bmap_all_ws(const char *s);
/* Trim XML whitespace in place; returns the first kept character. */
char *img_bmap_trim(char *s);
/* Decimal digits only (no sign, no space): -EINVAL, or -ERANGE beyond 2^64-1. */
int img_bmap_parse_u64(const char *s, uint64_t *ret);

/* bmaptool 3.6 (BmapCopy._verify_bmap_checksum): the first occurrence of
 * the 64-digit value in the raw bytes is replaced by as many '0' and the
 * whole file is hashed (SHA-256). -ENOENT when value is not in data. */
int img_bmap_file_digest(const char *data, size_t len, const char value[static 65], char out[static 65]);

/* Refusals before libxml2 sees anything: a NUL byte (the file is read as
 * UTF-8 only, so "<!DOCTYPE" cannot hide in another encoding), a DOCTYPE
 * or ENTITY declaration. -EBADMSG with *line and *what (French). */
int img_bmap_prescan(const char *data, size_t len, unsigned *line, const char **what);
