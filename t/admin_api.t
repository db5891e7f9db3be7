#!/usr/bin/perl
# weir: the admin process and its read-only API (SPEC.md sections 8 and 10,
# issue 11). The admin process runs beside the workers and the checker,
# is respawned after a crash and replaced on a reload; every route of its
# table answers 401 without the right X-Auth-Token, and an address with 10
# failures in 10 s gets 429; with the token, what it lists is the running
# configuration (ids as weir -T derives them), members carry the weight
# ratio of SPEC.md section 4, the status tree follows the health checks
# (section 8), and /metrics is valid Prometheus text whose counters move
# with traffic.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP;
use POSIX qw(ceil);
use Time::HiRes qw(time);
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend stop_server binary);
use WeirAdmin qw(admin_weir);

my $TOKEN = 'weir-test-token-5f0c1e2a';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my @b = map { start_backend(name => "B$_", mode => 'tag') } 1 .. 5;
my ($lp, $lp2) = (free_port(), free_port());

my $config = <<"EOF";
worker_processes: 1
$admin
load_balancers:
  - name: net-lb
    type: NLB
    address: 127.0.0.1
    availability_zone: zone-a
    vpc: vpc-test
    health_check_ips:
      - { subnet_id: subnet-a, address: 127.0.0.1 }
      - { subnet_id: subnet-a, address: 127.0.0.2 }
      - { address: 127.0.0.1 }
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: $lp, target_group: app-tg }
      - { name: tcp-idle, protocol: TCP, protocol_port: $lp2 }
    target_groups:
      - name: app-tg
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { name: m-1, address: 127.0.0.1, protocol_port: $b[0]{port}, weight: 100, subnet_id: subnet-a }
          - { name: m-2, address: 127.0.0.1, protocol_port: $b[1]{port}, weight: 256 }
          - { name: m-3, address: 127.0.0.1, protocol_port: $b[2]{port}, weight: 1, instance_id: i-3 }
          - { name: m-4, address: 127.0.0.1, protocol_port: $b[3]{port}, weight: 0 }
      - name: spare-tg
        protocol: TCP
        members:
          - { name: s-1, address: 127.0.0.1, protocol_port: $b[4]{port} }
EOF
$w->write_config($config);

ok($w->start($lp, $ap), 'weir started with an admin listener')
    or BAIL_OUT('weir did not start: ' . $w->log_text);

# --- helpers ---

sub write_token {
    my ($text, $mode) = @_;
    open(my $fh, '>', "$dir/admin.token") or die $!;
    print $fh $text;
    close $fh;
    chmod $mode, "$dir/admin.token" or die $!;
}

# One request on a new connection from source address $o{src}; returns
# { status, headers (lower-case names), body } or undef.
sub request {
    my ($method, $path, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  LocalAddr => $o{src} // '127.0.0.1',
                                  Proto => 'tcp', Timeout => 5)
        or return undef;
    my $req = $o{raw} // do {
        my $h = "$method $path HTTP/1.1\r\nHost: localhost\r\n";
        $h .= "X-Auth-Token: $o{token}\r\n" if defined $o{token};
        $h .= "$_\r\n" for @{ $o{headers} // [] };
        $h . "Connection: close\r\n\r\n";
    };
    print $s $req;
    my $resp = read_response($s);
    close $s;
    return $resp;
}

# Read one response (Content-Length framed) from $s; bytes read past it
# stay for the next call on the same socket.
my %rest;

sub read_response {
    my ($s) = @_;
    my $sel = IO::Select->new($s);
    my $buf = delete $rest{$s} // '';
    my ($head, $len);
    while (1) {
        if (!defined $head && $buf =~ /\r\n\r\n/) {
            ($head) = $buf =~ /^(.*?\r\n)\r\n/s;
            ($len) = $head =~ /^Content-Length: (\d+)\r$/mi;
            $len //= 0;
        }
        last if defined $head && length($buf) >= length($head) + 2 + $len;
        return undef unless $sel->can_read(5);
        my $n = sysread($s, $buf, 65536, length $buf);
        return undef unless $n;
    }
    my $end = length($head) + 2 + $len;
    $rest{$s} = substr($buf, $end) if length($buf) > $end;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d{3}) };
    my %h;
    for my $line (split /\r\n/, $head) {
        $h{lc $1} = $2 if $line =~ /^([^:]+): (.*)$/;
    }
    return { status => $status, headers => \%h,
             body => substr($buf, length($head) + 2, $len) };
}

