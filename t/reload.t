#!/usr/bin/perl
# weir: reload under load. Two client processes make short TCP exchanges
# through a TCP listener while the master gets 20 HUPs, half of them with a
# changed member list; no exchange may fail, and after the last reload the
# traffic follows the new member list. A HUP with an invalid file keeps the
# old configuration serving and logs why.
use strict;
use warnings;
use lib 't/lib';
use POSIX ();
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend);

my $w = Weir->new;
my $port = free_port();
my %b = map { $_ => start_backend(name => $_, mode => 'tag') } qw(A B C);

sub config {
    my (@names) = @_;
    my $members = join '', map {
        "          - { name: m$_, address: 127.0.0.1, protocol_port: $b{$_}{port} }\n"
    } @names;
    return <<"EOF";
worker_processes: 2
shutdown_timeout: 5000
load_balancers:
  - name: reload-lb
    type: NLB
    address: 127.0.0.1
    listeners:
      - name: tcp-in
        protocol: TCP
        protocol_port: $port
        target_group: pool
    target_groups:
      - name: pool
        protocol: TCP
        members:
$members
EOF
}

$w->write_config(config('A', 'B'));
ok($w->start($port), 'weir started');

# exchange once; returns the backend name or undef
sub exchange {
    my ($i) = @_;
    my $r = tcp_exchange($port, "hello $i\n");
    return undef unless defined $r && $r =~ /^([ABC]) hello \Q$i\E\n\z/;
    return $1;
}

my $dir = $w->dir;
my @kids;
for my $k (1 .. 2) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($n, $fail) = (0, 0);
        while ($n < 1000 || !-e "$dir/stop") {
            $n++;
            $fail++ unless defined exchange("$k-$n");
            if ($n % 10 == 0) {
                open(my $fh, '>', "$dir/count.$k.tmp");
                print $fh "$n $fail\n";
                close $fh;
                rename "$dir/count.$k.tmp", "$dir/count.$k";
            }
            last if $n >= 20000;
        }
        open(my $fh, '>', "$dir/done.$k");
        print $fh "$n $fail\n";
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

sub counts {
    my ($total, $fail) = (0, 0);
    for my $k (1 .. 2) {
        open(my $fh, '<', "$dir/count.$k") or next;
        my ($n, $f) = split ' ', (<$fh> // '0 0');
        $total += $n; $fail += $f;
    }
    return ($total, $fail);
}

# odd HUPs switch the member list (A,B) -> (B,C) -> (A,B) ..., even ones
# reload the same file
my @lists = (['A', 'B'], ['B', 'C']);
my $gen = 1;
my $list = 0;
for my $h (1 .. 20) {
    my ($before) = counts();
    if ($h % 2 == 1) {
        $list = 1 - $list;
        $w->write_config(config(@{ $lists[$list] }));
    }
    $w->signal('HUP');
    $gen++;
    ok($w->wait_log(qr/configuration generation $gen is running/, 10),
       "reload $h: generation $gen running");
    # let traffic flow through the new generation before the next HUP
    wait_for(sub { my ($n) = counts(); $n >= $before + 40 }, 10);
}

open(my $fh, '>', "$dir/stop"); close $fh;
waitpid($_, 0) for @kids;
my ($total, $fail) = (0, 0);
for my $k (1 .. 2) {
    open(my $d, '<', "$dir/done.$k") or next;
    my ($n, $f) = split ' ', <$d>;
    $total += $n; $fail += $f;
}
cmp_ok($total, '>=', 2000, "at least 2000 exchanges made ($total)");
is($fail, 0, 'no exchange failed during 20 reloads');

my %want = map { $_ => 1 } @{ $lists[$list] };
ok(wait_for(sub { scalar($w->workers) == 2 }, 10), 'old workers exited');
my %seen;
$seen{ exchange("after-$_") // 'FAIL' }++ for 1 .. 40;
is_deeply([sort keys %seen], [sort keys %want],
          'after the last reload traffic follows the new member list');

# a broken file: the old configuration keeps serving, the log says why
$w->write_config("load_balancers:\n  - name: x\n    type: NOPE\n");
$w->signal('HUP');
ok($w->wait_log(qr/reload failed: still running configuration generation $gen/),
   'invalid config on HUP is refused and logged');
like($w->log_text, qr/weir\.yaml:\d+:\d+: /, 'the log names file:line:col');
my %after;
$after{ exchange("bad-$_") // 'FAIL' }++ for 1 .. 20;
is_deeply([sort keys %after], [sort keys %want],
          'old configuration still serves after a failed reload');

# issue 13 defect 1: an alias inside what its anchor names crashed the
# master on HUP; it is refused like any other error
$w->write_config("load_balancers: &L\n  - name: reload-lb\n    type: NLB\n"
                 . "    address: 127.0.0.1\n    listeners: *L\n");
my $refused = () = $w->log_text =~ /reload failed/g;
$w->signal('HUP');
ok(wait_for(sub { my $n = () = $w->log_text =~ /reload failed/g; $n > $refused }, 10),
   'a recursive alias is refused on HUP');
like($w->log_text, qr/alias \*L is inside what its anchor &L/, 'the log says why');
ok(kill(0, $w->pid), 'the master is alive');
my %alive;
$alive{ exchange("alias-$_") // 'FAIL' }++ for 1 .. 10;
is_deeply([sort keys %alive], [sort keys %want], 'the old configuration serves');

$w->stop('QUIT');
ok(!$w->{pid}, 'QUIT stops weir');
done_testing();
