#!/usr/bin/perl
# weir: L7 policies of an HTTP listener (SPEC.md section 11). One listener
# with 13 policies written out of position order: every rule type
# (HOST_NAME, PATH, FILE_TYPE, HEADER, COOKIE), every compare type,
# is_inverted, every action (REDIRECT_TO_POOL, REDIRECT_TO_URL,
# REDIRECT_PREFIX, REJECT) and redirect code (301, 302, 303, 307, 308),
# a disabled policy and one without rules (neither ever applies). Each
# request of the table asserts the group reached (its backend answers its
# name) or the status, Location and empty body. An HTTPS listener has
# policies too: one sends requests to an HTTPS (re-encrypting) group.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect read_response);

my $w = Weir->new;

my $dir = $w->dir;
for my $c (['main', 'main.test'], ['target', 'target.test']) {
    system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
           . " -nodes -days 2 -subj /CN=$c->[1] -keyout $dir/$c->[0].key"
           . " -out $dir/$c->[0].pem 2>/dev/null") == 0
        or die "openssl req failed\n";
}

my %b = map { $_ => start_http_backend(name => $_) } qw(DEF STATIC API BETA);
$b{TLS} = start_http_backend(name => 'TLS',
                             tls => { cert => "$dir/target.pem",
                                      key => "$dir/target.key" });
my $port = free_port();
my $sport = free_port();

sub group {
    my ($name, $be) = @_;
    return "      - name: $name\n        protocol: HTTP\n        members:\n"
        . "          - { address: 127.0.0.1, protocol_port: $b{$be}{port} }\n";
}

my $groups = group('tg-def', 'DEF') . group('tg-static', 'STATIC')
    . group('tg-api', 'API') . group('tg-beta', 'BETA');

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: $port
        target_group: tg-def
        l7_policies:
          - name: mobile
            position: 12
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-api
            rules:
              - { type: HEADER, key: User-Agent, compare_type: REGEX, value: "Mobile|Android" }
              - { type: COOKIE, key: desktop, compare_type: EQUAL_TO, value: "yes", is_inverted: true }
          - name: catch-all-disabled
            position: 11
            is_enabled: false
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-beta
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: "/" }
          - name: no-rules
            position: 1
            action: REJECT
            rules: []
          - name: reject-admin
            position: 2
            action: REJECT
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /admin }
              - { type: HEADER, key: X-Admin-Token, compare_type: EQUAL_TO, value: secret, is_inverted: true }
          - name: beta
            position: 10
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-beta
            rules:
              - { type: COOKIE, key: beta, compare_type: EQUAL_TO, value: "1" }
              - { type: HOST_NAME, compare_type: CONTAINS, value: example }
          - name: old-host
            position: 3
            action: REDIRECT_TO_URL
            redirect_url: https://new.example.com/
            redirect_http_code: 301
            rules:
              - { type: HOST_NAME, compare_type: EQUAL_TO, value: old.example.com }
          - name: secure
            position: 4
            action: REDIRECT_PREFIX
            redirect_prefix: https://secure.example.com
            redirect_http_code: 308
            rules:
              - { type: HOST_NAME, compare_type: REGEX, value: '^(www\\.)?secure\\.example\\.(com|org)\$' }
          - name: legacy
            position: 5
            action: REDIRECT_TO_URL
            redirect_url: http://legacy.example.com/gone
            rules:
              - { type: PATH, compare_type: EQUAL_TO, value: /old-page }
          - name: see-other
            position: 6
            action: REDIRECT_PREFIX
            redirect_prefix: https://mirror.example.com/
            redirect_http_code: 303
            rules:
              - { type: PATH, compare_type: CONTAINS, value: /mirror/ }
              - { type: COOKIE, key: region, compare_type: STARTS_WITH, value: eu }
          - name: maintenance
            position: 7
            action: REDIRECT_PREFIX
            redirect_prefix: http://tmp.example.com
            redirect_http_code: 307
            rules:
              - { type: HEADER, key: X-Maintenance, compare_type: CONTAINS, value: "yes" }
          - name: images
            position: 8
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-static
            rules:
              - { type: FILE_TYPE, compare_type: REGEX, value: '^(png|jpe?g|gif)\$' }
          - name: css
            position: 9
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-static
            rules:
              - { type: FILE_TYPE, compare_type: EQUAL_TO, value: css }
          - name: api
            position: 9
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-api
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /api/ }
              - { type: HEADER, key: Accept, compare_type: ENDS_WITH, value: json }
      - name: https
        protocol: HTTPS
        protocol_port: $sport
        target_group: tg-def
        tls_certificate: main.pem
        tls_key: main.key
        l7_policies:
          - name: reencrypt
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-tls
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /secure/ }
          - name: to-http
            action: REDIRECT_PREFIX
            redirect_prefix: http://plain.example
            redirect_http_code: 301
            rules:
              - { type: HOST_NAME, compare_type: ENDS_WITH, value: .plain }
    target_groups:
