#!/usr/bin/perl
# weir: the master (root) opens the error log and the pid file without
# following symlinks: a symlink planted at logs/error.log makes start
# fail (ELOOP) instead of appending to the file it points at, and one
# planted at the pid file's temporary name is replaced, never written
# through. A new error log is 0640 (it names clients). The access log is
# opened by the master too (the workers run as an unprivileged user), with
# the same care: a symlink there makes start fail.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for start_backend);

my $echo = start_backend(name => 'E', mode => 'echo');

sub config {
    my ($port, $head) = @_;
    return "worker_processes: 1\n" . ($head // '')
         . "load_balancers:\n"
         . "  - name: log-lb\n"
         . "    type: NLB\n"
         . "    address: 127.0.0.1\n"
         . "    listeners:\n"
         . "      - { name: in, protocol: TCP, protocol_port: $port, "
         . "target_group: pool }\n"
         . "    target_groups:\n"
         . "      - name: pool\n"
         . "        protocol: TCP\n"
         . "        members:\n"
         . "          - { name: e1, address: 127.0.0.1, "
         . "protocol_port: $echo->{port} }\n";
}

# --- a symlink at the error log ---
my $w = Weir->new;
my $dir = $w->dir;
my $port = free_port();
mkdir "$dir/logs";
open(my $v, '>', "$dir/victim") or die;
close $v;
symlink("$dir/victim", "$dir/logs/error.log") or die "symlink: $!";
$w->write_config(config($port));

ok(!$w->start($port), 'weir does not start with a symlink as its error log');
ok(wait_for(sub { $w->exited }, 10), 'the master exits');
is(-s "$dir/victim", 0, 'nothing was written through the symlink');
my $err = do { local (@ARGV, $/) = "$dir/stderr.log"; <ARGV> // '' };
like($err, qr/open\("[^"]*logs\/error\.log"\) failed.*symbolic links/,
     'the error names the file and the reason') or diag($err);

# --- a symlink at the pid file's temporary name ---
my $w2 = Weir->new;
my $dir2 = $w2->dir;
$port = free_port();
mkdir "$dir2/logs";
open($v, '>', "$dir2/victim2") or die;
print $v "precious\n";
close $v;
symlink("$dir2/victim2", "$dir2/logs/weir.pid.tmp") or die "symlink: $!";
$w2->write_config(config($port));

ok($w2->start($port), 'weir starts with a symlink at weir.pid.tmp');
is(do { local (@ARGV, $/) = "$dir2/victim2"; <ARGV> }, "precious\n",
   'the file it pointed at is untouched');
ok(!-l $w2->pid_file && -s $w2->pid_file, 'the pid file is a plain file');
is((stat $w2->error_log)[2] & 0777, 0640, 'a new error log is 0640');
$w2->stop;

# --- a symlink at the access log ---
my $w3 = Weir->new;
my $dir3 = $w3->dir;
$port = free_port();
open($v, '>', "$dir3/victim3") or die;
close $v;
symlink("$dir3/victim3", "$dir3/logs/access.log") or die "symlink: $!";
$w3->write_config(config($port, "access_log: logs/access.log\n"));

ok(!$w3->start($port), 'weir does not start with a symlink as its access log');
ok(wait_for(sub { $w3->exited }, 10), 'the master exits');
is(-s "$dir3/victim3", 0, 'nothing was written through the symlink');
like($w3->log_text,
     qr/open\(\) of the access log "[^"]*logs\/access\.log" failed.*symbolic links/,
     'the error names the access log and the reason') or diag($w3->log_text);

done_testing();
