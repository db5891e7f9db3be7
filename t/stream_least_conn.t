#!/usr/bin/perl
# weir: LEAST_CONNECTIONS on a TCP listener served by three workers. One
# target answers at once, the other holds every connection open for 2 s
# before it answers: the slow one piles up active connections, which every
# worker sees through the shared zone, and gets few of the new ones. The
# same load over ROUND_ROBIN gives the slow target about half.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for tcp_exchange start_backend spawn_server);

my $w = Weir->new;
my $dir = $w->dir;

my $fast = start_backend(name => 'fast', mode => 'echo',
                         log => "$dir/fast.log");
my $slow = slow_backend(2.0, "$dir/slow.log");
my $fast2 = start_backend(name => 'fast2', mode => 'echo',
                          log => "$dir/fast2.log");
my $slow2 = slow_backend(2.0, "$dir/slow2.log");
my %port = map { $_ => free_port() } qw(lc rr);

# A backend that answers each connection only after holding it $hold
# seconds: it reads what comes, and $hold s after the accept writes it
# back and closes. Logs "accept" per connection.
sub slow_backend {
    my ($hold, $log) = @_;
    return spawn_server(what => 'slow backend', serve => sub {
        slow_serve($_[0], $hold, $log);
    });
}

sub slow_serve {
    my ($srv, $hold, $log) = @_;
    open(my $lfh, '>>', $log) or die "$log: $!";
    $lfh->autoflush(1);
    $srv->blocking(0);
    my $sel = IO::Select->new($srv);
    my (%since, %data);
    while (1) {
        my @r = $sel->can_read(0.05);
        for my $fh (@r) {
            if ($fh == $srv) {
                while (my $c = $srv->accept) {
                    $c->blocking(0);
                    $sel->add($c);
                    $since{$c} = time;
                    $data{$c} = '';
                    print $lfh "accept\n";
                }
                next;
            }
            my $n = sysread($fh, my $buf, 65536);
            $data{$fh} .= $buf if $n;
            if (defined $n && $n == 0) {
                # the client is done sending; keep it until the hold ends
                $sel->remove($fh);
                $since{$fh} //= time;
                push @{ $data{_eof} }, $fh;
            }
        }
        my $now = time;
        for my $fh ($sel->handles, @{ $data{_eof} // [] }) {
            next if $fh == $srv || !defined $since{$fh};
            next if $now - $since{$fh} < $hold;
            syswrite($fh, $data{$fh});
            $sel->remove($fh);
            delete $since{$fh};
            delete $data{$fh};
            close $fh;
        }
        $data{_eof} = [ grep { defined $since{$_} } @{ $data{_eof} // [] } ];
    }
}

sub member {
    my ($name, $p) = @_;
    return "          - { name: $name, address: 127.0.0.1, "
         . "protocol_port: $p, weight: 1 }\n";
}

# the slow target first: on ties the scan starts with it
$w->write_config("worker_processes: 3\n"
    . "load_balancers:\n"
    . "  - name: lc-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . "      - { name: lc, protocol: TCP, protocol_port: $port{lc}, "
    .         "target_group: pool-lc }\n"
    . "      - { name: rr, protocol: TCP, protocol_port: $port{rr}, "
    .         "target_group: pool-rr }\n"
    . "    target_groups:\n"
    . "      - name: pool-lc\n"
    . "        protocol: TCP\n"
    . "        load_balancer_algorithm: LEAST_CONNECTIONS\n"
    . "        members:\n"
    . member('slow', $slow->{port}) . member('fast', $fast->{port})
    . "      - name: pool-rr\n"
    . "        protocol: TCP\n"
    . "        load_balancer_algorithm: ROUND_ROBIN\n"
    . "        members:\n"
    . member('slow2', $slow2->{port}) . member('fast2', $fast2->{port}));

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');
ok(wait_for(sub { scalar($w->workers) == 3 }), 'three workers');

sub lines {
    my ($file) = @_;
    open(my $fh, '<', $file) or return 0;
    my $n = 0;
    while (defined(my $l = <$fh>)) { $n++ }
    return $n;
}

# $procs clients, each making connections one after another for $secs
# seconds (a connection to the slow target keeps its client 2 s)
sub load {
    my ($port, $procs, $secs) = @_;
    my @kids;
    for my $k (1 .. $procs) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $end = time + $secs;
            my $i = 0;
            while (time < $end) {
                $i++;
                tcp_exchange($port, "k$k-$i", 5);
            }
            _exit(0);
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
}

# wait for the start-up probe to reach a backend, then count from here
# (if it went to the slow one, it is held there: one active more)
ok(wait_for(sub { lines("$dir/fast.log") + lines("$dir/slow.log") >= 1 },
            5), 'the start-up probe arrived');
my $s0 = lines("$dir/slow.log");
my $f0 = lines("$dir/fast.log");

load($port{lc}, 6, 3);
my $ns = lines("$dir/slow.log") - $s0;
my $nf = lines("$dir/fast.log") - $f0;
diag("LEAST_CONNECTIONS: slow $ns, fast $nf");
ok($nf > 0 && $ns > 0, 'least connections: both targets were used');
ok($ns * 10 < $nf, "least connections: the slow target gets fewer new "
                 . "connections (slow $ns, fast $nf)");
ok($ns * 100 <= 15 * ($ns + $nf),
   'least connections: the slow target gets at most 15 % of them');

# the same load over round robin: the slow target gets its half of the
# picks (each client waits 2 s there)
my $s2 = lines("$dir/slow2.log");
my $f2 = lines("$dir/fast2.log");
load($port{rr}, 6, 3);
my $rs = lines("$dir/slow2.log") - $s2;
my $rf = lines("$dir/fast2.log") - $f2;
diag("ROUND_ROBIN: slow $rs, fast $rf");
ok($rs * 3 >= $rf, "round robin over the same targets: the slow one gets "
                 . "about half (slow $rs, fast $rf)");

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