$groups      - name: tg-tls
        protocol: HTTPS
        members:
          - { address: 127.0.0.1, protocol_port: $b{TLS}{port} }
EOF

ok($w->start($port, $sport), 'weir started')
    or BAIL_OUT('weir did not start');

# one request on a kept-alive connection: the response
my $sock;
sub req {
    my ($host, $path, @h) = @_;
    for my $try (1, 2) {
        $sock //= http_connect($port);
        my $r = "GET $path HTTP/1.1\r\nHost: $host\r\n";
        for (my $i = 0; $i < @h; $i += 2) { $r .= "$h[$i]: $h[$i+1]\r\n"; }
        $r .= "\r\n";
        if (defined syswrite($sock, $r)) {
            my $resp = read_response($sock, 'GET');
            return $resp if $resp;
        }
        undef $sock;
    }
    return undef;
}

my $H = 'www.example.com';

# [ what, host, path, [headers], group name | [status, Location] ]
my @cases = (
    # no policy matches: the default group
    [ 'plain request', $H, '/', [], 'DEF' ],
    [ 'a page', $H, '/index.html', [], 'DEF' ],
    [ 'no-rules policy never applies', $H, '/x', [], 'DEF' ],

    # REJECT: PATH STARTS_WITH and an inverted HEADER EQUAL_TO
    [ 'admin without token', $H, '/admin', [], [403] ],
    [ 'admin subpath without token', $H, '/admin/users?id=1', [], [403] ],
    [ 'admin with wrong token', $H, '/admin', ['X-Admin-Token', 'nope'],
      [403] ],
    [ 'admin with token', $H, '/admin', ['X-Admin-Token', 'secret'], 'DEF' ],
    [ 'header name in another case', $H, '/admin',
      ['x-admin-token', 'secret'], 'DEF' ],
    [ 'header value case matters', $H, '/admin',
      ['X-Admin-Token', 'SECRET'], [403] ],
    [ 'admin-like path not under /admin', $H, '/administrator', [], [403] ],
    [ 'path not starting with /admin', $H, '/x/admin', [], 'DEF' ],

    # REDIRECT_TO_URL 301, HOST_NAME EQUAL_TO (any case, no port)
    [ 'old host', 'old.example.com', '/a?b=1', [],
      [301, 'https://new.example.com/'] ],
    [ 'old host in capitals with a port', 'OLD.Example.COM:8080', '/', [],
      [301, 'https://new.example.com/'] ],
    [ 'old host as a prefix only', 'old.example.com.evil', '/', [], 'DEF' ],

    # REDIRECT_PREFIX 308, HOST_NAME REGEX (anchored, caseless)
    [ 'secure host keeps path and query', 'secure.example.com',
      '/p/q?x=1&y=2', [], [308, 'https://secure.example.com/p/q?x=1&y=2'] ],
    [ 'secure www host', 'www.secure.example.org', '/', [],
      [308, 'https://secure.example.com/'] ],
    [ 'secure host any case', 'Secure.Example.Com', '/z', [],
      [308, 'https://secure.example.com/z'] ],
    [ 'regex anchor: suffix host', 'notsecure.example.com', '/', [], 'DEF' ],
    [ 'regex anchor: longer host', 'secure.example.com.au', '/', [], 'DEF' ],

    # REDIRECT_TO_URL with the default code 302, PATH EQUAL_TO without query
    [ 'legacy page', $H, '/old-page', [],
      [302, 'http://legacy.example.com/gone'] ],
    [ 'legacy page with a query', $H, '/old-page?from=mail', [],
      [302, 'http://legacy.example.com/gone'] ],
    [ 'legacy page longer path', $H, '/old-page2', [], 'DEF' ],

    # REDIRECT_PREFIX 303: PATH CONTAINS and COOKIE STARTS_WITH
    [ 'mirror with eu cookie', $H, '/files/mirror/a.zip',
      ['Cookie', 'a=b; region=eu-west'],
      [303, 'https://mirror.example.com/files/mirror/a.zip'] ],
    [ 'mirror with us cookie', $H, '/files/mirror/a.zip',
      ['Cookie', 'region=us-east'], 'DEF' ],
    [ 'mirror without cookie', $H, '/files/mirror/a.zip', [], 'DEF' ],
    [ 'mirror cookie in the second Cookie field', $H, '/mirror/x',
      ['Cookie', 'a=1', 'Cookie', 'region=eu'],
      [303, 'https://mirror.example.com/mirror/x'] ],

    # REDIRECT_PREFIX 307: HEADER CONTAINS
    [ 'maintenance header', $H, '/shop?q=1', ['X-Maintenance', 'oh yes'],
      [307, 'http://tmp.example.com/shop?q=1'] ],
    [ 'maintenance header says no', $H, '/shop', ['X-Maintenance', 'no'],
      'DEF' ],

    # REDIRECT_TO_POOL: FILE_TYPE REGEX and EQUAL_TO
    [ 'png', $H, '/img/logo.png', [], 'STATIC' ],
    [ 'jpeg with a query', $H, '/a.jpeg?w=10', [], 'STATIC' ],
    [ 'jpg', $H, '/a.b/c.jpg', [], 'STATIC' ],
    [ 'extension is the last one', $H, '/a.png.txt', [], 'DEF' ],
    [ 'dot in a directory only', $H, '/a.png/readme', [], 'DEF' ],
    [ 'regex anchored extension', $H, '/x.apng', [], 'DEF' ],
    [ 'css', $H, '/s/site.css', [], 'STATIC' ],
    [ 'css is case-sensitive', $H, '/s/site.CSS', [], 'DEF' ],

    # same position: file order (css before api); PATH STARTS_WITH and
    # HEADER ENDS_WITH
    [ 'api json', $H, '/api/v1/items', ['Accept', 'application/json'],
      'API' ],
    [ 'api html', $H, '/api/v1/items', ['Accept', 'text/html'], 'DEF' ],
    [ 'api without Accept', $H, '/api/v1/items', [], 'DEF' ],
    [ 'api stylesheet goes by css first', $H, '/api/x.css',
      ['Accept', 'application/json'], 'STATIC' ],

    # COOKIE EQUAL_TO and HOST_NAME CONTAINS (disabled catch-all after it)
    [ 'beta cookie', $H, '/', ['Cookie', 'beta=1'], 'BETA' ],
    [ 'beta cookie other host', 'localhost', '/', ['Cookie', 'beta=1'],
      'DEF' ],
    [ 'beta cookie other value', $H, '/', ['Cookie', 'beta=10'], 'DEF' ],
    [ 'cookie name is case-sensitive', $H, '/', ['Cookie', 'Beta=1'],
      'DEF' ],

    # HEADER REGEX and an inverted COOKIE (missing cookie: matches)
    [ 'mobile user agent', $H, '/', ['User-Agent', 'Foo Mobile Safari'],
      'API' ],
    [ 'android user agent', $H, '/', ['User-Agent', 'Linux; Android 14'],
      'API' ],
    [ 'mobile asking for desktop', $H, '/',
      ['User-Agent', 'Mobile', 'Cookie', 'desktop=yes'], 'DEF' ],
    [ 'mobile with another desktop value', $H, '/',
      ['User-Agent', 'Mobile', 'Cookie', 'desktop=no'], 'API' ],
    [ 'desktop user agent', $H, '/', ['User-Agent', 'X11; Linux'], 'DEF' ],

    # the first policy by position wins
    [ 'old host beats images', 'old.example.com', '/a.png', [],
      [301, 'https://new.example.com/'] ],
    [ 'reject beats maintenance', $H, '/admin', ['X-Maintenance', 'yes'],
      [403] ],
);

