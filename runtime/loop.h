/* A worker's event loop: its io_uring, provided recv buffers, listeners,
 * client connections and upstream connections. Everything here belongs to
 * one thread; nothing is shared between workers. loop.c runs the ring and
 * knows no protocol: conn.c (HTTP/1.1) registers its connection ops, the
 * proxy its ops and hooks, and the exchanges live behind conn.h. */
#ifndef ZSRT_LOOP_H
#define ZSRT_LOOP_H

#include <liburing.h>
#include <stdint.h>
#include <sys/uio.h>

#include "cage.h"
#include "exec.h"
#include "http.h"
#include "http1.h"
#include "log.h"
#include "server.h"

#define LOOP_MAX_CONNS      2048         /* client connections per worker */
#define LOOP_MAX_LISTENERS  16
#define LOOP_BUF_COUNT      256          /* provided recv buffers (a power of two) */
#define LOOP_BUF_SIZE       16384
#define LOOP_BUF_GROUP      0
#define LOOP_TICK_MS        250          /* timeout scan period */
#define LOOP_FILE_CHUNK     (64 * 1024)  /* file bytes read per send: a slow reader pins no more */
#define LOOP_RESERVE_CONNS  (LOOP_MAX_CONNS / 16)  /* slots kept for new clients */
#define LOOP_RECLAIM_BATCH  16           /* idle connections closed per accept under pressure */
#define PROXY_MAX_BODY      (1 << 20)    /* request bodies buffered for an upstream */
#define CONN_IN_CAP         (HTTP1_MAX_HEAD + PROXY_MAX_BODY)
#define CONN_OUT_CAP        (EXEC_MAX_BODY + 2 * HTTP1_MAX_HEAD)

/* what a completion is for: the low byte of its user_data */
enum loop_op {
  LOOP_OP_ACCEPT = 1,
  LOOP_OP_RECV,
  LOOP_OP_SEND,
  LOOP_OP_FILE_READ,
  LOOP_OP_WAKE,
  LOOP_OP_TICK,
  LOOP_OP_IGNORE,
  LOOP_OP_MODULE,              /* the first of the ops modules register (loop_register_op) */
  LOOP_OP_COUNT = LOOP_OP_MODULE + 8
};

struct worker;
struct conn;
struct exchange;             /* exchange.h: what conn.c answers on a connection */
struct exchange_pool;
struct h2_pool;

/* what a completion of one kind is handed to: index and gen name the
 * connection (client or upstream) it belongs to */
typedef void (*loop_cqe_fn)(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                            int res, unsigned flags);

struct reload_slot;
struct site_tls;
struct conn_tls_pool;
struct files_cache;
struct encode_pool;
struct tls_conn;
struct auth_pool;
struct auth_worker;

/* What a module (the proxy, ...) hooks into its worker's loop: called every
 * tick, asked before the loop ends whether it still has operations in
 * flight, and torn down with the worker. Any hook may be NULL. */
struct loop_module {
  void (*tick)(struct worker *w);
  int (*busy)(struct worker *w);
  void (*fini)(struct worker *w);
};

#define LOOP_MAX_MODULES 8

/* where the protocol on a connection is, as far as timeouts care */
enum loop_conn_state {
  LOOP_CONN_BUSY,              /* answering: only the send timeout applies */
  LOOP_CONN_IDLE,              /* between requests: header and keep-alive timeouts */
  LOOP_CONN_BODY,              /* reading a request body: the idle timeout */
};

/* What the protocol on client connections (conn.c: HTTP/1.1) is told by the
 * loop, which moves bytes and owns lifetimes but reads none of them. */
struct loop_conn_ops {
  void (*open)(struct worker *w, struct conn *c);       /* accepted, slot reset */
  void (*input)(struct worker *w, struct conn *c);      /* bytes appended to in */
  void (*sent)(struct worker *w, struct conn *c);       /* out drained */
  void (*file_read)(struct worker *w, struct conn *c, int res);
  void (*peer_eof)(struct worker *w, struct conn *c);   /* the client sent FIN */
  void (*close)(struct worker *w, struct conn *c);      /* closing: end what it started */
  enum loop_conn_state (*state)(const struct conn *c);
};


struct conn {
  int fd;
  int index;
  uint32_t gen;                /* bumped on reuse; stale completions are dropped */
  int used;
  int pending;                 /* submitted operations not yet completed */
  int recv_armed;
  int send_pending;
  int closing;                 /* shut down; the slot is freed when pending is 0 */
  int close_after_send;
  int peer_eof;
  int paused;                  /* reads stopped: what came in is not taken yet (an upstream is full) */
  int held;                    /* recv buffers of it waiting in the worker's held list */
  int held_blocked;            /* loop_take_held: an earlier one of it could not go in */
  unsigned server;
  struct conn_info info;
  uint64_t active_ms;          /* last time bytes moved */
  uint64_t send_ms;            /* when the send in flight was submitted or last made progress */
  uint64_t head_start_ms;      /* when the current head's first byte came; 0: none */
  char *in;                    /* CONN_IN_CAP bytes */
  size_t in_len, in_start;
  char *out;                   /* CONN_OUT_CAP bytes */
  size_t out_len, out_sent;
  size_t in_peak, out_peak;    /* how much of the buffers was touched */
  int read_pending;            /* a file read into out is in flight */
  struct exchange *ex;         /* conn.c: the request being answered (HTTP/1.1: one at a time) */
  const struct loop_conn_ops *ops;  /* the protocol spoken on it: the worker's default at accept;
                                       a protocol may hand the connection to another (h2c, ALPN h2) */
  void *proto;                 /* that protocol's per-connection state, if it keeps any outside this slot */
  struct tls_conn *tls;        /* conn_tls.h: the TLS state of a connection on a TLS listener, else NULL */
  int tls_ready;               /* its handshake is done and c->info says what it settled */
};

