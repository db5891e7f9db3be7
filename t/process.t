#!/usr/bin/perl
# weir: process control. A killed worker is respawned and service goes on;
# QUIT lets an in-flight transfer finish; -s reload and -s quit work
# through the pid file; the process titles name master and workers.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend binary);

my $w = Weir->new;
my $port = free_port();
my $echo = start_backend(name => 'E', mode => 'echo');

sub config {
    my ($workers) = @_;
    return <<"EOF";
worker_processes: $workers
shutdown_timeout: 20000
load_balancers:
  - name: proc-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - name: tcp-in
        protocol: TCP
        protocol_port: $port
        target_group: pool
    target_groups:
      - name: pool
        protocol: TCP
        members:
          - { name: e1, address: 127.0.0.1, protocol_port: $echo->{port} }
EOF
}

$w->write_config(config(2));
ok($w->start($port), 'weir started');
ok(wait_for(sub { scalar($w->workers) == 2 }), 'two worker processes');

open(my $c, '<', "/proc/" . $w->pid . "/cmdline");
like(do { local $/; <$c> }, qr/^weir: master process/, 'master title');

is(tcp_exchange($port, "ping\n"), "ping\n", 'echo through weir');

# a killed worker is respawned
my @before = $w->workers;
kill 'KILL', $before[0];
ok(wait_for(sub {
    my @now = $w->workers;
    @now == 2 && !grep { $_ == $before[0] } @now;
}), 'killed worker is respawned');
ok($w->wait_log(qr/worker process $before[0] \(slot \d\) exited on signal 9/),
   'the crash is logged');
my $ok = 0;
$ok += (tcp_exchange($port, "x$_\n") // '') eq "x$_\n" ? 1 : 0 for 1 .. 50;
is($ok, 50, 'service continues after the respawn');

# Connections queued in the kernel when a reload removes their worker
# slot: both workers are stopped, clients connect (SO_REUSEPORT spreads
# them over both slots' queues), the reload goes to one worker, and the
# old workers, let go, must serve what was queued on their sockets before
# closing them - slot 1's socket has no worker in the new generation.
my @old = $w->workers;
kill 'STOP', @old;
my @queued;
for my $i (1 .. 20) {
    my $q = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
        or die "connect: $!";
    syswrite($q, "queued $i\n");
    shutdown($q, 1);
    push @queued, $q;
}

# -s reload through the pid file
my $dir = $w->dir;
$w->write_config(config(1));
is(system(Weir::binary(), '-p', $dir, '-c', "$dir/weir.yaml", '-s', 'reload'),
   0, '-s reload exits 0');
ok($w->wait_log(qr/configuration generation 2 is running/),
   '-s reload reloads');
kill 'CONT', @old;
ok(wait_for(sub { scalar($w->workers) == 1 }), 'worker count follows reload');

my $served = 0;
for my $i (1 .. 20) {
    my $q = $queued[$i - 1];
    my $sel = IO::Select->new($q);
    my $got = '';
    while ($sel->can_read(5)) {
        my $n = sysread($q, my $buf, 100);
        last unless $n;
        $got .= $buf;
    }
    $served++ if $got eq "queued $i\n";
    close $q;
}
is($served, 20, 'connections queued on a slot the reload removed are served');

# USR1 (-s reopen): the log was rotated away, a new file appears; workers
# reopen too (their next line lands in the new file)
rename($w->error_log, $w->error_log . '.1') or die;
is(system(Weir::binary(), '-p', $dir, '-c', "$dir/weir.yaml", '-s', 'reopen'),
   0, '-s reopen exits 0');
ok(wait_for(sub { -e $w->error_log }), 'USR1 reopens the error log');
ok($w->wait_log(qr/reopened logs/), 'the reopen is logged in the new file');

# QUIT while a transfer is in flight: it finishes, then weir exits
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
    or die "connect: $!";
syswrite($s, "first half ");
my $sel = IO::Select->new($s);
$sel->can_read(5);
sysread($s, my $got, 100);
is($got, 'first half ', 'in-flight connection established');

is(system(Weir::binary(), '-p', $dir, '-c', "$dir/weir.yaml", '-s', 'quit'),
   0, '-s quit exits 0');
ok($w->wait_log(qr/gracefully shutting down/), 'graceful shutdown begins');
ok(wait_for(sub {
    !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) }),
   'listening sockets are closed while draining') or diag(`ss -ltnp`);
ok(!$w->exited, 'master waits for the in-flight connection');
syswrite($s, "second half");
shutdown($s, 1);
my $rest = '';
while ($sel->can_read(5)) {
    my $n = sysread($s, my $buf, 100);
    last unless $n;
    $rest .= $buf;
}
is($rest, 'second half', 'QUIT let the in-flight transfer finish');
ok(wait_for(sub { $w->exited }), 'weir exits once the transfer is done');
ok(!-e $w->pid_file, 'pid file removed on exit');

# -s with no running weir says so
my $bin = Weir::binary();
my $out = `$bin -p $dir -c $dir/weir.yaml -s quit 2>&1`;
isnt($? >> 8, 0, '-s without a master fails');
like($out, qr/weir\.pid.*is weir running\?/, 'and says why');

done_testing();
