#!/usr/bin/perl
# weir: two nodes with a peers block (SPEC.md section 12), as two weir
# instances on 127.0.0.1 with their own ports. SOURCE_IP bindings made on
# node a (TCP, clients from 127.0.0.2..9) and an APP_COOKIE binding (HTTP,
# JSESSIONID) give the same targets on node b; an HTTP_COOKIE cookie
# (WEIRSTICKY) node a issued is honoured by node b, whose workers drew a
# secret of their own at their start, without a reload of node b (the
# workers take node a's secret when the sync applies it); a peer that
# sends garbage,
# or stops in the middle of a frame, is dropped while traffic goes on;
# after a partition (node b's sync process stopped with SIGSTOP for 5 s
# while node a makes new bindings) node b catches up from the last update
# id it acknowledged, without a full copy. With peers.tls (certificates
# of one CA made here with openssl), the sync works over TLS, a plain
# TCP peer is refused, and a node whose certificate is of another CA is
# refused both ways, the reason logged, while node a serves on.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use File::Temp ();
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for start_backend);
use WeirHTTP qw(start_http_backend http_connect http_request);
use WeirAdmin qw(admin_client);

my %be = map { $_ => start_backend(name => $_, mode => 'tag') } qw(A B C);
my @hb = map { start_http_backend(name => "H$_") } qw(A B C);
my %sync = map { $_ => free_port() } qw(a b);
my %port = map { $_ => { tcp => free_port(), http => free_port(),
                          ck => free_port(), admin => free_port() } }
           qw(a b);
my $token = 'peers-test-token';

sub config {
    my ($node, %o) = @_;
    my $tcp = join('', map {
        "          - { name: m$_, address: 127.0.0.1, protocol_port: "
        . "$be{$_}{port} }\n" } qw(A B C));
    my $http = join('', map {
        "          - { name: $_->{name}, address: 127.0.0.1, protocol_port: "
        . "$_->{port} }\n" } @hb);
    my $vip = $o{vip} ? "  vip: $o{vip}\n" : '';
    $vip .= "  tls: { certificate: $o{tls}[0], key: $o{tls}[1], "
            . "ca: $o{tls}[2] }\n" if $o{tls};
    return <<"EOF";
worker_processes: 2
log_level: debug
admin:
  listen: 127.0.0.1:$port{$node}{admin}
  token_file: admin.token
peers:
  local: $node
$vip  nodes:
    - { name: a, address: 127.0.0.1:$sync{a} }
    - { name: b, address: 127.0.0.1:$sync{b} }
load_balancers:
  - name: tcp-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: tcp, protocol: TCP, protocol_port: $port{$node}{tcp}, target_group: pool }
    target_groups:
      - name: pool
        protocol: TCP
        load_balancer_algorithm: ROUND_ROBIN
        session_persistence: { type: SOURCE_IP, persistence_timeout: 360 }
        members:
$tcp
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: app, protocol: HTTP, protocol_port: $port{$node}{http}, target_group: tg-app }
      - { name: ck, protocol: HTTP, protocol_port: $port{$node}{ck}, target_group: tg-ck }
    target_groups:
      - name: tg-app
        protocol: HTTP
        session_persistence: { type: APP_COOKIE, cookie_name: JSESSIONID, persistence_timeout: 360 }
        members:
$http
      - name: tg-ck
        protocol: HTTP
        load_balancer_algorithm: ROUND_ROBIN
        session_persistence: { type: HTTP_COOKIE, persistence_timeout: 360 }
        members:
$http
EOF
}

# one TCP exchange from source address $ip to node $node: the target
sub from {
    my ($node, $ip) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => $ip, PeerAddr => '127.0.0.1',
                                  PeerPort => $port{$node}{tcp},
                                  Proto => 'tcp', Timeout => 5)
        or return undef;
    syswrite($s, "hi\n");
    shutdown($s, 1);
    my $sel = IO::Select->new($s);
    my $r = '';
    while ($sel->can_read(5)) {
        my $n = sysread($s, my $buf, 4096);
        last unless $n;
        $r .= $buf;
    }
    close $s;
    return $r =~ /^([ABC]) hi\n\z/ ? $1 : undef;
}

