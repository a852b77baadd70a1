/* A worker's io_uring loop: multishot accept on its listeners, multishot recv
 * into a provided-buffer ring, sends, file reads, a timeout tick, and the
 * stop signal. It moves bytes and owns connection lifetimes; what the bytes
 * mean is conn.c's and proxy.c's business. */
#include "loop.h"
#include "plugin_limits.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn_tls.h"
#include "helpers.h"
#include "tls/tls.h"
#include "loader.h"
#include "reload.h"
#include "sandbox.h"

static void loop_register_builtin_ops(struct worker *w);

uint64_t loop_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t loop_user_data(enum loop_op op, uint32_t index, uint32_t gen)
{
  return (uint64_t)op | (uint64_t)(index & 0xffffffu) << 8 | (uint64_t)gen << 32;
}

struct io_uring_sqe *loop_get_sqe(struct worker *w)
{
  struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
  while (!sqe) {
    io_uring_submit(&w->ring);
    sqe = io_uring_get_sqe(&w->ring);
  }
  return sqe;
}

static void *loop_map(size_t size)
{
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* SINGLE_ISSUER and DEFER_TASKRUN need Linux 6.1; older kernels get a plain ring */
static int loop_ring_init(struct worker *w)
{
  struct io_uring_params p = {0};
  /* disabled until sandbox_restrict_ring limits its operations */
  unsigned disabled = w->opt->no_sandbox ? 0 : IORING_SETUP_R_DISABLED;
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | disabled;
  if (io_uring_queue_init_params(1024, &w->ring, &p) == 0)
    return 0;
  memset(&p, 0, sizeof p);
  p.flags = disabled;
  return io_uring_queue_init_params(1024, &w->ring, &p);
}

/* liburing 2.3 has no io_uring_setup_buf_ring: map and register it by hand */
static int loop_buffers_init(struct worker *w)
{
  size_t ring_size = LOOP_BUF_COUNT * sizeof(struct io_uring_buf);
  w->buf_ring = loop_map(ring_size);
  w->bufs = loop_map((size_t)LOOP_BUF_COUNT * LOOP_BUF_SIZE);
  if (!w->buf_ring || !w->bufs)
    return -ENOMEM;
  struct io_uring_buf_reg reg = {0};
  reg.ring_addr = (uintptr_t)w->buf_ring;
  reg.ring_entries = LOOP_BUF_COUNT;
  reg.bgid = LOOP_BUF_GROUP;
  int rc = io_uring_register_buf_ring(&w->ring, &reg, 0);
  if (rc < 0)
    return rc;
  io_uring_buf_ring_init(w->buf_ring);
  int mask = io_uring_buf_ring_mask(LOOP_BUF_COUNT);
  for (int i = 0; i < LOOP_BUF_COUNT; i++)
    io_uring_buf_ring_add(w->buf_ring, w->bufs + (size_t)i * LOOP_BUF_SIZE, LOOP_BUF_SIZE,
                          (unsigned short)i, mask, i);
  io_uring_buf_ring_advance(w->buf_ring, LOOP_BUF_COUNT);
  return 0;
}

static void loop_buffer_recycle(struct worker *w, unsigned id)
{
  io_uring_buf_ring_add(w->buf_ring, w->bufs + (size_t)id * LOOP_BUF_SIZE, LOOP_BUF_SIZE,
                        (unsigned short)id, io_uring_buf_ring_mask(LOOP_BUF_COUNT), 0);
  io_uring_buf_ring_advance(w->buf_ring, 1);
}

/* one mapping for every connection's buffers: pages are touched only when
 * used, and the process stays far from the kernel's mapping count limit */
static int loop_conns_init(struct worker *w)
{
  w->conns = loop_map(sizeof(struct conn) * LOOP_MAX_CONNS);
  w->conn_bufs = loop_map((size_t)LOOP_MAX_CONNS * (CONN_IN_CAP + CONN_OUT_CAP));
  if (!w->conns || !w->conn_bufs)
    return -ENOMEM;
  for (int i = 0; i < LOOP_MAX_CONNS; i++) {
    struct conn *c = &w->conns[i];
    c->index = i;
    c->fd = -1;
    c->in = w->conn_bufs + (size_t)i * (CONN_IN_CAP + CONN_OUT_CAP);
    c->out = c->in + CONN_IN_CAP;
    w->free_conns[w->free_count++] = LOOP_MAX_CONNS - 1 - i;
  }
  return 0;
}

int loop_worker_init(struct worker *w, int id, const struct blob *blob,
                     const struct server_options *opt)
{
  w->id = id;
  w->blob = blob;
  w->opt = opt;
  w->wake_fd = eventfd(0, EFD_CLOEXEC);
  if (w->wake_fd < 0)
    return -ENOMEM;
  int rc = loop_ring_init(w);
  if (rc < 0)
    return rc;
  w->ring_ready = 1;
  rc = loop_buffers_init(w);
  if (rc == 0 && !opt->no_sandbox)
    rc = sandbox_restrict_ring(&w->ring);
  if (rc < 0)
    return rc;
  rc = loop_conns_init(w);
  if (rc < 0)
    return rc;
  if (!(w->limits = malloc(sizeof *w->limits)))
    return -ENOMEM;
  plugin_limits_init(w->limits);
  rc = exec_cage_create(&w->cage, blob);
  if (rc < 0)
    return rc;
  w->cage_ready = 1;
  w->cage.limits = w->limits;
  loop_register_builtin_ops(w);
  return 0;
}

void loop_register_conn_ops(struct worker *w, const struct loop_conn_ops *ops)
{
  w->conn_ops = ops;
}

int loop_register_module(struct worker *w, const struct loop_module *m)
{
  for (unsigned i = 0; i < w->module_count; i++)
    if (w->modules[i] == m)
      return 0;
  if (w->module_count == LOOP_MAX_MODULES)
    return -ENOSPC;
  w->modules[w->module_count++] = m;
  return 0;
}

void loop_register_op(struct worker *w, enum loop_op op, loop_cqe_fn fn)
{
  if (op < LOOP_OP_COUNT)
    w->handlers[op] = fn;
}

static int loop_modules_busy(struct worker *w)
{
  int n = 0;
  for (unsigned i = 0; i < w->module_count; i++)
    if (w->modules[i]->busy)
      n += w->modules[i]->busy(w);
  return n;
}

void loop_worker_fini(struct worker *w)
{
  for (unsigned i = w->module_count; i-- > 0;)
    if (w->modules[i]->fini)
      w->modules[i]->fini(w);
  w->module_count = 0;
  for (unsigned i = 0; i < w->listener_count; i++)
    if (w->listeners[i].fd >= 0)
      close(w->listeners[i].fd);
  for (int i = 0; w->conns && i < LOOP_MAX_CONNS; i++) {
    struct conn *c = &w->conns[i];
    if (c->fd >= 0 && c->used)
      close(c->fd);
  }
  if (w->conn_bufs)
    munmap(w->conn_bufs, (size_t)LOOP_MAX_CONNS * (CONN_IN_CAP + CONN_OUT_CAP));
  if (w->conns)
    munmap(w->conns, sizeof(struct conn) * LOOP_MAX_CONNS);
  if (w->bufs)
    munmap(w->bufs, (size_t)LOOP_BUF_COUNT * LOOP_BUF_SIZE);
  if (w->cage_ready)
    exec_cage_destroy(&w->cage);
  free(w->limits);
  w->limits = NULL;
  if (w->ring_ready)
    io_uring_queue_exit(&w->ring);
  close(w->wake_fd);
  w->wake_fd = -1;
}

static void loop_arm_accept(struct worker *w, unsigned i)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_multishot_accept(sqe, w->listeners[i].fd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_ACCEPT, i, 0));
  w->accepts_armed++;
}

