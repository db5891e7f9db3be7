# weir: network namespaces for the tests of several machines (t/ha_*.t):
# a bridge in a namespace of its own, namespaces plugged into it by veth
# pairs, and commands run inside them. Everything made here is removed at
# exit (END, and on INT/TERM), whatever happened: first every process
# still in a namespace (weir, keepalived, the servers), then the
# namespaces, which takes their veths and the bridge with them.
package WeirNetns;

use strict;
use warnings;

use Exporter 'import';
use POSIX ();
use Test::More;

our @EXPORT_OK = qw(netns_or_skip);

my @made;           # namespaces to remove
my $owner = $$;

# Skip the whole test unless this is root on a kernel that gives network
# namespaces; $what names the test's needs for the skip message.
sub netns_or_skip {
    plan skip_all => 'needs root for network namespaces' if $> != 0;
    my $probe = "weirprobe$$";
    my $out = `ip netns add $probe 2>&1`;
    plan skip_all => "network namespaces cannot be created here: $out"
        if $? != 0;
    system("ip netns del $probe 2>/dev/null");
}

# A set of namespaces named PREFIX$$_NAME, the bridge in PREFIX$$_br.
sub new {
    my ($class, $prefix) = @_;
    my $self = bless { prefix => "$prefix$$", links => 0 }, $class;
    $self->add('br');
    $self->must("bridge", "ip -n " . $self->ns('br')
                . " link add br0 type bridge");
    $self->must("bridge up", "ip -n " . $self->ns('br')
                . " link set br0 up");
    return $self;
}

sub ns { "$_[0]{prefix}_$_[1]" }

sub sh {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    return ($? == 0, $out);
}

# Run $cmd; stop the test (BAIL_OUT, the END block cleans up) when it
# fails: the topology is not there, nothing after it means anything.
sub must {
    my ($self, $what, $cmd) = @_;
    my ($ok, $out) = sh($cmd);
    BAIL_OUT("$what: $cmd: $out") unless $ok;
    return $out;
}

# ($ok, $output) of $cmd run inside namespace $name
sub in_ns {
    my ($self, $name, $cmd) = @_;
    return sh("ip netns exec " . $self->ns($name) . " $cmd");
}

sub add {
    my ($self, $name) = @_;
    $self->must("netns $name", "ip netns add " . $self->ns($name));
    push @made, $self->ns($name);
    $self->must("lo $name", "ip -n " . $self->ns($name) . " link set lo up");
}

# A new namespace $name with eth0 on the bridge, addresses @cidrs.
sub host {
    my ($self, $name, @cidrs) = @_;
    $self->add($name);
    $self->plug($name, 'eth0', @cidrs);
}

# One more interface $ifname of $name on the bridge (a veth pair whose
# other end is a port of br0), with @cidrs; its MAC is returned.
sub plug {
    my ($self, $name, $ifname, @cidrs) = @_;
    my $n = $self->{links}++;
    my ($ns, $br) = ($self->ns($name), $self->ns('br'));
    $self->must("veth $name", "ip link add wv$$" . "_$n netns $ns type veth"
                . " peer name wp$n netns $br");
    $self->must("port $name", "ip -n $br link set wp$n master br0 up");
    $self->must("$ifname $name", "ip -n $ns link set wv$$" . "_$n"
                . " name $ifname");
    for my $c (@cidrs) {
        $self->must("addr $name", "ip -n $ns addr add $c dev $ifname");
    }
    $self->must("up $name", "ip -n $ns link set $ifname up");
    # no duplicate address detection, no router solicitations: quiet
    $self->in_ns($name, "sysctl -q -w net.ipv6.conf.$ifname.disable_ipv6=1");
    my $out = $self->must("mac $name", "ip -n $ns -o link show $ifname");
    return $out =~ m{link/ether (\S+)} ? $1 : undef;
}

# Start @cmd in namespace $name in the background, output to $log.
# Returns its pid (ip netns exec execs the command: it is that pid).
sub spawn {
    my ($self, $name, $log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>>', $log);
        open(STDERR, '>>', $log);
        exec('ip', 'netns', 'exec', $self->ns($name), @cmd)
            or POSIX::_exit(127);
    }
    return $pid;
}

# The pids of the processes in namespace $name whose cmdline matches $re.
sub pids {
    my ($self, $name, $re) = @_;
    my @p;
    for my $pid (split ' ', `ip netns pids @{[ $self->ns($name) ]} 2>/dev/null`) {
        open(my $fh, '<', "/proc/$pid/cmdline") or next;
        my $cmd = do { local $/; <$fh> } // '';
        close $fh;
        push @p, $pid if !defined $re || $cmd =~ $re;
    }
    return @p;
}

sub cleanup {
    return unless $$ == $owner;
    for my $n (@made) {
        for my $pid (split ' ', `ip netns pids $n 2>/dev/null`) {
            kill 'KILL', $pid;
        }
    }
    # reap what we started (the kill above may hit our own children)
    1 while waitpid(-1, POSIX::WNOHANG()) > 0;
    for my $n (reverse @made) {
        system("ip netns del $n 2>/dev/null");
    }
    @made = ();
}

END { cleanup() }
$SIG{INT} = $SIG{TERM} = $SIG{HUP} = $SIG{PIPE} = sub { cleanup(); exit 1 };

1;
