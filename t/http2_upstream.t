#!/usr/bin/perl
# weir: HTTP/2 towards targets (SPEC 13, issue 16 item 3). Target groups
# with alpn_protocols: [h2] get HTTP/1.1 clients' requests as streams:
# prior-knowledge h2c to nghttpd (Debian nghttp2-server) and to a gRPC
# server (python3-grpcio), TLS with ALPN h2 to nghttpd, and a raw h2
# target (python3-h2) that resets streams, refuses them and says GOAWAY.
# Checked: bodies both ways (flow control past a window, chunked uploads),
# weights, one multiplexed connection for many requests, response trailers
# as chunked trailers (grpc-status), request trailers as HTTP/2 trailers,
# TE: trailers, Cookie, :authority, errors (502, 504, aborted bodies),
# retries of streams the target never processed, and a TLS target that
# does not choose h2 refused.
use strict;
use warnings;
use lib 't/lib';
use Digest::MD5 qw(md5_hex);
use POSIX ();
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_program read_file
            write_file);
use WeirHTTP qw(start_http_backend pattern_block pattern_md5 check_clean);

my $PY = '/usr/bin/python3';
plan skip_all => 'nghttpd not installed (nghttp2-server)'
    unless system('command -v nghttpd >/dev/null 2>&1') == 0;
plan skip_all => 'python3-grpcio or python3-h2 not installed'
    unless system("$PY -c 'import grpc, h2' 2>/dev/null") == 0;
plan skip_all => 'curl not installed'
    unless system('command -v curl >/dev/null 2>&1') == 0;

my $w = Weir->new;
my $dir = $w->dir;

# --- targets ---

# Start a target program on a free port (start_program()): $cmd->($port)
# gives its command line, its stderr goes to DIR/NAME.log. Returns the
# port once it accepts; the test bails out when it never does.
sub start_target {
    my ($name, $cmd) = @_;
    my $p = start_program(log => "$dir/$name.log", cmd => $cmd)
        or BAIL_OUT("target $name did not start: "
                    . read_file("$dir/$name.log"));
    return $p->{port};
}



# 300 KiB of the pattern: more than a stream's window (64 KiB)
my $BIG = 300 * 1024;
my $block = pattern_block();
my $big = substr($block x 5, 0, $BIG);

for my $t ('a', 'b', 't') {
    mkdir "$dir/www-$t";
    write_file("$dir/www-$t/index.html", uc($t) . "\n");
    write_file("$dir/www-$t/big.bin", $big);
}

system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
       . " -nodes -days 2 -subj /CN=localhost -keyout $dir/key.pem"
       . " -out $dir/cert.pem 2>/dev/null") == 0
    or BAIL_OUT('openssl req failed');

my $pa = start_target('nghttpd-a', sub {
    ('nghttpd', '--no-tls', '-d', "$dir/www-a", $_[0]) });
my $pb = start_target('nghttpd-b', sub {
    ('nghttpd', '--no-tls', '-d', "$dir/www-b", $_[0]) });
my $pt = start_target('nghttpd-t', sub {
    ('nghttpd', '-d', "$dir/www-t", $_[0], "$dir/key.pem", "$dir/cert.pem") });
my $pg = start_target('grpc', sub { ($PY, 't/lib/grpc_target.py', $_[0]) });
my $pr = start_target('raw', sub { ($PY, 't/lib/h2_target.py', $_[0], 'R') });

# a TLS target that speaks HTTP/1.1 only (no ALPN)
my $h1 = start_http_backend(name => 'H1', log => "$dir/h1.log",
    tls => { cert => "$dir/cert.pem", key => "$dir/key.pem" });

# --- weir ---

