/* reverse_proxy's dynamic upstreams: the standard build's sources a, srv and
 * multi (reverseproxy/caddyfile.go), each read from its own segment as
 * Caddy's UnmarshalModule hands it one; multi nests the others. */
#include <string.h>

#include "proxy.h"

static struct json *dynamic_source(struct helper *h);

/* NAME DURATION with Caddy's error wording for that option */
static int dynamic_duration(struct helper *h, struct json *src, const char *key, const char *what)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  long long ns;
  const char *v = disp_val(&h->d);
  if (go_parse_duration(v, &ns) < 0)
    return !strcmp(key, "refresh") ? disp_errf(&h->d, "parsing refresh interval duration: time: invalid duration \"%s\"", v)
                                   : disp_errf(&h->d, "bad %s value '%s': time: invalid duration \"%s\"", what, v, v);
  if (ns)                      /* omitempty */
    jset(h->ad->arena, src, key, jint(h->ad->arena, ns, disp_pos(&h->d)));
  else
    json_object_delete(src, key);
  return 0;
}

/* name/port/service/proto VALUE, each once */
static int dynamic_once(struct helper *h, struct json *src, const char *key, const char *again)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (json_object_get(src, key))
    return disp_errf(&h->d, "%s", again);
  if (*disp_val(&h->d))
    jset(h->ad->arena, src, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

static int dynamic_resolvers(struct helper *h, struct json *src)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_errf(&h->d, "must specify at least one resolver address");
  struct json *r = jobj(h->ad->arena);
  jset(h->ad->arena, r, "addresses", jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  jset(h->ad->arena, src, "resolver", r);
  return 0;
}

/* versions ipv4|ipv6... (a only) */
static int dynamic_versions(struct helper *h, struct json *src)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_errf(&h->d, "must specify at least one version");
  struct json *v = jget_or_new(h->ad->arena, src, "versions", JSON_OBJECT);
  for (int i = 0; i < n; i++) {
    if (strcmp(args[i], "ipv4") && strcmp(args[i], "ipv6"))
      return disp_errf(&h->d, "unsupported version: '%s'", args[i]);
    jset(h->ad->arena, v, args[i], jbool(h->ad->arena, true));
  }
  json_object_sort(v);
  return 0;
}

/* The block options a and srv share; 1 when sub is not one of them. */
static int dynamic_common(struct helper *h, struct json *src, const char *sub)
{
  if (!strcmp(sub, "refresh"))
    return dynamic_duration(h, src, "refresh", NULL);
  if (!strcmp(sub, "resolvers"))
    return dynamic_resolvers(h, src);
  if (!strcmp(sub, "dial_timeout"))
    return dynamic_duration(h, src, "dial_timeout", "timeout");
  if (!strcmp(sub, "dial_fallback_delay"))
    return dynamic_duration(h, src, "dial_fallback_delay", "delay");
  return 1;
}

/* a [NAME [PORT]] { name, port, refresh, resolvers, dial_timeout, dial_fallback_delay, versions } */
static int dynamic_a(struct helper *h, struct json *src)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n > 2)
    return disp_arg_err(&h->d);
  if (n > 0 && *args[0])
    jset(a, src, "name", jstr(a, args[0], disp_pos(&h->d)));
  if (n == 2 && *args[1])
    jset(a, src, "port", jstr(a, args[1], disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    int rc = !strcmp(sub, "name")       ? dynamic_once(h, src, "name", "a name has already been specified")
           : !strcmp(sub, "port")       ? dynamic_once(h, src, "port", "a port has already been specified")
           : !strcmp(sub, "versions")   ? dynamic_versions(h, src)
                                        : dynamic_common(h, src, sub);
    if (rc == 1)
      return disp_errf(&h->d, "unrecognized a option '%s'", sub);
    if (rc < 0)
      return -1;
  }
  return 0;
}

/* srv [NAME] { service, proto, name, refresh, resolvers, dial_timeout, dial_fallback_delay, grace_period } */
static int dynamic_srv(struct helper *h, struct json *src)
{
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n > 1)
    return disp_arg_err(&h->d);
  if (n == 1 && *args[0])
    jset(h->ad->arena, src, "name", jstr(h->ad->arena, args[0], disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    int rc = !strcmp(sub, "service")      ? dynamic_once(h, src, "service", "srv service has already been specified")
           : !strcmp(sub, "proto")        ? dynamic_once(h, src, "proto", "srv proto has already been specified")
           : !strcmp(sub, "name")         ? dynamic_once(h, src, "name", "srv name has already been specified")
           : !strcmp(sub, "grace_period") ? dynamic_duration(h, src, "grace_period", "grace period")
                                          : dynamic_common(h, src, sub);
    if (rc == 1)
      return disp_errf(&h->d, "unrecognized srv option '%s'", sub);
    if (rc < 0)
      return -1;
  }
  return 0;
}

/* multi { SOURCE [args] [{ }]... } */
static int dynamic_multi(struct helper *h, struct json *src)
{
  disp_next(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  while (disp_next_block(&h->d, 0)) {
    struct json *inner = dynamic_source(h);
    if (!inner)
      return -1;
    jpush(h->ad->arena, jget_or_new(h->ad->arena, src, "sources", JSON_ARRAY), inner);
  }
  return 0;
}

static const struct segment_module dynamic_rows[] = {
  {"a", dynamic_a}, {"srv", dynamic_srv}, {"multi", dynamic_multi},
};

static struct json *dynamic_source(struct helper *h)
{
  return proxy_segment_module(h, dynamic_rows, sizeof dynamic_rows / sizeof dynamic_rows[0],
                              "http.reverse_proxy.upstreams", "source");
}

/* dynamic SOURCE [args] [{ ... }] */
int proxy_dynamic(struct helper *h, struct proxy *p)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (json_object_get(p->handler, "dynamic_upstreams"))
    return disp_errf(&h->d, "dynamic upstreams already specified");
  struct json *src = dynamic_source(h);
  if (!src)
    return -1;
  jset(h->ad->arena, p->handler, "dynamic_upstreams", src);
  return 0;
}
