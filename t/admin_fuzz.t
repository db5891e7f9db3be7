#!/usr/bin/perl
# weir: every write route of the admin API takes odd bodies without a
# crash or a 5xx: each route gets its own wrapper and a wrong one, each
# with one field of many names set to values of every JSON type (null,
# booleans, huge numbers, long strings, nested empties, non-ASCII); every
# answer is JSON, and the admin process is the same at the end.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirAdmin qw(admin_weir admin_client weir_t);

my $TOKEN = 'weir-fuzz-token-5e03';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my ($lp, $mp) = (free_port(), free_port());

$w->write_config(<<"EOF");
worker_processes: 1
$admin
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $lp, target_group: web-tg }
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor: { type: HTTP, delay: 5, timeout: 2 }
        members:
          - { name: m-1, address: 127.0.0.1, protocol_port: $mp }
EOF

ok($w->start($lp, $ap), 'weir started') or BAIL_OUT($w->log_text);

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $TG = "$L/target-groups";
my $tg = $api->('GET', $TG)->{json}{target_groups}[0];
my ($id, $hm) = ($tg->{id}, $tg->{health_monitor_id});
my $m = $api->('GET', "$TG/$id/members")->{json}{members}[0]{id};
my $lid = $api->('GET', "$L/listeners")->{json}{listeners}[0]{id};
my $lb = $api->('GET', $L)->{json}{load_balancers}[0]{id};
my @admin = $w->children(qr/admin/);

my @routes = (
    ['POST', $L, 'load_balancer'],
    ['PUT', "$L/$lb", 'load_balancer'],
    ['POST', "$L/listeners", 'listener'],
    ['PUT', "$L/listeners/$lid", 'listener'],
    ['POST', $TG, 'target_group'],
    ['PUT', "$TG/$id", 'target_group'],
    ['POST', "$TG/$id/members", 'member'],
    ['PUT', "$TG/$id/members", 'members'],
    ['PUT', "$TG/$id/members/$m", 'member'],
    ['POST', "$L/health-monitors", 'health_monitor'],
    ['PUT', "$L/health-monitors/$hm", 'health_monitor'],
);

my @keys = qw(name protocol load_balancer_id listener_id target_group_id
              members health_monitor session_persistence id type delay
              address protocol_port weight listeners target_groups
              target_group insert_headers);

my @values = ('null', 'true', '1', '-1', '1e999', '"x"', '[]', '{}',
              '[null]', '{"a":null}', '"\u00e9"', '"\ud83d\ude00"',
              '99999999999999999999', '"' . ('z' x 300) . '"', '[{}]',
              '[[]]', '{"name":null}');

my ($n, $bad) = (0, 0);
for my $r (@routes) {
    my ($method, $path, $own) = @$r;
    for my $wrapper ($own, $own eq 'member' ? 'listener' : 'member') {
        for my $k (@keys) {
            for my $v (@values) {
                my $body = $wrapper eq 'members'
                           ? "{\"members\": [{\"$k\": $v}]}"
                           : "{\"$wrapper\": {\"$k\": $v}}";
                my $x = $api->($method, $path, $body);
                $n++;
                if (!$x || $x->{status} >= 500 || !$x->{json}) {
                    $bad++;
                    diag("$method $path $body -> "
                         . ($x ? "$x->{status} $x->{body}" : 'no answer'));
                }
                # an accepted change settles before the next one
                if ($x && $x->{status} < 300) {
                    wait_for(sub {
                        my $y = $api->('GET', "$L/$lb/status");
                        return $y && $y->{body} !~ /PENDING_/;
                    }, 10);
                }
            }
        }
    }
}

is($bad, 0, "$n bodies: none crashed the admin process or got a 5xx");
is_deeply([$w->children(qr/admin/)], \@admin, 'the same admin process');
my ($rc, $out) = weir_t($dir, "$dir/weir.yaml");
is($rc, 0, 'the file passes weir -t') or diag($out);

done_testing();
