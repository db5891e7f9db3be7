/* weir: weirctl, the command-line client of the admin API (SPEC.md
 * section 10, issue 11 item 9). It reads weir's configuration file to find
 * admin.listen and admin.token_file, sends one request per operation and
 * prints the answer: JSON, or a table. Exit status: 0 done, 1 the API
 * refused (its error message on stderr) or, for ping, a process of weir
 * is not running, 2 usage or configuration, 3 no answer (connect, TLS,
 * timeout). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "lb_admin_auth.h"
#include "lb_admin_json.h"
#include "lb_conf_node.h"
#include "lb_ctl_body.h"
#include "lb_ctl_conf.h"
#include "lb_ctl_http.h"
#include "lb_ctl_procs.h"
#include "lb_ctl_table.h"
#include "lb_palloc.h"

#define LB_CTL_VERSION       "0.1.0"
/* weir's defaults (configure: auto/paths, lb_auto_config.h) */
#define LB_CTL_DEFAULT_CONF  LB_CONF_PATH
#ifdef LB_PREFIX
#define LB_CTL_PREFIX_SHOWN  LB_PREFIX
#else
#define LB_CTL_PREFIX_SHOWN  "."
#endif
#define LB_CTL_LBS           "/api/v1/load-balancers"
#define LB_CTL_TIMEOUT       10000       /* ms */
#define LB_CTL_PATH_MAX      4096

#define LB_CTL_EXIT_OK       0
#define LB_CTL_EXIT_API      1
#define LB_CTL_EXIT_USAGE    2
#define LB_CTL_EXIT_CONN     3

/* what a kind allows */
#define LB_CTL_LIST          0x01        /* GET the collection */
#define LB_CTL_GET           0x02        /* GET one by id */
#define LB_CTL_CREATE        0x04
#define LB_CTL_SET           0x08
#define LB_CTL_DELETE        0x10
#define LB_CTL_ALL           0x1f

typedef enum {
    LB_CTL_OUT_JSON = 0,
    LB_CTL_OUT_RAW,
    LB_CTL_OUT_TABLE
} lb_ctl_out_e;

/* One kind of object of the API. Its collection is path, or with a
 * parent path + "/" + parent id + sub; an object is the collection + "/"
 * + its id. */
typedef struct {
    const char          *name;
    const char          *plural;
    const char          *alias;
    const char          *path;
    const char          *sub;
    const char          *wrapper;       /* of a request body */
    const char          *parent;        /* what the parent id names */
    unsigned             ops;
} lb_ctl_kind_t;

typedef struct {
    lb_pool_t           *pool;
    lb_ctl_client_t      client;
    lb_ctl_out_e         out;
    const char          *body_file;
    const char          *conf_file;
    const char          *prefix;
    unsigned             timeout_ms;
    u_char               token[LB_ADMIN_TOKEN_MAX];
    lb_ctl_conf_t        conf;
    lb_ctl_resp_t        resp;
} lb_ctl_t;

static int lb_ctl_options(lb_ctl_t *ctl, int argc, char **argv);
static int lb_ctl_setup(lb_ctl_t *ctl, bool need_admin);
static int lb_ctl_ping(lb_ctl_t *ctl);
static int lb_ctl_list(lb_ctl_t *ctl);
static void lb_ctl_list_group(lb_ctl_t *ctl, lb_ctl_table_t *t,
    const lb_conf_node_t *g);
static void lb_ctl_hostport(char *buf, size_t size, const char *host,
    const char *port);
static int lb_ctl_command(lb_ctl_t *ctl, const char *cmd, int argc,
    char **argv);
static int lb_ctl_body(lb_ctl_t *ctl, const char *wrapper, bool members,
    char **args, int n, lb_admin_buf_t *body);
static int lb_ctl_query(char *path, size_t size, char **args, int n);
static const lb_ctl_kind_t *lb_ctl_kind(const char *word, bool *plural);
static int lb_ctl_escape(char *dst, size_t size, const char *s);
static int lb_ctl_call(lb_ctl_t *ctl, const char *method, const char *path,
    const lb_admin_buf_t *body);
static lb_conf_node_t *lb_ctl_get_json(lb_ctl_t *ctl, const char *path,
    const char *key, int *rc);
static void lb_ctl_print(lb_ctl_t *ctl);
static void lb_ctl_print_error(lb_ctl_t *ctl);
static void lb_ctl_usage(FILE *out);

/* The string member key of node, or def when it has none. */
static inline const char *
lb_ctl_str(const lb_conf_node_t *node, const char *key, const char *def)
{
    const char  *s;

    s = lb_ctl_node_str(node, key);

    return s != NULL ? s : def;
}

