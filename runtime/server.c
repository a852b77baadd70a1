/* server_run: binds (or takes from systemd) every worker's listeners, drops
 * root, applies the sandbox, starts one worker thread per core, and then
 * turns signals into actions: SIGHUP reloads the blob, SIGTERM/SIGINT start
 * a graceful stop (listeners closed, in-flight requests finish), and a second
 * SIGTERM/SIGINT during that drain stops at once with exit status 0. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"
#include "auth_pool.h"
#include "conn.h"
#include "conn_tls.h"
#include "files_cache.h"
#include "loader.h"
#include "log.h"
#include "loop.h"
#include "privileges.h"
#include "proxy_health.h"
#include "reload.h"
#include "sandbox.h"
#include "sd_notify.h"
#include "cert_manager.h"
#include "site_tls.h"

struct server_worker {
  struct worker w;
  struct reload_slot slot;
  const struct server_options *opt;
  const struct access_log_files *logs;   /* the server's, shared read-only */
  pthread_t thread;
  sem_t ready;                 /* posted when init_result is known */
  int init_result;
  int started;
  int result;
  atomic_int *done;            /* counts workers whose loop returned */
};

struct server {
  const struct server_options *opt;
  struct server_worker *ws;
  int count;
  struct reload_state reload;
  struct worker_log log;       /* the main thread's lines */
  struct sd_notifier notify;
  int inherited[LOOP_MAX_LISTENERS];   /* socket-activation fds not yet matched */
  int inherited_count;
  atomic_int done;
  struct site_tls tls;         /* the TLS servers' contexts, certificates and ticket keys */
  struct cert_manager certs;   /* zsrt-acme manage, when the blob has ACME certificates */
  struct access_log_files logs;   /* access log outputs, opened before the sandbox */
  struct proxy_hosts *hosts;   /* the upstreams' state, shared by the workers and the health checker */
  struct proxy_checker checker;
  int tls_on;
  struct auth_pool *auth;      /* basic_auth's verification threads, for every worker */
};

/* the bind address of a listener: "" is every interface (dual-stack) */
static int server_listener_addr(const char *host, uint16_t port, struct sockaddr_storage *ss,
                                socklen_t *len)
{
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  if (!*host) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_any;
    sin6->sin6_port = htons(port);
    *len = sizeof *sin6;
    return 0;
  }
  if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    *len = sizeof *sin;
    return 0;
  }
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
    return -EADDRNOTAVAIL;
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  sin->sin_port = htons(port);   /* sin_port and sin6_port share their offset */
  return 0;
}

/* listen: 0 for the probe, which only binds */
static int server_open_socket(const struct sockaddr_storage *ss, socklen_t len, int reuse_port,
                              int listen_now)
{
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port)
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (ss->ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, (const struct sockaddr *)ss, len) != 0 || (listen_now && listen(fd, 4096) != 0)) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

/* no IPv6 on the machine: all interfaces means all IPv4 ones */
static int server_bind(const char *host, uint16_t port, int reuse_port, int listen_now)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int rc = server_listener_addr(host, port, &ss, &len);
  if (rc < 0)
    return rc;
  rc = server_open_socket(&ss, len, reuse_port, listen_now);
  if (rc == -EAFNOSUPPORT && !*host) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    memset(&ss, 0, sizeof ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    rc = server_open_socket(&ss, sizeof *sin, reuse_port, listen_now);
  }
  return rc;
}

/* SO_REUSEPORT would let this bind succeed beside another process's
 * listener: a bind without it tells whether the port is taken */
static int server_probe_port(const char *host, uint16_t port)
{
  int fd = server_bind(host, port, 0, 0);
  if (fd < 0)
    return fd;
  close(fd);
  return 0;
}

/* an inherited socket listening on the listener's address: the same port,
 * and the same address unless the blob listens on every interface (then
 * systemd's ListenStream= chooses the interfaces) */
