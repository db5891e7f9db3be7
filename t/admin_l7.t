#!/usr/bin/perl
# weir: L7 policies through the admin API (SPEC.md sections 10 and 11):
# policies and rules created, read, changed and deleted with the
# provider's paths; positions renumbered as Octavia does; every change
# applied live (no reload: the same workers) and seen by the next
# request; a group a policy redirects to cannot be deleted (409) until the
# policy goes; invalid policies and rules refused with the messages of
# `weir -t`; the file passes `weir -t` after every change.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect http_request);
use WeirAdmin qw(admin_weir admin_client weir_t file_bytes);

my $TOKEN = 'weir-l7-token-51c2';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my %b = map { $_ => start_http_backend(name => $_) } qw(DEF A B);
my $lp = free_port();
my $tp = free_port();

$w->write_config(<<"EOF");
worker_processes: 1
$admin
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $lp, target_group: tg-def }
    target_groups:
      - name: tg-def
        protocol: HTTP
        members: [ { address: 127.0.0.1, protocol_port: $b{DEF}{port} } ]
      - name: tg-a
        protocol: HTTP
        members: [ { address: 127.0.0.1, protocol_port: $b{A}{port} } ]
      - name: tg-b
        protocol: HTTP
        members: [ { address: 127.0.0.1, protocol_port: $b{B}{port} } ]
      - name: tg-tls
        protocol: HTTPS
  - name: other-lb
    type: ALB
    address: 127.0.0.2
    target_groups:
      - { name: tg-other, protocol: HTTP }
  - name: net-lb
    type: NLB
    address: 127.0.0.3
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: $tp }
EOF

ok($w->start($lp, $ap), 'weir started') or BAIL_OUT($w->log_text);

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $P = "$L/l7policies";
my $file = "$dir/weir.yaml";
my $lb_id;
my @workers = sort $w->workers;