static const lb_ctl_kind_t  lb_ctl_kinds[] = {
    { "load-balancer", "load-balancers", "lb", LB_CTL_LBS, NULL,
      "load_balancer", NULL, LB_CTL_ALL },
    { "listener", "listeners", NULL, LB_CTL_LBS "/listeners", NULL,
      "listener", NULL, LB_CTL_ALL },
    { "target-group", "target-groups", "tg", LB_CTL_LBS "/target-groups",
      NULL, "target_group", NULL, LB_CTL_ALL },
    { "member", "members", "target", LB_CTL_LBS "/target-groups",
      "/members", "member", "target group", LB_CTL_ALL },
    { "health-monitor", "health-monitors", "hm",
      LB_CTL_LBS "/health-monitors", NULL, "health_monitor", NULL,
      LB_CTL_ALL },
    { "status", NULL, NULL, LB_CTL_LBS, "/status", NULL, "load balancer",
      LB_CTL_LIST },
    { "health-check-subnets", NULL, "subnets", LB_CTL_LBS "/target-groups",
      "/health-check-subnets", NULL, "target group", LB_CTL_LIST },
    { "metrics", NULL, NULL, "/metrics", NULL, NULL, NULL, LB_CTL_LIST },
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};


int
main(int argc, char **argv)
{
    int        rc, first;
    lb_ctl_t   ctl;

    memset(&ctl, 0, sizeof(ctl));
    ctl.timeout_ms = LB_CTL_TIMEOUT;

    /* a server that closes while we write must give an error, not a
     * signal: SSL_write() has no MSG_NOSIGNAL */
    signal(SIGPIPE, SIG_IGN);

    first = lb_ctl_options(&ctl, argc, argv);
    if (first < 0) {
        return first == -1 ? LB_CTL_EXIT_OK : LB_CTL_EXIT_USAGE;
    }

    if (first < argc && strcmp(argv[first], "help") == 0) {
        lb_ctl_usage(stdout);
        return LB_CTL_EXIT_OK;
    }

    ctl.pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (ctl.pool == NULL) {
        fprintf(stderr, "weirctl: out of memory\n");
        return LB_CTL_EXIT_USAGE;
    }

    /* ping works without the admin API (keepalived's check) */
    rc = lb_ctl_setup(&ctl, first == argc
                            || strcmp(argv[first], "ping") != 0);

    if (rc == LB_CTL_EXIT_OK) {
        if (first == argc || strcmp(argv[first], "list") == 0) {
            if (first + 1 < argc) {
                fprintf(stderr, "weirctl: list takes no arguments\n");
                rc = LB_CTL_EXIT_USAGE;
            } else {
                rc = lb_ctl_list(&ctl);
            }

        } else if (strcmp(argv[first], "ping") == 0) {
            rc = lb_ctl_ping(&ctl);

        } else {
            rc = lb_ctl_command(&ctl, argv[first], argc - first - 1,
                                argv + first + 1);
        }
    }

    lb_admin_buf_free(&ctl.resp.body);
    if (ctl.client.ssl != NULL) {
        SSL_CTX_free(ctl.client.ssl);
    }
    explicit_bzero(ctl.token, sizeof(ctl.token));
    lb_destroy_pool(ctl.pool);

    return rc;
}


/* The index of the first word after the options; -1 after help or
 * version (printed), -2 after a usage error (printed). */
static int
lb_ctl_options(lb_ctl_t *ctl, int argc, char **argv)
{
    int           c;
    char         *end;
    double        secs;

    static const struct option  longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "prefix", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' },
        { "file", required_argument, NULL, 'f' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 }
    };

    opterr = 0;

    while ((c = getopt_long(argc, argv, "c:p:o:f:t:hv", longopts, NULL))
           != -1)
    {
        switch (c) {
        case 'c':
            ctl->conf_file = optarg;
            break;
        case 'p':
            ctl->prefix = optarg;
            break;
        case 'f':
            ctl->body_file = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "json") == 0) {
                ctl->out = LB_CTL_OUT_JSON;
            } else if (strcmp(optarg, "raw") == 0) {
                ctl->out = LB_CTL_OUT_RAW;
            } else if (strcmp(optarg, "table") == 0) {
                ctl->out = LB_CTL_OUT_TABLE;
            } else {
                fprintf(stderr, "weirctl: -o %s: allowed: json, raw, table\n",
                        optarg);
                return -2;
            }
            break;
        case 't':
            errno = 0;
            secs = strtod(optarg, &end);
            if (errno != 0 || *end != '\0' || !(secs > 0) || secs > 3600) {
                fprintf(stderr, "weirctl: -t %s: allowed: seconds, more "
                        "than 0 and up to 3600\n", optarg);
                return -2;
            }
            ctl->timeout_ms = (unsigned) (secs * 1000 + 0.5);
            ctl->timeout_ms += ctl->timeout_ms == 0;
            break;
        case 'h':
            lb_ctl_usage(stdout);
            return -1;
        case 'v':
            printf("weirctl version %s\n", LB_CTL_VERSION);
            return -1;
        default:
            if (optopt != 0) {
                fprintf(stderr, "weirctl: option -%c: unknown or without "
                        "its argument\n", optopt);
            } else {
                fprintf(stderr, "weirctl: option %s: unknown or without "
                        "its argument\n", argv[optind - 1]);
            }
            lb_ctl_usage(stderr);
            return -2;
        }
    }

    return optind;
}


