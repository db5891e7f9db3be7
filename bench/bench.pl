#!/usr/bin/perl
# weir bench: weir against nginx and HAProxy, side by side, on loopback.
#
# Run from the top of the tree (bench/run.sh does, after installing the
# tools). Every server gets an equivalent configuration (same worker count,
# keep-alive to the targets, round robin over the same two origins, logs
# off), and every scenario runs the servers INTERLEAVED, round after round
# (weir nginx haproxy, weir nginx haproxy, ...), because the machine is
# shared and noisy: a slow minute then hurts every server alike. Each
# scenario prints the median of the rounds, the spread (min-max) and the
# ratio weir/peer. Then syscalls per request are counted (perf stat on the
# servers' processes while a load runs) and, for every target ratio not
# met, weir's worker is profiled (perf record) under that scenario's load.
#
# The concurrency sweep: HTTP keep-alive with 1 and with 2 workers, HTTP
# with a new connection per request, TCP (keep-alive HTTP through it) and
# HTTPS keep-alive, each at 1, 16, 64, 256, 1000 and 10 000 client
# connections (wrk), on the same instances and configs as the scenarios
# above and interleaved the same way. It adds a table of weir/best peer
# and req/s per point, syscalls per request at 64 and 1000 connections,
# and sweep.png (gnuplot, when installed: req/s against connections, log
# x, one panel per sweep scenario, and the ratios). A point's rate is
# the origin's request count (stub_status) over a window that follows a
# warm-up, not wrk's figure, which at 10 000 clients is mostly the
# connecting (see load_sweep). At 10 000 HTTPS clients, on the 2-core
# machine this was written on, wrk completed no request in 14 s (1 to 4
# threads; weir, nginx and HAProxy alike): that point may read "no
# request in the window". The sweep's ids:
# sweep_http_ka_w1, sweep_http_ka_w2, sweep_http_close, sweep_tcp_ka,
# sweep_https_ka (a point: sweep_tcp_ka@1000). The duration expected is
# printed at start; when the whole run would pass ~35 minutes, the sweep
# gets 3 rounds (said so) unless BENCH_SWEEP_ROUNDS is given.
#
# Environment:
#   WEIR_BINARY    the weir to measure (objs/weir)
#   BENCH_ROUNDS   rounds (5)            BENCH_SECONDS  seconds a run (3)
#   BENCH_OUT      output directory (objs/bench): results.md, results.tsv,
#                  raw.tsv, profiles, server configs and logs
#   BENCH_ONLY     comma list of scenario ids to run (all); 'sweep' is
#                  every sweep scenario, 'fixed' every other one
#   BENCH_SWEEP    comma list of client connection counts for the sweep
#                  (1,16,64,256,1000,10000; smoke: 1,16)
#   BENCH_SWEEP_ROUNDS  rounds for the sweep points (BENCH_ROUNDS, or 3
#                  when the whole run would pass ~35 minutes)
#   BENCH_SERVERS  comma list among weir,nginx,haproxy (all three)
#   BENCH_IDLE     idle connections for the memory scenario (10000)
#   BENCH_SYSCALLS 0: skip the syscall pass
#   BENCH_PROFILE  0: no profiles; all: profile weir in every scenario, not
#                  only where a target is missed
#   BENCH_ESTIMATE 1: print the duration expected and stop
#   BENCH_SMOKE    1: one short round (1 s runs, 300 idle connections,
#                  sweep at 1 and 16 connections, syscalls for one
#                  scenario, no profile); scenarios whose
#                  weir side does not work yet are skipped, not run for
#                  the peers only. For t/bench_smoke.t.
# Every load is bounded in time (and the UDP one in count); every process
# started here is stopped at exit, also on INT/TERM, and a sysctl changed
# for the run (net.ipv4.tcp_tw_reuse, see below) is put back.
# Descriptors: the soft RLIMIT_NOFILE is raised to the hard one (re-exec
# through sh; bench/run.sh first tries 65536); the servers get as many
# (nginx worker_rlimit_nofile and worker_connections, HAProxy maxconn,
# weir raises its own to the hard limit and has 65536 connection slots a
# worker). A proxy at N client connections may hold up to 2N descriptors.

use strict;
use warnings;

use Cwd qw(abs_path getcwd);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use List::Util qw(max min sum);
use POSIX qw(:sys_wait_h strftime);
use Time::HiRes qw(time sleep);

$| = 1;

# the soft open-file limit up to the hard one (Perl has no setrlimit of
# its own): once, through sh; BENCH_NOFILE_RAISED marks the re-exec
if (!$ENV{BENCH_NOFILE_RAISED}) {
    $ENV{BENCH_NOFILE_RAISED} = 1;
    exec('sh', '-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
         'sh', $^X, $0, @ARGV);
}

my $ROOT = getcwd();
my $SMOKE = $ENV{BENCH_SMOKE} ? 1 : 0;
my %O = (
    weir     => abs_path($ENV{WEIR_BINARY} // 'objs/weir'),
    rounds   => $ENV{BENCH_ROUNDS} // ($SMOKE ? 1 : 5),
    seconds  => $ENV{BENCH_SECONDS} // ($SMOKE ? 1 : 3),
    out      => $ENV{BENCH_OUT} // 'objs/bench',
    idle     => $ENV{BENCH_IDLE} // ($SMOKE ? 300 : 10000),
    syscalls => $ENV{BENCH_SYSCALLS} // 1,
    profile  => $ENV{BENCH_PROFILE} // ($SMOKE ? 0 : 1),
    sweep    => [grep { /^\d+$/ && $_ > 0 } split /,/,
                 ($ENV{BENCH_SWEEP} // ($SMOKE ? '1,16'
                                               : '1,16,64,256,1000,10000'))],
    sweep_rounds => $ENV{BENCH_SWEEP_ROUNDS},
);
$O{seconds} = int($O{seconds}) || 1;     # wrk takes whole seconds
make_path($O{out});
$O{out} = abs_path($O{out});
my $WORK = "$O{out}/work";
my $BIN = "$O{out}/bin";
remove_tree($WORK);
make_path($WORK, $BIN);