my ($lh, $lg, $lr, $ls, $l1) = map { free_port() } 1 .. 5;

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: files, protocol: HTTP, protocol_port: $lh, target_group: files-tg }
      - { name: grpc, protocol: HTTP, protocol_port: $lg, target_group: grpc-tg }
      - { name: raw, protocol: HTTP, protocol_port: $lr, target_group: raw-tg,
          timeout_member_data: 1000 }
      - name: tls
        protocol: HTTPS
        protocol_port: $ls
        target_group: tls-tg
        tls_certificate: $dir/cert.pem
        tls_key: $dir/key.pem
      - name: tls-h1
        protocol: HTTPS
        protocol_port: $l1
        target_group: h1-tg
        tls_certificate: $dir/cert.pem
        tls_key: $dir/key.pem
    target_groups:
      - name: files-tg
        protocol: HTTP
        alpn_protocols: [h2]
        members:
          - { address: 127.0.0.1, protocol_port: $pa, weight: 64 }
          - { address: 127.0.0.1, protocol_port: $pb, weight: 192 }
      - name: grpc-tg
        protocol: HTTP
        alpn_protocols: [h2]
        members:
          - { address: 127.0.0.1, protocol_port: $pg }
      - name: raw-tg
        protocol: HTTP
        alpn_protocols: [h2]
        members:
          - { address: 127.0.0.1, protocol_port: $pr }
      - name: tls-tg
        protocol: HTTPS
        alpn_protocols: [h2]
        members:
          - { address: 127.0.0.1, protocol_port: $pt }
      - name: h1-tg
        protocol: HTTPS
        alpn_protocols: [h2]
        members:
          - { address: 127.0.0.1, protocol_port: $h1->{port} }
EOF

ok($w->start($lh, $lg, $lr, $ls, $l1), 'weir started')
    or BAIL_OUT($w->log_text);

# curl with arguments; returns (exit code, stdout)
sub curl {
    my (@args) = @_;
    open(my $fh, '-|', 'curl', '-s', '--max-time', '20', @args)
        or die "curl: $!\n";
    binmode $fh;
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($? >> 8, $out);
}

# --- GET over h2c, weights, a body past the window ---

