/* The `servers` global option (per-listener server settings: timeouts,
 * protocols, trusted proxies, names, ...), the `metrics` option, and how
 * both are applied to the built servers (applyServerOptions). */
#include <string.h>

#include "adapt.h"

static int so_duration(struct helper *h, struct json *o, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *v = go_duration_json(&h->d, disp_val(&h->d));
  if (!v)
    return -1;
  jset(h->ad->arena, o, key, v);
  return 0;
}

static int so_timeouts(struct helper *h, struct json *o)
{
  static const char *const map[][2] = {{"read_body", "read_timeout"}, {"read_header", "read_header_timeout"},
                                       {"write", "write_timeout"}, {"idle", "idle_timeout"}};
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    int k;
    for (k = 0; k < 4 && strcmp(disp_val(&h->d), map[k][0]); k++)
      ;
    if (k == 4)
      return disp_errf(&h->d, "unrecognized timeouts option '%s'", disp_val(&h->d));
    if (so_duration(h, o, map[k][1]) < 0)
      return -1;
  }
  return 0;
}

static int so_listener_wrappers(struct helper *h, struct json *o)
{
  struct arena *a = h->ad->arena;
  struct json *list = jget_or_new(a, o, "listener_wrappers", JSON_ARRAY);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    struct json *w = jobj(a);
    jset(a, w, "wrapper", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    for (int inner = h->d.nesting; disp_next_block(&h->d, inner);)
      if (!strcmp(disp_val(&h->d), "timeout")) {
        if (so_duration(h, w, "timeout") < 0)
          return -1;
      } else
        return disp_errf(&h->d, "unrecognized listener wrapper option '%s'", disp_val(&h->d));
    json_sort_deep(w);
    jpush(a, list, w);
  }
  return 0;
}

static int so_list(struct helper *h, struct json *o, const char *key, bool protocols)
{
  struct arena *a = h->ad->arena;
  struct json *list = jget_or_new(a, o, key, JSON_ARRAY);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  for (int i = 0; i < n; i++) {
    if (protocols && strcmp(args[i], "h1") && strcmp(args[i], "h2") && strcmp(args[i], "h2c") && strcmp(args[i], "h3"))
      return disp_errf(&h->d, "unknown protocol '%s': expected h1, h2, h2c, or h3", args[i]);
    for (size_t k = 0; k < list->count; k++)
      if (!strcmp(json_str(list->items[k]), args[i]))
        return protocols ? disp_errf(&h->d, "protocol %s specified more than once", args[i])
                         : disp_errf(&h->d, "client IP header %s specified more than once", args[i]);
    jpush(a, list, jstr(a, args[i], disp_pos(&h->d)));
  }
  return 0;
}