my @SERVERS = grep { /^(weir|nginx|haproxy)$/ }
    split /,/, ($ENV{BENCH_SERVERS} // 'weir,nginx,haproxy');
my @PEERS = grep { $_ ne 'weir' } @SERVERS;

# --- scenarios ------------------------------------------------------------
# ep: the endpoint (listener) of the instance; inst: w1 (1 worker), w2 (2)
# or mem (a fresh 1-worker instance per run); better: hi or lo;
# target: the ratio weir must reach against the best peer.
my @SCENARIOS = (
    { id => 'http_ka_w1', title => 'HTTP keep-alive, 1 worker',
      ep => 'http', inst => 'w1', kind => 'wrk', threads => 1, conns => 32,
      unit => 'req/s', better => 'hi', target => 1.0 },
    { id => 'http_ka_w2', title => 'HTTP keep-alive, 2 workers',
      ep => 'http', inst => 'w2', kind => 'wrk', threads => 2, conns => 64,
      unit => 'req/s', better => 'hi', target => 1.0 },
    { id => 'http_close', title => 'HTTP, new connection per request',
      ep => 'http', inst => 'w1', kind => 'wrk', threads => 1, conns => 16,
      close => 1, unit => 'req/s', better => 'hi' },
    { id => 'tcp_ka', title => 'TCP proxy of keep-alive HTTP',
      ep => 'tcp', inst => 'w1', kind => 'wrk', threads => 1, conns => 32,
      unit => 'req/s', better => 'hi', target => 1.0 },
    { id => 'udp', title => 'UDP request/reply (<0.1% loss)',
      ep => 'udp', inst => 'w1', kind => 'udp', sockets => 32, window => 2,
      unit => 'pkt/s', better => 'hi', target => 1.0,
      servers => [qw(weir nginx)] },
    { id => 'https_hs_ecdsa', title => 'HTTPS full handshakes, ECDSA P-256',
      ep => 'https_ecdsa', inst => 'w1', kind => 'hs', threads => 16,
      unit => 'hs/s', better => 'hi', target => 0.95 },
    { id => 'https_hs_rsa', title => 'HTTPS full handshakes, RSA-2048',
      ep => 'https_rsa', inst => 'w1', kind => 'hs', threads => 16,
      unit => 'hs/s', better => 'hi', target => 0.95 },
    { id => 'https_ka', title => 'HTTPS keep-alive (ECDSA)',
      ep => 'https_ecdsa', inst => 'w1', kind => 'wrk', threads => 1,
      conns => 32, unit => 'req/s', better => 'hi', target => 0.95 },
    { id => 'latency', title => 'HTTP latency p99 at half the peers\' max',
      ep => 'http', inst => 'w1', kind => 'rate', conns => 50,
      unit => 'ms', better => 'lo', target => 1.1 },
    { id => 'idle_mem', title => 'memory per idle keep-alive connection',
      ep => 'http', inst => 'mem', kind => 'mem', unit => 'B/conn',
      better => 'lo', target => 'nginx' },
);
# The concurrency sweep: each of these at every BENCH_SWEEP point, as a
# scenario of its own ('<id>@<connections>'); the targets are issue 9's.
# wrk gets the threads of the fixed scenario (never more than the
# connections). HTTPS: wrk connects every client at the start of a run,
# so at 10 000 connections the run includes 10 000 full handshakes.
my @SWEEPS = (
    { id => 'sweep_http_ka_w1', title => 'HTTP keep-alive, 1 worker',
      ep => 'http', inst => 'w1', threads => 1, target => 1.10 },
    { id => 'sweep_http_ka_w2', title => 'HTTP keep-alive, 2 workers',
      ep => 'http', inst => 'w2', threads => 2, target => 1.05 },
    { id => 'sweep_http_close', title => 'HTTP, new connection per request',
      ep => 'http', inst => 'w1', threads => 1, close => 1, target => 1.0 },
    { id => 'sweep_tcp_ka', title => 'TCP proxy of keep-alive HTTP',
      ep => 'tcp', inst => 'w1', threads => 1, target => 1.05 },
    { id => 'sweep_https_ka', title => 'HTTPS keep-alive (ECDSA)',
      ep => 'https_ecdsa', inst => 'w1', threads => 1, target => 1.05 },
);
my %SWEEP = map { $_->{id} => $_ } @SWEEPS;
my @SWEEP_POINTS = sort { $a <=> $b } keys %{ { map { $_ => 1 }
                                                @{ $O{sweep} } } };
for my $w (@SWEEPS) {
    for my $n (@SWEEP_POINTS) {
        push @SCENARIOS, { %$w, id => "$w->{id}\@$n", sweep => $w->{id},
            title => "$w->{title}, $n conns", kind => 'wrk', conns => $n,
            threads => min($w->{threads}, $n), unit => 'req/s',
            better => 'hi' };
    }
}
my %SCEN = map { $_->{id} => $_ } @SCENARIOS;
if ($ENV{BENCH_ONLY}) {
    my %want = map { $_ => 1 } split /,/, $ENV{BENCH_ONLY};
    @SCENARIOS = grep { $want{ $_->{id} } || ($_->{sweep}
        && ($want{ $_->{sweep} } || $want{sweep}))
        || (!$_->{sweep} && $want{fixed}) } @SCENARIOS;
}
my @SWEEP_RUN = grep { my $w = $_->{id};
                       grep { ($_->{sweep} // '') eq $w } @SCENARIOS }
    @SWEEPS;

# weir features an endpoint needs (probed: the weir side may not exist yet)
my %EP_FEATURE = (http => 'http', tcp => 'tcp', udp => 'udp',
                  https_ecdsa => 'https', https_rsa => 'https');

# --- processes --------------------------------------------------------------
my %PROCS;          # pid => name, every process we started and not reaped
my $OWNER = $$;

my @HELD;           # write ends of stdin pipes: they close when we die
sub spawn {
    my ($name, $log, @cmd) = @_;
    my ($hold_stdin, $r, $w);
    if ($name =~ s/^\+//) {     # '+name': stdin is a pipe we hold open
        pipe($r, $w) or die "pipe: $!\n";
        $hold_stdin = 1;
    }
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        # a group of its own: a server that signals its process group
        # (some do, on a failed start) must not take this script along
        setpgrp(0, 0);
        if ($hold_stdin) {
            close $w;
            open(STDIN, '<&', $r);
        } else {
            open(STDIN, '<', '/dev/null');
        }
        open(STDOUT, '>>', $log) or POSIX::_exit(127);
        open(STDERR, '>>', $log) or POSIX::_exit(127);
        exec(@cmd) or POSIX::_exit(127);
    }
    if ($hold_stdin) {
        close $r;
        push @HELD, $w;
    }
    $PROCS{$pid} = $name;
    return $pid;
}

sub alive {
    my ($pid) = @_;
    my $r = waitpid($pid, WNOHANG);
    if ($r == $pid || $r == -1) {
        delete $PROCS{$pid};
        return 0;
    }
    return 1;
}

sub stop_pid {
    my ($pid, $sig) = @_;
    return unless $pid && $PROCS{$pid};
    kill $sig // 'TERM', $pid;
    my $deadline = time + 10;
    while (alive($pid) && time < $deadline) { sleep 0.02; }
    if ($PROCS{$pid}) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        delete $PROCS{$pid};
    }
}

sub stop_all {
    return unless $$ == $OWNER;
    stop_pid($_, 'TERM') for keys %PROCS;
}

END { stop_all(); }
$SIG{INT} = $SIG{TERM} = sub { stop_all(); exit 130; };
$SIG{PIPE} = 'IGNORE';

# A process and all its descendants (workers of a master).
sub family {
    my ($pid) = @_;
    my (%kids, @all);
    opendir(my $d, '/proc') or return ($pid);
    for my $p (grep { /^\d+$/ } readdir $d) {
        open(my $fh, '<', "/proc/$p/stat") or next;
        my $st = <$fh> // next;
        next unless $st =~ /\) (\S) (\d+)/;
        next if $1 eq 'Z';
        push @{ $kids{$2} }, $p;
    }
    my @todo = ($pid);
    while (@todo) {
        my $p = shift @todo;
        push @all, $p;
        push @todo, @{ $kids{$p} // [] };
    }
    return @all;
}

sub rss_kb {
    my $kb = 0;
    for my $p (@_) {
        open(my $fh, '<', "/proc/$p/status") or next;
        while (<$fh>) { $kb += $1 if /^VmRSS:\s+(\d+)/; }
    }
    return $kb;
}

# RSS by kind of mapping (heap, anon, shared, file), kB, summed
sub rss_classes {
    my %c;
    for my $p (@_) {
        open(my $fh, '<', "/proc/$p/smaps") or next;
        my $class = 'file';
        while (<$fh>) {
            if (/^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/) {
                my ($perm, $name) = ($1, $2);
                $class = $name eq '[heap]' ? 'heap'
                    : $name eq '' ? ($perm =~ /s/ ? 'shared' : 'anon')
                    : $name =~ m{^/dev/zero|^/SYSV|^/memfd:|^/dev/shm}
                        ? 'shared'
                    : $name =~ /^\[/ ? 'other' : 'file';
            } elsif (/^Rss:\s+(\d+)/) {
                $c{$class} += $1;
            }
        }
    }
    return \%c;
}

# user+system CPU seconds of the processes (all their threads)
my $HZ = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
sub cpu_seconds {
    my $t = 0;
    for my $p (@_) {
        open(my $fh, '<', "/proc/$p/stat") or next;
        my $st = <$fh> // next;
        $st =~ s/^.*\) //;
        my @f = split ' ', $st;
        $t += $f[11] + $f[12];
    }
    return $t / $HZ;
}

sub wait_for {
    my ($cond, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    while (1) {
        my $v = $cond->();
        return $v if $v || time > $deadline;
        sleep 0.02;
    }
}

my %USED_PORTS;
sub free_port {
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
            LocalPort => 0, Proto => 'tcp', Listen => 1) or next;
        my $port = $s->sockport;
        close $s;
        next if $USED_PORTS{$port};
        my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
            LocalPort => $port, Proto => 'udp') or next;
        close $u;
        $USED_PORTS{$port} = 1;
        return $port;
    }
    die "no free port\n";
}

sub port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1) or return 0;
    close $s;
    return 1;
}

sub slurp {
    my ($f) = @_;
    open(my $fh, '<', $f) or return '';
    local $/;
    return <$fh> // '';
}

sub spew {
    my ($f, $text) = @_;
    open(my $fh, '>', $f) or die "$f: $!\n";
    print $fh $text;
    close $fh;
}

sub run_capture {
    my (@cmd) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!\n";
    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT);
        exec(@cmd) or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($? >> 8, $out);
}

sub have { return system("command -v $_[0] >/dev/null 2>&1") == 0 }

sub log_msg { print STDERR strftime('[%H:%M:%S] ', localtime), @_, "\n"; }

# --- tools and helpers ------------------------------------------------------
for my $t (qw(wrk h2load cc openssl curl)) {
    die "bench: $t is not installed (bench/run.sh installs it)\n"
        unless have($t);
}
@SERVERS = grep { $_ eq 'weir' || have($_) } @SERVERS;
die "bench: $O{weir} is not built\n" unless -x $O{weir};
# Descriptors: the idle-connection scenario needs one per client in the
# server (and in bench/idleconn.c, a process of its own). HAProxy sizes
# its limit at 2 per maxconn and by default refuses to start when it
# cannot raise it ('no strict-limits' makes that a warning: the idle
# clients need one each, as in the others).
my (undef, $NOFILE) = run_capture('sh', '-c', 'ulimit -n');
$NOFILE = $NOFILE =~ /^(\d+)/ ? $1 : 1024;
if ($O{idle} > $NOFILE - 1000) {
    my $n = max(100, $NOFILE - 1000);
    log_msg("open-file limit $NOFILE: $n idle connections, not $O{idle}");
    $O{idle} = $n;
}
my $SWEEP_MAX = max(0, map { $_->{conns} } grep { $_->{sweep} }
                     @SCENARIOS);
my $HAPROXY_MAXCONN = max(4000, $O{idle} + 2000, $SWEEP_MAX + 2000);
my $NGINX_CONNS = max(1024, $NOFILE - 100);
# a proxy holds a client and (while the request is out) a target
# connection: up to 2N descriptors at N clients, as many in the origin;
# without CAP_SYS_RESOURCE the hard limit is what there is
if ($SWEEP_MAX && $NOFILE < 2 * $SWEEP_MAX + 1000) {
    log_msg("open-file limit $NOFILE (hard): a server at $SWEEP_MAX "
            . "clients may need up to " . (2 * $SWEEP_MAX + 1000)
            . ' descriptors and run out');
}

# New connection per request at high rates: every closed connection
# leaves a TIME_WAIT on loopback (60 s), and the ports that an active
# close parks there are ephemeral ones (wrk's, or a proxy's to the
# origins when it drops a surplus target connection). 28 000 ports in
# the default range last a fraction of a minute at these rates. The
# choice here: net.ipv4.tcp_tw_reuse, which lets connect() take a
# TIME_WAIT port again after 1 s (timestamps keep it safe); 2 (the
# kernel's default since 4.x) enables it for loopback only, which is all
# this bench uses. When it is 0, it is set to 2 for the run and put back
# at exit; when it cannot be written, the run goes on and says so. (The
# other way, spreading sources over 127.0.0.x, needs a bind address in
# wrk, which has none.)
my $TW_FILE = '/proc/sys/net/ipv4/tcp_tw_reuse';
my $TW_SAVED;
END {
    if (defined $TW_SAVED && $$ == $OWNER
        && open(my $fh, '>', $TW_FILE)) {
        print $fh "$TW_SAVED\n";
        close $fh;
    }
}
if (grep { $_->{close} } @SCENARIOS) {
    my $v = slurp($TW_FILE);
    chomp $v;
    if ($v eq '0') {
        my $fh;
        if (open($fh, '>', $TW_FILE) and print $fh "2\n" and close $fh) {
            $TW_SAVED = $v;
            log_msg('net.ipv4.tcp_tw_reuse 0 -> 2 (loopback) for the run');
        } else {
            log_msg('net.ipv4.tcp_tw_reuse is 0 and cannot be set: new '
                    . 'connections at high rates may run out of ports');
        }
    }
}

my $HAVE_PERF = have('perf')
    && system('perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1')
       == 0;

for my $c (qw(udpecho udpload idleconn hsload)) {
    my @libs = $c eq 'hsload' ? ('-pthread', '-lssl', '-lcrypto') : ();
    my ($rc, $out) = run_capture('cc', '-O2', '-Wall', '-Wextra', '-Werror',
        '-o', "$BIN/$c", "$ROOT/bench/$c.c", @libs);
    die "bench: cc bench/$c.c failed:\n$out" if $rc;
}

my $NGINX_STREAM = '';
if (grep { $_ eq 'nginx' } @SERVERS) {
    my (undef, $v) = run_capture('nginx', '-V');
    if ($v =~ /--with-stream=dynamic/ || $v !~ /--with-stream\b/) {
        my ($m) = grep { -f } map { "$_/ngx_stream_module.so" }
            qw(/usr/lib/nginx/modules /usr/share/nginx/modules
               /usr/lib64/nginx/modules);
        die "bench: nginx has no stream module (install "
            . "libnginx-mod-stream)\n" unless $m;
        $NGINX_STREAM = "load_module $m;\n";
    }
}