/* Read the configuration and the token; make the client. */
static int
lb_ctl_setup(lb_ctl_t *ctl, bool need_admin)
{
    int          e;
    char        *conf_file, cwd[PATH_MAX], prefix[PATH_MAX];
    size_t       len;
    const char  *why;
    char         err[512];

    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        fprintf(stderr, "weirctl: getcwd() failed (%s)\n", strerror(errno));
        return LB_CTL_EXIT_USAGE;
    }

    /* the same defaults as weir: the prefix is the configured one or the
     * current directory, the file LB_CONF_PATH (under the prefix when
     * relative), -c relative to the current directory */
#ifdef LB_PREFIX
    if (ctl->prefix == NULL) {
        ctl->prefix = LB_PREFIX;
    }
#endif

    if (realpath(ctl->prefix ? ctl->prefix : cwd, prefix) == NULL) {
        fprintf(stderr, "weirctl: prefix \"%s\": %s\n",
                ctl->prefix ? ctl->prefix : cwd, strerror(errno));
        return LB_CTL_EXIT_USAGE;
    }

    if (ctl->conf_file == NULL) {
        conf_file = (LB_CTL_DEFAULT_CONF[0] == '/')
                    ? lb_pstrdup(ctl->pool, LB_CTL_DEFAULT_CONF)
                    : lb_psprintf(ctl->pool, "%s/%s", prefix,
                                  LB_CTL_DEFAULT_CONF);
    } else if (ctl->conf_file[0] == '/') {
        conf_file = lb_pstrdup(ctl->pool, ctl->conf_file);
    } else {
        conf_file = lb_psprintf(ctl->pool, "%s/%s", cwd, ctl->conf_file);
    }

    if (conf_file == NULL) {
        fprintf(stderr, "weirctl: out of memory\n");
        return LB_CTL_EXIT_USAGE;
    }

    if (lb_ctl_conf_load(ctl->pool, prefix, conf_file, need_admin,
                         &ctl->conf, stderr)
        != LB_OK)
    {
        return LB_CTL_EXIT_USAGE;
    }

    if (!ctl->conf.admin) {
        return LB_CTL_EXIT_OK;
    }

    if (lb_admin_token_load(ctl->conf.token_file, ctl->token, &len, &why, &e)
        != LB_OK)
    {
        fprintf(stderr, "weirctl: admin.token_file \"%s\" %s%s%s%s\n",
                ctl->conf.token_file, why, e ? " (" : "",
                e ? strerror(e) : "", e ? ")" : "");
        return LB_CTL_EXIT_USAGE;
    }

    ctl->client.addr = &ctl->conf.addr;
    ctl->client.token = ctl->token;
    ctl->client.token_len = len;
    ctl->client.timeout_ms = ctl->timeout_ms;

    if (ctl->conf.certificate != NULL) {
        ctl->client.ssl = lb_ctl_ssl_ctx(ctl->conf.certificate, err,
                                         sizeof(err));
        if (ctl->client.ssl == NULL) {
            fprintf(stderr, "weirctl: %s: %s\n", ctl->conf.certificate, err);
            return LB_CTL_EXIT_USAGE;
        }
    }

    return LB_CTL_EXIT_OK;
}


/* The node is healthy: its master runs (the pid file), with every worker
 * slot, the health checker and, when configured, the admin process
 * (lb_ctl_procs_check()); and the admin API, when configured, answers
 * with our token (the cheapest route that needs it). Exit 1 with one line
 * naming every failed part: keepalived's track_script (contrib/
 * keepalived/) gives the VIP away on it. */
static int
lb_ctl_ping(lb_ctl_t *ctl)
{
    int             rc;
    char            msg[1024];
    lb_ctl_procs_t  procs;

    memset(&procs, 0, sizeof(procs));
    procs.workers = ctl->conf.workers;
    procs.admin = ctl->conf.admin;

    if (lb_ctl_procs_check("/proc", ctl->conf.pid_file, &procs, msg,
                           sizeof(msg))
        != LB_OK)
    {
        fprintf(stderr, "weirctl: ping: %s\n", msg);
        return LB_CTL_EXIT_API;
    }

    printf("weir master process %ld: %u worker process%s, health checker%s "
           "running\n", (long) procs.master, procs.found_workers,
           procs.found_workers == 1 ? "" : "es",
           procs.admin ? ", admin process" : "");

    if (!ctl->conf.admin) {
        return LB_CTL_EXIT_OK;
    }

    rc = lb_ctl_call(ctl, "GET", LB_CTL_LBS, NULL);
    if (rc != LB_CTL_EXIT_OK) {
        return rc;
    }

    printf("weir admin API at %s%s: ok\n", ctl->client.ssl ? "https://" : "",
           ctl->conf.addr.text);

    return LB_CTL_EXIT_OK;
}


