// weir console: one target group (the manual's "대상 그룹 상세"), with
// the tabs details, targets, health check and attributes.

import { api, loadAll, BASE } from './api.js';
import { h, clear, statusBadge, moreMenu, select } from './dom.js';
import { t } from './i18n.js';
import * as D from './dialogs.js';
import * as T from './traffic.js';

const TABS = [['details', 'Details'], ['targets', 'Targets'], ['health', 'Health check'], ['attributes', 'Attributes']];

export function detailView(main, id, tab) {
    let data, g, members, monitor, subnets;
    let current = TABS.some(([k]) => k === tab) ? tab : 'details';
    const head = h('div.page-head');
    const tablist = h('div.tabs', { role: 'tablist', 'aria-label': 'Target group' });
    const panel = h('section.panel', { role: 'tabpanel', tabindex: 0 });
    const filters = {
        address: h('input', { autocomplete: 'off' }), protocol_port: h('input', { autocomplete: 'off', inputmode: 'numeric' }),
        name: h('input', { autocomplete: 'off' }), instance_id: h('input', { autocomplete: 'off' }),
        operating_status: select([['', 'any'], 'ONLINE', 'ERROR', 'DRAINING', 'OFFLINE', 'NO_MONITOR'], ''),
    };
    const mbody = h('tbody');
    let showSubnets = false;

    const TG = `${BASE}/target-groups/${encodeURIComponent(id)}`;
    const done = () => self.refresh(true);

    async function fetchAll() {
        const [all, gr, ms] = await Promise.all([loadAll(), api('GET', TG), api('GET', TG + '/members'), T.sample()]);
        data = all; g = gr.target_group; members = ms.members;
        monitor = g.health_monitor_id ? (await api('GET', `${BASE}/health-monitors/${g.health_monitor_id}`)).health_monitor : null;
    }

    function renderHead() {
        const b = data.balancers.find((x) => x.id === g.load_balancer_id);
        clear(head,
            h('p.crumbs', {}, h('a', { href: '#/' }, t('Target groups')), ' / '),
            h('h1', {}, g.name),
            h('p.id.mono', {}, g.id),
            h('p.statuses', {}, t('Provisioning status'), ' ', h('span#prov', {}, statusBadge(g.provisioning_status)),
                ' ', t('Operating status'), ' ', h('span#oper', {}, statusBadge(g.operating_status)),
                ' ', t('Load balancer'), ': ', b ? b.name : g.load_balancer_id),
            moreMenu(`${t('More')}: ${g.name}`, [
                [t('Rename'), () => D.rename(g, done)],
                [t('Listener connection'), () => D.listenerConnection(g, data, done)],
                [t('Algorithm setting'), () => D.algorithm(g, done)],
                [t('Delete'), () => D.deleteGroup(g, data, () => { location.hash = '#/'; })],
            ]));
    }

    function renderTabs() {
        clear(tablist, TABS.map(([k, label]) => h('button', { type: 'button', role: 'tab', id: 'tab-' + k,
            'aria-selected': String(k === current), tabindex: k === current ? 0 : -1,
            onclick: () => { current = k; renderTabs(); renderPanel(); },
            onkeydown: (e) => {
                const i = TABS.findIndex(([x]) => x === current);
                const n = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
                if (!n) return;
                current = TABS[(i + n + TABS.length) % TABS.length][0];
                renderTabs(); renderPanel();
                document.getElementById('tab-' + current).focus();
            } }, t(label))));
        panel.setAttribute('aria-labelledby', 'tab-' + current);
    }

    const dl = (rows) => h('dl.props', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '-' : v)]));

    function renderPanel() {
        const l = D.listenerOf(g, data);
        if (current === 'details') {
            clear(panel, dl([
                [t('Name'), g.name], ['ID', h('span.mono', {}, g.id)], [t('Protocol'), g.protocol],
                [t('Algorithm'), g.load_balancer_algorithm],
                ...(g.alpn_protocols ? [[t('Target protocol'), g.alpn_protocols.join(', ')]] : []),
                [t('Listener'), l ? `${l.name} (${l.protocol}:${l.protocol_port})` : t('No listener')],
                [t('Load balancer'), g.load_balancer_id],
                [t('Targets'), String(g.member_count)],
                [t('Provisioning status'), statusBadge(g.provisioning_status)],
                [t('Operating status'), statusBadge(g.operating_status)],
            ]), h('div.actions', {},
                h('button.secondary', { type: 'button', onclick: () => D.listenerConnection(g, data, done) }, t('Listener connection')),
                h('button.secondary', { type: 'button', onclick: () => D.algorithm(g, done) }, t('Algorithm setting'))));
        } else if (current === 'targets') {
            clear(panel,
                h('div.toolbar', {},
                    h('button.primary#set-targets', { type: 'button', onclick: () => D.setTargets(g, members, done) }, t('Set targets')),
                    h('button.secondary#weights', { type: 'button', onclick: () => D.weights(g, members, done) }, t('Traffic weights')),
                    h('button.secondary#subnets', { type: 'button', 'aria-expanded': String(showSubnets), onclick: async () => {
                        showSubnets = !showSubnets;
                        if (showSubnets) subnets = (await api('GET', TG + '/health-check-subnets')).health_check_subnets;
                        renderPanel();
                    } }, t('Health-check addresses per subnet'))),
                showSubnets ? h('div.card.subnets', {}, h('h3', {}, t('Health-check addresses per subnet')),
                    (subnets || []).length ? dl(subnets.map((s) => [s.subnet_id || 'any subnet', s.addresses.join(', ')]))
                        : h('p', {}, 'No health_check_ips: checks leave from the address the system chooses.'),
                    h('p.hint', {}, 'Allow these addresses to the targets\' monitor ports (ICMP for PING checks).')) : null,
                h('fieldset.filters', {}, h('legend', {}, t('Filter')),
                    Object.entries({ address: t('Address'), protocol_port: t('Port'), name: t('Name'),
                        instance_id: t('Instance ID'), operating_status: t('Operating status') }).map(([k, label]) =>
                        h('label', {}, label, filters[k]))),
                chartBox,
                h('div.table-wrap', {}, h('table.grid#members', {}, h('thead', {}, h('tr', {},
                    [t('Address'), t('Port'), t('Instance'), t('Subnet'), t('Monitor port'), t('Weight'), t('Weight ratio'),
                        t('Provisioning status'), t('Operating status'), t('Traffic')].map((x) => h('th', { scope: 'col' }, x)),
                    h('th', { scope: 'col' }, h('span.sr', {}, t('More'))))), mbody)));
            renderMembers(true);
            traffic();
        } else if (current === 'health') {
            const http = monitor && (monitor.type === 'HTTP' || monitor.type === 'HTTPS');
            clear(panel, monitor ? dl([
                [t('Type'), monitor.type], [t('Interval (s)'), monitor.delay], [t('Timeout (s)'), monitor.timeout],
                [t('Healthy threshold'), monitor.max_retries], [t('Unhealthy threshold'), monitor.max_retries_down],
                ...(http ? [[t('HTTP method'), monitor.http_method], [t('HTTP version'), monitor.http_version],
                    [t('HTTP status codes'), monitor.expected_codes], [t('Check path'), monitor.url_path]] : []),
                [t('Operating status'), statusBadge(monitor.operating_status)],
            ]) : h('p', {}, 'No health check: targets are NO_MONITOR and all receive traffic.'),
            h('button.primary#edit-health', { type: 'button', onclick: () => D.healthCheck(g, monitor, done) }, t('Health check setting')));
        } else {
            const sp = g.session_persistence;
            clear(panel, dl([
                [t('Sticky session'), sp ? t('Enabled') : t('Disabled')],
                [t('Sticky session type'), sp && sp.type], [t('Stickiness duration (s)'), sp && sp.persistence_timeout],
                [t('Cookie name'), sp && sp.cookie_name], ['Granularity', sp && sp.persistence_granularity],
                [t('Algorithm'), g.load_balancer_algorithm],
            ]), h('button.primary#edit-sticky', { type: 'button', onclick: () => D.sticky(g, data, done) }, t('Sticky session setting')));
        }
    }

    function renderMembers(force) {
        const f = Object.fromEntries(Object.entries(filters).map(([k, el]) => [k, el.value.trim().toLowerCase()]));
        const rows = members.filter((m) => (!f.address || m.address.toLowerCase().includes(f.address))
            && (!f.protocol_port || String(m.protocol_port) === f.protocol_port)
            && (!f.name || String(m.name || '').toLowerCase().includes(f.name) || String(m.instance_name || '').toLowerCase().includes(f.name))
            && (!f.instance_id || String(m.instance_id || '').toLowerCase().includes(f.instance_id))
            && (!f.operating_status || m.operating_status.toLowerCase() === f.operating_status));
        const sig = JSON.stringify(rows);
        if (!force && (sig === mbody.dataset.sig || mbody.contains(document.activeElement))) return;
        mbody.dataset.sig = sig;
        clear(mbody, rows.map((m) => h('tr', { dataset: { id: m.id, address: `${m.address}:${m.protocol_port}` } },
            h('td.mono', {}, m.address), h('td', {}, m.protocol_port),
            h('td', {}, m.instance_name || m.name || '', h('div.id.mono', {}, m.instance_id || '')),
            h('td', {}, m.subnet_id || '-'), h('td', {}, m.monitor_port), h('td.weight', {}, m.weight),
            h('td.ratio', {}, Number(m.weight_ratio).toFixed(1) + ' %'),
            h('td.prov', {}, statusBadge(m.provisioning_status)), h('td.oper', {}, statusBadge(m.operating_status)),
            h('td.traffic', {}),
            h('td.row-actions', {}, moreMenu(`${t('More')}: ${D.memberLabel(m)}`, [
                [t('Monitor port'), () => D.monitorPort(g, m, done)],
                [t('Detach'), () => D.detach(g, m, done)],
            ])))));
        if (!rows.length) mbody.append(h('tr', {}, h('td', { colspan: 11 }, members.length ? 'No target matches.' : 'No targets.')));
    }

    // the chart and the sparklines follow every poll, whatever has focus
    const chartBox = h('div.chart-box');
    function traffic() {
        clear(chartBox, T.chart(members));
        for (const tr of mbody.querySelectorAll('tr[data-id]')) {
            clear(tr.querySelector('td.traffic'), T.sparkline('t:' + tr.dataset.id, `Traffic of ${tr.dataset.address}`));
        }
    }
    Object.values(filters).forEach((el) => el.addEventListener('input', () => { renderMembers(true); traffic(); }));

    const self = {
        async load() {
            await fetchAll();
            clear(main, head, tablist, panel);
            renderHead(); renderTabs(); renderPanel();
        },
        async refresh(force) {
            await fetchAll();
            // statuses live; the rest is rebuilt only when nothing has focus in it
            const busy = main.contains(document.activeElement) && document.activeElement !== document.body
                && !force;
            document.querySelector('#prov') && clear(document.querySelector('#prov'), statusBadge(g.provisioning_status));
            document.querySelector('#oper') && clear(document.querySelector('#oper'), statusBadge(g.operating_status));
            if (current === 'targets') { renderMembers(false); traffic(); }
            else if (!busy) renderPanel();
            if (force) { renderHead(); renderPanel(); }
        },
    };
    return self;
}
