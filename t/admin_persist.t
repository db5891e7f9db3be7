#!/usr/bin/perl
# weir: what the admin API changes is persisted (SPEC.md section 10, issue
# 11 item 6): after 50 changes weir is stopped and started again on the
# same file, and every GET answers the same JSON as before (ids included;
# statuses once settled); the file passes `weir -t`. A change whose write
# fails (the directory made immutable) answers 500 with the reason and
# changes neither the file nor what the API shows.
use strict;
use warnings;
use lib 't/lib';
use JSON::PP;
use Test::More;
use Weir qw(free_port wait_for);
use WeirAdmin qw(admin_weir admin_client weir_t file_bytes);

my $TOKEN = 'weir-persist-token-77ab';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my $lp = free_port();
my @ports = map { free_port() } 1 .. 12;   # members: nobody listens

$w->write_config(<<"EOF");
worker_processes: 1
$admin
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $lp, target_group: hand-tg }
    target_groups:
      - name: hand-tg
        protocol: HTTP
        members:
          - { name: h-1, address: 127.0.0.1, protocol_port: $ports[0] }
EOF

ok($w->start($lp, $ap), 'weir started') or BAIL_OUT($w->log_text);

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $TG = "$L/target-groups";
my $file = "$dir/weir.yaml";
my $changes = 0;

# one change; a 409 (the previous one still pending) is retried until the
# balancer settles
sub change {
    my ($method, $path, $body, $want) = @_;
    my $r;
    wait_for(sub {
        $r = $api->($method, $path, $body);
        return $r && $r->{status} != 409;
    }, 20);
    $changes++;
    is($r && $r->{status}, $want, "$method $path: $want")
        or diag($r ? $r->{body} : 'no answer');
    return $r && $r->{json};
}

my $lb = $api->('GET', $L)->{json}{load_balancers}[0]{id};
my $hand = $api->('GET', $TG)->{json}{target_groups}[0]{id};

# --- 50 changes ---

my (@groups, @members);
for my $i (1 .. 5) {
    my $j = change('POST', $TG, { target_group => {
        load_balancer_id => $lb, name => "grp-$i", protocol => 'HTTP',
        members => [ { name => "g$i-a", address => '127.0.0.1',
                       protocol_port => 0 + $ports[$i] } ] } }, 201);
    push @groups, $j->{target_group}{id};
}
for my $i (0 .. 4) {
    for my $k (1 .. 2) {
        my $j = change('POST', "$TG/$groups[$i]/members", { member => {
            name => "m$i-$k", address => '127.0.0.' . ($k + 1),
            protocol_port => 0 + $ports[$i + 1], weight => 10 * $k } }, 201);
        push @members, [$groups[$i], $j->{member}{id}];
    }
}
for my $i (0 .. 9) {
    my ($g, $m) = @{ $members[$i] };
    change('PUT', "$TG/$g/members/$m", { member => { weight => 100 + $i } },
           200);
}
for my $i (0 .. 4) {
    change('PUT', "$TG/$groups[$i]", { target_group => {
        name => "renamed-$i", load_balancer_algorithm => 'LEAST_CONNECTIONS' } },
        200);
}
my @hms;
for my $i (0 .. 4) {
    my $j = change('POST', "$L/health-monitors", { health_monitor => {
        target_group_id => $groups[$i], type => 'HTTP', delay => 10,
        timeout => 2 } }, 201);
    push @hms, $j->{health_monitor}{id};
}
for my $i (0 .. 4) {
    change('PUT', "$L/health-monitors/$hms[$i]", { health_monitor => {
        url_path => "/check-$i", expected_codes => '200-204' } }, 200);
}
for my $i (0 .. 4) {
    my ($g, $m) = @{ $members[2 * $i] };
    change('DELETE', "$TG/$g/members/$m", undef, 204);
}
change('PUT', "$TG/$hand", { target_group => { name => 'hand-renamed' } }, 200);
change('PUT', "$TG/$hand/members",
       { members => [ { name => 'h-1', address => '127.0.0.1',
                        protocol_port => 0 + $ports[0], weight => 3 },
                      { name => 'h-2', address => '127.0.0.1',
                        protocol_port => 0 + $ports[11] } ] }, 200);
