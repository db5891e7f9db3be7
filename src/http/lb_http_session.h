/* weir: what the files of the L7 proxy call of each other, file by file
 * (their types are in lb_http_session_types.h); for them only.
 *
 * A client connection has one session (allocated from its pool at accept,
 * with three fixed buffers) that serves its requests one after the other.
 * A request goes through: reading its head (lb_http_request.c), routing
 * to a target group and choosing a target (sticky first,
 * lb_http_sticky.c), getting a connection to it from the worker's
 * keep-alive pool or connecting (lb_http_upstream.c), streaming the
 * request and the response (lb_http_proxy.c; bodies framed by
 * lb_http_body.c, the response head taken by lb_http_response.c, a 101
 * turned into a tunnel by lb_http_tunnel.c) with the heads rewritten
 * (lb_http_headers.c), then logging (lb_http_log.c) and either waiting
 * for the next request or closing. Errors become pages of
 * lb_http_error.c. */
#ifndef LB_HTTP_SESSION_H
#define LB_HTTP_SESSION_H

#include <sys/socket.h>
#include <sys/uio.h>

#include "lb_core_types.h"
#include "lb_http_session_types.h"
#include "lb_http_types.h"

/* this worker's shared state (lb_http.c) */
extern lb_http_worker_t  lb_http_worker;

/* --- lists --- */

static inline void
lb_http_list_init(lb_http_link_t *l)
{
    l->prev = l;
    l->next = l;
}

static inline bool
lb_http_list_empty(const lb_http_link_t *l)
{
    return l->next == l;
}

/* insert x first in list l */
static inline void
lb_http_list_push(lb_http_link_t *l, lb_http_link_t *x)
{
    x->next = l->next;
    x->prev = l;
    l->next->prev = x;
    l->next = x;
}

static inline void
lb_http_list_remove(lb_http_link_t *x)
{
    x->prev->next = x->next;
    x->next->prev = x->prev;
    x->prev = NULL;
    x->next = NULL;
}

#define lb_http_list_data(link, type, field)                              \
    ((type *) ((char *) (link) - offsetof(type, field)))

/* --- lb_http.c: worker state, I/O --- */

/* weir's group of tg. */
lb_http_group_t *lb_http_group(const lb_target_group_t *tg);

/* Read into [b->last, b->end) of c (not full) with lb_conn_recv(),
 * moving b->last. Returns as lb_conn_recv() does; *err is errno after
 * LB_ERROR (EPROTO for a TLS error), else 0. */
ssize_t lb_http_recv(lb_connection_t *c, lb_http_buf_t *b, int *err);

/* Write the iovecs to c with lb_conn_send_iov() (one writev, or one TLS
 * record for small parts). Returns as it does; *err as lb_http_recv(). */
ssize_t lb_http_send(lb_connection_t *c, struct iovec *iov, int niov,
    int *err);

/* "127.0.0.1" or "::1" (no port) of a socket address into buf. */
size_t lb_http_addr_ip(const struct sockaddr *sa, char *buf, size_t size);

/* --- lb_http_request.c: the client side --- */

/* The accept handler of HTTP and HTTPS listeners (connection_limit, the
 * TLS handshake, then requests). Owns c from then on. */
void lb_http_init_connection(lb_connection_t *c);

/* The stream connection hc->client (lb_http2.c) is ready to be served as
 * a client connection of its own with one request: its handlers are set
 * as a new connection's would be, without a timer (the h2 connection
 * times its client); a post of its read event starts the request. */
void lb_http_init_stream(lb_http_conn_t *hc);

/* Go on with the session: called whenever either connection may move. */
void lb_http_run(lb_http_session_t *s);

/* The request got its response (or failed): log it, then keep the client
 * for the next request or close it. */
void lb_http_request_done(lb_http_session_t *s);

/* Close the client and whatever belongs to the session. */
void lb_http_close(lb_http_session_t *s);

/* Graceful stop: close the client connections of this worker that have
 * waited for a request for LB_HTTP_DRAIN_GRACE since the stop began (or
 * since their last response); the others get their next request
 * answered with Connection: close. Called by the tick. */
void lb_http_drain_idle_clients(void);

/* Close the client connection hc, which waits with no session (it may be
 * in an idle list). */
void lb_http_conn_close(lb_http_conn_t *hc);

/* From the worker's tick: unmap the free sessions no request took since
 * the last call, beyond a few kept (LB_HTTP_SESSIONS_KEEP), at most
 * LB_HTTP_TRIM_MAX a call. */
void lb_http_sessions_trim(void);

/* From the worker's tick: free the TLS buffers of the client connections
 * that waited for a request through a whole tick. */
void lb_http_idle_clients_settle(void);

/* Log `what` about the session at level (with errno err). */
void lb_http_log_error(lb_http_session_t *s, unsigned level, int err,
    const char *what);

/* --- lb_http_upstream.c: targets --- */

