/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What an erase run did, in a few lines for technicians (refurb-wipe's
 * standard error, the daemon's job log). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf-i18n.h"
#include "rf-macro.h"
#include "wipe-erase.h"

static void line(FILE *f, const char *fmt, ...) _printf_(2, 3);
static void line(FILE *f, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
}

char *wipe_erase_result_summary(const struct wipe_erase_result *r, bool french) {
        enum rf_lang lang = french ? RF_LANG_FR : RF_LANG_EN;
        char *text = NULL;
        size_t len = 0;

        if (!r)
                return NULL;
        _cleanup_fclose_ FILE *f = open_memstream(&text, &len);
        if (!f)
                return NULL;

        const struct wipe_plan_step *first = wipe_plan_first(&r->plan);
        if (r->firmware_ran && first)
                line(f, RF_TR(lang, "Effacement matériel : %s (%s) : %s", "Firmware erase: %s (%s): %s"),
                     wipe_method_to_string(first->method), wipe_erase_category_name(first->category),
                     r->firmware.firmware.error == 0 ? RF_TR(lang, "succès annoncé par le disque",
                                                             "the drive reported success")
                                                     : r->firmware.firmware.detail);
        if (r->validation_ran)
                line(f, RF_TR(lang, "Relecture : %s (%llu blocs de 64 Kio, %llu à zéro)%s%s",
                              "Read-back: %s (%llu blocks of 64 KiB, %llu zeroed)%s%s"),
                     r->validation.passed ? RF_TR(lang, "confirmé", "confirmed")
                                          : RF_TR(lang, "NON confirmé", "NOT confirmed"),
                     (unsigned long long) r->validation.blocks, (unsigned long long) r->validation_zero_blocks,
                     r->validation.detail[0] ? " : " : "", r->validation.detail);
        else if (r->validation_note[0])
                line(f, RF_TR(lang, "Relecture : %s", "Read-back: %s"), r->validation_note);
        if (r->fallback_reason[0])
                line(f, RF_TR(lang, "Écrasement plutôt qu'effacement matériel : %s",
                              "Overwrite rather than a firmware erase: %s"),
                     r->fallback_reason);
        if (r->hidden_remains)
                line(f, RF_TR(lang, "Zone cachée restante : %llu secteurs, non effacés (%s)",
                              "Hidden area left: %llu sectors, not erased (%s)"),
                     (unsigned long long) r->hidden_sectors, r->hidden_detail);
        else if (r->hidden_checked && (r->hidden.hpa_removed || r->hidden.dco_restored))
                line(f, RF_TR(lang, "Zone cachée retirée : %llu → %llu secteurs",
                              "Hidden area removed: %llu → %llu sectors"),
                     (unsigned long long) r->hidden.sectors_before, (unsigned long long) r->hidden.sectors_after);
        if (r->to_destroy)
                line(f, "%s",
                     RF_TR(lang, "Santé : le disque se déclare défaillant (SMART) : à détruire, pas à réemployer",
                           "Health: the drive reports itself failing (SMART): destroy it, do not reuse it"));
        if (r->error)
                line(f, RF_TR(lang, "Erreur : %s", "Error: %s"), r->error_detail);

        enum wipe_erase_outcome o = wipe_erase_result_outcome(r);
        if (o == WIPE_ERASE_ERASED)
                line(f, RF_TR(lang, "Résultat : effacé (%s, %s)", "Result: erased (%s, %s)"),
                     wipe_erase_category_name(r->category), wipe_method_to_string(r->method));
        else if (o == WIPE_ERASE_INTERRUPTED)
                line(f, RF_TR(lang, "Résultat : interrompu (%s), NON effacé", "Result: interrupted (%s), NOT erased"),
                     r->stop == WIPE_STOP_REMOVED ? RF_TR(lang, "disque retiré", "drive removed")
                                                  : RF_TR(lang, "annulé", "cancelled"));
        else
                line(f, "%s", RF_TR(lang, "Résultat : NON effacé", "Result: NOT erased"));

        if (fflush(f) != 0 || ferror(f)) {
                fclose(TAKE_PTR(f));
                free(text);
                return NULL;
        }
        fclose(TAKE_PTR(f));
        return text;
}
