/* Directives zsc parses but does not adapt yet: each reports itself by name
 * instead of producing a config that would silently differ from Caddy's. */
#include "adapt.h"

struct json *adapt_unsupported(struct helper *h)
{
  disp_next(&h->d);
  disp_errf(&h->d, "directive '%s' is not supported by zsc yet", disp_val(&h->d));
  return NULL;
}
