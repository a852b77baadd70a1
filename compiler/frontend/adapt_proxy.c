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
  struct json *v = go_duration_json(h, disp_val(&h->d));
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

static int proxy_health_headers(struct helper *h, struct json *active)
{
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

static int proxy_active_health(struct helper *h, struct proxy *p, const char *sub)
{
  struct json *active = proxy_obj(h, proxy_obj(h, p->handler, "health_checks"), "active");
  static const char *const strings[][2] = {{"health_uri", "uri"}, {"health_path", "path"},
                                           {"health_upstream", "upstream"}, {"health_method", "method"},
                                           {"health_request_body", "body"}, {"health_body", "expect_body"}};
  for (int i = 0; i < 6; i++)
    if (!strcmp(sub, strings[i][0]))
      return proxy_set_string(h, active, strings[i][1]);
  if (!strcmp(sub, "health_port"))
    return proxy_set_int(h, active, "port", "health_port");
  if (!strcmp(sub, "health_passes"))
    return proxy_set_int(h, active, "passes", "passes");
  if (!strcmp(sub, "health_fails"))
    return proxy_set_int(h, active, "fails", "fails");
  if (!strcmp(sub, "health_interval"))
    return proxy_set_duration(h, active, "interval");
  if (!strcmp(sub, "health_timeout"))
    return proxy_set_duration(h, active, "timeout");
  if (!strcmp(sub, "health_headers"))
    return proxy_health_headers(h, active);
  if (!strcmp(sub, "health_follow_redirects")) {
    jset(h->ad->arena, active, "follow_redirects", jbool(h->ad->arena, true));
    return 0;
  }
  if (!strcmp(sub, "health_status")) {
    long long code;
    if (proxy_arg(h) < 0 || proxy_status_code(h, disp_val(&h->d), &code) < 0)
      return -1;
    jset(h->ad->arena, active, "expect_status", jint(h->ad->arena, code, disp_pos(&h->d)));
    return 0;
  }
  return 1;
}

static int proxy_passive_health(struct helper *h, struct proxy *p, const char *sub)
{
  struct json *passive = proxy_obj(h, proxy_obj(h, p->handler, "health_checks"), "passive");
  if (!strcmp(sub, "max_fails"))
    return proxy_set_int(h, passive, "max_fails", "maximum failure count value");
  if (!strcmp(sub, "fail_duration"))
    return proxy_set_duration(h, passive, "fail_duration");
  if (!strcmp(sub, "unhealthy_request_count"))
    return proxy_set_int(h, passive, "unhealthy_request_count", "maximum connection count value");
  if (!strcmp(sub, "unhealthy_latency"))
    return proxy_set_duration(h, passive, "unhealthy_latency");
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  struct json *codes = jget_or_new(h->ad->arena, passive, "unhealthy_status", JSON_ARRAY);
  for (int i = 0; i < n; i++) {
    long long code;
    if (proxy_status_code(h, args[i], &code) < 0)
      return -1;
    jpush(h->ad->arena, codes, jint(h->ad->arena, code, disp_pos(&h->d)));
  }
  return 0;
}

/* lb_policy NAME [args] [{ }] */
static int proxy_lb_policy(struct helper *h, struct proxy *p)
{
  struct arena *a = h->ad->arena;
  if (proxy_arg(h) < 0)
    return -1;
  struct json *lb = proxy_obj(h, p->handler, "load_balancing");
  if (json_object_get(lb, "selection_policy"))
    return disp_errf(&h->d, "load balancing selection policy already specified");
  const char *name = disp_val(&h->d);
  struct json *pol = jobj(a);
  jset(a, pol, "policy", jstr(a, name, disp_pos(&h->d)));
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!strcmp(name, "weighted_round_robin")) {
    struct json *w = jarr(a);
    for (int i = 0; i < n; i++) {
      long long v;
      if (!go_atoi(args[i], &v))
        return disp_errf(&h->d, "invalid weight value '%s'", args[i]);
      jpush(a, w, jint(a, v, disp_pos(&h->d)));
    }
    jset(a, pol, "weights", w);
  } else if (!strcmp(name, "header") || !strcmp(name, "cookie") || !strcmp(name, "query")) {
    if (n >= 1)
      jset(a, pol, !strcmp(name, "cookie") ? "name" : !strcmp(name, "query") ? "key" : "field", jstr(a, args[0], disp_pos(&h->d)));
    if (n >= 2 && !strcmp(name, "cookie"))
      jset(a, pol, "secret", jstr(a, args[1], disp_pos(&h->d)));
  } else if (n > 0)
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    if (strcmp(disp_val(&h->d), "fallback"))
      return disp_errf(&h->d, "unrecognized option '%s'", disp_val(&h->d));
    if (proxy_arg(h) < 0)
      return -1;
    struct json *fb = jobj(a);
    jset(a, fb, "policy", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    jset(a, pol, "fallback", fb);
  }
  jset(a, lb, "selection_policy", pol);
  return 0;
}

/* ParseCaddyfileNestedMatcherSet: a matcher line or block into one set */
static int proxy_retry_match(struct helper *h, struct proxy *p)
{
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
  jpush(a, jget_or_new(a, proxy_obj(h, p->handler, "load_balancing"), "retry_match", JSON_ARRAY), set);
  return 0;
}

