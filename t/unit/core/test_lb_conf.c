/* weir: configuration parser, the whole: top-level fields and defaults,
 * YAML syntax errors, unknown and repeated fields, several errors at once,
 * ids, back-pointers and addresses, the dump round trip. The rules of each
 * object are in test_lb_conf_objects.c, _sticky.c, _health.c and _dsr.c. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_lb_conf_helpers.h"

#define LBT_FULL                                                            \
    "worker_processes: 3\n"                                                 \
    "daemon: false\n"                                                       \
    "user: nobody\n"                                                        \
    "error_log: /var/log/weir/error.log\n"                                  \
    "log_level: notice\n"                                                   \
    "pid_file: run/weir.pid\n"                                              \
    "access_log: logs/access.log\n"                                         \
    "shutdown_timeout: 0\n"                                                 \
    "admin:\n"                                                              \
    "  listen: \"[::1]:9090\"\n"                                            \
    "  token_file: conf/admin.token\n"                                      \
    "load_balancers:\n"                                                     \
    "  - name: web-lb\n"                                                    \
    "    type: ALB\n"                                                       \
    "    address: 127.0.0.1\n"                                              \
    "    availability_zone: zone-a\n"                                       \
    "    vpc: vpc-main\n"                                                   \
    "    listeners:\n"                                                      \
    "      - name: http\n"                                                  \
    "        protocol: HTTP\n"                                              \
    "        protocol_port: 8080\n"                                         \
    "        target_group: web-tg\n"                                        \
    "        timeout_client_header: 2000\n"                                 \
    "        timeout_member_connect: 1500\n"                                \
    "        timeout_member_data: 3000\n"                                   \
    "        insert_headers: { X-Forwarded-For: remove, "                   \
    "X-Forwarded-Proto: \"true\", X-Forwarded-Port: true }\n"               \
    "      - name: https\n"                                                 \
    "        protocol: HTTPS\n"                                             \
    "        protocol_port: 8443\n"                                         \
    "        target_group: tls-tg\n"                                        \
    "        tls_certificate: conf/cert.pem\n"                              \
    "        tls_key: conf/key.pem\n"                                       \
    "        sni_certificates:\n"                                           \
    "          - { tls_certificate: conf/a.pem, tls_key: conf/a.key }\n"    \
    "        tls_min_version: TLSv1.3\n"                                    \
    "    target_groups:\n"                                                  \
    "      - name: web-tg\n"                                                \
    "        protocol: HTTP\n"                                              \
    "        load_balancer_algorithm: LEAST_CONNECTIONS\n"                  \
    "        session_persistence: { type: APP_COOKIE, cookie_name: SID }\n" \
    "        health_monitor:\n"                                             \
    "          type: HTTP\n"                                                \
    "          http_method: HEAD\n"                                         \
    "          http_version: 1.0\n"                                         \
    "          url_path: /healthz?full=1\n"                                 \
    "          expected_codes: \"200, 301-302\"\n"                          \
    "        members:\n"                                                    \
    "          - { name: web-1, address: 127.0.0.1, protocol_port: 9001,"   \
    " weight: 0, monitor_port: 9101, subnet_id: subnet-a,"                  \
    " instance_id: i-1, instance_name: \"web one\" }\n"                     \
    "          - { address: \"::1\", protocol_port: 9002 }\n"               \
    "      - name: tls-tg\n"                                                \
    "        protocol: HTTPS\n"                                             \
    "        health_monitor: { type: HTTPS }\n"                             \
    "        members: [ { address: 127.0.0.1, protocol_port: 9443 } ]\n"   \
    "  - name: l4-lb\n"                                                     \
    "    type: NLB\n"                                                       \
    "    address: \"::1\"\n"                                                \
    "    listeners:\n"                                                      \
    "      - { name: tcp, protocol: TCP, protocol_port: 7000,"              \
    " target_group: src-tg }\n"                                             \
    "      - { name: px, protocol: TCP, protocol_port: 7001,"               \
    " target_group: proxy-tg }\n"                                           \
    "    target_groups:\n"                                                  \
    "      - name: src-tg\n"                                                \
    "        protocol: TCP\n"                                               \
    "        session_persistence: { type: SOURCE_IP,"                       \
    " persistence_granularity: \"ffff:ffff:ffff::\" }\n"                    \
    "        health_monitor: { type: PING, delay: 10, timeout: 2 }\n"       \
    "        members: [ { address: \"::1\", protocol_port: 7100 } ]\n"     \
    "      - name: proxy-tg\n"                                              \
    "        protocol: PROXY\n"                                             \
    "        proxy_protocol_version: 2\n"


static void
test_defaults(void **state)
{
    long                  ncpu;
    lb_conf_t            *c;
    lb_listener_t        *l;
    lb_target_t          *t;
    lb_target_group_t    *tg;
    lb_health_monitor_t  *hm;

    (void) state;

    c = lbt_ok(LBT_ALB
               "    listeners:\n"
               "      - { name: http, protocol: HTTP, protocol_port: 80 }\n"
               "    target_groups:\n"
               "      - name: web-tg\n"
               "        protocol: HTTP\n"
               "        health_monitor: { type: HTTP }\n"
               "        members: [ { address: 127.0.0.1,"
               " protocol_port: 9001 } ]\n");

    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    assert_true(c->worker_processes_auto);
    assert_int_equal(c->worker_processes,
                     ncpu < 1 ? 1 : ncpu > 64 ? 64 : ncpu);
    assert_true(c->daemon);
    assert_null(c->user);
    assert_string_equal(c->error_log, "logs/error.log");
    assert_int_equal(c->log_level, LB_LOG_INFO);
    assert_string_equal(c->pid_file, "logs/weir.pid");
    assert_null(c->access_log);
    assert_int_equal(c->shutdown_timeout, 30000);
    assert_null(c->admin);
    assert_string_equal(c->file, "t.yaml");

    l = &c->balancers[0].listeners[0];
    assert_null(l->target_group_name);
    assert_null(l->target_group);
    assert_int_equal(l->x_forwarded_for, LB_XFF_TRUE);
    assert_false(l->x_forwarded_proto);
    assert_false(l->x_forwarded_port);
    assert_int_equal(l->timeout_client_data, 50000);
    assert_int_equal(l->timeout_client_header, 10000);
    assert_int_equal(l->timeout_member_connect, 5000);
    assert_int_equal(l->timeout_member_data, 50000);
    assert_int_equal(l->connection_limit, -1);
    assert_null(l->tls.certificate);
    assert_int_equal(l->nsni_certificates, 0);

    tg = &c->balancers[0].target_groups[0];
    assert_int_equal(tg->load_balancer_algorithm, LB_ALGO_ROUND_ROBIN);
    assert_null(tg->session_persistence);

    hm = tg->health_monitor;
    assert_non_null(hm);
    assert_int_equal(hm->delay, 30 * 1000);
    assert_int_equal(hm->timeout, 5 * 1000);
    assert_int_equal(hm->max_retries, 5);
    assert_int_equal(hm->max_retries_down, 2);
    assert_int_equal(hm->http_method, LB_METHOD_GET);
    assert_string_equal(hm->http_version, "1.1");
    assert_string_equal(hm->url_path, "/");
    assert_string_equal(hm->expected_codes, "200");
    assert_true(hm->codes[200 / 8] & (1 << (200 % 8)));
    assert_false(hm->codes[201 / 8] & (1 << (201 % 8)));

    t = &tg->targets[0];
    assert_int_equal(t->weight, 1);
    assert_int_equal(t->monitor_port, 9001);
    assert_null(t->name);
    assert_null(t->subnet_id);
}


static void
test_all_fields(void **state)
{
    lb_conf_t            *c;
    lb_load_balancer_t   *lb;
    lb_listener_t        *l;
    lb_target_t          *t;
    lb_persistence_t     *sp;
    lb_target_group_t    *tg;
    lb_health_monitor_t  *hm;

    (void) state;

    c = lbt_ok(LBT_FULL);

    assert_int_equal(c->worker_processes, 3);
    assert_false(c->worker_processes_auto);
    assert_false(c->daemon);
    assert_string_equal(c->user, "nobody");
    assert_string_equal(c->error_log, "/var/log/weir/error.log");
    assert_int_equal(c->log_level, LB_LOG_NOTICE);
    assert_string_equal(c->pid_file, "run/weir.pid");
    assert_string_equal(c->access_log, "logs/access.log");
    assert_int_equal(c->shutdown_timeout, 0);
    assert_non_null(c->admin);
    assert_string_equal(c->admin->listen, "[::1]:9090");
    assert_string_equal(c->admin->addr.text, "[::1]:9090");
    assert_int_equal(c->admin->addr.sa.ss_family, AF_INET6);
    assert_string_equal(c->admin->token_file, "conf/admin.token");

    assert_int_equal(c->nbalancers, 2);
    lb = &c->balancers[0];
    assert_string_equal(lb->name, "web-lb");
    assert_int_equal(lb->type, LB_BALANCER_ALB);
    assert_string_equal(lb->availability_zone, "zone-a");
    assert_string_equal(lb->vpc, "vpc-main");
    assert_int_equal(lb->nlisteners, 2);
    assert_int_equal(lb->ntarget_groups, 2);

    l = &lb->listeners[0];
    assert_int_equal(l->timeout_client_header, 2000);
    assert_int_equal(l->timeout_member_connect, 1500);
    assert_int_equal(l->timeout_member_data, 3000);
    assert_int_equal(l->x_forwarded_for, LB_XFF_REMOVE);
    assert_true(l->x_forwarded_proto);
    assert_true(l->x_forwarded_port);
    assert_ptr_equal(l->target_group, &lb->target_groups[0]);

    l = &lb->listeners[1];
    assert_string_equal(l->tls.certificate, "conf/cert.pem");
    assert_string_equal(l->tls.key, "conf/key.pem");
    assert_int_equal(l->nsni_certificates, 1);
    assert_string_equal(l->sni_certificates[0].certificate, "conf/a.pem");
    assert_string_equal(l->sni_certificates[0].key, "conf/a.key");
    assert_int_equal(l->tls_min_version, LB_TLSv1_3);
    assert_ptr_equal(l->target_group, &lb->target_groups[1]);

    tg = &lb->target_groups[0];
    assert_int_equal(tg->load_balancer_algorithm,
                     LB_ALGO_LEAST_CONNECTIONS);
    sp = tg->session_persistence;
    assert_int_equal(sp->type, LB_PERSIST_APP_COOKIE);
    assert_int_equal(sp->persistence_timeout, 360 * 1000);
    assert_string_equal(sp->cookie_name, "SID");
    assert_null(sp->persistence_granularity);

    hm = tg->health_monitor;
    assert_int_equal(hm->http_method, LB_METHOD_HEAD);
    assert_string_equal(hm->http_version, "1.0");
    assert_string_equal(hm->url_path, "/healthz?full=1");

    t = &tg->targets[0];
    assert_string_equal(t->name, "web-1");
    assert_int_equal(t->weight, 0);
    assert_int_equal(t->monitor_port, 9101);
    assert_string_equal(t->subnet_id, "subnet-a");
    assert_string_equal(t->instance_id, "i-1");
    assert_string_equal(t->instance_name, "web one");
    assert_string_equal(tg->targets[1].addr.text, "[::1]:9002");

    tg = &c->balancers[1].target_groups[0];
    sp = tg->session_persistence;
    assert_int_equal(sp->type, LB_PERSIST_SOURCE_IP);
    assert_int_equal(sp->mask_family, AF_INET6);
    assert_int_equal(sp->mask[5], 0xff);
    assert_int_equal(sp->mask[6], 0);
    assert_int_equal(tg->health_monitor->type, LB_CHECK_PING);
    assert_null(tg->health_monitor->url_path);

    tg = &c->balancers[1].target_groups[1];
    assert_int_equal(tg->proxy_protocol_version, 2);
    assert_int_equal(tg->ntargets, 0);
}


static void
test_links_and_addresses(void **state)
{
    uint32_t              b, i, g, m;
    lb_conf_t            *c;
    lb_load_balancer_t   *lb;
    lb_listener_t        *l;
    lb_target_group_t    *tg;
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    (void) state;

    c = lbt_ok(LBT_FULL);

    for (b = 0; b < c->nbalancers; b++) {
        lb = &c->balancers[b];
        assert_int_equal(lb->index, b);

        for (i = 0; i < lb->nlisteners; i++) {
            assert_ptr_equal(lb->listeners[i].balancer, lb);
            assert_int_equal(lb->listeners[i].index, i);
        }

        for (g = 0; g < lb->ntarget_groups; g++) {
            tg = &lb->target_groups[g];
            assert_ptr_equal(tg->balancer, lb);
            assert_int_equal(tg->index, g);

            for (m = 0; m < tg->ntargets; m++) {
                assert_ptr_equal(tg->targets[m].group, tg);
                assert_int_equal(tg->targets[m].index, m);
            }
        }
    }

    l = &c->balancers[0].listeners[0];
    sin = (struct sockaddr_in *) &l->addr.sa;
    assert_string_equal(l->addr.text, "127.0.0.1:8080");
    assert_int_equal(sin->sin_family, AF_INET);
    assert_int_equal(ntohs(sin->sin_port), 8080);
    assert_int_equal(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    assert_int_equal(l->addr.socklen, sizeof(struct sockaddr_in));

    l = &c->balancers[1].listeners[0];
    sin6 = (struct sockaddr_in6 *) &l->addr.sa;
    assert_string_equal(l->addr.text, "[::1]:7000");
    assert_int_equal(sin6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(sin6->sin6_port), 7000);
    assert_int_equal(l->addr.socklen, sizeof(struct sockaddr_in6));

    assert_string_equal(c->balancers[0].target_groups[0].targets[0].addr.text,
                        "127.0.0.1:9001");
}


static void
test_worker_processes(void **state)
{
    (void) state;

    assert_int_equal(lbt_ok("worker_processes: 1\n")->worker_processes, 1);
    assert_int_equal(lbt_ok("worker_processes: 64\n")->worker_processes, 64);
    assert_true(lbt_ok("worker_processes: auto\n")->worker_processes_auto);
    assert_true(lbt_ok("worker_processes: auto\n")->worker_processes >= 1);

    lbt_error("worker_processes: 0\n",
              "1:19: worker_processes: 0 is out of range; allowed: auto or "
              "1..64");
    lbt_error("worker_processes: 65\n",
              "1:19: worker_processes: 65 is out of range; allowed: auto or "
              "1..64");
    lbt_error("worker_processes: many\n",
              "1:19: worker_processes: \"many\" is not a number; allowed: "
              "auto or 1..64");
    lbt_error("worker_processes: 0x10\n",
              "1:19: worker_processes: \"0x10\" is not a number; allowed: "
              "auto or 1..64");
}


static void
test_top_level_fields(void **state)
{
    (void) state;

    assert_false(lbt_ok("daemon: false\n")->daemon);
    assert_int_equal(lbt_ok("log_level: debug\n")->log_level, LB_LOG_DEBUG);
    assert_int_equal(lbt_ok("log_level: warn\n")->log_level, LB_LOG_WARN);
    assert_int_equal(lbt_ok("log_level: error\n")->log_level, LB_LOG_ERR);
    assert_int_equal(lbt_ok("shutdown_timeout: 3600000\n")->shutdown_timeout,
                     3600000);

    lbt_error("daemon: yes\n",
              "1:9: daemon: \"yes\" is not a boolean; allowed: true, false");
    lbt_error("log_level: crit\n",
              "1:12: log_level: \"crit\" is not a valid value; allowed: "
              "debug, info, notice, warn, error");
    lbt_error("shutdown_timeout: 3600001\n",
              "1:19: shutdown_timeout: 3600001 is out of range; allowed: "
              "0..3600000 ms");
    lbt_error("shutdown_timeout: -1\n",
              "1:19: shutdown_timeout: -1 is out of range; allowed: "
              "0..3600000 ms");
    lbt_error("user: \"\"\n",
              "1:7: user: \"\" is too short (0 characters); allowed: "
              "1..255 characters");
    lbt_error("pid_file:\n",
              "1:1: pid_file: no value; allowed: a file path");
    lbt_error("error_log: [a, b]\n",
              "1:12: error_log: expected a single value, found a list; "
              "allowed: a file path or syslog[:OPTIONS]");
    lbt_error("user: no-such-user-weir\n",
              "1:7: user: user \"no-such-user-weir\" does not exist on this "
              "system; allowed: a user of this system (the worker, checker "
              "and admin processes run as it)");
    lbt_error("error_log: \"syslog:facility=local8\"\n",
              "1:12: error_log: \"local8\" is not a syslog facility; allowed: "
              "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, "
              "cron, authpriv, ftp, local0..local7");
    lbt_error("access_log: \"syslog:tag=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
              "1:13: access_log: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not "
              "a syslog tag; allowed: 1..32 characters of A-Z a-z 0-9 _ . -");
    lbt_error("access_log: \"syslog:facility=local0,path=\"\n",
              "1:13: access_log: \"\" is not a syslog socket path; allowed: "
              "an absolute path of at most 107 bytes, as the last option");
    lbt_error("access_log: \"syslog:,tag=x\"\n",
              "1:13: access_log: \"\" is not an option; allowed: syslog, or "
              "syslog: followed by facility=NAME, tag=NAME, path=/SOCKET "
              "separated by commas");
    lbt_error("access_log_compress: true\n",
              "1:22: access_log_compress: true needs an access_log file");
}


static void
test_admin(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok("admin: { listen: 127.0.0.1:9090, token_file: t }\n");
    assert_string_equal(c->admin->addr.text, "127.0.0.1:9090");
    assert_int_equal(c->admin->pos.line, 1);
    assert_int_equal(c->admin->pos.col, 8);

    lbt_errors("admin: {}\n",
               "1:8: admin.token_file: missing; required", NULL);

    /* listen defaults to loopback, and must stay there without TLS */
    c = lbt_ok("admin: { token_file: t }\n");
    assert_string_equal(c->admin->addr.text, "127.0.0.1:9090");

    c = lbt_ok("admin: { listen: \"127.1.2.3:80\", token_file: t }\n");
    assert_string_equal(c->admin->addr.text, "127.1.2.3:80");

    c = lbt_ok("admin: { listen: \"[::ffff:127.0.0.1]:80\", token_file: t }"
               "\n");
    assert_int_equal(c->admin->addr.sa.ss_family, AF_INET6);

