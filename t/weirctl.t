#!/usr/bin/perl
# weir: objs/weirctl, the admin API's command-line client (issue 11 item
# 9). It finds admin.listen and admin.token_file in weir's configuration;
# `ping` is a health check (exit 0 only when weir's processes run and the
# API takes our token; t/weirctl_ping.t has the processes' side);
# `list` shows balancers, listeners, groups and members with both statuses
# as a table; `get` of every kind prints the JSON the API gives; an error
# of the API is printed from its JSON body with a non-zero exit. Writes go
# to a recording stand-in for the API, which checks that each command
# sends the method, path, headers and body it should; against weir they
# print whatever weir answers (405 while the write API is not there).
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time);
use Test::More;
use Weir qw(free_port wait_for start_backend spawn_server stop_server binary
            write_file);

my $CTL = $ENV{WEIRCTL_BINARY} // do { (my $b = binary()) =~ s/weir$/weirctl/; $b };
ok(-x $CTL, "$CTL is built") or BAIL_OUT("no $CTL");

my $w = Weir->new;
my $dir = $w->dir;

my $TOKEN = 'weirctl-test-token-93b1d7';
write_file("$dir/admin.token", "$TOKEN\n", 0600);
write_file("$dir/wrong.token", "not-$TOKEN\n", 0600);

my @b = map { start_backend(name => "B$_", mode => 'tag') } 1 .. 3;
my ($ap, $lp, $dead) = (free_port(), free_port(), free_port());

# one member on a port nobody listens on: its checks fail
sub config {
    my (%o) = @_;
    my $listen = $o{listen} // "127.0.0.1:$ap";
    my $token = $o{token} // 'admin.token';
    my $tls = $o{certificate}
        ? "  certificate: $o{certificate}\n  key: admin.key\n" : '';
    my $lport = $o{lp} // $lp;
    return <<"EOF";
worker_processes: 1
admin:
  listen: $listen
  token_file: $token
${tls}load_balancers:
  - name: net-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: $lport, target_group: app-tg }
    target_groups:
      - name: app-tg
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { name: m-1, address: 127.0.0.1, protocol_port: $b[0]{port}, weight: 100 }
          - { name: m-2, address: 127.0.0.1, protocol_port: $b[1]{port}, weight: 5 }
          - { name: m-3, address: 127.0.0.1, protocol_port: $dead, weight: 1 }
      - name: spare-tg
        protocol: TCP
        members:
          - { name: s-1, address: 127.0.0.1, protocol_port: $b[2]{port} }
EOF
}

$w->write_config(config());
$w->write_config(config(token => 'wrong.token'), 'wrong.yaml');

ok($w->start($lp, $ap), 'weir started with an admin listener')
    or BAIL_OUT('weir did not start: ' . $w->log_text);

# --- helpers ---


sub slurp {
    my ($path) = @_;
    open(my $fh, '<', $path) or return '';
    local $/;
    return <$fh> // '';
}

