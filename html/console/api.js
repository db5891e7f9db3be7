// weir console: the management API (SPEC.md section 10). The token lives
// in sessionStorage only, goes in X-Auth-Token, never in a URL.

const KEY = 'weir.token';
export const BASE = '/api/v1/load-balancers';

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(t) { sessionStorage.setItem(KEY, t); }
export function signOut() { sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
    constructor(status, body) {
        const e = (body && body.error) || {};
        super(e.message || `HTTP ${status}`);
        this.status = status;
        this.code = e.code || status;
        this.field = e.field || null;
    }
}

let onUnauthorized = () => {};
export function whenUnauthorized(f) { onUnauthorized = f; }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pending = (list) => (list || []).some((o) => /^PENDING/.test(o.provisioning_status));

// SPEC.md section 8: while a change is being applied, another answers
// 409. A change waits (at most 10 s) until nothing is PENDING_*, and is
// sent again if it meets a 409 all the same; a lasting 409 is shown.
async function settled() {
    for (let i = 0; i < 40; i++) {
        const [b, g] = await Promise.all([send('GET', BASE), send('GET', BASE + '/target-groups')]);
        if (!pending(b.load_balancers) && !pending(g.target_groups)) return;
        await sleep(250);
    }
}

export async function api(method, path, body, opts = {}) {
    if (method === 'GET') return send(method, path, body, opts);
    for (let i = 0; ; i++) {
        await settled();
        try {
            return await send(method, path, body);
        } catch (e) {
            if (e.status !== 409 || !/pending/i.test(e.message) || i === 4) throw e;
        }
    }
}

async function send(method, path, body, opts = {}) {
    const headers = { 'X-Auth-Token': token() || '', Accept: opts.text ? 'text/plain' : 'application/json' };
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    let res;
    try {
        res = await fetch(path, init);
    } catch (e) {
        throw new ApiError(0, { error: { message: 'the admin API cannot be reached: ' + e.message } });
    }
    const text = await res.text();
    if (res.ok && opts.text) return text;
    let json = null;
    if (text) {
        try { json = JSON.parse(text); } catch (e) { json = null; }
    }
    if (!res.ok) {
        const err = new ApiError(res.status, json);
        if (!json) err.message = `HTTP ${res.status}: ${text.slice(0, 200)}`;
        if (res.status === 401) onUnauthorized(err);
        throw err;
    }
    return json;
}

export const get = (p) => api('GET', p);

// the lists the console shows, with names resolved
export async function loadAll() {
    const [lbs, ls, tgs] = await Promise.all([
        get(BASE), get(BASE + '/listeners'), get(BASE + '/target-groups')]);
    return { balancers: lbs.load_balancers, listeners: ls.listeners,
             groups: tgs.target_groups };
}
