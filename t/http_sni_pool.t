#!/usr/bin/perl
# weir: idle connections to HTTPS targets are pooled per TLS server name
# (the request's host), and a pooled connection goes only to a request for
# the same name. The name is compared, not a hash of it: a client chooses
# the name, and so can choose one whose hash collides with another's
# (issue 13, defect 5).
#
# To make a collision without guessing weir's random hash key, weir runs
# with getrandom() returning zeros (an LD_PRELOAD shim built here), so the
# key is all zero; under that key the 32-bit keyed hash of "h1850.test"
# and "h40022.test" (SipHash-2-4, truncated, | 1: 0xd06b6d1f) are equal.
# The pair was found by a birthday search over "h<n>.test" with
# src/core/lb_hash.c.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend http_connect http_request
                count_lines);

my $w = Weir->new;
my $dir = $w->dir;

open(my $fh, '>', "$dir/zero.c") or die $!;
print $fh <<'EOF';
#include <string.h>
#include <sys/types.h>
ssize_t getrandom(void *buf, size_t len, unsigned flags)
{
    (void) flags;
    memset(buf, 0, len);
    return (ssize_t) len;
}
EOF
close $fh;
system("cc -shared -fPIC -o $dir/zero.so $dir/zero.c") == 0
    or BAIL_OUT('cannot build the getrandom shim');

system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
       . " -nodes -days 2 -subj /CN=t.test -keyout $dir/t.key"
       . " -out $dir/t.pem 2>/dev/null") == 0
    or die "openssl req failed\n";

my $t = start_http_backend(name => 'T', log => "$dir/t.log",
                           tls => { cert => "$dir/t.pem",
                                    key => "$dir/t.key" });
my $port = free_port();

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: $port
        target_group: pool-tls
        tls_certificate: t.pem
        tls_key: t.key
    target_groups:
      - name: pool-tls
        protocol: HTTPS
        members:
          - { address: 127.0.0.1, protocol_port: $t->{port} }
EOF

{
    local $ENV{LD_PRELOAD} = "$dir/zero.so";
    # a sanitizer build wants its runtime first: the shim goes before it
    local $ENV{ASAN_OPTIONS} = join(':', grep { defined && length }
                                    $ENV{ASAN_OPTIONS},
                                    'verify_asan_link_order=0');
    ok($w->start($port), 'weir started') or BAIL_OUT('weir did not start');
}

# one request with Host: $host on a new client connection (the pool is
# the worker's: connections to the target outlive the client's)
sub get_host {
    my ($host) = @_;
    my $c = http_connect($port, {}) or return undef;
    print $c "GET / HTTP/1.1\r\nHost: $host\r\n\r\n";
    my $r = WeirHTTP::read_response($c, 'GET');
    close $c;
    return $r;
}

my $r1 = get_host('h1850.test');
is($r1 && $r1->{headers}{'x-tls-sni'}, 'h1850.test',
   'the first name opens a connection with its own server name');
ok(wait_for(sub { count_lines("$dir/t.log", qr/^req/) == 1 }),
   'the target answered it');

# the connection for h1850.test is idle in the pool now; a request for a
# name with the same hash must not get it
my $r2 = get_host('h40022.test');
is($r2 && $r2->{headers}{'x-tls-sni'}, 'h40022.test',
   'a name whose hash collides gets a connection with its own name');
is(count_lines("$dir/t.log", qr/^accept/), 2,
   'the colliding name made a new target connection');

# the same name still reuses its connection
my $acc = count_lines("$dir/t.log", qr/^accept/);
my $r3 = get_host('h1850.test');
is($r3 && $r3->{headers}{'x-tls-sni'}, 'h1850.test',
   'the first name again: its own server name');
is(count_lines("$dir/t.log", qr/^accept/), $acc,
   'and its pooled connection');

check_clean($w);

done_testing();
