#!/usr/bin/perl
# weir: HTTP listeners. Requests balanced by weight; keep-alive towards
# the targets (they see far fewer connections than requests) from one
# client and from many; 50 MB chunked and Content-Length bodies intact
# both ways (curl -T with Transfer-Encoding: chunked, and Expect:
# 100-continue); a WebSocket-style upgrade tunneled after the 101;
# HEAD, 204 and 304 framed right; pipelined requests; HTTP/1.0 clients
# (a chunked response loses its framing and ends with a close).
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request
                read_response pattern_md5 pattern_block count_lines);

my $w = Weir->new;
my $dir = $w->dir;

my $a = start_http_backend(name => 'A', log => "$dir/a.log");
my $b = start_http_backend(name => 'B', log => "$dir/b.log");

my %port = map { $_ => free_port() } qw(weighted rr);

sub member {
    my ($name, $p, $weight) = @_;
    return "          - { name: $name, address: 127.0.0.1, "
         . "protocol_port: $p, weight: $weight }\n";
}

# one worker: the round-robin sequence and the pool are per worker
$w->write_config(<<"EOF");
worker_processes: 1
access_log: logs/access.log
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: weighted
        protocol: HTTP
        protocol_port: $port{weighted}
        target_group: pool-weighted
      - name: rr
        protocol: HTTP
        protocol_port: $port{rr}
        target_group: pool-rr
    target_groups:
      - name: pool-weighted
        protocol: HTTP
        members:
@{[ member('a', $a->{port}, 64) . member('b', $b->{port}, 192) ]}
      - name: pool-rr
        protocol: HTTP
        members:
@{[ member('a', $a->{port}, 1) . member('b', $b->{port}, 1) ]}
EOF

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

my $accepts = sub {
    return count_lines("$dir/a.log", qr/^accept/)
         + count_lines("$dir/b.log", qr/^accept/);
};
my $requests = sub {
    return count_lines("$dir/a.log", qr/^req/)
         + count_lines("$dir/b.log", qr/^req/);
};

# --- balanced by weight: 64 and 192 are 25 % and 75 % ---
my $s = http_connect($port{weighted});
my %seen;
my $ok = 0;
for (1 .. 100) {
    my $r = http_request($s, 'GET', '/');
    next unless $r && $r->{status} == 200;
    $ok++;
    $seen{$r->{headers}{'x-backend'}}++;
}
is($ok, 100, '100 requests on one connection answered 200');
is($seen{A}, 25, 'weights 64:192 give 25/75 (A: 25)');
is($seen{B}, 75, 'weights 64:192 give 25/75 (B: 75)');
close $s;

# --- keep-alive towards the targets ---
my $base_acc = $accepts->();
my $base_req = $requests->();
$s = http_connect($port{rr});
$ok = 0;
for (1 .. 200) {
    my $r = http_request($s, 'GET', "/?i=$_");
    $ok++ if $r && $r->{status} == 200 && $r->{body} =~ /^[AB]$/m;
}
is($ok, 200, '200 keep-alive requests answered');
ok(wait_for(sub { $requests->() - $base_req == 200 }),
   'the targets got 200 requests');
my $new = $accepts->() - $base_acc;
ok($new <= 2, "200 requests over keep-alive reached the targets on "
              . "$new connections");
close $s;

# many clients one after the other share the worker's pool
$base_acc = $accepts->();
$ok = 0;
for (1 .. 50) {
    my $c = http_connect($port{rr});
    my $r = http_request($c, 'GET', '/', headers => [Connection => 'close']);
    $ok++ if $r && $r->{status} == 200;
    close $c;
}
is($ok, 50, '50 clients with a connection each answered');
$new = $accepts->() - $base_acc;
ok($new <= 4, "50 client connections reached the targets on $new "
              . "connections");

