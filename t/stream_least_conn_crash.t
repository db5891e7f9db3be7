#!/usr/bin/perl
# weir: LEAST_CONNECTIONS counts each target's open connections in the
# shared zone, with each process's share kept apart: when a worker is
# killed (kill -9) with connections open, the master takes its share out
# of the counts when it reaps it, so the dead connections do not count
# against their targets forever (read back as
# weir_target_active_connections on /metrics), and the balance after
# the respawn starts from the real counts.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Weir qw(free_port wait_for start_backend);

my $w = Weir->new;
my $dir = $w->dir;

open(my $fh, '>', "$dir/admin.token") or die $!;
print $fh "lc-crash-token-5c1e\n";
close $fh;
chmod 0600, "$dir/admin.token" or die $!;

my $a = start_backend(name => 'A', mode => 'tag');
my $b = start_backend(name => 'B', mode => 'tag');
my ($port, $ap) = (free_port(), free_port());

$w->write_config("worker_processes: 1\n"
    . "admin:\n"
    . "  listen: 127.0.0.1:$ap\n"
    . "  token_file: admin.token\n"
    . "  metrics_public: true\n"
    . "load_balancers:\n"
    . "  - name: lc-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . "      - { name: lc, protocol: TCP, protocol_port: $port, "
    .         "target_group: lc-tg }\n"
    . "    target_groups:\n"
    . "      - name: lc-tg\n"
    . "        protocol: TCP\n"
    . "        load_balancer_algorithm: LEAST_CONNECTIONS\n"
    . "        members:\n"
    . "          - { name: a, address: 127.0.0.1, "
    .             "protocol_port: $a->{port} }\n"
    . "          - { name: b, address: 127.0.0.1, "
    .             "protocol_port: $b->{port} }\n");

ok($w->start($port, $ap), 'weir started') or BAIL_OUT('weir did not start');

# the sum of weir_target_active_connections, or undef
sub active {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5) or return;
    print $s "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    my $buf = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(5)) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    my $sum;
    for (split /\n/, $buf) {
        $sum += $1 if /^weir_target_active_connections\{[^}]*\} (\d+)/;
    }
    return $sum;
}

# a connection held open, answered by a target: (socket, target name)
sub hold {
    my ($tag) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5) or return;
    syswrite($s, "$tag\n");
    return unless IO::Select->new($s)->can_read(5);
    sysread($s, my $buf, 100) or return;
    return ($s, $buf =~ /^(\w+) / ? $1 : '?');
}

ok(wait_for(sub { defined(active()) && active() == 0 }), 'no connection yet');

my @held;
for my $i (1 .. 4) {
    my ($s, $t) = hold("h$i");
    push @held, $s if $s;
}
is(scalar @held, 4, '4 connections held');
ok(wait_for(sub { (active() // 0) == 4 }), 'counted: 4 active');

my ($worker) = $w->workers;
ok($worker, 'the worker');
kill 'KILL', $worker;
ok(wait_for(sub { my @n = $w->workers; @n == 1 && $n[0] != $worker }),
   'the killed worker is respawned');

ok(wait_for(sub { my $n = active(); defined $n && $n == 0 }, 10),
   "the dead worker's 4 connections are no longer counted")
    or diag('active: ' . (active() // 'undef'));
ok($w->wait_log(qr/4 target connections left counted by process $worker/),
   'the repair is logged');
close $_ for @held;

# the balance starts from the real counts: 4 new ones split 2:2
my %on;
my @new;
for my $i (1 .. 4) {
    my ($s, $t) = hold("n$i");
    next unless $s;
    push @new, $s;
    $on{$t}++;
}
is(join(',', map { "$_=" . ($on{$_} // 0) } qw(A B)), 'A=2,B=2',
   '4 new connections go 2 to each target');
ok(wait_for(sub { (active() // 0) == 4 }), 'and are counted');
close $_ for @new;
ok(wait_for(sub { (active() // -1) == 0 }), 'closed, none counted');

unlike($w->log_text, qr/\[(crit|emerg)\]/, 'no crit in the log');

$w->stop;
done_testing();
