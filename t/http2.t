#!/usr/bin/perl
# weir: HTTP/2 clients of an HTTPS listener (SPEC 13, issue 16): ALPN
# (h2 first, http/1.1 kept, per listener alpn_protocols), requests over
# h2 balanced to HTTP/1.1 targets with every behaviour of HTTP/1.1
# clients (weights, cookie stickiness, X-Forwarded-For, L7 policies,
# error pages, the access log), bodies both ways, 100 concurrent streams
# on one connection (h2load), HTTP/1.1 clients unchanged.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend count_lines log_lines
                pattern_md5 pattern_block);
use Digest::MD5 qw(md5_hex);
use WeirH2 qw(h2_connect h2_send h2_wait h2_headers h2_request h2_response
              h2_read_frame h2_frame %TYPE %ERR);

my $w = Weir->new;
my $dir = $w->dir;

system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
       . " -nodes -days 2 -subj /CN=h2.test -keyout $dir/main.key"
       . " -out $dir/main.pem 2>/dev/null") == 0
    or die "openssl req failed\n";

my $a = start_http_backend(name => 'A', log => "$dir/a.log");
my $b = start_http_backend(name => 'B', log => "$dir/b.log");
my $api = start_http_backend(name => 'API', log => "$dir/api.log");

my $dead = free_port();
my %port = map { $_ => free_port() } qw(https h1only h2only);

$w->write_config(<<"EOF2");
worker_processes: 1
access_log: logs/access.log
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: $port{https}
        target_group: pool
        tls_certificate: main.pem
        tls_key: main.key
        insert_headers: { X-Forwarded-For: true, X-Forwarded-Proto: true }
        l7_policies:
          - name: api
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-api
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /api }
          - name: dead
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-dead
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /dead }
          - name: moved
            action: REDIRECT_TO_URL
            redirect_url: https://elsewhere.test/
            redirect_http_code: 301
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /moved }
          - name: deny
            action: REJECT
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /deny }
      - name: h1only
        protocol: HTTPS
        protocol_port: $port{h1only}
        target_group: pool
        tls_certificate: main.pem
        tls_key: main.key
        alpn_protocols: [http/1.1]
      - name: h2only
        protocol: HTTPS
        protocol_port: $port{h2only}
        target_group: pool
        tls_certificate: main.pem
        tls_key: main.key
        alpn_protocols: [h2]
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $a->{port}, weight: 64 }
          - { address: 127.0.0.1, protocol_port: $b->{port}, weight: 192 }
      - name: tg-dead
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $dead }
      - name: tg-api
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $api->{port} }
EOF2
ok($w->start($port{https}), 'weir started')
    or BAIL_OUT('no weir: ' . `cat $dir/stderr.log $dir/logs/error.log 2>/dev/null`);

my $base = "https://127.0.0.1:$port{https}";

sub curl {
    my (@args) = @_;
    my $cmd = join(' ', 'curl -sk --max-time 10', @args);
    return scalar `$cmd 2>&1`;
}

# --- ALPN and a simple GET ---

my $out = curl('--http2', '-o /dev/null', "-w '%{http_version}'", "$base/");
is($out, '2', 'curl --http2 negotiates h2 by ALPN');

$out = curl('--http1.1', '-o /dev/null', "-w '%{http_version}'", "$base/");
is($out, '1.1', 'curl --http1.1 still gets HTTP/1.1');

$out = curl('--http2', '-o /dev/null', "-w '%{http_version}'",
            "https://127.0.0.1:$port{h1only}/");
is($out, '1.1', 'alpn_protocols: [http/1.1] keeps an h2-capable client on '
   . 'HTTP/1.1');

$out = `echo | openssl s_client -connect 127.0.0.1:$port{h2only} -alpn http/1.1,h2 2>&1`;
like($out, qr/^ALPN protocol: h2$/m,
     'alpn_protocols: [h2] chooses h2 even where the client prefers '
     . 'http/1.1');
$out = `echo | openssl s_client -connect 127.0.0.1:$port{https} -alpn http/1.1,h2 2>&1`;
like($out, qr/^ALPN protocol: h2$/m,
     'the default prefers h2 as well (the server chooses)');
$out = curl('--http1.1', '-o /dev/null', "-w '%{http_version} %{http_code}'",
            "https://127.0.0.1:$port{h2only}/");
