/* Logging: the log directive and the global log option (parseLogHelper)
 * into named custom logs, the servers' logs (logger names, skip hosts) and
 * the top-level logging config with the default logger's excludes. */
#include <stdlib.h>
#include <string.h>

#include "adapt.h"

int log_writer(struct helper *h, struct json *cl);
int log_encoder(struct helper *h, struct json *cl);

/* sampling { interval D; first N; thereafter N }, each at most once */
static int log_sampling(struct helper *h, struct json *cl)
{
  struct arena *a = h->ad->arena;
  struct dispenser d = disp_next_segment(&h->d);
  struct helper sub = *h;
  sub.d = d;
  while (disp_next_arg(&sub.d))
    ;
  struct json *s = jobj(a);
  for (int nest = sub.d.nesting; disp_next_block(&sub.d, nest);) {
    const char *k = disp_val(&sub.d);
    if (json_object_get(s, k))
      return disp_errf(&sub.d, "'%s' specified more than once in the same sampling block", k);
    bool interval = !strcmp(k, "interval");
    if (!interval && strcmp(k, "first") && strcmp(k, "thereafter"))
      return disp_errf(&sub.d, "unrecognized subdirective: %s", k);
    if (!disp_next_arg(&sub.d))
      return disp_arg_err(&sub.d);
    long long n;
    if (interval && go_parse_duration(disp_val(&sub.d), &n) < 0)
      return disp_errf(&sub.d, "failed to parse interval: time: invalid duration \"%s\"", disp_val(&sub.d));
    if (!interval && !go_atoi(disp_val(&sub.d), &n))
      return disp_errf(&sub.d, "failed to parse %s: strconv.Atoi: parsing \"%s\": invalid syntax", k, disp_val(&sub.d));
    jset(a, s, k, jint(a, n, disp_pos(&sub.d)));
  }
  static const char *const order[] = {"interval", "first", "thereafter", NULL};
  json_reorder(a, s, order);
  jset(a, cl, "sampling", s);
  return 0;
}

struct log_value {
  const char *name;
  struct json *log;            /* NULL for an empty config */
  struct json *hostnames;
  bool no_hostname;
};

static int log_list(struct helper *h, struct json *cl, const char *key)
{
  struct json *list = jget_or_new(h->ad->arena, cl, key, JSON_ARRAY);
  while (disp_next_arg(&h->d))
    jpush(h->ad->arena, list, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

/* Each log subdirective's parser; global tells the log global option from the directive. */
typedef int (*log_sub_fn)(struct helper *h, struct json *cl, struct log_value *v, bool global);

static int log_sub_hostnames(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)cl;
  if (global)
    return disp_errf(&h->d, "hostnames is not allowed in the log global options");
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  for (int i = 0; i < n; i++)
    jpush(h->ad->arena, v->hostnames, jstr(h->ad->arena, args[i], disp_pos(&h->d)));
  return 0;
}

static int log_sub_output(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)v, (void)global;
  return log_writer(h, cl);
}

static int log_sub_format(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)v, (void)global;
  return log_encoder(h, cl);
}

static int log_sub_sampling(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)v, (void)global;
  return log_sampling(h, cl);
}

/* core NAME: the standard build has the mock core only, which reads nothing */
static int log_sub_core(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)v, (void)global;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *name = disp_val(&h->d);
  if (strcmp(name, "mock"))
    return disp_errf(&h->d, "getting module named 'caddy.logging.cores.%s': module not registered: caddy.logging.cores.%s",
                     name, name);
  disp_next_segment(&h->d);
  struct json *core = jobj(h->ad->arena);
  jset(h->ad->arena, core, "module", jstr(h->ad->arena, name, disp_pos(&h->d)));
  jset(h->ad->arena, cl, "core", core);
  return 0;
}

static int log_sub_level(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)v, (void)global;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, cl, "level", jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

