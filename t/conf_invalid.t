#!/usr/bin/perl
# weir: `weir -t` on invalid configurations. Each case is written to a file
# of its own and must fail (exit 1) with exactly the listed error lines,
# "FILE:LINE:COL: field.path: message", nothing more and nothing less.
# SPEC.md sections 1-7 and 9; the unit tests (t/unit/core/test_lb_conf*.c)
# cover every rule on both sides, this covers the command line end to end.
use strict;
use warnings;
use File::Temp qw(tempdir);
use Test::More;

my $weir = $ENV{WEIR_BINARY} // 'objs/weir';
plan skip_all => "$weir not built" unless -x $weir;

my $dir = tempdir('weir-conf-XXXXXX', TMPDIR => 1, CLEANUP => 1);

my $ALB = <<'EOF';
load_balancers:
  - name: web-lb
    type: ALB
    address: 127.0.0.1
EOF

my $NLB = <<'EOF';
load_balancers:
  - name: net-lb
    type: NLB
    address: 127.0.0.1
EOF

my $DSR = <<'EOF';
load_balancers:
  - name: dsr-lb
    type: NLB_L4_DSR
    address: 127.0.0.1
EOF

my $NAME_RULE = 'allowed: 4..250 characters of A-Z a-z 0-9 _ -, starting '
    . 'with a letter, not ending with _ or -, no two of _ and - in a row';
my $WEB = 'load_balancers[web-lb]';
my $ADMIN_TLS_RULE = 'the admin listener has no TLS: its token would cross '
    . 'the network in clear; allowed: an address of 127.0.0.0/8 or [::1], '
    . 'or admin.certificate and admin.key with admin.token_file';
my $NET = 'load_balancers[net-lb]';
my $SUITES_RULE = "TLS 1.3 suites separated by ':', of "
    . 'TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, '
    . 'TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, '
    . 'TLS_AES_128_CCM_8_SHA256';