# GET with the token; the decoded JSON body (or undef), and the response
sub api {
    my ($path, %o) = @_;
    my $r = request('GET', $path, token => $TOKEN, %o) or return;
    my $j = eval { decode_json($r->{body}) };
    return wantarray ? ($j, $r) : $j;
}

my $next_src = 1;

# a fresh loopback source address for every few failed attempts, so that
# the failure limit is not what a test meets
sub fresh_src { return '127.0.1.' . ($next_src++ % 250 + 1) }

# ids as weir -T derives them: name -> id, and target group -> monitor id
sub derived_ids {
    my $out = `@{[binary()]} -T -p $dir -c $dir/weir.yaml 2>/dev/null`;
    my (%id, %hm, $pending, $last, $in_hm);
    for my $line (split /\n/, $out) {
        if ($line =~ /^\s+- id: (\S+)$/) { $pending = $1; next; }
        if (defined $pending && $line =~ /^\s+name: (\S+)$/) {
            $id{$1} = $pending;
            $last = $1;
            undef $pending;
            next;
        }
        if ($line =~ /^\s+health_monitor:$/) { $in_hm = 1; next; }
        if ($in_hm && $line =~ /^\s+id: (\S+)$/) { $hm{$last} = $1; }
        $in_hm = 0;
    }
    return (\%id, \%hm);
}

my ($ID, $HM) = derived_ids();
ok(keys(%$ID) >= 10, 'weir -T gives the ids of every object')
    or diag(explain($ID));

my $TG = '/api/v1/load-balancers/target-groups';

# --- the process ---

my @admin = $w->children(qr/^weir: admin process/);
is(scalar(@admin), 1, 'one child titled "weir: admin process"');
is(scalar($w->workers), 1, 'beside the worker');
is(scalar($w->children(qr/health checker/)), 1, 'and the health checker');

# --- every route of the table, without and with a wrong token ---

open(my $src, '<', 'src/admin/lb_admin_api.c') or die $!;
my @routes;
while (<$src>) {
    push @routes, [$1, ($2 ? '/api/v1/load-balancers' : '') . $3]
        if /^\s+LB_ADMIN_ROUTE\((\w+), (LB_LBS )?"([^"]*)"/;
}
close $src;
ok(@routes >= 13, scalar(@routes) . ' routes read from the route table');

for my $r (@routes) {
    my ($m, $p) = @$r;
    (my $path = $p) =~ s/\{id\}/$ID->{'app-tg'}/;
    $path =~ s/\{member_id\}/$ID->{'m-1'}/;
    my $src_addr = fresh_src();
    my $a = request($m, $path, src => $src_addr);
    my $b = request($m, $path, src => $src_addr, token => "$TOKEN-x");
    my $c = request($m, $path, src => $src_addr,
                    token => substr($TOKEN, 0, -1));
    my $ok = $a && $b && $c && $a->{status} == 401 && $b->{status} == 401
             && $c->{status} == 401;
    ok($ok, "$m $p: 401 without a token, with a wrong one and a prefix")
        or diag(explain([$a, $b, $c]));
    my $e = $b ? eval { decode_json($b->{body}) } : undef;
    is($e && $e->{error}{code}, 401, "$m $p: the 401 is a JSON error");
}

my $u = request('GET', '/no/such/route', src => fresh_src());
is($u && $u->{status}, 401, 'an unknown route is 401 too without a token');
my $two = request('GET', '/api/v1/load-balancers', src => fresh_src(),
                  token => $TOKEN, headers => ["X-Auth-Token: $TOKEN"]);
is($two && $two->{status}, 401, 'the token given twice is 401');
my $lower = request('GET', '/api/v1/load-balancers', src => fresh_src(),
                    headers => ["x-auth-token: $TOKEN"]);
is($lower && $lower->{status}, 200, 'the header name is case-insensitive');

# --- failures are limited per address ---