static void loop_arm_recv(struct worker *w, struct conn *c)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = LOOP_BUF_GROUP;
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_RECV, (uint32_t)c->index, c->gen));
  c->recv_armed = 1;
  c->pending++;
}

void loop_conn_pause(struct worker *w, struct conn *c)
{
  if (c->paused || c->closing)
    return;
  c->paused = 1;
  if (!c->recv_armed)
    return;
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_cancel64(sqe, loop_user_data(LOOP_OP_RECV, (uint32_t)c->index, c->gen), 0);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_IGNORE, 0, 0));
  io_uring_submit(&w->ring);   /* now: every buffer it still fills lands in in */
}

void loop_conn_resume(struct worker *w, struct conn *c)
{
  if (!c->paused)
    return;
  c->paused = 0;
  if (!c->recv_armed && !c->closing && !c->peer_eof)
    loop_arm_recv(w, c);
}

static void loop_arm_tick(struct worker *w)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  w->tick.tv_sec = 0;
  w->tick.tv_nsec = LOOP_TICK_MS * 1000000LL;
  io_uring_prep_timeout(sqe, &w->tick, 0, 0);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_TICK, 0, 0));
}

static void loop_arm_wake(struct worker *w)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_read(sqe, w->wake_fd, &w->wake_value, sizeof w->wake_value, 0);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_WAKE, 0, 0));
}

