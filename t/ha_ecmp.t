#!/usr/bin/perl
# weir: ECMP across two active nodes (issue 18 item 4), in network
# namespaces this test creates and always removes. A router namespace
# routes the VIP to two weir nodes with a multipath route (L4 hash:
# fib_multipath_hash_policy=1), each node has the VIP on its lo and
# proxies TCP to the same two targets with SOURCE_IP; the nodes list the
# members in another order under other names. 1000 flows from 40 source
# addresses of the client: every flow of one source reaches the same
# target, whichever node carried it, and both nodes carry flows. Then
# each source is sent through node A only, then node B only (the route
# changed): the same target both times. A target answers with its name
# and the address the connection came from (the node).
#
#   client 10.253.1.2 + .10-.49 --eth0-- router --eth1-- br0 -- n1 10.253.0.3
#                                  10.253.1.1   10.253.0.1       n2 10.253.0.4
#                                                                t1 10.253.0.5
#                                                                t2 10.253.0.6
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use Test::More;

use Weir qw(wait_for binary);
use WeirNetns qw(netns_or_skip);

netns_or_skip();
plan skip_all => 'no objs/weir: run make build' unless -x binary();

my $VIP = '10.253.9.100';
my %IP = (n1 => '10.253.0.3', n2 => '10.253.0.4', t1 => '10.253.0.5',
          t2 => '10.253.0.6');
my $NSRC = 40;                          # client source addresses
my @SRC = map { "10.253.1." . (10 + $_) } 0 .. $NSRC - 1;
my $FLOWS = 1000;

my $dir = tempdir('weir-ecmp-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{WEIR_KEEP});

# --- the topology ---

my $net = WeirNetns->new('weirecmp');

$net->host($_, "$IP{$_}/24") for qw(n1 n2 t1 t2);
$net->host('router', '10.253.0.1/24');
$net->add('client');

# the client's side of the router: a veth pair of their own
{
    my ($c, $r) = ($net->ns('client'), $net->ns('router'));
    $net->must('client link', "ip link add wc$$ netns $c type veth peer"
               . " name eth1 netns $r");
    $net->must('client eth0', "ip -n $c link set wc$$ name eth0");
    $net->must('client up', "ip -n $c link set eth0 up");
    $net->must('client addr', "ip -n $c addr add 10.253.1.2/24 dev eth0");
    $net->must("client src $_", "ip -n $c addr add $_/24 dev eth0")
        for @SRC;
    $net->must('client route', "ip -n $c route add default via 10.253.1.1");
    $net->must('router eth1', "ip -n $r addr add 10.253.1.1/24 dev eth1");
    $net->must('router up', "ip -n $r link set eth1 up");
}

$net->must('forwarding', "ip netns exec " . $net->ns('router')
           . " sysctl -q -w net.ipv4.ip_forward=1");
# the router hashes flows on their ports too (L4), as a real ECMP router
$net->must('L4 hash', "ip netns exec " . $net->ns('router')
           . " sysctl -q -w net.ipv4.fib_multipath_hash_policy=1");

sub route {
    my (@via) = @_;
    my $nh = @via == 1 ? "via $IP{$via[0]}"
                       : join(' ', map { "nexthop via $IP{$_}" } @via);
    $net->must("route via @via", "ip -n " . $net->ns('router')
               . " route replace $VIP/32 $nh");
}

route(qw(n1 n2));

for my $n (qw(n1 n2)) {
    $net->must("vip $n", "ip -n " . $net->ns($n) . " addr add $VIP/32 dev lo");
    $net->must("gw $n", "ip -n " . $net->ns($n)
               . " route add default via 10.253.0.1");
}
for my $t (qw(t1 t2)) {
    $net->must("gw $t", "ip -n " . $net->ns($t)
               . " route add default via 10.253.0.1");
}

# --- the targets: their name and who connected ---

open(my $fh, '>', "$dir/target.pl") or die $!;
print $fh <<'EOF';
use strict; use IO::Socket::INET;
my ($name, $ready) = @ARGV;
my $l = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => 8080,
    Listen => 512, ReuseAddr => 1) or die "listen: $!";
open(my $r, '>', $ready); close $r;
while (my $c = $l->accept) {
    syswrite($c, "$name " . $c->peerhost . "\n");
    close $c;
}
EOF
close $fh;

for my $t (qw(t1 t2)) {
    $net->spawn($t, "$dir/$t.log", 'perl', "$dir/target.pl", $t,
                "$dir/$t.ready");
}
ok(wait_for(sub { -e "$dir/t1.ready" && -e "$dir/t2.ready" }, 10),
   'targets t1 and t2 listen');

# --- weir on both nodes ---

