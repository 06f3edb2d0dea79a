/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The erase orchestrator (wiper/wipe-erase.h) against scripted drives
 * (wiper/firmware/wipe-fake-transport.h). The medium is a real temporary
 * file: the validation and the overwrite read and write it through the
 * descriptor, and the fake drive's medium is kept in step with it around
 * every command, so an erase command changes what is read back (or does
 * not, for a lying drive). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rf-macro.h"
#include "wipe-erase.h"
#include "wipe-fake-transport.h"
#include "wipe-nvme.h"

#define SECTORS 8192u /* 4 MiB */

struct rig {
        struct wipe_fake *f;
        char path[64];
        int fd;
        struct wipe_fw_transport t; /* the fake, with the file as its medium */
        struct wipe_device dev;
        struct wipe_erase_opts o;
        struct wipe_progress progress;
        struct wipe_erase_result res;
        unsigned recorded, cleared;
};

/* ---- The file is the medium ---- */

static void sync_in(struct rig *r) {
        uint64_t n = wipe_fake_visible_bytes(r->f);
        assert_true(n <= r->f->media_size);
        assert_int_equal(pread(r->fd, r->f->media, n, 0), (ssize_t) n);
}

static void sync_out(struct rig *r) {
        uint64_t n = wipe_fake_visible_bytes(r->f);
        assert_int_equal(ftruncate(r->fd, (off_t) n), 0);
        assert_int_equal(pwrite(r->fd, r->f->media, n, 0), (ssize_t) n);
}

static int rig_scsi_cmd(void *userdata, const struct wipe_scsi_cmd *cmd, struct wipe_scsi_result *ret) {
        struct rig *r = userdata;
        sync_in(r);
        int k = r->f->transport.ops->scsi(r->f->transport.userdata, cmd, ret);
        sync_out(r);
        return k;
}

static int rig_nvme_admin(void *userdata, const struct wipe_nvme_cmd *cmd, struct wipe_nvme_result *ret) {
        struct rig *r = userdata;
        sync_in(r);
        int k = r->f->transport.ops->nvme_admin(r->f->transport.userdata, cmd, ret);
        sync_out(r);
        return k;
}

static const struct wipe_fw_transport_ops rig_ops = {
        .scsi = rig_scsi_cmd,
        .nvme_admin = rig_nvme_admin,
};

static int rig_password_before(const char *serial, const char *password, void *userdata) {
        struct rig *r = userdata;
        r->recorded++;
        return 0;
}

static void rig_password_cleared(const char *serial, void *userdata) {
        struct rig *r = userdata;
        r->cleared++;
}

static void rig_start(struct rig *r, struct wipe_fake *f, enum wipe_transport bus) {
        r->f = f;
        wipe_fake_fill_donor_data(f);
        snprintf(r->path, sizeof(r->path), "/tmp/test-erase-XXXXXX");
        r->fd = mkostemp(r->path, O_CLOEXEC);
        assert_true(r->fd >= 0);
        unlink(r->path); /* nothing left behind, even when an assertion fails */
        sync_out(r);
        r->t = (struct wipe_fw_transport) {
                .ops = &rig_ops,
                .userdata = r,
                .bus = f->transport.bus,
                .nsid = f->transport.nsid,
        };
        r->dev = (struct wipe_device) {
                .sysname = (char *) "fake0",
                .devnode = r->path,
                .size = wipe_fake_visible_bytes(f),
                .logical_sector_size = 512,
                .transport = bus,
        };
        assert_int_equal(wipe_erase_opts_init(&r->o), 0);
        r->o.transport = &r->t;
        r->o.clock = &f->clock;
        r->o.poll_interval_ms = 1000;
        r->o.overwrite.block_size = 256 * 1024;
        r->o.overwrite.generator_threads = 1;
        r->o.password_set_before = rig_password_before;
        r->o.password_cleared = rig_password_cleared;
        r->o.userdata = r;
}

static void rig_ata(struct rig *r, const struct wipe_fake_ata_profile *p) {
        struct wipe_fake *f = NULL;
        *r = (struct rig) { .fd = -1 };
        assert_int_equal(wipe_fake_new_ata(p, &f), 0);
        rig_start(r, f, WIPE_TRANSPORT_SATA);
}

