/* recursion: the verifier refuses any cycle of calls */
#include "zs_plugin.h"
__attribute__((noinline)) static int deep(volatile int *n, int k)
{
  *n = *n + k;
  if (*n > 100000)
    return 0;
  return deep(n, k + 1) + deep(n, k + 2) + 1;
}
int zs_handle(struct zs_ctx *ctx)
{
  volatile int n = (int)ctx->argc;
  return deep(&n, 1) == 5 ? zs_respond(ctx, 200, "five", 4) : ZS_NEXT;
}
