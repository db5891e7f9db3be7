#!/usr/bin/perl
# weir: `error_log: syslog:...` and `access_log: syslog:...` send RFC 3164
# lines ("<PRI>Mmm dd hh:mm:ss TAG[PID]: message") as datagrams to a unix
# socket, here one the test binds itself (path=...). The master connects
# (as root, before the children drop their privileges); the children use
# the socket they inherit. On SIGUSR1 the master connects again and hands
# the new socket down: a syslog daemon that was restarted (its socket made
# anew at the same path) gets the lines again.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use Test::More;
use Weir qw(free_port wait_for);
use WeirAdmin qw(admin_weir admin_client);
use WeirHTTP qw(start_http_backend http_connect http_request);

my $TOKEN = 'syslog-token';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);
my $elog = "$dir/error.sock";
my $alog = "$dir/access.sock";

sub bind_dgram {
    my ($path) = @_;
    unlink $path;
    return IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path)
        || die "bind $path: $!";
}

my $es = bind_dgram($elog);
my $as = bind_dgram($alog);

# the datagrams that came on $sock, read until one matches $re (or $secs
# pass): that one, or undef
my %got;
sub wait_line {
    my ($sock, $re, $secs) = @_;
    my $lines = $got{"$sock"} //= [];
    my $sel = IO::Select->new($sock);
    my $found;
    wait_for(sub {
        while ($sel->can_read(0.1)) {
            my $buf;
            defined $sock->recv($buf, 65536) or last;
            push @$lines, $buf;
        }
        ($found) = grep { $_ =~ $re } @$lines;
        return defined $found;
    }, $secs // 10);
    return $found;
}

my $t = start_http_backend(name => 'S', log => "$dir/s.log");
my $port = free_port();

$w->write_config(<<"CONF");
worker_processes: 1
error_log: "syslog:facility=local0,tag=weir-t,path=$elog"
access_log: "syslog:facility=local1,tag=weir-access,path=$alog"
$admin
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $port, target_group: pool }
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { name: s-1, address: 127.0.0.1, protocol_port: $t->{port} }
CONF

ok($w->start($port, $ap), 'weir started')
    or BAIL_OUT(do { local (@ARGV, $/) = "$dir/stderr.log"; <ARGV> });
my $mpid = $w->pid;
my $STAMP = qr/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d/;

# local0 (16) * 8 + notice (5)
my $l = wait_line($es, qr/started/);
like($l, qr/^<133>$STAMP weir-t\[$mpid\]: \[notice\] \w+: weir \S+ started, 1 workers/,
     "the master's notice, RFC 3164 with facility local0") or diag($l);
unlike($l // "\n", qr/\n/, 'one line per datagram, no newline');

my ($checker) = $w->children(qr/health checker/);
$l = wait_line($es, qr/checking \d+ targets/);
# info (6)
like($l, qr/^<134>$STAMP weir-t\[$checker\]: \[info\] health checker: checking \d+ targets/,
     'a line of the health checker (an unprivileged child) with its pid')
    or diag($l);
ok(!-s "$dir/logs/error.log", 'nothing goes to a file');

# --- the access log ---

my $s = http_connect($port);
my $r = http_request($s, 'GET', '/via-syslog');
is($r && $r->{status}, 200, 'a request through weir');
my ($worker) = $w->workers;
# local1 (17) * 8 + info (6)
$l = wait_line($as, qr{/via-syslog});
like($l, qr{^<142>$STAMP weir-access\[$worker\]: 127\.0\.0\.1:\d+ \[[^\]]+\] http-in "GET /via-syslog HTTP/1\.1" 200 \d+ 127\.0\.0\.1:$t->{port} \d+ \d+ \d+$},
     'the access log line, one datagram, facility local1') or diag($l);

# --- the syslog daemon restarts: its sockets are made anew ---

close $es;
close $as;
$es = bind_dgram($elog);
$as = bind_dgram($alog);
%got = ();
$w->signal('USR1');
ok(wait_line($es, qr/\[notice\] master: reopened logs/),
   'after USR1 the master writes to the new socket');

# the worker took the new socket once a request of it shows there
my $n = 0;
ok(wait_for(sub {
    my $c = http_connect($port) or return 0;
    http_request($c, 'GET', '/after-' . $n++);
    return wait_line($as, qr{/after-\d+}, 0.5);
}, 10), 'the worker sends the access log to the new socket');

my $api = admin_client($ap, $TOKEN);
my $tg = $api->('GET', '/api/v1/load-balancers/target-groups')
    ->{json}{target_groups}[0]{id};
$r = $api->('POST', "/api/v1/load-balancers/target-groups/$tg/members",
            { member => { name => 's-2', address => '127.0.0.1',
                          protocol_port => 0 + free_port() } });
is($r && $r->{status}, 201, 'a change through the admin API');
my ($adm) = $w->children(qr/admin process/);
$l = wait_line($es, qr/POST member: written/);
like($l, qr/^<133>$STAMP weir-t\[$adm\]: \[notice\] admin: admin: POST member: written/,
     'the admin process writes to the new socket too') or diag($l);

$w->stop;
done_testing();
