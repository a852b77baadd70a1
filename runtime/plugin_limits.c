/* Token buckets for the rate_limit helper (plugin_limits.h). */
#include "plugin_limits.h"


#define PLUGIN_TOKEN 1000000

/* FNV-1a over the seed and the bytes, then a splitmix finish; never 0 */
static uint64_t plugin_limits_hash(uint64_t seed, const unsigned char *p, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h ? h : 1;
}

static struct plugin_bucket *plugin_limits_slot(struct plugin_limits *l, uint64_t key, uint64_t burst)
{
  struct plugin_bucket *stalest = NULL;
  for (unsigned i = 0; i < PLUGIN_LIMITS_PROBE; i++) {
    struct plugin_bucket *b = &l->slots[(key + i) & (PLUGIN_LIMITS_SLOTS - 1)];
    if (b->key == key)
      return b;
    if (!stalest || (stalest->key != 0 && (b->key == 0 || b->stamp_ms < stalest->stamp_ms)))
      stalest = b;
  }
  stalest->key = key;
  stalest->stamp_ms = 0;
  stalest->micro_tokens = (int64_t)burst * PLUGIN_TOKEN;
  return stalest;
}

int plugin_limits_take(struct plugin_limits *l, const void *key, size_t len, uint64_t rate_milli,
                       uint64_t burst, uint64_t now_ms)
{
  if (burst > 1000000000u)
    burst = 1000000000u;
  if (rate_milli > 1000000000000ull)
    rate_milli = 1000000000000ull;
  struct plugin_bucket *b = plugin_limits_slot(l, plugin_limits_hash(l->seed, key, len), burst);
  int64_t cap = (int64_t)burst * PLUGIN_TOKEN;
  if (b->stamp_ms && now_ms > b->stamp_ms) {
    uint64_t elapsed = now_ms - b->stamp_ms;
    /* rate_milli thousandths of a token per second is rate_milli micro-tokens per ms */
    uint64_t add = rate_milli && elapsed > (uint64_t)cap / rate_milli ? (uint64_t)cap : elapsed * rate_milli;
    b->micro_tokens = add >= (uint64_t)(cap - b->micro_tokens) ? cap : b->micro_tokens + (int64_t)add;
  }
  if (b->micro_tokens > cap)
    b->micro_tokens = cap;
  b->stamp_ms = now_ms ? now_ms : 1;
  if (b->micro_tokens < PLUGIN_TOKEN)
    return 0;
  b->micro_tokens -= PLUGIN_TOKEN;
  return 1;
}
