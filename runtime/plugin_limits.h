/* The rate limiter behind the rate_limit helper: token buckets keyed by bytes
 * an ebpf program chooses, one table per worker, owned by the worker and not
 * by the blob or the cage, so it survives reloads. Fixed size, no malloc per
 * request; when the table is full the stalest bucket of a short probe is reused. */
#ifndef ZSRT_PLUGIN_LIMITS_H
#define ZSRT_PLUGIN_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#define PLUGIN_LIMITS_SLOTS 4096     /* power of two */
#define PLUGIN_LIMITS_PROBE 8

struct plugin_bucket {
  uint64_t key;                /* keyed hash of the key bytes; 0: empty */
  uint64_t stamp_ms;           /* monotonic time of the last refill */
  int64_t micro_tokens;        /* tokens * 1e6 */
};

struct plugin_limits {
  uint64_t seed;               /* random per table: keys cannot be chosen to collide */
  struct plugin_bucket slots[PLUGIN_LIMITS_SLOTS];
};

/* zeroes the table and draws its seed (inline: the worker loop sets up its
 * table without linking the helpers) */
static inline void plugin_limits_init(struct plugin_limits *l)
{
  memset(l, 0, sizeof *l);
  if (getrandom(&l->seed, sizeof l->seed, GRND_NONBLOCK) != sizeof l->seed)
    l->seed = (uint64_t)(uintptr_t)l ^ 0x9e3779b97f4a7c15ull;
}

/* Takes a token from the bucket of key (created full with `burst` tokens),
 * refilled at rate_milli / 1000 tokens per second since its last use.
 * 1 when a token was taken, 0 when the bucket is empty. */
int plugin_limits_take(struct plugin_limits *l, const void *key, size_t len, uint64_t rate_milli,
                       uint64_t burst, uint64_t now_ms);

#endif
