/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The only thing refurbctl needs from refurbd's configuration
 * (refurbd.conf(5)): where the API socket is. A tiny reader, independent of
 * the daemon's: the last APISocket= of a [Daemon] section, in the main file
 * then in PATH.d/ *.conf in lexical order (later files win, as for
 * refurbd). *ret is NULL when no file sets it. Returns -ENOENT / -EACCES /
 * ... when the main file cannot be read; drop-ins that cannot be read are
 * skipped. */
int rctl_config_api_socket(const char *path, char **ret);
