/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Customising a written system: mount its root filesystem in a private
 * mount namespace of the calling thread, grow it, run the post-image hooks
 * (img-hooks.c), prove its content (img-proof.c), unmount. */
#include "img-customise.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "img-hooks.h"
#include "img-proof.h"
#include "rf-macro.h"
#include "rf-util.h"

#define UMOUNT_TRIES 50 /* 100 ms apart */

void img_hostname_from_tag(const char *tag, char out[static 64]) {
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *) (tag ? tag : ""); *p && n < 63; p++) {
                unsigned char c = *p;
                if ((c & 0xC0) == 0x80)
                        continue; /* rest of a multi-byte character: one '-' for the whole of it */
                if (c >= 'A' && c <= 'Z')
                        c = (unsigned char) (c - 'A' + 'a');
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                        c = '-';
                out[n++] = (char) c;
        }
        out[n] = '\0';
        /* A host name neither begins nor ends with '-' (RFC 1123). */
        while (n > 0 && out[n - 1] == '-')
                out[--n] = '\0';
        size_t lead = strspn(out, "-");
        memmove(out, out + lead, n - lead + 1);
        if (!out[0])
                strcpy(out, "poste");
}

void img_customise_result_clear(struct img_customise_result *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_hooks; i++)
                free(r->hooks[i].output);
        free(r->hooks);
        json_decref(r->content);
        free(r->missing);
        *r = (struct img_customise_result){ 0 };
}

json_t *img_hooks_to_json(const struct img_customise_result *r) {
        json_t *a = json_array();
        if (!a || !r)
                return a;
        for (size_t i = 0; i < r->n_hooks; i++) {
                const struct img_hook_result *h = &r->hooks[i];
                json_t *o = json_pack("{s:s, s:i, s:b, s:f, s:s}", "name", h->name, "exit_status", h->exit_status,
                                      "timed_out", h->timed_out, "seconds", h->seconds, "output",
                                      h->output ? h->output : "");
                if (o)
                        json_array_append_new(a, o);
        }
        return a;
}

/* Cuts a UTF-8 character left incomplete at the end of s by a truncation
 * (the record is JSON: its strings must be valid UTF-8). */
static void utf8_trim_partial(char *s) {
        size_t n = strlen(s), i = n;
        while (i > 0 && n - i < 3 && ((unsigned char) s[i - 1] & 0xC0) == 0x80)
                i--;
        if (i == 0)
                return;
        unsigned char lead = (unsigned char) s[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (need > 1 && n - (i - 1) < need)
                s[i - 1] = '\0';
}

_printf_(3, 4) static void set_error(struct img_customise_result *r, int error, const char *fmt, ...) {
        if (r->error < 0)
                return; /* the first failure is the one to tell */
        r->error = error;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
        va_end(ap);
        utf8_trim_partial(r->detail);
}

/* ---- the environment of the hooks ------------------------------------- */

struct hook_env {
        char *v[16];
};

static void hook_env_clear(struct hook_env *e) {
        for (size_t i = 0; i < ELEMENTSOF(e->v); i++)
                free(e->v[i]);
}

static int hook_env_build(struct hook_env *e, const struct img_customise_opts *o, const char *root,
                          const char *hostname) {
        const struct img_profile *p = o->profile;
        const char *vars[][2] = {
                { "REFURB_ROOT", root },
                { "REFURB_DEVICE", o->devnode ? o->devnode : "" },
                { "REFURB_PARTITION", o->part_devnode },
                { "REFURB_ASSET_TAG", o->asset_tag ? o->asset_tag : "" },
                { "REFURB_HOSTNAME", hostname },
                { "REFURB_PROFILE", p->name ? p->name : "" },
                { "REFURB_PROFILE_VERSION", p->version ? p->version : "" },
                { "REFURB_SEARCH_ENGINE", p->search_engine ? p->search_engine : "" },
                { "REFURB_SEARCH_URL", p->search_url ? p->search_url : "" },
                { "REFURB_LANG", "fr" },
                { "PATH", "/usr/sbin:/usr/bin:/sbin:/bin" },
                { "LANG", "C.UTF-8" },
        };
        _Static_assert(ELEMENTSOF(vars) < ELEMENTSOF(e->v), "room for the NULL");
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                if (asprintf(&e->v[i], "%s=%s", vars[i][0], vars[i][1]) < 0) {
                        e->v[i] = NULL;
                        return -ENOMEM;
                }
        return 0;
}

/* ---- mounting ------------------------------------------------------------ */

static void blkid_free_probep(blkid_probe *pr) {
        if (*pr)
                blkid_free_probe(*pr);
}

/* The filesystem type libblkid finds on devnode, "ext4" when it finds none
 * it knows (the images are ext4). */
static void fs_type_of(const char *devnode, char *out, size_t outlen) {
        snprintf(out, outlen, "ext4");
        _cleanup_(blkid_free_probep) blkid_probe pr = blkid_new_probe_from_filename(devnode);
        if (!pr)
                return;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        const char *type = NULL;
        if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 && type &&
            strlen(type) < outlen && strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(type))
                snprintf(out, outlen, "%s", type);
}

