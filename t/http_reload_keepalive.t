#!/usr/bin/perl
# weir: keep-alive HTTP clients across reloads. Clients that send request
# after request on kept-alive connections run while the master gets 20
# HUPs; no request may fail. A draining worker (after a reload, or
# SIGQUIT) answers the next request on each keep-alive connection with
# Connection: close instead of closing idle connections under the
# clients' feet (HAProxy's idle-close-on-response); only connections
# idle past a short grace are closed. Issue 13, item 16 (HTTP part).
use strict;
use warnings;
use lib 't/lib';
use POSIX ();
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request);

my $w = Weir->new;
my $dir = $w->dir;
my $port = free_port();
my $a = start_http_backend(name => 'A');
my $b = start_http_backend(name => 'B');

$w->write_config(<<"EOF2");
worker_processes: 2
shutdown_timeout: 10000
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: $port
        target_group: pool
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $a->{port} }
          - { address: 127.0.0.1, protocol_port: $b->{port} }
EOF2

ok($w->start($port), 'weir started') or BAIL_OUT('weir did not start');

# A client: a keep-alive connection, a request after each response; a
# response with Connection: close ends the connection and the next
# request goes on a new one. A request without a whole response (the
# connection closed or reset under it) or a failed connect is a failure.
# Counts go to count.K as "requests failures closes".
my $clients = 3;
my @kids;
for my $k (1 .. $clients) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($n, $fail, $closes) = (0, 0, 0);
        my $c;
        my $save = sub {
            my ($f) = @_;
            open(my $fh, '>', "$dir/$f.$k.tmp");
            print $fh "$n $fail $closes\n";
            close $fh;
            rename "$dir/$f.$k.tmp", "$dir/$f.$k";
        };
        while (!-e "$dir/stop" && $n < 200000) {
            $c //= http_connect($port);
            $n++;
            if (!$c) {
                $fail++;
                next;
            }
            my $r = http_request($c, 'GET', "/?$k-$n", timeout => 5);
            if (!$r || $r->{status} != 200) {
                $fail++;
                close $c;
                undef $c;
            } elsif (($r->{headers}{connection} // '') =~ /close/i) {
                $closes++;
                close $c;
                undef $c;
            }
            $save->('count') if $n % 10 == 0;
        }
        $save->('done');
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

sub counts {
    my ($total, $fail, $closes) = (0, 0, 0);
    for my $k (1 .. $clients) {
        open(my $fh, '<', "$dir/count.$k") or next;
        my ($n, $f, $c) = split ' ', (<$fh> // '0 0 0');
        $total += $n; $fail += $f; $closes += $c;
    }
    return ($total, $fail, $closes);
}

ok(wait_for(sub { my ($n) = counts(); $n >= 100 }, 20),
   'the clients are under way');

my $gen = 1;
my ($running, $drained) = (0, 0);
for my $h (1 .. 20) {
    my ($before) = counts();
    $w->signal('HUP');
    $gen++;
    $running++ if $w->wait_log(qr/configuration generation $gen is running/,
                               10);
    # the old workers drain their clients' connections and exit, and
    # traffic goes on through the new ones before the next HUP
    $drained++ if wait_for(sub { scalar($w->workers) == 2 }, 15);
    wait_for(sub { my ($n) = counts(); $n >= $before + 60 }, 10);
}
is($running, 20, '20 reloads, each generation running');
is($drained, 20, 'after each, the old workers drained and exited');

open(my $fh, '>', "$dir/stop"); close $fh;
waitpid($_, 0) for @kids;
my ($total, $fail, $closes) = (0, 0, 0);
for my $k (1 .. $clients) {
    open(my $d, '<', "$dir/done.$k") or next;
    my ($n, $f, $c) = split ' ', <$d>;
    $total += $n; $fail += $f; $closes += $c;
}
cmp_ok($total, '>=', 1000, "at least 1000 requests made ($total)");
is($fail, 0, "no request failed across 20 reloads ($total requests, "
             . "$closes answered with Connection: close)");
cmp_ok($closes, '>=', 20, 'draining workers told clients to reconnect '
                          . 'with Connection: close');

check_clean($w);

done_testing();
