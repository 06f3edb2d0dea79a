// SPDX-License-Identifier: GPL-2.0-or-later
//
// Shared module of refurb's web pages (docs/web.md): texts and language
// switch, the API wrapper, the page header (bench, who is signed in, sign
// out), the event stream with its reconnection banner, small DOM and
// formatting helpers. No framework, no build step; the pages are served
// under "Content-Security-Policy: default-src 'self'", so nothing here
// writes inline styles or scripts, and every text from the API goes into
// the page through textContent, never as HTML.

import { TEXTS } from './i18n.js';

const LANG_KEY = 'refurb-lang';

// ---------------------------------------------------------------------------
// Language

export function lang() {
        let l = null;
        try {
                l = localStorage.getItem(LANG_KEY);
        } catch {
                // storage disabled: French
        }
        return l === 'en' ? 'en' : 'fr';
}

export const locale = () => (lang() === 'en' ? 'en-GB' : 'fr-FR');

// The text KEY in the current language, with {name} replaced from VARS.
export function t(key, vars) {
        const table = TEXTS[lang()] || TEXTS.fr;
        let s = table[key] ?? TEXTS.fr[key] ?? key;
        if (vars)
                s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars && vars[k] !== null && vars[k] !== undefined
                        ? String(vars[k]) : m));
        return s;
}

// Whether KEY has a text (to fall back on a more general one).
export const has = (key) => key in (TEXTS[lang()] || TEXTS.fr) || key in TEXTS.fr;

// OBJ.BASE_fr or OBJ.BASE_en (the API's two-language messages), the other
// language when the current one is missing.
export function msg(obj, base) {
        if (!obj || typeof obj !== 'object')
                return '';
        const mine = obj[`${base}_${lang()}`];
        const fr = obj[`${base}_fr`];
        const v = typeof mine === 'string' && mine ? mine : fr;
        return typeof v === 'string' ? v : '';
}

function writeLangCookie(l) {
        document.cookie = `refurb_lang=${l}; Path=/; Max-Age=31536000; SameSite=Strict`;
}

// Fills the elements marked data-i18n (text), data-i18n-placeholder,
// data-i18n-aria-label and data-i18n-title below ROOT.
export function applyTexts(root = document) {
        document.documentElement.lang = lang();
        for (const e of root.querySelectorAll('[data-i18n]'))
                e.textContent = t(e.dataset.i18n);
        for (const e of root.querySelectorAll('[data-i18n-placeholder]'))
                e.setAttribute('placeholder', t(e.dataset.i18nPlaceholder));
        for (const e of root.querySelectorAll('[data-i18n-aria-label]'))
                e.setAttribute('aria-label', t(e.dataset.i18nAriaLabel));
        for (const e of root.querySelectorAll('[data-i18n-title]'))
                e.setAttribute('title', t(e.dataset.i18nTitle));
        const sw = document.getElementById('lang-switch');
        if (sw) {
                const other = lang() === 'en' ? 'fr' : 'en';
                sw.textContent = t(`lang.to.${other}`);
                sw.setAttribute('lang', other);
        }
}

export function setLang(l) {
        const v = l === 'en' ? 'en' : 'fr';
        try {
                localStorage.setItem(LANG_KEY, v);
        } catch {
                // the cookie still carries it for the server's pages
        }
        writeLangCookie(v);
        applyTexts();
        document.dispatchEvent(new CustomEvent('refurb:lang', { detail: v }));
}

// FN is called after every language switch (to redraw what JS wrote).
export function onLang(fn) {
        document.addEventListener('refurb:lang', () => fn());
}

// ---------------------------------------------------------------------------
// DOM helpers

// el('button', {class: 'big', 'data-testid': 'start', onclick: fn}, 'text', child…)
// Attribute values false/null/undefined are left out, true gives "".
export function el(tag, attrs, ...kids) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
                if (v === null || v === undefined || v === false)
                        continue;
                if (k === 'class')
                        e.className = v;
                else if (k === 'text')
                        e.textContent = v;
                else if (k.startsWith('on') && typeof v === 'function')
                        e.addEventListener(k.slice(2), v);
                else
                        e.setAttribute(k, v === true ? '' : String(v));
        }
        for (const c of kids.flat()) {
                if (c === null || c === undefined || c === false)
                        continue;
                e.append(c instanceof Node ? c : String(c));
        }
        return e;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// Says TEXT to screen readers (the page's polite live region).
export function announce(text) {
        const live = document.getElementById('announce');
        if (!live)
                return;
        live.textContent = '';
        // A new text node after a tick, so that the same words are read again.
        setTimeout(() => {
                live.textContent = text;
        }, 50);
}

