/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "img-bmap.h"
#include "rf-macro.h"
#include "rf-util.h"

/* Made by `bmaptool create` (bmap-tools 3.6) on a sparse 1 MiB file with
 * data in blocks 3, 100-102 and 255. Its BmapFileChecksum is bmaptool's. */
static const char REAL_BMAP[] =
        "<?xml version=\"1.0\" ?>\n"
        "<!-- This file contains the block map for an image file, which is basically\n"
        "     a list of useful (mapped) block numbers in the image file. In other words,\n"
        "     it lists only those blocks which contain data (boot sector, partition\n"
        "     table, file-system metadata, files, directories, extents, etc). These\n"
        "     blocks have to be copied to the target device. The other blocks do not\n"
        "     contain any useful data and do not have to be copied to the target\n"
        "     device.\n"
        "\n"
        "     The block map an optimization which allows to copy or flash the image to\n"
        "     the image quicker than copying of flashing the entire image. This is\n"
        "     because with bmap less data is copied: <MappedBlocksCount> blocks instead\n"
        "     of <BlocksCount> blocks.\n"
        "\n"
        "     Besides the machine-readable data, this file contains useful commentaries\n"
        "     which contain human-readable information like image size, percentage of\n"
        "     mapped data, etc.\n"
        "\n"
        "     The 'version' attribute is the block map file format version in the\n"
        "     'major.minor' format. The version major number is increased whenever an\n"
        "     incompatible block map format change is made. The minor number changes\n"
        "     in case of minor backward-compatible changes. -->\n"
        "\n"
        "<bmap version=\"2.0\">\n"
        "    <!-- Image size in bytes: 1.0 MiB -->\n"
        "    <ImageSize> 1048576 </ImageSize>\n"
        "\n"
        "    <!-- Size of a block in bytes -->\n"
        "    <BlockSize> 4096 </BlockSize>\n"
        "\n"
        "    <!-- Count of blocks in the image file -->\n"
        "    <BlocksCount> 256 </BlocksCount>\n"
        "\n"
        "    <!-- Count of mapped blocks: 20.0 KiB or 2.0%    -->\n"
        "    <MappedBlocksCount> 5   </MappedBlocksCount>\n"
        "\n"
        "    <!-- Type of checksum used in this file -->\n"
        "    <ChecksumType> sha256 </ChecksumType>\n"
        "\n"
        "    <!-- The checksum of this bmap file. When it is calculated, the value of\n"
        "         the checksum has be zero (all ASCII \"0\" symbols).  -->\n"
        "    <BmapFileChecksum> 406d41aa23151f43f9587f964c7c6443968b95556e2eb650a14ebd327c85047a </BmapFileChecksum>\n"
        "\n"
        "    <!-- The block map which consists of elements which may either be a\n"
        "         range of blocks or a single block. The 'chksum' attribute\n"
        "         (if present) is the checksum of this blocks range. -->\n"
        "    <BlockMap>\n"
        "        <Range chksum=\"4a987f8501cbbc0691a9e2d4156c27f9cdb95e85d7d92efb16608f3020b22fd8\"> 3 </Range>\n"
        "        <Range chksum=\"420dd555dacfad6ab3da096fcdd6d731d37f7add5b00b6c25635e0bb16071ab5\"> 100-102 </Range>\n"
        "        <Range chksum=\"73aa7ce473869dd18ad92fdd24773ef6727db60cdc57f872aac08c852c4cb817\"> 255 </Range>\n"
        "    </BlockMap>\n"
        "</bmap>\n"
        ;

