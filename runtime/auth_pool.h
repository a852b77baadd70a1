/* basic_auth's verification off the workers: a few threads of the process
 * hash passwords (auth_verify) for every worker; each worker submits jobs
 * for its exchanges, keeps a cache of recent results, and is told of
 * finished jobs through an eventfd its ring reads. A password is never
 * hashed on a worker, so a bcrypt compare (milliseconds) stalls no one. */
#ifndef ZSRT_AUTH_POOL_H
#define ZSRT_AUTH_POOL_H

#include <stdint.h>

#include "auth.h"

#define AUTH_POOL_MAX_THREADS 4
#define AUTH_WORKER_SLOTS     256    /* verifications in flight per worker; 503 beyond */
#define AUTH_MEMO             4      /* results an exchange keeps across its runs */
#define AUTH_MAX_WAITS        8      /* runs of one request that may wait (nested basic_auth) */
#define AUTH_OP_DONE          (LOOP_OP_MODULE + 4)   /* after the access log's op */

struct worker;
struct exchange;
struct auth_pool;

/* what an exchange remembers of the verifications done for it */
struct auth_memo {
  uint8_t digest[32];
  int result;
};

struct exchange_auth {
  uint64_t ticket;             /* the verification it waits for; 0: none */
  unsigned waits;
  unsigned memo_count;
  struct auth_memo memo[AUTH_MEMO];
  /* called on the worker when the verification is done */
  void (*resume)(struct worker *w, struct exchange *ex);
};

/* the process's verification threads (at most AUTH_POOL_MAX_THREADS; more
 * than one, so a slow hash, such as the cost-14 one for unknown users, does
 * not hold up the others);
 * NULL when they cannot be started */
struct auth_pool *auth_pool_create(int threads);
/* stops and joins them; the workers are gone */
void auth_pool_destroy(struct auth_pool *pool);

/* the worker's side: its slots, eventfd, cache and key. 0 or -errno */
int auth_worker_init(struct worker *w, struct auth_pool *pool);

/* an exchange starts a new request: nothing of the last one is known */
void auth_exchange_reset(struct exchange_auth *a);
/* the exec_auth to run ex's program with (its memo and the worker's cache) */
void auth_exec_prepare(struct worker *w, struct exchange *ex, struct exec_auth *out);
/* hands auth->pending to the threads; ex->auth.resume runs when it is done.
 * 0, -EBUSY (no slot, or too many waits: answer 503 / 500) */
int auth_submit(struct worker *w, struct exchange *ex, struct exec_auth *auth);
/* the exchange is gone: a result still to come is only cached */
void auth_cancel(struct exchange *ex);

#endif