# [ name, config, expected lines without the "FILE:" prefix ]
my @cases = (
    [ 'unknown top-level field', "workers: 4\n",
      [ '1:1: workers: unknown field "workers"; allowed: worker_processes, '
        . 'daemon, user, error_log, log_level, pid_file, access_log, '
        . 'access_log_compress, shutdown_timeout, tls_ticket_key_rotation, '
        . 'admin, peers, load_balancers' ] ],

    [ 'user that does not exist', "user: no-such-user-weir\n",
      [ '1:7: user: user "no-such-user-weir" does not exist on this '
        . 'system; allowed: a user of this system (the worker, checker and '
        . 'admin processes run as it)' ] ],

    [ 'error_log: an unknown syslog facility',
      "error_log: \"syslog:facility=local9\"\n",
      [ '1:12: error_log: "local9" is not a syslog facility; allowed: kern, '
        . 'user, mail, daemon, auth, syslog, lpr, news, uucp, cron, '
        . 'authpriv, ftp, local0..local7' ] ],

    [ 'error_log: an unknown syslog option',
      "error_log: \"syslog:level=info\"\n",
      [ '1:12: error_log: "level" is not an option; allowed: syslog, or '
        . 'syslog: followed by facility=NAME, tag=NAME, path=/SOCKET '
        . 'separated by commas' ] ],

    [ 'access_log: a syslog tag with a space',
      "access_log: \"syslog:facility=local0,tag=a b\"\n",
      [ '1:13: access_log: "a b" is not a syslog tag; allowed: 1..32 '
        . 'characters of A-Z a-z 0-9 _ . -' ] ],

    [ 'access_log: a relative syslog socket path',
      "access_log: \"syslog:path=dev/log\"\n",
      [ '1:13: access_log: "dev/log" is not a syslog socket path; allowed: '
        . 'an absolute path of at most 107 bytes, as the last option' ] ],

    [ 'access_log: syslog: with nothing after it',
      "access_log: \"syslog:\"\n",
      [ '1:13: access_log: "" is not an option; allowed: syslog, or '
        . 'syslog: followed by facility=NAME, tag=NAME, path=/SOCKET '
        . 'separated by commas' ] ],

    [ 'access_log_compress without an access log',
      "access_log_compress: true\n",
      [ '1:22: access_log_compress: true needs an access_log file' ] ],

    [ 'access_log_compress with syslog',
      "access_log: syslog\naccess_log_compress: true\n",
      [ '2:22: access_log_compress: true needs an access_log file, not '
        . 'syslog' ] ],

    [ 'access_log_compress not a boolean', "access_log: a.log\n"
      . "access_log_compress: gzip\n",
      [ '2:22: access_log_compress: "gzip" is not a boolean; allowed: '
        . 'true, false' ] ],

    [ 'worker_processes out of range', "worker_processes: 65\n",
      [ '1:19: worker_processes: 65 is out of range; allowed: auto or '
        . '1..64' ] ],

    [ 'worker_processes not a number', "worker_processes: all\n",
      [ '1:19: worker_processes: "all" is not a number; allowed: auto or '
        . '1..64' ] ],

    [ 'daemon not a boolean', "daemon: on\n",
      [ '1:9: daemon: "on" is not a boolean; allowed: true, false' ] ],

    [ 'log_level unknown', "log_level: trace\n",
      [ '1:12: log_level: "trace" is not a valid value; allowed: debug, '
        . 'info, notice, warn, error' ] ],

    [ 'shutdown_timeout out of range', "shutdown_timeout: 3600001\n",
      [ '1:19: shutdown_timeout: 3600001 is out of range; allowed: '
        . '0..3600000 ms' ] ],

    [ 'peers without nodes', "peers:\n  local: a\n",
      [ '2:3: peers.nodes: missing; required' ] ],

    [ 'peers: local names no node, a bad vip, twice the same node',
      "peers:\n  local: c\n  vip: 10.0.0\n  nodes:\n"
      . "    - { name: a, address: 127.0.0.1:7001 }\n"
      . "    - { name: b, address: \"127.0.0.1\" }\n"
      . "    - { name: a, address: 127.0.0.1:7001 }\n",
      [ '2:10: peers.local: "c" is not the name of a node of peers.nodes',
        '3:8: peers.vip: "10.0.0" is not an IP address; allowed: an IPv4 or '
        . 'IPv6 address, e.g. 192.0.2.10',
        '5:5: peers.nodes: node 3 has the name "a" of node 1; allowed: a '
        . 'name per node',
        '5:5: peers.nodes: node 3 has the address "127.0.0.1:7001" of node '
        . '1; allowed: an address per node',
        '6:27: peers.nodes[b].address: "127.0.0.1" is not an address with a '
        . 'port; allowed: IPv4:port or [IPv6]:port with a port 1..65535, '
        . 'e.g. 127.0.0.1:9090 or [::1]:9090' ] ],

    [ 'peers.tls without key and ca, an unknown field',
      "peers:\n  local: a\n  nodes:\n"
      . "    - { name: a, address: 127.0.0.1:7001 }\n"
      . "  tls: { certificate: a.crt, cert: a.crt }\n",
      [ '5:8: peers.tls.key: missing; required',
        '5:8: peers.tls.ca: missing; required',
        '5:30: peers.tls.cert: unknown field "cert"; allowed: certificate, '
        . 'key, ca' ] ],

    [ 'peers.tls certificate that cannot be loaded',
      "peers:\n  local: a\n  nodes:\n"
      . "    - { name: a, address: 127.0.0.1:7001 }\n"
      . "  tls: { certificate: /nonexistent/a.crt, key: /nonexistent/a.key,"
      . " ca: /nonexistent/ca.crt }\n",
      [ '5:8: peers.tls.certificate: "/nonexistent/a.crt" cannot be loaded: '
        . 'No such file or directory' ] ],

    [ 'admin without token_file', "admin:\n  listen: 127.0.0.1:9090\n",
      [ '2:3: admin.token_file: missing; required' ] ],

    [ 'admin listen without port',
      "admin:\n  listen: 127.0.0.1\n  token_file: t\n",
      [ '2:11: admin.listen: "127.0.0.1" is not an address with a port; '
        . 'allowed: IPv4:port or [IPv6]:port with a port 1..65535, e.g. '
        . '127.0.0.1:9090 or [::1]:9090' ] ],

    [ 'admin listen not on loopback',
      "admin:\n  listen: 0.0.0.0:9090\n  token_file: t\n",
      [ '2:11: admin.listen: "0.0.0.0:9090" is not a loopback address and '
        . "$ADMIN_TLS_RULE" ] ],

    [ 'admin listen on an IPv6 address that is not loopback',
      "admin:\n  listen: \"[2001:db8::1]:9090\"\n  token_file: t\n",
      [ '2:11: admin.listen: "[2001:db8::1]:9090" is not a loopback address '
        . "and $ADMIN_TLS_RULE" ] ],

    [ 'admin certificate without key',
      "admin:\n  listen: 127.0.0.1:9090\n  token_file: t\n"
      . "  certificate: c.pem\n",
      [ '2:3: admin.key: missing; required with admin.certificate (both or '
        . 'neither)' ] ],

    [ 'admin key without certificate',
      "admin:\n  listen: 127.0.0.1:9090\n  token_file: t\n  key: k.pem\n",
      [ '2:3: admin.certificate: missing; required with admin.key (both or '
        . 'neither)' ] ],

    [ 'admin listen not on loopback with a certificate but no key',
      "admin:\n  listen: 0.0.0.0:9090\n  token_file: t\n"
      . "  certificate: c.pem\n",
      [ '2:3: admin.key: missing; required with admin.certificate (both or '
        . 'neither)',
        '2:11: admin.listen: "0.0.0.0:9090" is not a loopback address and '
        . "$ADMIN_TLS_RULE" ] ],

    [ 'admin metrics_public not a boolean',
      "admin:\n  listen: 127.0.0.1:9090\n  token_file: t\n"
      . "  metrics_public: yes\n",
      [ '4:19: admin.metrics_public: "yes" is not a boolean; allowed: true, '
        . 'false' ] ],

    [ 'admin certificate empty',
      "admin:\n  listen: 127.0.0.1:9090\n  token_file: t\n"
      . "  certificate: \"\"\n  key: k.pem\n",
      [ '4:16: admin.certificate: "" is too short (0 characters); allowed: '
        . 'a file path (PEM certificate chain)' ] ],

    [ 'YAML syntax error',
      "load_balancers:\n  - name: web-lb\n   type: ALB\n",
      [ '3:4: syntax error: did not find expected \'-\' indicator (while '
        . 'parsing a block collection at 2:3)' ] ],

    [ 'empty file', "",
      [ '1:1: the configuration is empty; expected a mapping of top-level '
        . 'fields such as load_balancers' ] ],

    [ 'balancer name too short',
      "load_balancers:\n  - name: web\n    type: ALB\n"
      . "    address: 127.0.0.1\n",
      [ "2:11: load_balancers[web].name: \"web\" is too short (3 characters);"
        . " $NAME_RULE" ] ],

    [ 'balancer name with two dashes',
      "load_balancers:\n  - name: web--lb\n    type: ALB\n"
      . "    address: 127.0.0.1\n",
      [ '2:11: load_balancers[web--lb].name: "web--lb" has "--" at '
        . "position 4; $NAME_RULE" ] ],

    [ 'duplicate balancer names', $ALB . <<'EOF',
  - name: web-lb
    type: NLB
    address: 127.0.0.2
EOF
      [ "5:11: $WEB.name: duplicate load balancer name \"web-lb\" (first at "
        . '2:11); load balancer names are unique in the file' ] ],

    [ 'balancer type unknown',
      "load_balancers:\n  - name: web-lb\n    type: CLB\n"
      . "    address: 127.0.0.1\n",
      [ "3:11: $WEB.type: \"CLB\" is not a valid value; allowed: ALB, NLB, "
        . 'NLB_L4_DSR' ] ],

    [ 'balancer address is a host name',
      "load_balancers:\n  - name: web-lb\n    type: ALB\n"
      . "    address: localhost\n",
      [ "4:14: $WEB.address: \"localhost\" is not an IPv4 or IPv6 address; "
        . 'allowed: an address such as 127.0.0.1 or ::1 (not a host name)' ] ],

    [ 'TCP listener on an ALB', $ALB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
EOF
      [ "7:19: $WEB.listeners[tcp].protocol: TCP listeners are not allowed "
        . 'on ALB load balancers; allowed: HTTP, HTTPS' ] ],

    [ 'listener port out of range', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 65536
EOF
      [ "8:24: $NET.listeners[tcp].protocol_port: 65536 is out of range; "
        . 'allowed: 1..65535' ] ],

    [ 'health_check_ips address not an IP', $NLB . <<'EOF',
    health_check_ips:
      - { subnet_id: subnet-a, address: checker.local }
EOF
      [ "6:41: $NET.health_check_ips[0].address: \"checker.local\" is not an "
        . 'IPv4 or IPv6 address; allowed: an address such as 127.0.0.1 or '
        . '::1 (not a host name)' ] ],

    [ 'health_check_ips entry without address', $NLB . <<'EOF',
    health_check_ips:
      - { subnet_id: subnet-a }
EOF
      [ "6:9: $NET.health_check_ips[0].address: missing; required" ] ],

    [ 'listener target group missing', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        target_group: no-such-tg
    target_groups:
      - name: tcp-tg
        protocol: TCP
EOF
      [ "9:23: $NET.listeners[tcp].target_group: target group "
        . '"no-such-tg" does not exist in this load balancer; allowed: the '
        . 'name of one of its target groups (tcp-tg)' ] ],

    [ 'HTTP listener with a TCP group', $ALB . <<'EOF',
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: 80
        target_group: tcp-tg
    target_groups:
      - name: tcp-tg
        protocol: TCP
EOF
      [ "9:23: $WEB.listeners[http].target_group: target group \"tcp-tg\" "
        . 'is TCP, which HTTP listeners cannot use; allowed: HTTP, PROXY '
        . 'target groups' ] ],

    [ 'HTTPS listener without certificate', $ALB . <<'EOF',
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: 443
EOF
      [ "6:9: $WEB.listeners[https].tls_certificate: missing; required "
        . '(protocol is HTTPS)',
        "6:9: $WEB.listeners[https].tls_key: missing; required (protocol "
        . 'is HTTPS)' ] ],

    [ 'alpn_protocols on an HTTP listener', $ALB . <<'EOF',
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: 80
        alpn_protocols: [h2]
EOF
      [ "9:25: $WEB.listeners[http].alpn_protocols: not allowed here: only "
        . 'on HTTPS listeners (protocol is HTTP)' ] ],

    [ 'alpn_protocols with an unknown protocol', $ALB . <<'EOF',
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: 443
        tls_certificate: conf/cert.pem
        tls_key: conf/key.pem
        alpn_protocols: [h2, h3]
EOF
      [ "11:30: $WEB.listeners[https].alpn_protocols: \"h3\" is not a "
        . 'valid value; allowed: a list of 1..2 distinct values of h2, '
        . 'http/1.1' ] ],

    [ 'alpn_protocols with a protocol twice', $ALB . <<'EOF',
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: 443
        tls_certificate: conf/cert.pem
        tls_key: conf/key.pem
        alpn_protocols: [h2, h2]
EOF
      [ "11:30: $WEB.listeners[https].alpn_protocols: \"h2\" is given "
        . 'twice; a value is given once' ] ],

    [ 'alpn_protocols empty', $ALB . <<'EOF',
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: 443
        tls_certificate: conf/cert.pem
        tls_key: conf/key.pem
        alpn_protocols: []
EOF
      [ "11:25: $WEB.listeners[https].alpn_protocols: 0 values given; "
        . 'allowed: a list of 1..2 distinct values of h2, http/1.1' ] ],

    [ 'alpn_protocols not a list', $ALB . <<'EOF',
    listeners:
      - name: https
        protocol: HTTPS
        protocol_port: 443
        tls_certificate: conf/cert.pem
        tls_key: conf/key.pem
        alpn_protocols: h2
EOF
      [ "11:25: $WEB.listeners[https].alpn_protocols: expected a list, "
        . 'found a single value; allowed: a list of 1..2 distinct values of '
        . 'h2, http/1.1' ] ],

    [ 'tls_key on a TCP listener', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        tls_key: conf/key.pem
EOF
      [ "9:18: $NET.listeners[tcp].tls_key: not allowed here: only on HTTPS "
        . 'and TLS listeners (protocol is TCP)' ] ],

    [ 'insert_headers on a TCP listener', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        insert_headers:
          X-Forwarded-For: "true"
EOF
      [ "10:11: $NET.listeners[tcp].insert_headers: not allowed here: only "
        . 'on HTTP and HTTPS listeners (protocol is TCP)' ] ],

    [ 'X-Forwarded-For unknown mode', $ALB . <<'EOF',
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: 80
        insert_headers: { X-Forwarded-For: append }
EOF
      [ "9:44: $WEB.listeners[http].insert_headers.X-Forwarded-For: "
        . '"append" is not a valid value; allowed: true, false, remove' ] ],

    [ 'connection_limit 0', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        connection_limit: 0
EOF
      [ "9:27: $NET.listeners[tcp].connection_limit: 0 is out of range; "
        . 'allowed: -1 (unlimited) or 1..1000000' ] ],

    [ 'timeout_client_data too small', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        timeout_client_data: 500
EOF
      [ "9:30: $NET.listeners[tcp].timeout_client_data: 500 is out of "
        . 'range; allowed: 1000..4000000 ms' ] ],

    [ 'timeout_client_handshake on a TCP listener', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        timeout_client_handshake: 2000
EOF
      [ "9:35: $NET.listeners[tcp].timeout_client_handshake: not allowed "
        . 'here: only on TLS listeners (protocol is TCP)' ] ],

    [ 'sessions_per_client 0', $NLB . <<'EOF',
    listeners:
      - name: udp
        protocol: UDP
        protocol_port: 53
        sessions_per_client: 0
EOF
      [ "9:30: $NET.listeners[udp].sessions_per_client: 0 is out of range; "
        . 'allowed: 1..1024' ] ],

    [ 'tls_ciphers on a TCP listener', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        tls_ciphers: HIGH
EOF
      [ "9:22: $NET.listeners[tcp].tls_ciphers: not allowed here: only on "
        . 'HTTPS and TLS listeners (protocol is TCP)' ] ],

    [ 'tls_ciphersuites with an unknown suite', $NLB . <<'EOF',
    listeners:
      - name: tls
        protocol: TLS
        protocol_port: 443
        tls_certificate: c.pem
        tls_key: k.pem
        tls_ciphersuites: TLS_AES_256_GCM_SHA384:TLS_AES_128_CBC_SHA256
EOF
      [ "11:27: $NET.listeners[tls].tls_ciphersuites: "
        . '"TLS_AES_256_GCM_SHA384:TLS_AES_128_CBC_SHA256": '
        . '"TLS_AES_128_CBC_SHA256" (item 2) is not a TLS 1.3 suite; '
        . "allowed: $SUITES_RULE" ] ],

    [ 'tls_ciphersuites with an empty item', $NLB . <<'EOF',
    listeners:
      - name: tls
        protocol: TLS
        protocol_port: 443
        tls_certificate: c.pem
        tls_key: k.pem
        tls_ciphersuites: "TLS_AES_128_GCM_SHA256:"
EOF
      [ "11:27: $NET.listeners[tls].tls_ciphersuites: "
        . '"TLS_AES_128_GCM_SHA256:": an empty name (item 2) is not a '
        . "TLS 1.3 suite; allowed: $SUITES_RULE" ] ],

    [ 'tls_ciphersuites naming a suite twice', $NLB . <<'EOF',
    listeners:
      - name: tls
        protocol: TLS
        protocol_port: 443
        tls_certificate: c.pem
        tls_key: k.pem
        tls_ciphersuites: TLS_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256
EOF
      [ "11:27: $NET.listeners[tls].tls_ciphersuites: "
        . '"TLS_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256": '
        . '"TLS_AES_128_GCM_SHA256" is named twice; '
        . "allowed: $SUITES_RULE" ] ],

    [ 'tls_ocsp_response on a TCP listener', $NLB . <<'EOF',
    listeners:
      - name: tcp
        protocol: TCP
        protocol_port: 80
        tls_ocsp_response: ocsp.der
EOF
      [ "9:28: $NET.listeners[tcp].tls_ocsp_response: not allowed here: "
        . 'only on HTTPS and TLS listeners (protocol is TCP)' ] ],

    [ 'tls_ticket_key_rotation 0', "tls_ticket_key_rotation: 0\n",
      [ '1:26: tls_ticket_key_rotation: 0 is out of range; allowed: '
        . '1..86400 seconds' ] ],

    [ 'tls_verify in an HTTP target group', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        tls_verify: true
EOF
      [ "8:21: $WEB.target_groups[web-tg].tls_verify: not allowed here: "
        . 'only in HTTPS target groups (protocol is HTTP)' ] ],

    [ 'tls_verify without tls_ca_certificate', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTPS
        tls_verify: true
EOF
      [ "8:21: $WEB.target_groups[web-tg].tls_verify: tls_verify needs "
        . 'tls_ca_certificate, the PEM file of the CAs that sign the '
        . "targets' certificates" ] ],

    [ 'one address and port in two balancers', <<'EOF',
load_balancers:
  - name: lb-one
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: tcp, protocol: TCP, protocol_port: 80 }
  - name: lb-two
    type: NLB
    address: 127.0.0.1
    listeners:
      - { name: tcp, protocol: TCP, protocol_port: 80 }
EOF
      [ '11:52: load_balancers[lb-two].listeners[tcp].protocol_port: '
        . '127.0.0.1:80/TCP is already used by '
        . 'load_balancers[lb-one].listeners[tcp] (at 6:52); an address, '
        . 'port and transport are used once' ] ],

    [ 'target group name ends with a dash', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg-
        protocol: TCP
EOF
      [ "6:15: $NET.target_groups[tcp-tg-].name: \"tcp-tg-\" ends with '-'; "
        . $NAME_RULE ] ],

    [ 'duplicate target group names', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
      - name: tcp-tg
        protocol: UDP
EOF
      [ "8:15: $NET.target_groups[tcp-tg].name: duplicate target group name "
        . '"tcp-tg" (first at 6:15); target group names are unique in a '
        . 'load balancer' ] ],

    [ 'proxy_protocol_version on a TCP group', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        proxy_protocol_version: 2
EOF
      [ "8:33: $NET.target_groups[tcp-tg].proxy_protocol_version: not "
        . 'allowed here: only in PROXY target groups (protocol is TCP)' ] ],

    [ 'alpn_protocols on a TCP group', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        alpn_protocols: [h2]
EOF
      [ "8:25: $NET.target_groups[tcp-tg].alpn_protocols: not allowed "
        . 'here: only in HTTP and HTTPS target groups (protocol is TCP)' ] ],

    [ 'alpn_protocols with two values', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        alpn_protocols: [h2, http/1.1]
EOF
      [ "8:25: $WEB.target_groups[web-tg].alpn_protocols: 2 values given; "
        . 'allowed: a list of one of h2, http/1.1' ] ],

    [ 'alpn_protocols with an unknown name', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTPS
        alpn_protocols: [h2c]
EOF
      [ "8:26: $WEB.target_groups[web-tg].alpn_protocols: \"h2c\" is not a "
        . 'valid value; allowed: a list of one of h2, http/1.1' ] ],

    [ 'alpn_protocols not a list', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        alpn_protocols: h2
EOF
      [ "8:25: $WEB.target_groups[web-tg].alpn_protocols: expected a list, "
        . 'found a single value; allowed: a list of one of h2, http/1.1' ] ],

    [ 'SOURCE_IP algorithm with sticky sessions', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        load_balancer_algorithm: SOURCE_IP
        session_persistence:
          type: SOURCE_IP
EOF
      [ "10:11: $NET.target_groups[tcp-tg].session_persistence: sticky "
        . 'sessions cannot be enabled with load_balancer_algorithm '
        . 'SOURCE_IP, which already keeps each client on one target; remove '
        . 'session_persistence or choose ROUND_ROBIN or LEAST_CONNECTIONS' ] ],

    [ 'sticky sessions on an HTTPS group', $ALB . <<'EOF',
    target_groups:
      - name: tls-tg
        protocol: HTTPS
        session_persistence:
          type: HTTP_COOKIE
EOF
      [ "9:17: $WEB.target_groups[tls-tg].session_persistence.type: sticky "
        . 'sessions are not available for HTTPS target groups; remove '
        . 'session_persistence' ] ],

    [ 'SOURCE_IP sticky behind an HTTP listener', $ALB . <<'EOF',
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: 80
        target_group: web-tg
    target_groups:
      - name: web-tg
        protocol: HTTP
        session_persistence:
          type: SOURCE_IP
EOF
      [ "14:17: $WEB.target_groups[web-tg].session_persistence.type: "
        . 'SOURCE_IP sticky sessions are not available for HTTP target '
        . 'groups behind HTTP listeners (listener "http" uses this group); '
        . 'allowed: HTTP_COOKIE, APP_COOKIE' ] ],

    [ 'APP_COOKIE without cookie_name', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        session_persistence:
          type: APP_COOKIE
EOF
      [ "9:11: $WEB.target_groups[web-tg].session_persistence.cookie_name: "
        . 'missing; required (type is APP_COOKIE)' ] ],

    [ 'cookie_name with a bad character', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        session_persistence:
          type: APP_COOKIE
          cookie_name: "sess id"
EOF
      [ "10:24: $WEB.target_groups[web-tg].session_persistence.cookie_name: "
        . '"sess id" has a space at position 5; allowed: 1..255 characters '
        . 'of A-Z a-z 0-9 ! # $ % ^ & _ * + ~ -' ] ],

    [ 'persistence_granularity not contiguous', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        session_persistence:
          type: SOURCE_IP
          persistence_granularity: 255.255.0.255
EOF
      [ "10:36: $NET.target_groups[tcp-tg].session_persistence"
        . '.persistence_granularity: "255.255.0.255" is not a contiguous '
        . 'netmask (a one bit follows a zero bit); allowed: an IPv4 or IPv6 '
        . 'netmask with contiguous ones, e.g. 255.255.255.0 or '
        . 'ffff:ffff:ffff:ffff::' ] ],

    [ 'persistence_timeout out of range', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        session_persistence:
          type: SOURCE_IP
          persistence_timeout: 604801
EOF
      [ "10:32: $NET.target_groups[tcp-tg].session_persistence"
        . '.persistence_timeout: 604801 is out of range; allowed: '
        . '1..604800 seconds' ] ],

    [ 'HTTP check on a TCP group', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        health_monitor:
          type: HTTP
EOF
      [ "9:17: $NET.target_groups[tcp-tg].health_monitor.type: HTTP health "
        . 'checks are not available for TCP target groups; allowed: PING, '
        . 'TCP' ] ],

    [ 'health check timeout not less than delay', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        health_monitor:
          type: TCP
          delay: 5
          timeout: 5
EOF
      [ "11:20: $NET.target_groups[tcp-tg].health_monitor.timeout: timeout "
        . '(5) must be less than delay (5)' ] ],

    [ 'url_path on a TCP check', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        health_monitor:
          type: TCP
          url_path: /healthz
EOF
      [ "10:21: $NET.target_groups[tcp-tg].health_monitor.url_path: not "
        . 'allowed here: only for HTTP and HTTPS health checks (type is '
        . 'TCP)' ] ],

    [ 'expected_codes reversed range', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          expected_codes: "200,399-300"
EOF
      [ "10:27: $WEB.target_groups[web-tg].health_monitor.expected_codes: "
        . '"200,399-300": the range 399-300 is reversed; allowed: 3-digit '
        . 'status codes 100..599: a code, a comma list, a range a-b with '
        . 'a <= b, or a mix, e.g. 200 | 201, 202 | 200-299 | 200,201-299' ] ],

    [ 'url_path without a slash', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          url_path: healthz
EOF
      [ "10:21: $WEB.target_groups[web-tg].health_monitor.url_path: "
        . '"healthz" does not start with \'/\'; allowed: \'/\' followed by '
        . 'up to 120 visible ASCII characters (no spaces, no \'#\', \'%\' '
        . 'only before two hex digits)' ] ],

    [ 'CONNECT check with a path', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          http_method: CONNECT
          url_path: /healthz
EOF
      [ "11:21: $WEB.target_groups[web-tg].health_monitor.url_path: "
        . '"/healthz" is not an authority host:port, which http_method '
        . 'CONNECT needs as its url_path (RFC 9110 9.3.6); allowed: with '
        . 'http_method CONNECT: host:port, the host a name of letters, '
        . "digits, '-' and '.', an IPv4 address or an [IPv6] address, the "
        . 'port 1..65535, e.g. backend.example:443' ] ],

    [ 'CONNECT check port out of range', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          http_method: CONNECT
          url_path: "[::1]:65536"
EOF
      [ "11:21: $WEB.target_groups[web-tg].health_monitor.url_path: "
        . '"[::1]:65536" is not an authority host:port, which http_method '
        . 'CONNECT needs as its url_path (RFC 9110 9.3.6); allowed: with '
        . 'http_method CONNECT: host:port, the host a name of letters, '
        . "digits, '-' and '.', an IPv4 address or an [IPv6] address, the "
        . 'port 1..65535, e.g. backend.example:443' ] ],

    [ 'http_version 2', $ALB . <<'EOF',
    target_groups:
      - name: web-tg
        protocol: HTTP
        health_monitor:
          type: HTTP
          http_version: 2.0
EOF
      [ "10:25: $WEB.target_groups[web-tg].health_monitor.http_version: "
        . '"2.0" is not a valid value; allowed: 1.0, 1.1' ] ],

    [ 'max_retries out of range', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        health_monitor:
          type: PING
          max_retries: 11
EOF
      [ "10:24: $NET.target_groups[tcp-tg].health_monitor.max_retries: 11 "
        . 'is out of range; allowed: 1..10' ] ],

    [ 'weight 257', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        members:
          - name: web-1
            address: 127.0.0.1
            protocol_port: 9001
            weight: 257
EOF
      [ "12:21: $NET.target_groups[tcp-tg].members[web-1].weight: 257 is "
        . 'out of range; allowed: 0..256' ] ],

    [ 'duplicate member', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        members:
          - { address: 127.0.0.1, protocol_port: 9001 }
          - { address: 127.0.0.1, protocol_port: 9001 }
EOF
      [ "10:24: $NET.target_groups[tcp-tg].members[1].address: duplicate "
        . 'member 127.0.0.1:9001 (first at 9:24); address and protocol_port '
        . 'are unique in a target group' ] ],

    [ 'member address is a host name', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        members:
          - { address: backend1, protocol_port: 9001 }
EOF
      [ "9:24: $NET.target_groups[tcp-tg].members[0].address: \"backend1\" "
        . 'is not an IPv4 or IPv6 address; allowed: an address such as '
        . '127.0.0.1 or ::1 (not a host name)' ] ],

    [ 'monitor_port 0', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        members:
          - { address: 127.0.0.1, protocol_port: 9001, monitor_port: 0 }
EOF
      [ "9:70: $NET.target_groups[tcp-tg].members[0].monitor_port: 0 is out "
        . 'of range; allowed: 1..65535' ] ],

    [ 'unknown member field', $NLB . <<'EOF',
    target_groups:
      - name: tcp-tg
        protocol: TCP
        members:
          - { address: 127.0.0.1, protocol_port: 9001, backup: true }
EOF
      [ "9:56: $NET.target_groups[tcp-tg].members[0].backup: unknown field "
        . '"backup"; allowed: id, name, address, protocol_port, weight, '
        . 'monitor_port, subnet_id, instance_id, instance_name' ] ],

    # issue 14: DSR runs (t/dsr.t); its packet path forwards IPv4 only
    [ 'NLB_L4_DSR on an IPv6 address', <<'EOF',
load_balancers:
  - name: dsr-lb
    type: NLB_L4_DSR
    address: "::1"
    listeners:
      - { name: tcp, protocol: TCP, protocol_port: 80, target_group: dsr-tg }
    target_groups:
      - { name: dsr-tg, protocol: TCP }
EOF
      [ '2:5: load_balancers[dsr-lb].address: the NLB_L4_DSR packet path '
        . 'forwards IPv4 only' ] ],

    [ 'DSR target port differs from the listener port', $DSR . <<'EOF',
    listeners:
      - { name: tcp, protocol: TCP, protocol_port: 80, target_group: dsr-tg }
    target_groups:
      - name: dsr-tg
        protocol: TCP
        members:
          - { address: 127.0.0.5, protocol_port: 8080 }
EOF
      [ '11:50: load_balancers[dsr-lb].target_groups[dsr-tg].members[0]'
        . '.protocol_port: 8080 differs from port 80 of listener "tcp"; on '
        . "an NLB_L4_DSR load balancer targets listen on the listener's "
        . 'port' ] ],

    [ 'DSR group serving two listeners', $DSR . <<'EOF',
    listeners:
      - { name: a, protocol: TCP, protocol_port: 80, target_group: dsr-tg }
      - { name: b, protocol: TCP, protocol_port: 81, target_group: dsr-tg }
    target_groups:
      - { name: dsr-tg, protocol: TCP }
EOF
      [ '7:68: load_balancers[dsr-lb].listeners[b].target_group: target '
        . 'group "dsr-tg" already serves listener "a" (at 6:68); on an '
        . 'NLB_L4_DSR load balancer a target group serves one listener '
        . 'only' ] ],

    [ 'DSR listener with a PROXY group', $DSR . <<'EOF',
    listeners:
      - { name: a, protocol: TCP, protocol_port: 80, target_group: px-tg }
    target_groups:
      - { name: px-tg, protocol: PROXY }
EOF
      [ '6:68: load_balancers[dsr-lb].listeners[a].target_group: target '
        . 'group "px-tg" is PROXY, which TCP listeners of NLB_L4_DSR load '
        . 'balancers cannot use; allowed: TCP target groups' ] ],

    # issue 18: IP_FREEBIND is for listening sockets; a DSR balancer binds
    # none to its address
    [ 'freebind on an NLB_L4_DSR balancer', $DSR . "    freebind: true\n",
      [ '5:15: load_balancers[dsr-lb].freebind: not allowed here: only on '
        . 'ALB and NLB load balancers (type is NLB_L4_DSR)' ] ],

    [ 'freebind not a boolean', $NLB . "    freebind: 1\n",
      [ "5:15: $NET.freebind: \"1\" is not a boolean; allowed: true, "
        . 'false' ] ],

    [ 'bad id', <<'EOF',
load_balancers:
  - id: not-a-uuid
    name: web-lb
    type: ALB
    address: 127.0.0.1
EOF
      [ "2:9: $WEB.id: \"not-a-uuid\" is too short (10 characters); "
        . 'allowed: a UUID, 8-4-4-4-12 hexadecimal digits' ] ],

    [ 'several errors at once', <<'EOF' . $NLB,
worker_processes: 0
daemon: maybe
EOF
      [ '1:19: worker_processes: 0 is out of range; allowed: auto or 1..64',
        '2:9: daemon: "maybe" is not a boolean; allowed: true, false' ] ],
);


