/* weir: GET /metrics, the Prometheus text exposition format (0.0.4) from
 * the configuration and the shared zone:
 *   per target: open and total connections, HTTP requests and responses
 *   by class (written by the workers), bytes in and out, failures; check
 *   results and up/down transitions (written by the checker), its health;
 *   operating status as one 0/1 series per state; weight and weight ratio;
 *   per target group: the sums of its targets' traffic counters and its
 *   rolled-up status; per balancer: its status;
 *   per listener: accepted, open and refused (connection_limit) clients,
 *   from the listener's gauge in the zone (TCP, TLS, HTTP, HTTPS; UDP
 *   listeners have sessions, not connections, and no series);
 *   per HTTPS listener, its HTTP/2 clients: connections and streams
 *   (ever, and open now), streams they reset, GOAWAYs sent to them;
 *   per process: start time and uptime (from /proc); the configuration
 *   generation, and the oldest one a worker or the checker still runs;
 *   per L7 policy: the requests it acted on, and the regular expression
 *   matches stopped by the match limit (lb_http_l7.h, written by the
 *   workers).
 *
 * Names are weir_<object>_<what>[_total|_bytes|_seconds]; labels name the
 * objects by name and id (load_balancer, load_balancer_id, listener,
 * listener_id, target_group, target_group_id, target, target_id, address).
 * A target belongs to a group, which several listeners may use: its
 * series carry no listener label (the counters are per target).
 * Not here: the number of reloads (nothing in the zone counts them). */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lb_admin.h"
#include "lb_admin_json.h"
#include "lb_admin_write.h"
#include "lb_admin_route.h"
#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_event_limit.h"
#include "lb_health_status.h"
#include "lb_health_types.h"
#include "lb_http_l7.h"
#include "lb_zone.h"
#include "lb_zone_gauge.h"
#include "lb_zone_gen.h"

typedef struct {
    lb_target_t        *t;
    lb_zone_target_t   *zt;          /* NULL: no record in the zone */
    lb_zone_health_t    health;
    lb_oper_status_e    status;
    uint32_t            ratio;       /* tenths of a percent */
} lb_admin_mtarget_t;

static void lb_admin_metric_head(lb_admin_buf_t *b, const char *name,
    const char *type, const char *help);
static void lb_admin_metric_labels(lb_admin_buf_t *b, const char *name,
    const lb_admin_mtarget_t *m, const char *key, const char *value);
static void lb_admin_metric_value(lb_admin_buf_t *b, const char *name,
    const char *labels, uint64_t v);
static void lb_admin_label(lb_admin_buf_t *b, const char *key,
    const char *value, bool first);
static void lb_admin_metrics_classes(lb_admin_buf_t *out,
    lb_admin_mtarget_t *ms, uint32_t n);
static void lb_admin_metrics_groups(lb_admin_buf_t *out, lb_conf_t *conf,
    lb_admin_mtarget_t *ms, uint32_t n);
static void lb_admin_metrics_h2(lb_admin_buf_t *out, lb_conf_t *conf,
    lb_shm_zone_t *z);
static void lb_admin_metrics_listeners(lb_admin_buf_t *out, lb_conf_t *conf,
    lb_shm_zone_t *z);
static void lb_admin_metrics_processes(lb_admin_buf_t *out, bool uptime);
static void lb_admin_metrics_l7(lb_admin_buf_t *out, lb_conf_t *conf,
    lb_shm_zone_t *z);
static void lb_admin_group_labels(lb_admin_buf_t *b, const char *name,
    const lb_target_group_t *tg);
static uint64_t lb_admin_boot_time(void);
static ssize_t lb_admin_proc_read(pid_t pid, const char *what, char *buf,
    size_t size);
static lb_int_t lb_admin_proc_stat(pid_t pid, pid_t *ppid,
    uint64_t *start);
static lb_int_t lb_admin_proc_kind(pid_t pid, char *kind, size_t size);

/* the statuses a target, and a group or a balancer, can have */
static const lb_oper_status_e  lb_admin_target_statuses[] = {
    LB_OPER_ONLINE, LB_OPER_ERROR, LB_OPER_DRAINING, LB_OPER_OFFLINE,
    LB_OPER_NO_MONITOR
};

static const lb_oper_status_e  lb_admin_group_statuses[] = {
    LB_OPER_ONLINE, LB_OPER_DEGRADED, LB_OPER_ERROR, LB_OPER_OFFLINE,
    LB_OPER_NO_MONITOR
};

/* what a target family needs to have a series for a target */
#define LB_ADMIN_M_RECORD   0x01    /* a record in the zone */
#define LB_ADMIN_M_CHECKED  0x02    /* a health check on its group */
#define LB_ADMIN_M_CHANGED  0x04    /* a health change seen */

