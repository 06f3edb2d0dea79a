// SPDX-License-Identifier: GPL-2.0-or-later
//
// The technician's actions on the Bench page: link a drive to an asset
// (dialog #link-dialog: type or scan the tag; an unknown tag may be
// created), start an erasure and cancel a job (dialog #confirm-dialog).

import { $, ApiError, announce, api, clearError, showError, t } from './app.js';

// Asset tags linked from this screen, by drive (BAY does not carry the
// tag): kept in localStorage, the last 100.
const ASSETS_KEY = 'refurb-assets';
const ASSETS_MAX = 100;

// docs/intake.md: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with ".".
const TAG_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

const driveKey = (d) => d.serial || d.wwn || (d.sysname ? `dev:${d.sysname}` : '');

function loadAssets() {
        try {
                const v = JSON.parse(localStorage.getItem(ASSETS_KEY) || '[]');
                return Array.isArray(v) ? v.filter((e) => Array.isArray(e) && e.length === 2 &&
                        typeof e[0] === 'string' && typeof e[1] === 'string') : [];
        } catch {
                return [];
        }
}

export function assetOf(drive) {
        const k = driveKey(drive);
        if (!k)
                return '';
        const hit = loadAssets().find((e) => e[0] === k);
        return hit ? hit[1] : '';
}

function rememberAsset(drive, tag) {
        const k = driveKey(drive);
        if (!k)
                return;
        const list = loadAssets().filter((e) => e[0] !== k);
        list.unshift([k, tag]);
        try {
                localStorage.setItem(ASSETS_KEY, JSON.stringify(list.slice(0, ASSETS_MAX)));
        } catch {
                // the card just will not show the tag
        }
}

// ---------------------------------------------------------------------------
// Confirmation: resolves to true when "yes" was chosen.

function confirmBox(text, yesKey) {
        const dlg = $('#confirm-dialog');
        $('#confirm-text').textContent = text;
        $('#confirm-yes').textContent = t(yesKey);
        dlg.returnValue = '';
        return new Promise((resolve) => {
                dlg.addEventListener('close', () => resolve(dlg.returnValue === 'yes'), { once: true });
                dlg.showModal();
                $('#confirm-no').focus();
        });
}

// ---------------------------------------------------------------------------

export function initActions(ctx) {
        const dlg = $('#link-dialog');
        const form = $('#link-form');
        const input = $('#link-tag');
        const createBox = $('#link-create-box');
        const errBox = $('#link-error');
        let target = null; // {bay, drive} of the dialog

        const dlgError = (text) => {
                errBox.textContent = text;
                errBox.hidden = !text;
        };
        const busy = (on) => {
                for (const b of dlg.querySelectorAll('button, input'))
                        b.disabled = on;
                dlg.setAttribute('aria-busy', on ? 'true' : 'false');
        };

        async function doLink(create) {
                const tag = input.value.trim();
                if (!tag) {
                        dlgError(t('link.empty'));
                        input.focus();
                        return;
                }
                if (!TAG_RE.test(tag)) {
                        dlgError(t('link.badtag'));
                        input.focus();
                        return;
                }
                dlgError('');
                busy(true);
                try {
                        if (create) {
                                const type = form.elements.type.value === 'laptop' ? 'laptop' : 'desktop';
                                try {
                                        await api('POST', '/v1/assets', { tag, type });
                                } catch (e) {
                                        // Created meanwhile (409): link to it all the same.
                                        if (!(e instanceof ApiError && e.status === 409))
                                                throw e;
                                }
                        }
                        await api('POST', `/v1/assets/${encodeURIComponent(tag)}/link`,
                                { device: target.drive.sysname });
                        rememberAsset(target.drive, tag);
                        busy(false);
                        dlg.close('linked');
                        announce(t('link.done', { tag, bay: target.bay }));
                        ctx.redraw(target.bay);
                } catch (e) {
                        busy(false);
                        if (!create && e instanceof ApiError && e.status === 404 && e.error.field !== 'device') {
                                $('#link-unknown').textContent = t('link.unknown', { tag });
                                createBox.hidden = false;
                                $('#link-create').focus();
                        } else {
                                dlgError(e instanceof ApiError ? e.text() : t('error.unexpected'));
                                input.focus();
                        }
                }
        }

        // Enter (a barcode scanner ends with it) or the "Associer" button.
        form.addEventListener('submit', (ev) => {
                ev.preventDefault();
                doLink(false);
        });
        $('#link-create').addEventListener('click', () => doLink(true));
        $('#link-cancel').addEventListener('click', () => dlg.close('cancel'));
        input.addEventListener('input', () => {
                createBox.hidden = true;
                dlgError('');
        });

        function link(name) {
                const bay = ctx.bayNamed(name);
                const drive = bay ? ctx.driveOf(bay) : null;
                if (!drive?.sysname)
                        return;
                target = { bay: name, drive };
                form.reset();
                createBox.hidden = true;
                dlgError('');
                $('#link-drive').textContent = t('link.drive', {
                        bay: name, drive: ctx.driveTitle(drive), serial: drive.serial || '—',
                });
                dlg.showModal();
                input.focus();
        }

        async function start(name) {
                const bay = ctx.bayNamed(name);
                const drive = bay ? ctx.driveOf(bay) : null;
                if (!drive?.sysname)
                        return;
                const text = `${t('confirm.erase')}\n${t('confirm.erase.drive', {
                        bay: name, drive: ctx.driveTitle(drive), serial: drive.serial || '—' })}`;
                if (!await confirmBox(text, 'confirm.erase.yes'))
                        return;
                try {
                        const r = await api('POST', `/v1/devices/${encodeURIComponent(drive.sysname)}/erase`, {});
                        clearError();
                        if (r.job)
                                ctx.applyJob(r.job);
                } catch (e) {
                        showError(e);
                }
        }

        async function cancel(name) {
                const job = ctx.bayNamed(name)?.job;
                if (!Number.isInteger(job?.id))
                        return;
                if (!await confirmBox(t('confirm.cancel', { bay: name }), 'confirm.cancel.yes'))
                        return;
                try {
                        const r = await api('POST', `/v1/jobs/${job.id}/cancel`, {});
                        clearError();
                        if (r.job)
                                ctx.applyJob(r.job);
                } catch (e) {
                        showError(e);
                }
        }

        return { link, start, cancel };
}
