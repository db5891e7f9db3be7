#!/usr/bin/perl
# weir: with no `user:` and the master running as root, every child (the
# workers, the health checker, the admin process) runs as the default
# user: "weir" when that user exists, else nobody with group nogroup (as
# nginx); the master stays root. What the children cannot do themselves
# the master does for them (File::Temp's directory is root's, mode 0700:
# a child cannot even look inside):
#   - the error log and the access log are opened by the master and
#     inherited; on SIGUSR1 after a rename the master makes the new files
#     (root's, 0640) and hands them down, and the children write there;
#   - a change made through the admin API is written to the
#     configuration file by the master (root's file, root's directory).
# `user: root` keeps the children root, and the log says so.
use strict;
use warnings;
use lib 't/lib';
use IO::Socket::INET;
use Test::More;
use Weir qw(free_port wait_for);
use WeirAdmin qw(admin_weir admin_client);
use WeirHTTP qw(start_http_backend http_connect http_request);

plan skip_all => 'the default user applies when the master is root'
    unless $> == 0;

my ($want_uid, $want_gid, $want_name);
if (my @pw = getpwnam('weir')) {
    ($want_name, $want_uid, $want_gid) = ('weir', $pw[2], $pw[3]);
} else {
    my @nobody = getpwnam('nobody') or plan skip_all => 'no user nobody';
    my $nogroup = getgrnam('nogroup');
    ($want_name, $want_uid, $want_gid) =
        ('nobody', $nobody[2], defined $nogroup ? $nogroup : $nobody[3]);
}

