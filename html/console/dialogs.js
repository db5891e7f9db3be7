// weir console: the dialogs of the "more" menus and the detail tabs, one
// change each (SPEC.md section 10). A dialog checks what it can, sends
// one request, and shows the API's own message next to the field the
// error names; nothing is swallowed.

import { api, ApiError, BASE } from './api.js';
import { h, clear, field, select, uid, showFieldError, clearErrors, toast } from './dom.js';
import { t } from './i18n.js';
import * as R from './rules.js';

const TG = BASE + '/target-groups';

// errors found before sending: { field: message }
export class Invalid extends Error {
    constructor(errors) { super('invalid'); this.errors = errors; }
}

export function check(errors) {
    if (Object.keys(errors).length) throw new Invalid(errors);
}

export function showError(form, ex) {
    if (ex instanceof Invalid) {
        let first = null;
        for (const [f, m] of Object.entries(ex.errors)) {
            const el = showFieldError(form, f, m);
            first = first || el;
        }
        const input = first && first.querySelector && first.querySelector('input, select');
        if (input) input.focus();
        return;
    }
    if (ex instanceof ApiError) {
        const msg = ex.status === 409 ? `${ex.message} (409: a change is still being applied; try again in a moment)` : ex.message;
        showFieldError(form, ex.field, msg);
        return;
    }
    showFieldError(form, null, String(ex && ex.message || ex));
}

// A modal dialog around body; onSubmit(form) is async and throws Invalid
// or ApiError; on success the dialog closes and done() runs.
export function dialog(title, body, { submit = t('Apply'), danger = false, onSubmit, done, cls = '' }) {
    const id = uid('dlg');
    const err = h('p.form-error', { role: 'alert' });
    const ok = h('button' + (danger ? '.danger' : '.primary'), { type: 'submit' }, submit);
    const form = h('form', { novalidate: true },
        h('h2', { id }, title), body, err,
        h('div.actions',
            h('button.secondary', { type: 'button', onclick: () => close() }, t('Cancel')),
            ok));
    const dlg = h('dialog' + (cls ? '.' + cls : ''), { 'aria-labelledby': id }, form);
    const close = () => { dlg.close(); dlg.remove(); };
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
    form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        ok.disabled = true;
        form.setAttribute('aria-busy', 'true');
        try {
            await onSubmit(form);
            close();
            toast(title + ': ' + 'applied', 'ok');
            if (done) await done();
        } catch (ex) {
            showError(form, ex);
        } finally {
            ok.disabled = false;
            form.removeAttribute('aria-busy');
        }
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = form.querySelector('input:not([type=hidden]), select');
    if (first) first.focus();
    return dlg;
}

const groupPut = (g, body) => api('PUT', `${TG}/${g.id}`, { target_group: body });

export function rename(g, done) {
    const input = h('input', { value: g.name, autocomplete: 'off', required: true });
    dialog(t('Rename'), [
        field(t('Target group name'), input, { name: 'target_group.name', hint: R.NAME_RULE }),
    ], { submit: t('Change'), done, onSubmit: async () => {
        const e = R.checkName(input.value);
        check(e ? { 'target_group.name': e } : {});
        await groupPut(g, { name: input.value });
    } });
}

// listeners of g's balancer whose protocol can carry g's protocol
export function usableListeners(g, data) {
    return data.listeners.filter((l) => l.load_balancer_id === g.load_balancer_id
        && R.groupProtocols(data.balancers.find((b) => b.id === l.load_balancer_id), l).includes(g.protocol));
}

export function listenerOf(g, data) {
    return data.listeners.find((l) => l.target_group_id === g.id) || null;
}

export function listenerConnection(g, data, done) {
    const current = listenerOf(g, data);
    const opts = [['', t('No listener')]].concat(usableListeners(g, data).map((l) =>
        [l.id, `${l.name} (${l.protocol}:${l.protocol_port})` +
              (l.target_group_id && l.target_group_id !== g.id ? ' - now ' + groupName(data, l.target_group_id) : '')]));
    const s = select(opts, current ? current.id : '');
    dialog(t('Listener connection'), [
        field(t('Listener'), s, { name: 'listener.target_group_id',
            hint: 'Only the listeners whose protocol can carry ' + g.protocol + ' are offered.' }),
    ], { done, onSubmit: async () => {
        if (s.value === (current ? current.id : '')) return;
        if (current) {
            await api('PUT', `${BASE}/listeners/${current.id}`, { listener: { target_group_id: null } });
        }
        if (s.value) {
            await waitActive(g.id);
            await api('PUT', `${BASE}/listeners/${s.value}`, { listener: { target_group_id: g.id } });
        }
    } });
}

