# weir: the DSR network load balancer (NLB_L4_DSR, issue 14) in network
# namespaces this test creates and always removes: a bridge (in its own
# namespace) with veth pairs to the namespaces client, lb, t1 and t2 on
# 10.251.0.0/24, which exists only inside them. t1 and t2 are set up by
# contrib/dsr/setup_dsr.sh and serve TCP (bound to 0.0.0.0) and UDP
# (bound to the VIP, the manual's first UDP option); weir runs in lb.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use POSIX ();
use Test::More;
use Time::HiRes qw(time sleep);

use Weir qw(wait_for binary);

my $VIP = '10.251.0.100';
my %IP = (client => '10.251.0.2', lb => '10.251.0.3', t1 => '10.251.0.4',
          t2 => '10.251.0.5', t3 => '10.251.0.6');
my $NS = "weirdsr$$";
my @made;           # namespaces to remove, whatever happens
my $owner = $$;

sub ns { "${NS}_$_[0]" }

sub sh {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    return ($? == 0, $out);
}

sub in_ns {
    my ($ns, $cmd) = @_;
    return sh("ip netns exec " . ns($ns) . " $cmd");
}

sub cleanup {
    return unless $$ == $owner;
    for my $n (@made) {
        # every process left in it (weir, the servers) goes first
        for my $pid (split ' ', `ip netns pids $n 2>/dev/null`) {
            kill 'KILL', $pid;
        }
    }
    for my $n (@made) {
        system("ip netns del $n 2>/dev/null");
    }
    @made = ();
}

END { cleanup() }
$SIG{INT} = $SIG{TERM} = sub { cleanup(); exit 1 };

plan skip_all => 'needs root for network namespaces' if $> != 0;
plan skip_all => 'no objs/weir: run make build' unless -x binary();

{
    my ($ok, $out) = sh("ip netns add " . ns('br'));
    plan skip_all => "network namespaces cannot be created here: $out"
        unless $ok;
    push @made, ns('br');
}

# --- the topology ---

my ($ok, $out);

sub must {
    my ($what, $res) = @_;
    my ($k, $o) = @$res;
    BAIL_OUT("$what: $o") unless $k;
    return $o;
}

must('bridge', [ sh("ip -n " . ns('br') . " link add br0 type bridge") ]);
must('bridge up', [ sh("ip -n " . ns('br') . " link set br0 up") ]);

for my $n (qw(client lb t1 t2 t3)) {
    must("netns $n", [ sh("ip netns add " . ns($n)) ]);
    push @made, ns($n);
    must("veth $n", [ sh("ip link add v$$" . "$n netns " . ns($n)
                         . " type veth peer name p$n netns " . ns('br')) ]);
    must("port $n", [ sh("ip -n " . ns('br') . " link set p$n master br0 up") ]);
    must("eth0 $n", [ sh("ip -n " . ns($n) . " link set v$$" . "$n name eth0") ]);
    must("addr $n", [ sh("ip -n " . ns($n) . " addr add $IP{$n}/24 dev eth0") ]);
    must("up $n", [ sh("ip -n " . ns($n) . " link set eth0 up") ]);
    must("lo $n", [ sh("ip -n " . ns($n) . " link set lo up") ]);
}

# the balancer routes nothing: the VIP's frames are weir's alone
must('forwarding', [ in_ns('lb', 'sysctl -q -w net.ipv4.ip_forward=0') ]);

for my $t (qw(t1 t2 t3)) {
    ($ok, $out) = in_ns($t, "sh contrib/dsr/setup_dsr.sh $VIP");
    ok($ok, "setup_dsr.sh in $t") or diag $out;
}

($ok, $out) = in_ns('t1', "sh contrib/dsr/setup_dsr.sh $VIP");
ok($ok && $out =~ /applied/, 'setup_dsr.sh a second time (idempotent)')
    or diag $out;
($out) = (in_ns('t1', 'sysctl -n net.ipv4.conf.all.arp_ignore'))[1];
is($out + 0, 1, 'arp_ignore=1 on t1');
($out) = (in_ns('t1', 'sysctl -n net.ipv4.conf.all.arp_announce'))[1];
is($out + 0, 2, 'arp_announce=2 on t1');
($out) = (in_ns('t1', 'ip -4 addr show dev lo'))[1];
my @vips = $out =~ /inet \Q$VIP\E\/32/g;
is(scalar @vips, 1, 'the VIP once on t1\'s lo');

