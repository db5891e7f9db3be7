#!/usr/bin/perl
# weir: the write operations of the admin API (SPEC.md section 10, issue
# 11): a target group created with two members and an HTTP health monitor
# in one request, read back; PUT of its name and algorithm; members added,
# replaced as a set (matched by address and port: ids kept), changed and
# detached; health monitor create / update / delete; the listener
# connection; DELETE. After every change the file on disk passes
# `weir -t` and holds what the API shows.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect http_request);
use WeirAdmin qw(admin_weir admin_client weir_t file_bytes);

my $TOKEN = 'weir-write-token-8d1f';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my @b = map { start_http_backend(name => "B$_") } 1 .. 3;
my $lp = free_port();

$w->write_config(<<"EOF");
worker_processes: 1
$admin
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $lp }
    target_groups:
      - name: old-tg
        protocol: HTTP
        members:
          - { name: o-1, address: 127.0.0.1, protocol_port: $b[2]{port} }
EOF

ok($w->start($lp, $ap), 'weir started') or BAIL_OUT($w->log_text);

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $TG = "$L/target-groups";
my $file = "$dir/weir.yaml";
my $UUID = qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

sub file_ok {
    my ($what) = @_;
    my ($rc, $out) = weir_t($dir, $file);
    is($rc, 0, "the file passes weir -t after $what") or diag($out);
}

