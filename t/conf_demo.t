#!/usr/bin/perl
# weir: the demo configuration passes `weir -t`, and `weir -T` prints an
# effective configuration (defaults and ids filled in) that passes -t again
# and prints itself unchanged.
use strict;
use warnings;
use File::Temp qw(tempdir);
use Test::More;

my $weir = $ENV{WEIR_BINARY} // 'objs/weir';
plan skip_all => "$weir not built" unless -x $weir;

my $dir = tempdir('weir-demo-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# run weir with args; returns (exit status, stdout, stderr)
sub run {
    my (@args) = @_;
    my $err = "$dir/stderr";

    my $pid = open(my $out, '-|');
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open(STDERR, '>', $err) or die "$err: $!";
        exec($weir, @args) or die "exec $weir: $!";
    }
    my $stdout = do { local $/; <$out> } // '';
    close($out);
    my $rc = $? >> 8;

    open(my $fh, '<', $err) or die "$err: $!";
    my $stderr = do { local $/; <$fh> } // '';
    close($fh);

    return ($rc, $stdout, $stderr);
}

sub write_file {
    my ($path, $text) = @_;
    open(my $fh, '>', $path) or die "$path: $!";
    print $fh $text;
    close($fh) or die "$path: $!";
}

my ($rc, $out, $err) = run('-t', '-c', 'conf/weir.yaml');
is($rc, 0, 'weir -t accepts conf/weir.yaml') or diag($err);
like($err, qr{configuration file \S*conf/weir\.yaml test is successful},
     'weir -t says the test is successful');

($rc, my $dump, $err) = run('-T', '-c', 'conf/weir.yaml');
is($rc, 0, 'weir -T exits 0') or diag($err);
like($dump, qr/^shutdown_timeout: 10000$/m, 'the dump keeps written values');
like($dump, qr/^worker_processes: auto$/m, 'the dump keeps "auto"');
like($dump, qr/^log_level: info$/m, 'the dump has the log level');
my $uuid = qr/[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-/
    . qr/[0-9a-f]{12}/;
like($dump, qr/^  - id: $uuid$/m, 'the dump has generated ids');
like($dump, qr/^            monitor_port: 9001$/m,
     'the dump fills in defaults (monitor_port)');

my $file = "$dir/dump.yaml";
write_file($file, $dump);

($rc, $out, $err) = run('-t', '-c', $file);
is($rc, 0, 'the dump passes weir -t') or diag($err);
like($err, qr{configuration file \S*dump\.yaml test is successful},
     'weir -t on the dump says successful');

($rc, my $again, $err) = run('-T', '-c', $file);
is($rc, 0, 'weir -T on the dump exits 0') or diag($err);
is($again, $dump, 'the dump of the dump is the same text');

# the example of SPEC.md section 1, with every object kind, round-trips too
my $spec = <<'EOF';
worker_processes: 2
daemon: true
error_log: logs/error.log
log_level: info
pid_file: logs/weir.pid
admin:
  listen: 127.0.0.1:9090
  token_file: conf/admin.token
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    availability_zone: zone-a
    vpc: vpc-main
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: 8080
        target_group: web-tg
        insert_headers: { X-Forwarded-For: "true", X-Forwarded-Proto: "false",
                          X-Forwarded-Port: "false" }
        timeout_client_data: 50000
        connection_limit: -1
      - name: https
        protocol: HTTPS
        protocol_port: 8443
        target_group: web-tg
        tls_certificate: conf/cert.pem
        tls_key: conf/key.pem
        tls_min_version: TLSv1.2
    target_groups:
      - name: web-tg
        protocol: HTTP
        load_balancer_algorithm: ROUND_ROBIN
        health_monitor:
          type: HTTP
          delay: 30
          timeout: 5
          max_retries: 5
          max_retries_down: 2
          http_method: GET
          http_version: "1.1"
          url_path: /healthz
          expected_codes: "200"
        members:
          - { name: web-1, address: 127.0.0.1, protocol_port: 9001, weight: 1,
              monitor_port: 9101, subnet_id: subnet-a }
EOF
write_file("$dir/spec.yaml", $spec);

# -t loads certificates: make the example's conf/cert.pem and conf/key.pem
# under a prefix of our own
mkdir "$dir/conf";
system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
       'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=weir.test',
       '-days', '2', '-keyout', "$dir/conf/key.pem",
       '-out', "$dir/conf/cert.pem") == 0 || die "openssl req failed\n"
    if !-e "$dir/conf/cert.pem";

# and its admin token, readable by its owner only (weir -t checks)
write_file("$dir/conf/admin.token", "conf-demo-token\n");
chmod 0600, "$dir/conf/admin.token" or die "chmod: $!\n";

($rc, $dump, $err) = run('-T', '-p', $dir, '-c', "$dir/spec.yaml");
is($rc, 0, 'the SPEC.md example passes') or diag($err);
write_file("$dir/spec-dump.yaml", $dump);
($rc, $again, $err) = run('-T', '-p', $dir, '-c', "$dir/spec-dump.yaml");
is($rc, 0, 'its dump passes') or diag($err);
is($again, $dump, 'its dump of the dump is the same text');
like($dump, qr/^          X-Forwarded-For: "true"$/m,
     'forwarded headers are dumped');

done_testing();
