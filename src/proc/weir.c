/* weir: main and the command line (nginx conventions). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lb_conf.h"
#include "lb_cycle.h"
#include "lb_child.h"
#include "lb_log.h"
#include "lb_module.h"
#include "lb_notify.h"
#include "lb_process.h"
#include "lb_process_cycle.h"
#include "lb_setproctitle.h"
#include "lb_time.h"
#include "lb_zone.h"

#define LB_VERSION       "0.1.0"
/* LB_PREFIX (when configured with --prefix), LB_CONF_PATH: configure
 * (auto/paths, lb_auto_config.h) */
#ifdef LB_PREFIX
#define LB_PREFIX_SHOWN  LB_PREFIX
#else
#define LB_PREFIX_SHOWN  "current directory"
#endif
/* descriptors: a worker's connection table (LB_EVENT_CONNECTIONS, 65536)
 * and room for listening sockets and logs */
#define LB_NOFILE_WANT   (65536 + 4096)

typedef struct {
    char     *conf_file;
    char     *prefix;
    char     *signal;
    bool      test;
    bool      dump;
    bool      foreground;
    bool      version;
    bool      help;
} lb_options_t;

static int lb_get_options(int argc, char *const *argv, lb_options_t *o);
static void lb_usage(FILE *out);
static void lb_raise_nofile(void);
static void lb_free_options(lb_options_t *o, char *conf_file);


int
main(int argc, char **argv)
{
    lb_options_t   o;
    lb_cycle_t    *cycle;
    char           cwd[PATH_MAX], prefix[PATH_MAX], *conf_file;
    const char    *shown;
    int            status;

    memset(&o, 0, sizeof(o));
    if (lb_get_options(argc, argv, &o) != 0) {
        lb_usage(stderr);
        return 1;
    }

    if (o.version || o.help) {
        fprintf(stderr, "weir version %s\n", LB_VERSION);
        if (o.help) {
            lb_usage(stderr);
        }
        return 0;
    }

    lb_time_update();

    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        fprintf(stderr, "weir: getcwd() failed (%s)\n", strerror(errno));
        return 1;
    }

#ifdef LB_PREFIX
    if (o.prefix == NULL) {
        o.prefix = strdup(LB_PREFIX);
        if (o.prefix == NULL) {
            fprintf(stderr, "weir: out of memory\n");
            return 1;
        }
    }
#endif

    if (realpath(o.prefix ? o.prefix : cwd, prefix) == NULL) {
        fprintf(stderr, "weir: prefix \"%s\": %s\n",
                o.prefix ? o.prefix : cwd, strerror(errno));
        return 1;
    }

    /* -c is relative to the current directory; the default to the prefix
     * (unless configure made it absolute) */
    if (o.conf_file == NULL) {
        conf_file = malloc(strlen(prefix) + sizeof("/" LB_CONF_PATH));
        if (conf_file != NULL) {
            sprintf(conf_file, "%s%s%s", LB_CONF_PATH[0] == '/' ? "" : prefix,
                    LB_CONF_PATH[0] == '/' ? "" : "/", LB_CONF_PATH);
        }
    } else if (o.conf_file[0] == '/') {
        conf_file = o.conf_file;
    } else {
        conf_file = malloc(strlen(cwd) + strlen(o.conf_file) + 2);
        if (conf_file != NULL) {
            sprintf(conf_file, "%s/%s", cwd, o.conf_file);
        }
    }

    if (conf_file == NULL) {
        fprintf(stderr, "weir: out of memory\n");
        return 1;
    }

    shown = o.conf_file ? o.conf_file : conf_file;

    if (o.signal != NULL) {
        cycle = lb_init_cycle(NULL, prefix, conf_file, LB_CYCLE_PARSE,
                              lb_modules);
        if (cycle == NULL) {
            return 1;
        }
        status = lb_signal_process(cycle->pid_file, o.signal);
        lb_release_cycle(cycle, NULL);
        lb_free_options(&o, conf_file);
        return status;
    }

    if (o.test || o.dump) {
        cycle = lb_init_cycle(NULL, prefix, conf_file, LB_CYCLE_CHECK,
                              lb_modules);
        if (cycle == NULL) {
            fprintf(stderr, "configuration file %s test failed\n", shown);
            lb_free_options(&o, conf_file);
            return 1;
        }
        fprintf(stderr, "configuration file %s test is successful\n", shown);
        status = 0;
        if (o.dump && lb_conf_dump(stdout, cycle->conf) != LB_OK) {
            status = 1;
        }
        lb_release_cycle(cycle, NULL);
        lb_free_options(&o, conf_file);
        return status;
    }

    /* argv is about to be overwritten by process titles: everything we
     * keep from it was copied by lb_get_options() */
    lb_init_setproctitle(argc, argv);
    lb_raise_nofile();

    cycle = lb_init_cycle(NULL, prefix, conf_file, LB_CYCLE_RUN,
                          lb_modules);
    if (cycle == NULL) {
        fprintf(stderr, "weir: configuration file %s: not started\n", shown);
        return 1;
    }

    if (lb_cycle_open_log(cycle) != LB_OK
        || lb_cycle_open_access_log(cycle) != LB_OK
        || lb_child_user_check(cycle->conf) != LB_OK)
    {
        return 1;
    }

    cycle->zone = lb_zone_create(LB_ZONE_DEFAULT_SIZE);
    if (cycle->zone == NULL || lb_zone_sync(cycle->zone, cycle->conf)
                               != LB_OK)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "the shared zone could not be set up");
        return 1;
    }

    cycle->generation = lb_zone_generation(cycle->zone);

    if (cycle->conf->daemon && !o.foreground) {
        if (lb_daemon() != LB_OK) {
            return 1;
        }
        /* stray writes (sanitizers, libraries) land in the error log */
        if (dup2(lb_log.fd, STDERR_FILENO) == -1) {
            lb_log_error(LB_LOG_ALERT, &lb_log, errno, "dup2() failed");
        }
    }

    lb_is_master = true;
    lb_cycle = cycle;

    if (lb_init_signals() != LB_OK || lb_notify_init() != LB_OK) {
        return 1;
    }

    if (lb_create_pidfile(cycle->pid_file) != LB_OK) {
        return 1;
    }

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                 "weir %s started, %u workers, configuration \"%s\"",
                 LB_VERSION, cycle->conf->worker_processes,
                 cycle->conf_file);

    lb_master_process_cycle(cycle);
}


