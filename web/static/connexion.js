// SPDX-License-Identifier: GPL-2.0-or-later
//
// The sign-in page (/connexion): POST /v1/session {"token"} sets the
// session cookie; then back to ?suite= when it is a path of this site,
// else to "/" (the server sends each role to its page).

import { $, ApiError, api, startPage, t } from './app.js';

// A local path only: "/x", never "//host" nor "/\host" (browsers read a
// backslash as a slash), nor control characters.
export function safeSuite(s) {
        if (typeof s !== 'string' || !s.startsWith('/') || s.length > 512)
                return '/';
        if (s.startsWith('//') || s.startsWith('/\\') || /[\u0000-\u001f\u007f\\]/.test(s))
                return '/';
        return s;
}

// Pages that only some roles may open: another role goes to "/" instead.
const PAGE_ROLES = { '/banc': ['technician', 'supervisor'], '/certificats': ['supervisor'], '/profils': ['dsi'] };

function destination(role) {
        const suite = safeSuite(new URLSearchParams(location.search).get('suite'));
        const path = suite.split(/[?#]/)[0];
        if (path === '/connexion' || (PAGE_ROLES[path] && !PAGE_ROLES[path].includes(role)))
                return '/';
        return suite;
}

async function signIn(ev) {
        ev.preventDefault();
        const input = $('#token');
        const errBox = $('#signin-error');
        const button = $('#sign-in');
        const fail = (text) => {
                errBox.textContent = text;
                errBox.hidden = false;
                input.focus();
        };
        const token = input.value.trim();
        if (!token) {
                fail(t('signin.empty'));
                return;
        }
        errBox.hidden = true;
        button.disabled = true;
        try {
                const s = await api('POST', '/v1/session', { token }, { signIn: false });
                location.assign(destination(s.role));
        } catch (e) {
                button.disabled = false;
                if (e instanceof ApiError && e.status === 401)
                        fail(t('signin.wrong'));
                else if (e instanceof ApiError && e.status === 400)
                        fail(t('signin.malformed'));
                else
                        fail(e instanceof ApiError ? e.text() : t('error.unexpected'));
        }
}

startPage({ session: false });
$('#signin-form').addEventListener('submit', signIn);
$('#show-token').addEventListener('change', (ev) => {
        $('#token').type = ev.target.checked ? 'text' : 'password';
});
$('#token').focus();
