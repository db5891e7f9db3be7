#!/usr/bin/perl
# weir: `access_log_compress: true` writes the access log gzip-compressed
# by weir itself: each flush of a worker's buffer (every second, or when
# it fills) is one complete gzip member written with one write(). Members
# one after the other are one valid gzip file (RFC 1952), so the file
# reads whole with zcat at any time, and a file renamed for rotation is
# complete once weir reopened (SIGUSR1): nothing is left to finish, and
# logrotate's `compress` is not needed (weir does not know the new name).
use strict;
use warnings;
use lib 't/lib';
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(start_http_backend http_connect http_request);

my $w = Weir->new;
my $dir = $w->dir;
my $t = start_http_backend(name => 'G', log => "$dir/g.log");
my $port = free_port();
my $log = "$dir/logs/access.log.gz";

$w->write_config(<<"CONF");
worker_processes: 2
access_log: logs/access.log.gz
access_log_compress: true
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
          - { name: g-1, address: 127.0.0.1, protocol_port: $t->{port} }
CONF

ok($w->start($port), 'weir started') or BAIL_OUT($w->log_text);

# the file uncompressed, every member (undef when it is no valid gzip)
sub unzipped {
    my ($f) = @_;
    return '' unless -s $f;
    my $out;
    gunzip($f => \$out, MultiStream => 1, Strict => 1) or return undef;
    return $out;
}

# the number of gzip members (headers 1f 8b 08 that gunzip accepts as
# such: counted by reading member by member)
sub members {
    my ($f) = @_;
    my $z = IO::Uncompress::Gunzip->new($f, MultiStream => 0) or return 0;
    my $n = 0;
    while (1) {
        my $buf;
        1 while $z->read($buf) > 0;
        $n++;
        last unless $z->nextStream > 0;
    }
    return $n;
}

sub get {
    my ($path) = @_;
    my $s = http_connect($port) or return undef;
    my $r = http_request($s, 'GET', $path);
    close $s;
    return $r;
}

is(get("/first-$_")->{status}, 200, "request first-$_") for 1 .. 3;
ok(wait_for(sub { (() = (unzipped($log) // '') =~ m{GET /first-}g) == 3 }, 10),
   'the three lines are in the file, gzip-compressed');
my $raw = do { local (@ARGV, $/) = $log; <ARGV> };
is(substr($raw, 0, 2), "\x1f\x8b", 'the file starts as gzip');
unlike($raw, qr{GET /first}, 'no line in clear');

# a second flush while the file is written: one more member
my $before = members($log);
is(get('/second')->{status}, 200, 'request second');
ok(wait_for(sub { (unzipped($log) // '') =~ m{GET /second} }, 10),
   'a later flush is read with the earlier ones');
ok(members($log) > $before, 'as a member of its own') or diag(members($log));
like(unzipped($log), qr{^(?:\S+ \[[^\]]+\] http-in "GET /\S+ HTTP/1\.1" 200 [^\n]+\n)+\z},
     'every line whole');

# --- rotation: rename, USR1 ---

rename $log, "$log.1" or die "rename: $!";
$w->signal('USR1');
ok(wait_for(sub { -e $log }, 10), 'the master made the file again');
my $n = 0;
ok(wait_for(sub {
    get('/after-' . $n++);
    return (unzipped($log) // '') =~ m{GET /after-};
}, 10), 'new lines go to the new file');
get("/late-$_") for 1 .. 20;
ok(wait_for(sub { (() = (unzipped($log) // '') =~ m{GET /late-}g) == 20 }, 10),
   'all later lines are in the new file (both workers took it)');

my $old = unzipped("$log.1");
ok(defined $old, 'the renamed file is a complete gzip file')
    or diag($GunzipError);
like($old, qr{GET /second}, 'with the lines from before');
unlike($old, qr{/late-}, 'and none from after');
is(system('gzip', '-t', "$log.1"), 0, 'gzip -t accepts it');

# a graceful stop flushes the last lines as a member
get('/last');
$w->stop('QUIT');
like(unzipped($log) // '', qr{GET /last}, 'the last line is flushed at exit');
is(system('gzip', '-t', $log), 0, 'gzip -t accepts the file after exit');

done_testing();
