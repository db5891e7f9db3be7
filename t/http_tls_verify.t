#!/usr/bin/perl
# weir: tls_verify on HTTPS target groups (off by default, as nginx's
# proxy_ssl_verify): with it, a target's certificate must chain to the
# group's tls_ca_certificate and name tls_verify_name (or, without a
# name, the target's address as an IP SAN); a target that fails is not
# used (the request gets 502) and its HTTPS health check says TLS error.
# Without tls_verify a self-signed target still works. weir -t rejects a
# missing CA file and tls_verify without tls_ca_certificate.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use POSIX ();
use Test::More;
use Weir qw(free_port wait_for);
use WeirHealth qw(http_target make_cert);

eval { require IO::Socket::SSL; 1 }
    or plan(skip_all => 'IO::Socket::SSL is not installed');

my $w = Weir->new;
my $dir = $w->dir;

sub run { system("@_ >/dev/null 2>&1") == 0 or die "failed: @_" }

# a CA, and a server certificate it signs for good.test and 127.0.0.1
my $ec = '-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2';
run("openssl req -x509 $ec -subj /CN=weir-test-ca -keyout $dir/ca.key "
    . "-out $dir/ca.pem");
run("openssl req $ec -subj /CN=good.test -keyout $dir/srv.key "
    . "-out $dir/srv.csr");
open(my $ext, '>', "$dir/srv.ext") or die;
print $ext "subjectAltName=DNS:good.test,IP:127.0.0.1\n";
close $ext;
run("openssl x509 -req -in $dir/srv.csr -CA $dir/ca.pem -CAkey $dir/ca.key "
    . "-CAcreateserial -days 2 -extfile $dir/srv.ext -out $dir/srv.pem");
my ($self, $selfkey) = make_cert($dir);    # self-signed, CN=localhost

my $signed = { cert => "$dir/srv.pem", key => "$dir/srv.key" };
my $selfs = { cert => $self, key => $selfkey };

my %t = (good    => http_target(name => 'GOOD', dir => $dir, tls => $signed),
         badname => http_target(name => 'BADNAME', dir => $dir,
                                tls => $signed),
         ip      => http_target(name => 'IP', dir => $dir, tls => $signed),
         wrongca => http_target(name => 'WRONGCA', dir => $dir,
                                tls => $selfs),
         off     => http_target(name => 'OFF', dir => $dir, tls => $selfs));
my %port = map { $_ => free_port() } keys %t;

my %verify = (good    => "tls_verify: true, tls_ca_certificate: ca.pem, "
                       . "tls_verify_name: good.test, ",
              badname => "tls_verify: true, tls_ca_certificate: ca.pem, "
                       . "tls_verify_name: other.test, ",
              ip      => "tls_verify: true, tls_ca_certificate: ca.pem, ",
              wrongca => "tls_verify: true, tls_ca_certificate: ca.pem, "
                       . "tls_verify_name: localhost, ",
              off     => '');

sub config {
    my ($extra) = @_;
    my $c = "worker_processes: 1\n"
          . "load_balancers:\n"
          . "  - name: v-lb\n"
          . "    type: ALB\n"
          . "    address: 127.0.0.1\n"
          . "    listeners:\n";
    $c .= "      - { name: l-$_, protocol: HTTPS, protocol_port: $port{$_}, "
        . "target_group: tg-$_, tls_certificate: cert.pem, "
        . "tls_key: key.pem }\n" for sort keys %t;
    $c .= "    target_groups:\n";
    for (sort keys %t) {
        $c .= "      - { name: tg-$_, protocol: HTTPS, $verify{$_}"
            . "health_monitor: { type: HTTPS, delay: 2, timeout: 1, "
            . "max_retries: 1, max_retries_down: 1 }, "
            . "members: [ { name: m-$_, address: 127.0.0.1, "
            . "protocol_port: $t{$_}{port} } ] }\n";
    }
    return $c . ($extra // '');
}

# ask through the HTTPS listener on $port: the name of the target that
# answered, or undef
sub https_ask {
    my ($port) = @_;
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 SSL_verify_mode => 0, Timeout => 5)
        or return undef;
    print $s "GET /app HTTP/1.0\r\nHost: test\r\n\r\n";
    my $r = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(5)) {
        my $n = sysread($s, $r, 65536, length $r);
        last unless $n;
    }
    close $s;
    return $r =~ m{^HTTP/1\.[01] 200 .*\r\n\r\n(\S+)\n\z}s ? $1 : undef;
}

$w->write_config(config());
ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