{
    my $s = '127.0.2.9';
    my @st = map { my $r = request('GET', '/api/v1/load-balancers',
                                   src => $s, token => 'wrong');
                   $r ? $r->{status} : 0 } 1 .. 10;
    is_deeply(\@st, [(401) x 10], '10 failures from one address: 401 each');
    my $r = request('GET', '/api/v1/load-balancers', src => $s,
                    token => $TOKEN);
    is($r && $r->{status}, 429, 'the 11th request from it, even with the '
       . 'right token, is 429');
    like($r && $r->{headers}{'retry-after'}, qr/^(10|[1-9])$/,
         'with Retry-After in seconds');
    my $o = request('GET', '/api/v1/load-balancers', src => '127.0.2.10',
                    token => $TOKEN);
    is($o && $o->{status}, 200, 'another address is not affected');
}

# --- what it lists is the configuration ---

my ($j, $r) = api('/api/v1/load-balancers');
is($r->{status}, 200, 'GET /api/v1/load-balancers: 200');
is($r->{headers}{'content-type'}, 'application/json', 'as JSON');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'not to be sniffed as anything else');
is(scalar(@{ $j->{load_balancers} }), 1, 'one load balancer');
my $lb = $j->{load_balancers}[0];
is($lb->{id}, $ID->{'net-lb'}, 'its id is the derived one');
is_deeply([@$lb{qw(name type address availability_zone vpc
                   provisioning_status)}],
          ['net-lb', 'NLB', '127.0.0.1', 'zone-a', 'vpc-test', 'ACTIVE'],
          'its fields');
is_deeply([map { $_->{id} } @{ $lb->{listeners} }],
          [@$ID{qw(tcp-in tcp-idle)}], 'its listeners by id');
is_deeply([map { $_->{id} } @{ $lb->{target_groups} }],
          [@$ID{qw(app-tg spare-tg)}], 'its target groups by id');

$j = api("/api/v1/load-balancers/$ID->{'net-lb'}");
is($j->{load_balancer}{name}, 'net-lb', 'GET /load-balancers/{id}');

$j = api('/api/v1/load-balancers/listeners');
is_deeply([map { [@$_{qw(id name protocol protocol_port target_group_id
                          load_balancer_id)}] } @{ $j->{listeners} }],
          [[$ID->{'tcp-in'}, 'tcp-in', 'TCP', $lp, $ID->{'app-tg'},
            $ID->{'net-lb'}],
           [$ID->{'tcp-idle'}, 'tcp-idle', 'TCP', $lp2, undef,
            $ID->{'net-lb'}]],
          'listeners: ids, protocol, port, target group, balancer');
$j = api("/api/v1/load-balancers/listeners/$ID->{'tcp-idle'}");
is($j->{listener}{operating_status}, 'OFFLINE',
   'a listener without a target group is OFFLINE');

$j = api($TG);
is_deeply([map { [@$_{qw(id name protocol load_balancer_algorithm
                          member_count)}] } @{ $j->{target_groups} }],
          [[$ID->{'app-tg'}, 'app-tg', 'TCP', 'ROUND_ROBIN', 4],
           [$ID->{'spare-tg'}, 'spare-tg', 'TCP', 'ROUND_ROBIN', 1]],
          'target groups: ids, names, protocol, algorithm, member count');
my $g = $j->{target_groups}[0];
is($g->{health_monitor_id}, $HM->{'app-tg'}, 'the health monitor id');
is_deeply([map { $_->{id} } @{ $g->{listeners} }], [$ID->{'tcp-in'}],
          'the listeners using the group');
is_deeply([map { $_->{id} } @{ $g->{members} }],
          [@$ID{qw(m-1 m-2 m-3 m-4)}], 'the member ids');