# the same members and weights; n2 writes them in the other order under
# other names
sub config {
    my ($node) = @_;
    my @m = ([ 'a', $IP{t1}, 192 ], [ 'b', $IP{t2}, 64 ]);
    @m = reverse @m if $node eq 'n2';
    my $members = join '', map {
        "          - { name: $node-$_->[0], address: $_->[1], "
        . "protocol_port: 8080, weight: $_->[2] }\n"
    } @m;
    return <<"EOF";
daemon: false
worker_processes: 1
error_log: logs/error.log
pid_file: logs/weir.pid
load_balancers:
  - name: ecmp-lb
    type: NLB
    address: $VIP
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: 80, target_group: app-tg }
    target_groups:
      - name: app-tg
        protocol: TCP
        load_balancer_algorithm: SOURCE_IP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
$members
EOF
}

for my $n (qw(n1 n2)) {
    mkdir "$dir/$n";
    mkdir "$dir/$n/logs";
    open(my $c, '>', "$dir/$n/weir.yaml") or die $!;
    print $c config($n);
    close $c;
    $net->spawn($n, "$dir/$n/stderr.log", binary(), '-f', '-p', "$dir/$n",
                '-c', "$dir/$n/weir.yaml");
}

sub log_of {
    my ($n) = @_;
    open(my $l, '<', "$dir/$n/logs/error.log") or return '';
    local $/;
    return <$l> // '';
}

for my $n (qw(n1 n2)) {
    ok(wait_for(sub { my $t = log_of($n);
                      $t =~ /\Q$IP{t1}\E:8080 of group app-tg is UP/
                      && $t =~ /\Q$IP{t2}\E:8080 of group app-tg is UP/ }, 15),
       "$n: both targets UP") or diag log_of($n);
}

# --- the flows ---

# The client: $per connections from each source address, each answered
# with "target node"; prints "source target node" per flow, "source -
# error" for one that failed. Bounded: 3 s per connection, 60 s in all.
open($fh, '>', "$dir/client.pl") or die $!;
print $fh <<'EOF';
use strict; use IO::Socket::INET; use Time::HiRes qw(time);
my ($vip, $per, @src) = @ARGV;
my $deadline = time + 60;
for my $i (1 .. $per) {
    for my $s (@src) {
        if (time > $deadline) { print "$s - deadline\n"; next; }
        my $c = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => 80,
            LocalAddr => $s, Proto => 'tcp', Timeout => 3);
        if (!$c) { print "$s - connect: $!\n"; next; }
        $c->timeout(3);
        my $line = <$c>;
        close $c;
        if (defined $line && $line =~ /^(t\d) (\S+)$/) {
            print "$s $1 $2\n";
        } else {
            print "$s - no answer\n";
        }
    }
}
EOF
close $fh;

# { source => { target => count }, nodes => { node => count } }
sub flows {
    my ($per) = @_;
    my ($ok, $out) = $net->in_ns('client', "perl $dir/client.pl $VIP $per @SRC");
    my (%by, %nodes, @bad);
    my %node_of = reverse %IP;
    for (split /\n/, $out) {
        my ($s, $t, $n) = split ' ', $_, 3;
        if ($t eq '-') { push @bad, $_; next; }
        $by{$s}{$t}++;
        $nodes{ $node_of{$n} // $n }++;
    }
    return (\%by, \%nodes, \@bad);
}

my ($by, $nodes, $bad) = flows($FLOWS / $NSRC);
is(scalar @$bad, 0, "all $FLOWS flows answered") or diag join "\n", @$bad[0 .. 9];

my $flows = 0;
$flows += $_ for values %$nodes;
is($flows, $FLOWS, "$FLOWS flows counted");

my @split = grep { keys %{ $by->{$_} // {} } != 1 } @SRC;
is(scalar @split, 0, 'each source reaches one target, whichever node '
   . 'carried the flow')
    or diag explain { map { $_ => $by->{$_} } @split[0 .. 4] };
is(scalar keys %$by, $NSRC, "flows from all $NSRC sources");

ok(($nodes->{n1} // 0) >= $FLOWS / 4 && ($nodes->{n2} // 0) >= $FLOWS / 4,
   'the router spread the flows over both nodes')
    or diag explain $nodes;

my %target;         # source -> its target
$target{$_} = (keys %{ $by->{$_} })[0] for keys %$by;
my %share;
$share{$_}++ for values %target;
# weights 192 and 64: 3:1 of the sources, loosely with 40 of them
ok(($share{t1} // 0) > ($share{t2} // 0) && ($share{t2} // 0) > 0,
   'both targets have sources, t1 (weight 192) more than t2 (64)')
    or diag explain \%share;

# --- each source through one node, then the other ---

for my $via (qw(n1 n2)) {
    route($via);
    my ($b2, $n2, $bad2) = flows(3);
    is(scalar @$bad2, 0, "via $via only: all flows answered")
        or diag join "\n", @$bad2[0 .. 9];
    is_deeply([ keys %$n2 ], [ $via ], "via $via only: $via carried them all");
    my @moved = grep { join(',', keys %{ $b2->{$_} // {} })
                       ne ($target{$_} // 'none') } @SRC;
    is(scalar @moved, 0, "via $via only: every source kept its target")
        or diag explain { map { $_ => [ $target{$_}, $b2->{$_} ] } @moved[0 .. 4] };
}

done_testing();