# one HTTP request to node $node (listener $l, default http): the target
# that answered (and, in list context, its WEIRSTICKY value or undef)
sub req {
    my ($node, $path, $cookie, $l) = @_;
    my $s = http_connect($port{$node}{$l // 'http'}) or return '';
    my $r = http_request($s, 'GET', $path,
                         headers => [$cookie ? (Cookie => $cookie) : ()]);
    close $s;
    return '' unless $r && $r->{status} == 200;
    my ($v) = ($r->{headers}{'set-cookie'} // '') =~ /^WEIRSTICKY=([0-9a-f]+)/m;
    return wantarray ? ($r->{headers}{'x-backend'} // '', $v)
                     : $r->{headers}{'x-backend'} // '';
}

# the highest update id node $w's log says peer b acknowledged
sub acked {
    my ($w) = @_;
    my $max = 0;
    for ($w->log_text =~ /peer "b" acknowledged update id (\d+)/g) {
        $max = $_ if $_ > $max;
    }
    return $max;
}

my %w;
my %api;
for my $node (qw(a b)) {
    $w{$node} = Weir->new;
    open(my $fh, '>', $w{$node}->dir . '/admin.token') or die $!;
    print $fh "$token\n";
    close $fh;
    chmod 0600, $w{$node}->dir . '/admin.token';
    $api{$node} = admin_client($port{$node}{admin}, $token);
    $w{$node}->write_config(config($node));
    ok($w{$node}->start($port{$node}{tcp}, $port{$node}{http}),
       "node $node started") or BAIL_OUT("node $node did not start");
}

ok($w{a}->wait_log(qr/peer "b": sending a full copy/)
   && $w{b}->wait_log(qr/peer "a" connected/),
   'node a connects to node b and sends it a full copy');
ok($w{b}->wait_log(qr/peer "a": sending a full copy/)
   && $w{a}->wait_log(qr/peer "b" connected/), 'and node b to node a');
is(scalar($w{a}->children(qr/sync process/)), 1, 'one sync process');

# --- SOURCE_IP and APP_COOKIE bindings made on node a ---
my @clients = map { "127.0.0.$_" } 2 .. 9;
my %target;
for my $ip (@clients) {
    $target{$ip} = from('a', $ip);
    my $again = from('a', $ip);
    $target{$ip} = undef unless defined $again && defined $target{$ip}
                                && $again eq $target{$ip};
}
is(scalar(grep { defined } values %target), scalar @clients,
   'each client keeps its target on node a');
my %used = map { $_ => 1 } grep { defined } values %target;
ok(keys(%used) >= 2, 'the clients are spread over targets');

my $bound = req('a', '/login');
ok($bound, "on node a a target set JSESSIONID=abc ($bound)");

# node a's cluster view: its peer b acknowledged every update of node
# a's journal (8 SOURCE_IP bindings, one APP_COOKIE binding, the
# HTTP_COOKIE secret): lag 0
sub synced {
    my $x = $api{a}->('GET', '/api/v1/cluster');
    my $c = $x && $x->{json} ? $x->{json}{cluster} : undef;
    return $c && $c->{journal_id} >= 9 && $c->{peers}[0]{lag} == 0
           && $c->{peers}[0]{acked_id} == $c->{journal_id};
}
ok(wait_for(\&synced, 5), 'node b acknowledged every update of node a');

my $same = grep { (from('b', $_) // '') eq ($target{$_} // 'none') }
           @clients;
is($same, scalar @clients,
   'every SOURCE_IP client gets the same target on node b');
my %seen;
$seen{req('b', '/', 'JSESSIONID=abc')}++ for 1 .. 6;
is_deeply(\%seen, { $bound => 6 },
          "the APP_COOKIE value reaches $bound on node b too");

# --- HTTP_COOKIE: node a's cookie on node b, no reload of b ---
# Both nodes' workers drew a secret at their start; node b's sync process
# took node a's (the first node listed) and its workers use it from their
# next HTTP_COOKIE request. Six requests with node a's cookie: a fresh
# ROUND_ROBIN choice over three targets would spread them.
{
    my ($who, $v) = req('a', '/', undef, 'ck');
    ok($who && $v, "node a's target $who is named by WEIRSTICKY="
       . ($v // 'none'));
    my %ck;
    for (1 .. 6) {
        my ($w2, $v2) = req('b', '/', "WEIRSTICKY=$v", 'ck');
        $ck{$w2}++;
        $ck{'new cookie'}++ if defined $v2 && $v2 ne $v;
    }
    is_deeply(\%ck, { $who => 6 },
              "node b honours node a's cookie (6 requests to $who), "
              . 'no reload of node b');
    like($w{b}->log_text, qr/the HTTP_COOKIE secret of the peers is taken/,
         "node b's workers say they took the peers' secret");
}

# --- roles: without peers.vip the first node listed is the active one ---
my $c = $api{a}->('GET', '/api/v1/cluster');
is($c && $c->{status}, 200, 'GET /api/v1/cluster on node a');
my $ca = $c && $c->{json} ? $c->{json}{cluster} : {};
is($ca->{role}, 'active', 'node a is active');
is($ca->{active}, 'a', 'and names itself the active node');
my ($pb) = @{ $ca->{peers} // [] };
is($pb && $pb->{name}, 'b', 'its peer is b');
ok($pb && $pb->{connected} && $pb->{acked_id} >= 9
   && $pb->{lag} == $ca->{journal_id} - $pb->{acked_id},
   "b: connected, acked id $pb->{acked_id}, lag $pb->{lag} of journal id "
   . "$ca->{journal_id}");
ok(wait_for(sub {
    my $x = $api{b}->('GET', '/api/v1/cluster');
    $x && $x->{json} && ($x->{json}{cluster}{active} // '') eq 'a' }, 5),
   'node b knows that node a is active');
my $cb = $api{b}->('GET', '/api/v1/cluster')->{json}{cluster};
is($cb->{role}, 'standby', 'node b is standby');
is($cb->{peers}[0]{role}, 'active', 'its peer a says it is active');

my $new_lb = { load_balancer => { name => 'extra-lb', type => 'NLB',
                                  address => '127.0.0.1' } };
my $r = $api{b}->('POST', '/api/v1/load-balancers', $new_lb);
is($r && $r->{status}, 409, 'a write on the standby gets 409');
like($r && $r->{json} ? $r->{json}{error}{message} : '',
     qr/this node \(b\) is standby; writes go to the active node a/,
     'naming the active node');
$r = $api{b}->('GET', '/api/v1/load-balancers');
is($r && $r->{status}, 200, 'a read on the standby is answered');
# --- garbage, and a peer gone in the middle of a frame ---
{
    my $g = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $sync{b}, Proto => 'tcp');
    ok($g, 'connected to node b\'s sync port');
    syswrite($g, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    ok($w{b}->wait_log(qr/"\(not named yet\)" closed: frame length out of/,
                       5),
       'a connection sending HTTP is dropped: "frame length out of range"');
    close $g;

    # a HELLO frame cut short, then the connection closed
    my $h = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $sync{b}, Proto => 'tcp');
    syswrite($h, "\x00\x00\x00\x0c\x01\x01\x01a\x00");
    close $h;
    ok($w{b}->wait_log(qr/closed: closed in the middle of a message/, 5),
       'a peer gone in the middle of a frame is dropped');

    # a HELLO from a node the block does not name
    my $x = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $sync{b}, Proto => 'tcp');
    syswrite($x, "\x00\x00\x00\x0c\x01\x01\x01z" . ("\x00" x 8));
    ok($w{b}->wait_log(qr/closed: HELLO from a node the peers block/, 5),
       'a HELLO from a stranger too');
    close $x;

    is(from('b', '127.0.0.2'), $target{'127.0.0.2'},
       'node b serves on, its bindings intact');
}

# --- a partition: node b's sync process stopped for 5 s ---
# SIGSTOP freezes node b's side of the link: node a's messages go
# unanswered and node a hears nothing (not even the once-a-second ACK),
# as when the link is cut. Node a drops the connection after 3 s and
# keeps trying; the kernel still completes its connects into the stopped
# process's backlog, but no WELCOME comes, so nothing is sent on them.
# The new bindings are made after the drop, so no socket buffer holds
# them: on SIGCONT node b must get them through a new connection, from
# the last update id it applied. (What a SIGSTOP does not model: a cut
# that loses what the kernels had buffered; the resume does not depend
# on it, the WELCOME names what was applied, whichever way it came.)
my ($sb) = $w{b}->children(qr/sync process/);
ok($sb, 'node b\'s sync process');
kill 'STOP', $sb;
my $t0 = time;
ok($w{a}->wait_log(qr/outgoing connection to peer "b" closed: nothing/, 8),
   'node a drops the silent connection');
my @late = map { "127.0.1.$_" } 2 .. 7;
my %late;
for my $ip (@late) {
    $late{$ip} = from('a', $ip);
}
is(scalar(grep { defined } values %late), scalar @late,
   'node a serves and makes 6 new bindings during the partition');

my $left = 5 - (time - $t0);
select(undef, undef, undef, $left) if $left > 0;   # the partition's length
kill 'CONT', $sb;

my $resume;
ok(wait_for(sub {
    ($resume) = $w{a}->log_text =~ /peer "b": resuming after update id (\d+)/;
    defined $resume }, 10),
   'node a resumes after the last update id node b applied ('
   . ($resume // '-') . ')');
ok(wait_for(sub { acked($w{a}) >= ($resume // 1e9) + 6 }, 5),
   'node b acknowledges the 6 updates it lacked');
my $full = () = $w{a}->log_text =~ /peer "b": sending a full copy/g;
is($full, 1, 'no second full copy');
my $same2 = grep { (from('b', $_) // '') eq ($late{$_} // 'none') } @late;
is($same2, scalar @late, 'the bindings made during the partition hold on '
   . 'node b');

# --- configuration in step (last: the load_balancers of node a, its
# listening ports included, become node b's; two nodes of a real pair
# have the same ones) ---
$r = $api{a}->('POST', '/api/v1/load-balancers', $new_lb);
is($r && $r->{status}, 201, 'the same write on the active is taken');

sub has_lb {
    my ($node, $name) = @_;
    my $x = $api{$node}->('GET', '/api/v1/load-balancers');
    return $x && $x->{json}
           && grep { $_->{name} eq $name } @{ $x->{json}{load_balancers} };
}
my $t1 = time;
ok(wait_for(sub { has_lb('b', 'extra-lb') }, 1),
   'the new balancer is on the standby within 1 s');
diag(sprintf('took %.0f ms', 1000 * (time - $t1)));
ok(wait_for(sub { $w{b}->log_text =~
                 /admin: configuration version 1 of the active node written/
             }, 5),
   'the standby wrote version 1 through its master');
my $file_b = do { local (@ARGV, $/) = ($w{b}->dir . '/weir.yaml'); <> };
like($file_b, qr/extra-lb/, 'it is in the standby\'s file');
like($file_b, qr/config_version: 1\b/, 'with its version');
like($file_b, qr/local: b\b/, 'the standby keeps its own peers block');
ok(wait_for(sub {
    my $x = $api{a}->('GET', '/api/v1/cluster');
    my $c = $x && $x->{json} ? $x->{json}{cluster} : {};
    ($c->{config_version} // 0) == 1
        && ($c->{peers}[0]{config_version} // 0) == 1 }, 5),
   'the active\'s cluster view: version 1 here and on b');


# a change while node b's sync process is stopped reaches it after
kill 'STOP', $sb;
$r = $api{a}->('POST', '/api/v1/load-balancers',
               { load_balancer => { name => 'part-lb', type => 'NLB',
                                    address => '127.0.0.1' } });
is($r && $r->{status}, 201, 'node a takes a change (version 2) while node '
   . 'b\'s sync process is stopped');
my $n_closed = () = $w{a}->log_text =~ /to peer "b" closed: nothing/g;
ok(wait_for(sub {
    my $k = () = $w{a}->log_text =~ /to peer "b" closed: nothing/g;
    $k > $n_closed }, 8), 'node a drops the silent connection again');
kill 'CONT', $sb;
ok(wait_for(sub { has_lb('b', 'part-lb') }, 5),
   'after it, version 2 reaches node b');
ok(!has_lb('a', 'nothing-lb') && has_lb('b', 'extra-lb'),
   'and node b keeps version 1\'s balancer');

for my $node (qw(a b)) {
    unlike($w{$node}->log_text, qr/\[(alert|crit|emerg)\]/,
           "no alert in node $node\'s log");
}

# --- roles with peers.vip: the node holding the VIP is active ---
# (192.0.2.1, TEST-NET-1, is on no interface here; 127.0.0.1 is on lo.
# Moving a VIP between two nodes needs an address added and removed,
# which a test may only do inside a network namespace of its own.)
$w{a}->stop;
$w{b}->write_config(config('b', vip => '192.0.2.1'));
$w{b}->signal('HUP');
ok($w{b}->wait_log(qr/node "b" is standby: VIP not held/, 10),
   'with a VIP it does not hold, node b is standby');
ok(wait_for(sub {
    my $x = $api{b}->('GET', '/api/v1/cluster');
    $x && $x->{json} && ($x->{json}{cluster}{vip} // '') eq '192.0.2.1'
       && !defined $x->{json}{cluster}{active} }, 10),
   'the cluster view shows the VIP and no active node (a is gone)');
# (right after the reload the old admin process may still take a
# connection and go away with it: asked again until one is answered)
wait_for(sub { $r = $api{b}->('POST', '/api/v1/load-balancers', $new_lb);
               $r && $r->{status} }, 5);
is($r && $r->{status}, 409, 'writes are refused');
like($r && $r->{json} ? $r->{json}{error}{message} : '',
     qr/which is not known now/, 'saying the active node is not known');
$w{b}->write_config(config('b', vip => '127.0.0.1'));
$w{b}->signal('HUP');
ok($w{b}->wait_log(qr/node "b" is active: VIP held/, 10),
   'with a VIP it holds, node b is active');
ok(wait_for(sub {
    my $x = $api{b}->('POST', '/api/v1/load-balancers',
                      { load_balancer => { name => 'vip-lb', type => 'NLB',
                                           address => '127.0.0.1' } });
    $x && $x->{status} == 201 }, 10), 'and takes writes');
unlike($w{b}->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');
$w{b}->stop;

# --- peers.tls: the sync link mutually authenticated ---
SKIP: {
    chomp(my $openssl = `command -v openssl 2>/dev/null` // '');
    skip 'no openssl command', 1 unless $openssl;
    my $pki = File::Temp::tempdir('weir-peers-pki-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    my $ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
    my $sh = sub { system("$_[0] >>$pki/openssl.log 2>&1") == 0
                   or die "$_[0] failed: " . `cat $pki/openssl.log` };
    for my $ca (qw(ca1 ca2)) {
        $sh->("$openssl req -x509 $ec -keyout $pki/$ca.key -out $pki/$ca.crt"
              . " -subj /CN=$ca -days 2");
    }
    # a and b of ca1; "b" again of ca2, the stranger
    for ([qw(a ca1)], [qw(b ca1)], [qw(x ca2)]) {
        my ($n, $ca) = @$_;
        $sh->("$openssl req $ec -keyout $pki/$n.key -out $pki/$n.csr"
              . " -subj /CN=$n");
        $sh->("$openssl x509 -req -in $pki/$n.csr -CA $pki/$ca.crt"
              . " -CAkey $pki/$ca.key -CAcreateserial -out $pki/$n.crt"
              . " -days 2");
    }

    my %t;
    for my $node (qw(a b)) {
        $t{$node} = Weir->new;
        my $d = $t{$node}->dir;
        open(my $fh, '>', "$d/admin.token") or die $!;
        print $fh "$token\n";
        close $fh;
        chmod 0600, "$d/admin.token";
        $t{$node}->write_config(config($node, tls => [
            "$pki/$node.crt", "$pki/$node.key", "$pki/ca1.crt"]));
        ok($t{$node}->start($port{$node}{tcp}),
           "TLS: node $node started") or diag $t{$node}->log_text;
    }
    ok($t{a}->wait_log(qr/peer "b": sending a full copy/, 10)
       && $t{b}->wait_log(qr/peer "a": sending a full copy/, 10),
       'TLS: the nodes connect both ways and send their full copies');

    my @tc = map { "127.0.3.$_" } 2 .. 7;
    my %tt = map { $_ => from('a', $_) } @tc;
    is(scalar(grep { defined } values %tt), scalar @tc,
       'TLS: node a makes 6 SOURCE_IP bindings');
    my $synced_tls = sub {
        my $x = $api{a}->('GET', '/api/v1/cluster');
        my $c = $x && $x->{json} ? $x->{json}{cluster} : undef;
        return $c && $c->{peers}[0]{connected} && $c->{peers}[0]{lag} == 0
               && $c->{journal_id} >= 6;
    };
    ok(wait_for($synced_tls, 5), 'TLS: node b acknowledged them (lag 0)');
    my $same_tls = grep { (from('b', $_) // '') eq ($tt{$_} // 'none') } @tc;
    is($same_tls, scalar @tc, 'TLS: the bindings hold on node b');

    # a peer without TLS: refused before anything of the protocol
    my $g = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $sync{a}, Proto => 'tcp');
    syswrite($g, "\x00\x00\x00\x0c\x01\x01\x01b" . ("\x00" x 8)) if $g;
    ok($t{a}->wait_log(qr/"\(not named yet\)" closed: TLS handshake failed/,
                       5), 'TLS: a plain TCP HELLO is refused');
    close $g if $g;

    # node b again with a certificate of another CA
    $t{b}->stop;
    $t{b}->write_config(config('b', tls => [
        "$pki/x.crt", "$pki/x.key", "$pki/ca1.crt"]));
    ok($t{b}->start($port{b}{tcp}), 'TLS: node b restarted with a '
       . 'certificate of another CA');
    my $refused = qr/closed: TLS handshake failed: the peer's certificate is refused: unable to get local issuer certificate \(peers\.tls\.ca\)/;
    ok($t{a}->wait_log(qr/incoming connection from peer "\(not named yet\)" $refused/, 10),
       "TLS: node a refuses its client certificate, the reason logged");
    ok($t{a}->wait_log(qr/outgoing connection to peer "b" $refused/, 10),
       'and its server certificate');
    my $c = $api{a}->('GET', '/api/v1/cluster');
    ok($c && $c->{json} && !$c->{json}{cluster}{peers}[0]{receiving}
       && !$c->{json}{cluster}{peers}[0]{sending},
       'TLS: node a has no link with it');
    my $served = grep { (from('a', $_) // '') eq ($tt{$_} // 'none') } @tc;
    is($served, scalar @tc, 'TLS: node a serves on, its bindings intact');
    for my $node (qw(a b)) {
        unlike($t{$node}->log_text, qr/\[(alert|crit|emerg)\]/,
               "TLS: no alert in node $node\'s log");
        $t{$node}->stop;
    }
}

done_testing();
