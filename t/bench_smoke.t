#!/usr/bin/perl
# weir: the benchmark suite runs end to end (bench/bench.pl in smoke mode:
# one round of one-second runs, only the scenarios whose weir side
# works, and the concurrency sweep at 1 and 16 connections). Asserts that
# every scenario and sweep point ran for every server and produced a
# number, never how fast anything was; the sweep's plot when gnuplot is
# there. Installs nothing: skips when nginx (with its stream module),
# HAProxy, wrk, h2load or cc are missing (auto/deps installs them for
# `make test`). Bounded: killed after 110 s (it takes ~80 s).
use strict;
use warnings;
use lib 't/lib';
use File::Temp qw(tempdir);
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(time sleep);
use Weir qw(binary);

for my $tool (qw(nginx haproxy wrk h2load cc openssl curl)) {
    plan skip_all => "$tool is not installed (auto/deps installs it)"
        unless system("command -v $tool >/dev/null 2>&1") == 0;
}
my $v = `nginx -V 2>&1`;
plan skip_all => 'nginx has no stream module (libnginx-mod-stream)'
    if $v =~ /--with-stream=dynamic/
    && !grep { -f "$_/ngx_stream_module.so" }
        qw(/usr/lib/nginx/modules /usr/share/nginx/modules);
plan skip_all => 'weir is not built (' . binary() . ')' unless -x binary();

my $out = tempdir('weir-bench-XXXXXX', TMPDIR => 1,
                  CLEANUP => !$ENV{WEIR_KEEP});
my $log = "$out/bench.log";

my $start = time;
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    setpgrp(0, 0);              # one group: a time-out kills it all
    open(STDOUT, '>', $log);
    open(STDERR, '>&', \*STDOUT);
    $ENV{BENCH_SMOKE} = 1;
    $ENV{BENCH_OUT} = $out;
    $ENV{WEIR_BINARY} = binary();
    exec('perl', 'bench/bench.pl') or POSIX::_exit(127);
}
my $status;
my $limit = 110;
while (time - $start < $limit) {
    my $r = waitpid($pid, WNOHANG);
    if ($r == $pid) { $status = $?; last; }
    sleep 0.1;
}
if (!defined $status) {
    kill 'TERM', -$pid;
    my $t = time;
    while (waitpid($pid, WNOHANG) == 0 && time - $t < 10) { sleep 0.1; }
    kill 'KILL', -$pid;
    waitpid($pid, 0);
}
my $elapsed = time - $start;
my $text = '';
if (open(my $fh, '<', $log)) {
    local $/;
    $text = <$fh> // '';
}

ok(defined $status, sprintf('the smoke run ended within %d s (%.0f s)',
                            $limit, $elapsed))
    or diag($text);
is($status // -1, 0, 'bench/bench.pl exited 0') or diag($text);

my @rows;
if (open(my $fh, '<', "$out/results.tsv")) {
    <$fh>;
    while (<$fh>) {
        chomp;
        push @rows, [split /\t/, $_, -1];
    }
}
my @skipped = grep { $_->[0] =~ /^skipped:/ } @rows;
my @sys = grep { $_->[0] =~ /^syscalls:/ } @rows;
my @runs = grep { $_->[0] !~ /:/ } @rows;

ok(scalar(@runs) > 0, 'results.tsv lists scenarios') or diag($text);
my %servers;
for my $r (@runs) {
    my ($scenario, $server, $median, $n, $errors) = @$r;
    $servers{$scenario}{$server} = 1;
    ok(length $median && $median > 0 && $n >= 1,
       "$scenario: $server ran and produced a number"
       . (length $median ? " ($median)" : ''))
        or diag($text);
    diag("$scenario: $server reported $errors error(s) (not a failure)")
        if $errors;
}
for my $scenario (sort keys %servers) {
    ok($servers{$scenario}{weir} && $servers{$scenario}{nginx},
       "$scenario ran for weir and nginx");
    ok($servers{$scenario}{haproxy}, "$scenario ran for haproxy")
        unless $scenario eq 'udp';
}
ok($servers{tcp_ka}, 'the TCP scenario ran (weir\'s TCP proxy exists)');
my @sweep = grep { /^sweep_\w+\@\d+$/ } keys %servers;
ok(scalar(@sweep) >= 2, 'the concurrency sweep ran ('
   . join(', ', sort @sweep) . ')');
if (system('command -v gnuplot >/dev/null 2>&1') == 0) {
    ok(-s "$out/sweep.png", 'the sweep plot was written');
}
if (system('perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1')
    == 0)
{
    ok(scalar(@sys) >= 2, 'syscalls per request were counted')
        or diag($text);
    ok(!grep({ !($_->[2] > 0) } @sys), 'every syscall count is a number');
}
diag("not run (weir side missing): "
     . join(', ', map { (split /:/, $_->[0])[1] } @skipped)) if @skipped;
ok(-s "$out/results.md", 'results.md written');

done_testing();
