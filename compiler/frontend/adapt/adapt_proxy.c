/* reverse_proxy: upstreams, load balancing, health checks, headers,
 * buffering, transport and handle_response (Caddy's reverseproxy
 * caddyfile.go), as one handler object. */
#include <string.h>

#include "proxy.h"

static struct json *proxy_obj(struct helper *h, struct json *parent, const char *key)
{
  return jget_or_new(h->ad->arena, parent, key, JSON_OBJECT);
}

void proxy_init(struct helper *h, struct proxy *p)
{
  memset(p, 0, sizeof *p);
  p->handler = jobj(h->ad->arena);
  jset(h->ad->arena, p->handler, "handler", jstr(h->ad->arena, "reverse_proxy", disp_pos(&h->d)));
  p->scheme = "";
  p->response_matchers = jobj(h->ad->arena);
}

static int proxy_arg(struct helper *h)
{
  return disp_next_arg(&h->d) ? 0 : disp_arg_err(&h->d);
}

static int proxy_set_duration(struct helper *h, struct json *obj, const char *key)
{
  if (proxy_arg(h) < 0)
    return -1;
  struct json *v = go_duration_json(&h->d, disp_val(&h->d));
  if (!v)
    return -1;
  jset(h->ad->arena, obj, key, v);
  return 0;
}

static int proxy_set_int(struct helper *h, struct json *obj, const char *key, const char *what)
{
  long long n;
  if (proxy_arg(h) < 0)
    return -1;
  if (!go_atoi(disp_val(&h->d), &n))
    return disp_errf(&h->d, "invalid %s '%s': strconv.Atoi: parsing \"%s\": invalid syntax", what, disp_val(&h->d), disp_val(&h->d));
  jset(h->ad->arena, obj, key, jint(h->ad->arena, n, disp_pos(&h->d)));
  return 0;
}