void loop_conn_send(struct worker *w, struct conn *c, const void *p, size_t len)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_send(sqe, c->fd, p, len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_SEND, (uint32_t)c->index, c->gen));
  c->send_ms = w->now_ms;
  c->send_pending = 1;
  c->pending++;
}

void loop_conn_flush(struct worker *w, struct conn *c)
{
  if (c->tls) {
    conn_tls_flush(w, c);
    return;
  }
  if (c->send_pending || c->read_pending || c->closing || c->out_sent >= c->out_len)
    return;
  if (c->out_len > c->out_peak)
    c->out_peak = c->out_len;
  loop_conn_send(w, c, c->out + c->out_sent, c->out_len - c->out_sent);
}

void loop_conn_read(struct worker *w, struct conn *c, int fd, uint64_t off, size_t len)
{
  loop_conn_read_into(w, c, fd, off, c->out + c->out_len, len);
}

void loop_conn_read_into(struct worker *w, struct conn *c, int fd, uint64_t off, char *buf, size_t len)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_read(sqe, fd, buf, (unsigned)len, off);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_FILE_READ, (uint32_t)c->index, c->gen));
  c->read_pending = 1;
  c->pending++;
}

static void loop_conn_release(struct worker *w, struct conn *c)
{
  conn_tls_release(w, c);
  close(c->fd);
  c->fd = -1;
  c->used = 0;
  c->gen++;
  w->free_conns[w->free_count++] = c->index;
  w->active_conns--;
  /* give back the pages a large body touched */
  if (c->in_peak > HTTP1_MAX_HEAD)
    madvise(c->in + HTTP1_MAX_HEAD, CONN_IN_CAP - HTTP1_MAX_HEAD, MADV_DONTNEED);
  if (c->out_peak > HTTP1_MAX_HEAD)
    madvise(c->out + HTTP1_MAX_HEAD, CONN_OUT_CAP - HTTP1_MAX_HEAD, MADV_DONTNEED);
}

void loop_conn_close(struct worker *w, struct conn *c)
{
  if (c->closing)
    return;
  c->closing = 1;
  c->ops->close(w, c);
  conn_tls_goodbye(c);
  /* shutdown completes the recv and send in flight; then the fd can go */
  shutdown(c->fd, SHUT_RDWR);
  if (c->pending) {
    struct io_uring_sqe *sqe = loop_get_sqe(w);
    io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_IGNORE, 0, 0));
  } else {
    loop_conn_release(w, c);
  }
}

void loop_addr_text(const struct sockaddr_storage *ss, char *out, size_t cap, uint16_t *port)
{
  out[0] = '\0';
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)cap);
    *port = ntohs(sin->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    /* a v4 client on a dual-stack socket is reported as v4, as Go reports it */
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
      inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], out, (socklen_t)cap);
    else
      inet_ntop(AF_INET6, &sin6->sin6_addr, out, (socklen_t)cap);
    *port = ntohs(sin6->sin6_port);
  }
}

static void loop_fill_info(struct conn *c, const struct listener_sock *l)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  memset(&c->info, 0, sizeof c->info);
  c->info.local_port = l->port;
  if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0)
    loop_addr_text(&ss, c->info.remote_ip, sizeof c->info.remote_ip, &c->info.remote_port);
}

/* fully idle: between requests, nothing buffered either way */
static int loop_conn_reusable(const struct conn *c)
{
  return c->used && !c->closing && c->ops->state(c) == LOOP_CONN_IDLE && !c->send_pending && !c->head_start_ms && c->in_len == c->in_start &&
         c->out_len == c->out_sent;
}

/* Under slot pressure the oldest idle keep-alive connections are closed, as
 * nginx drains its reusable-connection queue: a new client always finds a
 * slot while idle ones hold the rest. */
static void loop_reclaim_idle(struct worker *w)
{
  for (int k = 0; k < LOOP_RECLAIM_BATCH; k++) {
    struct conn *oldest = NULL;
    for (int i = 0; i < LOOP_MAX_CONNS; i++) {
      struct conn *c = &w->conns[i];
      if (loop_conn_reusable(c) && (!oldest || c->active_ms < oldest->active_ms))
        oldest = c;
    }
    if (!oldest)
      return;
    loop_conn_close(w, oldest);
  }
}