static void sleep_msec(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void mountinfo_unescape(char *s) {
        char *o = s;
        for (const char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
                    p[3] <= '7') {
                        *o++ = (char) ((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
                        p += 3;
                } else
                        *o++ = *p;
        }
        *o = '\0';
}

/* Unmounts what the hooks left mounted below mp (bind mounts for a chroot),
 * the most recent first. */
static void umount_below(const char *mp) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (rf_read_file("/proc/self/mountinfo", 4 * MiB, &text, &len) < 0)
                return;
        size_t mplen = strlen(mp);
        char *below[64];
        size_t n = 0;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                /* id parent major:minor root mount-point ... */
                char *f = line;
                for (int i = 0; i < 4 && f; i++) {
                        f = strchr(f, ' ');
                        if (f)
                                f++;
                }
                if (!f)
                        continue;
                char *end = strchr(f, ' ');
                if (end)
                        *end = '\0';
                mountinfo_unescape(f);
                if (strncmp(f, mp, mplen) == 0 && f[mplen] == '/' && n < ELEMENTSOF(below))
                        below[n++] = f;
        }
        while (n > 0)
                (void) umount2(below[--n], MNT_DETACH);
}

/* Flush, unmount (lazily as a last resort), remove the mount point. */
static void teardown(const char *mp, bool mounted, struct img_customise_result *r) {
        if (mounted) {
                {
                        _cleanup_close_ int fd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fd < 0 || syncfs(fd) < 0)
                                set_error(r, negative_errno(), "%s : échec de l'écriture sur le disque (syncfs : %s)",
                                          mp, strerror(errno));
                }
                umount_below(mp);
                int k = -1;
                for (unsigned i = 0; i < UMOUNT_TRIES; i++) {
                        k = umount2(mp, 0);
                        if (k == 0 || errno != EBUSY)
                                break;
                        sleep_msec(100);
                }
                if (k < 0) {
                        int e = errno;
                        (void) umount2(mp, MNT_DETACH);
                        set_error(r, -e, "%s : démontage impossible (%s)", mp, strerror(e));
                }
        }
        if (rmdir(mp) < 0 && errno != ENOENT)
                set_error(r, negative_errno(), "%s : suppression du point de montage impossible (%s)", mp,
                          strerror(errno));
}

/* ---- the steps while mounted --------------------------------------------- */

/* The end of a hook's output (it says most), on one line, for the detail. */
static void output_end(const char *output, char *out, size_t outlen) {
        const char *s = output ? output : "";
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
                len--;
        if (len == 0) {
                snprintf(out, outlen, "(aucune sortie)");
                return;
        }
        const char *p = len > 200 ? s + len - 200 : s;
        while (((unsigned char) *p & 0xC0) == 0x80)
                p++;
        size_t o = 0;
        for (; p < s + len && o + 4 < outlen; p++) {
                if (*p == '\n') {
                        memcpy(out + o, " | ", 3);
                        o += 3;
                } else if (*p != '\r')
                        out[o++] = *p;
        }
        out[o] = '\0';
        utf8_trim_partial(out);
}

