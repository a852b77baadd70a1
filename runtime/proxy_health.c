/* The upstreams' shared state (proxy_health.h) and the active health
 * checker: a thread that sends each upstream of a proxy with health checks
 * Caddy's check request (method, URI, Host, health_headers) every interval,
 * with the timeout as its deadline, and marks the address down after `fails`
 * consecutive failures and up after `passes` consecutive passes, as Caddy's
 * activeHealthChecker does. Blocking sockets with poll: it serves no client. */
#include "proxy_health.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <netdb.h>
#include <pcre2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http1.h"
#include "log.h"
#include "reload.h"

#define HEALTH_BUF_CAP 65536   /* a check reads at most this much of an answer */

struct proxy_hosts *proxy_hosts_create(void)
{
  struct proxy_hosts *h = mmap(NULL, sizeof *h, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h == MAP_FAILED)
    return NULL;
  pthread_mutex_init(&h->lock, NULL);
  return h;
}

void proxy_hosts_destroy(struct proxy_hosts *h)
{
  if (!h)
    return;
  pthread_mutex_destroy(&h->lock);
  munmap(h, sizeof *h);
}

int proxy_hosts_find(struct proxy_hosts *h, const char *dial)
{
  if (strlen(dial) >= PROXY_DIAL_CAP)
    return -ENOSPC;
  pthread_mutex_lock(&h->lock);
  unsigned n = atomic_load(&h->count);
  int found = -ENOSPC;
  for (unsigned i = 0; i < n && found < 0; i++)
    if (strcmp(h->hosts[i].dial, dial) == 0)
      found = (int)i;
  if (found < 0 && n < PROXY_HOSTS_CAP) {
    strcpy(h->hosts[n].dial, dial);
    atomic_store(&h->count, n + 1);
    found = (int)n;
  }
  pthread_mutex_unlock(&h->lock);
  return found;
}

static uint64_t health_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- one check ---- */

struct health_target {
  struct sockaddr_storage addr;
  socklen_t addr_len;
  char host[PROXY_DIAL_CAP + 8];   /* the request's Host: host:port, "localhost" for a socket */
};

/* the address checked: the upstream's, on health_port when set */
static int health_target(const char *dial, unsigned port, struct health_target *t)
{
  if (strncmp(dial, "unix/", 5) == 0 && !port) {
    struct sockaddr_un *un = (struct sockaddr_un *)&t->addr;
    un->sun_family = AF_UNIX;
    snprintf(un->sun_path, sizeof un->sun_path, "%s", dial + 5);
    t->addr_len = sizeof *un;
    snprintf(t->host, sizeof t->host, "localhost");
    return 0;
  }
  if (strncmp(dial, "unix/", 5) == 0)
    return -EINVAL;   /* Caddy dials tcp to the socket's path: never reachable */
  char host[PROXY_DIAL_CAP];
  const char *colon = strrchr(dial, ':');
  size_t hl = colon ? (size_t)(colon - dial) : 0;
  if (!colon || hl >= sizeof host)
    return -EINVAL;
  memcpy(host, dial, hl);
  host[hl] = 0;
  char portbuf[8];
  snprintf(portbuf, sizeof portbuf, "%u", port ? port : (unsigned)atoi(colon + 1));
  snprintf(t->host, sizeof t->host, "%s:%s", host, portbuf);
  char *h = host;
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    host[hl - 1] = 0;
    h++;
  }
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo(*h ? h : "localhost", portbuf, &hints, &res) != 0 || !res)
    return -EHOSTUNREACH;
  memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
  t->addr_len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

static int health_wait(int fd, short events, uint64_t deadline)
{
  uint64_t now = health_now_ms();
  if (now >= deadline)
    return -ETIMEDOUT;
  struct pollfd p = {.fd = fd, .events = events};
  int n = poll(&p, 1, (int)(deadline - now));
  return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

static int health_connect(const struct health_target *t, uint64_t deadline)
{
  int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  int rc = connect(fd, (const struct sockaddr *)&t->addr, t->addr_len) == 0 ? 0 : -errno;
  if (rc == -EINPROGRESS && (rc = health_wait(fd, POLLOUT, deadline)) == 0) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    rc = -err;
  }
  if (rc < 0) {
    close(fd);
    return rc;
  }
  return fd;
}