#define LBT_ADMIN_TLS_RULE                                                  \
    " is not a loopback address and the admin listener has no TLS: its "   \
    "token would cross the network in clear; allowed: an address of "      \
    "127.0.0.0/8 or [::1], or admin.certificate and admin.key with "       \
    "admin.token_file"

    lbt_error("admin: { token_file: t, listen: \"192.0.2.1:9090\" }\n",
              "1:33: admin.listen: \"192.0.2.1:9090\"" LBT_ADMIN_TLS_RULE);

    lbt_error("admin: { token_file: t, listen: \"[::]:9090\" }\n",
              "1:33: admin.listen: \"[::]:9090\"" LBT_ADMIN_TLS_RULE);

    /* with TLS (both files) any address; the files are loaded later, by
     * lb_admin_init_conf() */
    c = lbt_ok("admin: { token_file: t, listen: \"0.0.0.0:9090\", "
               "certificate: c.pem, key: k.pem }\n");
    assert_string_equal(c->admin->certificate, "c.pem");
    assert_string_equal(c->admin->key, "k.pem");
    assert_false(c->admin->metrics_public);

    lbt_errors("admin: { token_file: t, listen: \"[::]:9090\", "
              "key: k.pem }\n",
              "1:8: admin.certificate: missing; required with admin.key "
              "(both or neither)",
              "1:33: admin.listen: \"[::]:9090\"" LBT_ADMIN_TLS_RULE,
              NULL);

    c = lbt_ok("admin: { token_file: t, metrics_public: true }\n");
    assert_true(c->admin->metrics_public);
    assert_null(c->admin->certificate);