typedef struct {
    const char          *name;
    const char          *type;
    const char          *help;
    unsigned             needs;
    void               (*value)(lb_admin_buf_t *b,
                                const lb_admin_mtarget_t *m);
    size_t               counter;     /* value NULL: the offset of a
                                         counter of the zone record */
} lb_admin_family_t;

#define LB_ADMIN_COUNTER(field)                                           \
    NULL, offsetof(lb_zone_target_t, field)

static void lb_admin_v_active(lb_admin_buf_t *b, const lb_admin_mtarget_t *m);
static void lb_admin_v_up(lb_admin_buf_t *b, const lb_admin_mtarget_t *m);
static void lb_admin_v_rise(lb_admin_buf_t *b, const lb_admin_mtarget_t *m);
static void lb_admin_v_fall(lb_admin_buf_t *b, const lb_admin_mtarget_t *m);
static void lb_admin_v_change(lb_admin_buf_t *b,
    const lb_admin_mtarget_t *m);
static void lb_admin_v_weight(lb_admin_buf_t *b,
    const lb_admin_mtarget_t *m);
static void lb_admin_v_ratio(lb_admin_buf_t *b, const lb_admin_mtarget_t *m);

static const lb_admin_family_t  lb_admin_target_families[] = {
    { "weir_target_active_connections", "gauge",
      "Connections open to the target now.",
      LB_ADMIN_M_RECORD, lb_admin_v_active },
    { "weir_target_connections_total", "counter",
      "Connections (or UDP sessions) made to the target.",
      LB_ADMIN_M_RECORD, LB_ADMIN_COUNTER(total) },
    { "weir_target_received_bytes_total", "counter",
      "Bytes received from the target.",
      LB_ADMIN_M_RECORD, LB_ADMIN_COUNTER(bytes_in) },
    { "weir_target_sent_bytes_total", "counter",
      "Bytes sent to the target.",
      LB_ADMIN_M_RECORD, LB_ADMIN_COUNTER(bytes_out) },
    { "weir_target_failures_total", "counter",
      "Connects or requests to the target that failed.",
      LB_ADMIN_M_RECORD, LB_ADMIN_COUNTER(failures) },
    { "weir_target_http_requests_total", "counter",
      "HTTP requests given to the target (a retry on another target "
      "counts there too).",
      LB_ADMIN_M_RECORD, LB_ADMIN_COUNTER(requests) },
    { "weir_target_packets_total", "counter",
      "Packets forwarded to the target by a DSR balancer.",
      LB_ADMIN_M_RECORD, LB_ADMIN_COUNTER(packets) },
    { "weir_target_health_up", "gauge",
      "1 when the health checks find the target healthy.",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED, lb_admin_v_up },
    { "weir_target_health_check_successes", "gauge",
      "Consecutive successful health checks.",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED, lb_admin_v_rise },
    { "weir_target_health_check_failures", "gauge",
      "Consecutive failed health checks.",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED, lb_admin_v_fall },
    { "weir_target_health_checks_ok_total", "counter",
      "Health checks of the target that passed.",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED,
      LB_ADMIN_COUNTER(checks_ok) },
    { "weir_target_health_checks_failed_total", "counter",
      "Health checks of the target that failed.",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED,
      LB_ADMIN_COUNTER(checks_failed) },
    { "weir_target_health_up_transitions_total", "counter",
      "Times the checks brought the target into rotation (to HEALTHY).",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED, LB_ADMIN_COUNTER(went_up) },
    { "weir_target_health_down_transitions_total", "counter",
      "Times the checks took the target out of rotation (to UNHEALTHY).",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED,
      LB_ADMIN_COUNTER(went_down) },
    { "weir_target_health_last_change_seconds", "gauge",
      "When the target's health last changed, seconds since the epoch.",
      LB_ADMIN_M_RECORD | LB_ADMIN_M_CHECKED | LB_ADMIN_M_CHANGED,
      lb_admin_v_change },
    { "weir_target_weight", "gauge",
      "Configured weight of the target, 0..256.",
      0, lb_admin_v_weight },
    { "weir_target_weight_ratio", "gauge",
      "Share of its group's traffic the weights give the target (SPEC.md "
      "section 4), 0..1.",
      0, lb_admin_v_ratio },
    { NULL, NULL, NULL, 0, NULL }
};

time_t  lb_admin_start_time;


