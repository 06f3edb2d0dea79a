/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wipe-transport.h"

/* Test support: scripted drives behind a fake transport. An ATA drive is
 * reached through SAT ATA PASS-THROUGH(16) CDBs (so the CDB encoding and
 * the sense decoding are exercised too), an NVMe drive through admin
 * commands, a SCSI drive through CDBs. Every command is recorded; chosen
 * commands can be made to fail; the drive keeps state (password, locks,
 * frozen, sanitize progress over a virtual clock) and a small in-memory
 * medium that erase commands really change, unless the drive is a liar.
 * Not for production: never linked into refurbd. */

enum wipe_fake_kind {
        WIPE_FAKE_ATA = 0, /* an ATA drive behind a SATL (libata or a bridge) */
        WIPE_FAKE_NVME,
        WIPE_FAKE_SCSI,
};

/* ---- Drive descriptions; they also hold the live state ---- */

struct wipe_fake_ata_profile {
        char model[41], serial[21], firmware[9];
        uint64_t sectors;        /* visible (IDENTIFY) */
        uint64_t native_sectors; /* READ NATIVE MAX + 1; 0 = sectors. More = HPA */
        uint64_t dco_sectors;    /* DCO IDENTIFY max + 1; 0 = native. More = DCO */
        bool no_lba48, ssd, smart, smart_failing, hpa, dco, no_checksum;
        /* Security: word 82 bit 1, word 128. */
        bool security, enhanced, security_enabled, security_locked, security_frozen, security_expired;
        uint16_t erase_time_word, enhanced_time_word; /* raw words 89/90 */
        char password[33];                            /* set by a previous owner (with security_enabled) */
        /* Sanitize: word 59. */
        bool sanitize, sanitize_crypto, sanitize_block, sanitize_overwrite, sanitize_frozen;
        uint32_t sanitize_ms; /* virtual duration; 0 = 30 s */
        /* SMART attributes. */
        uint32_t reallocated, pending, uncorrectable, power_on_hours;
};

struct wipe_fake_nvme_profile {
        char model[41], serial[21], firmware[9];
        uint16_t oacs;
        uint32_t sanicap;
        uint8_t fna;
        uint32_t nn;
        uint64_t nsze;
        uint8_t lbads; /* 9 = 512-byte blocks */
        uint8_t flbas, dps, dlfeat;
        uint32_t sanitize_ms; /* 0 = 30 s */
        uint8_t critical_warning, percentage_used;
        uint64_t power_on_hours, media_errors;
};

struct wipe_fake_scsi_profile {
        char vendor[9], product[17], revision[5];
        uint64_t sectors;
        bool ssd, sat, rsoc;
        bool sanitize_crypto, sanitize_block, sanitize_overwrite;
        uint32_t sanitize_ms; /* 0 = 30 s */
};

/* Build IDENTIFY DEVICE data (ACS-3 word layout, integrity word) from a
 * profile, and NVMe Identify Controller / Namespace data (4096 bytes). */
void wipe_fake_ata_identify_build(const struct wipe_fake_ata_profile *p, uint8_t out[512]);
void wipe_fake_ata_dco_build(const struct wipe_fake_ata_profile *p, uint8_t out[512]);
void wipe_fake_nvme_id_ctrl_build(const struct wipe_fake_nvme_profile *p, uint8_t out[4096]);
void wipe_fake_nvme_id_ns_build(const struct wipe_fake_nvme_profile *p, uint8_t out[4096]);

/* ---- Recording and faults ---- */

struct wipe_fake_record {
        enum wipe_fake_kind kind;
        /* ATA (decoded from the PT16 CDB) */
        uint8_t command;
        uint16_t feature, count;
        uint64_t lba;
        /* NVMe */
        uint8_t opcode;
        uint32_t nsid, cdw10, cdw11;
        /* SCSI (the CDB as sent, PT16 included) */
        uint8_t cdb[16];
        size_t cdb_len;
        unsigned timeout_ms;
};

enum wipe_fake_action {
        WIPE_FAKE_ABORT = 0, /* ATA ERR/ABRT, NVMe "command abort requested", SCSI ABORTED COMMAND */
        WIPE_FAKE_TIMEOUT,   /* -ETIMEDOUT; SECURITY ERASE UNIT: the link reset leaves the drive locked */
        WIPE_FAKE_TRANSPORT_ERROR, /* -EIO */
};

struct wipe_fake_fault {
        enum wipe_fake_kind kind;
        uint8_t command;   /* ATA command, NVMe opcode or SCSI opcode */
        int feature;       /* ATA feature / NVMe SANACT or SES / SCSI service action; -1 = any */
        unsigned skip;     /* let this many matching commands through first */
        unsigned times;    /* then fail this many; 0 = every one */
        enum wipe_fake_action action;
        unsigned hits;     /* matching commands seen (kept by the fake) */
};