/* Balancers, their listeners, target groups and members, with both
 * statuses, as one table. */
static int
lb_ctl_list(lb_ctl_t *ctl)
{
    int                     rc;
    char                    addr[128], name[300];
    const char             *id, *cells[8];
    lb_ctl_table_t          t;
    lb_conf_node_t         *lbs, *lis, *tgs;
    const lb_conf_node_t   *b, *l, *g;

    static const char *const  head[8] = {
        "NAME", "KIND", "ID", "PROTOCOL", "ADDRESS", "WEIGHT",
        "PROVISIONING", "OPERATING"
    };

    lbs = lb_ctl_get_json(ctl, LB_CTL_LBS, "load_balancers", &rc);
    if (lbs == NULL) {
        return rc;
    }

    lis = lb_ctl_get_json(ctl, LB_CTL_LBS "/listeners", "listeners", &rc);
    if (lis == NULL) {
        return rc;
    }

    tgs = lb_ctl_get_json(ctl, LB_CTL_LBS "/target-groups", "target_groups",
                          &rc);
    if (tgs == NULL) {
        return rc;
    }

    lb_ctl_table_init(&t, 8);
    lb_ctl_table_row(&t, head);

    for (b = lbs->first; b != NULL; b = b->next) {
        id = lb_ctl_str(b, "id", "");

        cells[0] = lb_ctl_node_str(b, "name");
        cells[1] = "load-balancer";
        cells[2] = id;
        cells[3] = lb_ctl_node_str(b, "type");
        cells[4] = lb_ctl_node_str(b, "address");
        cells[5] = NULL;
        cells[6] = lb_ctl_node_str(b, "provisioning_status");
        cells[7] = lb_ctl_node_str(b, "operating_status");
        lb_ctl_table_row(&t, cells);

        for (l = lis->first; l != NULL; l = l->next) {
            if (strcmp(lb_ctl_str(l, "load_balancer_id", ""), id) != 0) {
                continue;
            }

            lb_ctl_hostport(addr, sizeof(addr), lb_ctl_node_str(b, "address"),
                            lb_ctl_node_str(l, "protocol_port"));
            snprintf(name, sizeof(name), "  %s", lb_ctl_str(l, "name", "-"));

            cells[0] = name;
            cells[1] = "listener";
            cells[2] = lb_ctl_node_str(l, "id");
            cells[3] = lb_ctl_node_str(l, "protocol");
            cells[4] = addr;
            cells[5] = NULL;
            cells[6] = lb_ctl_node_str(l, "provisioning_status");
            cells[7] = lb_ctl_node_str(l, "operating_status");
            lb_ctl_table_row(&t, cells);
        }

        for (g = tgs->first; g != NULL; g = g->next) {
            if (strcmp(lb_ctl_str(g, "load_balancer_id", ""), id) == 0) {
                lb_ctl_list_group(ctl, &t, g);
            }
        }
    }

    if (t.nomem) {
        fprintf(stderr, "weirctl: out of memory\n");
        lb_ctl_table_free(&t);
        return LB_CTL_EXIT_USAGE;
    }

    if (t.nrows == 1) {
        printf("no load balancers\n");
    } else {
        lb_ctl_table_print(&t, stdout);
    }

    lb_ctl_table_free(&t);

    return LB_CTL_EXIT_OK;
}


/* The rows of one target group and its members. */
static void
lb_ctl_list_group(lb_ctl_t *ctl, lb_ctl_table_t *t, const lb_conf_node_t *g)
{
    int                     rc;
    char                    path[LB_CTL_PATH_MAX], id[256], addr[128];
    char                    weight[64], name[300];
    const char             *ratio, *cells[8];
    lb_conf_node_t         *members;
    const lb_conf_node_t   *m;

    snprintf(name, sizeof(name), "  %s", lb_ctl_str(g, "name", "-"));

    cells[0] = name;
    cells[1] = "target-group";
    cells[2] = lb_ctl_node_str(g, "id");
    cells[3] = lb_ctl_node_str(g, "protocol");
    cells[4] = NULL;
    cells[5] = NULL;
    cells[6] = lb_ctl_node_str(g, "provisioning_status");
    cells[7] = lb_ctl_node_str(g, "operating_status");
    lb_ctl_table_row(t, cells);

    if (cells[2] == NULL
        || lb_ctl_escape(id, sizeof(id), cells[2]) != LB_OK)
    {
        return;
    }

    snprintf(path, sizeof(path), LB_CTL_LBS "/target-groups/%s/members", id);

    /* the group may be gone since the list: its members are not shown */
    members = lb_ctl_get_json(ctl, path, "members", &rc);
    if (members == NULL) {
        return;
    }

    for (m = members->first; m != NULL; m = m->next) {
        lb_ctl_hostport(addr, sizeof(addr), lb_ctl_node_str(m, "address"),
                        lb_ctl_node_str(m, "protocol_port"));

        ratio = lb_ctl_node_str(m, "weight_ratio");
        snprintf(weight, sizeof(weight), "%s%s%s%s",
                 lb_ctl_str(m, "weight", "-"), ratio ? " (" : "",
                 ratio ? ratio : "", ratio ? "%)" : "");

        snprintf(name, sizeof(name), "    %s", lb_ctl_str(m, "name", "-"));

        cells[0] = name;
        cells[1] = "member";
        cells[2] = lb_ctl_node_str(m, "id");
        cells[3] = NULL;
        cells[4] = addr;
        cells[5] = weight;
        cells[6] = lb_ctl_node_str(m, "provisioning_status");
        cells[7] = lb_ctl_node_str(m, "operating_status");
        lb_ctl_table_row(t, cells);
    }
}