static int server_take_inherited(struct server *s, const char *host, uint16_t port)
{
  struct sockaddr_storage want;
  socklen_t want_len;
  if (server_listener_addr(host, port, &want, &want_len) < 0)
    return -1;
  for (int i = 0; i < s->inherited_count; i++) {
    struct sockaddr_storage got;
    socklen_t got_len = sizeof got;
    int fd = s->inherited[i];
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&got, &got_len) != 0)
      continue;
    const struct sockaddr_in *g4 = (const void *)&got, *w4 = (const void *)&want;
    const struct sockaddr_in6 *g6 = (const void *)&got, *w6 = (const void *)&want;
    int same_port = (got.ss_family == AF_INET || got.ss_family == AF_INET6) &&
                    g4->sin_port == w4->sin_port;   /* same offset in both families */
    int any = !*host;
    int same = got.ss_family == want.ss_family &&
               (got.ss_family == AF_INET ? g4->sin_addr.s_addr == w4->sin_addr.s_addr
                                         : memcmp(&g6->sin6_addr, &w6->sin6_addr, 16) == 0);
    if (same_port && (any || same)) {
      s->inherited[i] = -1;
      return fd;
    }
  }
  return -1;
}

static int server_fail_listen(struct server *s, const char *host, uint16_t port, const char *why)
{
  log_begin(&s->log, "error", NULL, "cannot listen");
  char addr[300];
  snprintf(addr, sizeof addr, "%s:%u", host, port);
  log_cstr(&s->log, "address", addr);
  log_cstr(&s->log, "error", why);
  log_end(&s->log);
  return -EADDRINUSE;
}

/* one listener for every worker: the inherited socket duplicated, or each
 * worker's own SO_REUSEPORT socket after the probe said the port is free */
static int server_open_listener(struct server *s, const struct blob *b, unsigned li)
{
  const struct zs_listener *l = &b->listeners[li];
  const char *host = blob_string(b, l->host_str);
  int inherited = server_take_inherited(s, host, l->port);
  if (inherited < 0 && !s->opt->reuse_port) {
    int rc = server_probe_port(host, l->port);
    if (rc == -EADDRINUSE)
      return server_fail_listen(s, host, l->port,
                                "address already in use by another process (--reuse-port shares it on purpose)");
    if (rc < 0)
      return server_fail_listen(s, host, l->port, strerror(-rc));
  }
  for (int i = 0; i < s->count; i++) {
    struct worker *w = &s->ws[i].w;
    int fd = inherited >= 0 ? fcntl(inherited, F_DUPFD_CLOEXEC, 3) : server_bind(host, l->port, 1, 1);
    if (fd < 0)
      return server_fail_listen(s, host, l->port, strerror(inherited >= 0 ? errno : -fd));
    w->listeners[w->listener_count++] = (struct listener_sock){fd, l->server, l->port};
  }
  if (inherited >= 0)
    close(inherited);
  return 0;
}

static int server_open_listeners(struct server *s, const struct blob *b)
{
  if (b->config->listener_count > LOOP_MAX_LISTENERS)
    return -E2BIG;
  int n = sd_listen_fds();
  for (int i = 0; i < n && i < LOOP_MAX_LISTENERS; i++)
    s->inherited[s->inherited_count++] = 3 + i;
  for (unsigned i = 0; i < b->config->listener_count; i++) {
    int rc = server_open_listener(s, b, i);
    if (rc < 0)
      return rc;
  }
  for (int i = 0; i < s->inherited_count; i++)
    if (s->inherited[i] >= 0) {
      log_line(&s->log, "warn", NULL, "socket passed by systemd matches no listener of the blob: closed");
      close(s->inherited[i]);
    }
  return 0;
}

/* The ring is created on the thread that uses it: SINGLE_ISSUER binds a
 * ring to its creator. A worker that fails to start reports and returns. */
