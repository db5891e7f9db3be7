#!/usr/bin/perl
# weir: TLS listeners (TLS terminated, plain TCP to the targets). TLS 1.2
# and 1.3 both work with tls_min_version TLSv1.2; TLSv1.3 refuses a TLS 1.2
# client (logged at info with its address and the reason); SNI picks the
# certificate (exact name, wildcard, default); 1 MB intact both ways;
# sessions resume on every worker (one ticket key per generation) and
# after a reload; a missing or broken certificate or key fails `weir -t`
# with the listener and the file named.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::SSL qw(SSL_VERIFY_NONE);
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for start_backend);

my $w = Weir->new;
my $dir = $w->dir;

my @req = ('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
           'ec_paramgen_curve:P-256', '-nodes', '-days', '2');

sub make_cert {
    my ($base, $cn, $san) = @_;
    my @cmd = (@req, '-subj', "/CN=$cn", '-keyout', "$dir/$base.key",
               '-out', "$dir/$base.pem");
    push @cmd, '-addext', "subjectAltName=$san" if $san;
    system("@cmd >/dev/null 2>&1") == 0 or die "openssl req for $base failed";
}

make_cert('default', 'default.test', 'DNS:default.test');
make_cert('a', 'a.example.com', 'DNS:a.example.com,DNS:www.example.com');
make_cert('wild', 'wild.example.org', 'DNS:*.example.org');

my $echo = start_backend(name => 'E', mode => 'echo');
my %port = map { $_ => free_port() } qw(tls12 tls13);

sub config {
    my (%o) = @_;
    my $cert = $o{cert} // 'default.pem';
    my $key = $o{key} // 'default.key';
    return "worker_processes: 2\n"
         . "log_level: debug\n"
         . "load_balancers:\n"
         . "  - name: tls-lb\n"
         . "    type: NLB\n"
         . "    address: 127.0.0.1\n"
         . "    listeners:\n"
         . "      - name: tls12\n"
         . "        protocol: TLS\n"
         . "        protocol_port: $port{tls12}\n"
         . "        target_group: echo-tg\n"
         . "        tls_certificate: $cert\n"
         . "        tls_key: $key\n"
         . "        tls_min_version: TLSv1.2\n"
         . "        sni_certificates:\n"
         . "          - { tls_certificate: $dir/a.pem, tls_key: a.key }\n"
         . "          - { tls_certificate: wild.pem, tls_key: wild.key }\n"
         . "      - name: tls13\n"
         . "        protocol: TLS\n"
         . "        protocol_port: $port{tls13}\n"
         . "        target_group: echo-tg\n"
         . "        tls_certificate: default.pem\n"
         . "        tls_key: default.key\n"
         . "        tls_min_version: TLSv1.3\n"
         . "    target_groups:\n"
         . "      - name: echo-tg\n"
         . "        protocol: TCP\n"
         . "        members:\n"
         . "          - { name: e1, address: 127.0.0.1, "
         . "protocol_port: $echo->{port} }\n";
}

# run `weir -t` on the config in the temp dir: (exit code, stderr)
sub weir_t {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open(STDOUT, '>', "$dir/t.out");
        open(STDERR, '>', "$dir/t.err");
        exec(Weir::binary(), '-t', '-p', $dir, '-c', "$dir/weir.yaml")
            or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    open(my $fh, '<', "$dir/t.err") or die;
    local $/;
    return ($rc, <$fh> // '');
}

sub tls_connect {
    my (%o) = @_;
    return IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1',
        PeerPort => $o{port},
        Timeout => 5,
        SSL_verify_mode => SSL_VERIFY_NONE,
        ($o{sni} ? (SSL_hostname => $o{sni}) : ()),
        ($o{version} ? (SSL_version => $o{version}) : ()),
        ($o{ctx} ? (SSL_reuse_ctx => $o{ctx},
                    SSL_session_key => $o{key}) : ()));
}

# one line there and back, bounded by an alarm
sub ping {
    my ($s, $text) = @_;
    my $line = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 5;
        print $s "$text\n";
        my $l = <$s>;
        alarm 0;
        $l;
    };
    alarm 0;
    return $line;
}

# --- weir -t checks the files ---

$w->write_config(config(cert => 'missing.pem'));
my ($rc, $err) = weir_t();
is($rc, 1, 'weir -t fails on a missing certificate');
like($err, qr{weir\.yaml:\d+:\d+:\ listener\ "tls12"\ of\ load\ balancer
               \ "tls-lb":\ tls_certificate\ "\Q$dir\E/missing\.pem"
               \ cannot\ be\ loaded:\ .*No\ such\ file\ or\ directory}x,
     'the message names the listener and the file');

open(my $fh, '>', "$dir/junk.pem") or die;
print $fh "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
        . "-----END CERTIFICATE-----\n";
close $fh;
$w->write_config(config(cert => 'junk.pem'));
($rc, $err) = weir_t();
is($rc, 1, 'weir -t fails on an invalid certificate');
like($err, qr{listener\ "tls12"\ of\ load\ balancer\ "tls-lb":
               \ tls_certificate\ "\Q$dir\E/junk\.pem"\ cannot\ be
               \ loaded:\ }x,
     'the message names the listener and the invalid file');

