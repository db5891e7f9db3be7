#!/usr/bin/perl
# weir: strict HTTP/1.1 framing on HTTP listeners. Every malformed or
# ambiguous request of the table is answered with its status (400, 405,
# 414, 431, 501, 505), the connection is closed, and the target never
# sees a byte of it (it logs every connection it accepts). A bad request
# after a good one on the same connection: only the good one is
# forwarded.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for);
use WeirHTTP qw(one_target_weir check_clean start_http_backend http_connect read_response
                count_lines);

my ($w, $dir, $port, $t) = one_target_weir('T');

my $H = "Host: a\r\n";
my $long = '/' . ('a' x 9000);
my $many = join('', map { "X-$_: v\r\n" } 1 .. 101);
my $big = join('', map { "X-$_: " . ('v' x 1000) . "\r\n" } 1 .. 17);

my @table = (
    [ 'Content-Length with Transfer-Encoding', 400,
      "POST / HTTP/1.1\r\n${H}Content-Length: 5\r\n"
      . "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" ],
    [ 'duplicate Content-Length, same value', 400,
      "POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n"
      . "\r\nhello" ],
    [ 'duplicate Content-Length, other value', 400,
      "POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n"
      . "\r\nhello!" ],
    [ 'Content-Length list', 400,
      "POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello" ],
    [ 'negative Content-Length', 400,
      "POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n" ],
    [ 'Content-Length with a sign', 400,
      "POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello" ],
    [ 'Content-Length overflow', 400,
      "POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\n" ],
    [ 'bad chunk size', 400,
      "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n" ],
    [ 'chunk size followed by a space', 400,
      "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 \r\n"
      . "hello\r\n0\r\n\r\n" ],
    [ 'chunk data without its CRLF', 400,
      "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\n"
      . "helloXX0\r\n\r\n" ],
    [ 'chunked twice', 400,
      "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n"
      . "0\r\n\r\n" ],
    [ 'chunked not the last coding', 400,
      "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n" ],
    [ 'unknown transfer coding', 501,
      "POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n"
      . "0\r\n\r\n" ],
    [ 'Transfer-Encoding in HTTP/1.0', 400,
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" ],
    [ 'obs-fold', 400,
      "GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n" ],
    [ 'space before the colon', 400,
      "GET / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n" ],
    [ 'NUL in a field value', 400,
      "GET / HTTP/1.1\r\n${H}X-A: b\x00c\r\n\r\n" ],
    [ 'CR in a field value', 400,
      "GET / HTTP/1.1\r\n${H}X-A: b\rc\r\n\r\n" ],
    [ 'bare LF line ending', 400,
      "GET / HTTP/1.1\n${H}\r\n" ],
    [ 'whitespace before the first field', 400,
      "GET / HTTP/1.1\r\n X-A: b\r\n${H}\r\n" ],
    [ 'invalid field name', 400,
      "GET / HTTP/1.1\r\n${H}X(A): b\r\n\r\n" ],
    [ 'invalid method', 400,
      "G\@T / HTTP/1.1\r\n${H}\r\n" ],
    [ 'invalid request-target', 400,
      "GET foo HTTP/1.1\r\n${H}\r\n" ],
    [ 'space in the request-target', 400,
      "GET /a b HTTP/1.1\r\n${H}\r\n" ],
    [ 'fragment in the request-target', 400,
      "GET /a#b HTTP/1.1\r\n${H}\r\n" ],
    [ 'bad percent-encoding', 400,
      "GET /%zz HTTP/1.1\r\n${H}\r\n" ],
    [ 'userinfo in an absolute target', 400,
      "GET http://u\@a/ HTTP/1.1\r\n${H}\r\n" ],
    [ 'missing Host in HTTP/1.1', 400,
      "GET / HTTP/1.1\r\n\r\n" ],
    [ 'duplicate Host', 400,
      "GET / HTTP/1.1\r\n${H}Host: b\r\n\r\n" ],
    [ 'invalid Host', 400,
      "GET / HTTP/1.1\r\nHost: a b\r\n\r\n" ],
    [ 'HTTP/2.0 request-line', 505,
      "GET / HTTP/2.0\r\n${H}\r\n" ],
    [ 'malformed version', 400,
      "GET / HTTP/1.x\r\n${H}\r\n" ],
    [ 'request-line too long', 414,
      "GET $long HTTP/1.1\r\n${H}\r\n" ],
    [ 'too many header fields', 431,
      "GET / HTTP/1.1\r\n${H}$many\r\n" ],
    [ 'header section too large', 431,
      "GET / HTTP/1.1\r\n${H}$big\r\n" ],
    [ 'CONNECT', 405,
      "CONNECT a:443 HTTP/1.1\r\n${H}\r\n" ],
);

ok(@table >= 25, scalar(@table) . ' malformed requests in the table');

# send, then read the response and wait for weir's close
sub exchange {
    my ($data) = @_;
    my $s = http_connect($port) or return ('no connection', 0);
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, 65536, $off);
        last unless defined $n;
        $off += $n;
    }
    my $sel = IO::Select->new($s);
    my $got = '';
    my $closed = 0;
    my $deadline = time + 5;
    while (time < $deadline && $sel->can_read($deadline - time)) {
        my $n = sysread($s, my $buf, 65536);
        if (!$n) { $closed = 1; last; }
        $got .= $buf;
    }
    close $s;
    my ($status) = $got =~ /^HTTP\/1\.1 (\d{3}) /;
    return ($status // 'none', $closed, $got);
}

for my $row (@table) {
    my ($name, $want, $data) = @$row;
    my ($status, $closed, $got) = exchange($data);
    is($status, $want, "$name: $want");
    ok($closed, "$name: connection closed");
    like($got, qr/\r\nConnection: close\r\n/, "$name: says close");
}

is(count_lines("$dir/t.log", qr/^accept/), 0,
   'the target accepted no connection for any of them');

# a good request, then a bad one on the same connection
my $s = http_connect($port);
print $s "GET /first HTTP/1.1\r\nHost: a\r\n\r\n";
my $r = read_response($s, 'GET');
is($r && $r->{status}, 200, 'a good request is forwarded');
print $s "GET /second HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
       . "Content-Length: 1\r\n\r\nx";
$r = read_response($s, 'GET');
is($r && $r->{status}, 400, 'the bad one after it on the same connection: 400');
close $s;

ok(wait_for(sub { count_lines("$dir/t.log", qr/^req/) >= 1 }),
   'the target got the good request');
is(join(',', grep { /^req/ } WeirHTTP::log_lines("$dir/t.log")),
   'req GET /first', 'and nothing of the bad one');

check_clean($w);

done_testing();