is($out, '1.1 200', 'a client without h2 on an h2-only listener gets no '
   . 'ALPN and HTTP/1.1');

$out = curl('--http2', '-D -', "$base/");
like($out, qr{^HTTP/2 200 ?\r\n}, 'GET over h2 answered 200');
like($out, qr{\r\nx-backend: [AB]\r\n}, 'the answer comes from a target');
unlike($out, qr{\r\n(connection|keep-alive|transfer-encoding):}i,
       'no connection-specific field in an h2 response');
like($out, qr{\r\n\r\n[AB]\n\z}, 'the body is the target\'s');


# --- bodies both ways ---

$out = curl('--http2', "$base/length?3000000", '| md5sum');
is(substr($out, 0, 32), pattern_md5(3000000),
   'a 3 MB Content-Length response over h2 is whole');

$out = curl('--http2', "$base/download?5000000", '| md5sum');
is(substr($out, 0, 32), pattern_md5(5000000),
   'a 5 MB chunked response reaches the h2 client as DATA, whole');

$out = curl('--http2', '-D -', "$base/download?0");
like($out, qr{^HTTP/2 200}, 'an empty chunked response is a 200');
unlike($out, qr{transfer-encoding}i, 'without Transfer-Encoding');

open(my $up, '>', "$dir/up.bin") or die;
my $blk = pattern_block();
print $up $blk for 1 .. 32;            # 2 MiB
close $up;
my $upmd5 = md5_hex($blk x 32);

$out = curl('--http2', "--data-binary \@$dir/up.bin", "$base/upload");
like($out, qr{^[AB] 2097152 $upmd5$}m,
     'a 2 MiB upload with content-length reaches the target whole');

$out = curl('--http2', "-H 'Transfer-Encoding: chunked'",
            "-T $dir/up.bin", "$base/upload");
like($out, qr{^[AB] 2097152 $upmd5$}m,
     'a 2 MiB upload without content-length goes chunked, whole');

# 30 MiB: the session's buffer fills to a few bytes of room again and
# again, where no chunk fits (a lost wake-up once stalled the stream
# until timeout_client_data)
open($up, '>', "$dir/up30.bin") or die;
print $up $blk for 1 .. 480;
close $up;
my $t0 = time;
$out = curl('--http2', "-H 'Transfer-Encoding: chunked'",
            "-T $dir/up30.bin", "$base/upload");
like($out, qr{^[AB] 31457280 @{[ md5_hex($blk x 480) ]}$}m,
     'a 30 MiB upload without content-length goes chunked, whole');
ok(time - $t0 < 8, 'and does not stall');

# --- the request as the target sees it ---

$out = curl('--http2', "-H 'Cookie: a=1' -H 'Cookie: b=2'",
            "-H 'X-Custom: yes'", "$base/echo");
like($out, qr{^GET /echo HTTP/1\.1\r\n}, 'the target gets HTTP/1.1');
like($out, qr{\r\nhost: 127\.0\.0\.1:$port{https}\r\n}i,
     ':authority is the Host');
like($out, qr{\r\ncookie: a=1; b=2\r\n}i, 'cookie crumbs are joined');
like($out, qr{\r\nx-custom: yes\r\n}i, 'other fields pass');
like($out, qr{\r\nX-Forwarded-For: 127\.0\.0\.1\r\n}i,
     'X-Forwarded-For is added for h2 clients');
like($out, qr{\r\nX-Forwarded-Proto: https\r\n}i, 'X-Forwarded-Proto too');
unlike($out, qr{\r\n:}, 'no pseudo-header reaches the target');

# --- L7 policies and error pages ---