static int so_trusted_proxies(struct helper *h, struct json *o)
{
  static const char *const private[] = {"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"};
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d))
    return disp_errf(&h->d, "trusted_proxies expects an IP range source module name as its first argument");
  if (strcmp(disp_val(&h->d), "static"))   /* the standard build's only IP range source */
    return disp_errf(&h->d, "getting module named 'http.ip_sources.%s': module not registered: http.ip_sources.%s",
                     disp_val(&h->d), disp_val(&h->d));
  struct json *src = jobj(a), *ranges = jarr(a);
  jset(a, src, "source", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  while (disp_next_arg(&h->d))
    if (!strcmp(disp_val(&h->d), "private_ranges"))
      for (int i = 0; i < 6; i++)
        jpush(a, ranges, jstr(a, private[i], disp_pos(&h->d)));
    else
      jpush(a, ranges, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
    while (disp_next_arg(&h->d))
      jpush(a, ranges, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  if (ranges->count)
    jset(a, src, "ranges", ranges);
  json_sort_deep(src);         /* a module object */
  jset(a, o, "trusted_proxies", src);
  return 0;
}

static int so_flag(struct helper *h, struct json *o, const char *key, bool v)
{
  jset(h->ad->arena, o, key, jbool(h->ad->arena, v));
  return 0;
}

/* The table's functions: each parses one option into o under key. */
static int so_opt_name(struct helper *h, struct json *o, const char *key)
{
  if (!json_object_get(o, "@listener"))
    return disp_errf(&h->d, "cannot set a name for a server without a listener address");
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, o, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

static int so_opt_listener_wrappers(struct helper *h, struct json *o, const char *key)
{
  (void)key;
  return so_listener_wrappers(h, o);
}

static int so_opt_timeouts(struct helper *h, struct json *o, const char *key)
{
  (void)key;
  return so_timeouts(h, o);
}

/* keepalive_count N / max_header_size SIZE (the error names the option, not the key) */
static int so_opt_count(struct helper *h, struct json *o, const char *key)
{
  long long n;
  const char *sub = disp_val(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  bool count = !strcmp(sub, "keepalive_count");
  if (count ? !go_atoi(disp_val(&h->d), &n) : go_parse_size(disp_val(&h->d), &n) < 0)
    return disp_errf(&h->d, "parsing %s: %s", sub, disp_val(&h->d));
  jset(h->ad->arena, o, key, jint(h->ad->arena, n, disp_pos(&h->d)));
  return 0;
}

static int so_opt_true(struct helper *h, struct json *o, const char *key)
{
  return so_flag(h, o, key, true);
}

static int so_opt_one(struct helper *h, struct json *o, const char *key)
{
  jset(h->ad->arena, o, key, jint(h->ad->arena, 1, disp_pos(&h->d)));
  return 0;
}

static int so_opt_protocols(struct helper *h, struct json *o, const char *key)
{
  return so_list(h, o, key, true);
}

static int so_opt_client_ip_headers(struct helper *h, struct json *o, const char *key)
{
  return so_list(h, o, key, false);
}

/* strict_sni_host [on|insecure_off] */
static int so_opt_strict_sni_host(struct helper *h, struct json *o, const char *key)
{
  if (disp_next_arg(&h->d) && strcmp(disp_val(&h->d), "insecure_off") && strcmp(disp_val(&h->d), "on"))
    return disp_errf(&h->d, "strict_sni_host only supports 'on' or 'insecure_off', got '%s'", disp_val(&h->d));
  return so_flag(h, o, key, strcmp(disp_val(&h->d), "insecure_off") != 0);
}

static int so_opt_trusted_proxies(struct helper *h, struct json *o, const char *key)
{
  (void)key;
  return so_trusted_proxies(h, o);
}

/* 0rtt [off] */
static int so_opt_0rtt(struct helper *h, struct json *o, const char *key)
{
  bool on = !disp_next_arg(&h->d) || strcmp(disp_val(&h->d), "off");
  return so_flag(h, o, key, on);
}

/* metrics { per_host } */
static int so_opt_metrics(struct helper *h, struct json *o, const char *key)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  m->origin = disp_pos(&h->d);   /* the metrics token, where a refusal points */
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
    if (!strcmp(disp_val(&h->d), "per_host"))
      jset(a, m, "per_host", jbool(a, true));
  jset(a, o, key, m);
  return 0;
}

/* One `servers` option: its parser and the key it sets ('@' keys are the
 * adapter's own, read back by so_apply). */
static const struct so_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *o, const char *key);
  const char *key;
} so_rows[] = {
  {"name", so_opt_name, "@name"},
  {"listener_wrappers", so_opt_listener_wrappers, NULL},
  {"timeouts", so_opt_timeouts, NULL},
  {"keepalive_interval", so_duration, "keepalive_interval"},
  {"keepalive_idle", so_duration, "keepalive_idle"},
  {"keepalive_count", so_opt_count, "keepalive_count"},
  {"max_header_size", so_opt_count, "max_header_bytes"},
  {"enable_full_duplex", so_opt_true, "enable_full_duplex"},
  {"log_credentials", so_opt_true, "@log_credentials"},
  {"trusted_proxies_unix", so_opt_true, "trusted_proxies_unix"},
  {"trusted_proxies_strict", so_opt_one, "trusted_proxies_strict"},
  {"protocols", so_opt_protocols, "protocols"},
  {"client_ip_headers", so_opt_client_ip_headers, "client_ip_headers"},
  {"strict_sni_host", so_opt_strict_sni_host, "strict_sni_host"},
  {"trusted_proxies", so_opt_trusted_proxies, NULL},
  {"0rtt", so_opt_0rtt, "allow_0rtt"},
  {"metrics", so_opt_metrics, "metrics"},
};

static int so_option(struct helper *h, struct json *o, const char *sub)
{
  const struct so_row *row = TABLE_FIND(so_rows, sub);
  if (!row)
    return disp_errf(&h->d, "unrecognized servers option '%s'", sub);
  return row->parse(h, o, row->key);
}

/* servers [listener] { ... }; options with a listener address go before the catch-all */
int option_servers(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  struct json *o = jobj(a);
  if (disp_next_arg(&h->d)) {
    jset(a, o, "@listener", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    if (disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
  }
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
    if (so_option(h, o, disp_val(&h->d)) < 0)
      return -1;
  struct json *list = jget_or_new(a, h->ad->options, name, JSON_ARRAY);
  size_t at = list->count;
  if (json_object_get(o, "@listener"))
    while (at > 0 && !json_object_get(list->items[at - 1], "@listener"))
      at--;
  jpush(a, list, o);
  memmove(&list->items[at + 1], &list->items[at], sizeof list->items[0] * (list->count - at - 1));
  list->items[at] = o;
  return 0;
}

int option_metrics(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  struct json *m = jobj(a);
  m->origin = disp_pos(&h->d);
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    if (strcmp(sub, "per_host") && strcmp(sub, "otlp"))
      return disp_errf(&h->d, "unrecognized servers option '%s'", sub);
    jset(a, m, sub, jbool(a, true));
  }
  jset(a, h->ad->options, name, m);
  return 0;
}

static bool so_applies(struct json *o, struct json *srv)
{
  const char *ln = json_str(json_object_get(o, "@listener"));
  struct json *listen = json_object_get(srv, "listen");
  if (!ln)
    return true;
  for (size_t i = 0; listen && i < listen->count; i++)
    if (!strcmp(json_str(listen->items[i]), ln))
      return true;
  return false;
}

static void so_apply(struct adapt *ad, struct json *srv, struct json *o)
{
  for (size_t i = 0; i < o->count; i++) {
    const char *k = o->members[i].key;
    if (!strcmp(k, "@log_credentials"))
      jset(ad->arena, jget_or_new(ad->arena, srv, "logs", JSON_OBJECT), "should_log_credentials", jbool(ad->arena, true));
    else if (k[0] != '@')
      jset(ad->arena, srv, k, o->members[i].value);
  }
}

/* applyServerOptions, then the metrics hoisted from servers to the app. Returns servers (renamed). */
struct json *server_options_apply(struct adapt *ad, struct json *servers)
{
  struct arena *a = ad->arena;
  struct json *opts = json_object_get(ad->options, "servers");
  for (size_t i = 0; opts && i < opts->count; i++)
    for (size_t k = i + 1; k < opts->count; k++) {
      const char *n1 = json_str(json_object_get(opts->items[i], "@name"));
      const char *n2 = json_str(json_object_get(opts->items[k], "@name"));
      if (n1 && n2 && !strcmp(n1, n2)) {
        fe_fail(ad->err, json_object_get(opts->items[k], "@name")->pos,   /* the second `name` */
                "applying global server options: cannot use duplicate server name '%s'", n1);
        return NULL;
      }
    }
  for (size_t s = 0; opts && s < servers->count; s++)
    for (size_t i = 0; i < opts->count; i++)
      if (so_applies(opts->items[i], servers->members[s].value)) {
        so_apply(ad, servers->members[s].value, opts->items[i]);
        const char *name = json_str(json_object_get(opts->items[i], "@name"));
        if (name)
          servers->members[s].key = name;
        break;
      }
  struct json *metrics = json_object_get(ad->options, "metrics");
  for (size_t s = 0; s < servers->count; s++) {
    struct json *m = json_object_get(servers->members[s].value, "metrics");
    if (!m)
      continue;
    bool per_host = json_object_get(m, "per_host") || (metrics && json_object_get(metrics, "per_host"));
    struct srcpos origin = metrics ? metrics->origin : m->origin;
    metrics = jobj(a);
    metrics->origin = origin;
    if (per_host)
      jset(a, metrics, "per_host", jbool(a, true));
    json_object_delete(servers->members[s].value, "metrics");
  }
  if (metrics)
    jset(a, ad->options, "metrics", metrics);
  json_object_sort(servers);
  return servers;
}