/* Same tool, a 10000-byte file (the last block is short), data in blocks 0 and 2. */
static const char ODD_BMAP[] =
        "<?xml version=\"1.0\" ?>\n"
        "<!-- This file contains the block map for an image file, which is basically\n"
        "     a list of useful (mapped) block numbers in the image file. In other words,\n"
        "     it lists only those blocks which contain data (boot sector, partition\n"
        "     table, file-system metadata, files, directories, extents, etc). These\n"
        "     blocks have to be copied to the target device. The other blocks do not\n"
        "     contain any useful data and do not have to be copied to the target\n"
        "     device.\n"
        "\n"
        "     The block map an optimization which allows to copy or flash the image to\n"
        "     the image quicker than copying of flashing the entire image. This is\n"
        "     because with bmap less data is copied: <MappedBlocksCount> blocks instead\n"
        "     of <BlocksCount> blocks.\n"
        "\n"
        "     Besides the machine-readable data, this file contains useful commentaries\n"
        "     which contain human-readable information like image size, percentage of\n"
        "     mapped data, etc.\n"
        "\n"
        "     The 'version' attribute is the block map file format version in the\n"
        "     'major.minor' format. The version major number is increased whenever an\n"
        "     incompatible block map format change is made. The minor number changes\n"
        "     in case of minor backward-compatible changes. -->\n"
        "\n"
        "<bmap version=\"2.0\">\n"
        "    <!-- Image size in bytes: 9.8 KiB -->\n"
        "    <ImageSize> 10000 </ImageSize>\n"
        "\n"
        "    <!-- Size of a block in bytes -->\n"
        "    <BlockSize> 4096 </BlockSize>\n"
        "\n"
        "    <!-- Count of blocks in the image file -->\n"
        "    <BlocksCount> 3 </BlocksCount>\n"
        "\n"
        "    <!-- Count of mapped blocks: 8.0 KiB or 66.7%    -->\n"
        "    <MappedBlocksCount> 2 </MappedBlocksCount>\n"
        "\n"
        "    <!-- Type of checksum used in this file -->\n"
        "    <ChecksumType> sha256 </ChecksumType>\n"
        "\n"
        "    <!-- The checksum of this bmap file. When it is calculated, the value of\n"
        "         the checksum has be zero (all ASCII \"0\" symbols).  -->\n"
        "    <BmapFileChecksum> a45acf9546583bd0477fc439c738a1defe855a0c1d673c693d07d2abb45845ce </BmapFileChecksum>\n"
        "\n"
        "    <!-- The block map which consists of elements which may either be a\n"
        "         range of blocks or a single block. The 'chksum' attribute\n"
        "         (if present) is the checksum of this blocks range. -->\n"
        "    <BlockMap>\n"
        "        <Range chksum=\"73fbfd76aa2143de160edd509ff93771f44db16924bd51235f311f32aaf5fc42\"> 0 </Range>\n"
        "        <Range chksum=\"15a1b0a7b7b8724300e9fbe5e35a179841a6a095f645547dcb83846cbc4d7db6\"> 2 </Range>\n"
        "    </BlockMap>\n"
        "</bmap>\n"
        ;

#define NAME "classe.img.bmap"

/* Line (1-based) of the first occurrence of needle in text. */
static unsigned line_of(const char *text, const char *needle) {
        const char *at = strstr(text, needle);
        assert_non_null(at);
        unsigned line = 1;
        for (const char *c = text; c < at; c++)
                line += *c == '\n';
        return line;
}

/* Recompute BmapFileChecksum as bmaptool does (the digits set to '0', the
 * whole file hashed), so that a variant fails only on what it changed. */
static void fix_checksum(char *text) {
        char *v = strstr(text, "<BmapFileChecksum>");
        assert_non_null(v);
        v += strlen("<BmapFileChecksum> ");
        char hex[65];
        memset(v, '0', 64);
        assert_int_equal(rf_sha256_hex(text, strlen(text), hex), 0);
        memcpy(v, hex, 64);
}

/* text with the first `old` replaced by `new` (which must be there). */
static char *replace(const char *text, const char *old, const char *new) {
        const char *at = strstr(text, old);
        assert_non_null(at);
        char *r = NULL;
        assert_true(asprintf(&r, "%.*s%s%s", (int) (at - text), text, new, at + strlen(old)) > 0);
        return r;
}

static struct img_bmap *parse_ok(const char *text) {
        struct img_bmap *b = NULL;
        char err[512] = "";
        int k = img_bmap_parse(NAME, text, strlen(text), &b, err, sizeof(err));
        if (k < 0)
                fail_msg("unexpected error %d: %s", k, err);
        assert_non_null(b);
        return b;
}

/* The parse fails with errno want, an error "NAME:line: ..." containing what. */
static void expect_error(const char *text, size_t len, int want, unsigned line, const char *what) {
        struct img_bmap *b = NULL;
        char err[512] = "", prefix[128];
        int k = img_bmap_parse(NAME, text, len, &b, err, sizeof(err));
        assert_null(b);
        if (k != want || !strstr(err, what))
                fail_msg("expected %d containing '%s', got %d: '%s'", want, what, k, err);
        snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
        if (strncmp(err, prefix, strlen(prefix)) != 0)
                fail_msg("expected the prefix '%s' in '%s'", prefix, err);
}

/* Replace old by new in the real bmap, fix the checksum, expect the error
 * at the line where `at` is (in the variant). */
