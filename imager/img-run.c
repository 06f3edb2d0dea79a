/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One imaging run: profile (signature, expiry) -> bmap -> image -> write
 * -> read-back sample -> fit -> customise -> proof. Nothing touches the
 * drive before the profile, the bmap and the image are all verified. */
#include "img-run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "img-bmap.h"
#include "rf-macro.h"
#include "rf-util.h"
#include "wipe-lock.h"

#define BMAP_MAX (64 * MiB)

static const char *const phase_table[] = {
        [IMG_PHASE_NONE] = "none",         [IMG_PHASE_FETCH] = "fetch",   [IMG_PHASE_WRITE] = "write",
        [IMG_PHASE_FLUSH] = "flush",       [IMG_PHASE_VERIFY] = "verify", [IMG_PHASE_FIT] = "fit",
        [IMG_PHASE_CUSTOMISE] = "customise", [IMG_PHASE_PROOF] = "proof", [IMG_PHASE_DONE] = "done",
};

const char *img_phase_to_string(enum img_phase p) {
        if ((unsigned) p >= ELEMENTSOF(phase_table))
                return "unknown";
        return phase_table[p];
}

void img_run_result_clear(struct img_run_result *r) {
        if (!r)
                return;
        img_profile_free(r->profile);
        img_customise_result_clear(&r->customise);
        *r = (struct img_run_result) {};
}

static void set_phase(const struct img_run_opts *o, enum img_phase p) {
        if (o->progress)
                atomic_store(&o->progress->phase, (int) p);
}

_printf_(4, 5) static int fail(struct img_run_result *r, enum img_phase phase, int error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
        va_end(ap);
        r->error = error < 0 ? error : -EIO;
        r->failed_phase = phase;
        return 0;
}

static bool stopped(const struct img_run_opts *o) {
        return (o->cancel && atomic_load(o->cancel)) || (o->removed && atomic_load(o->removed));
}

