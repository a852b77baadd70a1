/* Load balancing for reverse_proxy: Caddy's selection policies over a
 * proxy's upstreams (their availability from the shared host slots), the
 * sticky cookie, and the decision to try again after a failure
 * (proxy_lb.c). No I/O; proxy.c dials what this chooses. */
#ifndef ZSRT_PROXY_LB_H
#define ZSRT_PROXY_LB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "abi/blob.h"
#include "http.h"
#include "proxy_health.h"

struct blob;

/* one upstream of a proxy as the worker dials it */
struct proxy_target {
  struct sockaddr_storage addr;
  socklen_t addr_len;
  int resolved;
  const char *dial;            /* as the blob has it: "host:port" or "unix//path" */
  int host;                    /* its slot in the shared hosts, -1 when the table is full */
  unsigned weight, max_requests;
};

/* what a policy may look at */
struct proxy_lb_request {
  const struct http_request *req;
  const char *remote_ip;       /* ip_hash */
  const char *client_ip;       /* client_ip_hash: the leftmost X-Forwarded-For of a trusted peer, else remote_ip */
  size_t client_ip_len;
  int secure;                  /* the sticky cookie is Secure (TLS, or https before a trusted proxy) */
};

struct proxy_lb {
  struct proxy_hosts *hosts;
  uint64_t rng;                /* xorshift state: random, ties */
  char *key;                   /* PROXY_LB_KEY_CAP: hashed keys are built here */
  char *query;                 /* PROXY_LB_KEY_CAP: the query policy's joined values */
};
#define PROXY_LB_KEY_CAP (PROXY_DIAL_CAP + 16384 + 16)
#define PROXY_LB_COOKIE_CAP 320

/* why an attempt failed: what Caddy's status and retry rules depend on */
enum proxy_err {
  PROXY_ERR_NONE = 0,
  PROXY_ERR_NO_UPSTREAM,       /* none available: 503 */
  PROXY_ERR_DIAL,              /* no connection: 502, always retryable */
  PROXY_ERR_ROUNDTRIP,         /* after connecting: 502, retried as lb_retry_match says */
  PROXY_ERR_TIMEOUT,           /* a transport timeout after connecting: 504 */
};

/* an exchange's attempts (exchange.h holds one) */
struct proxy_try {
  uint64_t start_ms;           /* the first attempt: lb_try_duration counts from it */
  uint64_t attempt_ms;         /* this attempt's round trip began: unhealthy_latency */
  unsigned retries;
  int target;                  /* the row of the current attempt, -1 none */
  int counted;                 /* its host's requests count holds this attempt */
  enum proxy_err err;
  const char *why;             /* the failure as logged; NULL: err's wording */
  size_t held;                 /* a streamed body sent whole, kept in the client's input for a retry */
  int consumed;                /* some of a streamed body left the client's input: no retry can resend it */
  char cookie[PROXY_LB_COOKIE_CAP];   /* a Set-Cookie value the answer carries, "" none */
};

/* the index (in t) of the upstream chosen, or -1 when none is available;
 * the cookie policy may write a Set-Cookie value into cookie */
int proxy_lb_select(struct proxy_lb *lb, const struct blob *b, const struct zs_proxy *p, unsigned proxy_id,
                    const struct proxy_target *t, size_t n, const struct proxy_lb_request *r, char *cookie);

/* Caddy's tryAgain, without the wait: 1 when another attempt may follow */
int proxy_lb_try_again(const struct blob *b, const struct zs_proxy *p, const struct proxy_try *t,
                       const struct http_request *req, uint64_t now_ms);

/* passive health: the answer's status or latency counts as a failure */
int proxy_lb_unhealthy(const struct blob *b, const struct zs_proxy *p, int status, uint64_t latency_ms);

/* 1 when the upstream may take a request: healthy and not full */
int proxy_lb_available(const struct proxy_hosts *h, const struct zs_proxy *p, const struct proxy_target *t);

#endif
