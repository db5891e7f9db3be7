#!/usr/bin/perl
# weir: OCSP stapling from a response file (issue 13, item 13):
# tls_ocsp_response names a DER response (made here by `openssl ocsp`
# from a test CA's index, for a certificate whose AIA names a responder);
# a client that asks (status_request) gets it stapled, a listener without
# the option staples nothing; the file is read again at a reload (a
# revoked status then shows); weir -t refuses a file that is missing, not
# an OCSP response, or for another certificate, and a certificate file
# without its issuer. (An out-of-date response: t/unit/event/test_lb_ssl.c
# makes one, which `openssl ocsp` cannot.)
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port);

my $w = Weir->new;
my $dir = $w->dir;

sub sh {
    my ($cmd) = @_;
    my $out = `cd '$dir' && $cmd 2>&1`;
    return $? == 0 ? 1 : do { diag("$cmd: $out"); 0 };
}

# a CA, two certificates it issued (serials 1001 and 1002) with an OCSP
# responder in their AIA, and the responder's index of both
my $made = sh('openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=weir-ca '
              . '-days 2 -keyout ca.key -out ca.pem '
              . '-addext basicConstraints=critical,CA:TRUE '
              . '-addext keyUsage=critical,keyCertSign,cRLSign');
open(my $fh, '>', "$dir/ext.cnf") or die;
print $fh "subjectAltName=DNS:localhost\n"
        . "authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\n";
close $fh;
for my $c ([srv => '0x1001'], [other => '0x1002']) {
    my ($n, $serial) = @$c;
    $made &&= sh("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
                 . "-keyout $n.key -out $n.csr")
           && sh("openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
                 . "-set_serial $serial -days 2 -extfile ext.cnf -out $n.pem")
           && sh("cat $n.pem ca.pem > $n-chain.pem");
}
plan(skip_all => 'openssl could not make the test certificates')
    unless $made;

# the responder's answer for certificate $n, by index line status
# ('V' valid, 'R' revoked), into $out
sub ocsp_response {
    my ($n, $status, $out) = @_;
    my $rev = $status eq 'R' ? '260101000000Z' : '';
    open(my $ix, '>', "$dir/index.txt") or die;
    print $ix "$status\t491231235959Z\t$rev\t1001\tunknown\t/CN=localhost\n"
            . "V\t491231235959Z\t\t1002\tunknown\t/CN=localhost\n";
    close $ix;
    # both certificates have the same subject
    open(my $attr, '>', "$dir/index.txt.attr") or die;
    print $attr "unique_subject = no\n";
    close $attr;
    return sh("openssl ocsp -issuer ca.pem -cert $n.pem -no_nonce "
              . "-reqout $n.req")
        && sh("openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key "
              . "-CA ca.pem -reqin $n.req -respout $out -ndays 1");
}

