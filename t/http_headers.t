#!/usr/bin/perl
# weir: the heads of HTTP requests and responses as they pass: forwarded
# headers per listener (X-Forwarded-For true appends the client, false
# leaves it, remove strips it; X-Forwarded-Proto and X-Forwarded-Port
# replace what the client sent when on, pass it when off), hop-by-hop
# fields removed both ways (Connection and the fields it names,
# Keep-Alive, Proxy-Connection, TE, Upgrade), absolute-form targets
# rewritten to origin-form, Host added for HTTP/1.0 requests without it.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request
                read_response);

my $w = Weir->new;

my $t = start_http_backend(name => 'T');
my %port = map { $_ => free_port() } qw(all keep strip plain);

sub listener {
    my ($name, $headers) = @_;
    my $l = "      - name: $name\n"
          . "        protocol: HTTP\n"
          . "        protocol_port: $port{$name}\n"
          . "        target_group: pool\n";
    $l .= "        insert_headers: $headers\n" if $headers;
    return $l;
}

$w->write_config("worker_processes: 1\n"
    . "load_balancers:\n"
    . "  - name: web-lb\n"
    . "    type: ALB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . listener('all', '{ X-Forwarded-For: "true", X-Forwarded-Proto: true,'
                      . ' X-Forwarded-Port: true }')
    . listener('keep', '{ X-Forwarded-For: "false" }')
    . listener('strip', '{ X-Forwarded-For: remove }')
    . listener('plain')
    . "    target_groups:\n"
    . "      - name: pool\n"
    . "        protocol: HTTP\n"
    . "        members:\n"
    . "          - { address: 127.0.0.1, protocol_port: $t->{port} }\n");

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

# the head the target received, as a list of "name: value" lines
sub seen {
    my ($listener, @headers) = @_;
    my $s = http_connect($port{$listener});
    my $r = http_request($s, 'GET', '/echo', headers => \@headers);
    close $s;
    return $r ? $r->{body} : '';
}

sub fields {
    my ($head, $name) = @_;
    return join(' | ', $head =~ /^\Q$name\E: (.*?)\r$/mgi);
}

# --- X-Forwarded-For ---
my $h = seen('all');
is(fields($h, 'X-Forwarded-For'), '127.0.0.1',
   'X-Forwarded-For true: the client address is added');

$h = seen('all', 'X-Forwarded-For' => '10.0.0.1',
          'X-Forwarded-For' => '10.0.0.2, 10.0.0.3');
is(fields($h, 'X-Forwarded-For'), '10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1',
   'X-Forwarded-For true: appended to what came, in one field');

$h = seen('plain', 'X-Forwarded-For' => '10.0.0.1');
is(fields($h, 'X-Forwarded-For'), '10.0.0.1, 127.0.0.1',
   'X-Forwarded-For defaults to true');

$h = seen('keep', 'X-Forwarded-For' => '10.0.0.1');
is(fields($h, 'X-Forwarded-For'), '10.0.0.1',
   'X-Forwarded-For false: left as it came');
$h = seen('keep');
is(fields($h, 'X-Forwarded-For'), '', 'X-Forwarded-For false: none added');

$h = seen('strip', 'X-Forwarded-For' => '10.0.0.1',
          'x-forwarded-for' => '10.0.0.2');
is(fields($h, 'X-Forwarded-For'), '',
   'X-Forwarded-For remove: every one stripped');

# --- X-Forwarded-Proto and -Port ---
$h = seen('all', 'X-Forwarded-Proto' => 'https', 'X-Forwarded-Port' => '1');
is(fields($h, 'X-Forwarded-Proto'), 'http',
   'X-Forwarded-Proto true: the listener scheme replaces the client\'s');
is(fields($h, 'X-Forwarded-Port'), $port{all},
   'X-Forwarded-Port true: the listener port replaces the client\'s');

$h = seen('plain');
is(fields($h, 'X-Forwarded-Proto'), '', 'X-Forwarded-Proto off by default');
is(fields($h, 'X-Forwarded-Port'), '', 'X-Forwarded-Port off by default');

$h = seen('plain', 'X-Forwarded-Proto' => 'https');
is(fields($h, 'X-Forwarded-Proto'), 'https',
   'X-Forwarded-Proto off: the client\'s passes');

# --- hop-by-hop fields of the request ---
$h = seen('plain', Connection => 'X-Secret, keep-alive', 'X-Secret' => 's',
          'Keep-Alive' => 'timeout=5', 'Proxy-Connection' => 'keep-alive',
          TE => 'trailers', Upgrade => 'h2c', 'X-Kept' => 'k');
is(join(',', map { fields($h, $_) } qw(Connection X-Secret Keep-Alive
                                       Proxy-Connection TE Upgrade)),
   ',,,,,', 'request: Connection, the field it names, Keep-Alive, '
   . 'Proxy-Connection, TE and Upgrade are removed');
is(fields($h, 'X-Kept'), 'k', 'request: other fields pass');
like($h, qr/^GET \/echo HTTP\/1\.1\r\nHost: localhost\r\n/,
     'request-line and Host as sent');

# --- hop-by-hop fields of the response ---
my $s = http_connect($port{plain});
my $r = http_request($s, 'GET', '/hop');
is(join(',', map { $r->{headers}{lc $_} // '' }
        qw(X-Secret Keep-Alive Proxy-Connection Upgrade)),
   ',,,', 'response: the fields Connection names, Keep-Alive, '
   . 'Proxy-Connection and Upgrade are removed');
is($r->{headers}{'x-kept'}, '1', 'response: other fields pass');
unlike($r->{raw_head}, qr/^Connection:/mi,
       'response: no Connection field while the connection stays open');
$r = http_request($s, 'GET', '/');
is($r && $r->{status}, 200, 'the client connection is still usable');
close $s;

# --- absolute-form, HTTP/1.0 without Host ---
$s = http_connect($port{plain});
print $s "GET http://example.com:8080/echo?x=1 HTTP/1.1\r\nHost: other\r\n\r\n";
$r = read_response($s, 'GET');
like($r->{body}, qr/^GET \/echo\?x=1 HTTP\/1\.1\r\nHost: example\.com:8080\r\n/,
     'absolute-form: origin-form with the authority as Host');
unlike($r->{body}, qr/Host: other/, 'absolute-form: the Host field goes');
close $s;

$s = http_connect($port{plain});
print $s "GET /echo HTTP/1.0\r\n\r\n";
$r = read_response($s, 'GET');
like($r->{body}, qr/^GET \/echo HTTP\/1\.1\r\nHost: 127\.0\.0\.1:$port{plain}\r\n/,
     'HTTP/1.0 without Host goes on as HTTP/1.1 with the listener as Host');
close $s;

check_clean($w);

done_testing();
