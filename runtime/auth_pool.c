/* basic_auth's verification threads and each worker's side of them: slots
 * for the jobs in flight, a done list under the pool's lock, an eventfd the
 * worker's ring reads, and a cache of recent results keyed by a keyed hash
 * of (stored hash, password), so no password stays in memory after its
 * verification and a cache entry tells nothing without the worker's key. */
#include "auth_pool.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "exchange.h"
#include "loop.h"

#define AUTH_CACHE_SETS 128          /* x AUTH_CACHE_WAYS results: Caddy keeps 1000 */
#define AUTH_CACHE_WAYS 8
#define AUTH_QUEUE_CAP  1024
#define AUTH_WAITERS    8            /* exchanges one verification answers (Caddy's singleflight) */

struct auth_slot {
  struct auth_job job;
  uint8_t digest[32];
  int result;
  int in_flight;
  uint64_t ticket;                   /* every waiter waits with this one */
  struct exchange *waiters[AUTH_WAITERS];
  unsigned waiter_count;
  struct auth_worker *owner;
};

struct auth_cache_entry {
  uint8_t digest[32];
  uint8_t used, result;
};

struct auth_worker {
  struct auth_pool *pool;
  int efd;
  uint64_t efd_value;
  uint8_t key[32];
  EVP_MD_CTX *md;
  uint64_t next_ticket;
  struct auth_slot slots[AUTH_WORKER_SLOTS];
  unsigned free_slots[AUTH_WORKER_SLOTS], free_count;
  unsigned done[AUTH_WORKER_SLOTS], done_count;   /* the pool's lock */
  struct auth_cache_entry cache[AUTH_CACHE_SETS][AUTH_CACHE_WAYS];
  uint32_t evict;                                 /* round robin within a set */
  struct exchange *running;                       /* whose program runs now (auth_exec_prepare) */
};

struct auth_pool {
  pthread_mutex_t lock;
  pthread_cond_t more;
  struct auth_slot *queue[AUTH_QUEUE_CAP];
  unsigned head, count;
  int stopping;
  pthread_t threads[AUTH_POOL_MAX_THREADS];
  int thread_count;
};

/* ---- the threads ---- */

static void auth_pool_finish(struct auth_pool *p, struct auth_slot *s)
{
  struct auth_worker *aw = s->owner;
  pthread_mutex_lock(&p->lock);
  aw->done[aw->done_count++] = (unsigned)(s - aw->slots);
  int first = aw->done_count == 1;
  pthread_mutex_unlock(&p->lock);
  uint64_t one = 1;
  if (first && write(aw->efd, &one, sizeof one) < 0) {
    /* the counter cannot overflow at one write per drained batch */
  }
}

static void *auth_pool_thread(void *arg)
{
  struct auth_pool *p = arg;
  setpriority(PRIO_PROCESS, 0, 5);   /* workers first when the cores are busy */
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->stopping && p->count == 0)
      pthread_cond_wait(&p->more, &p->lock);
    if (p->stopping)
      break;
    struct auth_slot *s = p->queue[p->head];
    p->head = (p->head + 1) % AUTH_QUEUE_CAP;
    p->count--;
    pthread_mutex_unlock(&p->lock);
    s->result = auth_verify(&s->job) == 1;
    explicit_bzero(&s->job, sizeof s->job);
    auth_pool_finish(p, s);
    pthread_mutex_lock(&p->lock);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

struct auth_pool *auth_pool_create(int threads)
{
  struct auth_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->more, NULL);
  threads = threads < 1 ? 1 : threads > AUTH_POOL_MAX_THREADS ? AUTH_POOL_MAX_THREADS : threads;
  for (; p->thread_count < threads; p->thread_count++)
    if (pthread_create(&p->threads[p->thread_count], NULL, auth_pool_thread, p) != 0)
      break;
  if (p->thread_count == 0) {
    auth_pool_destroy(p);
    return NULL;
  }
  return p;
}

void auth_pool_destroy(struct auth_pool *p)
{
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->stopping = 1;
  pthread_cond_broadcast(&p->more);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->thread_count; i++)
    pthread_join(p->threads[i], NULL);
  pthread_cond_destroy(&p->more);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

/* ---- the cache ---- */

