#!/usr/bin/perl
# weir: children that switch to `user:` still die with a master killed
# outright. The kernel clears PR_SET_PDEATHSIG when a process changes its
# credentials, so the health checker and the admin process set it again
# after the switch (lb_child.c); a checker that outlived its master kept
# probing targets with nobody to read its results (found by t/deb.t,
# whose package runs the children as weir). Root only: the switch needs
# it.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for start_backend);

plan skip_all => 'switching to a user needs root' if $> != 0;
my $nobody = getpwnam('nobody');
plan skip_all => 'no user nobody' unless defined $nobody;

my $w = Weir->new;
chmod 0755, $w->dir;
my $port = free_port();
my $admin_port = free_port();
my $echo = start_backend(name => 'E', mode => 'echo');
open(my $t, '>', $w->dir . '/admin.token') or die $!;
print $t "process-user-token-0123456789abcdef\n";
close $t;
chmod 0600, $w->dir . '/admin.token';

$w->write_config(<<"EOF");
worker_processes: 1
user: nobody
admin:
  listen: 127.0.0.1:$admin_port
  token_file: admin.token
load_balancers:
  - name: user-lb
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
        health_monitor: { type: TCP, delay: 2, timeout: 1 }
        members:
          - { name: e1, address: 127.0.0.1, protocol_port: $echo->{port} }
EOF
ok($w->start($port, $admin_port), 'weir started');

my ($checker, $admin);
ok(wait_for(sub {
    ($checker) = $w->children(qr/health checker/);
    ($admin) = $w->children(qr/admin process/);
    $checker && $admin;
}), 'health checker and admin process running');

sub uid_of {
    my ($pid) = @_;
    open(my $s, '<', "/proc/$pid/status") or return -1;
    my ($uid) = do { local $/; <$s> } =~ /^Uid:\s+(\d+)/m;
    return $uid // -1;
}
ok(wait_for(sub { uid_of($checker) == $nobody && uid_of($admin) == $nobody }),
   'both run as nobody');

my @workers = $w->workers;
kill 'KILL', $w->pid;
ok(wait_for(sub { $w->exited }, 5), 'master killed');
ok(wait_for(sub { !kill(0, $checker) }, 10),
   'the health checker exits with its master');
ok(wait_for(sub { !kill(0, $admin) }, 10),
   'the admin process exits with its master');

# the workers notice the master's death by their own means (or not):
# not this test's subject; none is left behind
kill 'TERM', grep { kill 0, $_ } @workers;
ok(wait_for(sub { !grep { kill 0, $_ } @workers }, 10), 'workers gone');

done_testing();
