/* returns the site's proxy action itself: no action, a 500 */
#include "zs_plugin.h"
int zs_handle(struct zs_ctx *ctx)
{
  (void)ctx;
  return (int)ZS_ACTION(ZS_ACT_PROXY, 0);
}
