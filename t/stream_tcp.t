#!/usr/bin/perl
# weir: TCP listeners. Round robin over echo targets (equal weights,
# 64:192 which SPEC section 4 converts to 25:75, weight 0), bytes intact
# both ways (small, 1 MB, many at once), half-close passed through both
# ways, a refused or silent target skipped for the
# next, no usable target or no target group closes the client at once, the
# idle timeout, and backpressure from a target that does not read.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for tcp_exchange start_backend);

my $w = Weir->new;
my $dir = $w->dir;

my $a = start_backend(name => 'A', mode => 'echo', log => "$dir/a.log");
my $b = start_backend(name => 'B', mode => 'echo', log => "$dir/b.log");
my $c = start_backend(name => 'C', mode => 'echo', log => "$dir/c.log");
my $d = start_backend(name => 'D', mode => 'echo');
my ($dead1, $dead2) = (free_port(), free_port());

# a target that accepts nothing: backlog 1 queues two connections, which
# we make ourselves; the kernel then drops further SYNs, so a connect to
# it neither succeeds nor fails. (Listen => 0 would mean the default, 5.)
my $hole = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 1, Proto => 'tcp')
    or die "hole: $!";
my $hole_port = $hole->sockport;
my @hole_fill;
for (1 .. 4) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $hole_port, Proto => 'tcp', Blocking => 0);
    push @hole_fill, $s if $s;
}

# a target that accepts but never reads
my $sink = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 8, Proto => 'tcp')
    or die "sink: $!";
$sink->setsockopt(SOL_SOCKET, SO_RCVBUF, 4096);
my $sink_port = $sink->sockport;

my %port = map { $_ => free_port() }
    qw(rr weighted failover alldead idle none sink hole);

sub member {
    my ($name, $p, $weight) = @_;
    $weight //= 1;
    return "          - { name: $name, address: 127.0.0.1, "
         . "protocol_port: $p, weight: $weight }\n";
}