/* The argument of an option: the rest of this word or the next word. */
static char *
lb_option_arg(int argc, char *const *argv, int *i, const char *p)
{
    if (p[1] != '\0') {
        return strdup(p + 1);
    }
    if (*i + 1 < argc) {
        return strdup(argv[++*i]);
    }
    fprintf(stderr, "weir: option \"-%c\" requires an argument\n", p[0]);
    return NULL;
}


static int
lb_get_options(int argc, char *const *argv, lb_options_t *o)
{
    int          i;
    const char  *p;
    char       **arg;

    for (i = 1; i < argc; i++) {
        p = argv[i];

        if (*p++ != '-' || *p == '\0') {
            fprintf(stderr, "weir: invalid option: \"%s\"\n", argv[i]);
            return 1;
        }

        while (*p) {
            arg = NULL;

            switch (*p) {
            case 't': o->test = true; break;
            case 'T': o->test = true; o->dump = true; break;
            case 'f': o->foreground = true; break;
            case 'v': o->version = true; break;
            case 'h': case '?': o->help = true; break;
            case 'c': arg = &o->conf_file; break;
            case 'p': arg = &o->prefix; break;
            case 's': arg = &o->signal; break;
            default:
                fprintf(stderr, "weir: invalid option: \"%c\"\n", *p);
                return 1;
            }

            if (arg != NULL) {
                *arg = lb_option_arg(argc, argv, &i, p);
                if (*arg == NULL) {
                    return 1;
                }
                break;
            }
            p++;
        }
    }

    return 0;
}


static void
lb_usage(FILE *out)
{
    fprintf(out,
        "Usage: weir [-hvtTf] [-s signal] [-p prefix] [-c file]\n\n"
        "Options:\n"
        "  -h, -?     this help\n"
        "  -v         show version and exit\n"
        "  -t         test the configuration and exit\n"
        "  -T         test the configuration, print it with defaults, exit\n"
        "  -f         stay in the foreground (overrides daemon: true)\n"
        "  -s signal  send a signal to the master: reload, quit, stop, "
        "reopen\n"
        "  -p prefix  base for relative paths in the config "
        "(default: " LB_PREFIX_SHOWN ")\n"
        "  -c file    configuration file (default: %s" LB_CONF_PATH ")\n",
        LB_CONF_PATH[0] == '/' ? "" : "prefix/");
}


/* Only for the short-lived modes (-t, -s): sanitizers count leaks. */
static void
lb_free_options(lb_options_t *o, char *conf_file)
{
    if (conf_file != o->conf_file) {
        free(conf_file);
    }
    free(o->conf_file);
    free(o->prefix);
    free(o->signal);
}


/* Each connection is a descriptor or two, and a worker's table holds
 * LB_NOFILE_WANT of them: raise both limits that far when allowed (root),
 * else take the hard limit. */
static void
lb_raise_nofile(void)
{
    struct rlimit  rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
        return;
    }

    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < LB_NOFILE_WANT) {
        rl.rlim_cur = rl.rlim_max = LB_NOFILE_WANT;

        if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
            return;
        }

        if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
            return;
        }
    }

    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
    }
}