static void rig_nvme(struct rig *r, uint32_t sanicap, uint8_t fna) {
        struct wipe_fake_nvme_profile p = {
                .model = "Refurb NVMe 256",
                .serial = "NV0001",
                .firmware = "1.2.3",
                .oacs = 0x0006,
                .sanicap = sanicap,
                .fna = fna,
                .nn = 1,
                .nsze = SECTORS,
                .lbads = 9,
                .percentage_used = 7,
                .power_on_hours = 4321,
        };
        struct wipe_fake *f = NULL;
        *r = (struct rig) { .fd = -1 };
        assert_int_equal(wipe_fake_new_nvme(&p, &f), 0);
        rig_start(r, f, WIPE_TRANSPORT_NVME);
}

static void rig_run(struct rig *r) {
        assert_int_equal(wipe_erase_run(r->fd, &r->dev, &r->o, &r->progress, &r->res), 0);
}

static void rig_done(struct rig *r) {
        wipe_erase_result_clear(&r->res);
        if (r->fd >= 0)
                close(r->fd);
        wipe_fake_free(r->f);
}

static struct wipe_fake_ata_profile ata_profile(bool ssd) {
        return (struct wipe_fake_ata_profile) {
                .model = "Refurb Test SSD 120GB",
                .serial = "S3R1AL0001",
                .firmware = "FW1.0",
                .sectors = SECTORS,
                .ssd = ssd,
                .smart = true,
                .security = true,
                .enhanced = true,
                .erase_time_word = 2,
                .enhanced_time_word = 2,
                .power_on_hours = 100,
        };
}

static bool file_has_donor_data(struct rig *r) {
        /* What the fake filled in, compared with the file now. */
        struct wipe_fake *probe = NULL;
        struct wipe_fake_scsi_profile p = { .sectors = SECTORS };
        assert_int_equal(wipe_fake_new_scsi(&p, &probe), 0);
        wipe_fake_fill_donor_data(probe);
        _cleanup_free_ uint8_t *buf = malloc(1024 * 1024);
        assert_non_null(buf);
        assert_int_equal(pread(r->fd, buf, 1024 * 1024, 0), 1024 * 1024);
        bool same = memcmp(buf, probe->media, 1024 * 1024) == 0;
        wipe_fake_free(probe);
        return same;
}