void
lb_admin_metrics(lb_admin_req_t *r)
{
    uint32_t             b, g, i, k, n, s, total;
    const lb_admin_family_t  *f;
    lb_conf_t           *conf;
    lb_shm_zone_t       *z;
    lb_admin_buf_t      *out;
    lb_load_balancer_t  *lb;
    lb_target_group_t   *tg;
    lb_oper_status_e     st;
    lb_admin_mtarget_t  *ms, *m;

    if (r->nquery != 0) {
        lb_admin_error(r, 400, "unknown query parameter \"%s\"; this "
                       "resource takes none", r->qkeys[0]);
        return;
    }

    conf = lb_admin_current(r->cycle);
    z = r->cycle->zone;
    out = r->body;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";

    n = 0;
    for (b = 0; b < conf->nbalancers; b++) {
        for (g = 0; g < conf->balancers[b].ntarget_groups; g++) {
            n += conf->balancers[b].target_groups[g].ntargets;
        }
    }

    ms = calloc(n ? n : 1, sizeof(lb_admin_mtarget_t));
    if (ms == NULL) {
        out->nomem = 1;
        return;
    }

    /* one look at the zone per target, then every family from it */
    k = 0;
    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];

        for (g = 0; g < lb->ntarget_groups; g++) {
            tg = &lb->target_groups[g];
            total = lb_weight_converted_total(tg);

            for (i = 0; i < tg->ntargets; i++) {
                m = &ms[k++];
                m->t = &tg->targets[i];
                m->zt = lb_zone_target_get(z, tg->id ? tg->id : tg->name,
                                           &m->t->addr, false);
                if (m->zt != NULL) {
                    (void) lb_zone_target_health_get(m->zt, &m->health);
                }
                m->status = lb_health_target_status(z, m->t);
                m->ratio = lb_weight_ratio(lb_weight_converted(m->t->weight),
                                           total);
            }
        }
    }

    for (f = lb_admin_target_families; f->name != NULL; f++) {
        lb_admin_metric_head(out, f->name, f->type, f->help);

        for (k = 0; k < n; k++) {
            m = &ms[k];

            if ((f->needs & LB_ADMIN_M_RECORD) && m->zt == NULL) {
                continue;
            }

            if ((f->needs & LB_ADMIN_M_CHECKED)
                && m->t->group->health_monitor == NULL)
            {
                continue;
            }

            if ((f->needs & LB_ADMIN_M_CHANGED)
                && m->health.last_change == 0)
            {
                continue;
            }

            lb_admin_metric_labels(out, f->name, m, NULL, NULL);
            lb_admin_buf_append(out, " ", 1);
            if (f->value != NULL) {
                f->value(out, m);

            } else {
                lb_admin_buf_printf(out, "%llu", (unsigned long long)
                    lb_zone_counter_get((const uint64_t *)
                        ((const u_char *) m->zt + f->counter)));
            }
            lb_admin_buf_append(out, "\n", 1);
        }
    }

    lb_admin_metrics_classes(out, ms, n);

    lb_admin_metric_head(out, "weir_target_operating_status", "gauge",
                         "Operating status of the target (SPEC.md section "
                         "8): 1 for the current one.");
    for (k = 0; k < n; k++) {
        m = &ms[k];

        for (s = 0; s < lb_nelems(lb_admin_target_statuses); s++) {
            st = lb_admin_target_statuses[s];
            lb_admin_metric_labels(out, "weir_target_operating_status", m,
                                   "status", lb_oper_status_names[st]);
            lb_admin_buf_printf(out, " %d\n", m->status == st);
        }
    }

    lb_admin_metrics_groups(out, conf, ms, n);

    free(ms);

    lb_admin_metric_head(out, "weir_target_group_operating_status", "gauge",
                         "Operating status of the target group: 1 for the "
                         "current one.");
    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];

        for (g = 0; g < lb->ntarget_groups; g++) {
            tg = &lb->target_groups[g];
            st = lb_health_group_status(z, tg);

            for (s = 0; s < lb_nelems(lb_admin_group_statuses); s++) {
                lb_admin_group_labels(out,
                                      "weir_target_group_operating_status",
                                      tg);
                lb_admin_label(out, "status",
                               lb_oper_status_names
                                   [lb_admin_group_statuses[s]], false);
                lb_admin_buf_printf(out, "} %d\n",
                                    st == lb_admin_group_statuses[s]);
            }
        }
    }

    lb_admin_metric_head(out, "weir_load_balancer_operating_status", "gauge",
                         "Operating status of the load balancer: 1 for the "
                         "current one.");
    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];
        st = lb_health_balancer_status(z, lb);

        for (s = 0; s < lb_nelems(lb_admin_group_statuses); s++) {
            lb_admin_buf_printf(out, "weir_load_balancer_operating_status");
            lb_admin_label(out, "load_balancer", lb->name, true);
            lb_admin_label(out, "load_balancer_id", lb->id, false);
            lb_admin_label(out, "status",
                           lb_oper_status_names[lb_admin_group_statuses[s]],
                           false);
            lb_admin_buf_printf(out, "} %d\n",
                                st == lb_admin_group_statuses[s]);
        }
    }

    lb_admin_metrics_listeners(out, conf, z);
    lb_admin_metrics_h2(out, conf, z);
    lb_admin_metrics_l7(out, conf, z);

    lb_admin_metric_head(out, "weir_config_generation", "gauge",
                         "Generation of the newest configuration (grows "
                         "with every reload and every change applied "
                         "live).");
    lb_admin_metric_value(out, "weir_config_generation", NULL,
                          lb_zone_generation(z));

    lb_admin_metric_head(out, "weir_config_oldest_running_generation",
                         "gauge", "The oldest generation a worker or the "
                         "health checker still runs (below "
                         "weir_config_generation while a change is being "
                         "taken up).");
    lb_admin_metric_value(out, "weir_config_oldest_running_generation", NULL,
                          lb_zone_gen_oldest_running(z));

    lb_admin_metric_head(out, "weir_reloads_total", "counter",
                         "Graceful reloads (new workers) since weir "
                         "started.");
    lb_admin_metric_value(out, "weir_reloads_total", NULL,
                          lb_zone_gen_counted(z, false));

    lb_admin_metric_head(out, "weir_live_changes_total", "counter",
                         "Generations the running workers took up without "
                         "a reload (changes of the admin API).");
    lb_admin_metric_value(out, "weir_live_changes_total", NULL,
                          lb_zone_gen_counted(z, true));

    lb_admin_metric_head(out, "weir_process_start_time_seconds", "gauge",
                         "When each process of weir started, seconds since "
                         "the epoch.");
    lb_admin_metrics_processes(out, false);

    lb_admin_metric_head(out, "weir_process_uptime_seconds", "gauge",
                         "How long each process of weir has run, seconds.");
    lb_admin_metrics_processes(out, true);
}


