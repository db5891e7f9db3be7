#!/usr/bin/perl
# weir: the Debian package (issue 17 item 3), when WEIR_TEST_DEB=1: built
# from a copy of the tree by auto/deb (dpkg-buildpackage -us -uc -b, about
# a minute on two cores: too slow for every `make test`), lintian-clean
# but for the overrides it explains; then installed for real with dpkg
# into a throwaway root: an overlay of / in a private mount namespace,
# chrooted, so that nothing of this machine changes. There: the weir
# user exists, the unit is enabled and not started, the conffiles are
# registered, and weir runs from the package as the unit runs it: root
# without CAP_DAC_OVERRIDE (the unit's CapabilityBoundingSet, by
# setpriv), its children as weir, writing the error and access logs under
# /var/log/weir, answering a logrotate run (postrotate: weir -s reopen)
# and a reload by the API-less path (weir -t, HUP); purge removes the
# logs.
use strict;
use warnings;
use lib 't/lib';
use File::Temp qw(tempdir);
use Test::More;
use Weir qw(free_port);

plan skip_all => 'the package build takes a minute: WEIR_TEST_DEB=1 runs it'
    unless $ENV{WEIR_TEST_DEB};

my $tmp = tempdir('weir-deb-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{WEIR_KEEP});

sub slurp {
    my ($f) = @_;
    open(my $fh, '<', $f) or return undef;
    local $/;
    return <$fh>;
}

my $out = `sh auto/deb $tmp/deb 2>&1`;
is($?, 0, 'auto/deb: the package builds and lintian has no error or '
          . 'warning') or diag($out);
my ($deb) = glob("$tmp/deb/weir_*.deb");
ok($deb && -f $deb, 'a .deb') or BAIL_OUT('no package');

my $lintian = slurp("$tmp/deb/lintian.txt") // '';
unlike($lintian, qr/^[EW]: /m, 'lintian: no E: or W: tag');
my @tags = $lintian =~ /^([IPX]: .*)$/mg;
is("@tags", '', 'lintian: every info, pedantic or experimental tag is '
   . 'overridden (debian/weir.lintian-overrides says why)');
note("lintian:\n$lintian");

my $list = `dpkg-deb -c $deb`;
for my $f ('./usr/sbin/weir', './usr/bin/weirctl', './etc/weir/weir.yaml',
           './lib/systemd/system/weir.service', './etc/logrotate.d/weir',
           './usr/share/man/man5/weir.yaml.5.gz',
           './usr/share/man/man8/weir.8.gz',
           './usr/share/man/man1/weirctl.1.gz',
           './usr/share/weir/html/errors/502.html',
           './usr/share/weir/html/console/index.html', './var/log/weir/')
{
    like($list, qr/ \Q$f\E$/m, "the package has $f");
}
my $conffiles = `dpkg-deb -f $deb >/dev/null; dpkg-deb -I $deb conffiles`;
like($conffiles, qr/^\/etc\/weir\/weir\.yaml$/m, 'weir.yaml is a conffile');
like($conffiles, qr/^\/etc\/logrotate\.d\/weir$/m,
     'the logrotate file is a conffile');
my $postinst = `dpkg-deb -I $deb postinst`;
like($postinst, qr/deb-systemd-helper enable 'weir\.service'/,
     'postinst enables the unit');
unlike($postinst, qr/deb-systemd-invoke/, 'and does not start it');

# --- installed into a throwaway root -------------------------------------

SKIP: {
    skip 'installing needs root (an overlay mount)', 1 if $> != 0;
    my $port = free_port();
    my $script = <<"EOF";
set -e
r=$tmp/root
mkdir -p \$r/upper \$r/work \$r/m
mount -t overlay overlay -o lowerdir=/,upperdir=\$r/upper,workdir=\$r/work \$r/m
mount -t proc proc \$r/m/proc
mount --rbind /dev \$r/m/dev
cp $deb \$r/m/tmp/weir.deb
inroot() { chroot \$r/m "\$@"; }
inroot dpkg -i /tmp/weir.deb > $tmp/dpkg-i.log 2>&1 || { echo DPKG=failed; exit 0; }
echo DPKG=ok
echo USER=`inroot getent passwd weir`
echo ENABLED=`inroot readlink /etc/systemd/system/multi-user.target.wants/weir.service || true`
echo STATUS=`inroot dpkg-query -W -f='\${Status}' weir`
echo CONFFILES=`inroot dpkg-query -W -f='\${Conffiles}' weir | awk '{print \$1}' | tr '\\n' ' '`
echo LOGDIR=`inroot stat -c '%U:%G:%a' /var/log/weir`
echo ETCDIR=`inroot stat -c '%U:%G:%a' /etc/weir`
inroot /usr/sbin/weir -t > $tmp/t.log 2>&1 && echo T=ok || echo T=failed

# as the unit runs it: an HTTP listener and an access log added to the
# installed file; /run/weir as RuntimeDirectory= makes it
inroot sh -c 'sed -i "s/^load_balancers: \\[\\]\$//" /etc/weir/weir.yaml && cat >> /etc/weir/weir.yaml' <<CONF
worker_processes: 1
access_log: /var/log/weir/access.log
load_balancers:
  - name: deb-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: http-in
        protocol: HTTP
        protocol_port: $port
        target_group: gone-pool
    target_groups:
      - name: gone-pool
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: 1 }
CONF
sed -i 's/^worker_processes: auto\$//' \$r/m/etc/weir/weir.yaml
inroot install -d -m 0755 /run/weir
chroot \$r/m setpriv --bounding-set -all,+net_bind_service,+net_raw,+net_admin,+setuid,+setgid,+kill \\
    --inh-caps -all /usr/sbin/weir -f > $tmp/weir.out 2>&1 &
i=0
until [ -s \$r/m/run/weir/weir.pid ] && curl -s -o /dev/null http://127.0.0.1:$port/ 2>/dev/null; do
    i=\$((i + 1)); [ \$i -lt 200 ] || break; sleep 0.05
done
pid=`cat \$r/m/run/weir/weir.pid 2>/dev/null || true`
echo MASTER=`ps -o user= -p \$pid`
echo CAPBND=`grep CapBnd /proc/\$pid/status | awk '{print \$2}'`
echo WORKER=`ps -o uid= --ppid \$pid | sort -u | tr -d ' ' | tr '\\n' ' '`
echo HTTP=`curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/`
i=0
until grep -q ' 502 ' \$r/m/var/log/weir/access.log 2>/dev/null; do
    i=\$((i + 1)); [ \$i -lt 200 ] || break; sleep 0.05
done
echo ACCESS=`grep -c ' 502 ' \$r/m/var/log/weir/access.log 2>/dev/null || true`
echo ERRLOG=`stat -c '%U:%G' \$r/m/var/log/weir/error.log 2>/dev/null`

# logrotate as cron or its timer would run it: postrotate reopens
inroot logrotate -f /etc/logrotate.d/weir > $tmp/logrotate.log 2>&1 && echo LOGROTATE=ok || echo LOGROTATE=failed
i=0
until grep -q 'reopened logs' \$r/m/var/log/weir/error.log 2>/dev/null; do
    i=\$((i + 1)); [ \$i -lt 200 ] || break; sleep 0.05
done
echo REOPENED=`grep -c 'reopened logs' \$r/m/var/log/weir/error.log 2>/dev/null || true`
echo ROTATED=`ls \$r/m/var/log/weir | tr '\\n' ' '`
curl -s -o /dev/null http://127.0.0.1:$port/again
i=0
until grep -q 'GET /again' \$r/m/var/log/weir/access.log 2>/dev/null; do
    i=\$((i + 1)); [ \$i -lt 200 ] || break; sleep 0.05
done
echo ACCESS_AFTER=`grep -c 'GET /again' \$r/m/var/log/weir/access.log 2>/dev/null || true`
echo WORKER_REOPEN_FAILED=`grep -c 'reopening .* failed' \$r/m/var/log/weir/error.log || true`

# ExecReload: weir -t, then HUP
inroot /usr/sbin/weir -t > /dev/null 2>&1 && kill -HUP \$pid
i=0
until grep -q 'configuration generation 2 is running' \$r/m/var/log/weir/error.log; do
    i=\$((i + 1)); [ \$i -lt 200 ] || break; sleep 0.05
done
echo RELOADED=`grep -c 'configuration generation 2 is running' \$r/m/var/log/weir/error.log || true`

inroot /usr/sbin/weir -s quit
i=0
while ps -o stat= -p \$pid | grep -qv Z; do
    i=\$((i + 1)); [ \$i -lt 300 ] || { kill -9 \$pid; break; }; sleep 0.05
done
echo STOPPED=\$i

# kept for the diagnostics below
cp -a \$r/m/var/log/weir $tmp/logs
inroot dpkg --purge weir > $tmp/dpkg-purge.log 2>&1 && echo PURGE=ok || echo PURGE=failed
echo LOGDIR_AFTER=`inroot sh -c 'test -e /var/log/weir && echo present || echo gone'`
EOF
    open(my $fh, '>', "$tmp/install.sh") or die $!;
    print $fh $script;
    close $fh;
    $out = `unshare -m sh $tmp/install.sh 2>&1`;
    my %r = $out =~ /^([A-Z_]+)=(.*)$/mg;
    diag($out) unless ($r{DPKG} // '') eq 'ok';
    is($r{DPKG}, 'ok', 'dpkg -i installs it') or diag(slurp("$tmp/dpkg-i.log"));
    like($r{USER} // '', qr/^weir:x:\d+:\d+:weir load balancer[,]*:\/nonexistent:\/usr\/sbin\/nologin$/,
         'the weir system user');
    like($r{ENABLED} // '', qr/\/lib\/systemd\/system\/weir\.service$/,
         'the unit is enabled');
    is($r{STATUS}, 'install ok installed', 'dpkg: installed');
    like($r{CONFFILES} // '', qr/\/etc\/weir\/weir\.yaml /, 'conffile registered');
    is($r{LOGDIR}, 'root:weir:770', '/var/log/weir: root and the weir group');
    is($r{ETCDIR}, 'root:weir:775', '/etc/weir: the admin process may write');
    is($r{T}, 'ok', 'the installed weir -t passes') or diag(slurp("$tmp/t.log"));
    is($r{MASTER}, 'root', 'the master runs as root');
    is($r{CAPBND}, '00000000000034e0',
       'within the unit\'s bounding set (no CAP_DAC_OVERRIDE)');
    my ($uid) = ($r{USER} // '') =~ /^weir:x:(\d+):/;
    is($r{WORKER} // '', $uid // 'none', 'its children run as weir')
        or diag(slurp("$tmp/weir.out"));
    is($r{HTTP}, '502', 'the listener answers (a member that is gone)');
    ok(($r{ACCESS} // 0) >= 1, 'the worker writes the access log');
    is($r{LOGROTATE}, 'ok', 'logrotate -f runs') or diag(slurp("$tmp/logrotate.log"));
    is($r{REOPENED}, 1, 'postrotate: weir -s reopen reached the master');
    like($r{ROTATED} // '', qr/access\.log\.1/, 'the logs were rotated');
    is($r{ACCESS_AFTER}, 1, 'the worker writes the new access log')
        or diag(`ls -l $tmp/logs; tail -5 $tmp/logs/error.log`);
    is($r{WORKER_REOPEN_FAILED}, 0, 'no child failed to reopen');
    is($r{RELOADED}, 1, 'reload: weir -t, then HUP');
    ok(defined $r{STOPPED} && $r{STOPPED} < 300, 'weir -s quit stops it');
    my $alerts = join('', grep { /\[(?:alert|emerg|crit)\]/ }
                          map { split(/^/m, slurp($_) // '') }
                          glob("$tmp/logs/error.log*"));
    is($alerts, '', 'no alert in the error logs (a signal the master may '
       . 'not send, a log it may not open)');
    is($r{PURGE}, 'ok', 'dpkg --purge') or diag(slurp("$tmp/dpkg-purge.log"));
    is($r{LOGDIR_AFTER}, 'gone', 'purge removes /var/log/weir');
}

done_testing();
