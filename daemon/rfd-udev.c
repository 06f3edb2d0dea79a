/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drives come and go: the libudev monitor on the block subsystem, and the
 * initial enumeration. With udevd running, events come after udev has
 * processed the device (properties such as ID_SERIAL are there); without
 * it, raw kernel events are used and identities come from sysfs. */
#include <errno.h>
#include <event2/event.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rf-macro.h"
#include "rfd-log.h"
#include "rfd-manager.h"

static void handle_device(struct rfd_manager *m, struct udev_device *ud, const char *action) {
        if (!wipe_device_is_candidate(ud))
                return;

        if (strcmp(action, "remove") == 0) {
                struct wipe_device *gone = calloc(1, sizeof(*gone));
                if (!gone)
                        return;
                gone->sysname = strdup(udev_device_get_sysname(ud));
                if (!gone->sysname) {
                        free(gone);
                        return;
                }
                rfd_manager_device_event(m, "remove", gone);
                return;
        }

        struct wipe_device *dev = NULL;
        int r = wipe_device_from_udev(ud, &dev);
        if (r < 0) {
                rfd_log(LOG_WARNING, "cannot read device %s: %s", udev_device_get_sysname(ud), strerror(-r));
                return;
        }
        rfd_manager_device_event(m, action, dev);
}

/* Is systemd-udevd there to process events? Its control socket answers. */
static bool udevd_alive(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/udev/control" };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return false;
        return connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
}

static void drain(struct rfd_manager *m, struct udev_monitor *mon, bool kernel) {
        for (;;) {
                struct udev_device *ud = udev_monitor_receive_device(mon);
                if (!ud)
                        break;
                const char *action = udev_device_get_action(ud);
                rfd_log(LOG_DEBUG, "%s uevent %s %s", kernel ? "kernel" : "udev", action ? action : "?",
                        udev_device_get_sysname(ud));
                /* Kernel events are used only while udevd is away; otherwise
                 * udevd's own event follows with the device's properties. */
                if (action && (!kernel || !udevd_alive()))
                        handle_device(m, ud, action);
                udev_device_unref(ud);
        }
}

static void monitor_cb(evutil_socket_t fd, short what, void *userdata) {
        struct rfd_manager *m = userdata;
        drain(m, m->monitor, false);
}

static void kernel_monitor_cb(evutil_socket_t fd, short what, void *userdata) {
        struct rfd_manager *m = userdata;
        drain(m, m->kernel_monitor, true);
}

static int monitor_open(struct rfd_manager *m, const char *source, event_callback_fn cb, struct udev_monitor **ret_mon,
                        struct event **ret_ev) {
        struct udev_monitor *mon = udev_monitor_new_from_netlink(m->udev, source);
        if (!mon)
                return -EIO;
        *ret_mon = mon;
        int r = udev_monitor_filter_add_match_subsystem_devtype(mon, "block", "disk");
        if (r < 0)
                return r;
        (void) udev_monitor_set_receive_buffer_size(mon, 8 * 1024 * 1024);
        r = udev_monitor_enable_receiving(mon);
        if (r < 0)
                return r;
        *ret_ev = event_new(m->base, udev_monitor_get_fd(mon), EV_READ | EV_PERSIST, cb, m);
        if (!*ret_ev || event_add(*ret_ev, NULL) < 0)
                return -ENOMEM;
        return 0;
}

static int enumerate(struct rfd_manager *m) {
        struct udev_enumerate *e = udev_enumerate_new(m->udev);
        if (!e)
                return -ENOMEM;
        udev_enumerate_add_match_subsystem(e, "block");
        udev_enumerate_add_match_property(e, "DEVTYPE", "disk");
        int r = udev_enumerate_scan_devices(e);
        if (r < 0) {
                udev_enumerate_unref(e);
                return r;
        }
        struct udev_list_entry *item;
        udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e)) {
                struct udev_device *ud = udev_device_new_from_syspath(m->udev, udev_list_entry_get_name(item));
                if (!ud)
                        continue;
                handle_device(m, ud, "startup");
                udev_device_unref(ud);
        }
        udev_enumerate_unref(e);
        return 0;
}

int rfd_udev_start(struct rfd_manager *m) {
        m->udev = udev_new();
        if (!m->udev)
                return -ENOMEM;

        m->monitor_kernel_only = !udevd_alive();
        if (m->monitor_kernel_only)
                rfd_log(LOG_WARNING, "systemd-udevd is not running: using kernel events, identities from sysfs");

        int r = monitor_open(m, "udev", monitor_cb, &m->monitor, &m->monitor_ev);
        if (r < 0)
                return r;
        r = monitor_open(m, "kernel", kernel_monitor_cb, &m->kernel_monitor, &m->kernel_monitor_ev);
        if (r < 0)
                return r;

        return enumerate(m);
}

void rfd_udev_stop(struct rfd_manager *m) {
        if (m->monitor_ev) {
                event_free(m->monitor_ev);
                m->monitor_ev = NULL;
        }
        if (m->kernel_monitor_ev) {
                event_free(m->kernel_monitor_ev);
                m->kernel_monitor_ev = NULL;
        }
        if (m->monitor) {
                udev_monitor_unref(m->monitor);
                m->monitor = NULL;
        }
        if (m->kernel_monitor) {
                udev_monitor_unref(m->kernel_monitor);
                m->kernel_monitor = NULL;
        }
        if (m->udev) {
                udev_unref(m->udev);
                m->udev = NULL;
        }
}