# --- the targets' servers ---

my $dir = tempdir('weir-dsr-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{WEIR_KEEP});
mkdir "$dir/logs";

open(my $fh, '>', "$dir/server.pl") or die $!;
print $fh <<'EOF';
use strict; use IO::Socket::INET; use IO::Select;
my ($name, $vip, $ready) = @ARGV;
my $t = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => 8080,
    Listen => 256, ReuseAddr => 1) or die "tcp: $!";
my $u = IO::Socket::INET->new(LocalAddr => $vip, LocalPort => 5353,
    Proto => 'udp') or die "udp: $!";
my $sel = IO::Select->new($t, $u);
open(my $r, '>', $ready); close $r;
while (1) {
    for my $s ($sel->can_read) {
        if ($s == $t) {
            my $c = $t->accept or next;
            $sel->add($c);
        } elsif ($s == $u) {
            my $from = $u->recv(my $buf, 2048);
            $u->send("$name $buf", 0, $from);
        } else {
            my $n = sysread($s, my $buf, 65536);
            if (!$n) { $sel->remove($s); close $s; next; }
            syswrite($s, "$name\n");
        }
    }
}
EOF
close $fh;

my %server;
for my $t (qw(t1 t2 t3)) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        exec('ip', 'netns', 'exec', ns($t), 'perl', "$dir/server.pl", $t,
             $VIP, "$dir/$t.ready") or POSIX::_exit(127);
    }
    $server{$t} = $pid;
}
ok(wait_for(sub { -e "$dir/t1.ready" && -e "$dir/t2.ready"
                 && -e "$dir/t3.ready" }, 10),
   'servers up in t1, t2 and t3');

# --- weir in lb ---

my $w = Weir->new;
$w->{dir} = $dir;

sub tcp_members {
    my (%weight) = @_;
    return join '', map {
        "          - { address: $IP{$_}, protocol_port: 8080, "
        . "weight: $weight{$_} }\n"
    } sort keys %weight;
}

my $TCP_MEMBERS = tcp_members(t1 => 64, t2 => 192);

$w->write_config(config($TCP_MEMBERS));

sub config {
    my ($members) = @_;
    return <<"EOF";
worker_processes: 2
load_balancers:
  - name: dsr-lb
    type: NLB_L4_DSR
    address: $VIP
    listeners:
      - { name: tcp, protocol: TCP, protocol_port: 8080, target_group: tcp-tg }
      - { name: udp, protocol: UDP, protocol_port: 5353, target_group: udp-tg }
    target_groups:
      - name: tcp-tg
        protocol: TCP
        load_balancer_algorithm: ROUND_ROBIN
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
$members      - name: udp-tg
        protocol: UDP
        session_persistence: { type: SOURCE_IP }
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { address: $IP{t1}, protocol_port: 5353, monitor_port: 8080 }
          - { address: $IP{t2}, protocol_port: 5353, monitor_port: 8080 }
EOF
}

($ok, $out) = in_ns('lb', binary() . " -t -p $dir -c $dir/weir.yaml");
ok($ok, 'weir -t accepts an NLB_L4_DSR balancer') or diag $out;

{
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open(STDOUT, '>>', "$dir/stderr.log");
        open(STDERR, '>>', "$dir/stderr.log");
        exec('ip', 'netns', 'exec', ns('lb'), binary(), '-f', '-p', $dir,
             '-c', "$dir/weir.yaml") or POSIX::_exit(127);
    }
    $w->{pid} = $pid;
}

ok($w->wait_log(qr/\Q$IP{t1}\E:8080 of group tcp-tg is UP/, 10)
   && $w->wait_log(qr/\Q$IP{t2}\E:8080 of group tcp-tg is UP/, 10),
   'health checks from lb reach both targets')
    or diag $w->log_text;
ok($w->wait_log(qr/DSR target \Q$IP{t2}\E:8080 is at/, 5),
   'target MACs from the neighbour table') or diag $w->log_text;

($out) = (in_ns('lb', 'ss -ltnu'))[1];
unlike($out, qr/\Q$VIP\E/, 'no TCP or UDP socket on the VIP in lb');

# --- 200 TCP connections ---

sub counters {
    my ($n) = @_;
    my %c;
    for my $k (qw(rx_packets tx_packets)) {
        ($c{$k}) = (in_ns($n, "cat /sys/class/net/eth0/statistics/$k"))[1];
        $c{$k} += 0;
    }
    return \%c;
}

