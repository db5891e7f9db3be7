// weir console: building the page without innerHTML, so that no name or
// message from the API is ever read as markup.

// h('button.primary', {onclick: f, type: 'button'}, 'Save', child, ...)
export function h(tag, attrs, ...children) {
    if (attrs instanceof Node || Array.isArray(attrs) || typeof attrs !== 'object') {
        children.unshift(attrs);
        attrs = {};
    }
    const el = document.createElement(tag.match(/^[a-z0-9]*/i)[0] || 'div');
    const classes = [];
    for (const [, kind, v] of tag.matchAll(/([.#])([^.#]+)/g)) {
        if (kind === '#') el.id = v; else classes.push(v);
    }
    if (classes.length) el.className = classes.join(' ');
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) continue;
        if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else if (k === 'value') el.value = v;
        else if (k === 'checked') el.checked = v;
        else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children.flat(Infinity)) {
        if (c === undefined || c === null || c === false) continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

export function clear(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}

let nextId = 0;
export function uid(prefix) { return `${prefix}-${++nextId}`; }

// A labelled form field: the input, its label, a hint and a place for the
// error; `name` is the API's field path, so an API error lands here.
export function field(label, input, { hint, name } = {}) {
    if (!input.id) input.id = uid('f');
    const err = h('p.field-error', { id: input.id + '-err', role: 'alert' });
    input.setAttribute('aria-describedby', input.id + '-err' +
        (hint ? ' ' + input.id + '-hint' : ''));
    if (name) input.dataset.field = name;
    return h('div.field', { dataset: { field: name || '' } },
        h('label', { for: input.id }, label),
        input,
        hint ? h('p.hint', { id: input.id + '-hint' }, hint) : null,
        err);
}

export function select(options, value, attrs = {}) {
    const s = h('select', attrs);
    for (const o of options) {
        const [v, text] = Array.isArray(o) ? o : [o, o];
        const opt = h('option', { value: v }, text);
        if (v === value) opt.selected = true;
        s.append(opt);
    }
    return s;
}

// Show msg next to the field whose data-field is name (or its closest
// parent path), or in the form's general error place.
export function showFieldError(root, name, msg) {
    let path = name || '';
    for (;;) {
        const f = root.querySelector(`.field[data-field="${CSS.escape(path)}"]`);
        if (f) {
            f.classList.add('invalid');
            const input = f.querySelector('input, select, textarea');
            if (input) input.setAttribute('aria-invalid', 'true');
            f.querySelector('.field-error').textContent = msg;
            return f;
        }
        if (!path) break;
        path = path.replace(/(\[\d+\]|\.[^.[\]]*|^[^.[\]]*)$/, '');
    }
    const g = root.querySelector(':scope > .form-error') || root.querySelector('.form-error');
    if (g) g.textContent = (name ? name + ': ' : '') + msg;
    return g;
}

export function clearErrors(root) {
    for (const f of root.querySelectorAll('.field.invalid')) {
        f.classList.remove('invalid');
        f.querySelector('.field-error').textContent = '';
        const input = f.querySelector('[aria-invalid]');
        if (input) input.removeAttribute('aria-invalid');
    }
    const g = root.querySelector('.form-error');
    if (g) g.textContent = '';
}

export function statusBadge(s) {
    return h('span.badge.st-' + String(s || 'none').toLowerCase(), {}, s || '-');
}

export function toast(msg, kind = 'info') {
    const el = document.getElementById('toast');
    clear(el, h('p.toast-' + kind, {}, msg));
    clearTimeout(toast.t);
    toast.t = setTimeout(() => clear(el), 6000);
}

// A "more" menu: a button that opens a list of actions; Escape closes it
// and gives focus back to the button.
export function moreMenu(label, items) {
    const id = uid('menu');
    const menu = h('ul.menu', { id, role: 'menu', hidden: true });
    const btn = h('button.more', { type: 'button', 'aria-haspopup': 'menu',
        'aria-expanded': 'false', 'aria-controls': id, 'aria-label': label }, '⋯');
    const close = () => { menu.hidden = true; btn.setAttribute('aria-expanded', 'false'); };
    for (const [text, action] of items) {
        menu.append(h('li', { role: 'none' }, h('button', { type: 'button', role: 'menuitem',
            onclick: () => { close(); action(); } }, text)));
    }
    btn.addEventListener('click', () => {
        const open = menu.hidden;
        document.querySelectorAll('ul.menu').forEach((m) => { m.hidden = true; });
        menu.hidden = !open;
        btn.setAttribute('aria-expanded', String(open));
        if (open) menu.querySelector('button').focus();
    });
    menu.addEventListener('keydown', (e) => {
        const items = [...menu.querySelectorAll('button')];
        const i = items.indexOf(document.activeElement);
        if (e.key === 'Escape') { close(); btn.focus(); }
        else if (e.key === 'ArrowDown') { e.preventDefault(); items[(i + 1) % items.length].focus(); }
        else if (e.key === 'ArrowUp') { e.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
    });
    return h('div.more-wrap', {}, btn, menu);
}
