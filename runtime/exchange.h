/* One request from its parsed head to the last byte of its answer: the head,
 * its body, the program's decision and the response being produced (both
 * taken from the worker's exchange pool for as long as the exchange is in
 * flight), the target and record for an upstream, and what carries the
 * answer out (an upstream exchange, a file). A connection holds the exchanges
 * it has in flight: one at a time for HTTP/1.1, one per stream for HTTP/2. */
#ifndef ZSRT_EXCHANGE_H
#define ZSRT_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "auth_pool.h"
#include "exec.h"
#include "http.h"
#include "http1.h"
#include "proxy_lb.h"

#define EXCHANGE_TARGET_CAP 16384    /* the URI sent upstream */

struct upstream;                     /* proxy.c */
struct response;                     /* response.h */
struct worker;                       /* loop.h */
struct exchange;
struct http1_response;

/* Where an upstream's answer goes when the exchange is not HTTP/1.1 on the
 * connection's out buffer (ex->sink NULL): HTTP/2 relays it on a stream. */
struct exchange_sink {
  /* the upstream's final head; 0, or -1 when it cannot be sent (a 502 follows) */
  int (*head)(struct worker *w, struct exchange *ex, const struct http1_response *ur);
  /* decoded body bytes, at most PROXY_IN_CAP between two pushes; 0 or -ENOSPC */
  int (*data)(struct worker *w, struct exchange *ex, const char *data, size_t len);
  /* the bytes given go out; proxy_on_client_sent once they were taken.
   * done: they end the body */
  void (*push)(struct worker *w, struct exchange *ex, int done);
  /* nothing was relayed: answer with this status and no body */
  void (*fail)(struct worker *w, struct exchange *ex, int status);
  /* nothing was relayed and the error routes decided (exec_error): their answer */
  void (*errors)(struct worker *w, struct exchange *ex);
  /* the body broke off: the client must not take the answer as complete */
  void (*cut)(struct worker *w, struct exchange *ex);
  /* the upstream exchange is over (conn_finish_exchange for HTTP/1.1) */
  void (*finish)(struct worker *w, struct exchange *ex);
};

/* where an exchange is between its head and its last byte */
enum exchange_phase {
  EXCHANGE_IDLE = 0,                 /* none in flight: the connection reads heads */
  EXCHANGE_FILE,                     /* a file body is being read and sent */
  EXCHANGE_PROXY,                    /* an upstream exchange is in progress */
  EXCHANGE_AUTH_WAIT,                /* a basic_auth password is being verified; the program runs again */
};

struct exchange {
  enum exchange_phase phase;
  uint64_t start_ns;                 /* CLOCK_MONOTONIC when its decision was attached: access logs' duration */
  struct http_request req;           /* zero-copy slices into the connection's input */
  int resp_keep_alive;               /* the answer may leave the connection open */
  struct exec_decision *dec;         /* what the program decided; NULL when none is in flight */
  struct response *resp;             /* the response being produced, beside it */
  unsigned proxy_id;                 /* the decision's reverse_proxy record */
  struct upstream *up;               /* the upstream connection serving it, or NULL */
  struct proxy_try lb;               /* its attempts: upstream chosen, retries (proxy_lb.h) */
  /* its body: discarded, or kept for an upstream (streamed) */
  int body_active;
  int body_chunked;
  int body_limited;                  /* chunk.max_body is request_body's max_size, not zsrt's own */
  int64_t body_left;                 /* Content-Length bytes still to come */
  struct http1_chunked chunk;
  size_t body_kept;                  /* decoded body bytes waiting at in + body_start (HTTP/2: the gathered body's length) */
  size_t body_start;
  const char *body;                  /* HTTP/2: the gathered body as the upstream is sent it */
  int body_stream;                   /* HTTP/1.1: the body goes up as it comes (proxy_stream.c) */
  int tunnel;                        /* after a 101: the client's bytes go up unread (proxy_tunnel.c) */
  const struct exchange_sink *sink;  /* NULL: HTTP/1.1 on the connection's out buffer */
  struct encoder *enc;         /* encode: the compressor of its body, or NULL (encode.h) */
  size_t resp_first;           /* an upstream's body bytes that came with its head: encode's first write */
  int enc_pending;             /* HTTP/1.1: the encoded answer's head waits (conn_encode.c) */
  int enc_keep_alive, enc_chunked, enc_early;
  struct exchange_auth auth;         /* auth_pool.h: basic_auth verifications for this request */
  /* a file answer */
  int file_fd;
  uint64_t file_off, file_left;
  int file_chunked;            /* HTTP/1.1: sent in chunks (a precompressed sidecar has no length) */
  char target[EXCHANGE_TARGET_CAP];  /* the URI to send upstream */
  size_t target_len;
};

/* A worker's decisions and responses, one pair per exchange in flight: one
 * mapping whose pages are touched only when used, handed out from a free
 * stack (the most recently freed first, so the touched pages stay few). */
struct exchange_pool {
  struct exchange *exchanges;        /* count: the exchanges connections hold */
  struct exec_decision *decs;
  struct response *resps;
  unsigned *free;
  unsigned count, free_count;
};

/* a pool for count exchanges in flight, in one mapping; NULL when out of memory */
struct exchange_pool *exchange_pool_create(unsigned count);
void exchange_pool_destroy(struct exchange_pool *pool);

/* gives the exchange a decision and a response (kept if it has them);
 * 0 or -EBUSY when every pair is in flight */
int exchange_attach(struct exchange_pool *pool, struct exchange *ex);
/* returns them to the pool; nothing when it holds none */
void exchange_detach(struct exchange_pool *pool, struct exchange *ex);
/* request_body's max_size ran out under reverse_proxy: its decision becomes
 * Caddy's 413 error (a MaxBytesError), answered as any handler's error */
void exchange_body_too_large(struct exchange *ex);

#endif
