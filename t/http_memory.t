#!/usr/bin/perl
# weir: memory on the HTTP request path. Under a bounded load of 200
# keep-alive clients (wrk, 2 s) the worker maps and unmaps no memory per
# request: sessions given back between requests stay on the worker's free
# list, and what a burst leaves over is returned later by the worker's
# tick, off the request path. Counted with strace on the worker: the
# memory syscalls (mmap, munmap, mremap, brk) stay below a small constant
# while the requests number in the thousands. After the load, the free
# list shrinks back within a few ticks.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect http_request);

for my $tool (qw(strace wrk)) {
    plan skip_all => "$tool not installed (auto/deps installs it)"
        unless system("command -v $tool >/dev/null 2>&1") == 0;
}

my $w = Weir->new;
my $dir = $w->dir;
my @b = map { start_http_backend(name => $_) } qw(A B);
my $port = free_port();

$w->write_config("worker_processes: 1\n"
    . "load_balancers:\n"
    . "  - name: mem-lb\n"
    . "    type: ALB\n"
    . "    address: 127.0.0.1\n"
    . "    listeners:\n"
    . "      - name: web\n"
    . "        protocol: HTTP\n"
    . "        protocol_port: $port\n"
    . "        target_group: pool\n"
    . "        insert_headers: { X-Forwarded-For: false }\n"
    . "    target_groups:\n"
    . "      - name: pool\n"
    . "        protocol: HTTP\n"
    . "        members:\n"
    . join('', map { "          - { address: 127.0.0.1, "
                     . "protocol_port: $_->{port}, weight: 1 }\n" } @b));
ok($w->start($port), 'weir started');
my ($worker) = $w->workers;
ok($worker, 'one worker');

my $url = "http://127.0.0.1:$port/";

sub wrk {
    my ($conns, $secs) = @_;
    my $out = `wrk -t1 -c$conns -d${secs}s --timeout 5s $url 2>&1`;
    my ($n) = $out =~ /(\d+) requests in/;
    my ($bad) = $out =~ /Non-2xx or 3xx responses: (\d+)/;
    my ($err) = $out =~ /Socket errors: (.*)/;
    diag("wrk: $err") if $err;
    return ($n // 0, $bad // 0);
}

# the free list grows to the peak once: that is not what is counted
my ($warm) = wrk(200, 1);
ok($warm > 200, "warm-up: $warm requests");

my $trace = "$dir/strace.txt";
my $st = fork // die "fork: $!";
if ($st == 0) {
    open(STDERR, '>', "$dir/strace.err");
    exec('strace', '-c', '-f', '-o', $trace,
         '-e', 'trace=mmap,munmap,mremap,brk', '-p', $worker)
        or POSIX::_exit(127);
}
# strace announces the attach on stderr
ok(wait_for(sub { -s "$dir/strace.err" }, 10), 'strace attached');

my ($n, $bad) = wrk(200, 2);
kill 'INT', $st;
waitpid($st, 0);

my %calls;
open(my $fh, '<', $trace) or die "$trace: $!";
while (<$fh>) {
    # % time  seconds  usecs/call  calls  [errors]  syscall
    $calls{$2} = $1 if /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/;
}
close $fh;
my $mem = 0;
$mem += $calls{$_} // 0 for qw(mmap munmap mremap brk);
diag(sprintf('%d requests, memory syscalls: %s', $n,
     join(', ', map { "$_ " . ($calls{$_} // 0) }
                qw(mmap munmap mremap brk))));

ok($n > 1000, "load: $n requests through 200 keep-alive connections");
is($bad, 0, 'every response 2xx');
cmp_ok($mem, '<', 100, 'memory syscalls of the worker under load stay '
       . 'below a constant, not proportional to requests');

# the load is over: every session is free, and the tick gives back those
# beyond the few kept (each about 20 KB touched of 52 KB mapped)
sub rss_kb {
    open(my $fh, '<', "/proc/$worker/status") or return 0;
    my ($kb) = join('', <$fh>) =~ /^VmRSS:\s+(\d+)/m;
    return $kb // 0;
}
my $loaded = rss_kb();
my $t0 = time;
ok(wait_for(sub { rss_kb() < $loaded - 1024 }, 10),
   'the free sessions of the burst go back to the system')
    or diag("RSS $loaded kB after the load, " . rss_kb() . ' kB now');
diag(sprintf('RSS %d -> %d kB in %.1f s', $loaded, rss_kb(), time - $t0));

ok(!grep(/\[(?:alert|crit|emerg)\]/, $w->log_text), 'no alert in the log')
    or diag($w->log_text);

$w->stop;
done_testing();
