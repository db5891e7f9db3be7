// weir console: traffic per target and per group, from GET /metrics
// (weir_target_connections_total, weir_target_group_connections_total):
// each poll turns the counters into connections per second, kept for the
// last HISTORY polls, drawn as SVG (attributes only: the CSP allows no
// inline style).

import { api } from './api.js';

const HISTORY = 30;
const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#1d4ed8', '#c2410c', '#047857', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d'];

const last = new Map();     // key -> { t, v }
const series = new Map();   // key -> [rate, ...]

// "name{a="x",b="y"} 12" -> [name, {a, b}, 12]
export function parseMetrics(text) {
    const out = [];
    for (const line of text.split('\n')) {
        if (!line || line[0] === '#') continue;
        const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
        if (!m) continue;
        const labels = {};
        for (const [, k, v] of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
            labels[k] = v.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
        }
        out.push([m[1], labels, Number(m[3])]);
    }
    return out;
}

function add(key, v, now) {
    const p = last.get(key);
    last.set(key, { t: now, v });
    if (!p || now <= p.t) return;
    const s = series.get(key) || [];
    s.push(Math.max(0, (v - p.v) / ((now - p.t) / 1000)));
    if (s.length > HISTORY) s.shift();
    series.set(key, s);
}

// one poll; a failure (no metrics in this build) leaves the charts empty
export async function sample() {
    let text;
    try {
        text = await api('GET', '/metrics', undefined, { text: true });
    } catch (e) {
        return false;
    }
    const now = performance.now();
    for (const [name, l, v] of parseMetrics(text)) {
        if (name === 'weir_target_connections_total' && l.target_id) add('t:' + l.target_id, v, now);
        else if (name === 'weir_target_group_connections_total' && l.target_group_id) add('g:' + l.target_group_id, v, now);
    }
    return true;
}

export const rates = (key) => series.get(key) || [];
export const current = (key) => { const s = rates(key); return s.length ? s[s.length - 1] : null; };

function el(name, attrs, ...kids) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    e.append(...kids.flat());
    return e;
}

function points(s, w, hgt, max) {
    const step = w / (HISTORY - 1);
    const x0 = w - (s.length - 1) * step;
    return s.map((v, i) => `${(x0 + i * step).toFixed(1)},${(hgt - 1 - (v / max) * (hgt - 2)).toFixed(1)}`).join(' ');
}

// a small line of the last rates of key, with a text equivalent
export function sparkline(key, label) {
    const s = rates(key);
    const max = Math.max(1, ...s);
    const now = current(key);
    const text = now === null ? 'no data yet' : `${now.toFixed(1)} connections/s`;
    return el('svg', { class: 'spark', width: 80, height: 20, viewBox: '0 0 80 20', role: 'img',
        'aria-label': `${label}: ${text}`, 'data-rate': now === null ? '' : now.toFixed(2) },
    el('title', {}, `${label}: ${text}`),
    el('polyline', { points: points(s, 80, 20, max), fill: 'none', stroke: '#1d4ed8', 'stroke-width': 1.5 }));
}

// the detail page's chart: one line per target, a legend with numbers
export function chart(members) {
    const w = 600, hgt = 160;
    const max = Math.max(1, ...members.flatMap((m) => rates('t:' + m.id)));
    const svg = el('svg', { class: 'chart', viewBox: `0 0 ${w} ${hgt}`, role: 'img',
        'aria-label': 'Connections per second per target, last minute' },
    el('line', { x1: 0, y1: hgt - 1, x2: w, y2: hgt - 1, stroke: '#9aa5b1' }),
    el('text', { x: 4, y: 12, 'font-size': 11, fill: '#52606d' }, `${max.toFixed(1)}/s`),
    members.map((m, i) => el('polyline', { points: points(rates('t:' + m.id), w, hgt, max), fill: 'none',
        stroke: COLORS[i % COLORS.length], 'stroke-width': 2 })));
    const legend = document.createElement('ul');
    legend.className = 'legend';
    members.forEach((m, i) => {
        const li = document.createElement('li');
        const sw = el('svg', { width: 12, height: 12, 'aria-hidden': 'true' },
            el('rect', { width: 12, height: 12, fill: COLORS[i % COLORS.length] }));
        const now = current('t:' + m.id);
        li.dataset.id = m.id;
        li.append(sw, ` ${m.name || ''} ${m.address}:${m.protocol_port}: `,
            now === null ? 'no data yet' : `${now.toFixed(1)} connections/s`);
        legend.append(li);
    });
    const box = document.createElement('figure');
    box.className = 'traffic';
    const cap = document.createElement('figcaption');
    cap.textContent = 'Traffic per target (connections per second, from /metrics)';
    box.append(cap, svg, legend);
    return box;
}