is(wait_for(sub { https_ask($port{good}) }), 'GOOD',
   'tls_verify: a certificate from the CA naming tls_verify_name: served');
is(wait_for(sub { https_ask($port{ip}) }), 'IP',
   'tls_verify without a name: the IP SAN of the target address: served');
is(wait_for(sub { https_ask($port{off}) }), 'OFF',
   'without tls_verify a self-signed target is served (the default)');
is(https_ask($port{badname}), undef,
   'tls_verify: a certificate that does not name tls_verify_name: refused');
is(https_ask($port{wrongca}), undef,
   'tls_verify: a certificate from another CA: refused');
ok($w->wait_log(qr/certificate verify failed/, 5),
   'the failure is logged with the reason');

ok($w->wait_log(qr/target 127\.0\.0\.1:$t{badname}{port} of group (?#
                  )tg-badname is DOWN: TLS error/, 8),
   'the HTTPS health check verifies too: wrong name is DOWN');
ok($w->wait_log(qr/target 127\.0\.0\.1:$t{wrongca}{port} of group (?#
                  )tg-wrongca is DOWN: TLS error/, 8),
   'wrong CA is DOWN');
unlike($w->log_text, qr/of group tg-(good|ip|off) is DOWN/,
       'the verified and the unverified groups stay UP');

# a change taken up live (a member's weight) keeps the verifying groups'
# contexts (found by group id: the workers' groups are new objects)
my @workers = $w->workers;
my $live = config();
$live =~ s/(name: m-good, address: 127\.0\.0\.1, protocol_port: \d+)/$1, weight: 7/;
$w->write_config($live);
my $taken = () = $w->log_text =~ /taken up/g;
$w->signal('USR2');
ok(wait_for(sub { my $n = () = $w->log_text =~ /worker \d+: configuration generation \d+ taken up/g;
                  $n > 0 && $w->log_text =~ /goes to the running workers/ }, 10),
   'a weight change is taken up live');
ok(wait_for(sub { (() = $w->log_text =~ /taken up/g) >= $taken + 2 }, 10),
   'by the worker and the checker');
is(wait_for(sub { https_ask($port{good}) }), 'GOOD',
   'the verifying group still verifies and serves after it');
is(https_ask($port{wrongca}), undef, 'and still refuses another CA');
is_deeply([$w->workers], \@workers, 'the same worker');

# turning tls_verify on for a group takes a reload (its context is made
# from the CA file when a cycle is built)
my $on = $live;
$on =~ s/name: tg-off, protocol: HTTPS, /name: tg-off, protocol: HTTPS, tls_verify: true, tls_ca_certificate: ca.pem, /;
$w->write_config($on);
$w->signal('USR2');
ok($w->wait_log(qr/need new sockets or settings: reloading/, 10),
   'tls_verify turned on takes a reload');
ok(wait_for(sub { !defined https_ask($port{off}) }, 10),
   'then the self-signed target is refused');

$w->stop;

# weir -t: the file names and the rule
sub weir_t {
    my ($text) = @_;
    open(my $fh, '>', "$dir/t.yaml") or die;
    print $fh $text;
    close $fh;
    my $out = `@{[Weir::binary()]} -t -p $dir -c $dir/t.yaml 2>&1`;
    return ($? >> 8, $out);
}

my $c = config();
$c =~ s/tls_ca_certificate: ca\.pem, tls_verify_name: good/tls_ca_certificate: missing.pem, tls_verify_name: good/;
my ($rc, $out) = weir_t($c);
isnt($rc, 0, 'weir -t fails for a missing CA file');
like($out, qr/target group "tg-good" of load balancer "v-lb": (?#
              )tls_ca_certificate "\Q$dir\E\/missing\.pem" cannot be loaded/,
     'naming the target group and the file') or diag($out);

$c = config();
$c =~ s/tls_ca_certificate: ca\.pem, tls_verify_name: good\.test, //;
($rc, $out) = weir_t($c);
isnt($rc, 0, 'weir -t fails for tls_verify without tls_ca_certificate');
like($out, qr/tls_verify needs tls_ca_certificate/, 'saying so')
    or diag($out);

$c = config();
$c =~ s/protocol: HTTPS, tls_verify: true, tls_ca_certificate: ca\.pem, tls_verify_name: good\.test, /protocol: HTTP, tls_verify: true, /;
($rc, $out) = weir_t($c);
isnt($rc, 0, 'weir -t: tls_verify only in HTTPS target groups');
like($out, qr/tls_verify: not allowed here/, 'saying so') or diag($out);

done_testing();
