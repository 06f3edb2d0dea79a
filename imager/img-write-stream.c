/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The image as a stream of bytes: a raw file read at the mapped offsets
 * (pread, nothing else is read), or a zstd stream decompressed from the
 * start, the unmapped stretches decompressed into a scratch buffer and
 * dropped. The stream is untrusted: it must decompress to exactly
 * ImageSize bytes and end on a complete frame; anything else is an error
 * naming where it went wrong. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "img-write-internal.h"
#include "rf-macro.h"

#define IN_BUF_SIZE ((size_t) 1024 * 1024)
#define SCRATCH_SIZE ((size_t) 2 * 1024 * 1024)

int img_stream_open(struct img_stream *s, int fd, enum img_compression c, uint64_t image_size, char *err,
                    size_t errlen) {
        struct stat st;

        *s = (struct img_stream) { .fd = fd, .compression = c, .image_size = image_size };
        if (fd < 0 || (c != IMG_COMPRESSION_NONE && c != IMG_COMPRESSION_ZSTD))
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (c == IMG_COMPRESSION_NONE && S_ISREG(st.st_mode)) {
                if ((uint64_t) st.st_size != image_size) {
                        snprintf(err, errlen, "l'image brute fait %" PRIu64 " octets, le bmap annonce %" PRIu64
                                 " (ImageSize)", (uint64_t) st.st_size, image_size);
                        return -EBADMSG;
                }
                s->seekable = true;
                return 0;
        }
        /* zstd, or a raw pipe: read in order from the start. */
        s->pipe = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        s->scratch = malloc(SCRATCH_SIZE);
        if (!s->scratch)
                return -ENOMEM;
        s->scratch_len = SCRATCH_SIZE;
        if (c == IMG_COMPRESSION_ZSTD) {
                s->in = malloc(IN_BUF_SIZE);
                s->zd = ZSTD_createDStream();
                if (!s->in || !s->zd) {
                        img_stream_close(s);
                        return -ENOMEM;
                }
                s->in_cap = IN_BUF_SIZE;
                size_t k = ZSTD_initDStream(s->zd);
                if (ZSTD_isError(k)) {
                        img_stream_close(s);
                        return -ENOMEM;
                }
                s->zin = (ZSTD_inBuffer) { .src = s->in, .size = 0, .pos = 0 };
        }
        return 0;
}

void img_stream_close(struct img_stream *s) {
        ZSTD_freeDStream(s->zd);
        s->zd = NULL;
        free(s->in);
        s->in = NULL;
        free(s->scratch);
        s->scratch = NULL;
}

static bool should_stop(struct img_stream *s) {
        return s->should_stop && s->should_stop(s->userdata);
}

/* Next piece of the file: pread at our own offset (the descriptor's
 * position is not ours to rely on), read() for a pipe. */
static ssize_t read_some(struct img_stream *s, uint8_t *buf, size_t len) {
        for (;;) {
                ssize_t k = s->pipe ? read(s->fd, buf, len) : pread(s->fd, buf, len, (off_t) s->in_pos);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                s->in_pos += (uint64_t) k;
                return k;
        }
}

static int refill(struct img_stream *s, char *err, size_t errlen) {
        ssize_t k = read_some(s, s->in, s->in_cap);
        if (k < 0) {
                snprintf(err, errlen, "lecture de l'image compressée à l'octet %" PRIu64 " : %s", s->in_pos,
                         strerror((int) -k));
                return (int) k;
        }
        s->zin = (ZSTD_inBuffer) { .src = s->in, .size = (size_t) k, .pos = 0 };
        s->eof = k == 0;
        return 0;
}

static uint64_t compressed_pos(const struct img_stream *s) {
        return s->in_pos - s->zin.size + s->zin.pos;
}

static int zstd_failure(const struct img_stream *s, size_t ret, char *err, size_t errlen) {
        if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
                snprintf(err, errlen, "image zstd : fenêtre de compression de plus de 128 Mio (compressée avec "
                         "--long=31 ?), refusée, octet %" PRIu64 " du fichier compressé", compressed_pos(s));
        else
                snprintf(err, errlen, "image zstd corrompue vers l'octet %" PRIu64 " du fichier compressé (%"
                         PRIu64 " octets décompressés) : %s", compressed_pos(s), s->out_pos,
                         ZSTD_getErrorName(ret));
        return -EBADMSG;
}

static int ended_early(const struct img_stream *s, uint64_t produced, char *err, size_t errlen) {
        if (s->compression == IMG_COMPRESSION_ZSTD && s->last_ret != 0)
                snprintf(err, errlen, "image zstd tronquée : le flux s'arrête au milieu d'une trame, après %" PRIu64
                         " octets décompressés sur %" PRIu64 " (ImageSize)", produced, s->image_size);
        else
                snprintf(err, errlen, "image trop courte : %" PRIu64 " octets au lieu de %" PRIu64 " (ImageSize)",
                         produced, s->image_size);
        return -EBADMSG;
}

/* Exactly len bytes of the stream into out. */
static int produce_zstd(struct img_stream *s, uint8_t *out, size_t len, char *err, size_t errlen) {
        ZSTD_outBuffer zout = { .dst = out, .size = len, .pos = 0 };

        while (zout.pos < zout.size) {
                if (s->zin.pos == s->zin.size && !s->eof) {
                        if (should_stop(s))
                                return -ECANCELED;
                        int r = refill(s, err, errlen);
                        if (r < 0)
                                return r;
                }
                size_t in0 = s->zin.pos, out0 = zout.pos;
                size_t ret = ZSTD_decompressStream(s->zd, &zout, &s->zin);
                if (ZSTD_isError(ret))
                        return zstd_failure(s, ret, err, errlen);
                if (s->zin.pos != in0 || zout.pos != out0) {
                        s->last_ret = ret; /* a call without progress says nothing about the frame */
                        continue;
                }
                if (s->zin.pos == s->zin.size && s->eof)
                        return ended_early(s, s->out_pos + zout.pos, err, errlen);
                if (s->zin.pos != s->zin.size) {
                        snprintf(err, errlen, "image zstd illisible vers l'octet %" PRIu64 " du fichier compressé",
                                 compressed_pos(s));
                        return -EBADMSG;
                }
        }
        return 0;
}