function groupName(data, id) {
    const g = data.groups.find((x) => x.id === id);
    return g ? g.name : id;
}

// wait (at most 10 s) until the group is out of PENDING_*, so that a
// second request of one change does not meet 409
export async function waitActive(id) {
    for (let i = 0; i < 50; i++) {
        const g = (await api('GET', `${TG}/${id}`)).target_group;
        if (!String(g.provisioning_status).startsWith('PENDING')) return g;
        await new Promise((r) => setTimeout(r, 200));
    }
    return null;
}

export function algorithm(g, done) {
    const s = select(R.ALGORITHMS, g.load_balancer_algorithm);
    const note = h('p.hint', {}, 'With SOURCE_IP a client always reaches the same target: sticky session is turned off (not needed).');
    dialog(t('Algorithm setting'), [field(t('Algorithm'), s, { name: 'target_group.load_balancer_algorithm' }), note],
        { done, onSubmit: async () => {
            const body = { load_balancer_algorithm: s.value };
            if (s.value === 'SOURCE_IP' && g.session_persistence) body.session_persistence = null;
            await groupPut(g, body);
        } });
}

// sticky session fields for group protocol gp behind listener protocol lp;
// returns { el, value() -> session_persistence or null, errors() }
export function stickyFields(gp, lp, sp, algorithmOf, prefix) {
    const types = R.stickyTypes(gp, lp);
    const on = h('input', { type: 'checkbox', checked: !!sp && types.length > 0, disabled: types.length === 0 });
    const type = select(types, sp ? sp.type : types[0]);
    const dur = h('input', { type: 'number', min: 1, max: 604800, inputmode: 'numeric',
        value: sp ? sp.persistence_timeout : R.defaultTimeout(type.value) });
    const cookie = h('input', { value: (sp && sp.cookie_name) || '', autocomplete: 'off' });
    let touched = !!sp;
    dur.addEventListener('input', () => { touched = true; });
    const why = types.length === 0
        ? `Sticky session is fixed to disabled for ${gp} behind ${lp ? lp + ' listeners' : 'no listener'}.`
        : `Allowed for ${gp} behind ${lp}: ${types.join(', ')}.`;
    const sub = h('div.sub', {},
        field(t('Sticky session type'), type, { name: prefix + '.type' }),
        field(t('Stickiness duration (s)'), dur, { name: prefix + '.persistence_timeout', hint: '1-604800; default 3600 for HTTP_COOKIE, 360 otherwise' }),
        field(t('Cookie name'), cookie, { name: prefix + '.cookie_name', hint: 'APP_COOKIE only: 1-255 of A-Z a-z 0-9 ! # $ % ^ & _ * + ~ -' }));
    const wrap = h('fieldset.sticky', {}, h('legend', {}, t('Sticky session')),
        h('label.check', {}, on, ' ' + t('Enabled')), h('p.hint', {}, why), sub);
    const sync = () => {
        const hidden = algorithmOf() === 'SOURCE_IP';
        wrap.hidden = hidden;
        sub.hidden = !on.checked;
        cookie.closest('.field').hidden = type.value !== 'APP_COOKIE';
        if (!touched) dur.value = R.defaultTimeout(type.value);
    };
    on.addEventListener('change', sync);
    type.addEventListener('change', sync);
    sync();
    return {
        el: wrap, sync,
        value() {
            if (!on.checked || algorithmOf() === 'SOURCE_IP' || types.length === 0) return null;
            const v = { type: type.value, persistence_timeout: Number(dur.value) };
            if (type.value === 'APP_COOKIE') v.cookie_name = cookie.value;
            return v;
        },
        errors() {
            const e = {};
            const v = this.value();
            if (!v) return e;
            const d = R.checkInt(dur.value, 1, 604800); if (d) e[prefix + '.persistence_timeout'] = d;
            if (v.type === 'APP_COOKIE') { const c = R.checkCookie(cookie.value); if (c) e[prefix + '.cookie_name'] = c; }
            return e;
        },
    };
}

