/* never returns: the poll budget traps it */
#include "zs_plugin.h"
int zs_handle(struct zs_ctx *ctx)
{
  volatile unsigned n = 0;
  while (ctx->argc == 0 || n != 0xffffffffu)
    n = n + 1 < 2 ? 0 : n + 1;
  return ZS_NEXT;
}