#define WIPE_FAKE_MAX_FAULTS 8

enum wipe_fake_sanitize {
        WIPE_FAKE_SAN_IDLE = 0,
        WIPE_FAKE_SAN_RUNNING,
        WIPE_FAKE_SAN_DONE,
        WIPE_FAKE_SAN_FAILED,
};

struct wipe_fake {
        struct wipe_fw_transport transport; /* hand &fake->transport to the code under test */
        struct wipe_fw_clock clock;         /* virtual: sleeping advances now_ms */
        uint64_t now_ms;
        uint64_t slept_ms;
        enum wipe_fake_kind kind;

        /* Behaviour switches. */
        bool pt16_unsupported; /* a bridge answering ILLEGAL REQUEST to ATA PASS-THROUGH */
        bool lying;            /* reports every erase as done and keeps the data */
        bool sanitize_fails;   /* a started sanitize ends in failure */
        bool set_max_locked;   /* SET MAX ADDRESS EXT aborts (SET MAX FREEZE LOCK) */

        struct wipe_fake_ata_profile ata;
        struct wipe_fake_nvme_profile nvme;
        struct wipe_fake_scsi_profile scsi;
        bool ata_prepared;       /* SECURITY ERASE PREPARE was the last command */
        unsigned ata_attempts;   /* password attempts left */
        bool ata_hpa_volatile;   /* last SET MAX had VV=0 */
        enum wipe_fake_sanitize san;
        uint64_t san_start_ms;
        uint32_t san_action;     /* ATA feature / NVMe CDW10 / SCSI service action */
        bool nvme_gde;           /* global data erased */

        uint8_t *media;          /* everything, hidden areas included */
        uint64_t media_size;

        struct wipe_fake_record *records;
        size_t n_records, n_allocated;
        struct wipe_fake_fault faults[WIPE_FAKE_MAX_FAULTS];
        size_t n_faults;
};

int wipe_fake_new_ata(const struct wipe_fake_ata_profile *p, struct wipe_fake **ret);
int wipe_fake_new_nvme(const struct wipe_fake_nvme_profile *p, struct wipe_fake **ret);
int wipe_fake_new_scsi(const struct wipe_fake_scsi_profile *p, struct wipe_fake **ret);
void wipe_fake_free(struct wipe_fake *f);
static inline void wipe_fake_freep(struct wipe_fake **p) {
        if (*p)
                wipe_fake_free(*p);
}
#define _cleanup_wipe_fake_ __attribute__((cleanup(wipe_fake_freep)))

void wipe_fake_add_fault(struct wipe_fake *f, const struct wipe_fake_fault *fault);

/* Records of the given kind and command (ATA command / NVMe opcode / SCSI
 * opcode). */
size_t wipe_fake_count(const struct wipe_fake *f, enum wipe_fake_kind kind, uint8_t command);
const struct wipe_fake_record *wipe_fake_find(const struct wipe_fake *f, enum wipe_fake_kind kind, uint8_t command,
                                              size_t nth);

/* The medium as the host sees it (visible sectors only); signatures of
 * struct wipe_fw_io. userdata is the struct wipe_fake. */
int wipe_fake_read(void *userdata, uint64_t offset, void *buf, size_t len);
int wipe_fake_write(void *userdata, uint64_t offset, const void *buf, size_t len);
uint64_t wipe_fake_visible_bytes(const struct wipe_fake *f);
/* Fill the whole medium with donor-like data (non-repeating). */
void wipe_fake_fill_donor_data(struct wipe_fake *f);
/* Does [offset, offset+len) of the whole medium hold donor data still? */
bool wipe_fake_has_donor_data(const struct wipe_fake *f, uint64_t offset, uint64_t len);

/* ---- Between the fake's files ---- */

/* Execute an ATA command on the model. 0 (registers in *regs, maybe ERR),
 * or -ETIMEDOUT/-EIO. */
int wipe_fake_ata_exec(struct wipe_fake *f, const struct wipe_ata_cmd *cmd, struct wipe_ata_result *regs);
int wipe_fake_nvme_exec(void *userdata, const struct wipe_nvme_cmd *cmd, struct wipe_nvme_result *ret);
/* Returns the fault action matching, or -1; counts the hit. */
int wipe_fake_fault_match(struct wipe_fake *f, enum wipe_fake_kind kind, uint8_t command, int feature);
void wipe_fake_record_add(struct wipe_fake *f, const struct wipe_fake_record *r);
/* Medium effects. */
void wipe_fake_media_zero(struct wipe_fake *f, uint64_t bytes);
void wipe_fake_media_scramble(struct wipe_fake *f, uint64_t bytes, uint32_t seed);
uint32_t wipe_fake_sanitize_ms(uint32_t ms);