static void expect_variant(const char *old, const char *new, const char *at, const char *what) {
        _cleanup_free_ char *v = replace(REAL_BMAP, old, new);
        fix_checksum(v);
        expect_error(v, strlen(v), -EBADMSG, line_of(v, at), what);
}

static void test_real(void **state) {
        (void) state;
        _cleanup_img_bmap_ struct img_bmap *b = parse_ok(REAL_BMAP);
        assert_string_equal(b->version, "2.0");
        assert_int_equal(b->image_size, 1048576);
        assert_int_equal(b->block_size, 4096);
        assert_int_equal(b->blocks_count, 256);
        assert_int_equal(b->mapped_blocks, 5);
        assert_int_equal(b->n_ranges, 3);
        const uint64_t want[3][2] = { { 3, 3 }, { 100, 102 }, { 255, 255 } };
        const char *sums[3] = { "4a987f8501cbbc0691a9e2d4156c27f9cdb95e85d7d92efb16608f3020b22fd8",
                                "420dd555dacfad6ab3da096fcdd6d731d37f7add5b00b6c25635e0bb16071ab5",
                                "73aa7ce473869dd18ad92fdd24773ef6727db60cdc57f872aac08c852c4cb817" };
        for (size_t i = 0; i < 3; i++) {
                uint8_t md[32];
                assert_int_equal(b->ranges[i].first, want[i][0]);
                assert_int_equal(b->ranges[i].last, want[i][1]);
                assert_int_equal(rf_hex_decode(sums[i], md, sizeof(md)), 0);
                assert_memory_equal(b->ranges[i].sha256, md, sizeof(md));
                assert_int_equal(b->ranges[i].line, line_of(REAL_BMAP, sums[i]));
        }
        assert_int_equal(img_bmap_mapped_bytes(b), 5 * 4096);
}

static void test_short_last_block(void **state) {
        (void) state;
        _cleanup_img_bmap_ struct img_bmap *b = parse_ok(ODD_BMAP);
        assert_int_equal(b->image_size, 10000);
        assert_int_equal(b->blocks_count, 3);
        assert_int_equal(b->n_ranges, 2);
        assert_int_equal(b->ranges[1].first, 2);
        assert_int_equal(img_bmap_mapped_bytes(b), 4096 + (10000 - 8192));
}

static void test_structure_errors(void **state) {
        (void) state;
        expect_variant("    <ChecksumType> sha256 </ChecksumType>\n", "", "<bmap version", "<ChecksumType> absent");
        expect_variant("<BlockSize> 4096 </BlockSize>", "<BlockSize> 4096 </BlockSize><BlockSize> 4096 </BlockSize>",
                       "<BlockSize>", "<BlockSize> en double");
        expect_variant("<bmap version=\"2.0\">", "<bmap>", "<bmap>", "sans attribut version");
        expect_variant("<bmap version=\"2.0\">", "<bmap version=\"2.0\" x=\"1\">", "<bmap version", "attribut inattendu x");
        expect_variant("<BlockSize> 4096 </BlockSize>", "<BlockSize> 4096 </BlockSize><Foo/>", "<Foo/>",
                       "élément <Foo> inconnu");
        expect_variant("<BlockMap>", "<BlockMap> 12", "<BlockMap>", "texte inattendu dans <BlockMap>");
        expect_variant("<ImageSize> 1048576 </ImageSize>", "<ImageSize> 1048576 <b/></ImageSize>", "<ImageSize>",
                       "élément <b> inattendu dans <ImageSize>");
        expect_variant("<Range chksum=\"420d", "<Foo/><Range chksum=\"420d", "<Foo/>", "élément <Foo> inattendu dans <BlockMap>");
        expect_variant("<ChecksumType> sha256", "<ChecksumType> sha1", "<ChecksumType>", "seul sha256");
        expect_variant("<?xml version=\"1.0\" ?>\n", "<?xml version=\"1.0\" ?>\n<?foo bar?>\n", "<?foo",
                       "instruction de traitement");
        expect_variant("<ImageSize> 1048576 ", "<ImageSize> <![CDATA[1048576]]> ", "CDATA", "CDATA");
}

