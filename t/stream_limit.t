#!/usr/bin/perl
# weir: a TCP listener's connection_limit counts its open connections
# across all three workers (a gauge in the shared zone): with 4 open, every
# further client is closed at once whichever worker accepts it; when one
# closes, a new client gets in again. A listener without a limit is not
# affected.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend);

my $w = Weir->new;
my $echo = start_backend(name => 'E', mode => 'echo');
my %port = map { $_ => free_port() } qw(limited free);

$w->write_config("worker_processes: 3\n"
    . "load_balancers:\n"
    . "  - name: limit-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . "      - { name: limited, protocol: TCP, protocol_port: $port{limited},"
    .         " target_group: pool, connection_limit: 4 }\n"
    . "      - { name: free, protocol: TCP, protocol_port: $port{free}, "
    .         "target_group: pool }\n"
    . "    target_groups:\n"
    . "      - name: pool\n"
    . "        protocol: TCP\n"
    . "        members:\n"
    . "          - { name: echo, address: 127.0.0.1, "
    .             "protocol_port: $echo->{port} }\n");

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');
ok(wait_for(sub { scalar($w->workers) == 3 }), 'three workers');

# open a connection and check it carries bytes; returns the socket, or
# undef when weir closed it
sub hold {
    my ($port, $tag) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5) or return;
    syswrite($s, $tag);
    my $sel = IO::Select->new($s);
    return undef unless $sel->can_read(5);
    my $n = sysread($s, my $buf, 100);
    return ($n && $buf eq $tag) ? $s : undef;
}

# the start-up probe's connection may still be counted for a moment
ok(wait_for(sub {
       my $s = hold($port{limited}, 'probe');
       return defined $s;
   }), 'the limited listener serves');

# (a slot freed by the probe above may take a moment to be counted out:
# retry, a refused client does not count)
my @open;
for my $i (1 .. 4) {
    my $s;
    wait_for(sub { $s = hold($port{limited}, "open$i") }, 5);
    push @open, $s if $s;
}
is(scalar @open, 4, '4 connections under connection_limit 4 are served');

my $refused = 0;
for my $i (1 .. 9) {
    $refused++ unless hold($port{limited}, "over$i");
}
is($refused, 9, 'with 4 open, 9 more clients are all closed, whichever '
              . 'of the 3 workers accepts them');
ok($w->wait_log(qr/connection_limit \(4\) reached, client closed/),
   'the refusal is logged');

my @free;
for my $i (1 .. 8) {
    my $s = hold($port{free}, "free$i");
    push @free, $s if $s;
}
is(scalar @free, 8, 'a listener without a limit is not affected');
close $_ for @free;

close(shift @open);
ok(wait_for(sub { my $s = hold($port{limited}, 'again'); close $s if $s;
                  return defined $s }),
   'after one closes, a new client is served again');

close $_ for @open;
ok(wait_for(sub {
       my @s = grep { defined } map { hold($port{limited}, "n$_") } 1 .. 4;
       my $n = @s;
       close $_ for @s;
       return $n == 4;
   }), 'after all close, 4 at once are served again');

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