$w->write_config(config(key => 'a.key'));
($rc, $err) = weir_t();
is($rc, 1, 'weir -t fails on a key of another certificate');
like($err, qr{listener\ "tls12"\ .*:\ tls_key\ "\Q$dir\E/a\.key"\ cannot
               \ be\ loaded:\ key\ values\ mismatch}x,
     'the message names the key');

$w->write_config(config());
($rc, $err) = weir_t();
is($rc, 0, 'weir -t passes with good files') or diag($err);

# --- serving ---

ok($w->start($port{tls12}, $port{tls13}), 'weir started') or do {
    diag($w->log_text);
    done_testing();
    exit;
};

for my $v (qw(TLSv1_2 TLSv1_3)) {
    my $s = tls_connect(port => $port{tls12}, version => $v);
    ok($s, "$v client connects to a TLSv1.2 listener")
        or diag($IO::Socket::SSL::SSL_ERROR);
    next unless $s;
    is($s->get_sslversion, $v, "$v negotiated");
    is(ping($s, "hello $v"), "hello $v\n", "$v: echoed through the target");
    close $s;
}

{
    my $s = tls_connect(port => $port{tls13}, version => 'TLSv1_3');
    ok($s, 'TLS 1.3 client connects to a TLSv1.3 listener');
    is($s && ping($s, 'x13'), "x13\n", 'and is echoed');
    close $s if $s;

    $s = tls_connect(port => $port{tls13}, version => 'TLSv1_2');
    ok(!$s, 'a TLS 1.2 client is refused by a TLSv1.3 listener');
    my $re = '\[info\] .*SSL handshake failed \(unsupported protocol\), '
           . 'client: 127\.0\.0\.1:\d+, listener: 127\.0\.0\.1:'
           . $port{tls13};
    ok($w->wait_log(qr/$re/, 5),
       'the failed handshake is logged at info with the client and reason');
}

# --- SNI ---

my @sni = (['a.example.com', 'a.example.com'],
           ['www.example.com', 'a.example.com'],
           ['shop.example.org', 'wild.example.org'],
           ['deep.shop.example.org', 'default.test'],
           ['other.test', 'default.test'],
           [undef, 'default.test']);

for my $case (@sni) {
    my ($name, $want) = @$case;
    my $s = tls_connect(port => $port{tls12}, sni => $name);
    my $what = defined $name ? "SNI $name" : 'no SNI';
    is($s && $s->peer_certificate('cn'), $want, "$what gets $want");
    close $s if $s;
}

# --- 1 MB both ways ---

{
    my $data = join('', map { pack('N', $_ * 2654435761 % 4294967296) }
                         0 .. 262143);
    my $s = tls_connect(port => $port{tls12}, sni => 'a.example.com');
    ok($s, 'connected for 1 MB');
    my ($off, $got) = (0, '');
    $s->blocking(0);
    my $deadline = time + 20;
    my $sel = IO::Select->new($s);
    while (length($got) < length($data) && time < $deadline) {
        if ($off < length $data) {
            my $n = $s->syswrite($data, 16384, $off);
            $off += $n if $n;
        }
        # data already decrypted inside OpenSSL is not seen by select
        if ($s->pending || $sel->can_read(0.05)) {
            while (1) {
                my $n = $s->sysread(my $buf, 65536);
                last unless $n;
                $got .= $buf;
            }
        }
    }
    is(length($got), length($data), '1 MB comes back');
    ok($got eq $data, '1 MB intact through TLS both ways');
    close $s;
}

# --- resumption on every worker, and after a reload ---

sub resumed {
    my ($port, $version, $n) = @_;
    my $ctx = IO::Socket::SSL::SSL_Context->new(
        SSL_verify_mode => SSL_VERIFY_NONE, SSL_session_cache_size => 4,
        SSL_version => $version) or die "context: $IO::Socket::SSL::SSL_ERROR";
    my @r;
    for my $i (1 .. $n) {
        my $s = tls_connect(port => $port, ctx => $ctx, key => 'k') or last;
        # the echo makes the client read the TLS 1.3 tickets
        ping($s, "r$i") or last;
        push @r, $s->get_session_reused ? 1 : 0;
        close $s;
    }
    return @r;
}

for my $v (qw(TLSv1_2 TLSv1_3)) {
    my @r = resumed($port{tls12}, $v, 12);
    is(scalar(@r), 12, "$v: 12 connections");
    is("@r", '0' . ' 1' x 11, "$v: the first is new, the others resumed");
}

my %pids;
for my $line (split /\n/, $w->log_text) {
    $pids{$1} = 1
        if $line =~ /(\d+)#worker \d+: .*SSL handshake done: .*reused/;
}
is(scalar(keys %pids), 2, 'sessions resumed on both workers (shared key)');

$w->signal('HUP');
ok($w->wait_log(qr/configuration generation \d+ is running/, 10),
   'reloaded');
ok(wait_for(sub {
    my $s = tls_connect(port => $port{tls12}, sni => 'shop.example.org');
    my $ok = $s && $s->peer_certificate('cn') eq 'wild.example.org'
             && ping($s, 'after') eq "after\n";
    close $s if $s;
    return $ok;
}, 10), 'TLS works after a reload');
my @r = resumed($port{tls12}, 'TLSv1_3', 4);
is("@r", '0 1 1 1', 'sessions resume in the new generation');

$w->stop;
done_testing();
