// SPDX-License-Identifier: GPL-2.0-or-later
//
// The supervisors' page (/certificats, docs/web.md): search the
// certificates, view one with its validations, download or print its PDF,
// validate it; the donation reports; the ledger check.

import {
        $, ApiError, api, clearError, el, fmtBytes, fmtDate, has, lang, msg, onLang, show, showError, startPage, t,
} from './app.js';

const MAX_ROWS = 200;
const VALIDATOR_KEY = 'refurb-validator';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v) => (typeof v === 'string' ? v : '');

// What is shown, kept to redraw it after a language switch.
const view = { query: '', list: null, truncated: false, detail: null, ledger: null, ledgerError: null, donors: null };

const kindLabel = (k) => (has(`kind.${k}`) ? t(`kind.${k}`) : show(k));
const resultLabel = (r) => (has(`result.${r}`) ? t(`result.${r}`) : show(r));

// ---------------------------------------------------------------------------
// Search and results

function drawResults() {
        const table = $('#results');
        const status = $('#search-status');
        const tbody = $('#results-body');
        if (!view.list) {
                table.hidden = true;
                return;
        }
        const rows = view.list.slice(0, MAX_ROWS);
        tbody.replaceChildren(...rows.map((c) => {
                const donor = [str(c.donor_reference), str(c.organisation)].filter(Boolean).join(' — ');
                const tr = el('tr', { 'data-testid': 'cert-result', 'data-id': str(c.id), tabindex: '0',
                        class: view.detail?.id === c.id ? 'selected' : null,
                        'aria-label': t('certs.row', { id: str(c.id).slice(0, 8) }) },
                        el('td', { text: fmtDate(c.created_at) }),
                        el('td', { text: kindLabel(c.kind ?? 'erasure') }),
                        el('td', {}, el('span', { class: 'mono cell-main', text: show(c.serial) }),
                                el('span', { class: 'cell-sub', text: str(c.model) })),
                        el('td', {}, el('span', { class: 'cell-main', text: show(c.asset_tag) }),
                                el('span', { class: 'cell-sub', text: donor })),
                        el('td', { class: `result-cell result-${str(c.result)}`, text: resultLabel(c.result) }));
                tr.addEventListener('click', () => openCert(c.id));
                tr.addEventListener('keydown', (ev) => {
                        if (ev.key === 'Enter' || ev.key === ' ') {
                                ev.preventDefault();
                                openCert(c.id);
                        }
                });
                return tr;
        }));
        table.hidden = rows.length === 0;
        let text = view.query ? t('certs.count.q', { n: view.list.length, q: view.query }) : t('certs.count', { n: view.list.length });
        if (view.list.length === 0)
                text = view.query ? t('certs.none.q', { q: view.query }) : t('certs.none');
        else if (view.truncated || view.list.length > MAX_ROWS)
                text += ` ${t('certs.truncated', { n: MAX_ROWS })}`;
        status.textContent = text;
}

async function search(q) {
        view.query = q;
        view.list = null;
        $('#results').hidden = true;
        $('#results-body').replaceChildren();
        $('#search-status').textContent = t('certs.searching');
        const url = new URL(location.href);
        if (q)
                url.searchParams.set('q', q);
        else
                url.searchParams.delete('q');
        history.replaceState(null, '', url);
        try {
                const r = await api('GET', q ? `/v1/certificates?q=${encodeURIComponent(q)}` : '/v1/certificates');
                let list = Array.isArray(r.certificates) ? r.certificates.filter(isObj) : [];
                if (!q) // newest first
                        list = list.slice().sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
                view.list = list;
                view.truncated = r.truncated === true;
                clearError();
        } catch (e) {
                view.list = [];
                $('#search-status').textContent = '';
                showError(e);
                return;
        }
        drawResults();
}

// ---------------------------------------------------------------------------
// One certificate

