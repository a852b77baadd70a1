/* Directives zsc parses but does not adapt yet: each reports itself by name
 * instead of producing a config that would silently differ from Caddy's. */
#include "adapt.h"

static struct json *unsupported(struct helper *h)
{
  disp_errf(&h->d, "directive '%s' is not supported by zsc yet", h->d.count ? h->d.tokens[0].text : "");
  return NULL;
}

struct json *adapt_unsupported(struct helper *h) { return unsupported(h); }
struct json *adapt_templates(struct helper *h) { return unsupported(h); }
struct json *adapt_log_append(struct helper *h) { return unsupported(h); }
struct json *adapt_push(struct helper *h) { return unsupported(h); }
struct json *adapt_basic_auth(struct helper *h) { return unsupported(h); }

int adapt_fs(struct helper *h, struct config_values *out) { (void)out; return unsupported(h) ? 0 : -1; }
