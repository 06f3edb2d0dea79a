/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wipe-caps.h"
#include "wipe-device.h"
#include "wipe-fw-validate.h"
#include "wipe-method.h"
#include "wipe-overwrite.h"

/* One erase run, shared by refurbd and refurb-wipe: open a firmware
 * transport for the device, probe what the drive can do (health and hidden
 * areas included), remove a Host Protected Area when the policy says so,
 * plan, run the firmware method and read the media back, and fall back to
 * the overwrite engine (Clear) when there is no firmware method, it failed,
 * or the read-back did not confirm it. Nothing is certified that did not
 * happen: the result records every step as it went, and
 * wipe_erase_result_complete() is the only yes/no a certificate may use.
 * See docs/firmware-erase.md. */

enum wipe_erase_choice {
        WIPE_ERASE_AUTO = 0,   /* the policy's firmware method when there is one, else overwrite */
        WIPE_ERASE_OVERWRITE,  /* overwrite only (the drive is still probed for health and hidden areas) */
};

struct wipe_erase_opts {
        enum wipe_erase_choice method;
        struct wipe_policy policy;  /* wipe_policy_init() defaults */
        unsigned validate_percent;  /* read-back sample after a firmware erase, 0..100 % of the 1 MiB
                                     * units besides the first and last MiB (always read); default 10 */
        /* The overwrite engine's settings (key, iv, verify, verify_percent,
         * block_size, generator_threads, max_exceptions). Its cancel,
         * removed, sysfs_dir, on_progress and userdata are ignored: the
         * fields below apply to the whole run. */
        struct wipe_overwrite_opts overwrite;

        const atomic_bool *cancel;  /* may be NULL */
        const atomic_bool *removed; /* may be NULL: set by the caller when the device went away */
        const char *sysfs_dir;      /* "/sys/class/block/sdb" to notice removal; may be NULL */
        /* Progress: phase WRITE during the firmware command (bytes_written
         * follows the drive's progress indication), VERIFY during the
         * read-back; then the overwrite engine's own phases. Called from the
         * calling thread during firmware steps, from a worker thread during
         * the overwrite. May be NULL. */
        void (*on_progress)(const struct wipe_progress *p, void *userdata);
        /* ATA SECURITY ERASE temporary password, passed through to the
         * firmware layer (wipe-fw-run.h): password_set_before() must persist
         * (serial, password) before anything is set; a negative return stops
         * the security erase. Both may be NULL. */
        int (*password_set_before)(const char *serial, const char *password, void *userdata);
        void (*password_cleared)(const char *serial, void *userdata);
        const char *ata_password;   /* NULL: WIPE_ATA_DEFAULT_PASSWORD */
        void *userdata;             /* for on_progress and the password callbacks */

        /* Injection, for tests and callers that hold a transport already:
         * used instead of opening one on fd (not freed). */
        const struct wipe_fw_transport *transport;
        const struct wipe_fw_clock *clock; /* NULL: the system clock */
        unsigned poll_interval_ms;         /* 0: firmware layer default (2 s) */
        uint64_t max_wait_ms;              /* 0: firmware layer default (48 h) */
};

/* Defaults: AUTO, wipe_policy_init(), validation 10 %, and
 * wipe_overwrite_opts_init() (fresh random key and IV, full verification). */
int wipe_erase_opts_init(struct wipe_erase_opts *opts);

/* A firmware command as it was sent (identical consecutive commands, e.g.
 * status polls, are counted in one entry). */
struct wipe_erase_command {
        enum wipe_fw_bus bus;
        char kind[8];        /* "ata", "nvme", "scsi" */
        uint8_t opcode;      /* ATA command, NVMe admin opcode, SCSI operation code */
        uint16_t feature;    /* ATA feature */
        uint32_t cdw10;      /* NVMe CDW10 (Format NVM SES, Sanitize SANACT) */
        int error;           /* negative errno from the transport; 0 = an answer came back */
        uint16_t status;     /* NVMe status; ATA status << 8 | error; SCSI status << 8 | sense key */
        uint64_t at_ms;      /* since the start of the run (run clock) */
        uint64_t duration_ms;
        unsigned count;
};

