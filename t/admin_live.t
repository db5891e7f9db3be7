#!/usr/bin/perl
# weir: changes through the admin API go live (issue 11, acceptance):
# a target group created with two members and an HTTP monitor in one
# request serves both with the master's and the workers' pids unchanged;
# a third member and weights 64:64:128 split 4000 requests within 3
# points, with the weight_ratio of SPEC.md section 4; a member detached
# while a 20 MB download runs through it lets the download finish and
# gets no new request; a client loop sees no failure while 100 changes
# (weights, members added and removed, algorithm, monitor) are applied.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use POSIX ();
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect http_request);
use WeirAdmin qw(admin_weir admin_client weir_t);

my $TOKEN = 'weir-live-token-41c7';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);

my @b = map { start_http_backend(name => "B$_") } 1 .. 4;
my $lp = free_port();

$w->write_config(<<"EOF");
worker_processes: 2
shutdown_timeout: 10000
$admin
load_balancers:
  - name: live-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $lp }
EOF

ok($w->start($lp, $ap), 'weir started') or BAIL_OUT($w->log_text);
my $master = $w->pid;
# the master's sockets accept before its workers have their titles: wait
ok(wait_for(sub { scalar($w->workers) == 2 }, 10), 'two workers');
my @workers = $w->workers;

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $TG = "$L/target-groups";

