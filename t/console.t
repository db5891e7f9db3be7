#!/usr/bin/perl
# weir: the web console (issue 12, SPEC.md section 10). The admin process
# serves html/console at "/" of admin.listen without a token, by exact
# name only, with a strict Content-Security-Policy, nosniff, no framing
# and an ETag; then headless Chromium (Debian's chromium, driven by
# playwright-core from t/console/node_modules, installed by auto/deps)
# runs t/console/console.mjs against a running weir: sign-in, the list,
# the detail tabs, the create steps, dialogs, live status, an
# accessibility pass, sign-out, and with the write API the changes
# themselves. Screenshots go to objs/console/.
#
# The browser part is skipped (not failed) only when chromium or the npm
# packages are not installed and CI is not set; under CI=true they must
# be there.
use strict;
use warnings;
use lib 't/lib';
use File::Path qw(make_path);
use IO::Socket::INET;
use IO::Select;
use Test::More;
use Weir qw(free_port wait_for start_backend stop_server);

my $ci = ($ENV{CI} // '') eq 'true';
my ($chromium) = grep { defined && -x } $ENV{WEIR_CHROMIUM},
                 '/usr/bin/chromium', '/usr/bin/chromium-browser';
my $node = `command -v node 2>/dev/null`;
chomp $node;

my $missing = !$chromium ? 'no chromium (apt-get install chromium, or auto/deps)'
            : !$node ? 'no node (auto/deps installs nodejs and npm)'
            : !-f 't/console/node_modules/playwright-core/package.json'
              ? 'no t/console/node_modules (auto/deps runs npm ci there)'
            : undef;

my $w = Weir->new;
my $dir = $w->dir;
my $TOKEN = 'console-test-token-7c2d9e41';
open(my $tf, '>', "$dir/admin.token") or die $!;
print $tf "$TOKEN\n";
close $tf;
chmod 0600, "$dir/admin.token";

# the console's files under the prefix, as an install lays them, and
# beside them what must not be served: a hidden file, an unknown type, a
# subdirectory, a symbolic link to the token, a file over the size limit
make_path("$dir/html/console/sub");
for my $f (glob('html/console/*')) {
    my ($name) = $f =~ m{([^/]+)$};
    open(my $in, '<:raw', $f) or die "$f: $!";
    open(my $out, '>:raw', "$dir/html/console/$name") or die $!;
    print $out do { local $/; <$in> };
    close $out;
}
for my $f ('.hidden.js', 'notes.md', 'sub/inner.js', 'big.js') {
    open(my $out, '>', "$dir/html/console/$f") or die $!;
    print $out $f eq 'big.js' ? 'x' x (1048576 + 1) : "// $f\n";
    close $out;
}
symlink("$dir/admin.token", "$dir/html/console/token.txt") or die $!;

my @b = map { start_backend(name => "B$_", mode => 'tag') } 1 .. 4;
my ($ap, $lp, $hp) = (free_port(), free_port(), free_port());

$w->write_config(<<"EOF");
worker_processes: 1
admin:
  listen: 127.0.0.1:$ap
  token_file: admin.token
load_balancers:
  - name: net-lb
    type: NLB
    address: 127.0.0.1
    availability_zone: zone-a
    vpc: vpc-test
    health_check_ips:
      - { subnet_id: subnet-a, address: 127.0.0.1 }
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: $lp, target_group: app-tg }
    target_groups:
      - name: app-tg
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { name: m-1, address: 127.0.0.1, protocol_port: $b[0]{port}, weight: 100, subnet_id: subnet-a }
          - { name: m-2, address: 127.0.0.1, protocol_port: $b[1]{port}, weight: 256, instance_id: i-2 }
          - { name: m-3, address: 127.0.0.1, protocol_port: $b[2]{port}, weight: 1 }
      - name: spare-tg
        protocol: TCP
        members:
          - { name: s-1, address: 127.0.0.1, protocol_port: $b[3]{port} }
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    availability_zone: zone-b
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $hp }
EOF