# a change, then wait until the master applied it (the balancer is ACTIVE
# again: until then another change of it answers 409)
sub change {
    my $r = $api->(@_);
    wait_for(sub {
        my $x = $api->('GET', "$L/$lb_id");
        return ($x->{json}{load_balancer}{provisioning_status} // '')
               eq 'ACTIVE';
    }, 15);
    return $r;
}

sub file_ok {
    my ($what) = @_;
    my ($rc, $out) = weir_t($dir, $file);
    is($rc, 0, "the file passes weir -t after $what") or diag($out);
}

# the backend a request for $path reaches
sub backend {
    my ($path, @h) = @_;
    my $s = http_connect($lp) or return '-';
    my $r = http_request($s, 'GET', $path, headers => [@h]);
    close $s;
    return '-' unless $r;
    return $r->{status} == 200 ? $r->{headers}{'x-backend'} // '-'
                               : $r->{status};
}

# wait until $path reaches $want (the change is applied)
sub reaches {
    my ($path, $want, $what) = @_;
    my $got;
    wait_for(sub { ($got = backend($path)) eq $want }, 15);
    is($got, $want, $what);
}

my ($lb) = grep { $_->{name} eq 'web-lb' }
    @{ $api->('GET', $L)->{json}{load_balancers} };
$lb_id = $lb->{id};
my $listener_id = $api->('GET', "$L/listeners")->{json}{listeners}[0]{id};
my %tg = map { $_->{name} => $_->{id} }
    @{ $api->('GET', "$L/target-groups")->{json}{target_groups} };

is(backend('/api/x'), 'DEF', 'before any policy: the default group');

# --- create ---

my $r = change('POST', $P, { l7policy => {
    listener_id => $listener_id, name => 'to-a', action => 'REDIRECT_TO_POOL',
    redirect_target_group_id => $tg{'tg-a'},
    rules => [ { type => 'PATH', compare_type => 'STARTS_WITH',
                 value => '/api' } ] } });
is($r->{status}, 201, 'POST a policy with a rule: 201') or diag(explain($r));
my $pa = $r->{json}{l7policy};
is($pa->{position}, 1, 'position 1');
is($pa->{redirect_target_group_id}, $tg{'tg-a'}, 'its group by id');
is(scalar @{ $pa->{rules} }, 1, 'one rule');
file_ok('the create');
reaches('/api/x', 'A', 'applied: /api goes to tg-a');

$r = change('POST', $P, { l7policy => {
    listener_id => $listener_id, name => 'to-b', action => 'REDIRECT_TO_POOL',
    redirect_target_group_id => $tg{'tg-b'} } });
is($r->{status}, 201, 'POST a policy without rules: 201');
my $pb = $r->{json}{l7policy};
is($pb->{position}, 2, 'appended: position 2');
is($pb->{operating_status}, 'OFFLINE', 'no rules: it never applies');

$r = change('POST', "$P/$pb->{id}/rules", { rule => {
    type => 'PATH', compare_type => 'REGEX', value => '^/api/v[0-9]+/' } });
is($r->{status}, 201, 'POST a rule: 201') or diag(explain($r));
my $rb = $r->{json}{rule};
is($rb->{compare_type}, 'REGEX', 'a regex rule');
file_ok('the rule');

# to-a (1) still wins for /api/v1/x
is(backend('/api/v1/x'), 'A', 'position 1 acts first');

# --- reorder live ---

$r = change('PUT', "$P/$pb->{id}", { l7policy => { position => 1 } });
is($r->{status}, 200, 'PUT position 1: 200') or diag(explain($r));
is($r->{json}{l7policy}{position}, 1, 'to-b is first');
is($api->('GET', "$P/$pa->{id}")->{json}{l7policy}{position}, 2,
   'to-a moved to 2');
reaches('/api/v1/x', 'B', 'reordered live: /api/v1 goes to tg-b');
is(backend('/api/x'), 'A', 'and /api still to tg-a');
file_ok('the reorder');

my @list = map { "$_->{name}:$_->{position}" }
    @{ $api->('GET', $P)->{json}{l7policies} };
is_deeply(\@list, ['to-b:1', 'to-a:2'], 'GET l7policies in order');
@list = map { $_->{name} } @{ $api->('GET',
    "$L/$lb_id/listeners/$listener_id/l7policies")->{json}{l7policies} };
is_deeply(\@list, ['to-b', 'to-a'], 'GET the listener\'s l7policies');
is($api->('GET', "$L/$lb_id/listeners/$pa->{id}/l7policies")->{status}, 404,
   'an unknown listener: 404');
is_deeply([map { $_->{id} } @{ $api->('GET', "$L/listeners/$listener_id")
                               ->{json}{listener}{l7policies} }],
          [$pb->{id}, $pa->{id}], 'the listener lists its policies');

# a third policy inserted at 1: the others shift
$r = change('POST', $P, { l7policy => {
    listener_id => $listener_id, name => 'deny', action => 'REJECT',
    position => 1,
    rules => [ { type => 'HEADER', key => 'X-Block', compare_type => 'EQUAL_TO',
                 value => 'yes' } ] } });
is($r->{status}, 201, 'POST at position 1');
my $pd = $r->{json}{l7policy};
@list = map { "$_->{name}:$_->{position}" }
    @{ $api->('GET', $P)->{json}{l7policies} };
is_deeply(\@list, ['deny:1', 'to-b:2', 'to-a:3'], 'the others shifted');
my $got;
wait_for(sub {
    my $s = http_connect($lp) or return 0;
    my $x = http_request($s, 'GET', '/api/x', headers => ['X-Block', 'yes']);
    $got = $x ? $x->{status} : '-';
    return $got eq '403';
}, 15);
is($got, '403', 'REJECT applied live: 403');

# --- rules: change, read, delete ---

$r = change('PUT', "$P/$pb->{id}/rules/$rb->{id}", { rule => {
    value => '^/api/v2/' } });
is($r->{status}, 200, 'PUT a rule: 200') or diag(explain($r));
reaches('/api/v1/x', 'A', 'the changed rule applies live');
is($api->('GET', "$P/$pb->{id}/rules/$rb->{id}")->{json}{rule}{value},
   '^/api/v2/', 'GET the rule');
is(scalar @{ $api->('GET', "$P/$pb->{id}/rules")->{json}{rules} }, 1,
   'GET the rules');

# --- a group used by a policy is not deletable ---

$r = change('DELETE', "$L/target-groups/$tg{'tg-b'}");
is($r->{status}, 409, 'DELETE a group a policy redirects to: 409');
like($r->{json}{error}{message} // '', qr/\Q$pb->{id}\E/,
     'naming the policy');

$r = change('DELETE', "$P/$pb->{id}/rules/$rb->{id}");
is($r->{status}, 204, 'DELETE the rule: 204');
$r = change('DELETE', "$P/$pb->{id}");
is($r->{status}, 204, 'DELETE the policy: 204');
@list = map { "$_->{name}:$_->{position}" }
    @{ $api->('GET', $P)->{json}{l7policies} };
is_deeply(\@list, ['deny:1', 'to-a:2'], 'the others close ranks');
is($api->('GET', "$P/$pb->{id}")->{status}, 404, 'gone');

$r = change('DELETE', "$L/target-groups/$tg{'tg-b'}");
is($r->{status}, 204, 'then the group can go');
file_ok('the deletes');

# a renamed group keeps its policies
$r = change('PUT', "$L/target-groups/$tg{'tg-a'}",
            { target_group => { name => 'tg-api' } });
is($r->{status}, 200, 'rename the group of a policy');
is($api->('GET', "$P/$pa->{id}")->{json}{l7policy}{redirect_target_group_id},
   $tg{'tg-a'}, 'the policy follows');
like(file_bytes($file), qr/redirect_target_group: tg-api/,
     'the file names the new name');
file_ok('the rename');

# every L7 change, the group delete and rename included, went to the
# running workers: no reload
is_deeply([sort $w->workers], \@workers, 'no reload: the same workers');

# a listener PUT keeps the policies (this one reloads: its timeout is not
# a live field)
$r = change('PUT', "$L/listeners/$listener_id",
            { listener => { timeout_client_data => 60000 } });
is($r->{status}, 200, 'PUT the listener');
is(scalar @{ $api->('GET', $P)->{json}{l7policies} }, 2,
   'its policies stay');

# --- "test a request": the data path's matcher, through the API ---

my $T = "$L/listeners/$listener_id/l7policies/test";
$r = $api->('GET', "$T?path=%2Fapi%2Fx%3Fq%3D1&host=www.example.com");
is($r->{status}, 200, 'test a request: 200') or diag(explain($r));
is(join(' ', map { $_ // '-' } @{ $r->{json}{result} }{qw(action
   target_group_id)}, $r->{json}{result}{l7policy}{name}),
   "REDIRECT_TO_POOL $tg{'tg-a'} to-a", '/api/x meets to-a');