# provisioning_status settles (ACTIVE) once the master applied the change
sub settled {
    my ($path) = @_;
    return wait_for(sub {
        my $x = $api->('GET', $path);
        my ($obj) = values %{ $x->{json} // {} };
        return ref $obj eq 'HASH'
               && ($obj->{provisioning_status} // '') eq 'ACTIVE';
    }, 15);
}

my $r = $api->('GET', $L);
my $lb_id = $r->{json}{load_balancers}[0]{id};
ok($lb_id, 'the balancer has an id');
my $listener_id = $api->('GET', "$L/listeners")->{json}{listeners}[0]{id};

# --- create a target group with two members and a monitor in one request ---

$r = $api->('POST', $TG, {
    target_group => {
        load_balancer_id => $lb_id,
        name => 'web-tg',
        protocol => 'HTTP',
        load_balancer_algorithm => 'LEAST_CONNECTIONS',
        members => [
            { name => 'web-1', address => '127.0.0.1',
              protocol_port => 0 + $b[0]{port}, weight => 10 },
            { name => 'web-2', address => '127.0.0.1',
              protocol_port => 0 + $b[1]{port}, weight => 20 },
        ],
        health_monitor => { type => 'HTTP', delay => 2, timeout => 1,
                            max_retries => 1, max_retries_down => 1,
                            url_path => '/' },
    },
});
is($r->{status}, 201, 'POST target group: 201') or diag(explain($r));
my $tg = $r->{json}{target_group};
like($tg->{id} // '', $UUID, 'with a random (v4) id');
like($tg->{provisioning_status} // '', qr/^(PENDING_CREATE|ACTIVE)$/,
     'PENDING_CREATE until applied');
is($tg->{member_count}, 2, 'two members');
ok($tg->{health_monitor_id}, 'and a health monitor');
my $tg_id = $tg->{id};
file_ok('the create');
like(file_bytes($file), qr/^# weir: this file is maintained by weir's management API/,
     'the file says the API maintains it');
like(file_bytes($file), qr/\Q$tg_id\E/, 'the new id is in the file');
ok(settled("$TG/$tg_id"), 'the group becomes ACTIVE');

$r = $api->('GET', "$TG/$tg_id");
is($r->{status}, 200, 'GET it back');
is($r->{json}{target_group}{name}, 'web-tg', 'by name');
my $m = $api->('GET', "$TG/$tg_id/members")->{json}{members};
is_deeply([sort map { $_->{protocol_port} } @$m],
          [sort { $a <=> $b } $b[0]{port}, $b[1]{port}], 'both members');
is_deeply([map { $_->{weight} } sort { $a->{weight} <=> $b->{weight} } @$m],
          [10, 20], 'with their weights');
my %mid = map { $_->{name} => $_->{id} } @$m;
my $hm_id = $tg->{health_monitor_id};
$r = $api->('GET', "$L/health-monitors/$hm_id");
is($r->{json}{health_monitor}{type}, 'HTTP', 'the monitor is HTTP');
is($r->{json}{health_monitor}{target_group_id}, $tg_id, 'of the group');

# --- PUT name and algorithm ---

$r = $api->('PUT', "$TG/$tg_id", { target_group => {
    name => 'web-tg-renamed', load_balancer_algorithm => 'ROUND_ROBIN' } });
is($r->{status}, 200, 'PUT name and algorithm: 200') or diag(explain($r));
is($r->{json}{target_group}{id}, $tg_id, 'a rename keeps the id');
is($r->{json}{target_group}{name}, 'web-tg-renamed', 'new name');
is($r->{json}{target_group}{load_balancer_algorithm}, 'ROUND_ROBIN',
   'new algorithm');
is($r->{json}{target_group}{member_count}, 2, 'members untouched');
file_ok('the rename');
ok(settled("$TG/$tg_id"), 'ACTIVE again');

# sticky sessions on, then off again (null: back to the default, none)
$r = $api->('PUT', "$TG/$tg_id", { target_group => {
    session_persistence => { type => 'APP_COOKIE', cookie_name => 'SID' } } });
is($r->{status}, 200, 'PUT session_persistence: 200') or diag(explain($r));
is_deeply($r->{json}{target_group}{session_persistence},
          { type => 'APP_COOKIE', cookie_name => 'SID',
            persistence_timeout => 360 }, 'APP_COOKIE with its default timeout');
ok(settled("$TG/$tg_id"), 'ACTIVE');
$r = $api->('PUT', "$TG/$tg_id", { target_group => { name => 'web-tg-renamed' } });
is_deeply($r->{json}{target_group}{session_persistence}{cookie_name}, 'SID',
          'a PUT without it keeps it');
ok(settled("$TG/$tg_id"), 'ACTIVE');
$r = $api->('PUT', "$TG/$tg_id",
            { target_group => { session_persistence => undef } });
is($r->{status}, 200, 'PUT session_persistence null: 200') or diag(explain($r));
is($r->{json}{target_group}{session_persistence}, undef, 'sticky sessions off');
file_ok('sticky sessions off');
ok(settled("$TG/$tg_id"), 'ACTIVE');

# --- the listener connection ---

$r = $api->('PUT', "$L/listeners/$listener_id",
            { listener => { target_group_id => $tg_id } });
is($r->{status}, 200, 'PUT listener target_group_id: 200') or diag(explain($r));
is($r->{json}{listener}{target_group_id}, $tg_id, 'connected');
file_ok('the listener connection');
ok(settled("$L/listeners/$listener_id"), 'listener ACTIVE');
$r = $api->('GET', "$TG/$tg_id");
is_deeply($r->{json}{target_group}{listeners}, [{ id => $listener_id }],
          'the group lists its listener');

# traffic reaches both members, with the master's and workers' pids as
# they were (the change went live, without a new process)
ok(wait_for(sub {
    my $ms = $api->('GET', "$TG/$tg_id/members")->{json}{members} // [];
    return 2 == grep { $_->{operating_status} eq 'ONLINE' } @$ms;
}, 15), 'both members pass their checks (ONLINE)');
my @pids = ($w->pid, $w->workers);
my %seen;
for (1 .. 30) {
    my $c = http_connect($lp) or next;
    my $x = http_request($c, 'GET', '/', headers => [Connection => 'close']);
    $seen{$x->{headers}{'x-backend'}}++ if $x && $x->{status} == 200;
    close $c;
}
ok($seen{B1} && $seen{B2}, 'traffic reaches both members')
    or diag(explain(\%seen, $api->('GET', "$TG/$tg_id/members")->{json}));
is_deeply([$w->pid, $w->workers], \@pids, 'same master and worker pids');

# --- members: add, change, replace the set, detach ---

$r = $api->('POST', "$TG/$tg_id/members", { member => {
    name => 'web-3', address => '127.0.0.1', protocol_port => 0 + $b[2]{port},
    weight => 128 } });
is($r->{status}, 201, 'POST member: 201') or diag(explain($r));
my $m3 = $r->{json}{member}{id};
like($m3 // '', $UUID, 'new member id');
is($r->{json}{member}{weight}, 128, 'its weight');
file_ok('a member added');
ok(settled("$TG/$tg_id"), 'ACTIVE');

$r = $api->('PUT', "$TG/$tg_id/members/$mid{'web-1'}", { member => {
    weight => 64, monitor_port => 0 + $b[0]{port}, name => 'web-1a' } });
is($r->{status}, 200, 'PUT member weight / monitor_port / name: 200')
    or diag(explain($r));
is($r->{json}{member}{weight}, 64, 'weight changed');
is($r->{json}{member}{name}, 'web-1a', 'name changed');
is($r->{json}{member}{id}, $mid{'web-1'}, 'id kept');
file_ok('a member changed');
ok(settled("$TG/$tg_id"), 'ACTIVE');

# replace the set: web-2 stays (same address:port, new weight), web-1a and
# web-3 go, one comes back as new (b[0])
$r = $api->('PUT', "$TG/$tg_id/members", { members => [
    { name => 'web-2', address => '127.0.0.1', protocol_port => 0 + $b[1]{port},
      weight => 200 },
    { name => 'web-1b', address => '127.0.0.1', protocol_port => 0 + $b[0]{port} },
] });
is($r->{status}, 200, 'PUT members (the whole set): 200') or diag(explain($r));
my %now = map { $_->{protocol_port} => $_ } @{ $r->{json}{members} // [] };
is(scalar keys %now, 2, 'two members now');
is($now{$b[1]{port}}{id}, $mid{'web-2'}, 'matched by address:port: id kept');
is($now{$b[1]{port}}{weight}, 200, 'with the new weight');
is($now{$b[0]{port}}{id}, $mid{'web-1'},
   'the member at the same address:port keeps its id too');
ok(!grep({ $_->{id} eq $m3 } values %now), 'web-3 was detached');
file_ok('the members replaced');
ok(settled("$TG/$tg_id"), 'ACTIVE');

$r = $api->('DELETE', "$TG/$tg_id/members/$mid{'web-2'}");
is($r->{status}, 204, 'DELETE member: 204');
is($api->('GET', "$TG/$tg_id/members/$mid{'web-2'}")->{status}, 404,
   'gone at once');
is($api->('GET', "$TG/$tg_id")->{json}{target_group}{member_count}, 1,
   'one member left');
file_ok('a member detached');
ok(settled("$TG/$tg_id"), 'ACTIVE');

# --- health monitor: update, delete, create ---

$r = $api->('PUT', "$L/health-monitors/$hm_id",
            { health_monitor => { delay => 5, timeout => 2,
                                  url_path => '/health' } });
is($r->{status}, 200, 'PUT health monitor: 200') or diag(explain($r));
is($r->{json}{health_monitor}{delay}, 5, 'delay changed');
is($r->{json}{health_monitor}{url_path}, '/health', 'url_path changed');
is($r->{json}{health_monitor}{id}, $hm_id, 'id kept');
file_ok('the monitor changed');
ok(settled("$L/health-monitors/$hm_id"), 'ACTIVE');

$r = $api->('DELETE', "$L/health-monitors/$hm_id");
is($r->{status}, 204, 'DELETE health monitor: 204');
is($api->('GET', "$L/health-monitors/$hm_id")->{status}, 404, 'gone');
is($api->('GET', "$TG/$tg_id")->{json}{target_group}{health_monitor_id},
   undef, 'the group has none');
file_ok('the monitor deleted');
ok(settled("$TG/$tg_id"), 'ACTIVE');

$r = $api->('POST', "$L/health-monitors", { health_monitor => {
    target_group_id => $tg_id, type => 'HTTP', delay => 3, timeout => 1,
    expected_codes => '200-299' } });
is($r->{status}, 201, 'POST health monitor: 201') or diag(explain($r));
like($r->{json}{health_monitor}{id} // '', $UUID, 'new monitor id');
is($r->{json}{health_monitor}{expected_codes}, '200-299', 'its codes');
file_ok('a monitor created');
ok(settled("$TG/$tg_id"), 'ACTIVE');

# --- delete: refused while a listener uses it, then done ---

$r = $api->('DELETE', "$TG/$tg_id");
is($r->{status}, 409, 'DELETE of a group a listener uses: 409');
like($r->{json}{error}{message} // '', qr/disconnect it first/, 'saying why');
$r = $api->('PUT', "$L/listeners/$listener_id",
            { listener => { target_group_id => undef } });
is($r->{status}, 200, 'the listener disconnected');
is($r->{json}{listener}{target_group_id}, undef, 'no target group');
ok(settled("$L/listeners/$listener_id"), 'ACTIVE');
$r = $api->('DELETE', "$TG/$tg_id");
is($r->{status}, 204, 'DELETE target group: 204');
is($api->('GET', "$TG/$tg_id")->{status}, 404, 'gone at once');
unlike(file_bytes($file), qr/\Q$tg_id\E/, 'and from the file');
file_ok('the group deleted');

# load_balancer_id null with one balancer: that one (not a crash)
$r = $api->('POST', $TG, { target_group => {
    load_balancer_id => undef, name => 'null-lb-tg', protocol => 'TCP' } });
is($r->{status}, 201, 'load_balancer_id null with one balancer: 201')
    or diag(explain($r));
is($r->{json}{target_group}{load_balancer_id}, $lb_id, 'in that balancer');
ok(settled("$TG/$r->{json}{target_group}{id}"), 'ACTIVE');
is($api->('DELETE', "$TG/$r->{json}{target_group}{id}")->{status}, 204,
   'deleted again');
ok(settled("$L/$lb_id"), 'ACTIVE');

# --- a listener created and deleted ---

my $lp3 = free_port();
$r = $api->('POST', "$L/listeners", { listener => {
    load_balancer_id => $lb_id, name => 'http-2', protocol => 'HTTP',
    protocol_port => 0 + $lp3 } });
is($r->{status}, 201, 'POST listener: 201') or diag(explain($r));
my $l2 = $r->{json}{listener}{id};
like($l2 // '', $UUID, 'with a new id');
file_ok('a listener created');
ok(settled("$L/listeners/$l2"), 'ACTIVE');
$r = $api->('DELETE', "$L/listeners/$l2");
is($r->{status}, 204, 'DELETE listener: 204');
is($api->('GET', "$L/listeners/$l2")->{status}, 404, 'gone');
file_ok('a listener deleted');
ok(settled("$L/$lb_id"), 'the balancer is ACTIVE');

# --- bodies on a keep-alive connection: the next request follows the
# body (pipelined, in the same write) ---

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5) or die $!;
    my $body = '{"target_group": {"name": "pipelined-tg"}}';
    my $old_id = $api->('GET', $TG)->{json}{target_groups}[0]{id};
    print $s "PUT $TG/$old_id HTTP/1.1\r\nHost: x\r\nX-Auth-Token: $TOKEN\r\n"
           . "Content-Length: " . length($body) . "\r\n\r\n$body"
           . "GET $TG/$old_id HTTP/1.1\r\nHost: x\r\nX-Auth-Token: $TOKEN\r\n"
           . "Connection: close\r\n\r\n";
    my $buf = '';
    while (1) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    my @status = $buf =~ m{HTTP/1\.1 (\d{3}) }g;
    is_deeply(\@status, [200, 200],
              'PUT with a body, then GET, on one connection') or diag($buf);
    like($buf, qr/"name":"pipelined-tg".*"name":"pipelined-tg"/s,
         'the GET after the body sees the change');
    ok(settled("$TG/$old_id"), 'ACTIVE');
}

# Expect: 100-continue (curl sends it with larger bodies): the interim
# answer comes before the body is sent

{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5) or die $!;
    my $old_id = $api->('GET', $TG)->{json}{target_groups}[0]{id};
    my $body = '{"target_group": {"name": "continued-tg"}}';
    print $s "PUT $TG/$old_id HTTP/1.1\r\nHost: x\r\nX-Auth-Token: $TOKEN\r\n"
           . "Expect: 100-continue\r\nConnection: close\r\n"
           . "Content-Length: " . length($body) . "\r\n\r\n";
    my $sel = IO::Select->new($s);
    my $interim = '';
    sysread($s, $interim, 4096) if $sel->can_read(5);
    is($interim, "HTTP/1.1 100 Continue\r\n\r\n",
       'Expect: 100-continue gets 100 Continue first');
    print $s $body;
    my $buf = '';
    while ($sel->can_read(5)) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    like($buf, qr{^HTTP/1\.1 200 .*"name":"continued-tg"}s,
         'then the body is read and the change made');
    ok(settled("$TG/$old_id"), 'ACTIVE');
    $r = $api->('PUT', "$TG/$old_id",
                { target_group => { name => 'pipelined-tg' } });
    is($r->{status}, 200, 'renamed back');
    ok(settled("$TG/$old_id"), 'ACTIVE');
}

# --- a change the master cannot apply: ERROR, and then only a delete ---
# (the port is taken by a socket without SO_REUSEPORT: weir -t cannot
# know, the master's bind() fails)

my $busy = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Proto => 'tcp', Listen => 1)
    or die "listen: $!";
$r = $api->('POST', "$L/listeners", { listener => {
    load_balancer_id => $lb_id, name => 'http-busy', protocol => 'HTTP',
    protocol_port => 0 + $busy->sockport } });
is($r->{status}, 201, 'POST listener on a port in use: 201 (valid)')
    or diag(explain($r));
my $lb_busy = $r->{json}{listener}{id};
ok(wait_for(sub {
    ($api->('GET', "$L/listeners/$lb_busy")->{json}{listener}
        {provisioning_status} // '') eq 'ERROR' }, 15),
   'the master could not apply it: ERROR');
is($api->('GET', "$L/$lb_id")->{json}{load_balancer}{provisioning_status},
   'ERROR', 'the balancer is in ERROR too');
$r = $api->('PUT', "$L/listeners/$lb_busy",
            { listener => { connection_limit => 10 } });
is($r->{status}, 409, 'a change to an object in ERROR: 409');
like($r->{json}{error}{message} // '', qr/ERROR .*can only be deleted/,
     'saying it can only be deleted');
$r = $api->('DELETE', "$L/listeners/$lb_busy");
is($r->{status}, 204, 'but it can be deleted: 204');
ok(settled("$L/$lb_id"), 'and the balancer is ACTIVE again');
close $busy;

# --- load balancers: create, update, delete (cascade) ---

my $lp2 = free_port();
$r = $api->('POST', $L, { load_balancer => {
    name => 'net-lb', type => 'NLB', address => '127.0.0.1',
    listeners => [ { name => 'tcp-in', protocol => 'TCP',
                     protocol_port => 0 + $lp2, target_group => 'net-tg' } ],
    target_groups => [ { name => 'net-tg', protocol => 'TCP', members => [
        { address => '127.0.0.1', protocol_port => 0 + $b[0]{port} } ] } ],
} });
is($r->{status}, 201, 'POST load balancer with a listener and a group: 201')
    or diag(explain($r));
my $nlb = $r->{json}{load_balancer}{id};
like($nlb // '', $UUID, 'with a new id');
file_ok('a balancer created');
ok(settled("$L/$nlb"), 'ACTIVE');
$r = $api->('PUT', "$L/$nlb", { load_balancer => { vpc => 'vpc-b' } });
is($r->{status}, 200, 'PUT load balancer: 200') or diag(explain($r));
is($r->{json}{load_balancer}{vpc}, 'vpc-b', 'label changed');
ok(settled("$L/$nlb"), 'ACTIVE');
$r = $api->('DELETE', "$L/$nlb");
is($r->{status}, 400, 'DELETE of a balancer with children: 400');
like($r->{json}{error}{message} // '', qr/cascade=true/, 'naming cascade');
$r = $api->('DELETE', "$L/$nlb?cascade=true");
is($r->{status}, 204, 'DELETE ?cascade=true: 204');
is($api->('GET', "$L/$nlb")->{status}, 404, 'gone');
file_ok('a balancer deleted');

# the old group written by hand kept its derived id through every rewrite
$r = $api->('GET', $TG);
is_deeply([map { $_->{name} } @{ $r->{json}{target_groups} }],
          ['pipelined-tg'], 'the group written by hand is still there');
like(file_bytes($file), qr/\Q$r->{json}{target_groups}[0]{id}\E/,
     'its derived id is written into the file');
ok(-e "$file.bak", 'the previous file is kept as .bak');

done_testing();
