#!/usr/bin/perl
# weir: PROXY target groups behind TCP listeners. A small backend records
# every byte a connection brings; the test compares them with the exact
# PROXY protocol header (v1 by default, v2 with proxy_protocol_version: 2)
# built from the client's real address and port and the listener's,
# followed by the client's bytes, over IPv4 and IPv6.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::IP;
use Socket qw(inet_pton AF_INET AF_INET6);
use Test::More;
use Weir qw(free_port wait_for spawn_server);

my $w = Weir->new;
my $dir = $w->dir;

# A backend that writes what each connection sent, up to the client's
# FIN, into $dir/<name>.<n>, then answers "ok" and closes. One connection
# at a time is all the test needs.
sub recorder {
    my ($name, $host) = @_;
    return spawn_server(host => $host, listen => 64, what => 'recorder',
                        serve => sub { record($_[0], $name) });
}

sub record {
    my ($srv, $name) = @_;
    my $n = 0;
    while (my $c = $srv->accept) {
        $n++;
        my $data = '';
        my $sel = IO::Select->new($c);
        while ($sel->can_read(5)) {
            my $k = sysread($c, my $buf, 65536);
            last unless $k;
            $data .= $buf;
        }
        open(my $fh, '>', "$dir/$name.$n.tmp") or die;
        binmode $fh;
        print $fh $data;
        close $fh;
        rename "$dir/$name.$n.tmp", "$dir/$name.$n";
        syswrite($c, "ok");
        close $c;
    }
}

my %rec = (v1 => recorder('v1', '127.0.0.1'),
           v2 => recorder('v2', '127.0.0.1'),
           v1six => recorder('v1six', '::1'),
           v2six => recorder('v2six', '::1'));

my %port = map { $_ => free_port() } qw(v1 v2 v1six v2six);

sub pgroup {
    my ($name, $addr, $version) = @_;
    my $t = "      - name: pool-$name\n"
          . "        protocol: PROXY\n";
    $t .= "        proxy_protocol_version: $version\n" if $version;
    return $t . "        members:\n"
         . "          - { name: r$name, address: \"$addr\", "
         . "protocol_port: $rec{$name}{port} }\n";
}

sub listener {
    my ($name) = @_;
    return "      - { name: $name, protocol: TCP, protocol_port: $port{$name}, "
         . "target_group: pool-$name }\n";
}

$w->write_config("worker_processes: 2\n"
    . "load_balancers:\n"
    . "  - name: pp-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . listener('v1') . listener('v2')
    . "    target_groups:\n"
    . pgroup('v1', '127.0.0.1') . pgroup('v2', '127.0.0.1', 2)
    . "  - name: pp-lb-six\n"
    . "    type: NLB\n"
    . "    address: \"::1\"\n"
    . "    listeners:\n"
    . listener('v1six') . listener('v2six')
    . "    target_groups:\n"
    . pgroup('v1six', '::1') . pgroup('v2six', '::1', 2));

ok($w->start($port{v1}, $port{v2}), 'weir started')
    or BAIL_OUT('weir did not start');
ok(wait_for(sub {
       my $s = IO::Socket::IP->new(PeerHost => '::1',
                                   PeerPort => $port{v1six}) or return 0;
       close $s;
       return 1;
   }), 'the IPv6 listeners accept');

# Send $payload from $local to $peer:$port; returns the client's own port
# and the reply.
sub send_from {
    my ($local, $peer, $port, $payload) = @_;
    my $s = IO::Socket::IP->new(LocalHost => $local, PeerHost => $peer,
                                PeerPort => $port, Proto => 'tcp',
                                Timeout => 5) or die "connect: $@";
    my $cport = $s->sockport;
    syswrite($s, $payload);
    shutdown($s, 1);
    my $sel = IO::Select->new($s);
    my $reply = '';
    while ($sel->can_read(5)) {
        my $k = sysread($s, my $buf, 4096);
        last unless $k;
        $reply .= $buf;
    }
    close $s;
    return ($cport, $reply);
}

# what the recorder got for the connection that brought $payload (the
# start-up probes bring a header and nothing else)
sub recorded {
    my ($name, $payload) = @_;
    for (my $n = 1; -e "$dir/$name.$n"; $n++) {
        open(my $fh, '<', "$dir/$name.$n") or next;
        binmode $fh;
        local $/;
        my $data = <$fh> // '';
        return $data if length $data > length $payload
                        && substr($data, -length $payload) eq $payload;
    }
    return undef;
}

sub v2_header {
    my ($family, $src, $dst, $sport, $dport) = @_;
    my $sig = "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a";
    my $a = inet_pton($family, $src) . inet_pton($family, $dst)
          . pack('nn', $sport, $dport);
    return $sig . "\x21" . ($family == AF_INET ? "\x11" : "\x21")
         . pack('n', length $a) . $a;
}

my $payload = "GET / HTTP/1.0\r\n\r\n" . join('', map { chr } 0 .. 255);

my @cases = (
    [ 'v1', '127.0.0.5', '127.0.0.1', sub {
          "PROXY TCP4 127.0.0.5 127.0.0.1 $_[0] $port{v1}\r\n" } ],
    [ 'v2', '127.0.0.6', '127.0.0.1', sub {
          v2_header(AF_INET, '127.0.0.6', '127.0.0.1', $_[0], $port{v2}) } ],
    [ 'v1six', '::1', '::1', sub {
          "PROXY TCP6 ::1 ::1 $_[0] $port{v1six}\r\n" } ],
    [ 'v2six', '::1', '::1', sub {
          v2_header(AF_INET6, '::1', '::1', $_[0], $port{v2six}) } ],
);

for my $c (@cases) {
    my ($name, $local, $peer, $want) = @$c;
    my $data = "$name $payload";
    my ($cport, $reply) = send_from($local, $peer, $port{$name}, $data);
    is($reply, 'ok', "$name: the client gets the target's answer");
    my $got;
    ok(wait_for(sub { $got = recorded($name, $data) }), "$name: recorded");
    $got //= '';
    my $header = $want->($cport);
    is(unpack('H*', substr($got, 0, length $header)), unpack('H*', $header),
       "$name: the target receives the exact header for client "
       . "$local:$cport");
    ok(substr($got, length $header) eq $data,
       "$name: then the client's bytes, intact");
}

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