static void run_hooks(const struct img_customise_opts *o, struct img_customise_result *r, const char *mp) {
        char err[256] = "";
        char **names = NULL;
        int k = img_hooks_list(o->hooks_dir, o->profile->hooks, &names, err, sizeof(err));
        if (k < 0) {
                set_error(r, k, "crochets : %s", err[0] ? err : strerror(-k));
                return;
        }
        size_t n = 0;
        while (names[n])
                n++;
        r->hooks = calloc(n ? n : 1, sizeof(struct img_hook_result));
        if (!r->hooks) {
                img_strv_free(names);
                set_error(r, -ENOMEM, "crochets : mémoire insuffisante");
                return;
        }

        struct hook_env env = { 0 };
        k = hook_env_build(&env, o, mp, r->hostname);
        for (size_t i = 0; k >= 0 && i < n; i++) {
                if (o->cancel && atomic_load(o->cancel)) {
                        set_error(r, -ECANCELED, "personnalisation annulée avant le crochet %s", names[i]);
                        break;
                }
                unsigned limit = o->profile->hook_timeout_sec ? o->profile->hook_timeout_sec : 300;
                struct img_hook_result *h = &r->hooks[r->n_hooks];
                err[0] = '\0';
                k = img_hook_run(o->hooks_dir, names[i], env.v, limit, h, err, sizeof(err));
                if (k < 0) {
                        img_hook_result_clear(h);
                        set_error(r, k, "%s", err[0] ? err : strerror(-k));
                        break;
                }
                r->n_hooks++;
                char last[256];
                output_end(h->output, last, sizeof(last));
                if (h->timed_out) {
                        set_error(r, -ETIMEDOUT, "crochet %s : arrêté après %u s (limite dépassée) ; sortie : %s",
                                  h->name, limit, last);
                        k = -ETIMEDOUT;
                } else if (h->exit_status != 0) {
                        if (h->exit_status > 128)
                                set_error(r, -ECHILD, "crochet %s : tué par le signal %d ; sortie : %s", h->name,
                                          h->exit_status - 128, last);
                        else
                                set_error(r, -ECHILD, "crochet %s : code de sortie %d ; sortie : %s", h->name,
                                          h->exit_status, last);
                        k = -ECHILD;
                }
        }
        if (k == -ENOMEM)
                set_error(r, -ENOMEM, "crochets : mémoire insuffisante");
        hook_env_clear(&env);
        img_strv_free(names);
}

static void customise_mounted(const struct img_customise_opts *o, struct img_customise_result *r, const char *mp) {
        run_hooks(o, r, mp);
        if (r->error < 0)
                return;
        if (o->cancel && atomic_load(o->cancel)) {
                set_error(r, -ECANCELED, "personnalisation annulée avant la preuve du contenu");
                return;
        }
        int k = img_proof_check(mp, o->profile, r->hostname, &r->content, &r->missing);
        if (k < 0)
                set_error(r, k, "preuve du contenu : système écrit illisible (%s)", strerror(-k));
        /* k == 0: r->missing says what is missing; the caller decides. */
}

int img_customise_run(const struct img_customise_opts *o, struct img_customise_result *r) {
        if (!o || !r || !o->part_devnode || !o->profile || !o->hooks_dir || !o->run_dir)
                return -EINVAL;
        *r = (struct img_customise_result){ 0 };
        img_hostname_from_tag(o->asset_tag, r->hostname);

        if (unshare(CLONE_NEWNS | CLONE_FS) < 0) {
                int k = negative_errno();
                snprintf(r->detail, sizeof(r->detail), "espace de noms de montage privé impossible (unshare : %s)",
                         strerror(-k));
                return k;
        }
        /* Nothing mounted from now on propagates back to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                int k = negative_errno();
                snprintf(r->detail, sizeof(r->detail), "montages privés impossibles (mount --make-rprivate / : %s)",
                         strerror(-k));
                return k;
        }

        int k = rf_mkdir_p(o->run_dir, 0700);
        if (k < 0) {
                set_error(r, k, "%s : création impossible (%s)", o->run_dir, strerror(-k));
                return 0;
        }
        _cleanup_free_ char *mp = NULL;
        if (asprintf(&mp, "%s/img-root.XXXXXX", o->run_dir) < 0)
                return -ENOMEM;
        if (!mkdtemp(mp)) {
                set_error(r, negative_errno(), "%s : point de montage impossible (%s)", o->run_dir, strerror(errno));
                return 0;
        }

        if (o->grow_fs && o->fit) {
                k = img_fit_grow_ext4(o->part_devnode, o->fit);
                if (k < 0) {
                        set_error(r, k, "agrandissement du système de fichiers : %s",
                                  o->fit->detail[0] ? o->fit->detail : strerror(-k));
                        teardown(mp, false, r);
                        return 0;
                }
        }
        char fstype[32];
        fs_type_of(o->part_devnode, fstype, sizeof(fstype));
        bool mounted = mount(o->part_devnode, mp, fstype, MS_NOSUID | MS_NODEV, NULL) == 0;
        if (!mounted)
                set_error(r, negative_errno(), "%s : montage (%s) sur %s impossible (%s)", o->part_devnode, fstype,
                          mp, strerror(errno));
        else
                customise_mounted(o, r, mp);
        teardown(mp, mounted, r);
        return 0;
}
