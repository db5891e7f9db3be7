#!/usr/bin/perl
# weir: HTTP health checks. The target sees exactly the request line and
# Host the health_monitor asks for (method, url_path, version; Host names
# the address and monitor port); a target that starts answering 500 with
# expected_codes "200-299" leaves rotation and comes back when it answers
# 200 again; "200,201-299" style lists accept what they list; checks go to
# monitor_port; CONNECT asks for a tunnel to the host:port its url_path
# names (authority form, RFC 9110 9.3.6), which is its Host too.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for);
use WeirHealth qw(http_target set_status http_ask requests);

my $w = Weir->new;
my $dir = $w->dir;

my $ta = http_target(name => 'A', dir => $dir);
my $tb = http_target(name => 'B', dir => $dir);
my $tc = http_target(name => 'C', dir => $dir);   # answers 201
my $tm = http_target(name => 'M', dir => $dir);   # monitor port of D
my $td = http_target(name => 'D', dir => $dir);   # traffic port of D
my $te = http_target(name => 'E', dir => $dir);   # a proxy, CONNECT check
set_status($tc, 201);

my ($port, $port2, $port3) = (free_port(), free_port(), free_port());

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: health-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: web, protocol: TCP, protocol_port: $port, target_group: web-tg }
      - { name: other, protocol: TCP, protocol_port: $port2, target_group: list-tg }
      - { name: proxy, protocol: TCP, protocol_port: $port3, target_group: proxy-tg }
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          delay: 2
          timeout: 1
          max_retries: 2
          max_retries_down: 2
          http_method: GET
          http_version: "1.0"
          url_path: /status/check?deep=1
          expected_codes: "200-299"
        members:
          - { name: a, address: 127.0.0.1, protocol_port: $ta->{port} }
          - { name: b, address: 127.0.0.1, protocol_port: $tb->{port} }
      - name: list-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          delay: 2
          timeout: 1
          max_retries: 1
          max_retries_down: 1
          http_method: HEAD
          url_path: /
          expected_codes: "200,201-299"
        members:
          - { name: c, address: 127.0.0.1, protocol_port: $tc->{port} }
          - { name: d, address: 127.0.0.1, protocol_port: $td->{port}, monitor_port: $tm->{port} }
      - name: proxy-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          delay: 2
          timeout: 1
          max_retries: 1
          max_retries_down: 1
          http_method: CONNECT
          url_path: backend.example:8443
          expected_codes: "200"
        members:
          - { name: e, address: 127.0.0.1, protocol_port: $te->{port} }
EOF

ok($w->start($port, $port2, $port3), 'weir started') or BAIL_OUT('weir did not start');

my $up = sub {
    my ($t, $g) = @_;
    return qr/target 127\.0\.0\.1:$t->{port} of group $g is UP/;
};

ok($w->wait_log($up->($ta, 'web-tg'), 5), 'target A is UP');
ok($w->wait_log($up->($tb, 'web-tg'), 5), 'target B is UP');

# --- the request as configured ---
my @ra = grep { $_->[0] =~ /status/ } requests($ta);
ok(@ra >= 1, 'target A was checked');
is($ra[0][0], 'GET /status/check?deep=1 HTTP/1.0',
   'request line: method, url_path and version as configured');
is($ra[0][1], "127.0.0.1:$ta->{port}", 'Host: the target address and port');

# --- both in rotation ---
my %seen;
$seen{ http_ask($port) // 'failed' }++ for 1 .. 10;
is_deeply(\%seen, { A => 5, B => 5 }, 'both targets serve while healthy');

# --- B answers 500: out of rotation ---
set_status($tb, 500);
my $t0 = time;
ok($w->wait_log(qr/target 127\.0\.0\.1:$tb->{port} of group web-tg is DOWN: (?x)
                   bad\ status\ 500\ \(2\ failures\ in\ a\ row\)/, 10),
   'B is DOWN: bad status 500 (2 failures in a row)');
my $took = time - $t0;
# delay * max_retries_down + timeout, with room for a busy machine
ok($took < 5 + 2, sprintf('B left rotation in %.1f s (bound 5 s)', $took));

%seen = ();
$seen{ http_ask($port) // 'failed' }++ for 1 .. 10;
is_deeply(\%seen, { A => 10 }, 'a target answering 500 gets no traffic');

# --- B answers 200 again: back after max_retries successes ---
set_status($tb, 200);
ok($w->wait_log(qr/target 127\.0\.0\.1:$tb->{port} of group web-tg is UP (?x)
                   \(2\ successes\ in\ a\ row\)/, 10),
   'B is UP again after 2 successes in a row');
%seen = ();
$seen{ http_ask($port) // 'failed' }++ for 1 .. 10;
is_deeply(\%seen, { A => 5, B => 5 }, 'B serves again');

# --- "200,201-299": a 201 passes; HEAD with the default version ---
ok($w->wait_log($up->($tc, 'list-tg'), 5), 'a target answering 201 is UP');
my @rc = requests($tc);
ok(@rc >= 1, 'target C was checked');
is($rc[0][0], 'HEAD / HTTP/1.1', 'HEAD, url_path /, default version 1.1');

set_status($tc, 302);
ok($w->wait_log(qr/target\ 127\.0\.0\.1:$tc->{port}\ of\ group\ list-tg\ (?x)
                   is\ DOWN:\ bad\ status\ 302/, 10),
   'a 302 is not in "200,201-299"');

# --- monitor_port: checks go there, not to the traffic port ---
ok($w->wait_log($up->($td, 'list-tg'), 5),
   'target D is UP via its monitor port');
my @rm = requests($tm);
ok(@rm >= 1, 'the monitor port was checked');
is($rm[0][1], "127.0.0.1:$tm->{port}", 'Host names the monitor port');
my @rd = requests($td);
is(scalar(@rd), 0, 'the traffic port saw no check');

# D's monitor port answers 500 while its traffic port is fine: D is down
set_status($tm, 500);
ok($w->wait_log(qr/target 127\.0\.0\.1:$td->{port} of group list-tg is DOWN/,
                10), 'D is DOWN when its monitor port fails');
%seen = ();
$seen{ http_ask($port2) // 'failed' }++ for 1 .. 6;
ok(!$seen{D}, 'D gets no traffic while its monitor port fails');

# --- CONNECT: authority form, the authority as Host ---
ok($w->wait_log($up->($te, 'proxy-tg'), 5),
   'a proxy granting the CONNECT check is UP');
my @re = requests($te);
ok(@re >= 1, 'target E was checked');
is($re[0][0], 'CONNECT backend.example:8443 HTTP/1.1',
   'CONNECT names the url_path authority, not a path');
is($re[0][1], 'backend.example:8443', 'Host: the same authority');
set_status($te, 403);
ok($w->wait_log(qr/target\ 127\.0\.0\.1:$te->{port}\ of\ group\ proxy-tg\ (?x)
                   is\ DOWN:\ bad\ status\ 403/, 10),
   'a proxy refusing the tunnel (403) is DOWN');

# only transitions are logged
my $log = $w->log_text;
my @downs = $log =~ /target 127\.0\.0\.1:$tb->{port} of group web-tg is DOWN/g;
is(scalar(@downs), 1, 'one DOWN line for one transition');

$w->stop;
unlike($w->log_text, qr/\[(alert|emerg|crit)\]/, 'no alerts in the log');

done_testing();
