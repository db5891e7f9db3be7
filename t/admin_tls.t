#!/usr/bin/perl
# weir: TLS on the admin listener (issue 11 item 1): admin.certificate and
# admin.key, loaded by weir -t (a file that cannot be used is an error that
# names the field), served by the admin process through weir's TLS glue;
# the token is still required over TLS; plain HTTP to the TLS port and a
# client that never finishes its handshake are closed; a non-loopback
# admin.listen is accepted with TLS. admin.metrics_public: GET /metrics
# without the token, every other route still 401.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time);
use Test::More;
use Weir qw(free_port wait_for binary);
use WeirAdmin qw(admin_weir);

my $have_ssl = eval { require IO::Socket::SSL; 1 };
plan skip_all => 'IO::Socket::SSL not installed' unless $have_ssl;

my $TOKEN = 'weir-tls-token-8d1f33a0';
my ($w, $dir, $ap) = admin_weir($TOKEN);

# a certificate for 127.0.0.1 and localhost, and a second key that does
# not belong to it
my $ok = system('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                '-subj', '/CN=localhost', '-days', '2',
                '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
                '-keyout', "$dir/key.pem", '-out', "$dir/cert.pem") == 0
    && system("openssl genrsa -out '$dir/other.pem' 2048 2>/dev/null") == 0;
plan skip_all => 'openssl could not make a certificate' unless $ok;

sub config {
    my (%o) = @_;
    my $listen = $o{listen} // "127.0.0.1:$ap";
    my $y = "worker_processes: 1\nadmin:\n  listen: $listen\n"
          . "  token_file: admin.token\n";
    $y .= "  certificate: $o{cert}\n" if $o{cert};
    $y .= "  key: $o{key}\n" if $o{key};
    $y .= "  metrics_public: $o{public}\n" if defined $o{public};
    return $y;
}

# weir -t on a config; (exit status, output)
sub check {
    my ($yaml, $name) = @_;
    my $file = $w->write_config($yaml, "$name.yaml");
    my $out = `@{[binary()]} -t -p $dir -c $file 2>&1`;
    return ($? >> 8, $out, $file);
}

# --- weir -t ---

my ($rc, $out, $file) = check(config(cert => 'cert.pem', key => 'key.pem'),
                              'good');
is($rc, 0, 'weir -t: certificate and key that load') or diag($out);

($rc, $out, $file) = check(config(cert => 'missing.pem', key => 'key.pem'),
                           'nocert');
is($rc, 1, 'weir -t: a certificate file that is not there fails');
like($out, qr{^\Q$file\E:7:3: admin\.certificate: "\Q$dir\E/missing\.pem" cannot be loaded: }m,
     'the error names admin.certificate and the file') or diag($out);

($rc, $out, $file) = check(config(cert => 'cert.pem', key => 'cert.pem'),
                           'badkey');
is($rc, 1, 'weir -t: a key file without a key fails');
like($out, qr{^\Q$file\E:7:3: admin\.key: "\Q$dir\E/cert\.pem" cannot be loaded: }m,
     'the error names admin.key') or diag($out);

($rc, $out, $file) = check(config(cert => 'cert.pem', key => 'other.pem'),
                           'otherkey');
is($rc, 1, 'weir -t: a key of another certificate fails');
like($out, qr{^\Q$file\E:7:3: admin\.key: "\Q$dir\E/other\.pem" cannot be loaded: key values mismatch}m,
     'the error says the key does not match the certificate')
    or diag($out);

($rc, $out) = check(config(listen => "0.0.0.0:$ap", cert => 'cert.pem',
                           key => 'key.pem'), 'wild');
is($rc, 0, 'weir -t: a non-loopback admin.listen with TLS and a token')
    or diag($out);

($rc, $out, $file) = check(config(listen => "0.0.0.0:$ap"), 'wildplain');
is($rc, 1, 'weir -t: a non-loopback admin.listen without TLS fails');
like($out, qr{^\Q$file\E:\d+:11: admin\.listen: "0\.0\.0\.0:$ap" is not a loopback address and the admin listener has no TLS}m,
     'the error names admin.listen and the rule') or diag($out);

# --- serving TLS ---

$w->write_config(config(cert => 'cert.pem', key => 'key.pem'));
ok($w->start($ap), 'weir started with a TLS admin listener')
    or BAIL_OUT('weir did not start: ' . $w->log_text);
ok($w->wait_log(qr/admin API on 127\.0\.0\.1:$ap \(TLS\)/, 10),
   'the log says the admin API serves TLS');

my @admin = $w->children(qr/^weir: admin process/);
is(scalar(@admin), 1, 'one admin process');

# a client that connects and says nothing: closed at the handshake timeout
my $idle = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                 Proto => 'tcp', Timeout => 5);
ok($idle, 'a silent client connects');
my $idle_at = time;

# One TLS request on a new connection; { status, headers, body } or undef
sub tls_request {
    my ($path, %o) = @_;
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                 SSL_verify_mode => 1,
                                 SSL_ca_file => "$dir/cert.pem",
                                 SSL_verifycn_name => 'localhost',
                                 Timeout => 5)
        or return undef;
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    $req .= "X-Auth-Token: $o{token}\r\n" if defined $o{token};
    $req .= "Connection: close\r\n\r\n";
    print $s $req;
    my $buf = '';
    my $sel = IO::Select->new($s);
    while (1) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    return undef unless defined $head && $head =~ m{^HTTP/1\.1 (\d{3}) };
    return { status => $1, head => $head, body => $body // '' };
}