static json_t *record(const struct rig *r) {
        json_t *j = wipe_erase_result_to_json(&r->res);
        assert_non_null(j);
        /* Always there, whatever happened. */
        assert_non_null(json_object_get(j, "plan"));
        assert_non_null(json_object_get(j, "caps"));
        assert_non_null(json_object_get(j, "commands"));
        assert_non_null(json_object_get(j, "timings"));
        if (getenv("TEST_ERASE_DUMP")) /* to read the records by eye */
                json_dumpf(j, stderr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        return j;
}

static const char *jstr(json_t *o, const char *path1, const char *path2) {
        json_t *v = json_object_get(o, path1);
        if (path2)
                v = json_object_get(v, path2);
        return json_string_value(v);
}

/* ---- Tests ---- */

/* NVMe without Sanitize and without crypto erase: Format NVM with SES=1,
 * read back (zeros), Purge; no overwrite. */
static void test_nvme_format_purge(void **state) {
        struct rig r;
        rig_nvme(&r, 0, 0);
        rig_run(&r);

        assert_int_equal(r.res.method, WIPE_METHOD_NVME_FORMAT_USER_DATA);
        assert_true(r.res.firmware_ran);
        assert_true(r.res.validation_ran);
        assert_true(r.res.validation.passed);
        assert_true(r.res.validation.blocks > 0);
        assert_int_equal(r.res.validation_zero_blocks, r.res.validation.blocks);
        assert_false(r.res.overwrite_ran);
        assert_true(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_PURGE);
        assert_int_equal(r.res.fallback_reason[0], 0);
        assert_false(file_has_donor_data(&r));

        /* One Format NVM, with SES=1 (never 0). */
        assert_int_equal(wipe_fake_count(r.f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM), 1);
        const struct wipe_fake_record *fmt = wipe_fake_find(r.f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM, 0);
        assert_int_equal((fmt->cdw10 & WIPE_NVME_SES_MASK) >> WIPE_NVME_SES_SHIFT, WIPE_NVME_SES_USER_DATA);
        /* The record lists it too. */
        bool listed = false;
        for (size_t i = 0; i < r.res.n_commands; i++)
                listed |= strcmp(r.res.commands[i].kind, "nvme") == 0 &&
                          r.res.commands[i].opcode == WIPE_NVME_ADMIN_FORMAT_NVM &&
                          r.res.commands[i].cdw10 == fmt->cdw10 && r.res.commands[i].error == 0;
        assert_true(listed);
        assert_true(r.res.health.known);
        assert_false(r.res.to_destroy);

        json_t *j = record(&r);
        assert_string_equal(jstr(j, "result", NULL), "erased");
        assert_string_equal(jstr(j, "category", NULL), "Purge");
        assert_string_equal(jstr(j, "method", NULL), "nvme-format-ses1");
        assert_true(json_is_null(json_object_get(j, "fallback_reason")));
        assert_true(json_is_true(json_object_get(json_object_get(j, "validation"), "passed")));
        assert_string_equal(jstr(j, "validation", "content"), "zeros");
        assert_true(json_is_null(json_object_get(j, "overwrite")));
        assert_string_equal(jstr(j, "firmware", "method"), "nvme-format-ses1");
        /* Sanitize was skipped, and the record says why. */
        json_t *plan = json_object_get(j, "plan");
        bool skipped = false;
        for (size_t i = 0; i < json_array_size(plan); i++) {
                json_t *s = json_array_get(plan, i);
                if (strcmp(json_string_value(json_object_get(s, "method")), "nvme-sanitize-crypto") == 0)
                        skipped = strcmp(json_string_value(json_object_get(s, "state")), "skipped") == 0 &&
                                  strstr(json_string_value(json_object_get(s, "reason")), "not supported");
        }
        assert_true(skipped);
        json_decref(j);
        rig_done(&r);
}

/* A drive that acknowledges the Format and keeps the data: the read-back
 * catches it, the overwrite runs, the result is Clear and says why. */
static void test_lying_drive_falls_back(void **state) {
        struct rig r;
        rig_nvme(&r, 0, 0);
        r.f->lying = true;
        rig_run(&r);

        assert_true(r.res.firmware_ran);
        assert_int_equal(r.res.firmware.firmware.error, 0); /* the drive said success */
        assert_true(r.res.validation_ran);
        assert_false(r.res.validation.passed);
        assert_true(r.res.validation.unchanged > 0);
        assert_true(r.res.overwrite_ran);
        assert_int_equal(r.res.method, WIPE_METHOD_OVERWRITE);
        assert_true(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_CLEAR);
        assert_non_null(strstr(r.res.fallback_reason, "nvme-format-ses1 reported success"));
        assert_non_null(strstr(r.res.fallback_reason, "did not erase"));
        assert_false(file_has_donor_data(&r));

        json_t *j = record(&r);
        assert_string_equal(jstr(j, "category", NULL), "Clear");
        assert_string_equal(jstr(j, "method", NULL), "overwrite");
        assert_non_null(strstr(jstr(j, "fallback_reason", NULL), "did not erase"));
        assert_true(json_is_false(json_object_get(json_object_get(j, "validation"), "passed")));
        assert_true(json_is_true(json_object_get(json_object_get(j, "firmware"), "reported_success")));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "overwrite"), "bytes_verified")),
                         SECTORS * 512);
        json_decref(j);
        rig_done(&r);
}

/* Frozen ATA SSD without sanitize: no security erase is sent, the overwrite
 * runs, and the reason tells the technician what to do. */
static void test_frozen_ata_ssd(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(true);
        p.security_frozen = true;
        rig_ata(&r, &p);
        rig_run(&r);

        assert_false(r.res.firmware_ran);
        assert_int_equal(wipe_fake_count(r.f, WIPE_FAKE_ATA, 0xf4 /* SECURITY ERASE UNIT */), 0);
        assert_int_equal(wipe_fake_count(r.f, WIPE_FAKE_ATA, 0xf1 /* SET PASSWORD */), 0);
        assert_int_equal(r.recorded, 0);
        assert_true(r.res.overwrite_ran);
        assert_true(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_CLEAR);
        assert_non_null(strstr(r.res.fallback_reason, "frozen"));
        assert_non_null(strstr(r.res.fallback_reason, "replug"));
        assert_false(r.res.validation_ran);
        assert_true(r.res.hidden_checked);
        assert_false(r.res.hidden_remains);

        json_t *j = record(&r);
        assert_string_equal(jstr(j, "result", NULL), "erased");
        assert_string_equal(jstr(j, "category", NULL), "Clear");
        assert_true(json_is_null(json_object_get(j, "firmware")));
        assert_true(json_is_null(json_object_get(j, "validation")));
        assert_true(json_is_true(json_object_get(json_object_get(json_object_get(json_object_get(j, "caps"), "ata"),
                                                                 "security"),
                                                 "frozen")));
        json_decref(j);
        rig_done(&r);
}