ok($w->start($lp, $ap, $hp), 'weir started with an admin listener')
    or BAIL_OUT('weir did not start: ' . $w->log_text);

# One request on a new connection, from a loopback source address of its
# own (so that the deliberate 401s do not meet the failure limit, and the
# browser from 127.0.0.1 does not); { status, headers, body }
my $src = 0;

sub request {
    my ($raw) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  LocalAddr => '127.0.3.' . ($src++ % 250 + 1),
                                  Proto => 'tcp', Timeout => 5) or return;
    print $s $raw;
    my $sel = IO::Select->new($s);
    my $buf = '';
    while ($sel->can_read(5)) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    return unless defined $head;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d{3})};
    my %h;
    $h{lc $1} = $2 while $head =~ /^([^:\r\n]+): ([^\r\n]*)\r$/mg;
    return { status => $status, headers => \%h, body => $body // '' };
}

sub get {
    my ($path, @hdr) = @_;
    return request("GET $path HTTP/1.1\r\nHost: x\r\n"
                   . join('', map { "$_\r\n" } @hdr)
                   . "Connection: close\r\n\r\n");
}

sub slurp { open(my $f, '<', $_[0]) or die "$_[0]: $!"; local $/; <$f> }

# --- serving ---

my $CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
        . "img-src 'self'; connect-src 'self'; object-src 'none'; "
        . "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

my $r = get('/');
is($r && $r->{status}, 200, 'GET / without a token: 200 (the page signs in)');
is($r->{headers}{'content-type'}, 'text/html; charset=utf-8', 'as text/html');
is($r->{body}, slurp('html/console/index.html'), 'the body is index.html');
is($r->{headers}{'content-security-policy'}, $CSP,
   'a strict Content-Security-Policy: self only, no inline, no framing');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff');