/* weir_target_http_responses_total{...,class="2xx"}: one series per
 * class for every target with a record */
static void
lb_admin_metrics_classes(lb_admin_buf_t *out, lb_admin_mtarget_t *ms,
    uint32_t n)
{
    char                 cls[4];
    uint32_t             k, i;
    lb_admin_mtarget_t  *m;

    lb_admin_metric_head(out, "weir_target_http_responses_total", "counter",
                         "HTTP responses from the target by status class "
                         "(interim 1xx other than 101 not counted).");

    for (k = 0; k < n; k++) {
        m = &ms[k];

        if (m->zt == NULL) {
            continue;
        }

        for (i = 0; i < LB_ZONE_HTTP_CLASSES; i++) {
            cls[0] = (char) ('1' + i);
            cls[1] = 'x';
            cls[2] = 'x';
            cls[3] = '\0';

            lb_admin_metric_labels(out, "weir_target_http_responses_total", m,
                                   "class", cls);
            lb_admin_buf_printf(out, " %llu\n", (unsigned long long)
                                lb_zone_counter_get(&m->zt->responses[i]));
        }
    }
}


/* the sums over a group's targets of their traffic counters */
static const struct {
    const char  *name;
    const char  *type;
    const char  *help;
    size_t       counter;
} lb_admin_group_families[] = {
    { "weir_target_group_active_connections", "gauge",
      "Connections open to the group's targets now.",
      offsetof(lb_zone_target_t, active) },
    { "weir_target_group_connections_total", "counter",
      "Connections made to the group's targets.",
      offsetof(lb_zone_target_t, total) },
    { "weir_target_group_http_requests_total", "counter",
      "HTTP requests given to the group's targets.",
      offsetof(lb_zone_target_t, requests) },
    { "weir_target_group_received_bytes_total", "counter",
      "Bytes received from the group's targets.",
      offsetof(lb_zone_target_t, bytes_in) },
    { "weir_target_group_sent_bytes_total", "counter",
      "Bytes sent to the group's targets.",
      offsetof(lb_zone_target_t, bytes_out) },
    { "weir_target_group_failures_total", "counter",
      "Connects or requests to the group's targets that failed.",
      offsetof(lb_zone_target_t, failures) },
};


static void
lb_admin_metrics_groups(lb_admin_buf_t *out, lb_conf_t *conf,
    lb_admin_mtarget_t *ms, uint32_t n)
{
    size_t               f;
    uint32_t             b, g, k, i;
    uint64_t             sum;
    lb_target_group_t   *tg;
    lb_admin_mtarget_t  *m;

    for (f = 0; f < lb_nelems(lb_admin_group_families); f++) {
        lb_admin_metric_head(out, lb_admin_group_families[f].name,
                             lb_admin_group_families[f].type,
                             lb_admin_group_families[f].help);

        /* ms holds the targets in the order of the groups */
        k = 0;
        for (b = 0; b < conf->nbalancers; b++) {
            for (g = 0; g < conf->balancers[b].ntarget_groups; g++) {
                tg = &conf->balancers[b].target_groups[g];
                sum = 0;

                for (i = 0; i < tg->ntargets && k < n; i++, k++) {
                    m = &ms[k];
                    if (m->zt != NULL) {
                        sum += lb_zone_counter_get((const uint64_t *)
                                   ((const u_char *) m->zt
                                    + lb_admin_group_families[f].counter));
                    }
                }

                lb_admin_group_labels(out, lb_admin_group_families[f].name,
                                      tg);
                lb_admin_buf_printf(out, "} %llu\n",
                                    (unsigned long long) sum);
            }
        }
    }
}


