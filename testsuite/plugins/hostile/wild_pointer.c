/* reads a page of the cage nothing is mapped at: a fault trap */
#include "zs_plugin.h"
int zs_handle(struct zs_ctx *ctx)
{
  const int *p = (const int *)(unsigned long)(0x50000000u + ctx->argc);
  return *p == 7 ? zs_respond(ctx, 200, "seven", 5) : ZS_NEXT;
}
