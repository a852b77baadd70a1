/* a frame far past 512 bytes: refused at compile */
#include "zs_plugin.h"
int zs_handle(struct zs_ctx *ctx)
{
  volatile char big[8192];
  big[ctx->argc] = 1;
  return big[ctx->argc + 1] ? ZS_NEXT : ZS_NEXT;
}