#define LBT_LISTEN_ERR(v, col)                                              \
    lbt_error("admin: { token_file: t, listen: " v " }\n",                 \
              "1:" col ": admin.listen: " v " is not an address with a "   \
              "port; allowed: IPv4:port or [IPv6]:port with a port "       \
              "1..65535, e.g. 127.0.0.1:9090 or [::1]:9090")

    LBT_LISTEN_ERR("\"127.0.0.1\"", "33");
    LBT_LISTEN_ERR("\"localhost:9090\"", "33");
    LBT_LISTEN_ERR("\"127.0.0.1:0\"", "33");
    LBT_LISTEN_ERR("\"127.0.0.1:65536\"", "33");
    LBT_LISTEN_ERR("\"::1:9090\"", "33");
    LBT_LISTEN_ERR("\"[127.0.0.1]:9090\"", "33");
    LBT_LISTEN_ERR("\"[::1]9090\"", "33");

#undef LBT_LISTEN_ERR

    lbt_error("admin: { listen: 127.0.0.1:9090, token_file: t }\n"
              LBT_NLB
              "    listeners:\n"
              "      - { name: tcp, protocol: TCP, protocol_port: 9090 }\n"
              "      - { name: udp, protocol: UDP, protocol_port: 9090 }\n",
              "7:52: load_balancers[net-lb].listeners[tcp].protocol_port: "
              "127.0.0.1:9090/TCP is already used by admin.listen (at 1:18);"
              " an address, port and transport are used once");
}