change('DELETE', "$TG/$groups[4]", undef, 204);
change('PUT', "$L/$lb", { load_balancer => { availability_zone => 'zone-b' } },
       200);
my $lid = $api->('GET', "$L/listeners")->{json}{listeners}[0]{id};
change('PUT', "$L/listeners/$lid", { listener => { connection_limit => 100 } },
       200);
is($changes, 50, '50 changes made');

my ($rc, $out) = weir_t($dir, $file);
is($rc, 0, 'the file passes weir -t') or diag($out);

# every GET of the API, statuses left out (operating ones follow the
# checks; provisioning ones are compared once settled)
my @paths;
sub snapshot {
    my %s;
    ok(wait_for(sub {
        my $t = $api->('GET', "$L/$lb/status")->{json};
        my $all = JSON::PP->new->canonical->encode($t // {});
        return $t && $all !~ /PENDING_/;
    }, 20), 'every status settled');
    @paths = ($L, "$L/$lb", "$L/listeners", $TG, "$L/health-monitors");
    my $groups = $api->('GET', $TG)->{json}{target_groups};
    for my $g (@$groups) {
        push @paths, "$TG/$g->{id}", "$TG/$g->{id}/members";
        push @paths, "$TG/$g->{id}/members/$_->{id}" for @{ $g->{members} };
        push @paths, "$L/health-monitors/$g->{health_monitor_id}"
            if $g->{health_monitor_id};
    }
    for my $p (@paths) {
        my $r = $api->('GET', $p);
        $s{$p} = strip($r->{json});
        $s{$p}{status} = $r->{status};
    }
    return \%s;
}

sub strip {
    my ($x) = @_;
    if (ref $x eq 'HASH') {
        delete $x->{operating_status};
        strip($_) for values %$x;
    } elsif (ref $x eq 'ARRAY') {
        strip($_) for @$x;
    }
    return $x;
}

my $before = snapshot();
ok(scalar(keys %$before) > 25, scalar(keys %$before) . ' GETs recorded');
is($before->{"$TG/$groups[4]"}, undef, 'the deleted group is not listed');

# --- restart on the same file ---

$w->stop;
ok($w->start($lp, $ap), 'weir started again on the same file')
    or BAIL_OUT($w->log_text);
my $after = snapshot();
is_deeply($after, $before, 'every GET answers the same JSON after a restart');
($rc, $out) = weir_t($dir, $file);
is($rc, 0, 'the file still passes weir -t') or diag($out);

# --- a write that fails: nothing changes ---

SKIP: {
    system('chattr', '+i', $dir) == 0
        or skip('chattr +i does not work here', 6);

    my $bytes = file_bytes($file);
    my $r = $api->('PUT', "$TG/$hand", { target_group => { name => 'never-tg' } });
    system('chattr', '-i', $dir);

    is($r->{status}, 500, 'a change whose file cannot be written: 500');
    like($r->{json}{error}{message} // '',
         qr/could not be written, nothing was changed: .*(Operation not permitted|Read-only)/,
         'with the reason');
    is(file_bytes($file), $bytes, 'the file is unchanged');
    my @tmp = glob("$file.tmp*");
    is(scalar @tmp, 0, 'no temporary file is left');
    is($api->('GET', "$TG/$hand")->{json}{target_group}{name}, 'hand-renamed',
       'the API still shows the old state');
    $r = $api->('PUT', "$TG/$hand", { target_group => { name => 'again-tg' } });
    is($r->{status}, 200, 'once writable again, changes are accepted');
}

END { system('chattr', '-i', $dir) if $dir && -d $dir; }

done_testing();
