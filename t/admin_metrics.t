#!/usr/bin/perl
# weir: GET /metrics (issue 11 item 8). The text is read by a strict
# parser of the Prometheus text format 0.0.4 (and by promtool when it is
# installed), every family has HELP and TYPE, names follow
# weir_<object>_<what>[_total|_bytes|_seconds], counters end in _total,
# label values are escaped; and the counters move by the traffic sent:
# N requests -> requests +N and 2xx +N, a 5xx and a 4xx backend answer ->
# their classes, connections accepted and refused at connection_limit on
# the listener, a failing health check -> failed checks and a down
# transition. admin.metrics_public: true here, so /metrics needs no token
# while the rest of the API still does.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Weir qw(free_port wait_for stop_server start_backend tcp_exchange);
use WeirAdmin qw(admin_weir);
use WeirHTTP qw(start_http_backend http_connect http_request);
use WeirHealth qw(http_target set_status);

my $TOKEN = 'weir-metrics-token-77aa01';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my $b1 = start_http_backend(name => 'B1');
my $e1 = start_backend(name => 'E1', mode => 'echo');
my $t1 = http_target(name => 'T1', dir => $dir);
set_status($t1, 200);

my ($lp, $lp2, $lp3, $tp) = (free_port(), free_port(), free_port(),
                             free_port());

# a member name with the characters a label value must escape
my $ODD = q{odd"q"\\name};

$w->write_config(<<"EOF");
worker_processes: 2
$admin
  metrics_public: true
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: web-in, protocol: HTTP, protocol_port: $lp, target_group: web-tg }
      - { name: lim-in, protocol: HTTP, protocol_port: $lp2, target_group: web-tg, connection_limit: 1 }
      - { name: chk-in, protocol: HTTP, protocol_port: $lp3, target_group: chk-tg }
    target_groups:
      - name: web-tg
        protocol: HTTP
        members:
          - { name: web-1, address: 127.0.0.1, protocol_port: $b1->{port}, weight: 3 }
      - name: chk-tg
        protocol: HTTP
        health_monitor: { type: HTTP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: /health }
        members:
          - { name: "odd\\"q\\"\\\\name", address: 127.0.0.1, protocol_port: $t1->{port} }
  - name: net-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: $tp, target_group: tcp-tg }
    target_groups:
      - name: tcp-tg
        protocol: TCP
        members:
          - { name: echo-1, address: 127.0.0.1, protocol_port: $e1->{port} }
EOF

ok($w->start($lp, $lp2, $lp3, $tp, $ap), 'weir started')
    or BAIL_OUT('weir did not start: ' . $w->log_text);

# --- the strict parser ---

