/* The upstreams' shared state, as Caddy's Host: one slot per upstream
 * address for the whole process (every worker, every blob a reload brings),
 * updated with atomics only: requests in flight, passive failures, open
 * connections, and the active checker's verdict. The active checker is a
 * thread of its own (proxy_health_start), never a worker. */
#ifndef ZSRT_PROXY_HEALTH_H
#define ZSRT_PROXY_HEALTH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define PROXY_HOSTS_CAP    1024   /* distinct upstream addresses of a process */
#define PROXY_HOSTS_ROBINS 1024   /* round-robin counters, by proxy id */
#define PROXY_DIAL_CAP     112    /* "unix//" and a sun_path, or host:port */

struct proxy_host {
  char dial[PROXY_DIAL_CAP];   /* written once, before the slot is counted */
  atomic_int requests;         /* in flight (least_conn, max_requests) */
  atomic_int fails;            /* passive failures not yet forgotten */
  atomic_int conns;            /* open connections (max_conns_per_host) */
  atomic_int down;             /* the active checks' verdict: 1 unhealthy */
  atomic_int passes, fail_streak;   /* the active checker's consecutive counts */
};

struct proxy_hosts {
  pthread_mutex_t lock;        /* adding a slot (pool creation), never on the request path */
  atomic_uint count;
  atomic_uint robin[PROXY_HOSTS_ROBINS];
  atomic_uint weighted[PROXY_HOSTS_ROBINS];
  struct proxy_host hosts[PROXY_HOSTS_CAP];
};

/* an empty table (mmap'd: zeroes are the initial state); NULL when out of memory */
struct proxy_hosts *proxy_hosts_create(void);
void proxy_hosts_destroy(struct proxy_hosts *h);
/* the slot of dial, added when new; its index or -ENOSPC */
int proxy_hosts_find(struct proxy_hosts *h, const char *dial);

/* the active checker: a thread that checks the current blob's upstreams on
 * their intervals until proxy_health_stop */
struct reload_state;
struct proxy_checker {
  pthread_t thread;
  int started;
  atomic_int stop;
  struct reload_state *reload;
  struct proxy_hosts *hosts;
};

int proxy_health_start(struct proxy_checker *pc, struct reload_state *reload, struct proxy_hosts *hosts);
void proxy_health_stop(struct proxy_checker *pc);

#endif
