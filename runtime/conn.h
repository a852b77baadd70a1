/* HTTP/1.1 on client connections: what the proxy and the server call. A
 * connection holds its exchanges through conn_exchange_begin and
 * conn_exchange_end (one at a time for HTTP/1.1; HTTP/2 will hand out one
 * per stream), and nothing outside conn.c assumes there is only one. */
#ifndef ZSRT_CONN_H
#define ZSRT_CONN_H

#include <stddef.h>

#include "exchange.h"
#include "loop.h"

/* registers HTTP/1.1 (and the proxy) on a worker whose loop is set up */
int conn_worker_init(struct worker *w);

/* an exchange for the request being read, with its decision and response
 * from the worker's pool; NULL when there is none to give */
struct exchange *conn_exchange_begin(struct worker *w, struct conn *c);
/* the exchange's answer is queued or abandoned: its decision and response go back */
void conn_exchange_end(struct worker *w, struct conn *c, struct exchange *ex);

/* appends to the connection's out buffer; 0 or -ENOSPC */
int conn_append(struct conn *c, const char *data, size_t len);
/* conn_encode.c: HTTP/1.1 answers through encode. start decides (encode.h)
 * for a decision's response and, when it is encoded, sends a memory body or
 * a HEAD answer whole; a file's bytes, and an upstream's, are fed as they
 * come (last: the body ends). The head waits until Go would have framed it:
 * Content-Length when the handler ended with at most 2 KiB written, else
 * chunked (HTTP/1.0: ended by closing). early: frame at the first bytes, as
 * a proxied body of unknown length is flushed at once. 0 or -errno. */
struct response;
int conn_encode_start(struct worker *w, struct conn *c, struct response *r, int keep_alive);
int conn_encode_proxy(struct worker *w, struct conn *c, struct exchange *ex, int64_t length, int early);
int conn_encode_feed(struct conn *c, const char *data, size_t len, int last);
/* the head now, if it still waits: an upstream's head lives in its buffer,
 * which the next read reuses */
int conn_encode_release_head(struct conn *c);
/* the plain answer Go's server gives to input it cannot serve, then close */
void conn_respond_error(struct worker *w, struct conn *c, int status);
/* an exchange's upstream answer is over; the connection goes on */
void conn_finish_exchange(struct worker *w, struct conn *c, struct exchange *ex);
/* the upstream failed and the error routes decided (exec_error): their
 * answer goes out as any decision's, and the connection goes on */
void conn_answer_error_routes(struct worker *w, struct conn *c, struct exchange *ex);
/* request_body's max_size ran out under reverse_proxy: Caddy's 413 error,
 * through the error routes, then the connection closes */
void conn_body_too_large(struct worker *w, struct conn *c);

/* a streamed request body (ex->body_stream): n bytes at body_start went up */
void conn_body_consume(struct worker *w, struct conn *c, size_t n);
/* after a 101: everything the client sends from now on is kept for the upstream */
void conn_begin_tunnel(struct worker *w, struct conn *c, struct exchange *ex);

#endif
