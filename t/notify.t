#!/usr/bin/perl
# weir: the master speaks the sd_notify protocol to $NOTIFY_SOCKET as a
# Type=notify unit wants (lb_notify.c): READY=1 once its workers run,
# RELOADING=1 with MONOTONIC_USEC then READY=1 on SIGHUP (and READY=1
# when the reload is refused), STOPPING=1 on TERM; STATUS= lines along.
# The socket is a datagram socket the test binds: a path, then an
# abstract name (@...). The children do not inherit the variable.
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);
use Test::More;
use Weir qw(free_port wait_for tcp_exchange start_backend);

my $echo = start_backend(name => 'E', mode => 'echo');

sub config {
    my ($port) = @_;
    return <<"EOF";
worker_processes: 2
load_balancers:
  - name: notify-lb
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
          - { name: e1, address: 127.0.0.1, protocol_port: $echo->{port} }
EOF
}

# the next datagram, or undef after $timeout seconds
sub next_message {
    my ($sock, $timeout) = @_;
    my $sel = IO::Select->new($sock);
    return undef unless $sel->can_read($timeout // 10);
    my $buf;
    return defined(recv($sock, $buf, 4096, 0)) ? $buf : undef;
}

sub notify_socket {
    my ($addr) = @_;
    socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    # an abstract name: the leading NUL that systemd's "@" stands for
    (my $bound = $addr) =~ s/^@/\0/;
    bind($s, pack_sockaddr_un($bound)) or die "bind $addr: $!";
    return $s;
}

my $ready = qr/\AREADY=1\nSTATUS=2 workers, configuration generation \d+\n\z/;

sub run {
    my ($how, $addr_of) = @_;
    my $w = Weir->new;
    my $port = free_port();
    my $addr = $addr_of->($w->dir);
    my $sock = notify_socket($addr);

    $w->write_config(config($port));
    {
        local $ENV{NOTIFY_SOCKET} = $addr;
        ok($w->start($port), "$how: weir started");
    }

    like(next_message($sock) // '', $ready, "$how: READY=1 with a STATUS");
    is(tcp_exchange($port, "ping\n"), "ping\n", "$how: serving once ready");

    # children do not get the variable: only the master speaks
    ok(wait_for(sub { scalar($w->workers) == 2 }), "$how: workers running");
    my $leaked = 0;
    for my $k ($w->children) {
        open(my $e, '<', "/proc/$k/environ") or next;
        $leaked++ if do { local $/; <$e> } =~ /(?:^|\0)NOTIFY_SOCKET=/;
    }
    is($leaked, 0, "$how: no child has NOTIFY_SOCKET");

    # a reload: RELOADING=1 (with the monotonic time), then READY=1
    open(my $up, '<', '/proc/uptime') or die "/proc/uptime: $!";
    my ($uptime) = split ' ', scalar <$up>;
    close $up;
    $w->signal('HUP');
    my $m = next_message($sock) // '';
    like($m, qr/\ARELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading "[^"\n]+weir\.yaml"\n\z/,
         "$how: RELOADING=1 on HUP");
    my ($usec) = $m =~ /MONOTONIC_USEC=(\d+)/;
    # CLOCK_MONOTONIC and /proc/uptime (CLOCK_BOOTTIME) differ only by
    # the time the machine was suspended
    ok(defined $usec && abs($usec / 1e6 - $uptime) < 60,
       "$how: MONOTONIC_USEC is the monotonic clock");
    like(next_message($sock) // '', $ready, "$how: READY=1 after the reload");
    ok($w->wait_log(qr/configuration generation \d+ is running/),
       "$how: the new generation runs");

    # a refused file: RELOADING=1, then READY=1 saying the old one runs
    $w->write_config("load_balancers: 7\n");
    $w->signal('HUP');
    like(next_message($sock) // '', qr/\ARELOADING=1\n/,
         "$how: RELOADING=1 on a bad reload");
    like(next_message($sock) // '',
         qr/\AREADY=1\nSTATUS=reload failed \(the error log says why\): still running configuration generation \d+\n\z/,
         "$how: READY=1 and the failure in STATUS");
    is(tcp_exchange($port, "still\n"), "still\n", "$how: still serving");

    $w->signal('TERM');
    like(next_message($sock) // '', qr/\ASTOPPING=1\nSTATUS=exiting \(fast\)\n\z/,
         "$how: STOPPING=1 on TERM");
    ok(wait_for(sub { $w->exited }, 10), "$how: master exited");
    is(next_message($sock, 0.2), undef, "$how: nothing after STOPPING");
}

run('path', sub { "$_[0]/notify.sock" });
run('abstract', sub { "\@weir-test-notify-$$-" . int(rand(1e9)) });

# a value that is no socket address: weir says so and does not start
{
    my $w = Weir->new;
    my $port = free_port();
    $w->write_config(config($port));
    local $ENV{NOTIFY_SOCKET} = 'relative/notify.sock';
    system(Weir::binary(), '-f', '-p', $w->dir, '-c', $w->dir . '/weir.yaml');
    isnt($? >> 8, 0, 'a relative NOTIFY_SOCKET: weir exits with an error');
    like($w->log_text,
         qr/NOTIFY_SOCKET "relative\/notify\.sock": not an absolute socket path/,
         'and logs why');
}

done_testing();
