/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bmaptool's block maps, read with libxml2's streaming reader: the memory
 * used stays that of the ranges whatever the document holds, and every
 * node is checked as it goes by. No network, no DTD, no entity
 * substitution: a document with a DOCTYPE is refused. */
#include "img-bmap.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include "img-bmap-text.h"
#include "rf-macro.h"
#include "rf-util.h"

#define BMAP_MAX_SIZE (64 * MiB)
#define BMAP_MAX_RANGES ((size_t) 10000000)
#define BMAP_MAX_IMAGE_SIZE ((uint64_t) 1 << 50) /* 1 Pio: fits off_t with room to spare */
#define BMAP_MAX_TEXT 256                         /* content of one simple element */

enum field {
        F_IMAGE_SIZE,
        F_BLOCK_SIZE,
        F_BLOCKS_COUNT,
        F_MAPPED_BLOCKS,
        F_CHECKSUM_TYPE,
        F_FILE_CHECKSUM,
        F_BLOCK_MAP,
        N_FIELDS,
};

static const char *const field_names[N_FIELDS] = {
        [F_IMAGE_SIZE] = "ImageSize",
        [F_BLOCK_SIZE] = "BlockSize",
        [F_BLOCKS_COUNT] = "BlocksCount",
        [F_MAPPED_BLOCKS] = "MappedBlocksCount",
        [F_CHECKSUM_TYPE] = "ChecksumType",
        [F_FILE_CHECKSUM] = "BmapFileChecksum",
        [F_BLOCK_MAP] = "BlockMap",
};

struct parser {
        const char *name;
        xmlTextReaderPtr reader;
        struct img_bmap *bmap;
        size_t ranges_cap;
        unsigned root_line;
        unsigned lines[N_FIELDS]; /* 0: not seen */
        unsigned minor;           /* of the format version 2.minor */
        char file_checksum[65];
        uint64_t ranges_blocks;   /* sum of the ranges' lengths */
        char xml_error[256];      /* first error libxml2 reported */
        unsigned xml_error_line;
        char *err;
        size_t errlen;
};

static void reader_freep(xmlTextReaderPtr *r) {
        if (*r)
                xmlFreeTextReader(*r);
}

static void xmlfreep(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}

/* "NAME:LINE: what"; returns r. */
static int fail_at(struct parser *p, int r, unsigned line, const char *fmt, ...) _printf_(4, 5);
static int fail_at(struct parser *p, int r, unsigned line, const char *fmt, ...) {
        if (!p->err || p->errlen == 0)
                return r;
        int n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
        if (n < 0 || (size_t) n >= p->errlen)
                return r;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t) n, fmt, ap);
        va_end(ap);
        return r;
}