# --- certificates -----------------------------------------------------------
my %CERT;
for my $k (['ecdsa', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1'],
           ['rsa', '-newkey', 'rsa:2048']) {
    my ($name, @new) = @$k;
    my ($crt, $key) = ("$WORK/$name.crt", "$WORK/$name.key");
    my ($rc, $out) = run_capture('openssl', 'req', '-x509', @new, '-nodes',
        '-days', '2', '-subj', '/CN=127.0.0.1', '-keyout', $key,
        '-out', $crt);
    die "bench: openssl req ($name) failed:\n$out" if $rc;
    spew("$WORK/$name.pem", slurp($crt) . slurp($key));   # HAProxy wants both
    $CERT{$name} = { crt => $crt, key => $key, pem => "$WORK/$name.pem" };
}

# --- origins ----------------------------------------------------------------
# nginx with its own single worker serving a 33-byte body on two ports,
# and the C UDP echo on two ports. Neither is what the load saturates.
my @ORIGIN = (free_port(), free_port());
my @UORIGIN = (free_port(), free_port());
my $BODY = "hello from the weir bench origin\n";
# the origin's request counter (stub_status), for the sweep's rates
my $ORIGIN_STATUS = free_port();
{
    my $d = "$WORK/origin";
    make_path($d);
    my $listen = join '', map { "        listen 127.0.0.1:$_;\n" } @ORIGIN;
    spew("$d/nginx.conf", <<"EOF");
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $NGINX_CONNS; }
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 10000000;
    server {
$listen        location / {
            default_type text/plain;
            return 200 "hello from the weir bench origin\\n";
        }
    }
    server {
        listen 127.0.0.1:$ORIGIN_STATUS;
        location / { stub_status; }
    }
}
EOF
    spawn('origin-nginx', "$d/stderr.log", 'nginx', '-e', "$d/error.log",
          '-p', $d, '-c', "$d/nginx.conf");
    my $up = "$d/udp.log";
    spawn('+origin-udp', $up, "$BIN/udpecho", '-t', 3600, @UORIGIN);
    wait_for(sub { port_open($ORIGIN[0]) && port_open($ORIGIN[1]) }, 10)
        or die "bench: origin nginx did not start:\n"
               . slurp("$d/error.log") . slurp("$d/stderr.log");
    wait_for(sub { slurp($up) =~ /ready/ }, 10)
        or die "bench: udp echo did not start:\n" . slurp($up);
}

# --- server configurations -----------------------------------------------
sub weir_config {
    my ($p, $workers, $timeout_ms) = @_;
    my $members = sub {
        my (@ports) = @_;
        return join '', map {
            "          - { name: origin-$_, address: 127.0.0.1, "
          . "protocol_port: $ports[$_], weight: 1 }\n" } 0 .. $#ports;
    };
    my $listener = sub {
        my ($name, $proto, $port, $tg, $cert) = @_;
        my $t = "      - name: $name\n"
              . "        protocol: $proto\n"
              . "        protocol_port: $port\n"
              . "        target_group: $tg\n"
              . "        timeout_client_data: $timeout_ms\n"
              . "        connection_limit: -1\n";
        $t .= "        tls_certificate: $CERT{$cert}{crt}\n"
            . "        tls_key: $CERT{$cert}{key}\n"
            . "        tls_min_version: TLSv1.3\n" if $cert;
        return $t;
    };
    my $y = "worker_processes: $workers\n"
          . "log_level: warn\n"
          . "shutdown_timeout: 1000\n"
          . "load_balancers:\n";
    my @alb;
    push @alb, $listener->('http', 'HTTP', $p->{http}, 'web-tg')
        if $p->{http};
    push @alb, $listener->('https-ecdsa', 'HTTPS', $p->{https_ecdsa},
                           'web-tg', 'ecdsa') if $p->{https_ecdsa};
    push @alb, $listener->('https-rsa', 'HTTPS', $p->{https_rsa}, 'web-tg',
                           'rsa') if $p->{https_rsa};
    if (@alb) {
        $y .= "  - name: bench-alb\n    type: ALB\n    address: 127.0.0.1\n"
            . "    listeners:\n" . join('', @alb)
            . "    target_groups:\n"
            . "      - name: web-tg\n        protocol: HTTP\n"
            . "        load_balancer_algorithm: ROUND_ROBIN\n"
            . "        members:\n" . $members->(@ORIGIN);
    }
    my @nlb;
    push @nlb, $listener->('tcp', 'TCP', $p->{tcp}, 'tcp-tg') if $p->{tcp};
    push @nlb, $listener->('udp', 'UDP', $p->{udp}, 'udp-tg') if $p->{udp};
    if (@nlb) {
        $y .= "  - name: bench-nlb\n    type: NLB\n    address: 127.0.0.1\n"
            . "    listeners:\n" . join('', @nlb)
            . "    target_groups:\n";
        $y .= "      - name: tcp-tg\n        protocol: TCP\n"
            . "        load_balancer_algorithm: ROUND_ROBIN\n"
            . "        members:\n" . $members->(@ORIGIN) if $p->{tcp};
        $y .= "      - name: udp-tg\n        protocol: UDP\n"
            . "        load_balancer_algorithm: ROUND_ROBIN\n"
            . "        members:\n" . $members->(@UORIGIN) if $p->{udp};
    }
    return $y;
}

sub nginx_config {
    my ($d, $p, $workers) = @_;
    my $ups = join '', map { "        server 127.0.0.1:$_;\n" } @ORIGIN;
    my $uups = join '', map { "        server 127.0.0.1:$_;\n" } @UORIGIN;
    my $c = $NGINX_STREAM . <<"EOF";
worker_processes $workers;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $NGINX_CONNS; }
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 10000000;
    ssl_protocols TLSv1.3;
    upstream web {
$ups        keepalive 64;
        keepalive_requests 10000000;
    }
EOF
    my $loc = "        location / {\n"
            . "            proxy_pass http://web;\n"
            . "            proxy_http_version 1.1;\n"
            . "            proxy_set_header Connection \"\";\n"
            . "            proxy_set_header X-Forwarded-For "
            . "\$proxy_add_x_forwarded_for;\n"
            . "        }\n";
    $c .= "    server {\n        listen 127.0.0.1:$p->{http};\n$loc    }\n"
        if $p->{http};
    for my $k (qw(ecdsa rsa)) {
        next unless $p->{"https_$k"};
        $c .= "    server {\n"
            . "        listen 127.0.0.1:" . $p->{"https_$k"} . " ssl;\n"
            . "        ssl_certificate $CERT{$k}{crt};\n"
            . "        ssl_certificate_key $CERT{$k}{key};\n$loc    }\n";
    }
    $c .= "}\n";
    if ($p->{tcp} || $p->{udp}) {
        $c .= "stream {\n";
        $c .= "    upstream tcp_up {\n$ups    }\n"
            . "    server {\n        listen 127.0.0.1:$p->{tcp};\n"
            . "        proxy_pass tcp_up;\n        proxy_timeout 300s;\n"
            . "    }\n" if $p->{tcp};
        # sessions per client address that live until idle, as weir's
        $c .= "    upstream udp_up {\n$uups    }\n"
            . "    server {\n        listen 127.0.0.1:$p->{udp} udp;\n"
            . "        proxy_pass udp_up;\n        proxy_timeout 30s;\n"
            . "    }\n" if $p->{udp};
        $c .= "}\n";
    }
    return $c;
}

sub haproxy_config {
    my ($d, $p, $workers) = @_;
    my $srv = join '', map { "    server o$_ 127.0.0.1:$ORIGIN[$_]\n" }
        0 .. $#ORIGIN;
    my $c = <<"EOF";
global
    nbthread $workers
    maxconn $HAPROXY_MAXCONN
    no strict-limits
    pidfile $d/haproxy.pid
defaults
    mode http
    maxconn $HAPROXY_MAXCONN
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
backend web
    balance roundrobin
    option forwardfor
    http-reuse always
$srv
backend tcp_be
    mode tcp
    balance roundrobin
$srv
EOF
    $c .= "frontend http\n    bind 127.0.0.1:$p->{http}\n"
        . "    default_backend web\n" if $p->{http};
    for my $k (qw(ecdsa rsa)) {
        next unless $p->{"https_$k"};
        $c .= "frontend https_$k\n    bind 127.0.0.1:" . $p->{"https_$k"}
            . " ssl crt $CERT{$k}{pem} ssl-min-ver TLSv1.3 alpn http/1.1\n"
            . "    default_backend web\n";
    }
    $c .= "frontend tcp\n    mode tcp\n    bind 127.0.0.1:$p->{tcp}\n"
        . "    default_backend tcp_be\n" if $p->{tcp};
    return $c;
}

# Start server $srv with endpoints %$eps (name => 1) and $workers workers.
# Returns an instance { srv, pid, ports, dir } or undef (with $@ set).
my $INSTANCE_SEQ = 0;
sub start_server {
    my ($srv, $workers, $eps, $tag) = @_;
    my %p = map { $_ => free_port() } @$eps;
    my $d = "$WORK/$srv-$tag-" . ++$INSTANCE_SEQ;
    make_path("$d/logs");
    my $pid;
    if ($srv eq 'weir') {
        spew("$d/weir.yaml", "daemon: false\nerror_log: logs/error.log\n"
            . "pid_file: logs/weir.pid\n" . weir_config(\%p, $workers,
                                                        300000));
        $pid = spawn("weir-$tag", "$d/stderr.log", $O{weir}, '-f', '-p', $d,
                     '-c', "$d/weir.yaml");
    } elsif ($srv eq 'nginx') {
        spew("$d/nginx.conf", nginx_config($d, \%p, $workers));
        $pid = spawn("nginx-$tag", "$d/stderr.log", 'nginx', '-e',
                     "$d/error.log", '-p', $d, '-c', "$d/nginx.conf");
    } else {
        delete $p{udp};
        spew("$d/haproxy.cfg", haproxy_config($d, \%p, $workers));
        $pid = spawn("haproxy-$tag", "$d/stderr.log", 'haproxy', '-db',
                     '-f', "$d/haproxy.cfg");
    }
    my $inst = { srv => $srv, pid => $pid, ports => \%p, dir => $d,
                 workers => $workers };
    my @tcp = grep { $_ ne 'udp' } keys %p;
    my $up = wait_for(sub {
        return -1 unless alive($pid);
        for (@tcp) { return 0 unless port_open($p{$_}); }
        # the workers are up too (a master may listen before forking)
        return scalar(family($pid)) >= ($srv eq 'haproxy' ? 1 : 1 + $workers);
    }, 15);
    if (!$up || $up == -1) {
        $@ = "$srv did not start: " . tail_logs($d);
        stop_pid($pid);
        return undef;
    }
    return $inst;
}