/* SHA-256 of the worker's key, the stored hash, a NUL and the password */
static int auth_digest(struct auth_worker *aw, const struct auth_job *job, uint8_t out[32])
{
  unsigned len = 0;
  return EVP_DigestInit_ex(aw->md, EVP_sha256(), NULL) == 1 &&
                 EVP_DigestUpdate(aw->md, aw->key, sizeof aw->key) == 1 &&
                 EVP_DigestUpdate(aw->md, job->hash, strlen(job->hash) + 1) == 1 &&
                 EVP_DigestUpdate(aw->md, job->password, job->password_len) == 1 &&
                 EVP_DigestFinal_ex(aw->md, out, &len) == 1 && len == 32
           ? 0
           : -1;
}

static struct auth_cache_entry *auth_cache_set(struct auth_worker *aw, const uint8_t digest[32])
{
  return aw->cache[(digest[0] | (unsigned)digest[1] << 8) % AUTH_CACHE_SETS];
}

static int auth_cache_get(struct auth_worker *aw, const uint8_t digest[32])
{
  struct auth_cache_entry *set = auth_cache_set(aw, digest);
  for (int i = 0; i < AUTH_CACHE_WAYS; i++)
    if (set[i].used && memcmp(set[i].digest, digest, 32) == 0)
      return set[i].result;
  return -1;
}

static void auth_cache_put(struct auth_worker *aw, const uint8_t digest[32], int result)
{
  struct auth_cache_entry *set = auth_cache_set(aw, digest), *e = NULL;
  for (int i = 0; i < AUTH_CACHE_WAYS && !e; i++)
    if (!set[i].used || memcmp(set[i].digest, digest, 32) == 0)
      e = &set[i];
  if (!e)
    e = &set[aw->evict++ % AUTH_CACHE_WAYS];
  memcpy(e->digest, digest, 32);
  e->used = 1;
  e->result = (uint8_t)result;
}

/* ---- the worker's side ---- */

static int auth_known(void *arg, const struct auth_job *job)
{
  struct auth_worker *aw = arg;
  const struct exchange_auth *a = &aw->running->auth;
  uint8_t digest[32];
  if (auth_digest(aw, job, digest) < 0)
    return -1;
  for (unsigned i = 0; i < a->memo_count; i++)
    if (memcmp(a->memo[i].digest, digest, 32) == 0)
      return a->memo[i].result;
  return auth_cache_get(aw, digest);
}

void auth_exchange_reset(struct exchange_auth *a)
{
  a->ticket = 0;
  a->waits = 0;
  a->memo_count = 0;
}

/* a worker runs one program at a time: the exchange it runs is the worker's */
void auth_exec_prepare(struct worker *w, struct exchange *ex, struct exec_auth *out)
{
  if (w->auth)
    w->auth->running = ex;
  out->known = w->auth ? auth_known : NULL;
  out->arg = w->auth;
  out->has_pending = 0;
}

/* the same password against the same hash already being verified: its
 * result answers this exchange too */
static struct auth_slot *auth_in_flight(struct auth_worker *aw, const uint8_t digest[32])
{
  for (unsigned i = 0; i < AUTH_WORKER_SLOTS; i++) {
    struct auth_slot *s = &aw->slots[i];
    if (s->in_flight && s->waiter_count < AUTH_WAITERS && memcmp(s->digest, digest, 32) == 0)
      return s;
  }
  return NULL;
}

static void auth_wait_on(struct auth_slot *s, struct exchange *ex)
{
  s->waiters[s->waiter_count++] = ex;
  ex->auth.ticket = s->ticket;
  ex->auth.waits++;
}

int auth_submit(struct worker *w, struct exchange *ex, struct exec_auth *auth)
{
  struct auth_worker *aw = w->auth;
  uint8_t digest[32];
  if (!aw || !auth->has_pending || ex->auth.waits >= AUTH_MAX_WAITS || auth_digest(aw, &auth->pending, digest) < 0)
    return -EBUSY;
  struct auth_slot *s = auth_in_flight(aw, digest);
  if (s) {
    explicit_bzero(&auth->pending, sizeof auth->pending);
    auth_wait_on(s, ex);
    return 0;
  }
  if (aw->free_count == 0)
    return -EBUSY;
  s = &aw->slots[aw->free_slots[aw->free_count - 1]];
  memcpy(s->digest, digest, 32);
  s->job = auth->pending;
  explicit_bzero(&auth->pending, sizeof auth->pending);
  s->waiter_count = 0;
  s->ticket = ++aw->next_ticket;
  struct auth_pool *p = aw->pool;
  pthread_mutex_lock(&p->lock);
  int full = p->count == AUTH_QUEUE_CAP;
  if (!full) {
    p->queue[(p->head + p->count) % AUTH_QUEUE_CAP] = s;
    p->count++;
    pthread_cond_signal(&p->more);
  }
  pthread_mutex_unlock(&p->lock);
  if (full) {
    explicit_bzero(&s->job, sizeof s->job);
    return -EBUSY;
  }
  aw->free_count--;
  s->in_flight = 1;
  auth_wait_on(s, ex);
  return 0;
}