static void *server_worker_main(void *arg)
{
  struct server_worker *sw = arg;
  struct worker *w = &sw->w;
  int rc = loop_worker_init(w, w->id, &sw->slot.ref->blob, sw->opt);
  if (rc == 0)
    rc = conn_worker_init(w);   /* HTTP (and the proxy) on the worker's loop */
  if (rc == 0)
    rc = conn_tls_worker_init(w);
  if (rc == 0)
    rc = access_log_worker_init(w, sw->logs);
  if (rc == 0)
    rc = auth_worker_init(w, w->auth_pool);
  if (rc == 0)
    w->files = files_cache_create();   /* none (no inotify): files are opened per request */
  sw->init_result = rc;
  sem_post(&sw->ready);
  if (rc == 0)
    sw->result = loop_worker_run(w);
  /* here, not after the join: exiting the ring releases what its
   * cancelled accepts still hold (the listening sockets) at once */
  loop_worker_fini(w);
  conn_tls_worker_fini(w);
  files_cache_destroy(w->files);
  w->files = NULL;
  atomic_fetch_add(sw->done, 1);
  return NULL;
}

static int server_worker_count(const struct server_options *opt)
{
  if (opt->workers > 0)
    return opt->workers;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)(n > 256 ? 256 : n) : 1;
}

static void server_wake_workers(struct server *s)
{
  uint64_t one = 1;
  for (int i = 0; i < s->count; i++)
    if (s->ws[i].started && s->ws[i].init_result == 0 && s->ws[i].w.wake_fd >= 0 &&
        write(s->ws[i].w.wake_fd, &one, sizeof one) < 0)
      perror("zsrt: wake worker");
}

static int server_start_workers(struct server *s)
{
  for (int i = 0; i < s->count; i++) {
    struct server_worker *sw = &s->ws[i];
    sw->w.id = i;
    sw->w.log.worker = i;
    sw->w.reload = &sw->slot;
    sw->w.tls_sites = s->tls_on ? &s->tls : NULL;
    sw->w.hosts = s->hosts;
    sw->w.auth_pool = s->auth;
    sw->slot.state = &s->reload;
    sw->slot.ref = reload_current(&s->reload);
    sw->opt = s->opt;
    sw->done = &s->done;
    sem_init(&sw->ready, 0, 0);
    int rc = -pthread_create(&sw->thread, NULL, server_worker_main, sw);
    if (rc < 0)
      return rc;
    sw->started = 1;
    while (sem_wait(&sw->ready) != 0)
      ;
    if (sw->init_result < 0)
      return sw->init_result;
  }
  return 0;
}

/* SIGHUP: the blob file is read again; only a valid one is published */
static void server_reload(struct server *s)
{
  const char *path = s->opt->blob_path;
  char err[512] = "";
  sd_notify_state(&s->notify, "RELOADING=1");
  struct blob_ref *next = path ? blob_ref_open(path, err, sizeof err) : NULL;
  if (!path)
    snprintf(err, sizeof err, "no blob file to reload from");
  struct blob_ref *cur = next ? reload_current(&s->reload) : NULL;
  int ok = next != NULL;
  if (ok && s->opt->check_blob)
    ok = s->opt->check_blob(s->opt->check_arg, path, &next->blob, err, sizeof err) == 0;
  if (ok)
    ok = reload_same_listeners(&cur->blob, &next->blob, err, sizeof err) == 0;
  if (ok)
    ok = reload_same_tls(&cur->blob, &next->blob, err, sizeof err) == 0;
  if (ok)
    ok = reload_same_loggers(&cur->blob, &next->blob, err, sizeof err) == 0;
  blob_ref_put(cur);
  if (ok) {
    reload_publish(&s->reload, next);
    log_begin(&s->log, "info", "admin.api", "load complete");
    log_cstr(&s->log, "blob", path);
  } else {
    blob_ref_put(next);
    log_begin(&s->log, "error", "admin.api", "request error");
    char msg[600];
    snprintf(msg, sizeof msg, "loading config: %s; still serving the previous blob", err);
    log_cstr(&s->log, "error", msg);
  }
  log_cstr(&s->log, "signal", "SIGHUP");
  log_end(&s->log);
  sd_notify_state(&s->notify, "READY=1");
}