/* a recv buffer that came in for a paused connection with no room for it:
 * kept (not given back to the kernel) until the connection takes it */
struct loop_held {
  uint32_t conn, gen;
  uint16_t id;
  uint32_t len;
};

struct listener_sock {
  int fd;
  unsigned server;
  uint16_t port;
};

struct worker {
  int id;
  const struct blob *blob;
  const struct server_options *opt;
  struct io_uring ring;
  struct io_uring_buf_ring *buf_ring;
  char *bufs;                  /* LOOP_BUF_COUNT * LOOP_BUF_SIZE */
  struct loop_held held[2 * LOOP_BUF_COUNT];  /* in arrival order; an EOF may follow a connection's */
  unsigned held_count;
  struct listener_sock listeners[LOOP_MAX_LISTENERS];
  unsigned listener_count;
  int accepting;
  int accepts_armed;           /* multishot accepts the ring still holds */
  struct conn *conns;          /* LOOP_MAX_CONNS */
  char *conn_bufs;             /* their in and out buffers, one mapping */
  int free_conns[LOOP_MAX_CONNS];
  int free_count;
  int active_conns;
  struct cage cage;
  struct plugin_limits *limits;   /* plugin_limits.h: ebpf programs' rate limiter, kept across reloads */
  struct exchange_pool *exchanges;  /* exchange.h: the exchanges in flight (conn.c) */
  struct proxy_pool *proxy;    /* proxy.c */
  struct proxy_hosts *hosts;   /* proxy_health.h: the upstreams' shared state; NULL: the pool keeps its own */
  struct h2_pool *h2;          /* h2/: the HTTP/2 sessions and streams */
  const struct loop_conn_ops *conn_ops;  /* the default protocol: registered by conn_worker_init */
  loop_cqe_fn handlers[LOOP_OP_COUNT];  /* per operation: what its completions go to */
  const struct loop_module *modules[LOOP_MAX_MODULES];
  unsigned module_count;
  int wake_fd;                 /* eventfd: written by the main thread on stop */
  uint64_t wake_value;
  struct __kernel_timespec tick;
  uint64_t now_ms;
  int stopping;
  uint64_t stop_deadline_ms;
  int ring_ready, cage_ready;  /* what loop_worker_fini has to undo */
  struct reload_slot *reload;  /* reload.c: the blob this worker serves; NULL: no reload */
  struct site_tls *tls_sites;  /* site_tls.h: the TLS servers' contexts (shared, read-only here); NULL: none */
  struct conn_tls_pool *tls;   /* conn_tls.c: this worker's TLS slots */
  struct encode_pool *encoders; /* encode.h: this worker's compressors (conn.c) */
  struct files_cache *files;   /* files_cache.h: the files file_server answered with lately; NULL: none */
  struct worker_log log;       /* log.h: this worker's line buffer */
  struct access_log *access;   /* access_log.c: its access log buffers; NULL: no server logs requests */
  struct auth_pool *auth_pool; /* auth_pool.h: the process's password verifiers (shared); NULL: none */
  struct auth_worker *auth;    /* auth_pool.c: this worker's verifications and cache */
};

uint64_t loop_user_data(enum loop_op op, uint32_t index, uint32_t gen);

/* worker setup and teardown (buffers, ring, cage, listeners) and the loop */
int loop_worker_init(struct worker *w, int id, const struct blob *blob,
                     const struct server_options *opt);
void loop_worker_fini(struct worker *w);
int loop_worker_run(struct worker *w);

/* a module's hooks and the handler of one of its ops (LOOP_OP_MODULE and
 * on); registering again is a no-op. 0 or -ENOSPC. */
int loop_register_module(struct worker *w, const struct loop_module *m);
void loop_register_op(struct worker *w, enum loop_op op, loop_cqe_fn fn);
/* the protocol spoken on client connections */
void loop_register_conn_ops(struct worker *w, const struct loop_conn_ops *ops);

/* an SQE, submitting first when the ring is full; never NULL */
struct io_uring_sqe *loop_get_sqe(struct worker *w);

/* connection I/O used by conn.c and proxy.c */
void loop_conn_flush(struct worker *w, struct conn *c);
/* submits one send of len bytes at p (conn_tls.c: records); one at a time */
void loop_conn_send(struct worker *w, struct conn *c, const void *p, size_t len);
void loop_conn_close(struct worker *w, struct conn *c);
/* stops reading from the client (its multishot recv is cancelled; what is
 * already in flight still lands in in) and starts again; both idempotent */
void loop_conn_pause(struct worker *w, struct conn *c);
void loop_conn_resume(struct worker *w, struct conn *c);
/* reads len bytes at off of fd to the end of out (LOOP_OP_FILE_READ; sends wait for it) */
void loop_conn_read(struct worker *w, struct conn *c, int fd, uint64_t off, size_t len);
/* the same into buf (which must outlive the read), not the out buffer */
void loop_conn_read_into(struct worker *w, struct conn *c, int fd, uint64_t off, char *buf, size_t len);

uint64_t loop_now_ms(void);

struct sockaddr_storage;
/* an address as text (a v4-mapped one as v4, as Go prints it) and its port */
void loop_addr_text(const struct sockaddr_storage *ss, char *out, size_t cap, uint16_t *port);

#endif
