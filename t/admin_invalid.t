#!/usr/bin/perl
# weir: invalid changes through the admin API (SPEC.md sections 1-10,
# issue 11): each gets the right status (400, 404, 409, 411, 413) with the
# field and, for a rule of the file, the very message `weir -t` prints for
# the same value in the YAML file; and the configuration file is
# byte-identical afterwards: nothing is written for a refused change.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirAdmin qw(admin_weir admin_client weir_t file_bytes);

my $TOKEN = 'weir-invalid-token-31c9';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my ($lp, $mp) = (free_port(), free_port());

# the configuration, with parts replaced to ask weir -t for its messages
sub config {
    my (%o) = @_;
    my $hm = $o{hm} // '{ type: HTTP, delay: 5, timeout: 2 }';
    my $sp = $o{sp} // '';
    my $src_extra = $o{src_extra} // '';
    my $weight = $o{weight} // 1;
    my $ltg = $o{listener_tg} // 'web-tg';
    return <<"EOF";
worker_processes: 1
$admin
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $lp, target_group: $ltg }
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor: $hm
$sp        members:
          - { name: m-1, address: 127.0.0.1, protocol_port: $mp, weight: $weight }
      - name: src-tg
        protocol: HTTP
        load_balancer_algorithm: SOURCE_IP
$src_extra      - name: tls-tg
        protocol: HTTPS
EOF
}