static void server_log_signal(struct server *s, const char *level, const char *msg, int sig)
{
  log_begin(&s->log, level, NULL, msg);
  log_cstr(&s->log, "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
  log_end(&s->log);
}

/* the certificate manager's notices: each stored certificate reloads the contexts */
static void server_poll_certs(struct server *s)
{
  char name[600];
  int rc;
  while ((rc = cert_manager_poll(&s->certs, name, sizeof name)) > 0)
    site_tls_reload_acme(&s->tls, name, &s->log);
  if (rc < 0) {
    log_begin(&s->log, "error", "tls", "the certificate manager stopped; certificates are no longer renewed");
    log_end(&s->log);
  }
}

/* the serving blob's stop settings (grace_period, shutdown_delay; zeros: none) */
static struct zs_http_app server_stop_settings(struct server *s)
{
  struct zs_http_app app = {0};
  struct blob_ref *cur = reload_current(&s->reload);
  if (cur->blob.config->http_app_count)
    app = cur->blob.http_apps[0];
  blob_ref_put(cur);
  return app;
}

static uint64_t server_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* the drain: listeners close, workers finish what is in flight (each takes
 * grace_period from its blob), as Caddy logs the start of its grace period */
static void server_drain(struct server *s)
{
  struct zs_http_app app = server_stop_settings(s);
  if (app.grace_ms) {
    log_begin(&s->log, "info", "http", "servers shutting down; grace period initiated");
    log_seconds(&s->log, "duration", (unsigned long long)app.grace_ms * 1000000u);
  } else {
    log_begin(&s->log, "info", "http", "servers shutting down with eternal grace period");
  }
  log_end(&s->log);
  server_wake_workers(s);
}

/* shutdown_delay: serving goes on, listeners open, until *until (ms) */
static void server_schedule_stop(struct server *s, unsigned delay_ms, uint64_t *until)
{
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  *until = server_now_ms() + delay_ms;
  log_begin(&s->log, "info", "http", "shutdown scheduled");
  log_seconds(&s->log, "delay_duration", (unsigned long long)delay_ms * 1000000u);
  log_num(&s->log, "time", (double)wall.tv_sec + (double)wall.tv_nsec / 1e9 + delay_ms / 1e3);
  log_end(&s->log);
}

/* signals until every worker has returned; the stop starts at the first
 * SIGTERM/SIGINT (after shutdown_delay) or when a worker fails */
static void server_wait_signals(struct server *s, const sigset_t *set)
{
  int stopping = 0;
  uint64_t delay_until = 0;    /* a stop shutdown_delay holds back: when it starts; 0 none */
  const struct timespec tick = {0, 200 * 1000 * 1000};
  while (atomic_load(&s->done) < s->count) {
    int sig = sigtimedwait(set, NULL, &tick);
    int stop_signal = sig == SIGTERM || sig == SIGINT;
    if (s->tls_on)
      site_tls_maintain(&s->tls, (int64_t)time(NULL), &s->log);
    server_poll_certs(s);
    if (sig == SIGHUP && !stopping && !delay_until) {
      server_reload(s);
    } else if (stop_signal && (stopping || delay_until)) {
      server_log_signal(s, "warn", "force quit", sig);
      _exit(0);   /* "stop now": in-flight requests are cut; a clean exit all the same */
    } else if (stop_signal) {
      sd_notify_state(&s->notify, "STOPPING=1");
      server_log_signal(s, "info", "shutting down apps, then terminating", sig);
      struct zs_http_app app = server_stop_settings(s);
      if (app.shutdown_delay_ms) {
        server_schedule_stop(s, app.shutdown_delay_ms, &delay_until);
      } else {
        stopping = 1;
        server_drain(s);
      }
    } else if ((delay_until && server_now_ms() >= delay_until) || (!stopping && atomic_load(&s->done) > 0)) {
      stopping = 1;
      delay_until = 0;
      sd_notify_state(&s->notify, "STOPPING=1");
      server_drain(s);
    }
  }
}

static int server_write_pidfile(const char *path)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return -errno;
  char line[32];
  int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
  int rc = write(fd, line, (size_t)n) == n ? 0 : -EIO;
  close(fd);
  return rc;
}

