/* trusted_proxies: the server option's static ranges and reverse_proxy's own
 * list, checked as Caddy parses them (an address, or an address/prefix) and
 * kept as written for the blob (the remote_ip matcher's parser checks them);
 * the runtime compares the peer against them. */
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

static int lower_ranges(struct lower *l, const struct json *list, const char *what, const char ***out, size_t *count)
{
  if (!(*out = lower_items(l, list, sizeof **out, arena_printf(l->a, "%s that is not a list", what))))
    return -1;
  int bad = 0;
  for (size_t i = 0; i < list->count; i++) {
    const char *s = lower_string(l, list->items[i], what);
    unsigned char packed[ZS_IP_RANGE_SIZE];
    if (s && !lower_ip_range(s, packed)) {
      lower_refuse(l, list->items[i], "%s '%s': not an IP address or CIDR range", what, s);
      s = NULL;
    }
    if (!s)
      bad = -1;
    else
      (*out)[(*count)++] = s;
  }
  return bad;
}

int lower_proxy_trusted(struct lower *l, const struct json *v, void *record)
{
  struct lowered_reverse_proxy *rp = record;
  return lower_ranges(l, v, "reverse_proxy trusted_proxies", &rp->trusted, &rp->trusted_count);
}

static const struct lower_key lower_trusted_keys[] = {
  {"source", NULL, NULL}, {"ranges", NULL, NULL}, {NULL, NULL, NULL},
};

/* {"source": "static", "ranges": [...]}: the one source the standard build has */
int lower_server_trusted(struct lower *l, const struct json *v, void *record)
{
  struct lowered_server *s = record;
  if (lower_object_keys(l, v, lower_trusted_keys, "trusted_proxies", NULL) < 0)
    return -1;
  const struct json *source = json_object_get(v, "source"), *ranges = json_object_get(v, "ranges");
  if (!source || lower_only(l, source, "trusted_proxies source", "static") < 0)
    return source ? -1 : (lower_refuse(l, v, "trusted_proxies without a source"), -1);
  return ranges ? lower_ranges(l, ranges, "trusted_proxies static", &s->trusted, &s->trusted_count) : 0;
}
