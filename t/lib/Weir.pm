# weir: integration test harness. Starts weir with a config in a temp dir,
# loopback backends on free ports, and waits for conditions with deadlines
# (never a bare sleep). Core Perl modules only.
package Weir;

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);

our @EXPORT_OK = qw(free_port wait_for tcp_exchange start_backend
                    spawn_server stop_server start_program binary
                    read_file write_file);

my @servers;        # pids of spawn_server() children still running
my $owner = $$;     # forked children must not run our END or DESTROY

sub binary { $ENV{WEIR_BINARY} // 'objs/weir' }

# A TCP port on 127.0.0.1 nobody listens on right now; with udp => 1 one
# that is free for both.
sub free_port {
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Proto => 'tcp', Listen => 1) or next;
        my $port = $s->sockport;
        close $s;
        my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $port, Proto => 'udp');
        next unless $u;
        close $u;
        return $port;
    }
    die "no free port\n";
}

# Poll $cond every 20 ms until it returns true or $timeout seconds pass.
# Returns the condition's last value.
sub wait_for {
    my ($cond, $timeout) = @_;
    $timeout //= 10;
    my $deadline = time + $timeout;
    my $v;
    while (1) {
        $v = $cond->();
        return $v if $v;
        return $v if time > $deadline;
        sleep 0.02;
    }
}

# Connect to 127.0.0.1:$port, send $data, half-close, read everything.
# Returns the reply, or undef on any failure.
sub tcp_exchange {
    my ($port, $data, $timeout) = @_;
    $timeout //= 5;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => $timeout)
        or return undef;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, 65536, $off);
        return undef unless defined $n;
        $off += $n;
    }
    shutdown($s, 1);
    my $sel = IO::Select->new($s);
    my $reply = '';
    while (1) {
        return undef unless $sel->can_read($timeout);
        my $n = sysread($s, my $buf, 65536);
        return undef unless defined $n;
        last if $n == 0;
        $reply .= $buf;
    }
    close $s;
    return $reply;
}