/* Choose a target for the routed request and get a connection to it
 * (pooled or new); on failure the request is answered with an error
 * page. */
void lb_http_upstream_start(lb_http_session_t *s);

/* The connection to the target failed before a response byte (err: the
 * errno, ETIMEDOUT for a timeout): retry another target when allowed,
 * else answer 502 (504 for a timeout). */
void lb_http_upstream_failed(lb_http_session_t *s, int err,
    const char *what);

/* The request is over on the target's side: keep the connection in the
 * pool when it may be reused (keep), else close it; release the peer. */
void lb_http_upstream_finish(lb_http_session_t *s, bool keep);

/* Close every idle pooled connection (graceful stop). */
void lb_http_upstream_close_idle(void);

/* The client connection hc closes: so does the pooled connection that
 * only it could use (PROXY target groups), if any. */
void lb_http_upstream_close_private(lb_http_conn_t *hc);

/* From the worker's tick: close the pooled target connections idle for
 * LB_HTTP_IDLE_TIMEOUT, free the TLS buffers of those idle through a
 * whole tick. */
void lb_http_upstream_settle(void);

/* Close one idle connection of this worker to free a descriptor (the
 * worker's lb_event_reclaim): true when one was closed. */
bool lb_http_free_descriptor(void);

/* Put the worker's pool of idle records in place. LB_OK or LB_ERROR. */
lb_int_t lb_http_upstream_init(lb_pool_t *pool);

/* --- lb_http_body.c: body framing --- */

/* Start reading a body of the message m whose head ended at b->pos. */
void lb_http_body_init(lb_http_body_t *body, const lb_http_msg_t *m,
    lb_http_buf_t *b);

/* Check the bytes that came into b since the last call: move body->ready
 * and done. LB_OK, or LB_ERROR (malformed chunked body: reason set). */
lb_int_t lb_http_body_parse(lb_http_body_t *body, lb_http_buf_t *b,
    const char **reason);

/* Make room at the end of b by moving the waiting bytes to its start
 * (ready moves with them). */
void lb_http_buf_compact(lb_http_buf_t *b, lb_http_body_t *body);

/* --- lb_http_proxy.c: moving bytes --- */

/* One step of the proxy: request head and body to the target, response
 * head and body to the client. Returns LB_OK (wait for events), or
 * LB_DONE when the session was finished or handed on (s must not be
 * used then). */
lb_int_t lb_http_proxy(lb_http_session_t *s);

/* The response side of one step: write what out holds (a head) and the
 * checked response body bytes to the client, read from the target and
 * check what comes (a head goes to lb_http_response_head_done()). Sets
 * *progress when a byte moved. LB_OK, or LB_DONE as lb_http_proxy().
 * Also flushes the 101 head of a tunnel (lb_http_tunnel.c). */
lb_int_t lb_http_proxy_down(lb_http_session_t *s, bool *progress);

/* The client's request body into cin, checked, while there is room:
 * LB_AGAIN bytes came, LB_OK nothing more now, LB_DONE the session ended
 * (lb_http_proxy.c; also used by the HTTP/2 target side). */
lb_int_t lb_http_read_body(lb_http_session_t *s, bool *progress);

/* Let ev wait (waiting) or not for something that last moved at *since,
 * with an idle timer that runs out `timeout` ms after that; a wait that
 * starts now moves *since to now. */
void lb_http_wait(lb_event_t *ev, bool waiting, lb_msec_t *since,
    lb_msec_t timeout);

/* --- lb_http_response.c: the response head --- */

/* A response head was parsed at the start of s->uin: pass an interim one
 * on (HTTP/1.1 clients) and make way for the next, open the tunnel for a
 * 101, or set up the body and keep-alive of a final one; the head for the
 * client is written into s->out. LB_OK, or LB_DONE when the request was
 * answered with an error or the session closed (s must not be used
 * then). */
lb_int_t lb_http_response_head_done(lb_http_session_t *s);

/* --- lb_http_tunnel.c: Upgrade --- */

/* One step of a tunnel after a 101. LB_OK or LB_DONE, as above. */
lb_int_t lb_http_tunnel(lb_http_session_t *s);

/* --- lb_http_headers.c: pure head rewriting --- */

/* Write the head of request m (bytes at start) as it goes to a target:
 * HTTP/1.1, origin-form, hop-by-hop fields removed (Connection and the
 * fields it names, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding
 * which is written again for a chunked body, Upgrade unless m asks for
 * an upgrade, then sent with "Connection: upgrade"), forwarded headers as
 * rw says. Appends to out. LB_OK, or LB_DECLINED when it does not fit. */
lb_int_t lb_http_request_head(const lb_http_msg_t *m, const u_char *start,
    const lb_http_req_rewrite_t *rw, lb_http_buf_t *out);

/* Write the head of response m (bytes at start) as it goes to the
 * client: HTTP/1.1 status-line, hop-by-hop fields removed (Upgrade kept
 * for a 101), then Connection as rw says and the Set-Cookie to add.
 * Appends to out. LB_OK, or LB_DECLINED when it does not fit. */
