#!/usr/bin/perl
# weir: trailers with HTTP/2 clients (SPEC 13, issue 16). Response
# trailers of a target (chunked trailers of an HTTP/1.1 target, HTTP/2
# trailers of an h2 target) reach an h2 client as a trailing HEADERS frame
# that ends the stream after the last DATA; a response that is one HEADERS
# frame ending the stream (gRPC's trailers-only answer) stays one; request
# trailers of an h2 client reach an HTTP/1.1 target as chunked trailers and
# an h2 target as HTTP/2 trailers, with "te: trailers" (dropped after a
# content-length, which HTTP/1.1 cannot follow with any); request trailers
# larger than the chunked decoder's limit (8 KiB) reset the stream, said
# in the error log, and the connection goes on. The client is
# t/lib/h2_client.py (python3-h2), the h2 target t/lib/h2_target.py.
use strict;
use warnings;
use lib 't/lib';
use JSON::PP ();
use Test::More;
use Weir qw(free_port start_program read_file);
use WeirHTTP qw(check_clean start_http_backend);

my $PY = '/usr/bin/python3';
plan skip_all => 'python3-h2 not installed'
    unless system("$PY -c 'import h2' 2>/dev/null") == 0;

my $w = Weir->new;
my $dir = $w->dir;

system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
       . " -nodes -days 2 -subj /CN=localhost -keyout $dir/key.pem"
       . " -out $dir/cert.pem 2>/dev/null") == 0
    or BAIL_OUT('openssl req failed');

my $t1 = start_http_backend(name => 'H1', log => "$dir/h1.log");
my $t2 = start_program(log => "$dir/h2t.log",
    cmd => sub { ($PY, 't/lib/h2_target.py', $_[0], 'R') })
    or BAIL_OUT('the h2 target did not start: ' . read_file("$dir/h2t.log"));
my ($l1, $l2) = (free_port(), free_port());

$w->write_config(<<"EOF2");
worker_processes: 1
load_balancers:
  - name: trailers-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: to-h1
        protocol: HTTPS
        protocol_port: $l1
        target_group: pool-h1
        tls_certificate: $dir/cert.pem
        tls_key: $dir/key.pem
      - name: to-h2
        protocol: HTTPS
        protocol_port: $l2
        target_group: pool-h2
        tls_certificate: $dir/cert.pem
        tls_key: $dir/key.pem
    target_groups:
      - name: pool-h1
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $t1->{port} }
      - name: pool-h2
        protocol: HTTP
        alpn_protocols: [h2]
        members:
          - { address: 127.0.0.1, protocol_port: $t2->{port} }
EOF2
ok($w->start($l1, $l2), 'weir started') or BAIL_OUT(read_file("$dir/stderr.log") . $w->log_text);

# the requests on one connection; the client's lines
sub h2 {
    my ($port, @reqs) = @_;
    open(my $fh, '-|', $PY, 't/lib/h2_client.py', $port,
         JSON::PP::encode_json(\@reqs)) or die "h2_client: $!\n";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return $out;
}

# --- an HTTP/1.1 target ---

my $out = h2($l1,
    { path => '/trailers' },
    { path => '/trailers?empty' },
    { path => '/trailers', method => 'POST', body => 'abc',
      headers => [['te', 'trailers']],
      trailers => [['x-req-sum', '7'], ['x-more', 'a b']] },
    { path => '/trailers', method => 'POST', body => 'abc',
      headers => [['content-length', '3']],
      trailers => [['x-req-sum', '9']] });

like($out, qr/^1 status 200$/m, 'h1 target: the response head');
like($out, qr/^1 body 3 H1\\n$/m, 'h1 target: the body');
like($out, qr/^1 trailer x-sum: 42\n1 trailer x-got-trailers: -\n/m,
     'h1 target: the chunked trailers come as HTTP/2 trailers');
like($out, qr/^1 end headers$/m, 'h1 target: the trailers end the stream');
unlike($out, qr/^1 (end data|header x-sum|header transfer-encoding)/m,
       'h1 target: no DATA ends the stream, no trailer in the head, '
       . 'no chunked framing');

like($out, qr/^2 trailer x-sum: 42$/m,
     'h1 target: trailers after no data at all');
like($out, qr/^2 body 0 $/m, 'h1 target: (no data)');
like($out, qr/^2 end headers$/m, 'h1 target: they end the stream');

like($out, qr/^3 trailer x-got-trailers: x-req-sum: 7,x-more: a b$/m,
     'h1 target: the request trailers come as chunked trailers');
like($out, qr/^3 trailer x-te: -$/m,
     'h1 target: no TE (hop-by-hop in HTTP/1.1)');
like($out, qr/^4 status 200$/m,
     'h1 target: a body of a stated length with trailers is answered');
like($out, qr/^4 trailer x-got-trailers: -$/m,
     'h1 target: its trailers are dropped (HTTP/1.1 has none after a '
     . 'length)');
like(read_file("$dir/h1.log"), qr/req POST \/trailers/,
     'h1 target: the POST went there');

# --- an h2 target ---

$out = h2($l2,
    { path => '/trailers' },
    { path => '/trailers-only' },
    { path => '/trailers', method => 'POST', body => 'abc',
      headers => [['te', 'trailers']],
      trailers => [['x-req-sum', '7']] },
    { path => '/ok', method => 'POST', body => 'abcd',
      headers => [['content-type', 'application/grpc']],
      trailers => [['x-req-sum', '8']] });

like($out, qr/^1 body 5 ok R\\n$/m, 'h2 target: the body');
like($out, qr/^1 trailer x-sum: 42$/m, 'h2 target: its trailers');
like($out, qr/^1 end headers$/m, 'h2 target: they end the stream');

like($out, qr/^2 status 200\n2 header content-type: application\/grpc\n/m,
     'trailers-only: the head');
like($out, qr/^2 header grpc-status: 5\n2 header grpc-message: gone\n/m,
     'trailers-only: grpc-status and grpc-message in it');
like($out, qr/^2 end headers\n2 body 0 $/m,
     'trailers-only: one HEADERS frame ends the stream, no DATA');

like($out, qr/^3 trailer x-te: trailers$/m,
     'h2 target: "te: trailers" of the client reaches it');
like($out, qr/^3 trailer x-trailers: x-req-sum=7$/m,
     'h2 target: the request trailers come as HTTP/2 trailers');

like($out, qr/^4 header x-te: -$/m, 'h2 target: no te when none was sent');
like($out, qr/^4 header x-trailers: x-req-sum=8$/m,
     'h2 target: request trailers without te');
like($out, qr/^4 header x-got: 4$/m, '(the body too)');

# --- request trailers over the limit ---

$out = h2($l1,
    { path => '/trailers', method => 'POST', body => 'abc',
      trailers => [['x-big', 'x' x 9000]] },
    { path => '/trailers' });
like($out, qr/^1 reset 2$/m,
     'request trailers over 8 KiB: the stream is reset (INTERNAL_ERROR)');
like($out, qr/^2 trailer x-sum: 42$/m, 'the connection goes on');
ok($w->wait_log(qr/the request trailers are too large/, 10),
   'the error log says why');

check_clean($w);

done_testing();