open($fh, '>', "$dir/tcp_client.pl") or die $!;
print $fh <<'EOF';
use strict; use IO::Socket::INET;
my ($vip, $n) = @ARGV;
my %c = (t1 => 0, t2 => 0, t3 => 0, fail => 0);
for (1 .. $n) {
    my $s = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => 8080,
                                  Timeout => 2);
    if (!$s) { $c{fail}++; next; }
    print $s "hello\n";
    my $l = <$s>;
    if (defined $l && $l =~ /^(t[123])$/) { $c{$1}++ } else { $c{fail}++ }
    close $s;
}
print "t1=$c{t1} t2=$c{t2} t3=$c{t3} fail=$c{fail}\n";
EOF
close $fh;

sub tcp_run {
    my ($n) = @_;
    my ($k, $o) = in_ns('client', "timeout 30 perl $dir/tcp_client.pl $VIP $n");
    my %r = $o =~ /(t1|t2|t3|fail)=(\d+)/g;
    diag $o unless $k;
    return \%r;
}

my $lb0 = counters('lb');
my $cl0 = counters('client');
my $t0 = time;
my $r = tcp_run(200);
my $lb1 = counters('lb');
my $cl1 = counters('client');

is($r->{fail}, 0, '200 TCP connections to the VIP, every reply reached '
   . 'the client');
ok($r->{t2} >= 130 && $r->{t2} <= 170,
   "weights 64:192 (25:75) spread them: t1=$r->{t1} t2=$r->{t2}");

my $replies = $cl1->{rx_packets} - $cl0->{rx_packets};
my $sent = $cl1->{tx_packets} - $cl0->{tx_packets};
my $lb_in = $lb1->{rx_packets} - $lb0->{rx_packets};
my $lb_out = $lb1->{tx_packets} - $lb0->{tx_packets};
ok($replies >= 600, "the client got $replies packets back");
# lb sees the client's packets (and a few health check answers and ARP),
# never the targets' replies: those would add $replies more
ok($lb_in <= $sent + 40,
   "lb received $lb_in packets for the client's $sent: no reply went "
   . 'through it');
# (the client's count also has its ARP and neighbour probes)
ok($lb_out >= $sent - 10, "lb forwarded them ($lb_out packets out)");
diag sprintf('200 connections in %.2f s; client sent %d, got %d; lb in %d, '
             . 'out %d', time - $t0, $sent, $replies, $lb_in, $lb_out);

($out) = (in_ns('client', "ip neigh show $VIP"))[1];
my ($lbmac) = (in_ns('lb', 'cat /sys/class/net/eth0/address'))[1] =~ /(\S+)/;
like($out, qr/\Q$lbmac\E/i, 'the VIP resolves (ARP answered by weir) to '
     . "lb's MAC");

# --- UDP with SOURCE_IP stickiness ---

must('second client address',
     [ in_ns('client', 'ip addr add 10.251.0.20/24 dev eth0') ]);
must('third client address',
     [ in_ns('client', 'ip addr add 10.251.0.21/24 dev eth0') ]);

open($fh, '>', "$dir/udp_client.pl") or die $!;
print $fh <<'EOF';
use strict; use IO::Socket::INET;
my ($vip, $src, $n) = @ARGV;
my %c; my $fail = 0;
for my $i (1 .. $n) {
    # a new socket each time: a new source port, a new flow
    my $s = IO::Socket::INET->new(LocalAddr => $src, PeerAddr => $vip,
                                  PeerPort => 5353, Proto => 'udp') or die;
    $s->send("q$i");
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    my $buf;
    if (select($rin, undef, undef, 1) && defined $s->recv($buf, 2048)
        && $buf =~ /^(t[12]) q$i$/)
    {
        $c{$1}++;
    } else {
        $fail++;
    }
}
print join(' ', map { "$_=$c{$_}" } sort keys %c), " fail=$fail\n";
EOF
close $fh;

ok($w->wait_log(qr/\Q$IP{t1}\E:5353 of group udp-tg is UP/, 10)
   && $w->wait_log(qr/\Q$IP{t2}\E:5353 of group udp-tg is UP/, 10),
   'the UDP group\'s targets are up (checked by TCP)')
    or diag $w->log_text;