/* "host:port", "[v6]:port" */
static void
lb_ctl_hostport(char *buf, size_t size, const char *host, const char *port)
{
    bool  v6;

    v6 = host != NULL && strchr(host, ':') != NULL;

    snprintf(buf, size, "%s%s%s:%s", v6 ? "[" : "",
             host != NULL ? host : "-", v6 ? "]" : "",
             port != NULL ? port : "-");
}


/* get | create | set | delete, on a kind or on a raw path */
static int
lb_ctl_command(lb_ctl_t *ctl, const char *cmd, int argc, char **argv)
{
    int                   i, rc;
    bool                  plural, raw, members;
    unsigned              op;
    size_t                len;
    const char           *method, *what, *wrapper;
    lb_admin_buf_t        body;
    const lb_ctl_kind_t  *k;
    char                  path[LB_CTL_PATH_MAX], id[256];

    if (strcmp(cmd, "get") == 0) {
        op = LB_CTL_GET;
        method = "GET";
    } else if (strcmp(cmd, "create") == 0) {
        op = LB_CTL_CREATE;
        method = "POST";
    } else if (strcmp(cmd, "set") == 0) {
        op = LB_CTL_SET;
        method = "PUT";
    } else if (strcmp(cmd, "delete") == 0) {
        op = LB_CTL_DELETE;
        method = "DELETE";
    } else {
        fprintf(stderr, "weirctl: unknown command \"%s\"; see weirctl -h\n",
                cmd);
        return LB_CTL_EXIT_USAGE;
    }

    if (argc == 0) {
        fprintf(stderr, "weirctl: %s: what? a kind (load-balancer, "
                "listener, target-group, member, health-monitor, ...) or a "
                "path (/api/v1/...)\n", cmd);
        return LB_CTL_EXIT_USAGE;
    }

    raw = argv[0][0] == '/';
    members = false;
    wrapper = NULL;
    k = NULL;
    i = 1;

    if (raw) {
        if (strlen(argv[0]) >= sizeof(path)) {
            fprintf(stderr, "weirctl: the path is too long\n");
            return LB_CTL_EXIT_USAGE;
        }

        /* it goes into the request line as it is */
        for (len = 0; argv[0][len] != '\0'; len++) {
            if ((u_char) argv[0][len] <= 0x20 || (u_char) argv[0][len] >= 0x7f)
            {
                fprintf(stderr, "weirctl: \"%s\": a path is visible ASCII "
                        "without spaces; percent-encode the rest\n", argv[0]);
                return LB_CTL_EXIT_USAGE;
            }
        }

        strcpy(path, argv[0]);

    } else {
        k = lb_ctl_kind(argv[0], &plural);
        if (k == NULL) {
            fprintf(stderr, "weirctl: unknown kind \"%s\"; allowed: "
                    "load-balancer (lb), listener, target-group (tg), "
                    "member (target), health-monitor (hm), status, "
                    "health-check-subnets, metrics, or a path /...\n",
                    argv[0]);
            return LB_CTL_EXIT_USAGE;
        }

        /* "set members GROUP ..." replaces the whole set */
        members = op == LB_CTL_SET && plural && k->parent != NULL
                  && (k->ops & LB_CTL_CREATE);

        if (!(k->ops & op) && !(op == LB_CTL_GET && (k->ops & LB_CTL_LIST))) {
            fprintf(stderr, "weirctl: %s %s: the API has no such "
                    "operation\n", cmd, k->name);
            return LB_CTL_EXIT_USAGE;
        }

        len = (size_t) snprintf(path, sizeof(path), "%s", k->path);

        if (k->parent != NULL) {
            if (i >= argc || strchr(argv[i], '=') != NULL) {
                fprintf(stderr, "weirctl: %s %s: the %s id comes first\n",
                        cmd, argv[0], k->parent);
                return LB_CTL_EXIT_USAGE;
            }
            if (lb_ctl_escape(id, sizeof(id), argv[i++]) != LB_OK) {
                fprintf(stderr, "weirctl: the id is too long\n");
                return LB_CTL_EXIT_USAGE;
            }
            len += (size_t) snprintf(path + len, sizeof(path) - len, "/%s%s",
                                     id, k->sub);
        }

        /* the object's own id: required but for a list and a create */
        what = op == LB_CTL_CREATE || members ? NULL
               : op == LB_CTL_GET ? ((k->ops & LB_CTL_GET) ? "" : NULL)
               : "required";

        if (what != NULL && i < argc && strchr(argv[i], '=') == NULL) {
            if (lb_ctl_escape(id, sizeof(id), argv[i++]) != LB_OK) {
                fprintf(stderr, "weirctl: the id is too long\n");
                return LB_CTL_EXIT_USAGE;
            }
            snprintf(path + len, sizeof(path) - len, "/%s", id);

        } else if (what != NULL && what[0] != '\0') {
            fprintf(stderr, "weirctl: %s %s: which one? its id is "
                    "missing\n", cmd, k->name);
            return LB_CTL_EXIT_USAGE;
        }

        wrapper = members ? "members" : k->wrapper;
    }

    memset(&body, 0, sizeof(body));

    if (op == LB_CTL_CREATE || op == LB_CTL_SET) {
        rc = lb_ctl_body(ctl, wrapper, members, argv + i, argc - i, &body);

    } else {
        if (ctl->body_file != NULL) {
            fprintf(stderr, "weirctl: %s sends no body: -f is for create "
                    "and set\n", cmd);
            return LB_CTL_EXIT_USAGE;
        }
        /* key=value of get and delete are the query: filters, cascade */
        rc = lb_ctl_query(path, sizeof(path), argv + i, argc - i);
    }

    if (rc == LB_CTL_EXIT_OK) {
        rc = lb_ctl_call(ctl, method, path,
                         op == LB_CTL_CREATE || op == LB_CTL_SET ? &body
                                                                : NULL);
        if (rc == LB_CTL_EXIT_OK) {
            lb_ctl_print(ctl);
        }
    }

    lb_admin_buf_free(&body);

    return rc;
}


