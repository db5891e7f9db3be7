#!/usr/bin/perl
# weir: weights on TCP listeners with several workers. Traffic follows the
# converted weights of SPEC section 4 (ceil(weight / 256 * 100)): 64 and
# 192 convert to 25 and 75, and 4000 connections from parallel clients
# land within 2 percentage points of 25/75; 1 and 3 convert to 1 and 2,
# so they split 33/67; weight 0 gets nothing.
use strict;
use warnings;
use lib 't/lib';
use POSIX qw(_exit);
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend);

my $w = Weir->new;
my $dir = $w->dir;

my %be = map { $_ => start_backend(name => $_, mode => 'echo',
                                   log => "$dir/$_.log") } qw(a b c d e);
my %port = map { $_ => free_port() } qw(q raw);

sub member {
    my ($name, $weight) = @_;
    return "          - { name: $name, address: 127.0.0.1, "
         . "protocol_port: $be{$name}{port}, weight: $weight }\n";
}

$w->write_config("worker_processes: 2\n"
    . "load_balancers:\n"
    . "  - name: weights-lb\n"
    . "    type: NLB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . "      - { name: quarter, protocol: TCP, protocol_port: $port{q}, "
    .         "target_group: pool-quarter }\n"
    . "      - { name: raw, protocol: TCP, protocol_port: $port{raw}, "
    .         "target_group: pool-raw }\n"
    . "    target_groups:\n"
    . "      - name: pool-quarter\n"
    . "        protocol: TCP\n"
    . "        members:\n"
    . member('a', 64) . member('b', 192) . member('c', 0)
    . "      - name: pool-raw\n"
    . "        protocol: TCP\n"
    . "        members:\n"
    . member('d', 1) . member('e', 3));

ok($w->start(values %port), 'weir started') or BAIL_OUT('weir did not start');
ok(wait_for(sub { scalar($w->workers) == 2 }), 'two workers');

sub lines {
    my ($name) = @_;
    open(my $fh, '<', "$dir/$name.log") or return 0;
    my $n = 0;
    while (defined(my $l = <$fh>)) { $n++ }
    return $n;
}

# $n connections to $port from $procs client processes at once; returns
# how many echoed their bytes
sub blast {
    my ($port, $n, $procs) = @_;
    my @kids;
    for my $k (1 .. $procs) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $ok = 0;
            for my $i (1 .. $n / $procs) {
                my $m = "c$k-$i";
                $ok++ if (tcp_exchange($port, $m) // '') eq $m;
            }
            open(my $fh, '>', "$dir/ok.$k") or _exit(1);
            print $fh $ok;
            close $fh;
            _exit(0);
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
    my $ok = 0;
    for my $k (1 .. $procs) {
        open(my $fh, '<', "$dir/ok.$k") or next;
        $ok += <$fh> // 0;
        unlink "$dir/ok.$k";
    }
    return $ok;
}

# every backend line is one accepted connection; wait until the backends
# logged all of them
sub settle {
    my ($want, @names) = @_;
    return wait_for(sub {
        my $sum = 0;
        $sum += lines($_) for @names;
        return $sum >= $want;
    }, 10);
}

# start() probed each listener once: those connections reach a target
# (and its log) a moment later; count from after them
wait_for(sub {
    my $sum = 0;
    $sum += lines($_) for qw(a b c d e);
    $sum >= scalar(keys %port);
}, 5);
my %base = map { $_ => lines($_) } qw(a b c d e);

# --- 64:192 -> 25:75 over 4000 connections ---
my $n = 4000;
is(blast($port{q}, $n, 4), $n, "$n connections from 4 clients all echo");
ok(settle($n + $base{a} + $base{b} + $base{c}, qw(a b c)),
   'the targets logged every connection');

my ($na, $nb, $nc) = map { lines($_) - $base{$_} } qw(a b c);
is($na + $nb, $n, 'a and b got all of them');
my $pa = 100 * $na / $n;
my $pb = 100 * $nb / $n;
ok(abs($pa - 25) <= 2, sprintf('weights 64:192 give 25/75 within 2 points '
                               . '(a: %.1f %%)', $pa));
ok(abs($pb - 75) <= 2, sprintf('weights 64:192 give 25/75 within 2 points '
                               . '(b: %.1f %%)', $pb));
is($nc, 0, 'weight 0 gets no connection');

# --- 1:3 -> converted 1:2 -> 33/67 ---
$n = 1200;
is(blast($port{raw}, $n, 4), $n, "$n connections to the 1:3 group echo");
ok(settle($n + $base{d} + $base{e}, qw(d e)), 'the targets logged them');
my ($nd, $ne) = map { lines($_) - $base{$_} } qw(d e);
my $pd = 100 * $nd / $n;
ok(abs($pd - 100 / 3) <= 3,
   sprintf('weights 1:3 convert to 1:2 and split 33/67 (d: %.1f %%)', $pd));

unlike($w->log_text, qr/\[(alert|crit|emerg)\]/, 'no alert in the log');

$w->stop;
done_testing();