# a target that closes an idle connection, or says Connection: close:
# the pool lets it go, and the next request gets a new connection
for my $path ('/close-later', '/close') {
    my %drops = map { $_ => count_lines("$dir/$_.log", qr/^bytes/) } qw(a b);
    my $c = http_connect($port{rr});
    my $r1 = http_request($c, 'GET', $path);
    my $who = $r1 ? $r1->{headers}{'x-backend'} : '';
    my $log = $who eq 'A' ? "$dir/a.log" : "$dir/b.log";
    my $drops = $drops{lc $who || 'a'};
    # the target's side ends: it logs the connection's bytes then
    ok(wait_for(sub { count_lines($log, qr/^bytes/) > $drops }),
       "$path: the target closed its connection");
    my $before = count_lines($log, qr/^accept/);
    my ($r2, $r3) = (http_request($c, 'GET', '/'), http_request($c, 'GET', '/'));
    my $r4 = http_request($c, 'GET', '/');
    ok($r1 && $r1->{status} == 200 && $r2 && $r2->{status} == 200
       && $r3 && $r3->{status} == 200 && $r4 && $r4->{status} == 200,
       "$path: the requests after it are answered");
    ok(wait_for(sub { count_lines($log, qr/^accept/) == $before + 1 }),
       "$path: $who got one new connection");
    close $c;
}

# --- 50 MB bodies both ways ---
my $size = 50 * 1024 * 1024;
my $md5 = pattern_md5($size);

my $got = `curl -s --max-time 30 http://127.0.0.1:$port{rr}/download?$size | md5sum`;
is((split ' ', $got)[0], $md5, '50 MB chunked download intact');

$got = `curl -s --max-time 30 http://127.0.0.1:$port{rr}/length?$size | md5sum`;
is((split ' ', $got)[0], $md5, '50 MB Content-Length download intact');

my $file = "$dir/upload.bin";
open(my $fh, '>', $file) or die $!;
my $block = pattern_block();
print $fh $block for 1 .. $size / length $block;
close $fh;

$got = `curl -s --max-time 30 -T $file -H 'Transfer-Encoding: chunked' http://127.0.0.1:$port{rr}/upload`;
like($got, qr/^[AB] $size $md5$/, '50 MB chunked upload intact');

$got = `curl -s --max-time 30 -T $file -H 'Expect: 100-continue' http://127.0.0.1:$port{rr}/upload`;
like($got, qr/^[AB] $size $md5$/,
     '50 MB Content-Length upload with Expect: 100-continue intact');

# --- Expect: 100-continue: the interim response comes through ---
$s = http_connect($port{rr});
print $s "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
       . "Expect: 100-continue\r\n\r\n";
my $sel = IO::Select->new($s);
my $interim = '';
if ($sel->can_read(5)) { sysread($s, $interim, 4096); }
like($interim, qr/^HTTP\/1\.1 100 Continue\r\n\r\n$/,
     '100 Continue reaches the client before it sends the body');
print $s "hello";
my $r = read_response($s, 'POST');
like($r && $r->{body}, qr/^[AB] 5 5d41402abc4b2a76b9719d911017c592$/,
     'the body sent after the 100 arrives');
close $s;

# --- upgrade: a tunnel after the 101 ---
$s = http_connect($port{rr});
print $s "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
       . "Connection: Upgrade\r\n\r\nearly bytes|";
$r = read_response($s, 'GET');
is($r && $r->{status}, 101, 'upgrade answered 101');
like($r && $r->{raw_head}, qr/\r\nUpgrade: websocket\r\n/i,
     'the 101 keeps Upgrade');
like($r && $r->{raw_head}, qr/\r\nConnection: upgrade\r\n/i,
     'the 101 says Connection: upgrade');