/* The body of a create or set: the file of -f as it is, or the key=value
 * arguments (lb_ctl_body.h). */
static int
lb_ctl_body(lb_ctl_t *ctl, const char *wrapper, bool members, char **args,
    int n, lb_admin_buf_t *body)
{
    FILE      *f;
    size_t     r, at;
    lb_int_t   rc;
    char       buf[16384], err[512];

    if (ctl->body_file != NULL) {
        if (n > 0) {
            fprintf(stderr, "weirctl: \"%s\": -f gives the whole body; no "
                    "key=value besides it\n", args[0]);
            return LB_CTL_EXIT_USAGE;
        }

        f = strcmp(ctl->body_file, "-") == 0 ? stdin
            : fopen(ctl->body_file, "re");
        if (f == NULL) {
            fprintf(stderr, "weirctl: -f %s: %s\n", ctl->body_file,
                    strerror(errno));
            return LB_CTL_EXIT_USAGE;
        }

        while ((r = fread(buf, 1, sizeof(buf), f)) > 0
               && body->len <= LB_CTL_BODY_MAX)
        {
            lb_admin_buf_append(body, buf, r);
        }

        rc = ferror(f) ? LB_ERROR : LB_OK;
        if (f != stdin) {
            fclose(f);
        }

        if (rc != LB_OK || body->len > LB_CTL_BODY_MAX) {
            fprintf(stderr, "weirctl: -f %s: %s\n", ctl->body_file,
                    rc != LB_OK ? "read error" : "larger than 64 MB");
            return LB_CTL_EXIT_USAGE;
        }

        /* what the file holds goes as it is, even when it is not JSON:
         * the API says what is wrong with it */
        if (lb_ctl_json_pretty(NULL, body->data, body->len, &at) != LB_OK) {
            fprintf(stderr, "weirctl: warning: -f %s is not JSON (byte "
                    "%zu); sent as it is\n", ctl->body_file, at + 1);
        }

        return body->nomem ? LB_CTL_EXIT_USAGE : LB_CTL_EXIT_OK;
    }

    if (members && n == 0) {
        /* an empty set detaches every member: only on purpose */
        fprintf(stderr, "weirctl: set members GROUP needs the members "
                "(key=value,key=value each); to detach them all, send "
                "{\"members\": []} with -f\n");
        return LB_CTL_EXIT_USAGE;
    }

    if (members) {
        rc = lb_ctl_body_members(body, args, n, err, sizeof(err));
    } else {
        rc = lb_ctl_body_object(body, wrapper, args, n, err, sizeof(err));
    }

    if (rc != LB_OK) {
        fprintf(stderr, "weirctl: %s\n", err);
        if (members) {
            fprintf(stderr, "weirctl: set members GROUP replaces the whole "
                    "set: one argument per member, as key=value,key=value; "
                    "one member: set member GROUP MEMBER key=value\n");
        }
        return LB_CTL_EXIT_USAGE;
    }

    if (body->nomem) {
        fprintf(stderr, "weirctl: out of memory\n");
        return LB_CTL_EXIT_USAGE;
    }

    return LB_CTL_EXIT_OK;
}