/* An HPA the drive will not remove (SET MAX locked): the overwrite reaches
 * the visible sectors only, so the drive is not erased, and the record
 * says how many sectors are hidden. */
static void test_hpa_not_removable(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(false);
        p.hpa = true;
        p.native_sectors = SECTORS + 2048;
        rig_ata(&r, &p);
        r.f->set_max_locked = true;
        rig_run(&r);

        assert_true(r.res.hidden_checked);
        assert_true(r.res.hidden.hpa_found);
        assert_false(r.res.hidden.hpa_removed);
        assert_true(r.res.hidden_remains);
        assert_int_equal(r.res.hidden_sectors, 2048);
        assert_non_null(strstr(r.res.hidden_detail, "hidden area of 2048 sectors remains"));
        /* The overwrite itself went through... */
        assert_true(r.res.overwrite_ran);
        assert_int_equal(r.res.overwrite.n_exceptions, 0);
        assert_int_equal(r.res.overwrite.bytes_written, SECTORS * 512);
        /* ...but that is not an erased drive. */
        assert_false(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_NONE);
        assert_int_equal(wipe_erase_result_outcome(&r.res), WIPE_ERASE_NOT_ERASED);

        json_t *j = record(&r);
        assert_string_equal(jstr(j, "result", NULL), "not-erased");
        assert_string_equal(jstr(j, "category", NULL), "none");
        json_t *h = json_object_get(j, "hidden_area");
        assert_true(json_is_true(json_object_get(h, "remains")));
        assert_int_equal(json_integer_value(json_object_get(h, "hidden_sectors")), 2048);
        assert_non_null(strstr(json_string_value(json_object_get(h, "detail")), "2048 sectors"));
        json_decref(j);
        rig_done(&r);
}

/* An HPA that can be removed: it is, the medium grows, and everything is
 * overwritten. */
static void test_hpa_removed(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(false);
        p.hpa = true;
        p.native_sectors = SECTORS + 2048;
        rig_ata(&r, &p);
        rig_run(&r);

        assert_true(r.res.hidden.hpa_removed);
        assert_false(r.res.hidden_remains);
        assert_int_equal(r.res.size_before, SECTORS * 512);
        assert_int_equal(r.res.size, (SECTORS + 2048) * 512);
        assert_int_equal(r.res.overwrite.bytes_written, (SECTORS + 2048) * 512);
        assert_true(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_CLEAR);
        rig_done(&r);
}

/* Cancel while the overwrite runs: interrupted, nothing certified. */
struct canceller {
        struct wipe_progress *progress;
        atomic_bool *cancel;
        atomic_bool quit;
};

static void *cancel_thread(void *arg) {
        struct canceller *c = arg;
        while (!atomic_load(&c->quit)) {
                if (atomic_load(&c->progress->bytes_written) > 0) {
                        atomic_store(c->cancel, true);
                        return NULL;
                }
                usleep(50);
        }
        return NULL;
}