export function sticky(g, data, done) {
    const l = listenerOf(g, data);
    const sf = stickyFields(g.protocol, l && l.protocol, g.session_persistence,
        () => g.load_balancer_algorithm, 'target_group.session_persistence');
    const body = [sf.el];
    if (g.load_balancer_algorithm === 'SOURCE_IP') {
        body.push(h('p.hint', {}, 'The algorithm is SOURCE_IP: sticky session is disabled (not needed).'));
    }
    dialog(t('Sticky session setting'), body, { done, onSubmit: async () => {
        check(sf.errors());
        await groupPut(g, { session_persistence: sf.value() });
    } });
}

// health check fields for group protocol gp; returns { el, value(), errors() }
export function monitorFields(gp, hm, prefix, { optional = true, on: defaultOn = false } = {}) {
    const types = R.CHECK_TYPES[gp] || [];
    const m = Object.assign({}, R.MONITOR_DEFAULTS, hm || {});
    const on = h('input', { type: 'checkbox', checked: !!hm || !optional || defaultOn });
    const type = select(types, hm ? hm.type : types[0]);
    const num = (k, min, max) => h('input', { type: 'number', min, max, inputmode: 'numeric', value: m[k] });
    const inp = {
        delay: num('delay', 1, 3600), timeout: num('timeout', 1, 900),
        max_retries: num('max_retries', 1, 10), max_retries_down: num('max_retries_down', 1, 10),
        http_method: select(R.HTTP_METHODS, m.http_method),
        http_version: select(['1.0', '1.1'], m.http_version),
        expected_codes: h('input', { value: m.expected_codes, autocomplete: 'off' }),
        url_path: h('input', { value: m.url_path, autocomplete: 'off' }),
    };
    const f = (label, k, hint) => field(label, inp[k], { name: `${prefix}.${k}`, hint });
    const httpPart = h('div.sub', {},
        f(t('HTTP method'), 'http_method'), f(t('HTTP version'), 'http_version'),
        f(t('HTTP status codes'), 'expected_codes', '200 | 201, 202, 401 | 200-500'),
        f(t('Check path'), 'url_path', '/ followed by up to 120 characters'));
    const sub = h('div.sub', {},
        field(t('Type'), type, { name: `${prefix}.type`, hint: `For ${gp} target groups: ${types.join(', ')}` }),
        f(t('Interval (s)'), 'delay', '1-3600, default 30, greater than the timeout'),
        f(t('Timeout (s)'), 'timeout', '1-900, default 5, less than the interval'),
        f(t('Healthy threshold'), 'max_retries', '1-10, default 5'),
        f(t('Unhealthy threshold'), 'max_retries_down', '1-10, default 2'),
        httpPart);
    const wrap = h('fieldset.monitor', {}, h('legend', {}, t('Health check')),
        optional ? h('label.check', {}, on, ' ' + t('Enabled')) : null, sub);
    const sync = () => { sub.hidden = !on.checked; httpPart.hidden = !R.isHttpCheck(type.value); };
    on.addEventListener('change', sync);
    type.addEventListener('change', sync);
    sync();
    return {
        el: wrap,
        enabled: () => on.checked,
        value() {
            if (!on.checked) return null;
            const v = { type: type.value };
            for (const k of ['delay', 'timeout', 'max_retries', 'max_retries_down']) v[k] = Number(inp[k].value);
            if (R.isHttpCheck(type.value)) {
                for (const k of ['http_method', 'http_version', 'expected_codes', 'url_path']) v[k] = inp[k].value;
            }
            return v;
        },
        errors() {
            if (!on.checked) return {};
            const raw = { type: type.value };
            for (const k of Object.keys(inp)) raw[k] = inp[k].value;
            const e = {};
            for (const [k, msg] of Object.entries(R.checkMonitor(raw))) e[`${prefix}.${k}`] = msg;
            return e;
        },
    };
}

