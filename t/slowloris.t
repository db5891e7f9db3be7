#!/usr/bin/perl
# weir: 10 000 slowloris connections (issue 13 item 16). Each sends part
# of a request head and then a byte now and then, never the end. Real
# clients on other connections are served meanwhile within their normal
# latency, and weir bounds the slow heads by timeout_client_header.
use strict;
use warnings;
use lib 't/lib';
use IO::Socket::INET;
use POSIX qw(:errno_h);
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect http_request);

my $N = 10000;

# a write to a connection weir closed must fail, not kill the test (and
# leave weir and the backend behind with it)
$SIG{PIPE} = 'IGNORE';

# this process needs a descriptor per connection: raise its own limit
# (to the hard one) by running again under the shell's ulimit
if (!$ENV{WEIR_SLOWLORIS_ULIMIT}) {
    $ENV{WEIR_SLOWLORIS_ULIMIT} = 1;
    exec('sh', '-c', 'ulimit -n "$(ulimit -H -n)" && exec "$@"', 'sh',
         $^X, '-Ilib', $0) or die "exec: $!";
}
my $limit = `sh -c 'ulimit -n'`;
chomp $limit;
plan skip_all => "an open-file limit of $limit is below " . ($N + 200)
    unless $limit eq 'unlimited' || $limit >= $N + 200;

my $w = Weir->new(nofile => $N + 1000);
my $port = free_port();
my $be = start_http_backend(name => 'B1');

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: slow-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http-in
        protocol: HTTP
        protocol_port: $port
        target_group: web-pool
        timeout_client_header: 60000
    target_groups:
      - name: web-pool
        protocol: HTTP
        members:
          - { name: b-1, address: 127.0.0.1, protocol_port: $be->{port} }
EOF
ok($w->start($port), 'weir started') or BAIL_OUT($w->log_text);

# the latency of one request on a new connection, in seconds (undef:
# it failed)
sub one {
    my $t0 = time;
    my $c = http_connect($port) or return undef;
    my $r = http_request($c, 'GET', '/', timeout => 5);
    return undef unless $r && $r->{status} == 200;
    return time - $t0;
}

sub p95 {
    my @s = sort { $a <=> $b } @_;
    return $s[int(0.95 * $#s)];
}

my @before = map { one() } 1 .. 200;
is(scalar(grep { !defined } @before), 0, '200 requests before: none failed');
my $p95_before = p95(grep { defined } @before);

# the slow clients: connected, half a head each (opening 10 000 takes
# seconds, more on a loaded machine: the header timeout above leaves
# room for it, so that none is closed before the count below)
my (@slow, $refused);
$refused = 0;
my $t0 = time;
for my $i (1 .. $N) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Blocking => 1, Timeout => 5);
    if (!$s) { $refused++; next }
    syswrite($s, "GET /slow-$i HTTP/1.1\r\nHost: x\r\n");
    push @slow, $s;
}
my $opened = scalar @slow;
cmp_ok($opened, '>=', $N * 0.99, "$opened slow connections open in "
       . sprintf('%.1f', time - $t0) . " s ($refused refused)");

# a byte on each now and then while real clients are measured
my @during;
for my $round (1 .. 4) {
    for my $s (@slow) { syswrite($s, 'X') }
    push @during, map { one() } 1 .. 50;
}
is(scalar(grep { !defined } @during), 0, '200 requests during: none failed');
my $p95_during = p95(grep { defined } @during);
# "within their normal latency": the 95th percentile stays within 3x
# (and 50 ms) of what it was without the slow clients
cmp_ok($p95_during, '<=', 3 * $p95_before + 0.05,
       sprintf('p95 latency %.1f ms during, %.1f ms before',
               1000 * $p95_during, 1000 * $p95_before));

# weir still holds them (none closed early), then bounds them
my $alive = 0;
for my $s (@slow) {
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    my $n = select(my $rout = $rin, undef, undef, 0);
    $alive++ unless $n && sysread($s, my $b, 1) == 0;
}
cmp_ok($alive, '>=', $opened * 0.99, "slow connections still open: $alive");

$_->close for @slow;
@slow = ();
ok(defined one(), 'served after they went');

$w->stop('QUIT');
done_testing();
