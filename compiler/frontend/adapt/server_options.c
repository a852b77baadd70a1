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

static int so_option(struct helper *h, struct json *o, const char *sub)
{
  struct arena *a = h->ad->arena;
  long long n;
  if (!strcmp(sub, "name")) {
    if (!json_object_get(o, "@listener"))
      return disp_errf(&h->d, "cannot set a name for a server without a listener address");
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    jset(a, o, "@name", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    return 0;
  }
  if (!strcmp(sub, "listener_wrappers"))
    return so_listener_wrappers(h, o);
  if (!strcmp(sub, "timeouts"))
    return so_timeouts(h, o);
  if (!strcmp(sub, "keepalive_interval") || !strcmp(sub, "keepalive_idle"))
    return so_duration(h, o, sub);
  if (!strcmp(sub, "keepalive_count") || !strcmp(sub, "max_header_size")) {
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    if (sub[0] == 'k' ? !go_atoi(disp_val(&h->d), &n) : go_parse_size(disp_val(&h->d), &n) < 0)
      return disp_errf(&h->d, "parsing %s: %s", sub, disp_val(&h->d));
    jset(a, o, sub[0] == 'k' ? "keepalive_count" : "max_header_bytes", jint(a, n, disp_pos(&h->d)));
    return 0;
  }
  if (!strcmp(sub, "enable_full_duplex") || !strcmp(sub, "log_credentials") || !strcmp(sub, "trusted_proxies_unix"))
    return so_flag(h, o, sub[0] == 'l' ? "@log_credentials" : sub, true);
  if (!strcmp(sub, "trusted_proxies_strict"))
    return jset(a, o, sub, jint(a, 1, disp_pos(&h->d))), 0;
  if (!strcmp(sub, "protocols") || !strcmp(sub, "client_ip_headers"))
    return so_list(h, o, sub, sub[0] == 'p');
  if (!strcmp(sub, "strict_sni_host")) {
    if (disp_next_arg(&h->d) && strcmp(disp_val(&h->d), "insecure_off") && strcmp(disp_val(&h->d), "on"))
      return disp_errf(&h->d, "strict_sni_host only supports 'on' or 'insecure_off', got '%s'", disp_val(&h->d));
    return so_flag(h, o, sub, strcmp(disp_val(&h->d), "insecure_off") != 0);
  }
  if (!strcmp(sub, "trusted_proxies"))
    return so_trusted_proxies(h, o);
  if (!strcmp(sub, "0rtt")) {
    bool on = !disp_next_arg(&h->d) || strcmp(disp_val(&h->d), "off");
    return so_flag(h, o, "allow_0rtt", on);
  }
  if (!strcmp(sub, "metrics")) {
    struct json *m = jobj(a);
    for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
      if (!strcmp(disp_val(&h->d), "per_host"))
        jset(a, m, "per_host", jbool(a, true));
    jset(a, o, "metrics", m);
    return 0;
  }
  return disp_errf(&h->d, "unrecognized servers option '%s'", sub);
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
        fe_fail(ad->err, (struct srcpos){0}, "applying global server options: cannot use duplicate server name '%s'", n1);
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
    metrics = jobj(a);
    if (per_host)
      jset(a, metrics, "per_host", jbool(a, true));
    json_object_delete(servers->members[s].value, "metrics");
  }
  if (metrics)
    jset(a, ad->options, "metrics", metrics);
  json_object_sort(servers);
  return servers;
}
