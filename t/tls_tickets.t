#!/usr/bin/perl
# weir: session tickets across workers, rotations and reloads (issue 13,
# item 13). The master keeps the ticket keys in the shared zone: a TLS 1.2
# and a TLS 1.3 session resume on every attempt whichever of the two
# workers takes the connection (ss(8) says which one did); the keys
# survive a reload (SIGHUP); with tls_ticket_key_rotation a ticket still
# resumes after one rotation (and is replaced by one of the new key) and
# is refused after two (a full handshake).
use strict;
use warnings;
use lib 't/lib';
use IO::Select;
use IPC::Open2;
use Test::More;
use Time::HiRes qw(time);
use Weir qw(free_port wait_for start_backend);
use WeirHealth qw(make_cert);

plan(skip_all => 'ss (iproute2) is needed to see which worker accepted')
    unless `ss -V 2>/dev/null` =~ /iproute/i;

my $w = Weir->new;
my $dir = $w->dir;
my ($cert, $key) = make_cert($dir);
plan(skip_all => 'openssl could not make a test certificate') unless $cert;

my $echo = start_backend(name => 'E', mode => 'echo');
my $port = free_port();

sub config {
    my ($rotation) = @_;
    return "worker_processes: 2\n"
         . ($rotation ? "tls_ticket_key_rotation: $rotation\n" : '')
         . "load_balancers:\n"
         . "  - name: nlb-1\n"
         . "    type: NLB\n"
         . "    address: 127.0.0.1\n"
         . "    listeners:\n"
         . "      - { name: tls, protocol: TLS, protocol_port: $port, "
         . "target_group: echo, tls_certificate: cert.pem, tls_key: key.pem }\n"
         . "    target_groups:\n"
         . "      - name: echo\n"
         . "        protocol: TCP\n"
         . "        members:\n"
         . "          - { name: e1, address: 127.0.0.1, "
         . "protocol_port: $echo->{port} }\n";
}

$w->write_config(config());
ok($w->start($port), 'weir started') or BAIL_OUT('weir did not start');
ok(wait_for(sub { $w->workers == 2 }, 10), 'two workers');

# The pids holding the accepted side of connections to the listener.
sub accepting_pids {
    my $out = `ss -tnpH state established '( sport = :$port )' 2>/dev/null`;
    my %p = map { $_ => 1 } $out =~ /pid=(\d+)/g;
    return sort keys %p;
}

# One TLS connection by openssl s_client (version flag $v, e.g. -tls1_2,
# and more arguments): kept open until the handshake's result is printed
# (and with -sess_out, until the session file is written: for TLS 1.3 the
# tickets come after the handshake, and s_client's piped output is
# buffered), the accepting worker found, then closed. Returns (result
# 'New'|'Reused'|'', worker pid or 0, s_client's output).
sub tls_conn {
    my ($v, @args) = @_;
    my ($sess_out) = map { $args[$_ + 1] } grep { $args[$_] eq '-sess_out' }
                     0 .. $#args;
    unlink $sess_out if $sess_out;
    # s_client's chatter on stderr (verify errors of the test
    # certificate) stays out of the test's output
    my $pid = open2(my $out, my $in, 'sh', '-c', 'exec "$@" 2>/dev/null',
                    'sh', 'timeout', '20', 'openssl', 's_client',
                    '-connect', "127.0.0.1:$port", $v, @args);
    my $sel = IO::Select->new($out);
    my ($text, $result, $worker) = ('', '', 0);
    my $deadline = time + 10;
    while (time < $deadline) {
        if ($text =~ /^(New|Reused), /m) {
            $result = $1;
            last if !$sess_out || -s $sess_out;
        }
        last if $text =~ /errno=|:error:/;
        next unless $sel->can_read(0.02);
        my $n = sysread($out, my $buf, 65536);
        last unless $n;
        $text .= $buf;
    }
    my @p = accepting_pids();
    $worker = $p[0] // 0 if @p == 1;
    print $in "ping\n";
    close $in;
    # what is left: the echo, then s_client's end
    while ($sel->can_read(5)) {
        my $n = sysread($out, my $buf, 65536);
        last unless $n;
        $text .= $buf;
    }
    close $out;
    waitpid($pid, 0);
    diag($text) unless $result;
    return ($result, $worker, $text);
}

my %sess = (-tls1_2 => "$dir/s12", -tls1_3 => "$dir/s13");

# Resume $sess{$v} until both workers have taken a connection (at least 8
# tries, at most 40: SO_REUSEPORT spreads connections by their ports).
sub resume_everywhere {
    my ($v, $what) = @_;
    my (%by, $tries, $reused);
    my @workers = $w->workers;
    for ($tries = 1; $tries <= 40; $tries++) {
        my ($r, $pid) = tls_conn($v, '-sess_in', $sess{$v});
        $reused++ if $r eq 'Reused';
        $by{$pid}++;
        last if $tries >= 8 && keys %by >= 2;
    }
    $tries = 40 if $tries > 40;
    is($reused, $tries, "$what: resumed on every one of $tries connections");
    is_deeply([sort keys %by], [sort @workers],
              "$what: both workers accepted the ticket")
        or diag(explain(\%by));
}

