/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device model: what the bench knows about one whole-disk block device,
 * from udev properties when udevd has processed the device, from sysfs
 * otherwise. Everything read here comes from the device or from udev rules
 * and is untrusted: every string goes through wipe_sanitize_text(). */
#include "wipe-device.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rf-macro.h"
#include "rf-util.h"

/* Longest identity string kept (vendor, model, serial, WWN, ID_PATH). */
#define IDENT_MAX 128
#define PATH_TEXT_MAX 1024

/* ---- untrusted text ---------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s) {
        size_t n;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp < 0xa0))
                return 0;
        return n;
}

char *wipe_sanitize_text(const char *s, size_t max) {
        if (!s)
                return NULL;
        while (*s == ' ' || *s == '\t')
                s++;

        size_t len = strlen(s);
        char *out = malloc(MIN(len, max) + 1);
        if (!out)
                return NULL;

        const unsigned char *p = (const unsigned char *) s;
        size_t o = 0;
        while (*p) {
                size_t n = utf8_seq_len(p);
                if (n == 0 || n == 1) {
                        if (o + 1 > max)
                                break;
                        out[o++] = (char) (n == 1 && *p >= 0x20 && *p != 0x7f ? *p : '?');
                        p++;
                        continue;
                }
                if (o + n > max)
                        break;
                memcpy(out + o, p, n);
                o += n;
                p += n;
        }
        while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
        if (o == 0) {
                free(out);
                return NULL;
        }
        out[o] = '\0';
        return out;
}

/* udev's *_ENC properties escape unsafe bytes as \xNN. */
static char *decode_enc(const char *s) {
        size_t len = strlen(s);
        char *out = malloc(len + 1);
        if (!out)
                return NULL;
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned v;
                if (s[i] == '\\' && s[i + 1] == 'x' && s[i + 2] && s[i + 3] && sscanf(s + i + 2, "%2x", &v) == 1 &&
                    strspn(s + i + 2, "0123456789abcdefABCDEF") >= 2 && v != 0) {
                        out[o++] = (char) v;
                        i += 3;
                } else
                        out[o++] = s[i];
        }
        out[o] = '\0';
        return out;
}

/* Collapse runs of spaces (SCSI vendor/model fields are space padded). */
static char *clean_ident(const char *raw) {
        char *s = wipe_sanitize_text(raw, IDENT_MAX);
        if (!s)
                return NULL;
        char *w = s;
        for (const char *r = s; *r; r++) {
                if (*r == ' ' && w > s && w[-1] == ' ')
                        continue;
                *w++ = *r;
        }
        *w = '\0';
        return s;
}

/* ---- sysfs and udev access --------------------------------------------- */

static char *sysfs_attr(const char *syspath, const char *attr) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        if (asprintf(&path, "%s/%s", syspath, attr) < 0)
                return NULL;
        if (rf_read_line(path, &line) < 0)
                return NULL;
        return TAKE_PTR(line);
}

static int sysfs_attr_u64(const char *syspath, const char *attr, uint64_t *ret) {
        _cleanup_free_ char *s = sysfs_attr(syspath, attr);
        if (!s)
                return -ENOENT;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

static bool sysfs_attr_bool(const char *syspath, const char *attr) {
        uint64_t v = 0;
        return sysfs_attr_u64(syspath, attr, &v) >= 0 && v != 0;
}

/* The identity string of property key (its _ENC variant decoded when
 * there is one), cleaned up; NULL when missing. */
static char *udev_ident(struct udev_device *d, const char *key) {
        char enc_key[64];
        snprintf(enc_key, sizeof(enc_key), "%s_ENC", key);
        const char *enc = udev_device_get_property_value(d, enc_key);
        if (enc) {
                char *dec = decode_enc(enc);
                char *s = dec ? clean_ident(dec) : NULL;
                free(dec);
                if (s)
                        return s;
        }
        const char *v = udev_device_get_property_value(d, key);
        return v ? clean_ident(v) : NULL;
}

/* SCSI unit serial number VPD page (0x80): 4 byte header, then the serial. */
static char *scsi_vpd_serial(const char *syspath) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t len = 0;
        if (asprintf(&path, "%s/device/vpd_pg80", syspath) < 0)
                return NULL;
        if (rf_read_file(path, 4096, &buf, &len) < 0 || len < 4 || (unsigned char) buf[1] != 0x80)
                return NULL;
        size_t n = MIN(len - 4, (size_t) (unsigned char) buf[3]);
        char serial[256];
        memcpy(serial, buf + 4, n);
        serial[n] = '\0';
        return clean_ident(serial);
}

