/* Placeholder shorthands in site-block tokens: {host} -> {http.request.host},
 * {header.X}, {re.n.1}, ... as Caddy's Caddyfile adapter replaces them. */
#ifndef ZSC_FRONTEND_COMMON_SHORTHAND_H
#define ZSC_FRONTEND_COMMON_SHORTHAND_H

#include "base/arena.h"

/* text with every shorthand expanded (text itself when there is none). */
const char *shorthand_apply(struct arena *a, const char *text);

#endif
