#!/usr/bin/perl
# weir: `weirctl ping`, the check keepalived's track_script runs (issue 18
# item 1). It needs no admin API: it reads weir's pid file and /proc, and
# fails (exit 1, one line naming every failed part) when the master is
# not running, a worker slot has no running worker, the health checker or
# (with an admin block) the admin process is not running, or the admin
# API does not answer. A stopped process (SIGSTOP) counts as not running:
# it serves nothing; SIGCONT makes the node healthy again.
use strict;
use warnings;
use lib 't/lib';

use POSIX ();
use Test::More;

use Weir qw(free_port wait_for start_backend binary);

my $CTL = $ENV{WEIRCTL_BINARY} // do { (my $b = binary()) =~ s/weir$/weirctl/; $b };
ok(-x $CTL, "$CTL is built") or BAIL_OUT("no $CTL");

my $w = Weir->new;
my $dir = $w->dir;
my $b = start_backend(name => 'B1', mode => 'tag');
my ($lp, $ap) = (free_port(), free_port());

sub config {
    my ($admin) = @_;
    my $a = $admin ? "admin:\n  listen: 127.0.0.1:$ap\n  token_file: admin.token\n"
                   : '';
    return <<"EOF";
worker_processes: 2
${a}load_balancers:
  - name: ping-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: $lp, target_group: app-tg }
    target_groups:
      - name: app-tg
        protocol: TCP
        members:
          - { name: m-1, address: 127.0.0.1, protocol_port: $b->{port} }
EOF
}

sub ping {
    my ($conf) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open(STDOUT, '>', "$dir/ping.out");
        open(STDERR, '>', "$dir/ping.err");
        exec($CTL, '-t', '2', '-p', $dir, '-c', "$dir/$conf", 'ping')
            or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    return ($rc, slurp("$dir/ping.out"), slurp("$dir/ping.err"));
}

# a signal is taken when its process next runs: wait until /proc shows
# the state it brings (T stopped, or anything else after SIGCONT)
sub signal_and_wait {
    my ($sig, @pids) = @_;
    kill $sig, @pids;
    for my $pid (@pids) {
        wait_for(sub {
            my $st = slurp("/proc/$pid/stat");
            my ($state) = $st =~ /\) (\S) /;
            return defined $state
                   && ($sig eq 'STOP' ? $state eq 'T' : $state ne 'T');
        }, 5) or diag "process $pid: no state change after SIG$sig";
    }
}

sub slurp {
    open(my $fh, '<', $_[0]) or return '';
    local $/;
    return <$fh> // '';
}

open(my $fh, '>', "$dir/admin.token") or die $!;
print $fh "ping-test-token-5e0c1a77\n";
close $fh;
chmod 0600, "$dir/admin.token";

$w->write_config(config(0));
$w->write_config(config(1), 'admin.yaml');

# --- weir not running ---

my ($rc, $out, $err) = ping('weir.yaml');
is($rc, 1, 'not running: exit 1');
like($err, qr/^weirctl: ping: no master: pid file "\Q$dir\E\/logs\/weir\.pid": No such file or directory$/m,
     'not running: the pid file named') or diag $err;

# --- running, without the admin API ---

ok($w->start($lp), 'weir started, no admin block') or BAIL_OUT($w->log_text);
ok(wait_for(sub { $w->workers == 2 && $w->children(qr/health checker/) == 1 }, 10),
   'two workers and the checker run');

($rc, $out, $err) = ping('weir.yaml');
is($rc, 0, 'healthy: exit 0') or diag $err;
is($out, "weir master process " . $w->pid . ": 2 worker processes, health "
   . "checker running\n", 'healthy: what runs, on one line');

# a worker stopped: one slot serves nothing
my @workers = $w->workers;
signal_and_wait('STOP', $workers[0]);
($rc, $out, $err) = ping('weir.yaml');
is($rc, 1, 'a worker stopped: exit 1');
is($err, "weirctl: ping: 1 of 2 worker processes running\n",
   'a worker stopped: said');

# and the checker too: both on one line
my ($checker) = $w->children(qr/health checker/);
signal_and_wait('STOP', $checker);
($rc, $out, $err) = ping('weir.yaml');
is($err, "weirctl: ping: 1 of 2 worker processes running; no health "
   . "checker running\n", 'a worker and the checker stopped: both said');

signal_and_wait('CONT', $workers[0], $checker);
($rc, $out, $err) = ping('weir.yaml');
is($rc, 0, 'both continued: exit 0 again') or diag $err;

# a worker killed: the master starts another in its slot
kill 'KILL', $workers[1];
ok(wait_for(sub { my @n = $w->workers;
                  @n == 2 && !grep { $_ == $workers[1] } @n }, 10),
   'a killed worker is replaced');
($rc, $out, $err) = ping('weir.yaml');
is($rc, 0, 'after the respawn: exit 0') or diag $err;

# --- with the admin API ---

$w->stop;
$w->write_config(config(1));
ok($w->start($lp, $ap), 'weir started with an admin block')
    or BAIL_OUT($w->log_text);
ok(wait_for(sub { $w->workers == 2 && $w->children(qr/admin process/) == 1 }, 10),
   'the admin process runs');

($rc, $out, $err) = ping('weir.yaml');
is($rc, 0, 'with admin: exit 0') or diag $err;
like($out, qr/^weir master process \d+: 2 worker processes, health checker, admin process running\nweir admin API at 127\.0\.0\.1:$ap: ok\n\z/,
     'with admin: the processes and the API') or diag $out;

my ($admin) = $w->children(qr/admin process/);
signal_and_wait('STOP', $admin);
($rc, $out, $err) = ping('weir.yaml');
is($rc, 1, 'the admin process stopped: exit 1');
is($err, "weirctl: ping: no admin process running\n",
   'the admin process stopped: said');
signal_and_wait('CONT', $admin);

# --- the master killed outright (kill -9): its pid file stays ---

@workers = $w->workers;
my @kids = $w->children;
my $master = $w->pid;
kill 'KILL', $master;
ok(wait_for(sub { $w->exited }, 10), 'the master is gone');
($rc, $out, $err) = ping('weir.yaml');
is($rc, 1, 'master killed: exit 1');
like($err, qr/^weirctl: ping: master process $master \(pid file "[^"]+"\) is not running$/,
     'master killed: said') or diag $err;

# the workers it leaves behind serve on (as nginx's); a supervisor
# (systemd's control group) ends them
kill 'KILL', @kids;

done_testing();