static bool has_prefix(const char *s, const char *prefix) {
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static enum wipe_transport transport_from(const char *sysname, const char *id_bus, const char *id_path,
                                          const char *syspath) {
        if (has_prefix(sysname, "loop"))
                return WIPE_TRANSPORT_LOOP;
        /* A SATA drive in a USB enclosure is reached through USB. */
        if ((id_path && strstr(id_path, "-usb-")) || (syspath && strstr(syspath, "/usb")))
                return WIPE_TRANSPORT_USB;
        if (id_bus) {
                if (strcmp(id_bus, "usb") == 0)
                        return WIPE_TRANSPORT_USB;
                if (strcmp(id_bus, "ata") == 0)
                        return WIPE_TRANSPORT_SATA;
                if (strcmp(id_bus, "nvme") == 0)
                        return WIPE_TRANSPORT_NVME;
                if (strcmp(id_bus, "scsi") == 0)
                        return WIPE_TRANSPORT_SCSI;
        }
        if ((id_path && strstr(id_path, "-ata-")) || (syspath && strstr(syspath, "/ata")))
                return WIPE_TRANSPORT_SATA;
        if ((id_path && strstr(id_path, "-nvme-")) || has_prefix(sysname, "nvme"))
                return WIPE_TRANSPORT_NVME;
        if ((id_path && strstr(id_path, "virtio")) || (syspath && strstr(syspath, "/virtio")) ||
            has_prefix(sysname, "vd"))
                return WIPE_TRANSPORT_VIRTIO;
        if ((id_path && strstr(id_path, "-scsi-")) || has_prefix(sysname, "sd"))
                return WIPE_TRANSPORT_SCSI;
        return WIPE_TRANSPORT_UNKNOWN;
}

static int fill_loop_identity(struct wipe_device *dev) {
        dev->identity_source = WIPE_IDENTITY_STANDIN;
        dev->vendor = strdup("loop");
        dev->model = strdup("Disque simulé (fichier image)");
        if (!dev->vendor || !dev->model)
                return -ENOMEM;

        _cleanup_free_ char *backing = sysfs_attr(dev->syspath, "loop/backing_file");
        if (!backing)
                return 0; /* detached: an empty bay */
        dev->backing_file = wipe_sanitize_text(backing, PATH_TEXT_MAX);
        if (!dev->backing_file)
                return 0;
        const char *base = strrchr(dev->backing_file, '/');
        base = base ? base + 1 : dev->backing_file;
        _cleanup_free_ char *serial = NULL;
        if (asprintf(&serial, "LOOP-%s", base) < 0)
                return -ENOMEM;
        dev->serial = wipe_sanitize_text(serial, IDENT_MAX);
        return 0;
}

static void fill_identity(struct wipe_device *dev, struct udev_device *d, bool initialized) {
        if (initialized) {
                dev->vendor = udev_ident(d, "ID_VENDOR");
                dev->model = udev_ident(d, "ID_MODEL");
                dev->serial = udev_ident(d, "ID_SERIAL_SHORT");
                dev->wwn = udev_ident(d, "ID_WWN");
        }
        if (dev->model || dev->serial || dev->wwn)
                dev->identity_source = WIPE_IDENTITY_UDEV;
        else {
                free(dev->vendor);
                dev->vendor = NULL;
                dev->identity_source = WIPE_IDENTITY_SYSFS;
        }

        /* Whatever udev did not give, from sysfs. */
        static const char *const vendor_attrs[] = { "device/vendor", NULL };
        static const char *const model_attrs[] = { "device/model", NULL };
        static const char *const serial_attrs[] = { "device/serial", "serial", NULL };
        static const char *const wwn_attrs[] = { "wwid", "device/wwid", NULL };
        struct {
                char **field;
                const char *const *attrs;
        } table[] = {
                { &dev->vendor, vendor_attrs },
                { &dev->model, model_attrs },
                { &dev->serial, serial_attrs },
                { &dev->wwn, wwn_attrs },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                for (const char *const *a = table[i].attrs; *a && !*table[i].field; a++) {
                        _cleanup_free_ char *v = sysfs_attr(dev->syspath, *a);
                        *table[i].field = v ? clean_ident(v) : NULL;
                }
        if (!dev->serial)
                dev->serial = scsi_vpd_serial(dev->syspath);
        /* libata fills the SCSI vendor field with "ATA", virtio and others
         * give a bus vendor number ("0x1af4"): not makers. */
        if (rf_streq_ptr(dev->vendor, "ATA") || has_prefix(dev->vendor, "0x")) {
                free(dev->vendor);
                dev->vendor = NULL;
        }
}

static int strdup_opt(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int device_fill(struct wipe_device *dev, struct udev_device *d, const char *sysname, const char *syspath) {
        dev->devnum = udev_device_get_devnum(d);
        if (strdup_opt(sysname, &dev->sysname) < 0 || strdup_opt(syspath, &dev->syspath) < 0)
                return -ENOMEM;
        const char *devnode = udev_device_get_devnode(d);
        if (devnode)
                dev->devnode = strdup(devnode);
        else if (asprintf(&dev->devnode, "/dev/%s", sysname) < 0)
                dev->devnode = NULL;
        if (!dev->devnode)
                return -ENOMEM;

        uint64_t sectors = 0, lbs = 512, pbs = 0;
        int r = sysfs_attr_u64(syspath, "size", &sectors);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        if (sectors > UINT64_MAX / 512)
                return -EOVERFLOW;
        dev->size = sectors * 512;
        (void) sysfs_attr_u64(syspath, "queue/logical_block_size", &lbs);
        if (sysfs_attr_u64(syspath, "queue/physical_block_size", &pbs) < 0)
                pbs = lbs;
        if (lbs == 0 || lbs > 65536 || pbs == 0 || pbs > 1024 * 1024)
                return -EINVAL;
        dev->logical_sector_size = (unsigned) lbs;
        dev->physical_sector_size = (unsigned) pbs;
        dev->rotational = sysfs_attr_bool(syspath, "queue/rotational");
        dev->read_only = sysfs_attr_bool(syspath, "ro");
        dev->removable = sysfs_attr_bool(syspath, "removable");

        bool initialized = udev_device_get_is_initialized(d) > 0;
        const char *id_path = initialized ? udev_device_get_property_value(d, "ID_PATH") : NULL;
        dev->id_path = wipe_sanitize_text(id_path, IDENT_MAX);
        dev->transport = transport_from(sysname, initialized ? udev_device_get_property_value(d, "ID_BUS") : NULL,
                                        dev->id_path, syspath);

        if (dev->transport == WIPE_TRANSPORT_LOOP)
                return fill_loop_identity(dev);
        fill_identity(dev, d, initialized);
        return 0;
}

int wipe_device_from_udev(struct udev_device *d, struct wipe_device **ret) {
        if (!d || !ret)
                return -EINVAL;
        const char *subsystem = udev_device_get_subsystem(d);
        if (!subsystem || strcmp(subsystem, "block") != 0)
                return -ENOTBLK;
        const char *sysname = udev_device_get_sysname(d), *syspath = udev_device_get_syspath(d);
        if (!sysname || !syspath || strchr(sysname, '/'))
                return -EINVAL;

        struct wipe_device *dev = calloc(1, sizeof(*dev));
        if (!dev)
                return -ENOMEM;
        int r = device_fill(dev, d, sysname, syspath);
        if (r < 0) {
                wipe_device_free(dev);
                return r;
        }
        *ret = dev;
        return 0;
}

static void udev_device_unrefp(struct udev_device **d) {
        if (*d)
                udev_device_unref(*d);
}

int wipe_device_new(struct udev *udev, const char *name, struct wipe_device **ret) {
        if (!udev || !name || !ret || !*name)
                return -EINVAL;

        __attribute__((cleanup(udev_device_unrefp))) struct udev_device *d = NULL;
        if (has_prefix(name, "/sys/"))
                d = udev_device_new_from_syspath(udev, name);
        else if (name[0] == '/') {
                struct stat st;
                if (stat(name, &st) < 0)
                        return negative_errno();
                if (!S_ISBLK(st.st_mode))
                        return -ENOTBLK;
                d = udev_device_new_from_devnum(udev, 'b', st.st_rdev);
        } else {
                if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        return -EINVAL;
                d = udev_device_new_from_subsystem_sysname(udev, "block", name);
        }
        if (!d)
                return errno == ENOMEM ? -ENOMEM : -ENODEV;
        return wipe_device_from_udev(d, ret);
}

void wipe_content_clear(struct wipe_content *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_partitions; i++) {
                free(c->partitions[i].fstype);
                free(c->partitions[i].label);
                free(c->partitions[i].part_type);
        }
        free(c->partitions);
        free(c->pttype);
        free(c->fstype);
        free(c->label);
        *c = (struct wipe_content){ 0 };
}

void wipe_device_free(struct wipe_device *dev) {
        if (!dev)
                return;
        wipe_content_clear(&dev->content);
        free(dev->sysname);
        free(dev->devnode);
        free(dev->syspath);
        free(dev->vendor);
        free(dev->model);
        free(dev->serial);
        free(dev->wwn);
        free(dev->id_path);
        free(dev->backing_file);
        free(dev);
}

bool wipe_device_is_candidate(struct udev_device *d) {
        static const char *const excluded[] = {
                "ram*", "zram*", "dm-*", "md*", "sr*", "fd*", "nbd*", "mmcblk*boot*", "mmcblk*rpmb",
        };
        if (!d)
                return false;
        const char *subsystem = udev_device_get_subsystem(d), *devtype = udev_device_get_devtype(d);
        const char *sysname = udev_device_get_sysname(d);
        if (!subsystem || strcmp(subsystem, "block") != 0 || !devtype || strcmp(devtype, "disk") != 0 || !sysname)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(excluded); i++)
                if (fnmatch(excluded[i], sysname, 0) == 0)
                        return false;
        return true;
}

const char *wipe_transport_to_string(enum wipe_transport t) {
        switch (t) {
        case WIPE_TRANSPORT_USB:
                return "usb";
        case WIPE_TRANSPORT_SATA:
                return "sata";
        case WIPE_TRANSPORT_NVME:
                return "nvme";
        case WIPE_TRANSPORT_SCSI:
                return "scsi";
        case WIPE_TRANSPORT_VIRTIO:
                return "virtio";
        case WIPE_TRANSPORT_LOOP:
                return "loop";
        case WIPE_TRANSPORT_UNKNOWN:
        default:
                return "unknown";
        }
}

const char *wipe_identity_source_to_string(enum wipe_identity_source s) {
        switch (s) {
        case WIPE_IDENTITY_UDEV:
                return "udev";
        case WIPE_IDENTITY_SYSFS:
                return "sysfs";
        case WIPE_IDENTITY_STANDIN:
                return "stand-in";
        default:
                return "unknown";
        }
}

/* ---- JSON -------------------------------------------------------------- */

/* Set key to value (stolen); a NULL value records a failure in *ok. */
static void set(json_t *o, const char *key, json_t *value, bool *ok) {
        if (!value || json_object_set_new(o, key, value) < 0)
                *ok = false;
}

static json_t *str_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *content_to_json(const struct wipe_content *c) {
        bool ok = true;
        json_t *o = json_object(), *parts = json_array();
        if (!o || !parts) {
                json_decref(o);
                json_decref(parts);
                return NULL;
        }
        for (size_t i = 0; i < c->n_partitions; i++) {
                const struct wipe_partition *p = &c->partitions[i];
                json_t *jp = json_object();
                if (!jp) {
                        ok = false;
                        break;
                }
                set(jp, "number", json_integer(p->number), &ok);
                set(jp, "offset", json_integer((json_int_t) p->offset), &ok);
                set(jp, "size", json_integer((json_int_t) p->size), &ok);
                set(jp, "fstype", str_or_null(p->fstype), &ok);
                set(jp, "label", str_or_null(p->label), &ok);
                set(jp, "part_type", str_or_null(p->part_type), &ok);
                if (json_array_append_new(parts, jp) < 0)
                        ok = false;
        }
        set(o, "pttype", str_or_null(c->pttype), &ok);
        set(o, "fstype", str_or_null(c->fstype), &ok);
        set(o, "label", str_or_null(c->label), &ok);
        set(o, "partitions", parts, &ok);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *wipe_device_to_json(const struct wipe_device *dev) {
        if (!dev)
                return NULL;
        bool ok = true;
        json_t *o = json_object();
        if (!o)
                return NULL;
        char devnum[32];
        snprintf(devnum, sizeof(devnum), "%u:%u", major(dev->devnum), minor(dev->devnum));

        set(o, "sysname", str_or_null(dev->sysname), &ok);
        set(o, "devnode", str_or_null(dev->devnode), &ok);
        set(o, "syspath", str_or_null(dev->syspath), &ok);
        set(o, "devnum", json_string(devnum), &ok);
        set(o, "size", json_integer((json_int_t) MIN(dev->size, (uint64_t) INT64_MAX)), &ok);
        set(o, "logical_sector_size", json_integer(dev->logical_sector_size), &ok);
        set(o, "physical_sector_size", json_integer(dev->physical_sector_size), &ok);
        set(o, "vendor", str_or_null(dev->vendor), &ok);
        set(o, "model", str_or_null(dev->model), &ok);
        set(o, "serial", str_or_null(dev->serial), &ok);
        set(o, "wwn", str_or_null(dev->wwn), &ok);
        set(o, "id_path", str_or_null(dev->id_path), &ok);
        set(o, "transport", json_string(wipe_transport_to_string(dev->transport)), &ok);
        set(o, "identity_source", json_string(wipe_identity_source_to_string(dev->identity_source)), &ok);
        set(o, "backing_file", str_or_null(dev->backing_file), &ok);
        set(o, "rotational", json_boolean(dev->rotational), &ok);
        set(o, "read_only", json_boolean(dev->read_only), &ok);
        set(o, "removable", json_boolean(dev->removable), &ok);
        if (dev->content_probed) {
                _cleanup_free_ char *fr = wipe_content_summary(&dev->content, true);
                _cleanup_free_ char *en = wipe_content_summary(&dev->content, false);
                set(o, "content", content_to_json(&dev->content), &ok);
                set(o, "content_summary_fr", fr ? json_string(fr) : NULL, &ok);
                set(o, "content_summary_en", en ? json_string(en) : NULL, &ok);
        } else {
                set(o, "content", json_null(), &ok);
                set(o, "content_summary_fr", json_null(), &ok);
                set(o, "content_summary_en", json_null(), &ok);
        }
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}