export function healthCheck(g, hm, done) {
    const mf = monitorFields(g.protocol, hm, 'health_monitor');
    dialog(t('Health check setting'), [h('p', {}, `${t('Target group')}: ${g.name} (${g.protocol})`), mf.el], { done, onSubmit: async () => {
        check(mf.errors());
        const v = mf.value();
        const HM = BASE + '/health-monitors';
        if (!v && hm) await api('DELETE', `${HM}/${hm.id}`);
        else if (v && !hm) await api('POST', HM, { health_monitor: Object.assign({ target_group_id: g.id }, v) });
        else if (v && hm && v.type !== hm.type) {
            await api('DELETE', `${HM}/${hm.id}`);
            await waitActive(g.id);
            await api('POST', HM, { health_monitor: Object.assign({ target_group_id: g.id }, v) });
        } else if (v) {
            delete v.type;
            await api('PUT', `${HM}/${hm.id}`, { health_monitor: v });
        }
    } });
}

// typed confirmation: the button stays disabled until want is typed
function confirmTyped(title, text, want, submit, onSubmit, done) {
    const input = h('input', { autocomplete: 'off', spellcheck: 'false' });
    const dlg = dialog(title, [h('p', {}, text), h('p', {}, 'Type ', h('strong.mono', {}, want), ' to confirm.'),
        field('Confirmation', input, { name: 'confirm' })],
    { submit, danger: true, done, onSubmit: async () => {
        check(input.value === want ? {} : { confirm: `type "${want}" exactly` });
        await onSubmit();
    } });
    const btn = dlg.querySelector('button.danger');
    btn.disabled = true;
    input.addEventListener('input', () => { btn.disabled = input.value !== want; });
    return dlg;
}

// a group a listener uses is disconnected from it first (the API refuses
// to delete it otherwise), and the dialog says so
export function deleteGroup(g, data, done) {
    const users = data.listeners.filter((l) => l.target_group_id === g.id);
    const note = users.length
        ? ` It is the target group of listener ${users.map((l) => l.name).join(', ')}: that connection is removed first.` : '';
    confirmTyped(t('Delete'), `Delete target group ${g.name} (${g.id})? Its targets are removed from it; the machines behind them are not touched.${note}`,
        g.name, t('Delete'), async () => {
            for (const l of users) {
                await api('PUT', `${BASE}/listeners/${l.id}`, { listener: { target_group_id: null } });
            }
            await api('DELETE', `${TG}/${g.id}`);
        }, done);
}

export const memberLabel = (m) => `${m.address}:${m.protocol_port}`;

export function detach(g, m, done) {
    confirmTyped(t('Detach'), `Detach target ${m.name || ''} ${memberLabel(m)} from ${g.name}? The machine behind it is not touched; add it again with Set targets.`,
        memberLabel(m), t('Detach'), () => api('DELETE', `${TG}/${g.id}/members/${m.id}`), done);
}

export function monitorPort(g, m, done) {
    const same = m.monitor_port === m.protocol_port || !m.monitor_port;
    const name = uid('mp');
    const rSame = h('input', { type: 'radio', name, value: 'same', checked: same });
    const rDiff = h('input', { type: 'radio', name, value: 'diff', checked: !same });
    const port = h('input', { type: 'number', min: 1, max: 65535, value: m.monitor_port || m.protocol_port });
    const pf = field(t('Monitor port'), port, { name: 'member.monitor_port', hint: '1-65535' });
    const sync = () => { pf.hidden = rSame.checked; };
    rSame.addEventListener('change', sync);
    rDiff.addEventListener('change', sync);
    sync();
    dialog(t('Monitor port'), [h('p', {}, `${t('Target')}: ${memberLabel(m)}`),
        h('fieldset', {}, h('legend', {}, t('Monitor port')),
            h('label.check', {}, rSame, ' ' + t('Same as the traffic port')),
            h('label.check', {}, rDiff, ' ' + t('Different port'))), pf],
    { done, onSubmit: async () => {
        const v = rSame.checked ? m.protocol_port : port.value;
        const e = R.checkInt(v, 1, 65535);
        check(e ? { 'member.monitor_port': e } : {});
        await api('PUT', `${TG}/${g.id}/members/${m.id}`, { member: { monitor_port: Number(v) } });
    } });
}

