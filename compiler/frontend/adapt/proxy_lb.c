/* reverse_proxy's lb_policy: the standard build's selection policies
 * (reverseproxy/selectionpolicies.go). Each reads its own segment, as Caddy's
 * UnmarshalModule hands it one; fallback policies nest the same way. */
#include <string.h>

#include "adapt.h"
#include "proxy.h"

/* A policy's parser: h->d is the policy's segment, cursor before its name. */
typedef int (*lb_parse_fn)(struct helper *h, struct json *pol);

static int lb_no_args(struct helper *h, struct json *pol)
{
  (void)pol;
  disp_next(&h->d);
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

static int lb_weighted(struct helper *h, struct json *pol)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  struct json *w = jarr(a);
  for (int i = 0; i < n; i++) {
    long long v;
    if (!go_atoi(args[i], &v))
      return disp_errf(&h->d, "invalid weight value '%s': strconv.Atoi: parsing \"%s\": invalid syntax", args[i], args[i]);
    if (v < 0)
      return disp_errf(&h->d, "invalid weight value '%s': weight should be non-negative", args[i]);
    jpush(a, w, jint(a, v, disp_pos(&h->d)));
  }
  jset(a, pol, "weights", w);
  return 0;
}

static int lb_random_choose(struct helper *h, struct json *pol)
{
  disp_next(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  long long v;
  const char *s = disp_val(&h->d);
  if (!go_atoi(s, &v))
    return disp_errf(&h->d, "invalid choice value '%s': strconv.Atoi: parsing \"%s\": invalid syntax", s, s);
  if (v)                       /* omitempty */
    jset(h->ad->arena, pol, "choose", jint(h->ad->arena, v, disp_pos(&h->d)));
  return 0;
}

/* fallback NAME [args] [{ }]: at most once */
static int lb_fallback(struct helper *h, struct json *pol)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (json_object_get(pol, "fallback"))
    return disp_errf(&h->d, "fallback selection policy already specified");
  struct json *fb = proxy_lb_policy(h);
  if (!fb)
    return -1;
  jset(h->ad->arena, pol, "fallback", fb);
  return 0;
}

/* query KEY | header FIELD, then { fallback ... } */
static int lb_keyed(struct helper *h, struct json *pol)
{
  struct arena *a = h->ad->arena;
  const char *key = !strcmp(h->d.tokens[0].text, "query") ? "key" : "field";
  disp_next(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (*disp_val(&h->d))
    jset(a, pol, key, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0)) {
    if (strcmp(disp_val(&h->d), "fallback"))
      return disp_errf(&h->d, "unrecognized option '%s'", disp_val(&h->d));
    if (lb_fallback(h, pol) < 0)
      return -1;
  }
  return 0;
}

/* cookie [NAME [SECRET]] { fallback ...; max_age D } */
static int lb_cookie_max_age(struct helper *h, struct json *pol)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (json_object_get(pol, "max_age"))
    return disp_errf(&h->d, "cookie max_age already specified");
  long long ns;
  const char *s = disp_val(&h->d);
  if (go_parse_duration(s, &ns) < 0)
    return disp_errf(&h->d, "invalid duration: %s", s);
  if (ns <= 0)
    return disp_errf(&h->d, "invalid duration: %s, max_age should be non-zero and positive", s);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, pol, "max_age", jint(h->ad->arena, ns, disp_pos(&h->d)));
  return 0;
}

static int lb_cookie(struct helper *h, struct json *pol)
{
  struct arena *a = h->ad->arena;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);   /* the name "cookie" included */
  if (n < 1 || n > 3)
    return disp_arg_err(&h->d);
  if (n >= 2 && *args[1])
    jset(a, pol, "name", jstr(a, args[1], disp_pos(&h->d)));
  if (n == 3 && *args[2])
    jset(a, pol, "secret", jstr(a, args[2], disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0)) {
    const char *opt = disp_val(&h->d);
    int rc = !strcmp(opt, "fallback") ? lb_fallback(h, pol)
           : !strcmp(opt, "max_age")  ? lb_cookie_max_age(h, pol)
                                      : disp_errf(&h->d, "unrecognized option '%s'", opt);
    if (rc < 0)
      return -1;
  }
  return 0;
}

static const struct segment_module lb_rows[] = {
  {"random", lb_no_args}, {"weighted_round_robin", lb_weighted}, {"random_choose", lb_random_choose},
  {"least_conn", lb_no_args}, {"round_robin", lb_no_args}, {"first", lb_no_args}, {"ip_hash", lb_no_args},
  {"client_ip_hash", lb_no_args}, {"uri_hash", lb_no_args}, {"query", lb_keyed}, {"header", lb_keyed},
  {"cookie", lb_cookie},
};

struct json *proxy_segment_module(struct helper *h, const struct segment_module *rows, size_t nrows, const char *ns,
                                  const char *inline_key)
{
  const char *name = disp_val(&h->d);
  const struct segment_module *row = table_find(rows, nrows, sizeof rows[0], name);
  if (!row) {
    disp_errf(&h->d, "getting module named '%s.%s': module not registered: %s.%s", ns, name, ns, name);
    return NULL;
  }
  struct helper sub = *h;
  sub.d = disp_next_segment(&h->d);
  struct json *obj = jobj(h->ad->arena);
  if (row->parse(&sub, obj) < 0)
    return NULL;
  jset(h->ad->arena, obj, inline_key, jstr(h->ad->arena, name, disp_pos(&h->d)));
  json_object_sort(obj);       /* JSONModuleObject: a map, so sorted keys */
  return obj;
}

struct json *proxy_lb_policy(struct helper *h)
{
  return proxy_segment_module(h, lb_rows, sizeof lb_rows / sizeof lb_rows[0], "http.reverse_proxy.selection_policies",
                              "policy");
}