/* the check request, as Go's client writes it for Caddy */
static int health_request(const struct blob *b, const struct zs_proxy *p, const struct health_target *t, char *buf,
                          size_t cap)
{
  const char *host = t->host;
  for (uint32_t at = p->health_header_str; *blob_string(b, at);) {
    const char *name = blob_string(b, at), *value = name + strlen(name) + 1;
    if (strcmp(name, "Host") == 0)
      host = value;
    at += (uint32_t)(strlen(name) + strlen(value) + 2);
  }
  int n = snprintf(buf, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Go-http-client/1.1\r\n",
                   blob_string(b, p->health_method_str),
                   *blob_string(b, p->health_uri_str) ? blob_string(b, p->health_uri_str) : "/", host);
  for (uint32_t at = p->health_header_str; *blob_string(b, at) && n > 0 && (size_t)n < cap;) {
    const char *name = blob_string(b, at), *value = name + strlen(name) + 1;
    if (!name)
      break;   /* never: blob_string returns "" for a bad offset; said for the compiler */
    if (strcmp(name, "Host") != 0)
      n += snprintf(buf + n, cap - (size_t)n, "%s: %s\r\n", name, value);
    at += (uint32_t)(strlen(name) + strlen(value) + 2);
  }
  if (n > 0 && (size_t)n < cap)
    n += snprintf(buf + n, cap - (size_t)n, "Connection: close\r\n\r\n");
  return n > 0 && (size_t)n < cap ? n : -ENOSPC;
}

/* a chunked body: 1 when it is complete, 0 when more is to come, -1 when
 * malformed; compact: the decoded bytes are moved to its start */
static int health_dechunk(char *body, size_t have, int compact, size_t *out_len)
{
  struct http1_chunked ch = {0};
  size_t in = 0, out = 0;
  while (in < have && !ch.done) {
    const char *data;
    size_t n;
    int used = http1_chunked_decode(&ch, body + in, have - in, &data, &n);
    if (used < 0)
      return -1;
    if (compact)
      memmove(body + out, data, n);
    out += n;
    in += (size_t)used;
  }
  *out_len = out;
  return ch.done;
}

