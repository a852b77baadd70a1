/* The upstream connection pool (proxy_internal.h): targets resolved once per
 * pool, connection slots taken, released and submitted on, the idle and
 * per-host limits, and passive failures forgotten on their timers. proxy.c
 * drives the exchanges over it. */
#include "proxy_internal.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <unistd.h>

#include "loader.h"

/* "host:port", "[v6]:port" or "unix//path", as Caddy's dial address */
static int proxy_resolve(const char *dial, struct proxy_target *t)
{
  if (strncmp(dial, "unix/", 5) == 0) {
    struct sockaddr_un *un = (struct sockaddr_un *)&t->addr;
    if (strlen(dial + 5) >= sizeof un->sun_path)
      return -ENAMETOOLONG;
    un->sun_family = AF_UNIX;
    strcpy(un->sun_path, dial + 5);
    t->addr_len = sizeof *un;
    t->resolved = 1;
    return 0;
  }
  char host[256];
  const char *colon = strrchr(dial, ':');
  if (!colon || (size_t)(colon - dial) >= sizeof host)
    return -EINVAL;
  size_t hl = (size_t)(colon - dial);
  memcpy(host, dial, hl);
  host[hl] = 0;
  char *h = host;
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    host[hl - 1] = 0;
    h++;
  }
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo(*h ? h : "localhost", colon + 1, &hints, &res) != 0 || !res)
    return -EHOSTUNREACH;
  memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
  t->addr_len = res->ai_addrlen;
  t->resolved = 1;
  freeaddrinfo(res);
  return 0;
}