sub tail_logs {
    my ($d) = @_;
    my $t = '';
    for my $f (glob("$d/*.log"), glob("$d/logs/*.log")) {
        my @l = split /\n/, slurp($f);
        $t .= join("\n", @l[max(0, $#l - 5) .. $#l]) . "\n" if @l;
    }
    $t =~ s/\s+$//;
    return $t || '(no log output)';
}

sub stop_server { my ($i) = @_; stop_pid($i->{pid}) if $i; }

sub pids { my ($i) = @_; return family($i->{pid}); }

sub worker_pids {
    my ($i) = @_;
    my @f = family($i->{pid});
    return @f if @f == 1;       # one process (HAProxy)
    return grep { $_ != $i->{pid} } @f;
}

# --- probes -----------------------------------------------------------------
sub url {
    my ($i, $ep) = @_;
    my $scheme = $ep =~ /^https/ ? 'https' : 'http';
    return "$scheme://127.0.0.1:$i->{ports}{$ep}/";
}

# The endpoint answers as the origin does (UDP: echoes come back).
sub probe {
    my ($i, $ep) = @_;
    if ($ep eq 'udp') {
        my ($rc, $out) = run_capture("$BIN/udpload", '-p', $i->{ports}{udp},
            '-s', 4, '-d', 0.3, '-n', 40, '-T', 500);
        return $out =~ /received=(\d+)/ && $1 > 0 ? ''
            : "no UDP echo through it ($out)";
    }
    my ($rc, $out) = run_capture('curl', '-sk', '--max-time', '2',
        '-w', '\n%{http_code}', url($i, $ep));
    return '' if !$rc && $out =~ /\Q$BODY\E\n200$/;
    $out =~ s/\s+/ /g;
    return "no origin answer through it (curl rc=$rc: "
        . substr($out, 0, 120) . ")";
}

# --- loads ------------------------------------------------------------------
# Each returns { value => number or undef, error => text, ... }.
sub load_wrk {
    my ($s, $url, $secs) = @_;
    my @cmd = ('wrk', '-t', $s->{threads}, '-c', $s->{conns}, '-d',
               "${secs}s", '--timeout', '5s');
    push @cmd, '-H', 'Connection: close' if $s->{close};
    my ($rc, $out) = run_capture(@cmd, $url);
    my $r = parse_wrk($rc, $out);
    $r->{error} = join ', ', grep { $_ } $r->{error},
        $r->{requests} ? '' : 'no request completed';
    return $r;
}

sub parse_wrk {
    my ($rc, $out) = @_;
    my %r = (raw => $out);
    ($r{value}) = $out =~ /Requests\/sec:\s+([\d.]+)/;
    ($r{requests}) = $out =~ /(\d+) requests in/;
    my @err;
    push @err, "wrk exit $rc" if $rc;
    push @err, "$1 non-2xx" if $out =~ /Non-2xx or 3xx responses: (\d+)/;
    if ($out =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) {
        push @err, "socket errors c=$1 r=$2 w=$3 t=$4"
            if $1 + $3 + $4 > 0 || $2 > ($r{requests} // 0) / 100;
    }
    $r{error} = join ', ', @err;
    $r{value} = undef unless $r{requests};
    return \%r;
}

# requests the origin has answered (stub_status), or undef
sub origin_requests {
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $ORIGIN_STATUS, Proto => 'tcp', Timeout => 2)
        or return undef;
    print $c "GET / HTTP/1.0\r\nHost: origin\r\n\r\n";
    my $t = do { local $/; <$c> } // '';
    close $c;
    return $t =~ /^\s*\d+\s+\d+\s+(\d+)\s*$/m ? $1 : undef;
}

# The sweep's load: wrk, and the rate the origin counts in a window
# after a warm-up. wrk's own figure spans the whole run, connecting
# included, and at 10 000 clients connecting is most of a short run
# (accept queues of 511, SYNs dropped and sent again after 1 s, 10 000
# TLS handshakes); the window measures the steady state that follows.
# The warm-up grows with the connections (0.5 s + 1 s a 2500; smoke:
# 0.3 s); wrk is asked for more than the warm-up and the window and
# stopped (SIGINT: it prints its summary) when the window ends, so a run
# is bounded twice. Every request through a proxy is one at the origin.
sub load_sweep {
    my ($s, $url, $secs) = @_;
    my $warm = $SMOKE ? 0.3 : 0.5 + $s->{conns} / 2500;
    my $out = "$WORK/wrk.out";
    unlink $out;
    my @cmd = ('wrk', '-t', $s->{threads}, '-c', $s->{conns}, '-d',
               int($warm + $secs + 3) . 's', '--timeout', '5s');
    push @cmd, '-H', 'Connection: close' if $s->{close};
    my $t0 = time;
    my $pid = spawn('wrk', $out, @cmd, $url);
    sleep(max(0, $t0 + $warm - time));
    my ($c1, $t1) = (origin_requests(), time);
    sleep(max(0, $t1 + $secs - time));
    my ($c2, $t2) = (origin_requests(), time);
    kill 'INT', $pid;
    wait_for(sub { !alive($pid) }, 10);
    stop_pid($pid, 'KILL');
    my $r = parse_wrk($? >> 8, slurp($out));
    my @err = grep { $_ } $r->{error};
    $r->{wrk} = $r->{value};
    $r->{wrk_requests} = $r->{requests};
    if (defined $c1 && defined $c2 && $c2 > $c1 + 1 && $t2 > $t1) {
        $r->{requests} = $c2 - $c1 - 1;         # less the status request
        $r->{value} = $r->{requests} / ($t2 - $t1);
    } else {
        $r->{value} = undef;
        push @err, 'no request in the window'
            . (defined $c1 && defined $c2 ? '' : ' (no origin count)');
    }
    $r->{error} = join ', ', @err;
    return $r;
}

sub load_udp {
    my ($s, $port, $secs) = @_;
    my ($rc, $out) = run_capture("$BIN/udpload", '-p', $port, '-s',
        $s->{sockets}, '-w', $s->{window}, '-d', $secs, '-n', 50_000_000,
        '-T', 200);
    my %r = (raw => $out);
    if ($out =~ /sent=(\d+) received=(\d+) lost=(\d+) late=(\d+) .*pps=(\d+) loss_pct=([\d.]+)/) {
        @r{qw(sent requests lost late value loss)} = ($1, $2, $3, $4, $5, $6);
        $r{note} = sprintf('loss %.3f%%', $r{loss});
        $r{error} = '';
        if ($r{loss} >= 0.1) {
            # not a rate "at < 0.1% loss": kept out of the median (the
            # smoke run keeps it: it checks that numbers come, not which)
            $r{error} = "loss $r{loss}% >= 0.1%"
                . ($SMOKE ? '' : ' (run not counted)');
            $r{value} = undef unless $SMOKE;
        }
    } else {
        $r{error} = "udpload failed (rc=$rc): $out";
    }
    return \%r;
}

# full TLS handshakes (bench/hsload.c: no session resumption)
sub load_hs {
    my ($s, $port, $secs) = @_;
    my ($rc, $out) = run_capture("$BIN/hsload", '-p', $port, '-t',
        $s->{threads}, '-d', $secs, '-n', 10_000_000);
    my %r = (raw => $out);
    if ($out =~ /handshakes=(\d+) failed=(\d+) resumed=(\d+) .*rate=([\d.]+)/) {
        @r{qw(requests failed resumed value)} = ($1, $2, $3, $4);
        my @err;
        push @err, "$2 failed" if $2 > $1 / 1000;
        push @err, "$3 resumed" if $3;
        $r{error} = join ', ', @err;
    } else {
        $r{error} = "hsload failed (rc=$rc): $out";
    }
    return \%r;
}

sub percentile {
    my ($sorted, $q) = @_;
    return undef unless @$sorted;
    my $i = int($q * (@$sorted - 1) + 0.5);
    return $sorted->[$i];
}

# Open-loop-ish fixed rate: h2load, HTTP/1.1, $conns clients at rate/conns
# requests per second each; latencies from its per-request log.
sub load_rate {
    my ($s, $url, $secs, $rate) = @_;
    my $per = max(1, int($rate / $s->{conns} + 0.5));
    my $log = "$WORK/h2load.log";
    unlink $log;
    my ($rc, $out) = run_capture('h2load', '--h1', '-c', $s->{conns},
        '--rps', $per, '-D', $secs, '--warm-up-time', '300ms',
        '--log-file', $log, $url);
    my %r = (raw => $out, rate => $per * $s->{conns});
    my (@lat, $bad);
    open(my $fh, '<', $log) or return { error => "h2load: no log ($out)" };
    while (<$fh>) {
        my ($start, $status, $us) = split /\t/;
        next unless defined $us;
        $bad++ if $status != 200;
        push @lat, $us / 1000;
    }
    close $fh;
    @lat = sort { $a <=> $b } @lat;
    $r{requests} = @lat;
    $r{p50} = percentile(\@lat, 0.50);
    $r{p99} = percentile(\@lat, 0.99);
    $r{value} = $r{p99};
    $r{achieved} = @lat / $secs;
    my @err;
    push @err, "h2load exit $rc" if $rc;
    push @err, "$bad non-200" if $bad;
    push @err, sprintf('only %.0f of %d req/s', $r{achieved}, $r{rate})
        if $r{achieved} < 0.9 * $r{rate};
    $r{error} = join ', ', @err;
    $r{note} = sprintf('p50 %.3f ms at %d req/s', $r{p50} // 0, $r{rate});
    return \%r;
}

# A fresh 1-worker server, one warm-up request, then $n idle keep-alive
# clients: (RSS of all its processes after - before) / connections.
sub load_mem {
    my ($s, $srv, $n) = @_;
    my $i = start_server($srv, 1, ['http'], 'mem')
        or return { error => $@ };
    my $err = probe($i, 'http');
    if ($err) { stop_server($i); return { error => $err }; }
    my @p = pids($i);
    my $before = rss_kb(@p);
    my $cls0 = rss_classes(@p);
    # a pipe for the client's stdin (closing it ends the client) and one
    # for its output
    pipe(my $cr, my $cw) or die "pipe: $!\n";
    pipe(my $or, my $ow) or die "pipe: $!\n";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        close $cw; close $or;
        open(STDIN, '<&', $cr);
        open(STDOUT, '>&', $ow);
        exec("$BIN/idleconn", '-p', $i->{ports}{http}, '-n', $n, '-c', 256,
             '-t', 120) or POSIX::_exit(127);
    }
    $PROCS{$pid} = 'idleconn';
    close $cr; close $ow;
    my $ready = <$or> // '';
    my %r;
    if ($ready =~ /ready ok=(\d+) failed=(\d+)/) {
        my ($ok, $failed) = ($1, $2);
        # let the server finish what follows a response: pool frees, and
        # housekeeping on a tick (weir gives back the sessions and TLS
        # buffers a burst left over once a second): the RSS must hold
        # still for 2.5 s
        my ($last, $since) = (-1, time);
        wait_for(sub {
            my $now = rss_kb(pids($i));
            ($last, $since) = ($now, time) if $now != $last;
            return time - $since >= 2.5;
        }, 12);
        my $after = rss_kb(pids($i));
        my $cls1 = rss_classes(pids($i));
        $r{value} = $ok ? ($after - $before) * 1024 / $ok : undef;
        $r{requests} = $ok;
        $r{note} = sprintf('%d conns, RSS %d -> %d kB (%s)', $ok, $before,
            $after, join(', ', map { sprintf('%s %+d', $_,
                ($cls1->{$_} // 0) - ($cls0->{$_} // 0)) }
                grep { ($cls1->{$_} // 0) != ($cls0->{$_} // 0) }
                sort keys %{ { %$cls0, %$cls1 } }));
        $r{error} = $failed ? "$failed connections failed" : '';
    } else {
        $r{error} = "idleconn: $ready";
    }
    close $cw;
    my $rest = do { local $/; <$or> } // '';
    close $or;
    if ($rest =~ /closed_while_idle=(\d+)/ && $1 > 0) {
        $r{error} .= ($r{error} ? ', ' : '') . "$1 closed while idle";
    }
    stop_pid($pid);
    stop_server($i);
    return \%r;
}

# --- the runs ---------------------------------------------------------------
my %FEATURE;            # weir feature => '' (works) or why not
sub probe_weir_features {
    my %need;
    for my $s (@SCENARIOS) { $need{ $EP_FEATURE{ $s->{ep} } } = 1; }
    $need{https} = 1 if $need{https};
    for my $f (sort keys %need) {
        my @eps = $f eq 'https' ? qw(https_ecdsa https_rsa) : ($f);
        my $i = start_server('weir', 1, \@eps, "probe-$f");
        if (!$i) {
            $FEATURE{$f} = $@;
        } else {
            $FEATURE{$f} = join '; ', grep { $_ } map { probe($i, $_) } @eps;
            $FEATURE{$f} .= ' ' . tail_logs($i->{dir}) if $FEATURE{$f};
            stop_server($i);
        }
        log_msg("weir $f: ", $FEATURE{$f} eq '' ? 'works'
                                                : "not usable: $FEATURE{$f}");
    }
}

sub scenario_servers {
    my ($s) = @_;
    my %ok = map { $_ => 1 } @{ $s->{servers} // [qw(weir nginx haproxy)] };
    return grep { $ok{$_} } @SERVERS;
}

sub weir_can { my ($s) = @_; return $FEATURE{ $EP_FEATURE{ $s->{ep} } } eq ''; }

my (%RES, %SKIP, %INST, @RAW, $RATE);
my $load_before = slurp('/proc/loadavg');
my $t0 = time;

# The duration expected, from what runs cost on the 2-core machine this
# was written on: a run is its seconds plus ~0.3 s (start, report); a
# sweep run its warm-up too, and the closing of its clients (10 000:
# ~2.5 s); an idle-memory run a fresh server and its idle clients; a
# syscall count its 2 s plus ~1.5 s of perf; a profile ~20 s, where a
# target is missed (counted for half the fixed scenarios with a target
# and one point of each sweep scenario).
sub run_cost {
    my ($s) = @_;
    return 2 + $O{idle} / 4000 if $s->{kind} eq 'mem';
    my $c = $O{seconds} + 0.3;
    $c += ($SMOKE ? 0.3 : 0.5 + $s->{conns} / 2500) + $s->{conns} / 4000
        if $s->{sweep};
    return $c;
}

# the fixed 1-worker loads, and the sweep at 64 and 1000 connections
sub syscall_scenarios {
    my @w = grep { $_->{sweep} ? $_->{conns} == 64 || $_->{conns} == 1000
        : $_->{kind} =~ /^(wrk|udp|hs)$/ && $_->{inst} eq 'w1' } @SCENARIOS;
    return $SMOKE && @w ? @w[0 .. 0] : @w;
}

sub estimate {
    my ($rounds, $sweep_rounds) = @_;
    my $t = 10;                                 # tools, certs, probes
    for my $s (@SCENARIOS) {
        $t += run_cost($s) * scenario_servers($s)
            * ($s->{sweep} ? $sweep_rounds : $rounds);
    }
    if ($O{syscalls} && $HAVE_PERF) {
        $t += (($SMOKE ? 1 : 2) + 1.5 + ($_->{conns} // 0) / 4000)
            * scenario_servers($_) for syscall_scenarios();
    }
    if ($O{profile} && $HAVE_PERF && !$SMOKE) {
        my @p = grep { $_->{target} && !$_->{sweep} && $_->{kind} ne 'mem' }
            @SCENARIOS;
        $t += (20 + $O{seconds}) * (@p / 2 + @SWEEP_RUN);
    }
    return $t;
}

{
    my $sr = $O{sweep_rounds} // $O{rounds};
    my $t = estimate($O{rounds}, $sr);
    if (!defined $O{sweep_rounds} && @SWEEP_RUN && $sr > 3 && $t > 35 * 60)
    {
        my $t3 = estimate($O{rounds}, 3);
        log_msg(sprintf('%d rounds of the sweep would take the run to '
            . '~%.0f min: the sweep gets 3 rounds (~%.0f min; '
            . 'BENCH_SWEEP_ROUNDS sets it)', $sr, $t / 60, $t3 / 60));
        ($sr, $t) = (3, $t3);
    }
    $O{sweep_rounds} = $sr;
    log_msg(sprintf('%d scenarios (%d sweep points over %s connections), '
        . '%d rounds (sweep: %d), %d s a run: expected ~%.0f min',
        scalar(grep { !$_->{sweep} } @SCENARIOS),
        scalar(grep { $_->{sweep} } @SCENARIOS),
        join(',', @SWEEP_POINTS), $O{rounds}, $sr, $O{seconds}, $t / 60));
    exit 0 if $ENV{BENCH_ESTIMATE};
}

probe_weir_features() if grep { $_ eq 'weir' } @SERVERS;

for my $s (@SCENARIOS) {
    if (grep({ $_ eq 'weir' } @SERVERS) && !weir_can($s)) {
        $SKIP{ $s->{id} } = 'weir: ' . $FEATURE{ $EP_FEATURE{ $s->{ep} } };
    }
}
@SCENARIOS = grep { !$SKIP{ $_->{id} } } @SCENARIOS if $SMOKE;

# long-lived instances: w1 with every endpoint, w2 with HTTP only
sub instance {
    my ($srv, $inst) = @_;
    return $INST{$srv}{$inst} if exists $INST{$srv}{$inst};
    my @eps;
    if ($inst eq 'w1') {
        my %e = map { $_->{ep} => 1 } grep { $_->{inst} eq 'w1' } @SCENARIOS;
        @eps = sort keys %e;
        @eps = grep { $_ ne 'udp' } @eps if $srv eq 'haproxy';
        @eps = grep { $FEATURE{ $EP_FEATURE{$_} } eq '' } @eps
            if $srv eq 'weir';
    } else {
        @eps = ('http');
        @eps = () if $srv eq 'weir' && $FEATURE{http} ne '';
    }
    return $INST{$srv}{$inst} = undef unless @eps;
    my $i = start_server($srv, $inst eq 'w2' ? 2 : 1, \@eps, $inst);
    if (!$i) {
        log_msg("$srv $inst: $@");
        return $INST{$srv}{$inst} = undef;
    }
    for my $ep (@eps) {
        my $e = probe($i, $ep);
        next unless $e;
        log_msg("$srv $inst $ep: $e");
        $i->{broken}{$ep} = $e;
    }
    return $INST{$srv}{$inst} = $i;
}

sub run_one {
    my ($s, $srv, $secs) = @_;
    if ($srv eq 'weir' && !weir_can($s)) {
        return { error => 'n/a' };
    }
    if ($s->{kind} eq 'mem') {
        return load_mem($s, $srv, $O{idle});
    }
    my $i = instance($srv, $s->{inst})
        or return { error => "$srv did not start" };
    return { error => $i->{broken}{ $s->{ep} } } if $i->{broken}{ $s->{ep} };
    my @p = pids($i);
    my ($lo0, %log0);
    if ($s->{sweep}) {
        $lo0 = listen_overflows();
        %log0 = map { $_ => -s $_ // 0 } server_logs($i);
    }
    my $c0 = cpu_seconds(@p);
    my (undef, undef, undef, $cu0, $cs0) = POSIX::times();
    my $w0 = time;
    my $r;
    if ($s->{sweep}) {
        $r = load_sweep($s, url($i, $s->{ep}), $secs);
    } elsif ($s->{kind} eq 'wrk') {
        $r = load_wrk($s, url($i, $s->{ep}), $secs);
    } elsif ($s->{kind} eq 'udp') {
        $r = load_udp($s, $i->{ports}{udp}, $secs);
    } elsif ($s->{kind} eq 'hs') {
        $r = load_hs($s, $i->{ports}{ $s->{ep} }, $secs);
    } else {
        $r = load_rate($s, url($i, $s->{ep}), $secs, $RATE);
    }
    my $wall = time - $w0;
    my (undef, undef, undef, $cu1, $cs1) = POSIX::times();
    $r->{cpu} = $wall > 0 ? 100 * (cpu_seconds(@p) - $c0) / $wall : 0;
    $r->{ccpu} = $wall > 0 ? 100 * ($cu1 + $cs1 - $cu0 - $cs0) / $HZ / $wall
                           : 0;
    $r->{error} = "$srv exited" . ($r->{error} ? ", $r->{error}" : '')
        unless alive($i->{pid});
    if ($s->{sweep}) {
        # what a high point may cost that the rate alone hides: SYNs the
        # accept queue dropped (netns-wide: another test may add some),
        # and what the server logged
        my @n;
        # (the counter is the network namespace's: others' tests on this
        # machine add a few, hence the floor)
        my $lo = listen_overflows() - $lo0;
        push @n, "listen overflows $lo" if $lo > 100;
        my @new;
        for my $f (sort keys %log0) {
            open(my $fh, '<', $f) or next;
            seek($fh, $log0{$f}, 0);
            push @new, grep { /\S/ && !/^\s*$/ } <$fh>;
        }
        chomp @new;
        if (@new) {
            (my $first = $new[0]) =~ s/\s+/ /g;
            push @n, scalar(@new) . " log lines, first: "
                . substr($first, 0, 160);
        }
        $r->{note} = join '; ', @n if @n;
        # the next run starts once this server has closed what wrk
        # left (10 000 connections take a moment)
        settle(@p) if $s->{conns} >= 1000;
    }
    return $r;
}

sub listen_overflows {
    my @l = grep { /^TcpExt:/ } split /\n/, slurp('/proc/net/netstat');
    return 0 unless @l == 2;
    my @k = split ' ', $l[0];
    my @v = split ' ', $l[1];
    my %h;
    @h{@k} = @v;
    return $h{ListenOverflows} // 0;
}

sub server_logs {
    my ($i) = @_;
    return grep { -f } glob("$i->{dir}/*.log"), glob("$i->{dir}/logs/*.log");
}

# until the descriptors of the processes stop changing (at most 5 s)
sub settle {
    my (@p) = @_;
    my $count = sub {
        my $n = 0;
        for my $p (@p) {
            opendir(my $d, "/proc/$p/fd") or next;
            $n += grep { /^\d/ } readdir $d;
        }
        return $n;
    };
    my $last = -1;
    wait_for(sub {
        sleep 0.1;
        my $now = $count->();
        my $same = $now == $last;
        $last = $now;
        return $same;
    }, 5);
}

sub median {
    my @v = sort { $a <=> $b } grep { defined } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# the rate of the latency scenario: half the best peer's HTTP keep-alive
# maximum (1 worker); measured first when that scenario is not run
sub fix_rate {
    return if $RATE;
    my @m = grep { defined } map { median(map { $_->{value} }
        @{ $RES{http_ka_w1}{$_} // [] }) } @PEERS;
    if (!@m) {
        my $s = $SCEN{http_ka_w1};
        for my $srv (@PEERS) {
            my $r = run_one($s, $srv, $O{seconds});
            push @m, $r->{value} if defined $r->{value};
        }
    }
    @m = map { $_->{value} // () } run_one($SCEN{http_ka_w1}, 'weir',
        $O{seconds}) unless @m;
    $RATE = int((max(@m) // 2000) / 2);
    log_msg("latency scenario rate: $RATE req/s (half the best peer)");
}

my $ROUNDS = max($O{rounds}, @SWEEP_RUN ? $O{sweep_rounds} : 0);
for my $round (1 .. $ROUNDS) {
    log_msg("round $round of $ROUNDS");
    for my $s (@SCENARIOS) {
        next if $round > ($s->{sweep} ? $O{sweep_rounds} : $O{rounds});
        fix_rate() if $s->{kind} eq 'rate';
        # interleaved, and the order turns each round (weir nginx
        # haproxy, then nginx haproxy weir, ...) so no server always
        # runs first after another scenario
        my @order = scenario_servers($s);
        push @order, shift @order for 1 .. ($round - 1) % @order;
        for my $srv (@order) {
            my $r = run_one($s, $srv, $O{seconds});
            push @{ $RES{ $s->{id} }{$srv} }, $r;
            $r->{error} =~ s/\s+/ /g if $r->{error};
            push @RAW, [$round, $s->{id}, $srv, $r->{value} // '',
                        sprintf('%.0f', $r->{cpu} // 0),
                        sprintf('%.0f', $r->{ccpu} // 0),
                        # a sweep run: wrk's own figure, connecting included
                        join('; ', grep { $_ } (defined $r->{wrk}
                            ? sprintf('wrk %.0f req/s', $r->{wrk}) : ''),
                            $r->{note}),
                        $r->{error} // ''];
            log_msg(sprintf('  %-22s %-8s %12s %s%s', $s->{id}, $srv,
                defined $r->{value} ? sprintf('%.1f', $r->{value}) : '-',
                defined $r->{cpu} ? sprintf('cpu %3.0f%% client %3.0f%% ',
                                            $r->{cpu}, $r->{ccpu}) : '',
                ($r->{note} // '') . ($r->{error} ? " [$r->{error}]" : '')));
        }
    }
}

# --- syscalls per request ---------------------------------------------------
# the ones a proxy makes per request (each tracepoint costs perf ~40 ms
# to set up per process, so not all 360); the rest is counted as 'other'
my @SYSCALLS = qw(read write readv writev recvfrom sendto recvmsg sendmsg
    recvmmsg sendmmsg epoll_wait epoll_pwait epoll_ctl accept4 connect close
    socket setsockopt getsockopt getsockname getpeername ioctl shutdown brk
    mmap munmap futex fcntl getrandom clock_gettime getpid);
@SYSCALLS = () if $SMOKE;       # the total only
{
    # only the tracepoints this kernel has
    my ($dir) = grep { -d } map { "$_/events/syscalls" }
        qw(/sys/kernel/tracing /sys/kernel/debug/tracing);
    @SYSCALLS = grep { -d "$dir/sys_enter_$_" } @SYSCALLS if $dir;
    @SYSCALLS = () unless $dir;
}
my %SYS;        # scenario => server => { total => per req, name => per req }

sub count_syscalls {
    my ($s, $srv) = @_;
    my $i = instance($srv, $s->{inst}) or return undef;
    return undef if $i->{broken}{ $s->{ep} };
    my ($ctl, $ack, $outf) = ("$WORK/perf.ctl", "$WORK/perf.ack",
                              "$WORK/perf.out");
    unlink $ctl, $ack, $outf;
    system('mkfifo', $ctl, $ack) == 0 or return undef;
    my $events = join ',', 'raw_syscalls:sys_enter',
        map { "syscalls:sys_enter_$_" } @SYSCALLS;
    my $pid = spawn('perf-stat', "$WORK/perf.log", 'perf', 'stat', '-x,',
        '-o', $outf, '-e', $events, '-p', join(',', pids($i)), '-D', '-1',
        '--control', "fifo:$ctl,$ack");
    # read-write opens of a FIFO never block (Linux), so a perf that died
    # at start cannot hang us; every wait below has a deadline
    open(my $cw, '+<', $ctl) or return undef;
    open(my $ar, '+<', $ack) or return undef;
    $cw->autoflush(1);
    my $sync = sub {
        my ($cmd) = @_;
        print $cw "$cmd\n";
        my $got = '';
        my $deadline = time + 30;
        my $sel = IO::Select->new($ar);
        while ($got !~ /ack/ && time < $deadline && alive($pid)) {
            next unless $sel->can_read(0.5);
            sysread($ar, my $b, 64) or last;
            $got .= $b;
        }
        return $got =~ /ack/;
    };
    my $r;
    if ($sync->('enable')) {
        my $secs = $SMOKE ? 1 : 2;
        $r = $s->{kind} eq 'udp' ? load_udp($s, $i->{ports}{udp}, $secs)
           : $s->{kind} eq 'hs' ? load_hs($s, $i->{ports}{ $s->{ep} }, $secs)
           : $s->{sweep} ? load_sweep($s, url($i, $s->{ep}), $secs)
           : load_wrk($s, url($i, $s->{ep}), $secs);
        $sync->('disable');
        # the sweep's load: perf saw the whole wrk run, warm-up included
        $r->{requests} = $r->{wrk_requests} if $s->{sweep};
    }
    close $cw;
    close $ar;
    stop_pid($pid, 'INT');
    return undef unless $r && $r->{requests};
    my %c;
    for (split /\n/, slurp($outf)) {
        my ($n, undef, $ev) = split /,/;
        next unless defined $ev && $n =~ /^\d+$/;
        $ev =~ s/^raw_syscalls:sys_enter$/total/;
        $ev =~ s/^syscalls:sys_enter_//;
        $c{$ev} = $n / $r->{requests};
    }
    return undef unless exists $c{total};
    my $named = sum(0, map { $c{$_} } grep { $_ ne 'total' } keys %c);
    $c{other} = $c{total} - $named;
    return \%c;
}

if ($O{syscalls} && $HAVE_PERF) {
    require IO::Select;
    my @which = syscall_scenarios();
    log_msg('syscalls per request (perf stat)');
    for my $s (@which) {
        for my $srv (scenario_servers($s)) {
            next if $srv eq 'weir' && !weir_can($s);
            my $c = count_syscalls($s, $srv) or next;
            $SYS{ $s->{id} }{$srv} = $c;
            log_msg(sprintf('  %-22s %-8s %6.2f', $s->{id}, $srv,
                            $c->{total}));
        }
    }
} elsif ($O{syscalls}) {
    log_msg('no perf with syscall tracepoints: syscall counts skipped');
}

# --- summary ----------------------------------------------------------------
sub fmt {
    my ($v, $s) = @_;
    return '-' unless defined $v;
    return sprintf('%.3f', $v) if $s->{unit} eq 'ms';
    return sprintf('%.0f', $v);
}

my (@TABLE, %VERDICT);
for my $s (@SCENARIOS) {
    my $id = $s->{id};
    my %med;
    my %row = (s => $s);
    for my $srv (scenario_servers($s)) {
        my @runs = @{ $RES{$id}{$srv} // [] };
        my @v = grep { defined } map { $_->{value} } @runs;
        my @errs = grep { $_ } map { $_->{error} } @runs;
        $med{$srv} = median(@v);
        $row{$srv} = { med => $med{$srv}, min => min(@v), max => max(@v),
                       n => scalar(@v), errs => \@errs,
                       cpu => median(map { $_->{cpu} } @runs),
                       ccpu => median(map { $_->{ccpu} } @runs),
                       eff => median(map { $_->{cpu} && defined $_->{value}
                           ? 100 * $_->{value} / $_->{cpu} : undef } @runs),
                       note => median(map { $_->{p50} } @runs) };
    }
    # the best peer
    my @pm = grep { defined $med{$_} } grep { $_ ne 'weir' }
        scenario_servers($s);
    my $best;
    if ($s->{target} && $s->{target} eq 'nginx') {
        $best = 'nginx' if defined $med{nginx};
    } elsif (@pm) {
        ($best) = sort { $s->{better} eq 'hi' ? $med{$b} <=> $med{$a}
                                              : $med{$a} <=> $med{$b} } @pm;
    }
    $row{best} = $best;
    for my $p (@pm) {
        $row{ratio}{$p} = $med{$p} && defined $med{weir}
            ? $med{weir} / $med{$p} : undef;
    }
    if (defined $s->{target} && $best && defined $row{ratio}{$best}) {
        my $r = $row{ratio}{$best};
        my ($t, $ok);
        if ($s->{target} eq 'nginx') {
            ($t, $ok) = ('<= nginx', $r <= 1.0);
        } elsif ($s->{better} eq 'hi') {
            ($t, $ok) = (">= $s->{target}x $best", $r >= $s->{target});
        } else {
            ($t, $ok) = ("<= $s->{target}x $best", $r <= $s->{target});
        }
        $VERDICT{$id} = { target => $t, met => $ok, ratio => $r,
                          best => $best };
    }
    push @TABLE, \%row;
}

# --- profiles of weir where a target is not met ------------------------------
# perf record with DWARF call chains (weir is built without frame
# pointers) on weir's workers under the scenario's load; three views:
# time by object (kernel, libc, libcrypto, weir), the hottest functions
# by self time, and weir's own functions by inclusive time.
my %PROFILE;
sub perf_report {
    my ($data, @args) = @_;
    my (undef, $rep) = run_capture('perf', 'report', '-i', $data, '--stdio',
        '-g', 'none', @args);
    my @l = grep { /^\s+\d+\.\d+%/ } split /\n/, $rep;
    s/\s+$// for @l;
    s/(\s+-)+$// for @l;
    return @l;
}

sub profile_weir {
    my ($s) = @_;
    my $i = instance('weir', $s->{inst}) or return;
    my $data = "$O{out}/perf-$s->{id}.data";
    unlink $data;
    my $pid = spawn('perf-record', "$WORK/perf-record.log", 'perf',
        'record', '-F', '499', '--call-graph', 'dwarf,16384', '-o', $data,
        '-p', join(',', worker_pids($i)));
    wait_for(sub { -s $data || !alive($pid) }, 10);
    run_one($s, 'weir', $O{seconds});
    stop_pid($pid, 'INT');
    return unless -s $data;
    my @dso = perf_report($data, '--no-children', '--sort', 'dso',
                          '--percent-limit', '1');
    my @self = perf_report($data, '--no-children', '--sort', 'dso,sym',
                           '--percent-limit', '0.8');
    my $top = qr/\b(lb_master_process_cycle|lb_spawn_process|lb_start_workers
        |lb_child_run|main|__libc_start_\w+|_start)\b/x;
    my @incl = grep { !/$top/ } perf_report($data, '--children',
        '--sort', 'sym', '--percent-limit', '3');
    @self = @self[0 .. min($#self, 19)];
    @incl = @incl[0 .. min($#incl, 29)];
    my $t = "by object (self):\n" . join("\n", @dso)
        . "\nhottest functions (self):\n" . join("\n", @self)
        . "\nby inclusive time (children + self, call chains):\n"
        . join("\n", @incl);
    $PROFILE{ $s->{id} } = $t;
    spew("$O{out}/profile-$s->{id}.txt", "$t\n");
    log_msg("profiled weir under $s->{id}: $O{out}/profile-$s->{id}.txt");
}

if ($O{profile} && $HAVE_PERF && grep { $_ eq 'weir' } @SERVERS) {
    # of the sweep, the point furthest below its target (one per sweep
    # scenario: a profile costs ~25 s); 'all': the 64 and 1000 points
    my %worst;
    for my $s (grep { $_->{sweep} } @SCENARIOS) {
        my $v = $VERDICT{ $s->{id} } or next;
        next if $v->{met};
        my $w = $worst{ $s->{sweep} };
        $worst{ $s->{sweep} } = $s->{id}
            if !$w || $v->{ratio} < $VERDICT{$w}{ratio};
    }
    for my $s (@SCENARIOS) {
        next if $s->{kind} eq 'mem' || !weir_can($s);
        my $v = $VERDICT{ $s->{id} };
        if ($s->{sweep}) {
            next unless $O{profile} eq 'all'
                ? $s->{conns} == 64 || $s->{conns} == 1000
                : ($worst{ $s->{sweep} } // '') eq $s->{id};
        } else {
            next unless $O{profile} eq 'all' || ($v && !$v->{met});
        }
        profile_weir($s);
    }
}

# --- report -----------------------------------------------------------------
my $load_after = slurp('/proc/loadavg');
my $elapsed = time - $t0;
my (undef, $cpu) = run_capture('sh', '-c',
    "grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'");
chomp $cpu;
my (undef, $kernel) = run_capture('uname', '-r');
chomp $kernel;
my (undef, $commit) = run_capture('git', '-C', $ROOT, 'rev-parse',
                                  '--short', 'HEAD');
chomp $commit;
my (undef, $dirty) = run_capture('git', '-C', $ROOT, 'status',
                                 '--porcelain', '--untracked-files=no');
$commit .= ' (+ uncommitted changes)' if $dirty =~ /\S/;
my %ver;
(undef, $ver{nginx}) = run_capture('nginx', '-v');
(undef, $ver{haproxy}) = run_capture('haproxy', '-v');
(undef, $ver{wrk}) = run_capture('wrk', '-v');
(undef, $ver{h2load}) = run_capture('h2load', '--version');
(undef, $ver{openssl}) = run_capture('openssl', 'version');
$ver{nginx} =~ s/.*nginx\///s; $ver{nginx} =~ s/\s.*//s;
$ver{haproxy} =~ s/^HAProxy version (\S+).*/$1/s;
$ver{wrk} =~ s/^wrk (\S+).*/$1/s;
$ver{h2load} =~ s/^h2load nghttp2\/(\S+).*/$1/s;
$ver{openssl} =~ s/^OpenSSL (\S+).*/$1/s;
chomp %ver;

my $md = '';
$md .= sprintf("Date: %s. Machine: %d x %s, Linux %s. Commit: %s.\n",
    strftime('%Y-%m-%d %H:%M %Z', localtime), scalar(`nproc` // 0) || 0,
    $cpu, $kernel, $commit);
$md .= "Peers: nginx $ver{nginx}, HAProxy $ver{haproxy}; load: wrk "
    . "$ver{wrk}, h2load $ver{h2load}; OpenSSL $ver{openssl}.\n";
$md .= sprintf("Rounds: %d%s, %d s a run, interleaved weir/nginx/haproxy; "
    . "the order turns each round. %.0f s in all. Load average before: "
    . "%s; after: %s.\n\n",
    $O{rounds}, @SWEEP_RUN && $O{sweep_rounds} != $O{rounds}
        ? " (the sweep: $O{sweep_rounds})" : '', $O{seconds}, $elapsed, join(' ', (split ' ', $load_before)[0 .. 2]),
    join(' ', (split ' ', $load_after)[0 .. 2]));

my @cols = @SERVERS;
my @head = ('scenario', 'unit', map({ "$_ median [min-max]" } @cols),
            map({ "weir/$_" } @PEERS), 'target', 'met',
            'syscalls/req ' . join('/', @cols));
my $fixed_at = length $md;      # the tables of the fixed scenarios
$md .= '| ' . join(' | ', @head) . " |\n";
$md .= '|' . join('|', ('---') x @head) . "|\n";
for my $row (@TABLE) {
    next if $row->{s}{sweep};   # a table of its own, below
    my $s = $row->{s};
    my @c = ($s->{title}, $s->{unit} eq 'ms' ? 'p99 ms' : $s->{unit});
    for my $srv (@cols) {
        my $x = $row->{$srv};
        if (!$x) {
            push @c, '-';
        } elsif (!defined $x->{med}) {
            my $why = $x->{errs}[0] // 'no result';
            $why = "n/a ($SKIP{$s->{id}})" if $srv eq 'weir'
                && $SKIP{ $s->{id} };
            $why =~ s/\|/\//g;
            $why =~ s/\s+/ /g;
            push @c, length($why) > 90 ? substr($why, 0, 87) . '...' : $why;
        } else {
            my $t = sprintf('%s [%s-%s]', fmt($x->{med}, $s),
                            fmt($x->{min}, $s), fmt($x->{max}, $s));
            $t .= sprintf(' (p50 %.3f)', $x->{note})
                if $s->{kind} eq 'rate' && defined $x->{note};
            $t .= ' !' if @{ $x->{errs} };
            push @c, $t;
        }
    }
    for my $p (@PEERS) {
        my $r = $row->{ratio}{$p};
        push @c, defined $r ? sprintf('%.2f', $r) : '-';
    }
    my $v = $VERDICT{ $s->{id} };
    push @c, $v ? $v->{target} : (defined $s->{target} ? '' : 'none'),
        $v ? ($v->{met} ? 'yes' : sprintf('no (%+.0f%%)',
                                          100 * ($v->{ratio} - 1)))
           : '-';
    my $sc = $SYS{ $s->{id} };
    push @c, $sc ? join(' / ', map { $sc->{$_}
        ? sprintf('%.2f', $sc->{$_}{total}) : '-' } @cols) : '';
    $md .= '| ' . join(' | ', @c) . " |\n";
}
$md .= "\n`!`: some run of it reported errors (raw.tsv has them). "
    . "Ratios are of medians; the target compares with the best peer.\n";
$md .= "Latency rate: $RATE req/s.\n" if $RATE;

# CPU while loaded: the server's (all its processes) and the load
# generator's, in % of one core; and work per server CPU-second, which a
# noisy neighbour disturbs less than the rate itself
$md .= "\nCPU during the runs (median; % of one core: server / load "
    . "generator) and work done per second of server CPU:\n\n| scenario | "
    . join(' | ', map { "$_ cpu" } @cols) . ' | '
    . join(' | ', map { "$_ per cpu-s" } @cols) . " |\n|"
    . join('|', ('---') x (1 + 2 * @cols)) . "|\n";
for my $row (@TABLE) {
    next if $row->{s}{kind} eq 'mem' || $row->{s}{sweep};
    my $per = $row->{s}{better} eq 'hi';
    $md .= "| $row->{s}{id} | " . join(' | ', map {
        my $x = $row->{$_};
        $x && defined $x->{cpu} && defined $x->{med}
            ? sprintf('%.0f / %.0f', $x->{cpu}, $x->{ccpu}) : '-' } @cols)
        . ' | ' . join(' | ', map {
        my $x = $row->{$_};
        $per && $x && defined $x->{eff} ? sprintf('%.0f', $x->{eff}) : '-'
        } @cols) . " |\n";
}

# none when only the sweep ran
substr($md, $fixed_at) = '' unless grep { !$_->{s}{sweep} } @TABLE;

# --- the sweep: tables and plot ------------------------------------------
my %ROW = map { $_->{s}{id} => $_ } @TABLE;
my @SWEEP_SHOWN = grep { my $w = $_->{id};
                         grep { $ROW{"$w\@$_"} } @SWEEP_POINTS } @SWEEP_RUN;
my $PLOT;
if (@SWEEP_SHOWN) {
    my @pts = grep { my $n = $_; grep { $ROW{"$_->{id}\@$n"} }
                     @SWEEP_SHOWN } @SWEEP_POINTS;
    $md .= sprintf("\nConcurrency sweep (wrk, %d round%s of %d s, "
        . "interleaved as above): weir / best peer, medians; **bold**: "
        . "below the target.\n\n", $O{sweep_rounds},
        $O{sweep_rounds} == 1 ? '' : 's', $O{seconds});
    $md .= '| scenario | target | ' . join(' | ', @pts) . " |\n|"
        . join('|', ('---') x (2 + @pts)) . "|\n";
    for my $w (@SWEEP_SHOWN) {
        $md .= "| $w->{title} | >= $w->{target} | " . join(' | ', map {
            my $row = $ROW{"$w->{id}\@$_"};
            my $v = $row && $VERDICT{ $row->{s}{id} };
            !$v ? '-' : $v->{met} ? sprintf('%.2f', $v->{ratio})
                      : sprintf('**%.2f**', $v->{ratio}) } @pts) . " |\n";
    }

    $md .= "\nThe sweep's points: req/s medians (spread: (max-min)/2 in % "
        . "of the median), the best peer, CPU of the servers (% of one "
        . "core), and what the runs reported (errors, SYNs the accept "
        . "queue dropped, lines the server logged):\n\n"
        . '| scenario | conns | ' . join(' | ', @cols)
        . ' | best peer | weir/best | cpu % ' . join('/', @cols)
        . " | notes |\n|" . join('|', ('---') x (6 + @cols)) . "|\n";
    for my $w (@SWEEP_SHOWN) {
        for my $n (@pts) {
            my $row = $ROW{"$w->{id}\@$n"} or next;
            my $v = $VERDICT{ $row->{s}{id} };
            my @notes;
            for my $srv (@cols) {
                my @runs = @{ $RES{ $row->{s}{id} }{$srv} // [] };
                my ($e) = grep { $_ } map { $_->{error} } @runs;
                my ($nt) = grep { $_ } map { $_->{note} } @runs;
                my $t = join '; ', grep { $_ } $e, $nt;
                next unless $t;
                $t =~ s/\|/\//g;
                $t = substr($t, 0, 117) . '...' if length $t > 120;
                push @notes, "$srv: $t";
            }
            $md .= "| $w->{id} | $n | " . join(' | ', map {
                my $x = $row->{$_};
                !$x || !defined $x->{med} ? '-'
                    : sprintf('%.0f ±%.0f%%%s', $x->{med}, $x->{med}
                        ? 50 * ($x->{max} - $x->{min}) / $x->{med} : 0,
                        @{ $x->{errs} } ? ' !' : '') } @cols)
                . ' | ' . ($row->{best} // '-') . ' | '
                . ($v ? sprintf('%.2f%s', $v->{ratio},
                                $v->{met} ? '' : ' (below)') : '-')
                . ' | ' . join(' / ', map {
                    my $x = $row->{$_};
                    $x && defined $x->{cpu} && defined $x->{med}
                        ? sprintf('%.0f', $x->{cpu}) : '-' } @cols)
                . ' | ' . join('; ', @notes) . " |\n";
        }
    }

    my @sp = grep { $_ == 64 || $_ == 1000 } @pts;
    if (@sp && grep { my $w = $_->{id};
                      grep { $SYS{"$w\@$_"} } @sp } @SWEEP_SHOWN) {
        $md .= "\nSweep: syscalls per request (perf stat, all the "
            . "server's processes; breakdown below), "
            . join('/', @cols) . ":\n\n| scenario | "
            . join(' | ', map { "$_ conns" } @sp) . " |\n|"
            . join('|', ('---') x (1 + @sp)) . "|\n";
        for my $w (@SWEEP_SHOWN) {
            $md .= "| $w->{title} | " . join(' | ', map {
                my $c = $SYS{"$w->{id}\@$_"};
                $c ? join(' / ', map { $c->{$_}
                    ? sprintf('%.2f', $c->{$_}{total}) : '-' } @cols)
                   : '-' } @sp) . " |\n";
        }
    }

    $PLOT = plot_sweep(\@SWEEP_SHOWN, \@pts);
    $md .= $PLOT
        ? "\n![req/s against client connections](sweep.png)\n\n"
          . "(sweep.png here; for bench/RESULTS.md: cp $O{out}/sweep.png "
          . "bench/sweep.png)\n"
        : "\nNo plot: gnuplot is not installed (bench/run.sh installs "
          . "gnuplot-nox).\n";
}

# sweep.dat (one block per sweep scenario: connections, req/s of weir,
# nginx, haproxy, weir/best peer; '-' for none), sweep.gp, and sweep.png:
# a panel per sweep scenario with the three servers' req/s against
# connections (log x), and one with every scenario's ratio.
sub plot_sweep {
    my ($sweeps, $pts) = @_;
    my @srv = qw(weir nginx haproxy);
    my %label = (weir => 'weir', nginx => 'nginx', haproxy => 'HAProxy');
    my $dat = "$O{out}/sweep.dat";
    my $d = '';
    for my $w (@$sweeps) {
        $d .= "# $w->{id}: connections " . join(' ', @srv)
            . " weir/best\n";
        for my $n (@$pts) {
            my $row = $ROW{"$w->{id}\@$n"} or next;
            my $v = $VERDICT{ $row->{s}{id} };
            $d .= join("\t", $n, map({ my $x = $row->{$_};
                $x && defined $x->{med} ? sprintf('%.0f', $x->{med})
                                        : '-' } @srv),
                $v ? sprintf('%.3f', $v->{ratio}) : '-') . "\n";
        }
        $d .= "\n\n";
    }
    spew($dat, $d);
    return undef unless have('gnuplot');
    my $png = "$O{out}/sweep.png";
    my $panels = @$sweeps + 1;
    my $ncol = min(3, $panels);
    my $nrow = int(($panels + $ncol - 1) / $ncol);
    my ($lo, $hi) = (min(@$pts) / 1.6, max(@$pts) * 1.6);
    my $gp = "set terminal pngcairo size " . (520 * $ncol) . ","
        . (400 * $nrow) . " font ',10'\n"
        . "set output '$png'\n"
        . "set datafile missing '-'\n"
        . "set logscale x\nset xrange [$lo:$hi]\n"
        . 'set xtics (' . join(', ', map { "'$_' $_" } @$pts) . ")\n"
        . "set grid\nset key top left\nset xlabel 'client connections'\n"
        . "set format y '%.0f'\n"
        . sprintf("set multiplot layout %d,%d title 'weir, nginx and "
            . "HAProxy, %s, weir %s: requests per second by client "
            . "connections (medians of %d round%s)'\n", $nrow, $ncol,
            strftime('%Y-%m-%d', localtime), $commit =~ s/ .*//r,
            $O{sweep_rounds}, $O{sweep_rounds} == 1 ? '' : 's');
    my @style = ("lw 2 pt 7 lc rgb '#d62728'", "lw 2 pt 5 lc rgb '#2ca02c'",
                 "lw 2 pt 9 lc rgb '#1f77b4'");
    my @ratio_colour = ('#d62728', '#ff7f0e', '#9467bd', '#8c564b',
                        '#17becf');
    for my $i (0 .. $#$sweeps) {
        my $w = $sweeps->[$i];
        (my $t = $w->{title}) =~ s/'/''/g;
        $gp .= "set title '$t'\nset ylabel 'req/s'\nset yrange [0:*]\n"
            . 'plot ' . join(', ', map {
                "'$dat' index $i using 1:" . ($_ + 2)
                . " with linespoints $style[$_] title '$label{$srv[$_]}'"
                } 0 .. $#srv) . "\n";
    }
    $gp .= "set title 'weir / best peer'\nset ylabel 'ratio'\n"
        . "set yrange [0:*]\nset format y '%.2f'\nset key bottom left\n"
        . 'plot ' . join(', ', map {
            (my $t = $sweeps->[$_]{id}) =~ s/^sweep_//;
            $t =~ s/_/ /g;
            "'$dat' index $_ using 1:5 with linespoints lw 2 pt "
            . (4 + $_) . " lc rgb '" . $ratio_colour[$_ % @ratio_colour]
            . "' title '$t'"
            } 0 .. $#$sweeps)
        . ", 1 with lines dt 2 lc rgb 'black' notitle\n"
        . "unset multiplot\n";
    spew("$O{out}/sweep.gp", $gp);
    unlink $png;
    my ($rc, $out) = run_capture('gnuplot', "$O{out}/sweep.gp");
    if ($rc || !-s $png) {
        log_msg("gnuplot failed: $out");
        return undef;
    }
    log_msg("plot: $png");
    return $png;
}

if (%SYS) {
    $md .= "\nSyscalls per proxied request (perf stat on all the server's "
        . "processes, UDP: per request/reply pair):\n\n";
    $md .= "| scenario | server | total | breakdown |\n|---|---|---|---|\n";
    for my $s (@SCENARIOS) {
        for my $srv (@cols) {
            my $c = $SYS{ $s->{id} }{$srv} or next;
            my @k = sort { $c->{$b} <=> $c->{$a} }
                grep { $_ ne 'total' && $c->{$_} >= 0.01 } keys %$c;
            $md .= sprintf("| %s | %s | %.2f | %s |\n", $s->{id}, $srv,
                $c->{total}, join(', ', map { sprintf('%s %.2f', $_,
                                                      $c->{$_}) } @k));
        }
    }
}

if (%PROFILE) {
    $md .= "\nWhere weir's worker spends its time where a target is not met "
        . "(perf record -g, self time, dso/symbol):\n";
    for my $id (sort keys %PROFILE) {
        $md .= "\n$id:\n```\n$PROFILE{$id}\n```\n";
    }
}
if (%SKIP) {
    $md .= "\nNot measured for weir:\n";
    $md .= "- $_: $SKIP{$_}\n" for sort keys %SKIP;
}

spew("$O{out}/results.md", $md);
spew("$O{out}/raw.tsv", join('', map { join("\t", @$_) . "\n" }
    ['round', 'scenario', 'server', 'value', 'server_cpu_pct',
     'client_cpu_pct', 'note', 'error'],
    @RAW));
# one line per scenario and server for machines (t/bench_smoke.t)
my $tsv = "scenario\tserver\tmedian\truns\terrors\n";
for my $row (@TABLE) {
    for my $srv (scenario_servers($row->{s})) {
        my $x = $row->{$srv};
        $tsv .= join("\t", $row->{s}{id}, $srv, $x->{med} // '', $x->{n},
                     scalar @{ $x->{errs} }) . "\n";
    }
}
for my $id (sort keys %SYS) {
    for my $srv (sort keys %{ $SYS{$id} }) {
        $tsv .= join("\t", "syscalls:$id", $srv, $SYS{$id}{$srv}{total}, 1,
                     0) . "\n";
    }
}
$tsv .= "skipped:$_\tweir\t\t0\t0\n" for sort keys %SKIP;
spew("$O{out}/results.tsv", $tsv);

print "\n$md\nResults in $O{out}/results.md (raw runs: raw.tsv).\n";
stop_server($_) for map { values %$_ } values %INST;
exit 0;