static void
test_unknown_and_repeated_fields(void **state)
{
    (void) state;

    lbt_error("workers: 4\n",
              "1:1: workers: unknown field \"workers\"; allowed: "
              "worker_processes, daemon, user, error_log, log_level, "
              "pid_file, access_log, access_log_compress, shutdown_timeout, "
              "tls_ticket_key_rotation, admin, peers, "
              "load_balancers");

    lbt_error(LBT_ALB
              "    listen: 80\n",
              "5:5: load_balancers[web-lb].listen: unknown field \"listen\"; "
              "allowed: id, name, type, address, freebind, availability_zone, "
              "vpc, listeners, target_groups, health_check_ips");

    lbt_errors(LBT_NLB
               "    target_groups:\n"
               "      - { name: tcp-tg, protocol: TCP, members: "
               "[ { address: 127.0.0.1, port: 80 } ] }\n",
               "6:51: load_balancers[net-lb].target_groups[tcp-tg]"
               ".members[0].protocol_port: missing; required",
               "6:73: load_balancers[net-lb].target_groups[tcp-tg].members[0]"
               ".port: unknown field \"port\"; allowed: id, name, address, "
               "protocol_port, weight, monitor_port, subnet_id, instance_id, "
               "instance_name", NULL);

    lbt_error("daemon: true\n"
              "log_level: info\n"
              "daemon: false\n",
              "3:1: daemon: written twice (first at 1:1); a field is "
              "written once");

    /* a merge key is not a field either */
    lbt_error("base: &b { daemon: false }\n",
              "1:1: base: unknown field \"base\"; allowed: "
              "worker_processes, daemon, user, error_log, log_level, "
              "pid_file, access_log, access_log_compress, shutdown_timeout, "
              "tls_ticket_key_rotation, admin, peers, "
              "load_balancers");
}


