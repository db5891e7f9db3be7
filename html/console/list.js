// weir console: the target group list (SPEC.md section 10; the manual's
// "대상 그룹 목록 조회"): name and id, statuses, protocol, balancer, a
// filter box, and a "more" menu per row.

import { loadAll, api, BASE } from './api.js';
import { h, clear, statusBadge, moreMenu } from './dom.js';
import { t } from './i18n.js';
import * as D from './dialogs.js';
import * as T from './traffic.js';

export function listView(main) {
    let data = null;
    const filter = h('input#filter', { type: 'search', autocomplete: 'off',
        placeholder: 'name, protocol or status', 'aria-label': t('Filter') });
    const body = h('tbody');
    const count = h('p.count', { 'aria-live': 'polite' });
    filter.addEventListener('input', () => render());

    const done = () => self.refresh();

    function actions(g) {
        return moreMenu(`${t('More')}: ${g.name}`, [
            [t('Rename'), () => D.rename(g, done)],
            [t('Listener connection'), () => D.listenerConnection(g, data, done)],
            [t('Algorithm setting'), () => D.algorithm(g, done)],
            [t('Set targets'), async () => D.setTargets(g, await members(g), done)],
            [t('Traffic weights'), async () => D.weights(g, await members(g), done)],
            [t('Health check setting'), async () => D.healthCheck(g, await monitor(g), done)],
            [t('Sticky session setting'), () => D.sticky(g, data, done)],
            [t('Delete'), () => D.deleteGroup(g, data, done)],
        ]);
    }

    function render() {
        const q = filter.value.trim().toLowerCase();
        const rows = data.groups.filter((g) => !q || [g.name, g.id, g.protocol,
            g.provisioning_status, g.operating_status].some((v) => String(v).toLowerCase().includes(q)));
        // keep the open menu and focus across a refresh: rebuild only when the rows changed
        const sig = JSON.stringify(rows);
        if (sig === body.dataset.sig) return;
        if (body.contains(document.activeElement) || body.querySelector('ul.menu:not([hidden])')) return;
        body.dataset.sig = sig;
        clear(body, rows.map((g) => {
            const b = data.balancers.find((x) => x.id === g.load_balancer_id);
            return h('tr', { dataset: { id: g.id, name: g.name } },
                h('td', {}, h('a', { href: `#/groups/${encodeURIComponent(g.id)}` }, g.name),
                    h('div.id.mono', {}, g.id)),
                h('td.prov', {}, statusBadge(g.provisioning_status)),
                h('td.oper', {}, statusBadge(g.operating_status)),
                h('td', {}, g.protocol),
                h('td', {}, b ? b.name : '', h('div.id.mono', {}, g.load_balancer_id)),
                h('td.traffic', {}),
                h('td.row-actions', {}, actions(g)));
        }));
        count.textContent = `${rows.length} of ${data.groups.length} target groups`;
        if (rows.length === 0) body.append(h('tr', {}, h('td', { colspan: 7 }, 'No target group matches.')));
        sparks();
    }

    function sparks() {
        for (const tr of body.querySelectorAll('tr[data-id]')) {
            clear(tr.querySelector('td.traffic'), T.sparkline('g:' + tr.dataset.id, `Traffic of ${tr.dataset.name}`));
        }
    }

    const members = async (g) => (await api('GET', `${BASE}/target-groups/${g.id}/members`)).members;
    const monitor = async (g) => (g.health_monitor_id
        ? (await api('GET', `${BASE}/health-monitors/${g.health_monitor_id}`)).health_monitor : null);

    const self = {
        async load() {
            [data] = await Promise.all([loadAll(), T.sample()]);
            clear(main,
                h('div.page-head', {}, h('h1', {}, t('Target groups')),
                    h('a.button.primary#create', { href: '#/create' }, t('Create target group'))),
                h('div.toolbar', {}, h('label', { for: 'filter' }, t('Filter')), filter, count),
                h('div.table-wrap', {}, h('table.grid#groups', {},
                    h('caption.sr', {}, t('Target groups')),
                    h('thead', {}, h('tr', {},
                        h('th', { scope: 'col' }, t('Name')), h('th', { scope: 'col' }, t('Provisioning status')),
                        h('th', { scope: 'col' }, t('Operating status')), h('th', { scope: 'col' }, t('Protocol')),
                        h('th', { scope: 'col' }, t('Load balancer')), h('th', { scope: 'col' }, t('Traffic')),
                        h('th', { scope: 'col' }, h('span.sr', {}, t('More'))))),
                    body)));
            render();
        },
        async refresh() {
            [data] = await Promise.all([loadAll(), T.sample()]);
            render();
            sparks();
        },
    };
    return self;
}