#define WIPE_ERASE_MAX_COMMANDS 256

enum wipe_erase_outcome {
        WIPE_ERASE_ERASED = 0,   /* wipe_erase_result_complete() */
        WIPE_ERASE_NOT_ERASED,   /* ran, or could not run, and did not erase everything */
        WIPE_ERASE_INTERRUPTED,  /* stopped: cancelled or the drive was removed */
};

struct wipe_erase_timings {
        uint64_t probe_ms, hidden_ms, sample_ms, firmware_ms, validation_ms, overwrite_ms, total_ms;
};

/* Grouped by type (clang-analyzer's padding check); each field says which
 * step fills it. */
struct wipe_erase_result {
        /* Device: bytes at the start (kernel's view), and after hidden-area
         * changes (what was erased). */
        uint64_t size_before;
        uint64_t size;
        /* Commands sent to the drive (malloc'd; identical consecutive ones,
         * e.g. status polls, counted in one entry). */
        struct wipe_erase_command *commands;
        size_t n_commands, n_commands_dropped;
        /* Read-back: blocks that held only zeros / only ones afterwards. */
        uint64_t validation_zero_blocks, validation_ones_blocks;
        /* Sectors neither the firmware method nor the overwrite reached
         * (HPA/DCO left, or beyond what the kernel sees). */
        uint64_t hidden_sectors;
        uint64_t overwrite_verify_total; /* bytes the overwrite's verification had to read */

        struct wipe_fw_health health;         /* SMART / NVMe health log; known = false if none */
        struct wipe_erase_timings timings;
        struct wipe_overwrite_result overwrite; /* when overwrite_ran */
        struct wipe_ata_hidden hidden;        /* when hidden_checked (ATA) */
        struct wipe_fw_check validation;      /* when validation_ran */
        struct wipe_caps caps;                /* when caps_probed; else kind NONE and a note */
        struct wipe_method_result firmware;   /* when firmware_ran */
        struct wipe_plan plan;                /* always: planned steps, then skipped ones with reasons */

        /* What erased the drive (or was tried last), and the NIST SP 800-88
         * category achieved: WIPE_CATEGORY_NONE unless complete. */
        enum wipe_method method;
        enum wipe_category category;
        enum wipe_stop stop;         /* cancelled / removed, at any step */
        int error;                   /* negative errno that ended the run early, 0 otherwise */
        unsigned sector_size;
        enum wipe_fw_expect validation_expect;
        unsigned validate_percent;
        enum wipe_verify_mode overwrite_verify;
        unsigned overwrite_verify_percent;

        bool transport;              /* a firmware transport was available */
        bool caps_probed;
        bool firmware_ran;           /* wipe_method_run() sent an erase command */
        bool validation_ran;
        bool hidden_checked;
        bool hidden_remains;         /* hidden_sectors > 0: not erased */
        bool to_destroy;             /* the drive says it is failing: do not reuse it */
        bool overwrite_ran;

        uint8_t validation_key[WIPE_FW_SAMPLE_KEY_SIZE]; /* recomputes the sampled units */
        uint8_t overwrite_key[WIPE_KEY_SIZE];
        uint8_t overwrite_iv[WIPE_IV_SIZE];
        char transport_note[160];    /* why no transport, or why it could not be used */
        char validation_note[200];   /* why no validation, when a firmware method was planned */
        char hidden_detail[320];
        char error_detail[480];
        char fallback_reason[640];   /* why the overwrite (Clear) rather than a firmware method; "" */
};

/* Erase the device open on fd (wipe_open_exclusive(), or a regular file
 * for tests and images). dev gives the bus (dev->transport decides the
 * firmware transport: NVMe ioctl for nvme, SG_IO for sata/scsi/usb, none
 * for loop and virtio) and the sysfs path for a rescan after an HPA
 * removal; it may be NULL (no firmware transport then, unless
 * opts->transport). progress may be NULL.
 *
 * Returns 0 when *ret describes the run, whatever its outcome (see
 * wipe_erase_result_complete(), ret->stop and ret->error); a negative errno
 * when nothing was sent to the drive (bad arguments, size unreadable or
 * 0). Free with wipe_erase_result_clear() in both cases. */