sub listener {
    my ($name, $tg, $timeout) = @_;
    my $t = "      - name: $name\n"
          . "        protocol: TCP\n"
          . "        protocol_port: $port{$name}\n"
          . "        timeout_client_data: " . ($timeout // 50000) . "\n";
    $t .= "        target_group: $tg\n" if $tg;
    return $t;
}

sub group {
    my ($name, @members) = @_;
    return "      - name: $name\n"
         . "        protocol: TCP\n"
         . "        load_balancer_algorithm: ROUND_ROBIN\n"
         . "        members:\n" . join('', @members);
}

# one worker: the round-robin sequence is per worker, so the split is exact
$w->write_config("worker_processes: 1\n"
    . "load_balancers:\n"
    . "  - name: tcp-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . listener('rr', 'pool-rr')
    . listener('weighted', 'pool-weighted')
    . listener('failover', 'pool-failover')
    . listener('alldead', 'pool-alldead')
    . listener('idle', 'pool-rr', 1000)
    . listener('none')
    . listener('sink', 'pool-sink')
    . listener('hole', 'pool-hole')
    . "    target_groups:\n"
    . group('pool-rr', member('a', $a->{port}), member('b', $b->{port}))
    . group('pool-weighted', member('a', $a->{port}, 64),
            member('b', $b->{port}, 192), member('c', $c->{port}, 0))
    . group('pool-failover', member('dead', $dead1),
            member('c', $c->{port}))
    . group('pool-alldead', member('dead1', $dead1),
            member('dead2', $dead2))
    . group('pool-sink', member('sink', $sink_port))
    . group('pool-hole', member('hole', $hole_port),
            member('d', $d->{port})));

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

# the start-up probes above connected once to every listener
sub lines {
    my ($file) = @_;
    open(my $fh, '<', $file) or return 0;
    my @l = <$fh>;
    return scalar @l;
}

sub counts { return map { lines("$dir/$_.log") } qw(a b c) }

# wait until the backends saw what the probes sent, then take a baseline
my $settled = sub {
    my @c1 = counts();
    select(undef, undef, undef, 0.2);
    my @c2 = counts();
    return "@c1" eq "@c2";
};
wait_for($settled, 5);

# --- round robin, equal weights ---
my @base = counts();
my $ok = 0;
for my $i (1 .. 100) {
    $ok++ if (tcp_exchange($port{rr}, "hello $i\n") // '') eq "hello $i\n";
}
is($ok, 100, '100 connections echo their bytes intact');
ok(wait_for(sub {
       my @n = counts();
       $n[0] + $n[1] - $base[0] - $base[1] == 100 }),
   'the targets saw 100 connections');
my @now = counts();
is($now[0] - $base[0], 50, 'equal weights: target a gets 50 of 100');
is($now[1] - $base[1], 50, 'equal weights: target b gets 50 of 100');

# --- weights 64:192 (converted 25:75), weight 0 ---
@base = counts();
$ok = 0;
for my $i (1 .. 100) {
    $ok++ if (tcp_exchange($port{weighted}, "w$i") // '') eq "w$i";
}
is($ok, 100, 'weighted: 100 echoes');
wait_for(sub {
    my @n = counts();
    $n[0] + $n[1] - $base[0] - $base[1] == 100 });
@now = counts();
is($now[0] - $base[0], 25, 'weights 64:192 give 25/75 (a: 25)');
is($now[1] - $base[1], 75, 'weights 64:192 give 25/75 (b: 75)');
is($now[2] - $base[2], 0, 'weight 0 gets no connection');

# --- 1 MB intact ---
my $big = join '', map { chr(($_ * 7 + ($_ >> 8)) % 256) } 1 .. 1024 * 1024;
my $reply = tcp_exchange($port{rr}, $big, 20);
ok(defined $reply && $reply eq $big, '1 MB round-trips intact')
    or diag('got ' . length($reply // '') . ' bytes');

# --- many large transfers at once ---
{
    my $n = 20;
    my $size = 256 * 1024;
    my (@socks, %out, %in, %want, %done);
    for my $i (1 .. $n) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port{rr}, Proto => 'tcp') or die "connect: $!";
        $s->blocking(0);
        push @socks, $s;
        $want{$s} = join '', map { chr(($_ * $i) % 256) } 1 .. $size;
        $out{$s} = $want{$s};
        $in{$s} = '';
    }
    my $deadline = time + 30;
    while (keys %done < $n && time < $deadline) {
        my $rs = IO::Select->new(grep { !$done{$_} } @socks);
        my $ws = IO::Select->new(grep { defined $out{$_} } @socks);
        my ($r, $wr) = IO::Select->select($rs, $ws, undef, 1);
        for my $s (@{ $wr // [] }) {
            my $k = syswrite($s, $out{$s}, 65536);
            next unless defined $k;
            substr($out{$s}, 0, $k) = '';
            if (!length $out{$s}) {
                shutdown($s, 1);
                $out{$s} = undef;
            }
        }
        for my $s (@{ $r // [] }) {
            my $k = sysread($s, my $buf, 65536);
            next if !defined $k && $!{EAGAIN};
            if (!$k) { $done{$s} = 1; next; }
            $in{$s} .= $buf;
        }
    }
    my $intact = grep { $in{$_} eq $want{$_} } @socks;
    is($intact, $n, "$n concurrent 256 KB transfers intact");
    close $_ for @socks;
}

# --- half-close both ways ---
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port{rr}, Proto => 'tcp') or die "connect: $!";
    syswrite($s, "first ");
    my $sel = IO::Select->new($s);
    my $got = '';
    while ($got ne 'first ' && $sel->can_read(5)) {
        last unless sysread($s, my $buf, 100);
        $got .= $buf;
    }
    is($got, 'first ', 'half-close: echo before the shutdown');
    syswrite($s, "last");
    shutdown($s, 1);
    my $rest = '';
    my $eof = 0;
    while ($sel->can_read(5)) {
        my $k = sysread($s, my $buf, 100);
        if (!$k) { $eof = defined $k; last; }
        $rest .= $buf;
    }
    is($rest, 'last', 'half-close: after shutdown(SHUT_WR) the echo still '
                    . 'comes back');
    ok($eof, 'half-close: the target\'s FIN reaches the client');
}

# --- a refused target is skipped ---
$ok = 0;
for my $i (1 .. 10) {
    $ok++ if (tcp_exchange($port{failover}, "f$i") // '') eq "f$i";
}
is($ok, 10, 'refused target: every connection reaches the live one');
ok($w->wait_log(qr/\[error\]\ .*connect\(\)\ failed,\ client:\ 127\.0\.0\.1:\d+,
                   \ target:\ 127\.0\.0\.1:$dead1\b.*Connection\ refused/x),
   'refused connect logged with client and target');

# --- no usable target: closed at once ---
{
    my $t0 = time;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port{alldead}, Proto => 'tcp') or die "connect: $!";
    syswrite($s, "anyone?");
    my $sel = IO::Select->new($s);
    ok($sel->can_read(3), 'all targets down: the client hears back');
    my $k = sysread($s, my $buf, 100);
    ok(!$k, 'all targets down: the connection is closed, nothing sent');
    ok(time - $t0 < 1, 'all targets down: closed within a second');
    ok($w->wait_log(qr/no\ other\ usable\ target\ to\ try,\ client\ closed,
                       \ client:\ 127\.0\.0\.1:\d+/x),
       'all targets down: logged');
}

# --- listener without a target group ---
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port{none}, Proto => 'tcp') or die "connect: $!";
    my $sel = IO::Select->new($s);
    ok($sel->can_read(3), 'no target group: the client hears back');
    my $k = sysread($s, my $buf, 100);
    ok(!$k, 'no target group: closed');
}

# --- idle timeout (1000 ms) ---
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port{idle}, Proto => 'tcp') or die "connect: $!";
    my $sel = IO::Select->new($s);
    syswrite($s, "ping");
    $sel->can_read(3);
    sysread($s, my $buf, 100);
    is($buf, 'ping', 'idle listener: echo');

    # activity keeps it open past the timeout
    for (1 .. 3) {
        select(undef, undef, undef, 0.5);
        syswrite($s, "x");
        $sel->can_read(2);
        sysread($s, $buf, 100);
    }
    is($buf, 'x', 'idle listener: traffic every 0.5 s keeps it open');

    my $t0 = time;
    ok($sel->can_read(5), 'idle listener: closed when idle');
    my $k = sysread($s, $buf, 100);
    my $dt = time - $t0;
    ok(!$k, 'idle listener: EOF or reset');
    ok($dt > 0.7 && $dt < 2.5, "idle listener: after about 1 s ($dt)");
    ok($w->wait_log(qr/idle timeout \(timeout_client_data\)/),
       'idle timeout logged');
}

