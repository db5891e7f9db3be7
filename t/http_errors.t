#!/usr/bin/perl
# weir: the error responses of HTTP listeners. 503 without a target group
# (SPEC 1) or without a usable target, 502 when the target fails (refused,
# reset, invalid or oversized response), 504 when it does not answer or connect
# in time, 431 for oversized request heads; a failed connect is retried on
# another target; error pages come from html/errors/ under the prefix
# when there, built in otherwise; a client sending its head a byte per
# second is cut at timeout_client_header while others are served;
# connection_limit closes connections over the limit.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request);

my $w = Weir->new;
my $dir = $w->dir;

my $a = start_http_backend(name => 'A');
my ($dead1, $dead2) = (free_port(), free_port());

# a target that accepts nothing: its backlog is full, so a connect to it
# neither succeeds nor fails
my $hole = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 1, Proto => 'tcp')
    or die "hole: $!";
my @hole_fill;
for (1 .. 4) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $hole->sockport, Proto => 'tcp', Blocking => 0);
    push @hole_fill, $s if $s;
}

my %port = map { $_ => free_port() }
    qw(one none drained retry alldead hole slow limit);

sub listener {
    my ($name, $tg, $extra) = @_;
    my $l = "      - name: $name\n"
          . "        protocol: HTTP\n"
          . "        protocol_port: $port{$name}\n";
    $l .= "        target_group: $tg\n" if $tg;
    $l .= $extra // '';
    return $l;
}

sub group {
    my ($name, @members) = @_;
    return "      - name: $name\n"
         . "        protocol: HTTP\n"
         . "        members:\n"
         . join('', map { "          - { address: 127.0.0.1, "
                          . "protocol_port: $_->[0], weight: $_->[1] }\n" }
                    @members);
}

# a page of our own for 503; the others stay built in
mkdir "$dir/html";
mkdir "$dir/html/errors";
open(my $fh, '>', "$dir/html/errors/503.html") or die $!;
print $fh "<p>our own 503 page</p>\n";
close $fh;

$w->write_config("worker_processes: 1\n"
    . "load_balancers:\n"
    . "  - name: web-lb\n"
    . "    type: ALB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . listener('one', 'pool-one', "        timeout_member_data: 1000\n")
    . listener('none')
    . listener('drained', 'pool-drained')
    . listener('retry', 'pool-retry')
    . listener('alldead', 'pool-alldead')
    . listener('hole', 'pool-hole', "        timeout_member_connect: 1000\n")
    . listener('slow', 'pool-one', "        timeout_client_header: 2000\n")
    . listener('limit', 'pool-one', "        connection_limit: 1\n")
    . "    target_groups:\n"
    . group('pool-one', [$a->{port}, 1])
    . group('pool-drained', [$a->{port}, 0])
    . group('pool-retry', [$dead1, 1], [$a->{port}, 1])
    . group('pool-alldead', [$dead1, 1], [$dead2, 1])
    . group('pool-hole', [$hole->sockport, 1]));

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