int wipe_erase_run(int fd, const struct wipe_device *dev, const struct wipe_erase_opts *opts,
                   struct wipe_progress *progress, struct wipe_erase_result *ret);

void wipe_erase_result_clear(struct wipe_erase_result *r);

/* Erased end to end: every addressable byte (no hidden area left), by a
 * firmware method whose read-back passed or by an overwrite written,
 * flushed and verified in full (or over the requested sample) without a
 * single exception, and not stopped. */
bool wipe_erase_result_complete(const struct wipe_erase_result *r);
enum wipe_erase_outcome wipe_erase_result_outcome(const struct wipe_erase_result *r);

/* The full record: outcome, caps, plan (with the reasons for what was
 * skipped), firmware attempt, commands issued, validation, hidden areas,
 * health, overwrite (key, iv, exceptions) and timings. NULL on allocation
 * failure. */
json_t *wipe_erase_result_to_json(const struct wipe_erase_result *r);

/* A few lines for technicians (French or English): firmware attempt,
 * read-back, fallback reason, hidden area, health, error, outcome.
 * malloc'd; NULL on allocation failure. */
char *wipe_erase_result_summary(const struct wipe_erase_result *r, bool french);

/* The overwrite's exceptions: [{"kind", "offset", "length", "error"}]. */
json_t *wipe_erase_exceptions_to_json(const struct wipe_overwrite_result *o);

/* "erased", "not-erased", "interrupted". */
const char *wipe_erase_outcome_to_string(enum wipe_erase_outcome o);
/* NIST SP 800-88 spelling: "Clear", "Purge", "none". */
const char *wipe_erase_category_name(enum wipe_category c);
const char *wipe_erase_choice_to_string(enum wipe_erase_choice c);

/* ---- Between wipe-erase*.c (not for callers) ---- */

struct wipe_erase_ctx {
        int fd;
        const struct wipe_device *dev;
        const struct wipe_erase_opts *opts;
        struct wipe_progress *progress;
        struct wipe_erase_result *ret;
        const struct wipe_fw_clock *clock;
        uint64_t clock_start_ms;
        uint64_t last_progress_usec, last_sysfs_usec;
        bool sysfs_watch;         /* sysfs_dir/size was readable at the start */
        bool gone, cancelled;     /* seen by the validation I/O */
        bool count_blank;         /* validation after the erase: count zero / ones blocks */
        const struct wipe_fw_transport *inner;
        struct wipe_fw_transport recorder; /* wraps inner, records every command */
};

/* Make ctx->recorder a transport that forwards to inner and records each
 * command in ctx->ret->commands. */
void wipe_erase_recorder_init(struct wipe_erase_ctx *c, const struct wipe_fw_transport *inner);
/* struct wipe_fw_io on ctx->fd (userdata = ctx): progress, cancellation
 * and removal are checked on every block. */
int wipe_erase_io_read(void *userdata, uint64_t offset, void *buf, size_t len);
int wipe_erase_io_write(void *userdata, uint64_t offset, const void *buf, size_t len);
/* Cancelled or removed? Sets ctx->ret->stop (first reason wins). */
bool wipe_erase_check_stop(struct wipe_erase_ctx *c);
bool wipe_erase_device_gone(struct wipe_erase_ctx *c, int error);
/* Call opts->on_progress (at most every 250 ms unless force). */
void wipe_erase_report(struct wipe_erase_ctx *c, bool force);
/* Size and logical sector size of a block device or a regular file. */
int wipe_erase_fd_size(int fd, uint64_t *ret_size, unsigned *ret_sector);
/* After SET MAX / DCO RESTORE: have the kernel re-read the capacity. */
void wipe_erase_rescan(struct wipe_erase_ctx *c);
