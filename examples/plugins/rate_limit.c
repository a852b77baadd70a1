/* A per-client rate limit: each client IP gets `rate` requests a second and
 * bursts of `burst`; beyond that, 429 with Retry-After.
 *
 *     ebpf rate_limit.c 10 20          # 10/s, bursts of 20
 *
 * The buckets are per worker (zsrt --workers N allows up to N times the rate
 * when connections spread) and survive reloads. */
#include "zs_plugin.h"

/* a decimal argument, or fallback */
static unsigned arg_number(struct zs_ctx *ctx, unsigned i, unsigned fallback)
{
  char buf[16];
  int n = zs_arg(ctx, i, buf, sizeof buf);
  if (n <= 0 || n > (int)sizeof buf)
    return fallback;
  unsigned v = 0;
  for (int k = 0; k < n; k++) {
    if (buf[k] < '0' || buf[k] > '9')
      return fallback;
    v = v * 10 + (unsigned)(buf[k] - '0');
  }
  return v;
}

int zs_handle(struct zs_ctx *ctx)
{
  char key[80] = "rate_limit:";
  unsigned rate = arg_number(ctx, 0, 10), burst = arg_number(ctx, 1, rate);
  int n = zs_remote_ip(ctx, key + 11, sizeof key - 11);
  if (n < 0 || n > (int)sizeof key - 11)
    return zs_respond(ctx, 500, "no client address\n", 18);
  if (zs_rate_limit(key, 11 + n, rate, burst) == 1)
    return ZS_NEXT;
  zs_resp_header_set(ctx, "Retry-After", "1");
  return zs_respond(ctx, 429, "too many requests\n", 18);
}