static void
test_wrong_shapes(void **state)
{
    (void) state;

    lbt_error("- a\n- b\n",
              "1:1: expected a mapping of top-level fields, found a list");
    lbt_error("just text\n",
              "1:1: expected a mapping of top-level fields, found a single "
              "value");
    lbt_error("",
              "1:1: the configuration is empty; expected a mapping of "
              "top-level fields such as load_balancers");
    lbt_error("# only a comment\n",
              "1:1: the configuration is empty; expected a mapping of "
              "top-level fields such as load_balancers");
    lbt_error("load_balancers: {}\n",
              "1:17: load_balancers: expected a list of load balancers, "
              "found a mapping");
    lbt_error("load_balancers:\n  - [ 1 ]\n",
              "2:5: load_balancers[0]: expected a mapping of load balancer "
              "fields, found a list");
    lbt_error("admin: 1\n",
              "1:8: admin: expected a mapping of admin fields, found a "
              "single value");
    lbt_error(LBT_ALB
              "    listeners: x\n",
              "5:16: load_balancers[web-lb].listeners: expected a list of "
              "listeners, found a single value");
}


static void
test_yaml_syntax(void **state)
{
    (void) state;

    lbt_error("load_balancers: [\n",
              "2:1: syntax error: did not find expected node content (while "
              "parsing a flow node at 2:1)");
    lbt_error("load_balancers:\n"
              "  - name: web-lb\n"
              "   type: ALB\n",
              "3:4: syntax error: did not find expected '-' indicator (while "
              "parsing a block collection at 2:3)");
    lbt_error("daemon: true\n"
              "\tlog_level: info\n",
              "2:1: syntax error: found a tab character that violates "
              "indentation (while scanning a plain scalar at 1:9)");
    lbt_error("daemon: true\n---\ndaemon: false\n",
              "2:1: syntax error: a second YAML document; the configuration "
              "is one document");
    lbt_error("daemon: *nothing\n",
              "1:9: syntax error: alias to an undefined anchor");
}


/* issue 13 defect 1: an alias inside the node its anchor names shared a
 * chain of children that was still growing (the walker sized arrays from
 * n and followed the chain: a heap overflow in weir -t and in a master
 * reloading such a file); it is refused */
static void
test_alias_open(void **state)
{
    (void) state;

    lbt_error("load_balancers: &L\n"
              "  - name: first-lb\n"
              "    type: NLB\n"
              "    address: 127.0.0.1\n"
              "  - name: second-lb\n"
              "    type: NLB\n"
              "    address: 127.0.0.2\n"
              "    listeners: *L\n",
              "8:16: syntax error: alias *L is inside what its anchor &L "
              "(line 1) names: an alias must come after the end of what it "
              "repeats");
    lbt_error("a: &M { b: { c: *M } }\n",
              "1:17: syntax error: alias *M is inside what its anchor &M "
              "(line 1) names: an alias must come after the end of what it "
              "repeats");
}


/* aliases that would expand to a huge tree are refused early */
static void
test_alias_bomb(void **state)
{
    int          i;
    const char  *yaml;

    (void) state;

    yaml = "x0: &m0 [ { address: 127.0.0.1, protocol_port: 1 } ]\n";
    for (i = 1; i <= 24; i++) {
        yaml = lb_psprintf(lbt_pool, "%sx%d: &m%d [ *m%d, *m%d ]\n", yaml, i,
                           i, i - 1, i - 1);
    }

    /* each line doubles the tree: its second alias on line 18 passes the
     * limit, long before the 2^24 copies of the last line */
    lbt_error(yaml, "18:19: the document is too large: more than 1048576 "
                    "values once aliases are expanded");
}


