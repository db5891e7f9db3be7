#!/usr/bin/perl
# weir: UDP listeners. Echo through the balancer from several client
# addresses: no client sees another's replies, replies come from the
# listener's address, datagram boundaries are kept (empty, small, large,
# the largest), sessions are balanced by round robin and keep their
# target; the idle timeout ends a session (its next datagram makes a new
# one, which round robin sends to the other target) and traffic keeps it;
# an oversized datagram is dropped and counted and later traffic works; a
# datagram sent to a session's upstream socket from anywhere but the
# target never reaches the client; a closed target port fails the session
# over on a later datagram. With two workers and SOURCE_IP persistence a
# client address keeps its target across source ports, workers and idle
# expiry of its sessions.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use Socket qw(AF_INET AF_INET6 inet_aton inet_ntoa sockaddr_family
              pack_sockaddr_in unpack_sockaddr_in unpack_sockaddr_in6
              inet_ntop);
use Test::More;
use Time::HiRes qw(time sleep);
use Weir qw(free_port wait_for spawn_server);

# A UDP echo target in a child process: each datagram P is answered
# "NAME:P" to its sender, or "NAME:len=N" when P is too long to echo with
# the prefix.
sub udp_backend {
    my ($name) = @_;
    my $b = spawn_server(proto => 'udp', port => free_port(),
                         what => "udp backend $name", serve => sub {
        my ($s) = @_;
        udp_echo($s, $name);
    });
    return { %$b, name => $name };
}

sub udp_echo {
    my ($s, $name) = @_;
    while (1) {
        my $peer = recv($s, my $buf, 70000, 0);
        next unless defined $peer;
        my $reply = length($buf) > 65000 ? "$name:len=" . length($buf)
                                         : "$name:$buf";
        send($s, $reply, 0, $peer);
    }
}

sub udp_client {
    my ($ip) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => $ip, LocalPort => 0,
                                  Proto => 'udp')
        or die "udp client on $ip: $!\n";
    return $s;
}

