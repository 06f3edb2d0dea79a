/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Refusals in plain words, for technicians who are not system
 * administrators: what is wrong with the disk, then what to do. */
#include <stdio.h>
#include <string.h>

#include "rf-macro.h"
#include "wipe-safety.h"

const char *wipe_refusal_code_to_string(enum wipe_refusal_code code) {
        switch (code) {
        case WIPE_REFUSAL_NONE:
                return "none";
        case WIPE_REFUSAL_NOT_ON_BAY:
                return "not-on-bay";
        case WIPE_REFUSAL_NO_MEDIUM:
                return "no-medium";
        case WIPE_REFUSAL_SYSTEM_DISK:
                return "system-disk";
        case WIPE_REFUSAL_SWAP:
                return "swap";
        case WIPE_REFUSAL_MOUNTED:
                return "mounted";
        case WIPE_REFUSAL_HELD:
                return "held";
        case WIPE_REFUSAL_READ_ONLY:
                return "read-only";
        case WIPE_REFUSAL_BUSY:
                return "busy";
        case WIPE_REFUSAL_NOT_WHOLE_DISK:
                return "not-whole-disk";
        case _WIPE_REFUSAL_MAX:
        default:
                return "unknown";
        }
}

/* Details written by wipe-lock.c in French, and their English words. */
static const char *detail_en(const char *fr) {
        static const struct {
                const char *fr, *en;
        } table[] = {
                { "utilisé par un autre programme ou monté", "in use by another program or mounted" },
                { "verrouillé par un autre programme (udev, fsck…)", "locked by another program (udev, fsck…)" },
                { "disque absent ou débranché", "disk missing or unplugged" },
                { "protégé en écriture", "write-protected" },
                { "pas un périphérique bloc", "not a block device" },
                { "accès refusé (droits insuffisants)", "access denied (insufficient rights)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(fr, table[i].fr) == 0)
                        return table[i].en;
        return fr;
}

static void message_mounted(const struct wipe_refusal *r, const char *dev, bool en, char *buf, size_t buflen) {
        /* detail: "/dev/loop3p1 sur /mnt" */
        const char *sep = strstr(r->detail, " sur ");
        size_t devlen = strlen(dev);
        bool whole = strncmp(r->detail, dev, devlen) == 0 && r->detail + devlen == sep;
        char detail[sizeof(r->detail) + 8];
        if (en && sep)
                snprintf(detail, sizeof(detail), "%.*s on %s", (int) (sep - r->detail), r->detail, sep + 5);
        else
                snprintf(detail, sizeof(detail), "%s", r->detail);

        if (whole)
                snprintf(buf, buflen,
                         en ? "%s is mounted (%s): unmount it before erasing."
                            : "%s est monté (%s) : démontez-le avant l'effacement.",
                         dev, detail);
        else
                snprintf(buf, buflen,
                         en ? "A partition of %s is mounted (%s): unmount it before erasing."
                            : "Une partition de %s est montée (%s) : démontez-la avant l'effacement.",
                         dev, detail);
}

/* snprintf() may have cut the last character in the middle of its UTF-8
 * bytes: drop that incomplete tail so the message stays valid UTF-8. */
static void utf8_trim_tail(char *buf) {
        size_t len = strlen(buf), start = len;
        while (start > 0 && ((unsigned char) buf[start - 1] & 0xc0) == 0x80 && len - start < 3)
                start--;
        if (start == 0)
                return;
        unsigned char lead = (unsigned char) buf[start - 1];
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (lead >= 0xc0 && len - (start - 1) < need)
                buf[start - 1] = '\0';
}

const char *wipe_refusal_message(const struct wipe_refusal *r, const char *devnode, enum rf_lang lang, char *buf,
                                 size_t buflen) {
        if (!buf || buflen == 0)
                return buf;
        bool en = lang == RF_LANG_EN;
        const char *dev = devnode ? devnode : (en ? "this disk" : "ce disque");
        const char *detail = r ? r->detail : "";
        enum wipe_refusal_code code = r ? r->code : WIPE_REFUSAL_NONE;

        switch (code) {
        case WIPE_REFUSAL_NONE:
                snprintf(buf, buflen, en ? "%s may be erased." : "%s peut être effacé.", dev);
                break;
        case WIPE_REFUSAL_NOT_ON_BAY:
                snprintf(buf, buflen,
                         en ? "%s is not on any configured bay: this disk will not be erased."
                            : "%s n'est sur aucune baie configurée : ce disque ne sera pas effacé.",
                         dev);
                break;
        case WIPE_REFUSAL_NO_MEDIUM:
                snprintf(buf, buflen,
                         en ? "%s has no medium (size 0): insert the disk or plug it in again."
                            : "%s n'a pas de support (taille 0) : insérez le disque ou rebranchez-le.",
                         dev);
                break;
        case WIPE_REFUSAL_SYSTEM_DISK:
                snprintf(buf, buflen,
                         en ? "%s holds the bench's own system (%s): it will never be erased."
                            : "%s porte le système du banc (%s) : il ne sera jamais effacé.",
                         dev, detail);
                break;
        case WIPE_REFUSAL_SWAP:
                snprintf(buf, buflen,
                         en ? "%s holds active swap space (%s): turn it off (swapoff) before erasing."
                            : "%s contient une zone d'échange (swap) active (%s) : désactivez-la (swapoff) avant "
                              "l'effacement.",
                         dev, detail);
                break;
        case WIPE_REFUSAL_MOUNTED:
                message_mounted(r, dev, en, buf, buflen);
                break;
        case WIPE_REFUSAL_HELD:
                snprintf(buf, buflen,
                         en ? "%s is used by %s (LVM, RAID, encryption or loop device): release it before erasing."
                            : "%s est utilisé par %s (LVM, RAID, chiffrement ou périphérique loop) : libérez-le avant "
                              "l'effacement.",
                         dev, detail);
                break;
        case WIPE_REFUSAL_READ_ONLY:
                snprintf(buf, buflen,
                         en ? "%s is read-only (write-protect switch?): remove the protection, then plug it in "
                              "again."
                            : "%s est en lecture seule (verrou d'écriture ?) : retirez la protection puis "
                              "rebranchez-le.",
                         dev);
                break;
        case WIPE_REFUSAL_BUSY:
                snprintf(buf, buflen,
                         en ? "%s is busy (%s): close the programs using it, then try again."
                            : "%s est occupé (%s) : fermez les programmes qui l'utilisent puis réessayez.",
                         dev, en ? detail_en(detail) : detail);
                break;
        case WIPE_REFUSAL_NOT_WHOLE_DISK:
                if (detail[0])
                        snprintf(buf, buflen,
                                 en ? "%s is a partition, not a whole disk: choose the disk %s instead."
                                    : "%s est une partition, pas un disque entier : choisissez plutôt le disque %s.",
                                 dev, detail);
                else
                        snprintf(buf, buflen,
                                 en ? "%s is not a whole disk: choose the disk itself."
                                    : "%s n'est pas un disque entier : choisissez le disque lui-même.",
                                 dev);
                break;
        case _WIPE_REFUSAL_MAX:
        default:
                snprintf(buf, buflen, en ? "%s is refused (%s)." : "%s est refusé (%s).", dev, detail);
                break;
        }
        utf8_trim_tail(buf);
        return buf;
}
