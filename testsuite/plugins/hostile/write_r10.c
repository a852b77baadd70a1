/* writes the frame pointer r10: the verifier refuses it */
#include "zs_plugin.h"
int zs_handle(struct zs_ctx *ctx)
{
  (void)ctx;
  asm volatile("r10 = 0" ::: "memory");
  return ZS_NEXT;
}
