// weir console: create a target group in three steps (the manual's
// "대상 그룹 생성"): (1) balancer, listener, name, protocol, algorithm,
// sticky session, health check; (2) targets; (3) review, then one POST.

import { loadAll, api, BASE } from './api.js';
import { h, clear, field, select, clearErrors } from './dom.js';
import { t } from './i18n.js';
import * as R from './rules.js';
import * as D from './dialogs.js';

const STEPS = ['Step 1: Group settings', 'Step 2: Targets', 'Step 3: Review'];

export function createView(main) {
    let data = null;
    let step = 0;
    const targets = [];
    let form, stepEls, sf, mf;
    const inp = {};

    const balancer = () => data.balancers.find((b) => b.id === inp.lb.value);
    const listener = () => data.listeners.find((l) => l.id === inp.listener.value) || null;

    function fillListeners() {
        const b = balancer();
        const ls = data.listeners.filter((l) => b && l.load_balancer_id === b.id);
        clear(inp.listener, h('option', { value: '' }, t('No listener')),
            ls.map((l) => h('option', { value: l.id }, `${l.name} (${l.protocol}:${l.protocol_port})` +
                (l.target_group_id ? ' - has a target group' : ''))));
        fillProtocols();
    }

    function fillProtocols() {
        const was = inp.protocol.value;
        const ps = R.groupProtocols(balancer(), listener());
        clear(inp.protocol, ps.map((p) => h('option', { value: p }, p)));
        if (ps.includes(was)) inp.protocol.value = was;
        rebuildDependent();
    }

    // SPEC 13: HTTP and HTTPS groups choose the targets' protocol
    const isHttp = () => inp.protocol.value === 'HTTP' || inp.protocol.value === 'HTTPS';

    // sticky types follow listener x protocol, check types the protocol
    function rebuildDependent() {
        const l = listener();
        const nsf = D.stickyFields(inp.protocol.value, l && l.protocol, null,
            () => inp.algorithm.value, 'target_group.session_persistence');
        const nmf = D.monitorFields(inp.protocol.value, null, 'target_group.health_monitor', { on: true });
        if (sf) sf.el.replaceWith(nsf.el); else stepEls[0].append(nsf.el);
        if (mf) mf.el.replaceWith(nmf.el); else stepEls[0].append(nmf.el);
        sf = nsf; mf = nmf;
        if (inp.alpnField) inp.alpnField.hidden = !isHttp();
    }

    function body() {
        const b = balancer();
        const g = { name: inp.name.value.trim(), load_balancer_id: b && b.id,
            protocol: inp.protocol.value, load_balancer_algorithm: inp.algorithm.value };
        if (listener()) g.listener_id = listener().id;
        if (isHttp()) g.alpn_protocols = [inp.alpn.value];
        const sp = sf.value();
        if (sp) g.session_persistence = sp;
        const hm = mf.value();
        if (hm) g.health_monitor = hm;
        g.members = targets.map((m) => Object.assign({}, m));
        return { target_group: g };
    }

    function step1Errors() {
        const e = {};
        const n = R.checkName(inp.name.value.trim());
        if (n) e['target_group.name'] = n;
        else if (data.groups.some((g) => g.name === inp.name.value.trim() && g.load_balancer_id === inp.lb.value)) {
            e['target_group.name'] = 'a target group of this name exists in the balancer';
        }
        if (!inp.lb.value) e['target_group.load_balancer_id'] = 'choose a load balancer';
        return Object.assign(e, sf.errors(), mf.errors());
    }

    const tbody = h('tbody');
    function renderTargets() {
        clear(tbody, targets.map((m, i) => h('tr', {},
            h('td.mono', {}, `${m.address}:${m.protocol_port}`), h('td', {}, m.name || ''),
            h('td', {}, h('div.field', { dataset: { field: `target_group.members[${i}].weight` } },
                String(m.weight), h('p.field-error', { role: 'alert' }))),
            h('td', {}, m.monitor_port || 'same'),
            h('td', {}, h('button.secondary', { type: 'button', 'aria-label': `${t('Remove')} ${m.address}:${m.protocol_port}`,
                onclick: () => { targets.splice(i, 1); renderTargets(); } }, t('Remove'))))));
        if (!targets.length) tbody.append(h('tr', {}, h('td', { colspan: 5 }, 'No target yet: a group may be created empty and filled later.')));
    }

    function review() {
        const b = body().target_group;
        const l = listener();
        const rows = [
            [t('Availability zone'), inp.az.value],
            [t('Load balancer'), balancer() ? balancer().name : ''],
            [t('Listener'), l ? `${l.name} (${l.protocol}:${l.protocol_port})` : t('No listener')],
            [t('Target group name'), b.name], [t('Protocol'), b.protocol],
            [t('Algorithm'), b.load_balancer_algorithm],
            ...(b.alpn_protocols ? [[t('Target protocol'), b.alpn_protocols.join(', ')]] : []),
            [t('Sticky session'), b.session_persistence ? `${b.session_persistence.type}, ${b.session_persistence.persistence_timeout} s` +
                (b.session_persistence.cookie_name ? `, cookie ${b.session_persistence.cookie_name}` : '') : t('Disabled')],
            [t('Health check'), b.health_monitor ? Object.entries(b.health_monitor).map(([k, v]) => `${k}: ${v}`).join(', ') : t('Disabled')],
            [t('Targets'), b.members.length ? b.members.map((m) => `${m.address}:${m.protocol_port} (weight ${m.weight})`).join('; ') : '-'],
        ];
        return h('dl.review', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    }

    const reviewEl = h('div');
    const stepper = h('ol.steps');
    const prev = h('button.secondary#prev', { type: 'button', onclick: () => go(step - 1) }, t('Previous'));
    const next = h('button.primary#next', { type: 'submit' });

    function go(n) {
        step = n;
        clear(stepper, STEPS.map((s, i) => h('li' + (i === step ? '.current' : ''), i === step ? { 'aria-current': 'step' } : {}, t(s))));
        stepEls.forEach((el, i) => { el.hidden = i !== step; });
        prev.hidden = step === 0;
        next.textContent = step === 2 ? t('Create') : t('Next');
        if (step === 2) clear(reviewEl, review());
        const hd = stepEls[step].querySelector('h2');
        if (hd) hd.focus();
    }

    // an API error names a field: show the step that has it
    function showApiError(ex) {
        const f = ex.field || '';
        const s = /^target_group\.members/.test(f) ? 1 : f ? 0 : 2;
        go(s);
        D.showError(form, ex);
    }

    return {
        async load() {
            data = await loadAll();
            // the manual's order: availability zone, then its balancers
            const zones = [...new Set(data.balancers.map((b) => b.availability_zone || '-'))];
            inp.az = select(zones, zones[0]);
            inp.lb = h('select');
            const fillBalancers = () => {
                clear(inp.lb, data.balancers.filter((b) => (b.availability_zone || '-') === inp.az.value)
                    .map((b) => h('option', { value: b.id }, `${b.name} (${b.type})`)));
                fillListeners();
            };
            inp.az.addEventListener('change', fillBalancers);
            inp.listener = h('select');
            inp.name = h('input', { autocomplete: 'off', required: true });
            inp.protocol = h('select');
            inp.algorithm = select(R.ALGORITHMS, 'ROUND_ROBIN');
            inp.alpn = select(R.ALPN_PROTOCOLS, 'http/1.1');
            inp.alpnField = field(t('Target protocol'), inp.alpn, { name: 'target_group.alpn_protocols',
                hint: 'h2: HTTP/2 to the targets (TLS ALPN for HTTPS, h2c for HTTP), e.g. gRPC. Cannot be changed later.' });
            inp.lb.addEventListener('change', fillListeners);
            inp.listener.addEventListener('change', fillProtocols);
            inp.protocol.addEventListener('change', rebuildDependent);
            inp.algorithm.addEventListener('change', () => sf.sync());
            stepEls = [
                h('section.step', {}, h('h2', { tabindex: -1 }, t(STEPS[0])),
                    h('fieldset', {}, h('legend', {}, t('Load balancer')),
                        field(t('Availability zone'), inp.az, { name: 'availability_zone' }),
                        field(t('Load balancer'), inp.lb, { name: 'target_group.load_balancer_id' }),
                        field(t('Listener'), inp.listener, { name: 'target_group.listener_id', hint: 'The protocols offered below are those this listener allows.' })),
                    h('fieldset', {}, h('legend', {}, 'Basics'),
                        field(t('Target group name'), inp.name, { name: 'target_group.name', hint: R.NAME_RULE }),
                        field(t('Protocol'), inp.protocol, { name: 'target_group.protocol', hint: 'Cannot be changed later.' }),
                        field(t('Algorithm'), inp.algorithm, { name: 'target_group.load_balancer_algorithm' }),
                        inp.alpnField)),
                h('section.step', {}, h('h2', { tabindex: -1 }, t(STEPS[1])),
                    h('div.table-wrap', {}, h('table.grid#new-targets', {}, h('thead', {}, h('tr', {},
                        h('th', {}, t('Target')), h('th', {}, t('Name')), h('th', {}, t('Weight')),
                        h('th', {}, t('Monitor port')), h('th', {}, h('span.sr', {}, 'Action')))), tbody)),
                    D.targetAdder((m) => {
                        if (targets.some((x) => x.address === m.address && x.protocol_port === m.protocol_port)) {
                            return `${m.address}:${m.protocol_port} is added already`;
                        }
                        targets.push(m);
                        renderTargets();
                        return null;
                    }, 'target_group.members')),
                h('section.step', {}, h('h2', { tabindex: -1 }, t(STEPS[2])), reviewEl),
            ];
            form = h('form.create.card', { novalidate: true, onsubmit: async (e) => {
                e.preventDefault();
                clearErrors(form);
                if (step === 0) {
                    try { D.check(step1Errors()); } catch (ex) { D.showError(form, ex); return; }
                    go(1);
                } else if (step === 1) {
                    go(2);
                } else {
                    next.disabled = true;
                    try {
                        const r = await api('POST', BASE + '/target-groups', body());
                        const id = r && r.target_group && r.target_group.id;
                        location.hash = id ? `#/groups/${encodeURIComponent(id)}` : '#/';
                    } catch (ex) {
                        showApiError(ex);
                    } finally {
                        next.disabled = false;
                    }
                }
            } }, stepper, stepEls, h('p.form-error', { role: 'alert' }),
            h('div.actions', {}, h('a.button.secondary', { href: '#/' }, t('Cancel')), prev, next));
            clear(main, h('div.page-head', {}, h('h1', {}, t('Create target group'))), form);
            fillBalancers();
            renderTargets();
            go(0);
            inp.name.focus();
        },
    };
}