my %seen;
for my $src ('10.251.0.2', '10.251.0.20', '10.251.0.21') {
    ($ok, $out) = in_ns('client',
                        "timeout 30 perl $dir/udp_client.pl $VIP $src 20");
    my %c = $out =~ /(t1|t2|fail)=(\d+)/g;
    is($c{fail}, 0, "UDP from $src: 20 requests, 20 replies");
    my @to = grep { $_ ne 'fail' } keys %c;
    is(scalar @to, 1, "UDP from $src sticks to one target (@to)");
    $seen{$_}++ for @to;
}

# --- established flows keep their targets through a live change ---

open($fh, '>', "$dir/hold.pl") or die $!;
print $fh <<'EOF';
use strict; use IO::Socket::INET; use Time::HiRes qw(sleep);
my ($vip, $n, $go) = @ARGV;
$| = 1;
my @s;
for (1 .. $n) {
    my $s = IO::Socket::INET->new(PeerAddr => $vip, PeerPort => 8080,
                                  Timeout => 2) or die "connect: $!";
    print $s "one\n";
    my $l = <$s> // "none\n";
    chomp $l;
    push @s, [ $s, $l ];
}
print "before ", join(',', map { $_->[1] } @s), "\n";
for (1 .. 1500) { last if -e $go; sleep 0.02; }
my ($same, $bad) = (0, 0);
for (@s) {
    my ($s, $was) = @$_;
    my $t0 = time;
    print $s "two\n";
    my $l = <$s>;
    if (defined $l && $l eq "$was\n") { $same++ } else { $bad++ }
}
print "same=$same bad=$bad\n";
EOF
close $fh;

my $hold = fork // die "fork: $!";
if ($hold == 0) {
    open(STDOUT, '>', "$dir/hold.out");
    exec('ip', 'netns', 'exec', ns('client'), 'timeout', '40', 'perl',
         "$dir/hold.pl", $VIP, 20, "$dir/go") or POSIX::_exit(127);
}
ok(wait_for(sub { -s "$dir/hold.out" }, 10), '20 connections held open')
    or diag `cat $dir/hold.out`;

# t3 added, weights changed: the workers take it up live (SIGUSR2, what
# the admin process sends after writing the file)
$w->write_config(config(tcp_members(t1 => 256, t2 => 64, t3 => 256)));
$w->signal('USR2');
ok($w->wait_log(qr/configuration generation \d+ taken up.*\n(?:.*\n)*.*configuration generation \d+ taken up/, 10),
   'both workers took up the new target group live') or diag $w->log_text;
ok($w->wait_log(qr/\Q$IP{t3}\E:8080 of group tcp-tg is UP/, 10),
   't3 is checked and up') or diag $w->log_text;

open($fh, '>', "$dir/go") or die $!;
close $fh;
waitpid($hold, 0);
$out = `cat $dir/hold.out`;
like($out, qr/same=20 bad=0/, 'all 20 established flows stayed on their '
     . 'targets') or diag $out;

$r = tcp_run(200);
is($r->{fail}, 0, '200 new connections after the change all answered');
ok($r->{t3} >= 60 && $r->{t2} > 0 && $r->{t2} <= 45,
   "new weights 256:64:256 (40:10:40 of 90): t1=$r->{t1} t2=$r->{t2} "
   . "t3=$r->{t3}");

# --- a reload: new workers, new packet sockets in the same fanout group ---

my @old = $w->workers;
$w->signal('HUP');
ok(wait_for(sub { my @n = $w->workers;
                  @n == 2 && !grep { my $o = $_; grep { $_ == $o } @n } @old },
            15),
   'reload: new workers') or diag $w->log_text;
$r = tcp_run(50);
is($r->{fail}, 0, '50 connections after the reload all answered');

# --- a target going down ---

kill 'TERM', $server{t1};
waitpid($server{t1}, 0);
for my $pid (split ' ', `ip netns pids ${\ns('t1')}`) {
    kill 'KILL', $pid;
}

ok($w->wait_log(qr/\Q$IP{t1}\E:8080 of group tcp-tg is DOWN/, 10),
   'the health check takes t1 out') or diag $w->log_text;

$r = tcp_run(50);
is($r->{fail}, 0, '50 connections after t1 stopped all answered');
is($r->{t1}, 0, 'new flows avoid t1');

unlike($w->log_text, qr/\[(alert|emerg|crit)\]/, 'no alert in the log');

$w->stop;
cleanup();

done_testing();
