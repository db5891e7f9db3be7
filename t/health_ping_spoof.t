#!/usr/bin/perl
# weir: PING checks cannot be forged from off the path. Run in a network
# namespace of its own whose kernel answers no echo (icmp_echo_ignore_all),
# so the loopback target is DOWN ("no echo reply") and only forged
# packets could say otherwise. The forger knows what anyone can: the pids
# of weir's processes and when they started. The old checker used the pid
# as echo id and derived its cookie and first sequence number from pid
# and time, so forged echo replies made the dead target UP, and a "host
# unreachable" quoting only the 8-byte echo header was believed. Now id,
# sequence start and cookie key are random per checker, the cookie is a
# keyed hash per probe, and an unreachable must quote the cookie. Needs
# root (unshare -n, a raw socket to forge with).
use strict;
use warnings;
use lib 't/lib';
use Cwd qw(abs_path);
use Socket qw(PF_INET SOCK_RAW inet_aton pack_sockaddr_in);
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for);
use WeirHealth qw(checker_pid);

plan(skip_all => 'needs root (a network namespace, a raw ICMP socket)')
    unless $> == 0;

if (!$ENV{WEIR_PING_SPOOF_NS}) {
    $ENV{WEIR_PING_SPOOF_NS} = 1;
    $ENV{WEIR_BINARY} = abs_path(Weir::binary());
    exec('unshare', '-n', '--', $^X, abs_path($0))
        or plan(skip_all => "unshare -n: $!");
}

system('ip link set lo up') == 0 or BAIL_OUT('lo cannot be brought up');
system('sysctl -qw net.ipv4.icmp_echo_ignore_all=1') == 0
    or BAIL_OUT('icmp_echo_ignore_all cannot be set in the namespace');

my $w = Weir->new;
my $port = free_port();
my $t0 = int(time);

$w->write_config(<<"END");
worker_processes: 1
log_level: info
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
          - { name: lo, address: 127.0.0.1, protocol_port: 9 }
END

ok($w->start($port), 'weir started') or BAIL_OUT('weir did not start');
ok($w->wait_log(qr/PING checks use a raw ICMP socket/, 5),
   'the checker uses a raw socket (ping sockets are closed here)')
    or BAIL_OUT('no raw socket: nothing to forge against');
ok($w->wait_log(qr/of group ping-tg is DOWN: no echo reply/, 10),
   'no echo is answered here: the target is DOWN');

my $pid = checker_pid($w);
ok($pid, 'the checker');
my $t1 = int(time);

socket(my $raw, PF_INET, SOCK_RAW, 1) or die "raw socket: $!";
my $to = pack_sockaddr_in(0, inet_aton('127.0.0.1'));

sub csum {
    my ($data) = @_;
    $data .= "\0" if length($data) % 2;
    my $sum = 0;
    $sum += $_ for unpack('n*', $data);
    $sum = ($sum & 0xffff) + ($sum >> 16) while $sum >> 16;
    return ~$sum & 0xffff;
}

sub icmp {
    my ($type, $code, $rest) = @_;
    my $sum = csum(pack('CCn', $type, $code, 0) . $rest);
    return pack('CCn', $type, $code, $sum) . $rest;
}

# an echo reply from 127.0.0.1 with id, seq and the old cookie
sub forged_reply {
    my ($id, $seq, $cookie) = @_;
    return icmp(0, 0, pack('nnV', $id, $seq, $cookie) . 'weir-health'
                      . "\0" x 9);
}

# "host unreachable" quoting only the 8-byte header of an echo to
# 127.0.0.1
sub forged_unreach {
    my ($id, $seq) = @_;
    my $ip = pack('CCnnnCCnNN', 0x45, 0, 52, 0, 0, 64, 1, 0, 0x7f000001,
                  0x7f000001);
    return icmp(3, 1, pack('N', 0) . $ip . pack('CCnnn', 8, 0, 0, $id, $seq));
}

# every (id, cookie, sequence number) the old checker could have: the
# socket is opened by the master or the checker, within [$t0 - 1, $t1],
# and one probe goes out every 2 s
my @pkts;
my $probes = int((int(time) - $t0) / 2) + 8;
my @unreach;
for my $p ($w->pid, $pid) {
    for my $t ($t0 - 1 .. $t1) {
        my $cookie = (($p * 2654435761) & 0xffffffff) ^ $t;
        my $seq0 = $cookie >> 16;
        for my $k (1 .. $probes) {
            my $seq = ($seq0 + $k) & 0xffff;
            push @pkts, forged_reply($p & 0xffff, $seq, $cookie);
            push @unreach, forged_unreach($p & 0xffff, $seq);
        }
    }
}

my $before = () = $w->log_text =~ /of group ping-tg is/g;

# forge for 6 s (3 probes) each: replies, then unreachables, in rounds
# paced so that the checker is not simply flooded
my $sent = 0;
for my $set (\@pkts, \@unreach) {
    my $until = time + 6;
    while (time < $until) {
        for (@$set) { $sent++ if send($raw, $_, 0, $to) }
        select(undef, undef, undef, 0.002);
    }
}
ok($sent > 0, "forged packets sent ($sent)");

unlike($w->log_text, qr/of group ping-tg is UP/,
       'forged echo replies do not bring the dead target UP');
unlike($w->log_text, qr/ping-tg.*unreachable/,
       'forged unreachables are not believed');

$w->stop;
done_testing();