static void server_log_error(struct server *s, const char *msg, const char *why)
{
  log_begin(&s->log, "error", NULL, msg);
  log_cstr(&s->log, "error", why);
  log_end(&s->log);
}

/* what has to happen while still root and with one thread: pid file, root
 * dropped, Landlock (inherited by the threads started later) */
static int server_prepare(struct server *s, const struct blob *blob)
{
  const struct server_options *opt = s->opt;
  char err[300];
  if (opt->pidfile && server_write_pidfile(opt->pidfile) < 0) {
    server_log_error(s, "cannot write the pid file", opt->pidfile);
    return -EIO;
  }
  struct sandbox_paths paths;
  char dir[4096];
  sandbox_collect_paths(blob, opt->blob_path ? opt->blob_path : "", opt->allow_read,
                        opt->allow_read_count, s->tls_on ? s->tls.storage : NULL, &paths, dir, sizeof dir);
  if (opt->user && privileges_drop(opt->user, opt->group, err, sizeof err) < 0) {
    server_log_error(s, "cannot drop privileges", err);
    return -EPERM;
  }
  /* as the user zsrt serves as, before Landlock and seccomp: the manager needs the network and exec */
  char why[600];
  if (s->tls.acme && cert_manager_start(&s->certs, blob, s->tls.storage, why, sizeof why) < 0) {
    server_log_error(s, "cannot start the certificate manager", why);
    return -EIO;
  }
  if (opt->no_sandbox)
    return 0;
  int rc = sandbox_landlock(&paths);
  if (rc < 0) {
    server_log_error(s, "cannot apply Landlock", strerror(-rc));
    return rc;
  }
  log_begin(&s->log, "info", NULL, rc == 1 ? "landlock unavailable: file access not restricted"
                                           : "landlock applied");
  log_int(&s->log, "landlock_abi", sandbox_landlock_abi());
  log_int(&s->log, "read_only_trees", (long long)paths.read_count);
  log_end(&s->log);
  return 0;
}

/* certificates are read (and the local CA's written) before root is
 * dropped and the sandbox closes, as nginx reads its keys */
static int server_open_tls(struct server *s, const struct blob *blob)
{
  char err[600] = "";
  int rc = site_tls_open(&s->tls, blob, (int64_t)time(NULL), &s->log, err, sizeof err);
  if (rc < 0) {
    server_log_error(s, "cannot load TLS certificates", err);
    return rc;
  }
  s->tls_on = rc == 1;
  if (s->tls_on) {
    log_begin(&s->log, "info", "tls", "TLS ready");
    log_cstr(&s->log, "library", tls_library_name());
    log_cstr(&s->log, "storage", s->tls.storage);
    char why[160] = "";
    log_cstr(&s->log, "ktls", tls_ktls_probe(why, sizeof why) == 1 ? "available (records stay in user space)" : why);
    log_end(&s->log);
  }
  return 0;
}

/* log files are opened as the user zsrt starts as, before the sandbox closes */
static int server_open_logs(struct server *s, const struct blob *blob)
{
  char err[600] = "";
  int rc = access_log_files_open(&s->logs, blob, err, sizeof err);
  if (rc < 0)
    server_log_error(s, "cannot open the access log", err);
  for (int i = 0; i < s->count; i++)
    s->ws[i].logs = &s->logs;
  return rc;
}