// traffic weights of every target, with the ratio as it will be
export function weights(g, members, done) {
    const inputs = members.map((m) => h('input.weight', { type: 'number', min: 0, max: 256,
        value: m.weight, inputmode: 'numeric', 'aria-label': `${t('Weight')} ${memberLabel(m)}` }));
    const cells = members.map(() => h('td.ratio', { 'aria-live': 'polite' }));
    const update = () => {
        const r = R.ratios(inputs.map((i) => (R.checkInt(i.value, 0, 256) ? 0 : Number(i.value))));
        r.forEach((v, i) => { cells[i].textContent = v.toFixed(1) + ' %'; });
    };
    inputs.forEach((i) => i.addEventListener('input', update));
    update();
    const table = h('table.grid', {}, h('thead', {}, h('tr', {},
        h('th', {}, t('Target')), h('th', {}, t('Weight')), h('th', {}, t('Weight ratio')))),
    h('tbody', {}, members.map((m, i) => h('tr', {},
        h('td', {}, m.name ? `${m.name} ` : '', h('span.mono', {}, memberLabel(m))),
        h('td', {}, field('', inputs[i], { name: `members[${i}].weight` })), cells[i]))));
    dialog(t('Traffic weights'), [
        h('p.hint', {}, 'Weight 0-256 (0: no new traffic). Converted = ceil(weight / 256 x 100); ratio = converted / sum of converted.'),
        table], { cls: 'wide', done, onSubmit: async () => {
        const e = {};
        inputs.forEach((inp, i) => { const m = R.checkInt(inp.value, 0, 256); if (m) e[`members[${i}].weight`] = m; });
        check(e);
        const changed = members.map((m, i) => [m, Number(inputs[i].value)]).filter(([m, w]) => m.weight !== w);
        if (changed.length === 0) return;
        if (changed.length === 1) {
            const [m, w] = changed[0];
            try {
                await api('PUT', `${TG}/${g.id}/members/${m.id}`, { member: { weight: w } });
            } catch (ex) {
                if (ex.field === 'member.weight') ex.field = `members[${members.indexOf(m)}].weight`;
                throw ex;
            }
            return;
        }
        await api('PUT', `${TG}/${g.id}/members`, { members: members.map((m, i) => memberBody(m, Number(inputs[i].value))) });
    } });
}

// a member as the PUT of the collection sends it back
export function memberBody(m, weight) {
    const b = { address: m.address, protocol_port: m.protocol_port,
        weight: weight === undefined ? m.weight : weight };
    for (const k of ['name', 'monitor_port', 'subnet_id', 'instance_id', 'instance_name']) {
        if (m[k] !== null && m[k] !== undefined && m[k] !== '') b[k] = m[k];
    }
    return b;
}