static int produce_pipe(struct img_stream *s, uint8_t *out, size_t len, char *err, size_t errlen) {
        for (size_t done = 0; done < len;) {
                if (should_stop(s))
                        return -ECANCELED;
                ssize_t k = read_some(s, out + done, len - done);
                if (k < 0) {
                        snprintf(err, errlen, "lecture de l'image à l'octet %" PRIu64 " : %s", s->in_pos,
                                 strerror((int) -k));
                        return (int) k;
                }
                if (k == 0)
                        return ended_early(s, s->out_pos + done, err, errlen);
                done += (size_t) k;
        }
        return 0;
}

static int produce(struct img_stream *s, uint8_t *out, size_t len, char *err, size_t errlen) {
        int r = s->compression == IMG_COMPRESSION_ZSTD ? produce_zstd(s, out, len, err, errlen)
                                                       : produce_pipe(s, out, len, err, errlen);
        if (r == 0)
                s->out_pos += len;
        return r;
}

static int skip_to(struct img_stream *s, uint64_t offset, char *err, size_t errlen) {
        while (s->out_pos < offset) {
                size_t n = (size_t) MIN((uint64_t) s->scratch_len, offset - s->out_pos);
                int r = produce(s, s->scratch, n, err, errlen);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int pread_full(struct img_stream *s, uint8_t *buf, size_t len, uint64_t offset, char *err, size_t errlen) {
        for (size_t done = 0; done < len;) {
                if (should_stop(s))
                        return -ECANCELED;
                ssize_t k = pread(s->fd, buf + done, len - done, (off_t) (offset + done));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = negative_errno();
                        snprintf(err, errlen, "lecture de l'image à l'octet %" PRIu64 " : %s", offset + done,
                                 strerror(-r));
                        return r;
                }
                if (k == 0) /* the file shrank since it was checked */
                        return ended_early(s, offset + done, err, errlen);
                done += (size_t) k;
        }
        return 0;
}

int img_stream_read(struct img_stream *s, uint64_t offset, uint8_t *buf, size_t len, char *err, size_t errlen) {
        if (offset < s->out_pos || offset > s->image_size || len > s->image_size - offset)
                return -EINVAL;
        if (s->seekable) {
                int r = pread_full(s, buf, len, offset, err, errlen);
                if (r == 0)
                        s->out_pos = offset + len;
                return r;
        }
        int r = skip_to(s, offset, err, errlen);
        if (r < 0)
                return r;
        return produce(s, buf, len, err, errlen);
}

static int too_long(const struct img_stream *s, char *err, size_t errlen) {
        snprintf(err, errlen, "l'image %sdépasse ImageSize (%" PRIu64 " octets)",
                 s->compression == IMG_COMPRESSION_ZSTD ? "décompressée " : "", s->image_size);
        return -EBADMSG;
}

int img_stream_finish(struct img_stream *s, char *err, size_t errlen) {
        if (s->seekable) {
                struct stat st;
                if (fstat(s->fd, &st) == 0 && (uint64_t) st.st_size != s->image_size) {
                        snprintf(err, errlen, "l'image brute a changé de taille pendant l'écriture : %" PRIu64
                                 " octets au lieu de %" PRIu64, (uint64_t) st.st_size, s->image_size);
                        return -EBADMSG;
                }
                return 0;
        }
        int r = skip_to(s, s->image_size, err, errlen);
        if (r < 0)
                return r;

        if (s->compression != IMG_COMPRESSION_ZSTD) {
                ssize_t k = read_some(s, s->scratch, 1);
                if (k < 0) {
                        snprintf(err, errlen, "lecture de l'image : %s", strerror((int) -k));
                        return (int) k;
                }
                return k > 0 ? too_long(s, err, errlen) : 0;
        }

        /* Nothing more may come out, and the last frame must be complete
         * (its checksum, when it has one, is checked on the way). */
        for (;;) {
                if (s->zin.pos == s->zin.size && !s->eof) {
                        if (should_stop(s))
                                return -ECANCELED;
                        r = refill(s, err, errlen);
                        if (r < 0)
                                return r;
                }
                ZSTD_outBuffer zout = { .dst = s->scratch, .size = s->scratch_len, .pos = 0 };
                size_t in0 = s->zin.pos;
                size_t ret = ZSTD_decompressStream(s->zd, &zout, &s->zin);
                if (ZSTD_isError(ret))
                        return zstd_failure(s, ret, err, errlen);
                if (zout.pos > 0)
                        return too_long(s, err, errlen);
                if (s->zin.pos != in0) {
                        s->last_ret = ret;
                        continue;
                }
                if (s->zin.pos == s->zin.size && s->eof)
                        break;
                if (s->zin.pos != s->zin.size) {
                        snprintf(err, errlen, "image zstd illisible vers l'octet %" PRIu64 " du fichier compressé",
                                 compressed_pos(s));
                        return -EBADMSG;
                }
        }
        if (s->last_ret != 0) {
                snprintf(err, errlen, "image zstd tronquée : la dernière trame est incomplète (%" PRIu64
                         " octets compressés lus)", s->in_pos);
                return -EBADMSG;
        }
        return 0;
}
