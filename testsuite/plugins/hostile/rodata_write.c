/* writes into its own string constants, which are read-only: a fault trap */
#include "zs_plugin.h"
static const char greeting[] = "hello";
int zs_handle(struct zs_ctx *ctx)
{
  volatile char *p = (volatile char *)greeting;
  p[ctx->argc] = 'J';
  return zs_respond(ctx, 200, greeting, 5);
}
