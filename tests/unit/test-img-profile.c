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
#include <unistd.h>

#include "img-profile.h"
#include "rf-macro.h"

#define H1 "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789ABCDEF"
#define H2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* [Profile] with what it needs, then extra lines; [Image] complete. */
#define MINIMAL_PROFILE "[Profile]\nName=p\nVersion=1\n"
#define MINIMAL_IMAGE "[Image]\nLocation=/srv/x.img.zst\nSHA256=" H1 "\nBmap=/srv/x.bmap\nBmapSHA256=" H2 "\n"

static const char full_text[] = "# Profil de test\n"
                                "; commentaire\n"
                                "\n"
                                "[Profile]\n"
                                "Name=classe-debian12\n"
                                "Version=2026.11.1+b2\n"
                                "Description=Poste de classe, LibreOffice et navigateur\n"
                                "Target=laptop\n"
                                "MinimumDiskSize=16G\n"
                                "Expires=2027-11-30\n"
                                "\n"
                                "[Image]\n"
                                "Location=images/classe-2026.11.1.img.zst\n"
                                "SHA256=" H1 "\n"
                                "Bmap=https://dsi.example.org:8443/images/classe.bmap?v=1\n"
                                "BmapSHA256=" H2 "\n"
                                "RootPartition=2\n"
                                "\n"
                                "[Software]\n"
                                "Require=libreoffice\n"
                                "Require=evince|atril  |   okular\n"
                                "Require= vlc \n"
                                "\n"
                                "[Browser]\n"
                                "DefaultSearchEngine=Qwant\n"
                                "SearchURL=https://www.qwant.com/?q={searchTerms}\n"
                                "\n"
                                "[Hooks]\n"
                                "Run=10-hostname\n"
                                "Run=20_wallpaper\n"
                                "TimeoutSec=600\n";