# Run weirctl with -p and -c of the test (conf => another file, stdin =>
# text); returns (exit status, stdout, stderr).
sub ctl {
    my (@args) = @_;
    my %o = ref $args[0] eq 'HASH' ? %{ shift @args } : ();
    my $conf = $o{conf} // 'weir.yaml';
    write_file("$dir/ctl.in", $o{stdin} // '');
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', "$dir/ctl.in");
        open(STDOUT, '>', "$dir/ctl.out");
        open(STDERR, '>', "$dir/ctl.err");
        exec($CTL, '-p', $dir, '-c', "$dir/$conf", @args)
            or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    return ($? >> 8, slurp("$dir/ctl.out"), slurp("$dir/ctl.err"));
}

# One request to the admin API straight, as weirctl's reference:
# { status, reason, body }
sub request {
    my ($method, $path, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5)
        or return undef;
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "X-Auth-Token: $TOKEN\r\nConnection: close\r\n";
    $req .= "Content-Type: application/json\r\nContent-Length: "
        . length($body) . "\r\n" if defined $body;
    print $s $req, "\r\n", $body // '';
    my $sel = IO::Select->new($s);
    my $buf = '';
    while ($sel->can_read(5)) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    my ($code, $reason, $rest) = $buf =~ m{^HTTP/1\.1 (\d{3}) ([^\r]*)\r\n.*?\r\n\r\n(.*)\z}s
        or return undef;
    return { status => $code, reason => $reason, body => $rest };
}

sub api {
    my ($path) = @_;
    my $r = request('GET', $path) or return undef;
    return eval { decode_json($r->{body}) };
}

# what weirctl prints for an error answer of the API
sub api_error_line {
    my ($r) = @_;
    my $e = decode_json($r->{body})->{error};
    return "weirctl: $r->{status} $r->{reason}: "
        . (defined $e->{field} ? "$e->{field}: " : '') . "$e->{message}\n";
}

my $LBS = '/api/v1/load-balancers';

# a weight ratio as the API writes it: tenths, always with the point
sub ratio { sprintf('%.1f', $_[0]{weight_ratio}) }

# --- ping ---

my ($rc, $out, $err) = ctl('ping');
is($rc, 0, 'ping: exit 0 with the token of admin.token_file') or diag($err);
like($out, qr/^weir admin API at 127\.0\.0\.1:$ap: ok$/m, 'ping says so');

($rc, $out, $err) = ctl({ conf => 'wrong.yaml' }, 'ping');
is($rc, 1, 'ping: exit 1 with a wrong token file');
like($err, qr/^weirctl: 401 Unauthorized: wrong X-Auth-Token/m,
     'with the 401 message of the API') or diag($err);

chmod 0644, "$dir/wrong.token";
($rc, $out, $err) = ctl({ conf => 'wrong.yaml' }, 'ping');
is($rc, 2, 'ping: exit 2 with a token file others can read');
like($err, qr/admin\.token_file "\Q$dir\E\/wrong\.token" is readable or writable by other users/,
     'named as weir names it');

write_file("$dir/broken.yaml", config() . "bogus_key: 1\n");
($rc, $out, $err) = ctl({ conf => 'broken.yaml' }, 'ping');
is($rc, 2, 'ping: exit 2 when weir would refuse the configuration');
like($err, qr/broken\.yaml:\d+:\d+: .*bogus_key/,
     'with weir -t\'s message for it') or diag($err);

# --- the state to list: checks settled ---

my $lbs = api($LBS);
my ($LB) = map { $_->{id} } @{ $lbs->{load_balancers} // [] };
ok($LB, 'the balancer id from the API');
my %tg = map { $_->{name} => $_ } @{ api("$LBS/target-groups")->{target_groups} };
my $TG = $tg{'app-tg'}{id};
my $SPARE = $tg{'spare-tg'}{id};
my ($LI) = map { $_->{id} } @{ api("$LBS/listeners")->{listeners} };
my ($HM) = map { $_->{id} } @{ api("$LBS/health-monitors")->{health_monitors} };

my $settled = wait_for(sub {
    my $m = api("$LBS/target-groups/$TG/members") or return 0;
    my %st = map { $_->{name} => $_->{operating_status} } @{ $m->{members} };
    return ($st{'m-1'} // '') eq 'ONLINE' && ($st{'m-2'} // '') eq 'ONLINE'
        && ($st{'m-3'} // '') eq 'ERROR';
}, 15);
ok($settled, 'health checks settled: m-1, m-2 ONLINE, m-3 ERROR');

my %member = map { $_->{name} => $_ }
    @{ api("$LBS/target-groups/$TG/members")->{members} };
my %spare = map { $_->{name} => $_ }
    @{ api("$LBS/target-groups/$SPARE/members")->{members} };
my $M1 = $member{'m-1'}{id};

# --- list ---

for my $args ([], ['list']) {
    ($rc, $out, $err) = ctl(@$args);
    my $what = @$args ? 'weirctl list' : 'weirctl';
    is($rc, 0, "$what: exit 0") or diag($err);
    my @lines = split /\n/, $out;
    like($lines[0], qr/^NAME\s+KIND\s+ID\s+PROTOCOL\s+ADDRESS\s+WEIGHT\s+PROVISIONING\s+OPERATING$/,
         "$what: the header");
    is(scalar(@lines), 1 + 1 + 1 + 2 + 3 + 1, "$what: a row per balancer, "
       . 'listener, group and member') or diag($out);

    my $b = $lbs->{load_balancers}[0];
    my $tgs = api("$LBS/target-groups")->{target_groups};
    my %g = map { $_->{name} => $_ } @$tgs;
    my @want = (
        ['net-lb', 'load-balancer', $LB, 'NLB', '127.0.0.1', '-',
         $b->{provisioning_status}, api("$LBS/$LB")->{load_balancer}{operating_status}],
        ['  tcp-in', 'listener', $LI, 'TCP', "127.0.0.1:$lp", '-',
         'ACTIVE', api("$LBS/listeners/$LI")->{listener}{operating_status}],
        ['  app-tg', 'target-group', $TG, 'TCP', '-', '-',
         $g{'app-tg'}{provisioning_status}, $g{'app-tg'}{operating_status}],
        (map {
            my $m = $member{$_};
            ["    $_", 'member', $m->{id}, '-',
             "127.0.0.1:$m->{protocol_port}",
             "$m->{weight} (" . ratio($m) . "%)",
             $m->{provisioning_status}, $m->{operating_status}]
         } qw(m-1 m-2 m-3)),
        ['  spare-tg', 'target-group', $SPARE, 'TCP', '-', '-',
         $g{'spare-tg'}{provisioning_status}, $g{'spare-tg'}{operating_status}],
        ["    s-1", 'member', $spare{'s-1'}{id}, '-',
         "127.0.0.1:$b[2]{port}",
         "$spare{'s-1'}{weight} (" . ratio($spare{'s-1'}) . "%)",
         $spare{'s-1'}{provisioning_status}, $spare{'s-1'}{operating_status}],
    );
    for my $i (0 .. $#want) {
        my $line = $lines[$i + 1] // '';
        my ($name, $rest) = $line =~ /^(\s*\S+)\s+(.*)$/;
        my @cells = (($name // ()), split(/\s{3,}/, $rest // ''));
        # the weight cell holds one space: "100 (95.2%)"
        is_deeply(\@cells, $want[$i], "$what: row of $want[$i][0] ($want[$i][1])"
                  . " with its statuses") or diag($line);
    }
    like($out, qr/^    m-3\s+member\s+\S+\s+-\s+\S+\s+1 \(\S+%\)\s+ACTIVE\s+ERROR$/m,
         "$what: m-3 whose checks fail is ERROR");
    like($out, qr/^    m-1\s+member\s+\Q$M1\E\s+-\s+127\.0\.0\.1:$b[0]{port}\s+100 \(\Q@{[ratio($member{'m-1'})]}\E%\)\s+ACTIVE\s+ONLINE$/m,
         "$what: m-1 ONLINE with weight 100 and its ratio");
}

# --- get: the same JSON as the API ---

my @gets = (
    [['get', 'load-balancers'], $LBS],
    [['get', 'lb', $LB], "$LBS/$LB"],
    [['get', 'load-balancer', $LB], "$LBS/$LB"],
    [['get', 'listeners'], "$LBS/listeners"],
    [['get', 'listener', $LI], "$LBS/listeners/$LI"],
    [['get', 'target-groups'], "$LBS/target-groups"],
    [['get', 'tg', $TG], "$LBS/target-groups/$TG"],
    [['get', 'target-groups', 'name=spare-tg'], "$LBS/target-groups?name=spare-tg"],
    [['get', 'members', $TG], "$LBS/target-groups/$TG/members"],
    [['get', 'member', $TG, $M1], "$LBS/target-groups/$TG/members/$M1"],
    [['get', 'targets', $TG, 'name=m-2'], "$LBS/target-groups/$TG/members?name=m-2"],
    [['get', 'health-monitors'], "$LBS/health-monitors"],
    [['get', 'hm', $HM], "$LBS/health-monitors/$HM"],
    [['get', 'status', $LB], "$LBS/$LB/status"],
    [['get', 'health-check-subnets', $TG], "$LBS/target-groups/$TG/health-check-subnets"],
    [['get', "$LBS/target-groups/$TG"], "$LBS/target-groups/$TG"],
);

for my $g (@gets) {
    my ($args, $path) = @$g;
    ($rc, $out, $err) = ctl(@$args);
    my $want = request('GET', $path);
    my $got = eval { decode_json($out) };
    ok($rc == 0 && $got && $want && $want->{status} == 200
       && JSON::PP->new->canonical->encode($got)
          eq JSON::PP->new->canonical->encode(decode_json($want->{body})),
       "weirctl @$args: the JSON of GET $path")
        or diag("rc $rc\n$out$err\nwant: " . ($want ? $want->{body} : 'none'));
}

($rc, $out, $err) = ctl('get', 'target-groups');
like($out, qr/^\{\n  "target_groups": \[\n    \{\n      "id": "/,
     'JSON is pretty-printed, two spaces a level');

($rc, $out, $err) = ctl('-o', 'raw', 'get', 'load-balancers');
is($out, request('GET', $LBS)->{body}, '-o raw: the body byte for byte');

($rc, $out, $err) = ctl('get', 'members', $TG, '-o', 'table');
like($out, qr/^ID\s+NAME\s+TARGET_GROUP_ID\s+ADDRESS\s+PROTOCOL_PORT\s+WEIGHT\s+WEIGHT_RATIO\s+/,
     '-o table: a list has a column per field');
like($out, qr/^\Q$M1\E\s+m-1\s+\Q$TG\E\s+127\.0\.0\.1\s+$b[0]{port}\s+100\s+\Q@{[ratio($member{'m-1'})]}\E\s+/m,
     '-o table: and a row per member');

($rc, $out, $err) = ctl('get', 'tg', $TG, '-o', 'table');
like($out, qr/^FIELD\s+VALUE\nid\s+\Q$TG\E\nname\s+app-tg\n/,
     '-o table: one object as FIELD VALUE rows');

($rc, $out, $err) = ctl('get', 'metrics');
is($rc, 0, 'get metrics: exit 0');
like($out, qr/^# HELP weir_/m, 'get metrics: the Prometheus text as it is');

# --- errors of the API ---

my $ref = request('GET', "$LBS/target-groups/no-such-group");
is($ref->{status}, 404, 'the API: 404 for an unknown target group');
($rc, $out, $err) = ctl('get', 'tg', 'no-such-group');
is($rc, 1, 'get of an unknown id: exit 1');
is($err, api_error_line($ref), 'and the API\'s message on stderr');
is($out, '', 'nothing on stdout');

# a write to weir: whatever it answers (405 before the write API, a 400
# for this body after it) is printed as it says
my $bad = '{"target_group":{"load_balancer_id":"' . $LB
    . '","name":"web-tg","protocol":"BOGUS"}}';
$ref = request('POST', "$LBS/target-groups", $bad);
ok($ref && $ref->{status} >= 400, "POST of a bad group: $ref->{status}");
($rc, $out, $err) = ctl('create', 'target-group', "load_balancer_id=$LB",
                        'name=web-tg', 'protocol=BOGUS');
is($rc, 1, 'create target-group refused: exit 1');
is($err, api_error_line($ref), 'with the API\'s error message');

# --- writes to weir itself, where it has the write API ---

SKIP: {
    skip 'this weir has no write API (a POST answers 405)', 12
        if $ref->{status} == 405;

    # a change is PENDING_* until every worker runs it; the next one waits
    my $active = sub {
        my $g = api("$LBS/target-groups/$SPARE") or return 0;
        return ($g->{target_group}{provisioning_status} // '') eq 'ACTIVE';
    };

    ($rc, $out, $err) = ctl('create', 'member', $SPARE, 'address=127.0.0.1',
                            "protocol_port=$dead", 'weight=64', 'name=s-2');
    is($rc, 0, 'weir: create member: exit 0') or diag($err);
    my $m = eval { decode_json($out)->{member} } // {};
    is("$m->{name} $m->{address}:$m->{protocol_port} $m->{weight}",
       "s-2 127.0.0.1:$dead 64", 'weir: create member: the new member');
    ok(wait_for($active, 10), 'weir: the change goes ACTIVE');

    ($rc, $out, $err) = ctl('get', 'member', $SPARE, $m->{id});
    is_deeply(eval { decode_json($out) },
              api("$LBS/target-groups/$SPARE/members/$m->{id}"),
              'weir: get member: the JSON of the API');

    ($rc, $out, $err) = ctl('set', 'member', $SPARE, $m->{id}, 'weight=128');
    is($rc, 0, 'weir: set member weight=128: exit 0') or diag($err);
    is(eval { decode_json($out)->{member}{weight} }, 128,
       'weir: set member: the weight is 128');
    ok(wait_for($active, 10), 'weir: ACTIVE again');

    ($rc, $out, $err) = ctl('set', 'member', $SPARE, $m->{id}, 'weight=257');
    is($rc, 1, 'weir: weight 257: exit 1');
    like($err, qr/^weirctl: 400 Bad Request: member\.weight: /,
         'weir: weight 257: the field and the message of the API');

    ($rc, $out, $err) = ctl('delete', 'member', $SPARE, $m->{id});
    is($rc, 0, 'weir: delete member: exit 0') or diag($err);
    ok(wait_for($active, 10), 'weir: the delete goes ACTIVE');
    ($rc, $out, $err) = ctl('get', 'member', $SPARE, $m->{id});
    is($rc, 1, 'weir: the member is gone (404)');
}

# --- usage errors exit 2 without a request ---

for my $u (['frobnicate'], ['get'], ['get', 'widgets'], ['set', 'tg'],
           ['delete', 'member', $TG], ['get', 'members'],
           ['create', 'tg', 'name'], ['create', 'tg', 'a=1', 'a=2'],
           ['create', 'tg', 'x:=[1,'], ['-o', 'yaml', 'list'],
           ['set', 'members', $TG], ['get', '/api/v1/a b'])
{
    ($rc, $out, $err) = ctl(@$u);
    is($rc, 2, "weirctl @$u: usage error, exit 2");
    like($err, qr/^weirctl: /, "weirctl @$u: says why") or diag($err);
}

# --- writes: the requests weirctl sends, recorded by a stand-in ---

# answers every request with 200 {"ok": true} (with the token), or 400
# with a field when the body holds "fail"; records the last request
my $fake = spawn_server(what => 'fake admin API', serve => sub {
    my ($srv) = @_;
    while (my $c = $srv->accept) {
        my $buf = '';
        while ($buf !~ /\r\n\r\n/) {
            my $n = sysread($c, $buf, 65536, length $buf) or last;
        }
        my ($len) = $buf =~ /^Content-Length: (\d+)\r$/mi;
        my $want = index($buf, "\r\n\r\n") + 4 + ($len // 0);
        while (length($buf) < $want) {
            my $n = sysread($c, $buf, 65536, length $buf) or last;
        }
        open(my $fh, '>', "$dir/fake.req.tmp");
        print $fh $buf;
        close $fh;
        rename "$dir/fake.req.tmp", "$dir/fake.req";
        my ($code, $body) = (200, '{"ok":true}');
        if ($buf !~ /^X-Auth-Token: \Q$TOKEN\E\r$/m) {
            ($code, $body) = (401, '{"error":{"code":401,"message":"no"}}');
        } elsif ($buf =~ /fail/) {
            ($code, $body) = (400, '{"error":{"code":400,"field":'
                . '"target_group.health_monitor.timeout","message":'
                . '"timeout (30) must be less than delay (30)"}}');
        }
        my $reason = { 200 => 'OK', 400 => 'Bad Request',
                       401 => 'Unauthorized' }->{$code};
        print $c "HTTP/1.1 $code $reason\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($body) . "\r\n"
            . "Connection: close\r\n\r\n$body";
        close $c;
    }
});
$w->write_config(config(listen => "127.0.0.1:$fake->{port}"), 'fake.yaml');

# the last request: { method, path, headers (lower-case), body, json }
sub recorded {
    my $raw = slurp("$dir/fake.req");
    unlink "$dir/fake.req";
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    return undef unless defined $head;
    my ($line, @h) = split /\r\n/, $head;
    my ($m, $p) = $line =~ m{^(\S+) (\S+) HTTP/1\.1$} or return undef;
    my %h = map { /^([^:]+): (.*)$/ ? (lc $1 => $2) : () } @h;
    my $json = length($body // '') ? eval { decode_json($body) } : undef;
    return { method => $m, path => $p, headers => \%h, body => $body,
             json => $json };
}

my @writes = (
    [['create', 'target-group', "load_balancer_id=$LB", 'name=web',
      'protocol=HTTP', 'load_balancer_algorithm=ROUND_ROBIN',
      'health_monitor.type=HTTP', 'health_monitor.delay=5',
      'health_monitor.timeout=2', 'health_monitor.url_path=/healthz',
      'members:=[{"address":"127.0.0.1","protocol_port":8001}]'],
     'POST', "$LBS/target-groups",
     { target_group => { load_balancer_id => $LB, name => 'web',
         protocol => 'HTTP', load_balancer_algorithm => 'ROUND_ROBIN',
         health_monitor => { type => 'HTTP', delay => 5, timeout => 2,
                             url_path => '/healthz' },
         members => [{ address => '127.0.0.1', protocol_port => 8001 }] } },
     'create target-group: POST, wrapped, nested and typed'],
    [['set', 'member', $TG, $M1, 'weight=64'],
     'PUT', "$LBS/target-groups/$TG/members/$M1",
     { member => { weight => 64 } }, 'set member: PUT of one member'],
    [['set', 'members', $TG, 'address=127.0.0.1,protocol_port=8001,weight=64',
      'address=127.0.0.1,protocol_port=8002,name=b,monitor_port:=null'],
     'PUT', "$LBS/target-groups/$TG/members",
     { members => [{ address => '127.0.0.1', protocol_port => 8001, weight => 64 },
                   { address => '127.0.0.1', protocol_port => 8002, name => 'b',
                     monitor_port => undef }] },
     'set members: PUT of the whole set'],
    [['create', 'member', $TG, 'address=::1', 'protocol_port=8003',
      'name:="8003"', 'subnet_id=subnet-a'],
     'POST', "$LBS/target-groups/$TG/members",
     { member => { address => '::1', protocol_port => 8003, name => '8003',
                   subnet_id => 'subnet-a' } },
     'create member: POST; := keeps a string that looks like a number'],
    [['set', 'tg', $TG, 'name=renamed-tg', 'session_persistence.type=HTTP_COOKIE',
      'session_persistence.persistence_timeout=3600'],
     'PUT', "$LBS/target-groups/$TG",
     { target_group => { name => 'renamed-tg', session_persistence =>
         { type => 'HTTP_COOKIE', persistence_timeout => 3600 } } },
     'set target-group: PUT with a nested object'],
    [['create', 'health-monitor', "target_group_id=$SPARE", 'type=TCP',
      'delay=5', 'timeout=2', 'max_retries=3'],
     'POST', "$LBS/health-monitors",
     { health_monitor => { target_group_id => $SPARE, type => 'TCP',
         delay => 5, timeout => 2, max_retries => 3 } },
     'create health-monitor: POST'],
    [['set', 'hm', $HM, 'delay=10', 'http_version=1.1', 'expected_codes=200-299'],
     'PUT', "$LBS/health-monitors/$HM",
     { health_monitor => { delay => 10, http_version => 1.1,
                           expected_codes => '200-299' } },
     'set health-monitor: PUT'],
    [['set', 'listener', $LI, "target_group_id=$SPARE", 'connection_limit=-1'],
     'PUT', "$LBS/listeners/$LI",
     { listener => { target_group_id => $SPARE, connection_limit => -1 } },
     'set listener: PUT connects a group'],
    [['set', 'listener', $LI, 'target_group_id=null'],
     'PUT', "$LBS/listeners/$LI", { listener => { target_group_id => undef } },
     'set listener: null disconnects'],
    [['create', 'listener', "load_balancer_id=$LB", 'name=tcp-2',
      'protocol=TCP', 'protocol_port=9999'],
     'POST', "$LBS/listeners",
     { listener => { load_balancer_id => $LB, name => 'tcp-2',
                     protocol => 'TCP', protocol_port => 9999 } },
     'create listener: POST'],
    [['create', 'lb', 'name=web-lb', 'type=ALB', 'address=127.0.0.1'],
     'POST', $LBS,
     { load_balancer => { name => 'web-lb', type => 'ALB',
                          address => '127.0.0.1' } },
     'create load-balancer: POST'],
    [['set', 'load-balancer', $LB, 'vpc=vpc-b'],
     'PUT', "$LBS/$LB", { load_balancer => { vpc => 'vpc-b' } },
     'set load-balancer: PUT'],
    [['delete', 'target-group', $SPARE], 'DELETE', "$LBS/target-groups/$SPARE",
     undef, 'delete target-group: DELETE, no body'],
    [['delete', 'member', $TG, $M1], 'DELETE',
     "$LBS/target-groups/$TG/members/$M1", undef, 'delete member: DELETE'],
    [['delete', 'lb', $LB, 'cascade=true'], 'DELETE', "$LBS/$LB?cascade=true",
     undef, 'delete load-balancer cascade=true: the query'],
    [['delete', 'hm', $HM], 'DELETE', "$LBS/health-monitors/$HM", undef,
     'delete health-monitor: DELETE'],
    [['delete', 'listener', $LI], 'DELETE', "$LBS/listeners/$LI", undef,
     'delete listener: DELETE'],
    [['create', "$LBS/target-groups", 'target_group.name=raw',
      'target_group.protocol=TCP'],
     'POST', "$LBS/target-groups",
     { target_group => { name => 'raw', protocol => 'TCP' } },
     'create on a path: dotted keys give the wrapper'],
    [['get', 'tg', 'name=a b&c'], 'GET', "$LBS/target-groups?name=a%20b%26c",
     undef, 'get with a filter: the value percent-encoded'],
);

for my $t (@writes) {
    my ($args, $method, $path, $json, $name) = @$t;
    ($rc, $out, $err) = ctl({ conf => 'fake.yaml' }, @$args);
    my $r = recorded();
    is($rc, 0, "$name: exit 0") or diag($err);
    ok($r, "$name: the request came") or next;
    is("$r->{method} $r->{path}", "$method $path", "$name: $method $path");
    is($r->{headers}{'x-auth-token'}, $TOKEN, "$name: the token");
    if (defined $json) {
        is($r->{headers}{'content-type'}, 'application/json',
           "$name: Content-Type");
        is($r->{headers}{'content-length'}, length($r->{body}),
           "$name: Content-Length");
        is_deeply($r->{json}, $json, "$name: the body") or diag($r->{body});
    } else {
        is($r->{body} // '', '', "$name: no body");
    }
}

# numbers stay as typed: 5 is a number, "5" a string, 1.1 a number
($rc) = ctl({ conf => 'fake.yaml' }, 'set', 'hm', $HM, 'delay=5',
            'expected_codes:="200"', 'enabled=true', 'note=5x');
my $r = recorded();
like($r->{body}, qr/^\{"health_monitor":\{"delay":5,"expected_codes":"200","enabled":true,"note":"5x"\}\}$/,
     'the body as sent: typed values, in the order given');

my $file = '{"members": [{"address": "127.0.0.1", "protocol_port": 8001}]}';
write_file("$dir/body.json", $file);
($rc, $out, $err) = ctl({ conf => 'fake.yaml' }, 'set', "$LBS/target-groups/$TG/members",
                        '-f', "$dir/body.json");
$r = recorded();
is($rc, 0, 'set PATH -f FILE: exit 0');
is("$r->{method} $r->{path}", "PUT $LBS/target-groups/$TG/members",
   'set PATH -f FILE: PUT to the path');
is($r->{body}, $file, 'set PATH -f FILE: the file byte for byte');

($rc, $out, $err) = ctl({ conf => 'fake.yaml', stdin => $file }, 'create',
                        'member', $TG, '-f', '-');
$r = recorded();
is($r->{body}, $file, 'create -f -: the body from stdin');

($rc, $out, $err) = ctl({ conf => 'fake.yaml' }, 'create', 'tg', 'name=fail');
is($rc, 1, 'a 400 of the API: exit 1');
is($err, "weirctl: 400 Bad Request: target_group.health_monitor.timeout: "
   . "timeout (30) must be less than delay (30)\n",
   'a 400: the field and the message of the API\'s error body');

($rc, $out, $err) = ctl({ conf => 'fake.yaml' }, 'set', 'member', $TG, $M1,
                        'weight=64');
is($out, qq({\n  "ok": true\n}\n), 'the answer of a write, pretty');

stop_server($fake);

# --- no answer: timeout and nobody listening ---

my $silent = spawn_server(what => 'silent server', serve => sub {
    my ($srv) = @_;
    my @keep;
    while (my $c = $srv->accept) { push @keep, $c; }
});
$w->write_config(config(listen => "127.0.0.1:$silent->{port}"), 'silent.yaml');
my $t0 = time;
($rc, $out, $err) = ctl({ conf => 'silent.yaml' }, '-t', '0.5', 'ping');
my $took = time - $t0;
is($rc, 3, 'ping of a server that never answers: exit 3');
like($err, qr/timed out/, 'ping: says it timed out') or diag($err);
ok($took < 5, sprintf('ping gave up after -t 0.5 s (%.1f s)', $took));
stop_server($silent);

$w->stop;
($rc, $out, $err) = ctl('ping');
is($rc, 1, 'ping with weir stopped: exit 1 (t/weirctl_ping.t: the rest)');
like($err, qr/^weirctl: ping: no master: pid file /,
     'ping with weir stopped: no master') or diag($err);
($rc, $out, $err) = ctl('list');
is($rc, 3, 'list with weir stopped: exit 3');
like($err, qr/connect\(\) to the admin API at 127\.0\.0\.1:$ap failed \(Connection refused\)/,
     'list with weir stopped: connection refused') or diag($err);

# --- TLS: https when the file has admin.certificate, trusting only it ---

SKIP: {
    my $w2 = Weir->new;
    my $d2 = $w2->dir;
    my ($ap2, $lp2) = (free_port(), free_port());
    my $mk = 'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 '
        . '-nodes -days 2 -subj /CN=127.0.0.1';
    system("$mk -keyout $d2/admin.key -out $d2/admin.crt >/dev/null 2>&1") == 0
        && system("$mk -keyout $d2/other.key -out $d2/other.crt >/dev/null 2>&1") == 0
        or skip 'no openssl command to make a certificate', 6;
    chmod 0600, "$d2/admin.key";
    write_file("$d2/admin.token", "$TOKEN\n", 0600);
    $w2->write_config(config(listen => "127.0.0.1:$ap2", lp => $lp2,
                             certificate => 'admin.crt'));
    $w2->write_config(config(listen => "127.0.0.1:$ap2", lp => $lp2,
                             certificate => 'other.crt'), 'other.yaml');
    my $t = `@{[binary()]} -t -p $d2 -c $d2/weir.yaml 2>&1`;
    skip 'this weir has no admin.certificate (TLS on the admin listener)', 6
        if $t =~ /admin\.certificate.*(unknown|not allowed)/i
           || $t =~ /unknown field|is not a field|not known/i;
    ok($w2->start($lp2, $ap2), 'weir started with TLS on the admin listener')
        or diag($t . $w2->log_text);

    my $ctl2 = sub {
        my ($conf, @args) = @_;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            open(STDOUT, '>', "$d2/ctl.out");
            open(STDERR, '>', "$d2/ctl.err");
            exec($CTL, '-p', $d2, '-c', "$d2/$conf", @args)
                or POSIX::_exit(127);
        }
        waitpid($pid, 0);
        return ($? >> 8, slurp("$d2/ctl.out"), slurp("$d2/ctl.err"));
    };

    ($rc, $out, $err) = $ctl2->('weir.yaml', 'ping');
    is($rc, 0, 'TLS: ping exit 0') or diag($err);
    like($out, qr/^weir admin API at https:\/\/127\.0\.0\.1:$ap2: ok$/m,
         'TLS: over https');
    ($rc, $out, $err) = $ctl2->('weir.yaml', 'list');
    like($out, qr/^net-lb\s+load-balancer\s/m, 'TLS: list');
    ($rc, $out, $err) = $ctl2->('other.yaml', 'ping');
    is($rc, 3, 'TLS: ping trusting another certificate: exit 3');
    like($err, qr/TLS handshake failed: the server's certificate is not admin\.certificate/,
         'TLS: the handshake fails, no token is sent') or diag($err);
    $w2->stop;
}

done_testing();