my $r = tls_request('/api/v1/load-balancers', token => $TOKEN);
is($r && $r->{status}, 200, 'over TLS with the token: 200');
my $j = $r && eval { decode_json($r->{body}) };
ok($j && ref($j->{load_balancers}) eq 'ARRAY', 'and a JSON list');

$r = tls_request('/api/v1/load-balancers');
is($r && $r->{status}, 401, 'over TLS without the token: 401');
$r = tls_request('/metrics', token => 'wrong-token-0000');
is($r && $r->{status}, 401, 'over TLS with a wrong token: 401');
$r = tls_request('/metrics');
is($r && $r->{status}, 401,
   '/metrics needs the token when metrics_public is not set');
$r = tls_request('/metrics', token => $TOKEN);
is($r && $r->{status}, 200, '/metrics with the token: 200');
like($r ? $r->{body} : '', qr/^# TYPE weir_config_generation gauge$/m,
     'and the metrics');

# curl, a real client that checks the chain
SKIP: {
    skip 'curl not installed', 2 unless system('curl --version >/dev/null 2>&1') == 0;
    my $body = `curl -sS --max-time 5 --cacert '$dir/cert.pem' -H 'X-Auth-Token: $TOKEN' -w '\\n%{http_code}' https://127.0.0.1:$ap/api/v1/load-balancers 2>&1`;
    like($body, qr/\n200\z/, 'curl --cacert: 200') or diag($body);
    $body = `curl -sS --max-time 5 -w '\\n%{http_code}' https://127.0.0.1:$ap/metrics 2>&1`;
    unlike($body, qr/\n200\z/,
           'curl without the CA refuses the self-signed certificate');
}

# keep-alive and pipelining over TLS: two requests in one record, the
# second already waiting in OpenSSL's buffer when the first is answered
{
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                 SSL_verify_mode => 1,
                                 SSL_ca_file => "$dir/cert.pem",
                                 SSL_verifycn_name => 'localhost',
                                 Timeout => 5);
    ok($s, 'a TLS client connects');
    print $s "GET /api/v1/load-balancers HTTP/1.1\r\nHost: x\r\n"
           . "X-Auth-Token: $TOKEN\r\n\r\n"
           . "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Auth-Token: $TOKEN\r\n"
           . "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    my $buf = '';
    my $deadline = time + 10;
    while (time < $deadline) {
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    # the second head follows the first body at once (no newline)
    my @st = $buf =~ m{HTTP/1\.1 (\d{3}) [A-Z]}g;
    is_deeply(\@st, [200, 200], "two pipelined requests over TLS: 200, 200")
        or diag(length($buf) . " bytes: " . substr($buf, 0, 300));
    like($buf, qr/^Content-Encoding: gzip\r$/m,
         '/metrics gzipped over TLS when asked');
}

# plain HTTP to the TLS port: no HTTP answer, the connection is closed
my $plain = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ap,
                                  Proto => 'tcp', Timeout => 5);
ok($plain, 'a plain HTTP client connects');
print $plain "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Auth-Token: $TOKEN\r\n\r\n";
my $got = '';
my $sel = IO::Select->new($plain);
my $closed = wait_for(sub {
    return 0 unless $sel->can_read(0.2);
    my $n = sysread($plain, $got, 4096, length $got);
    return !$n;
}, 10);
ok($closed, 'plain HTTP to the TLS port: closed');
unlike($got, qr{HTTP/1\.}, 'without an HTTP response (nor the metrics)');
close $plain;
ok($w->wait_log(qr/admin|SSL|TLS|handshake/i, 5), 'and logged');

$r = tls_request('/api/v1/load-balancers', token => $TOKEN);
is($r && $r->{status}, 200, 'TLS still served afterwards');
is_deeply([$w->children(qr/^weir: admin process/)], \@admin,
          'by the same admin process');

# the silent client is closed by the handshake timeout (10 s), not before
$sel = IO::Select->new($idle);
my $idle_closed = wait_for(sub {
    return 0 unless $sel->can_read(0.2);
    my $buf;
    my $n = sysread($idle, $buf, 4096);
    return !$n;
}, 20);
my $held = time - $idle_at;
ok($idle_closed, 'a client that never starts its handshake is closed');
cmp_ok($held, '>=', 9, 'after the handshake timeout of 10 s');
cmp_ok($held, '<', 20, 'within a bound');
close $idle;

$w->stop;

# --- metrics_public ---

my ($w2, $dir2, $ap2) = admin_weir($TOKEN);
system('cp', "$dir/cert.pem", "$dir/key.pem", $dir2) == 0 or die 'cp';

$ap = $ap2;
$dir = $dir2;
$w2->write_config(config(cert => 'cert.pem', key => 'key.pem',
                         public => 'true'));
ok($w2->start($ap), 'weir started with metrics_public: true')
    or BAIL_OUT('weir did not start: ' . $w2->log_text);

$r = tls_request('/metrics');
is($r && $r->{status}, 200, 'metrics_public: /metrics without a token: 200');
like($r ? $r->{body} : '', qr/^# TYPE weir_process_uptime_seconds gauge$/m,
     'with the metrics');
$r = tls_request('/metrics?x=1');
is($r && $r->{status}, 400,
   'a query reaches the handler without a token (and is refused there)');
$r = tls_request('/api/v1/load-balancers');
is($r && $r->{status}, 401, 'every other route still needs the token');
$r = tls_request('/api/v1/load-balancers/target-groups');
is($r && $r->{status}, 401, 'target groups too');
$r = tls_request('/%6detrics');
is($r && $r->{status}, 401, 'an encoded spelling of /metrics needs it');
$r = tls_request('/api/v1/load-balancers', token => $TOKEN);
is($r && $r->{status}, 200, 'with the token: 200');

$w2->stop;

done_testing();
