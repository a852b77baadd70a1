/* server_run: opens each worker's SO_REUSEPORT listeners, starts one worker
 * thread per core, and turns SIGTERM/SIGINT into a graceful stop (workers
 * stop accepting, finish what is in flight, and return). */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loader.h"
#include "loop.h"

struct server_worker {
  struct worker w;
  const struct blob *blob;
  const struct server_options *opt;
  pthread_t thread;
  sem_t ready;                 /* posted when init_result is known */
  int init_result;
  int started;
  int result;
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

static int server_open_socket(const struct sockaddr_storage *ss, socklen_t len)
{
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (ss->ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 4096) != 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

/* no IPv6 on the machine: all interfaces means all IPv4 ones */
static int server_open_listener(const char *host, uint16_t port)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int rc = server_listener_addr(host, port, &ss, &len);
  if (rc < 0)
    return rc;
  rc = server_open_socket(&ss, len);
  if (rc == -EAFNOSUPPORT && !*host) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    memset(&ss, 0, sizeof ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    rc = server_open_socket(&ss, sizeof *sin);
  }
  return rc;
}

static int server_open_listeners(struct worker *w, const struct blob *blob)
{
  unsigned count = blob->config->listener_count;
  if (count > LOOP_MAX_LISTENERS)
    return -E2BIG;
  for (unsigned i = 0; i < count; i++) {
    const struct zs_listener *l = &blob->listeners[i];
    const char *host = blob_string(blob, l->host_str);
    int fd = server_open_listener(host, l->port);
    if (fd < 0) {
      fprintf(stderr, "zsrt: listen %s:%u: %s\n", *host ? host : "", l->port, strerror(-fd));
      return fd;
    }
    w->listeners[w->listener_count++] = (struct listener_sock){fd, l->server, l->port};
  }
  return 0;
}

/* The ring is created on the thread that uses it: SINGLE_ISSUER binds a
 * ring to its creator. A worker that fails to start reports and returns. */
static void *server_worker_main(void *arg)
{
  struct server_worker *sw = arg;
  struct worker *w = &sw->w;
  int rc = loop_worker_init(w, w->id, sw->blob, sw->opt);
  if (rc == 0)
    rc = server_open_listeners(w, sw->blob);
  sw->init_result = rc;
  sem_post(&sw->ready);
  if (rc == 0)
    sw->result = loop_worker_run(w);
  loop_worker_fini(w);
  return NULL;
}

static int server_worker_count(const struct server_options *opt)
{
  if (opt->workers > 0)
    return opt->workers;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)(n > 256 ? 256 : n) : 1;
}

/* waits for SIGTERM or SIGINT, then tells every worker to stop */
static void server_wait_signal(struct server_worker *ws, int count, const sigset_t *set)
{
  int sig = 0;
  while (sigwait(set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
    ;
  uint64_t one = 1;
  for (int i = 0; i < count; i++)
    if (ws[i].started && ws[i].init_result == 0 && write(ws[i].w.wake_fd, &one, sizeof one) < 0)
      perror("zsrt: wake worker");
}

static int server_start_workers(struct server_worker *ws, int count, const struct blob *blob,
                                const struct server_options *opt)
{
  for (int i = 0; i < count; i++) {
    struct server_worker *sw = &ws[i];
    sw->w.id = i;
    sw->blob = blob;
    sw->opt = opt;
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

int server_run(const struct blob *blob, const struct server_options *opt)
{
  int count = server_worker_count(opt);
  struct server_worker *ws = calloc((size_t)count, sizeof *ws);
  if (!ws)
    return -ENOMEM;
  signal(SIGPIPE, SIG_IGN);
  trap_install();
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, &old);   /* workers inherit the mask */
  int rc = server_start_workers(ws, count, blob, opt);
  if (rc == 0) {
    fprintf(stderr, "zsrt: serving with %d worker%s\n", count, count == 1 ? "" : "s");
    server_wait_signal(ws, count, &set);
  } else {
    fprintf(stderr, "zsrt: cannot start: %s\n", strerror(-rc));
    uint64_t one = 1;
    for (int i = 0; i < count; i++)
      if (ws[i].started && ws[i].init_result == 0 && write(ws[i].w.wake_fd, &one, sizeof one) < 0)
        perror("zsrt: wake worker");
  }
  for (int i = 0; i < count; i++) {
    if (ws[i].started) {
      pthread_join(ws[i].thread, NULL);
      if (ws[i].result < 0 && rc == 0)
        rc = ws[i].result;
      sem_destroy(&ws[i].ready);
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  free(ws);
  return rc;
}
