#!/usr/bin/perl
# weir: changes to target groups taken up by the running workers (issue
# 11, live apply). The master gets SIGUSR2 (what the admin process sends
# after it rewrote the file): a file that changes only target groups and
# which group a listener serves goes to the workers as a new generation,
# with the same worker pids and no failed exchange while TCP and HTTP
# keep-alive clients run; the traffic follows the new members, weights
# and algorithm; a request running on a removed member completes; a file
# that changes a listener takes a graceful reload instead (new workers).
use strict;
use warnings;
use lib 't/lib';
use POSIX ();
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend);
use WeirHTTP qw(start_http_backend http_connect http_request);

my $w = Weir->new;
my $dir = $w->dir;
my ($tport, $hport, $hport2) = (free_port(), free_port(), free_port());
my %b = map { $_ => start_backend(name => $_, mode => 'tag') } qw(A B C);
my %h = map { $_ => start_http_backend(name => $_) } qw(X Y Z);

sub config {
    my (%o) = @_;
    my $tm = join '', map {
        "          - { name: m$_, address: 127.0.0.1, protocol_port: $b{$_}{port}"
        . ($o{weights} && defined $o{weights}{$_} ? ", weight: $o{weights}{$_}" : '')
        . " }\n"
    } @{ $o{tcp} };
    my $hm = join '', map {
        "          - { name: h$_, address: 127.0.0.1, protocol_port: $h{$_}{port} }\n"
    } @{ $o{http} };
    $tm .= "          - { name: mdead, address: 127.0.0.1, protocol_port: $o{dead} }\n"
        if $o{dead};
    my $mon = $o{monitor} ? <<"HM" : '';
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
HM
    my $algo = $o{algo} // 'ROUND_ROBIN';
    my $extra = $o{listener2} ? <<"L2" : '';
      - name: http-in-2
        protocol: HTTP
        protocol_port: $hport2
        target_group: web-pool
L2
    return <<"EOF2";
worker_processes: 2
shutdown_timeout: 10000
load_balancers:
  - name: live-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - name: tcp-in
        protocol: TCP
        protocol_port: $tport
        target_group: pool
    target_groups:
      - name: pool
        protocol: TCP
        load_balancer_algorithm: $algo
$mon        members:
$tm
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http-in
        protocol: HTTP
        protocol_port: $hport
        target_group: web-pool
$extra
    target_groups:
      - name: web-pool
        protocol: HTTP
        members:
$hm
EOF2
}

$w->write_config(config(tcp => ['A', 'B'], http => ['X', 'Y']));
ok($w->start($tport), 'weir started');
# the master's sockets accept before its workers have their titles: wait
ok(wait_for(sub { scalar($w->workers) == 2 }, 10), 'two workers');
my @workers = $w->workers;

sub exchange {
    my ($i) = @_;
    my $r = tcp_exchange($tport, "hello $i\n");
    return undef unless defined $r && $r =~ /^([ABC]) hello \Q$i\E\n\z/;
    return $1;
}

