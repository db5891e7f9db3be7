#!/usr/bin/perl
# weir: an active-standby pair under keepalived (issue 18 item 1), in
# network namespaces this test creates and always removes: two weir
# nodes n1 and n2 with keepalived (contrib/keepalived/keepalived.conf.in
# rendered by render.sh: BACKUP + nopreempt, unicast peers, advert_int 1,
# track_script `weirctl ping` with interval 1 and fall 2), two targets
# that answer with their name and the node that connected, and a client,
# on one bridge.
#
# - freebind: weir without it cannot start on the VIP while no interface
#   has it; with `freebind: true` both nodes listen on it all along, and
#   a node serves as soon as the address arrives (IPv6 as well);
# - the VIP on n1 (started first), n2 BACKUP; the client is served via
#   n1;
# - sticky bindings made on n1 (a peers block on both nodes, vip: the
#   VIP, the sync over the bridge): 8 clients (10.252.0.20..27) bound by
#   SOURCE_IP persistence on a ROUND_ROBIN group, and an HTTP client
#   bound by APP_COOKIE (JSESSIONID set by the target) on another
#   ROUND_ROBIN group;
# - kill -9 of n1's weir master: the VIP is on n2 within advert_int x 3
#   + interval x fall (5 s), the client is served via n2, by the same
#   target (SOURCE_IP: both nodes choose alike); each sticky client
#   reaches its target through n2 (asked in an order a fresh ROUND_ROBIN
#   choice on n2 could not follow: n2's table has n1's bindings), and the
#   APP_COOKIE client's 6 requests all reach its target;
# - weir back on n1: n1 returns to BACKUP and, nopreempt, leaves the VIP
#   on n2 although its priority is higher; the peers sync names n2 the
#   active node and n1 standby.
#
#   client 10.252.0.2 (and .20-.27), n1 .3, n2 .4, t1 .5, t2 .6,
#   VIP 10.252.0.100/24, the sync on n1 and n2 port 7000
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

use Weir qw(wait_for binary write_file);
use WeirNetns qw(netns_or_skip);