cmp_ok(scalar(@cases), '>=', 40, 'at least 40 requests');

for my $c (@cases) {
    my ($what, $host, $path, $h, $want) = @$c;
    my $r = req($host, $path, @$h);

    if (!$r) {
        fail("$what: no response");
        next;
    }

    if (!ref $want) {
        is($r->{status} . ' ' . ($r->{headers}{'x-backend'} // '-'),
           "200 $want", "$what: group of $want");
        next;
    }

    my ($status, $loc) = @$want;

    if ($status == 403) {
        is($r->{status} . ' ' . ($r->{headers}{'x-backend'} // '-'),
           '403 -', "$what: 403 from weir");
        next;
    }

    is(join(' ', $r->{status}, $r->{headers}{location} // '-',
            $r->{headers}{'content-length'} // '-', length($r->{body})),
       "$status $loc 0 0", "$what: $status to $loc, empty body");
}

# an HTTPS listener: the same policies, a group re-encrypting to an
# HTTPS target
for my $c (['/secure/a', 'www.example.com', '200 TLS'],
           ['/open', 'www.example.com', '200 DEF'],
           ['/x?y', 'a.plain', '301 http://plain.example/x?y']) {
    my ($path, $host, $want) = @$c;
    my $s = http_connect($sport, { SSL_hostname => 'main.test' });
    my $r;
    if ($s) {
        syswrite($s, "GET $path HTTP/1.1\r\nHost: $host\r\n\r\n");
        $r = read_response($s, 'GET');
    }
    is($r ? "$r->{status} " . ($r->{headers}{'x-backend'}
                               // $r->{headers}{location} // '-') : '-',
       $want, "HTTPS $host$path: $want");
}

# a redirect keeps the connection for the next request
my $s = http_connect($port);
my $req = "GET /old-page HTTP/1.1\r\nHost: x\r\n\r\n"
    . "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
syswrite($s, $req);
my $r1 = read_response($s, 'GET');
my $r2 = read_response($s, 'GET');
is(($r1 ? $r1->{status} : '-') . ' ' . ($r2 ? $r2->{status} : '-')
   . ' ' . ($r2 ? $r2->{headers}{'x-backend'} // '-' : '-'),
   '302 200 DEF', 'a redirect, then the next request on the connection');

# a HEAD to a rejected path gets the head only
$s = http_connect($port);
syswrite($s, "HEAD /admin HTTP/1.1\r\nHost: x\r\n\r\n");
my $rh = read_response($s, 'HEAD');
is($rh ? "$rh->{status} " . length($rh->{body}) : '-', '403 0',
   'HEAD of a rejected path: 403 without a body');

# the file changed by hand (css now scss, the catch-all enabled) and
# applied live (SIGUSR2, as the admin API does): the same workers, the
# new outcome
my @workers = sort $w->workers;
my $yaml = do { local $/; open(my $fh, '<', "$dir/weir.yaml") or die $!;
                <$fh> };
$yaml =~ s/value: css \}/value: scss }/ or die 'no css rule';
$yaml =~ s/is_enabled: false\n/is_enabled: true\n/ or die 'no is_enabled';
$w->write_config($yaml);
$w->signal('USR2');
my $got;
wait_for(sub {
    my $r = req($H, '/s/site.css');
    $got = $r ? ($r->{headers}{'x-backend'} // $r->{status}) : '-';
    return $got eq 'BETA';
}, 15);
is($got, 'BETA', 'applied live: css is no rule now, the catch-all takes it');
my $r = req($H, '/s/site.scss');
is($r && $r->{headers}{'x-backend'}, 'STATIC', 'and scss is');
$r = req($H, '/img/logo.png');
is($r && $r->{headers}{'x-backend'}, 'STATIC',
   'policies before the catch-all still act first');
is_deeply([sort $w->workers], \@workers, 'no reload: the same workers');

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;

done_testing();
