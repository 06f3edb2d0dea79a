// SPDX-License-Identifier: GPL-2.0-or-later
//
// The DSI's page (/profils, docs/web.md): the installation profiles of the
// bench with their verification, a profile's details, publishing a signed
// profile (POST /v1/profiles) and the default profile per target
// (PUT /v1/profiles/defaults).

import { $, ApiError, api, clearError, el, fmtBytes, fmtDate, has, msg, onLang, show, showError, startPage, t }
        from './app.js';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_FILE = 64 * 1024;
const TARGETS = ['desktop', 'laptop'];

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v) => (typeof v === 'string' ? v : '');

const view = { profiles: null, defaults: {}, directory: '', selected: null, upload: null };

const targetLabel = (x) => (has(`target.${x}`) ? t(`target.${x}`) : show(x));
const reasonOf = (p) => msg(p, 'error') || t('profile.invalid.unknown');

// ---------------------------------------------------------------------------
// List and details

function drawList() {
        const tbody = $('#profiles');
        $('#profiles-dir').textContent = view.directory ? t('profiles.dir', { dir: view.directory }) : '';
        if (!view.profiles) {
                tbody.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'note', text: t('loading') })));
                return;
        }
        if (view.profiles.length === 0) {
                tbody.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'note', text: t('profiles.none') })));
                return;
        }
        tbody.replaceChildren(...view.profiles.map((p) => {
                const valid = p.valid === true;
                const defs = Array.isArray(p.default_for) ? p.default_for.filter((x) => typeof x === 'string') : [];
                const tr = el('tr', {
                        'data-testid': `profile-${str(p.name)}`, 'data-valid': valid ? 'true' : 'false', tabindex: '0',
                        class: `${valid ? 'valid' : 'invalid'}${view.selected === p.name ? ' selected' : ''}`,
                },
                el('th', { scope: 'row', class: 'mono', text: show(p.name) }),
                el('td', { text: show(p.version) }),
                el('td', { text: p.target ? targetLabel(p.target) : '—' }),
                el('td', { class: valid ? 'state-ok' : 'state-bad' },
                        el('span', { class: 'state-word', text: t(valid ? 'profile.valid' : 'profile.invalid') }),
                        valid ? null : el('span', { class: 'state-reason', text: reasonOf(p) })),
                el('td', { text: defs.length ? defs.map(targetLabel).join(', ') : '—' }));
                tr.addEventListener('click', () => select(p.name));
                tr.addEventListener('keydown', (ev) => {
                        if (ev.key === 'Enter' || ev.key === ' ') {
                                ev.preventDefault();
                                select(p.name);
                        }
                });
                return tr;
        }));
}