# 100 requests on one client connection (curl reuses it)
my ($rc, $out) = curl(("http://127.0.0.1:$lh/index.html") x 100);
my %seen;
$seen{$_}++ for split /\n/, $out;
is($seen{A} // 0, 25, 'weights 64:192 over h2c targets give 25/75 (A: 25)');
is($seen{B} // 0, 75, 'weights 64:192 over h2c targets give 25/75 (B: 75)');

($rc, $out) = curl('-D', "$dir/big.head", "http://127.0.0.1:$lh/big.bin");
is(length $out, $BIG, '300 KiB body through a 64 KiB stream window');
is(md5_hex($out), pattern_md5($BIG), 'and intact');
like(read_file("$dir/big.head"), qr{\AHTTP/1\.1 200 OK\r\n}, 'status line');
like(read_file("$dir/big.head"), qr/^content-length: $BIG\r$/m,
     "the target's content-length kept");

($rc, $out) = curl('-o', '/dev/null', '-w', '%{http_code}',
                   "http://127.0.0.1:$lh/missing");
is($out, '404', "the target's 404 passes");

($rc, $out) = curl('-I', "http://127.0.0.1:$lh/big.bin");
like($out, qr/^content-length: $BIG\r$/m, 'HEAD: the length, no body');

# many at once: streams multiplexed, every body whole
my @par;
for my $i (1 .. 16) {
    push @par, "http://127.0.0.1:$lh/big.bin", '-o', "$dir/par$i.bin";
}
($rc) = curl('-Z', '--no-progress-meter', '--parallel-max', '16', @par);
is($rc, 0, '16 parallel requests succeed');
is(scalar(grep { md5_hex(read_file("$dir/par$_.bin")) eq pattern_md5($BIG) }
          1 .. 16), 16, 'all 16 bodies intact');

# --- gRPC: bodies both ways, trailers ---

sub grpc_msg { my ($p) = @_; return pack('CN', 0, length $p) . $p }
my @GRPC = ('--http1.1', '-H', 'content-type: application/grpc',
            '-H', 'te: trailers');

write_file("$dir/echo.req", grpc_msg('hello'));
($rc, $out) = curl('--raw', @GRPC, '--data-binary', "\@$dir/echo.req",
                   "http://127.0.0.1:$lg/weir.Test/Echo");
like($out, qr/\r\n0\r\ngrpc-status: 0\r\n\r\n\z/,
     'unary gRPC: grpc-status 0 in the chunked trailers');
like($out, qr/\A[0-9a-f]+\r\n\0\0\0\0\x05hello\r\n/,
     'unary gRPC: the message back');

write_file("$dir/count.req", grpc_msg('3'));
($rc, $out) = curl('--raw', @GRPC, '--data-binary', "\@$dir/count.req",
                   "http://127.0.0.1:$lg/weir.Test/Count");
my $msgs = () = $out =~ /\0\0\0\0\x03n=\d/g;
is($msgs, 3, 'server streaming gRPC: 3 messages');
like($out, qr/\r\n0\r\ngrpc-status: 0\r\n\r\n\z/,
     'server streaming gRPC: grpc-status 0 in the trailers');

($rc, $out) = curl('-D', '-', @GRPC, '--data-binary', "\@$dir/echo.req",
                   "http://127.0.0.1:$lg/weir.Test/Fail");
like($out, qr/^grpc-status: 5\r$/m, 'gRPC error status passes');
like($out, qr/^grpc-message: no such thing\r$/m, 'with its message');

my $payload = substr($block x 4, 0, 200 * 1024);
write_file("$dir/bigecho.req", grpc_msg($payload));
($rc, $out) = curl(@GRPC, '--data-binary', "\@$dir/bigecho.req",
                   "http://127.0.0.1:$lg/weir.Test/Echo");
is(md5_hex($out), md5_hex(grpc_msg($payload)),
   '200 KiB request body to the target and back (Content-Length)');

($rc, $out) = curl(@GRPC, '-H', 'Transfer-Encoding: chunked',
                   '--data-binary', "\@$dir/bigecho.req",
                   "http://127.0.0.1:$lg/weir.Test/Echo");
is(md5_hex($out), md5_hex(grpc_msg($payload)),
   'the same as a chunked upload (framing taken off)');

# one connection for sequential requests of new clients
for (1 .. 20) {
    curl(@GRPC, '--data-binary', "\@$dir/echo.req",
         "http://127.0.0.1:$lg/weir.Test/Echo");
}
my %peers = map { /^call \S+ (\S+)/ ? ($1 => 1) : () }
            split /\n/, read_file("$dir/grpc.log");
my $calls = () = read_file("$dir/grpc.log") =~ /^call /mg;
is($calls, 25, 'the gRPC target got every call');
is(scalar keys %peers, 1, '25 calls of 25 client connections: one target '
   . 'connection');

# --- the raw h2 target: translation details ---

($rc, $out) = curl('-D', '-', '-H', 'TE: trailers, deflate',
                   '-H', 'Cookie: a=1; b=2', '-H', 'Connection: keep-alive',
                   '--data-binary', 'hello',
                   "http://127.0.0.1:$lr/ok");
like($out, qr/^x-te: trailers\r$/m, 'TE goes as "trailers" only');
like($out, qr/^x-authority: 127\.0\.0\.1:$lr\r$/m, 'Host as :authority');
like($out, qr/^x-cookie: a=1; b=2\r$/m, 'Cookie arrives whole');
like($out, qr/^x-got: 5\r$/m, 'the request body');
like($out, qr/ok R\n\z/, 'the response body');

my $chunked = "POST /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n"
    . "5\r\nhello\r\n3\r\nabc\r\n0\r\nX-Check: 42\r\n\r\n";
my $r = tcp_exchange($lr, $chunked, 10) // '';
like($r, qr/^x-got: 8\r$/m, 'chunked request: the data only');
like($r, qr/^x-trailers: x-check=42\r$/m,
     'chunked request trailers go as HTTP/2 trailers');

# (start_target() made one)
my $conns0 = () = read_file("$dir/raw.log") =~ /^conn /mg;
is($conns0, 2, 'one connection from weir to the raw target so far');

# --- errors and retries ---

($rc, $out) = curl('-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST',
                   '--data-binary', 'x', "http://127.0.0.1:$lr/reset");
is($out, '502', 'a stream reset before the response: 502');
my $resets = () = read_file("$dir/raw.log") =~ /^req \d+ POST \/reset$/mg;
is($resets, 1, 'a POST is not sent again');

($rc, $out) = curl('-o', '/dev/null', '-w', '%{http_code}',
                   "http://127.0.0.1:$lr/reset");
is($out, '502', 'GET reset too: 502');
$resets = () = read_file("$dir/raw.log") =~ /^req \d+ GET \/reset$/mg;
is($resets, 2, 'a GET tried once more, on a new connection');

($rc, $out) = curl("http://127.0.0.1:$lr/reset-body");
isnt($rc, 0, 'a stream reset in the body: the client sees it cut');
is($out, '12345', 'after the bytes that came');

($rc, $out) = curl('-X', 'POST', "http://127.0.0.1:$lr/refuse-once");
is($out, "ok R\n", 'REFUSED_STREAM: even a POST goes again, and succeeds');

($rc, $out) = curl('-X', 'POST', "http://127.0.0.1:$lr/goaway-once");
is($out, "ok R\n", 'a stream above GOAWAY\'s last id goes again');

($rc, $out) = curl('-o', '/dev/null', '-w', '%{http_code}',
                   "http://127.0.0.1:$lr/hang");
is($out, '504', 'no answer in timeout_member_data: 504');

($rc, $out) = curl("http://127.0.0.1:$lr/ok");
is($out, "ok R\n", 'the target is used again after all that');

# --- TLS with ALPN ---

($rc, $out) = curl('-k', "https://127.0.0.1:$ls/index.html");
is($out, "T\n", 'HTTPS group: h2 over TLS (ALPN)');
($rc, $out) = curl('-k', "https://127.0.0.1:$ls/big.bin");
is(md5_hex($out), pattern_md5($BIG), 'a 300 KiB body over TLS h2');

($rc, $out) = curl('-k', '-o', '/dev/null', '-w', '%{http_code}',
                   "https://127.0.0.1:$l1/");
is($out, '502', 'a TLS target that does not choose h2: 502');
ok($w->wait_log(qr/did not choose h2 by ALPN/),
   'logged: the target did not choose h2 by ALPN');

# --- reload: idle target connections do not hold the old worker ---

my @old = $w->workers;
$w->signal('HUP');
ok(wait_for(sub {
       my @now = $w->workers;
       return @now && !grep { my $o = $_; grep { $_ == $o } @now } @old;
   }, 10), 'after a reload the old worker exits at once');

ok(wait_for(sub {
       my ($c, $o) = curl('--raw', @GRPC, '--data-binary', "\@$dir/echo.req",
                          "http://127.0.0.1:$lg/weir.Test/Echo");
       return $o =~ /grpc-status: 0\r\n/;
   }, 10), 'gRPC through the new worker');
%peers = map { /^call \S+ (\S+)/ ? ($1 => 1) : () }
         split /\n/, read_file("$dir/grpc.log");
is(scalar keys %peers, 2, 'on a connection of its own');

# --- a graceful stop finishes the streams in flight ---

my $slow = fork // die "fork: $!\n";
if ($slow == 0) {
    exec('curl', '-s', '--max-time', '30', '--limit-rate', '100k', '-o',
         "$dir/slow.bin", "http://127.0.0.1:$lh/big.bin")
        or POSIX::_exit(127);
}
ok(wait_for(sub { -s "$dir/slow.bin" }, 10), 'a slow download under way');
$w->signal('QUIT');
waitpid($slow, 0);
is($? >> 8, 0, 'it ends well after a graceful stop began');
is(md5_hex(read_file("$dir/slow.bin")), pattern_md5($BIG), 'whole');
ok(wait_for(sub { $w->exited }, 15), 'then weir exits');

check_clean($w);

done_testing();