static void full_profile(void **state) {
        (void) state;
        _cleanup_img_profile_ struct img_profile *p = NULL;
        char err[512] = "";

        int r = img_profile_parse("/etc/refurbd/profiles/classe.profile", NULL, full_text, strlen(full_text), &p,
                                  err, sizeof(err));
        assert_int_equal(r, 0);
        assert_string_equal(p->path, "/etc/refurbd/profiles/classe.profile");
        assert_string_equal(p->name, "classe-debian12");
        assert_string_equal(p->version, "2026.11.1+b2");
        assert_string_equal(p->description, "Poste de classe, LibreOffice et navigateur");
        assert_int_equal(p->target, IMG_TARGET_LAPTOP);
        assert_string_equal(img_target_to_string(p->target), "laptop");
        assert_true(p->min_disk_size == 16 * GiB);
        assert_string_equal(p->expires_text, "2027-11-30");
        /* 2027-11-30T23:59:59Z */
        assert_int_equal((long long) p->expires, 1827619199LL);

        assert_string_equal(p->image.location, "images/classe-2026.11.1.img.zst");
        assert_string_equal(p->image.resolved, "/etc/refurbd/profiles/images/classe-2026.11.1.img.zst");
        assert_false(p->image.is_url);
        assert_string_equal(p->image.sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_int_equal(p->image.line, 13);
        assert_int_equal(p->compression, IMG_COMPRESSION_ZSTD);
        assert_true(p->bmap.is_url);
        assert_string_equal(p->bmap.resolved, "https://dsi.example.org:8443/images/classe.bmap?v=1");
        assert_string_equal(p->bmap.sha256, H2);
        assert_int_equal(p->root_partition, 2);

        assert_int_equal(p->n_requires, 3);
        assert_string_equal(p->requires[0].text, "libreoffice");
        assert_string_equal(p->requires[0].alternatives[0], "libreoffice");
        assert_null(p->requires[0].alternatives[1]);
        assert_string_equal(p->requires[1].text, "evince | atril | okular");
        assert_string_equal(p->requires[1].alternatives[0], "evince");
        assert_string_equal(p->requires[1].alternatives[1], "atril");
        assert_string_equal(p->requires[1].alternatives[2], "okular");
        assert_null(p->requires[1].alternatives[3]);
        assert_int_equal(p->requires[1].line, 21);
        assert_string_equal(p->requires[2].text, "vlc");

        assert_string_equal(p->search_engine, "Qwant");
        assert_string_equal(p->search_url, "https://www.qwant.com/?q={searchTerms}");
        assert_non_null(p->hooks);
        assert_string_equal(p->hooks[0], "10-hostname");
        assert_string_equal(p->hooks[1], "20_wallpaper");
        assert_null(p->hooks[2]);
        assert_int_equal(p->hook_timeout_sec, 600);
}

static void defaults(void **state) {
        (void) state;
        _cleanup_img_profile_ struct img_profile *p = NULL;
        char err[512] = "";
        /* BOM at the start, CRLF line ends. */
        const char text[] = "\xef\xbb\xbf[Profile]\r\nName=p\r\nVersion=1\r\n[Image]\r\nLocation=/srv/x.img\r\n"
                            "SHA256=" H1 "\r\nBmap=/srv/x.bmap\r\nBmapSHA256=" H2 "\r\n";

        assert_int_equal(img_profile_parse("p.profile", "/base", text, strlen(text), &p, err, sizeof(err)), 0);
        assert_string_equal(p->description, "");
        assert_int_equal(p->target, IMG_TARGET_ANY);
        assert_string_equal(img_target_to_string(p->target), "any");
        assert_true(p->min_disk_size == 0);
        assert_int_equal((long long) p->expires, 0);
        assert_int_equal(img_profile_expired(p, (time_t) 4102444800LL), 0);
        assert_int_equal(p->compression, IMG_COMPRESSION_NONE);
        assert_int_equal(p->root_partition, 0);
        assert_int_equal(p->n_requires, 0);
        assert_null(p->search_engine);
        assert_null(p->search_url);
        assert_null(p->hooks);
        assert_int_equal(p->hook_timeout_sec, 300);
}

static void resolve(const char *name, const char *base_dir, const char *location, const char *expected) {
        _cleanup_img_profile_ struct img_profile *p = NULL;
        _cleanup_free_ char *text = NULL;
        char err[512] = "";
        assert_true(asprintf(&text, MINIMAL_PROFILE "[Image]\nLocation=%s\nSHA256=" H1 "\nBmap=b.bmap\nBmapSHA256=" H2
                             "\nCompression=zstd\n", location) > 0);
        int r = img_profile_parse(name, base_dir, text, strlen(text), &p, err, sizeof(err));
        if (r != 0)
                fail_msg("%s: %s", location, err);
        assert_string_equal(p->image.location, location);
        assert_string_equal(p->image.resolved, expected);
        assert_int_equal(p->compression, IMG_COMPRESSION_ZSTD);
}

static void relative_paths(void **state) {
        (void) state;
        char cwd[4096], expected[4200];

        resolve("/etc/refurbd/profiles/a.profile", NULL, "x.img", "/etc/refurbd/profiles/x.img");
        resolve("/etc/refurbd/profiles/a.profile", NULL, "./sub//x.img", "/etc/refurbd/profiles/sub/x.img");
        resolve("/etc/refurbd/profiles/a.profile", NULL, "../images/x.img", "/etc/refurbd/profiles/../images/x.img");
        resolve("/a.profile", NULL, "x.img", "/x.img");
        resolve("whatever", "/srv/profiles/", "x.img", "/srv/profiles/x.img");
        resolve("/etc/a.profile", NULL, "/srv/images/x.img", "/srv/images/x.img");
        resolve("/etc/a.profile", NULL, "https://h.example/x.img", "https://h.example/x.img");
        /* A relative name: the folder is taken from the current directory. */
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        snprintf(expected, sizeof(expected), "%s/x.img", cwd);
        resolve("a.profile", NULL, "x.img", strcmp(cwd, "/") == 0 ? "/x.img" : expected);
        snprintf(expected, sizeof(expected), "%s/dir/x.img", cwd);
        resolve("dir/a.profile", NULL, "x.img", strcmp(cwd, "/") == 0 ? "/dir/x.img" : expected);
}

/* text (len bytes) must be refused with "NAME:line: " and contain needle. */
static void bad_n(const char *text, size_t len, unsigned line, const char *needle) {
        _cleanup_img_profile_ struct img_profile *p = NULL;
        char err[512] = "", prefix[64];

        int r = img_profile_parse("t.profile", "/base", text, len, &p, err, sizeof(err));
        if (r != -EINVAL)
                fail_msg("accepted (r=%d) for:\n%s", r, text);
        assert_null(p);
        if (line)
                snprintf(prefix, sizeof(prefix), "t.profile:%u: ", line);
        else
                snprintf(prefix, sizeof(prefix), "t.profile: ");
        if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, needle))
                fail_msg("expected '%s…%s', got '%s'", prefix, needle, err);
}

