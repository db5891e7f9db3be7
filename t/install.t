#!/usr/bin/perl
# weir: ./configure --prefix and make install (issue 17). A build in its
# own directory installed under a temporary prefix: the tree it writes;
# the installed binary, run from another directory with no -c or -p,
# finds its configuration, logs, pid file, error pages and console by
# the configured paths; the default configuration passes weir -t and
# serves nothing, and its commented examples pass once uncommented; the
# manual pages render without a warning and weir.yaml(5) lists every
# field of the schema tables; the unit passes systemd-analyze verify and
# the logrotate file logrotate's parser. Then a --prefix=/usr build
# installed with DESTDIR: the FHS layout a distribution wants. Last,
# configure's errors for paths it cannot use.
use strict;
use warnings;
use lib 't/lib';
use Cwd qw(getcwd);
use File::Temp qw(tempdir);
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Weir qw(free_port wait_for tcp_exchange);

my $top = getcwd();
my $tmp = tempdir('weir-install-XXXXXX', TMPDIR => 1,
                  CLEANUP => !$ENV{WEIR_KEEP});
my $p = "$tmp/inst";        # the prefix
# the workers run as the configured user (nobody here): the installed
# tree must be reachable for them, as /usr/share is
chmod 0755, $tmp;

sub run_cmd {
    my ($what, @cmd) = @_;
    my $out = `@cmd 2>&1`;
    my $ok = $? == 0;
    ok($ok, $what) or diag("@cmd:\n$out");
    return $out;
}

sub slurp {
    my ($f) = @_;
    open(my $fh, '<', $f) or return undef;
    local $/;
    return <$fh>;
}

sub spew {
    my ($f, $text) = @_;
    open(my $fh, '>', $f) or die "$f: $!";
    print $fh $text;
    close $fh or die "$f: $!";
}

# --- a build under a temporary prefix, installed as it is ---------------

run_cmd('configure --prefix into a separate build directory',
        "./configure --builddir=$tmp/build --prefix=$p --user=nobody");