static void test_cancel_mid_overwrite(void **state) {
        char path[] = "/tmp/test-erase-XXXXXX";
        _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(ftruncate(fd, 64 * 1024 * 1024), 0);
        struct wipe_device dev = { .sysname = (char *) "loop7", .transport = WIPE_TRANSPORT_LOOP };
        struct wipe_erase_opts o;
        struct wipe_erase_result res;
        struct wipe_progress progress = {};
        assert_int_equal(wipe_erase_opts_init(&o), 0);
        o.overwrite.block_size = 64 * 1024;
        o.overwrite.generator_threads = 1;

        atomic_bool cancel = false;
        o.cancel = &cancel;
        struct canceller c = { .progress = &progress, .cancel = &cancel };
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, cancel_thread, &c), 0);
        assert_int_equal(wipe_erase_run(fd, &dev, &o, &progress, &res), 0);
        atomic_store(&c.quit, true);
        pthread_join(th, NULL);

        assert_true(atomic_load(&cancel));
        assert_true(res.overwrite_ran);
        assert_int_equal(res.stop, WIPE_STOP_CANCELLED);
        assert_int_equal(res.overwrite.stop, WIPE_STOP_CANCELLED);
        assert_true(res.overwrite.bytes_verified < res.size);
        assert_false(wipe_erase_result_complete(&res));
        assert_int_equal(res.category, WIPE_CATEGORY_NONE);
        assert_int_equal(wipe_erase_result_outcome(&res), WIPE_ERASE_INTERRUPTED);

        json_t *j = wipe_erase_result_to_json(&res);
        assert_non_null(j);
        assert_string_equal(jstr(j, "result", NULL), "interrupted");
        assert_string_equal(jstr(j, "stop", NULL), "cancelled");
        assert_string_equal(jstr(j, "category", NULL), "none");
        json_decref(j);
        wipe_erase_result_clear(&res);
}

/* --method=overwrite: no firmware erase even when one is available; the
 * plan says it was the operator's choice. */
static void test_forced_overwrite(void **state) {
        struct rig r;
        rig_nvme(&r, 0, 0);
        r.o.method = WIPE_ERASE_OVERWRITE;
        rig_run(&r);

        assert_false(r.res.firmware_ran);
        assert_int_equal(wipe_fake_count(r.f, WIPE_FAKE_NVME, WIPE_NVME_ADMIN_FORMAT_NVM), 0);
        assert_int_equal(r.res.plan.steps[0].method, WIPE_METHOD_OVERWRITE);
        assert_true(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_CLEAR);
        assert_non_null(strstr(r.res.fallback_reason, "operator"));
        rig_done(&r);
}

/* A failing drive (SMART) is erased all the same, and flagged. */
static void test_smart_failing(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(false);
        p.smart_failing = true;
        rig_ata(&r, &p);
        rig_run(&r);

        assert_true(r.res.health.known);
        assert_true(r.res.health.failing);
        assert_true(r.res.to_destroy);
        assert_true(wipe_erase_result_complete(&r.res));
        json_t *j = record(&r);
        assert_true(json_is_true(json_object_get(j, "to_destroy")));
        assert_true(json_is_true(json_object_get(json_object_get(j, "health"), "failing")));
        json_decref(j);
        rig_done(&r);
}

/* No transport (virtio, loop, files): overwrite with the record's reason. */
static void test_no_command_set(void **state) {
        char path[] = "/tmp/test-erase-XXXXXX";
        _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(ftruncate(fd, 2 * 1024 * 1024), 0);
        struct wipe_device dev = { .sysname = (char *) "vdb", .transport = WIPE_TRANSPORT_VIRTIO };
        struct wipe_erase_opts o;
        struct wipe_erase_result res;
        assert_int_equal(wipe_erase_opts_init(&o), 0);
        assert_int_equal(wipe_erase_run(fd, &dev, &o, NULL, &res), 0);

        assert_false(res.transport);
        assert_true(res.overwrite_ran);
        assert_true(wipe_erase_result_complete(&res));
        assert_string_equal(res.fallback_reason, "pas de commande d'effacement matériel sur ce type de disque");
        json_t *j = wipe_erase_result_to_json(&res);
        assert_non_null(j);
        assert_string_equal(jstr(j, "caps", "kind"), "none");
        assert_non_null(strstr(jstr(j, "caps", "note"), "no firmware commands"));
        json_decref(j);
        wipe_erase_result_clear(&res);
}

/* The Format is aborted by the drive: overwrite, Clear, the failure as the
 * reason. */
static void test_firmware_failure_falls_back(void **state) {
        struct rig r;
        rig_nvme(&r, 0, 0);
        wipe_fake_add_fault(r.f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_NVME,
                                                            .command = WIPE_NVME_ADMIN_FORMAT_NVM,
                                                            .feature = -1,
                                                            .action = WIPE_FAKE_ABORT });
        rig_run(&r);

        assert_true(r.res.firmware_ran);
        assert_true(r.res.firmware.firmware.error < 0);
        assert_false(r.res.validation_ran);
        assert_true(r.res.overwrite_ran);
        assert_true(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_CLEAR);
        assert_non_null(strstr(r.res.fallback_reason, "nvme-format-ses1 failed"));
        json_t *j = record(&r);
        assert_true(json_is_false(json_object_get(json_object_get(j, "firmware"), "reported_success")));
        json_decref(j);
        rig_done(&r);
}