/* name{load_balancer=..,load_balancer_id=..,target_group=..,
 * target_group_id=.. (left open for more labels) */
static void
lb_admin_group_labels(lb_admin_buf_t *b, const char *name,
    const lb_target_group_t *tg)
{
    lb_admin_buf_printf(b, "%s", name);
    lb_admin_label(b, "load_balancer", tg->balancer->name, true);
    lb_admin_label(b, "load_balancer_id", tg->balancer->id, false);
    lb_admin_label(b, "target_group", tg->name, false);
    lb_admin_label(b, "target_group_id", tg->id, false);
}


/* per listener, from its gauge in the zone (lb_event_limit.h): made by the
 * first client a worker accepts on it, so a listener nobody has reached
 * yet shows 0 */
typedef enum {
    LB_ADMIN_L_ACCEPTED = 0,
    LB_ADMIN_L_ACTIVE,
    LB_ADMIN_L_REJECTED,
    LB_ADMIN_L_LIMIT
} lb_admin_listener_value_e;

static const struct {
    const char                 *name;
    const char                 *type;
    const char                 *help;
    lb_admin_listener_value_e   what;
} lb_admin_listener_families[] = {
    { "weir_listener_accepted_connections_total", "counter",
      "Clients accepted on the listener (and let in).", LB_ADMIN_L_ACCEPTED },
    { "weir_listener_active_connections", "gauge",
      "Clients of the listener open now.", LB_ADMIN_L_ACTIVE },
    { "weir_listener_rejected_connections_total", "counter",
      "Clients closed at once because the listener's connection_limit was "
      "reached.", LB_ADMIN_L_REJECTED },
    { "weir_listener_connection_limit", "gauge",
      "The listener's connection_limit; -1: unlimited.", LB_ADMIN_L_LIMIT },
};


static void
lb_admin_metrics_listeners(lb_admin_buf_t *out, lb_conf_t *conf,
    lb_shm_zone_t *z)
{
    size_t                f;
    int64_t               v;
    uint32_t              b, l, nl, k;
    lb_listener_t        *lst;
    lb_zone_gauge_t     **gauges;
    char                  name[LB_ZONE_GAUGE_NAME_LEN + 1], port[16];

    nl = 0;
    for (b = 0; b < conf->nbalancers; b++) {
        nl += conf->balancers[b].nlisteners;
    }

    gauges = calloc(nl ? nl : 1, sizeof(lb_zone_gauge_t *));
    if (gauges == NULL) {
        out->nomem = 1;
        return;
    }

    k = 0;
    for (b = 0; b < conf->nbalancers; b++) {
        for (l = 0; l < conf->balancers[b].nlisteners; l++, k++) {
            lst = &conf->balancers[b].listeners[l];

            if (z != NULL && lst->protocol != LB_LISTENER_UDP) {
                lb_event_limit_name(lst, name, sizeof(name));
                gauges[k] = lb_zone_gauge_find(z, name);
            }
        }
    }

    for (f = 0; f < lb_nelems(lb_admin_listener_families); f++) {
        lb_admin_metric_head(out, lb_admin_listener_families[f].name,
                             lb_admin_listener_families[f].type,
                             lb_admin_listener_families[f].help);

        k = 0;
        for (b = 0; b < conf->nbalancers; b++) {
            for (l = 0; l < conf->balancers[b].nlisteners; l++, k++) {
                lst = &conf->balancers[b].listeners[l];

                if (lst->protocol == LB_LISTENER_UDP) {
                    continue;
                }

                switch (lb_admin_listener_families[f].what) {
                case LB_ADMIN_L_ACCEPTED:
                    v = gauges[k] ? (int64_t) lb_zone_gauge_entered(gauges[k])
                                  : 0;
                    break;
                case LB_ADMIN_L_ACTIVE:
                    v = gauges[k] ? lb_zone_gauge_value(gauges[k]) : 0;
                    break;
                case LB_ADMIN_L_REJECTED:
                    v = gauges[k] ? (int64_t) lb_zone_gauge_refused(gauges[k])
                                  : 0;
                    break;
                default:    /* LB_ADMIN_L_LIMIT */
                    v = lst->connection_limit > 0 ? lst->connection_limit
                                                  : -1;
                }

                snprintf(port, sizeof(port), "%u", lst->protocol_port);

                lb_admin_buf_printf(out, "%s",
                                    lb_admin_listener_families[f].name);
                lb_admin_label(out, "load_balancer", lst->balancer->name,
                               true);
                lb_admin_label(out, "load_balancer_id", lst->balancer->id,
                               false);
                lb_admin_label(out, "listener", lst->name, false);
                lb_admin_label(out, "listener_id", lst->id, false);
                lb_admin_label(out, "protocol",
                               lb_listener_proto_names[lst->protocol], false);
                lb_admin_label(out, "port", port, false);
                lb_admin_buf_printf(out, "} %lld\n", (long long) v);
            }
        }
    }

    free(gauges);
}