static void
test_anchors(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 80,"
               " target_group: tcp-tg }\n"
               "    target_groups:\n"
               "      - name: tcp-tg\n"
               "        protocol: TCP\n"
               "        health_monitor: &hm { type: TCP, delay: 7 }\n"
               "        members: &m [ { address: 127.0.0.1,"
               " protocol_port: 9001 } ]\n"
               "      - name: tcp-tg2\n"
               "        protocol: TCP\n"
               "        health_monitor: *hm\n"
               "        members: *m\n");

    assert_int_equal(c->balancers[0].target_groups[1].health_monitor->delay,
                     7 * 1000);
    assert_int_equal(c->balancers[0].target_groups[1].ntargets, 1);
}


static void
test_many_errors_at_once(void **state)
{
    (void) state;

    lbt_errors("worker_processes: 100\n"
               "daemon: maybe\n"
               LBT_ALB
               "    listeners:\n"
               "      - { name: tcp, protocol: TCP, protocol_port: 0,"
               " target_group: missing-tg }\n"
               "    target_groups:\n"
               "      - name: web-tg\n"
               "        protocol: HTTP\n"
               "        health_monitor: { type: HTTP, delay: 5,"
               " timeout: 10, url_path: x }\n"
               "        members:\n"
               "          - { address: 127.0.0.1, protocol_port: 80,"
               " weight: 257 }\n",
               "1:19: worker_processes: 100 is out of range; allowed: auto "
               "or 1..64",
               "2:9: daemon: \"maybe\" is not a boolean; allowed: true, false",
               "8:32: load_balancers[web-lb].listeners[tcp].protocol: TCP "
               "listeners are not allowed on ALB load balancers; allowed: "
               "HTTP, HTTPS",
               "8:52: load_balancers[web-lb].listeners[tcp].protocol_port: "
               "0 is out of range; allowed: 1..65535",
               "8:69: load_balancers[web-lb].listeners[tcp].target_group: "
               "target group \"missing-tg\" does not exist in this load "
               "balancer; allowed: the name of one of its target groups "
               "(web-tg)",
               "12:58: load_balancers[web-lb].target_groups[web-tg]"
               ".health_monitor.timeout: timeout (10) must be less than "
               "delay (5)",
               "12:72: load_balancers[web-lb].target_groups[web-tg]"
               ".health_monitor.url_path: \"x\" does not start with '/'; "
               "allowed: '/' followed by up to 120 visible ASCII characters "
               "(no spaces, no '#', '%' only before two hex digits)",
               "14:62: load_balancers[web-lb].target_groups[web-tg]"
               ".members[0].weight: 257 is out of range; allowed: 0..256",
               NULL);
}


static void
test_ids_generated(void **state)
{
    char        lb1[37], tg1[37], hm1[37], l1[37], m1[37], m2[37];
    size_t      i;
    lb_conf_t  *c;

    (void) state;

#define LBT_IDS                                                             \
    LBT_ALB                                                                 \
    "    listeners:\n"                                                      \
    "      - { name: http, protocol: HTTP, protocol_port: 80 }\n"           \
    "    target_groups:\n"                                                  \
    "      - name: web-tg\n"                                                \
    "        protocol: HTTP\n"                                              \
    "        health_monitor: { type: HTTP }\n"                              \
    "        members:\n"                                                    \
    "          - { address: 127.0.0.1, protocol_port: 9001 }\n"             \
    "          - { address: 127.0.0.1, protocol_port: 9002 }\n"

    c = lbt_ok(LBT_IDS);

    strcpy(lb1, c->balancers[0].id);
    strcpy(l1, c->balancers[0].listeners[0].id);
    strcpy(tg1, c->balancers[0].target_groups[0].id);
    strcpy(hm1, c->balancers[0].target_groups[0].health_monitor->id);
    strcpy(m1, c->balancers[0].target_groups[0].targets[0].id);
    strcpy(m2, c->balancers[0].target_groups[0].targets[1].id);

    /* UUID text form, version 8, RFC variant */
    assert_int_equal(strlen(lb1), 36);
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(lb1[i], '-');
        } else {
            assert_non_null(strchr("0123456789abcdef", lb1[i]));
        }
    }
    assert_int_equal(lb1[14], '8');
    assert_non_null(strchr("89ab", lb1[19]));

    /* all different, and members of one group differ in many digits */
    assert_string_not_equal(lb1, l1);
    assert_string_not_equal(lb1, tg1);
    assert_string_not_equal(tg1, hm1);
    assert_string_not_equal(m1, m2);
    assert_memory_not_equal(m1, m2, 8);

    /* the same on the next parse */
    c = lbt_ok(LBT_IDS);
    assert_string_equal(c->balancers[0].id, lb1);
    assert_string_equal(c->balancers[0].listeners[0].id, l1);
    assert_string_equal(c->balancers[0].target_groups[0].id, tg1);
    assert_string_equal(c->balancers[0].target_groups[0].health_monitor->id,
                        hm1);
    assert_string_equal(c->balancers[0].target_groups[0].targets[0].id, m1);

    /* and unchanged when other objects are added before and after */
    c = lbt_ok("load_balancers:\n"
               "  - { name: aaa-lb, type: NLB, address: 127.0.0.2 }\n"
               "  - name: web-lb\n"
               "    type: ALB\n"
               "    address: 127.0.0.1\n"
               "    listeners:\n"
               "      - { name: alt, protocol: HTTP, protocol_port: 81 }\n"
               "      - { name: http, protocol: HTTP, protocol_port: 80 }\n"
               "    target_groups:\n"
               "      - { name: aaa-tg, protocol: HTTP }\n"
               "      - name: web-tg\n"
               "        protocol: HTTP\n"
               "        health_monitor: { type: HTTP }\n"
               "        members:\n"
               "          - { address: 127.0.0.1, protocol_port: 9000 }\n"
               "          - { address: 127.0.0.1, protocol_port: 9001 }\n"
               "          - { address: 127.0.0.1, protocol_port: 9002 }\n");

    assert_string_equal(c->balancers[1].id, lb1);
    assert_string_equal(c->balancers[1].listeners[1].id, l1);
    assert_string_equal(c->balancers[1].target_groups[1].id, tg1);
    assert_string_equal(c->balancers[1].target_groups[1].health_monitor->id,
                        hm1);
    assert_string_equal(c->balancers[1].target_groups[1].targets[1].id, m1);
    assert_string_equal(c->balancers[1].target_groups[1].targets[2].id, m2);
    assert_string_not_equal(c->balancers[0].id, lb1);