my $echo = $r ? $r->{rest} : '';
syswrite($s, "raw \x00\xff bytes after the 101");
my $want = "early bytes|raw \x00\xff bytes after the 101";
while (length($echo) < length($want) && $sel->can_read(5)) {
    last unless sysread($s, my $buf, 4096);
    $echo .= $buf;
}
$sel = IO::Select->new($s);
is($echo, $want, 'bytes both ways through the tunnel, early ones first');
shutdown($s, 1);
my $end = $sel->can_read(5) ? sysread($s, my $x, 10) : undef;
is($end, 0, 'a half-close goes through the tunnel and back');
close $s;

# --- HEAD, 204, 304, pipelined ---
$s = http_connect($port{rr});
print $s "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
       . "GET /status?204 HTTP/1.1\r\nHost: x\r\n\r\n"
       . "GET /status?304 HTTP/1.1\r\nHost: x\r\n\r\n"
       . "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
my @st;
for my $m (qw(HEAD GET GET GET)) {
    my $x = read_response($s, $m);
    push @st, $x ? $x->{status} . ':' . length($x->{body}) : 'none';
}
is("@st", '200:0 204:0 304:0 200:2',
   'HEAD, 204 and 304 carry no body; four pipelined requests answered in '
   . 'order');
close $s;

# --- HTTP/1.0 ---
$got = `curl -s --http1.0 --max-time 10 http://127.0.0.1:$port{rr}/download?100000 | md5sum`;
is((split ' ', $got)[0], pattern_md5(100000),
   'HTTP/1.0 client: a chunked response arrives without its framing');

$s = http_connect($port{rr});
print $s "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
$r = read_response($s, 'GET');
like($r && $r->{raw_head}, qr/\r\nConnection: keep-alive\r\n/,
     'HTTP/1.0 keep-alive is answered keep-alive');
print $s "GET /download?10 HTTP/1.0\r\n\r\n";
$r = read_response($s, 'GET');
ok($r && $r->{raw_head} =~ /\r\nConnection: close\r\n/
   && $r->{raw_head} !~ /Transfer-Encoding/i && length($r->{body}) == 10,
   'HTTP/1.0: chunked becomes close-delimited');
close $s;

# --- access log ---
ok(wait_for(sub { -s "$dir/logs/access.log"
                  && `cat $dir/logs/access.log` =~ m{"GET /ws HTTP/1.1" 101 } }),
   'the access log has the upgrade');
like(`cat $dir/logs/access.log`,
     qr{^127\.0\.0\.1:\d+ \[\S+\] rr "GET /download\?$size HTTP/1\.1" 200 \d+ 127\.0\.0\.1:\d+ \d+ \d+ \d+$}m,
     'access log line: client, time, listener, request, status, bytes, '
     . 'target, timings');

# --- the access log follows a rotation on SIGUSR1 ---
rename("$dir/logs/access.log", "$dir/logs/access.log.1") or die $!;
$w->signal('USR1');
ok(wait_for(sub {
       my $c = http_connect($port{rr});
       http_request($c, 'GET', '/after-rotation');
       close $c;
       return -s "$dir/logs/access.log"
              && `cat $dir/logs/access.log` =~ m{"GET /after-rotation };
   }, 10), 'after SIGUSR1 lines go to a new access.log');
like(`cat $dir/logs/access.log.1`, qr{"GET /ws HTTP/1.1" 101 },
   'the rotated file keeps what was written before');

# --- a graceful stop does not wait for idle keep-alive clients ---
my @old = $w->workers;
$s = http_connect($port{rr});
$r = http_request($s, 'GET', '/');
is($r && $r->{status}, 200, 'a keep-alive client, idle after a request');
$w->signal('HUP');
ok(wait_for(sub {
       my @now = $w->workers;
       return @now && !grep { my $o = $_; grep { $_ == $o } @now } @old;
   }, 10), 'after a reload the old worker exits at once');
$sel = IO::Select->new($s);
is($sel->can_read(5) ? sysread($s, my $eof, 10) : undef, 0,
   'the idle client connection was closed');
close $s;

check_clean($w);

done_testing();
