#!/usr/bin/perl
# weir: an HTTP listener whose target group has protocol PROXY sends the
# PROXY protocol header (v1, or v2 with proxy_protocol_version: 2) first on
# every new target connection (SPEC 2), and such a connection, which
# names one client, serves no other client: it is kept only for the next
# requests of the client connection it was opened for (as HAProxy keeps
# such connections private). Issue 13, defect 14.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request
                count_lines);

my $w = Weir->new;
my $dir = $w->dir;

my $p1 = start_http_backend(name => 'P1', log => "$dir/p1.log", proxy => 1);
my $p2 = start_http_backend(name => 'P2', log => "$dir/p2.log", proxy => 1);
my %port = map { $_ => free_port() } qw(v1 v2);

$w->write_config(<<"EOF2");
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: v1
        protocol: HTTP
        protocol_port: $port{v1}
        target_group: pool-v1
      - name: v2
        protocol: HTTP
        protocol_port: $port{v2}
        target_group: pool-v2
    target_groups:
      - name: pool-v1
        protocol: PROXY
        members:
          - { address: 127.0.0.1, protocol_port: $p1->{port} }
      - name: pool-v2
        protocol: PROXY
        proxy_protocol_version: 2
        members:
          - { address: 127.0.0.1, protocol_port: $p2->{port} }
EOF2

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

for my $v (qw(v1 v2)) {
    my $log = $v eq 'v1' ? "$dir/p1.log" : "$dir/p2.log";

    # two clients at once, taking turns, three keep-alive requests each:
    # every answer names the client of its own connection, so neither
    # got the other's target connection
    my (@c, @want, @ok);
    for my $n (0, 1) {
        $c[$n] = http_connect($port{$v});
        my $cport = $c[$n]->sockport;
        $want[$n] = $v eq 'v1'
                    ? "v1 TCP4 127.0.0.1 127.0.0.1 $cport $port{$v}"
                    : "v2 127.0.0.1:$cport 127.0.0.1:$port{$v}";
        $ok[$n] = 0;
    }
    for (1 .. 3) {
        for my $n (0, 1) {
            my $r = http_request($c[$n], 'GET', '/');
            $ok[$n]++ if $r && $r->{status} == 200
                         && ($r->{headers}{'x-proxy'} // '') eq $want[$n];
        }
    }
    for my $n (0, 1) {
        is($ok[$n], 3, "$v: client " . ($n + 1) . ": 3 answers, each over "
                       . "a connection whose PROXY header names it");
    }
    is(count_lines($log, qr/^bytes/), 0,
       "$v: no target connection closed while its client is there");
    for my $n (0, 1) {
        close $c[$n];
        # the target logs "bytes" as a connection ends
        ok(wait_for(sub { count_lines($log, qr/^bytes/) == $n + 1 }),
           "$v: client " . ($n + 1) . " gone: its target connection "
           . "closed too");
    }

    ok(wait_for(sub { count_lines($log, qr/^req /) == 6 }),
       "$v: the target got 6 requests");
    is(count_lines($log, qr/^proxy missing/), 0,
       "$v: no target connection without a PROXY header");
    is(count_lines($log, qr/^proxy v/), count_lines($log, qr/^accept/),
       "$v: every target connection began with a PROXY header");
    is(count_lines($log, qr/^accept/), 2,
       "$v: one target connection per client, kept for its requests");
}

check_clean($w);

done_testing();
