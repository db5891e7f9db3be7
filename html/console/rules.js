// weir console: the rules of SPEC.md sections 1-7 the forms check before
// sending. The API checks them again and its message wins: these only
// spare a round trip and decide which choices a form offers.

// section 2: listener protocol -> target group protocols it may use
export const GROUP_PROTOCOLS = {
    HTTP: ['HTTP', 'PROXY'],
    HTTPS: ['HTTP', 'HTTPS'],
    TCP: ['TCP', 'HTTP', 'HTTPS', 'PROXY'],
    TLS: ['TCP'],
    UDP: ['UDP'],
};
export const ALL_GROUP_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'UDP', 'PROXY'];
export const DSR_PROTOCOLS = { TCP: ['TCP'], UDP: ['UDP'] };

export function groupProtocols(balancer, listener) {
    if (!listener) {
        if (balancer && balancer.type === 'ALB') return ['HTTP', 'HTTPS', 'PROXY'];
        if (balancer && balancer.type === 'NLB_L4_DSR') return ['TCP', 'UDP'];
        return ALL_GROUP_PROTOCOLS;
    }
    if (balancer && balancer.type === 'NLB_L4_DSR') return DSR_PROTOCOLS[listener.protocol] || [];
    return GROUP_PROTOCOLS[listener.protocol] || [];
}

export const ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP'];
// SPEC 13: one value, fixed after creation
export const ALPN_PROTOCOLS = ['http/1.1', 'h2'];

// section 5: sticky types by group protocol x listener protocol
export function stickyTypes(groupProtocol, listenerProtocol) {
    if (groupProtocol === 'HTTP' && listenerProtocol === 'HTTP') return ['HTTP_COOKIE', 'APP_COOKIE'];
    if (groupProtocol === 'TCP' && listenerProtocol === 'TCP') return ['SOURCE_IP'];
    if (groupProtocol === 'UDP' && listenerProtocol === 'UDP') return ['SOURCE_IP'];
    return [];
}

export const defaultTimeout = (type) => (type === 'HTTP_COOKIE' ? 3600 : 360);

// section 6
export const CHECK_TYPES = {
    HTTP: ['HTTP', 'PING'],
    TCP: ['PING', 'TCP'],
    UDP: ['TCP', 'HTTP'],
    PROXY: ['PING', 'TCP'],
    HTTPS: ['HTTPS', 'TCP', 'PING'],
};
export const HTTP_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS',
                             'PATCH', 'POST', 'PUT', 'TRACE'];
export const MONITOR_DEFAULTS = { delay: 30, timeout: 5, max_retries: 5,
    max_retries_down: 2, http_method: 'GET', http_version: '1.1',
    url_path: '/', expected_codes: '200' };
export const isHttpCheck = (t) => t === 'HTTP' || t === 'HTTPS';

// section 1: names of target groups and balancers
export const NAME_RULE = '4-250 characters of A-Z a-z 0-9 _ -, starting ' +
    'with a letter, not ending with _ or -, no two of _ - in a row';

export function checkName(s) {
    if (s.length < 4 || s.length > 250) return 'must be 4 to 250 characters';
    if (!/^[A-Za-z]/.test(s)) return 'must start with a letter';
    if (/[^A-Za-z0-9_-]/.test(s)) return 'may contain only A-Z a-z 0-9 _ -';
    if (/[_-]$/.test(s)) return 'must not end with _ or -';
    if (/[_-]{2}/.test(s)) return 'must not have two of _ - in a row';
    return null;
}

export function checkInt(v, min, max) {
    if (!/^-?\d+$/.test(String(v).trim())) return `must be an integer from ${min} to ${max}`;
    const n = Number(v);
    if (n < min || n > max) return `must be from ${min} to ${max}`;
    return null;
}

export function checkCookie(s) {
    if (s.length < 1 || s.length > 255) return 'must be 1 to 255 characters';
    if (/[^A-Za-z0-9!#$%^&_*+~-]/.test(s)) return 'may contain only A-Z a-z 0-9 ! # $ % ^ & _ * + ~ -';
    return null;
}

export function checkCodes(s) {
    const ok = /^\s*\d{3}(\s*-\s*\d{3})?(\s*,\s*\d{3}(\s*-\s*\d{3})?)*\s*$/.test(s);
    return ok ? null : 'a code, a comma list or a range of 3-digit codes (200, 201,202, 200-299)';
}

export function checkPath(s) {
    if (!s.startsWith('/')) return 'must start with /';
    if (s.length > 121) return 'at most 120 characters after /';
    if (/\s/.test(s)) return 'must not contain blanks';
    return null;
}

export function checkAddress(s) {
    const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
    if (v4.test(s)) return null;
    if (/^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':') && s.split('::').length <= 2) return null;
    return 'must be an IPv4 or IPv6 address';
}

// the monitor fields' errors, keyed by field name
export function checkMonitor(m) {
    const e = {};
    const d = checkInt(m.delay, 1, 3600); if (d) e.delay = d;
    const t = checkInt(m.timeout, 1, 900); if (t) e.timeout = t;
    if (!d && !t && Number(m.timeout) >= Number(m.delay)) e.timeout = `timeout (${m.timeout}) must be less than delay (${m.delay})`;
    const r = checkInt(m.max_retries, 1, 10); if (r) e.max_retries = r;
    const rd = checkInt(m.max_retries_down, 1, 10); if (rd) e.max_retries_down = rd;
    if (isHttpCheck(m.type)) {
        const c = checkCodes(m.expected_codes || ''); if (c) e.expected_codes = c;
        const p = checkPath(m.url_path || ''); if (p) e.url_path = p;
    }
    return e;
}

// section 4: converted = ceil(weight/256*100); ratio = converted / sum
// (in integers, as weir computes them: tenths rounded half up)
export const converted = (w) => Math.floor((Number(w) * 100 + 255) / 256);

export function ratios(weights) {
    const conv = weights.map(converted);
    const sum = conv.reduce((a, b) => a + b, 0);
    return conv.map((c) => (sum ? Math.floor((c * 2000 + sum) / (2 * sum)) / 10 : 0));
}