#undef LBT_IDS
}


static void
test_ids_written(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok("load_balancers:\n"
               "  - id: 6F1C0B2E-3D4A-4B5C-8D6E-7F8091A2B3C4\n"
               "    name: web-lb\n"
               "    type: ALB\n"
               "    address: 127.0.0.1\n");
    assert_string_equal(c->balancers[0].id,
                        "6f1c0b2e-3d4a-4b5c-8d6e-7f8091a2b3c4");

    lbt_error("load_balancers:\n"
              "  - { id: 1234, name: web-lb, type: ALB, address: \"::1\" }\n",
              "2:11: load_balancers[web-lb].id: \"1234\" is too short "
              "(4 characters); allowed: a UUID, 8-4-4-4-12 hexadecimal "
              "digits");
    lbt_error("load_balancers:\n"
              "  - { id: 6f1c0b2e-3d4a-4b5c-8d6e_7f8091a2b3c4, name: web-lb,"
              " type: ALB, address: \"::1\" }\n",
              "2:11: load_balancers[web-lb].id: "
              "\"6f1c0b2e-3d4a-4b5c-8d6e_7f8091a2b3c4\" is not a valid id "
              "('_' at position 24); allowed: a UUID, 8-4-4-4-12 "
              "hexadecimal digits");

    lbt_error("load_balancers:\n"
              "  - { id: 6f1c0b2e-3d4a-4b5c-8d6e-7f8091a2b3c4, name: web-lb,"
              " type: NLB, address: \"::1\",\n"
              "      target_groups: [ { id: 6f1c0b2e-3d4a-4b5c-8d6e-"
              "7f8091a2b3c4, name: web-tg, protocol: TCP } ] }\n",
              "3:30: load_balancers[web-lb].target_groups[web-tg].id: "
              "duplicate id \"6f1c0b2e-3d4a-4b5c-8d6e-7f8091a2b3c4\" (also "
              "the id of load_balancers[web-lb] at 2:11); ids are unique in "
              "the file");
}


/* a written id that equals the id another object would derive (a renamed
 * group kept its id, a new one took the old name) pushes the derived one
 * aside instead of failing */
static void
test_ids_collision(void **state)
{
    char        old[37];
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    target_groups:\n"
               "      - { name: tcp-tg, protocol: TCP }\n");
    strcpy(old, c->balancers[0].target_groups[0].id);

    c = lbt_ok(lb_psprintf(lbt_pool, LBT_NLB
                           "    target_groups:\n"
                           "      - { name: renamed-tg, protocol: TCP,"
                           " id: %s }\n"
                           "      - { name: tcp-tg, protocol: TCP }\n", old));

    assert_string_equal(c->balancers[0].target_groups[0].id, old);
    assert_string_not_equal(c->balancers[0].target_groups[1].id, old);
    assert_int_equal(strlen(c->balancers[0].target_groups[1].id), 36);
}


static char *
lbt_dump(const lb_conf_t *c)
{
    char    *buf;
    FILE    *f;
    size_t   len;

    buf = NULL;
    len = 0;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(lb_conf_dump(f, c), LB_OK);
    fclose(f);

    return buf;
}


static void
test_dump_round_trip(void **state)
{
    char        *one, *two;
    lb_conf_t   *c, *d;

    (void) state;

    c = lbt_ok(LBT_FULL);
    one = lbt_dump(c);

    d = lbt_ok(one);
    two = lbt_dump(d);

    assert_string_equal(one, two);

    /* the same objects, ids and defaults */
    assert_string_equal(d->balancers[0].id, c->balancers[0].id);
    assert_string_equal(d->balancers[1].target_groups[0].targets[0].id,
                        c->balancers[1].target_groups[0].targets[0].id);
    assert_int_equal(d->balancers[0].target_groups[0].health_monitor->delay,
                     30 * 1000);
    assert_memory_equal(d->balancers[1].target_groups[0]
                        .session_persistence->mask,
                        c->balancers[1].target_groups[0]
                        .session_persistence->mask, 16);
    assert_int_equal(d->admin->addr.sa.ss_family, AF_INET6);

    /* defaults are written out; fields a protocol forbids are not */
    assert_non_null(strstr(one, "\nshutdown_timeout: 0\n"));
    assert_non_null(strstr(one, "          delay: 30\n"));
    assert_non_null(strstr(one, "          expected_codes: \"200, "
                                "301-302\"\n"));
    assert_non_null(strstr(one, "          http_version: \"1.0\"\n"));
    assert_non_null(strstr(one, "  listen: \"[::1]:9090\"\n"));
    assert_non_null(strstr(one, "          X-Forwarded-For: remove\n"));
    assert_non_null(strstr(one, "        proxy_protocol_version: 2\n"));
    assert_null(strstr(one, "proxy_protocol_version: 1"));

    free(one);
    free(two);

    /* "auto" stays "auto", not this machine's CPU count */
    one = lbt_dump(lbt_ok("daemon: false\n"));
    assert_non_null(strstr(one, "\nworker_processes: auto\n"));
    assert_non_null(strstr(one, "\ndaemon: false\n"));
    assert_non_null(strstr(one, "\nlog_level: info\n"));
    free(one);
}


