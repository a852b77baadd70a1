/* sets X-Tag to its first argument, or to "none" */
#include "zs_plugin.h"

int zs_handle(struct zs_ctx *ctx)
{
	char v[32];
	int n = zs_arg(ctx, 0, v, sizeof v - 1);
	v[n < 0 || n >= (int)sizeof v ? 0 : n] = 0;
	zs_resp_header_set(ctx, "X-Tag", n < 0 ? "none" : v);
	return ZS_NEXT;
}