sub get {
    my ($listener, $path, %o) = @_;
    my $s = http_connect($port{$listener}) or return undef;
    my $t0 = time;
    my $r = http_request($s, $o{method} // 'GET', $path, %o);
    $r->{time} = time - $t0 if $r;
    close $s;
    return $r;
}

# --- 503: no target group (SPEC 1), no usable target ---
my $r = get('none', '/');
is($r && $r->{status}, 503, 'no target group: 503');
is($r && $r->{body}, "<p>our own 503 page</p>\n",
   'no target group: the 503 page');
like($r && $r->{headers}{'content-type'}, qr/^text\/html/, 'a text/html page');

$r = get('drained', '/');
is($r && $r->{status}, 503, 'no usable target (weight 0): 503');
is($r && $r->{body}, "<p>our own 503 page</p>\n",
   '503: the page from html/errors/503.html under the prefix');

$r = get('drained', '/', method => 'HEAD');
ok($r && $r->{status} == 503 && $r->{headers}{'content-length'} > 0
   && $r->{body} eq '', 'HEAD: the error head without its page');

# an error with the request read to its end keeps the connection
my $s = http_connect($port{drained});
$r = http_request($s, 'GET', '/');
my $r2 = http_request($s, 'GET', '/');
ok($r && $r2 && $r2->{status} == 503,
   'the client connection stays open after a 503');
close $s;

# --- 502 ---
$r = get('one', '/reset');
is($r && $r->{status}, 502, 'the target closed without answering: 502');
like($r && $r->{body}, qr/502 Bad Gateway/, '502: the built-in page');

$r = get('one', '/bad');
is($r && $r->{status}, 502, 'an invalid response: 502');

$r = get('one', '/head-big');
is($r && $r->{status}, 502, 'a response head too large: 502');

$r = get('alldead', '/');
is($r && $r->{status}, 502, 'every target refuses: 502');

# --- retries ---
my $ok = 0;
for (1 .. 10) {
    $r = get('retry', '/');
    $ok++ if $r && $r->{status} == 200 && $r->{body} eq "A\n";
}
is($ok, 10, 'a refused connect is retried on another target (10 of 10)');

# --- 504 ---
$r = get('one', '/slow?4000');
is($r && $r->{status}, 504, 'no answer within timeout_member_data: 504');
ok($r && $r->{time} > 0.8 && $r->{time} < 3.5,
   sprintf('504 after about 1 s (%.1f s)', $r ? $r->{time} : -1));
like($r && $r->{body}, qr/504 Gateway Timeout/, '504: the built-in page');

$r = get('hole', '/');
is($r && $r->{status}, 504, 'no connect within timeout_member_connect: 504');
ok($r && $r->{time} > 0.8 && $r->{time} < 3.5,
   sprintf('504 after about 1 s (%.1f s)', $r ? $r->{time} : -1));

# --- 431 ---
$r = get('one', '/', headers => ['X-Big' => 'x' x 20000]);
is($r && $r->{status}, 431, 'a request head over the limit: 431');
like($r && $r->{body}, qr/431 Request Header Fields Too Large/,
     '431: the built-in page');

# --- slowloris: a byte per second ---
my $slow = http_connect($port{slow});
my $head = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " . ('z' x 50);
my $sel = IO::Select->new($slow);
my $t0 = time;
my ($cut, $answer, $served, $fast) = (undef, '', 0, 1);
for my $i (0 .. length($head) - 1) {
    last unless defined syswrite($slow, substr($head, $i, 1));

    # others are served meanwhile
    my $o = get('slow', '/');
    $served++ if $o && $o->{status} == 200;
    $fast = 0 if !$o || $o->{time} > 0.5;

    if ($sel->can_read(1)) {
        my $n = sysread($slow, my $buf, 4096);
        $answer .= $buf if $n;
        while ($n && $sel->can_read(1)) {
            $n = sysread($slow, $buf, 4096);
            $answer .= $buf if $n;
        }
        $cut = time - $t0;
        last;
    }
}
ok(defined $cut, 'the slow client was cut off');
ok(defined $cut && $cut > 1.5 && $cut < 4,
   sprintf('at timeout_client_header, 2 s (%.1f s)', $cut // -1));
like($answer, qr/^HTTP\/1\.1 408 /, 'with a 408');
ok($served >= 1 && $fast, "other clients were served meanwhile ($served)");

# --- connection_limit ---
my $first = http_connect($port{limit});
$r = http_request($first, 'GET', '/');
is($r && $r->{status}, 200, 'connection_limit 1: the first connection is served');
my $second = http_connect($port{limit});
$sel = IO::Select->new($second);
my $n = $sel->can_read(5) ? sysread($second, my $buf, 100) : undef;
is($n, 0, 'connection_limit 1: a second connection is closed at once');
close $second;
close $first;
ok(wait_for(sub { my $x = get('limit', '/'); $x && $x->{status} == 200 }),
   'connection_limit 1: served again once the first is gone');

ok(wait_for(sub { $w->log_text =~ /timeout_client_header/ }),
   'the error log tells why');
check_clean($w);

done_testing();
