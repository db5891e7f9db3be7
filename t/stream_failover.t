#!/usr/bin/perl
# weir: refused targets under every algorithm, with two workers. One of two
# targets refuses connections: no client sees a failure (the connect is
# retried on the other target, also for a client bound to the refusing
# one by SOURCE_IP stickiness or hashing). Both refuse: the client is
# closed at once, well within the connect timeout.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for tcp_exchange start_backend);

my $w = Weir->new;
my $live = start_backend(name => 'L', mode => 'tag');
my ($dead1, $dead2) = (free_port(), free_port());

my @algos = (
    [ 'rr', 'ROUND_ROBIN', undef ],
    [ 'lc', 'LEAST_CONNECTIONS', undef ],
    [ 'hash', 'SOURCE_IP', undef ],
    [ 'sticky', 'ROUND_ROBIN', [ 'type: SOURCE_IP' ] ],
);

my (%port, $listeners, $groups);
for my $a (@algos) {
    my ($name, $algo, $persist) = @$a;
    for my $set ([ 'one', $dead1, $live->{port} ],
                 [ 'all', $dead1, $dead2 ])
    {
        my ($kind, @ports) = @$set;
        my $id = "$name-$kind";
        $port{$id} = free_port();
        $listeners .= "      - { name: $id, protocol: TCP, "
                    . "protocol_port: $port{$id}, target_group: pool-$id }\n";
        $groups .= "      - name: pool-$id\n"
                 . "        protocol: TCP\n"
                 . "        load_balancer_algorithm: $algo\n";
        $groups .= "        session_persistence:\n"
                 . join('', map { "          $_\n" } @$persist) if $persist;
        $groups .= "        members:\n"
                 . join('', map {
                       "          - { name: m$_, address: 127.0.0.1, "
                       . "protocol_port: $_ }\n" } @ports);
    }
}

$w->write_config("worker_processes: 2\n"
    . "load_balancers:\n"
    . "  - name: failover-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n" . $listeners
    . "    target_groups:\n" . $groups);

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

sub from {
    my ($ip, $port, $msg) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => $ip, PeerAddr => '127.0.0.1',
                                  PeerPort => $port, Proto => 'tcp',
                                  Timeout => 5) or return undef;
    syswrite($s, $msg);
    shutdown($s, 1);
    my $sel = IO::Select->new($s);
    my $r = '';
    while ($sel->can_read(5)) {
        my $n = sysread($s, my $buf, 4096);
        last unless $n;
        $r .= $buf;
    }
    close $s;
    return $r;
}

for my $a (@algos) {
    my $name = $a->[0];

    # from many source addresses, so that hashing and stickiness meet the
    # refusing target too
    my $ok = 0;
    for my $i (1 .. 100) {
        my $ip = '127.0.3.' . (1 + $i % 50);
        $ok++ if (from($ip, $port{"$name-one"}, "m$i\n") // '') eq "L m$i\n";
    }
    is($ok, 100, "$name: one of two targets refuses, all 100 clients are "
               . 'served');

    my $t0 = time;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port{"$name-all"}, Proto => 'tcp') or die "connect: $!";
    syswrite($s, "anyone?\n");
    my $sel = IO::Select->new($s);
    my $heard = $sel->can_read(5);
    my $k = sysread($s, my $buf, 100);
    my $dt = time - $t0;
    ok($heard && !$k, "$name: both refuse, the client is closed with "
                    . 'nothing sent');
    ok($dt < 5, sprintf("$name: within the connect timeout (%.2f s)", $dt));
    close $s;
}

like($w->log_text, qr/no other usable target to try, client closed/,
     'the closed clients are logged');
unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
