/* What proxy.c (the exchange and its attempts), proxy_pool.c (connection
 * slots, targets, limits), proxy_stream.c (request bodies going up) and
 * proxy_tunnel.c (upgraded connections) share: an upstream connection's
 * state and the worker's pool of them. Nothing outside the proxy reads it. */
#ifndef ZSRT_PROXY_INTERNAL_H
#define ZSRT_PROXY_INTERNAL_H

#include <sys/socket.h>
#include <sys/uio.h>

#include "conn.h"
#include "proxy.h"
#include "proxy_hdr.h"
#include "proxy_lb.h"
#include "proxy_trust.h"

enum up_state {
  UP_FREE = 0,
  UP_IDLE,             /* in the pool, kept alive */
  UP_CONNECTING,
  UP_SENDING,          /* the request head is going out */
  UP_HEAD,             /* reading the response head */
  UP_BODY,             /* reading more of the response body (or tunnel bytes) */
  UP_CLIENT_WAIT,      /* relayed bytes are being sent to the client */
  UP_CLOSING,
  UP_WAIT,             /* no connection: lb_try_interval before the next attempt */
  UP_QUEUED,           /* no connection: max_conns_per_host reached, waiting for one */
};

/* the pieces of one send: head rest, chunk size line, data, CRLF, last chunk */
enum { UP_SEG_HEAD, UP_SEG_LINE, UP_SEG_DATA, UP_SEG_CRLF, UP_SEG_LAST, UP_SEG_COUNT };

struct upstream {
  int fd;
  int index;
  uint32_t gen;
  int pending;
  enum up_state state;
  unsigned proxy_id;
  unsigned target;             /* the row of w->proxy->targets it is connected to */
  int conn_counted;            /* its host's conns count holds this connection */
  uint64_t deadline_ms;        /* the transport timeout of the current step; 0: none */
  struct __kernel_timespec wait;
  int reused, got_bytes;
  struct conn *client;
  struct exchange *ex;         /* the exchange of client it serves */
  const char *body;            /* a body gathered whole (HTTP/2), else NULL */
  size_t body_len, body_off;
  char *head;                  /* PROXY_HEAD_CAP: the request head */
  size_t head_len, sent;       /* sent: request bytes written, framing included */
  /* the send in flight (one at a time): its pieces and how much went */
  int send_busy;
  struct iovec seg[UP_SEG_COUNT];
  size_t frame_len, frame_sent, frame_data;
  int frame_ends;              /* the frame ends the request */
  int body_started;            /* request_buffers was met: the rest streams */
  char chunk_line[24];
  struct iovec iov[UP_SEG_COUNT];
  struct msghdr msg;
  int body_chunked;            /* the request body goes up chunked (its length is unknown) */
  int request_done;            /* all of the request is written */
  char *in;                    /* PROXY_IN_CAP: response bytes */
  size_t in_len, in_start;
  struct http1_response resp;
  int64_t body_left;
  struct http1_chunked chunk;
  int client_chunked, body_done;
  uint64_t idle_since_ms;
  /* an upgraded connection (after 101): bytes both ways until one side ends */
  int tunnel, websocket;
  uint64_t tunnel_end_ms;      /* stream_timeout: 0 none */
  uint64_t tunnel_close_ms;    /* a reload or stop closes it then (stream_close_delay); 0 none */
};

/* a proxy's upstreams: a run of targets */
struct proxy_set {
  unsigned first, count;
};

/* a passive failure to forget at a time (Caddy's countFail(-1) timer) */
struct proxy_forget {
  int host;
  uint64_t at_ms;
};
#define PROXY_FORGET_CAP 4096

