/* reverse_proxy's header ops (header_up, header_down): Caddy's HeaderOps on
 * the request sent upstream and on the upstream's response. Values may use
 * request placeholders and the {http.reverse_proxy.upstream.*} ones, which
 * a single static upstream fixes at compile time (with more, they are refused). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

int lower_proxy_headers_keep(struct lower *l, const struct json *v, void *record)
{
  (void)l;
  ((struct lowered_reverse_proxy *)record)->headers = v;
  return 0;
}

/* DialInfo of the upstream: address is network/host:port, as Caddy's
 * JoinNetworkAddress writes it for the tcp network */
const char *lower_proxy_placeholder(struct lower *l, const char *key, size_t len)
{
  static const char prefix[] = "http.reverse_proxy.upstream.";
  const char *dial = l->proxy_dial;
  if (!dial || len < sizeof prefix - 1 || memcmp(key, prefix, sizeof prefix - 1) != 0)
    return NULL;
  const char *name = key + sizeof prefix - 1, *colon = strrchr(dial, ':');
  size_t n = len - (sizeof prefix - 1);
  const char *host = dial, *host_end = colon;
  if (dial[0] == '[' && colon > dial && colon[-1] == ']')
    host++, host_end--;
  if (n == 8 && memcmp(name, "hostport", 8) == 0)
    return dial;
  if (n == 7 && memcmp(name, "address", 7) == 0)
    return arena_printf(l->a, "tcp/%s", dial);
  if (n == 4 && memcmp(name, "host", 4) == 0)
    return arena_printf(l->a, "%.*s", (int)(host_end - host), host);
  if (n == 4 && memcmp(name, "port", 4) == 0)
    return colon + 1;
  return NULL;
}

/* a regular expression zsrt can run: PCRE2 must compile it (Go's RE2 syntax
 * is nearly all PCRE2's; what PCRE2 refuses, Caddy would mostly refuse too) */
int lower_proxy_regexp(struct lower *l, const struct json *at, const char *re, const char *what)
{
  int code;
  PCRE2_SIZE offset;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
  if (c) {
    pcre2_code_free(c);
    return 0;
  }
  PCRE2_UCHAR msg[120];
  pcre2_get_error_message(code, msg, sizeof msg);
  lower_refuse(l, at, "%s '%s': %s at offset %zu", what, re, (const char *)msg, (size_t)offset);
  return -1;
}

static const struct lower_key lower_replace_keys[] = {
  {"search", NULL, NULL}, {"search_regexp", NULL, NULL}, {"replace", NULL, NULL}, {NULL, NULL, NULL},
};

/* one {search | search_regexp, replace} of a field's list */
static int lower_proxy_replacement(struct lower *l, const char *name, const struct json *o,
                                   struct lowered_replace *r)
{
  if (o->kind != JSON_OBJECT) {
    lower_refuse(l, o, "header replacement that is not an object");
    return -1;
  }
  if (lower_keys(l, o, lower_replace_keys, "header replacement", NULL) < 0)
    return -1;
  const struct json *sub = json_object_get(o, "search"), *re = json_object_get(o, "search_regexp");
  const struct json *with = json_object_get(o, "replace"), *search = re ? re : sub;
  *r = (struct lowered_replace){.name = name, .regexp = re != NULL, .pos = lower_pos(l, o), .search = ""};
  if (sub && re) {
    lower_refuse(l, o, "cannot specify both a substring search and a regular expression search for field '%s'",
                 name);
    return -1;
  }
  if (search && !(r->search = lower_string(l, search, "header replacement search")))
    return -1;
  if (strpbrk(r->search, "{}") && !re) {
    lower_refuse(l, search, "placeholder in a header replacement search");
    return -1;
  }
  if (re && lower_proxy_regexp(l, re, r->search, "replace search_regexp") < 0)
    return -1;
  if (!with) {
    r->with = (struct lowered_text){.constant = true, .pos = r->pos};
    return 0;
  }
  return lower_string(l, with, "header replacement") ? lower_text(l, with, LOWER_PH_KNOWN, &r->with) : -1;
}

static int lower_proxy_replace(struct lower *l, const struct json *map, void *record)
{
  struct lowered_headers *h = record;
  if (map->kind != JSON_OBJECT) {
    lower_refuse(l, map, "header replace that is not an object");
    return -1;
  }
  size_t total = 0;
  for (size_t i = 0; i < map->count; i++)
    total += map->members[i].value->kind == JSON_ARRAY ? map->members[i].value->count : 0;
  h->replace = arena_alloc(l->a, (total + 1) * sizeof *h->replace);
  int bad = 0;
  for (size_t i = 0; i < map->count; i++) {
    const char *key = map->members[i].key;
    const struct json *list = map->members[i].value;
    if (strpbrk(key, "{}") || list->kind != JSON_ARRAY) {
      lower_refuse(l, list, "header replace for field '%s'", key);
      bad = -1;
      continue;
    }
    const char *name = strcmp(key, "*") == 0 ? "*" : lower_header_name(l, key, list);
    if (!name) {
      bad = -1;
      continue;
    }
    for (size_t k = 0; k < list->count; k++)
      if (lower_proxy_replacement(l, name, list->items[k], &h->replace[h->replace_count++]) < 0)
        bad = -1;
  }
  return bad;
}

static const struct lower_key lower_proxy_ops_keys[] = {
  {"add", NULL, lower_headers_add}, {"set", NULL, lower_headers_set}, {"delete", NULL, lower_headers_delete},
  {"replace", NULL, lower_proxy_replace}, {"require", "header_down", lower_key_refused},
  {"deferred", "header_down", lower_key_refused}, {NULL, NULL, NULL},
};

static int lower_proxy_side(struct lower *l, const struct json *v, struct lowered_headers **out, const char *what)
{
  *out = arena_alloc(l->a, sizeof **out);
  memset(*out, 0, sizeof **out);
  return lower_object_keys(l, v, lower_proxy_ops_keys, what, *out);
}

static int lower_proxy_up(struct lower *l, const struct json *v, void *record)
{
  struct lowered_reverse_proxy *rp = record;
  return lower_proxy_side(l, v, &rp->up, "header_up");
}

static int lower_proxy_down(struct lower *l, const struct json *v, void *record)
{
  return lower_proxy_side(l, v, &((struct lowered_reverse_proxy *)record)->down, "header_down");
}

static const struct lower_key lower_proxy_headers_keys[] = {
  {"request", "header_up", lower_proxy_up}, {"response", "header_down", lower_proxy_down}, {NULL, NULL, NULL},
};

/* the placeholders of this upstream are text while its ops are lowered */
int lower_proxy_headers(struct lower *l, struct lowered_reverse_proxy *rp)
{
  /* many upstreams: the one is chosen per request, its placeholders are refused */
  l->proxy_dial = rp->lb.upstream_count == 1 && strncmp(rp->dial, "unix/", 5) != 0 ? rp->dial : NULL;
  int r = lower_object_keys(l, rp->headers, lower_proxy_headers_keys, "reverse_proxy headers", rp);
  l->proxy_dial = NULL;
  size_t replaces = (rp->up ? rp->up->replace_count : 0) + (rp->down ? rp->down->replace_count : 0);
  if (r == 0 && replaces > ZS_HDR_MAX_INDEX + 1) {
    lower_refuse(l, rp->headers, "more than %u header replacements in one reverse_proxy", ZS_HDR_MAX_INDEX + 1);
    return -1;
  }
  return r;
}
