/* HTTP/2 on client connections (libnghttp2): what conn.c and the worker call.
 * A connection speaks HTTP/2 when it opens with the client preface (h2c with
 * prior knowledge) or when TLS negotiated ALPN "h2"; conn.c then hands it
 * over, and every stream runs the same compiled program as HTTP/1.1. */
#ifndef ZSRT_H2_H
#define ZSRT_H2_H

#include "../loop.h"

/* the worker's sessions and streams, and its hooks (GOAWAY on stop); 0 or -errno */
int h2_worker_init(struct worker *w);

/* what the first bytes of a connection say: 1 HTTP/2 (the preface, or ALPN
 * h2), 0 not, -1 too few bytes to tell (a prefix of the preface) */
int h2_conn_detect(const struct conn *c);

/* streams whose exchange is with an upstream, or gathers a body for one:
 * a reload that replaces the upstream pool waits for them */
int h2_worker_proxy_busy(const struct worker *w);

/* takes the connection over: its ops become HTTP/2's and the bytes already
 * buffered are read as HTTP/2; closes it when no session can be made */
void h2_conn_take(struct worker *w, struct conn *c);

#endif