static void loop_on_accept(struct worker *w, unsigned li, int res, unsigned flags)
{
  if (!(flags & IORING_CQE_F_MORE)) {
    w->accepts_armed--;
    if (w->accepting)
      loop_arm_accept(w, li);
  }
  if (res < 0)
    return;
  if (w->free_count == 0 || w->stopping) {
    close(res);
    return;
  }
  struct conn *c = &w->conns[w->free_conns[--w->free_count]];
  uint32_t gen = c->gen;
  char *in = c->in, *out = c->out;
  int index = c->index;
  *c = (struct conn){.fd = res, .index = index, .gen = gen, .used = 1, .in = in, .out = out,
                     .server = w->listeners[li].server};
  c->ops = w->conn_ops;
  c->ops->open(w, c);
  int one = 1;
  setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  loop_fill_info(c, &w->listeners[li]);
  c->active_ms = w->now_ms;
  w->active_conns++;
  if ((w->blob->servers[c->server].flags & ZS_SERVER_TLS) && conn_tls_open(w, c) < 0) {
    loop_conn_close(w, c);   /* no context or no memory: as a refused accept */
    return;
  }
  loop_arm_recv(w, c);
  if (w->free_count < LOOP_RESERVE_CONNS)
    loop_reclaim_idle(w);
}

/* the client's end of the stream: FIN, or a TLS close_notify */
static void loop_conn_eof(struct worker *w, struct conn *c)
{
  c->peer_eof = 1;
  if (c->ops->state(c) == LOOP_CONN_IDLE && !c->send_pending)
    loop_conn_close(w, c);
  else
    c->ops->peer_eof(w, c);
}

/* a buffer's bytes to the protocol's input: copied, or deciphered by TLS;
 * 1 when there is new input for the protocol */
static int loop_take_bytes(struct worker *w, struct conn *c, const char *bytes, size_t len)
{
  if (c->tls)
    return conn_tls_input(w, c, bytes, len) > 0;
  if (c->in_len + len > CONN_IN_CAP) {
    loop_conn_close(w, c);   /* input nobody consumes: a misbehaving peer */
    return 0;
  }
  memcpy(c->in + c->in_len, bytes, len);
  c->in_len += len;
  if (c->in_len > c->in_peak)
    c->in_peak = c->in_len;
  return 1;
}

/* A paused connection's cancelled recv may still have filled buffers
 * (as many as the kernel had ready): those that do not fit wait here, and
 * later ones after them, so the bytes keep their order */
#define LOOP_HELD_EOF 0xffff   /* a held entry that is the peer's EOF */

static int loop_hold(struct worker *w, struct conn *c, unsigned id, size_t len)
{
  if (!c->held && (!c->paused || c->in_len + len <= CONN_IN_CAP))
    return 0;
  w->held[w->held_count++] = (struct loop_held){.conn = (uint32_t)c->index, .gen = c->gen,
                                                .id = (uint16_t)id, .len = (uint32_t)len};
  c->held++;
  return 1;
}

/* after each batch: held buffers of connections that are reading again and
 * have room go in, in order; a connection that closed gives its back */
static void loop_take_held(struct worker *w)
{
  unsigned kept = 0;
  for (unsigned i = 0; i < w->held_count; i++) {
    struct loop_held h = w->held[i];
    struct conn *c = &w->conns[h.conn];
    int gone = c->gen != h.gen || !c->used || c->closing;
    int blocked = !gone && (c->paused || c->in_len + h.len > CONN_IN_CAP || c->held_blocked);
    if (blocked) {
      c->held_blocked = 1;   /* later ones of it wait too */
      w->held[kept++] = h;
      continue;
    }
    if (!gone)
      c->held--;
    if (h.id == LOOP_HELD_EOF) {
      if (!gone)
        loop_conn_eof(w, c);
      continue;
    }
    if (!gone && loop_take_bytes(w, c, w->bufs + (size_t)h.id * LOOP_BUF_SIZE, h.len) && !c->closing)
      c->ops->input(w, c);
    loop_buffer_recycle(w, h.id);
  }
  for (unsigned i = 0; i < kept; i++)
    w->conns[w->held[i].conn].held_blocked = 0;
  w->held_count = kept;
}