static void bad(const char *text, unsigned line, const char *needle) {
        bad_n(text, strlen(text), line, needle);
}

static void malformed(void **state) {
        (void) state;
        /* Structure. */
        bad("Name=x\n", 1, "avant toute section");
        bad(MINIMAL_PROFILE "[Profil]\n", 4, "section [Profil] inconnue");
        bad(MINIMAL_PROFILE "[Image\n", 4, "ni « Clé=Valeur »");
        bad(MINIMAL_PROFILE "juste du texte\n", 4, "ni « Clé=Valeur »");
        bad(MINIMAL_PROFILE "Na-me=x\n", 4, "ni « Clé=Valeur »");
        bad(MINIMAL_PROFILE "Colour=blue\n", 4, "clé « Colour » inconnue dans la section [Profile]");
        bad(MINIMAL_PROFILE "Location=/x\n", 4, "clé « Location » inconnue dans la section [Profile]");
        bad(MINIMAL_PROFILE "Name=q\n", 4, "Name= en double (déjà donné ligne 2)");
        bad(MINIMAL_PROFILE MINIMAL_IMAGE "[Profile]\n", 9, "section [Profile] en double");
        bad(MINIMAL_PROFILE "Description=a\tb\n", 4, "caractère de contrôle");
        bad(MINIMAL_PROFILE "Description=\xc3\x28\n", 4, "UTF-8");
        bad_n("[Profile]\nName=p\0x\nVersion=1\n", 27, 2, "octet nul");
        /* Values. */
        bad(MINIMAL_PROFILE "Target=server\n", 4, "Target= vaut desktop, laptop ou any, pas « server »");
        bad("[Profile]\nName=a b\n", 2, "Name= « a b » invalide");
        bad("[Profile]\nName=\n", 2, "Name= est vide");
        bad("[Profile]\nName=x\nVersion=1/2\n", 3, "Version= « 1/2 » invalide");
        bad(MINIMAL_PROFILE "MinimumDiskSize=16GB\n", 4, "MinimumDiskSize= « 16GB » invalide");
        bad(MINIMAL_PROFILE "MinimumDiskSize=-1\n", 4, "MinimumDiskSize= « -1 » invalide");
        bad(MINIMAL_PROFILE "MinimumDiskSize=99999999999T\n", 4, "hors limites");
        bad(MINIMAL_PROFILE "Expires=2027-02-29\n", 4, "Expires= « 2027-02-29 » n'est pas une date du calendrier");
        bad(MINIMAL_PROFILE "Expires=2027-13-01\n", 4, "n'est pas une date du calendrier");
        bad(MINIMAL_PROFILE "Expires=2027-04-31\n", 4, "n'est pas une date du calendrier");
        bad(MINIMAL_PROFILE "Expires=30/11/2027\n", 4, "une date AAAA-MM-JJ attendue");
        bad(MINIMAL_PROFILE "Expires=2027-1-1\n", 4, "une date AAAA-MM-JJ attendue");
        bad(MINIMAL_PROFILE "[Image]\nSHA256=abc\n", 5, "SHA256= invalide : 64 chiffres hexadécimaux");
        bad(MINIMAL_PROFILE "[Image]\nBmapSHA256=" H1 "0\n", 5, "BmapSHA256= invalide");
        bad(MINIMAL_PROFILE "[Image]\nSHA256=" "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", 5,
            "SHA256= invalide");
        bad(MINIMAL_PROFILE "[Image]\nLocation=http://dsi.example.org/x.img\n", 5,
            "http:// n'est pas chiffré, utilisez https://");
        bad(MINIMAL_PROFILE "[Image]\nLocation=ftp://dsi.example.org/x.img\n", 5, "seuls https://");
        bad(MINIMAL_PROFILE "[Image]\nLocation=file:///srv/x.img\n", 5, "seuls https://");
        bad(MINIMAL_PROFILE "[Image]\nLocation=https:///x.img\n", 5, "pas de nom d'hôte");
        bad(MINIMAL_PROFILE "[Image]\nLocation=https://user:pw@h/x.img\n", 5, "pas d'identifiants");
        bad(MINIMAL_PROFILE "[Image]\nLocation=https://h:99999/x.img\n", 5, "port invalide");
        bad(MINIMAL_PROFILE "[Image]\nLocation=https://h/a b.img\n", 5, "caractère interdit");
        bad(MINIMAL_PROFILE "[Image]\nLocation=images/\n", 5, "un fichier est attendu");
        bad(MINIMAL_PROFILE "[Image]\nLocation=.\n", 5, "un fichier est attendu");
        bad(MINIMAL_PROFILE "[Image]\nBmap=/srv/..\n", 5, "un fichier est attendu");
        bad(MINIMAL_PROFILE "[Image]\nCompression=xz\n", 5, "Compression= vaut zstd ou none, pas « xz »");
        bad(MINIMAL_PROFILE "[Image]\nRootPartition=0\n", 5, "RootPartition= « 0 » invalide");
        bad(MINIMAL_PROFILE "[Image]\nRootPartition=02\n", 5, "RootPartition= « 02 » invalide");
        bad(MINIMAL_PROFILE "[Software]\nRequire=Evince\n", 5, "« Evince » n'est pas un nom de paquet Debian");
        bad(MINIMAL_PROFILE "[Software]\nRequire=a\n", 5, "« a » n'est pas un nom de paquet Debian");
        bad(MINIMAL_PROFILE "[Software]\nRequire=evince | | atril\n", 5, "alternative vide");
        bad(MINIMAL_PROFILE "[Software]\nRequire=evince |\n", 5, "alternative vide");
        bad(MINIMAL_PROFILE "[Software]\nRequire=libc6:amd64\n", 5, "n'est pas un nom de paquet Debian");
        bad(MINIMAL_PROFILE "[Browser]\nSearchURL=https://www.qwant.com/?q=\n", 5, "{searchTerms} manque");
        bad(MINIMAL_PROFILE "[Browser]\nSearchURL=http://www.qwant.com/?q={searchTerms}\n", 5,
            "une URL https:// attendue");
        bad(MINIMAL_PROFILE "[Hooks]\nRun=../../bin/sh\n", 5, "Run= « ../../bin/sh » invalide");
        bad(MINIMAL_PROFILE "[Hooks]\nRun=10-a\nRun=10-a\n", 6, "Run= « 10-a » est déjà donné");
        bad(MINIMAL_PROFILE "[Hooks]\nTimeoutSec=0\n", 5, "TimeoutSec= « 0 » invalide");
        bad(MINIMAL_PROFILE "[Hooks]\nTimeoutSec=3601\n", 5, "TimeoutSec= « 3601 » invalide");
        /* What is missing: at the section's line, or the file alone. */
        bad("[Profile]\nVersion=1\n" MINIMAL_IMAGE, 1, "Name= manque dans la section [Profile]");
        bad("[Profile]\nName=p\n" MINIMAL_IMAGE, 1, "Version= manque dans la section [Profile]");
        bad(MINIMAL_PROFILE, 0, "la section [Image] manque");
        bad(MINIMAL_IMAGE, 0, "la section [Profile] manque");
        bad(MINIMAL_PROFILE "\n[Image]\nLocation=/x.img\nSHA256=" H1 "\n", 5, "Bmap= manque dans la section [Image]");
        bad(MINIMAL_PROFILE "[Image]\nBmap=/x.bmap\nSHA256=" H1 "\nBmapSHA256=" H1 "\n", 4, "Location= manque");
}