/* per HTTPS listener, HTTP/2 clients: from the gauges its workers keep in
 * the zone (src/http/lb_http2.c; made by a worker's first h2 client: 0
 * before) */
static const struct {
    const char  *name;
    const char  *type;
    const char  *help;
    const char  *kind;        /* of the gauge */
    bool         open;        /* its total, else how many entered */
} lb_admin_h2_families[] = {
    { "weir_listener_h2_connections_total", "counter",
      "HTTP/2 client connections (ALPN h2) of the listener.", "h2c", false },
    { "weir_listener_h2_active_connections", "gauge",
      "HTTP/2 client connections of the listener open now.", "h2c", true },
    { "weir_listener_h2_streams_total", "counter",
      "HTTP/2 request streams of the listener's clients.", "h2s", false },
    { "weir_listener_h2_active_streams", "gauge",
      "HTTP/2 request streams open now.", "h2s", true },
    { "weir_listener_h2_resets_total", "counter",
      "Streams the listener's HTTP/2 clients reset (RST_STREAM).", "h2r",
      false },
    { "weir_listener_h2_goaways_total", "counter",
      "GOAWAY frames sent to the listener's HTTP/2 clients.", "h2g",
      false },
};


static void
lb_admin_metrics_h2(lb_admin_buf_t *out, lb_conf_t *conf, lb_shm_zone_t *z)
{
    size_t            f;
    int64_t           v;
    uint32_t          b, l;
    lb_listener_t    *lst;
    lb_zone_gauge_t  *g;
    char              name[LB_ZONE_GAUGE_NAME_LEN + 1], port[16];

    for (f = 0; f < lb_nelems(lb_admin_h2_families); f++) {
        lb_admin_metric_head(out, lb_admin_h2_families[f].name,
                             lb_admin_h2_families[f].type,
                             lb_admin_h2_families[f].help);

        for (b = 0; b < conf->nbalancers; b++) {
            for (l = 0; l < conf->balancers[b].nlisteners; l++) {
                lst = &conf->balancers[b].listeners[l];

                if (lst->protocol != LB_LISTENER_HTTPS) {
                    continue;
                }

                g = NULL;

                if (z != NULL) {
                    lb_event_listener_gauge_name(lst,
                        lb_admin_h2_families[f].kind, name, sizeof(name));
                    g = lb_zone_gauge_find(z, name);
                }

                v = 0;

                if (g != NULL) {
                    v = lb_admin_h2_families[f].open
                        ? lb_zone_gauge_value(g)
                        : (int64_t) lb_zone_gauge_entered(g);
                }

                snprintf(port, sizeof(port), "%u", lst->protocol_port);

                lb_admin_buf_printf(out, "%s", lb_admin_h2_families[f].name);
                lb_admin_label(out, "load_balancer", lst->balancer->name,
                               true);
                lb_admin_label(out, "load_balancer_id", lst->balancer->id,
                               false);
                lb_admin_label(out, "listener", lst->name, false);
                lb_admin_label(out, "listener_id", lst->id, false);
                lb_admin_label(out, "port", port, false);
                lb_admin_buf_printf(out, "} %lld\n", (long long) v);
            }
        }
    }
}


/* per L7 policy, from its counter in the zone (made by the first worker
 * that builds it: 0 before) */
static void
lb_admin_metrics_l7(lb_admin_buf_t *out, lb_conf_t *conf, lb_shm_zone_t *z)
{
    uint32_t          b, l, k;
    uint64_t          v;
    lb_listener_t    *lst;
    lb_l7_policy_t   *p;
    lb_zone_gauge_t  *g;
    char              name[LB_ZONE_GAUGE_NAME_LEN + 1];

    lb_admin_metric_head(out, "weir_policy_matched_requests_total",
                         "counter", "Requests the L7 policy acted on (its "
                         "rules all matched, no policy before it did).");

    for (b = 0; b < conf->nbalancers; b++) {
        for (l = 0; l < conf->balancers[b].nlisteners; l++) {
            lst = &conf->balancers[b].listeners[l];

            for (k = 0; k < lst->nl7_policies; k++) {
                p = &lst->l7_policies[k];
                g = NULL;

                if (z != NULL && p->id != NULL) {
                    snprintf(name, sizeof(name), LB_HTTP_L7_GAUGE "%s",
                             p->id);
                    g = lb_zone_gauge_find(z, name);
                }

                v = g != NULL ? lb_zone_gauge_entered(g) : 0;

                lb_admin_buf_printf(out, "%s",
                                    "weir_policy_matched_requests_total");
                lb_admin_label(out, "load_balancer", lst->balancer->name,
                               true);
                lb_admin_label(out, "load_balancer_id", lst->balancer->id,
                               false);
                lb_admin_label(out, "listener", lst->name, false);
                lb_admin_label(out, "listener_id", lst->id, false);
                lb_admin_label(out, "l7policy", p->name, false);
                lb_admin_label(out, "l7policy_id", p->id, false);
                lb_admin_label(out, "action",
                               lb_l7_action_names[p->action], false);
                lb_admin_buf_printf(out, "} %llu\n", (unsigned long long) v);
            }
        }
    }

    g = z != NULL ? lb_zone_gauge_find(z, LB_HTTP_L7_LIMIT_GAUGE) : NULL;

    lb_admin_metric_head(out, "weir_policy_regex_match_limit_total", "counter",
                         "Regular expression matches of L7 rules stopped "
                         "by the match limit (the rule did not match).");
    lb_admin_metric_value(out, "weir_policy_regex_match_limit_total", NULL,
                          g != NULL ? lb_zone_gauge_entered(g) : 0);
}