// The rows for new targets (create step 2 and set targets): returns
// { el, rows: [] } where each added target is pushed by "Add target".
export function targetAdder(onAdd, prefix = 'member') {
    const inp = {
        address: h('input', { autocomplete: 'off', placeholder: '127.0.0.1' }),
        protocol_port: h('input', { type: 'number', min: 1, max: 65535 }),
        weight: h('input', { type: 'number', min: 0, max: 256, value: 1 }),
        monitor_port: h('input', { type: 'number', min: 1, max: 65535, placeholder: 'same' }),
        name: h('input', { autocomplete: 'off' }),
    };
    const err = h('p.form-error', { role: 'alert' });
    const el = h('fieldset.adder', {}, h('legend', {}, t('Add target')),
        h('div.row', {},
            field(t('Address'), inp.address, { name: prefix + '.address' }),
            field(t('Port'), inp.protocol_port, { name: prefix + '.protocol_port', hint: '1-65535' }),
            field(t('Weight'), inp.weight, { name: prefix + '.weight', hint: '0-256' }),
            field(t('Monitor port'), inp.monitor_port, { name: prefix + '.monitor_port', hint: 'empty: the traffic port' }),
            field(t('Name'), inp.name, { name: prefix + '.name' })),
        err,
        h('button.secondary.add', { type: 'button', onclick: () => {
            clearErrors(el);
            const e = {};
            const a = R.checkAddress(inp.address.value.trim()); if (a) e[prefix + '.address'] = a;
            const p = R.checkInt(inp.protocol_port.value, 1, 65535); if (p) e[prefix + '.protocol_port'] = p;
            const w = R.checkInt(inp.weight.value, 0, 256); if (w) e[prefix + '.weight'] = w;
            if (inp.monitor_port.value !== '') { const mp = R.checkInt(inp.monitor_port.value, 1, 65535); if (mp) e[prefix + '.monitor_port'] = mp; }
            for (const [f, m] of Object.entries(e)) showFieldError(el, f, m);
            if (Object.keys(e).length) return;
            const m = { address: inp.address.value.trim(), protocol_port: Number(inp.protocol_port.value),
                weight: Number(inp.weight.value) };
            if (inp.monitor_port.value !== '') m.monitor_port = Number(inp.monitor_port.value);
            if (inp.name.value.trim()) m.name = inp.name.value.trim();
            const msg = onAdd(m);
            if (msg) { showFieldError(el, prefix + '.protocol_port', msg); return; }
            inp.address.value = ''; inp.protocol_port.value = ''; inp.name.value = ''; inp.monitor_port.value = '';
            inp.address.focus();
        } }, t('Add target')));
    return el;
}

// Set targets: remove, add, undo all, then one PUT of the whole set
export function setTargets(g, members, done) {
    let removed = new Set();
    let added = [];
    const body = h('tbody');
    const render = () => {
        clear(body);
        members.forEach((m) => {
            const gone = removed.has(m.id);
            body.append(h('tr' + (gone ? '.removed' : ''), {},
                h('td.mono', {}, memberLabel(m)), h('td', {}, m.name || ''), h('td', {}, m.weight),
                h('td', {}, gone ? 'to remove' : 'kept'),
                h('td', {}, h('button.secondary', { type: 'button', 'aria-label': `${gone ? 'Keep' : t('Remove')} ${memberLabel(m)}`,
                    onclick: () => { gone ? removed.delete(m.id) : removed.add(m.id); render(); } },
                gone ? 'Keep' : t('Remove')))));
        });
        added.forEach((m, i) => {
            body.append(h('tr.added', {}, h('td.mono', {}, memberLabel(m)), h('td', {}, m.name || ''),
                h('td', {}, m.weight), h('td', {}, 'to add'),
                h('td', {}, h('button.secondary', { type: 'button', 'aria-label': `${t('Remove')} ${memberLabel(m)}`,
                    onclick: () => { added.splice(i, 1); render(); } }, t('Remove')))));
        });
        summary.textContent = `${members.length - removed.size + added.length} targets after applying: ` +
            `${added.length} to add, ${removed.size} to remove.`;
    };
    const summary = h('p.summary', { 'aria-live': 'polite' });
    const adder = targetAdder((m) => {
        const all = members.filter((x) => !removed.has(x.id)).concat(added);
        if (all.some((x) => x.address === m.address && x.protocol_port === m.protocol_port)) {
            return `${m.address}:${m.protocol_port} is a target already`;
        }
        added.push(m);
        render();
        return null;
    }, 'members');
    const undo = h('button.secondary.undo', { type: 'button', onclick: () => { removed = new Set(); added = []; render(); } }, t('Undo all'));
    render();
    dialog(t('Set targets'), [
        h('div.toolbar', {}, summary, undo),
        h('table.grid', {}, h('thead', {}, h('tr', {}, h('th', {}, t('Target')), h('th', {}, t('Name')),
            h('th', {}, t('Weight')), h('th', {}, 'Change'), h('th', {}, h('span.sr', {}, 'Action')))), body),
        h('p.hint', {}, 'The port of a target cannot be changed: remove it and add it again.'),
        adder,
    ], { cls: 'wide', done, onSubmit: async () => {
        const set = members.filter((m) => !removed.has(m.id)).map((m) => memberBody(m)).concat(added);
        await api('PUT', `${TG}/${g.id}/members`, { members: set });
    } });
}