# Every server a test needs, in a child process: bind a socket, fork, and
# run $o{serve}->($socket, $port) in the child until SIGTERM (or until it
# returns). The socket is made before the fork, so the server accepts as
# soon as this returns. Options:
#   serve   the child's code (required)
#   host    address to bind (default 127.0.0.1; '::1' works too)
#   port    (default: one the kernel picks)
#   proto   'tcp' (default, listening with a backlog of `listen`, 1024
#           by default) or 'udp'
#   what    names the server in the error when the bind fails
# Returns { pid, port }. Stop it with stop_server(); those still running
# when the test ends are stopped then.
sub spawn_server {
    my (%o) = @_;
    my $host = $o{host} // '127.0.0.1';
    my $proto = $o{proto} // 'tcp';
    my $what = $o{what} // 'server';
    my $sock = IO::Socket::IP->new(LocalHost => $host,
        LocalPort => $o{port} // 0, Proto => $proto, ReuseAddr => 1,
        $proto eq 'tcp' ? (Listen => $o{listen} // 1024) : ())
        or die "$what listen $host:" . ($o{port} // 0) . ": $@\n";
    my $port = $sock->sockport;
    my $pid = fork // die "fork: $!\n";
    if ($pid) {
        close $sock;
        push @servers, $pid;
        return { pid => $pid, port => $port };
    }
    $SIG{TERM} = sub { POSIX::_exit(0) };
    $o{serve}->($sock, $port);
    POSIX::_exit(0);
}

# A program that listens on a TCP port of 127.0.0.1 it binds itself:
# $o{cmd}->($port) gives its command line for a free port, its stdout goes
# to "$o{log}.out", its stderr to $o{log}. The port is free when chosen
# but not held: a program that exits before it accepts (the port taken
# meanwhile) is started again on another, three times at most. Returns
# { pid, port } once it accepts (stopped as spawn_server()'s are), or
# undef.
sub start_program {
    my (%o) = @_;
    for (1 .. 3) {
        my $port = free_port();
        my $pid = fork // die "fork: $!\n";
        if ($pid == 0) {
            open(STDOUT, '>', "$o{log}.out") or POSIX::_exit(127);
            open(STDERR, '>', $o{log}) or POSIX::_exit(127);
            exec($o{cmd}->($port)) or POSIX::_exit(127);
        }
        my $up = wait_for(sub {
            return -1 if waitpid($pid, WNOHANG) == $pid;
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $port, Proto => 'tcp');
            return $s ? 1 : 0;
        }, $o{timeout} // 20);
        if ($up && $up > 0) {
            push @servers, $pid;
            return { pid => $pid, port => $port };
        }
        kill 'TERM', $pid;
        waitpid($pid, 0);
    }
    return undef;
}

# Stop a server of spawn_server() (anything with its pid) and reap it.
sub stop_server {
    my ($s) = @_;
    kill 'TERM', $s->{pid};
    waitpid($s->{pid}, 0);
    @servers = grep { $_ != $s->{pid} } @servers;
}

# A loopback TCP backend in a child process, one select loop, no fork per
# connection. mode 'echo': bytes back as they come; 'tag': every line L is
# answered "NAME L"; 'refuse': not started (the port stays closed).
# Each accepted connection is logged as a line in $log (if given).
sub start_backend {
    my (%o) = @_;
    my $mode = $o{mode} // 'echo';
    my $s = spawn_server(port => $o{port}, what => 'backend', serve => sub {
        my ($srv, $port) = @_;
        echo_serve($srv, $o{name} // "b$port", $mode, $o{log});
    });
    return { %$s, name => $o{name} // "b$s->{port}" };
}

# the loop of start_backend()
sub echo_serve {
    my ($srv, $name, $mode, $log) = @_;
    my $logfh;
    if ($log) {
        open($logfh, '>>', $log) or die "$log: $!";
        $logfh->autoflush(1);
    }
    $srv->blocking(0);
    my $sel = IO::Select->new($srv);
    my (%in, %out, %eof);
    while (1) {
        my @w = grep { length($out{$_} // '') } $sel->handles;
        my ($r, $wr) = IO::Select->select($sel, IO::Select->new(@w), undef, 1);
        for my $fh (@{ $r // [] }) {
            if ($fh == $srv) {
                while (my $c = $srv->accept) {
                    $c->blocking(0);
                    $sel->add($c);
                    $out{$c} = '';
                    $in{$c} = '';
                    print $logfh "accept\n" if $logfh;
                }
                next;
            }
            my $n = sysread($fh, my $buf, 65536);
            if (!defined $n) { next if $!{EAGAIN}; $n = 0; }
            if ($n == 0) {
                $eof{$fh} = 1;
            } elsif ($mode eq 'tag') {
                $in{$fh} .= $buf;
                while ($in{$fh} =~ s/^([^\n]*\n)//) { $out{$fh} .= "$name $1"; }
            } else {
                $out{$fh} .= $buf;
            }
        }
        for my $fh ($sel->handles) {
            next if $fh == $srv;
            if (length $out{$fh}) {
                my $n = syswrite($fh, $out{$fh});
                substr($out{$fh}, 0, $n) = '' if $n;
            }
            if ($eof{$fh} && !length $out{$fh}) {
                $sel->remove($fh);
                delete @{$_}{$fh} for \%in, \%out, \%eof;
                close $fh;
            }
        }
    }
}

sub new {
    my ($class, %o) = @_;
    my $dir = tempdir('weir-t-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{WEIR_KEEP});
    mkdir "$dir/logs";
    return bless { dir => $dir, %o }, $class;
}

sub dir { $_[0]{dir} }
sub pid_file { "$_[0]{dir}/logs/weir.pid" }
sub error_log { "$_[0]{dir}/logs/error.log" }

# Write the config. Top-level settings that tests need (foreground, logs in
# the temp dir) are prepended unless the text sets them itself.
sub write_config {
    my ($self, $yaml, $file) = @_;
    $file //= 'weir.yaml';
    my $head = '';
    $head .= "daemon: false\n" unless $yaml =~ /^daemon:/m;
    $head .= "error_log: logs/error.log\n" unless $yaml =~ /^error_log:/m;
    $head .= "pid_file: logs/weir.pid\n" unless $yaml =~ /^pid_file:/m;
    $head .= "log_level: info\n" unless $yaml =~ /^log_level:/m;
    open(my $fh, '>', "$self->{dir}/$file.tmp") or die $!;
    print $fh $head, $yaml;
    close $fh;
    rename "$self->{dir}/$file.tmp", "$self->{dir}/$file" or die $!;
    return "$self->{dir}/$file";
}

# Start weir in the foreground (-f) as a child; wait for the pid file and
# for every port in @wait_ports to accept. Returns true when up.
sub start {
    my ($self, @wait_ports) = @_;
    unlink $self->pid_file;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open(STDOUT, '>>', "$self->{dir}/stderr.log");
        open(STDERR, '>>', "$self->{dir}/stderr.log");
        my @cmd = (binary(), '-f', '-p', $self->{dir}, '-c',
                   "$self->{dir}/weir.yaml");
        # Weir->new(nofile => N): both descriptor limits lowered to N
        unshift @cmd, 'sh', '-c', "ulimit -n $self->{nofile} && exec \"\$@\"",
            'sh' if $self->{nofile};
        exec(@cmd) or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    my $ok = wait_for(sub {
        return 0 unless -s $self->pid_file;
        for my $p (@wait_ports) {
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $p, Proto => 'tcp')
                or return 0;
            close $s;
        }
        return 1;
    }, 10);
    return $ok;
}

sub pid { $_[0]{pid} }

# Pids of the master's live children, optionally only those whose title
# matches (e.g. qr/worker process/).
sub children {
    my ($self, $title) = @_;
    my @kids;
    opendir(my $d, '/proc') or return ();
    for my $p (grep { /^\d+$/ } readdir $d) {
        open(my $fh, '<', "/proc/$p/stat") or next;
        my $stat = <$fh>;
        close $fh;
        next unless $stat && $stat =~ /^\d+ \(.*\) (\S) (\d+)/;
        next if $1 eq 'Z' || $2 != $self->{pid};
        if ($title) {
            open(my $c, '<', "/proc/$p/cmdline") or next;
            my $cmd = do { local $/; <$c> } // '';
            next unless $cmd =~ $title;
        }
        push @kids, $p;
    }
    my @sorted = sort { $a <=> $b } @kids;
    return @sorted;     # a count in scalar context
}

sub workers { $_[0]->children(qr/worker process/) }

sub log_text {
    my ($self) = @_;
    open(my $fh, '<', $self->error_log) or return '';
    local $/;
    return <$fh> // '';
}

# Wait until the error log matches $re; returns true when it did.
sub wait_log {
    my ($self, $re, $timeout) = @_;
    return wait_for(sub { $self->log_text =~ $re }, $timeout);
}

sub signal { my ($self, $sig) = @_; kill $sig, $self->{pid}; }

# Has the master exited? Reaps it.
sub exited {
    my ($self) = @_;
    return 1 unless $self->{pid};
    my $r = waitpid($self->{pid}, WNOHANG);
    if ($r == $self->{pid} || $r == -1) {
        $self->{status} = $?;
        delete $self->{pid};
        return 1;
    }
    return 0;
}

sub stop {
    my ($self, $sig) = @_;
    return unless $self->{pid};
    kill $sig // 'TERM', $self->{pid};
    wait_for(sub { $self->exited }, 10);
    if ($self->{pid}) {
        kill 'KILL', $self->{pid};
        waitpid($self->{pid}, 0);
        delete $self->{pid};
    }
}

sub DESTROY {
    my ($self) = @_;
    return unless $$ == $owner;
    $self->stop if $self->{pid};
}

END {
    local $?;    # the test's exit status, not the servers'
    return unless $$ == $owner;
    for my $pid (@servers) { kill 'TERM', $pid; waitpid($pid, 0); }
}


# The whole file as bytes; '' when it cannot be read.
sub read_file {
    my ($path) = @_;
    open(my $fh, '<', $path) or return '';
    binmode $fh;
    local $/;
    return <$fh> // '';
}

# The bytes into path (dies when it cannot), then its mode when given.
sub write_file {
    my ($path, $data, $mode) = @_;
    open(my $fh, '>', $path) or die "$path: $!\n";
    binmode $fh;
    print $fh $data;
    close($fh) or die "$path: $!\n";
    chmod $mode, $path if defined $mode;
}

1;
