/* weir: unit tests for the sessions of src/http/lb_http_request.c: an idle
 * client connection holds no session (and so no buffers); sessions come
 * from the worker's free list, which is reused, and shrinks after a burst
 * to LB_HTTP_SESSIONS_KEEP or to as many as are in use; pipelined bytes
 * keep their session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_connection.h"
#include "lb_event_timer.h"
#include "lb_http_session.h"
#include "lb_palloc.h"
#include "lb_time.h"

/* the file under test, for its statics */
#include "lb_http_request.c"

#define LBT_CONNS  48

static lb_listener_t     lbt_listener;
static int               lbt_fds[LBT_CONNS][2];
static lb_connection_t  *lbt_c[LBT_CONNS];
static lb_http_conn_t   *lbt_hc[LBT_CONNS];


static int
lbt_setup(void **state)
{
    int  i;

    (void) state;

    lb_time_update();
    lb_event_timer_init();
    assert_int_equal(lb_connection_init(LBT_CONNS), LB_OK);
    lb_http_list_init(&lb_http_worker.idle_clients);

    lbt_listener.timeout_client_header = 10000;
    lbt_listener.timeout_client_data = 50000;

    for (i = 0; i < LBT_CONNS; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, lbt_fds[i]),
                         0);
        lbt_c[i] = lb_get_connection(lbt_fds[i][0]);
        assert_non_null(lbt_c[i]);
        assert_non_null(lb_connection_pool(lbt_c[i], LB_HTTP_POOL_SIZE));

        lbt_hc[i] = lb_pcalloc(lbt_c[i]->pool, sizeof(lb_http_conn_t));
        assert_non_null(lbt_hc[i]);
        lbt_hc[i]->client = lbt_c[i];
        lbt_hc[i]->listener = &lbt_listener;
        lbt_c[i]->data = lbt_hc[i];
        lbt_c[i]->read->handler = lb_http_idle_handler;
        lbt_c[i]->write->handler = lb_http_idle_handler;
    }

    return 0;
}


/* take: buffers in place, empty, c->data the session; give: back to the
 * connection record, no session, reused by the next take, clean */
static void
test_take_give(void **state)
{
    lb_connection_t    *c;
    lb_http_session_t  *s, *s2;

    (void) state;

    c = lbt_c[0];

    s = lb_http_session_take(lbt_hc[0]);
    assert_non_null(s);
    assert_ptr_equal(c->data, s);
    assert_ptr_equal(lbt_hc[0]->session, s);
    assert_ptr_equal(c->read->handler, lb_http_client_handler);
    assert_int_equal(s->phase, LB_HTTP_PH_HEAD);
    assert_int_equal(s->cin.end - s->cin.start, LB_HTTP_BUFFER_SIZE);
    assert_int_equal(s->uin.end - s->uin.start, LB_HTTP_BUFFER_SIZE);
    assert_int_equal(s->out.end - s->out.start, LB_HTTP_OUT_SIZE);
    assert_ptr_equal(s->cin.pos, s->cin.start);
    assert_ptr_equal(s->cin.last, s->cin.start);
    /* the three do not overlap */
    assert_true(s->cin.end <= s->uin.start);
    assert_true(s->uin.end <= s->out.start);
    assert_int_equal(lb_http_worker.nsessions, 1);

    s->requests = 7;
    s->status = 502;
    memset(s->cin.start, 'x', LB_HTTP_BUFFER_SIZE);
    memset(s->out.start, 'y', LB_HTTP_OUT_SIZE);

    lb_http_session_give(s);
    assert_ptr_equal(c->data, lbt_hc[0]);
    assert_null(lbt_hc[0]->session);
    assert_int_equal(lbt_hc[0]->requests, 7);
    assert_ptr_equal(c->read->handler, lb_http_idle_handler);
    assert_int_equal(lb_http_worker.nfree, 1);

    /* the same one again, its state cleared, the count kept */
    s2 = lb_http_session_take(lbt_hc[1]);
    assert_ptr_equal(s2, s);
    assert_int_equal(lb_http_worker.nsessions, 1);
    assert_int_equal(lb_http_worker.nfree, 0);
    assert_int_equal(s2->status, 0);
    assert_ptr_equal(s2->client, lbt_c[1]);
    assert_ptr_equal(s2->conn, lbt_hc[1]);
    assert_int_equal(s2->requests, 0);
    lb_http_session_give(s2);
}


/* a burst of LBT_CONNS sessions: all of them while in use; given back,
 * they stay mapped (no munmap on the request path); the tick trims the
 * ones no request took through two whole ticks, down to the few kept */