my $hdr = slurp("$tmp/build/lb_auto_config.h") // '';
like($hdr, qr/^#define LB_PREFIX  "\Q$p\E"$/m, 'LB_PREFIX');
like($hdr, qr/^#define LB_CONF_PATH  "\Q$p\E\/etc\/weir\/weir\.yaml"$/m,
     'LB_CONF_PATH under the prefix');
like($hdr, qr/^#define LB_DEFAULT_USER  "nobody"$/m,
     '--user defines LB_DEFAULT_USER');
run_cmd('make in the build directory', "make -s -j2 -f $tmp/build/Makefile");
run_cmd('make install', "make -s -f $tmp/build/Makefile install");

for my $f ('sbin/weir', 'bin/weirctl') {
    ok(-x "$p/$f", "$f installed, executable");
}
for my $f ('etc/weir/weir.yaml', 'etc/weir/weir.yaml.default',
           'share/weir/html/errors/502.html',
           'share/weir/html/console/index.html',
           'share/man/man8/weir.8', 'share/man/man5/weir.yaml.5',
           'share/man/man1/weirctl.1', 'lib/systemd/system/weir.service',
           'etc/logrotate.d/weir')
{
    ok(-f "$p/$f", "$f installed");
}
ok(-d "$p/var/log/weir", 'the log directory');
ok(-d "$p/var/run/weir", 'the pid directory');

# the default configuration, from another directory, without -c
my $conf = "$p/etc/weir/weir.yaml";
my $out = `cd / && $p/sbin/weir -t 2>&1`;
is($?, 0, 'installed weir -t without -c passes') or diag($out);
like($out, qr/configuration file \Q$conf\E test is successful/,
     'and names the installed file');
$out = `cd / && $p/sbin/weir -T 2>/dev/null`;
like($out, qr/^error_log: \Q$p\E\/var\/log\/weir\/error\.log$/m,
     'default error_log from configure');
like($out, qr/^pid_file: \Q$p\E\/var\/run\/weir\/weir\.pid$/m,
     'default pid_file from configure');
unlike($out, qr/^user:/m, 'no user written: the built-in default applies');
like(slurp("$tmp/build/lb_auto_config.h") // '',
     qr/^#define LB_DEFAULT_USER  "nobody"$/m, 'the default user from --user');
unlike($out, qr/^load_balancers:/m, 'no load balancer');
$out = `$p/sbin/weir -h 2>&1`;
like($out, qr/-p prefix .*\(default: \Q$p\E\)/, 'weir -h: the prefix');
like($out, qr/-c file .*\(default: \Q$conf\E\)/, 'weir -h: the file');

# the examples of the default file, uncommented, pass weir -t: every line
# of the example block that is YAML (not a sentence)
my $default = slurp($conf);
my ($block) = $default =~ /^(# load_balancers:\n.*)\z/ms;
ok(defined $block, 'the default file has a commented example');
my $yaml = join('', map { s/^# ?//r }
                    grep { /^#(?: [a-z -]|$)/ } split(/^/m, $block // ''));
like($yaml, qr/type: NLB.*type: ALB/s, 'both examples found');
spew("$tmp/examples.yaml", "worker_processes: 1\n$yaml");
$out = `$p/sbin/weir -t -c $tmp/examples.yaml 2>&1`;
is($?, 0, 'the uncommented examples pass weir -t') or diag($out);

# run it: from /, no -c, no -p. The configuration gains an HTTP listener
# (the installed error pages) and the admin listener (the console).
my $port = free_port();
my $admin_port = free_port();
my $closed = free_port();
spew("$p/etc/weir/admin.token", "install-test-token-0123456789abcdef\n");
chmod 0600, "$p/etc/weir/admin.token";
my $lbs = <<"EOF";
load_balancers:
  - name: install-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http-in
        protocol: HTTP
        protocol_port: $port
        target_group: gone
    target_groups:
      - name: gone
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $closed }
EOF
(my $run = $default) =~ s/^load_balancers: \[\]\n/$lbs/m;
$run =~ s/^worker_processes: auto$/worker_processes: 1/m;
$run .= "admin:\n  listen: 127.0.0.1:$admin_port\n"
      . "  token_file: $p/etc/weir/admin.token\n";
spew($conf, $run);

# a page of the installed html directory, told apart from the built-in one
my $page = "$p/share/weir/html/errors/502.html";
spew($page, slurp($page) =~ s/<\/body>/<!-- installed page --><\/body>/r);

my $pid = fork // die "fork: $!";
if ($pid == 0) {
    chdir '/';
    open(STDOUT, '>', "$tmp/stdout.log");
    open(STDERR, '>', "$tmp/stderr.log");
    exec("$p/sbin/weir", '-f') or POSIX::_exit(127);
}
my $pid_file = "$p/var/run/weir/weir.pid";
my $log = "$p/var/log/weir/error.log";
ok(wait_for(sub {
    -s $pid_file && IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $port);
}, 10), 'installed weir started from / with no arguments but -f')
    or diag(slurp("$tmp/stderr.log"), slurp($log));
is(slurp($pid_file), "$pid\n", 'pid file at the configured path');
ok(-s $log, 'error log at the configured path');

my $reply = tcp_exchange($port, "GET / HTTP/1.0\r\nHost: x\r\n\r\n") // '';
like($reply, qr/\AHTTP\/1\.1 502 /, 'an unreachable member: 502');
like($reply, qr/<!-- installed page -->/,
     'the page from the installed html directory');
$reply = tcp_exchange($admin_port, "GET / HTTP/1.0\r\nHost: x\r\n\r\n") // '';
my $index = slurp("$p/share/weir/html/console/index.html");
ok(index($reply, $index) >= 0,
   'the console from the installed html directory');

# -s from another directory finds the master through the configured paths
$out = `cd / && $p/sbin/weir -s reopen 2>&1`;
is($?, 0, 'weir -s reopen from /') or diag($out);
ok(wait_for(sub { (slurp($log) // '') =~ /reopened logs/ }, 10),
   'the master reopened its logs');
$out = `cd / && $p/sbin/weir -s quit 2>&1`;
is($?, 0, 'weir -s quit from /') or diag($out);
ok(wait_for(sub { waitpid($pid, POSIX::WNOHANG()) == $pid }, 15),
   'the master exited');
ok(!-e $pid_file, 'and removed its pid file');

# --- the manual pages ---------------------------------------------------

for my $page ('man8/weir.8', 'man5/weir.yaml.5', 'man1/weirctl.1') {
    my $f = "$p/share/man/$page";
    my $warn = `groff -man -Tutf8 -ww -z $f 2>&1`;
    is($warn, '', "$page: groff -ww renders it without a warning");
    $out = `MANWIDTH=80 man -l $f 2>&1`;
    ok($? == 0 && length($out) > 500, "$page: man -l renders it");
    like($out, qr/^NAME\n/m, "$page: has a NAME section");
}
like(slurp("$p/share/man/man8/weir.8"), qr/\Q$conf\E/,
     'weir(8) names the configured file');

# every field row of the schema tables, in the sources, is in weir.yaml(5)
my @keys;
my $roff = slurp("$p/share/man/man5/weir.yaml.5") // '';
my ($roff_fields) = $roff =~ /^\.SH FIELDS\n(.*?)^\.SH EXAMPLES\n/ms;
for my $src ('src/core/lb_conf_schema.c', 'src/core/lb_conf_l7.c') {
    my $text = slurp("$top/$src") // '';
    $text =~ s/^#define .*?(?<!\\)\n//gms;     # the row macros themselves
    while ($text =~ /LB_F\("([^"]+)"|\.key = "([^"]+)"|(LB_F_ID)\(/g) {
        push @keys, $1 // $2 // 'id';
    }
}
ok(@keys > 90, scalar(@keys) . ' field rows in the schema tables');
my $man5 = `groff -man -Tascii -P-cbu $p/share/man/man5/weir.yaml.5 2>&1`;
my ($fields) = $man5 =~ /^FIELDS\n(.*?)^EXAMPLES\n/ms;
my @missing = grep { ($fields // '') !~ /^ {7}\Q$_\E(?: |$)/m } @keys;
is("@missing", '', 'every field appears in weir.yaml(5) FIELDS');
my $rows = () = ($roff_fields // '') =~ /^\.TP$/mg;
is($rows, scalar(@keys), 'one entry per field row');
# the text of the entries, the lines joined
(my $flat = $fields // '') =~ s/\s+/ /g;
like($flat, qr/ timeout_client_header integer: 1000\.\.4000000 ms\. Default: 10000 ms\. Only on HTTP and HTTPS listeners\. /,
     'an entry: type, range, default and where it applies');
like($flat, qr/ error_log string: a file path or syslog\[:OPTIONS\]\. Default: \Q$p\E\/var\/log\/weir\/error\.log\. /,
     'the default error_log as configured');

# --- the unit and the logrotate file ------------------------------------

my $unit = "$p/lib/systemd/system/weir.service";
my $u = slurp($unit) // '';
like($u, qr/^Type=notify$/m, 'unit: Type=notify');
like($u, qr/^ExecStartPre=\Q$p\E\/sbin\/weir -t$/m, 'unit: -t before start');
like($u, qr/^ExecReload=\Q$p\E\/sbin\/weir -t\nExecReload=\/bin\/kill -HUP \$MAINPID$/m,
     'unit: reload checks the file, then HUP');
like($u, qr/^KillMode=mixed$/m, 'unit: KillMode=mixed');
like($u, qr/^LimitNOFILE=\d+$/m, 'unit: LimitNOFILE');
like($u, qr/^ProtectSystem=strict$/m, 'unit: ProtectSystem=strict');
like($u, qr/^ReadWritePaths=\Q$p\E\/var\/log\/weir \Q$p\E\/etc\/weir \Q$p\E\/var\/run\/weir$/m,
     'unit: the paths weir writes');
like($u, qr/^CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_NET_ADMIN CAP_SETUID CAP_SETGID CAP_KILL$/m,
     'unit: capabilities');
SKIP: {
    skip 'systemd-analyze is not installed', 1
        unless grep { -x "$_/systemd-analyze" } split(/:/, $ENV{PATH});
    $out = `systemd-analyze verify --man=no $unit 2>&1`;
    is($?, 0, 'systemd-analyze verify passes on the unit') or diag($out);
}

SKIP: {
    skip 'logrotate is not installed (auto/deps installs it)', 2
        unless -x '/usr/sbin/logrotate';
    my $lr = "$p/etc/logrotate.d/weir";
    like(slurp($lr) // '',
         qr/postrotate\n\s+if \[ -s \Q$p\E\/var\/run\/weir\/weir\.pid \]; then \Q$p\E\/sbin\/weir -s reopen; fi\n\s+endscript/,
         'logrotate: weir -s reopen after rotating');
    $out = `/usr/sbin/logrotate -d -s $tmp/logrotate.state $lr 2>&1`;
    ok($? == 0 && $out !~ /^error:/m, 'logrotate -d parses it')
        or diag($out);
}

# --- --prefix=/usr, installed with DESTDIR: the FHS layout --------------

my $d = "$tmp/destdir";
run_cmd('configure --prefix=/usr',
        "./configure --builddir=$tmp/build-usr --prefix=/usr --user=weir");
run_cmd('make install DESTDIR=...',
        "make -s -j2 -f $tmp/build-usr/Makefile install DESTDIR=$d");
for my $f ('/usr/sbin/weir', '/usr/bin/weirctl', '/etc/weir/weir.yaml',
           '/usr/share/weir/html/errors/503.html',
           '/usr/share/weir/html/console/index.html',
           '/usr/share/man/man5/weir.yaml.5',
           '/usr/lib/systemd/system/weir.service', '/etc/logrotate.d/weir')
{
    ok(-f "$d$f", "DESTDIR$f");
}
ok(-d "$d/var/log/weir", 'DESTDIR/var/log/weir');
ok(!-e "$d/run", 'nothing under /run (systemd makes /run/weir)');
$out = `$d/usr/sbin/weir -h 2>&1`;
like($out, qr/\(default: \/etc\/weir\/weir\.yaml\)/,
     'the /usr build reads /etc/weir/weir.yaml');
$out = `$d/usr/sbin/weir -t -c $d/etc/weir/weir.yaml 2>&1`;
is($?, 0, 'its default configuration passes weir -t') or diag($out);
like(slurp("$d/etc/weir/weir.yaml") // '', qr/^# user: weir$/m,
     'the default configuration names the user (a comment: the default)');
like(slurp("$d/usr/lib/systemd/system/weir.service") // '',
     qr/^ExecStart=\/usr\/sbin\/weir -f$/m, 'the unit runs /usr/sbin/weir');
SKIP: {
    skip 'systemd-analyze is not installed', 1
        unless grep { -x "$_/systemd-analyze" } split(/:/, $ENV{PATH});
    # the unit as installed, with the binary where DESTDIR put it
    my $t = slurp("$d/usr/lib/systemd/system/weir.service")
            =~ s{/usr/sbin/weir}{$d/usr/sbin/weir}gr;
    spew("$tmp/weir.service", $t);
    $out = `systemd-analyze verify --man=no $tmp/weir.service 2>&1`;
    is($?, 0, 'systemd-analyze verify passes on the /usr unit') or diag($out);
}

# an edited configuration stays on a second install; the pristine copy
# is refreshed beside it
spew("$d/etc/weir/weir.yaml", "worker_processes: 1\n");
run_cmd('make install again', "make -s -f $tmp/build-usr/Makefile install DESTDIR=$d");
is(slurp("$d/etc/weir/weir.yaml"), "worker_processes: 1\n",
   'the edited configuration is kept');
like(slurp("$d/etc/weir/weir.yaml.default") // '', qr/^load_balancers: \[\]$/m,
     'weir.yaml.default is the pristine file');

# --- what configure and make install refuse -----------------------------

for my $bad (['--prefix=relative/dir', qr/--prefix="relative\/dir": must be an absolute path/],
             ['--prefix=/opt/we ir', qr/must not contain quotes, backslashes, spaces/],
             ['--user=-x', qr/--user="-x": a user name is/],
             ['--sbin-path=/x/weir', qr/--sbin-path needs --prefix/])
{
    my ($opt, $re) = @$bad;
    $out = `./configure --builddir=$tmp/bad '$opt' 2>&1`;
    ok($? != 0 && $out =~ $re, "configure $opt: refused, says why")
        or diag($out);
}
run_cmd('configure without --prefix', "./configure --builddir=$tmp/noprefix");
$out = `make -s -f $tmp/noprefix/Makefile install DESTDIR=$tmp/np 2>&1`;
ok($? != 0 && $out =~ /make install: configure with --prefix first/,
   'make install without --prefix: refused, says why') or diag($out);
ok(!-e "$tmp/np/sbin", 'and installs nothing');

done_testing();