# the message weir -t gives for a file like ours with one thing changed:
# (path, message) of its first problem
sub weir_t_says {
    my ($yaml) = @_;
    open(my $fh, '>', "$dir/probe.yaml") or die $!;
    print $fh "daemon: false\nerror_log: logs/probe.log\npid_file: logs/probe.pid\n",
              $yaml;
    close $fh;
    my ($rc, $out) = weir_t($dir, "$dir/probe.yaml");
    my ($path, $msg) = $out =~ /probe\.yaml:\d+:\d+: (\S+): (.*)$/m;
    return ($path // '', $msg // "(no message: $out)");
}

$w->write_config(config());
ok($w->start($lp, $ap), 'weir started') or BAIL_OUT($w->log_text);

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $TG = "$L/target-groups";
my $file = "$dir/weir.yaml";

my %tg = map { $_->{name} => $_ } @{ $api->('GET', $TG)->{json}{target_groups} };
my $web = $tg{'web-tg'}{id};
my $src = $tg{'src-tg'}{id};
my $tls = $tg{'tls-tg'}{id};
my $hm = $tg{'web-tg'}{health_monitor_id};
my $m1 = $api->('GET', "$TG/$web/members")->{json}{members}[0]{id};
my $lid = $api->('GET', "$L/listeners")->{json}{listeners}[0]{id};
my $lb = $api->('GET', $L)->{json}{load_balancers}[0]{id};
ok($web && $src && $tls && $hm && $m1 && $lid && $lb, 'ids of every object');

my $before = file_bytes($file);
my $n = 0;

# one invalid change: status, field (undef: none), message (a string: the
# exact text; a regexp: a match)
sub refused {
    my ($name, $method, $path, $body, $status, $field, $msg, %o) = @_;
    $n++;
    my $r = $api->($method, $path, $body, %o);
    subtest $name => sub {
        ok($r, 'answered') or return;
        is($r->{status}, $status, "status $status");
        my $e = $r->{json} && $r->{json}{error};
        ok($e, 'a JSON error') or return diag($r->{body});
        note(($e->{field} // '-') . ": $e->{message}");
        is($e->{code}, $status, 'code in the body');
        is($e->{field}, $field, 'field ' . ($field // 'null'))
            if $status == 400;
        if (ref $msg) {
            like($e->{message}, $msg, 'message');
        } elsif (defined $msg) {
            is($e->{message}, $msg, 'message as weir -t gives it');
        }
    };
}

# --- the rules of the file, with the message of weir -t ---

my ($p, $m);

($p, $m) = weir_t_says(config(hm => '{ type: HTTP, delay: 5, timeout: 10 }'));
like($p, qr/health_monitor\.timeout$/, 'weir -t names health_monitor.timeout');
refused('timeout >= delay', 'PUT', "$L/health-monitors/$hm",
        { health_monitor => { timeout => 10 } },
        400, 'health_monitor.timeout', $m);

($p, $m) = weir_t_says(config(sp =>
    "        session_persistence: { type: APP_COOKIE, cookie_name: \"a\@b\" }\n"));
refused('cookie name with @', 'PUT', "$TG/$web",
        { target_group => { session_persistence =>
            { type => 'APP_COOKIE', cookie_name => 'a@b' } } },
        400, 'target_group.session_persistence.cookie_name', $m);

($p, $m) = weir_t_says(config(weight => 257));
refused('weight 257', 'PUT', "$TG/$web/members/$m1",
        { member => { weight => 257 } }, 400, 'member.weight', $m);

($p, $m) = weir_t_says(config(src_extra =>
    "        session_persistence: { type: HTTP_COOKIE }\n"));
like($p, qr/session_persistence/, 'weir -t refuses sticky on SOURCE_IP');
refused('sticky on a SOURCE_IP group', 'PUT', "$TG/$src",
        { target_group => { session_persistence => { type => 'HTTP_COOKIE' } } },
        400, 'target_group.session_persistence', $m);

($p, $m) = weir_t_says(config(listener_tg => 'tls-tg'));
like($p, qr/listeners\[http-in\]\.target_group$/,
     'weir -t refuses an HTTPS group on an HTTP listener');
refused('HTTPS group on an HTTP listener', 'PUT', "$L/listeners/$lid",
        { listener => { target_group_id => $tls } },
        400, 'listener.target_group_id', $m);

refused('HTTPS group created for an HTTP listener', 'POST', $TG,
        { target_group => { name => 'new-tls-tg', protocol => 'HTTPS',
                            listener_id => $lid } },
        400, 'target_group.listener_id',
        'target group "new-tls-tg" is HTTPS, which HTTP listeners cannot '
        . 'use; allowed: HTTP, PROXY target groups');

($p, $m) = weir_t_says(config(src_extra =>
    "        health_monitor: { type: TCP }\n"));
refused('health check type not allowed for the group protocol', 'POST',
        "$L/health-monitors",
        { health_monitor => { target_group_id => $src, type => 'TCP' } },
        400, 'health_monitor.type', $m);

refused('member port change', 'PUT', "$TG/$web/members/$m1",
        { member => { protocol_port => $mp + 1 } }, 400,
        'member.protocol_port', qr/cannot be changed.*remove the member and add it again/);

refused('member address change', 'PUT', "$TG/$web/members/$m1",
        { member => { address => '127.0.0.2' } }, 400,
        'member.address', qr/remove the member and add it again/);

refused('duplicate target group name', 'POST', $TG,
        { target_group => { name => 'web-tg', protocol => 'HTTP' } },
        400, 'target_group.name',
        qr/^duplicate target group name "web-tg" \(first at \d+:\d+\); target group names are unique in a load balancer$/);

refused('duplicate member address:port', 'POST', "$TG/$web/members",
        { member => { address => '127.0.0.1', protocol_port => 0 + $mp } },
        400, 'member.address', qr/^duplicate member 127\.0\.0\.1:$mp/);

refused('name too short', 'PUT', "$TG/$web",
        { target_group => { name => 'ab' } }, 400, 'target_group.name',
        qr/\S/);

refused('unknown algorithm', 'PUT', "$TG/$web",
        { target_group => { load_balancer_algorithm => 'FASTEST' } }, 400,
        'target_group.load_balancer_algorithm',
        qr/"FASTEST" is not a valid value; allowed: ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP/);

refused('protocol of a group cannot change', 'PUT', "$TG/$web",
        { target_group => { protocol => 'TCP' } }, 400,
        'target_group.protocol', qr/cannot be changed/);

refused('alpn_protocols of a group cannot change', 'PUT', "$TG/$web",
        { target_group => { alpn_protocols => ['h2'] } }, 400,
        'target_group.alpn_protocols',
        'the alpn_protocols of a target group cannot be changed '
        . '([http/1.1]); create another target group');

refused('alpn_protocols with two values', 'POST', $TG,
        { target_group => { name => 'h2-tg', protocol => 'HTTP',
                            load_balancer_id => $lb,
                            alpn_protocols => ['h2', 'http/1.1'] } },
        400, 'target_group.alpn_protocols',
        '2 values given; allowed: a list of one of h2, http/1.1');

refused('alpn_protocols not a list', 'POST', $TG,
        { target_group => { name => 'h2-tg', protocol => 'HTTP',
                            load_balancer_id => $lb,
                            alpn_protocols => 'h2' } },
        400, 'target_group.alpn_protocols',
        'expected a list, found a single value; allowed: a list of one of '
        . 'h2, http/1.1');

refused('alpn_protocols with a number', 'POST', $TG,
        { target_group => { name => 'h2-tg', protocol => 'HTTP',
                            load_balancer_id => $lb,
                            alpn_protocols => [2] } },
        400, 'target_group.alpn_protocols',
        'expected a name, found 2; allowed: a list of one of h2, http/1.1');

refused('alpn_protocols on a TCP group', 'POST', $TG,
        { target_group => { name => 'h2-tg', protocol => 'TCP',
                            load_balancer_id => $lb,
                            alpn_protocols => ['h2'] } },
        400, 'target_group.alpn_protocols', qr/only in HTTP and HTTPS/);

refused('delay 0', 'PUT', "$L/health-monitors/$hm",
        { health_monitor => { delay => 0 } }, 400, 'health_monitor.delay',
        qr/allowed: 1\.\.3600/);

refused('url_path on a PING check', 'POST', "$L/health-monitors",
        { health_monitor => { target_group_id => $src, type => 'PING',
                              url_path => '/x' } },
        400, 'health_monitor.url_path', qr/only for HTTP/);

refused('bad expected_codes', 'PUT', "$L/health-monitors/$hm",
        { health_monitor => { expected_codes => 'abc' } }, 400,
        'health_monitor.expected_codes', qr/\S/);

refused('bad member address', 'POST', "$TG/$web/members",
        { member => { address => '999.1.1.1', protocol_port => 80 } }, 400,
        'member.address', qr/\S/);

refused('weight as a string', 'PUT', "$TG/$web/members/$m1",
        { member => { weight => '5' } }, 400, 'member.weight',
        qr/expected a number/);

refused('unknown field', 'PUT', "$TG/$web/members/$m1",
        { member => { colour => 'red' } }, 400, 'member.colour', qr/\S/);

refused('id in a create', 'POST', $TG,
        { target_group => { id => '11111111-1111-4111-8111-111111111111',
                            name => 'new-tg', protocol => 'HTTP' } },
        400, 'target_group.id', qr/given by weir/);

refused('a second health monitor', 'POST', "$L/health-monitors",
        { health_monitor => { target_group_id => $web, type => 'PING' } },
        409, undef, qr/has a health monitor already/);

refused('delete a balancer with children', 'DELETE', "$L/$lb", undef, 400,
        undef, qr/cascade=true/);

refused('health monitor type change', 'PUT', "$L/health-monitors/$hm",
        { health_monitor => { type => 'PING' } }, 400, 'health_monitor.type',
        qr/cannot be changed/);

# --- unknown ids ---

my $nil = '00000000-0000-4000-8000-000000000000';
refused('unknown target group', 'PUT', "$TG/$nil",
        { target_group => { name => 'abcd' } }, 404, undef,
        "target group $nil not found");
refused('unknown member', 'DELETE', "$TG/$web/members/$nil", undef, 404,
        undef, qr/member $nil not found/);
refused('unknown health monitor', 'DELETE', "$L/health-monitors/$nil",
        undef, 404, undef, qr/not found/);
refused('unknown target group for a listener', 'PUT', "$L/listeners/$lid",
        { listener => { target_group_id => $nil } }, 404, undef,
        qr/target group $nil not found/);
refused('unknown balancer', 'DELETE', "$L/$nil", undef, 404, undef,
        qr/not found/);

# --- bodies ---

refused('malformed JSON', 'PUT', "$TG/$web",
        '{"target_group": {name: "abcd"}}', 400, undef,
        qr/^syntax error at 1:\d+ \(byte \d+\): /);
refused('truncated JSON', 'PUT', "$TG/$web/members/$m1",
        '{"member": {"weight": 5', 400, undef,
        qr/the body ends before the JSON object is closed/);
refused('trailing comma', 'PUT', "$TG/$web/members/$m1",
        '{"member": {"weight": 5,}}', 400, undef,
        qr/a trailing comma is not JSON/);
refused('wrong wrapper', 'PUT', "$TG/$web/members/$m1",
        { target_group => { name => 'abcd' } }, 400, 'target_group',
        'unknown field "target_group"; allowed: member');
refused('not an object', 'POST', "$TG/$web/members", '[1, 2]', 400, undef,
        qr/\S/);
refused('nesting 10 000 deep', 'PUT', "$TG/$web",
        '{"target_group": ' . ('[' x 10000) . (']' x 10000) . '}', 400,
        undef, qr/nesting deeper than 32 levels/);
refused('a string with \\u0000', 'PUT', "$TG/$web",
        '{"target_group": {"name": "ab\u0000cd"}}', 400, 'target_group.name',
        qr/^"ab" contains a NUL character at byte 2; allowed: /);
refused('no body', 'POST', $TG, undef, 400, undef, qr/body .* required/);
refused('body over the size limit', 'POST', $TG,
        '{"target_group": {"name": "' . ('a' x 70000) . '"}}', 413, undef,
        qr/at most 65536/);
refused('chunked body', 'POST', $TG, "5\r\n{\"a\":\r\n0\r\n\r\n", 411,
        undef, qr/Content-Length/, no_length => 1,
        headers => ['Transfer-Encoding: chunked']);

{
    my $r = admin_client($ap, 'not-the-token')->('PUT', "$TG/$web",
        { target_group => { name => 'stolen-tg' } });
    is($r && $r->{status}, 401, 'a body without the token: 401');
    is($r && $r->{headers}{connection}, 'close',
       'the body is not read: the connection closes');
}

ok($n >= 25, "$n invalid changes");
is(file_bytes($file), $before, 'the file is byte-identical after all of them');
ok(!-e "$file.bak", 'and was never rewritten (no .bak)');

# --- a second change while one is pending: 409 ---
# The worker is stopped, so it cannot take up the first change (the
# master writes the file and publishes it): it stays PENDING_UPDATE and
# the next change to the balancer is refused.

my @stopped = $w->workers;
kill 'STOP', @stopped;
my $r = $api->('PUT', "$TG/$web/members/$m1", { member => { weight => 7 } });
is($r->{status}, 200, 'a first change is accepted while the worker is stopped');
is($r->{json}{member}{provisioning_status}, 'PENDING_UPDATE',
   'and is PENDING_UPDATE');
my $after_first = file_bytes($file);
refused('second change while pending', 'PUT', "$TG/$src",
        { target_group => { load_balancer_algorithm => 'ROUND_ROBIN' } },
        409, undef, qr/pending/);
is(file_bytes($file), $after_first, 'the refused change wrote nothing');
kill 'CONT', @stopped;
ok(wait_for(sub {
    ($api->('GET', "$TG/$web/members/$m1")->{json}{member}{provisioning_status}
        // '') eq 'ACTIVE' }, 15),
   'ACTIVE once the master runs again');
$r = $api->('PUT', "$TG/$src",
            { target_group => { load_balancer_algorithm => 'ROUND_ROBIN' } });
is($r->{status}, 200, 'then the second change is accepted');

# --- alpn_protocols: shown, given at creation, kept in the file ---

is_deeply($api->('GET', "$TG/$web")->{json}{target_group}{alpn_protocols},
          ['http/1.1'], 'alpn_protocols shown: [http/1.1] by default');
ok(wait_for(sub {
    ($api->('GET', "$TG/$src")->{json}{target_group}{provisioning_status}
        // '') eq 'ACTIVE' }, 15), 'the change before is ACTIVE');
$r = $api->('POST', $TG, { target_group => { name => 'h2-tg',
            protocol => 'HTTP', load_balancer_id => $lb,
            alpn_protocols => ['h2'] } });
is($r->{status}, 201, 'a group with alpn_protocols [h2] is created')
    or diag($r->{body});
is_deeply($r->{json}{target_group}{alpn_protocols}, ['h2'],
          'and shows [h2]');
ok(wait_for(sub { file_bytes($file) =~ /name: h2-tg\n(?:.*\n)*?\s+alpn_protocols: \[h2\]\n/ }, 10),
   'the file keeps alpn_protocols: [h2]');
my $h2 = $r->{json}{target_group}{id};
ok(wait_for(sub {
    ($api->('GET', "$TG/$h2")->{json}{target_group}{provisioning_status}
        // '') eq 'ACTIVE' }, 15), 'the h2 group is ACTIVE');
refused('alpn_protocols of an h2 group cannot change', 'PUT', "$TG/$h2",
        { target_group => { alpn_protocols => ['http/1.1'] } }, 400,
        'target_group.alpn_protocols',
        'the alpn_protocols of a target group cannot be changed ([h2]); '
        . 'create another target group');
$r = $api->('PUT', "$TG/$h2", { target_group => { name => 'h2-renamed' } });
is($r->{status}, 200, 'a rename of an h2 group keeps working');
is_deeply($r->{json}{target_group}{alpn_protocols}, ['h2'],
          'and keeps [h2]');

my ($rc, $out) = weir_t($dir, $file);
is($rc, 0, 'the file passes weir -t') or diag($out);

done_testing();