static void
test_burst(void **state)
{
    int                 i;
    lb_http_session_t  *s[LBT_CONNS], *t;

    (void) state;

    for (i = 0; i < LBT_CONNS; i++) {
        s[i] = lb_http_session_take(lbt_hc[i]);
        assert_non_null(s[i]);
    }

    assert_int_equal(lb_http_worker.nsessions, LBT_CONNS);
    assert_int_equal(lb_http_worker.nfree, 0);

    for (i = 0; i < LBT_CONNS; i++) {
        lb_http_session_give(s[i]);
    }

    assert_int_equal(lb_http_worker.nfree, LBT_CONNS);
    assert_int_equal(lb_http_worker.nsessions, LBT_CONNS);

    /* the tick that saw the burst: every session was taken during it */
    lb_http_sessions_trim();
    assert_int_equal(lb_http_worker.nsessions, LBT_CONNS);

    /* a tick in which one session was taken and given back: all but one
     * stayed on the list, but the tick before used them all: none goes */
    t = lb_http_session_take(lbt_hc[0]);
    lb_http_session_give(t);
    lb_http_sessions_trim();
    assert_int_equal(lb_http_worker.nsessions, LBT_CONNS);

    /* a quiet tick: what neither tick took goes, beyond the one taken
     * and the kept */
    lb_http_sessions_trim();
    assert_int_equal(lb_http_worker.nsessions, LB_HTTP_SESSIONS_KEEP + 1);
    assert_int_equal(lb_http_worker.nfree, LB_HTTP_SESSIONS_KEEP + 1);

    /* the one taken is the newest and stays (warm pages) */
    assert_ptr_equal(lb_http_worker.free_sessions, t);

    /* another quiet tick: down to the kept */
    lb_http_sessions_trim();
    assert_int_equal(lb_http_worker.nfree, LB_HTTP_SESSIONS_KEEP);
    assert_int_equal(lb_http_worker.nsessions, LB_HTTP_SESSIONS_KEEP);

/* what is left is usable: taken and given without growing */
    for (i = 0; i < LB_HTTP_SESSIONS_KEEP; i++) {
        s[i] = lb_http_session_take(lbt_hc[i]);
        assert_non_null(s[i]);
        s[i]->cin.start[0] = 'a';
        s[i]->out.end[-1] = 'z';
    }

    assert_int_equal(lb_http_worker.nsessions, LB_HTTP_SESSIONS_KEEP);

    for (i = 0; i < LB_HTTP_SESSIONS_KEEP; i++) {
        lb_http_session_give(s[i]);
    }
}


/* after a response: pipelined bytes keep the session (moved to the start
 * of cin), none give it back and put the connection in the idle list */
static void
test_keepalive(void **state)
{
    lb_connection_t    *c;
    lb_http_session_t  *s;
    static const char   next[] = "GET /2 HTTP/1.1\r\n";

    (void) state;

    c = lbt_c[2];

    s = lb_http_session_take(lbt_hc[2]);
    assert_non_null(s);

    /* a request of 20 bytes, read with the start of the next one */
    memset(s->cin.start, 'r', 20);
    memcpy(s->cin.start + 20, next, sizeof(next) - 1);
    s->cin.last = s->cin.start + 20 + sizeof(next) - 1;
    s->cin.pos = s->cin.start + 20;
    s->req_body.ready = s->cin.pos;
    s->keep_client = 1;

    lb_http_keepalive(s);
    assert_ptr_equal(c->data, s);
    assert_ptr_equal(lbt_hc[2]->session, s);
    assert_int_equal(s->phase, LB_HTTP_PH_HEAD);
    assert_int_equal(s->cin.last - s->cin.start, sizeof(next) - 1);
    assert_memory_equal(s->cin.start, next, sizeof(next) - 1);
    assert_false(lbt_hc[2]->in_idle_list);
    assert_true(c->read->posted);
    lb_event_delete_posted(c->read);

    /* that request done too, nothing after it */
    s->cin.pos = s->cin.last;
    s->req_body.ready = s->cin.pos;
    s->requests = 2;

    lb_http_keepalive(s);
    assert_ptr_equal(c->data, lbt_hc[2]);
    assert_null(lbt_hc[2]->session);
    assert_true(lbt_hc[2]->in_idle_list);
    assert_true(lbt_hc[2]->served);
    assert_int_equal(lbt_hc[2]->requests, 2);
    assert_true(c->read->timer_set);

    lb_http_list_remove(&lbt_hc[2]->idle_link);
    lbt_hc[2]->in_idle_list = 0;
    lb_event_del_timer(c->read);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_take_give),
        cmocka_unit_test(test_burst),
        cmocka_unit_test(test_keepalive),
    };

    return cmocka_run_group_tests(tests, lbt_setup, NULL);
}