static int server_serve(struct server *s, const struct blob *blob, const sigset_t *set)
{
  int rc = server_open_listeners(s, blob);
  if (rc == 0)
    rc = server_open_tls(s, blob);
  if (rc == 0)
    rc = server_open_logs(s, blob);
  if (rc == 0)
    rc = server_prepare(s, blob);
  if (rc == 0 && (rc = access_log_files_start(&s->logs)) < 0)
    server_log_error(s, "cannot start the log roller", strerror(-rc));
  /* started before the sandbox closes, for any blob: a reload may bring basic_auth */
  if (rc == 0 && !(s->auth = auth_pool_create(2 * s->count)))
    rc = -ENOMEM;
  if (rc == 0)
    rc = (s->hosts = proxy_hosts_create()) ? 0 : -ENOMEM;
  if (rc == 0)
    rc = server_start_workers(s);
  if (rc == 0)   /* threads cannot be started once seccomp is on */
    rc = proxy_health_start(&s->checker, &s->reload, s->hosts);
  if (rc == 0 && !s->opt->no_sandbox && (rc = sandbox_seccomp()) < 0)
    server_log_error(s, "cannot apply the seccomp filter", strerror(-rc));
  if (rc < 0) {
    server_wake_workers(s);
    return rc;
  }
  log_begin(&s->log, "info", NULL, "serving initial configuration");
  if (s->opt->blob_path)
    log_cstr(&s->log, "blob", s->opt->blob_path);
  log_int(&s->log, "workers", s->count);
  log_cstr(&s->log, "sandbox", s->opt->no_sandbox ? "off" : "on");
  log_end(&s->log);
  sd_notify_state(&s->notify, "READY=1");
  server_wait_signals(s, set);
  return 0;
}

static int server_join(struct server *s, int rc)
{
  proxy_health_stop(&s->checker);
  for (int i = 0; i < s->count; i++) {
    struct server_worker *sw = &s->ws[i];
    if (!sw->started)
      continue;
    pthread_join(sw->thread, NULL);
    if (sw->result < 0 && rc == 0)
      rc = sw->result;
    sem_destroy(&sw->ready);
  }
  for (int i = 0; i < s->count; i++) {
    struct worker *w = &s->ws[i].w;
    for (unsigned j = 0; !s->ws[i].started && j < w->listener_count; j++)
      close(w->listeners[j].fd);   /* bound for a worker that never ran */
    blob_ref_put(s->ws[i].slot.ref);
  }
  return rc;
}

int server_run(const struct blob *blob, const struct server_options *opt)
{
  struct server *s = calloc(1, sizeof *s);
  struct blob_ref *first = blob_ref_borrow(blob);
  if (s)
    s->count = server_worker_count(opt);
  if (s)
    s->ws = calloc((size_t)s->count, sizeof *s->ws);
  if (!s || !s->ws || !first) {
    free(s ? s->ws : NULL);
    free(s);
    free(first);
    return -ENOMEM;
  }
  s->opt = opt;
  for (int i = 0; i < s->count; i++)
    s->ws[i].w.wake_fd = -1;
  s->certs.fd = -1;
  reload_state_init(&s->reload, first);
  sd_notifier_open(&s->notify);
  signal(SIGPIPE, SIG_IGN);
  trap_install();
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, &old);   /* workers inherit the mask */
  int rc = server_serve(s, blob, &set);
  if (rc < 0)
    server_log_error(s, "cannot start", strerror(-rc));
  rc = server_join(s, rc);
  auth_pool_destroy(s->auth);
  access_log_files_close(&s->logs);
  proxy_hosts_destroy(s->hosts);
  log_begin(&s->log, "info", NULL, "shutdown complete");
  log_int(&s->log, "exit_code", rc < 0 ? 1 : 0);
  log_end(&s->log);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  reload_state_fini(&s->reload);
  cert_manager_stop(&s->certs);
  site_tls_close(&s->tls);
  sd_notifier_close(&s->notify);
  free(s->ws);
  free(s);
  return rc;
}