// ---------------------------------------------------------------------------
// Formats (French units are decimal: 1 Go = 10^9 octets)

const num = (n, digits = 3) =>
        new Intl.NumberFormat(locale(), { maximumSignificantDigits: digits }).format(n);

const isCount = (n) => typeof n === 'number' && Number.isFinite(n) && n >= 0;

export function fmtBytes(n) {
        if (!isCount(n))
                return '—';
        const units = lang() === 'en' ? ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] : ['o', 'ko', 'Mo', 'Go', 'To', 'Po'];
        let i = 0;
        while (n >= 1000 && i < units.length - 1) {
                n /= 1000;
                i++;
        }
        return `${num(n)}\u00a0${units[i]}`;
}

// Bytes per second as "123 Mo/s" (always in Mo/s, so that the figure
// is comparable from one second to the next); "— Mo/s" before it is known.
export function fmtRate(n) {
        const unit = lang() === 'en' ? 'MB/s' : 'Mo/s';
        if (!isCount(n) || n <= 0)
                return `—\u00a0${unit}`;
        const mb = n / 1e6;
        return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: mb < 10 ? 1 : 0 }).format(mb)}\u00a0${unit}`;
}

// Seconds left as "encore 3 min"; '' when unknown.
export function fmtEta(s) {
        if (!isCount(s))
                return '';
        s = Math.round(s);
        let d;
        if (s < 60)
                d = `${Math.max(s, 1)}\u00a0s`;
        else if (s < 3600)
                d = `${Math.round(s / 60)}\u00a0min`;
        else {
                const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
                d = `${h}\u00a0h\u00a0${String(m).padStart(2, '0')}\u00a0min`;
        }
        return t('eta', { d });
}

export function fmtPercent(p) {
        if (typeof p !== 'number' || !Number.isFinite(p))
                return '';
        const v = Math.min(Math.max(p, 0), 100);
        return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: v < 10 ? 1 : 0 }).format(v)}\u00a0%`;
}

export function fmtDate(iso, withTime = true) {
        if (typeof iso !== 'string' || !iso)
                return '—';
        const d = new Date(iso);
        if (Number.isNaN(d.getTime()))
                return iso;
        const o = withTime ? { dateStyle: 'short', timeStyle: 'short' } : { dateStyle: 'medium' };
        return new Intl.DateTimeFormat(locale(), o).format(d);
}

// Plain text of an API value for display ('—' for null/empty).
export const show = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

// ---------------------------------------------------------------------------
// The API

export class ApiError extends Error {
        constructor(status, error) {
                super(`HTTP ${status} ${error?.code ?? ''}`);
                this.status = status;
                this.error = error && typeof error === 'object' ? error : {};
                this.code = typeof this.error.code === 'string' ? this.error.code : '';
        }

        // The message in the current language, in plain words.
        text() {
                if (this.status === 0)
                        return t('error.network');
                const m = msg(this.error, 'message');
                const reason = msg(this.error, 'reason');
                const base = m || t('error.http', { status: this.status });
                const full = reason && reason !== m ? `${base}${t('colon')}${reason}` : base;
                if (this.status === 403 && this.code !== 'csrf')
                        return `${t('error.forbidden')} ${full}`;
                return full;
        }
}

// Where to go to sign in, coming back to this page afterwards.
export function signInUrl() {
        return `/connexion?suite=${encodeURIComponent(location.pathname).replace(/%2F/g, '/')}`;
}

// METHOD PATH with BODY (JSON); resolves to the parsed answer, rejects with
// an ApiError. A 401 leads to the sign-in page (the promise then never
// settles: the page is going away) unless opts.signIn is false.
export async function api(method, path, body, opts = {}) {
        const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
        if (method !== 'GET' && method !== 'HEAD') {
                init.headers['X-Refurb'] = '1';
                init.headers['Content-Type'] = 'application/json';
                if (body !== undefined)
                        init.body = JSON.stringify(body);
        }
        let res;
        try {
                res = await fetch(path, init);
        } catch {
                throw new ApiError(0, { code: 'network' });
        }
        let data = null;
        try {
                const text = await res.text();
                data = text ? JSON.parse(text) : null;
        } catch {
                data = null;
        }
        if (res.ok)
                return data && typeof data === 'object' ? data : {};
        if (res.status === 401 && opts.signIn !== false) {
                location.assign(signInUrl());
                return new Promise(() => {});
        }
        throw new ApiError(res.status, data?.error);
}

// ---------------------------------------------------------------------------
// Page-level messages