for my $v (qw(-tls1_2 -tls1_3)) {
    my ($r) = tls_conn($v, '-sess_out', $sess{$v});
    is($r, 'New', "$v: a first full handshake");
    ok(-s $sess{$v}, "$v: its session (with a ticket) is kept");
    resume_everywhere($v, $v);
}
my (undef, undef, $msg) = tls_conn('-tls1_2', '-sess_in', $sess{'-tls1_2'},
                                   '-msg');
unlike($msg, qr/NewSessionTicket/,
       '-tls1_2: a ticket of the current key gets no new one');

# a reload keeps the keys: tickets from before resume on the new workers
my @old = $w->workers;
$w->signal('HUP');
ok($w->wait_log(qr/configuration generation 2 is running/, 10),
   'reloaded');
ok(wait_for(sub {
       my @now = $w->workers;
       return @now == 2 && !grep { my $o = $_; grep { $_ == $o } @now } @old;
   }, 15), 'the old workers are gone');
for my $v (qw(-tls1_2 -tls1_3)) {
    resume_everywhere($v, "$v after a reload");
}
unlike($w->log_text, qr/session ticket keys rotated/,
       'no rotation within the default hour');

# rotations every 2 s from now on
my $period = 2;
$w->write_config(config($period));
$w->signal('HUP');
ok($w->wait_log(qr/configuration generation 3 is running/, 10),
   "reloaded with tls_ticket_key_rotation: $period");

sub rotations {
    my @n = $w->log_text =~ /session ticket keys rotated \(rotation (\d+)\)/g;
    return @n ? $n[-1] : 0;
}

sub wait_rotation {
    my ($n) = @_;
    return wait_for(sub { rotations() >= $n }, 3 * $period + 5);
}

# Each step must fall between two rotations; a machine too slow for that
# (a step that took a whole period) starts over, at most three times.
my $done;
ATTEMPT: for my $attempt (1 .. 3) {
    ok(wait_rotation(rotations() + 1), "attempt $attempt: a rotation")
        or last;
    my $n = rotations();
    my %r;
    for my $v (qw(-tls1_2 -tls1_3)) {
        ($r{"$v new"}) = tls_conn($v, '-sess_out', $sess{$v});
    }
    next ATTEMPT if rotations() != $n;

    ok(wait_rotation($n + 1), 'one rotation later') or last;
    # TLS 1.2: the resumption brings a new ticket (s_client keeps no
    # session of a resumption: -msg shows it); TLS 1.3 sends new tickets
    # after every handshake, kept for the step after
    ($r{'-tls1_2 one'}, undef, $r{'-tls1_2 msg'}) =
        tls_conn('-tls1_2', '-sess_in', $sess{'-tls1_2'}, '-msg');
    ($r{'-tls1_3 one'}) = tls_conn('-tls1_3', '-sess_in', $sess{'-tls1_3'},
                                   '-sess_out', "$dir/s13.renewed");
    next ATTEMPT if rotations() != $n + 1;

    ok(wait_rotation($n + 2), 'two rotations later') or last;
    for my $v (qw(-tls1_2 -tls1_3)) {
        ($r{"$v two"}) = tls_conn($v, '-sess_in', $sess{$v});
    }
    ($r{'-tls1_3 renewed'}) = tls_conn('-tls1_3', '-sess_in',
                                       "$dir/s13.renewed");
    next ATTEMPT if rotations() != $n + 2;

    for my $v (qw(-tls1_2 -tls1_3)) {
        is($r{"$v new"}, 'New', "$v: a ticket of the current key");
        is($r{"$v one"}, 'Reused',
           "$v: after one rotation the ticket still resumes");
        is($r{"$v two"}, 'New',
           "$v: after two rotations it is refused (full handshake)");
    }
    like($r{'-tls1_2 msg'}, qr/NewSessionTicket/,
         '-tls1_2: resuming with the key before brings a new ticket');
    is($r{'-tls1_3 renewed'}, 'Reused',
       '-tls1_3: the ticket given at that resumption is of the newer key');
    $done = 1;
    last;
}
ok($done, 'the rotation steps fell between rotations');

$w->stop;

# the setting's range
for my $bad ([0, 'out of range'], ['hourly', 'not a number']) {
    open(my $fh, '>', "$dir/t.yaml") or die;
    print $fh "tls_ticket_key_rotation: $bad->[0]\n";
    close $fh;
    my $out = `@{[Weir::binary()]} -t -p $dir -c $dir/t.yaml 2>&1`;
    like($out, qr/^\Q$dir\E\/t\.yaml:1:26: tls_ticket_key_rotation: (?#
                 ).*$bad->[1]; allowed: 1\.\.86400 seconds/m,
         "tls_ticket_key_rotation: $bad->[0] is refused")
        or diag($out);
}

done_testing();
