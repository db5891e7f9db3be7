// weir console: sign-in, the header, the router (#/, #/create,
// #/groups/ID) and the poll that keeps statuses live.

import { api, BASE, token, setToken, signOut, whenUnauthorized } from './api.js';
import { h, clear, field } from './dom.js';
import { t, getLang, setLang } from './i18n.js';
import { listView } from './list.js';
import { createView } from './create.js';
import { detailView } from './detail.js';
import { listenersView, rulesView } from './l7.js';

const POLL_MS = 2000;
const main = document.getElementById('main');
const nav = document.getElementById('nav');
let view = null;
let timer = null;

function renderNav() {
    const lang = h('select#lang', { 'aria-label': t('Language') },
        h('option', { value: 'en' }, 'English'), h('option', { value: 'ko' }, '한국어'));
    lang.value = getLang();
    lang.addEventListener('change', () => { setLang(lang.value); route(); });
    clear(nav,
        token() ? h('a', { href: '#/' }, t('Target groups')) : null,
        token() ? h('a#nav-listeners', { href: '#/listeners' }, t('Listeners')) : null,
        h('label.lang', {}, lang),
        token() ? h('button#signout.secondary', { type: 'button', onclick: () => {
            signOut();
            location.hash = '#/';
            route();
        } }, t('Sign out')) : null);
}

function signInView(message) {
    const input = h('input#token', { type: 'password', autocomplete: 'current-password',
                                     required: true, spellcheck: 'false' });
    const err = h('p.form-error', { role: 'alert' }, message || '');
    const form = h('form.signin.card', { onsubmit: async (e) => {
        e.preventDefault();
        err.textContent = '';
        setToken(input.value.trim());
        try {
            await api('GET', BASE);
            route();
        } catch (ex) {
            signOut();
            err.textContent = ex.message;
        }
    } },
    h('h1', {}, t('Sign in')),
    h('p', {}, 'The token of admin.token_file. It is kept in this tab only (session storage).'),
    field(t('Admin token'), input),
    err,
    h('button.primary', { type: 'submit' }, t('Sign in')));
    clear(main, form);
    input.focus();
}

whenUnauthorized((e) => {
    signOut();
    stopPoll();
    renderNav();
    signInView(e.message);
});

function stopPoll() { clearInterval(timer); timer = null; }

export async function route() {
    stopPoll();
    renderNav();
    if (!token()) { signInView(); return; }
    const hash = location.hash || '#/';
    let m;
    if (hash === '#/create') view = createView(main);
    else if ((m = hash.match(/^#\/groups\/([^/?]+)(?:\?tab=(\w+))?$/))) view = detailView(main, decodeURIComponent(m[1]), m[2]);
    else if (hash === '#/listeners') view = listenersView(main);
    else if ((m = hash.match(/^#\/listeners\/([^/?]+)\/rules$/))) view = rulesView(main, decodeURIComponent(m[1]));
    else view = listView(main);
    try {
        await view.load();
    } catch (e) {
        if (e.status !== 401) clear(main, h('p.form-error', { role: 'alert' }, e.message));
        return;
    }
    if (view.refresh) {
        timer = setInterval(async () => {
            if (document.hidden) return;
            try { await view.refresh(); } catch (e) { /* shown by the view */ }
        }, POLL_MS);
    }
}

window.addEventListener('hashchange', route);
setLang(getLang());
route();