// Shows ERR (an ApiError, an Error or a text) in the page's alert banner.
export function showError(err) {
        const box = document.getElementById('page-error');
        const text = err instanceof ApiError ? err.text() : err instanceof Error ? t('error.unexpected') : String(err);
        if (err instanceof Error && !(err instanceof ApiError))
                console.error(err);
        if (!box)
                return;
        box.replaceChildren(el('span', { class: 'banner-text', text }),
                el('button', { type: 'button', class: 'banner-close', 'aria-label': t('close'), onclick: clearError },
                        '×'));
        box.hidden = false;
}

export function clearError() {
        const box = document.getElementById('page-error');
        if (box) {
                box.hidden = true;
                box.replaceChildren();
        }
}

// ---------------------------------------------------------------------------
// Header: bench, navigation by role, who is signed in, language, sign out

const PAGES = [
        { path: '/banc', key: 'nav.banc', roles: ['technician', 'supervisor'] },
        { path: '/certificats', key: 'nav.certificats', roles: ['supervisor'] },
        { path: '/profils', key: 'nav.profils', roles: ['dsi'] },
];

function drawHeader(session, status) {
        const bench = document.getElementById('bench-name');
        if (bench && status)
                bench.textContent = status.bench || status.hostname || 'refurb';
        const nav = document.getElementById('nav');
        if (nav && session) {
                nav.replaceChildren(...PAGES.filter((p) => p.roles.includes(session.role)).map((p) =>
                        el('a', { href: p.path, 'aria-current': p.path === location.pathname ? 'page' : null },
                                t(p.key))));
        }
        const who = document.getElementById('who');
        if (who && session)
                who.replaceChildren(el('span', { class: 'who-role', text: t(`role.${session.role}`) }),
                        el('span', { class: 'who-name', text: session.name || '' }));
}

async function signOut() {
        try {
                await api('DELETE', '/v1/session', undefined, { signIn: false });
        } catch {
                // signed out already, or the bench is away: the sign-in page either way
        }
        location.assign('/connexion');
}

// Sets up the language switch and, unless opts.session is false, the
// header from GET /v1/session and GET /v1/status. Resolves to the session
// {role, name, expires_at} (null without one).
export async function startPage(opts = {}) {
        // The cookie follows localStorage (the server's 403 page reads it).
        writeLangCookie(lang());
        applyTexts();
        const sw = document.getElementById('lang-switch');
        if (sw)
                sw.addEventListener('click', () => setLang(lang() === 'en' ? 'fr' : 'en'));
        const out = document.getElementById('sign-out');
        if (out)
                out.addEventListener('click', signOut);
        if (opts.session === false)
                return null;
        const [session, status] = await Promise.all([
                api('GET', '/v1/session'),
                api('GET', '/v1/status').catch(() => null),
        ]);
        drawHeader(session, status);
        onLang(() => drawHeader(session, status));
        return session;
}

// ---------------------------------------------------------------------------
// Server-Sent Events with automatic reconnection

// Opens GET /v1/events and calls HANDLERS[event name](data) for each event
// (data parsed as JSON; malformed events are skipped). While the stream is
// down the banner #offline says so and the stream is opened again (the
// browser retries by itself after a network error; after an HTTP error it
// does not, so we do, with a growing delay, and a 401 leads to sign-in).
// handlers.open() is called at each (re)connection.
export function connectEvents(handlers) {
        const banner = document.getElementById('offline');
        let es = null, timer = null, delay = 1000, leaving = false;

        const setOffline = (off) => {
                if (banner)
                        banner.hidden = !off;
        };
        const open = () => {
                timer = null;
                es = new EventSource('/v1/events');
                es.addEventListener('open', () => {
                        delay = 1000;
                        setOffline(false);
                        handlers.open?.();
                });
                for (const [name, fn] of Object.entries(handlers)) {
                        if (name === 'open')
                                continue;
                        es.addEventListener(name, (ev) => {
                                let data;
                                try {
                                        data = JSON.parse(ev.data);
                                } catch {
                                        return;
                                }
                                if (data && typeof data === 'object')
                                        fn(data);
                        });
                }
                es.addEventListener('error', () => {
                        if (leaving)
                                return;
                        setOffline(true);
                        if (es.readyState !== EventSource.CLOSED || timer)
                                return; // the browser tries again by itself
                        es.close();
                        timer = setTimeout(async () => {
                                // A 401 here leads to the sign-in page.
                                await api('GET', '/v1/session').catch(() => null);
                                open();
                        }, delay);
                        delay = Math.min(delay * 2, 15000);
                });
        };
        window.addEventListener('pagehide', () => {
                leaving = true;
                es?.close();
        });
        open();
}