static void test_number_errors(void **state) {
        (void) state;
        expect_variant("<ImageSize> 1048576 ", "<ImageSize> 10x48576 ", "<ImageSize>",
                       "nombre entier positif attendu, lu « 10x48576 »");
        expect_variant("<ImageSize> 1048576 ", "<ImageSize> -1048576 ", "<ImageSize>", "nombre entier positif");
        expect_variant("<ImageSize> 1048576 ", "<ImageSize>  ", "<ImageSize>", "nombre entier positif attendu, lu «  »");
        expect_variant("<ImageSize> 1048576 ", "<ImageSize> 99999999999999999999 ", "<ImageSize>", "trop grand");
        expect_variant("<ImageSize> 1048576 ", "<ImageSize> 0 ", "<ImageSize>", "hors limites");
        expect_variant("<BlockSize> 4096 ", "<BlockSize> 4000 ", "<BlockSize>", "puissance de deux");
        expect_variant("<BlockSize> 4096 ", "<BlockSize> 256 ", "<BlockSize>", "puissance de deux");
        expect_variant("<BlocksCount> 256 ", "<BlocksCount> 255 ", "<BlocksCount> 255", "<BlocksCount> 255 incohérent");
        expect_variant("<MappedBlocksCount> 5 ", "<MappedBlocksCount> 6 ", "<MappedBlocksCount> 6",
                       "<MappedBlocksCount> 6 mais les plages totalisent 5 blocs");
}

static void test_range_errors(void **state) {
        (void) state;
        expect_variant("> 100-102 <", "> 2-102 <", "> 2-102 <", "plages non triées ou qui se chevauchent");
        expect_variant("> 255 <", "> 50 <", "> 50 <", "plages non triées");
        expect_variant("> 100-102 <", "> 102-100 <", "> 102-100 <", "début 102 après la fin 100");
        expect_variant("> 100-102 <", "> 100-1x2 <", "> 100-1x2 <", "« N » ou « N-M » attendu");
        expect_variant("> 100-102 <", "> 100- <", "> 100- <", "« N » ou « N-M » attendu, lu « 100- »");
        expect_variant("> 255 <", "> 256 <", "> 256 </Range>", "au-delà de la fin de l'image");
        expect_variant("> 255 <", "> 255-300 <", "> 255-300 <", "au-delà de la fin de l'image");
        expect_variant("\"420dd555", "\"g20dd555", "g20dd555", "chksum doit faire 64 chiffres hexadécimaux");
        expect_variant("6071ab5\"", "6071ab\"", "6071ab\"", "chksum doit faire 64");
        expect_variant("<Range chksum=\"420dd555dacfad6ab3da096fcdd6d731d37f7add5b00b6c25635e0bb16071ab5\">", "<Range>",
                       "<Range>", "sans attribut chksum");
        expect_variant("<Range chksum=\"420d", "<Range sha1=\"1\" chksum=\"420d", "sha1=", "attribut inattendu sha1");
}

static void test_checksum_errors(void **state) {
        (void) state;
        /* One byte of a comment changed, the checksum left as bmaptool wrote it. */
        _cleanup_free_ char *v = replace(REAL_BMAP, "Image size in bytes", "Image size in Bytes");
        expect_error(v, strlen(v), -EBADMSG, line_of(v, "<BmapFileChecksum>"), "<BmapFileChecksum> différent");
        /* Truncated after the root: still well-formed? no, the root is not closed. */
        _cleanup_free_ char *w = replace(REAL_BMAP, "406d41aa", "406d41zz");
        expect_error(w, strlen(w), -EBADMSG, line_of(w, "<BmapFileChecksum>"), "64 chiffres hexadécimaux attendus");
}

