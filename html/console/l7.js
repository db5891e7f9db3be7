// weir console: listeners (#/listeners) and the L7 rules of an HTTP or
// HTTPS listener (#/listeners/ID/rules; issue 15 item 4): its policies
// in position order with their rules, add, edit, move up/down (PUT
// position), delete, and "test a request" (the API's test endpoint: the
// data path's matcher).

import { api, loadAll, BASE } from './api.js';
import { h, clear, field, select, statusBadge } from './dom.js';
import { t } from './i18n.js';
import { dialog, check } from './dialogs.js';

const P = BASE + '/l7policies';
const ACTIONS = ['REDIRECT_TO_POOL', 'REDIRECT_TO_URL', 'REDIRECT_PREFIX', 'REJECT'];
const CODES = ['301', '302', '303', '307', '308'];
const TYPES = ['PATH', 'HOST_NAME', 'FILE_TYPE', 'HEADER', 'COOKIE'];
const COMPARES = ['STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO', 'REGEX'];
const isL7 = (l) => l.protocol === 'HTTP' || l.protocol === 'HTTPS';

export function listenersView(main) {
    const self = {
        async load() {
            const data = await loadAll();
            const body = h('tbody');
            for (const l of data.listeners) {
                const b = data.balancers.find((x) => x.id === l.load_balancer_id);
                const g = data.groups.find((x) => x.id === l.target_group_id);
                body.append(h('tr', { dataset: { id: l.id, name: l.name } },
                    h('td', {}, l.name, h('div.id.mono', {}, l.id)),
                    h('td', {}, `${l.protocol}:${l.protocol_port}`),
                    h('td', {}, b ? b.name : l.load_balancer_id),
                    h('td', {}, g ? g.name : '-'),
                    h('td', {}, isL7(l) ? h('a.rules-link', { href: `#/listeners/${encodeURIComponent(l.id)}/rules` },
                        `${t('Rules')} (${(l.l7policies || []).length})`) : h('span.hint', {}, 'HTTP/HTTPS only'))));
            }
            if (!data.listeners.length) body.append(h('tr', {}, h('td', { colspan: 5 }, 'No listeners.')));
            clear(main, h('div.page-head', {}, h('h1', {}, t('Listeners'))),
                h('div.table-wrap', {}, h('table.grid#listeners', {},
                    h('thead', {}, h('tr', {}, [t('Name'), t('Protocol'), t('Load balancer'), t('Default target group'), t('Rules')]
                        .map((x) => h('th', { scope: 'col' }, x)))), body)));
        },
    };
    return self;
}