/* Append ?k=v&k=v from args[0..n) to path. */
static int
lb_ctl_query(char *path, size_t size, char **args, int n)
{
    int          i;
    size_t       len;
    char        *eq, k[512], v[512];

    len = strlen(path);

    for (i = 0; i < n; i++) {
        eq = strchr(args[i], '=');
        if (eq == NULL || eq == args[i] || eq[-1] == ':') {
            fprintf(stderr, "weirctl: \"%s\": expected key=value (a query "
                    "parameter: a filter, cascade=true)\n", args[i]);
            return LB_CTL_EXIT_USAGE;
        }

        *eq = '\0';
        if (lb_ctl_escape(k, sizeof(k), args[i]) != LB_OK
            || lb_ctl_escape(v, sizeof(v), eq + 1) != LB_OK)
        {
            *eq = '=';
            fprintf(stderr, "weirctl: \"%s\" is too long\n", args[i]);
            return LB_CTL_EXIT_USAGE;
        }
        *eq = '=';

        len += (size_t) snprintf(path + len, size - len, "%c%s=%s",
                                 i ? '&' : '?', k, v);
        if (len >= size) {
            fprintf(stderr, "weirctl: the query is too long\n");
            return LB_CTL_EXIT_USAGE;
        }
    }

    return LB_CTL_EXIT_OK;
}


static const lb_ctl_kind_t *
lb_ctl_kind(const char *word, bool *plural)
{
    const lb_ctl_kind_t  *k;

    for (k = lb_ctl_kinds; k->name != NULL; k++) {
        *plural = k->plural != NULL && strcmp(word, k->plural) == 0;

        if (*plural || strcmp(word, k->name) == 0
            || (k->alias != NULL && strcmp(word, k->alias) == 0))
        {
            return k;
        }
    }

    /* "targets", "lbs", ...: the alias in the plural */
    for (k = lb_ctl_kinds; k->name != NULL; k++) {
        if (k->alias != NULL && k->plural != NULL
            && strncmp(word, k->alias, strlen(k->alias)) == 0
            && strcmp(word + strlen(k->alias), "s") == 0)
        {
            *plural = true;
            return k;
        }
    }

    return NULL;
}


/* Percent-encode s into dst[0..size) but for the unreserved characters
 * of RFC 3986. */
static int
lb_ctl_escape(char *dst, size_t size, const char *s)
{
    size_t  n;

    static const char  hex[] = "0123456789ABCDEF";

    for (n = 0; *s != '\0'; s++) {
        if (n + 4 > size) {
            return LB_ERROR;
        }

        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
            || (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL)
        {
            dst[n++] = *s;
        } else {
            dst[n++] = '%';
            dst[n++] = hex[(u_char) *s >> 4];
            dst[n++] = hex[(u_char) *s & 0xf];
        }
    }

    dst[n] = '\0';

    return LB_OK;
}


/* One request. LB_CTL_EXIT_OK with a 2xx response in ctl->resp; else the
 * exit status after the error is printed. */
static int
lb_ctl_call(lb_ctl_t *ctl, const char *method, const char *path,
    const lb_admin_buf_t *body)
{
    char  err[1024];

    if (lb_ctl_http_request(&ctl->client, method, path,
                            body ? body->data : NULL, body ? body->len : 0,
                            &ctl->resp, err, sizeof(err))
        != LB_OK)
    {
        fprintf(stderr, "weirctl: %s %s: %s\n", method, path, err);
        return LB_CTL_EXIT_CONN;
    }

    if (ctl->resp.code >= 200 && ctl->resp.code < 300) {
        return LB_CTL_EXIT_OK;
    }

    lb_ctl_print_error(ctl);

    return LB_CTL_EXIT_API;
}


/* GET path and return the list under key of its JSON answer; NULL with
 * the exit status in *rc otherwise (printed). */
static lb_conf_node_t *
lb_ctl_get_json(lb_ctl_t *ctl, const char *path, const char *key, int *rc)
{
    lb_conf_node_t  *root, *list;

    *rc = lb_ctl_call(ctl, "GET", path, NULL);
    if (*rc != LB_CTL_EXIT_OK) {
        return NULL;
    }

    root = lb_ctl_json_read(ctl->pool, ctl->resp.body.data,
                            ctl->resp.body.len);
    list = root != NULL && root->type == LB_CONF_NODE_MAP
           ? lb_conf_node_get(root, key) : NULL;

    if (list == NULL || list->type != LB_CONF_NODE_LIST) {
        fprintf(stderr, "weirctl: GET %s: the answer has no list "
                "\"%s\"\n", path, key);
        *rc = LB_CTL_EXIT_API;
        return NULL;
    }

    return list;
}


/* A 2xx answer on stdout: JSON pretty, as received, or as a table; a
 * body that is not JSON (/metrics) as it is. */
