/* Shared between the reverse_proxy family of directives (reverse_proxy,
 * php_fastcgi, forward_auth): upstream parsing and the proxy block parser. */
#ifndef ZSC_FRONTEND_PROXY_H
#define ZSC_FRONTEND_PROXY_H

#include "adapt.h"

struct proxy_addr {
  const char *network, *scheme, *host, *port;
};

int proxy_parse_upstream(struct helper *h, const char *addr, struct proxy_addr *pa);
const char *proxy_dial(struct arena *a, const struct proxy_addr *pa);
int proxy_append_upstream(struct helper *h, struct json *upstreams, const char *addr, const char **common_scheme);

/* The reverse_proxy handler's state while its block is read. */
struct proxy {
  struct json *handler;
  struct json *transport;      /* NULL until a transport is given or implied */
  const char *transport_name;
  const char *scheme;
  struct json *response_matchers;   /* "@name" -> response matcher */
  struct dispenser handle_response[16];
  int nhandle_response;
};

/* Parses reverse_proxy's arguments and block from d (positioned before the
 * directive name) into p; then proxy_finish encodes the transport and the
 * handle_response routes. */
int proxy_unmarshal(struct helper *h, struct proxy *p);
/* One subdirective at the cursor; 1 when the name is not a proxy subdirective. */
int proxy_subdirective(struct helper *h, struct proxy *p);
int proxy_finish(struct helper *h, struct proxy *p);
int proxy_handle_responses(struct helper *h, struct proxy *p);
void proxy_init(struct helper *h, struct proxy *p);
/* A module Caddy reads with UnmarshalModule: its parser gets the module's own
 * segment (cursor before the name) and fills the module object. */
struct segment_module {
  const char *name;
  int (*parse)(struct helper *h, struct json *obj);
};
/* The module of namespace ns named at the cursor, its segment consumed, with
 * its name under inline_key and keys sorted as Caddy's module map; NULL after
 * Caddy's error for a module the standard build lacks, or the parser's. */
struct json *proxy_segment_module(struct helper *h, const struct segment_module *rows, size_t nrows, const char *ns,
                                  const char *inline_key);
/* lb_policy's NAME at the cursor: the selection policy, its segment read */
struct json *proxy_lb_policy(struct helper *h);
/* transport http { ... } / transport fastcgi { ... } options */
int proxy_transport_option(struct helper *h, struct json *t, const char *name, const char *sub);

#endif