# real, effective, saved and file-system ids of a process
sub ids {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/status") or return;
    my %st = map { /^(\w+):\s*(.*)$/ ? ($1, $2) : () } <$fh>;
    return ([split ' ', $st{Uid} // ''], [split ' ', $st{Gid} // '']);
}

sub slurp {
    my ($f) = @_;
    open(my $fh, '<', $f) or return '';
    local $/;
    return <$fh> // '';
}

sub get {
    my ($port, $path) = @_;
    my $s = http_connect($port) or return undef;
    my $r = http_request($s, 'GET', $path);
    close $s;
    return $r;
}

my $TOKEN = 'user-default-token';
my ($w, $dir, $ap, $admin) = admin_weir($TOKEN);
is((stat $dir)[2] & 0777, 0700, "the test's directory is root's alone");

my $t = start_http_backend(name => 'U', log => "$dir/u.log");
my $port = free_port();

$w->write_config(<<"EOF");
worker_processes: 2
access_log: logs/access.log
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
          - { name: u-1, address: 127.0.0.1, protocol_port: $t->{port} }
EOF

ok($w->start($port, $ap), 'weir started') or BAIL_OUT($w->log_text);

# 2 workers, the checker, the admin process
ok(wait_for(sub { $w->children == 4 }, 10), 'four children')
    or diag(join ' ', $w->children);

my ($mu, $mg) = ids($w->pid);
is_deeply($mu, [0, 0, 0, 0], 'the master stays root');

for my $kid ($w->children) {
    my ($u, $g) = ids($kid);
    my $title = slurp("/proc/$kid/cmdline") =~ s/\0.*//sr;
    is_deeply($u, [($want_uid) x 4], "$title runs as $want_name (uid)");
    is_deeply($g, [($want_gid) x 4], "$title: gid $want_gid");
}

like($w->log_text,
     qr/run as "\Q$want_name\E" \(uid $want_uid, gid $want_gid\): no "user"/,
     'the master says which user the children run as');

# --- the access log, written by a worker that cannot open it ---

my $access = "$dir/logs/access.log";
my $r = get($port, '/before-rotation');
is($r && $r->{status}, 200, 'a request through weir');
ok(wait_for(sub { slurp($access) =~ m{GET /before-rotation} }, 10),
   'the worker wrote the access log');
is((stat $access)[4], 0, 'the access log is root\'s (the master made it)');
is((stat $access)[2] & 0777, 0640, 'the access log is 0640');

# --- rotation: rename, USR1 ---

rename $access, "$access.1" or die "rename: $!";
rename $w->error_log, $w->error_log . '.1' or die "rename: $!";
$w->signal('USR1');
ok(wait_for(sub { -e $access && -e $w->error_log }, 10),
   'the master made both files again');
is((stat $access)[4], 0, 'the new access log is root\'s');
is((stat $access)[2] & 0777, 0640, 'the new access log is 0640');
is((stat $w->error_log)[2] & 0777, 0640, 'the new error log is 0640');

my $n = 0;
ok(wait_for(sub {
    get($port, '/after-rotation-' . $n++);
    return slurp($access) =~ m{GET /after-rotation-};
}, 10), 'a worker writes to the new access log');

# by now (a flush is a second) both workers took the new file: of many
# requests spread over both by SO_REUSEPORT none goes to the old one
get($port, "/late-$_") for 1 .. 20;
ok(wait_for(sub { (() = slurp($access) =~ m{GET /late-}g) == 20 }, 10),
   'all later requests are in the new access log');
unlike(slurp("$access.1"), qr{after-rotation|late-},
       'nothing new in the renamed one');

# --- the admin process: its log lines and the configuration file ---

my $api = admin_client($ap, $TOKEN);
my $L = '/api/v1/load-balancers';
my $tg = $api->('GET', "$L/target-groups")->{json}{target_groups}[0]{id};
my $mport = free_port();
$r = $api->('POST', "$L/target-groups/$tg/members", { member => {
    name => 'u-2', address => '127.0.0.1', protocol_port => 0 + $mport } });
is($r && $r->{status}, 201, 'a change through the admin API: 201')
    or diag($r ? $r->{body} : 'no answer');
like(slurp("$dir/weir.yaml"), qr/u-2/, 'the master wrote it to the file');
is((stat "$dir/weir.yaml")[4], 0, 'the file is still root\'s');
my ($adm) = $w->children(qr/admin process/);
ok(wait_for(sub { $w->log_text =~ /\b$adm#admin: admin: POST member: written/ },
            10), 'the admin process logs to the new error log')
    or diag($w->log_text);
unlike(slurp($w->error_log . '.1'), qr/POST member/,
       'and not to the renamed one');
ok(wait_for(sub {
    my $j = $api->('GET', "$L/target-groups/$tg/members")->{json};
    return $j && grep { $_->{name} eq 'u-2' } @{ $j->{members} };
}, 10), 'the change is served');

# --- a first PING check: its ICMP socket needs root ---
# An unprivileged checker cannot open a raw ICMP socket: a change that
# adds PING checks takes a new checker, which opens it before it drops.

my ($checker) = $w->children(qr/health checker/);
$r = $api->('POST', "$L/health-monitors", { health_monitor => {
    target_group_id => $tg, type => 'PING', delay => 2, timeout => 1 } });
is($r && $r->{status}, 201, 'a PING monitor through the admin API: 201')
    or diag($r ? $r->{body} : 'no answer');
# the old checker goes (TERM), a new one starts and checks both members
my $checker2;
ok(wait_for(sub {
    my @c = $w->children(qr/health checker/);
    $checker2 = $c[0] if @c == 1 && $c[0] != $checker;
    return defined $checker2;
}, 15), 'a new checker replaces the old one') or diag($w->log_text);
ok($checker2 && $w->wait_log(qr/\b$checker2#health checker: checking 2 targets of 1 target group/, 10),
   'it checks both members') or diag($w->log_text);
ok(wait_for(sub {
    my $ms = $api->('GET', "$L/target-groups/$tg/members")->{json}{members}
        // [];
    return 2 == grep { $_->{operating_status} eq 'ONLINE' } @$ms;
}, 15), 'both members answer their PING (ONLINE)');
my ($u2) = ids($checker2);
is($u2->[1], $want_uid, "which runs as $want_name too");
unlike($w->log_text, qr/PING checks of the new generation cannot open/,
       'no PING check without its socket');

$w->stop;

# --- user: root, said so ---

my ($w2, $dir2, $ap2, $admin2) = admin_weir($TOKEN);
my $port2 = free_port();
$w2->write_config(<<"EOF");
worker_processes: 1
user: root
$admin2
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - { name: http-in, protocol: HTTP, protocol_port: $port2, target_group: pool }
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { name: u-1, address: 127.0.0.1, protocol_port: $t->{port} }
EOF
ok($w2->start($port2, $ap2), 'weir with user: root started')
    or BAIL_OUT($w2->log_text);
ok(wait_for(sub { $w2->children == 3 }, 10), 'three children');
for my $kid ($w2->children) {
    my ($u) = ids($kid);
    is($u->[1], 0, "child $kid runs as root");
}
like($w2->log_text, qr/\[notice\].*run as root \("user: root"\)/,
     'the log says the children run as root');
$w2->stop;

done_testing();