static int proxy_set_string(struct helper *h, struct json *obj, const char *key)
{
  if (proxy_arg(h) < 0)
    return -1;
  jset(h->ad->arena, obj, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

static int proxy_status_code(struct helper *h, const char *v, long long *out)
{
  const char *num = strlen(v) == 3 && !strcmp(v + 1, "xx") ? arena_strndup(h->ad->arena, v, 1) : v;
  if (!go_atoi(num, out))
    return disp_errf(&h->d, "bad status value '%s': strconv.Atoi: parsing \"%s\": invalid syntax", num, num);
  return 0;
}

/* One reverse_proxy subdirective: the function that parses it, the object
 * it writes (handler, load_balancing, active or passive health checks,
 * rewrite), the key it sets there (NULL: its own name) and, for integers,
 * what Caddy calls the value in its error. */
enum proxy_object { PROXY_HANDLER, PROXY_LB, PROXY_ACTIVE, PROXY_PASSIVE, PROXY_REWRITE };

struct proxy_option {
  const char *name;
  int (*parse)(struct helper *h, struct proxy *p, struct json *obj, const struct proxy_option *o);
  enum proxy_object object;
  const char *key;
  const char *what;
};

static const char *proxy_key(const struct proxy_option *o)
{
  return o->key ? o->key : o->name;
}

static int proxy_opt_string(struct helper *h, struct proxy *p, struct json *obj, const struct proxy_option *o)
{
  (void)p;
  return proxy_set_string(h, obj, proxy_key(o));
}

static int proxy_opt_int(struct helper *h, struct proxy *p, struct json *obj, const struct proxy_option *o)
{
  (void)p;
  return proxy_set_int(h, obj, proxy_key(o), o->what);
}

static int proxy_opt_duration(struct helper *h, struct proxy *p, struct json *obj, const struct proxy_option *o)
{
  (void)p;
  return proxy_set_duration(h, obj, proxy_key(o));
}

static int proxy_opt_flag(struct helper *h, struct proxy *p, struct json *obj, const struct proxy_option *o)
{
  (void)p;
  jset(h->ad->arena, obj, proxy_key(o), jbool(h->ad->arena, true));
  return 0;
}

/* to UPSTREAM... */
static int proxy_opt_to(struct helper *h, struct proxy *p, struct json *obj, const struct proxy_option *o)
{
  (void)o;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  for (int i = 0; i < n; i++)
    if (proxy_append_upstream(h, jget_or_new(h->ad->arena, obj, "upstreams", JSON_ARRAY), args[i], &p->scheme) < 0)
      return -1;
  return 0;
}

/* health_headers { NAME [VALUE...] } */
static int proxy_opt_health_headers(struct helper *h, struct proxy *p, struct json *active, const struct proxy_option *o)
{
  (void)p, (void)o;
  struct arena *a = h->ad->arena;
  struct json *hdrs = jobj(a);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *key = disp_val(&h->d);
    int n;
    const char **vals = disp_remaining_args(&h->d, &n);
    struct json *list = jget_or_new(a, hdrs, key, JSON_ARRAY);
    if (!n)
      jpush(a, list, jstr(a, "", disp_pos(&h->d)));
    for (int i = 0; i < n; i++)
      jpush(a, list, jstr(a, vals[i], disp_pos(&h->d)));
  }
  jset(a, active, "headers", hdrs);
  return 0;
}

/* health_status CODE|Nxx */
static int proxy_opt_health_status(struct helper *h, struct proxy *p, struct json *active, const struct proxy_option *o)
{
  (void)p;
  long long code;
  if (proxy_arg(h) < 0 || proxy_status_code(h, disp_val(&h->d), &code) < 0)
    return -1;
  jset(h->ad->arena, active, o->key, jint(h->ad->arena, code, disp_pos(&h->d)));
  return 0;
}

/* unhealthy_status CODE|Nxx... */
static int proxy_opt_unhealthy_status(struct helper *h, struct proxy *p, struct json *passive, const struct proxy_option *o)
{
  (void)p;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  struct json *codes = jget_or_new(h->ad->arena, passive, proxy_key(o), JSON_ARRAY);
  for (int i = 0; i < n; i++) {
    long long code;
    if (proxy_status_code(h, args[i], &code) < 0)
      return -1;
    jpush(h->ad->arena, codes, jint(h->ad->arena, code, disp_pos(&h->d)));
  }
  return 0;
}

/* lb_policy NAME [args] [{ ... }]: proxy_lb.c */
static int proxy_opt_lb_policy(struct helper *h, struct proxy *p, struct json *lb, const struct proxy_option *o)
{
  (void)p, (void)o;
  if (proxy_arg(h) < 0)
    return -1;
  if (json_object_get(lb, "selection_policy"))
    return disp_errf(&h->d, "load balancing selection policy already specified");
  struct json *pol = proxy_lb_policy(h);
  if (!pol)
    return -1;
  jset(h->ad->arena, lb, "selection_policy", pol);
  return 0;
}

/* lb_retry_match: ParseCaddyfileNestedMatcherSet, a matcher line or block into one set */
static int proxy_opt_retry_match(struct helper *h, struct proxy *p, struct json *lb, const struct proxy_option *o)
{
  (void)p, (void)o;
  struct arena *a = h->ad->arena;
  struct dispenser seg = disp_next_segment(&h->d);
  struct token *toks = arena_alloc(a, sizeof *toks * (size_t)(seg.count + 1));
  memcpy(toks, seg.tokens, sizeof *toks * (size_t)seg.count);
  toks[0].text = "@retry_match";
  struct dispenser md;
  disp_init(&md, a, h->ad->err, toks, seg.count);
  struct matcher_defs defs = {0};
  if (matchers_parse_definitions(h, &md, &defs) < 0)
    return fe_wrap(h->ad->err, "failed to parse lb_retry_match: ");
  struct json *set = defs.items[0].set;
  struct json *expr = json_object_get(set, "expression");
  if (expr && expr->kind == JSON_OBJECT)
    jset(a, set, "expression", json_object_get(expr, "expr"));
  jpush(a, jget_or_new(a, lb, "retry_match", JSON_ARRAY), set);
  return 0;
}

/* header_up|header_down FIELD [VALUE [REPLACEMENT]] */
static int proxy_opt_headers(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)p;
  struct json *headers = proxy_obj(h, handler, "headers");
  struct json *ops = proxy_obj(h, headers, o->key);
  ops->origin = ops->origin.line ? ops->origin : disp_pos(&h->d);   /* the header_up/down token */
  headers->origin = headers->origin.line ? headers->origin : ops->origin;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n < 1 || n > 3)
    return disp_arg_err(&h->d);
  return header_apply_op(h, ops, NULL, args[0], n > 1 ? args[1] : "", n > 2 ? args[2] : NULL);
}