static void test_refused_documents(void **state) {
        (void) state;
        expect_variant("<?xml version=\"1.0\" ?>\n", "<?xml version=\"1.0\" ?>\n<!DOCTYPE bmap [<!ENTITY x \"5\">]>\n",
                       "<!DOCTYPE", "DOCTYPE refusée");
        /* An entity reference without a declaration is not well-formed. */
        expect_variant("<MappedBlocksCount> 5 ", "<MappedBlocksCount> &x; ", "&x;", "XML invalide");
        _cleanup_free_ char *v = replace(REAL_BMAP, "<bmap version=\"2.0\">", "<bmap version=\"1.4\">");
        fix_checksum(v);
        expect_error(v, strlen(v), -EPROTONOSUPPORT, line_of(v, "<bmap version"), "1.x ont des empreintes SHA-1");
        _cleanup_free_ char *w = replace(REAL_BMAP, "<bmap version=\"2.0\">", "<bmap version=\"3.0\">");
        fix_checksum(w);
        expect_error(w, strlen(w), -EPROTONOSUPPORT, line_of(w, "<bmap version"), "non pris en charge");
        expect_variant("<bmap version=\"2.0\">", "<bmap version=\"2\">", "<bmap version", "MAJEUR.MINEUR");
        expect_variant("<bmap version=\"2.0\">\n", "<bmap version=\"2.0\">\n<bmap/>", "<bmap/>", "<bmap> inconnu");

        /* Truncated in the middle of the block map. */
        const char *cut = strstr(REAL_BMAP, "> 100-102 <");
        assert_non_null(cut);
        size_t len = (size_t) (cut - REAL_BMAP);
        expect_error(REAL_BMAP, len, -EBADMSG, line_of(REAL_BMAP, "> 100-102 <"), "XML invalide");
        expect_error(REAL_BMAP, 0, -EBADMSG, 1, "fichier vide");
        expect_error("<bmap version=\"2.0\">\0</bmap>", 28, -EBADMSG, 1, "octet nul");
        expect_error("<?xml version=\"1.0\"?>\n<image/>\n", 31, -EBADMSG, 2, "<bmap> attendu");

        _cleanup_free_ char *huge = calloc(1, 64 * MiB + 1);
        assert_non_null(huge);
        struct img_bmap *b = NULL;
        char err[256];
        assert_int_equal(img_bmap_parse(NAME, huge, 64 * MiB + 1, &b, err, sizeof(err)), -EFBIG);
        assert_non_null(strstr(err, "trop grand"));
}

static void test_minor_version(void **state) {
        (void) state;
        /* A later 2.x may add elements: they are skipped. */
        _cleanup_free_ char *v = replace(REAL_BMAP, "<bmap version=\"2.0\">", "<bmap version=\"2.1\">");
        _cleanup_free_ char *w = replace(v, "<BlockMap>", "<Extra a=\"1\"><x>1</x></Extra>\n    <BlockMap>");
        fix_checksum(w);
        _cleanup_img_bmap_ struct img_bmap *b = parse_ok(w);
        assert_string_equal(b->version, "2.1");
        assert_int_equal(b->n_ranges, 3);
}

/* Over 65535 lines: libxml2 keeps big line numbers only with
 * XML_PARSE_BIG_LINES; the error must still name the right one. */
static void test_big_line_numbers(void **state) {
        (void) state;
        const size_t n = 70000, bad = 69000;
        const char *range = "        <Range chksum=\"4a987f8501cbbc0691a9e2d4156c27f9cdb95e85d7d92efb16608f3020b22fd8\"> ";
        size_t cap = n * 128 + 4096, used = 0;
        _cleanup_free_ char *t = malloc(cap);
        assert_non_null(t);
        used += (size_t) snprintf(t + used, cap - used,
                                  "<bmap version=\"2.0\">\n<ImageSize> %zu </ImageSize>\n<BlockSize> 4096 </BlockSize>\n"
                                  "<BlocksCount> %zu </BlocksCount>\n<MappedBlocksCount> %zu </MappedBlocksCount>\n"
                                  "<ChecksumType> sha256 </ChecksumType>\n<BmapFileChecksum> %064d </BmapFileChecksum>\n"
                                  "<BlockMap>\n",
                                  2 * n * 4096, 2 * n, n, 0);
        size_t first_line = 9;
        for (size_t i = 0; i < n; i++)
                used += (size_t) snprintf(t + used, cap - used, "%s%zu </Range>\n", range, 2 * i);
        snprintf(t + used, cap - used, "</BlockMap>\n</bmap>\n");
        fix_checksum(t);
        {
                _cleanup_img_bmap_ struct img_bmap *b = parse_ok(t);
                assert_int_equal(b->n_ranges, n);
                assert_int_equal(b->ranges[n - 1].line, first_line + n - 1);
                assert_int_equal(b->ranges[n - 1].first, 2 * (n - 1));
        }
        char old[64], new[64];
        snprintf(old, sizeof(old), "> %zu <", 2 * bad);
        snprintf(new, sizeof(new), "> %zu <", 2 * bad - 2);
        _cleanup_free_ char *v = replace(t, old, new);
        fix_checksum(v);
        expect_error(v, strlen(v), -EBADMSG, (unsigned) (first_line + bad), "plages non triées");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real),
                cmocka_unit_test(test_short_last_block),
                cmocka_unit_test(test_structure_errors),
                cmocka_unit_test(test_number_errors),
                cmocka_unit_test(test_range_errors),
                cmocka_unit_test(test_checksum_errors),
                cmocka_unit_test(test_refused_documents),
                cmocka_unit_test(test_minor_version),
                cmocka_unit_test(test_big_line_numbers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
