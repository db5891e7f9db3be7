#!/usr/bin/perl
# weir: health checks leave from the balancer's health_check_ips (SPEC 6):
# the address listed for the target's subnet, else one for any subnet.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for spawn_server stop_server);

my $w = Weir->new;
my $dir = $w->dir;

# a TCP target that writes the source address of every connection it gets
sub recorder {
    my ($file) = @_;
    return spawn_server(listen => 64, what => 'recorder', serve => sub {
        my ($srv) = @_;
        while (my $c = $srv->accept) {
            open(my $fh, '>>', $file) or die;
            print $fh $c->peerhost, "\n";
            close $fh;
            close $c;
        }
    });
}

my $ra = recorder("$dir/a.log");
my $rb = recorder("$dir/b.log");
my ($porta, $portb) = ($ra->{port}, $rb->{port});
my $port = free_port();

$w->write_config(<<"EOF");
worker_processes: 1
load_balancers:
  - name: hc-lb
    type: NLB
    address: 127.0.0.1
    health_check_ips:
      - { subnet_id: subnet-a, address: 127.0.0.9 }
      - { address: 127.0.0.7 }
    listeners:
      - { name: t, protocol: TCP, protocol_port: $port, target_group: pool }
    target_groups:
      - name: pool
        protocol: TCP
        health_monitor: { type: TCP, delay: 2, timeout: 1 }
        members:
          - { name: a, address: 127.0.0.1, protocol_port: $porta, subnet_id: subnet-a }
          - { name: b, address: 127.0.0.1, protocol_port: $portb, subnet_id: subnet-b }
EOF
ok($w->start(), "weir started");

sub sources {
    my ($file) = @_;
    open(my $fh, '<', $file) or return ();
    my %s = map { chomp; $_ => 1 } <$fh>;
    my @sorted = sort keys %s;
    return @sorted;     # a count in scalar context
}

ok(wait_for(sub { sources("$dir/a.log") && sources("$dir/b.log") }, 10),
   'both targets were checked');
is_deeply([sources("$dir/a.log")], ['127.0.0.9'],
          'subnet-a target is checked from its subnet\'s address');
is_deeply([sources("$dir/b.log")], ['127.0.0.7'],
          'another subnet falls back to the address for any subnet');

$w->stop;
stop_server($_) for $ra, $rb;
done_testing();
