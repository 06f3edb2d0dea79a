// SPDX-License-Identifier: GPL-2.0-or-later
//
// The Bench page (/banc, docs/web.md): one card per bay from GET /v1/bays,
// then kept up to date by the `bay` and `job` events of GET /v1/events.
// Technicians act on the drives (link to an asset, start, cancel: see
// banc-actions.js); supervisors see the same page without the buttons.

import {
        $, announce, api, connectEvents, el, fmtBytes, fmtEta, fmtPercent, fmtRate, has, msg, onLang, show, showError,
        startPage, t,
} from './app.js';
import { assetOf, initActions } from './banc-actions.js';

const RUNNING = ['queued', 'erasing', 'verifying', 'imaging'];
const ENDED_BAD = ['failed', 'cancelled', 'interrupted'];
const JOB_STATES = [...RUNNING, 'done', ...ENDED_BAD];

// name -> {bay, card, key}: the last BAY seen and its card.
const bays = new Map();
const page = { role: null, grid: null };

const canAct = () => page.role === 'technician';
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v) => (typeof v === 'string' ? v : '');

export const bayNamed = (name) => bays.get(name)?.bay ?? null;

// The drive of a bay: the device plugged in, else what the job recorded.
export function driveOf(bay) {
        const dev = isObj(bay.device) ? bay.device : null;
        const jd = isObj(bay.job) && isObj(bay.job.device) ? bay.job.device : null;
        return {
                sysname: str(dev?.sysname),
                devnode: str(dev?.devnode) || str(bay.job?.devnode),
                vendor: str(dev?.vendor) || str(jd?.vendor),
                model: str(dev?.model) || str(jd?.model),
                serial: str(dev?.serial) || str(jd?.serial),
                wwn: str(dev?.wwn),
                size: dev?.size ?? bay.job?.size,
                transport: str(dev?.transport),
                content: msg(dev, 'content_summary') || str(bay.job?.content_before_fr),
                health: dev?.health,
                erasable: dev?.erasable === true,
        };
}

export const driveTitle = (d) => [d.vendor, d.model].filter(Boolean).join(' ') || t('drive.unknown');

// ---------------------------------------------------------------------------
// What a card shows

function stateLabel(bay) {
        const st = str(bay.state);
        if (st === 'done' && bay.job?.result === 'not-erased')
                return t('state.not-erased');
        return has(`state.${st}`) ? t(`state.${st}`) : st;
}

function tone(bay) {
        const st = bay.state;
        if (st === 'done')
                return bay.job?.result === 'not-erased' ? 'bad' : 'ok';
        if (ENDED_BAD.includes(st))
                return 'bad';
        if (st === 'refused')
                return 'warn';
        if (RUNNING.includes(st))
                return 'run';
        if (st === 'waiting')
                return 'wait';
        return 'idle';
}

// Health as the API may give it: a text, or an object with a message.
function healthText(h) {
        if (typeof h === 'string')
                return h;
        if (!isObj(h))
                return '';
        return msg(h, 'summary') || msg(h, 'message') || str(h.status) || str(h.state);
}

function fact(label, value) {
        return [el('dt', { text: label }), el('dd', { text: value })];
}

function driveBlock(bay, full) {
        const d = driveOf(bay);
        const facts = [...fact(t('drive.capacity'), fmtBytes(d.size)), ...fact(t('drive.serial'), show(d.serial))];
        if (full) {
                facts.push(...fact(t('drive.content'), d.content || t('drive.content.unknown')));
                const h = healthText(d.health);
                if (h)
                        facts.push(...fact(t('drive.health'), h));
        }
        const tag = assetOf(d);
        if (tag)
                facts.push(...fact(t('drive.asset'), tag));
        const where = [d.devnode, d.transport].filter(Boolean).join(' · ');
        return el('div', { class: 'drive' },
                el('p', { class: 'drive-title', text: driveTitle(d) }),
                where ? el('p', { class: 'drive-where', text: where }) : null,
                el('dl', { class: 'facts' }, facts));
}

function phaseLabel(bay) {
        const st = bay.state, p = str(bay.job?.progress?.phase);
        if (st === 'queued')
                return t('phase.queued');
        const base = st === 'imaging' ? 'phase.image' : 'phase.erase';
        if (p && has(`${base}.${p}`))
                return t(`${base}.${p}`);
        return has(`state.${st}`) ? t(`state.${st}`) : st;
}

