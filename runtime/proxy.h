/* reverse_proxy: forwarding a request to one upstream over HTTP/1.1 with a
 * small per-worker pool of idle keep-alive connections, and relaying the
 * answer (re-framed, hop-by-hop headers dropped, header ops applied). */
#ifndef ZSRT_PROXY_H
#define ZSRT_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "exchange.h"
#include "loop.h"

#define PROXY_MAX_UPSTREAM_CONNS LOOP_MAX_CONNS /* per worker: one busy per client, the rest idle */
#define PROXY_IN_CAP   (HTTP1_MAX_HEAD + 16384)
#define PROXY_HEAD_CAP (HTTP1_MAX_HEAD + 8192)

/* the ops of upstream connections */
enum proxy_op {
  PROXY_OP_CONNECT = LOOP_OP_MODULE,
  PROXY_OP_SEND,
  PROXY_OP_RECV,
  PROXY_OP_WAIT,       /* a timeout: lb_try_interval between attempts */
};

/* the upstream pool; registers its ops and hooks on the worker's loop */
int proxy_pool_create(struct worker *w);
void proxy_pool_destroy(struct worker *w);

/* checks the decision's proxy record and keeps the URI to send; 0 or -errno */
int proxy_prepare(struct worker *w, struct exchange *ex, const struct exec_decision *dec);

/* sends c->req upstream with its body: gathered (body, body_len), or
 * streamed as it comes when ex->body_stream; answers the client (a 502 when
 * the upstream fails first) and calls conn_finish_exchange */
void proxy_start(struct worker *w, struct conn *c, struct exchange *ex, const char *body,
                 size_t body_len);

/* more of a streamed body is kept (or it is complete): send it up */
void proxy_on_body(struct worker *w, struct exchange *ex);
/* a streamed body turned out malformed: status for the client when nothing
 * was answered yet, else the answer is cut */
void proxy_body_failed(struct worker *w, struct exchange *ex, int status);
/* the streamed body ran past request_body's max_size (conn_body_too_large) */
void proxy_body_limited(struct worker *w, struct exchange *ex);
/* a new blob is being taken: upgraded connections close (stream_close_delay) */
void proxy_on_reload(struct worker *w);

/* the client's out buffer was sent: relay more of the upstream body */
void proxy_on_client_sent(struct worker *w, struct exchange *ex);
/* the client connection is closing: drop its upstream exchange */
void proxy_detach(struct worker *w, struct exchange *ex);
/* upstream connections with operations in flight */
int proxy_busy(struct worker *w);

/* the compiled replace searches of a proxy record (header_up's, then header_down's) */
struct proxy_replace;
const struct proxy_replace *proxy_replaces(struct worker *w, unsigned proxy_id, size_t *count);

/* true for the hop-by-hop header names RFC 9110 §7.6.1 and Go's proxy drop */
int proxy_is_hop_header(const char *name, size_t len);

#endif
