#!/usr/bin/perl
# weir: health lives in the shared zone. A reload keeps it (a down target
# stays down right after HUP, nothing is logged again) and replaces the
# checker at once; killing the checker changes nothing workers route to,
# and the master starts a new one that continues from the zone's counts.
# A target whose check settings change is re-evaluated (back on its first
# passing check, not after max_retries), and a target added by a reload is
# in rotation after its first passing check.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for tcp_exchange start_backend);
use WeirHealth qw(checker_pid);

my $w = Weir->new;
my $dir = $w->dir;

my $ba = start_backend(name => 'A', mode => 'tag');
my $bb = start_backend(name => 'B', mode => 'tag');
my $bc = start_backend(name => 'C', mode => 'tag');
my $bm = start_backend(name => 'M', mode => 'tag');   # B's monitor, later
my $closed = free_port();
my $port = free_port();

sub config {
    my (%o) = @_;
    my $bmon = $o{b_monitor} // $closed;
    my $c = $o{with_c}
        ? "          - { name: c, address: 127.0.0.1, protocol_port: $bc->{port} }\n"
        : '';
    return <<"EOF";
worker_processes: 2
load_balancers:
  - name: reload-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: in, protocol: TCP, protocol_port: $port, target_group: pool }
    target_groups:
      - name: pool
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 5, max_retries_down: 2 }
        members:
          - { name: a, address: 127.0.0.1, protocol_port: $ba->{port} }
          - { name: b, address: 127.0.0.1, protocol_port: $bb->{port}, monitor_port: $bmon }
$c
EOF
}

sub count {
    my ($re) = @_;
    my @m = $w->log_text =~ /$re/g;
    return scalar @m;
}

my $n = 0;
# names of the targets that answered $k exchanges; 'failed' for failures
sub traffic {
    my ($k) = @_;
    my %seen;
    for (1 .. $k) {
        $n++;
        my $r = tcp_exchange($port, "r$n\n", 5);
        my $who = defined $r && $r =~ /^([A-Z]) r$n\n\z/ ? $1 : 'failed';
        $seen{$who}++;
    }
    return join ' ', map { "$_=$seen{$_}" } sort keys %seen;
}

my $a_up = qr/target 127\.0\.0\.1:$ba->{port} of group pool is UP/;
my $b_up = qr/target 127\.0\.0\.1:$bb->{port} of group pool is UP/;
my $b_down = qr/target 127\.0\.0\.1:$bb->{port} of group pool is DOWN/;
my $c_up = qr/target 127\.0\.0\.1:$bc->{port} of group pool is UP/;

$w->write_config(config());
ok($w->start($port), 'weir started') or BAIL_OUT('weir did not start');

ok($w->wait_log($a_up, 5), 'A is UP');
ok($w->wait_log($b_down, 8), 'B is DOWN (its monitor port is closed)');
is(traffic(10), 'A=10', 'B gets no traffic although its port is open');

# --- reload: health kept, checker replaced at once ---
my $old = checker_pid($w);
ok($old, "a health checker runs ($old)");
$w->signal('HUP');
ok($w->wait_log(qr/configuration generation 2 is running/, 10),
   'reloaded');
is(traffic(10), 'A=10', 'right after HUP the down target is still down');
ok(wait_for(sub { !kill(0, $old) }, 3), 'the old checker exited at once');
my $new;
ok(wait_for(sub { $new = checker_pid($w); $new && $new != $old }, 5),
   'a new checker runs');

# the new checker goes on from the zone: no transition is logged again
my $t0 = time;
my $same = 1;
while (time - $t0 < 3) {
    $same = 0 if traffic(2) ne 'A=2';
}
ok($same, 'traffic unchanged over the next checks');
is(count($a_up), 1, 'A was not logged UP again');
is(count($b_down), 1, 'B was not logged DOWN again');

# --- kill the checker: routing unchanged, respawned ---
kill 'KILL', $new;
my $during = traffic(6);
is($during, 'A=6', 'workers route as before while the checker is dead');
my $third;
ok(wait_for(sub { $third = checker_pid($w); $third && $third != $new }, 5),
   'the master started a new checker');
ok($w->wait_log(qr/health checker $new \(slot \d+\) exited on signal 9/, 3),
   'the crash was logged');
$t0 = time;
$same = 1;
while (time - $t0 < 3) {
    $same = 0 if traffic(2) ne 'A=2';
}
ok($same, 'traffic unchanged after the respawn');
is(count($a_up) + count($b_down), 2, 'no transition logged after the crash');

# --- B's check settings change: re-evaluated, up on its first success ---
$w->write_config(config(b_monitor => $bm->{port}, with_c => 1));
$t0 = time;
$w->signal('HUP');
ok($w->wait_log(qr/configuration generation 3 is running/, 10),
   'reloaded with a new monitor port for B and a new target C');
# the new checker logs it once it has read the zone: wait for it
ok($w->wait_log(qr/target 127\.0\.0\.1:$bb->{port} of group pool: check (?x)
                   settings\ changed,\ re-evaluating/, 5),
   'the change of B\'s settings was noticed');
ok($w->wait_log(qr/$b_up \(1 success in a row\)/, 5),
   'B is UP on its first passing check, not after max_retries (5)');
ok($w->wait_log(qr/$c_up \(1 success in a row\)/, 5),
   'the new target C is UP on its first passing check');
ok(time - $t0 < 5, sprintf('both within %.1f s of the reload', time - $t0));
my $mix = traffic(12);
like($mix, qr/^A=\d+ B=\d+ C=\d+$/, "all three serve ($mix)");
is(count($a_up), 1, 'A (settings unchanged) stayed UP without a new line');
# the settings hash walks the health_monitor and member tables: the same
# settings hash alike in every checker, so two reloads never re-evaluated A
is(count(qr/target 127\.0\.0\.1:$ba->{port} of group pool: check settings/),
   0, 'A (settings unchanged) was never re-evaluated');

$w->stop;
unlike($w->log_text, qr/\[(emerg|crit)\]/, 'no emergencies in the log');

done_testing();