static void loop_on_recv(struct worker *w, struct conn *c, int res, unsigned flags)
{
  if (!(flags & IORING_CQE_F_MORE))
    c->recv_armed = 0;
  int fresh = 0;
  if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
    unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    if (c->closing || !loop_hold(w, c, id, (size_t)res)) {
      if (!c->closing)
        fresh = loop_take_bytes(w, c, w->bufs + (size_t)id * LOOP_BUF_SIZE, (size_t)res);
      loop_buffer_recycle(w, id);
    }
  }
  if (c->closing)
    return;
  if (res == -ECANCELED) {   /* loop_conn_pause's cancel: armed again once resumed */
    if (!c->paused && !c->peer_eof && !c->recv_armed)
      loop_arm_recv(w, c);
    return;
  }
  if (res < 0 && res != -ENOBUFS) {
    loop_conn_close(w, c);
    return;
  }
  if (res == 0 && c->held) {   /* the end comes after the bytes still held */
    w->held[w->held_count++] = (struct loop_held){.conn = (uint32_t)c->index, .gen = c->gen, .id = LOOP_HELD_EOF};
    c->held++;
    return;
  }
  if (res == 0) {
    loop_conn_eof(w, c);
    return;
  }
  if (res > 0) {
    c->active_ms = w->now_ms;
    if (fresh)
      c->ops->input(w, c);
    if (c->tls && c->tls->peer_closed && !c->peer_eof && !c->closing) {
      loop_conn_eof(w, c);
      return;
    }
  }
  if (!c->recv_armed && !c->closing && !c->peer_eof && !c->paused)
    loop_arm_recv(w, c);
}

static void loop_on_send(struct worker *w, struct conn *c, int res)
{
  c->send_pending = 0;
  if (c->closing)
    return;
  if (res <= 0) {
    loop_conn_close(w, c);
    return;
  }
  c->active_ms = w->now_ms;
  if (c->tls) {
    if (conn_tls_sent(w, c, res) == 1) {
      c->out_len = c->out_sent = 0;
      c->ops->sent(w, c);
    }
    return;
  }
  c->out_sent += (size_t)res;
  if (c->out_sent < c->out_len) {
    loop_conn_flush(w, c);
    return;
  }
  c->out_len = c->out_sent = 0;
  c->ops->sent(w, c);
}

static void loop_conn_cqe(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                          int res, unsigned flags)
{
  struct conn *c = &w->conns[index];
  if (c->gen != gen || !c->used) {
    if (op == LOOP_OP_RECV && (flags & IORING_CQE_F_BUFFER))
      loop_buffer_recycle(w, flags >> IORING_CQE_BUFFER_SHIFT);
    return;
  }
  if (op != LOOP_OP_RECV || !(flags & IORING_CQE_F_MORE))
    c->pending--;
  if (op == LOOP_OP_RECV)
    loop_on_recv(w, c, res, flags);
  else if (op == LOOP_OP_SEND)
    loop_on_send(w, c, res);
  else if (op == LOOP_OP_FILE_READ) {
    c->read_pending = 0;
    if (!c->closing)
      c->ops->file_read(w, c, res);
  }
  if (c->closing && c->pending == 0 && c->used)
    loop_conn_release(w, c);
}

/* header-read, keep-alive idle and send timeouts; a stop that takes too long */
static void loop_on_tick(struct worker *w)
{
  uint64_t default_header_ms = (uint64_t)(w->opt->header_timeout_ms > 0 ? w->opt->header_timeout_ms : 10000);
  uint64_t default_idle_ms = (uint64_t)(w->opt->idle_timeout_ms > 0 ? w->opt->idle_timeout_ms : 60000);
  uint64_t send_ms = (uint64_t)(w->opt->send_timeout_ms > 0 ? w->opt->send_timeout_ms : 60000);
  int force = w->stopping && w->now_ms > w->stop_deadline_ms;
  for (int i = 0; i < LOOP_MAX_CONNS; i++) {
    struct conn *c = &w->conns[i];
    if (!c->used || c->closing)
      continue;
    /* the server's own timeouts (read_header, idle) before zsrt's defaults */
    const struct zs_server *srv = c->server < w->blob->config->server_count ? &w->blob->servers[c->server] : NULL;
    uint64_t header_ms = srv && srv->read_header_ms ? srv->read_header_ms : default_header_ms;
    uint64_t idle_ms = srv && srv->idle_ms ? srv->idle_ms : default_idle_ms;
    enum loop_conn_state state = c->ops->state(c);
    int idle = state == LOOP_CONN_IDLE && !c->send_pending;
    int head_late = idle && c->head_start_ms && w->now_ms - c->head_start_ms > header_ms;
    int idle_late = idle && !c->head_start_ms && w->now_ms - c->active_ms > idle_ms;
    int body_late = state == LOOP_CONN_BODY && w->now_ms - c->active_ms > idle_ms;
    /* a client that takes none of its answer for send_ms (nginx's send_timeout) */
    int send_late = c->send_pending && w->now_ms - c->send_ms > send_ms;
    if (force || head_late || idle_late || body_late || send_late ||
        (w->stopping && idle && !c->head_start_ms))
      loop_conn_close(w, c);
  }
  for (unsigned i = 0; i < w->module_count; i++)
    if (w->modules[i]->tick)
      w->modules[i]->tick(w);
  loop_arm_tick(w);
}