/* A sanitize that does not answer may still run inside the drive: no
 * overwrite may follow, the run ends not erased with the reason. */
static void test_sanitize_timeout_stops(void **state) {
        struct rig r;
        rig_nvme(&r, 0x2 /* block erase */, 0);
        wipe_fake_add_fault(r.f, &(struct wipe_fake_fault) { .kind = WIPE_FAKE_NVME,
                                                            .command = WIPE_NVME_ADMIN_SANITIZE,
                                                            .feature = -1,
                                                            .action = WIPE_FAKE_TIMEOUT });
        rig_run(&r);

        assert_int_equal(r.res.method, WIPE_METHOD_NVME_SANITIZE_BLOCK);
        assert_true(r.res.firmware_ran);
        assert_int_equal(r.res.error, -ETIMEDOUT);
        assert_non_null(strstr(r.res.error_detail, "sanitize may still be running"));
        assert_false(r.res.overwrite_ran);
        assert_false(wipe_erase_result_complete(&r.res));
        assert_int_equal(wipe_erase_result_outcome(&r.res), WIPE_ERASE_NOT_ERASED);
        assert_int_equal(r.res.category, WIPE_CATEGORY_NONE);
        json_t *j = record(&r);
        assert_string_equal(jstr(j, "result", NULL), "not-erased");
        assert_non_null(jstr(j, "error", "detail"));
        json_decref(j);
        rig_done(&r);
}

/* ATA SSD without sanitize: enhanced security erase, the password
 * callbacks reach the caller (the daemon persists them), read-back, Purge. */
static void test_ata_security_erase_purge(void **state) {
        struct rig r;
        struct wipe_fake_ata_profile p = ata_profile(true);
        rig_ata(&r, &p);
        rig_run(&r);

        assert_int_equal(r.res.method, WIPE_METHOD_ATA_SECURITY_ERASE_ENHANCED);
        assert_true(r.res.validation_ran && r.res.validation.passed);
        assert_false(r.res.overwrite_ran);
        assert_true(wipe_erase_result_complete(&r.res));
        assert_int_equal(r.res.category, WIPE_CATEGORY_PURGE);
        assert_int_equal(r.recorded, 1);
        assert_int_equal(r.cleared, 1);
        assert_false(r.f->ata.security_enabled);
        assert_int_equal(wipe_fake_count(r.f, WIPE_FAKE_ATA, 0xf4), 1);
        assert_false(file_has_donor_data(&r));
        rig_done(&r);
}

/* The caller says the drive went away: interrupted, nothing sent after. */
static void test_removed(void **state) {
        struct rig r;
        rig_nvme(&r, 0, 0);
        atomic_bool removed = true;
        r.o.removed = &removed;
        rig_run(&r);

        assert_int_equal(r.res.stop, WIPE_STOP_REMOVED);
        assert_false(r.res.firmware_ran);
        assert_false(r.res.overwrite_ran);
        assert_int_equal(r.f->n_records, 0); /* not even the probe */
        assert_int_equal(wipe_erase_result_outcome(&r.res), WIPE_ERASE_INTERRUPTED);
        assert_int_equal(r.res.category, WIPE_CATEGORY_NONE);
        json_t *j = record(&r);
        assert_string_equal(jstr(j, "result", NULL), "interrupted");
        assert_string_equal(jstr(j, "stop", NULL), "removed");
        json_decref(j);
        rig_done(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nvme_format_purge),
                cmocka_unit_test(test_lying_drive_falls_back),
                cmocka_unit_test(test_frozen_ata_ssd),
                cmocka_unit_test(test_hpa_not_removable),
                cmocka_unit_test(test_hpa_removed),
                cmocka_unit_test(test_cancel_mid_overwrite),
                cmocka_unit_test(test_forced_overwrite),
                cmocka_unit_test(test_smart_failing),
                cmocka_unit_test(test_no_command_set),
                cmocka_unit_test(test_firmware_failure_falls_back),
                cmocka_unit_test(test_sanitize_timeout_stops),
                cmocka_unit_test(test_ata_security_erase_purge),
                cmocka_unit_test(test_removed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
