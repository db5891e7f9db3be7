#!/usr/bin/perl
# weir: HTTPS listeners (TLS terminated) and HTTPS target groups. The
# basics of t/http_proxy.t through TLS: balancing, keep-alive towards the
# targets, 50 MB chunked bodies both ways, an upgrade tunnel; SNI picks
# the certificate; tls_min_version is enforced; sessions are resumed;
# X-Forwarded-Proto says https; HTTPS targets get TLS with the request's
# host as server name, and their connections are kept alive too.
# Certificates are made at run time.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request
                read_response pattern_md5 pattern_block count_lines);

my $w = Weir->new;
my $dir = $w->dir;

sub cert {
    my ($name, $cn) = @_;
    system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
           . " -nodes -days 2 -subj /CN=$cn -keyout $dir/$name.key"
           . " -out $dir/$name.pem 2>/dev/null") == 0
        or die "openssl req failed\n";
}

cert('main', 'main.test');
cert('other', 'other.test');
cert('target', 'target.test');

my $a = start_http_backend(name => 'A', log => "$dir/a.log");
my $b = start_http_backend(name => 'B', log => "$dir/b.log");
my $ta = start_http_backend(name => 'TA', log => "$dir/ta.log",
                            tls => { cert => "$dir/target.pem",
                                     key => "$dir/target.key" });

my %port = map { $_ => free_port() } qw(https tls13 reenc);

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: $port{https}
        target_group: pool
        tls_certificate: main.pem
        tls_key: main.key
        sni_certificates:
          - { tls_certificate: other.pem, tls_key: other.key }
        tls_min_version: TLSv1.2
        insert_headers: { X-Forwarded-Proto: true, X-Forwarded-Port: true }
      - name: tls13
        protocol: HTTPS
        protocol_port: $port{tls13}
        target_group: pool
        tls_certificate: main.pem
        tls_key: main.key
        tls_min_version: TLSv1.3
      - name: reenc
        protocol: HTTPS
        protocol_port: $port{reenc}
        target_group: pool-tls
        tls_certificate: main.pem
        tls_key: main.key
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $a->{port} }
          - { address: 127.0.0.1, protocol_port: $b->{port} }
      - name: pool-tls
        protocol: HTTPS
        members:
          - { address: 127.0.0.1, protocol_port: $ta->{port} }
EOF

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

my $curl = "curl -sk --max-time 30";
my $url = "https://127.0.0.1:$port{https}";

# --- balancing and keep-alive through TLS ---
my $s = http_connect($port{https}, {});
ok($s, 'a TLS connection to the HTTPS listener');
my %seen;
my $ok = 0;
for (1 .. 100) {
    my $r = http_request($s, 'GET', '/');
    next unless $r && $r->{status} == 200;
    $ok++;
    $seen{$r->{headers}{'x-backend'}}++;
}
is($ok, 100, '100 requests on one TLS connection answered');
is_deeply(\%seen, { A => 50, B => 50 }, 'round robin over two targets');
my $acc = count_lines("$dir/a.log", qr/^accept/)
        + count_lines("$dir/b.log", qr/^accept/);
ok($acc <= 2, "the targets saw $acc connections for 100 requests");

my $r = http_request($s, 'GET', '/echo');
like($r->{body}, qr/^X-Forwarded-Proto: https\r$/m,
     'X-Forwarded-Proto: https');
like($r->{body}, qr/^X-Forwarded-Port: $port{https}\r$/m,
     'X-Forwarded-Port: the listener port');
close $s;

# --- bodies ---
my $size = 50 * 1024 * 1024;
my $md5 = pattern_md5($size);
my $got = `$curl $url/download?$size | md5sum`;
is((split ' ', $got)[0], $md5, '50 MB chunked download through TLS intact');

my $file = "$dir/upload.bin";
open(my $fh, '>', $file) or die $!;
my $block = pattern_block();
print $fh $block for 1 .. $size / length $block;
close $fh;
$got = `$curl -T $file -H 'Transfer-Encoding: chunked' $url/upload`;
like($got, qr/^[AB] $size $md5$/, '50 MB chunked upload through TLS intact');

# --- upgrade through TLS ---
$s = http_connect($port{https}, {});
print $s "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
       . "Connection: Upgrade\r\n\r\n";
$r = read_response($s, 'GET');
is($r && $r->{status}, 101, 'upgrade through TLS: 101');
syswrite($s, 'ping through the tunnel');
my $echo = $r ? $r->{rest} : '';
my $sel = IO::Select->new($s);
while (length($echo) < 23 && ($s->pending || $sel->can_read(5))) {
    last unless sysread($s, my $buf, 4096);
    $echo .= $buf;
}
is($echo, 'ping through the tunnel', 'bytes echoed through the TLS tunnel');
close $s;

# --- SNI, versions, resumption ---
sub subject {
    my ($servername) = @_;
    my $sn = $servername ? "-servername $servername" : '-noservername';
    my $out = `openssl s_client -connect 127.0.0.1:$port{https} $sn </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null`;
    return $out =~ /CN\s*=\s*(\S+)/ ? $1 : '';
}
is(subject('other.test'), 'other.test', 'SNI other.test: its certificate');
is(subject('main.test'), 'main.test', 'SNI main.test: the default one');
is(subject(undef), 'main.test', 'no SNI: the default certificate');

my $v12 = `$curl --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' https://127.0.0.1:$port{tls13}/`;
isnt($v12, '200', 'tls_min_version TLSv1.3: a TLS 1.2 client is refused');
my $v13 = `$curl --tlsv1.3 -o /dev/null -w '%{http_code}' https://127.0.0.1:$port{tls13}/`;
is($v13, '200', 'tls_min_version TLSv1.3: a TLS 1.3 client is served');

my $sess = "$dir/sess.pem";
`openssl s_client -connect 127.0.0.1:$port{https} -tls1_2 -sess_out $sess </dev/null 2>/dev/null`;
my $again = `openssl s_client -connect 127.0.0.1:$port{https} -tls1_2 -sess_in $sess </dev/null 2>/dev/null`;
like($again, qr/^Reused, /m, 'a TLS session is resumed');

# --- HTTPS targets ---
$s = http_connect($port{reenc}, {});
$ok = 0;
for (1 .. 50) {
    $r = http_request($s, 'GET', '/echo');
    $ok++ if $r && $r->{status} == 200 && $r->{headers}{'x-backend'} eq 'TA';
}
is($ok, 50, '50 requests re-encrypted to an HTTPS target');
is($r && $r->{headers}{'x-tls-sni'}, 'localhost',
   'the target got the request\'s host as TLS server name');
my $tacc = count_lines("$dir/ta.log", qr/^accept/);
ok($tacc <= 2, "the HTTPS target saw $tacc connections for 50 requests");
close $s;

$got = `$curl https://127.0.0.1:$port{reenc}/download?$size | md5sum`;
is((split ' ', $got)[0], $md5, '50 MB from an HTTPS target intact');

check_clean($w);

done_testing();