static void dates(void **state) {
        (void) state;
        static const struct {
                const char *date;
                long long end;
        } cases[] = {
                { "1970-01-01", 86399LL },
                { "2000-02-29", 951868799LL },     /* leap (divisible by 400) */
                { "2024-02-29", 1709251199LL },    /* leap */
                { "2026-10-31", 1793491199LL },
                { "2099-12-31", 4102444799LL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                _cleanup_free_ char *text = NULL;
                char err[256] = "";
                assert_true(asprintf(&text, MINIMAL_PROFILE "Expires=%s\n" MINIMAL_IMAGE, cases[i].date) > 0);
                assert_int_equal(img_profile_parse("t", "/", text, strlen(text), &p, err, sizeof(err)), 0);
                assert_int_equal((long long) p->expires, cases[i].end);
                /* Valid the whole day, expired one second after. */
                assert_int_equal(img_profile_expired(p, (time_t) cases[i].end), 0);
                assert_int_equal(img_profile_expired(p, (time_t) cases[i].end - 86399), 0);
                assert_int_equal(img_profile_expired(p, (time_t) cases[i].end + 1), 1);
        }
        bad(MINIMAL_PROFILE "Expires=1900-02-29\n", 4, "n'est pas une date du calendrier");
        bad(MINIMAL_PROFILE "Expires=2100-02-29\n", 4, "n'est pas une date du calendrier");
        bad(MINIMAL_PROFILE "Expires=2026-00-10\n", 4, "n'est pas une date du calendrier");
        bad(MINIMAL_PROFILE "Expires=2026-01-00\n", 4, "n'est pas une date du calendrier");
}

static void sizes(void **state) {
        (void) state;
        static const struct {
                const char *text;
                uint64_t bytes;
        } cases[] = {
                { "0", 0 }, { "512", 512 }, { "4K", 4 * KiB }, { "300M", 300 * MiB }, { "16G", 16 * GiB },
                { "2T", 2 * 1024 * GiB }, { "16g", 16 * GiB }, { "8388607T", 8388607ULL << 40 },
                { "9223372036854775807", 9223372036854775807ULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                _cleanup_free_ char *text = NULL;
                char err[256] = "";
                assert_true(asprintf(&text, MINIMAL_PROFILE "MinimumDiskSize=%s\n" MINIMAL_IMAGE, cases[i].text) > 0);
                assert_int_equal(img_profile_parse("t", "/", text, strlen(text), &p, err, sizeof(err)), 0);
                assert_true(p->min_disk_size == cases[i].bytes);
        }
        bad(MINIMAL_PROFILE "MinimumDiskSize=8388608T\n", 4, "hors limites");
        bad(MINIMAL_PROFILE "MinimumDiskSize=9223372036854775808\n", 4, "hors limites");
        bad(MINIMAL_PROFILE "MinimumDiskSize=18446744073709551616\n", 4, "hors limites");
        bad(MINIMAL_PROFILE "MinimumDiskSize=1.5G\n", 4, "invalide");
        bad(MINIMAL_PROFILE "MinimumDiskSize=G\n", 4, "invalide");
}

static bool installed(const char *name, void *userdata) {
        const char *const *list = userdata;
        for (; *list; list++)
                if (strcmp(*list, name) == 0)
                        return true;
        return false;
}

static void alternatives(void **state) {
        (void) state;
        _cleanup_img_profile_ struct img_profile *p = NULL;
        char err[256] = "";
        const char text[] = MINIMAL_PROFILE MINIMAL_IMAGE "[Software]\nRequire=evince | atril | okular\n"
                                                          "Require=g++-12\nRequire=libreoffice-l10n-fr\n";
        const char *const some[] = { "okular", "atril", "g++-12", NULL };
        const char *const none[] = { "vlc", NULL };

        assert_int_equal(img_profile_parse("t", "/", text, strlen(text), &p, err, sizeof(err)), 0);
        assert_int_equal(p->n_requires, 3);
        /* The first one installed, in the profile's order. */
        assert_string_equal(img_requirement_satisfied(&p->requires[0], installed, (void *) some), "atril");
        assert_string_equal(img_requirement_satisfied(&p->requires[1], installed, (void *) some), "g++-12");
        assert_null(img_requirement_satisfied(&p->requires[2], installed, (void *) some));
        assert_null(img_requirement_satisfied(&p->requires[0], installed, (void *) none));
}

static void caps(void **state) {
        (void) state;
        _cleanup_free_ char *text = NULL;
        size_t cap = 64 * 1024, len = 0;

        /* 500 Require= are fine, the 501st is not. */
        text = malloc(cap);
        assert_non_null(text);
        len = (size_t) snprintf(text, cap, MINIMAL_PROFILE MINIMAL_IMAGE "[Software]\n");
        for (int i = 0; i < 500; i++)
                len += (size_t) snprintf(text + len, cap - len, "Require=pkg%d\n", i);
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                char err[256] = "";
                assert_int_equal(img_profile_parse("t", "/", text, len, &p, err, sizeof(err)), 0);
                assert_int_equal(p->n_requires, 500);
        }
        snprintf(text + len, cap - len, "Require=pkg500\n");
        bad(text, 9 + 501, "trop de Require= (au plus 500)");

        /* 64 hooks, then one too many. */
        len = (size_t) snprintf(text, cap, MINIMAL_PROFILE MINIMAL_IMAGE "[Hooks]\n");
        for (int i = 0; i < 64; i++)
                len += (size_t) snprintf(text + len, cap - len, "Run=h%d\n", i);
        {
                _cleanup_img_profile_ struct img_profile *p = NULL;
                char err[256] = "";
                assert_int_equal(img_profile_parse("t", "/", text, len, &p, err, sizeof(err)), 0);
                assert_string_equal(p->hooks[63], "h63");
                assert_null(p->hooks[64]);
        }
        snprintf(text + len, cap - len, "Run=h64\n");
        bad(text, 9 + 65, "trop de Run= (au plus 64 crochets)");

        /* A line of 4096 bytes is fine, 4097 is not. */
        _cleanup_free_ char *big = malloc(8192);
        assert_non_null(big);
        len = (size_t) snprintf(big, 8192, MINIMAL_PROFILE "Description=");
        size_t start = len - strlen("Description=");
        memset(big + len, 'x', 8192 - len);
        big[start + 4096] = '\0';
        bad(big, 4, "Description= trop longue");
        big[start + 4096] = 'x';
        big[start + 4097] = '\0';
        bad(big, 4, "ligne de plus de 4096 octets");

        /* More than 1 MiB in all. */
        size_t huge = 1024 * 1024 + 1;
        _cleanup_free_ char *h = malloc(huge);
        assert_non_null(h);
        memset(h, '#', huge);
        _cleanup_img_profile_ struct img_profile *p = NULL;
        char err[256] = "";
        assert_int_equal(img_profile_parse("t.profile", "/", h, huge, &p, err, sizeof(err)), -EFBIG);
        assert_non_null(strstr(err, "t.profile: fichier de plus de 1 Mio"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(full_profile), cmocka_unit_test(defaults), cmocka_unit_test(relative_paths),
                cmocka_unit_test(malformed),    cmocka_unit_test(dates),    cmocka_unit_test(sizes),
                cmocka_unit_test(alternatives), cmocka_unit_test(caps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