/* request_buffers|response_buffers|stream_buffer_size SIZE|unlimited; 0 is left out */
static int proxy_opt_buffers(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)p;
  if (proxy_arg(h) < 0)
    return -1;
  long long size = -1;
  if (strcmp(disp_val(&h->d), "unlimited") && go_parse_size(disp_val(&h->d), &size) < 0)
    return disp_errf(&h->d, "invalid byte size '%s'", disp_val(&h->d));
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (size)
    jset(h->ad->arena, handler, proxy_key(o), jint(h->ad->arena, size, disp_pos(&h->d)));
  else                         /* omitempty */
    json_object_delete(handler, proxy_key(o));
  return 0;
}

/* transport http|fastcgi { ... } */
static int proxy_opt_transport(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)handler, (void)o;
  if (proxy_arg(h) < 0)
    return -1;
  if (p->transport)
    return disp_errf(&h->d, "transport already specified");
  p->transport_name = disp_val(&h->d);
  if (strcmp(p->transport_name, "http") && strcmp(p->transport_name, "fastcgi"))
    return disp_errf(&h->d, "getting module named 'http.reverse_proxy.transport.%s': module not registered: "
                     "http.reverse_proxy.transport.%s", p->transport_name, p->transport_name);
  p->transport = jobj(h->ad->arena);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
    if (proxy_transport_option(h, p->transport, p->transport_name, disp_val(&h->d)) < 0)
      return -1;
  return 0;
}

int proxy_dynamic(struct helper *h, struct proxy *p);
int proxy_replace_status(struct helper *h, struct proxy *p);

static int proxy_opt_dynamic(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)handler, (void)o;
  return proxy_dynamic(h, p);
}

static int proxy_opt_replace_status(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)handler, (void)o;
  return proxy_replace_status(h, p);
}

/* handle_response [@matcher] { ... }: kept for proxy_handle_responses */
static int proxy_opt_handle_response(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)handler, (void)o;
  if (p->nhandle_response == 16)
    return disp_errf(&h->d, "too many handle_response blocks");
  p->handle_response[p->nhandle_response++] = disp_next_segment(&h->d);
  return 0;
}