static int read_all_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        size_t cap = 64 * KiB, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap >= max)
                                return -EFBIG;
                        cap = MIN(cap * 2, max);
                        char *n = realloc(buf, cap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t k = pread(fd, buf + len, cap - len, (off_t) len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Give up the O_EXCL claim (the kernel refuses to mount a partition of a
 * disk claimed exclusively by someone else) but keep the drive locked.
 * Two open descriptions of ours would conflict with each other's flock(),
 * so: open a plain descriptor, close the exclusive one, lock the plain one
 * at once. In between, udev may probe (it takes LOCK_SH|LOCK_NB and backs
 * off while we hold LOCK_EX); refurbd itself never opens a drive another
 * job holds. */
static int swap_to_plain_lock(int *fd, const char *devnode) {
        _cleanup_close_ int plain = open(devnode, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (plain < 0)
                return -errno;
        (void) ioctl(*fd, BLKFLSBUF, 0);
        closep(fd);
        *fd = -1;
        for (unsigned i = 0; i < 100; i++) {
                if (flock(plain, LOCK_EX | LOCK_NB) == 0) {
                        *fd = TAKE_FD(plain);
                        return 0;
                }
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                usleep(50 * 1000);
        }
        return -EWOULDBLOCK;
}

static int fetch_one(const struct img_run_opts *o, const struct img_profile *p, const struct img_source *src,
                     struct img_fetched *ret, char *err, size_t errlen) {
        return img_fetch(&o->fetch, p->name, p->version, src->resolved, src->sha256, ret, err, errlen);
}

static int run_prepare(int fd, const struct img_run_opts *o, struct img_run_result *r, struct img_bmap **ret_bmap,
                       struct img_fetched *image) {
        char err[512] = "";
        int k;

        set_phase(o, IMG_PHASE_FETCH);
        _cleanup_img_trust_ struct img_trust *trust = NULL;
        k = img_trust_load(o->trusted_keys_dir, &trust, err, sizeof(err));
        if (k < 0)
                return fail(r, IMG_PHASE_FETCH, k, "clés de confiance illisibles : %s", err);
        k = img_profile_load_verified(o->profile_path, trust, time(NULL), &r->profile, &r->signature, err,
                                      sizeof(err));
        if (k < 0)
                return fail(r, IMG_PHASE_FETCH, k, "profil refusé : %s", err);
        const struct img_profile *p = r->profile;

        uint64_t size = 0;
        unsigned lss = 0;
        k = wipe_fd_geometry(fd, &size, &lss);
        if (k < 0)
                return fail(r, IMG_PHASE_FETCH, k, "taille du disque inconnue : %s", strerror(-k));
        r->write.device_size = size;
        uint64_t min = o->min_size_override ? o->min_size_override : p->min_disk_size;
        if (size < min) {
                char have[32], need[32];
                rf_format_bytes(size, true, have, sizeof(have));
                rf_format_bytes(min, true, need, sizeof(need));
                return fail(r, IMG_PHASE_FETCH, -ENOSPC,
                            "disque trop petit pour le profil %s : %s, il faut au moins %s", p->name, have, need);
        }

        /* The bmap first: small, and it says how big the image is. */
        struct img_fetched bm = { .fd = -1 };
        k = fetch_one(o, p, &p->bmap, &bm, err, sizeof(err));
        if (k < 0)
                return fail(r, IMG_PHASE_FETCH, k, "carte des blocs (bmap) refusée : %s", err);
        memcpy(r->bmap_sha256, p->bmap.sha256, sizeof(r->bmap_sha256));
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        k = read_all_fd(bm.fd, BMAP_MAX, &text, &len);
        img_fetched_clear(&bm);
        if (k < 0)
                return fail(r, IMG_PHASE_FETCH, k, "carte des blocs illisible : %s", strerror(-k));
        k = img_bmap_parse(p->bmap.location, text, len, ret_bmap, err, sizeof(err));
        if (k < 0)
                return fail(r, IMG_PHASE_FETCH, k, "carte des blocs invalide : %s", err);
        if ((*ret_bmap)->image_size > size) {
                char have[32], need[32];
                rf_format_bytes(size, true, have, sizeof(have));
                rf_format_bytes((*ret_bmap)->image_size, true, need, sizeof(need));
                return fail(r, IMG_PHASE_FETCH, -ENOSPC, "le disque (%s) est plus petit que l'image (%s)", have,
                            need);
        }
        if (stopped(o))
                return fail(r, IMG_PHASE_FETCH, -ECANCELED, "interrompu avant l'écriture");

        k = fetch_one(o, p, &p->image, image, err, sizeof(err));
        if (k < 0)
                return fail(r, IMG_PHASE_FETCH, k, "image refusée : %s", err);
        memcpy(r->image_sha256, p->image.sha256, sizeof(r->image_sha256));
        return 0;
}

static int run_write(int fd, const struct img_run_opts *o, struct img_run_result *r, const struct img_bmap *bmap,
                     int image_fd) {
        struct img_write_opts wo = {
                .image_fd = image_fd,
                .compression = r->profile->compression,
                .bmap = bmap,
                .verify_percent = o->verify_percent,
                .cancel = o->cancel,
                .removed = o->removed,
                .progress = o->progress,
        };
        set_phase(o, IMG_PHASE_WRITE);
        uint64_t device_size = r->write.device_size;
        int k = img_write_run(fd, &wo, &r->write);
        r->write_ran = true;
        if (r->write.device_size == 0)
                r->write.device_size = device_size;
        if (k < 0)
                return fail(r, IMG_PHASE_WRITE, k, "écriture impossible : %s",
                            r->write.error_detail[0] ? r->write.error_detail : strerror(-k));
        if (r->write.stop != IMG_STOP_NONE)
                return fail(r, IMG_PHASE_WRITE, r->write.stop == IMG_STOP_REMOVED ? -ENODEV : -ECANCELED, "%s",
                            r->write.stop == IMG_STOP_REMOVED ? "disque retiré pendant l'écriture de l'image"
                                                              : "écriture de l'image annulée");
        if (r->write.error < 0)
                return fail(r, IMG_PHASE_WRITE, r->write.error, "%s",
                            r->write.error_detail[0] ? r->write.error_detail : strerror(-r->write.error));
        return 0;
}

static void run_fit_customise(int *fd, const struct img_run_opts *o, struct img_run_result *r) {
        set_phase(o, IMG_PHASE_FIT);
        (void) ioctl(*fd, BLKFLSBUF, 0);
        int k = img_fit_partition(o->devnode, r->profile->root_partition, &r->fit);
        r->fit_ran = true;
        if (k < 0) {
                fail(r, IMG_PHASE_FIT, k, "ajustement au disque impossible : %s",
                     r->fit.detail[0] ? r->fit.detail : strerror(-k));
                return;
        }
        if (stopped(o)) {
                fail(r, IMG_PHASE_FIT, -ECANCELED, "interrompu avant la personnalisation");
                return;
        }
        k = swap_to_plain_lock(fd, o->devnode);
        if (k < 0) {
                fail(r, IMG_PHASE_CUSTOMISE, k, "verrou du disque perdu avant le montage : %s", strerror(-k));
                return;
        }
        /* Between the two locks udev may have re-read the table (the
         * O_RDWR close is its cue), dropping the partitions. */
        k = img_fit_resync(o->devnode, &r->fit);
        if (k < 0) {
                fail(r, IMG_PHASE_CUSTOMISE, k, "partition absente après la reprise du verrou : %s",
                     r->fit.detail[0] ? r->fit.detail : strerror(-k));
                return;
        }
        set_phase(o, IMG_PHASE_CUSTOMISE);
        struct img_customise_opts co = {
                .devnode = o->devnode,
                .part_devnode = r->fit.part_devnode,
                .profile = r->profile,
                .hooks_dir = o->hooks_dir,
                .asset_tag = o->asset_tag,
                .run_dir = o->run_dir,
                .grow_fs = true,
                .fit = &r->fit,
                .cancel = o->cancel,
        };
        k = img_customise_run(&co, &r->customise);
        r->customise_ran = true;
        if (k < 0)
                fail(r, IMG_PHASE_CUSTOMISE, k, "personnalisation impossible : %s",
                     r->customise.detail[0] ? r->customise.detail : strerror(-k));
        else if (r->customise.error < 0)
                fail(r, r->customise.content ? IMG_PHASE_PROOF : IMG_PHASE_CUSTOMISE, r->customise.error, "%s",
                     r->customise.detail[0] ? r->customise.detail : strerror(-r->customise.error));
        else if (r->customise.missing)
                fail(r, IMG_PHASE_PROOF, -ENOPKG, "contenu incomplet : %s", r->customise.missing);
}

int img_run(int *fd, const struct img_run_opts *o, struct img_run_result *r) {
        if (!fd || *fd < 0 || !o || !r || !o->profile_path || !o->devnode || !o->trusted_keys_dir)
                return -EINVAL;
        *r = (struct img_run_result) {};

        _cleanup_img_bmap_ struct img_bmap *bmap = NULL;
        struct img_fetched image = { .fd = -1 };
        run_prepare(*fd, o, r, &bmap, &image);
        if (r->error == 0)
                run_write(*fd, o, r, bmap, image.fd);
        img_fetched_clear(&image);
        if (r->error == 0 && o->customise)
                run_fit_customise(fd, o, r);
        if (r->error == 0)
                set_phase(o, IMG_PHASE_DONE);
        return 0;
}
