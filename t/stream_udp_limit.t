#!/usr/bin/perl
# weir: a UDP listener's connection_limit counts its sessions (across
# workers, in the listener's gauge of the shared zone, as TCP counts
# connections) and a client over it gets no session (the datagram is
# dropped and logged) while established sessions keep working;
# sessions_per_client caps the sessions of one client address in a worker,
# a client cycling source ports evicts its own oldest session and nobody
# else's. Sessions are counted as weir's connected sockets to the target
# (ss), since each session owns one.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Socket qw(pack_sockaddr_in inet_aton);
use Test::More;
use Weir qw(free_port wait_for spawn_server);

my $w = Weir->new;

my $b = spawn_server(proto => 'udp', port => free_port(udp => 1),
                     what => 'udp backend', serve => sub {
    my ($s) = @_;
    while (1) {
        my $peer = recv($s, my $buf, 70000, 0);
        next unless defined $peer;
        send($s, "B:$buf", 0, $peer);
    }
});

my $port = free_port(udp => 1);

$w->write_config("worker_processes: 1\n"
    . "log_level: info\n"
    . "load_balancers:\n"
    . "  - name: udp-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . "      - { name: udp, protocol: UDP, protocol_port: $port, "
    .         "target_group: udp-tg, connection_limit: 10, "
    .         "sessions_per_client: 4, timeout_client_data: 3000 }\n"
    . "    target_groups:\n"
    . "      - name: udp-tg\n"
    . "        protocol: UDP\n"
    . "        members:\n"
    . "          - { name: b, address: 127.0.0.1, "
    .             "protocol_port: $b->{port} }\n");

ok($w->start(), 'weir started') or BAIL_OUT('weir did not start');

sub client {
    my ($ip) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => $ip, LocalPort => 0,
                                  Proto => 'udp') or die "udp client: $!";
    return $s;
}

sub ask {
    my ($s, $payload, $t) = @_;
    send($s, $payload, 0, pack_sockaddr_in($port, inet_aton('127.0.0.1')))
        or return undef;
    return undef unless IO::Select->new($s)->can_read($t // 1);
    recv($s, my $buf, 70000, 0) // return undef;
    return $buf;
}

# the sessions: weir's UDP sockets connected to the backend
sub sessions {
    my @l = grep { /\S/ } `ss -Hun 'dst 127.0.0.1:$b->{port}'`;
    return scalar @l;
}

my $e = client('127.0.0.1');
my $r;
wait_for(sub { $r = ask($e, 'e1', 0.3); defined $r }, 10);
is($r, 'B:e1', 'an established client is served');
is(ask($e, 'e2'), 'B:e2', 'twice');
is(sessions(), 1, 'one session');

# one client address cycling 12 source ports: its own oldest sessions go
my $served = 0;
for my $i (1 .. 12) {
    my $f = client('127.0.0.2');
    $served++ if defined ask($f, "f$i");
}
is($served, 12, 'each new port of a client is served, taking the place of '
              . "that client's oldest session");
is(sessions(), 5, 'sessions_per_client 4: the client holds 4 sessions, the '
                . 'established one stays');
is(ask($e, 'e3'), 'B:e3', 'the established client is still served');
is(sessions(), 5, 'on its own session (no new one)');

# a second address takes 4, a third only 1 more: connection_limit 10
for my $i (1 .. 6) {
    my $f = client('127.0.0.3');
    ask($f, "g$i");
}
$served = 0;
for my $i (1 .. 6) {
    my $f = client('127.0.0.4');
    $served++ if defined ask($f, "h$i", 0.5);
}
is($served, 1, 'connection_limit 10: with 9 sessions, one more client '
             . 'is served and the others are not');
is(sessions(), 10, '10 sessions');
ok($w->wait_log(qr/a new session over connection_limit/),
   'the refusal is logged');
is(ask($e, 'e4'), 'B:e4', 'at the limit, the established client is served');

# idle sessions expire (timeout_client_data 3 s): room again
ok(wait_for(sub { sessions() == 0 }, 15), 'idle sessions expire');
my $n = client('127.0.0.5');
is(ask($n, 'n1', 2), 'B:n1', 'then a new client is served');

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
