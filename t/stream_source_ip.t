#!/usr/bin/perl
# weir: client addresses on TCP listeners. Clients bound to different
# 127.0.0.x source addresses (all loopback) each keep their target over 50
# connections, with three workers: under the SOURCE_IP algorithm
# (consistent hashing, the same table in every worker) and under
# ROUND_ROBIN with SOURCE_IP session persistence (bindings shared by the
# workers through the zone, and kept by a reload). With one worker, whose
# round robin is predictable: a binding expires after persistence_timeout
# without use (and not while used), and persistence_granularity
# 255.255.255.0 makes 127.0.1.x one client and 127.0.2.x another.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time sleep);
use Weir qw(free_port wait_for start_backend);

my %be = map { $_ => start_backend(name => $_, mode => 'tag') } qw(A B C);

sub member {
    my ($name) = @_;
    return "          - { name: m$name, address: 127.0.0.1, "
         . "protocol_port: $be{$name}{port} }\n";
}

sub group {
    my ($name, $algo, $persist, @members) = @_;
    my $t = "      - name: $name\n"
          . "        protocol: TCP\n"
          . "        load_balancer_algorithm: $algo\n";
    $t .= "        session_persistence:\n"
        . join('', map { "          $_\n" } @$persist) if $persist;
    return $t . "        members:\n" . join('', map { member($_) } @members);
}

sub listener {
    my ($name, $port, $tg) = @_;
    return "      - { name: $name, protocol: TCP, protocol_port: $port, "
         . "target_group: $tg }\n";
}

# one exchange from source address $ip; returns the target's name, or
# undef when the connection failed
sub from {
    my ($ip, $port) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => $ip, PeerAddr => '127.0.0.1',
                                  PeerPort => $port, Proto => 'tcp',
                                  Timeout => 5) or return undef;
    syswrite($s, "hi\n");
    shutdown($s, 1);
    my $sel = IO::Select->new($s);
    my $r = '';
    while ($sel->can_read(5)) {
        my $n = sysread($s, my $buf, 4096);
        last unless $n;
        $r .= $buf;
    }
    close $s;
    return $r =~ /^([ABC]) hi\n\z/ ? $1 : undef;
}

# $n exchanges from $ip: the target name if it was always the same one
sub steady {
    my ($ip, $port, $n) = @_;
    my %seen;
    for (1 .. $n) {
        my $t = from($ip, $port);
        return undef unless defined $t;
        $seen{$t}++;
    }
    return keys(%seen) == 1 ? (keys %seen)[0] : undef;
}

my @clients = map { "127.0.0.$_" } 2 .. 9;

# --- three workers: SOURCE_IP algorithm, SOURCE_IP stickiness ---
my $w = Weir->new;
my %port = map { $_ => free_port() } qw(hash sticky);

sub config3 {
    return "worker_processes: 3\n"
        . "load_balancers:\n"
        . "  - name: sip-lb\n"
        . "    type: NLB\n"
        . "    address: 127.0.0.1\n"
        . "    listeners:\n"
        . listener('hash', $port{hash}, 'pool-hash')
        . listener('sticky', $port{sticky}, 'pool-sticky')
        . "    target_groups:\n"
        . group('pool-hash', 'SOURCE_IP', undef, qw(A B C))
        . group('pool-sticky', 'ROUND_ROBIN',
                [ 'type: SOURCE_IP', 'persistence_timeout: 360' ],
                qw(A B C));
}

$w->write_config(config3());
ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');
ok(wait_for(sub { scalar($w->workers) == 3 }), 'three workers');

for my $mode (qw(hash sticky)) {
    my (%target, $kept);
    $kept = 0;
    for my $ip (@clients) {
        $target{$ip} = steady($ip, $port{$mode}, 50);
        $kept++ if defined $target{$ip};
    }
    is($kept, scalar @clients, "$mode: each of " . scalar(@clients)
       . ' client addresses keeps its target over 50 connections');
    my %used = map { $_ => 1 } grep { defined } values %target;
    ok(keys(%used) >= 2, "$mode: the clients are spread over targets ("
       . join(' ', map { "$_=" . ($target{$_} // '-') } @clients) . ')');

    if ($mode eq 'sticky') {
        # a reload: new workers, same zone, the bindings stay
        $w->signal('HUP');
        ok($w->wait_log(qr/configuration generation 2 is running/),
           'sticky: reloaded');
        my $same = grep { (steady($_, $port{sticky}, 5) // '') eq
                          ($target{$_} // 'none') } @clients;
        is($same, scalar @clients,
           'sticky: after a reload every client keeps its target');
    }
}

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');
$w->stop;

# --- one worker: expiry and granularity ---
my $w1 = Weir->new;
my %p1 = map { $_ => free_port() } qw(expire gran);

$w1->write_config("worker_processes: 1\n"
    . "load_balancers:\n"
    . "  - name: sticky-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . listener('expire', $p1{expire}, 'pool-expire')
    . listener('gran', $p1{gran}, 'pool-gran')
    . "    target_groups:\n"
    . group('pool-expire', 'ROUND_ROBIN',
            [ 'type: SOURCE_IP', 'persistence_timeout: 2' ], qw(A B))
    . group('pool-gran', 'ROUND_ROBIN',
            [ 'type: SOURCE_IP', 'persistence_timeout: 360',
              'persistence_granularity: 255.255.255.0' ], qw(A B)));
ok($w1->start(values %p1), 'one-worker weir started')
    or BAIL_OUT('weir did not start');

# expiry: bound at the first connection; used every 0.5 s for 3 s (longer
# than the timeout) it stays; then unused for longer than 2 s it expires,
# and the next connection is a fresh round robin choice: the other target
{
    my $ip = '127.0.0.20';
    my $first = from($ip, $p1{expire});
    ok(defined $first, "expiry: bound to $first");
    my $kept = 1;
    my $t0 = time;
    while (time - $t0 < 3) {
        sleep 0.5;
        $kept = 0 if (from($ip, $p1{expire}) // '') ne $first;
    }
    ok($kept, 'expiry: a binding used more often than the timeout stays');

    # the binding can only be seen by using it, which renews it: so wait
    # out the timeout without a connection, with a margin
    sleep 3;
    my $next = from($ip, $p1{expire});
    ok(defined $next && $next ne $first,
       'expiry: unused for longer than persistence_timeout, it is gone '
       . '(the fresh choice is ' . ($next // '-') . ')');
    is(steady($ip, $p1{expire}, 10), $next, 'expiry: and the new one sticks');
}

# granularity: all of 127.0.1.x is one client; 127.0.2.x another (with
# one worker, round robin gives the second group the other target)
{
    my @a = map { "127.0.1.$_" } 1, 2, 77, 254;
    my @b = map { "127.0.2.$_" } 1, 2, 77, 254;
    my $ta = from($a[0], $p1{gran});
    my $tb = from($b[0], $p1{gran});
    ok(defined $ta && defined $tb && $ta ne $tb,
       "granularity: 127.0.1.1 -> $ta, 127.0.2.1 -> " . ($tb // '-'));
    my $ok = 0;
    for (1 .. 5) {
        for my $ip (@a) { $ok++ if (from($ip, $p1{gran}) // '') eq $ta }
        for my $ip (@b) { $ok++ if (from($ip, $p1{gran}) // '') eq $tb }
    }
    is($ok, 40, 'granularity 255.255.255.0: every 127.0.1.x address goes '
              . 'with 127.0.1.1, every 127.0.2.x with 127.0.2.1');
}

unlike($w1->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');
$w1->stop;
done_testing();