void auth_cancel(struct exchange *ex)
{
  ex->auth.ticket = 0;
}

static void auth_memo_add(struct exchange_auth *a, const uint8_t digest[32], int result)
{
  struct auth_memo *m = &a->memo[a->memo_count < AUTH_MEMO ? a->memo_count++ : AUTH_MEMO - 1];
  memcpy(m->digest, digest, 32);
  m->result = result;
}

static void auth_arm(struct worker *w)
{
  struct io_uring_sqe *sqe = loop_get_sqe(w);
  io_uring_prep_read(sqe, w->auth->efd, &w->auth->efd_value, sizeof w->auth->efd_value, 0);
  io_uring_sqe_set_data64(sqe, loop_user_data(AUTH_OP_DONE, 0, 0));
}

/* finished jobs: each result cached, and its exchange, if still waiting, run again */
static void auth_on_done(struct worker *w, enum loop_op op, uint32_t index, uint32_t gen, int res, unsigned flags)
{
  (void)op, (void)index, (void)gen, (void)flags;
  struct auth_worker *aw = w->auth;
  unsigned done[AUTH_WORKER_SLOTS], n;
  pthread_mutex_lock(&aw->pool->lock);
  n = aw->done_count;
  memcpy(done, aw->done, n * sizeof *done);
  aw->done_count = 0;
  pthread_mutex_unlock(&aw->pool->lock);
  if (res != -ECANCELED)
    auth_arm(w);
  for (unsigned i = 0; i < n; i++) {
    struct auth_slot *s = &aw->slots[done[i]];
    auth_cache_put(aw, s->digest, s->result);
    s->in_flight = 0;
    struct exchange *waiters[AUTH_WAITERS];
    unsigned count = 0;
    for (unsigned k = 0; k < s->waiter_count; k++) {
      struct exchange *ex = s->waiters[k];
      if (ex->auth.ticket != s->ticket)
        continue;              /* gone, or waiting for something else now */
      auth_memo_add(&ex->auth, s->digest, s->result);
      ex->auth.ticket = 0;
      waiters[count++] = ex;
    }
    aw->free_slots[aw->free_count++] = done[i];
    for (unsigned k = 0; k < count; k++)
      if (waiters[k]->auth.resume)
        waiters[k]->auth.resume(w, waiters[k]);
  }
}

static int auth_busy(struct worker *w)
{
  return w->auth && w->auth->free_count < AUTH_WORKER_SLOTS;
}

static void auth_fini(struct worker *w)
{
  if (!w->auth)
    return;
  close(w->auth->efd);
  EVP_MD_CTX_free(w->auth->md);
  explicit_bzero(w->auth->key, sizeof w->auth->key);
  free(w->auth);
  w->auth = NULL;
}

static const struct loop_module auth_module = {.busy = auth_busy, .fini = auth_fini};

int auth_worker_init(struct worker *w, struct auth_pool *pool)
{
  if (!pool)
    return 0;   /* no threads: basic_auth answers 503 */
  struct auth_worker *aw = calloc(1, sizeof *aw);
  if (!aw)
    return -ENOMEM;
  aw->pool = pool;
  aw->efd = eventfd(0, EFD_CLOEXEC);
  aw->md = EVP_MD_CTX_new();
  if (aw->efd < 0 || !aw->md || getrandom(aw->key, sizeof aw->key, 0) != (ssize_t)sizeof aw->key) {
    if (aw->efd >= 0)
      close(aw->efd);
    EVP_MD_CTX_free(aw->md);
    free(aw);
    return -EIO;
  }
  for (unsigned i = 0; i < AUTH_WORKER_SLOTS; i++) {
    aw->slots[i].owner = aw;
    aw->free_slots[i] = AUTH_WORKER_SLOTS - 1 - i;
  }
  aw->free_count = AUTH_WORKER_SLOTS;
  w->auth = aw;
  int rc = loop_register_module(w, &auth_module);
  if (rc < 0)
    return rc;
  loop_register_op(w, AUTH_OP_DONE, auth_on_done);
  auth_arm(w);
  return 0;
}
