#!/usr/bin/perl
# weir: TLS defaults of HTTPS and TLS listeners (issue 13, item 13): TLS 1.2
# offers only ECDHE key exchange with AEAD ciphers (Mozilla's
# "intermediate" without DHE), so a CBC suite (LUCKY13) or a static-RSA
# one is refused; tls_ciphers sets another list per listener (a bad one
# fails weir -t), tls_ciphersuites the TLS 1.3 suites; HTTPS listeners
# answer ALPN h2, else http/1.1 (SPEC 13: the default alpn_protocols;
# t/http2.t has the others), TLS listeners
# (any protocol inside) answer none; tls_min_version below TLSv1.2 adds
# the ECDHE CBC suites those versions need, and says so in the log.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for start_backend);
use WeirHealth qw(make_cert);

my $w = Weir->new;
my $dir = $w->dir;
my ($cert, $key) = make_cert($dir);    # RSA: RSA and ECDHE-RSA suites
plan(skip_all => 'openssl could not make a test certificate') unless $cert;

my $echo = start_backend(name => 'E', mode => 'echo');
my %port = map { $_ => free_port() } qw(https tls custom old);

sub config {
    my ($custom) = @_;
    return "worker_processes: 1\n"
         . "log_level: info\n"
         . "load_balancers:\n"
         . "  - name: alb-1\n"
         . "    type: ALB\n"
         . "    address: 127.0.0.1\n"
         . "    listeners:\n"
         . "      - { name: https, protocol: HTTPS, protocol_port: $port{https}, "
         . "tls_certificate: cert.pem, tls_key: key.pem }\n"
         . "      - { name: old, protocol: HTTPS, protocol_port: $port{old}, "
         . "tls_certificate: cert.pem, tls_key: key.pem, "
         . "tls_min_version: TLSv1 }\n"
         . "  - name: nlb-1\n"
         . "    type: NLB\n"
         . "    address: 127.0.0.1\n"
         . "    listeners:\n"
         . "      - { name: tls, protocol: TLS, protocol_port: $port{tls}, "
         . "target_group: echo, tls_certificate: cert.pem, tls_key: key.pem }\n"
         . "      - { name: custom, protocol: TLS, protocol_port: $port{custom}, "
         . "target_group: echo, tls_certificate: cert.pem, tls_key: key.pem, "
         . "tls_ciphers: \"$custom\", "
         . "tls_ciphersuites: TLS_CHACHA20_POLY1305_SHA256 }\n"
         . "    target_groups:\n"
         . "      - name: echo\n"
         . "        protocol: TCP\n"
         . "        members:\n"
         . "          - { name: e1, address: 127.0.0.1, "
         . "protocol_port: $echo->{port} }\n";
}

$w->write_config(config('AES128-SHA'));
ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

# openssl s_client: its whole output
sub client {
    my ($port, @args) = @_;
    return `echo | timeout 10 openssl s_client -connect 127.0.0.1:$port @args 2>&1`;
}

sub cipher { my $o = client(@_); return $o =~ /Cipher is (\S+)/ ? $1 : '' }

is(cipher($port{https}, '-tls1_2', '-cipher', 'AES128-SHA'), '(NONE)',
   'TLS 1.2: a CBC suite with RSA key exchange is refused');
is(cipher($port{https}, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA'),
   '(NONE)', 'TLS 1.2: ECDHE with CBC (LUCKY13) is refused');
is(cipher($port{https}, '-tls1_2', '-cipher', 'AES128-GCM-SHA256'), '(NONE)',
   'TLS 1.2: static RSA key exchange is refused, even with GCM');
like(cipher($port{https}, '-tls1_2'), qr/^ECDHE-RSA-AES\d+-GCM-SHA\d+$/,
   'TLS 1.2 by default: ECDHE with AES-GCM');
is(cipher($port{tls}, '-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305'),
   'ECDHE-RSA-CHACHA20-POLY1305', 'TLS listener: ChaCha20-Poly1305');
like(cipher($port{https}), qr/^TLS_/, 'TLS 1.3 as before');

like(client($port{https}, '-alpn', 'http/1.1,h2'),
     qr{ALPN protocol: h2}, 'HTTPS listener: ALPN h2 first (weir chooses)');
like(client($port{https}, '-alpn', 'http/1.1'),
     qr{ALPN protocol: http/1\.1}, 'HTTPS listener: ALPN http/1.1');
like(client($port{https}, '-alpn', 'spdy/3.1'), qr/No ALPN negotiated/,
     'HTTPS listener: no ALPN for a client with neither h2 nor http/1.1');
like(client($port{tls}, '-alpn', 'http/1.1'), qr/No ALPN negotiated/,
     'TLS listener: no ALPN (what it carries is not ours to name)');

is(cipher($port{custom}, '-tls1_2', '-cipher', 'AES128-SHA'), 'AES128-SHA',
   'tls_ciphers: the listener\'s own list');
is(cipher($port{custom}, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'),
   '(NONE)', 'tls_ciphers replaces the default');

# TLS 1.3: OpenSSL's suites by default, tls_ciphersuites per listener
is(cipher($port{https}, '-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256'),
   'TLS_AES_128_GCM_SHA256', 'TLS 1.3 by default: AES-128-GCM too');
is(cipher($port{custom}, '-tls1_3', '-ciphersuites',
          'TLS_CHACHA20_POLY1305_SHA256'),
   'TLS_CHACHA20_POLY1305_SHA256', 'tls_ciphersuites: its suite is taken');
is(cipher($port{custom}, '-tls1_3', '-ciphersuites',
          'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384'),
   '(NONE)', 'tls_ciphersuites: a client without it is refused');

is(cipher($port{old}, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA'),
   'ECDHE-RSA-AES128-SHA', 'tls_min_version TLSv1: ECDHE CBC suites added');
is(cipher($port{old}, '-tls1_2', '-cipher', 'AES128-SHA'), '(NONE)',
   'but still no static RSA');
# (at start, before the error log is open, it goes to stderr)
ok(wait_for(sub {
       my $t = $w->log_text;
       if (open(my $e, '<', "$dir/stderr.log")) { local $/; $t .= <$e> }
       return $t =~ /listener "old": tls_min_version TLSv1 enables .*CBC/;
   }, 5), 'and the log says what tls_min_version enables');

$w->stop;

# a list OpenSSL cannot use fails weir -t, naming the listener
open(my $fh, '>', "$dir/t.yaml") or die;
print $fh config('NO-SUCH-CIPHER');
close $fh;
my $out = `@{[Weir::binary()]} -t -p $dir -c $dir/t.yaml 2>&1`;
isnt($? >> 8, 0, 'weir -t fails for a tls_ciphers nothing matches');
like($out, qr/listener "custom" of load balancer "nlb-1": tls_ciphers (?#
             )"NO-SUCH-CIPHER" cannot be used/, 'naming it') or diag($out);

done_testing();