is($r->{headers}{'x-frame-options'}, 'DENY', 'X-Frame-Options: DENY');
is($r->{headers}{'cache-control'}, 'no-cache', 'revalidated on every load');
like($r->{headers}{etag} // '', qr/^"[0-9a-f]{8}-[0-9a-f]+"$/, 'an ETag');
for my $f (glob('html/console/*.html')) {
    unlike(slurp($f), qr/<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=/i,
           "$f has no inline script, style or handler");
}

my $etag = $r->{headers}{etag};
my $nm = get('/', "If-None-Match: $etag");
is($nm && $nm->{status}, 304, 'If-None-Match with the ETag: 304');
is($nm->{body}, '', 'without a body');
is($nm->{headers}{'content-security-policy'}, $CSP, 'and with the CSP');
is(get('/', 'If-None-Match: "other", W/' . $etag)->{status}, 304,
   'an ETag among others, weak: 304');
is(get('/', 'If-None-Match: "other"')->{status}, 200, 'another ETag: 200');

my %types = ('/app.js' => 'text/javascript; charset=utf-8',
             '/style.css' => 'text/css; charset=utf-8',
             '/index.html' => 'text/html; charset=utf-8',
             '/favicon.svg' => 'image/svg+xml');
for my $p (sort keys %types) {
    my $x = get($p);
    is($x && "$x->{status} $x->{headers}{'content-type'}", "200 $types{$p}",
       "GET $p: 200, $types{$p}");
}
is(get('/app.js?v=2')->{status}, 200, 'a query string is ignored');

$r = request("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is($r && $r->{status}, 200, 'HEAD /: 200');
is($r->{headers}{'content-length'}, -s 'html/console/index.html',
   'with the length of the file');
is($r->{body}, '', 'and no body');

$r = request("POST /app.js HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
             . "Connection: close\r\n\r\n");
is($r && $r->{status}, 405, 'POST on a console file: 405');
is($r->{headers}{allow}, 'GET, HEAD', 'with Allow: GET, HEAD');

# only files of html/console, by exact name; anything else is the API's
for my $p ('/weir.yaml', '/admin.token', '/App.js', '/app.js/', '/./app.js',
           '/html/console/app.js', '/%61pp.js', '/console/app.js',
           '/.hidden.js', '/notes.md', '/sub/inner.js', '/sub', '/big.js',
           '/token.txt') {
    my $x = get($p);
    is($x && $x->{status}, 401, "GET $p: not a console file, 401 without a "
       . 'token');
}
like($w->log_text, qr{open\(\) "[^"]*/html/console/token\.txt" failed, not served \(a symbolic link\)},
     'the log says why the symbolic link is not served');
like($w->log_text, qr{"[^"]*/html/console/big\.js" is larger than 1048576 bytes, not served},
     'and why the large file is not');
like($w->log_text, qr{console: \d+ files from "[^"]*/html/console"},
     'and how many files the console has');

$r = get('/../admin.token');
ok($r && $r->{status} >= 400 && $r->{body} !~ /\Q$TOKEN\E/,
   'GET /../admin.token: refused, the token is not in the answer');
$r = get('/api/v1/load-balancers');
is($r && $r->{status}, 401, 'the API still needs the token');
is($r->{headers}{'content-security-policy'}, undef,
   'API answers are JSON, not console pages');

# --- the browser ---

SKIP: {
    if ($missing) {
        fail("the browser tests need what is missing under CI: $missing")
            if $ci;
        skip("browser tests: $missing", 1);
    }

    my $out = 'objs/console';
    make_path($out);
    unlink glob("$out/*.png");

    local $ENV{WEIR_URL} = "http://127.0.0.1:$ap/";
    local $ENV{WEIR_TOKEN} = $TOKEN;
    local $ENV{WEIR_CHROMIUM} = $chromium;
    local $ENV{WEIR_SHOTS} = $out;
    local $ENV{WEIR_STOP_DONE} = "$dir/stopped";

    # the script asks for a target to be stopped with a line "STOP port"
    # and waits for the file WEIR_STOP_DONE; every other line is a check
    open(my $js, '-|', $node, 't/console/console.mjs') or die "node: $!";
    my $lines = 0;
    while (my $line = <$js>) {
        chomp $line;
        if ($line =~ /^STOP (\d+)$/) {
            my ($bk) = grep { $_->{port} == $1 } @b;
            stop_server($bk) if $bk;
            open(my $f, '>', "$dir/stopped") or die $!;
            close $f;
        } elsif ($line =~ /^(ok|not ok) - (.*?)(?: :: (.*))?$/) {
            $lines++;
            ok($1 eq 'ok', $2) or diag($3 // '');
        } elsif ($line =~ /^skip - (.*)$/) {
            $lines++;
            SKIP: { skip($1, 1) }
        } else {
            note($line);
        }
    }
    close $js;
    is($? >> 8, 0, 'console.mjs ran to its end');
    ok($lines >= 20, "console.mjs made $lines checks");
    ok(-s "$out/list-1280.png" && -s "$out/list-390.png",
       "screenshots in $out");
}

# a reload starts a new admin process, which reads the files again
{
    my $before = get('/style.css');
    open(my $f, '>>', "$dir/html/console/style.css") or die $!;
    print $f "/* after a reload */\n";
    close $f;
    $w->signal('HUP');
    my $after = wait_for(sub {
        my $x = get('/style.css');
        return $x && $x->{status} == 200 && $x->{body} =~ /after a reload/
               ? $x : undef;
    }, 15);
    ok($after, 'after a reload the edited file is served');
    isnt($after && $after->{headers}{etag}, $before->{headers}{etag},
         'with a new ETag');
}

$w->stop;
unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the error log');
unlike($w->log_text, qr/\Q$TOKEN\E/, 'the token is nowhere in the error log');

done_testing();
