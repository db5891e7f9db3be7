#!/usr/bin/perl
# weir: PING health checks. Everything runs inside two network namespaces
# made here and joined by a veth pair (169.254.77.1/30 and .2, link-local,
# never routed off this machine): weir runs in one, the pinged target is
# the other. The target is UP while it answers, DOWN when its link goes
# down, UP again, and DOWN ("unreachable") when its namespace is deleted;
# loopback targets (IPv4 and IPv6) stay UP. Run twice: as root without
# ping sockets (a raw socket), and with net.ipv4.ping_group_range open (an
# unprivileged ping socket). Needs root and `ip netns`; always cleans up.
use strict;
use warnings;
use lib 't/lib';
use Cwd qw(abs_path);
use Test::More;
use Weir qw(free_port wait_for);

plan(skip_all => 'needs root (network namespaces, raw ICMP socket)')
    unless $> == 0;

my $nsa = "weirpa$$";
my $nsb = "weirpb$$";
my ($va, $vb) = ("wpa$$", "wpb$$");
my $made = 0;

sub run {
    my $cmd = join ' ', @_;
    return system("$cmd >/dev/null 2>&1") == 0;
}

plan(skip_all => '`ip netns` is not available here')
    unless run('ip', 'netns', 'add', $nsa);
$made = 1;
# an interrupted run cleans up too
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

END {
    local $?;       # system() here must not become the exit status
    if ($made) {
        run('ip', 'netns', 'del', $nsa);
        run('ip', 'netns', 'del', $nsb);
    }
}

my $ok = run('ip', 'netns', 'add', $nsb)
    && run('ip', 'link', 'add', $va, 'type', 'veth', 'peer', 'name', $vb)
    && run('ip', 'link', 'set', $va, 'netns', $nsa)
    && run('ip', 'link', 'set', $vb, 'netns', $nsb)
    && run('ip', 'netns', 'exec', $nsa, 'ip', 'addr', 'add',
           '169.254.77.1/30', 'dev', $va)
    && run('ip', 'netns', 'exec', $nsa, 'ip', 'link', 'set', $va, 'up')
    && run('ip', 'netns', 'exec', $nsa, 'ip', 'link', 'set', 'lo', 'up')
    && run('ip', 'netns', 'exec', $nsb, 'ip', 'addr', 'add',
           '169.254.77.2/30', 'dev', $vb)
    && run('ip', 'netns', 'exec', $nsb, 'ip', 'link', 'set', $vb, 'up')
    && run('ip', 'netns', 'exec', $nsb, 'ip', 'link', 'set', 'lo', 'up');
if (!$ok) {
    run('ip', 'link', 'del', $va);
    plan(skip_all => 'cannot make a veth pair between namespaces here');
}

# weir runs inside $nsa: a wrapper keeps the pid (ip netns exec execs)
my $bin = abs_path(Weir::binary()) or die "no weir binary\n";
my $wrap = "/tmp/weir-ping-$$.sh";
open(my $fh, '>', $wrap) or die "$wrap: $!";
print $fh "#!/bin/sh\nexec ip netns exec $nsa '$bin' \"\$\@\"\n";
close $fh;
chmod 0755, $wrap;
END { unlink $wrap if $wrap; }
$ENV{WEIR_BINARY} = $wrap;

my $port = free_port();

sub config {
    return <<"EOF";
worker_processes: 1
load_balancers:
  - name: ping-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: in, protocol: TCP, protocol_port: $port, target_group: ping-tg }
    target_groups:
      - name: ping-tg
        protocol: TCP
        health_monitor: { type: PING, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { name: far, address: 169.254.77.2, protocol_port: 80 }
          - { name: lo4, address: 127.0.0.1, protocol_port: 80 }
          - { name: lo6, address: "::1", protocol_port: 80 }
EOF
}

my $far = 'target 169\.254\.77\.2:80 of group ping-tg is';
my $lo4 = 'target 127\.0\.0\.1:80 of group ping-tg is';
my $lo6 = 'target \[::1\]:80 of group ping-tg is';

sub count {
    my ($w, $re) = @_;
    my @m = $w->log_text =~ /$re/g;
    return scalar @m;
}

# --- 1: no ping sockets allowed in a new namespace: a raw socket ---
{
    my $w = Weir->new;
    $w->write_config(config());
    ok($w->start, 'weir started inside a namespace')
        or BAIL_OUT('weir did not start');

    ok($w->wait_log(qr/PING checks use a raw ICMP socket/, 5),
       'raw ICMP socket (ping sockets are not allowed)');
    ok($w->wait_log(qr/$far UP/, 5), 'the far target answers: UP');
    ok($w->wait_log(qr/$lo4 UP/, 5), '127.0.0.1 is UP');
    ok($w->wait_log(qr/$lo6 UP/, 5), '::1 is UP (ICMPv6)');

    ok(run('ip', 'netns', 'exec', $nsb, 'ip', 'link', 'set', $vb, 'down'),
       'the far link goes down');
    ok($w->wait_log(qr/$far DOWN: (no\ echo\ reply|unreachable) (?x)
                       \(1\ failure\ in\ a\ row\)/, 6),
       'the far target is DOWN');

    ok(run('ip', 'netns', 'exec', $nsb, 'ip', 'link', 'set', $vb, 'up'),
       'the far link comes back');
    ok(wait_for(sub { count($w, qr/$far UP/) == 2 }, 8),
       'the far target is UP again');

    ok(run('ip', 'netns', 'del', $nsb), 'the far namespace is deleted');
    ok($w->wait_log(qr/$far DOWN: unreachable/, 6),
       'the far target is DOWN: unreachable');

    is(count($w, qr/$lo4 DOWN|$lo6 DOWN/), 0, 'loopback targets stayed UP');
    $w->stop;
    unlike($w->log_text, qr/\[(alert|emerg|crit)\]/, 'no alerts');
}

# --- 2: ping sockets allowed: no raw socket needed ---
SKIP: {
    skip('cannot set net.ipv4.ping_group_range in the namespace', 6)
        unless run('ip', 'netns', 'exec', $nsa, 'sysctl', '-w',
                   'net.ipv4.ping_group_range="0 2147483647"');

    my $w = Weir->new;
    $w->write_config(config());
    ok($w->start, 'weir started again');
    ok($w->wait_log(qr/PING checks use a ping \(unprivileged\) ICMP socket/,
                    5), 'unprivileged ping socket');
    ok($w->wait_log(qr/ping \(unprivileged\) ICMPv6 socket/, 5),
       'unprivileged ICMPv6 ping socket');
    ok($w->wait_log(qr/$lo4 UP/, 5), '127.0.0.1 is UP');
    ok($w->wait_log(qr/$lo6 UP/, 5), '::1 is UP');
    ok($w->wait_log(qr/$far DOWN: unreachable/, 5),
       'a target without a route is DOWN: unreachable');
    $w->stop;
}

done_testing();