/* include / exclude LOGGER...: only in the global option */
static int log_sub_filter(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)v;
  const char *sub = disp_val(&h->d);
  if (!global)
    return disp_errf(&h->d, "%s is not allowed in the log directive", sub);
  return log_list(h, cl, sub);
}

static int log_sub_no_hostname(struct helper *h, struct json *cl, struct log_value *v, bool global)
{
  (void)cl, (void)global;
  v->no_hostname = true;
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

/* unique: repeating it in one log block is an error (Caddy's assertUnique) */
static const struct log_sub_row {
  const char *name;
  log_sub_fn parse;
  bool unique;
} log_sub_rows[] = {
  {"hostnames", log_sub_hostnames, false}, {"output", log_sub_output, true}, {"format", log_sub_format, true},
  {"sampling", log_sub_sampling, true}, {"core", log_sub_core, true}, {"level", log_sub_level, true},
  {"include", log_sub_filter, false}, {"exclude", log_sub_filter, false}, {"no_hostname", log_sub_no_hostname, true},
};

/* seen: one bit per row, for the unique ones */
static int log_sub(struct helper *h, struct json *cl, struct log_value *v, bool global, unsigned *seen)
{
  const char *sub = disp_val(&h->d);
  const struct log_sub_row *row = TABLE_FIND(log_sub_rows, sub);
  if (!row)
    return disp_errf(&h->d, "unrecognized subdirective: %s", sub);
  unsigned bit = 1u << (row - log_sub_rows);
  if (row->unique && (*seen & bit))
    return disp_errf(&h->d, "'%s' subdirective specified more than once in the same log block", sub);
  *seen |= bit;
  return row->parse(h, cl, v, global);
}

/* log [name] { output, format, sampling, level, include, exclude, hostnames, no_hostname } */
static int log_parse(struct helper *h, struct config_values *out, bool global)
{
  struct arena *a = h->ad->arena;
  while (disp_next(&h->d)) {
    struct log_value *v = arena_alloc(a, sizeof *v);
    v->hostnames = jarr(a);
    v->name = global ? "default" : "";
    if (disp_next_arg(&h->d)) {
      v->name = disp_val(&h->d);
      if (disp_next_arg(&h->d))
        return disp_arg_err(&h->d);
    }
    struct json *cl = jobj(a);
    unsigned seen = 0;
    while (disp_next_block(&h->d, 0))
      if (log_sub(h, cl, v, global, &seen) < 0)
        return -1;
    bool empty = cl->count == 0;
    if (!global && !*v->name && !empty)
      v->name = arena_printf(a, "log%d", h->ad->log_counter++);
    if (!global && *v->name) {
      const char *inc = arena_printf(a, "http.log.access.%s", v->name);
      jset(a, cl, "include", jstrarr(a, &inc, 1, (struct srcpos){0}));
    }
    v->log = empty && !global ? NULL : cl;
    if (global && empty)
      v->log = cl;
    struct json *val = jobj(a);
    jset(a, val, "name", jstr(a, v->name, disp_pos(&h->d)));
    if (v->log)
      jset(a, val, "log", v->log);
    jset(a, val, "hostnames", v->hostnames);
    jset(a, val, "no_hostname", jbool(a, v->no_hostname));
    values_push(h, out, "custom_log", val);
  }
  return 0;
}

int adapt_log(struct helper *h, struct config_values *out)
{
  return log_parse(h, out, false);
}

int option_log(struct helper *h, const char *name)
{
  struct config_values vals = {0};
  disp_reset(&h->d);
  if (log_parse(h, &vals, true) < 0)
    return -1;
  struct json *list = jget_or_new(h->ad->arena, h->ad->options, name, JSON_ARRAY);
  for (size_t i = 0; i < vals.count; i++) {
    const char *n = json_str(json_object_get(vals.items[i].value, "name"));
    for (size_t k = 0; k < list->count; k++)
      if (!strcmp(json_str(json_object_get(list->items[k], "name")), n))
        return disp_errf(&h->d, "duplicate global log option for: %s", n);
    jpush(h->ad->arena, list, vals.items[i].value);
  }
  return 0;
}

/* ---- servers' logs ---- */

static void logs_map_add(struct arena *a, struct json *logs, const char *host, const char *name)
{
  struct json *names = jget_or_new(a, logs, "logger_names", JSON_OBJECT);
  jpush(a, jget_or_new(a, names, host, JSON_ARRAY), jstr(a, name, (struct srcpos){0}));
  json_object_sort(names);
}

/* hostsFromKeys(true): hosts with non-default ports keep them */
static size_t logs_hosts(struct arena *a, const struct address *keys, size_t n, const char **out)
{
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    if (!*keys[i].host)
      continue;
    const char *p = keys[i].port;
    const char *hname = *p && strcmp(p, "80") && strcmp(p, "443") ? arena_printf(a, "%s:%s", keys[i].host, p) : keys[i].host;
    bool seen = false;
    for (size_t k = 0; k < count; k++)
      seen = seen || !strcmp(out[k], hname);
    if (!seen && count < 64)
      out[count++] = hname;
  }
  return count;
}