function drawDetail() {
        const box = $('#profile-detail');
        const p = view.profiles?.find((x) => x.name === view.selected);
        if (!p) {
                box.hidden = true;
                return;
        }
        const valid = p.valid === true;
        $('#pdetail-title').textContent = t('profile.detail', { name: show(p.name) });
        const state = $('#pdetail-state');
        state.classList.toggle('ok', valid);
        state.classList.toggle('bad', !valid);
        state.textContent = valid ? t('profile.valid.long') : `${t('profile.invalid')}${t('colon')}${reasonOf(p)}`;
        const requires = Array.isArray(p.requires) ? p.requires.filter((x) => typeof x === 'string') : [];
        const pairs = [
                ['p.file', str(p.file)],
                ['p.version', str(p.version)],
                ['p.description', str(p.description)],
                ['p.target', p.target ? targetLabel(p.target) : ''],
                ['p.min_disk', typeof p.min_disk_bytes === 'number' ? fmtBytes(p.min_disk_bytes) : ''],
                ['p.image_url', str(p.image_url)],
                ['p.image_sha256', str(p.image_sha256)],
                ['p.requires', requires.join(', ')],
                ['p.search_engine', str(p.search_engine)],
                ['p.expires', p.expires ? fmtDate(p.expires, false) : ''],
                ['p.signer', [str(p.signer), str(p.signer_key_id)].filter(Boolean).join(' — ')],
                ['p.signature_format', str(p.signature_format)],
        ];
        $('#pdetail-facts').replaceChildren(...pairs.filter(([, v]) => v)
                .flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', { text: v })]));
        box.hidden = false;
}

function select(name) {
        view.selected = name;
        drawList();
        drawDetail();
        const box = $('#profile-detail');
        box.focus({ preventScroll: true });
        box.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

// ---------------------------------------------------------------------------
// Defaults

// A valid profile may be the default of TARGET when its Target= is that
// one or any (the daemon checks again).
const fits = (p, target) => p.valid === true && (!p.target || p.target === 'any' || p.target === target);

function drawDefaults() {
        for (const target of TARGETS) {
                const sel = $(`#default-${target}`);
                const cur = typeof view.defaults[target] === 'string' ? view.defaults[target] : '';
                const names = (view.profiles || []).filter((p) => fits(p, target)).map((p) => str(p.name));
                if (cur && !names.includes(cur))
                        names.unshift(cur); // shown even if no longer valid
                sel.replaceChildren(el('option', { value: '', text: t('defaults.none') }),
                        ...names.map((n) => el('option', { value: n, text: n, selected: n === cur })));
                sel.value = cur;
        }
}

async function saveDefaults(ev) {
        ev.preventDefault();
        const status = $('#defaults-status');
        status.classList.remove('ok', 'bad');
        const body = {};
        for (const target of TARGETS)
                body[target] = $(`#default-${target}`).value || null;
        try {
                const r = await api('PUT', '/v1/profiles/defaults', body);
                status.textContent = t('defaults.saved');
                status.classList.add('ok');
                if (isObj(r.defaults))
                        view.defaults = r.defaults;
                await load();
        } catch (e) {
                status.textContent = e instanceof ApiError ? e.text() : t('error.unexpected');
                status.classList.add('bad');
        }
}

// ---------------------------------------------------------------------------
// Upload

function readFile(file, how) {
        return new Promise((resolve, reject) => {
                const r = new FileReader();
                r.onload = () => resolve(r.result);
                r.onerror = () => reject(r.error);
                if (how === 'text')
                        r.readAsText(file, 'utf-8');
                else
                        r.readAsArrayBuffer(file);
        });
}

function base64(buf) {
        const bytes = new Uint8Array(buf);
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000)
                s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
}

// The names of the chosen files beside their buttons.
function drawFiles() {
        for (const what of ['profile', 'signature']) {
                const f = $(`#upload-${what}`).files?.[0];
                $(`#upload-${what}-name`).textContent = f ? f.name : t('upload.nofile');
        }
}

function drawUpload() {
        const box = $('#upload-result');
        const u = view.upload;
        box.classList.remove('ok', 'bad');
        if (!u) {
                box.hidden = true;
                return;
        }
        box.hidden = false;
        box.classList.add(u.ok ? 'ok' : 'bad');
        if (u.ok) {
                const p = u.profile || {};
                box.replaceChildren(el('p', { class: 'status-big', text: t('upload.ok', { name: show(p.name) }) }),
                        el('p', { text: t('upload.ok.facts', { version: show(p.version),
                                target: p.target ? targetLabel(p.target) : '—' }) }));
        } else
                box.replaceChildren(el('p', { class: 'status-big', text: t('upload.bad') }),
                        el('p', { text: u.text ?? (u.error ? u.error.text() : t(u.key)) }));
}

async function upload(ev) {
        ev.preventDefault();
        const pf = $('#upload-profile').files?.[0];
        const sf = $('#upload-signature').files?.[0];
        const nameInput = $('#upload-name');
        const bad = (key, focus) => {
                view.upload = { ok: false, key };
                drawUpload();
                focus?.focus();
        };
        if (!pf)
                return bad('upload.noprofile', $('#upload-profile'));
        if (!sf)
                return bad('upload.nosignature', $('#upload-signature'));
        if (pf.size > MAX_FILE || sf.size > MAX_FILE)
                return bad('upload.toolarge');
        let format;
        if (/\.minisig$/i.test(sf.name))
                format = 'minisign';
        else if (/\.sig$/i.test(sf.name))
                format = 'openssl';
        else
                return bad('upload.sigext', $('#upload-signature'));
        const name = nameInput.value.trim() || pf.name.replace(/\.profile$/i, '');
        if (!NAME_RE.test(name) || name === 'default' || name === 'defaults')
                return bad('upload.badname', nameInput);
        nameInput.value = name;
        const button = ev.submitter || $('#upload-form button[type=submit]');
        button.disabled = true;
        try {
                const profile = await readFile(pf, 'text');
                const signature = format === 'minisign' ? await readFile(sf, 'text') : base64(await readFile(sf));
                const r = await api('POST', '/v1/profiles',
                        { name, profile, signature, signature_format: format });
                view.upload = { ok: true, profile: isObj(r.profile) ? r.profile : { name } };
                view.selected = name;
                clearError();
                await load();
        } catch (e) {
                view.upload = e instanceof ApiError ? { ok: false, error: e } : { ok: false, key: 'upload.readerror' };
        } finally {
                button.disabled = false;
        }
        drawUpload();
}

// ---------------------------------------------------------------------------

async function load() {
        const r = await api('GET', '/v1/profiles');
        view.profiles = Array.isArray(r.profiles) ? r.profiles.filter((p) => isObj(p) && str(p.name)) : [];
        view.defaults = isObj(r.defaults) ? r.defaults : {};
        view.directory = str(r.directory);
        drawList();
        drawDetail();
        drawDefaults();
}

async function main() {
        await startPage();
        drawList();
        $('#defaults-form').addEventListener('submit', saveDefaults);
        $('#upload-form').addEventListener('submit', upload);
        $('#upload-profile').addEventListener('change', () => {
                const f = $('#upload-profile').files?.[0];
                if (f && !$('#upload-name').value)
                        $('#upload-name').value = f.name.replace(/\.profile$/i, '').toLowerCase();
                drawFiles();
        });
        $('#upload-signature').addEventListener('change', drawFiles);
        drawFiles();
        onLang(() => {
                drawList();
                drawDetail();
                drawDefaults();
                drawUpload();
                drawFiles();
        });
        await load();
}

main().catch(showError);
