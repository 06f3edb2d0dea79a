/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A profile as the bench takes it: read once, signature checked on those
 * very bytes, parsed, not expired (img-sign.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "img-sign.h"
#include "rf-macro.h"
#include "rf-util.h"

#define PROFILE_MAX_SIZE ((size_t) (1 * MiB))

#define set_error(err, errlen, ...)                            \
        do {                                                   \
                if ((err) && (errlen) > 0)                     \
                        snprintf((err), (errlen), __VA_ARGS__); \
        } while (0)

int img_profile_load_verified(const char *path, const struct img_trust *t, time_t now, struct img_profile **ret,
                              struct img_signature_info *info, char *err, size_t errlen) {
        _cleanup_free_ char *text = NULL;
        _cleanup_img_profile_ struct img_profile *p = NULL;
        struct img_signature_info local = {};
        size_t len = 0;

        if (!path || !t || !ret)
                return -EINVAL;
        int r = rf_read_file(path, PROFILE_MAX_SIZE, &text, &len);
        if (r == -EFBIG) {
                set_error(err, errlen, "%s : fichier de plus de 1 Mio, ce n'est pas un profil", path);
                return -EINVAL;
        }
        if (r < 0) {
                set_error(err, errlen, "%s : lecture impossible : %s", path, strerror(-r));
                return r;
        }

        r = img_verify_detached(t, path, text, len, info ? info : &local, err, errlen);
        if (r < 0)
                return r;
        r = img_profile_parse(path, NULL, text, len, &p, err, errlen);
        if (r < 0)
                return r;
        if (img_profile_expired(p, now)) {
                set_error(err, errlen, "%s : profil expiré depuis le %s", path, p->expires_text);
                return -EKEYEXPIRED;
        }
        *ret = TAKE_PTR(p);
        return 0;
}