lb_int_t lb_http_response_head(const lb_http_msg_t *m, const u_char *start,
    const lb_http_resp_rewrite_t *rw, lb_http_buf_t *out);

/* true when the field name [name, name + len) of message m is named by a
 * token of one of its Connection fields. */
bool lb_http_connection_names(const lb_http_msg_t *m, const u_char *start,
    const u_char *name, size_t len);

/* true when every protocol the Upgrade fields of request m name is one
 * weir tunnels: "websocket" (any case, no version). Anything else (h2c
 * above all) would take the connection past the parser, the forwarded
 * headers and the access log. */
bool lb_http_upgrade_allowed(const lb_http_msg_t *m, const u_char *start);

/* --- lb_http_error.c: error answers and their pages --- */

/* The page of status (a built-in one for a status without its own: 500). */
const lb_http_page_t *lb_http_page(unsigned status);

/* Load <html>/errors/STATUS.html for every status weir answers (html: the
 * configured LB_HTML_PATH made absolute against the prefix),
 * keeping the built-in page where a file is missing (logged at info) or
 * unreadable (logged). Pages are copied into pool. LB_OK or LB_ERROR (out
 * of memory). */
lb_int_t lb_http_pages_load(lb_pool_t *pool, const char *html);

/* Write the head of an error response into out: status-line,
 * Content-Type, Content-Length, Connection: close or keep-alive (1.0
 * clients) as keep_alive says. LB_OK or LB_DECLINED (no room). */
lb_int_t lb_http_page_head(const lb_http_page_t *page, unsigned version,
    bool keep_alive, lb_http_buf_t *out);

/* Answer the current request with the page of `status` (then close the
 * client when close_client, or when the request cannot be followed by
 * another). Releases the target first. */
void lb_http_error(lb_http_session_t *s, unsigned status, bool close_client);

/* Answer the current request with a redirect: status code (301, 302,
 * 303, 307, 308), Location [loc, loc + len) and an empty body; sent as
 * an error page is. */
void lb_http_redirect(lb_http_session_t *s, unsigned code, const u_char *loc,
    size_t len);

/* Go on writing the error response (phase LB_HTTP_PH_ERROR): wait for the
 * client while it does not read, then lb_http_request_done() once it is
 * all out, or close the session when writing fails. */
void lb_http_error_send(lb_http_session_t *s);

/* --- lb_http_sticky.c: cookie persistence --- */

#define LB_HTTP_STICKY_COOKIE      "WEIRSTICKY"

/* Compute the HTTP_COOKIE value of a target: hex of a keyed hash
 * (HMAC-SHA-256 with secret) of the group id and the target address, so
 * the address cannot be read back from it. out gets 24 characters;
 * returns the length. */
size_t lb_http_sticky_value(const u_char *secret, size_t secret_len,
    const char *group_id, const char *target_addr, u_char *out);

/* Set up sticky state of every HTTP cookie group (cookie values, APP_COOKIE
 * tables in the zone). LB_OK or LB_ERROR (logged). */
lb_int_t lb_http_sticky_init(lb_http_group_t *g, lb_shm_zone_t *zone,
    lb_pool_t *pool);

/* Get the shared cookie key from the zone (made by the first worker that
 * asks). LB_OK or LB_ERROR (logged). */
lb_int_t lb_http_sticky_secret(lb_shm_zone_t *zone, u_char *secret,
    size_t len);

/* The peer the request's cookies stick it to, when it is usable; the
 * peer is then counted open as lb_balancer_pick() would. NULL: choose
 * afresh (then lb_http_sticky_chosen()). */
lb_http_peer_t *lb_http_sticky_pick(lb_http_session_t *s);

/* The balancer chose p: remember to send the cookie (HTTP_COOKIE), or
 * rebind the request's APP_COOKIE value to p. */
void lb_http_sticky_chosen(lb_http_session_t *s, lb_http_peer_t *p);

/* Learn APP_COOKIE bindings from the Set-Cookie fields of the response. */
void lb_http_sticky_learn(lb_http_session_t *s);

/* --- lb_http_log.c: the access log --- */

/* Write the access log to dest (opened by the master: dest->fd; no
 * access log when dest->path is NULL), each flush a gzip member when
 * compress (a file only), start the flush timer and the graceful-stop
 * watch. LB_OK or LB_ERROR (logged). */
lb_int_t lb_http_log_init(lb_log_t *dest, bool compress);

/* Write the access log line of the request that just ended. */
void lb_http_log_request(lb_http_session_t *s);

/* Format the line into buf (size bytes); returns its length (the line
 * ends in LF; cut to fit). Pure, for tests. */
size_t lb_http_log_format(lb_http_session_t *s, char *buf, size_t size);

#endif /* LB_HTTP_SESSION_H */