static int proxy_headers(struct helper *h, struct proxy *p, bool up)
{
  struct arena *a = h->ad->arena;
  struct json *headers = proxy_obj(h, p->handler, "headers");
  struct json *ops = proxy_obj(h, headers, up ? "request" : "response");
  ops->origin = ops->origin.line ? ops->origin : disp_pos(&h->d);   /* the header_up/down token */
  headers->origin = headers->origin.line ? headers->origin : ops->origin;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n < 1 || n > 3)
    return disp_arg_err(&h->d);
  (void)a;
  return header_apply_op(h, ops, NULL, args[0], n > 1 ? args[1] : "", n > 2 ? args[2] : NULL);
}

static int proxy_buffers(struct helper *h, struct proxy *p, const char *sub)
{
  if (proxy_arg(h) < 0)
    return -1;
  long long size = -1;
  if (strcmp(disp_val(&h->d), "unlimited") && go_parse_size(disp_val(&h->d), &size) < 0)
    return disp_errf(&h->d, "invalid byte size '%s'", disp_val(&h->d));
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, p->handler, sub, jint(h->ad->arena, size, disp_pos(&h->d)));
  return 0;
}

static int proxy_transport(struct helper *h, struct proxy *p)
{
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

static int proxy_misc(struct helper *h, struct proxy *p, const char *sub)
{
  struct arena *a = h->ad->arena;
  if (!strcmp(sub, "trusted_proxies")) {
    static const char *const private[] = {"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"};
    struct json *list = jget_or_new(a, p->handler, "trusted_proxies", JSON_ARRAY);
    while (disp_next_arg(&h->d))
      if (!strcmp(disp_val(&h->d), "private_ranges"))
        for (int i = 0; i < 6; i++)
          jpush(a, list, jstr(a, private[i], disp_pos(&h->d)));
      else
        jpush(a, list, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    return 0;
  }
  if (!strcmp(sub, "flush_interval")) {
    long long n;
    if (proxy_arg(h) < 0)
      return -1;
    if (go_atoi(disp_val(&h->d), &n)) {
      jset(a, p->handler, sub, jint(a, n, disp_pos(&h->d)));
      return 0;
    }
    disp_prev(&h->d);
    return proxy_set_duration(h, p->handler, sub);
  }
  if (!strcmp(sub, "stream_timeout") || !strcmp(sub, "stream_close_delay"))
    return proxy_set_duration(h, p->handler, sub);
  if (!strcmp(sub, "method") || !strcmp(sub, "rewrite")) {
    if (proxy_set_string(h, proxy_obj(h, p->handler, "rewrite"), sub[0] == 'm' ? "method" : "uri") < 0)
      return -1;
    return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
  }
  if (!strcmp(sub, "verbose_logs")) {
    jset(a, p->handler, "verbose_logs", jbool(a, true));
    return 0;
  }
  return 1;
}

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
  if (!strcmp(sub, "to")) {
    int n;
    const char **args = disp_remaining_args(&h->d, &n);
    if (!n)
      return disp_arg_err(&h->d);
    for (int i = 0; i < n; i++)
      if (proxy_append_upstream(h, jget_or_new(h->ad->arena, p->handler, "upstreams", JSON_ARRAY), args[i], &p->scheme) < 0)
        return -1;
    return 0;
  }
  if (!strcmp(sub, "lb_policy"))
    return proxy_lb_policy(h, p);
  if (!strcmp(sub, "lb_retries"))
    return proxy_set_int(h, proxy_obj(h, p->handler, "load_balancing"), "retries", "lb_retries");
  if (!strcmp(sub, "lb_try_duration") || !strcmp(sub, "lb_try_interval"))
    return proxy_set_duration(h, proxy_obj(h, p->handler, "load_balancing"), sub + 3);
  if (!strcmp(sub, "lb_retry_match"))
    return proxy_retry_match(h, p);
  if (!strncmp(sub, "health_", 7))
    return proxy_active_health(h, p, sub);
  if (!strcmp(sub, "max_fails") || !strcmp(sub, "fail_duration") || !strncmp(sub, "unhealthy_", 10))
    return proxy_passive_health(h, p, sub);
  if (!strcmp(sub, "request_buffers") || !strcmp(sub, "response_buffers"))
    return proxy_buffers(h, p, sub);
  if (!strcmp(sub, "header_up") || !strcmp(sub, "header_down"))
    return proxy_headers(h, p, sub[7] == 'u');
  if (!strcmp(sub, "transport"))
    return proxy_transport(h, p);
  if (!strcmp(sub, "dynamic"))
    return proxy_dynamic(h, p);
  if (!strcmp(sub, "replace_status"))
    return proxy_replace_status(h, p);
  if (!strcmp(sub, "handle_response")) {
    if (p->nhandle_response == 16)
      return disp_errf(&h->d, "too many handle_response blocks");
    p->handle_response[p->nhandle_response++] = disp_next_segment(&h->d);
    return 0;
  }
  return proxy_misc(h, p, sub);
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