# SPEC.md section 11: L7 policies (every rule: t/unit/core/test_lb_conf_l7.c)
my $L7 = $ALB . <<'EOF';
    listeners:
      - name: http
        protocol: HTTP
        protocol_port: 8080
        l7_policies:
EOF
my $L7P = "$WEB.listeners[http].l7_policies[p]";
my $L7G = <<'EOF';
    target_groups:
      - { name: tls-tg, protocol: HTTPS }
  - name: other-lb
    type: ALB
    address: 127.0.0.2
    target_groups:
      - { name: other-tg, protocol: HTTP }
EOF

push @cases,
    [ 'L7: bad regex', $L7 . <<'EOF',
          - name: p
            action: REJECT
            rules:
              - { type: PATH, compare_type: REGEX, value: "^/a(" }
EOF
      [ "13:59: $L7P.rules[0].value: invalid regular expression at offset "
        . '4: missing closing parenthesis' ] ],

    [ 'L7: FILE_TYPE with CONTAINS', $L7 . <<'EOF',
          - name: p
            action: REJECT
            rules:
              - { type: FILE_TYPE, compare_type: CONTAINS, value: php }
EOF
      [ "13:50: $L7P.rules[0].compare_type: CONTAINS is not allowed for "
        . 'FILE_TYPE rules; allowed: REGEX, EQUAL_TO' ] ],

    [ 'L7: HEADER without key', $L7 . <<'EOF',
          - name: p
            action: REJECT
            rules:
              - { type: HEADER, compare_type: EQUAL_TO, value: x }
EOF
      [ "13:17: $L7P.rules[0].key: missing; required (type is HEADER)" ] ],

    [ 'L7: 51 rules', $L7 . "          - name: p\n"
      . "            action: REJECT\n            rules:\n"
      . join('', map { "              - { type: PATH, compare_type: "
                       . "EQUAL_TO, value: /$_ }\n" } 1 .. 51),
      [ "13:15: $L7P.rules: 51 rules; allowed: at most 50 rules per "
        . 'policy' ] ],

    [ 'L7: group of another balancer', $L7 . <<'EOF' . $L7G,
          - name: p
            action: REDIRECT_TO_POOL
            redirect_target_group: other-tg
EOF
      [ "12:36: $L7P.redirect_target_group: target group \"other-tg\" does "
        . 'not exist in this load balancer; allowed: the name of one of '
        . 'its target groups' ] ],

    [ 'L7: group of a protocol the listener cannot use',
      $L7 . <<'EOF' . $L7G,
          - name: p
            action: REDIRECT_TO_POOL
            redirect_target_group: tls-tg
EOF
      [ "12:36: $L7P.redirect_target_group: target group \"tls-tg\" is "
        . 'HTTPS, which HTTP listeners cannot use; allowed: HTTP, PROXY '
        . 'target groups' ] ],

    [ 'L7: value with CR', $L7 . <<'EOF',
          - name: p
            action: REJECT
            rules:
              - { type: PATH, compare_type: EQUAL_TO, value: "/a\rb" }
EOF
      [ "13:62: $L7P.rules[0].value: \"/a\\x0db\" has CR at position 3; "
        . 'allowed: 1..255 characters without CR or LF' ] ],

    [ 'L7: bad redirect code', $L7 . <<'EOF',
          - name: p
            action: REDIRECT_TO_URL
            redirect_url: https://example.com/
            redirect_http_code: 304
EOF
      [ "13:33: $L7P.redirect_http_code: 304 is not a redirect code; "
        . 'allowed: 301, 302, 303, 307, 308' ] ];

cmp_ok(scalar(@cases), '>=', 35, 'at least 35 invalid configurations');

my $n = 0;

for my $c (@cases) {
    my ($name, $yaml, $want) = @$c;
    my $file = sprintf('%s/%02d.yaml', $dir, ++$n);

    open(my $fh, '>', $file) or die "$file: $!";
    print $fh $yaml;
    close($fh);

    my $pid = open(my $out, '-|');
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT) or die "dup: $!";
        exec($weir, '-t', '-c', $file) or die "exec $weir: $!";
    }
    my @lines = <$out>;
    close($out);
    my $rc = $? >> 8;

    # the error lines, from the file name on (a log prefix may precede it)
    my @got;
    for my $l (@lines) {
        chomp $l;
        push @got, substr($l, index($l, "$file:")) if index($l, "$file:") >= 0;
    }

    is($rc, 1, "$name: exit status 1");
    is_deeply(\@got, [ map { "$file:$_" } @$want ], "$name: messages")
        or diag(join("\n", @lines));
}

done_testing();