$out = curl('--http2', "$base/api/x");
is($out, "API\n", 'an L7 policy routes an h2 request to its group');
$out = curl('--http2', "-o /dev/null -w '%{http_code}'", "$base/deny");
is($out, '403', 'REJECT answers an h2 request 403');
$out = curl('--http2', "-D -", "$base/moved/x");
like($out, qr{^HTTP/2 301.*\r\nlocation: https://elsewhere\.test/}si,
     'REDIRECT_TO_URL answers 301 with its location over h2');
$out = curl('--http2', "-D -", "$base/dead");
like($out, qr{^HTTP/2 502}, 'a target that refuses gets the h2 client 502');
like($out, qr{<html>}i, 'with the error page as its body');
$out = curl('--http2', "-o /dev/null -w '%{http_code}'", "$base/status?204");
is($out, '204', 'a 204 goes through');
$out = curl('--http2', "-I", "$base/length?100");
like($out, qr{^HTTP/2 200.*content-length: 100}si, 'HEAD over h2');

# bodies weir does not read (a REJECT answers before them) give their
# bytes back to the connection's window: 40 x 60 000 bytes, more than the
# 1 MiB window, on one connection
{
    my $c = h2_connect($port{https});
    my ($answered, $bad) = (0, '');
    for my $i (0 .. 39) {
        my $id = 2 * $i + 1;
        my $bytes = h2_headers($id, 0, ':method' => 'POST',
                               ':scheme' => 'https', ':path' => '/deny',
                               ':authority' => 'h2.test',
                               'content-length' => '60000');
        for my $k (0 .. 3) {
            $bytes .= h2_frame('DATA', $k == 3 ? 1 : 0, $id,
                               'd' x ($k == 3 ? 60000 - 3 * 16000 : 16000));
        }
        h2_send($c, $bytes);
        my $f = h2_wait($c, sub { ($_[0]{stream} == $id
                                   && $_[0]{type} == $TYPE{HEADERS})
                                  || $_[0]{type} == $TYPE{GOAWAY} }, 5);
        if ($f && $f->{type} == $TYPE{HEADERS}) {
            $answered++;
        } else {
            $bad = $f ? "GOAWAY code $f->{code}" : 'nothing';
            last;
        }
    }
    is($answered, 40, 'bodies weir did not read do not use up the '
       . "connection's window ($bad)");
    close $c->{sock};
}

# --- weights and 100 concurrent streams on one connection ---

my $a0 = count_lines("$dir/a.log", qr/^req GET \/$/);
my $b0 = count_lines("$dir/b.log", qr/^req GET \/$/);
$out = `h2load -n 400 -c 1 -m 100 https://127.0.0.1:$port{https}/ 2>&1`;
like($out, qr/requests: 400 total, 400 started, 400 done, 400 succeeded/,
     'h2load: 400 requests, 100 streams at a time on one connection, '
     . 'all succeed');
my $na = count_lines("$dir/a.log", qr/^req GET \/$/) - $a0;
my $nb = count_lines("$dir/b.log", qr/^req GET \/$/) - $b0;
is($na + $nb, 400, 'the targets got 400 requests');
is($na, 100, 'weights 64:192 give 25/75 over h2 (A: 100 of 400)');

# --- HTTP/1.1 unchanged on the same listener ---

$out = curl('--http1.1', '-D -', "$base/hop");
like($out, qr{^HTTP/1\.1 200}, 'HTTP/1.1 clients are served as before');

# --- the access log ---

ok(wait_for(sub { count_lines("$dir/logs/access.log",
                              qr{"GET /api/x HTTP/2\.0" 200 }) == 1 }),
   'the access log has the h2 request, as HTTP/2.0');
ok(wait_for(sub { count_lines("$dir/logs/access.log",
                              qr{"GET / HTTP/2\.0" 200 }) >= 400 }),
   'and a line per h2load request');

# --- a graceful stop (reload): GOAWAY NO_ERROR, the stream begun ends ---

my $slow0 = count_lines("$dir/a.log", qr{^req GET /slow})
            + count_lines("$dir/b.log", qr{^req GET /slow});
my $c = h2_connect($port{https});
h2_send($c, h2_headers(1, 1, h2_request('/slow?3000')));
ok(wait_for(sub { count_lines("$dir/a.log", qr{^req GET /slow})
                  + count_lines("$dir/b.log", qr{^req GET /slow})
                  > $slow0 }), 'a slow request is under way over h2');
$w->signal('HUP');
my $g = h2_wait($c, sub { $_[0]{type} == $TYPE{GOAWAY} }, 10);
is($g && $g->{code}, $ERR{NO_ERROR},
   'a reload tells the h2 client GOAWAY NO_ERROR');
is($g && $g->{last}, 1, 'naming the stream under way as the last one');
my ($st, $body) = h2_response($c, 1, 10);
is($st, '200', 'the stream under way is answered all the same');
like($body, qr/^[AB]\n\z/, 'with its body');
1 while h2_read_frame($c, 3);
ok($c->{eof}, 'then the connection is closed');

check_clean($w);

done_testing();
