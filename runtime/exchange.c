/* The worker's pool of decisions and responses that exchanges own while in
 * flight: a decision outlives the next program run (an upstream answers
 * after other requests ran), so it cannot be per-worker scratch. */
#include "exchange.h"

#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "response.h"

/* a decision whose body or values reached past this gives its pages back */
#define EXCHANGE_TRIM_BYTES (64 * 1024)

static size_t exchange_pool_size(unsigned count)
{
  return sizeof(struct exchange_pool) +
         (size_t)count * (sizeof(struct exchange) + sizeof(struct exec_decision) +
                          sizeof(struct response) + sizeof(unsigned));
}

struct exchange_pool *exchange_pool_create(unsigned count)
{
  void *p = mmap(NULL, exchange_pool_size(count), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  /* every part is a multiple of 8 bytes: each array starts aligned */
  struct exchange_pool *pool = p;
  pool->exchanges = (struct exchange *)(pool + 1);
  pool->decs = (struct exec_decision *)(pool->exchanges + count);
  pool->resps = (struct response *)(pool->decs + count);
  pool->free = (unsigned *)(pool->resps + count);
  pool->count = count;
  for (unsigned i = 0; i < count; i++)
    pool->free[i] = count - 1 - i;
  pool->free_count = count;
  return pool;
}

void exchange_pool_destroy(struct exchange_pool *pool)
{
  if (pool)
    munmap(pool, exchange_pool_size(pool->count));
}

int exchange_attach(struct exchange_pool *pool, struct exchange *ex)
{
  if (ex->dec)
    return 0;
  if (pool->free_count == 0)
    return -EBUSY;
  unsigned i = pool->free[--pool->free_count];
  ex->dec = &pool->decs[i];
  ex->resp = &pool->resps[i];
  ex->resp->file_fd = -1;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ex->start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  return 0;
}

/* the body pages past the first EXCHANGE_TRIM_BYTES a large body touched
 * (the body is at the start of the storage, the values after EXEC_MAX_BODY) */
static void exchange_trim(struct exec_decision *dec)
{
  if (dec->body != dec->storage || dec->body_len <= EXCHANGE_TRIM_BYTES)
    return;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t start = ((uintptr_t)dec->storage + EXCHANGE_TRIM_BYTES + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t)dec->storage + EXEC_MAX_BODY) & ~(page - 1);
  if (end > start)
    madvise((void *)start, end - start, MADV_DONTNEED);
  dec->body_len = 0;
}

void exchange_detach(struct exchange_pool *pool, struct exchange *ex)
{
  if (!ex->dec)
    return;
  exchange_trim(ex->dec);
  pool->free[pool->free_count++] = (unsigned)(ex->dec - pool->decs);
  ex->dec = NULL;
  ex->resp = NULL;
}

void exchange_body_too_large(struct exchange *ex)
{
  static const char msg[] = "http: request body too large";
  struct exec_decision *dec = ex->dec;
  dec->action = ZS_ACT_ERROR;
  dec->action_id = 0;
  dec->status = 413;
  dec->body = dec->storage;
  memcpy(dec->storage, msg, sizeof msg - 1);
  dec->body_len = sizeof msg - 1;
}
