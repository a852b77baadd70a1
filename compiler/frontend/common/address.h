/* Site addresses: [scheme://]host[:port][/path] split as Caddy's
 * ParseAddress does, and hosts normalized as Address.Normalize. */
#ifndef ZSC_FRONTEND_COMMON_ADDRESS_H
#define ZSC_FRONTEND_COMMON_ADDRESS_H

#include "base/arena.h"

struct address {
  const char *original, *scheme, *host, *port, *path;
};

/* 0, or -1 with *errmsg in Caddy's wording. */
int address_parse(struct arena *a, const char *key, struct address *out, char **errmsg);
const char *address_normalize_host(struct arena *a, const char *host);

#endif