/* reads until the answer is whole (or the buffer full, or EOF); the body, decoded, in body */
static int health_read(int fd, uint64_t deadline, int head_req, char *buf, struct http1_response *resp,
                       const char **body, size_t *body_len)
{
  size_t len = 0;
  int eof = 0;
  for (;;) {
    int rc = http1_parse_response(buf, len, head_req, resp);
    if (rc > 0 && resp->status >= 100 && resp->status < 200) {   /* interim: skip it */
      memmove(buf, buf + rc, len - (size_t)rc);
      len -= (size_t)rc;
      continue;
    }
    if (rc > 0) {
      size_t have = len - (size_t)rc;
      *body = buf + rc;
      *body_len = have;
      if (resp->body == HTTP1_BODY_NONE || (resp->body == HTTP1_BODY_LENGTH && have >= (size_t)resp->content_length)) {
        *body_len = resp->body == HTTP1_BODY_NONE ? 0 : (size_t)resp->content_length;
        return 0;
      }
      if (resp->body == HTTP1_BODY_CHUNKED) {
        int done = health_dechunk(buf + rc, have, 0, body_len);
        if (done < 0)
          return -EPROTO;
        if (done || eof || len == HEALTH_BUF_CAP)   /* whole: decode it in place */
          return health_dechunk(buf + rc, have, 1, body_len) == 1 ? 0 : -EPROTO;
      } else if (eof || len == HEALTH_BUF_CAP) {
        return resp->body == HTTP1_BODY_CLOSE || len == HEALTH_BUF_CAP ? 0 : -EPROTO;
      }
    } else if (rc != HTTP1_ERR_MORE || eof || len == HEALTH_BUF_CAP) {
      return -EPROTO;
    }
    int w = health_wait(fd, POLLIN, deadline);
    if (w < 0)
      return w;
    ssize_t n = recv(fd, buf + len, HEALTH_BUF_CAP - len, MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return -errno;
    if (n == 0)
      eof = 1;
    if (n > 0)
      len += (size_t)n;
  }
}

/* Caddy's StatusCodeMatches: a class digit or a code; 0: any 2xx */
static int health_status_ok(int status, unsigned expect)
{
  if (!expect)
    return status >= 200 && status < 300;
  return expect < 100 ? status / 100 == (int)expect : status == (int)expect;
}

/* 1: the check passed; 0: it failed (why in *why) */
static int health_check(const struct blob *b, const struct zs_proxy *p, const char *dial, char *buf, const char **why)
{
  struct health_target t = {0};
  uint64_t deadline = health_now_ms() + (p->health_timeout_ms ? p->health_timeout_ms : 5000);
  *why = "bad address";
  if (health_target(dial, p->health_port, &t) < 0)
    return 0;
  int fd = health_connect(&t, deadline);
  *why = "HTTP request failed";
  if (fd < 0)
    return 0;
  int n = health_request(b, p, &t, buf, HEALTH_BUF_CAP);
  int ok = n > 0 && health_wait(fd, POLLOUT, deadline) == 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n;
  struct http1_response resp;
  const char *body = NULL;
  size_t body_len = 0;
  ok = ok && health_read(fd, deadline, strcmp(blob_string(b, p->health_method_str), "HEAD") == 0, buf, &resp,
                         &body, &body_len) == 0;
  close(fd);
  if (!ok)
    return 0;
  *why = "unexpected status code";
  if (!health_status_ok(resp.status, p->health_status))
    return 0;
  const char *re = blob_string(b, p->health_body_str);
  if (!*re)
    return 1;
  *why = "response body failed expectations";
  int code;
  PCRE2_SIZE off;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
  pcre2_match_data *md = c ? pcre2_match_data_create_from_pattern(c, NULL) : NULL;
  int matched = md && pcre2_match(c, (PCRE2_SPTR)body, body_len, 0, PCRE2_NO_UTF_CHECK, md, NULL) >= 0;
  pcre2_match_data_free(md);
  pcre2_code_free(c);
  return matched;
}

/* ---- the checker ---- */

static void health_log(struct worker_log *log, const char *level, const char *msg, const char *host, const char *why)
{
  log_begin(log, level, "http.handlers.reverse_proxy.health_checker.active", msg);
  log_cstr(log, "host", host);
  if (why)
    log_cstr(log, "error", why);
  log_end(log);
}

/* counts one result into the address's slot, marking it down or up at the threshold */
static void health_count(struct proxy_host *h, const struct zs_proxy *p, int pass, struct worker_log *log,
                         const char *why)
{
  if (pass) {
    atomic_store(&h->fail_streak, 0);
    if (atomic_fetch_add(&h->passes, 1) + 1 >= (int)(p->health_passes ? p->health_passes : 1) &&
        atomic_exchange(&h->down, 0)) {
      health_log(log, "info", "host is up", h->dial, NULL);
      atomic_store(&h->passes, 0);
    }
    return;
  }
  atomic_store(&h->passes, 0);
  health_log(log, "info", why, h->dial, NULL);
  if (atomic_fetch_add(&h->fail_streak, 1) + 1 >= (int)(p->health_fails ? p->health_fails : 1) &&
      !atomic_exchange(&h->down, 1)) {
    health_log(log, "info", "host is down", h->dial, NULL);
    atomic_store(&h->fail_streak, 0);
  }
}

static void health_round(struct proxy_checker *pc, const struct blob *b, unsigned proxy, char *buf,
                         struct worker_log *log)
{
  const struct zs_proxy *p = &b->proxies[proxy];
  int any = 0;
  for (unsigned i = 0; i < b->config->proxy_upstream_count && !atomic_load(&pc->stop); i++) {
    if (b->proxy_upstreams[i].proxy != proxy)
      continue;
    any = 1;
    const char *dial = blob_string(b, b->proxy_upstreams[i].dial_str), *why = NULL;
    int slot = proxy_hosts_find(pc->hosts, dial);
    int pass = health_check(b, p, dial, buf, &why);
    if (slot >= 0)
      health_count(&pc->hosts->hosts[slot], p, pass, log, why);
  }
  if (!any) {   /* a blob without rows: its one upstream */
    const char *dial = blob_string(b, p->upstream_str), *why = NULL;
    int slot = proxy_hosts_find(pc->hosts, dial);
    int pass = health_check(b, p, dial, buf, &why);
    if (slot >= 0)
      health_count(&pc->hosts->hosts[slot], p, pass, log, why);
  }
}

static void *health_main(void *arg)
{
  struct proxy_checker *pc = arg;
  struct worker_log log = {.worker = -1};
  char *buf = malloc(HEALTH_BUF_CAP + 1);
  uint64_t *due = NULL;
  struct blob_ref *ref = NULL;
  while (buf && !atomic_load(&pc->stop)) {
    struct blob_ref *cur = reload_current(pc->reload);
    if (cur != ref) {   /* a new blob: every proxy is checked at once, as Caddy does at provisioning */
      blob_ref_put(ref);
      ref = cur;
      free(due);
      due = calloc(ref->blob.config->proxy_count + 1, sizeof *due);
    } else {
      blob_ref_put(cur);
    }
    const struct blob *b = &ref->blob;
    uint64_t now = health_now_ms();
    for (unsigned i = 0; due && i < b->config->proxy_count && !atomic_load(&pc->stop); i++) {
      const struct zs_proxy *p = &b->proxies[i];
      if (!(p->flags & ZS_PROXY_ACTIVE) || now < due[i])
        continue;
      due[i] = now + (p->health_interval_ms ? p->health_interval_ms : 30000);
      health_round(pc, b, i, buf, &log);
    }
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  blob_ref_put(ref);
  free(due);
  free(buf);
  return NULL;
}

int proxy_health_start(struct proxy_checker *pc, struct reload_state *reload, struct proxy_hosts *hosts)
{
  pc->reload = reload;
  pc->hosts = hosts;
  atomic_store(&pc->stop, 0);
  int rc = -pthread_create(&pc->thread, NULL, health_main, pc);
  pc->started = rc == 0;
  return rc;
}

void proxy_health_stop(struct proxy_checker *pc)
{
  if (!pc->started)
    return;
  atomic_store(&pc->stop, 1);
  pthread_join(pc->thread, NULL);
  pc->started = 0;
}