void *proxy_map(size_t size)
{
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void proxy_target_init(struct worker *w, struct proxy_target *t, const char *dial, unsigned weight,
                              unsigned max_requests)
{
  *t = (struct proxy_target){.dial = dial, .weight = weight, .max_requests = max_requests};
  if (proxy_resolve(dial, t) < 0 && w->id == 0)
    fprintf(stderr, "zsrt: reverse_proxy upstream %s: cannot resolve\n", dial);
  t->host = proxy_hosts_find(w->proxy->hosts, dial);
  if (t->host < 0 && w->id == 0)
    fprintf(stderr, "zsrt: reverse_proxy upstream %s: more than %d upstream addresses, its health is not shared\n",
            dial, PROXY_HOSTS_CAP);
}

/* every proxy's upstreams (its proxy_upstream rows; a blob without rows
 * has its upstream_str alone), and the shared slot of each */
int proxy_targets_create(struct worker *w, struct proxy_pool *p)
{
  const struct blob *b = w->blob;
  size_t np = b->config ? b->config->proxy_count : 0, rows = b->config ? b->config->proxy_upstream_count : 0;
  p->hosts = w->hosts;
  if (!p->hosts && !(p->hosts = p->own_hosts = proxy_hosts_create()))
    return -ENOMEM;
  p->lb = (struct proxy_lb){.hosts = p->hosts, .rng = 0x2545f4914f6cdd1dull * (uint64_t)(w->id + 1)};
  p->lb.key = proxy_map(2 * PROXY_LB_KEY_CAP);
  p->lb.query = p->lb.key ? p->lb.key + PROXY_LB_KEY_CAP : NULL;
  p->set_count = np;
  p->sets = proxy_map(sizeof *p->sets * (np + 1));
  p->target_cap = np + rows + 1;
  p->targets = proxy_map(sizeof *p->targets * p->target_cap);
  if (!p->sets || !p->targets || !p->lb.key)
    return -ENOMEM;
  for (size_t i = 0; i < np; i++) {
    p->sets[i].first = (unsigned)p->target_count;
    for (size_t r = 0; r < rows; r++) {
      const struct zs_proxy_upstream *u = &b->proxy_upstreams[r];
      if (u->proxy == i)
        proxy_target_init(w, &p->targets[p->target_count++], blob_string(b, u->dial_str), u->weight,
                          u->max_requests);
    }
    if (p->target_count == p->sets[i].first)
      proxy_target_init(w, &p->targets[p->target_count++], blob_string(b, b->proxies[i].upstream_str), 0, 0);
    p->sets[i].count = (unsigned)p->target_count - p->sets[i].first;
  }
  return 0;
}

int proxy_busy(struct worker *w)
{
  int n = 0;
  if (!w->proxy)
    return 0;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
    n += w->proxy->ups[i].pending > 0;
  return n;
}

struct proxy_host *up_host(struct worker *w, unsigned target)
{
  int h = w->proxy->targets[target].host;
  return h >= 0 ? &w->proxy->hosts->hosts[h] : NULL;
}

void up_release(struct worker *w, struct upstream *up)
{
  if (up->fd >= 0)
    close(up->fd);
  if (up->conn_counted && up_host(w, up->target))
    atomic_fetch_sub(&up_host(w, up->target)->conns, 1);
  if (up->state == UP_QUEUED)
    w->proxy->queued_count--;
  up->conn_counted = 0;
  up->fd = -1;
  up->state = UP_FREE;
  up->client = NULL;
  up->ex = NULL;
  up->gen++;
}

void up_close(struct worker *w, struct upstream *up)
{
  if (up->state == UP_FREE || up->state == UP_CLOSING)
    return;
  up->client = NULL;
  up->ex = NULL;
  if (up->pending == 0) {
    up_release(w, up);
    return;
  }
  up->state = UP_CLOSING;
  if (up->fd < 0)
    return;   /* a wait: its timeout completes on its own */
  shutdown(up->fd, SHUT_RDWR);
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_cancel_fd(sqe, up->fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, loop_user_data(LOOP_OP_IGNORE, 0, 0));
}

/* An idle connection must be silent: bytes (a response to a request we
 * never sent: the upstream read a request body as a second request) or an
 * EOF mean it is not ours to reuse, as Go's transport closes a connection
 * that is readable while idle. */
static int up_idle_is_quiet(struct upstream *up)
{
  char byte;
  ssize_t n = recv(up->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

struct upstream *up_take(struct worker *w, unsigned target, int allow_reuse)
{
  struct upstream *spare = NULL;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++) {
    struct upstream *up = &w->proxy->ups[i];
    if (allow_reuse && up->state == UP_IDLE && up->target == target) {
      if (up_idle_is_quiet(up))
        return up;
      up_release(w, up);
    }
    if (!spare && up->state == UP_FREE)
      spare = up;
  }
  if (!spare) {   /* all taken: give up the oldest idle connection */
    for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
      if (w->proxy->ups[i].state == UP_IDLE && (!spare || w->proxy->ups[i].idle_since_ms < spare->idle_since_ms))
        spare = &w->proxy->ups[i];
    if (spare)
      up_release(w, spare);
  }
  return spare;
}

void up_submit(struct worker *w, struct upstream *up, enum loop_op op)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  const struct proxy_target *t = &w->proxy->targets[up->target];
  if (op == (enum loop_op)PROXY_OP_WAIT) {
    io_uring_prep_timeout(sqe, &up->wait, 0, 0);
  } else if (op == (enum loop_op)PROXY_OP_CONNECT) {
    io_uring_prep_connect(sqe, up->fd, (const struct sockaddr *)&t->addr, t->addr_len);
  } else if (op == (enum loop_op)PROXY_OP_SEND) {
    up->msg = (struct msghdr){.msg_iov = up->iov};
    for (int i = 0; i < UP_SEG_COUNT; i++)   /* what of the frame is not sent yet */
      if (up->seg[i].iov_len)
        up->iov[up->msg.msg_iovlen++] = up->seg[i];
    io_uring_prep_sendmsg(sqe, up->fd, &up->msg, MSG_NOSIGNAL);
  } else {
    io_uring_prep_recv(sqe, up->fd, up->in + up->in_len, PROXY_IN_CAP - up->in_len, 0);
  }
  io_uring_sqe_set_data64(sqe, loop_user_data(op, (uint32_t)up->index, up->gen));
  up->pending++;
}

const struct zs_proxy *proxy_rec(struct worker *w, unsigned proxy_id)
{
  return &w->blob->proxies[proxy_id];
}

/* passive health: one failure now, forgotten after fail_duration */
void proxy_count_failure(struct worker *w, unsigned proxy_id, int host)
{
  const struct zs_proxy *rec = proxy_rec(w, proxy_id);
  struct proxy_pool *p = w->proxy;
  if (!rec->fail_duration_ms || host < 0)
    return;
  if (p->forget_count == PROXY_FORGET_CAP) {   /* full: the oldest is forgotten early */
    atomic_fetch_sub(&p->hosts->hosts[p->forgets[0].host].fails, 1);
    p->forgets[0] = p->forgets[--p->forget_count];
  }
  atomic_fetch_add(&p->hosts->hosts[host].fails, 1);
  p->forgets[p->forget_count++] = (struct proxy_forget){host, w->now_ms + rec->fail_duration_ms};
}

void proxy_forget_due(struct proxy_pool *p, uint64_t now)
{
  for (size_t i = 0; i < p->forget_count;)
    if (now >= p->forgets[i].at_ms) {
      atomic_fetch_sub(&p->hosts->hosts[p->forgets[i].host].fails, 1);
      p->forgets[i] = p->forgets[--p->forget_count];
    } else {
      i++;
    }
}

void proxy_forget_all(struct proxy_pool *p)
{
  proxy_forget_due(p, UINT64_MAX);
}

/* the attempt is over: its request no longer counts; failed: a passive failure */
void proxy_attempt_end(struct worker *w, struct exchange *ex, int failed)
{
  struct proxy_try *t = &ex->lb;
  if (t->target < 0 || !w->proxy)
    return;
  struct proxy_host *h = up_host(w, (unsigned)t->target);
  if (t->counted && h)
    atomic_fetch_sub(&h->requests, 1);
  t->counted = 0;
  if (failed)
    proxy_count_failure(w, ex->proxy_id, w->proxy->targets[t->target].host);
  t->target = -1;
}

/* max_conns_per_host: 1 when a new connection to the target must wait */
int proxy_conns_full(struct worker *w, const struct zs_proxy *rec, unsigned target)
{
  struct proxy_host *h = up_host(w, target);
  return rec->max_conns_per_host && h && atomic_load(&h->conns) >= (int)rec->max_conns_per_host;
}

/* an idle connection to the target, when there is one */
int proxy_has_idle(struct worker *w, unsigned target)
{
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++)
    if (w->proxy->ups[i].state == UP_IDLE && w->proxy->ups[i].target == target)
      return 1;
  return 0;
}

/* Caddy's dialer: TCP keep-alive probes every 30 s, Nagle off */
void proxy_socket_options(int fd, int unix_socket)
{
  int one = 1, probe = 30;
  if (unix_socket)
    return;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &probe, sizeof probe);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &probe, sizeof probe);
}

/* the idle connections this worker keeps: for the target, and for its proxy */
int proxy_idle_room(struct worker *w, const struct upstream *up)
{
  const struct zs_proxy *rec = proxy_rec(w, up->proxy_id);
  if (rec->flags & ZS_PROXY_NO_KEEPALIVE)
    return 0;
  unsigned host = 0, all = 0;
  for (int i = 0; i < PROXY_MAX_UPSTREAM_CONNS; i++) {
    const struct upstream *o = &w->proxy->ups[i];
    if (o->state == UP_IDLE && o->proxy_id == up->proxy_id) {
      all++;
      host += o->target == up->target;
    }
  }
  return (!rec->idle_conns_per_host || host < rec->idle_conns_per_host) && (!rec->idle_conns || all < rec->idle_conns);
}