ok(ocsp_response('srv', 'V', 'good.der'), 'a response for srv.pem: good');
ok(ocsp_response('other', 'V', 'other.der'), 'and one for other.pem');
like(`openssl x509 -in '$dir/srv.pem' -noout -ocsp_uri`,
     qr{^http://127\.0\.0\.1:9/ocsp$}, 'the certificate names a responder');

my %port = map { $_ => free_port() } qw(ocsp plain tls);

sub config {
    my (%o) = @_;
    my $crt = $o{crt} // 'srv-chain.pem';
    my $resp = $o{resp} // 'good.der';
    return "worker_processes: 1\n"
         . "load_balancers:\n"
         . "  - name: alb-1\n"
         . "    type: ALB\n"
         . "    address: 127.0.0.1\n"
         . "    listeners:\n"
         . "      - { name: ocsp, protocol: HTTPS, protocol_port: $port{ocsp}, "
         . "tls_certificate: $crt, tls_key: srv.key, "
         . "tls_ocsp_response: $resp }\n"
         . "      - { name: plain, protocol: HTTPS, "
         . "protocol_port: $port{plain}, tls_certificate: srv-chain.pem, "
         . "tls_key: srv.key }\n"
         . "  - name: nlb-1\n"
         . "    type: NLB\n"
         . "    address: 127.0.0.1\n"
         . "    listeners:\n"
         . "      - { name: tls, protocol: TLS, protocol_port: $port{tls}, "
         . "tls_certificate: srv-chain.pem, tls_key: srv.key, "
         . "tls_ocsp_response: good.der }\n";
}

sub client {
    my ($port, @args) = @_;
    return `echo | timeout 10 openssl s_client -connect 127.0.0.1:$port @args 2>&1`;
}

$w->write_config(config());
ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');

for my $v (qw(-tls1_2 -tls1_3)) {
    my $out = client($port{ocsp}, $v, '-status');
    like($out, qr/OCSP Response Status: successful/,
         "HTTPS, $v: the response is stapled when asked for");
    like($out, qr/Cert Status: good/, "HTTPS, $v: it says good");
    like($out, qr/Serial Number: 1001/, "HTTPS, $v: for the certificate");
}
like(client($port{tls}, '-status'), qr/Cert Status: good/,
     'TLS listener: stapled too');
unlike(client($port{ocsp}), qr/OCSP Response Status/,
       'nothing stapled for a client that does not ask');
like(client($port{plain}, '-status'), qr/OCSP response: no response sent/,
     'a listener without tls_ocsp_response staples nothing');

# a reload reads the file again: now it says revoked (and the log warns)
ok(ocsp_response('srv', 'R', 'good.der.new')
   && rename("$dir/good.der.new", "$dir/good.der"), 'a revoked response');
$w->signal('HUP');
ok($w->wait_log(qr/configuration generation 2 is running/, 10), 'reloaded');
ok($w->wait_log(qr/\[warn\].*tls_ocsp_response ".*good\.der" says (?#
                  )tls_certificate "srv-chain\.pem" is revoked/, 5),
   'the log says the response is not "good"');
like(client($port{ocsp}, '-status'), qr/Cert Status: revoked/,
     'after the reload the new response is stapled');

$w->stop;

# weir -t: the file must be there, an OCSP response, for this certificate
# (whose issuer must follow it in tls_certificate)
open($fh, '>', "$dir/junk.der") or die;
print $fh "not DER\n";
close $fh;
my @bad = (
    [ { resp => 'missing.der' },
      qr{tls_ocsp_response "\Q$dir\E/missing\.der" cannot be opened: No such},
      'a missing file' ],
    [ { resp => 'junk.der' },
      qr{tls_ocsp_response "\Q$dir\E/junk\.der" is not a DER OCSP response},
      'a file that is not an OCSP response' ],
    [ { resp => 'other.der' },
      qr{tls_ocsp_response "\Q$dir\E/other\.der" is not for (?#
        )tls_certificate "srv-chain\.pem": it has no status for that (?#
        )certificate},
      'a response for another certificate' ],
    [ { resp => 'good.der', crt => 'srv.pem' },
      qr{tls_ocsp_response "\Q$dir\E/good\.der" cannot be checked: (?#
        )tls_certificate "srv\.pem" has no issuer certificate},
      'a certificate file without the issuer' ],
);
for my $b (@bad) {
    my ($o, $re, $what) = @$b;
    open($fh, '>', "$dir/t.yaml") or die;
    print $fh config(%$o);
    close $fh;
    my $out = `@{[Weir::binary()]} -t -p $dir -c $dir/t.yaml 2>&1`;
    isnt($? >> 8, 0, "weir -t fails for $what");
    like($out, qr/^\Q$dir\E\/t\.yaml:7:9: listener "ocsp" of load (?#
                  )balancer "alb-1": /m, 'naming the listener') or diag($out);
    like($out, $re, 'and the problem') or diag($out);
}

done_testing();