# one HTTP keep-alive connection: the name of the member that answered
my $keep;
sub http_get {
    my ($path) = @_;
    for my $try (1 .. 2) {
        $keep //= http_connect($hport);
        my $r = $keep && http_request($keep, 'GET', $path // '/');
        return $r if $r;
        undef $keep;        # closed by weir between requests: allowed once
    }
    return undef;
}

# client loops: TCP exchanges and HTTP keep-alive requests
my @kids;
for my $k (1 .. 2) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($n, $fail) = (0, 0);
        my $sock;
        while (!-e "$dir/stop" && $n < 50000) {
            # paused while the test measures a split: its own requests
            # would take turns in the same rotation
            if (-e "$dir/pause") {
                open(my $p, '>', "$dir/paused.$k"); close $p;
                select(undef, undef, undef, 0.01);
                next;
            }
            $n++;
            if ($k == 1) {
                $fail++ unless defined exchange("$k-$n");
            } else {
                $sock //= http_connect($hport);
                my $r = $sock && http_request($sock, 'GET', '/');
                if (!$r) {
                    # a keep-alive connection may be closed between two
                    # requests; the retry on a new one must work
                    $sock = http_connect($hport);
                    $r = $sock && http_request($sock, 'GET', '/');
                }
                $fail++ unless $r && $r->{status} == 200;
                undef $sock if !$r || ($r->{headers}{connection} // '') =~ /close/i;
            }
            if ($n % 10 == 0) {
                open(my $fh, '>', "$dir/count.$k.tmp");
                print $fh "$n $fail\n";
                close $fh;
                rename "$dir/count.$k.tmp", "$dir/count.$k";
            }
        }
        open(my $fh, '>', "$dir/done.$k");
        print $fh "$n $fail\n";
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

sub counts {
    my ($total) = (0);
    for my $k (1 .. 2) {
        open(my $fh, '<', "$dir/count.$k") or next;
        my ($n) = split ' ', (<$fh> // '0 0');
        $total += $n;
    }
    return $total;
}

my $applied = 0;
sub apply {
    my ($what, %o) = @_;
    my $before = counts();
    my $taken = qr/#worker \d+: configuration generation \d+ taken up/;
    my $n = () = $w->log_text =~ /$taken/g;
    $w->write_config(config(%o));
    $w->signal('USR2');
    $applied++;
    ok(wait_for(sub { my $m = () = $w->log_text =~ /$taken/g; $m >= $n + 2 }, 10),
       "$what: both workers took the generation up");
    wait_for(sub { counts() >= $before + 20 }, 10);
}

# the client loops pause while a split is measured: their requests would
# take turns with the measured ones in the same rotation and skew them
sub pause_loops {
    unlink "$dir/paused.$_" for 1 .. 2;
    { open(my $p, '>', "$dir/pause"); close $p; }
    wait_for(sub { -e "$dir/paused.1" && -e "$dir/paused.2" }, 10)
        or die "the client loops did not pause";
}

sub resume_loops { unlink "$dir/pause"; }

sub spread {
    my ($count) = @_;
    my %seen;
    pause_loops();
    $seen{ exchange("s-$_") // 'FAIL' }++ for 1 .. $count;
    resume_loops();
    return \%seen;
}

sub http_spread {
    my ($count) = @_;
    my %seen;
    pause_loops();
    for (1 .. $count) { my $r = http_get('/'); $seen{ $r ? $r->{body} : 'FAIL' }++ }
    resume_loops();
    return \%seen;
}

apply('add a member', tcp => ['A', 'B', 'C'], http => ['X', 'Y', 'Z']);
is_deeply([sort keys %{ spread(30) }], [qw(A B C)], 'a new TCP member gets traffic');
is_deeply([sort keys %{ http_spread(30) }], ["X\n", "Y\n", "Z\n"],
          'a new HTTP member gets traffic');

apply('remove a member', tcp => ['B', 'C'], http => ['Y', 'Z']);
is_deeply([sort keys %{ spread(30) }], [qw(B C)], 'a removed TCP member gets no new traffic');
is_deeply([sort keys %{ http_spread(30) }], ["Y\n", "Z\n"],
          'a removed HTTP member gets no new requests');

apply('weights 64:192', tcp => ['B', 'C'], http => ['Y', 'Z'],
      weights => { B => 64, C => 192 });
my $s = spread(400);
my $share = ($s->{C} // 0) / 400;
ok($share > 0.70 && $share < 0.80, "weights 64:192 give C about 75 % ($share)");

apply('algorithm', tcp => ['B', 'C'], http => ['Y', 'Z'], algo => 'LEAST_CONNECTIONS');
is_deeply([sort keys %{ spread(20) }], [qw(B C)], 'LEAST_CONNECTIONS serves both');

# a slow request on a member that is removed while it runs completes
my $slow = http_connect($hport);
my ($slow_member);
for (1 .. 10) {
    # find a connection that lands on Z: Y and Z alternate
    my $r = http_request($slow, 'GET', '/');
    $slow_member = $r->{body} if $r;
    last if $slow_member && $slow_member eq "Z\n";
}
is($slow_member, "Z\n", 'a keep-alive connection was sent to Z');
syswrite($slow, "GET /slow?1500 HTTP/1.1\r\nHost: x\r\n\r\n");
apply('remove Z while a request runs', tcp => ['B', 'C'], http => ['Y']);
my $r = WeirHTTP::read_response($slow, 'GET', 10);
ok($r && $r->{status} == 200, 'the request running on the removed member completed');
is_deeply([sort keys %{ http_spread(10) }], ["Y\n"],
          'new requests avoid the removed member');

is_deeply([$w->workers], \@workers, 'the workers are the same processes');

# a monitor and a member that fails it, added live: the checker takes
# them up in place, the failing member gets no traffic
my @checker = $w->children(qr/health checker/);
my $dead = free_port();
apply('a monitor and a dead member', tcp => ['B', 'C'], http => ['Y'],
      monitor => 1, dead => $dead);
ok($w->wait_log(qr/target 127\.0\.0\.1:$dead of group pool is DOWN/, 10),
   'the checker checks the new member');
is_deeply([sort keys %{ spread(30) }], [qw(B C)], 'the failing member gets no traffic');
is_deeply([$w->children(qr/health checker/)], \@checker,
          'the checker is the same process');

# a listener change needs new sockets: a graceful reload
my $gen_before = () = $w->log_text =~ /is running/g;
$w->write_config(config(tcp => ['B', 'C'], http => ['Y'], listener2 => 1));
$w->signal('USR2');
ok($w->wait_log(qr/need new sockets or settings: reloading/, 10),
   'a new listener takes a reload');
ok(wait_for(sub { my $c = http_connect($hport2); $c && http_request($c, 'GET', '/') }, 10),
   'the new listener serves');

open(my $fh, '>', "$dir/stop"); close $fh;
waitpid($_, 0) for @kids;
my ($total, $fail) = (0, 0);
for my $k (1 .. 2) {
    open(my $d, '<', "$dir/done.$k") or next;
    my ($n, $f) = split ' ', <$d>;
    $total += $n; $fail += $f;
}
cmp_ok($total, '>=', 200, "client loops made $total exchanges");
is($fail, 0, 'no exchange or request failed while changes were applied');
unlike($w->log_text, qr/\[(alert|emerg)\]/, 'no alert in the log');

# with the clients gone, the groups of the old generations are freed
undef $keep;
undef $slow;
ok($w->wait_log(qr/generation \d+: no connection that could use it is left/, 10),
   'the groups of an old generation are freed once its connections are gone');

$w->stop('QUIT');
done_testing();