sub settled {
    my ($path) = @_;
    return wait_for(sub {
        my $x = $api->('GET', $path);
        my ($obj) = values %{ $x->{json} // {} };
        return ref $obj eq 'HASH'
               && ($obj->{provisioning_status} // '') eq 'ACTIVE';
    }, 15);
}

my $lb_id = $api->('GET', $L)->{json}{load_balancers}[0]{id};
my $listener_id = $api->('GET', "$L/listeners")->{json}{listeners}[0]{id};

my $r = $api->('POST', $TG, { target_group => {
    load_balancer_id => $lb_id, name => 'live-tg', protocol => 'HTTP',
    members => [
        { name => 'm-1', address => '127.0.0.1', protocol_port => 0 + $b[0]{port} },
        { name => 'm-2', address => '127.0.0.1', protocol_port => 0 + $b[1]{port} },
    ],
    health_monitor => { type => 'HTTP', delay => 2, timeout => 1,
                        max_retries => 1, max_retries_down => 1,
                        url_path => '/' },
} });
is($r->{status}, 201, 'a group with two members and an HTTP monitor: 201')
    or diag(explain($r));
my $tg_id = $r->{json}{target_group}{id};
ok(settled("$TG/$tg_id"), 'ACTIVE');

$r = $api->('PUT', "$L/listeners/$listener_id",
            { listener => { target_group_id => $tg_id } });
is($r->{status}, 200, 'the listener is connected to it') or diag(explain($r));
ok(settled("$L/listeners/$listener_id"), 'ACTIVE');

# every member ONLINE (the monitor passed)
sub online {
    my ($n) = @_;
    return wait_for(sub {
        my $m = $api->('GET', "$TG/$tg_id/members")->{json}{members} // [];
        return @$m == $n
               && !grep { ($_->{operating_status} // '') ne 'ONLINE' } @$m;
    }, 15);
}
ok(online(2), 'both members ONLINE');

sub spread {
    my ($count) = @_;
    my %seen;
    my $c;
    for (1 .. $count) {
        $c //= http_connect($lp);
        my $x = $c && http_request($c, 'GET', '/');
        if (!$x) { $c = http_connect($lp); $x = $c && http_request($c, 'GET', '/'); }
        my $name = $x ? $x->{body} : "FAIL\n";
        chomp $name;
        $seen{$name}++;
    }
    return \%seen;
}

my $s = spread(40);
is_deeply([sort keys %$s], [qw(B1 B2)], 'traffic reaches both members');
is($w->pid, $master, 'the master is the same process');
is_deeply([$w->workers], \@workers, 'the workers are the same processes');

# --- a third member and weights 64:64:128 ---
$r = $api->('POST', "$TG/$tg_id/members", { member => {
    name => 'm-3', address => '127.0.0.1', protocol_port => 0 + $b[2]{port} } });
is($r->{status}, 201, 'a third member') or diag(explain($r));
ok(settled("$TG/$tg_id"), 'ACTIVE');
my %mid = map { $_->{name} => $_->{id} }
          @{ $api->('GET', "$TG/$tg_id/members")->{json}{members} };
my %weight = ('m-1' => 64, 'm-2' => 64, 'm-3' => 128);
for my $n (sort keys %weight) {
    ok(settled("$TG/$tg_id"), "no change pending before $n");
    $r = $api->('PUT', "$TG/$tg_id/members/$mid{$n}",
                { member => { weight => $weight{$n} } });
    is($r->{status}, 200, "weight of $n: $weight{$n}") or diag(explain($r));
}
ok(settled("$TG/$tg_id"), 'ACTIVE');
ok(online(3), 'three members ONLINE');
my %ratio = map { $_->{name} => $_->{weight_ratio} }
            @{ $api->('GET', "$TG/$tg_id/members")->{json}{members} };
# SPEC 4: converted 64 -> 25, 128 -> 50: 25 / 100, 25 / 100, 50 / 100
is_deeply(\%ratio, { 'm-1' => 25, 'm-2' => 25, 'm-3' => 50 },
          'weight_ratio 25 : 25 : 50') or diag(explain(\%ratio));
$s = spread(4000);
my %want = (B1 => 25, B2 => 25, B3 => 50);
for my $n (sort keys %want) {
    my $pct = 100 * ($s->{$n} // 0) / 4000;
    ok(abs($pct - $want{$n}) <= 3, sprintf("%s gets %.1f %% (want %d +- 3)",
                                           $n, $pct, $want{$n}));
}
is_deeply([$w->workers], \@workers, 'still the same workers');

# --- detach a member while a 20 MB download runs through it ---
my $dl = http_connect($lp);
my $first = '';
for (1 .. 20) {
    my $x = http_request($dl, 'GET', '/');
    $first = $x ? $x->{body} : '';
    last if $first eq "B3\n";
}
is($first, "B3\n", 'a keep-alive connection lands on m-3');
my $size = 20 * 1024 * 1024;
syswrite($dl, "GET /length?$size HTTP/1.1\r\nHost: x\r\n\r\n");
# read a little, so the download is running when the member goes
my $got = 0;
my $sel = IO::Select->new($dl);
while ($got < 65536 && $sel->can_read(5)) {
    my $n = sysread($dl, my $buf, 65536);
    last unless $n;
    $got += $n;
}
ok($got > 0, 'the download started');
$r = $api->('DELETE', "$TG/$tg_id/members/$mid{'m-3'}");
like($r->{status}, qr/^20[024]$/, 'detach m-3 while it runs') or diag(explain($r));
ok(settled("$TG/$tg_id"), 'ACTIVE');
while ($got < $size && $sel->can_read(10)) {
    my $n = sysread($dl, my $buf, 1 << 20);
    last unless $n;
    $got += $n;
}
ok($got >= $size, "the download completed ($got bytes with the head)");
$s = spread(40);
is_deeply([sort keys %$s], [qw(B1 B2)], 'new requests avoid the detached member');

# --- 100 changes while a client loop runs ---
my $pid = fork // die;
if ($pid == 0) {
    my ($n, $fail) = (0, 0);
    my $c;
    while (!-e "$dir/stop" && $n < 100000) {
        $n++;
        $c //= http_connect($lp);
        my $x = $c && http_request($c, 'GET', '/');
        if (!$x) {
            # a keep-alive connection may be closed between requests
            $c = http_connect($lp);
            $x = $c && http_request($c, 'GET', '/');
        }
        $fail++ unless $x && $x->{status} == 200;
        undef $c unless $x;
    }
    open(my $fh, '>', "$dir/loop"); print $fh "$n $fail\n"; close $fh;
    POSIX::_exit(0);
}

my ($changes, $refused) = (0, 0);
my @extra = ($b[2]{port}, $b[3]{port});
my $extra_id;
for my $i (1 .. 100) {
    settled("$TG/$tg_id");
    my $k = $i % 5;
    if ($k == 0) {
        $r = $api->('PUT', "$TG/$tg_id/members/$mid{'m-1'}",
                    { member => { weight => 1 + ($i % 200) } });
    } elsif ($k == 1) {
        if ($extra_id) {
            $r = $api->('DELETE', "$TG/$tg_id/members/$extra_id");
            undef $extra_id;
        } else {
            $r = $api->('POST', "$TG/$tg_id/members", { member => {
                address => '127.0.0.1', protocol_port => 0 + $extra[$i % 2] } });
            $extra_id = $r->{json}{member}{id} if $r && $r->{status} == 201;
        }
    } elsif ($k == 2) {
        $r = $api->('PUT', "$TG/$tg_id", { target_group => {
            load_balancer_algorithm => $i % 2 ? 'LEAST_CONNECTIONS' : 'ROUND_ROBIN' } });
    } elsif ($k == 3) {
        my $hm = $api->('GET', "$TG/$tg_id")->{json}{target_group}{health_monitor_id};
        $r = $api->('PUT', "$L/health-monitors/$hm", { health_monitor => {
            delay => 2 + ($i % 3), timeout => 1 } });
    } else {
        $r = $api->('PUT', "$TG/$tg_id/members/$mid{'m-2'}",
                    { member => { weight => 256 - ($i % 100) } });
    }
    if ($r && $r->{status} =~ /^20[0-4]$/) { $changes++ } else {
        $refused++;
        diag("change $i: " . ($r ? "$r->{status} $r->{body}" : 'no answer'));
    }
}
is($changes, 100, '100 changes accepted');
ok(settled("$TG/$tg_id"), 'the last one ACTIVE');
open(my $fh, '>', "$dir/stop"); close $fh;
waitpid($pid, 0);
open($fh, '<', "$dir/loop") or die;
my ($n, $fail) = split ' ', <$fh>;
cmp_ok($n, '>=', 100, "the client loop made $n requests");
is($fail, 0, 'none failed while 100 changes were applied');
is($w->pid, $master, 'the master is the same process');
is_deeply([$w->workers], \@workers, 'the workers are the same processes');
my ($rc, $out) = weir_t($dir, "$dir/weir.yaml");
is($rc, 0, 'the file passes weir -t') or diag($out);
unlike($w->log_text, qr/\[(alert|emerg)\]/, 'no alert in the log');

$w->stop('QUIT');
done_testing();