sub to_port {
    my ($port, $ip) = @_;
    return pack_sockaddr_in($port, inet_aton($ip // '127.0.0.1'));
}

# The next datagram on $s within $t seconds: (payload, "ip:port" of its
# source), or () when none came.
sub recv_one {
    my ($s, $t) = @_;
    return () unless IO::Select->new($s)->can_read($t // 3);
    my $from = recv($s, my $buf, 70000, 0);
    return () unless defined $from;
    my $text;
    if (sockaddr_family($from) == AF_INET6) {
        my ($p, $a) = unpack_sockaddr_in6($from);
        $text = '[' . inet_ntop(AF_INET6, $a) . "]:$p";
    } else {
        my ($p, $a) = unpack_sockaddr_in($from);
        $text = inet_ntoa($a) . ":$p";
    }
    return ($buf, $text);
}

# send $payload to 127.0.0.1:$port and return the reply (or undef)
sub ask {
    my ($s, $port, $payload, $t) = @_;
    send($s, $payload, 0, to_port($port)) or return undef;
    my ($r) = recv_one($s, $t);
    return $r;
}

# ask until a reply comes (datagrams may be lost while weir starts)
sub ask_until {
    my ($s, $port, $payload, $timeout) = @_;
    my $r;
    wait_for(sub { $r = ask($s, $port, $payload, 0.3); defined $r },
             $timeout // 10);
    return $r;
}

sub member {
    my ($b) = @_;
    return "          - { name: $b->{name}, address: 127.0.0.1, "
         . "protocol_port: $b->{port} }\n";
}

sub listener {
    my ($name, $port, $tg, $timeout) = @_;
    return "      - name: $name\n"
         . "        protocol: UDP\n"
         . "        protocol_port: $port\n"
         . "        timeout_client_data: $timeout\n"
         . "        target_group: $tg\n";
}

sub group {
    my ($name, $sticky, @members) = @_;
    my $t = "      - name: $name\n"
          . "        protocol: UDP\n"
          . "        load_balancer_algorithm: ROUND_ROBIN\n";
    $t .= "        session_persistence:\n"
        . "          type: SOURCE_IP\n"
        . "          persistence_timeout: 360\n" if $sticky;
    return $t . "        members:\n" . join('', map { member($_) } @members);
}

my $A = udp_backend('A');
my $B = udp_backend('B');
my $dead = { name => 'dead', port => free_port() };   # nobody listens

my %port = map { $_ => free_port() } qw(rr idle failover v6 sticky);

# --- one worker: round robin is exact ---
my $w = Weir->new;
$w->write_config("worker_processes: 1\n"
    . "log_level: debug\n"
    . "load_balancers:\n"
    . "  - name: udp-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . listener('rr', $port{rr}, 'pool-rr', 50000)
    . listener('idle', $port{idle}, 'pool-idle', 1000)
    . listener('failover', $port{failover}, 'pool-failover', 50000)
    . "    target_groups:\n"
    . group('pool-rr', 0, $A, $B)
    . group('pool-idle', 0, $A, $B)
    . group('pool-failover', 0, $dead, $B)
    . "  - name: udp-lb6\n"
    . "    type: NLB\n"
    . "    address: \"::1\"\n"
    . "    listeners:\n"
    . listener('v6', $port{v6}, 'pool-v6', 50000)
    . "    target_groups:\n"
    . group('pool-v6', 0, $A));

ok($w->start(), 'weir started') or BAIL_OUT('weir did not start: '
    . $w->log_text);

my $probe = udp_client('127.0.0.1');
like(ask_until($probe, $port{rr}, 'ping'), qr/^[AB]:ping\z/,
     'a datagram comes back through the rr listener');

# --- several clients at once, replies never mixed up ---
my @ips = map { "127.0.0.$_" } 2 .. 9;
my %cl = map { $_ => udp_client($_) } @ips;

for my $ip (@ips) {
    send($cl{$ip}, "hello from $ip", 0, to_port($port{rr})) or die $!;
}

my (%target, %from, $mixed);
for my $ip (@ips) {
    my ($r, $src) = recv_one($cl{$ip});
    $from{$ip} = $src // '';
    if (defined $r && $r =~ /^([AB]):hello from \Q$ip\E\z/) {
        $target{$ip} = $1;
    } else {
        $mixed = ($r // 'nothing');
    }
}
is(scalar(keys %target), 8, '8 clients each got their own reply')
    or diag("got: $mixed");
is(scalar(grep { $from{$_} eq "127.0.0.1:$port{rr}" } @ips), 8,
   'every reply comes from the listener address');
my %per = (A => 0, B => 0);
$per{$_}++ for values %target;
is("$per{A}:$per{B}", '4:4', 'round robin over 8 new sessions: 4 and 4');

# each client keeps its target while its session lives
my $kept = 0;
for my $round (1 .. 3) {
    for my $ip (@ips) {
        send($cl{$ip}, "again $round $ip", 0, to_port($port{rr}));
    }
    for my $ip (@ips) {
        my ($r) = recv_one($cl{$ip});
        $kept++ if defined $r && defined $target{$ip}
                   && $r eq "$target{$ip}:again $round $ip";
    }
}
is($kept, 24, 'a session keeps its target: 24 of 24 replies');

# --- datagram boundaries ---
my $c = $cl{'127.0.0.2'};
my $t = $target{'127.0.0.2'} // 'A';
my @sizes = (0, 1, 1000, 30000, 60000);
for my $n (@sizes) {
    defined(send($c, "x" x $n, 0, to_port($port{rr}))) or die "send $n: $!";
}
my @got;
for (@sizes) {
    my ($r) = recv_one($c);
    push @got, defined $r ? length($r) : -1;
}
is("@got", join(' ', map { $_ + 2 } @sizes),
   'five datagrams (0 to 60000 bytes) give five replies of matching sizes');

my $bin = join '', map { chr } 0 .. 255;
is(ask($c, $port{rr}, $bin), "$t:$bin", 'binary bytes pass intact');
is(ask($c, $port{rr}, 'y' x 65507), "$t:len=65507",
   'the largest IPv4 datagram (65507 bytes) is forwarded whole');

# --- oversized datagrams are dropped and counted ---
my $c6 = IO::Socket::IP->new(LocalHost => '::1', Proto => 'udp',
                             PeerHost => '::1', PeerPort => $port{v6})
    or die "udp client on ::1: $!";
$c6->send('z' x 65520) or die "send: $!";
ok($w->wait_log(qr/udp listener "v6": oversized datagram \(\[::1\]:\d+\) /
                . qr/dropped, 1 so far/, 5),
   'a 65520-byte IPv6 datagram is dropped and counted');
$c6->send('small');
my ($r6) = recv_one($c6);
is($r6, 'A:small', 'the same client is served after the oversized one');
$c6->send('z' x 65520);
$c6->send('after');
($r6) = recv_one($c6);
is($r6, 'A:after', 'and after another');

# --- a datagram to an upstream socket from elsewhere never gets through ---
# weir's sockets connected to target A or B (remote port in /proc/net/udp)
sub upstream_ports {
    my %want = map { sprintf('0100007F:%04X', $_->{port}) => 1 } ($A, $B);
    my @p;
    open(my $fh, '<', '/proc/net/udp') or return ();
    while (<$fh>) {
        my @f = split;
        next unless @f > 3 && $want{$f[2]};
        push @p, hex((split /:/, $f[1])[1]) if $f[1] =~ /^0100007F:/;
    }
    return @p;
}
my @up = upstream_ports();
ok(@up >= 8, 'upstream sockets are found (' . scalar(@up) . ')');
my $spoofer = udp_client('127.0.0.1');
send($spoofer, 'spoof', 0, to_port($_)) for @up;
my $clean = 0;
for my $ip (@ips) {
    $clean++ if (ask($cl{$ip}, $port{rr}, "real $ip") // '') =~ /:real \Q$ip\E\z/;
}
is($clean, 8, 'a foreign datagram to the upstream sockets reaches no client');

# --- idle timeout (1 s) ---
my $ic = udp_client('127.0.0.10');
my $first = ask_until($ic, $port{idle}, 'one', 5) // '';
my ($t1) = $first =~ /^([AB]):one\z/;
ok($t1, "the idle-test client reached target " . ($t1 // 'none'));
my $iport = $ic->sockport;
my $expired = qr/udp session 127\.0\.0\.10:$iport on listener "idle" /
            . qr/expired after (\d+) ms idle/;
$expired = qr/$expired/;

# traffic every 400 ms keeps the session (and its target) for 2 s
my $same = 0;
for my $i (1 .. 5) {
    sleep 0.4;
    $same++ if (ask($ic, $port{idle}, "keep $i") // '') eq ($t1 // '?') . ":keep $i";
}
is($same, 5, 'traffic within the timeout keeps the session and target');
unlike($w->log_text, $expired, 'no expiry while there is traffic');

my $t0 = time;
ok($w->wait_log($expired, 5), 'after 1 s of silence the session expires');
my ($ms) = $w->log_text =~ $expired;
ok(defined $ms && $ms >= 1000 && $ms < 3000,
   'it expired after ' . ($ms // '?') . ' ms idle (1000 ms timeout)');
my $second = ask($ic, $port{idle}, 'two') // '';
my ($t2) = $second =~ /^([AB]):two\z/;
ok($t2 && $t1 && $t2 ne $t1,
   "its next datagram makes a new session: round robin gives target "
   . ($t2 // 'none'));

# --- a target that is down: the session fails over ---
my @fips = map { "127.0.0.$_" } 20 .. 23;
my ($served, $tries_ok) = (0, 0);
for my $ip (@fips) {
    my $s = udp_client($ip);
    my $r = ask($s, $port{failover}, "f $ip", 1);
    my $n = 1;
    if (!defined $r) {
        $r = ask($s, $port{failover}, "f $ip", 3);
        $n++;
    }
    $served++ if ($r // '') eq "B:f $ip";
    $tries_ok++ if $n <= 2;
}
is($served, 4, 'every client of the group with a dead target reaches B');
is($tries_ok, 4, 'within two datagrams each');
ok($w->wait_log(qr/\[error\].*udp\ session\ 127\.0\.0\.2[0-3]:\d+\ on
                   \ listener\ "failover":\ \w+\(\)\ (?:to|from)\ target
                   \ 127\.0\.0\.1:$dead->{port}\ "dead"\ failed.*
                   Connection\ refused/x, 5),
   'the refused target is logged as failed');

# later sessions still avoid nothing they should not: B keeps serving
my $late = udp_client('127.0.0.24');
my $lr = ask($late, $port{failover}, 'late', 1);
$lr = ask($late, $port{failover}, 'late', 3) unless defined $lr;
is($lr, 'B:late', 'a new client fails over too');

like(ask($probe, $port{rr}, 'still there'), qr/^[AB]:still there\z/,
     'weir still serves after all of it');
unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');
$w->stop;

# --- two workers, SOURCE_IP persistence ---
my $w2 = Weir->new;
$w2->write_config("worker_processes: 2\n"
    . "log_level: debug\n"
    . "load_balancers:\n"
    . "  - name: udp-sticky\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . listener('sticky', $port{sticky}, 'pool-sticky', 1000)
    . "    target_groups:\n"
    . group('pool-sticky', 1, $A, $B));
ok($w2->start(), 'weir with two workers started')
    or BAIL_OUT('weir did not start: ' . $w2->log_text);
ok(wait_for(sub { $w2->workers == 2 }), 'two workers run');

my $sp = udp_client('127.0.0.1');
like(ask_until($sp, $port{sticky}, 'ping'), qr/^[AB]:ping\z/,
     'the sticky listener answers');

# one address, 16 source ports: the kernel spreads them over both workers'
# sockets; every session must reach the same target
my @ports16 = map { udp_client('127.0.0.30') } 1 .. 16;
my %seen;
for my $s (@ports16) {
    my $r = ask($s, $port{sticky}, 'hi', 3) // ask($s, $port{sticky}, 'hi', 3);
    $seen{defined $r && $r =~ /^([AB]):hi\z/ ? $1 : 'none'}++;
}
my $sticky_t = join(',', sort keys %seen);
like($sticky_t, qr/^[AB]\z/,
     "16 sessions of one address all reach one target ($sticky_t)");

# which worker made each session: "PID#worker N: udp session IP:PORT ..."
my (%by_worker, %targets);
my $made = qr/\d+#(worker \d+): udp session 127\.0\.0\.30:\d+ /
         . qr/on listener "sticky" to target \S+ "(\w+)"/;
for (split /\n/, $w2->log_text) {
    next unless /$made/;
    $by_worker{$1}++;
    $targets{$2}++;
}
is(scalar(keys %by_worker), 2, 'sessions of that address ran in both '
   . 'workers: ' . join(', ', map { "$_: $by_worker{$_}" } sort keys %by_worker));
is(join(',', sort keys %targets), $sticky_t,
   'and both workers sent them to the same target');

# other addresses are spread over both targets
my %spread;
for my $i (31 .. 38) {
    my $s = udp_client("127.0.0.$i");
    my $r = ask($s, $port{sticky}, 'x', 3) // ask($s, $port{sticky}, 'x', 3);
    $spread{$1}++ if defined $r && $r =~ /^([AB]):x\z/;
}
is(join(',', sort keys %spread), 'A,B',
   'eight other addresses use both targets');

# after the sessions expired, a fresh session keeps the bound target
my $exp30 = qr/udp session 127\.0\.0\.30:\d+ on listener "sticky" expired/;
ok($w2->wait_log($exp30, 5), 'the sessions of 127.0.0.30 expire');
ok(wait_for(sub {
       my $n = () = $w2->log_text =~ /$exp30/g;
       $n >= 16 }, 5), 'all 16 of them');
my %after;
for my $s (map { udp_client('127.0.0.30') } 1 .. 8) {
    my $r = ask($s, $port{sticky}, 'back', 3) // ask($s, $port{sticky}, 'back', 3);
    $after{defined $r && $r =~ /^([AB]):back\z/ ? $1 : 'none'}++;
}
is(join(',', keys %after), $sticky_t,
   'after expiry, new sessions from 127.0.0.30 keep target ' . $sticky_t);
# --- reload: the sockets stay, old sessions drain, bindings survive ---
my @old = $w2->workers;
my $rc = udp_client('127.0.0.40');
like(ask($rc, $port{sticky}, 'before', 3) // '', qr/^[AB]:before\z/,
     'a client is served before a reload');
$w2->signal('HUP');
ok(wait_for(sub {
       my %o = map { $_ => 1 } @old;
       return 2 == grep { !$o{$_} } $w2->workers;
   }, 10), 'two new workers after HUP');
ok(wait_for(sub {
       my %now = map { $_ => 1 } $w2->workers;
       return !grep { $now{$_} } @old;
   }, 10), 'the old workers exit once their sessions are idle');
unlike($w2->log_text, qr/shutdown timeout/, 'without the shutdown timeout');
like(ask_until($rc, $port{sticky}, 'after', 5) // '', qr/^[AB]:after\z/,
     'the client is served by the new workers');
my %reloaded;
for my $s (map { udp_client('127.0.0.30') } 1 .. 4) {
    my $r = ask($s, $port{sticky}, 'new', 3) // ask($s, $port{sticky}, 'new', 3);
    $reloaded{defined $r && $r =~ /^([AB]):new\z/ ? $1 : 'none'}++;
}
is(join(',', keys %reloaded), $sticky_t,
   'the binding of 127.0.0.30 survives the reload');
unlike($w2->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');
$w2->stop;

done_testing();