export function rulesView(main, id) {
    let data, l, policies = [];
    const head = h('div.page-head');
    const list = h('section.policies', { 'aria-label': 'L7 policies' });
    const result = h('div#l7-result.card', { role: 'status', 'aria-live': 'polite' });
    const test = testBox();
    const done = () => self.refresh(true);

    async function fetchAll() {
        data = await loadAll();
        l = data.listeners.find((x) => x.id === id);
        if (!l) throw new Error(`listener ${id} not found`);
        if (!isL7(l)) throw new Error(`listener ${l.name} is ${l.protocol}: L7 rules are only on HTTP and HTTPS listeners`);
        const ps = (await api('GET', `${BASE}/${l.load_balancer_id}/listeners/${l.id}/l7policies`)).l7policies;
        ps.sort((a, b) => a.position - b.position);
        policies = await Promise.all(ps.map(async (p) => ({ ...p,
            rules: (await api('GET', `${P}/${p.id}/rules`)).rules })));
    }

    const groupName = (gid) => { const g = data.groups.find((x) => x.id === gid); return g ? g.name : gid; };
    const groupsOf = () => data.groups.filter((g) => g.load_balancer_id === l.load_balancer_id);

    function what(p) {
        if (p.action === 'REDIRECT_TO_POOL') return `→ ${t('target group')} ${groupName(p.redirect_target_group_id)}`;
        if (p.action === 'REDIRECT_TO_URL') return `${p.redirect_http_code} → ${p.redirect_url}`;
        if (p.action === 'REDIRECT_PREFIX') return `${p.redirect_http_code} → ${p.redirect_prefix} + path`;
        return '403';
    }

    const ruleText = (r) => `${r.is_inverted ? 'NOT ' : ''}${r.type}${r.key ? ' ' + r.key : ''} ${r.compare_type} "${r.value}"`;

    function renderHead() {
        clear(head,
            h('p.crumbs', {}, h('a', { href: '#/listeners' }, t('Listeners')), ' / '),
            h('h1', {}, `${t('Rules')}: ${l.name}`),
            h('p.id.mono', {}, l.id),
            h('p', {}, `${l.protocol}:${l.protocol_port}. ${t('Default target group')}: ${l.target_group_id ? groupName(l.target_group_id) : 'none (requests no policy takes are answered 503)'}. ` +
                'The first enabled policy whose rules all match acts; else the default group serves.'),
            h('div.toolbar', {}, h('button.primary#add-policy', { type: 'button', onclick: () => policyDialog(null) }, t('Add policy'))));
    }

    function renderList() {
        if (list.contains(document.activeElement) && document.activeElement !== document.body) return;
        clear(list, policies.length ? h('ol.policy-list', {}, policies.map((p, i) => h('li.card.policy', { dataset: { id: p.id, name: p.name } },
            h('div.policy-head', {},
                h('h2', {}, h('span.pos', {}, `${p.position}.`), ' ', p.name),
                h('span.badge', {}, p.action), ' ',
                h('span.what', {}, what(p)), ' ',
                h('span.enabled', {}, p.is_enabled ? t('Enabled') : t('Disabled')), ' ',
                statusBadge(p.provisioning_status), ' ', statusBadge(p.operating_status)),
            h('ul.rules', {}, p.rules.length ? p.rules.map((r) => h('li.rule', { dataset: { id: r.id } },
                h('code', {}, ruleText(r)), ' ',
                h('button.secondary.small', { type: 'button', 'aria-label': `${t('Edit rule')}: ${ruleText(r)}`, onclick: () => ruleDialog(p, r) }, t('Edit')),
                h('button.secondary.small', { type: 'button', 'aria-label': `${t('Delete rule')}: ${ruleText(r)}`, onclick: () => deleteRule(p, r) }, t('Delete'))))
                : h('li.hint', {}, 'No rules: this policy never applies.')),
            h('div.toolbar', {},
                h('button.secondary.up', { type: 'button', disabled: i === 0, 'aria-label': `${t('Move up')}: ${p.name}`, onclick: () => move(p, -1) }, '↑ ' + t('Move up')),
                h('button.secondary.down', { type: 'button', disabled: i === policies.length - 1, 'aria-label': `${t('Move down')}: ${p.name}`, onclick: () => move(p, 1) }, '↓ ' + t('Move down')),
                h('button.secondary.add-rule', { type: 'button', 'aria-label': `${t('Add rule')}: ${p.name}`, onclick: () => ruleDialog(p, null) }, t('Add rule')),
                h('button.secondary.edit', { type: 'button', 'aria-label': `${t('Edit')}: ${p.name}`, onclick: () => policyDialog(p) }, t('Edit')),
                h('button.danger.delete', { type: 'button', 'aria-label': `${t('Delete')}: ${p.name}`, onclick: () => deletePolicy(p) }, t('Delete'))))))
            : h('p.card', {}, 'No policies: every request goes to the default target group.'));
    }

    async function move(p, by) {
        try {
            await api('PUT', `${P}/${p.id}`, { l7policy: { position: p.position + by } });
            await self.refresh(true);
            const b = list.querySelector(`li.policy[data-id="${p.id}"] button.${by < 0 ? 'up' : 'down'}`);
            if (b && !b.disabled) b.focus();
        } catch (e) {
            clear(result, h('p.form-error', { role: 'alert' }, e.message));
        }
    }

    // the rule's fields; prefix is the API's path of the rule object
    function ruleFields(r, prefix) {
        const type = select(TYPES, r ? r.type : 'PATH');
        const cmp = select(COMPARES, r ? r.compare_type : 'STARTS_WITH');
        const key = h('input', { autocomplete: 'off', value: r && r.key ? r.key : '' });
        const value = h('input', { autocomplete: 'off', value: r ? r.value : '' });
        const inv = h('input', { type: 'checkbox', checked: !!(r && r.is_inverted) });
        const keyField = field(t('Key'), key, { name: prefix + '.key', hint: 'The header or cookie name' });
        const sync = () => { keyField.hidden = !(type.value === 'HEADER' || type.value === 'COOKIE'); };
        type.addEventListener('change', sync);
        sync();
        const el = h('fieldset.rule-fields', {}, h('legend', {}, t('Rule')),
            field(t('Type'), type, { name: prefix + '.type' }),
            field(t('Compare type'), cmp, { name: prefix + '.compare_type', hint: 'FILE_TYPE: REGEX or EQUAL_TO only' }),
            keyField,
            field(t('Value'), value, { name: prefix + '.value', hint: '1-255 characters, no CR or LF' }),
            h('label.check', {}, inv, ' ' + t('Inverted (matches when the comparison fails)')));
        return {
            el,
            value() {
                const v = { type: type.value, compare_type: cmp.value, value: value.value, is_inverted: inv.checked };
                if (!keyField.hidden) v.key = key.value; else if (r && r.key) v.key = null;
                return v;
            },
            errors() {
                const e = {};
                if (!value.value) e[prefix + '.value'] = 'required: 1-255 characters';
                if (!keyField.hidden && !key.value) e[prefix + '.key'] = `required (type is ${type.value})`;
                return e;
            },
        };
    }

    function policyDialog(p) {
        const name = h('input', { autocomplete: 'off', value: p ? p.name : '' });
        const action = select(ACTIONS, p ? p.action : 'REDIRECT_TO_POOL');
        const groups = groupsOf();
        const group = select([['', '-']].concat(groups.map((g) => [g.id, `${g.name} (${g.protocol})`])),
            p && p.redirect_target_group_id ? p.redirect_target_group_id : (groups[0] ? groups[0].id : ''));
        const url = h('input', { autocomplete: 'off', value: p && p.redirect_url ? p.redirect_url : '', placeholder: 'https://example.com/' });
        const prefix = h('input', { autocomplete: 'off', value: p && p.redirect_prefix ? p.redirect_prefix : '', placeholder: 'https://example.com' });
        const code = select(CODES, p && p.redirect_http_code ? String(p.redirect_http_code) : '302');
        const enabled = h('input', { type: 'checkbox', checked: p ? p.is_enabled : true });
        const fGroup = field(t('Target group'), group, { name: 'l7policy.redirect_target_group_id', hint: 'A group of the same load balancer' });
        const fUrl = field(t('Redirect URL'), url, { name: 'l7policy.redirect_url' });
        const fPrefix = field(t('Redirect prefix'), prefix, { name: 'l7policy.redirect_prefix', hint: 'The original path and query are appended' });
        const fCode = field(t('Redirect code'), code, { name: 'l7policy.redirect_http_code' });
        const sync = () => {
            fGroup.hidden = action.value !== 'REDIRECT_TO_POOL';
            fUrl.hidden = action.value !== 'REDIRECT_TO_URL';
            fPrefix.hidden = action.value !== 'REDIRECT_PREFIX';
            fCode.hidden = fUrl.hidden && fPrefix.hidden;
        };
        action.addEventListener('change', sync);
        sync();
        const rule = p ? null : ruleFields(null, 'l7policy.rules[0]');
        dialog(p ? `${t('Edit policy')}: ${p.name}` : t('Add policy'), [
            field(t('Name'), name, { name: 'l7policy.name' }),
            field(t('Action'), action, { name: 'l7policy.action' }),
            fGroup, fUrl, fPrefix, fCode,
            h('label.check', {}, enabled, ' ' + t('Enabled')),
            rule ? rule.el : null,
        ], { submit: p ? t('Change') : t('Add'), done, onSubmit: async () => {
            const e = {};
            if (!name.value.trim()) e['l7policy.name'] = 'required';
            if (rule) Object.assign(e, rule.errors());
            check(e);
            const body = { name: name.value.trim(), action: action.value, is_enabled: enabled.checked };
            if (action.value === 'REDIRECT_TO_POOL') body.redirect_target_group_id = group.value || null;
            if (action.value === 'REDIRECT_TO_URL') body.redirect_url = url.value;
            if (action.value === 'REDIRECT_PREFIX') body.redirect_prefix = prefix.value;
            if (!fCode.hidden) body.redirect_http_code = Number(code.value);
            if (p) {
                await api('PUT', `${P}/${p.id}`, { l7policy: body });
            } else {
                body.listener_id = l.id;
                body.rules = [rule.value()];
                await api('POST', P, { l7policy: body });
            }
        } });
    }

    function ruleDialog(p, r) {
        const f = ruleFields(r, 'rule');
        dialog(r ? `${t('Edit rule')} (${p.name})` : `${t('Add rule')} (${p.name})`, [f.el],
            { submit: r ? t('Change') : t('Add'), done, onSubmit: async () => {
                check(f.errors());
                const v = f.value();
                if (v.key === undefined && !r) delete v.key;
                if (r) await api('PUT', `${P}/${p.id}/rules/${r.id}`, { rule: v });
                else await api('POST', `${P}/${p.id}/rules`, { rule: v });
            } });
    }

    function deletePolicy(p) {
        dialog(t('Delete policy'), [h('p', {}, `Delete policy ${p.position}. ${p.name} and its ${p.rules.length} rule(s)? The policies after it move up.`)],
            { submit: t('Delete'), danger: true, done, onSubmit: () => api('DELETE', `${P}/${p.id}`) });
    }

    function deleteRule(p, r) {
        dialog(t('Delete rule'), [h('p', {}, `Delete rule ${ruleText(r)} of policy ${p.name}?`)],
            { submit: t('Delete'), danger: true, done, onSubmit: () => api('DELETE', `${P}/${p.id}/rules/${r.id}`) });
    }

    function testBox() {
        const host = h('input#test-host', { autocomplete: 'off', placeholder: 'www.example.com' });
        const path = h('input#test-path', { autocomplete: 'off', value: '/', placeholder: '/api/x?q=1' });
        const header = h('input#test-header', { autocomplete: 'off', placeholder: 'X-Name: value' });
        const cookie = h('input#test-cookie', { autocomplete: 'off', placeholder: 'name=value' });
        const form = h('form.card.test-box#test-box', { novalidate: true, onsubmit: async (e) => {
            e.preventDefault();
            const q = new URLSearchParams();
            if (host.value.trim()) q.append('host', host.value.trim());
            if (path.value) q.append('path', path.value);
            if (header.value.trim()) q.append('header', header.value.trim());
            if (cookie.value.trim()) q.append('cookie', cookie.value.trim());
            clear(result, '…');
            try {
                const r = (await api('GET', `${BASE}/listeners/${l.id}/l7policies/test?${q}`)).result;
                showResult(r);
            } catch (ex) {
                clear(result, h('p.form-error', { role: 'alert' }, ex.message));
            }
        } },
        h('h2', {}, t('Test a request')),
        h('div.test-fields', {},
            field(t('Host'), host, { hint: 'default: localhost' }),
            field(t('Path'), path, { hint: 'with the query, if any' }),
            field(t('Header'), header, { hint: 'Name: value' }),
            field(t('Cookie'), cookie, { hint: 'name=value' })),
        h('div.toolbar', {}, h('button.primary#test-run', { type: 'submit' }, t('Test'))),
        result);
        return form;
    }

    function showResult(r) {
        const p = r.l7policy;
        let does;
        if (r.action === 'DEFAULT') does = `the listener's default target group ${r.target_group_id ? groupName(r.target_group_id) : '(none)'}`;
        else if (r.action === 'REDIRECT_TO_POOL') does = `target group ${groupName(r.target_group_id)}`;
        else if (r.action === 'REJECT') does = `answers ${r.status}`;
        else does = `answers ${r.status} with Location: ${r.location}`;
        clear(result,
            h('p.match', {}, p ? `Matches policy ${p.position}. ${p.name}` : 'No policy matches'),
            h('p.does', {}, `${r.action}: ${does}`));
    }

    const self = {
        async load() {
            await fetchAll();
            clear(main, head, list, test);
            renderHead(); renderList();
        },
        async refresh(force) {
            await fetchAll();
            if (force) { clear(list); renderHead(); }
            renderList();
        },
    };
    return self;
}