struct proxy_pool {
  struct upstream ups[PROXY_MAX_UPSTREAM_CONNS];
  char *bufs;                  /* every upstream's head and in buffers, one mapping */
  struct proxy_target *targets;   /* every proxy's upstreams, a run per proxy */
  size_t target_count;
  struct proxy_set *sets;      /* by proxy id */
  size_t set_count, target_cap;
  struct proxy_hosts *hosts, *own_hosts;   /* the worker's shared table, or one of the pool's own */
  struct proxy_lb lb;
  struct proxy_forget forgets[PROXY_FORGET_CAP];
  size_t forget_count;
  unsigned queued_count;       /* slots in UP_QUEUED */
  struct proxy_replace **replaces;   /* per proxy: header_up/header_down replace searches */
  size_t *replace_counts;
  struct proxy_trust trust;    /* trusted_proxies of the servers and the proxies */
  /* the fields of the request head being built (one at a time per worker) */
  struct response_header fields[HTTP_MAX_HEADERS + EXEC_MAX_HEADER_OPS + 8];
  char field_store[PROXY_HEAD_CAP];
};

/* proxy_pool.c */
/* a mapping that touches no page until used; NULL when out of memory */
void *proxy_map(size_t size);
/* every proxy's targets and the shared slot of each (the pool's own table without w->hosts) */
int proxy_targets_create(struct worker *w, struct proxy_pool *p);

/* slots: the shared slot of a target, closing, taking (an idle silent one
 * to the target when allow_reuse, else a free one), submitting an op */
struct proxy_host *up_host(struct worker *w, unsigned target);
void up_release(struct worker *w, struct upstream *up);
void up_close(struct worker *w, struct upstream *up);
struct upstream *up_take(struct worker *w, unsigned target, int allow_reuse);
void up_submit(struct worker *w, struct upstream *up, enum loop_op op);

const struct zs_proxy *proxy_rec(struct worker *w, unsigned proxy_id);
/* passive health: a failure counted now and forgotten after fail_duration */
void proxy_count_failure(struct worker *w, unsigned proxy_id, int host);
void proxy_forget_due(struct proxy_pool *p, uint64_t now);
void proxy_forget_all(struct proxy_pool *p);
/* the attempt is over: its request no longer counts; failed: a passive failure */
void proxy_attempt_end(struct worker *w, struct exchange *ex, int failed);
/* max_conns_per_host reached for a new connection; an idle one exists */
int proxy_conns_full(struct worker *w, const struct zs_proxy *rec, unsigned target);
int proxy_has_idle(struct worker *w, unsigned target);
/* the worker may keep this finished connection idle (keepalive, idle limits) */
int proxy_idle_room(struct worker *w, const struct upstream *up);
void proxy_socket_options(int fd, int unix_socket);

/* proxy.c */
/* the answer broke off after bytes went out: the client must see it cut */
void proxy_cut(struct worker *w, struct conn *c, struct exchange *ex, const char *why);

/* proxy_stream.c: the next send of the request (head, body pieces) when
 * none is in flight and there is something to send; 1 when one went */
int proxy_stream_send(struct worker *w, struct upstream *up);
/* a send completed with res bytes: 1 when its frame is all out */
int proxy_stream_sent(struct worker *w, struct upstream *up, size_t res);
/* the body kept back for a retry (proxy_try.held) leaves the client's input */
void proxy_stream_release(struct worker *w, struct conn *c, struct exchange *ex);

/* proxy_tunnel.c: the lowercased Upgrade the request asks for (Caddy's
 * upgradeType), or NULL */
const char *proxy_upgrade_type(const struct http_request *req, char *buf, size_t cap);
/* a 101 head: the tunnel starts (0), or the answer Caddy gives to a switch
 * it did not ask for is queued (1); -1: nothing could be sent */
int proxy_tunnel_begin(struct worker *w, struct upstream *up);
/* the client's bytes are all sent up after its EOF: the tunnel ends */
void proxy_tunnel_end(struct worker *w, struct upstream *up, int graceful);
/* stream_timeout, and the stream_close_delay of a reload or stop */
void proxy_tunnel_tick(struct worker *w, struct upstream *up);
/* a reload or stop: closed after its stream_close_delay (at once without) */
void proxy_tunnel_schedule_close(struct worker *w, struct upstream *up);

#endif