static bool logs_catch_all(const struct address *keys, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!*keys[i].host)
      return true;
  return false;
}

/* One site's loggers into srv.logs (which exists when any site of the server logs). */
void logs_apply_site(struct adapt *ad, struct json *srv, struct site *s, const struct address *keys, size_t nkeys)
{
  struct arena *a = ad->arena;
  struct json *logs = json_object_get(srv, "logs");
  if (!logs)
    return;
  const char *hosts[64];
  size_t nhosts = logs_hosts(a, keys, nkeys, hosts);
  size_t nlogs = 0;
  for (size_t i = 0; i < s->pile.count; i++) {
    if (strcmp(s->pile.items[i].class, "custom_log"))
      continue;
    nlogs++;
    struct json *v = s->pile.items[i].value;
    logs->origin = logs->origin.line ? logs->origin : v->origin;   /* the `log` token */
    const char *name = json_str(json_object_get(v, "name"));
    struct json *hn = json_object_get(v, "hostnames");
    if (json_object_get(v, "no_hostname")->boolean)
      continue;
    if (logs_catch_all(keys, nkeys) && !hn->count) {
      if (*name)
        jset(a, logs, "default_logger_name", jstr(a, name, (struct srcpos){0}));
      else                     /* an empty `log`: omitempty drops the name */
        json_object_delete(logs, "default_logger_name");
    }
    else if (hn->count)
      for (size_t k = 0; k < hn->count; k++)
        logs_map_add(a, logs, json_str(hn->items[k]), name);
    else
      for (size_t k = 0; k < nhosts; k++) {
        const char *colon = strrchr(hosts[k], ':');
        logs_map_add(a, logs, colon && !strchr(hosts[k], ']') ? arena_strndup(a, hosts[k], (size_t)(colon - hosts[k])) : hosts[k], name);
      }
  }
  if (nlogs)
    return;
  if (logs_catch_all(keys, nkeys))
    jset(a, logs, "skip_unmapped_hosts", jbool(a, true));
  if (!nhosts)                 /* nothing appended: omitempty */
    return;
  struct json *skip = jget_or_new(a, logs, "skip_hosts", JSON_ARRAY);
  for (size_t k = 0; k < nhosts; k++)
    jpush(a, skip, jstr(a, hosts[k], (struct srcpos){0}));
}

static int logs_cmp(const void *x, const void *y)
{
  return strcmp(json_str(*(struct json *const *)x), json_str(*(struct json *const *)y));
}

void logs_finish_server(struct adapt *ad, struct json *srv)
{
  struct json *logs = json_object_get(srv, "logs");
  struct json *skip = json_object_get(logs, "skip_hosts");
  if (skip && skip->count)
    qsort(skip->items, skip->count, sizeof skip->items[0], logs_cmp);
  static const char *const order[] = {"default_logger_name", "logger_names", "skip_hosts", "skip_unmapped_hosts", NULL};
  json_reorder(ad->arena, logs, order);
}

