#!/usr/bin/perl
# weir: a worker short of descriptors. Each keep-alive client holds one
# and each request a connection to its target; with both limits at 64 a
# worker runs out after a few dozen clients. It then closes its oldest
# pooled target connection (or, with none, its oldest idle keep-alive
# clients, as nginx's "reusing connections") and connects again, so the
# request in hand is served instead of answered 502; the shortage is
# logged once, not once per request.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port);
use WeirHTTP qw(start_http_backend http_connect http_request);

my $w = Weir->new(nofile => 64);
my ($ba, $bb) = map { start_http_backend(name => $_) } qw(A B);
my %port = (a => free_port(), b => free_port());

$w->write_config("worker_processes: 1\n"
    . "load_balancers:\n"
    . "  - name: nofile-lb\n"
    . "    type: ALB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . join('', map { "      - name: web-$_\n"
                     . "        protocol: HTTP\n"
                     . "        protocol_port: $port{$_}\n"
                     . "        target_group: pool-$_\n" } qw(a b))
    . "    target_groups:\n"
    . join('', map { "      - name: pool-$_->[0]\n"
                     . "        protocol: HTTP\n"
                     . "        members:\n"
                     . "          - { address: 127.0.0.1, "
                     . "protocol_port: $_->[1]{port}, weight: 1 }\n" }
               ['a', $ba], ['b', $bb]));
ok($w->start($port{a}, $port{b}), 'weir started with 64 descriptors');

# n clients of a listener, each with one request in flight at once (the
# target answers after 300 ms, so each needs its own target connection);
# the clients stay open. Returns the statuses counted.
my @keep;
sub burst {
    my ($port, $n) = @_;
    my (@c, %status);
    for (1 .. $n) {
        my $c = http_connect($port) or do { $status{connect}++; next };
        syswrite($c, "GET /slow?300 HTTP/1.1\r\nHost: localhost\r\n\r\n");
        push @c, $c;
    }
    for my $c (@c) {
        my $r = WeirHTTP::read_response($c, 'GET', 5);
        $status{$r ? $r->{status} : 'none'}++;
    }
    push @keep, @c;
    return \%status;
}

# 20 clients and, once answered, 20 pooled connections to target A
is_deeply(burst($port{a}, 20), { 200 => 20 }, '20 clients of listener a')
    or diag(explain($w->log_text));

# 15 more clients with 15 requests to B at once: 70 descriptors and
# more; the pooled connections to A make room
is_deeply(burst($port{b}, 15), { 200 => 15 },
          '15 clients of listener b served while descriptors are short')
    or diag($w->log_text);

# the first clients are still served on their connections
my %again;
for my $c (@keep[0 .. 19]) {
    my $r = http_request($c, 'GET', '/again');
    $again{$r ? $r->{status} : 'closed'}++;
}
is($again{200} // 0, 20, 'the first 20 clients are served again')
    or diag(explain(\%again));

my @short = $w->log_text =~ /descriptors are short/g;
cmp_ok(scalar(@short), '>=', 1, 'the shortage is logged');
cmp_ok(scalar(@short), '<=', 10, 'but not once per request');
unlike($w->log_text, qr/\[alert\]/, 'no alert');

$w->stop;
done_testing();