/* The master (our parent) and its children, found in /proc: their kind
 * from the title they set, their start from /proc/PID/stat. Without
 * /proc, only this process (whose start it knows). */
static void
lb_admin_metrics_processes(lb_admin_buf_t *out, bool uptime)
{
    DIR            *d;
    long            tick;
    pid_t           master, pid, ppid;
    uint64_t        btime, start;
    struct dirent  *e;
    uint64_t        now, v;
    char            kind[64], label[96];
    const char     *family;

    family = uptime ? "weir_process_uptime_seconds"
                    : "weir_process_start_time_seconds";
    now = (uint64_t) time(NULL);
    master = getppid();
    tick = sysconf(_SC_CLK_TCK);
    btime = lb_admin_boot_time();

    d = (btime != 0 && tick > 0) ? opendir("/proc") : NULL;

    if (d == NULL) {
        v = (uint64_t) lb_admin_start_time;
        lb_admin_buf_printf(out, "%s{process=\"admin\",pid=\"%d\"} %llu\n",
                            family, (int) getpid(), (unsigned long long)
                            (uptime ? (now > v ? now - v : 0) : v));
        return;
    }

    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') {
            continue;
        }

        pid = (pid_t) atoi(e->d_name);

        if (lb_admin_proc_stat(pid, &ppid, &start) != LB_OK
            || (pid != master && ppid != master))
        {
            continue;
        }

        if (pid == master) {
            strcpy(kind, "master");

        } else if (lb_admin_proc_kind(pid, kind, sizeof(kind)) != LB_OK) {
            continue;
        }

        snprintf(label, sizeof(label), "%d", (int) pid);

        v = btime + start / (uint64_t) tick;

        lb_admin_buf_printf(out, "%s", family);
        lb_admin_label(out, "process", kind, true);
        lb_admin_label(out, "pid", label, false);
        lb_admin_buf_printf(out, "} %llu\n", (unsigned long long)
                            (uptime ? (now > v ? now - v : 0) : v));
    }

    (void) closedir(d);
}


/* the system's boot time (btime of /proc/stat), 0 when unknown */
static uint64_t
lb_admin_boot_time(void)
{
    FILE                *f;
    char                 line[256];
    unsigned long long   v;

    f = fopen("/proc/stat", "re");
    if (f == NULL) {
        return 0;
    }

    v = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "btime %llu", &v) == 1) {
            break;
        }
    }

    (void) fclose(f);

    return v;
}


/* /proc/PID/WHAT into buf, NUL-terminated: the bytes read, or <= 0 */
static ssize_t
lb_admin_proc_read(pid_t pid, const char *what, char *buf, size_t size)
{
    int      fd;
    char     path[64];
    ssize_t  n;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, what);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    n = read(fd, buf, size - 1);
    (void) close(fd);

    if (n > 0) {
        buf[n] = '\0';
    }

    return n;
}


/* From /proc/PID/stat: the parent and the start time in clock ticks
 * after boot (fields 4 and 22; the name in field 2 may hold spaces and
 * parentheses, so fields are counted from its last ')'). */
static lb_int_t
lb_admin_proc_stat(pid_t pid, pid_t *ppid, uint64_t *start)
{
    int                  i;
    char                 buf[1024], *p;
    unsigned long long   v;

    if (lb_admin_proc_read(pid, "stat", buf, sizeof(buf)) <= 0) {
        return LB_ERROR;
    }

    p = strrchr(buf, ')');
    if (p == NULL) {
        return LB_ERROR;
    }

    /* p + 2 is field 3 (state) */
    p += 2;

    for (i = 3; i < 22; i++) {
        if (i == 4) {
            *ppid = (pid_t) strtol(p, NULL, 10);
        }

        p = strchr(p, ' ');
        if (p == NULL) {
            return LB_ERROR;
        }
        p++;
    }

    if (sscanf(p, "%llu", &v) != 1) {
        return LB_ERROR;
    }

    *start = v;

    return LB_OK;
}


