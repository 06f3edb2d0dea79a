/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ATA SECURITY ERASE sets a temporary password on the drive. It is written
 * down (state directory, mode 0600) before it is set and forgotten once the
 * firmware layer has cleared it, so that a drive left locked by a crash or
 * a power cut is unlocked and its password disabled the next time it is
 * plugged into the bench. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rf-util.h"
#include "rfd-log.h"
#include "rfd-manager.h"
#include "wipe-ata.h"
#include "wipe-transport.h"

static int password_path(const char *state_dir, const char *serial, char **ret) {
        _cleanup_free_ char *clean = strdup(serial && *serial ? serial : "unknown");
        if (!clean)
                return -ENOMEM;
        for (char *p = clean; *p; p++)
                if (*p == '/' || *p == '.' || (unsigned char) *p < 0x21 || (unsigned char) *p > 0x7e)
                        *p = '_';
        return asprintf(ret, "%s/ata-password-%s", state_dir, clean) < 0 ? -ENOMEM : 0;
}

/* Called from the worker thread, before the password is set. */
int rfd_job_password_set(const char *serial, const char *password, void *userdata) {
        struct rfd_job *job = userdata;
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r = password_path(job->m->state_dir, serial, &path);
        if (r < 0)
                return r;
        if (asprintf(&text, "%s\n", password) < 0)
                return -ENOMEM;
        return rf_write_file_atomic(path, text, strlen(text), 0600);
}

void rfd_job_password_cleared(const char *serial, void *userdata) {
        struct rfd_job *job = userdata;
        _cleanup_free_ char *path = NULL;
        if (password_path(job->m->state_dir, serial, &path) >= 0)
                (void) unlink(path);
}

void rfd_ata_password_recover(struct rfd_manager *m, const struct wipe_device *dev) {
        _cleanup_free_ char *path = NULL, *password = NULL;

        if (!dev->serial || (dev->transport != WIPE_TRANSPORT_SATA && dev->transport != WIPE_TRANSPORT_USB &&
                             dev->transport != WIPE_TRANSPORT_SCSI))
                return;
        if (password_path(m->state_dir, dev->serial, &path) < 0 || access(path, F_OK) < 0)
                return;
        int r = rf_read_line(path, &password);
        if (r < 0) {
                rfd_log_dev(LOG_ERR, NULL, dev->devnode, 0, "%s: cannot read the recorded ATA password: %s", path,
                            strerror(-r));
                return;
        }

        _cleanup_close_ int fd = open(dev->devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        _cleanup_wipe_fw_transport_ struct wipe_fw_transport *t = NULL;
        char detail[256] = "";
        if (fd < 0)
                r = negative_errno();
        else
                r = wipe_fw_transport_new_linux(fd, WIPE_FW_BUS_SCSI, &t);
        if (r >= 0)
                r = wipe_ata_security_recover(t, password, detail, sizeof(detail));
        if (r < 0) {
                rfd_log_dev(LOG_ERR, NULL, dev->devnode, 0,
                            "drive %s still holds refurb's temporary ATA password and could not be unlocked (%s%s%s)",
                            dev->serial, strerror(-r), detail[0] ? ": " : "", detail);
                return;
        }
        (void) unlink(path);
        rfd_log_dev(LOG_NOTICE, NULL, dev->devnode, 0,
                    "drive %s was left with refurb's temporary ATA password by an interrupted job: unlocked and "
                    "disabled",
                    dev->serial);
}
