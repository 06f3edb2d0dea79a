/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Certificate values in plain words (French and English). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rf-util.h"
#include "rpt-draw.h"
#include "rpt-words.h"

const char *rpt_jstr(const json_t *obj, const char *key) {
        const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_string(v) ? json_string_value(v) : NULL;
}

bool rpt_jint(const json_t *obj, const char *key, long long *ret) {
        const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        if (!json_is_integer(v))
                return false;
        *ret = (long long) json_integer_value(v);
        return true;
}

const json_t *rpt_jobj(const json_t *obj, const char *key) {
        const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_object(v) ? v : NULL;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && strcmp(s + n - k, suffix) == 0;
}

const char *rpt_method_words(const char *method, enum rf_lang lang) {
        if (!method)
                return NULL;
        if (strcmp(method, "overwrite") == 0)
                return RF_TR(lang, "Effacement par réécriture complète", "Erasure by a complete overwrite");
        bool fw = strncmp(method, "nvme-", 5) == 0 || strncmp(method, "ata-", 4) == 0 || strncmp(method, "scsi-", 5) == 0;
        if (!fw)
                return NULL;
        if (ends_with(method, "-sanitize-crypto") || strcmp(method, "nvme-format-ses2") == 0)
                return RF_TR(lang, "Effacement cryptographique par le micrologiciel",
                             "Cryptographic erase by the drive's firmware");
        if (ends_with(method, "-sanitize-block"))
                return RF_TR(lang, "Effacement des blocs par le micrologiciel", "Block erase by the drive's firmware");
        if (ends_with(method, "-sanitize-overwrite"))
                return RF_TR(lang, "Réécriture par le micrologiciel", "Overwrite by the drive's firmware");
        if (strcmp(method, "nvme-format-ses1") == 0)
                return RF_TR(lang, "Formatage sécurisé par le micrologiciel (données utilisateur effacées)",
                             "Secure format by the drive's firmware (user data erased)");
        if (strcmp(method, "ata-security-erase-enhanced") == 0)
                return RF_TR(lang, "Effacement sécurisé renforcé par le micrologiciel",
                             "Enhanced secure erase by the drive's firmware");
        if (strcmp(method, "ata-security-erase") == 0)
                return RF_TR(lang, "Effacement sécurisé par le micrologiciel", "Secure erase by the drive's firmware");
        return NULL;
}

const char *rpt_category_words(const char *category, enum rf_lang lang) {
        if (!category)
                return RF_TR(lang, "inconnue", "unknown");
        if (strcasecmp(category, "purge") == 0)
                return "Purge";
        if (strcasecmp(category, "clear") == 0)
                return "Clear";
        if (strcasecmp(category, "none") == 0)
                return RF_TR(lang, "aucune", "none");
        return category;
}

void rpt_method_line(const char *method, const char *category, enum rf_lang lang, char *out, size_t outlen) {
        const char *words = rpt_method_words(method, lang);
        char unknown[160];

        if (!words) {
                snprintf(unknown, sizeof(unknown), RF_TR(lang, "Méthode « %.100s »", "Method '%.100s'"),
                         method ? method : "?");
                words = unknown;
        }
        snprintf(out, outlen, RF_TR(lang, "%s (NIST SP 800-88 : %.40s)", "%s (NIST SP 800-88: %.40s)"), words,
                 rpt_category_words(category, lang));
}

const char *rpt_transport_words(const char *transport, enum rf_lang lang) {
        static const struct {
                const char *name, *fr, *en;
        } table[] = {
                { "sata", "SATA", "SATA" },
                { "nvme", "NVMe", "NVMe" },
                { "usb", "USB", "USB" },
                { "scsi", "SCSI / SAS", "SCSI / SAS" },
                { "virtio", "virtio (machine virtuelle)", "virtio (virtual machine)" },
                { "loop", "fichier image (loop)", "image file (loop)" },
                { "unknown", "inconnue", "unknown" },
        };
        if (!transport)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(transport, table[i].name) == 0)
                        return RF_TR(lang, table[i].fr, table[i].en);
        return transport;
}

const char *rpt_exception_words(const char *kind, enum rf_lang lang) {
        if (rf_streq_ptr(kind, "write-error"))
                return RF_TR(lang, "Erreur d'écriture", "Write error");
        if (rf_streq_ptr(kind, "read-error"))
                return RF_TR(lang, "Erreur de lecture", "Read error");
        if (rf_streq_ptr(kind, "mismatch"))
                return RF_TR(lang, "Données différentes du motif", "Data differ from the pattern");
        if (rf_streq_ptr(kind, "flush-error"))
                return RF_TR(lang, "Échec du vidage du cache", "Cache flush failed");
        return kind ? kind : "?";
}

bool rpt_result_erased(const char *result) {
        return rf_streq_ptr(result, "erased");
}

const char *rpt_result_words(const char *result, enum rf_lang lang) {
        if (rf_streq_ptr(result, "erased"))
                return RF_TR(lang, "EFFACÉ", "ERASED");
        if (rf_streq_ptr(result, "not-erased"))
                return RF_TR(lang, "NON EFFACÉ", "NOT ERASED");
        return RF_TR(lang, "EN ATTENTE", "PENDING");
}

void rpt_size_words(long long bytes, enum rf_lang lang, char *out, size_t outlen) {
        char human[32], exact[64];

        if (bytes < 0) {
                snprintf(out, outlen, "?");
                return;
        }
        rf_format_bytes((uint64_t) bytes, lang == RF_LANG_FR, human, sizeof(human));
        rpt_format_count(bytes, lang, exact, sizeof(exact));
        snprintf(out, outlen, RF_TR(lang, "%s (%s octets)", "%s (%s bytes)"), human, exact);
}