my $NAME = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LNAME = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $VALUE = qr/[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN/;

# (error or undef, { series => { 'name{k=v,...}' => value }, type => {},
# labels => { key => { k => v } } })
sub parse {
    my ($text) = @_;
    my (%type, %help, %series, %labels, %closed, $current);
    return 'empty' if $text eq '';
    return 'no final newline' unless $text =~ /\n\z/;
    return 'a CR in the text' if $text =~ /\r/;
    my $n = 0;
    for my $line (split /\n/, substr($text, 0, -1), -1) {
        $n++;
        return "line $n: empty line" if $line eq '';
        if ($line =~ /^#/) {
            if ($line =~ /^# (HELP|TYPE) ($NAME) (.*)$/) {
                my ($kw, $name, $rest) = ($1, $2, $3);
                if (defined $current && $current ne $name) {
                    $closed{$current} = 1;
                }
                return "line $n: $kw of $name after its samples ended"
                    if $closed{$name};
                return "line $n: $kw of $name after its samples"
                    if grep { index($_, "$name\{") == 0 } keys %series;
                $current = $name;
                if ($kw eq 'HELP') {
                    return "line $n: second HELP of $name" if $help{$name}++;
                    return "line $n: bad escape in HELP"
                        if $rest =~ /\\(?![\\n])/;
                    return "line $n: empty HELP of $name" if $rest eq '';
                } else {
                    return "line $n: second TYPE of $name" if $type{$name};
                    return "line $n: unknown type $rest"
                        unless $rest =~ /^(counter|gauge|histogram|summary|untyped)$/;
                    $type{$name} = $rest;
                }
                next;
            }
            return "line $n: malformed HELP/TYPE: $line"
                if $line =~ /^#\s*(HELP|TYPE)\b/;
            next;     # another comment
        }
        $line =~ /^($NAME)(?:\{(.*)\})? ($VALUE)(?: (-?[0-9]+))?$/
            or return "line $n: malformed sample: $line";
        my ($name, $ltext, $value) = ($1, $2 // '', $3);
        return "line $n: $name has no TYPE" unless $type{$name};
        return "line $n: $name has no HELP" unless $help{$name};
        if (defined $current && $current ne $name) {
            $closed{$current} = 1;
        }
        return "line $n: samples of $name are not together"
            if $closed{$name};
        $current = $name;
        my %l;
        my $rest = $ltext;
        while (length $rest) {
            $rest =~ s/^($LNAME)="((?:[^"\\\n]|\\[\\"n])*)"//
                or return "line $n: malformed labels {$ltext}";
            my ($k, $v) = ($1, $2);
            return "line $n: reserved label name $k" if $k =~ /^__/;
            return "line $n: label $k twice" if exists $l{$k};
            $v =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
            $l{$k} = $v;
            last if $rest eq '';
            $rest =~ s/^,// or return "line $n: no comma between labels";
            return "line $n: trailing comma" if $rest eq '';
        }
        my $key = $name . '{'
            . join(',', map { "$_=$l{$_}" } sort keys %l) . '}';
        return "line $n: series $key twice" if exists $series{$key};
        $series{$key} = $value;
        $labels{$key} = \%l;
    }
    for my $name (keys %type) {
        return "$name: TYPE without HELP" unless $help{$name};
        return "counter $name does not end in _total"
            if $type{$name} eq 'counter' && $name !~ /_total$/;
        return "gauge $name ends in _total"
            if $type{$name} eq 'gauge' && $name =~ /_total$/;
        return "$name is not weir_<object>_<what>"
            unless $name =~ /^weir_[a-z]+(?:_[a-z0-9]+)+$/;
    }
    for my $key (keys %series) {
        my ($name) = $key =~ /^([^{]+)/;
        return "counter $key is negative or not a number: $series{$key}"
            if $type{$name} eq 'counter' && $series{$key} !~ /^[0-9]+(?:\.[0-9]+)?$/;
    }
    return (undef, { series => \%series, type => \%type,
                     labels => \%labels });
}

# the sum of the series of $name whose labels include every pair of %want
sub sum {
    my ($m, $name, %want) = @_;
    my ($t, $found) = (0, 0);
    for my $key (keys %{ $m->{series} }) {
        next unless index($key, "$name\{") == 0;
        my $l = $m->{labels}{$key};
        next if grep { !defined $l->{$_} || $l->{$_} ne $want{$_} } keys %want;
        $t += $m->{series}{$key};
        $found++;
    }
    return $found ? $t : undef;
}

my $last_text;

sub scrape {
    my (%o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5) or return;
    my $h = $o{token} ? "X-Auth-Token: $TOKEN\r\n" : '';
    print $s "GET $o{path} HTTP/1.1\r\nHost: x\r\n${h}Connection: close\r\n\r\n"
        if $o{path};
    print $s "GET /metrics HTTP/1.1\r\nHost: x\r\n${h}Connection: close\r\n\r\n"
        unless $o{path};
    my $buf = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(5)) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.1 (\d{3})};
    return ($status, $body) if $o{path};
    return unless ($status // 0) == 200;
    $last_text = $body;
    my ($err, $m) = parse($body);
    return $err ? undef : $m;
}

# --- public metrics, private API ---

my ($st) = scrape(path => '/api/v1/load-balancers');
is($st, 401, 'metrics_public: the API still needs the token');
($st) = scrape(path => '/api/v1/load-balancers', token => 1);
is($st, 200, 'with it: 200');
($st, my $text) = scrape(path => '/metrics');
is($st, 200, 'metrics_public: /metrics without the token: 200');

$last_text = $text;
my ($err, $m0) = parse($text // '');
is($err, undef, '/metrics parses strictly') or diag($text);
$m0 or BAIL_OUT('no metrics to read');

SKIP: {
    skip 'promtool not installed', 1
        unless system('promtool --version >/dev/null 2>&1') == 0;
    open(my $p, '|-', 'promtool check metrics >/dev/null 2>&1') or die;
    print $p $text;
    close $p;
    is($?, 0, 'promtool check metrics accepts it');
}

# the parser itself refuses what it should
for my $bad ([ "# HELP weir_a_b x\nweir_a_b 1\n", 'sample without TYPE' ],
             [ "# HELP weir_a_total x\n# TYPE weir_a_total counter\n"
               . "weir_a_total{a=\"1\",} 1\n", 'trailing comma' ],
             [ "# HELP weir_a_b x\n# TYPE weir_a_b gauge\n"
               . "weir_a_b{a=\"\\q\"} 1\n", 'bad escape' ],
             [ "# HELP weir_a_b x\n# TYPE weir_a_b counter\nweir_a_b 1\n",
               'counter without _total' ],
             [ "# HELP weir_a_b x\n# TYPE weir_a_b gauge\nweir_a_b 1\n"
               . "# HELP weir_c_d x\n# TYPE weir_c_d gauge\nweir_c_d 1\n"
               . "weir_a_b{x=\"1\"} 2\n", 'family split' ],
             [ "# HELP weir_a_b x\n# TYPE weir_a_b gauge\nweir_a_b 1", 'no newline' ]) {
    my ($e) = parse($bad->[0]);
    ok(defined $e, "the parser refuses: $bad->[1]");
}

my %families = map { $_ => 1 } keys %{ $m0->{type} };
for my $f (qw(weir_target_active_connections weir_target_connections_total
              weir_target_http_requests_total weir_target_http_responses_total
              weir_target_received_bytes_total weir_target_sent_bytes_total
              weir_target_failures_total weir_target_health_checks_ok_total
              weir_target_health_checks_failed_total
              weir_target_health_up_transitions_total
              weir_target_health_down_transitions_total
              weir_target_operating_status weir_target_weight
              weir_target_weight_ratio
              weir_target_group_active_connections
              weir_target_group_http_requests_total
              weir_target_group_operating_status
              weir_load_balancer_operating_status
              weir_listener_accepted_connections_total
              weir_listener_active_connections
              weir_listener_rejected_connections_total
              weir_listener_connection_limit
              weir_config_generation weir_config_oldest_running_generation
              weir_reloads_total weir_live_changes_total
              weir_process_start_time_seconds
              weir_process_uptime_seconds)) {
    ok($families{$f}, "family $f");
}

# labels: names and ids of every object, and escaping
my ($k) = grep { /^weir_target_weight\{/ && /target=web-1/ }
          keys %{ $m0->{series} };
my $l = $k ? $m0->{labels}{$k} : {};
is_deeply([sort keys %$l],
          [qw(address load_balancer load_balancer_id target target_group
              target_group_id target_id)],
          'a target series is labelled with names and ids');
like($l->{target_id} // '', qr/^[0-9a-f-]{36}$/, 'ids are UUIDs');
is($l->{address}, "127.0.0.1:$b1->{port}", 'address is address:port');
is(sum($m0, 'weir_target_weight', target => 'web-1'), 3, 'weight');
is(sum($m0, 'weir_target_weight_ratio', target => 'web-1'), 1,
   'the only target of its group has ratio 1');
like($last_text, qr/target="odd\\"q\\"\\\\name"/,
     'a label value is escaped in the text');
ok(defined sum($m0, 'weir_target_weight', target => $ODD),
   'and reads back as written');

($k) = grep { /^weir_listener_connection_limit\{/ && /listener=lim-in/ }
       keys %{ $m0->{series} };
$l = $k ? $m0->{labels}{$k} : {};
is_deeply([sort keys %$l],
          [qw(listener listener_id load_balancer load_balancer_id port
              protocol)], 'a listener series is labelled with names and ids');
is($m0->{series}{$k}, 1, 'connection_limit 1');
is(sum($m0, 'weir_listener_connection_limit', listener => 'web-in'), -1,
   'unlimited: -1');

is(scalar(grep { /^weir_target_operating_status\{/ && /target=web-1,/ }
          keys %{ $m0->{series} }), 5, 'one status series per state');
is(sum($m0, 'weir_target_operating_status', target => 'web-1'), 1,
   'exactly one of them is 1');
is(sum($m0, 'weir_target_operating_status', target => 'web-1',
       status => 'NO_MONITOR'), 1, 'web-1 has no monitor');

cmp_ok(sum($m0, 'weir_config_generation') // 0, '>=', 1, 'generation');
ok(wait_for(sub {
       my $m = scrape();
       $m && sum($m, 'weir_config_oldest_running_generation')
             == sum($m, 'weir_config_generation');
   }, 10), 'every process runs the newest generation');
cmp_ok(sum($m0, 'weir_process_uptime_seconds', process => 'master') // -1,
       '>=', 0, 'master uptime');
is(scalar(grep { /^weir_process_uptime_seconds\{/ && /process=worker/ }
          keys %{ $m0->{series} }), 2, 'an uptime per worker');

# --- traffic moves the counters ---

sub requests_on {
    my ($port, $path, $n) = @_;
    my $c = http_connect($port) or return 0;
    my $ok = 0;
    for (1 .. $n) {
        my $r = http_request($c, 'GET', $path) or last;
        $ok++;
    }
    close $c;
    return $ok;
}

my %want = (target => 'web-1');
my $req0 = sum($m0, 'weir_target_http_requests_total', %want);
my $c0 = sum($m0, 'weir_target_connections_total', %want);
my $in0 = sum($m0, 'weir_target_received_bytes_total', %want);
my $out0 = sum($m0, 'weir_target_sent_bytes_total', %want);
my %cls0 = map { $_ => sum($m0, 'weir_target_http_responses_total', %want,
                           class => $_) } qw(1xx 2xx 3xx 4xx 5xx);
my $acc0 = sum($m0, 'weir_listener_accepted_connections_total',
               listener => 'web-in');
my $g0 = sum($m0, 'weir_target_group_http_requests_total',
             target_group => 'web-tg');

is(requests_on($lp, '/', 20), 20, '20 requests answered 200');
is(requests_on($lp, '/status?503', 5), 5, '5 requests answered 503');
is(requests_on($lp, '/status?404', 3), 3, '3 requests answered 404');

my $m1;
ok(wait_for(sub {
       $m1 = scrape();
       $m1 && sum($m1, 'weir_target_http_requests_total', %want) - $req0 >= 28
           && sum($m1, 'weir_listener_active_connections',
                  listener => 'web-in') == 0;
   }, 10), 'the counters catch up');

is(sum($m1, 'weir_target_http_requests_total', %want) - $req0, 28,
   'requests_total +28');
is(sum($m1, 'weir_target_connections_total', %want) - $c0, 28,
   'connections_total +28 (one per request given to the target)');
my %d = map { $_ => sum($m1, 'weir_target_http_responses_total', %want,
                        class => $_) - $cls0{$_} } qw(1xx 2xx 3xx 4xx 5xx);
is_deeply(\%d, { '1xx' => 0, '2xx' => 20, '3xx' => 0, '4xx' => 3,
                 '5xx' => 5 }, 'responses by class: 2xx +20, 4xx +3, 5xx +5');
cmp_ok(sum($m1, 'weir_target_received_bytes_total', %want) - $in0, '>', 28 * 40,
       'bytes received from the target grew');
cmp_ok(sum($m1, 'weir_target_sent_bytes_total', %want) - $out0, '>', 28 * 30,
       'bytes sent to the target grew');
is(sum($m1, 'weir_listener_accepted_connections_total',
       listener => 'web-in') - $acc0, 3, 'listener: 3 connections accepted');
is(sum($m1, 'weir_listener_active_connections', listener => 'web-in'), 0,
   'and none open now');
is(sum($m1, 'weir_target_group_http_requests_total',
       target_group => 'web-tg') - $g0, 28, 'the group sums its targets');
is(sum($m1, 'weir_target_active_connections', %want), 0,
   'no connection open to the target');

# --- TCP: connections and exact byte counts ---

%want = (target => 'echo-1');
my $tc0 = sum($m1, 'weir_target_connections_total', %want);
my $tin0 = sum($m1, 'weir_target_received_bytes_total', %want);
my $tout0 = sum($m1, 'weir_target_sent_bytes_total', %want);
my $tacc0 = sum($m1, 'weir_listener_accepted_connections_total',
                listener => 'tcp-in');
my $echoed = 0;
for my $i (1 .. 4) {
    my $msg = "ping $i " . ('x' x (100 * $i)) . "\n";
    my $got = tcp_exchange($tp, $msg, 5);
    $echoed++ if defined $got && $got eq $msg;
}
is($echoed, 4, '4 TCP exchanges echoed');
my $sent = 0;
$sent += length("ping $_ " . ('x' x (100 * $_)) . "\n") for 1 .. 4;

my $mt;
ok(wait_for(sub {
       $mt = scrape();
       $mt && sum($mt, 'weir_target_sent_bytes_total', %want) - $tout0 >= $sent
           && sum($mt, 'weir_target_received_bytes_total', %want) - $tin0
              >= $sent;
   }, 10), 'the TCP byte counters catch up');
is(sum($mt, 'weir_target_sent_bytes_total', %want) - $tout0, $sent,
   "TCP: sent_bytes_total +$sent, exactly what the clients sent");
is(sum($mt, 'weir_target_received_bytes_total', %want) - $tin0, $sent,
   "TCP: received_bytes_total +$sent, exactly what the target echoed");
is(sum($mt, 'weir_target_connections_total', %want) - $tc0, 4,
   'TCP: connections_total +4');
is(sum($mt, 'weir_listener_accepted_connections_total', listener => 'tcp-in')
   - $tacc0, 4, 'TCP listener: accepted +4');
is(sum($mt, 'weir_target_http_requests_total', %want), 0,
   'no HTTP requests on a TCP target');

# --- connection_limit ---

my $hold = http_connect($lp2);
my $r = $hold && http_request($hold, 'GET', '/');
is($r && $r->{status}, 200, 'one client of lim-in, kept open');
ok(wait_for(sub {
       my $m = scrape();
       $m && sum($m, 'weir_listener_active_connections',
                 listener => 'lim-in') == 1;
   }, 10), 'lim-in: 1 active');

my $extra = http_connect($lp2);
my $refused = $extra && !http_request($extra, 'GET', '/', timeout => 5);
ok($refused, 'a second client is closed at connection_limit 1');
close $extra if $extra;

my $m2;
ok(wait_for(sub {
       $m2 = scrape();
       $m2 && sum($m2, 'weir_listener_rejected_connections_total',
                  listener => 'lim-in') == 1;
   }, 10), 'lim-in: rejected_connections_total 1');
is(sum($m2, 'weir_listener_accepted_connections_total', listener => 'lim-in')
   - sum($m0, 'weir_listener_accepted_connections_total', listener => 'lim-in'),
   1, 'lim-in: accepted +1 (not the refused one)');
is(sum($m2, 'weir_listener_rejected_connections_total',
       listener => 'web-in'), 0, 'web-in refused nobody');
close $hold;
ok(wait_for(sub {
       my $m = scrape();
       $m && sum($m, 'weir_listener_active_connections',
                 listener => 'lim-in') == 0;
   }, 10), 'lim-in: 0 active once the client left');

# --- health checks ---

%want = (target => $ODD);
my $m3;
ok(wait_for(sub {
       $m3 = scrape();
       $m3 && sum($m3, 'weir_target_health_up_transitions_total', %want) >= 1
           && sum($m3, 'weir_target_health_checks_ok_total', %want) >= 1;
   }, 15), 'a passing check: ok checks and an up transition');
is(sum($m3, 'weir_target_health_checks_failed_total', %want), 0,
   'no failed check yet');
is(sum($m3, 'weir_target_health_down_transitions_total', %want), 0,
   'no down transition yet');
is(sum($m3, 'weir_target_operating_status', %want, status => 'ONLINE'), 1,
   'ONLINE');

set_status($t1, 500);
my $m4;
ok(wait_for(sub {
       $m4 = scrape();
       $m4 && sum($m4, 'weir_target_health_down_transitions_total', %want)
              == 1;
   }, 15), 'a failing check: one down transition');
cmp_ok(sum($m4, 'weir_target_health_checks_failed_total', %want), '>=', 1,
       'failed checks counted');
is(sum($m4, 'weir_target_health_up_transitions_total', %want),
   sum($m3, 'weir_target_health_up_transitions_total', %want),
   'no new up transition');
is(sum($m4, 'weir_target_operating_status', %want, status => 'ERROR'), 1,
   'operating status ERROR');
is(sum($m4, 'weir_target_health_up', %want), 0, 'health_up 0');

my ($err4) = parse($last_text);
is($err4, undef, 'the last scrape parses strictly too');

# a reload is counted (the new admin process reads the same zone)
is(sum($m4, 'weir_reloads_total'), 0, 'no reload yet');
$w->signal('HUP');
my $m5;
ok(wait_for(sub { $m5 = scrape(); $m5 && sum($m5, 'weir_reloads_total') == 1 }, 15),
   'weir_reloads_total counts a reload');

$w->stop;
stop_server($b1);
stop_server($t1);
stop_server($e1);

done_testing();
