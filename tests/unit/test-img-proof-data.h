/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What test-img-proof.c (proof on fake roots) and test-img-proof-dpkg.c
 * (the status parser, URLs) share: a dpkg status file with the cases that
 * matter, and a substring assertion. Include after cmocka.h. */

#include <string.h>

static const char STATUS[] __attribute__((unused)) =
        "Package: evince\n"
        "Status: install ok installed\n"
        "Priority: optional\n"
        "Architecture: amd64\n"
        "Version: 43.1-2+b1\n"
        "Description: document viewer\n"
        " Evince is a document viewer: PDF, PostScript, DjVu...\n"
        " .\n"
        " Package: this continuation line is not a field\n"
        "\n"
        "Package: okular\n"
        "Status: deinstall ok config-files\n"
        "Architecture: amd64\n"
        "Version: 4:22.12.3-1\n"
        "\n"
        "Package: firefox-esr\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "Version: 115.9.1esr-1~deb12u1\n"
        "Provides: gnome-www-browser, www-browser\n"
        "\n"
        "Package: libc6\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "Multi-Arch: same\n"
        "Version: 2.36-9+deb12u4\n"
        "Provides: libc6-amd64 (= 2.36-9),\n"
        "\tlibc-virtual\n"
        "\n"
        " \t\n"
        "Package: libc6\n"
        "Status: hold ok installed\n"
        "Architecture: i386\n"
        "Version: 2.36-9+deb12u3\n"
        "\n"
        "Package: fonts-dejavu\n"
        "Status: install ok installed\n"
        "Architecture: all\n"
        "Version: 2.37-6\n"
        "\n"
        "Package: atril\n"
        "Status: install ok half-configured\n"
        "Architecture: amd64\n"
        "Version: 1.26.0-2\n";

static inline void assert_contains(const char *s, const char *needle) {
        if (!s || !strstr(s, needle))
                fail_msg("« %s » does not contain « %s »", s ? s : "(null)", needle);
}