/* "worker", "health checker", "admin" from a title "weir: worker
 * process" (lb_child.c); LB_DECLINED for anything else */
static lb_int_t
lb_admin_proc_kind(pid_t pid, char *kind, size_t size)
{
    char      buf[128], *p;
    size_t    len;

    if (lb_admin_proc_read(pid, "cmdline", buf, sizeof(buf)) <= 0) {
        return LB_ERROR;
    }

    if (strncmp(buf, "weir: ", 6) != 0) {
        return LB_DECLINED;
    }

    p = buf + 6;
    len = strlen(p);

    if (len > 8 && strcmp(p + len - 8, " process") == 0) {
        len -= 8;
    }

    if (len == 0 || len >= size) {
        return LB_DECLINED;
    }

    memcpy(kind, p, len);
    kind[len] = '\0';

    return LB_OK;
}


static void
lb_admin_metric_head(lb_admin_buf_t *b, const char *name, const char *type,
    const char *help)
{
    lb_admin_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                        type);
}


/* name{load_balancer="..",target_group="..",target="..",address="..",
 * target_id=".."[,key="value"]} */
static void
lb_admin_metric_labels(lb_admin_buf_t *b, const char *name,
    const lb_admin_mtarget_t *m, const char *key, const char *value)
{
    const lb_target_t  *t;

    t = m->t;

    lb_admin_buf_printf(b, "%s", name);
    lb_admin_label(b, "load_balancer", t->group->balancer->name, true);
    lb_admin_label(b, "load_balancer_id", t->group->balancer->id, false);
    lb_admin_label(b, "target_group", t->group->name, false);
    lb_admin_label(b, "target_group_id", t->group->id, false);
    lb_admin_label(b, "target", t->name, false);
    lb_admin_label(b, "target_id", t->id, false);
    lb_admin_label(b, "address", t->addr.text, false);
    if (key != NULL) {
        lb_admin_label(b, key, value, false);
    }
    lb_admin_buf_append(b, "}", 1);
}


static void
lb_admin_metric_value(lb_admin_buf_t *b, const char *name,
    const char *labels, uint64_t v)
{
    lb_admin_buf_printf(b, "%s%s %llu\n", name, labels ? labels : "",
                        (unsigned long long) v);
}


/* key="value" with \, " and newline escaped, after '{' or ',' */
static void
lb_admin_label(lb_admin_buf_t *b, const char *key, const char *value,
    bool first)
{
    const char  *p;

    lb_admin_buf_printf(b, "%s%s=\"", first ? "{" : ",", key);

    for (p = value ? value : ""; *p != '\0'; p++) {
        switch (*p) {
        case '\\': lb_admin_buf_append(b, "\\\\", 2); break;
        case '"':  lb_admin_buf_append(b, "\\\"", 2); break;
        case '\n': lb_admin_buf_append(b, "\\n", 2); break;
        default:   lb_admin_buf_append(b, p, 1);
        }
    }

    lb_admin_buf_append(b, "\"", 1);
}


static void
lb_admin_v_active(lb_admin_buf_t *b, const lb_admin_mtarget_t *m)
{
    lb_admin_buf_printf(b, "%llu",
                        (unsigned long long) lb_zone_target_active(m->zt));
}


static void
lb_admin_v_up(lb_admin_buf_t *b, const lb_admin_mtarget_t *m)
{
    lb_admin_buf_printf(b, "%d", m->health.state == LB_ZONE_HEALTHY);
}


static void
lb_admin_v_rise(lb_admin_buf_t *b, const lb_admin_mtarget_t *m)
{
    lb_admin_buf_printf(b, "%u", m->health.rise);
}


static void
lb_admin_v_fall(lb_admin_buf_t *b, const lb_admin_mtarget_t *m)
{
    lb_admin_buf_printf(b, "%u", m->health.fall);
}


static void
lb_admin_v_change(lb_admin_buf_t *b, const lb_admin_mtarget_t *m)
{
    lb_admin_buf_printf(b, "%llu.%03u",
                        (unsigned long long) (m->health.last_change / 1000),
                        (unsigned) (m->health.last_change % 1000));
}


static void
lb_admin_v_weight(lb_admin_buf_t *b, const lb_admin_mtarget_t *m)
{
    lb_admin_buf_printf(b, "%u", m->t->weight);
}


/* tenths of a percent as a fraction: 333 -> 0.333 */
static void
lb_admin_v_ratio(lb_admin_buf_t *b, const lb_admin_mtarget_t *m)
{
    lb_admin_buf_printf(b, "%u.%03u", m->ratio / 1000, m->ratio % 1000);
}
