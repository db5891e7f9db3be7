#!/usr/bin/perl
# weir: only WebSocket upgrades are tunnelled (Upgrade: websocket, in any
# case). Any other Upgrade, h2c above all, would take the connection past
# the parser, the forwarded headers and the access log: such a request
# goes on as a plain HTTP/1.1 request without Upgrade (as nginx passes no
# Upgrade unless told to), and a 101 the target answers anyway is a 502.
# Issue 13, defect 9.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(one_target_weir check_clean start_http_backend http_connect http_request
                read_response);

my ($w, $dir, $port, $a) = one_target_weir('A');

# an upgrade request to $path; returns the response and the socket
sub upgrade {
    my ($path, $proto, @more) = @_;
    my $c = http_connect($port);
    print $c "GET $path HTTP/1.1\r\nHost: a\r\nConnection: Upgrade"
           . (@more ? ", HTTP2-Settings" : '') . "\r\nUpgrade: $proto\r\n"
           . join('', map { "$_\r\n" } @more) . "\r\n";
    return (read_response($c, 'GET'), $c);
}

sub echoes {
    my ($c, $r) = @_;
    syswrite($c, 'ping');
    my $got = $r->{rest} // '';
    my $sel = IO::Select->new($c);
    while (length($got) < 4 && $sel->can_read(5)) {
        last unless sysread($c, my $buf, 64);
        $got .= $buf;
    }
    return $got;
}

# WebSocket: tunnelled, in any case
for my $proto ('websocket', 'WebSocket') {
    my ($r, $c) = upgrade('/ws', $proto);
    is($r && $r->{status}, 101, "Upgrade: $proto: 101");
    is($r && echoes($c, $r), 'ping', "Upgrade: $proto: the tunnel echoes");
    close $c;
}

# h2c to a target that would switch: not asked for, so a 502
my ($r, $c) = upgrade('/ws', 'h2c', 'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA');
is($r && $r->{status}, 502,
   'Upgrade: h2c to a target that switches anyway: 502, no tunnel');
close $c;

($r, $c) = upgrade('/ws', 'websocket, h2c');
is($r && $r->{status}, 502, 'Upgrade: websocket, h2c: not tunnelled');
close $c;

# h2c to an ordinary resource: a plain HTTP/1.1 request, without Upgrade
($r, $c) = upgrade('/echo', 'h2c', 'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA');
is($r && $r->{status}, 200, 'Upgrade: h2c to /echo: answered as HTTP/1.1');
unlike($r ? $r->{body} : 'none', qr/^(Upgrade|HTTP2-Settings|Connection):/mi,
       'the target got no Upgrade, HTTP2-Settings or Connection field');
my $r2 = http_request($c, 'GET', '/');
is($r2 && $r2->{status}, 200, 'the connection stays HTTP/1.1 after it');
close $c;

check_clean($w);

done_testing();
