/* no zs_handle: refused at link */
#include "zs_plugin.h"
int handle(struct zs_ctx *ctx)
{
  (void)ctx;
  return ZS_NEXT;
}