#if LIBXML_VERSION >= 21200
static void on_xml_error(void *userdata, const xmlError *e) {
#else
static void on_xml_error(void *userdata, xmlErrorPtr e) {
#endif
        struct parser *p = userdata;
        if (!e || e->level < XML_ERR_ERROR || p->xml_error[0])
                return;
        snprintf(p->xml_error, sizeof(p->xml_error), "%s", e->message ? e->message : "erreur inconnue");
        size_t l = strlen(p->xml_error);
        while (l > 0 && (p->xml_error[l - 1] == '\n' || p->xml_error[l - 1] == ' '))
                p->xml_error[--l] = '\0';
        p->xml_error_line = e->line > 0 ? (unsigned) e->line : 0;
}

/* Line of the node the reader is on (libxml2 keeps it for elements, text
 * and comments; beyond 65535 only for text, hence XML_PARSE_BIG_LINES). */
static unsigned node_line(struct parser *p) {
        xmlNodePtr n = xmlTextReaderCurrentNode(p->reader);
        long l = n ? xmlGetLineNo(n) : -1;
        if (l <= 0 || l == 65535) {
                int pl = xmlTextReaderGetParserLineNumber(p->reader);
                if (pl > 0 && (l <= 0 || pl > l))
                        l = pl;
        }
        return l > 0 && l <= UINT_MAX ? (unsigned) l : 0;
}

/* libxml2 gives a text node the line where it ends: the line where its
 * first non-blank character is. */
static unsigned text_line(struct parser *p, const char *v) {
        unsigned line = node_line(p);
        while (*v && img_bmap_is_ws(*v))
                v++;
        for (; *v && line > 1; v++)
                line -= *v == '\n';
        return line;
}

static int read_node(struct parser *p) {
        int k = xmlTextReaderRead(p->reader);
        if (k == 1)
                return 1;
        if (k == 0)
                return 0;
        return fail_at(p, -EBADMSG, p->xml_error_line ? p->xml_error_line : node_line(p), "XML invalide : %s",
                       p->xml_error[0] ? p->xml_error : "erreur de lecture");
}

/* Nodes that may appear anywhere and mean nothing here. Everything that
 * could make the document say something we do not see is refused. */
static int check_misc_node(struct parser *p, int type) {
        switch (type) {
        case XML_READER_TYPE_DOCUMENT_TYPE:
                return fail_at(p, -EBADMSG, node_line(p), "déclaration DOCTYPE refusée (ni DTD ni entités)");
        case XML_READER_TYPE_ENTITY_REFERENCE:
        case XML_READER_TYPE_ENTITY:
                return fail_at(p, -EBADMSG, node_line(p), "référence d'entité refusée");
        case XML_READER_TYPE_PROCESSING_INSTRUCTION:
                return fail_at(p, -EBADMSG, node_line(p), "instruction de traitement <?...?> inattendue");
        case XML_READER_TYPE_CDATA:
                return fail_at(p, -EBADMSG, node_line(p), "section CDATA inattendue");
        default:
                return 0;
        }
}

/* Content of a simple element (the reader is on its start tag): its text,
 * comments allowed, no child element. */
static int read_text(struct parser *p, const char *elem, char *buf, size_t buflen) {
        unsigned line = node_line(p);
        size_t used = 0;
        buf[0] = '\0';
        if (xmlTextReaderIsEmptyElement(p->reader))
                return 0;
        for (;;) {
                int k = read_node(p);
                if (k < 0)
                        return k;
                if (k == 0)
                        return fail_at(p, -EBADMSG, line, "<%s> non fermé", elem);
                int type = xmlTextReaderNodeType(p->reader);
                if (type == XML_READER_TYPE_END_ELEMENT)
                        return 0;
                if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_WHITESPACE ||
                    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
                        const char *v = (const char *) xmlTextReaderConstValue(p->reader);
                        size_t l = v ? strlen(v) : 0;
                        if (used + l >= buflen)
                                return fail_at(p, -EBADMSG, line, "contenu de <%s> trop long (plus de %zu caractères)",
                                               elem, buflen - 1);
                        if (v && l > 0)
                                memcpy(buf + used, v, l);
                        used += l;
                        buf[used] = '\0';
                        continue;
                }
                if (type == XML_READER_TYPE_ELEMENT)
                        return fail_at(p, -EBADMSG, node_line(p), "élément <%s> inattendu dans <%s>",
                                       (const char *) xmlTextReaderConstName(p->reader), elem);
                k = check_misc_node(p, type);
                if (k < 0)
                        return k;
        }
}

/* Only the listed attributes (NULL-terminated) are allowed on the element
 * the reader is on. */
static int check_attributes(struct parser *p, const char *elem, const char *const *allowed) {
        unsigned line = node_line(p);
        int r = 0;
        while (r == 0 && xmlTextReaderMoveToNextAttribute(p->reader) == 1) {
                const char *a = (const char *) xmlTextReaderConstName(p->reader);
                bool ok = false;
                for (const char *const *w = allowed; *w && a; w++)
                        ok = ok || strcmp(*w, a) == 0;
                if (!ok)
                        r = fail_at(p, -EBADMSG, line, "attribut inattendu %s sur <%s>", a ? a : "?", elem);
        }
        xmlTextReaderMoveToElement(p->reader);
        return r;
}

static int parse_number_field(struct parser *p, enum field f, unsigned line, char *text, uint64_t *ret) {
        char *t = img_bmap_trim(text);
        int k = img_bmap_parse_u64(t, ret);
        if (k == -ERANGE)
                return fail_at(p, -EBADMSG, line, "<%s> : nombre trop grand « %s »", field_names[f], t);
        if (k < 0)
                return fail_at(p, -EBADMSG, line, "<%s> : nombre entier positif attendu, lu « %s »", field_names[f], t);
        return 0;
}

