/* The bench's plugin: one response header, then the next handler. */
#include "zs_plugin.h"

int zs_handle(struct zs_ctx *ctx)
{
  zs_resp_header_set(ctx, "X-Plugin", "1");
  return ZS_NEXT;
}