function progressOf(bay) {
        const p = isObj(bay.job?.progress) ? bay.job.progress : {};
        let pct = typeof p.percent === 'number' && Number.isFinite(p.percent) ? p.percent : null;
        if (pct === null && typeof p.done === 'number' && typeof p.total === 'number' && p.total > 0)
                pct = (100 * p.done) / p.total;
        if (pct !== null)
                pct = Math.min(Math.max(pct, 0), 100);
        return { pct, rate: p.rate_bytes_per_second, eta: p.eta_seconds };
}

function progressBlock(bay) {
        const id = `phase-${bay.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        const bar = el('progress', { class: 'bar', max: '100', 'data-testid': 'progress', 'aria-labelledby': id });
        const box = el('div', { class: 'progress' },
                el('p', { class: 'phase', id, 'data-f': 'phase' }),
                bar,
                el('p', { class: 'numbers' },
                        el('span', { class: 'pct', 'data-f': 'pct' }),
                        el('span', { class: 'rate', 'data-f': 'rate' }),
                        el('span', { class: 'eta', 'data-f': 'eta' })));
        return box;
}

// Numbers of a running job, updated in place every second.
function updateProgress(card, bay) {
        const { pct, rate, eta } = progressOf(bay);
        const f = (name) => card.querySelector(`[data-f="${name}"]`);
        const bar = card.querySelector('progress.bar');
        if (!bar)
                return;
        if (pct === null || bay.state === 'queued') {
                bar.removeAttribute('value');
        } else
                bar.value = pct;
        f('phase').textContent = phaseLabel(bay);
        f('pct').textContent = pct === null ? '' : fmtPercent(pct);
        f('rate').textContent = bay.state === 'queued' ? '' : t('rate', { rate: fmtRate(rate) });
        f('eta').textContent = bay.state === 'queued' ? '' : fmtEta(eta);
}

function button(testid, key, onclick, cls = '') {
        return el('button', { type: 'button', class: `btn ${cls}`, 'data-testid': testid, onclick }, t(key));
}

function actions(bay, list) {
        if (!canAct() || !list.length)
                return null;
        return el('div', { class: 'actions' }, list);
}

function body(bay) {
        const st = bay.state;
        const job = isObj(bay.job) ? bay.job : null;
        const d = driveOf(bay);
        const hasDrive = isObj(bay.device);
        const act = page.actions;

        if (st === 'empty' || (!hasDrive && !job))
                return [el('p', { class: 'bay-big', text: t('bay.empty') })];

        if (st === 'waiting')
                return [driveBlock(bay, true),
                        el('p', { class: 'hint', text: t(canAct() ? 'bay.waiting' : 'bay.waiting.ro') }),
                        actions(bay, [button('link', 'action.link', () => act.link(bay.name)),
                                button('start', 'action.start', () => act.start(bay.name), 'btn-primary')])];

        if (st === 'refused') {
                const r = isObj(bay.refusal) ? bay.refusal : isObj(bay.device?.refusal) ? bay.device.refusal : {};
                const detail = str(r.detail);
                return [el('p', { class: 'bay-big', text: t('refused.title') }),
                        el('p', { class: 'refusal', text: msg(r, 'message') || t('refused.unknown') }),
                        detail ? el('p', { class: 'refusal-detail', text: detail }) : null,
                        driveBlock(bay, false)];
        }

        if (RUNNING.includes(st))
                return [progressBlock(bay), driveBlock(bay, false),
                        actions(bay, job && Number.isInteger(job.id)
                                ? [button('cancel', 'action.cancel', () => act.cancel(bay.name), 'btn-danger')]
                                : [])];

        if (st === 'done' && job?.result !== 'not-erased') {
                const cert = str(job?.certificate_id);
                const img = isObj(job?.image) ? job.image : null;
                return [el('p', { class: 'result', text: t('done.big') }),
                        cert ? el('p', { class: 'result-sub', text: t('done.cert', { id: cert.slice(0, 8) }) }) : null,
                        img?.state === 'done'
                                ? el('p', { class: 'result-sub', text: t('done.image', { profile: str(img.profile) }) })
                                : null,
                        el('p', { class: 'hint', text: t('done.remove') }),
                        driveBlock(bay, false),
                        actions(bay, hasDrive ? [button('link', 'action.link', () => act.link(bay.name))] : [])];
        }

        // failed, cancelled, interrupted, or done but not erased
        const reason = str(job?.reason);
        const big = st === 'done' ? t('state.not-erased') : has(`bad.${st}`) ? t(`bad.${st}`) : stateLabel(bay);
        return [el('p', { class: 'result', text: big }),
                el('p', { class: 'result-sub', text: reason ? t('bad.reason', { reason }) : t(`bad.${st}.why`) }),
                driveBlock(bay, false),
                actions(bay, hasDrive ? [button('link', 'action.link', () => act.link(bay.name)),
                        d.erasable ? button('start', 'action.restart', () => act.start(bay.name), 'btn-primary') : null]
                        : [])];
}

// What must redraw the card when it changes (the rest is updated in place).
function keyOf(bay) {
        const d = driveOf(bay), job = isObj(bay.job) ? bay.job : {};
        return JSON.stringify([bay.state, d.sysname, d.serial, d.model, d.size, d.content, healthText(d.health),
                d.erasable, assetOf(d), job.id, job.result, job.reason, job.certificate_id, job.image?.state,
                job.progress?.phase, bay.refusal?.code, bay.refusal?.detail, page.role, document.documentElement.lang]);
}

function draw(entry, force) {
        const { bay, card } = entry;
        const key = keyOf(bay);
        const before = card.getAttribute('data-state');
        card.setAttribute('data-state', str(bay.state));
        card.setAttribute('data-tone', tone(bay));
        if (force || key !== entry.key) {
                // Keep the keyboard focus on the same button across the redraw.
                const focused = card.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
                card.replaceChildren(
                        el('header', { class: 'bay-head' },
                                el('h2', { class: 'bay-name', text: bay.name }),
                                el('span', { class: 'bay-state', text: stateLabel(bay) })),
                        ...body(bay).filter(Boolean));
                entry.key = key;
                if (focused)
                        card.querySelector(`[data-testid="${focused}"]`)?.focus();
        }
        if (RUNNING.includes(bay.state))
                updateProgress(card, bay);
        if (before !== null && before !== bay.state)
                announce(t('announce', { bay: bay.name, state: stateLabel(bay) }));
}

// A `bay` event, or an entry of GET /v1/bays: replaces the card.
export function applyBay(bay) {
        if (!isObj(bay) || typeof bay.name !== 'string' || !bay.name)
                return;
        let entry = bays.get(bay.name);
        if (!entry) {
                const card = el('article', { class: 'bay', 'data-testid': `bay-${bay.name}`,
                        'aria-label': t('bay.label', { bay: bay.name }) });
                entry = { bay, card, key: null };
                bays.set(bay.name, entry);
                page.grid.append(card);
                $('#no-bays').hidden = true;
        }
        entry.bay = bay;
        draw(entry, false);
}

// A `job` event: updates the card of job.bay, unless the drive has gone
// or the card already shows a later job.
export function applyJob(job) {
        if (!isObj(job) || typeof job.bay !== 'string')
                return;
        const entry = bays.get(job.bay);
        if (!entry || !isObj(entry.bay.device))
                return;
        const cur = entry.bay.job;
        if (isObj(cur) && Number.isInteger(cur.id) && Number.isInteger(job.id) && job.id < cur.id)
                return;
        const state = JOB_STATES.includes(job.state) ? job.state : entry.bay.state;
        applyBay({ ...entry.bay, job, state });
}

export function redraw(name) {
        const entry = bays.get(name);
        if (entry)
                draw(entry, true);
}

async function main() {
        page.grid = $('#bays');
        const session = await startPage();
        page.role = session.role;
        page.actions = initActions({ bayNamed, driveOf, driveTitle, redraw, applyJob });
        $('#read-only').hidden = canAct();
        const data = await api('GET', '/v1/bays');
        const list = Array.isArray(data.bays) ? data.bays : [];
        $('#no-bays').hidden = list.length > 0;
        for (const b of list)
                applyBay(b);
        $('#bays').setAttribute('aria-busy', 'false');
        connectEvents({ bay: applyBay, job: applyJob });
        onLang(() => {
                for (const entry of bays.values()) {
                        entry.card.setAttribute('aria-label', t('bay.label', { bay: entry.bay.name }));
                        draw(entry, true);
                }
        });
}

main().catch(showError);