netns_or_skip();
plan skip_all => 'no objs/weir: run make build' unless -x binary();
(my $CTL = binary()) =~ s/weir$/weirctl/;
plan skip_all => "no $CTL: run make build" unless -x $CTL;
chomp(my $KEEPALIVED = `command -v keepalived 2>/dev/null` // '');
plan skip_all => 'no keepalived (auto/deps installs it)' unless $KEEPALIVED;

my $VIP = '10.252.0.100';
my %IP = (client => '10.252.0.2', n1 => '10.252.0.3', n2 => '10.252.0.4',
          t1 => '10.252.0.5', t2 => '10.252.0.6');
my %PRIO = (n1 => 150, n2 => 100);
my ($ADVERT, $INTERVAL, $FALL) = (1, 1, 2);     # as the template says
my $BOUND = $ADVERT * 3 + $INTERVAL * $FALL;

my $dir = tempdir('weir-ha-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{WEIR_KEEP});
chmod 0755, $dir;

my $net = WeirNetns->new('weirha');
$net->host($_, "$IP{$_}/24") for qw(client n1 n2 t1 t2);

# --- the targets ---

open(my $fh, '>', "$dir/target.pl") or die $!;
print $fh <<'EOF';
use strict; use IO::Socket::INET;
use IO::Select;
my ($name, $ready) = @ARGV;
# 8080: a line "NAME PEER"; 8081: HTTP, the same line as the body, and
# /login sets JSESSIONID=sess-NAME
my %l = map { $_ => IO::Socket::INET->new(LocalAddr => '0.0.0.0',
    LocalPort => $_, Listen => 128, ReuseAddr => 1) || die "listen: $!" }
    8080, 8081;
open(my $r, '>', $ready); close $r;
my $sel = IO::Select->new(values %l);
while (1) {
    for my $s ($sel->can_read) {
        my $c = $s->accept or next;
        my $line = "$name " . $c->peerhost . "\n";
        if ($s == $l{8080}) { syswrite($c, $line); close $c; next; }
        $c->timeout(2);
        my $head = '';
        while (defined(my $h = <$c>)) { $head .= $h; last if $h =~ /^\r?$/; }
        my $set = $head =~ m{^GET /login } ? "Set-Cookie: JSESSIONID=sess-$name\r\n" : '';
        syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: " . length($line)
                 . "\r\nConnection: close\r\n$set\r\n$line");
        close $c;
    }
}
EOF
close $fh;

$net->spawn($_, "$dir/$_.log", 'perl', "$dir/target.pl", $_, "$dir/$_.ready")
    for qw(t1 t2);
ok(wait_for(sub { -e "$dir/t1.ready" && -e "$dir/t2.ready" }, 10),
   'targets t1 and t2 listen');

# --- weir on the nodes ---

sub config {
    my ($freebind, $local) = @_;
    my $peers = !$local ? '' : <<"EOF";
peers:
  local: $local
  vip: $VIP
  nodes:
    - { name: n1, address: "$IP{n1}:7000" }
    - { name: n2, address: "$IP{n2}:7000" }
EOF
    return <<"EOF";
daemon: false
worker_processes: 1
error_log: logs/error.log
pid_file: logs/weir.pid
admin:
  listen: 127.0.0.1:9090
  token_file: admin.token
${peers}load_balancers:
  - name: ha-lb
    type: NLB
    address: $VIP
    freebind: $freebind
    listeners:
      - { name: tcp-in, protocol: TCP, protocol_port: 80, target_group: app-tg }
      - { name: sticky-in, protocol: TCP, protocol_port: 81, target_group: sticky-tg }
    target_groups:
      - name: app-tg
        protocol: TCP
        load_balancer_algorithm: SOURCE_IP
        health_monitor: { type: TCP, delay: 2, timeout: 1, max_retries: 1, max_retries_down: 1 }
        members:
          - { name: m-t1, address: $IP{t1}, protocol_port: 8080 }
          - { name: m-t2, address: $IP{t2}, protocol_port: 8080 }
      # bindings in a node's sticky table: what the peers sync keeps in
      # step
      - name: sticky-tg
        protocol: TCP
        load_balancer_algorithm: ROUND_ROBIN
        session_persistence: { type: SOURCE_IP }
        members:
          - { name: s-t1, address: $IP{t1}, protocol_port: 8080 }
          - { name: s-t2, address: $IP{t2}, protocol_port: 8080 }
  - name: ha-web
    type: ALB
    address: $VIP
    freebind: $freebind
    listeners:
      - { name: web-in, protocol: HTTP, protocol_port: 82, target_group: web-tg }
    target_groups:
      - name: web-tg
        protocol: HTTP
        load_balancer_algorithm: ROUND_ROBIN
        session_persistence: { type: APP_COOKIE, cookie_name: JSESSIONID }
        members:
          - { name: w-t1, address: $IP{t1}, protocol_port: 8081 }
          - { name: w-t2, address: $IP{t2}, protocol_port: 8081 }
EOF
}


sub slurp {
    open(my $f, '<', $_[0]) or return '';
    local $/;
    return <$f> // '';
}

my %weir;           # node -> master pid

for my $n (qw(n1 n2 nofb)) {
    mkdir "$dir/$n";
    mkdir "$dir/$n/logs";
    write_file("$dir/$n/admin.token", "ha-test-token-$n-0123456789\n", 0600);
    write_file("$dir/$n/weir.yaml", $n eq 'nofb' ? config('false')
                                                 : config('true', $n));
}

sub start_weir {
    my ($n, $ns) = @_;
    unlink "$dir/$n/logs/weir.pid";
    $weir{$n} = $net->spawn($ns // $n, "$dir/$n/stderr.log", binary(), '-f',
                            '-p', "$dir/$n", '-c', "$dir/$n/weir.yaml");
}

sub ping_ok {
    my ($n) = @_;
    my ($ok) = $net->in_ns($n, "$CTL -t 1 -p $dir/$n -c $dir/$n/weir.yaml ping");
    return $ok;
}

# --- freebind ---

# without it: no start while no interface has the VIP
start_weir('nofb', 'n1');
ok(wait_for(sub { waitpid($weir{nofb}, POSIX::WNOHANG()) == $weir{nofb} }, 10),
   'without freebind weir exits');
like(slurp("$dir/nofb/stderr.log") . slurp("$dir/nofb/logs/error.log"),
     qr/bind\(\) to \Q$VIP\E:80 failed \(99: Cannot assign requested address\)/,
     'without freebind: bind() of the absent VIP fails, said');

start_weir($_) for qw(n1 n2);
for my $n (qw(n1 n2)) {
    ok(wait_for(sub { ping_ok($n) }, 10), "$n: weir runs (weirctl ping)")
        or diag slurp("$dir/$n/stderr.log") . slurp("$dir/$n/logs/error.log");
    my ($ok, $out) = $net->in_ns($n, 'ss -Hltn');
    like($out, qr/\Q$VIP\E:80\b/, "$n: listens on the VIP");
    ($ok, $out) = $net->in_ns($n, 'ip -4 -o addr show');
    unlike($out, qr/\Q$VIP\E/, "$n: while no interface has it");
}

for my $n (qw(n1 n2)) {
    ok(wait_for(sub { my $t = slurp("$dir/$n/logs/error.log");
                      $t =~ /\Q$IP{t1}\E:8080 of group app-tg is UP/
                      && $t =~ /\Q$IP{t2}\E:8080 of group app-tg is UP/ }, 15),
       "$n: both targets UP");
}

# one request from the client to port 80 (or $port; from address $from):
# "target node", or undef
sub request {
    my ($port, $from) = @_;
    $port //= 80;
    my $local = $from ? "LocalAddr => q($from)," : '';
    my ($ok, $out) = $net->in_ns('client', "perl -MIO::Socket::INET -e '"
        . "my \$c = IO::Socket::INET->new(PeerAddr => q($VIP), PeerPort => $port,"
        . " $local Timeout => 1) or exit 1; \$c->timeout(1); my \$l = <\$c>;"
        . " print \$l // q(); exit(defined \$l ? 0 : 1)'");
    return undef unless $ok && $out =~ /^(t\d) (\S+)$/m;
    return "$1 $2";
}

# one HTTP GET of $path on port 82 with Cookie $cookie (or none):
# ("target node", the JSESSIONID it set or undef), or ()
sub http_get {
    my ($path, $cookie) = @_;
    my $c = $cookie ? "Cookie: $cookie\\r\\n" : '';
    my ($ok, $out) = $net->in_ns('client', "perl -MIO::Socket::INET -e '"
        . "my \$c = IO::Socket::INET->new(PeerAddr => q($VIP), PeerPort => 82,"
        . " Timeout => 2) or exit 1; \$c->timeout(2);"
        . " print \$c qq(GET $path HTTP/1.1\\r\\nHost: vip\\r\\n${c}"
        . "Connection: close\\r\\n\\r\\n); local \$/; print <\$c> // q()'");
    return () unless $ok && $out =~ m{^HTTP/1\.1 200 } && $out =~ /^(t\d) (\S+)$/m;
    my $who = "$1 $2";
    my ($sess) = $out =~ /^Set-Cookie: JSESSIONID=([^;\s]+)/mi;
    return ($who, $sess);
}

# the sync's view of node $n (GET /api/v1/cluster through weirctl): the
# "cluster" object, or {}
sub cluster {
    my ($n) = @_;
    my ($ok, $out) = $net->in_ns($n, "$CTL -t 1 -p $dir/$n -c $dir/$n/weir.yaml"
                                 . " get /api/v1/cluster");
    my $j = $ok ? eval { JSON::PP::decode_json($out) } : undef;
    return $j && ref $j->{cluster} eq 'HASH' ? $j->{cluster} : {};
}
sub show { JSON::PP->new->canonical->encode($_[0]) }

# the address arrives by hand on n1: served at once, no restart
$net->must('vip by hand', "ip -n " . $net->ns('n1') . " addr add $VIP/24 dev eth0");
my $got;
ok(wait_for(sub { ($got = request()) && $got =~ / \Q$IP{n1}\E$/ }, 10),
   'the VIP added on n1: n1 serves it') or diag($got // 'no answer');
$net->must('vip removed', "ip -n " . $net->ns('n1') . " addr del $VIP/24 dev eth0");
$net->in_ns('client', "ip neigh flush dev eth0");

# IPv6 too (IPV6_FREEBIND): a node of its own in n2 on an address no
# interface has, then on lo, served from n2 itself
{
    my $V6 = 'fd00:252::100';
    mkdir "$dir/v6";
    mkdir "$dir/v6/logs";
    write_file("$dir/v6/weir.yaml", <<"EOF");
daemon: false
worker_processes: 1
error_log: logs/error.log
pid_file: logs/weir.pid
load_balancers:
  - name: v6-lb
    type: NLB
    address: "$V6"
    freebind: true
    listeners:
      - { name: tcp-v6, protocol: TCP, protocol_port: 8081, target_group: v6-tg }
    target_groups:
      - name: v6-tg
        protocol: TCP
        members:
          - { name: v6-t1, address: $IP{t1}, protocol_port: 8080 }
EOF
    start_weir('v6', 'n2');
    ok(wait_for(sub { ($net->in_ns('n2', 'ss -Hltn'))[1] =~ /\[\Q$V6\E\]:8081/ },
                10),
       'IPv6: listens on an address no interface has')
        or diag slurp("$dir/v6/stderr.log");
    $net->must('v6 addr', "ip -n " . $net->ns('n2')
               . " addr add $V6/128 dev lo nodad");
    my ($ok, $out) = $net->in_ns('n2', "perl -MIO::Socket::IP -e '"
        . "my \$c = IO::Socket::IP->new(PeerHost => q($V6), PeerPort => 8081,"
        . " Timeout => 2) or die qq(connect: \$!\\n); \$c->timeout(2);"
        . " print scalar(<\$c>) // qq(none\\n)'");
    like($out, qr/^t1 \Q$IP{n2}\E$/m, 'IPv6: served once the address is there')
        or diag $out;
    kill 'TERM', $weir{v6};
    ok(wait_for(sub { waitpid($weir{v6}, POSIX::WNOHANG()) == $weir{v6} }, 10),
       'IPv6: that node stops');
}

# --- keepalived ---

my %ka;             # node -> pid

sub keepalived {
    my ($n) = @_;
    my $peer = $n eq 'n1' ? $IP{n2} : $IP{n1};
    my $conf = "$dir/$n/keepalived.conf";
    my ($ok, $out) = WeirNetns::sh("sh contrib/keepalived/render.sh"
        . " ROUTER_ID=$n INTERFACE=eth0 VRID=51 PRIORITY=$PRIO{$n}"
        . " SELF=$IP{$n} PEER=$peer VIP=$VIP/24 WEIRCTL=$FindBin::Bin/../$CTL"
        . " WEIR_PREFIX=$dir/$n WEIR_CONF=$dir/$n/weir.yaml"
        . " < contrib/keepalived/keepalived.conf.in > $conf");
    ok($ok, "$n: render.sh fills the template") or diag $out;
    ($ok, $out) = WeirNetns::sh("$KEEPALIVED -t -f $conf");
    ok($ok, "$n: keepalived -t takes it") or diag $out;
    $ka{$n} = $net->spawn($n, "$dir/$n/keepalived.log", $KEEPALIVED,
        '-n', '-l', '-D', '--vrrp', '-f', $conf,
        '-p', "$dir/$n/keepalived.pid", '-r', "$dir/$n/vrrp.pid",
        '-c', "$dir/$n/checkers.pid");
}

sub has_vip {
    my ($n) = @_;
    my ($ok, $out) = $net->in_ns($n, 'ip -4 -o addr show dev eth0');
    return $out =~ /inet \Q$VIP\E\//;
}

sub ka_log { slurp("$dir/$_[0]/keepalived.log") }

# a count of "Entering STATE" lines of node n's instance
sub entered {
    my ($n, $state) = @_;
    my @m = ka_log($n) =~ /weir_vip\) Entering \Q$state\E STATE/g;
    return scalar @m;
}

keepalived('n1');
ok(wait_for(sub { has_vip('n1') }, 10), 'n1 alone: takes the VIP')
    or diag ka_log('n1');
keepalived('n2');
ok(wait_for(sub { entered('n2', 'BACKUP') >= 1 }, 10), 'n2: BACKUP')
    or diag ka_log('n2');
ok(!has_vip('n2'), 'n2 has not the VIP');

ok(wait_for(sub { ($got = request()) && $got =~ / \Q$IP{n1}\E$/ }, 10),
   'the client is served via n1') or diag($got // 'no answer');
my ($target) = split ' ', $got // '';

# the sticky clients' bindings in n1's tables (ROUND_ROBIN chose them)
my @from = map { "10.252.0.$_" } 20 .. 27;
$net->must("client $_", "ip -n " . $net->ns('client') . " addr add $_/24 dev eth0")
    for @from;
my %sticky;
for my $ip (@from) {
    my $got1 = request(81, $ip);
    my $got2 = request(81, $ip);
    $sticky{$ip} = (split ' ', $got1)[0]
        if defined $got1 && defined $got2 && $got1 eq $got2
           && $got1 =~ / \Q$IP{n1}\E$/;
}
is(scalar(keys %sticky), scalar @from,
   'via n1, each of 8 sticky clients keeps its target (SOURCE_IP persistence)');
my %spread = map { $_ => 1 } values %sticky;
is(scalar(keys %spread), 2, 'the ROUND_ROBIN choices use both targets');

my ($web, $sess) = http_get('/login');
ok($web && $web =~ / \Q$IP{n1}\E$/ && $sess,
   'via n1, a target sets JSESSIONID (' . ($sess // 'none') . ')');
my $web_target = (split ' ', $web // '')[0];
my %seen;
for (1 .. 4) {
    my ($w) = http_get('/', "JSESSIONID=$sess");
    $seen{(split ' ', $w // 'none')[0]}++;
}
is_deeply(\%seen, { $web_target => 4 }, 'the APP_COOKIE client keeps its'
          . ' target via n1');

# n2 acknowledged every update of n1's journal before n1 dies
ok(wait_for(sub {
    my $c = cluster('n1');
    my ($p) = @{ $c->{peers} // [] };
    ($c->{role} // '') eq 'active' && ($c->{journal_id} // 0) >= 9
        && $p && $p->{name} eq 'n2' && $p->{connected} && $p->{lag} == 0 },
            10),
   'n1 active, n2 acknowledged every update of n1 (lag 0)')
    or diag show(cluster('n1'));

# --- kill -9 of the active weir master ---

kill 'KILL', $weir{n1};
my $t0 = time;
ok(wait_for(sub { has_vip('n2') }, $BOUND + 5), 'the VIP moves to n2')
    or diag ka_log('n1') . ka_log('n2');
my $took = time - $t0;
ok($took <= $BOUND, sprintf("... within advert_int x 3 + interval x fall"
   . " = %d s (%.1f s)", $BOUND, $took));
diag sprintf('failover took %.2f s', $took);
ok(wait_for(sub { !has_vip('n1') }, 5), 'n1 gave the VIP up');
like(ka_log('n1'), qr/weir_vip\) Entering FAULT STATE/,
     'n1: FAULT (its track_script failed)');

ok(wait_for(sub { ($got = request()) && $got =~ / \Q$IP{n2}\E$/ }, 10),
   'the client is served via n2') or diag($got // 'no answer');
is((split ' ', $got // '')[0], $target,
   'by the same target (SOURCE_IP: the nodes choose alike)');

# n2 never chose for these clients: the bindings are n1's, synced. Asked
# grouped by target (all of t1's clients, then t2's), a fresh
# ROUND_ROBIN choice would alternate and miss about half of them.
my @order = sort { $sticky{$a} cmp $sticky{$b} || $a cmp $b } keys %sticky;
my @after;
for my $ip (@order) {
    my $got1 = request(81, $ip);
    push @after, $ip if defined $got1 && $got1 eq "$sticky{$ip} $IP{n2}";
}
is(scalar @after, scalar @order,
   'each SOURCE_IP binding made on n1 holds on n2');
%seen = ();
for (1 .. 6) {
    my ($w) = http_get('/', "JSESSIONID=$sess");
    $seen{$w // 'none'}++;
}
is_deeply(\%seen, { "$web_target $IP{n2}" => 6 },
          'the APP_COOKIE binding made on n1 holds on n2 (6 requests)');
ok(wait_for(sub { (cluster('n2')->{role} // '') eq 'active' }, 5),
   'the sync: n2 is active (it holds the VIP)') or diag show(cluster('n2'));

# --- the old active comes back: standby ---

# the workers the killed master left are ended, as a supervisor would
kill 'KILL', $net->pids('n1', qr/^weir: /);
waitpid($weir{n1}, 0);
my $faults = entered('n1', 'BACKUP');
start_weir('n1');
ok(wait_for(sub { entered('n1', 'BACKUP') > $faults }, 15),
   'weir back on n1: n1 returns to BACKUP') or diag ka_log('n1');

# nopreempt: n1 (priority 150) must not take the VIP from n2 (100); a
# preempting node would within one or two advertisements
my $moved = wait_for(sub { has_vip('n1') || !has_vip('n2') }, 4 * $ADVERT);
ok(!$moved, 'nopreempt: the VIP stays on n2 for 4 advertisement intervals');
ok(wait_for(sub { ($got = request()) && $got =~ / \Q$IP{n2}\E$/ }, 5),
   'still served via n2') or diag($got // 'no answer');
ok(wait_for(sub { my $c = cluster('n1');
                  ($c->{role} // '') eq 'standby'
                  && ($c->{active} // '') eq 'n2' }, 10),
   'the sync: n1 is standby and names n2 the active node')
    or diag show(cluster('n1'));
is((split ' ', request(81, $from[0]) // '')[0], $sticky{$from[0]},
   'a sticky client still reaches its target via n2');

# --- stop ---

kill 'TERM', values %ka;
for my $n (keys %ka) {
    ok(wait_for(sub { waitpid($ka{$n}, POSIX::WNOHANG()) == $ka{$n} }, 10),
       "$n: keepalived stops");
}

done_testing();