static void
lb_ctl_print(lb_ctl_t *ctl)
{
    size_t           at;
    lb_admin_buf_t   pretty;
    lb_conf_node_t  *root;

    if (ctl->resp.body.len == 0) {
        return;
    }

    if (ctl->out == LB_CTL_OUT_TABLE) {
        root = lb_ctl_json_read(ctl->pool, ctl->resp.body.data,
                                ctl->resp.body.len);
        if (lb_ctl_table_json(stdout, root) == LB_OK) {
            return;
        }
    }

    if (ctl->out != LB_CTL_OUT_RAW) {
        memset(&pretty, 0, sizeof(pretty));

        if (lb_ctl_json_pretty(&pretty, ctl->resp.body.data,
                               ctl->resp.body.len, &at)
            == LB_OK && !pretty.nomem)
        {
            fwrite(pretty.data, 1, pretty.len, stdout);
            lb_admin_buf_free(&pretty);
            return;
        }

        lb_admin_buf_free(&pretty);
    }

    fwrite(ctl->resp.body.data, 1, ctl->resp.body.len, stdout);
}


/* An error answer on stderr: {"error": {"code", "field", "message"}} as
 * "weirctl: CODE REASON: field: message", else the body as it is. */
static void
lb_ctl_print_error(lb_ctl_t *ctl)
{
    int              n;
    const char      *msg, *field;
    lb_conf_node_t  *root, *e;

    root = lb_ctl_json_read(ctl->pool, ctl->resp.body.data,
                            ctl->resp.body.len);
    e = root != NULL && root->type == LB_CONF_NODE_MAP
        ? lb_conf_node_get(root, "error") : NULL;

    msg = lb_ctl_node_str(e, "message");
    field = lb_ctl_node_str(e, "field");

    if (msg != NULL) {
        fprintf(stderr, "weirctl: %u %s: %s%s%s\n", ctl->resp.code,
                ctl->resp.reason, field ? field : "", field ? ": " : "", msg);
        return;
    }

    n = (int) lb_min(ctl->resp.body.len, 4096);
    fprintf(stderr, "weirctl: %u %s%s%.*s\n", ctl->resp.code,
            ctl->resp.reason, n ? ": " : "", n,
            n ? (const char *) ctl->resp.body.data : "");
}


static void
lb_ctl_usage(FILE *out)
{
    fprintf(out,
"Usage: weirctl [options] [command [args]]\n"
"\n"
"The command-line client of weir's admin API. It reads weir's\n"
"configuration for admin.listen and admin.token_file (and speaks TLS\n"
"trusting admin.certificate when the file has one).\n"
"\n"
"Commands:\n"
"  list                     balancers, listeners, target groups and\n"
"                           members with their statuses, a table (the\n"
"                           default command)\n"
"  ping                     exit 0 when weir's master, its workers, the\n"
"                           health checker and the admin process run and\n"
"                           the admin API answers our token (without an\n"
"                           admin block: the processes only); else exit 1\n"
"                           with what failed\n"
"  get KIND [PARENT] [ID] [key=value...]\n"
"                           a list (key=value: filters) or one object\n"
"  create KIND [PARENT] key=value...   POST a new object\n"
"  set KIND [PARENT] ID key=value...   PUT changes to an object\n"
"  set members GROUP MEMBER-SPEC...    replace the whole set of members;\n"
"                           a spec is key=value,key=value\n"
"  delete KIND [PARENT] ID [key=value...]\n"
"                           key=value: the query, e.g. cascade=true\n"
"  get|create|set|delete /PATH ...     any route of the API\n"
"\n"
"Kinds: load-balancer (lb), listener, target-group (tg), member (target;\n"
"PARENT: the target group id), health-monitor (hm), status (PARENT: the\n"
"load balancer id), health-check-subnets (PARENT: the target group id),\n"
"metrics. A plural name works too: get target-groups.\n"
"\n"
"Values: key=value types true, false, null and JSON numbers, all else\n"
"is a string; key:=JSON puts JSON as it is (key:='\"64\"' for a string,\n"
"key:='[...]' for a list); a.b=value nests (health_monitor.delay=5).\n"
"The body is wrapped in the kind's name ({\"target_group\": {...}});\n"
"with a /PATH use dotted keys for the wrapper or -f.\n"
"\n"
"Options:\n"
"  -c, --config FILE     weir's configuration (default: %s"
LB_CTL_DEFAULT_CONF ")\n"
"  -p, --prefix DIR      base of relative paths, as weir -p (default: "
LB_CTL_PREFIX_SHOWN ")\n"
"  -o, --output FORMAT   json (pretty, the default), raw (as received),\n"
"                        table\n"
"  -f, --file FILE       the request body of create/set (- for stdin)\n"
"  -t, --timeout SECS    for the whole exchange (default: 10)\n"
"  -h, --help            this help; -v, --version: the version\n"
"\n"
"Exit status: 0 done, 1 the API refused (its message on stderr) or,\n"
"for ping, a process of weir is not running, 2 usage or configuration,\n"
"3 no answer (connect, TLS, timeout).\n",
    LB_CTL_DEFAULT_CONF[0] == '/' ? "" : "PREFIX/");
}