static void
test_parse_file(void **state)
{
    char        path[] = "/tmp/weir-test-conf-XXXXXX";
    int         fd;
    lb_conf_t  *c;
    lb_array_t  errors;
    const char  yaml[] = "log_level: verbose\n";

    (void) state;

    assert_int_equal(lb_array_init(&errors, lbt_pool, 4, sizeof(char *)),
                     LB_OK);
    c = lb_conf_parse_file(lbt_pool, "/nonexistent/weir.yaml", &errors);
    assert_null(c);
    assert_int_equal(errors.nelts, 1);
    assert_string_equal(((char **) errors.elts)[0],
                        "/nonexistent/weir.yaml: cannot read: open() failed "
                        "(2: No such file or directory)");

    fd = mkstemp(path);
    assert_true(fd != -1);
    assert_int_equal(write(fd, yaml, sizeof(yaml) - 1), sizeof(yaml) - 1);
    close(fd);

    assert_int_equal(lb_array_init(&errors, lbt_pool, 4, sizeof(char *)),
                     LB_OK);
    c = lb_conf_parse_file(lbt_pool, path, &errors);
    unlink(path);

    assert_null(c);
    assert_int_equal(errors.nelts, 1);
    assert_string_equal(((char **) errors.elts)[0],
                        lb_psprintf(lbt_pool, "%s:1:12: log_level: "
                                    "\"verbose\" is not a valid value; "
                                    "allowed: debug, info, notice, warn, "
                                    "error", path));
}


static void
test_demo_config(void **state)
{
    lb_conf_t   *c;
    lb_array_t   errors;

    (void) state;

    /* run from the top of the tree, as t/unit/run.sh does */
    assert_int_equal(lb_array_init(&errors, lbt_pool, 4, sizeof(char *)),
                     LB_OK);
    c = lb_conf_parse_file(lbt_pool, "conf/weir.yaml", &errors);
    if (c == NULL) {
        lbt_print(&errors);
    }
    assert_non_null(c);
    assert_int_equal(c->shutdown_timeout, 10000);
    assert_true(c->nbalancers >= 1);
}


/* the syslog settings as read, and the RFC 3164 header they make */
static void
test_syslog_settings(void **state)
{
    char        err[512], hdr[128];
    size_t      n;
    lb_log_t    log;

    (void) state;

    assert_true(lb_log_is_syslog("syslog"));
    assert_true(lb_log_is_syslog("syslog:tag=x"));
    assert_false(lb_log_is_syslog("syslog.log"));
    assert_false(lb_log_is_syslog("logs/syslog"));

    memset(&log, 0, sizeof(log));
    assert_null(lb_log_parse_syslog(&log, "syslog", err, sizeof(err)));
    assert_int_equal(log.facility, 1);
    assert_string_equal(log.tag, "weir");
    assert_string_equal(log.file, "/dev/log");

    memset(&log, 0, sizeof(log));
    assert_null(lb_log_parse_syslog(&log, "syslog:facility=local3,"
                                    "tag=web.1,path=/run/a,b.sock", err,
                                    sizeof(err)));
    assert_int_equal(log.facility, 19);
    assert_string_equal(log.tag, "web.1");
    assert_string_equal(log.file, "/run/a,b.sock");

    /* local3 (19) * 8 + warn (4) */
    n = lb_log_syslog_header(&log, LB_LOG_WARN, hdr, sizeof(hdr));
    assert_int_equal(n, strlen(hdr));
    assert_memory_equal(hdr, "<156>", 5);
    assert_non_null(strstr(hdr, " web.1["));
    assert_string_equal(hdr + n - 3, "]: ");

    /* cut, still terminated */
    n = lb_log_syslog_header(&log, LB_LOG_WARN, hdr, 8);
    assert_int_equal(n, 7);
    assert_int_equal(strlen(hdr), 7);

    assert_non_null(lb_log_parse_syslog(&log, "syslog:facility=", err,
                                        sizeof(err)));
    assert_string_equal(err, "\"\" is not a syslog facility; allowed: kern, "
                        "user, mail, daemon, auth, syslog, lpr, news, uucp, "
                        "cron, authpriv, ftp, local0..local7");
    assert_non_null(lb_log_parse_syslog(&log, "syslog:tag", err,
                                        sizeof(err)));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_defaults),
        lbt_test(test_all_fields),
        lbt_test(test_links_and_addresses),
        lbt_test(test_worker_processes),
        lbt_test(test_top_level_fields),
        lbt_test(test_syslog_settings),
        lbt_test(test_admin),
        lbt_test(test_unknown_and_repeated_fields),
        lbt_test(test_wrong_shapes),
        lbt_test(test_yaml_syntax),
        lbt_test(test_anchors),
        lbt_test(test_alias_bomb),
        lbt_test(test_alias_open),
        lbt_test(test_many_errors_at_once),
        lbt_test(test_ids_generated),
        lbt_test(test_ids_written),
        lbt_test(test_ids_collision),
        lbt_test(test_dump_round_trip),
        lbt_test(test_parse_file),
        lbt_test(test_demo_config),
    };

    return cmocka_run_group_tests_name("lb_conf", tests, NULL, NULL);
}
