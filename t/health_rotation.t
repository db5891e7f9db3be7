#!/usr/bin/perl
# weir: targets leave and rejoin rotation on TCP checks. With delay 2,
# timeout 1, max_retries_down 2 a killed target leaves rotation within
# delay * max_retries_down + timeout = 5 s while clients keep being served
# by the other target without a single failure; restarted, it is back
# within delay * max_retries + timeout. A target whose traffic port is open
# but whose monitor port is closed is down; checks go to the monitor port.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Weir qw(free_port wait_for tcp_exchange start_backend stop_server);

my $w = Weir->new;
my $dir = $w->dir;

my $ba = start_backend(name => 'A', mode => 'tag');
my $bb = start_backend(name => 'B', mode => 'tag');
my $bc = start_backend(name => 'C', mode => 'tag', log => "$dir/c.log");
my $bm = start_backend(name => 'M', mode => 'tag', log => "$dir/m.log");
my $closed = free_port();
my ($port, $port2) = (free_port(), free_port());

$w->write_config(<<"EOF");
worker_processes: 2
load_balancers:
  - name: rot-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: main, protocol: TCP, protocol_port: $port, target_group: pool }
      - { name: mon, protocol: TCP, protocol_port: $port2, target_group: mon-pool }
    target_groups:
      - name: pool
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 2, max_retries_down: 2 }
        members:
          - { name: a, address: 127.0.0.1, protocol_port: $ba->{port} }
          - { name: b, address: 127.0.0.1, protocol_port: $bb->{port} }
      - name: mon-pool
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 2, max_retries_down: 2 }
        members:
          - { name: b, address: 127.0.0.1, protocol_port: $bb->{port}, monitor_port: $closed }
          - { name: c, address: 127.0.0.1, protocol_port: $bc->{port}, monitor_port: $bm->{port} }
EOF

ok($w->start($port, $port2), 'weir started') or BAIL_OUT('weir did not start');

sub up_re {
    my ($p, $g) = @_;
    return qr/target 127\.0\.0\.1:$p of group $g is UP/;
}

sub down_re {
    my ($p, $g) = @_;
    return qr/target 127\.0\.0\.1:$p of group $g is DOWN/;
}

ok($w->wait_log(up_re($ba->{port}, 'pool'), 5), 'A is UP');
ok($w->wait_log(up_re($bb->{port}, 'pool'), 5), 'B is UP');

my $n = 0;
sub ask {
    $n++;
    my $r = tcp_exchange($port, "q$n\n", 5);
    return undef unless defined $r && $r =~ /^([AB]) q$n\n\z/;
    return $1;
}

my %seen;
$seen{ ask() // 'failed' }++ for 1 .. 10;
ok($seen{A} && $seen{B} && !$seen{failed},
   'both targets in rotation (2 workers)');

# --- kill A: out within 5 s, no client request fails meanwhile ---
my $t0 = time;
stop_server($ba);

my ($fail, $asked, $toa) = (0, 0, 0);
my $down = down_re($ba->{port}, 'pool');
while (time - $t0 < 10) {
    my $r = ask();
    $asked++;
    $fail++ unless defined $r;
    last if $w->log_text =~ $down;
    sleep 0.05;
}
my $took = time - $t0;
like($w->log_text, qr/target\ 127\.0\.0\.1:$ba->{port}\ of\ group\ pool\ (?x)
                      is\ DOWN:\ connect\ refused\ \(2\ failures\ in\ a\ row\)/,
     'A is DOWN: connect refused (2 failures in a row)');
# 5 s is the bound; a loaded machine gets a little room
ok($took < 5 + 1.5, sprintf('A left rotation in %.1f s (bound 5 s)', $took));
is($fail, 0, "no client request failed meanwhile ($asked asked)");

%seen = ();
$seen{ ask() // 'failed' }++ for 1 .. 10;
is_deeply(\%seen, { B => 10 }, 'only B serves while A is down');

# --- restart A on its port: back within delay * max_retries + timeout ---
$t0 = time;
$ba = start_backend(name => 'A', mode => 'tag', port => $ba->{port});
my $upa = up_re($ba->{port}, 'pool');
ok(wait_for(sub { my @u = $w->log_text =~ /$upa/g; @u == 2 }, 10),
   'A is UP again');
$took = time - $t0;
ok($took < 5 + 1.5, sprintf('A returned in %.1f s (bound 5 s)', $took));

%seen = ();
$seen{ ask() // 'failed' }++ for 1 .. 10;
ok($seen{A} && $seen{B} && !$seen{failed}, 'A serves again');

# --- monitor ports ---
ok($w->wait_log(down_re($bb->{port}, 'mon-pool'), 8),
   'a target with its traffic port open but its monitor port closed is DOWN');
like($w->log_text, qr/target 127\.0\.0\.1:$bb->{port} of group mon-pool is (?x)
                      DOWN:\ connect\ refused/,
     '... because the connect was refused');
unlike($w->log_text, down_re($bb->{port}, 'pool'),
       'the same address in the other group (checked on its own port) is not');
ok($w->wait_log(up_re($bc->{port}, 'mon-pool'), 5),
   'C is UP through its monitor port');

sub lines {
    my ($f) = @_;
    open(my $fh, '<', $f) or return 0;
    my @l = <$fh>;
    return scalar @l;
}

my ($m0, $c0) = (lines("$dir/m.log"), lines("$dir/c.log"));
ok($m0 >= 1, 'checks of C go to its monitor port');
ok(wait_for(sub { lines("$dir/m.log") > $m0 }, 5), 'and go on there');
is(lines("$dir/c.log"), $c0, 'C\'s traffic port saw none of them');

my $ok = 1;
for my $i (1 .. 6) {
    my $r = tcp_exchange($port2, "m$i\n", 5);
    $ok = 0 unless defined $r && $r eq "C m$i\n";
}
ok($ok, 'traffic of that group goes to C only');

$w->stop;
unlike($w->log_text, qr/\[(alert|emerg|crit)\]/, 'no alerts in the log');

done_testing();
