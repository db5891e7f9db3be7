#!/usr/bin/perl
# weir: storms (issue 13 item 16). While a TCP client loop (a new
# connection per exchange) and an HTTP keep-alive client loop run:
# 100 reloads, 0.1 s apart, fail no request; `kill -9` of a worker loses
# at most the requests it had in flight and the worker comes back;
# `kill -9` of the health checker changes no routing (a target that is
# down stays out of rotation while the new checker starts).
use strict;
use warnings;
use lib 't/lib';
use POSIX ();
use Time::HiRes qw(time sleep);
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend);
use WeirHTTP qw(start_http_backend http_connect http_request);

my $w = Weir->new;
my $dir = $w->dir;
my ($tport, $hport) = (free_port(), free_port());
my %b = map { $_ => start_backend(name => $_, mode => 'tag') } qw(A B);
my %h = map { $_ => start_http_backend(name => $_) } qw(X Y);
my $down = free_port();     # nothing listens there: its checks fail

$w->write_config(<<"EOF");
worker_processes: 2
shutdown_timeout: 10000
load_balancers:
  - name: storm-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: $tport, target_group: tcp-pool }
    target_groups:
      - name: tcp-pool
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { name: ta, address: 127.0.0.1, protocol_port: $b{A}{port} }
          - { name: tb, address: 127.0.0.1, protocol_port: $b{B}{port} }
          - { name: tdown, address: 127.0.0.1, protocol_port: $down }
  - name: storm-alb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $hport, target_group: web-pool }
    target_groups:
      - name: web-pool
        protocol: HTTP
        members:
          - { name: hx, address: 127.0.0.1, protocol_port: $h{X}{port} }
          - { name: hy, address: 127.0.0.1, protocol_port: $h{Y}{port} }
EOF

ok($w->start($tport, $hport), 'weir started') or BAIL_OUT($w->log_text);
ok($w->wait_log(qr/target 127\.0\.0\.1:$down of group tcp-pool is DOWN/, 10),
   'the member without a server is DOWN');
ok(wait_for(sub { $w->log_text =~ /127\.0\.0\.1:$b{B}{port} of group tcp-pool is UP/
                  && $w->log_text =~ /127\.0\.0\.1:$b{A}{port} of group tcp-pool is UP/ }, 10),
   'the others are UP');

# the client loops: counts in files, written every 20 requests and at
# the end ("total failed wrong": wrong = an answer from the down member)
my @kids;
for my $k (1 .. 2) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($n, $fail, $wrong) = (0, 0, 0);
        my $sock;
        my $flush = sub {
            open(my $fh, '>', "$dir/count.$k.tmp");
            print $fh "$n $fail $wrong\n";
            close $fh;
            rename "$dir/count.$k.tmp", "$dir/count.$k";
        };
        while (!-e "$dir/stop" && $n < 200000) {
            $n++;
            if ($k == 1) {
                my $r = tcp_exchange($tport, "s $n\n");
                if (!defined $r || $r !~ /^([AB]) s $n\n\z/) { $fail++ }
            } else {
                $sock //= http_connect($hport);
                my $r = $sock && http_request($sock, 'GET', '/');
                if (!$r) {
                    # a keep-alive connection may be closed between two
                    # requests (a draining worker says Connection: close
                    # first); the retry on a new one must work
                    $sock = http_connect($hport);
                    $r = $sock && http_request($sock, 'GET', '/');
                }
                $fail++ unless $r && $r->{status} == 200;
                undef $sock if !$r
                    || ($r->{headers}{connection} // '') =~ /close/i;
            }
            $flush->() if $n % 20 == 0;
        }
        $flush->();
        open(my $fh, '>', "$dir/done.$k"); close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

sub counts {
    my ($n, $fail) = (0, 0);
    for my $k (1 .. 2) {
        open(my $fh, '<', "$dir/count.$k") or next;
        my ($a, $b) = split ' ', (<$fh> // '0 0 0');
        $n += $a; $fail += $b;
    }
    return ($n, $fail);
}

sub flowing {
    my ($more) = @_;
    my ($before) = counts();
    return wait_for(sub { (counts())[0] >= $before + $more }, 15);
}

ok(flowing(50), 'the client loops run');

# --- 100 reloads, 0.1 s apart ---
my $t0 = time;
my $gen = () = $w->log_text =~ /configuration generation \d+ is running/g;
for my $i (1 .. 100) {
    $w->signal('HUP');
    my $want = $gen + $i;
    wait_for(sub {
        my $n = () = $w->log_text =~ /configuration generation \d+ is running/g;
        $n >= $want }, 10) or last;
    sleep 0.1;
}
my $reloads = (() = $w->log_text =~ /configuration generation \d+ is running/g) - $gen;
is($reloads, 100, "100 reloads done in " . sprintf('%.1f', time - $t0) . ' s');
ok(flowing(50), 'traffic flows after them');
my ($n1, $f1) = counts();
is($f1, 0, "no request failed during 100 reloads ($n1 so far)");
ok(wait_for(sub { scalar($w->workers) == 2 }, 20), 'the old workers are gone');

# --- kill -9 of a worker ---
my @workers = $w->workers;
kill 'KILL', $workers[0];
ok(wait_for(sub {
       my @now = $w->workers;
       @now == 2 && !grep { $_ == $workers[0] } @now }, 10),
   'the killed worker is replaced');
ok(flowing(50), 'traffic flows after it');
my ($n2, $f2) = counts();
cmp_ok($f2 - $f1, '<=', 2,
       'at most the requests in flight on the killed worker failed (' . ($f2 - $f1) . ')');

# --- kill -9 of the checker: the DOWN member stays out ---
my ($checker) = $w->children(qr/health checker/);
kill 'KILL', $checker;
ok(wait_for(sub {
       my ($c) = $w->children(qr/health checker/);
       $c && $c != $checker }, 10), 'the checker is replaced');
ok(flowing(100), 'traffic flows while the new checker starts');

open(my $fh, '>', "$dir/stop"); close $fh;
waitpid($_, 0) for @kids;
my ($n3, $f3) = counts();
is($f3 - $f2, 0, 'no request failed after the checker was killed');
# a connect to the DOWN member would be logged with its address: none,
# through 100 reloads (each with a new checker) and the kill
unlike($w->log_text, qr/target: 127\.0\.0\.1:$down\b/,
       'the DOWN member got no connection at any time');
cmp_ok($n3, '>=', 500, "the client loops made $n3 requests");

$w->stop('QUIT');
done_testing();