/* stop: no more accepting, idle connections closed, the rest finish */
static void loop_on_wake(struct worker *w)
{
  w->stopping = 1;
  w->accepting = 0;
  /* grace_period; without one, what is in flight finishes, as Caddy waits */
  unsigned grace = w->blob->config->http_app_count ? w->blob->http_apps[0].grace_ms : 0;
  w->stop_deadline_ms = grace ? w->now_ms + grace : UINT64_MAX;
  for (unsigned i = 0; i < w->listener_count; i++) {
    struct io_uring_sqe *sqe = loop_get_sqe(w);
    io_uring_prep_cancel_fd(sqe, w->listeners[i].fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_IGNORE, 0, 0));
  }
  /* the cancels name the fds: submit them, then close the listeners so the
   * port is free for a new zsrt and nothing new lands on a draining one */
  io_uring_submit(&w->ring);
  for (unsigned i = 0; i < w->listener_count; i++) {
    close(w->listeners[i].fd);
    w->listeners[i].fd = -1;
  }
  loop_on_tick(w);
}

static void loop_cqe_accept(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                            int res, unsigned flags)
{
  (void)op, (void)gen;
  loop_on_accept(w, index, res, flags);
}

static void loop_cqe_wake(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                          int res, unsigned flags)
{
  (void)op, (void)index, (void)gen, (void)res, (void)flags;
  loop_on_wake(w);
}

static void loop_cqe_tick(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen,
                          int res, unsigned flags)
{
  (void)op, (void)index, (void)gen, (void)res, (void)flags;
  loop_on_tick(w);
}

/* the loop's own ops; modules add theirs (loop_register_op) */
static void loop_register_builtin_ops(struct worker *w)
{
  loop_register_op(w, LOOP_OP_ACCEPT, loop_cqe_accept);
  loop_register_op(w, LOOP_OP_RECV, loop_conn_cqe);
  loop_register_op(w, LOOP_OP_SEND, loop_conn_cqe);
  loop_register_op(w, LOOP_OP_FILE_READ, loop_conn_cqe);
  loop_register_op(w, LOOP_OP_WAKE, loop_cqe_wake);
  loop_register_op(w, LOOP_OP_TICK, loop_cqe_tick);
}

static void loop_dispatch(struct worker *w, struct io_uring_cqe *cqe)
{
  uint64_t ud = io_uring_cqe_get_data64(cqe);
  enum loop_op op = (enum loop_op)(ud & 0xff);
  uint32_t index = (uint32_t)(ud >> 8) & 0xffffffu, gen = (uint32_t)(ud >> 32);
  /* one handler per kind of operation; the loop reads nothing else of a completion */
  if (op < LOOP_OP_COUNT && w->handlers[op])
    w->handlers[op](w, op, index, gen, cqe->res, cqe->flags);
}

int loop_worker_run(struct worker *w)
{
  w->now_ms = loop_now_ms();
  w->accepting = 1;
  for (unsigned i = 0; i < w->listener_count; i++)
    loop_arm_accept(w, i);
  loop_arm_tick(w);
  loop_arm_wake(w);
  /* a stop also waits for the cancelled accepts to end: until then the ring
   * holds the listening socket, which would take connections nobody accepts
   * (a second zsrt sharing the port would lose them) */
  while (!(w->stopping && w->active_conns == 0 && loop_modules_busy(w) == 0 &&
           (w->accepts_armed == 0 || w->now_ms > w->stop_deadline_ms))) {
    int rc = io_uring_submit_and_wait(&w->ring, 1);
    if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
      return rc;
    w->now_ms = loop_now_ms();
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&w->ring, head, cqe) {
      loop_dispatch(w, cqe);
      seen++;
    }
    io_uring_cq_advance(&w->ring, seen);
    if (w->held_count)
      loop_take_held(w);
    reload_worker_sync(w);   /* between requests: a reloaded blob is taken here */
  }
  return 0;
}
