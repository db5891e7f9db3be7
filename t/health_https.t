#!/usr/bin/perl
# weir: HTTPS health checks against TLS targets (IO::Socket::SSL with a
# self-signed certificate made here; weir does not verify it). The request
# arrives inside TLS as configured; a bad status takes the target out; a
# target that speaks plain HTTP on the monitor port fails with a TLS error;
# a TLS target that never answers the request times out.
use strict;
use warnings;
use lib 't/lib';
use IO::Socket::INET;
use Test::More;
use Weir qw(free_port wait_for start_backend);
use WeirHealth qw(http_target set_status http_ask requests make_cert);

eval { require IO::Socket::SSL; 1 }
    or plan(skip_all => 'IO::Socket::SSL is not installed');

my $w = Weir->new;
my $dir = $w->dir;

my ($cert, $key) = make_cert($dir);
plan(skip_all => 'openssl could not make a test certificate') unless $cert;

my $tls = { cert => $cert, key => $key };
my $ta = http_target(name => 'A', dir => $dir, tls => $tls);
my $tb = http_target(name => 'B', dir => $dir, tls => $tls);
# plain TCP that answers at once: echoes the ClientHello back
my $tp = start_backend(name => 'P', mode => 'echo');

# accepts TCP connections and never says a word: the handshake stalls
my $mute = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 16, Proto => 'tcp')
    or die "mute: $!";
my $mute_port = $mute->sockport;

my $port = free_port();

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: tls-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: in, protocol: TCP, protocol_port: $port, target_group: secure-tg }
    target_groups:
      - name: secure-tg
        protocol: HTTPS
        health_monitor:
          type: HTTPS
          delay: 2
          timeout: 1
          max_retries: 1
          max_retries_down: 1
          http_method: GET
          url_path: /tls-health
          expected_codes: "200"
        members:
          - { name: a, address: 127.0.0.1, protocol_port: $ta->{port} }
          - { name: b, address: 127.0.0.1, protocol_port: $tb->{port} }
          - { name: p, address: 127.0.0.1, protocol_port: $tp->{port} }
          - { name: m, address: 127.0.0.1, protocol_port: $mute_port }
EOF

ok($w->start($port), 'weir started') or BAIL_OUT('weir did not start');

for my $t ($ta, $tb) {
    ok($w->wait_log(qr/target 127\.0\.0\.1:$t->{port} of group secure-tg (?x)
                       is\ UP/, 5), "TLS target $t->{name} is UP");
}

my @r = requests($ta);
ok(@r >= 1, 'the TLS target got the check');
is($r[0][0], 'GET /tls-health HTTP/1.1', 'request line inside TLS');
is($r[0][1], "127.0.0.1:$ta->{port}", 'Host inside TLS');

ok($w->wait_log(qr/target 127\.0\.0\.1:$tp->{port} of group secure-tg is (?x)
                   DOWN:\ TLS\ error/, 5),
   'a server that does not speak TLS fails with a TLS error');
ok($w->wait_log(qr/target 127\.0\.0\.1:$mute_port of group secure-tg is (?x)
                   DOWN:\ TLS\ handshake\ timeout/, 6),
   'a server that never answers the handshake times out');

# traffic (forwarded at L4, TLS end to end) reaches only healthy targets
my $ok = 0;
for (1 .. 8) {
    my $c = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 SSL_verify_mode => 0, Timeout => 5) or next;
    print $c "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    my $resp = join '', <$c>;
    $ok++ if $resp =~ /\r\n\r\n[AB]\n\z/;
    close $c;
}
is($ok, 8, 'clients reach the healthy TLS targets only');

set_status($tb, 503);
ok($w->wait_log(qr/target 127\.0\.0\.1:$tb->{port} of group secure-tg is (?x)
                   DOWN:\ bad\ status\ 503\ \(1\ failure\ in\ a\ row\)/, 6),
   'an HTTPS target answering 503 is DOWN');

set_status($tb, 200);
my $upb = qr/target 127\.0\.0\.1:$tb->{port} of group secure-tg is UP/;
ok(wait_for(sub { my @u = $w->log_text =~ /$upb/g; @u == 2 }, 6),
   'and UP again once it answers 200');

$w->stop;
unlike($w->log_text, qr/\[(alert|emerg|crit)\]/, 'no alerts in the log');

done_testing();
