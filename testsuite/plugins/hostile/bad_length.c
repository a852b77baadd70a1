/* hands a helper a length past the end of its memory: the helper traps */
#include "zs_plugin.h"
int zs_handle(struct zs_ctx *ctx)
{
  unsigned char out[32];
  char in[8] = "abc";
  zs_sha256_of(in, 0x10000000u + ctx->argc, out);
  return zs_respond(ctx, 200, out, 32);
}