function facts(dl, pairs) {
        dl.replaceChildren(...pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
                .flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', { text: String(v) })]));
}

const joinNonEmpty = (sep, ...parts) => parts.filter((p) => p !== null && p !== undefined && p !== '').join(sep);

function erasureFacts(doc) {
        const m = isObj(doc.media) ? doc.media : {};
        const s = isObj(doc.sanitization) ? doc.sanitization : {};
        const v = isObj(doc.verification) ? doc.verification : {};
        const j = isObj(doc.job) ? doc.job : {};
        const verif = v.mode === 'full' ? t('verif.full')
                : v.mode ? t('verif.sample', { percent: show(v.percent) }) : '';
        return [
                ['f.result', joinNonEmpty(' — ', resultLabel(doc.result), str(doc.result_reason))],
                ['f.drive', joinNonEmpty(' ', str(m.vendor), str(m.model)) || '—'],
                ['f.serial', show(m.serial)],
                ['f.capacity', fmtBytes(m.size_bytes)],
                ['f.transport', str(m.transport)],
                ['f.content_before', str(m.content_before)],
                ['f.method', joinNonEmpty(' — ', str(s.technique), str(s.category))],
                ['f.standard', str(s.standard)],
                ['f.verification', verif],
                ['f.exceptions', Array.isArray(doc.exceptions) ? String(doc.exceptions.length) : ''],
                ['f.job', Number.isInteger(j.id)
                        ? t('f.job.value', { id: j.id, start: fmtDate(j.started_at), end: fmtDate(j.ended_at) }) : ''],
        ];
}

function refurbFacts(doc) {
        const a = isObj(doc.asset) ? doc.asset : {};
        const d = isObj(doc.donor) ? doc.donor : null;
        return [
                ['f.result', resultLabel(doc.result)],
                ['f.asset', joinNonEmpty(' — ', str(a.tag), has(`type.${a.type}`) ? t(`type.${a.type}`) : str(a.type))],
                ['f.machine', joinNonEmpty(' ', str(a.maker), str(a.model))],
                ['f.machine_serial', str(a.serial)],
                ['f.donor', d ? joinNonEmpty(' — ', str(d.organisation), str(d.reference)) : ''],
                ['f.destination', has(`dest.${a.destination}`) ? t(`dest.${a.destination}`) : str(a.destination)],
        ];
}

function validationFacts(doc) {
        const by = isObj(doc.validated_by) ? doc.validated_by : {};
        return [
                ['f.validated_cert', str(doc.certificate_id)],
                ['f.validated_by', joinNonEmpty(', ', str(by.name), str(by.title))],
                ['f.validated_at', fmtDate(doc.validated_at)],
        ];
}

function kindOf(doc) {
        const f = str(doc.format);
        if (f.startsWith('refurb-refurbishment-certificate/'))
                return 'refurbishment';
        if (f.startsWith('refurb-validation/'))
                return 'validation';
        return 'erasure';
}

function drawDetail() {
        const box = $('#cert-detail');
        const c = view.detail;
        $('#detail-none').hidden = Boolean(c);
        if (!c) {
                box.hidden = true;
                return;
        }
        const doc = isObj(c.document) ? c.document : {};
        const kind = kindOf(doc);
        const id = str(c.id) || str(doc.id);
        const bench = isObj(doc.bench) ? doc.bench : {};
        $('#detail-title').textContent = t(`detail.title.${kind}`);
        $('#detail-id').textContent = t('detail.id', { id, seq: show(doc.sequence) });
        const common = [
                ['f.issued_at', fmtDate(doc.issued_at)],
                ['f.bench', joinNonEmpty(' — ', str(bench.name), str(bench.organisation), str(bench.location))],
                ['f.technician', str(doc.operator?.technician)],
        ];
        const own = kind === 'refurbishment' ? refurbFacts(doc) : kind === 'validation' ? validationFacts(doc)
                : erasureFacts(doc);
        facts($('#detail-facts'), [...own, ...common, ['f.sha256', str(c.sha256)]]);

        const drives = kind === 'refurbishment' && Array.isArray(doc.drives) ? doc.drives.filter(isObj) : [];
        $('#detail-drives').replaceChildren(...(drives.length ? [
                el('h3', { text: t('detail.drives') }),
                el('ul', { class: 'plain-list' }, drives.map((d) => el('li', {
                        text: joinNonEmpty(' — ', joinNonEmpty(' ', str(d.model), str(d.serial)), resultLabel(d.result),
                                d.to_destroy ? t('detail.to_destroy') : '', str(d.certificate_id).slice(0, 8)),
                }))),
        ] : []));

        const vals = Array.isArray(c.validations) ? c.validations.filter(isObj) : [];
        $('#detail-validations').replaceChildren(...(vals.length
                ? vals.map((v) => el('li', { text: t('detail.validation', {
                        name: show(v.name), title: v.title ? ` (${v.title})` : '',
                        date: fmtDate(v.validated_at ?? v.created_at) }) }))
                : [el('li', { class: 'note', text: t('detail.novalidation') })]));

        const sheet = kind !== 'validation';
        const pdf = $('#detail-pdf');
        pdf.hidden = !sheet;
        pdf.href = `/v1/certificates/${encodeURIComponent(id)}/pdf?lang=${lang()}`;
        $('#detail-print').hidden = !sheet;
        $('#validate-form').hidden = !sheet;
        box.hidden = false;
        for (const tr of document.querySelectorAll('#results-body tr'))
                tr.classList.toggle('selected', tr.dataset.id === id);
}

async function openCert(id, focus = true) {
        if (typeof id !== 'string' || !id)
                return;
        try {
                const c = await api('GET', `/v1/certificates/${encodeURIComponent(id)}`);
                view.detail = { ...c, id: str(c.id) || id };
                $('#validate-status').textContent = '';
                clearError();
        } catch (e) {
                showError(e);
                return;
        }
        drawDetail();
        const url = new URL(location.href);
        url.searchParams.set('id', view.detail.id);
        history.replaceState(null, '', url);
        if (focus) {
                const box = $('#cert-detail');
                box.focus({ preventScroll: true });
                box.scrollIntoView({ block: 'start' });
        }
}

// The PDF in a new tab, to print it (the server sends it as an
// attachment: it is fetched, then shown from a blob).
async function printPdf() {
        const id = view.detail?.id;
        if (!id)
                return;
        const w = window.open('', '_blank');
        try {
                const res = await fetch(`/v1/certificates/${encodeURIComponent(id)}/pdf?lang=${lang()}`,
                        { credentials: 'same-origin' });
                if (!res.ok) {
                        let err = null;
                        try {
                                err = (await res.json()).error;
                        } catch {
                                err = null;
                        }
                        throw new ApiError(res.status, err);
                }
                const blob = new Blob([await res.arrayBuffer()], { type: 'application/pdf' });
                const url = URL.createObjectURL(blob);
                if (w)
                        w.location.href = url;
                else
                        $('#detail-pdf').click(); // pop-up refused: download it instead
                setTimeout(() => URL.revokeObjectURL(url), 60000);
        } catch (e) {
                w?.close();
                showError(e instanceof ApiError ? e : new ApiError(0, { code: 'network' }));
        }
}

async function validate(ev) {
        ev.preventDefault();
        const id = view.detail?.id;
        const name = $('#validate-name').value.trim();
        const title = $('#validate-title').value.trim();
        const status = $('#validate-status');
        status.classList.remove('ok', 'bad');
        if (!id)
                return;
        if (!name) {
                status.textContent = t('validate.noname');
                status.classList.add('bad');
                $('#validate-name').focus();
                return;
        }
        try {
                await api('POST', `/v1/certificates/${encodeURIComponent(id)}/validation`,
                        title ? { name, title } : { name });
                try {
                        localStorage.setItem(VALIDATOR_KEY, JSON.stringify({ name, title }));
                } catch {
                        // only a convenience
                }
                await openCert(id, false);
                status.textContent = t('validate.done');
                status.classList.add('ok');
        } catch (e) {
                status.textContent = e instanceof ApiError ? e.text() : t('error.unexpected');
                status.classList.add('bad');
        }
}

// ---------------------------------------------------------------------------
// Ledger and donation reports

function drawLedger() {
        const box = $('#ledger-box');
        const l = view.ledger;
        box.classList.remove('ok', 'bad');
        if (view.ledgerError) {
                box.classList.add('bad');
                box.replaceChildren(el('p', { class: 'status-big', text: t('ledger.unknown') }),
                        el('p', { text: view.ledgerError.text() }));
                return;
        }
        if (!l) {
                box.replaceChildren(el('p', { text: t('ledger.checking') }));
                return;
        }
        const ok = l.ok === true;
        box.classList.add(ok ? 'ok' : 'bad');
        box.replaceChildren(...[
                el('p', { class: 'status-big', text: t(ok ? 'ledger.ok' : 'ledger.bad') }),
                ok ? null : el('p', { class: 'status-problem', text: msg(l, 'problem') }),
                el('p', { text: t('ledger.facts', { n: show(l.entries), seq: show(l.head_seq), at: fmtDate(l.checked_at) }) }),
        ].filter(Boolean));
}

async function checkLedger() {
        view.ledger = null;
        view.ledgerError = null;
        drawLedger();
        try {
                view.ledger = await api('GET', '/v1/ledger/check');
        } catch (e) {
                view.ledgerError = e instanceof ApiError ? e : new ApiError(0, { code: 'network' });
        }
        drawLedger();
}

function drawDonors() {
        const ul = $('#donors');
        if (!view.donors) {
                ul.replaceChildren(el('li', { class: 'note', text: t('donors.loading') }));
                return;
        }
        if (view.donors.length === 0) {
                ul.replaceChildren(el('li', { class: 'note', text: t('donors.none') }));
                return;
        }
        ul.replaceChildren(...view.donors.slice(0, MAX_ROWS).map((d) => {
                const ref = str(d.reference);
                return el('li', { class: 'donor' },
                        el('span', { class: 'donor-name' },
                                el('strong', { text: show(d.organisation) }), ' ',
                                el('span', { class: 'mono', text: ref }), ' ',
                                el('span', { class: 'note', text: fmtDate(d.date, false) })),
                        el('a', { class: 'btn btn-small', download: true, 'data-testid': `report-${ref}`,
                                href: `/v1/reports/donation/${encodeURIComponent(ref)}/pdf?lang=${lang()}`,
                                'aria-label': t('donors.pdf.label', { ref }) }, t('donors.pdf')));
        }));
}

async function loadDonors() {
        try {
                const r = await api('GET', '/v1/donors');
                view.donors = Array.isArray(r.donors) ? r.donors.filter((d) => isObj(d) && str(d.reference)) : [];
        } catch (e) {
                view.donors = [];
                showError(e);
        }
        drawDonors();
}

// ---------------------------------------------------------------------------

async function main() {
        await startPage();
        try {
                const v = JSON.parse(localStorage.getItem(VALIDATOR_KEY) || 'null');
                if (isObj(v)) {
                        $('#validate-name').value = str(v.name).slice(0, 200);
                        $('#validate-title').value = str(v.title).slice(0, 200);
                }
        } catch {
                // nothing remembered
        }
        $('#search-form').addEventListener('submit', (ev) => {
                ev.preventDefault();
                search($('#cert-search').value.trim());
        });
        $('#detail-print').addEventListener('click', printPdf);
        $('#validate-form').addEventListener('submit', validate);
        $('#ledger-again').addEventListener('click', checkLedger);
        onLang(() => {
                drawResults();
                drawDetail();
                drawLedger();
                drawDonors();
        });
        const params = new URLSearchParams(location.search);
        const q = (params.get('q') || '').slice(0, 64);
        $('#cert-search').value = q;
        drawDonors();
        await Promise.all([search(q), checkLedger(), loadDonors(),
                params.get('id') ? openCert(params.get('id'), false) : null]);
}

main().catch(showError);