static int add_range(struct parser *p, unsigned line, char *text, const char *chksum) {
        struct img_bmap *b = p->bmap;
        char *t = img_bmap_trim(text);
        char *dash = strchr(t, '-');
        uint64_t first, last;
        int k;

        if (b->n_ranges >= BMAP_MAX_RANGES)
                return fail_at(p, -E2BIG, line, "trop de plages (au plus %zu)", BMAP_MAX_RANGES);
        if (dash) {
                *dash = '\0';
                char *a = img_bmap_trim(t), *z = img_bmap_trim(dash + 1);
                k = img_bmap_parse_u64(a, &first);
                if (k >= 0)
                        k = img_bmap_parse_u64(z, &last);
                if (k < 0) {
                        *dash = '-';
                        return fail_at(p, -EBADMSG, line, "<Range> : « N » ou « N-M » attendu, lu « %s »", t);
                }
        } else {
                k = img_bmap_parse_u64(t, &first);
                if (k < 0)
                        return fail_at(p, -EBADMSG, line, "<Range> : « N » ou « N-M » attendu, lu « %s »", t);
                last = first;
        }
        if (first > last)
                return fail_at(p, -EBADMSG, line, "<Range> : début %" PRIu64 " après la fin %" PRIu64, first, last);
        if (b->n_ranges > 0) {
                const struct img_bmap_range *prev = &b->ranges[b->n_ranges - 1];
                if (first <= prev->last)
                        return fail_at(p, -EBADMSG, line,
                                       "<Range> %" PRIu64 "-%" PRIu64 " pas après la plage précédente (%" PRIu64
                                       "-%" PRIu64 ", ligne %u) : plages non triées ou qui se chevauchent",
                                       first, last, prev->first, prev->last, prev->line);
        }
        if (!chksum)
                return fail_at(p, -EBADMSG, line, "<Range> sans attribut chksum (bmaptool create sans --no-checksum)");
        uint8_t md[32];
        if (strlen(chksum) != 64 || rf_hex_decode(chksum, md, sizeof(md)) < 0)
                return fail_at(p, -EBADMSG, line, "<Range> : chksum doit faire 64 chiffres hexadécimaux, lu « %.80s »",
                               chksum);

        if (b->n_ranges == p->ranges_cap) {
                size_t cap = p->ranges_cap ? p->ranges_cap * 2 : 64;
                if (cap > BMAP_MAX_RANGES)
                        cap = BMAP_MAX_RANGES;
                struct img_bmap_range *n = reallocarray(b->ranges, cap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                b->ranges = n;
                p->ranges_cap = cap;
        }
        struct img_bmap_range *r = &b->ranges[b->n_ranges++];
        *r = (struct img_bmap_range) { .first = first, .last = last, .line = line };
        memcpy(r->sha256, md, sizeof(md));
        /* No overflow: last < 2^64 and the sum is checked against BlocksCount later,
         * each range being inside it, so the sum stays below 2^50 + 1. */
        if (last - first + 1 > UINT64_MAX - p->ranges_blocks)
                return fail_at(p, -EBADMSG, line, "<Range> : somme des plages trop grande");
        p->ranges_blocks += last - first + 1;
        return 0;
}

static int parse_block_map(struct parser *p) {
        if (xmlTextReaderIsEmptyElement(p->reader))
                return 0;
        for (;;) {
                int k = read_node(p);
                if (k < 0)
                        return k;
                if (k == 0)
                        return fail_at(p, -EBADMSG, p->lines[F_BLOCK_MAP], "<BlockMap> non fermé");
                int type = xmlTextReaderNodeType(p->reader);
                if (type == XML_READER_TYPE_END_ELEMENT)
                        return 0;
                if (type == XML_READER_TYPE_TEXT) {
                        const char *v = (const char *) xmlTextReaderConstValue(p->reader);
                        if (v && !img_bmap_all_ws(v))
                                return fail_at(p, -EBADMSG, text_line(p, v), "texte inattendu dans <BlockMap>");
                        continue;
                }
                if (type != XML_READER_TYPE_ELEMENT) {
                        k = check_misc_node(p, type);
                        if (k < 0)
                                return k;
                        continue;
                }
                const char *name = (const char *) xmlTextReaderConstName(p->reader);
                unsigned line = node_line(p);
                if (!name || strcmp(name, "Range") != 0)
                        return fail_at(p, -EBADMSG, line, "élément <%s> inattendu dans <BlockMap> (seulement <Range>)",
                                       name ? name : "?");
                static const char *const allowed[] = { "chksum", NULL };
                k = check_attributes(p, "Range", allowed);
                if (k < 0)
                        return k;
                _cleanup_(xmlfreep) xmlChar *chksum = xmlTextReaderGetAttribute(p->reader, BAD_CAST "chksum");
                char text[BMAP_MAX_TEXT];
                k = read_text(p, "Range", text, sizeof(text));
                if (k < 0)
                        return k;
                k = add_range(p, line, text, (const char *) chksum);
                if (k < 0)
                        return k;
        }
}

static int parse_field(struct parser *p, enum field f, unsigned line) {
        struct img_bmap *b = p->bmap;
        static const char *const none[] = { NULL };
        int k = check_attributes(p, field_names[f], none);
        if (k < 0)
                return k;
        if (f == F_BLOCK_MAP)
                return parse_block_map(p);

        char text[BMAP_MAX_TEXT];
        k = read_text(p, field_names[f], text, sizeof(text));
        if (k < 0)
                return k;
        char *t = img_bmap_trim(text);
        uint64_t v = 0;
        switch (f) {
        case F_IMAGE_SIZE:
                k = parse_number_field(p, f, line, t, &b->image_size);
                if (k < 0)
                        return k;
                if (b->image_size == 0 || b->image_size > BMAP_MAX_IMAGE_SIZE)
                        return fail_at(p, -EBADMSG, line, "<ImageSize> %" PRIu64 " hors limites (1 à %" PRIu64 ")",
                                       b->image_size, BMAP_MAX_IMAGE_SIZE);
                return 0;
        case F_BLOCK_SIZE:
                k = parse_number_field(p, f, line, t, &v);
                if (k < 0)
                        return k;
                if (v < 512 || v > 1 * MiB || (v & (v - 1)) != 0)
                        return fail_at(p, -EBADMSG, line,
                                       "<BlockSize> %" PRIu64 " : puissance de deux de 512 à 1048576 attendue", v);
                b->block_size = (uint32_t) v;
                return 0;
        case F_BLOCKS_COUNT:
                return parse_number_field(p, f, line, t, &b->blocks_count);
        case F_MAPPED_BLOCKS:
                return parse_number_field(p, f, line, t, &b->mapped_blocks);
        case F_CHECKSUM_TYPE:
                if (strcasecmp(t, "sha256") != 0)
                        return fail_at(p, -EBADMSG, line, "<ChecksumType> « %s » : seul sha256 est accepté", t);
                return 0;
        case F_FILE_CHECKSUM: {
                uint8_t md[32];
                if (strlen(t) != 64 || rf_hex_decode(t, md, sizeof(md)) < 0)
                        return fail_at(p, -EBADMSG, line,
                                       "<BmapFileChecksum> : 64 chiffres hexadécimaux attendus, lu « %.80s »", t);
                memcpy(p->file_checksum, t, 65);
                return 0;
        }
        default:
                return -EINVAL;
        }
}

static int parse_version(struct parser *p, unsigned line) {
        _cleanup_(xmlfreep) xmlChar *attr = xmlTextReaderGetAttribute(p->reader, BAD_CAST "version");
        const char *v = (const char *) attr;
        if (!v)
                return fail_at(p, -EBADMSG, line, "<bmap> sans attribut version");
        static const char *const allowed[] = { "version", NULL };
        int k = check_attributes(p, "bmap", allowed);
        if (k < 0)
                return k;
        const char *dot = strchr(v, '.');
        uint64_t major = 0, minor = 0;
        char buf[32];
        if (!dot || strlen(v) >= sizeof(buf) || dot - v > 8)
                return fail_at(p, -EBADMSG, line, "version « %.40s » : « MAJEUR.MINEUR » attendu", v);
        memcpy(buf, v, (size_t) (dot - v));
        buf[dot - v] = '\0';
        if (img_bmap_parse_u64(buf, &major) < 0 || img_bmap_parse_u64(dot + 1, &minor) < 0 || minor > 1000)
                return fail_at(p, -EBADMSG, line, "version « %s » : « MAJEUR.MINEUR » attendu", v);
        if (major < 2)
                return fail_at(p, -EPROTONOSUPPORT, line,
                               "format bmap %s refusé : les versions 1.x ont des empreintes SHA-1 ; "
                               "recréer la carte avec bmaptool 3.x (format 2.0)", v);
        if (major > 2)
                return fail_at(p, -EPROTONOSUPPORT, line, "format bmap %s non pris en charge (2.x attendu)", v);
        p->minor = (unsigned) minor;
        snprintf(p->bmap->version, sizeof(p->bmap->version), "%s", v);
        return 0;
}

/* An element a later 2.x added: skipped, its content still checked for
 * what is refused everywhere (entities...). */
static int skip_element(struct parser *p, const char *elem, unsigned line) {
        if (xmlTextReaderIsEmptyElement(p->reader))
                return 0;
        int depth = xmlTextReaderDepth(p->reader);
        char name[64];
        snprintf(name, sizeof(name), "%s", elem);
        for (;;) {
                int k = read_node(p);
                if (k < 0)
                        return k;
                if (k == 0)
                        return fail_at(p, -EBADMSG, line, "<%s> non fermé", name);
                int type = xmlTextReaderNodeType(p->reader);
                if (type == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(p->reader) == depth)
                        return 0;
                k = check_misc_node(p, type);
                if (k < 0)
                        return k;
        }
}

static int parse_root(struct parser *p) {
        p->root_line = node_line(p);
        int k = parse_version(p, p->root_line);
        if (k < 0)
                return k;
        if (xmlTextReaderIsEmptyElement(p->reader))
                return 0;
        for (;;) {
                k = read_node(p);
                if (k < 0)
                        return k;
                if (k == 0)
                        return fail_at(p, -EBADMSG, p->root_line, "<bmap> non fermé");
                int type = xmlTextReaderNodeType(p->reader);
                if (type == XML_READER_TYPE_END_ELEMENT)
                        return 0;
                if (type == XML_READER_TYPE_TEXT) {
                        const char *v = (const char *) xmlTextReaderConstValue(p->reader);
                        if (v && !img_bmap_all_ws(v))
                                return fail_at(p, -EBADMSG, text_line(p, v), "texte inattendu dans <bmap>");
                        continue;
                }
                if (type != XML_READER_TYPE_ELEMENT) {
                        k = check_misc_node(p, type);
                        if (k < 0)
                                return k;
                        continue;
                }
                const char *name = (const char *) xmlTextReaderConstName(p->reader);
                unsigned line = node_line(p);
                enum field f = N_FIELDS;
                for (size_t i = 0; name && i < N_FIELDS; i++)
                        if (strcmp(name, field_names[i]) == 0)
                                f = (enum field) i;
                if (f == N_FIELDS) {
                        /* A later 2.x may add elements (compatible changes only): skipped. */
                        if (p->minor > 0) {
                                k = skip_element(p, name ? name : "?", line);
                                if (k < 0)
                                        return k;
                                continue;
                        }
                        return fail_at(p, -EBADMSG, line, "élément <%s> inconnu dans <bmap> version %s",
                                       name ? name : "?", p->bmap->version);
                }
                if (p->lines[f])
                        return fail_at(p, -EBADMSG, line, "<%s> en double (déjà ligne %u)", field_names[f],
                                       p->lines[f]);
                p->lines[f] = line;
                k = parse_field(p, f, line);
                if (k < 0)
                        return k;
        }
}

static int verify_file_checksum(struct parser *p, const char *data, size_t len) {
        unsigned line = p->lines[F_FILE_CHECKSUM];
        char hex[65];
        int k = img_bmap_file_digest(data, len, p->file_checksum, hex);
        if (k == -ENOENT)
                return fail_at(p, -EBADMSG, line, "<BmapFileChecksum> : valeur introuvable telle quelle dans le fichier");
        if (k < 0)
                return k;
        if (strcasecmp(hex, p->file_checksum) != 0)
                return fail_at(p, -EBADMSG, line,
                               "<BmapFileChecksum> différent : le fichier donne %s, il annonce %s (fichier modifié ou "
                               "tronqué)", hex, p->file_checksum);
        return 0;
}

static int check_consistency(struct parser *p) {
        struct img_bmap *b = p->bmap;
        for (size_t i = 0; i < N_FIELDS; i++)
                if (!p->lines[i])
                        return fail_at(p, -EBADMSG, p->root_line, "élément <%s> absent de <bmap>", field_names[i]);
        uint64_t want = b->image_size / b->block_size + (b->image_size % b->block_size != 0);
        if (b->blocks_count != want)
                return fail_at(p, -EBADMSG, p->lines[F_BLOCKS_COUNT],
                               "<BlocksCount> %" PRIu64 " incohérent : ImageSize %" PRIu64 " en blocs de %" PRIu32
                               " fait %" PRIu64 " blocs", b->blocks_count, b->image_size, b->block_size, want);
        for (size_t i = 0; i < b->n_ranges; i++)
                if (b->ranges[i].last >= b->blocks_count)
                        return fail_at(p, -EBADMSG, b->ranges[i].line,
                                       "<Range> %" PRIu64 "-%" PRIu64 " au-delà de la fin de l'image (%" PRIu64
                                       " blocs, le dernier est %" PRIu64 ")", b->ranges[i].first, b->ranges[i].last,
                                       b->blocks_count, b->blocks_count - 1);
        if (p->ranges_blocks != b->mapped_blocks)
                return fail_at(p, -EBADMSG, p->lines[F_MAPPED_BLOCKS],
                               "<MappedBlocksCount> %" PRIu64 " mais les plages totalisent %" PRIu64 " blocs",
                               b->mapped_blocks, p->ranges_blocks);
        return 0;
}

static int prescan(struct parser *p, const char *data, size_t len) {
        unsigned line = 0;
        const char *what = NULL;
        int k = img_bmap_prescan(data, len, &line, &what);
        if (k < 0)
                return fail_at(p, k, line, "%s", what);
        return 0;
}

int img_bmap_parse(const char *name, const void *data, size_t len, struct img_bmap **ret, char *err, size_t errlen) {
        struct parser p = { .name = name ? name : "bmap", .err = err, .errlen = errlen };
        if (err && errlen)
                err[0] = '\0';
        if (!ret || (!data && len))
                return -EINVAL;
        if (len > BMAP_MAX_SIZE) {
                if (err && errlen)
                        snprintf(err, errlen, "%s : fichier trop grand (%zu octets, au plus %" PRIu64 ")", p.name, len,
                                 BMAP_MAX_SIZE);
                return -EFBIG;
        }
        if (len == 0)
                return fail_at(&p, -EBADMSG, 1, "fichier vide");
        int k = prescan(&p, data, len);
        if (k < 0)
                return k;

        _cleanup_img_bmap_ struct img_bmap *b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        p.bmap = b;

        xmlInitParser();
        /* No XML_PARSE_NOENT (entities stay references, refused), no
         * DTDLOAD/DTDATTR/DTDVALID, no network. Encoding forced to UTF-8. */
        _cleanup_(reader_freep) xmlTextReaderPtr reader =
                xmlReaderForMemory(data, (int) len, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_BIG_LINES);
        if (!reader)
                return -ENOMEM;
        p.reader = reader;
        xmlTextReaderSetStructuredErrorHandler(reader, on_xml_error, &p);

        bool root = false;
        for (;;) {
                k = read_node(&p);
                if (k < 0)
                        return k;
                if (k == 0)
                        break;
                int type = xmlTextReaderNodeType(reader);
                if (type == XML_READER_TYPE_ELEMENT) {
                        const char *n = (const char *) xmlTextReaderConstName(reader);
                        if (root || !n || strcmp(n, "bmap") != 0)
                                return fail_at(&p, -EBADMSG, node_line(&p), "élément racine <%s> : <bmap> attendu",
                                               n ? n : "?");
                        root = true;
                        k = parse_root(&p);
                        if (k < 0)
                                return k;
                        continue;
                }
                k = check_misc_node(&p, type);
                if (k < 0)
                        return k;
        }
        if (!root)
                return fail_at(&p, -EBADMSG, 1, "élément <bmap> absent");

        k = check_consistency(&p);
        if (k < 0)
                return k;
        k = verify_file_checksum(&p, data, len);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(b);
        return 0;
}

void img_bmap_free(struct img_bmap *b) {
        if (!b)
                return;
        free(b->ranges);
        free(b);
}