/* trusted_proxies private_ranges|CIDR... */
static int proxy_opt_trusted_proxies(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)p;
  static const char *const private[] = {"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"};
  struct arena *a = h->ad->arena;
  struct json *list = jget_or_new(a, handler, proxy_key(o), JSON_ARRAY);
  while (disp_next_arg(&h->d))
    if (!strcmp(disp_val(&h->d), "private_ranges"))
      for (int i = 0; i < 6; i++)
        jpush(a, list, jstr(a, private[i], disp_pos(&h->d)));
    else
      jpush(a, list, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

/* flush_interval -1|N|DURATION */
static int proxy_opt_flush_interval(struct helper *h, struct proxy *p, struct json *handler, const struct proxy_option *o)
{
  (void)p;
  long long n;
  if (proxy_arg(h) < 0)
    return -1;
  if (go_atoi(disp_val(&h->d), &n)) {
    jset(h->ad->arena, handler, proxy_key(o), jint(h->ad->arena, n, disp_pos(&h->d)));
    return 0;
  }
  disp_prev(&h->d);
  return proxy_set_duration(h, handler, proxy_key(o));
}

/* method METHOD / rewrite URI: one argument into the rewrite object */
static int proxy_opt_rewrite(struct helper *h, struct proxy *p, struct json *rewrite, const struct proxy_option *o)
{
  (void)p;
  if (proxy_set_string(h, rewrite, o->key) < 0)
    return -1;
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

static const struct proxy_option proxy_options[] = {
  {"to", proxy_opt_to, PROXY_HANDLER, NULL, NULL},
  {"lb_policy", proxy_opt_lb_policy, PROXY_LB, NULL, NULL},
  {"lb_retries", proxy_opt_int, PROXY_LB, "retries", "lb_retries"},
  {"lb_try_duration", proxy_opt_duration, PROXY_LB, "try_duration", NULL},
  {"lb_try_interval", proxy_opt_duration, PROXY_LB, "try_interval", NULL},
  {"lb_retry_match", proxy_opt_retry_match, PROXY_LB, NULL, NULL},
  {"health_uri", proxy_opt_string, PROXY_ACTIVE, "uri", NULL},
  {"health_path", proxy_opt_string, PROXY_ACTIVE, "path", NULL},
  {"health_upstream", proxy_opt_string, PROXY_ACTIVE, "upstream", NULL},
  {"health_method", proxy_opt_string, PROXY_ACTIVE, "method", NULL},
  {"health_request_body", proxy_opt_string, PROXY_ACTIVE, "body", NULL},
  {"health_body", proxy_opt_string, PROXY_ACTIVE, "expect_body", NULL},
  {"health_port", proxy_opt_int, PROXY_ACTIVE, "port", "health_port"},
  {"health_passes", proxy_opt_int, PROXY_ACTIVE, "passes", "passes"},
  {"health_fails", proxy_opt_int, PROXY_ACTIVE, "fails", "fails"},
  {"health_interval", proxy_opt_duration, PROXY_ACTIVE, "interval", NULL},
  {"health_timeout", proxy_opt_duration, PROXY_ACTIVE, "timeout", NULL},
  {"health_headers", proxy_opt_health_headers, PROXY_ACTIVE, NULL, NULL},
  {"health_follow_redirects", proxy_opt_flag, PROXY_ACTIVE, "follow_redirects", NULL},
  {"health_status", proxy_opt_health_status, PROXY_ACTIVE, "expect_status", NULL},
  {"max_fails", proxy_opt_int, PROXY_PASSIVE, NULL, "maximum failure count value"},
  {"fail_duration", proxy_opt_duration, PROXY_PASSIVE, NULL, NULL},
  {"unhealthy_request_count", proxy_opt_int, PROXY_PASSIVE, NULL, "maximum connection count value"},
  {"unhealthy_latency", proxy_opt_duration, PROXY_PASSIVE, NULL, NULL},
  {"unhealthy_status", proxy_opt_unhealthy_status, PROXY_PASSIVE, NULL, NULL},
  {"request_buffers", proxy_opt_buffers, PROXY_HANDLER, NULL, NULL},
  {"response_buffers", proxy_opt_buffers, PROXY_HANDLER, NULL, NULL},
  {"stream_buffer_size", proxy_opt_buffers, PROXY_HANDLER, NULL, NULL},
  {"header_up", proxy_opt_headers, PROXY_HANDLER, "request", NULL},
  {"header_down", proxy_opt_headers, PROXY_HANDLER, "response", NULL},
  {"transport", proxy_opt_transport, PROXY_HANDLER, NULL, NULL},
  {"dynamic", proxy_opt_dynamic, PROXY_HANDLER, NULL, NULL},
  {"replace_status", proxy_opt_replace_status, PROXY_HANDLER, NULL, NULL},
  {"handle_response", proxy_opt_handle_response, PROXY_HANDLER, NULL, NULL},
  {"trusted_proxies", proxy_opt_trusted_proxies, PROXY_HANDLER, NULL, NULL},
  {"flush_interval", proxy_opt_flush_interval, PROXY_HANDLER, NULL, NULL},
  {"stream_timeout", proxy_opt_duration, PROXY_HANDLER, NULL, NULL},
  {"stream_close_delay", proxy_opt_duration, PROXY_HANDLER, NULL, NULL},
  {"method", proxy_opt_rewrite, PROXY_REWRITE, "method", NULL},
  {"rewrite", proxy_opt_rewrite, PROXY_REWRITE, "uri", NULL},
  {"verbose_logs", proxy_opt_flag, PROXY_HANDLER, NULL, NULL},
};

/* The object a subdirective writes, created on first use. */
static struct json *proxy_option_object(struct helper *h, struct proxy *p, enum proxy_object where)
{
  switch (where) {
  case PROXY_LB:
    return proxy_obj(h, p->handler, "load_balancing");
  case PROXY_ACTIVE:
    return proxy_obj(h, proxy_obj(h, p->handler, "health_checks"), "active");
  case PROXY_PASSIVE:
    return proxy_obj(h, proxy_obj(h, p->handler, "health_checks"), "passive");
  case PROXY_REWRITE:
    return proxy_obj(h, p->handler, "rewrite");
  case PROXY_HANDLER:
    break;
  }
  return p->handler;
}

/* A named response matcher (@name { status ...; header ... }) or a row of proxy_options. */
int proxy_subdirective(struct helper *h, struct proxy *p)
{
  const char *sub = disp_val(&h->d);
  if (sub[0] == '@') {
    struct dispenser seg = disp_next_segment(&h->d);
    struct json *m = matchers_response(h, &seg);
    if (!m)
      return -1;
    jset(h->ad->arena, p->response_matchers, sub, m);
    return 0;
  }
  const struct proxy_option *o = TABLE_FIND(proxy_options, sub);
  if (!o)
    return 1;
  return o->parse(h, p, proxy_option_object(h, p, o->object), o);
}

int proxy_unmarshal(struct helper *h, struct proxy *p)
{
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  for (int i = 0; i < n; i++)
    if (proxy_append_upstream(h, jget_or_new(h->ad->arena, p->handler, "upstreams", JSON_ARRAY), args[i], &p->scheme) < 0)
      return -1;
  while (disp_next_block(&h->d, 0)) {
    int r = proxy_subdirective(h, p);
    if (r < 0)
      return -1;
    if (r == 1)
      return disp_errf(&h->d, "unrecognized subdirective %s", disp_val(&h->d));
  }
  return 0;
}

static void proxy_finish_transport(struct helper *h, struct proxy *p)
{
  struct arena *a = h->ad->arena;
  if ((!strcmp(p->scheme, "https") || !strcmp(p->scheme, "h2c")) && !p->transport) {
    p->transport = jobj(a);
    p->transport_name = "http";
  }
  if (!p->transport)
    return;
  if (!strcmp(p->scheme, "https") && !json_object_get(p->transport, "tls"))
    jset(a, p->transport, "tls", jobj(a));
  if (!strcmp(p->scheme, "h2c")) {
    const char *v[] = {"h2c", "2"};
    jset(a, p->transport, "versions", jstrarr(a, v, 2, (struct srcpos){0}));
  }
  jset(a, p->transport, "protocol", jstr(a, p->transport_name, (struct srcpos){0}));
  jset(a, p->handler, "transport", p->transport);
}

int proxy_handle_responses(struct helper *h, struct proxy *p);

int proxy_finish(struct helper *h, struct proxy *p)
{
  proxy_finish_transport(h, p);
  return proxy_handle_responses(h, p);
}

struct json *adapt_reverse_proxy(struct helper *h)
{
  struct proxy p;
  proxy_init(h, &p);
  if (proxy_unmarshal(h, &p) < 0 || proxy_finish(h, &p) < 0)
    return NULL;
  return p.handler;
}
