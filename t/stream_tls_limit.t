#!/usr/bin/perl
# weir: a TLS listener counts a client in its connection_limit from the
# accept on, before the handshake, and bounds the handshake by
# timeout_client_handshake: connections that never send a ClientHello hold
# their slots only that long, and while they do, a real TLS client over
# the limit is closed. (Before, the handshake came first, bounded by
# timeout_client_data: silent connections were not counted at all and
# held an SSL object for 50 s.)
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use IO::Socket::SSL qw(SSL_VERIFY_NONE);
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for start_backend);

my $w = Weir->new;
my $dir = $w->dir;

system('openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 '
       . "-nodes -days 2 -subj /CN=t.test -keyout $dir/t.key "
       . "-out $dir/t.pem >/dev/null 2>&1") == 0 or die 'openssl req failed';

my $echo = start_backend(name => 'E', mode => 'echo');
my $port = free_port();

$w->write_config("worker_processes: 2\n"
    . "log_level: info\n"
    . "load_balancers:\n"
    . "  - name: tls-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . "      - name: tls\n"
    . "        protocol: TLS\n"
    . "        protocol_port: $port\n"
    . "        target_group: echo-tg\n"
    . "        tls_certificate: t.pem\n"
    . "        tls_key: t.key\n"
    . "        connection_limit: 2\n"
    . "        timeout_client_handshake: 4000\n"
    . "    target_groups:\n"
    . "      - name: echo-tg\n"
    . "        protocol: TCP\n"
    . "        members:\n"
    . "          - { name: e1, address: 127.0.0.1, "
    . "protocol_port: $echo->{port} }\n");

ok($w->start($port), 'weir started') or BAIL_OUT('weir did not start');

# a TLS client that sends $tag and reads it back: true when served
sub served {
    my ($tag) = @_;
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 SSL_verify_mode => SSL_VERIFY_NONE,
                                 Timeout => 5) or return 0;
    syswrite($s, $tag);
    my $buf = '';
    my $ok = IO::Select->new($s)->can_read(5)
             && sysread($s, $buf, 100) && $buf eq $tag;
    close $s;
    return $ok ? 1 : 0;
}

ok(wait_for(sub { served('probe') }), 'a TLS client is served');

# two connections that never start the handshake: both slots taken
my @silent;
for my $i (1 .. 2) {
    push @silent, IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                        PeerPort => $port, Proto => 'tcp',
                                        Timeout => 5);
}
is(scalar(grep { defined } @silent), 2, 'two silent connections open');
my $t0 = time;

# a client over the limit is closed at once (a plain connection: it sees
# EOF well before the 4 s handshake timeout would close it). The probe's
# slot may take a moment to be given back; a refused client holds none.
sub refused {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5) or return 1;
    return 0 unless IO::Select->new($s)->can_read(1.5);
    my $n = sysread($s, my $buf, 10);
    return !defined $n || $n == 0;
}

ok(wait_for(sub { refused() }, 5),
   'with 2 silent connections open, a third client is closed at once '
   . '(counted before the handshake)');
ok($w->wait_log(qr/connection_limit \(2\) reached, client closed/),
   'the refusal is logged');

# the silent ones are closed by the handshake timeout (4 s), not by
# timeout_client_data (50 s)
my $closed = 0;
for my $s (@silent) {
    my $sel = IO::Select->new($s);
    if ($sel->can_read(10)) {
        my $n = sysread($s, my $buf, 10);
        $closed++ if !defined $n || $n == 0;
    }
}
my $took = time - $t0;
is($closed, 2, 'the silent connections are closed');
cmp_ok($took, '<', 8, 'within the handshake timeout, not '
                    . 'timeout_client_data (took ' . sprintf('%.1f', $took)
                    . ' s)');
ok($w->wait_log(qr/SSL handshake timed out/), 'the timeout is logged');

ok(wait_for(sub { served('again') }), 'after they go, a client is served');
ok(wait_for(sub { served('again2') }), 'and another');

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
