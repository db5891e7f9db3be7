#!/usr/bin/perl
# weir: a rename through the admin API keeps the id (issue 11 item 5), and
# with it what weir keys on the ids: the targets' health (no target goes
# back to unchecked or down) and the sticky bindings (a client with a
# WEIRSTICKY cookie stays on its target); the file carries the new name
# and the same id.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect http_request);
use WeirAdmin qw(admin_weir admin_client weir_t file_bytes);

my $TOKEN = 'weir-rename-token-2b61';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my @b = map { start_http_backend(name => "B$_") } 1 .. 2;
my $lp = free_port();

$w->write_config(<<"EOF");
worker_processes: 2
$admin
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $lp, target_group: sticky-tg }
    target_groups:
      - name: sticky-tg
        protocol: HTTP
        session_persistence: { type: HTTP_COOKIE, persistence_timeout: 600 }
        health_monitor: { type: HTTP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { name: s-1, address: 127.0.0.1, protocol_port: $b[0]{port} }
          - { name: s-2, address: 127.0.0.1, protocol_port: $b[1]{port} }
EOF

ok($w->start($lp, $ap), 'weir started') or BAIL_OUT($w->log_text);

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $TG = "$L/target-groups";
my $tg = $api->('GET', $TG)->{json}{target_groups}[0]{id};

sub statuses {
    my $ms = $api->('GET', "$TG/$tg/members")->{json}{members} // [];
    return join ',', map { $_->{operating_status} } @$ms;
}

ok(wait_for(sub { statuses() eq 'ONLINE,ONLINE' }, 15),
   'both members ONLINE');

# one request with an optional cookie: (target, Set-Cookie)
sub req {
    my ($cookie) = @_;
    my $s = http_connect($lp) or return ('', '');
    my $r = http_request($s, 'GET', '/',
                         headers => [Connection => 'close',
                                     $cookie ? (Cookie => $cookie) : ()]);
    close $s;
    return ('', '') unless $r && $r->{status} == 200;
    return ($r->{headers}{'x-backend'} // '', $r->{headers}{'set-cookie'} // '');
}

# one binding per target
my %cookie;
for (1 .. 20) {
    my ($who, $set) = req();
    my ($v) = $set =~ /^WEIRSTICKY=([0-9a-f]+)/;
    $cookie{$who} //= "WEIRSTICKY=$v" if $who && $v;
    last if keys %cookie == 2;
}
is(scalar keys %cookie, 2, 'a sticky cookie for each target');

my $up_before = () = $w->log_text =~ /is UP/g;

my $r = $api->('PUT', "$TG/$tg", { target_group => { name => 'renamed-tg' } });
is($r->{status}, 200, 'rename: 200');
is($r->{json}{target_group}{id}, $tg, 'the id is kept');
is(statuses(), 'ONLINE,ONLINE', 'the members stay ONLINE right after it');
ok(wait_for(sub {
    ($api->('GET', "$TG/$tg")->{json}{target_group}{provisioning_status}
        // '') eq 'ACTIVE' }, 15), 'the rename is applied');
is(statuses(), 'ONLINE,ONLINE', 'and once applied');
my $up_after = () = $w->log_text =~ /is UP/g;
is($up_after, $up_before, 'no target had to come UP again');

for my $who (sort keys %cookie) {
    my %seen;
    $seen{(req($cookie{$who}))[0]}++ for 1 .. 10;
    is_deeply(\%seen, { $who => 10 },
              "the cookie bound to $who still reaches it after the rename");
}

like(file_bytes("$dir/weir.yaml"), qr/name: renamed-tg/, 'the file has the new name');
like(file_bytes("$dir/weir.yaml"), qr/\Q$tg\E/, 'and the id');
my ($rc, $out) = weir_t($dir, "$dir/weir.yaml");
is($rc, 0, 'the file passes weir -t') or diag($out);

done_testing();
