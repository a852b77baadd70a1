/* sets {vars.user} to the X-User request header, and {vars.missing} never:
 * the Caddyfile reads both */
#include "zs_plugin.h"

int zs_handle(struct zs_ctx *ctx)
{
  char v[64], back[64];
  int n = zs_req_header(ctx, "X-User", v, sizeof v);
  if (n < 0 || n > (int)sizeof v)
    return ZS_NEXT;
  if (zs_vars_set(ctx, "user", v, (unsigned)n) < 0 || zs_vars_set(ctx, "unread", v, (unsigned)n) != -1)
    return zs_respond(ctx, 500, "vars\n", 5);
  int k = zs_vars_get(ctx, "user", back, sizeof back);
  if (k != n || !zs_bytes_eq(back, v, (unsigned)n))
    return zs_respond(ctx, 500, "readback\n", 9);
  return ZS_NEXT;
}