sub names { [map { $_->{name} } @{ $_[0] // [] }] }

is_deeply(names(api("$TG?name=spare-tg")->{target_groups}), ['spare-tg'],
          'filter name');
is_deeply(names(api("$TG?protocol=UDP")->{target_groups}), [],
          'filter protocol');
is_deeply(names(api("$TG?load_balancer_id=$ID->{'net-lb'}"
                    . '&provisioning_status=ACTIVE')->{target_groups}),
          ['app-tg', 'spare-tg'], 'filters load_balancer_id and '
          . 'provisioning_status together');
is_deeply(names(api("$TG?operating_status=OFFLINE")->{target_groups}),
          ['spare-tg'], 'filter operating_status: a group no listener uses '
          . 'is OFFLINE');
($j, $r) = api("$TG?colour=blue");
is($r->{status}, 400, 'an unknown filter is 400');
is($j->{error}{message}, 'unknown filter "colour"', 'naming it');

($j, $r) = api("$TG/00000000-0000-8000-8000-000000000000");
is($r->{status}, 404, 'an unknown target group id is 404');
is($j->{error}{message},
   'target group 00000000-0000-8000-8000-000000000000 not found',
   'saying which');
($j, $r) = api('/api/v1/nothing');
is($r->{status}, 404, 'an unknown route with the token is 404');
is($j->{error}{code}, 404, 'as a JSON error');
$r = request('POST', "$TG/$ID->{'app-tg'}", token => $TOKEN);
is($r->{status}, 405, 'a method the route does not serve is 405');
is($r->{headers}{allow}, 'GET, PUT, DELETE', 'with Allow');

# --- members and weight ratios (SPEC.md section 4) ---

my $M = "$TG/$ID->{'app-tg'}/members";
$j = api($M);
my @members = @{ $j->{members} };
is_deeply([map { [@$_{qw(id name protocol_port weight)}] } @members],
          [[$ID->{'m-1'}, 'm-1', $b[0]{port}, 100],
           [$ID->{'m-2'}, 'm-2', $b[1]{port}, 256],
           [$ID->{'m-3'}, 'm-3', $b[2]{port}, 1],
           [$ID->{'m-4'}, 'm-4', $b[3]{port}, 0]], 'members of app-tg');

my @conv = map { ceil($_->{weight} / 256 * 100) } @members;
is_deeply(\@conv, [40, 100, 1, 0], 'converted weights of SPEC 4');
my $sum = 0;
$sum += $_ for @conv;
is_deeply([map { sprintf('%.1f', $_->{weight_ratio}) } @members],
          [map { sprintf('%.1f', $_ / $sum * 100) } @conv],
          'weight_ratio = converted / sum of converted, one decimal');
is(sprintf('%.1f', $members[0]{weight_ratio}), '28.4', 'm-1: 40/141');

is_deeply(names(api("$M?name=m-3")->{members}), ['m-3'], 'filter name');
is_deeply(names(api("$M?address=127.0.0.1&protocol_port=$b[1]{port}")
                ->{members}), ['m-2'], 'filters address and protocol_port');
is_deeply(names(api("$M?instance_id=i-3")->{members}), ['m-3'],
          'filter instance_id');
$j = api("$M/$ID->{'m-1'}");
is($j->{member}{subnet_id}, 'subnet-a', 'GET .../members/{member_id}');
($j, $r) = api("$M/$ID->{'s-1'}");
is($r->{status}, 404, 'a member of another group is 404 here');

$j = api("$TG/$ID->{'app-tg'}/health-check-subnets");
is_deeply($j->{health_check_subnets},
          [{ subnet_id => 'subnet-a', addresses => ['127.0.0.1', '127.0.0.2'] },
           { subnet_id => undef, addresses => ['127.0.0.1'] }],
          'health-check addresses per subnet');

$j = api("/api/v1/load-balancers/health-monitors/$HM->{'app-tg'}");
is_deeply([@{ $j->{health_monitor} }{qw(type delay timeout max_retries
                                        max_retries_down target_group_id)}],
          ['TCP', 2, 1, 1, 1, $ID->{'app-tg'}], 'the health monitor');

# --- statuses (SPEC.md section 8) ---

my $S = "/api/v1/load-balancers/$ID->{'net-lb'}/status";

sub member_statuses {
    my $t = api($S) or return {};
    my %st;
    for my $grp (@{ $t->{statuses}{load_balancer}{target_groups} }) {
        $st{$grp->{name}} = $grp->{operating_status};
        $st{$_->{name}} = $_->{operating_status} for @{ $grp->{members} };
    }
    $st{lb} = $t->{statuses}{load_balancer}{operating_status};
    $st{$_->{name}} = $_->{operating_status}
        for @{ $t->{statuses}{load_balancer}{listeners} };
    return \%st;
}

my $st;
ok(wait_for(sub { $st = member_statuses();
                  ($st->{'m-1'} // '') eq 'ONLINE'
                  && ($st->{'m-2'} // '') eq 'ONLINE'
                  && ($st->{'m-3'} // '') eq 'ONLINE'
                  && ($st->{'m-4'} // '') eq 'DRAINING' }, 10),
   'the checked members come ONLINE, the one of weight 0 DRAINING')
    or diag(explain($st));
is_deeply([@$st{qw(m-3 m-4 app-tg spare-tg s-1 lb tcp-in tcp-idle)}],
          [qw(ONLINE DRAINING ONLINE OFFLINE OFFLINE ONLINE ONLINE OFFLINE)],
          'weight 0 is DRAINING, an unused group and its member OFFLINE, '
          . 'the rest ONLINE');

# --- metrics ---

# A strict reading of the text format: returns (error or undef, series)
# where series maps 'name{labels}' to the value.
sub parse_metrics {
    my ($text) = @_;
    my (%type, %help, %series, %done, $current);
    my $name_re = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
    my $value_re = qr/[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN/;
    return ('no final newline') unless $text =~ /\n\z/;
    my $n = 0;
    for my $line (split /\n/, $text) {
        $n++;
        if ($line =~ /^# HELP ($name_re) (.*)$/) {
            return ("line $n: second HELP for $1") if $help{$1}++;
            next;
        }
        if ($line =~ /^# TYPE ($name_re) (counter|gauge|histogram|summary|untyped)$/) {
            return ("line $n: second TYPE for $1") if $type{$1};
            return ("line $n: TYPE after samples of $1") if $done{$1};
            $type{$1} = $2;
            next;
        }
        return ("line $n: malformed comment: $line") if $line =~ /^#/;
        return ("line $n: empty line") if $line eq '';
        $line =~ /^($name_re)(\{(.*)\})? ($value_re)(?: -?[0-9]+)?$/
            or return ("line $n: malformed sample: $line");
        my ($name, $labels, $value) = ($1, $3 // '', $4);
        return ("line $n: $name has no TYPE") unless $type{$name};
        return ("line $n: counter $name does not end in _total")
            if $type{$name} eq 'counter' && $name !~ /_total$/;
        if (defined $current && $current ne $name) {
            $done{$current} = 1;
        }
        return ("line $n: samples of $name are not together")
            if $done{$name};
        $current = $name;
        my (%seen, @pairs);
        my $rest = $labels;
        while (length $rest) {
            $rest =~ s/^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)//
                or return ("line $n: malformed labels: {$labels}");
            return ("line $n: label $1 twice") if $seen{$1}++;
            push @pairs, "$1=$2";
        }
        my $key = $name . '{' . join(',', sort @pairs) . '}';
        return ("line $n: series $key twice") if exists $series{$key};
        $series{$key} = $value;
    }
    return (undef, \%series);
}

# sum of a family's series whose labels match $re
sub total {
    my ($series, $name, $re) = @_;
    my $t = 0;
    for my $k (keys %$series) {
        $t += $series->{$k} if index($k, "$name\{") == 0 && $k =~ $re;
    }
    return $t;
}

(undef, $r) = api('/metrics');
is($r->{status}, 200, 'GET /metrics: 200');
like($r->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
     'in the text format');
my ($err, $m0) = parse_metrics($r->{body});
is($err, undef, '/metrics parses strictly');
ok(keys(%$m0) > 50, scalar(keys %$m0) . ' series');

my $tg_re = qr/target_group=app-tg/;
for my $mb (qw(m-1 m-2 m-3 m-4 s-1)) {
    is(total($m0, 'weir_target_operating_status', qr/target=$mb,/), 1,
       "$mb: one operating status series is 1");
}
my $ids = "load_balancer_id=$ID->{'net-lb'},";
is($m0->{"weir_target_operating_status{address=127.0.0.1:$b[3]{port},"
         . "load_balancer=net-lb,${ids}status=DRAINING,target=m-4,"
         . "target_group=app-tg,target_group_id=$ID->{'app-tg'},"
         . "target_id=$ID->{'m-4'}}"}, 1,
   'm-4 is DRAINING in the metrics too');
is($m0->{"weir_target_weight_ratio{address=127.0.0.1:$b[0]{port},"
         . "load_balancer=net-lb,${ids}target=m-1,target_group=app-tg,"
         . "target_group_id=$ID->{'app-tg'},"
         . "target_id=$ID->{'m-1'}}"}, '0.284', 'weight ratio as 0..1');

my %kinds;
for my $k (keys %$m0) {
    next unless $k =~ /^weir_process_start_time_seconds\{pid=(\d+),process=([^,}]+)\}$/;
    $kinds{$2}++;
    ok(abs($m0->{$k} - time) < 300, "process $2 ($1): start time is recent");
}
is_deeply(\%kinds, { master => 1, worker => 1, 'health checker' => 1,
                     admin => 1 },
          'a start time per process: master, worker, checker, admin');
is($m0->{'weir_config_generation{}'}, 1, 'the configuration generation');

my $before = total($m0, 'weir_target_connections_total', $tg_re);
my $ok = 0;
for (1 .. 8) {
    my $reply = tcp_exchange($lp, "ping\n");
    $ok++ if defined $reply && $reply =~ /^B\d ping$/;
}
is($ok, 8, '8 exchanges through the listener');
my $after;
ok(wait_for(sub {
       my (undef, $rr) = api('/metrics');
       my (undef, $mm) = parse_metrics($rr ? $rr->{body} : '');
       $after = total($mm // {}, 'weir_target_connections_total', $tg_re);
       $after - $before == 8 }, 5),
   'weir_target_connections_total of app-tg grew by 8')
    or diag("before $before after $after");

(undef, $r) = api('/metrics', headers => ['Accept-Encoding: gzip, br']);
is($r->{headers}{'content-encoding'}, 'gzip', 'gzip when accepted');
my $plain;
gunzip(\$r->{body}, \$plain) or diag($GunzipError);
($err) = parse_metrics($plain // '');
is($err, undef, 'the gzipped body parses too');
(undef, $r) = api('/metrics', headers => ['Accept-Encoding: gzip;q=0']);
ok(!$r->{headers}{'content-encoding'}, 'not with gzip;q=0');

# --- a killed target goes ERROR, its group and balancer DEGRADED ---

stop_server($b[1]);
ok(wait_for(sub { $st = member_statuses();
                  ($st->{'m-2'} // '') eq 'ERROR' }, 10),
   'm-2 is ERROR once its checks fail') or diag(explain($st));
is_deeply([@$st{qw(m-1 app-tg lb tcp-in)}],
          [qw(ONLINE DEGRADED DEGRADED DEGRADED)],
          'its group, the listener using it and the balancer are DEGRADED');
is_deeply(names(api("$M?operating_status=ERROR")->{members}), ['m-2'],
          'the member filter on operating_status finds it');
(undef, $r) = api('/metrics');
(undef, my $m1) = parse_metrics($r->{body});
is(total($m1, 'weir_target_health_up', qr/target=m-2,/), 0,
   'weir_target_health_up is 0 for it');

# --- limits and keep-alive ---

$r = request('GET', '/', raw => "GET /metrics HTTP/1.1\r\nHost: x\r\n"
             . "X-Auth-Token: $TOKEN\r\nX-Big: " . ('a' x 9000) . "\r\n\r\n");
ok($r && ($r->{status} == 431), 'a head over 8 KiB is 431');
$r = request('GET', '/', raw => "GET /metrics HTTP/1.1\nHost: x\n\n");
is($r && $r->{status}, 400, 'a bare LF is 400 (the strict parser)');
is($r && eval { decode_json($r->{body})->{error}{message} },
   'bare LF line ending', 'with its rule as the message');
$r = request('POST', '/api/v1/load-balancers', token => $TOKEN,
             headers => ['Content-Length: 100000']);
is($r && $r->{status}, 413, 'a body over 64 KiB is 413');

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5);
    my $q = "GET /api/v1/load-balancers HTTP/1.1\r\nHost: x\r\n"
            . "X-Auth-Token: $TOKEN\r\n\r\n";
    print $s $q . $q;
    my $r1 = read_response($s);
    my $r2 = read_response($s);
    print $s $q;
    my $r3 = read_response($s);
    is_deeply([map { $_ ? $_->{status} : 0 } $r1, $r2, $r3], [200, 200, 200],
              'keep-alive: two pipelined requests and a third on one '
              . 'connection');
    close $s;
}

# a client that sends half a head and stops is cut off by the head timeout
# (10 s, lb_admin.h), not held forever
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5);
    print $s "GET /api/v1/load-balancers HTTP/1.1\r\nHost: x\r\n";
    my $t0 = time;
    my $sel = IO::Select->new($s);
    my $closed = $sel->can_read(20) && !sysread($s, my $buf, 100);
    my $took = time - $t0;
    ok($closed, 'half a head: the connection is closed');
    ok($took > 8 && $took < 15, sprintf('after the 10 s head timeout '
       . '(%.1f s)', $took));
    close $s;
}

# at most 64 connections at once: the 65th is closed without an answer,
# and once they are gone requests are served again
{
    my @held = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                           PeerPort => $ap, Proto => 'tcp',
                                           Timeout => 5) } 1 .. 64;
    my $extra = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ap, Proto => 'tcp',
                                      Timeout => 5);
    print $extra "GET /api/v1/load-balancers HTTP/1.1\r\nHost: x\r\n"
        . "X-Auth-Token: $TOKEN\r\n\r\n";
    my $sel = IO::Select->new($extra);
    my $got = $sel->can_read(5) ? sysread($extra, my $buf, 100) : -1;
    ok(defined $got && $got == 0 || !defined $got,
       'the 65th connection is closed without an answer');
    close $_ for @held, $extra;
    ok(wait_for(sub { my (undef, $rr) = api('/api/v1/load-balancers');
                      $rr && $rr->{status} == 200 }, 5),
       'requests are served again once they are closed');
}

# --- respawned after a crash ---

my ($old) = $w->children(qr/^weir: admin process/);
kill 'KILL', $old;
my $new;
ok(wait_for(sub { ($new) = $w->children(qr/^weir: admin process/);
                  $new && $new != $old }, 10),
   'the admin process is respawned after kill -9');
ok(wait_for(sub { my (undef, $rr) = api('/api/v1/load-balancers');
                  $rr && $rr->{status} == 200 }, 10),
   'and answers');

# --- a reload: the new configuration is served by a new admin process ---

(my $config2 = $config) =~ s/name: spare-tg/name: other-tg/;
$w->write_config($config2);
$w->signal('HUP');
ok(wait_for(sub { my $jj = api($TG);
                  $jj && grep { $_->{name} eq 'other-tg' }
                             @{ $jj->{target_groups} } }, 10),
   'after a HUP the API lists the renamed target group');
my @now = $w->children(qr/^weir: admin process/);
ok(@now == 1 && $now[0] != $new, 'served by one new admin process');
(undef, $r) = api('/metrics');
(undef, my $m2) = parse_metrics($r->{body});
is($m2->{'weir_config_generation{}'}, 2, 'of configuration generation 2');

# a world-readable token file fails the reload: the old one keeps serving
write_token("$TOKEN\n", 0644);
$w->signal('HUP');
ok($w->wait_log(qr/admin\.token_file "\Q$dir\E\/admin\.token" is readable or writable by other users/),
   'a world-readable token file is refused, with a clear log line');
ok($w->wait_log(qr/reload failed/), 'and the reload fails');
is(api('/api/v1/load-balancers') ? 1 : 0, 1,
   'the running admin process still answers');
write_token("$TOKEN\n", 0600);

# weir -t says the same
write_token("$TOKEN\n", 0604);
my $t = `@{[binary()]} -t -p $dir -c $dir/weir.yaml 2>&1`;
like($t, qr/is readable or writable by other users/, 'so does weir -t');
isnt($? >> 8, 0, 'which fails');
write_token("$TOKEN\n", 0600);

$w->stop;
my @alerts = grep { /\[(alert|crit)\]/ && !/admin process \Q$old\E .*signal 9/ }
             split /\n/, $w->log_text;
is_deeply(\@alerts, [], 'no alert in the log but the kill -9');

done_testing();