$r = $api->('GET', "$T?path=/api/x&header=X-Block:yes");
is(join(' ', map { $_ // '-' } @{ $r->{json}{result} }{qw(action status)}),
   'REJECT 403', 'with X-Block: yes it meets deny');
$r = $api->('GET', "$T?path=/other&cookie=a=1");
is(join(' ', map { $_ // '-' } @{ $r->{json}{result} }{qw(action
   target_group_id)}), "DEFAULT $tg{'tg-def'}", 'another path: the default');
is($api->('GET', "$T?path=%2Fa%20b")->{status}, 400,
   'a request the parser refuses: 400');
is($api->('GET', "$T?verb=GET")->{status}, 400, 'an unknown parameter: 400');

# --- refused, with the messages of weir -t ---

sub refused {
    my ($name, $method, $path, $body, $status, $field, $msg) = @_;
    my $x = $method eq 'GET' ? $api->($method, $path, $body)
                             : change($method, $path, $body);
    my $e = $x && $x->{json} && $x->{json}{error};
    is($x && $x->{status}, $status, "$name: $status");
    is($e && $e->{field}, $field, "$name: field " . ($field // 'null'));
    if (ref $msg) {
        like($e && $e->{message}, $msg, "$name: message");
    } else {
        is($e && $e->{message}, $msg, "$name: message");
    }
}

my $new = { listener_id => $listener_id, name => 'bad',
            action => 'REJECT' };

refused('bad regex', 'POST', $P, { l7policy => { %$new, rules => [
    { type => 'PATH', compare_type => 'REGEX', value => '^/a(' } ] } },
    400, 'l7policy.rules[0].value',
    'invalid regular expression at offset 4: missing closing parenthesis');

refused('FILE_TYPE with CONTAINS', 'POST', "$P/$pa->{id}/rules",
    { rule => { type => 'FILE_TYPE', compare_type => 'CONTAINS',
                value => 'php' } },
    400, 'rule.compare_type',
    'CONTAINS is not allowed for FILE_TYPE rules; allowed: REGEX, EQUAL_TO');

refused('HEADER without key', 'POST', "$P/$pa->{id}/rules",
    { rule => { type => 'HEADER', compare_type => 'EQUAL_TO',
                value => 'x' } },
    400, 'rule.key', 'missing; required (type is HEADER)');

refused('value with CR', 'POST', "$P/$pa->{id}/rules",
    { rule => { type => 'PATH', compare_type => 'EQUAL_TO',
                value => "/a\rb" } },
    400, 'rule.value',
    '"/a\x0db" has CR at position 3; allowed: 1..255 characters without '
    . 'CR or LF');

refused('51 rules', 'POST', $P, { l7policy => { %$new, rules => [
    map { { type => 'PATH', compare_type => 'EQUAL_TO', value => "/$_" } }
        1 .. 51 ] } },
    400, 'l7policy.rules', '51 rules; allowed: at most 50 rules per policy');

refused('group of another balancer', 'POST', $P, { l7policy => {
    %$new, action => 'REDIRECT_TO_POOL',
    redirect_target_group_id => $tg{'tg-other'} } },
    400, 'l7policy.redirect_target_group_id',
    qr/belongs to another load balancer/);

refused('group of a protocol the listener cannot use', 'POST', $P,
    { l7policy => { %$new, action => 'REDIRECT_TO_POOL',
                    redirect_target_group_id => $tg{'tg-tls'} } },
    400, 'l7policy.redirect_target_group',
    'target group "tg-tls" is HTTPS, which HTTP listeners cannot use; '
    . 'allowed: HTTP, PROXY target groups');

refused('bad redirect code', 'POST', $P, { l7policy => {
    %$new, action => 'REDIRECT_TO_URL', redirect_url => 'https://x/',
    redirect_http_code => 304 } },
    400, 'l7policy.redirect_http_code',
    '304 is not a redirect code; allowed: 301, 302, 303, 307, 308');

my ($tcp) = grep { $_->{protocol} eq 'TCP' }
    @{ $api->('GET', "$L/listeners")->{json}{listeners} };
refused('a TCP listener', 'POST', $P, { l7policy => {
    %$new, listener_id => $tcp->{id} } },
    400, 'l7policy.listener_id',
    "listener $tcp->{id} is TCP; L7 policies are only on HTTP and HTTPS "
    . 'listeners');

refused('REDIRECT_TO_POOL without a group', 'POST', $P, { l7policy => {
    %$new, action => 'REDIRECT_TO_POOL' } },
    400, 'l7policy.redirect_target_group_id',
    'missing; required (action is REDIRECT_TO_POOL)');

refused('unknown policy', 'GET', "$P/00000000-0000-4000-8000-000000000000",
    undef, 404, undef, qr/not found/);

# a rejected change changed nothing
@list = map { "$_->{name}:$_->{position}" }
    @{ $api->('GET', $P)->{json}{l7policies} };
is_deeply(\@list, ['deny:1', 'to-a:2'], 'nothing changed by the refusals');

# a redirect made through the API: tried, then met by a real request
$r = change('POST', $P, { l7policy => {
    listener_id => $listener_id, name => 'moved', action => 'REDIRECT_PREFIX',
    redirect_prefix => 'https://new.example', redirect_http_code => 307,
    rules => [ { type => 'PATH', compare_type => 'STARTS_WITH',
                 value => '/old' } ] } });
is($r->{status}, 201, 'POST a REDIRECT_PREFIX policy');
is($r->{json}{l7policy}{redirect_http_code}, 307, 'with its code');
$r = $api->('GET', "$T?path=%2Fold%2Fx%3Fy%3D1");
is(join(' ', map { $_ // '-' } @{ $r->{json}{result} }{qw(action status
   location)}), 'REDIRECT_PREFIX 307 https://new.example/old/x?y=1',
   'tried: 307 to the prefix with path and query');
wait_for(sub {
    my $s = http_connect($lp) or return 0;
    my $x = http_request($s, 'GET', '/old/x?y=1');
    $got = $x ? "$x->{status} " . ($x->{headers}{location} // '-') : '-';
    return $got =~ /^307/;
}, 15);
is($got, '307 https://new.example/old/x?y=1', 'and a real request gets it');

# --- metrics: requests matched per policy, match limit hits ---

sub metric {
    my ($re) = @_;
    my $m = $api->('GET', '/metrics');
    return undef unless $m && $m->{status} == 200;
    return $m->{body} =~ /^$re (\d+)$/m ? $1 : undef;
}

my $to_a = qr/weir_policy_matched_requests_total\{[^}]*l7policy="to-a"[^}]*\}/;
my $before = metric($to_a);
ok(defined $before, 'a matched counter for policy to-a') or
    diag($api->('GET', '/metrics')->{body});
backend('/api/x') for 1 .. 3;
is(metric($to_a), $before + 3, 'three more requests matched to-a');

$r = change('POST', $P, { l7policy => {
    listener_id => $listener_id, name => 'bomb', action => 'REJECT',
    rules => [ { type => 'HEADER', key => 'X-Bomb', compare_type => 'REGEX',
                 value => '^(a|aa)+$' } ] } });
is($r->{status}, 201, 'a policy with a catastrophic pattern');
my $limit = qr/weir_policy_regex_match_limit_total/;
my $hits = metric($limit) // 0;
my $bomb = ('a' x 60) . '!';
wait_for(sub {
    my $s = http_connect($lp) or return 0;
    my $x = http_request($s, 'GET', '/bomb', headers => ['X-Bomb', $bomb]);
    $got = $x ? ($x->{headers}{'x-backend'} // $x->{status}) : '-';
    return (metric($limit) // 0) > $hits;
}, 15);
is($got, 'DEF', 'the match limit: no match, the default group serves');
cmp_ok(metric($limit) // 0, '>', $hits, 'and it is counted');

unlike($w->log_text, qr/\[(alert|emerg)\]/, 'no alert in the log');

$w->stop;

done_testing();