# --- backpressure: a target that does not read stops the client ---
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port{sink}, Proto => 'tcp') or die "connect: $!";
    $s->blocking(0);
    my $chunk = 'z' x 65536;
    my $sent = 0;
    my $limit = 64 * 1024 * 1024;
    my $sel = IO::Select->new($s);
    while ($sent < $limit) {
        my $k = syswrite($s, $chunk);
        if (defined $k) { $sent += $k; next; }
        last unless $!{EAGAIN};
        # stalled: wait a little for the proxy to drain more, if it will
        last unless $sel->can_write(0.5);
    }
    ok($sent < $limit, "backpressure: writes stall after $sent bytes");
    close $s;
}

# --- a target that never answers the connect: the next one after 5 s ---
# two connections at once: with equal weights one of them meets the silent
# target first, whatever the round-robin position
{
    my $t0 = time;
    my (@socks, %got);
    for my $i (1, 2) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port{hole}, Proto => 'tcp') or die "connect: $!";
        syswrite($s, "late$i");
        shutdown($s, 1);
        push @socks, $s;
        $got{$s} = '';
    }
    my $sel = IO::Select->new(@socks);
    my $slowest = 0;
    while ($sel->count && time < $t0 + 15) {
        for my $s ($sel->can_read(1)) {
            my $k = sysread($s, my $buf, 100);
            if ($k) { $got{$s} .= $buf; next; }
            $sel->remove($s);
            $slowest = time - $t0;
        }
    }
    is(join(',', map { $got{$_} } @socks), 'late1,late2',
       'silent target: both connections are served by the other target');
    ok($slowest > 4.5 && $slowest < 8,
       "silent target: the slower one after the 5 s connect timeout "
       . "($slowest)");
    ok($w->wait_log(qr/connect\(\)\ timed\ out,\ client:\ 127\.0\.0\.1:\d+,
                       \ target:\ 127\.0\.0\.1:$hole_port\b/x),
       'connect timeout logged');
    close $_ for @socks;
}

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
