/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct udev;
struct udev_device;

/* The device model: one whole-disk block device as the bench sees it. */

enum wipe_transport {
        WIPE_TRANSPORT_UNKNOWN = 0,
        WIPE_TRANSPORT_USB,
        WIPE_TRANSPORT_SATA,
        WIPE_TRANSPORT_NVME,
        WIPE_TRANSPORT_SCSI,
        WIPE_TRANSPORT_VIRTIO,
        WIPE_TRANSPORT_LOOP,
};

/* Where maker/model/serial come from. Loop devices have none: they get a
 * stand-in identity derived from the backing file, marked as such. */
enum wipe_identity_source {
        WIPE_IDENTITY_UDEV = 0,
        WIPE_IDENTITY_SYSFS,
        WIPE_IDENTITY_STANDIN,
};

struct wipe_partition {
        unsigned number;
        uint64_t offset;   /* bytes */
        uint64_t size;     /* bytes */
        char *fstype;      /* "ntfs", "ext4", "vfat", ... or NULL if none found */
        char *label;       /* filesystem label or NULL */
        char *part_type;   /* partition type GUID/code or NULL */
};

struct wipe_content {
        char *pttype;                  /* "gpt", "dos" or NULL */
        char *fstype;                  /* filesystem directly on the disk, or NULL */
        char *label;                   /* its label */
        struct wipe_partition *partitions;
        size_t n_partitions;
};

struct wipe_device {
        char *sysname;          /* "sdb", "nvme0n1", "loop3" */
        char *devnode;          /* "/dev/sdb" */
        char *syspath;          /* "/sys/devices/..." */
        dev_t devnum;
        uint64_t size;          /* bytes; 0 = no medium (empty bay, detached loop) */
        unsigned logical_sector_size;
        unsigned physical_sector_size;
        char *vendor;
        char *model;
        char *serial;
        char *wwn;
        char *id_path;          /* udev ID_PATH or NULL */
        enum wipe_transport transport;
        enum wipe_identity_source identity_source;
        char *backing_file;     /* loop devices only */
        bool rotational;
        bool read_only;
        bool removable;
        struct wipe_content content;
        bool content_probed;
};

/* Build the model from a udev device (properties when udevd has processed
 * the device, sysfs attributes otherwise). Does not probe the content. */
int wipe_device_from_udev(struct udev_device *d, struct wipe_device **ret);
/* Same, looking the device up by "/dev/X", "X" (sysname) or a syspath. */
int wipe_device_new(struct udev *udev, const char *name, struct wipe_device **ret);
void wipe_device_free(struct wipe_device *dev);
static inline void wipe_device_freep(struct wipe_device **p) {
        if (*p)
                wipe_device_free(*p);
}
#define _cleanup_wipe_device_ __attribute__((cleanup(wipe_device_freep)))

/* Is this udev device a whole disk we manage (DEVTYPE=disk; not ram, zram,
 * dm-*, md*, sr*, fd*)? */
bool wipe_device_is_candidate(struct udev_device *d);

/* Probe what is on the device with libblkid (partition table, partitions,
 * filesystem types and labels) and store it in dev->content. Opens the
 * device read-only without O_EXCL. */
int wipe_device_probe_content(struct wipe_device *dev);

/* Free what c holds (e.g. dev->content) and reset it to empty. */
void wipe_content_clear(struct wipe_content *c);

/* Make untrusted text (udev properties, sysfs attributes, on-disk labels)
 * safe to show and to put in JSON: valid UTF-8 only, control characters and
 * invalid bytes replaced by '?', surrounding white space trimmed, at most max
 * bytes (cut on a character boundary). NULL when nothing is left or on
 * allocation failure. */
char *wipe_sanitize_text(const char *s, size_t max);

/* One line for technicians: "GPT : NTFS « Windows » 120 Go + ext4 + FAT32
 * « DATA »" (fr) / "GPT: NTFS 'Windows' 120 GB + ext4 + ..." (en); "vide"
 * / "empty" when nothing was found. french selects the language. */
char *wipe_content_summary(const struct wipe_content *c, bool french);

const char *wipe_transport_to_string(enum wipe_transport t);
const char *wipe_identity_source_to_string(enum wipe_identity_source s);

/* JSON object with every field above (content included when probed). */
json_t *wipe_device_to_json(const struct wipe_device *dev);
