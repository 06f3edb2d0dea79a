// SPDX-License-Identifier: GPL-2.0-or-later
//
// Checks the texts of the web pages (meson test web-texts): every key that
// the pages use (t('key') in static/*.js, data-i18n* in *.html) exists in
// French and in English in static/i18n.js, and both languages have the
// same keys. Keys made at run time (state.*, phase.*, kind.* ...) are
// checked for the values the API documents. Exit 0 when all is well.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const { TEXTS } = await import(pathToFileURL(path.join(dir, 'static', 'i18n.js')).href);

const used = new Set();
const js = fs.readdirSync(path.join(dir, 'static')).filter((f) => f.endsWith('.js') && f !== 'i18n.js');
for (const f of js) {
        const s = fs.readFileSync(path.join(dir, 'static', f), 'utf8');
        for (const m of s.matchAll(/\bt\('([^'$]+)'/g))
                used.add(m[1]);
        for (const m of s.matchAll(/\b(?:button|confirmBox|has|t)\([^)]*?'([a-z]+\.[a-z0-9_.-]+)'/g))
                used.add(m[1]);
}
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.html'))) {
        const s = fs.readFileSync(path.join(dir, f), 'utf8');
        for (const m of s.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g))
                used.add(m[1]);
}
const states = ['empty', 'refused', 'waiting', 'queued', 'erasing', 'verifying', 'imaging', 'done', 'failed',
        'cancelled', 'interrupted', 'not-erased'];
for (const s of states)
        used.add(`state.${s}`);
for (const s of ['failed', 'cancelled', 'interrupted']) {
        used.add(`bad.${s}`);
        used.add(`bad.${s}.why`);
}
for (const p of ['write', 'flush', 'verify'])
        used.add(`phase.erase.${p}`);
for (const p of ['fetch', 'write', 'flush', 'verify', 'fit', 'customise', 'proof'])
        used.add(`phase.image.${p}`);
for (const k of ['erasure', 'refurbishment', 'validation']) {
        used.add(`kind.${k}`);
        used.add(`detail.title.${k}`);
}
for (const r of ['technician', 'supervisor', 'dsi', 'agent'])
        used.add(`role.${r}`);
for (const x of ['any', 'desktop', 'laptop'])
        used.add(`target.${x}`);
for (const x of ['desktop', 'laptop', 'drive'])
        used.add(`type.${x}`);
for (const x of ['reuse-family', 'reuse-school', 'recycling', 'destruction'])
        used.add(`dest.${x}`);
for (const x of ['erased', 'not-erased'])
        used.add(`result.${x}`);
used.add('lang.to.fr');
used.add('lang.to.en');

let bad = 0;
for (const k of [...used].sort())
        for (const l of ['fr', 'en'])
                if (typeof TEXTS[l][k] !== 'string') {
                        console.log(`missing: ${l} "${k}"`);
                        bad++;
                }
for (const [a, b] of [['fr', 'en'], ['en', 'fr']])
        for (const k of Object.keys(TEXTS[a]))
                if (!(k in TEXTS[b])) {
                        console.log(`"${k}" is in ${a} but not in ${b}`);
                        bad++;
                }
console.log(`${used.size} keys used by the pages, ${Object.keys(TEXTS.fr).length} defined, ${bad} problem(s)`);
process.exit(bad ? 1 : 0);