/* ---- the logging config ---- */

static void logging_add(struct adapt *ad, struct json *all, struct json *v, bool *has_default)
{
  const char *name = json_str(json_object_get(v, "name"));
  if (!*name)
    return;
  if (!strcmp(name, "default"))
    *has_default = true;
  struct json *log = json_object_get(v, "log");
  if (json_object_get(ad->options, "debug") && log && !json_object_get(log, "level"))
    jset(ad->arena, log, "level", jstr(ad->arena, "DEBUG", (struct srcpos){0}));
  jpush(ad->arena, all, v);
}

static void logging_exclude(struct adapt *ad, struct json *logs, struct json *include)
{
  struct json *def = json_object_get(logs, "default");
  if (!def) {
    def = jobj(ad->arena);
    jset(ad->arena, logs, "default", def);
  }
  struct json *ex = jget_or_new(ad->arena, def, "exclude", JSON_ARRAY);
  for (size_t i = 0; i < include->count; i++) {
    bool dup = false;
    for (size_t k = 0; k < ex->count; k++)
      dup = dup || !strcmp(json_str(ex->items[k]), json_str(include->items[i]));
    if (!dup)
      jpush(ad->arena, ex, include->items[i]);
  }
  if (ex->count)
    qsort(ex->items, ex->count, sizeof ex->items[0], logs_cmp);
}

static void logging_shape(struct adapt *ad, struct json *logs)
{
  static const char *const order[] = {"writer", "encoder", "core", "level", "sampling", "include", "exclude", NULL};
  for (size_t i = 0; i < logs->count; i++) {
    struct json *cl = logs->members[i].value;
    json_reorder(ad->arena, cl, order);
    json_sort_deep(json_object_get(cl, "writer"));
    json_sort_deep(json_object_get(cl, "encoder"));
  }
  json_object_sort(logs);
}

struct json *logging_build(struct adapt *ad, struct site_list *sites, struct json *servers)
{
  (void)servers;
  struct arena *a = ad->arena;
  struct json *all = jarr(a), *global = json_object_get(ad->options, "log");
  bool has_default = false;
  for (size_t i = 0; global && i < global->count; i++)
    logging_add(ad, all, global->items[i], &has_default);
  if (!has_default && json_object_get(ad->options, "debug")) {
    struct json *v = jobj(a), *log = jobj(a);
    jset(a, log, "level", jstr(a, "DEBUG", (struct srcpos){0}));
    jset(a, v, "name", jstr(a, "default", (struct srcpos){0}));
    jset(a, v, "log", log);
    jpush(a, all, v);
  }
  for (size_t s = 0; s < sites->count; s++)
    for (size_t i = 0; i < sites->items[s].pile.count; i++)
      if (!strcmp(sites->items[s].pile.items[i].class, "custom_log"))
        logging_add(ad, all, sites->items[s].pile.items[i].value, &has_default);
  if (!all->count)
    return NULL;
  struct json *logs = jobj(a);
  for (size_t i = 0; i < all->count; i++)
    if (!strcmp(json_str(json_object_get(all->items[i], "name")), "default") && json_object_get(all->items[i], "log")) {
      jset(a, logs, "default", json_object_get(all->items[i], "log"));
      break;
    }
  for (size_t i = 0; i < all->count; i++) {
    const char *name = json_str(json_object_get(all->items[i], "name"));
    struct json *log = json_object_get(all->items[i], "log");
    if (!log || !strcmp(name, "default"))
      continue;
    jset(a, logs, name, log);
    struct json *inc = json_object_get(log, "include");
    if (inc && inc->count)
      logging_exclude(ad, logs, inc);
  }
  if (!logs->count)
    return NULL;
  logging_shape(ad, logs);
  struct json *logging = jobj(a);
  jset(a, logging, "logs", logs);
  return logging;
}
